//! The Coze response envelope `{code, msg, data, detail:{logid}}`, the `X-Tt-Logid` header,
//! and error responses.
//!
//! Every JSON response carries a fresh logid in the header and in `detail.logid`. The
//! non-standard shapes (message list at the top level, `message` for modify, bare OAuth
//! bodies) go through [`ok_top_level`] and [`bare`].

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Map, Value, json};

/// Name of the log id response header (sent as `X-Tt-Logid`; HTTP/1 names are case-free).
pub const LOGID_HEADER: &str = "x-tt-logid";

/// A logid like Coze's: `YYYYMMDDHHMMSS` (UTC) + 20 upper-case hex chars, 34 chars in all.
pub fn new_logid() -> String {
    let stamp = jiff::Timestamp::now().strftime("%Y%m%d%H%M%S");
    let mut rng = rand::thread_rng();
    let hi: u16 = rng.r#gen();
    let lo: u64 = rng.r#gen();
    format!("{stamp}{hi:04X}{lo:016X}")
}

/// A JSON response with the logid header set (and `detail.logid` filled if `body` has a
/// `detail` object).
pub fn json_response(status: StatusCode, mut body: Value) -> Response {
    let logid = new_logid();
    if let Some(detail) = body.get_mut("detail").and_then(Value::as_object_mut) {
        detail.insert("logid".into(), Value::String(logid.clone()));
    }
    let mut response = (status, axum::Json(body)).into_response();
    set_logid(response.headers_mut(), &logid);
    response
}

/// Sets the logid header (kept if already present).
pub fn set_logid(headers: &mut HeaderMap, logid: &str) {
    if let Ok(value) = HeaderValue::from_str(logid) {
        headers
            .entry(HeaderName::from_static(LOGID_HEADER))
            .or_insert(value);
    }
}

/// Success: `{code:0, msg:"", data, detail:{logid}}`.
pub fn ok(data: Value) -> Response {
    json_response(
        StatusCode::OK,
        json!({"code": 0, "msg": "", "data": data, "detail": {"logid": ""}}),
    )
}

/// Success without a payload: `{code:0, msg:"", detail:{logid}}` (delete and the like).
pub fn ok_empty() -> Response {
    json_response(
        StatusCode::OK,
        json!({"code": 0, "msg": "", "detail": {"logid": ""}}),
    )
}

/// Success with the payload's keys at the top level next to `code`/`msg`/`detail`
/// (message list: `data`, `first_id`, `last_id`, `has_more`; modify: `message`).
pub fn ok_top_level(fields: Map<String, Value>) -> Response {
    let mut body = Map::new();
    body.insert("code".into(), json!(0));
    body.insert("msg".into(), json!(""));
    body.extend(fields);
    body.insert("detail".into(), json!({"logid": ""}));
    json_response(StatusCode::OK, Value::Object(body))
}

/// A body without envelope (the OAuth endpoints), with the logid header.
pub fn bare(status: StatusCode, body: Value) -> Response {
    json_response(status, body)
}

/// An error answered as `{code, msg, detail:{logid}}` with an HTTP status.
///
/// Statuses: 401 for 4100 / 700012006, 429 for 4013, 200 for every other business error
/// (Coze's SDKs decide by `code`, not by status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: i64,
    pub msg: String,
    /// Extra response headers (e.g. `Retry-After`).
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

impl ApiError {
    /// An error with the default status for `code`.
    pub fn new(code: i64, msg: impl Into<String>) -> ApiError {
        let status = match code {
            4100 | 700012006 => StatusCode::UNAUTHORIZED,
            4013 => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::OK,
        };
        ApiError {
            status,
            code,
            msg: msg.into(),
            headers: Vec::new(),
        }
    }

    /// Replaces the HTTP status.
    pub fn with_status(mut self, status: StatusCode) -> ApiError {
        self.status = status;
        self
    }

    /// Adds a response header.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> ApiError {
        self.headers.push((name, value));
        self
    }

    /// 4000: a bad parameter; `msg` says which and why.
    pub fn bad_request(msg: impl Into<String>) -> ApiError {
        ApiError::new(4000, msg)
    }

    /// 4100 on HTTP 401: missing, unknown or expired token.
    pub fn unauthorized() -> ApiError {
        ApiError::new(4100, "authentication is invalid")
    }

    /// 4101: the token may not touch this resource.
    pub fn forbidden(msg: impl Into<String>) -> ApiError {
        ApiError::new(4101, msg)
    }

    /// 4200: `what=id` does not exist (Coze's wording).
    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(
            4200,
            format!(
                "Requested resource {what}={id} does not exist. Ensure you are the correct resource identifier."
            ),
        )
    }

    /// 5000: something the emulator cannot do.
    pub fn internal(msg: impl Into<String>) -> ApiError {
        ApiError::new(5000, msg)
    }

    /// The JSON body of this error.
    pub fn body(&self) -> Value {
        json!({"code": self.code, "msg": self.msg, "detail": {"logid": ""}})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = json_response(self.status, self.body());
        for (name, value) in self.headers {
            response.headers_mut().insert(name, value);
        }
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "code {}: {}", self.code, self.msg)
    }
}

impl std::error::Error for ApiError {}

/// A `text/html` error page like a proxy in front of Coze serves (for the HTML fault).
pub fn html_page(status: StatusCode) -> Response {
    let reason = status.canonical_reason().unwrap_or("Error");
    let body = format!(
        "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n",
        code = status.as_u16()
    );
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    set_logid(response.headers_mut(), &new_logid());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logid_has_coze_shape() {
        let id = new_logid();
        assert_eq!(id.len(), 34, "{id}");
        assert!(id[..14].bytes().all(|b| b.is_ascii_digit()), "{id}");
        assert!(
            id[14..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
        );
        assert!(id.starts_with("20"), "{id}");
    }

    #[test]
    fn auth_errors_are_401_and_others_200() {
        assert_eq!(ApiError::unauthorized().status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            ApiError::new(4013, "x").status,
            StatusCode::TOO_MANY_REQUESTS
        );
        assert_eq!(ApiError::not_found("bot_id", "1").status, StatusCode::OK);
        assert_eq!(ApiError::not_found("bot_id", "1").code, 4200);
    }
}
