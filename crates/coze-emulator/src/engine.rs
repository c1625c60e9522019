//! The chat engine: runs a bot for a chat and turns its reply into events and state.
//!
//! Streaming: `conversation.chat.created` → `conversation.chat.in_progress` → answer deltas
//! (one message id) → `conversation.message.completed` for the answer, the `verbose`
//! `generate_answer_finish` message and each `follow_up` → `conversation.chat.completed` (with
//! usage) → `done`. A tool call instead ends with a `function_call` message and
//! `conversation.chat.requires_action`; a failure with `conversation.chat.failed`. A plugin
//! tool the bot ran itself shows as completed `function_call` and `tool_response` messages
//! before the answer deltas (listed by `/v3/chat/message/list`, not in the conversation).
//!
//! State changes happen just before the event that announces them, so a client that has
//! seen `chat.completed` finds the chat completed on retrieve. A cancelled chat stops at the
//! next step (its stream ends with `done`). Non-streaming chats compute the reply at once
//! and apply it on the next retrieve (or when the auto-complete timer fires).

use std::time::Duration;

use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::bots::{BotReply, ChatContext, PluginCall, Turn};
use crate::pace::Pace;
use crate::routes::messages::{is_conversation_visible, message_json};
use crate::sse::{EventSender, chat_frame, done_frame};
use crate::state::{AppState, ChatRecord, ChatStatus, MessageRecord, ToolCall, Usage};

/// A chat as on the wire (ids as strings, ints for times, usage and error code).
pub fn chat_json(c: &ChatRecord) -> Value {
    let (code, msg) = c.last_error.clone().unwrap_or((0, String::new()));
    let mut chat = json!({
        "id": c.id,
        "conversation_id": c.conversation_id,
        "bot_id": c.bot_id,
        "section_id": c.section_id,
        "created_at": c.created_at,
        "meta_data": c.meta_data,
        "last_error": {"code": code, "msg": msg},
        "status": c.status.as_str(),
        "usage": {
            "token_count": c.usage.input_count + c.usage.output_count,
            "output_count": c.usage.output_count,
            "input_count": c.usage.input_count,
        },
        "inserted_additional_messages":
            c.inserted_message_ids.iter().map(|id| json!({"id": id})).collect::<Vec<_>>(),
    });
    if let Some(object) = chat.as_object_mut() {
        if let Some(at) = c.completed_at {
            object.insert("completed_at".into(), json!(at));
        }
        if let Some(at) = c.failed_at {
            object.insert("failed_at".into(), json!(at));
        }
        if c.status == ChatStatus::RequiresAction {
            let calls: Vec<Value> = c
                .required_action
                .iter()
                .map(|call| {
                    json!({
                        "id": call.id,
                        "type": "function",
                        "function": {"name": call.name, "arguments": call.arguments},
                    })
                })
                .collect();
            object.insert(
                "required_action".into(),
                json!({"type": "submit_tool_outputs", "submit_tool_outputs": {"tool_calls": calls}}),
            );
        }
    }
    chat
}

/// A rough token count: one token per four characters, at least one for non-empty text.
pub fn estimate_tokens(text: &str) -> i64 {
    let chars = text.chars().count() as i64;
    (chars + 3) / 4
}

