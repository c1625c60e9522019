//! A local Coze (扣子) server that the official Coze SDKs accept: test integrations offline.
//!
//! (Full crate docs below are being written; see the module docs meanwhile.)

pub mod auth;
pub mod bots;
pub mod engine;
pub mod envelope;
pub mod faults;
pub mod oauth;
pub mod plugins;
pub mod routes;
pub mod sse;
pub mod state;
pub mod workflows;

use std::fmt;
use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::Context as _;
use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use crate::faults::{FaultConfig, Faults};
pub use crate::state::{AppState, BotIds, Settings};

/// How to start an emulator; `Default` is a free port on 127.0.0.1 and a random PAT.
///
/// # Security
/// Debug never prints the PAT.
#[derive(Clone)]
pub struct EmulatorConfig {
    /// Address to listen on (`127.0.0.1:0` takes a free port).
    pub listen: SocketAddr,
    /// The personal access token to accept; `None` makes a random `pat_…` one.
    pub pat: Option<String>,
    /// Lifetime of the PAT; `None` never expires.
    pub pat_ttl: Option<Duration>,
    /// Lifetime of OAuth access tokens the emulator issues.
    pub token_ttl: Duration,
    /// A non-streaming chat completes on its first retrieve, or by itself after this long.
    pub chat_auto_complete_after: Duration,
    /// Pause between the deltas of a streamed answer (makes streaming visible in demos).
    pub delta_delay: Duration,
    /// Largest file `/v1/files/upload` accepts; larger ones get 4302 (default 512 MB).
    pub max_upload_bytes: u64,
    /// How long the slow scripted workflow runs (default 3 s).
    pub slow_workflow: Duration,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            pat: None,
            pat_ttl: None,
            token_ttl: Duration::from_secs(15 * 60),
            chat_auto_complete_after: Duration::from_secs(3),
            delta_delay: Duration::ZERO,
            max_upload_bytes: 512 * 1024 * 1024,
            slow_workflow: Duration::from_secs(3),
        }
    }
}

impl fmt::Debug for EmulatorConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorConfig")
            .field("listen", &self.listen)
            .field("pat", &self.pat.as_ref().map(|_| "[redacted]"))
            .field("pat_ttl", &self.pat_ttl)
            .field("token_ttl", &self.token_ttl)
            .field("chat_auto_complete_after", &self.chat_auto_complete_after)
            .field("delta_delay", &self.delta_delay)
            .field("max_upload_bytes", &self.max_upload_bytes)
            .field("slow_workflow", &self.slow_workflow)
            .finish()
    }
}

/// A running emulator. Stops when dropped (abruptly) or on [`Emulator::shutdown`] (gracefully).
///
/// # Security
/// Debug never prints the PAT.
pub struct Emulator {
    base_url: String,
    pat: String,
    state: AppState,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

impl fmt::Debug for Emulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Emulator")
            .field("base_url", &self.base_url)
            .field("pat", &"[redacted]")
            .finish_non_exhaustive()
    }
}

impl Emulator {
    /// Starts an emulator on a free port of 127.0.0.1 with a random PAT.
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start() -> anyhow::Result<Emulator> {
        Emulator::start_with(EmulatorConfig::default()).await
    }

    /// Starts an emulator as configured.
    ///
    /// # Errors
    /// When the listen address cannot be bound (in use, not a local address, no permission).
    pub async fn start_with(config: EmulatorConfig) -> anyhow::Result<Emulator> {
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let mut addr = listener
            .local_addr()
            .context("cannot read the bound address")?;
        if addr.ip().is_unspecified() {
            // Listening on all interfaces: tell clients the loopback address.
            addr.set_ip(Ipv4Addr::LOCALHOST.into());
        }
        let pat = config
            .pat
            .clone()
            .map(|p| p.trim().to_string())
            .filter(|p| !p.is_empty());
        let pat = pat.unwrap_or_else(random_pat);
        let settings = Settings {
            token_ttl: config.token_ttl,
            chat_auto_complete_after: config.chat_auto_complete_after,
            delta_delay: config.delta_delay,
            max_upload_bytes: config.max_upload_bytes,
            slow_workflow: config.slow_workflow,
        };
        let state = AppState::new(&pat, config.pat_ttl, settings);
        let app = router(state.clone());
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        Ok(Emulator {
            base_url: format!("http://{addr}"),
            pat,
            state,
            shutdown: Some(tx),
            server: Some(server),
        })
    }

    /// The base URL clients use, e.g. `http://127.0.0.1:43117` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The personal access token the emulator accepts.
    pub fn pat(&self) -> &str {
        &self.pat
    }

    /// The personal workspace (where the demo bots live).
    pub fn workspace_id(&self) -> &str {
        &self.state.ids().workspace_id
    }

    /// The ids of the demo bots.
    pub fn bots(&self) -> &BotIds {
        &self.state.ids().bots
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        self.state.faults()
    }

    /// The server state (for tests that look inside).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The `coze emulator --json` object: `{"base_url","pat","workspace_id","bots":{…}}` plus
    /// the keys other features register in `Store::info_extras`.
    pub fn info(&self) -> Value {
        let mut info = json!({
            "base_url": self.base_url,
            "pat": self.pat,
            "workspace_id": self.workspace_id(),
            "bots": self.bots(),
            "glif": plugins::info(&self.base_url, &self.state),
        });
        if let Some(object) = info.as_object_mut() {
            let extras = self.state.store().info_extras.clone();
            object.extend(extras);
        }
        info
    }

    /// Serves until `signal` completes, then shuts down gracefully.
    ///
    /// # Errors
    /// When the server failed while serving.
    pub async fn serve_until(self, signal: impl Future<Output = ()>) -> anyhow::Result<()> {
        signal.await;
        self.shutdown().await
    }

    /// Serves until Ctrl-C (what `coze emulator` does), then shuts down gracefully.
    ///
    /// # Errors
    /// When Ctrl-C cannot be listened for, or the server failed.
    pub async fn serve_until_ctrl_c(self) -> anyhow::Result<()> {
        tokio::signal::ctrl_c()
            .await
            .context("cannot listen for Ctrl-C")?;
        self.shutdown().await
    }

    /// Stops accepting connections and waits (at most 5 s) for open ones to finish.
    ///
    /// # Errors
    /// When the server task failed.
    pub async fn shutdown(mut self) -> anyhow::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let Some(mut server) = self.server.take() else {
            return Ok(());
        };
        match tokio::time::timeout(Duration::from_secs(5), &mut server).await {
            Ok(joined) => joined
                .context("emulator task failed")?
                .context("emulator server failed"),
            Err(_) => {
                server.abort();
                Ok(())
            }
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// The emulator's whole HTTP surface for `state` (tests can call it without a port).
pub fn router(state: AppState) -> Router {
    routes::routes()
        .fallback(unknown_endpoint)
        .layer(from_fn_with_state(state.clone(), faults::middleware))
        .with_state(state)
}

async fn unknown_endpoint(request: axum::extract::Request) -> Response {
    let msg = format!(
        "the coze emulator does not implement {} {}",
        request.method(),
        request.uri().path()
    );
    envelope::ApiError::new(4000, msg)
        .with_status(axum::http::StatusCode::NOT_FOUND)
        .into_response()
}

fn random_pat() -> String {
    let mut rng = rand::thread_rng();
    let hi: u128 = rng.r#gen();
    format!("pat_emulator_{hi:032x}")
}
