//! One turn of a chat: start the stream, show the answer as it arrives, answer tool calls,
//! and stop cleanly on Ctrl-C. Shared by the interactive and the one-shot chat.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::time::Duration;

use coze_sdk::{
    Chat, ChatEvent, ChatRequest, ChatStream, Client, ConversationId, Message, MessageId,
    MessageType, ToolOutput, Usage,
};
use futures_util::{FutureExt, StreamExt};

use super::answer::AnswerWriter;
use super::tools::ToolAnswers;
use crate::error::{CliError, code_hint};
use crate::output::{Output, Spinner, clean};

/// How answers are shown.
#[derive(Debug, Clone, Copy)]
pub struct Display {
    /// `--raw`: the markdown as it is, also on a terminal.
    pub raw: bool,
    /// Show the reasoning (dimmed, on stderr) before the answer.
    pub reasoning: bool,
}

impl Default for Display {
    fn default() -> Self {
        Self {
            raw: false,
            reasoning: true,
        }
    }
}

/// Who we talk to, as whom.
#[derive(Debug, Clone)]
pub struct Target {
    pub client: Client,
    pub bot: String,
    pub user: String,
    /// How to name the bot to the user.
    pub label: String,
    /// Files and images for the next question (`--attach`), taken by the first `ask`.
    pub attachments: std::sync::Arc<std::sync::Mutex<Vec<coze_sdk::ContentPart>>>,
    pub display: Display,
}

/// How a turn ended (failures are `Err`).
#[derive(Debug)]
pub enum Outcome {
    Completed(Summary),
    /// Ctrl-C: the answer was stopped (and the chat cancelled when it had started).
    Interrupted,
}

/// What is shown after an answer.
#[derive(Debug, Default)]
pub struct Summary {
    pub conversation_id: Option<ConversationId>,
    pub usage: Option<Usage>,
    pub follow_ups: Vec<String>,
    /// The answer's text as received (for `/copy`).
    pub answer: String,
}

/// Runs one question to its end, including any tool-call rounds. `conversation` is updated
/// as soon as the stream names it, also when the turn then fails, so the next question keeps
/// the context.
///
/// # Errors
/// The request or the stream failed, or the chat failed; what arrived was printed first.
pub async fn ask(
    target: &Target,
    conversation: &mut Option<ConversationId>,
    question: &str,
    out: &Output,
    tools: &mut ToolAnswers<'_>,
) -> anyhow::Result<Outcome> {
    // --- attachments (issue 4): an object_string message when files are attached ---
    let parts = std::mem::take(&mut *target.attachments.lock().unwrap_or_else(|p| p.into_inner()));
    let request = ChatRequest::new(target.bot.as_str(), target.user.as_str());
    let mut request = if parts.is_empty() {
        request.user_message(question)
    } else {
        let text = std::iter::once(coze_sdk::ContentPart::text(question));
        request.message(coze_sdk::EnterMessage::user_parts(text.chain(parts)))
    };
    if let Some(id) = conversation.as_ref() {
        request = request.conversation(id.clone());
    }
    let mut view = TurnView::new(out, target.display);
    view.start_spinner();
    let mut stream = match interruptible(target.client.chat().stream(request)).await {
        Some(result) => result?,
        None => return Ok(stop(target, &mut view, None).await),
    };
    loop {
        let step = view.drive(&mut stream).await;
        if view.conversation_id.is_some() {
            conversation.clone_from(&view.conversation_id);
        }
        let step = match step {
            Ok(step) => step,
            Err(err) => {
                // A broken stream leaves the chat running on Coze, and its conversation busy
                // (4016) until it ends: cancel it, as Ctrl-C does, so the next question in
                // this conversation is taken. What arrived was printed and is kept.
                if let Some(chat) = view.chat.as_ref()
                    && err.downcast_ref::<coze_sdk::Error>().is_some()
                {
                    let chat_api = target.client.chat();
                    let cancel = chat_api.cancel(&chat.conversation_id, &chat.id);
                    let _ = tokio::time::timeout(Duration::from_secs(5), cancel).await;
                }
                return Err(err);
            }
        };
        match step {
            Step::Done(summary) => return Ok(Outcome::Completed(summary)),
            Step::Interrupted(chat) => return Ok(stop(target, &mut view, chat.as_ref()).await),
            Step::ToolCalls(chat) => {
                view.end_line();
                // Ctrl-C while waiting for piped tool output gives up the turn, like at a prompt.
                let outputs = match interruptible(tools.answer(&chat, out)).await {
                    Some(answered) => answered?,
                    None => return Ok(stop(target, &mut view, None).await),
                };
                // The user gave up at the tool prompt, which said so.
                let Some(outputs) = outputs else {
                    return Ok(Outcome::Interrupted);
                };
                view.start_spinner();
                let chat_api = target.client.chat();
                let submit =
                    chat_api.submit_tool_outputs_stream(&chat.conversation_id, &chat.id, outputs);
                stream = match interruptible(submit).await {
                    Some(result) => result?,
                    None => return Ok(stop(target, &mut view, None).await),
                };
            }
        }
    }
}

