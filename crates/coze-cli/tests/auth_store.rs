//! Stored credentials: refresh and rotation, expiry mid-session, eight processes at the
//! moment of expiry, interrupted writes, permissions, corruption, secrets in `-v` output,
//! profiles and the wrong-region explanation.

mod auth_common;

use std::time::Duration;

use auth_common::Env;
use serde_json::Value;

fn token_of(stored: &Value, key: &str) -> String {
    stored[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {stored}"))
        .to_owned()
}

/// Waits until the stored access token has expired (Coze's expiry is a Unix time).
async fn until_expired(env: &Env) {
    let exp = env.stored("default")["expires_at"]
        .as_i64()
        .expect("expires_at");
    loop {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs() as i64;
        if now >= exp {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn refresh_rotates_and_the_old_refresh_token_is_refused() {
    let env = Env::start().await;
    env.device_login().await;
    let before = env.stored("default");
    env.run(&["auth", "refresh"])
        .await
        .assert_ok()
        .assert_stderr("Refreshed profile `default`");
    let after = env.stored("default");
    assert_eq!(env.refreshes().await, 1);
    assert_ne!(
        token_of(&before, "refresh_token"),
        token_of(&after, "refresh_token")
    );
    assert_ne!(
        token_of(&before, "access_token"),
        token_of(&after, "access_token")
    );

    // Put the rotated (dead) refresh token back, as a stale copy of the file would.
    let text = std::fs::read_to_string(env.credentials_path()).expect("read");
    let stale = text.replace(
        &token_of(&after, "refresh_token"),
        &token_of(&before, "refresh_token"),
    );
    std::fs::write(env.credentials_path(), stale).expect("write");
    let run = env.run(&["auth", "refresh"]).await;
    run.assert_code(1)
        .assert_stderr("no longer valid")
        .assert_stderr("hint: run `coze auth login`");
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_token_is_refreshed_by_any_command_and_mid_session() {
    let env = Env::with_ttl(Duration::from_secs(2)).await;
    env.device_login().await;
    until_expired(&env).await;
    env.run(&["whoami"]).await.assert_ok();
    assert_eq!(env.refreshes().await, 1);

    // One interactive chat that outlives its token: both turns are answered.
    let bot = env.emu.bots().echo.clone();
    let mut cmd = env.coze(&["chat", "--bot", &bot]);
    cmd.stdin(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("coze chat");
    let mut stdin = child.stdin.take().expect("stdin");
    use tokio::io::AsyncWriteExt as _;
    stdin.write_all(b"first turn\n").await.expect("write");
    tokio::time::sleep(Duration::from_secs(3)).await;
    stdin.write_all(b"second turn\n").await.expect("write");
    drop(stdin);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("chat ends")
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("first turn") && stdout.contains("second turn"),
        "{stdout}\n{stderr}"
    );
    assert!(
        env.refreshes().await >= 2,
        "the session refreshed during the chat"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_processes_at_expiry_refresh_once_and_keep_the_newest_token() {
    let env = Env::with_ttl(Duration::from_secs(2)).await;
    env.device_login().await;
    until_expired(&env).await;
    let runs = futures_util::future::join_all((0..8).map(|_| env.run(&["auth", "token"]))).await;
    for run in &runs {
        run.assert_ok();
    }
    assert_eq!(env.refreshes().await, 1, "exactly one refresh request");
    let stored = env.stored("default");
    let access = token_of(&stored, "access_token");
    for run in &runs {
        assert_eq!(
            run.stdout.trim(),
            access,
            "every process got the refreshed token"
        );
    }
    // The stored refresh token is the newest: it still works (a rotated one would not).
    env.run(&["auth", "refresh"]).await.assert_ok();
    assert_eq!(env.refreshes().await, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_write_never_leaves_a_corrupt_file() {
    let env = Env::start().await;
    env.device_login().await;
    let good = std::fs::read_to_string(env.credentials_path()).expect("read");
    // What a writer killed before its rename leaves: a half-written temp file next to it.
    let leftover = env.dir().join(".tmp-credentials.json.999.deadbeef");
    std::fs::write(&leftover, &good[..good.len() / 2]).expect("write");
    env.run(&["auth", "status"]).await.assert_ok();
    assert_eq!(
        std::fs::read_to_string(env.credentials_path()).expect("read"),
        good
    );
    // The next write replaces the file atomically and sweeps the leftover away.
    env.run(&["auth", "refresh"]).await.assert_ok();
    assert!(!leftover.exists());
    let names: Vec<String> = std::fs::read_dir(env.dir())
        .expect("dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(names.iter().all(|n| !n.starts_with(".tmp-")), "{names:?}");
    serde_json::from_str::<Value>(&std::fs::read_to_string(env.credentials_path()).expect("read"))
        .expect("valid JSON");

    // A writer killed at any moment: run refreshes and kill them at staggered times; the
    // file is always either the old or a new complete version.
    for delay_ms in [5u64, 20, 40, 80] {
        let mut child = env.coze(&["auth", "refresh"]).spawn().expect("spawn");
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        let _ = child.start_kill();
        let _ = child.wait().await;
        let text = std::fs::read_to_string(env.credentials_path()).expect("read");
        let value: Value = serde_json::from_str(&text).expect("never corrupt");
        assert!(value["profiles"]["default"]["access_token"].is_string());
    }
    // The survivor is always readable. (It may hold a refresh token the server already
    // rotated, if a kill fell between the token response and the rename: no client can close
    // that window, so the next command asks to log in again instead of crashing.)
    env.run(&["auth", "status"]).await.assert_ok();
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_output_never_shows_a_token() {
    let env = Env::with_ttl(Duration::from_secs(2)).await;
    env.consent("approve").await;
    env.post(
        "/_emulator/oauth/settings",
        serde_json::json!({ "device_interval": 1 }),
    )
    .await;
    let id = env.oauth("device_client_id");
    let login = env
        .run(&["-vv", "auth", "login", "--device", "--client-id", &id])
        .await;
    login.assert_ok();
    let first = env.stored("default");
    until_expired(&env).await;
    let mut seen = vec![login];
    for args in [
        &["-vv", "whoami"][..],
        &["-vv", "auth", "status"],
        &["-vv", "auth", "refresh"],
        &["-vv", "auth", "token"],
    ] {
        let run = env.run(args).await;
        run.assert_ok();
        seen.push(run);
    }
    let stored = env.stored("default");
    let history = [
        token_of(&first, "access_token"),
        token_of(&first, "refresh_token"),
        token_of(&stored, "access_token"),
        token_of(&stored, "refresh_token"),
    ];
    for run in &seen {
        for secret in &history {
            assert!(
                !run.stderr.contains(secret.as_str()),
                "a token in -v output:\n{}",
                run.stderr
            );
        }
    }
    assert!(
        seen.iter()
            .any(|r| r.stderr.contains("DEBUG") || r.stderr.contains("TRACE")),
        "-vv logs something"
    );
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn wide_permissions_are_fixed_with_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::start().await;
    env.device_login().await;
    std::fs::set_permissions(
        env.credentials_path(),
        std::fs::Permissions::from_mode(0o644),
    )
    .expect("chmod");
    std::fs::set_permissions(env.dir(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let run = env.run(&["auth", "status"]).await;
    run.assert_ok()
        .assert_stderr("warning:")
        .assert_stderr("changing to 600");
    assert_eq!(auth_common::mode(&env.credentials_path()), 0o600);
    assert_eq!(auth_common::mode(&env.dir()), 0o700);
}

#[tokio::test(flavor = "multi_thread")]
async fn corrupt_credentials_and_config_are_reported_not_crashed_on() {
    let env = Env::start().await;
    env.device_login().await;
    std::fs::write(
        env.credentials_path(),
        "{\"version\":1,\"profiles\":{\"default\":{\"method\":",
    )
    .expect("write");
    for args in [&["auth", "status"][..], &["whoami"], &["auth", "token"]] {
        let run = env.run(args).await;
        run.assert_code(2)
            .assert_stderr("credentials for profile `default` are corrupt")
            .assert_stderr("hint: run `coze auth login` to replace them");
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
    // Logging in again repairs it.
    env.device_login().await;
    env.run(&["auth", "status"]).await.assert_ok();

    std::fs::write(
        env.dir().join("config.toml"),
        "[profiles.default]\nregion = \"mars\"\n",
    )
    .expect("write");
    env.run(&["auth", "status"])
        .await
        .assert_code(2)
        .assert_stderr("`region` is `mars`");
    std::fs::write(env.dir().join("config.toml"), "[profiles.default\n").expect("write");
    env.run(&["whoami"])
        .await
        .assert_code(2)
        .assert_stderr("config.toml is invalid (line 1)");
}

#[tokio::test(flavor = "multi_thread")]
async fn profiles_are_separate_and_logout_removes_one() {
    let env = Env::start().await;
    env.device_login().await;
    env.run_with_stdin(
        &["--profile", "pat", "auth", "login", "--pat"],
        env.emu.pat(),
    )
    .await
    .assert_ok();
    let status = env
        .run(&["--profile", "pat", "auth", "status", "--json"])
        .await;
    assert_eq!(status.assert_ok().json()["method"], "pat");
    let mut cmd = env.coze(&["auth", "status", "--json"]);
    cmd.env("COZE_PROFILE", "pat");
    assert_eq!(env.run_cmd(cmd).await.assert_ok().json()["method"], "pat");

    env.run(&["--profile", "pat", "auth", "logout"])
        .await
        .assert_ok()
        .assert_stderr("Logged out");
    env.run(&["--profile", "pat", "whoami"])
        .await
        .assert_code(2)
        .assert_stderr("no access token");
    env.run(&["whoami"]).await.assert_ok();
    env.run(&["--profile", "nope", "whoami"])
        .await
        .assert_code(2)
        .assert_stderr("profile `nope` does not exist");
    env.run(&["auth", "status"]).await.assert_ok();

    // --token and COZE_API_TOKEN win over the stored login.
    let run = env.run(&["--token", "pat_wrong", "whoami"]).await;
    run.assert_code(1);
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_region_names_both_servers() {
    let env = Env::start().await;
    env.device_login().await;
    let other = coze_emulator::Emulator::start()
        .await
        .expect("second emulator");
    let mut cmd = env.coze(&["whoami"]);
    cmd.env("COZE_API_BASE", other.base_url());
    let run = env.run_cmd(cmd).await;
    run.assert_code(1)
        .assert_stderr(&format!(
            "the API at {} refused the token of profile `default`",
            other.base_url()
        ))
        .assert_stderr(&format!("issued for {}", env.emu.base_url()));
}

/// A warning printed to a stderr nobody reads any more (`coze ... 2>&1 | head -1`) must not
/// crash the command: `eprintln!` panics (exit 101) on a broken pipe.
#[tokio::test(flavor = "multi_thread")]
async fn a_warning_to_a_closed_stderr_does_not_crash() {
    let env = Env::start().await;
    // Tomorrow (UTC), as `--expires` takes it.
    let date = jiff::tz::Offset::UTC
        .to_datetime(jiff::Timestamp::now())
        .date()
        .tomorrow()
        .expect("tomorrow is a date")
        .to_string();
    env.run_with_stdin(
        &["auth", "login", "--pat", "--expires", &date],
        env.emu.pat(),
    )
    .await
    .assert_ok();
    env.run(&["whoami"])
        .await
        .assert_ok()
        .assert_stderr("warning: the personal access token");

    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let mut cmd = env.coze(&["whoami"]);
    cmd.stderr(writer);
    // Not `run_cmd`: tokio's `output()` replaces stderr with a pipe of its own.
    let child = cmd.spawn().expect("coze starts");
    drop(cmd);
    let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
        .await
        .expect("coze finished within 60 s")
        .expect("coze runs");
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Emulator User"), "{stdout}");
}
