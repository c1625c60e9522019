//! `coze serve`: the Coze gateway (see `coze_gateway`): the OpenAI-compatible API, the Glif
//! plugin bridge and the web chat page, as `gateway.toml` enables them.
//!
//! - `coze serve --config gateway.toml [--listen ADDR]` (an old `bridge.toml` works as is);
//! - `coze serve --emulator [--listen ADDR] [--json]`: the emulator in-process and every
//!   service against it ([`emulator`]);
//! - `coze serve keys create|list|revoke --config gateway.toml` ([`keys`]).

mod emulator;
mod keys;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use coze_gateway::config::UpstreamAuth;
use coze_gateway::glif::{BridgeError, BridgeState, GlifClient};
use coze_gateway::{GatewayConfig, GatewayState, StartError};
use serde_json::json;

use crate::config::ProfileContext;
use crate::error::CliError;
use crate::settings::Settings;

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServeArgs {
    #[command(subcommand)]
    pub command: Option<ServeCommand>,

    /// The gateway configuration: gateway.toml ([upstream], [openai], [glif], [web], store);
    /// an old Glif bridge.toml works as it is
    #[arg(long, value_name = "FILE", required_unless_present = "emulator")]
    pub config: Option<PathBuf>,

    /// Run a Coze emulator in this process and serve every service against it; prints the
    /// URL, a client API key and the model names
    #[arg(long, conflicts_with = "config")]
    pub emulator: bool,

    /// Address to listen on (default: `listen` in the config, else 127.0.0.1:8787; with
    /// --emulator 127.0.0.1:0); port 0 picks a free port
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ServeCommand {
    /// Create, list and revoke the API keys clients use (stored hashed)
    #[command(subcommand)]
    Keys(keys::KeysCommand),
}

/// # Errors
/// A usage error (exit 2) for a bad configuration (including a tool naming an input its
/// glif does not have) or an address in use; a failure (exit 1) when Glif cannot be read.
pub async fn run(args: ServeArgs, settings: &Settings) -> anyhow::Result<()> {
    if let Some(ServeCommand::Keys(cmd)) = args.command {
        return keys::run(cmd, settings).await;
    }
    if args.emulator {
        return emulator::run(args.listen, settings).await;
    }
    let Some(path) = args.config else {
        return Err(CliError::usage("coze serve needs --config FILE or --emulator").into());
    };
    let config = load_config(&path)?;
    let shown = path.display().to_string();
    let listen = args
        .listen
        .or(config.listen)
        .unwrap_or_else(|| coze_gateway::config::DEFAULT_LISTEN.parse().expect("valid"));
    let state = build_state(config, &shown, settings).await?;
    check_upstream(&state, &shown).await?;
    let listener = bind(listen).await?;
    let local = listener
        .local_addr()
        .context("cannot read the bound address")?;
    let shutdown = super::emulator::Shutdown::install();
    print_banner(&state, &format!("http://{local}"), settings)?;
    coze_gateway::serve(listener, coze_gateway::router(state), shutdown.wait())
        .await
        .context("the gateway stopped")
}

/// Reads, parses and checks `gateway.toml`.
///
/// # Errors
/// A usage error naming the file and the problem.
pub fn load_config(path: &std::path::Path) -> anyhow::Result<GatewayConfig> {
    let config = GatewayConfig::load(path)
        .map_err(|e| {
            CliError::usage(e.to_string()).with_hint(
                "pass the gateway's TOML file with --config FILE (see `coze serve --help`)",
            )
        })?
        .with_env_fallbacks();
    config
        .validate()
        .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    Ok(config)
}

/// Binds, with a usage error when the address is taken.
///
/// # Errors
/// The address cannot be bound.
pub async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| {
        CliError::usage(format!("cannot listen on {addr}: {e}"))
            .with_hint("pick another address with --listen, e.g. 127.0.0.1:0")
            .into()
    })
}

