//! Test-only switches under `/_emulator/...` (never under a Coze path, no token needed:
//! the emulator listens on loopback for tests).
//!
//! - `GET /_emulator/faults`: the active faults as JSON.
//! - `POST /_emulator/faults`: replace them (body: `FaultConfig` JSON, see `faults.rs`).
//! - `DELETE /_emulator/faults`: switch every fault off.
//! - `POST /_emulator/clock` `{"advance_seconds": n}`: move the emulator's clock (token expiry
//!   tests); answers `{"skew_seconds": total, "now": unix}`.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::JsonBody;
use crate::envelope::{ApiError, bare};
use crate::faults::FaultConfig;
use crate::state::AppState;

/// The `/_emulator` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/_emulator/faults",
            get(get_faults).post(set_faults).delete(reset_faults),
        )
        .route("/_emulator/clock", post(advance_clock))
}

async fn get_faults(State(state): State<AppState>) -> Response {
    bare(StatusCode::OK, json!(state.faults().get()))
}

async fn set_faults(State(state): State<AppState>, body: JsonBody) -> Result<Response, ApiError> {
    let config: FaultConfig = body.parse()?;
    state.faults().set(config.clone());
    Ok(bare(StatusCode::OK, json!(config)))
}

async fn reset_faults(State(state): State<AppState>) -> Response {
    state.faults().reset();
    bare(StatusCode::OK, json!(FaultConfig::default()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Clock {
    advance_seconds: i64,
}

async fn advance_clock(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let clock: Clock = body.parse()?;
    state.skew_clock(clock.advance_seconds);
    Ok(bare(
        StatusCode::OK,
        json!({"skew_seconds": state.clock_skew(), "now": state.now()}),
    ))
}
