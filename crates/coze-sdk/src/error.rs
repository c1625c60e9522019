//! The one error type of the SDK.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::ids::{ChatId, ConversationId};
use crate::region::{CN_BASE_URL, COM_BASE_URL};

/// `Result` with the SDK's [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in an SDK call.
///
/// Use [`Error::hint`] for advice a user can act on, [`Error::logid`] for the id Coze
/// support asks for, and [`Error::is_retryable`] to decide whether trying again may help.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Coze answered with a non-zero `code` (the body or the HTTP status says the request failed).
    #[error(transparent)]
    Api(Box<ApiError>),

    /// An OAuth endpoint answered with an `error_code` / `error` body.
    #[error(transparent)]
    OAuth(Box<OAuthError>),

    /// The server answered something that is not a Coze JSON body, such as an HTML error page
    /// from a proxy, or an HTTP error status without a `code`.
    #[error("HTTP {status} from {base_url}{path}: {body_start}")]
    UnexpectedResponse {
        /// HTTP status.
        status: u16,
        /// Base URL the request went to.
        base_url: String,
        /// Request path.
        path: String,
        /// The first characters of the body, whitespace collapsed.
        body_start: String,
        /// `X-Tt-Logid`, when present.
        logid: Option<String>,
        /// `Retry-After`, when present.
        retry_after: Option<Duration>,
    },

    /// No connection could be made to the base URL (DNS, refused, TLS, connect timeout).
    #[error("cannot connect to {base_url}")]
    Connect {
        /// Base URL that could not be reached.
        base_url: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },

    /// The request did not complete within the request timeout.
    #[error("request to {path} timed out after {timeout:?}")]
    Timeout {
        /// Request path.
        path: String,
        /// The timeout that expired.
        timeout: Duration,
    },

    /// Any other transport failure while sending a request or reading its response.
    #[error("request to {path} failed")]
    Http {
        /// Request path.
        path: String,
        /// The transport error.
        #[source]
        source: reqwest::Error,
    },

    /// A successful response did not have the expected shape.
    #[error(
        "cannot decode the response of {path}: {} (logid {})",
        decode_place(field),
        logid.as_deref().unwrap_or("none")
    )]
    Decode {
        /// Request path.
        path: String,
        /// The JSON path of the value that did not fit, e.g. `data.messages[3].created_at`
        /// (`.` for the body as a whole).
        field: String,
        /// `X-Tt-Logid`, when present.
        logid: Option<String>,
        /// The JSON error.
        #[source]
        source: serde_json::Error,
    },

    /// One server-sent event exceeded the configured size cap
    /// ([`ClientBuilder::max_event_size`](crate::ClientBuilder::max_event_size)).
    #[error("a stream event is larger than the {limit}-byte limit")]
    EventTooLarge {
        /// The configured limit in bytes.
        limit: usize,
    },

    /// A server-sent event could not be understood.
    #[error("malformed stream event `{event}`: {detail}")]
    MalformedEvent {
        /// The event name.
        event: String,
        /// What was wrong with it.
        detail: String,
    },

    /// No bytes arrived on a stream for the idle timeout.
    #[error("the stream sent nothing for {timeout:?}")]
    StreamIdle {
        /// The idle timeout that expired.
        timeout: Duration,
    },

    /// The stream ended before the answer finished (connection cut or closed early).
    #[error("the stream was cut before the answer finished")]
    StreamCut {
        /// The transport error, when the connection failed rather than closed.
        #[source]
        source: Option<reqwest::Error>,
    },

    /// A WebSocket connection could not be opened, or broke while no answer was awaited.
    #[error("WebSocket {path}: {detail}")]
    WebSocket {
        /// The WebSocket path (`/v1/chat`, ...).
        path: String,
        /// What happened, one line.
        detail: String,
        /// The transport error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// A WebSocket connection closed or broke while an answer was awaited: the events that
    /// arrived before were delivered, the rest of the answer is missing.
    #[error("WebSocket {path} was cut before the answer finished: {detail}")]
    WebSocketCut {
        /// The WebSocket path (`/v1/chat`, ...).
        path: String,
        /// How the connection ended (close code and reason, or the transport error).
        detail: String,
    },

    /// The server sent an `error` event inside a stream.
    #[error("the stream reported error {code}: {msg}")]
    StreamEvent {
        /// The error code from the event (0 when the event had none).
        code: i64,
        /// The error message from the event (or its raw data).
        msg: String,
        /// `X-Tt-Logid` of the streaming response.
        logid: Option<String>,
    },

    /// `create_and_poll` gave up waiting; the chat was cancelled.
    #[error("chat {chat_id} did not finish within {timeout:?} and was cancelled")]
    PollTimeout {
        /// The conversation of the chat.
        conversation_id: ConversationId,
        /// The chat that was cancelled.
        chat_id: ChatId,
        /// The timeout that expired.
        timeout: Duration,
    },

    /// The client is misconfigured (bad base URL, no token).
    #[error("invalid configuration: {0}")]
    Config(String),

    /// A request was rejected before sending it (empty message, bad argument).
    #[error("invalid request: {0}")]
    InvalidRequest(String),

    /// Obtaining or refreshing a token failed outside of an HTTP call (JWT signing, a token
    /// file, a refresh that cannot proceed).
    #[error("{message}")]
    Auth {
        /// What failed, one line.
        message: String,
        /// The underlying error, when there is one.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// Reading or writing a local file failed.
    #[error("cannot access {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
}

/// A Coze business error: the `{code, msg}` of the response envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ApiError {
    /// HTTP status of the response.
    pub status: u16,
    /// Coze error code (0 when the body had only an HTTP error status or `error_message`).
    pub code: i64,
    /// Coze error message.
    pub msg: String,
    /// `X-Tt-Logid` (or `detail.logid`): quote it to Coze support.
    pub logid: Option<String>,
    /// `Retry-After`, when the response carried one.
    pub retry_after: Option<Duration>,
    /// Base URL the request went to (it decides the region a token must belong to).
    pub base_url: String,
    /// Request path.
    pub path: String,
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "code {}: {}", self.code, self.msg.trim())?;
        write!(f, " (HTTP {}", self.status)?;
        if let Some(logid) = &self.logid {
            write!(f, ", logid {logid}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    /// Advice for the codes users hit most; `None` for codes without specific advice.
    pub fn hint(&self) -> Option<String> {
        let hint = match self.code {
            4100 | 700012006 => token_hint(&self.base_url),
            4101 => "the token lacks permission for this resource: give the personal access \
                     token the needed scope (e.g. chat) and access to the bot's workspace"
                .to_owned(),
            4015 => "the bot is not published to the API channel: publish it in Coze \
                     (Publish > API) and try again"
                .to_owned(),
            4016 => "a chat is already running in this conversation: wait for it to finish, \
                     cancel it, or use another conversation"
                .to_owned(),
            4200 => format!(
                "the resource does not exist at {}: check the id, that the bot or workflow is \
                 published, and that the token and base URL are of the same region",
                self.base_url
            ),
            4013 => rate_limit_hint(self.retry_after),
            4104 => "the chat already finished and cannot be cancelled".to_owned(),
            4300 => "the file is empty: upload a file with content".to_owned(),
            4302 => "the file is larger than the server accepts (Coze: 512 MB): upload a \
                     smaller file or split it"
                .to_owned(),
            5000 => "Coze reported an internal error: retry later; quote the logid to Coze \
                     support if it persists"
                .to_owned(),
            _ if self.status == 429 => rate_limit_hint(self.retry_after),
            _ if self.status == 401 => token_hint(&self.base_url),
            _ => return None,
        };
        Some(hint)
    }

    /// True for rate limits (4013, HTTP 429) and server errors (5xx, code 5000).
    pub fn is_retryable(&self) -> bool {
        self.code == 4013 || self.code == 5000 || self.status == 429 || self.status >= 500
    }
}

/// An OAuth error body (`error_code`/`error`, `error_message`/`error_description`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OAuthError {
    /// HTTP status of the response.
    pub status: u16,
    /// The error code, e.g. `authorization_pending`, `access_denied`, `invalid_grant`.
    pub error: String,
    /// The human-readable message, when present.
    pub message: Option<String>,
    /// `X-Tt-Logid`, when present.
    pub logid: Option<String>,
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "oauth error {}", self.error)?;
        if let Some(message) = self.message.as_deref().filter(|m| !m.is_empty()) {
            write!(f, ": {message}")?;
        }
        write!(f, " (HTTP {}", self.status)?;
        if let Some(logid) = &self.logid {
            write!(f, ", logid {logid}")?;
        }
        f.write_str(")")
    }
}

