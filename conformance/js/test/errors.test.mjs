// Error cases as @coze/api classifies them (by HTTP status or body code) and failed chats.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { APIError, AuthenticationError, NotFoundError, ChatEventType, ChatStatus } from '@coze/api';

import { startEmulator, question, collect, names, only, userId } from '../support.mjs';

let emu;
let coze;
let bots;
before(async () => {
  emu = await startEmulator();
  coze = emu.client();
  bots = emu.info.bots;
});
after(() => emu?.stop());

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected the SDK to throw');
}

test('wrong token -> AuthenticationError with code 4100 and a logid', async (t) => {
  const bad = emu.client('pat_wrong_' + 'x'.repeat(20));
  const err = await rejection(
    bad.chat.create({ bot_id: bots.echo, user_id: userId(t.name), additional_messages: question('hi') }),
  );
  assert.ok(err instanceof AuthenticationError, `${err?.name}: ${err?.message}`);
  assert.equal(err.code, 4100);
  assert.ok(err.msg);
  assert.ok(err.logid, 'logid from detail.logid or the X-Tt-Logid header');
  assert.ok(err.message.includes('code: 4100'), err.message);
  assert.ok(!err.message.includes('pat_wrong'), 'the token must not be echoed back');
});

test('wrong token on a stream -> AuthenticationError before any event', async (t) => {
  const bad = emu.client('pat_wrong');
  const err = await rejection(
    collect(bad.chat.stream({ bot_id: bots.echo, user_id: userId(t.name), additional_messages: question('hi') })),
  );
  // Classified by the HTTP 401 alone: on a stream request axios keeps the error body as an
  // unread stream, so the SDK cannot see `code` (handleError -> APIError.generate).
  assert.ok(err instanceof AuthenticationError, `${err?.name}: ${err?.message}`);
  assert.equal(err.status, 401);
  assert.ok(err.logid, 'the X-Tt-Logid header must be set on the 401 too');
});

test('wrong token on a list -> AuthenticationError 4100', async () => {
  const err = await rejection(emu.client('pat_wrong').conversations.list({ bot_id: bots.echo }));
  assert.ok(err instanceof AuthenticationError);
  assert.equal(err.code, 4100);
});

// A business error on a stream request arrives as HTTP 200 + application/json (as Coze does).
// @coze/api then does not throw: axios hands it the raw body stream, and its SSE reader turns
// the unterminated body into one `error` event whose data is the envelope (fetchAPI's stream()).
async function streamError(params) {
  const events = await collect(coze.chat.stream(params));
  const event = only(events, 'event');
  assert.equal(event.event, ChatEventType.ERROR);
  assert.ok(event.data.msg, JSON.stringify(event.data));
  assert.ok(event.data.detail?.logid, JSON.stringify(event.data));
  return event.data;
}

test('unpublished bot -> 4015 (create throws; stream yields an error event)', async (t) => {
  const params = { bot_id: bots.unpublished, user_id: userId(t.name), additional_messages: question('hi') };
  const err = await rejection(coze.chat.create({ ...params }));
  assert.ok(err instanceof APIError, `${err?.name}: ${err?.message}`);
  assert.equal(err.code, 4015);
  assert.ok(err.logid);
  assert.equal((await streamError({ ...params })).code, 4015);
});

test('unknown bot -> NotFoundError 4200 (create throws; stream yields an error event)', async (t) => {
  const params = { bot_id: '7000000000000000001', user_id: userId(t.name), additional_messages: question('hi') };
  const err = await rejection(coze.chat.create({ ...params }));
  assert.ok(err instanceof NotFoundError, `${err?.name}: ${err?.message}`);
  assert.equal(err.code, 4200);
  assert.ok(err.logid);
  assert.equal((await streamError({ ...params })).code, 4200);
});

test('failing bot -> conversation.chat.failed with last_error 5000', async (t) => {
  const events = await collect(
    coze.chat.stream({ bot_id: bots.failing, user_id: userId(t.name), additional_messages: question('hi') }),
  );
  const kinds = names(events);
  assert.equal(kinds[0], ChatEventType.CONVERSATION_CHAT_CREATED);
  assert.ok(!kinds.includes(ChatEventType.ERROR), kinds.join(','));
  assert.ok(!kinds.includes(ChatEventType.CONVERSATION_CHAT_COMPLETED), kinds.join(','));
  const failed = only(
    events.filter((e) => e.event === ChatEventType.CONVERSATION_CHAT_FAILED),
    'chat.failed event',
  ).data;
  assert.equal(failed.status, ChatStatus.FAILED);
  assert.equal(failed.last_error.code, 5000);
  assert.ok(failed.last_error.msg);
  const last = kinds.at(-1);
  assert.ok(last === ChatEventType.CONVERSATION_CHAT_FAILED || last === ChatEventType.DONE, kinds.join(','));
});

test('failing bot through createAndPoll ends failed', async (t) => {
  const { chat } = await coze.chat.createAndPoll({
    bot_id: bots.failing,
    user_id: userId(t.name),
    additional_messages: question('hi'),
  });
  assert.equal(chat.status, ChatStatus.FAILED);
  assert.equal(chat.last_error.code, 5000);
});

test('unknown conversation -> APIError with a positive code', async () => {
  const err = await rejection(coze.conversations.retrieve('7000000000000000002'));
  assert.ok(err instanceof APIError, `${err?.name}: ${err?.message}`);
  assert.ok(err.code > 0, String(err.code));
  assert.ok(err.logid);
});
