// Requests Coze refuses, refused with Coze's codes as @coze/api surfaces them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { APIError } from '@coze/api';

import { startEmulator, question, userId } from '../support.mjs';

let emu;
let coze;
let bots;
before(async () => {
  emu = await startEmulator();
  coze = emu.client();
  bots = emu.info.bots;
});
after(() => emu?.stop());

async function refusal(promise) {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof APIError, `${err?.name}: ${err?.message}`);
    return err;
  }
  assert.fail('expected the SDK to throw');
}

test('response-only message types are 4000', async (t) => {
  for (const type of ['follow_up', 'verbose']) {
    const err = await refusal(
      coze.chat.create({
        bot_id: bots.echo,
        user_id: userId(t.name),
        additional_messages: [{ role: 'user', type, content: 'hi', content_type: 'text' }],
      }),
    );
    assert.equal(err.code, 4000);
    assert.match(err.msg, /only appears in responses/);
  }
});

test('a missing content_type is 4000', async (t) => {
  const err = await refusal(
    coze.chat.create({
      bot_id: bots.echo,
      user_id: userId(t.name),
      additional_messages: [{ role: 'user', type: 'question', content: 'hi' }],
    }),
  );
  assert.equal(err.code, 4000);
  assert.match(err.msg, /content_type/);
});

test('object_string: text alone and a file id never uploaded are 4000; an item array is accepted', async (t) => {
  const cases = [
    [[{ type: 'text', text: 'just text' }], /content_type text/],
    [[{ type: 'text', text: 'look' }, { type: 'image', file_id: '7400000000000999999' }], /not a file this account uploaded/],
  ];
  for (const [content, needle] of cases) {
    const err = await refusal(
      coze.chat.create({
        bot_id: bots.echo,
        user_id: userId(t.name),
        additional_messages: [{ role: 'user', type: 'question', content, content_type: 'object_string' }],
      }),
    );
    assert.equal(err.code, 4000);
    assert.match(err.msg, needle);
  }
  const ok = await coze.chat.create({
    bot_id: bots.echo,
    user_id: userId(t.name),
    additional_messages: [
      {
        role: 'user',
        type: 'question',
        content: [{ type: 'text', text: 'look' }, { type: 'image', file_url: 'https://example.com/cat.png' }],
        content_type: 'object_string',
      },
    ],
  });
  assert.ok(ok.id);
});

test('no question in an empty conversation is 4000', async (t) => {
  const conv = await coze.conversations.create({ bot_id: bots.echo });
  const err = await refusal(coze.chat.create({ bot_id: bots.echo, user_id: userId(t.name), conversation_id: conv.id }));
  assert.equal(err.code, 4000);
});

test('a prompt beyond the context window is 4010', async (t) => {
  const err = await refusal(
    coze.chat.create({ bot_id: bots.echo, user_id: userId(t.name), additional_messages: question('word '.repeat(30_000)) }),
  );
  assert.equal(err.code, 4010);
});

test('a workflow run for an unpublished bot is 4015', async () => {
  const err = await refusal(
    coze.workflows.runs.create({ workflow_id: emu.info.workflows.greeting, bot_id: bots.unpublished, parameters: {} }),
  );
  assert.equal(err.code, 4015);
});
