//! How OAuth failures map onto the SDK's [`Error`], and helpers to classify them.
//!
//! OAuth error bodies become [`Error::OAuth`]; a bad private key, an unusable config file, a
//! failed store or a token that cannot be renewed become [`Error::Auth`] / [`Error::Config`]
//! with a one-line message that says what to do.

use crate::error::{Error, OAuthError};

/// The kind of an OAuth error, from its `error_code` / `error` value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuthErrorKind {
    /// Device flow: the user has not approved yet (keep polling).
    AuthorizationPending,
    /// Device flow: polled too fast (wait 5 s longer from now on).
    SlowDown,
    /// The user denied the request, or the app is deactivated (`access_deny`).
    AccessDenied,
    /// Device flow: the device code expired before approval.
    ExpiredToken,
    /// Unknown client id, wrong client secret, or a bad JWT.
    InvalidClient,
    /// A code or refresh token that is unknown, used, expired or revoked; a PKCE verifier or
    /// redirect URI that does not match.
    InvalidGrant,
    /// A missing or malformed parameter.
    InvalidRequest,
    /// The grant type is not allowed for this app.
    UnsupportedGrantType,
    /// Any other code, as sent.
    Other(String),
}

impl OAuthErrorKind {
    /// The kind of a wire code.
    pub fn from_code(code: &str) -> Self {
        match code {
            "authorization_pending" => OAuthErrorKind::AuthorizationPending,
            "slow_down" => OAuthErrorKind::SlowDown,
            "access_denied" | "access_deny" => OAuthErrorKind::AccessDenied,
            "expired_token" => OAuthErrorKind::ExpiredToken,
            "invalid_client" | "unauthorized" | "unauthorized_client" => {
                OAuthErrorKind::InvalidClient
            }
            "invalid_grant" => OAuthErrorKind::InvalidGrant,
            "invalid_request" => OAuthErrorKind::InvalidRequest,
            "unsupported_grant_type" => OAuthErrorKind::UnsupportedGrantType,
            other => OAuthErrorKind::Other(other.to_string()),
        }
    }

    /// The kind of an SDK error, when it is an OAuth error.
    pub fn of(err: &Error) -> Option<Self> {
        match err {
            Error::OAuth(e) => Some(e.kind()),
            _ => None,
        }
    }
}

impl OAuthError {
    /// What kind of OAuth error this is.
    pub fn kind(&self) -> OAuthErrorKind {
        OAuthErrorKind::from_code(&self.error)
    }
}

/// True when only a new login helps: the refresh token or code is no longer valid, the
/// user denied, the device code expired, or there is nothing to renew the token with.
pub fn needs_login(err: &Error) -> bool {
    match err {
        Error::OAuth(e) => matches!(
            e.kind(),
            OAuthErrorKind::InvalidGrant
                | OAuthErrorKind::AccessDenied
                | OAuthErrorKind::ExpiredToken
        ),
        Error::Auth { message, .. } => message.contains("log in again"),
        _ => false,
    }
}

/// An OAuth error as read from a response.
pub(crate) fn oauth_error(code: &str, message: &str, status: u16, logid: Option<String>) -> Error {
    Error::from(OAuthError {
        status,
        error: code.to_string(),
        message: (!message.is_empty()).then(|| message.to_string()),
        logid,
    })
}

/// A one-line [`Error::Auth`] without a source.
pub(crate) fn auth_error(message: impl Into<String>) -> Error {
    Error::Auth {
        message: message.into(),
        source: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_and_login_advice() {
        let e = oauth_error("invalid_grant", "refresh token expired", 400, None);
        assert_eq!(OAuthErrorKind::of(&e), Some(OAuthErrorKind::InvalidGrant));
        assert!(needs_login(&e));
        assert!(e.hint().is_some_and(|h| h.contains("log in again")));
        assert_eq!(
            e.to_string(),
            "oauth error invalid_grant: refresh token expired (HTTP 400)"
        );
        assert!(!needs_login(&oauth_error("slow_down", "", 400, None)));
        assert_eq!(
            OAuthErrorKind::from_code("access_deny"),
            OAuthErrorKind::AccessDenied
        );
        assert_eq!(
            OAuthErrorKind::from_code("xyz"),
            OAuthErrorKind::Other("xyz".into())
        );
    }
}
