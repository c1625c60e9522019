// What @coze/api sees when the emulator's fault injection is on (POST /_emulator/faults).
// Each test starts an emulator of its own so a fault cannot leak into another test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChatEventType, RateLimitError } from '@coze/api';

import { startEmulator, question, collect, names, userId } from '../support.mjs';

async function withFault(fault, body) {
  const emu = await startEmulator();
  try {
    const resp = await fetch(`${emu.info.base_url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fault),
    });
    assert.ok(resp.ok, `POST /_emulator/faults -> ${resp.status} ${await resp.text()}`);
    await body(emu);
  } finally {
    await emu.stop();
  }
}

const streamEcho = (emu, name) =>
  emu.client().chat.stream({ bot_id: emu.info.bots.echo, user_id: userId(name), additional_messages: question('faulty') });

test('an error event mid-stream is yielded as {event:"error", data:{code,msg}} and ends the stream', (t) =>
  withFault({ error_event: { after_events: 3, code: 5000, msg: 'boom from the js test' } }, async (emu) => {
    const events = await collect(streamEcho(emu, t.name));
    assert.equal(events.length, 4, names(events).join(','));
    assert.equal(events[0].event, ChatEventType.CONVERSATION_CHAT_CREATED);
    const last = events.at(-1);
    assert.equal(last.event, ChatEventType.ERROR);
    assert.deepEqual([last.data.code, last.data.msg], [5000, 'boom from the js test']);
  }));

test('a connection cut mid-stream ends the iteration quietly with the events that arrived', (t) =>
  // @coze/api's fetchAPI stream() catches the read error and calls handleError without
  // rethrowing, so the only sign of the cut is the missing chat.completed / done.
  withFault({ cut_after_events: 4 }, async (emu) => {
    const events = await collect(streamEcho(emu, t.name));
    const kinds = names(events);
    assert.equal(events.length, 4, kinds.join(','));
    assert.equal(kinds[0], ChatEventType.CONVERSATION_CHAT_CREATED);
    assert.ok(!kinds.includes(ChatEventType.CONVERSATION_CHAT_COMPLETED) && !kinds.includes(ChatEventType.DONE));
  }));

test('HTTP 429 -> RateLimitError, then the next request goes through', (t) =>
  withFault({ rate_limit: { count: 1, retry_after: 3, path_prefix: '/v3/chat' } }, async (emu) => {
    await assert.rejects(collect(streamEcho(emu, t.name)), (err) => {
      assert.ok(err instanceof RateLimitError, `${err?.name}: ${err?.message}`);
      assert.equal(err.status, 429);
      assert.ok(err.logid);
      return true;
    });
    const events = await collect(streamEcho(emu, t.name));
    assert.equal(events.at(-1).event, ChatEventType.DONE);
  }));
