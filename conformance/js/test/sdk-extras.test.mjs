// The calls of the official SDKs that the OpenAPI document does not list, against the emulator:
// @coze/api's `templates.duplicate` (the copy is a draft bot you read back, publish and chat
// with, behaving like its template), `audio.live.retrieve` (a room's live) and
// `audio.voiceprintGroups` with its `features` (speaker identification); and, through the
// SDK's own `get` / `put` / `makeRequest` (it has no client for them; cozepy and coze-go do):
// API app list / delete and event list / delete, enterprise member delete, a connector's
// review of a bot. Things deleted are gone; refusals carry Coze's codes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APIError, BadRequestError, ChatStatus, NotFoundError } from '@coze/api';

import { startEmulator, question, userId } from '../support.mjs';

let emu;
let coze;
before(async () => {
  emu = await startEmulator();
  coze = emu.client();
});
after(() => emu?.stop());

const ok = (envelope) => {
  assert.equal(envelope.code, 0, JSON.stringify(envelope));
  assert.match(envelope.detail?.logid ?? '', /\S/, `no logid: ${JSON.stringify(envelope)}`);
  return envelope.data;
};
const get = async (path, params) => ok(await coze.get(path, params));
const del = async (path, body) => ok(await coze.makeRequest(path, 'DELETE', body));
const isInt64 = (id) => /^\d{1,19}$/.test(id) && BigInt(id) < 2n ** 63n;

async function refused(promise, cls, code) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof cls, `${e?.constructor?.name}: ${e?.message}`);
    assert.equal(e.code, code, e.message);
    assert.ok(e.logid, 'a refusal carries a logid');
    return true;
  });
}

test('templates.duplicate: the copy is a draft bot that behaves like its template', async (t) => {
  const ws = emu.info.workspace_id;
  const made = await coze.templates.duplicate(emu.info.templates.weather, { workspace_id: ws, name: 'My weather' });
  assert.equal(made.entity_type, 'agent');
  assert.ok(isInt64(made.entity_id), made.entity_id);
  const draft = await coze.bots.retrieveNew(made.entity_id, { is_published: false });
  assert.equal(draft.name, 'My weather');
  const ask = { bot_id: made.entity_id, user_id: userId(t.name), additional_messages: question('Hangzhou?') };
  await refused(coze.chat.createAndPoll(ask), APIError, 4015);
  await coze.bots.publish({ bot_id: made.entity_id, connector_ids: ['1024'] });
  const { chat } = await coze.chat.createAndPoll(ask);
  // The weather template asks for its tool, as the template's bot does.
  assert.equal(chat.status, ChatStatus.REQUIRES_ACTION);
  assert.equal(chat.required_action.submit_tool_outputs.tool_calls[0].function.name, 'get_weather');

  const copy = await coze.templates.duplicate(emu.info.templates.weather, { workspace_id: ws });
  assert.notEqual(copy.entity_id, made.entity_id);
  assert.equal((await coze.bots.retrieveNew(copy.entity_id, { is_published: false })).name, 'Weather');

  await refused(coze.templates.duplicate('7000000000000000007', { workspace_id: ws }), NotFoundError, 4200);
  await refused(coze.templates.duplicate(emu.info.templates.weather, { workspace_id: '123' }), NotFoundError, 4200);
  await refused(coze.templates.duplicate(emu.info.templates.weather, { workspace_id: ws, name: 'x'.repeat(21) }), BadRequestError, 4000);
});

test('audio.live.retrieve: a room is a live with its original stream', async () => {
  const room = await coze.audio.rooms.create({ bot_id: emu.info.bots.echo });
  const live = await coze.audio.live.retrieve(room.room_id);
  assert.equal(live.app_id, room.app_id);
  assert.deepEqual(live.stream_infos.map((s) => s.live_type), ['origin']);
  await refused(coze.audio.live.retrieve('7000000000000000008'), NotFoundError, 4200);
});

test('API apps: list pages by token, delete removes, events list and delete', async () => {
  const tag = randomUUID().slice(0, 6);
  const ids = [];
  for (let n = 0; n < 3; n++) {
    ids.push(ok(await coze.post('/v1/api_apps', { app_type: 'normal', name: `js-${tag}-${n}` })).id);
  }
  const seen = [];
  let page_token = '';
  for (let pages = 0; pages < 50; pages++) {
    const page = await get('/v1/api_apps', { page_size: 2, page_token });
    assert.ok(page.items.length <= 2);
    seen.push(...page.items);
    if (!page.has_more) break;
    page_token = page.next_page_token;
  }
  assert.deepEqual(seen.filter((a) => a.name.startsWith(`js-${tag}`)).map((a) => a.id).sort(), [...ids].sort());
  const connectors = await get('/v1/api_apps', { app_type: 'connector' });
  assert.ok(!connectors.items.some((a) => ids.includes(a.id)));

  ok(await coze.post(`/v1/api_apps/${ids[0]}/events`, { event_types: ['bot.published', 'bot.deleted'] }));
  const events = await get(`/v1/api_apps/${ids[0]}/events`);
  assert.deepEqual(events.items.map((e) => e.event_type).sort(), ['bot.deleted', 'bot.published']);
  await del(`/v1/api_apps/${ids[0]}/events`, { event_types: ['bot.deleted'] });
  assert.deepEqual((await get(`/v1/api_apps/${ids[0]}/events`)).items.map((e) => e.event_type), ['bot.published']);
  await refused(coze.makeRequest(`/v1/api_apps/${ids[0]}/events`, 'DELETE', { event_types: ['bot.deleted'] }), NotFoundError, 4200);

  await del(`/v1/api_apps/${ids[0]}`);
  const after = await get('/v1/api_apps', { page_size: 100 });
  assert.ok(!after.items.some((a) => a.id === ids[0]));
  await refused(coze.makeRequest(`/v1/api_apps/${ids[0]}`, 'DELETE'), NotFoundError, 4200);
  await refused(coze.get(`/v1/api_apps/${ids[0]}/events`), NotFoundError, 4200);
});