/// The context a bot sees for `chat`: the current section's earlier questions and answers
/// and the chat's own inserted messages.
pub fn context_for(state: &AppState, chat: &ChatRecord) -> ChatContext {
    let store = state.store();
    let turn = |m: &MessageRecord| Turn {
        role: m.role.clone(),
        kind: m.kind.clone(),
        content: m.content.clone(),
        content_type: m.content_type.clone(),
    };
    let history = store
        .conversation_messages(&chat.conversation_id)
        .map(|(_, m)| m)
        .filter(|m| m.section_id == chat.section_id)
        .filter(|m| is_conversation_visible(m) && m.chat_id != chat.id)
        .filter(|m| !chat.inserted_message_ids.contains(&m.id))
        .map(turn)
        .collect();
    let input = chat
        .inserted_message_ids
        .iter()
        .filter_map(|id| store.message(id))
        .map(turn)
        .collect();
    let bot_name = store
        .bots
        .get(&chat.bot_id)
        .map(|b| b.name.clone())
        .unwrap_or_default();
    ChatContext {
        state: state.clone(),
        bot_id: chat.bot_id.clone(),
        bot_name,
        user_id: chat.user_id.clone(),
        conversation_id: chat.conversation_id.clone(),
        section_id: chat.section_id.clone(),
        chat_id: chat.id.clone(),
        history,
        input,
        tool_calls: Vec::new(),
        tool_outputs: Vec::new(),
        custom_variables: Map::new(),
    }
}

/// Input tokens of a context.
pub fn input_tokens(ctx: &ChatContext) -> i64 {
    let text: i64 = ctx
        .history
        .iter()
        .chain(&ctx.input)
        .map(|t| estimate_tokens(&t.content))
        .sum();
    let tools: i64 = ctx
        .tool_outputs
        .iter()
        .map(|o| estimate_tokens(&o.output))
        .sum();
    (text + tools).max(1)
}

/// Splits an answer into deltas of about a word each, as a model streams tokens (at most
/// [`MAX_DELTAS`], at least two for any text with two or more characters); the deltas
/// concatenate to `text`.
pub fn split_deltas(text: &str) -> Vec<String> {
    let words: Vec<&str> = text.split_inclusive(char::is_whitespace).collect();
    if words.len() >= 2 {
        let size = words.len().div_ceil(MAX_DELTAS);
        return words.chunks(size).map(|c| c.concat()).collect();
    }
    let chars: Vec<char> = text.chars().collect();
    if chars.len() < 2 {
        return vec![text.to_string()];
    }
    let (a, b) = chars.split_at(chars.len() / 2);
    vec![a.iter().collect(), b.iter().collect()]
}

/// Most deltas one text is split into (longer texts get several words per delta).
pub const MAX_DELTAS: usize = 64;

/// Where events go (a stream, or nowhere for non-streaming chats) and at which pace.
///
/// The pace is kept whether or not anyone reads: a chat takes as long without a client as
/// with one, so its state (`in_progress`, the conversation busy) is the same either way.
#[derive(Debug)]
pub struct Output<'a> {
    sender: Option<&'a mut EventSender>,
    pace: Pace,
}

impl<'a> Output<'a> {
    /// Events to a stream.
    pub fn stream(sender: &'a mut EventSender, pace: Pace) -> Output<'a> {
        Output {
            sender: Some(sender),
            pace,
        }
    }

    /// No events (state changes only), at `pace`.
    pub fn silent(pace: Pace) -> Output<'a> {
        Output { sender: None, pace }
    }

    async fn send(&mut self, frame: Bytes) {
        if let Some(sender) = self.sender.as_deref_mut() {
            sender.send(frame).await;
        }
    }

    async fn pause(&self, pause: Duration) {
        if !pause.is_zero() {
            tokio::time::sleep(pause).await;
        }
    }

    async fn pause_between_deltas(&self) {
        self.pause(self.pace.delta_interval()).await;
    }

    async fn pause_for_first_token(&self) {
        self.pause(self.pace.first_token()).await;
    }
}

/// Sets the chat's status and sends the matching `conversation.chat.*` event, unless the
/// chat was cancelled meanwhile (then returns false).
pub async fn announce_status(
    state: &AppState,
    chat_id: &str,
    status: ChatStatus,
    out: &mut Output<'_>,
) -> bool {
    let chat = {
        let mut store = state.store();
        let Some(chat) = store.chats.get_mut(chat_id) else {
            return false;
        };
        if chat.status == ChatStatus::Canceled {
            return false;
        }
        chat.status = status;
        chat.clone()
    };
    let event = format!("conversation.chat.{}", status.as_str());
    out.send(chat_frame(&event, &chat_json(&chat))).await;
    true
}

