//! Types of the calls of the official SDKs outside the OpenAPI document: templates, lives,
//! voiceprint groups.

use serde::{Deserialize, Serialize};

/// What duplicating a template made.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateDuplicate {
    /// The new entity's id (for `agent`, a bot id: read it with `client.bots()`).
    pub entity_id: String,
    /// `agent` (a bot); Coze may add more.
    pub entity_type: String,
}

/// A live (the audio streams of an RTC room), from `client.audio().live(id)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Live {
    /// The RTC app id.
    pub app_id: String,
    /// Its streams.
    pub stream_infos: Vec<LiveStream>,
}

/// One stream of a [`Live`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct LiveStream {
    /// Stream id.
    pub stream_id: String,
    /// Name.
    pub name: String,
    /// `origin` or `translation`.
    pub live_type: String,
}

/// A voiceprint group (`client.voiceprint_groups()`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VoiceprintGroup {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub desc: String,
    /// How many voiceprints it holds.
    #[serde(deserialize_with = "crate::types::common::int")]
    pub feature_count: i64,
    /// Created (Unix seconds).
    #[serde(deserialize_with = "crate::types::common::int")]
    pub created_at: i64,
    /// Updated (Unix seconds).
    #[serde(deserialize_with = "crate::types::common::int")]
    pub updated_at: i64,
}

/// A voiceprint (a "feature") of a group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Voiceprint {
    /// Id.
    pub id: String,
    /// Its group.
    pub group_id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub desc: String,
    /// Where the sample can be fetched, when Coze gives one.
    pub audio_url: String,
    /// Created (Unix seconds).
    #[serde(deserialize_with = "crate::types::common::int")]
    pub created_at: i64,
    /// Updated (Unix seconds).
    #[serde(deserialize_with = "crate::types::common::int")]
    pub updated_at: i64,
}

/// How well a sample matches one voiceprint.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VoiceprintScore {
    /// The voiceprint.
    pub feature_id: String,
    /// Its name.
    pub feature_name: String,
    /// Its description.
    pub feature_desc: String,
    /// 0 to 100; higher is more alike.
    pub score: f64,
}

/// A voiceprint sample: WAV, or PCM (16 kHz mono 16-bit unless said otherwise), at most 4 MB.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct VoiceSample {
    /// The audio bytes.
    pub audio: Vec<u8>,
    /// `wav` or `pcm` (the file name's extension).
    pub format: String,
    /// PCM sample rate.
    pub sample_rate: Option<u32>,
    /// PCM channels.
    pub channel: Option<u32>,
}

impl VoiceSample {
    /// A WAV sample.
    pub fn wav(audio: impl Into<Vec<u8>>) -> Self {
        Self {
            audio: audio.into(),
            format: "wav".into(),
            ..Self::default()
        }
    }

    /// A PCM sample at `sample_rate` Hz with `channel` channels.
    pub fn pcm(audio: impl Into<Vec<u8>>, sample_rate: u32, channel: u32) -> Self {
        Self {
            audio: audio.into(),
            format: "pcm".into(),
            sample_rate: Some(sample_rate),
            channel: Some(channel),
        }
    }
}

/// A paid plugin of the Coze plugin store (`client.store_plugins()`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StorePlugin {
    /// What it is.
    #[serde(deserialize_with = "crate::types::common::null_default")]
    pub metainfo: StorePluginMeta,
    /// How it is used.
    #[serde(deserialize_with = "crate::types::common::null_default")]
    pub plugin_info: StorePluginStats,
}

/// The description of a [`StorePlugin`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StorePluginMeta {
    /// The store's product id.
    pub product_id: String,
    /// The plugin id.
    pub entity_id: String,
    /// `plugin`.
    pub entity_type: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Category.
    #[serde(deserialize_with = "crate::types::common::null_default")]
    pub category: StoreCategory,
    /// Icon URL.
    pub icon_url: String,
    /// Listed (Unix seconds).
    #[serde(deserialize_with = "crate::types::common::int")]
    pub listed_at: i64,
    /// `paid`.
    pub paid_type: String,
    /// Published by Coze itself.
    pub is_official: bool,
}

/// A plugin store category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StoreCategory {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// Usage figures of a [`StorePlugin`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct StorePluginStats {
    /// Popularity.
    #[serde(deserialize_with = "crate::types::common::int")]
    pub heat: i64,
    /// Calls so far.
    #[serde(deserialize_with = "crate::types::common::int")]
    pub call_count: i64,
    /// Share of successful calls, 0 to 1.
    pub success_rate: f64,
    /// Whether it can be called now.
    pub is_call_available: bool,
    /// Tools in it.
    #[serde(deserialize_with = "crate::types::common::int")]
    pub total_tools_count: i64,
}

/// Filters of the plugin store list; all optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StorePluginsQuery {
    /// A word in the name or description.
    pub keyword: Option<String>,
    /// Only official (`true`) or only third-party (`false`) plugins.
    pub is_official: Option<bool>,
    /// Only these categories.
    pub category_ids: Vec<String>,
    /// `heat` (default), `newest` or `relative` (with a keyword).
    pub sort_type: Option<String>,
}

impl StorePluginsQuery {
    /// No filter: every plugin, most popular first.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only plugins matching `keyword`.
    #[must_use]
    pub fn keyword(mut self, keyword: impl Into<String>) -> Self {
        self.keyword = Some(keyword.into());
        self
    }

    /// Only official (`true`) or third-party (`false`) plugins.
    #[must_use]
    pub fn official(mut self, official: bool) -> Self {
        self.is_official = Some(official);
        self
    }

    /// Only plugins of these categories.
    #[must_use]
    pub fn categories(mut self, ids: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.category_ids = ids.into_iter().map(Into::into).collect();
        self
    }

    /// The order: `heat`, `newest` or `relative`.
    #[must_use]
    pub fn sort(mut self, sort_type: impl Into<String>) -> Self {
        self.sort_type = Some(sort_type.into());
        self
    }
}
