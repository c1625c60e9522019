//! Benefits and bills: `GET /v1/commerce/benefit/benefits/get`,
//! `POST /v1/commerce/benefit/limitations` (set a limit), `GET|POST
//! /v1/commerce/benefit/bill_tasks` (list, create an export task).
//!
//! The emulator's account is on a plan with 1000 resource points a month of which it counts
//! one per chat; bill tasks finish at once and keep their file for 7 days.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{JsonBody, Params, page_start};
use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::state::AppState;

/// A bill export task.
#[derive(Debug, Clone)]
pub struct BillTask {
    pub id: String,
    pub started_at: i64,
    pub ended_at: i64,
    pub created_at: i64,
}

/// The state of this module (`Store::commerce`).
#[derive(Debug, Default)]
pub struct CommerceStore {
    pub bill_tasks: BTreeMap<String, BillTask>,
    /// benefit type → limit.
    pub limitations: BTreeMap<String, Value>,
}

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/commerce/benefit/benefits/get", get(benefits))
        .route("/v1/commerce/benefit/limitations", post(limit))
        .route(
            "/v1/commerce/benefit/bill_tasks",
            get(list_bills).post(create_bill),
        )
}

async fn benefits(
    State(state): State<AppState>,
    _authed: Authed,
    _params: Params,
) -> Result<Response, ApiError> {
    let now = state.now();
    let used = state.store().chats.len();
    let month_start = now - now.rem_euclid(30 * 86_400);
    let counter = json!({
        "used": used,
        "total": 1000,
        "start_at": month_start,
        "end_at": month_start + 30 * 86_400,
        "strategy": "by_quota",
    });
    Ok(envelope::ok(json!({
        "benefit_info": [{
            "resource_id": "",
            "benefit_type": "resource_point",
            "active_mode": "absolute_time",
            "basic": {"status": "valid", "item_info": counter},
            "extra": [],
            "effective": {"status": "valid", "item_info": counter},
        }],
    })))
}

#[derive(Deserialize)]
struct LimitBody {
    #[serde(default)]
    benefit_type: Option<String>,
    #[serde(default)]
    trigger_unit: Option<String>,
    #[serde(default)]
    trigger_time: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

async fn limit(
    State(state): State<AppState>,
    _authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: LimitBody = body.parse()?;
    let kind = body
        .benefit_type
        .ok_or_else(|| ApiError::bad_request("benefit_type is required"))?;
    let limit = body
        .limit
        .ok_or_else(|| ApiError::bad_request("limit is required"))?;
    if limit < 0 {
        return Err(ApiError::bad_request("limit must not be negative"));
    }
    let id = state.new_id();
    let record = json!({
        "benefit_id": id,
        "benefit_type": kind,
        "trigger_unit": body.trigger_unit.unwrap_or_else(|| "day".into()),
        "trigger_time": body.trigger_time.unwrap_or(1),
        "limit": limit,
        "status": "valid",
    });
    state
        .store()
        .commerce
        .limitations
        .insert(kind, record.clone());
    Ok(envelope::ok(record))
}

fn task_json(t: &BillTask) -> Value {
    json!({
        "task_id": t.id,
        "status": "succeed",
        "file_urls": [format!("https://emulator.invalid/bills/{}.csv", t.id)],
        "started_at": t.started_at,
        "ended_at": t.ended_at,
        "created_at": t.created_at,
        "expires_at": t.created_at + 7 * 86_400,
    })
}

#[derive(Deserialize)]
struct BillBody {
    #[serde(default)]
    started_at: Option<i64>,
    #[serde(default)]
    ended_at: Option<i64>,
}

async fn create_bill(
    State(state): State<AppState>,
    _authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: BillBody = body.parse()?;
    let now = state.now();
    let ended = body.ended_at.unwrap_or(now);
    let started = body.started_at.unwrap_or(ended - 86_400);
    if started >= ended {
        return Err(ApiError::bad_request("started_at must be before ended_at"));
    }
    let task = BillTask {
        id: state.new_id(),
        started_at: started,
        ended_at: ended,
        created_at: now,
    };
    let out = task_json(&task);
    state
        .store()
        .commerce
        .bill_tasks
        .insert(task.id.clone(), task);
    Ok(envelope::ok(out))
}

async fn list_bills(
    State(state): State<AppState>,
    _authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let page = params.int("page_num", 1)?;
    let size = params.int("page_size", 10)?;
    if !(1..=100).contains(&size) {
        return Err(ApiError::bad_request("page_size must be between 1 and 100"));
    }
    let store = state.store();
    let all: Vec<Value> = store
        .commerce
        .bill_tasks
        .values()
        .rev()
        .map(task_json)
        .collect();
    let items: Vec<Value> = all
        .iter()
        .skip(page_start(page, size))
        .take(size as usize)
        .cloned()
        .collect();
    Ok(envelope::ok(
        json!({"task_infos": items, "total": all.len()}),
    ))
}
