//! From Coze's chat events to OpenAI chunks and completions, without I/O.
//!
//! Feed a [`Mapper`] every item of a Coze chat stream ([`Mapper::event`], [`Mapper::error`])
//! and its end ([`Mapper::end`]); it returns the chunks to send. The same mapper aggregates a
//! non-streaming answer ([`Mapper::completion`]).
//!
//! - Answer deltas become `delta.content`, `reasoning_content` becomes
//!   `delta.reasoning_content`. An answer message that arrives whole (no deltas) is sent as
//!   one delta; a second answer message in the same chat is separated by a blank line.
//! - `conversation.chat.completed` ends with `finish_reason: "stop"`; `requires_action` with
//!   the tool calls in one chunk and `finish_reason: "tool_calls"`. The chunk with
//!   `finish_reason` carries the `coze` extension (conversation id, chat id, follow-ups).
//!   With `include_usage`, a last chunk with `choices: []` and Coze's real usage follows.
//! - A failed chat, an `error` event, a broken or cut stream, or a `done` before the chat
//!   finished end the stream with one error chunk `{"error": {...}}` (the shape the `openai`
//!   SDKs raise as an `APIError`), after everything that arrived.

use coze_sdk::{ChatEvent, MessageType};

use super::error::ApiError;
use super::types::{
    ChatCompletion, ChatCompletionChunk, Choice, ChunkChoice, CozeExtension, Delta, FinishReason,
    FunctionCall, ResponseMessage, Role, ToolCall, Usage,
};

/// What the mapper asks the caller to send.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// A chunk (`data: {...}`).
    Chunk(ChatCompletionChunk),
    /// The error chunk that ends the stream.
    Error(ApiError),
}

/// How a chat ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Completed.
    Stop,
    /// Waits for tool outputs.
    ToolCalls,
    /// Failed, errored or cut.
    Error(ApiError),
}

/// See the module docs.
#[derive(Debug)]
pub struct Mapper {
    id: String,
    created: i64,
    model: String,
    include_usage: bool,
    emit: bool,
    role_sent: bool,
    conversation_id: String,
    chat_id: String,
    follow_ups: Vec<String>,
    answers_seen: Vec<String>,
    last_answer: Option<String>,
    text: String,
    reasoning: String,
    tool_calls: Vec<ToolCall>,
    usage: Usage,
    outcome: Option<Outcome>,
}

impl Mapper {
    /// A mapper for a streamed answer (`emit` true) or an aggregated one (`emit` false: no
    /// chunks are built).
    pub fn new(id: String, created: i64, model: String, include_usage: bool, emit: bool) -> Self {
        Mapper {
            id,
            created,
            model,
            include_usage,
            emit,
            role_sent: false,
            conversation_id: String::new(),
            chat_id: String::new(),
            follow_ups: Vec::new(),
            answers_seen: Vec::new(),
            last_answer: None,
            text: String::new(),
            reasoning: String::new(),
            tool_calls: Vec::new(),
            usage: Usage::default(),
            outcome: None,
        }
    }

    /// Presets the ids (a continued tool-call chat knows them before its first event).
    pub fn with_ids(mut self, conversation_id: &str, chat_id: &str) -> Self {
        self.conversation_id = conversation_id.to_owned();
        self.chat_id = chat_id.to_owned();
        self
    }

    /// The Coze conversation, once known.
    pub fn conversation_id(&self) -> &str {
        &self.conversation_id
    }

    /// The Coze chat, once known.
    pub fn chat_id(&self) -> &str {
        &self.chat_id
    }

    /// How the chat ended, once it did.
    pub fn outcome(&self) -> Option<&Outcome> {
        self.outcome.as_ref()
    }

    /// The answer text so far.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The tool calls of a `requires_action` chat.
    pub fn tool_calls(&self) -> &[ToolCall] {
        &self.tool_calls
    }

