//! Where the gateway keeps its state: API keys (hashed), conversation maps, pending tool
//! calls, rate-limit counters and concurrency slots.
//!
//! [`Store`] is the contract; two implementations keep it:
//!
//! - [`SqliteStore`] (the default, `store = "sqlite"` or left out): one SQLite file under the
//!   data directory (`gateway.sqlite3`), so a restart loses nothing. WAL mode with a busy
//!   timeout, so `coze serve keys create` can write while the gateway runs.
//! - [`RedisStore`] (`store = "redis://host:6379/0"`): several gateway instances behind a load
//!   balancer share everything. Counters and slots are one Lua script each (Redis' clock, no
//!   read-then-write).
//!
//! Services use a [`StoreHandle`] (cheap to clone) with JSON helpers and slot guards on top.
//! Keys are plain strings; services prefix theirs (`openai:conv:...`, `web:...`).
//! Values are strings (JSON, as the helpers write them).
//!
//! TTL semantics (the same in both): `ttl: None` keeps a value until deleted. A map or a list
//! has one expiry for the whole collection, set again on every write (`None` clears it).

mod redis;
mod sqlite;

pub use self::redis::RedisStore;
pub use sqlite::SqliteStore;

use async_trait::async_trait;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use std::time::Duration;

/// Why a store operation failed. The message never holds a credential (Redis URLs are
/// shown without their password).
#[derive(Debug, Clone, thiserror::Error)]
#[error("store: {message}")]
pub struct StoreError {
    /// What went wrong.
    pub message: String,
}

impl StoreError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// Result of store operations.
pub type StoreResult<T> = Result<T, StoreError>;

/// A fixed-window counter after an increment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Increments in the current window, this one included.
    pub count: u64,
    /// Time until the window ends and the count starts again from zero.
    pub resets_in: Duration,
}

/// The storage contract every implementation keeps (tested by one contract suite,
/// `tests/store_contract.rs`, against both).
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug + 'static {
    /// `sqlite` or `redis`.
    fn kind(&self) -> &'static str;

    /// Checks the store answers (the health endpoint).
    async fn ping(&self) -> StoreResult<()>;

    /// The value of `key`, unless absent or expired.
    async fn get(&self, key: &str) -> StoreResult<Option<String>>;
    /// Sets `key`, replacing any value; `ttl` as in the module docs.
    async fn set(&self, key: &str, value: &str, ttl: Option<Duration>) -> StoreResult<()>;
    /// Sets `key` only when it has no (live) value; `true` when this call set it.
    async fn set_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> StoreResult<bool>;
    /// Gets and deletes `key` in one step: of several concurrent callers one gets the value.
    async fn take(&self, key: &str) -> StoreResult<Option<String>>;
    /// Deletes `key`; `true` when it had a live value.
    async fn delete(&self, key: &str) -> StoreResult<bool>;

    /// Adds one to the fixed-window counter `key` (windows of `window`, aligned to the
    /// store's clock) and returns the count in the current window. Atomic across instances.
    async fn incr(&self, key: &str, window: Duration) -> StoreResult<Window>;

    /// Takes one of `cap` slots of `key` for `ttl`; `Some(slot id)` when one was free.
    /// Slots of a crashed holder free themselves when their ttl passes.
    async fn acquire_slot(&self, key: &str, cap: u32, ttl: Duration)
    -> StoreResult<Option<String>>;
    /// Extends a held slot by `ttl` from now; `false` when it was released or expired.
    async fn renew_slot(&self, key: &str, slot: &str, ttl: Duration) -> StoreResult<bool>;
    /// Frees a slot (no error when it is already gone).
    async fn release_slot(&self, key: &str, slot: &str) -> StoreResult<()>;
    /// Live slots of `key`.
    async fn slots_in_use(&self, key: &str) -> StoreResult<u32>;

    /// Sets `field` of map `map`.
    async fn map_set(
        &self,
        map: &str,
        field: &str,
        value: &str,
        ttl: Option<Duration>,
    ) -> StoreResult<()>;
    /// One field of a map.
    async fn map_get(&self, map: &str, field: &str) -> StoreResult<Option<String>>;
    /// Deletes a field; `true` when it existed.
    async fn map_delete(&self, map: &str, field: &str) -> StoreResult<bool>;
    /// Every field of a map, sorted by field.
    async fn map_entries(&self, map: &str) -> StoreResult<Vec<(String, String)>>;

    /// Appends to list `list`, keeping only its newest `max_len` items.
    async fn list_push(
        &self,
        list: &str,
        value: &str,
        max_len: usize,
        ttl: Option<Duration>,
    ) -> StoreResult<()>;
    /// The items of a list, oldest first.
    async fn list_items(&self, list: &str) -> StoreResult<Vec<String>>;
    /// Removes every item equal to `value`; how many were removed.
    async fn list_remove(&self, list: &str, value: &str) -> StoreResult<usize>;
}

