// Chat v3 through @coze/api: streaming, createAndPoll, tool calls with submitToolOutputs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChatEventType, ChatStatus } from '@coze/api';

import {
  startEmulator,
  question,
  collect,
  names,
  answerDeltas,
  completed,
  only,
  poll,
  userId,
} from '../support.mjs';

let emu;
let coze;
let bots;
before(async () => {
  emu = await startEmulator();
  coze = emu.client();
  bots = emu.info.bots;
});
after(() => emu?.stop());

const KNOWN = new Set(Object.values(ChatEventType));

test('stream: deltas concatenate to the completed answer, then done', async (t) => {
  const text = 'hello conformance from node';
  const events = await collect(
    coze.chat.stream({ bot_id: bots.echo, user_id: userId(t.name), additional_messages: question(text) }),
  );
  const kinds = names(events);
  assert.ok(kinds.every((k) => KNOWN.has(k)), `event names the SDK does not know: ${kinds}`);
  assert.equal(kinds[0], ChatEventType.CONVERSATION_CHAT_CREATED);
  assert.equal(kinds[1], ChatEventType.CONVERSATION_CHAT_IN_PROGRESS);
  assert.deepEqual(kinds.slice(-2), [ChatEventType.CONVERSATION_CHAT_COMPLETED, ChatEventType.DONE]);
  assert.ok(!kinds.includes(ChatEventType.ERROR), 'an unterminated last chunk shows up as an error event');
  assert.equal(events.at(-1).data, '[DONE]');

  const chat = events[0].data;
  assert.equal(chat.status, ChatStatus.CREATED);
  const deltas = answerDeltas(events);
  assert.ok(deltas.length >= 2, 'the echo bot should stream its answer in several deltas');
  const answer = only(completed(events, 'answer'), 'completed answer');
  assert.equal(deltas.map((d) => d.content).join(''), answer.content);
  assert.deepEqual(new Set(deltas.map((d) => d.id)), new Set([answer.id]));
  assert.ok(answer.content.includes(text), answer.content);
  assert.equal(answer.role, 'assistant');
  for (const e of events.slice(0, -1)) {
    const d = e.data;
    assert.equal(d.conversation_id, chat.conversation_id);
    assert.equal(d.bot_id, bots.echo);
  }
  const verbose = only(completed(events, 'verbose'), 'verbose message');
  assert.equal(JSON.parse(verbose.content).msg_type, 'generate_answer_finish');

  const done = events.at(-2).data;
  assert.equal(done.status, ChatStatus.COMPLETED);
  assert.equal(done.id, chat.id);
  assert.ok(done.usage.token_count > 0);
  assert.equal(done.usage.token_count, done.usage.input_count + done.usage.output_count);
});

test('createAndPoll (POST /v3/chat/retrieve every 100 ms) ends completed with messages', async (t) => {
  const text = 'create and poll from node';
  const { chat, messages } = await coze.chat.createAndPoll({
    bot_id: bots.echo,
    user_id: userId(t.name),
    additional_messages: question(text),
    meta_data: { suite: 'conformance-js' },
  });
  assert.equal(chat.status, ChatStatus.COMPLETED);
  assert.deepEqual(chat.meta_data, { suite: 'conformance-js' });
  assert.ok(chat.usage.output_count > 0);
  const answer = only(messages.filter((m) => m.type === 'answer'), 'answer');
  assert.ok(answer.content.includes(text), answer.content);
  assert.equal(answer.chat_id, chat.id);
  const types = new Set(messages.map((m) => m.type));
  assert.ok(!types.has('question'), 'chat message list must not contain the user query');
  assert.ok(types.has('verbose') && types.has('follow_up'), [...types].join(','));
});

