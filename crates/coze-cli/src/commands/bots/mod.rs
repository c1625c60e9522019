//! `coze bots`: list, get, create, update, publish, unpublish.
//!
//! `list` shows every bot of the workspace by default (a fresh bot is an unpublished draft,
//! and finding its id is the point); `get` shows the draft unless `--published`.

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use coze_sdk::{
    API_CONNECTOR, Bot, BotId, BotPublishStatus, CreateBotRequest, ListBotsRequest, ModelInfo,
    OnboardingInfo, PromptInfo, SimpleBot, UpdateBotRequest,
};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::non_empty_arg;
use crate::error::CliError;
use crate::output::{Output, format_time};
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum BotsCommand {
    /// List the bots of a workspace
    List {
        /// The workspace [default: your personal workspace]
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        /// Which bots to show
        #[arg(long, value_enum, default_value_t = Status::All)]
        status: Status,
        /// Show at most this many
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
    },
    /// Show a bot's configuration
    Get {
        /// The bot id
        id: String,
        /// Show the version published to the API instead of the draft
        #[arg(long)]
        published: bool,
    },
    /// Create a bot (an unpublished draft) from flags or a JSON/TOML file; prints its id
    Create {
        /// The workspace [default: the file's space_id, else your personal workspace]
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        /// Name, 1 to 20 characters (required unless the file has one)
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: BotFields,
    },
    /// Change a bot's draft (publish again to make it live)
    Update {
        /// The bot id
        id: String,
        /// New name, 1 to 20 characters
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        fields: BotFields,
    },
    /// Publish a bot so that `coze chat --bot ID` works (API channel 1024 by default)
    Publish {
        /// The bot id
        id: String,
        /// Channel ids, repeatable [default: 1024, the API]
        #[arg(long = "connector", value_name = "ID")]
        connectors: Vec<String>,
    },
    /// List a bot's versions (the published one, the draft, or both)
    Versions {
        /// The bot id
        id: String,
        /// Which versions
        #[arg(long, value_enum, default_value_t = VersionStatus::All)]
        status: VersionStatus,
    },
    /// Take a bot off a channel (chats over the API then fail with 4015)
    Unpublish {
        /// The bot id
        id: String,
        /// The channel [default: 1024, the API]
        #[arg(long, value_name = "ID", default_value = API_CONNECTOR)]
        connector: String,
    },
}

/// Settings shared by create and update; the file is read first, flags override it.
#[derive(Debug, Args)]
pub struct BotFields {
    /// Description, at most 500 characters
    #[arg(long)]
    description: Option<String>,
    /// The prompt (persona and reply logic)
    #[arg(long)]
    prompt: Option<String>,
    /// The opening message
    #[arg(long)]
    prologue: Option<String>,
    /// The model id
    #[arg(long, value_name = "ID")]
    model: Option<String>,
    /// Read the request from a JSON or TOML file (same field names as the Coze API)
    #[arg(long, value_name = "PATH")]
    file: Option<PathBuf>,
}

/// `--status` values.
/// Which versions `coze bots versions` shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VersionStatus {
    /// The published version and the draft
    All,
    /// The version live on the API
    Published,
    /// The draft
    Draft,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Status {
    /// Every bot
    All,
    /// Published to the API
    Published,
    /// Not published
    Unpublished,
    /// Published, with edits not yet published
    Draft,
}

impl Status {
    fn wire(self) -> BotPublishStatus {
        match self {
            Status::All => BotPublishStatus::All,
            Status::Published => BotPublishStatus::PublishedOnline,
            Status::Unpublished => BotPublishStatus::UnpublishedDraft,
            Status::Draft => BotPublishStatus::PublishedDraft,
        }
    }
}

