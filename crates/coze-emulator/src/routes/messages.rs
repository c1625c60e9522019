//! Conversation messages: create, list (cursor pages), retrieve, modify, delete, feedback.
//!
//! The list shows questions and answers only (chat intermediates are in
//! `/v3/chat/message/list`) and uses Coze's non-standard top-level shape
//! `{code,msg,data:[…],first_id,last_id,has_more,detail}`.
//!
//! Cursor semantics (Coze's docs are fuzzy here; this is what the official SDKs need): the
//! list is put in the requested `order` (default `desc`, newest first); `after_id=X` returns
//! the `limit` messages that come after X in that order, `before_id=X` the `limit` messages
//! right before X. So cozepy's paging with `after_id=<last_id of the previous page>` walks the
//! whole list in either order. `"0"`, `""` and `null` mean "no cursor".

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::conversations::{check_meta_data, find as find_conversation};
use super::{JsonBody, Params, opt_id};
use crate::auth::Authed;
use crate::envelope::{ApiError, ok, ok_empty, ok_top_level};
use crate::state::{AppState, ConversationRecord, MessageRecord};

/// The message routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/conversation/message/create", post(create))
        .route("/v1/conversation/message/list", post(list))
        .route(
            "/v1/conversation/message/retrieve",
            get(retrieve).post(retrieve),
        )
        .route("/v1/conversation/message/modify", post(modify))
        .route("/v1/conversation/message/delete", post(delete))
        .route(
            "/v1/conversations/{conversation_id}/messages/{message_id}/feedback",
            post(feedback).delete(delete_feedback),
        )
}

/// A message as on the wire.
pub fn message_json(m: &MessageRecord) -> Value {
    let mut message = json!({
        "id": m.id,
        "conversation_id": m.conversation_id,
        "section_id": m.section_id,
        "bot_id": m.bot_id,
        "chat_id": m.chat_id,
        "role": m.role,
        "type": m.kind,
        "content": m.content,
        "content_type": m.content_type,
        "meta_data": m.meta_data,
        "created_at": m.created_at,
        "updated_at": m.updated_at,
    });
    if !m.reasoning_content.is_empty() {
        message["reasoning_content"] = json!(m.reasoning_content);
    }
    message
}

/// Shown by the conversation message list (the rest are chat intermediates).
pub fn is_conversation_visible(m: &MessageRecord) -> bool {
    m.kind == "question" || m.kind == "answer"
}

/// The rules of `object_string` content (Coze's docs): a JSON array of items of type text,
/// file, image or audio; at most one text item, and a text item only next to a file or image;
/// a file item names a `file_id` or a `file_url`, and a `file_id` must be one the caller
/// uploaded.
fn check_object_string(state: &AppState, caller: &str, content: &str) -> Result<(), ApiError> {
    let bad = |msg: String| Err(ApiError::bad_request(msg));
    let Ok(items) = serde_json::from_str::<Vec<Map<String, Value>>>(content) else {
        return bad(
            "object_string content must be a JSON array of {type, text|file_id|file_url} objects"
                .into(),
        );
    };
    if items.is_empty() {
        return bad("object_string content must not be an empty array".into());
    }
    let text_of = |item: &Map<String, Value>, key: &str| {
        item.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let mut texts = 0;
    let mut files = 0;
    for item in &items {
        match item.get("type").and_then(Value::as_str) {
            Some("text") => {
                texts += 1;
                if text_of(item, "text").is_none() {
                    return bad("an object_string text item needs a non-empty text".into());
                }
            }
            Some(kind @ ("file" | "image" | "audio")) => {
                files += 1;
                match (text_of(item, "file_id"), text_of(item, "file_url")) {
                    (None, None) => {
                        return bad(format!(
                            "an object_string {kind} item needs file_id or file_url"
                        ));
                    }
                    (Some(id), _) => {
                        let mine = state
                            .store()
                            .files
                            .get(&id)
                            .is_some_and(|f| f.uploader_id == caller);
                        if !mine {
                            return bad(format!(
                                "file_id {id} is not a file this account uploaded; upload it with /v1/files/upload first"
                            ));
                        }
                    }
                    (None, Some(_)) => {}
                }
            }
            other => {
                return bad(format!(
                    "object_string item type must be text, file, image or audio, got {}",
                    other.map_or_else(|| "nothing".to_string(), |t| format!("{t:?}"))
                ));
            }
        }
    }
    if texts > 1 {
        return bad("object_string content may hold at most one text item".into());
    }
    if texts == 1 && files == 0 {
        return bad("text alone is sent with content_type text, not object_string".into());
    }
    Ok(())
}

/// A message as sent in requests (conversation create, chat `additional_messages`, message
/// create). Every field may be `null`; `""` for `type` means the default for the role.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EnterMessage {
    pub role: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Usually a string; an array or object is taken as `object_string` content.
    pub content: Option<Value>,
    pub content_type: Option<String>,
    pub meta_data: Option<Map<String, Value>>,
}

