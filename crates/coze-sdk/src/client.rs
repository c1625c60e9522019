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
//! The client adds `Authorization`, `User-Agent` and `X-Coze-Client-User-Agent`; reads the
//! logid from `X-Tt-Logid` (fallback `detail.logid`); turns a non-zero `code`, an OAuth
//! `error_code`/`error` body, `error_message`, an HTTP error status and any non-JSON body into
//! [`Error`]; on HTTP 401 / code 4100 / 700012006 calls `TokenSource::invalidate` and resends
//! once if it returns true; and retries per [`RetryPolicy`] (never a non-idempotent request
//! that may have reached the server).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use reqwest::header::{self, HeaderMap, HeaderValue};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{ApiError, Error, OAuthError, Result};
use crate::retry::{RetryPolicy, parse_retry_after};
use crate::secret::Secret;
use crate::sse::{DEFAULT_MAX_EVENT_SIZE, SseStream};
use crate::token::{StaticToken, TokenSource};

/// Base URL of the China region (coze.cn).
pub const CN_BASE_URL: &str = "https://api.coze.cn";
/// Base URL of the global region (coze.com).
pub const COM_BASE_URL: &str = "https://api.coze.com";

/// Environment variable holding the access token (same name as the official Python SDK).
pub const ENV_API_TOKEN: &str = "COZE_API_TOKEN";
/// Environment variable holding the base URL (same name as the official Python SDK).
pub const ENV_API_BASE: &str = "COZE_API_BASE";

const BODY_START_CHARS: usize = 200;

/// A Coze region: which public API host to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// China: `https://api.coze.cn`.
    Cn,
    /// Global: `https://api.coze.com`.
    Com,
}

impl Region {
    /// The API base URL of the region.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Cn => CN_BASE_URL,
            Region::Com => COM_BASE_URL,
        }
    }

    /// The region of an official base URL; `None` for custom servers.
    pub fn from_base_url(base_url: &str) -> Option<Self> {
        match base_url.trim_end_matches('/') {
            CN_BASE_URL => Some(Region::Cn),
            COM_BASE_URL => Some(Region::Com),
            _ => None,
        }
    }
}

