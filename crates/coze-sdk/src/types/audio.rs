//! Audio types: speech requests, voices, rooms.

use serde::{Deserialize, Serialize};

use crate::ids::VoiceId;
use crate::types::lenient::Int;

/// `POST /v1/audio/speech`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct SpeechRequest {
    /// The text (at most 1024 bytes).
    pub input: String,
    /// The voice.
    pub voice_id: VoiceId,
    /// `wav`, `pcm`, `mp3` (Coze's default), `ogg_opus`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_format: Option<String>,
    /// 0.2–3 (1 is normal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub speed: Option<f64>,
    /// 8000, 16000, 22050, 24000, 32000, 44100 or 48000.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<u32>,
}

impl SpeechRequest {
    /// `input` spoken by `voice_id`.
    pub fn new(input: impl Into<String>, voice_id: impl Into<VoiceId>) -> Self {
        Self {
            input: input.into(),
            voice_id: voice_id.into(),
            response_format: None,
            speed: None,
            sample_rate: None,
        }
    }

    /// Sets the container/codec (`wav`, `pcm`, `mp3`, `ogg_opus`).
    pub fn format(mut self, format: impl Into<String>) -> Self {
        self.response_format = Some(format.into());
        self
    }

    /// Sets the speed (0.2–3).
    pub fn speed(mut self, speed: f64) -> Self {
        self.speed = Some(speed);
        self
    }

    /// Sets the sample rate.
    pub fn sample_rate(mut self, rate: u32) -> Self {
        self.sample_rate = Some(rate);
        self
    }
}

/// A voice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Voice {
    /// Id.
    pub voice_id: VoiceId,
    /// Name.
    pub name: String,
    /// Built in (not cloned).
    pub is_system_voice: bool,
    /// Language code (`zh`, `en`, ...).
    pub language_code: String,
    /// Language name.
    pub language_name: String,
    /// The preview's text.
    pub preview_text: String,
    /// The preview's audio URL.
    pub preview_audio: String,
    /// How many more times it can be trained.
    pub available_training_times: Int,
    /// `init` or `cloned`.
    pub state: String,
    /// `big` or `small`.
    pub model_type: String,
    /// Created (Unix seconds).
    pub create_time: Int,
    /// Updated (Unix seconds).
    pub update_time: Int,
}

/// One page of voices.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VoiceList {
    /// This page.
    pub voice_list: Vec<Voice>,
    /// More pages follow.
    pub has_more: bool,
}

/// A voice to clone from a sample.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloneVoiceRequest {
    /// Name of the new voice.
    pub voice_name: String,
    /// The sample's bytes.
    pub audio: Vec<u8>,
    /// The sample's format (`wav`, `mp3`, `ogg`, `m4a`, `aac`, `pcm`).
    pub audio_format: String,
    /// Language (`zh`, `en`, ...).
    pub language: Option<String>,
    /// Retrain this voice instead of making a new one.
    pub voice_id: Option<VoiceId>,
    /// Preview text.
    pub preview_text: Option<String>,
    /// The sample's transcript.
    pub text: Option<String>,
    /// Workspace.
    pub space_id: Option<String>,
}

impl CloneVoiceRequest {
    /// A voice named `name` from `audio` in `format`.
    pub fn new(name: impl Into<String>, audio: Vec<u8>, format: impl Into<String>) -> Self {
        Self {
            voice_name: name.into(),
            audio,
            audio_format: format.into(),
            language: None,
            voice_id: None,
            preview_text: None,
            text: None,
            space_id: None,
        }
    }
}

/// An RTC room for a voice call with a bot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Room {
    /// Room id.
    pub room_id: String,
    /// RTC app id.
    pub app_id: String,
    /// Token to join the room.
    pub token: String,
    /// The user id in the room.
    pub uid: String,
}
