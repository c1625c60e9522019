//! Knowledge bases: datasets (`/v1/datasets`), their documents
//! (`/open_api/knowledge/document/{create,update,delete,list}`), processing progress
//! (`/v1/datasets/{id}/process`) and the images of image datasets (`/v1/datasets/{id}/images`).
//!
//! A document is processed over [`PROCESSING`]: its progress goes from 0 to 100 with the
//! emulator's clock (status 0 "processing", then 1 "completed"); `POST /_emulator/clock` moves
//! it along. Text comes from `file_base64`, an uploaded `source_file_id` or (not fetched) a
//! `web_url`. The document routes answer with their payload at the top level
//! (`document_infos`, `total`), as Coze does. The list also answers a GET with `dataset_id`,
//! `page` and `size` in the query: the deprecated `knowledge.documents.list` of @coze/api
//! sends that.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{JsonBody, Params, opt_id, page_start};
use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::state::AppState;

/// How long the emulator takes to process a document (progress 0 → 100).
pub const PROCESSING: Duration = Duration::from_secs(2);

/// A dataset (knowledge base).
#[derive(Debug, Clone)]
pub struct DatasetRecord {
    pub id: String,
    pub name: String,
    pub description: String,
    pub space_id: String,
    /// 0 text, 1 table, 2 image.
    pub format_type: i64,
    pub creator_id: String,
    pub icon_file_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A document of a dataset.
#[derive(Debug, Clone)]
pub struct DocumentRecord {
    pub id: String,
    pub dataset_id: String,
    pub name: String,
    pub kind: String,
    pub source_type: i64,
    pub size: u64,
    pub char_count: u64,
    pub url: String,
    pub caption: String,
    pub update_type: i64,
    pub update_interval: i64,
    pub creator_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    /// When processing started (progress is measured from here, plus the clock skew).
    pub started: Instant,
    /// The clock skew when processing started.
    pub skew_at_start: i64,
}

/// The knowledge state (`Store::knowledge`).
#[derive(Debug, Default)]
pub struct KnowledgeStore {
    pub datasets: BTreeMap<u64, DatasetRecord>,
    pub documents: BTreeMap<u64, DocumentRecord>,
}

impl KnowledgeStore {
    fn dataset(&self, id: &str) -> Option<&DatasetRecord> {
        self.datasets.get(&id.parse().ok()?)
    }
}

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/datasets", get(list).post(create))
        .route("/v1/datasets/{dataset_id}", put(update).delete(delete))
        .route("/v1/datasets/{dataset_id}/process", post(process))
        .route("/v1/datasets/{dataset_id}/images", get(images))
        .route(
            "/v1/datasets/{dataset_id}/images/{document_id}",
            put(update_image),
        )
        .route("/open_api/knowledge/document/create", post(doc_create))
        .route("/open_api/knowledge/document/update", post(doc_update))
        .route("/open_api/knowledge/document/delete", post(doc_delete))
        .route(
            "/open_api/knowledge/document/list",
            post(doc_list).get(doc_list_query),
        )
}

fn key(id: &str) -> Option<u64> {
    id.parse().ok()
}

/// Progress 0..=100 of a document.
fn progress(state: &AppState, doc: &DocumentRecord) -> i64 {
    let skew = state.clock_skew().saturating_sub(doc.skew_at_start);
    let elapsed_ms =
        (doc.started.elapsed().as_millis() as i64).saturating_add(skew.saturating_mul(1000));
    let total = PROCESSING.as_millis() as i64;
    (elapsed_ms.max(0).saturating_mul(100) / total).min(100)
}

