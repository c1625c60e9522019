//! `coze serve --emulator`: the emulator in-process and the gateway with every service
//! against it, for trying the gateway and for the conformance suites.
//!
//! The store is SQLite in a temporary directory (removed at exit); the upstream is the
//! emulator's PAT; the OpenAI model names are the demo bots' names (`echo`, `tool`,
//! `failing`, ...); one client API key (no limits) is created and printed. The Glif bridge
//! runs against the emulator's fake Glif, with the same key as its service token.
//!
//! With `--json`: exactly one line `{"url", "api_key", "models", "emulator": {...}}` (the
//! emulator's own `coze emulator --json` object), then it serves until Ctrl-C or SIGTERM.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use anyhow::Context as _;
use coze_emulator::EmulatorConfig;
use coze_gateway::config::UpstreamConfig;
use coze_gateway::glif::BridgeConfig;
use coze_gateway::keys::NewKey;
use coze_gateway::openai::{ModelTarget, OpenAiConfig};
use coze_gateway::store::SqliteStore;
use coze_gateway::web::{SdkTokenConfig, WebConfig};
use coze_gateway::{GatewayConfig, GatewayState, Secret};
use serde_json::{Value, json};

use crate::error::CliError;
use crate::settings::Settings;

/// # Errors
/// The address cannot be bound, or the gateway cannot start.
pub async fn run(listen: Option<SocketAddr>, settings: &Settings) -> anyhow::Result<()> {
    let emulator = crate::commands::emulator::start(EmulatorConfig::default()).await?;
    let info = emulator.info();
    let listener = super::bind(listen.unwrap_or_else(|| ([127, 0, 0, 1], 0).into())).await?;
    let url = format!(
        "http://{}",
        listener
            .local_addr()
            .context("cannot read the bound address")?
    );
    let data = tempfile::Builder::new()
        .prefix("coze-serve-emulator.")
        .tempdir()
        .context("cannot create a temporary directory for the store")?;
    let config = config_for(&info, &url, data.path());
    let store = coze_gateway::store::StoreHandle::new(
        SqliteStore::open(&data.path().join("gateway.sqlite3"))
            .await
            .context("cannot open the store")?,
    );
    let (_, key) = coze_gateway::keys::ApiKeys::new(store.clone())
        .create(NewKey {
            name: Some("emulator".into()),
            ..NewKey::default()
        })
        .await
        .context("cannot create the API key")?;
    let mut config = config;
    if let Some(glif) = config.glif.as_mut() {
        glif.service_token = Some(key.clone());
    }
    let state = GatewayState::builder(config)
        .store(store)
        .build()
        .await
        .map_err(|e| CliError::failed(format!("the gateway cannot start: {e}")))?;
    let models: Vec<String> = state
        .config()
        .openai
        .as_ref()
        .map(|o| o.models.keys().cloned().collect())
        .unwrap_or_default();
    let shutdown = crate::commands::emulator::Shutdown::install();
    let out = &settings.output;
    if out.json() {
        out.json_line(&json!({
            "url": url,
            "api_key": key.expose(),
            "models": models,
            "web": format!("{url}/"),
            "emulator": info,
        }))?;
    } else {
        let s = out.out_style();
        out.line(&format!(
            "{} on {url} (against a Coze emulator at {})",
            s.accent("Coze gateway listening"),
            emulator.base_url()
        ))?;
        out.line(&format!("  chat page        {url}/"))?;
        out.line(&format!("  OpenAI base URL  {url}/v1"))?;
        out.line(&format!("  API key          {}", key.expose()))?;
        out.line(&format!("  models           {}", models.join(", ")))?;
        out.line(&format!(
            "  Glif plugin      {url}/plugins/glif/openapi.yaml (service token: the API key)"
        ))?;
        out.line(&format!("  health           {url}/health"))?;
        out.line("")?;
        out.dim("Try:");
        out.line(&format!(
            "  curl {url}/v1/chat/completions -H 'Authorization: Bearer {}' -H 'Content-Type: application/json' -d '{{\"model\": \"echo\", \"messages\": [{{\"role\": \"user\", \"content\": \"hi\"}}]}}'",
            key.expose()
        ))?;
        out.dim("Request logs: add -v. Press Ctrl-C to stop.");
    }
    let served = coze_gateway::serve(listener, coze_gateway::router(state), shutdown.wait()).await;
    let stopped = emulator.shutdown().await;
    drop(data);
    served.context("the gateway stopped")?;
    stopped
}

/// The gateway configuration for an emulator described by `info` (its `--json` object).
fn config_for(info: &Value, url: &str, data_dir: &std::path::Path) -> GatewayConfig {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let models: BTreeMap<String, ModelTarget> = info["bots"]
        .as_object()
        .map(|bots| {
            bots.iter()
                .map(|(name, id)| (name.clone(), ModelTarget::BotId(text(id))))
                .collect()
        })
        .unwrap_or_default();
    // A host name, not an IP: the bridge warns about IP URLs (Coze refuses them).
    let public = url.replace("://127.0.0.1:", "://localhost:");
    let mut glif = BridgeConfig::new(public, Secret::new("set-below"));
    glif.glif_base_url = Some(text(&info["glif"]["base_url"]));
    glif.glif_token = Some(Secret::new(text(&info["glif"]["token"])));
    GatewayConfig {
        data_dir: Some(data_dir.to_path_buf()),
        upstream: Some(UpstreamConfig {
            auth: Some("pat".into()),
            base_url: Some(text(&info["base_url"])),
            token: Some(Secret::new(text(&info["pat"]))),
            ..UpstreamConfig::default()
        }),
        openai: Some(OpenAiConfig {
            models,
            ..OpenAiConfig::default()
        }),
        glif: Some(glif),
        web: Some(web_config(info)),
        ..GatewayConfig::default()
    }
}

/// `[web]` for the emulator: its chat bots (echo first), and Web SDK tokens from its JWT app.
fn web_config(info: &Value) -> WebConfig {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let mut names: Vec<&String> = info["bots"]
        .as_object()
        .map(|bots| {
            bots.keys()
                .filter(|n| !matches!(n.as_str(), "unpublished" | "plugin"))
                .collect()
        })
        .unwrap_or_default();
    names.sort_by_key(|n| {
        (
            n.as_str() != "echo",
            n.as_str() != "reasoning",
            n.to_string(),
        )
    });
    let oauth = &info["oauth"];
    WebConfig {
        bots: names
            .iter()
            .map(|n| text(&info["bots"][n.as_str()]))
            .collect(),
        sdk_token: Some(SdkTokenConfig {
            app_id: Some(text(&oauth["jwt_app_id"])),
            key_id: Some(text(&oauth["jwt_key_id"])),
            private_key: Some(text(&oauth["jwt_private_key_path"]).into()),
            ..SdkTokenConfig::default()
        }),
        ..WebConfig::default()
    }
}
