//! The bridge's TOML configuration.

use crate::secret::Secret;
use serde::Deserialize;
use std::time::Duration;

/// Default header Coze's "Service token / API key" auth is expected to send.
pub const DEFAULT_SERVICE_TOKEN_HEADER: &str = "Authorization";
/// Environment variable read when the file has no `service_token`.
pub const SERVICE_TOKEN_ENV: &str = "COZE_BRIDGE_SERVICE_TOKEN";
/// The generic tool's name.
pub const RUN_GLIF_TOOL: &str = "run_glif";
/// The poll operation's id.
pub const POLL_OPERATION: &str = "poll_run";

/// The bridge configuration (`coze serve --config bridge.toml`).
///
/// ```toml
/// public_base_url = "https://glif-bridge.example.com"   # what Coze reaches; one server URL
/// service_token = "change-me"          # or COZE_BRIDGE_SERVICE_TOKEN
/// # service_token_header = "Authorization"   # then Coze sends "Bearer <token>"
/// # glif_token = "..."                 # or GLIF_API_TOKEN
/// # sync_timeout_secs = 90             # below Coze's plugin time limit
///
/// [[tools]]
/// name = "fox_picture"
/// description = "Draws a picture of a fox in the given style"
/// glif_id = "clgh1vxtu0011mo081dplq3xs"
/// inputs = ["style"]                   # optional; default: all inputs
/// ```
///
/// # Security
///
/// `service_token` and `glif_token` are [`Secret`]s: `Debug` shows `[redacted]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BridgeConfig {
    /// The URL Coze uses to reach the bridge (the single `servers` entry). Coze wants a
    /// domain name, not an IP address.
    pub public_base_url: String,
    /// The service token Coze must send. Falls back to `COZE_BRIDGE_SERVICE_TOKEN`.
    #[serde(default, deserialize_with = "crate::secret::deserialize_optional")]
    pub service_token: Option<Secret>,
    /// The header carrying it. For `Authorization` the expected value is `Bearer <token>`
    /// (Coze sends the configured value verbatim); for any other header, the token itself.
    #[serde(default = "default_header")]
    pub service_token_header: String,
    /// The Glif API token. Falls back to `GLIF_API_TOKEN` (and the CLI profile).
    #[serde(default, deserialize_with = "crate::secret::deserialize_optional")]
    pub glif_token: Option<Secret>,
    /// One base for both Glif APIs (`{base}/simple`, `{base}/api`), e.g. the emulator's
    /// fake Glif. Overridden by the two settings below.
    #[serde(default)]
    pub glif_base_url: Option<String>,
    /// The Simple API base (default `https://simple-api.glif.app`).
    #[serde(default)]
    pub glif_simple_api_base: Option<String>,
    /// The read API base (default `https://glif.app/api`).
    #[serde(default)]
    pub glif_api_base: Option<String>,
    /// How long one glif run may take in total (default 600).
    #[serde(default)]
    pub glif_timeout_secs: Option<u64>,
    /// How long a synchronous tool call waits before answering "still running, poll it"
    /// (default 90: below the 2-3 minutes Coze gives a plugin call).
    #[serde(default = "default_sync_timeout")]
    pub sync_timeout_secs: u64,
    /// How long `poll_run` waits for a running glif before answering "running" (default 20).
    #[serde(default = "default_poll_wait")]
    pub poll_wait_secs: u64,
    /// Offer the generic `run_glif` tool (any glif id, positional inputs). Default true.
    #[serde(default = "default_true")]
    pub run_glif_tool: bool,
    /// The plugin's name in the OpenAPI `info.title`.
    #[serde(default = "default_title")]
    pub title: String,
    /// The plugin's description in `info.description`.
    #[serde(default = "default_description")]
    pub description: String,
    /// The glifs offered as tools.
    #[serde(default)]
    pub tools: Vec<ToolConfig>,
}

