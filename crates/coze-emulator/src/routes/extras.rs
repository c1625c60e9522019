//! Calls the official SDKs (cozepy, @coze/api, coze-go) make that the OpenAPI document does
//! not list: `POST /v1/templates/{id}/duplicate`, `PUT /v1/connectors/{id}/bots/{bot_id}`
//! (a connector's review result for a bot) and `GET /v1/audio/live/{live_id}`. (API app list
//! and delete, their events' list and delete are in `routes::apps`; enterprise member delete
//! in `routes::members`.)
//!
//! - Templates: the emulator has a small built-in catalogue (ids in `Emulator::info()` under
//!   `"templates"`). Duplicating one makes a new bot (`entity_type` `agent`), an unpublished
//!   draft owned by the caller in the given workspace, answering like the template's bot; it
//!   is read back like any bot. Unknown template: 4200; a workspace the caller is not a member
//!   of: 4200; no `workspace_id`: 4000.
//! - Connector review: the bot must exist (4200); `audit_status` 1 (pending), 2 (approved) or
//!   3 (rejected, which needs a `reason`), else 4000. The last result is kept on the bot
//!   (`extra["connector_audit"]`).
//! - Live: every audio room is a live whose one stream is the room's original audio; other
//!   ids get 4200.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{JsonBody, opt_id};
use crate::auth::Authed;
use crate::bots::{self, Behavior};
use crate::envelope::{self, ApiError};
use crate::state::{AppState, BotRecord, Store};

/// A template of the built-in catalogue.
#[derive(Clone)]
pub struct TemplateRecord {
    pub id: String,
    pub name: String,
    pub description: String,
    pub behavior: Arc<dyn Behavior>,
}

impl std::fmt::Debug for TemplateRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateRecord")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// The state of this module (`Store::extras`).
#[derive(Debug, Default)]
pub struct ExtrasStore {
    pub templates: Vec<TemplateRecord>,
    /// Voiceprint groups (`routes::voiceprints`).
    pub voiceprints: super::voiceprints::VoiceprintStore,
}

/// Seeds the template catalogue and registers its ids under `"templates"` in the info.
pub fn seed(state: &AppState, store: &mut Store) {
    let catalogue: [(&str, &str, &str, Arc<dyn Behavior>); 2] = [
        (
            "assistant",
            "Assistant",
            "a template bot that repeats what you say",
            Arc::new(bots::echo::Echo),
        ),
        (
            "weather",
            "Weather",
            "a template bot that asks for the get_weather tool",
            Arc::new(bots::tool::Tool),
        ),
    ];
    let mut ids = Map::new();
    for (key, name, description, behavior) in catalogue {
        let id = state.new_id();
        ids.insert(key.into(), json!(id));
        store.extras.templates.push(TemplateRecord {
            id,
            name: name.into(),
            description: description.into(),
            behavior,
        });
    }
    store
        .info_extras
        .insert("templates".into(), Value::Object(ids));
}

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/templates/{template_id}/duplicate", post(duplicate))
        .route(
            "/v1/connectors/{connector_id}/bots/{bot_id}",
            put(review_bot),
        )
        .route("/v1/audio/live/{live_id}", get(live))
        .merge(super::voiceprints::routes())
}

#[derive(Deserialize)]
struct DuplicateBody {
    #[serde(default, deserialize_with = "opt_id")]
    workspace_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

async fn duplicate(
    State(state): State<AppState>,
    authed: Authed,
    Path(template_id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: DuplicateBody = body.parse()?;
    let workspace = body.workspace_id.ok_or_else(|| {
        ApiError::bad_request("workspace_id is required: the workspace to put the copy in")
    })?;
    let name = body.name.filter(|n| !n.trim().is_empty());
    if let Some(n) = &name
        && n.chars().count() > 20
    {
        return Err(ApiError::bad_request(format!(
            "name must be at most 20 characters, got {}",
            n.chars().count()
        )));
    }
    let id = state.new_id();
    let now = state.now();
    let mut store = state.store();
    let template = store
        .extras
        .templates
        .iter()
        .find(|t| t.id == template_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("template_id", &template_id))?;
    let member = store
        .workspaces
        .get(&workspace)
        .is_some_and(|ws| ws.members.iter().any(|m| m == authed.user_id()));
    if !member {
        return Err(ApiError::not_found("workspace_id", &workspace));
    }
    store.bots.insert(
        id.clone(),
        BotRecord {
            id: id.clone(),
            name: name.unwrap_or(template.name),
            description: template.description,
            workspace_id: workspace,
            owner_id: authed.user_id().to_string(),
            published: false,
            created_at: now,
            updated_at: now,
            behavior: template.behavior,
            extra: Map::from_iter([("template_id".to_string(), json!(template.id))]),
        },
    );
    Ok(envelope::ok(
        json!({"entity_id": id, "entity_type": "agent"}),
    ))
}

#[derive(Deserialize)]
struct ReviewBody {
    #[serde(default)]
    audit_status: Option<Value>,
    #[serde(default)]
    reason: Option<String>,
}

async fn review_bot(
    State(state): State<AppState>,
    _authed: Authed,
    Path((connector, bot_id)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: ReviewBody = body.parse()?;
    let status = match &body.audit_status {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_i64() {
            Some(n @ 1..=3) => Some(n),
            _ => {
                return Err(ApiError::bad_request(format!(
                    "audit_status must be 1 (pending), 2 (approved) or 3 (rejected), got {v}"
                )));
            }
        },
    };
    let reason = body.reason.filter(|r| !r.trim().is_empty());
    if status == Some(3) && reason.is_none() {
        return Err(ApiError::bad_request(
            "reason is required when audit_status is 3 (rejected)",
        ));
    }
    let mut store = state.store();
    let bot = store
        .bots
        .get_mut(&bot_id)
        .ok_or_else(|| ApiError::not_found("bot_id", &bot_id))?;
    bot.extra.insert(
        "connector_audit".into(),
        json!({"connector_id": connector, "audit_status": status, "reason": reason}),
    );
    Ok(envelope::ok(json!({})))
}

async fn live(
    State(state): State<AppState>,
    _authed: Authed,
    Path(live_id): Path<String>,
) -> Result<Response, ApiError> {
    if !state.store().audio.rooms.contains(&live_id) {
        return Err(ApiError::not_found("live_id", &live_id));
    }
    Ok(envelope::ok(json!({
        "app_id": "emulator-rtc-app",
        "stream_infos": [
            {"stream_id": format!("{live_id}-origin"), "name": "original", "live_type": "origin"},
        ],
    })))
}
