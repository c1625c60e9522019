//! One WebSocket connection: the handshake (auth, retries), the sending half and the event
//! stream with its cut and idle rules (see the module docs of [`crate::websocket`]).

use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt as _, StreamExt as _};
use reqwest::header::HeaderValue;
use serde::de::IgnoredAny;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::wire::{
    AnswerState, ClientEvent, ServerEvent, decode_frame, encode_frame, new_event_id,
};
use crate::client::{Client, Envelope};
use crate::error::{Error, Result};
use crate::response::{Endpoint, Meta, classify_meta, header_str};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Where and how to connect.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    /// `/v1/chat`, ...
    pub(crate) path: &'static str,
    /// Query parameters (`bot_id`, ...).
    pub(crate) query: Vec<(&'static str, String)>,
    /// Longest silence allowed while an answer is awaited; `None`: no limit.
    pub(crate) idle_timeout: Option<Duration>,
}

/// State both halves see.
#[derive(Debug, Default)]
struct Shared {
    /// An answer is awaited: a closed connection now is a cut.
    awaiting: AtomicBool,
    /// A chat turn is running (chat API): `conversation.audio.completed` does not end it.
    chat_running: AtomicBool,
    /// The client closed the connection: its end is not a cut.
    closing: AtomicBool,
    /// When the client last started waiting for an answer (for the idle rule).
    awaiting_since: Mutex<Option<Instant>>,
}

impl Shared {
    fn start_awaiting(&self) {
        if !self.awaiting.swap(true, Ordering::SeqCst)
            && let Ok(mut since) = self.awaiting_since.lock()
        {
            *since = Some(Instant::now());
        }
    }

    fn apply(&self, state: AnswerState) {
        match state {
            AnswerState::Starts => {
                self.start_awaiting();
                self.chat_running.store(true, Ordering::SeqCst);
            }
            AnswerState::Ends => {
                self.awaiting.store(false, Ordering::SeqCst);
                self.chat_running.store(false, Ordering::SeqCst);
            }
            AnswerState::EndsUnlessChatRunning => {
                if !self.chat_running.load(Ordering::SeqCst) {
                    self.awaiting.store(false, Ordering::SeqCst);
                }
            }
            AnswerState::Unchanged => {}
        }
    }
}

/// The sending half of a WebSocket connection.
pub struct Sender<E> {
    sink: SplitSink<Ws, Message>,
    shared: Arc<Shared>,
    path: &'static str,
    _event: PhantomData<fn(E)>,
}

impl<E> std::fmt::Debug for Sender<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sender").field("path", &self.path).finish()
    }
}

impl<E: ClientEvent> Sender<E> {
    /// Sends one event; returns the event id it was sent with.
    ///
    /// # Errors
    /// [`Error::WebSocket`] when the connection is closed or broken;
    /// [`Error::InvalidRequest`] when a caller-supplied value cannot be encoded.
    pub async fn send(&mut self, event: E) -> Result<String> {
        let id = new_event_id();
        let text = encode_frame(&event, &id)?;
        if event.starts_answer() {
            self.shared.start_awaiting();
        }
        self.sink
            .send(Message::text(text))
            .await
            .map_err(|e| Error::WebSocket {
                path: self.path.to_owned(),
                detail: format!("cannot send {}: {}", event.event_type(), describe(&e)),
                source: Some(Box::new(e)),
            })?;
        Ok(id)
    }

    /// Closes the connection (a normal close frame). The event stream then ends without a
    /// cut error.
    ///
    /// # Errors
    /// [`Error::WebSocket`] when the close frame cannot be sent (the connection is already
    /// broken).
    pub async fn close(&mut self) -> Result<()> {
        self.shared.closing.store(true, Ordering::SeqCst);
        match self.sink.close().await {
            Ok(())
            | Err(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed) => {
                Ok(())
            }
            Err(e) => Err(Error::WebSocket {
                path: self.path.to_owned(),
                detail: format!("cannot close the connection: {}", describe(&e)),
                source: Some(Box::new(e)),
            }),
        }
    }
}

