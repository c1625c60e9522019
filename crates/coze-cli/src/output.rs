//! Everything the CLI prints. Data (answers, tables, JSON) goes to stdout; progress, notes,
//! usage and errors go to stderr, so `coze ... | jq` and `coze ... > answer.txt` stay clean.
//!
//! Nothing here uses `println!`: it panics when the reader of a pipe goes away, and a closed
//! pipe must end the command quietly (see `error::is_broken_pipe`).

use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

use anstyle::AnsiColor;
use serde::Serialize;

/// ANSI styling for one stream; plain when the stream is not a terminal or `NO_COLOR` is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    color: bool,
}

impl Style {
    /// No escape sequences at all.
    #[cfg(test)]
    pub fn plain() -> Self {
        Self { color: false }
    }

    /// Colours when stderr is a terminal (see [`color_for`]).
    pub fn stderr() -> Self {
        Self {
            color: color_for(&io::stderr()),
        }
    }

    /// Colours when stdout is a terminal (see [`color_for`]).
    pub fn stdout() -> Self {
        Self {
            color: color_for(&io::stdout()),
        }
    }

    fn paint(self, style: anstyle::Style, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }

    pub fn error(self, text: &str) -> String {
        self.paint(bold_fg(AnsiColor::Red), text)
    }

    pub fn hint(self, text: &str) -> String {
        self.paint(bold_fg(AnsiColor::Cyan), text)
    }

    pub fn bold(self, text: &str) -> String {
        self.paint(anstyle::Style::new().bold(), text)
    }

    pub fn dim(self, text: &str) -> String {
        self.paint(anstyle::Style::new().dimmed(), text)
    }

    pub fn accent(self, text: &str) -> String {
        self.paint(bold_fg(AnsiColor::Green), text)
    }

    pub fn warn(self, text: &str) -> String {
        self.paint(bold_fg(AnsiColor::Yellow), text)
    }

    /// The spinner's frame colour.
    fn spin(self, text: &str) -> String {
        self.paint(
            anstyle::Style::new().fg_color(Some(AnsiColor::Cyan.into())),
            text,
        )
    }
}

fn bold_fg(color: AnsiColor) -> anstyle::Style {
    anstyle::Style::new().bold().fg_color(Some(color.into()))
}

/// Whether to colour `stream`, by the usual conventions (anstream): `CLICOLOR_FORCE` set
/// (not `0`) forces colour, `NO_COLOR` set (not empty) or `CLICOLOR=0` turns it off, otherwise
/// colour when the stream is a terminal whose `TERM` is not `dumb`.
pub fn color_for<S: anstream::stream::RawStream>(stream: &S) -> bool {
    anstream::AutoStream::choice(stream) != anstream::ColorChoice::Never
}

/// The printer every command gets: knows `--json` and which streams are terminals.
#[derive(Debug, Clone)]
pub struct Output {
    json: bool,
    out: Style,
    err: Style,
}

impl Output {
    pub fn new(json: bool) -> Self {
        Self {
            json,
            out: Style::stdout(),
            err: Style::stderr(),
        }
    }

    /// `--json` was given.
    pub fn json(&self) -> bool {
        self.json
    }

    /// Styling for stdout (data).
    pub fn out_style(&self) -> Style {
        self.out
    }

    /// Styling for stderr (everything that is not data).
    pub fn err_style(&self) -> Style {
        self.err
    }