/// # Errors
/// A usage error for bad arguments, a failure for an unreadable file; otherwise the API error.
pub async fn run(command: BotsCommand, settings: &Settings) -> anyhow::Result<()> {
    let client = settings.client()?;
    let out = &settings.output;
    match command {
        BotsCommand::List {
            workspace,
            status,
            limit,
        } => {
            let workspace = super::workspaces::resolve(&client, workspace.as_deref()).await?;
            let req = ListBotsRequest::new(workspace)
                .publish_status(status.wire())
                .page_size(limit.min(100));
            let mut items = client.bots().list(req).items();
            let mut bots = Vec::new();
            while let Some(bot) = items.next().await {
                bots.push(bot?);
                if bots.len() >= limit as usize {
                    break;
                }
            }
            show_list(&bots, out)
        }
        BotsCommand::Get { id, published } => {
            let bot = client.bots().retrieve(&bot_id(&id)?, published).await?;
            show_bot(&bot, out)
        }
        BotsCommand::Create {
            workspace,
            name,
            fields,
        } => {
            let mut req: CreateBotRequest = match &fields.file {
                Some(path) => read_file(path)?,
                None => CreateBotRequest::default(),
            };
            if let Some(name) = name {
                req.name = name;
            }
            if req.name.trim().is_empty() {
                return Err(CliError::usage("the bot needs a name")
                    .with_hint("pass --name <name> (1 to 20 characters), or set name in --file")
                    .into());
            }
            if workspace.is_some() || req.space_id.is_empty() {
                req.space_id = super::workspaces::resolve(&client, workspace.as_deref()).await?;
            }
            req.description = fields.description.or(req.description);
            req.prompt_info = fields.prompt.map(PromptInfo::new).or(req.prompt_info);
            req.onboarding_info = fields
                .prologue
                .map(OnboardingInfo::new)
                .or(req.onboarding_info);
            req.model_info_config = fields.model.map(ModelInfo::new).or(req.model_info_config);
            let id = client.bots().create(req).await?;
            if out.json() {
                out.json_line(&serde_json::json!({ "bot_id": id }))?;
            } else {
                out.line(id.as_str())?;
                out.dim(&format!(
                    "created an unpublished bot; publish it with: coze bots publish {id}"
                ));
            }
            Ok(())
        }
        BotsCommand::Update { id, name, fields } => {
            let mut req: UpdateBotRequest = match &fields.file {
                Some(path) => read_file(path)?,
                None => UpdateBotRequest::default(),
            };
            req.bot_id = bot_id(&id)?;
            req.name = name.or(req.name);
            req.description = fields.description.or(req.description);
            req.prompt_info = fields.prompt.map(PromptInfo::new).or(req.prompt_info);
            req.onboarding_info = fields
                .prologue
                .map(OnboardingInfo::new)
                .or(req.onboarding_info);
            req.model_info_config = fields.model.map(ModelInfo::new).or(req.model_info_config);
            if req.is_empty() {
                return Err(CliError::usage("nothing to update")
                    .with_hint(
                        "pass --name, --description, --prompt, --prologue, --model or --file",
                    )
                    .into());
            }
            let bot = req.bot_id.clone();
            client.bots().update(req).await?;
            if out.json() {
                out.json_line(&serde_json::json!({ "bot_id": bot, "updated": true }))?;
            } else {
                out.dim(&format!(
                    "updated the draft of bot {bot}; publish it to make the change live"
                ));
            }
            Ok(())
        }
        BotsCommand::Publish { id, connectors } => {
            let id = bot_id(&id)?;
            let connectors: Vec<&str> = if connectors.is_empty() {
                vec![API_CONNECTOR]
            } else {
                connectors
                    .iter()
                    .map(|c| c.trim())
                    .filter(|c| !c.is_empty())
                    .collect()
            };
            if connectors.is_empty() {
                return Err(CliError::usage("--connector is empty").into());
            }
            let published = client.bots().publish_to(&id, &connectors).await?;
            if out.json() {
                out.json_line(&published)?;
            } else {
                let rows = vec![vec![
                    published.bot_id.to_string(),
                    published.version.clone(),
                    connectors.join(","),
                ]];
                out.table(&["BOT", "VERSION", "CONNECTORS"], &rows, "")?;
                if connectors.contains(&API_CONNECTOR) {
                    out.dim(&format!("chat with it: coze chat --bot {id}"));
                }
            }
            Ok(())
        }
        BotsCommand::Versions { id, status } => {
            let id = bot_id(&id)?;
            let wire = match status {
                VersionStatus::All => "all",
                VersionStatus::Published => "published_online",
                VersionStatus::Draft => "unpublished_draft",
            };
            let versions = client
                .bots()
                .versions(&id, Some(wire))
                .collect_all()
                .await?;
            out.list(
                &versions,
                &["VERSION", "STATUS", "CREATED", "BY", "CHANGELOG"],
                |v| {
                    vec![
                        if v.version.is_empty() {
                            "(draft)".into()
                        } else {
                            v.version.clone()
                        },
                        v.publish_status.clone(),
                        format_time(v.created_at.get()),
                        v.creator.name.clone(),
                        v.changelog.clone(),
                    ]
                },
                "no versions: the bot was never published (see --status)",
            )?;
            Ok(())
        }
        BotsCommand::Unpublish { id, connector } => {
            let id = bot_id(&id)?;
            let connector = non_empty_arg(&connector, "--connector")?;
            client.bots().unpublish(&id, &connector).await?;
            if out.json() {
                out.json_line(&serde_json::json!({ "bot_id": id, "connector_id": connector, "unpublished": true }))?;
            } else {
                out.dim(&format!(
                    "bot {id} is no longer published to connector {connector}"
                ));
            }
            Ok(())
        }
    }
}

