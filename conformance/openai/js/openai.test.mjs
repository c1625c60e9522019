// The official `openai` npm package against `coze serve --emulator --json`: a stream and a
// tool call round trip.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';

import OpenAI from 'openai';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function cozeBin() {
  if (process.env.COZE_BIN) return process.env.COZE_BIN;
  const candidate = path.join(process.env.CARGO_TARGET_DIR || path.join(REPO, 'target'), 'debug', 'coze');
  if (!existsSync(candidate)) throw new Error(`no coze binary at ${candidate}; run \`cargo build -p coze-cli\``);
  return candidate;
}

let proc;
let info;
let client;

before(async () => {
  proc = spawn(cozeBin(), ['serve', '--emulator', '--json', '--listen', '127.0.0.1:0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const killOnExit = () => proc.kill();
  process.once('exit', killOnExit);
  let stderr = '';
  proc.stderr.on('data', (c) => { stderr = (stderr + c.toString()).slice(-8000); });
  const lines = createInterface({ input: proc.stdout });
  info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => { proc.kill(); reject(new Error('`coze serve --emulator --json` printed nothing in 60 s')); }, 60_000);
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`coze serve exited with ${code}:\n${stderr}`)); });
    lines.once('line', (line) => { clearTimeout(timer); resolve(JSON.parse(line)); });
  });
  client = new OpenAI({ baseURL: `${info.url.replace(/\/$/, '')}/v1`, apiKey: info.api_key, maxRetries: 0, timeout: 30_000 });
});

after(() => { proc?.kill(); });

test('a streamed answer with usage', async () => {
  const stream = await client.chat.completions.create({
    model: 'echo',
    messages: [{ role: 'user', content: 'hello from node' }],
    stream: true,
    stream_options: { include_usage: true },
    user: `js-${randomUUID()}`,
  });
  let text = '';
  let finish = null;
  let usage = null;
  let coze = null;
  for await (const chunk of stream) {
    if (chunk.choices.length) {
      text += chunk.choices[0].delta.content ?? '';
      if (chunk.choices[0].finish_reason) { finish = chunk.choices[0].finish_reason; coze = chunk.coze; }
    }
    if (chunk.usage) usage = chunk.usage;
  }
  assert.equal(text.split('\n\n')[0], 'You said: "hello from node".');
  assert.equal(finish, 'stop');
  assert.ok(coze.conversation_id && coze.chat_id);
  assert.ok(usage.total_tokens > 0);
  assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
});

test('a tool call round trip', async () => {
  const user = `js-${randomUUID()}`;
  const messages = [{ role: 'user', content: 'Lisbon' }];
  const first = await client.chat.completions.create({ model: 'tool', messages, user });
  const choice = first.choices[0];
  assert.equal(choice.finish_reason, 'tool_calls');
  const [call] = choice.message.tool_calls;
  assert.equal(call.function.name, 'get_weather');
  assert.deepEqual(JSON.parse(call.function.arguments), { location: 'Lisbon' });
  messages.push(choice.message, { role: 'tool', tool_call_id: call.id, content: 'windy' });
  const stream = await client.chat.completions.create({ model: 'tool', messages, user, stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  assert.equal(text, 'The tool get_weather returned: windy');
});

test('an unknown model is a NotFoundError', async () => {
  await assert.rejects(
    client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof OpenAI.NotFoundError && e.code === 'model_not_found',
  );
});
