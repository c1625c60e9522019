//! [`GlifClient`]: the front door, over a swappable [`GlifTransport`].

use super::error::{GlifError, Result};
use super::http::SimpleApiTransport;
use super::types::{GlifInfo, Inputs, RunOutput, RunRequest};
use crate::secret::Secret;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use url::Url;

/// A boxed, sendable future (the transport trait must stay object-safe).
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The official Simple API endpoint.
pub const DEFAULT_SIMPLE_API_BASE: &str = "https://simple-api.glif.app";
/// The official read API (`/glifs`, `/runs`, `/me`).
pub const DEFAULT_API_BASE: &str = "https://glif.app/api";
/// Media glifs can take minutes; this is the default whole-run timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// The environment variable holding the Glif API token.
pub const TOKEN_ENV: &str = "GLIF_API_TOKEN";

/// How the client talks to Glif. The Simple API ([`SimpleApiTransport`]) is the only one today;
/// Glif deprecated it in 2026, so a replacement transport can be plugged in here without
/// touching the CLI or the bridge.
pub trait GlifTransport: Send + Sync + fmt::Debug + 'static {
    /// Runs a glif and waits for its result.
    fn run<'a>(&'a self, request: &'a RunRequest) -> BoxFuture<'a, Result<RunOutput>>;
    /// Reads a glif's metadata and input blocks.
    fn glif<'a>(&'a self, glif_id: &'a str) -> BoxFuture<'a, Result<GlifInfo>>;
}

/// Settings of the HTTP transport.
#[derive(Debug, Clone)]
pub struct GlifConfig {
    /// The Glif API token (needed to run glifs; optional for reading public glifs).
    pub token: Option<Secret>,
    /// Where the Simple API lives (default [`DEFAULT_SIMPLE_API_BASE`]).
    pub simple_api_base: Url,
    /// Where the read API lives (default [`DEFAULT_API_BASE`]); `/glifs` is appended.
    pub api_base: Url,
    /// The whole-request timeout of a run (default [`DEFAULT_TIMEOUT`]).
    pub timeout: Duration,
    /// The connect timeout.
    pub connect_timeout: Duration,
}

