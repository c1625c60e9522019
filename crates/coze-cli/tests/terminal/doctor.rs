//! `coze doctor` against emulators standing in for the two regions (`COZE_DOCTOR_REGIONS`),
//! never the internet.

use std::time::Duration;

use coze_emulator::{Emulator, EmulatorConfig};
use serde_json::Value;

use crate::support::{Fixture, clean_command, json_lines, run};

/// A second emulator (another region), with its own runtime.
struct Other {
    emu: Emulator,
    rt: tokio::runtime::Runtime,
}

fn other(config: EmulatorConfig) -> Other {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let emu = rt
        .block_on(Emulator::start_with(config))
        .expect("emulator starts");
    Other { emu, rt }
}

/// `coze --base-url BASE --token TOKEN doctor --json` with the regions `cn=…,com=…`.
fn doctor(fx: &Fixture, base: &str, token: &str, regions: &str) -> (Option<i32>, Vec<Value>) {
    let out = run(clean_command(fx.home.path())
        .args(["--base-url", base, "--token", token, "--json", "doctor"])
        .env("COZE_DOCTOR_REGIONS", regions));
    assert!(!out.stdout.contains(token), "the token is never printed");
    (out.code, json_lines(&out.stdout))
}

fn check<'a>(lines: &'a [Value], name: &str) -> &'a Value {
    lines
        .iter()
        .find(|l| l["check"] == name)
        .unwrap_or_else(|| panic!("no {name} check in {lines:#?}"))
}

#[test]
fn a_good_token_passes_every_check() {
    let fx = Fixture::start();
    let com = other(EmulatorConfig::default());
    let regions = format!("cn={},com={}", fx.emu.base_url(), com.emu.base_url());
    let (code, lines) = doctor(&fx, fx.emu.base_url(), fx.emu.pat(), &regions);
    assert_eq!(code, Some(0), "{lines:#?}");
    for line in &lines {
        assert_eq!(line["status"], "ok", "{line}");
    }
    assert!(
        check(&lines, "endpoint")["message"]
            .as_str()
            .unwrap_or_default()
            .contains("region cn")
    );
    assert!(
        check(&lines, "token")["message"]
            .as_str()
            .unwrap_or_default()
            .contains("personal access token from --token")
    );
    assert!(
        check(&lines, "auth")["message"]
            .as_str()
            .unwrap_or_default()
            .contains("accepts the token")
    );
    assert!(check(&lines, "clock")["message"].as_str().is_some());
    // Both "regions" were reached: the one in use and the other.
    let reached = lines
        .iter()
        .filter(|l| {
            l["check"]
                .as_str()
                .unwrap_or_default()
                .starts_with("reach ")
        })
        .count();
    assert_eq!(reached, 2, "{lines:#?}");

    // The human form: one line per check, ok first.
    let out = run(clean_command(fx.home.path())
        .args([
            "--base-url",
            fx.emu.base_url(),
            "--token",
            fx.emu.pat(),
            "doctor",
        ])
        .env("COZE_DOCTOR_REGIONS", &regions));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stdout.lines().all(|l| l.starts_with("ok ")),
        "{}",
        out.stdout
    );
}