/// The gateway state for `config`: the Glif bridge with the CLI's Glif token fallback, a
/// `profile` upstream through the CLI's credentials (refreshed under its lock).
async fn build_state(
    mut config: GatewayConfig,
    path: &str,
    settings: &Settings,
) -> anyhow::Result<GatewayState> {
    let mut builder_glif = None;
    if let Some(glif) = config.glif.as_mut() {
        let profile_glif =
            super::glif::glif_config(settings, glif.glif_base_url.as_deref(), false)?;
        if glif.glif_token.is_none() {
            glif.glif_token = profile_glif.token.clone();
        }
        if glif.glif_token.is_none() {
            return Err(CliError::usage("no glif api token for the bridge")
                .with_hint("set glif_token in the config file ([glif] section), or GLIF_API_TOKEN")
                .into());
        }
        let client = GlifClient::new(
            glif.glif_config()
                .map_err(|e| CliError::usage(format!("{path}: {e}")))?,
        )
        .map_err(|e| super::glif::report(e, "cannot set up the glif client".into()))?;
        let state = BridgeState::prepare(glif.clone(), client)
            .await
            .map_err(|e| bridge_error(e, path))?;
        builder_glif = Some(state);
    }
    let mut source = None;
    if config.needs_upstream()
        && let Some(up) = config.upstream.as_mut()
        && let UpstreamAuth::Profile(name) = up
            .auth()
            .map_err(|e| CliError::usage(format!("{path}: {e}")))?
    {
        let ctx = ProfileContext::load(settings.profile.dir.clone(), Some(&name))
            .map_err(crate::settings::source::config_error)?;
        let login = crate::settings::source::login_command(&name);
        let creds = ctx
            .credentials()
            .map_err(crate::settings::source::config_error)?
            .ok_or_else(|| {
                CliError::usage(format!(
                    "{path}: [upstream] profile `{name}` is not logged in"
                ))
                .with_hint(format!("run `{login}` first"))
            })?;
        if up.base_url.is_none() {
            up.base_url = Some(creds.base_url.clone());
        }
        source = Some(crate::settings::source::token_source(
            &name,
            &ctx.store,
            &creds,
            ctx.profile(),
        )?);
    }
    let mut builder = GatewayState::builder(config);
    if let Some(g) = builder_glif {
        builder = builder.glif(g);
    }
    if let Some(s) = source {
        builder = builder.token_source(s);
    }
    builder.build().await.map_err(|e| match e {
        StartError::Glif(e) => bridge_error(e, path),
        StartError::Store(e) => CliError::failed(format!("{path}: {e}"))
            .with_hint("check the store setting and that Redis (if used) is reachable")
            .into(),
        other => CliError::usage(format!("{path}: {other}")).into(),
    })
}

/// Gets a Coze token before listening: refused credentials stop the start with the reason;
/// an unreachable Coze only warns (the gateway retries on each request).
async fn check_upstream(state: &GatewayState, path: &str) -> anyhow::Result<()> {
    let checked =
        tokio::time::timeout(std::time::Duration::from_secs(20), state.check_upstream()).await;
    match checked {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) if !e.is_retryable() => Err(CliError::usage(format!(
            "{path}: Coze refused the [upstream] credentials: {e}"
        ))
        .with_hint("check the app id, key id and key (JWT), the profile's login, or the token")
        .into()),
        Ok(Err(e)) => {
            crate::output::stderr_line(&format!(
                "warning: cannot reach Coze to check the [upstream] credentials ({e}); serving anyway"
            ));
            Ok(())
        }
        Err(_) => {
            crate::output::stderr_line(
                "warning: Coze did not answer the [upstream] token check within 20 s; serving anyway",
            );
            Ok(())
        }
    }
}

fn bridge_error(e: BridgeError, path: &str) -> anyhow::Error {
    match e {
        BridgeError::Glif {
            tool,
            glif_id,
            source,
        } => super::glif::report(
            source,
            format!("{path}: tool {tool:?} cannot read glif {glif_id:?}"),
        ),
        other => CliError::usage(format!("{path}: {other}")).into(),
    }
}

/// What is being served: one JSON line, or a few lines for people.
fn print_banner(state: &GatewayState, url: &str, settings: &Settings) -> anyhow::Result<()> {
    let config = state.config();
    let mut services = Vec::new();
    let mut info = json!({"url": url, "listen": url, "store": state.store().raw().kind()});
    if let Some(openai) = &config.openai {
        services.push("openai");
        info["openai_base_url"] = json!(format!("{url}/v1"));
        info["models"] = json!(openai.models.keys().collect::<Vec<_>>());
    }
    if let (Some(glif), Some(bridge)) = (&config.glif, state.glif()) {
        services.push("glif");
        let public = glif.public_base_url.trim_end_matches('/');
        info["openapi_yaml"] = json!(format!("{public}/plugins/glif/openapi.yaml"));
        info["openapi_json"] = json!(format!("{public}/plugins/glif/openapi.json"));
        info["tools"] = json!(bridge.tool_names());
    }
    if config.web.is_some() {
        services.push("web");
    }
    info["services"] = json!(services);
    let out = &settings.output;
    if out.json() {
        out.json_line(&info)?;
        return Ok(());
    }
    let s = out.out_style();
    out.line(&format!("{} on {url}", s.accent("Coze gateway listening")))?;
    out.line(&format!(
        "  store            {}",
        state.store().raw().kind()
    ))?;
    if config.openai.is_some() {
        out.line(&format!("  OpenAI API       {url}/v1"))?;
        out.line(&format!(
            "  models           {}",
            info["models"]
                .as_array()
                .map(|m| m
                    .iter()
                    .filter_map(|v| v.as_str())
                    .collect::<Vec<_>>()
                    .join(", "))
                .unwrap_or_default()
        ))?;
    }
    if config.glif.is_some() {
        out.line(&format!(
            "  Glif plugin      {} (import in Coze)",
            info["openapi_yaml"].as_str().unwrap_or_default()
        ))?;
        out.line(&format!(
            "  Glif tools       {}",
            state
                .glif()
                .map(|g| g.tool_names().join(", "))
                .unwrap_or_default()
        ))?;
    }
    out.line(&format!("  health           {url}/health"))?;
    if config.openai.is_some() || config.web.is_some() {
        out.dim("Client keys: coze serve keys create --config FILE (shown once).");
    }
    out.dim("Request logs: add -v. Press Ctrl-C to stop.");
    Ok(())
}
