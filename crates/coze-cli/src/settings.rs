//! Settings, resolved once per run: command-line flag > environment > profile > default.
//!
//! The token is resolved in exactly one place, [`Settings::token_source`]; stored credentials
//! and profiles plug in there (and in `Settings::resolve_in` for the base URL).

pub mod source;

use std::path::PathBuf;
use std::sync::Arc;

use coze_sdk::{Client, Secret, StaticToken, TokenSource};
use url::Url;

use self::source::config_error;
use crate::cli::{GlobalArgs, Region};
use crate::config::{ConfigError, ProfileContext, StoredCredentials};
use crate::error::CliError;
use crate::output::Output;

/// Environment variables the CLI reads (the names the official Python SDK uses, plus ours).
pub mod env {
    pub const TOKEN: &str = coze_sdk::ENV_API_TOKEN;
    pub const BASE: &str = coze_sdk::ENV_API_BASE;
    pub const REGION: &str = "COZE_REGION";
    pub const CONFIG_DIR: &str = "COZE_CONFIG_DIR";
    pub const PROFILE: &str = "COZE_PROFILE";
}

/// The region used when neither a flag, the environment nor a profile chooses one: coze.com,
/// like the SDK and the official Coze SDKs (coze.cn users pass `--region cn` or set
/// `COZE_REGION=cn`).
pub const DEFAULT_REGION: Region = Region::Com;

/// Where a setting came from; used to make error hints precise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Env(&'static str),
    /// The profile's `config.toml` entry.
    Profile,
    Default,
}

impl Origin {
    /// How a user would recognise the origin, e.g. "--base-url" or "COZE_API_BASE".
    pub fn describe(self, flag: &str) -> String {
        match self {
            Origin::Flag => flag.to_string(),
            Origin::Env(name) => name.to_string(),
            Origin::Profile => "the profile in config.toml".to_string(),
            Origin::Default => "the default".to_string(),
        }
    }
}

/// How the client authenticates.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// A fixed token (a PAT or an OAuth access token) from `--token` or `COZE_API_TOKEN`.
    Static { token: Secret, origin: Origin },
    /// The profile's stored login (`coze auth login`), refreshed as needed.
    Profile {
        name: String,
        stored: Box<StoredCredentials>,
    },
    /// The profile's credentials file cannot be used (reported when a token is needed).
    Unreadable(ConfigError),
}

/// Everything a command needs to know about where and how to talk to Coze.
///
/// # Security
///
/// Holds the access token inside a [`Secret`]; `Debug` never shows it.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The API root, without a trailing slash.
    pub base_url: String,
    pub base_origin: Origin,
    pub credentials: Option<Credentials>,
    /// The profile of this run (`--profile` / `COZE_PROFILE`, default `default`).
    pub profile: ProfileContext,
    pub output: Output,
}