impl EnterMessage {
    /// Validates the message and makes a record in the current section of `conversation`.
    ///
    /// # Errors
    /// 4000 naming what is wrong (role, type, content, content_type, meta_data).
    pub fn into_record(
        self,
        state: &AppState,
        conversation: &ConversationRecord,
        chat_id: &str,
        bot_id: &str,
        caller: &str,
    ) -> Result<MessageRecord, ApiError> {
        let role = self
            .role
            .filter(|r| !r.is_empty())
            .ok_or_else(|| ApiError::bad_request("message role is required (user or assistant)"))?;
        if role != "user" && role != "assistant" {
            return Err(ApiError::bad_request(format!(
                "message role must be user or assistant, got {role:?}"
            )));
        }
        let kind = match self.kind.filter(|k| !k.is_empty()) {
            Some(kind) => kind,
            None if role == "user" => "question".to_string(),
            None => "answer".to_string(),
        };
        match kind.as_str() {
            "question" | "answer" | "function_call" | "tool_output" | "tool_response" => {}
            "follow_up" | "verbose" => {
                return Err(ApiError::bad_request(format!(
                    "message type {kind} only appears in responses; send question or answer"
                )));
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "message type must be question, answer, function_call, tool_output or tool_response, got {other:?}"
                )));
            }
        }
        if kind == "question" && role != "user" {
            return Err(ApiError::bad_request(
                "a message of type question must have role user",
            ));
        }
        let (content, structured) = match self.content {
            Some(Value::String(s)) => (s, false),
            // @coze/api types object_string content as an item array: accept it as sent.
            Some(v @ Value::Array(_)) => (v.to_string(), true),
            Some(Value::Null) | None => (String::new(), false),
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "message content must be a string (for object_string, the JSON array as a string), got {other}"
                )));
            }
        };
        let content_type = match self.content_type.filter(|t| !t.is_empty()) {
            Some(t) => t,
            None if content.is_empty() => "text".to_string(),
            None => {
                return Err(ApiError::bad_request(
                    "content_type is required when content is given: text or object_string",
                ));
            }
        };
        match content_type.as_str() {
            "text" if !structured => {}
            "text" => {
                return Err(ApiError::bad_request(
                    "an item array as content needs content_type object_string",
                ));
            }
            "object_string" => check_object_string(state, caller, &content)?,
            "card" | "audio" => {
                return Err(ApiError::bad_request(format!(
                    "content_type {content_type} only appears in responses; send text or object_string"
                )));
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "content_type must be text or object_string, got {other:?}"
                )));
            }
        }
        if content.trim().is_empty() {
            return Err(ApiError::bad_request("message content must not be empty"));
        }
        let meta_data = self.meta_data.unwrap_or_default();
        check_meta_data(&meta_data)?;
        let now = state.now();
        Ok(MessageRecord {
            id: state.new_id(),
            conversation_id: conversation.id.clone(),
            section_id: conversation.last_section_id.clone(),
            bot_id: bot_id.to_string(),
            chat_id: chat_id.to_string(),
            role,
            kind,
            content,
            content_type,
            reasoning_content: String::new(),
            meta_data,
            created_at: now,
            updated_at: now,
        })
    }
}

