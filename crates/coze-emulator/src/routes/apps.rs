//! Apps, folders, API apps, connectors, copy tasks and collaboration:
//! `GET /v1/apps`, `GET /v1/folders`, `GET /v1/folders/{id}`, `POST /v1/api_apps`,
//! `GET /v1/api_apps`, `PUT|DELETE /v1/api_apps/{id}`, `GET|POST|DELETE /v1/api_apps/{id}/events`
//! (list and both deletes are calls of the official SDKs outside the OpenAPI document),
//! `POST /v1/connectors/{id}/install`, `POST /v1/connectors/{id}/user_configs`,
//! `POST /v1/entities/copy_tasks`, `GET /v1/entities/copy_tasks/{task_id}`,
//! `POST|DELETE /v1/{bots|workflows|apps}/{id}/collaborators[/{user_id}]` and
//! `POST /v1/{bots|workflows}/{id}/collaboration_mode`.
//!
//! Every workspace has two folders (`Development`, `Library`) and one app, made on first use.
//! Copying a bot copies it (a new bot with the same behaviour) and the task is `successful`
//! at once. Collaborators must be members of the resource's workspace (4101 otherwise), and a
//! resource in `single` mode takes none (4000: switch it to `collaboration` first).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{MethodRouter, delete, get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{JsonBody, Params, opt_id, page_start};
use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::state::AppState;

/// An API (callback) app.
#[derive(Debug, Clone)]
pub struct ApiAppRecord {
    pub id: String,
    pub name: String,
    pub app_type: String,
    pub callback_url: String,
    pub events: BTreeSet<String>,
    /// The user who created it; nobody else sees it.
    pub owner: String,
}

/// A copy task.
#[derive(Debug, Clone)]
pub struct CopyTask {
    pub id: String,
    pub entity_type: String,
    pub source: String,
    pub target: String,
    pub workspace_id: String,
    pub name: String,
}

/// The state of this module (`Store::apps`).
#[derive(Debug, Default)]
pub struct AppsStore {
    /// workspace id → its seeded app id (made on first list).
    pub apps: HashMap<String, (String, i64)>,
    pub api_apps: BTreeMap<String, ApiAppRecord>,
    /// connector id → workspaces it is installed in.
    pub installs: HashMap<String, BTreeSet<String>>,
    /// connector id → user id → configs.
    pub user_configs: HashMap<String, HashMap<String, Value>>,
    pub copy_tasks: HashMap<String, CopyTask>,
    /// "bot:<id>" / "workflow:<id>" / "app:<id>" → collaborator ids.
    pub collaborators: HashMap<String, BTreeSet<String>>,
    /// resources in `collaboration` mode ("bot:<id>", "workflow:<id>").
    pub collaboration: BTreeSet<String>,
}

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/apps", get(list_apps))
        .route("/v1/folders", get(list_folders))
        .route("/v1/folders/{folder_id}", get(get_folder))
        .route("/v1/api_apps", post(create_api_app).get(list_api_apps))
        .route(
            "/v1/api_apps/{api_app_id}",
            put(update_api_app).delete(delete_api_app),
        )
        .route(
            "/v1/api_apps/{api_app_id}/events",
            post(subscribe_events)
                .get(list_events)
                .delete(unsubscribe_events),
        )
        .route("/v1/connectors/{connector_id}/install", post(install))
        .route(
            "/v1/connectors/{connector_id}/user_configs",
            post(user_configs),
        )
        .route("/v1/entities/copy_tasks", post(copy))
        .route("/v1/entities/copy_tasks/{task_id}", get(copy_status))
        .route("/v1/bots/{id}/collaborators", add_collaborators_of("bot"))
        .route(
            "/v1/bots/{id}/collaborators/{user_id}",
            remove_collaborator_of("bot"),
        )
        .route(
            "/v1/workflows/{id}/collaborators",
            add_collaborators_of("workflow"),
        )
        .route(
            "/v1/workflows/{id}/collaborators/{user_id}",
            remove_collaborator_of("workflow"),
        )
        .route("/v1/apps/{id}/collaborators", add_collaborators_of("app"))
        .route(
            "/v1/apps/{id}/collaborators/{user_id}",
            remove_collaborator_of("app"),
        )
        .route("/v1/bots/{id}/collaboration_mode", set_mode_of("bot"))
        .route(
            "/v1/workflows/{id}/collaboration_mode",
            set_mode_of("workflow"),
        )
}

