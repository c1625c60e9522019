//! The gateway's error answer, shared by services: OpenAI's error shape
//! `{"error": {"message", "type", "param", "code"}}` with a fitting status (and `Retry-After`
//! for 429). OpenAI clients (and most others) read this shape; the Glif bridge keeps its own
//! body, which Coze shows its model.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error answer. The message is shown to the client: it never holds a credential, and
/// internal failures carry a generic one (the detail goes to the log).
#[derive(Debug, Clone)]
pub struct GatewayError {
    /// HTTP status.
    pub status: StatusCode,
    /// OpenAI's `type`: `invalid_request_error`, `authentication_error`,
    /// `permission_error`, `not_found_error`, `rate_limit_error`, `api_error`.
    pub kind: &'static str,
    /// OpenAI's `code` (e.g. `invalid_api_key`, `model_not_found`), when there is one.
    pub code: Option<String>,
    /// What happened and what to do.
    pub message: String,
    /// The request field at fault, when there is one.
    pub param: Option<String>,
    /// Seconds for `Retry-After` (429, 503).
    pub retry_after: Option<u64>,
}

impl GatewayError {
    /// An error with this status, type and message.
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            kind,
            code: None,
            message: message.into(),
            param: None,
            retry_after: None,
        }
    }

    /// Sets `code`.
    #[must_use]
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets `param`.
    #[must_use]
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Sets `Retry-After` (seconds, at least 1).
    #[must_use]
    pub fn retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs.max(1));
        self
    }

    /// 400 `invalid_request_error`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    /// 401 `invalid_api_key`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "authentication_error", message).code("invalid_api_key")
    }

    /// 403 `permission_error`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "permission_error", message)
    }

    /// 404 `not_found_error`.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found_error", message)
    }

    /// 429 `rate_limit_error` with `Retry-After`.
    pub fn rate_limited(message: impl Into<String>, retry_after_secs: u64) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", message)
            .code("rate_limit_exceeded")
            .retry_after(retry_after_secs)
    }

    /// 502: Coze (or another upstream) failed or is unreachable.
    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "api_error", message).code("upstream_error")
    }

    /// 503: the gateway cannot serve now (its store is unreachable).
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, "api_error", message)
            .code("unavailable")
            .retry_after(1)
    }

    /// 500 with a generic message; `detail` goes to the log only.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "api_error",
            "the gateway failed to handle this request; see its log",
        )
    }

    /// The JSON body.
    pub fn body(&self) -> serde_json::Value {
        json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }})
    }
}

impl std::fmt::Display for GatewayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ({})", self.message, self.status.as_u16())
    }
}

impl std::error::Error for GatewayError {}

impl From<crate::store::StoreError> for GatewayError {
    fn from(e: crate::store::StoreError) -> Self {
        tracing::error!(error = %e, "store failed");
        Self::unavailable("the gateway's store is unreachable; try again shortly")
    }
}

impl IntoResponse for GatewayError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response.extensions_mut().insert(crate::log::Outcome(
            self.code.clone().unwrap_or_else(|| self.kind.to_owned()),
        ));
        response
    }
}