/// After Ctrl-C: end the line (the terminal echoed `^C` on it), say that the answer stopped,
/// and cancel the chat on Coze when it had started.
async fn stop(target: &Target, view: &mut TurnView<'_>, chat: Option<&Chat>) -> Outcome {
    // Removing a drawn spinner erases its line, the echoed `^C` included; without one, end
    // the `^C` line so that what follows starts on its own.
    let erased = view.spinner.take().is_some();
    let _ = view.answer.finish_answer();
    if !view.at_line_start {
        view.end_line();
    } else if !erased && std::io::stderr().is_terminal() {
        view.out.note("");
    }
    match chat {
        Some(chat) => cancel(target, chat, view.out).await,
        None => view.out.dim("(stopped)"),
    }
    Outcome::Interrupted
}

/// Runs `fut` unless Ctrl-C comes first (`None` then).
async fn interruptible<T>(fut: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        value = fut => Some(value),
        () = ctrl_c() => None,
    }
}

/// Resolves on Ctrl-C; never when the signal handler cannot be installed.
pub async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Cancels a running chat after Ctrl-C. Best effort: the answer is already stopped locally.
async fn cancel(target: &Target, chat: &Chat, out: &Output) {
    let chat_api = target.client.chat();
    let cancel = chat_api.cancel(&chat.conversation_id, &chat.id);
    match tokio::time::timeout(Duration::from_secs(5), cancel).await {
        Ok(Ok(_)) => out.dim("(stopped; the chat was cancelled)"),
        // 4104: it finished anyway; nothing left to cancel.
        Ok(Err(e)) if e.code() == Some(4104) => out.dim("(stopped)"),
        Ok(Err(e)) => out.dim(&format!("(stopped; cancelling the chat failed: {e})")),
        Err(_) => out.dim("(stopped; cancelling the chat timed out)"),
    }
}

/// How long the stream may stay silent before the buffered answer is shown (pipes only).
const PAUSE: Duration = Duration::from_millis(10);

enum Step {
    Done(Summary),
    ToolCalls(Chat),
    /// The chat as last seen, when it had started.
    Interrupted(Option<Chat>),
}

/// Rendering state of one turn: what was printed, and what the stream told us so far.
struct TurnView<'a> {
    out: &'a Output,
    chat: Option<Chat>,
    conversation_id: Option<ConversationId>,
    streamed: HashSet<MessageId>,
    /// The answer message the last delta belonged to (deltas repeat one id).
    last_streamed: Option<MessageId>,
    answer: AnswerWriter,
    at_line_start: bool,
    reasoning: bool,
    follow_ups: Vec<String>,
    /// The answer's text as received (for `/copy`).
    answer_text: String,
    pending_call: Option<String>,
    spinner: Option<Spinner>,
    show_reasoning: bool,
}

impl<'a> TurnView<'a> {
    fn new(out: &'a Output, display: Display) -> Self {
        Self {
            show_reasoning: display.reasoning,
            out,
            chat: None,
            conversation_id: None,
            streamed: HashSet::new(),
            last_streamed: None,
            // Markdown is rendered on a terminal unless `--raw` (or `--json`, which prints
            // no answer text).
            answer: AnswerWriter::stdout(!display.raw && !out.json()),
            at_line_start: true,
            reasoning: false,
            follow_ups: Vec::new(),
            answer_text: String::new(),
            pending_call: None,
            spinner: None,
        }
    }

    /// Shows the spinner until the first token (or anything else worth printing) arrives.
    fn start_spinner(&mut self) {
        if !self.out.json() {
            self.spinner = Some(self.out.spinner("thinking…"));
        }
    }