fn dataset_json(store: &KnowledgeStore, state: &AppState, ds: &DatasetRecord) -> Value {
    let docs: Vec<&DocumentRecord> = store
        .documents
        .values()
        .filter(|d| d.dataset_id == ds.id)
        .collect();
    let processing: Vec<&&DocumentRecord> =
        docs.iter().filter(|d| progress(state, d) < 100).collect();
    json!({
        "dataset_id": ds.id,
        "name": ds.name,
        "description": ds.description,
        "space_id": ds.space_id,
        "status": 1,
        "format_type": ds.format_type,
        "can_edit": true,
        "icon_url": "",
        "doc_count": docs.len(),
        "file_list": docs.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
        "hit_count": 0,
        "bot_used_count": 0,
        "slice_count": docs.iter().map(|d| slices(d.char_count)).sum::<u64>(),
        "all_file_size": docs.iter().map(|d| d.size).sum::<u64>(),
        "chunk_strategy": {"chunk_type": 0},
        "failed_file_list": [],
        "processing_file_list": processing.iter().map(|d| d.name.clone()).collect::<Vec<_>>(),
        "processing_file_id_list": processing.iter().map(|d| d.id.clone()).collect::<Vec<_>>(),
        "avatar_url": "",
        "creator_id": ds.creator_id,
        "creator_name": "emulator user",
        "create_time": ds.created_at,
        "update_time": ds.updated_at,
    })
}

fn slices(chars: u64) -> u64 {
    chars.div_ceil(800)
}

fn document_json(state: &AppState, ds: &DatasetRecord, doc: &DocumentRecord) -> Value {
    let done = progress(state, doc) >= 100;
    json!({
        "document_id": doc.id,
        "char_count": if done { doc.char_count } else { 0 },
        "chunk_strategy": {"chunk_type": 0},
        "format_type": ds.format_type,
        "hit_count": 0,
        "name": doc.name,
        "size": doc.size,
        "slice_count": if done { slices(doc.char_count) } else { 0 },
        "source_type": doc.source_type,
        "status": if done { 1 } else { 0 },
        "type": doc.kind,
        "update_interval": doc.update_interval,
        "update_type": doc.update_type,
        "create_time": doc.created_at,
        "update_time": doc.updated_at,
    })
}

fn progress_json(state: &AppState, doc: &DocumentRecord) -> Value {
    let p = progress(state, doc);
    let remaining_ms = (PROCESSING.as_millis() as i64) * (100 - p) / 100;
    json!({
        "document_id": doc.id,
        "url": doc.url,
        "size": doc.size,
        "type": doc.kind,
        "status": if p >= 100 { 1 } else { 0 },
        "progress": p,
        "update_type": doc.update_type,
        "document_name": doc.name,
        "remaining_time": (remaining_ms + 999) / 1000,
        "status_descript": "",
        "update_interval": doc.update_interval,
    })
}

/// The dataset `id` when the caller may use it; 4200 otherwise.
fn visible_dataset<'a>(
    store: &'a crate::state::Store,
    authed: &Authed,
    id: &str,
) -> Result<&'a DatasetRecord, ApiError> {
    let ds = store
        .knowledge
        .dataset(id)
        .ok_or_else(|| ApiError::not_found("dataset_id", id))?;
    let member = store
        .workspaces
        .get(&ds.space_id)
        .is_some_and(|ws| ws.members.iter().any(|m| m == authed.user_id()));
    if !member {
        return Err(ApiError::not_found("dataset_id", id));
    }
    Ok(ds)
}

