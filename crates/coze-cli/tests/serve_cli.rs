//! `coze serve`: `--emulator --json`, `--config gateway.toml`, and `keys create|list|revoke`.

use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

fn coze(home: &TempDir, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coze"));
    cmd.args(args)
        .env("COZE_CONFIG_DIR", home.path())
        .env_remove("COZE_API_TOKEN")
        .env_remove("COZE_API_BASE")
        .env_remove("COZE_PROFILE")
        .env_remove("GLIF_API_TOKEN")
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    cmd
}

async fn run(home: &TempDir, args: &[&str]) -> (i32, String, String) {
    let out = tokio::time::timeout(Duration::from_secs(60), coze(home, args).output())
        .await
        .expect("coze finished within 60 s")
        .expect("coze runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Starts a long-running `coze serve ...` and returns it with its first stdout line.
async fn start(home: &TempDir, args: &[&str]) -> (Child, Value) {
    let mut child = coze(home, args).spawn().expect("coze serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .expect("a line within 60 s")
        .expect("read")
        .expect("a line");
    let value: Value = serde_json::from_str(&first).expect("one JSON line");
    // Nothing else on stdout while it serves.
    child.stdout = None;
    tokio::spawn(async move {
        let mut rest = String::new();
        let mut inner = lines.into_inner();
        let _ = inner.read_to_string(&mut rest).await;
        assert!(rest.is_empty(), "more output after the JSON line: {rest}");
    });
    (child, value)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

/// SIGTERM, then the exit status (within 15 s).
async fn terminate(mut child: Child) -> std::process::ExitStatus {
    let pid = child.id().expect("running");
    let sent = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    tokio::time::timeout(Duration::from_secs(15), child.wait())
        .await
        .expect("stops within 15 s of SIGTERM")
        .expect("wait")
}

#[tokio::test]
async fn serve_emulator_json_prints_one_line_serves_and_stops_on_sigterm() {
    let home = tempfile::tempdir().expect("temp dir");
    let (child, line) = start(&home, &["serve", "--emulator", "--json"]).await;
    let keys: Vec<&str> = line
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        ["api_key", "emulator", "models", "url", "web"],
        "{line}"
    );
    let url = line["url"].as_str().expect("url");
    let key = line["api_key"].as_str().expect("key");
    assert!(key.starts_with("sk-cz-"), "{key}");
    let models: Vec<&str> = line["models"]
        .as_array()
        .expect("models")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for bot in ["echo", "tool", "reasoning", "failing"] {
        assert!(models.contains(&bot), "{models:?}");
    }
    // The emulator object is `coze emulator --json`'s: base URL, PAT, bots by name.
    let emu = &line["emulator"];
    assert!(
        emu["pat"].is_string() && emu["bots"]["echo"].is_string(),
        "{emu}"
    );

    let client = http();
    let health: Value = client
        .get(format!("{url}/health"))
        .send()
        .await
        .expect("health")
        .json()
        .await
        .expect("json");
    assert_eq!(health["status"], "ok");
    // The chat page is at "web".
    let web = line["web"].as_str().expect("web");
    assert_eq!(web, format!("{url}/"));
    let page = client.get(web).send().await.expect("page");
    assert_eq!(page.status(), 200);
    assert!(page.headers().contains_key("content-security-policy"));
    // The emulator answers too (the models are its bots).
    let bots = client
        .get(format!(
            "{}/v1/bots/{}",
            emu["base_url"].as_str().expect("base"),
            emu["bots"]["echo"].as_str().expect("echo")
        ))
        .bearer_auth(emu["pat"].as_str().expect("pat"))
        .send()
        .await
        .expect("emulator answers");
    assert!(bots.status().is_success());
    // The Glif bridge runs against the fake Glif with the key as its service token.
    let run: Value = client
        .post(format!("{url}/plugins/glif/tools/run_glif"))
        .bearer_auth(key)
        .json(&serde_json::json!({"glif_id": "glif-text", "inputs": ["owls", "calm"]}))
        .send()
        .await
        .expect("bridge")
        .json()
        .await
        .expect("json");
    assert_eq!(run["status"], "succeeded", "{run}");

    let status = terminate(child).await;
    assert!(status.success(), "{status:?}");
    assert!(
        client.get(format!("{url}/health")).send().await.is_err(),
        "stopped serving"
    );
}

fn write_config(home: &TempDir, body: &str) -> String {
    let path = home.path().join("gateway.toml");
    let data = home.path().join("data");
    std::fs::write(
        &path,
        format!("data_dir = {:?}\n{body}", data.display().to_string()),
    )
    .expect("write config");
    path.display().to_string()
}

const OPENAI: &str = "[upstream]\nauth = \"pat\"\ntoken = \"pat_gateway_upstream\"\nbase_url = \"http://127.0.0.1:9\"\n[openai]\nmodels = { echo = \"7400000000000000001\", tool = \"7400000000000000002\" }\n";

#[tokio::test]
async fn keys_are_created_once_listed_without_secrets_and_revoked() {
    let home = tempfile::tempdir().expect("temp dir");
    let config = write_config(&home, OPENAI);
    let (code, out, err) = run(
        &home,
        &[
            "serve",
            "keys",
            "create",
            "--config",
            &config,
            "--name",
            "ci",
            "--models",
            "echo",
            "--rpm",
            "5",
            "--concurrency",
            "2",
            "--json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let created: Value = serde_json::from_str(out.trim()).expect("json");
    let key = created["key"].as_str().expect("key");
    let id = created["id"].as_str().expect("id");
    assert!(key.starts_with(&format!("sk-cz-{id}-")), "{created}");
    assert_eq!(created["models"], serde_json::json!(["echo"]));
    assert_eq!(
        (created["rpm"].as_u64(), created["concurrency"].as_u64()),
        (Some(5), Some(2))
    );

    let (code, out, _) = run(
        &home,
        &["serve", "keys", "list", "--config", &config, "--json"],
    )
    .await;
    assert_eq!(code, 0);
    let secret = key.rsplit('-').next().expect("secret");
    assert!(
        out.contains(id) && !out.contains(secret) && !out.contains("hash"),
        "{out}"
    );
    let (code, table, _) = run(&home, &["serve", "keys", "list", "--config", &config]).await;
    assert_eq!(code, 0);
    assert!(
        table.contains("ci") && table.contains("5/min, 2 streams"),
        "{table}"
    );

    let (code, _, err) = run(
        &home,
        &[
            "serve",
            "keys",
            "create",
            "--config",
            &config,
            "--models",
            "echo,nope",
        ],
    )
    .await;
    assert_eq!(code, 2);
    assert!(err.contains("nope") && err.contains("echo"), "{err}");

    let (code, out, err) = run(&home, &["serve", "keys", "revoke", "--config", &config, id]).await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(id));
    let (_, out, _) = run(
        &home,
        &["serve", "keys", "list", "--config", &config, "--json"],
    )
    .await;
    assert!(out.trim().is_empty(), "{out}");
    let (code, _, err) = run(&home, &["serve", "keys", "revoke", "--config", &config, id]).await;
    assert_eq!(code, 2);
    assert!(err.contains("keys list"), "{err}");
}

#[tokio::test]
async fn serve_config_starts_the_enabled_services_and_refuses_a_bad_file() {
    let home = tempfile::tempdir().expect("temp dir");
    let config = write_config(&home, OPENAI);
    let (child, banner) = start(
        &home,
        &[
            "serve",
            "--config",
            &config,
            "--listen",
            "127.0.0.1:0",
            "--json",
        ],
    )
    .await;
    assert_eq!(banner["services"], serde_json::json!(["openai"]));
    assert_eq!(banner["store"], "sqlite");
    let url = banner["url"].as_str().expect("url");
    let health = http()
        .get(format!("{url}/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status().as_u16(), 200);
    assert!(terminate(child).await.success());
    assert!(home.path().join("data/gateway.sqlite3").exists());

    let bad = write_config(&home, "[openai]\nmodels = { echo = \"1\" }\n");
    let (code, _, err) = run(&home, &["serve", "--config", &bad]).await;
    assert_eq!(code, 2);
    assert!(err.contains("[upstream]"), "{err}");
    let (code, _, err) = run(&home, &["serve"]).await;
    assert_eq!(code, 2);
    assert!(err.contains("--config"), "{err}");
}

#[tokio::test]
async fn a_profile_upstream_uses_the_cli_login_and_a_missing_one_is_named() {
    let emu = coze_emulator::Emulator::start().await.expect("emulator");
    let info = emu.info();
    let text = |v: &Value| v.as_str().expect("string").to_owned();
    let home = tempfile::tempdir().expect("temp dir");
    let (code, _, err) = run(
        &home,
        &[
            "--profile",
            "srv",
            "--base-url",
            emu.base_url(),
            "auth",
            "login",
            "--jwt",
            "--client-id",
            &text(&info["oauth"]["jwt_app_id"]),
            "--key-id",
            &text(&info["oauth"]["jwt_key_id"]),
            "--private-key",
            &text(&info["oauth"]["jwt_private_key_path"]),
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let config = write_config(
        &home,
        "[upstream]\nauth = \"profile\"\nprofile = \"srv\"\n[openai]\nmodels = { echo = \"1\" }\n",
    );
    let (child, banner) = start(
        &home,
        &[
            "serve",
            "--config",
            &config,
            "--listen",
            "127.0.0.1:0",
            "--json",
        ],
    )
    .await;
    assert_eq!(banner["services"], serde_json::json!(["openai"]));
    assert!(terminate(child).await.success());

    let ghost = write_config(
        &home,
        "[upstream]\nauth = \"profile\"\nprofile = \"ghost\"\n[openai]\nmodels = { echo = \"1\" }\n",
    );
    let (code, _, err) = run(&home, &["serve", "--config", &ghost]).await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ghost") && err.contains("coze auth login --profile ghost"),
        "{err}"
    );
}

#[tokio::test]
async fn refused_jwt_credentials_stop_the_start_with_the_reason() {
    let emu = coze_emulator::Emulator::start().await.expect("emulator");
    let info = emu.info();
    let text = |v: &Value| v.as_str().expect("string").to_owned();
    let home = tempfile::tempdir().expect("temp dir");
    let config = write_config(
        &home,
        &format!(
            "[upstream]\nauth = \"jwt\"\nbase_url = \"{}\"\napp_id = \"{}\"\nkey_id = \"not-the-key\"\nprivate_key = {:?}\n[openai]\nmodels = {{ echo = \"1\" }}\n",
            emu.base_url(),
            text(&info["oauth"]["jwt_app_id"]),
            text(&info["oauth"]["jwt_private_key_path"]),
        ),
    );
    let (code, out, err) = run(
        &home,
        &["serve", "--config", &config, "--listen", "127.0.0.1:0"],
    )
    .await;
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("refused the [upstream] credentials"), "{err}");
    assert!(!err.contains("eyJ"), "no JWT in the message: {err}");
}

/// `REDIS_URL`, or `None` with a printed SKIPPED line (a failure under `CI=true`).
fn redis_url(test: &str) -> Option<String> {
    match std::env::var("REDIS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => Some(url),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "{test}: REDIS_URL is not set under CI=true; run scripts/test.sh, which starts Redis"
            )
        }
        None => {
            println!("SKIPPED {test}: needs Redis; set REDIS_URL or run `bash scripts/test.sh`");
            None
        }
    }
}

#[tokio::test]
async fn two_processes_on_one_redis_share_keys_and_one_survives_the_other_being_killed() {
    let Some(redis) = redis_url("two_processes_on_one_redis") else {
        return;
    };
    let home = tempfile::tempdir().expect("temp dir");
    let prefix = format!("clitest{:x}:", std::process::id());
    let config = write_config(
        &home,
        &format!("store = \"{redis}\"\nstore_prefix = \"{prefix}\"\n{OPENAI}"),
    );
    let args = [
        "serve",
        "--config",
        &config,
        "--listen",
        "127.0.0.1:0",
        "--json",
    ];
    let (mut a, banner_a) = start(&home, &args).await;
    let (b, banner_b) = start(&home, &args).await;
    assert_eq!(banner_a["store"], "redis");
    let (url_a, url_b) = (
        banner_a["url"].as_str().expect("url").to_owned(),
        banner_b["url"].as_str().expect("url").to_owned(),
    );
    let (code, out, err) = run(
        &home,
        &[
            "serve", "keys", "create", "--config", &config, "--name", "shared", "--json",
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let id = serde_json::from_str::<Value>(out.trim()).expect("json")["id"]
        .as_str()
        .expect("id")
        .to_owned();

    a.start_kill().expect("SIGKILL");
    a.wait().await.expect("killed");
    let client = http();
    assert!(client.get(format!("{url_a}/health")).send().await.is_err());
    let health: Value = client
        .get(format!("{url_b}/health"))
        .send()
        .await
        .expect("the survivor answers")
        .json()
        .await
        .expect("json");
    assert_eq!(
        (health["status"].as_str(), health["store"].as_str()),
        (Some("ok"), Some("redis"))
    );
    let (_, listed, _) = run(
        &home,
        &["serve", "keys", "list", "--config", &config, "--json"],
    )
    .await;
    assert!(listed.contains(&id), "{listed}");
    let (code, _, _) = run(
        &home,
        &["serve", "keys", "revoke", "--config", &config, &id],
    )
    .await;
    assert_eq!(code, 0);
    assert!(terminate(b).await.success());
}
