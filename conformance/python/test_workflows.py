"""Workflows and chatflows through cozepy (issue 4): run, stream, resume, async + run history.

The emulator's scripted workflows are listed in its `--json` line under "workflows".
"""

from __future__ import annotations

import json

import pytest
from cozepy import ChatEventType, CozeAPIError, Message, MessageType, WorkflowEventType
from cozepy.workflows.runs.run_histories import WorkflowExecuteStatus, WorkflowRunMode

from support import completed_messages, kinds, only, poll


@pytest.fixture
def workflows(emulator):
    ids = emulator.info.get("workflows")
    assert isinstance(ids, dict), f"`coze emulator --json` has no workflows key: {emulator.info}"
    return ids


def events_of(stream):
    events = list(stream)
    assert events, "the workflow stream produced no events"
    return events


def test_list_shows_workflows_and_chatflows(coze, emulator, workflows):
    listed = {w.workflow_id: w for w in coze.workflows.list(workspace_id=emulator.workspace_id, page_size=2)}
    assert {workflows["greeting"], workflows["question"], workflows["chatflow"]} <= set(listed)
    chatflows = {w.workflow_id for w in coze.workflows.list(workspace_id=emulator.workspace_id, workflow_mode="chatflow")}
    assert workflows["chatflow"] in chatflows and workflows["greeting"] not in chatflows


def test_run_returns_its_output_as_a_json_string(coze, workflows):
    result = coze.workflows.runs.create(workflow_id=workflows["greeting"], parameters={"input": "Ada"})
    # Coze puts the output object into a JSON-encoded string under a top-level `data`.
    assert isinstance(result.data, str)
    assert json.loads(result.data) == {"output": "Hello, Ada! (3 characters)"}
    assert result.debug_url.startswith("https://")
    assert result.execute_id
    assert result.response.logid


def test_stream_run_types_every_event(coze, workflows):
    stream = coze.workflows.runs.stream(workflow_id=workflows["greeting"], parameters={"input": "Grace"})
    events = events_of(stream)
    assert all(e.event == WorkflowEventType.MESSAGE for e in events), [e.event for e in events]
    assert [e.id for e in events] == list(range(len(events))), "event ids count up from 0"
    greet = [e.message for e in events if e.message.node_title == "Greet"]
    assert "".join(m.content for m in greet) == "Hello, Grace!"
    assert [m.node_is_finish for m in greet][-1] is True
    end = events[-1].message
    assert end.node_title == "End" and end.node_is_finish
    assert json.loads(end.content) == {"output": "Hello, Grace! (5 characters)"}


def test_failing_workflow_streams_an_error_event(coze, workflows):
    events = events_of(coze.workflows.runs.stream(workflow_id=workflows["failing"], parameters={}))
    assert [e.event for e in events[:-1]] == [WorkflowEventType.MESSAGE] * (len(events) - 1)
    error = events[-1]
    assert error.event == WorkflowEventType.ERROR
    assert error.error.error_code == 6006 and error.error.error_message


def test_interrupt_then_resume(coze, workflows):
    events = events_of(coze.workflows.runs.stream(workflow_id=workflows["question"], parameters={}))
    interrupt = events[-1]
    assert interrupt.event == WorkflowEventType.INTERRUPT
    data = interrupt.interrupt.interrupt_data
    assert data.event_id and data.type == 2
    assert interrupt.interrupt.node_title

    resumed = events_of(
        coze.workflows.runs.resume(
            workflow_id=workflows["question"], event_id=data.event_id, resume_data="Hangzhou", interrupt_type=2
        )
    )
    assert all(e.event == WorkflowEventType.MESSAGE for e in resumed)
    assert "Hangzhou" in json.loads(resumed[-1].message.content)["output"]

    # The event was used up: resuming it again must fail, before or inside the stream.
    try:
        again = list(
            coze.workflows.runs.resume(
                workflow_id=workflows["question"], event_id=data.event_id, resume_data="Paris", interrupt_type=2
            )
        )
    except CozeAPIError as err:
        assert err.code > 0
    else:
        assert again and again[-1].event == WorkflowEventType.ERROR, [e.event for e in again]


def test_async_run_then_run_history(coze, workflows):
    started = coze.workflows.runs.create(workflow_id=workflows["slow"], parameters={"input": "Q3"}, is_async=True)
    assert started.execute_id
    history = poll(
        lambda: coze.workflows.runs.run_histories.retrieve(
            workflow_id=workflows["slow"], execute_id=started.execute_id
        ),
        lambda h: h.execute_status != WorkflowExecuteStatus.RUNNING,
        timeout_s=60,
    )
    assert history.execute_status == WorkflowExecuteStatus.SUCCESS
    assert history.execute_id == started.execute_id
    assert history.run_mode == WorkflowRunMode.ASYNCHRONOUS
    assert "Report on Q3" in json.loads(history.output)["output"]
    assert history.error_code == 0


def test_unknown_workflow_is_4200(coze):
    with pytest.raises(CozeAPIError) as err:
        coze.workflows.runs.create(workflow_id="7390000000000999999", parameters={})
    assert err.value.code == 4200 and err.value.logid


def test_chatflow_asks_then_answers(coze, workflows, user_id):
    first = events_of(
        coze.workflows.chat.stream(
            workflow_id=workflows["chatflow"],
            additional_messages=[Message.build_user_question_text("plan a trip for me")],
        )
    )
    assert ChatEventType.UNKNOWN not in kinds(first)
    conversation_id = first[0].chat.conversation_id
    assert conversation_id
    # The question node: the question as an answer message, then requires_action.
    question = only(completed_messages(first, MessageType.ANSWER), "question").content
    assert question.endswith("?")
    paused = first[-1]
    assert paused.event == ChatEventType.CONVERSATION_CHAT_REQUIRES_ACTION
    (call,) = paused.chat.required_action.submit_tool_outputs.tool_calls
    assert call.type == "reply_message"

    second = events_of(
        coze.workflows.chat.stream(
            workflow_id=workflows["chatflow"],
            conversation_id=conversation_id,
            additional_messages=[Message.build_user_question_text("Lisbon")],
        )
    )
    assert second[-1].event == ChatEventType.CONVERSATION_CHAT_COMPLETED
    answer = only(completed_messages(second, MessageType.ANSWER), "answer")
    assert "Lisbon" in answer.content


def test_slow_workflow_stream_with_ping_heartbeats(coze, workflows):
    # cozepy has no PING type: it must arrive as a well-formed id/event/data triple (UNKNOWN).
    events = events_of(coze.workflows.runs.stream(workflow_id=workflows["slow"], parameters={"input": "Q4"}))
    pings = [e for e in events if e.event == WorkflowEventType.UNKNOWN]
    assert pings and all(p.unknown["event"] == "PING" for p in pings)
    messages = [e.message for e in events if e.event == WorkflowEventType.MESSAGE]
    assert "Report on Q4" in json.loads(messages[-1].content)["output"]