impl std::error::Error for OAuthError {}

impl OAuthError {
    /// Advice for the common OAuth failures.
    pub fn hint(&self) -> Option<String> {
        let hint = match self.error.as_str() {
            "access_denied" => "the authorization was denied: start the login again and approve it",
            "expired_token" => "the device code expired: start the login again",
            "invalid_grant" => "the grant or refresh token is no longer valid: log in again",
            "invalid_client" | "unauthorized" => {
                "the OAuth app credentials were rejected: check the client id, secret or key"
            }
            _ => return None,
        };
        Some(hint.to_owned())
    }
}

/// "field `x.y`" or "the body" for a decode error message.
fn decode_place(field: &str) -> String {
    if field.is_empty() || field == "." {
        "the body does not have the expected shape".to_owned()
    } else {
        format!("field `{field}` does not have the expected type")
    }
}

fn token_hint(base_url: &str) -> String {
    let other = if base_url == CN_BASE_URL {
        Some(COM_BASE_URL)
    } else if base_url == COM_BASE_URL {
        Some(CN_BASE_URL)
    } else {
        None
    };
    match other {
        Some(other) => format!(
            "the token is invalid or expired, or belongs to the other region: this request went \
             to {base_url}; a token from the other region needs {other} (--region / \
             COZE_API_BASE); otherwise create a new token"
        ),
        None => format!(
            "the token is invalid or expired for {base_url}: create a new token for this server"
        ),
    }
}

