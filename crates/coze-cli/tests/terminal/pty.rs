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
