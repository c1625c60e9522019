//! Events of the speech WebSocket (`/v1/audio/speech`): text in, synthesised audio out, as
//! the text arrives.
//!
//! A session: optionally [`ClientEvent::SpeechUpdate`] (voice, format), then text in
//! [`ClientEvent::InputTextBufferAppend`] pieces and [`ClientEvent::InputTextBufferComplete`];
//! the server sends [`ServerEvent::AudioUpdate`] chunks and ends with
//! [`ServerEvent::AudioCompleted`].

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::wire::{self, AnswerState, Field, OutputAudio, Sealed, decode_audio, string_field};
use crate::error::Result;

/// The settings of a speech session (`speech.update`; echoed back by `speech.updated`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SpeechUpdate {
    /// The audio to produce (voice, codec, sample rate, speed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_audio: Option<OutputAudio>,
    /// Fields this SDK does not know, sent and received as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl SpeechUpdate {
    /// Settings producing `output`.
    pub fn new(output: OutputAudio) -> Self {
        Self {
            output_audio: Some(output),
            extra: Map::new(),
        }
    }
}

/// An event the client sends on the speech WebSocket.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// `speech.update`: change the session's settings.
    SpeechUpdate(SpeechUpdate),
    /// `input_text_buffer.append`: a piece of the text to speak.
    InputTextBufferAppend(String),
    /// `input_text_buffer.complete`: the text is complete; the rest of the audio follows.
    InputTextBufferComplete,
    /// Any other event, sent as given.
    Custom {
        /// The wire name.
        event_type: String,
        /// Its `data`, if any.
        data: Option<Value>,
    },
}

impl ClientEvent {
    /// A piece of the text to speak.
    pub fn text(delta: impl Into<String>) -> Self {
        ClientEvent::InputTextBufferAppend(delta.into())
    }
}

impl Sealed for ClientEvent {}

impl wire::ClientEvent for ClientEvent {
    fn event_type(&self) -> &str {
        match self {
            ClientEvent::SpeechUpdate(_) => "speech.update",
            ClientEvent::InputTextBufferAppend(_) => "input_text_buffer.append",
            ClientEvent::InputTextBufferComplete => "input_text_buffer.complete",
            ClientEvent::Custom { event_type, .. } => event_type,
        }
    }

    fn data(&self) -> Result<Option<Value>> {
        match self {
            ClientEvent::SpeechUpdate(u) => wire::to_data("speech.update", u),
            ClientEvent::InputTextBufferAppend(delta) => {
                Ok(Some(serde_json::json!({ "delta": delta })))
            }
            ClientEvent::InputTextBufferComplete => Ok(None),
            ClientEvent::Custom { data, .. } => Ok(data.clone()),
        }
    }

    fn starts_answer(&self) -> bool {
        matches!(self, ClientEvent::InputTextBufferComplete)
    }
}

/// An event the server sends on the speech WebSocket. Unknown events arrive as
/// [`ServerEvent::Unknown`]; `error` events as an `Err` item of the stream.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// `speech.created`: the connection is ready.
    Created,
    /// `speech.updated`: the settings now in force.
    Updated(SpeechUpdate),
    /// `input_text_buffer.completed`: the text was received.
    InputTextBufferCompleted,
    /// `conversation.audio.sentence_start`: the sentence the next audio speaks.
    AudioSentenceStart {
        /// The sentence.
        text: String,
    },
    /// `speech.audio.update`: a chunk of audio, decoded from base64.
    AudioUpdate(Vec<u8>),
    /// `speech.audio.completed`: all the audio was sent.
    AudioCompleted,
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
            "speech.created" => ServerEvent::Created,
            "speech.updated" => ServerEvent::Updated(serde_json::from_str(data)?),
            "input_text_buffer.completed" => ServerEvent::InputTextBufferCompleted,
            "conversation.audio.sentence_start" => ServerEvent::AudioSentenceStart {
                text: string_field(data, Field::Text)?,
            },
            "speech.audio.update" => {
                let delta = string_field(data, Field::Delta)?;
                ServerEvent::AudioUpdate(decode_audio(&delta)?)
            }
            "speech.audio.completed" => ServerEvent::AudioCompleted,
            other => ServerEvent::Unknown {
                event_type: other.to_owned(),
                data: serde_json::from_str(data)?,
            },
        })
    }

    fn event_type(&self) -> &str {
        match self {
            ServerEvent::Created => "speech.created",
            ServerEvent::Updated(_) => "speech.updated",
            ServerEvent::InputTextBufferCompleted => "input_text_buffer.completed",
            ServerEvent::AudioSentenceStart { .. } => "conversation.audio.sentence_start",
            ServerEvent::AudioUpdate(_) => "speech.audio.update",
            ServerEvent::AudioCompleted => "speech.audio.completed",
            ServerEvent::Unknown { event_type, .. } => event_type,
        }
    }

    fn answer_state(&self) -> AnswerState {
        match self {
            ServerEvent::AudioCompleted => AnswerState::Ends,
            _ => AnswerState::Unchanged,
        }
    }
}
