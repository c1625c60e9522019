//! Conversations: create, retrieve, list (page number + `has_more`), rename, delete, clear.
//!
//! A conversation starts with one section whose id equals the conversation id (as seen in
//! Coze's fixtures); `clear` starts a new section and the bots only see the current one.
//! Listing shows the caller's own conversations of one bot (`bot_id`) and one channel
//! (`connector_id`, default `1024`), newest first unless `sort_order=ASC`.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::messages::EnterMessage;
use super::{JsonBody, Params, opt_id, page_start, str_id};
use crate::auth::Authed;
use crate::envelope::{ApiError, ok, ok_empty};
use crate::state::{AppState, ConversationRecord, MessageRecord};

/// Default channel: the API connector.
pub const API_CONNECTOR: &str = "1024";

/// The conversation routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/conversation/create", post(create))
        .route("/v1/conversation/retrieve", get(retrieve).post(retrieve))
        .route("/v1/conversations", get(list))
        .route(
            "/v1/conversations/{conversation_id}",
            put(rename).delete(delete),
        )
        .route("/v1/conversations/{conversation_id}/clear", post(clear))
}

/// A conversation as on the wire (every field cozepy requires is present).
pub fn conversation_json(c: &ConversationRecord) -> Value {
    json!({
        "id": c.id,
        "name": c.name,
        "created_at": c.created_at,
        "updated_at": c.updated_at,
        "meta_data": c.meta_data,
        "creator_id": c.creator_id,
        "connector_id": c.connector_id,
        "last_section_id": c.last_section_id,
    })
}

/// A new conversation (and its first section) of the caller `owner`, under the owner's
/// session name if the token has one; the caller inserts it into the store.
pub fn new_conversation(
    state: &AppState,
    bot_id: &str,
    owner: &Authed,
    connector_id: &str,
) -> ConversationRecord {
    let id = state.new_id();
    let now = state.now();
    ConversationRecord {
        last_section_id: id.clone(),
        id,
        name: String::new(),
        bot_id: bot_id.to_string(),
        creator_id: owner.user_id().to_string(),
        connector_id: connector_id.to_string(),
        created_at: now,
        updated_at: now,
        meta_data: Map::new(),
        session_name: owner.session_name().map(str::to_string),
    }
}

/// The stored conversation `id` if the caller may see it (see [`Authed::sees`]), or 4200.
///
/// # Errors
/// [`ApiError::not_found`] when there is no such conversation, or it belongs to another
/// session.
pub fn find(state: &AppState, auth: &Authed, id: &str) -> Result<ConversationRecord, ApiError> {
    state
        .store()
        .conversations
        .get(id)
        .filter(|c| auth.sees(c))
        .cloned()
        .ok_or_else(|| ApiError::not_found("conversation_id", id))
}

/// The stored conversation `id` for changing, if the caller may see it; 4200 otherwise.
fn find_mut<'a>(
    store: &'a mut crate::state::Store,
    auth: &Authed,
    id: &str,
) -> Result<&'a mut ConversationRecord, ApiError> {
    store
        .conversations
        .get_mut(id)
        .filter(|c| auth.sees(c))
        .ok_or_else(|| ApiError::not_found("conversation_id", id))
}

