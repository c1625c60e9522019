//! Request body limits, applied before anything reads a body.
//!
//! | Route kind | Limit |
//! | --- | --- |
//! | `POST /v1/files/upload` (multipart) | `EmulatorConfig::max_upload_bytes` plus 1 MiB for the multipart framing (a file between the two gets Coze's 4302) |
//! | every other route (JSON bodies) | 4 MiB: far above what the Coze docs allow a request to carry (100 messages, 16 × 512-character metadata) |
//!
//! A body whose `Content-Length` is beyond its limit gets HTTP 413 (code 4000, a message
//! naming the limit) before a byte of it is read; a chunked body is cut off at the limit
//! (413 as well), so no more than the limit is ever held. The token and the path are checked
//! before the body is read too: handlers take the token before the body, and unknown paths
//! never read it. Any response sent while the request body is still unread says
//! `Connection: close`, so a client never reuses a connection with a body half-sent on it.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};

use crate::envelope::ApiError;
use crate::state::AppState;

/// Limit of JSON request bodies.
pub const JSON_BODY_LIMIT: u64 = 4 * 1024 * 1024;
/// Room for the multipart framing around an uploaded file.
pub const MULTIPART_OVERHEAD: u64 = 1024 * 1024;

/// The body limit of a request to `path`.
pub fn limit_for(state: &AppState, path: &str) -> u64 {
    if path == "/v1/files/upload" {
        state
            .settings()
            .max_upload_bytes
            .saturating_add(MULTIPART_OVERHEAD)
    } else {
        JSON_BODY_LIMIT
    }
}

/// The 413 answer for a body beyond `limit`.
pub fn too_large(limit: u64) -> ApiError {
    ApiError::bad_request(format!(
        "the request body is larger than this endpoint accepts ({limit} bytes); send less"
    ))
    .with_status(StatusCode::PAYLOAD_TOO_LARGE)
}

/// Middleware: refuses declared oversize bodies unread, caps the rest, and marks responses
/// sent before the body was read with `Connection: close`.
pub async fn middleware(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = limit_for(&state, request.uri().path());
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    let chunked = request.headers().contains_key(header::TRANSFER_ENCODING);
    if declared.is_some_and(|n| n > limit) {
        return close(too_large(limit).into_response());
    }
    let has_body = chunked || declared.is_some_and(|n| n > 0);
    let (parts, body) = request.into_parts();
    let finished = Arc::new(AtomicBool::new(!has_body));
    let body = Body::new(Capped {
        inner: body,
        remaining: limit,
        finished: finished.clone(),
    });
    let response = next.run(Request::from_parts(parts, body)).await;
    if finished.load(Ordering::Acquire) {
        response
    } else {
        close(response)
    }
}

fn close(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// A body that fails past `remaining` bytes and records when it was read to the end.
struct Capped {
    inner: Body,
    remaining: u64,
    finished: Arc<AtomicBool>,
}

/// The error a capped body ends with; `JsonBody` and the upload turn it into 413.
#[derive(Debug)]
pub struct BodyTooLarge;

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("request body too large")
    }
}

impl std::error::Error for BodyTooLarge {}

impl HttpBody for Capped {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(None) => {
                this.finished.store(true, Ordering::Release);
                Poll::Ready(None)
            }
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    let len = data.len() as u64;
                    if len > this.remaining {
                        return Poll::Ready(Some(Err(Box::new(BodyTooLarge))));
                    }
                    this.remaining -= len;
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(e.into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// True when `error` (from reading a body) is the cap of this module.
pub fn is_too_large(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = current {
        if e.is::<BodyTooLarge>() {
            return true;
        }
        current = e.source();
    }
    false
}
