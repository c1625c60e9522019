// Workflows through @coze/api: run, stream_run, stream_resume after an Interrupt.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WorkflowEventType, NotFoundError, ChatEventType } from '@coze/api';

import { startEmulator, collect, only } from '../support.mjs';

let emu;
let coze;
let workflows;
before(async () => {
  emu = await startEmulator();
  coze = emu.client();
  workflows = emu.info.workflows;
});
after(() => emu?.stop());

test('run returns the output as a JSON string plus debug_url and execute_id', async () => {
  const result = await coze.workflows.runs.create({ workflow_id: workflows.greeting, parameters: { input: 'Ada' } });
  assert.equal(result.code, 0);
  assert.equal(typeof result.data, 'string');
  assert.deepEqual(JSON.parse(result.data), { output: 'Hello, Ada! (3 characters)' });
  assert.match(result.debug_url, /^https:\/\//);
  assert.ok(result.execute_id);
});

test('stream yields Message events with counting ids, then Done', async () => {
  const events = await collect(
    coze.workflows.runs.stream({ workflow_id: workflows.greeting, parameters: { input: 'Grace' } }),
  );
  const kinds = events.map((e) => e.event);
  assert.equal(kinds.at(-1), WorkflowEventType.DONE, kinds.join(','));
  const messages = events.filter((e) => e.event === WorkflowEventType.MESSAGE);
  assert.equal(messages.length, events.length - 1, kinds.join(','));
  assert.deepEqual(
    events.map((e) => e.id),
    events.map((_, i) => i),
    'event ids count up from 0',
  );
  const greet = messages.filter((e) => e.data.node_title === 'Greet').map((e) => e.data);
  assert.equal(greet.map((m) => m.content).join(''), 'Hello, Grace!');
  assert.equal(greet.at(-1).node_is_finish, true);
  const end = messages.at(-1).data;
  assert.equal(end.node_title, 'End');
  assert.deepEqual(JSON.parse(end.content), { output: 'Hello, Grace! (5 characters)' });
});

test('failing workflow streams an Error event with error_code 6006', async () => {
  const events = await collect(coze.workflows.runs.stream({ workflow_id: workflows.failing, parameters: {} }));
  const error = events.find((e) => e.event === WorkflowEventType.ERROR);
  assert.ok(error, events.map((e) => e.event).join(','));
  assert.equal(error.data.error_code, 6006);
  assert.ok(error.data.error_message);
});

test('Interrupt, then resume with the event id', async () => {
  const events = await collect(coze.workflows.runs.stream({ workflow_id: workflows.question, parameters: {} }));
  const interrupt = events.find((e) => e.event === WorkflowEventType.INTERRUPT);
  assert.ok(interrupt, events.map((e) => e.event).join(','));
  const data = interrupt.data.interrupt_data;
  assert.ok(data.event_id);
  assert.equal(data.type, 2);
  assert.ok(interrupt.data.node_title);

  const resumed = await collect(
    coze.workflows.runs.resume({
      workflow_id: workflows.question,
      event_id: data.event_id,
      resume_data: 'Hangzhou',
      interrupt_type: 2,
    }),
  );
  const kinds = resumed.map((e) => e.event);
  assert.ok(!kinds.includes(WorkflowEventType.ERROR) && !kinds.includes(WorkflowEventType.INTERRUPT), kinds.join(','));
  const last = resumed.filter((e) => e.event === WorkflowEventType.MESSAGE).at(-1);
  assert.ok(JSON.parse(last.data.content).output.includes('Hangzhou'), last.data.content);
});

test('unknown workflow -> NotFoundError 4200', async () => {
  await assert.rejects(coze.workflows.runs.create({ workflow_id: '7390000000000999999', parameters: {} }), (err) => {
    assert.ok(err instanceof NotFoundError, `${err?.name}: ${err?.message}`);
    assert.equal(err.code, 4200);
    return true;
  });
});

test('chatflow: workflows.chat.stream asks, then answers in the same conversation', async () => {
  const first = await collect(
    coze.workflows.chat.stream({
      workflow_id: workflows.chatflow,
      additional_messages: [{ role: 'user', type: 'question', content: 'plan a trip for me', content_type: 'text' }],
    }),
  );
  const kinds = first.map((e) => e.event);
  assert.ok(!kinds.includes(ChatEventType.ERROR), kinds.join(','));
  const conversationId = first[0].data.conversation_id;
  assert.ok(conversationId);
  const paused = first.find((e) => e.event === ChatEventType.CONVERSATION_CHAT_REQUIRES_ACTION);
  assert.ok(paused, kinds.join(','));
  assert.equal(only(paused.data.required_action.submit_tool_outputs.tool_calls, 'tool call').type, 'reply_message');

  const second = await collect(
    coze.workflows.chat.stream({
      workflow_id: workflows.chatflow,
      conversation_id: conversationId,
      additional_messages: [{ role: 'user', type: 'question', content: 'Lisbon', content_type: 'text' }],
    }),
  );
  const secondKinds = second.map((e) => e.event);
  assert.ok(secondKinds.includes(ChatEventType.CONVERSATION_CHAT_COMPLETED), secondKinds.join(','));
  assert.ok(!secondKinds.includes(ChatEventType.ERROR), secondKinds.join(','));
  const answer = only(
    second.filter((e) => e.event === ChatEventType.CONVERSATION_MESSAGE_COMPLETED && e.data.type === 'answer'),
    'answer',
  ).data;
  assert.ok(answer.content.includes('Lisbon'), answer.content);
});
