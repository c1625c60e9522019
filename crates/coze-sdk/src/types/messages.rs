//! Messages: what chats and conversations return, and what callers send.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::ids::{BotId, ChatId, ConversationId, FileId, MessageId, SectionId};
use crate::types::common::{null_default, open_enum};
use crate::types::lenient::Timestamp;

open_enum! {
    /// Who wrote a message.
    MessageRole {
        /// The user.
        User => "user",
        /// The bot.
        Assistant => "assistant",
    }
}

open_enum! {
    /// What a message is (`type` on the wire).
    MessageType {
        /// A user's question.
        Question => "question",
        /// The bot's answer.
        Answer => "answer",
        /// A function (tool) call the bot made.
        FunctionCall => "function_call",
        /// The output of a tool, as sent back to the bot.
        ToolOutput => "tool_output",
        /// The response of a tool.
        ToolResponse => "tool_response",
        /// A suggested follow-up question.
        FollowUp => "follow_up",
        /// A status message, e.g. `generate_answer_finish`.
        Verbose => "verbose",
    }
}

open_enum! {
    /// How `content` is encoded.
    ContentType {
        /// Plain text.
        Text => "text",
        /// A JSON array of multimodal parts (see [`ContentPart`]).
        ObjectString => "object_string",
        /// A card (responses only).
        Card => "card",
        /// Base64 audio (responses only).
        Audio => "audio",
    }
}

open_enum! {
    /// Sort order of a list.
    SortOrder {
        /// Oldest first.
        Asc => "asc",
        /// Newest first.
        Desc => "desc",
    }
}

/// A message as Coze returns it.
///
/// `bot_id` and `chat_id` are empty for messages that no chat produced.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Message {
    /// Message id.
    #[serde(default)]
    pub id: MessageId,
    /// Conversation the message belongs to.
    #[serde(default)]
    pub conversation_id: ConversationId,
    /// The bot that produced it (empty otherwise).
    #[serde(default)]
    pub bot_id: BotId,
    /// The chat that produced it (empty otherwise).
    #[serde(default)]
    pub chat_id: ChatId,
    /// The conversation section.
    #[serde(default)]
    pub section_id: SectionId,
    /// Author.
    #[serde(default)]
    pub role: MessageRole,
    /// Message type.
    #[serde(rename = "type", default)]
    pub kind: MessageType,
    /// The content (the increment, in a `conversation.message.delta` event).
    #[serde(default, deserialize_with = "null_default")]
    pub content: String,
    /// How `content` is encoded.
    #[serde(default)]
    pub content_type: ContentType,
    /// Caller-defined key/values.
    #[serde(default, deserialize_with = "null_default")]
    pub meta_data: HashMap<String, String>,
    /// Creation time (Unix seconds).
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub created_at: Timestamp,
    /// Last update time (Unix seconds).
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub updated_at: Timestamp,
    /// Chain-of-thought of reasoning models (incremental in deltas).
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub reasoning_content: String,
}

/// A file referenced from multimodal content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileRef {
    /// A file uploaded with the files API.
    Id(FileId),
    /// A publicly reachable URL.
    Url(String),
}

/// One part of a multimodal (`object_string`) message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContentPart {
    /// Text.
    Text(String),
    /// An image.
    Image(FileRef),
    /// A file.
    File(FileRef),
    /// An audio clip.
    Audio(FileRef),
}

impl ContentPart {
    /// A text part.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }
    /// An image uploaded earlier.
    pub fn image_id(id: impl Into<FileId>) -> Self {
        Self::Image(FileRef::Id(id.into()))
    }
    /// An image at a public URL.
    pub fn image_url(url: impl Into<String>) -> Self {
        Self::Image(FileRef::Url(url.into()))
    }
    /// A file uploaded earlier.
    pub fn file_id(id: impl Into<FileId>) -> Self {
        Self::File(FileRef::Id(id.into()))
    }
    /// A file at a public URL.
    pub fn file_url(url: impl Into<String>) -> Self {
        Self::File(FileRef::Url(url.into()))
    }
    /// An audio clip uploaded earlier.
    pub fn audio_id(id: impl Into<FileId>) -> Self {
        Self::Audio(FileRef::Id(id.into()))
    }
}

#[derive(Serialize)]
struct WirePart<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_url: Option<&'a str>,
}

/// Encodes parts as Coze's `object_string` content (a JSON array in a string).
pub fn object_string(parts: &[ContentPart]) -> String {
    let wire: Vec<WirePart<'_>> = parts
        .iter()
        .map(|p| {
            let (kind, file) = match p {
                ContentPart::Text(t) => {
                    return WirePart {
                        kind: "text",
                        text: Some(t),
                        file_id: None,
                        file_url: None,
                    };
                }
                ContentPart::Image(f) => ("image", f),
                ContentPart::File(f) => ("file", f),
                ContentPart::Audio(f) => ("audio", f),
            };
            let (file_id, file_url) = match file {
                FileRef::Id(id) => (Some(id.as_str()), None),
                FileRef::Url(url) => (None, Some(url.as_str())),
            };
            WirePart {
                kind,
                text: None,
                file_id,
                file_url,
            }
        })
        .collect();
    // Serialising plain strings and &strs cannot fail.
    serde_json::to_string(&wire).unwrap_or_else(|_| "[]".to_owned())
}

/// A message sent to Coze (chat `additional_messages`, conversation create, message create).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct EnterMessage {
    /// Author.
    pub role: MessageRole,
    /// Message type; Coze defaults to `question` for users and `answer` for the assistant.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<MessageType>,
    /// Content, encoded as `content_type` says.
    pub content: String,
    /// `text` or `object_string`.
    pub content_type: ContentType,
    /// Caller-defined key/values.
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub meta_data: HashMap<String, String>,
}