fn member_workspace(state: &AppState, authed: &Authed, id: &str) -> Result<(), ApiError> {
    let ok = state
        .store()
        .workspaces
        .get(id)
        .is_some_and(|ws| ws.members.iter().any(|m| m == authed.user_id()));
    if ok {
        Ok(())
    } else {
        Err(ApiError::not_found("workspace_id", id))
    }
}

fn app_of(state: &AppState, workspace: &str) -> (String, i64) {
    let now = state.now();
    let fresh = state.new_id();
    state
        .store()
        .apps
        .apps
        .entry(workspace.to_string())
        .or_insert((fresh, now))
        .clone()
}

async fn list_apps(
    State(state): State<AppState>,
    authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let workspace = params.require("workspace_id")?.to_string();
    let page = params.int("page_index", params.int("page_num", 1)?)?;
    let size = params.int("page_size", 20)?;
    if !(1..=50).contains(&size) {
        return Err(ApiError::bad_request("page_size must be between 1 and 50"));
    }
    member_workspace(&state, &authed, &workspace)?;
    let (id, created) = app_of(&state, &workspace);
    let all = [json!({
        "id": id,
        "name": "Emulator app",
        "description": "The app every emulator workspace has",
        "icon_url": "",
        "is_published": true,
        "owner_user_id": state.ids().user_id,
        "updated_at": created,
        "published_at": created,
        "folder_id": folder_id(&workspace, 1),
    })];
    let wanted = params.get("publish_status");
    let items: Vec<Value> = all
        .iter()
        .filter(|_| wanted.is_none_or(|w| w != "unpublished_draft"))
        .skip(page_start(page, size))
        .take(size as usize)
        .cloned()
        .collect();
    Ok(envelope::ok(json!({"items": items, "total": items.len()})))
}

/// The id of a workspace's folder `n` (1 Development, 2 Library): a number that fits in an
/// int64 like every Coze id (the workspace id plus `n` × 10^15; appending a digit to the
/// 19-digit workspace id, as before, overflowed int64).
fn folder_id(workspace: &str, n: u64) -> String {
    workspace
        .parse::<i64>()
        .ok()
        .and_then(|ws| ws.checked_add(i64::try_from(n).ok()?.checked_mul(1_000_000_000_000_000)?))
        .map_or_else(|| format!("{workspace}{n}"), |id| id.to_string())
}

fn folders(workspace: &str, user: &str) -> Vec<Value> {
    [(1, "Development", "development"), (2, "Library", "library")]
        .iter()
        .map(|(n, name, kind)| {
            json!({
                "id": folder_id(workspace, *n),
                "name": name,
                "description": format!("The {name} folder"),
                "workspace_id": workspace,
                "creator_user_id": user,
                "folder_type": kind,
                "parent_folder_id": "",
                "children_count": 0,
            })
        })
        .collect()
}

async fn list_folders(
    State(state): State<AppState>,
    authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let workspace = params.require("workspace_id")?.to_string();
    let kind = params.get("folder_type");
    let page = params.int("page_num", 1)?;
    let size = params.int("page_size", 20)?;
    if !(1..=50).contains(&size) {
        return Err(ApiError::bad_request("page_size must be between 1 and 50"));
    }
    member_workspace(&state, &authed, &workspace)?;
    let parent = params.get("parent_folder_id");
    let all: Vec<Value> = folders(&workspace, &state.ids().user_id)
        .into_iter()
        .filter(|f| kind.is_none_or(|k| f["folder_type"] == k))
        .filter(|_| parent.is_none())
        .collect();
    let items: Vec<Value> = all
        .iter()
        .skip(page_start(page, size))
        .take(size as usize)
        .cloned()
        .collect();
    Ok(envelope::ok(
        json!({"items": items, "total_count": all.len()}),
    ))
}

