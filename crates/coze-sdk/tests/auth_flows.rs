//! Every OAuth flow end to end against the emulator; the browser step is an HTTP client
//! following the authorize URL.

mod auth_common;

use auth_common::{Env, REDIRECT, browse, param};
use coze_sdk::auth::{
    Endpoints, JwtApp, JwtKey, OAuthApp, OAuthErrorKind, PkceMethod, PkceVerifier, device_login,
    needs_login, poll_device_token,
};
use coze_sdk::{ChatRequest, CreateConversationRequest, Error, Secret};
use serde_json::json;

fn kind(err: &Error) -> Option<OAuthErrorKind> {
    OAuthErrorKind::of(err)
}

#[tokio::test]
async fn pkce_login_with_s256_and_plain() {
    let env = Env::start().await;
    env.consent("approve").await;
    let app = OAuthApp::new(env.s("pkce_client_id")).with_base_url(env.base());
    for method in [PkceMethod::S256, PkceMethod::Plain] {
        let verifier = PkceVerifier::generate();
        let url = app
            .authorize_url(REDIRECT, "st-1")
            .pkce(verifier.challenge(method))
            .build();
        let pairs = browse(&url).await.expect("redirect with a code");
        assert_eq!(param(&pairs, "state"), Some("st-1"));
        let code = param(&pairs, "code").expect("code");
        let token = app
            .exchange_code(code, REDIRECT, Some(verifier))
            .send_token(&env.http)
            .await
            .expect("token");
        assert!(token.access_token.expose().starts_with("czu_"));
        assert!(token.refresh_token.is_some());
        let me = env
            .client_with(token.access_token.expose())
            .users()
            .me()
            .await
            .expect("me");
        assert_eq!(me.user_id, env.s("user_id"));
    }
}

#[tokio::test]
async fn pkce_code_is_single_use_and_bound_to_verifier_and_redirect() {
    let env = Env::start().await;
    env.consent("approve").await;
    let app = OAuthApp::new(env.s("pkce_client_id")).with_base_url(env.base());
    let verifier = PkceVerifier::generate();
    let url = app
        .authorize_url(REDIRECT, "s")
        .pkce(verifier.challenge(PkceMethod::S256))
        .build();
    let pairs = browse(&url).await.expect("code");
    let code = param(&pairs, "code").expect("code").to_string();
    let wrong = PkceVerifier::from_string("not-the-verifier");
    let err = app
        .exchange_code(&code, REDIRECT, Some(wrong))
        .send_token(&env.http)
        .await;
    let err = err.expect_err("wrong verifier refused");
    assert_eq!(kind(&err), Some(OAuthErrorKind::InvalidGrant), "{err}");
    // The failed attempt spent the code: the right verifier no longer helps.
    let err = app
        .exchange_code(&code, REDIRECT, Some(verifier))
        .send_token(&env.http)
        .await;
    assert_eq!(
        kind(&err.expect_err("code reused")),
        Some(OAuthErrorKind::InvalidGrant)
    );

    // A code redeemed with another redirect URI than the one authorized.
    let verifier = PkceVerifier::generate();
    let url = app
        .authorize_url(REDIRECT, "s")
        .pkce(verifier.challenge(PkceMethod::S256))
        .build();
    let pairs = browse(&url).await.expect("code");
    let code = param(&pairs, "code").expect("code");
    let other = "http://localhost:8080/callback";
    let err = app
        .exchange_code(code, other, Some(verifier))
        .send_token(&env.http)
        .await;
    let err = err.expect_err("redirect mismatch");
    assert_eq!(kind(&err), Some(OAuthErrorKind::InvalidGrant));
    assert!(err.to_string().contains("redirect_uri"), "{err}");
}

#[tokio::test]
async fn authorize_page_refuses_unknown_client_and_unregistered_redirect() {
    let env = Env::start().await;
    env.consent("approve").await;
    let app = OAuthApp::new("404.app.coze").with_base_url(env.base());
    let verifier = PkceVerifier::generate();
    let url = app
        .authorize_url(REDIRECT, "s")
        .pkce(verifier.challenge(PkceMethod::S256))
        .build();
    let (status, body) = browse(&url).await.expect_err("unknown client");
    assert_eq!(status, 400);
    assert!(body.contains("unknown client_id"), "{body}");

    let app = OAuthApp::new(env.s("pkce_client_id")).with_base_url(env.base());
    let url = app
        .authorize_url("http://127.0.0.1:9/callback", "s")
        .pkce(verifier.challenge(PkceMethod::S256))
        .build();
    let (status, body) = browse(&url).await.expect_err("unregistered redirect");
    assert_eq!(status, 400);
    assert!(body.contains("does not match"), "{body}");

    // Registered through the switch, the same URI works.
    env.switch(
        "/_emulator/oauth/redirect_uris",
        json!({"redirect_uri": "http://127.0.0.1:9/callback"}),
    )
    .await;
    assert!(browse(&url).await.is_ok());

    // Token exchange with an unknown client id.
    let bad = OAuthApp::new("404.app.coze").with_base_url(env.base());
    let err = bad
        .exchange_code("code_x", REDIRECT, None)
        .send_token(&env.http)
        .await;
    let err = err.expect_err("unknown client");
    assert_eq!(kind(&err), Some(OAuthErrorKind::InvalidClient));
    assert!(err.hint().is_some());
}

