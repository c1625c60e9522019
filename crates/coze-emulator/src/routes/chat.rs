//! Chat v3: `POST /v3/chat` (stream or not), retrieve (GET and POST), the chat's message
//! list, `submit_tool_outputs` (stream or not) and cancel. The work is in `engine.rs`.
//!
//! Errors before a stream starts are JSON bodies (`application/json`), as on Coze: 4000 bad
//! request, 4200 unknown bot or conversation, 4015 bot not published to the API channel, 4016
//! another chat still running in the conversation (`created` or `in_progress`; a chat waiting
//! for tool outputs does not block), 4104 cancelling a chat that is not running.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::conversations::{
    API_CONNECTOR, check_meta_data, find as find_conversation, new_conversation,
};
use super::messages::{EnterMessage, is_conversation_visible, message_json};
use super::{JsonBody, Params, opt_id, str_id};
use crate::auth::Authed;
use crate::bots::ToolOutput;
use crate::engine::{self, chat_json, context_for, input_tokens};
use crate::envelope::{ApiError, ok};
use crate::sse::{self, Framing};
use crate::state::{AppState, ChatRecord, ChatStatus, ConversationRecord, MessageRecord, Usage};

/// Message of the 4015 refusal.
pub const NOT_PUBLISHED: &str = "The bot_id has not been published to the channel Agent As API. Publish the bot as an API service and try again.";

/// The chat routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v3/chat", post(create))
        .route("/v3/chat/retrieve", get(retrieve).post(retrieve))
        .route(
            "/v3/chat/message/list",
            get(list_messages).post(list_messages),
        )
        .route("/v3/chat/submit_tool_outputs", post(submit_tool_outputs))
        .route("/v3/chat/cancel", post(cancel))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ChatBody {
    #[serde(deserialize_with = "str_id")]
    bot_id: Option<String>,
    #[serde(deserialize_with = "str_id")]
    user_id: Option<String>,
    additional_messages: Option<Vec<EnterMessage>>,
    stream: Option<bool>,
    custom_variables: Option<Map<String, Value>>,
    auto_save_history: Option<bool>,
    meta_data: Option<Map<String, Value>>,
    publish_status: Option<String>,
    bot_version: Option<String>,
    #[serde(deserialize_with = "opt_id")]
    connector_id: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: ChatBody = body.parse()?;
    let stream = body.stream.unwrap_or(false);
    let ctx = prepare(&state, &auth, params.get("conversation_id"), body)?;
    let chat_id = ctx.chat_id.clone();
    if stream {
        let (sender, response) = sse::channel(state.faults().for_stream(), Framing::Chat);
        tokio::spawn(engine::run_stream(state.clone(), ctx, false, sender));
        Ok(response)
    } else {
        let json = chat_json(&chat_for(&state, &chat_id)?);
        tokio::spawn(engine::run_background(state.clone(), ctx));
        Ok(ok(json))
    }
}

/// Checks and stores a new chat as `POST /v3/chat` does (the WebSocket chat too): the
/// conversation (`conversation_id`, or a new one), the inserted messages and the chat record,
/// and returns the bot's context. The caller runs it ([`engine::run_stream`]).
///
/// # Errors
/// The refusals of `/v3/chat` (4000, 4010, 4015, 4016, 4101, 4200).
pub fn prepare_chat(
    state: &AppState,
    auth: &Authed,
    conversation_id: Option<&str>,
    body: JsonBody,
) -> Result<crate::bots::ChatContext, ApiError> {
    prepare(state, auth, conversation_id, body.parse()?)
}

