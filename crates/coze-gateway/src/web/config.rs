//! `[web]` of `gateway.toml`: the chat page, its limits, tool handlers and the Web SDK token
//! endpoint.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;

use crate::secret::Secret;

/// `[web]`. Present = the chat page is served at the gateway's root.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WebConfig {
    /// The bots visitors may chat with (a picker shows when there are several). Required.
    #[serde(default)]
    pub bots: Vec<String>,
    /// Sites that may embed the page (iframe / `embed.js`) and call the token endpoint, as
    /// origins: `https://www.example.com`. Empty: the page cannot be framed.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// The key that signs session cookies (at least 32 characters; or `COZE_WEB_SESSION_SECRET`).
    /// Left out: a random key is made once and kept in the store, so every instance sharing
    /// the store uses it.
    #[serde(default, deserialize_with = "crate::secret::deserialize_optional")]
    pub session_secret: Option<Secret>,
    /// How long a visitor keeps their session (days, default 30).
    #[serde(default)]
    pub session_days: Option<u64>,
    /// Longest message a visitor may send (characters, default 4000).
    #[serde(default)]
    pub max_message_chars: Option<usize>,
    /// Largest upload (MB, default 10).
    #[serde(default)]
    pub max_file_mb: Option<u64>,
    /// Accepted uploads: MIME types, `type/*` or `.ext` (default: common images, PDF, text,
    /// office documents).
    #[serde(default)]
    pub file_types: Option<Vec<String>>,
    /// Messages per visitor per minute (default 10).
    #[serde(default)]
    pub visitor_messages_per_minute: Option<u64>,
    /// Messages per client IP per minute (default 30).
    #[serde(default)]
    pub ip_messages_per_minute: Option<u64>,
    /// Trust `X-Forwarded-For` / `X-Forwarded-Proto` / `X-Forwarded-Host` (behind a reverse
    /// proxy you run). Default false.
    #[serde(default)]
    pub trust_forwarded: bool,
    /// Where the gateway posts a bot's tool calls, per tool (function) name. A tool left out
    /// gets an error output (see the module docs).
    #[serde(default)]
    pub tools: BTreeMap<String, ToolHandler>,
    /// Tokens for Coze's own Web SDK (`POST /api/sdk-token`). Needs `[upstream] auth = "jwt"`.
    #[serde(default)]
    pub sdk_token: Option<SdkTokenConfig>,
}

/// `[web.tools.<name>]`: the operator's handler of one tool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolHandler {
    /// The URL the gateway POSTs the call to (http or https).
    pub url: String,
    /// Sent as `Authorization: Bearer <token>` so the handler knows the call is ours.
    #[serde(default, deserialize_with = "crate::secret::deserialize_optional")]
    pub token: Option<Secret>,
    /// Seconds to wait for the handler (default 30).
    #[serde(default)]
    pub timeout_seconds: Option<u64>,
}

/// `[web.sdk_token]`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SdkTokenConfig {
    /// Lifetime of a minted token (seconds, default 900, at most 86399).
    #[serde(default)]
    pub duration_seconds: Option<u64>,
    /// Tokens per visitor per minute (default 5).
    #[serde(default)]
    pub per_minute: Option<u64>,
    /// Shared secret of the operator's own login: their backend signs an HS256 JWT with it
    /// (`sub` = their user id, `exp`), and the page sends it as `Authorization: Bearer`.
    /// Or `COZE_WEB_LOGIN_SECRET`.
    #[serde(default, deserialize_with = "crate::secret::deserialize_optional")]
    pub login_secret: Option<Secret>,
    /// The JWT service app that mints the tokens, when it is not `[upstream]`'s: the app's
    /// `coze_oauth_config.json`, or `app_id` + `key_id` + `private_key` (PEM file).
    #[serde(default)]
    pub oauth_config: Option<std::path::PathBuf>,
    /// See `oauth_config`.
    #[serde(default)]
    pub app_id: Option<String>,
    /// See `oauth_config`.
    #[serde(default)]
    pub key_id: Option<String>,
    /// See `oauth_config`.
    #[serde(default)]
    pub private_key: Option<std::path::PathBuf>,
}

impl SdkTokenConfig {
    /// Whether it names its own JWT app (else `[upstream]`'s is used).
    pub fn has_own_app(&self) -> bool {
        self.oauth_config.is_some()
            || self.app_id.is_some()
            || self.key_id.is_some()
            || self.private_key.is_some()
    }
}

/// The default accepted uploads.
pub const DEFAULT_FILE_TYPES: &[&str] = &[
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/webp",
    "application/pdf",
    "text/plain",
    "text/markdown",
    "text/csv",
    ".docx",
    ".xlsx",
    ".pptx",
];

/// `[web]` checked, with defaults filled in.
#[derive(Debug, Clone)]
pub struct WebSettings {
    pub bots: Vec<String>,
    pub allowed_origins: Vec<String>,
    pub session_secret: Option<Secret>,
    pub session_ttl: Duration,
    pub max_message_chars: usize,
    pub max_file_bytes: u64,
    pub file_types: Vec<String>,
    pub visitor_per_minute: u64,
    pub ip_per_minute: u64,
    pub trust_forwarded: bool,
    pub tools: BTreeMap<String, ToolHandler>,
    pub sdk_token: Option<SdkTokenSettings>,
}

/// `[web.sdk_token]` checked.
#[derive(Debug, Clone)]
pub struct SdkTokenSettings {
    pub duration_seconds: u64,
    pub per_minute: u64,
    pub login_secret: Option<Secret>,
}

