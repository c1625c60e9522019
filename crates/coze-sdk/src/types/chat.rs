//! Chat v3 types: the `Chat` object, requests, and the typed stream events.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::{BotId, ChatId, ConversationId, SectionId, ToolCallId};
use crate::types::common::{null_default, open_enum};
use crate::types::flat_message;
use crate::types::lenient::{Int, Timestamp};
use crate::types::messages::{EnterMessage, Message};

open_enum! {
    /// The state of a chat.
    ChatStatus {
        /// Created, not started.
        Created => "created",
        /// The bot is answering.
        InProgress => "in_progress",
        /// Finished.
        Completed => "completed",
        /// Failed; see [`Chat::last_error`].
        Failed => "failed",
        /// Paused until tool outputs are submitted; see [`Chat::tool_calls`].
        RequiresAction => "requires_action",
        /// Cancelled.
        Canceled => "canceled",
    }
}

impl ChatStatus {
    /// True while the chat may still change (created, in progress).
    pub fn is_running(&self) -> bool {
        matches!(self, ChatStatus::Created | ChatStatus::InProgress)
    }
}

open_enum! {
    /// What a tool call asks for.
    ToolCallType {
        /// Call a function (plugin/tool) and submit its output.
        Function => "function",
        /// A workflow question node waiting for the user's reply.
        ReplyMessage => "reply_message",
    }
}

/// The error of a failed chat (`code` 0 when there is none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LastError {
    /// Coze error code.
    #[serde(default)]
    pub code: Int,
    /// Error message.
    #[serde(default, deserialize_with = "null_default")]
    pub msg: String,
}

/// Token usage of a chat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Usage {
    /// Total tokens.
    #[serde(default)]
    pub token_count: Int,
    /// Output tokens.
    #[serde(default)]
    pub output_count: Int,
    /// Input tokens.
    #[serde(default)]
    pub input_count: Int,
}

/// The function a tool call names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FunctionCall {
    /// Function name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Arguments as a JSON string.
    #[serde(default, deserialize_with = "null_default")]
    pub arguments: String,
}

/// One tool call the bot is waiting on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ToolCall {
    /// Id to answer with in [`ToolOutput`].
    #[serde(default)]
    pub id: ToolCallId,
    /// `function` or `reply_message`.
    #[serde(rename = "type", default)]
    pub kind: ToolCallType,
    /// The function and its arguments.
    #[serde(default)]
    pub function: FunctionCall,
}

/// The tool calls of a `submit_tool_outputs` action.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SubmitToolOutputsAction {
    /// The calls to answer.
    #[serde(default, deserialize_with = "null_default")]
    pub tool_calls: Vec<ToolCall>,
}

/// What a `requires_action` chat waits for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RequiredAction {
    /// The action type (`submit_tool_outputs`).
    #[serde(rename = "type", default, deserialize_with = "null_default")]
    pub kind: String,
    /// The tool calls.
    #[serde(default)]
    pub submit_tool_outputs: Option<SubmitToolOutputsAction>,
}

/// A chat: one bot turn in a conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Chat {
    /// Chat id.
    #[serde(default)]
    pub id: ChatId,
    /// Conversation id.
    #[serde(default)]
    pub conversation_id: ConversationId,
    /// Bot id (absent in workflow-chat events).
    #[serde(default)]
    pub bot_id: BotId,
    /// Section id.
    #[serde(default)]
    pub section_id: SectionId,
    /// Status.
    #[serde(default)]
    pub status: ChatStatus,
    /// Creation time (Unix seconds).
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub created_at: Timestamp,
    /// Completion time.
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub completed_at: Timestamp,
    /// Failure time.
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub failed_at: Timestamp,
    /// The error of a failed chat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<LastError>,
    /// Token usage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// What a `requires_action` chat waits for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_action: Option<RequiredAction>,
    /// Caller-defined key/values.
    #[serde(default, deserialize_with = "null_default")]
    pub meta_data: HashMap<String, String>,
}

impl Chat {
    /// The tool calls to answer when the status is `requires_action` (empty otherwise).
    pub fn tool_calls(&self) -> &[ToolCall] {
        self.required_action
            .as_ref()
            .and_then(|a| a.submit_tool_outputs.as_ref())
            .map(|s| s.tool_calls.as_slice())
            .unwrap_or_default()
    }

    /// The error of a failed chat, if it has a non-zero code.
    pub fn error(&self) -> Option<&LastError> {
        self.last_error.as_ref().filter(|e| e.code != 0)
    }
}

