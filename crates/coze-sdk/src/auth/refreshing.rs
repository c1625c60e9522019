//! A [`TokenSource`] that renews OAuth tokens by itself, once for all concurrent callers,
//! with an optional [`TokenStore`] that persists rotated tokens across processes.

use std::any::Any;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::app::OAuthApp;
use super::error::auth_error;
use super::jwt::JwtApp;
use super::request::OAuthRequest;
use super::tokens::{OAuthToken, unix_now};
use crate::error::Result;
use crate::secret::Secret;
use crate::token::{BoxFuture, TokenSource};

/// How a [`RefreshingTokenSource`] gets a new token.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Renewal {
    /// Trade the refresh token (web, PKCE and device apps). Coze rotates refresh tokens, so
    /// the new one replaces the old everywhere (see [`TokenStore`]).
    RefreshToken(OAuthApp),
    /// Sign a new JWT (JWT apps have no refresh token).
    Jwt(JwtApp),
}

impl Renewal {
    fn request(&self, current: Option<&OAuthToken>) -> Result<OAuthRequest> {
        match self {
            Renewal::Jwt(app) => app.token_request(),
            Renewal::RefreshToken(app) => match current.and_then(|t| t.refresh_token.as_ref()) {
                Some(refresh) => Ok(app.refresh(refresh)),
                None => Err(auth_error(
                    "the token expired and there is no refresh token to renew it: log in again",
                )),
            },
        }
    }
}

/// Held while a refresh runs; dropping it releases the store's (e.g. file) lock.
pub struct StoreGuard(#[allow(dead_code)] Option<Box<dyn Any + Send>>);

impl StoreGuard {
    /// A guard that releases `lock` when dropped (a file lock, a lock file's handle, ...).
    pub fn new(lock: impl Any + Send) -> Self {
        StoreGuard(Some(Box::new(lock)))
    }

    /// A guard for stores without a lock.
    pub fn none() -> Self {
        StoreGuard(None)
    }
}

impl fmt::Debug for StoreGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "StoreGuard(locked)"
        } else {
            "StoreGuard(none)"
        })
    }
}

/// Where a [`RefreshingTokenSource`] keeps its token between processes (the CLI's
/// credentials file).
///
/// A refresh runs as: `lock` → `load` (another process may have refreshed already; if the
/// stored token is fresh it is used as is, otherwise its refresh token, the newest, is
/// traded) → token request → `save` → the guard drops. So several processes at the moment
/// of expiry refresh once, and the newest refresh token is the one stored.
pub trait TokenStore: Send + Sync + fmt::Debug + 'static {
    /// Takes the cross-process lock for a refresh. The default takes none.
    ///
    /// # Errors
    ///
    /// The lock cannot be taken; the refresh fails with this error.
    fn lock(&self) -> BoxFuture<'_, Result<StoreGuard>> {
        Box::pin(async { Ok(StoreGuard::none()) })
    }

    /// The stored token, read afresh (called under the lock).
    ///
    /// # Errors
    ///
    /// The store cannot be read.
    fn load(&self) -> BoxFuture<'_, Result<Option<OAuthToken>>>;

    /// Stores a newly issued token (called under the lock, before the token is handed out).
    ///
    /// # Errors
    ///
    /// The store cannot be written. The call that triggered the refresh fails with this
    /// error; the source keeps the new token in memory, so this process goes on working.
    fn save<'a>(&'a self, token: &'a OAuthToken) -> BoxFuture<'a, Result<()>>;
}

/// A token source that refreshes ahead of expiry (30 s for a 15-minute token, a tenth of
/// shorter lifetimes, at least 1 s), once for all concurrent callers, signs a new JWT when a
/// JWT token runs out, and drops a token the API refused (`invalidate`) so the client's
/// retry gets a new one.
///
/// # Security
///
/// Tokens are [`Secret`]s; `Debug` shows neither token.
#[derive(Debug, Clone)]
pub struct RefreshingTokenSource {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    renewal: Renewal,
    http: reqwest::Client,
    store: Option<Arc<dyn TokenStore>>,
    cache: Mutex<Cached>,
    /// Single flight: held for the whole refresh.
    gate: tokio::sync::Mutex<()>,
    refreshes: AtomicU64,
}

