//! The interactive chat: a prompt with line editing and history, answers streamed as they
//! arrive, slash commands, Ctrl-C to stop an answer, Ctrl-D to quit.

use std::io::{IsTerminal, Write};

use base64::Engine;
use coze_sdk::ConversationId;

use super::input::{self, Input, LineReader};
use super::tools::ToolAnswers;
use super::turn::{self, Outcome, Target};
use crate::error::{self, CliError};
use crate::output::Output;
use crate::settings::Settings;

const HELP: &str = "\
/new                start a new conversation
/conversation [ID]  show the conversation, or continue conversation ID
/bot ID             chat with another bot
/attach PATH        send a file or image (path or URL) with the next message
/retry              ask the last question again
/copy               copy the last answer to the clipboard (OSC 52)
/exit               quit (also Ctrl-D)
Tab completes commands; end a line with \\ (or press Alt-Enter) to go on on the next line.
Ctrl-C stops the answer, or clears the line.";

/// # Errors
/// The terminal cannot be read or stdout is closed. Failed questions are reported and the
/// chat goes on; with piped input, a failed question makes the exit status 1 at the end.
pub async fn run(
    target: &Target,
    conversation: Option<String>,
    settings: &Settings,
) -> anyhow::Result<()> {
    let out = &settings.output;
    let mut target = target.clone();
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
    let mut last_question: Option<String> = None;
    let mut last_answer: Option<String> = None;

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
            Input::Line(line) => input::joined(&line),
            Input::Interrupted => continue,
            Input::Eof => break,
        };
        let text = line.trim();
        if !interactive && !text.is_empty() {
            // Show the piped question, so the output reads like a transcript.
            out.note(&format!("{} {text}", out.err_style().accent("›")));
        }
        let question = match command(text) {
            Some(("/exit" | "/quit", _)) => break,
            Some(("/new", _)) => {
                conversation = None;
                out.dim("(new conversation)");
                continue;
            }
            Some(("/help", _)) => {
                out.dim(HELP);
                continue;
            }
            Some(("/conversation", "")) => {
                match &conversation {
                    Some(id) => out.dim(&format!("(conversation {id})")),
                    None => out.dim("(no conversation yet: the next message starts one)"),
                }
                continue;
            }
            Some(("/conversation", id)) => {
                conversation = Some(ConversationId::new(id));
                out.dim(&format!("(continuing conversation {id})"));
                continue;
            }
            Some(("/bot", "")) => {
                out.dim(&format!(
                    "(chatting with {}; /bot ID switches)",
                    target.label
                ));
                continue;
            }
            Some(("/bot", id)) => {
                id.clone_into(&mut target.bot);
                target.label = format!("bot {id}");
                out.dim(&format!("(now chatting with bot {id})"));
                continue;
            }
            Some(("/attach", "")) => {
                out.dim("usage: /attach PATH_OR_URL");
                continue;
            }
            Some(("/attach", path)) => {
                let path = path.to_string();
                match super::super::files::attachments(
                    &target.client,
                    std::slice::from_ref(&path),
                    out,
                )
                .await
                {
                    Ok(parts) => {
                        target
                            .attachments
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .extend(parts);
                        out.dim(&format!("(attached {path}; sent with the next message)"));
                    }
                    Err(err) => report(&err, out),
                }
                continue;
            }
            Some(("/copy", _)) => {
                match &last_answer {
                    Some(answer) => {
                        copy_to_clipboard(answer);
                        out.dim("(copied the last answer)");
                    }
                    None => out.dim("(no answer to copy yet)"),
                }
                continue;
            }
            Some(("/retry", _)) => match &last_question {
                Some(q) => q.clone(),
                None => {
                    out.dim("(nothing to retry yet)");
                    continue;
                }
            },
            Some((name, _)) => {
                out.dim(&format!("unknown command {name}; /help lists the commands"));
                continue;
            }
            None if text.is_empty() => continue,
            None => text.to_string(),
        };
        last_question = Some(question.clone());
        let mut tools = ToolAnswers::Prompt(&reader);
        match turn::ask(&target, &mut conversation, &question, out, &mut tools).await {
            Ok(Outcome::Completed(summary)) => {
                turn::print_summary(&summary, out, false);
                if !summary.answer.is_empty() {
                    last_answer = Some(summary.answer);
                }
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

/// A slash command and its argument: `/bot 42` gives `("/bot", "42")`. Text that only starts
/// with a slash and goes on with a space before any command name (`/ etc`) or a path
/// (`/usr/bin is…`) is a message.
fn command(text: &str) -> Option<(&str, &str)> {
    if !text.starts_with('/') {
        return None;
    }
    let (name, arg) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    if name.len() < 2 || name[1..].contains('/') {
        return None;
    }
    let known = input::COMMANDS.contains(&name);
    // An unknown word with text after it reads as a message.
    if !known && !arg.trim().is_empty() {
        return None;
    }
    Some((name, arg.trim()))
}

/// Puts `text` on the clipboard with OSC 52, which terminals (and tmux with
/// `set-clipboard on`) pass to the system clipboard, also over SSH.
fn copy_to_clipboard(text: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let sequence = format!("\x1b]52;c;{encoded}\x07");
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(sequence.as_bytes());
    let _ = err.flush();
}

fn report(err: &anyhow::Error, out: &Output) {
    let _ = error::report(err, out.err_style(), &mut std::io::stderr().lock());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_commands_are_told_from_messages() {
        assert_eq!(command("/bot 42"), Some(("/bot", "42")));
        assert_eq!(command("/conversation"), Some(("/conversation", "")));
        assert_eq!(command("/nope"), Some(("/nope", "")));
        assert_eq!(command("/usr/bin is a directory"), None);
        assert_eq!(command("/etc what"), None);
        assert_eq!(command("hello /bot"), None);
    }
}
