//! Test-only switches under `/_emulator/...` (never under a Coze path, no token needed:
//! the emulator listens on loopback for tests).
//!
//! - `GET /_emulator/faults`: the active faults as JSON.
//! - `POST /_emulator/faults`: replace them (body: `FaultConfig` JSON, see `faults.rs`).
//! - `DELETE /_emulator/faults`: switch every fault off.
//! - `GET /_emulator/pace`: the answering pace, `{"pace","first_token_ms","delta_interval_ms"}`.
//! - `POST /_emulator/pace`: change it (`{"pace": "realistic|fast|instant"}` or
//!   `{"first_token_ms": n, "delta_interval_ms": n}`, each at most 60000); chats and workflow
//!   runs started afterwards use it. See `crate::pace`.
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
use crate::pace::PaceBody;
use crate::state::AppState;

/// The `/_emulator` routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/_emulator/faults",
            get(get_faults).post(set_faults).delete(reset_faults),
        )
        .route("/_emulator/clock", post(advance_clock))
        .route("/_emulator/pace", get(get_pace).post(set_pace))
}

async fn get_faults(State(state): State<AppState>) -> Response {
    bare(StatusCode::OK, json!(state.faults().get()))
}

async fn set_faults(State(state): State<AppState>, body: JsonBody) -> Result<Response, ApiError> {
    let config: FaultConfig = body.parse()?;
    config.validate().map_err(ApiError::bad_request)?;
    state.faults().set(config.clone());
    Ok(bare(StatusCode::OK, json!(config)))
}

async fn reset_faults(State(state): State<AppState>) -> Response {
    state.faults().reset();
    bare(StatusCode::OK, json!(FaultConfig::default()))
}

async fn get_pace(State(state): State<AppState>) -> Response {
    bare(StatusCode::OK, state.pace().to_json())
}

async fn set_pace(State(state): State<AppState>, body: JsonBody) -> Result<Response, ApiError> {
    let body: PaceBody = body.parse()?;
    let pace = body
        .into_pace()
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    state.set_pace(pace);
    Ok(bare(StatusCode::OK, pace.to_json()))
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
