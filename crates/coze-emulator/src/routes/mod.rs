//! Every route of the emulator. Each resource module exposes `pub fn routes() ->
//! Router<AppState>`, merged here; test-only switches live under `/_emulator/...`.
//!
//! Request helpers shared by the modules: [`Params`] (query string; empty values count as
//! absent, as cozepy sends `conversation_id=`) and [`JsonBody`] (a JSON body read whatever the
//! Content-Type, an empty body being `{}`).

pub mod apps;
pub mod audio;
pub mod bots;
pub mod chat;
pub mod chatflow;
pub mod commerce;
pub mod conversations;
pub mod emulator;
pub mod extras;
pub mod files;
pub mod glif;
pub mod knowledge;
pub mod members;
pub mod messages;
pub mod oauth;
pub mod plugins;
pub mod users;
pub mod variables;
pub mod versions;
pub mod voiceprints;
pub mod websockets;
pub mod workflows;
pub mod workspaces;

use std::collections::HashMap;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::Deserialize as _;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::envelope::ApiError;
use crate::state::AppState;

/// All routes, without state.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(chat::routes())
        .merge(conversations::routes())
        .merge(messages::routes())
        .merge(emulator::routes())
        .merge(workspaces::routes())
        .merge(oauth::routes())
        .merge(users::routes())
        .merge(bots::routes())
        .merge(files::routes())
        .merge(workflows::routes())
        .merge(chatflow::routes())
        .merge(glif::routes())
        .merge(plugins::routes())
        .merge(knowledge::routes())
        .merge(variables::routes())
        .merge(audio::routes())
        .merge(versions::routes())
        .merge(members::routes())
        .merge(apps::routes())
        .merge(commerce::routes())
        .merge(extras::routes())
        .merge(websockets::routes())
}

/// The query string as a map; a parameter given with an empty value counts as absent.
#[derive(Debug, Clone, Default)]
pub struct Params(pub HashMap<String, String>);

impl Params {
    /// A non-empty parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .get(name)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    /// A required parameter; 4000 naming it when missing.
    ///
    /// # Errors
    /// [`ApiError::bad_request`] when the parameter is absent or empty.
    pub fn require(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::bad_request(format!("{name} is required")))
    }

    /// A numeric parameter with a default; 4000 when it is not a number.
    ///
    /// # Errors
    /// [`ApiError::bad_request`] when the value is not an integer.
    pub fn int(&self, name: &str, default: i64) -> Result<i64, ApiError> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v.trim().parse().map_err(|_| {
                ApiError::bad_request(format!("{name} must be an integer, got {v:?}"))
            }),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or("");
        Ok(Params(
            url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        ))
    }
}

/// The index of the first item on page `page_num` (1-based; below 1 counts as 1) of
/// `page_size` items. Saturating: a huge page number from the client is an empty page,
/// not an overflow panic.
pub fn page_start(page_num: i64, page_size: i64) -> usize {
    usize::try_from((page_num.max(1) - 1).saturating_mul(page_size)).unwrap_or(usize::MAX)
}

/// A JSON request body, read whatever the Content-Type says (some SDKs send none); an
/// empty body is `{}`.
#[derive(Debug, Clone)]
pub struct JsonBody(pub Value);

impl JsonBody {
    /// The body as `T` (use `Option` fields: explicit `null`s are common).
    ///
    /// # Errors
    /// [`ApiError::bad_request`] naming the field that does not fit.
    pub fn parse<T: DeserializeOwned>(self) -> Result<T, ApiError> {
        serde_json::from_value(self.0).map_err(|e| {
            ApiError::bad_request(format!(
                "invalid request body: {e}. Please check your input."
            ))
        })
    }
}

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _state: &S) -> Result<Self, ApiError> {
        // The size cap is `crate::limits` (a layer on every route), not axum's default.
        let bytes: Bytes = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .map_err(|e| {
                if crate::limits::is_too_large(&e) {
                    crate::limits::too_large(crate::limits::JSON_BODY_LIMIT)
                } else {
                    ApiError::bad_request(format!("could not read the request body: {e}"))
                }
            })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(Value::Object(Default::default())));
        }
        serde_json::from_slice(&bytes).map(JsonBody).map_err(|_| {
            ApiError::bad_request(
                "The field http body provided is not a valid json. Please check your input.",
            )
        })
    }
}

/// Deserializes an id that must be a JSON string (as the docs type it and the official SDKs
/// send it); `null` and `""` are absent, a number or anything else is refused (4000).
pub fn str_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    use serde::de::Error as _;
    let value = Option::<Value>::deserialize(d)?;
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(D::Error::custom(format!(
            "ids are JSON strings, got {other}"
        ))),
    }
}

/// Deserializes a string id that may also arrive as a JSON number or `null`/`""` (absent).
pub fn opt_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let value = Option::<Value>::deserialize(d)?;
    Ok(match value {
        Some(Value::String(s)) if !s.is_empty() => Some(s),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    })
}
