//! `POST /api/chat`: one message to the bot, the answer streamed back to the page as SSE;
//! `POST /api/chat/cancel`: Stop.
//!
//! The page's events (each `data` a JSON object): `chat {chat_id, conversation_id}`,
//! `title {title}`, `reasoning {text}` (a delta), `delta {text}`, `answer {text}` (the whole
//! answer), `follow_up {text}`, `tool {name, available}`, `error {message}`, `done {status}`.
//! When the page goes away mid-answer (Stop, closed tab), the Coze chat is cancelled.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::response::sse::{Event, KeepAlive, Sse};
use coze_sdk::{
    BotId, ChatEvent, ChatId, ChatRequest, ChatStream, ContentPart, ConversationId, EnterMessage,
    MessageType, ToolOutput,
};
use futures_util::StreamExt as _;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use super::api::{ConvEntry, FileEntry, files_key, now};
use super::error::{Lang, WebError};
use super::{Peer, WebState, client_ip, with_cookie};

/// Most tool-call rounds of one message (a bot that keeps calling tools is stopped).
const MAX_TOOL_ROUNDS: usize = 5;
/// Largest tool output submitted to Coze (bytes).
const MAX_TOOL_OUTPUT: usize = 64 * 1024;

#[derive(Deserialize)]
pub struct ChatBody {
    conversation_id: Option<String>,
    #[serde(default)]
    text: String,
    #[serde(default)]
    files: Vec<FileRefBody>,
}

#[derive(Deserialize)]
pub struct FileRefBody {
    id: String,
}

/// `POST /api/chat`.
pub async fn chat(
    State(state): State<WebState>,
    headers: HeaderMap,
    Peer(peer): Peer,
    body: Result<Json<ChatBody>, JsonRejection>,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let visitor = state.visitor(&headers).await?;
    let Json(body) = body.map_err(|_| {
        WebError::bad_request("send JSON: {\"conversation_id\": \"...\", \"text\": \"...\"}")
    })?;
    let s = state.settings();
    let text = body.text.trim().to_owned();
    if text.is_empty() && body.files.is_empty() {
        return Err(WebError::bad_request(
            lang.pick("The message is empty.".into(), "消息是空的。".into()),
        ));
    }
    let chars = text.chars().count();
    if chars > s.max_message_chars {
        return Err(WebError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "message_too_long",
            lang.pick(
                format!(
                    "Your message is too long: {chars} characters, {} at most.",
                    s.max_message_chars
                ),
                format!(
                    "消息太长：{chars} 个字符，最多 {} 个。",
                    s.max_message_chars
                ),
            ),
        ));
    }
    if body.files.len() > 10 {
        return Err(WebError::bad_request(lang.pick(
            "Attach at most 10 files to one message.".into(),
            "一条消息最多附带 10 个文件。".into(),
        )));
    }
    let conversation_id = body
        .conversation_id
        .ok_or_else(|| WebError::not_found(lang, "conversation"))?;
    let mut conv = state
        .conversation(&visitor.id, &conversation_id, lang)
        .await?;
    let ip = client_ip(&headers, peer, s.trust_forwarded);
    state
        .limit(
            &format!("web:rl:msg:{}", visitor.id),
            s.visitor_per_minute,
            lang,
        )
        .await?;
    state
        .limit(&format!("web:rl:msgip:{ip}"), s.ip_per_minute, lang)
        .await?;
    let mut parts = Vec::new();
    for file in &body.files {
        let entry: FileEntry = state
            .store()
            .map_get_json(&files_key(&visitor.id), &file.id)
            .await
            .ok()
            .flatten()
            .ok_or_else(|| WebError::not_found(lang, "file"))?;
        parts.push(if entry.kind == "image" {
            ContentPart::image_id(file.id.as_str())
        } else {
            ContentPart::file_id(file.id.as_str())
        });
    }
    let message = if parts.is_empty() {
        EnterMessage::user(text.clone())
    } else {
        if !text.is_empty() {
            parts.insert(0, ContentPart::text(text.clone()));
        }
        EnterMessage::user_parts(parts)
    };
    let request = ChatRequest::new(BotId::new(&conv.bot_id), visitor.id.clone())
        .conversation(ConversationId::new(&conv.id))
        .message(message);
    let stream = state
        .coze()
        .chat()
        .stream(request)
        .await
        .map_err(|e| WebError::from_coze(lang, "chat", &e))?;

    let mut title_event = None;
    if conv.title.is_empty() {
        let attachment = lang.pick("Attachment".into(), "附件".into());
        let source = if text.is_empty() {
            attachment.as_str()
        } else {
            text.as_str()
        };
        let mut title: String = source
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .take(40)
            .collect();
        if source.chars().count() > 40 {
            title.push('…');
        }
        conv.title = title.trim().to_owned();
        title_event = Some(conv.title.clone());
    }
    conv.updated_at = now();
    state.save_conversation(&visitor.id, &conv, lang).await?;

    let (tx, rx) = mpsc::channel::<Event>(64);
    if let Some(title) = title_event {
        let _ = tx.try_send(event("title", json!({"title": title})));
    }
    let relay = Relay {
        state: state.clone(),
        tx,
        conv,
        user_id: visitor.id.clone(),
        lang,
        chat_id: None,
    };
    tokio::spawn(relay.run(stream));
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|e| (Ok::<_, Infallible>(e), rx))
    });
    let sse = Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)));
    Ok(with_cookie(&visitor, sse))
}