/// The receiving half of a WebSocket connection: a `Stream` of typed server events.
///
/// Items: `Ok(event)` for each event; `Err` for an `error` event
/// ([`Error::StreamEvent`], with code, message and logid) or a frame that is not a valid event
/// ([`Error::MalformedEvent`]), after which the stream goes on; and a final `Err` when the
/// connection breaks ([`Error::WebSocketCut`] while an answer is awaited, [`Error::WebSocket`]
/// otherwise) or stays silent for the idle timeout while an answer is awaited
/// ([`Error::StreamIdle`]), after which it ends. A close by the server while no answer is
/// awaited, or after [`Sender::close`], ends the stream without an error.
pub struct Events<E> {
    stream: SplitStream<Ws>,
    shared: Arc<Shared>,
    path: &'static str,
    idle_timeout: Option<Duration>,
    timer: Pin<Box<Sleep>>,
    last_frame: Instant,
    logid: Option<String>,
    done: bool,
    _event: PhantomData<fn() -> E>,
}

impl<E> std::fmt::Debug for Events<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Events")
            .field("path", &self.path)
            .field("logid", &self.logid)
            .field("done", &self.done)
            .finish()
    }
}

impl<E: ServerEvent> Events<E> {
    /// The connection's logid (the handshake's `X-Tt-Logid`, else the first event's
    /// `detail.logid`): quote it to Coze support.
    pub fn logid(&self) -> Option<&str> {
        self.logid.as_deref()
    }

    /// True while the client waits for an answer (a close now would be a cut).
    pub fn is_awaiting_answer(&self) -> bool {
        self.shared.awaiting.load(Ordering::SeqCst)
    }

    fn on_bytes(&mut self, bytes: &[u8]) -> Result<E> {
        let frame = decode_frame::<E>(bytes);
        if self.logid.is_none() {
            self.logid = frame.logid;
        }
        if let Ok(event) = &frame.event {
            self.shared.apply(event.answer_state());
        }
        frame.event
    }

    /// The stream's last item when the connection ended normally (a close frame or EOF).
    fn on_end(&mut self, how: String) -> Option<Result<E>> {
        self.done = true;
        let awaiting = self.shared.awaiting.load(Ordering::SeqCst);
        if awaiting && !self.shared.closing.load(Ordering::SeqCst) {
            Some(Err(Error::WebSocketCut {
                path: self.path.to_owned(),
                detail: how,
            }))
        } else {
            None
        }
    }

    fn on_error(&mut self, e: tungstenite::Error) -> Option<Result<E>> {
        self.done = true;
        // After the client's close, how the server ends the connection (a close frame, or
        // a reset without one) changes nothing for the client.
        if self.shared.closing.load(Ordering::SeqCst) {
            return None;
        }
        if self.shared.awaiting.load(Ordering::SeqCst) {
            return Some(Err(Error::WebSocketCut {
                path: self.path.to_owned(),
                detail: describe(&e),
            }));
        }
        if matches!(e, tungstenite::Error::ConnectionClosed) {
            return None;
        }
        Some(Err(Error::WebSocket {
            path: self.path.to_owned(),
            detail: format!("the connection broke: {}", describe(&e)),
            source: Some(Box::new(e)),
        }))
    }

    /// Polls the idle timer; `Ready` when the idle timeout expired while an answer is awaited.
    fn poll_idle(&mut self, cx: &mut Context<'_>) -> Poll<Duration> {
        let Some(idle) = self.idle_timeout else {
            return Poll::Pending;
        };
        loop {
            if self.timer.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
            let since = self
                .shared
                .awaiting_since
                .lock()
                .ok()
                .and_then(|s| *s)
                .map_or(self.last_frame, |s| s.max(self.last_frame));
            let deadline = since + idle;
            let now = Instant::now();
            let next = if !self.shared.awaiting.load(Ordering::SeqCst) {
                // Nothing awaited: look again in one idle period. A wait that starts before
                // then has its deadline at least that far away, so none is missed.
                now + idle.max(Duration::from_millis(1))
            } else if now >= deadline {
                return Poll::Ready(idle);
            } else {
                // A frame arrived or the wait started after the timer was set.
                deadline
            };
            self.timer.as_mut().reset(next);
        }
    }
}

impl<E: ServerEvent> Stream for Events<E> {
    type Item = Result<E>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        loop {
            match this.stream.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(message))) => {
                    this.last_frame = Instant::now();
                    match message {
                        Message::Text(text) => {
                            return Poll::Ready(Some(this.on_bytes(text.as_bytes())));
                        }
                        Message::Binary(bytes) => {
                            return Poll::Ready(Some(this.on_bytes(&bytes)));
                        }
                        Message::Close(frame) => {
                            return Poll::Ready(this.on_end(close_detail(frame.as_ref())));
                        }
                        Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => continue,
                    }
                }
                Poll::Ready(Some(Err(e))) => return Poll::Ready(this.on_error(e)),
                Poll::Ready(None) => {
                    return Poll::Ready(
                        this.on_end("the connection ended without a close frame".into()),
                    );
                }
                Poll::Pending => {
                    return match this.poll_idle(cx) {
                        Poll::Ready(timeout) => {
                            this.done = true;
                            Poll::Ready(Some(Err(Error::StreamIdle { timeout })))
                        }
                        Poll::Pending => Poll::Pending,
                    };
                }
            }
        }
    }
}

