"""What cozepy sees when the emulator's fault injection is on (POST /_emulator/faults).

Each test has an emulator of its own, so a fault can never leak into another test.
"""

from __future__ import annotations

import threading

import httpx
import pytest
from cozepy import ChatEventType, ChatStatus, CozeAPIError, Message


def stream_echo(coze, emu, user_id, conversation_id=None):
    return coze.chat.stream(
        bot_id=emu.bots["echo"],
        user_id=user_id,
        conversation_id=conversation_id,
        additional_messages=[Message.build_user_question_text("faulty stream")],
    )


def drain(stream):
    """Events received before the stream raised, and what it raised."""
    got = []
    with pytest.raises(Exception) as err:
        for event in stream:
            got.append(event)
    return got, err.value


def test_error_event_mid_stream_raises_after_the_events_before_it(fresh_emulator, user_id):
    fresh_emulator.set_faults({"error_event": {"after_events": 3, "code": 5000, "msg": "boom from the test"}})
    coze = fresh_emulator.client()
    got, err = drain(stream_echo(coze, fresh_emulator, user_id))
    assert len(got) == 3
    assert got[0].event == ChatEventType.CONVERSATION_CHAT_CREATED
    # cozepy 0.20.0 raises a bare Exception("error event: <data>") (chat/__init__.py, _chat_stream_handler).
    assert str(err).startswith("error event: ")
    assert "boom from the test" in str(err) and "5000" in str(err)


def test_connection_cut_mid_stream_keeps_the_events_that_arrived(fresh_emulator, user_id):
    fresh_emulator.set_faults({"cut_after_events": 4})
    coze = fresh_emulator.client()
    got, err = drain(stream_echo(coze, fresh_emulator, user_id))
    assert len(got) == 4
    assert isinstance(err, httpx.HTTPError), f"expected a transport error, got {type(err)}: {err}"


def test_rate_limit_is_4013(fresh_emulator, user_id):
    fresh_emulator.set_faults({"rate_limit": {"count": 1, "retry_after": 3, "path_prefix": "/v3/chat"}})
    coze = fresh_emulator.client()
    with pytest.raises(CozeAPIError) as err:
        stream_echo(coze, fresh_emulator, user_id)
    assert err.value.code == 4013 and err.value.logid
    # count=1: the next request goes through.
    events = list(stream_echo(coze, fresh_emulator, user_id))
    assert events[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED


def test_server_error_is_a_coze_api_error(fresh_emulator):
    fresh_emulator.set_faults({"server_error": {"count": 1, "status": 503}})
    coze = fresh_emulator.client()
    with pytest.raises(CozeAPIError) as err:
        coze.conversations.create()
    assert err.value.code == 5000 and err.value.msg


def test_html_error_page_becomes_an_error_with_the_http_status(fresh_emulator):
    fresh_emulator.set_faults({"html_error": {"count": 1, "status": 502}})
    coze = fresh_emulator.client()
    with pytest.raises(CozeAPIError) as err:
        coze.conversations.create()
    # cozepy: a body that is not JSON -> CozeAPIError(code=<HTTP status>, msg=<raw text>) (request.py).
    assert err.value.code == 502
    assert "<" in err.value.msg


def test_a_slow_stream_keeps_its_conversation_busy(fresh_emulator, user_id):
    fresh_emulator.set_faults({"event_delay_ms": 150})
    coze = fresh_emulator.client()
    conv = coze.conversations.create(bot_id=fresh_emulator.bots["echo"])
    stream = stream_echo(coze, fresh_emulator, user_id, conversation_id=conv.id)
    first = next(iter(stream))
    assert first.event == ChatEventType.CONVERSATION_CHAT_CREATED

    rest = []
    reader = threading.Thread(target=lambda: rest.extend(stream), daemon=True)
    reader.start()
    with pytest.raises(CozeAPIError) as err:
        stream_echo(coze, fresh_emulator, user_id, conversation_id=conv.id)
    assert err.value.code == 4016
    reader.join(timeout=30)
    assert rest and rest[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED
    assert rest[-1].chat.status == ChatStatus.COMPLETED


def test_faults_can_be_read_back_and_switched_off(fresh_emulator):
    fresh_emulator.set_faults({"event_delay_ms": 5})
    with fresh_emulator.http() as http:
        assert http.get("/_emulator/faults").json()["event_delay_ms"] == 5
        assert http.delete("/_emulator/faults").status_code == 200
        assert http.get("/_emulator/faults").json()["event_delay_ms"] == 0