open_enum! {
    /// Which version of a bot answers.
    PublishStatus {
        /// The published version (default).
        PublishedOnline => "published_online",
        /// The unpublished draft.
        UnpublishedDraft => "unpublished_draft",
    }
}

/// A request to start a chat (`POST /v3/chat`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ChatRequest {
    /// The conversation to continue; a new one is created when `None`. Sent as a query
    /// parameter.
    #[serde(skip)]
    pub conversation_id: Option<ConversationId>,
    /// The bot to talk to.
    pub bot_id: BotId,
    /// Caller-defined user id; isolates context and memory per user.
    pub user_id: String,
    /// Messages added before the bot answers; the last is this turn's question.
    pub additional_messages: Vec<EnterMessage>,
    /// Values for `{{key}}` prompt variables.
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub custom_variables: HashMap<String, String>,
    /// Save the messages in the conversation (must be true for non-streaming chats).
    pub auto_save_history: bool,
    /// Caller-defined key/values echoed on the chat.
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub meta_data: HashMap<String, String>,
    /// Extra parameters (`latitude`, `longitude`).
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub extra_params: HashMap<String, String>,
    /// Custom inputs of chatflow-mode agents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<serde_json::Value>,
    /// Published version or draft.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub publish_status: Option<PublishStatus>,
    /// A specific bot version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_version: Option<String>,
    /// Whether the request streams; set by the SDK method called.
    pub(crate) stream: bool,
}

impl ChatRequest {
    /// A chat with `bot_id` for `user_id`; add the question with [`ChatRequest::message`] or
    /// [`ChatRequest::user_message`].
    pub fn new(bot_id: impl Into<BotId>, user_id: impl Into<String>) -> Self {
        Self {
            conversation_id: None,
            bot_id: bot_id.into(),
            user_id: user_id.into(),
            additional_messages: Vec::new(),
            custom_variables: HashMap::new(),
            auto_save_history: true,
            meta_data: HashMap::new(),
            extra_params: HashMap::new(),
            parameters: None,
            publish_status: None,
            bot_version: None,
            stream: false,
        }
    }

    /// Continues `conversation_id`.
    pub fn conversation(mut self, conversation_id: impl Into<ConversationId>) -> Self {
        self.conversation_id = Some(conversation_id.into());
        self
    }

    /// Appends a message.
    pub fn message(mut self, message: EnterMessage) -> Self {
        self.additional_messages.push(message);
        self
    }

    /// Appends a text message from the user.
    pub fn user_message(self, text: impl Into<String>) -> Self {
        self.message(EnterMessage::user(text))
    }

    /// Sets a prompt variable.
    pub fn custom_variable(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.custom_variables.insert(key.into(), value.into());
        self
    }

    /// Adds a meta_data pair.
    pub fn meta_data(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.meta_data.insert(key.into(), value.into());
        self
    }

    /// Adds an extra parameter.
    pub fn extra_param(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra_params.insert(key.into(), value.into());
        self
    }

    /// Sets chatflow parameters.
    pub fn parameters(mut self, parameters: serde_json::Value) -> Self {
        self.parameters = Some(parameters);
        self
    }

    /// Chooses the published version or the draft.
    pub fn publish_status(mut self, status: PublishStatus) -> Self {
        self.publish_status = Some(status);
        self
    }

    /// Pins a bot version.
    pub fn bot_version(mut self, version: impl Into<String>) -> Self {
        self.bot_version = Some(version.into());
        self
    }

    /// Sets `auto_save_history` (only streaming chats may turn it off).
    pub fn auto_save_history(mut self, on: bool) -> Self {
        self.auto_save_history = on;
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.bot_id.as_str().trim().is_empty() {
            return Err(Error::InvalidRequest(
                "the bot id is empty: pass a bot id".into(),
            ));
        }
        if self.user_id.trim().is_empty() {
            return Err(Error::InvalidRequest(
                "the user id is empty: pass a user id".into(),
            ));
        }
        if self
            .additional_messages
            .last()
            .is_some_and(EnterMessage::is_blank)
        {
            return Err(Error::InvalidRequest(
                "the message is empty: type a question".into(),
            ));
        }
        Ok(())
    }
}

/// The answer to one tool call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ToolOutput {
    /// The [`ToolCall::id`] answered.
    pub tool_call_id: ToolCallId,
    /// The tool's output (text or JSON).
    pub output: String,
}

