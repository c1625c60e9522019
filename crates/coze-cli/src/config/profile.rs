//! `config.toml`: named profiles, no secrets.
//!
//! ```toml
//! [profiles.default]
//! region = "cn"                      # cn | com
//! base_url = "https://api.coze.cn"   # optional; follows the region
//! auth = "pkce"                      # pat | pkce | device | web | jwt
//! client_id = "12345.app.coze"
//! redirect_uri = "http://127.0.0.1:8080/callback"
//! workspace_id = "7500000000000000000"   # team workspace, optional
//! key_id = "..."                     # JWT apps
//! private_key = "/home/me/.config/coze/app.pem"
//! ```
//!
//! Keys this module does not know are kept as they are when the file is rewritten, so other
//! commands can store their own settings in a profile.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::credentials::AuthMethod;
use super::{ConfigError, fsutil};

const FILE_NAME: &str = "config.toml";

/// The settings of one profile. Every field is optional: flags and defaults fill the gaps.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Profile {
    /// `cn` (coze.cn) or `com` (coze.com).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// API base URL; overrides the region's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// How `coze auth login` logs in by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<AuthMethod>,
    /// The OAuth app's client id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// The redirect URI registered for the app (PKCE and web apps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect_uri: Option<String>,
    /// The team workspace to authorise for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace_id: Option<String>,
    /// The JWT app's public key id (fingerprint).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Path of the JWT app's private key (PEM). The key itself is never copied here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private_key: Option<PathBuf>,
    /// The app's `coze_oauth_config.json` (JWT apps logged in with `--config` renew from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_config: Option<PathBuf>,
    /// Settings owned by other commands, kept verbatim.
    #[serde(flatten)]
    pub extra: toml::Table,
}

impl Profile {
    /// Checks the values a user may have typed by hand.
    ///
    /// # Errors
    ///
    /// A region other than `cn`/`com`, or a base or redirect URL that does not parse.
    pub fn validate(&self, name: &str) -> Result<(), ConfigError> {
        let bad = |key: &str, why: String| {
            ConfigError::new(format!("profile `{name}` in config.toml: `{key}` {why}"))
                .with_hint("fix it in config.toml, or pass the matching flag")
        };
        if let Some(r) = &self.region
            && r != "cn"
            && r != "com"
        {
            return Err(bad("region", format!("is `{r}`, expected `cn` or `com`")));
        }
        for (key, value) in [
            ("base_url", &self.base_url),
            ("redirect_uri", &self.redirect_uri),
        ] {
            if let Some(v) = value {
                match url::Url::parse(v) {
                    Ok(u) if matches!(u.scheme(), "http" | "https") => {}
                    _ => return Err(bad(key, format!("`{v}` is not an http(s) URL"))),
                }
            }
        }
        Ok(())
    }
}

/// The whole `config.toml`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ConfigFile {
    /// Profiles by name.
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
    /// Top-level settings owned by others, kept verbatim.
    #[serde(flatten)]
    pub extra: toml::Table,
}

impl ConfigFile {
    /// The path of `config.toml` in `dir`.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join(FILE_NAME)
    }

    /// Reads `config.toml` from `dir`; a missing file is an empty configuration.
    ///
    /// # Errors
    ///
    /// An unreadable file, or one that is not valid TOML of this shape (with the line).
    pub fn load(dir: &Path) -> Result<Self, ConfigError> {
        let path = Self::path_in(dir);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => {
                return Err(
                    ConfigError::new(format!("cannot read {}: {e}", path.display()))
                        .with_hint("check its permissions, or set COZE_CONFIG_DIR elsewhere"),
                );
            }
        };
        toml::from_str(&text).map_err(|e| {
            let line = e
                .span()
                .map(|s| 1 + text[..s.start.min(text.len())].matches('\n').count());
            let first = e
                .message()
                .lines()
                .next()
                .unwrap_or("invalid TOML")
                .to_owned();
            let at = line.map(|l| format!(" (line {l})")).unwrap_or_default();
            ConfigError::new(format!("{} is invalid{at}: {first}", path.display()))
                .with_hint("fix the file, or move it away to start from defaults")
        })
    }

    /// The profile `name`, validated; `None` when the file does not have it.
    ///
    /// # Errors
    ///
    /// See [`Profile::validate`].
    pub fn profile(&self, name: &str) -> Result<Option<&Profile>, ConfigError> {
        match self.profiles.get(name) {
            Some(p) => p.validate(name).map(|()| Some(p)),
            None => Ok(None),
        }
    }

    /// Writes the file atomically into `dir` (created 0700 if missing). An existing file is
    /// edited in place with toml_edit: the user's comments, blank lines and key order stay;
    /// only changed values are replaced (keeping their trailing comments), removed keys go,
    /// new ones are appended.
    ///
    /// # Errors
    ///
    /// The directory or file cannot be written.
    pub fn save(&self, dir: &Path) -> Result<(), ConfigError> {
        let path = Self::path_in(dir);
        let io_err = |e: io::Error| {
            ConfigError::new(format!("cannot write {}: {e}", path.display()))
                .with_hint("check the permissions of the configuration directory (COZE_CONFIG_DIR)")
        };
        fsutil::ensure_private_dir(dir).map_err(io_err)?;
        let text = toml::to_string_pretty(self)
            .map_err(|e| ConfigError::new(format!("cannot encode config.toml: {e}")))?;
        let text = match fs::read_to_string(&path)
            .ok()
            .and_then(|old| old.parse::<toml_edit::DocumentMut>().ok())
        {
            Some(mut old) => match text.parse::<toml_edit::DocumentMut>() {
                Ok(new) => {
                    merge_table(old.as_table_mut(), new.as_table());
                    old.to_string()
                }
                Err(_) => text,
            },
            None => text,
        };
        fsutil::atomic_write(&path, text.as_bytes()).map_err(io_err)
    }
}

