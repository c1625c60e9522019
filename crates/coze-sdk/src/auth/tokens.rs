//! What the token and device-code endpoints return.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use crate::secret::Secret;

/// Unix seconds now (0 if the clock is before 1970).
pub(crate) fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// An access token as issued by the token endpoint.
///
/// # Security
///
/// Both tokens are [`Secret`]s; `Debug` shows only the expiry and whether a refresh token
/// is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthToken {
    /// The bearer token (`czu_…` for user tokens, `czs_…` for JWT service tokens).
    pub access_token: Secret,
    /// The refresh token (code, PKCE and device grants; rotated on every use). JWT tokens
    /// have none: sign a new JWT instead.
    pub refresh_token: Option<Secret>,
    /// When the access token expires, in Unix seconds (Coze's `expires_in` is this absolute
    /// time, not a duration).
    pub expires_at: u64,
    /// `token_type` as sent (usually empty or `Bearer`).
    pub token_type: String,
}

impl OAuthToken {
    /// A token from stored parts (e.g. a credentials file).
    pub fn new(access_token: Secret, refresh_token: Option<Secret>, expires_at: u64) -> Self {
        OAuthToken {
            access_token,
            refresh_token,
            expires_at,
            token_type: String::new(),
        }
    }

    /// Seconds left at `now` (0 when expired).
    pub fn remaining(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now)
    }

    /// True when the token is still valid for `margin` seconds at `now`.
    pub fn is_fresh(&self, now: u64, margin: u64) -> bool {
        now.saturating_add(margin) < self.expires_at
    }
}

/// The wire form; `expires_in` is the absolute expiry (some servers send it as a string).
#[derive(Deserialize)]
pub(crate) struct RawToken {
    access_token: String,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(deserialize_with = "int_or_string")]
    expires_in: u64,
    #[serde(default)]
    token_type: Option<String>,
}

impl From<RawToken> for OAuthToken {
    fn from(raw: RawToken) -> Self {
        OAuthToken {
            access_token: Secret::new(raw.access_token),
            refresh_token: raw.refresh_token.filter(|r| !r.is_empty()).map(Secret::new),
            expires_at: raw.expires_in,
            token_type: raw.token_type.unwrap_or_default(),
        }
    }
}

/// The answer of the device-code endpoint: what to show the user, and what to poll with.
///
/// # Security
///
/// `device_code` is a [`Secret`]: whoever holds it gets the token once the user approves.
#[derive(Debug)]
pub struct DeviceCode {
    /// Sent back when polling.
    pub device_code: Secret,
    /// The code the user types on the verification page (e.g. `WDJB-MJHT`).
    pub user_code: String,
    /// The page where the user approves.
    pub verification_uri: String,
    /// Seconds until the device code expires (a duration here, unlike the token's).
    pub expires_in: u64,
    /// Seconds to wait between two polls.
    pub interval: u64,
}

impl DeviceCode {
    /// The verification page with the user code filled in, as the official SDKs build it.
    pub fn verification_url(&self) -> String {
        let sep = if self.verification_uri.contains('?') {
            '&'
        } else {
            '?'
        };
        let code: String =
            url::form_urlencoded::byte_serialize(self.user_code.as_bytes()).collect();
        format!("{}{sep}user_code={code}", self.verification_uri)
    }
}

#[derive(Deserialize)]
pub(crate) struct RawDeviceCode {
    device_code: String,
    #[serde(deserialize_with = "string_or_int")]
    user_code: String,
    verification_uri: String,
    #[serde(default = "default_device_ttl", deserialize_with = "int_or_string")]
    expires_in: u64,
    #[serde(default = "default_interval", deserialize_with = "int_or_string")]
    interval: u64,
}

fn default_device_ttl() -> u64 {
    300
}

fn default_interval() -> u64 {
    5
}

impl From<RawDeviceCode> for DeviceCode {
    fn from(raw: RawDeviceCode) -> Self {
        DeviceCode {
            device_code: Secret::new(raw.device_code),
            user_code: raw.user_code,
            verification_uri: raw.verification_uri,
            expires_in: raw.expires_in,
            interval: raw.interval,
        }
    }
}

fn int_or_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Int(u64),
        Str(String),
    }
    match N::deserialize(d)? {
        N::Int(n) => Ok(n),
        N::Str(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}

fn string_or_int<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum S {
        Str(String),
        Int(i64),
    }
    Ok(match S::deserialize(d)? {
        S::Str(s) => s,
        S::Int(n) => n.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_expires_in_is_absolute() {
        let raw: RawToken = serde_json::from_str(
            r#"{"access_token":"czu_a","expires_in":1720098388,"refresh_token":"r1","token_type":"Bearer"}"#,
        )
        .expect("valid fixture");
        let t = OAuthToken::from(raw);
        assert_eq!(t.expires_at, 1_720_098_388);
        assert_eq!(t.refresh_token.as_ref().map(Secret::expose), Some("r1"));
        assert!(t.is_fresh(1_720_098_000, 30));
        assert!(!t.is_fresh(1_720_098_370, 30));
        assert!(!format!("{t:?}").contains("czu_a"));
    }

    #[test]
    fn jwt_token_has_no_refresh_and_string_expiry_parses() {
        let raw: RawToken = serde_json::from_str(r#"{"access_token":"czs_a","expires_in":"99"}"#)
            .expect("valid fixture");
        let t = OAuthToken::from(raw);
        assert_eq!((t.expires_at, t.refresh_token.is_none()), (99, true));
    }

    #[test]
    fn device_code_parses_and_builds_the_url() {
        let raw: RawDeviceCode = serde_json::from_str(
            r#"{"device_code":"dc","user_code":"WDJB-MJHT","verification_uri":"https://www.coze.com/device","expires_in":300,"interval":5}"#,
        )
        .expect("valid fixture");
        let d = DeviceCode::from(raw);
        assert_eq!(
            d.verification_url(),
            "https://www.coze.com/device?user_code=WDJB-MJHT"
        );
        let raw: RawDeviceCode =
            serde_json::from_str(r#"{"device_code":"dc","user_code":1234,"verification_uri":"u"}"#)
                .expect("valid fixture");
        let d = DeviceCode::from(raw);
        assert_eq!(
            (d.user_code.as_str(), d.interval, d.expires_in),
            ("1234", 5, 300)
        );
    }
}
