//! The `coze_oauth_config.json` file that the Coze console hands out for an OAuth app.

use std::path::Path;

use serde_json::{Map, Value};

use super::app::OAuthApp;
use super::endpoints::Endpoints;
use super::jwt::{JwtApp, JwtKey};
use crate::error::{Error, Result};
use crate::secret::Secret;

/// The kind of OAuth app (`client_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientType {
    /// `web`: authorization code with a client secret.
    Web,
    /// `pkce`: authorization code with a PKCE verifier, no secret.
    Pkce,
    /// `device`: device code, no secret.
    Device,
    /// `jwt` (the Java quickstart says `server`): service app signing JWTs.
    Jwt,
}

impl ClientType {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ClientType::Web => "web",
            ClientType::Pkce => "pkce",
            ClientType::Device => "device",
            ClientType::Jwt => "jwt",
        }
    }
}

/// A parsed `coze_oauth_config.json`.
///
/// Fields: `client_type` (`web` | `pkce` | `device` | `jwt`), `client_id`, `coze_api_base`,
/// optional `coze_www_base` and `redirect_uris`; web apps add `client_secret`, JWT apps
/// `private_key` (the PEM text) and `public_key_id`.
///
/// # Security
///
/// The client secret and private key are [`Secret`]s (redacted in `Debug`).
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    /// The app kind.
    pub client_type: ClientType,
    /// The client (app) id.
    pub client_id: String,
    /// Web apps: the client secret.
    pub client_secret: Option<Secret>,
    /// JWT apps: the PEM private key.
    pub private_key: Option<Secret>,
    /// JWT apps: the public key's id (`kid`).
    pub public_key_id: Option<String>,
    /// The API base (`https://api.coze.cn` or `https://api.coze.com`).
    pub coze_api_base: String,
    /// The web base, when the file gives one.
    pub coze_www_base: Option<String>,
    /// Redirect URIs registered for the app, when the file lists them.
    pub redirect_uris: Vec<String>,
}

impl OAuthConfig {
    /// Reads and parses a config file.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the file and the problem (unreadable, not JSON, a missing
    /// or mistyped field, an unknown `client_type`).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {e}", path.display())))?;
        OAuthConfig::parse(&text).map_err(|msg| Error::Config(format!("{}: {msg}", path.display())))
    }

    /// Parses the JSON text of a config file.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] naming the missing or bad field.
    pub fn from_json(text: &str) -> Result<Self> {
        OAuthConfig::parse(text).map_err(|msg| Error::Config(format!("oauth config: {msg}")))
    }

    fn parse(text: &str) -> std::result::Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
        let obj = value.as_object().ok_or("expected a JSON object")?;
        let client_type = match required(obj, "client_type", None)?.as_str() {
            "web" => ClientType::Web,
            "pkce" => ClientType::Pkce,
            "device" => ClientType::Device,
            "jwt" | "server" => ClientType::Jwt,
            other => {
                return Err(format!(
                    "unknown client_type {other:?} (expected web, pkce, device or jwt)"
                ));
            }
        };
        let kind = Some(client_type);
        let client_id = required(obj, "client_id", None)?;
        let coze_api_base = required(obj, "coze_api_base", None)?;
        let (client_secret, private_key, public_key_id) = match client_type {
            ClientType::Web => (
                Some(Secret::new(required(obj, "client_secret", kind)?)),
                None,
                None,
            ),
            ClientType::Jwt => (
                None,
                Some(Secret::new(required(obj, "private_key", kind)?)),
                Some(required(obj, "public_key_id", kind)?),
            ),
            ClientType::Pkce | ClientType::Device => (None, None, None),
        };
        let redirect_uris = match obj.get("redirect_uris") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_string))
                .collect::<Option<Vec<_>>>()
                .ok_or("field `redirect_uris` must hold strings")?,
            Some(_) => {
                return Err("field `redirect_uris` must be a list".into());
            }
        };
        Ok(OAuthConfig {
            client_type,
            client_id,
            client_secret,
            private_key,
            public_key_id,
            coze_api_base,
            coze_www_base: optional(obj, "coze_www_base")?,
            redirect_uris,
        })
    }

    /// The endpoints the file names.
    pub fn endpoints(&self) -> Endpoints {
        let endpoints = Endpoints::new(&self.coze_api_base);
        match &self.coze_www_base {
            Some(www) => endpoints.with_www_base(www),
            None => endpoints,
        }
    }

    /// The app for a web, PKCE or device config.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a JWT config.
    pub fn oauth_app(&self) -> Result<OAuthApp> {
        if self.client_type == ClientType::Jwt {
            return Err(Error::Config(
                "this is a JWT app config; use it with the JWT login".into(),
            ));
        }
        let app = OAuthApp::new(self.client_id.clone()).with_endpoints(self.endpoints());
        Ok(match &self.client_secret {
            Some(secret) => app.with_client_secret(secret.clone()),
            None => app,
        })
    }

    /// The app for a JWT config.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for another app type, [`Error::Auth`] for a bad key.
    pub fn jwt_app(&self) -> Result<JwtApp> {
        let (Some(key), Some(kid)) = (&self.private_key, &self.public_key_id) else {
            return Err(Error::Config(format!(
                "client_type is {:?}, not \"jwt\"",
                self.client_type.as_str()
            )));
        };
        let key = JwtKey::from_pem(key.expose())?;
        Ok(JwtApp::new(self.client_id.clone(), kid.clone(), key).with_endpoints(self.endpoints()))
    }
}

