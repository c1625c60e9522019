//! A profile's stored credentials as the client's [`TokenSource`].
//!
//! PATs are static. OAuth tokens go through the SDK's [`RefreshingTokenSource`], with
//! [`ProfileStore`] as its [`TokenStore`]: the refresh runs under `credentials.lock`,
//! re-reads the file first (another `coze` may have refreshed a moment ago; its token is then
//! used as is) and writes the rotated refresh token before anything uses the new access token.

use std::sync::Arc;

use coze_sdk::auth::{
    JwtApp, JwtKey, OAuthApp, OAuthConfig, OAuthToken, RefreshingTokenSource, Renewal, StoreGuard,
    TokenStore,
};
use coze_sdk::{BoxFuture, StaticToken, TokenSource};

use crate::config::credentials::LockedStore;
use crate::config::lock::{CredentialsLock, DEFAULT_WAIT};
use crate::config::{AuthMethod, ConfigError, CredentialStore, Profile, StoredCredentials, time};
use crate::error::CliError;

/// Coze refresh tokens live 30 days after issue (docs); we record that estimate on refresh.
pub const REFRESH_TOKEN_LIFETIME: i64 = 30 * 86_400;

/// Warn this long before a PAT's recorded expiry date.
pub const PAT_WARN_BEFORE: i64 = 3 * 86_400;

/// Builds the token source for `profile` from its stored credentials.
///
/// # Errors
///
/// A usage error when a JWT profile's key is missing or unreadable.
pub fn token_source(
    profile: &str,
    store: &CredentialStore,
    creds: &StoredCredentials,
    settings: Option<&Profile>,
) -> anyhow::Result<Arc<dyn TokenSource>> {
    let renewal = match creds.method {
        AuthMethod::Pat => {
            warn_pat_expiry(profile, creds, time::now());
            return Ok(Arc::new(StaticToken::from(creds.access_token.clone())));
        }
        AuthMethod::Jwt => Renewal::Jwt(jwt_app(profile, creds, settings)?),
        AuthMethod::Pkce | AuthMethod::Device | AuthMethod::Web => {
            Renewal::RefreshToken(oauth_app(creds))
        }
    };
    let source = RefreshingTokenSource::builder(renewal)
        .token(oauth_token(creds))
        .store(Arc::new(ProfileStore::new(profile, store.clone())))
        .build()
        .map_err(|e| CliError::usage(format!("cannot set up token refresh: {e}")))?;
    Ok(Arc::new(source))
}

/// The app that renews a refresh-token profile's tokens.
pub fn oauth_app(creds: &StoredCredentials) -> OAuthApp {
    let app =
        OAuthApp::new(creds.client_id.clone().unwrap_or_default()).with_base_url(&creds.base_url);
    match &creds.client_secret {
        Some(secret) => app.with_client_secret(secret.clone()),
        None => app,
    }
}

/// The JWT app of a JWT profile: key id and key path come from `config.toml`.
///
/// # Errors
///
/// A usage error naming what is missing, or why the key cannot be used.
pub fn jwt_app(
    profile: &str,
    creds: &StoredCredentials,
    settings: Option<&Profile>,
) -> anyhow::Result<JwtApp> {
    let login = login_command(profile);
    if let Some(path) = settings.and_then(|p| p.oauth_config.as_ref()) {
        let app = OAuthConfig::load(path)
            .and_then(|c| c.jwt_app())
            .map_err(|e| {
                CliError::usage(format!("cannot use {}: {e}", path.display())).with_hint(format!(
                    "restore the file, or run `{login} --config FILE` with a new one"
                ))
            })?;
        return Ok(app);
    }
    let missing = |what: &str| {
        CliError::usage(format!("profile `{profile}` has no {what} for its JWT app")).with_hint(
            format!("run `{login} --jwt --private-key FILE --key-id ID`"),
        )
    };
    let key_id = settings
        .and_then(|p| p.key_id.clone())
        .ok_or_else(|| missing("key_id"))?;
    let path = settings
        .and_then(|p| p.private_key.clone())
        .ok_or_else(|| missing("private_key"))?;
    let key = JwtKey::from_pem_file(&path).map_err(|e| {
        CliError::usage(format!("cannot use the private key {}: {e}", path.display()))
            .with_hint("point `private_key` in config.toml (or --private-key) at the app's PKCS#8 or PKCS#1 PEM key")
    })?;
    let client_id = creds
        .client_id
        .clone()
        .ok_or_else(|| missing("client_id"))?;
    Ok(JwtApp::new(client_id, key_id, key).with_base_url(&creds.base_url))
}

