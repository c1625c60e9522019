//! The WebSocket APIs: `GET /v1/chat` (voice and text chat with a bot), `/v1/audio/speech`
//! (streamed text to speech) and `/v1/audio/transcriptions` (streamed speech to text), on the
//! same address as the REST API (Coze serves them from `wss://ws.coze.cn`; see the crate docs
//! for how the official SDKs are pointed here). Envelopes: [`crate::wsevent`].
//!
//! - Auth: the same tokens as REST, from `Authorization: Bearer` or, as `@coze/api` also
//!   sends it (browsers cannot set headers), the `authorization=Bearer …` query parameter. A
//!   missing, unknown or expired token refuses the handshake with HTTP 401 and the 4100 JSON
//!   body (the SDKs report the status); a plain GET without the upgrade gets 400.
//! - On connect the server sends `chat.created` / `speech.created` / `transcriptions.created`.
//!   Problems with the connection itself (an unknown or unpublished bot, a missing `bot_id`,
//!   a `workflow_id`) are an `error` event followed by a normal close.
//! - A client event that cannot be used (not JSON, unknown `event_type`, bad base64, a
//!   setting out of range) gets an `error` event (code 4000, the frame in
//!   `detail.origin_message`) and the connection stays open.
//! - Audio is the emulator's tone codec ([`crate::tone`]): output is raw 16-bit mono PCM
//!   (base64) at the configured rate, input is a WAV file or raw 16-bit mono PCM; audio the
//!   emulator produced transcribes back to its text.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use super::Params;
use crate::auth::{self, Authed};
use crate::bots::ChatContext;
use crate::engine::split_deltas;
use crate::envelope::{self, ApiError};
use crate::sse::EventSender;
use crate::state::{AppState, ChatStatus};
use crate::tone;
use crate::wsevent::{self, ClientEvent, EventError, InputAudio, OutputAudio};

/// Largest WebSocket message accepted (a base64 audio chunk, a long text).
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;
/// Most audio one buffer holds before `complete` (about 5 minutes at 48 kHz).
pub const MAX_AUDIO_BUFFER: usize = 32 * 1024 * 1024;
/// Most text a speech buffer holds, and most of an answer that is spoken (4 KiB of text is
/// about 8 minutes of tones; longer answers are spoken up to that length).
pub const MAX_TEXT_BUFFER: usize = 4096;
/// Audio deltas are about this long, and at most [`MAX_AUDIO_DELTAS`] per answer.
const AUDIO_CHUNK_MS: u32 = 200;
const MAX_AUDIO_DELTAS: usize = 32;

/// This module's routes (GET only: the REST audio routes keep POST on the same paths).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/chat", get(chat))
        .route("/v1/audio/speech", get(speech))
        .route("/v1/audio/transcriptions", get(transcriptions))
}

/// The token of the header, or of the `authorization` query parameter.
fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
) -> Result<Authed, ApiError> {
    if auth::bearer(headers).is_some() {
        return auth::check(state, headers).map(Authed);
    }
    let mut from_query = HeaderMap::new();
    if let Some(value) = params
        .get("authorization")
        .and_then(|v| HeaderValue::from_str(v).ok())
    {
        from_query.insert(header::AUTHORIZATION, value);
    }
    auth::check(state, &from_query).map(Authed)
}

