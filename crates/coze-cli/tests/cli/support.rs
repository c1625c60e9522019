//! The fixture: an emulator on 127.0.0.1:0 running on its own runtime, a private config
//! directory, and `coze` commands with nothing from the developer's environment.

use std::path::Path;

use assert_cmd::Command;
use coze_emulator::faults::FaultConfig;
use coze_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;
use tempfile::TempDir;

pub struct Fixture {
    // Field order matters: the emulator stops before its runtime goes away.
    pub emu: Emulator,
    pub home: TempDir,
    /// Runs the emulator's server while the test drives `coze` synchronously.
    _rt: tokio::runtime::Runtime,
}

impl Fixture {
    pub fn start() -> Fixture {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let emu = rt
            .block_on(Emulator::start_with(EmulatorConfig::default()))
            .expect("emulator starts");
        let home = tempfile::tempdir().expect("temp dir");
        Fixture { emu, home, _rt: rt }
    }

    pub fn bot(&self, name: &str) -> String {
        match name {
            "echo" => self.emu.bots().echo.clone(),
            "tool" => self.emu.bots().tool.clone(),
            "failing" => self.emu.bots().failing.clone(),
            "unpublished" => self.emu.bots().unpublished.clone(),
            other => panic!("no bot {other}"),
        }
    }

    pub fn faults(&self, config: FaultConfig) {
        self.emu.faults().set(config);
    }

    /// `coze` without any base URL or token.
    pub fn bare(&self) -> Command {
        clean_command(self.home.path())
    }

    /// `coze` pointed at the emulator (by flags) with its PAT.
    pub fn coze(&self) -> Command {
        let mut cmd = self.bare();
        cmd.args(["--base-url", self.emu.base_url(), "--token", self.emu.pat()]);
        cmd
    }

    /// `coze chat --bot <name> -m <text>`.
    pub fn ask(&self, bot: &str, text: &str) -> Command {
        let mut cmd = self.coze();
        cmd.args(["chat", "--bot", &self.bot(bot), "-m", text]);
        cmd
    }
}

/// `coze` with a private HOME and config dir, no Coze variables, no proxies, no colours.
pub fn clean_command(home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("coze").expect("coze binary");
    for var in [
        "COZE_API_TOKEN",
        "COZE_API_BASE",
        "COZE_REGION",
        "COZE_PROFILE",
        "RUST_LOG",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", home)
        .env("COZE_CONFIG_DIR", home.join("coze"))
        .env("NO_COLOR", "1")
        .timeout(std::time::Duration::from_secs(60));
    cmd
}

pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(cmd: &mut Command) -> Run {
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

/// Every stdout line as JSON.
pub fn json_lines(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .collect()
}