/// Checks a `meta_data` map the way Coze limits it (≤16 pairs, key 1–64 chars, string value
/// of 1–512 chars).
///
/// # Errors
/// 4000 naming the offending key.
pub fn check_meta_data(meta: &Map<String, Value>) -> Result<(), ApiError> {
    if meta.len() > 16 {
        return Err(ApiError::bad_request("meta_data has more than 16 pairs"));
    }
    for (key, value) in meta {
        let klen = key.chars().count();
        if !(1..=64).contains(&klen) {
            return Err(ApiError::bad_request(format!(
                "meta_data key {key:?} must be 1-64 characters"
            )));
        }
        match value.as_str() {
            Some(v) if v.chars().count() <= 512 => {}
            Some(_) => {
                return Err(ApiError::bad_request(format!(
                    "meta_data value of {key:?} is longer than 512 characters"
                )));
            }
            None => {
                return Err(ApiError::bad_request(format!(
                    "meta_data value of {key:?} must be a string"
                )));
            }
        }
    }
    Ok(())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CreateBody {
    #[serde(deserialize_with = "str_id")]
    bot_id: Option<String>,
    name: Option<String>,
    messages: Option<Vec<EnterMessage>>,
    meta_data: Option<Map<String, Value>>,
    #[serde(deserialize_with = "opt_id")]
    connector_id: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    auth: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: CreateBody = body.parse()?;
    let bot_id = body.bot_id.unwrap_or_default();
    if !bot_id.is_empty() {
        let store = state.store();
        // The same rule as for chats: a team bot only for apps its owner installed.
        super::bots::chat_bot(&store, &auth, &bot_id)?;
    }
    let name = body.name.unwrap_or_default();
    if name.chars().count() > 100 {
        return Err(ApiError::bad_request("name must be at most 100 characters"));
    }
    let meta_data = body.meta_data.unwrap_or_default();
    check_meta_data(&meta_data)?;
    let messages = body.messages.unwrap_or_default();
    let connector = body
        .connector_id
        .unwrap_or_else(|| API_CONNECTOR.to_string());
    let mut conversation = new_conversation(&state, &bot_id, &auth, &connector);
    conversation.name = name;
    conversation.meta_data = meta_data;
    let mut records: Vec<MessageRecord> = Vec::with_capacity(messages.len());
    for message in messages {
        records.push(message.into_record(&state, &conversation, "", "", auth.user_id())?);
    }
    let mut store = state.store();
    for record in records {
        store.insert_message(record);
    }
    store
        .conversations
        .insert(conversation.id.clone(), conversation.clone());
    Ok(ok(conversation_json(&conversation)))
}

async fn retrieve(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let id = params.require("conversation_id")?;
    Ok(ok(conversation_json(&find(&state, &auth, id)?)))
}

async fn list(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let page_num = params.int("page_num", 1)?;
    let page_size = params.int("page_size", 50)?;
    if !(1..=50).contains(&page_size) {
        return Err(ApiError::bad_request("page_size must be between 1 and 50"));
    }
    let ascending = match params
        .get("sort_order")
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("DESC") => false,
        Some("ASC") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "sort_order must be ASC or DESC, got {other:?}"
            )));
        }
    };
    let connector = params.get("connector_id").unwrap_or(API_CONNECTOR);
    let bot_id = params.get("bot_id");
    if let Some(bot_id) = bot_id {
        auth.check_bot_scope(bot_id)?;
    }
    let mut mine: Vec<ConversationRecord> = state
        .store()
        .conversations
        .values()
        .filter(|c| c.creator_id == auth.user_id() && c.connector_id == connector)
        .filter(|c| auth.sees(c))
        .filter(|c| bot_id.is_none_or(|b| c.bot_id == b))
        .cloned()
        .collect();
    mine.sort_by_key(|c| c.id.parse::<u64>().unwrap_or(0));
    if !ascending {
        mine.reverse();
    }
    let start = page_start(page_num, page_size);
    let page: Vec<Value> = mine
        .iter()
        .skip(start)
        .take(page_size as usize)
        .map(conversation_json)
        .collect();
    let has_more = mine.len() > start.saturating_add(page.len());
    Ok(ok(json!({"has_more": has_more, "conversations": page})))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RenameBody {
    name: Option<String>,
}

async fn rename(
    State(state): State<AppState>,
    auth: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: RenameBody = body.parse()?;
    let name = body
        .name
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    if name.chars().count() > 100 {
        return Err(ApiError::bad_request("name must be at most 100 characters"));
    }
    let now = state.now();
    let mut store = state.store();
    let conversation = find_mut(&mut store, &auth, &id)?;
    conversation.name = name;
    conversation.updated_at = now;
    Ok(ok(conversation_json(conversation)))
}

async fn delete(
    State(state): State<AppState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut store = state.store();
    find_mut(&mut store, &auth, &id)?;
    store.conversations.remove(&id);
    store.messages.retain(|_, m| m.conversation_id != id);
    store.chats.retain(|_, c| c.conversation_id != id);
    Ok(ok_empty())
}

async fn clear(
    State(state): State<AppState>,
    auth: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let section = state.new_id();
    let now = state.now();
    let mut store = state.store();
    let conversation = find_mut(&mut store, &auth, &id)?;
    conversation.last_section_id = section.clone();
    conversation.updated_at = now;
    Ok(ok(json!({"id": section, "conversation_id": id})))
}
