//! Calls the official SDKs (cozepy, @coze/api, coze-go) make that the OpenAPI document does
//! not list: `POST /v1/templates/{id}/duplicate`, `PUT /v1/connectors/{id}/bots/{bot_id}`
//! (a connector's review result for a bot), `GET /v1/audio/live/{live_id}` and
//! `GET /v1/stores/plugins` (the plugin store, coze-go's `stores.plugins.list`). (API app list
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
//! - Plugin store: a fixed catalogue of three paid plugins (two official), filtered by
//!   `keyword` (name or description, any case), `is_official` and `category_ids` (comma
//!   separated or repeated), sorted by `sort_type` `heat` (default), `newest` or `relative`
//!   (keyword matches in the name first); `page_size` 1 to 100, else 4000.

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{JsonBody, Params, opt_id, page_start};
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
        .route("/v1/stores/plugins", get(store_plugins))
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

/// A plugin of the store's fixed catalogue.
struct Listed {
    product: &'static str,
    id: &'static str,
    name: &'static str,
    description: &'static str,
    category: (&'static str, &'static str),
    official: bool,
    listed_at: i64,
    heat: i64,
}

/// The plugin store.
const STORE: [Listed; 3] = [
    Listed {
        product: "7460000000000000101",
        id: "7460000000000000001",
        name: "Weather",
        description: "Current weather and forecasts for any city",
        category: ("7460000000000000901", "Utilities"),
        official: true,
        listed_at: 1_735_689_600,
        heat: 1500,
    },
    Listed {
        product: "7460000000000000102",
        id: "7460000000000000002",
        name: "Speech recognition",
        description: "Turns recorded speech into text",
        category: ("7460000000000000902", "Audio"),
        official: true,
        listed_at: 1_748_736_000,
        heat: 900,
    },
    Listed {
        product: "7460000000000000103",
        id: "7460000000000000003",
        name: "Glif",
        description: "Runs glif.app AI apps (third-party)",
        category: ("7460000000000000901", "Utilities"),
        official: false,
        listed_at: 1_751_328_000,
        heat: 300,
    },
];

async fn store_plugins(
    _authed: Authed,
    params: Params,
    RawQuery(raw): RawQuery,
) -> Result<Response, ApiError> {
    let num = params.int("page_num", 1)?;
    let size = params.int("page_size", 20)?;
    if !(1..=100).contains(&size) {
        return Err(ApiError::bad_request(format!(
            "page_size must be between 1 and 100, got {size}"
        )));
    }
    let official = match params.get("is_official") {
        None => None,
        Some("true") => Some(true),
        Some("false") => Some(false),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "is_official must be true or false, got {other:?}"
            )));
        }
    };
    let sort = params.get("sort_type").unwrap_or("heat");
    if !["heat", "newest", "relative"].contains(&sort) {
        return Err(ApiError::bad_request(format!(
            "sort_type must be heat, newest or relative, got {sort:?}"
        )));
    }
    let categories: Vec<String> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "category_ids" || k == "category_ids[]")
        .flat_map(|(_, v)| {
            v.split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
        })
        .collect();
    let keyword = params.get("keyword").map(str::to_lowercase);
    let mut hits: Vec<_> = STORE
        .iter()
        .filter(|p| official.is_none_or(|o| p.official == o))
        .filter(|p| categories.is_empty() || categories.iter().any(|c| c == p.category.0))
        .filter(|p| {
            keyword.as_deref().is_none_or(|k| {
                p.name.to_lowercase().contains(k) || p.description.to_lowercase().contains(k)
            })
        })
        .collect();
    match sort {
        "newest" => hits.sort_by_key(|p| std::cmp::Reverse(p.listed_at)),
        "relative" => hits.sort_by_key(|p| {
            let in_name = keyword
                .as_deref()
                .is_some_and(|k| p.name.to_lowercase().contains(k));
            (!in_name, std::cmp::Reverse(p.heat))
        }),
        _ => hits.sort_by_key(|p| std::cmp::Reverse(p.heat)),
    }
    let start = page_start(num, size);
    let page_len = usize::try_from(size).unwrap_or(20);
    let has_more = hits.len() > start.saturating_add(page_len);
    let items: Vec<Value> = hits
        .into_iter()
        .skip(start)
        .take(page_len)
        .map(|p| {
            json!({
                "metainfo": {
                    "product_id": p.product,
                    "entity_id": p.id,
                    "entity_type": "plugin",
                    "entity_version": "0",
                    "name": p.name,
                    "description": p.description,
                    "category": {"id": p.category.0, "name": p.category.1},
                    "icon_url": "",
                    "listed_at": p.listed_at,
                    "paid_type": "paid",
                    "is_official": p.official,
                },
                "plugin_info": {
                    "heat": p.heat,
                    "description": p.description,
                    "call_count": p.heat * 3,
                    "success_rate": 0.98,
                    "bots_use_count": p.heat / 100,
                    "favorite_count": p.heat / 10,
                    "is_call_available": true,
                    "total_tools_count": 1,
                    "avg_exec_duration_ms": 120.0,
                    "associated_bots_use_count": p.heat / 50,
                },
            })
        })
        .collect();
    Ok(envelope::ok(json!({"items": items, "has_more": has_more})))
}
