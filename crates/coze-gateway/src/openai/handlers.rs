//! The routes: `GET /v1/models` and `POST /v1/chat/completions`, on the gateway's state
//! (API keys, store, Coze client).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Extension;
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use coze_sdk::{ChatRequest, ChatStream, ToolOutput};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::continuity::{self, Scope, Split, head_key, head_value, parse_head};
use super::error::ApiError;
use super::mapping::{Mapper, Out, Outcome};
use super::request::{self, Msg, Prepared, SystemRule};
use super::types::{Model, ModelList};
use super::upstream::enter_messages;
use super::{EditedHistory, OpenAiConfig};
use crate::keys::{ClientKey, require_key};
use crate::log::{Outcome as LogOutcome, Subject};
use crate::state::GatewayState;
use crate::store::{SlotGuard, StoreError};

/// Response header naming the Coze conversation that answered.
pub const CONVERSATION_HEADER: &str = "x-coze-conversation-id";
/// Response header naming the Coze chat that answered.
pub const CHAT_HEADER: &str = "x-coze-chat-id";

/// The OpenAI-compatible routes, behind the API-key check and the request log.
pub fn router(state: GatewayState) -> Router {
    let routes = Router::new()
        .route("/v1/models", get(models))
        .route("/v1/chat/completions", post(chat_completions))
        .route_layer(from_fn_with_state(state.clone(), require_key))
        .with_state(state);
    crate::log::with_request_log(routes, "openai")
}

fn config(state: &GatewayState) -> Result<&OpenAiConfig, ApiError> {
    state
        .config()
        .openai
        .as_ref()
        .ok_or_else(|| ApiError::not_found("the OpenAI API is not enabled on this gateway"))
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        tracing::warn!(error = %e, "openai: store failed");
        let mut err = ApiError::upstream(
            "the gateway's store does not answer: retry in a moment; if it persists, tell the \
             gateway's operator",
        )
        .code("store_unavailable");
        err.status = StatusCode::SERVICE_UNAVAILABLE;
        err
    }
}

impl From<crate::error::GatewayError> for ApiError {
    fn from(e: crate::error::GatewayError) -> Self {
        ApiError {
            status: e.status,
            kind: e.kind,
            message: e.message,
            param: e.param,
            code: e.code,
            retry_after: e.retry_after.map(Duration::from_secs),
        }
    }
}

async fn models(
    State(state): State<GatewayState>,
    Extension(key): Extension<ClientKey>,
) -> Response {
    let cfg = match config(&state) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let created = now();
    let data = cfg
        .models
        .keys()
        .filter(|name| key.allows_model(name))
        .map(|name| Model {
            id: name.clone(),
            object: "model".into(),
            created,
            owned_by: "coze".into(),
        })
        .collect();
    axum::Json(ModelList {
        object: "list".into(),
        data,
    })
    .into_response()
}

/// The bot (and version) behind a model name.
fn resolve(cfg: &OpenAiConfig, model: &str) -> Result<(String, Option<String>), ApiError> {
    if let Some(target) = cfg.models.get(model) {
        return Ok((
            target.bot_id().to_owned(),
            target.version().map(str::to_owned),
        ));
    }
    if cfg.allow_bot_passthrough
        && let Some(id) = model.strip_prefix("bot-")
        && !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
    {
        return Ok((id.to_owned(), None));
    }
    let known: Vec<&str> = cfg.models.keys().map(String::as_str).collect();
    Err(ApiError::unknown_model(model, &known))
}

/// The Coze `user_id` of an API key and `user`: a hash, so neither leaves the gateway.
fn coze_user(key_id: &str, user: &str) -> String {
    let mut h = Sha256::new();
    h.update(key_id.as_bytes());
    h.update([0]);
    h.update(user.as_bytes());
    let d = h.finalize();
    let hex: String = d[..10].iter().map(|b| format!("{b:02x}")).collect();
    format!("openai-{hex}")
}

/// A pending tool call in the store (one record per call id, all alike).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct PendingCall {
    conversation_id: String,
    chat_id: String,
    call_ids: Vec<String>,
}

