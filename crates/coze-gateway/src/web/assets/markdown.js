// Markdown to DOM, for untrusted text (a bot's answer).
//
// Safety: every node is made with createElement/createTextNode from a fixed list of elements;
// no HTML string is ever parsed, so `<script>` or `onerror=` in an answer is shown as text.
// Links keep only http(s) and mailto URLs, images only http(s) (and blob: previews made by
// the page itself). Code blocks get a small highlighter and a copy button.
"use strict";

(function (global) {
  const LINK_PROTOCOLS = ["http:", "https:", "mailto:"];
  const IMAGE_PROTOCOLS = ["http:", "https:"];

  function safeUrl(raw, protocols) {
    try {
      const url = new URL(raw, global.location.href);
      return protocols.includes(url.protocol) ? url.href : null;
    } catch (_) {
      return null;
    }
  }

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---------------------------------------------------------------- inline

  const INLINE = new RegExp(
    [
      "(`+)([\\s\\S]*?[^`])\\1(?!`)", // 1,2 code span
      "!\\[([^\\]]*)\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)", // 3,4 image
      "\\[([^\\]]+)\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)", // 5,6 link
      "\\*\\*([\\s\\S]+?)\\*\\*", // 7 strong
      "__([\\s\\S]+?)__", // 8 strong
      "~~([\\s\\S]+?)~~", // 9 del
      "\\*([^*\\s](?:[^*]*[^*\\s])?)\\*", // 10 em
      "(?<![\\w])_([^_\\s](?:[^_]*[^_\\s])?)_(?![\\w])", // 11 em
      "(https?:\\/\\/[^\\s<>()\\[\\]]*[^\\s<>()\\[\\].,;:!?'\"])", // 12 bare URL
      "\\\\([\\\\`*_{}\\[\\]()#+\\-.!~|>])", // 13 escape
      "( {2,}|\\\\)\\n", // 14 hard break
      "(\\n)", // 15 soft break (a chat answer's newline is meant)
    ].join("|"),
    "g",
  );

  function inline(text, parent) {
    let last = 0;
    INLINE.lastIndex = 0;
    let m;
    const re = new RegExp(INLINE.source, "g");
    while ((m = re.exec(text)) !== null) {
      if (m.index > last) parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      last = re.lastIndex;
      if (m[1] !== undefined) {
        parent.appendChild(el("code", null, m[2].replace(/^ (.*) $/, "$1")));
      } else if (m[3] !== undefined) {
        const src = safeUrl(m[4], IMAGE_PROTOCOLS);
        if (src) {
          const img = el("img");
          img.src = src;
          img.alt = m[3];
          img.loading = "lazy";
          img.referrerPolicy = "no-referrer";
          parent.appendChild(img);
        } else {
          parent.appendChild(document.createTextNode(m[3] || m[4]));
        }
      } else if (m[5] !== undefined) {
        link(m[6], parent, (a) => inline(m[5], a), m[5]);
      } else if (m[7] !== undefined || m[8] !== undefined) {
        inline(m[7] !== undefined ? m[7] : m[8], parent.appendChild(el("strong")));
      } else if (m[9] !== undefined) {
        inline(m[9], parent.appendChild(el("del")));
      } else if (m[10] !== undefined || m[11] !== undefined) {
        inline(m[10] !== undefined ? m[10] : m[11], parent.appendChild(el("em")));
      } else if (m[12] !== undefined) {
        link(m[12], parent, (a) => (a.textContent = m[12]), m[12]);
      } else if (m[13] !== undefined) {
        parent.appendChild(document.createTextNode(m[13]));
      } else if (m[14] !== undefined || m[15] !== undefined) {
        parent.appendChild(el("br"));
      }
    }
    if (last < text.length) parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function link(raw, parent, fill, fallback) {
    const href = safeUrl(raw, LINK_PROTOCOLS);
    if (!href) {
      parent.appendChild(document.createTextNode(fallback));
      return;
    }
    const a = el("a");
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer nofollow";
    fill(a);
    parent.appendChild(a);
  }

  // ---------------------------------------------------------------- code

  const KEYWORDS = new Set(
    (
      "as async await break case catch class const continue def default del do elif else enum " +
      "export extends false final finally fn for from func function go if impl import in " +
      "interface is lambda let loop match mod move mut new nil none None not null of or and " +
      "package pass private protected pub public raise ref return self Self static struct " +
      "super switch this throw true True False try type typeof use var void where while with " +
      "yield select insert update delete create table into values set join on group by order " +
      "limit echo fi then done esac local"
    ).split(" "),
  );
  const HASH_COMMENT = new Set([
    "py", "python", "sh", "bash", "shell", "zsh", "yaml", "yml", "toml", "ruby", "rb", "r",
    "perl", "ini", "conf", "dockerfile", "makefile",
  ]);
  const SQL = new Set(["sql", "mysql", "postgres", "sqlite"]);

  function tokenRegex(lang) {
    const comments = ["\\/\\*[\\s\\S]*?(?:\\*\\/|$)", "<!--[\\s\\S]*?(?:-->|$)"];
    if (HASH_COMMENT.has(lang)) comments.push("#[^\\n]*");
    else comments.push("\\/\\/[^\\n]*");
    if (SQL.has(lang)) comments.push("--[^\\n]*");
    return new RegExp(
      "(" + comments.join("|") + ")" + // 1 comment
        "|(\"(?:[^\"\\\\\\n]|\\\\.)*\"?|'(?:[^'\\\\\\n]|\\\\.)*'?|`(?:[^`\\\\]|\\\\.)*`?)" + // 2 string
        "|(\\b(?:0x[\\da-fA-F_]+|\\d[\\d_]*(?:\\.\\d+)?(?:e[+-]?\\d+)?)\\b)" + // 3 number
        "|([A-Za-z_][\\w]*)", // 4 word
      "g",
    );
  }

  const PLAIN = new Set(["text", "txt", "plain", "plaintext", "output", "console", "log"]);

  function highlight(code, lang, parent) {
    if (PLAIN.has((lang || "").toLowerCase())) {
      parent.appendChild(document.createTextNode(code));
      return;
    }
    const re = tokenRegex((lang || "").toLowerCase());
    let last = 0;
    let m;
    const span = (cls, text) => parent.appendChild(el("span", cls, text));
    while ((m = re.exec(code)) !== null) {
      if (m[4] !== undefined && !KEYWORDS.has(m[4])) continue;
      if (m.index > last) parent.appendChild(document.createTextNode(code.slice(last, m.index)));
      last = re.lastIndex;
      if (m[1] !== undefined) span("tok-com", m[1]);
      else if (m[2] !== undefined) span("tok-str", m[2]);
      else if (m[3] !== undefined) span("tok-num", m[3]);
      else span("tok-kw", m[4]);
    }
    if (last < code.length) parent.appendChild(document.createTextNode(code.slice(last)));
  }

  function copyText(text) {
    if (navigator.clipboard && global.isSecureContext) return navigator.clipboard.writeText(text);
    return new Promise((resolve, reject) => {
      const area = el("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.className = "sr-only";
      document.body.appendChild(area);
      area.select();
      const ok = document.execCommand("copy");
      area.remove();
      ok ? resolve() : reject(new Error("copy failed"));
    });
  }

  function codeBlock(code, lang, t) {
    const pre = el("pre");
    const codeEl = el("code");
    if (lang) {
      pre.classList.add("has-lang");
      pre.appendChild(el("span", "lang", lang));
      codeEl.className = "language-" + lang.replace(/[^\w+#.-]/g, "");
    }
    highlight(code, lang, codeEl);
    pre.appendChild(codeEl);
    const button = el("button", "copy", t("copy"));
    button.type = "button";
    button.setAttribute("aria-label", t("copy_code"));
    button.addEventListener("click", () => {
      copyText(code).then(
        () => {
          button.textContent = t("copied");
          setTimeout(() => (button.textContent = t("copy")), 1500);
        },
        () => (button.textContent = t("copy_failed")),
      );
    });
    pre.appendChild(button);
    return pre;
  }

  // ---------------------------------------------------------------- blocks

  const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^\s`]*)[^`]*$/;
  const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
  const HR = /^ {0,3}([-*_])(?:\s*\1){2,}\s*$/;
  const QUOTE = /^ {0,3}>\s?(.*)$/;
  const ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
  const TABLE_RULE = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

  function cells(line) {
    let s = line.trim();
    if (s.startsWith("|")) s = s.slice(1);
    if (s.endsWith("|") && !s.endsWith("\\|")) s = s.slice(0, -1);
    return s.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, "|"));
  }

  function startsBlock(line, next) {
    return (
      FENCE.test(line) || HEADING.test(line) || HR.test(line) || QUOTE.test(line) ||
      ITEM.test(line) || (line.includes("|") && next !== undefined && TABLE_RULE.test(next))
    );
  }

  function blocks(lines, parent, t) {
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      if (!line.trim()) {
        i++;
        continue;
      }
      let m;
      if ((m = FENCE.exec(line))) {
        const fence = m[1];
        const body = [];
        i++;
        while (i < lines.length && !lines[i].trim().startsWith(fence)) body.push(lines[i++]);
        i++;
        parent.appendChild(codeBlock(body.join("\n"), m[2], t));
      } else if ((m = HEADING.exec(line))) {
        const level = Math.min(6, m[1].length + 2);
        inline(m[2], parent.appendChild(el("h" + level)));
        i++;
      } else if (HR.test(line)) {
        parent.appendChild(el("hr"));
        i++;
      } else if (QUOTE.test(line)) {
        const body = [];
        while (i < lines.length && (m = QUOTE.exec(lines[i]))) {
          body.push(m[1]);
          i++;
        }
        blocks(body, parent.appendChild(el("blockquote")), t);
      } else if ((m = ITEM.exec(line))) {
        i = list(lines, i, parent, t);
      } else if (line.includes("|") && i + 1 < lines.length && TABLE_RULE.test(lines[i + 1])) {
        const table = el("table");
        const headRow = table.appendChild(el("thead")).appendChild(el("tr"));
        for (const c of cells(line)) inline(c, headRow.appendChild(el("th")));
        const tbody = table.appendChild(el("tbody"));
        i += 2;
        while (i < lines.length && lines[i].includes("|") && lines[i].trim()) {
          const row = tbody.appendChild(el("tr"));
          for (const c of cells(lines[i])) inline(c, row.appendChild(el("td")));
          i++;
        }
        parent.appendChild(table);
      } else {
        const para = [line];
        i++;
        while (i < lines.length && lines[i].trim() && !startsBlock(lines[i], lines[i + 1])) {
          para.push(lines[i++]);
        }
        inline(para.join("\n"), parent.appendChild(el("p")));
      }
    }
  }

  function list(lines, i, parent, t) {
    const first = ITEM.exec(lines[i]);
    const indent = first[1].length;
    const ordered = /\d/.test(first[2]);
    const listEl = el(ordered ? "ol" : "ul");
    if (ordered) {
      const start = parseInt(first[2], 10);
      if (start !== 1 && Number.isFinite(start)) listEl.start = start;
    }
    let item = null;
    const flush = () => {
      if (!item) return;
      const li = listEl.appendChild(el("li"));
      const loose = item.some((l, k) => k > 0 && !l.trim());
      if (item.length === 1 || !loose) {
        // A tight item: its first line is inline text, nested blocks follow.
        const rest = item.slice(1);
        const nestedStart = rest.findIndex((l) => ITEM.test(l) || FENCE.test(l));
        const textLines = nestedStart < 0 ? item : item.slice(0, nestedStart + 1);
        inline(textLines.join("\n").trim(), li);
        if (nestedStart >= 0) blocks(rest.slice(nestedStart), li, t);
      } else {
        blocks(item, li, t);
      }
      item = null;
    };
    while (i < lines.length) {
      const line = lines[i];
      const m = ITEM.exec(line);
      if (m && m[1].length <= indent + 1 && /\d/.test(m[2]) === ordered) {
        flush();
        item = [m[3]];
        i++;
      } else if (m && m[1].length <= indent + 1) {
        break; // a list of the other kind starts
      } else if (!line.trim()) {
        const next = lines[i + 1];
        if (next === undefined || (!/^\s{2,}/.test(next) && !ITEM.test(next))) break;
        item && item.push("");
        i++;
      } else if (/^\s+/.test(line) || (item && !startsBlock(line, lines[i + 1]))) {
        const cut = Math.min(line.length - line.trimStart().length, indent + 2 + 2);
        item && item.push(line.slice(cut));
        i++;
      } else {
        break;
      }
    }
    flush();
    parent.appendChild(listEl);
    return i;
  }

  /** Renders `text` (markdown) into `parent`, replacing its children. */
  function render(text, parent, t) {
    const fragment = document.createDocumentFragment();
    blocks(String(text).replace(/\r\n?/g, "\n").split("\n"), fragment, t);
    parent.replaceChildren(fragment);
  }

  global.CozeMarkdown = { render, safeUrl };
})(window);