/// The stored token in the SDK's shape.
pub fn oauth_token(creds: &StoredCredentials) -> OAuthToken {
    let expires_at = creds
        .expires_at
        .and_then(|t| u64::try_from(t).ok())
        .unwrap_or(0);
    OAuthToken::new(
        creds.access_token.clone(),
        creds.refresh_token.clone(),
        expires_at,
    )
}

/// `coze auth login`, with `--profile` when not the default one.
pub fn login_command(profile: &str) -> String {
    if profile == crate::config::DEFAULT_PROFILE {
        "coze auth login".to_owned()
    } else {
        format!("coze auth login --profile {profile}")
    }
}

/// Prints a warning when a PAT's recorded expiry date is near or past.
pub fn warn_pat_expiry(profile: &str, creds: &StoredCredentials, now: i64) {
    if let Some(message) = pat_expiry_warning(profile, creds, now) {
        crate::output::stderr_line(&format!("warning: {message}"));
    }
}

fn pat_expiry_warning(profile: &str, creds: &StoredCredentials, now: i64) -> Option<String> {
    let exp = creds.pat_expires_at?;
    let login = login_command(profile);
    if exp <= now {
        Some(format!(
            "the personal access token of profile `{profile}` expired on {}; create a new one and run `{login} --pat`",
            time::format_utc(exp)
        ))
    } else if exp - now <= PAT_WARN_BEFORE {
        Some(format!(
            "the personal access token of profile `{profile}` expires {} ({}); create a new one and run `{login} --pat`",
            time::format_relative(exp, now),
            time::format_utc(exp)
        ))
    } else {
        None
    }
}

/// The credentials file as the refreshing source's [`TokenStore`].
#[derive(Debug, Clone)]
pub struct ProfileStore {
    profile: String,
    store: CredentialStore,
}

impl ProfileStore {
    /// The store of `profile` in `store`.
    pub fn new(profile: &str, store: CredentialStore) -> Self {
        Self {
            profile: profile.to_owned(),
            store,
        }
    }

    fn load_creds(&self) -> coze_sdk::Result<Option<StoredCredentials>> {
        self.store.load(&self.profile).map_err(sdk_error)
    }
}

fn sdk_error(e: ConfigError) -> coze_sdk::Error {
    let message = match e.hint() {
        Some(hint) => format!("{e}; {hint}"),
        None => e.to_string(),
    };
    coze_sdk::Error::Auth {
        message,
        source: None,
    }
}

impl TokenStore for ProfileStore {
    fn lock(&self) -> BoxFuture<'_, coze_sdk::Result<StoreGuard>> {
        let path = self.store.lock_path();
        Box::pin(async move {
            let lock =
                tokio::task::spawn_blocking(move || CredentialsLock::acquire(&path, DEFAULT_WAIT))
                    .await
                    .map_err(|e| coze_sdk::Error::Auth {
                        message: format!("credentials lock task failed: {e}"),
                        source: None,
                    })?
                    .map_err(sdk_error)?;
            Ok(StoreGuard::new(lock))
        })
    }

    fn load(&self) -> BoxFuture<'_, coze_sdk::Result<Option<OAuthToken>>> {
        Box::pin(async move { Ok(self.load_creds()?.map(|c| oauth_token(&c))) })
    }

    fn save<'a>(&'a self, token: &'a OAuthToken) -> BoxFuture<'a, coze_sdk::Result<()>> {
        Box::pin(async move {
            let Some(mut creds) = self.load_creds()? else {
                return Err(coze_sdk::Error::Auth {
                    message: format!(
                        "profile `{}` was logged out while its token was being refreshed; run `{}`",
                        self.profile,
                        login_command(&self.profile)
                    ),
                    source: None,
                });
            };
            apply_renewal(&mut creds, token, time::now());
            self.store
                .save_while_locked(&self.profile, &creds)
                .map_err(sdk_error)
        })
    }
}