/// A WebSocket connection: send with [`send`](Self::send), read events as a `Stream`, or
/// [`split`](Self::split) it to do both from different tasks.
pub struct Connection<C, S> {
    sender: Sender<C>,
    events: Events<S>,
}

impl<C, S> std::fmt::Debug for Connection<C, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("path", &self.sender.path)
            .field("logid", &self.events.logid)
            .finish()
    }
}

impl<C: ClientEvent, S: ServerEvent> Connection<C, S> {
    /// Sends one event; returns the event id it was sent with. See [`Sender::send`].
    ///
    /// # Errors
    /// As [`Sender::send`].
    pub async fn send(&mut self, event: C) -> Result<String> {
        self.sender.send(event).await
    }

    /// Closes the connection. See [`Sender::close`].
    ///
    /// # Errors
    /// As [`Sender::close`].
    pub async fn close(&mut self) -> Result<()> {
        self.sender.close().await
    }

    /// The connection's logid. See [`Events::logid`].
    pub fn logid(&self) -> Option<&str> {
        self.events.logid()
    }

    /// The sending half and the event stream, to use from different tasks.
    pub fn split(self) -> (Sender<C>, Events<S>) {
        (self.sender, self.events)
    }
}

impl<C: ClientEvent, S: ServerEvent> Stream for Connection<C, S> {
    type Item = Result<S>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().events.poll_next_unpin(cx)
    }
}

/// Opens a connection to `target` on the client's WebSocket base URL.
///
/// The handshake carries `Authorization: Bearer <token>` (never the URL, never a log line).
/// A refused token is retried once when the token source can refresh it; a connection that
/// could not be opened and HTTP 429 / 5xx answers to the handshake are retried per the
/// client's [`RetryPolicy`](crate::RetryPolicy).
pub(crate) async fn connect<C: ClientEvent, S: ServerEvent>(
    client: &Client,
    target: Target,
) -> Result<Connection<C, S>> {
    let url = target_url(client.websocket_base_url(), &target)?;
    let mut attempt = 0;
    let mut reauthenticated = false;
    loop {
        let token = client.access_token().await?;
        let err = match handshake(client, &url, target.path, token.expose()).await {
            Ok((ws, logid)) => return Ok(open(ws, logid, &target)),
            Err(e) => e,
        };
        if err.is_auth_rejection() && !reauthenticated {
            reauthenticated = true;
            if client.invalidate_token(&token) {
                tracing::debug!(
                    path = target.path,
                    "token refused; reconnecting with a new one"
                );
                continue;
            }
        }
        let resend = match &err {
            Error::WebSocket { source, .. } => {
                source
                    .as_ref()
                    .and_then(|s| s.downcast_ref::<tungstenite::Error>())
                    .is_some_and(|e| matches!(e, tungstenite::Error::Io(_)))
                    || source.is_none()
            }
            Error::Api(e) => e.status == 429 || e.status >= 500,
            Error::UnexpectedResponse { status, .. } => *status == 429 || *status >= 500,
            _ => false,
        };
        let wait = if resend {
            client.retry_policy().delay(attempt, err.retry_after())
        } else {
            None
        };
        let Some(wait) = wait else { return Err(err) };
        tracing::debug!(path = target.path, attempt, ?wait, error = %err, "reconnecting");
        tokio::time::sleep(wait).await;
        attempt += 1;
    }
}

fn target_url(base: &str, target: &Target) -> Result<String> {
    let mut url = url::Url::parse(&format!("{base}{}", target.path)).map_err(|e| {
        Error::Config(format!(
            "invalid WebSocket URL {base}{}: {e}; set a ws:// or wss:// base URL",
            target.path
        ))
    })?;
    if !target.query.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in &target.query {
            pairs.append_pair(k, v);
        }
    }
    Ok(url.into())
}

