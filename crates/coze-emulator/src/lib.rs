//! A local Coze (扣子) server that the official Coze SDKs accept: test integrations offline.
//!
//! The emulator speaks the Coze OpenAPI wire format (the `{code, msg, data, detail}`
//! envelope, `X-Tt-Logid`, ids as decimal strings, Unix-second timestamps, Coze's exact SSE
//! framing) and keeps conversations, sections, messages and chats in memory. The official
//! Python SDK `cozepy` 0.20.0 runs against it unmodified (`conformance/python/`).
//!
//! # Quick start
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> anyhow::Result<()> {
//! let emulator = coze_emulator::Emulator::start().await?; // 127.0.0.1, a free port
//! let chat = reqwest::Client::builder().no_proxy().build()?
//!     .post(format!("{}/v3/chat", emulator.base_url()))
//!     .bearer_auth(emulator.pat())
//!     .json(&serde_json::json!({
//!         "bot_id": emulator.bots().echo, "user_id": "me",
//!         "additional_messages": [{"role": "user", "content": "hello", "content_type": "text"}],
//!     }))
//!     .send().await?
//!     .json::<serde_json::Value>().await?;
//! assert_eq!(chat["data"]["status"], "in_progress");
//! emulator.shutdown().await?;
//! # Ok(())
//! # }
//! ```
//!
//! From the command line: `coze emulator [--listen 127.0.0.1:0] [--json] [--pace P]` prints its base
//! URL, PAT and bot ids (with `--json`, the one line of [`Emulator::info`]) and serves until
//! Ctrl-C. The PAT is random per start unless [`EmulatorConfig::pat`] is set.
//!
//! # Endpoints
//!
//! Chat v3 (`/v3/chat` streamed or not, `retrieve` by GET and POST, `message/list`,
//! `submit_tool_outputs` streamed or not, `cancel`), conversations (create, retrieve, list,
//! rename, delete, clear), conversation messages (create, list, retrieve, modify, delete,
//! feedback), plus the modules of the other resources (OAuth, users, workspaces, bots, files,
//! workflows, chatflow, plugins, a fake Glif), and the rest of the official OpenAPI document:
//! knowledge (`routes::knowledge`, documents processed 0 → 100 over two seconds of the
//! emulator's clock), variables, audio (`routes::audio`: speech is a WAV of tones that
//! [`tone::decode`] and the transcription route turn back into the text), versions, node
//! outputs and resume (`routes::versions`), workspaces and people (`routes::members`), apps,
//! folders, API apps, connectors, copy tasks and collaboration (`routes::apps`), benefits and
//! bills (`routes::commerce`). Beyond the document, the calls the official SDKs also make
//! (listed in `tests/sdk-extras.txt`, checked like the document's paths): template duplication
//! (a built-in catalogue, ids under `"templates"` in [`Emulator::info`]), a connector's review
//! of a bot, lives of audio rooms and the plugin store (`routes::extras`), voiceprint groups
//! with speaker identification (`routes::voiceprints`), API app list and delete with their
//! events' list and delete (`routes::apps`), enterprise member removal (`routes::members`).
//! Every Coze path needs `Authorization: Bearer`
//! with the PAT or a token the emulator issued; a missing, unknown or expired one gets HTTP
//! 401 `{"code":4100,"msg":"authentication is invalid"}`.
//!
//! # WebSockets
//!
//! The WebSocket APIs Coze serves from `wss://ws.coze.cn` / `wss://ws.coze.com` are served on
//! the emulator's REST address, as `ws://127.0.0.1:PORT` (`routes::websockets`; envelopes in
//! [`wsevent`]):
//!
//! - `GET /v1/chat?bot_id=…` (`device_id` accepted and ignored): `chat.created` on connect;
//!   `chat.update` → `chat.updated` (the settings so far, the audio ones with every default
//!   filled in: `chat_config` with `user_id`,
//!   `conversation_id`, `meta_data`, `custom_variables`, `auto_save_history`;
//!   `input_audio`, `output_audio`, `event_subscriptions` to receive only the listed event
//!   types); `conversation.message.create` (a user text) or `input_audio_buffer.append`
//!   (base64) + `input_audio_buffer.complete` (→ `input_audio_buffer.completed`,
//!   `conversation.audio_transcript.update` / `.completed` with the transcript, which becomes
//!   the question) start a chat with the same bots, conversations and [`Pace`] as `/v3/chat`:
//!   the user's `conversation.message.completed`, `conversation.chat.created`, `in_progress`,
//!   `conversation.message.delta`s, the answer's `conversation.message.completed`, then the
//!   answer spoken (`conversation.audio.sentence_start`, `conversation.audio.delta`s with
//!   base64 PCM in `content`, `conversation.audio.completed`), the `verbose` message and
//!   follow-ups, `conversation.chat.completed` (or `requires_action`, answered with
//!   `conversation.chat.submit_tool_outputs`; or `failed`). `conversation.chat.cancel` stops
//!   the answer and its audio and ends with `conversation.chat.canceled`;
//!   `input_audio_buffer.clear` → `input_audio_buffer.cleared`; `conversation.clear` starts a
//!   new section → `conversation.cleared`; `input_text.generate_audio` speaks a text without
//!   the bot. All chats of one connection share one conversation (a new one unless
//!   `chat_config.conversation_id` names one).
//! - `GET /v1/audio/speech`: `speech.created`; `speech.update` → `speech.updated`;
//!   `input_text_buffer.append` (`delta` text) + `input_text_buffer.complete` →
//!   `input_text_buffer.completed`, `speech.audio.update`s (base64 PCM `delta`),
//!   `speech.audio.completed`.
//! - `GET /v1/audio/transcriptions`: `transcriptions.created`; `transcriptions.update` →
//!   `transcriptions.updated`; `input_audio_buffer.append` + `.complete` →
//!   `input_audio_buffer.completed`, `transcriptions.message.update`s (each the whole text
//!   heard so far), `transcriptions.message.completed`; `input_audio_buffer.clear`.
//!
//! Audio is the tone codec of [`tone`]: output is raw 16-bit mono little-endian PCM at
//! `output_audio.pcm_config.sample_rate` (default 24000), `speech_rate` −50..100 setting the
//! speed; input is a WAV file (the default `input_audio.format`) or, with `format: "pcm"`, raw
//! 16-bit mono PCM at `input_audio.sample_rate`, in any number of appends. Audio the emulator
//! produced (over REST or WebSocket) transcribes back to exactly its text; other audio is
//! heard as a fixed sentence naming its size. A speech text buffer holds at most 4096 bytes,
//! and only the first 4096 bytes of a longer answer are spoken (bounded memory per
//! connection: that is minutes of audio already). The emulator produces no other codec:
//! `output_audio.codec` other than `pcm` (opus, g711a, g711u), `input_audio` other than
//! 16-bit mono PCM/WAV are refused with an `error` event.
//!
//! What it refuses: a missing, unknown or expired token refuses the handshake with HTTP 401
//! and the 4100 body (the token comes from `Authorization: Bearer` or the
//! `authorization=Bearer …` query parameter `@coze/api` adds); a GET without the upgrade gets
//! 400. A missing `bot_id` (4000), an unknown bot (4200), an unpublished one (4015) or a
//! `workflow_id` (chatflows over WebSocket are not emulated, 4000) get an `error` event and a
//! normal close. A client event that cannot be used (not JSON, not a JSON object, unknown
//! `event_type`, bad base64, a setting out of range, an empty buffer, a cancel with nothing
//! running: 4104, the chat refusals of `/v3/chat` such as 4016) gets an `error` event
//! `{code, msg}` with the frame in `detail.origin_message`, and the connection stays open.
//! Every server event carries `detail.logid` (one per connection) and a UUID `id`. The
//! request faults of `/_emulator/faults` (`rate_limit`, `server_error`, `html_error`) refuse
//! the handshake like any request; the stream faults (`cut_after_events`, `event_delay_ms`,
//! `error_event`) apply to SSE streams only.
//!
//! The official SDKs reach it as follows. `@coze/api` takes the WebSocket base as its own
//! option: `new CozeAPI({baseURL: "http://127.0.0.1:PORT", baseWsURL: "ws://127.0.0.1:PORT",
//! token})` (pass `{maxRetries: 0}` to `websockets.chat.create` in tests: its
//! reconnecting-websocket otherwise retries a closed connection). cozepy derives `wss://ws.…`
//! from an `https://api.…` base and refuses an `http://` base, so build its clients directly:
//! `WebsocketsChatBuildClient("ws://127.0.0.1:PORT", Requester(auth=TokenAuth(pat)))`
//! (likewise `WebsocketsAudioSpeechBuildClient`, `WebsocketsAudioTranscriptionsBuildClient`).
//! The conformance suites do exactly that (`conformance/python/test_websockets.py`,
//! `conformance/js/test/websockets.test.mjs`).
//!
//! # Bots
//!
//! - `echo`: answers `You said: "<message>".`, adds `Earlier in this conversation you said:
//!   "<a>", "<b>".` for the user's earlier messages in the current section (so `clear` makes
//!   it forget) and names attached files; streams the answer in several deltas of one
//!   message id, then a `verbose` `generate_answer_finish` message, `follow_up` suggestions
//!   and `conversation.chat.completed` with token usage. The answer ends with some markdown
//!   (a list of counts and the message in a code block; see [`bots::echo`]).
//! - `reasoning`: streams its chain of thought first, as deep-thinking models on Coze do:
//!   deltas with `reasoning_content` set and an empty `content`, then the echo answer; the
//!   completed answer carries both.
//! - `tool`: asks for `get_weather` with `{"location": "<message>"}` through
//!   `conversation.chat.requires_action`; after `submit_tool_outputs` answers
//!   `The tool get_weather returned: <output>`.
//! - `failing`: every chat ends with `conversation.chat.failed`, `last_error.code` 5000.
//! - `unpublished`: not published to the API channel; chats are refused with 4015 (unless the
//!   request asks for `publish_status: "unpublished_draft"`).
//! - An unknown bot id gets 4200. New bots implement [`bots::Behavior`].
//!
//! # Test switches (`/_emulator/...`, no token)
//!
//! - `GET|POST|DELETE /_emulator/faults`: read, replace, reset the [`FaultConfig`] (also
//!   in-process via [`Emulator::faults`]): `event_delay_ms`, `cut_after_events`,
//!   `error_event {after_events, code, msg}`, and for the next `count` requests (optionally
//!   only under `path_prefix`) `rate_limit {retry_after}` (429, code 4013, `Retry-After`),
//!   `server_error {status}` (5xx JSON, code 5000), `html_error {status}` (an HTML page, 502
//!   by default). Example: `{"cut_after_events": 4}`.
//! - `GET|POST /_emulator/pace`: read or change the answering [`Pace`]
//!   (`{"pace": "fast"}` or `{"first_token_ms": 300, "delta_interval_ms": 20}`).
//! - `POST /_emulator/clock {"advance_seconds": n}`: move the emulator's clock (token expiry).
//!
//! # What it refuses
//!
//! The request rules of Coze's per-endpoint docs, with Coze's codes (4000 unless named):
//!
//! - Ids (`bot_id`, `user_id` of a chat, `bot_id` of a new conversation, `workflow_id`,
//!   `bot_id`, `app_id` of a workflow run) are JSON strings; a number is refused.
//! - Messages (chat `additional_messages`, conversation create, message create and modify):
//!   `role` user or assistant; `type` question, answer, function_call, tool_output or
//!   tool_response (`follow_up` and `verbose` only appear in responses); `content` a string;
//!   `content_type` required with content, text or object_string (`card`, `audio` only appear
//!   in responses); object_string content is an array of text/file/image/audio items with at
//!   most one text item, a text item only beside a file or image (text alone is
//!   `content_type: text`), each file item with a `file_id` or `file_url`, and a `file_id`
//!   must be one the caller uploaded.
//! - A chat in a conversation without messages must carry the user's question; at most 100
//!   `additional_messages`; non-streaming chats must keep `auto_save_history`; a prompt
//!   beyond the model's context window of [`routes::chat::CONTEXT_WINDOW`] tokens (one
//!   token per four characters) gets 4010 before the chat starts.
//! - Unpublished bots: 4015 for chats and for workflow runs on their behalf (`bot_id`);
//!   unknown bots, conversations, chats, messages, workflows, files: 4200.
//! - `meta_data`: at most 16 pairs, keys of 1-64 and string values of up to 512 characters.
//! - Files: 4300 empty, 4301 more than one, 4302 beyond `max_upload_bytes`.
//! - Body size, before the body is read: see [`limits`] (HTTP 413).
//! - A path the emulator does not serve: 4000 "does not implement" (HTTP 404); a path it
//!   serves called with another method: 4000 (HTTP 405). Both in Coze's envelope, so an SDK
//!   shows the message.
//!
//! Where the docs and the official SDKs disagree, what the SDKs send is accepted:
//! `@coze/api` types object_string `content` as an item array (it stringifies it for chats
//! only), so an array with `content_type: object_string` is accepted as that string; cozepy
//! retrieves chats by POST where the docs say GET, and sends `conversation_id=` empty (taken
//! as absent); cozepy lists bots with `page_index` where the docs say `page_num`; the
//! deprecated `knowledge.documents.list` of `@coze/api` lists documents with a GET and a query
//! where the docs say POST.
//!
//! # Capacity
//!
//! `examples/capacity.rs` runs many concurrent paced streams against one emulator, all on
//! 127.0.0.1. Measured on the 2-core development machine (shared with other builds: load
//! average 15 during the run), release builds, the emulator as its own process:
//!
//! ```sh
//! coze emulator --json --pace realistic > /tmp/emu.json &
//! cargo run --release -p coze-emulator --example capacity -- --info /tmp/emu.json --streams 10000
//! ```
//!
//! 10,000 streams started over 2 s, all 10,000 open at once, **0 errors**, every stream read
//! to its `done` (260,000 events) in 34.5 s; the emulator's peak resident memory (`VmHWM`)
//! was **736 MB** and it used 8.2 s of CPU. With the CPU shared, streams took 24 s at the
//! median instead of the 2.1 s the realistic pace sets: the pace stretches under load, the
//! streams do not fail. (Earlier runs: with every chat scanning the whole store, 7,680 of
//! the 10,000 timed out connecting; with the conversation indexes but tokio's default accept
//! queue of 1024, 23 did; with the 4096-deep queue, none.)
//!
//! # Choices where Coze is silent or unclear
//!
//! - HTTP status: 401 for 4100, 429 for 4013, 200 for every other business error (the SDKs
//!   go by `code`); unknown paths get 404 with code 4000. Unknown conversation, chat or
//!   message ids get 4200.
//! - Errors before a stream starts are JSON (`application/json`); stream responses are always
//!   `text/event-stream` with only `event:`/`data:` lines and end with `data:"[DONE]"`, also
//!   after `requires_action`, `failed` and a cancel.
//! - A conversation is busy (4016) while a chat in it is `created` or `in_progress`; a chat
//!   waiting for tool outputs does not block it (it could otherwise never be left: such a
//!   chat cannot be cancelled, 4104, as on Coze).
//! - Time: every bot answers at a [`Pace`] (first-token delay, then one delta per interval;
//!   `realistic` is 800 ms then 50 ms, see [`pace`]). A chat is `in_progress`, and its
//!   conversation busy, until its last event; a non-streaming chat runs exactly like a
//!   streamed one without the events, so polling sees `in_progress` until the answer is
//!   done. Messages are stored one by one as they are produced. A client that drops a stream
//!   does not stop its chat: it carries on, at the same pace, server-side.
//! - Cancelling a running chat stops it at its next step; mid-answer, the answer produced so
//!   far is kept (stored, and sent as `conversation.message.completed`) and the stream ends
//!   with `done`. Coze's docs say a cancel does not close an open stream; the emulator closes
//!   it, which is what a client that cancelled wants and what the official SDKs accept.
//! - Workflows follow the pace too (a first-token delay per node), so an async run stays
//!   `Running` in its run history for a while. A synchronous `/v1/workflow/run` answers when
//!   the workflow is done; past [`EmulatorConfig::sync_workflow_timeout`] (Coze documents
//!   90 s, the default) it gives up. Coze then drops the connection; the emulator answers at
//!   that moment with code 5000 and a message naming `is_async` and streaming instead, so the
//!   caller learns what to do.
//! - The first section of a conversation has the conversation's id; `clear` starts a new one.
//! - Conversation list: the caller's conversations of one channel (`connector_id`, default
//!   1024), filtered by `bot_id` if given, newest first unless `sort_order=ASC`.
//! - Message list cursors: the list is put in the requested order; `after_id=X` gives the
//!   messages after X in that order, `before_id=X` those right before it; so paging with
//!   `after_id=<last_id>` (what cozepy and coze-go do) walks the list in either order.
//! - `auto_save_history: false` stores nothing of the chat; `submit_tool_outputs` on such a
//!   chat gets 5000, as documented.
//! - Ids are increasing 19-digit numbers (sorting by id is sorting by creation); token usage
//!   counts one token per four characters; logids use UTC.

pub mod auth;
pub mod bots;
pub mod engine;
pub mod envelope;
pub mod faults;
pub mod limits;
pub mod oauth;
pub mod pace;
pub mod plugins;
pub mod routes;
pub mod sse;
pub mod state;
pub mod tone;
pub mod workflows;
pub mod wsevent;

use std::fmt;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::faults::{FaultConfig, Faults};
pub use crate::pace::Pace;
pub use crate::state::{AppState, BotIds, Settings};

/// How to start an emulator; `Default` is a free port on 127.0.0.1 and a random PAT.
///
/// # Security
/// Debug never prints the PAT.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Address to listen on (`127.0.0.1:0` takes a free port).
    pub listen: SocketAddr,
    /// The personal access token to accept; `None` makes a random `pat_…` one.
    pub pat: Option<String>,
    /// Lifetime of the PAT; `None` never expires.
    pub pat_ttl: Option<Duration>,
    /// Lifetime of OAuth access tokens the emulator issues.
    pub token_ttl: Duration,
    /// How fast bots answer and workflows run ([`Pace`]); [`Pace::Fast`] by default, since
    /// in-process emulators mostly serve tests (`coze emulator` and `coze demo` use
    /// [`Pace::Realistic`]).
    pub pace: Pace,
    /// How long a synchronous workflow run waits before giving up (Coze: 90 s, the default).
    pub sync_workflow_timeout: Duration,
    /// Largest file `/v1/files/upload` accepts; larger ones get 4302 (default 512 MB).
    pub max_upload_bytes: u64,
    /// How long the slow scripted workflow runs (default 3 s).
    pub slow_workflow: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            pat: None,
            pat_ttl: None,
            token_ttl: Duration::from_secs(15 * 60),
            pace: Pace::Fast,
            sync_workflow_timeout: Duration::from_secs(90),
            max_upload_bytes: 512 * 1024 * 1024,
            slow_workflow: Duration::from_secs(3),
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("pat", &self.pat.as_ref().map(|_| "[redacted]"))
            .field("pat_ttl", &self.pat_ttl)
            .field("token_ttl", &self.token_ttl)
            .field("pace", &self.pace)
            .field("sync_workflow_timeout", &self.sync_workflow_timeout)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("slow_workflow", &self.slow_workflow)
            .finish()
    }
}