fn upgrade_or_refuse(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Result<(Authed, WebSocketUpgrade), ApiError> {
    let authed = authenticate(state, headers, params)?;
    let upgrade = upgrade.map_err(|e| {
        ApiError::bad_request(format!(
            "this is a WebSocket endpoint ({e}): connect with a WebSocket client to ws://<emulator address>/<path>"
        ))
        .with_status(StatusCode::BAD_REQUEST)
    })?;
    Ok((authed, upgrade.max_message_size(MAX_MESSAGE_BYTES)))
}

/// What the writer task sends.
enum Out {
    Event(Value),
    Close(String),
    /// The client closed: flush the close reply the WebSocket layer queued for it (a `Close`
    /// sent now would be refused as a send after closing).
    Reply,
}

/// One connection's outgoing side: events go through a channel to the socket writer.
#[derive(Clone)]
struct Conn {
    tx: mpsc::Sender<Out>,
    logid: Arc<str>,
    /// `event_subscriptions` of `chat.update` (`None`: every event).
    subscriptions: Arc<std::sync::Mutex<Option<Vec<String>>>>,
}

impl Conn {
    /// Starts the writer; returns the connection and the socket's reading half.
    fn start(socket: WebSocket) -> (Conn, futures_util::stream::SplitStream<WebSocket>) {
        let (mut sink, stream) = socket.split();
        let (tx, mut rx) = mpsc::channel::<Out>(64);
        tokio::spawn(async move {
            while let Some(out) = rx.recv().await {
                let sent = match out {
                    Out::Event(event) => {
                        sink.send(Message::Text(Utf8Bytes::from(event.to_string())))
                            .await
                    }
                    Out::Close(reason) => {
                        let frame = CloseFrame {
                            code: 1000,
                            reason: Utf8Bytes::from(wsevent::cut(&reason, 120).to_string()),
                        };
                        let _ = sink.send(Message::Close(Some(frame))).await;
                        break;
                    }
                    Out::Reply => {
                        let _ = sink.close().await;
                        break;
                    }
                };
                if sent.is_err() {
                    break;
                }
            }
        });
        let conn = Conn {
            tx,
            logid: envelope::new_logid().into(),
            subscriptions: Arc::default(),
        };
        (conn, stream)
    }

    fn subscribed(&self, event_type: &str) -> bool {
        let subscriptions = self
            .subscriptions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        subscriptions
            .as_ref()
            .is_none_or(|list| list.is_empty() || list.iter().any(|e| e == event_type))
    }

    /// Sends a server event (unless the client unsubscribed from it); false once the socket
    /// is gone.
    async fn send(&self, event_type: &str, data: Option<Value>) -> bool {
        if !self.subscribed(event_type) {
            return !self.tx.is_closed();
        }
        let event = wsevent::server_event(event_type, data, &self.logid);
        self.tx.send(Out::Event(event)).await.is_ok()
    }

    /// Sends an `error` event (always, whatever the subscriptions).
    async fn error(&self, error: &EventError, origin: Option<&str>) {
        let event = wsevent::error_event(error, origin, &self.logid);
        let _ = self.tx.send(Out::Event(event)).await;
    }

    async fn close(&self, reason: &str) {
        let _ = self.tx.send(Out::Close(reason.to_string())).await;
    }
}

/// The next client event and its raw text; `None` once the socket is closed. Binary frames
/// are answered with an `error` event and skipped.
async fn next_event(
    conn: &Conn,
    stream: &mut futures_util::stream::SplitStream<WebSocket>,
) -> Option<(Result<ClientEvent, EventError>, Utf8Bytes)> {
    while let Some(Ok(message)) = stream.next().await {
        match message {
            Message::Text(text) => return Some((wsevent::parse(text.as_str()), text)),
            Message::Binary(_) => {
                conn.error(
                    &EventError::bad(
                        "binary frames are not events: send each event as a JSON text frame (audio goes base64 in input_audio_buffer.append)",
                    ),
                    None,
                )
                .await;
            }
            Message::Close(_) => {
                // Through the writer, so the close reply the protocol owes the client is
                // flushed before the socket is dropped (without it the client reads a reset).
                let _ = conn.tx.send(Out::Reply).await;
                return None;
            }
            Message::Ping(_) | Message::Pong(_) => {}
        }
    }
    None
}

/// One connection's session: what it does with each client event.
trait Session: Send {
    fn handle(
        &mut self,
        event: ClientEvent,
    ) -> impl std::future::Future<Output = Result<(), EventError>> + Send;
}

/// Reads client events until the socket closes, hands each to the session, and answers a
/// refused one with an `error` event.
async fn serve<S: Session>(
    conn: &Conn,
    mut stream: futures_util::stream::SplitStream<WebSocket>,
    session: &mut S,
) {
    while let Some((event, raw)) = next_event(conn, &mut stream).await {
        let result = match event {
            Ok(event) => session.handle(event).await,
            Err(e) => Err(e),
        };
        report(conn, result, &raw).await;
    }
}

/// `input_audio_buffer.append` (chat and transcriptions): decodes the base64 delta into the
/// session's buffer, up to [`MAX_AUDIO_BUFFER`] bytes.
fn append_audio(buffer: &mut Vec<u8>, data: &Value) -> Result<(), EventError> {
    let bytes = wsevent::audio_delta(data)?;
    if buffer.len() + bytes.len() > MAX_AUDIO_BUFFER {
        return Err(EventError::bad(format!(
            "the input audio buffer is full ({MAX_AUDIO_BUFFER} bytes): send input_audio_buffer.complete or clear"
        )));
    }
    buffer.extend_from_slice(&bytes);
    Ok(())
}

/// `input_audio_buffer.complete`: the buffered audio, refused when nothing was appended.
fn take_audio(buffer: &mut Vec<u8>) -> Result<Vec<u8>, EventError> {
    if buffer.is_empty() {
        return Err(EventError::bad(
            "the input audio buffer is empty: send input_audio_buffer.append with audio first",
        ));
    }
    Ok(std::mem::take(buffer))
}

/// Sends the `error` event for a refused client event.
async fn report(conn: &Conn, result: Result<(), EventError>, raw: &Utf8Bytes) {
    if let Err(e) = result {
        conn.error(&e, Some(raw.as_str())).await;
    }
}

fn unknown_event(path: &str, event_type: &str, known: &[&str]) -> EventError {
    EventError::bad(format!(
        "unknown event_type {event_type:?} on {path}; the client events here are {}",
        known.join(", ")
    ))
}

// ---------------------------------------------------------------------------------------
// /v1/chat

const CHAT_EVENTS: &[&str] = &[
    "chat.update",
    "conversation.message.create",
    "input_audio_buffer.append",
    "input_audio_buffer.complete",
    "input_audio_buffer.clear",
    "conversation.clear",
    "conversation.chat.cancel",
    "conversation.chat.submit_tool_outputs",
    "input_text.generate_audio",
];

async fn chat(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let (authed, upgrade) = match upgrade_or_refuse(&state, &headers, &params, upgrade) {
        Ok(ok) => ok,
        Err(refused) => return refused.into_response(),
    };
    let bot_id = params.get("bot_id").map(str::to_string);
    let workflow_id = params.get("workflow_id").map(str::to_string);
    upgrade.on_upgrade(move |socket| async move {
        let (conn, stream) = Conn::start(socket);
        let refusal = match (&bot_id, &workflow_id) {
            (_, Some(_)) => Some(EventError::bad(
                "the emulator's WebSocket chat talks to bots: leave out workflow_id (chatflows run over REST: /v1/workflows/chat)",
            )),
            (None, None) => Some(EventError::bad(
                "bot_id is required: connect to /v1/chat?bot_id=<bot id>",
            )),
            (Some(bot), None) => check_bot(&state, &authed, bot).err(),
        };
        if let Some(refusal) = refusal {
            conn.error(&refusal, None).await;
            conn.close(&refusal.msg).await;
            return;
        }
        let Some(bot_id) = bot_id else { return };
        conn.send("chat.created", None).await;
        let mut session = ChatSession {
            state,
            authed,
            conn: conn.clone(),
            bot_id,
            settings: Map::new(),
            input: InputAudio::default(),
            output: OutputAudio::default(),
            conversation_id: None,
            buffer: Vec::new(),
            running: None,
        };
        serve(&conn, stream, &mut session).await;
        if let Some(run) = session.running.take() {
            // The client left: the chat carries on server-side, without audio.
            run.cancel.store(true, Ordering::Relaxed);
        }
    })
}

fn check_bot(state: &AppState, authed: &Authed, bot_id: &str) -> Result<(), EventError> {
    let store = state.store();
    let to_event = |e: ApiError| {
        let body = e.body();
        EventError {
            code: body["code"].as_i64().unwrap_or(wsevent::BAD_EVENT),
            msg: body["msg"].as_str().unwrap_or_default().to_string(),
        }
    };
    let bot = super::bots::chat_bot(&store, authed, bot_id).map_err(to_event)?;
    if !bot.published {
        return Err(EventError {
            code: 4015,
            msg: super::chat::NOT_PUBLISHED.into(),
        });
    }
    Ok(())
}

fn api_to_event(e: &ApiError) -> EventError {
    let body = e.body();
    EventError {
        code: body["code"].as_i64().unwrap_or(wsevent::BAD_EVENT),
        msg: body["msg"].as_str().unwrap_or_default().to_string(),
    }
}

struct RunningChat {
    chat_id: String,
    cancel: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

struct ChatSession {
    state: AppState,
    authed: Authed,
    conn: Conn,
    bot_id: String,
    /// Everything `chat.update` set (what `chat.updated` reports).
    settings: Map<String, Value>,
    input: InputAudio,
    output: OutputAudio,
    conversation_id: Option<String>,
    buffer: Vec<u8>,
    running: Option<RunningChat>,
}

impl Session for ChatSession {
    async fn handle(&mut self, event: ClientEvent) -> Result<(), EventError> {
        match event.event_type.as_str() {
            "chat.update" => self.update(&event.data).await,
            "conversation.message.create" => {
                let role = wsevent::opt_str(&event.data, "role")?.unwrap_or("user");
                let content_type = wsevent::opt_str(&event.data, "content_type")?.unwrap_or("text");
                let content = wsevent::opt_str(&event.data, "content")?
                    .filter(|c| !c.trim().is_empty())
                    .ok_or_else(|| {
                        EventError::bad("conversation.message.create needs data.content")
                    })?;
                if role != "user" {
                    return Err(EventError::bad(format!(
                        "the emulator answers user messages: role {role:?} is not supported here (add earlier assistant messages over REST)"
                    )));
                }
                self.start_chat(json!([{
                    "role": "user", "type": "question", "content": content, "content_type": content_type,
                }]))
                .await
            }
            "input_audio_buffer.append" => append_audio(&mut self.buffer, &event.data),
            "input_audio_buffer.clear" => {
                self.buffer.clear();
                self.conn.send("input_audio_buffer.cleared", None).await;
                Ok(())
            }
            "input_audio_buffer.complete" => {
                let audio = take_audio(&mut self.buffer)?;
                self.conn.send("input_audio_buffer.completed", None).await;
                let text = wsevent::transcribe(&audio, &self.input);
                self.conn
                    .send(
                        "conversation.audio_transcript.update",
                        Some(json!({"content": text})),
                    )
                    .await;
                self.conn
                    .send(
                        "conversation.audio_transcript.completed",
                        Some(json!({"content": text})),
                    )
                    .await;
                self.start_chat(json!([{
                    "role": "user", "type": "question", "content": text, "content_type": "text",
                }]))
                .await
            }
            "conversation.clear" => {
                if let Some(id) = &self.conversation_id {
                    let section = self.state.new_id();
                    let now = self.state.now();
                    if let Some(c) = self.state.store().conversations.get_mut(id) {
                        c.last_section_id = section;
                        c.updated_at = now;
                    }
                }
                self.conn.send("conversation.cleared", None).await;
                Ok(())
            }
            "conversation.chat.cancel" => self.cancel(),
            "conversation.chat.submit_tool_outputs" => self.submit(&event.data).await,
            "input_text.generate_audio" => {
                let text = wsevent::opt_str(&event.data, "text")?
                    .filter(|t| !t.trim().is_empty())
                    .ok_or_else(|| EventError::bad("input_text.generate_audio needs data.text"))?
                    .to_string();
                let conn = self.conn.clone();
                let output = self.output.clone();
                let pace = self.state.pace();
                let template = json!({
                    "id": "0", "conversation_id": "0", "bot_id": "0", "chat_id": "0", "section_id": "0",
                    "role": "assistant", "type": "answer", "content": "", "content_type": "audio",
                });
                tokio::spawn(async move {
                    speak(
                        &conn,
                        &template,
                        &text,
                        &output,
                        pace,
                        &AtomicBool::new(false),
                    )
                    .await;
                });
                Ok(())
            }
            other => Err(unknown_event("/v1/chat", other, CHAT_EVENTS)),
        }
    }
}

impl ChatSession {
    async fn update(&mut self, data: &Value) -> Result<(), EventError> {
        if !data.is_object() {
            return Err(EventError::bad("chat.update needs a data object"));
        }
        let input = match data.get("input_audio").filter(|v| !v.is_null()) {
            Some(v) => wsevent::input_audio(v, &self.input)?,
            None => self.input.clone(),
        };
        let output = match data.get("output_audio").filter(|v| !v.is_null()) {
            Some(v) => wsevent::output_audio(v, &self.output)?,
            None => self.output.clone(),
        };
        if let Some(voice) = &output.voice_id
            && !super::audio::voice_known(&self.state, voice)
        {
            return Err(EventError {
                code: 4200,
                msg: format!(
                    "voice_id {voice} does not exist: list voices with GET /v1/audio/voices"
                ),
            });
        }
        let subscriptions = match data.get("event_subscriptions").filter(|v| !v.is_null()) {
            None => None,
            Some(Value::Array(list)) => Some(
                list.iter()
                    .map(|v| v.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| {
                        EventError::bad("event_subscriptions must be a list of event types")
                    })?,
            ),
            Some(_) => {
                return Err(EventError::bad(
                    "event_subscriptions must be a list of event types",
                ));
            }
        };
        let config = data.get("chat_config").filter(|v| !v.is_null());
        if let Some(config) = config {
            if !config.is_object() {
                return Err(EventError::bad("chat_config must be an object"));
            }
            if let Some(id) = wsevent::opt_str(config, "conversation_id")?.filter(|s| !s.is_empty())
            {
                super::conversations::find(&self.state, &self.authed, id)
                    .map_err(|e| api_to_event(&e))?;
                self.conversation_id = Some(id.to_string());
            }
            wsevent::opt_str(config, "user_id")?;
        }
        self.input = input;
        self.output = output;
        if let Some(list) = subscriptions {
            *self
                .conn
                .subscriptions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(list);
        }
        wsevent::merge(&mut self.settings, data);
        let output = self.output.to_json(self.settings.get("output_audio"));
        self.settings.insert("output_audio".into(), output);
        self.settings
            .insert("input_audio".into(), self.input.to_json());
        self.conn
            .send("chat.updated", Some(Value::Object(self.settings.clone())))
            .await;
        Ok(())
    }

    fn config(&self, key: &str) -> Option<&Value> {
        self.settings
            .get("chat_config")?
            .get(key)
            .filter(|v| !v.is_null())
    }

    async fn start_chat(&mut self, messages: Value) -> Result<(), EventError> {
        let mut body = json!({
            "bot_id": self.bot_id,
            "user_id": self.config("user_id").and_then(Value::as_str).unwrap_or(self.authed.user_id()),
            "additional_messages": messages,
            "stream": true,
        });
        for key in ["meta_data", "custom_variables", "auto_save_history"] {
            if let Some(v) = self.config(key) {
                body[key] = v.clone();
            }
        }
        let ctx = super::chat::prepare_chat(
            &self.state,
            &self.authed,
            self.conversation_id.as_deref(),
            super::JsonBody(body),
        )
        .map_err(|e| api_to_event(&e))?;
        self.conversation_id = Some(ctx.conversation_id.clone());
        let questions: Vec<Value> = {
            let store = self.state.store();
            store
                .chats
                .get(&ctx.chat_id)
                .map(|c| c.inserted_message_ids.clone())
                .unwrap_or_default()
                .iter()
                .filter_map(|id| store.message(id))
                .map(super::messages::message_json)
                .collect()
        };
        for question in questions {
            self.conn
                .send("conversation.message.completed", Some(question))
                .await;
        }
        self.run(ctx, false);
        Ok(())
    }

    fn run(&mut self, ctx: ChatContext, resumed: bool) {
        let cancel = Arc::new(AtomicBool::new(false));
        let chat_id = ctx.chat_id.clone();
        let task = tokio::spawn(forward_chat(
            self.state.clone(),
            self.conn.clone(),
            ctx,
            resumed,
            self.output.clone(),
            cancel.clone(),
        ));
        self.running = Some(RunningChat {
            chat_id,
            cancel,
            task,
        });
    }

    fn cancel(&mut self) -> Result<(), EventError> {
        let Some(run) = self.running.as_ref().filter(|r| !r.task.is_finished()) else {
            return Err(EventError {
                code: 4104,
                msg: "no chat is answering on this connection: nothing to cancel".into(),
            });
        };
        if let Some(chat) = self.state.store().chats.get_mut(&run.chat_id)
            && chat.status.is_running()
        {
            chat.status = ChatStatus::Canceled;
        }
        run.cancel.store(true, Ordering::Relaxed);
        Ok(())
    }

    async fn submit(&mut self, data: &Value) -> Result<(), EventError> {
        let chat_id = wsevent::opt_str(data, "chat_id")?
            .map(str::to_string)
            .or_else(|| self.running.as_ref().map(|r| r.chat_id.clone()))
            .ok_or_else(|| {
                EventError::bad("conversation.chat.submit_tool_outputs needs data.chat_id")
            })?;
        let body =
            json!({"tool_outputs": data.get("tool_outputs").cloned().unwrap_or(Value::Null)});
        let ctx = super::chat::prepare_tool_outputs(
            &self.state,
            &self.authed,
            self.conversation_id.as_deref(),
            Some(&chat_id),
            super::JsonBody(body),
        )
        .map_err(|e| api_to_event(&e))?;
        self.run(ctx, true);
        Ok(())
    }
}

/// Splits an SSE chat frame `event:<name>\ndata:<json>\n\n` back into its parts.
fn unframe(frame: &[u8]) -> Option<(String, Value)> {
    let text = std::str::from_utf8(frame).ok()?;
    let rest = text.strip_prefix("event:")?;
    let (event, data) = rest.split_once("\ndata:")?;
    let data = serde_json::from_str(data.trim_end()).ok()?;
    Some((event.to_string(), data))
}

/// Runs a chat through the engine and re-frames its events as WebSocket events; after the
/// answer's `conversation.message.completed`, speaks it (`conversation.audio.*`). Ends with
/// `conversation.chat.canceled` when the chat was cancelled.
async fn forward_chat(
    state: AppState,
    conn: Conn,
    ctx: ChatContext,
    resumed: bool,
    output: OutputAudio,
    cancel: Arc<AtomicBool>,
) {
    let chat_id = ctx.chat_id.clone();
    let (sender, mut frames) = EventSender::pipe();
    tokio::spawn(crate::engine::run_stream(
        state.clone(),
        ctx,
        resumed,
        sender,
    ));
    let pace = state.pace();
    while let Some(frame) = frames.recv().await {
        let Some((event, data)) = unframe(&frame) else {
            continue;
        };
        if event == "done" {
            break;
        }
        let is_answer = event == "conversation.message.completed"
            && data["type"] == "answer"
            && data["content"].as_str().is_some_and(|c| !c.is_empty());
        let text = data["content"].as_str().unwrap_or_default().to_string();
        let template = data.clone();
        conn.send(&event, Some(data)).await;
        if is_answer && !cancel.load(Ordering::Relaxed) {
            speak(&conn, &template, &text, &output, pace, &cancel).await;
        }
    }
    let canceled = state
        .store()
        .chats
        .get(&chat_id)
        .is_some_and(|c| c.status == ChatStatus::Canceled);
    if canceled {
        conn.send(
            "conversation.chat.canceled",
            Some(json!({"code": 0, "msg": ""})),
        )
        .await;
    }
}

/// `conversation.audio.sentence_start`, the audio of `text` as `conversation.audio.delta`
/// events (base64 PCM in `content` of a copy of `message`) at the pace, and
/// `conversation.audio.completed`; stops early when `cancel` is set.
async fn speak(
    conn: &Conn,
    message: &Value,
    text: &str,
    output: &OutputAudio,
    pace: crate::Pace,
    cancel: &AtomicBool,
) {
    let text = wsevent::cut(text, MAX_TEXT_BUFFER);
    let samples = tone::pcm(text, output.sample_rate, output.speed());
    let chunks = wsevent::audio_chunks(
        &samples,
        output.sample_rate,
        AUDIO_CHUNK_MS,
        MAX_AUDIO_DELTAS,
    );
    conn.send(
        "conversation.audio.sentence_start",
        Some(json!({"text": text})),
    )
    .await;
    let mut audio = message.clone();
    audio["content_type"] = json!("audio");
    for chunk in chunks {
        if cancel.load(Ordering::Relaxed) {
            return;
        }
        audio["content"] = json!(chunk);
        if !conn
            .send("conversation.audio.delta", Some(audio.clone()))
            .await
        {
            return;
        }
        pause(pace.delta_interval()).await;
    }
    audio["content"] = json!("");
    conn.send("conversation.audio.completed", Some(audio)).await;
}

async fn pause(d: std::time::Duration) {
    if !d.is_zero() {
        tokio::time::sleep(d).await;
    }
}

// ---------------------------------------------------------------------------------------
// /v1/audio/speech

const SPEECH_EVENTS: &[&str] = &[
    "speech.update",
    "input_text_buffer.append",
    "input_text_buffer.complete",
];

async fn speech(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let (_authed, upgrade) = match upgrade_or_refuse(&state, &headers, &params, upgrade) {
        Ok(ok) => ok,
        Err(refused) => return refused.into_response(),
    };
    upgrade.on_upgrade(move |socket| async move {
        let (conn, stream) = Conn::start(socket);
        conn.send("speech.created", None).await;
        let mut session = SpeechSession {
            state,
            conn: conn.clone(),
            output: OutputAudio::default(),
            settings: Map::new(),
            text: String::new(),
        };
        serve(&conn, stream, &mut session).await;
    })
}

struct SpeechSession {
    state: AppState,
    conn: Conn,
    output: OutputAudio,
    settings: Map<String, Value>,
    text: String,
}

impl Session for SpeechSession {
    async fn handle(&mut self, event: ClientEvent) -> Result<(), EventError> {
        match event.event_type.as_str() {
            "speech.update" => {
                let output = match event.data.get("output_audio").filter(|v| !v.is_null()) {
                    Some(v) => wsevent::output_audio(v, &self.output)?,
                    None => self.output.clone(),
                };
                if let Some(voice) = &output.voice_id
                    && !super::audio::voice_known(&self.state, voice)
                {
                    return Err(EventError {
                        code: 4200,
                        msg: format!(
                            "voice_id {voice} does not exist: list voices with GET /v1/audio/voices"
                        ),
                    });
                }
                self.output = output;
                wsevent::merge(&mut self.settings, &event.data);
                let output = self.output.to_json(self.settings.get("output_audio"));
                self.settings.insert("output_audio".into(), output);
                self.conn
                    .send("speech.updated", Some(Value::Object(self.settings.clone())))
                    .await;
                Ok(())
            }
            "input_text_buffer.append" => {
                let delta = wsevent::opt_str(&event.data, "delta")?.ok_or_else(|| {
                    EventError::bad("input_text_buffer.append needs data.delta (text)")
                })?;
                if self.text.len() + delta.len() > MAX_TEXT_BUFFER {
                    return Err(EventError::bad(format!(
                        "the text buffer is full ({MAX_TEXT_BUFFER} bytes): send input_text_buffer.complete"
                    )));
                }
                self.text.push_str(delta);
                Ok(())
            }
            "input_text_buffer.complete" => {
                if self.text.trim().is_empty() {
                    return Err(EventError::bad(
                        "the text buffer is empty: send input_text_buffer.append with text first",
                    ));
                }
                let text = std::mem::take(&mut self.text);
                self.conn.send("input_text_buffer.completed", None).await;
                let samples = tone::pcm(&text, self.output.sample_rate, self.output.speed());
                let chunks = wsevent::audio_chunks(
                    &samples,
                    self.output.sample_rate,
                    AUDIO_CHUNK_MS,
                    MAX_AUDIO_DELTAS,
                );
                let pace = self.state.pace();
                pause(pace.first_token()).await;
                for chunk in chunks {
                    if !self
                        .conn
                        .send("speech.audio.update", Some(json!({"delta": chunk})))
                        .await
                    {
                        return Ok(());
                    }
                    pause(pace.delta_interval()).await;
                }
                self.conn.send("speech.audio.completed", None).await;
                Ok(())
            }
            other => Err(unknown_event("/v1/audio/speech", other, SPEECH_EVENTS)),
        }
    }
}

// ---------------------------------------------------------------------------------------
// /v1/audio/transcriptions

const TRANSCRIPTION_EVENTS: &[&str] = &[
    "transcriptions.update",
    "input_audio_buffer.append",
    "input_audio_buffer.complete",
    "input_audio_buffer.clear",
];

async fn transcriptions(
    State(state): State<AppState>,
    headers: HeaderMap,
    params: Params,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let (_authed, upgrade) = match upgrade_or_refuse(&state, &headers, &params, upgrade) {
        Ok(ok) => ok,
        Err(refused) => return refused.into_response(),
    };
    upgrade.on_upgrade(move |socket| async move {
        let (conn, stream) = Conn::start(socket);
        conn.send("transcriptions.created", None).await;
        let mut session = TranscriptionSession {
            state,
            conn: conn.clone(),
            input: InputAudio::default(),
            settings: Map::new(),
            buffer: Vec::new(),
        };
        serve(&conn, stream, &mut session).await;
    })
}

struct TranscriptionSession {
    state: AppState,
    conn: Conn,
    input: InputAudio,
    settings: Map<String, Value>,
    buffer: Vec<u8>,
}

impl Session for TranscriptionSession {
    async fn handle(&mut self, event: ClientEvent) -> Result<(), EventError> {
        match event.event_type.as_str() {
            "transcriptions.update" => {
                if let Some(v) = event.data.get("input_audio").filter(|v| !v.is_null()) {
                    self.input = wsevent::input_audio(v, &self.input)?;
                }
                wsevent::merge(&mut self.settings, &event.data);
                self.settings
                    .insert("input_audio".into(), self.input.to_json());
                self.conn
                    .send(
                        "transcriptions.updated",
                        Some(Value::Object(self.settings.clone())),
                    )
                    .await;
                Ok(())
            }
            "input_audio_buffer.append" => append_audio(&mut self.buffer, &event.data),
            "input_audio_buffer.clear" => {
                self.buffer.clear();
                self.conn.send("input_audio_buffer.cleared", None).await;
                Ok(())
            }
            "input_audio_buffer.complete" => {
                let audio = take_audio(&mut self.buffer)?;
                self.conn.send("input_audio_buffer.completed", None).await;
                let text = wsevent::transcribe(&audio, &self.input);
                let pace = self.state.pace();
                pause(pace.first_token()).await;
                let mut heard = String::new();
                for delta in split_deltas(&text) {
                    heard.push_str(&delta);
                    self.conn
                        .send(
                            "transcriptions.message.update",
                            Some(json!({"content": heard})),
                        )
                        .await;
                    pause(pace.delta_interval()).await;
                }
                self.conn
                    .send("transcriptions.message.completed", None)
                    .await;
                Ok(())
            }
            other => Err(unknown_event(
                "/v1/audio/transcriptions",
                other,
                TRANSCRIPTION_EVENTS,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unframes_what_the_engine_frames() {
        let frame =
            crate::sse::chat_frame("conversation.message.delta", &json!({"content": "a\nb"}));
        let (event, data) = unframe(&frame).expect("a chat frame");
        assert_eq!(event, "conversation.message.delta");
        assert_eq!(data["content"], "a\nb");
        assert_eq!(
            unframe(&crate::sse::done_frame())
                .map(|(e, _)| e)
                .as_deref(),
            Some("done")
        );
        assert!(unframe(b"garbage").is_none());
        assert!(unframe(b"event:x\ndata:{not json\n\n").is_none());
    }
}
