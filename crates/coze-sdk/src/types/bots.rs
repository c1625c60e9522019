//! Bot types.
//!
//! [`CreateBotRequest`] and [`UpdateBotRequest`] also deserialise, so a bot can be described
//! in a JSON or TOML file (`coze bots create --file bot.toml`).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::ids::{BotId, UserId, WorkspaceId};
use crate::types::common::{null_default, open_enum};
use crate::types::lenient::{Int, Timestamp};

open_enum! {
    /// Which bots a list returns (`publish_status` of `GET /v1/bots`).
    BotPublishStatus {
        /// Every bot.
        All => "all",
        /// Bots published now (Coze's default).
        PublishedOnline => "published_online",
        /// Published bots with unpublished edits.
        PublishedDraft => "published_draft",
        /// Bots that are not published.
        UnpublishedDraft => "unpublished_draft",
    }
}

/// A bot as the lists show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SimpleBot {
    /// Bot id.
    #[serde(default)]
    pub id: BotId,
    /// Name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Description.
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    /// Icon URL.
    #[serde(default, deserialize_with = "null_default")]
    pub icon_url: String,
    /// Published to the API channel now.
    #[serde(default, deserialize_with = "null_default")]
    pub is_published: bool,
    /// Last edit (Unix seconds).
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub updated_at: Timestamp,
    /// Last publish (Unix seconds).
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub published_at: Timestamp,
    /// Owner ("" in the published-bots list).
    #[serde(default, deserialize_with = "null_default")]
    pub owner_user_id: String,
}

/// One page of bots (`GET /v1/bots`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct BotList {
    /// Bots of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub items: Vec<SimpleBot>,
    /// How many bots match in all.
    #[serde(default)]
    pub total: Int,
}

/// One page of the legacy published-bots list (`GET /v1/space/published_bots_list`).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct PublishedBotList {
    #[serde(default, deserialize_with = "null_default")]
    pub(crate) space_bots: Vec<PublishedBot>,
    #[serde(default)]
    pub(crate) total: Int,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct PublishedBot {
    #[serde(default)]
    bot_id: BotId,
    #[serde(default, deserialize_with = "null_default")]
    bot_name: String,
    #[serde(default, deserialize_with = "null_default")]
    description: String,
    #[serde(default, deserialize_with = "null_default")]
    icon_url: String,
    publish_time: Timestamp,
}

impl From<PublishedBot> for SimpleBot {
    fn from(b: PublishedBot) -> Self {
        SimpleBot {
            id: b.bot_id,
            name: b.bot_name,
            description: b.description,
            icon_url: b.icon_url,
            is_published: true,
            updated_at: b.publish_time,
            published_at: b.publish_time,
            owner_user_id: String::new(),
        }
    }
}

/// Which bots to list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListBotsRequest {
    /// The workspace (space) of the bots.
    pub workspace_id: WorkspaceId,
    /// Filter by publish status; Coze's default is published bots only.
    pub publish_status: Option<BotPublishStatus>,
    /// Filter by channel (e.g. `1024`, the API).
    pub connector_id: Option<String>,
    /// First page (1-based).
    pub page_num: u32,
    /// Bots per page.
    pub page_size: u32,
}

impl ListBotsRequest {
    /// The bots of `workspace_id`, 20 per page.
    pub fn new(workspace_id: impl Into<WorkspaceId>) -> Self {
        Self {
            workspace_id: workspace_id.into(),
            publish_status: None,
            connector_id: None,
            page_num: 1,
            page_size: 20,
        }
    }

    /// Only bots with this publish status.
    pub fn publish_status(mut self, status: BotPublishStatus) -> Self {
        self.publish_status = Some(status);
        self
    }

    /// Only bots published to this channel.
    pub fn connector_id(mut self, connector: impl Into<String>) -> Self {
        self.connector_id = Some(connector.into());
        self
    }

    /// Sets the first page (1-based).
    pub fn page_num(mut self, page: u32) -> Self {
        self.page_num = page.max(1);
        self
    }

