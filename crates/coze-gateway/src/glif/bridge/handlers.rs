//! The bridge's request handlers.

use super::reply::{Failure, ToolReply};
use super::runs::{self, RunHandle, RunState};
use super::{BridgeState, POLL_OPERATION, RUN_GLIF_TOOL, Tool};
use crate::glif::{Inputs, RunRequest};
use crate::secret::constant_time_eq;
use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

pub(crate) async fn openapi_json(State(state): State<BridgeState>) -> Response {
    axum::Json(state.openapi()).into_response()
}

pub(crate) async fn openapi_yaml(State(state): State<BridgeState>) -> Response {
    (
        [(header::CONTENT_TYPE, "application/yaml; charset=utf-8")],
        crate::yaml::to_yaml(&state.openapi()),
    )
        .into_response()
}

/// The path the caller used (nested routers see a stripped one).
fn caller_path(request: &Request) -> String {
    request
        .extensions()
        .get::<axum::extract::OriginalUri>()
        .map_or_else(|| request.uri().path().to_owned(), |u| u.path().to_owned())
}

/// Refuses (401) any request without the exact service token, before anything runs.
pub(crate) async fn require_service_token(
    State(state): State<BridgeState>,
    request: Request,
    next: Next,
) -> Response {
    let inner = &state.inner;
    let given = request
        .headers()
        .get(&inner.auth_header)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !constant_time_eq(given, inner.expected_auth.expose().as_bytes()) {
        let path = caller_path(&request);
        tracing::warn!(
            %path,
            header = %inner.auth_header,
            present = !given.is_empty(),
            "refused: missing or wrong service token"
        );
        return Failure::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            format!(
                "missing or wrong service token in the {} header",
                inner.auth_header
            ),
        )
        .into_response();
    }
    next.run(request).await
}

pub(crate) async fn run_sync(
    State(state): State<BridgeState>,
    Path(tool): Path<String>,
    body: Bytes,
) -> Result<ToolReply, Failure> {
    let (request, sync_timeout) = build_request(&state, &tool, &body)?;
    let handle = spawn_run(&state, &tool, request)?;
    match runs::wait(&handle, sync_timeout).await {
        RunState::Done { outcome, .. } => reply_for(&handle, *outcome),
        RunState::Running => Ok(ToolReply::running(
            &handle.id,
            &handle.glif_id,
            format!(
                "timed out waiting: glif {} did not finish within {}s and keeps running; \
                 call {POLL_OPERATION} with run_id \"{}\" to get its output",
                handle.glif_id,
                sync_timeout.as_secs(),
                handle.id
            ),
        )),
    }
}

pub(crate) async fn run_start(
    State(state): State<BridgeState>,
    Path(tool): Path<String>,
    body: Bytes,
) -> Result<ToolReply, Failure> {
    let (request, _) = build_request(&state, &tool, &body)?;
    let handle = spawn_run(&state, &tool, request)?;
    Ok(ToolReply::running(
        &handle.id,
        &handle.glif_id,
        format!(
            "started; call {POLL_OPERATION} with run_id \"{}\" to get the output",
            handle.id
        ),
    ))
}

pub(crate) async fn poll(
    State(state): State<BridgeState>,
    Path(run_id): Path<String>,
) -> Result<ToolReply, Failure> {
    let handle = state.inner.runs.get(&run_id).ok_or_else(|| {
        Failure::new(
            StatusCode::NOT_FOUND,
            "unknown_run",
            format!("no run {run_id:?} (results are kept for an hour)"),
        )
    })?;
    match runs::wait(&handle, state.inner.poll_wait).await {
        RunState::Done { outcome, .. } => reply_for(&handle, *outcome),
        RunState::Running => Ok(ToolReply::running(
            &handle.id,
            &handle.glif_id,
            format!(
                "still running; call {POLL_OPERATION} with run_id \"{}\" again",
                handle.id
            ),
        )),
    }
}

fn reply_for(
    handle: &RunHandle,
    outcome: Result<crate::glif::RunOutput, Failure>,
) -> Result<ToolReply, Failure> {
    outcome
        .map(|out| ToolReply::succeeded(&handle.id, &out))
        .map_err(|f| f.for_glif(&handle.glif_id))
}