fn rate_limit_hint(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!("rate limited: retry after {} s", wait.as_secs().max(1)),
        None => "rate limited: slow down and retry in a few seconds".to_owned(),
    }
}

impl Error {
    /// Advice a user can act on, when the error is a known case.
    pub fn hint(&self) -> Option<String> {
        match self {
            Error::Api(e) => e.hint(),
            Error::OAuth(e) => e.hint(),
            Error::UnexpectedResponse {
                status,
                retry_after,
                base_url,
                ..
            } => match status {
                429 => Some(rate_limit_hint(*retry_after)),
                401 => Some(token_hint(base_url)),
                502..=504 => Some(format!(
                    "a proxy or gateway in front of {base_url} failed: retry later, and check \
                     the base URL if it persists"
                )),
                404 => Some(format!(
                    "{base_url} does not serve this endpoint: check the base URL"
                )),
                _ => None,
            },
            Error::Connect { base_url, .. } => Some(format!(
                "check the network and the base URL ({base_url}); use --region or COZE_API_BASE \
                 to pick another server"
            )),
            Error::Timeout { .. } => {
                Some("the server is slow: retry, or raise the request timeout".to_owned())
            }
            Error::EventTooLarge { .. } => Some(
                "raise the limit with ClientBuilder::max_event_size if this event is expected"
                    .to_owned(),
            ),
            Error::StreamIdle { .. } => Some(
                "the server stopped sending: retry, or raise the stream idle timeout".to_owned(),
            ),
            Error::StreamCut { .. } => Some(
                "the connection broke mid-answer; what arrived was kept: retry the question"
                    .to_owned(),
            ),
            Error::WebSocket { .. } => Some(
                "check the network and the WebSocket address (derived from the base URL: \
                 https://api.coze.com becomes wss://ws.coze.com)"
                    .to_owned(),
            ),
            Error::WebSocketCut { .. } => Some(
                "the connection broke mid-answer; what arrived was kept: reconnect and ask again"
                    .to_owned(),
            ),
            Error::StreamEvent { code, .. } if *code == 4013 => Some(rate_limit_hint(None)),
            Error::PollTimeout { .. } => {
                Some("give the chat more time, or use streaming to see progress".to_owned())
            }
            _ => None,
        }
    }

    /// The Coze log id of the failed response, when there is one.
    pub fn logid(&self) -> Option<&str> {
        match self {
            Error::Api(e) => e.logid.as_deref(),
            Error::OAuth(e) => e.logid.as_deref(),
            Error::UnexpectedResponse { logid, .. }
            | Error::Decode { logid, .. }
            | Error::StreamEvent { logid, .. } => logid.as_deref(),
            _ => None,
        }
    }