impl EnterMessage {
    /// A text message from the user.
    pub fn user(text: impl Into<String>) -> Self {
        Self::text(MessageRole::User, text)
    }

    /// A text message from the assistant (to seed context).
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::text(MessageRole::Assistant, text)
    }

    /// A text message with the given role.
    pub fn text(role: MessageRole, text: impl Into<String>) -> Self {
        Self {
            role,
            kind: None,
            content: text.into(),
            content_type: ContentType::Text,
            meta_data: HashMap::new(),
        }
    }

    /// A multimodal user message. A message of one text part is sent as plain `text`, as Coze
    /// requires; anything else as `object_string`.
    pub fn user_parts(parts: impl IntoIterator<Item = ContentPart>) -> Self {
        let parts: Vec<ContentPart> = parts.into_iter().collect();
        if let [ContentPart::Text(t)] = parts.as_slice() {
            return Self::user(t.clone());
        }
        Self {
            role: MessageRole::User,
            kind: None,
            content: object_string(&parts),
            content_type: ContentType::ObjectString,
            meta_data: HashMap::new(),
        }
    }

    /// Sets the message type.
    pub fn with_type(mut self, kind: MessageType) -> Self {
        self.kind = Some(kind);
        self
    }

    /// Adds a meta_data pair.
    pub fn meta_data(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.meta_data.insert(key.into(), value.into());
        self
    }

    /// True when the message carries nothing (whitespace only).
    pub(crate) fn is_blank(&self) -> bool {
        self.content.trim().is_empty()
    }
}

/// Options of a conversation message list (`POST /v1/conversation/message/list`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ListMessagesRequest {
    /// `desc` (newest first, Coze's default) or `asc`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<SortOrder>,
    /// Only messages of this chat.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<ChatId>,
    /// Messages before this id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before_id: Option<MessageId>,
    /// Messages after this id (the SDK pages with `after_id = last_id`, like the official SDKs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after_id: Option<MessageId>,
    /// Page size, 1–50 (Coze's default 50).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

impl ListMessagesRequest {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the order.
    pub fn order(mut self, order: SortOrder) -> Self {
        self.order = Some(order);
        self
    }
    /// Filters by chat.
    pub fn chat_id(mut self, id: impl Into<ChatId>) -> Self {
        self.chat_id = Some(id.into());
        self
    }
    /// Starts before `id`.
    pub fn before_id(mut self, id: impl Into<MessageId>) -> Self {
        self.before_id = Some(id.into());
        self
    }
    /// Starts after `id`.
    pub fn after_id(mut self, id: impl Into<MessageId>) -> Self {
        self.after_id = Some(id.into());
        self
    }
    /// Sets the page size (1–50).
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }
}

/// One page of a conversation message list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MessageList {
    /// The messages.
    #[serde(rename = "data", default, deserialize_with = "null_default")]
    pub messages: Vec<Message>,
    /// Id of the first message of the page.
    #[serde(default)]
    pub first_id: MessageId,
    /// Id of the last message of the page.
    #[serde(default)]
    pub last_id: MessageId,
    /// Whether more messages follow.
    #[serde(default, deserialize_with = "null_default")]
    pub has_more: bool,
}

/// Changes to a message (`POST /v1/conversation/message/modify`); unset fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ModifyMessageRequest {
    /// New content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// New content type.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<ContentType>,
    /// New meta_data (replaces the old map).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meta_data: Option<HashMap<String, String>>,
}

impl ModifyMessageRequest {
    /// No changes yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Replaces the content with text.
    pub fn text(mut self, text: impl Into<String>) -> Self {
        self.content = Some(text.into());
        self.content_type = Some(ContentType::Text);
        self
    }
    /// Replaces the content with multimodal parts.
    pub fn parts(mut self, parts: &[ContentPart]) -> Self {
        self.content = Some(object_string(parts));
        self.content_type = Some(ContentType::ObjectString);
        self
    }
    /// Replaces meta_data.
    pub fn meta_data(mut self, meta: HashMap<String, String>) -> Self {
        self.meta_data = Some(meta);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lenient_message_decoding() {
        let m: Message = serde_json::from_str(
            r#"{"id":"1","conversation_id":"2","bot_id":"","chat_id":"3","role":"assistant",
                "type":"knowledge","content":null,"content_type":"text","meta_data":null,
                "created_at":"1716809829","reasoning_content":null,"extra":1}"#,
        )
        .unwrap();
        assert_eq!(m.role, MessageRole::Assistant);
        assert_eq!(m.kind, MessageType::Unknown("knowledge".into()));
        assert_eq!(m.content, "");
        assert_eq!(m.created_at, Some(1716809829));
        assert!(m.bot_id.is_empty());
    }

    #[test]
    fn object_string_from_parts() {
        let s = object_string(&[
            ContentPart::text("what is this?"),
            ContentPart::image_url("https://e.x/a.png"),
            ContentPart::file_id("42"),
        ]);
        assert_eq!(
            s,
            r#"[{"type":"text","text":"what is this?"},{"type":"image","file_url":"https://e.x/a.png"},{"type":"file","file_id":"42"}]"#
        );
        let m = EnterMessage::user_parts([ContentPart::text("hi")]);
        assert_eq!(m.content_type, ContentType::Text);
        assert_eq!(m.content, "hi");
        let m = EnterMessage::user_parts([ContentPart::text("hi"), ContentPart::image_id("7")]);
        assert_eq!(m.content_type, ContentType::ObjectString);
    }
}
