"""Time as on Coze, through cozepy, at the emulator's default (realistic) pace: a running chat
keeps its conversation busy (4016), a non-streaming chat is polled through `in_progress`, a
cancel mid-answer keeps the partial answer, an async workflow is polled through `Running`."""

from __future__ import annotations

import time

import pytest
from cozepy import ChatEventType, ChatStatus, CozeAPIError, MessageType
from cozepy.workflows.runs.run_histories import WorkflowExecuteStatus

from support import question


@pytest.fixture
def pcoze(paced_emulator):
    return paced_emulator.client()


def test_a_second_chat_while_the_first_streams_gets_4016(pcoze, paced_emulator, user_id):
    bots = paced_emulator.bots
    stream = pcoze.chat.stream(bot_id=bots["echo"], user_id=user_id, additional_messages=question("first"))
    events = iter(stream)
    created = next(events)
    assert created.event == ChatEventType.CONVERSATION_CHAT_CREATED
    conversation_id = created.chat.conversation_id
    with pytest.raises(CozeAPIError) as refused:
        pcoze.chat.create(
            bot_id=bots["echo"],
            user_id=user_id,
            conversation_id=conversation_id,
            additional_messages=question("second"),
        )
    assert refused.value.code == 4016, refused.value
    rest = list(events)
    assert rest[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED
    # Free again once the first chat is done.
    again = pcoze.chat.create(
        bot_id=bots["echo"], user_id=user_id, conversation_id=conversation_id, additional_messages=question("third")
    )
    assert again.status == ChatStatus.IN_PROGRESS
    pcoze.chat.cancel(conversation_id=conversation_id, chat_id=again.id)


def test_a_non_stream_chat_is_polled_through_in_progress_to_completed(pcoze, paced_emulator, user_id):
    bots = paced_emulator.bots
    chat = pcoze.chat.create(bot_id=bots["echo"], user_id=user_id, additional_messages=question("poll me"))
    assert chat.status == ChatStatus.IN_PROGRESS
    seen = []
    answers_while_running = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        got = pcoze.chat.retrieve(conversation_id=chat.conversation_id, chat_id=chat.id)
        seen.append(got.status)
        if got.status != ChatStatus.IN_PROGRESS:
            break
        listed = pcoze.conversations.messages.list(conversation_id=chat.conversation_id)
        answers_while_running.append([m for m in listed.items if m.type == MessageType.ANSWER])
        time.sleep(0.2)
    assert seen[0] == ChatStatus.IN_PROGRESS, seen
    assert seen[-1] == ChatStatus.COMPLETED, seen
    assert answers_while_running and answers_while_running[0] == [], "no answer before it is produced"
    messages = pcoze.chat.messages.list(conversation_id=chat.conversation_id, chat_id=chat.id)
    assert any(m.type == MessageType.ANSWER and "poll me" in m.content for m in messages)


def test_cancel_mid_answer_keeps_a_partial_answer(pcoze, paced_emulator, user_id):
    bots = paced_emulator.bots
    text = "please write a long answer so that it can be cancelled halfway through"
    stream = pcoze.chat.stream(bot_id=bots["echo"], user_id=user_id, additional_messages=question(text))
    deltas = []
    canceled = None
    completed = []
    for event in stream:
        if event.event == ChatEventType.CONVERSATION_MESSAGE_DELTA:
            deltas.append(event.message.content)
            if len(deltas) == 3 and canceled is None:
                chat = event.message
                canceled = pcoze.chat.cancel(conversation_id=chat.conversation_id, chat_id=chat.chat_id)
        elif event.event == ChatEventType.CONVERSATION_MESSAGE_COMPLETED:
            completed.append(event.message)
        assert event.event != ChatEventType.CONVERSATION_CHAT_COMPLETED, "a cancelled chat must not complete"
    assert canceled is not None and canceled.status == ChatStatus.CANCELED
    partial = "".join(deltas)
    assert completed and completed[-1].type == MessageType.ANSWER
    assert completed[-1].content == partial
    assert partial and not partial.endswith("```"), f"the answer was cut: {partial!r}"
    got = pcoze.chat.retrieve(conversation_id=canceled.conversation_id, chat_id=canceled.id)
    assert got.status == ChatStatus.CANCELED
    kept = pcoze.chat.messages.list(conversation_id=canceled.conversation_id, chat_id=canceled.id)
    assert [m.content for m in kept if m.type == MessageType.ANSWER] == [partial]


def test_an_async_workflow_is_polled_through_running(pcoze, paced_emulator):
    greeting = paced_emulator.info["workflows"]["greeting"]
    started = pcoze.workflows.runs.create(workflow_id=greeting, parameters={"input": "Ada"}, is_async=True)
    statuses = []
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        history = pcoze.workflows.runs.run_histories.retrieve(workflow_id=greeting, execute_id=started.execute_id)
        statuses.append(history.execute_status)
        if history.execute_status != WorkflowExecuteStatus.RUNNING:
            break
        time.sleep(0.2)
    assert statuses[0] == WorkflowExecuteStatus.RUNNING, statuses
    assert statuses[-1] == WorkflowExecuteStatus.SUCCESS, statuses
    assert "Hello, Ada!" in history.output
