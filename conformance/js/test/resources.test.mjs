// Workspaces, bots and files through @coze/api.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { APIError, ChatEventType } from '@coze/api';

import { startEmulator, question, collect, completed, only, userId } from '../support.mjs';

let emu;
let coze;
let dir;
before(async () => {
  emu = await startEmulator();
  coze = emu.client();
  dir = await mkdtemp(path.join(tmpdir(), 'coze-conformance-js-'));
});
after(async () => {
  await emu?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

test('workspaces list has the personal workspace and a team one', async () => {
  const page = await coze.workspaces.list({ page_num: 1, page_size: 50 });
  assert.ok(Array.isArray(page.workspaces), JSON.stringify(page));
  assert.ok(page.total_count >= 2 && page.total_count === page.workspaces.length, JSON.stringify(page));
  const personal = only(page.workspaces.filter((w) => w.id === emu.info.workspace_id), 'personal workspace');
  assert.equal(personal.workspace_type, 'personal');
  assert.equal(personal.role_type, 'owner');
  assert.ok(page.workspaces.some((w) => w.workspace_type === 'team'));
});

test('bots: create (a draft is refused), publish, then chat', async (t) => {
  const name = `conf-js-${randomUUID().slice(0, 6)}`;
  const bot = await coze.bots.create({
    space_id: emu.info.workspace_id,
    name,
    description: 'made by the js conformance suite',
    prompt_info: { prompt: 'You repeat what you hear.' },
  });
  assert.match(bot.bot_id, /^\d+$/);

  await assert.rejects(
    coze.chat.create({ bot_id: bot.bot_id, user_id: userId(t.name), additional_messages: question('hello draft') }),
    (err) => err instanceof APIError && err.code === 4015,
  );

  const published = await coze.bots.publish({ bot_id: bot.bot_id, connector_ids: ['1024'] });
  assert.equal(published.bot_id, bot.bot_id);
  assert.ok(published.version);

  const events = await collect(
    coze.chat.stream({ bot_id: bot.bot_id, user_id: userId(t.name), additional_messages: question('hello published bot') }),
  );
  assert.equal(events.at(-2).event, ChatEventType.CONVERSATION_CHAT_COMPLETED);
  assert.ok(only(completed(events, 'answer'), 'answer').content.includes('hello published bot'));

  const online = await coze.bots.retrieve({ bot_id: bot.bot_id });
  assert.deepEqual([online.bot_id, online.name], [bot.bot_id, name]);
  const listed = await coze.bots.list({ space_id: emu.info.workspace_id, page_size: 50 });
  assert.ok(listed.space_bots.some((b) => b.bot_id === bot.bot_id), JSON.stringify(listed));
});

test('files: upload a Node file stream, retrieve it, use it in a chat', async (t) => {
  const content = 'conformance file content from node\n'.repeat(10);
  const file = path.join(dir, 'notes.txt');
  await writeFile(file, content);
  const uploaded = await coze.files.upload({ file: createReadStream(file) });
  assert.ok(uploaded.id);
  assert.equal(uploaded.bytes, Buffer.byteLength(content));
  assert.equal(uploaded.file_name, 'notes.txt');
  assert.equal(typeof uploaded.created_at, 'number');

  const got = await coze.files.retrieve(uploaded.id);
  assert.deepEqual([got.id, got.bytes, got.file_name], [uploaded.id, uploaded.bytes, 'notes.txt']);

  const objects = [
    { type: 'text', text: 'summarise this file' },
    { type: 'file', file_id: uploaded.id },
  ];
  const events = await collect(
    coze.chat.stream({
      bot_id: emu.info.bots.echo,
      user_id: userId(t.name),
      additional_messages: [{ role: 'user', type: 'question', content: objects, content_type: 'object_string' }],
    }),
  );
  assert.equal(events.at(-2).data.status, 'completed');
  assert.ok(only(completed(events, 'answer'), 'answer').content.includes('notes.txt'));
});

test('unknown file -> APIError', async () => {
  await assert.rejects(coze.files.retrieve('7000000000000000003'), (err) => err instanceof APIError && err.code > 0);
});
