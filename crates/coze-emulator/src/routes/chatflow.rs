//! Chatflow: `POST /v1/workflows/chat` streams chat-v3 events (`event:`/`data:` framing).
//!
//! The scripted chatflow (`crate::workflows::CHATFLOW`, "trip_planner") asks where the user
//! travels at a question node: the answer message carries the question, then
//! `conversation.chat.requires_action` (a `reply_message` tool call) and `done`. Calling the
//! endpoint again in the same conversation with the answer in `additional_messages` finishes
//! it. A call whose `additional_messages` already hold the assistant's question followed by a
//! user answer (history sent inline) is answered directly. Unlike `/v3/chat`, Chat objects
//! carry no `bot_id`, and `done` carries `{"debug_url": …}`.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::workflows::{parameters, workflow};
use super::{JsonBody, opt_id};
use crate::auth::Authed;
use crate::bots::{Turn, quote};
use crate::envelope::ApiError;
use crate::sse::{self, EventSender, Framing};
use crate::state::{AppState, ConversationRecord, MessageRecord};
use crate::workflows::{self, Kind};

/// The question the chatflow asks.
pub const QUESTION: &str = "Where are you travelling to?";

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/workflows/chat", post(chat))
}

#[derive(Debug, Deserialize)]
struct ChatBody {
    #[serde(default, deserialize_with = "opt_id")]
    workflow_id: Option<String>,
    #[serde(default)]
    additional_messages: Option<Vec<InMessage>>,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default, deserialize_with = "opt_id")]
    bot_id: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    app_id: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    conversation_id: Option<String>,
}

#[derive(Debug, Deserialize)]
struct InMessage {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    content_type: Option<String>,
}

impl InMessage {
    fn turn(&self) -> Turn {
        Turn {
            role: self.role.clone().unwrap_or_else(|| "user".into()),
            kind: String::new(),
            content: self.content.clone().unwrap_or_default(),
            content_type: self
                .content_type
                .clone()
                .filter(|c| !c.is_empty())
                .unwrap_or_else(|| "text".into()),
        }
    }
}

/// What this call does.
enum Phase {
    /// Ask the question; remember the first message.
    Ask,
    /// Answer: the trip to `destination`, planned for the first message.
    Answer { first: String, destination: String },
}

async fn chat(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: ChatBody = body.parse()?;
    let def = workflow(body.workflow_id.as_deref())?;
    if def.kind != Kind::Chatflow {
        return Err(ApiError::bad_request(format!(
            "workflow {} is not a chatflow: run it with /v1/workflow/run or stream_run",
            def.id
        )));
    }
    if body.bot_id.is_some() && body.app_id.is_some() {
        return Err(ApiError::bad_request("pass bot_id or app_id, not both"));
    }
    parameters(body.parameters)?;
    let turns: Vec<Turn> = body
        .additional_messages
        .unwrap_or_default()
        .iter()
        .map(InMessage::turn)
        .collect();
    let query = turns
        .iter()
        .rev()
        .find(|t| t.role == "user")
        .map(Turn::text)
        .unwrap_or_default();
    if query.trim().is_empty() {
        return Err(ApiError::bad_request(
            "additional_messages must end with a user message: it is the chatflow's USER_INPUT",
        ));
    }
    let now = state.now();
    let (conversation_id, section_id, phase) = {
        let mut store = state.store();
        let conversation_id = match body.conversation_id {
            Some(id) if store.conversations.get(&id).is_some_and(|c| authed.sees(c)) => id,
            Some(id) => return Err(ApiError::not_found("conversation_id", &id)),
            None => {
                let id = state.new_id();
                store.conversations.insert(
                    id.clone(),
                    ConversationRecord {
                        id: id.clone(),
                        name: String::new(),
                        bot_id: String::new(),
                        creator_id: authed.user_id().to_string(),
                        connector_id: "1024".into(),
                        created_at: now,
                        updated_at: now,
                        meta_data: Map::new(),
                        last_section_id: state.new_id(),
                        session_name: authed.session_name().map(str::to_string),
                    },
                );
                id
            }
        };
        let section_id = store
            .conversations
            .get(&conversation_id)
            .map(|c| c.last_section_id.clone())
            .unwrap_or_default();
        let inline_first = inline_history(&turns);
        let phase = match store
            .workflows
            .chatflow_questions
            .remove(&conversation_id)
            .or(inline_first)
        {
            Some(first) => Phase::Answer {
                first,
                destination: query.clone(),
            },
            None => {
                store
                    .workflows
                    .chatflow_questions
                    .insert(conversation_id.clone(), query.clone());
                Phase::Ask
            }
        };
        (conversation_id, section_id, phase)
    };
    let run = Run {
        state: state.clone(),
        chat_id: state.new_id(),
        conversation_id,
        section_id,
        created_at: now,
        debug_url: workflows::debug_url(def.id, &state.new_id(), &state.ids().workspace_id),
    };
    run.store_message("user", "question", &query);
    let (sender, response) = sse::channel(state.faults().for_stream(), Framing::Chat);
    tokio::spawn(run.play(sender, phase));
    Ok(response)
}

