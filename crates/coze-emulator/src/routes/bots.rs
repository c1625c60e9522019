//! Bots: create (an unpublished draft that answers like echo), update, publish (connector
//! 1024 = API), unpublish, the legacy `published_bots_list` and the newer `/v1/bots` list,
//! `get_online_info` and `/v1/bots/{id}`.
//!
//! A bot refuses chat with 4015 until it is published to connector 1024 (`BotRecord::published`,
//! checked by the chat route). Settings sent on create/update (`prompt_info`,
//! `onboarding_info`, `model_info_config`, `suggest_reply_info`, `knowledge`, …) are kept in
//! `BotRecord::extra` and shown by retrieve; the emulated bots ignore them when answering.
//!
//! `publish_status` of `/v1/bots`: `published_online` (default) = published now,
//! `unpublished_draft` = not published now, `published_draft` = published but edited since,
//! `all`.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{JsonBody, Params, opt_id, page_start};
use crate::auth::Authed;
use crate::bots::echo::Echo;
use crate::envelope::{self, ApiError};
use crate::state::{AppState, BotRecord, Store};

/// The API connector: publishing to it makes a bot chat-able over the API.
pub const API_CONNECTOR: &str = "1024";

/// Settings a create/update request may carry, stored as sent.
const SETTINGS: [&str; 7] = [
    "prompt_info",
    "onboarding_info",
    "model_info_config",
    "suggest_reply_info",
    "knowledge",
    "plugin_id_list",
    "workflow_id_list",
];

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/bot/create", post(create))
        .route("/v1/bot/update", post(update))
        .route("/v1/bot/publish", post(publish))
        .route("/v1/bots/{bot_id}/unpublish", post(unpublish))
        .route("/v1/space/published_bots_list", get(list_v1))
        .route("/v1/bots", get(list_v2))
        .route("/v1/bot/get_online_info", get(online_info))
        .route("/v1/bots/{bot_id}", get(retrieve))
}

/// Checks that the caller may use `workspace_id`: 4200 if unknown, 4101 if not theirs.
fn check_workspace(store: &Store, authed: &Authed, workspace_id: &str) -> Result<(), ApiError> {
    let ws = store
        .workspaces
        .get(workspace_id)
        .ok_or_else(|| ApiError::not_found("space_id", workspace_id))?;
    let member = ws.members.iter().any(|m| m == authed.user_id());
    let scoped_elsewhere = authed
        .0
        .workspace_id
        .as_ref()
        .is_some_and(|only| *only != ws.id);
    if !member || scoped_elsewhere {
        return Err(ApiError::forbidden(format!(
            "the token has no access to workspace {workspace_id}"
        )));
    }
    crate::oauth::check_install(store, &authed.0, workspace_id)
}

/// The bot `bot_id` to chat with or open a conversation on: 4200 if unknown; a team bot
/// only for apps its workspace owner installed.
///
/// # Errors
/// [`ApiError::not_found`] for an unknown bot, or what [`crate::oauth::check_install`] says.
pub(crate) fn chat_bot<'a>(
    store: &'a Store,
    authed: &Authed,
    bot_id: &str,
) -> Result<&'a BotRecord, ApiError> {
    let bot = store
        .bots
        .get(bot_id)
        .ok_or_else(|| ApiError::not_found("bot_id", bot_id))?;
    crate::oauth::check_install(store, &authed.0, &bot.workspace_id)?;
    authed.check_bot_scope(bot_id)?;
    Ok(bot)
}

/// The bot `bot_id` the caller may touch.
fn bot_mut<'a>(
    store: &'a mut Store,
    authed: &Authed,
    bot_id: &str,
) -> Result<&'a mut BotRecord, ApiError> {
    let workspace_id = store
        .bots
        .get(bot_id)
        .map(|b| b.workspace_id.clone())
        .ok_or_else(|| ApiError::not_found("bot_id", bot_id))?;
    check_workspace(store, authed, &workspace_id)?;
    store
        .bots
        .get_mut(bot_id)
        .ok_or_else(|| ApiError::not_found("bot_id", bot_id))
}