/// The prefix of every Redis key unless `store_prefix` says otherwise.
pub const DEFAULT_REDIS_PREFIX: &str = "cozegw:";

/// How the configuration names a store. `Debug` hides a Redis password.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreSpec {
    /// SQLite in this file.
    Sqlite(std::path::PathBuf),
    /// Redis at this URL (`redis://` or `rediss://`), every key prefixed.
    Redis {
        /// The URL (may hold a password).
        url: String,
        /// Prepended to every key.
        prefix: String,
    },
}

impl std::fmt::Debug for StoreSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "StoreSpec({})", self.describe())
    }
}

impl StoreSpec {
    /// Reads the `store` setting: `"sqlite"` (file `gateway.sqlite3` in `data_dir`),
    /// `"sqlite:PATH"`, or a `redis://` / `rediss://` URL.
    ///
    /// # Errors
    ///
    /// Any other value, with the accepted forms.
    pub fn parse(value: &str, data_dir: &std::path::Path) -> Result<Self, String> {
        let value = value.trim();
        if value.is_empty() || value == "sqlite" {
            return Ok(Self::Sqlite(data_dir.join("gateway.sqlite3")));
        }
        if let Some(path) = value.strip_prefix("sqlite:") {
            if path.trim().is_empty() {
                return Err("store = \"sqlite:\" needs a file path after the colon".into());
            }
            return Ok(Self::Sqlite(path.trim().into()));
        }
        if value.starts_with("redis://") || value.starts_with("rediss://") {
            return Ok(Self::Redis {
                url: value.to_owned(),
                prefix: DEFAULT_REDIS_PREFIX.to_owned(),
            });
        }
        Err(format!(
            "store = {:?} is not a store: use \"sqlite\" (a file in data_dir), \"sqlite:/path/file.db\" or \"redis://host:6379/0\"",
            redacted_url(value)
        ))
    }

    /// Opens it.
    ///
    /// # Errors
    ///
    /// The file cannot be created, or Redis cannot be reached.
    pub async fn open(&self) -> StoreResult<StoreHandle> {
        Ok(match self {
            Self::Sqlite(path) => StoreHandle::new(SqliteStore::open(path).await?),
            Self::Redis { url, prefix } => {
                StoreHandle::new(RedisStore::connect(url, prefix).await?)
            }
        })
    }

    /// For messages: the file, or the URL without a password.
    pub fn describe(&self) -> String {
        match self {
            Self::Sqlite(path) => format!("sqlite {}", path.display()),
            Self::Redis { url, prefix } => format!("redis {} (keys {prefix}*)", redacted_url(url)),
        }
    }
}

/// A URL with its password (if any) replaced by `***`.
pub fn redacted_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) if url.contains('@') => "[a URL with credentials]".to_owned(),
        Err(_) => url.to_owned(),
    }
}

/// The store as services use it: cheap to clone, with JSON helpers and slot guards.
#[derive(Debug, Clone)]
pub struct StoreHandle {
    inner: Arc<dyn Store>,
}

impl StoreHandle {
    /// Wraps an implementation.
    pub fn new(store: impl Store) -> Self {
        Self {
            inner: Arc::new(store),
        }
    }

    /// The implementation (for the raw string operations of [`Store`]).
    pub fn raw(&self) -> &dyn Store {
        &*self.inner
    }

    /// A JSON value stored at `key`. A value that no longer parses as `T` (written by
    /// another version) reads as absent, with a warning.
    ///
    /// # Errors
    ///
    /// As [`Store::get`].
    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> StoreResult<Option<T>> {
        Ok(self.inner.get(key).await?.and_then(|v| parse_json(key, &v)))
    }

