// Conversations and their messages through @coze/api.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { APIError } from '@coze/api';

import { startEmulator } from '../support.mjs';

let emu;
let coze;
let bots;
before(async () => {
  emu = await startEmulator();
  coze = emu.client();
  bots = emu.info.bots;
});
after(() => emu?.stop());

const add = (conv, content, role = 'user', meta_data) =>
  coze.conversations.messages.create(conv.id, { role, content, content_type: 'text', meta_data });

test('conversations: create, retrieve, list scoped to the bot', async () => {
  const conv = await coze.conversations.create({
    bot_id: bots.echo,
    meta_data: { k: 'v' },
    messages: [
      { role: 'user', type: 'question', content: 'seeded question', content_type: 'text' },
      { role: 'assistant', type: 'answer', content: 'seeded', content_type: 'text' },
    ],
  });
  assert.match(conv.id, /^\d+$/, 'ids are decimal int64 rendered as strings');
  assert.equal(typeof conv.created_at, 'number');
  assert.ok(conv.created_at > 1_600_000_000);
  assert.deepEqual(conv.meta_data, { k: 'v' });
  assert.ok(conv.last_section_id);

  const got = await coze.conversations.retrieve(conv.id);
  assert.deepEqual([got.id, got.meta_data, got.last_section_id], [conv.id, { k: 'v' }, conv.last_section_id]);

  const other = await coze.conversations.create({ bot_id: bots.tool });
  const more = [];
  for (let i = 0; i < 3; i++) more.push((await coze.conversations.create({ bot_id: bots.echo })).id);
  const page1 = await coze.conversations.list({ bot_id: bots.echo, page_num: 1, page_size: 2 });
  assert.equal(page1.conversations.length, 2);
  assert.equal(page1.has_more, true);
  const all = await coze.conversations.list({ bot_id: bots.echo, page_num: 1, page_size: 50 });
  const ids = all.conversations.map((c) => c.id);
  assert.equal(all.has_more, false);
  for (const id of [conv.id, ...more]) assert.ok(ids.includes(id), `${id} missing from ${ids}`);
  assert.ok(!ids.includes(other.id), 'a conversation of another bot was listed');
  assert.equal(new Set(ids).size, ids.length);

  const seeded = await coze.conversations.messages.list(conv.id, { order: 'asc' });
  assert.deepEqual(seeded.data.map((m) => m.content), ['seeded question', 'seeded']);
});

test('messages: create, retrieve, list with cursors, update, delete', async () => {
  const conv = await coze.conversations.create({ bot_id: bots.echo });
  const first = await add(conv, 'a user note', 'user', { source: 'conformance-js' });
  assert.match(first.id, /^\d+$/);
  assert.deepEqual([first.conversation_id, first.role, first.type, first.content], [conv.id, 'user', 'question', 'a user note']);
  assert.deepEqual(first.meta_data, { source: 'conformance-js' });
  const reply = await add(conv, 'an assistant note', 'assistant');
  assert.equal(reply.type, 'answer');
  const created = [first.id, reply.id];
  for (let i = 0; i < 3; i++) created.push((await add(conv, `message ${i}`)).id);

  const got = await coze.conversations.messages.retrieve(conv.id, first.id);
  assert.deepEqual([got.id, got.content], [first.id, 'a user note']);

  // Newest first by default; the page's last_id is the cursor for the next (older) page.
  const page1 = await coze.conversations.messages.list(conv.id, { limit: 2 });
  assert.equal(page1.data.length, 2);
  assert.equal(page1.has_more, true);
  assert.equal(page1.first_id, page1.data[0].id);
  assert.equal(page1.last_id, page1.data[1].id);
  const page2 = await coze.conversations.messages.list(conv.id, { limit: 2, after_id: page1.last_id });
  const page3 = await coze.conversations.messages.list(conv.id, { limit: 2, after_id: page2.last_id });
  assert.equal(page3.has_more, false);
  const walked = [...page1.data, ...page2.data, ...page3.data].map((m) => m.id);
  assert.deepEqual(walked, [...created].reverse());

  // The modify response carries the message under `message`; the SDK returns that.
  const updated = await coze.conversations.messages.update(conv.id, first.id, {
    content: 'edited',
    content_type: 'text',
    meta_data: { edited: 'yes' },
  });
  assert.deepEqual([updated.id, updated.content, updated.meta_data], [first.id, 'edited', { edited: 'yes' }]);
  assert.equal((await coze.conversations.messages.retrieve(conv.id, first.id)).content, 'edited');

  const deleted = await coze.conversations.messages.delete(conv.id, reply.id);
  assert.deepEqual([deleted.id, deleted.content], [reply.id, 'an assistant note']);
  await assert.rejects(coze.conversations.messages.retrieve(conv.id, reply.id), (err) => {
    assert.ok(err instanceof APIError && err.code > 0 && err.logid, `${err?.name}: ${err?.message}`);
    return true;
  });
  const left = (await coze.conversations.messages.list(conv.id, { limit: 50 })).data.map((m) => m.id);
  assert.ok(!left.includes(reply.id));
  assert.equal(left.length, created.length - 1);
});

test('clear starts a new section', async () => {
  const conv = await coze.conversations.create({ bot_id: bots.echo });
  const section = await coze.conversations.clear(conv.id);
  assert.equal(section.conversation_id, conv.id);
  assert.ok(section.id && section.id !== conv.last_section_id);
  assert.equal((await coze.conversations.retrieve(conv.id)).last_section_id, section.id);
});