fn validate_name(name: &str) -> Result<(), ApiError> {
    let n = name.trim().chars().count();
    if n == 0 || n > 20 {
        return Err(ApiError::bad_request(format!(
            "name must be 1-20 characters, got {n}"
        )));
    }
    Ok(())
}

fn validate_description(description: &str) -> Result<(), ApiError> {
    if description.chars().count() > 500 {
        return Err(ApiError::bad_request(
            "description must be at most 500 characters",
        ));
    }
    Ok(())
}

/// Copies the known settings of `body` into `extra` (a `null` leaves a setting unchanged).
fn merge_settings(extra: &mut Map<String, Value>, body: &Value) -> Result<(), ApiError> {
    for key in SETTINGS {
        match body.get(key) {
            None | Some(Value::Null) => {}
            Some(value @ Value::Object(_)) => {
                extra.insert(key.into(), value.clone());
            }
            Some(_) => return Err(ApiError::bad_request(format!("{key} must be an object"))),
        }
    }
    if let Some(icon) = body
        .get("icon_file_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
    {
        extra.insert("icon_file_id".into(), json!(icon));
    }
    Ok(())
}

#[derive(Debug, Deserialize)]
struct CreateBody {
    #[serde(default, deserialize_with = "opt_id")]
    space_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let raw = body.0.clone();
    let req: CreateBody = body.parse()?;
    let space_id = req
        .space_id
        .ok_or_else(|| ApiError::bad_request("space_id is required"))?;
    let name = req.name.unwrap_or_default();
    validate_name(&name)?;
    let description = req.description.unwrap_or_default();
    validate_description(&description)?;
    let mut extra = Map::new();
    merge_settings(&mut extra, &raw)?;
    let now = state.now();
    let bot_id = state.new_id();
    let mut store = state.store();
    check_workspace(&store, &authed, &space_id)?;
    store.bots.insert(
        bot_id.clone(),
        BotRecord {
            id: bot_id.clone(),
            name: name.trim().to_string(),
            description,
            workspace_id: space_id,
            owner_id: authed.user_id().to_string(),
            published: false,
            created_at: now,
            updated_at: now,
            behavior: Arc::new(Echo),
            extra,
        },
    );
    Ok(envelope::ok(json!({"bot_id": bot_id})))
}

#[derive(Debug, Deserialize)]
struct UpdateBody {
    #[serde(default, deserialize_with = "opt_id")]
    bot_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let raw = body.0.clone();
    let req: UpdateBody = body.parse()?;
    let bot_id = req
        .bot_id
        .ok_or_else(|| ApiError::bad_request("bot_id is required"))?;
    if let Some(name) = &req.name {
        validate_name(name)?;
    }
    if let Some(description) = &req.description {
        validate_description(description)?;
    }
    let now = state.now();
    let mut store = state.store();
    let bot = bot_mut(&mut store, &authed, &bot_id)?;
    let mut extra = bot.extra.clone();
    merge_settings(&mut extra, &raw)?;
    bot.extra = extra;
    if let Some(name) = req.name {
        bot.name = name.trim().to_string();
    }
    if let Some(description) = req.description {
        bot.description = description;
    }
    // Strictly later than the publish time, so `published_draft` sees the edit.
    bot.updated_at = now.max(published_at(bot).map_or(now, |p| p + 1));
    Ok(envelope::ok_empty())
}

#[derive(Debug, Deserialize)]
struct PublishBody {
    #[serde(default, deserialize_with = "opt_id")]
    bot_id: Option<String>,
    #[serde(default)]
    connector_ids: Option<Vec<Value>>,
}

async fn publish(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let req: PublishBody = body.parse()?;
    let bot_id = req
        .bot_id
        .ok_or_else(|| ApiError::bad_request("bot_id is required"))?;
    let connectors: Vec<String> = req
        .connector_ids
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| match c {
            Value::String(s) if !s.is_empty() => Some(s),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
        .collect();
    if connectors.is_empty() {
        return Err(ApiError::bad_request(
            "connector_ids is required, e.g. [\"1024\"] for the API",
        ));
    }
    let version = state.new_id();
    let now = state.now();
    let mut store = state.store();
    let bot = bot_mut(&mut store, &authed, &bot_id)?;
    if connectors.iter().any(|c| c == API_CONNECTOR) {
        bot.published = true;
    }
    bot.extra.insert("version".into(), json!(version));
    bot.extra
        .insert("published_at".into(), json!(now.max(bot.updated_at)));
    let mut known: Vec<Value> = bot
        .extra
        .get("connectors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for c in connectors {
        if !known.iter().any(|k| k.as_str() == Some(&c)) {
            known.push(json!(c));
        }
    }
    bot.extra.insert("connectors".into(), Value::Array(known));
    Ok(envelope::ok(json!({"bot_id": bot_id, "version": version})))
}

#[derive(Debug, Deserialize)]
struct UnpublishBody {
    #[serde(default, deserialize_with = "opt_id")]
    connector_id: Option<String>,
}

async fn unpublish(
    State(state): State<AppState>,
    authed: Authed,
    Path(bot_id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let req: UnpublishBody = body.parse()?;
    let connector = req
        .connector_id
        .ok_or_else(|| ApiError::bad_request("connector_id is required"))?;
    let mut store = state.store();
    let bot = bot_mut(&mut store, &authed, &bot_id)?;
    let mut known: Vec<Value> = bot
        .extra
        .get("connectors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let published_there = known.iter().any(|k| k.as_str() == Some(&connector))
        || (connector == API_CONNECTOR && bot.published);
    if !published_there {
        return Err(ApiError::bad_request(format!(
            "bot {bot_id} is not published to connector {connector}"
        )));
    }
    known.retain(|k| k.as_str() != Some(&connector));
    bot.extra.insert("connectors".into(), Value::Array(known));
    if connector == API_CONNECTOR {
        bot.published = false;
    }
    Ok(envelope::ok_empty())
}

fn published_at(bot: &BotRecord) -> Option<i64> {
    bot.extra.get("published_at").and_then(Value::as_i64)
}

fn icon_url(bot: &BotRecord) -> String {
    format!("https://emulator.local/icons/{}.png", bot.id)
}

/// Bots of a workspace, oldest first.
fn bots_in(
    state: &AppState,
    authed: &Authed,
    workspace_id: &str,
) -> Result<Vec<BotRecord>, ApiError> {
    let store = state.store();
    check_workspace(&store, authed, workspace_id)?;
    let mut bots: Vec<BotRecord> = store
        .bots
        .values()
        .filter(|b| b.workspace_id == workspace_id)
        .cloned()
        .collect();
    bots.sort_by(|a, b| (a.id.len(), &a.id).cmp(&(b.id.len(), &b.id)));
    Ok(bots)
}

fn page<T>(items: Vec<T>, page: i64, size: i64) -> Vec<T> {
    let start = page_start(page, size);
    items.into_iter().skip(start).take(size as usize).collect()
}

async fn list_v1(
    State(state): State<AppState>,
    authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let space_id = params.require("space_id")?;
    let page_index = params.int("page_index", 1)?;
    let page_size = params.int("page_size", 20)?.clamp(1, 100);
    let bots: Vec<BotRecord> = bots_in(&state, &authed, space_id)?
        .into_iter()
        .filter(|b| b.published)
        .collect();
    let total = bots.len();
    let space_bots: Vec<Value> = page(bots, page_index, page_size)
        .iter()
        .map(|b| {
            json!({
                "bot_id": b.id,
                "bot_name": b.name,
                "description": b.description,
                "icon_url": icon_url(b),
                "publish_time": published_at(b).unwrap_or(b.updated_at).to_string(),
            })
        })
        .collect();
    Ok(envelope::ok(
        json!({"space_bots": space_bots, "total": total}),
    ))
}

async fn list_v2(
    State(state): State<AppState>,
    authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let workspace_id = params.require("workspace_id")?;
    // The docs say page_num, cozepy sends page_index: accept both.
    let page_num = match params.get("page_num") {
        Some(_) => params.int("page_num", 1)?,
        None => params.int("page_index", 1)?,
    };
    let page_size = params.int("page_size", 20)?.clamp(1, 100);
    let status = params.get("publish_status").unwrap_or("published_online");
    let keep: fn(&BotRecord) -> bool = match status {
        "all" => |_| true,
        "published_online" => |b| b.published,
        "unpublished_draft" => |b| !b.published,
        "published_draft" => |b| b.published && published_at(b).is_some_and(|p| b.updated_at > p),
        other => {
            return Err(ApiError::bad_request(format!(
                "publish_status {other:?} is not one of all, published_online, published_draft, unpublished_draft"
            )));
        }
    };
    let bots: Vec<BotRecord> = bots_in(&state, &authed, workspace_id)?
        .into_iter()
        .filter(keep)
        .collect();
    let total = bots.len();
    let items: Vec<Value> = page(bots, page_num, page_size)
        .iter()
        .map(|b| {
            let mut item = json!({
                "id": b.id,
                "name": b.name,
                "description": b.description,
                "icon_url": icon_url(b),
                "is_published": b.published,
                "updated_at": b.updated_at,
                "owner_user_id": b.owner_id,
            });
            if let Some(at) = published_at(b) {
                item["published_at"] = json!(at);
            }
            item
        })
        .collect();
    Ok(envelope::ok(json!({"items": items, "total": total})))
}

/// The BotInfo object.
fn bot_info(bot: &BotRecord) -> Value {
    let setting = |key: &str| bot.extra.get(key).cloned();
    let prompt = setting("prompt_info").unwrap_or_else(|| json!({"prompt": ""}));
    let onboarding = setting("onboarding_info")
        .unwrap_or_else(|| json!({"prologue": "", "suggested_questions": []}));
    let mut model =
        setting("model_info_config").unwrap_or_else(|| json!({"model_id": "emulator-echo"}));
    if model.get("model_name").is_none() {
        model["model_name"] = json!("Emulator Echo");
    }
    let version = bot
        .extra
        .get("version")
        .and_then(Value::as_str)
        .unwrap_or("0");
    json!({
        "bot_id": bot.id,
        "name": bot.name,
        "description": bot.description,
        "icon_url": icon_url(bot),
        "create_time": bot.created_at,
        "update_time": bot.updated_at,
        "version": version,
        "prompt_info": prompt,
        "onboarding_info": onboarding,
        "knowledge": setting("knowledge").unwrap_or_else(|| json!({"dataset_ids": [], "auto_call": true, "search_strategy": 0})),
        "bot_mode": 0,
        "plugin_info_list": [],
        "model_info": model,
        "suggest_reply_info": setting("suggest_reply_info").unwrap_or_else(|| json!({"reply_mode": "enable", "customized_prompt": ""})),
        "variables": [],
        "owner_user_id": bot.owner_id,
        "voice_info_list": [],
        "default_user_input_type": "text",
        "workflow_info_list": [],
    })
}

fn published_bot(state: &AppState, authed: &Authed, bot_id: &str) -> Result<Value, ApiError> {
    authed.check_bot_scope(bot_id)?;
    let mut store = state.store();
    let bot = bot_mut(&mut store, authed, bot_id)?;
    if !bot.published {
        return Err(ApiError::new(
            4015,
            format!(
                "bot {bot_id} is not published to the API channel (connector 1024); publish it first"
            ),
        ));
    }
    Ok(bot_info(bot))
}

async fn online_info(
    State(state): State<AppState>,
    authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let bot_id = params.require("bot_id")?;
    Ok(envelope::ok(published_bot(&state, &authed, bot_id)?))
}

async fn retrieve(
    State(state): State<AppState>,
    authed: Authed,
    Path(bot_id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let is_published = match params.get("is_published") {
        None | Some("true") => true,
        Some("false") => false,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "is_published must be true or false, got {other:?}"
            )));
        }
    };
    if is_published {
        return Ok(envelope::ok(published_bot(&state, &authed, &bot_id)?));
    }
    let mut store = state.store();
    let bot = bot_mut(&mut store, &authed, &bot_id)?;
    Ok(envelope::ok(bot_info(bot)))
}
