// Time as on Coze, through @coze/api, at the emulator's default (realistic) pace: a running chat
// keeps its conversation busy (4016), a non-streaming chat is polled through in_progress, a
// cancel mid-answer keeps the partial answer, an async workflow is polled through Running.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChatEventType, ChatStatus } from '@coze/api';

import { startEmulator, question, userId } from '../support.mjs';

let emu;
let coze;
let bots;
before(async () => {
  emu = await startEmulator(null);
  coze = emu.client();
  bots = emu.info.bots;
});
after(() => emu?.stop());

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected the SDK to throw');
}

test('a second chat while the first streams gets 4016', async (t) => {
  const user = userId(t.name);
  const stream = coze.chat.stream({ bot_id: bots.echo, user_id: user, additional_messages: question('first') });
  const events = [];
  let refused;
  for await (const event of stream) {
    events.push(event);
    if (event.event === ChatEventType.CONVERSATION_CHAT_CREATED) {
      refused = await rejection(
        coze.chat.create({
          bot_id: bots.echo,
          user_id: user,
          conversation_id: event.data.conversation_id,
          additional_messages: question('second'),
        }),
      );
    }
  }
  assert.equal(refused?.code, 4016, `${refused?.name}: ${refused?.message}`);
  assert.ok(events.some((e) => e.event === ChatEventType.CONVERSATION_CHAT_COMPLETED));
});

test('a non-stream chat is polled through in_progress to completed', async (t) => {
  const chat = await coze.chat.create({
    bot_id: bots.echo,
    user_id: userId(t.name),
    additional_messages: question('poll me'),
  });
  assert.equal(chat.status, ChatStatus.IN_PROGRESS);
  const seen = [];
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const got = await coze.chat.retrieve(chat.conversation_id, chat.id);
    seen.push(got.status);
    if (got.status !== ChatStatus.IN_PROGRESS) break;
    await sleep(200);
  }
  assert.equal(seen[0], ChatStatus.IN_PROGRESS, seen.join(','));
  assert.equal(seen.at(-1), ChatStatus.COMPLETED, seen.join(','));
  const messages = await coze.chat.messages.list(chat.conversation_id, chat.id);
  assert.ok(messages.some((m) => m.type === 'answer' && m.content.includes('poll me')));
});

test('a cancel mid-answer leaves a canceled chat with a partial answer', async (t) => {
  const stream = coze.chat.stream({
    bot_id: bots.echo,
    user_id: userId(t.name),
    additional_messages: question('please write a long answer so that it can be cancelled halfway through'),
  });
  const deltas = [];
  const completed = [];
  let canceled;
  for await (const event of stream) {
    assert.notEqual(event.event, ChatEventType.CONVERSATION_CHAT_COMPLETED, 'a cancelled chat must not complete');
    if (event.event === ChatEventType.CONVERSATION_MESSAGE_DELTA) {
      deltas.push(event.data.content);
      if (deltas.length === 3 && !canceled) {
        canceled = await coze.chat.cancel(event.data.conversation_id, event.data.chat_id);
      }
    } else if (event.event === ChatEventType.CONVERSATION_MESSAGE_COMPLETED) {
      completed.push(event.data);
    }
  }
  assert.equal(canceled?.status, ChatStatus.CANCELED);
  const partial = deltas.join('');
  assert.ok(partial && !partial.endsWith('```'), `the answer was cut: ${partial}`);
  assert.equal(completed.at(-1)?.content, partial);
  const got = await coze.chat.retrieve(canceled.conversation_id, canceled.id);
  assert.equal(got.status, ChatStatus.CANCELED);
  const kept = await coze.chat.messages.list(canceled.conversation_id, canceled.id);
  assert.deepEqual(
    kept.filter((m) => m.type === 'answer').map((m) => m.content),
    [partial],
  );
});

test('an async workflow is polled through Running', async () => {
  const greeting = emu.info.workflows.greeting;
  const started = await coze.workflows.runs.create({
    workflow_id: greeting,
    parameters: { input: 'Ada' },
    is_async: true,
  });
  const statuses = [];
  let last;
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    [last] = await coze.workflows.runs.history(greeting, started.execute_id);
    statuses.push(last.execute_status);
    if (last.execute_status !== 'Running') break;
    await sleep(200);
  }
  assert.equal(statuses[0], 'Running', statuses.join(','));
  assert.equal(statuses.at(-1), 'Success', statuses.join(','));
  assert.match(last.output, /Hello, Ada!/);
});
