"""Raw wire checks that cozepy is too lenient to make but the Go and JS SDKs depend on
(docs/wire-format.md: responses, event streams, codes): exact SSE framing, envelopes, logids,
status codes."""

from __future__ import annotations

import json
import re

import pytest

LOGID = re.compile(r"^\d{14}[0-9A-F]{20}$")


@pytest.fixture
def http(emulator):
    with emulator.http() as client:
        client.headers["Authorization"] = f"Bearer {emulator.pat}"
        yield client


def chat_body(bot_id, text="wire check", stream=True):
    return {
        "bot_id": bot_id,
        "user_id": "wire-user",
        "stream": stream,
        "additional_messages": [{"role": "user", "content": text, "content_type": "text"}],
    }


def sse_blocks(text):
    assert text.endswith("\n\n"), "the stream must end with a blank line (js treats a tail as an error)"
    return [block.split("\n") for block in text[:-2].split("\n\n")]


def test_chat_stream_framing(http, emulator):
    resp = http.post("/v3/chat", params={"conversation_id": ""}, json=chat_body(emulator.bots["echo"]))
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    assert LOGID.match(resp.headers["x-tt-logid"]), resp.headers["x-tt-logid"]
    blocks = sse_blocks(resp.text)
    for lines in blocks:
        # go reads the data line immediately after the event line; py allows nothing else.
        assert len(lines) == 2 and lines[0].startswith("event:") and lines[1].startswith("data:"), lines
        json.loads(lines[1][len("data:") :])
    assert blocks[-1] == ["event:done", 'data:"[DONE]"']
    names = [lines[0][len("event:") :] for lines in blocks]
    assert names[0] == "conversation.chat.created" and names[-2] == "conversation.chat.completed"


def test_chat_objects_use_string_ids_and_integer_times(http, emulator):
    resp = http.post("/v3/chat", json=chat_body(emulator.bots["echo"]))
    chats = [json.loads(l[1][5:]) for l in sse_blocks(resp.text) if l[0] == "event:conversation.chat.completed"]
    (chat,) = chats
    assert isinstance(chat["id"], str) and chat["id"].isdigit()
    assert isinstance(chat["conversation_id"], str) and isinstance(chat["bot_id"], str)
    assert isinstance(chat["created_at"], int) and isinstance(chat["completed_at"], int)
    assert chat["last_error"] == {"code": 0, "msg": ""}
    assert all(isinstance(v, int) for v in chat["usage"].values())


def test_workflow_stream_framing(http, emulator):
    workflow_id = emulator.info["workflows"]["greeting"]
    resp = http.post("/v1/workflow/stream_run", json={"workflow_id": workflow_id, "parameters": {"input": "x"}})
    assert resp.headers["content-type"].startswith("text/event-stream")
    blocks = sse_blocks(resp.text)
    for index, lines in enumerate(blocks):
        # go reads id, event and data positionally.
        assert [l.split(":", 1)[0] for l in lines] == ["id", "event", "data"], lines
        assert int(lines[0].split(":", 1)[1]) == index
        json.loads(lines[2].split(":", 1)[1])
    assert blocks[-1][1].split(":", 1)[1].strip() == "Done"


def test_retrieve_accepts_get_and_post(http, emulator):
    chat = http.post("/v3/chat", json=chat_body(emulator.bots["echo"], stream=False)).json()["data"]
    params = {"conversation_id": chat["conversation_id"], "chat_id": chat["id"]}
    by_post = http.post("/v3/chat/retrieve", params=params)  # py and js, no body
    by_get = http.get("/v3/chat/retrieve", params=params)  # docs and go
    assert by_post.json()["data"]["id"] == by_get.json()["data"]["id"] == chat["id"]


def test_error_envelope_and_status(emulator):
    with emulator.http() as http:
        resp = http.post("/v3/chat", json=chat_body(emulator.bots["echo"]), headers={"Authorization": "Bearer nope"})
    assert resp.status_code == 401
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["code"] == 4100 and body["msg"]
    assert body["detail"]["logid"] == resp.headers["x-tt-logid"]


def test_message_list_and_modify_use_their_own_envelopes(http, emulator):
    conv = http.post("/v1/conversation/create", json={}).json()["data"]
    msg = http.post(
        "/v1/conversation/message/create",
        params={"conversation_id": conv["id"]},
        json={"role": "user", "content": "hi", "content_type": "text"},
    ).json()["data"]
    listed = http.post("/v1/conversation/message/list", params={"conversation_id": conv["id"]}, json={}).json()
    assert listed["code"] == 0 and [m["id"] for m in listed["data"]] == [msg["id"]]
    assert {"first_id", "last_id", "has_more"} <= set(listed)
    modified = http.post(
        "/v1/conversation/message/modify",
        params={"conversation_id": conv["id"], "message_id": msg["id"]},
        json={"content": "edited"},
    ).json()
    assert modified["message"]["content"] == "edited"
