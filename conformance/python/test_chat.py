"""Chat v3 through cozepy: streaming, polling, retrieve, chat messages, cancel, multimodal input."""

from __future__ import annotations

import json

import pytest
from cozepy import (
    ChatEventType,
    ChatStatus,
    CozeAPIError,
    Message,
    MessageObjectString,
    MessageRole,
    MessageType,
)

from support import answer_deltas, completed_messages, kinds, only, poll

KNOWN_EVENTS = {
    ChatEventType.CONVERSATION_CHAT_CREATED,
    ChatEventType.CONVERSATION_CHAT_IN_PROGRESS,
    ChatEventType.CONVERSATION_MESSAGE_DELTA,
    ChatEventType.CONVERSATION_MESSAGE_COMPLETED,
    ChatEventType.CONVERSATION_CHAT_COMPLETED,
}


def stream_echo(coze, bots, user_id, text, conversation_id=None):
    stream = coze.chat.stream(
        bot_id=bots["echo"],
        user_id=user_id,
        additional_messages=[Message.build_user_question_text(text)],
        conversation_id=conversation_id,
    )
    return stream, list(stream)


def test_stream_deltas_concatenate_to_the_completed_answer(coze, bots, user_id):
    text = "hello conformance, streaming please"
    stream, events = stream_echo(coze, bots, user_id, text)

    assert stream.response.logid, "X-Tt-Logid header missing on the stream response"
    assert set(kinds(events)) <= KNOWN_EVENTS, f"cozepy typed some events as unknown: {kinds(events)}"
    assert events[0].event == ChatEventType.CONVERSATION_CHAT_CREATED
    assert events[0].chat.status == ChatStatus.CREATED
    assert events[1].event == ChatEventType.CONVERSATION_CHAT_IN_PROGRESS
    assert events[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED

    deltas = answer_deltas(events)
    assert len(deltas) >= 2, "the echo bot should stream its answer in several deltas"
    answer = only(completed_messages(events, MessageType.ANSWER), "completed answer")
    assert "".join(d.content for d in deltas) == answer.content
    assert {d.id for d in deltas} == {answer.id}, "deltas and the completed answer must share one message id"
    assert text in answer.content
    assert answer.role == MessageRole.ASSISTANT

    chat = events[0].chat
    for e in events:
        if e.chat is not None:
            assert (e.chat.id, e.chat.conversation_id) == (chat.id, chat.conversation_id)
        if e.message is not None:
            assert e.message.chat_id == chat.id
            assert e.message.conversation_id == chat.conversation_id
            assert e.message.bot_id == bots["echo"]

    verbose = only(completed_messages(events, MessageType.VERBOSE), "verbose message")
    assert json.loads(verbose.content)["msg_type"] == "generate_answer_finish"
    assert completed_messages(events, MessageType.FOLLOW_UP), "the echo bot should suggest follow-ups"

    done = events[-1].chat
    assert done.status == ChatStatus.COMPLETED
    assert done.usage is not None and done.usage.token_count > 0
    assert done.usage.token_count == done.usage.input_count + done.usage.output_count
    assert done.last_error is not None and done.last_error.code == 0


def test_stream_in_an_existing_conversation_stays_in_it(coze, bots, user_id):
    conv = coze.conversations.create(bot_id=bots["echo"])
    _, events = stream_echo(coze, bots, user_id, "first turn", conversation_id=conv.id)
    assert events[0].chat.conversation_id == conv.id
    _, events = stream_echo(coze, bots, user_id, "second turn", conversation_id=conv.id)
    assert events[-1].chat.conversation_id == conv.id
    assert events[-1].chat.status == ChatStatus.COMPLETED

    texts = [m.content for m in coze.conversations.messages.list(conversation_id=conv.id)]
    assert "first turn" in texts and "second turn" in texts, texts


def test_create_answers_in_progress_then_completes_on_retrieve(coze, bots, user_id):
    chat = coze.chat.create(
        bot_id=bots["echo"],
        user_id=user_id,
        additional_messages=[Message.build_user_question_text("poll me")],
    )
    assert chat.status == ChatStatus.IN_PROGRESS
    assert chat.response.logid

    done = poll(
        lambda: coze.chat.retrieve(conversation_id=chat.conversation_id, chat_id=chat.id),
        lambda c: c.status != ChatStatus.IN_PROGRESS,
    )
    assert done.status == ChatStatus.COMPLETED
    assert done.id == chat.id
    assert done.completed_at is not None and done.completed_at >= chat.created_at


def test_create_and_poll(coze, bots, user_id):
    text = "create and poll, please"
    result = coze.chat.create_and_poll(
        bot_id=bots["echo"],
        user_id=user_id,
        additional_messages=[Message.build_user_question_text(text)],
        meta_data={"suite": "conformance"},
    )
    assert result.chat.status == ChatStatus.COMPLETED
    assert result.chat.meta_data == {"suite": "conformance"}
    assert result.chat.usage.output_count > 0
    answer = only([m for m in result.messages if m.type == MessageType.ANSWER], "answer")
    assert text in answer.content
    assert answer.chat_id == result.chat.id
    types = {m.type for m in result.messages}
    assert MessageType.QUESTION not in types, "chat message list must not contain the user query"
    assert MessageType.VERBOSE in types and MessageType.FOLLOW_UP in types, types


def test_retrieve_and_chat_messages_after_a_stream(coze, bots, user_id):
    _, events = stream_echo(coze, bots, user_id, "retrieve me later")
    chat = events[-1].chat
    answer = only(completed_messages(events, MessageType.ANSWER), "answer")

    # cozepy sends POST /v3/chat/retrieve with query parameters and no body.
    got = coze.chat.retrieve(conversation_id=chat.conversation_id, chat_id=chat.id)
    assert got.status == ChatStatus.COMPLETED
    assert (got.id, got.conversation_id, got.bot_id) == (chat.id, chat.conversation_id, bots["echo"])
    assert got.usage.token_count == chat.usage.token_count

    listed = coze.chat.messages.list(conversation_id=chat.conversation_id, chat_id=chat.id)
    assert listed.response.logid
    answers = [m for m in listed if m.type == MessageType.ANSWER]
    assert [(m.id, m.content) for m in answers] == [(answer.id, answer.content)]


def test_cancel_a_running_chat(coze, bots, user_id):
    chat = coze.chat.create(
        bot_id=bots["echo"],
        user_id=user_id,
        additional_messages=[Message.build_user_question_text("cancel me")],
    )
    assert chat.status == ChatStatus.IN_PROGRESS
    canceled = coze.chat.cancel(conversation_id=chat.conversation_id, chat_id=chat.id)
    assert canceled.id == chat.id
    assert canceled.status == ChatStatus.CANCELED
    again = coze.chat.retrieve(conversation_id=chat.conversation_id, chat_id=chat.id)
    assert again.status == ChatStatus.CANCELED


def test_cancel_a_completed_chat_is_refused_with_4104(coze, bots, user_id):
    # cozepy's create_and_poll relies on 4104 to tell "cannot cancel any more" from real errors.
    _, events = stream_echo(coze, bots, user_id, "already done")
    chat = events[-1].chat
    with pytest.raises(CozeAPIError) as err:
        coze.chat.cancel(conversation_id=chat.conversation_id, chat_id=chat.id)
    assert err.value.code == 4104
    assert err.value.logid


def test_multimodal_object_string_question(coze, bots, user_id):
    # cozepy serialises object_string content with json.dumps: spaces and explicit nulls.
    question = Message.build_user_question_objects(
        [
            MessageObjectString.build_text("describe this picture"),
            MessageObjectString.build_image(file_url="https://example.com/cat.png"),
        ]
    )
    assert '"file_id": null' in question.content
    stream = coze.chat.stream(bot_id=bots["echo"], user_id=user_id, additional_messages=[question])
    events = list(stream)
    assert events[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED
    answer = only(completed_messages(events, MessageType.ANSWER), "answer")
    assert "describe this picture" in answer.content


def test_hand_built_message_with_empty_type_counts_as_a_question(coze, bots, user_id):
    # Message(...) without a type dumps `"type": ""` plus explicit nulls for every optional field.
    question = Message(role=MessageRole.USER, content="typed by hand", content_type="text")
    assert question.model_dump()["type"] == ""
    events = list(coze.chat.stream(bot_id=bots["echo"], user_id=user_id, additional_messages=[question]))
    assert events[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED
    assert "typed by hand" in only(completed_messages(events, MessageType.ANSWER), "answer").content
    listed = coze.conversations.messages.list(conversation_id=events[-1].chat.conversation_id)
    stored = only([m for m in listed if m.role == MessageRole.USER], "stored question")
    assert stored.type == MessageType.QUESTION
