//! Bearer-token check against the token registry.
//!
//! Handlers that need a token take an [`Authed`] argument; a missing, unknown or expired
//! token is answered with HTTP 401 `{code:4100, msg:"authentication is invalid"}` before the
//! handler runs. Endpoints that take other credentials (the OAuth token endpoint) simply do
//! not use the extractor.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};

use crate::envelope::ApiError;
use crate::state::{AppState, TokenInfo};

/// The caller's token, checked. Holds what the registry knows, not the token itself.
#[derive(Debug, Clone)]
pub struct Authed(pub TokenInfo);

impl Authed {
    /// The user the token acts for.
    pub fn user_id(&self) -> &str {
        &self.0.user_id
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive,
/// surrounding spaces ignored); `None` if absent or of another scheme.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Looks the request's bearer token up; 4100 if missing, unknown or expired.
///
/// # Errors
/// [`ApiError::unauthorized`] (HTTP 401, code 4100).
pub fn check(state: &AppState, headers: &HeaderMap) -> Result<TokenInfo, ApiError> {
    let token = bearer(headers).ok_or_else(ApiError::unauthorized)?;
    let now = state.now();
    let store = state.store();
    match store.tokens.get(token) {
        Some(info) if !info.is_expired(now) => Ok(info.clone()),
        _ => Err(ApiError::unauthorized()),
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        check(state, &parts.headers).map(Authed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(value).expect("ascii test value"),
        );
        h
    }

    #[test]
    fn parses_bearer_leniently() {
        assert_eq!(bearer(&headers("Bearer pat_x")), Some("pat_x"));
        assert_eq!(bearer(&headers("bearer  pat_x ")), Some("pat_x"));
        assert_eq!(bearer(&headers("Basic abc")), None);
        assert_eq!(bearer(&headers("Bearer ")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
