//! Events of the chat WebSocket (`/v1/chat`): a voice (or text) conversation with a bot.
//!
//! A session: the client sends [`ClientEvent::ChatUpdate`] (audio formats, user, conversation),
//! then either audio ([`ClientEvent::audio`] chunks and [`ClientEvent::InputAudioBufferComplete`])
//! or text ([`ClientEvent::user_text`]); the server answers with
//! [`ServerEvent::ChatCreated`], text in [`ServerEvent::MessageDelta`], audio in
//! [`ServerEvent::AudioDelta`], and ends the turn with [`ServerEvent::ChatCompleted`]. The
//! connection stays open for the next turn.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::wire::{
    self, AnswerState, Field, InputAudio, OutputAudio, Sealed, audio_delta, decode_audio,
    string_field,
};
use crate::error::Result;
use crate::ids::{ChatId, ConversationId};
use crate::types::chat::{Chat, ToolOutput};
use crate::types::messages::{ContentType, Message, MessageRole};

/// Conversation settings of `chat.update` (`chat_config`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatConfig {
    /// Continue this conversation (a new one is created otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
    /// The user Coze keeps context and memory for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Caller-defined key/values kept with the chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<HashMap<String, String>>,
    /// Values of the bot's prompt variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_variables: Option<HashMap<String, String>>,
    /// Extra parameters (`latitude`, `longitude`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_params: Option<HashMap<String, String>>,
    /// Keep the chat in the conversation's history (Coze's default: true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_save_history: Option<bool>,
    /// Input parameters of a chatflow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parameters: Option<Value>,
    /// Fields this SDK does not know, sent and received as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Turn detection of `chat.update` (`turn_detection`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TurnDetection {
    /// `client_interrupt` (push to talk, Coze's default) or `server_vad` (the server hears
    /// when the user stops talking).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// `server_vad`: audio kept before detected speech, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix_padding_ms: Option<u32>,
    /// `server_vad`: silence that ends a turn, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub silence_duration_ms: Option<u32>,
    /// Fields this SDK does not know (`interrupt_config`, ...), sent as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Speech recognition settings of `chat.update` (`asr_config`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AsrConfig {
    /// Words to recognise more reliably.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hot_words: Option<Vec<String>>,
    /// Context that helps recognition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// The user's language (`common`, `zh`, `en`, `ja`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_language: Option<String>,
    /// Drop filler words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_ddc: Option<bool>,
    /// Write numbers and dates as digits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_itn: Option<bool>,
    /// Add punctuation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_punc: Option<bool>,
    /// Fields this SDK does not know, sent and received as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The settings of a chat session (`chat.update`; echoed back by `chat.updated`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ChatUpdate {
    /// The audio the bot answers in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_audio: Option<OutputAudio>,
    /// The audio the client sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_audio: Option<InputAudio>,
    /// Conversation, user, variables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_config: Option<ChatConfig>,
    /// Only these server events are sent (all when absent or empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_subscriptions: Option<Vec<String>>,
    /// Play the bot's opening line first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub need_play_prologue: Option<bool>,
    /// The opening line to play instead of the bot's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prologue_content: Option<String>,
    /// How the end of the user's turn is detected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_detection: Option<TurnDetection>,
    /// Speech recognition settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asr_config: Option<AsrConfig>,
    /// Fields this SDK does not know, sent and received as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl ChatUpdate {
    /// Empty settings (Coze's defaults).
    pub fn new() -> Self {
        Self::default()
    }

    /// The user Coze keeps context for.
    pub fn user(mut self, user_id: impl Into<String>) -> Self {
        self.chat_config
            .get_or_insert_with(ChatConfig::default)
            .user_id = Some(user_id.into());
        self
    }

    /// Continue `conversation_id`.
    pub fn conversation(mut self, conversation_id: impl Into<ConversationId>) -> Self {
        self.chat_config
            .get_or_insert_with(ChatConfig::default)
            .conversation_id = Some(conversation_id.into());
        self
    }

    /// The audio the client will send.
    pub fn input_audio(mut self, input: InputAudio) -> Self {
        self.input_audio = Some(input);
        self
    }

    /// The audio the bot answers in.
    pub fn output_audio(mut self, output: OutputAudio) -> Self {
        self.output_audio = Some(output);
        self
    }
}