async fn create(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let conversation = find_conversation(&state, &auth, params.require("conversation_id")?)?;
    let message: EnterMessage = body.parse()?;
    let record = message.into_record(&state, &conversation, "", "", auth.user_id())?;
    let json = message_json(&record);
    state.store().insert_message(record);
    Ok(ok(json))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListBody {
    order: Option<String>,
    #[serde(deserialize_with = "opt_id")]
    chat_id: Option<String>,
    #[serde(deserialize_with = "opt_id")]
    before_id: Option<String>,
    #[serde(deserialize_with = "opt_id")]
    after_id: Option<String>,
    limit: Option<i64>,
    include_middle_message: Option<bool>,
}

/// A cursor id as a number; `None` for "no cursor" (`"0"`) and 4000 for garbage.
fn cursor(id: Option<String>, name: &str) -> Result<Option<u64>, ApiError> {
    match id {
        None => Ok(None),
        Some(id) => match id.trim().parse::<u64>() {
            Ok(0) => Ok(None),
            Ok(n) => Ok(Some(n)),
            Err(_) => Err(ApiError::bad_request(format!(
                "{name} must be a message id, got {id:?}"
            ))),
        },
    }
}

async fn list(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let conversation_id = params.require("conversation_id")?.to_string();
    find_conversation(&state, &auth, &conversation_id)?;
    let body: ListBody = body.parse()?;
    let descending = match body
        .order
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("") | Some("desc") => true,
        Some("asc") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "order must be desc or asc, got {other:?}"
            )));
        }
    };
    let limit = body.limit.unwrap_or(50);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 50"));
    }
    let limit = limit as usize;
    let before = cursor(body.before_id, "before_id")?;
    let after = cursor(body.after_id, "after_id")?;
    if before.is_some() && after.is_some() {
        return Err(ApiError::bad_request(
            "give before_id or after_id, not both",
        ));
    }
    let middle = body.include_middle_message.unwrap_or(false);
    // Oldest first; BTreeMap keys are the numeric ids.
    let all: Vec<(u64, MessageRecord)> = state
        .store()
        .messages
        .iter()
        .filter(|(_, m)| m.conversation_id == conversation_id)
        .filter(|(_, m)| middle || is_conversation_visible(m))
        .filter(|(_, m)| body.chat_id.as_ref().is_none_or(|c| &m.chat_id == c))
        .map(|(k, m)| (*k, m.clone()))
        .collect();
    let mut ordered = all;
    if descending {
        ordered.reverse();
    }
    // Position of a cursor in `ordered`: ids come after it if they are older (desc) or newer (asc).
    let comes_after = |id: u64, cursor: u64| if descending { id < cursor } else { id > cursor };
    let (page, has_more): (Vec<&MessageRecord>, bool) = match before {
        Some(b) => {
            let preceding: Vec<&MessageRecord> = ordered
                .iter()
                .filter(|(id, _)| comes_after(b, *id))
                .map(|(_, m)| m)
                .collect();
            let skip = preceding.len().saturating_sub(limit);
            (preceding[skip..].to_vec(), skip > 0)
        }
        None => {
            let following: Vec<&MessageRecord> = ordered
                .iter()
                .filter(|(id, _)| after.is_none_or(|a| comes_after(*id, a)))
                .map(|(_, m)| m)
                .collect();
            let has_more = following.len() > limit;
            (following.into_iter().take(limit).collect(), has_more)
        }
    };
    let first_id = page.first().map(|m| m.id.clone()).unwrap_or_default();
    let last_id = page.last().map(|m| m.id.clone()).unwrap_or_default();
    let mut fields = Map::new();
    fields.insert(
        "data".into(),
        Value::Array(page.into_iter().map(message_json).collect()),
    );
    fields.insert("first_id".into(), json!(first_id));
    fields.insert("last_id".into(), json!(last_id));
    fields.insert("has_more".into(), json!(has_more));
    Ok(ok_top_level(fields))
}

