//! The plugin bridge: every configured glif becomes a typed tool Coze imports from
//! `/plugins/glif/openapi.yaml` (or `.json`).
//!
//! Routes (all under `/plugins/glif`):
//!
//! | route | auth | what |
//! | --- | --- | --- |
//! | `GET /openapi.yaml`, `GET /openapi.json` | none | the document Coze imports |
//! | `POST /tools/{tool}` | service token | run and wait up to the sync timeout |
//! | `POST /tools/{tool}/start` | service token | start a run, answer its `run_id` at once |
//! | `GET` or `POST /runs/{run_id}` | service token | poll a run (`poll_run`) |
//!
//! Answers: 200 with a JSON object for a finished run, and also for a run still going when
//! the sync timeout expires (`status: "running"` plus a message telling the model to call
//! `poll_run`, so a slow glif is not lost); 400 for a bad body, 401 without the service
//! token, 404 for an unknown tool or run, 502 when Glif fails, 504 when Glif exceeds the
//! whole-run timeout. Every request is logged by the gateway's request log
//! ([`crate::log`], service `glif`, subject = the glif id).

mod config;
mod handlers;
mod openapi;
mod reply;
mod runs;

pub use config::{
    BridgeConfig, DEFAULT_SERVICE_TOKEN_HEADER, POLL_OPERATION, RUN_GLIF_TOOL, SERVICE_TOKEN_ENV,
    ToolConfig,
};

use crate::glif::{GlifClient, GlifError, GlifInput};
use crate::secret::Secret;
use axum::Router;
use axum::http::HeaderName;
use axum::routing::{get, post};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// The path prefix shared by every bridge route (Coze wants one common prefix on import).
pub const PREFIX: &str = "/plugins/glif";

/// Why the bridge refuses to start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BridgeError {
    /// A setting is missing or unusable.
    #[error("{0}")]
    Config(String),
    /// A tool names an input its glif does not have.
    #[error(
        "tool {tool:?}: glif {glif_id:?} has no input {input:?}; its inputs are: {}",
        if known.is_empty() { "(none)".to_owned() } else { known.join(", ") }
    )]
    UnknownInput {
        /// The tool.
        tool: String,
        /// Its glif.
        glif_id: String,
        /// The name in the configuration.
        input: String,
        /// The glif's real input names.
        known: Vec<String>,
    },
    /// Reading a tool's glif failed.
    #[error("tool {tool:?}: cannot read glif {glif_id:?}")]
    Glif {
        /// The tool.
        tool: String,
        /// Its glif.
        glif_id: String,
        /// Why.
        #[source]
        source: GlifError,
    },
}

/// One configured tool, resolved against its glif's input blocks.
#[derive(Debug, Clone)]
pub(crate) struct Tool {
    pub name: String,
    pub description: String,
    pub glif_id: String,
    /// Inputs the model fills, in the glif's order.
    pub exposed: Vec<GlifInput>,
    /// Inputs not exposed, always sent with the glif's default (strict mode needs them).
    pub fixed: BTreeMap<String, String>,
    pub sync_timeout: Duration,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub public_base_url: Url,
    pub title: String,
    pub description: String,
    pub auth_header: HeaderName,
    /// The exact header value expected (`Bearer <token>` for `Authorization`).
    pub expected_auth: Secret,
    pub client: GlifClient,
    /// Configured tools by name, in configuration order.
    pub tools: Vec<Tool>,
    pub run_glif_tool: bool,
    pub sync_timeout: Duration,
    pub poll_wait: Duration,
    pub runs: runs::Runs,
}

impl Inner {
    pub fn tool(&self, name: &str) -> Option<&Tool> {
        self.tools.iter().find(|t| t.name == name)
    }
}

/// The bridge's shared state: configuration resolved against Glif, and the runs in flight.
/// Cheap to clone.
#[derive(Debug, Clone)]
pub struct BridgeState {
    pub(crate) inner: Arc<Inner>,
}