/// A message the client adds (`conversation.message.create`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MessageCreate {
    /// `user` (the bot answers) or `assistant` (added to the context only).
    pub role: MessageRole,
    /// `text` or `object_string`.
    pub content_type: ContentType,
    /// The content.
    pub content: String,
}

/// An event the client sends on the chat WebSocket.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// `chat.update`: change the session's settings (answered by `chat.updated`).
    ChatUpdate(Box<ChatUpdate>),
    /// `input_audio_buffer.append`: a chunk of the user's audio (sent base64-encoded).
    InputAudioBufferAppend(Vec<u8>),
    /// `input_audio_buffer.complete`: the user finished talking; the bot answers.
    InputAudioBufferComplete,
    /// `input_audio_buffer.clear`: drop the audio sent so far.
    InputAudioBufferClear,
    /// `conversation.message.create`: a text (or multimodal) message.
    ConversationMessageCreate(MessageCreate),
    /// `conversation.clear`: start a new context (a new section).
    ConversationClear,
    /// `conversation.chat.cancel`: interrupt the bot's answer.
    ConversationChatCancel,
    /// `conversation.chat.submit_tool_outputs`: the outputs of the tool calls a
    /// [`ServerEvent::ChatRequiresAction`] asked for.
    ConversationChatSubmitToolOutputs {
        /// The chat that asked.
        chat_id: ChatId,
        /// One output per tool call.
        tool_outputs: Vec<ToolOutput>,
    },
    /// `input_text.generate_audio`: have the bot's voice say `text` (no answer is generated).
    InputTextGenerateAudio {
        /// What to say (at most 1024 bytes).
        text: String,
    },
    /// Any other event, sent as given.
    Custom {
        /// The wire name.
        event_type: String,
        /// Its `data`, if any.
        data: Option<Value>,
    },
}

impl ClientEvent {
    /// `chat.update` with `settings`.
    pub fn update(settings: ChatUpdate) -> Self {
        ClientEvent::ChatUpdate(Box::new(settings))
    }

    /// A chunk of the user's audio.
    pub fn audio(chunk: impl Into<Vec<u8>>) -> Self {
        ClientEvent::InputAudioBufferAppend(chunk.into())
    }

    /// A text message from the user; the bot answers it.
    pub fn user_text(text: impl Into<String>) -> Self {
        ClientEvent::ConversationMessageCreate(MessageCreate {
            role: MessageRole::User,
            content_type: ContentType::Text,
            content: text.into(),
        })
    }
}

impl Sealed for ClientEvent {}

impl wire::ClientEvent for ClientEvent {
    fn event_type(&self) -> &str {
        match self {
            ClientEvent::ChatUpdate(_) => "chat.update",
            ClientEvent::InputAudioBufferAppend(_) => "input_audio_buffer.append",
            ClientEvent::InputAudioBufferComplete => "input_audio_buffer.complete",
            ClientEvent::InputAudioBufferClear => "input_audio_buffer.clear",
            ClientEvent::ConversationMessageCreate(_) => "conversation.message.create",
            ClientEvent::ConversationClear => "conversation.clear",
            ClientEvent::ConversationChatCancel => "conversation.chat.cancel",
            ClientEvent::ConversationChatSubmitToolOutputs { .. } => {
                "conversation.chat.submit_tool_outputs"
            }
            ClientEvent::InputTextGenerateAudio { .. } => "input_text.generate_audio",
            ClientEvent::Custom { event_type, .. } => event_type,
        }
    }

    fn data(&self) -> Result<Option<Value>> {
        let event_type = wire::ClientEvent::event_type(self);
        match self {
            ClientEvent::ChatUpdate(update) => wire::to_data(event_type, update),
            ClientEvent::InputAudioBufferAppend(audio) => Ok(Some(audio_delta(audio))),
            ClientEvent::InputAudioBufferComplete
            | ClientEvent::InputAudioBufferClear
            | ClientEvent::ConversationClear
            | ClientEvent::ConversationChatCancel => Ok(None),
            ClientEvent::ConversationMessageCreate(message) => wire::to_data(event_type, message),
            ClientEvent::ConversationChatSubmitToolOutputs {
                chat_id,
                tool_outputs,
            } => wire::to_data(
                event_type,
                &serde_json::json!({"chat_id": chat_id, "tool_outputs": tool_outputs}),
            ),
            ClientEvent::InputTextGenerateAudio { text } => {
                Ok(Some(serde_json::json!({"mode": "text", "text": text})))
            }
            ClientEvent::Custom { data, .. } => Ok(data.clone()),
        }
    }

