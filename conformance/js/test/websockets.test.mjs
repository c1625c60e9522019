// @coze/api's WebSocket clients (chat, speech, transcriptions) against the emulator.
//
// @coze/api takes the WebSocket base as its own option, `baseWsURL` (default wss://ws.coze.cn;
// it is not derived from baseURL), so the client gets `ws://127.0.0.1:PORT`: the emulator
// serves WebSockets on its REST address. In node the SDK connects with the `ws` package (a
// dependency of @coze/api) through reconnecting-websocket; `maxRetries: 0` keeps a refused or
// closed connection from being retried. The SDK sends the token both as the Authorization
// header and as the `authorization` query parameter (browsers cannot set headers).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import { CozeAPI, WebsocketsEventType } from '@coze/api';

import { startEmulator } from '../support.mjs';

let emu;
before(async () => {
  emu = await startEmulator();
});
after(async () => {
  await emu?.stop();
});

const WAIT_MS = 20_000;

function wsClient(token) {
  return new CozeAPI({
    baseURL: emu.info.base_url,
    baseWsURL: emu.info.base_url.replace('http://', 'ws://'),
    token: token ?? emu.info.pat,
    axiosOptions: { proxy: false, timeout: 30_000 },
  });
}

/** Records what the SDK's socket reports and waits for an event type. */
function record(ws) {
  const events = [];
  let waiter = null;
  const push = (event) => {
    events.push(event);
    if (waiter && event.event_type === waiter.type) {
      const w = waiter;
      waiter = null;
      w.resolve(events.slice(w.from));
    }
  };
  ws.onmessage = (data) => push(data);
  ws.onerror = (error) => push({ ...error, event_type: 'sdk.error' });
  ws.onclose = () => push({ event_type: 'closed' });
  return {
    events,
    until(type) {
      const from = events.length;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no ${type} within ${WAIT_MS} ms; got ${events.map((e) => e.event_type)}`)),
          WAIT_MS,
        );
        waiter = {
          type,
          from,
          resolve: (got) => {
            clearTimeout(timer);
            resolve(got);
          },
        };
      });
    },
  };
}

/** Waits for `type` among events not yet consumed (ones that came before the call count). */
async function next(rec, type, state) {
  const seen = rec.events.slice(state.at);
  const at = seen.findIndex((e) => e.event_type === type);
  if (at >= 0) {
    state.at += at + 1;
    return seen.slice(0, at + 1);
  }
  const got = await rec.until(type);
  state.at = rec.events.length;
  return seen.concat(got);
}

const of = (events, type) => events.filter((e) => e.event_type === type);
const send = (ws, event_type, data) => ws.send({ id: `js-${Date.now()}`, event_type, data });

async function speech(text, sampleRate) {
  const ws = await wsClient().websockets.audio.speech.create({}, { maxRetries: 0 });
  const rec = record(ws);
  const st = { at: 0 };
  await next(rec, WebsocketsEventType.SPEECH_CREATED, st);
  send(ws, WebsocketsEventType.SPEECH_UPDATE, {
    output_audio: { codec: 'pcm', pcm_config: { sample_rate: sampleRate } },
  });
  await next(rec, WebsocketsEventType.SPEECH_UPDATED, st);
  send(ws, WebsocketsEventType.INPUT_TEXT_BUFFER_APPEND, { delta: text });
  send(ws, WebsocketsEventType.INPUT_TEXT_BUFFER_COMPLETE);
  const events = await next(rec, WebsocketsEventType.SPEECH_AUDIO_COMPLETED, st);
  ws.close();
  assert.ok(of(events, WebsocketsEventType.INPUT_TEXT_BUFFER_COMPLETED).length === 1);
  const updates = of(events, WebsocketsEventType.SPEECH_AUDIO_UPDATE);
  assert.ok(updates.length > 1, 'several audio deltas');
  for (const u of updates) assert.equal(typeof u.detail.logid, 'string');
  return Buffer.concat(updates.map((u) => Buffer.from(u.data.delta, 'base64')));
}

async function transcribe(pcm, sampleRate) {
  const ws = await wsClient().websockets.audio.transcriptions.create({}, { maxRetries: 0 });
  const rec = record(ws);
  const st = { at: 0 };
  await next(rec, WebsocketsEventType.TRANSCRIPTIONS_CREATED, st);
  send(ws, WebsocketsEventType.TRANSCRIPTIONS_UPDATE, {
    input_audio: { format: 'pcm', codec: 'pcm', sample_rate: sampleRate, channel: 1, bit_depth: 16 },
  });
  await next(rec, WebsocketsEventType.TRANSCRIPTIONS_UPDATED, st);
  for (let at = 0; at < pcm.length; at += 16_000) {
    send(ws, WebsocketsEventType.INPUT_AUDIO_BUFFER_APPEND, { delta: pcm.subarray(at, at + 16_000).toString('base64') });
  }
  send(ws, WebsocketsEventType.INPUT_AUDIO_BUFFER_COMPLETE);
  const events = await next(rec, WebsocketsEventType.TRANSCRIPTIONS_MESSAGE_COMPLETED, st);
  ws.close();
  assert.equal(of(events, WebsocketsEventType.INPUT_AUDIO_BUFFER_COMPLETED).length, 1);
  const updates = of(events, WebsocketsEventType.TRANSCRIPTIONS_MESSAGE_UPDATE);
  return updates.at(-1).data.content;
}

test('speech over the socket transcribes back over the socket', async () => {
  const pcm = await speech('Hello from @coze/api', 16000);
  assert.equal(await transcribe(pcm, 16000), 'Hello from @coze/api');
});

test('chat with text: deltas, the answer, audio of it, chat completed', async () => {
  const ws = await wsClient().websockets.chat.create({ bot_id: emu.info.bots.echo }, { maxRetries: 0 });
  const rec = record(ws);
  const st = { at: 0 };
  await next(rec, WebsocketsEventType.CHAT_CREATED, st);
  send(ws, WebsocketsEventType.CHAT_UPDATE, {
    chat_config: { user_id: 'js-ws' },
    output_audio: { codec: 'pcm', pcm_config: { sample_rate: 24000 } },
  });
  const updated = (await next(rec, WebsocketsEventType.CHAT_UPDATED, st)).at(-1);
  assert.equal(updated.data.chat_config.user_id, 'js-ws');
  send(ws, WebsocketsEventType.CONVERSATION_MESSAGE_CREATE, { role: 'user', content_type: 'text', content: 'hi from js' });
  const events = await next(rec, WebsocketsEventType.CONVERSATION_CHAT_COMPLETED, st);
  ws.close();
  const answer = of(events, WebsocketsEventType.CONVERSATION_MESSAGE_DELTA)
    .map((e) => e.data.content)
    .join('');
  assert.ok(answer.startsWith('You said: "hi from js".'), answer);
  const done = of(events, WebsocketsEventType.CONVERSATION_MESSAGE_COMPLETED).map((e) => e.data);
  assert.equal(done[0].role, 'user');
  assert.ok(done.some((m) => m.type === 'answer' && m.content === answer));
  const audio = of(events, WebsocketsEventType.CONVERSATION_AUDIO_DELTA);
  assert.ok(audio.length > 0);
  const types = events.map((e) => e.event_type);
  assert.ok(types.indexOf(WebsocketsEventType.CONVERSATION_AUDIO_COMPLETED) < types.indexOf(WebsocketsEventType.CONVERSATION_CHAT_COMPLETED));
  const pcm = Buffer.concat(audio.map((e) => Buffer.from(e.data.content, 'base64')));
  assert.equal(await transcribe(pcm, 24000), answer);
  assert.equal(events.at(-1).data.status, 'completed');
});

test('chat with audio in: the transcript is the question', async () => {
  const pcm = await speech('is it raining', 16000);
  const ws = await wsClient().websockets.chat.create({ bot_id: emu.info.bots.echo }, { maxRetries: 0 });
  const rec = record(ws);
  const st = { at: 0 };
  await next(rec, WebsocketsEventType.CHAT_CREATED, st);
  send(ws, WebsocketsEventType.CHAT_UPDATE, {
    input_audio: { format: 'pcm', codec: 'pcm', sample_rate: 16000, channel: 1, bit_depth: 16 },
  });
  await next(rec, WebsocketsEventType.CHAT_UPDATED, st);
  for (let at = 0; at < pcm.length; at += 32_000) {
    send(ws, WebsocketsEventType.INPUT_AUDIO_BUFFER_APPEND, { delta: pcm.subarray(at, at + 32_000).toString('base64') });
  }
  send(ws, WebsocketsEventType.INPUT_AUDIO_BUFFER_COMPLETE);
  const events = await next(rec, WebsocketsEventType.CONVERSATION_CHAT_COMPLETED, st);
  ws.close();
  assert.equal(of(events, WebsocketsEventType.CONVERSATION_AUDIO_TRANSCRIPT_COMPLETED)[0].data.content, 'is it raining');
  const answer = of(events, WebsocketsEventType.CONVERSATION_MESSAGE_DELTA)
    .map((e) => e.data.content)
    .join('');
  assert.ok(answer.startsWith('You said: "is it raining".'), answer);
});

test('a bad event gets an error event and the connection stays', async () => {
  const ws = await wsClient().websockets.chat.create({ bot_id: emu.info.bots.echo }, { maxRetries: 0 });
  const rec = record(ws);
  const st = { at: 0 };
  await next(rec, WebsocketsEventType.CHAT_CREATED, st);
  send(ws, 'no.such.event', {});
  const error = (await next(rec, WebsocketsEventType.ERROR, st)).at(-1);
  assert.equal(error.data.code, 4000);
  assert.match(error.data.msg, /unknown event_type/);
  assert.match(error.detail.origin_message, /no\.such\.event/);
  send(ws, WebsocketsEventType.CONVERSATION_MESSAGE_CREATE, { role: 'user', content_type: 'text', content: 'still?' });
  const events = await next(rec, WebsocketsEventType.CONVERSATION_CHAT_COMPLETED, st);
  ws.close();
  assert.equal(events.at(-1).data.status, 'completed');
});

test('a wrong token is refused at the handshake (401)', async () => {
  const ws = await wsClient('pat_not_a_token').websockets.chat.create({ bot_id: emu.info.bots.echo }, { maxRetries: 0 });
  const rec = record(ws);
  const error = (await rec.until('sdk.error')).at(-1);
  ws.close();
  assert.equal(error.data.code, 401);
  assert.equal(error.data.msg, 'Unauthorized');
  // No logid here: the SDK looks for the raw header name `X-Tt-Logid`, and the emulator's HTTP
  // server writes header names in lower case (`x-tt-logid`, which cozepy does read).
  assert.ok(!rec.events.some((e) => e.event_type === WebsocketsEventType.CHAT_CREATED));
});
