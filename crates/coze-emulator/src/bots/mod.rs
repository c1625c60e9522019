//! What the emulator's bots say.
//!
//! A bot's behaviour is an async function of the chat context (bot, conversation section
//! history, this turn's input, submitted tool outputs) returning a [`BotReply`]. The chat
//! engine (`routes/chat.rs`) turns the reply into events, messages and state: it splits an
//! answer into deltas, adds the `verbose` finish message and the follow-ups, counts tokens.
//!
//! To add a bot: implement [`Behavior`] and insert a `BotRecord` with it into
//! `Store::bots` (see `AppState::new`); nothing else needs to change.

pub mod echo;
pub mod failing;
pub mod reasoning;
pub mod tool;

use std::fmt;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value};

use crate::state::{AppState, ToolCall};

/// How a bot answers one chat turn.
pub trait Behavior: Send + Sync + fmt::Debug + 'static {
    /// The reply to the turn described by `ctx`.
    fn respond<'a>(&'a self, ctx: &'a ChatContext) -> BoxFuture<'a, BotReply>;
}

/// Everything a bot may look at.
#[derive(Debug, Clone)]
pub struct ChatContext {
    /// For bots that need the store (files, plugins, ...). Do not hold its lock across await.
    pub state: AppState,
    pub bot_id: String,
    pub bot_name: String,
    pub user_id: String,
    pub conversation_id: String,
    pub section_id: String,
    pub chat_id: String,
    /// Earlier questions and answers of the current section, oldest first (older sections
    /// are forgotten after `clear`).
    pub history: Vec<Turn>,
    /// This turn's `additional_messages` (oldest first; the last user one is the query).
    pub input: Vec<Turn>,
    /// The calls the bot asked for in this chat (set when tool outputs are submitted).
    pub tool_calls: Vec<ToolCall>,
    /// Submitted tool outputs; empty unless this run follows `submit_tool_outputs`.
    pub tool_outputs: Vec<ToolOutput>,
    /// The request's `custom_variables`.
    pub custom_variables: Map<String, Value>,
}

impl ChatContext {
    /// The last user message of this turn, if any.
    pub fn query(&self) -> Option<&Turn> {
        self.input.iter().rev().find(|t| t.role == "user")
    }
}

/// One message as a bot sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    /// `user` or `assistant`.
    pub role: String,
    /// `question`, `answer`, ...
    pub kind: String,
    pub content: String,
    /// `text` or `object_string`.
    pub content_type: String,
}

/// A file or image referenced by an `object_string` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileRef {
    /// `file`, `image` or `audio`.
    pub kind: String,
    pub file_id: Option<String>,
    pub file_url: Option<String>,
}

impl Turn {
    /// The message's text: the content for `text`, the joined `text` items for
    /// `object_string` (content that is not a valid item array is taken as text).
    pub fn text(&self) -> String {
        match self.items() {
            Some(items) => items
                .iter()
                .filter(|item| item.get("type").and_then(Value::as_str) == Some("text"))
                .filter_map(|item| item.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join("\n"),
            None => self.content.clone(),
        }
    }

    /// Files and images of an `object_string` message.
    pub fn files(&self) -> Vec<FileRef> {
        let Some(items) = self.items() else {
            return Vec::new();
        };
        let field = |item: &Value, key: &str| {
            item.get(key)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        items
            .iter()
            .filter_map(|item| {
                let kind = item.get("type").and_then(Value::as_str)?;
                (kind != "text").then(|| FileRef {
                    kind: kind.to_string(),
                    file_id: field(item, "file_id"),
                    file_url: field(item, "file_url"),
                })
            })
            .collect()
    }

    fn items(&self) -> Option<Vec<Value>> {
        if self.content_type != "object_string" {
            return None;
        }
        serde_json::from_str::<Vec<Value>>(&self.content).ok()
    }
}

/// A submitted tool output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolOutput {
    pub tool_call_id: String,
    pub output: String,
}

/// What a bot does with a turn.
#[derive(Debug, Clone, PartialEq)]
pub enum BotReply {
    /// Answer with `text` (streamed in deltas), then suggest `follow_ups`.
    Answer {
        text: String,
        follow_ups: Vec<String>,
    },
    /// Stream `reasoning` (as `reasoning_content` deltas) first, then answer like `Answer`.
    ReasonedAnswer {
        reasoning: String,
        text: String,
        follow_ups: Vec<String>,
    },
    /// Pause the chat with `requires_action` until the caller submits tool outputs.
    ToolCalls(Vec<FunctionCall>),
    /// Fail the chat (`conversation.chat.failed`, `last_error {code, msg}`).
    Fail { code: i64, msg: String },
    /// Tools the bot already ran on the server (plugin tools, as Coze runs them), then an
    /// answer: each call shows as a completed `function_call` and `tool_response` message
    /// before the answer's deltas; the chat does not stop for `requires_action`.
    PluginAnswer {
        calls: Vec<PluginCall>,
        text: String,
        follow_ups: Vec<String>,
    },
}

/// A plugin tool the bot called itself, and what it returned.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginCall {
    /// The tool's name (its `operationId`).
    pub name: String,
    /// The arguments object sent to the tool.
    pub arguments: Value,
    pub plugin_id: String,
    pub api_id: String,
    /// The `tool_response` content: the tool's result as the model sees it.
    pub output: String,
}

/// A function the bot wants the caller to run.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionCall {
    pub name: String,
    /// Arguments object; sent to the caller as a JSON string.
    pub arguments: Value,
}

/// Quotes a user text for an answer, shortened to keep answers readable.
pub(crate) fn quote(text: &str) -> String {
    const MAX: usize = 200;
    let text = text.trim();
    if text.chars().count() <= MAX {
        format!("\"{text}\"")
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("\"{cut}…\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(content: &str, content_type: &str) -> Turn {
        Turn {
            role: "user".into(),
            kind: "question".into(),
            content: content.into(),
            content_type: content_type.into(),
        }
    }

    #[test]
    fn object_string_text_and_files() {
        let t = turn(
            r#"[{"type": "text", "text": "look", "file_id": null, "file_url": null}, {"type": "image", "text": null, "file_id": "42", "file_url": null}]"#,
            "object_string",
        );
        assert_eq!(t.text(), "look");
        assert_eq!(
            t.files(),
            vec![FileRef {
                kind: "image".into(),
                file_id: Some("42".into()),
                file_url: None
            }]
        );
        let broken = turn("[not json", "object_string");
        assert_eq!(broken.text(), "[not json");
        assert!(broken.files().is_empty());
    }
}
