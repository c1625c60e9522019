"""The official `openai` SDK: models, answers, streams, continuity, tools, images."""

from __future__ import annotations

import base64
import uuid

import openai
import pytest


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def first_paragraph(text: str) -> str:
    """The echo bot's first paragraph (its answer goes on with markdown about the message)."""
    return text.split("\n\n")[0]


def test_models_lists_the_demo_bots(client, gateway):
    ids = [m.id for m in client.models.list()]
    for name in ("echo", "tool", "failing"):
        assert name in ids
    assert sorted(ids) == sorted(gateway.models)
    assert all(m.owned_by == "coze" for m in client.models.list())


def test_non_stream_answer_usage_and_extension(client):
    raw = client.chat.completions.with_raw_response.create(
        model="echo", messages=[{"role": "user", "content": "hello there"}], user=uniq("u")
    )
    done = raw.parse()
    assert done.object == "chat.completion"
    assert done.id.startswith("chatcmpl-")
    assert done.model == "echo"
    choice = done.choices[0]
    assert choice.message.role == "assistant"
    assert first_paragraph(choice.message.content) == 'You said: "hello there".'
    assert "```text\nhello there\n```" in choice.message.content
    assert choice.finish_reason == "stop"
    u = done.usage
    assert u.prompt_tokens > 0 and u.completion_tokens > 0
    assert u.total_tokens == u.prompt_tokens + u.completion_tokens
    coze = done.model_extra["coze"]
    assert coze["conversation_id"] and coze["chat_id"]
    assert coze["follow_ups"] == ["Tell me more about hello there", "What did I say before?"]
    assert raw.headers["x-coze-conversation-id"] == coze["conversation_id"]
    assert raw.headers["x-coze-chat-id"] == coze["chat_id"]


def test_stream_with_usage(client):
    chunks = list(
        client.chat.completions.create(
            model="echo",
            messages=[{"role": "user", "content": "stream me please"}],
            stream=True,
            stream_options={"include_usage": True},
            user=uniq("u"),
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert first_paragraph(text) == 'You said: "stream me please".'
    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_chunks) >= 2, "the answer arrives in several deltas"
    finish = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert len(finish) == 1 and finish[0].choices[0].finish_reason == "stop"
    assert finish[0].model_extra["coze"]["follow_ups"]
    last = chunks[-1]
    assert last.choices == []
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens > 0
    assert len({c.id for c in chunks}) == 1


def test_stream_without_usage_has_no_usage_chunk(client):
    chunks = list(
        client.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "no usage"}], stream=True, user=uniq("u")
        )
    )
    assert all(c.choices for c in chunks)
    assert all(c.usage is None for c in chunks)


def ask(client, messages, user, **kw):
    raw = client.chat.completions.with_raw_response.create(model=kw.pop("model", "echo"), messages=messages, user=user, **kw)
    return raw.parse(), raw.headers["x-coze-conversation-id"]


def test_second_turn_continues_the_same_coze_conversation(client):
    user = uniq("ada")
    history = [{"role": "user", "content": "my name is Ada"}]
    first, conv1 = ask(client, history, user)
    history += [
        {"role": "assistant", "content": first.choices[0].message.content},
        {"role": "user", "content": "what did I say?"},
    ]
    second, conv2 = ask(client, history, user)
    answer = second.choices[0].message.content
    assert answer.startswith('You said: "what did I say?".')
    # The bot knows the first turn from Coze's own history, and saw it exactly once: only the
    # new message went into the conversation.
    assert answer.count('"my name is Ada"') == 1, answer
    assert 'Earlier in this conversation you said: "my name is Ada".' in answer
    assert conv2 == conv1
    # A third turn, streamed, still in the same conversation.
    history += [{"role": "assistant", "content": answer}, {"role": "user", "content": "and now?"}]
    raw = client.chat.completions.with_raw_response.create(model="echo", messages=history, user=user, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in raw.parse() if c.choices)
    assert raw.headers["x-coze-conversation-id"] == conv1
    assert 'Earlier in this conversation you said: "my name is Ada", "what did I say?".' in text


def test_unknown_history_starts_a_new_conversation_carrying_it(client):
    user = uniq("u")
    messages = [
        {"role": "user", "content": "alpha"},
        {"role": "assistant", "content": "an answer this gateway never gave"},
        {"role": "user", "content": "beta"},
    ]
    done, conv = ask(client, messages, user)
    assert done.choices[0].message.content.startswith('You said: "beta". Earlier in this conversation you said: "alpha".')
    # Sent again, the same unknown history does not land in that conversation (its state moved on).
    again, conv2 = ask(client, messages, user)
    assert conv2 != conv
    assert again.choices[0].message.content == done.choices[0].message.content


def test_edited_history_forks_and_keeps_the_original(client):
    user = uniq("u")
    h = [{"role": "user", "content": "first question"}]
    a1, conv = ask(client, h, user)
    h += [{"role": "assistant", "content": a1.choices[0].message.content}, {"role": "user", "content": "second"}]
    a2, conv_same = ask(client, h, user)
    assert conv_same == conv
    # Edit the first message in the middle of the history and continue.
    edited = [dict(m) for m in h] + [
        {"role": "assistant", "content": a2.choices[0].message.content},
        {"role": "user", "content": "third"},
    ]
    edited[0]["content"] = "EDITED question"
    a3, conv_fork = ask(client, edited, user)
    assert conv_fork != conv
    text = a3.choices[0].message.content
    assert '"EDITED question"' in text and '"first question"' not in text, text
    # Regenerating the second answer (same history as before) also forks: the original
    # conversation already holds an answer to it.
    again, conv_regen = ask(client, h, user)
    assert conv_regen not in (conv, conv_fork)
    assert again.choices[0].message.content == a2.choices[0].message.content


