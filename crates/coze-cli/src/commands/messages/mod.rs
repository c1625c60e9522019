//! `coze messages`: create, list, get, update, delete the messages of a conversation.

use std::collections::HashMap;

use clap::{Subcommand, ValueEnum};
use coze_sdk::{
    ConversationId, EnterMessage, ListMessagesRequest, Message, MessageId, MessageRole,
    ModifyMessageRequest, SortOrder,
};
use futures_util::StreamExt;

use super::{key_value, non_empty_arg};
use crate::error::CliError;
use crate::output::{Output, format_time};
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum MessagesCommand {
    /// Add a message to a conversation (it does not ask the bot)
    Create {
        /// The conversation
        #[arg(short, long, value_name = "ID")]
        conversation: String,
        /// Who wrote it
        #[arg(long, value_enum, default_value_t = Role::User)]
        role: Role,
        /// Metadata to attach, repeatable
        #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = key_value)]
        meta: Vec<(String, String)>,
        /// The text
        text: String,
    },
    /// List a conversation's messages, newest first
    List {
        /// The conversation
        #[arg(short, long, value_name = "ID")]
        conversation: String,
        /// Only the messages of this chat
        #[arg(long, value_name = "ID")]
        chat: Option<String>,
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
    /// Show one message
    Get {
        /// The conversation
        #[arg(short, long, value_name = "ID")]
        conversation: String,
        /// The message id
        id: String,
    },
    /// Change a message's text or metadata
    Update {
        /// The conversation
        #[arg(short, long, value_name = "ID")]
        conversation: String,
        /// The message id
        id: String,
        /// The new text
        #[arg(long, value_name = "TEXT")]
        content: Option<String>,
        /// Replace the metadata with these pairs, repeatable
        #[arg(long = "meta", value_name = "KEY=VALUE", value_parser = key_value)]
        meta: Vec<(String, String)>,
    },
    /// Delete a question or an answer
    Delete {
        /// The conversation
        #[arg(short, long, value_name = "ID")]
        conversation: String,
        /// The message id
        id: String,
    },
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Role {
    User,
    Assistant,
}

/// # Errors
/// A usage error for empty arguments; otherwise the API error.
pub async fn run(command: MessagesCommand, settings: &Settings) -> anyhow::Result<()> {
    let client = settings.client()?;
    let api = client.messages();
    let out = &settings.output;
    match command {
        MessagesCommand::Create {
            conversation,
            role,
            meta,
            text,
        } => {
            let conversation = conversation_id(&conversation)?;
            let text = non_empty_arg(&text, "the message text")?;
            let role = match role {
                Role::User => MessageRole::User,
                Role::Assistant => MessageRole::Assistant,
            };
            let mut message = EnterMessage::text(role, text);
            for (key, value) in meta {
                message = message.meta_data(key, value);
            }
            show(&[api.create(&conversation, message).await?], out)
        }
        MessagesCommand::List {
            conversation,
            chat,
            limit,
            all,
            oldest_first,
        } => {
            let conversation = conversation_id(&conversation)?;
            let page_size = if all { 50 } else { limit.min(50) };
            let order = if oldest_first {
                SortOrder::Asc
            } else {
                SortOrder::Desc
            };
            let mut req = ListMessagesRequest::new().order(order).limit(page_size);
            if let Some(chat) = chat {
                req = req.chat_id(non_empty_arg(&chat, "--chat")?);
            }
            let mut items = api.list(&conversation, req).items();
            let mut rows = Vec::new();
            while let Some(item) = items.next().await {
                rows.push(item?);
                if !all && rows.len() >= limit as usize {
                    break;
                }
            }
            show(&rows, out)
        }
        MessagesCommand::Get { conversation, id } => {
            let conversation = conversation_id(&conversation)?;
            let id = message_id(&id)?;
            show(&[api.retrieve(&conversation, &id).await?], out)
        }
        MessagesCommand::Update {
            conversation,
            id,
            content,
            meta,
        } => {
            let conversation = conversation_id(&conversation)?;
            let id = message_id(&id)?;
            let mut changes = ModifyMessageRequest::new();
            if content.is_none() && meta.is_empty() {
                return Err(CliError::usage("nothing to update")
                    .with_hint("pass --content TEXT and/or --meta KEY=VALUE")
                    .into());
            }
            if let Some(content) = content {
                changes = changes.text(non_empty_arg(&content, "--content")?);
            }
            if !meta.is_empty() {
                changes = changes.meta_data(meta.into_iter().collect::<HashMap<_, _>>());
            }
            show(&[api.modify(&conversation, &id, changes).await?], out)
        }
        MessagesCommand::Delete { conversation, id } => {
            let conversation = conversation_id(&conversation)?;
            let id = message_id(&id)?;
            let deleted = api.delete(&conversation, &id).await?;
            if out.json() {
                out.json_line(&deleted)?;
            } else {
                out.dim(&format!("deleted message {}", deleted.id));
            }
            Ok(())
        }
    }
}

fn conversation_id(id: &str) -> anyhow::Result<ConversationId> {
    Ok(ConversationId::new(non_empty_arg(id, "--conversation")?))
}

fn message_id(id: &str) -> anyhow::Result<MessageId> {
    Ok(MessageId::new(non_empty_arg(id, "the message id")?))
}

fn show(messages: &[Message], out: &Output) -> anyhow::Result<()> {
    out.list(
        messages,
        &["ID", "ROLE", "TYPE", "CREATED (UTC)", "CONTENT"],
        |m| {
            vec![
                m.id.to_string(),
                m.role.to_string(),
                m.kind.to_string(),
                format_time(m.created_at),
                m.content.clone(),
            ]
        },
        "no messages",
    )?;
    Ok(())
}
