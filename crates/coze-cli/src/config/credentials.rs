//! `credentials.json`: the tokens of each profile.
//!
//! Layout: `{"version": 1, "profiles": {"NAME": {...}}}`. Each profile is parsed on its own,
//! so one damaged entry does not take the others down. Readers never lock (the file is only
//! ever replaced by an atomic rename); every writer holds [`CredentialsLock`] across
//! read-modify-write so concurrent `coze` processes cannot lose each other's updates.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use coze_sdk::Secret;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ConfigError;
use super::fsutil;
use super::lock::CredentialsLock;
use super::secrets::{self, SecretBackend};

const FILE_NAME: &str = "credentials.json";
const LOCK_NAME: &str = "credentials.lock";
const VERSION: u32 = 1;

/// How the stored token was obtained, which also says how to renew it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AuthMethod {
    /// Personal access token: no refresh, log in again when it runs out.
    Pat,
    /// OAuth PKCE (desktop): refresh token, no secret.
    Pkce,
    /// OAuth device code (headless): refresh token, no secret.
    Device,
    /// OAuth web app: refresh token plus the client secret.
    Web,
    /// OAuth JWT service app: no refresh token; a new JWT is signed when the token runs out.
    Jwt,
}

impl AuthMethod {
    /// The name used in `config.toml`, `--json` output and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pat => "pat",
            Self::Pkce => "pkce",
            Self::Device => "device",
            Self::Web => "web",
            Self::Jwt => "jwt",
        }
    }
}

impl fmt::Display for AuthMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Coze account a token belongs to (from `/v1/users/me`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Account {
    /// Coze user id.
    pub user_id: String,
    /// Login name.
    #[serde(default)]
    pub user_name: String,
    /// Display name.
    #[serde(default)]
    pub nick_name: String,
}

/// Everything stored for one profile.
///
/// # Security
///
/// Tokens and the client secret are [`Secret`]s: `Debug` redacts them. They are written
/// only to `credentials.json` (mode 0600), or to the OS keyring with the `keyring` feature.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredCredentials {
    /// How the token was obtained.
    pub method: AuthMethod,
    /// `cn` or `com` when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The API base URL the token was issued for.
    pub base_url: String,
    /// The OAuth app's client id (none for a PAT).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The team workspace the token was authorised for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// The access token.
    #[serde(with = "secret_serde")]
    pub access_token: Secret,
    /// Unix time the access token expires (none for a PAT without a given date).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
    /// The refresh token (PKCE, device, web).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_secret_serde"
    )]
    pub refresh_token: Option<Secret>,
    /// Unix time the refresh token expires, when known (Coze: 30 days after issue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_expires_at: Option<i64>,
    /// The web app's client secret, needed to refresh.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "opt_secret_serde"
    )]
    pub client_secret: Option<Secret>,
    /// The account, when `/v1/users/me` answered at login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    /// Unix time the PAT expires, when the user told us at login.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pat_expires_at: Option<i64>,
    /// Unix time of the last write (login or refresh).
    #[serde(default)]
    pub updated_at: i64,
}

mod secret_serde {
    use coze_sdk::Secret;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(s: &Secret, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(s.expose())
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(de: D) -> Result<Secret, D::Error> {
        String::deserialize(de).map(Secret::new)
    }
}

mod opt_secret_serde {
    use coze_sdk::Secret;
    use serde::{Deserialize, Deserializer, Serializer};

    // serde's `with` passes `&Option<T>`; the signature is fixed by it.
    #[allow(clippy::ref_option)]
    pub(super) fn serialize<S: Serializer>(s: &Option<Secret>, ser: S) -> Result<S::Ok, S::Error> {
        match s {
            Some(s) => ser.serialize_some(s.expose()),
            None => ser.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        de: D,
    ) -> Result<Option<Secret>, D::Error> {
        Option::<String>::deserialize(de).map(|o| o.map(Secret::new))
    }
}

/// The file as stored: each profile kept as raw JSON until asked for, so that a damaged
/// profile is reported by name and the others still load.
#[derive(Debug, Default, Serialize, Deserialize)]
struct RawFile {
    version: u32,
    #[serde(default)]
    profiles: BTreeMap<String, Value>,
}

/// The credentials store in one configuration directory.
///
/// # Security
///
/// Holds no secret itself; the secrets it writes go to the file (0600) or to its
/// [`SecretBackend`].
#[derive(Debug, Clone)]
pub struct CredentialStore {
    dir: PathBuf,
    /// Where secrets go instead of the file (see [`secrets`]); none: the file.
    backend: Option<Arc<dyn SecretBackend>>,
}

/// The keyring fallback is announced once per process, not on every refresh.
static FALLBACK_WARNED: AtomicBool = AtomicBool::new(false);

impl CredentialStore {
    /// The store in `dir` (created on first write), keeping secrets in the OS keyring when
    /// built with the `keyring` feature (see [`secrets::default_backend`]).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self::with_backend(dir, secrets::default_backend())
    }