#[test]
fn a_token_of_the_other_region_is_named_as_such() {
    let fx = Fixture::start();
    let com = other(EmulatorConfig::default());
    let regions = format!("cn={},com={}", fx.emu.base_url(), com.emu.base_url());
    let (code, lines) = doctor(&fx, fx.emu.base_url(), com.emu.pat(), &regions);
    assert_eq!(code, Some(1), "{lines:#?}");
    let auth = check(&lines, "auth");
    assert_eq!(auth["status"], "error");
    let message = auth["message"].as_str().unwrap_or_default();
    assert!(message.contains("refused the token"), "{message}");
    assert!(message.contains("belongs to region com"), "{message}");
    assert!(
        auth["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("--region com"),
        "{auth}"
    );
}

#[test]
fn an_expired_token_is_refused_everywhere() {
    let fx = Fixture::start();
    let expiring = other(EmulatorConfig {
        pat_ttl: Some(Duration::from_secs(60)),
        ..EmulatorConfig::default()
    });
    // Move the emulator's clock past the PAT's lifetime.
    let clock = format!("{}/_emulator/clock", expiring.emu.base_url());
    let moved = expiring.rt.block_on(async {
        reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("client")
            .post(&clock)
            .header("content-type", "application/json")
            .body(r#"{"advance_seconds": 120}"#)
            .send()
            .await
            .map(|r| r.status().is_success())
    });
    assert!(
        moved.expect("the emulator answers"),
        "the emulator's clock moved"
    );
    let regions = format!("cn={},com={}", expiring.emu.base_url(), fx.emu.base_url());
    let (code, lines) = doctor(&fx, expiring.emu.base_url(), expiring.emu.pat(), &regions);
    assert_eq!(code, Some(1), "{lines:#?}");
    let auth = check(&lines, "auth");
    assert_eq!(auth["status"], "error", "{auth}");
    assert!(
        auth["message"]
            .as_str()
            .unwrap_or_default()
            .contains("region com refuses it too"),
        "{auth}"
    );
    assert!(
        auth["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("expired or revoked"),
        "{auth}"
    );
}

#[test]
fn a_refused_token_on_a_custom_base_url_names_the_regions_as_a_cause() {
    let fx = Fixture::start();
    let cn = other(EmulatorConfig::default());
    // The base URL in use is neither "region": doctor does not try the token elsewhere.
    let regions = format!("cn={},com={}", cn.emu.base_url(), cn.emu.base_url());
    let (code, lines) = doctor(&fx, fx.emu.base_url(), cn.emu.pat(), &regions);
    assert_eq!(code, Some(1), "{lines:#?}");
    assert!(
        check(&lines, "endpoint")["message"]
            .as_str()
            .unwrap_or_default()
            .contains("custom base URL")
    );
    let auth = check(&lines, "auth");
    let hint = auth["hint"].as_str().unwrap_or_default();
    assert!(
        hint.contains("a coze.cn token works only on api.coze.cn"),
        "{auth}"
    );
}

#[test]
fn no_token_and_an_unreachable_region_are_reported() {
    let fx = Fixture::start();
    // Port 9 on loopback: nothing listens there.
    let regions = format!("cn={},com=http://127.0.0.1:9", fx.emu.base_url());
    let out = run(clean_command(fx.home.path())
        .args(["--base-url", fx.emu.base_url(), "--json", "doctor"])
        .env("COZE_DOCTOR_REGIONS", &regions));
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let lines = json_lines(&out.stdout);
    let token = check(&lines, "token");
    assert_eq!(token["status"], "error");
    assert!(
        token["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("coze auth login")
    );
    let unreachable = check(&lines, "reach 127.0.0.1:9");
    assert_eq!(
        unreachable["status"], "warning",
        "the region not in use: {unreachable}"
    );
}

#[test]
fn a_refused_coze_token_names_the_other_region_even_when_it_cannot_be_asked() {
    let fx = Fixture::start();
    // "com" is port 9 on loopback: nothing listens there.
    let regions = format!("cn={},com=http://127.0.0.1:9", fx.emu.base_url());
    let other_regions_pat = "pat_0123456789abcdef0123456789abcdef";
    let (code, lines) = doctor(&fx, fx.emu.base_url(), other_regions_pat, &regions);
    assert_eq!(code, Some(1), "{lines:#?}");
    let auth = check(&lines, "auth");
    assert_eq!(auth["status"], "error", "{auth}");
    let message = auth["message"].as_str().unwrap_or_default();
    assert!(message.contains("region com could not be asked"), "{auth}");
    let hint = auth["hint"].as_str().unwrap_or_default();
    assert!(
        hint.starts_with("the token may belong to region com"),
        "{auth}"
    );
    assert!(hint.contains("--region com"), "{auth}");
    assert!(hint.contains("expired or revoked"), "{auth}");

    // Something that is no Coze token at all is not blamed on the other region.
    let (code, lines) = doctor(&fx, fx.emu.base_url(), "not-a-coze-token", &regions);
    assert_eq!(code, Some(1), "{lines:#?}");
    let hint = check(&lines, "auth")["hint"].as_str().unwrap_or_default();
    assert!(!hint.contains("region com"), "{hint}");
    assert!(
        hint.starts_with("the token is expired or revoked"),
        "{hint}"
    );
}

#[test]
fn a_profile_login_made_for_another_server_is_named() {
    let fx = Fixture::start();
    let com = other(EmulatorConfig::default());
    // Log in with a PAT against "com": the profile records that server.
    let login = run(clean_command(fx.home.path())
        .args(["--base-url", com.emu.base_url(), "auth", "login", "--pat"])
        .write_stdin(format!("{}\n", com.emu.pat())));
    assert_eq!(login.code, Some(0), "{}", login.stderr);

    let regions = format!("cn={},com={}", fx.emu.base_url(), com.emu.base_url());
    let out = run(clean_command(fx.home.path())
        .args(["--base-url", fx.emu.base_url(), "--json", "doctor"])
        .env("COZE_DOCTOR_REGIONS", &regions));
    assert!(
        !out.stdout.contains(com.emu.pat()),
        "the token is never printed"
    );
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    let lines = json_lines(&out.stdout);
    let issued = check(&lines, "login server");
    assert_eq!(issued["status"], "warning", "{issued}");
    let message = issued["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("made for region com ({})", com.emu.base_url())),
        "{issued}"
    );
    assert!(message.contains(fx.emu.base_url()), "{issued}");
    assert!(
        issued["hint"]
            .as_str()
            .unwrap_or_default()
            .contains("--region com"),
        "{issued}"
    );
    // ... and the server in use refuses it: the auth line names the region it belongs to.
    let auth = check(&lines, "auth");
    assert!(
        auth["message"]
            .as_str()
            .unwrap_or_default()
            .contains("belongs to region com"),
        "{auth}"
    );

    // Called where it was made, the login raises no warning.
    let out = run(clean_command(fx.home.path())
        .args(["--base-url", com.emu.base_url(), "--json", "doctor"])
        .env("COZE_DOCTOR_REGIONS", &regions));
    assert_eq!(out.code, Some(0), "{}", out.stdout);
    let lines = json_lines(&out.stdout);
    assert!(
        lines.iter().all(|l| l["check"] != "login server"),
        "{lines:#?}"
    );
}