async fn handshake(
    client: &Client,
    url: &str,
    path: &'static str,
    token: &str,
) -> Result<(Ws, Option<String>)> {
    let ws_error = |detail: String, source: Option<tungstenite::Error>| Error::WebSocket {
        path: path.to_owned(),
        detail,
        source: source.map(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
    };
    let mut request = url
        .into_client_request()
        .map_err(|e| ws_error(format!("invalid WebSocket URL: {}", describe(&e)), Some(e)))?;
    let mut auth = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
        Error::Config("the token contains characters not allowed in an HTTP header".into())
    })?;
    auth.set_sensitive(true);
    let (user_agent, client_user_agent) = client.user_agents();
    let headers = request.headers_mut();
    headers.insert("authorization", auth);
    if let Ok(v) = HeaderValue::from_str(user_agent) {
        headers.insert("user-agent", v);
    }
    if let Ok(v) = HeaderValue::from_str(client_user_agent) {
        headers.insert("x-coze-client-user-agent", v);
    }
    let limit = client.max_event_size();
    let config = WebSocketConfig::default()
        .max_message_size(Some(limit))
        .max_frame_size(Some(limit));
    let connect_timeout = client.connect_timeout();
    let started = std::time::Instant::now();
    let connecting =
        tokio_tungstenite::connect_async_tls_with_config(request, Some(config), true, None);
    let result = match tokio::time::timeout(connect_timeout, connecting).await {
        Ok(r) => r,
        Err(_) => {
            return Err(ws_error(
                format!("no connection within {connect_timeout:?}"),
                None,
            ));
        }
    };
    match result {
        Ok((ws, response)) => {
            let logid = header_str(response.headers(), "x-tt-logid");
            // One line per connection for `coze -v`: never the headers (they hold the token).
            tracing::debug!(
                url = %url,
                status = response.status().as_u16(),
                logid = logid.as_deref().unwrap_or("-"),
                elapsed_ms = started.elapsed().as_millis() as u64,
                "coze websocket connected"
            );
            Ok((ws, logid))
        }
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let meta = Meta::from_headers(status, response.headers());
            tracing::debug!(url = %url, status, logid = meta.logid.as_deref().unwrap_or("-"),
                "coze websocket refused");
            let body = response.body().as_deref().unwrap_or_default();
            let endpoint = Endpoint {
                base_url: client.websocket_base_url(),
                path,
            };
            let ok = classify_meta::<IgnoredAny>(endpoint, Envelope::Whole, &meta, body)?;
            Err(Error::UnexpectedResponse {
                status,
                base_url: client.websocket_base_url().to_owned(),
                path: path.to_owned(),
                body_start: "the server refused the WebSocket upgrade".into(),
                logid: ok.logid,
                retry_after: meta.retry_after,
            })
        }
        Err(e) => Err(ws_error(
            format!("cannot connect to {url}: {}", describe(&e)),
            Some(e),
        )),
    }
}

fn open<C, S>(ws: Ws, logid: Option<String>, target: &Target) -> Connection<C, S> {
    let (sink, stream) = ws.split();
    let shared = Arc::new(Shared::default());
    let now = Instant::now();
    let first_check = now + target.idle_timeout.unwrap_or(Duration::from_secs(3600));
    Connection {
        sender: Sender {
            sink,
            shared: Arc::clone(&shared),
            path: target.path,
            _event: PhantomData,
        },
        events: Events {
            stream,
            shared,
            path: target.path,
            idle_timeout: target.idle_timeout,
            timer: Box::pin(tokio::time::sleep_until(first_check)),
            last_frame: now,
            logid,
            done: false,
            _event: PhantomData,
        },
    }
}

/// `close code 1011 (reason)` for a close frame.
fn close_detail(frame: Option<&CloseFrame>) -> String {
    match frame {
        Some(f) if !f.reason.is_empty() => format!(
            "the server closed the connection (code {}: {})",
            u16::from(f.code),
            f.reason.as_str()
        ),
        Some(f) => format!(
            "the server closed the connection (code {})",
            u16::from(f.code)
        ),
        None => "the server closed the connection".into(),
    }
}

/// A one-line description of a transport error (no URL with credentials: URLs here never
/// carry any).
fn describe(e: &tungstenite::Error) -> String {
    match e {
        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed => {
            "the connection is closed".into()
        }
        tungstenite::Error::Io(io) => io.to_string(),
        tungstenite::Error::Protocol(p) => format!("protocol error: {p}"),
        tungstenite::Error::Capacity(c) => format!("{c}"),
        other => other.to_string(),
    }
}