impl WebConfig {
    /// Checks the section and fills in defaults.
    ///
    /// # Errors
    ///
    /// A one-line message naming the setting and what to write instead.
    pub fn settings(&self) -> Result<WebSettings, String> {
        let bots: Vec<String> = self
            .bots
            .iter()
            .map(|b| b.trim().to_owned())
            .filter(|b| !b.is_empty())
            .collect();
        if bots.is_empty() {
            return Err(
                "[web] bots is empty: list the bot ids visitors may chat with, e.g. bots = [\"7351234567890123456\"]"
                    .into(),
            );
        }
        if let Some(bad) = bots.iter().find(|b| !b.bytes().all(|c| c.is_ascii_digit())) {
            return Err(format!(
                "[web] bots: {bad:?} is not a bot id (the digits at the end of the bot's URL in Coze)"
            ));
        }
        let mut allowed_origins = Vec::new();
        for origin in &self.allowed_origins {
            allowed_origins.push(normalize_origin(origin)?);
        }
        let env_secret = |name: &str| {
            std::env::var(name)
                .ok()
                .map(Secret::trimmed)
                .filter(|s| !s.is_empty())
        };
        let session_secret = self
            .session_secret
            .clone()
            .or_else(|| env_secret("COZE_WEB_SESSION_SECRET"));
        if let Some(secret) = &session_secret
            && secret.expose().len() < 32
        {
            return Err(
                "[web] session_secret is shorter than 32 characters: use a long random string (e.g. `openssl rand -hex 32`) or leave it out"
                    .into(),
            );
        }
        let positive = |value: Option<u64>, default: u64, name: &str| match value {
            Some(0) => Err(format!("[web] {name} must be at least 1")),
            Some(v) => Ok(v),
            None => Ok(default),
        };
        let session_days = positive(self.session_days, 30, "session_days")?;
        let max_message_chars = match self.max_message_chars {
            Some(0) => return Err("[web] max_message_chars must be at least 1".into()),
            Some(n) => n,
            None => 4000,
        };
        let max_file_mb = positive(self.max_file_mb, 10, "max_file_mb")?;
        if max_file_mb > 512 {
            return Err("[web] max_file_mb is above 512, Coze's upload limit".into());
        }
        let file_types = match &self.file_types {
            Some(types) => types
                .iter()
                .map(|t| t.trim().to_ascii_lowercase())
                .collect(),
            None => DEFAULT_FILE_TYPES.iter().map(|t| (*t).to_owned()).collect(),
        };
        for (name, tool) in &self.tools {
            match url::Url::parse(&tool.url) {
                Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                _ => {
                    return Err(format!(
                        "[web.tools.{name}] url {:?} is not an http(s) URL",
                        tool.url
                    ));
                }
            }
        }
        let sdk_token = match &self.sdk_token {
            None => None,
            Some(t) => Some(SdkTokenSettings {
                duration_seconds: match t.duration_seconds {
                    Some(d @ 1..=86_399) => d,
                    Some(_) => {
                        return Err("[web.sdk_token] duration_seconds must be 1..86399".into());
                    }
                    None => 900,
                },
                per_minute: positive(t.per_minute, 5, "sdk_token.per_minute")?,
                login_secret: t
                    .login_secret
                    .clone()
                    .or_else(|| env_secret("COZE_WEB_LOGIN_SECRET")),
            }),
        };
        Ok(WebSettings {
            bots,
            allowed_origins,
            session_secret,
            session_ttl: Duration::from_secs(session_days.saturating_mul(86_400)),
            max_message_chars,
            max_file_bytes: max_file_mb * 1024 * 1024,
            file_types,
            visitor_per_minute: positive(
                self.visitor_messages_per_minute,
                10,
                "visitor_messages_per_minute",
            )?,
            ip_per_minute: positive(self.ip_messages_per_minute, 30, "ip_messages_per_minute")?,
            trust_forwarded: self.trust_forwarded,
            tools: self.tools.clone(),
            sdk_token,
        })
    }
}

/// `https://Example.com/` -> `https://example.com`; refuses what is not an origin.
fn normalize_origin(origin: &str) -> Result<String, String> {
    let bad = || {
        format!(
            "[web] allowed_origins: {origin:?} is not an origin: write scheme and host, e.g. \"https://www.example.com\""
        )
    };
    let url = url::Url::parse(origin.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || url.path() != "/"
        || url.query().is_some()
    {
        return Err(bad());
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<WebSettings, String> {
        toml::from_str::<WebConfig>(text)
            .map_err(|e| e.to_string())?
            .settings()
    }

    #[test]
    fn defaults_and_errors() {
        let s = parse("bots = [\"123\"]").expect("minimal");
        assert_eq!(s.max_message_chars, 4000);
        assert_eq!(s.max_file_bytes, 10 * 1024 * 1024);
        assert!(s.sdk_token.is_none());
        assert!(parse("").unwrap_err().contains("bots is empty"));
        assert!(
            parse("bots = [\"abc\"]")
                .unwrap_err()
                .contains("not a bot id")
        );
        assert!(
            parse("bots = [\"1\"]\nallowed_origins = [\"example.com\"]")
                .unwrap_err()
                .contains("not an origin")
        );
        let o = parse("bots = [\"1\"]\nallowed_origins = [\"https://Example.com/\"]").unwrap();
        assert_eq!(o.allowed_origins, ["https://example.com"]);
        assert!(
            parse("bots = [\"1\"]\nsession_secret = \"short\"")
                .unwrap_err()
                .contains("32")
        );
        assert!(
            parse("bots = [\"1\"]\n[tools.x]\nurl = \"file:///etc/passwd\"")
                .unwrap_err()
                .contains("http(s)")
        );
        assert!(
            parse("bots = [\"1\"]\n[sdk_token]\nduration_seconds = 90000")
                .unwrap_err()
                .contains("86399")
        );
        assert!(parse("bots = [\"1\"]\nbogus = 1").is_err());
    }
}