impl Default for GlifConfig {
    fn default() -> Self {
        Self {
            token: None,
            // Both constants are valid absolute URLs.
            simple_api_base: Url::parse(DEFAULT_SIMPLE_API_BASE)
                .expect("DEFAULT_SIMPLE_API_BASE is a valid URL"),
            api_base: Url::parse(DEFAULT_API_BASE).expect("DEFAULT_API_BASE is a valid URL"),
            timeout: DEFAULT_TIMEOUT,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl GlifConfig {
    /// The defaults with the token from `GLIF_API_TOKEN`, if set and not blank.
    pub fn from_env() -> Self {
        let token = std::env::var(TOKEN_ENV)
            .ok()
            .map(Secret::trimmed)
            .filter(|t| !t.is_empty());
        Self {
            token,
            ..Self::default()
        }
    }

    /// Sets the token.
    pub fn token(mut self, token: impl Into<Secret>) -> Self {
        self.token = Some(token.into());
        self
    }

    /// Points both APIs at one server: the Simple API at `{base}/simple` and the read API at
    /// `{base}/api` (the layout of the emulator's fake Glif, `{emulator}/glif`).
    ///
    /// # Errors
    ///
    /// [`GlifError::InvalidConfig`] when `base` is not an absolute http(s) URL.
    pub fn with_base_url(mut self, base: &str) -> Result<Self> {
        let base = base.trim_end_matches('/');
        self.simple_api_base = parse_base(&format!("{base}/simple"))?;
        self.api_base = parse_base(&format!("{base}/api"))?;
        Ok(self)
    }

    /// Sets the Simple API base.
    ///
    /// # Errors
    ///
    /// [`GlifError::InvalidConfig`] when `url` is not an absolute http(s) URL.
    pub fn simple_api_base(mut self, url: &str) -> Result<Self> {
        self.simple_api_base = parse_base(url)?;
        Ok(self)
    }

    /// Sets the read API base.
    ///
    /// # Errors
    ///
    /// [`GlifError::InvalidConfig`] when `url` is not an absolute http(s) URL.
    pub fn api_base(mut self, url: &str) -> Result<Self> {
        self.api_base = parse_base(url)?;
        Ok(self)
    }

    /// Sets the run timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

pub(crate) fn parse_base(url: &str) -> Result<Url> {
    let parsed = Url::parse(url)
        .map_err(|e| GlifError::InvalidConfig(format!("{url:?} is not a URL ({e})")))?;
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
        return Err(GlifError::InvalidConfig(format!(
            "{url:?} is not an http(s) URL"
        )));
    }
    Ok(parsed)
}

/// A Glif client: run glifs, read their inputs.
///
/// ```no_run
/// # async fn demo() -> Result<(), coze_gateway::glif::GlifError> {
/// use coze_gateway::glif::{GlifClient, GlifConfig, Inputs, RunRequest};
/// let client = GlifClient::new(GlifConfig::from_env())?;
/// let run = client
///     .run(&RunRequest::new("clgh1vxtu0011mo081dplq3xs")
///         .inputs(Inputs::Positional(vec!["a red fox".into()])))
///     .await?;
/// println!("{}", run.output.unwrap_or_default());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct GlifClient {
    transport: Arc<dyn GlifTransport>,
}

impl GlifClient {
    /// A client over the Simple API.
    ///
    /// # Errors
    ///
    /// [`GlifError::InvalidConfig`] when the HTTP client cannot be built.
    pub fn new(config: GlifConfig) -> Result<Self> {
        Ok(Self::with_transport(Arc::new(SimpleApiTransport::new(
            config,
        )?)))
    }

    /// A client over another transport (a newer Glif API, or a test double).
    pub fn with_transport(transport: Arc<dyn GlifTransport>) -> Self {
        Self { transport }
    }

    /// Runs a glif as given.
    ///
    /// # Errors
    ///
    /// [`GlifError::RunFailed`] when Glif reports an error (even on HTTP 200),
    /// [`GlifError::TokenRejected`], [`GlifError::UnknownGlif`], [`GlifError::MissingInput`]
    /// (strict mode), [`GlifError::Unavailable`], [`GlifError::Timeout`].
    pub async fn run(&self, request: &RunRequest) -> Result<RunOutput> {
        self.transport.run(request).await
    }

    /// Reads the glif's inputs first, refuses input names it does not have and (in strict
    /// mode) missing inputs, then runs it. Costs one extra read request; the errors name the
    /// glif's real inputs.
    ///
    /// # Errors
    ///
    /// Those of [`GlifClient::glif`] and [`GlifClient::run`], plus [`GlifError::UnknownInput`]
    /// and [`GlifError::TooManyInputs`].
    pub async fn run_checked(&self, request: &RunRequest) -> Result<RunOutput> {
        let info = self.glif(&request.glif_id).await?;
        check_inputs(&info, &request.inputs, request.strict)?;
        self.run(request).await
    }

    /// Reads a glif's name, description and input blocks.
    ///
    /// # Errors
    ///
    /// [`GlifError::UnknownGlif`] when the read API returns no glif, and the transport errors.
    pub async fn glif(&self, glif_id: &str) -> Result<GlifInfo> {
        self.transport.glif(glif_id).await
    }
}

/// Checks `inputs` against the glif's declared inputs.
///
/// # Errors
///
/// [`GlifError::UnknownInput`] for a name the glif does not have,
/// [`GlifError::TooManyInputs`] for more positional values than inputs; in strict mode
/// [`GlifError::MissingInput`] for declared inputs not given.
pub fn check_inputs(info: &GlifInfo, inputs: &Inputs, strict: bool) -> Result<()> {
    let missing: Vec<String> = match inputs {
        Inputs::Named(map) => {
            if let Some(name) = map
                .keys()
                .find(|k| !info.inputs.iter().any(|i| &i.name == *k))
            {
                return Err(GlifError::UnknownInput {
                    glif_id: info.id.clone(),
                    name: name.clone(),
                    known: info.input_names(),
                });
            }
            info.inputs
                .iter()
                .filter(|i| !map.contains_key(&i.name))
                .map(|i| i.name.clone())
                .collect()
        }
        Inputs::Positional(values) if values.len() > info.inputs.len() => {
            return Err(GlifError::TooManyInputs {
                glif_id: info.id.clone(),
                given: values.len(),
                known: info.input_names(),
            });
        }
        Inputs::Positional(values) => info
            .inputs
            .iter()
            .skip(values.len())
            .map(|i| i.name.clone())
            .collect(),
    };
    if strict && !missing.is_empty() {
        return Err(GlifError::MissingInput {
            glif_id: info.id.clone(),
            missing,
        });
    }
    Ok(())
}