/// Applies a bot's reply to the chat, sending events to `out`; ends the stream with `done`.
pub async fn drive(state: &AppState, chat_id: &str, reply: BotReply, out: &mut Output<'_>) {
    drive_steps(state, chat_id, reply, out).await;
    out.send(done_frame()).await;
}

async fn drive_steps(state: &AppState, chat_id: &str, reply: BotReply, out: &mut Output<'_>) {
    let Some(chat) = state.store().chats.get(chat_id).cloned() else {
        return;
    };
    let template = MessageRecord {
        id: String::new(),
        conversation_id: chat.conversation_id.clone(),
        section_id: chat.section_id.clone(),
        bot_id: chat.bot_id.clone(),
        chat_id: chat.id.clone(),
        role: "assistant".into(),
        kind: String::new(),
        content: String::new(),
        content_type: "text".into(),
        reasoning_content: String::new(),
        meta_data: Map::new(),
        created_at: state.now(),
        updated_at: state.now(),
    };
    let make = |kind: &str, content: String| MessageRecord {
        id: state.new_id(),
        kind: kind.to_string(),
        content,
        ..template.clone()
    };
    match reply {
        BotReply::Answer { text, follow_ups } => {
            answer_steps(state, &chat, &make, String::new(), text, follow_ups, 0, out).await;
        }
        BotReply::ReasonedAnswer {
            reasoning,
            text,
            follow_ups,
        } => {
            answer_steps(state, &chat, &make, reasoning, text, follow_ups, 0, out).await;
        }
        BotReply::PluginAnswer {
            calls,
            text,
            follow_ups,
        } => {
            let mut output = 0;
            for call in calls {
                let content = plugin_call_content(&call);
                output += estimate_tokens(&content);
                if !publish_message(state, &chat, make("function_call", content), out).await {
                    return;
                }
                output += estimate_tokens(&call.output);
                let response = make("tool_response", call.output);
                if !publish_message(state, &chat, response, out).await {
                    return;
                }
            }
            answer_steps(
                state,
                &chat,
                &make,
                String::new(),
                text,
                follow_ups,
                output,
                out,
            )
            .await;
        }
        BotReply::ToolCalls(calls) => {
            let mut tool_calls = Vec::new();
            let mut output = 0;
            for call in calls {
                let arguments = call.arguments.to_string();
                let content = json!({
                    "name": call.name,
                    "arguments": call.arguments,
                    "plugin_id": "",
                    "api_id": "",
                    "plugin_type": 0,
                    "thought": "",
                })
                .to_string();
                output += estimate_tokens(&content);
                if !publish_message(state, &chat, make("function_call", content), out).await {
                    return;
                }
                tool_calls.push(ToolCall {
                    id: state.new_id(),
                    name: call.name,
                    arguments,
                });
            }
            finish(
                state,
                chat_id,
                ChatStatus::RequiresAction,
                output.max(1),
                None,
                tool_calls,
                out,
            )
            .await;
        }
        BotReply::Fail { code, msg } => {
            finish(
                state,
                chat_id,
                ChatStatus::Failed,
                0,
                Some((code, msg)),
                Vec::new(),
                out,
            )
            .await;
        }
    }
}

