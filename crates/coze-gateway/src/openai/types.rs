//! The OpenAI wire types the gateway reads and writes: chat completion requests, responses,
//! stream chunks, the model list and the error body.
//!
//! Requests are read leniently where OpenAI clients differ (content as a string or as an array
//! of parts, `null` for absent fields, unknown fields ignored) and strictly where a wrong value
//! would change the answer (roles, part types, types of known fields).

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `POST /v1/chat/completions` body. Fields the gateway does not use (`temperature`,
/// `max_tokens`, ...) are accepted and ignored: a Coze bot's model settings live in the bot.
#[derive(Debug, Clone, Deserialize)]
pub struct ChatCompletionRequest {
    /// A configured model name (or `bot-<id>` when the configuration allows it).
    pub model: String,
    /// The whole conversation so far, oldest first; the last message is this turn's input.
    pub messages: Vec<RequestMessage>,
    /// Stream the answer as server-sent events.
    #[serde(default)]
    pub stream: Option<bool>,
    /// `{"include_usage": true}` adds a last chunk with usage.
    #[serde(default)]
    pub stream_options: Option<StreamOptions>,
    /// The end user; conversations are kept per API key and `user`.
    #[serde(default)]
    pub user: Option<String>,
    /// Accepted for compatibility; a Coze bot's tools are configured in the bot.
    #[serde(default)]
    pub tools: Option<Vec<Value>>,
    /// Accepted for compatibility (see `tools`).
    #[serde(default)]
    pub tool_choice: Option<Value>,
    /// The gateway's extension: name the Coze conversation to use.
    #[serde(default)]
    pub coze: Option<CozeRequestExtension>,
}

/// `stream_options`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StreamOptions {
    /// Send a last chunk with the chat's usage (and `choices: []`).
    #[serde(default)]
    pub include_usage: Option<bool>,
}

/// The request extension `"coze": {...}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CozeRequestExtension {
    /// Continue this Coze conversation (one this API key and `user` made through the
    /// gateway) instead of finding it from the history.
    #[serde(default)]
    pub conversation_id: Option<String>,
}

/// The author of a request message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions (see the system message rule).
    System,
    /// OpenAI's newer name for system messages; treated as `system`.
    Developer,
    /// The user.
    User,
    /// The bot.
    Assistant,
    /// A tool's output, answering an assistant tool call.
    Tool,
}

/// One message of a request.
#[derive(Debug, Clone, Deserialize)]
pub struct RequestMessage {
    /// Author.
    pub role: Role,
    /// Text or parts; `null` for an assistant message that only calls tools.
    #[serde(default)]
    pub content: Option<MessageContent>,
    /// Tool calls of an assistant message.
    #[serde(default)]
    pub tool_calls: Option<Vec<RequestToolCall>>,
    /// The call a `tool` message answers.
    #[serde(default)]
    pub tool_call_id: Option<String>,
    /// Optional author name (ignored).
    #[serde(default)]
    pub name: Option<String>,
}

/// Message content: a string or an array of parts.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum MessageContent {
    /// Plain text.
    Text(String),
    /// Text, image and file parts.
    Parts(Vec<ContentPart>),
}

/// One part of an array content.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentPart {
    /// Text.
    Text {
        /// The text.
        text: String,
    },
    /// An image: an `https://` URL or a `data:` URI.
    ImageUrl {
        /// `{"url": ..., "detail": ...}`.
        image_url: ImageUrl,
    },
    /// A file given inline (`file_data` as a `data:` URI) or by a Coze file id.
    File {
        /// `{"file_data": ..., "file_id": ..., "filename": ...}`.
        file: FilePart,
    },
    /// Audio input (refused: Coze chat takes audio as uploaded files only).
    InputAudio {
        /// Ignored.
        #[serde(default)]
        input_audio: Value,
    },
    /// A refusal text (in assistant messages).
    Refusal {
        /// The text.
        refusal: String,
    },
}

/// `image_url` of an image part.
#[derive(Debug, Clone, Deserialize)]
pub struct ImageUrl {
    /// `https://...` or `data:<mime>;base64,...`.
    pub url: String,
    /// Ignored.
    #[serde(default)]
    pub detail: Option<String>,
}

