//! One finished line (or table cell) of markdown to terminal text, with pulldown-cmark.
//!
//! The streaming side hands over one line at a time, so what is parsed here is a heading, a
//! list item, a quote line, a rule or a line of a paragraph. Tables and fenced code blocks
//! never come here: they span lines and have their own modules.

use anstyle::Style;
use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::style::{self, RenderOptions};

/// Renders one line of markdown (without its newline).
pub fn render_line(src: &str, opts: &RenderOptions) -> String {
    let mut inline = Inline::new(opts);
    for event in Parser::new_ext(src, parser_options()) {
        inline.event(event);
    }
    inline.out
}

/// Renders a table cell: inline markup only, so `1. x` or `- x` stays text.
pub fn render_cell(src: &str, opts: &RenderOptions) -> String {
    render_line(&escape_block_start(src.trim()), opts)
}

fn parser_options() -> Options {
    Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS
}

/// `text` with a backslash before whatever would make it a block (heading, list, quote,
/// rule, fence) rather than inline text.
fn escape_block_start(text: &str) -> String {
    let mut chars = text.chars();
    let first = chars.next();
    let second = chars.next();
    let rule = text.chars().filter(|c| !c.is_whitespace()).count() >= 3
        && ['-', '*', '_']
            .iter()
            .any(|m| text.chars().all(|c| c == *m || c.is_whitespace()));
    let block = match first {
        Some('#' | '>' | '=') => true,
        Some('-' | '+' | '*') => second.is_none_or(char::is_whitespace),
        Some('`') => text.starts_with("```"),
        Some('~') => text.starts_with("~~~"),
        _ => false,
    };
    if block || rule {
        return format!("\\{text}");
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && matches!(text.as_bytes().get(digits), Some(b'.' | b')')) {
        return format!("{}\\{}", &text[..digits], &text[digits..]);
    }
    text.to_string()
}

struct Inline<'o> {
    opts: &'o RenderOptions,
    out: String,
    styles: Vec<Style>,
    /// The next number of each open list (`None`: bullets).
    lists: Vec<Option<u64>>,
    /// Open links and images: destination and the text seen so far.
    links: Vec<(String, String)>,
    quote: usize,
}

