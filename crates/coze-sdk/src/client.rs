//! `Client`, its builder, and the one request path every resource module uses.
//!
//! # For SDK engineers: the internal request API
//!
//! Resource modules never call reqwest. They describe a request with [`ApiRequest`] and hand
//! it to the client:
//!
//! ```ignore
//! // GET /v1/conversation/retrieve?conversation_id=..   -> `data` decoded as Conversation
//! let conv: Conversation = self.client
//!     .send(ApiRequest::get("/v1/conversation/retrieve").query("conversation_id", id))
//!     .await?;
//! // POST with a JSON body; POSTs are NOT idempotent unless you say so (reads via POST are)
//! let page: MessageList = self.client
//!     .send(ApiRequest::post("/v1/conversation/message/list")
//!         .query("conversation_id", id)
//!         .json(&body)?
//!         .idempotent(true)
//!         .envelope(Envelope::Whole))
//!     .await?;
//! // Streaming: raw SSE events (idle timeout, no total timeout); map them to typed events.
//! let events: SseStream = self.client.send_stream(ApiRequest::post("/v3/chat").json(&body)?).await?;
//! ```
//!
//! - [`ApiRequest::get`] / [`post`](ApiRequest::post) / [`put`](ApiRequest::put) /
//!   [`delete`](ApiRequest::delete)`(path)`: GET/PUT/DELETE start idempotent, POST does not.
//! - `.query(key, value)`, `.query_opt(key, Option<value>)` (None is left out),
//!   `.json(&body)?` (serialised once, `Content-Type: application/json`),
//!   `.multipart(Vec<MultipartPart>)` (rebuilt on each attempt, so it can be retried),
//!   `.idempotent(bool)`, `.envelope(Envelope)`, `.auth(Auth)`, `.timeout(Duration)`.
//! - [`Envelope`]: `Data` (the standard `{code,msg,data}`: decode `data`, `null`/absent → JSON
//!   null, so `()` and `Option<T>` work), `Field("message")` (a named top-level field, e.g.
//!   message modify), `Whole` (the whole body: message list with top-level `data`/`first_id`,
//!   workflow run, bare OAuth JSON).
//! - [`Auth`]: `Token` (default: `Authorization: Bearer` from the client's `TokenSource`),
//!   `Bearer(Secret)` (a fixed credential, e.g. the client secret or a signed JWT for OAuth
//!   token exchanges), `None`.
//! - [`Client::send`]`::<T>(req) -> Result<T>`, [`Client::send_with_logid`] (also returns the
//!   `X-Tt-Logid`), [`Client::send_stream`]`(req) -> Result<SseStream>` (an
//!   `SseStream: Stream<Item = Result<SseEvent>>` with `.logid()`), and [`path_segment`] to
//!   percent-encode an id placed in a path (`/v1/conversations/{id}`).
//! - [`Client::base_url`] for links; `Client::http()` is not exposed on purpose.
//!
//! The client adds `Authorization`, `User-Agent` and `X-Coze-Client-User-Agent`; hands every
//! non-streaming answer to the sans-IO classifier in [`crate::response`], which reads the
//! logid, turns a non-zero `code`, an OAuth `error_code`/`error` body, `error_message`, an
//! HTTP error status and any non-JSON body into [`Error`], and decodes the payload once; on
//! HTTP 401 / code 4100 / 700012006 calls `TokenSource::invalidate` and resends once if it
//! returns true; and retries per [`RetryPolicy`] (never a non-idempotent request that may have
//! reached the server).
//!
//! The other parts of the request path: [`crate::region`] (regions, base URLs, environment
//! names), [`crate::request`] (the request description), [`crate::response`] (the
//! classifier), [`crate::sse`] and [`crate::stream`] (event streams).

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::de::{DeserializeOwned, IgnoredAny};

use crate::error::{Error, Result};
use crate::region::{ENV_API_BASE, ENV_API_TOKEN, Region};
use crate::region::{check_base_url, env_nonempty};
use crate::request::build_form;
#[allow(unused_imports)]
pub(crate) use crate::request::{
    ApiRequest, Auth, Envelope, MultipartPart, RequestBody, UploadProgress, path_segment,
};
use crate::response::{Endpoint, Meta, classify_meta, header_str};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::sse::{DEFAULT_MAX_EVENT_SIZE, SseStream};
use crate::token::{StaticToken, TokenSource};

