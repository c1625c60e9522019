//! Snapshot tests of the rendering, with and without colour. Escape characters show as `␛`
//! in the snapshots.

use super::*;

const ANSWER: &str = "\
# Weather report

It is **sunny** in *Paris* today, with `25°C` and a ~~chance~~ of rain.

## Details
- morning: mild
  - wind: light
- evening: **warm**
1. pack water
2. see [the forecast](https://weather.test/paris)

> Stay in the shade.

- [x] checked
- [ ] unchecked

![radar](https://weather.test/radar.png)

---
done
";

const CJK_TABLE: &str = "\
| 城市 | 天气 | 温度 |
|:-----|:----:|-----:|
| 北京 | 晴 | 25 |
| Paris | *cloudy* | 18 |
| 東京 | 雨のち晴れ | 21 |
";

const CODE: &str = "\
Here is code:

```rust
fn main() {
    println!(\"hi\");
}
```
after
";

fn render_all(text: &str, opts: RenderOptions) -> String {
    let mut r = Renderer::new(opts);
    let mut out = r.push(text);
    out.push_str(&r.finish());
    out
}

/// Renders `text` pushed in pieces of `size` bytes (on char boundaries).
fn render_in_pieces(text: &str, size: usize, opts: RenderOptions) -> String {
    let mut r = Renderer::new(opts);
    let mut out = String::new();
    let mut piece = String::new();
    for c in text.chars() {
        piece.push(c);
        if piece.len() >= size {
            out.push_str(&r.push(&piece));
            piece.clear();
        }
    }
    out.push_str(&r.push(&piece));
    out.push_str(&r.finish());
    out
}

fn visible(text: &str) -> String {
    text.replace('\x1b', "␛")
}

#[test]
fn answer_plain() {
    insta::assert_snapshot!(render_all(ANSWER, RenderOptions::plain(60)));
}

#[test]
fn answer_colored() {
    insta::assert_snapshot!(visible(&render_all(ANSWER, RenderOptions::colored(60))));
}

#[test]
fn cjk_table_plain() {
    insta::assert_snapshot!(render_all(CJK_TABLE, RenderOptions::plain(60)));
}

#[test]
fn cjk_table_colored() {
    insta::assert_snapshot!(visible(&render_all(CJK_TABLE, RenderOptions::colored(60))));
}

#[test]
fn code_block_plain() {
    insta::assert_snapshot!(render_all(CODE, RenderOptions::plain(60)));
}

#[test]
fn code_block_split_across_deltas_is_highlighted_like_a_whole_one() {
    let whole = render_all(CODE, RenderOptions::colored(60));
    insta::assert_snapshot!(visible(&whole));
    // Fence and keyword cut in the middle: "``" + "`rust\nfn ma" + "in() {…".
    let mut r = Renderer::new(RenderOptions::colored(60));
    let mut split = String::new();
    for delta in [
        "Here is code:\n\n``",
        "`rust\nfn ma",
        "in() {\n    prin",
        "tln!(\"hi\");\n}\n``",
        "`\naf",
        "ter\n",
    ] {
        split.push_str(&r.push(delta));
    }
    split.push_str(&r.finish());
    assert_eq!(visible(&split), visible(&whole));
    assert!(whole.contains("\x1b[38;2;"), "highlighted: {whole:?}");
}

#[test]
fn any_split_renders_like_the_whole_text() {
    for opts in [RenderOptions::plain(60), RenderOptions::colored(60)] {
        for text in [ANSWER, CJK_TABLE, CODE] {
            let whole = render_all(text, opts);
            for size in [1, 2, 3, 7, 16] {
                assert_eq!(
                    visible(&render_in_pieces(text, size, opts)),
                    visible(&whole),
                    "pieces of {size}"
                );
            }
        }
    }
}

#[test]
fn paragraph_lines_stream_up_to_the_first_markup() {
    let mut r = Renderer::new(RenderOptions::colored(60));
    assert_eq!(r.push("The sky is "), "The sky is ");
    assert_eq!(r.push("very **bl"), "very ");
    let rest = r.push("ue** today.\n");
    assert_eq!(visible(&rest), "␛[1mblue␛[0m today.\n");
    // A list item or heading waits for its line.
    assert_eq!(r.push("- item"), "");
    assert_eq!(visible(&r.push("\n")), "␛[1m• ␛[0mitem\n");
    assert_eq!(r.push("1. fir"), "");
    assert_eq!(visible(&r.finish()), "␛[1m1. ␛[0mfir\n");
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let out = render_all(
        "hi \x1b]0;pwned\x07 there\n**x\x1b[2J**\n",
        RenderOptions::plain(40),
    );
    assert_eq!(out, "hi ]0;pwned there\nx[2J\n");
}

#[test]
fn a_pipe_line_without_delimiter_is_text() {
    let out = render_all("a | b\nnext\n", RenderOptions::plain(40));
    assert_eq!(out, "a | b\nnext\n");
}

#[test]
fn an_unfinished_code_block_is_closed_at_the_end() {
    let out = render_all("```\nx = 1", RenderOptions::plain(40));
    assert_eq!(out, "```\nx = 1\n```\n");
}