    /// The store in `dir` with secrets in `backend` (none: in the file).
    pub fn with_backend(dir: impl Into<PathBuf>, backend: Option<Arc<dyn SecretBackend>>) -> Self {
        Self {
            dir: dir.into(),
            backend,
        }
    }

    /// The name of `profile`'s item in the secret backend: the profile and the directory,
    /// so that two configuration directories (`COZE_CONFIG_DIR`) never share tokens.
    fn backend_item(&self, profile: &str) -> String {
        let dir = fs::canonicalize(&self.dir)
            .or_else(|_| std::path::absolute(&self.dir))
            .unwrap_or_else(|_| self.dir.clone());
        format!("{profile}@{}", dir.display())
    }

    /// The path of `credentials.json`.
    pub fn path(&self) -> PathBuf {
        self.dir.join(FILE_NAME)
    }

    /// Reads the credentials of `profile`, without locking. `Ok(None)`: not logged in.
    ///
    /// Fixes (with a warning) a file or directory that others may read.
    ///
    /// # Errors
    ///
    /// An unreadable or corrupt file, or a corrupt entry for `profile`, with a hint to log
    /// in again.
    pub fn load(&self, profile: &str) -> Result<Option<StoredCredentials>, ConfigError> {
        let Some(raw) = self.read_raw(profile)? else {
            return Ok(None);
        };
        let Some(value) = raw.profiles.get(profile) else {
            return Ok(None);
        };
        let value = secrets::restore(self.backend.as_deref(), profile, value.clone())?;
        serde_json::from_value(value)
            .map(Some)
            .map_err(|_| corrupt(profile))
    }

    /// Takes the cross-process lock, waiting up to `wait` for other `coze` processes.
    ///
    /// Blocks the thread; async callers use `spawn_blocking`.
    ///
    /// # Errors
    ///
    /// The directory cannot be created or the lock not taken in time.
    pub fn lock(&self, wait: Duration) -> Result<LockedStore, ConfigError> {
        self.ensure_dir()?;
        let lock = CredentialsLock::acquire(&self.lock_path(), wait)?;
        Ok(LockedStore {
            store: self.clone(),
            _lock: lock,
        })
    }

    /// The path of the lock file (`credentials.lock`).
    pub fn lock_path(&self) -> PathBuf {
        self.dir.join(LOCK_NAME)
    }

    /// Creates the directory (0700) if missing, narrowing its permissions if too wide.
    ///
    /// # Errors
    ///
    /// The directory cannot be created.
    pub fn ensure_dir(&self) -> Result<(), ConfigError> {
        fsutil::ensure_private_dir(&self.dir).map_err(|e| io_error(&self.dir, &e))
    }

    /// Stores `creds` for `profile`. The caller must hold the lock from [`Self::lock_path`]
    /// (the SDK's refresh holds it through its `StoreGuard`); prefer [`LockedStore::save`].
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn save_while_locked(
        &self,
        profile: &str,
        creds: &StoredCredentials,
    ) -> Result<(), ConfigError> {
        let mut raw = self.read_for_update()?;
        let value = serde_json::to_value(creds)
            .map_err(|e| ConfigError::new(format!("cannot encode credentials: {e}")))?;
        let item = self.backend_item(profile);
        let stashed = secrets::stash(self.backend.as_deref(), &item, value);
        let fell_back = stashed.warning.is_some();
        if let Some(warning) = stashed.warning
            && !FALLBACK_WARNED.swap(true, Ordering::Relaxed)
        {
            crate::output::stderr_line(&warning);
        }
        let old = raw.profiles.insert(profile.to_owned(), stashed.entry);
        self.write(&raw)?;
        // Tokens now in the file (fallback) or under another item name: drop the old copy.
        let new_item = raw.profiles.get(profile).and_then(secrets::backend_name);
        if let Some(old_item) = old.as_ref().and_then(secrets::backend_name)
            && Some(old_item) != new_item
        {
            // After a fallback the keyring just failed: one warning is enough.
            self.forget(old_item, !fell_back);
        }
        Ok(())
    }

