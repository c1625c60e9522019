//! How the rendered answer looks: whether to colour, whether terminal hyperlinks work, how
//! wide the terminal is, and the few styles used.

use std::io;

use anstyle::{AnsiColor, Effects, Style};

/// What the terminal supports; decided once per answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// ANSI colours and effects (`NO_COLOR`, `CLICOLOR`, `CLICOLOR_FORCE`, `TERM=dumb` honoured).
    pub color: bool,
    /// OSC 8 hyperlinks for links and images.
    pub hyperlinks: bool,
    /// Columns available; `None` when unknown (tables then take the width they need).
    pub width: Option<u16>,
}

impl RenderOptions {
    /// Options for stdout as it is now.
    pub fn stdout() -> Self {
        let color = crate::output::color_for(&io::stdout());
        Self {
            color,
            hyperlinks: color && supports_hyperlinks::on(supports_hyperlinks::Stream::Stdout),
            width: comfy_table::Table::new().width().filter(|w| *w >= 20),
        }
    }

    /// No escape sequences at all, `width` columns (tests, `NO_COLOR`).
    #[cfg(test)]
    pub fn plain(width: u16) -> Self {
        Self {
            color: false,
            hyperlinks: false,
            width: Some(width),
        }
    }

    /// Colours and hyperlinks, `width` columns (tests).
    #[cfg(test)]
    pub fn colored(width: u16) -> Self {
        Self {
            color: true,
            hyperlinks: true,
            width: Some(width),
        }
    }

    /// `text` in `style`, or as is without colour.
    pub fn paint(&self, style: Style, text: &str) -> String {
        if !self.color || style == Style::new() || text.is_empty() {
            return text.to_string();
        }
        format!("{}{text}{}", style.render(), style.render_reset())
    }
}

pub const DIM: Style = Style::new().effects(Effects::DIMMED);
pub const BOLD: Style = Style::new().effects(Effects::BOLD);
pub const ITALIC: Style = Style::new().effects(Effects::ITALIC);
pub const STRIKE: Style = Style::new().effects(Effects::STRIKETHROUGH);
pub const CODE: Style = Style::new().fg_color(Some(anstyle::Color::Ansi(AnsiColor::Yellow)));
pub const LINK: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::Blue)))
    .effects(Effects::UNDERLINE);
pub const QUOTE: Style = Style::new()
    .fg_color(Some(anstyle::Color::Ansi(AnsiColor::BrightBlack)))
    .effects(Effects::ITALIC);

/// Headings: level 1 stands out most.
pub fn heading(level: u8) -> Style {
    let color = match level {
        1 => AnsiColor::Magenta,
        2 => AnsiColor::Cyan,
        _ => AnsiColor::Green,
    };
    let style = Style::new()
        .fg_color(Some(anstyle::Color::Ansi(color)))
        .effects(Effects::BOLD);
    if level == 1 {
        style.effects(Effects::BOLD | Effects::UNDERLINE)
    } else {
        style
    }
}

/// Two styles in one: effects add up, the inner colour wins.
pub fn combine(outer: Style, inner: Style) -> Style {
    let mut style = outer.effects(outer.get_effects() | inner.get_effects());
    if let Some(fg) = inner.get_fg_color() {
        style = style.fg_color(Some(fg));
    }
    style
}