#[tokio::test]
async fn consent_page_approve_and_deny_by_form() {
    let env = Env::start().await;
    let app = OAuthApp::new(env.s("pkce_client_id")).with_base_url(env.base());
    let verifier = PkceVerifier::generate();
    let url = app
        .authorize_url(REDIRECT, "xyz")
        .pkce(verifier.challenge(PkceMethod::S256))
        .build();
    for (decision, expect_code) in [("deny", false), ("approve", true)] {
        let (status, html) = browse(&url)
            .await
            .expect_err("a consent page, no redirect yet");
        assert_eq!(status, 200);
        let key = html
            .split("name=\"authorize_key\" value=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("authorize_key in the page")
            .to_string();
        let browser = reqwest::Client::builder()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("browser");
        let resp = browser
            .post(format!("{}/_emulator/oauth/consent", env.base()))
            .form(&[("authorize_key", key.as_str()), ("decision", decision)])
            .send()
            .await
            .expect("consent post");
        assert_eq!(resp.status(), 302);
        let location = resp.headers()["location"]
            .to_str()
            .expect("location")
            .to_string();
        assert!(location.starts_with(REDIRECT), "{location}");
        assert!(location.contains("state=xyz"));
        assert_eq!(location.contains("code="), expect_code, "{location}");
        assert_eq!(
            location.contains("error=access_denied"),
            !expect_code,
            "{location}"
        );
    }
}

#[tokio::test]
async fn web_app_login_refresh_rotation_and_wrong_secret() {
    let env = Env::start().await;
    env.consent("approve").await;
    let app = OAuthApp::web(
        env.s("web_client_id"),
        Secret::new(env.s("web_client_secret")),
    )
    .with_base_url(env.base());
    let pairs = browse(&app.authorize_url(REDIRECT, "w").build())
        .await
        .expect("code");
    let code = param(&pairs, "code").expect("code");

    let wrong =
        OAuthApp::web(env.s("web_client_id"), Secret::new("nope")).with_base_url(env.base());
    let err = wrong
        .exchange_code(code, REDIRECT, None)
        .send_token(&env.http)
        .await;
    let err = err.expect_err("wrong secret");
    assert_eq!(kind(&err), Some(OAuthErrorKind::InvalidClient));
    assert_eq!(err.status(), Some(401));
    assert!(!err.to_string().contains("nope"));

    // The refused attempt did not spend the code (the client was not authenticated).
    let first = app
        .exchange_code(code, REDIRECT, None)
        .send_token(&env.http)
        .await
        .expect("token");
    let old_refresh = first.refresh_token.clone().expect("refresh token");
    let second = app
        .refresh(&old_refresh)
        .send_token(&env.http)
        .await
        .expect("refreshed");
    assert_ne!(second.access_token, first.access_token);
    assert_ne!(second.refresh_token.as_ref(), Some(&old_refresh));
    // Rotation: the old refresh token is dead.
    let err = app
        .refresh(&old_refresh)
        .send_token(&env.http)
        .await
        .expect_err("rotated");
    assert_eq!(kind(&err), Some(OAuthErrorKind::InvalidGrant));
    assert!(needs_login(&err));
    assert!(
        err.hint().is_some_and(|h| h.contains("log in again")),
        "{:?}",
        err.hint()
    );
    // Both access tokens still work until they expire.
    for t in [&first, &second] {
        env.client_with(t.access_token.expose())
            .users()
            .me()
            .await
            .expect("me");
    }
}

#[tokio::test]
async fn device_flow_approved_denied_and_cancelled() {
    let env = Env::start().await;
    env.switch("/_emulator/oauth/settings", json!({"device_interval": 1}))
        .await;
    let app = OAuthApp::new(env.s("device_client_id")).with_base_url(env.base());

    // Approved through the verification page's switch while the SDK polls.
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    let approver = {
        let http = env.http.clone();
        let base = env.base().to_string();
        tokio::spawn(async move {
            let user_code = rx.await.expect("user code shown");
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            http.post(format!("{base}/_emulator/oauth/device/approve"))
                .json(&json!({ "user_code": user_code }))
                .send()
                .await
                .expect("approve")
        })
    };
    let mut shown = None;
    let token = device_login(
        &app,
        &env.http,
        None,
        |code| {
            shown = Some(code.verification_url());
            let _ = tx.send(code.user_code.clone());
        },
        std::future::pending(),
    )
    .await
    .expect("device token");
    approver.await.expect("approver task");
    let shown = shown.expect("code shown to the user");
    assert!(
        shown.contains("/_emulator/oauth/device?user_code="),
        "{shown}"
    );
    env.client_with(token.access_token.expose())
        .users()
        .me()
        .await
        .expect("me");
    // The SDK waited for the approval: at least two polls, none refused as too fast.
    let stats = env.stats().await;
    let polls = stats["token_requests"]["urn:ietf:params:oauth:grant-type:device_code"].as_u64();
    assert!(polls.is_some_and(|n| n >= 2), "{stats}");

    // Denied.
    env.consent("deny").await;
    let err = device_login(&app, &env.http, None, |_| {}, std::future::pending()).await;
    assert_eq!(
        kind(&err.expect_err("denied")),
        Some(OAuthErrorKind::AccessDenied)
    );

    // Cancelled by the caller while pending.
    env.consent("ask").await;
    let code = app
        .device_code(None)
        .send_device_code(&env.http)
        .await
        .expect("device code");
    let cancel = tokio::time::sleep(std::time::Duration::from_millis(300));
    let err = poll_device_token(&app, &env.http, &code, cancel)
        .await
        .expect_err("cancelled");
    assert!(err.to_string().contains("cancelled"), "{err}");

    // A PKCE client id cannot start a device flow.
    let wrong = OAuthApp::new(env.s("pkce_client_id")).with_base_url(env.base());
    let err = wrong
        .device_code(None)
        .send_device_code(&env.http)
        .await
        .expect_err("not a device app");
    assert_eq!(kind(&err), Some(OAuthErrorKind::InvalidClient));
}

#[tokio::test]
async fn device_code_expiry_is_reported() {
    let env = Env::start().await;
    env.switch(
        "/_emulator/oauth/settings",
        json!({"device_interval": 1, "device_expires_in": 2}),
    )
    .await;
    let app = OAuthApp::new(env.s("device_client_id")).with_base_url(env.base());
    let err = device_login(&app, &env.http, None, |_| {}, std::future::pending()).await;
    let err = err.expect_err("expired");
    assert_eq!(kind(&err), Some(OAuthErrorKind::ExpiredToken), "{err}");
    assert!(needs_login(&err));
}

#[tokio::test]
async fn team_workspace_needs_the_owner_to_install_the_app() {
    let env = Env::start().await;
    env.consent("approve").await;
    let team = env.s("team_workspace_id");
    let app = OAuthApp::new(env.s("pkce_client_id")).with_base_url(env.base());
    let verifier = PkceVerifier::generate();
    let url = app
        .authorize_url(REDIRECT, "t")
        .pkce(verifier.challenge(PkceMethod::S256))
        .workspace(&team)
        .build();
    assert!(url.contains(&format!(
        "/api/permission/oauth2/workspace_id/{team}/authorize?"
    )));
    let pairs = browse(&url).await.expect("code");
    let code = param(&pairs, "code").expect("code");
    let token = app
        .exchange_code(code, REDIRECT, Some(verifier))
        .send_token(&env.http)
        .await
        .expect("token");
    let client = env.client_with(token.access_token.expose());
    let chat = || ChatRequest::new(env.s("team_bot_id"), "u1").user_message("hi");
    let err = client
        .chat()
        .create(chat())
        .await
        .expect_err("not installed");
    assert_eq!(err.code(), Some(4101));
    assert!(err.to_string().contains("owner must install"), "{err}");
    let err = client
        .conversations()
        .create(CreateConversationRequest::new().bot_id(env.s("team_bot_id")))
        .await
        .expect_err("no conversation with a team bot before the install");
    assert_eq!(err.code(), Some(4101));

    let install = format!("/_emulator/workspaces/{team}/install");
    env.switch(&install, json!({"client_id": env.s("pkce_client_id")}))
        .await;
    client
        .chat()
        .create(chat())
        .await
        .expect("installed: chat works");

    // A workspace-scoped device code too.
    env.switch("/_emulator/oauth/settings", json!({"device_interval": 1}))
        .await;
    let device = OAuthApp::new(env.s("device_client_id")).with_base_url(env.base());
    let req = device.device_code(Some(&team));
    assert!(
        req.url()
            .ends_with(&format!("/workspace_id/{team}/device/code"))
    );
    let token = device_login(
        &device,
        &env.http,
        Some(&team),
        |_| {},
        std::future::pending(),
    )
    .await
    .expect("device token");
    let client = env.client_with(token.access_token.expose());
    let err = client
        .chat()
        .create(chat())
        .await
        .expect_err("device app not installed");
    assert_eq!(err.code(), Some(4101));
}

fn jwt_app(env: &Env) -> JwtApp {
    let key = JwtKey::from_pem_file(env.s("jwt_private_key_path")).expect("emulator key");
    JwtApp::new(env.s("jwt_app_id"), env.s("jwt_key_id"), key).with_base_url(env.base())
}

#[tokio::test]
async fn jwt_login_replay_audience_and_expiry() {
    let env = Env::start().await;
    let app = jwt_app(&env).with_session_name("end-user-1");
    let req = app.token_request().expect("signed request");
    let token = req.send_token(&env.http).await.expect("jwt token");
    assert!(token.access_token.expose().starts_with("czs_"));
    assert!(token.refresh_token.is_none());
    env.client_with(token.access_token.expose())
        .users()
        .me()
        .await
        .expect("me");

    // The same JWT again: jti replay.
    let err = req.send_token(&env.http).await.expect_err("replay");
    assert_eq!(kind(&err), Some(OAuthErrorKind::InvalidClient));
    assert!(err.to_string().contains("jti"), "{err}");

    // aud of another host, and an expired JWT: signed correctly, refused by the checks.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let mut claims = app.claims(now).expect("claims");
    claims.aud = "api.coze.com".into();
    let mut expired = app.claims(now - 7200).expect("claims");
    expired.exp = now - 60;
    for (claims, needle) in [(claims, "aud"), (expired, "expired")] {
        let jwt = app.sign(&claims).expect("sign");
        let resp = env
            .http
            .post(format!("{}/api/permission/oauth2/token", env.base()))
            .bearer_auth(jwt.expose())
            .json(&json!({"grant_type": coze_sdk::auth::JWT_GRANT, "duration_seconds": 900}))
            .send()
            .await
            .expect("token request");
        assert_eq!(resp.status(), 401);
        let body: serde_json::Value = resp.json().await.expect("json");
        assert_eq!(body["error_code"], "invalid_client");
        assert!(
            body["error_message"]
                .as_str()
                .is_some_and(|m| m.contains(needle)),
            "{body}"
        );
    }

    // A key the app does not know (right kid, wrong key).
    let other = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).expect("keygen");
    let pem = rsa::pkcs8::EncodePrivateKey::to_pkcs8_pem(&other, rsa::pkcs8::LineEnding::LF)
        .expect("pem");
    let forged = JwtApp::new(
        env.s("jwt_app_id"),
        env.s("jwt_key_id"),
        JwtKey::from_pem(&pem).expect("key"),
    )
    .with_endpoints(Endpoints::new(env.base()));
    let err = forged
        .token_request()
        .expect("signed")
        .send_token(&env.http)
        .await;
    assert!(err.expect_err("forged").to_string().contains("signature"));
}

