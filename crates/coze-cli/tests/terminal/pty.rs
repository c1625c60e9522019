//! Running `coze` in a pseudo-terminal with util-linux `script`.

use std::time::Duration;

use crate::support::Fixture;

/// Whether `script` is there; prints why a test is skipped otherwise.
pub fn has_script() -> bool {
    let ok = std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipped: util-linux `script` is not installed");
    }
    ok
}

/// `coze --base-url … --token … ARGS` in a pseudo-terminal of 100 columns, with `env` set and
/// `input` typed; the merged output without carriage returns.
pub fn run(
    fx: &Fixture,
    args: &[&str],
    env: &[(&str, &str)],
    input: &str,
) -> (Option<i32>, String) {
    let coze = assert_cmd::cargo::cargo_bin("coze");
    let mut all = vec![
        coze.to_str().expect("a UTF-8 binary path").to_string(),
        "--base-url".into(),
        fx.emu.base_url().to_string(),
        "--token".into(),
        fx.emu.pat().to_string(),
    ];
    all.extend(args.iter().map(|a| (*a).to_string()));
    let line = all
        .iter()
        .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
        .collect::<Vec<_>>()
        .join(" ");
    let line = format!("stty cols 100 rows 40 2>/dev/null; exec {line}");
    let mut cmd = assert_cmd::Command::new("script");
    cmd.args(["-qec", &line, "/dev/null"]);
    for var in [
        "COZE_API_TOKEN",
        "COZE_API_BASE",
        "COZE_PROFILE",
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("HOME", fx.home.path())
        .env("COZE_CONFIG_DIR", fx.home.path().join("coze"))
        .env("TERM", "xterm-256color")
        .timeout(Duration::from_secs(60))
        .write_stdin(input);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("script runs");
    let text = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    assert!(!text.contains("panicked"), "{text}");
    (out.status.code(), text)
}

/// An interactive `coze` in a pseudo-terminal: type keys, wait for output.
pub struct Session {
    child: std::process::Child,
    input: Option<std::process::ChildStdin>,
    output: std::sync::Arc<std::sync::Mutex<String>>,
    /// Everything the terminal received, as it came (carriage returns and escapes kept).
    raw: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl Session {
    /// Starts `coze --base-url … --token … ARGS` in a pseudo-terminal with `env`.
    pub fn start(fx: &Fixture, args: &[&str], env: &[(&str, &str)]) -> Session {
        use std::io::Read;
        let coze = assert_cmd::cargo::cargo_bin("coze");
        let mut all = vec![
            coze.to_str().expect("a UTF-8 binary path").to_string(),
            "--base-url".into(),
            fx.emu.base_url().to_string(),
            "--token".into(),
            fx.emu.pat().to_string(),
        ];
        all.extend(args.iter().map(|a| (*a).to_string()));
        let line = all
            .iter()
            .map(|a| format!("'{}'", a.replace('\'', r"'\''")))
            .collect::<Vec<_>>()
            .join(" ");
        let line = format!("stty cols 100 rows 40 2>/dev/null; exec {line}");
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qfec", &line, "/dev/null"]);
        for var in [
            "COZE_API_TOKEN",
            "COZE_API_BASE",
            "COZE_PROFILE",
            "CLICOLOR",
            "CLICOLOR_FORCE",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("HOME", fx.home.path())
            .env("COZE_CONFIG_DIR", fx.home.path().join("coze"))
            .env("TERM", "xterm-256color")
            .env("NO_COLOR", "1")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("script starts");
        let mut stdout = child.stdout.take().expect("stdout");
        let output = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let sink = std::sync::Arc::clone(&output);
        let raw = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let raw_sink = std::sync::Arc::clone(&raw);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0 {
                    break;
                }
                raw_sink
                    .lock()
                    .expect("output lock")
                    .extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&buf[..n]).replace('\r', "");
                sink.lock().expect("output lock").push_str(&text);
            }
        });
        let input = child.stdin.take();
        Session {
            child,
            input,
            output,
            raw,
        }
    }

    /// Types `keys` (`\r` is Enter).
    pub fn send(&mut self, keys: &str) {
        use std::io::Write;
        let input = self.input.as_mut().expect("session open");
        input.write_all(keys.as_bytes()).expect("type");
        input.flush().expect("flush");
    }

    /// Waits up to 30 s until the output has `text` after byte `from`; returns where it ends.
    pub fn expect(&self, text: &str, from: usize) -> usize {
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            {
                let output = self.output.lock().expect("output lock");
                if let Some(at) = output.get(from..).and_then(|o| o.find(text)) {
                    return from + at + text.len();
                }
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {text:?} in:\n{}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn text(&self) -> String {
        self.output.lock().expect("output lock").clone()
    }

    /// What a 100x40 terminal shows after everything received so far (the vt100 crate plays
    /// the terminal: cursor moves, erases, line wrapping).
    pub fn screen(&self) -> String {
        let (rows, cols) = (
            std::num::NonZero::new(40).expect("rows"),
            std::num::NonZero::new(100).expect("columns"),
        );
        let mut terminal = vt100::Parser::new(rows, cols, 0);
        terminal.process(&self.raw.lock().expect("output lock"));
        terminal.screen().contents()
    }

    /// Closes the input (Ctrl-D at the prompt) and waits for the end; the exit status.
    pub fn finish(mut self) -> Option<i32> {
        self.send("\x04");
        self.wait()
    }

    /// Waits for `coze` to end by itself (input closed); the exit status.
    pub fn wait(mut self) -> Option<i32> {
        drop(self.input.take());
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            if std::time::Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("coze did not end:\n{}", self.text());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