/// Puts a renewed token into stored credentials, keeping the account and app settings.
pub fn apply_renewal(creds: &mut StoredCredentials, token: &OAuthToken, now: i64) {
    creds.access_token = token.access_token.clone();
    creds.expires_at = i64::try_from(token.expires_at).ok();
    if let Some(refresh) = &token.refresh_token {
        if creds.refresh_token.as_ref() != Some(refresh) {
            creds.refresh_expires_at = Some(now + REFRESH_TOKEN_LIFETIME);
        }
        creds.refresh_token = Some(refresh.clone());
    }
    creds.updated_at = now;
}

/// Takes the credentials lock without blocking the runtime.
///
/// # Errors
///
/// As [`CredentialStore::lock`].
pub async fn lock_store(store: &CredentialStore) -> anyhow::Result<LockedStore> {
    let store = store.clone();
    let locked = tokio::task::spawn_blocking(move || store.lock(DEFAULT_WAIT)).await?;
    locked.map_err(config_error)
}

/// A [`ConfigError`] as the CLI's usage error (exit status 2), keeping its hint.
pub fn config_error(e: ConfigError) -> anyhow::Error {
    let hint = e.hint().map(str::to_owned);
    let err = CliError::usage(e.to_string());
    match hint {
        Some(h) => err.with_hint(h).into(),
        None => err.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use coze_sdk::Secret;

    fn creds() -> StoredCredentials {
        StoredCredentials {
            method: AuthMethod::Pat,
            region: None,
            base_url: "https://api.coze.cn".into(),
            client_id: None,
            workspace_id: None,
            access_token: Secret::new("pat_x"),
            expires_at: None,
            refresh_token: Some(Secret::new("r1")),
            refresh_expires_at: Some(5),
            client_secret: None,
            account: None,
            pat_expires_at: None,
            updated_at: 0,
        }
    }

    #[test]
    fn pat_expiry_warns_within_three_days() {
        let mut c = creds();
        assert_eq!(pat_expiry_warning("default", &c, 0), None);
        c.pat_expires_at = Some(4 * 86_400);
        assert_eq!(pat_expiry_warning("default", &c, 0), None);
        let near = pat_expiry_warning("work", &c, 2 * 86_400).expect("warns");
        assert!(
            near.contains("expires in 2d 0h") && near.contains("--profile work --pat"),
            "{near}"
        );
        let past = pat_expiry_warning("default", &c, 5 * 86_400).expect("warns");
        assert!(past.contains("expired on 1970-01-05"), "{past}");
    }

    #[test]
    fn renewal_keeps_newest_refresh_token() {
        let mut c = creds();
        let token = OAuthToken::new(Secret::new("czu_new"), Some(Secret::new("r2")), 900);
        apply_renewal(&mut c, &token, 100);
        assert_eq!(c.access_token.expose(), "czu_new");
        assert_eq!(c.refresh_token.as_ref().map(Secret::expose), Some("r2"));
        assert_eq!(c.refresh_expires_at, Some(100 + REFRESH_TOKEN_LIFETIME));
        assert_eq!(c.expires_at, Some(900));
        // A JWT renewal carries no refresh token: keep nothing new, drop nothing.
        apply_renewal(
            &mut c,
            &OAuthToken::new(Secret::new("czs"), None, 1000),
            200,
        );
        assert_eq!(c.refresh_token.as_ref().map(Secret::expose), Some("r2"));
    }
}
