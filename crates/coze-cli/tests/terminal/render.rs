//! Rendered on a terminal, exact into a pipe.

use crate::pty;
use crate::support::{Fixture, run};

/// The echo bot answers `You said: "<message>".`; the markdown starts on the second line so
/// that it stands at the start of lines.
const MESSAGE: &str =
    "Hi\n## Plan\n**bold** and `code`\n\n| city | 城市 |\n|---|---|\n| Beijing | 北京 |\n\nend";

#[test]
fn a_pipe_gets_the_exact_text_even_with_forced_colour() {
    let fx = Fixture::start();
    let out = run(fx.ask("echo", MESSAGE).env("CLICOLOR_FORCE", "1"));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    // The echo bot adds a list and a code block; all of it arrives as sent.
    assert!(
        out.stdout
            .starts_with(&format!("You said: \"{MESSAGE}\".\n\n- words: ")),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\n```text\nHi\n## Plan\n**bold**"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains('\x1b'), "{:?}", out.stdout);
}

#[test]
fn a_terminal_gets_rendered_markdown() {
    if !pty::has_script() {
        return;
    }
    let fx = Fixture::start();
    let bot = fx.bot("echo");
    let args = ["chat", "--bot", bot.as_str(), "-m", MESSAGE];

    // NO_COLOR: the structure without escape sequences.
    let (code, text) = pty::run(&fx, &args, &[("NO_COLOR", "1")], "");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("## Plan\nbold and `code`\n"), "{text}");
    assert!(text.contains("│ Beijing ┆ 北京 │"), "{text}");
    // The answer before its code block (which quotes the question as it is).
    let answer = text.split("```text").next().unwrap_or_default();
    assert!(text.contains("• words: "), "{text}");
    assert!(!answer.contains("**bold**"), "{text}");
    assert!(!has_sgr(&text), "NO_COLOR: {text:?}");

    // Colours: bold is an SGR sequence, the heading is styled.
    let (code, text) = pty::run(&fx, &args, &[], "");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("\x1b[1mbold\x1b[0m"), "{text:?}");
    let answer = text.split("```text").next().unwrap_or_default();
    assert!(!answer.contains("## Plan"), "{text:?}");

    // --raw: the markdown as it came.
    let mut raw = args.to_vec();
    raw.push("--raw");
    let (code, text) = pty::run(&fx, &raw, &[("NO_COLOR", "1")], "");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("**bold** and `code`"), "{text}");
    assert!(text.contains("| Beijing | 北京 |"), "{text}");
}

/// Whether `text` has a colour or effect sequence (`ESC [ … m`); the spinner's cursor
/// sequences do not count.
fn has_sgr(text: &str) -> bool {
    text.split("\x1b[").skip(1).any(|rest| {
        rest.chars()
            .find(|c| !c.is_ascii_digit() && *c != ';')
            .is_some_and(|c| c == 'm')
    })
}

#[test]
fn dash_reads_the_message_from_stdin() {
    let fx = Fixture::start();
    let out = run(fx.ask("echo", "-").write_stdin("two\nlines\n"));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.starts_with("You said: \"two\nlines\".\n"),
        "{}",
        out.stdout
    );
    let out = run(fx.ask("echo", "-").write_stdin(" \n"));
    assert_eq!(out.code, Some(1), "an empty message: {}", out.stderr);
}
