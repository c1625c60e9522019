//! Versions and run details: `GET /v1/bots/{bot_id}/versions`,
//! `GET /v1/workflows/{workflow_id}/versions`, `GET /v1/workflows/{workflow_id}/run_histories/
//! {execute_id}/execute_nodes/{node_execute_uuid}` (one node's output) and
//! `POST /v1/workflows/resume` (answer a question node and get the result in one call).
//!
//! A bot has one version per state it was in: the draft (`unpublished_draft`) and, when it is
//! published, the online version (`published_online`), numbered by its update time. The
//! scripted workflows each have one published version `v0.0.1`. Node execute uuids are the
//! ones the workflow stream sends (`<execute_id>-<node title in lower case>`).

use std::time::Instant;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{JsonBody, Params, opt_id, page_start};
use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::state::AppState;
use crate::workflows::{self, Step};

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/bots/{bot_id}/versions", get(bot_versions))
        .route("/v1/workflows/{workflow_id}/versions", get(workflow_versions))
        .route(
            "/v1/workflows/{workflow_id}/run_histories/{execute_id}/execute_nodes/{node_execute_uuid}",
            get(node_output),
        )
        .route("/v1/workflows/resume", post(resume))
}

fn creator(state: &AppState, user_id: &str) -> Value {
    let name = state
        .store()
        .users
        .get(user_id)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    json!({"id": user_id, "name": name})
}

fn page_params(params: &Params, max: i64) -> Result<(i64, i64), ApiError> {
    let page_num = params.int("page_num", 1)?;
    let page_size = params.int("page_size", 10)?;
    if !(1..=max).contains(&page_size) {
        return Err(ApiError::bad_request(format!(
            "page_size must be between 1 and {max}"
        )));
    }
    Ok((page_num, page_size))
}

