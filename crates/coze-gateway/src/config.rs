//! `gateway.toml`: one file for the whole gateway, a section per service.
//!
//! ```toml
//! # listen = "127.0.0.1:8787"     # `--listen` overrides
//! # data_dir = "/var/lib/coze-gateway"   # default: the user's data dir + coze/gateway
//! # store = "sqlite"              # default: gateway.sqlite3 in data_dir; or "redis://host:6379/0"
//! # store_prefix = "cozegw:"      # Redis key prefix (several gateways on one Redis)
//!
//! [upstream]                      # the Coze account the gateway calls with
//! # base_url = "https://api.coze.com"   # or region = "cn" | "com" (default cn)
//! auth = "jwt"                    # "jwt" (recommended), "profile" or "pat"
//! oauth_config = "/etc/coze/coze_oauth_config.json"   # the JWT app's file from the console, or:
//! # app_id = "1150..."; key_id = "tRqm..."; private_key = "/etc/coze/private_key.pem"
//! # profile = "default"          # auth = "profile": a `coze auth login` profile
//! # token_env = "COZE_API_TOKEN"  # auth = "pat": the variable holding the PAT (or token = "pat_...")
//!
//! [openai]                        # the OpenAI-compatible API (see the openai module)
//! models = { support = "7351234567890123456" }
//!
//! [glif]                          # the Glif plugin bridge: the bridge.toml settings
//! public_base_url = "https://gw.example.com"
//! service_token = "..."
//!
//! [web]                           # the web chat page
//! ```
//!
//! A service runs when its section is present. An old `bridge.toml` (the bridge's settings
//! at the top level, `public_base_url` first) still works as it is: it is read as `[glif]`.

use crate::glif::BridgeConfig;
use crate::openai::OpenAiConfig;
use crate::secret::Secret;
use crate::store::StoreSpec;
use crate::web::WebConfig;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The default address.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// A bad configuration: says which setting and what to do.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

/// The whole gateway configuration.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct GatewayConfig {
    /// Where to listen (the CLI's `--listen` wins).
    #[serde(default)]
    pub listen: Option<SocketAddr>,
    /// Where the embedded store and other files live.
    #[serde(default)]
    pub data_dir: Option<PathBuf>,
    /// `sqlite` (default), `sqlite:PATH` or `redis://...` (`Debug` hides a password).
    #[serde(default)]
    pub store: Option<StoreSetting>,
    /// Prefix of every Redis key (default `cozegw:`), so several gateways can share a Redis.
    #[serde(default)]
    pub store_prefix: Option<String>,
    /// The Coze credentials; needed by `[openai]` and `[web]`.
    #[serde(default)]
    pub upstream: Option<UpstreamConfig>,
    /// The OpenAI-compatible API.
    #[serde(default)]
    pub openai: Option<OpenAiConfig>,
    /// The Glif plugin bridge.
    #[serde(default)]
    pub glif: Option<BridgeConfig>,
    /// The web chat page.
    #[serde(default)]
    pub web: Option<WebConfig>,
}

/// The `store` setting as written; `Debug` shows a Redis URL without its password.
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct StoreSetting(pub String);

impl std::fmt::Debug for StoreSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", crate::store::redacted_url(&self.0))
    }
}

impl From<&str> for StoreSetting {
    fn from(s: &str) -> Self {
        Self(s.to_owned())
    }
}

/// How the gateway authenticates to Coze. Tokens never reach a client or a log line.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct UpstreamConfig {
    /// `jwt`, `profile` or `pat`.
    #[serde(default)]
    pub auth: Option<String>,
    /// `cn` or `com` (default `cn`), when `base_url` is not set.
    #[serde(default)]
    pub region: Option<String>,
    /// The API base URL (a self-hosted Coze, the emulator).
    #[serde(default)]
    pub base_url: Option<String>,
    /// JWT: the app's `coze_oauth_config.json` (holds app id, key id and key path or key).
    #[serde(default)]
    pub oauth_config: Option<PathBuf>,
    /// JWT: the app id (client id).
    #[serde(default)]
    pub app_id: Option<String>,
    /// JWT: the public key's id.
    #[serde(default)]
    pub key_id: Option<String>,
    /// JWT: the private key file (PEM).
    #[serde(default)]
    pub private_key: Option<PathBuf>,
    /// Profile: the `coze auth login` profile whose OAuth login to use.
    #[serde(default)]
    pub profile: Option<String>,
    /// PAT: the token itself (prefer `token_env`).
    #[serde(default, deserialize_with = "crate::secret::deserialize_optional")]
    pub token: Option<Secret>,
    /// PAT: the environment variable holding it (default `COZE_API_TOKEN`).
    #[serde(default)]
    pub token_env: Option<String>,
}

