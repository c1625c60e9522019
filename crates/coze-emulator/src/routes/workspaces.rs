//! Workspaces: `GET /v1/workspaces` (`page_num`, `page_size` ≤ 50) →
//! `{workspaces: [...], total_count}`.
//!
//! The caller sees the workspaces they are a member of, personal first; an OAuth token
//! authorised for one workspace sees only that one.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde_json::{Value, json};

use super::{Params, page_start};
use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::state::{AppState, WorkspaceKind, WorkspaceRecord};

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/workspaces", get(list))
}

fn workspace_json(ws: &WorkspaceRecord, user_id: &str) -> Value {
    let role = if ws.owner_id == user_id {
        "owner"
    } else {
        "member"
    };
    json!({
        "id": ws.id,
        "name": ws.name,
        "icon_url": "",
        "role_type": role,
        "workspace_type": ws.kind.as_str(),
        "enterprise_id": "",
        "owner_uid": ws.owner_id,
        "admin_uids": [],
        "description": match ws.kind {
            WorkspaceKind::Personal => "Your personal workspace",
            WorkspaceKind::Team => "A team workspace",
        },
        "joined_status": "joined",
    })
}

async fn list(
    State(state): State<AppState>,
    authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let page_num = params.int("page_num", 1)?;
    let page_size = params.int("page_size", 20)?.clamp(1, 50);
    let user_id = authed.user_id();
    let mut visible: Vec<WorkspaceRecord> = {
        let store = state.store();
        store
            .workspaces
            .values()
            .filter(|ws| ws.members.iter().any(|m| m == user_id))
            .filter(|ws| {
                authed
                    .0
                    .workspace_id
                    .as_ref()
                    .is_none_or(|only| *only == ws.id)
            })
            .cloned()
            .collect()
    };
    visible.sort_by(|a, b| {
        let personal = |w: &WorkspaceRecord| w.kind != WorkspaceKind::Personal;
        (personal(a), a.id.len(), &a.id).cmp(&(personal(b), b.id.len(), &b.id))
    });
    let start = page_start(page_num, page_size);
    let page: Vec<Value> = visible
        .iter()
        .skip(start)
        .take(page_size as usize)
        .map(|ws| workspace_json(ws, user_id))
        .collect();
    Ok(envelope::ok(
        json!({"workspaces": page, "total_count": visible.len()}),
    ))
}