fn bot_id(id: &str) -> anyhow::Result<BotId> {
    Ok(BotId::new(non_empty_arg(id, "the bot id")?))
}

/// Reads a request from JSON or TOML (by extension; JSON otherwise).
fn read_file<T: DeserializeOwned>(path: &Path) -> anyhow::Result<T> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::failed(format!("cannot read {}: {e}", path.display()))
            .with_hint("pass the path of a JSON or TOML file describing the bot")
    })?;
    let toml = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
    let parsed = if toml {
        toml::from_str(&text).map_err(|e| e.to_string())
    } else {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    };
    parsed.map_err(|e| {
        let kind = if toml { "TOML" } else { "JSON" };
        CliError::failed(format!("{} is not a valid bot {kind} file: {}", path.display(), e.trim()))
            .with_hint("use the Coze API field names: name, description, prompt_info.prompt, onboarding_info.prologue, model_info_config.model_id, ...")
            .into()
    })
}

fn show_list(bots: &[SimpleBot], out: &Output) -> anyhow::Result<()> {
    out.list(
        bots,
        &["ID", "NAME", "PUBLISHED", "UPDATED (UTC)", "DESCRIPTION"],
        |b| {
            vec![
                b.id.to_string(),
                b.name.clone(),
                if b.is_published { "yes" } else { "no" }.to_string(),
                format_time(b.updated_at),
                b.description.clone(),
            ]
        },
        "no bots match",
    )?;
    Ok(())
}

fn show_bot(bot: &Bot, out: &Output) -> anyhow::Result<()> {
    if out.json() {
        out.json_line(bot)?;
        return Ok(());
    }
    let mut rows = vec![
        vec!["id".to_string(), bot.bot_id.to_string()],
        vec!["name".to_string(), bot.name.clone()],
        vec!["description".to_string(), bot.description.clone()],
        vec!["version".to_string(), bot.version.clone()],
        vec!["updated (UTC)".to_string(), format_time(bot.update_time)],
    ];
    if let Some(prompt) = &bot.prompt_info {
        rows.push(vec!["prompt".to_string(), prompt.prompt.clone()]);
    }
    if let Some(onboarding) = &bot.onboarding_info {
        rows.push(vec!["prologue".to_string(), onboarding.prologue.clone()]);
    }
    if let Some(model) = &bot.model_info {
        let name = model.model_name.clone().unwrap_or_default();
        rows.push(vec![
            "model".to_string(),
            format!("{} {name}", model.model_id).trim().to_string(),
        ]);
    }
    out.table(&["FIELD", "VALUE"], &rows, "")?;
    Ok(())
}
