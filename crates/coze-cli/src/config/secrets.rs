//! Where the secret parts of a profile's credentials live.
//!
//! `credentials.json` always holds a profile's metadata (method, expiry, account, app
//! settings). Its secrets (access token, refresh token, web client secret) go either into the
//! same entry or, with a [`SecretBackend`] such as the OS keyring (cargo feature `keyring`),
//! into one backend item per profile: a JSON object with just those fields. The file entry
//! then names that item in `keyring_entry` instead of carrying the secrets.
//!
//! Everything here works on the entry's JSON, so [`super::StoredCredentials`], the lock and the
//! refresh logic do not know where the secrets are.

use std::fmt;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::ConfigError;

/// The fields of a stored profile that are secret.
const SECRET_FIELDS: [&str; 3] = ["access_token", "refresh_token", "client_secret"];

/// The field of a file entry that names its backend item.
const MARKER: &str = "keyring_entry";

/// Set to anything but an empty string to keep tokens in the credentials file even when
/// `coze` was built with the `keyring` feature.
pub const NO_KEYRING_ENV: &str = "COZE_NO_KEYRING";

/// A place that keeps one secret text per name, such as the OS keyring.
///
/// Implementations must not put the secret into a [`BackendError`].
pub trait SecretBackend: fmt::Debug + Send + Sync {
    /// The secret stored under `name`; `Ok(None)` when there is none.
    ///
    /// # Errors
    ///
    /// The backend cannot be reached or refused access.
    fn get(&self, name: &str) -> Result<Option<String>, BackendError>;

    /// Stores `secret` under `name`, replacing what was there.
    ///
    /// # Errors
    ///
    /// The backend cannot be reached or refused the write.
    fn set(&self, name: &str, secret: &str) -> Result<(), BackendError>;

    /// Removes `name`; `Ok(false)` when it was not there.
    ///
    /// # Errors
    ///
    /// The backend cannot be reached or refused the removal.
    fn delete(&self, name: &str) -> Result<bool, BackendError>;
}

/// Why a [`SecretBackend`] failed: a one-line description without any secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendError(String);