impl std::str::FromStr for Region {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cn" | "coze.cn" | "china" => Ok(Region::Cn),
            "com" | "coze.com" | "global" => Ok(Region::Com),
            other => Err(Error::Config(format!(
                "unknown region `{other}`: use `cn` (coze.cn) or `com` (coze.com)"
            ))),
        }
    }
}

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

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the base URL is not an absolute http(s) URL or the HTTP client
    /// cannot be created.
    pub fn build(self) -> Result<Client> {
        let base_url = match &self.base_url {
            Some(url) => normalize_base_url(url)?,
            None => self.region.base_url().to_owned(),
        };
        let version = env!("CARGO_PKG_VERSION");
        let ua = self
            .user_agent
            .unwrap_or_else(|| format!("coze-rs/{version} rust {}", std::env::consts::OS));
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
            }),
        })
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn normalize_base_url(raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = url::Url::parse(trimmed).map_err(|e| {
        Error::Config(format!(
            "invalid base URL `{trimmed}` ({e}): use a URL like https://api.coze.com"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::Config(format!(
            "invalid base URL `{trimmed}`: it must start with http:// or https://"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "invalid base URL `{trimmed}`: remove the query or fragment"
        )));
    }
    Ok(trimmed.to_owned())
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
        let Outcome::Json { body, logid } = self.execute(&req, false).await? else {
            return Err(Error::Config("internal: unexpected stream outcome".into()));
        };
        let payload = match req.envelope {
            Envelope::Data => take_field(body, "data"),
            Envelope::Field(name) => take_field(body, name),
            Envelope::Whole => body,
        };
        match T::deserialize(payload) {
            Ok(v) => Ok((v, logid)),
            Err(source) => Err(Error::Decode {
                path: req.path,
                logid,
                source,
            }),
        }
    }

    /// Sends a streaming request; a JSON error body served in place of the stream becomes
    /// an [`Error`] here.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), plus [`Error::StreamIdle`] when no headers arrive in time.
    pub(crate) async fn send_stream(&self, req: ApiRequest) -> Result<SseStream> {
        match self.execute(&req, true).await? {
            Outcome::Stream { response, logid } => Ok(SseStream::new(
                Box::pin(response.bytes_stream()),
                self.inner.max_event_size,
                self.inner.stream_idle_timeout,
                logid,
            )),
            Outcome::Json { logid, .. } => Err(Error::UnexpectedResponse {
                status: 200,
                base_url: self.inner.base_url.clone(),
                path: req.path,
                body_start: "expected an event stream, got a JSON body".into(),
                logid,
                retry_after: None,
            }),
        }
    }

    async fn execute(&self, req: &ApiRequest, stream: bool) -> Result<Outcome> {
        let mut attempt = 0;
        let mut reauthenticated = false;
        loop {
            let token = match &req.auth {
                Auth::Token => Some(self.token().await?),
                Auth::Bearer(secret) => Some(secret.clone()),
                Auth::None => None,
            };
            let err = match self.attempt(req, token.as_ref(), stream).await {
                Ok(outcome) => return Ok(outcome),
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

    async fn attempt(
        &self,
        req: &ApiRequest,
        token: Option<&Secret>,
        stream: bool,
    ) -> Result<Outcome> {
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
        let logid = header_str(headers, "x-tt-logid");
        // One line per request for `coze -v`: never the headers or the body (they hold tokens).
        tracing::debug!(
            method = %req.method,
            url = %format_args!("{}{}", inner.base_url, req.path),
            status = status.as_u16(),
            logid = logid.as_deref().unwrap_or("-"),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "coze api request"
        );
        let retry_after = header_str(headers, "retry-after").and_then(|v| parse_retry_after(&v));
        let is_event_stream = header_str(headers, "content-type")
            .is_some_and(|ct| ct.to_ascii_lowercase().contains("event-stream"));
        if stream && status.is_success() && is_event_stream {
            return Ok(Outcome::Stream { response, logid });
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

        let meta = ResponseMeta {
            status: status.as_u16(),
            logid,
            retry_after,
        };
        let body = self.check_body(req, &meta, &bytes)?;
        let logid = meta.logid.or_else(|| detail_logid(&body));
        Ok(Outcome::Json { body, logid })
    }

    /// Decides success or failure from the status and body (see §1.4 of the wire notes).
    fn check_body(&self, req: &ApiRequest, meta: &ResponseMeta, bytes: &[u8]) -> Result<Value> {
        let unexpected = |body_start: String| Error::UnexpectedResponse {
            status: meta.status,
            base_url: self.inner.base_url.clone(),
            path: req.path.clone(),
            body_start,
            logid: meta.logid.clone(),
            retry_after: meta.retry_after,
        };
        let body: Value = match serde_json::from_slice(bytes) {
            Ok(v) => v,
            Err(_) => return Err(unexpected(body_start(bytes))),
        };
        let logid = || meta.logid.clone().or_else(|| detail_logid(&body));
        let api_error = |code: i64, msg: String| {
            Error::from(ApiError {
                status: meta.status,
                code,
                msg,
                logid: logid(),
                retry_after: meta.retry_after,
                base_url: self.inner.base_url.clone(),
                path: req.path.clone(),
            })
        };
        if let Some(obj) = body.as_object() {
            if let Some(code) = obj.get("code").and_then(lenient_i64)
                && code != 0
            {
                let msg = obj
                    .get("msg")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                return Err(api_error(code, msg));
            }
            let oauth_code = ["error_code", "error"].iter().find_map(|k| {
                obj.get(*k)
                    .and_then(Value::as_str)
                    .filter(|s| !s.is_empty())
            });
            if let Some(error) = oauth_code
                && obj.get("code").is_none()
            {
                let message = ["error_message", "error_description"]
                    .iter()
                    .find_map(|k| obj.get(*k).and_then(Value::as_str))
                    .map(str::to_owned);
                return Err(Error::from(OAuthError {
                    status: meta.status,
                    error: error.to_owned(),
                    message,
                    logid: logid(),
                }));
            }
            if let Some(msg) = obj
                .get("error_message")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
            {
                return Err(api_error(0, msg.to_owned()));
            }
            if meta.status >= 400 {
                let msg = obj
                    .get("msg")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| body_start(bytes));
                return Err(api_error(0, msg));
            }
        } else if meta.status >= 400 {
            return Err(unexpected(body_start(bytes)));
        }
        Ok(body)
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

struct ResponseMeta {
    status: u16,
    logid: Option<String>,
    retry_after: Option<Duration>,
}

enum Outcome {
    Json {
        body: Value,
        logid: Option<String>,
    },
    Stream {
        response: reqwest::Response,
        logid: Option<String>,
    },
}

fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn detail_logid(body: &Value) -> Option<String> {
    body.get("detail")?
        .get("logid")?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn lenient_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn take_field(body: Value, name: &str) -> Value {
    match body {
        Value::Object(mut map) => map.remove(name).unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// The first characters of a body, whitespace collapsed, for error messages.
fn body_start(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(BODY_START_CHARS * 4)]);
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "(empty body)".to_owned();
    }
    match collapsed.char_indices().nth(BODY_START_CHARS) {
        Some((i, _)) => format!("{}...", &collapsed[..i]),
        None => collapsed,
    }
}

/// Percent-encodes one path segment (an id placed in a path).
pub(crate) fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Which part of a successful JSON body holds the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Envelope {
    /// The standard envelope: the payload is `data` (absent or `null` decode from JSON null).
    Data,
    /// The payload is the named top-level field (e.g. `message` for message modify).
    Field(&'static str),
    /// The whole body (top-level lists, workflow run, bare OAuth JSON).
    Whole,
}

/// How the request is authorised.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub(crate) enum Auth {
    /// `Authorization: Bearer <token from the client's TokenSource>`.
    Token,
    /// `Authorization: Bearer <this secret>`; no invalidate/retry on 401.
    Bearer(Secret),
    /// No `Authorization` header.
    None,
}

/// One part of a multipart body. Data is `Bytes`, so rebuilding the form for a retry is cheap.
#[derive(Debug, Clone)]
pub(crate) struct MultipartPart {
    pub(crate) name: String,
    pub(crate) file_name: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) data: Bytes,
    /// Called as the part's bytes are handed to the connection (uploads of large files).
    pub(crate) progress: Option<UploadProgress>,
}

/// An upload progress callback: `(bytes sent, total bytes)`.
#[derive(Clone)]
pub(crate) struct UploadProgress(pub(crate) Arc<dyn Fn(u64, u64) + Send + Sync>);

impl std::fmt::Debug for UploadProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UploadProgress")
    }
}

/// A body that sends `data` in 64 KiB chunks, reporting each one to `progress`.
fn progress_body(data: Bytes, progress: UploadProgress) -> reqwest::Body {
    const CHUNK: usize = 64 * 1024;
    let total = data.len() as u64;
    let chunks: Vec<Bytes> = (0..data.len())
        .step_by(CHUNK)
        .map(|start| data.slice(start..(start + CHUNK).min(data.len())))
        .collect();
    let reported = chunks.into_iter().scan(0u64, move |sent, chunk| {
        *sent += chunk.len() as u64;
        (progress.0)(*sent, total);
        Some(Ok::<Bytes, std::io::Error>(chunk))
    });
    reqwest::Body::wrap_stream(futures_util::stream::iter(reported))
}

impl MultipartPart {
    /// A file part.
    pub(crate) fn file(name: impl Into<String>, file_name: impl Into<String>, data: Bytes) -> Self {
        Self {
            name: name.into(),
            file_name: Some(file_name.into()),
            content_type: None,
            data,
            progress: None,
        }
    }

    /// A plain text field.
    #[allow(dead_code)]
    pub(crate) fn text(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            file_name: None,
            content_type: None,
            data: Bytes::from(value.into()),
            progress: None,
        }
    }

    /// Sets the part's MIME type.
    pub(crate) fn content_type(mut self, mime: impl Into<String>) -> Self {
        self.content_type = Some(mime.into());
        self
    }
}

fn build_form(parts: &[MultipartPart]) -> Result<reqwest::multipart::Form> {
    let mut form = reqwest::multipart::Form::new();
    for p in parts {
        let mut part = match &p.progress {
            Some(progress) => reqwest::multipart::Part::stream_with_length(
                progress_body(p.data.clone(), progress.clone()),
                p.data.len() as u64,
            ),
            None => reqwest::multipart::Part::stream(reqwest::Body::from(p.data.clone())),
        };
        if let Some(name) = &p.file_name {
            part = part.file_name(name.clone());
        }
        if let Some(mime) = &p.content_type {
            part = part
                .mime_str(mime)
                .map_err(|_| Error::InvalidRequest(format!("invalid MIME type `{mime}`")))?;
        }
        form = form.part(p.name.clone(), part);
    }
    Ok(form)
}

/// The body of an [`ApiRequest`].
#[derive(Debug, Clone)]
pub(crate) enum RequestBody {
    None,
    Json(Bytes),
    Multipart(Vec<MultipartPart>),
}

/// A description of one API call; see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: RequestBody,
    pub(crate) idempotent: bool,
    pub(crate) envelope: Envelope,
    pub(crate) auth: Auth,
    pub(crate) timeout: Option<Duration>,
}

impl ApiRequest {
    /// A request with `method` to `path` (starting with `/`), standard envelope, token auth.
    pub(crate) fn new(method: Method, path: impl Into<String>) -> Self {
        let idempotent = method != Method::POST && method != Method::PATCH;
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: RequestBody::None,
            idempotent,
            envelope: Envelope::Data,
            auth: Auth::Token,
            timeout: None,
        }
    }

    /// `GET path` (idempotent).
    pub(crate) fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    /// `POST path` (not idempotent unless marked).
    pub(crate) fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }

    /// `PUT path` (idempotent).
    pub(crate) fn put(path: impl Into<String>) -> Self {
        Self::new(Method::PUT, path)
    }

    /// `DELETE path` (idempotent).
    pub(crate) fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Adds a query pair.
    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    /// Adds a query pair when `value` is `Some`.
    pub(crate) fn query_opt(self, key: &'static str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Sets a JSON body.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when `body` cannot be serialised.
    pub(crate) fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidRequest(format!("cannot encode the request body: {e}")))?;
        self.body = RequestBody::Json(Bytes::from(bytes));
        Ok(self)
    }

    /// Sets a multipart body.
    pub(crate) fn multipart(mut self, parts: Vec<MultipartPart>) -> Self {
        self.body = RequestBody::Multipart(parts);
        self
    }

    /// Marks whether sending the request twice is harmless (reads, updates, deletes).
    pub(crate) fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    /// Selects where the payload sits in the response body.
    pub(crate) fn envelope(mut self, envelope: Envelope) -> Self {
        self.envelope = envelope;
        self
    }

    /// Selects the authorisation.
    #[allow(dead_code)]
    pub(crate) fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Overrides the client's request timeout for this (non-streaming) request.
    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_is_normalised_and_validated() {
        assert_eq!(
            normalize_base_url(" http://127.0.0.1:8080/ ").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(normalize_base_url("api.coze.com").is_err());
        assert!(normalize_base_url("ftp://x").is_err());
        let c = Client::builder().region(Region::Cn).build().unwrap();
        assert_eq!(c.base_url(), CN_BASE_URL);
        assert_eq!(c.region(), Some(Region::Cn));
        let c = Client::builder().build().unwrap();
        assert_eq!(c.base_url(), COM_BASE_URL);
    }

    #[test]
    fn body_start_collapses_and_truncates() {
        let html = format!(
            "<html>\n  <body>502 Bad Gateway</body>{}</html>",
            "x".repeat(500)
        );
        let s = body_start(html.as_bytes());
        assert!(s.starts_with("<html> <body>502 Bad Gateway</body>"));
        assert!(s.ends_with("...") && s.chars().count() == BODY_START_CHARS + 3);
        assert_eq!(body_start(b"  "), "(empty body)");
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

    fn check(status: u16, logid: Option<&str>, body: &str) -> Result<Value> {
        let client = Client::builder().region(Region::Cn).build().unwrap();
        let meta = ResponseMeta {
            status,
            logid: logid.map(str::to_owned),
            retry_after: Some(Duration::from_secs(2)),
        };
        client.check_body(&ApiRequest::get("/v1/x"), &meta, body.as_bytes())
    }

    #[test]
    fn bodies_are_classified_like_the_official_sdks() {
        let ok = check(200, None, r#"{"code":0,"msg":"","data":{"a":1}}"#).unwrap();
        assert_eq!(take_field(ok, "data")["a"], 1);

        let err = check(
            200,
            None,
            r#"{"code":4015,"msg":"nope","detail":{"logid":"L9"}}"#,
        )
        .unwrap_err();
        let api = err.as_api().unwrap();
        assert_eq!((api.code, api.logid.as_deref()), (4015, Some("L9")));
        assert_eq!(api.base_url, CN_BASE_URL);
        assert_eq!(api.retry_after, Some(Duration::from_secs(2)));

        // The header logid wins over detail.logid; a string code is read too.
        let err = check(
            401,
            Some("H1"),
            r#"{"code":"4100","msg":"bad","detail":{"logid":"L9"}}"#,
        )
        .unwrap_err();
        assert_eq!((err.code(), err.logid()), (Some(4100), Some("H1")));

        let err = check(
            400,
            None,
            r#"{"error_code":"invalid_grant","error_message":"expired"}"#,
        )
        .unwrap_err();
        let Error::OAuth(o) = &err else {
            panic!("{err:?}")
        };
        assert_eq!(
            (o.error.as_str(), o.message.as_deref()),
            ("invalid_grant", Some("expired"))
        );

        let err = check(200, None, r#"{"error_message":"boom"}"#).unwrap_err();
        assert_eq!(err.as_api().map(|a| a.msg.as_str()), Some("boom"));

        let err = check(500, None, "{}").unwrap_err();
        assert_eq!(err.status(), Some(500));

        let err = check(200, None, "<html>oops</html>").unwrap_err();
        assert!(
            matches!(err, Error::UnexpectedResponse { status: 200, .. }),
            "{err:?}"
        );

        // No `code` at all (workflow async, OAuth token bodies) is success.
        assert!(check(200, None, r#"{"access_token":"x","expires_in":1}"#).is_ok());
    }
}