def test_two_users_never_share_a_conversation(client):
    secret = uniq("secret")
    h = [{"role": "user", "content": f"remember {secret}"}]
    a, conv_a = ask(client, h, "alice-" + secret)
    follow = h + [{"role": "assistant", "content": a.choices[0].message.content}, {"role": "user", "content": "what was it?"}]
    _, conv_a2 = ask(client, follow, "alice-" + secret)
    assert conv_a2 == conv_a
    # Bob sends the same history: he gets a conversation of his own.
    _, conv_b = ask(client, follow, "bob-" + secret)
    assert conv_b != conv_a
    # Bob's own first message knows nothing of Alice's.
    b, _ = ask(client, [{"role": "user", "content": "what did I say before?"}], "bob-" + secret)
    assert secret not in b.choices[0].message.content
    # And Bob cannot name Alice's conversation.
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(
            model="echo",
            messages=[{"role": "user", "content": "let me in"}],
            user="bob-" + secret,
            extra_body={"coze": {"conversation_id": conv_a}},
        )
    assert e.value.code == "conversation_not_found"


def test_named_conversation_extension(client):
    user = uniq("u")
    _, conv = ask(client, [{"role": "user", "content": "one"}], user)
    # A client that keeps no history names the conversation and sends only the new message.
    raw = client.chat.completions.with_raw_response.create(
        model="echo",
        messages=[{"role": "user", "content": "two"}],
        user=user,
        extra_body={"coze": {"conversation_id": conv}},
    )
    assert raw.headers["x-coze-conversation-id"] == conv
    assert 'Earlier in this conversation you said: "one".' in raw.parse().choices[0].message.content


def test_tool_call_round_trip(client):
    user = uniq("u")
    h = [{"role": "user", "content": "Paris"}]
    first = client.chat.completions.create(model="tool", messages=h, user=user)
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.type == "function" and call.function.name == "get_weather"
    assert call.function.arguments.replace(" ", "") == '{"location":"Paris"}'
    h += [
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "sunny, 21 C"},
    ]
    second = client.chat.completions.create(model="tool", messages=h, user=user)
    assert second.choices[0].finish_reason == "stop"
    assert second.choices[0].message.content == "The tool get_weather returned: sunny, 21 C"
    assert second.model_extra["coze"]["conversation_id"] == first.model_extra["coze"]["conversation_id"]
    assert second.model_extra["coze"]["chat_id"] == first.model_extra["coze"]["chat_id"]
    # The same call cannot be answered twice.
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="tool", messages=h, user=user)
    assert e.value.code == "tool_call_not_found"


def test_tool_call_round_trip_streamed(client):
    user = uniq("u")
    h = [{"role": "user", "content": "Oslo"}]
    chunks = list(client.chat.completions.create(model="tool", messages=h, user=user, stream=True))
    finish = [c for c in chunks if c.choices and c.choices[0].finish_reason]
    assert finish[0].choices[0].finish_reason == "tool_calls"
    calls = [tc for c in chunks if c.choices for tc in (c.choices[0].delta.tool_calls or [])]
    assert len(calls) == 1 and calls[0].function.name == "get_weather" and calls[0].index == 0
    h += [
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": calls[0].id, "type": "function", "function": {"name": "get_weather", "arguments": calls[0].function.arguments}}
        ]},
        {"role": "tool", "tool_call_id": calls[0].id, "content": "snow"},
    ]
    text = "".join(
        c.choices[0].delta.content or ""
        for c in client.chat.completions.create(model="tool", messages=h, user=user, stream=True)
        if c.choices
    )
    assert text == "The tool get_weather returned: snow"


def test_tool_call_of_another_user_is_unknown(client):
    h = [{"role": "user", "content": "Rome"}]
    first = client.chat.completions.create(model="tool", messages=h, user=uniq("owner"))
    call = first.choices[0].message.tool_calls[0]
    h += [first.choices[0].message.model_dump(exclude_none=True), {"role": "tool", "tool_call_id": call.id, "content": "x"}]
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="tool", messages=h, user=uniq("intruder"))
    assert e.value.code == "tool_call_not_found"


# A 1x1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def test_image_data_uri_is_uploaded_and_https_url_passed(client):
    data_uri = "data:image/png;base64," + base64.b64encode(PNG).decode()
    done = client.chat.completions.create(
        model="echo",
        user=uniq("u"),
        messages=[{"role": "user", "content": [
            {"type": "text", "text": "what is in these?"},
            {"type": "image_url", "image_url": {"url": data_uri}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}},
        ]}],
    )
    text = done.choices[0].message.content
    assert text.startswith('You said: "what is in these?".')
    assert 'You attached image "upload.png" (file_id ' in text, text
    assert 'You attached image "cat.jpg" (https://example.com/cat.jpg).' in text


def test_reasoning_content(client, gateway):
    if "reasoning" not in gateway.models:
        pytest.skip("this emulator has no `reasoning` bot (added with issue 9)")
    done = client.chat.completions.create(model="reasoning", messages=[{"role": "user", "content": "why?"}], user=uniq("u"))
    msg = done.choices[0].message
    assert msg.model_extra.get("reasoning_content"), msg
    assert msg.content
    chunks = list(client.chat.completions.create(
        model="reasoning", messages=[{"role": "user", "content": "why?"}], user=uniq("u"), stream=True))
    thought = "".join((c.choices[0].delta.model_extra or {}).get("reasoning_content") or "" for c in chunks if c.choices)
    assert thought == msg.model_extra["reasoning_content"]
