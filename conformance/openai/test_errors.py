"""Bad input and upstream failures: one clear error in OpenAI's shape each."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import openai
import pytest


def uniq(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def post(gateway, body, *, key=None, content=None, headers=None):
    with gateway.http() as http:
        return http.post(
            "/v1/chat/completions",
            json=body if content is None else None,
            content=content,
            headers={"Authorization": f"Bearer {key or gateway.api_key}", **(headers or {})},
        )


def error_of(resp, status):
    assert resp.status_code == status, (resp.status_code, resp.text)
    body = resp.json()
    err = body["error"]
    assert set(err) == {"message", "type", "param", "code"}, body
    assert isinstance(err["message"], str) and len(err["message"].splitlines()) == 1
    return err


def test_not_json(gateway):
    err = error_of(post(gateway, None, content=b"{not json", headers={"Content-Type": "application/json"}), 400)
    assert err["type"] == "invalid_request_error" and err["code"] == "invalid_json"


@pytest.mark.parametrize(
    "body,param",
    [
        ({"model": 5, "messages": [{"role": "user", "content": "x"}]}, "model"),
        ({"model": "echo", "messages": "hello"}, "messages"),
        ({"model": "echo", "messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ({"model": "echo", "messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ({"model": "echo", "messages": [{"role": "user", "content": "x"}], "stream": "yes"}, "stream"),
    ],
)
def test_wrong_types_name_the_field(gateway, body, param):
    err = error_of(post(gateway, body), 400)
    assert err["param"] == param, err


def test_unknown_model(client):
    with pytest.raises(openai.NotFoundError) as e:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert e.value.code == "model_not_found"
    assert "echo" in e.value.message


def test_no_messages(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="echo", messages=[])
    assert e.value.param == "messages"


def test_empty_message(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="echo", messages=[{"role": "user", "content": "   "}])
    assert e.value.param == "messages[0].content"
    assert "empty" in e.value.message


def test_ten_megabyte_body_is_refused_with_413(gateway):
    big = b'{"model":"echo","messages":[{"role":"user","content":"' + b"x" * (10 * 1024 * 1024) + b'"}]}'
    err = error_of(post(gateway, None, content=big, headers={"Content-Type": "application/json"}), 413)
    assert err["code"] == "request_too_large"


def test_tool_message_without_a_pending_call(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(
            model="tool",
            user=uniq("u"),
            messages=[
                {"role": "user", "content": "Paris"},
                {"role": "assistant", "content": None, "tool_calls": [
                    {"id": "call_made_up", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}]},
                {"role": "tool", "tool_call_id": "call_made_up", "content": "sunny"},
            ],
        )
    assert e.value.code == "tool_call_not_found"
    assert "call_made_up" in e.value.message


def test_wrong_and_missing_key(gateway):
    with gateway.client(api_key="sk-cz-0000000000000000-" + "0" * 64) as c:
        with pytest.raises(openai.AuthenticationError):
            c.models.list()
    err = error_of(post(gateway, {"model": "echo", "messages": []}, key="nope"), 401)
    assert err["type"] == "authentication_error"
    with gateway.http() as http:
        err = error_of(http.get("/v1/models"), 401)


def test_unpublished_bot_says_what_to_do(client, gateway):
    if "unpublished" not in gateway.models:
        pytest.skip("no `unpublished` model configured")
    with pytest.raises(openai.APIStatusError) as e:
        client.chat.completions.create(model="unpublished", messages=[{"role": "user", "content": "hi"}])
    assert e.value.status_code == 502 and e.value.code == "coze_4015"
    assert "Publish > API" in e.value.message


def test_failing_bot(client):
    with pytest.raises(openai.APIStatusError) as e:
        client.chat.completions.create(model="failing", messages=[{"role": "user", "content": "hi"}], user=uniq("u"))
    assert e.value.status_code == 502 and e.value.code == "coze_5000"
    with pytest.raises(openai.APIError) as e:
        for _ in client.chat.completions.create(
            model="failing", messages=[{"role": "user", "content": "hi"}], user=uniq("u"), stream=True
        ):
            pass
    assert e.value.code == "coze_5000"


def test_coze_rate_limit_is_429_with_retry_after(fresh_gateway):
    fresh_gateway.set_faults({"rate_limit": {"count": 1, "retry_after": 7, "path_prefix": "/v3/chat"}})
    with fresh_gateway.client() as c:
        with pytest.raises(openai.RateLimitError) as e:
            c.chat.completions.create(model="echo", messages=[{"role": "user", "content": "hi"}])
    assert e.value.response.headers["retry-after"] == "7"
    assert e.value.code == "coze_4013"


def test_upstream_error_event_mid_stream(fresh_gateway):
    fresh_gateway.set_faults({"error_event": {"after_events": 4, "code": 5000, "msg": "kaboom"}})
    got = []
    with fresh_gateway.client() as c:
        with pytest.raises(openai.APIError) as e:
            for chunk in c.chat.completions.create(
                model="echo", messages=[{"role": "user", "content": "one two three four five six"}], stream=True
            ):
                got.append(chunk)
    assert e.value.code == "coze_5000"
    assert "kaboom" in e.value.message
    assert got, "what arrived before the error was delivered"


def test_upstream_error_event_before_anything_is_an_http_error(fresh_gateway):
    fresh_gateway.set_faults({"error_event": {"after_events": 0, "code": 5000, "msg": "down"}})
    with fresh_gateway.client() as c:
        with pytest.raises(openai.APIStatusError) as e:
            c.chat.completions.create(model="echo", messages=[{"role": "user", "content": "x"}], stream=True)
    assert e.value.status_code == 502 and e.value.code == "coze_5000"


def test_cut_upstream_stream(fresh_gateway):
    fresh_gateway.set_faults({"cut_after_events": 4})
    text = ""
    with fresh_gateway.client() as c:
        with pytest.raises(openai.APIError) as e:
            for chunk in c.chat.completions.create(
                model="echo", messages=[{"role": "user", "content": "a b c d e f g h"}], stream=True
            ):
                if chunk.choices:
                    text += chunk.choices[0].delta.content or ""
        assert e.value.code == "coze_stream_cut"
        assert text, "the partial answer was delivered"
        # Non-streaming: the same cut is one 502.
        with pytest.raises(openai.APIStatusError) as e:
            c.chat.completions.create(model="echo", messages=[{"role": "user", "content": "a b c d e f g h"}])
        assert e.value.status_code == 502 and e.value.code == "coze_stream_cut"


def test_busy_conversation_is_409_with_advice(fresh_gateway):
    with fresh_gateway.client() as c:
        user = uniq("u")
        raw = c.chat.completions.with_raw_response.create(model="echo", messages=[{"role": "user", "content": "hi"}], user=user)
        conv = raw.headers["x-coze-conversation-id"]
        fresh_gateway.set_faults({"event_delay_ms": 300})
        stream = c.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "slow"}], user=user,
            extra_body={"coze": {"conversation_id": conv}}, stream=True)
        next(iter(stream))
        with pytest.raises(openai.ConflictError) as e:
            c.chat.completions.create(
                model="echo", messages=[{"role": "user", "content": "again"}], user=user,
                extra_body={"coze": {"conversation_id": conv}})
        assert e.value.code == "coze_4016"
        assert "wait for the previous answer" in e.value.message
        stream.close()


def test_client_disconnect_cancels_the_coze_chat(fresh_gateway):
    fresh_gateway.set_faults({"event_delay_ms": 400})
    with fresh_gateway.client() as c:
        raw = c.chat.completions.with_raw_response.create(
            model="echo", messages=[{"role": "user", "content": "a long answer please"}], stream=True, user=uniq("u"))
        conv, chat = raw.headers["x-coze-conversation-id"], raw.headers["x-coze-chat-id"]
        stream = raw.parse()
        next(iter(stream))
        stream.close()
    deadline = time.time() + 10
    status = None
    while time.time() < deadline:
        status = fresh_gateway.coze_get("/v3/chat/retrieve", {"conversation_id": conv, "chat_id": chat})["status"]
        if status == "canceled":
            break
        time.sleep(0.2)
    assert status == "canceled"
