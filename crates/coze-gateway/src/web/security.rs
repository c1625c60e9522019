//! Security headers on every answer of the web service, and the origin check of its API.
//!
//! - CSP: scripts, styles and connections only from the gateway itself; images also from
//!   https (bots answer with image links) and blob: (previews of the visitor's own uploads);
//!   `frame-ancestors` = the configured `allowed_origins` (`'none'` when empty).
//! - `X-Frame-Options: DENY` as well when the page may not be framed (old browsers).
//! - API requests whose `Origin` is neither the gateway's own nor allowed get 403, and so do
//!   requests a browser marks `Sec-Fetch-Site: cross-site` without an allowed `Origin`.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::WebState;
use super::error::{Lang, WebError};

/// The Content-Security-Policy of the page.
pub fn csp(allowed_origins: &[String]) -> String {
    let ancestors = if allowed_origins.is_empty() {
        "'none'".to_owned()
    } else {
        format!("'self' {}", allowed_origins.join(" "))
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data: https:; \
         connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; \
         base-uri 'none'; object-src 'none'; frame-ancestors {ancestors}"
    )
}

/// Whether the request came over https (directly, or per `X-Forwarded-Proto` when trusted).
pub fn is_https(headers: &HeaderMap, uri_scheme: Option<&str>, trust_forwarded: bool) -> bool {
    if uri_scheme == Some("https") {
        return true;
    }
    trust_forwarded
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').next().unwrap_or("").trim() == "https")
}

/// The gateway's own origin as the browser sees it (`Host`, or `X-Forwarded-Host`).
pub fn own_origin(headers: &HeaderMap, https: bool, trust_forwarded: bool) -> Option<String> {
    let forwarded = trust_forwarded
        .then(|| headers.get("x-forwarded-host"))
        .flatten();
    let host = forwarded
        .or_else(|| headers.get(header::HOST))?
        .to_str()
        .ok()?
        .split(',')
        .next()?
        .trim()
        .to_ascii_lowercase();
    let scheme = if https { "https" } else { "http" };
    let url = url::Url::parse(&format!("{scheme}://{host}")).ok()?;
    Some(url.origin().ascii_serialization())
}

/// Adds the security headers; refuses API calls from origins that are not allowed.
pub async fn layer(
    axum::extract::State(state): axum::extract::State<WebState>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let settings = state.settings();
    let path = request.uri().path().to_owned();
    let is_api = path.contains("/api/") || path.starts_with("api/");
    let headers = request.headers().clone();
    let https = is_https(
        &headers,
        request.uri().scheme_str(),
        settings.trust_forwarded,
    );
    let origin = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let allowed_cross = origin
        .as_deref()
        .filter(|o| settings.allowed_origins.iter().any(|a| a == o));
    if is_api {
        let own = own_origin(&headers, https, settings.trust_forwarded);
        let same = origin.is_some() && origin == own;
        let cross_site = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v == "cross-site");
        let refused = match &origin {
            Some(_) => !same && allowed_cross.is_none(),
            None => cross_site,
        };
        if refused {
            tracing::info!(
                target: "coze_gateway::web",
                origin = origin.as_deref().unwrap_or("(none)"),
                path,
                "refused a request from an origin that is not in [web] allowed_origins"
            );
            let lang = Lang::of(&headers);
            let message = lang.pick(
                "This site may not use this chat. Its owner can allow it in the gateway's [web] allowed_origins.".into(),
                "此网站无权使用这个聊天。网站所有者可以在网关的 [web] allowed_origins 中允许它。".into(),
            );
            let mut response =
                WebError::new(StatusCode::FORBIDDEN, "origin_not_allowed", message).into_response();
            secure_headers(
                response.headers_mut(),
                &settings.allowed_origins,
                https,
                true,
            );
            return response;
        }
        // CORS for the allowed sites (the Web SDK token endpoint is called from their pages).
        if let Some(origin) = allowed_cross
            && request.method() == Method::OPTIONS
        {
            let mut response = StatusCode::NO_CONTENT.into_response();
            cors(response.headers_mut(), origin);
            let h = response.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("authorization, content-type"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            return response;
        }
    }
    let allowed_cross = allowed_cross.map(str::to_owned);
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    secure_headers(h, &settings.allowed_origins, https, is_api);
    if is_api && let Some(origin) = allowed_cross {
        cors(h, &origin);
    }
    if path.ends_with("/embed.js") || path == "embed.js" {
        // Loaded by other sites' pages.
        h.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("cross-origin"),
        );
    }
    response
}

fn cors(h: &mut HeaderMap, origin: &str) {
    if let Ok(value) = HeaderValue::from_str(origin) {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, value);
        h.insert(
            header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
            HeaderValue::from_static("true"),
        );
        h.append(header::VARY, HeaderValue::from_static("Origin"));
    }
}

/// The headers every answer carries.
pub fn secure_headers(h: &mut HeaderMap, allowed_origins: &[String], https: bool, api: bool) {
    if let Ok(value) = HeaderValue::from_str(&csp(allowed_origins)) {
        h.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    if allowed_origins.is_empty() {
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("same-site"),
    );
    if https {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if api {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_ancestors_follow_the_allowed_origins() {
        assert!(csp(&[]).ends_with("frame-ancestors 'none'"));
        let c = csp(&["https://a.example".into(), "https://b.example".into()]);
        assert!(c.ends_with("frame-ancestors 'self' https://a.example https://b.example"));
        assert!(c.contains("script-src 'self';"));
        assert!(!c.contains("unsafe-inline"));
    }

    #[test]
    fn own_origin_from_host() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:8787"));
        assert_eq!(
            own_origin(&h, false, false).as_deref(),
            Some("http://127.0.0.1:8787")
        );
        h.insert(
            "x-forwarded-host",
            HeaderValue::from_static("chat.example.com"),
        );
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(
            own_origin(&h, false, false).as_deref(),
            Some("http://127.0.0.1:8787"),
            "forwarded headers are ignored unless trusted"
        );
        let https = is_https(&h, None, true);
        assert_eq!(
            own_origin(&h, https, true).as_deref(),
            Some("https://chat.example.com")
        );
    }
}
