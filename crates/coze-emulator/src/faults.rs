//! Fault injection: make the emulator misbehave on purpose, so clients can be tested against
//! slow streams, broken connections, rate limits and proxies.
//!
//! Switch faults in-process with `emulator.faults().set(FaultConfig { .. })` or over HTTP with
//! `POST /_emulator/faults` (the JSON form of [`FaultConfig`]; it replaces the whole set),
//! `GET` to read them and `DELETE` to switch everything off.
//!
//! - Stream faults apply to every SSE response while set: `event_delay_ms` (pause before each
//!   event), `cut_after_events` (abort the connection after N events, without a final chunk),
//!   `error_event` (after N events send `event:error` with `{code,msg}` and end the stream).
//!   The chat itself carries on server-side, as on Coze when a client goes away.
//! - Request faults answer the next `count` requests (optionally only those whose path starts
//!   with `path_prefix`) before any handler runs: `rate_limit` (HTTP 429, code 4013,
//!   `Retry-After`), `server_error` (a 5xx with a JSON body, code 5000), `html_error` (an HTML
//!   page, 502 by default, as a proxy would serve). They never touch `/_emulator/...`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use crate::envelope::{self, ApiError};
use crate::state::AppState;

/// The set of active faults; `Default` is "no faults".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Pause before each SSE event, in milliseconds.
    pub event_delay_ms: u64,
    /// Abort the connection after this many SSE events.
    pub cut_after_events: Option<u32>,
    /// Send an `error` event after some events, then end the stream.
    pub error_event: Option<ErrorEventFault>,
    /// Answer requests with HTTP 429 / code 4013.
    pub rate_limit: Option<RateLimitFault>,
    /// Answer requests with a 5xx JSON error.
    pub server_error: Option<ServerErrorFault>,
    /// Answer requests with an HTML error page.
    pub html_error: Option<HtmlErrorFault>,
}

impl FaultConfig {
    /// Checks the values: statuses of the right class, a retry delay and delays within reason.
    ///
    /// # Errors
    /// A one-line message naming the field and what it accepts.
    pub fn validate(&self) -> Result<(), String> {
        if self.event_delay_ms > 60_000 {
            return Err(format!(
                "event_delay_ms must be at most 60000, got {}",
                self.event_delay_ms
            ));
        }
        if let Some(f) = &self.html_error
            && !(400..=599).contains(&f.status)
        {
            return Err(format!(
                "html_error.status must be an error status (400-599), got {}",
                f.status
            ));
        }
        if let Some(f) = &self.server_error
            && !(500..=599).contains(&f.status)
        {
            return Err(format!(
                "server_error.status must be 500-599, got {}",
                f.status
            ));
        }
        if let Some(f) = &self.rate_limit
            && f.retry_after > 3600
        {
            return Err(format!(
                "rate_limit.retry_after must be at most 3600 seconds, got {}",
                f.retry_after
            ));
        }
        if let Some(f) = &self.error_event
            && f.code == 0
        {
            return Err("error_event.code must not be 0 (0 means success)".into());
        }
        Ok(())
    }
}

/// `error` event fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ErrorEventFault {
    /// Events sent before the error event.
    pub after_events: u32,
    pub code: i64,
    pub msg: String,
}

impl Default for ErrorEventFault {
    fn default() -> Self {
        ErrorEventFault {
            after_events: 0,
            code: 5000,
            msg: "internal error (emulator fault)".into(),
        }
    }
}

/// 429 fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitFault {
    /// How many requests get it.
    pub count: u32,
    /// Value of the `Retry-After` header, in seconds.
    pub retry_after: u64,
    pub path_prefix: Option<String>,
}

impl Default for RateLimitFault {
    fn default() -> Self {
        RateLimitFault {
            count: 1,
            retry_after: 1,
            path_prefix: None,
        }
    }
}

/// 5xx JSON fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerErrorFault {
    pub count: u32,
    /// HTTP status, 500..=599.
    pub status: u16,
    pub path_prefix: Option<String>,
}

impl Default for ServerErrorFault {
    fn default() -> Self {
        ServerErrorFault {
            count: 1,
            status: 500,
            path_prefix: None,
        }
    }
}

/// HTML page fault.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HtmlErrorFault {
    pub count: u32,
    /// HTTP status (502 by default).
    pub status: u16,
    pub path_prefix: Option<String>,
}

impl Default for HtmlErrorFault {
    fn default() -> Self {
        HtmlErrorFault {
            count: 1,
            status: 502,
            path_prefix: None,
        }
    }
}

/// The stream faults in force when a stream starts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamFaults {
    pub event_delay: Duration,
    pub cut_after_events: Option<u32>,
    pub error_event: Option<ErrorEventFault>,
}

/// Handle on the active faults; clones share them.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    config: Arc<Mutex<FaultConfig>>,
}

