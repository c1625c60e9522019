//! Shared by the `auth*` CLI tests: an in-process emulator, a private config directory, and
//! `coze` runs with a clean environment.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use coze_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

pub struct Env {
    pub emu: Emulator,
    pub home: TempDir,
    pub http: reqwest::Client,
}

impl Env {
    pub async fn start() -> Env {
        Env::with_ttl(Duration::from_secs(900)).await
    }

    /// An emulator whose OAuth access tokens live `ttl`.
    pub async fn with_ttl(ttl: Duration) -> Env {
        let config = EmulatorConfig {
            token_ttl: ttl,
            ..EmulatorConfig::default()
        };
        let emu = Emulator::start_with(config).await.expect("emulator starts");
        let home = tempfile::tempdir().expect("temp dir");
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("http client");
        Env { emu, home, http }
    }

    pub fn dir(&self) -> PathBuf {
        self.home.path().join("coze")
    }

    pub fn oauth(&self, key: &str) -> String {
        self.emu.info()["oauth"][key]
            .as_str()
            .unwrap_or_else(|| panic!("info.oauth.{key}"))
            .to_owned()
    }

    /// `coze` with the emulator as base URL, our config dir, and nothing from the developer's
    /// environment (no token, no SSH detection, no browser).
    pub fn coze(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_coze"));
        cmd.args(args)
            .env("COZE_CONFIG_DIR", self.dir())
            .env("COZE_API_BASE", self.emu.base_url())
            .env_remove("COZE_API_TOKEN")
            .env_remove("COZE_REGION")
            .env_remove("COZE_PROFILE")
            .env_remove("COZE_CLIENT_SECRET")
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        cmd
    }

    /// Runs `coze args` to the end (30 s at most).
    pub async fn run(&self, args: &[&str]) -> Run {
        self.run_cmd(self.coze(args)).await
    }

    pub async fn run_cmd(&self, mut cmd: Command) -> Run {
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
            .await
            .expect("coze finished within 60 s")
            .expect("coze runs");
        Run::from(out)
    }

    /// Runs `coze args` with `input` on stdin.
    pub async fn run_with_stdin(&self, args: &[&str], input: &str) -> Run {
        let mut cmd = self.coze(args);
        cmd.stdin(Stdio::piped());
        let mut child = cmd.spawn().expect("coze starts");
        let mut stdin = child.stdin.take().expect("stdin piped");
        stdin
            .write_all(input.as_bytes())
            .await
            .expect("write stdin");
        drop(stdin);
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("coze finished")
            .expect("coze runs");
        Run::from(out)
    }

    pub async fn post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}{path}", self.emu.base_url()))
            .json(&body)
            .send()
            .await
            .expect("emulator answers");
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        resp.json().await.unwrap_or(Value::Null)
    }

    pub async fn stats(&self) -> Value {
        self.http
            .get(format!("{}/_emulator/oauth/stats", self.emu.base_url()))
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats JSON")
    }

    pub async fn refreshes(&self) -> u64 {
        self.stats().await["refreshes"].as_u64().unwrap_or(0)
    }

    pub async fn token_requests(&self, grant: &str) -> u64 {
        self.stats().await["token_requests"][grant]
            .as_u64()
            .unwrap_or(0)
    }

    /// Registers a free loopback redirect URI for the web and PKCE apps; returns it.
    pub async fn redirect_uri(&self) -> String {
        let port = free_port();
        let uri = format!("http://127.0.0.1:{port}/callback");
        self.post(
            "/_emulator/oauth/redirect_uris",
            json!({ "redirect_uri": uri }),
        )
        .await;
        uri
    }

    pub async fn consent(&self, mode: &str) {
        self.post("/_emulator/oauth/consent_mode", json!({ "mode": mode }))
            .await;
    }

    pub fn credentials_path(&self) -> PathBuf {
        self.dir().join("credentials.json")
    }

    /// The stored credentials of `profile` (the raw JSON).
    pub fn stored(&self, profile: &str) -> Value {
        let text = std::fs::read_to_string(self.credentials_path()).expect("credentials.json");
        let all: Value = serde_json::from_str(&text).expect("credentials.json is JSON");
        all["profiles"][profile].clone()
    }

    /// Logs the default profile in with the device flow (no browser needed).
    pub async fn device_login(&self) -> Run {
        self.consent("approve").await;
        self.post("/_emulator/oauth/settings", json!({ "device_interval": 1 }))
            .await;
        let id = self.oauth("device_client_id");
        let run = self
            .run(&["auth", "login", "--device", "--client-id", &id])
            .await;
        run.assert_ok();
        run
    }

    /// Starts `coze args` and returns once it printed the authorize URL.
    pub async fn start_browser_login(&self, args: &[&str]) -> BrowserLogin {
        let mut child = self.coze(args).spawn().expect("coze starts");
        let stderr = child.stderr.take().expect("stderr piped");
        let mut lines = BufReader::new(stderr).lines();
        let mut seen = Vec::new();
        let url = tokio::time::timeout(Duration::from_secs(30), async {
            while let Some(line) = lines.next_line().await.expect("read stderr") {
                let trimmed = line.trim().to_owned();
                seen.push(line);
                if trimmed.starts_with("http") && trimmed.contains("/authorize") {
                    return trimmed;
                }
            }
            panic!("coze ended without printing the URL: {seen:?}");
        })
        .await
        .expect("the URL within 30 s");
        // Keep draining stderr so the child never blocks on a full pipe.
        let rest = tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                seen.push(line);
            }
            seen
        });
        BrowserLogin {
            child,
            url,
            stderr: rest,
        }
    }
}

/// A `coze auth login` waiting for the browser.
pub struct BrowserLogin {
    pub child: Child,
    pub url: String,
    stderr: tokio::task::JoinHandle<Vec<String>>,
}

impl BrowserLogin {
    /// Waits for `coze` to exit.
    pub async fn finish(self) -> Run {
        let out = tokio::time::timeout(Duration::from_secs(60), self.child.wait_with_output())
            .await
            .expect("coze finished within 60 s")
            .expect("coze runs");
        let stderr = self.stderr.await.expect("stderr reader").join("\n");
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        }
    }
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Run {
    pub fn assert_ok(&self) -> &Run {
        assert_eq!(
            self.code,
            Some(0),
            "coze failed:\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn assert_code(&self, code: i32) -> &Run {
        assert_eq!(
            self.code,
            Some(code),
            "unexpected exit:\nstdout: {}\nstderr: {}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn assert_stderr(&self, needle: &str) -> &Run {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(self.stdout.trim())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }
}

#[cfg(unix)]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o777
}
