"""Workspaces, users, bots and files through cozepy (issue 4)."""

from __future__ import annotations

import uuid

import pytest
from cozepy import (
    BotPromptInfo,
    ChatEventType,
    ChatStatus,
    CozeAPIError,
    Message,
    MessageObjectString,
    MessageType,
    PublishStatus,
)

from support import chat, completed_messages, only


def test_workspaces_list_has_the_personal_and_a_team_workspace(coze, emulator):
    paged = coze.workspaces.list(page_size=1)
    workspaces = list(paged)
    assert paged.total == len(workspaces) >= 2
    personal = only([w for w in workspaces if w.id == emulator.workspace_id], "personal workspace")
    assert personal.workspace_type == "personal" and personal.role_type == "owner"
    assert personal.enterprise_id == ""
    assert any(w.workspace_type == "team" for w in workspaces)


def test_users_me(coze):
    me = coze.users.me()
    assert me.user_id and me.user_name and me.nick_name
    assert me.response.logid


def test_bot_create_update_publish_then_chat(coze, emulator, user_id):
    name = f"conf-{uuid.uuid4().hex[:6]}"
    bot = coze.bots.create(
        space_id=emulator.workspace_id,
        name=name,
        description="made by the conformance suite",
        prompt_info=BotPromptInfo(prompt="You repeat what you hear."),
    )
    assert bot.bot_id.isdigit()

    # A new bot is a draft: the API channel refuses it until it is published.
    with pytest.raises(CozeAPIError) as err:
        chat(coze, bot.bot_id, user_id, "hello draft")
    assert err.value.code == 4015

    coze.bots.update(bot_id=bot.bot_id, name=name + "-v2")
    draft = coze.bots.retrieve(bot_id=bot.bot_id, is_published=False, use_api_version=2)
    assert (draft.bot_id, draft.name) == (bot.bot_id, name + "-v2")

    published = coze.bots.publish(bot_id=bot.bot_id)
    assert published.bot_id == bot.bot_id
    assert published.version

    events = chat(coze, bot.bot_id, user_id, "hello published bot")
    assert events[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED
    assert only(completed_messages(events, MessageType.ANSWER), "answer").content

    online = coze.bots.retrieve(bot_id=bot.bot_id)  # /v1/bot/get_online_info
    assert online.bot_id == bot.bot_id and online.name == name + "-v2"

    v1 = {b.bot_id for b in coze.bots.list(space_id=emulator.workspace_id, page_size=2)}
    assert bot.bot_id in v1 and emulator.bots["echo"] in v1
    drafts = coze.bots.list(space_id=emulator.workspace_id, publish_status=PublishStatus.ALL, use_api_version=2, page_size=50)
    listed = {b.id: b for b in drafts}
    assert listed[bot.bot_id].is_published is True
    assert listed[emulator.bots["unpublished"]].is_published is False

    coze.bots.unpublish(bot_id=bot.bot_id, connector_id="1024")
    with pytest.raises(CozeAPIError) as err:
        chat(coze, bot.bot_id, user_id, "hello again")
    assert err.value.code == 4015


def test_file_upload_retrieve_and_use_in_chat(coze, bots, user_id):
    content = b"conformance file content\n" * 10
    uploaded = coze.files.upload(file=("notes.txt", content))
    assert uploaded.id
    assert uploaded.bytes == len(content)
    assert uploaded.file_name == "notes.txt"
    assert isinstance(uploaded.created_at, int)

    got = coze.files.retrieve(file_id=uploaded.id)
    assert (got.id, got.bytes, got.file_name) == (uploaded.id, len(content), "notes.txt")

    question = Message.build_user_question_objects(
        [MessageObjectString.build_text("summarise this file"), MessageObjectString.build_file(file_id=uploaded.id)]
    )
    events = list(coze.chat.stream(bot_id=bots["echo"], user_id=user_id, additional_messages=[question]))
    assert events[-1].chat.status == ChatStatus.COMPLETED
    answer = only(completed_messages(events, MessageType.ANSWER), "answer")
    assert "notes.txt" in answer.content, "the echo bot should mention the attached file's name"


def test_unknown_file_is_an_error(coze):
    with pytest.raises(CozeAPIError) as err:
        coze.files.retrieve(file_id="7000000000000000003")
    assert err.value.code > 0 and err.value.logid