impl Settings {
    /// Resolves the global options against the process environment.
    ///
    /// # Errors
    /// A usage error (exit status 2) for a malformed base URL or an empty token.
    pub fn resolve(global: &GlobalArgs) -> anyhow::Result<Self> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let name = global.profile.clone().or_else(|| env(env::PROFILE));
        let dir = crate::config::config_dir().map_err(config_error)?;
        let profile = ProfileContext::load(dir, name.as_deref()).map_err(config_error)?;
        Self::resolve_in(global, |name| std::env::var(name).ok(), profile)
    }

    /// Like [`Settings::resolve`], reading the environment through `env` and without a
    /// profile (for tests).
    ///
    /// # Errors
    /// See [`Settings::resolve`].
    #[cfg(test)]
    pub fn resolve_with(
        global: &GlobalArgs,
        env: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        Self::resolve_in(global, env, ProfileContext::empty())
    }

    /// Resolves against `env` and the profile's settings and stored login.
    fn resolve_in(
        global: &GlobalArgs,
        env: impl Fn(&str) -> Option<String>,
        profile: ProfileContext,
    ) -> anyhow::Result<Self> {
        let env = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let saved = profile.profile().cloned().unwrap_or_default();
        let (base, base_origin) = if let Some(url) = &global.base_url {
            (url.clone(), Origin::Flag)
        } else if let Some(region) = global.region {
            (region_base(region).to_string(), Origin::Flag)
        } else if let Some(url) = env(env::BASE) {
            (url, Origin::Env(env::BASE))
        } else if let Some(region) = env(env::REGION) {
            let region = parse_region(&region, Origin::Env(env::REGION))?;
            (region_base(region).to_string(), Origin::Env(env::REGION))
        } else if let Some(url) = saved.base_url.clone() {
            (url, Origin::Profile)
        } else if let Some(region) = &saved.region {
            (
                region_base(parse_region(region, Origin::Profile)?).to_string(),
                Origin::Profile,
            )
        } else {
            (region_base(DEFAULT_REGION).to_string(), Origin::Default)
        };
        let base_url = parse_base_url(&base, base_origin)?;

        let credentials = if let Some(token) = &global.token {
            Some(Credentials::Static {
                token: non_empty_token(token, "--token")?,
                origin: Origin::Flag,
            })
        } else {
            env(env::TOKEN).map(|token| Credentials::Static {
                token: Secret::trimmed(token),
                origin: Origin::Env(env::TOKEN),
            })
        };
        let credentials = match credentials {
            Some(c) => Some(c),
            None => match profile.credentials() {
                Ok(stored) => stored.map(|stored| Credentials::Profile {
                    name: profile.name.clone(),
                    stored: Box::new(stored),
                }),
                Err(e) => Some(Credentials::Unreadable(e)),
            },
        };

        let token_from = match &credentials {
            Some(Credentials::Static { origin, .. }) => origin.describe("--token"),
            Some(Credentials::Profile { name, .. }) => format!("profile {name}"),
            Some(Credentials::Unreadable(_)) => "an unreadable credentials file".to_string(),
            None => "nowhere".to_string(),
        };
        tracing::debug!(
            base_url = %base_url,
            base_url_from = %base_origin.describe("--base-url/--region"),
            token_from = %token_from,
            "settings resolved"
        );
        Ok(Self {
            base_url,
            base_origin,
            credentials,
            profile,
            output: Output::new(global.json),
        })
    }

    /// These settings pointed at another endpoint with a fixed token (the in-process emulator).
    pub fn with_endpoint(&self, base_url: &str, token: Secret) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_string(),
            base_origin: Origin::Flag,
            credentials: Some(Credentials::Static {
                token,
                origin: Origin::Flag,
            }),
            ..self.clone()
        }
    }

    /// The single place where the token source is chosen.
    ///
    /// # Errors
    /// A usage error (exit status 2) when no token is configured.
    pub fn token_source(&self) -> anyhow::Result<Arc<dyn TokenSource>> {
        match &self.credentials {
            Some(Credentials::Static { token, .. }) => {
                Ok(Arc::new(StaticToken::from(token.clone())))
            }
            Some(Credentials::Profile { name, stored }) => {
                source::token_source(name, &self.profile.store, stored, self.profile.profile())
            }
            Some(Credentials::Unreadable(e)) => Err(config_error(e.clone())),
            None => {
                self.profile.require_known().map_err(config_error)?;
                Err(CliError::usage("no access token configured")
                    .with_hint(format!(
                        "run `coze auth login`, pass --token or set {}; create a personal access token at {}",
                        env::TOKEN,
                        pat_page(&self.base_url)
                    ))
                    .into())
            }
        }
    }

    /// An SDK client for these settings.
    ///
    /// # Errors
    /// A usage error when no token is configured or the client cannot be built.
    pub fn client(&self) -> anyhow::Result<Client> {
        let source = self.token_source()?;
        Client::builder()
            .base_url(&self.base_url)
            .token_source(source)
            .build()
            .map_err(|e| CliError::usage(format!("cannot set up the Coze client: {e}")).into())
    }
}

/// The API base URL of a region.
pub fn region_base(region: Region) -> &'static str {
    region.base_url()
}

/// A region named in `COZE_REGION` or a profile, with the SDK's spellings.
fn parse_region(value: &str, origin: Origin) -> anyhow::Result<Region> {
    value.parse::<Region>().map_err(|_| {
        CliError::usage(format!(
            "{} has an unknown region `{}`",
            origin.describe("--region"),
            value.trim()
        ))
        .with_hint("use `cn` (api.coze.cn) or `com` (api.coze.com); `coze.cn`, `china`, `coze.com` and `global` work too")
        .into()
    })
}

/// A base URL checked by the SDK (absolute http(s), a host, no query or fragment, no user
/// name or password).
fn parse_base_url(value: &str, origin: Origin) -> anyhow::Result<String> {
    coze_sdk::check_base_url(value).map_err(|e| {
        let why = match e {
            coze_sdk::Error::Config(msg) => msg,
            other => other.to_string(),
        };
        CliError::usage(format!(
            "{} is not a usable base URL: {why}",
            origin.describe("--base-url")
        ))
        .with_hint("give the API root, e.g. https://api.coze.cn or http://127.0.0.1:8080")
        .into()
    })
}

fn non_empty_token(value: &str, name: &str) -> anyhow::Result<Secret> {
    let token = Secret::trimmed(value);
    if token.is_empty() {
        return Err(CliError::usage(format!("{name} is empty"))
            .with_hint("paste the whole personal access token (it starts with `pat_`)")
            .into());
    }
    Ok(token)
}

/// Where users create a personal access token for the deployment behind `base`.
pub fn pat_page(base_url: &str) -> &'static str {
    let host = Url::parse(base_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_string));
    if host.is_some_and(|h| h == "coze.cn" || h.ends_with(".coze.cn")) {
        "https://www.coze.cn/open/oauth/pats"
    } else {
        "https://www.coze.com/open/oauth/pats"
    }
}