/// One glif offered as a Coze tool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolConfig {
    /// The tool name (the operationId): letters, digits and `_`, starting with a letter.
    pub name: String,
    /// What the tool does, for the model (the operation summary).
    pub description: String,
    /// The glif to run.
    pub glif_id: String,
    /// The inputs to expose, by block name. Default: all. Inputs left out are sent with the
    /// glif's default value, so they must have one.
    #[serde(default)]
    pub inputs: Option<Vec<String>>,
    /// Overrides `sync_timeout_secs` for this tool.
    #[serde(default)]
    pub sync_timeout_secs: Option<u64>,
}

fn default_header() -> String {
    DEFAULT_SERVICE_TOKEN_HEADER.to_owned()
}
fn default_sync_timeout() -> u64 {
    90
}
fn default_poll_wait() -> u64 {
    20
}
fn default_true() -> bool {
    true
}
fn default_title() -> String {
    "Glif".to_owned()
}
fn default_description() -> String {
    "Run glifs (AI image, text and media apps from glif.app) and get their output; \
     images come back as a public image URL."
        .to_owned()
}

impl BridgeConfig {
    /// Parses the TOML text of a configuration file.
    ///
    /// # Errors
    ///
    /// A message naming the bad key or value.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| e.message().to_owned())
    }

    /// A configuration with defaults everywhere but the base URL and token.
    pub fn new(public_base_url: impl Into<String>, service_token: impl Into<Secret>) -> Self {
        Self {
            public_base_url: public_base_url.into(),
            service_token: Some(service_token.into()),
            service_token_header: default_header(),
            glif_token: None,
            glif_base_url: None,
            glif_simple_api_base: None,
            glif_api_base: None,
            glif_timeout_secs: None,
            sync_timeout_secs: default_sync_timeout(),
            poll_wait_secs: default_poll_wait(),
            run_glif_tool: true,
            title: default_title(),
            description: default_description(),
            tools: Vec::new(),
        }
    }

    /// Fills `service_token` from `COZE_BRIDGE_SERVICE_TOKEN` and `glif_token` from
    /// `GLIF_API_TOKEN` when the file leaves them out.
    pub fn with_env_fallbacks(mut self) -> Self {
        let env = |k: &str| {
            std::env::var(k)
                .ok()
                .map(Secret::trimmed)
                .filter(|s| !s.is_empty())
        };
        if self.service_token.as_ref().is_none_or(Secret::is_empty) {
            self.service_token = env(SERVICE_TOKEN_ENV);
        }
        if self.glif_token.as_ref().is_none_or(Secret::is_empty) {
            self.glif_token = env(crate::glif::TOKEN_ENV);
        }
        self
    }

    /// The Glif client settings this configuration describes.
    ///
    /// # Errors
    ///
    /// A bad base URL.
    pub fn glif_config(&self) -> crate::glif::Result<crate::glif::GlifConfig> {
        let mut config = crate::glif::GlifConfig {
            token: self.glif_token.clone().filter(|t| !t.is_empty()),
            ..Default::default()
        };
        if let Some(base) = &self.glif_base_url {
            config = config.with_base_url(base)?;
        }
        if let Some(url) = &self.glif_simple_api_base {
            config = config.simple_api_base(url)?;
        }
        if let Some(url) = &self.glif_api_base {
            config = config.api_base(url)?;
        }
        if let Some(secs) = self.glif_timeout_secs {
            config = config.timeout(Duration::from_secs(secs.max(1)));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_file_and_keeps_tokens_out_of_debug() {
        let cfg = BridgeConfig::from_toml(
            r#"
public_base_url = "https://bridge.example.com"
service_token = "svc-secret"
glif_token = "glif-secret"
sync_timeout_secs = 30
[[tools]]
name = "fox"
description = "draws a fox"
glif_id = "g1"
inputs = ["style"]
"#,
        )
        .unwrap();
        assert_eq!(
            cfg.tools[0].inputs.as_deref(),
            Some(&["style".to_owned()][..])
        );
        assert_eq!(cfg.sync_timeout_secs, 30);
        assert_eq!(cfg.service_token_header, "Authorization");
        let debug = format!("{cfg:?}");
        assert!(
            !debug.contains("svc-secret") && !debug.contains("glif-secret"),
            "{debug}"
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let err =
            BridgeConfig::from_toml("public_base_url = \"https://x.y\"\ntols = []").unwrap_err();
        assert!(err.contains("tols"), "{err}");
    }
}
