"""cozepy's async client: its own SSE parser (AsyncStream) and pagers must accept the emulator too."""

from __future__ import annotations

import asyncio

from cozepy import (
    AsyncCoze,
    AsyncHTTPClient,
    AsyncTokenAuth,
    ChatEventType,
    Message,
    MessageContentType,
    MessageRole,
    MessageType,
)

from conftest import REQUEST_TIMEOUT
from support import completed_messages, only


def async_client(emulator) -> AsyncCoze:
    http = AsyncHTTPClient(timeout=REQUEST_TIMEOUT, trust_env=False)
    return AsyncCoze(auth=AsyncTokenAuth(emulator.pat), base_url=emulator.base_url, http_client=http)


def test_async_stream(emulator, user_id):
    async def run():
        coze = async_client(emulator)
        # The async stream() is an async generator: iterate it, no await.
        stream = coze.chat.stream(
            bot_id=emulator.bots["echo"],
            user_id=user_id,
            additional_messages=[Message.build_user_question_text("async hello")],
        )
        return [event async for event in stream]

    events = asyncio.run(run())
    assert events[0].event == ChatEventType.CONVERSATION_CHAT_CREATED
    assert events[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED
    assert ChatEventType.UNKNOWN not in {e.event for e in events}
    deltas = [e.message.content for e in events if e.event == ChatEventType.CONVERSATION_MESSAGE_DELTA]
    answer = only(completed_messages(events, MessageType.ANSWER), "answer")
    assert "".join(deltas) == answer.content and "async hello" in answer.content


def test_async_pagers(emulator):
    async def run():
        coze = async_client(emulator)
        bot = emulator.bots["echo"]
        created = {(await coze.conversations.create(bot_id=bot)).id for _ in range(3)}
        paged = await coze.conversations.list(bot_id=bot, page_size=2)
        listed = [c.id async for c in paged]

        conv = await coze.conversations.create(bot_id=bot)
        ids = []
        for i in range(5):
            msg = await coze.conversations.messages.create(
                conversation_id=conv.id, role=MessageRole.USER, content=f"m{i}", content_type=MessageContentType.TEXT
            )
            ids.append(msg.id)
        pages = await coze.conversations.messages.list(conversation_id=conv.id, limit=2)
        messages = [m.id async for m in pages]
        return created, listed, ids, messages

    created, listed, ids, messages = asyncio.run(run())
    assert created <= set(listed) and len(listed) == len(set(listed))
    assert messages == list(reversed(ids))