test('create answers in_progress; retrieve and cancel work on the chat', async (t) => {
  const chat = await coze.chat.create({
    bot_id: bots.echo,
    user_id: userId(t.name),
    additional_messages: question('cancel me'),
  });
  assert.equal(chat.status, ChatStatus.IN_PROGRESS);
  const canceled = await coze.chat.cancel(chat.conversation_id, chat.id);
  assert.equal(canceled.id, chat.id);
  assert.equal(canceled.status, ChatStatus.CANCELED);
  const again = await coze.chat.retrieve(chat.conversation_id, chat.id);
  assert.equal(again.status, ChatStatus.CANCELED);
});

test('tool bot: requires_action, then submitToolOutputs streams the answer', async (t) => {
  const events = await collect(
    coze.chat.stream({
      bot_id: bots.tool,
      user_id: userId(t.name),
      additional_messages: question('what is the weather in Hangzhou?'),
    }),
  );
  const kinds = names(events);
  assert.ok(kinds.every((k) => KNOWN.has(k)), kinds.join(','));
  assert.ok(!kinds.includes(ChatEventType.CONVERSATION_CHAT_COMPLETED));
  assert.ok(completed(events, 'function_call').length > 0, 'a function_call message should precede requires_action');
  const chat = only(
    events.filter((e) => e.event === ChatEventType.CONVERSATION_CHAT_REQUIRES_ACTION),
    'requires_action event',
  ).data;
  assert.equal(chat.status, ChatStatus.REQUIRES_ACTION);
  assert.equal(chat.required_action.type, 'submit_tool_outputs');
  const call = only(chat.required_action.submit_tool_outputs.tool_calls, 'tool call');
  assert.equal(call.type, 'function');
  assert.ok(call.id && call.function.name);
  assert.equal(typeof JSON.parse(call.function.arguments), 'object');

  const output = 'sunny, 23 degrees, js-tool-marker-9';
  const after = await collect(
    coze.chat.submitToolOutputs({
      conversation_id: chat.conversation_id,
      chat_id: chat.id,
      tool_outputs: [{ tool_call_id: call.id, output }],
      stream: true,
    }),
  );
  const afterKinds = names(after);
  assert.ok(afterKinds.every((k) => KNOWN.has(k)), afterKinds.join(','));
  assert.equal(afterKinds.at(-1), ChatEventType.DONE);
  const done = after.at(-2);
  assert.equal(done.event, ChatEventType.CONVERSATION_CHAT_COMPLETED);
  assert.equal(done.data.id, chat.id);
  const answer = only(completed(after, 'answer'), 'answer');
  assert.ok(answer.content.includes(output), answer.content);
  assert.equal(answerDeltas(after).map((d) => d.content).join(''), answer.content);
});

test('tool bot via createAndPoll, then non-streaming submitToolOutputs (the generator return value)', async (t) => {
  const { chat, messages } = await coze.chat.createAndPoll({
    bot_id: bots.tool,
    user_id: userId(t.name),
    additional_messages: question('what is the weather in Shanghai?'),
  });
  assert.equal(chat.status, ChatStatus.REQUIRES_ACTION, 'createAndPoll stops polling at requires_action');
  assert.ok(messages.some((m) => m.type === 'function_call'));
  const call = only(chat.required_action.submit_tool_outputs.tool_calls, 'tool call');

  // With stream:false the SDK's async generator yields nothing and returns the Chat.
  const output = 'cloudy, js-non-stream-marker-4';
  const gen = coze.chat.submitToolOutputs({
    conversation_id: chat.conversation_id,
    chat_id: chat.id,
    tool_outputs: [{ tool_call_id: call.id, output }],
    stream: false,
  });
  const step = await gen.next();
  assert.equal(step.done, true);
  assert.equal(step.value.id, chat.id);
  assert.ok(['in_progress', 'completed'].includes(step.value.status), step.value.status);

  const done = await poll(
    () => coze.chat.retrieve(chat.conversation_id, chat.id),
    (c) => c.status !== ChatStatus.IN_PROGRESS,
  );
  assert.equal(done.status, ChatStatus.COMPLETED);
  const listed = await coze.chat.messages.list(chat.conversation_id, chat.id);
  assert.ok(only(listed.filter((m) => m.type === 'answer'), 'answer').content.includes(output));
});