fn required(
    obj: &Map<String, Value>,
    field: &str,
    for_type: Option<ClientType>,
) -> std::result::Result<String, String> {
    let missing = || {
        let why = for_type
            .map(|t| format!(" (required for client_type \"{}\")", t.as_str()))
            .unwrap_or_default();
        format!("missing field `{field}`{why}")
    };
    match obj.get(field) {
        None | Some(Value::Null) => Err(missing()),
        Some(Value::String(s)) if s.trim().is_empty() => Err(missing()),
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(_) => Err(format!("field `{field}` must be a string")),
    }
}

fn optional(obj: &Map<String, Value>, field: &str) -> std::result::Result<Option<String>, String> {
    match obj.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(format!("field `{field}` must be a string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match OAuthConfig::from_json(text) {
            Err(e) => e.to_string(),
            Ok(c) => panic!("expected an error, got {c:?}"),
        }
    }

    #[test]
    fn web_config_as_the_console_writes_it() {
        let c = OAuthConfig::from_json(
            r#"{"client_type":"web","client_id":"123.app.coze","client_secret":"s3",
                "redirect_uris":["http://127.0.0.1:8080/redirect"],
                "coze_www_base":"https://www.coze.cn","coze_api_base":"https://api.coze.cn"}"#,
        )
        .expect("valid config");
        assert_eq!(c.client_type, ClientType::Web);
        assert_eq!(
            c.redirect_uris,
            vec!["http://127.0.0.1:8080/redirect".to_string()]
        );
        let app = c.oauth_app().expect("web app");
        assert!(app.has_client_secret());
        assert_eq!(app.endpoints().www_base(), "https://www.coze.cn");
        assert!(!format!("{c:?}").contains("s3\""));
        assert!(c.jwt_app().is_err());
    }

    #[test]
    fn missing_fields_are_named() {
        assert_eq!(
            err(r#"{"client_type":"web","client_id":"1","coze_api_base":"https://api.coze.cn"}"#),
            "invalid configuration: oauth config: missing field `client_secret` (required for client_type \"web\")"
        );
        assert_eq!(
            err(r#"{"client_type":"pkce","coze_api_base":"x"}"#),
            "invalid configuration: oauth config: missing field `client_id`"
        );
        assert!(
            err(r#"{"client_type":"jwt","client_id":"1","coze_api_base":"x","private_key":"k"}"#)
                .contains("`public_key_id`")
        );
        assert!(err(r#"{"client_type":"magic"}"#).contains("unknown client_type"));
        assert!(err("[1]").contains("JSON object"));
        assert!(err("{").contains("not valid JSON"));
    }

    #[test]
    fn jwt_config_with_a_bad_key_reports_the_key() {
        let c = OAuthConfig::from_json(
            r#"{"client_type":"server","client_id":"1","coze_api_base":"https://api.coze.cn",
                "private_key":"nope","public_key_id":"kid"}"#,
        )
        .expect("parses");
        assert!(matches!(c.jwt_app(), Err(Error::Auth { .. })));
        assert!(c.oauth_app().is_err());
    }
}