async fn get_folder(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let workspaces: Vec<String> = state
        .store()
        .workspaces
        .values()
        .filter(|ws| ws.members.iter().any(|m| m == authed.user_id()))
        .map(|ws| ws.id.clone())
        .collect();
    workspaces
        .iter()
        .flat_map(|ws| folders(ws, &state.ids().user_id))
        .find(|f| f["id"] == id.as_str())
        .map(envelope::ok)
        .ok_or_else(|| ApiError::not_found("folder_id", &id))
}

#[derive(Deserialize)]
struct ApiAppBody {
    #[serde(default)]
    app_type: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    callback_url: Option<String>,
    #[serde(default)]
    event_types: Vec<String>,
}

fn api_app_json(app: &ApiAppRecord) -> Value {
    json!({
        "id": app.id,
        "app_type": app.app_type,
        "name": app.name,
        "callback_url": app.callback_url,
        "verify_token": "",
        "connector_id": "1024",
    })
}

async fn create_api_app(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: ApiAppBody = body.parse()?;
    let app_type = body
        .app_type
        .ok_or_else(|| ApiError::bad_request("app_type is required"))?;
    if !["normal", "connector"].contains(&app_type.as_str()) {
        return Err(ApiError::bad_request(format!(
            "app_type must be normal or connector, got {app_type}"
        )));
    }
    let id = state.new_id();
    let record = ApiAppRecord {
        id: id.clone(),
        name: body.name.unwrap_or_else(|| format!("API app {id}")),
        app_type,
        callback_url: body.callback_url.unwrap_or_default(),
        events: BTreeSet::new(),
        owner: authed.user_id().to_string(),
    };
    let out = api_app_json(&record);
    state.store().apps.api_apps.insert(id, record);
    Ok(envelope::ok(out))
}

async fn update_api_app(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: ApiAppBody = body.parse()?;
    let mut store = state.store();
    let app = store
        .apps
        .api_apps
        .get_mut(&id)
        .filter(|app| app.owner == authed.user_id())
        .ok_or_else(|| ApiError::not_found("api_app_id", &id))?;
    if let Some(name) = body.name.filter(|n| !n.trim().is_empty()) {
        app.name = name;
    }
    if let Some(url) = body.callback_url {
        if !url.is_empty() && !url.starts_with("https://") && !url.starts_with("http://") {
            return Err(ApiError::bad_request(format!(
                "callback_url must be an http(s) URL, got {url:?}"
            )));
        }
        app.callback_url = url;
    }
    Ok(envelope::ok(json!({})))
}

async fn subscribe_events(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: ApiAppBody = body.parse()?;
    if body.event_types.is_empty() {
        return Err(ApiError::bad_request("event_types is required"));
    }
    let mut store = state.store();
    let app = store
        .apps
        .api_apps
        .get_mut(&id)
        .filter(|app| app.owner == authed.user_id())
        .ok_or_else(|| ApiError::not_found("api_app_id", &id))?;
    app.events.extend(body.event_types);
    Ok(envelope::ok(json!({})))
}

