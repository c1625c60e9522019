//! Conversation types.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::ids::{BotId, ConversationId, SectionId};
use crate::types::common::null_default;
use crate::types::lenient::Timestamp;
use crate::types::messages::EnterMessage;

/// A conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Conversation {
    /// Conversation id.
    #[serde(default)]
    pub id: ConversationId,
    /// Name (may be empty).
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Creation time (Unix seconds).
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub created_at: Timestamp,
    /// Last update time.
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub updated_at: Timestamp,
    /// Caller-defined key/values.
    #[serde(default, deserialize_with = "null_default")]
    pub meta_data: HashMap<String, String>,
    /// The current section (changes on `clear`).
    #[serde(default)]
    pub last_section_id: SectionId,
    /// Creator.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub creator_id: String,
    /// Channel (`1024` API, `999` Chat SDK).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub connector_id: String,
}

/// A conversation section: `clear` starts a new one, and the bot forgets earlier ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Section {
    /// The new section id.
    #[serde(default)]
    pub id: SectionId,
    /// The conversation.
    #[serde(default)]
    pub conversation_id: ConversationId,
}

/// A request to create a conversation; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CreateConversationRequest {
    /// Bind the conversation to a bot.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<BotId>,
    /// Name (≤ 100 characters).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Initial messages.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<EnterMessage>,
    /// Caller-defined key/values.
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub meta_data: HashMap<String, String>,
}

impl CreateConversationRequest {
    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }
    /// Binds to a bot.
    pub fn bot_id(mut self, id: impl Into<BotId>) -> Self {
        self.bot_id = Some(id.into());
        self
    }
    /// Names the conversation.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }
    /// Adds an initial message.
    pub fn message(mut self, message: EnterMessage) -> Self {
        self.messages.push(message);
        self
    }
    /// Adds a meta_data pair.
    pub fn meta_data(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.meta_data.insert(key.into(), value.into());
        self
    }
}

/// Options of `GET /v1/conversations`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListConversationsRequest {
    /// The bot whose conversations to list (required by Coze).
    pub bot_id: BotId,
    /// Page size, 1–50 (default 20).
    pub page_size: u32,
    /// First page to fetch (1-based, default 1).
    pub page_num: u32,
    /// `ASC` or `DESC` (Coze default DESC), by creation time.
    pub sort_order: Option<String>,
    /// Channel filter (`1024` API, `999` Chat SDK).
    pub connector_id: Option<String>,
}

impl ListConversationsRequest {
    /// The conversations of `bot_id`, 20 per page, newest first.
    pub fn new(bot_id: impl Into<BotId>) -> Self {
        Self {
            bot_id: bot_id.into(),
            page_size: 20,
            page_num: 1,
            sort_order: None,
            connector_id: None,
        }
    }
    /// Sets the page size (1–50).
    pub fn page_size(mut self, n: u32) -> Self {
        self.page_size = n;
        self
    }
    /// Starts at page `n` (1-based).
    pub fn page_num(mut self, n: u32) -> Self {
        self.page_num = n.max(1);
        self
    }
    /// Oldest first when true.
    pub fn ascending(mut self, asc: bool) -> Self {
        self.sort_order = Some(if asc { "ASC" } else { "DESC" }.to_owned());
        self
    }
    /// Filters by channel.
    pub fn connector_id(mut self, id: impl Into<String>) -> Self {
        self.connector_id = Some(id.into());
        self
    }
}

/// One page of `GET /v1/conversations`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ConversationList {
    /// The conversations.
    #[serde(default, deserialize_with = "null_default")]
    pub conversations: Vec<Conversation>,
    /// Whether more pages follow.
    #[serde(default, deserialize_with = "null_default")]
    pub has_more: bool,
}
