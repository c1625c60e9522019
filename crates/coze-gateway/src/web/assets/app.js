// The chat page of coze-gateway. Talks only to the gateway (relative URLs), never to Coze.
// Bot output goes through CozeMarkdown (DOM nodes only, never parsed as HTML).
"use strict";

(function () {
  const STRINGS = {
    en: {
      conversations: "Conversations",
      new_chat: "New chat",
      menu: "Conversations menu",
      choose_bot: "Bot",
      messages: "Messages",
      attach: "Attach image or file",
      message_label: "Message",
      placeholder: "Ask anything…",
      send: "Send",
      stop: "Stop",
      hint: "Enter to send, Shift+Enter for a new line",
      drop: "Drop files to attach",
      copy: "Copy",
      copy_code: "Copy code",
      copied: "Copied",
      copy_failed: "Copy failed",
      rename: "Rename",
      rename_label: "New name for this conversation",
      delete: "Delete",
      confirm_delete: "Delete?",
      untitled: "New conversation",
      reasoning: "Reasoning",
      stopped: "Stopped.",
      remove_file: "Remove",
      empty: "Start a conversation below.",
      follow_ups: "Suggested questions",
      error_generic: "Something went wrong. Please try again.",
      error_network: "Cannot reach the server. Check your connection and try again.",
      too_long: "The message is too long ({n} characters at most).",
      too_big: "“{name}” is too big ({max} at most).",
      bad_type: "“{name}” is not a kind of file this bot accepts.",
      uploading: "Wait for the upload to finish.",
      tool_used: "Used tool: {name}",
      tool_unavailable: "Tool “{name}” is not available here.",
    },
    zh: {
      conversations: "会话",
      new_chat: "新对话",
      menu: "会话菜单",
      choose_bot: "智能体",
      messages: "消息",
      attach: "添加图片或文件",
      message_label: "消息",
      placeholder: "输入你的问题…",
      send: "发送",
      stop: "停止",
      hint: "Enter 发送，Shift+Enter 换行",
      drop: "松开以添加文件",
      copy: "复制",
      copy_code: "复制代码",
      copied: "已复制",
      copy_failed: "复制失败",
      rename: "重命名",
      rename_label: "会话的新名称",
      delete: "删除",
      confirm_delete: "确认删除？",
      untitled: "新会话",
      reasoning: "思考过程",
      stopped: "已停止。",
      remove_file: "移除",
      empty: "在下方输入，开始对话。",
      follow_ups: "推荐问题",
      error_generic: "出了点问题，请重试。",
      error_network: "无法连接服务器，请检查网络后重试。",
      too_long: "消息太长（最多 {n} 个字符）。",
      too_big: "“{name}” 太大（最大 {max}）。",
      bad_type: "此智能体不接受 “{name}” 这种文件。",
      uploading: "请等待上传完成。",
      tool_used: "调用了工具：{name}",
      tool_unavailable: "工具 “{name}” 在此不可用。",
    },
  };

  // Chinese when the browser prefers it over English, else English.
  const firstKnown = (navigator.languages || [navigator.language || "en"])
    .map((l) => String(l).toLowerCase())
    .find((l) => l.startsWith("zh") || l.startsWith("en"));
  const LANG = firstKnown && firstKnown.startsWith("zh") ? "zh" : "en";

  function t(key, vars) {
    let s = (STRINGS[LANG] && STRINGS[LANG][key]) || STRINGS.en[key] || key;
    if (vars) for (const [k, v] of Object.entries(vars)) s = s.split("{" + k + "}").join(String(v));
    return s;
  }

  const $ = (id) => document.getElementById(id);
  const ui = {
    sidebar: $("sidebar"),
    scrim: $("scrim"),
    menu: $("menu"),
    convList: $("conv-list"),
    newConv: $("new-conv"),
    title: $("title"),
    botPickerLabel: $("bot-picker-label"),
    botPicker: $("bot-picker"),
    banner: $("banner"),
    messages: $("messages"),
    composer: $("composer"),
    input: $("input"),
    send: $("send"),
    stop: $("stop"),
    attach: $("attach"),
    fileInput: $("file-input"),
    attachments: $("attachments"),
    drop: $("drop"),
    main: $("main"),
  };

  const state = {
    bots: [],
    limits: { max_message_chars: 4000, max_file_bytes: 10 * 1024 * 1024, accept: [] },
    convs: [],
    current: null, // conversation id, or null for a new one not yet created
    botId: null,
    streaming: null, // {controller, chatId, convId, stopped}
    attachments: [], // {key, file, id, kind, name, preview, pending}
    loadSeq: 0,
  };

  // ---------------------------------------------------------------- helpers

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Icons as SVG built from nodes (emoji fonts are missing on some systems).
  const ICONS = {
    trash: "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13M10 11v6M14 11v6",
    pencil: "M4 20h4L19 9l-4-4L4 16v4zM14 6l4 4",
  };

  function icon(name) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "icon");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  function applyI18n() {
    document.documentElement.lang = LANG === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
    for (const node of document.querySelectorAll("[data-i18n-label]")) {
      node.setAttribute("aria-label", t(node.dataset.i18nLabel));
      node.title = t(node.dataset.i18nLabel);
    }
    for (const node of document.querySelectorAll("[data-i18n-placeholder]")) {
      node.placeholder = t(node.dataset.i18nPlaceholder);
    }
  }

  function showBanner(message) {
    ui.banner.textContent = message;
    ui.banner.hidden = false;
    clearTimeout(showBanner.timer);
    showBanner.timer = setTimeout(() => (ui.banner.hidden = true), 8000);
  }

  function hideBanner() {
    ui.banner.hidden = true;
  }

  class ApiError extends Error {
    constructor(message, status) {
      super(message);
      this.status = status;
    }
  }

  async function api(method, path, body) {
    const init = { method, credentials: "same-origin", headers: {} };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["content-type"] = "application/json";
    }
    let resp;
    try {
      resp = await fetch(path, init);
    } catch (_) {
      throw new ApiError(t("error_network"), 0);
    }
    return readJson(resp);
  }

  async function readJson(resp) {
    let data = null;
    try {
      data = await resp.json();
    } catch (_) {
      data = null;
    }
    if (!resp.ok) {
      const message = data && data.error && data.error.message;
      throw new ApiError(message || t("error_generic"), resp.status);
    }
    return data || {};
  }

  function formatBytes(n) {
    if (n >= 1024 * 1024) return (n / 1024 / 1024).toFixed(n % (1024 * 1024) ? 1 : 0) + " MB";
    if (n >= 1024) return Math.round(n / 1024) + " KB";
    return n + " B";
  }

  function bot(id) {
    return state.bots.find((b) => b.id === id) || state.bots[0] || null;
  }

  function scrollToEnd(force) {
    const m = ui.messages;
    const nearEnd = m.scrollHeight - m.scrollTop - m.clientHeight < 120;
    if (force || nearEnd) m.scrollTop = m.scrollHeight;
  }

  // ---------------------------------------------------------------- sidebar

  function setSidebar(open) {
    ui.sidebar.classList.toggle("open", open);
    ui.scrim.hidden = !open;
    ui.menu.setAttribute("aria-expanded", String(open));
    if (open) {
      const active = ui.convList.querySelector(".active .conv-open") || ui.newConv;
      active.focus();
    }
  }

  function renderConvList() {
    ui.convList.replaceChildren();
    for (const conv of state.convs) {
      const li = el("li", "conv-item" + (conv.id === state.current ? " active" : ""));
      li.dataset.id = conv.id;
      const open = el("button", "conv-open");
      open.type = "button";
      open.appendChild(el("span", "conv-title", conv.title || t("untitled")));
      if (conv.id === state.current) open.setAttribute("aria-current", "true");
      if (state.bots.length > 1) {
        const b = state.bots.find((x) => x.id === conv.bot_id);
        if (b) open.appendChild(el("span", "conv-bot", b.name));
      }
      open.addEventListener("click", () => {
        openConversation(conv.id);
        setSidebar(false);
      });
      const rename = el("button", "icon-btn conv-rename-btn");
      rename.appendChild(icon("pencil"));
      rename.type = "button";
      rename.setAttribute("aria-label", t("rename") + ": " + (conv.title || t("untitled")));
      rename.title = t("rename");
      rename.addEventListener("click", () => startRename(li, conv));
      const del = el("button", "icon-btn conv-delete-btn");
      del.appendChild(icon("trash"));
      del.type = "button";
      del.setAttribute("aria-label", t("delete") + ": " + (conv.title || t("untitled")));
      del.title = t("delete");
      del.addEventListener("click", () => {
        if (!del.classList.contains("confirm")) {
          del.classList.add("confirm");
          del.textContent = t("confirm_delete");
          del.setAttribute("aria-label", t("confirm_delete"));
          return;
        }
        deleteConversation(conv.id);
      });
      del.addEventListener("blur", () => {
        if (!del.classList.contains("confirm")) return;
        del.classList.remove("confirm");
        del.replaceChildren(icon("trash"));
        del.setAttribute("aria-label", t("delete") + ": " + (conv.title || t("untitled")));
      });
      li.append(open, rename, del);
      ui.convList.appendChild(li);
    }
  }

  function startRename(li, conv) {
    const input = el("input", "conv-rename");
    input.value = conv.title || "";
    input.maxLength = 100;
    input.setAttribute("aria-label", t("rename_label"));
    li.replaceChildren(input);
    input.focus();
    input.select();
    let done = false;
    const finish = async (save) => {
      if (done) return;
      done = true;
      const title = input.value.trim();
      if (save && title && title !== conv.title) {
        try {
          const updated = await api("PATCH", "api/conversations/" + encodeURIComponent(conv.id), { title });
          conv.title = updated.title;
        } catch (e) {
          showBanner(e.message);
        }
      }
      renderConvList();
      const again = ui.convList.querySelector('[data-id="' + CSS.escape(conv.id) + '"] .conv-open');
      if (again) again.focus();
      if (conv.id === state.current) document.title = conv.title || bot(conv.bot_id)?.name || "Chat";
    };
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        finish(true);
      } else if (e.key === "Escape") {
        e.preventDefault();
        finish(false);
      }
    });
    input.addEventListener("blur", () => finish(true));
  }

  async function loadConversations() {
    const data = await api("GET", "api/conversations");
    state.convs = data.conversations || [];
    renderConvList();
  }

  async function deleteConversation(id) {
    try {
      await api("DELETE", "api/conversations/" + encodeURIComponent(id));
    } catch (e) {
      if (e.status !== 404) {
        showBanner(e.message);
        return;
      }
    }
    state.convs = state.convs.filter((c) => c.id !== id);
    if (state.current === id) newConversation();
    renderConvList();
    ui.newConv.focus();
  }

  // ---------------------------------------------------------------- messages

  function messageEl(role) {
    const node = el("article", "msg " + role);
    node.setAttribute("aria-label", role === "user" ? "You" : bot(state.botId)?.name || "Bot");
    return node;
  }

  function renderUser(text, files) {
    const node = messageEl("user");
    if (text) node.appendChild(el("div", "text", text));
    for (const f of files || []) {
      if (f.kind === "image" && f.preview) {
        const img = el("img", "att");
        img.src = f.preview;
        img.alt = f.name || "image";
        node.appendChild(img);
      } else {
        node.appendChild(el("div", "file-att", f.name || f.kind));
      }
    }
    ui.messages.appendChild(node);
    return node;
  }

  function assistantEl() {
    const node = messageEl("assistant");
    const body = el("div", "body");
    node.appendChild(body);
    ui.messages.appendChild(node);
    return node;
  }

  function setReasoning(node, text) {
    let details = node.querySelector("details.reasoning");
    if (!details) {
      details = el("details", "reasoning");
      details.appendChild(el("summary", null, t("reasoning")));
      details.appendChild(el("div", "reasoning-text"));
      node.insertBefore(details, node.firstChild);
    }
    details.querySelector(".reasoning-text").textContent = text;
  }

  function renderAnswer(node, text) {
    CozeMarkdown.render(text, node.querySelector(".body"), t);
  }

  function addNote(node, text, cls) {
    node.appendChild(el("div", "note" + (cls ? " " + cls : ""), text));
  }

  function chips(items, label) {
    const wrap = el("div", "chips");
    wrap.setAttribute("role", "group");
    wrap.setAttribute("aria-label", label);
    for (const text of items) {
      const chip = el("button", "chip", text);
      chip.type = "button";
      chip.addEventListener("click", () => {
        wrap.remove();
        send(text);
      });
      wrap.appendChild(chip);
    }
    return wrap;
  }

  function clearFollowUps() {
    for (const node of ui.messages.querySelectorAll(".chips")) node.remove();
  }

  function showOnboarding() {
    const b = bot(state.botId);
    if (!b) {
      ui.messages.appendChild(el("p", "empty", t("empty")));
      return;
    }
    if (b.prologue) {
      const node = assistantEl();
      node.classList.add("prologue");
      renderAnswer(node, b.prologue);
    } else {
      ui.messages.appendChild(el("p", "empty", t("empty")));
    }
    if (b.suggested_questions && b.suggested_questions.length) {
      ui.messages.appendChild(chips(b.suggested_questions, t("follow_ups")));
    }
  }

  function setHeader() {
    const b = bot(state.botId);
    ui.title.textContent = b ? b.name : "Chat";
    if (state.bots.length > 1) ui.botPicker.value = state.botId;
    const conv = state.convs.find((c) => c.id === state.current);
    document.title = (conv && conv.title) || (b ? b.name : "Chat");
  }

  function newConversation(botId) {
    stopStreaming(true);
    state.current = null;
    if (botId) state.botId = botId;
    ui.messages.replaceChildren();
    showOnboarding();
    setHeader();
    renderConvList();
    ui.input.focus();
  }

  async function openConversation(id) {
    stopStreaming(true);
    const conv = state.convs.find((c) => c.id === id);
    if (!conv) return;
    state.current = id;
    state.botId = conv.bot_id;
    setHeader();
    renderConvList();
    hideBanner();
    const seq = ++state.loadSeq;
    ui.messages.replaceChildren();
    ui.messages.setAttribute("aria-busy", "true");
    try {
      const data = await api("GET", "api/conversations/" + encodeURIComponent(id) + "/messages");
      if (seq !== state.loadSeq) return;
      const list = data.messages || [];
      if (!list.length) showOnboarding();
      for (const m of list) {
        if (m.role === "user") {
          renderUser(m.text, m.files);
        } else {
          const node = assistantEl();
          if (m.reasoning) setReasoning(node, m.reasoning);
          renderAnswer(node, m.text || "");
        }
      }
      scrollToEnd(true);
    } catch (e) {
      if (seq !== state.loadSeq) return;
      if (e.status === 404) {
        state.convs = state.convs.filter((c) => c.id !== id);
        newConversation();
      }
      showBanner(e.message);
    } finally {
      if (seq === state.loadSeq) ui.messages.setAttribute("aria-busy", "false");
    }
  }

  // ---------------------------------------------------------------- attachments

  function accepts(file) {
    const accept = state.limits.accept || [];
    if (!accept.length) return true;
    const type = (file.type || "").toLowerCase();
    const ext = "." + (file.name.split(".").pop() || "").toLowerCase();
    return accept.some((a) => (a.endsWith("/*") ? type.startsWith(a.slice(0, -1)) : a === type || a === ext));
  }

  function renderAttachments() {
    ui.attachments.replaceChildren();
    for (const a of state.attachments) {
      const chip = el("div", "att-chip" + (a.pending ? " pending" : ""));
      if (a.kind === "image" && a.preview) {
        const img = el("img");
        img.src = a.preview;
        img.alt = "";
        chip.appendChild(img);
      }
      chip.appendChild(el("span", "name", a.name));
      const remove = el("button", "icon-btn", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", t("remove_file") + ": " + a.name);
      remove.addEventListener("click", () => {
        state.attachments = state.attachments.filter((x) => x !== a);
        if (a.preview) URL.revokeObjectURL(a.preview);
        renderAttachments();
        ui.input.focus();
      });
      chip.appendChild(remove);
      ui.attachments.appendChild(chip);
    }
  }

  async function addFiles(files) {
    for (const file of files) {
      if (file.size > state.limits.max_file_bytes) {
        showBanner(t("too_big", { name: file.name, max: formatBytes(state.limits.max_file_bytes) }));
        continue;
      }
      if (!accepts(file)) {
        showBanner(t("bad_type", { name: file.name }));
        continue;
      }
      const kind = (file.type || "").startsWith("image/") ? "image" : "file";
      const a = {
        file,
        kind,
        name: file.name || (kind === "image" ? "image" : "file"),
        preview: kind === "image" ? URL.createObjectURL(file) : null,
        pending: true,
        id: null,
      };
      state.attachments.push(a);
      renderAttachments();
      const form = new FormData();
      form.append("file", file, a.name);
      try {
        const uploaded = await api("POST", "api/files", form);
        a.id = uploaded.id;
        a.kind = uploaded.kind || kind;
        a.pending = false;
      } catch (e) {
        state.attachments = state.attachments.filter((x) => x !== a);
        showBanner(e.message);
      }
      renderAttachments();
    }
  }

  // ---------------------------------------------------------------- chat

  function setStreaming(on) {
    ui.send.hidden = on;
    ui.stop.hidden = !on;
    ui.messages.setAttribute("aria-busy", String(on));
  }

  function stopStreaming(silent) {
    const s = state.streaming;
    if (!s) return;
    s.stopped = true;
    if (s.chatId) {
      api("POST", "api/chat/cancel", { conversation_id: s.convId, chat_id: s.chatId }).catch(() => {});
    }
    s.controller.abort();
    if (!silent && s.node) {
      s.node.classList.remove("streaming");
      addNote(s.node, t("stopped"), "stopped");
    }
    state.streaming = null;
    setStreaming(false);
  }

  function parseSse(buffer, onEvent) {
    let index;
    while ((index = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, index);
      buffer = buffer.slice(index + 2);
      let event = "message";
      const data = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) event = line.slice(6).trim();
        else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
      }
      if (!data.length) continue;
      let payload;
      try {
        payload = JSON.parse(data.join("\n"));
      } catch (_) {
        continue;
      }
      onEvent(event, payload);
    }
    return buffer;
  }

  async function send(textArg) {
    if (state.streaming) return;
    const text = (textArg !== undefined ? textArg : ui.input.value).trim();
    const files = textArg !== undefined ? [] : state.attachments.slice();
    if (!text && !files.length) return;
    if (files.some((f) => f.pending)) {
      showBanner(t("uploading"));
      return;
    }
    if ([...text].length > state.limits.max_message_chars) {
      showBanner(t("too_long", { n: state.limits.max_message_chars }));
      return;
    }
    hideBanner();
    clearFollowUps();
    const onboarding = ui.messages.querySelector(".empty");
    if (onboarding) onboarding.remove();

    if (!state.current) {
      try {
        const conv = await api("POST", "api/conversations", { bot_id: state.botId });
        state.convs.unshift(conv);
        state.current = conv.id;
        renderConvList();
      } catch (e) {
        showBanner(e.message);
        return;
      }
    }
    const convId = state.current;
    if (textArg === undefined) {
      ui.input.value = "";
      autoGrow();
      state.attachments = [];
      renderAttachments();
    }
    renderUser(text, files);
    const node = assistantEl();
    node.classList.add("streaming");
    scrollToEnd(true);

    const controller = new AbortController();
    const s = { controller, chatId: null, convId, node, stopped: false };
    state.streaming = s;
    setStreaming(true);

    let answer = "";
    let reasoning = "";
    let followUps = [];
    let scheduled = false;
    const paint = () => {
      if (scheduled) return;
      scheduled = true;
      requestAnimationFrame(() => {
        scheduled = false;
        if (reasoning) setReasoning(node, reasoning);
        renderAnswer(node, answer);
        scrollToEnd(false);
      });
    };
    const fail = (message) => {
      node.classList.add("error");
      addNote(node, message, "error-text");
    };

    try {
      const resp = await fetch("api/chat", {
        method: "POST",
        credentials: "same-origin",
        headers: { "content-type": "application/json", accept: "text/event-stream" },
        body: JSON.stringify({
          conversation_id: convId,
          text,
          files: files.map((f) => ({ id: f.id, kind: f.kind, name: f.name })),
        }),
        signal: controller.signal,
      });
      if (!resp.ok) {
        await readJson(resp);
      }
      const reader = resp.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        buffer = parseSse(buffer, (event, data) => {
          switch (event) {
            case "chat":
              s.chatId = data.chat_id;
              break;
            case "reasoning":
              reasoning += data.text || "";
              paint();
              break;
            case "delta":
              answer += data.text || "";
              paint();
              break;
            case "answer":
              answer = data.text || answer;
              paint();
              break;
            case "follow_up":
              followUps.push(data.text);
              break;
            case "tool":
              addNote(node, t(data.available === false ? "tool_unavailable" : "tool_used", { name: data.name }));
              break;
            case "error":
              fail(data.message || t("error_generic"));
              break;
            case "title": {
              const conv = state.convs.find((c) => c.id === convId);
              if (conv) {
                conv.title = data.title;
                renderConvList();
                setHeader();
              }
              break;
            }
            default:
              break;
          }
        });
      }
    } catch (e) {
      if (!s.stopped) fail(e instanceof ApiError ? e.message : t("error_network"));
    } finally {
      node.classList.remove("streaming");
      if (reasoning) setReasoning(node, reasoning);
      if (answer) renderAnswer(node, answer);
      if (state.streaming === s) {
        state.streaming = null;
        setStreaming(false);
      }
    }
    if (!s.stopped && followUps.length && state.current === convId) {
      ui.messages.appendChild(chips(followUps, t("follow_ups")));
    }
    const conv = state.convs.find((c) => c.id === convId);
    if (conv) {
      state.convs = [conv, ...state.convs.filter((c) => c !== conv)];
      renderConvList();
    }
    scrollToEnd(false);
  }

  // ---------------------------------------------------------------- wiring

  function autoGrow() {
    ui.input.style.height = "auto";
    ui.input.style.height = Math.min(ui.input.scrollHeight, window.innerHeight * 0.4) + "px";
  }

  function wire() {
    ui.composer.addEventListener("submit", (e) => {
      e.preventDefault();
      send();
    });
    ui.input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        send();
      }
    });
    ui.input.addEventListener("input", autoGrow);
    document.addEventListener("keydown", (e) => {
      if (e.key === "Escape") {
        if (state.streaming) stopStreaming(false);
        else if (ui.sidebar.classList.contains("open")) {
          setSidebar(false);
          ui.menu.focus();
        }
      }
    });
    ui.stop.addEventListener("click", () => {
      stopStreaming(false);
      ui.input.focus();
    });
    ui.newConv.addEventListener("click", () => {
      newConversation();
      setSidebar(false);
    });
    ui.menu.addEventListener("click", () => setSidebar(!ui.sidebar.classList.contains("open")));
    ui.scrim.addEventListener("click", () => setSidebar(false));
    ui.botPicker.addEventListener("change", () => newConversation(ui.botPicker.value));
    ui.attach.addEventListener("click", () => ui.fileInput.click());
    ui.fileInput.addEventListener("change", () => {
      addFiles([...ui.fileInput.files]);
      ui.fileInput.value = "";
    });
    ui.input.addEventListener("paste", (e) => {
      const files = [...(e.clipboardData ? e.clipboardData.files : [])];
      if (files.length) {
        e.preventDefault();
        addFiles(files);
      }
    });
    let depth = 0;
    ui.main.addEventListener("dragenter", (e) => {
      if (![...e.dataTransfer.types].includes("Files")) return;
      e.preventDefault();
      depth++;
      ui.drop.hidden = false;
    });
    ui.main.addEventListener("dragover", (e) => {
      if ([...e.dataTransfer.types].includes("Files")) e.preventDefault();
    });
    ui.main.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (!depth) ui.drop.hidden = true;
    });
    ui.main.addEventListener("drop", (e) => {
      e.preventDefault();
      depth = 0;
      ui.drop.hidden = true;
      addFiles([...e.dataTransfer.files]);
    });
  }

  async function start() {
    applyI18n();
    wire();
    try {
      const session = await api("GET", "api/session");
      state.bots = session.bots || [];
      Object.assign(state.limits, session.limits || {});
      if (state.limits.accept && state.limits.accept.length) ui.fileInput.accept = state.limits.accept.join(",");
      ui.input.maxLength = state.limits.max_message_chars;
      state.botId = state.bots.length ? state.bots[0].id : null;
      if (state.bots.length > 1) {
        ui.botPicker.replaceChildren(
          ...state.bots.map((b) => {
            const o = el("option", null, b.name);
            o.value = b.id;
            return o;
          }),
        );
        ui.botPickerLabel.hidden = false;
      }
      await loadConversations();
      const params = new URLSearchParams(location.search);
      const wanted = params.get("c");
      if (wanted && state.convs.some((c) => c.id === wanted)) await openConversation(wanted);
      else newConversation();
    } catch (e) {
      showBanner(e.message);
    }
  }

  start();
})();