#[derive(Deserialize)]
struct CreateBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    space_id: Option<String>,
    #[serde(default)]
    format_type: Option<i64>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    file_id: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: CreateBody = body.parse()?;
    let name = body
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    if name.chars().count() > 100 {
        return Err(ApiError::bad_request("name must be at most 100 characters"));
    }
    let space_id = body
        .space_id
        .ok_or_else(|| ApiError::bad_request("space_id is required"))?;
    let format_type = body.format_type.unwrap_or(0);
    if !matches!(format_type, 0 | 2) {
        return Err(ApiError::bad_request(format!(
            "format_type must be 0 (text) or 2 (image), got {format_type}"
        )));
    }
    let now = state.now();
    let id = state.new_id();
    let mut store = state.store();
    let member = store
        .workspaces
        .get(&space_id)
        .is_some_and(|ws| ws.members.iter().any(|m| m == authed.user_id()));
    if !member {
        return Err(ApiError::not_found("space_id", &space_id));
    }
    let record = DatasetRecord {
        id: id.clone(),
        name,
        description: body.description.unwrap_or_default(),
        space_id,
        format_type,
        creator_id: authed.user_id().to_string(),
        icon_file_id: body.file_id.unwrap_or_default(),
        created_at: now,
        updated_at: now,
    };
    store
        .knowledge
        .datasets
        .insert(key(&id).unwrap_or_default(), record);
    Ok(envelope::ok(json!({"dataset_id": id})))
}

async fn list(
    State(state): State<AppState>,
    authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let space_id = params.require("space_id")?.to_string();
    let page_num = params.int("page_num", 1)?;
    let page_size = params.int("page_size", 10)?;
    if !(1..=300).contains(&page_size) {
        return Err(ApiError::bad_request("page_size must be between 1 and 300"));
    }
    let name = params.get("name").map(str::to_lowercase);
    let format_type = params
        .get("format_type")
        .map(|_| params.int("format_type", 0))
        .transpose()?;
    let store = state.store();
    let member = store
        .workspaces
        .get(&space_id)
        .is_some_and(|ws| ws.members.iter().any(|m| m == authed.user_id()));
    if !member {
        return Err(ApiError::not_found("space_id", &space_id));
    }
    let all: Vec<&DatasetRecord> = store
        .knowledge
        .datasets
        .values()
        .rev()
        .filter(|d| d.space_id == space_id)
        .filter(|d| {
            name.as_ref()
                .is_none_or(|n| d.name.to_lowercase().contains(n))
        })
        .filter(|d| format_type.is_none_or(|f| d.format_type == f))
        .collect();
    let page: Vec<Value> = all
        .iter()
        .skip(page_start(page_num, page_size))
        .take(page_size as usize)
        .map(|d| dataset_json(&store.knowledge, &state, d))
        .collect();
    Ok(envelope::ok(
        json!({"total_count": all.len(), "dataset_list": page}),
    ))
}

#[derive(Deserialize)]
struct UpdateBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    file_id: Option<String>,
}

async fn update(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: UpdateBody = body.parse()?;
    let name = body
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    let now = state.now();
    let mut store = state.store();
    visible_dataset(&store, &authed, &id)?;
    if let Some(ds) = key(&id).and_then(|k| store.knowledge.datasets.get_mut(&k)) {
        ds.name = name;
        if let Some(d) = body.description {
            ds.description = d;
        }
        if let Some(f) = body.file_id {
            ds.icon_file_id = f;
        }
        ds.updated_at = now;
    }
    Ok(envelope::ok(json!({})))
}

async fn delete(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let mut store = state.store();
    visible_dataset(&store, &authed, &id)?;
    if let Some(k) = key(&id) {
        store.knowledge.datasets.remove(&k);
    }
    store.knowledge.documents.retain(|_, d| d.dataset_id != id);
    Ok(envelope::ok(json!({})))
}

#[derive(Deserialize)]
struct ProcessBody {
    #[serde(default)]
    document_ids: Vec<Value>,
}

fn id_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn process(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: ProcessBody = body.parse()?;
    if body.document_ids.is_empty() {
        return Err(ApiError::bad_request("document_ids is required"));
    }
    let store = state.store();
    visible_dataset(&store, &authed, &id)?;
    let mut out = Vec::new();
    for doc_id in body.document_ids.iter().map(id_string) {
        let doc = key(&doc_id)
            .and_then(|k| store.knowledge.documents.get(&k))
            .filter(|d| d.dataset_id == id)
            .ok_or_else(|| ApiError::not_found("document_id", &doc_id))?;
        out.push(progress_json(&state, doc));
    }
    Ok(envelope::ok(json!({"data": out})))
}