async fn chat_completions(
    State(state): State<GatewayState>,
    Extension(key): Extension<ClientKey>,
    request: Request,
) -> Response {
    match run(state, key, request).await {
        Ok(response) => response,
        Err((e, model)) => {
            let outcome = e.code.clone().unwrap_or_else(|| e.kind.to_owned());
            let mut response = e.into_response();
            response.extensions_mut().insert(LogOutcome(outcome));
            if let Some(model) = model {
                response.extensions_mut().insert(Subject(model));
            }
            response
        }
    }
}

type RunError = (ApiError, Option<String>);

async fn read_body(cfg: &OpenAiConfig, request: Request) -> Result<Bytes, ApiError> {
    let limit = cfg.max_body_bytes;
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::too_large(limit));
    }
    axum::body::to_bytes(request.into_body(), limit)
        .await
        .map_err(|_| ApiError::too_large(limit))
}

/// What this request asks Coze to do.
enum Start {
    Chat(Box<ChatRequest>),
    Submit(PendingCall, Vec<ToolOutput>),
}

async fn run(state: GatewayState, key: ClientKey, request: Request) -> Result<Response, RunError> {
    let shared = state.clone();
    let cfg = config(&shared).map_err(|e| (e, None))?;
    let body = read_body(cfg, request).await.map_err(|e| (e, None))?;
    let prepared = request::parse(&body).map_err(|e| (e, None))?;
    let model = prepared.model.clone();
    let fail = |e: ApiError| (e, Some(model.clone()));
    let (bot_id, version) = resolve(cfg, &prepared.model).map_err(fail)?;
    if !key.allows_model(&prepared.model) {
        return Err(fail(
            ApiError::forbidden(format!(
                "this API key may not use the model `{}`: use a key created for it",
                prepared.model
            ))
            .param("model")
            .code("model_not_allowed"),
        ));
    }
    let Some(client) = state.coze().cloned() else {
        return Err(fail(ApiError::upstream(
            "the gateway has no Coze credentials ([upstream]): tell the gateway's operator",
        )));
    };
    let scope = Scope::new(&key.id, &prepared.user, &bot_id);
    let split = continuity::split(&scope, &cfg.system_messages, &prepared.messages);
    let start = plan(
        &state, cfg, &client, &key, &prepared, &scope, &split, &bot_id, version,
    )
    .await
    .map_err(fail)?;
    let slot = if prepared.stream {
        crate::limits::acquire_stream(&state, &key)
            .await
            .map_err(|e| fail(e.into()))?
    } else {
        None
    };
    let (upstream, mapper) = match start {
        Start::Chat(req) => {
            let upstream = client
                .chat()
                .stream(*req)
                .await
                .map_err(|e| fail(ApiError::from_coze(&e)))?;
            (upstream, new_mapper(&prepared))
        }
        Start::Submit(pending, outputs) => {
            let conv = pending.conversation_id.clone().into();
            let chat = pending.chat_id.clone().into();
            match client
                .chat()
                .submit_tool_outputs_stream(&conv, &chat, outputs)
                .await
            {
                Ok(upstream) => {
                    let mapper =
                        new_mapper(&prepared).with_ids(&pending.conversation_id, &pending.chat_id);
                    (upstream, mapper)
                }
                Err(e) => {
                    // Keep the call answerable: the client may retry.
                    let ttl = Duration::from_secs(cfg.tool_call_ttl_secs);
                    let _ = remember_calls(&state, ttl, &scope, &pending).await;
                    return Err(fail(ApiError::from_coze(&e)));
                }
            }
        }
    };
    let mut live = Live {
        upstream: Some(upstream),
        mapper,
        pending: VecDeque::new(),
        done: false,
        guard: CancelGuard {
            client,
            conversation_id: String::new(),
            chat_id: String::new(),
            armed: true,
        },
        finish: Finish {
            state: state.clone(),
            tool_ttl: Duration::from_secs(cfg.tool_call_ttl_secs),
            conversation_ttl: Duration::from_secs(cfg.conversation_ttl_days * 86_400),
            scope,
            request_digest: split.request_digest,
        },
        _slot: slot,
    };
    // Read until the conversation is known (for the header) or the chat ended.
    while live.mapper.conversation_id().is_empty() && !live.done {
        live.step().await;
    }
    if let Some(Outcome::Error(e)) = live.mapper.outcome()
        && !live.sent_content()
    {
        return Err(fail(e.clone()));
    }
    let conversation_id = live.mapper.conversation_id().to_owned();
    let chat_id = live.mapper.chat_id().to_owned();
    let mut response = if prepared.stream {
        let body = futures_util::stream::unfold(live, |mut live| async move {
            loop {
                if let Some(frame) = live.pending.pop_front() {
                    return Some((Ok::<Bytes, Infallible>(frame), live));
                }
                if live.done {
                    return None;
                }
                live.step().await;
            }
        });
        let mut r = Response::new(Body::from_stream(body));
        let h = r.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/event-stream"),
        );
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        h.insert(
            HeaderName::from_static("x-accel-buffering"),
            HeaderValue::from_static("no"),
        );
        r
    } else {
        while !live.done {
            live.step().await;
        }
        let mapper = std::mem::replace(&mut live.mapper, new_mapper(&prepared));
        match mapper.completion() {
            Ok(c) => axum::Json(c).into_response(),
            Err(e) => return Err(fail(e)),
        }
    };
    let h = response.headers_mut();
    for (name, value) in [
        (CONVERSATION_HEADER, &conversation_id),
        (CHAT_HEADER, &chat_id),
    ] {
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(HeaderName::from_static(name), v);
        }
    }
    response.extensions_mut().insert(Subject(model));
    response
        .extensions_mut()
        .insert(LogOutcome("succeeded".into()));
    Ok(response)
}

