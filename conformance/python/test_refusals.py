"""Requests Coze refuses, refused by the emulator with Coze's codes: through cozepy where the SDK
can express the mistake, as raw JSON where only a hand-written request can (wrong JSON types)."""

from __future__ import annotations

from typing import Any, Dict

import pytest
from cozepy import CozeAPIError, Message, MessageContentType, MessageObjectString, MessageRole, MessageType

from support import question


def raw(emulator, path: str, body: Any) -> Dict[str, Any]:
    with emulator.http() as http:
        resp = http.post(path, json=body, headers={"Authorization": f"Bearer {emulator.pat}"})
    assert resp.headers["content-type"].startswith("application/json"), resp.text
    return resp.json()


def refused(call) -> CozeAPIError:
    with pytest.raises(CozeAPIError) as err:
        call()
    return err.value


def test_wrong_json_types_are_4000(emulator, bots):
    echo = bots["echo"]
    q = {"role": "user", "content": "hi", "content_type": "text"}
    cases = [
        ("/v3/chat", {"bot_id": int(echo), "user_id": "u", "additional_messages": [q]}),
        ("/v3/chat", {"bot_id": echo, "user_id": 42, "additional_messages": [q]}),
        ("/v3/chat", {"bot_id": echo, "user_id": "u", "additional_messages": [{**q, "content": 7}]}),
        ("/v3/chat", {"bot_id": echo, "user_id": "u", "additional_messages": [{**q, "content": {"text": "hi"}}]}),
        ("/v1/conversation/create", {"bot_id": int(echo)}),
        ("/v1/workflow/run", {"workflow_id": int(emulator.info["workflows"]["greeting"])}),
    ]
    for path, body in cases:
        got = raw(emulator, path, body)
        assert got["code"] == 4000, f"{path} {body} -> {got}"
        assert got["msg"], got


def test_a_missing_content_type_is_4000(emulator, bots):
    got = raw(
        emulator,
        "/v3/chat",
        {"bot_id": bots["echo"], "user_id": "u", "additional_messages": [{"role": "user", "content": "hi"}]},
    )
    assert got["code"] == 4000 and "content_type" in got["msg"], got


def test_response_only_message_types_are_4000(coze, bots, user_id):
    for kind in (MessageType.FOLLOW_UP, MessageType.VERBOSE):
        message = Message(role=MessageRole.USER, type=kind, content="hi", content_type=MessageContentType.TEXT)
        err = refused(lambda: coze.chat.create(bot_id=bots["echo"], user_id=user_id, additional_messages=[message]))
        assert err.code == 4000 and "only appears in responses" in err.msg, err


def test_object_string_rules_are_4000(coze, bots, user_id):
    text_only = Message.build_user_question_objects([MessageObjectString.build_text("just text")])
    unknown_file = Message.build_user_question_objects(
        [MessageObjectString.build_text("look"), MessageObjectString.build_image(file_id="7400000000000999999")]
    )
    for message, needle in ((text_only, "content_type text"), (unknown_file, "not a file this account uploaded")):
        err = refused(lambda: coze.chat.create(bot_id=bots["echo"], user_id=user_id, additional_messages=[message]))
        assert err.code == 4000 and needle in err.msg, err
    conv = coze.conversations.create()
    err = refused(lambda: coze.conversations.messages.create(
        conversation_id=conv.id, role=MessageRole.USER, content="[]", content_type=MessageContentType.OBJECT_STRING
    ))
    assert err.code == 4000, err


def test_no_question_in_an_empty_conversation_is_4000(coze, bots, user_id):
    conv = coze.conversations.create(bot_id=bots["echo"])
    err = refused(lambda: coze.chat.create(bot_id=bots["echo"], user_id=user_id, conversation_id=conv.id))
    assert err.code == 4000 and "question" in err.msg, err


def test_a_prompt_beyond_the_context_window_is_4010(coze, bots, user_id):
    long = "word " * 30_000  # about 37,500 tokens at four characters a token
    err = refused(lambda: coze.chat.create(bot_id=bots["echo"], user_id=user_id, additional_messages=question(long)))
    assert err.code == 4010 and "context window" in err.msg, err


def test_a_workflow_with_an_unpublished_bot_is_4015(coze, emulator, bots):
    greeting = emulator.info["workflows"]["greeting"]
    err = refused(lambda: coze.workflows.runs.create(workflow_id=greeting, bot_id=bots["unpublished"]))
    assert err.code == 4015, err
    err = refused(lambda: coze.workflows.runs.create(workflow_id=greeting, bot_id="7400000000000999999"))
    assert err.code == 4200, err


def test_other_documented_refusals(coze, emulator, bots, user_id):
    # Non-streaming chats must save their history; unknown publish_status; 101 messages.
    err = refused(lambda: coze.chat.create(
        bot_id=bots["echo"], user_id=user_id, additional_messages=question("x"), auto_save_history=False
    ))
    assert err.code == 4000, err
    many = question("x") * 101
    err = refused(lambda: coze.chat.create(bot_id=bots["echo"], user_id=user_id, additional_messages=many))
    assert err.code == 4000, err
    # Limits of meta_data and names.
    err = refused(lambda: coze.conversations.create(meta_data={f"k{i}": "v" for i in range(17)}))
    assert err.code == 4000, err
    # An empty upload is 4300.
    err = refused(lambda: coze.files.upload(file=("empty.txt", b"")))
    assert err.code == 4300, err
    # A body beyond the limit is refused unread with HTTP 413.
    with emulator.http() as http:
        resp = http.post(
            "/v1/conversation/create",
            content=b" " * (4 * 1024 * 1024 + 1),
            headers={"Authorization": f"Bearer {emulator.pat}", "Content-Type": "application/json"},
        )
    assert resp.status_code == 413 and resp.json()["code"] == 4000, resp.text
