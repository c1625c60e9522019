//! Sans-IO request descriptions for the OAuth endpoints, the response parser, and the small
//! reqwest driver that sends one.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::tokens::{DeviceCode, OAuthToken, RawDeviceCode, RawToken};
use crate::error::{Error, Result};
use crate::request::Envelope;
use crate::response::{Endpoint, Meta, classify, classify_meta};
use crate::secret::Secret;

/// HTTP method of an [`OAuthRequest`] (the OAuth endpoints only use `POST`; the authorize
/// page is a URL, not a request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuthMethod {
    /// `POST` with a JSON body.
    Post,
}

/// One call to an OAuth endpoint, fully described, not yet sent: tests inspect it without a
/// network, [`OAuthRequest::send_token`] / [`OAuthRequest::send_device_code`] send it.
///
/// # Security
///
/// The bearer credential (client secret or signed JWT) is a [`Secret`], and `Debug` prints
/// only the body's keys, since values such as `code`, `code_verifier` and `refresh_token`
/// are secret.
pub struct OAuthRequest {
    pub(crate) method: OAuthMethod,
    pub(crate) url: String,
    pub(crate) bearer: Option<Secret>,
    pub(crate) body: Value,
}

impl OAuthRequest {
    pub(crate) fn post(url: String, bearer: Option<Secret>, body: Value) -> Self {
        OAuthRequest {
            method: OAuthMethod::Post,
            url,
            bearer,
            body,
        }
    }

    /// The HTTP method.
    pub fn method(&self) -> OAuthMethod {
        self.method
    }

    /// The full URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The credential sent as `Authorization: Bearer …` (client secret or JWT), if any.
    pub fn bearer(&self) -> Option<&Secret> {
        self.bearer.as_ref()
    }

    /// The headers to send, `Content-Type` first. The `Authorization` value is exposed here.
    ///
    /// # Security
    ///
    /// Do not log the returned values.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![("Content-Type", "application/json".to_string())];
        if let Some(bearer) = &self.bearer {
            headers.push(("Authorization", format!("Bearer {}", bearer.expose())));
        }
        headers
    }

    /// The JSON body.
    ///
    /// # Security
    ///
    /// Holds codes, verifiers or refresh tokens; do not log it.
    pub fn body(&self) -> &Value {
        &self.body
    }

    /// Sends a token request (code exchange, refresh, device poll, JWT) and reads the token.
    ///
    /// # Errors
    ///
    /// [`Error::Connect`] / [`Error::Http`] when sending fails, [`Error::OAuth`] for an
    /// OAuth error body, [`Error::Api`] for a Coze envelope error,
    /// [`Error::UnexpectedResponse`] or [`Error::Decode`] for anything else.
    pub async fn send_token(&self, http: &reqwest::Client) -> Result<OAuthToken> {
        self.send::<RawToken>(http).await.map(OAuthToken::from)
    }

    /// Sends a device-code request and reads the code to show the user.
    ///
    /// # Errors
    ///
    /// As [`OAuthRequest::send_token`].
    pub async fn send_device_code(&self, http: &reqwest::Client) -> Result<DeviceCode> {
        self.send::<RawDeviceCode>(http).await.map(DeviceCode::from)
    }

    async fn send<T: DeserializeOwned>(&self, http: &reqwest::Client) -> Result<T> {
        let mut builder = match self.method {
            OAuthMethod::Post => http.post(&self.url),
        };
        for (name, value) in self.headers() {
            builder = builder.header(name, value);
        }
        let http_err = |source: reqwest::Error| {
            let (base_url, path) = split_url(&self.url);
            if source.is_connect() {
                Error::Connect { base_url, source }
            } else {
                Error::Http { path, source }
            }
        };
        let response = builder
            .body(self.body.to_string())
            .send()
            .await
            .map_err(http_err)?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = response.bytes().await.map_err(http_err)?;
        let (base_url, path) = split_url(&self.url);
        let endpoint = Endpoint {
            base_url: &base_url,
            path: &path,
        };
        classify(endpoint, Envelope::Whole, status, &headers, &bytes).map(|d| d.value)
    }
}