fn new_mapper(p: &Prepared) -> Mapper {
    let id: String = (0..12)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    Mapper::new(
        format!("chatcmpl-{id}"),
        now(),
        p.model.clone(),
        p.include_usage,
        p.stream,
    )
}

/// Decides what to send to Coze: tool outputs for a pending call, the new messages into a
/// known conversation, or a new conversation carrying the history.
#[allow(clippy::too_many_arguments)]
async fn plan(
    state: &GatewayState,
    cfg: &OpenAiConfig,
    client: &coze_sdk::Client,
    key: &ClientKey,
    prepared: &Prepared,
    scope: &Scope,
    split: &Split<'_>,
    bot_id: &str,
    version: Option<String>,
) -> Result<Start, ApiError> {
    let store = state.store();
    let tools: Vec<(&str, &str)> = split
        .input
        .iter()
        .filter_map(|m| match m {
            Msg::Tool { call_id, output } => Some((call_id.as_str(), output.as_str())),
            _ => None,
        })
        .collect();
    if !tools.is_empty() {
        if tools.len() != split.input.len() {
            return Err(ApiError::invalid(
                "tool messages must directly follow the assistant message that called the tools, \
                 with nothing after them: send the tool outputs alone",
            )
            .param("messages"));
        }
        return tool_outputs(state, cfg, scope, &tools)
            .await
            .map(|(p, o)| Start::Submit(p, o));
    }
    let mut req = ChatRequest::new(bot_id, coze_user(&key.id, &prepared.user));
    if let Some(v) = version {
        req = req.bot_version(v);
    }
    if let SystemRule::Variable(name) = &cfg.system_messages {
        let text: Vec<&str> = prepared
            .messages
            .iter()
            .filter_map(|m| match m {
                Msg::System(t) => Some(t.as_str()),
                _ => None,
            })
            .collect();
        if !text.is_empty() {
            req = req.custom_variable(name.clone(), text.join("\n"));
        }
    }
    let context = cfg.system_messages == SystemRule::Context;
    // A conversation the client names.
    if let Some(conv) = &prepared.conversation_id {
        let head = store.raw().get(&head_key(conv)).await?;
        if head.as_deref().map(|h| parse_head(h).0) != Some(scope.hex().as_str()) {
            return Err(ApiError::not_found(format!(
                "there is no Coze conversation {conv} for this API key, user and model: leave \
                 `coze.conversation_id` out to start one"
            ))
            .param("coze.conversation_id")
            .code("conversation_not_found"));
        }
        for m in enter_messages(client, &split.input, context).await? {
            req = req.message(m);
        }
        return Ok(Start::Chat(Box::new(req.conversation(conv.clone()))));
    }
    if !split.history.is_empty() {
        let key = split.history_digest.history_key();
        if let Some(conv) = store.raw().get(&key).await? {
            let head = store.raw().get(&head_key(&conv)).await?;
            let latest = head.as_deref().and_then(|h| {
                let (owner, digest) = parse_head(h);
                (owner == scope.hex()).then_some(digest).flatten()
            });
            if latest == Some(split.history_digest.hex().as_str()) {
                for m in enter_messages(client, &split.input, context).await? {
                    req = req.message(m);
                }
                return Ok(Start::Chat(Box::new(req.conversation(conv))));
            }
        }
        if cfg.edited_history == EditedHistory::Reject {
            for (n, digest) in split.assistant_digests.iter().enumerate().skip(1) {
                if store.raw().get(&digest.history_key()).await?.is_some() {
                    return Err(ApiError::invalid(format!(
                        "the history was changed after an answer this gateway gave ({n} \
                         answer(s) from the end): send it unchanged, or start a new chat"
                    ))
                    .param("messages")
                    .code("history_edited"));
                }
            }
        }
    }
    // A new conversation carrying the earlier turns.
    let all: Vec<&Msg> = split.history.iter().chain(&split.input).copied().collect();
    for m in enter_messages(client, &all, context).await? {
        req = req.message(m);
    }
    Ok(Start::Chat(Box::new(req)))
}