    /// Removes `profile`; true if it was there. The caller must hold the lock.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn remove_while_locked(&self, profile: &str) -> Result<bool, ConfigError> {
        let mut raw = self.read_for_update()?;
        let old = raw.profiles.remove(profile);
        if let Some(old) = &old {
            self.write(&raw)?;
            if let Some(item) = secrets::backend_name(old) {
                self.forget(item, true);
            }
        }
        Ok(old.is_some())
    }

    /// Deletes a backend item no entry points to any more; a failure only warns, since the
    /// file no longer refers to it.
    fn forget(&self, item: &str, warn: bool) {
        let Some(backend) = &self.backend else {
            return;
        };
        if let Err(e) = backend.delete(item)
            && warn
        {
            crate::output::stderr_line(&format!(
                "warning: cannot remove old tokens from the OS keyring ({e})"
            ));
        }
    }

    /// The whole file for a rewrite. A corrupt file is moved aside to
    /// `credentials.json.corrupt` (`.corrupt.1`, `.corrupt.2`, … when that exists: an earlier
    /// copy is never overwritten) rather than kept: logging in is how the user repairs it.
    fn read_for_update(&self) -> Result<RawFile, ConfigError> {
        let path = self.path();
        match self.read_raw("") {
            Ok(raw) => Ok(raw.unwrap_or_default()),
            Err(_) if path.exists() => {
                let aside = (0..)
                    .map(|n| match n {
                        0 => self.dir.join(format!("{FILE_NAME}.corrupt")),
                        n => self.dir.join(format!("{FILE_NAME}.corrupt.{n}")),
                    })
                    .find(|p| !p.exists())
                    .unwrap_or_else(|| self.dir.join(format!("{FILE_NAME}.corrupt")));
                fs::rename(&path, &aside).map_err(|e| io_error(&path, &e))?;
                crate::output::stderr_line(&format!(
                    "warning: moved the unreadable {} to {}",
                    path.display(),
                    aside.display()
                ));
                Ok(RawFile::default())
            }
            Err(e) => Err(e),
        }
    }

    fn write(&self, raw: &RawFile) -> Result<(), ConfigError> {
        let path = self.path();
        let raw = RawFile {
            version: VERSION,
            profiles: raw.profiles.clone(),
        };
        let mut json = serde_json::to_vec_pretty(&raw)
            .map_err(|e| ConfigError::new(format!("cannot encode credentials: {e}")))?;
        json.push(b'\n');
        self.ensure_dir()?;
        fsutil::remove_stale_temps(&self.dir, FILE_NAME);
        fsutil::atomic_write(&path, &json).map_err(|e| io_error(&path, &e))
    }

    fn read_raw(&self, profile: &str) -> Result<Option<RawFile>, ConfigError> {
        let path = self.path();
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error(&path, &e)),
        };
        // Wrong permissions are fixed, not fatal: the user's intent is clear.
        let _ = fsutil::restrict(&self.dir, 0o700);
        let _ = fsutil::restrict(&path, 0o600);
        match serde_json::from_slice::<RawFile>(&bytes) {
            Ok(raw) if raw.version <= VERSION => Ok(Some(raw)),
            Ok(raw) => Err(ConfigError::new(format!(
                "{} was written by a newer coze (format version {})",
                path.display(),
                raw.version
            ))
            .with_hint("upgrade coze, or run `coze auth login` to start over")),
            Err(_) => Err(corrupt(profile)),
        }
    }
}

/// The store while this process holds the lock: the only way to write.
#[derive(Debug)]
pub struct LockedStore {
    store: CredentialStore,
    _lock: CredentialsLock,
}

impl LockedStore {
    /// Stores `creds` for `profile`, keeping the other profiles.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn save(&self, profile: &str, creds: &StoredCredentials) -> Result<(), ConfigError> {
        self.store.save_while_locked(profile, creds)
    }

    /// Removes `profile`; true if it was there.
    ///
    /// # Errors
    ///
    /// The file cannot be written.
    pub fn remove(&self, profile: &str) -> Result<bool, ConfigError> {
        self.store.remove_while_locked(profile)
    }
}

