//! Client API keys: `Authorization: Bearer sk-cz-<id>-<secret>`.
//!
//! A key is made of a public id (16 hex digits, shown by `coze serve keys list`) and a
//! 256-bit random secret. The store keeps only the SHA-256 of the secret (a fast hash is
//! enough for random high-entropy secrets) in map `keys`, field = id; checking a key reads
//! that one record and compares the hashes in constant time. The full key is shown once, when
//! created. Revoking deletes the record, so every instance refuses the key at once.

use crate::error::GatewayError;
use crate::log::KeyId;
use crate::secret::{Secret, constant_time_eq};
use crate::state::GatewayState;
use crate::store::{StoreHandle, StoreResult};
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// What every key starts with.
pub const KEY_PREFIX: &str = "sk-cz-";
/// The store map holding the key records.
pub const KEYS_MAP: &str = "keys";

/// A key's stored record (no secret: its hash only).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct KeyRecord {
    /// The public id.
    pub id: String,
    /// A label for people (`--name`).
    #[serde(default)]
    pub name: Option<String>,
    /// SHA-256 of the secret, hex.
    pub hash: String,
    /// The models this key may use; `None` for all.
    #[serde(default)]
    pub models: Option<Vec<String>>,
    /// Requests per minute, across instances; `None` for no limit.
    #[serde(default)]
    pub rpm: Option<u32>,
    /// Streams open at once, across instances; `None` for no limit.
    #[serde(default)]
    pub concurrency: Option<u32>,
    /// Unix seconds.
    pub created_at: u64,
}

/// Options of a new key.
#[derive(Debug, Clone, Default)]
pub struct NewKey {
    /// A label.
    pub name: Option<String>,
    /// Allowed models (`None`: all).
    pub models: Option<Vec<String>>,
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// Concurrent streams.
    pub concurrency: Option<u32>,
}

/// The key a request authenticated with (a request extension after [`require_key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientKey {
    /// The public id (for logs, limits, and to keep clients apart in the store).
    pub id: String,
    /// Allowed models (`None`: all).
    pub models: Option<Vec<String>>,
    /// Requests per minute.
    pub rpm: Option<u32>,
    /// Concurrent streams.
    pub concurrency: Option<u32>,
}

impl ClientKey {
    /// Whether this key may use `model`.
    pub fn allows_model(&self, model: &str) -> bool {
        self.models
            .as_ref()
            .is_none_or(|m| m.iter().any(|x| x == model))
    }
}

impl From<&KeyRecord> for ClientKey {
    fn from(r: &KeyRecord) -> Self {
        Self {
            id: r.id.clone(),
            models: r.models.clone(),
            rpm: r.rpm,
            concurrency: r.concurrency,
        }
    }
}

