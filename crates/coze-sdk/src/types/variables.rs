//! Variable types.

use serde::{Deserialize, Serialize};

use crate::types::lenient::Int;

/// A user variable's value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VariableValue {
    /// The variable's name.
    pub keyword: String,
    /// Its value.
    pub value: String,
    /// First set (Unix seconds).
    pub create_time: Int,
    /// Last set (Unix seconds).
    pub update_time: Int,
}

/// Whose variables: a bot's or an app's, for one user of one channel.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct VariableScope {
    /// The bot (or set `app_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<String>,
    /// The app (or set `bot_id`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The channel (default 1024, the API).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_id: Option<String>,
    /// The channel's user (default: the token's user).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector_uid: Option<String>,
}

impl VariableScope {
    /// The variables of a bot.
    pub fn bot(bot_id: impl Into<String>) -> Self {
        Self {
            bot_id: Some(bot_id.into()),
            ..Self::default()
        }
    }

    /// The variables of an app.
    pub fn app(app_id: impl Into<String>) -> Self {
        Self {
            app_id: Some(app_id.into()),
            ..Self::default()
        }
    }

    /// For this user of the channel.
    pub fn user(mut self, connector_uid: impl Into<String>) -> Self {
        self.connector_uid = Some(connector_uid.into());
        self
    }
}
