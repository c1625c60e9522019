//! Where a streamed chat answer goes: the one writer of answer text on stdout.
//!
//! Decided once per answer writer (one terminal check, not one per event):
//!
//! - **Terminal**: each delta is written and flushed at once, with control characters other
//!   than newline and tab dropped (a bot cannot move the cursor or retitle the window).
//! - **Terminal, rendered** (the default on a terminal; `--raw` turns it off): the deltas go
//!   through the markdown [`Renderer`], which prints each line or block once it is complete;
//!   the end of the answer prints what it still holds.
//! - **Pipe or file**: deltas (and `--json` event lines) go through a 64 KiB buffer, byte for
//!   byte. The buffer is flushed at the end of each answer ([`AnswerWriter::finish_answer`]),
//!   whenever the stream pauses (no event ready: [`AnswerWriter::pause`]), and before anything
//!   else is printed or asked (prompts, tool questions, notes on stderr), so a reader of the
//!   pipe sees text as soon as the stream stalls and the order of the two streams is kept.

use std::io::{self, BufWriter, IsTerminal, Stdout, Write};

use crate::output::clean;
use crate::render::{RenderOptions, Renderer};

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
    Rendered(Stdout, Box<Renderer>),
    Pipe(BufWriter<Stdout>),
}

impl AnswerWriter {
    /// A writer to stdout, terminal or not; `render`: markdown rendered on a terminal.
    pub fn stdout(render: bool) -> Self {
        let stdout = io::stdout();
        let sink = if stdout.is_terminal() && render {
            Sink::Rendered(stdout, Box::new(Renderer::new(RenderOptions::stdout())))
        } else if stdout.is_terminal() {
            Sink::Terminal(stdout)
        } else {
            Sink::Pipe(BufWriter::with_capacity(PIPE_BUFFER, stdout))
        };
        Self { sink }
    }

    /// True when the answer goes to a terminal.
    #[allow(dead_code)]
    pub fn is_terminal(&self) -> bool {
        matches!(self.sink, Sink::Terminal(_) | Sink::Rendered(..))
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
            Sink::Rendered(out, renderer) => {
                let shown = renderer.push(text);
                write_flushed(out, &shown)
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
            Sink::Terminal(out) | Sink::Rendered(out, _) => {
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
            // The renderer holds unfinished lines on purpose: printing them now would make
            // the text jump when the line is rendered.
            Sink::Terminal(_) | Sink::Rendered(..) => Ok(()),
            Sink::Pipe(buf) => buf.flush(),
        }
    }

    /// The answer is complete (or stopped): everything is written out.
    ///
    /// # Errors
    /// Fails when stdout is closed.
    pub fn finish_answer(&mut self) -> io::Result<()> {
        if let Sink::Rendered(out, renderer) = &mut self.sink {
            let rest = renderer.finish();
            return write_flushed(out, &rest);
        }
        self.pause()
    }
}

fn write_flushed(out: &Stdout, text: &str) -> io::Result<()> {
    if text.is_empty() {
        return Ok(());
    }
    let mut out = out.lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}
