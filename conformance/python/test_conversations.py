"""Conversations through cozepy: create, retrieve, list (NumberPaged), update, delete, clear."""

from __future__ import annotations

import pytest
from cozepy import ChatEventType, CozeAPIError, Message, MessageType

from support import chat, completed_messages, only


def test_create_and_retrieve(coze, bots):
    conv = coze.conversations.create(
        bot_id=bots["echo"],
        name="conformance conversation",
        meta_data={"k": "v"},
        messages=[Message.build_user_question_text("seeded question"), Message.build_assistant_answer("seeded")],
    )
    assert conv.id.isdigit(), "ids are decimal int64 rendered as strings"
    assert isinstance(conv.created_at, int) and conv.created_at > 1_600_000_000
    assert conv.meta_data == {"k": "v"}
    assert conv.last_section_id
    assert conv.response.logid

    got = coze.conversations.retrieve(conversation_id=conv.id)
    assert (got.id, got.name, got.meta_data, got.last_section_id) == (
        conv.id,
        "conformance conversation",
        {"k": "v"},
        conv.last_section_id,
    )
    contents = [m.content for m in coze.conversations.messages.list(conversation_id=conv.id, order="asc")]
    assert contents == ["seeded question", "seeded"]


def test_create_with_no_arguments(coze):
    # cozepy then sends `{}`: every field is optional.
    conv = coze.conversations.create()
    assert conv.id and conv.meta_data == {}


def test_list_pages_through_every_conversation(coze, bots):
    created = {coze.conversations.create(bot_id=bots["echo"], name=f"page {i}").id for i in range(5)}

    paged = coze.conversations.list(bot_id=bots["echo"], page_size=2)
    pages = list(paged.iter_pages())
    assert len(pages) >= 3, "5 conversations at 2 per page need at least 3 pages"
    assert all(len(p.items) <= 2 for p in pages)
    assert all(p.has_more for p in pages[:-1]) and not pages[-1].has_more
    ids = [c.id for p in pages for c in p.items]
    assert len(ids) == len(set(ids)), "a conversation appeared on two pages"
    assert created <= set(ids)

    # The item iterator walks the same pages.
    assert created <= {c.id for c in coze.conversations.list(bot_id=bots["echo"], page_size=2)}


def test_list_is_scoped_to_the_bot(coze, bots):
    mine = coze.conversations.create(bot_id=bots["tool"], name="tool conversation")
    ids = {c.id for c in coze.conversations.list(bot_id=bots["echo"], page_size=50)}
    assert mine.id not in ids
    assert mine.id in {c.id for c in coze.conversations.list(bot_id=bots["tool"], page_size=50)}


def test_update_renames(coze, bots):
    conv = coze.conversations.create(bot_id=bots["echo"], name="before")
    updated = coze.conversations.update(conversation_id=conv.id, name="after")
    assert (updated.id, updated.name) == (conv.id, "after")
    assert coze.conversations.retrieve(conversation_id=conv.id).name == "after"


def test_delete(coze, bots):
    conv = coze.conversations.create(bot_id=bots["echo"])
    coze.conversations.delete(conversation_id=conv.id)
    with pytest.raises(CozeAPIError) as err:
        coze.conversations.retrieve(conversation_id=conv.id)
    assert err.value.code > 0
    assert conv.id not in {c.id for c in coze.conversations.list(bot_id=bots["echo"], page_size=50)}


def test_clear_starts_a_new_section_and_the_echo_bot_forgets(coze, bots, user_id):
    conv = coze.conversations.create(bot_id=bots["echo"])
    secret = "remember-the-word-pineapple"

    def ask(text):
        events = chat(coze, bots["echo"], user_id, text, conversation_id=conv.id)
        assert events[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED
        return only(completed_messages(events, MessageType.ANSWER), "answer").content

    ask(secret)
    before_clear = ask("what did I say?")
    assert secret in before_clear, "the echo bot should answer from the conversation's context"

    section = coze.conversations.clear(conversation_id=conv.id)
    assert section.conversation_id == conv.id
    assert section.id and section.id != conv.last_section_id
    assert coze.conversations.retrieve(conversation_id=conv.id).last_section_id == section.id

    after_clear = ask("what did I say?")
    assert secret not in after_clear, "after clear the bot must not see earlier sections"

    # Messages of earlier sections stay visible through the message list.
    contents = [m.content for m in coze.conversations.messages.list(conversation_id=conv.id)]
    assert secret in contents
    sections = {m.section_id for m in coze.conversations.messages.list(conversation_id=conv.id)}
    assert section.id in sections and len(sections) == 2
