//! Answering a bot's tool calls (`requires_action`) from the terminal or from stdin.

use std::io::IsTerminal;

use coze_sdk::{Chat, ToolCall, ToolCallType, ToolOutput};

use super::super::stdin;
use super::input::{Input, LineReader};
use super::turn::tool_outputs;
use crate::error::CliError;
use crate::output::{Output, clean};

/// Where tool outputs come from.
#[derive(Debug)]
pub enum ToolAnswers<'a> {
    /// The interactive chat asks at its prompt.
    Prompt(&'a LineReader),
    /// The one-shot chat reads one line per tool call from stdin.
    Stdin,
}

impl ToolAnswers<'_> {
    /// Asks for the output of every tool call of `chat`; `None` when the user gave up.
    ///
    /// # Errors
    /// Stdin ended before every call was answered, or the terminal could not be read.
    pub async fn answer(
        &mut self,
        chat: &Chat,
        out: &Output,
    ) -> anyhow::Result<Option<Vec<ToolOutput>>> {
        let calls = chat.tool_calls();
        if calls.is_empty() {
            return Err(
                CliError::failed("the bot asked for tool outputs but named no tool call")
                    .with_hint("retry the question; if it persists, check the bot's tools in Coze")
                    .into(),
            );
        }
        let mut answers = Vec::with_capacity(calls.len());
        for call in calls {
            out.note(&format!(
                "{} {}",
                out.err_style().warn("⚙"),
                clean(&describe(call))
            ));
            let answer = match self {
                ToolAnswers::Prompt(reader) => {
                    let prompt = format!("{} › ", label(call));
                    match reader.read(&prompt, false).await? {
                        Input::Line(line) => line,
                        Input::Interrupted | Input::Eof => {
                            out.dim("(tool call not answered; /new starts a fresh conversation)");
                            return Ok(None);
                        }
                    }
                }
                ToolAnswers::Stdin => read_stdin_line(call, chat).await?,
            };
            answers.push(answer);
        }
        Ok(Some(tool_outputs(chat, answers)))
    }
}

fn label(call: &ToolCall) -> String {
    match call.kind {
        ToolCallType::ReplyMessage => "reply".to_string(),
        _ if call.function.name.is_empty() => "tool output".to_string(),
        _ => format!("{} output", call.function.name),
    }
}

fn describe(call: &ToolCall) -> String {
    match call.kind {
        ToolCallType::ReplyMessage => format!("the bot asks: {}", call.function.arguments),
        _ => format!(
            "the bot calls {}({}) and waits for its output",
            call.function.name, call.function.arguments
        ),
    }
}

async fn read_stdin_line(call: &ToolCall, chat: &Chat) -> anyhow::Result<String> {
    let prompt = std::io::stdin()
        .is_terminal()
        .then(|| format!("{} › ", label(call)));
    let line = stdin::read_line(prompt).await?;
    line.ok_or_else(|| {
        CliError::failed(format!(
            "the bot asked for the output of `{}`, but stdin has no more input",
            call.function.name
        ))
        .with_hint(format!(
            "pipe one output line per tool call into coze (echo '<output>' | coze chat --bot {} \
             -m ...), or use the interactive chat, which asks for it",
            chat.bot_id
        ))
        .into()
    })
}
