"""Error cases as cozepy surfaces them: envelope codes, logids, JSON errors in place of streams."""

from __future__ import annotations

import pytest
from cozepy import ChatEventType, ChatStatus, CozeAPIError

from support import kinds, only, poll, question


def test_wrong_token_is_4100_with_logid(emulator, bots, user_id):
    coze = emulator.client(token="pat_wrong_" + "x" * 20)
    with pytest.raises(CozeAPIError) as err:
        coze.chat.create(bot_id=bots["echo"], user_id=user_id, additional_messages=question("hi"))
    assert err.value.code == 4100
    assert err.value.msg
    assert err.value.logid, "the X-Tt-Logid header must be set on error responses too"
    assert f"logid: {err.value.logid}" in str(err.value)


def test_wrong_token_on_a_stream_is_a_json_error(emulator, bots, user_id):
    coze = emulator.client(token="pat_wrong")
    with pytest.raises(CozeAPIError) as err:
        list(coze.chat.stream(bot_id=bots["echo"], user_id=user_id, additional_messages=question("hi")))
    assert err.value.code == 4100


def test_wrong_token_on_a_list_is_4100(emulator, bots):
    coze = emulator.client(token="pat_wrong")
    with pytest.raises(CozeAPIError) as err:
        coze.conversations.list(bot_id=bots["echo"])
    assert err.value.code == 4100


def test_unpublished_bot_is_4015(coze, bots, user_id):
    with pytest.raises(CozeAPIError) as err:
        coze.chat.create(bot_id=bots["unpublished"], user_id=user_id, additional_messages=question("hi"))
    assert err.value.code == 4015
    assert err.value.logid


def test_unpublished_bot_stream_gets_a_json_error_instead_of_a_stream(coze, bots, user_id):
    # The error arrives as application/json where the SDK asked for a stream; cozepy must raise.
    with pytest.raises(CozeAPIError) as err:
        list(coze.chat.stream(bot_id=bots["unpublished"], user_id=user_id, additional_messages=question("hi")))
    assert err.value.code == 4015
    assert err.value.logid


def test_unknown_bot_is_4200(coze, user_id):
    with pytest.raises(CozeAPIError) as err:
        coze.chat.stream(bot_id="7000000000000000001", user_id=user_id, additional_messages=question("hi"))
    assert err.value.code == 4200
    assert err.value.logid


def test_failing_bot_streams_chat_failed_with_5000(coze, bots, user_id):
    events = list(coze.chat.stream(bot_id=bots["failing"], user_id=user_id, additional_messages=question("hi")))
    assert ChatEventType.UNKNOWN not in kinds(events)
    assert events[0].event == ChatEventType.CONVERSATION_CHAT_CREATED
    failed = only([e for e in events if e.event == ChatEventType.CONVERSATION_CHAT_FAILED], "chat.failed event")
    assert events[-1] is failed
    assert failed.chat.status == ChatStatus.FAILED
    assert failed.chat.last_error.code == 5000
    assert failed.chat.last_error.msg
    assert failed.chat.failed_at is not None


def test_failing_bot_polled_ends_failed(coze, bots, user_id):
    result = coze.chat.create_and_poll(bot_id=bots["failing"], user_id=user_id, additional_messages=question("hi"))
    assert result.chat.status == ChatStatus.FAILED
    assert result.chat.last_error.code == 5000


def test_second_chat_in_a_busy_conversation_is_4016(coze, bots, user_id):
    conv = coze.conversations.create(bot_id=bots["echo"])
    first = coze.chat.create(
        bot_id=bots["echo"], user_id=user_id, conversation_id=conv.id, additional_messages=question("one")
    )
    assert first.status == ChatStatus.IN_PROGRESS
    with pytest.raises(CozeAPIError) as err:
        coze.chat.create(bot_id=bots["echo"], user_id=user_id, conversation_id=conv.id, additional_messages=question("hi"))
    assert err.value.code == 4016
    # Once the first chat is over the conversation takes new chats again.
    poll(
        lambda: coze.chat.retrieve(conversation_id=conv.id, chat_id=first.id),
        lambda c: c.status != ChatStatus.IN_PROGRESS,
    )
    events = list(
        coze.chat.stream(bot_id=bots["echo"], user_id=user_id, conversation_id=conv.id, additional_messages=question("hi"))
    )
    assert events[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED


def test_unknown_conversation_is_an_error(coze):
    with pytest.raises(CozeAPIError) as err:
        coze.conversations.retrieve(conversation_id="7000000000000000002")
    assert err.value.code and err.value.code > 0
    assert err.value.logid
