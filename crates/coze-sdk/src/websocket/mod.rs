//! Coze's WebSocket APIs: `client.websockets()`: voice chat with a bot ([`chat`]), streaming
//! text to speech ([`speech`]) and streaming speech to text ([`transcriptions`]).
//!
//! ```no_run
//! use coze_sdk::websocket::chat::{ClientEvent, ServerEvent, ChatUpdate};
//! use coze_sdk::websocket::{InputAudio, OutputAudio};
//! use futures_util::StreamExt;
//!
//! # async fn run(client: coze_sdk::Client, pcm: Vec<u8>) -> coze_sdk::Result<()> {
//! let mut chat = client.websockets().chat("7380000000000000000").connect().await?;
//! chat.send(ClientEvent::update(
//!     ChatUpdate::new()
//!         .user("user-1")
//!         .input_audio(InputAudio::pcm(16_000, 1, 16))
//!         .output_audio(OutputAudio::pcm(24_000)),
//! ))
//! .await?;
//! for chunk in pcm.chunks(32_000) {
//!     chat.send(ClientEvent::audio(chunk)).await?;
//! }
//! chat.send(ClientEvent::InputAudioBufferComplete).await?;
//! let mut answer_audio = Vec::new();
//! while let Some(event) = chat.next().await {
//!     match event? {
//!         ServerEvent::MessageDelta(m) => print!("{}", m.content),
//!         ServerEvent::AudioDelta(a) => answer_audio.extend_from_slice(&a.audio),
//!         ServerEvent::ChatCompleted(_) => break,
//!         _ => {}
//!     }
//! }
//! chat.close().await?;
//! # Ok(())
//! # }
//! ```
//!
//! # The protocol
//!
//! Every frame is one JSON text frame `{"id", "event_type", "data", "detail"}`, both ways. The
//! client's events are the `ClientEvent` enum of each module, the server's the `ServerEvent`
//! enum; audio (`input_audio_buffer.append`, `conversation.audio.delta`,
//! `speech.audio.update`) is base64 on the wire and plain bytes in these types. Each event the
//! SDK sends gets a fresh random `id` (the official JavaScript SDK's examples do the same; the
//! Python and Go SDKs send none). A server event this SDK does not know arrives as
//! `ServerEvent::Unknown { event_type, data }`, so a new Coze event never breaks a client;
//! `ClientEvent::Custom` sends one the SDK does not know yet.
//!
//! A [`Connection`] is a `Stream` of `Result<ServerEvent>` with a [`send`](Connection::send)
//! method; [`Connection::split`] gives a [`Sender`] and an [`Events`] stream for two tasks
//! (one sending microphone audio while the other plays the answer).
//!
//! # Where it connects
//!
//! `wss://ws.coze.com` for coze.com and `wss://ws.coze.cn` for coze.cn. For other base URLs the
//! WebSocket base is derived the way the official Python SDK does it ([`websocket_base_url`]):
//! `https://` becomes `wss://` (`http://` becomes `ws://`, for the emulator and local
//! servers), a host starting with `api.` or `api-` starts with `ws.` / `ws-` instead, and the
//! path is kept. So the emulator's `http://127.0.0.1:PORT` gives `ws://127.0.0.1:PORT`, where
//! it serves the WebSockets beside its REST routes.
//! [`ClientBuilder::websocket_base_url`](crate::ClientBuilder::websocket_base_url) sets
//! another one.
//!
//! # Authentication
//!
//! The handshake sends `Authorization: Bearer <token>` from the client's token source (a
//! personal access token or an OAuth token), like the Python and Go SDKs. The token never goes
//! in the URL (the JavaScript SDK also adds it as an `authorization` query parameter, which
//! ends up in proxy logs; coze-rs does not) and is never logged. A handshake refused with
//! HTTP 401 / code 4100 is retried once when the token source can refresh the token (OAuth);
//! otherwise it is the [`Error`] the refusal describes, with its logid.
//!
//! # Reconnection
//!
//! What the official SDKs do: the JavaScript SDK wraps the socket in `reconnecting-websocket`
//! with its defaults: after any close it reconnects without limit (waits of 1 to 5 s, growing
//! 1.3 times per attempt up to 10 s) and queues what the application sends meanwhile, then
//! sends it on the new connection. The Python and Go SDKs never reconnect.
//!
//! What coze-rs does, and why:
//!
//! - **Opening** a connection is retried per the client's [`RetryPolicy`](crate::RetryPolicy)
//!   (two retries by default) when it could not be made (refused, reset, timed out during the
//!   handshake) or the handshake was answered with HTTP 429 / 5xx: nothing reached Coze yet.
//!   Other refusals (401, 403, 4200 unknown bot, ...) are returned at once.
//! - **An open connection is never reopened by itself.** A new connection is a new session on
//!   Coze's side: the settings of `chat.update` are gone, an answer in progress cannot be
//!   resumed, and replaying queued audio could ask the question twice. So a drop ends the
//!   event stream; reconnect with `connect()` and send `chat.update` again (with the
//!   `conversation_id` to keep the context).
//! - **A drop mid-answer is never a silent truncation.** Once the client sent something that
//!   asks for an answer (a user message, `input_audio_buffer.complete`, tool outputs,
//!   `input_text_buffer.complete`, ...) or the server started one (`conversation.chat.created`),
//!   and until the answer ends (`conversation.chat.completed` / `failed` / `canceled` /
//!   `requires_action`, `speech.audio.completed`, `transcriptions.message.completed`), every
//!   event that arrived is yielded and then a final `Err(`[`Error::WebSocketCut`]`)`
//!   says the answer was cut and how (close code and reason, or the transport error). A close
//!   while nothing is awaited ends the stream normally (`None`).
//! - **Silence**: while an answer is awaited, no frame for the idle timeout (the client's
//!   stream idle timeout, 120 s by default; set per connection with `idle_timeout`) ends the
//!   stream with [`Error::StreamIdle`]. While nothing is awaited
//!   (a user who has not spoken yet) there is no limit.
//! - `error` events (a bad `chat.update`, a refused message) are an `Err(`[`Error::StreamEvent`]`)`
//!   item with Coze's code, message and logid; the stream goes on, as the connection does.
//!   So does a frame that is not a valid event ([`Error::MalformedEvent`]).
//!
//! Frames larger than the client's `max_event_size` (8 MiB by default) break the connection.
//! `coze -v` logs one line per connection (URL, status, logid), never the headers or the
//! frames.

