//! A fake Glif: the Simple API at `/glif/simple` (also `/glif/simple/{id}`) and the glifs
//! read API at `/glif/api/glifs?id=`, with a few glifs (see [`CATALOG`]).
//!
//! Like the real one, runs need `Authorization: Bearer <token>` (the token is in
//! `Emulator::info()["glif"]["token"]`), failures come back as HTTP 200 with an `error`
//! field, and `?strict=1` makes a missing input fail instead of taking its default.
//! The slow glif sleeps `slow_delay_ms` (default 3000; `POST /_emulator/glif` changes it).
//! Media outputs point at `/glif/media/{file}`, which serves a tiny placeholder file.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use crate::state::AppState;

/// What a fake glif produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FakeOutput {
    /// A text built from the inputs.
    Text,
    /// An image URL.
    Image,
    /// Two image URLs (`output` is an array).
    Images,
    /// An audio URL.
    Audio,
    /// A video URL.
    Video,
    /// A JSON document as a string.
    Json,
    /// An HTML page as a string.
    Html,
    /// Text, after `slow_delay_ms`.
    Slow,
    /// An `error` on HTTP 200.
    Fail,
}

/// One input block of a fake glif: (name, block type, label, default).
pub type FakeInput = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
);

/// A fake glif.
#[derive(Debug)]
pub struct FakeGlif {
    pub id: &'static str,
    pub name: &'static str,
    pub output: FakeOutput,
    pub inputs: &'static [FakeInput],
}

/// The glifs the fake knows.
pub const CATALOG: &[FakeGlif] = &[
    FakeGlif {
        id: "glif-text",
        name: "Tiny poem",
        output: FakeOutput::Text,
        inputs: &[
            ("topic", "TextInputBlock", "What the poem is about", None),
            ("mood", "MultipickBlock", "Mood", Some("cheerful")),
        ],
    },
    FakeGlif {
        id: "glif-image",
        name: "Fox picture",
        output: FakeOutput::Image,
        inputs: &[
            ("prompt", "TextInputBlock", "What to draw", None),
            ("style", "TextInputBlock", "Art style", Some("watercolor")),
        ],
    },
    FakeGlif {
        id: "glif-images",
        name: "Two variations",
        output: FakeOutput::Images,
        inputs: &[("prompt", "TextInputBlock", "What to draw", None)],
    },
    FakeGlif {
        id: "glif-audio",
        name: "Jingle",
        output: FakeOutput::Audio,
        inputs: &[("prompt", "TextInputBlock", "What the jingle is about", None)],
    },
    FakeGlif {
        id: "glif-video",
        name: "Clip",
        output: FakeOutput::Video,
        inputs: &[
            ("prompt", "TextInputBlock", "What happens", None),
            ("still", "ImageInputBlock", "A first frame", None),
        ],
    },
    FakeGlif {
        id: "glif-json",
        name: "Facts as JSON",
        output: FakeOutput::Json,
        inputs: &[("topic", "TextInputBlock", "Topic", None)],
    },
    FakeGlif {
        id: "glif-html",
        name: "Web card",
        output: FakeOutput::Html,
        inputs: &[("title", "TextInputBlock", "Title", None)],
    },
    FakeGlif {
        id: "glif-slow",
        name: "Slow render",
        output: FakeOutput::Slow,
        inputs: &[("prompt", "TextInputBlock", "What to render", None)],
    },
    FakeGlif {
        id: "glif-failing",
        name: "Always fails",
        output: FakeOutput::Fail,
        inputs: &[("prompt", "TextInputBlock", "Anything", None)],
    },
];

fn find(id: &str) -> Option<&'static FakeGlif> {
    CATALOG.iter().find(|g| g.id == id)
}

/// The fake Glif's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/glif/simple", post(run_body_id))
        .route("/glif/simple/{id}", post(run_path_id))
        .route("/glif/api/glifs", get(read_glifs))
        .route("/glif/media/{file}", get(media))
}

fn error_200(message: impl Into<String>) -> Response {
    (StatusCode::OK, axum::Json(json!({"error": message.into()}))).into_response()
}

async fn run_body_id(
    State(state): State<AppState>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(state, query, headers, body, None).await
}

async fn run_path_id(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<BTreeMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    run(state, query, headers, body, Some(id)).await
}

