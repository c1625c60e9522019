//! The emulator's OAuth wire behaviour as raw HTTP (what cozepy, coze-go and coze-js see):
//! info keys, error bodies, slow_down, the verification page, `/v1/users/me`.

mod auth_common;

use auth_common::Env;
use serde_json::{Value, json};

async fn post(env: &Env, path: &str, body: Value) -> (u16, Value) {
    let resp = env
        .http
        .post(format!("{}{path}", env.base()))
        .json(&body)
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.expect("json body"))
}

#[tokio::test]
async fn info_names_every_app_and_the_key_file() {
    let env = Env::start().await;
    for key in [
        "pkce_client_id",
        "web_client_id",
        "web_client_secret",
        "device_client_id",
        "jwt_app_id",
        "jwt_key_id",
        "jwt_private_key_path",
        "redirect_uri",
        "team_workspace_id",
        "team_bot_id",
        "user_id",
    ] {
        assert!(
            env.oauth[key].as_str().is_some_and(|v| !v.is_empty()),
            "{key}"
        );
    }
    assert!(env.s("pkce_client_id").ends_with(".app.coze"));
    assert_eq!(env.s("redirect_uri"), "http://127.0.0.1:8080/callback");
    let pem = std::fs::read_to_string(env.s("jwt_private_key_path")).expect("key file");
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
}

#[tokio::test]
async fn errors_carry_both_field_conventions() {
    let env = Env::start().await;
    let (status, body) = post(
        &env,
        "/api/permission/oauth2/token",
        json!({"grant_type": "password", "client_id": env.s("pkce_client_id")}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"], "unsupported_grant_type");
    assert_eq!(body["error_code"], "unsupported_grant_type");
    assert_eq!(body["error_message"], body["error_description"]);
    assert!(
        body.get("code").is_none(),
        "no envelope on OAuth bodies: {body}"
    );

    let (status, body) = post(
        &env,
        "/api/permission/oauth2/token",
        json!({"grant_type": "refresh_token", "client_id": env.s("pkce_client_id"), "refresh_token": "nope"}),
    )
    .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_gets_an_oauth_error_not_an_envelope() {
    let env = Env::start().await;
    for path in [
        "/api/permission/oauth2/token",
        "/api/permission/oauth2/device/code",
    ] {
        let resp = env
            .http
            .post(format!("{}{path}", env.base()))
            .header("Content-Type", "application/json")
            .body("grant_type=authorization_code")
            .send()
            .await
            .expect("request");
        assert_eq!(resp.status().as_u16(), 400, "{path}");
        let body: Value = resp.json().await.expect("json body");
        assert_eq!(body["error_code"], "invalid_request", "{path}: {body}");
        assert_eq!(body["error"], "invalid_request", "{path}: {body}");
        assert!(body.get("code").is_none(), "{path}: envelope {body}");
    }
}

#[tokio::test]
async fn device_polling_too_fast_gets_slow_down_and_the_page_approves() {
    let env = Env::start().await;
    env.switch("/_emulator/oauth/settings", json!({"device_interval": 1}))
        .await;
    let client_id = env.s("device_client_id");
    let (status, code) = post(
        &env,
        "/api/permission/oauth2/device/code",
        json!({"client_id": client_id}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(code["interval"], 1);
    let user_code = code["user_code"].as_str().expect("user code").to_string();
    assert_eq!(user_code.len(), 9);
    let poll = json!({
        "client_id": client_id,
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": code["device_code"],
    });
    let (_, first) = post(&env, "/api/permission/oauth2/token", poll.clone()).await;
    assert_eq!(first["error_code"], "authorization_pending");
    let (status, second) = post(&env, "/api/permission/oauth2/token", poll.clone()).await;
    assert_eq!(
        (status, second["error_code"].as_str()),
        (400, Some("slow_down"))
    );
    // The interval grew by 5 s: a poll 1.2 s later is still too fast.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let (_, third) = post(&env, "/api/permission/oauth2/token", poll.clone()).await;
    assert_eq!(third["error_code"], "slow_down");

    // The verification page approves by form; a fresh code's first poll gets the token.
    let (_, code) = post(
        &env,
        "/api/permission/oauth2/device/code",
        json!({"client_id": client_id}),
    )
    .await;
    let user_code = code["user_code"].as_str().expect("user code").to_string();
    let poll = json!({
        "client_id": client_id,
        "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
        "device_code": code["device_code"],
    });
    let page = env
        .http
        .get(format!(
            "{}/_emulator/oauth/device?user_code={user_code}",
            env.base()
        ))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains(&user_code));
    let resp = env
        .http
        .post(format!("{}/_emulator/oauth/device", env.base()))
        .form(&[("user_code", user_code.as_str()), ("decision", "approve")])
        .send()
        .await
        .expect("approve form");
    assert_eq!(resp.status(), 200);
    let (status, token) = post(&env, "/api/permission/oauth2/token", poll).await;
    assert_eq!(status, 200, "{token}");
    assert!(
        token["access_token"]
            .as_str()
            .is_some_and(|t| t.starts_with("czu_"))
    );
    assert!(
        token["expires_in"]
            .as_i64()
            .is_some_and(|at| at > 1_700_000_000),
        "absolute expiry"
    );
}

#[tokio::test]
async fn users_me_with_the_pat_and_after_expiry() {
    let env = Env::start().await;
    let resp = env
        .http
        .get(format!("{}/v1/users/me", env.base()))
        .bearer_auth(env.emu.pat())
        .send()
        .await
        .expect("me");
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["code"], 0);
    for key in ["user_id", "user_name", "nick_name", "avatar_url"] {
        assert!(body["data"][key].is_string(), "{key}: {body}");
    }
    let resp = env
        .http
        .get(format!("{}/v1/users/me", env.base()))
        .bearer_auth("czu_unknown")
        .send()
        .await
        .expect("me");
    assert_eq!(resp.status(), 401);
}
