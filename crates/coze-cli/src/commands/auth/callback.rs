//! The loopback listener that receives the browser's redirect after PKCE / web-app consent.
//!
//! It listens on the exact host, port and path of the registered redirect URI (Coze compares
//! the redirect URI exactly, so it cannot pick a free port itself), on loopback only, answers
//! that one path (404 for anything else, such as `/favicon.ico`), and stops after the first
//! real answer or the timeout. A `state` that does not match the one we sent ends the login
//! without exchanging the code: such a request did not come from the consent we started.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use coze_sdk::Secret;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use url::Url;

use crate::error::CliError;

/// The redirect URI Coze's docs and examples use; the app's setting must match it exactly.
pub const DEFAULT_REDIRECT_URI: &str = "http://127.0.0.1:8080/callback";

/// What the browser brought back.
#[derive(Debug)]
enum Outcome {
    Code(Secret),
    StateMismatch,
    Denied {
        error: String,
        description: Option<String>,
    },
}

#[derive(Debug)]
struct Shared {
    state: Secret,
    done: Mutex<Option<oneshot::Sender<Outcome>>>,
}

/// A bound, not yet answering, callback listener.
#[derive(Debug)]
pub struct CallbackListener {
    listener: TcpListener,
    path: String,
}

impl CallbackListener {
    /// Binds the host and port of `redirect_uri`.
    ///
    /// # Errors
    ///
    /// A usage error when the URI is not `http` on a loopback host, or when the port is taken
    /// (with the hint to register another redirect URI and pass `--redirect-uri`).
    pub async fn bind(redirect_uri: &Url) -> anyhow::Result<Self> {
        let addr = loopback_addr(redirect_uri)?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| bind_error(redirect_uri, addr, &e))?;
        Ok(Self {
            listener,
            path: redirect_uri.path().to_owned(),
        })
    }

    /// The address actually bound.
    ///
    /// # Errors
    ///
    /// The OS cannot report it.
    #[cfg(test)]
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until the browser returns with a code (or an error), or `timeout` passes.
    /// Returns the authorization code.
    ///
    /// # Errors
    ///
    /// Consent denied, a `state` mismatch, or no answer in time; each with a hint.
    pub async fn wait(self, state: &Secret, timeout: Duration) -> anyhow::Result<Secret> {
        let (done_tx, done_rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            state: state.clone(),
            done: Mutex::new(Some(done_tx)),
        });
        let router = axum::Router::new()
            .route(&self.path, get(callback))
            .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") })
            .with_state(shared);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            let _ = axum::serve(self.listener, router)
                .with_graceful_shutdown(async {
                    let _ = stop_rx.await;
                })
                .await;
        });
        let outcome = tokio::time::timeout(timeout, done_rx).await;
        let _ = stop_tx.send(());
        // Let the page reach the browser, but do not hang on a keep-alive connection.
        let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
        match outcome {
            Ok(Ok(Outcome::Code(code))) => Ok(code),
            Ok(Ok(Outcome::StateMismatch)) => Err(CliError::failed(
                "the browser came back with a different `state` than this login sent; no code was exchanged",
            )
            .with_hint("start `coze auth login` again and finish it in the browser tab it opens")
            .into()),
            Ok(Ok(Outcome::Denied { error, description })) => {
                let detail = description.map(|d| format!(": {d}")).unwrap_or_default();
                let message = if error == "access_denied" {
                    format!("authorization was denied in the browser{detail}")
                } else {
                    format!("authorization failed: {error}{detail}")
                };
                Err(CliError::failed(message)
                    .with_hint("run `coze auth login` again and choose Authorize; for a team workspace the owner must authorize the app first")
                    .into())
            }
            Ok(Err(_)) => Err(CliError::failed("the callback listener stopped unexpectedly").into()),
            Err(_) => Err(CliError::failed(format!(
                "no answer from the browser within {}s",
                timeout.as_secs()
            ))
            .with_hint("run `coze auth login` again (pass --timeout to wait longer, or --device on a machine without a browser)")
            .into()),
        }
    }
}

async fn callback(
    State(shared): State<Arc<Shared>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let code = params.get("code").filter(|c| !c.is_empty());
    let error = params.get("error").filter(|e| !e.is_empty());
    if code.is_none() && error.is_none() {
        // Not an OAuth answer (a reload without the query): keep waiting for the real one.
        return page(
            StatusCode::BAD_REQUEST,
            "Nothing to do here",
            "This page expects the answer of the Coze login; start it with <code>coze auth login</code>.",
        );
    }
    let state_ok = params
        .get("state")
        .is_some_and(|s| s == shared.state.expose());
    let (outcome, response) = if !state_ok {
        (
            Outcome::StateMismatch,
            page(
                StatusCode::BAD_REQUEST,
                "Login not accepted",
                "This answer does not belong to the login coze started, so it was ignored. You can close this tab.",
            ),
        )
    } else if let Some(error) = error {
        (
            Outcome::Denied {
                error: error.clone(),
                description: params.get("error_description").cloned(),
            },
            page(
                StatusCode::OK,
                "Login cancelled",
                "coze was not authorized. You can close this tab.",
            ),
        )
    } else if let Some(code) = code {
        (
            Outcome::Code(Secret::new(code.clone())),
            page(
                StatusCode::OK,
                "Logged in",
                "coze received the authorization. You can close this tab and return to the terminal.",
            ),
        )
    } else {
        return page(
            StatusCode::BAD_REQUEST,
            "Nothing to do here",
            "Missing code.",
        );
    };
    let sender = shared.done.lock().ok().and_then(|mut d| d.take());
    match sender {
        Some(tx) => {
            let _ = tx.send(outcome);
            response
        }
        None => page(
            StatusCode::GONE,
            "Already done",
            "This login has already finished. You can close this tab.",
        ),
    }
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;margin:4em auto;max-width:32em\"><h1>{title}</h1><p>{body}</p></body></html>"
    );
    (status, [(header::CONNECTION, "close")], Html(html)).into_response()
}