fn prepare(
    state: &AppState,
    auth: &Authed,
    conversation_id: Option<&str>,
    body: ChatBody,
) -> Result<crate::bots::ChatContext, ApiError> {
    let bot_id = body
        .bot_id
        .ok_or_else(|| ApiError::bad_request("bot_id is required"))?;
    let user_id = body
        .user_id
        .ok_or_else(|| ApiError::bad_request("user_id is required"))?;
    let stream = body.stream.unwrap_or(false);
    let auto_save_history = body.auto_save_history.unwrap_or(true);
    if !stream && !auto_save_history {
        return Err(ApiError::bad_request(
            "auto_save_history must be true when stream is false",
        ));
    }
    let draft = match body.publish_status.as_deref() {
        None | Some("") | Some("published_online") => false,
        Some("unpublished_draft") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "unknown publish_status {other:?}"
            )));
        }
    };
    if draft && body.bot_version.as_deref().is_some_and(|v| !v.is_empty()) {
        return Err(ApiError::bad_request(
            "bot_version cannot be combined with publish_status unpublished_draft",
        ));
    }
    let meta_data = body.meta_data.unwrap_or_default();
    check_meta_data(&meta_data)?;
    let messages = body.additional_messages.unwrap_or_default();
    if messages.len() > 100 {
        return Err(ApiError::bad_request(
            "additional_messages has more than 100 messages",
        ));
    }
    {
        let store = state.store();
        let bot = super::bots::chat_bot(&store, auth, &bot_id)?;
        if !bot.published && !draft {
            return Err(ApiError::new(4015, NOT_PUBLISHED));
        }
    }
    let connector = body
        .connector_id
        .unwrap_or_else(|| API_CONNECTOR.to_string());
    let conversation = match conversation_id {
        Some(id) => find_conversation(state, auth, id)?,
        None => new_conversation(state, &bot_id, auth, &connector),
    };
    let has_question = messages.iter().any(|m| m.role.as_deref() == Some("user"));
    let chat_id = state.new_id();
    let (history_empty, history_tokens) = section_history(state, &conversation);
    if !has_question && history_empty {
        return Err(ApiError::bad_request(
            "the conversation has no messages: additional_messages must carry the user's question",
        ));
    }
    let mut inserted: Vec<MessageRecord> = Vec::with_capacity(messages.len());
    for message in messages {
        inserted.push(message.into_record(state, &conversation, &chat_id, "", auth.user_id())?);
    }
    let prompt: i64 = history_tokens
        + inserted
            .iter()
            .map(|m| engine::estimate_tokens(&m.content))
            .sum::<i64>();
    if prompt > CONTEXT_WINDOW {
        return Err(ApiError::new(
            4010,
            format!(
                "the prompt is about {prompt} tokens, more than the model's context window of {CONTEXT_WINDOW}: shorten the messages or clear the conversation"
            ),
        ));
    }
    let now = state.now();
    let chat = ChatRecord {
        id: chat_id.clone(),
        conversation_id: conversation.id.clone(),
        bot_id: bot_id.clone(),
        section_id: conversation.last_section_id.clone(),
        user_id,
        status: if stream {
            ChatStatus::Created
        } else {
            ChatStatus::InProgress
        },
        created_at: now,
        completed_at: None,
        failed_at: None,
        last_error: None,
        usage: Usage::default(),
        meta_data,
        required_action: Vec::new(),
        inserted_message_ids: inserted.iter().map(|m| m.id.clone()).collect(),
        auto_save_history,
    };
    {
        let mut store = state.store();
        let busy = store
            .conversation_chats(&conversation.id)
            .any(|c| c.status.is_running());
        if busy {
            return Err(ApiError::new(
                4016,
                "Conversation occupied: another chat is still in progress in this conversation. Wait for it to finish or cancel it.",
            ));
        }
        let stored = store
            .conversations
            .entry(conversation.id.clone())
            .or_insert_with(|| conversation.clone());
        if stored.bot_id.is_empty() {
            stored.bot_id = bot_id.clone();
        }
        stored.updated_at = now;
        if auto_save_history {
            for message in inserted {
                store.insert_message(message);
            }
        } else {
            // Kept out of the conversation, but the bot still needs to read them.
            for message in inserted {
                store.insert_message(MessageRecord {
                    conversation_id: String::new(),
                    ..message
                });
            }
        }
        store.insert_chat(chat);
    }
    let mut ctx = context_for(state, &chat_for(state, &chat_id)?);
    if !auto_save_history {
        forget_unsaved(state, &chat_id);
    }
    ctx.custom_variables = body.custom_variables.unwrap_or_default();
    set_input_usage(state, &chat_id, input_tokens(&ctx));
    Ok(ctx)
}