impl BackendError {
    /// An error described by `message` (which must not contain a secret).
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BackendError {}

/// The backend a new [`super::CredentialStore`] uses: the OS keyring when built with the
/// `keyring` feature and [`NO_KEYRING_ENV`] is not set, else none (file only). Unit tests
/// never touch the user's real keyring.
pub fn default_backend() -> Option<Arc<dyn SecretBackend>> {
    if cfg!(test) || std::env::var_os(NO_KEYRING_ENV).is_some_and(|v| !v.is_empty()) {
        return None;
    }
    os_backend()
}

#[cfg(feature = "keyring")]
fn os_backend() -> Option<Arc<dyn SecretBackend>> {
    Some(Arc::new(super::os_keyring::OsKeyring))
}

#[cfg(not(feature = "keyring"))]
fn os_backend() -> Option<Arc<dyn SecretBackend>> {
    None
}

/// A file entry ready to be written, and the warning to print if the backend failed.
#[derive(Debug)]
pub(super) struct Stashed {
    pub(super) entry: Value,
    pub(super) warning: Option<String>,
}

/// Moves the secrets of `entry` (a serialized profile) into `backend` under `name`.
///
/// Without a backend, or when it fails, the entry keeps its secrets (the credentials file is
/// the fallback) and, on failure, a one-line warning says so.
pub(super) fn stash(backend: Option<&dyn SecretBackend>, name: &str, entry: Value) -> Stashed {
    let Some(backend) = backend else {
        return Stashed {
            entry,
            warning: None,
        };
    };
    let Value::Object(mut fields) = entry else {
        return Stashed {
            entry,
            warning: None,
        };
    };
    let secrets: Map<String, Value> = SECRET_FIELDS
        .iter()
        .filter_map(|k| fields.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect();
    let result = serde_json::to_string(&secrets)
        .map_err(|e| BackendError::new(format!("cannot encode the tokens: {e}")))
        .and_then(|blob| backend.set(name, &blob));
    match result {
        Ok(()) => {
            for k in SECRET_FIELDS {
                fields.remove(k);
            }
            fields.insert(MARKER.to_owned(), Value::String(name.to_owned()));
            Stashed {
                entry: Value::Object(fields),
                warning: None,
            }
        }
        Err(e) => Stashed {
            entry: Value::Object(fields),
            warning: Some(format!(
                "warning: the OS keyring is unavailable ({e}); storing the tokens in the \
                 credentials file instead (set {NO_KEYRING_ENV}=1 to silence this)"
            )),
        },
    }
}

/// The backend item `entry` keeps its secrets in, if any.
pub(super) fn backend_name(entry: &Value) -> Option<&str> {
    entry.get(MARKER).and_then(Value::as_str)
}

/// Puts the secrets of `entry` back from `backend`, for parsing. An entry that holds its
/// secrets itself is returned as it is.
///
/// # Errors
///
/// The secrets are in a backend this process cannot use, the backend fails, or its item is
/// missing or damaged; each with a hint.
pub(super) fn restore(
    backend: Option<&dyn SecretBackend>,
    profile: &str,
    entry: Value,
) -> Result<Value, ConfigError> {
    let Some(name) = backend_name(&entry).map(str::to_owned) else {
        return Ok(entry);
    };
    let login = login_hint(profile);
    let Some(backend) = backend else {
        return Err(ConfigError::new(format!(
            "the tokens of profile `{profile}` are in the OS keyring, which this coze does not use"
        ))
        .with_hint(format!(
            "use a coze built with `--features keyring` and unset {NO_KEYRING_ENV}, or {login}"
        )));
    };
    let blob = match backend.get(&name) {
        Ok(Some(blob)) => blob,
        Ok(None) => {
            return Err(ConfigError::new(format!(
                "the tokens of profile `{profile}` are missing from the OS keyring"
            ))
            .with_hint(login));
        }
        Err(e) => {
            return Err(ConfigError::new(format!(
                "cannot read the tokens of profile `{profile}` from the OS keyring: {e}"
            ))
            .with_hint(format!("unlock the keyring and retry, or {login}")));
        }
    };
    let (Value::Object(mut fields), Ok(Value::Object(secrets))) =
        (entry, serde_json::from_str::<Value>(&blob))
    else {
        return Err(ConfigError::new(format!(
            "the OS keyring entry of profile `{profile}` is corrupt"
        ))
        .with_hint(login));
    };
    fields.remove(MARKER);
    for (k, v) in secrets {
        if SECRET_FIELDS.contains(&k.as_str()) {
            fields.insert(k, v);
        }
    }
    Ok(Value::Object(fields))
}

fn login_hint(profile: &str) -> String {
    if profile == super::DEFAULT_PROFILE {
        "run `coze auth login` to log in again".to_owned()
    } else {
        format!("run `coze auth login --profile {profile}` to log in again")
    }
}

#[cfg(test)]
pub(crate) mod fake {
    //! In-memory backends for tests.

    use std::collections::BTreeMap;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, Ordering};

    use super::{BackendError, SecretBackend};

    /// Keeps secrets in memory; `failing` makes every call fail like a headless Linux
    /// without a Secret Service, `refuse_set` only writes (like an item over the size limit).
    #[derive(Debug, Default)]
    pub(crate) struct FakeBackend {
        pub(crate) items: Mutex<BTreeMap<String, String>>,
        pub(crate) failing: AtomicBool,
        pub(crate) refuse_set: AtomicBool,
    }

    impl FakeBackend {
        pub(crate) fn failing() -> Self {
            Self {
                failing: AtomicBool::new(true),
                ..Self::default()
            }
        }

        fn check(&self) -> Result<(), BackendError> {
            if self.failing.load(Ordering::Relaxed) {
                Err(BackendError::new("no Secret Service on the session bus"))
            } else {
                Ok(())
            }
        }

        pub(crate) fn item(&self, name: &str) -> Option<String> {
            self.items
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(name)
                .cloned()
        }
    }

    impl SecretBackend for FakeBackend {
        fn get(&self, name: &str) -> Result<Option<String>, BackendError> {
            self.check()?;
            Ok(self.item(name))
        }

        fn set(&self, name: &str, secret: &str) -> Result<(), BackendError> {
            self.check()?;
            if self.refuse_set.load(Ordering::Relaxed) {
                return Err(BackendError::new("item too long"));
            }
            self.items
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(name.to_owned(), secret.to_owned());
            Ok(())
        }

        fn delete(&self, name: &str) -> Result<bool, BackendError> {
            self.check()?;
            Ok(self
                .items
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(name)
                .is_some())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::fake::FakeBackend;
    use super::*;

    fn entry() -> Value {
        json!({
            "method": "web",
            "base_url": "https://api.coze.cn",
            "access_token": "czu_access",
            "expires_at": 1000,
            "refresh_token": "refresh_secret",
            "client_secret": "client_secret_value",
        })
    }

    #[test]
    fn stash_moves_every_secret_and_restore_brings_them_back() {
        let backend = FakeBackend::default();
        let stashed = stash(Some(&backend), "default@/cfg", entry());
        assert!(stashed.warning.is_none());
        let text = stashed.entry.to_string();
        for secret in ["czu_access", "refresh_secret", "client_secret_value"] {
            assert!(!text.contains(secret), "{secret} left in the file: {text}");
        }
        assert_eq!(stashed.entry["expires_at"], 1000);
        assert_eq!(backend_name(&stashed.entry), Some("default@/cfg"));
        let item = backend.item("default@/cfg").unwrap_or_default();
        assert!(item.contains("refresh_secret"), "{item}");
        let restored = restore(Some(&backend), "default", stashed.entry).expect("restores");
        assert_eq!(restored, entry());
    }

    #[test]
    fn failing_backend_keeps_the_secrets_in_the_file_with_one_warning_line() {
        let stashed = stash(Some(&FakeBackend::failing()), "default@/cfg", entry());
        assert_eq!(stashed.entry, entry());
        let warning = stashed.warning.expect("a warning");
        assert!(warning.starts_with("warning: "), "{warning}");
        assert!(warning.contains("no Secret Service"), "{warning}");
        assert!(!warning.contains('\n'), "{warning}");
        assert!(!warning.contains("czu_access"), "{warning}");
    }

    #[test]
    fn no_backend_leaves_the_entry_alone() {
        let stashed = stash(None, "x", entry());
        assert_eq!(stashed.entry, entry());
        assert!(stashed.warning.is_none());
        assert_eq!(restore(None, "default", entry()).ok(), Some(entry()));
    }

    #[test]
    fn keyring_entry_without_usable_backend_is_a_clear_error() {
        let backend = FakeBackend::default();
        let stashed = stash(Some(&backend), "work@/cfg", entry()).entry;

        let err = restore(None, "work", stashed.clone()).expect_err("no backend");
        assert!(err.to_string().contains("in the OS keyring"), "{err}");
        assert!(
            err.hint()
                .is_some_and(|h| h.contains("coze auth login --profile work")),
            "{err:?}"
        );

        let err = restore(Some(&FakeBackend::failing()), "work", stashed.clone())
            .expect_err("failing backend");
        assert!(err.to_string().contains("no Secret Service"), "{err}");

        let err = restore(Some(&FakeBackend::default()), "work", stashed.clone())
            .expect_err("missing item");
        assert!(err.to_string().contains("missing"), "{err}");

        backend
            .set("work@/cfg", "not json")
            .expect("fake backend set");
        let err = restore(Some(&backend), "work", stashed).expect_err("bad item");
        assert!(err.to_string().contains("corrupt"), "{err}");
    }
}
