//! `coze workspaces`, `coze bots`, `coze files` and `coze chat --attach`.

use crate::support::{Fixture, UPLOAD_LIMIT};

#[test]
fn workspaces_list_as_table_and_json() {
    let fx = Fixture::start();
    let table = fx.coze(&["workspaces", "list"]).ok();
    assert!(table.stdout.starts_with("ID"), "{}", table.stdout);
    assert!(table.stdout.contains(fx.emu.workspace_id()) && table.stdout.contains("personal"));
    assert!(table.stdout.contains("team"), "{}", table.stdout);
    let json = fx.coze(&["--json", "workspaces", "list"]).ok().json();
    assert_eq!(json.len(), 2);
    assert_eq!(json[0]["workspace_type"], "personal");
    assert_eq!(json[0]["id"], fx.emu.workspace_id());
}

#[test]
fn from_a_new_bot_to_a_chat() {
    let fx = Fixture::start();
    let created = fx
        .coze(&[
            "bots",
            "create",
            "--name",
            "Trip helper",
            "--prompt",
            "be kind",
            "--prologue",
            "Hi",
        ])
        .ok();
    let bot = created.first_line();
    assert!(
        bot.chars().all(|c| c.is_ascii_digit()) && !bot.is_empty(),
        "{}",
        created.stdout
    );
    assert!(
        created.stderr.contains("coze bots publish"),
        "{}",
        created.stderr
    );

    let drafts = fx.coze(&["bots", "list", "--status", "unpublished"]).ok();
    assert!(
        drafts.stdout.contains(&bot) && drafts.stdout.contains("Trip helper"),
        "{}",
        drafts.stdout
    );
    let published_only = fx.coze(&["bots", "list", "--status", "published"]).ok();
    assert!(!published_only.stdout.contains(&bot));

    let refused = fx
        .coze(&["chat", "--bot", &bot, "-m", "hello"])
        .fails(1, "code 4015");
    assert!(
        refused.stderr.contains(
            "hint: the bot is not published to the API channel: publish it with `coze bots publish"
        ),
        "{}",
        refused.stderr
    );

    let publish = fx.coze(&["bots", "publish", &bot]).ok();
    assert!(publish.stdout.contains("1024"), "{}", publish.stdout);
    assert!(publish.stderr.contains(&format!("coze chat --bot {bot}")));
    let chat = fx.coze(&["chat", "--bot", &bot, "-m", "hello"]).ok();
    assert_eq!(
        chat.stdout,
        "You said: \"hello\".\n\n- words: 1\n- characters: 5\n\n```text\nhello\n```\n"
    );

    let get = fx
        .coze(&["--json", "bots", "get", &bot, "--published"])
        .ok()
        .json();
    assert_eq!(get[0]["name"], "Trip helper");
    assert_eq!(get[0]["prompt_info"]["prompt"], "be kind");
    fx.coze(&["bots", "update", &bot, "--description", "plans trips"])
        .ok();
    let table = fx.coze(&["bots", "get", &bot]).ok();
    assert!(table.stdout.contains("plans trips"), "{}", table.stdout);
    fx.coze(&["bots", "update", &bot])
        .fails(2, "nothing to update");

    fx.coze(&["bots", "unpublish", &bot]).ok();
    fx.coze(&["chat", "--bot", &bot, "-m", "hello"])
        .fails(1, "code 4015");
    fx.coze(&["bots", "publish", "123"]).fails(1, "code 4200");
}

#[test]
fn bots_from_json_and_toml_files() {
    let fx = Fixture::start();
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("bot.toml");
    std::fs::write(
        &toml,
        "name = \"From toml\"\ndescription = \"d\"\n[prompt_info]\nprompt = \"p\"\n",
    )
    .unwrap();
    let bot = fx
        .coze(&["bots", "create", "--file", toml.to_str().unwrap()])
        .ok()
        .first_line();
    let json = dir.path().join("update.json");
    std::fs::write(
        &json,
        r#"{"name": "From json", "onboarding_info": {"prologue": "Hello"}}"#,
    )
    .unwrap();
    fx.coze(&["bots", "update", &bot, "--file", json.to_str().unwrap()])
        .ok();
    let got = fx.coze(&["--json", "bots", "get", &bot]).ok().json();
    assert_eq!(got[0]["name"], "From json");
    assert_eq!(got[0]["onboarding_info"]["prologue"], "Hello");
    assert_eq!(got[0]["prompt_info"]["prompt"], "p");

    std::fs::write(&json, r#"{"nmae": "typo"}"#).unwrap();
    fx.coze(&["bots", "create", "--file", json.to_str().unwrap()])
        .fails(1, "not a valid bot JSON file");
    let missing = dir.path().join("none.toml");
    fx.coze(&["bots", "create", "--file", missing.to_str().unwrap()])
        .fails(1, "cannot read");
    fx.coze(&["bots", "create", "--name", "a name that is far too long"])
        .fails(1, "code 4000");
}

#[test]
fn files_upload_get_and_errors() {
    let fx = Fixture::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(&path, "some notes").unwrap();
    let up = fx.coze(&["files", "upload", path.to_str().unwrap()]).ok();
    let id = up.first_line();
    assert!(up.stderr.contains("notes.txt"), "{}", up.stderr);
    let get = fx.coze(&["files", "get", &id]).ok();
    assert!(
        get.stdout.contains("notes.txt") && get.stdout.contains("10"),
        "{}",
        get.stdout
    );
    let json = fx.coze(&["--json", "files", "get", &id]).ok().json();
    assert_eq!(json[0]["bytes"], 10);

    let missing = dir.path().join("missing.txt");
    fx.coze(&["files", "upload", missing.to_str().unwrap()])
        .fails(1, "does not exist");
    let empty = dir.path().join("empty.txt");
    std::fs::write(&empty, "").unwrap();
    fx.coze(&["files", "upload", empty.to_str().unwrap()])
        .fails(1, "empty.txt is empty");
    let big = dir.path().join("big.bin");
    std::fs::write(&big, vec![0u8; UPLOAD_LIMIT as usize + 1]).unwrap();
    let refused = fx
        .coze(&["files", "upload", big.to_str().unwrap()])
        .fails(1, "code 4302");
    assert!(
        refused.stderr.contains("smaller file"),
        "{}",
        refused.stderr
    );
    fx.coze(&["files", "get", "1"]).fails(1, "code 4200");
}

#[test]
fn chat_attach_uploads_a_file_and_passes_urls() {
    let fx = Fixture::start();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("itinerary.pdf");
    std::fs::write(&path, "%PDF-1.4 not really").unwrap();
    let echo = fx.emu.bots().echo.clone();
    let chat = fx
        .coze(&[
            "chat",
            "--bot",
            &echo,
            "-m",
            "read this",
            "--attach",
            path.to_str().unwrap(),
            "--attach",
            "https://example.com/img/cat.png",
        ])
        .ok();
    assert!(
        chat.stdout.contains("You said: \"read this\"."),
        "{}",
        chat.stdout
    );
    assert!(
        chat.stdout.contains("You attached file \"itinerary.pdf\""),
        "{}",
        chat.stdout
    );
    assert!(
        chat.stdout.contains("You attached image \"cat.png\""),
        "{}",
        chat.stdout
    );
    let missing = dir.path().join("nope.txt");
    fx.coze(&[
        "chat",
        "--bot",
        &echo,
        "-m",
        "x",
        "--attach",
        missing.to_str().unwrap(),
    ])
    .fails(1, "does not exist");
}