/// Starts the run in its own task, so it finishes (and can be polled) even when the caller
/// stops waiting.
fn spawn_run(state: &BridgeState, tool: &str, request: RunRequest) -> Result<RunHandle, Failure> {
    let (handle, tx) = state.inner.runs.insert(&request.glif_id).ok_or_else(|| {
        Failure::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "too many glif runs in flight; try again later",
        )
    })?;
    let client = state.inner.client.clone();
    let run_id = handle.id.clone();
    let tool = tool.to_owned();
    tokio::spawn(async move {
        let started = Instant::now();
        let result = client.run(&request).await;
        let duration_ms = started.elapsed().as_millis() as u64;
        let outcome = match result {
            Ok(out) => {
                tracing::info!(%tool, glif_id = %request.glif_id, %run_id, duration_ms,
                    outcome = "succeeded", output_type = out.output_type.as_ref().map(|t| t.as_str()).unwrap_or("none"),
                    "glif run");
                Ok(out)
            }
            Err(err) => {
                tracing::warn!(%tool, glif_id = %request.glif_id, %run_id, duration_ms,
                    outcome = "failed", error = %err, "glif run");
                Err(Failure::from_glif(&err))
            }
        };
        let _ = tx.send(RunState::Done {
            at: Instant::now(),
            outcome: Box::new(outcome),
        });
    });
    Ok(handle)
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Failure::bad_request(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(Failure::bad_request(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

/// A JSON value as a glif input string (Glif takes strings only); `None` for null.
fn input_string(name: &str, value: &Value) -> Result<Option<String>, Failure> {
    match value {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        _ => Err(Failure::bad_request(format!(
            "input {name:?} must be a string"
        ))),
    }
}

fn build_request(
    state: &BridgeState,
    tool: &str,
    body: &Bytes,
) -> Result<(RunRequest, Duration), Failure> {
    let map = parse_body(body)?;
    if state.inner.run_glif_tool && tool == RUN_GLIF_TOOL {
        return Ok((generic_request(map)?, state.inner.sync_timeout));
    }
    let spec = state.inner.tool(tool).ok_or_else(|| {
        Failure::new(
            StatusCode::NOT_FOUND,
            "unknown_tool",
            format!("no tool {tool:?}; the OpenAPI document lists the tools"),
        )
    })?;
    let request = tool_request(spec, map).map_err(|f| f.for_glif(&spec.glif_id))?;
    Ok((request, spec.sync_timeout))
}

fn tool_request(spec: &Tool, mut map: Map<String, Value>) -> Result<RunRequest, Failure> {
    let mut inputs: BTreeMap<String, String> = spec.fixed.clone();
    let mut missing = Vec::new();
    for input in &spec.exposed {
        let given = match map.remove(&input.name) {
            Some(v) => input_string(&input.name, &v)?,
            None => None,
        };
        match given.or_else(|| input.default.clone()) {
            Some(v) => {
                inputs.insert(input.name.clone(), v);
            }
            None => missing.push(input.name.clone()),
        }
    }
    if let Some(extra) = map.keys().next() {
        let known: Vec<&str> = spec.exposed.iter().map(|i| i.name.as_str()).collect();
        return Err(Failure::bad_request(format!(
            "tool {} has no input {extra:?}; its inputs are: {}",
            spec.name,
            if known.is_empty() {
                "(none)".to_owned()
            } else {
                known.join(", ")
            }
        )));
    }
    if !missing.is_empty() {
        return Err(Failure::bad_request(format!(
            "tool {} needs input(s) {}",
            spec.name,
            missing.join(", ")
        )));
    }
    Ok(RunRequest::new(spec.glif_id.clone()).inputs(Inputs::Named(inputs)))
}

/// `run_glif`: `{"glif_id": "...", "inputs": ["positional", ...]}`; `inputs` may also be an
/// object of named inputs for HTTP callers other than Coze.
fn generic_request(mut map: Map<String, Value>) -> Result<RunRequest, Failure> {
    let glif_id = match map.remove("glif_id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_owned(),
        _ => return Err(Failure::bad_request("run_glif needs a glif_id string")),
    };
    let inputs = match map.remove("inputs") {
        None | Some(Value::Null) => Inputs::Positional(Vec::new()),
        Some(Value::Array(items)) => Inputs::Positional(
            items
                .iter()
                .map(|v| input_string("inputs[]", v).map(Option::unwrap_or_default))
                .collect::<Result<_, _>>()?,
        ),
        Some(Value::Object(named)) => Inputs::Named(
            named
                .iter()
                .filter_map(|(k, v)| {
                    input_string(k, v)
                        .transpose()
                        .map(|r| r.map(|v| (k.clone(), v)))
                })
                .collect::<Result<_, _>>()?,
        ),
        Some(_) => {
            return Err(Failure::bad_request(
                "inputs must be a list of strings (in the glif's input order)",
            ));
        }
    };
    if let Some(extra) = map.keys().next() {
        return Err(Failure::bad_request(format!(
            "run_glif has no field {extra:?}; it takes glif_id and inputs"
        )));
    }
    Ok(RunRequest::new(glif_id).inputs(inputs))
}