fn loopback_addr(uri: &Url) -> anyhow::Result<SocketAddr> {
    let unusable = |why: &str| {
        CliError::usage(format!("cannot receive the login on redirect URI {uri}: {why}"))
            .with_hint("register a loopback redirect URI such as http://127.0.0.1:8080/callback for the app and pass it with --redirect-uri, or log in with --device")
    };
    if uri.scheme() != "http" {
        return Err(unusable("coze listens with plain http on this machine").into());
    }
    let ip = match uri.host() {
        Some(url::Host::Ipv4(ip)) if ip.is_loopback() => IpAddr::V4(ip),
        Some(url::Host::Ipv6(ip)) if ip.is_loopback() => IpAddr::V6(ip),
        Some(url::Host::Domain("localhost")) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        _ => return Err(unusable("its host is not this machine's loopback address").into()),
    };
    let port = uri.port_or_known_default().unwrap_or(80);
    Ok(SocketAddr::new(ip, port))
}

fn bind_error(uri: &Url, addr: SocketAddr, e: &io::Error) -> anyhow::Error {
    let why = match e.kind() {
        io::ErrorKind::AddrInUse => format!("port {} is already in use", addr.port()),
        io::ErrorKind::PermissionDenied => {
            format!("no permission to listen on port {}", addr.port())
        }
        _ => e.to_string(),
    };
    CliError::usage(format!("cannot listen on {addr} for the login callback: {why}"))
        .with_hint(format!(
            "the redirect URI must match the app's setting exactly: register another one in the Coze console \
             (e.g. http://127.0.0.1:8765/callback) and pass it with --redirect-uri (now {uri})"
        ))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_http_is_accepted() {
        let ok = |s: &str| Url::parse(s).ok().and_then(|u| loopback_addr(&u).ok());
        assert_eq!(
            ok("http://127.0.0.1:8080/callback"),
            Some(SocketAddr::from(([127, 0, 0, 1], 8080)))
        );
        assert_eq!(
            ok("http://localhost/cb"),
            Some(SocketAddr::from(([127, 0, 0, 1], 80)))
        );
        assert!(ok("http://[::1]:9000/cb").is_some());
        assert!(ok("https://127.0.0.1:8080/callback").is_none());
        assert!(ok("http://example.com:8080/callback").is_none());
        assert!(ok("http://0.0.0.0:8080/callback").is_none());
    }

    async fn run(query: &str) -> (anyhow::Result<Secret>, Vec<u16>) {
        let uri = Url::parse("http://127.0.0.1:0/callback").expect("static URL");
        let listener = CallbackListener::bind(&uri).await.expect("bind loopback");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = Secret::new("s123");
        let waiter =
            tokio::spawn(async move { listener.wait(&state, Duration::from_secs(5)).await });
        let http = reqwest::Client::new();
        let mut statuses = Vec::new();
        for url in [
            format!("{base}/favicon.ico"),
            format!("{base}/callback"),
            format!("{base}/callback?{query}"),
        ] {
            let status = http
                .get(url)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0);
            statuses.push(status);
        }
        (waiter.await.expect("join"), statuses)
    }

    #[tokio::test]
    async fn returns_the_code_when_state_matches() {
        let (result, statuses) = run("code=abc&state=s123").await;
        assert_eq!(result.expect("code").expose(), "abc");
        assert_eq!(statuses, vec![404, 400, 200]);
    }

    #[tokio::test]
    async fn state_mismatch_and_denial_are_errors() {
        let (result, statuses) = run("code=abc&state=evil").await;
        assert!(
            result
                .expect_err("mismatch")
                .to_string()
                .contains("different `state`")
        );
        assert_eq!(statuses[2], 400);
        let (result, _) = run("error=access_denied&state=s123").await;
        assert!(result.expect_err("denied").to_string().contains("denied"));
    }

    #[tokio::test]
    async fn times_out() {
        let uri = Url::parse("http://127.0.0.1:0/cb").expect("static URL");
        let listener = CallbackListener::bind(&uri).await.expect("bind loopback");
        let err = listener
            .wait(&Secret::new("s"), Duration::from_millis(50))
            .await
            .expect_err("timeout");
        assert!(
            err.to_string().contains("no answer from the browser"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn busy_port_says_what_to_do() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = taken.local_addr().expect("addr").port();
        let uri = Url::parse(&format!("http://127.0.0.1:{port}/callback")).expect("URL");
        let err = CallbackListener::bind(&uri).await.expect_err("busy");
        assert!(err.to_string().contains("already in use"), "{err}");
    }
}
