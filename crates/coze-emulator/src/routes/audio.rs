//! Audio REST: `POST /v1/audio/speech` (text → audio), `POST /v1/audio/transcriptions`
//! (multipart `file` → `{text}`), `GET /v1/audio/voices`, `POST /v1/audio/voices/clone`
//! (multipart) and `POST /v1/audio/rooms`.
//!
//! Speech is real, playable audio: a WAV of tones that encode the text ([`crate::tone`]), or
//! the same samples as raw 16-bit PCM for `response_format: "pcm"`. The emulator encodes no
//! compressed formats: `mp3`, `ogg_opus` and the rest get the WAV too, with
//! `Content-Type: audio/wav`. A transcription of audio the emulator produced is exactly its
//! text; other audio gets a fixed sentence naming its size.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{JsonBody, Params, opt_id, page_start};
use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::state::AppState;
use crate::tone;

/// A voice (system voices are built in; cloned ones are kept here).
#[derive(Debug, Clone)]
pub struct VoiceRecord {
    pub id: String,
    pub name: String,
    pub language_code: String,
    pub preview_text: String,
    pub system: bool,
    pub created_at: i64,
    pub updated_at: i64,
    pub trainings: i64,
}

/// The audio state (`Store::audio`).
#[derive(Debug, Default)]
pub struct AudioStore {
    pub cloned: BTreeMap<String, VoiceRecord>,
    pub rooms: Vec<String>,
}

/// The built-in voices: `(voice_id, name, language)`.
pub const SYSTEM_VOICES: &[(&str, &str, &str)] = &[
    ("7426720361733046281", "Emulator Alto", "en"),
    ("7426720361733062665", "Emulator Tenor", "en"),
    ("7426720361733078025", "模拟器女声", "zh"),
];

/// Longest speech input, in characters (Coze's limit is 1024 bytes of UTF-8).
const MAX_INPUT_BYTES: usize = 1024;

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/audio/speech", post(speech))
        .route("/v1/audio/transcriptions", post(transcribe))
        .route("/v1/audio/voices", get(voices))
        .route("/v1/audio/voices/clone", post(clone))
        .route("/v1/audio/rooms", post(rooms))
}

pub(crate) fn voice_known(state: &AppState, id: &str) -> bool {
    SYSTEM_VOICES.iter().any(|(v, _, _)| *v == id) || state.store().audio.cloned.contains_key(id)
}

#[derive(Deserialize)]
struct SpeechBody {
    #[serde(default)]
    input: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    voice_id: Option<String>,
    #[serde(default)]
    response_format: Option<String>,
    #[serde(default)]
    speed: Option<f64>,
    #[serde(default)]
    sample_rate: Option<u32>,
}

async fn speech(
    State(state): State<AppState>,
    _authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: SpeechBody = body.parse()?;
    let input = body
        .input
        .filter(|i| !i.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("input is required"))?;
    if input.len() > MAX_INPUT_BYTES {
        return Err(ApiError::bad_request(format!(
            "input is {} bytes; the limit is {MAX_INPUT_BYTES}",
            input.len()
        )));
    }
    let voice = body
        .voice_id
        .ok_or_else(|| ApiError::bad_request("voice_id is required"))?;
    if !voice_known(&state, &voice) {
        return Err(ApiError::not_found("voice_id", &voice));
    }
    let speed = body.speed.unwrap_or(1.0);
    if !(0.2..=3.0).contains(&speed) {
        return Err(ApiError::bad_request(format!(
            "speed must be between 0.2 and 3, got {speed}"
        )));
    }
    let rate = body.sample_rate.unwrap_or(24_000);
    if ![8000, 16000, 22050, 24000, 32000, 44100, 48000].contains(&rate) {
        return Err(ApiError::bad_request(format!(
            "sample_rate must be one of 8000, 16000, 22050, 24000, 32000, 44100, 48000, got {rate}"
        )));
    }
    let format = body.response_format.unwrap_or_else(|| "mp3".into());
    let samples = tone::pcm(&input, rate, speed);
    let (bytes, mime) = if format == "pcm" {
        let raw: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
        (raw, "audio/pcm")
    } else {
        (tone::wav(&samples, rate), "audio/wav")
    };
    let mut resp = Bytes::from(bytes).into_response();
    resp.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let logid = envelope::new_logid();
    envelope::set_logid(resp.headers_mut(), &logid);
    Ok(resp)
}

/// The parts of a multipart body: name → (file name, bytes).
pub(super) async fn parts(
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<BTreeMap<String, (Option<String>, Bytes)>, ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::bad_request(format!("the request must be multipart/form-data: {e}"))
    })?;
    let mut out = BTreeMap::new();
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::bad_request(format!("could not read the multipart body: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let data = field
            .bytes()
            .await
            .map_err(|e| ApiError::bad_request(format!("could not read part {name}: {e}")))?;
        out.insert(name, (file_name, data));
    }
    Ok(out)
}