/// The directory for the CLI's own files (history, the default user id):
/// `COZE_CONFIG_DIR`, else the platform's config directory + `coze`.
pub fn config_dir() -> Option<PathBuf> {
    match std::env::var_os(env::CONFIG_DIR) {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::config_dir().map(|d| d.join("coze")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(args: &[&str]) -> GlobalArgs {
        use clap::Parser;
        let mut all = vec!["coze"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["emulator"]);
        crate::cli::Cli::try_parse_from(all)
            .expect("valid command line")
            .global
    }

    fn resolve(args: &[&str], vars: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::resolve_with(&global(args), |name| {
            vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
    }

    fn token(settings: &Settings) -> (String, Origin) {
        match &settings.credentials {
            Some(Credentials::Static { token, origin }) => (token.expose().to_string(), *origin),
            _ => panic!("no static credentials"),
        }
    }

    #[test]
    fn flag_beats_env_beats_default() {
        let s = resolve(&[], &[]).expect("resolves");
        assert_eq!(s.base_url, "https://api.coze.com");
        assert_eq!(s.base_origin, Origin::Default);
        assert!(s.credentials.is_none());

        let s = resolve(
            &[],
            &[
                (env::BASE, "http://127.0.0.1:9/"),
                (env::TOKEN, " pat_env\n"),
            ],
        )
        .expect("resolves");
        assert_eq!(s.base_url, "http://127.0.0.1:9");
        assert_eq!(token(&s), ("pat_env".to_string(), Origin::Env(env::TOKEN)));

        let s = resolve(
            &["--region", "cn", "--token", "pat_flag "],
            &[(env::BASE, "http://x"), (env::TOKEN, "pat_env")],
        )
        .expect("resolves");
        assert_eq!(s.base_url, "https://api.coze.cn");
        assert_eq!(token(&s), ("pat_flag".to_string(), Origin::Flag));
    }

    #[test]
    fn env_region_is_read_and_validated() {
        let s = resolve(&[], &[(env::REGION, "CN")]).expect("resolves");
        assert_eq!(s.base_url, "https://api.coze.cn");
        assert!(resolve(&[], &[(env::REGION, "eu")]).is_err());
    }

    #[test]
    fn flag_env_and_sdk_accept_the_same_region_spellings() {
        for (spelling, base) in [
            ("global", "https://api.coze.com"),
            ("coze.com", "https://api.coze.com"),
            ("China", "https://api.coze.cn"),
            ("api.coze.cn", "https://api.coze.cn"),
        ] {
            let from_env = resolve(&[], &[(env::REGION, spelling)]).expect("env resolves");
            let from_flag = resolve(&["--region", spelling], &[]).expect("flag resolves");
            assert_eq!(
                (from_env.base_url.as_str(), from_flag.base_url.as_str()),
                (base, base)
            );
            assert_eq!(
                spelling
                    .parse::<coze_sdk::Region>()
                    .map(|r| r.base_url())
                    .ok(),
                Some(base)
            );
        }
        let err = resolve(&[], &[(env::REGION, "eu")]).expect_err("unknown");
        assert!(
            err.to_string()
                .contains("COZE_REGION has an unknown region `eu`"),
            "{err}"
        );
    }

    #[test]
    fn base_url_with_credentials_is_refused_without_echoing_them() {
        for (args, vars) in [
            (
                &["--base-url", "https://me:s3cret@proxy.example"][..],
                &[][..],
            ),
            (&[][..], &[(env::BASE, "http://tok3n@127.0.0.1:9")][..]),
        ] {
            let err = resolve(args, vars).expect_err("must be refused");
            assert_eq!(
                crate::error::exit_code(&err),
                std::process::ExitCode::from(2)
            );
            let text = format!("{err:#}");
            assert!(text.contains("user name and password"), "{text}");
            assert!(
                !text.contains("s3cret") && !text.contains("tok3n"),
                "{text}"
            );
        }
    }

    #[test]
    fn bad_base_urls_and_empty_tokens_are_usage_errors() {
        for args in [
            &["--base-url", "api.coze.cn"][..],
            &["--base-url", "ftp://x"],
            &["--token", " \n"],
        ] {
            let err = resolve(args, &[]).expect_err("must be rejected");
            assert_eq!(
                crate::error::exit_code(&err),
                std::process::ExitCode::from(2),
                "{args:?}"
            );
        }
    }

    #[test]
    fn missing_token_is_a_usage_error_with_the_pat_page() {
        let s = resolve(&["--region", "cn"], &[]).expect("resolves");
        let err = s.token_source().expect_err("no token");
        let cli = err.downcast_ref::<CliError>().expect("a CliError");
        assert!(format!("{cli:?}").contains("www.coze.cn/open/oauth/pats"));
    }

    #[test]
    fn debug_never_shows_the_token() {
        let s = resolve(&["--token", "pat_secret_value"], &[]).expect("resolves");
        assert!(!format!("{s:?}").contains("pat_secret_value"));
    }
}
