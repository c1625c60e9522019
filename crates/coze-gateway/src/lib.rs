//! Server-side services around Coze, each an axum router (`fn router(state) -> Router`) so
//! tests call it without a port and `coze serve` mounts it.
//!
//! - [`glif`]: a Glif client ([`glif::GlifClient`]) and the plugin bridge that turns glifs
//!   into Coze tools through an OpenAPI document Coze imports ([`glif::router`]).
//!
//! The OpenAI-compatible API and the web chat page will be siblings of `glif`.
//!
//! # Quick start
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use coze_gateway::glif::{self, BridgeConfig, BridgeState, GlifClient};
//! let config = BridgeConfig::from_toml(&std::fs::read_to_string("bridge.toml")?)?
//!     .with_env_fallbacks();
//! let client = GlifClient::new(config.glif_config()?)?;
//! let state = BridgeState::prepare(config, client).await?;
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8787").await?;
//! axum::serve(listener, glif::router(state)).await?;
//! # Ok(()) }
//! ```
//!
//! # Choices where the issue was silent
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

pub mod glif;
pub mod openai;
pub mod secret;
mod yaml;

pub use secret::Secret;
pub use yaml::to_yaml;

/// Serves `app` on `listener` until `shutdown` completes, then lets open requests finish.
/// For callers (the CLI) that should not depend on axum themselves.
///
/// # Errors
///
/// When accepting connections fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