async fn bot_versions(
    State(state): State<AppState>,
    authed: Authed,
    Path(bot_id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let (page_num, page_size) = page_params(&params, 30)?;
    let wanted = params.get("publish_status").unwrap_or("published_online");
    if !["published_online", "unpublished_draft", "all"].contains(&wanted) {
        return Err(ApiError::bad_request(format!(
            "publish_status must be published_online, unpublished_draft or all, got {wanted}"
        )));
    }
    authed.check_bot_scope(&bot_id)?;
    let bot = state
        .store()
        .bots
        .get(&bot_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("bot_id", &bot_id))?;
    let who = creator(&state, &bot.owner_id);
    let mut all = Vec::new();
    if bot.published && wanted != "unpublished_draft" {
        all.push(json!({
            "version": bot.updated_at.to_string(),
            "changelog": "Published through the API",
            "created_at": bot.updated_at,
            "publish_status": "published_online",
            "creator": who,
        }));
    }
    if wanted != "published_online" {
        all.push(json!({
            "version": "",
            "changelog": "",
            "created_at": bot.updated_at,
            "publish_status": "unpublished_draft",
            "creator": who,
        }));
    }
    let start = page_start(page_num, page_size);
    let items: Vec<Value> = all
        .iter()
        .skip(start)
        .take(page_size as usize)
        .cloned()
        .collect();
    let has_more = start.saturating_add(items.len()) < all.len();
    Ok(envelope::ok(json!({"items": items, "has_more": has_more})))
}

async fn workflow_versions(
    State(state): State<AppState>,
    _authed: Authed,
    Path(workflow_id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let (page_num, page_size) = page_params(&params, 30)?;
    let wanted = params.get("publish_status").unwrap_or("all");
    if !["all", "published", "unpublished"].contains(&wanted) {
        return Err(ApiError::bad_request(format!(
            "publish_status must be all, published or unpublished, got {wanted}"
        )));
    }
    let def = workflows::find(&workflow_id)
        .ok_or_else(|| ApiError::not_found("workflow_id", &workflow_id))?;
    let created = state.now() - 86_400;
    let all: Vec<Value> = if wanted == "unpublished" {
        Vec::new()
    } else {
        vec![json!({
            "version": "v0.0.1",
            "description": def.description,
            "created_at": created.to_string(),
            "updated_at": created.to_string(),
            "workflow_id": def.id,
            "creator": creator(&state, &state.ids().user_id),
        })]
    };
    let start = page_start(page_num, page_size);
    let items: Vec<Value> = all
        .iter()
        .skip(start)
        .take(page_size as usize)
        .cloned()
        .collect();
    let has_more = start.saturating_add(items.len()) < all.len();
    Ok(envelope::ok(json!({"items": items, "has_more": has_more})))
}

async fn node_output(
    State(state): State<AppState>,
    _authed: Authed,
    Path((workflow_id, execute_id, uuid)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let execution = state
        .store()
        .workflows
        .executions
        .get(&execute_id)
        .filter(|e| e.workflow_id == workflow_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("execute_id", &execute_id))?;
    let node = uuid
        .strip_prefix(&format!("{execute_id}-"))
        .ok_or_else(|| ApiError::not_found("node_execute_uuid", &uuid))?;
    let finished = Instant::now() >= execution.finishes;
    let mut output: Option<(String, bool)> = None;
    for step in &execution.script.steps {
        if let Step::Message {
            node: title,
            content,
            finish,
        } = step
            && title.to_lowercase() == node
        {
            let (text, _) = output.get_or_insert((String::new(), false));
            text.push_str(content);
            if *finish {
                output = output.map(|(t, _)| (t, true));
            }
        }
    }
    let (text, node_done) =
        output.ok_or_else(|| ApiError::not_found("node_execute_uuid", &uuid))?;
    let done = node_done && finished;
    Ok(envelope::ok(json!({
        "is_finish": done,
        "node_output": if done { text } else { String::new() },
    })))
}

#[derive(Deserialize)]
struct ResumeBody {
    #[serde(default, deserialize_with = "opt_id")]
    workflow_id: Option<String>,
    #[serde(default)]
    event_id: Option<String>,
    #[serde(default)]
    resume_data: Option<String>,
    #[serde(default)]
    interrupt_type: Option<i64>,
}

async fn resume(
    State(state): State<AppState>,
    _authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: ResumeBody = body.parse()?;
    let workflow_id = body
        .workflow_id
        .ok_or_else(|| ApiError::bad_request("workflow_id is required"))?;
    let def = workflows::find(&workflow_id)
        .ok_or_else(|| ApiError::not_found("workflow_id", &workflow_id))?;
    let event_id = body
        .event_id
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request("event_id is required"))?;
    let answer = body.resume_data.unwrap_or_default();
    if answer.trim().is_empty() {
        return Err(ApiError::bad_request(
            "resume_data is required: the answer to the question",
        ));
    }
    if body.interrupt_type.is_some_and(|t| t != 2) {
        return Err(ApiError::bad_request(
            "interrupt_type does not match the interrupt (2, question)",
        ));
    }
    let script = workflows::resume(&answer);
    let execute_id = {
        let mut store = state.store();
        let Some(pending) = store
            .workflows
            .interrupts
            .get(&event_id)
            .filter(|p| p.workflow_id == def.id)
            .cloned()
        else {
            return Err(ApiError::bad_request(format!(
                "event_id {event_id} is not waiting for input in workflow {}: it was already \
                 resumed or never existed; run the workflow again",
                def.id
            )));
        };
        store.workflows.interrupts.remove(&event_id);
        if let Some(execution) = store.workflows.executions.get_mut(&pending.execute_id) {
            execution.finishes = Instant::now();
            execution.script = script.clone();
        }
        pending.execute_id
    };
    let output = script.output.clone().unwrap_or(Value::Null);
    let tokens = output.to_string().chars().count() as i64 / 4 + 1;
    let mut fields = Map::new();
    fields.insert("data".into(), json!(output.to_string()));
    fields.insert("execute_id".into(), json!(execute_id));
    fields.insert(
        "debug_url".into(),
        json!(workflows::debug_url(
            def.id,
            &execute_id,
            &state.ids().workspace_id
        )),
    );
    fields.insert(
        "usage".into(),
        json!({"input_count": 12, "output_count": tokens, "token_count": 12 + tokens}),
    );
    Ok(envelope::ok_top_level(fields))
}
