//! [`GatewayState`]: what every service shares.

use crate::config::{ConfigError, GatewayConfig, UpstreamAuth};
use crate::glif::{BridgeError, BridgeState, GlifClient};
use crate::keys::ApiKeys;
use crate::store::{StoreError, StoreHandle};
use coze_sdk::TokenSource;
use coze_sdk::auth::{RefreshingTokenSource, Renewal};
use std::sync::Arc;

/// Why the gateway cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    /// A bad setting.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The store cannot be opened.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The Glif bridge refuses its configuration.
    #[error("[glif] {0}")]
    Glif(#[from] BridgeError),
}

/// The shared state: configuration, store, the Coze client, keys, and each service's own
/// prepared state. Cheap to clone.
#[derive(Debug, Clone)]
pub struct GatewayState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: GatewayConfig,
    store: StoreHandle,
    keys: ApiKeys,
    coze: Option<coze_sdk::Client>,
    upstream_token: Option<Arc<dyn TokenSource>>,
    glif: Option<BridgeState>,
    instance: String,
}

impl GatewayState {
    /// Starts building the state for `config` (validated by `build`).
    pub fn builder(config: GatewayConfig) -> GatewayStateBuilder {
        GatewayStateBuilder {
            config,
            token_source: None,
            store: None,
            glif: None,
        }
    }

    /// The configuration.
    pub fn config(&self) -> &GatewayConfig {
        &self.inner.config
    }

    /// The store.
    pub fn store(&self) -> &StoreHandle {
        &self.inner.store
    }

    /// The client API keys.
    pub fn keys(&self) -> &ApiKeys {
        &self.inner.keys
    }

    /// The Coze client (with the upstream credentials), when a service that needs it is
    /// enabled. Its errors never show the token.
    pub fn coze(&self) -> Option<&coze_sdk::Client> {
        self.inner.coze.as_ref()
    }

    /// Gets an upstream token now (a JWT app signs and exchanges one; a profile login
    /// refreshes if due), so a wrong app id, key or expired login is reported at start
    /// instead of on the first client request. `Ok` without upstream credentials.
    ///
    /// # Errors
    ///
    /// The SDK's error (it never holds a token); [`coze_sdk::Error::is_retryable`] tells a
    /// network problem from a refusal.
    pub async fn check_upstream(&self) -> Result<(), coze_sdk::Error> {
        match &self.inner.upstream_token {
            Some(source) => source.token().await.map(drop),
            None => Ok(()),
        }
    }

    /// The Glif bridge's state, when `[glif]` is enabled.
    pub fn glif(&self) -> Option<&BridgeState> {
        self.inner.glif.as_ref()
    }

    /// A random id of this gateway process (logs; tests with several instances).
    pub fn instance_id(&self) -> &str {
        &self.inner.instance
    }
}

/// Builder of a [`GatewayState`].
#[derive(Debug)]
pub struct GatewayStateBuilder {
    config: GatewayConfig,
    token_source: Option<Arc<dyn TokenSource>>,
    store: Option<StoreHandle>,
    glif: Option<BridgeState>,
}

impl GatewayStateBuilder {
    /// Calls Coze with this token source instead of the one `[upstream]` describes (the CLI
    /// passes a profile's refreshing source here for `auth = "profile"`).
    pub fn token_source(mut self, source: Arc<dyn TokenSource>) -> Self {
        self.token_source = Some(source);
        self
    }

    /// Uses this store instead of opening the configured one.
    pub fn store(mut self, store: StoreHandle) -> Self {
        self.store = Some(store);
        self
    }

    /// Uses this prepared bridge instead of preparing `[glif]` here.
    pub fn glif(mut self, glif: BridgeState) -> Self {
        self.glif = Some(glif);
        self
    }

    /// Validates the configuration, opens the store, sets up the Coze client and prepares
    /// the Glif bridge.
    ///
    /// # Errors
    ///
    /// [`StartError`] naming the problem.
    pub async fn build(self) -> Result<GatewayState, StartError> {
        let config = self.config;
        config.validate()?;
        let mut upstream_token = None;
        let coze = match (&config.upstream, config.needs_upstream()) {
            (Some(up), true) => {
                let base = up.base_url()?;
                let source: Arc<dyn TokenSource> = match (self.token_source, up.auth()?) {
                    (Some(source), _) => source,
                    (None, UpstreamAuth::Pat(token)) => {
                        Arc::new(coze_sdk::StaticToken::from(token))
                    }
                    (None, UpstreamAuth::Jwt(app)) => Arc::new(
                        RefreshingTokenSource::builder(Renewal::Jwt(*app))
                            .build()
                            .map_err(|e| ConfigError(format!("[upstream] {e}")))?,
                    ),
                    (None, UpstreamAuth::Profile(name)) => {
                        return Err(ConfigError(format!(
                            "[upstream] auth = \"profile\" ({name}) is resolved by `coze serve`; a library caller passes a token source"
                        ))
                        .into());
                    }
                };
                upstream_token = Some(source.clone());
                Some(
                    coze_sdk::Client::builder()
                        .base_url(base)
                        .token_source(source)
                        .build()
                        .map_err(|e| ConfigError(format!("[upstream] {e}")))?,
                )
            }
            _ => None,
        };
        let glif = match (self.glif, &config.glif) {
            (Some(g), _) => Some(g),
            (None, Some(gc)) => {
                let gc = gc.clone().with_env_fallbacks();
                let client = GlifClient::new(
                    gc.glif_config()
                        .map_err(|e| ConfigError(format!("[glif] {e}")))?,
                )
                .map_err(|e| ConfigError(format!("[glif] {e}")))?;
                Some(BridgeState::prepare(gc, client).await?)
            }
            (None, None) => None,
        };
        let store = match self.store {
            Some(s) => s,
            None => config.store_spec()?.open().await?,
        };
        Ok(GatewayState {
            inner: Arc::new(Inner {
                keys: ApiKeys::new(store.clone()),
                store,
                coze,
                upstream_token,
                glif,
                instance: format!("{:08x}", rand::random::<u32>()),
                config,
            }),
        })
    }
}