    /// The Coze error code, for API errors and in-stream `error` events.
    pub fn code(&self) -> Option<i64> {
        match self {
            Error::Api(e) => Some(e.code),
            Error::StreamEvent { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The HTTP status, when the error came from an HTTP response.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api(e) => Some(e.status),
            Error::OAuth(e) => Some(e.status),
            Error::UnexpectedResponse { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the server asked to wait before retrying, if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api(e) => e.retry_after,
            Error::UnexpectedResponse { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// True when trying the same call again later may succeed: rate limits, server errors,
    /// connection failures, timeouts and broken streams. The SDK itself only retries what
    /// cannot duplicate data (see [`RetryPolicy`](crate::RetryPolicy)).
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api(e) => e.is_retryable(),
            Error::UnexpectedResponse { status, .. } => *status == 429 || *status >= 500,
            Error::Connect { .. }
            | Error::Timeout { .. }
            | Error::StreamIdle { .. }
            | Error::StreamCut { .. } => true,
            Error::Http { source, .. } => !source.is_builder() && !source.is_decode(),
            Error::StreamEvent { code, .. } => *code == 4013 || *code == 5000,
            _ => false,
        }
    }

    /// The API error, if this is one.
    pub fn as_api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(e) => Some(e),
            _ => None,
        }
    }

    /// True when the server refused the token (HTTP 401, code 4100 or 700012006).
    pub fn is_auth_rejection(&self) -> bool {
        match self {
            Error::Api(e) => e.status == 401 || matches!(e.code, 4100 | 700012006),
            Error::UnexpectedResponse { status, .. } => *status == 401,
            _ => false,
        }
    }
}

impl From<ApiError> for Error {
    fn from(e: ApiError) -> Self {
        Error::Api(Box::new(e))
    }
}

impl From<OAuthError> for Error {
    fn from(e: OAuthError) -> Self {
        Error::OAuth(Box::new(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: i64, status: u16, base: &str) -> ApiError {
        ApiError {
            status,
            code,
            msg: "m".into(),
            logid: Some("L1".into()),
            retry_after: None,
            base_url: base.into(),
            path: "/v3/chat".into(),
        }
    }

    #[test]
    fn token_hint_names_both_regions() {
        let h = api(4100, 401, CN_BASE_URL).hint().unwrap();
        assert!(h.contains(CN_BASE_URL) && h.contains(COM_BASE_URL), "{h}");
        let h = api(700012006, 401, COM_BASE_URL).hint().unwrap();
        assert!(
            h.contains("went to https://api.coze.com") && h.contains(CN_BASE_URL),
            "{h}"
        );
        let h = api(4100, 401, "http://127.0.0.1:9").hint().unwrap();
        assert!(h.contains("http://127.0.0.1:9"), "{h}");
    }

    #[test]
    fn known_codes_have_hints() {
        assert!(api(4015, 200, CN_BASE_URL).hint().unwrap().contains("API"));
        assert!(
            api(4016, 200, CN_BASE_URL)
                .hint()
                .unwrap()
                .contains("already running")
        );
        assert!(
            api(4101, 200, CN_BASE_URL)
                .hint()
                .unwrap()
                .contains("permission")
        );
        assert!(
            api(4200, 200, CN_BASE_URL)
                .hint()
                .unwrap()
                .contains("does not exist")
        );
        let mut e = api(4013, 200, CN_BASE_URL);
        e.retry_after = Some(Duration::from_secs(7));
        assert!(e.hint().unwrap().contains("retry after 7 s"));
        assert!(e.is_retryable());
        assert_eq!(api(4000, 200, CN_BASE_URL).hint(), None);
    }

    #[test]
    fn display_has_code_msg_logid() {
        let e = Error::from(api(4015, 200, CN_BASE_URL));
        assert_eq!(e.to_string(), "code 4015: m (HTTP 200, logid L1)");
        assert_eq!(e.logid(), Some("L1"));
        assert_eq!(e.code(), Some(4015));
        assert!(!e.is_retryable());
    }
}