    /// Sets the page size (1–100).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size.clamp(1, 100);
        self
    }
}

/// The persona and reply logic.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PromptInfo {
    /// The prompt.
    #[serde(default, deserialize_with = "null_default")]
    pub prompt: String,
}

impl PromptInfo {
    /// A prompt.
    pub fn new(prompt: impl Into<String>) -> Self {
        Self {
            prompt: prompt.into(),
        }
    }
}

/// The opening message and suggested first questions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OnboardingInfo {
    /// The opening message.
    #[serde(default, deserialize_with = "null_default")]
    pub prologue: String,
    /// Suggested questions.
    #[serde(default, deserialize_with = "null_default")]
    pub suggested_questions: Vec<String>,
}

impl OnboardingInfo {
    /// An opening message.
    pub fn new(prologue: impl Into<String>) -> Self {
        Self {
            prologue: prologue.into(),
            suggested_questions: Vec::new(),
        }
    }

    /// Adds a suggested question.
    pub fn question(mut self, question: impl Into<String>) -> Self {
        self.suggested_questions.push(question.into());
        self
    }
}

/// Model settings (`model_info_config` on create/update, `model_info` on retrieve). Fields
/// this SDK does not name are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ModelInfo {
    /// Model id.
    #[serde(default, deserialize_with = "null_default")]
    pub model_id: String,
    /// Model name (responses only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_name: Option<String>,
    /// Sampling temperature.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Maximum reply tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<i64>,
    /// Rounds of context kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_round: Option<i64>,
    /// `text`, `markdown` or `json`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_format: Option<String>,
    /// Other settings (top_p, top_k, penalties, ...), as sent or received.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ModelInfo {
    /// Settings for `model_id`.
    pub fn new(model_id: impl Into<String>) -> Self {
        Self {
            model_id: model_id.into(),
            ..Self::default()
        }
    }
}

/// A bot's configuration (`get_online_info`, `/v1/bots/{id}`). Fields this SDK does not name
/// (plugins, variables, voices, ...) are kept in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Bot {
    /// Bot id.
    #[serde(default)]
    pub bot_id: BotId,
    /// Name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Description.
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    /// Icon URL.
    #[serde(default, deserialize_with = "null_default")]
    pub icon_url: String,
    /// Creation time (Unix seconds).
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub create_time: Timestamp,
    /// Last edit.
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub update_time: Timestamp,
    /// Published version.
    #[serde(default, deserialize_with = "null_default")]
    pub version: String,
    /// 0 single agent, 1 multi-agent, 2 single agent with workflow.
    #[serde(default)]
    pub bot_mode: Int,
    /// Prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_info: Option<PromptInfo>,
    /// Opening message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarding_info: Option<OnboardingInfo>,
    /// Model.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_info: Option<ModelInfo>,
    /// Owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_user_id: Option<UserId>,
    /// Everything else Coze sent.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A new bot: it starts as an unpublished draft; publish it before chatting over the API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct CreateBotRequest {
    /// Workspace to create it in.
    #[serde(default)]
    pub space_id: WorkspaceId,
    /// Name, 1–20 characters.
    #[serde(default)]
    pub name: String,
    /// Description, at most 500 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Avatar: the id of an uploaded image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_file_id: Option<String>,
    /// Prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_info: Option<PromptInfo>,
    /// Opening message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarding_info: Option<OnboardingInfo>,
    /// Model settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_info_config: Option<ModelInfo>,
    /// Suggested replies (`{"reply_mode": "enable" | "disable" | "customized", ...}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggest_reply_info: Option<Value>,
    /// Plugins (`{"id_list": [{"plugin_id", "api_id"}]}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_id_list: Option<Value>,
    /// Workflows (`{"ids": [{"id"}]}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow_id_list: Option<Value>,
}

impl CreateBotRequest {
    /// A bot named `name` in workspace `space_id`.
    pub fn new(space_id: impl Into<WorkspaceId>, name: impl Into<String>) -> Self {
        Self {
            space_id: space_id.into(),
            name: name.into(),
            ..Self::default()
        }
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the prompt.
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt_info = Some(PromptInfo::new(prompt));
        self
    }

