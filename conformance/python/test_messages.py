"""Conversation messages through cozepy: create, list (LastIDPaged), retrieve, modify, delete."""

from __future__ import annotations

import pytest
from cozepy import CozeAPIError, MessageContentType, MessageRole, MessageType


@pytest.fixture
def conv(coze, bots):
    return coze.conversations.create(bot_id=bots["echo"])


def add(coze, conv, text, role=MessageRole.USER, meta=None):
    return coze.conversations.messages.create(
        conversation_id=conv.id, role=role, content=text, content_type=MessageContentType.TEXT, meta_data=meta
    )


def test_create_and_retrieve(coze, conv):
    msg = add(coze, conv, "a user note", meta={"source": "conformance"})
    assert msg.id.isdigit()
    assert (msg.conversation_id, msg.role, msg.content) == (conv.id, MessageRole.USER, "a user note")
    assert msg.type == MessageType.QUESTION, "a user message defaults to type question"
    assert msg.content_type == MessageContentType.TEXT
    assert msg.meta_data == {"source": "conformance"}
    assert isinstance(msg.created_at, int) and msg.created_at > 1_600_000_000
    assert msg.section_id == conv.last_section_id

    got = coze.conversations.messages.retrieve(conversation_id=conv.id, message_id=msg.id)
    assert (got.id, got.content, got.meta_data) == (msg.id, msg.content, msg.meta_data)
    assert got.response.logid


def test_assistant_message_defaults_to_answer(coze, conv):
    msg = add(coze, conv, "an assistant note", role=MessageRole.ASSISTANT)
    assert msg.role == MessageRole.ASSISTANT and msg.type == MessageType.ANSWER


def test_list_pages_with_the_cursor_iterator(coze, conv):
    created = [add(coze, conv, f"message {i}").id for i in range(7)]

    # cozepy asks for the next page with before_id=null, after_id=<last_id of the previous page>.
    paged = coze.conversations.messages.list(conversation_id=conv.id, limit=3)
    pages = list(paged.iter_pages())
    assert [len(p.items) for p in pages] == [3, 3, 1]
    assert [p.has_more for p in pages] == [True, True, False]
    assert pages[0].first_id == pages[0].items[0].id and pages[0].last_id == pages[0].items[-1].id
    ids = [m.id for p in pages for m in p.items]
    assert ids == list(reversed(created)), "default order is newest first, with no gaps or repeats"

    assert [m.id for m in coze.conversations.messages.list(conversation_id=conv.id, limit=3)] == ids


def test_list_ascending(coze, conv):
    created = [add(coze, conv, f"asc {i}").id for i in range(5)]
    ids = [m.id for m in coze.conversations.messages.list(conversation_id=conv.id, order="asc", limit=2)]
    assert ids == created


def test_list_of_an_empty_conversation(coze, conv):
    paged = coze.conversations.messages.list(conversation_id=conv.id)
    assert paged.items == [] and paged.has_more is False


def test_modify(coze, conv):
    msg = add(coze, conv, "original")
    # The modify response carries the message under `message`, not `data`.
    modified = coze.conversations.messages.update(
        conversation_id=conv.id, message_id=msg.id, content="edited", meta_data={"edited": "yes"}
    )
    assert (modified.id, modified.content, modified.meta_data) == (msg.id, "edited", {"edited": "yes"})
    got = coze.conversations.messages.retrieve(conversation_id=conv.id, message_id=msg.id)
    assert got.content == "edited"
    assert got.updated_at >= msg.updated_at


def test_delete(coze, conv):
    keep = add(coze, conv, "keep me")
    gone = add(coze, conv, "delete me")
    deleted = coze.conversations.messages.delete(conversation_id=conv.id, message_id=gone.id)
    assert (deleted.id, deleted.content) == (gone.id, "delete me")
    with pytest.raises(CozeAPIError) as err:
        coze.conversations.messages.retrieve(conversation_id=conv.id, message_id=gone.id)
    assert err.value.code > 0 and err.value.logid
    assert [m.id for m in coze.conversations.messages.list(conversation_id=conv.id)] == [keep.id]