#[derive(Debug, Default)]
struct Cached {
    token: Option<OAuthToken>,
    /// Seconds before expiry at which the token counts as stale.
    margin: u64,
    /// The API refused this access token; never hand it out again.
    rejected: Option<Secret>,
}

impl Cached {
    fn set(&mut self, token: OAuthToken, now: u64) {
        self.margin = margin_for(token.remaining(now));
        self.token = Some(token);
    }

    fn fresh(&self, now: u64) -> Option<Secret> {
        let token = self.token.as_ref()?;
        let refused = self.rejected.as_ref() == Some(&token.access_token);
        (!refused && token.is_fresh(now, self.margin)).then(|| token.access_token.clone())
    }
}

/// How long before expiry to refresh, from the token's lifetime.
fn margin_for(lifetime: u64) -> u64 {
    (lifetime / 10).clamp(1, 30)
}

/// Builder of a [`RefreshingTokenSource`].
#[derive(Debug)]
pub struct RefreshingTokenSourceBuilder {
    renewal: Renewal,
    token: Option<OAuthToken>,
    store: Option<Arc<dyn TokenStore>>,
    http: Option<reqwest::Client>,
}

impl RefreshingTokenSourceBuilder {
    /// Starts from this token (e.g. just obtained by a login, or read from a file).
    pub fn token(mut self, token: OAuthToken) -> Self {
        self.token = Some(token);
        self
    }

    /// Persists renewed tokens here, under its lock.
    pub fn store(mut self, store: Arc<dyn TokenStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// Sends token requests with this client (default: 30 s timeout).
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The source.
    ///
    /// # Errors
    ///
    /// [`Error::Config`](crate::Error::Config) when the default HTTP client cannot be built
    /// (no TLS backend).
    pub fn build(self) -> Result<RefreshingTokenSource> {
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .map_err(|e| crate::Error::Config(format!("cannot build the HTTP client: {e}")))?,
        };
        let mut cached = Cached::default();
        if let Some(token) = self.token {
            cached.set(token, unix_now());
        }
        Ok(RefreshingTokenSource {
            inner: Arc::new(Inner {
                renewal: self.renewal,
                http,
                store: self.store,
                cache: Mutex::new(cached),
                gate: tokio::sync::Mutex::new(()),
                refreshes: AtomicU64::new(0),
            }),
        })
    }
}

impl RefreshingTokenSource {
    /// Starts building a source that renews with `renewal`.
    pub fn builder(renewal: Renewal) -> RefreshingTokenSourceBuilder {
        RefreshingTokenSourceBuilder {
            renewal,
            token: None,
            store: None,
            http: None,
        }
    }

    /// The token held now (possibly expired), e.g. to show its expiry.
    pub fn current(&self) -> Option<OAuthToken> {
        self.cache().token.clone()
    }

    /// How many token requests this source has sent.
    pub fn refresh_count(&self) -> u64 {
        self.inner.refreshes.load(Ordering::Relaxed)
    }

    /// Renews now, even if the token is still fresh (`coze auth refresh`).
    ///
    /// # Errors
    ///
    /// As the token request, or the store.
    pub async fn refresh(&self) -> Result<OAuthToken> {
        let _flight = self.inner.gate.lock().await;
        self.renew(true).await
    }