#[tokio::test]
async fn bad_private_keys_and_configs_give_one_line_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let not_pem = dir.path().join("key.pem");
    std::fs::write(&not_pem, "this is not a key").expect("write");
    let err = JwtKey::from_pem_file(&not_pem).expect_err("not pem");
    assert!(err.to_string().contains("not a PEM"), "{err}");
    let missing = JwtKey::from_pem_file(dir.path().join("nope.pem")).expect_err("missing");
    assert!(missing.to_string().contains("cannot read"), "{missing}");

    let config = dir.path().join("coze_oauth_config.json");
    std::fs::write(&config, r#"{"client_type":"jwt","client_id":"1","coze_api_base":"https://api.coze.cn","private_key":"x"}"#)
        .expect("write");
    let err = coze_sdk::auth::OAuthConfig::load(&config).expect_err("missing field");
    let msg = err.to_string();
    assert!(
        msg.contains("coze_oauth_config.json") && msg.contains("`public_key_id`"),
        "{msg}"
    );
    assert!(!msg.contains('\n'));
}

#[tokio::test]
async fn jwt_enterprise_token_needs_membership_of_the_enterprise() {
    let env = Env::start().await;
    let refused = jwt_app(&env)
        .with_enterprise_id("e-jwt")
        .token_request()
        .expect("signed request")
        .send_token(&env.http)
        .await
        .expect_err("not a member yet");
    assert!(
        refused.to_string().contains("enterprise e-jwt"),
        "{refused}"
    );

    let pat = env.client_with(env.emu.pat());
    pat.enterprises()
        .add_members("e-jwt", &[(env.s("user_id").as_str(), "enterprise_admin")])
        .await
        .expect("join the enterprise");
    let token = jwt_app(&env)
        .with_enterprise_id("e-jwt")
        .token_request()
        .expect("signed request")
        .send_token(&env.http)
        .await
        .expect("enterprise token");
    env.client_with(token.access_token.expose())
        .users()
        .me()
        .await
        .expect("the token works");
}
