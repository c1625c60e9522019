//! The OpenAI API across gateway instances that share a store: a tool call started through
//! one instance is finished through another (Redis), a per-key limit holds across both, one
//! instance stopping leaves the other serving, and the embedded store keeps a pending tool
//! call across a restart.

mod common;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use coze_emulator::Emulator;
use coze_gateway::keys::NewKey;
use coze_gateway::store::{SqliteStore, StoreHandle};
use coze_gateway::{GatewayConfig, GatewayState};
use serde_json::{Value, json};
use tower::ServiceExt;

fn config(emulator: &Emulator) -> GatewayConfig {
    let bots = emulator.bots();
    GatewayConfig::from_toml(&format!(
        "[upstream]\nauth = \"pat\"\ntoken = \"{}\"\nbase_url = \"{}\"\n[openai]\nmodels = {{ echo = \"{}\", tool = \"{}\" }}\n",
        emulator.pat(),
        emulator.base_url(),
        bots.echo,
        bots.tool
    ))
    .expect("config parses")
}

async fn instance(emulator: &Emulator, store: StoreHandle) -> Router {
    let state = GatewayState::builder(config(emulator))
        .store(store)
        .build()
        .await
        .expect("state builds");
    coze_gateway::router(state)
}

/// Rate limits count in one-minute windows aligned to the clock; a burst that straddles a
/// window edge would see the count restart. Waits until at least 15 s remain in the window.
async fn clear_of_minute_edge() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let into = now.as_millis() % 60_000;
    if into > 45_000 {
        let wait = u64::try_from(60_000 - into).unwrap_or(0) + 200;
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    }
}

async fn key(store: &StoreHandle, rpm: Option<u32>) -> String {
    let (_, key) = coze_gateway::keys::ApiKeys::new(store.clone())
        .create(NewKey {
            rpm,
            ..NewKey::default()
        })
        .await
        .expect("a key");
    key.expose().to_owned()
}

