//! `coze glif`: read a glif's inputs and run it through Glif's Simple API.
//!
//! Where Glif is and who we are, resolved like every setting (flag > env > profile > default):
//! - `--glif-base-url` / `GLIF_BASE_URL` / profile key `glif_base_url`: one server offering
//!   `{URL}/simple` and `{URL}/api` (the emulator's fake Glif is `<emulator>/glif`); default
//!   the official `https://simple-api.glif.app` and `https://glif.app/api`.
//! - the token: `GLIF_API_TOKEN`, else the file named by the profile key `glif_token_file`
//!   (config.toml holds no secrets, only the path, as for JWT private keys).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};
use coze_gateway::Secret;
use coze_gateway::glif::{
    GlifClient, GlifConfig, GlifError, GlifInfo, Inputs, RunOutput, RunRequest,
};
use serde_json::{Value, json};

use crate::commands::key_value;
use crate::error::CliError;
use crate::settings::Settings;

/// Environment variable for the Glif base URL.
pub const BASE_ENV: &str = "GLIF_BASE_URL";

#[derive(Debug, Args)]
pub struct GlifArgs {
    #[command(subcommand)]
    pub command: GlifCommand,

    /// Glif server offering {URL}/simple and {URL}/api, e.g. the emulator's `<base>/glif`
    /// [env: GLIF_BASE_URL]
    #[arg(long, global = true, value_name = "URL")]
    pub glif_base_url: Option<String>,
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum GlifCommand {
    /// List a glif's inputs: names (for --input), kinds, labels, defaults
    Inputs {
        /// The glif id (the last part of its glif.app URL)
        glif_id: String,
    },
    /// Run a glif and print its output (an image/audio/video URL, or text)
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The glif id (the last part of its glif.app URL)
    pub glif_id: String,

    /// Input values in the glif's input order (or use --input NAME=VALUE)
    #[arg(value_name = "VALUE")]
    pub values: Vec<String>,

    /// A named input; repeat for each (names from `coze glif inputs`)
    #[arg(short, long = "input", value_name = "NAME=VALUE", value_parser = key_value)]
    pub inputs: Vec<(String, String)>,

    /// Let Glif fill missing inputs with their defaults (by default a missing input fails)
    #[arg(long)]
    pub no_strict: bool,

    /// Seconds to wait for the run (media glifs can be slow) [default: 600]
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<u64>,
}

/// # Errors
/// Usage errors (exit 2) for bad inputs or a missing token; failures (exit 1) from Glif.
pub async fn run(args: GlifArgs, settings: &Settings) -> anyhow::Result<()> {
    let config = glif_config(settings, args.glif_base_url.as_deref(), true)?;
    match args.command {
        GlifCommand::Inputs { glif_id } => inputs(config, &glif_id, settings).await,
        GlifCommand::Run(run_args) => run_glif(config, run_args, settings).await,
    }
}

/// The Glif client settings for this run. `need_token`: fail now when none is found.
///
/// # Errors
/// A usage error for a bad base URL or an unreadable token file.
pub fn glif_config(
    settings: &Settings,
    flag: Option<&str>,
    need_token: bool,
) -> anyhow::Result<GlifConfig> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
    let extra = settings
        .profile
        .profile()
        .map(|p| p.extra.clone())
        .unwrap_or_default();
    let profile_str = |k: &str| extra.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let mut config = GlifConfig::from_env();
    if let Some(base) = flag
        .map(str::to_owned)
        .or_else(|| env(BASE_ENV))
        .or_else(|| profile_str("glif_base_url"))
    {
        config = config.with_base_url(&base).map_err(|e| {
            CliError::usage(e.to_string())
                .with_hint("pass --glif-base-url http://host:port/glif or unset GLIF_BASE_URL")
        })?;
    }
    if config.token.is_none()
        && let Some(path) = profile_str("glif_token_file")
    {
        let path = PathBuf::from(path);
        let token = std::fs::read_to_string(&path).map_err(|e| {
            CliError::usage(format!(
                "cannot read glif_token_file {}: {e}",
                path.display()
            ))
            .with_hint("fix glif_token_file in config.toml, or set GLIF_API_TOKEN")
        })?;
        config.token = Some(Secret::trimmed(token)).filter(|t| !t.is_empty());
    }
    if need_token && config.token.is_none() {
        return Err(CliError::usage("no glif api token")
            .with_hint("create one at https://glif.app/settings/api-tokens and set GLIF_API_TOKEN (or glif_token_file in the profile)")
            .into());
    }
    Ok(config)
}

