//! `coze chat` and `coze demo`.

use coze_emulator::faults::{ErrorEventFault, FaultConfig, HtmlErrorFault};

use crate::support::{Fixture, json_lines, run};

const HELLO_ANSWER: &str =
    "You said: \"hello\".\n\n- words: 1\n- characters: 5\n\n```text\nhello\n```\n";

#[test]
fn one_shot_prints_only_the_answer_on_stdout() {
    let fx = Fixture::start();
    let r = run(&mut fx.ask("echo", "hello"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, HELLO_ANSWER);
    // Usage and suggestions go to stderr.
    assert!(r.stderr.contains("tokens"), "{}", r.stderr);
    assert!(
        r.stderr.contains("Tell me more about hello"),
        "{}",
        r.stderr
    );
}

#[test]
fn token_from_the_environment_is_trimmed() {
    let fx = Fixture::start();
    let pasted = format!("  {}\n", fx.emu.pat());
    let r = run(fx
        .bare()
        .env("COZE_API_BASE", fx.emu.base_url())
        .env("COZE_API_TOKEN", pasted)
        .args(["chat", "--bot", &fx.bot("echo"), "-m", "hello"]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, HELLO_ANSWER);
}

#[test]
fn conversation_flag_continues_a_conversation() {
    let fx = Fixture::start();
    let first = run(&mut fx.ask("echo", "first question"));
    assert_eq!(first.code, Some(0), "{}", first.stderr);
    let conversation = first
        .stderr
        .split_whitespace()
        .skip_while(|w| *w != "conversation")
        .nth(1)
        .expect("the conversation id is shown on stderr")
        .to_string();
    let r = run(fx
        .ask("echo", "second")
        .args(["--conversation", &conversation]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("first question"),
        "the bot saw the earlier turn: {}",
        r.stdout
    );
}

#[test]
fn json_prints_every_event_as_one_line() {
    let fx = Fixture::start();
    let r = run(fx.ask("echo", "hello").arg("--json"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let events = json_lines(&r.stdout);
    let names: Vec<&str> = events.iter().filter_map(|e| e["event"].as_str()).collect();
    assert_eq!(names.first(), Some(&"conversation.chat.created"));
    assert!(names.contains(&"conversation.message.delta"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let completed = events
        .iter()
        .find(|e| e["event"] == "conversation.message.completed" && e["data"]["type"] == "answer")
        .expect("the completed answer is printed");
    assert_eq!(
        completed["data"]["content"],
        "You said: \"hello\".\n\n- words: 1\n- characters: 5\n\n```text\nhello\n```"
    );
    let deltas: String = events
        .iter()
        .filter(|e| e["event"] == "conversation.message.delta")
        .filter_map(|e| e["data"]["content"].as_str())
        .collect();
    assert_eq!(
        deltas,
        "You said: \"hello\".\n\n- words: 1\n- characters: 5\n\n```text\nhello\n```"
    );
}

#[test]
fn failing_bot_shows_code_logid_and_hint() {
    let fx = Fixture::start();
    let r = run(&mut fx.ask("failing", "hello"));
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("error: the chat failed"), "{}", r.stderr);
    assert!(r.stderr.contains("(code 5000)"), "{}", r.stderr);
    assert!(r.stderr.contains("logid: "), "{}", r.stderr);
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);
}

#[test]
fn unpublished_bot_says_to_publish() {
    let fx = Fixture::start();
    let r = run(&mut fx.ask("unpublished", "hello"));
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("(code 4015)"), "{}", r.stderr);
    assert!(r.stderr.contains("logid: "), "{}", r.stderr);
    let hint = r
        .stderr
        .lines()
        .find(|l| l.starts_with("hint:"))
        .expect("a hint");
    assert!(hint.contains("publish"), "{hint}");
    assert!(r.stdout.is_empty());
}

#[test]
fn wrong_token_names_the_base_url() {
    let fx = Fixture::start();
    let r = run(fx.bare().args([
        "--base-url",
        fx.emu.base_url(),
        "--token",
        "pat_not_the_right_one",
        "chat",
        "--bot",
        &fx.bot("echo"),
        "-m",
        "hello",
    ]));
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("(code 4100)"), "{}", r.stderr);
    let hint = r
        .stderr
        .lines()
        .find(|l| l.starts_with("hint:"))
        .expect("a hint");
    assert!(hint.contains(fx.emu.base_url()), "{hint}");
    assert!(
        !r.stderr.contains("pat_not_the_right_one"),
        "the token leaked: {}",
        r.stderr
    );
}

#[test]
fn stream_cut_mid_answer_keeps_the_partial_answer() {
    let fx = Fixture::start();
    // created, in_progress, then two deltas of the answer; the connection breaks after that.
    fx.faults(FaultConfig {
        cut_after_events: Some(4),
        ..FaultConfig::default()
    });
    let r = run(&mut fx.ask("echo", "hello"));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    let partial = r.stdout.trim_end_matches('\n');
    assert!(!partial.is_empty(), "what arrived is printed");
    assert!(HELLO_ANSWER.starts_with(partial), "{partial:?}");
    assert_ne!(r.stdout, HELLO_ANSWER);
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stderr.contains("cut"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);
}

#[test]
fn error_event_mid_stream_shows_its_code() {
    let fx = Fixture::start();
    fx.faults(FaultConfig {
        error_event: Some(ErrorEventFault {
            after_events: 3,
            code: 5000,
            msg: "boom".into(),
        }),
        ..FaultConfig::default()
    });
    let r = run(&mut fx.ask("echo", "hello"));
    assert_eq!(r.code, Some(1));
    assert!(
        HELLO_ANSWER.starts_with(r.stdout.trim_end_matches('\n')),
        "{:?}",
        r.stdout
    );
    assert!(r.stderr.contains("boom"), "{}", r.stderr);
    assert!(r.stderr.contains("5000"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);
}

#[test]
fn html_error_page_is_a_clear_error() {
    let fx = Fixture::start();
    fx.faults(FaultConfig {
        html_error: Some(HtmlErrorFault::default()),
        ..FaultConfig::default()
    });
    let r = run(&mut fx.ask("echo", "hello"));
    assert_eq!(r.code, Some(1));
    let first = r.stderr.lines().next().unwrap_or_default();
    assert!(first.starts_with("error: HTTP 502"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);
    assert!(r.stdout.is_empty());
}

#[test]
fn unreachable_host_is_one_line_and_a_hint() {
    let fx = Fixture::start();
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let base = format!("http://127.0.0.1:{port}");
    let r = run(fx.bare().args([
        "--base-url",
        &base,
        "--token",
        "pat_x",
        "chat",
        "--bot",
        "1",
        "-m",
        "hi",
    ]));
    assert_eq!(r.code, Some(1));
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stderr);
    assert!(
        lines[0].starts_with("error: cannot connect to http://127.0.0.1"),
        "{}",
        r.stderr
    );
    assert!(lines[1].starts_with("hint: "), "{}", r.stderr);
}

#[test]
fn empty_message_fails_and_missing_token_is_a_usage_error() {
    let fx = Fixture::start();
    let r = run(&mut fx.ask("echo", "   "));
    assert_eq!(r.code, Some(1), "an empty message exits 1 with a hint");
    assert!(r.stderr.contains("hint:"), "{}", r.stderr);
    assert!(r.stderr.contains("the message is empty"), "{}", r.stderr);

    let r = run(fx.bare().args([
        "--base-url",
        fx.emu.base_url(),
        "chat",
        "--bot",
        "1",
        "-m",
        "hi",
    ]));
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("no access token"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);

    let r = run(fx.bare().args([
        "--base-url",
        "not a url",
        "--token",
        "x",
        "chat",
        "--bot",
        "1",
        "-m",
        "hi",
    ]));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}

#[test]
fn tool_call_is_answered_from_stdin() {
    let fx = Fixture::start();
    let r = run(fx
        .ask("tool", "weather in Paris?")
        .write_stdin("sunny, 25C\n"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains("sunny, 25C"),
        "the bot used the output: {}",
        r.stdout
    );
    assert!(
        r.stderr.contains("get_weather"),
        "the call is shown: {}",
        r.stderr
    );

    let r = run(fx.ask("tool", "weather in Paris?").write_stdin(""));
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("stdin has no more input"), "{}", r.stderr);
}

#[test]
fn demo_chats_with_the_echo_bot_from_piped_input() {
    let fx = Fixture::start();
    let r = run(fx
        .bare()
        .args(["demo", "--pace", "fast"])
        .write_stdin("hello\nwhat did I say?\n/new\nagain\n"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // Each answer ends with its closing code fence and a newline.
    let answers: Vec<&str> = r.stdout.split_inclusive("\n```\n").collect();
    assert_eq!(answers.len(), 3, "{}", r.stdout);
    assert_eq!(
        answers[0],
        "You said: \"hello\".\n\n- words: 1\n- characters: 5\n\n```text\nhello\n```\n"
    );
    assert!(
        answers[1].contains("\"hello\""),
        "context kept: {}",
        answers[1]
    );
    assert!(
        !answers[2].contains("hello"),
        "/new forgot it: {}",
        answers[2]
    );
    assert!(r.stderr.contains("local Coze"), "{}", r.stderr);
}

#[test]
fn chat_emulator_one_shot() {
    let fx = Fixture::start();
    let r = run(fx.bare().args(["chat", "--emulator", "-m", "hello"]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(r.stdout, HELLO_ANSWER);
}

#[test]
fn piped_chat_with_a_failing_turn_exits_1() {
    let fx = Fixture::start();
    let r = run(fx
        .coze()
        .args(["chat", "--bot", &fx.bot("failing")])
        .write_stdin("hi\n"));
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.contains("(code 5000)"), "{}", r.stderr);
}

#[test]
fn verbose_logs_never_show_the_token() {
    let fx = Fixture::start();
    let r = run(fx.ask("echo", "hello").arg("-vv"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stderr.contains("DEBUG"), "-vv logs: {}", r.stderr);
    assert!(
        !r.stderr.contains(fx.emu.pat()),
        "the token leaked: {}",
        r.stderr
    );
    assert_eq!(r.stdout, HELLO_ANSWER);
}

#[test]
fn closed_stdout_ends_quietly_with_status_0() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let fx = Fixture::start();
    // Slow events: the reader goes away after the first line, while coze still has more.
    fx.faults(FaultConfig {
        event_delay_ms: 150,
        ..FaultConfig::default()
    });
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_coze"));
    cmd.args([
        "--base-url",
        fx.emu.base_url(),
        "--token",
        fx.emu.pat(),
        "--json",
    ])
    .args(["chat", "--bot", &fx.bot("echo"), "-m", "hello"])
    .env("COZE_CONFIG_DIR", fx.home.path())
    .env("NO_COLOR", "1")
    .env_remove("HTTP_PROXY")
    .env_remove("http_proxy")
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("coze starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut first = String::new();
    BufReader::new(stdout)
        .read_line(&mut first)
        .expect("first line");
    assert!(first.contains("conversation.chat.created"), "{first}");
    // The pipe is closed now (the reader was dropped).
    let out = child.wait_with_output().expect("coze ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn interactive_chat_keeps_the_conversation_after_a_broken_answer() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;

    let fx = Fixture::start();
    fx.faults(FaultConfig {
        cut_after_events: Some(4),
        ..FaultConfig::default()
    });
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_coze"))
        .args(["--base-url", fx.emu.base_url(), "--token", fx.emu.pat()])
        .args(["chat", "--bot", &fx.bot("echo")])
        .env("COZE_CONFIG_DIR", fx.home.path())
        .env("NO_COLOR", "1")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("coze starts");
    let mut stdin = child.stdin.take().expect("stdin");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    stdin.write_all(b"hello\n").expect("first question");
    let mut seen = String::new();
    while !seen.contains("error:") {
        let mut line = String::new();
        if stderr.read_line(&mut line).expect("stderr") == 0 {
            panic!("coze ended early: {seen}");
        }
        seen.push_str(&line);
    }
    fx.faults(FaultConfig::default());
    // The cut chat carries on server-side at the emulator's pace, as on Coze, and keeps the
    // conversation busy (4016) until its answer is done: wait for that first.
    for _ in 0..500 {
        let running = fx
            .emu
            .state()
            .store()
            .chats
            .values()
            .any(|c| c.status.is_running());
        if !running {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    stdin
        .write_all(b"what did I say?\n")
        .expect("second question");
    drop(stdin);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).expect("stderr");
    let out = child.wait_with_output().expect("coze ends");
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The first answer broke, so the piped session ends with status 1, but the second
    // question went to the same conversation.
    assert_eq!(out.status.code(), Some(1), "{seen}{rest}");
    assert!(
        stdout.contains("Earlier in this conversation you said: \"hello\""),
        "{stdout}\n{seen}{rest}"
    );
}

#[test]
fn default_user_id_is_created_once_and_reused() {
    let fx = Fixture::start();
    let path = fx.home.path().join("coze").join("user_id");
    assert_eq!(run(&mut fx.ask("echo", "hello")).code, Some(0));
    let first = std::fs::read_to_string(&path).expect("user_id stored");
    assert!(first.trim().starts_with("coze-cli-"), "{first}");
    assert_eq!(run(&mut fx.ask("echo", "again")).code, Some(0));
    assert_eq!(std::fs::read_to_string(&path).expect("still there"), first);

    let r = run(fx.ask("echo", "hello").args(["--user", " "]));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
}

#[test]
fn piped_answer_is_flushed_when_the_stream_pauses() {
    use std::io::Read;
    use std::process::Stdio;

    let fx = Fixture::start();
    // Slow deltas: stdout is a pipe (buffered), yet the first text must arrive while coze is
    // still waiting for the rest of the answer.
    fx.faults(FaultConfig {
        event_delay_ms: 250,
        ..FaultConfig::default()
    });
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_coze"));
    cmd.args(["--base-url", fx.emu.base_url(), "--token", fx.emu.pat()])
        .args(["chat", "--bot", &fx.bot("echo"), "-m", "hello there"])
        .env("COZE_CONFIG_DIR", fx.home.path())
        .env("NO_COLOR", "1")
        .env_remove("HTTP_PROXY")
        .env_remove("http_proxy")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("coze starts");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut first = [0u8; 64];
    let n = stdout.read(&mut first).expect("some answer text");
    let first_at = std::time::Instant::now();
    assert!(n > 0, "no text before the end of the stream");
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).expect("the rest");
    let out = child.wait_with_output().expect("coze ends");
    // Later deltas were still 250 ms apart: a buffer flushed only at the end would have
    // delivered the first text together with the rest.
    assert!(
        first_at.elapsed() >= std::time::Duration::from_millis(400),
        "the first text came only at the end ({:?} before exit)",
        first_at.elapsed()
    );
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&first[..n]).into_owned() + &String::from_utf8_lossy(&rest);
    assert!(text.starts_with("You said"), "{text}");
    assert!(text.ends_with('\n'), "the answer ends its line: {text:?}");
}
