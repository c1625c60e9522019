//! Template types (`client.templates()`).

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
