//! The `[openai]` section.

use serde::Deserialize;
use std::collections::BTreeMap;

pub use super::request::SystemRule;

/// `[openai]`: which OpenAI model names map to which bots.
///
/// ```toml
/// [openai]
/// allow_bot_passthrough = false          # also accept model = "bot-<bot id>"
/// [openai.models]
/// support = "7351234567890123456"        # a bot id
/// writer = { bot_id = "7351234567890000000", version = "1712345678" }
/// ```
///
/// The translation's own settings, with their defaults:
///
/// ```toml
/// [openai]
/// system_messages = "drop"        # or "context", or "variable:NAME"
/// edited_history = "fork"         # or "reject"
/// max_body_bytes = 8388608        # larger bodies: 413 before they are read
/// tool_call_ttl_secs = 600        # how long a tool call waits for its outputs
/// conversation_ttl_days = 30      # how long a history is recognised
/// ```
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpenAiConfig {
    /// Model name -> bot.
    #[serde(default)]
    pub models: BTreeMap<String, ModelTarget>,
    /// Accept `bot-<id>` for any bot the upstream credentials can chat with.
    #[serde(default)]
    pub allow_bot_passthrough: bool,
    /// What happens to `system` / `developer` messages (see [`SystemRule`]).
    #[serde(default)]
    pub system_messages: SystemRule,
    /// What happens to a history edited after an answer the gateway gave.
    #[serde(default)]
    pub edited_history: EditedHistory,
    /// Largest request body.
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// How long a pending tool call can be answered, in seconds.
    #[serde(default = "default_tool_ttl")]
    pub tool_call_ttl_secs: u64,
    /// How long the gateway remembers which Coze conversation a history belongs to, in days.
    #[serde(default = "default_conversation_ttl")]
    pub conversation_ttl_days: u64,
}

impl Default for OpenAiConfig {
    fn default() -> Self {
        Self {
            models: BTreeMap::new(),
            allow_bot_passthrough: false,
            system_messages: SystemRule::default(),
            edited_history: EditedHistory::default(),
            max_body_bytes: default_max_body(),
            tool_call_ttl_secs: default_tool_ttl(),
            conversation_ttl_days: default_conversation_ttl(),
        }
    }
}

fn default_max_body() -> usize {
    8 * 1024 * 1024
}

fn default_tool_ttl() -> u64 {
    600
}

fn default_conversation_ttl() -> u64 {
    30
}

/// `edited_history`: what a history changed after an answer the gateway gave does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EditedHistory {
    /// Start a new Coze conversation carrying the edited history; the old one stays as it
    /// was (what chat apps that edit or regenerate messages need).
    #[default]
    Fork,
    /// Refuse with 400 `history_edited`.
    Reject,
}

/// The bot behind a model name.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum ModelTarget {
    /// Just the bot id (its published version).
    BotId(String),
    /// A bot and, optionally, a version.
    Bot {
        /// The bot id.
        bot_id: String,
        /// A published version.
        #[serde(default)]
        version: Option<String>,
    },
}

impl ModelTarget {
    /// The bot id.
    pub fn bot_id(&self) -> &str {
        match self {
            Self::BotId(id) | Self::Bot { bot_id: id, .. } => id,
        }
    }

    /// The version, when one is set.
    pub fn version(&self) -> Option<&str> {
        match self {
            Self::BotId(_) => None,
            Self::Bot { version, .. } => version.as_deref(),
        }
    }
}

impl OpenAiConfig {
    /// Checks model names and bot ids.
    ///
    /// # Errors
    ///
    /// A message naming the bad model.
    pub fn validate(&self) -> Result<(), String> {
        if self.models.is_empty() && !self.allow_bot_passthrough {
            return Err(
                "has no models: add models = { name = \"<bot id>\" } or allow_bot_passthrough = true"
                    .into(),
            );
        }
        if self.max_body_bytes < 1024 {
            return Err(format!(
                "max_body_bytes = {} is too small: use at least 1024 (default 8388608)",
                self.max_body_bytes
            ));
        }
        if self.tool_call_ttl_secs == 0 || self.conversation_ttl_days == 0 {
            return Err("tool_call_ttl_secs and conversation_ttl_days must be at least 1".into());
        }
        for (name, target) in &self.models {
            if name.trim().is_empty() || name.len() > 256 {
                return Err(format!("model name {name:?} must be 1 to 256 characters"));
            }
            let id = target.bot_id();
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!(
                    "model {name:?}: bot id {id:?} must be the digits from the bot's URL"
                ));
            }
        }
        Ok(())
    }
}