    fn chunk(&self, delta: Delta, finish: Option<FinishReason>) -> ChatCompletionChunk {
        ChatCompletionChunk {
            id: self.id.clone(),
            object: "chat.completion.chunk".into(),
            created: self.created,
            model: self.model.clone(),
            choices: vec![ChunkChoice {
                index: 0,
                delta,
                finish_reason: finish,
                logprobs: None,
            }],
            usage: None,
            coze: None,
        }
    }

    fn extension(&self) -> CozeExtension {
        CozeExtension {
            conversation_id: self.conversation_id.clone(),
            chat_id: self.chat_id.clone(),
            follow_ups: self.follow_ups.clone(),
        }
    }

    fn role_chunk(&mut self, out: &mut Vec<Out>) {
        if !self.role_sent {
            self.role_sent = true;
            if self.emit {
                let delta = Delta {
                    role: Some(Role::Assistant),
                    content: Some(String::new()),
                    ..Delta::default()
                };
                out.push(Out::Chunk(self.chunk(delta, None)));
            }
        }
    }

    fn note_ids(&mut self, conversation_id: &str, chat_id: &str) {
        if self.conversation_id.is_empty() && !conversation_id.is_empty() {
            self.conversation_id = conversation_id.to_owned();
        }
        if self.chat_id.is_empty() && !chat_id.is_empty() {
            self.chat_id = chat_id.to_owned();
        }
    }

    fn content(&mut self, message_id: &str, content: &str, reasoning: &str, out: &mut Vec<Out>) {
        let mut content = content.to_owned();
        if !content.is_empty() && self.last_answer.as_deref() != Some(message_id) {
            if self.last_answer.is_some() && !self.text.is_empty() {
                content.insert_str(0, "\n\n");
            }
            self.last_answer = Some(message_id.to_owned());
        }
        if !self.answers_seen.iter().any(|id| id == message_id) {
            self.answers_seen.push(message_id.to_owned());
        }
        self.text.push_str(&content);
        self.reasoning.push_str(reasoning);
        if self.emit && (!content.is_empty() || !reasoning.is_empty()) {
            let delta = Delta {
                content: (!content.is_empty()).then_some(content),
                reasoning_content: (!reasoning.is_empty()).then(|| reasoning.to_owned()),
                ..Delta::default()
            };
            out.push(Out::Chunk(self.chunk(delta, None)));
        }
    }

    fn finish(&mut self, reason: FinishReason, usage: Option<coze_sdk::Usage>, out: &mut Vec<Out>) {
        if let Some(u) = usage {
            self.usage = u.into();
        }
        self.outcome = Some(match reason {
            FinishReason::Stop => Outcome::Stop,
            FinishReason::ToolCalls => Outcome::ToolCalls,
        });
        if !self.emit {
            return;
        }
        let delta = if reason == FinishReason::ToolCalls {
            Delta {
                tool_calls: Some(self.tool_calls.clone()),
                ..Delta::default()
            }
        } else {
            Delta::default()
        };
        let mut last = self.chunk(delta, Some(reason));
        last.coze = Some(self.extension());
        out.push(Out::Chunk(last));
        if self.include_usage {
            let mut usage = self.chunk(Delta::default(), None);
            usage.choices.clear();
            usage.usage = Some(self.usage);
            out.push(Out::Chunk(usage));
        }
    }

    fn fail(&mut self, e: ApiError, out: &mut Vec<Out>) {
        self.outcome = Some(Outcome::Error(e.clone()));
        if self.emit {
            out.push(Out::Error(e));
        }
    }

