//! `coze conversations` and `coze messages` against the emulator.

use serde_json::Value;

use crate::support::{Fixture, json_lines, run};

fn one_json(fx: &Fixture, args: &[&str]) -> Value {
    let r = run(fx.coze().arg("--json").args(args));
    assert_eq!(r.code, Some(0), "{args:?}: {}", r.stderr);
    let mut lines = json_lines(&r.stdout);
    assert_eq!(lines.len(), 1, "{}", r.stdout);
    lines.remove(0)
}

fn id(value: &Value) -> String {
    value["id"].as_str().expect("an id").to_string()
}

#[test]
fn conversations_lifecycle() {
    let fx = Fixture::start();
    let bot = fx.bot("echo");
    let created = one_json(
        &fx,
        &[
            "conversations",
            "create",
            "--bot",
            &bot,
            "--name",
            "trip",
            "--meta",
            "k=v",
        ],
    );
    let conv = id(&created);
    assert_eq!(created["name"], "trip");
    assert_eq!(created["meta_data"]["k"], "v");

    let got = one_json(&fx, &["conversations", "get", &conv]);
    assert_eq!(id(&got), conv);

    let renamed = one_json(&fx, &["conversations", "rename", &conv, "holiday"]);
    assert_eq!(renamed["name"], "holiday");

    // The table shows it with its new name.
    let r = run(fx.coze().args(["conversations", "list", "--bot", &bot]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let header = r.stdout.lines().next().expect("a header");
    assert!(
        header.starts_with("ID") && header.contains("NAME"),
        "{header}"
    );
    let row = r
        .stdout
        .lines()
        .find(|l| l.starts_with(&conv))
        .expect("the conversation is listed");
    assert!(row.contains("holiday"), "{row}");

    let section = one_json(&fx, &["conversations", "clear", &conv]);
    assert_eq!(section["conversation_id"], conv.as_str());
    let after = one_json(&fx, &["conversations", "get", &conv]);
    assert_eq!(after["last_section_id"], section["id"]);

    let r = run(fx.coze().args(["conversations", "delete", &conv]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let r = run(fx.coze().args(["conversations", "get", &conv]));
    assert_eq!(r.code, Some(1), "a deleted conversation is gone");
    assert!(r.stderr.contains("code "), "{}", r.stderr);
    assert!(r.stderr.contains("logid: "), "{}", r.stderr);
}

#[test]
fn conversations_list_pages_and_limits() {
    let fx = Fixture::start();
    let bot = fx.bot("echo");
    for n in 0..3 {
        one_json(
            &fx,
            &[
                "conversations",
                "create",
                "--bot",
                &bot,
                "--name",
                &format!("c{n}"),
            ],
        );
    }
    let r = run(fx.coze().args([
        "--json",
        "conversations",
        "list",
        "--bot",
        &bot,
        "--limit",
        "2",
    ]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(json_lines(&r.stdout).len(), 2);
    let r = run(fx
        .coze()
        .args(["--json", "conversations", "list", "--bot", &bot, "--all"]));
    assert_eq!(json_lines(&r.stdout).len(), 3);
    let r = run(fx
        .coze()
        .args(["conversations", "list", "--bot", &bot, "--limit", "0"]));
    assert_eq!(r.code, Some(2), "a zero limit is a usage error");
}

#[test]
fn messages_lifecycle() {
    let fx = Fixture::start();
    let conv = id(&one_json(
        &fx,
        &["conversations", "create", "--bot", &fx.bot("echo")],
    ));

    let created = one_json(&fx, &["messages", "create", "-c", &conv, "first note"]);
    let msg = id(&created);
    assert_eq!(created["role"], "user");
    assert_eq!(created["content"], "first note");
    one_json(
        &fx,
        &[
            "messages",
            "create",
            "-c",
            &conv,
            "--role",
            "assistant",
            "a reply",
        ],
    );

    let r = run(fx
        .coze()
        .args(["--json", "messages", "list", "-c", &conv, "--oldest-first"]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let contents: Vec<String> = json_lines(&r.stdout)
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(contents, ["first note", "a reply"]);

    let got = one_json(&fx, &["messages", "get", "-c", &conv, &msg]);
    assert_eq!(got["content"], "first note");

    let updated = one_json(
        &fx,
        &[
            "messages",
            "update",
            "-c",
            &conv,
            &msg,
            "--content",
            "edited",
        ],
    );
    assert_eq!(updated["content"], "edited");

    let r = run(fx.coze().args(["messages", "list", "-c", &conv]));
    assert!(
        r.stdout
            .lines()
            .next()
            .is_some_and(|h| h.contains("CONTENT")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("edited"), "{}", r.stdout);

    let deleted = one_json(&fx, &["messages", "delete", "-c", &conv, &msg]);
    assert_eq!(id(&deleted), msg);
    let r = run(fx.coze().args(["--json", "messages", "list", "-c", &conv]));
    assert_eq!(json_lines(&r.stdout).len(), 1);
}

#[test]
fn messages_bad_input_is_a_usage_error() {
    let fx = Fixture::start();
    let r = run(fx.coze().args(["messages", "create", "-c", "1", "  "]));
    assert_eq!(r.code, Some(2));
    let r = run(fx.coze().args(["messages", "update", "-c", "1", "2"]));
    assert_eq!(r.code, Some(2));
    assert!(r.stderr.contains("nothing to update"), "{}", r.stderr);
    let r = run(fx
        .coze()
        .args(["conversations", "create", "--meta", "novalue"]));
    assert_eq!(r.code, Some(2));
}
