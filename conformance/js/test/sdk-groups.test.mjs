// The rest of @coze/api 1.3.9's typed REST clients, against the emulator: users, bots (update,
// the v2 list and retrieve), workflow run history, datasets (list, update, documents, images),
// the deprecated `knowledge.documents` client, voice cloning and rooms.
//
// Not here, because @coze/api 1.3.9 has no client for them (see rest-groups.test.mjs, which calls
// them through the SDK's own request methods): apps, API apps and events, folders,
// collaborators and collaboration mode, workspace/enterprise/organisation members, bot and
// workflow versions, node execution details, workflow resume by id, connectors, copy tasks,
// benefits and bill tasks. `templates.duplicate`, `audio.live` and `audio.voiceprintGroups`
// (outside the OpenAPI document) are in sdk-extras.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { APIError, NotFoundError } from '@coze/api';

import { startEmulator, only, poll } from '../support.mjs';

let emu;
let coze;
let dir;
before(async () => {
  emu = await startEmulator();
  coze = emu.client();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coze-conformance-js-groups-'));
});
after(async () => {
  await emu?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

const b64 = (text) => Buffer.from(text).toString('base64');

test('users.me is the token owner', async () => {
  const me = await coze.users.me();
  assert.equal(me.user_id, emu.info.oauth.user_id);
  assert.ok(me.user_name && me.nick_name, JSON.stringify(me));
  await assert.rejects(emu.client('pat_wrong').users.me(), (e) => e instanceof APIError && e.code === 4100);
});

test('bots: update is read back by retrieveNew, listNew pages, unknown ids are 4200', async () => {
  const name = `js-${randomUUID().slice(0, 6)}`;
  const { bot_id } = await coze.bots.create({ space_id: emu.info.workspace_id, name, description: 'before' });
  await coze.bots.update({ bot_id, name: `${name}-2`, description: 'after', prompt_info: { prompt: 'Be brief.' } });
  // A draft is read with is_published=false; the published view does not have it yet.
  const draft = await coze.bots.retrieveNew(bot_id, { is_published: false });
  assert.deepEqual([draft.bot_id, draft.name, draft.description, draft.prompt_info.prompt], [bot_id, `${name}-2`, 'after', 'Be brief.']);

  const drafts = await coze.bots.listNew({ workspace_id: emu.info.workspace_id, publish_status: 'all', page_size: 50 });
  assert.ok(drafts.items.some((b) => b.id === bot_id && b.is_published === false), JSON.stringify(drafts));
  assert.ok(drafts.total >= drafts.items.length);
  const first = await coze.bots.listNew({ workspace_id: emu.info.workspace_id, publish_status: 'all', page_size: 1 });
  assert.equal(first.items.length, 1);
  assert.equal(first.total, drafts.total);

  await assert.rejects(coze.bots.retrieveNew('7000000000000000001'), (e) => e instanceof NotFoundError && e.code === 4200);
  await assert.rejects(
    coze.bots.update({ bot_id: '7000000000000000001', name: 'x' }),
    (e) => e instanceof APIError && e.code === 4200,
  );
});

test('workflows.runs.history: a sync run reads back Success with its output, an async one finishes', async () => {
  const workflow_id = emu.info.workflows.greeting;
  const run = await coze.workflows.runs.create({ workflow_id, parameters: { input: 'Ada' } });
  const [done] = await coze.workflows.runs.history(workflow_id, run.execute_id);
  assert.equal(done.execute_id, run.execute_id);
  assert.equal(done.execute_status, 'Success');
  assert.deepEqual(JSON.parse(done.output), JSON.parse(run.data));

  const started = await coze.workflows.runs.create({ workflow_id, parameters: { input: 'Bo' }, is_async: true });
  assert.ok(started.execute_id);
  const last = await poll(
    () => coze.workflows.runs.history(workflow_id, started.execute_id),
    ([h]) => h.execute_status !== 'Running',
    15_000,
    100,
  );
  assert.equal(last[0].execute_status, 'Success');
  assert.match(JSON.parse(last[0].output).output, /Hello, Bo!/);

  await assert.rejects(
    coze.workflows.runs.history(workflow_id, '7000000000000000002'),
    (e) => e instanceof NotFoundError && e.code === 4200,
  );
});

test('datasets: list by name, update, documents update/list/delete', async () => {
  const name = `kb-${randomUUID().slice(0, 6)}`;
  const { dataset_id } = await coze.datasets.create({ name, space_id: emu.info.workspace_id, format_type: 0 });
  await coze.datasets.update(dataset_id, { name: `${name}-2`, description: 'renamed' });
  const listed = await coze.datasets.list({ space_id: emu.info.workspace_id, name: `${name}-2` });
  const ds = only(listed.dataset_list, 'dataset');
  assert.deepEqual([ds.dataset_id, ds.name, ds.description], [dataset_id, `${name}-2`, 'renamed']);

  const docs = await coze.datasets.documents.create({
    dataset_id,
    document_bases: [
      { name: 'a.txt', source_info: { file_base64: b64('Alpha.'), file_type: 'txt' } },
      { name: 'b.txt', source_info: { file_base64: b64('Beta.'), file_type: 'txt' } },
    ],
  });
  assert.deepEqual(docs.map((d) => d.name), ['a.txt', 'b.txt']);
  await coze.datasets.documents.update({ document_id: docs[0].document_id, document_name: 'a-v2.txt' });
  await coze.datasets.documents.delete({ document_ids: [docs[1].document_id] });
  const page = await coze.datasets.documents.list({ dataset_id, page: 1, size: 10 });
  assert.deepEqual(page.document_infos.map((d) => d.name), ['a-v2.txt']);
  assert.equal(page.total, 1);

  await assert.rejects(coze.datasets.update('7000000000000000003', { name: 'x' }), (e) => e.code === 4200);
});

test('datasets.images: captions update and filter the list', async () => {
  const { dataset_id } = await coze.datasets.create({
    name: `img-${randomUUID().slice(0, 6)}`,
    space_id: emu.info.workspace_id,
    format_type: 2,
  });
  const [doc] = await coze.datasets.documents.create({
    dataset_id,
    format_type: 2,
    document_bases: [{ name: 'cat.png', source_info: { file_base64: b64('PNG'), file_type: 'png' } }],
  });
  const before = await coze.datasets.images.list(dataset_id);
  assert.deepEqual(before.photo_infos.map((p) => [p.document_id, p.caption]), [[doc.document_id, '']]);
  await coze.datasets.images.update(dataset_id, doc.document_id, { caption: 'a sleepy cat' });
  const hit = await coze.datasets.images.list(dataset_id, { keyword: 'sleepy' });
  assert.deepEqual(hit.photo_infos.map((p) => p.caption), ['a sleepy cat']);
  assert.equal(hit.total_count, 1);
  const miss = await coze.datasets.images.list(dataset_id, { keyword: 'dog' });
  assert.deepEqual(miss.photo_infos, []);
  await assert.rejects(
    coze.datasets.images.update(dataset_id, '7000000000000000004', { caption: 'x' }),
    (e) => e.code === 4200,
  );
});

test('knowledge.documents (deprecated client): create, list (a GET with a query), update, delete', async () => {
  const { dataset_id } = await coze.datasets.create({
    name: `old-${randomUUID().slice(0, 6)}`,
    space_id: emu.info.workspace_id,
    format_type: 0,
  });
  const created = await coze.knowledge.documents.create({
    dataset_id,
    document_bases: [{ name: 'old.txt', source_info: { file_base64: b64('Old client.'), file_type: 'txt' } }],
    chunk_strategy: { separator: '\n', max_tokens: 800, remove_extra_spaces: false, remove_urls_emails: false, chunk_type: 1 },
  });
  const id = only(created, 'document').document_id;
  await coze.knowledge.documents.update({ document_id: id, document_name: 'old-v2.txt' });
  // @coze/api 1.3.9 sends this list as GET with dataset_id/page/size in the query string.
  const listed = await coze.knowledge.documents.list({ dataset_id, page: 1, size: 5 });
  assert.deepEqual(listed.document_infos.map((d) => [d.document_id, d.name]), [[id, 'old-v2.txt']]);
  await coze.knowledge.documents.delete({ document_ids: [id] });
  const empty = await coze.knowledge.documents.list({ dataset_id });
  assert.deepEqual(empty.document_infos, []);
  await assert.rejects(coze.knowledge.documents.list({ dataset_id: '7000000000000000005' }), (e) => e.code === 4200);
});

test('audio: a cloned voice is listed and speaks; rooms for a bot', async () => {
  const { voice_list: system } = await coze.audio.voices.list();
  const sample = Buffer.from(await coze.audio.speech.create({ input: 'sample', voice_id: system[0].voice_id, response_format: 'wav' }));
  const wav = path.join(dir, 'sample.wav');
  fs.writeFileSync(wav, sample);
  const voiceName = `mine-${randomUUID().slice(0, 4)}`;
  // In node, @coze/api sends the file through form-data, so it takes a read stream.
  const cloned = await coze.audio.voices.clone({ voice_name: voiceName, file: fs.createReadStream(wav), audio_format: 'wav' });
  assert.match(cloned.voice_id, /\S/);
  const mine = await coze.audio.voices.list({ filter_system_voice: true });
  assert.deepEqual(mine.voice_list.map((v) => [v.voice_id, v.name, v.is_system_voice]), [[cloned.voice_id, voiceName, false]]);
  const spoken = Buffer.from(await coze.audio.speech.create({ input: 'cloned', voice_id: cloned.voice_id, response_format: 'wav' }));
  assert.equal(spoken.subarray(0, 4).toString(), 'RIFF');

  const room = await coze.audio.rooms.create({ bot_id: emu.info.bots.echo, voice_id: cloned.voice_id });
  assert.ok(room.room_id && room.token && room.app_id && room.uid, JSON.stringify(room));
  await assert.rejects(coze.audio.rooms.create({ bot_id: '7000000000000000006' }), (e) => e.code === 4200);
});
