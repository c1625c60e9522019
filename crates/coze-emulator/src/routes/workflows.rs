//! Workflows: run (sync and async), stream run, stream resume, run histories, list, get.
//!
//! The scripts live in `crate::workflows`. Wire shapes:
//! - `POST /v1/workflow/run`: the non-standard envelope with a JSON-*string* `data` and a
//!   top-level `debug_url`, `execute_id`, `usage` (and `interrupt_data` when a question node
//!   stops the run); async runs answer `{code, msg, execute_id, debug_url}`.
//! - Streams: `id: n` / `event: X` / `data: {json}`; `Done` carries `{}`, `PING` `{}`.
//! - A resume with an event id that is not waiting (already resumed, unknown, or another
//!   workflow's) is refused before the stream starts with code 4000.

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{JsonBody, Params, opt_id, page_start, str_id};
use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::sse::{self, EventSender, Framing};
use crate::state::AppState;
use crate::workflows::{
    self, Execution, Kind, PendingInterrupt, RunMode, Script, Step, WorkflowDef,
};

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/workflow/run", post(run))
        .route("/v1/workflow/stream_run", post(stream_run))
        .route("/v1/workflow/stream_resume", post(stream_resume))
        .route("/v1/workflows", get(list))
        .route("/v1/workflows/{workflow_id}", get(retrieve))
        .route(
            "/v1/workflows/{workflow_id}/run_histories/{execute_id}",
            get(run_history),
        )
}

#[derive(Debug, Deserialize)]
struct RunBody {
    #[serde(default, deserialize_with = "str_id")]
    workflow_id: Option<String>,
    #[serde(default)]
    parameters: Option<Value>,
    #[serde(default, deserialize_with = "str_id")]
    bot_id: Option<String>,
    #[serde(default, deserialize_with = "str_id")]
    app_id: Option<String>,
    #[serde(default)]
    is_async: Option<bool>,
    #[serde(default)]
    ext: Option<Value>,
}

/// A validated run request.
struct RunRequest {
    def: &'static WorkflowDef,
    params: Map<String, Value>,
    bot_id: String,
    connector_uid: String,
    is_async: bool,
}

/// The workflow of a request; 4000 without an id, 4200 for an unknown one.
pub(crate) fn workflow(id: Option<&str>) -> Result<&'static WorkflowDef, ApiError> {
    let id = id.ok_or_else(|| ApiError::bad_request("workflow_id is required"))?;
    workflows::find(id).ok_or_else(|| ApiError::not_found("workflow_id", id))
}

/// `parameters` as an object; the docs call it a JSON string, the SDKs send an object.
pub(crate) fn parameters(value: Option<Value>) -> Result<Map<String, Value>, ApiError> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(Map::new()),
        Some(Value::String(s)) => match serde_json::from_str(&s) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(ApiError::bad_request("parameters must be a JSON object")),
        },
        Some(_) => Err(ApiError::bad_request("parameters must be a JSON object")),
    }
}