/// The upstream auth mode, validated.
#[derive(Debug, Clone)]
pub enum UpstreamAuth {
    /// A JWT service app: the gateway signs and renews its own tokens.
    Jwt(Box<coze_sdk::auth::JwtApp>),
    /// A CLI profile's OAuth login, refreshed under the CLI's credentials lock (the CLI
    /// resolves it: the gateway does not read the CLI's files).
    Profile(String),
    /// A personal access token.
    Pat(Secret),
}

impl GatewayConfig {
    /// Parses a configuration file's text. A file with `public_base_url` at the top level is
    /// an old bridge configuration and becomes `[glif]`.
    ///
    /// # Errors
    ///
    /// TOML syntax, an unknown key, a wrong type: the message names it.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let table: toml::Table =
            toml::from_str(text).map_err(|e| ConfigError(e.message().to_owned()))?;
        if table.contains_key("public_base_url") {
            let glif = BridgeConfig::from_toml(text).map_err(ConfigError)?;
            return Ok(Self {
                glif: Some(glif),
                ..Self::default()
            });
        }
        toml::from_str(text).map_err(|e| ConfigError(e.message().to_owned()))
    }

    /// Reads and parses a file.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or as [`GatewayConfig::from_toml`] (prefixed with the path).
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))
    }

    /// Fills secrets left out of the file from the environment (the bridge's
    /// `COZE_BRIDGE_SERVICE_TOKEN` and `GLIF_API_TOKEN`).
    #[must_use]
    pub fn with_env_fallbacks(mut self) -> Self {
        self.glif = self.glif.map(BridgeConfig::with_env_fallbacks);
        self
    }

    /// Checks what can be checked without the network: a service is enabled, the store
    /// setting, upstream credentials for the services that call Coze.
    ///
    /// # Errors
    ///
    /// The first problem, saying what to change.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.openai.is_none() && self.glif.is_none() && self.web.is_none() {
            return Err(ConfigError(
                "no service is enabled: add an [openai], [glif] or [web] section".into(),
            ));
        }
        self.store_spec()?;
        if self.needs_upstream() {
            let up = self.upstream.as_ref().ok_or_else(|| {
                ConfigError(
                    "[openai] and [web] call Coze: add an [upstream] section with auth = \"jwt\", \"profile\" or \"pat\""
                        .into(),
                )
            })?;
            up.base_url()?;
            up.auth()?;
        }
        if let Some(web) = &self.web {
            web.settings().map_err(ConfigError)?;
            let upstream_jwt = self
                .upstream
                .as_ref()
                .and_then(|u| u.auth.as_deref())
                .is_some_and(|a| a.trim() == "jwt");
            if let Some(t) = &web.sdk_token
                && !t.has_own_app()
                && !upstream_jwt
            {
                return Err(ConfigError(
                    "[web.sdk_token] mints tokens with a JWT service app: set [upstream] auth = \"jwt\", or give [web.sdk_token] its own app_id, key_id and private_key (or oauth_config)"
                        .into(),
                ));
            }
        }
        if let Some(openai) = &self.openai {
            openai
                .validate()
                .map_err(|e| ConfigError(format!("[openai] {e}")))?;
        }
        Ok(())
    }

    /// Whether an enabled service calls Coze.
    pub fn needs_upstream(&self) -> bool {
        self.openai.is_some() || self.web.is_some()
    }

    /// The data directory: `data_dir`, else the user's data directory + `coze/gateway`.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir.clone().unwrap_or_else(|| {
            dirs::data_dir()
                .unwrap_or_else(|| PathBuf::from("."))
                .join("coze")
                .join("gateway")
        })
    }

    /// The store the configuration names.
    ///
    /// # Errors
    ///
    /// A `store` value that is no store.
    pub fn store_spec(&self) -> Result<StoreSpec, ConfigError> {
        let value = self.store.as_ref().map_or("sqlite", |s| s.0.as_str());
        let mut spec = StoreSpec::parse(value, &self.data_dir()).map_err(ConfigError)?;
        if let (StoreSpec::Redis { prefix, .. }, Some(p)) = (&mut spec, &self.store_prefix) {
            if p.trim().is_empty() || p.len() > 64 {
                return Err(ConfigError(
                    "store_prefix must be 1 to 64 characters, e.g. \"cozegw-staging:\"".into(),
                ));
            }
            p.clone_into(prefix);
        }
        Ok(spec)
    }
}