impl ToolOutput {
    /// An answer to `tool_call_id`.
    pub fn new(tool_call_id: impl Into<ToolCallId>, output: impl Into<String>) -> Self {
        Self {
            tool_call_id: tool_call_id.into(),
            output: output.into(),
        }
    }
}

/// A finished chat with its messages, as returned by `create_and_poll`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ChatPoll {
    /// The chat in its final (or `requires_action`) state.
    pub chat: Chat,
    /// The chat's messages (answer, function calls, follow-ups, ...).
    pub messages: Vec<Message>,
}

impl ChatPoll {
    /// The text of the `answer` messages, concatenated.
    pub fn answer(&self) -> String {
        self.messages
            .iter()
            .filter(|m| m.kind == crate::types::messages::MessageType::Answer)
            .map(|m| m.content.as_str())
            .collect()
    }
}

/// One typed event of a chat stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", content = "data")]
#[non_exhaustive]
pub enum ChatEvent {
    /// `conversation.chat.created`.
    #[serde(rename = "conversation.chat.created")]
    ChatCreated(Chat),
    /// `conversation.chat.in_progress`.
    #[serde(rename = "conversation.chat.in_progress")]
    ChatInProgress(Chat),
    /// `conversation.message.delta`: an increment of a message (same id across deltas).
    #[serde(rename = "conversation.message.delta")]
    MessageDelta(Message),
    /// `conversation.message.completed`: a whole message (answer, function call, verbose, ...).
    #[serde(rename = "conversation.message.completed")]
    MessageCompleted(Message),
    /// `conversation.audio.delta`: base64 audio.
    #[serde(rename = "conversation.audio.delta")]
    AudioDelta(Message),
    /// `conversation.chat.completed`, with final usage.
    #[serde(rename = "conversation.chat.completed")]
    ChatCompleted(Chat),
    /// `conversation.chat.failed`; see [`Chat::last_error`].
    #[serde(rename = "conversation.chat.failed")]
    ChatFailed(Chat),
    /// `conversation.chat.requires_action`: answer [`Chat::tool_calls`] with
    /// `submit_tool_outputs`.
    #[serde(rename = "conversation.chat.requires_action")]
    ChatRequiresAction(Chat),
    /// `done`: the last event. Workflow chats carry a debug URL.
    #[serde(rename = "done")]
    Done {
        /// The workflow debug URL, for chatflows.
        debug_url: Option<String>,
    },
    /// An event this SDK version does not know, kept raw.
    #[serde(rename = "unknown")]
    Unknown {
        /// The event name.
        event: String,
        /// The raw data.
        data: String,
    },
}

impl ChatEvent {
    /// Decodes one SSE event of a chat stream. An `error` event becomes
    /// [`Error::StreamEvent`].
    ///
    /// # Errors
    ///
    /// [`Error::StreamEvent`] for `error` events, [`Error::MalformedEvent`] when a known
    /// event's data is not the expected JSON.
    pub fn parse(event: &str, data: &str) -> Result<ChatEvent> {
        let chat = |f: fn(Chat) -> ChatEvent| decode(event, data).map(f);
        // Message events are most of a stream: the common shape of their data takes a fast
        // path; anything else (and every error) goes through serde_json.
        let message = |f: fn(Message) -> ChatEvent| match flat_message::decode(data) {
            Some(m) => Ok(f(m)),
            None => decode(event, data).map(f),
        };
        match event {
            "conversation.message.delta" => message(ChatEvent::MessageDelta),
            "conversation.message.completed" => message(ChatEvent::MessageCompleted),
            "conversation.audio.delta" => message(ChatEvent::AudioDelta),
            "conversation.chat.created" => chat(ChatEvent::ChatCreated),
            "conversation.chat.in_progress" => chat(ChatEvent::ChatInProgress),
            "conversation.chat.completed" => chat(ChatEvent::ChatCompleted),
            "conversation.chat.failed" => chat(ChatEvent::ChatFailed),
            "conversation.chat.requires_action" => chat(ChatEvent::ChatRequiresAction),
            "done" => Ok(ChatEvent::Done {
                debug_url: done_debug_url(data),
            }),
            "error" => Err(error_event(data)),
            _ => Ok(ChatEvent::Unknown {
                event: event.to_owned(),
                data: data.to_owned(),
            }),
        }
    }