fn run_request(state: &AppState, authed: &Authed, body: JsonBody) -> Result<RunRequest, ApiError> {
    let body: RunBody = body.parse()?;
    let def = workflow(body.workflow_id.as_deref())?;
    if def.kind == Kind::Chatflow {
        return Err(ApiError::bad_request(format!(
            "workflow {} is a chatflow: call /v1/workflows/chat instead",
            def.id
        )));
    }
    if body.bot_id.is_some() && body.app_id.is_some() {
        return Err(ApiError::bad_request("pass bot_id or app_id, not both"));
    }
    if let Some(bot_id) = &body.bot_id {
        // The workflow runs as a tool of that bot: it must exist and be published to the API.
        let store = state.store();
        let bot = super::bots::chat_bot(&store, authed, bot_id)?;
        if !bot.published {
            return Err(ApiError::new(4015, super::chat::NOT_PUBLISHED));
        }
    }
    let connector_uid = body
        .ext
        .as_ref()
        .and_then(|ext| ext.get("user_id"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .unwrap_or(authed.user_id())
        .to_string();
    Ok(RunRequest {
        def,
        params: parameters(body.parameters)?,
        bot_id: body.bot_id.unwrap_or_else(|| "0".into()),
        connector_uid,
        is_async: body.is_async.unwrap_or(false),
    })
}

/// How long the slow workflow takes.
fn slow(state: &AppState) -> Duration {
    state.settings().slow_workflow
}

/// Remembers a run and returns its execute id.
fn record(state: &AppState, req: &RunRequest, mode: RunMode, script: &Script) -> String {
    let execute_id = state.new_id();
    let execution = Execution {
        workflow_id: req.def.id.to_string(),
        mode,
        bot_id: req.bot_id.clone(),
        connector_uid: req.connector_uid.clone(),
        logid: envelope::new_logid(),
        created_at: state.now(),
        finishes: Instant::now() + script.duration(),
        script: script.clone(),
    };
    state
        .store()
        .workflows
        .executions
        .insert(execute_id.clone(), execution);
    execute_id
}

/// Registers the interrupt of a run; returns its event id.
fn interrupt(state: &AppState, workflow_id: &str, execute_id: &str) -> String {
    let event_id = format!("{execute_id}/{}", state.new_id());
    let pending = PendingInterrupt {
        workflow_id: workflow_id.into(),
        execute_id: execute_id.into(),
    };
    state
        .store()
        .workflows
        .interrupts
        .insert(event_id.clone(), pending);
    event_id
}

fn debug_url(state: &AppState, workflow_id: &str, execute_id: &str) -> String {
    workflows::debug_url(workflow_id, execute_id, &state.ids().workspace_id)
}

/// Token counts derived from the output size (the emulator has no model).
fn usage(output: Option<&Value>) -> Value {
    let out = output.map_or(0, |o| o.to_string().chars().count() as i64 / 4 + 1);
    json!({"input_count": 12, "output_count": out, "token_count": 12 + out})
}

fn interrupt_data(event_id: &str, question: &str) -> Value {
    let data = json!({"content_type": "text", "content": question}).to_string();
    // A question node asks for nothing else: no parameters to fill in.
    json!({"event_id": event_id, "type": 2, "data": data, "required_parameters": {}})
}

async fn run(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let req = run_request(&state, &authed, body)?;
    let script = workflows::paced(
        workflows::run(req.def.kind, &req.params, slow(&state)),
        state.pace(),
    );
    if req.is_async {
        let execute_id = record(&state, &req, RunMode::Async, &script);
        // A question node stops an async run too: its history then carries the event id to
        // resume with, instead of staying "Running" with nothing to answer.
        if script.interrupt().is_some() {
            interrupt(&state, req.def.id, &execute_id);
        }
        let mut fields = Map::new();
        fields.insert("execute_id".into(), json!(execute_id));
        fields.insert(
            "debug_url".into(),
            json!(debug_url(&state, req.def.id, &execute_id)),
        );
        return Ok(envelope::ok_top_level(fields));
    }
    // A synchronous run answers when the workflow is done, or gives up at the time limit.
    let limit = state.settings().sync_workflow_timeout;
    if script.duration() > limit {
        record(&state, &req, RunMode::Sync, &script);
        tokio::time::sleep(limit).await;
        return Err(ApiError::internal(format!(
            "workflow {} did not finish within the synchronous time limit of {} s: run it with \
             is_async and poll its run history, or stream it",
            req.def.id,
            limit.as_secs_f64()
        )));
    }
    let execute_id = record(&state, &req, RunMode::Sync, &script);
    tokio::time::sleep(script.duration()).await;
    if let Some((code, message)) = script.error() {
        return Err(ApiError::new(code, message));
    }
    let mut fields = Map::new();
    let data = script
        .output
        .as_ref()
        .map(Value::to_string)
        .unwrap_or_default();
    fields.insert("data".into(), json!(data));
    fields.insert(
        "debug_url".into(),
        json!(debug_url(&state, req.def.id, &execute_id)),
    );
    fields.insert("execute_id".into(), json!(execute_id));
    fields.insert("usage".into(), usage(script.output.as_ref()));
    if let Some(question) = script.interrupt() {
        let event_id = interrupt(&state, req.def.id, &execute_id);
        fields.insert("interrupt_data".into(), interrupt_data(&event_id, question));
    }
    Ok(envelope::ok_top_level(fields))
}

async fn stream_run(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let req = run_request(&state, &authed, body)?;
    let script = workflows::paced(
        workflows::run(req.def.kind, &req.params, slow(&state)),
        state.pace(),
    );
    let execute_id = record(&state, &req, RunMode::Stream, &script);
    Ok(stream(state, req.def.id, execute_id, script))
}

#[derive(Debug, Deserialize)]
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

async fn stream_resume(
    State(state): State<AppState>,
    _authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: ResumeBody = body.parse()?;
    let def = workflow(body.workflow_id.as_deref())?;
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
    let execute_id = {
        let mut store = state.store();
        let pending = store
            .workflows
            .interrupts
            .get(&event_id)
            .filter(|p| p.workflow_id == def.id);
        let Some(pending) = pending.cloned() else {
            return Err(ApiError::bad_request(format!(
                "event_id {event_id} is not waiting for input in workflow {}: it was already \
                 resumed or never existed; run the workflow again",
                def.id
            )));
        };
        store.workflows.interrupts.remove(&event_id);
        pending.execute_id
    };
    let script = workflows::paced(workflows::resume(&answer), state.pace());
    if let Some(execution) = state.store().workflows.executions.get_mut(&execute_id) {
        execution.finishes = Instant::now() + script.duration();
        execution.script = script.clone();
    }
    Ok(stream(state, def.id, execute_id, script))
}

/// The SSE response playing `script`.
fn stream(
    state: AppState,
    workflow_id: &'static str,
    execute_id: String,
    script: Script,
) -> Response {
    let (sender, response) = sse::channel(state.faults().for_stream(), Framing::Workflow);
    tokio::spawn(play(state, sender, workflow_id, execute_id, script));
    response
}

async fn play(
    state: AppState,
    mut tx: EventSender,
    workflow_id: &'static str,
    execute_id: String,
    script: Script,
) {
    let mut id = 0u64;
    let mut seq = 0u64;
    let mut frame = |event: &str, data: Value| {
        let f = sse::workflow_frame(id, event, &data);
        id += 1;
        f
    };
    for step in script.steps {
        let sent = match step {
            Step::Message {
                node,
                content,
                finish,
            } => {
                let mut data = json!({
                    "content": content,
                    "content_type": "text",
                    "node_is_finish": finish,
                    "node_seq_id": seq.to_string(),
                    "node_title": node,
                    "node_id": node_id(node),
                    "node_execute_uuid": format!("{execute_id}-{}", node.to_lowercase()),
                    "ext": {},
                    "usage": {"input_count": 0, "output_count": 0, "token_count": 0},
                });
                if node == "End" {
                    data["usage"] = usage(script.output.as_ref());
                    data["cost"] = json!("0.00");
                    data["token"] = json!(0);
                }
                seq = if finish { 0 } else { seq + 1 };
                tx.send(frame("Message", data)).await
            }
            Step::Interrupt { node, question } => {
                let message = json!({
                    "content": question,
                    "content_type": "text",
                    "node_is_finish": true,
                    "node_seq_id": "0",
                    "node_title": node,
                    "node_id": node_id(node),
                });
                tx.send(frame("Message", message)).await;
                let event_id = interrupt(&state, workflow_id, &execute_id);
                let data = json!({
                    "interrupt_data": {"event_id": event_id, "type": 2, "data": "", "required_parameters": {}},
                    "node_title": node,
                });
                tx.send(frame("Interrupt", data)).await
            }
            Step::Error { code, message } => {
                tx.send(frame(
                    "Error",
                    json!({"error_code": code, "error_message": message}),
                ))
                .await;
                return;
            }
            Step::Ping => tx.send(frame("PING", json!({}))).await,
            Step::Wait(pause) => {
                tokio::time::sleep(pause).await;
                true
            }
        };
        if !sent {
            // The client is gone; the run's record already says how it ends.
            return;
        }
    }
    tx.send(frame("Done", json!({}))).await;
}

/// A stable node id per node title.
fn node_id(title: &str) -> String {
    let n: u32 = title.bytes().map(u32::from).sum();
    format!("1{:05}", n % 100_000)
}

fn execution_status(execution: &Execution) -> &'static str {
    if Instant::now() < execution.finishes || execution.script.interrupt().is_some() {
        "Running"
    } else if execution.script.error().is_some() {
        "Fail"
    } else {
        "Success"
    }
}

async fn run_history(
    State(state): State<AppState>,
    _authed: Authed,
    Path((workflow_id, execute_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let def = workflow(Some(&workflow_id))?;
    let execution = state
        .store()
        .workflows
        .executions
        .get(&execute_id)
        .filter(|e| e.workflow_id == def.id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("execute_id", &execute_id))?;
    let status = execution_status(&execution);
    let finished = status != "Running";
    let (error_code, error_message) = match execution.script.error() {
        Some((code, message)) if finished => (code.to_string(), message.to_string()),
        _ => (String::new(), String::new()),
    };
    let output = match &execution.script.output {
        Some(output) if finished => output.to_string(),
        _ => String::new(),
    };
    let mut history = json!({
        "execute_id": execute_id,
        "execute_status": status,
        "bot_id": execution.bot_id,
        "connector_id": "1024",
        "connector_uid": execution.connector_uid,
        "run_mode": execution.mode as i64,
        "logid": execution.logid,
        "create_time": execution.created_at,
        "update_time": if finished { state.now() } else { execution.created_at },
        "output": output,
        "token": "0",
        "error_code": error_code,
        "error_message": error_message,
        "debug_url": debug_url(&state, def.id, &execute_id),
        "usage": usage(execution.script.output.as_ref().filter(|_| finished)),
        "is_output_trimmed": false,
        "node_execute_status": {},
    });
    if let Some(question) = execution.script.interrupt() {
        let pending = state
            .store()
            .workflows
            .interrupts
            .iter()
            .find(|(_, p)| p.execute_id == execute_id)
            .map(|(event_id, _)| event_id.clone());
        if let Some(event_id) = pending {
            history["interrupt_data"] = interrupt_data(&event_id, question);
        }
    }
    Ok(envelope::ok(json!([history])))
}

fn basic(state: &AppState, def: &WorkflowDef) -> Value {
    let created = state.now() - 86_400;
    json!({
        "workflow_id": def.id,
        "workflow_name": def.name,
        "description": def.description,
        "icon_url": "",
        "app_id": "",
        // Strings, as the docs and the OpenAPI document give them for this list.
        "created_at": created.to_string(),
        "updated_at": created.to_string(),
        "creator": {"id": state.ids().user_id, "name": "emulator"},
    })
}

async fn list(
    State(state): State<AppState>,
    _authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let page_num = params.int("page_num", 1)?;
    let page_size = params.int("page_size", 100)?.clamp(1, 100);
    let mode = params.get("workflow_mode");
    if mode.is_some_and(|m| m != "workflow" && m != "chatflow") {
        return Err(ApiError::bad_request(
            "workflow_mode must be workflow or chatflow",
        ));
    }
    // The scripted workflows live in the personal workspace and are all published.
    let visible = params
        .get("workspace_id")
        .is_none_or(|w| w == state.ids().workspace_id)
        && params.get("app_id").is_none()
        && params
            .get("publish_status")
            .is_none_or(|s| s != "unpublished_draft");
    let all: Vec<&WorkflowDef> = workflows::ALL
        .iter()
        .filter(|def| visible && mode.is_none_or(|m| m == def.mode()))
        .collect();
    let start = page_start(page_num, page_size);
    let items: Vec<Value> = all
        .iter()
        .skip(start)
        .take(page_size as usize)
        .map(|def| basic(&state, def))
        .collect();
    let has_more = start + items.len() < all.len();
    Ok(envelope::ok(json!({"items": items, "has_more": has_more})))
}

async fn retrieve(
    State(state): State<AppState>,
    _authed: Authed,
    Path(workflow_id): Path<String>,
) -> Result<Response, ApiError> {
    let def = workflow(Some(&workflow_id))?;
    Ok(envelope::ok(json!({"workflow_detail": basic(&state, def)})))
}