fn corrupt(profile: &str) -> ConfigError {
    let what = if profile.is_empty() {
        "the credentials file is corrupt".to_owned()
    } else {
        format!("credentials for profile `{profile}` are corrupt")
    };
    let flag = if profile.is_empty() || profile == super::DEFAULT_PROFILE {
        String::new()
    } else {
        format!(" --profile {profile}")
    };
    ConfigError::new(what).with_hint(format!("run `coze auth login{flag}` to replace them"))
}

fn io_error(path: &Path, e: &io::Error) -> ConfigError {
    ConfigError::new(format!("cannot access {}: {e}", path.display()))
        .with_hint("check the permissions of the configuration directory (COZE_CONFIG_DIR)")
}

#[cfg(test)]
mod tests {
    use super::super::secrets::fake::FakeBackend;
    use super::*;

    fn sample(token: &str) -> StoredCredentials {
        StoredCredentials {
            method: AuthMethod::Pkce,
            region: Some("cn".into()),
            base_url: "https://api.coze.cn".into(),
            client_id: Some("1.app.coze".into()),
            workspace_id: None,
            access_token: Secret::new(token),
            expires_at: Some(1_000),
            refresh_token: Some(Secret::new("refresh-secret")),
            refresh_expires_at: None,
            client_secret: None,
            account: None,
            pat_expires_at: None,
            updated_at: 1,
        }
    }

