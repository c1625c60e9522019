"""The tool bot: requires_action, then submit_tool_outputs (streaming and not)."""

from __future__ import annotations

import json

from cozepy import ChatEventType, ChatStatus, Message, MessageType, ToolOutput

from support import answer_deltas, completed_messages, kinds, only, poll

TOOL_OUTPUT = "sunny, 23 degrees, tool-output-marker-7"


def ask_tool_bot(coze, bots, user_id):
    stream = coze.chat.stream(
        bot_id=bots["tool"],
        user_id=user_id,
        additional_messages=[Message.build_user_question_text("what is the weather in Hangzhou?")],
    )
    return list(stream)


def the_tool_call(chat):
    assert chat.status == ChatStatus.REQUIRES_ACTION
    action = chat.required_action
    assert action is not None and action.type == "submit_tool_outputs"
    call = only(action.submit_tool_outputs.tool_calls, "tool call")
    assert call.id and call.type == "function"
    assert call.function.name
    assert isinstance(json.loads(call.function.arguments), dict), "arguments must be a JSON object string"
    return call


def test_stream_requires_action_then_submit_streaming(coze, bots, user_id):
    events = ask_tool_bot(coze, bots, user_id)
    assert ChatEventType.UNKNOWN not in kinds(events)
    action_events = [e for e in events if e.event == ChatEventType.CONVERSATION_CHAT_REQUIRES_ACTION]
    chat = only(action_events, "requires_action event").chat
    call = the_tool_call(chat)
    assert ChatEventType.CONVERSATION_CHAT_COMPLETED not in kinds(events)
    calls = completed_messages(events, MessageType.FUNCTION_CALL)
    assert calls, "a function_call message should precede requires_action"

    stream = coze.chat.submit_tool_outputs(
        conversation_id=chat.conversation_id,
        chat_id=chat.id,
        tool_outputs=[ToolOutput(tool_call_id=call.id, output=TOOL_OUTPUT)],
        stream=True,
    )
    after = list(stream)
    assert stream.response.logid
    assert ChatEventType.UNKNOWN not in kinds(after)
    assert after[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED
    assert after[-1].chat.id == chat.id
    answer = only(completed_messages(after, MessageType.ANSWER), "answer")
    assert TOOL_OUTPUT in answer.content, "the tool bot must answer using the submitted output"
    assert "".join(d.content for d in answer_deltas(after)) == answer.content


def test_poll_requires_action_then_submit_non_streaming(coze, bots, user_id):
    # create_and_poll stops polling as soon as the chat leaves in_progress.
    result = coze.chat.create_and_poll(
        bot_id=bots["tool"],
        user_id=user_id,
        additional_messages=[Message.build_user_question_text("what is the weather in Shanghai?")],
    )
    chat = result.chat
    call = the_tool_call(chat)
    assert any(m.type == MessageType.FUNCTION_CALL for m in result.messages)

    submitted = coze.chat.submit_tool_outputs(
        conversation_id=chat.conversation_id,
        chat_id=chat.id,
        tool_outputs=[ToolOutput(tool_call_id=call.id, output=TOOL_OUTPUT)],
        stream=False,
    )
    assert submitted.id == chat.id
    assert submitted.status in (ChatStatus.IN_PROGRESS, ChatStatus.COMPLETED)
    done = poll(
        lambda: coze.chat.retrieve(conversation_id=chat.conversation_id, chat_id=chat.id),
        lambda c: c.status != ChatStatus.IN_PROGRESS,
    )
    assert done.status == ChatStatus.COMPLETED
    messages = coze.chat.messages.list(conversation_id=chat.conversation_id, chat_id=chat.id)
    answer = only([m for m in messages if m.type == MessageType.ANSWER], "answer")
    assert TOOL_OUTPUT in answer.content
