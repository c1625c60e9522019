//! The gateway's shared parts through `coze_gateway::router` and a test service: health,
//! client keys (401/429 in OpenAI's shape), per-key limits, the Glif bridge mounted from
//! `[glif]`.

mod common;

use axum::Router;
use axum::body::Body;
use axum::extract::Extension;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use coze_emulator::Emulator;
use coze_gateway::keys::{self, ClientKey, NewKey};
use coze_gateway::store::{SqliteStore, StoreHandle};
use coze_gateway::{GatewayConfig, GatewayState, limits};
use serde_json::Value;
use tower::ServiceExt;

async fn state(config: &str) -> (GatewayState, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = StoreHandle::new(
        SqliteStore::open(&dir.path().join("gateway.sqlite3"))
            .await
            .expect("store"),
    );
    let config = GatewayConfig::from_toml(config).expect("config parses");
    let state = GatewayState::builder(config)
        .store(store)
        .build()
        .await
        .expect("state builds");
    (state, dir)
}

const OPENAI_ONLY: &str = "[upstream]\nauth = \"pat\"\ntoken = \"pat_upstream_secret\"\nbase_url = \"http://127.0.0.1:9\"\n[openai]\nmodels = { echo = \"1\" }\n";

/// A protected test route: answers the key id it saw.
fn protected(state: &GatewayState) -> Router {
    let route = Router::new()
        .route(
            "/t/whoami",
            get(|Extension(key): Extension<ClientKey>| async move { key.id }),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            keys::require_key,
        ));
    coze_gateway::log::with_request_log(route, "test")
}

async fn send(app: &Router, path: &str, key: Option<&str>) -> (StatusCode, Option<String>, Value) {
    let mut req = Request::get(path);
    if let Some(k) = key {
        req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    let status = res.status();
    let retry = res
        .headers()
        .get(header::RETRY_AFTER)
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
    (status, retry, body)
}

#[tokio::test]
async fn health_answers_with_the_store_kind() {
    let (state, _dir) = state(OPENAI_ONLY).await;
    let app = coze_gateway::router(state);
    let (status, _, body) = send(&app, "/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["store"], "sqlite");
}

#[tokio::test]
async fn keys_are_required_checked_and_revocable_with_openai_shaped_errors() {
    let (state, _dir) = state(OPENAI_ONLY).await;
    let app = protected(&state);
    let (status, _, body) = send(&app, "/t/whoami", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "invalid_api_key");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("Bearer"),
        "{body}"
    );
    assert!(body["error"].get("param").is_some() && body["error"].get("type").is_some());

    let (record, key) = state
        .keys()
        .create(NewKey::default())
        .await
        .expect("created");
    assert!(key.expose().starts_with("sk-cz-"));
    let (status, _, body) = send(&app, "/t/whoami", Some(key.expose())).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, Some(record.id.as_str()))
    );

    // Same id, another secret: refused.
    let forged = format!("{}{}", &key.expose()[..key.expose().len() - 4], "0000");
    let forged = if forged == key.expose() {
        forged.replace("0000", "1111")
    } else {
        forged
    };
    assert_eq!(
        send(&app, "/t/whoami", Some(&forged)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        send(&app, "/t/whoami", Some("sk-cz-nonsense")).await.0,
        StatusCode::UNAUTHORIZED
    );

    // The store never holds the secret.
    let stored = state
        .store()
        .raw()
        .map_entries(keys::KEYS_MAP)
        .await
        .expect("entries");
    let secret = key.expose().rsplit('-').next().expect("secret");
    assert!(
        stored.iter().all(|(_, v)| !v.contains(secret)),
        "{stored:?}"
    );

    assert!(state.keys().revoke(&record.id).await.expect("revoked"));
    let (status, _, body) = send(&app, "/t/whoami", Some(key.expose())).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("revoked")
    );
    assert!(
        !state
            .keys()
            .revoke(&record.id)
            .await
            .expect("second revoke")
    );
}