    fn starts_answer(&self) -> bool {
        match self {
            ClientEvent::ConversationMessageCreate(m) => m.role == MessageRole::User,
            ClientEvent::InputAudioBufferComplete
            | ClientEvent::ConversationChatSubmitToolOutputs { .. }
            | ClientEvent::InputTextGenerateAudio { .. } => true,
            _ => false,
        }
    }
}

/// A piece of the bot's spoken answer (`conversation.audio.delta`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AudioDelta {
    /// The message the audio belongs to; its `content` is left empty (the audio is in
    /// [`audio`](Self::audio)).
    pub message: Message,
    /// The audio, decoded from base64, in the session's output format (16-bit mono PCM at
    /// 24000 Hz unless `chat.update` chose otherwise).
    pub audio: Vec<u8>,
}

/// An event the server sends on the chat WebSocket. Unknown events arrive as
/// [`ServerEvent::Unknown`]; `error` events arrive as an `Err` item of the stream
/// ([`Error::StreamEvent`](crate::Error::StreamEvent)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// `chat.created`: the connection is ready.
    Created,
    /// `chat.updated`: the session's settings now in force.
    Updated(Box<ChatUpdate>),
    /// `conversation.chat.created`: the bot started a turn.
    ChatCreated(Chat),
    /// `conversation.chat.in_progress`.
    ChatInProgress(Chat),
    /// `conversation.message.delta`: a piece of the bot's text.
    MessageDelta(Message),
    /// `conversation.message.completed`: a whole message (the user's question too).
    MessageCompleted(Message),
    /// `conversation.audio.sentence_start`: the text of the sentence the next audio speaks.
    AudioSentenceStart {
        /// The sentence.
        text: String,
    },
    /// `conversation.audio.delta`: a piece of the bot's spoken answer.
    AudioDelta(AudioDelta),
    /// `conversation.audio.completed`: the spoken answer is complete.
    AudioCompleted(Message),
    /// `conversation.chat.completed`: the turn is over.
    ChatCompleted(Chat),
    /// `conversation.chat.failed`: the turn failed; see [`Chat::last_error`].
    ChatFailed(Chat),
    /// `conversation.chat.requires_action`: the bot waits for tool outputs
    /// ([`ClientEvent::ConversationChatSubmitToolOutputs`]).
    ChatRequiresAction(Chat),
    /// `conversation.chat.canceled`: the answer was interrupted.
    ChatCanceled {
        /// Why: 1 the user spoke, 2 the client cancelled, 3 a message was created.
        code: i64,
        /// The explanation.
        msg: String,
    },
    /// `conversation.audio_transcript.update`: what the user said so far (all of it).
    AudioTranscriptUpdate {
        /// The transcript.
        content: String,
    },
    /// `conversation.audio_transcript.completed`: what the user said.
    AudioTranscriptCompleted {
        /// The transcript.
        content: String,
    },
    /// `input_audio_buffer.completed`: the user's audio was received.
    InputAudioBufferCompleted,
    /// `input_audio_buffer.cleared`.
    InputAudioBufferCleared,
    /// `input_audio_buffer.speech_started` (`server_vad`).
    SpeechStarted,
    /// `input_audio_buffer.speech_stopped` (`server_vad`).
    SpeechStopped,
    /// `conversation.cleared`: a new context started.
    ConversationCleared,
    /// An event this version of the SDK does not know.
    Unknown {
        /// The wire name.
        event_type: String,
        /// Its `data` (`{}` when it had none).
        data: Value,
    },
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Canceled {
    #[serde(deserialize_with = "crate::types::common::int")]
    code: i64,
    #[serde(deserialize_with = "crate::types::common::null_default")]
    msg: String,
}

impl Sealed for ServerEvent {}