/// `page_token` as an offset into a list (empty or absent: the start); 4000 when it is not one
/// this emulator gave out.
fn token_page<T: Clone>(items: &[T], params: &Params) -> Result<(Vec<T>, Value, bool), ApiError> {
    let start: usize = match params.get("page_token") {
        None => 0,
        Some(t) => t.parse().map_err(|_| {
            ApiError::bad_request(format!(
                "page_token {t:?} is not one this server returned; start again without it"
            ))
        })?,
    };
    let size = params.int("page_size", 20)?;
    if !(1..=100).contains(&size) {
        return Err(ApiError::bad_request(format!(
            "page_size must be between 1 and 100, got {size}"
        )));
    }
    let size = usize::try_from(size).unwrap_or(20);
    let page: Vec<T> = items.iter().skip(start).take(size).cloned().collect();
    let end = start.saturating_add(page.len());
    let has_more = end < items.len();
    let next = if has_more {
        json!(end.to_string())
    } else {
        json!("")
    };
    Ok((page, next, has_more))
}

async fn list_api_apps(
    State(state): State<AppState>,
    authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let app_type = params.get("app_type");
    if let Some(t) = app_type
        && !["normal", "connector"].contains(&t)
    {
        return Err(ApiError::bad_request(format!(
            "app_type must be normal or connector, got {t}"
        )));
    }
    let apps: Vec<Value> = state
        .store()
        .apps
        .api_apps
        .values()
        .filter(|a| a.owner == authed.user_id())
        .filter(|a| app_type.is_none_or(|t| a.app_type == t))
        .map(api_app_json)
        .collect();
    let (items, next, has_more) = token_page(&apps, &params)?;
    Ok(envelope::ok(
        json!({"items": items, "next_page_token": next, "has_more": has_more}),
    ))
}

async fn delete_api_app(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut store = state.store();
    let owned = store
        .apps
        .api_apps
        .get(&id)
        .is_some_and(|app| app.owner == authed.user_id());
    if !owned {
        return Err(ApiError::not_found("api_app_id", &id));
    }
    store.apps.api_apps.remove(&id);
    Ok(envelope::ok(json!({})))
}

async fn list_events(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let events: Vec<Value> = {
        let store = state.store();
        let app = store
            .apps
            .api_apps
            .get(&id)
            .filter(|app| app.owner == authed.user_id())
            .ok_or_else(|| ApiError::not_found("api_app_id", &id))?;
        app.events
            .iter()
            .map(|e| {
                json!({
                    "api_app_id": app.id,
                    "event_type": e,
                    "name": e,
                    "description": format!("callback for the {e} event"),
                })
            })
            .collect()
    };
    let (items, next, has_more) = token_page(&events, &params)?;
    Ok(envelope::ok(
        json!({"items": items, "next_page_token": next, "has_more": has_more}),
    ))
}

async fn unsubscribe_events(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: ApiAppBody = body.parse()?;
    if body.event_types.is_empty() {
        return Err(ApiError::bad_request("event_types is required"));
    }
    let mut store = state.store();
    let app = store
        .apps
        .api_apps
        .get_mut(&id)
        .filter(|app| app.owner == authed.user_id())
        .ok_or_else(|| ApiError::not_found("api_app_id", &id))?;
    if let Some(missing) = body.event_types.iter().find(|e| !app.events.contains(*e)) {
        return Err(ApiError::not_found("event_type", missing));
    }
    for e in &body.event_types {
        app.events.remove(e);
    }
    Ok(envelope::ok(json!({})))
}

#[derive(Deserialize)]
struct InstallBody {
    #[serde(default, deserialize_with = "opt_id")]
    workspace_id: Option<String>,
    #[serde(default)]
    configs: Option<Value>,
    #[serde(default, deserialize_with = "opt_id")]
    user_id: Option<String>,
}

async fn install(
    State(state): State<AppState>,
    authed: Authed,
    Path(connector): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: InstallBody = body.parse()?;
    let workspace = body
        .workspace_id
        .ok_or_else(|| ApiError::bad_request("workspace_id is required"))?;
    member_workspace(&state, &authed, &workspace)?;
    state
        .store()
        .apps
        .installs
        .entry(connector)
        .or_default()
        .insert(workspace);
    Ok(envelope::ok(json!({})))
}

