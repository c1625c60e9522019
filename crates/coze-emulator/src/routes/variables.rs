//! User variables of a bot or app: `GET /v1/variables` (`bot_id` or `app_id`, `connector_id`,
//! `connector_uid`, `keywords` comma-separated) → `{items: [{keyword, value, create_time,
//! update_time}]}`; `PUT /v1/variables` with `data: [{keyword, value}]` sets them.
//!
//! Values are kept per (bot or app, connector, connector user); without `keywords` every
//! variable set for that user is returned. A bot that does not exist gets 4200.

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{JsonBody, Params, opt_id};
use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::state::AppState;

/// `(owner "bot:<id>" or "app:<id>", connector_id, connector_uid)`.
type Scope = (String, String, String);

/// One variable's value.
#[derive(Debug, Clone)]
pub struct VariableValue {
    pub value: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The variables state (`Store::variables`).
#[derive(Debug, Default)]
pub struct VariableStore {
    pub values: HashMap<Scope, BTreeMap<String, VariableValue>>,
}

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new().route("/v1/variables", get(read).put(write))
}

fn owner(state: &AppState, bot_id: Option<&str>, app_id: Option<&str>) -> Result<String, ApiError> {
    match (bot_id, app_id) {
        (Some(bot), _) => {
            if !state.store().bots.contains_key(bot) {
                return Err(ApiError::not_found("bot_id", bot));
            }
            Ok(format!("bot:{bot}"))
        }
        (None, Some(app)) => Ok(format!("app:{app}")),
        (None, None) => Err(ApiError::bad_request("either bot_id or app_id is required")),
    }
}

async fn read(
    State(state): State<AppState>,
    authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let owner = owner(&state, params.get("bot_id"), params.get("app_id"))?;
    let connector = params.get("connector_id").unwrap_or("1024").to_string();
    let uid = params
        .get("connector_uid")
        .unwrap_or(authed.user_id())
        .to_string();
    let keywords: Vec<String> = params
        .get("keywords")
        .map(|k| {
            k.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let store = state.store();
    let values = store.variables.values.get(&(owner, connector, uid));
    let items: Vec<Value> = match values {
        None => Vec::new(),
        Some(values) => values
            .iter()
            .filter(|(k, _)| keywords.is_empty() || keywords.contains(k))
            .map(|(k, v)| {
                json!({"keyword": k, "value": v.value, "create_time": v.created_at, "update_time": v.updated_at})
            })
            .collect(),
    };
    Ok(envelope::ok(json!({"items": items})))
}

#[derive(Deserialize)]
struct WriteBody {
    #[serde(default, deserialize_with = "opt_id")]
    bot_id: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    app_id: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    connector_id: Option<String>,
    #[serde(default)]
    connector_uid: Option<String>,
    #[serde(default)]
    data: Vec<KeywordValue>,
}

#[derive(Deserialize)]
struct KeywordValue {
    #[serde(default)]
    keyword: String,
    #[serde(default)]
    value: Value,
}

async fn write(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: WriteBody = body.parse()?;
    let owner = owner(&state, body.bot_id.as_deref(), body.app_id.as_deref())?;
    if body.data.is_empty() {
        return Err(ApiError::bad_request("data is required"));
    }
    if let Some(bad) = body.data.iter().find(|kv| kv.keyword.trim().is_empty()) {
        return Err(ApiError::bad_request(format!(
            "every item of data needs a keyword (value {})",
            bad.value
        )));
    }
    let connector = body.connector_id.unwrap_or_else(|| "1024".into());
    let uid = body
        .connector_uid
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| authed.user_id().to_string());
    let now = state.now();
    let mut store = state.store();
    let values = store
        .variables
        .values
        .entry((owner, connector, uid))
        .or_default();
    for kv in body.data {
        let value = match kv.value {
            Value::String(s) => s,
            Value::Null => String::new(),
            other => other.to_string(),
        };
        values
            .entry(kv.keyword)
            .and_modify(|v| {
                v.value.clone_from(&value);
                v.updated_at = now;
            })
            .or_insert(VariableValue {
                value: value.clone(),
                created_at: now,
                updated_at: now,
            });
    }
    Ok(envelope::ok(json!({})))
}
