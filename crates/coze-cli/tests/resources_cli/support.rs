//! An emulator with a small upload limit and a short slow workflow, a private config
//! directory, and `coze` commands pointed at it.

use std::time::Duration;

use assert_cmd::Command;
use coze_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;
use tempfile::TempDir;

/// Uploads above this many bytes get 4302.
pub const UPLOAD_LIMIT: u64 = 64 * 1024;

pub struct Fixture {
    // Field order matters: the emulator stops before its runtime goes away.
    pub emu: Emulator,
    pub home: TempDir,
    _rt: tokio::runtime::Runtime,
}

impl Fixture {
    pub fn start() -> Fixture {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let config = EmulatorConfig {
            max_upload_bytes: UPLOAD_LIMIT,
            slow_workflow: Duration::from_millis(1500),
            ..EmulatorConfig::default()
        };
        let emu = rt
            .block_on(Emulator::start_with(config))
            .expect("emulator starts");
        let home = tempfile::tempdir().expect("temp dir");
        Fixture { emu, home, _rt: rt }
    }

    pub fn workflow(&self, name: &str) -> String {
        self.emu.info()["workflows"][name]
            .as_str()
            .expect("scripted workflow")
            .to_string()
    }

    /// `coze --base-url <emulator> --token <pat> ARGS`, with nothing from the environment.
    pub fn coze(&self, args: &[&str]) -> Run {
        let mut cmd = Command::cargo_bin("coze").expect("coze binary");
        for var in [
            "COZE_API_TOKEN",
            "COZE_API_BASE",
            "COZE_REGION",
            "COZE_PROFILE",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        for var in [
            "HTTP_PROXY",
            "HTTPS_PROXY",
            "ALL_PROXY",
            "http_proxy",
            "https_proxy",
            "all_proxy",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", self.home.path())
            .env("COZE_CONFIG_DIR", self.home.path().join("coze"))
            .env("NO_COLOR", "1")
            .timeout(Duration::from_secs(60))
            .args(["--base-url", self.emu.base_url(), "--token", self.emu.pat()])
            .args(args)
            .write_stdin("");
        let out = cmd.output().expect("coze runs");
        let run = Run {
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        };
        assert!(
            !run.stderr.contains("panicked"),
            "coze panicked:\n{}",
            run.stderr
        );
        run
    }
}

#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts exit status 0 and returns the run.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code,
            Some(0),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    /// Asserts a one-line `error:` with a `hint:` and the exit status.
    pub fn fails(self, code: i32, error_contains: &str) -> Run {
        assert_eq!(
            self.code,
            Some(code),
            "stdout:\n{}\nstderr:\n{}",
            self.stdout,
            self.stderr
        );
        let errors: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(errors.len(), 1, "one error line: {}", self.stderr);
        assert!(errors[0].contains(error_contains), "{}", self.stderr);
        if code == 1 {
            assert!(
                self.stderr.lines().any(|l| l.starts_with("hint: ")),
                "a hint: {}",
                self.stderr
            );
        }
        self
    }

    /// The first stdout line, trimmed.
    pub fn first_line(&self) -> String {
        self.stdout
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_string()
    }

    /// Every stdout line as JSON.
    pub fn json(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
            .collect()
    }
}