async fn images(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let page_num = params.int("page_num", 1)?;
    let page_size = params.int("page_size", 10)?;
    if !(1..=299).contains(&page_size) {
        return Err(ApiError::bad_request("page_size must be between 1 and 299"));
    }
    let keyword = params.get("keyword").map(str::to_lowercase);
    let has_caption = params.get("has_caption").map(|v| v == "true");
    let store = state.store();
    let ds = visible_dataset(&store, &authed, &id)?;
    if ds.format_type != 2 {
        return Err(ApiError::bad_request(format!(
            "dataset {id} is not an image dataset (format_type {})",
            ds.format_type
        )));
    }
    let all: Vec<&DocumentRecord> = store
        .knowledge
        .documents
        .values()
        .filter(|d| d.dataset_id == id)
        .filter(|d| {
            keyword
                .as_ref()
                .is_none_or(|k| d.caption.to_lowercase().contains(k))
        })
        .filter(|d| has_caption.is_none_or(|h| h != d.caption.is_empty()))
        .collect();
    let page: Vec<Value> = all
        .iter()
        .skip(page_start(page_num, page_size))
        .take(page_size as usize)
        .map(|d| {
            json!({
                "url": d.url,
                "name": d.name,
                "size": d.size,
                "type": d.kind,
                "status": if progress(&state, d) >= 100 { 1 } else { 0 },
                "caption": d.caption,
                "creator_id": d.creator_id,
                "create_time": d.created_at,
                "document_id": d.id,
                "source_type": d.source_type,
                "update_time": d.updated_at,
            })
        })
        .collect();
    Ok(envelope::ok(
        json!({"photo_infos": page, "total_count": all.len()}),
    ))
}

#[derive(Deserialize)]
struct CaptionBody {
    #[serde(default)]
    caption: Option<String>,
}