    /// Maps one event; nothing after the chat ended.
    pub fn event(&mut self, ev: ChatEvent) -> Vec<Out> {
        let mut out = Vec::new();
        if self.outcome.is_some() {
            return out;
        }
        match ev {
            ChatEvent::ChatCreated(chat) | ChatEvent::ChatInProgress(chat) => {
                self.note_ids(chat.conversation_id.as_str(), chat.id.as_str());
                self.role_chunk(&mut out);
            }
            ChatEvent::MessageDelta(m) => {
                self.note_ids(m.conversation_id.as_str(), m.chat_id.as_str());
                if m.kind == MessageType::Answer {
                    self.role_chunk(&mut out);
                    self.content(m.id.as_str(), &m.content, &m.reasoning_content, &mut out);
                }
            }
            ChatEvent::MessageCompleted(m) => match m.kind {
                MessageType::Answer if !self.answers_seen.iter().any(|id| id == m.id.as_str()) => {
                    self.role_chunk(&mut out);
                    self.content(m.id.as_str(), &m.content, &m.reasoning_content, &mut out);
                }
                MessageType::FollowUp if !m.content.trim().is_empty() => {
                    self.follow_ups.push(m.content);
                }
                _ => {}
            },
            ChatEvent::ChatCompleted(chat) => {
                self.note_ids(chat.conversation_id.as_str(), chat.id.as_str());
                self.role_chunk(&mut out);
                self.finish(FinishReason::Stop, chat.usage, &mut out);
            }
            ChatEvent::ChatRequiresAction(chat) => {
                self.note_ids(chat.conversation_id.as_str(), chat.id.as_str());
                self.role_chunk(&mut out);
                self.tool_calls = chat
                    .tool_calls()
                    .iter()
                    .enumerate()
                    .map(|(i, c)| ToolCall {
                        index: Some(i as u32),
                        id: c.id.as_str().to_owned(),
                        kind: "function".into(),
                        function: FunctionCall {
                            name: c.function.name.clone(),
                            arguments: c.function.arguments.clone(),
                        },
                    })
                    .collect();
                if self.tool_calls.is_empty() {
                    self.fail(
                        ApiError::upstream(
                            "Coze paused the chat for an action without naming a tool call: \
                             send the message again",
                        )
                        .code("coze_empty_action"),
                        &mut out,
                    );
                } else {
                    self.finish(FinishReason::ToolCalls, chat.usage, &mut out);
                }
            }
            ChatEvent::ChatFailed(chat) => {
                let (code, msg) = chat
                    .last_error
                    .as_ref()
                    .map(|e| (e.code.get(), e.msg.clone()))
                    .unwrap_or((0, String::new()));
                let e = if code == 0 {
                    ApiError::upstream("the Coze chat failed without an error code: retry later")
                        .code("coze_chat_failed")
                } else {
                    ApiError::from_coze_code(code, &msg, None)
                };
                self.fail(e, &mut out);
            }
            ChatEvent::Done { .. } => {
                self.fail(
                    ApiError::upstream(
                        "Coze ended the chat stream before the chat finished (it may have been \
                         cancelled): send the message again",
                    )
                    .code("coze_chat_unfinished"),
                    &mut out,
                );
            }
            _ => {}
        }
        out
    }

    /// Maps an error item of the stream (an `error` event, a cut or idle stream).
    pub fn error(&mut self, e: &coze_sdk::Error) -> Vec<Out> {
        let mut out = Vec::new();
        if self.outcome.is_none() {
            self.fail(ApiError::from_coze(e), &mut out);
        }
        out
    }

    /// The stream ended; an unfinished chat becomes an error.
    pub fn end(&mut self) -> Vec<Out> {
        let mut out = Vec::new();
        if self.outcome.is_none() {
            self.fail(
                ApiError::upstream(
                    "the connection to Coze closed before the answer finished: what arrived was \
                     sent; send the message again for a whole answer",
                )
                .code("coze_stream_cut"),
                &mut out,
            );
        }
        out
    }

    /// The aggregated answer of a non-streaming request.
    ///
    /// # Errors
    ///
    /// The chat's error, or a cut stream.
    pub fn completion(mut self) -> Result<ChatCompletion, ApiError> {
        if self.outcome.is_none() {
            self.end();
        }
        let reason = match self.outcome.take() {
            Some(Outcome::Stop) => FinishReason::Stop,
            Some(Outcome::ToolCalls) => FinishReason::ToolCalls,
            Some(Outcome::Error(e)) => return Err(e),
            None => unreachable_end(),
        };
        let coze = self.extension();
        let tool_calls = (reason == FinishReason::ToolCalls).then(|| {
            self.tool_calls
                .into_iter()
                .map(|c| ToolCall { index: None, ..c })
                .collect()
        });
        Ok(ChatCompletion {
            id: self.id,
            object: "chat.completion".into(),
            created: self.created,
            model: self.model,
            choices: vec![Choice {
                index: 0,
                message: ResponseMessage {
                    role: Role::Assistant,
                    content: (!self.text.is_empty() || tool_calls.is_none()).then_some(self.text),
                    reasoning_content: (!self.reasoning.is_empty()).then_some(self.reasoning),
                    tool_calls,
                },
                finish_reason: reason,
                logprobs: None,
            }],
            usage: self.usage,
            coze,
        })
    }
}

