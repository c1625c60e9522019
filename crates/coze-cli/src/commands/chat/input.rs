//! Line input for the interactive chat: rustyline (editing, history) on its own thread, so
//! the async side can wait for a line and for Ctrl-C at the same time. When stdin is not a
//! terminal rustyline reads plain lines, which makes `echo hi | coze demo` work.

use std::path::PathBuf;
use std::sync::mpsc as std_mpsc;
use std::thread;

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{Config, Editor};
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
        let mut editor: Editor<(), DefaultHistory> = Editor::with_config(config)?;
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
    mut editor: Editor<(), DefaultHistory>,
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

fn save_history(editor: &mut Editor<(), DefaultHistory>, path: &std::path::Path) {
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    // History is a convenience: failing to save it must not disturb the chat.
    let _ = editor.append_history(path);
}