    /// True for the events after which a chat produces nothing more on this stream.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            ChatEvent::ChatCompleted(_)
                | ChatEvent::ChatFailed(_)
                | ChatEvent::ChatRequiresAction(_)
                | ChatEvent::Done { .. }
        )
    }
}

/// The `debug_url` of a `done` event's data, when it is an object that has one.
pub(crate) fn done_debug_url(data: &str) -> Option<String> {
    #[derive(Deserialize)]
    struct DoneData {
        debug_url: Option<String>,
    }
    serde_json::from_str::<DoneData>(data).ok()?.debug_url
}

/// Decodes an event's data, naming the event when it is malformed.
pub(crate) fn decode<'a, T: Deserialize<'a>>(event: &str, data: &'a str) -> Result<T> {
    serde_json::from_str(data).map_err(|e| Error::MalformedEvent {
        event: event.to_owned(),
        detail: e.to_string(),
    })
}

fn error_event(data: &str) -> Error {
    #[derive(Deserialize)]
    struct ErrorData {
        #[serde(default)]
        code: Int,
        #[serde(default, alias = "message", deserialize_with = "null_default")]
        msg: String,
    }
    match serde_json::from_str::<ErrorData>(data) {
        Ok(e) if e.code != 0 || !e.msg.is_empty() => Error::StreamEvent {
            code: e.code.get(),
            msg: e.msg,
            logid: None,
        },
        _ => Error::StreamEvent {
            code: 0,
            msg: if data.trim().is_empty() || data.trim() == "{}" {
                "the server reported an error without details".to_owned()
            } else {
                data.trim().to_owned()
            },
            logid: None,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::messages::MessageType;

    #[test]
    fn parses_known_events() {
        let ev = ChatEvent::parse(
            "conversation.message.delta",
            r#"{"id":"m1","conversation_id":"c","bot_id":"b","chat_id":"x","role":"assistant","type":"answer","content":"He","content_type":"text"}"#,
        )
        .unwrap();
        let ChatEvent::MessageDelta(m) = ev else {
            panic!("{ev:?}")
        };
        assert_eq!((m.content.as_str(), &m.kind), ("He", &MessageType::Answer));

        let ev = ChatEvent::parse(
            "conversation.chat.requires_action",
            r#"{"id":"x","conversation_id":"c","status":"requires_action","required_action":{"type":"submit_tool_outputs","submit_tool_outputs":{"tool_calls":[{"id":"t1","type":"function","function":{"name":"weather","arguments":"{\"city\":\"Paris\"}"}}]}}}"#,
        )
        .unwrap();
        let ChatEvent::ChatRequiresAction(chat) = ev else {
            panic!()
        };
        assert_eq!(chat.status, ChatStatus::RequiresAction);
        assert_eq!(chat.tool_calls()[0].function.name, "weather");
        assert_eq!(chat.tool_calls()[0].id.as_str(), "t1");
    }

    #[test]
    fn done_unknown_error_and_malformed() {
        assert_eq!(
            ChatEvent::parse("done", "\"[DONE]\"").unwrap(),
            ChatEvent::Done { debug_url: None }
        );
        assert_eq!(
            ChatEvent::parse("done", r#"{"debug_url":"https://x"}"#).unwrap(),
            ChatEvent::Done {
                debug_url: Some("https://x".into())
            }
        );
        assert!(matches!(
            ChatEvent::parse("conversation.new_thing", "{}").unwrap(),
            ChatEvent::Unknown { .. }
        ));
        let e = ChatEvent::parse("error", r#"{"code":4013,"msg":"slow down"}"#).unwrap_err();
        assert_eq!(e.code(), Some(4013));
        let e = ChatEvent::parse("error", "{}").unwrap_err();
        assert!(e.to_string().contains("without details"), "{e}");
        let e = ChatEvent::parse("conversation.chat.completed", "{not json").unwrap_err();
        assert!(matches!(e, Error::MalformedEvent { .. }));
    }

    #[test]
    fn request_validation() {
        assert!(
            ChatRequest::new("b", "u")
                .user_message("  \n")
                .validate()
                .is_err()
        );
        assert!(
            ChatRequest::new("", "u")
                .user_message("hi")
                .validate()
                .is_err()
        );
        assert!(
            ChatRequest::new("b", "u")
                .user_message("hi")
                .validate()
                .is_ok()
        );
        let body = serde_json::to_value(ChatRequest::new("b", "u").conversation("c")).unwrap();
        assert!(body.get("conversation_id").is_none());
        assert_eq!(body["additional_messages"], serde_json::json!([]));
    }
}
