//! The interactive chat: a prompt with line editing and history, answers streamed as they
//! arrive, `/new`, `/exit`, Ctrl-C to stop an answer, Ctrl-D to quit.

use std::io::IsTerminal;

use coze_sdk::ConversationId;

use super::input::{Input, LineReader};
use super::tools::ToolAnswers;
use super::turn::{self, Outcome, Target};
use crate::error::{self, CliError};
use crate::output::Output;
use crate::settings::Settings;

const HELP: &str = "\
/new     start a new conversation
/exit    quit (also Ctrl-D)
Ctrl-C   stop the answer, or clear the line";

/// # Errors
/// The terminal cannot be read or stdout is closed. Failed questions are reported and the
/// chat goes on; with piped input, a failed question makes the exit status 1 at the end.
pub async fn run(
    target: &Target,
    conversation: Option<String>,
    settings: &Settings,
) -> anyhow::Result<()> {
    let out = &settings.output;
    let interactive = std::io::stdin().is_terminal();
    // Piped input is not the user's typing: keep it out of the history.
    let history = if interactive {
        super::history_path()
    } else {
        None
    };
    let reader = LineReader::start(history)?;
    let mut conversation = conversation.map(ConversationId::new);
    let prompt = if interactive {
        out.out_style().accent("› ")
    } else {
        "› ".to_string()
    };
    let mut failed = false;

    if interactive && !out.json() {
        out.dim(&format!(
            "Chatting with {}. /new starts a new conversation, /exit or Ctrl-D quits, /help for more.",
            target.label
        ));
    }
    loop {
        let input = tokio::select! {
            input = reader.read(&prompt, true) => input?,
            // Only reachable when the terminal is not in raw mode (piped input).
            () = turn::ctrl_c() => return Err(CliError::interrupted().into()),
        };
        let line = match input {
            Input::Line(line) => line,
            Input::Interrupted => continue,
            Input::Eof => break,
        };
        let text = line.trim();
        if !interactive && !text.is_empty() {
            // Show the piped question, so the output reads like a transcript.
            out.note(&format!("{} {text}", out.err_style().accent("›")));
        }
        match text {
            "" => continue,
            "/exit" | "/quit" => break,
            "/new" => {
                conversation = None;
                out.dim("(new conversation)");
                continue;
            }
            "/help" => {
                out.dim(HELP);
                continue;
            }
            command if command.starts_with('/') && !command.contains(' ') => {
                out.dim(&format!(
                    "unknown command {command}; /help lists the commands"
                ));
                continue;
            }
            _ => {}
        }
        let mut tools = ToolAnswers::Prompt(&reader);
        match turn::ask(target, &mut conversation, text, out, &mut tools).await {
            Ok(Outcome::Completed(summary)) => {
                turn::print_summary(&summary, out, false);
                if interactive {
                    out.note("");
                }
            }
            Ok(Outcome::Interrupted) => {}
            Err(err) if error::is_broken_pipe(&err) => return Err(err),
            Err(err) => {
                failed = true;
                report(
                    &crate::commands::auth::explain_api_error(settings, err),
                    out,
                );
            }
        }
    }
    if failed && !interactive {
        return Err(CliError::reported().into());
    }
    Ok(())
}

fn report(err: &anyhow::Error, out: &Output) {
    let _ = error::report(err, out.err_style(), &mut std::io::stderr().lock());
}
