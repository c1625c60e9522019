//! Markdown answers rendered for the terminal as they stream.
//!
//! [`Renderer::push`] takes the deltas as they arrive and returns what can be printed now;
//! [`Renderer::finish`] returns the rest at the end of the answer. Printed text is never taken
//! back, so the screen never jumps:
//!
//! - a line is rendered when its newline arrives: headings, list items, quotes, rules and
//!   paragraph lines (with emphasis, inline code, links as OSC 8 hyperlinks where the terminal
//!   supports them, images as links);
//! - while a paragraph line is still arriving, its beginning up to the first markdown character
//!   (`*`, `` ` ``, `[`, `_`, …) is printed at once, so long sentences still stream; the rest of
//!   the line follows when it is complete;
//! - a fenced code block is highlighted line by line (syntect), a table is drawn when its last
//!   row has arrived (comfy-table; the widths of Chinese and Japanese text are respected).
//!
//! Control characters other than newline and tab are dropped first: a bot cannot move the
//! cursor or retitle the window. Piped output and `coze chat --raw` do not come here.

mod code;
mod inline;
mod style;
mod table;

pub use style::RenderOptions;

use code::CodeBlock;

/// Streaming markdown to terminal text.
#[derive(Debug)]
pub struct Renderer {
    opts: RenderOptions,
    /// The line being received (no newline yet).
    line: String,
    /// Bytes of `line` already printed as plain text.
    printed: usize,
    block: Block,
}

#[derive(Debug)]
enum Block {
    None,
    Code(Box<CodeBlock>),
    /// Source lines of a table (the first may turn out to be a plain line).
    Table(Vec<String>),
}

impl Renderer {
    pub fn new(opts: RenderOptions) -> Self {
        Self {
            opts,
            line: String::new(),
            printed: 0,
            block: Block::None,
        }
    }

    /// Takes one delta; returns what is ready to print.
    pub fn push(&mut self, delta: &str) -> String {
        let mut out = String::new();
        self.line.push_str(&crate::output::clean(delta));
        while let Some(end) = self.line.find('\n') {
            let mut line: String = self.line.drain(..=end).collect();
            line.pop();
            if line.ends_with('\r') {
                line.pop();
            }
            let printed = std::mem::take(&mut self.printed);
            self.finished_line(&line, printed, &mut out);
        }
        self.partial_line(&mut out);
        out
    }

    /// Ends the answer: renders a last line without newline, an unfinished table or code block.
    pub fn finish(&mut self) -> String {
        let mut out = String::new();
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            let printed = std::mem::take(&mut self.printed);
            self.finished_line(&line, printed, &mut out);
        }
        self.close_block(&mut out);
        out
    }

    fn close_block(&mut self, out: &mut String) {
        match std::mem::replace(&mut self.block, Block::None) {
            Block::None => {}
            Block::Code(code) => out.push_str(&code.close(&self.opts)),
            Block::Table(lines) => self.flush_table(lines, out),
        }
    }

    fn flush_table(&mut self, lines: Vec<String>, out: &mut String) {
        if lines.len() >= 2 && table::is_delimiter(&lines[1]) {
            out.push_str(&table::render(&lines, &self.opts));
        } else {
            // Not a table after all: plain lines.
            for line in lines {
                self.plain_line(&line, 0, out);
            }
        }
    }

    fn finished_line(&mut self, line: &str, printed: usize, out: &mut String) {
        match &mut self.block {
            Block::Code(code) => {
                if code.is_closing(line) {
                    self.close_block(out);
                } else {
                    out.push_str(&code.line(line));
                }
                return;
            }
            Block::Table(lines) => {
                let second = lines.len() == 1;
                if table::is_row(line) && (!second || table::is_delimiter(line)) {
                    lines.push(line.to_string());
                    return;
                }
                self.close_block(out);
            }
            Block::None => {}
        }
        if printed == 0 {
            if let Some((fence, info)) = code::opening_fence(line) {
                let (code, header) = CodeBlock::open(fence, &info, &self.opts);
                out.push_str(&header);
                self.block = Block::Code(Box::new(code));
                return;
            }
            if table::is_row(line) {
                self.block = Block::Table(vec![line.to_string()]);
                return;
            }
        }
        self.plain_line(line, printed, out);
    }

    /// A line outside code and tables; its first `printed` bytes are already on screen.
    fn plain_line(&self, line: &str, printed: usize, out: &mut String) {
        if line.trim().is_empty() {
            out.push('\n');
            return;
        }
        if printed > 0 {
            out.push_str(&self.rest_of_line(line, printed));
            out.push('\n');
            return;
        }
        // Indentation is kept as is; parsed alone, four spaces would make a code block.
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        out.push_str(indent);
        out.push_str(&inline::render_line(body, &self.opts));
        out.push('\n');
    }

    /// The rendering of `line` after its plain beginning `line[..printed]`.
    fn rest_of_line(&self, line: &str, printed: usize) -> String {
        let rendered = inline::render_line(line.trim_start(), &self.opts);
        let shown = &line[..printed];
        if let Some(rest) = rendered.strip_prefix(shown) {
            return rest.to_string();
        }
        // The parser drops trailing spaces of a line.
        if let Some(rest) = rendered.strip_prefix(shown.trim_end()) {
            return rest.trim_start().to_string();
        }
        inline::render_line(line[printed..].trim_start(), &self.opts)
    }

    /// Prints the plain beginning of a paragraph line that is still arriving.
    fn partial_line(&mut self, out: &mut String) {
        if !matches!(self.block, Block::None) || self.line.is_empty() {
            return;
        }
        // Only lines that cannot start a block: a letter (not a digit: `1.` is a list).
        let starts_plain = self.line.chars().next().is_some_and(|c| c.is_alphabetic());
        if !starts_plain {
            return;
        }
        let rest = &self.line[self.printed..];
        let plain = rest.find(is_markdown_char).unwrap_or(rest.len());
        if plain > 0 {
            out.push_str(&rest[..plain]);
            self.printed += plain;
        }
    }
}

/// Characters that can start inline markup, an entity or an escape.
fn is_markdown_char(c: char) -> bool {
    matches!(
        c,
        '*' | '_' | '`' | '[' | ']' | '!' | '<' | '>' | '&' | '\\' | '~' | '|' | '$'
    )
}

#[cfg(test)]
mod tests;