    #[test]
    fn save_load_remove_round_trip() -> Result<(), ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError::new(e.to_string()))?;
        let store = CredentialStore::new(dir.path().join("coze"));
        assert!(store.load("default")?.is_none());
        let locked = store.lock(Duration::from_secs(1))?;
        locked.save("default", &sample("czu_one"))?;
        locked.save("work", &sample("czu_two"))?;
        drop(locked);
        let got = store.load("default")?.expect("saved");
        assert_eq!(got.access_token.expose(), "czu_one");
        assert_eq!(
            got.refresh_token.as_ref().map(Secret::expose),
            Some("refresh-secret")
        );
        assert!(store.lock(Duration::from_secs(1))?.remove("default")?);
        assert!(store.load("default")?.is_none());
        assert!(store.load("work")?.is_some());
        Ok(())
    }

    fn file_text(store: &CredentialStore) -> Result<String, ConfigError> {
        fs::read_to_string(store.path()).map_err(|e| ConfigError::new(e.to_string()))
    }

    #[test]
    fn secrets_go_to_the_backend_and_metadata_to_the_file() -> Result<(), ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError::new(e.to_string()))?;
        let backend = Arc::new(FakeBackend::default());
        let store = CredentialStore::with_backend(dir.path(), Some(backend.clone()));
        let mut creds = sample("czu_in_keyring");
        creds.client_secret = Some(Secret::new("web-secret"));
        store
            .lock(Duration::from_secs(1))?
            .save("default", &creds)?;

        let text = file_text(&store)?;
        for secret in ["czu_in_keyring", "refresh-secret", "web-secret"] {
            assert!(!text.contains(secret), "{secret} in the file: {text}");
        }
        assert!(text.contains("\"expires_at\": 1000"), "{text}");
        let item = store.backend_item("default");
        assert!(
            backend
                .item(&item)
                .is_some_and(|i| i.contains("web-secret"))
        );

        let got = store.load("default")?.expect("saved");
        assert_eq!(got.access_token.expose(), "czu_in_keyring");
        assert_eq!(
            got.client_secret.as_ref().map(Secret::expose),
            Some("web-secret")
        );

        // Without the backend (a coze built without the feature) the user is told why.
        let err = CredentialStore::with_backend(dir.path(), None)
            .load("default")
            .expect_err("tokens are in the keyring");
        assert!(err.to_string().contains("OS keyring"), "{err}");

        assert!(store.lock(Duration::from_secs(1))?.remove("default")?);
        assert!(
            backend.item(&item).is_none(),
            "logout leaves the keyring item"
        );
        Ok(())
    }

    #[test]
    fn failing_backend_falls_back_to_the_file() -> Result<(), ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError::new(e.to_string()))?;
        let store =
            CredentialStore::with_backend(dir.path(), Some(Arc::new(FakeBackend::failing())));
        store
            .lock(Duration::from_secs(1))?
            .save("default", &sample("czu_in_file"))?;
        assert!(file_text(&store)?.contains("czu_in_file"));
        let got = store.load("default")?.expect("saved");
        assert_eq!(got.access_token.expose(), "czu_in_file");
        // The file's entry is complete: a build without the feature reads it too.
        let plain = CredentialStore::with_backend(dir.path(), None).load("default")?;
        assert_eq!(
            plain.map(|c| c.access_token.expose().to_owned()),
            Some("czu_in_file".into())
        );
        Ok(())
    }

    #[test]
    fn fallback_after_keyring_login_drops_the_stale_item() -> Result<(), ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError::new(e.to_string()))?;
        let backend = Arc::new(FakeBackend::default());
        let store = CredentialStore::with_backend(dir.path(), Some(backend.clone()));
        store
            .lock(Duration::from_secs(1))?
            .save("default", &sample("czu_old"))?;
        let item = store.backend_item("default");
        assert!(backend.item(&item).is_some());
        // The keyring now refuses the write: the file takes the tokens, the old copy goes.
        backend
            .refuse_set
            .store(true, std::sync::atomic::Ordering::Relaxed);
        store
            .lock(Duration::from_secs(1))?
            .save("default", &sample("czu_new"))?;
        assert!(file_text(&store)?.contains("czu_new"));
        assert!(backend.item(&item).is_none(), "stale keyring item kept");
        assert_eq!(
            store
                .load("default")?
                .map(|c| c.access_token.expose().to_owned()),
            Some("czu_new".into())
        );
        Ok(())
    }

    #[test]
    fn debug_never_shows_tokens() {
        let text = format!("{:?}", sample("czu_visible"));
        assert!(
            !text.contains("czu_visible") && !text.contains("refresh-secret"),
            "{text}"
        );
    }

    #[test]
    fn corrupt_profile_is_reported_by_name_and_others_load() -> Result<(), ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError::new(e.to_string()))?;
        let store = CredentialStore::new(dir.path());
        store
            .lock(Duration::from_secs(1))?
            .save("good", &sample("czu_ok"))?;
        let text = fs::read_to_string(store.path()).map_err(|e| ConfigError::new(e.to_string()))?;
        let mut value: Value =
            serde_json::from_str(&text).map_err(|e| ConfigError::new(e.to_string()))?;
        value["profiles"]["bad"] = serde_json::json!({"method": "nonsense"});
        fs::write(store.path(), value.to_string()).map_err(|e| ConfigError::new(e.to_string()))?;
        let err = store.load("bad").expect_err("corrupt entry");
        assert_eq!(err.to_string(), "credentials for profile `bad` are corrupt");
        assert!(store.load("good")?.is_some());
        Ok(())
    }

    #[test]
    fn garbage_file_is_an_error_and_login_replaces_it() -> Result<(), ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError::new(e.to_string()))?;
        let store = CredentialStore::new(dir.path());
        fs::write(store.path(), b"{\"version\":1,\"profi")
            .map_err(|e| ConfigError::new(e.to_string()))?;
        let err = store.load("default").expect_err("corrupt file");
        assert_eq!(
            err.to_string(),
            "credentials for profile `default` are corrupt"
        );
        assert_eq!(err.hint(), Some("run `coze auth login` to replace them"));
        store
            .lock(Duration::from_secs(1))?
            .save("default", &sample("czu_new"))?;
        assert_eq!(
            store
                .load("default")?
                .map(|c| c.access_token.expose().to_owned()),
            Some("czu_new".into())
        );
        assert!(dir.path().join("credentials.json.corrupt").exists());

        // A second corrupt file goes beside the first copy, which stays as it was.
        fs::write(store.path(), b"second garbage").map_err(|e| ConfigError::new(e.to_string()))?;
        store
            .lock(Duration::from_secs(1))?
            .save("default", &sample("czu_newer"))?;
        let first = fs::read(dir.path().join("credentials.json.corrupt"))
            .map_err(|e| ConfigError::new(e.to_string()))?;
        assert_eq!(first, b"{\"version\":1,\"profi");
        let second = fs::read(dir.path().join("credentials.json.corrupt.1"))
            .map_err(|e| ConfigError::new(e.to_string()))?;
        assert_eq!(second, b"second garbage");
        Ok(())
    }
}