pub mod chat;
mod conn;
pub mod speech;
pub mod transcriptions;
mod wire;

use std::marker::PhantomData;
use std::time::Duration;

pub use conn::{Connection, Events, Sender};
pub use wire::{
    AnswerState, ClientEvent, InputAudio, LimitConfig, OpusConfig, OutputAudio, PcmConfig,
    ServerEvent,
};

use crate::client::Client;
use crate::error::{Error, Result};
use crate::ids::BotId;

/// A connection of the chat API.
pub type ChatConnection = Connection<chat::ClientEvent, chat::ServerEvent>;
/// A connection of the speech API.
pub type SpeechConnection = Connection<speech::ClientEvent, speech::ServerEvent>;
/// A connection of the transcriptions API.
pub type TranscriptionsConnection =
    Connection<transcriptions::ClientEvent, transcriptions::ServerEvent>;

/// The WebSocket base URL for a REST base URL: `https` → `wss`, `http` → `ws`, a host
/// starting with `api.` / `api-` → `ws.` / `ws-`, the path kept, no trailing slash.
///
/// `https://api.coze.cn` → `wss://ws.coze.cn`; `http://127.0.0.1:8080` → `ws://127.0.0.1:8080`.
///
/// # Errors
/// [`Error::Config`] when `rest_base` is not an absolute http(s) URL.
pub fn websocket_base_url(rest_base: &str) -> Result<String> {
    let checked = crate::region::check_base_url(rest_base)?;
    let (scheme, rest) = match checked.split_once("://") {
        Some(("https", rest)) => ("wss", rest),
        Some((_, rest)) => ("ws", rest),
        None => ("ws", checked.as_str()),
    };
    let rest = if let Some(r) = rest.strip_prefix("api.") {
        format!("ws.{r}")
    } else if let Some(r) = rest.strip_prefix("api-") {
        format!("ws-{r}")
    } else {
        rest.to_owned()
    };
    Ok(format!("{scheme}://{rest}"))
}

/// Checks an explicit WebSocket base URL: `ws://` or `wss://`, a host, no query, fragment or
/// credentials; trailing slashes removed.
///
/// # Errors
/// [`Error::Config`] naming what to change.
pub fn check_websocket_base_url(raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let bad = |why: &str| {
        Error::Config(format!(
            "invalid WebSocket base URL: {why}; use a URL like wss://ws.coze.com"
        ))
    };
    let url = url::Url::parse(trimmed).map_err(|e| bad(&e.to_string()))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("remove the user name and password from it"));
    }
    if !matches!(url.scheme(), "ws" | "wss") || url.host().is_none() {
        return Err(bad("it must start with ws:// or wss://"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("remove the query or fragment"));
    }
    Ok(trimmed.to_owned())
}