fn event(name: &str, data: Value) -> Event {
    Event::default().event(name).data(data.to_string())
}

struct Relay {
    state: WebState,
    tx: mpsc::Sender<Event>,
    conv: ConvEntry,
    user_id: String,
    lang: Lang,
    chat_id: Option<String>,
}

enum Step {
    /// The stream ended (done, completed, failed, error).
    Finished,
    /// The page went away.
    Gone,
    /// The bot asked for tools: the continuation stream.
    Continue(Box<ChatStream>),
}

impl Relay {
    async fn send(&self, name: &str, data: Value) -> bool {
        self.tx.send(event(name, data)).await.is_ok()
    }

    async fn run(mut self, mut stream: ChatStream) {
        let mut rounds = 0;
        let page = self.tx.clone();
        loop {
            let step = tokio::select! {
                step = self.relay(&mut stream) => step,
                () = page.closed() => Step::Gone,
            };
            match step {
                Step::Finished => return,
                Step::Gone => {
                    self.cancel().await;
                    return;
                }
                Step::Continue(next) => {
                    rounds += 1;
                    stream = *next;
                    if rounds > MAX_TOOL_ROUNDS {
                        tracing::warn!(target: "coze_gateway::web", conversation_id = self.conv.id.as_str(), "the bot kept calling tools; stopped");
                        self.cancel().await;
                        self.fail().await;
                        return;
                    }
                }
            }
        }
    }

    async fn cancel(&self) {
        let Some(chat_id) = &self.chat_id else {
            return;
        };
        let result = self
            .state
            .coze()
            .chat()
            .cancel(&ConversationId::new(&self.conv.id), &ChatId::new(chat_id))
            .await;
        if let Err(e) = result
            && e.code() != Some(4104)
        {
            tracing::info!(target: "coze_gateway::web", code = e.code(), logid = e.logid().unwrap_or(""), error = %e, "cancel after the page went away failed");
        }
    }

    async fn fail(&self) {
        let message = self.lang.pick(
            "The bot could not answer. Please try again.".into(),
            "智能体没能回答，请重试。".into(),
        );
        let _ = self.send("error", json!({"message": message})).await;
        let _ = self.send("done", json!({"status": "failed"})).await;
    }

    async fn relay(&mut self, stream: &mut ChatStream) -> Step {
        while let Some(item) = stream.next().await {
            let ev = match item {
                Ok(ev) => ev,
                Err(e) => {
                    tracing::warn!(target: "coze_gateway::web", code = e.code(), logid = e.logid().or(stream.logid()).unwrap_or(""), error = %e, "the chat stream broke");
                    self.fail().await;
                    return Step::Finished;
                }
            };
            let alive = match ev {
                ChatEvent::ChatCreated(chat) | ChatEvent::ChatInProgress(chat)
                    if self.chat_id.as_deref() != Some(chat.id.as_str()) =>
                {
                    self.chat_id = Some(chat.id.as_str().to_owned());
                    self.send(
                        "chat",
                        json!({"chat_id": chat.id.as_str(), "conversation_id": self.conv.id}),
                    )
                    .await
                }
                ChatEvent::MessageDelta(m) if m.kind == MessageType::Answer => {
                    let mut ok = true;
                    if !m.reasoning_content.is_empty() {
                        ok = self
                            .send("reasoning", json!({"text": m.reasoning_content}))
                            .await;
                    }
                    if ok && !m.content.is_empty() {
                        ok = self.send("delta", json!({"text": m.content})).await;
                    }
                    ok
                }
                ChatEvent::MessageCompleted(m) => match m.kind {
                    MessageType::Answer => self.send("answer", json!({"text": m.content})).await,
                    MessageType::FollowUp => {
                        self.send("follow_up", json!({"text": m.content})).await
                    }
                    _ => true,
                },
                ChatEvent::ChatFailed(chat) => {
                    let (code, msg) = chat
                        .error()
                        .map(|e| (e.code.get(), e.msg.clone()))
                        .unwrap_or_default();
                    tracing::warn!(target: "coze_gateway::web", code, msg, logid = stream.logid().unwrap_or(""), chat_id = chat.id.as_str(), "the chat failed");
                    self.fail().await;
                    return Step::Finished;
                }
                ChatEvent::ChatCompleted(_) => true,
                ChatEvent::ChatRequiresAction(chat) => {
                    let calls = chat.tool_calls().to_vec();
                    let mut outputs = Vec::with_capacity(calls.len());
                    for call in calls {
                        let (output, available) = self
                            .run_tool(&call.function.name, &call.function.arguments)
                            .await;
                        if !self
                            .send(
                                "tool",
                                json!({"name": call.function.name, "available": available}),
                            )
                            .await
                        {
                            return Step::Gone;
                        }
                        outputs.push(ToolOutput::new(call.id.clone(), output));
                    }
                    let next = self
                        .state
                        .coze()
                        .chat()
                        .submit_tool_outputs_stream(
                            &ConversationId::new(&self.conv.id),
                            &chat.id,
                            outputs,
                        )
                        .await;
                    return match next {
                        Ok(next) => Step::Continue(Box::new(next)),
                        Err(e) => {
                            tracing::warn!(target: "coze_gateway::web", code = e.code(), logid = e.logid().unwrap_or(""), error = %e, "submitting tool outputs failed");
                            self.fail().await;
                            Step::Finished
                        }
                    };
                }
                ChatEvent::Done { .. } => {
                    let _ = self.send("done", json!({"status": "completed"})).await;
                    return Step::Finished;
                }
                _ => true,
            };
            if !alive {
                return Step::Gone;
            }
        }
        let _ = self.send("done", json!({"status": "completed"})).await;
        Step::Finished
    }

