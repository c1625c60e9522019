//! The request log, alone in its test binary: `tracing` caches per callsite whether anyone
//! listens, and tests without a subscriber running beside this one would switch it off.

use axum::Router;
use axum::body::Body;
use axum::extract::Extension;
use axum::http::{Request, StatusCode, header};
use axum::routing::get;
use coze_gateway::keys::{self, ClientKey, NewKey};
use coze_gateway::store::{SqliteStore, StoreHandle};
use coze_gateway::{GatewayConfig, GatewayState};
use tower::ServiceExt;

const OPENAI_ONLY: &str = "[upstream]\nauth = \"pat\"\ntoken = \"pat_upstream_secret\"\nbase_url = \"http://127.0.0.1:9\"\n[openai]\nmodels = { echo = \"1\" }\n";

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

async fn send(app: &Router, path: &str, key: Option<&str>) -> StatusCode {
    let mut req = Request::get(path);
    if let Some(k) = key {
        req = req.header(header::AUTHORIZATION, format!("Bearer {k}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(Body::empty()).expect("request"))
        .await
        .expect("answer");
    res.status()
}

#[derive(Clone, Default)]
struct LogBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// One thread: the subscriber set for this test sees every task of the request.
#[tokio::test(flavor = "current_thread")]
async fn the_request_log_names_the_key_id_and_never_a_key_or_token() {
    let logs = LogBuf::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (state, _dir) = state(OPENAI_ONLY).await;
    let app = protected(&state);
    let (record, key) = state
        .keys()
        .create(NewKey {
            rpm: Some(1),
            ..NewKey::default()
        })
        .await
        .expect("created");
    assert_eq!(
        send(&app, "/t/whoami?x=1", Some(key.expose())).await,
        StatusCode::OK
    );
    assert_eq!(
        send(&app, "/t/whoami", Some(key.expose())).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    let wrong = format!("sk-cz-{}-{}", record.id, "ab".repeat(32));
    assert_eq!(
        send(&app, "/t/whoami", Some(&wrong)).await,
        StatusCode::UNAUTHORIZED
    );

    let text =
        String::from_utf8(logs.0.lock().unwrap_or_else(|p| p.into_inner()).clone()).expect("utf-8");
    let lines: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("service=\"test\""))
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    let id = format!("key=\"{}\"", record.id);
    assert!(
        lines[0].contains("status=200") && lines[0].contains(&id),
        "{text}"
    );
    assert!(
        !text.contains("x=1"),
        "the query string is not logged: {text}"
    );
    assert!(
        lines[1].contains("status=429") && lines[1].contains(&id),
        "{text}"
    );
    assert!(
        lines[1].contains("outcome=\"rate_limit_exceeded\""),
        "{text}"
    );
    assert!(
        lines[2].contains("status=401") && lines[2].contains("key=\"-\""),
        "{text}"
    );
    let secret = key.expose().rsplit('-').next().expect("secret");
    for needle in [
        secret,
        "ab".repeat(32).as_str(),
        "pat_upstream_secret",
        "Bearer",
    ] {
        assert!(!text.contains(needle), "{needle} in the log:\n{text}");
    }
}
