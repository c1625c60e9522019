//! The OpenAI-compatible API (`/v1/models`, `/v1/chat/completions`).
//!
//! The routes are filled in by the OpenAI translation work; this mount point is what the
//! gateway's [`crate::router`] merges when `[openai]` is configured.

mod config;

pub use config::{ModelTarget, OpenAiConfig};

use crate::state::GatewayState;
use axum::Router;

/// The OpenAI-compatible routes.
pub fn router(state: GatewayState) -> Router {
    let _ = state;
    Router::new()
}