/// Builds a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    base_url: Option<String>,
    region: Region,
    token: Option<Arc<dyn TokenSource>>,
    connect_timeout: Duration,
    request_timeout: Duration,
    stream_idle_timeout: Duration,
    retry: RetryPolicy,
    max_event_size: usize,
    user_agent: Option<String>,
    websocket_base_url: Option<String>,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            base_url: None,
            region: Region::Com,
            token: None,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(120),
            stream_idle_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
            user_agent: None,
            websocket_base_url: None,
        }
    }
}

impl ClientBuilder {
    /// A builder with the defaults: region coze.com (like the official SDKs), connect timeout
    /// 10 s, request timeout 120 s, stream idle timeout 120 s, [`RetryPolicy::default`],
    /// events up to 8 MiB.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder preset from the environment: `COZE_API_TOKEN` (trimmed) as a static token and
    /// `COZE_API_BASE` as the base URL, each when set and non-empty.
    pub fn from_env() -> Self {
        let mut b = Self::new();
        if let Some(token) = env_nonempty(ENV_API_TOKEN) {
            b = b.token(token);
        }
        if let Some(base) = env_nonempty(ENV_API_BASE) {
            b = b.base_url(base);
        }
        b
    }

    /// Talk to the official host of `region` (ignored when a base URL is set).
    pub fn region(mut self, region: Region) -> Self {
        self.region = region;
        self
    }

    /// Talk to a custom server: a self-hosted Coze Studio, a proxy, the emulator.
    /// A trailing slash is removed.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Use a fixed token (a personal access token); surrounding whitespace is removed.
    pub fn token(mut self, token: impl Into<String>) -> Self {
        self.token = Some(Arc::new(StaticToken::new(token)));
        self
    }

    /// Get tokens from `source` (an OAuth flow, a refreshing source).
    pub fn token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.token = Some(source);
        self
    }

    /// Time allowed to open a connection.
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Total time allowed for a non-streaming request. Streams have no total limit.
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// Longest silence allowed on a stream (and before its response headers arrive).
    pub fn stream_idle_timeout(mut self, d: Duration) -> Self {
        self.stream_idle_timeout = d;
        self
    }

    /// How failed requests are retried; [`RetryPolicy::none`] switches retries off.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Largest server-sent event accepted, in bytes.
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }

    /// Replace the `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = Some(ua.into());
        self
    }

    /// The base URL of the WebSocket APIs (`ws://` or `wss://`), when it is not the one
    /// derived from the base URL (see [`crate::websocket::websocket_base_url`]).
    pub fn websocket_base_url(mut self, url: impl Into<String>) -> Self {
        self.websocket_base_url = Some(url.into());
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the base URL is not an absolute http(s) URL or the HTTP client
    /// cannot be created.
    pub fn build(self) -> Result<Client> {
        let base_url = match &self.base_url {
            Some(url) => check_base_url(url)?,
            None => self.region.base_url().to_owned(),
        };
        let websocket_base_url = match &self.websocket_base_url {
            Some(url) => crate::websocket::check_websocket_base_url(url)?,
            None => crate::websocket::websocket_base_url(&base_url)?,
        };
        let version = env!("CARGO_PKG_VERSION");
        let ua = self
            .user_agent
            .unwrap_or_else(|| format!("coze-rs/{version} rust {}", std::env::consts::OS));
        let user_agent = ua.clone();
        let mut headers = HeaderMap::new();
        let client_ua = serde_json::json!({
            "version": version,
            "lang": "rust",
            "lang_version": "",
            "os_name": std::env::consts::OS,
            "os_version": "",
        })
        .to_string();
        if let Ok(v) = HeaderValue::from_str(&client_ua) {
            headers.insert("x-coze-client-user-agent", v);
        }
        let client_user_agent = client_ua.clone();
        let http = reqwest::Client::builder()
            .user_agent(ua)
            .default_headers(headers)
            .connect_timeout(self.connect_timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot create the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                base_url,
                token: self.token,
                request_timeout: self.request_timeout,
                stream_idle_timeout: self.stream_idle_timeout,
                retry: self.retry,
                max_event_size: self.max_event_size,
                connect_timeout: self.connect_timeout,
                websocket_base_url,
                user_agent,
                client_user_agent,
            }),
        })
    }
}

