//! Regions, base URLs and the environment variable names: where requests go.
//!
//! One set of region spellings for the SDK and the `coze` CLI ([`Region`]'s `FromStr`):
//!
//! | region | accepted spellings (any case, surrounding spaces ignored) | base URL |
//! |--------|-----------------------------------------------------------|----------|
//! | [`Region::Cn`]  | `cn`, `coze.cn`, `china`, `api.coze.cn`, `https://api.coze.cn`    | `https://api.coze.cn`  |
//! | [`Region::Com`] | `com`, `coze.com`, `global`, `api.coze.com`, `https://api.coze.com` | `https://api.coze.com` |
//!
//! A custom base URL (a self-hosted Coze Studio, a proxy, the emulator) is checked by
//! [`check_base_url`]: an absolute `http(s)` URL with a host, no query, no fragment, and no
//! user name or password (those would be printed in hints and logs, and sent as a second
//! `Authorization` header).

use crate::error::{Error, Result};

/// Base URL of the China region (coze.cn).
pub const CN_BASE_URL: &str = "https://api.coze.cn";
/// Base URL of the global region (coze.com).
pub const COM_BASE_URL: &str = "https://api.coze.com";

/// Environment variable holding the access token (same name as the official Python SDK).
pub const ENV_API_TOKEN: &str = "COZE_API_TOKEN";
/// Environment variable holding the base URL (same name as the official Python SDK).
pub const ENV_API_BASE: &str = "COZE_API_BASE";

/// A Coze region: which public API host to talk to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Region {
    /// China: `https://api.coze.cn`.
    Cn,
    /// Global: `https://api.coze.com`.
    Com,
}

impl Region {
    /// The API base URL of the region.
    pub fn base_url(self) -> &'static str {
        match self {
            Region::Cn => CN_BASE_URL,
            Region::Com => COM_BASE_URL,
        }
    }

    /// The short name (`cn` or `com`), as accepted by `FromStr` and printed by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Region::Cn => "cn",
            Region::Com => "com",
        }
    }

    /// The region of an official base URL; `None` for custom servers.
    pub fn from_base_url(base_url: &str) -> Option<Self> {
        match base_url.trim().trim_end_matches('/') {
            CN_BASE_URL => Some(Region::Cn),
            COM_BASE_URL => Some(Region::Com),
            _ => None,
        }
    }
}

impl std::fmt::Display for Region {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Region {
    type Err = Error;

    /// Parses one of the spellings in the module docs.
    fn from_str(s: &str) -> Result<Self> {
        let lower = s.trim().to_ascii_lowercase();
        let bare = lower
            .strip_prefix("https://")
            .unwrap_or(&lower)
            .trim_end_matches('/');
        match bare {
            "cn" | "coze.cn" | "china" | "api.coze.cn" => Ok(Region::Cn),
            "com" | "coze.com" | "global" | "api.coze.com" => Ok(Region::Com),
            _ => Err(Error::Config(format!(
                "unknown region `{}`: use `cn` (coze.cn) or `com` (coze.com)",
                s.trim()
            ))),
        }
    }
}

/// Checks and normalises a custom base URL: trims spaces and trailing slashes, and refuses
/// anything but an absolute `http(s)` URL with a host and without a query, a fragment, a
/// user name or a password.
///
/// # Errors
///
/// [`Error::Config`] naming what to change. The message never repeats a password.
pub fn check_base_url(raw: &str) -> Result<String> {
    let trimmed = raw.trim().trim_end_matches('/');
    let url = url::Url::parse(trimmed).map_err(|e| {
        Error::Config(format!(
            "invalid base URL `{}` ({e}): use a URL like https://api.coze.com",
            redact_userinfo(trimmed)
        ))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "invalid base URL `{}`: remove the user name and password from it; pass the token \
             with --token or COZE_API_TOKEN instead",
            redact_userinfo(trimmed)
        )));
    }
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::Config(format!(
            "invalid base URL `{trimmed}`: it must start with http:// or https://"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "invalid base URL `{trimmed}`: remove the query or fragment"
        )));
    }
    Ok(trimmed.to_owned())
}

/// `scheme://***@host...` for a URL string that may carry credentials before its host.
fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let redacted = match rest[..authority_end].rfind('@') {
        Some(at) => format!("***{}", &rest[at..]),
        None => rest.to_owned(),
    };
    match scheme {
        Some(s) => format!("{s}://{redacted}"),
        None => redacted,
    }
}

/// An environment variable's trimmed value, `None` when unset or blank.
pub(crate) fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_spelling_parses() {
        for s in [
            "cn",
            "CN",
            " coze.cn ",
            "china",
            "api.coze.cn",
            "https://api.coze.cn/",
        ] {
            assert_eq!(s.parse::<Region>().ok(), Some(Region::Cn), "{s}");
        }
        for s in [
            "com",
            "Global",
            "coze.com",
            "api.coze.com",
            "https://api.coze.com",
        ] {
            assert_eq!(s.parse::<Region>().ok(), Some(Region::Com), "{s}");
        }
        let err = "eu".parse::<Region>().unwrap_err().to_string();
        assert!(err.contains("`eu`") && err.contains("`cn`"), "{err}");
        assert_eq!(
            Region::Cn.to_string().parse::<Region>().ok(),
            Some(Region::Cn)
        );
    }

    #[test]
    fn base_urls_are_checked() {
        assert_eq!(
            check_base_url(" http://127.0.0.1:8080/ ").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(check_base_url("api.coze.com").is_err());
        assert!(check_base_url("ftp://x").is_err());
        assert!(check_base_url("https://x/?a=1").is_err());
        let err = check_base_url("https://bob:hunter2@proxy.example/api")
            .unwrap_err()
            .to_string();
        assert!(err.contains("user name and password"), "{err}");
        assert!(!err.contains("hunter2") && !err.contains("bob"), "{err}");
        assert!(err.contains("https://***@proxy.example/api"), "{err}");
        assert!(check_base_url("http://token@127.0.0.1:1").is_err());
        assert_eq!(
            Region::from_base_url("https://api.coze.cn/"),
            Some(Region::Cn)
        );
    }
}