    async fn drive(&mut self, stream: &mut ChatStream) -> anyhow::Result<Step> {
        let logid = stream.logid().map(str::to_string);
        // One listener for the whole stream: a Ctrl-C pressed while an event is being printed
        // is still seen.
        let interrupt = ctrl_c();
        tokio::pin!(interrupt);
        loop {
            // An event that is already there is taken without waiting. When none is, wait a
            // moment: a stream delivering back to back has not paused. After PAUSE without an
            // event, show what the answer writer holds, then wait for the next one.
            let item = match stream.next().now_or_never() {
                Some(item) => item,
                None => {
                    let quick = tokio::select! {
                        item = stream.next() => Some(item),
                        () = tokio::time::sleep(PAUSE) => None,
                        // `stop` removes the spinner (and with it the echoed `^C`).
                        () = &mut interrupt => {
                            return Ok(Step::Interrupted(self.chat.clone()));
                        }
                    };
                    match quick {
                        Some(item) => item,
                        None => {
                            self.answer.pause()?;
                            tokio::select! {
                                item = stream.next() => item,
                                () = &mut interrupt => {
                                    return Ok(Step::Interrupted(self.chat.clone()));
                                }
                            }
                        }
                    }
                }
            };
            let event = match item {
                Some(Ok(event)) => event,
                Some(Err(err)) => {
                    self.spinner = None;
                    self.end_line();
                    return Err(err.into());
                }
                None => {
                    self.spinner = None;
                    self.end_line();
                    return Ok(Step::Done(self.summary(None)));
                }
            };
            if self.out.json() {
                self.answer.write_json_line(&event)?;
            }
            // Deltas are most of a stream: handled in place, without moving the message out.
            if let ChatEvent::MessageDelta(message) = &event {
                self.delta(message)?;
                continue;
            }
            match event {
                ChatEvent::ChatCreated(chat) | ChatEvent::ChatInProgress(chat) => self.seen(chat),
                ChatEvent::MessageDelta(message) => self.delta(&message)?,
                ChatEvent::MessageCompleted(message) => self.completed(message)?,
                ChatEvent::ChatCompleted(chat) => {
                    self.spinner = None;
                    self.end_line();
                    let usage = chat.usage;
                    self.seen(chat);
                    self.drain(stream).await?;
                    return Ok(Step::Done(self.summary(usage)));
                }
                ChatEvent::ChatRequiresAction(chat) => {
                    self.spinner = None;
                    self.seen(chat.clone());
                    self.drain(stream).await?;
                    return Ok(Step::ToolCalls(chat));
                }
                ChatEvent::ChatFailed(chat) => {
                    self.spinner = None;
                    self.end_line();
                    return Err(failed("chat", &chat, logid.as_deref()).into());
                }
                ChatEvent::Done { .. } => {
                    self.spinner = None;
                    self.end_line();
                    return Ok(Step::Done(self.summary(None)));
                }
                _ => {}
            }
        }
    }

    /// With `--json`, prints what follows the last chat event (`done`), so the output has
    /// every event. Bounded: a server that keeps the stream open must not hang the turn.
    async fn drain(&mut self, stream: &mut ChatStream) -> anyhow::Result<()> {
        if !self.out.json() {
            return Ok(());
        }
        let answer = &mut self.answer;
        let rest = async {
            while let Some(Ok(event)) = stream.next().await {
                answer.write_json_line(&event)?;
            }
            Ok::<(), std::io::Error>(())
        };
        let result = match tokio::time::timeout(Duration::from_secs(2), rest).await {
            Ok(result) => result,
            Err(_) => Ok(()),
        };
        self.answer.finish_answer()?;
        Ok(result?)
    }

    fn seen(&mut self, chat: Chat) {
        if !chat.conversation_id.is_empty() {
            self.conversation_id = Some(chat.conversation_id.clone());
        }
        self.chat = Some(chat);
    }

    fn delta(&mut self, message: &Message) -> anyhow::Result<()> {
        if message.kind != MessageType::Answer {
            return Ok(());
        }
        if !message.reasoning_content.is_empty() && !self.out.json() && self.show_reasoning {
            self.spinner = None;
            self.reasoning = true;
            self.answer.pause()?;
            eprint_dim(self.out, &clean(&message.reasoning_content));
        }
        if !message.content.is_empty() {
            if self.last_streamed.as_ref() != Some(&message.id) {
                self.streamed.insert(message.id.clone());
                self.last_streamed = Some(message.id.clone());
            }
            self.answer_text(&message.content)?;
        }
        Ok(())
    }