impl Faults {
    fn lock(&self) -> MutexGuard<'_, FaultConfig> {
        self.config
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces the active faults.
    pub fn set(&self, config: FaultConfig) {
        *self.lock() = config;
    }

    /// Changes the active faults in place.
    pub fn update(&self, change: impl FnOnce(&mut FaultConfig)) {
        change(&mut self.lock());
    }

    /// Switches every fault off.
    pub fn reset(&self) {
        self.set(FaultConfig::default());
    }

    /// The active faults.
    pub fn get(&self) -> FaultConfig {
        self.lock().clone()
    }

    /// The stream faults for a stream starting now.
    pub fn for_stream(&self) -> StreamFaults {
        let config = self.lock();
        StreamFaults {
            event_delay: Duration::from_millis(config.event_delay_ms),
            cut_after_events: config.cut_after_events,
            error_event: config.error_event.clone(),
        }
    }

    /// The request fault for `path`, if one is due; uses up one of its `count`.
    pub fn take_request_fault(&self, path: &str) -> Option<Response> {
        if path.starts_with("/_emulator") {
            return None;
        }
        let matches =
            |prefix: &Option<String>| prefix.as_deref().is_none_or(|p| path.starts_with(p));
        let mut config = self.lock();
        if let Some(fault) = config
            .html_error
            .as_mut()
            .filter(|f| f.count > 0 && matches(&f.path_prefix))
        {
            fault.count -= 1;
            let status = StatusCode::from_u16(fault.status).unwrap_or(StatusCode::BAD_GATEWAY);
            return Some(envelope::html_page(status));
        }
        if let Some(fault) = config
            .server_error
            .as_mut()
            .filter(|f| f.count > 0 && matches(&f.path_prefix))
        {
            fault.count -= 1;
            let status = StatusCode::from_u16(fault.status)
                .ok()
                .filter(StatusCode::is_server_error)
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let msg = "We're currently experiencing server issues. Please try again later. (emulator fault)";
            return Some(ApiError::internal(msg).with_status(status).into_response());
        }
        if let Some(fault) = config
            .rate_limit
            .as_mut()
            .filter(|f| f.count > 0 && matches(&f.path_prefix))
        {
            fault.count -= 1;
            let retry_after = HeaderValue::from(fault.retry_after);
            let error = ApiError::new(
                4013,
                "rate limit exceeded, please retry later (emulator fault)",
            )
            .with_header(header::RETRY_AFTER, retry_after);
            return Some(error.into_response());
        }
        None
    }
}

/// Middleware answering due request faults before routing reaches a handler.
///
/// It never reads the body: a fault answered before the body was read says
/// `Connection: close` (`crate::limits`), so clients do not reuse that connection.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    match state.faults().take_request_fault(request.uri().path()) {
        Some(response) => response,
        None => next.run(request).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_faults_count_down_and_respect_prefix() {
        let faults = Faults::default();
        faults.set(FaultConfig {
            rate_limit: Some(RateLimitFault {
                count: 2,
                retry_after: 7,
                path_prefix: Some("/v3/".into()),
            }),
            ..FaultConfig::default()
        });
        assert!(faults.take_request_fault("/v1/conversations").is_none());
        assert!(faults.take_request_fault("/_emulator/faults").is_none());
        let first = faults
            .take_request_fault("/v3/chat")
            .expect("first is limited");
        assert_eq!(first.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(first.headers()[header::RETRY_AFTER], "7");
        assert!(faults.take_request_fault("/v3/chat").is_some());
        assert!(faults.take_request_fault("/v3/chat").is_none());
    }

    #[test]
    fn json_form_parses_with_defaults() {
        let config: FaultConfig =
            serde_json::from_str(r#"{"html_error":{},"cut_after_events":3}"#).expect("valid");
        assert_eq!(config.html_error, Some(HtmlErrorFault::default()));
        assert_eq!(config.cut_after_events, Some(3));
        assert!(serde_json::from_str::<FaultConfig>(r#"{"typo":1}"#).is_err());
    }

    #[test]
    fn validation_refuses_statuses_of_the_wrong_class() {
        let html = |status| FaultConfig {
            html_error: Some(HtmlErrorFault {
                status,
                ..Default::default()
            }),
            ..FaultConfig::default()
        };
        assert!(html(200).validate().is_err());
        assert!(html(404).validate().is_ok());
        let server = FaultConfig {
            server_error: Some(ServerErrorFault {
                status: 404,
                ..Default::default()
            }),
            ..FaultConfig::default()
        };
        assert!(server.validate().unwrap_err().contains("500-599"));
        assert!(FaultConfig::default().validate().is_ok());
    }

    #[test]
    fn server_error_status_must_be_5xx() {
        let faults = Faults::default();
        faults.update(|c| {
            c.server_error = Some(ServerErrorFault {
                status: 200,
                ..Default::default()
            })
        });
        let response = faults.take_request_fault("/v1/x").expect("due");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
