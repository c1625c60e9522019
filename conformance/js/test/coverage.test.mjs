// Knowledge bases, variables and audio through @coze/api: documents processed over time,
// variables per user, speech that transcribes back to its text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { startEmulator, userId } from '../support.mjs';

let emu;
let coze;
before(async () => {
  emu = await startEmulator();
  coze = emu.client();
});
after(() => emu?.stop());

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

test('datasets: add documents, progress grows to 100, list and delete', async () => {
  const { dataset_id } = await coze.datasets.create({
    name: `kb-${Date.now()}`,
    space_id: emu.info.workspace_id,
    format_type: 0,
  });
  assert.ok(dataset_id);
  const docs = await coze.datasets.documents.create({
    dataset_id,
    document_bases: [
      {
        name: 'rules.txt',
        source_info: { file_base64: Buffer.from('Be kind.').toString('base64'), file_type: 'txt' },
      },
    ],
  });
  assert.equal(docs.length, 1);
  const ids = docs.map((d) => d.document_id);
  const seen = [];
  const deadline = Date.now() + 15_000;
  for (;;) {
    const { data } = await coze.datasets.process(dataset_id, { document_ids: ids });
    seen.push(data[0].progress);
    if (data[0].progress === 100 || Date.now() > deadline) break;
    await sleep(300);
  }
  assert.equal(seen.at(-1), 100, `progress: ${seen}`);
  assert.ok(seen[0] < 100, `progress starts below 100: ${seen}`);
  const listed = await coze.datasets.documents.list({ dataset_id });
  assert.deepEqual(
    listed.document_infos.map((d) => d.name),
    ['rules.txt'],
  );
  await coze.datasets.delete(dataset_id);
  await assert.rejects(coze.datasets.process(dataset_id, { document_ids: ids }), (e) => e.code === 4200);
});

test('variables: set then read per user', async (t) => {
  const user = userId(t.name);
  const bot_id = emu.info.bots.echo;
  await coze.variables.update({ bot_id, connector_uid: user, data: [{ keyword: 'city', value: 'Hangzhou' }] });
  const got = await coze.variables.retrieve({ bot_id, connector_uid: user, keywords: ['city'] });
  assert.deepEqual(
    got.items.map((v) => [v.keyword, v.value]),
    [['city', 'Hangzhou']],
  );
});

test('audio: speech is a WAV that transcribes back; voices list', async () => {
  const { voice_list } = await coze.audio.voices.list();
  assert.ok(voice_list.length >= 2);
  const audio = await coze.audio.speech.create({
    input: 'Hello from node',
    voice_id: voice_list[0].voice_id,
    response_format: 'wav',
  });
  const bytes = Buffer.from(audio);
  assert.equal(bytes.subarray(0, 4).toString(), 'RIFF');
  // In node, @coze/api sends files as streams (form-data), so the WAV goes through a file.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coze-audio-'));
  const wav = path.join(dir, 'hello.wav');
  fs.writeFileSync(wav, bytes);
  try {
    const { text } = await coze.audio.transcriptions.create({ file: fs.createReadStream(wav) });
    assert.equal(text, 'Hello from node');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