    /// Runs one tool call through the operator's handler; `(output, handled)`.
    async fn run_tool(&self, name: &str, arguments: &str) -> (String, bool) {
        let Some(handler) = self.state.settings().tools.get(name) else {
            tracing::info!(target: "coze_gateway::web", tool = name, "the bot called a tool with no [web.tools] handler");
            return (unavailable(name), false);
        };
        let arguments: Value =
            serde_json::from_str(arguments).unwrap_or_else(|_| Value::String(arguments.to_owned()));
        let mut request = self
            .state
            .inner
            .http
            .post(&handler.url)
            .timeout(Duration::from_secs(handler.timeout_seconds.unwrap_or(30)))
            .json(&json!({
                "name": name,
                "arguments": arguments,
                "conversation_id": self.conv.id,
                "user_id": self.user_id,
            }));
        if let Some(token) = &handler.token {
            request = request.bearer_auth(token.expose());
        }
        let answer = match request.send().await {
            Ok(r) if r.status().is_success() => r.text().await.ok(),
            Ok(r) => {
                tracing::warn!(target: "coze_gateway::web", tool = name, status = r.status().as_u16(), "the tool handler answered with an error status");
                None
            }
            Err(e) => {
                tracing::warn!(target: "coze_gateway::web", tool = name, error = %e, "the tool handler did not answer");
                None
            }
        };
        match answer {
            Some(mut text) => {
                if text.len() > MAX_TOOL_OUTPUT {
                    let mut cut = MAX_TOOL_OUTPUT;
                    while !text.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    text.truncate(cut);
                }
                (text, true)
            }
            None => (
                json!({"error": "tool_failed", "message": format!("the tool {name} failed on this site")})
                    .to_string(),
                true,
            ),
        }
    }
}

/// The documented output of a tool with no handler.
pub fn unavailable(name: &str) -> String {
    json!({
        "error": "tool_unavailable",
        "message": format!("the tool {name} is not available on this site"),
    })
    .to_string()
}

#[derive(Deserialize)]
pub struct CancelBody {
    conversation_id: String,
    chat_id: String,
}

/// `POST /api/chat/cancel` `{"conversation_id","chat_id"}`.
pub async fn cancel(
    State(state): State<WebState>,
    headers: HeaderMap,
    body: Result<Json<CancelBody>, JsonRejection>,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let visitor = state.visitor(&headers).await?;
    let Json(body) = body.map_err(|_| {
        WebError::bad_request("send JSON: {\"conversation_id\": \"...\", \"chat_id\": \"...\"}")
    })?;
    state
        .conversation(&visitor.id, &body.conversation_id, lang)
        .await?;
    let result = state
        .coze()
        .chat()
        .cancel(
            &ConversationId::new(&body.conversation_id),
            &ChatId::new(&body.chat_id),
        )
        .await;
    let status = match result {
        Ok(chat) => chat.status.as_str().to_owned(),
        // Already finished: nothing to stop.
        Err(e) if e.code() == Some(4104) => "finished".to_owned(),
        Err(e) => return Err(WebError::from_coze(lang, "chat cancel", &e)),
    };
    Ok(with_cookie(&visitor, Json(json!({"status": status}))))
}