    fn completed(&mut self, message: Message) -> anyhow::Result<()> {
        match message.kind {
            // Bots that do not stream deltas send the whole answer only here.
            MessageType::Answer if !self.streamed.contains(&message.id) => {
                self.answer_text(&message.content)?;
            }
            MessageType::FollowUp if !message.content.trim().is_empty() => {
                self.follow_ups.push(message.content.trim().to_string());
            }
            // A tool Coze runs itself shows up as a call followed by its response; tools the
            // caller must run arrive as `requires_action` and are shown by the tool prompt.
            MessageType::FunctionCall => self.pending_call = Some(message.content),
            MessageType::ToolResponse if !self.out.json() => {
                if let Some(call) = self.pending_call.take() {
                    self.spinner = None;
                    self.end_line();
                    let call = describe_function_call(&call);
                    self.out.dim(&format!("⚙ {}", clean(&call)));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn answer_text(&mut self, text: &str) -> anyhow::Result<()> {
        if self.out.json() || text.is_empty() {
            return Ok(());
        }
        self.spinner = None;
        self.answer_text.push_str(text);
        if self.reasoning {
            // Thinking went to stderr; start the answer on a fresh line.
            self.reasoning = false;
            eprint_dim(self.out, "\n");
        }
        self.answer.write_delta(text)?;
        self.at_line_start = text.ends_with('\n');
        Ok(())
    }

    /// Ends a partial line of answer so that what follows (errors, usage, a prompt) starts
    /// cleanly, and hands the answer writer's buffer over: the answer is complete or paused.
    fn end_line(&mut self) {
        // A closed stdout shows up again on the next write; here it is not worth failing.
        if !self.at_line_start {
            let _ = self.answer.write_delta("\n");
            self.at_line_start = true;
        }
        let _ = self.answer.finish_answer();
    }

    fn summary(&mut self, usage: Option<Usage>) -> Summary {
        Summary {
            conversation_id: self.conversation_id.clone(),
            usage,
            follow_ups: std::mem::take(&mut self.follow_ups),
            answer: std::mem::take(&mut self.answer_text),
        }
    }
}

fn eprint_dim(out: &Output, text: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{}", out.err_style().dim(text));
    let _ = err.flush();
}

/// The error of a `conversation.chat.failed` event.
/// The error for a chat (or chatflow: `what`) that ended with `conversation.chat.failed`.
pub(crate) fn failed(what: &str, chat: &Chat, logid: Option<&str>) -> CliError {
    let (message, hint) = match chat.error() {
        Some(e) => {
            let msg = if e.msg.trim().is_empty() {
                "no reason given"
            } else {
                e.msg.trim()
            };
            (
                format!("the {what} failed: {msg} (code {})", e.code),
                code_hint(e.code.get()),
            )
        }
        None => (
            format!("the {what} failed without an error code"),
            "retry; if it keeps failing, check the bot in Coze".to_string(),
        ),
    };
    CliError::failed(message).with_hint(hint).with_logid(logid)
}

/// `name(arguments)` of a `function_call` message, whose content is JSON.
pub fn describe_function_call(content: &str) -> String {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(content) else {
        return content.to_string();
    };
    let name = value
        .get("name")
        .and_then(|n| n.as_str())
        .unwrap_or("a tool");
    let args = value.get("arguments").map(|a| match a {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    });
    format!("calling {name}({})", args.unwrap_or_default())
}

/// Prints the dimmed lines after an answer: token usage and the follow-up suggestions.
pub fn print_summary(summary: &Summary, out: &Output, show_conversation: bool) {
    if out.json() {
        return;
    }
    let mut parts = Vec::new();
    if show_conversation && let Some(id) = &summary.conversation_id {
        parts.push(format!("conversation {id}"));
    }
    if let Some(usage) = &summary.usage {
        parts.push(format!(
            "{} tokens ({} in, {} out)",
            usage.token_count, usage.input_count, usage.output_count
        ));
    }
    if !parts.is_empty() {
        out.dim(&parts.join(" · "));
    }
    for follow_up in &summary.follow_ups {
        out.dim(&format!("  › {}", clean(follow_up)));
    }
}

/// The outputs for the tool calls of `chat`, in the order asked.
pub fn tool_outputs(chat: &Chat, answers: Vec<String>) -> Vec<ToolOutput> {
    chat.tool_calls()
        .iter()
        .zip(answers)
        .map(|(call, output)| ToolOutput::new(call.id.clone(), output))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_calls_are_described_by_name_and_arguments() {
        let content = r#"{"name":"get_weather","arguments":{"city":"Paris"},"plugin_id":"1"}"#;
        assert_eq!(
            describe_function_call(content),
            r#"calling get_weather({"city":"Paris"})"#
        );
        assert_eq!(describe_function_call("not json"), "not json");
    }

    #[test]
    fn failed_chats_carry_code_hint_and_logid() {
        let chat: Chat = serde_json::from_str(
            r#"{"id":"1","conversation_id":"2","status":"failed","last_error":{"code":5000,"msg":"boom"}}"#,
        )
        .expect("valid chat");
        let err = anyhow::Error::new(failed("chat", &chat, Some("LOG1")));
        let mut text = Vec::new();
        crate::error::report(&err, crate::output::Style::plain(), &mut text).expect("report");
        let text = String::from_utf8(text).expect("utf-8");
        assert!(
            text.starts_with("error: the chat failed: boom (code 5000)\n"),
            "{text}"
        );
        assert!(text.contains("logid: LOG1\n"), "{text}");
        assert!(
            text.contains("hint: Coze reported an internal error"),
            "{text}"
        );
    }
}