/// `end()` always sets an outcome; kept as a function so `completion` has no panic path.
fn unreachable_end() -> FinishReason {
    FinishReason::Stop
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn ev(name: &str, data: Value) -> ChatEvent {
        ChatEvent::parse(name, &data.to_string()).unwrap()
    }
    fn chat(status: &str) -> Value {
        json!({"id": "chat1", "conversation_id": "conv1", "status": status,
               "usage": {"token_count": 30, "output_count": 10, "input_count": 20}})
    }
    fn delta(id: &str, content: &str, reasoning: &str) -> ChatEvent {
        ev(
            "conversation.message.delta",
            json!({"id": id, "conversation_id": "conv1", "chat_id": "chat1", "role": "assistant",
                   "type": "answer", "content": content, "content_type": "text",
                   "reasoning_content": reasoning}),
        )
    }
    fn completed(kind: &str, id: &str, content: &str) -> ChatEvent {
        ev(
            "conversation.message.completed",
            json!({"id": id, "conversation_id": "conv1", "chat_id": "chat1", "role": "assistant",
                   "type": kind, "content": content, "content_type": "text"}),
        )
    }
    fn chunks(out: Vec<Out>) -> Vec<Value> {
        out.into_iter()
            .map(|o| match o {
                Out::Chunk(c) => serde_json::to_value(c).unwrap(),
                Out::Error(e) => serde_json::to_value(e.body()).unwrap(),
            })
            .collect()
    }
    fn run(mapper: &mut Mapper, events: Vec<ChatEvent>) -> Vec<Value> {
        events
            .into_iter()
            .flat_map(|e| chunks(mapper.event(e)))
            .collect()
    }
    fn mapper(include_usage: bool) -> Mapper {
        Mapper::new("chatcmpl-x".into(), 7, "echo".into(), include_usage, true)
    }

    #[test]
    fn answer_reasoning_follow_ups_and_usage() {
        let mut m = mapper(true);
        let out = run(
            &mut m,
            vec![
                ev("conversation.chat.created", chat("created")),
                ev("conversation.chat.in_progress", chat("in_progress")),
                delta("m1", "", "Thinking"),
                delta("m1", "Hel", ""),
                delta("m1", "lo", ""),
                completed("answer", "m1", "Hello"),
                completed("verbose", "m2", "{}"),
                completed("follow_up", "m3", "Tell me more"),
                ev("conversation.chat.completed", chat("completed")),
            ],
        );
        assert_eq!(
            out[0]["choices"][0]["delta"],
            json!({"role": "assistant", "content": ""})
        );
        assert_eq!(
            out[1]["choices"][0]["delta"],
            json!({"reasoning_content": "Thinking"})
        );
        assert_eq!(out[2]["choices"][0]["delta"], json!({"content": "Hel"}));
        assert_eq!(out[3]["choices"][0]["delta"], json!({"content": "lo"}));
        assert_eq!(out[4]["choices"][0]["finish_reason"], "stop");
        assert_eq!(
            out[4]["coze"],
            json!({"conversation_id": "conv1", "chat_id": "chat1", "follow_ups": ["Tell me more"]})
        );
        assert_eq!(out[5]["choices"], json!([]));
        assert_eq!(
            out[5]["usage"],
            json!({"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30})
        );
        assert_eq!(out.len(), 6);
        assert_eq!(m.text(), "Hello");
        assert!(m.end().is_empty());
        assert!(
            out.iter()
                .all(|c| c["id"] == "chatcmpl-x" && c["model"] == "echo")
        );
    }

    #[test]
    fn requires_action_becomes_tool_calls() {
        let mut m = mapper(false);
        let mut action = chat("requires_action");
        action["required_action"] = json!({"type": "submit_tool_outputs", "submit_tool_outputs":
            {"tool_calls": [{"id": "call_9", "type": "function",
              "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris\"}"}}]}});
        let out = run(
            &mut m,
            vec![
                ev("conversation.chat.created", chat("created")),
                completed("function_call", "m1", "{\"name\":\"get_weather\"}"),
                ev("conversation.chat.requires_action", action),
            ],
        );
        let last = out.last().unwrap();
        assert_eq!(last["choices"][0]["finish_reason"], "tool_calls");
        assert_eq!(
            last["choices"][0]["delta"]["tool_calls"],
            json!([{"index": 0, "id": "call_9", "type": "function",
                    "function": {"name": "get_weather", "arguments": "{\"location\":\"Paris\"}"}}])
        );
        assert_eq!(m.outcome(), Some(&Outcome::ToolCalls));
    }

    #[test]
    fn failures_end_with_an_error_chunk() {
        // A failed chat keeps what arrived, then one error chunk with Coze's code.
        let mut m = mapper(false);
        let mut failed = chat("failed");
        failed["last_error"] = json!({"code": 4016, "msg": "busy"});
        let out = run(
            &mut m,
            vec![
                delta("m1", "partial", ""),
                ev("conversation.chat.failed", failed),
            ],
        );
        assert_eq!(out[1]["choices"][0]["delta"]["content"], "partial");
        assert_eq!(out[2]["error"]["code"], "coze_4016");
        assert!(run(&mut m, vec![completed("answer", "m9", "late")]).is_empty());

        // An error event.
        let mut m = mapper(false);
        let err = ChatEvent::parse("error", r#"{"code":5000,"msg":"boom"}"#).unwrap_err();
        let out = chunks(m.error(&err));
        assert_eq!(out[0]["error"]["code"], "coze_5000");
        assert!(
            out[0]["error"]["message"]
                .as_str()
                .unwrap()
                .contains("boom")
        );

        // A stream that ends before the chat finished.
        let mut m = mapper(false);
        run(&mut m, vec![delta("m1", "half", "")]);
        let out = chunks(m.end());
        assert_eq!(out[0]["error"]["code"], "coze_stream_cut");
        assert_eq!(out[0]["error"]["type"], "upstream_error");

        // `done` before a terminal chat event.
        let mut m = mapper(false);
        let out = run(&mut m, vec![ev("done", json!("[DONE]"))]);
        assert_eq!(out[0]["error"]["code"], "coze_chat_unfinished");
    }

    #[test]
    fn aggregated_completion() {
        let mut m = Mapper::new("chatcmpl-y".into(), 7, "echo".into(), false, false);
        let out = m.event(delta("m1", "Hi ", "hmm"));
        assert!(out.is_empty(), "no chunks when not emitting");
        m.event(delta("m1", "there", ""));
        m.event(completed("answer", "m1", "Hi there"));
        // A second answer message without deltas is appended after a blank line.
        m.event(completed("answer", "m2", "More."));
        m.event(ev("conversation.chat.completed", chat("completed")));
        let c = serde_json::to_value(m.completion().unwrap()).unwrap();
        assert_eq!(c["object"], "chat.completion");
        assert_eq!(c["choices"][0]["message"]["content"], "Hi there\n\nMore.");
        assert_eq!(c["choices"][0]["message"]["reasoning_content"], "hmm");
        assert_eq!(c["choices"][0]["finish_reason"], "stop");
        assert_eq!(c["usage"]["total_tokens"], 30);
        assert_eq!(c["coze"]["chat_id"], "chat1");

        let mut m = Mapper::new("chatcmpl-z".into(), 7, "echo".into(), false, false);
        m.event(delta("m1", "cut", ""));
        assert_eq!(
            m.completion().unwrap_err().code.as_deref(),
            Some("coze_stream_cut")
        );
    }
}