/// The message `message_id` of `conversation_id`, or 4200.
fn find_message(
    state: &AppState,
    auth: &Authed,
    params: &Params,
) -> Result<MessageRecord, ApiError> {
    let conversation_id = params.require("conversation_id")?;
    let message_id = params.require("message_id")?;
    find_conversation(state, auth, conversation_id)?;
    state
        .store()
        .message(message_id)
        .filter(|m| m.conversation_id == conversation_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("message_id", message_id))
}

async fn retrieve(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    Ok(ok(message_json(&find_message(&state, &auth, &params)?)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ModifyBody {
    content: Option<String>,
    content_type: Option<String>,
    meta_data: Option<Map<String, Value>>,
}

async fn modify(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let found = find_message(&state, &auth, &params)?;
    let body: ModifyBody = body.parse()?;
    // Re-validate the result as a whole, as if the message were created like this.
    let candidate = EnterMessage {
        role: Some(found.role.clone()),
        kind: Some(found.kind.clone()),
        content: Some(Value::String(body.content.unwrap_or(found.content.clone()))),
        content_type: Some(
            body.content_type
                .filter(|t| !t.is_empty())
                .unwrap_or(found.content_type.clone()),
        ),
        meta_data: Some(body.meta_data.unwrap_or(found.meta_data.clone())),
    };
    let conversation = find_conversation(&state, &auth, &found.conversation_id)?;
    let checked = candidate.into_record(&state, &conversation, "", "", auth.user_id())?;
    let now = state.now();
    let mut store = state.store();
    let message = store
        .message_mut(&found.id)
        .ok_or_else(|| ApiError::not_found("message_id", &found.id))?;
    message.content = checked.content;
    message.content_type = checked.content_type;
    message.meta_data = checked.meta_data;
    message.updated_at = now;
    let mut fields = Map::new();
    fields.insert("message".into(), message_json(message));
    Ok(ok_top_level(fields))
}

async fn delete(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let found = find_message(&state, &auth, &params)?;
    if !is_conversation_visible(&found) {
        return Err(ApiError::bad_request(
            "only question and answer messages can be deleted",
        ));
    }
    let mut store = state.store();
    store.remove_message(&found.id);
    if found.kind == "answer" && !found.chat_id.is_empty() {
        // The answer's intermediates (verbose, follow-ups, tool calls) go with it.
        store
            .messages
            .retain(|_, m| m.chat_id != found.chat_id || is_conversation_visible(m));
    }
    Ok(ok(message_json(&found)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct FeedbackBody {
    feedback_type: Option<String>,
    reason_types: Option<Vec<String>>,
    comment: Option<String>,
}

async fn feedback(
    State(state): State<AppState>,
    auth: Authed,
    Path((conversation_id, message_id)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: FeedbackBody = body.parse()?;
    match body.feedback_type.as_deref() {
        Some("like" | "unlike") => {}
        _ => {
            return Err(ApiError::bad_request(
                "feedback_type must be like or unlike",
            ));
        }
    }
    if body
        .comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > 250)
    {
        return Err(ApiError::bad_request(
            "comment must be at most 250 characters",
        ));
    }
    let _ = body.reason_types;
    message_in(&state, &auth, &conversation_id, &message_id)?;
    Ok(ok_empty())
}

async fn delete_feedback(
    State(state): State<AppState>,
    auth: Authed,
    Path((conversation_id, message_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    message_in(&state, &auth, &conversation_id, &message_id)?;
    Ok(ok_empty())
}

fn message_in(
    state: &AppState,
    auth: &Authed,
    conversation_id: &str,
    message_id: &str,
) -> Result<(), ApiError> {
    find_conversation(state, auth, conversation_id)?;
    let store = state.store();
    match store.message(message_id) {
        Some(m) if m.conversation_id == conversation_id => Ok(()),
        _ => Err(ApiError::not_found("message_id", message_id)),
    }
}
