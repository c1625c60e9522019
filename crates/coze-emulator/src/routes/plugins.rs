//! Plugin import and the fake Glif's switch (test-only, under `/_emulator`).
//!
//! - `POST /_emulator/plugins/import` `{"url": "...", "service_token": "Bearer x",
//!   "service_token_header": "Authorization"}`: fetches the OpenAPI document (JSON or YAML,
//!   as Coze accepts both) at `url`, checks it against Coze's import rules and stores the plugin for the `plugin` bot.
//!   `service_token` is sent verbatim in `service_token_header` (default `Authorization`)
//!   on every tool call, as Coze's "Service token / API key" auth does. Answers
//!   `{"code": 0, "data": {"plugin_id", "name", "server_url", "tools": [...]}}`, or code
//!   4000 listing every rule the document breaks.
//! - `GET /_emulator/plugins`: the imported plugins (without tokens).
//! - `POST /_emulator/glif` `{"slow_delay_ms": n}`: how long the fake slow glif takes.

use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::JsonBody;
use crate::envelope::{ApiError, ok};
use crate::plugins::{ImportedTool, Plugin, check_document};
use crate::state::AppState;

/// The plugin routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/_emulator/plugins/import", post(import))
        .route("/_emulator/plugins", get(list))
        .route("/_emulator/glif", post(glif_settings))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportRequest {
    url: String,
    service_token: Option<String>,
    service_token_header: Option<String>,
}

/// An OpenAPI document in JSON (starts with `{`) or YAML.
fn parse_document(text: &str) -> Result<Value, String> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).map_err(|e| format!("JSON: {e}"));
    }
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        let first = e.to_string();
        format!("YAML: {}", first.lines().next().unwrap_or("unreadable"))
    })
}

async fn import(State(state): State<AppState>, body: JsonBody) -> Result<Response, ApiError> {
    let req: ImportRequest = body.parse()?;
    let url = url::Url::parse(req.url.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| ApiError::bad_request(format!("url {:?} is not an http(s) URL", req.url)))?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .no_proxy()
        .build()
        .map_err(|e| ApiError::internal(format!("http client: {e}")))?;
    let response = client
        .get(url.clone())
        .send()
        .await
        .map_err(|e| ApiError::bad_request(format!("cannot fetch {url}: {e}")))?;
    if !response.status().is_success() {
        return Err(ApiError::bad_request(format!(
            "fetching {url} answered HTTP {}",
            response.status().as_u16()
        )));
    }
    let text = response
        .text()
        .await
        .map_err(|e| ApiError::bad_request(format!("cannot read {url}: {e}")))?;
    let doc = parse_document(&text)
        .map_err(|e| ApiError::bad_request(format!("the document at {url} is not valid {e}")))?;
    let (name, server_url, tools) = check_document(&doc).map_err(|problems| {
        ApiError::bad_request(format!("invalid plugin document: {}", problems.join("; ")))
    })?;
    let auth = match req.service_token.filter(|t| !t.is_empty()) {
        Some(token) => {
            let header = req
                .service_token_header
                .filter(|h| !h.trim().is_empty())
                .unwrap_or_else(|| "Authorization".to_owned());
            if reqwest::header::HeaderName::from_bytes(header.trim().as_bytes()).is_err() {
                return Err(ApiError::bad_request(format!(
                    "service_token_header {header:?} is not a valid header name"
                )));
            }
            Some((header.trim().to_owned(), token))
        }
        None => None,
    };
    let tools = tools
        .into_iter()
        .map(|tool| ImportedTool {
            api_id: state.new_id(),
            ..tool
        })
        .collect();
    let plugin = Plugin {
        id: state.new_id(),
        name,
        server_url,
        auth,
        tools,
    };
    let data = describe(&plugin);
    state.store().plugins.plugins.push(plugin);
    Ok(ok(data))
}

fn describe(plugin: &Plugin) -> Value {
    json!({
        "plugin_id": plugin.id,
        "name": plugin.name,
        "server_url": plugin.server_url,
        "auth_header": plugin.auth.as_ref().map(|(h, _)| h),
        "tools": plugin.tools.iter().map(|t| json!({
            "name": t.operation_id, "api_id": t.api_id, "summary": t.summary, "method": t.method, "path": t.path,
        })).collect::<Vec<_>>(),
    })
}

async fn list(State(state): State<AppState>) -> Response {
    let plugins: Vec<Value> = state.store().plugins.plugins.iter().map(describe).collect();
    ok(json!({"plugins": plugins}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GlifSettings {
    slow_delay_ms: u64,
}

async fn glif_settings(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let settings: GlifSettings = body.parse()?;
    super::glif::set_slow_delay(&state, Duration::from_millis(settings.slow_delay_ms));
    Ok(ok(json!({"slow_delay_ms": settings.slow_delay_ms})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_and_yaml_documents_parse_alike() {
        let json = r#"{"openapi": "3.0.1", "paths": {"/x": {"get": {"responses": {"200": {}}}}}}"#;
        let yaml =
            "openapi: \"3.0.1\"\npaths:\n  /x:\n    get:\n      responses:\n        \"200\": {}\n";
        assert_eq!(parse_document(json), parse_document(yaml));
        assert!(parse_document("{ not json").is_err_and(|e| e.starts_with("JSON")));
        assert!(parse_document("a: [unclosed").is_err_and(|e| e.starts_with("YAML")));
    }
}
