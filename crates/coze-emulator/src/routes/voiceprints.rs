//! Voiceprint groups and their features (voiceprints), calls of the official SDKs outside
//! the OpenAPI document: `GET|POST /v1/audio/voiceprint_groups`,
//! `PUT|DELETE /v1/audio/voiceprint_groups/{id}`,
//! `GET|POST /v1/audio/voiceprint_groups/{id}/features` (multipart),
//! `PUT|DELETE /v1/audio/voiceprint_groups/{id}/features/{feature_id}` (multipart) and
//! `POST /v1/audio/voiceprint_groups/{id}/speaker_identify` (multipart).
//!
//! Rules from Coze's docs: names of at most 20 characters, at most 10 voiceprints a group, WAV
//! or PCM samples of at most 4 MB; everything else 4000, unknown groups and features 4200. A
//! group is seen only by the user who made it.
//!
//! Speaker identification compares a voice fingerprint: the distribution of the pitch of the
//! sample's voiced 20 ms frames (by zero crossings), as cosine similarity on a 0-100 scale. The
//! same recording scores 100, speech in another pitch much less (the emulator's own speech,
//! `POST /v1/audio/speech`, is tones whose pitch follows the text, so different sentences
//! differ). A sample without any voiced frame is refused (4000).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use bytes::Bytes;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{JsonBody, Params, page_start};
use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::state::AppState;

/// Most voiceprints in one group.
pub const FEATURES_PER_GROUP: usize = 10;
/// Largest sample.
pub const MAX_SAMPLE_BYTES: usize = 4 * 1024 * 1024;
const NAME_CHARS: usize = 20;
const BINS: usize = 32;

/// A voiceprint.
#[derive(Debug, Clone)]
pub struct Feature {
    pub id: String,
    pub name: String,
    pub desc: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub fingerprint: Vec<f64>,
}

/// A voiceprint group.
#[derive(Debug, Clone)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub desc: String,
    pub owner: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub features: BTreeMap<String, Feature>,
}

/// The state of this module (`Store::extras.voiceprints`).
#[derive(Debug, Default)]
pub struct VoiceprintStore {
    pub groups: BTreeMap<String, Group>,
}

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/audio/voiceprint_groups",
            get(list_groups).post(create_group),
        )
        .route(
            "/v1/audio/voiceprint_groups/{group_id}",
            put(update_group).delete(delete_group),
        )
        .route(
            "/v1/audio/voiceprint_groups/{group_id}/features",
            get(list_features).post(create_feature),
        )
        .route(
            "/v1/audio/voiceprint_groups/{group_id}/features/{feature_id}",
            put(update_feature).delete(delete_feature),
        )
        .route(
            "/v1/audio/voiceprint_groups/{group_id}/speaker_identify",
            post(identify),
        )
}

/// The pitch fingerprint of a WAV (or raw 16-bit little-endian PCM) sample; `None` without a
/// voiced frame.
pub fn fingerprint(bytes: &[u8]) -> Option<Vec<f64>> {
    let (samples, rate) = crate::tone::parse_wav(bytes).unwrap_or_else(|| {
        let pcm = bytes
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect();
        (pcm, 16_000)
    });
    let frame = usize::try_from(rate / 50).unwrap_or(320).max(2);
    let mut hist = vec![0.0; BINS];
    let mut voiced = 0;
    for chunk in samples.chunks(frame) {
        if chunk.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0) < 500 {
            continue;
        }
        let crossings = chunk
            .windows(2)
            .filter(|w| (w[0] < 0) != (w[1] < 0))
            .count();
        // Crossings per frame → Hz (two per period, 50 frames a second), 40 Hz bins.
        let hz = crossings * 25;
        hist[(hz / 40).min(BINS - 1)] += 1.0;
        voiced += 1;
    }
    if voiced == 0 {
        return None;
    }
    let norm = hist.iter().map(|v| v * v).sum::<f64>().sqrt();
    Some(hist.into_iter().map(|v| v / norm).collect())
}

/// Cosine similarity of two fingerprints on a 0-100 scale, two decimals.
pub fn score(a: &[f64], b: &[f64]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    (dot.clamp(0.0, 1.0) * 10_000.0).round() / 100.0
}

fn check_name(name: &str) -> Result<(), ApiError> {
    let n = name.chars().count();
    if name.trim().is_empty() || n > NAME_CHARS {
        return Err(ApiError::bad_request(format!(
            "name must be 1 to {NAME_CHARS} characters, got {n}"
        )));
    }
    Ok(())
}

fn user_info(state: &AppState, user: &str) -> Value {
    let store = state.store();
    let (name, nickname) = store
        .users
        .get(user)
        .map(|u| (u.name.clone(), u.nick_name.clone()))
        .unwrap_or_default();
    json!({"id": user, "name": name, "nickname": nickname, "avatar_url": ""})
}

fn group_json(group: &Group, user: &Value) -> Value {
    json!({
        "id": group.id,
        "name": group.name,
        "desc": group.desc,
        "created_at": group.created_at,
        "updated_at": group.updated_at,
        "icon_url": "",
        "feature_count": group.features.len(),
        "user_info": user,
    })
}

