//! The `[openai]` section.

use serde::Deserialize;
use std::collections::BTreeMap;

/// `[openai]`: which OpenAI model names map to which bots.
///
/// ```toml
/// [openai]
/// allow_bot_passthrough = false          # also accept model = "bot-<bot id>"
/// [openai.models]
/// support = "7351234567890123456"        # a bot id
/// writer = { bot_id = "7351234567890000000", version = "1712345678" }
/// ```
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct OpenAiConfig {
    /// Model name -> bot.
    #[serde(default)]
    pub models: BTreeMap<String, ModelTarget>,
    /// Accept `bot-<id>` for any bot the upstream credentials can chat with.
    #[serde(default)]
    pub allow_bot_passthrough: bool,
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