/// Turns a Glif error into the CLI's report: the message with its causes, Glif's hint, and
/// exit 2 for what the user can fix in the command line.
pub fn report(err: GlifError, what: String) -> anyhow::Error {
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    let usage = matches!(
        err,
        GlifError::MissingToken
            | GlifError::UnknownInput { .. }
            | GlifError::TooManyInputs { .. }
            | GlifError::MissingInput { .. }
            | GlifError::InvalidConfig(_)
    );
    let mut cli = if usage {
        CliError::usage(message)
    } else {
        CliError::failed(message)
    };
    if let Some(hint) = err.hint() {
        cli = cli.with_hint(hint);
    }
    anyhow::Error::new(cli).context(what)
}

fn client(config: GlifConfig) -> anyhow::Result<GlifClient> {
    GlifClient::new(config).map_err(|e| report(e, "cannot set up the glif client".into()))
}

async fn inputs(config: GlifConfig, glif_id: &str, settings: &Settings) -> anyhow::Result<()> {
    let glif_id = crate::commands::non_empty_arg(glif_id, "GLIF_ID")?;
    let info = client(config)?
        .glif(&glif_id)
        .await
        .map_err(|e| report(e, format!("cannot read glif {glif_id}")))?;
    let out = &settings.output;
    if out.json() {
        out.json_line(&info_json(&info))?;
        return Ok(());
    }
    let title = info.name.clone().unwrap_or_else(|| info.id.clone());
    out.dim(&format!("{title} ({})", info.id));
    let rows: Vec<Vec<String>> = info
        .inputs
        .iter()
        .map(|i| {
            let mut default = i.default.clone().unwrap_or_default();
            if !i.options.is_empty() {
                default = format!("{default} (options: {})", i.options.join(", "));
            }
            vec![
                i.name.clone(),
                i.kind.as_str().to_owned(),
                i.label.clone().unwrap_or_default(),
                default,
            ]
        })
        .collect();
    out.table(
        &["NAME", "KIND", "LABEL", "DEFAULT"],
        &rows,
        "this glif takes no inputs",
    )?;
    Ok(())
}

fn info_json(info: &GlifInfo) -> Value {
    json!({
        "id": info.id,
        "name": info.name,
        "description": info.description,
        "average_duration_ms": info.average_duration_ms,
        "inputs": info.inputs.iter().map(|i| json!({
            "name": i.name, "kind": i.kind.as_str(), "label": i.label,
            "default": i.default, "options": i.options,
        })).collect::<Vec<_>>(),
    })
}

async fn run_glif(
    mut config: GlifConfig,
    args: RunArgs,
    settings: &Settings,
) -> anyhow::Result<()> {
    let glif_id = crate::commands::non_empty_arg(&args.glif_id, "GLIF_ID")?;
    let inputs = match (args.values.is_empty(), args.inputs.is_empty()) {
        (false, false) => {
            return Err(CliError::usage(
                "give input values either by position or with --input NAME=VALUE, not both",
            )
            .with_hint(format!("see the names with `coze glif inputs {glif_id}`"))
            .into());
        }
        (false, true) => Inputs::Positional(args.values),
        (true, _) => {
            let mut named = BTreeMap::new();
            for (name, value) in args.inputs {
                if named.insert(name.clone(), value).is_some() {
                    return Err(CliError::usage(format!("--input {name} is given twice")).into());
                }
            }
            Inputs::Named(named)
        }
    };
    if let Some(secs) = args.timeout {
        config = config.timeout(Duration::from_secs(secs.max(1)));
    }
    let request = RunRequest::new(glif_id.clone())
        .inputs(inputs)
        .strict(!args.no_strict);
    let client = client(config)?;
    let out = &settings.output;
    let spinner = out.spinner(&format!("running glif {glif_id}"));
    let result = match client.run_checked(&request).await {
        // The read API is gone or down: run anyway, Glif checks the inputs itself.
        Err(
            GlifError::Unavailable { .. } | GlifError::Http { .. } | GlifError::InvalidResponse(_),
        ) => client.run(&request).await,
        other => other,
    };
    spinner.stop();
    let run = result.map_err(|e| report(e, format!("glif {glif_id} did not run")))?;
    print_run(&run, settings)
}

fn print_run(run: &RunOutput, settings: &Settings) -> anyhow::Result<()> {
    let out = &settings.output;
    if out.json() {
        out.json_line(&json!({
            "glif_id": run.glif_id,
            "output": run.output,
            "outputs": run.outputs,
            "output_type": run.output_type.as_ref().map(|t| t.as_str()),
            "image_url": run.image_url(),
            "price": run.price,
            "inputs": run.inputs_used,
            "response": run.raw,
        }))?;
        return Ok(());
    }
    if run.outputs.is_empty() {
        out.dim("the glif finished without an output");
    }
    for value in &run.outputs {
        out.line(value)?;
    }
    let kind = run.output_type.as_ref().map_or("output", |t| t.as_str());
    match run.price {
        Some(price) => out.dim(&format!("{kind} · {price} credits · powered by glif.app")),
        None => out.dim(&format!("{kind} · powered by glif.app")),
    }
    Ok(())
}