async fn user_configs(
    State(state): State<AppState>,
    authed: Authed,
    Path(connector): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: InstallBody = body.parse()?;
    let configs = body
        .configs
        .filter(|c| c.as_array().is_some_and(|a| !a.is_empty()))
        .ok_or_else(|| ApiError::bad_request("configs is required: [{key, enums: [...]}]"))?;
    let user = body.user_id.unwrap_or_else(|| authed.user_id().to_string());
    state
        .store()
        .apps
        .user_configs
        .entry(connector)
        .or_default()
        .insert(user, configs);
    Ok(envelope::ok(json!({})))
}

#[derive(Deserialize)]
struct CopyBody {
    #[serde(default)]
    entity_type: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    entity_id: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    to_workspace_id: Option<String>,
    #[serde(default)]
    name: Option<String>,
}

async fn copy(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: CopyBody = body.parse()?;
    let kind = body
        .entity_type
        .ok_or_else(|| ApiError::bad_request("entity_type is required"))?;
    let source = body
        .entity_id
        .ok_or_else(|| ApiError::bad_request("entity_id is required"))?;
    if kind != "bot" {
        return Err(ApiError::bad_request(format!(
            "the emulator copies bots only (entity_type \"bot\"), got {kind}"
        )));
    }
    let now = state.now();
    let mut bot = state
        .store()
        .bots
        .get(&source)
        .cloned()
        .ok_or_else(|| ApiError::not_found("entity_id", &source))?;
    let workspace = body
        .to_workspace_id
        .unwrap_or_else(|| bot.workspace_id.clone());
    member_workspace(&state, &authed, &workspace)?;
    let target = state.new_id();
    let task = state.new_id();
    bot.id = target.clone();
    bot.name = body.name.unwrap_or_else(|| format!("{} (copy)", bot.name));
    bot.workspace_id = workspace.clone();
    bot.owner_id = authed.user_id().to_string();
    bot.published = false;
    bot.created_at = now;
    bot.updated_at = now;
    let name = bot.name.clone();
    let mut store = state.store();
    store.bots.insert(target.clone(), bot);
    store.apps.copy_tasks.insert(
        task.clone(),
        CopyTask {
            id: task.clone(),
            entity_type: kind,
            source,
            target: target.clone(),
            workspace_id: workspace,
            name,
        },
    );
    Ok(envelope::ok(
        json!({"task_id": task, "copied_entity_id": target}),
    ))
}

async fn copy_status(
    State(state): State<AppState>,
    _authed: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let store = state.store();
    let t = store
        .apps
        .copy_tasks
        .get(&id)
        .ok_or_else(|| ApiError::not_found("task_id", &id))?;
    Ok(envelope::ok(json!({
        "task_id": t.id,
        "entity_type": t.entity_type,
        "task_status": "successful",
        "source_entity_id": t.source,
        "target_entity_id": t.target,
        "target_workspace_id": t.workspace_id,
        "entity_name": t.name,
        "fail_reason": "",
    })))
}

#[derive(Deserialize)]
struct CollaboratorsBody {
    #[serde(default)]
    collaborators: Vec<Collaborator>,
}

#[derive(Deserialize)]
struct Collaborator {
    #[serde(default, deserialize_with = "opt_id")]
    user_id: Option<String>,
}

/// The workspace of a resource, and whether it exists.
fn workspace_of(state: &AppState, kind: &str, id: &str) -> Result<String, ApiError> {
    match kind {
        "bot" => state
            .store()
            .bots
            .get(id)
            .map(|b| b.workspace_id.clone())
            .ok_or_else(|| ApiError::not_found("bot_id", id)),
        "workflow" => crate::workflows::find(id)
            .map(|_| state.ids().workspace_id.clone())
            .ok_or_else(|| ApiError::not_found("workflow_id", id)),
        _ => state
            .store()
            .apps
            .apps
            .iter()
            .find(|(_, (app, _))| app == id)
            .map(|(ws, _)| ws.clone())
            .ok_or_else(|| ApiError::not_found("app_id", id)),
    }
}