fn feature_json(group: &Group, f: &Feature, user: &Value) -> Value {
    json!({
        "id": f.id,
        "group_id": group.id,
        "name": f.name,
        "desc": f.desc,
        "audio_url": "",
        "icon_url": "",
        "created_at": f.created_at,
        "updated_at": f.updated_at,
        "user_info": user,
    })
}

fn page_params(params: &Params) -> Result<(i64, i64), ApiError> {
    let num = params.int("page_num", 1)?;
    let size = params.int("page_size", 10)?;
    if !(1..=200).contains(&size) {
        return Err(ApiError::bad_request(format!(
            "page_size must be between 1 and 200, got {size}"
        )));
    }
    Ok((num, size))
}

/// The caller's group, or 4200.
fn own_group<'s>(
    groups: &'s mut BTreeMap<String, Group>,
    authed: &Authed,
    id: &str,
) -> Result<&'s mut Group, ApiError> {
    groups
        .get_mut(id)
        .filter(|g| g.owner == authed.user_id())
        .ok_or_else(|| ApiError::not_found("group_id", id))
}

#[derive(Deserialize)]
struct GroupBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    desc: Option<String>,
}

async fn create_group(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: GroupBody = body.parse()?;
    let name = body
        .name
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    check_name(&name)?;
    let id = state.new_id();
    let now = state.now();
    let mut store = state.store();
    let mine = store
        .extras
        .voiceprints
        .groups
        .values()
        .filter(|g| g.owner == authed.user_id())
        .count();
    if mine >= 1000 {
        return Err(ApiError::bad_request(
            "at most 1000 voiceprint groups; delete one first",
        ));
    }
    store.extras.voiceprints.groups.insert(
        id.clone(),
        Group {
            id: id.clone(),
            name,
            desc: body.desc.unwrap_or_default(),
            owner: authed.user_id().to_string(),
            created_at: now,
            updated_at: now,
            features: BTreeMap::new(),
        },
    );
    Ok(envelope::ok(json!({"id": id})))
}

async fn update_group(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: GroupBody = body.parse()?;
    if let Some(name) = &body.name {
        check_name(name)?;
    }
    let now = state.now();
    let mut store = state.store();
    let group = own_group(&mut store.extras.voiceprints.groups, &authed, &id)?;
    if let Some(name) = body.name {
        group.name = name;
    }
    if let Some(desc) = body.desc {
        group.desc = desc;
    }
    group.updated_at = now;
    Ok(envelope::ok(json!({})))
}

async fn delete_group(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut store = state.store();
    own_group(&mut store.extras.voiceprints.groups, &authed, &id)?;
    store.extras.voiceprints.groups.remove(&id);
    Ok(envelope::ok(json!({})))
}

async fn list_groups(
    State(state): State<AppState>,
    authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let (num, size) = page_params(&params)?;
    if let Some(user) = params.get("user_id")
        && user != authed.user_id()
    {
        return Err(ApiError::bad_request(
            "user_id can only be your own user id (or leave it out)",
        ));
    }
    let user = user_info(&state, authed.user_id());
    let store = state.store();
    let groups: Vec<Value> = store
        .extras
        .voiceprints
        .groups
        .values()
        .filter(|g| g.owner == authed.user_id())
        .filter(|g| params.get("group_id").is_none_or(|id| g.id == id))
        .filter(|g| params.get("name").is_none_or(|n| g.name.starts_with(n)))
        .map(|g| group_json(g, &user))
        .collect();
    let total = groups.len();
    let items: Vec<Value> = groups
        .into_iter()
        .skip(page_start(num, size))
        .take(usize::try_from(size).unwrap_or(10))
        .collect();
    Ok(envelope::ok(json!({"items": items, "total": total})))
}

/// The multipart parts of a feature or identify request.
struct Sample {
    fields: BTreeMap<String, String>,
    file: Option<Bytes>,
}

async fn sample(multipart: Result<Multipart, MultipartRejection>) -> Result<Sample, ApiError> {
    let parts = super::audio::parts(multipart).await?;
    let mut fields = BTreeMap::new();
    let mut file = None;
    for (name, (_, data)) in parts {
        if name == "file" {
            file = Some(data);
        } else {
            fields.insert(name, String::from_utf8_lossy(&data).trim().to_string());
        }
    }
    if let Some(f) = &file
        && f.len() > MAX_SAMPLE_BYTES
    {
        return Err(ApiError::bad_request(format!(
            "the audio file is {} bytes; at most 4 MB",
            f.len()
        )));
    }
    for key in ["sample_rate", "channel", "top_k"] {
        if let Some(v) = fields.get(key).filter(|v| !v.is_empty())
            && v.parse::<u32>().is_err()
        {
            return Err(ApiError::bad_request(format!(
                "{key} must be a positive integer, got {v:?}"
            )));
        }
    }
    Ok(Sample { fields, file })
}

fn print_of(file: &[u8]) -> Result<Vec<f64>, ApiError> {
    if file.is_empty() {
        return Err(ApiError::bad_request("the audio file is empty"));
    }
    fingerprint(file).ok_or_else(|| {
        ApiError::bad_request("no voice in the audio file: record a WAV or 16 kHz PCM of speech")
    })
}