fn hash_hex(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Splits `sk-cz-<id>-<secret>`; `None` when it is not shaped like a key.
fn split_key(key: &str) -> Option<(&str, &str)> {
    let (id, secret) = key.strip_prefix(KEY_PREFIX)?.split_once('-')?;
    let hex = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (hex(id, 16) && hex(secret, 64)).then_some((id, secret))
}

/// The key store: create, list, revoke, verify.
#[derive(Debug, Clone)]
pub struct ApiKeys {
    store: StoreHandle,
}

impl ApiKeys {
    /// Keys kept in `store`.
    pub fn new(store: StoreHandle) -> Self {
        Self { store }
    }

    /// Creates a key; the returned secret is the only time it exists in full.
    ///
    /// # Errors
    ///
    /// As the store.
    pub async fn create(&self, new: NewKey) -> StoreResult<(KeyRecord, Secret)> {
        let id = format!("{:016x}", rand::random::<u64>());
        let secret = format!(
            "{:032x}{:032x}",
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        let record = KeyRecord {
            id: id.clone(),
            name: new.name,
            hash: hash_hex(&secret),
            models: new.models,
            rpm: new.rpm,
            concurrency: new.concurrency,
            created_at: crate::store::now_ms().max(0).unsigned_abs() / 1000,
        };
        self.store
            .map_set_json(KEYS_MAP, &id, &record, None)
            .await?;
        Ok((record, Secret::new(format!("{KEY_PREFIX}{id}-{secret}"))))
    }

    /// Every key's record, by id.
    ///
    /// # Errors
    ///
    /// As the store.
    pub async fn list(&self) -> StoreResult<Vec<KeyRecord>> {
        let entries = self.store.raw().map_entries(KEYS_MAP).await?;
        Ok(entries
            .iter()
            .filter_map(|(_, v)| serde_json::from_str(v).ok())
            .collect())
    }

    /// Revokes a key by id (or by the full key); `false` when there was no such key.
    ///
    /// # Errors
    ///
    /// As the store.
    pub async fn revoke(&self, id_or_key: &str) -> StoreResult<bool> {
        let id = split_key(id_or_key).map_or(id_or_key.trim(), |(id, _)| id);
        self.store.raw().map_delete(KEYS_MAP, id).await
    }

    /// The key `presented` names, when it is valid and not revoked.
    ///
    /// # Errors
    ///
    /// As the store.
    pub async fn verify(&self, presented: &str) -> StoreResult<Option<ClientKey>> {
        let Some((id, secret)) = split_key(presented.trim()) else {
            return Ok(None);
        };
        let record: Option<KeyRecord> = self.store.map_get_json(KEYS_MAP, id).await?;
        let given = hash_hex(secret);
        Ok(record
            .filter(|r| constant_time_eq(given.as_bytes(), r.hash.as_bytes()))
            .map(|r| ClientKey::from(&r)))
    }
}

/// The bearer token of a request, if any.
pub fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Checks the request's key, applies its per-minute limit, and puts its [`ClientKey`] in
/// the request's extensions. Refusals are [`GatewayError`]s (OpenAI's shape): 401 without
/// a valid key, 429 over the limit, 503 when the store is unreachable.
///
/// # Errors
///
/// As above.
pub async fn authenticate(
    state: &GatewayState,
    headers: &axum::http::HeaderMap,
) -> Result<ClientKey, GatewayError> {
    let Some(presented) = bearer(headers) else {
        return Err(GatewayError::unauthorized(
            "no API key: send Authorization: Bearer <key> (create one with `coze serve keys create`)",
        ));
    };
    match state.keys().verify(presented).await? {
        Some(key) => Ok(key),
        None => Err(GatewayError::unauthorized(
            "the API key is wrong or was revoked; `coze serve keys list` shows the valid ones",
        )),
    }
}

/// Middleware: [`authenticate`] then [`crate::limits::check_rate`]; on success the
/// [`ClientKey`] is a request extension and the key id goes to the request log.
pub async fn require_key(
    State(state): State<GatewayState>,
    mut request: Request,
    next: Next,
) -> Response {
    let key = match authenticate(&state, request.headers()).await {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    let id = KeyId(key.id.clone());
    if let Err(e) = crate::limits::check_rate(&state, &key).await {
        let mut response = e.into_response();
        response.extensions_mut().insert(id);
        return response;
    }
    request.extensions_mut().insert(key);
    let mut response = next.run(request).await;
    response.extensions_mut().insert(id);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_only_when_well_formed() {
        let id = "0123456789abcdef";
        let secret = "ab".repeat(32);
        assert_eq!(
            split_key(&format!("sk-cz-{id}-{secret}")),
            Some((id, secret.as_str()))
        );
        assert_eq!(split_key(&format!("sk-cz-{id}-{}", &secret[1..])), None);
        assert_eq!(split_key(&format!("sk-xx-{id}-{secret}")), None);
        assert_eq!(split_key("sk-cz-"), None);
    }

    #[test]
    fn bearer_reads_the_scheme_case_insensitively() {
        let mut h = axum::http::HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(
            header::AUTHORIZATION,
            "bearer  abc ".parse().expect("header"),
        );
        assert_eq!(bearer(&h), Some("abc"));
        h.insert(header::AUTHORIZATION, "Basic abc".parse().expect("header"));
        assert_eq!(bearer(&h), None);
    }
}