#[tokio::test]
async fn requests_per_minute_are_limited_per_key_with_retry_after() {
    let (state, _dir) = state(OPENAI_ONLY).await;
    let app = protected(&state);
    let (_, limited) = state
        .keys()
        .create(NewKey {
            rpm: Some(3),
            ..NewKey::default()
        })
        .await
        .expect("created");
    let (_, free) = state
        .keys()
        .create(NewKey::default())
        .await
        .expect("created");
    for _ in 0..3 {
        assert_eq!(
            send(&app, "/t/whoami", Some(limited.expose())).await.0,
            StatusCode::OK
        );
    }
    let (status, retry, body) = send(&app, "/t/whoami", Some(limited.expose())).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let secs: u64 = retry.expect("Retry-After").parse().expect("seconds");
    assert!((1..=60).contains(&secs), "{secs}");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    // Another key is not affected.
    assert_eq!(
        send(&app, "/t/whoami", Some(free.expose())).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn concurrent_streams_are_capped_per_key() {
    let (state, _dir) = state(OPENAI_ONLY).await;
    let (record, _) = state
        .keys()
        .create(NewKey {
            concurrency: Some(2),
            ..NewKey::default()
        })
        .await
        .expect("created");
    let key = ClientKey::from(&record);
    let a = limits::acquire_stream(&state, &key)
        .await
        .expect("first")
        .expect("guard");
    let _b = limits::acquire_stream(&state, &key)
        .await
        .expect("second")
        .expect("guard");
    let err = limits::acquire_stream(&state, &key)
        .await
        .expect_err("third refused");
    assert_eq!(err.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(err.code.as_deref(), Some("concurrency_limit_exceeded"));
    a.release().await.expect("released");
    assert!(
        limits::acquire_stream(&state, &key)
            .await
            .expect("again")
            .is_some()
    );
    // No limit: no slot taken.
    let open = ClientKey {
        concurrency: None,
        ..key
    };
    assert!(
        limits::acquire_stream(&state, &open)
            .await
            .expect("free")
            .is_none()
    );
}

#[tokio::test]
async fn the_router_mounts_the_glif_bridge_from_its_section_and_keeps_secrets_out_of_debug() {
    let emu = Emulator::start().await.expect("emulator");
    let info = emu.info();
    let config = format!(
        "[glif]\npublic_base_url = \"https://gw.example.com\"\nservice_token = \"svc-secret\"\nglif_token = \"{}\"\nglif_base_url = \"{}\"\n{OPENAI_ONLY}",
        info["glif"]["token"].as_str().expect("token"),
        info["glif"]["base_url"].as_str().expect("url"),
    );
    let (state, _dir) = state(&config).await;
    assert!(state.coze().is_some() && state.glif().is_some());
    let debug = format!("{state:?}");
    assert!(
        !debug.contains("svc-secret") && !debug.contains("pat_upstream_secret"),
        "{debug}"
    );
    let app = coze_gateway::router(state);
    let (status, _, body) = send(&app, "/plugins/glif/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["servers"][0]["url"], "https://gw.example.com");
    assert_eq!(send(&app, "/nowhere", None).await.0, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn an_unreachable_upstream_setting_is_refused_before_serving() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = GatewayConfig::from_toml(
        "[upstream]\nauth = \"jwt\"\napp_id = \"1\"\nkey_id = \"k\"\nprivate_key = \"/nonexistent/key.pem\"\n[openai]\nmodels = { echo = \"1\" }\n",
    )
    .expect("parses");
    let err = GatewayState::builder(config)
        .store(StoreHandle::new(
            SqliteStore::open(&dir.path().join("s.db"))
                .await
                .expect("store"),
        ))
        .build()
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("private_key"), "{err}");
}

#[tokio::test]
async fn keys_and_state_survive_a_restart_on_the_embedded_store() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = format!(
        "data_dir = {:?}\n{OPENAI_ONLY}",
        dir.path().display().to_string()
    );
    let first = GatewayState::builder(GatewayConfig::from_toml(&config).expect("parses"))
        .build()
        .await
        .expect("first start");
    let (_, key) = first
        .keys()
        .create(NewKey::default())
        .await
        .expect("created");
    first
        .store()
        .set_json("openai:pending:call_1", &"chat-1", None)
        .await
        .expect("stored");
    drop(first);
    let second = GatewayState::builder(GatewayConfig::from_toml(&config).expect("parses"))
        .build()
        .await
        .expect("restart");
    assert!(dir.path().join("gateway.sqlite3").exists());
    let app = protected(&second);
    assert_eq!(
        send(&app, "/t/whoami", Some(key.expose())).await.0,
        StatusCode::OK
    );
    assert_eq!(
        second
            .store()
            .get_json::<String>("openai:pending:call_1")
            .await
            .expect("read"),
        Some("chat-1".to_owned())
    );
}

#[tokio::test]
async fn a_jwt_upstream_signs_its_own_token_and_keeps_it_out_of_errors() {
    let emu = Emulator::start().await.expect("emulator");
    let info = emu.info();
    let oauth = &info["oauth"];
    let text = |v: &Value| v.as_str().expect("string").to_owned();
    let config = format!(
        "[upstream]\nauth = \"jwt\"\nbase_url = \"{}\"\napp_id = \"{}\"\nkey_id = \"{}\"\nprivate_key = {:?}\n[openai]\nmodels = {{ echo = \"1\" }}\n",
        emu.base_url(),
        text(&oauth["jwt_app_id"]),
        text(&oauth["jwt_key_id"]),
        text(&oauth["jwt_private_key_path"]),
    );
    let (good, _dir) = state(&config).await;
    let coze = good.coze().expect("a Coze client");
    let me = coze.users().me().await.expect("the JWT app's token works");
    assert!(!format!("{me:?}").is_empty());
    // A key id Coze does not know: the error says so without any token in it.
    let wrong = config.replace(&text(&oauth["jwt_key_id"]), "unknown-key");
    let (bad, _dir2) = state(&wrong).await;
    let err = bad
        .coze()
        .expect("client")
        .users()
        .me()
        .await
        .expect_err("refused");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("eyJ"), "a JWT leaked: {shown}");
}
