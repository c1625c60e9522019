"""Small helpers shared by the conformance tests."""

from __future__ import annotations

import time
from typing import Callable, List, TypeVar

from cozepy import ChatEvent, ChatEventType, Message, MessageType

T = TypeVar("T")


def question(text: str) -> List[Message]:
    """`additional_messages` holding one user question."""
    return [Message.build_user_question_text(text)]


def chat(coze, bot_id: str, user_id: str, text: str, **kwargs) -> List[ChatEvent]:
    """Streams one question to `bot_id`; every event cozepy yields."""
    return list(coze.chat.stream(bot_id=bot_id, user_id=user_id, additional_messages=question(text), **kwargs))


def kinds(events: List[ChatEvent]) -> List[ChatEventType]:
    return [e.event for e in events]


def answer_deltas(events: List[ChatEvent]) -> List[Message]:
    return [
        e.message
        for e in events
        if e.event == ChatEventType.CONVERSATION_MESSAGE_DELTA and e.message and e.message.type == MessageType.ANSWER
    ]


def completed_messages(events: List[ChatEvent], type_: MessageType) -> List[Message]:
    return [
        e.message
        for e in events
        if e.event == ChatEventType.CONVERSATION_MESSAGE_COMPLETED and e.message and e.message.type == type_
    ]


def only(items: List[T], what: str) -> T:
    assert len(items) == 1, f"expected exactly one {what}, got {len(items)}: {items}"
    return items[0]


def poll(fetch: Callable[[], T], done: Callable[[T], bool], timeout_s: float = 20.0, interval_s: float = 0.2) -> T:
    """Call `fetch` until `done(result)`; fail with the last result after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    last = fetch()
    while not done(last):
        if time.monotonic() > deadline:
            raise AssertionError(f"still not done after {timeout_s}s: {last}")
        time.sleep(interval_s)
        last = fetch()
    return last