async fn chat(app: &Router, key: &str, body: Value) -> (StatusCode, Value) {
    let req = Request::post("/v1/chat/completions")
        .header(header::AUTHORIZATION, format!("Bearer {key}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .expect("request");
    let res = app.clone().oneshot(req).await.expect("answer");
    let status = res.status();
    let bytes = axum::body::to_bytes(res.into_body(), 1 << 20)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Starts a tool call through `a`; returns the messages to finish it with.
async fn start_tool_call(a: &Router, key: &str, user: &str) -> Value {
    let first =
        json!({"model": "tool", "user": user, "messages": [{"role": "user", "content": "Paris"}]});
    let (status, body) = chat(a, key, first).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["choices"][0]["finish_reason"], "tool_calls");
    let message = body["choices"][0]["message"].clone();
    let call_id = message["tool_calls"][0]["id"]
        .as_str()
        .expect("a call id")
        .to_owned();
    json!({"model": "tool", "user": user, "messages": [
        {"role": "user", "content": "Paris"},
        message,
        {"role": "tool", "tool_call_id": call_id, "content": "sunny"}
    ]})
}

async fn finish_tool_call(b: &Router, key: &str, follow: Value) {
    let (status, body) = chat(b, key, follow.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["choices"][0]["message"]["content"],
        "The tool get_weather returned: sunny"
    );
    // Answered once: the call is gone for every instance.
    let (status, body) = chat(b, key, follow).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "tool_call_not_found");
}

#[tokio::test]
async fn two_instances_on_one_redis() {
    let Some(url) = common::redis_url("two_instances_on_one_redis") else {
        return;
    };
    let emulator = Emulator::start().await.expect("emulator");
    let store = common::redis_store(&url).await;
    let a = instance(&emulator, store.clone()).await;
    let b = instance(&emulator, store.clone()).await;
    let key1 = key(&store, None).await;

    // A tool call started through A, finished through B.
    let follow = start_tool_call(&a, &key1, "alice").await;
    finish_tool_call(&b, &key1, follow).await;

    // A conversation started through B continues through A.
    let (_, first) = chat(
        &b,
        &key1,
        json!({"model": "echo", "user": "bob",
        "messages": [{"role": "user", "content": "remember me"}]}),
    )
    .await;
    let answer = first["choices"][0]["message"]["content"].clone();
    let (status, second) = chat(
        &a,
        &key1,
        json!({"model": "echo", "user": "bob", "messages": [
        {"role": "user", "content": "remember me"},
        {"role": "assistant", "content": answer},
        {"role": "user", "content": "and?"}]}),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        second["coze"]["conversation_id"],
        first["coze"]["conversation_id"]
    );
    assert!(
        second["choices"][0]["message"]["content"]
            .as_str()
            .unwrap_or_default()
            .contains("Earlier in this conversation you said: \"remember me\"."),
        "{second}"
    );

    // A limit of 3 per minute holds across both instances.
    let limited = key(&store, Some(3)).await;
    let hi = json!({"model": "echo", "messages": [{"role": "user", "content": "hi"}]});
    let mut statuses = Vec::new();
    clear_of_minute_edge().await;
    for app in [&a, &b, &a, &b] {
        statuses.push(chat(app, &limited, hi.clone()).await.0);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );

    // One instance gone, the other serves.
    drop(a);
    let (status, _) = chat(&b, &key1, hi).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn embedded_store_keeps_a_tool_call_across_a_restart() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gateway.sqlite3");
    let store = StoreHandle::new(SqliteStore::open(&path).await.expect("store"));
    let key1 = key(&store, None).await;
    let before = instance(&emulator, store).await;
    let follow = start_tool_call(&before, &key1, "carol").await;
    drop(before);

    let store = StoreHandle::new(SqliteStore::open(&path).await.expect("store reopens"));
    let after = instance(&emulator, store.clone()).await;
    finish_tool_call(&after, &key1, follow).await;

    // A revoked key gets 401 in OpenAI's shape.
    let revoked = coze_gateway::keys::ApiKeys::new(store)
        .revoke(&key1)
        .await
        .expect("revoke");
    assert!(revoked);
    let hi = json!({"model": "echo", "messages": [{"role": "user", "content": "hi"}]});
    let (status, body) = chat(&after, &key1, hi).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["type"], "authentication_error");
}

#[tokio::test]
async fn edited_history_can_be_refused() {
    let emulator = Emulator::start().await.expect("emulator");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = StoreHandle::new(
        SqliteStore::open(&dir.path().join("gateway.sqlite3"))
            .await
            .expect("store"),
    );
    let key1 = key(&store, None).await;
    let mut config = config(&emulator);
    if let Some(openai) = config.openai.as_mut() {
        openai.edited_history = coze_gateway::openai::EditedHistory::Reject;
    }
    let state = GatewayState::builder(config)
        .store(store)
        .build()
        .await
        .expect("state builds");
    let app = coze_gateway::router(state);
    let ask = |messages: Value| json!({"model": "echo", "user": "dora", "messages": messages});
    let (_, a1) = chat(
        &app,
        &key1,
        ask(json!([{"role": "user", "content": "one"}])),
    )
    .await;
    let a1 = a1["choices"][0]["message"]["content"].clone();
    let two = json!([{"role": "user", "content": "one"}, {"role": "assistant", "content": a1},
        {"role": "user", "content": "two"}]);
    let (status, a2) = chat(&app, &key1, ask(two.clone())).await;
    assert_eq!(status, StatusCode::OK);
    let a2 = a2["choices"][0]["message"]["content"].clone();
    // The second answer edited: the first answer is still known, the second is not.
    let mut edited = two.as_array().expect("array").clone();
    edited.push(json!({"role": "assistant", "content": format!("{} (edited)", a2.as_str().unwrap_or_default())}));
    edited.push(json!({"role": "user", "content": "three"}));
    let (status, body) = chat(&app, &key1, ask(Value::Array(edited))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "history_edited");
    // An unknown history (nothing this gateway answered) is still welcome.
    let fresh = json!([{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"},
        {"role": "user", "content": "z"}]);
    assert_eq!(chat(&app, &key1, ask(fresh)).await.0, StatusCode::OK);
}