async fn run(
    state: AppState,
    query: BTreeMap<String, String>,
    headers: HeaderMap,
    body: Bytes,
    path_id: Option<String>,
) -> Response {
    let (token, slow_delay) = {
        let store = state.store();
        (store.plugins.glif_token.clone(), store.plugins.slow_delay)
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(token.as_str()) {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "unauthorized: invalid or missing api token"})),
        )
            .into_response();
    }
    state.store().plugins.glif_runs += 1;
    let body: Map<String, Value> = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(map)) => map,
        _ => return error_200("request body must be a JSON object"),
    };
    let Some(id) = path_id.or_else(|| body.get("id").and_then(Value::as_str).map(str::to_owned))
    else {
        return error_200("missing glif id");
    };
    let Some(glif) = find(&id) else {
        return error_200(format!("glif not found: {id}"));
    };
    let strict = matches!(query.get("strict").map(String::as_str), Some("1" | "true"));
    let inputs = match resolve_inputs(glif, body.get("inputs"), strict) {
        Ok(inputs) => inputs,
        Err(message) => return error_200(message),
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let media = |ext: &str| {
        format!(
            "http://{host}/glif/media/{}-{}.{ext}",
            glif.id,
            short_hash(&inputs)
        )
    };
    // The glif's first declared input (the map itself is sorted by name).
    let first = glif
        .inputs
        .first()
        .and_then(|(name, ..)| inputs.get(*name))
        .cloned()
        .unwrap_or_default();
    let (output, kind) = match glif.output {
        FakeOutput::Text => {
            let mood = inputs.get("mood").cloned().unwrap_or_default();
            (
                json!(format!(
                    "A {mood} poem about {first}: roses bloom, foxes roam."
                )),
                "TEXT",
            )
        }
        FakeOutput::Image => (json!(media("png")), "IMAGE"),
        FakeOutput::Images => (json!([media("png"), media("2.png")]), "IMAGE"),
        FakeOutput::Audio => (json!(media("mp3")), "AUDIO"),
        FakeOutput::Video => (json!(media("mp4")), "VIDEO"),
        FakeOutput::Json => (
            json!(json!({"topic": first, "facts": 3}).to_string()),
            "JSON",
        ),
        FakeOutput::Html => (json!(format!("<h1>{}</h1>", html_escape(&first))), "HTML"),
        FakeOutput::Slow => {
            tokio::time::sleep(slow_delay).await;
            (json!(format!("Rendered slowly: {first}")), "TEXT")
        }
        FakeOutput::Fail => return error_200("glif run failed: the model is overloaded"),
    };
    axum::Json(json!({
        "id": glif.id,
        "inputs": inputs,
        "output": output,
        "outputFull": {"type": kind, "value": output},
        "price": 0.25,
        "nodes": [],
    }))
    .into_response()
}

/// Maps positional or named inputs onto the glif's blocks; strict mode refuses gaps.
fn resolve_inputs(
    glif: &FakeGlif,
    given: Option<&Value>,
    strict: bool,
) -> Result<BTreeMap<String, String>, String> {
    let as_text = |v: &Value| match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    match given {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for ((name, ..), v) in glif.inputs.iter().zip(items) {
                if let Some(v) = as_text(v) {
                    values.insert((*name).to_owned(), v);
                }
            }
        }
        Some(Value::Object(map)) => {
            for (k, v) in map {
                if !glif.inputs.iter().any(|(name, ..)| name == k) {
                    return Err(format!("unknown input: {k}"));
                }
                if let Some(v) = as_text(v) {
                    values.insert(k.clone(), v);
                }
            }
        }
        Some(_) => return Err("inputs must be a list or an object of strings".to_owned()),
    }
    let mut missing = Vec::new();
    for (name, _, _, default) in glif.inputs {
        if values.contains_key(*name) {
            continue;
        }
        match default {
            Some(d) if !strict => {
                values.insert((*name).to_owned(), (*d).to_owned());
            }
            _ => missing.push(*name),
        }
    }
    if !missing.is_empty() {
        let why = if strict { "strict mode: " } else { "" };
        return Err(format!(
            "{why}missing required input(s): {}",
            missing.join(", ")
        ));
    }
    Ok(values)
}

fn short_hash(inputs: &BTreeMap<String, String>) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(serde_json::to_vec(inputs).unwrap_or_default());
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn read_glifs(Query(query): Query<BTreeMap<String, String>>) -> Response {
    let glifs: Vec<Value> = query
        .get("id")
        .and_then(|id| find(id))
        .map(describe)
        .into_iter()
        .collect();
    axum::Json(Value::Array(glifs)).into_response()
}

fn describe(glif: &FakeGlif) -> Value {
    let mut nodes: Vec<Value> = glif
        .inputs
        .iter()
        .map(|(name, kind, label, default)| {
            let mut params = json!({"label": label});
            if let Some(d) = default {
                params["value"] = json!(d);
            }
            if *kind == "MultipickBlock" {
                params["options"] = json!(["cheerful", "gloomy"]);
            }
            json!({"name": name, "type": kind, "params": params})
        })
        .collect();
    nodes.push(json!({"name": "generator", "type": "TextGenerationBlock", "params": {}}));
    json!({
        "id": glif.id,
        "name": glif.name,
        "description": format!("emulator fake glif: {}", glif.name),
        "averageDuration": if glif.output == FakeOutput::Slow { 3000 } else { 50 },
        "data": {"nodes": nodes},
    })
}

/// The smallest valid PNG (1x1, transparent), served for every media URL.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0d, 0x0a, 0x2d, 0xb4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae,
    0x42, 0x60, 0x82,
];

async fn media(Path(file): Path<String>) -> Response {
    let content_type = match file.rsplit('.').next() {
        Some("png") => "image/png",
        Some("mp3") => "audio/mpeg",
        Some("mp4") => "video/mp4",
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    // Placeholder bytes: clients only need a URL that answers.
    ([(header::CONTENT_TYPE, content_type)], PNG).into_response()
}

/// Only the slow glif's delay is adjustable.
pub(crate) fn set_slow_delay(state: &AppState, delay: Duration) {
    state.store().plugins.slow_delay = delay;
}
