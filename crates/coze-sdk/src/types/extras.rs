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