impl<'o> Inline<'o> {
    fn new(opts: &'o RenderOptions) -> Self {
        Self {
            opts,
            out: String::new(),
            styles: Vec::new(),
            lists: Vec::new(),
            links: Vec::new(),
            quote: 0,
        }
    }

    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(Style::new(), |acc, s| style::combine(acc, *s))
    }

    fn text(&mut self, text: &str) {
        if let Some((_, seen)) = self.links.last_mut() {
            seen.push_str(text);
        }
        let painted = self.opts.paint(self.style(), text);
        self.out.push_str(&painted);
    }

    fn raw(&mut self, text: &str) {
        self.out.push_str(text);
    }

    fn dim(&mut self, text: &str) {
        let painted = self.opts.paint(style::DIM, text);
        self.out.push_str(&painted);
    }

    fn new_line(&mut self) {
        self.out.push('\n');
        if self.quote > 0 {
            let bar = "│ ".repeat(self.quote);
            self.dim(&bar);
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => self.text(&text),
            Event::Code(code) => {
                if self.opts.color {
                    let style = style::combine(self.style(), style::CODE);
                    let painted = self.opts.paint(style, &code);
                    self.raw(&painted);
                } else {
                    self.text(&format!("`{code}`"));
                }
            }
            Event::Html(html) | Event::InlineHtml(html) => self.text(&html),
            Event::SoftBreak | Event::HardBreak => self.new_line(),
            Event::Rule => {
                let width = usize::from(self.opts.width.unwrap_or(40).clamp(3, 80));
                self.dim(&"─".repeat(width));
            }
            Event::TaskListMarker(done) => self.raw(if done { "☑ " } else { "☐ " }),
            Event::FootnoteReference(name) => self.text(&format!("[^{name}]")),
            Event::InlineMath(m) | Event::DisplayMath(m) => self.text(&m),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { level, .. } => {
                let n = heading_number(level);
                if !self.opts.color {
                    self.raw(&format!("{} ", "#".repeat(usize::from(n))));
                }
                self.styles.push(style::heading(n));
            }
            Tag::BlockQuote(_) => {
                self.quote += 1;
                self.dim("│ ");
                self.styles.push(style::QUOTE);
            }
            Tag::List(first) => self.lists.push(first),
            Tag::Item => {
                let depth = self.lists.len().saturating_sub(1);
                self.raw(&"  ".repeat(depth));
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let marker = format!("{n}. ");
                        *n += 1;
                        marker
                    }
                    _ => "• ".to_string(),
                };
                let painted = self.opts.paint(style::BOLD, &marker);
                self.raw(&painted);
            }
            Tag::Emphasis => self.styles.push(style::ITALIC),
            Tag::Strong => self.styles.push(style::BOLD),
            Tag::Strikethrough => self.styles.push(style::STRIKE),
            Tag::Link { dest_url, .. } => self.open_link(&dest_url, false),
            Tag::Image { dest_url, .. } => self.open_link(&dest_url, true),
            // Paragraphs, code blocks and the rest: the text alone.
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) | TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => {
                self.styles.pop();
            }
            TagEnd::BlockQuote(_) => {
                self.quote = self.quote.saturating_sub(1);
                self.styles.pop();
            }
            TagEnd::List(_) => {
                self.lists.pop();
            }
            TagEnd::Link => self.close_link(false),
            TagEnd::Image => self.close_link(true),
            _ => {}
        }
    }

    fn open_link(&mut self, url: &str, image: bool) {
        let url = crate::output::clean(url).replace(['\n', '\t'], "");
        if image {
            self.raw(&self.opts.paint(style::DIM, "[image: "));
        }
        if self.opts.hyperlinks && !url.is_empty() {
            self.raw(&format!("\x1b]8;;{url}\x1b\\"));
        }
        self.styles.push(style::LINK);
        self.links.push((url, String::new()));
    }

    fn close_link(&mut self, image: bool) {
        self.styles.pop();
        let Some((url, text)) = self.links.pop() else {
            return;
        };
        if image && text.is_empty() {
            self.text("image");
        }
        if self.opts.hyperlinks && !url.is_empty() {
            self.raw("\x1b]8;;\x1b\\");
        }
        if image {
            self.raw(&self.opts.paint(style::DIM, "]"));
        }
        // Without terminal hyperlinks the address is shown, unless the text is the address.
        if !self.opts.hyperlinks && !url.is_empty() && text != url {
            self.dim(&format!(" ({url})"));
        }
    }
}

fn heading_number(level: HeadingLevel) -> u8 {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_starts_in_cells_stay_text() {
        let plain = RenderOptions::plain(80);
        assert_eq!(render_cell("1. one", &plain), "1. one");
        assert_eq!(render_cell("- dash", &plain), "- dash");
        assert_eq!(render_cell("# no", &plain), "# no");
        assert_eq!(render_cell("**b** x", &plain), "b x");
        assert_eq!(render_cell("*i*", &plain), "i");
        assert_eq!(render_cell("***", &plain), "***");
    }

    #[test]
    fn links_show_their_address_without_hyperlinks() {
        let plain = RenderOptions::plain(80);
        assert_eq!(
            render_line("see [docs](https://x.test/d)", &plain),
            "see docs (https://x.test/d)"
        );
        assert_eq!(render_line("<https://x.test/>", &plain), "https://x.test/");
        let color = RenderOptions::colored(80);
        let line = render_line("[d](https://x.test/)", &color);
        assert!(
            line.starts_with("\x1b]8;;https://x.test/\x1b\\"),
            "{line:?}"
        );
        assert!(line.ends_with("\x1b]8;;\x1b\\"), "{line:?}");
    }
}