/// A running emulator. Stops when dropped (abruptly) or on [`Emulator::shutdown`] (gracefully).
///
/// # Security
/// Debug never prints the PAT.
pub struct Emulator {
    base_url: String,
    pat: String,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .field("pat", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator on a free port of 127.0.0.1 with a random PAT.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start() -> anyhow::Result<Emulator> {
        Emulator::start_with(EmulatorConfig::default()).await
    }

    /// Starts an emulator as configured.
    ///
    /// # Errors
    /// When the listen address cannot be bound (in use, not a local address, no permission).
    pub async fn start_with(config: EmulatorConfig) -> anyhow::Result<Emulator> {
        let listener =
            listen(config.listen).with_context(|| format!("cannot listen on {}", config.listen))?;
        let mut addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        if addr.ip().is_unspecified() {
            // Listening on all interfaces: tell clients the loopback address.
            addr.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        let pat = config
            .pat
            .clone()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty());
        let pat = pat.unwrap_or_else(random_pat);
        let settings = Settings {
            token_ttl: config.token_ttl,
            sync_workflow_timeout: config.sync_workflow_timeout,
            max_upload_bytes: config.max_upload_bytes,
            slow_workflow: config.slow_workflow,
        };
        let state = AppState::new(&pat, config.pat_ttl, settings, config.pace);
        let app = router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        Ok(Emulator {
            base_url: format!("http://{addr}"),
            pat,
            state,
            shutdown: Some(tx),
            server: Some(server),
        })
    }

    /// The base URL clients use, e.g. `http://127.0.0.1:43117` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The personal access token the emulator accepts.
    pub fn pat(&self) -> &str {
        &self.pat
    }

    /// The personal workspace (where the demo bots live).
    pub fn workspace_id(&self) -> &str {
        &self.state.ids().workspace_id
    }

    /// The ids of the demo bots.
    pub fn bots(&self) -> &BotIds {
        &self.state.ids().bots
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        self.state.faults()
    }

    /// The server state (for tests that look inside).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The `coze emulator --json` object: `{"base_url","pat","workspace_id","bots":{…}}` plus
    /// the keys other features register in `Store::info_extras`.
    pub fn info(&self) -> Value {
        let mut info = json!({
            "base_url": self.base_url,
            "pat": self.pat,
            "workspace_id": self.workspace_id(),
            "bots": self.bots(),
            "glif": plugins::info(&self.base_url, &self.state),
        });
        if let Some(object) = info.as_object_mut() {
            let extras = self.state.store().info_extras.clone();
            object.extend(extras);
        }
        info
    }

    /// Serves until `signal` completes, then shuts down gracefully.
    ///
    /// # Errors
    /// When the server failed while serving.
    pub async fn serve_until(self, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        self.shutdown().await
    }

    /// Serves until Ctrl-C (what `coze emulator` does), then shuts down gracefully.
    ///
    /// # Errors
    /// When Ctrl-C cannot be listened for, or the server failed.
    pub async fn serve_until_ctrl_c(self) -> anyhow::Result<()> {
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")?;
        self.shutdown().await
    }

    /// Stops accepting connections and waits (at most 5 s) for open ones to finish.
    ///
    /// # Errors
    /// When the server task failed.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let Some(mut server) = self.server.take() else {
            return Ok(());
        };
        match tokio::time::timeout(Duration::from_secs(5), &mut server).await {
            Ok(joined) => joined
                .context("emulator task failed")?
                .context("emulator server failed"),
            Err(_) => {
                server.abort();
                Ok(())
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// The emulator's whole HTTP surface for `state` (tests can call it without a port).
pub fn router(state: AppState) -> Router {
    routes::routes()
        .fallback(unknown_endpoint)
        .method_not_allowed_fallback(wrong_method)
        .layer(from_fn_with_state(state.clone(), faults::middleware))
        .layer(from_fn_with_state(state.clone(), limits::middleware))
        .with_state(state)
}

async fn unknown_endpoint(request: axum::extract::Request) -> Response {
    let msg = format!(
        "the coze emulator does not implement {} {}",
        request.method(),
        request.uri().path()
    );
    envelope::ApiError::new(4000, msg)
        .with_status(axum::http::StatusCode::NOT_FOUND)
        .into_response()
}

/// A known path called with a method it does not take: Coze's envelope (code 4000) on a 405, so
/// an SDK reports the message instead of a bare HTTP status.
async fn wrong_method(request: axum::extract::Request) -> Response {
    let msg = format!(
        "{} is not a method of {}; check the method in the API reference",
        request.method(),
        request.uri().path()
    );
    envelope::ApiError::new(4000, msg)
        .with_status(axum::http::StatusCode::METHOD_NOT_ALLOWED)
        .into_response()
}

/// Binds `addr` with a deep accept queue (4096, the usual `somaxconn`; tokio's default is
/// 1024): thousands of clients connecting at once must wait in it, not time out.
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if addr.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    #[cfg(unix)]
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(4096)
}

fn random_pat() -> String {
    let mut rng = rand::thread_rng();
    let hi: u128 = rng.r#gen();
    format!("pat_emulator_{hi:032x}")
}
