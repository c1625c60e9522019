//! Markdown tables, drawn with comfy-table once the whole table has arrived (a column's
//! width depends on its last row). Display widths come from unicode-width, so Chinese,
//! Japanese and Korean text stays aligned.

use comfy_table::{Cell, CellAlignment, ContentArrangement, Table, presets};

use super::inline::render_cell;
use super::style::{self, RenderOptions};

/// Whether `line` can be a table row: it has a `|` outside code spans.
pub fn is_row(line: &str) -> bool {
    !line.trim().is_empty() && split_row(line).len() > 1 || line.trim_start().starts_with('|')
}

/// Whether `line` is the delimiter row under a table's header (`|---|:--:|`).
pub fn is_delimiter(line: &str) -> bool {
    let cells = split_row(line);
    !cells.is_empty()
        && cells.iter().all(|c| {
            let c = c.trim();
            let inner = c.trim_start_matches(':').trim_end_matches(':');
            !inner.is_empty() && inner.chars().all(|ch| ch == '-')
        })
}

/// The cells of a row: split on `|` that is neither escaped nor inside a code span; the outer
/// pipes are optional.
pub fn split_row(line: &str) -> Vec<String> {
    let line = line.trim();
    let line = line.strip_prefix('|').unwrap_or(line);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut in_code = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '`' => {
                in_code = !in_code;
                cell.push(c);
            }
            '|' if !in_code => cells.push(std::mem::take(&mut cell)),
            _ => cell.push(c),
        }
    }
    if !cell.trim().is_empty() {
        cells.push(cell);
    }
    cells
}

fn alignment(delimiter: &str) -> CellAlignment {
    let d = delimiter.trim();
    match (d.starts_with(':'), d.ends_with(':')) {
        (true, true) => CellAlignment::Center,
        (false, true) => CellAlignment::Right,
        _ => CellAlignment::Left,
    }
}

/// Draws a table from its source lines: header, delimiter, rows.
pub fn render(lines: &[String], opts: &RenderOptions) -> String {
    let Some((header, rest)) = lines.split_first() else {
        return String::new();
    };
    let (aligns, rows) = match rest.split_first() {
        Some((delimiter, rows)) if is_delimiter(delimiter) => (
            split_row(delimiter)
                .iter()
                .map(|d| alignment(d))
                .collect::<Vec<_>>(),
            rows,
        ),
        _ => (Vec::new(), rest),
    };
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED.with_rounded_corners())
        .set_content_arrangement(ContentArrangement::Disabled);
    if let Some(width) = opts.width {
        // Wrap cells to fit the terminal.
        table
            .set_width(width)
            .set_content_arrangement(ContentArrangement::Dynamic);
    }
    let header_cells: Vec<Cell> = split_row(header)
        .iter()
        .map(|c| Cell::new(opts.paint(style::BOLD, &render_cell(c, opts))))
        .collect();
    let columns = header_cells.len();
    table.set_header(header_cells);
    for row in rows {
        let mut cells: Vec<Cell> = split_row(row)
            .iter()
            .take(columns)
            .map(|c| Cell::new(render_cell(c, opts)))
            .collect();
        cells.resize_with(columns, || Cell::new(""));
        table.add_row(cells);
    }
    for (i, align) in aligns.into_iter().enumerate().take(columns) {
        if let Some(column) = table.column_mut(i) {
            column.set_cell_alignment(align);
        }
    }
    format!("{table}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_split_on_unescaped_pipes_outside_code() {
        assert_eq!(split_row("| a | b |"), vec![" a ", " b "]);
        assert_eq!(
            split_row("a | `x|y` | c\\|d"),
            vec!["a ", " `x|y` ", " c|d"]
        );
        assert!(is_delimiter("|---|:-:|--:|"));
        assert!(!is_delimiter("| a | b |"));
        assert!(is_row("| x |"));
        assert!(!is_row("plain text"));
    }
}