/// The context window of the emulator's model, in tokens (one token per four characters).
pub const CONTEXT_WINDOW: i64 = 32_768;

/// Whether the current section of `conversation` has no messages yet, and the tokens of the
/// ones it has.
fn section_history(state: &AppState, conversation: &ConversationRecord) -> (bool, i64) {
    let store = state.store();
    let mut empty = true;
    let mut tokens = 0;
    for (_, m) in store
        .conversation_messages(&conversation.id)
        .filter(|(_, m)| m.section_id == conversation.last_section_id)
    {
        empty = false;
        if is_conversation_visible(m) {
            tokens += engine::estimate_tokens(&m.content);
        }
    }
    (empty, tokens)
}

/// Drops the unsaved inserted messages once the bot's context has been read.
fn forget_unsaved(state: &AppState, chat_id: &str) {
    state
        .store()
        .messages
        .retain(|_, m| !(m.chat_id == chat_id && m.conversation_id.is_empty()));
}

fn set_input_usage(state: &AppState, chat_id: &str, input: i64) {
    if let Some(chat) = state.store().chats.get_mut(chat_id) {
        chat.usage.input_count += input;
    }
}

fn chat_for(state: &AppState, chat_id: &str) -> Result<ChatRecord, ApiError> {
    state
        .store()
        .chats
        .get(chat_id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("chat_id", chat_id))
}

/// The chat named by `conversation_id` and `chat_id` (query, or the JSON body for cancel).
fn find_chat(
    state: &AppState,
    auth: &Authed,
    conversation_id: Option<&str>,
    chat_id: Option<&str>,
) -> Result<ChatRecord, ApiError> {
    let conversation_id =
        conversation_id.ok_or_else(|| ApiError::bad_request("conversation_id is required"))?;
    let chat_id = chat_id.ok_or_else(|| ApiError::bad_request("chat_id is required"))?;
    find_conversation(state, auth, conversation_id)?;
    let chat = chat_for(state, chat_id)?;
    if chat.conversation_id != conversation_id {
        return Err(ApiError::not_found("chat_id", chat_id));
    }
    Ok(chat)
}

async fn retrieve(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let chat = find_chat(
        &state,
        &auth,
        params.get("conversation_id"),
        params.get("chat_id"),
    )?;
    engine::settle_instant(&state, &chat.id).await;
    Ok(ok(chat_json(&chat_for(&state, &chat.id)?)))
}