/// Streams an answer in deltas (after its `reasoning`, if any, as `reasoning_content`
/// deltas), publishes it with the `verbose` finish and the follow-ups, and completes the
/// chat; `output` counts tokens already produced in this chat.
#[allow(clippy::too_many_arguments)]
async fn answer_steps(
    state: &AppState,
    chat: &ChatRecord,
    make: &impl Fn(&str, String) -> MessageRecord,
    reasoning: String,
    text: String,
    follow_ups: Vec<String>,
    mut output: i64,
    out: &mut Output<'_>,
) {
    let chat_id = chat.id.as_str();
    let mut answer = make("answer", String::new());
    let thoughts = if reasoning.is_empty() {
        Vec::new()
    } else {
        split_deltas(&reasoning)
    };
    for delta in thoughts {
        if is_canceled(state, chat_id) {
            return;
        }
        answer.reasoning_content = delta;
        out.send(chat_frame(
            "conversation.message.delta",
            &message_json(&answer),
        ))
        .await;
        out.pause_between_deltas().await;
    }
    output += estimate_tokens(&reasoning);
    answer.reasoning_content = String::new();
    let mut produced = String::new();
    for delta in split_deltas(&text) {
        if is_canceled(state, chat_id) {
            keep_partial_answer(state, chat, answer, produced, reasoning, out).await;
            return;
        }
        answer.content = delta;
        out.send(chat_frame(
            "conversation.message.delta",
            &message_json(&answer),
        ))
        .await;
        produced.push_str(&answer.content);
        out.pause_between_deltas().await;
    }
    answer.content = text;
    answer.reasoning_content = reasoning;
    let verbose = make("verbose", verbose_finish());
    output += estimate_tokens(&answer.content);
    let mut messages = vec![answer, verbose];
    for follow_up in follow_ups {
        output += estimate_tokens(&follow_up);
        messages.push(make("follow_up", follow_up));
    }
    for message in messages {
        if !publish_message(state, chat, message, out).await {
            return;
        }
        out.pause_between_deltas().await;
    }
    finish(
        state,
        chat_id,
        ChatStatus::Completed,
        output.max(1),
        None,
        Vec::new(),
        out,
    )
    .await;
}

/// A chat cancelled mid-answer keeps what was produced: the partial answer is stored (when
/// the chat saves history) and closes the stream as `conversation.message.completed`.
async fn keep_partial_answer(
    state: &AppState,
    chat: &ChatRecord,
    mut answer: MessageRecord,
    produced: String,
    reasoning: String,
    out: &mut Output<'_>,
) {
    if produced.is_empty() {
        return;
    }
    answer.content = produced;
    answer.reasoning_content = reasoning;
    answer.updated_at = state.now();
    if chat.auto_save_history {
        state.store().insert_message(answer.clone());
    }
    out.send(chat_frame(
        "conversation.message.completed",
        &message_json(&answer),
    ))
    .await;
}

/// `function_call` content of a plugin tool the bot ran itself, as Coze writes it (numeric
/// ids when they are numbers; `plugin_type` 1 as in Coze's examples of plugin calls).
fn plugin_call_content(call: &PluginCall) -> String {
    let id = |s: &str| s.parse::<i64>().map_or_else(|_| json!(s), |n| json!(n));
    json!({
        "name": call.name,
        "arguments": call.arguments,
        "plugin_id": id(&call.plugin_id),
        "api_id": id(&call.api_id),
        "plugin_type": 1,
        "thought": "",
    })
    .to_string()
}

/// `verbose` content marking the end of the answers.
fn verbose_finish() -> String {
    json!({
        "msg_type": "generate_answer_finish",
        "data": "{\"finish_reason\":0,\"FinData\":\"\"}",
        "from_module": null,
        "from_unit": null,
    })
    .to_string()
}

fn is_canceled(state: &AppState, chat_id: &str) -> bool {
    state
        .store()
        .chats
        .get(chat_id)
        .is_none_or(|c| c.status == ChatStatus::Canceled)
}

/// Stores a finished message (when the chat saves history) and sends
/// `conversation.message.completed`; false if the chat was cancelled.
async fn publish_message(
    state: &AppState,
    chat: &ChatRecord,
    message: MessageRecord,
    out: &mut Output<'_>,
) -> bool {
    {
        let mut store = state.store();
        if store
            .chats
            .get(&chat.id)
            .is_none_or(|c| c.status == ChatStatus::Canceled)
        {
            return false;
        }
        if chat.auto_save_history {
            store.insert_message(message.clone());
        }
    }
    out.send(chat_frame(
        "conversation.message.completed",
        &message_json(&message),
    ))
    .await;
    true
}