async fn tool_outputs(
    state: &GatewayState,
    cfg: &OpenAiConfig,
    scope: &Scope,
    tools: &[(&str, &str)],
) -> Result<(PendingCall, Vec<ToolOutput>), ApiError> {
    let store = state.store();
    let first = tools[0].0;
    let Some(pending) = store
        .take_json::<PendingCall>(&scope.tool_call_key(first))
        .await?
    else {
        return Err(ApiError::invalid(format!(
            "no pending tool call `{first}` for this API key, user and model: it was already \
             answered, expired, or never came from this gateway; send the user's message again"
        ))
        .param("messages")
        .code("tool_call_not_found"));
    };
    for id in &pending.call_ids {
        if id != first {
            let _ = store.raw().take(&scope.tool_call_key(id)).await?;
        }
    }
    let unknown: Vec<&str> = tools
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !pending.call_ids.iter().any(|p| p == id))
        .collect();
    let missing: Vec<&str> = pending
        .call_ids
        .iter()
        .map(String::as_str)
        .filter(|p| !tools.iter().any(|(id, _)| id == p))
        .collect();
    if !unknown.is_empty() || !missing.is_empty() {
        remember_calls(
            state,
            Duration::from_secs(cfg.tool_call_ttl_secs),
            scope,
            &pending,
        )
        .await?;
        let msg = if unknown.is_empty() {
            format!(
                "the tool outputs for {} are missing: answer every tool call of the assistant \
                 message in one request",
                missing.join(", ")
            )
        } else {
            format!(
                "the tool calls {} do not belong to the pending chat (it waits for {}): answer \
                 the calls of the last assistant message",
                unknown.join(", "),
                pending.call_ids.join(", ")
            )
        };
        return Err(ApiError::invalid(msg)
            .param("messages")
            .code("tool_call_mismatch"));
    }
    let outputs = tools
        .iter()
        .map(|(id, out)| ToolOutput::new(*id, *out))
        .collect();
    Ok((pending, outputs))
}

async fn remember_calls(
    state: &GatewayState,
    ttl: Duration,
    scope: &Scope,
    pending: &PendingCall,
) -> Result<(), StoreError> {
    let ttl = Some(ttl);
    for id in &pending.call_ids {
        state
            .store()
            .set_json(&scope.tool_call_key(id), pending, ttl)
            .await?;
    }
    Ok(())
}

/// Cancels the Coze chat when dropped while armed (the client went away mid-answer).
struct CancelGuard {
    client: coze_sdk::Client,
    conversation_id: String,
    chat_id: String,
    armed: bool,
}