impl UpstreamConfig {
    /// The API base URL: `base_url`, else the region's.
    ///
    /// # Errors
    ///
    /// A URL that is not http(s), or an unknown region.
    pub fn base_url(&self) -> Result<String, ConfigError> {
        if let Some(url) = &self.base_url {
            let ok = url::Url::parse(url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host());
            if !ok {
                return Err(ConfigError(format!(
                    "[upstream] base_url {url:?} must be an http(s) URL such as https://api.coze.com"
                )));
            }
            return Ok(url.trim_end_matches('/').to_owned());
        }
        match self.region.as_deref().map(str::trim) {
            None | Some("cn") => Ok(coze_sdk::Region::Cn.base_url().to_owned()),
            Some("com") => Ok(coze_sdk::Region::Com.base_url().to_owned()),
            Some(other) => Err(ConfigError(format!(
                "[upstream] region {other:?} is not a region: use \"cn\" or \"com\", or set base_url"
            ))),
        }
    }

    /// The auth mode with everything it needs (reads the JWT key file).
    ///
    /// # Errors
    ///
    /// A missing or unknown `auth`, a missing setting for the mode, an unreadable key, a PAT
    /// variable that is not set.
    pub fn auth(&self) -> Result<UpstreamAuth, ConfigError> {
        let base = self.base_url()?;
        match self.auth.as_deref().map(str::trim) {
            Some("jwt") => self.jwt(&base).map(|a| UpstreamAuth::Jwt(Box::new(a))),
            Some("profile") => Ok(UpstreamAuth::Profile(
                self.profile.clone().unwrap_or_else(|| "default".into()),
            )),
            Some("pat") => {
                if let Some(token) = self.token.clone() {
                    return Ok(UpstreamAuth::Pat(token));
                }
                let var = self.token_env.as_deref().unwrap_or("COZE_API_TOKEN");
                std::env::var(var)
                    .ok()
                    .map(Secret::trimmed)
                    .filter(|s| !s.is_empty())
                    .map(UpstreamAuth::Pat)
                    .ok_or_else(|| {
                        ConfigError(format!(
                            "[upstream] auth = \"pat\": the environment variable {var} is not set; export it or set token_env"
                        ))
                    })
            }
            Some(other) => Err(ConfigError(format!(
                "[upstream] auth = {other:?}: use \"jwt\" (a JWT service app, recommended), \"profile\" or \"pat\""
            ))),
            None => Err(ConfigError(
                "[upstream] needs auth = \"jwt\" (recommended), \"profile\" or \"pat\"".into(),
            )),
        }
    }

