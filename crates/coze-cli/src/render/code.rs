//! Fenced code blocks, highlighted line by line with syntect as each line finishes.
//!
//! The grammars and themes load on the first code block only, so a chat without code (and
//! `coze --version`) never pays for them.

use std::sync::OnceLock;

use syntect::easy::HighlightLines;
use syntect::highlighting::{Theme, ThemeSet};
use syntect::parsing::SyntaxSet;
use syntect::util::as_24_bit_terminal_escaped;

use super::style::{self, RenderOptions};

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

fn theme() -> Option<&'static Theme> {
    static THEMES: OnceLock<ThemeSet> = OnceLock::new();
    THEMES
        .get_or_init(ThemeSet::load_defaults)
        .themes
        .get("base16-ocean.dark")
}

/// An open code block: its fence and, with colour, the highlighter's state.
pub struct CodeBlock {
    fence: String,
    highlighter: Option<HighlightLines<'static>>,
}

impl std::fmt::Debug for CodeBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CodeBlock")
            .field("fence", &self.fence)
            .finish_non_exhaustive()
    }
}

/// The fence that opens a code block (```` ``` ```` or `~~~`, at least three, at most three
/// spaces in) and its info string.
pub fn opening_fence(line: &str) -> Option<(String, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let rest = &line[indent..];
    let marker = rest.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = rest.chars().take_while(|c| *c == marker).count();
    if len < 3 {
        return None;
    }
    let info = rest[len..].trim();
    // A backtick fence's info string cannot hold a backtick (that is inline code).
    if marker == '`' && info.contains('`') {
        return None;
    }
    Some((rest[..len].to_string(), info.to_string()))
}

impl CodeBlock {
    /// Opens a block; returns it and the line to print for the opening fence.
    pub fn open(fence: String, info: &str, opts: &RenderOptions) -> (Self, String) {
        let lang = info.split_whitespace().next().unwrap_or("");
        let highlighter = if opts.color {
            let set = syntaxes();
            let syntax = set
                .find_syntax_by_token(lang)
                .unwrap_or_else(|| set.find_syntax_plain_text());
            theme().map(|theme| HighlightLines::new(syntax, theme))
        } else {
            None
        };
        let header = opts.paint(style::DIM, &format!("{fence}{lang}"));
        (Self { fence, highlighter }, format!("{header}\n"))
    }

    /// Whether `line` closes this block.
    pub fn is_closing(&self, line: &str) -> bool {
        let trimmed = line.trim();
        let marker = self.fence.chars().next().unwrap_or('`');
        let indent = line.len() - line.trim_start_matches(' ').len();
        indent <= 3 && trimmed.len() >= self.fence.len() && trimmed.chars().all(|c| c == marker)
    }

    /// One line of code, highlighted when colours are on.
    pub fn line(&mut self, line: &str) -> String {
        let Some(highlighter) = self.highlighter.as_mut() else {
            return format!("{line}\n");
        };
        let with_newline = format!("{line}\n");
        match highlighter.highlight_line(&with_newline, syntaxes()) {
            Ok(ranges) => {
                let text = as_24_bit_terminal_escaped(&ranges, false);
                // Reset before the newline so no colour bleeds into what follows.
                format!("{}\x1b[0m\n", text.trim_end_matches('\n'))
            }
            Err(_) => with_newline,
        }
    }

    /// The line for the closing fence.
    pub fn close(&self, opts: &RenderOptions) -> String {
        format!("{}\n", opts.paint(style::DIM, &self.fence))
    }
}
