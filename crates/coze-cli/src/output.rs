//! Everything the CLI prints. Data (answers, tables, JSON) goes to stdout; progress, notes,
//! usage and errors go to stderr, so `coze ... | jq` and `coze ... > answer.txt` stay clean.
//!
//! Nothing here uses `println!`: it panics when the reader of a pipe goes away, and a closed
//! pipe must end the command quietly (see `error::is_broken_pipe`).

use std::io::{self, IsTerminal, Write};
use std::sync::{Mutex, PoisonError};
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
/// indicatif draws it (a steady tick on its own thread). Its terminal target pads every line
/// with spaces to the terminal's width, which leaves the cursor in the last column: the `^C`
/// the terminal echoes on Ctrl-C then wraps onto the next line, the final clear hits that
/// line instead, and "thinking…" stays on screen above "(stopped)". So the spinner draws
/// through [`SpinnerTerm`], which ends a line with "erase to the end of the line" instead of
/// the padding: the line is only as long as its text, and the clear takes the `^C` with it.
#[derive(Debug)]
pub struct Spinner {
    bar: indicatif::ProgressBar,
}

impl Spinner {
    fn new(message: &str) -> Self {
        let stderr = io::stderr();
        if !stderr.is_terminal() {
            return Self {
                bar: indicatif::ProgressBar::hidden(),
            };
        }
        let width = console::Term::stderr().size().1;
        let term = SpinnerTerm::new(Box::new(stderr), width);
        Self::start(term, Style::stderr(), message, SPINNER_TICK)
    }

    /// Draws on `term` every `tick` until stopped.
    fn start(term: SpinnerTerm, style: Style, message: &str, tick: Duration) -> Self {
        let message: String = message.chars().take(40).collect();
        let frames: Vec<String> = SPINNER_FRAMES
            .iter()
            .map(|frame| style.spin(&frame.to_string()))
            .collect();
        let frames: Vec<&str> = frames.iter().map(String::as_str).collect();
        let bar = indicatif::ProgressBar::new_spinner().with_style(
            indicatif::ProgressStyle::with_template("{spinner} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner())
                .tick_strings(&frames),
        );
        bar.set_draw_target(indicatif::ProgressDrawTarget::term_like(Box::new(term)));
        bar.set_message(style.dim(&message));
        bar.enable_steady_tick(tick);
        Self { bar }
    }

    /// Removes the spinner and returns once its line is cleared; safe to call more than once
    /// (a second clear would erase whatever was printed on the line since).
    pub fn stop(&self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

impl Drop for Spinner {
    fn drop(&mut self) {
        self.stop();
    }
}

const SPINNER_TICK: Duration = Duration::from_millis(80);
/// indicatif shows the last tick string once finished; a finished spinner is cleared at once.
const SPINNER_FRAMES: [char; 11] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏', ' '];

/// The terminal indicatif draws the spinner on: stderr, with each line's padding to the
/// terminal's width written as "erase to the end of the line" (see [`Spinner`]).
struct SpinnerTerm {
    out: Mutex<Box<dyn Write + Send>>,
    width: u16,
}

impl std::fmt::Debug for SpinnerTerm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpinnerTerm")
            .field("width", &self.width)
            .finish_non_exhaustive()
    }
}

impl SpinnerTerm {
    fn new(out: Box<dyn Write + Send>, width: u16) -> Self {
        Self {
            out: Mutex::new(out),
            width,
        }
    }

    fn write(&self, bytes: &[u8]) -> io::Result<()> {
        self.out
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .write_all(bytes)
    }

    fn csi(&self, n: usize, code: char) -> io::Result<()> {
        if n == 0 {
            return Ok(());
        }
        self.write(format!("\x1b[{n}{code}").as_bytes())
    }
}

impl indicatif::TermLike for SpinnerTerm {
    fn width(&self) -> u16 {
        self.width
    }

    fn move_cursor_up(&self, n: usize) -> io::Result<()> {
        self.csi(n, 'A')
    }

    fn move_cursor_down(&self, n: usize) -> io::Result<()> {
        self.csi(n, 'B')
    }

    fn move_cursor_right(&self, n: usize) -> io::Result<()> {
        self.csi(n, 'C')
    }

    fn move_cursor_left(&self, n: usize) -> io::Result<()> {
        self.csi(n, 'D')
    }

    fn write_line(&self, s: &str) -> io::Result<()> {
        self.write_str(s)?;
        self.write(b"\n")
    }

    /// Trailing spaces (indicatif's padding) become "erase to the end of the line".
    fn write_str(&self, s: &str) -> io::Result<()> {
        let text = s.trim_end_matches(' ');
        self.write(text.as_bytes())?;
        if text.len() < s.len() {
            self.write(b"\x1b[K")?;
        }
        Ok(())
    }

    fn clear_line(&self) -> io::Result<()> {
        self.write(b"\r\x1b[2K")
    }

    fn flush(&self) -> io::Result<()> {
        self.out
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .flush()
    }
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
    use std::sync::Arc;

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
        let term = SpinnerTerm::new(Box::new(sink.clone()), 100);
        let spinner = Spinner::start(term, Style::plain(), "thinking…", Duration::from_millis(2));
        std::thread::sleep(Duration::from_millis(60));
        spinner.stop();
        let text = sink.text();
        assert!(text.ends_with("\r\x1b[2K"), "{text:?}");
        let frames: Vec<&str> = text
            .trim_end_matches("\r\x1b[2K")
            .split('\r')
            .filter(|frame| !frame.is_empty())
            .collect();
        assert!(frames.len() >= 2, "{text:?}");
        for frame in frames {
            // Padding to the terminal width would make a `^C` echo wrap past the clear.
            let frame = frame.trim_start_matches("\x1b[2K");
            let rest = frame
                .strip_suffix(" thinking…\x1b[K")
                .expect("frame + message only");
            assert_eq!(rest.chars().count(), 1, "{frame:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
        assert_eq!(sink.text(), text, "nothing is drawn after stop");
        spinner.stop();
        drop(spinner);
        assert_eq!(sink.text(), text, "a second stop clears nothing");
    }

    #[test]
    fn plain_style_adds_no_escapes() {
        assert_eq!(Style::plain().error("error:"), "error:");
        assert_eq!(Style { color: true }.dim("x"), "\x1b[2mx\x1b[0m");
        assert_eq!(Style { color: true }.error("e"), "\x1b[1m\x1b[31me\x1b[0m");
    }
}