async fn finish(
    state: &AppState,
    chat_id: &str,
    status: ChatStatus,
    output_count: i64,
    error: Option<(i64, String)>,
    tool_calls: Vec<ToolCall>,
    out: &mut Output<'_>,
) {
    let now = state.now();
    {
        let mut store = state.store();
        let Some(chat) = store.chats.get_mut(chat_id) else {
            return;
        };
        if chat.status == ChatStatus::Canceled {
            return;
        }
        chat.usage = Usage {
            input_count: chat.usage.input_count,
            output_count: chat.usage.output_count + output_count,
        };
        match status {
            ChatStatus::Completed => chat.completed_at = Some(now),
            ChatStatus::Failed => chat.failed_at = Some(now),
            _ => {}
        }
        chat.last_error = error;
        chat.required_action = tool_calls;
    }
    announce_status(state, chat_id, status, out).await;
}

/// Runs a streamed chat to its end: `created` (unless `resumed`), `in_progress`, the
/// first-token delay, the bot's reply at the pace, `done`.
pub async fn run_stream(state: AppState, ctx: ChatContext, resumed: bool, mut sender: EventSender) {
    let pace = state.pace();
    let mut out = Output::stream(&mut sender, pace);
    run(&state, &ctx, resumed, &mut out).await;
}

/// Runs a non-streamed chat the same way, without events: it stays `in_progress` until its
/// answer is done.
pub async fn run_background(state: AppState, ctx: ChatContext) {
    let pace = state.pace();
    run(&state, &ctx, true, &mut Output::silent(pace)).await;
}

async fn run(state: &AppState, ctx: &ChatContext, resumed: bool, out: &mut Output<'_>) {
    if !resumed && !announce_status(state, &ctx.chat_id, ChatStatus::Created, out).await {
        out.send(done_frame()).await;
        return;
    }
    if !announce_status(state, &ctx.chat_id, ChatStatus::InProgress, out).await {
        out.send(done_frame()).await;
        return;
    }
    out.pause_for_first_token().await;
    if is_canceled(state, &ctx.chat_id) {
        out.send(done_frame()).await;
        return;
    }
    let reply = respond(state, ctx).await;
    drive(state, &ctx.chat_id, reply, out).await;
}

/// At the `instant` pace a non-streaming chat finishes within a moment of its creation: a
/// retrieve waits that moment (at most 50 ms) so it sees the result, as the pace promises.
pub async fn settle_instant(state: &AppState, chat_id: &str) {
    if state.pace() != Pace::Instant {
        return;
    }
    for _ in 0..50 {
        let running = state
            .store()
            .chats
            .get(chat_id)
            .is_some_and(|c| c.status.is_running());
        if !running {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

async fn respond(state: &AppState, ctx: &ChatContext) -> BotReply {
    let behavior = state
        .store()
        .bots
        .get(&ctx.bot_id)
        .map(|b| b.behavior.clone());
    match behavior {
        Some(behavior) => behavior.respond(ctx).await,
        None => BotReply::Fail {
            code: 4200,
            msg: format!("bot {} no longer exists", ctx.bot_id),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_concatenate_and_are_several() {
        for text in [
            "You said: \"hello there\".",
            "ab",
            "x",
            "",
            "一二三四",
            "a b c d e f g h i j k l m n o p q r",
            "line\n\n- item\n```text\ncode\n```",
        ] {
            let deltas = split_deltas(text);
            assert_eq!(deltas.concat(), text);
            if text.chars().count() >= 2 {
                assert!(deltas.len() >= 2, "{text:?} -> {deltas:?}");
            }
            assert!(deltas.len() <= MAX_DELTAS);
        }
        let long = "word ".repeat(1000);
        assert_eq!(split_deltas(&long).len(), 63);
        assert_eq!(split_deltas("one two three").len(), 3);
    }

    #[test]
    fn token_estimate() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("a"), 1);
        assert_eq!(estimate_tokens("abcdefgh"), 2);
    }
}
