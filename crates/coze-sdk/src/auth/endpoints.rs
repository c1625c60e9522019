//! Where the OAuth pages and endpoints live for a given API base URL.

use crate::error::{Error, Result};

/// The global API host (coze.com).
pub const COZE_COM_API_BASE: &str = "https://api.coze.com";
/// The China API host (coze.cn).
pub const COZE_CN_API_BASE: &str = "https://api.coze.cn";

/// The API base (token and device-code endpoints) and the web base (authorize page).
///
/// The web base is derived as the Python SDK does: `https://api.coze.com` ->
/// `https://www.coze.com`, `https://api.coze.cn` -> `https://www.coze.cn`, any other base
/// (an emulator, a proxy) -> the API base itself, so one origin serves everything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    api_base: String,
    www_base: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints::new(COZE_COM_API_BASE)
    }
}

impl Endpoints {
    /// Endpoints for an API base URL (trailing slashes are ignored).
    pub fn new(api_base: &str) -> Self {
        let api_base = api_base.trim_end_matches('/').to_string();
        let www_base = match api_base.as_str() {
            COZE_COM_API_BASE => "https://www.coze.com".to_string(),
            COZE_CN_API_BASE => "https://www.coze.cn".to_string(),
            other => other.to_string(),
        };
        Endpoints { api_base, www_base }
    }

    /// Overrides the web base (the host of the authorize page).
    pub fn with_www_base(mut self, www_base: &str) -> Self {
        self.www_base = www_base.trim_end_matches('/').to_string();
        self
    }

    /// The API base URL, without a trailing slash.
    pub fn api_base(&self) -> &str {
        &self.api_base
    }

    /// The web base URL, without a trailing slash.
    pub fn www_base(&self) -> &str {
        &self.www_base
    }

    /// `GET {www}/api/permission/oauth2[/workspace_id/{id}]/authorize`.
    pub fn authorize(&self, workspace_id: Option<&str>) -> String {
        match workspace_id {
            Some(ws) => format!(
                "{}/api/permission/oauth2/workspace_id/{}/authorize",
                self.www_base,
                segment(ws)
            ),
            None => format!("{}/api/permission/oauth2/authorize", self.www_base),
        }
    }

    /// `POST {api}/api/permission/oauth2/token` (or the account-scoped form for JWT apps).
    pub fn token(&self, account_id: Option<&str>) -> String {
        match account_id {
            Some(id) => format!(
                "{}/api/permission/oauth2/account/{}/token",
                self.api_base,
                segment(id)
            ),
            None => format!("{}/api/permission/oauth2/token", self.api_base),
        }
    }

    /// `POST {api}/api/permission/oauth2/enterprise_id/{id}/token`: a JWT app's token for an
    /// enterprise.
    pub fn enterprise_token(&self, enterprise_id: &str) -> String {
        format!(
            "{}/api/permission/oauth2/enterprise_id/{}/token",
            self.api_base,
            segment(enterprise_id)
        )
    }

    /// `POST {api}/api/permission/oauth2[/workspace_id/{id}]/device/code`.
    pub fn device_code(&self, workspace_id: Option<&str>) -> String {
        match workspace_id {
            Some(ws) => format!(
                "{}/api/permission/oauth2/workspace_id/{}/device/code",
                self.api_base,
                segment(ws)
            ),
            None => format!("{}/api/permission/oauth2/device/code", self.api_base),
        }
    }

    /// The JWT `aud` claim: the API base's host, with the port when one is given.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the API base is not an absolute http(s) URL.
    pub fn audience(&self) -> Result<String> {
        let url = url::Url::parse(&self.api_base).map_err(|e| {
            Error::Config(format!("base URL {:?} is not a URL: {e}", self.api_base))
        })?;
        let host = url
            .host_str()
            .ok_or_else(|| Error::Config(format!("base URL {:?} has no host", self.api_base)))?;
        Ok(match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_string(),
        })
    }
}

/// An id as one path segment: anything but RFC 3986 unreserved characters is
/// percent-encoded, so a pasted id with `/`, `?` or spaces cannot reach another endpoint.
fn segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn www_base_derivation() {
        assert_eq!(
            Endpoints::new("https://api.coze.com/").www_base(),
            "https://www.coze.com"
        );
        assert_eq!(
            Endpoints::new("https://api.coze.cn").www_base(),
            "https://www.coze.cn"
        );
        assert_eq!(
            Endpoints::new("https://api.example.com").authorize(None),
            "https://api.example.com/api/permission/oauth2/authorize"
        );
        assert_eq!(
            Endpoints::new("https://api.coze.com")
                .with_www_base("https://w.example/")
                .authorize(Some("this_is_id")),
            "https://w.example/api/permission/oauth2/workspace_id/this_is_id/authorize"
        );
    }

    #[test]
    fn endpoints_and_audience() {
        let e = Endpoints::new("http://127.0.0.1:4321");
        assert_eq!(
            e.token(None),
            "http://127.0.0.1:4321/api/permission/oauth2/token"
        );
        assert_eq!(
            e.token(Some("42")),
            "http://127.0.0.1:4321/api/permission/oauth2/account/42/token"
        );
        assert_eq!(
            e.device_code(Some("7")),
            "http://127.0.0.1:4321/api/permission/oauth2/workspace_id/7/device/code"
        );
        assert_eq!(e.audience().ok().as_deref(), Some("127.0.0.1:4321"));
        assert_eq!(
            Endpoints::default().audience().ok().as_deref(),
            Some("api.coze.com")
        );
        assert!(Endpoints::new("not a url").audience().is_err());
    }

    #[test]
    fn ids_cannot_escape_their_path_segment() {
        let e = Endpoints::new("http://127.0.0.1:4321");
        assert_eq!(
            e.device_code(Some("../../token?x=1")),
            "http://127.0.0.1:4321/api/permission/oauth2/workspace_id/..%2F..%2Ftoken%3Fx%3D1/device/code"
        );
        assert_eq!(
            e.authorize(Some("7 8")),
            "http://127.0.0.1:4321/api/permission/oauth2/workspace_id/7%208/authorize"
        );
        assert_eq!(
            e.token(Some("a/b")),
            "http://127.0.0.1:4321/api/permission/oauth2/account/a%2Fb/token"
        );
    }
}
