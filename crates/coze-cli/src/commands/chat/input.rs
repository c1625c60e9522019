//! Line input for the interactive chat: rustyline (editing, history) on its own thread, so
//! the async side can wait for a line and for Ctrl-C at the same time. When stdin is not a
//! terminal rustyline reads plain lines, which makes `echo hi | coze demo` work.
//!
//! At a terminal: Tab completes slash commands (and paths after `/attach`); a message goes on
//! over several lines when a line ends with `\`, while a ```` ``` ```` block is open, or with
//! Alt-Enter. History is kept readable by the user only (mode 0600).

use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::thread;

use rustyline::completion::{Completer, FilenameCompleter, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Cmd, Config, Context, Editor, EventHandler, Helper, KeyCode, KeyEvent, Modifiers};
use tokio::sync::oneshot;

/// What the user did at the prompt.
#[derive(Debug, PartialEq, Eq)]
pub enum Input {
    Line(String),
    /// Ctrl-C at the prompt: the line is discarded.
    Interrupted,
    /// Ctrl-D or the end of piped input.
    Eof,
}

struct Request {
    prompt: String,
    remember: bool,
    reply: oneshot::Sender<Result<Input, String>>,
}

/// A handle on the reader thread; dropping it ends the thread after its current read.
pub struct LineReader {
    requests: std_mpsc::Sender<Request>,
}

impl std::fmt::Debug for LineReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LineReader")
    }
}

impl LineReader {
    /// Starts the reader thread; `history` is loaded now and appended to after every line.
    ///
    /// # Errors
    /// Fails when the terminal cannot be set up.
    pub fn start(history: Option<PathBuf>) -> anyhow::Result<Self> {
        // rustyline swaps in its own SIGINT handler for each readline and puts back the one it
        // found. Installing tokio's handler now, before any readline, makes that the one put
        // back; installed later, it would be replaced by the default (kill) after the first
        // prompt, and Ctrl-C during an answer would end the program instead of the answer.
        #[cfg(unix)]
        let _ = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt());
        let config = Config::builder()
            .max_history_size(1000)?
            .history_ignore_dups(true)?
            .build();
        let mut editor: Editor<ReplHelper, DefaultHistory> = Editor::with_config(config)?;
        editor.set_helper(Some(ReplHelper::default()));
        editor.bind_sequence(
            KeyEvent(KeyCode::Enter, Modifiers::ALT),
            EventHandler::Simple(Cmd::Newline),
        );
        if let Some(path) = &history {
            // A missing or unreadable history file only means an empty history.
            let _ = editor.load_history(path);
        }
        let (tx, rx) = std_mpsc::channel::<Request>();
        thread::Builder::new()
            .name("coze-readline".into())
            .spawn(move || serve(editor, history, rx))?;
        Ok(Self { requests: tx })
    }

    /// Reads one line. `remember` adds it to the history (questions yes, tool outputs no).
    ///
    /// # Errors
    /// Fails when the terminal cannot be read.
    pub async fn read(&self, prompt: &str, remember: bool) -> anyhow::Result<Input> {
        let (reply, answer) = oneshot::channel();
        let request = Request {
            prompt: prompt.to_string(),
            remember,
            reply,
        };
        self.requests
            .send(request)
            .map_err(|_| anyhow::anyhow!("the line reader stopped"))?;
        match answer.await {
            Ok(Ok(input)) => Ok(input),
            Ok(Err(msg)) => Err(anyhow::anyhow!("cannot read the input: {msg}")),
            Err(_) => Err(anyhow::anyhow!("the line reader stopped")),
        }
    }
}

fn serve(
    mut editor: Editor<ReplHelper, DefaultHistory>,
    history: Option<PathBuf>,
    requests: std_mpsc::Receiver<Request>,
) {
    while let Ok(request) = requests.recv() {
        let result = match editor.readline(&request.prompt) {
            Ok(line) => {
                if request.remember && !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                    if let Some(path) = &history {
                        save_history(&mut editor, path);
                    }
                }
                Ok(Input::Line(line))
            }
            Err(ReadlineError::Interrupted) => Ok(Input::Interrupted),
            Err(ReadlineError::Eof) => Ok(Input::Eof),
            Err(err) => Err(err.to_string()),
        };
        if request.reply.send(result).is_err() {
            break;
        }
    }
}

fn save_history(editor: &mut Editor<ReplHelper, DefaultHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    // History is a convenience: failing to save it must not disturb the chat. It can hold
    // private questions: the file is created readable by the user only.
    let mut open = std::fs::OpenOptions::new();
    open.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        open.mode(0o600);
        let _ = open.open(path);
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = open.open(path);
    let _ = editor.append_history(path);
}

/// The slash commands of the interactive chat (Tab completes them).
pub const COMMANDS: &[&str] = &[
    "/attach",
    "/bot",
    "/conversation",
    "/copy",
    "/exit",
    "/help",
    "/new",
    "/quit",
    "/retry",
];

/// Completion and multi-line input for the prompt.
#[derive(Default)]
pub struct ReplHelper {
    files: FilenameCompleter,
}

impl Helper for ReplHelper {}
impl Hinter for ReplHelper {
    type Hint = String;
}
impl Highlighter for ReplHelper {}

impl Completer for ReplHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        if line.starts_with("/attach ") {
            return self.files.complete(line, pos, ctx);
        }
        let typed = &line[..pos];
        if !typed.starts_with('/') || typed.contains(char::is_whitespace) {
            return Ok((pos, Vec::new()));
        }
        let matches = complete_command(typed)
            .into_iter()
            .map(|c| Pair {
                display: c.to_string(),
                replacement: format!("{c} "),
            })
            .collect();
        Ok((0, matches))
    }
}

/// The slash commands that start with `typed`.
pub fn complete_command(typed: &str) -> Vec<&'static str> {
    COMMANDS
        .iter()
        .copied()
        .filter(|c| c.starts_with(typed))
        .collect()
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        Ok(if continues(ctx.input()) {
            ValidationResult::Incomplete
        } else {
            ValidationResult::Valid(None)
        })
    }
}

/// Whether the message goes on: a last line ending in `\`, or an open ```` ``` ```` block.
pub fn continues(input: &str) -> bool {
    let fences = input
        .lines()
        .filter(|l| l.trim_start().starts_with("```"))
        .count();
    input.ends_with('\\') || fences % 2 == 1
}

/// The message as typed: line continuations (`\` at the end of a line) removed.
pub fn joined(input: &str) -> String {
    input.replace("\\\n", "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slash_commands_complete_and_messages_continue() {
        assert_eq!(complete_command("/co"), vec!["/conversation", "/copy"]);
        assert_eq!(complete_command("/r"), vec!["/retry"]);
        assert!(complete_command("/zz").is_empty());
        assert!(continues("first line \\"));
        assert!(continues("look:\n```rust\nfn x"));
        assert!(!continues("look:\n```rust\nfn x\n```"));
        assert!(!continues("plain"));
        assert_eq!(joined("a \\\nb"), "a \nb");
    }
}