    /// Stores `value` as JSON.
    ///
    /// # Errors
    ///
    /// As [`Store::set`].
    pub async fn set_json<T: Serialize + ?Sized>(
        &self,
        key: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> StoreResult<()> {
        self.inner.set(key, &to_json(value)?, ttl).await
    }

    /// [`Store::take`] of a JSON value.
    ///
    /// # Errors
    ///
    /// As [`Store::take`].
    pub async fn take_json<T: DeserializeOwned>(&self, key: &str) -> StoreResult<Option<T>> {
        Ok(self
            .inner
            .take(key)
            .await?
            .and_then(|v| parse_json(key, &v)))
    }

    /// A map field as JSON.
    ///
    /// # Errors
    ///
    /// As [`Store::map_get`].
    pub async fn map_get_json<T: DeserializeOwned>(
        &self,
        map: &str,
        field: &str,
    ) -> StoreResult<Option<T>> {
        Ok(self
            .inner
            .map_get(map, field)
            .await?
            .and_then(|v| parse_json(map, &v)))
    }

    /// Sets a map field to JSON.
    ///
    /// # Errors
    ///
    /// As [`Store::map_set`].
    pub async fn map_set_json<T: Serialize + ?Sized>(
        &self,
        map: &str,
        field: &str,
        value: &T,
        ttl: Option<Duration>,
    ) -> StoreResult<()> {
        self.inner.map_set(map, field, &to_json(value)?, ttl).await
    }

    /// Takes one of `cap` slots of `key`. The guard renews the slot every `ttl / 3` while it
    /// lives and releases it when dropped; if this process dies the slot expires after `ttl`.
    ///
    /// # Errors
    ///
    /// As [`Store::acquire_slot`].
    pub async fn acquire(
        &self,
        key: &str,
        cap: u32,
        ttl: Duration,
    ) -> StoreResult<Option<SlotGuard>> {
        let ttl = ttl.max(Duration::from_secs(1));
        let Some(slot) = self.inner.acquire_slot(key, cap, ttl).await? else {
            return Ok(None);
        };
        let store = self.inner.clone();
        let (k, s) = (key.to_owned(), slot.clone());
        let renewer = tokio::spawn(async move {
            let mut tick = tokio::time::interval(ttl / 3);
            tick.tick().await;
            loop {
                tick.tick().await;
                match store.renew_slot(&k, &s, ttl).await {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => tracing::warn!(error = %e, "cannot renew a concurrency slot"),
                }
            }
        });
        Ok(Some(SlotGuard {
            store: self.inner.clone(),
            key: key.to_owned(),
            slot,
            renewer: Some(renewer),
        }))
    }
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::new(format!("cannot encode a value: {e}")))
}

fn parse_json<T: DeserializeOwned>(key: &str, value: &str) -> Option<T> {
    match serde_json::from_str(value) {
        Ok(v) => Some(v),
        Err(e) => {
            tracing::warn!(key, error = %e, "a stored value does not parse; treated as absent");
            None
        }
    }
}

/// A held concurrency slot: renewed while alive, released on drop (or by
/// [`SlotGuard::release`], which waits for the store).
#[derive(Debug)]
pub struct SlotGuard {
    store: Arc<dyn Store>,
    key: String,
    slot: String,
    renewer: Option<tokio::task::JoinHandle<()>>,
}

impl SlotGuard {
    /// Releases now and waits for the store to confirm.
    ///
    /// # Errors
    ///
    /// As [`Store::release_slot`] (the slot then expires by itself).
    pub async fn release(mut self) -> StoreResult<()> {
        if let Some(r) = self.renewer.take() {
            r.abort();
        }
        let (key, slot) = (
            std::mem::take(&mut self.key),
            std::mem::take(&mut self.slot),
        );
        self.store.release_slot(&key, &slot).await
    }
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        if let Some(r) = self.renewer.take() {
            r.abort();
        }
        if self.slot.is_empty() {
            return; // released already
        }
        let (store, key, slot) = (
            self.store.clone(),
            std::mem::take(&mut self.key),
            std::mem::take(&mut self.slot),
        );
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = store.release_slot(&key, &slot).await {
                    tracing::warn!(error = %e, "cannot release a concurrency slot; it expires by itself");
                }
            });
        }
    }
}

/// Milliseconds since the Unix epoch (the SQLite store's clock).
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

pub(crate) fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX).max(1)
}

/// A random id (slots, keys): 16 random bytes in hex.
pub(crate) fn random_id() -> String {
    format!("{:032x}", rand::random::<u128>())
}