    fn jwt(&self, base: &str) -> Result<coze_sdk::auth::JwtApp, ConfigError> {
        if let Some(path) = &self.oauth_config {
            let app = coze_sdk::auth::OAuthConfig::load(path)
                .and_then(|c| c.jwt_app())
                .map_err(|e| {
                    ConfigError(format!("[upstream] oauth_config {}: {e}", path.display()))
                })?;
            return Ok(match &self.base_url {
                Some(_) => app.with_base_url(base),
                None => app,
            });
        }
        let need = |what: &str| {
            ConfigError(format!(
                "[upstream] auth = \"jwt\" needs {what} (or oauth_config = the app's coze_oauth_config.json)"
            ))
        };
        let app_id = self.app_id.clone().ok_or_else(|| need("app_id"))?;
        let key_id = self.key_id.clone().ok_or_else(|| need("key_id"))?;
        let path = self
            .private_key
            .clone()
            .ok_or_else(|| need("private_key"))?;
        let key = coze_sdk::auth::JwtKey::from_pem_file(&path).map_err(|e| {
            ConfigError(format!(
                "[upstream] private_key {}: {e}; point it at the app's PEM private key",
                path.display()
            ))
        })?;
        Ok(coze_sdk::auth::JwtApp::new(app_id, key_id, key).with_base_url(base))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_bridge_file_is_read_as_the_glif_section() {
        let cfg = GatewayConfig::from_toml(
            "public_base_url = \"https://b.example.com\"\nservice_token = \"s\"\n",
        )
        .expect("parses");
        assert_eq!(
            cfg.glif.as_ref().map(|g| g.public_base_url.as_str()),
            Some("https://b.example.com")
        );
        assert!(cfg.openai.is_none());
        cfg.validate().expect("valid");
    }

    #[test]
    fn sections_parse_and_unknown_keys_are_named() {
        let cfg = GatewayConfig::from_toml(
            "store = \"redis://127.0.0.1:1/0\"\n[upstream]\nauth = \"pat\"\ntoken = \"pat_x\"\nbase_url = \"http://127.0.0.1:9\"\n[openai]\nmodels = { echo = \"1\" }\n",
        )
        .expect("parses");
        cfg.validate().expect("valid");
        assert!(matches!(
            cfg.upstream.as_ref().map(UpstreamConfig::auth),
            Some(Ok(UpstreamAuth::Pat(_)))
        ));
        assert!(!format!("{cfg:?}").contains("pat_x"));
        let pw = GatewayConfig::from_toml(
            "store = \"redis://:hunter2@127.0.0.1:6379/0\"\nstore_prefix = \"gw2:\"\n[glif]\npublic_base_url = \"https://x.y\"\n",
        )
        .expect("parses");
        let spec = pw.store_spec().expect("spec");
        assert!(matches!(&spec, crate::store::StoreSpec::Redis { prefix, .. } if prefix == "gw2:"));
        let shown = format!("{pw:?} {spec:?} {}", spec.describe());
        assert!(
            !shown.contains("hunter2") && shown.contains("***"),
            "{shown}"
        );
        let err = GatewayConfig::from_toml("[upstrem]\nauth = \"pat\"\n").expect_err("unknown");
        assert!(err.0.contains("upstrem"), "{err}");
    }

    #[test]
    fn validation_says_what_is_missing() {
        let none = GatewayConfig::from_toml("").expect("parses");
        assert!(
            none.validate()
                .expect_err("no service")
                .0
                .contains("[openai]")
        );
        let no_up = GatewayConfig::from_toml("[openai]\nmodels = { a = \"1\" }\n").expect("parses");
        assert!(
            no_up
                .validate()
                .expect_err("no upstream")
                .0
                .contains("[upstream]")
        );
        let jwt = GatewayConfig::from_toml(
            "[upstream]\nauth = \"jwt\"\napp_id = \"1\"\n[openai]\nmodels = { a = \"1\" }\n",
        )
        .expect("parses");
        assert!(jwt.validate().expect_err("no key").0.contains("key_id"));
        let up =
            "[upstream]\nauth = \"pat\"\ntoken = \"pat_x\"\nbase_url = \"http://127.0.0.1:9\"\n";
        let web = GatewayConfig::from_toml(&format!("{up}[web]\nbots = []\n")).expect("parses");
        assert!(
            web.validate()
                .expect_err("no bots")
                .0
                .contains("[web] bots")
        );
        let sdk =
            GatewayConfig::from_toml(&format!("{up}[web]\nbots = [\"1\"]\n[web.sdk_token]\n"))
                .expect("parses");
        assert!(sdk.validate().expect_err("pat upstream").0.contains("JWT"));
        let store = GatewayConfig::from_toml(
            "store = \"mysql://x\"\n[glif]\npublic_base_url = \"https://x.y\"\n",
        )
        .expect("parses");
        assert!(
            store
                .validate()
                .expect_err("bad store")
                .0
                .contains("redis://")
        );
    }
}
