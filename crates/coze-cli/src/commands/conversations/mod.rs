//! `coze conversations`: create, get, list, rename, delete, clear.

use clap::Subcommand;
use coze_sdk::{Conversation, ConversationId, CreateConversationRequest, ListConversationsRequest};
use futures_util::StreamExt;

use super::{key_value, non_empty_arg};
use crate::output::{Output, format_time};
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum ConversationsCommand {
    /// Create a conversation
    Create {
        /// The bot the conversation belongs to
        #[arg(long, value_name = "ID")]
        bot: Option<String>,
        /// A name for it (at most 100 characters)
        #[arg(long)]
        name: Option<String>,
        /// Metadata to attach, repeatable
        #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = key_value)]
        meta: Vec<(String, String)>,
    },
    /// Show one conversation
    Get {
        /// The conversation id
        id: String,
    },
    /// List a bot's conversations, newest first
    List {
        /// The bot whose conversations to list
        #[arg(long, value_name = "ID")]
        bot: String,
        /// Show at most this many
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
        /// Show all of them (fetches every page)
        #[arg(long, conflicts_with = "limit")]
        all: bool,
        /// Oldest first
        #[arg(long)]
        oldest_first: bool,
    },
    /// Rename a conversation
    Rename {
        /// The conversation id
        id: String,
        /// The new name
        name: String,
    },
    /// Delete a conversation and its messages
    Delete {
        /// The conversation id
        id: String,
    },
    /// Start a new section: the bot forgets the earlier messages (they stay listed)
    Clear {
        /// The conversation id
        id: String,
    },
}

/// # Errors
/// A usage error for empty arguments; otherwise the API error.
pub async fn run(command: ConversationsCommand, settings: &Settings) -> anyhow::Result<()> {
    let client = settings.client()?;
    let api = client.conversations();
    let out = &settings.output;
    match command {
        ConversationsCommand::Create { bot, name, meta } => {
            let mut req = CreateConversationRequest::new();
            if let Some(bot) = bot {
                req = req.bot_id(non_empty_arg(&bot, "--bot")?);
            }
            if let Some(name) = name {
                req = req.name(non_empty_arg(&name, "--name")?);
            }
            for (key, value) in meta {
                req = req.meta_data(key, value);
            }
            show(&[api.create(req).await?], out)
        }
        ConversationsCommand::Get { id } => {
            let id = conversation_id(&id)?;
            show(&[api.retrieve(&id).await?], out)
        }
        ConversationsCommand::List {
            bot,
            limit,
            all,
            oldest_first,
        } => {
            let bot = non_empty_arg(&bot, "--bot")?;
            let page_size = if all { 50 } else { limit.min(50) };
            let req = ListConversationsRequest::new(bot)
                .page_size(page_size)
                .ascending(oldest_first);
            let mut items = api.list(req).items();
            let mut rows = Vec::new();
            while let Some(item) = items.next().await {
                rows.push(item?);
                if !all && rows.len() >= limit as usize {
                    break;
                }
            }
            show(&rows, out)
        }
        ConversationsCommand::Rename { id, name } => {
            let id = conversation_id(&id)?;
            let name = non_empty_arg(&name, "the name")?;
            show(&[api.update(&id, &name).await?], out)
        }
        ConversationsCommand::Delete { id } => {
            let id = conversation_id(&id)?;
            api.delete(&id).await?;
            if out.json() {
                out.json_line(&serde_json::json!({ "id": id, "deleted": true }))?;
            } else {
                out.dim(&format!("deleted conversation {id}"));
            }
            Ok(())
        }
        ConversationsCommand::Clear { id } => {
            let id = conversation_id(&id)?;
            let section = api.clear(&id).await?;
            if out.json() {
                out.json_line(&section)?;
            } else {
                let rows = vec![vec![
                    section.conversation_id.to_string(),
                    section.id.to_string(),
                ]];
                out.table(&["CONVERSATION", "NEW SECTION"], &rows, "")?;
                out.dim("the bot no longer uses the earlier messages as context");
            }
            Ok(())
        }
    }
}

fn conversation_id(id: &str) -> anyhow::Result<ConversationId> {
    Ok(ConversationId::new(non_empty_arg(
        id,
        "the conversation id",
    )?))
}

fn show(conversations: &[Conversation], out: &Output) -> anyhow::Result<()> {
    out.list(
        conversations,
        &[
            "ID",
            "NAME",
            "CREATED (UTC)",
            "UPDATED (UTC)",
            "LAST SECTION",
        ],
        |c| {
            vec![
                c.id.to_string(),
                c.name.clone(),
                format_time(c.created_at),
                format_time(c.updated_at),
                c.last_section_id.to_string(),
            ]
        },
        "no conversations",
    )?;
    Ok(())
}