async fn list_messages(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let chat = find_chat(
        &state,
        &auth,
        params.get("conversation_id"),
        params.get("chat_id"),
    )?;
    let store = state.store();
    let messages: Vec<Value> = store
        .conversation_messages(&chat.conversation_id)
        .map(|(_, m)| m)
        // What the bot produced: not the user's query, nor other inserted messages.
        .filter(|m| m.chat_id == chat.id && m.kind != "question")
        .filter(|m| !chat.inserted_message_ids.contains(&m.id))
        .map(message_json)
        .collect();
    Ok(ok(Value::Array(messages)))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SubmitBody {
    tool_outputs: Option<Vec<ToolOutputBody>>,
    stream: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ToolOutputBody {
    #[serde(deserialize_with = "opt_id")]
    tool_call_id: Option<String>,
    output: Option<String>,
}

async fn submit_tool_outputs(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let stream = body
        .0
        .get("stream")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let ctx = prepare_tool_outputs(
        &state,
        &auth,
        params.get("conversation_id"),
        params.get("chat_id"),
        body,
    )?;
    let chat = chat_for(&state, &ctx.chat_id)?;
    if stream {
        let (sender, response) = sse::channel(state.faults().for_stream(), Framing::Chat);
        tokio::spawn(engine::run_stream(state.clone(), ctx, true, sender));
        Ok(response)
    } else {
        let json = chat_json(&chat_for(&state, &chat.id)?);
        tokio::spawn(engine::run_background(state.clone(), ctx));
        Ok(ok(json))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CancelBody {
    #[serde(deserialize_with = "opt_id")]
    conversation_id: Option<String>,
    #[serde(deserialize_with = "opt_id")]
    chat_id: Option<String>,
}

async fn cancel(
    State(state): State<AppState>,
    auth: Authed,
    params: Params,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: CancelBody = body.parse()?;
    let conversation_id = body
        .conversation_id
        .or_else(|| params.get("conversation_id").map(str::to_string));
    let chat_id = body
        .chat_id
        .or_else(|| params.get("chat_id").map(str::to_string));
    let chat = find_chat(
        &state,
        &auth,
        conversation_id.as_deref(),
        chat_id.as_deref(),
    )?;
    let mut store = state.store();
    let Some(stored) = store.chats.get_mut(&chat.id) else {
        return Err(ApiError::not_found("chat_id", &chat.id));
    };
    if !stored.status.is_running() {
        return Err(ApiError::new(
            4104,
            format!(
                "chat {} cannot be cancelled: its status is {}",
                chat.id,
                stored.status.as_str()
            ),
        ));
    }
    stored.status = ChatStatus::Canceled;
    Ok(ok(chat_json(stored)))
}

/// Checks and applies tool outputs as `POST /v3/chat/submit_tool_outputs` does (the
/// WebSocket chat too) and returns the bot's context; the caller resumes the chat with
/// [`engine::run_stream`] (`resumed: true`).
///
/// # Errors
/// 4000 (no outputs, unknown tool call, chat not waiting), 4200, 5000 (unsaved chat).
pub fn prepare_tool_outputs(
    state: &AppState,
    auth: &Authed,
    conversation_id: Option<&str>,
    chat_id: Option<&str>,
    body: JsonBody,
) -> Result<crate::bots::ChatContext, ApiError> {
    let chat = find_chat(state, auth, conversation_id, chat_id)?;
    let body: SubmitBody = body.parse()?;
    if !chat.auto_save_history {
        return Err(ApiError::internal(
            "submit_tool_outputs needs a chat started with auto_save_history=true",
        ));
    }
    let outputs = body.tool_outputs.unwrap_or_default();
    if outputs.is_empty() {
        return Err(ApiError::bad_request("tool_outputs is required"));
    }
    let mut submitted = Vec::with_capacity(outputs.len());
    for output in outputs {
        let id = output
            .tool_call_id
            .ok_or_else(|| ApiError::bad_request("tool_outputs[].tool_call_id is required"))?;
        if !chat.required_action.iter().any(|call| call.id == id) {
            return Err(ApiError::bad_request(format!(
                "tool_call_id {id} is not a pending tool call of this chat"
            )));
        }
        submitted.push(ToolOutput {
            tool_call_id: id,
            output: output.output.unwrap_or_default(),
        });
    }
    let now = state.now();
    {
        let mut store = state.store();
        let Some(stored) = store.chats.get_mut(&chat.id) else {
            return Err(ApiError::not_found("chat_id", &chat.id));
        };
        if stored.status != ChatStatus::RequiresAction {
            return Err(ApiError::bad_request(format!(
                "chat {} is not waiting for tool outputs (status {})",
                chat.id,
                stored.status.as_str()
            )));
        }
        stored.status = ChatStatus::InProgress;
        stored.required_action.clear();
        for output in &submitted {
            let message = MessageRecord {
                id: state.new_id(),
                conversation_id: chat.conversation_id.clone(),
                section_id: chat.section_id.clone(),
                bot_id: chat.bot_id.clone(),
                chat_id: chat.id.clone(),
                role: "assistant".into(),
                kind: "tool_response".into(),
                content: output.output.clone(),
                content_type: "text".into(),
                reasoning_content: String::new(),
                meta_data: Map::new(),
                created_at: now,
                updated_at: now,
            };
            store.insert_message(message);
        }
    }
    let mut ctx = context_for(state, &chat);
    ctx.tool_calls = chat.required_action.clone();
    ctx.tool_outputs = submitted;
    set_input_usage(state, &chat.id, input_tokens(&ctx));
    Ok(ctx)
}