    fn cache(&self) -> MutexGuard<'_, Cached> {
        // Plain data: a panic elsewhere cannot leave it half-written in a harmful way.
        self.inner
            .cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn access_token(&self) -> Result<Secret> {
        if let Some(token) = self.cache().fresh(unix_now()) {
            return Ok(token);
        }
        let _flight = self.inner.gate.lock().await;
        // Whoever held the gate before us may have refreshed already.
        if let Some(token) = self.cache().fresh(unix_now()) {
            return Ok(token);
        }
        Ok(self.renew(false).await?.access_token)
    }

    /// Gets a new token; the caller holds the gate.
    async fn renew(&self, force: bool) -> Result<OAuthToken> {
        let _lock = match &self.inner.store {
            Some(store) => Some(store.lock().await?),
            None => None,
        };
        let (mut base, rejected) = {
            let cache = self.cache();
            (cache.token.clone(), cache.rejected.clone())
        };
        if let Some(store) = &self.inner.store
            && let Some(stored) = store.load().await?
        {
            let now = unix_now();
            let refused = rejected.as_ref() == Some(&stored.access_token);
            let known = base.as_ref().map(|b| &b.access_token) == Some(&stored.access_token);
            if !force
                && !refused
                && !known
                && stored.is_fresh(now, margin_for(stored.remaining(now)))
            {
                tracing::debug!("using the token another process refreshed");
                self.cache().set(stored.clone(), now);
                return Ok(stored);
            }
            base = Some(stored);
        }
        let request = self.inner.renewal.request(base.as_ref())?;
        tracing::debug!(url = request.url(), "renewing the OAuth token");
        self.inner.refreshes.fetch_add(1, Ordering::Relaxed);
        let mut token = request.send_token(&self.inner.http).await?;
        if token.refresh_token.is_none() {
            token.refresh_token = base.and_then(|b| b.refresh_token);
        }
        // Cache first: the server has already rotated the refresh token, so if saving fails
        // this process at least keeps working with the new one.
        self.cache().set(token.clone(), unix_now());
        if let Some(store) = &self.inner.store {
            store.save(&token).await?;
        }
        Ok(token)
    }
}

impl TokenSource for RefreshingTokenSource {
    fn token(&self) -> BoxFuture<'_, Result<Secret>> {
        Box::pin(self.access_token())
    }

    fn invalidate(&self, rejected: &Secret) -> bool {
        let mut cache = self.cache();
        let current_rejected = cache.token.as_ref().map(|t| &t.access_token) == Some(rejected);
        if !current_rejected {
            // Already replaced by a refresh: the retry uses the new token.
            return cache.token.is_some();
        }
        cache.rejected = Some(rejected.clone());
        match &self.inner.renewal {
            Renewal::Jwt(_) => true,
            Renewal::RefreshToken(_) => {
                self.inner.store.is_some()
                    || cache
                        .token
                        .as_ref()
                        .is_some_and(|t| t.refresh_token.is_some())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_scale_with_lifetime() {
        assert_eq!(margin_for(900), 30);
        assert_eq!(margin_for(120), 12);
        assert_eq!(margin_for(3), 1);
        assert_eq!(margin_for(0), 1);
    }

    #[test]
    fn cached_token_is_fresh_until_margin_or_rejection() {
        let mut c = Cached::default();
        c.set(OAuthToken::new(Secret::new("a"), None, 1000), 100);
        assert_eq!(c.margin, 30);
        assert!(c.fresh(900).is_some());
        assert!(c.fresh(970).is_none());
        c.rejected = Some(Secret::new("a"));
        assert!(c.fresh(900).is_none());
    }

    #[tokio::test]
    async fn no_refresh_token_means_log_in_again() {
        let source = RefreshingTokenSource::builder(Renewal::RefreshToken(OAuthApp::new("c")))
            .token(OAuthToken::new(Secret::new("old"), None, 1))
            .build()
            .expect("source");
        let err = source.token().await.expect_err("cannot renew");
        assert!(crate::auth::needs_login(&err), "{err}");
        assert!(!source.invalidate(&Secret::new("old")));
        assert_eq!(source.refresh_count(), 0);
    }
}