async fn create_feature(
    State(state): State<AppState>,
    authed: Authed,
    Path(group_id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let sample = sample(multipart).await?;
    let name = sample
        .fields
        .get("name")
        .filter(|n| !n.is_empty())
        .cloned()
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    check_name(&name)?;
    let file = sample
        .file
        .ok_or_else(|| ApiError::bad_request("file (the voice sample) is required"))?;
    let print = print_of(&file)?;
    let id = state.new_id();
    let now = state.now();
    let mut store = state.store();
    let group = own_group(&mut store.extras.voiceprints.groups, &authed, &group_id)?;
    if group.features.len() >= FEATURES_PER_GROUP {
        return Err(ApiError::bad_request(format!(
            "a voiceprint group holds at most {FEATURES_PER_GROUP} voiceprints; delete one first"
        )));
    }
    group.features.insert(
        id.clone(),
        Feature {
            id: id.clone(),
            name,
            desc: sample.fields.get("desc").cloned().unwrap_or_default(),
            created_at: now,
            updated_at: now,
            fingerprint: print,
        },
    );
    group.updated_at = now;
    Ok(envelope::ok(json!({"id": id})))
}

async fn update_feature(
    State(state): State<AppState>,
    authed: Authed,
    Path((group_id, feature_id)): Path<(String, String)>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let sample = sample(multipart).await?;
    let name = sample.fields.get("name").filter(|n| !n.is_empty()).cloned();
    if let Some(n) = &name {
        check_name(n)?;
    }
    let print = sample.file.as_deref().map(print_of).transpose()?;
    let now = state.now();
    let mut store = state.store();
    let group = own_group(&mut store.extras.voiceprints.groups, &authed, &group_id)?;
    let feature = group
        .features
        .get_mut(&feature_id)
        .ok_or_else(|| ApiError::not_found("feature_id", &feature_id))?;
    if let Some(n) = name {
        feature.name = n;
    }
    if let Some(d) = sample.fields.get("desc") {
        feature.desc.clone_from(d);
    }
    if let Some(p) = print {
        feature.fingerprint = p;
    }
    feature.updated_at = now;
    Ok(envelope::ok(json!({})))
}

async fn delete_feature(
    State(state): State<AppState>,
    authed: Authed,
    Path((group_id, feature_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let mut store = state.store();
    let group = own_group(&mut store.extras.voiceprints.groups, &authed, &group_id)?;
    group
        .features
        .remove(&feature_id)
        .ok_or_else(|| ApiError::not_found("feature_id", &feature_id))?;
    Ok(envelope::ok(json!({})))
}

async fn list_features(
    State(state): State<AppState>,
    authed: Authed,
    Path(group_id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let (num, size) = page_params(&params)?;
    let user = user_info(&state, authed.user_id());
    let mut store = state.store();
    let group = own_group(&mut store.extras.voiceprints.groups, &authed, &group_id)?;
    let total = group.features.len();
    let items: Vec<Value> = group
        .features
        .values()
        .skip(page_start(num, size))
        .take(usize::try_from(size).unwrap_or(10))
        .map(|f| feature_json(group, f, &user))
        .collect();
    Ok(envelope::ok(json!({"items": items, "total": total})))
}

async fn identify(
    State(state): State<AppState>,
    authed: Authed,
    Path(group_id): Path<String>,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let sample = sample(multipart).await?;
    let file = sample
        .file
        .ok_or_else(|| ApiError::bad_request("file (the speaker's audio) is required"))?;
    let print = print_of(&file)?;
    let top_k = sample
        .fields
        .get("top_k")
        .and_then(|k| k.parse::<usize>().ok())
        .filter(|k| *k > 0);
    let mut store = state.store();
    let group = own_group(&mut store.extras.voiceprints.groups, &authed, &group_id)?;
    let mut scores: Vec<(f64, &Feature)> = group
        .features
        .values()
        .map(|f| (score(&print, &f.fingerprint), f))
        .collect();
    scores.sort_by(|a, b| b.0.total_cmp(&a.0));
    let list: Vec<Value> = scores
        .into_iter()
        .take(top_k.unwrap_or(usize::MAX))
        .map(|(s, f)| {
            json!({"feature_id": f.id, "feature_name": f.name, "feature_desc": f.desc, "score": s})
        })
        .collect();
    Ok(envelope::ok(json!({"feature_score_list": list})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_recording_scores_100_and_other_speech_less() {
        let a = crate::tone::encode("hello there", 16_000, 1.0);
        let b = crate::tone::encode("zzzz ~~~~ zzzz", 16_000, 1.0);
        let pa = fingerprint(&a).expect("voiced");
        let pb = fingerprint(&b).expect("voiced");
        assert!((score(&pa, &pa) - 100.0).abs() < f64::EPSILON);
        assert!(score(&pa, &pb) < 90.0, "{}", score(&pa, &pb));
        assert!(fingerprint(&crate::tone::wav(&[0; 16_000], 16_000)).is_none());
    }
}
