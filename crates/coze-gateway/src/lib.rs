//! The Coze gateway: one server that hosts services around Coze, behind one configuration
//! (`gateway.toml`, see [`config`]) and one state ([`GatewayState`]).
//!
//! - [`openai`]: the OpenAI-compatible API (`/v1/models`, `/v1/chat/completions`).
//! - [`glif`]: a Glif client and the plugin bridge Coze imports (`/plugins/glif/...`).
//! - [`web`]: the web chat page.
//! - `GET /health`: `{"status": "ok", "store": "sqlite"}` (503 when the store is down).
//!
//! [`router`] merges the services the configuration enables. What they share lives at the
//! top level: [`keys`] (client API keys, stored hashed, checked in constant time),
//! [`limits`] (per-key requests per minute and concurrent streams, held in the store so they
//! hold across instances), [`log`] (the request log; never a header or body), [`error`]
//! ([`GatewayError`], OpenAI's error shape), [`config`] and [`store`] (embedded SQLite or
//! Redis behind one [`store::Store`] trait).
//!
//! # How a service plugs in
//!
//! 1. A module `src/<service>/` with its config struct (a `[<service>]` section: add an
//!    `Option<...>` field to [`GatewayConfig`]) and `pub fn router(state: GatewayState) ->
//!    Router` whose routes use a prefix of their own.
//! 2. Protect routes with `axum::middleware::from_fn_with_state(state, keys::require_key)`
//!    (it puts a [`keys::ClientKey`] in the request extensions and applies the per-minute
//!    limit); hold a [`limits::acquire_stream`] guard while streaming; keep per-client data in
//!    [`GatewayState::store`] under keys that start with the service name and include the
//!    client key id.
//! 3. Wrap the router in [`log::with_request_log`]`(router, "<service>")`, answer errors
//!    with [`GatewayError`] (or the service's own shape), and add one line to [`router`].
//!
//! # Quick start
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use coze_gateway::{GatewayConfig, GatewayState};
//! let config = GatewayConfig::load("gateway.toml".as_ref())?.with_env_fallbacks();
//! let state = GatewayState::builder(config).build().await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8787").await?;
//! coze_gateway::serve(listener, coze_gateway::router(state), async {
//!     let _ = tokio::signal::ctrl_c().await;
//! })
//! .await?;
//! # Ok(()) }
//! ```
//!
//! # Choices where the issue was silent
//!
//! The gateway:
//!
//! - Client keys look like `sk-cz-<16 hex id>-<64 hex secret>` (the `sk-` start suits
//!   clients that check for OpenAI-looking keys). The id finds the record; the secret's
//!   SHA-256 is compared in constant time. A plain fast hash is enough: the secret is 256
//!   random bits, not a password. Keys live in the store (not in `gateway.toml`), so
//!   `coze serve keys ...` changes them without a restart, for every instance.
//! - Requests per minute are a fixed one-minute window (aligned to the store's clock): cheap
//!   and atomic, at the price of allowing up to 2N in the 2 minutes around a window edge.
//!   429 answers carry `Retry-After` = the seconds left in the window.
//! - A stream slot lives 30 s and is renewed every 10 s while the stream runs, so the slots
//!   of a crashed instance are free again within 30 s.
//! - `GET /health` needs no key and tells only `ok` and the store kind.
//! - On SIGTERM / Ctrl-C open requests get 10 s ([`SHUTDOWN_GRACE`]); `coze serve` gets an
//!   upstream token before it listens, so refused credentials stop the start (an unreachable
//!   Coze only warns).
//! - The default store file is `gateway.sqlite3` in `data_dir` (default: the user's data
//!   directory + `coze/gateway`); Redis keys start with `cozegw:` (`store_prefix`).
//! - An old `bridge.toml` (the bridge's settings at the top level) is read as `[glif]`.
//!
//! The Glif bridge:
//!
//! - Strict mode (`?strict=1`) is on by default in [`glif::RunRequest`]. The bridge sends every
//!   input by name: inputs the model leaves out get the glif's default; inputs a tool does not
//!   expose are always sent with their default, so a tool may hide only inputs that have one.
//! - A synchronous tool call that outlasts its sync timeout answers **200** with
//!   `status: "running"`, the `run_id`, and a message naming `poll_run`: Coze shows the model
//!   only 200 bodies, and the run keeps going so its result is not lost.
//! - Glif failures answer 502 (504 when Glif exceeds the whole-run timeout); bad bodies 400;
//!   a missing or wrong service token 401; unknown tool or run 404.
//! - With `service_token_header = "Authorization"` (the default) the bridge expects
//!   `Bearer <token>`, which is the value to type into Coze's service-token field (Coze
//!   sends it verbatim). Any other header expects the bare token.
//! - The OpenAPI document is served without authentication: it holds no secret, and Coze's
//!   import from a URL sends no credentials.
//! - `run_glif` takes positional inputs only in its declared schema (an array of strings);
//!   it also accepts an object of named inputs for non-Coze callers.
//! - Glif's error wording is not documented: "not found" in an `error` maps to
//!   [`glif::GlifError::UnknownGlif`], and "missing"/"required"/"strict" in strict mode to
//!   [`glif::GlifError::MissingInput`]. [`glif::GlifClient::run_checked`] checks inputs
//!   against the read API first, for exact errors.

pub mod config;
pub mod error;
pub mod glif;
pub mod keys;
pub mod limits;
pub mod log;
pub mod openai;
pub mod secret;
pub mod state;
pub mod store;
pub mod web;
mod yaml;

pub use config::{ConfigError, GatewayConfig, UpstreamConfig};
pub use error::GatewayError;
pub use secret::Secret;
pub use state::{GatewayState, GatewayStateBuilder, StartError};
pub use yaml::to_yaml;

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

/// Every service the configuration enables, plus `GET /health`.
pub fn router(state: GatewayState) -> Router {
    let mut app = Router::new().route("/health", get(health).with_state(state.clone()));
    if state.config().openai.is_some() {
        app = app.merge(openai::router(state.clone()));
    }
    if let Some(glif) = state.glif() {
        app = app.merge(glif::router(glif.clone()));
    }
    if state.config().web.is_some() {
        app = app.merge(web::router(state.clone()));
    }
    app
}

/// `GET /health`: 200 when the store answers, else 503. No authentication, no secrets.
async fn health(State(state): State<GatewayState>) -> impl IntoResponse {
    let store = state.store().raw();
    match tokio::time::timeout(std::time::Duration::from_secs(2), store.ping()).await {
        Ok(Ok(())) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "store": store.kind()})),
        ),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(
                json!({"status": "unavailable", "store": store.kind(), "message": "the store does not answer"}),
            ),
        ),
    }
}

/// How long [`serve`] lets open requests (streams) finish after the shutdown signal.
pub const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Serves `app` on `listener` until `shutdown` completes, then stops accepting connections
/// and lets open requests finish for at most [`SHUTDOWN_GRACE`] (a stream still open then is
/// cut). For callers (the CLI) that should not depend on axum themselves.
///
/// # Errors
///
/// When accepting connections fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = tx.send(());
    };
    // Connect info gives services the peer address (the web chat's per-IP limits).
    let app = app.into_make_service_with_connect_info::<std::net::SocketAddr>();
    let server = axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .into_future();
    let grace = async move {
        match rx.await {
            Ok(()) => tokio::time::sleep(SHUTDOWN_GRACE).await,
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        served = server => served,
        () = grace => {
            tracing::warn!(grace_secs = SHUTDOWN_GRACE.as_secs(), "open requests did not finish in time; stopping anyway");
            Ok(())
        }
    }
}
