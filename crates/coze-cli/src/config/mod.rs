//! Where `coze` keeps what it remembers between runs.
//!
//! Two files live in the configuration directory (`$COZE_CONFIG_DIR`, else the platform's
//! config directory + `coze`, e.g. `~/.config/coze` on Linux):
//!
//! - `config.toml`: profiles (`[profiles.NAME]`) with region, base URL, auth method and the
//!   OAuth app's settings. No secrets: it may be shared or checked into a dotfiles repo.
//! - `credentials.json`: tokens per profile, mode 0600 in a 0700 directory, replaced
//!   atomically, guarded by `credentials.lock` (an OS file lock) whenever it is rewritten, so
//!   that several `coze` processes refreshing at once refresh once and keep the newest
//!   rotated refresh token.
//!
//! # The OS keyring (cargo feature `keyring`, off by default)
//!
//! Built with `cargo install coze-cli --features keyring`, `coze` keeps each profile's access
//! token, refresh token and web client secret in the OS keyring (Secret Service on Linux and
//! BSD, Keychain on macOS, Credential Manager on Windows; no C libraries needed), as one item
//! under the service `coze-cli` named `PROFILE@CONFIG_DIR`. `credentials.json` keeps the rest
//! (method, expiry, account, app settings) and the item's name, and the lock works as before.
//!
//! - When the keyring cannot be used (a headless Linux without a Secret Service, a locked or
//!   refusing keyring), the tokens go into `credentials.json` as without the feature, and one
//!   `warning:` line per process says so on stderr. The next login or refresh tries the
//!   keyring again.
//! - `COZE_NO_KEYRING=1` keeps the tokens in the file (and silences the warning).
//! - Reading never falls back: tokens stored in the keyring that cannot be read (keyring
//!   locked, item deleted, a `coze` built without the feature) give a one-line error with a
//!   hint to unlock the keyring or log in again.
//! - `coze auth logout` deletes the keyring item too; a login that falls back to the file
//!   deletes the profile's old item when it can.
//!
//! Without the feature nothing changes: the credentials file is the only store.

pub mod credentials;
mod fsutil;
pub mod lock;
#[cfg(feature = "keyring")]
mod os_keyring;
pub mod profile;
pub mod secrets;
pub mod time;

use std::fmt;
use std::path::PathBuf;

pub use credentials::{Account, AuthMethod, CredentialStore, StoredCredentials};
pub use profile::{ConfigFile, Profile};

/// The environment variable that overrides the configuration directory.
pub const CONFIG_DIR_ENV: &str = "COZE_CONFIG_DIR";

/// The profile used when `--profile` is not given.
pub const DEFAULT_PROFILE: &str = "default";

/// A problem with the user's configuration or stored credentials (exit code 2 in the CLI).
///
/// Carries a one-line message and a hint that says what to do next. Never contains a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    message: String,
    hint: Option<String>,
}

impl ConfigError {
    /// An error with a message and no hint.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
        }
    }

    /// Adds the "what to do next" line.
    #[must_use]
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// What to do next, if known.
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}

/// The configuration directory: `$COZE_CONFIG_DIR` if set and not empty, else the
/// platform's config directory joined with `coze`.
///
/// # Errors
///
/// Fails when neither is available (no home directory).
pub fn config_dir() -> Result<PathBuf, ConfigError> {
    if let Some(dir) = std::env::var_os(CONFIG_DIR_ENV).filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    dirs::config_dir().map(|d| d.join("coze")).ok_or_else(|| {
        ConfigError::new("cannot find a configuration directory (no home directory)").with_hint(
            format!("set {CONFIG_DIR_ENV} to a directory coze may write to"),
        )
    })
}

/// Checks a profile name: letters, digits, `-`, `_` and `.`, at most 64 characters.
///
/// # Errors
///
/// Fails with a hint on an empty, long or oddly spelled name.
pub fn validate_profile_name(name: &str) -> Result<(), ConfigError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(ConfigError::new(format!("invalid profile name `{name}`"))
            .with_hint("use letters, digits, `-`, `_` or `.` (at most 64 characters)"))
    }
}

/// The profile chosen for this run, with its configuration directory, settings and store.
#[derive(Debug, Clone)]
pub struct ProfileContext {
    /// The profile's name.
    pub name: String,
    /// True when the name came from `--profile` / `COZE_PROFILE` rather than the default.
    pub explicit: bool,
    /// The configuration directory.
    pub dir: PathBuf,
    /// `config.toml` as read at start-up.
    pub config: ConfigFile,
    /// `credentials.json` in the same directory.
    pub store: CredentialStore,
    /// No files behind it (see [`ProfileContext::empty`]).
    detached: bool,
}

impl ProfileContext {
    /// Reads `config.toml` for profile `name` (default `default`) from `dir`.
    ///
    /// # Errors
    ///
    /// A bad profile name, an unreadable or invalid `config.toml`, or an invalid profile.
    pub fn load(dir: PathBuf, name: Option<&str>) -> Result<Self, ConfigError> {
        let explicit = name.is_some();
        let name = name.unwrap_or(DEFAULT_PROFILE).to_owned();
        validate_profile_name(&name)?;
        let config = ConfigFile::load(&dir)?;
        config.profile(&name)?;
        let store = CredentialStore::new(dir.clone());
        Ok(Self {
            name,
            explicit,
            dir,
            config,
            store,
            detached: false,
        })
    }

    /// The default profile with no settings and no credentials, reading no files (for
    /// settings resolved in tests).
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn empty() -> Self {
        let dir = std::env::temp_dir().join("coze-detached-profile");
        Self {
            name: DEFAULT_PROFILE.to_owned(),
            explicit: false,
            store: CredentialStore::new(dir.clone()),
            dir,
            config: ConfigFile::default(),
            detached: true,
        }
    }

    /// The profile's settings, if `config.toml` has them.
    pub fn profile(&self) -> Option<&Profile> {
        self.config.profiles.get(&self.name)
    }

    /// The stored credentials, if logged in.
    ///
    /// # Errors
    ///
    /// An unreadable or corrupt credentials file.
    pub fn credentials(&self) -> Result<Option<StoredCredentials>, ConfigError> {
        if self.detached {
            return Ok(None);
        }
        self.store.load(&self.name)
    }

    /// An explicitly named profile that has neither settings nor credentials is most likely
    /// a typo: say so instead of silently using defaults.
    ///
    /// # Errors
    ///
    /// The profile is unknown.
    pub fn require_known(&self) -> Result<(), ConfigError> {
        if !self.explicit
            || self.profile().is_some()
            || matches!(self.credentials(), Ok(Some(_)) | Err(_))
        {
            return Ok(());
        }
        let known: Vec<&str> = self.config.profiles.keys().map(String::as_str).collect();
        let known = if known.is_empty() {
            "none".to_owned()
        } else {
            known.join(", ")
        };
        Err(ConfigError::new(format!(
            "profile `{}` does not exist (known: {known})",
            self.name
        ))
        .with_hint(format!(
            "create it with `coze auth login --profile {}`",
            self.name
        )))
    }
}
