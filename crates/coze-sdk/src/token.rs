//! Where the client gets its access token from.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::error::Result;
use crate::secret::Secret;

/// A boxed, `Send` future; the return type of [`TokenSource`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The only way the [`Client`](crate::Client) obtains a token.
///
/// A personal access token is a [`StaticToken`]; OAuth flows provide refreshing sources.
pub trait TokenSource: Send + Sync + fmt::Debug + 'static {
    /// A token valid for at least the next few seconds (refreshing first when needed).
    ///
    /// # Errors
    ///
    /// Returns an error when no token can be obtained (a refresh failed, a file is unreadable).
    fn token(&self) -> BoxFuture<'_, Result<Secret>>;

    /// The API refused `rejected` (HTTP 401 / code 4100 / 700012006). A refreshing source
    /// drops it so the next `token()` gets a new one; returns true if a retry may succeed.
    fn invalidate(&self, rejected: &Secret) -> bool {
        let _ = rejected;
        false
    }
}

/// A fixed token, such as a personal access token (PAT).
///
/// # Security
///
/// The token is held in a [`Secret`]; `Debug` prints `[redacted]`.
#[derive(Debug, Clone)]
pub struct StaticToken(Secret);

impl StaticToken {
    /// A source that always returns `token`, with surrounding whitespace removed.
    pub fn new(token: impl Into<String>) -> Self {
        Self(Secret::trimmed(token))
    }
}

impl From<Secret> for StaticToken {
    fn from(secret: Secret) -> Self {
        Self(secret)
    }
}

impl TokenSource for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<Secret>> {
        let token = self.0.clone();
        Box::pin(async move { Ok(token) })
    }
}