impl Drop for CancelGuard {
    fn drop(&mut self) {
        if !self.armed || self.conversation_id.is_empty() || self.chat_id.is_empty() {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let client = self.client.clone();
        let conv = std::mem::take(&mut self.conversation_id).into();
        let chat = std::mem::take(&mut self.chat_id).into();
        runtime.spawn(async move {
            match client.chat().cancel(&conv, &chat).await {
                Ok(_) => {
                    tracing::info!(chat = %chat, "openai: client went away; Coze chat cancelled")
                }
                Err(e) => {
                    tracing::debug!(error = %e, "openai: cancelling an abandoned chat failed")
                }
            }
        });
    }
}

/// What recording the answer needs.
struct Finish {
    state: GatewayState,
    tool_ttl: Duration,
    conversation_ttl: Duration,
    scope: Scope,
    request_digest: continuity::Digest,
}

impl Finish {
    /// Stores where this history continues (or, after an error, that the conversation's
    /// head is unknown, so the next request starts afresh with the whole history).
    async fn record(&self, mapper: &Mapper) -> Result<(), StoreError> {
        let store = self.state.store().raw();
        let conv = mapper.conversation_id();
        if conv.is_empty() {
            return Ok(());
        }
        let ttl = Some(self.conversation_ttl);
        match mapper.outcome() {
            Some(Outcome::Stop | Outcome::ToolCalls) => {
                let call_ids: Vec<String> =
                    mapper.tool_calls().iter().map(|c| c.id.clone()).collect();
                let digest =
                    continuity::after_answer(self.request_digest, mapper.text(), &call_ids);
                store.set(&digest.history_key(), conv, ttl).await?;
                let head = head_value(&self.scope, Some(&digest));
                store.set(&head_key(conv), &head, ttl).await?;
                if !call_ids.is_empty() {
                    let pending = PendingCall {
                        conversation_id: conv.to_owned(),
                        chat_id: mapper.chat_id().to_owned(),
                        call_ids,
                    };
                    remember_calls(&self.state, self.tool_ttl, &self.scope, &pending).await?;
                }
            }
            _ => {
                let head = head_value(&self.scope, None);
                store.set(&head_key(conv), &head, ttl).await?;
            }
        }
        Ok(())
    }
}

/// A running answer: the Coze stream, the mapper, and frames not yet sent.
struct Live {
    upstream: Option<ChatStream>,
    mapper: Mapper,
    pending: VecDeque<Bytes>,
    done: bool,
    guard: CancelGuard,
    finish: Finish,
    _slot: Option<SlotGuard>,
}

impl Live {
    fn sent_content(&self) -> bool {
        !self.mapper.text().is_empty()
    }

    /// Reads one Coze item and queues its frames; at the end records the answer.
    async fn step(&mut self) {
        let Some(upstream) = self.upstream.as_mut() else {
            self.done = true;
            return;
        };
        let outs = match upstream.next().await {
            Some(Ok(ev)) => self.mapper.event(ev),
            Some(Err(e)) => self.mapper.error(&e),
            None => self.mapper.end(),
        };
        if self.guard.conversation_id.is_empty() {
            self.guard.conversation_id = self.mapper.conversation_id().to_owned();
        }
        if self.guard.chat_id.is_empty() {
            self.guard.chat_id = self.mapper.chat_id().to_owned();
        }
        for out in outs {
            let json = match out {
                Out::Chunk(c) => serde_json::to_vec(&c),
                Out::Error(e) => serde_json::to_vec(&e.body()),
            };
            if let Ok(json) = json {
                let mut frame = Vec::with_capacity(json.len() + 8);
                frame.extend_from_slice(b"data: ");
                frame.extend_from_slice(&json);
                frame.extend_from_slice(b"\n\n");
                self.pending.push_back(Bytes::from(frame));
            }
        }
        if let Some(outcome) = self.mapper.outcome() {
            let ok = !matches!(outcome, Outcome::Error(_));
            // A finished chat needs no cancel; a failed or cut one is cancelled (harmless
            // when Coze already ended it).
            self.guard.armed = !ok;
            self.upstream = None;
            if let Err(e) = self.finish.record(&self.mapper).await {
                tracing::warn!(error = %e, "openai: cannot record the conversation");
            }
            if ok {
                self.pending
                    .push_back(Bytes::from_static(b"data: [DONE]\n\n"));
            }
            self.done = true;
        }
    }
}
