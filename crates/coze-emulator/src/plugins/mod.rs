//! Plugins in the emulated Coze: import from an OpenAPI URL (with Coze's import rules), and
//! the `plugin` bot that calls an imported tool over HTTP with the service token.
//!
//! Also holds the fake Glif's settings (`routes/glif.rs`).

pub mod bot;
pub mod openapi;

use std::time::Duration;

use serde_json::{Value, json};

pub use openapi::{ImportedTool, check_document};

/// An imported plugin.
///
/// # Security
///
/// `Debug` leaves out the service-token value (it is the user's real bridge token).
#[derive(Clone)]
pub struct Plugin {
    pub id: String,
    /// `info.title`.
    pub name: String,
    /// The one server URL.
    pub server_url: String,
    /// The service-token header Coze adds to every call, and its value (sent verbatim).
    pub auth: Option<(String, String)>,
    pub tools: Vec<ImportedTool>,
}

impl std::fmt::Debug for Plugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plugin")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("server_url", &self.server_url)
            .field("auth", &self.auth.as_ref().map(|(h, _)| (h, "[redacted]")))
            .field("tools", &self.tools)
            .finish()
    }
}

/// The plugins' and the fake Glif's state (a field of `Store`).
#[derive(Debug)]
pub struct PluginStore {
    /// Imported plugins, oldest first.
    pub plugins: Vec<Plugin>,
    /// The token the fake Glif accepts.
    pub glif_token: String,
    /// How long the fake slow glif takes.
    pub slow_delay: Duration,
    /// Runs the fake Glif accepted (authenticated), so tests can tell nothing ran.
    pub glif_runs: u64,
}

impl Default for PluginStore {
    fn default() -> Self {
        Self {
            plugins: Vec::new(),
            glif_token: format!("glif_emulator_{:024x}", rand::random::<u128>() >> 32),
            slow_delay: Duration::from_secs(3),
            glif_runs: 0,
        }
    }
}

/// The `"glif"` entry of `Emulator::info()`.
pub fn info(base_url: &str, state: &crate::state::AppState) -> Value {
    let token = state.store().plugins.glif_token.clone();
    json!({
        "base_url": format!("{base_url}/glif"),
        "simple_api_base": format!("{base_url}/glif/simple"),
        "api_base": format!("{base_url}/glif/api"),
        "token": token,
        "glifs": crate::routes::glif::CATALOG.iter().map(|g| g.id).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_service_token() {
        let plugin = Plugin {
            id: "1".into(),
            name: "p".into(),
            server_url: "http://127.0.0.1:9".into(),
            auth: Some(("Authorization".into(), "Bearer s3cr3t-value".into())),
            tools: Vec::new(),
        };
        let text = format!("{plugin:?}");
        assert!(!text.contains("s3cr3t"), "{text}");
        assert!(text.contains("Authorization"), "{text}");
    }
}