async fn update_image(
    State(state): State<AppState>,
    authed: Authed,
    Path((id, doc_id)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: CaptionBody = body.parse()?;
    let caption = body
        .caption
        .ok_or_else(|| ApiError::bad_request("caption is required"))?;
    let now = state.now();
    let mut store = state.store();
    visible_dataset(&store, &authed, &id)?;
    let doc = key(&doc_id)
        .and_then(|k| store.knowledge.documents.get_mut(&k))
        .filter(|d| d.dataset_id == id)
        .ok_or_else(|| ApiError::not_found("document_id", &doc_id))?;
    doc.caption = caption;
    doc.updated_at = now;
    Ok(envelope::ok(json!({})))
}

#[derive(Deserialize)]
struct DocCreateBody {
    #[serde(default, deserialize_with = "opt_id")]
    dataset_id: Option<String>,
    #[serde(default)]
    document_bases: Vec<DocumentBase>,
}

#[derive(Deserialize)]
struct DocumentBase {
    #[serde(default)]
    name: String,
    #[serde(default)]
    source_info: SourceInfo,
    #[serde(default)]
    update_rule: Option<UpdateRule>,
    #[serde(default)]
    caption: Option<String>,
}

#[derive(Deserialize, Default)]
struct SourceInfo {
    #[serde(default)]
    file_base64: Option<String>,
    #[serde(default)]
    file_type: Option<String>,
    #[serde(default)]
    web_url: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    source_file_id: Option<String>,
    #[serde(default)]
    document_source: Option<i64>,
}

#[derive(Deserialize, Clone, Copy)]
struct UpdateRule {
    #[serde(default)]
    update_type: i64,
    #[serde(default)]
    update_interval: i64,
}

fn top_level(fields: Value) -> Response {
    let map: Map<String, Value> = match fields {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    envelope::ok_top_level(map)
}

async fn doc_create(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: DocCreateBody = body.parse()?;
    let dataset_id = body
        .dataset_id
        .ok_or_else(|| ApiError::bad_request("dataset_id is required"))?;
    if body.document_bases.is_empty() {
        return Err(ApiError::bad_request("document_bases is required"));
    }
    if body.document_bases.len() > 10 {
        return Err(ApiError::bad_request(
            "at most 10 documents can be added in one request",
        ));
    }
    let now = state.now();
    let skew = state.clock_skew();
    let mut store = state.store();
    let ds = visible_dataset(&store, &authed, &dataset_id)?.clone();
    let mut made = Vec::new();
    for base in body.document_bases {
        let src = base.source_info;
        let (data, kind, source_type, url) = if let Some(b64) = &src.file_base64 {
            let data = base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .map_err(|_| {
                    ApiError::bad_request("source_info.file_base64 is not valid base64")
                })?;
            let kind = src.file_type.clone().unwrap_or_else(|| "txt".into());
            (data, kind, 0, String::new())
        } else if let Some(file_id) = &src.source_file_id {
            let file = store
                .files
                .get(file_id)
                .ok_or_else(|| ApiError::not_found("source_file_id", file_id))?;
            let kind = file
                .name
                .rsplit_once('.')
                .map(|(_, e)| e.to_lowercase())
                .unwrap_or_else(|| "txt".into());
            (file.data.to_vec(), kind, 5, String::new())
        } else if let Some(url) = src.web_url.as_ref().filter(|u| !u.is_empty()) {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(ApiError::bad_request(format!(
                    "source_info.web_url must be an http(s) URL, got {url:?}"
                )));
            }
            let text = format!("Web page {url} (the emulator does not fetch pages)");
            (
                text.into_bytes(),
                "html".into(),
                src.document_source.unwrap_or(1),
                url.clone(),
            )
        } else {
            return Err(ApiError::bad_request(
                "source_info needs file_base64, source_file_id or web_url",
            ));
        };
        if ds.format_type == 2
            && !matches!(
                kind.as_str(),
                "jpg" | "jpeg" | "png" | "gif" | "webp" | "bmp"
            )
            && source_type != 1
        {
            return Err(ApiError::bad_request(format!(
                "an image dataset takes images (jpg, png, ...), got {kind}"
            )));
        }
        let id = state.new_id();
        let name = if base.name.trim().is_empty() {
            format!("document-{id}.{kind}")
        } else {
            base.name
        };
        let rule = base.update_rule.unwrap_or(UpdateRule {
            update_type: 0,
            update_interval: 24,
        });
        let record = DocumentRecord {
            id: id.clone(),
            dataset_id: dataset_id.clone(),
            name,
            kind,
            source_type,
            size: data.len() as u64,
            char_count: String::from_utf8_lossy(&data).chars().count() as u64,
            url: if url.is_empty() {
                format!("https://emulator.invalid/knowledge/{id}")
            } else {
                url
            },
            caption: base.caption.unwrap_or_default(),
            update_type: rule.update_type,
            update_interval: rule.update_interval,
            creator_id: authed.user_id().to_string(),
            created_at: now,
            updated_at: now,
            started: Instant::now(),
            skew_at_start: skew,
        };
        made.push(document_json(&state, &ds, &record));
        store
            .knowledge
            .documents
            .insert(key(&id).unwrap_or_default(), record);
    }
    Ok(top_level(json!({"document_infos": made})))
}

#[derive(Deserialize)]
struct DocUpdateBody {
    #[serde(default, deserialize_with = "opt_id")]
    document_id: Option<String>,
    #[serde(default)]
    document_name: Option<String>,
    #[serde(default)]
    update_rule: Option<UpdateRule>,
}

async fn doc_update(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: DocUpdateBody = body.parse()?;
    let doc_id = body
        .document_id
        .ok_or_else(|| ApiError::bad_request("document_id is required"))?;
    let now = state.now();
    let mut store = state.store();
    let dataset_id = key(&doc_id)
        .and_then(|k| store.knowledge.documents.get(&k))
        .map(|d| d.dataset_id.clone())
        .ok_or_else(|| ApiError::not_found("document_id", &doc_id))?;
    visible_dataset(&store, &authed, &dataset_id)
        .map_err(|_| ApiError::not_found("document_id", &doc_id))?;
    if let Some(doc) = key(&doc_id).and_then(|k| store.knowledge.documents.get_mut(&k)) {
        if let Some(name) = body.document_name.filter(|n| !n.trim().is_empty()) {
            doc.name = name;
        }
        if let Some(rule) = body.update_rule {
            doc.update_type = rule.update_type;
            doc.update_interval = rule.update_interval;
        }
        doc.updated_at = now;
    }
    Ok(top_level(json!({})))
}

#[derive(Deserialize)]
struct DocDeleteBody {
    #[serde(default)]
    document_ids: Vec<Value>,
}

async fn doc_delete(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: DocDeleteBody = body.parse()?;
    if body.document_ids.is_empty() {
        return Err(ApiError::bad_request("document_ids is required"));
    }
    if body.document_ids.len() > 100 {
        return Err(ApiError::bad_request(
            "at most 100 documents can be deleted in one request",
        ));
    }
    let mut store = state.store();
    for doc_id in body.document_ids.iter().map(id_string) {
        let dataset_id = key(&doc_id)
            .and_then(|k| store.knowledge.documents.get(&k))
            .map(|d| d.dataset_id.clone())
            .ok_or_else(|| ApiError::not_found("document_id", &doc_id))?;
        visible_dataset(&store, &authed, &dataset_id)
            .map_err(|_| ApiError::not_found("document_id", &doc_id))?;
    }
    for doc_id in body.document_ids.iter().map(id_string) {
        if let Some(k) = key(&doc_id) {
            store.knowledge.documents.remove(&k);
        }
    }
    Ok(top_level(json!({})))
}

#[derive(Deserialize)]
struct DocListBody {
    #[serde(default, deserialize_with = "opt_id")]
    dataset_id: Option<String>,
    #[serde(default)]
    page: Option<i64>,
    #[serde(default)]
    size: Option<i64>,
}

async fn doc_list(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: DocListBody = body.parse()?;
    let dataset_id = body
        .dataset_id
        .ok_or_else(|| ApiError::bad_request("dataset_id is required"))?;
    list_documents(&state, &authed, &dataset_id, body.page, body.size)
}

/// The same list as a GET with `dataset_id`, `page` and `size` in the query: what the
/// deprecated `knowledge.documents.list` of @coze/api sends.
async fn doc_list_query(
    State(state): State<AppState>,
    authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let dataset_id = params.require("dataset_id")?.to_string();
    let page = params.int("page", 1)?;
    let size = params.int("size", 10)?;
    list_documents(&state, &authed, &dataset_id, Some(page), Some(size))
}

fn list_documents(
    state: &AppState,
    authed: &Authed,
    dataset_id: &str,
    page: Option<i64>,
    size: Option<i64>,
) -> Result<Response, ApiError> {
    let page = page.unwrap_or(1);
    let size = size.unwrap_or(10);
    if !(1..=300).contains(&size) {
        return Err(ApiError::bad_request("size must be between 1 and 300"));
    }
    let store = state.store();
    let ds = visible_dataset(&store, authed, dataset_id)?;
    let all: Vec<&DocumentRecord> = store
        .knowledge
        .documents
        .values()
        .filter(|d| d.dataset_id == dataset_id)
        .collect();
    let items: Vec<Value> = all
        .iter()
        .skip(page_start(page, size))
        .take(size as usize)
        .map(|d| document_json(state, ds, d))
        .collect();
    Ok(top_level(
        json!({"document_infos": items, "total": all.len()}),
    ))
}