/// `file` of a file part.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FilePart {
    /// `data:<mime>;base64,...`, or bare base64 (then `filename` names it).
    #[serde(default)]
    pub file_data: Option<String>,
    /// A Coze file id (uploaded earlier through Coze's files API).
    #[serde(default)]
    pub file_id: Option<String>,
    /// The file's name.
    #[serde(default)]
    pub filename: Option<String>,
}

/// A tool call in a request's assistant message.
#[derive(Debug, Clone, Deserialize)]
pub struct RequestToolCall {
    /// The call id the gateway gave.
    pub id: String,
    /// `function`.
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// The function.
    pub function: RequestFunction,
}

/// The function of a request tool call.
#[derive(Debug, Clone, Deserialize)]
pub struct RequestFunction {
    /// Name.
    pub name: String,
    /// Arguments (a JSON string).
    #[serde(default)]
    pub arguments: Option<String>,
}

/// Token usage as OpenAI reports it (from Coze's `usage`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Coze `input_count`.
    pub prompt_tokens: i64,
    /// Coze `output_count`.
    pub completion_tokens: i64,
    /// Coze `token_count`.
    pub total_tokens: i64,
}

impl From<coze_sdk::Usage> for Usage {
    fn from(u: coze_sdk::Usage) -> Self {
        let total = if u.token_count > 0 {
            u.token_count.get()
        } else {
            u.input_count.get() + u.output_count.get()
        };
        Usage {
            prompt_tokens: u.input_count.get(),
            completion_tokens: u.output_count.get(),
            total_tokens: total,
        }
    }
}

/// The gateway's response extension `"coze": {...}`: which Coze conversation and chat
/// answered, and the bot's suggested follow-up questions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CozeExtension {
    /// The Coze conversation (also in the `X-Coze-Conversation-Id` header).
    pub conversation_id: String,
    /// The Coze chat.
    pub chat_id: String,
    /// Follow-up questions the bot suggests (empty when it has none).
    pub follow_ups: Vec<String>,
}

/// A tool call in a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    /// Position among the calls (stream chunks only).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub index: Option<u32>,
    /// The Coze tool call id; answer it with a `tool` message of this `tool_call_id`.
    pub id: String,
    /// Always `function`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The function to run.
    pub function: FunctionCall,
}

/// The function of a response tool call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionCall {
    /// Name.
    pub name: String,
    /// Arguments as a JSON string.
    pub arguments: String,
}

/// Why the answer ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The bot finished its answer.
    Stop,
    /// The bot waits for tool outputs.
    ToolCalls,
}

/// The assistant message of a non-streaming response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseMessage {
    /// `assistant`.
    pub role: Role,
    /// The answer; `null` when the bot only calls tools.
    pub content: Option<String>,
    /// The chain of thought of reasoning models.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reasoning_content: Option<String>,
    /// Tools the bot asks the client to run.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tool_calls: Option<Vec<ToolCall>>,
}

/// A choice of a non-streaming response (always one, index 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// 0.
    pub index: u32,
    /// The answer.
    pub message: ResponseMessage,
    /// Why it ended.
    pub finish_reason: FinishReason,
    /// Always `null`.
    pub logprobs: Option<Value>,
}

/// A non-streaming response (`object: "chat.completion"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCompletion {
    /// `chatcmpl-<coze chat id>`.
    pub id: String,
    /// `chat.completion`.
    pub object: String,
    /// Unix seconds.
    pub created: i64,
    /// The model name the client asked for.
    pub model: String,
    /// One choice.
    pub choices: Vec<Choice>,
    /// Coze's usage of the chat.
    pub usage: Usage,
    /// The Coze extension.
    pub coze: CozeExtension,
}

/// The delta of a stream chunk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delta {
    /// `assistant`, in the first chunk only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub role: Option<Role>,
    /// An increment of the answer.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub content: Option<String>,
    /// An increment of the chain of thought.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reasoning_content: Option<String>,
    /// Tool calls (whole, in one chunk).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tool_calls: Option<Vec<ToolCall>>,
}

/// A choice of a stream chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChunkChoice {
    /// 0.
    pub index: u32,
    /// The increment.
    pub delta: Delta,
    /// Set in the last chunk of the answer.
    pub finish_reason: Option<FinishReason>,
    /// Always `null`.
    pub logprobs: Option<Value>,
}

