//! `coze workflow` and `coze chatflow`.

use std::time::Duration;

use crate::support::Fixture;

#[test]
fn list_get_and_run_synchronously() {
    let fx = Fixture::start();
    let list = fx.coze(&["workflow", "list"]).ok();
    assert!(
        list.stdout.contains("greeting") && list.stdout.contains("trip_planner"),
        "{}",
        list.stdout
    );
    let chatflows = fx
        .coze(&["--json", "workflow", "list", "--mode", "chatflow"])
        .ok()
        .json();
    assert_eq!(chatflows.len(), 1);
    let greeting = fx.workflow("greeting");
    assert!(
        fx.coze(&["workflow", "get", &greeting])
            .ok()
            .stdout
            .contains("greeting")
    );

    let run = fx
        .coze(&["workflow", "run", &greeting, "--param", "input=Ada"])
        .ok();
    assert_eq!(run.stdout, "Hello, Ada! (3 characters)\n");
    assert!(run.stderr.contains("debug: https://"), "{}", run.stderr);
    let json = fx
        .coze(&[
            "--json", "workflow", "run", &greeting, "--param", "input=Bo",
        ])
        .ok()
        .json();
    assert_eq!(json[0]["data"]["output"], "Hello, Bo! (2 characters)");
}

#[test]
fn bad_params_and_unknown_workflows() {
    let fx = Fixture::start();
    let greeting = fx.workflow("greeting");
    // Bad `--param`s are failures with a hint (exit 1), not clap usage errors (exit 2).
    fx.coze(&["workflow", "run", &greeting, "--param", "input"])
        .fails(1, "expected KEY=VALUE");
    fx.coze(&["workflow", "run", &greeting, "--param", "=Ada"])
        .fails(1, "empty key");
    fx.coze(&["workflow", "run", &greeting, "--stream", "--param"])
        .fails(1, "--param needs a value");
    fx.coze(&[
        "workflow",
        "run",
        &greeting,
        "--param",
        "input=Ada",
        "--param",
        "x",
    ])
    .fails(1, "expected KEY=VALUE");
    fx.coze(&[
        "chatflow",
        &fx.workflow("chatflow"),
        "-m",
        "hi",
        "--param",
        "k",
    ])
    .fails(1, "expected KEY=VALUE");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("params.json");
    std::fs::write(&file, "input: Ada").unwrap();
    fx.coze(&[
        "workflow",
        "run",
        &greeting,
        "--params-file",
        file.to_str().unwrap(),
    ])
    .fails(1, "is not JSON");
    std::fs::write(&file, r#"{"input": "File"}"#).unwrap();
    let run = fx
        .coze(&[
            "workflow",
            "run",
            &greeting,
            "--params-file",
            file.to_str().unwrap(),
        ])
        .ok();
    assert!(run.stdout.contains("Hello, File!"), "{}", run.stdout);
    let missing = dir.path().join("missing.json");
    fx.coze(&[
        "workflow",
        "run",
        &greeting,
        "--params-file",
        missing.to_str().unwrap(),
    ])
    .fails(1, "cannot read");

    let unknown = fx
        .coze(&["workflow", "run", "7390000000000999999"])
        .fails(1, "code 4200");
    assert!(
        unknown.stderr.contains("does not exist"),
        "{}",
        unknown.stderr
    );
    fx.coze(&["workflow", "run", "7390000000000999999", "--stream"])
        .fails(1, "code 4200");
}

#[test]
fn stream_shows_nodes_then_the_output() {
    let fx = Fixture::start();
    let run = fx
        .coze(&[
            "workflow",
            "run",
            &fx.workflow("greeting"),
            "--param",
            "input=Ada",
            "--stream",
        ])
        .ok();
    assert_eq!(run.stdout, "Hello, Ada! (3 characters)\n");
    let greet = run
        .stderr
        .find("✓ Greet: Hello, Ada!")
        .expect("the Greet node is shown");
    let count = run.stderr.find("✓ Count").expect("the Count node is shown");
    assert!(greet < count, "{}", run.stderr);
    let json = fx
        .coze(&[
            "--json",
            "workflow",
            "run",
            &fx.workflow("greeting"),
            "--stream",
        ])
        .ok()
        .json();
    assert_eq!(json.last().unwrap()["event"], "Done");
    assert_eq!(json[0]["event"], "Message");
}

#[test]
fn interrupt_prints_the_event_then_resume_finishes_once() {
    let fx = Fixture::start();
    let question = fx.workflow("question");
    let run = fx.coze(&["workflow", "run", &question, "--stream"]).ok();
    let event = run.first_line();
    assert!(
        event.contains('/'),
        "the event id on stdout: {}",
        run.stdout
    );
    assert!(run.stderr.contains("Which city"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains(&format!("coze workflow resume {question} --event {event}")),
        "{}",
        run.stderr
    );

    let resumed = fx
        .coze(&[
            "workflow", "resume", &question, "--event", &event, "--data", "Paris",
        ])
        .ok();
    assert_eq!(resumed.stdout, "The weather in Paris is sunny, 23 °C.\n");
    let stale = fx
        .coze(&[
            "workflow", "resume", &question, "--event", &event, "--data", "Rome",
        ])
        .fails(1, "cannot resume");
    assert!(stale.stderr.contains("answered once"), "{}", stale.stderr);
    fx.coze(&[
        "workflow", "resume", &question, "--event", &event, "--data", " ",
    ])
    .fails(2, "--data is empty");

    // A synchronous run stops at the question too; its event id resumes the same way.
    let sync = fx.coze(&["workflow", "run", &question]).ok();
    let event = sync.first_line();
    assert!(sync.stderr.contains("Which city"), "{}", sync.stderr);
    let resumed = fx
        .coze(&[
            "--json", "workflow", "resume", &question, "--event", &event, "--data", "Oslo",
        ])
        .ok()
        .json();
    assert_eq!(resumed.last().unwrap()["event"], "Done");
    assert!(resumed.iter().any(|e| {
        e["data"]["content"]
            .as_str()
            .is_some_and(|c| c.contains("Oslo"))
    }));
}

#[test]
fn failing_stream_shows_finished_nodes_then_the_error() {
    let fx = Fixture::start();
    let run = fx
        .coze(&["workflow", "run", &fx.workflow("failing"), "--stream"])
        .fails(1, "code 6006");
    let fetch = run.stderr.find("✓ Fetch").expect("finished node shown");
    let clean = run.stderr.find("✓ Clean").expect("finished node shown");
    let error = run
        .stderr
        .find("error: the workflow failed")
        .expect("the error");
    assert!(fetch < clean && clean < error, "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn async_run_status_and_wait() {
    let fx = Fixture::start();
    let slow = fx.workflow("slow");
    let started = fx
        .coze(&["workflow", "run", &slow, "--async", "--param", "input=Q3"])
        .ok();
    let execute_id = started.first_line();
    assert!(
        started
            .stderr
            .contains(&format!("coze workflow status {slow} {execute_id}"))
    );
    let running = fx.coze(&["workflow", "status", &slow, &execute_id]).ok();
    assert!(running.stdout.contains("Running"), "{}", running.stdout);
    std::thread::sleep(Duration::from_millis(1700));
    let done = fx
        .coze(&["--json", "workflow", "status", &slow, &execute_id])
        .ok()
        .json();
    assert_eq!(done[0]["execute_status"], "Success");
    assert!(done[0]["output"].as_str().unwrap().contains("Report on Q3"));

    let waited = fx
        .coze(&[
            "workflow",
            "run",
            &fx.workflow("failing"),
            "--async",
            "--wait",
        ])
        .fails(1, "code 6006");
    assert!(waited.stdout.contains("Fail"), "{}", waited.stdout);
    fx.coze(&["workflow", "status", &slow, "1"])
        .fails(1, "code 4200");
}

#[test]
fn chatflow_asks_then_answers_in_the_same_conversation() {
    let fx = Fixture::start();
    let flow = fx.workflow("chatflow");
    let ask = fx.coze(&["chatflow", &flow, "-m", "plan a trip"]).ok();
    assert!(
        ask.stdout.contains("Where are you travelling to?"),
        "{}",
        ask.stdout
    );
    let hint = ask
        .stderr
        .lines()
        .find(|l| l.contains("--conversation"))
        .expect("how to answer");
    let conversation = hint
        .split_whitespace()
        .skip_while(|w| *w != "--conversation")
        .nth(1)
        .unwrap()
        .to_string();
    let answer = fx
        .coze(&[
            "chatflow",
            &flow,
            "--conversation",
            &conversation,
            "-m",
            "Rome",
        ])
        .ok();
    assert!(
        answer.stdout.starts_with("A trip to Rome"),
        "{}",
        answer.stdout
    );
    assert!(answer.stdout.contains("plan a trip"), "{}", answer.stdout);

    let json = fx
        .coze(&["--json", "chatflow", &flow, "-m", "hi"])
        .ok()
        .json();
    assert!(
        json.iter()
            .any(|e| e["event"] == "conversation.chat.requires_action")
    );
    fx.coze(&["chatflow", &fx.workflow("greeting"), "-m", "hi"])
        .fails(1, "code 4000");
    fx.coze(&["chatflow", "7390000000000999999", "-m", "hi"])
        .fails(1, "code 4200");
}

/// The interactive path of `run --stream`: at a terminal the question is asked and the typed
/// answer resumes the run. util-linux `script` gives the command a pseudo-terminal; the test
/// is skipped (with a note) where `script` is missing.
#[test]
fn stream_at_a_terminal_asks_and_resumes() {
    let fx = Fixture::start();
    let Some(text) = in_a_terminal(&fx, "Paris\n") else {
        return;
    };
    let asked = text.find("? Which city").expect("the question is asked");
    let answer = text
        .rfind("The weather in Paris is sunny")
        .expect("the answer resumes the run");
    assert!(asked < answer, "{text}");
    assert!(!text.contains("coze workflow resume"), "{text}");

    // Ctrl-D instead of an answer: the run is left waiting, the hint is on its own line.
    let Some(text) = in_a_terminal(&fx, "\u{4}") else {
        return;
    };
    assert!(
        text.lines()
            .any(|l| l.starts_with("no answer given; resume later with: coze workflow resume")),
        "{text}"
    );
}

/// `coze workflow run <question> --stream` in a pseudo-terminal fed `input`; the merged
/// output, or `None` (skipped) without `script`.
fn in_a_terminal(fx: &Fixture, input: &str) -> Option<String> {
    let has_script = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_script {
        eprintln!("skipped: util-linux `script` is not installed");
        return None;
    }
    let coze = assert_cmd::cargo::cargo_bin("coze");
    let args = [
        coze.to_str().expect("a UTF-8 binary path"),
        "--base-url",
        fx.emu.base_url(),
        "--token",
        fx.emu.pat(),
        "workflow",
        "run",
        &fx.workflow("question"),
        "--stream",
    ];
    let line = args
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let out = assert_cmd::Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env_remove("COZE_API_TOKEN")
        .env_remove("COZE_API_BASE")
        .env_remove("COZE_PROFILE")
        .env("HOME", fx.home.path())
        .env("COZE_CONFIG_DIR", fx.home.path().join("coze"))
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(60))
        .write_stdin(input)
        .output()
        .expect("script runs");
    // The pseudo-terminal merges stdout and stderr.
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert_eq!(out.status.code(), Some(0), "{text}");
    Some(text)
}

#[test]
fn a_stream_cut_after_the_end_node_still_prints_the_output() {
    let fx = Fixture::start();
    let greeting = fx.workflow("greeting");
    let args = [
        "workflow",
        "run",
        &greeting,
        "--param",
        "input=Ada",
        "--stream",
    ];
    let mut json_args = vec!["--json"];
    json_args.extend(args);
    let events = fx.coze(&json_args).ok().json();
    assert_eq!(events.last().expect("events")["event"], "Done");
    // Cut the connection after every event but `Done`: the End node's output has arrived.
    let before_done = u32::try_from(events.len() - 1).expect("few events");
    fx.emu.faults().set(coze_emulator::faults::FaultConfig {
        cut_after_events: Some(before_done),
        ..Default::default()
    });
    let run = fx.coze(&args).fails(1, "");
    assert_eq!(run.stdout, "Hello, Ada! (3 characters)\n", "{}", run.stderr);
    assert!(
        run.stderr.contains("error:"),
        "the cut is reported: {}",
        run.stderr
    );
}
