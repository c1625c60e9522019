//! `GET /v1/users/me`: the account behind the token (`user_id`, `user_name`, `nick_name`,
//! `avatar_url`, all required by cozepy).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::json;

use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::state::AppState;

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/users/me", get(me))
}

async fn me(State(state): State<AppState>, authed: Authed) -> Result<Response, ApiError> {
    let store = state.store();
    let user = store
        .users
        .get(authed.user_id())
        .ok_or_else(|| ApiError::not_found("user_id", authed.user_id()))?;
    Ok(envelope::ok(json!({
        "user_id": user.id,
        "user_name": user.name,
        "nick_name": user.nick_name,
        "avatar_url": format!("https://example.invalid/avatars/{}.png", user.id),
    })))
}