/// Makes `old` hold the values of `new` while keeping what `old` looks like.
fn merge_table(old: &mut toml_edit::Table, new: &toml_edit::Table) {
    use toml_edit::Item;
    let gone: Vec<String> = old
        .iter()
        .map(|(k, _)| k.to_string())
        .filter(|k| !new.contains_key(k))
        .collect();
    for key in gone {
        old.remove(&key);
    }
    for (key, item) in new {
        match (old.get_mut(key), item) {
            (Some(Item::Table(o)), Item::Table(n)) => merge_table(o, n),
            (Some(Item::Value(o)), Item::Value(n)) => {
                if bare(o) != bare(n) {
                    let decor = o.decor().clone();
                    *o = n.clone();
                    *o.decor_mut() = decor;
                }
            }
            _ => {
                old.insert(key, item.clone());
            }
        }
    }
}

/// A value's text without the spaces and comments around it.
fn bare(value: &toml_edit::Value) -> String {
    let mut value = value.clone();
    value.decor_mut().clear();
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saving_keeps_comments_and_order() -> Result<(), ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError::new(e.to_string()))?;
        let original = "# my settings\ntheme = \"dark\" # keep me\n\n[profiles.default]\n# the cn account\nregion = \"cn\" # region note\nauth = \"device\"\n\n[profiles.old]\nregion = \"com\"\n";
        fs::write(ConfigFile::path_in(dir.path()), original)
            .map_err(|e| ConfigError::new(e.to_string()))?;
        let mut cfg = ConfigFile::load(dir.path())?;
        let default = cfg.profiles.entry("default".into()).or_default();
        default.region = Some("com".into());
        default.client_id = Some("1.app.coze".into());
        cfg.profiles.remove("old");
        cfg.profiles.entry("work".into()).or_default().region = Some("cn".into());
        cfg.save(dir.path())?;
        let text = fs::read_to_string(ConfigFile::path_in(dir.path()))
            .map_err(|e| ConfigError::new(e.to_string()))?;
        assert!(
            text.starts_with("# my settings\ntheme = \"dark\" # keep me\n"),
            "{text}"
        );
        assert!(
            text.contains("# the cn account\nregion = \"com\" # region note\n"),
            "{text}"
        );
        assert!(text.contains("client_id = \"1.app.coze\""), "{text}");
        assert!(!text.contains("[profiles.old]"), "{text}");
        let work = text.find("[profiles.work]").expect("new profile");
        assert!(
            work > text.find("[profiles.default]").unwrap_or(usize::MAX),
            "{text}"
        );
        assert_eq!(ConfigFile::load(dir.path())?, cfg);
        Ok(())
    }

    #[test]
    fn round_trip_keeps_unknown_keys() -> Result<(), ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError::new(e.to_string()))?;
        fs::write(
            ConfigFile::path_in(dir.path()),
            "theme = \"dark\"\n[profiles.default]\nregion = \"cn\"\nauth = \"device\"\nbot_id = \"73\"\n",
        )
        .map_err(|e| ConfigError::new(e.to_string()))?;
        let mut cfg = ConfigFile::load(dir.path())?;
        let p = cfg.profile("default")?.cloned().unwrap_or_default();
        assert_eq!(p.auth, Some(AuthMethod::Device));
        assert_eq!(p.extra.get("bot_id").and_then(|v| v.as_str()), Some("73"));
        cfg.profiles.entry("work".into()).or_default().client_id = Some("1.app.coze".into());
        cfg.save(dir.path())?;
        let again = ConfigFile::load(dir.path())?;
        assert_eq!(again, cfg);
        assert_eq!(
            again.extra.get("theme").and_then(|v| v.as_str()),
            Some("dark")
        );
        Ok(())
    }

    #[test]
    fn bad_files_name_the_line_and_field() -> Result<(), ConfigError> {
        let dir = tempfile::tempdir().map_err(|e| ConfigError::new(e.to_string()))?;
        let path = ConfigFile::path_in(dir.path());
        fs::write(&path, "[profiles.default]\nauth = \"magic\"\n")
            .map_err(|e| ConfigError::new(e.to_string()))?;
        let err = ConfigFile::load(dir.path()).expect_err("unknown method");
        assert!(err.to_string().contains("(line 2)"), "{err}");
        fs::write(&path, "[profiles.default]\nregion = \"eu\"\n")
            .map_err(|e| ConfigError::new(e.to_string()))?;
        let err = ConfigFile::load(dir.path())?
            .profile("default")
            .expect_err("bad region");
        assert!(err.to_string().contains("`region` is `eu`"), "{err}");
        Ok(())
    }
}
