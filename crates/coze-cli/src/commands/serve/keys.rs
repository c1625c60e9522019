//! `coze serve keys create|list|revoke --config gateway.toml`: the API keys clients send as
//! `Authorization: Bearer sk-cz-...`. Keys live (hashed) in the gateway's store, so every
//! instance sharing the store sees a new or revoked key at once.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use coze_gateway::keys::{ApiKeys, KeyRecord, NewKey};
use serde::Serialize;
use serde_json::json;

use crate::error::CliError;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum KeysCommand {
    /// Create a key; it is printed once and stored only as a hash
    Create(CreateArgs),
    /// List the keys (ids, names, limits; never the keys themselves)
    List(ConfigArg),
    /// Revoke a key by id (or by the key itself); every instance refuses it at once
    Revoke(RevokeArgs),
}

#[derive(Debug, Args)]
pub struct ConfigArg {
    /// The gateway configuration (its store holds the keys)
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// A label to recognise the key by in `list`
    #[arg(long)]
    pub name: Option<String>,
    /// Only these models (comma-separated names from [openai] models); default: all
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub models: Option<Vec<String>>,
    /// At most N requests per minute, across all instances
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub rpm: Option<u32>,
    /// At most N streams open at once, across all instances
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: Option<u32>,
}

#[derive(Debug, Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    pub config: ConfigArg,
    /// The key's id (from `list`)
    pub id: String,
}

/// # Errors
/// A usage error for a bad configuration, unknown model or unknown key; a failure when the
/// store cannot be reached.
pub async fn run(cmd: KeysCommand, settings: &Settings) -> anyhow::Result<()> {
    let path = match &cmd {
        KeysCommand::Create(a) => &a.config.config,
        KeysCommand::List(a) => &a.config,
        KeysCommand::Revoke(a) => &a.config.config,
    };
    let config = super::load_config(path)?;
    let spec = config
        .store_spec()
        .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    let store = spec.open().await.map_err(|e| {
        CliError::failed(format!("cannot open the store ({}): {e}", spec.describe()))
    })?;
    let keys = ApiKeys::new(store);
    let out = &settings.output;
    match cmd {
        KeysCommand::Create(a) => {
            let models = a.models.map(|m| {
                m.into_iter()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            });
            if let (Some(models), Some(openai)) = (&models, &config.openai) {
                let unknown: Vec<&String> = models
                    .iter()
                    .filter(|m| {
                        !(openai.models.contains_key(*m)
                            || (openai.allow_bot_passthrough && m.starts_with("bot-")))
                    })
                    .collect();
                if !unknown.is_empty() {
                    let known: Vec<&String> = openai.models.keys().collect();
                    return Err(CliError::usage(format!(
                        "unknown model(s) {unknown:?}; [openai] models has: {known:?}"
                    ))
                    .into());
                }
            }
            let (record, key) = keys
                .create(NewKey {
                    name: a.name,
                    models,
                    rpm: a.rpm,
                    concurrency: a.concurrency,
                })
                .await
                .map_err(|e| CliError::failed(e.to_string()))?;
            if out.json() {
                let mut v = serde_json::to_value(KeyView::from(&record))?;
                v["key"] = json!(key.expose());
                out.json_line(&v)?;
            } else {
                out.line(key.expose())?;
                out.note(&format!(
                    "key {} created ({}); it is shown only now: store it, clients send it as `Authorization: Bearer <key>`",
                    record.id,
                    limits(record.rpm, record.concurrency)
                ));
            }
        }
        KeysCommand::List(_) => {
            let records = keys
                .list()
                .await
                .map_err(|e| CliError::failed(e.to_string()))?;
            let items: Vec<KeyView<'_>> = records.iter().map(KeyView::from).collect();
            out.list(
                &items,
                &["ID", "NAME", "MODELS", "LIMITS", "CREATED"],
                |v| {
                    vec![
                        v.id.to_owned(),
                        v.name.unwrap_or("-").to_owned(),
                        v.models.map_or_else(|| "all".into(), |m| m.join(",")),
                        limits(v.rpm, v.concurrency),
                        crate::output::format_time(i64::try_from(v.created_at).ok()),
                    ]
                },
                "no keys yet: coze serve keys create --config FILE",
            )?;
        }
        KeysCommand::Revoke(a) => {
            let revoked = keys
                .revoke(&a.id)
                .await
                .map_err(|e| CliError::failed(e.to_string()))?;
            if !revoked {
                return Err(CliError::usage(format!("no key {:?}", a.id))
                    .with_hint("`coze serve keys list --config FILE` shows the ids")
                    .into());
            }
            if out.json() {
                out.json_line(&json!({"id": a.id, "revoked": true}))?;
            } else {
                out.line(&format!("revoked {}", a.id))?;
            }
        }
    }
    Ok(())
}

/// A key record as shown (everything but the hash).
#[derive(Debug, Serialize)]
struct KeyView<'a> {
    id: &'a str,
    name: Option<&'a str>,
    models: Option<&'a [String]>,
    rpm: Option<u32>,
    concurrency: Option<u32>,
    created_at: u64,
}

impl<'a> From<&'a KeyRecord> for KeyView<'a> {
    fn from(r: &'a KeyRecord) -> Self {
        Self {
            id: &r.id,
            name: r.name.as_deref(),
            models: r.models.as_deref(),
            rpm: r.rpm,
            concurrency: r.concurrency,
            created_at: r.created_at,
        }
    }
}

fn limits(rpm: Option<u32>, concurrency: Option<u32>) -> String {
    let mut parts = Vec::new();
    if let Some(n) = rpm {
        parts.push(format!("{n}/min"));
    }
    if let Some(n) = concurrency {
        parts.push(format!("{n} streams"));
    }
    if parts.is_empty() {
        "no limits".into()
    } else {
        parts.join(", ")
    }
}
