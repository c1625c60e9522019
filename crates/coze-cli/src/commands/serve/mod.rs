//! `coze serve`: run the Glif plugin bridge Coze imports from
//! `<public_base_url>/plugins/glif/openapi.yaml` (see `coze_gateway::glif::bridge`).

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use coze_gateway::glif::{BridgeConfig, BridgeError, BridgeState, GlifClient};
use serde_json::json;

use crate::error::CliError;
use crate::settings::Settings;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The bridge configuration (TOML: public_base_url, service_token, [[tools]] ...)
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,

    /// Address to listen on; port 0 picks a free port
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8787")]
    pub listen: SocketAddr,
}

/// # Errors
/// A usage error (exit 2) for a bad configuration (including a tool naming an input its
/// glif does not have) or an address in use; a failure (exit 1) when Glif cannot be read.
pub async fn run(args: ServeArgs, settings: &Settings) -> anyhow::Result<()> {
    let path = args.config.display().to_string();
    let text = std::fs::read_to_string(&args.config).map_err(|e| {
        CliError::usage(format!("cannot read {path}: {e}"))
            .with_hint("pass the bridge's TOML file with --config FILE")
    })?;
    let mut config = BridgeConfig::from_toml(&text)
        .map_err(|e| CliError::usage(format!("{path}: {e}")))?
        .with_env_fallbacks();
    let base_flag = config.glif_base_url.clone();
    let profile_glif = super::glif::glif_config(settings, base_flag.as_deref(), false)?;
    if config.glif_token.is_none() {
        config.glif_token = profile_glif.token.clone();
    }
    if config.glif_token.is_none() {
        return Err(CliError::usage("no glif api token for the bridge")
            .with_hint("set glif_token in the config file, or GLIF_API_TOKEN")
            .into());
    }
    let glif = config
        .glif_config()
        .map_err(|e| CliError::usage(format!("{path}: {e}")))?;
    let client = GlifClient::new(glif)
        .map_err(|e| super::glif::report(e, "cannot set up the glif client".into()))?;
    let public = config.public_base_url.trim_end_matches('/').to_owned();
    let state = BridgeState::prepare(config, client)
        .await
        .map_err(|e| match e {
            BridgeError::Glif {
                tool,
                glif_id,
                source,
            } => super::glif::report(
                source,
                format!("{path}: tool {tool:?} cannot read glif {glif_id:?}"),
            ),
            other => CliError::usage(format!("{path}: {other}")).into(),
        })?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .map_err(|e| {
            anyhow::Error::new(
                CliError::usage(format!("cannot listen on {}: {e}", args.listen))
                    .with_hint("pick another address with --listen, e.g. 127.0.0.1:0"),
            )
        })?;
    let local = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let tools = state.tool_names();
    let out = &settings.output;
    if out.json() {
        out.json_line(&json!({
            "listen": format!("http://{local}"),
            "openapi_yaml": format!("{public}/plugins/glif/openapi.yaml"),
            "openapi_json": format!("{public}/plugins/glif/openapi.json"),
            "tools": tools,
        }))?;
    } else {
        let s = out.out_style();
        out.line(&format!(
            "{} on http://{local}",
            s.accent("Glif bridge listening")
        ))?;
        out.line(&format!(
            "  import in Coze   {public}/plugins/glif/openapi.yaml"
        ))?;
        out.line(&format!("  tools            {}", tools.join(", ")))?;
        out.dim("Coze: plugin > import > URL; auth: Service token, the header and value from your config.");
        out.dim("Request logs: add -v. Press Ctrl-C to stop.");
    }
    coze_gateway::serve(
        listener,
        coze_gateway::glif::router(state),
        super::emulator::shutdown_signal(),
    )
    .await
    .context("the bridge stopped")
}
