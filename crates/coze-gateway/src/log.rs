//! The request log: one line per answered request, with the service, method, path (no query:
//! it may hold secrets), status, duration, the client key's id and the outcome. Never a
//! header or a body, so no token or key reaches it.

use axum::Router;
use axum::extract::{OriginalUri, Request};
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;

/// What a handler tells the log about how a request ended (`succeeded`, `bad_request`, ...).
/// Put it in the response's extensions.
#[derive(Debug, Clone)]
pub struct Outcome(pub String);

/// What the request was about (a model, a glif id), for the log. Response extension.
#[derive(Debug, Clone)]
pub struct Subject(pub String);

/// The id of the client key that made the request (never the key). Response extension, set
/// by [`crate::keys::require_key`].
#[derive(Debug, Clone)]
pub struct KeyId(pub String);

/// Adds the request log to every route of `router`, as `service`.
pub fn with_request_log<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    service: &'static str,
) -> Router<S> {
    router.route_layer(axum::middleware::from_fn(
        move |req: Request, next: Next| log_request(service, req, next),
    ))
}

async fn log_request(service: &'static str, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request
        .extensions()
        .get::<OriginalUri>()
        .map_or_else(|| request.uri().path().to_owned(), |u| u.path().to_owned());
    let response = next.run(request).await;
    let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let ext = response.extensions();
    let outcome = ext.get::<Outcome>().map_or("-", |o| o.0.as_str());
    let subject = ext.get::<Subject>().map_or("-", |s| s.0.as_str());
    let key = ext.get::<KeyId>().map_or("-", |k| k.0.as_str());
    let status = response.status().as_u16();
    if response.status().is_success() {
        tracing::info!(service, %method, %path, status, duration_ms, subject, key, outcome, "request");
    } else {
        tracing::warn!(service, %method, %path, status, duration_ms, subject, key, outcome, "request");
    }
    response
}