/// A stream chunk (`object: "chat.completion.chunk"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatCompletionChunk {
    /// Same in every chunk of a response.
    pub id: String,
    /// `chat.completion.chunk`.
    pub object: String,
    /// Unix seconds.
    pub created: i64,
    /// The model name the client asked for.
    pub model: String,
    /// One choice, or none in the usage chunk.
    pub choices: Vec<ChunkChoice>,
    /// In the usage chunk only (with `stream_options.include_usage`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub usage: Option<Usage>,
    /// In the chunk that carries `finish_reason`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub coze: Option<CozeExtension>,
}

/// `GET /v1/models` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Model {
    /// The model name clients use.
    pub id: String,
    /// `model`.
    pub object: String,
    /// Unix seconds (the gateway's start).
    pub created: i64,
    /// `coze`.
    pub owned_by: String,
}

/// `GET /v1/models` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelList {
    /// `list`.
    pub object: String,
    /// The models.
    pub data: Vec<Model>,
}

/// The error body `{"error": {...}}`, in responses and as the last stream chunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorObject,
}

/// OpenAI's error object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorObject {
    /// One line that says what went wrong and what to do.
    pub message: String,
    /// `invalid_request_error`, `authentication_error`, `permission_error`,
    /// `not_found_error`, `rate_limit_error`, `upstream_error`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The request field at fault, e.g. `messages[1].content`.
    pub param: Option<String>,
    /// A stable code, e.g. `model_not_found`, `coze_4016`.
    pub code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_as_string_or_parts() {
        let req: ChatCompletionRequest = serde_json::from_value(json!({
            "model": "echo",
            "messages": [
                {"role": "system", "content": "be brief"},
                {"role": "user", "content": [
                    {"type": "text", "text": "what is this?"},
                    {"type": "image_url", "image_url": {"url": "https://e.x/a.png", "detail": "low"}},
                    {"type": "file", "file": {"file_data": "data:text/plain;base64,aGk=", "filename": "a.txt"}}
                ]},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "t1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
                ]},
                {"role": "tool", "tool_call_id": "t1", "content": "42"}
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            "temperature": 0.2,
            "user": "u1"
        }))
        .unwrap();
        assert_eq!(req.messages.len(), 4);
        let Some(MessageContent::Parts(parts)) = &req.messages[1].content else {
            panic!("{:?}", req.messages[1].content)
        };
        assert!(
            matches!(&parts[1], ContentPart::ImageUrl { image_url } if image_url.url == "https://e.x/a.png")
        );
        assert!(
            matches!(&parts[2], ContentPart::File { file } if file.filename.as_deref() == Some("a.txt"))
        );
        assert!(req.messages[2].content.is_none());
        assert_eq!(req.messages[3].tool_call_id.as_deref(), Some("t1"));
        assert_eq!(req.stream_options.unwrap().include_usage, Some(true));
    }

    #[test]
    fn unknown_role_and_part_are_refused() {
        let bad_role = json!({"model": "m", "messages": [{"role": "robot", "content": "x"}]});
        assert!(serde_json::from_value::<ChatCompletionRequest>(bad_role).is_err());
        let bad_part = json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "video", "x": 1}]}]});
        assert!(serde_json::from_value::<ChatCompletionRequest>(bad_part).is_err());
    }

    #[test]
    fn chunk_serialisation_skips_absent_fields() {
        let chunk = ChatCompletionChunk {
            id: "chatcmpl-1".into(),
            object: "chat.completion.chunk".into(),
            created: 1,
            model: "echo".into(),
            choices: vec![ChunkChoice {
                index: 0,
                delta: Delta {
                    content: Some("Hi".into()),
                    ..Delta::default()
                },
                finish_reason: None,
                logprobs: None,
            }],
            usage: None,
            coze: None,
        };
        let v = serde_json::to_value(&chunk).unwrap();
        assert_eq!(v["choices"][0]["delta"], json!({"content": "Hi"}));
        assert_eq!(v["choices"][0]["finish_reason"], Value::Null);
        assert!(v.get("usage").is_none() && v.get("coze").is_none());
        assert_eq!(
            serde_json::to_value(FinishReason::ToolCalls).unwrap(),
            json!("tool_calls")
        );
    }
}
