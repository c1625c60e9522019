//! `coze emulator --json`: one line on stdout, then it serves until killed.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;

/// Kills the child when the test ends, also when an assertion fails first.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn emulator_json_prints_one_line_and_serves() {
    let home = tempfile::tempdir().expect("temp dir");
    let child = Command::new(env!("CARGO_BIN_EXE_coze"))
        .args(["emulator", "--json", "--listen", "127.0.0.1:0"])
        .env("COZE_CONFIG_DIR", home.path())
        .env("NO_COLOR", "1")
        // CI has no stdin: a closed stdin must not stop the server.
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("coze emulator starts");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().expect("stdout piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("one line");
    let info: Value = serde_json::from_str(&line).expect("a JSON line");
    let base = info["base_url"].as_str().expect("base_url").to_string();
    let pat = info["pat"].as_str().expect("pat").to_string();
    assert!(
        base.starts_with("http://127.0.0.1:") && !base.ends_with(":0"),
        "{base}"
    );
    for bot in ["echo", "tool", "failing", "unpublished"] {
        assert!(
            info["bots"][bot].as_str().is_some_and(|id| !id.is_empty()),
            "bots.{bot}"
        );
    }
    assert!(info["workspace_id"].is_string());

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let status = rt.block_on(async {
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client");
        let url = format!("{base}/v1/conversation/create");
        let res = http
            .post(url)
            .bearer_auth(&pat)
            .json(&serde_json::json!({}))
            .send()
            .await;
        let res = res.expect("the emulator answers");
        let status = res.status();
        let body: Value = res.json().await.expect("JSON");
        (status, body)
    });
    drop(child);
    assert!(status.0.is_success(), "{status:?}");
    assert_eq!(status.1["code"], 0, "{:?}", status.1);
}

#[test]
fn emulator_on_a_taken_port_is_a_usage_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("addr").to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_coze"))
        .args(["emulator", "--listen", &addr])
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .expect("coze runs");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
    assert!(stderr.contains("hint: "), "{stderr}");
}

#[cfg(unix)]
#[test]
fn emulator_stops_cleanly_on_sigint_and_sigterm_right_after_its_line() {
    for signal in ["-INT", "-TERM"] {
        let home = tempfile::tempdir().expect("temp dir");
        let child = Command::new(env!("CARGO_BIN_EXE_coze"))
            .args(["emulator", "--json"])
            .env("COZE_CONFIG_DIR", home.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("coze emulator starts");
        let mut child = KillOnDrop(child);
        let mut line = String::new();
        let stdout = child.0.stdout.take().expect("stdout piped");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("one line");
        // Signal at once: the handler must already be installed when the line is out.
        let killed = Command::new("kill")
            .args([signal, &child.0.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(killed.success());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let status = loop {
            if let Some(status) = child.0.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{signal}: still running after 10 s"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(0), "{signal}: {status:?}");
    }
}