impl fmt::Debug for OAuthRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<&str> = match &self.body {
            Value::Object(map) => map.keys().map(String::as_str).collect(),
            _ => Vec::new(),
        };
        f.debug_struct("OAuthRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("bearer", &self.bearer)
            .field("body_keys", &keys)
            .finish()
    }
}

/// Reads an OAuth endpoint's answer with the SDK's one response classifier: a bare JSON
/// object on success; an `error_code` or `error` body (any status) is [`Error::OAuth`], a
/// non-zero `code` is [`Error::Api`], a non-JSON body or an error status without a Coze body
/// is [`Error::UnexpectedResponse`].
///
/// # Errors
///
/// See [`OAuthRequest::send_token`].
pub fn parse_response<T: DeserializeOwned>(
    url: &str,
    status: u16,
    logid: Option<String>,
    body: &[u8],
) -> Result<T> {
    let (base_url, path) = split_url(url);
    let endpoint = Endpoint {
        base_url: &base_url,
        path: &path,
    };
    let meta = Meta {
        status,
        logid,
        retry_after: None,
    };
    classify_meta(endpoint, Envelope::Whole, &meta, body).map(|d| d.value)
}

/// `(base URL, path)` of a full URL, for error messages.
fn split_url(url: &str) -> (String, String) {
    match url::Url::parse(url) {
        Ok(parsed) => {
            let path = parsed.path().to_string();
            let base = url.strip_suffix(&path).unwrap_or(url).to_string();
            (base, path)
        }
        Err(_) => (url.to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::error::OAuthErrorKind;

    fn parse(status: u16, body: &str) -> Result<OAuthToken> {
        parse_response::<RawToken>(
            "http://127.0.0.1:1/api/permission/oauth2/token",
            status,
            None,
            body.as_bytes(),
        )
        .map(OAuthToken::from)
    }

    #[test]
    fn success_is_a_bare_token() {
        let t = parse(
            200,
            r#"{"access_token":"czu_x","expires_in":5,"refresh_token":"r"}"#,
        );
        assert_eq!(t.map(|t| t.expires_at).ok(), Some(5));
    }

    #[test]
    fn errors_from_error_code_or_error() {
        let e = parse(
            400,
            r#"{"error_code":"slow_down","error_message":"too fast"}"#,
        );
        match e {
            Err(Error::OAuth(e)) => {
                assert_eq!(e.kind(), OAuthErrorKind::SlowDown);
                assert_eq!(e.message.as_deref(), Some("too fast"));
            }
            other => panic!("unexpected {other:?}"),
        }
        let e = parse(400, r#"{"error":"access_denied","error_description":"no"}"#);
        assert!(matches!(e, Err(Error::OAuth(e)) if e.kind() == OAuthErrorKind::AccessDenied));
        // The status does not decide: an error body on HTTP 200 is still an error.
        let e = parse(200, r#"{"error_code":"authorization_pending"}"#);
        assert!(
            matches!(e, Err(Error::OAuth(e)) if e.kind() == OAuthErrorKind::AuthorizationPending)
        );
    }

    #[test]
    fn envelope_html_and_garbage() {
        let e = parse(401, r#"{"code":4100,"msg":"authentication is invalid"}"#);
        assert!(
            matches!(&e, Err(Error::Api(a)) if a.code == 4100 && a.path == "/api/permission/oauth2/token")
        );
        let e = parse(502, "<html>bad\n gateway</html>");
        assert!(
            matches!(e, Err(Error::UnexpectedResponse { status: 502, ref body_start, ref base_url, .. })
            if body_start == "<html>bad gateway</html>" && base_url == "http://127.0.0.1:1")
        );
        let e = parse(200, r#"{"unexpected":true}"#);
        assert!(matches!(e, Err(Error::Decode { .. })));
        let e = parse(500, r#"{}"#);
        assert!(matches!(
            e,
            Err(Error::UnexpectedResponse { status: 500, .. })
        ));
    }

    #[test]
    fn debug_hides_values() {
        let r = OAuthRequest::post(
            "u".into(),
            Some(Secret::new("client-secret-1")),
            serde_json::json!({"refresh_token":"rt-secret"}),
        );
        let d = format!("{r:?}");
        assert!(
            d.contains("refresh_token")
                && !d.contains("rt-secret")
                && !d.contains("client-secret-1")
        );
    }
}
