//! Chat v3: `client.chat()`.

use std::time::Duration;

use serde::Serialize;

use crate::client::{ApiRequest, Client};
use crate::error::{Error, Result};
use crate::ids::{ChatId, ConversationId};
use crate::stream::{EventStream, StreamEvent};
use crate::types::chat::{Chat, ChatEvent, ChatPoll, ChatRequest, ChatStatus, ToolOutput};
use crate::types::messages::Message;

/// Chat endpoints. Get one with [`Client::chat`].
#[derive(Debug, Clone, Copy)]
pub struct ChatApi<'c> {
    client: &'c Client,
}

/// How `create_and_poll` waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PollOptions {
    /// Time between retrieves (Coze asks for at most one per second).
    pub interval: Duration,
    /// Give up (and cancel the chat) after this long; `None` waits forever.
    pub timeout: Option<Duration>,
}

impl Default for PollOptions {
    fn default() -> Self {
        Self {
            interval: Duration::from_secs(1),
            timeout: None,
        }
    }
}

impl PollOptions {
    /// Poll every second, no timeout.
    pub fn new() -> Self {
        Self::default()
    }
    /// Sets the timeout after which the chat is cancelled.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// Sets the poll interval.
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }
}

#[derive(Serialize)]
struct SubmitBody<'a> {
    tool_outputs: &'a [ToolOutput],
    stream: bool,
}

#[derive(Serialize)]
struct CancelBody<'a> {
    conversation_id: &'a ConversationId,
    chat_id: &'a ChatId,
}

impl Client {
    /// Chat v3: stream, create, poll, cancel, tool outputs.
    pub fn chat(&self) -> ChatApi<'_> {
        ChatApi::new(self)
    }
}