async fn transcribe(
    _authed: Authed,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let parts = parts(multipart).await?;
    let (_, data) = parts
        .get("file")
        .ok_or_else(|| ApiError::bad_request("the multipart body has no part named \"file\""))?;
    if data.is_empty() {
        return Err(ApiError::new(4300, "the audio file is empty"));
    }
    let text = tone::decode(data).unwrap_or_else(|| {
        format!(
            "The emulator heard {} bytes of audio it did not produce.",
            data.len()
        )
    });
    Ok(envelope::ok(json!({"text": text})))
}

fn voice_json(v: &VoiceRecord) -> Value {
    json!({
        "voice_id": v.id,
        "name": v.name,
        "is_system_voice": v.system,
        "language_code": v.language_code,
        "language_name": if v.language_code == "zh" { "中文" } else { "English" },
        "preview_text": v.preview_text,
        "preview_audio": "",
        "available_training_times": v.trainings,
        "create_time": v.created_at,
        "update_time": v.updated_at,
        "model_type": "big",
        "state": "cloned",
        "support_emotions": [],
    })
}

fn system_voices() -> Vec<VoiceRecord> {
    SYSTEM_VOICES
        .iter()
        .map(|(id, name, lang)| VoiceRecord {
            id: (*id).into(),
            name: (*name).into(),
            language_code: (*lang).into(),
            preview_text: "Hello from the Coze emulator".into(),
            system: true,
            created_at: 1_729_686_510,
            updated_at: 1_729_686_510,
            trainings: 0,
        })
        .collect()
}

async fn voices(
    State(state): State<AppState>,
    _authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let page_num = params.int("page_num", 1)?;
    let page_size = params.int("page_size", 100)?;
    if !(1..=100).contains(&page_size) {
        return Err(ApiError::bad_request("page_size must be between 1 and 100"));
    }
    let filter_system = params.get("filter_system_voice") == Some("true");
    let mut all: Vec<VoiceRecord> = if filter_system {
        Vec::new()
    } else {
        system_voices()
    };
    all.extend(state.store().audio.cloned.values().cloned());
    let start = page_start(page_num, page_size);
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(page_size as usize)
        .map(voice_json)
        .collect();
    let has_more = start.saturating_add(page.len()) < all.len();
    Ok(envelope::ok(
        json!({"voice_list": page, "has_more": has_more}),
    ))
}

async fn clone(
    State(state): State<AppState>,
    _authed: Authed,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let parts = parts(multipart).await?;
    let text = |name: &str| {
        parts
            .get(name)
            .map(|(_, d)| String::from_utf8_lossy(d).trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let name = text("voice_name").ok_or_else(|| ApiError::bad_request("voice_name is required"))?;
    let format =
        text("audio_format").ok_or_else(|| ApiError::bad_request("audio_format is required"))?;
    if !["wav", "mp3", "ogg", "m4a", "aac", "pcm"].contains(&format.as_str()) {
        return Err(ApiError::bad_request(format!(
            "audio_format must be one of wav, mp3, ogg, m4a, aac, pcm, got {format}"
        )));
    }
    let audio = parts
        .get("file")
        .map(|(_, d)| d.clone())
        .filter(|d| !d.is_empty())
        .ok_or_else(|| ApiError::bad_request("file (the voice sample) is required"))?;
    let now = state.now();
    let mut store = state.store();
    let (id, trainings) = match text("voice_id") {
        Some(id) => {
            let existing = store
                .audio
                .cloned
                .get(&id)
                .ok_or_else(|| ApiError::not_found("voice_id", &id))?;
            if existing.trainings <= 0 {
                return Err(ApiError::bad_request(format!(
                    "voice {id} cannot be trained again: it has no training times left"
                )));
            }
            (id, existing.trainings - 1)
        }
        None => (state.new_id(), 9),
    };
    let record = VoiceRecord {
        id: id.clone(),
        name,
        language_code: text("language").unwrap_or_else(|| "zh".into()),
        preview_text: text("preview_text")
            .or_else(|| text("text"))
            .unwrap_or_else(|| format!("A {}-byte sample", audio.len())),
        system: false,
        created_at: store.audio.cloned.get(&id).map_or(now, |v| v.created_at),
        updated_at: now,
        trainings,
    };
    let body = voice_json(&record);
    store.audio.cloned.insert(id, record);
    Ok(envelope::ok(body))
}

#[derive(Deserialize)]
struct RoomBody {
    #[serde(default, deserialize_with = "opt_id")]
    bot_id: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    voice_id: Option<String>,
    #[serde(default)]
    uid: Option<String>,
}

async fn rooms(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: RoomBody = body.parse()?;
    let bot = body
        .bot_id
        .ok_or_else(|| ApiError::bad_request("bot_id is required"))?;
    if !state.store().bots.contains_key(&bot) {
        return Err(ApiError::not_found("bot_id", &bot));
    }
    if let Some(v) = &body.voice_id
        && !voice_known(&state, v)
    {
        return Err(ApiError::not_found("voice_id", v));
    }
    let uid = body
        .uid
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| authed.user_id().to_string());
    let room_id = state.new_id();
    state.store().audio.rooms.push(room_id.clone());
    Ok(envelope::ok(json!({
        "room_id": room_id,
        "app_id": "emulator-rtc-app",
        "token": format!("rtc_{room_id}_{uid}"),
        "uid": uid,
    })))
}
