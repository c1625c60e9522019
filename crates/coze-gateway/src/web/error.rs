//! What a visitor sees when something fails: a short message in their language
//! (`{"error": {"message", "code"}}`), while the operator's log gets the Coze code and logid.

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The visitor's language, from `Accept-Language`: Chinese when preferred over English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    /// The first of `zh*` / `en*` in `Accept-Language` (order of the header; q-values are
    /// rarely used by browsers for ordering they did not already apply).
    pub fn of(headers: &HeaderMap) -> Lang {
        let value = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        for tag in value.split(',') {
            let tag = tag.trim().to_ascii_lowercase();
            if tag.starts_with("zh") {
                return Lang::Zh;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::En
    }

    /// `en` or `zh` of a message.
    pub fn pick(self, en: String, zh: String) -> String {
        match self {
            Lang::En => en,
            Lang::Zh => zh,
        }
    }
}

/// An error answer of the web API.
#[derive(Debug, Clone)]
pub struct WebError {
    pub status: StatusCode,
    /// A stable machine-readable name (`rate_limited`, `not_found`, ...).
    pub code: &'static str,
    /// Shown to the visitor.
    pub message: String,
    pub retry_after: Option<u64>,
}

impl WebError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        WebError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 404 for a conversation (or file) that does not exist or belongs to someone else: the
    /// same answer either way, so ids are not confirmed.
    pub fn not_found(lang: Lang, what: &str) -> Self {
        let message = match (lang, what) {
            (Lang::Zh, "file") => "找不到这个文件，请重新添加。".to_owned(),
            (Lang::Zh, _) => "找不到这个会话。".to_owned(),
            (Lang::En, "file") => "This file was not found; attach it again.".to_owned(),
            (Lang::En, _) => "This conversation was not found.".to_owned(),
        };
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// 429 with `Retry-After`.
    pub fn rate_limited(lang: Lang, retry_after: u64) -> Self {
        let secs = retry_after.max(1);
        let message = lang.pick(
            format!("You are sending messages too fast. Please wait {secs} seconds and try again."),
            format!("发送太频繁了，请 {secs} 秒后再试。"),
        );
        WebError {
            retry_after: Some(secs),
            ..Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message)
        }
    }

    /// 500/502 with a generic message; the caller logs the detail.
    pub fn unavailable(lang: Lang) -> Self {
        Self::new(
            StatusCode::BAD_GATEWAY,
            "unavailable",
            lang.pick(
                "The bot is not available right now. Please try again in a moment.".into(),
                "智能体暂时无法回答，请稍后再试。".into(),
            ),
        )
    }

    /// The visitor-facing answer to a failed Coze call; logs the code and logid.
    pub fn from_coze(lang: Lang, what: &str, error: &coze_sdk::Error) -> Self {
        tracing::warn!(
            target: "coze_gateway::web",
            code = error.code(),
            logid = error.logid().unwrap_or(""),
            error = %error,
            "{what} failed"
        );
        match error.code() {
            Some(4013) | Some(4019) | Some(4028) => Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                "busy",
                lang.pick(
                    "The bot is busy. Please try again in a minute.".into(),
                    "智能体正忙，请稍后再试。".into(),
                ),
            ),
            Some(4016) => Self::new(
                StatusCode::CONFLICT,
                "busy",
                lang.pick(
                    "The bot is still answering in this conversation. Wait for it or press Stop."
                        .into(),
                    "智能体仍在回答，请稍候或点击停止。".into(),
                ),
            ),
            Some(4200) => Self::not_found(lang, "conversation"),
            _ => Self::unavailable(lang),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            Json(json!({"error": {"message": self.message, "code": self.code}})),
        )
            .into_response();
        if let Some(secs) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_follows_the_browser() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::of(&h), Lang::En);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("zh-CN,zh;q=0.9,en;q=0.8"),
        );
        assert_eq!(Lang::of(&h), Lang::Zh);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("de-DE,en-US;q=0.7,zh;q=0.3"),
        );
        assert_eq!(Lang::of(&h), Lang::En);
    }
}