test('enterprise member delete hands resources to another member; connector bot review', async () => {
  const ent = `e-${randomUUID().slice(0, 6)}`;
  ok(await coze.post(`/v1/enterprises/${ent}/members`, {
    users: [{ user_id: '42', role: 'enterprise_member' }, { user_id: '43', role: 'enterprise_admin' }],
  }));
  await refused(coze.makeRequest(`/v1/enterprises/${ent}/members/42`, 'DELETE', {}), BadRequestError, 4000);
  await refused(coze.makeRequest(`/v1/enterprises/${ent}/members/42`, 'DELETE', { receiver_user_id: '44' }), BadRequestError, 4000);
  await del(`/v1/enterprises/${ent}/members/42`, { receiver_user_id: '43' });
  await refused(coze.put(`/v1/enterprises/${ent}/members/42`, { role: 'enterprise_admin' }), NotFoundError, 4200);

  const echo = emu.info.bots.echo;
  ok(await coze.put(`/v1/connectors/1024/bots/${echo}`, { audit_status: 2 }));
  ok(await coze.put(`/v1/connectors/1024/bots/${echo}`, { audit_status: 3, reason: 'needs a privacy policy' }));
  await refused(coze.put(`/v1/connectors/1024/bots/${echo}`, { audit_status: 3 }), BadRequestError, 4000);
  await refused(coze.put(`/v1/connectors/1024/bots/${echo}`, { audit_status: 7 }), BadRequestError, 4000);
  await refused(coze.put('/v1/connectors/1024/bots/7000000000000000009', { audit_status: 2 }), NotFoundError, 4200);
});

test('audio.voiceprintGroups: voiceprints from samples, the same recording identifies its speaker', async (t) => {
  const { voice_list: voices } = await coze.audio.voices.list();
  const speak = async (input) =>
    Buffer.from(await coze.audio.speech.create({ input, voice_id: voices[0].voice_id, response_format: 'wav' }));
  // In Node the SDK's multipart (axios + form-data) takes streams, as for voice cloning.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coze-conformance-js-voiceprints-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const wavFile = (bytes, name) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, bytes);
    return fs.createReadStream(file);
  };
  const mum = await speak('hello there, how are you');
  const dad = await speak('zzzz ~~~~ zzzz ~~~~');
  const vp = coze.audio.voiceprintGroups;
  const name = `js-${randomUUID().slice(0, 6)}`;
  const { id: group } = await vp.create({ name, desc: 'speaker 2' });
  assert.ok(isInt64(group), group);
  const { id: mumId } = await vp.features.create(group, { name: 'Mum', file: wavFile(mum, 'mum.wav') });
  const { id: dadId } = await vp.features.create(group, { name: 'Dad', desc: 'low voice', file: wavFile(dad, 'dad.wav') });
  const listed = await vp.list({ name });
  assert.deepEqual(listed.items.map((g) => [g.id, g.feature_count]), [[group, 2]]);
  assert.equal(listed.total, 1);

  const { feature_score_list: scores } = await vp.features.speakerIdentify(group, { file: wavFile(mum, 'who.wav') });
  assert.deepEqual([scores[0].feature_id, scores[0].score], [mumId, 100]);
  assert.ok(scores[1].score < 100, JSON.stringify(scores));
  const top = await vp.features.speakerIdentify(group, { file: wavFile(mum, 'who.wav'), top_k: 1 });
  assert.equal(top.feature_score_list.length, 1);

  await vp.features.update(group, mumId, { name: 'Mother' });
  await vp.features.delete(group, dadId);
  const features = await vp.features.list(group);
  assert.deepEqual(features.items.map((f) => [f.name, f.group_id]), [['Mother', group]]);
  await refused(vp.features.delete(group, dadId), NotFoundError, 4200);
  const silence = wavFile(Buffer.alloc(32000), 'silence.pcm');
  await refused(vp.features.speakerIdentify(group, { file: silence, sample_rate: 16000, channel: 1 }), BadRequestError, 4000);
  await refused(vp.create({ name: 'x'.repeat(21) }), BadRequestError, 4000);

  await vp.update(group, { name: `${name}-2` });
  assert.equal((await vp.list({ group_id: group })).items[0].name, `${name}-2`);
  await vp.delete(group);
  await refused(vp.features.list(group), NotFoundError, 4200);
  assert.ok(!(await vp.list()).items?.some((g) => g.id === group));
});