    /// Sets the opening message.
    pub fn onboarding(mut self, onboarding: OnboardingInfo) -> Self {
        self.onboarding_info = Some(onboarding);
        self
    }

    /// Sets the model.
    pub fn model(mut self, model: ModelInfo) -> Self {
        self.model_info_config = Some(model);
        self
    }

    /// Sets the avatar to an uploaded image.
    pub fn icon_file_id(mut self, file_id: impl Into<String>) -> Self {
        self.icon_file_id = Some(file_id.into());
        self
    }
}

/// Changes to a bot; fields left `None` stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct UpdateBotRequest {
    /// The bot.
    #[serde(default)]
    pub bot_id: BotId,
    /// New name, 1–20 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New avatar (an uploaded image's id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon_file_id: Option<String>,
    /// New prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt_info: Option<PromptInfo>,
    /// New opening message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarding_info: Option<OnboardingInfo>,
    /// Knowledge (`{"dataset_ids": [...], "auto_call": true, "search_strategy": 0}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub knowledge: Option<Value>,
    /// New model settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_info_config: Option<ModelInfo>,
    /// Suggested replies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggest_reply_info: Option<Value>,
}

impl UpdateBotRequest {
    /// Changes to `bot_id`.
    pub fn new(bot_id: impl Into<BotId>) -> Self {
        Self {
            bot_id: bot_id.into(),
            ..Self::default()
        }
    }

    /// Renames the bot.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the description.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// Sets the prompt.
    pub fn prompt(mut self, prompt: impl Into<String>) -> Self {
        self.prompt_info = Some(PromptInfo::new(prompt));
        self
    }

    /// Sets the opening message.
    pub fn onboarding(mut self, onboarding: OnboardingInfo) -> Self {
        self.onboarding_info = Some(onboarding);
        self
    }

    /// Sets the model.
    pub fn model(mut self, model: ModelInfo) -> Self {
        self.model_info_config = Some(model);
        self
    }

    /// True when nothing would change.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.description.is_none()
            && self.icon_file_id.is_none()
            && self.prompt_info.is_none()
            && self.onboarding_info.is_none()
            && self.knowledge.is_none()
            && self.model_info_config.is_none()
            && self.suggest_reply_info.is_none()
    }
}

/// What publishing answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PublishedVersion {
    /// The bot.
    #[serde(default)]
    pub bot_id: BotId,
    /// The new version.
    #[serde(default, deserialize_with = "null_default")]
    pub version: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_list_entries_become_simple_bots() {
        let list: PublishedBotList = serde_json::from_str(
            r#"{"space_bots":[{"bot_id":"7","bot_name":"B","description":"d","icon_url":"u","publish_time":"1718289297"}],"total":1}"#,
        )
        .unwrap();
        let bot: SimpleBot = list.space_bots[0].clone().into();
        assert_eq!(
            (bot.id.as_str(), bot.name.as_str(), bot.is_published),
            ("7", "B", true)
        );
        assert_eq!(bot.published_at, Some(1718289297));
    }

    #[test]
    fn bot_info_keeps_unknown_fields_and_requests_refuse_typos() {
        let bot: Bot = serde_json::from_str(
            r#"{"bot_id":"1","name":"n","version":"3","prompt_info":{"prompt":"p"},"variables":[],"model_info":{"model_id":"m","top_p":0.5}}"#,
        )
        .unwrap();
        assert_eq!(bot.prompt_info.unwrap().prompt, "p");
        assert!(bot.extra.contains_key("variables"));
        assert_eq!(bot.model_info.unwrap().extra["top_p"], 0.5);
        let req: CreateBotRequest =
            serde_json::from_str(r#"{"space_id":"9","name":"x","prompt_info":{"prompt":"hi"}}"#)
                .unwrap();
        assert_eq!(req.prompt_info, Some(PromptInfo::new("hi")));
        assert!(serde_json::from_str::<CreateBotRequest>(r#"{"nmae":"typo"}"#).is_err());
    }
}
