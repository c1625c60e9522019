//! `coze glif` and `coze serve` against the emulator's fake Glif.

use std::process::Stdio;
use std::time::Duration;

use coze_emulator::Emulator;
use serde_json::Value;
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

struct Env {
    emu: Emulator,
    home: TempDir,
}

impl Env {
    async fn start() -> Env {
        let emu = Emulator::start().await.expect("emulator starts");
        Env {
            emu,
            home: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn glif_base(&self) -> String {
        format!("{}/glif", self.emu.base_url())
    }

    fn glif_token(&self) -> String {
        self.emu.info()["glif"]["token"]
            .as_str()
            .expect("glif token")
            .to_owned()
    }

    /// `coze` with a private config dir and nothing from the developer's environment.
    fn coze(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_coze"));
        cmd.args(args)
            .env("COZE_CONFIG_DIR", self.home.path())
            .env("GLIF_API_TOKEN", self.glif_token())
            .env_remove("GLIF_BASE_URL")
            .env_remove("COZE_BRIDGE_SERVICE_TOKEN")
            .env_remove("COZE_PROFILE")
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    async fn run(&self, args: &[&str]) -> (i32, String, String) {
        self.run_cmd(self.coze(args)).await
    }

    async fn run_cmd(&self, mut cmd: Command) -> (i32, String, String) {
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .expect("coze finished within 60 s")
            .expect("coze runs");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

#[tokio::test]
async fn glif_run_prints_the_output() {
    let env = Env::start().await;
    let base = env.glif_base();
    let (code, out, err) = env
        .run(&[
            "glif",
            "run",
            "glif-text",
            "--input",
            "topic=owls",
            "-i",
            "mood=gloomy",
            "--glif-base-url",
            &base,
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "A gloomy poem about owls: roses bloom, foxes roam.\n");
    assert!(err.contains("text · 0.25 credits"), "{err}");

    // Positional values, the base URL from the environment.
    let mut cmd = env.coze(&["glif", "run", "glif-image", "a red fox", "ink"]);
    cmd.env("GLIF_BASE_URL", &base);
    let (code, out, err) = env.run_cmd(cmd).await;
    assert_eq!(code, 0, "{err}");
    let url = out.trim();
    assert!(url.starts_with(&base) && url.ends_with(".png"), "{out}");

    let (code, out, err) = env
        .run(&[
            "glif",
            "run",
            "glif-image",
            "a red fox",
            "ink",
            "--json",
            "--glif-base-url",
            &base,
        ])
        .await;
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(out.trim()).expect("one JSON line");
    assert_eq!(v["output_type"], "image");
    assert_eq!(v["image_url"], v["output"]);
    assert_eq!(v["price"], 0.25);
    assert_eq!(v["inputs"]["style"], "ink");
}

#[tokio::test]
async fn glif_run_reports_bad_input_failures_and_missing_token() {
    let env = Env::start().await;
    let base = env.glif_base();
    let (code, out, err) = env
        .run(&[
            "glif",
            "run",
            "glif-text",
            "--input",
            "topic=owls",
            "--glif-base-url",
            &base,
        ])
        .await;
    assert_eq!(
        code, 2,
        "strict mode: a missing input is a usage error\n{err}"
    );
    assert!(out.is_empty());
    assert!(err.contains("mood") && err.contains("hint:"), "{err}");

    let (code, _, err) = env
        .run(&[
            "glif",
            "run",
            "glif-text",
            "--input",
            "topik=owls",
            "--glif-base-url",
            &base,
        ])
        .await;
    assert_eq!(code, 2);
    assert!(err.contains("topic, mood"), "{err}");

    let (code, _, err) = env
        .run(&[
            "glif",
            "run",
            "glif-text",
            "a",
            "b",
            "c",
            "--glif-base-url",
            &base,
        ])
        .await;
    assert_eq!(code, 2);
    assert!(
        err.contains("takes 2 input(s) (topic, mood), got 3"),
        "{err}"
    );

    let (code, out, _) = env
        .run(&[
            "glif",
            "run",
            "glif-text",
            "--input",
            "topic=owls",
            "--no-strict",
            "--glif-base-url",
            &base,
        ])
        .await;
    assert_eq!(code, 0);
    assert!(out.contains("cheerful"), "{out}");

    let (code, _, err) = env
        .run(&["glif", "run", "glif-failing", "x", "--glif-base-url", &base])
        .await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("overloaded"), "{err}");

    let (code, _, err) = env
        .run(&[
            "glif",
            "run",
            "glif-text",
            "a",
            "--input",
            "mood=x",
            "--glif-base-url",
            &base,
        ])
        .await;
    assert_eq!(code, 2);
    assert!(err.contains("not both"), "{err}");

    let mut cmd = env.coze(&[
        "glif",
        "run",
        "glif-text",
        "a",
        "b",
        "--glif-base-url",
        &base,
    ]);
    cmd.env_remove("GLIF_API_TOKEN");
    let (code, _, err) = env.run_cmd(cmd).await;
    assert_eq!(code, 2);
    assert!(
        err.contains("no glif api token") && err.contains("GLIF_API_TOKEN"),
        "{err}"
    );

    let mut cmd = env.coze(&[
        "glif",
        "run",
        "glif-text",
        "a",
        "b",
        "--glif-base-url",
        &base,
    ]);
    cmd.env("GLIF_API_TOKEN", "glif_wrong_token");
    let (code, _, err) = env.run_cmd(cmd).await;
    assert_eq!(code, 1);
    assert!(
        err.contains("rejected") && !err.contains("glif_wrong_token"),
        "{err}"
    );
}

#[tokio::test]
async fn glif_inputs_lists_names_kinds_and_defaults() {
    let env = Env::start().await;
    let base = env.glif_base();
    let (code, out, err) = env
        .run(&["glif", "inputs", "glif-text", "--glif-base-url", &base])
        .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("NAME"), "{out}");
    let mood = out
        .lines()
        .find(|l| l.starts_with("mood"))
        .expect("a mood row");
    assert!(
        mood.contains("multipick") && mood.contains("cheerful"),
        "{out}"
    );
    let (code, out, _) = env
        .run(&[
            "glif",
            "inputs",
            "glif-video",
            "--json",
            "--glif-base-url",
            &base,
        ])
        .await;
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(out.trim()).expect("json");
    assert_eq!(v["inputs"][1]["kind"], "image");
    let (code, _, err) = env
        .run(&["glif", "inputs", "nope", "--glif-base-url", &base])
        .await;
    assert_eq!(code, 1);
    assert!(err.contains("unknown glif"), "{err}");
}

fn write_config(env: &Env, tools: &str) -> std::path::PathBuf {
    let path = env.home.path().join("bridge.toml");
    let text = format!(
        "public_base_url = \"https://bridge.example.com\"\nservice_token = \"svc\"\nglif_base_url = \"{}\"\n{tools}",
        env.glif_base()
    );
    std::fs::write(&path, text).expect("write config");
    path
}

#[tokio::test]
async fn serve_refuses_a_tool_with_a_wrong_input_and_serves_a_good_config() {
    let env = Env::start().await;
    let bad = write_config(
        &env,
        "[[tools]]\nname = \"picture\"\ndescription = \"d\"\nglif_id = \"glif-image\"\ninputs = [\"colour\"]\n",
    );
    let (code, _, err) = env
        .run(&[
            "serve",
            "--config",
            bad.to_str().unwrap_or_default(),
            "--listen",
            "127.0.0.1:0",
        ])
        .await;
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("colour") && err.contains("prompt, style"),
        "{err}"
    );

    let good = write_config(
        &env,
        "[[tools]]\nname = \"poem\"\ndescription = \"writes a poem\"\nglif_id = \"glif-text\"\n",
    );
    let mut child = env
        .coze(&[
            "serve",
            "--config",
            good.to_str().unwrap_or_default(),
            "--listen",
            "127.0.0.1:0",
            "--json",
        ])
        .spawn()
        .expect("coze serve starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = tokio::time::timeout(Duration::from_secs(30), lines.next_line())
        .await
        .expect("banner within 30 s")
        .expect("read")
        .expect("a line");
    let banner: Value = serde_json::from_str(&first).expect("json banner");
    assert_eq!(
        banner["openapi_yaml"],
        "https://bridge.example.com/plugins/glif/openapi.yaml"
    );
    let listen = banner["listen"].as_str().expect("listen");
    let http = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client");
    let doc: Value = http
        .get(format!("{listen}/plugins/glif/openapi.json"))
        .send()
        .await
        .expect("request")
        .json()
        .await
        .expect("json");
    assert_eq!(
        doc["paths"]["/plugins/glif/tools/poem"]["post"]["operationId"],
        "poem"
    );
    let reply = http
        .post(format!("{listen}/plugins/glif/tools/poem"))
        .header("Authorization", "Bearer svc")
        .json(&serde_json::json!({"topic": "owls"}))
        .send()
        .await
        .expect("request");
    assert_eq!(reply.status().as_u16(), 200);
    let reply: Value = reply.json().await.expect("json");
    assert_eq!(
        reply["output"],
        "A cheerful poem about owls: roses bloom, foxes roam."
    );
    child.kill().await.expect("stop coze serve");
}