/// The WebSocket APIs. Get one with [`Client::websockets`].
#[derive(Debug, Clone, Copy)]
pub struct WebsocketsApi<'c> {
    client: &'c Client,
}

impl Client {
    /// Chat, speech and transcriptions over WebSocket.
    pub fn websockets(&self) -> WebsocketsApi<'_> {
        WebsocketsApi { client: self }
    }
}

impl<'c> WebsocketsApi<'c> {
    /// A voice (or text) chat with `bot_id` (`/v1/chat`).
    pub fn chat(&self, bot_id: impl Into<BotId>) -> ChatConnect<'c> {
        ChatConnect {
            client: self.client,
            bot_id: bot_id.into(),
            workflow_id: None,
            device_id: None,
            idle_timeout: Some(self.client.stream_idle_timeout()),
        }
    }

    /// Streaming text to speech (`/v1/audio/speech`).
    pub fn speech(&self) -> Connect<'c, speech::ClientEvent, speech::ServerEvent> {
        Connect::new(self.client, "/v1/audio/speech")
    }

    /// Streaming speech to text (`/v1/audio/transcriptions`).
    pub fn transcriptions(
        &self,
    ) -> Connect<'c, transcriptions::ClientEvent, transcriptions::ServerEvent> {
        Connect::new(self.client, "/v1/audio/transcriptions")
    }
}

/// Options of a chat connection; [`connect`](Self::connect) opens it.
#[derive(Debug, Clone)]
pub struct ChatConnect<'c> {
    client: &'c Client,
    bot_id: BotId,
    workflow_id: Option<String>,
    device_id: Option<u64>,
    idle_timeout: Option<Duration>,
}

impl ChatConnect<'_> {
    /// Run this chatflow (`workflow_id`) with the bot.
    pub fn workflow(mut self, workflow_id: impl Into<String>) -> Self {
        self.workflow_id = Some(workflow_id.into());
        self
    }

    /// The device the conversation runs on (`device_id`).
    pub fn device_id(mut self, device_id: u64) -> Self {
        self.device_id = Some(device_id);
        self
    }

    /// Longest silence allowed while an answer is awaited (`None`: no limit). Default: the
    /// client's stream idle timeout.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Opens the connection.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty bot id; the handshake's refusal
    /// ([`Error::Api`] with code and logid, [`Error::UnexpectedResponse`]) or
    /// [`Error::WebSocket`] when no connection could be made.
    pub async fn connect(self) -> Result<ChatConnection> {
        let bot = self.bot_id.as_str().trim();
        if bot.is_empty() {
            return Err(Error::InvalidRequest(
                "the bot id is empty: pass the id from the bot's URL in Coze".into(),
            ));
        }
        let mut query = vec![("bot_id", bot.to_owned())];
        if let Some(w) = self.workflow_id {
            query.push(("workflow_id", w));
        }
        if let Some(d) = self.device_id {
            query.push(("device_id", d.to_string()));
        }
        conn::connect(
            self.client,
            conn::Target {
                path: "/v1/chat",
                query,
                idle_timeout: self.idle_timeout,
            },
        )
        .await
    }
}

/// Options of a speech or transcriptions connection; [`connect`](Self::connect) opens it.
pub struct Connect<'c, C, S> {
    client: &'c Client,
    path: &'static str,
    idle_timeout: Option<Duration>,
    _events: PhantomData<fn(C) -> S>,
}

impl<C, S> std::fmt::Debug for Connect<'_, C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connect")
            .field("path", &self.path)
            .field("idle_timeout", &self.idle_timeout)
            .finish()
    }
}

impl<'c, C: ClientEvent, S: ServerEvent> Connect<'c, C, S> {
    fn new(client: &'c Client, path: &'static str) -> Self {
        Self {
            client,
            path,
            idle_timeout: Some(client.stream_idle_timeout()),
            _events: PhantomData,
        }
    }

    /// Longest silence allowed while an answer is awaited (`None`: no limit). Default: the
    /// client's stream idle timeout.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Opens the connection.
    ///
    /// # Errors
    /// As [`ChatConnect::connect`].
    pub async fn connect(self) -> Result<Connection<C, S>> {
        conn::connect(
            self.client,
            conn::Target {
                path: self.path,
                query: Vec::new(),
                idle_timeout: self.idle_timeout,
            },
        )
        .await
    }
}

#[cfg(test)]
mod tests;
