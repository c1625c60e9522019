//! Where a streamed chat answer goes: the one writer of answer text on stdout.
//!
//! Decided once per answer writer (one terminal check, not one per event):
//!
//! - **Terminal**: each delta is written and flushed at once, with control characters other
//!   than newline and tab dropped (a bot cannot move the cursor or retitle the window). A
//!   renderer for the terminal (markdown, say) plugs in here: it receives the same three calls.
//! - **Pipe or file**: deltas (and `--json` event lines) go through a 64 KiB buffer, byte for
//!   byte. The buffer is flushed at the end of each answer ([`AnswerWriter::finish_answer`]),
//!   whenever the stream pauses (no event ready: [`AnswerWriter::pause`]), and before anything
//!   else is printed or asked (prompts, tool questions, notes on stderr), so a reader of the
//!   pipe sees text as soon as the stream stalls and the order of the two streams is kept.

use std::io::{self, BufWriter, IsTerminal, Stdout, Write};

use crate::output::clean;

/// Capacity of the pipe buffer.
const PIPE_BUFFER: usize = 64 * 1024;

/// Writes the answer text of a chat; see the module docs.
#[derive(Debug)]
pub struct AnswerWriter {
    sink: Sink,
}

#[derive(Debug)]
enum Sink {
    Terminal(Stdout),
    Pipe(BufWriter<Stdout>),
}

impl AnswerWriter {
    /// A writer to stdout, terminal or not.
    pub fn stdout() -> Self {
        let stdout = io::stdout();
        let sink = if stdout.is_terminal() {
            Sink::Terminal(stdout)
        } else {
            Sink::Pipe(BufWriter::with_capacity(PIPE_BUFFER, stdout))
        };
        Self { sink }
    }

    /// True when the answer goes to a terminal.
    #[allow(dead_code)]
    pub fn is_terminal(&self) -> bool {
        matches!(self.sink, Sink::Terminal(_))
    }

    /// One increment of the answer (or a line end the chat view adds).
    ///
    /// # Errors
    /// Fails when stdout is closed (a broken pipe ends the command with status 0).
    pub fn write_delta(&mut self, text: &str) -> io::Result<()> {
        match &mut self.sink {
            Sink::Terminal(out) => {
                let mut out = out.lock();
                out.write_all(clean(text).as_bytes())?;
                out.flush()
            }
            Sink::Pipe(buf) => buf.write_all(text.as_bytes()),
        }
    }

    /// One event as a compact JSON line (`--json`), through the same buffer as the answer.
    ///
    /// # Errors
    /// Fails when the value cannot be serialised or stdout is closed.
    pub fn write_json_line<T: serde::Serialize + ?Sized>(&mut self, value: &T) -> io::Result<()> {
        let mut line = serde_json::to_string(value).map_err(io::Error::other)?;
        line.push('\n');
        match &mut self.sink {
            Sink::Terminal(out) => {
                let mut out = out.lock();
                out.write_all(line.as_bytes())?;
                out.flush()
            }
            Sink::Pipe(buf) => buf.write_all(line.as_bytes()),
        }
    }

    /// The stream has nothing ready, or something else is about to be printed or asked:
    /// show what was buffered.
    ///
    /// # Errors
    /// Fails when stdout is closed.
    pub fn pause(&mut self) -> io::Result<()> {
        match &mut self.sink {
            Sink::Terminal(_) => Ok(()),
            Sink::Pipe(buf) => buf.flush(),
        }
    }

    /// The answer is complete (or stopped): everything is written out.
    ///
    /// # Errors
    /// Fails when stdout is closed.
    pub fn finish_answer(&mut self) -> io::Result<()> {
        self.pause()
    }
}