impl wire::ServerEvent for ServerEvent {
    fn from_wire(event_type: &str, data: &str) -> serde_json::Result<Self> {
        use serde_json::from_str as de;
        Ok(match event_type {
            "chat.created" => ServerEvent::Created,
            "chat.updated" => ServerEvent::Updated(Box::new(de(data)?)),
            "conversation.chat.created" => ServerEvent::ChatCreated(de(data)?),
            "conversation.chat.in_progress" => ServerEvent::ChatInProgress(de(data)?),
            "conversation.message.delta" => ServerEvent::MessageDelta(de(data)?),
            "conversation.message.completed" => ServerEvent::MessageCompleted(de(data)?),
            "conversation.audio.sentence_start" => ServerEvent::AudioSentenceStart {
                text: string_field(data, Field::Text)?,
            },
            "conversation.audio.delta" => {
                let mut message: Message = de(data)?;
                let audio = decode_audio(&message.content)?;
                message.content = String::new();
                ServerEvent::AudioDelta(AudioDelta { message, audio })
            }
            "conversation.audio.completed" => ServerEvent::AudioCompleted(de(data)?),
            "conversation.chat.completed" => ServerEvent::ChatCompleted(de(data)?),
            "conversation.chat.failed" => ServerEvent::ChatFailed(de(data)?),
            "conversation.chat.requires_action" => ServerEvent::ChatRequiresAction(de(data)?),
            "conversation.chat.canceled" => {
                let c: Canceled = de(data)?;
                ServerEvent::ChatCanceled {
                    code: c.code,
                    msg: c.msg,
                }
            }
            "conversation.audio_transcript.update" => ServerEvent::AudioTranscriptUpdate {
                content: string_field(data, Field::Content)?,
            },
            "conversation.audio_transcript.completed" => ServerEvent::AudioTranscriptCompleted {
                content: string_field(data, Field::Content)?,
            },
            "input_audio_buffer.completed" => ServerEvent::InputAudioBufferCompleted,
            "input_audio_buffer.cleared" => ServerEvent::InputAudioBufferCleared,
            "input_audio_buffer.speech_started" => ServerEvent::SpeechStarted,
            "input_audio_buffer.speech_stopped" => ServerEvent::SpeechStopped,
            "conversation.cleared" => ServerEvent::ConversationCleared,
            other => ServerEvent::Unknown {
                event_type: other.to_owned(),
                data: de(data)?,
            },
        })
    }

    fn event_type(&self) -> &str {
        match self {
            ServerEvent::Created => "chat.created",
            ServerEvent::Updated(_) => "chat.updated",
            ServerEvent::ChatCreated(_) => "conversation.chat.created",
            ServerEvent::ChatInProgress(_) => "conversation.chat.in_progress",
            ServerEvent::MessageDelta(_) => "conversation.message.delta",
            ServerEvent::MessageCompleted(_) => "conversation.message.completed",
            ServerEvent::AudioSentenceStart { .. } => "conversation.audio.sentence_start",
            ServerEvent::AudioDelta(_) => "conversation.audio.delta",
            ServerEvent::AudioCompleted(_) => "conversation.audio.completed",
            ServerEvent::ChatCompleted(_) => "conversation.chat.completed",
            ServerEvent::ChatFailed(_) => "conversation.chat.failed",
            ServerEvent::ChatRequiresAction(_) => "conversation.chat.requires_action",
            ServerEvent::ChatCanceled { .. } => "conversation.chat.canceled",
            ServerEvent::AudioTranscriptUpdate { .. } => "conversation.audio_transcript.update",
            ServerEvent::AudioTranscriptCompleted { .. } => {
                "conversation.audio_transcript.completed"
            }
            ServerEvent::InputAudioBufferCompleted => "input_audio_buffer.completed",
            ServerEvent::InputAudioBufferCleared => "input_audio_buffer.cleared",
            ServerEvent::SpeechStarted => "input_audio_buffer.speech_started",
            ServerEvent::SpeechStopped => "input_audio_buffer.speech_stopped",
            ServerEvent::ConversationCleared => "conversation.cleared",
            ServerEvent::Unknown { event_type, .. } => event_type,
        }
    }

    fn answer_state(&self) -> AnswerState {
        match self {
            ServerEvent::ChatCreated(_) | ServerEvent::ChatInProgress(_) => AnswerState::Starts,
            ServerEvent::ChatCompleted(_)
            | ServerEvent::ChatFailed(_)
            | ServerEvent::ChatRequiresAction(_)
            | ServerEvent::ChatCanceled { .. } => AnswerState::Ends,
            ServerEvent::AudioCompleted(_) => AnswerState::EndsUnlessChatRunning,
            _ => AnswerState::Unchanged,
        }
    }
}