/// The first user message when `turns` already hold the question and its answer.
fn inline_history(turns: &[Turn]) -> Option<String> {
    let last_user = turns.iter().rposition(|t| t.role == "user")?;
    let asked = turns[..last_user]
        .iter()
        .any(|t| t.role == "assistant" && t.text().contains(QUESTION));
    let first = turns[..last_user].iter().find(|t| t.role == "user")?;
    asked.then(|| first.text())
}

/// One chatflow turn being streamed.
struct Run {
    state: AppState,
    chat_id: String,
    conversation_id: String,
    section_id: String,
    created_at: i64,
    debug_url: String,
}

impl Run {
    /// A Chat object as the chatflow sends it (no `bot_id`).
    fn chat(&self, status: &str, usage: (i64, i64)) -> Value {
        let mut chat = json!({
            "id": self.chat_id,
            "conversation_id": self.conversation_id,
            "section_id": self.section_id,
            "created_at": self.created_at,
            "last_error": {"code": 0, "msg": ""},
            "status": status,
            "usage": {"token_count": usage.0 + usage.1, "output_count": usage.1, "input_count": usage.0},
        });
        if status == "completed" {
            chat["completed_at"] = json!(self.state.now());
        }
        chat
    }

    fn message(&self, id: &str, kind: &str, content: &str) -> Value {
        json!({
            "id": id,
            "conversation_id": self.conversation_id,
            "bot_id": "",
            "chat_id": self.chat_id,
            "section_id": self.section_id,
            "role": "assistant",
            "type": kind,
            "content": content,
            "content_type": "text",
            "created_at": self.created_at,
            "updated_at": self.created_at,
        })
    }

    fn store_message(&self, role: &str, kind: &str, content: &str) {
        let now = self.state.now();
        let record = MessageRecord {
            id: self.state.new_id(),
            conversation_id: self.conversation_id.clone(),
            section_id: self.section_id.clone(),
            bot_id: String::new(),
            chat_id: self.chat_id.clone(),
            role: role.into(),
            kind: kind.into(),
            content: content.into(),
            content_type: "text".into(),
            reasoning_content: String::new(),
            meta_data: Map::new(),
            created_at: now,
            updated_at: now,
        };
        self.state.store().insert_message(record);
    }

    async fn play(self, mut tx: EventSender, phase: Phase) {
        let text = match &phase {
            Phase::Ask => QUESTION.to_string(),
            Phase::Answer { first, destination } => format!(
                "A trip to {}: day 1 walk the old town, day 2 visit the museums, day 3 rest. \
                 (You started with {}.)",
                destination.trim(),
                quote(first)
            ),
        };
        let usage = (12, text.chars().count() as i64 / 4 + 1);
        let frames = [
            ("conversation.chat.created", self.chat("created", (0, 0))),
            (
                "conversation.chat.in_progress",
                self.chat("in_progress", (0, 0)),
            ),
        ];
        for (event, data) in frames {
            if !tx.send(sse::chat_frame(event, &data)).await {
                return;
            }
        }
        let message_id = self.state.new_id();
        for piece in chunks(&text) {
            if !tx
                .send(sse::chat_frame(
                    "conversation.message.delta",
                    &self.message(&message_id, "answer", piece),
                ))
                .await
            {
                break;
            }
        }
        self.store_message("assistant", "answer", &text);
        let completed = self.message(&message_id, "answer", &text);
        tx.send(sse::chat_frame(
            "conversation.message.completed",
            &completed,
        ))
        .await;
        let end = match phase {
            Phase::Ask => {
                let mut chat = self.chat("requires_action", usage);
                chat["required_action"] = json!({
                    "type": "submit_tool_outputs",
                    "submit_tool_outputs": {"tool_calls": [{
                        "id": self.state.new_id(),
                        "type": "reply_message",
                        "function": {"name": "question", "arguments": json!({"question": QUESTION}).to_string()},
                    }]},
                });
                ("conversation.chat.requires_action", chat)
            }
            Phase::Answer { .. } => ("conversation.chat.completed", self.chat("completed", usage)),
        };
        tx.send(sse::chat_frame(end.0, &end.1)).await;
        tx.send(sse::chat_frame(
            "done",
            &json!({"debug_url": self.debug_url}),
        ))
        .await;
    }
}

/// The answer in a few deltas, split at spaces.
fn chunks(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, _) in text.match_indices(' ') {
        if i - start >= 16 {
            out.push(&text[start..=i]);
            start = i + 1;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn turn(role: &str, content: &str) -> Turn {
        Turn {
            role: role.into(),
            kind: String::new(),
            content: content.into(),
            content_type: "text".into(),
        }
    }

    #[test]
    fn chunks_rebuild_the_text() {
        let text = "A trip to Paris: day 1 walk the old town, day 2 visit the museums.";
        let parts = chunks(text);
        assert!(parts.len() > 2);
        assert_eq!(parts.concat(), text);
        assert_eq!(chunks("short"), vec!["short"]);
    }

    #[test]
    fn inline_history_needs_the_question() {
        let answered = [
            turn("user", "plan a trip"),
            turn("assistant", QUESTION),
            turn("user", "Rome"),
        ];
        assert_eq!(inline_history(&answered), Some("plan a trip".into()));
        assert_eq!(inline_history(&[turn("user", "plan a trip")]), None);
        let unrelated = [
            turn("user", "hi"),
            turn("assistant", "hello"),
            turn("user", "Rome"),
        ];
        assert_eq!(inline_history(&unrelated), None);
    }
}
