// One-line embed of the coze-gateway chat page on another site:
//   <script src="https://chat.example.com/embed.js" async></script>
// Adds a round button at the bottom right that opens the chat in an iframe. The site's origin
// must be listed in the gateway's [web] allowed_origins, or the browser refuses the frame.
// Options as data attributes on the script tag: data-position="left", data-label="Chat".
"use strict";

(function () {
  const script = document.currentScript;
  if (!script || window.__cozeGatewayEmbed) return;
  window.__cozeGatewayEmbed = true;
  const base = new URL(".", script.src);
  const left = script.dataset.position === "left";
  const label = script.dataset.label || "Chat";

  const host = document.createElement("div");
  const root = host.attachShadow ? host.attachShadow({ mode: "closed" }) : host;
  const side = left ? "left" : "right";

  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "💬";
  button.setAttribute("aria-label", label);
  button.setAttribute("aria-expanded", "false");
  Object.assign(button.style, {
    position: "fixed", bottom: "20px", [side]: "20px", width: "56px", height: "56px",
    borderRadius: "50%", border: "0", background: "#4f46e5", color: "#fff", fontSize: "26px",
    cursor: "pointer", boxShadow: "0 4px 16px rgba(0,0,0,.25)", zIndex: "2147483646",
  });

  let frame = null;
  function toggle() {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.src = new URL("?embed=1", base).href;
      frame.title = label;
      frame.allow = "clipboard-write";
      Object.assign(frame.style, {
        position: "fixed", bottom: "88px", [side]: "20px", width: "min(400px, calc(100vw - 40px))",
        height: "min(640px, calc(100vh - 120px))", border: "1px solid rgba(0,0,0,.15)",
        borderRadius: "14px", boxShadow: "0 8px 32px rgba(0,0,0,.25)", zIndex: "2147483647",
        background: "#fff",
      });
      root.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    button.setAttribute("aria-expanded", String(!frame.hidden));
  }
  button.addEventListener("click", toggle);
  root.appendChild(button);
  (document.body || document.documentElement).appendChild(host);
})();
