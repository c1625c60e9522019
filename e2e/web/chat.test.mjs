// The chat page of `coze serve --emulator` in real headless Chromium (Debian's `chromium`,
// driven by playwright-core; no browser is downloaded). Run by scripts/web-e2e.sh.
//
// Environment: COZE_BIN (the coze binary, required), CHROMIUM (default /usr/bin/chromium),
// E2E_SCREENSHOT (a PNG path: saves the README's screenshot there).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const WAIT = { timeout: 15_000 };

let server;
let info;
let browser;

async function startServer() {
  const bin = process.env.COZE_BIN;
  assert.ok(bin, "set COZE_BIN to the coze binary");
  const child = spawn(bin, ["serve", "--emulator", "--json"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("coze serve printed nothing in 30 s")), 30_000);
    lines.once("line", (line) => {
      clearTimeout(timer);
      resolve(line);
    });
    child.once("exit", (code) => reject(new Error(`coze serve exited with ${code}`)));
    child.once("error", (e) => reject(new Error(`cannot run ${bin}: ${e.message}`)));
  });
  return { child, info: JSON.parse(first) };
}

async function faults(config) {
  const resp = await fetch(`${info.emulator.base_url}/_emulator/faults`, {
    method: config ? "POST" : "DELETE",
    headers: { "content-type": "application/json" },
    body: config ? JSON.stringify(config) : undefined,
  });
  assert.ok(resp.ok, `faults: ${resp.status}`);
}

before(async () => {
  ({ child: server, info } = await startServer());
  assert.match(info.web, /^http:\/\/127\.0\.0\.1:\d+\/$/);
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    // playwright-core gives every launch a fresh temporary profile (--user-data-dir).
    args: FLAGS,
  });
});

after(async () => {
  await browser?.close();
  if (server && server.exitCode === null) {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
  }
});

