//! Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with the HTTP
//! status OpenAI clients expect, and the mapping from Coze's errors.
//!
//! | Status | `type` | When |
//! |---|---|---|
//! | 400 | `invalid_request_error` | a body that is not JSON, wrong types, no messages, an empty message, a tool message without a pending call, an `http:` image URL |
//! | 401 | `authentication_error` | no, wrong or revoked API key |
//! | 403 | `permission_error` | the key may not use this model |
//! | 404 | `not_found_error` | an unknown model (`code: model_not_found`) or a named Coze conversation this key and user did not make |
//! | 409 | `conflict_error` | Coze 4016: a chat is still running in the conversation |
//! | 413 | `invalid_request_error` | a body over the limit, refused before it is read |
//! | 429 | `rate_limit_error` | Coze 4013 or a per-key limit, with `Retry-After` |
//! | 502 | `upstream_error` | Coze unreachable, Coze refused the gateway's credentials, Coze 4015 (bot not published to the API), a failed chat, an `error` event, a cut stream |
//! | 504 | `upstream_error` | Coze did not answer in time |
//!
//! `code` is a short stable string; Coze's own codes appear as `coze_<code>`.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::types::{ErrorBody, ErrorObject};

/// An error answered in OpenAI's shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status of the response (also kept for errors sent as a stream chunk).
    pub status: StatusCode,
    /// OpenAI's `type`.
    pub kind: &'static str,
    /// One line: what went wrong and what to do.
    pub message: String,
    /// The request field at fault.
    pub param: Option<String>,
    /// Stable code.
    pub code: Option<String>,
    /// `Retry-After` for 429.
    pub retry_after: Option<Duration>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl ApiError {
    fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            param: None,
            code: None,
            retry_after: None,
        }
    }

    /// Sets `param`.
    pub fn param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// Sets `code`.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// 400 `invalid_request_error`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_request_error", message)
    }

    /// 401 `authentication_error`.
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

    /// 404 for a model name that is not configured.
    pub fn unknown_model(model: &str, known: &[&str]) -> Self {
        let list = if known.is_empty() {
            "none are configured".to_owned()
        } else {
            known.join(", ")
        };
        Self::not_found(format!(
            "the model `{model}` does not exist: use one of GET /v1/models ({list})"
        ))
        .param("model")
        .code("model_not_found")
    }

    /// 413 for a body over `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "invalid_request_error",
            format!(
                "the request body is larger than {limit} bytes: send large files through Coze's \
                 files API and pass their id (`file.file_id`), or use https image URLs"
            ),
        )
        .code("request_too_large")
    }

    /// 429 `rate_limit_error` with `Retry-After`.
    pub fn rate_limited(message: impl Into<String>, retry_after: Duration) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limit_error", message)
            .code("rate_limit_exceeded");
        e.retry_after = Some(retry_after);
        e
    }

    /// 502 `upstream_error`.
    pub fn upstream(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "upstream_error", message)
    }

    /// The body `{"error": {...}}`.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorObject {
                message: self.message.clone(),
                kind: self.kind.to_owned(),
                param: self.param.clone(),
                code: self.code.clone(),
            },
        }
    }

    /// A Coze error code, as reported by an API answer, a failed chat or an `error` event.
    pub fn from_coze_code(code: i64, msg: &str, retry_after: Option<Duration>) -> Self {
        let msg = msg.trim();
        let e = match code {
            4013 => Self::rate_limited(
                format!(
                    "Coze is rate-limiting this bot (code 4013: {msg}): retry after {} s",
                    retry_after
                        .unwrap_or(Duration::from_secs(1))
                        .as_secs()
                        .max(1)
                ),
                retry_after.unwrap_or(Duration::from_secs(1)),
            ),
            4015 => Self::upstream(
                "the bot behind this model is not published to Coze's API channel (code 4015): \
                 the gateway's operator must publish it in Coze (Publish > API) and try again",
            ),
            4016 => Self::new(
                StatusCode::CONFLICT,
                "conflict_error",
                "a chat is still running in this Coze conversation (code 4016): wait for the \
                 previous answer to finish, then send again",
            ),
            4100 | 4101 | 700012006 => Self::upstream(format!(
                "Coze refused the gateway's credentials (code {code}: {msg}): the gateway's \
                 operator must renew the token or give it access to the bot"
            )),
            _ => Self::upstream(format!(
                "Coze reported an error (code {code}: {msg}): retry later; if it persists, \
                 tell the gateway's operator"
            )),
        };
        e.code(format!("coze_{code}"))
    }

    /// Maps an SDK error (a failed request to Coze or a broken stream).
    pub fn from_coze(err: &coze_sdk::Error) -> Self {
        use coze_sdk::Error as E;
        match err {
            E::Api(api) => {
                if api.code == 0 && api.status == 429 {
                    return Self::from_coze_code(4013, &api.msg, api.retry_after);
                }
                Self::from_coze_code(api.code, &api.msg, api.retry_after)
            }
            E::UnexpectedResponse {
                status,
                retry_after,
                ..
            } if *status == 429 => Self::from_coze_code(4013, "HTTP 429", *retry_after),
            E::UnexpectedResponse { status, .. } => Self::upstream(format!(
                "Coze answered HTTP {status} with an unexpected body: retry later"
            ))
            .code("coze_unexpected_response"),
            E::Connect { base_url, .. } => Self::upstream(format!(
                "the gateway cannot reach Coze at {base_url}: retry later; if it persists, tell \
                 the gateway's operator"
            ))
            .code("coze_unreachable"),
            E::Timeout { .. } | E::StreamIdle { .. } => {
                let mut e =
                    Self::upstream(format!("Coze did not answer in time ({err}): retry later"))
                        .code("coze_timeout");
                e.status = StatusCode::GATEWAY_TIMEOUT;
                e
            }
            E::StreamEvent { code, msg, .. } => Self::from_coze_code(*code, msg, None),
            E::StreamCut { .. } | E::Http { .. } => Self::upstream(
                "the connection to Coze broke before the answer finished: what arrived was \
                 sent; send the message again for a whole answer",
            )
            .code("coze_stream_cut"),
            E::MalformedEvent { .. } | E::EventTooLarge { .. } | E::Decode { .. } => {
                Self::upstream(format!(
                    "Coze sent something the gateway cannot read ({err})"
                ))
                .code("coze_malformed")
            }
            E::InvalidRequest(msg) => Self::invalid(msg.clone()),
            _ => Self::upstream(format!(
                "the gateway cannot use its Coze credentials ({err}): tell the gateway's operator"
            ))
            .code("coze_credentials"),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(wait) = self.retry_after {
            let secs = wait.as_secs().max(1).to_string();
            if let Ok(value) = HeaderValue::from_str(&secs) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coze_codes_map_to_statuses_that_say_what_to_do() {
        let e = ApiError::from_coze_code(4013, "too many", Some(Duration::from_secs(7)));
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(e.message.contains("retry after 7 s"), "{}", e.message);
        let response = e.into_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");

        let e = ApiError::from_coze_code(4015, "not published", None);
        assert_eq!(e.status, StatusCode::BAD_GATEWAY);
        assert!(e.message.contains("Publish > API"));
        assert_eq!(e.code.as_deref(), Some("coze_4015"));

        let e = ApiError::from_coze_code(4016, "busy", None);
        assert_eq!(e.status, StatusCode::CONFLICT);
        assert!(e.message.contains("wait for the previous answer"));
    }

    #[test]
    fn body_has_openai_shape() {
        let e = ApiError::unknown_model("gpt-4", &["echo", "tool"]);
        let v = serde_json::to_value(e.body()).unwrap();
        assert_eq!(v["error"]["type"], "not_found_error");
        assert_eq!(v["error"]["param"], "model");
        assert_eq!(v["error"]["code"], "model_not_found");
        assert!(
            v["error"]["message"]
                .as_str()
                .unwrap()
                .contains("echo, tool")
        );
        assert_eq!(e.status, StatusCode::NOT_FOUND);
    }
}