impl<'c> ChatApi<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    fn chat_request(req: &ChatRequest) -> Result<ApiRequest> {
        req.validate()?;
        let mut api = ApiRequest::post("/v3/chat");
        if let Some(id) = &req.conversation_id {
            api = api.query("conversation_id", id.as_str());
        }
        api.json(req)
    }

    /// Starts a chat and streams its events as they arrive.
    ///
    /// # Errors
    ///
    /// API errors answered in place of the stream (4015 unpublished bot, 4016 busy
    /// conversation, 4100 bad token, ...), transport errors, an empty message. Errors during
    /// the stream arrive as items of the [`ChatStream`].
    pub async fn stream(&self, mut req: ChatRequest) -> Result<ChatStream> {
        req.stream = true;
        let sse = self.client.send_stream(Self::chat_request(&req)?).await?;
        Ok(ChatStream::new(sse))
    }

    /// Starts a chat without streaming; Coze answers at once, usually `in_progress`.
    /// Use [`retrieve`](Self::retrieve) or [`create_and_poll`](Self::create_and_poll) to wait.
    ///
    /// # Errors
    ///
    /// API and transport errors, an empty message.
    pub async fn create(&self, mut req: ChatRequest) -> Result<Chat> {
        req.stream = false;
        req.auto_save_history = true;
        self.client.send(Self::chat_request(&req)?).await
    }

    /// Starts a chat and polls until it leaves `created`/`in_progress`, then fetches its
    /// messages. A `requires_action` chat is returned as is, so its tool calls can be answered.
    /// On timeout the chat is cancelled and [`Error::PollTimeout`] returned.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create) and [`retrieve`](Self::retrieve), plus
    /// [`Error::PollTimeout`].
    pub async fn create_and_poll(
        &self,
        req: ChatRequest,
        options: PollOptions,
    ) -> Result<ChatPoll> {
        let chat = self.create(req).await?;
        self.poll(chat, options).await
    }

    /// Polls an existing chat like [`create_and_poll`](Self::create_and_poll).
    ///
    /// # Errors
    ///
    /// As [`create_and_poll`](Self::create_and_poll).
    pub async fn poll(&self, mut chat: Chat, options: PollOptions) -> Result<ChatPoll> {
        let started = tokio::time::Instant::now();
        while chat.status.is_running() {
            if let Some(timeout) = options.timeout
                && started.elapsed() >= timeout
            {
                match self.cancel(&chat.conversation_id, &chat.id).await {
                    Ok(_) => {}
                    // 4104: it finished meanwhile; fall through to one more retrieve.
                    Err(e) if e.code() == Some(4104) => {}
                    Err(e) => return Err(e),
                }
                chat = self.retrieve(&chat.conversation_id, &chat.id).await?;
                if chat.status.is_running() || chat.status == ChatStatus::Canceled {
                    return Err(Error::PollTimeout {
                        conversation_id: chat.conversation_id,
                        chat_id: chat.id,
                        timeout,
                    });
                }
                break;
            }
            let mut wait = options.interval;
            if let Some(timeout) = options.timeout {
                wait = wait.min(timeout.saturating_sub(started.elapsed()));
            }
            tokio::time::sleep(wait).await;
            chat = self.retrieve(&chat.conversation_id, &chat.id).await?;
        }
        let messages = self.messages(&chat.conversation_id, &chat.id).await?;
        Ok(ChatPoll { chat, messages })
    }

    /// The current state of a chat.
    ///
    /// # Errors
    ///
    /// API and transport errors (4200 when the chat does not exist).
    pub async fn retrieve(
        &self,
        conversation_id: &ConversationId,
        chat_id: &ChatId,
    ) -> Result<Chat> {
        let req = ApiRequest::get("/v3/chat/retrieve")
            .query("conversation_id", conversation_id.as_str())
            .query("chat_id", chat_id.as_str());
        self.client.send(req).await
    }

    /// The messages a chat produced (answer, function calls, tool responses, follow-ups,
    /// verbose), without the user's question.
    ///
    /// # Errors
    ///
    /// API and transport errors.
    pub async fn messages(
        &self,
        conversation_id: &ConversationId,
        chat_id: &ChatId,
    ) -> Result<Vec<Message>> {
        let req = ApiRequest::get("/v3/chat/message/list")
            .query("conversation_id", conversation_id.as_str())
            .query("chat_id", chat_id.as_str());
        let list: Option<Vec<Message>> = self.client.send(req).await?;
        Ok(list.unwrap_or_default())
    }

    /// Cancels a running chat. An already-open stream keeps going; drop it to stop reading.
    ///
    /// # Errors
    ///
    /// API errors (4104 when the chat already finished), transport errors.
    pub async fn cancel(&self, conversation_id: &ConversationId, chat_id: &ChatId) -> Result<Chat> {
        let body = CancelBody {
            conversation_id,
            chat_id,
        };
        let req = ApiRequest::post("/v3/chat/cancel")
            .json(&body)?
            .idempotent(true);
        self.client.send(req).await
    }

    fn submit_request(
        conversation_id: &ConversationId,
        chat_id: &ChatId,
        outputs: &[ToolOutput],
        stream: bool,
    ) -> Result<ApiRequest> {
        if outputs.is_empty() {
            return Err(Error::InvalidRequest(
                "no tool outputs: answer every tool call of the chat".into(),
            ));
        }
        ApiRequest::post("/v3/chat/submit_tool_outputs")
            .query("conversation_id", conversation_id.as_str())
            .query("chat_id", chat_id.as_str())
            .json(&SubmitBody {
                tool_outputs: outputs,
                stream,
            })
    }

    /// Answers the tool calls of a `requires_action` chat; the chat continues without
    /// streaming (poll it with [`poll`](Self::poll)).
    ///
    /// # Errors
    ///
    /// API and transport errors, an empty output list.
    pub async fn submit_tool_outputs(
        &self,
        conversation_id: &ConversationId,
        chat_id: &ChatId,
        outputs: Vec<ToolOutput>,
    ) -> Result<Chat> {
        let req = Self::submit_request(conversation_id, chat_id, &outputs, false)?;
        self.client.send(req).await
    }

    /// Answers the tool calls of a `requires_action` chat and streams the continuation.
    ///
    /// # Errors
    ///
    /// As [`submit_tool_outputs`](Self::submit_tool_outputs); stream errors arrive as items.
    pub async fn submit_tool_outputs_stream(
        &self,
        conversation_id: &ConversationId,
        chat_id: &ChatId,
        outputs: Vec<ToolOutput>,
    ) -> Result<ChatStream> {
        let req = Self::submit_request(conversation_id, chat_id, &outputs, true)?;
        let sse = self.client.send_stream(req).await?;
        Ok(ChatStream::new(sse))
    }
}

/// The typed events of a streaming chat: an [`EventStream`] of [`ChatEvent`].
///
/// Yields events until `done` (which is yielded, then the stream ends). An `error` event, a
/// malformed or oversized event, the idle timeout, or a connection that breaks before the
/// chat finished ends the stream with one `Err` item, after every event that arrived. A
/// stream that closes after `completed`, `failed` or `requires_action` without `done` ends
/// normally. The rules are those of [`crate::stream`].
pub type ChatStream = EventStream<ChatEvent>;

impl StreamEvent for ChatEvent {
    fn parse(event: &str, data: &str) -> Result<Self> {
        ChatEvent::parse(event, data)
    }

    fn is_terminal(&self) -> bool {
        ChatEvent::is_terminal(self)
    }

    fn is_last(&self) -> bool {
        matches!(self, ChatEvent::Done { .. })
    }
}
