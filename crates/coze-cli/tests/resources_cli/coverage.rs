//! `coze datasets`, `coze variables`, `coze audio`, `coze bots versions` and
//! `coze workspaces members` against the emulator.

use crate::support::Fixture;

#[test]
fn datasets_and_documents_with_processing() {
    let fx = Fixture::start();
    let id = fx
        .coze(&["datasets", "create", "Handbook"])
        .ok()
        .first_line();
    assert!(id.chars().all(|c| c.is_ascii_digit()), "{id}");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("rules.txt");
    std::fs::write(&file, "Be kind. Ship often.").expect("write");
    let added = fx
        .coze(&[
            "--json",
            "datasets",
            "docs",
            "add",
            &id,
            file.to_str().expect("path"),
            "--url",
            "https://example.com/",
        ])
        .ok();
    let rows = added.json();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["name"], "rules.txt");
    assert!(
        added.stderr.contains("processed rules.txt (100%)"),
        "waits for processing: {}",
        added.stderr
    );
    let listed = fx.coze(&["datasets", "docs", "list", &id]).ok();
    assert!(
        listed.stdout.contains("rules.txt") && listed.stdout.contains("done"),
        "{}",
        listed.stdout
    );
    let all = fx.coze(&["datasets", "list"]).ok();
    assert!(all.stdout.contains("Handbook"), "{}", all.stdout);
    fx.coze(&["datasets", "update", &id, "--name", "Staff"])
        .ok();
    assert!(
        fx.coze(&["datasets", "list", "--name", "staff"])
            .ok()
            .stdout
            .contains("Staff")
    );
    fx.coze(&["datasets", "docs", "add", &id])
        .fails(2, "nothing to add");
    fx.coze(&["datasets", "docs", "add", &id, "--url", "ftp://x"])
        .fails(2, "not a web address");
    fx.coze(&["datasets", "docs", "list", "42"])
        .fails(1, "4200");
    fx.coze(&["datasets", "delete", &id]).ok();
    let after = fx.coze(&["datasets", "list"]).ok();
    assert!(!after.stdout.contains("Staff"), "{}", after.stdout);
}

#[test]
fn variables_get_and_set() {
    let fx = Fixture::start();
    let bot = fx.emu.bots().echo.clone();
    fx.coze(&[
        "variables",
        "set",
        "--bot",
        &bot,
        "--user",
        "u1",
        "city=Hangzhou",
        "lang=zh",
    ])
    .ok();
    let got = fx
        .coze(&[
            "--json",
            "variables",
            "get",
            "--bot",
            &bot,
            "--user",
            "u1",
            "city",
        ])
        .ok()
        .json();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0]["value"], "Hangzhou");
    let other = fx
        .coze(&["variables", "get", "--bot", &bot, "--user", "u2"])
        .ok();
    assert!(
        other.stdout.is_empty() && other.stderr.contains("no variables"),
        "{other:?}"
    );
    fx.coze(&["variables", "set", "--bot", &bot, "novalue"])
        .fails(2, "KEY=VALUE");
    fx.coze(&["variables", "get", "--bot", "1"])
        .fails(1, "4200");
}

#[test]
fn speak_writes_a_wav_that_transcribes_back() {
    let fx = Fixture::start();
    let dir = tempfile::tempdir().expect("dir");
    let wav = dir.path().join("hello.wav");
    let path = wav.to_str().expect("path");
    fx.coze(&["audio", "speak", "Hello, coze", "--out", path])
        .ok();
    let bytes = std::fs::read(&wav).expect("written");
    assert_eq!(&bytes[..4], b"RIFF");
    let text = fx.coze(&["audio", "transcribe", path]).ok();
    assert_eq!(text.first_line(), "Hello, coze");
    let voices = fx.coze(&["audio", "voices", "list"]).ok();
    assert!(voices.stdout.contains("Emulator Alto"), "{}", voices.stdout);
    let voice = fx
        .coze(&["audio", "voices", "clone", "Mine", path])
        .ok()
        .first_line();
    let mine = fx.coze(&["audio", "voices", "list", "--cloned"]).ok();
    assert!(
        mine.stdout.contains(&voice) && mine.stdout.contains("Mine"),
        "{}",
        mine.stdout
    );
    fx.coze(&["audio", "speak", "hi", "--out", "x.flac"])
        .fails(2, ".flac");
    fx.coze(&["audio", "speak", "hi", "--voice", "nope", "--out", path])
        .fails(1, "4200");
    assert_eq!(
        std::fs::read(&wav).expect("kept"),
        bytes,
        "a failed call leaves the file alone"
    );
}

#[test]
fn bot_versions_and_workspace_members() {
    let fx = Fixture::start();
    let versions = fx
        .coze(&["--json", "bots", "versions", &fx.emu.bots().echo])
        .ok()
        .json();
    let statuses: Vec<&str> = versions
        .iter()
        .map(|v| v["publish_status"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(statuses, ["published_online", "unpublished_draft"]);
    let members = fx.coze(&["--json", "workspaces", "members"]).ok().json();
    assert_eq!(members.len(), 1);
    assert_eq!(members[0]["role_type"], "owner");
    fx.coze(&["workspaces", "members", "--add", "123"])
        .fails(1, "personal workspace");
}
