// Shared harness for the @coze/api conformance suite: start `coze emulator --json`, build a
// client for it, and small helpers over the SDK's chat events.
//
// Each test file starts its own emulator (node --test runs files in separate processes), so
// files cannot leak state into each other. The binary is $COZE_BIN, else
// <$CARGO_TARGET_DIR or repo/target>/debug/coze.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';

import { CozeAPI, ChatEventType } from '@coze/api';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// The first start may include the OS loading a freshly linked debug binary.
const START_TIMEOUT_MS = 60_000;

export function cozeBin() {
  const explicit = process.env.COZE_BIN;
  if (explicit) {
    if (!existsSync(explicit)) {
      throw new Error(`COZE_BIN=${explicit} does not exist; build it with \`cargo build -p coze-cli\``);
    }
    return explicit;
  }
  const target = process.env.CARGO_TARGET_DIR || path.join(REPO, 'target');
  const candidate = path.join(target, 'debug', process.platform === 'win32' ? 'coze.exe' : 'coze');
  if (!existsSync(candidate)) {
    throw new Error(`no coze binary at ${candidate}; run \`cargo build -p coze-cli\` or set COZE_BIN`);
  }
  return candidate;
}

/**
 * Starts an emulator and resolves with `{ info, client(token?), stop() }` once it printed its line.
 * At the fast pace unless `pace` says otherwise (null: its default, the realistic pace, for the
 * tests of timing).
 */
export async function startEmulator(pace = 'fast') {
  const args = ['emulator', '--json', '--listen', '127.0.0.1:0'];
  if (pace !== null) args.push('--pace', pace);
  const proc = spawn(cozeBin(), args, {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never leave an emulator behind, even when the test process ends without running after().
  const killOnExit = () => proc.kill();
  process.once('exit', killOnExit);
  proc.once('exit', () => process.removeListener('exit', killOnExit));
  let stderr = '';
  proc.stderr.on('data', (chunk) => {
    // Keep only the tail: enough to explain a failed start, bounded for a long run.
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  const lines = createInterface({ input: proc.stdout });
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill();
      reject(new Error(`\`coze emulator --json\` printed nothing within ${START_TIMEOUT_MS} ms`));
    }, START_TIMEOUT_MS);
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`\`coze emulator --json\` exited with ${code} before its line:\n${stderr}`));
    });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line));
      } catch {
        proc.kill();
        reject(new Error(`\`coze emulator --json\` printed a line that is not JSON: ${line}`));
      }
    });
  });
  // Keep draining stdout so the emulator can never block on a full pipe.
  lines.on('line', () => {});
  for (const key of ['base_url', 'pat', 'workspace_id', 'bots', 'workflows']) {
    if (!(key in info)) {
      proc.kill();
      throw new Error(`\`coze emulator --json\` line lacks ${key}: ${JSON.stringify(info)}`);
    }
  }
  return {
    info,
    client: (token) => makeClient(info.base_url, token ?? info.pat),
    stop: () =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

export function makeClient(baseURL, token) {
  // proxy:false: a registry proxy from the environment must never see 127.0.0.1 (streams use
  // node's fetch, which ignores proxy variables anyway). The timeout bounds a hung emulator.
  return new CozeAPI({ baseURL, token, axiosOptions: { proxy: false, timeout: 30_000 } });
}

export function userId(name) {
  // Unique per test: the emulator keys context and memory by user.
  return `conf-js-${name.slice(0, 30)}-${randomUUID().slice(0, 8)}`;
}

export function question(text) {
  return [{ role: 'user', type: 'question', content: text, content_type: 'text' }];
}

/** Drains an async iterator into an array. */
export async function collect(iterable) {
  const out = [];
  for await (const item of iterable) out.push(item);
  return out;
}

export const names = (events) => events.map((e) => e.event);

export function answerDeltas(events) {
  return events
    .filter((e) => e.event === ChatEventType.CONVERSATION_MESSAGE_DELTA && e.data.type === 'answer')
    .map((e) => e.data);
}

export function completed(events, type) {
  return events
    .filter((e) => e.event === ChatEventType.CONVERSATION_MESSAGE_COMPLETED && e.data.type === type)
    .map((e) => e.data);
}

export function only(items, what) {
  if (items.length !== 1) {
    throw new Error(`expected exactly one ${what}, got ${items.length}: ${JSON.stringify(items)}`);
  }
  return items[0];
}

/** Calls `fetch` until `done(result)`; throws with the last result after `timeoutMs`. */
export async function poll(fetch, done, timeoutMs = 20_000, intervalMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last = await fetch();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`still not done after ${timeoutMs} ms: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, intervalMs));
    last = await fetch();
  }
  return last;
}
