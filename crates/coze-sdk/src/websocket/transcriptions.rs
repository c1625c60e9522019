//! Events of the transcriptions WebSocket (`/v1/audio/transcriptions`): audio in, text out,
//! as the audio arrives.
//!
//! A session: optionally [`ClientEvent::TranscriptionsUpdate`] (the input format), then audio
//! in [`ClientEvent::audio`] chunks and [`ClientEvent::InputAudioBufferComplete`]; the server
//! sends [`ServerEvent::MessageUpdate`] (the whole text so far, each time) and ends with
//! [`ServerEvent::MessageCompleted`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::wire::{self, AnswerState, Field, InputAudio, Sealed, audio_delta, string_field};
use crate::error::Result;

/// The settings of a transcription session (`transcriptions.update`; echoed back by
/// `transcriptions.updated`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TranscriptionsUpdate {
    /// The audio the client sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_audio: Option<InputAudio>,
    /// Fields this SDK does not know, sent and received as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl TranscriptionsUpdate {
    /// Settings for `input` audio.
    pub fn new(input: InputAudio) -> Self {
        Self {
            input_audio: Some(input),
            extra: Map::new(),
        }
    }
}

/// An event the client sends on the transcriptions WebSocket.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// `transcriptions.update`: change the session's settings.
    TranscriptionsUpdate(TranscriptionsUpdate),
    /// `input_audio_buffer.append`: a chunk of audio (sent base64-encoded).
    InputAudioBufferAppend(Vec<u8>),
    /// `input_audio_buffer.complete`: the audio is complete.
    InputAudioBufferComplete,
    /// `input_audio_buffer.clear`: drop the audio sent so far.
    InputAudioBufferClear,
    /// Any other event, sent as given.
    Custom {
        /// The wire name.
        event_type: String,
        /// Its `data`, if any.
        data: Option<Value>,
    },
}

impl ClientEvent {
    /// A chunk of audio.
    pub fn audio(chunk: impl Into<Vec<u8>>) -> Self {
        ClientEvent::InputAudioBufferAppend(chunk.into())
    }
}

impl Sealed for ClientEvent {}

impl wire::ClientEvent for ClientEvent {
    fn event_type(&self) -> &str {
        match self {
            ClientEvent::TranscriptionsUpdate(_) => "transcriptions.update",
            ClientEvent::InputAudioBufferAppend(_) => "input_audio_buffer.append",
            ClientEvent::InputAudioBufferComplete => "input_audio_buffer.complete",
            ClientEvent::InputAudioBufferClear => "input_audio_buffer.clear",
            ClientEvent::Custom { event_type, .. } => event_type,
        }
    }

    fn data(&self) -> Result<Option<Value>> {
        match self {
            ClientEvent::TranscriptionsUpdate(u) => wire::to_data("transcriptions.update", u),
            ClientEvent::InputAudioBufferAppend(audio) => Ok(Some(audio_delta(audio))),
            ClientEvent::InputAudioBufferComplete | ClientEvent::InputAudioBufferClear => Ok(None),
            ClientEvent::Custom { data, .. } => Ok(data.clone()),
        }
    }

    fn starts_answer(&self) -> bool {
        matches!(self, ClientEvent::InputAudioBufferComplete)
    }
}

/// An event the server sends on the transcriptions WebSocket. Unknown events arrive as
/// [`ServerEvent::Unknown`]; `error` events as an `Err` item of the stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// `transcriptions.created`: the connection is ready.
    Created,
    /// `transcriptions.updated`: the settings now in force.
    Updated(TranscriptionsUpdate),
    /// `input_audio_buffer.completed`: the audio was received.
    InputAudioBufferCompleted,
    /// `input_audio_buffer.cleared`.
    InputAudioBufferCleared,
    /// `transcriptions.message.update`: the whole text recognised so far.
    MessageUpdate {
        /// The text.
        content: String,
    },
    /// `transcriptions.message.completed`: recognition finished.
    MessageCompleted,
    /// An event this version of the SDK does not know.
    Unknown {
        /// The wire name.
        event_type: String,
        /// Its `data` (`{}` when it had none).
        data: Value,
    },
}

impl Sealed for ServerEvent {}

impl wire::ServerEvent for ServerEvent {
    fn from_wire(event_type: &str, data: &str) -> serde_json::Result<Self> {
        Ok(match event_type {
            "transcriptions.created" => ServerEvent::Created,
            "transcriptions.updated" => ServerEvent::Updated(serde_json::from_str(data)?),
            "input_audio_buffer.completed" => ServerEvent::InputAudioBufferCompleted,
            "input_audio_buffer.cleared" => ServerEvent::InputAudioBufferCleared,
            "transcriptions.message.update" => ServerEvent::MessageUpdate {
                content: string_field(data, Field::Content)?,
            },
            "transcriptions.message.completed" => ServerEvent::MessageCompleted,
            other => ServerEvent::Unknown {
                event_type: other.to_owned(),
                data: serde_json::from_str(data)?,
            },
        })
    }

    fn event_type(&self) -> &str {
        match self {
            ServerEvent::Created => "transcriptions.created",
            ServerEvent::Updated(_) => "transcriptions.updated",
            ServerEvent::InputAudioBufferCompleted => "input_audio_buffer.completed",
            ServerEvent::InputAudioBufferCleared => "input_audio_buffer.cleared",
            ServerEvent::MessageUpdate { .. } => "transcriptions.message.update",
            ServerEvent::MessageCompleted => "transcriptions.message.completed",
            ServerEvent::Unknown { event_type, .. } => event_type,
        }
    }

    fn answer_state(&self) -> AnswerState {
        match self {
            ServerEvent::MessageCompleted => AnswerState::Ends,
            _ => AnswerState::Unchanged,
        }
    }
}