impl BridgeState {
    /// Checks the configuration and reads every tool's glif, so a tool naming an input its
    /// glif does not have is refused now rather than on Coze's first call.
    ///
    /// # Errors
    ///
    /// [`BridgeError::Config`] for a missing service token, a bad URL, header or tool name;
    /// [`BridgeError::UnknownInput`] with the glif's real input names;
    /// [`BridgeError::Glif`] when a tool's glif cannot be read.
    pub async fn prepare(config: BridgeConfig, client: GlifClient) -> Result<Self, BridgeError> {
        let cfg_err = |m: String| BridgeError::Config(m);
        let public_base_url = Url::parse(&config.public_base_url)
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
            .filter(|_| config.public_base_url.len() <= 512)
            .ok_or_else(|| {
                cfg_err(format!(
                    "public_base_url {:?} must be an absolute http(s) URL of at most 512 characters",
                    config.public_base_url
                ))
            })?;
        if matches!(
            public_base_url.host(),
            Some(url::Host::Ipv4(_) | url::Host::Ipv6(_))
        ) {
            tracing::warn!(
                url = %public_base_url,
                "public_base_url uses an IP address; Coze accepts plugin URLs with a domain name only"
            );
        }
        let token = config
            .service_token
            .clone()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                cfg_err(format!(
                    "no service token: set service_token in the config file or {SERVICE_TOKEN_ENV}"
                ))
            })?;
        let auth_header =
            HeaderName::try_from(config.service_token_header.trim()).map_err(|_| {
                cfg_err(format!(
                    "service_token_header {:?} is not a valid header name",
                    config.service_token_header
                ))
            })?;
        let expected_auth = if auth_header == axum::http::header::AUTHORIZATION {
            Secret::new(format!("Bearer {}", token.expose()))
        } else {
            token
        };
        if config.title.trim().is_empty() || config.description.trim().is_empty() {
            return Err(cfg_err(
                "title and description must not be empty: Coze's import requires both".to_owned(),
            ));
        }
        let sync_timeout = Duration::from_secs(config.sync_timeout_secs.max(1));
        let mut tools: Vec<Tool> = Vec::new();
        for tc in &config.tools {
            check_tool_name(&tc.name, config.run_glif_tool)?;
            if tools.iter().any(|t| t.name == tc.name) {
                return Err(cfg_err(format!("tool name {:?} is used twice", tc.name)));
            }
            if tc.description.trim().is_empty() {
                // It becomes the operation's summary, which Coze's import requires.
                return Err(cfg_err(format!(
                    "tool {:?} has an empty description; Coze needs one to import the tool",
                    tc.name
                )));
            }
            if tc.glif_id.trim().is_empty() {
                return Err(cfg_err(format!("tool {:?} has an empty glif_id", tc.name)));
            }
            tools.push(resolve_tool(tc, &client, sync_timeout).await?);
        }
        if tools.is_empty() && !config.run_glif_tool {
            return Err(cfg_err(
                "no tools: add a [[tools]] entry or set run_glif_tool = true".to_owned(),
            ));
        }
        Ok(Self {
            inner: Arc::new(Inner {
                public_base_url,
                title: config.title,
                description: config.description,
                auth_header,
                expected_auth,
                client,
                tools,
                run_glif_tool: config.run_glif_tool,
                sync_timeout,
                poll_wait: Duration::from_secs(config.poll_wait_secs),
                runs: runs::Runs::default(),
            }),
        })
    }

    /// The OpenAPI 3.0.1 document Coze imports, as JSON.
    pub fn openapi(&self) -> serde_json::Value {
        openapi::document(&self.inner)
    }

    /// The tool names offered (operation ids of the synchronous operations).
    pub fn tool_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.inner.tools.iter().map(|t| t.name.clone()).collect();
        if self.inner.run_glif_tool {
            names.push(RUN_GLIF_TOOL.to_owned());
        }
        names
    }
}

fn check_tool_name(name: &str, run_glif_tool: bool) -> Result<(), BridgeError> {
    let valid = name.len() <= 64
        && name.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.ends_with("_start");
    if !valid {
        return Err(BridgeError::Config(format!(
            "tool name {name:?}: use letters, digits and _ (starting with a letter, at most 64, not ending in _start)"
        )));
    }
    if name == POLL_OPERATION || (run_glif_tool && name == RUN_GLIF_TOOL) {
        return Err(BridgeError::Config(format!(
            "tool name {name:?} is reserved; pick another"
        )));
    }
    Ok(())
}

async fn resolve_tool(
    tc: &ToolConfig,
    client: &GlifClient,
    default_sync: Duration,
) -> Result<Tool, BridgeError> {
    let info = client
        .glif(&tc.glif_id)
        .await
        .map_err(|source| BridgeError::Glif {
            tool: tc.name.clone(),
            glif_id: tc.glif_id.clone(),
            source,
        })?;
    let exposed: Vec<GlifInput> = match &tc.inputs {
        None => info.inputs.clone(),
        Some(names) => {
            if let Some(bad) = names
                .iter()
                .find(|n| !info.inputs.iter().any(|i| &i.name == *n))
            {
                return Err(BridgeError::UnknownInput {
                    tool: tc.name.clone(),
                    glif_id: tc.glif_id.clone(),
                    input: bad.clone(),
                    known: info.input_names(),
                });
            }
            info.inputs
                .iter()
                .filter(|i| names.contains(&i.name))
                .cloned()
                .collect()
        }
    };
    let mut fixed = BTreeMap::new();
    for input in info.inputs.iter().filter(|i| !exposed.contains(i)) {
        let Some(default) = &input.default else {
            return Err(BridgeError::Config(format!(
                "tool {:?}: input {:?} of glif {:?} has no default value, so it must be listed in inputs",
                tc.name, input.name, tc.glif_id
            )));
        };
        fixed.insert(input.name.clone(), default.clone());
    }
    Ok(Tool {
        name: tc.name.clone(),
        description: tc.description.clone(),
        glif_id: tc.glif_id.clone(),
        exposed,
        fixed,
        sync_timeout: tc
            .sync_timeout_secs
            .map(|s| Duration::from_secs(s.max(1)))
            .unwrap_or(default_sync),
    })
}

/// The bridge's routes, for `axum::serve` or for tests calling it without a port.
pub fn router(state: BridgeState) -> Router {
    let protected = Router::new()
        .route("/tools/{tool}", post(handlers::run_sync))
        .route("/tools/{tool}/start", post(handlers::run_start))
        .route("/runs/{run_id}", get(handlers::poll).post(handlers::poll))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            handlers::require_service_token,
        ));
    let open = Router::new()
        .route("/openapi.json", get(handlers::openapi_json))
        .route("/openapi.yaml", get(handlers::openapi_yaml));
    let routes = crate::log::with_request_log(protected.merge(open), "glif");
    Router::new().nest(PREFIX, routes.with_state(state))
}