    /// Writes data to stdout as it arrives (streamed answers), flushing at once.
    ///
    /// # Errors
    /// Fails when stdout is closed (a broken pipe ends the command with status 0).
    pub fn write(&self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// One line of data on stdout.
    ///
    /// # Errors
    /// Fails when stdout is closed.
    pub fn line(&self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// One compact JSON value on its own line on stdout.
    ///
    /// # Errors
    /// Fails when the value cannot be serialised or stdout is closed.
    pub fn json_line<T: Serialize + ?Sized>(&self, value: &T) -> io::Result<()> {
        let text = serde_json::to_string(value).map_err(io::Error::other)?;
        self.line(&text)
    }

    /// An aligned table on stdout; an empty table prints `empty` on stderr instead.
    ///
    /// # Errors
    /// Fails when stdout is closed.
    pub fn table(&self, headers: &[&str], rows: &[Vec<String>], empty: &str) -> io::Result<()> {
        if rows.is_empty() {
            self.note(&self.err.dim(empty));
            return Ok(());
        }
        let text = render_table(headers, rows, self.out);
        self.write(&text)
    }

    /// A list of records: one JSON line each with `--json`, otherwise a table with one `row`
    /// per record (`empty` on stderr when there are none).
    ///
    /// # Errors
    /// Fails when a record cannot be serialised or stdout is closed.
    pub fn list<T: Serialize>(
        &self,
        items: &[T],
        headers: &[&str],
        row: impl Fn(&T) -> Vec<String>,
        empty: &str,
    ) -> io::Result<()> {
        if self.json {
            for item in items {
                self.json_line(item)?;
            }
            return Ok(());
        }
        let rows: Vec<Vec<String>> = items.iter().map(row).collect();
        self.table(headers, &rows, empty)
    }

    /// A line on stderr. Failures to write diagnostics are ignored: there is nowhere left to
    /// report them, and they must not turn a successful command into a failed one.
    pub fn note(&self, text: &str) {
        stderr_line(text);
    }

    /// A dimmed line on stderr.
    pub fn dim(&self, text: &str) {
        self.note(&self.err.dim(text));
    }

    /// A spinner on stderr, drawn only when stderr is a terminal.
    pub fn spinner(&self, message: &str) -> Spinner {
        Spinner::new(message)
    }
}

/// A line on stderr for code without an [`Output`]. Use it instead of `eprintln!`, which
/// panics when stderr is a closed pipe (`coze ... 2>&1 | head -1`): a warning must never
/// crash the command.
pub fn stderr_line(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// A spinner on stderr until the first token arrives; cleared when stopped or dropped.
///
/// Drawn by hand: progress-bar crates pad the line to the terminal's width, so the `^C` the
/// terminal echoes on Ctrl-C wraps onto the next line, the final clear hits that line instead,
/// and "thinking…" stays on screen above "(stopped)". Here the line is only as long as its text.
#[derive(Debug)]
pub struct Spinner {
    running: Mutex<Option<Running>>,
}

#[derive(Debug)]
struct Running {
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: std::thread::JoinHandle<()>,
}

impl Spinner {
    fn new(message: &str) -> Self {
        let stderr = io::stderr();
        if !stderr.is_terminal() {
            return Self::idle();
        }
        Self::start(stderr, Style::stderr(), message, SPINNER_TICK)
    }

    fn idle() -> Self {
        Self {
            running: Mutex::new(None),
        }
    }

    /// Draws on `w` every `tick` until stopped; a spinner that cannot start is just not shown.
    fn start(w: impl Write + Send + 'static, style: Style, message: &str, tick: Duration) -> Self {
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let flag = Arc::clone(&stop);
        let message: String = message.chars().take(40).collect();
        let thread = std::thread::Builder::new()
            .name("coze-spinner".into())
            .spawn(move || spin(w, style, &message, tick, &flag));
        match thread {
            Ok(thread) => Self {
                running: Mutex::new(Some(Running { stop, thread })),
            },
            Err(_) => Self::idle(),
        }
    }

    /// Removes the spinner and returns once its line is cleared; safe to call more than once.
    pub fn stop(&self) {
        let running = self
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(Running { stop, thread }) = running {
            let (flag, wake) = &*stop;
            *flag.lock().unwrap_or_else(PoisonError::into_inner) = true;
            wake.notify_all();
            let _ = thread.join();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop();
    }
}

const SPINNER_TICK: Duration = Duration::from_millis(80);
const SPINNER_FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/// The spinner thread: `\r`, frame, message, erase to the end of the line; on stop, erase it.
fn spin(
    mut w: impl Write,
    style: Style,
    message: &str,
    tick: Duration,
    stop: &(Mutex<bool>, Condvar),
) {
    let (flag, wake) = stop;
    let mut stopped = flag.lock().unwrap_or_else(PoisonError::into_inner);
    for frame in SPINNER_FRAMES.iter().cycle() {
        if *stopped {
            break;
        }
        // Diagnostics only: a failed write must not end the command.
        let _ = write!(
            w,
            "\r{} {}\x1b[K",
            style.spin(&frame.to_string()),
            style.dim(message)
        );
        let _ = w.flush();
        stopped = match wake.wait_timeout(stopped, tick) {
            Ok((guard, _)) => guard,
            Err(poisoned) => poisoned.into_inner().0,
        };
    }
    let _ = write!(w, "\r\x1b[2K");
    let _ = w.flush();
}

/// Columns aligned by display width (comfy-table with unicode-width: Chinese names are
/// common on coze.cn and take two columns a character), two spaces apart, header in bold.
fn render_table(headers: &[&str], rows: &[Vec<String>], style: Style) -> String {
    use comfy_table::{Cell, Table, presets};
    let mut table = Table::new();
    table.load_style(presets::NOTHING);
    table.set_header(headers.iter().map(|h| Cell::new(style.bold(h))));
    for row in rows {
        let mut cells: Vec<Cell> = row.iter().map(|c| Cell::new(one_line(c))).collect();
        cells.resize_with(headers.len(), || Cell::new(""));
        table.add_row(cells);
    }
    let last = headers.len().saturating_sub(1);
    for (i, column) in table.column_iter_mut().enumerate() {
        let right = if i < last { 2 } else { 0 };
        column.set_padding((0, right));
    }
    let mut text = String::new();
    for line in table.lines() {
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

/// Table cells stay on one line: newlines and tabs become spaces, long text is shortened.
fn one_line(cell: &str) -> String {
    const MAX: usize = 60;
    let flat: String = cell
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() <= MAX {
        return flat;
    }
    let mut short: String = flat.chars().take(MAX - 1).collect();
    short.push('…');
    short
}

/// `text` without control characters other than newline and tab: server text shown on a
/// terminal must not carry escape sequences.
pub fn clean(text: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c.is_control() && c != '\n' && c != '\t';
    if text.chars().any(bad) {
        text.chars().filter(|c| !bad(*c)).collect::<String>().into()
    } else {
        text.into()
    }
}

/// A Unix timestamp (`Option<i64>` or a [`coze_sdk::types::Timestamp`]) as
/// `YYYY-MM-DD HH:MM` (UTC); empty when unknown.
pub fn format_time(ts: impl Into<Option<i64>>) -> String {
    ts.into()
        .filter(|t| *t > 0)
        .and_then(crate::config::time::format_minutes)
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn timestamps_format_as_utc() {
        assert_eq!(format_time(Some(0)), "");
        assert_eq!(format_time(None), "");
        assert_eq!(format_time(Some(1_716_809_829)), "2024-05-27 11:37");
        assert_eq!(format_time(Some(951_782_400)), "2000-02-29 00:00");
    }

    use super::*;

    #[test]
    fn table_aligns_columns_including_wide_characters() {
        let rows = vec![
            vec!["1".to_string(), "客服".to_string(), "x".to_string()],
            vec!["22".to_string(), "support".to_string(), "y".to_string()],
        ];
        let text = render_table(&["ID", "NAME", "Z"], &rows, Style::plain());
        assert_eq!(text, "ID  NAME     Z\n1   客服     x\n22  support  y\n");
    }

    #[test]
    fn cells_are_flattened_and_shortened() {
        assert_eq!(one_line("a\nb"), "a b");
        let long = "x".repeat(100);
        let short = one_line(&long);
        assert_eq!(short.chars().count(), 60);
        assert!(short.ends_with('…'));
    }

    #[test]
    fn clean_drops_escape_sequences_but_keeps_newlines() {
        assert_eq!(clean("a\x1b]0;pwned\x07b\n\tc"), "a]0;pwnedb\n\tc");
        assert!(matches!(clean("plain\n"), std::borrow::Cow::Borrowed(_)));
    }

    /// A `Write` the test can read while the spinner thread writes to it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("test lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Shared {
        fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("test lock").clone()).expect("utf-8")
        }
    }

    #[test]
    fn spinner_lines_are_unpadded_and_cleared_on_stop() {
        let sink = Shared::default();
        let spinner = Spinner::start(
            sink.clone(),
            Style::plain(),
            "thinking…",
            Duration::from_millis(2),
        );
        std::thread::sleep(Duration::from_millis(40));
        spinner.stop();
        let text = sink.text();
        assert!(text.ends_with("\r\x1b[2K"), "{text:?}");
        let frames: Vec<&str> = text
            .trim_end_matches("\r\x1b[2K")
            .split('\r')
            .skip(1)
            .collect();
        assert!(frames.len() >= 2, "{text:?}");
        for frame in frames {
            // Padding to the terminal width would make a `^C` echo wrap past the clear.
            let rest = frame
                .strip_suffix(" thinking…\x1b[K")
                .expect("frame + message only");
            assert_eq!(rest.chars().count(), 1, "{frame:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
        assert_eq!(sink.text(), text, "nothing is drawn after stop");
        spinner.stop();
    }

    #[test]
    fn plain_style_adds_no_escapes() {
        assert_eq!(Style::plain().error("error:"), "error:");
        assert_eq!(Style { color: true }.dim("x"), "\x1b[2mx\x1b[0m");
        assert_eq!(Style { color: true }.error("e"), "\x1b[1m\x1b[31me\x1b[0m");
    }
}