/** A new visitor: a fresh browser context (its own cookies) with a page on the chat. */
async function visitor(options = {}) {
  const context = await browser.newContext({ locale: "en-US", viewport: { width: 1200, height: 800 }, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(info.web);
  await page.locator("#input").waitFor(WAIT);
  return { context, page, errors };
}

/** Types `text` and presses Enter; returns once the page shows it (and the answer's bubble). */
async function send(page, text) {
  const before = await page.locator("article.msg.user").count();
  await page.locator("#input").fill(text);
  await page.locator("#input").press("Enter");
  await page.waitForFunction((n) => document.querySelectorAll("article.msg.user").length > n, before, WAIT);
}

/** The last assistant message once it finished streaming. */
async function lastAnswer(page) {
  const last = page.locator("article.msg.assistant").last();
  await page.waitForFunction(() => {
    const all = document.querySelectorAll("article.msg.assistant");
    const m = all[all.length - 1];
    return m && !m.classList.contains("streaming") && document.querySelector("#stop").hidden;
  }, null, WAIT);
  return last;
}

let alice;

test("the page shows the bot's opening message, suggested questions and a bot picker", async () => {
  alice = await visitor();
  const { page } = alice;
  await page.locator(".msg.prologue").waitFor(WAIT);
  assert.match(await page.locator(".msg.prologue").innerText(), /echo/);
  assert.equal(await page.locator(".msg.prologue strong").innerText(), "echo", "markdown rendered");
  assert.deepEqual(await page.locator(".chips .chip").allInnerTexts(), ["What can you do?", "Tell me a joke"]);
  const options = await page.locator("#bot-picker option").allInnerTexts();
  assert.ok(options.includes("Echo") && options.includes("Tool") && options.includes("Failing"), String(options));
  assert.equal(await page.locator("#send").getAttribute("type"), "submit");
  assert.equal(await page.locator("#attach").getAttribute("aria-label"), "Attach image or file");
});

test("send a message and see the answer stream in", async () => {
  const { page } = alice;
  await faults({ event_delay_ms: 120 });
  try {
    await send(page, "hello e2e");
    // While streaming: the Stop button and a partial answer.
    await page.locator("article.msg.assistant.streaming").waitFor(WAIT);
    await page.locator("#stop").waitFor({ state: "visible", ...WAIT });
    await page.waitForFunction(() => {
      const m = document.querySelector("article.msg.assistant.streaming .body");
      return m && m.textContent.length > 0;
    }, null, WAIT);
    const answer = await lastAnswer(page);
    assert.match(await answer.innerText(), /You said: "hello e2e"/);
    // Markdown: a list and a highlighted code block with a copy button.
    assert.equal(await answer.locator("ul li").count(), 2);
    assert.equal(await answer.locator("pre code").innerText(), "hello e2e");
    await answer.locator("pre button.copy").waitFor(WAIT);
    // Follow-up suggestions as chips; the list has the conversation under its first words.
    await page.locator(".chips .chip", { hasText: "Tell me more about hello e2e" }).waitFor(WAIT);
    await page.locator("#conv-list .conv-title", { hasText: "hello e2e" }).waitFor(WAIT);
  } finally {
    await faults(null);
  }
});

test("a follow-up chip asks it", async () => {
  const { page } = alice;
  const before = await page.locator("article.msg.user").count();
  await page.locator(".chips .chip", { hasText: "What did I say before?" }).click();
  await page.waitForFunction((n) => document.querySelectorAll("article.msg.user").length > n, before, WAIT);
  const answer = await lastAnswer(page);
  assert.match(await answer.innerText(), /Earlier in this conversation you said: "hello e2e"/);
});

test("Stop mid-answer keeps the partial answer and frees the conversation", async () => {
  const { page } = alice;
  await faults({ event_delay_ms: 500 });
  try {
    await send(page, "please stop me");
    await page.waitForFunction(() => {
      const m = document.querySelector("article.msg.assistant.streaming .body");
      return m && m.textContent.length > 0;
    }, null, WAIT);
    await page.locator("#stop").click();
    await page.locator("article.msg.assistant .note.stopped").last().waitFor(WAIT);
    await page.locator("#send").waitFor({ state: "visible", ...WAIT });
    const stopped = page.locator("article.msg.assistant").last();
    const partial = await stopped.locator(".body").innerText();
    assert.ok(partial.length > 0, "the partial answer stays");
    assert.ok(!/characters: 14/.test(partial), `the answer did not finish: ${partial}`);
  } finally {
    await faults(null);
  }
  // The Coze chat was cancelled: the next message is not refused as "still answering".
  await send(page, "after stop");
  const answer = await lastAnswer(page);
  assert.match(await answer.innerText(), /You said: "after stop"/);
});

test("new conversation, switch back: the earlier answer is there; reload keeps the list", async () => {
  const { page } = alice;
  await page.locator("#new-conv").click();
  await page.locator(".msg.prologue").waitFor(WAIT);
  await send(page, "second topic");
  assert.match(await (await lastAnswer(page)).innerText(), /You said: "second topic"/);
  assert.equal(await page.locator("#conv-list li").count(), 2);
  await page.locator("#conv-list .conv-title", { hasText: "hello e2e" }).click();
  await page.locator("article.msg.assistant", { hasText: 'You said: "hello e2e"' }).first().waitFor(WAIT);
  assert.equal(await page.locator("article.msg.assistant", { hasText: "second topic" }).count(), 0);

  await page.reload();
  await page.locator("#conv-list li").nth(1).waitFor(WAIT);
  const titles = await page.locator("#conv-list .conv-title").allInnerTexts();
  assert.deepEqual(titles.sort(), ["hello e2e", "second topic"]);

  // A second tab of the same visitor sees the same list.
  const tab = await alice.context.newPage();
  await tab.goto(info.web);
  await tab.locator("#conv-list li").nth(1).waitFor(WAIT);
  assert.equal(await tab.locator("#conv-list li").count(), 2);
  await tab.close();
});

test("rename and delete a conversation with the keyboard", async () => {
  const { page } = alice;
  const item = page.locator("#conv-list li", { hasText: "second topic" });
  await item.locator(".conv-rename-btn").click();
  await page.locator("#conv-list input.conv-rename").fill("Renamed topic");
  await page.locator("#conv-list input.conv-rename").press("Enter");
  await page.locator("#conv-list .conv-title", { hasText: "Renamed topic" }).waitFor(WAIT);
  const renamed = page.locator("#conv-list li", { hasText: "Renamed topic" });
  await renamed.locator(".conv-delete-btn").focus();
  await page.keyboard.press("Enter");
  await page.keyboard.press("Enter");
  await page.waitForFunction(() => document.querySelectorAll("#conv-list li").length === 1, null, WAIT);
  await page.reload();
  await page.locator("#conv-list li").first().waitFor(WAIT);
  assert.deepEqual(await page.locator("#conv-list .conv-title").allInnerTexts(), ["hello e2e"]);
});

test("a second visitor does not see the first one's conversations", async () => {
  const bob = await visitor();
  await bob.page.locator(".msg.prologue").waitFor(WAIT);
  assert.equal(await bob.page.locator("#conv-list li").count(), 0);
  // Even with alice's conversation id in the URL.
  const aliceConv = await alice.page.evaluate(() => document.querySelector("#conv-list li").dataset.id);
  await bob.page.goto(`${info.web}?c=${aliceConv}`);
  await bob.page.locator(".msg.prologue").waitFor(WAIT);
  assert.equal(await bob.page.getByText("hello e2e").count(), 0);
  await bob.context.close();
});

test("upload an image (and see the bot got it)", async () => {
  const { page } = alice;
  await page.locator("#new-conv").click();
  // A 1x1 PNG.
  const png = Buffer.from(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
    "base64",
  );
  await page.locator("#file-input").setInputFiles({ name: "dot.png", mimeType: "image/png", buffer: png });
  await page.locator(".att-chip:not(.pending)", { hasText: "dot.png" }).waitFor(WAIT);
  await send(page, "what is in this picture?");
  const answer = await lastAnswer(page);
  assert.match(await answer.innerText(), /You attached image "dot\.png"/);
  const mine = page.locator("article.msg.user").last();
  assert.equal(await mine.locator("img.att").count(), 1, "the user's message shows the image");
  assert.equal(await page.locator(".att-chip").count(), 0, "attachments cleared after sending");
});

test("a bot answer with HTML or script runs nothing", async () => {
  const { page } = alice;
  let dialogs = 0;
  page.on("dialog", async (d) => {
    dialogs += 1;
    await d.dismiss();
  });
  await page.locator("#new-conv").click();
  const attack =
    '<img src=x onerror="window.__pwned=1;alert(1)"> <script>window.__pwned=2;alert(2)</script> ' +
    "[link](javascript:window.__pwned=3) ![i](javascript:alert(4))";
  await send(page, attack);
  const answer = await lastAnswer(page);
  await page.waitForTimeout(300);
  assert.equal(dialogs, 0, "no alert");
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
  assert.equal(await page.locator("article.msg img[src='x']").count(), 0);
  assert.equal(await page.locator("article.msg script").count(), 0);
  assert.equal(await page.locator("article.msg a[href^='javascript']").count(), 0);
  assert.equal(await page.locator("article.msg [onerror]").count(), 0);
  // Shown as text instead.
  assert.match(await answer.innerText(), /<img src=x onerror=/);
  assert.match(await answer.innerText(), /<script>/);
});

test("a failing bot shows a friendly error", async () => {
  const { page } = alice;
  const failingId = info.emulator.bots.failing;
  await page.locator("#bot-picker").selectOption(failingId);
  await send(page, "will you fail?");
  const answer = await lastAnswer(page);
  await answer.locator(".note.error-text").waitFor(WAIT);
  assert.match(await answer.locator(".note.error-text").innerText(), /could not answer/);
  await page.locator("#bot-picker").selectOption(info.emulator.bots.echo);
});

test("a reasoning bot's reasoning is in a collapsed block above its answer", async () => {
  const { page } = alice;
  await page.locator("#bot-picker").selectOption(info.emulator.bots.reasoning);
  await send(page, "why is the sky blue?");
  const answer = await lastAnswer(page);
  const block = answer.locator("details.reasoning");
  await block.waitFor(WAIT);
  assert.equal(await block.getAttribute("open"), null, "collapsed");
  assert.equal(await block.locator("summary").innerText(), "Reasoning");
  await block.locator("summary").click();
  assert.ok((await block.locator(".reasoning-text").innerText()).length > 0);
  assert.ok((await answer.locator(".body").innerText()).length > 0);
  await page.locator("#bot-picker").selectOption(info.emulator.bots.echo);
});

test("the README screenshot", async (t) => {
  const path = process.env.E2E_SCREENSHOT;
  if (!path) {
    t.skip("E2E_SCREENSHOT is not set");
    return;
  }
  const shot = await visitor({ viewport: { width: 1100, height: 720 }, colorScheme: "light" });
  await send(shot.page, "Show me how a list and code look");
  await lastAnswer(shot.page);
  await shot.page.locator(".chips .chip").first().waitFor(WAIT);
  await shot.page.screenshot({ path });
  await shot.context.close();
});

test("a phone-sized viewport: drawer, no sideways scroll", async () => {
  const phone = await visitor({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  const { page } = phone;
  assert.ok(await page.locator("#menu").isVisible(), "menu button on a phone");
  const box = await page.locator("#sidebar").boundingBox();
  assert.ok(!box || box.x + box.width <= 1, `sidebar off screen: ${JSON.stringify(box)}`);
  await send(page, "hi from a phone");
  await lastAnswer(page);
  assert.ok(
    await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1),
    "no horizontal scrolling",
  );
  const composer = await page.locator("#composer").boundingBox();
  assert.ok(composer.y + composer.height <= 844 + 1 && composer.width <= 391, JSON.stringify(composer));
  await page.locator("#menu").tap();
  await page.waitForFunction(() => document.querySelector("#sidebar").getBoundingClientRect().x >= 0, null, WAIT);
  assert.equal(await page.locator("#menu").getAttribute("aria-expanded"), "true");
  await phone.context.close();
});

test("Chinese from the browser's language, dark mode from the system", async () => {
  const zh = await visitor({ locale: "zh-CN", colorScheme: "dark" });
  const { page } = zh;
  assert.equal(await page.locator("#send").innerText(), "发送");
  assert.equal(await page.locator("#new-conv").innerText(), "新对话");
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(bg, "rgb(22, 22, 26)", "dark background");
  await zh.context.close();
});

test("a rate limit hit shows its message", async () => {
  const v = await visitor();
  const { page } = v;
  let limited = null;
  for (let i = 0; i < 15 && !limited; i++) {
    await send(page, `message ${i}`);
    const answer = await lastAnswer(page);
    const error = answer.locator(".note.error-text");
    if (await error.count()) limited = await error.innerText();
  }
  assert.ok(limited, "the limit was hit");
  assert.match(limited, /too fast/);
  assert.match(limited, /\d+ seconds/);
  await v.context.close();
});

test("no script error on the page", () => {
  assert.deepEqual(
    alice.errors.filter((e) => !/status of 4\d\d/.test(e)),
    [],
  );
});
