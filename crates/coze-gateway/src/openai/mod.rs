//! The OpenAI-compatible API: `GET /v1/models` and `POST /v1/chat/completions` in front of
//! Coze bots, so tools that speak OpenAI's API (the `openai` SDKs, Open WebUI, LobeChat,
//! LangChain, ...) can talk to them.
//!
//! Sans-I/O parts, each unit-tested on its own: [`types`] (the wire), [`request`] (reading
//! and checking a request), [`continuity`] (recognising a history the gateway answered
//! before), [`mapping`] (Coze chat events to OpenAI chunks), [`error`] (OpenAI-shaped errors).
//! [`upstream`] builds Coze messages (uploads), `handlers` ties them to the gateway state.
//!
//! # Behaviour
//!
//! - **Models.** `GET /v1/models` lists the configured model names (those the API key may
//!   use). `model = "bot-<id>"` reaches any bot only with `allow_bot_passthrough = true`.
//! - **Answers** are always streamed from Coze; a non-streaming request aggregates the stream
//!   (no polling). `usage` is Coze's own count (`input_count`, `output_count`,
//!   `token_count`); with `stream_options.include_usage` a last chunk with `choices: []`
//!   carries it. `finish_reason` is `stop`, or `tool_calls` when the bot waits for tool
//!   outputs. Reasoning bots' chain of thought is `reasoning_content` (in `delta` and in
//!   `message`), as DeepSeek-style clients expect.
//! - **Extension fields.** Responses carry `"coze": {"conversation_id", "chat_id",
//!   "follow_ups": [...]}` (top level of a completion; in a stream, on the chunk with
//!   `finish_reason`). The headers `X-Coze-Conversation-Id` and `X-Coze-Chat-Id` say the same.
//!   A request may name the conversation with `"coze": {"conversation_id": "..."}` (in the
//!   `openai` SDKs: `extra_body`); only conversations this API key and `user` made through the
//!   gateway for the same model can be named (others answer 404), and then only the messages
//!   after the last assistant message are sent.
//! - **Continuity** (see [`continuity`]): a history the gateway answered continues the same
//!   Coze conversation with only the new messages; any other history (new, edited, a
//!   regenerated answer) starts a new Coze conversation carrying the earlier turns (at most
//!   the last 100 messages, Coze's limit). With `edited_history = "reject"` an edited history
//!   is refused with 400 `history_edited` instead. Conversations are kept per API key, `user`
//!   and model (Coze's `user_id` is a hash of key id and `user`).
//! - **System messages** (`system_messages`): `"drop"` (default: the bot's own prompt in Coze
//!   rules), `"context"` (sent as a user message at the start of a new conversation, marked
//!   `[Instructions]`; they then count in the continuity hash), or `"variable:NAME"` (their
//!   text goes to the bot's prompt variable `{{NAME}}` on every chat).
//! - **Earlier turns Coze cannot take as such**, carried into a new conversation: an
//!   assistant tool call becomes assistant text `[called tool NAME(ARGS)]`, a tool output
//!   `[tool call ID returned: OUTPUT]`.
//! - **Images and files**: `image_url` with a `data:` URI and `file.file_data` are uploaded
//!   to Coze's files API; `https://` URLs are passed to Coze as `file_url` (Coze fetches them;
//!   the gateway never fetches a URL a client gave); `file.file_id` is a Coze file id. Other
//!   URL schemes are refused (400). Audio input parts are refused.
//! - **Tool calls**: Coze's `requires_action` becomes `tool_calls` with Coze's call ids and
//!   `finish_reason: "tool_calls"`; the pending call (conversation, chat, call ids) is kept
//!   in the store for `tool_call_ttl_secs` (default 600), per API key, `user` and model. The
//!   next request whose new messages are the `tool` messages continues that Coze chat with
//!   `submit_tool_outputs` (streamed), on any instance sharing the store. An unknown,
//!   answered or expired call id is 400 `tool_call_not_found`; outputs for only some of the
//!   calls are 400 `tool_call_mismatch` (and the call stays answerable). The request's own
//!   `tools` / `tool_choice` are accepted and not used: a Coze bot's tools are set in Coze.
//! - **Errors** are OpenAI's `{"error": {"message", "type", "param", "code"}}` (table in
//!   [`error`]). Before the first chunk a failure is an HTTP error; after it, the stream ends
//!   with one `data: {"error": {...}}` chunk and no `[DONE]` (the `openai` SDKs raise it as
//!   an `APIError`), after every chunk that arrived: a failed chat (`coze_<code>`), an
//!   `error` event, a cut or idle Coze stream (`coze_stream_cut`, `coze_timeout`). A client
//!   that disconnects cancels the Coze chat.
//! - **Limits**: bodies over `max_body_bytes` (default 8 MiB) are refused with 413 from
//!   their `Content-Length`, before they are read (or as soon as a chunked body passes it).

mod config;
pub mod continuity;
pub mod error;
mod handlers;
pub mod mapping;
pub mod request;
pub mod types;
pub mod upstream;

pub use config::{EditedHistory, ModelTarget, OpenAiConfig};
pub use handlers::{CHAT_HEADER, CONVERSATION_HEADER, router};