/// A Coze API client. Cheap to clone (an `Arc` inside); share one per process.
///
/// Resource handles borrow it: [`chat`](Client::chat), [`conversations`](Client::conversations),
/// [`messages`](Client::messages), ...
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base_url: String,
    token: Option<Arc<dyn TokenSource>>,
    request_timeout: Duration,
    stream_idle_timeout: Duration,
    retry: RetryPolicy,
    max_event_size: usize,
    connect_timeout: Duration,
    websocket_base_url: String,
    user_agent: String,
    client_user_agent: String,
}

impl Client {
    /// A builder with default settings.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::new()
    }

    /// The base URL requests go to, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The region of the base URL; `None` for a custom server.
    pub fn region(&self) -> Option<Region> {
        Region::from_base_url(&self.inner.base_url)
    }

    /// The base URL of the WebSocket APIs, without a trailing slash (see
    /// [`crate::websocket`]).
    pub fn websocket_base_url(&self) -> &str {
        &self.inner.websocket_base_url
    }

    /// A token for a request (WebSocket handshakes).
    pub(crate) async fn access_token(&self) -> Result<Secret> {
        self.token().await
    }

    /// Tells the token source `rejected` was refused; true when a retry may succeed.
    pub(crate) fn invalidate_token(&self, rejected: &Secret) -> bool {
        self.inner
            .token
            .as_ref()
            .is_some_and(|source| source.invalidate(rejected))
    }

    /// `User-Agent` and `X-Coze-Client-User-Agent`.
    pub(crate) fn user_agents(&self) -> (&str, &str) {
        (&self.inner.user_agent, &self.inner.client_user_agent)
    }

    pub(crate) fn connect_timeout(&self) -> Duration {
        self.inner.connect_timeout
    }

    pub(crate) fn max_event_size(&self) -> usize {
        self.inner.max_event_size
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The configured stream idle timeout.
    pub fn stream_idle_timeout(&self) -> Duration {
        self.inner.stream_idle_timeout
    }

    /// Sends `req` and decodes the payload selected by its envelope.
    ///
    /// # Errors
    ///
    /// Any [`Error`]: transport, API (`code != 0`), OAuth, non-JSON body, decoding.
    pub(crate) async fn send<T: DeserializeOwned>(&self, req: ApiRequest) -> Result<T> {
        self.send_with_logid(req).await.map(|(v, _)| v)
    }

    /// Like [`send`](Self::send), also returning the response's logid.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub(crate) async fn send_with_logid<T: DeserializeOwned>(
        &self,
        req: ApiRequest,
    ) -> Result<(T, Option<String>)> {
        let endpoint = self.endpoint(&req);
        self.execute(&req, false, |raw| match raw {
            Raw::Body { meta, bytes } => classify_meta::<T>(endpoint, req.envelope, &meta, &bytes)
                .map(|d| (d.value, d.logid)),
            Raw::Stream { .. } => Err(Error::Config("internal: unexpected stream outcome".into())),
        })
        .await
    }

    /// Sends a streaming request; a JSON error body served in place of the stream becomes
    /// an [`Error`] here.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), plus [`Error::StreamIdle`] when no headers arrive in time.
    pub(crate) async fn send_stream(&self, req: ApiRequest) -> Result<SseStream> {
        let endpoint = self.endpoint(&req);
        self.execute(&req, true, |raw| match raw {
            Raw::Stream { response, logid } => Ok(SseStream::new(
                Box::pin(response.bytes_stream()),
                self.inner.max_event_size,
                self.inner.stream_idle_timeout,
                logid,
            )),
            Raw::Body { meta, bytes } => {
                let ok = classify_meta::<IgnoredAny>(endpoint, Envelope::Whole, &meta, &bytes)?;
                Err(Error::UnexpectedResponse {
                    status: meta.status,
                    base_url: self.inner.base_url.clone(),
                    path: req.path.clone(),
                    body_start: "expected an event stream, got a JSON body".into(),
                    logid: ok.logid,
                    retry_after: None,
                })
            }
        })
        .await
    }

    /// Sends a request whose success body is not JSON (audio): returns the bytes. A JSON body
    /// (Coze's error envelope) becomes the [`Error`] it describes.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send); [`Error::UnexpectedResponse`] for a JSON body without error.
    pub(crate) async fn send_bytes(&self, req: ApiRequest) -> Result<bytes::Bytes> {
        let endpoint = self.endpoint(&req);
        self.execute(&req, false, |raw| match raw {
            Raw::Body { meta, bytes } => {
                let json = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
                if !json && meta.status < 400 {
                    return Ok(bytes);
                }
                let ok = classify_meta::<IgnoredAny>(endpoint, Envelope::Whole, &meta, &bytes)?;
                Err(Error::UnexpectedResponse {
                    status: meta.status,
                    base_url: self.inner.base_url.clone(),
                    path: req.path.clone(),
                    body_start: "expected audio, got a JSON body".into(),
                    logid: ok.logid,
                    retry_after: None,
                })
            }
            Raw::Stream { .. } => Err(Error::Config("internal: unexpected stream outcome".into())),
        })
        .await
    }

    fn endpoint<'a>(&'a self, req: &'a ApiRequest) -> Endpoint<'a> {
        Endpoint {
            base_url: &self.inner.base_url,
            path: &req.path,
        }
    }

    /// Sends `req` (retrying as allowed) and turns each answer into a result with `finish`.
    async fn execute<O>(
        &self,
        req: &ApiRequest,
        stream: bool,
        finish: impl Fn(Raw) -> Result<O>,
    ) -> Result<O> {
        let mut attempt = 0;
        let mut reauthenticated = false;
        loop {
            let token = match &req.auth {
                Auth::Token => Some(self.token().await?),
                Auth::Bearer(secret) => Some(secret.clone()),
                Auth::None => None,
            };
            let err = match self
                .attempt(req, token.as_ref(), stream)
                .await
                .and_then(&finish)
            {
                Ok(out) => return Ok(out),
                Err(e) => e,
            };
            if err.is_auth_rejection() && !reauthenticated && matches!(req.auth, Auth::Token) {
                reauthenticated = true;
                if let (Some(source), Some(token)) = (&self.inner.token, &token)
                    && source.invalidate(token)
                {
                    tracing::debug!(path = %req.path, "token refused; retrying with a new one");
                    continue;
                }
            }
            if !may_resend(&err, req.idempotent) {
                return Err(err);
            }
            let Some(wait) = self.inner.retry.delay(attempt, err.retry_after()) else {
                return Err(err);
            };
            tracing::debug!(path = %req.path, attempt, ?wait, error = %err, "retrying");
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn token(&self) -> Result<Secret> {
        let Some(source) = &self.inner.token else {
            return Err(Error::Config(format!(
                "no access token: set {ENV_API_TOKEN} or pass a token to the client"
            )));
        };
        source.token().await
    }

    /// One HTTP exchange: the event stream, or the whole body with its status and headers.
    async fn attempt(&self, req: &ApiRequest, token: Option<&Secret>, stream: bool) -> Result<Raw> {
        let inner = &*self.inner;
        let url = format!("{}{}", inner.base_url, req.path);
        let mut rb = inner.http.request(req.method.clone(), url);
        if !req.query.is_empty() {
            rb = rb.query(&req.query);
        }
        if let Some(token) = token {
            let mut value =
                HeaderValue::from_str(&format!("Bearer {}", token.expose())).map_err(|_| {
                    Error::Config(
                        "the token contains characters not allowed in an HTTP header".into(),
                    )
                })?;
            value.set_sensitive(true);
            rb = rb.header(header::AUTHORIZATION, value);
        }
        match &req.body {
            RequestBody::None => {}
            RequestBody::Json(bytes) => {
                rb = rb
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(bytes.clone());
            }
            RequestBody::Multipart(parts) => rb = rb.multipart(build_form(parts)?),
        }
        if stream {
            rb = rb.header(header::ACCEPT, "text/event-stream");
        } else {
            rb = rb.timeout(req.timeout.unwrap_or(inner.request_timeout));
        }

        let started = std::time::Instant::now();
        let sent = if stream {
            let idle = inner.stream_idle_timeout;
            match tokio::time::timeout(idle, rb.send()).await {
                Ok(r) => r,
                Err(_) => return Err(Error::StreamIdle { timeout: idle }),
            }
        } else {
            rb.send().await
        };
        let response = sent.map_err(|e| {
            tracing::debug!(method = %req.method, path = %req.path, error = %e, "request failed");
            self.transport_error(req, e)
        })?;

        let status = response.status();
        let headers = response.headers();
        let meta = Meta::from_headers(status.as_u16(), headers);
        // One line per request for `coze -v`: never the headers or the body (they hold tokens).
        tracing::debug!(
            method = %req.method,
            url = %format_args!("{}{}", inner.base_url, req.path),
            status = status.as_u16(),
            logid = meta.logid.as_deref().unwrap_or("-"),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "coze api request"
        );
        let is_event_stream = header_str(headers, "content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().contains("event-stream"));
        if stream && status.is_success() && is_event_stream {
            return Ok(Raw::Stream {
                response,
                logid: meta.logid,
            });
        }

        let bytes = if stream {
            let idle = inner.stream_idle_timeout;
            match tokio::time::timeout(idle, response.bytes()).await {
                Ok(r) => r,
                Err(_) => return Err(Error::StreamIdle { timeout: idle }),
            }
        } else {
            response.bytes().await
        }
        .map_err(|e| self.transport_error(req, e))?;
        Ok(Raw::Body { meta, bytes })
    }

    fn transport_error(&self, req: &ApiRequest, e: reqwest::Error) -> Error {
        if e.is_connect() {
            Error::Connect {
                base_url: self.inner.base_url.clone(),
                source: e.without_url(),
            }
        } else if e.is_timeout() {
            Error::Timeout {
                path: req.path.clone(),
                timeout: req.timeout.unwrap_or(self.inner.request_timeout),
            }
        } else {
            Error::Http {
                path: req.path.clone(),
                source: e.without_url(),
            }
        }
    }
}

/// Whether an error leaves the request safe to send again.
fn may_resend(err: &Error, idempotent: bool) -> bool {
    match err {
        // The connection never opened: nothing reached the server.
        Error::Connect { .. } => true,
        Error::Api(e) => idempotent && e.is_retryable(),
        Error::UnexpectedResponse { status, .. } => {
            idempotent && (*status == 429 || *status >= 500)
        }
        Error::Timeout { .. } | Error::StreamIdle { .. } => idempotent,
        Error::Http { source, .. } => idempotent && !source.is_builder() && !source.is_decode(),
        _ => false,
    }
}

/// What one HTTP exchange produced, before classification.
enum Raw {
    Body {
        meta: Meta,
        bytes: bytes::Bytes,
    },
    Stream {
        response: reqwest::Response,
        logid: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ApiError;
    use crate::region::{CN_BASE_URL, COM_BASE_URL};

    #[test]
    fn base_url_is_normalised_and_validated() {
        let c = Client::builder()
            .base_url(" http://127.0.0.1:8080/ ")
            .build()
            .unwrap();
        assert_eq!(c.base_url(), "http://127.0.0.1:8080");
        assert!(Client::builder().base_url("api.coze.com").build().is_err());
        assert!(Client::builder().base_url("https://u:p@x").build().is_err());
        let c = Client::builder().region(Region::Cn).build().unwrap();
        assert_eq!(c.base_url(), CN_BASE_URL);
        assert_eq!(c.region(), Some(Region::Cn));
        let c = Client::builder().build().unwrap();
        assert_eq!(c.base_url(), COM_BASE_URL);
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(path_segment("7382/..?x"), "7382%2F..%3Fx");
        assert_eq!(path_segment("123"), "123");
    }

    #[test]
    fn only_safe_errors_are_resent() {
        let api = |status, code| {
            Error::from(ApiError {
                status,
                code,
                msg: String::new(),
                logid: None,
                retry_after: None,
                base_url: String::new(),
                path: String::new(),
            })
        };
        assert!(may_resend(&api(429, 0), true));
        assert!(!may_resend(&api(429, 0), false));
        assert!(may_resend(&api(200, 4013), true));
        assert!(may_resend(&api(503, 0), true));
        assert!(!may_resend(&api(200, 4015), true));
        assert!(!may_resend(&api(401, 4100), true));
    }
}
