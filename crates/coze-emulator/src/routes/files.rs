//! Files: `POST /v1/files/upload` (multipart, one part named `file`) and
//! `GET /v1/files/retrieve?file_id=`, both answering `{id, bytes, file_name, created_at}`.
//!
//! Files are kept in memory. Errors: 4300 empty file, 4301 more than one file, 4302 larger
//! than `EmulatorConfig::max_upload_bytes` (the rest of an oversized body is read and
//! dropped so the client sees the error instead of a reset connection).

use axum::Router;
use axum::extract::multipart::{Field, Multipart, MultipartRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::response::Response;
use axum::routing::{get, post};
use bytes::{Bytes, BytesMut};
use serde_json::{Value, json};

use super::Params;
use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::state::AppState;

/// An uploaded file.
#[derive(Debug, Clone)]
pub struct FileRecord {
    pub id: String,
    pub name: String,
    pub bytes: u64,
    pub content_type: String,
    pub created_at: i64,
    pub uploader_id: String,
    pub data: Bytes,
}

impl FileRecord {
    /// The File object of the wire.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "bytes": self.bytes,
            "file_name": self.name,
            "created_at": self.created_at,
        })
    }
}

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        // The size limit is ours (4302), not axum's default 2 MB body limit.
        .route(
            "/v1/files/upload",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/v1/files/retrieve", get(retrieve))
}

/// Reads one field, keeping at most `limit` bytes; `Err(total)` when it is larger.
async fn read_limited(field: &mut Field<'_>, limit: u64) -> Result<Result<Bytes, u64>, ApiError> {
    let mut data = BytesMut::new();
    let mut total: u64 = 0;
    while let Some(chunk) = field.chunk().await.map_err(read_error)? {
        total += chunk.len() as u64;
        if total <= limit {
            data.extend_from_slice(&chunk);
        } else {
            data.clear();
        }
    }
    Ok(if total <= limit {
        Ok(data.freeze())
    } else {
        Err(total)
    })
}

fn read_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE || crate::limits::is_too_large(&e) {
        return crate::limits::too_large(crate::limits::MULTIPART_OVERHEAD);
    }
    ApiError::bad_request(format!("could not read the multipart body: {e}"))
}

async fn upload(
    State(state): State<AppState>,
    authed: Authed,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::bad_request(format!(
            "the upload must be multipart/form-data with a part named \"file\": {e}"
        ))
    })?;
    let limit = state.settings().max_upload_bytes;
    let mut file: Option<(String, String, Bytes)> = None;
    let mut failure: Option<ApiError> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(read_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .filter(|n| !n.is_empty())
            .unwrap_or("file")
            .to_string();
        let content_type = field
            .content_type()
            .unwrap_or("application/octet-stream")
            .to_string();
        let data = read_limited(&mut field, limit).await?;
        if failure.is_some() {
            continue;
        }
        match data {
            _ if file.is_some() => {
                failure = Some(ApiError::new(
                    4301,
                    "only one file can be uploaded per request",
                ));
            }
            Err(total) => {
                failure = Some(ApiError::new(
                    4302,
                    format!("file {name} is too large: {total} bytes, the limit is {limit} bytes"),
                ));
            }
            Ok(data) if data.is_empty() => {
                failure = Some(ApiError::new(4300, format!("file {name} is empty")));
            }
            Ok(data) => file = Some((name, content_type, data)),
        }
    }
    if let Some(error) = failure {
        return Err(error);
    }
    let (name, content_type, data) =
        file.ok_or_else(|| ApiError::bad_request("the multipart body has no part named \"file\""))?;
    let record = FileRecord {
        id: state.new_id(),
        name,
        bytes: data.len() as u64,
        content_type,
        created_at: state.now(),
        uploader_id: authed.user_id().to_string(),
        data,
    };
    let body = record.to_json();
    state.store().files.insert(record.id.clone(), record);
    Ok(envelope::ok(body))
}

async fn retrieve(
    State(state): State<AppState>,
    _authed: Authed,
    params: Params,
) -> Result<Response, ApiError> {
    let file_id = params.require("file_id")?;
    let store = state.store();
    let file = store
        .files
        .get(file_id)
        .ok_or_else(|| ApiError::not_found("file_id", file_id))?;
    Ok(envelope::ok(file.to_json()))
}
