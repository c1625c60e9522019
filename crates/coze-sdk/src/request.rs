//! The description of one API call (method, path, query, JSON or multipart body, idempotency,
//! envelope, auth, timeout), built by resource modules and sent by the client. Nothing here
//! does I/O except turning multipart parts into a reqwest form when the client sends them.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use reqwest::Method;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::secret::Secret;

/// Percent-encodes one path segment (an id placed in a path).
pub(crate) fn path_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Which part of a successful JSON body holds the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Envelope {
    /// The standard envelope: the payload is `data` (absent or `null` decode from JSON null).
    Data,
    /// The payload is the named top-level field (e.g. `message` for message modify).
    Field(&'static str),
    /// The whole body (top-level lists, workflow run, bare OAuth JSON).
    Whole,
}

/// How the request is authorised.
#[derive(Debug, Clone)]
#[allow(dead_code)]
pub(crate) enum Auth {
    /// `Authorization: Bearer <token from the client's TokenSource>`.
    Token,
    /// `Authorization: Bearer <this secret>`; no invalidate/retry on 401.
    Bearer(Secret),
    /// No `Authorization` header.
    None,
}

/// One part of a multipart body. Data is `Bytes`, so rebuilding the form for a retry is cheap.
#[derive(Debug, Clone)]
pub(crate) struct MultipartPart {
    pub(crate) name: String,
    pub(crate) file_name: Option<String>,
    pub(crate) content_type: Option<String>,
    pub(crate) data: Bytes,
    /// Called as the part's bytes are handed to the connection (uploads of large files).
    pub(crate) progress: Option<UploadProgress>,
}

/// An upload progress callback: `(bytes sent, total bytes)`.
#[derive(Clone)]
pub(crate) struct UploadProgress(pub(crate) Arc<dyn Fn(u64, u64) + Send + Sync>);

impl std::fmt::Debug for UploadProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UploadProgress")
    }
}

/// A body that sends `data` in 64 KiB chunks, reporting each one to `progress`.
fn progress_body(data: Bytes, progress: UploadProgress) -> reqwest::Body {
    const CHUNK: usize = 64 * 1024;
    let total = data.len() as u64;
    let chunks: Vec<Bytes> = (0..data.len())
        .step_by(CHUNK)
        .map(|start| data.slice(start..(start + CHUNK).min(data.len())))
        .collect();
    let reported = chunks.into_iter().scan(0u64, move |sent, chunk| {
        *sent += chunk.len() as u64;
        (progress.0)(*sent, total);
        Some(Ok::<Bytes, std::io::Error>(chunk))
    });
    reqwest::Body::wrap_stream(futures_util::stream::iter(reported))
}

impl MultipartPart {
    /// A file part.
    pub(crate) fn file(name: impl Into<String>, file_name: impl Into<String>, data: Bytes) -> Self {
        Self {
            name: name.into(),
            file_name: Some(file_name.into()),
            content_type: None,
            data,
            progress: None,
        }
    }

    /// A plain text field.
    #[allow(dead_code)]
    pub(crate) fn text(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            file_name: None,
            content_type: None,
            data: Bytes::from(value.into()),
            progress: None,
        }
    }

    /// Sets the part's MIME type.
    pub(crate) fn content_type(mut self, mime: impl Into<String>) -> Self {
        self.content_type = Some(mime.into());
        self
    }
}

pub(crate) fn build_form(parts: &[MultipartPart]) -> Result<reqwest::multipart::Form> {
    let mut form = reqwest::multipart::Form::new();
    for p in parts {
        let mut part = match &p.progress {
            Some(progress) => reqwest::multipart::Part::stream_with_length(
                progress_body(p.data.clone(), progress.clone()),
                p.data.len() as u64,
            ),
            None => reqwest::multipart::Part::stream(reqwest::Body::from(p.data.clone())),
        };
        if let Some(name) = &p.file_name {
            part = part.file_name(name.clone());
        }
        if let Some(mime) = &p.content_type {
            part = part
                .mime_str(mime)
                .map_err(|_| Error::InvalidRequest(format!("invalid MIME type `{mime}`")))?;
        }
        form = form.part(p.name.clone(), part);
    }
    Ok(form)
}

/// The body of an [`ApiRequest`].
#[derive(Debug, Clone)]
pub(crate) enum RequestBody {
    None,
    Json(Bytes),
    Multipart(Vec<MultipartPart>),
}

/// A description of one API call; see the module docs.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) path: String,
    pub(crate) query: Vec<(&'static str, String)>,
    pub(crate) body: RequestBody,
    pub(crate) idempotent: bool,
    pub(crate) envelope: Envelope,
    pub(crate) auth: Auth,
    pub(crate) timeout: Option<Duration>,
}

impl ApiRequest {
    /// A request with `method` to `path` (starting with `/`), standard envelope, token auth.
    pub(crate) fn new(method: Method, path: impl Into<String>) -> Self {
        let idempotent = method != Method::POST && method != Method::PATCH;
        Self {
            method,
            path: path.into(),
            query: Vec::new(),
            body: RequestBody::None,
            idempotent,
            envelope: Envelope::Data,
            auth: Auth::Token,
            timeout: None,
        }
    }

    /// `GET path` (idempotent).
    pub(crate) fn get(path: impl Into<String>) -> Self {
        Self::new(Method::GET, path)
    }

    /// `POST path` (not idempotent unless marked).
    pub(crate) fn post(path: impl Into<String>) -> Self {
        Self::new(Method::POST, path)
    }

    /// `PUT path` (idempotent).
    pub(crate) fn put(path: impl Into<String>) -> Self {
        Self::new(Method::PUT, path)
    }

    /// `DELETE path` (idempotent).
    pub(crate) fn delete(path: impl Into<String>) -> Self {
        Self::new(Method::DELETE, path)
    }

    /// Adds a query pair.
    pub(crate) fn query(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.query.push((key, value.into()));
        self
    }

    /// Adds a query pair when `value` is `Some`.
    pub(crate) fn query_opt(self, key: &'static str, value: Option<impl Into<String>>) -> Self {
        match value {
            Some(v) => self.query(key, v),
            None => self,
        }
    }

    /// Sets a JSON body.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] when `body` cannot be serialised.
    pub(crate) fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| Error::InvalidRequest(format!("cannot encode the request body: {e}")))?;
        self.body = RequestBody::Json(Bytes::from(bytes));
        Ok(self)
    }

    /// Sets a multipart body.
    pub(crate) fn multipart(mut self, parts: Vec<MultipartPart>) -> Self {
        self.body = RequestBody::Multipart(parts);
        self
    }

    /// Marks whether sending the request twice is harmless (reads, updates, deletes).
    pub(crate) fn idempotent(mut self, yes: bool) -> Self {
        self.idempotent = yes;
        self
    }

    /// Selects where the payload sits in the response body.
    pub(crate) fn envelope(mut self, envelope: Envelope) -> Self {
        self.envelope = envelope;
        self
    }

    /// Selects the authorisation.
    #[allow(dead_code)]
    pub(crate) fn auth(mut self, auth: Auth) -> Self {
        self.auth = auth;
        self
    }

    /// Overrides the client's request timeout for this (non-streaming) request.
    pub(crate) fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
}