fn add_collaborators(
    state: &AppState,
    kind: &str,
    id: &str,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: CollaboratorsBody = body.parse()?;
    if body.collaborators.is_empty() {
        return Err(ApiError::bad_request("collaborators is required"));
    }
    let workspace = workspace_of(state, kind, id)?;
    let key = format!("{kind}:{id}");
    let mut store = state.store();
    if kind != "app" && !store.apps.collaboration.contains(&key) {
        return Err(ApiError::bad_request(format!(
            "{kind} {id} is in single mode; switch it to collaboration mode first"
        )));
    }
    let members = store
        .workspaces
        .get(&workspace)
        .map(|ws| ws.members.clone())
        .unwrap_or_default();
    let mut users = Vec::new();
    for c in body.collaborators {
        let uid = c
            .user_id
            .ok_or_else(|| ApiError::bad_request("every collaborator needs a user_id"))?;
        if !members.contains(&uid) {
            return Err(ApiError::forbidden(format!(
                "user {uid} is not a member of workspace {workspace}; add them to it first"
            )));
        }
        users.push(uid);
    }
    store
        .apps
        .collaborators
        .entry(key)
        .or_default()
        .extend(users);
    Ok(envelope::ok(json!({})))
}

fn remove_collaborator(
    state: &AppState,
    kind: &str,
    id: &str,
    user: &str,
) -> Result<Response, ApiError> {
    workspace_of(state, kind, id)?;
    let removed = state
        .store()
        .apps
        .collaborators
        .get_mut(&format!("{kind}:{id}"))
        .is_some_and(|set| set.remove(user));
    if !removed {
        return Err(ApiError::not_found("user_id", user));
    }
    Ok(envelope::ok(json!({})))
}

#[derive(Deserialize)]
struct ModeBody {
    #[serde(default)]
    collaboration_mode: Option<String>,
}

fn set_mode(state: &AppState, kind: &str, id: &str, body: JsonBody) -> Result<Response, ApiError> {
    let body: ModeBody = body.parse()?;
    let mode = body
        .collaboration_mode
        .ok_or_else(|| ApiError::bad_request("collaboration_mode is required"))?;
    workspace_of(state, kind, id)?;
    let key = format!("{kind}:{id}");
    let mut store = state.store();
    match mode.as_str() {
        "collaboration" => {
            store.apps.collaboration.insert(key);
        }
        "single" => {
            if store
                .apps
                .collaborators
                .get(&key)
                .is_some_and(|c| !c.is_empty())
            {
                return Err(ApiError::bad_request(format!(
                    "{kind} {id} still has collaborators; remove them before switching to single mode"
                )));
            }
            store.apps.collaboration.remove(&key);
        }
        other => {
            return Err(ApiError::bad_request(format!(
                "collaboration_mode must be single or collaboration, got {other}"
            )));
        }
    }
    Ok(envelope::ok(json!({})))
}

// One handler per route kind: the three resources share the same collaborator rules and differ
// only in the store key's prefix.

fn add_collaborators_of(kind: &'static str) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>,
              _authed: Authed,
              Path(id): Path<String>,
              body: JsonBody| async move { add_collaborators(&state, kind, &id, body) },
    )
}

fn remove_collaborator_of(kind: &'static str) -> MethodRouter<AppState> {
    delete(
        move |State(state): State<AppState>,
              _authed: Authed,
              Path((id, user)): Path<(String, String)>| async move {
            remove_collaborator(&state, kind, &id, &user)
        },
    )
}

fn set_mode_of(kind: &'static str) -> MethodRouter<AppState> {
    post(
        move |State(state): State<AppState>,
              _authed: Authed,
              Path(id): Path<String>,
              body: JsonBody| async move { set_mode(&state, kind, &id, body) },
    )
}
