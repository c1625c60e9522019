//! `coze auth ...` and `coze whoami`: log in with any Coze OAuth flow or a PAT, keep the
//! token in the profile's credentials, and show or hand out the current token.
//!
//! # Choices where Coze or the issue is silent
//!
//! - A bare `coze auth login` reuses the profile's `auth` method; otherwise it picks the device
//!   flow over SSH (`SSH_CONNECTION` / `SSH_TTY`) or on Linux without `DISPLAY` /
//!   `WAYLAND_DISPLAY`, and PKCE elsewhere. `--config` picks the method of its `client_type`.
//! - Login's server: `--base-url` / `--region` / `COZE_API_BASE` / `COZE_REGION`, then the
//!   `coze_api_base` of `--config`, then the profile, then the default region.
//! - A login is checked with `/v1/users/me`: a token the API refuses is not stored; any other
//!   failure (e.g. a PAT without that permission) stores it without the account.
//! - Coze does not say when a refresh token expires; we record 30 days from issue (its docs)
//!   and show it as "about".
//! - `coze auth token` hands out the profile's token even when `--token` / `COZE_API_TOKEN` is
//!   set (it is about the stored login); every other command lets those win.
//! - `coze auth logout` deletes the credentials and keeps the profile's settings; Coze has no
//!   documented revoke endpoint, so an access token stays valid until it expires.
//! - The callback listener ends the login on the first answer carrying `code` or `error`
//!   (a `state` mismatch included, so nothing is exchanged); a bare reload keeps it waiting.
//! - A credentials file that cannot be parsed is moved to `credentials.json.corrupt` by the
//!   next login rather than overwritten silently.
//! - Known limit: a `coze` killed after Coze rotated the refresh token but before the new one
//!   reached the disk leaves the old (dead) refresh token; the next command says to log in
//!   again. The file itself is never left half-written.

pub mod callback;
pub mod login;

use clap::Subcommand;
use coze_sdk::auth::{RefreshingTokenSource, needs_login};
use serde_json::json;

use crate::config::{AuthMethod, StoredCredentials, time};
use crate::error::CliError;
use crate::settings::source::{self, config_error, login_command};
use crate::settings::{Credentials, Settings};

/// `coze auth` subcommands.
#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum AuthCommand {
    /// Log in (PKCE, device code, web app, JWT or PAT) and store the token in the profile
    Login(login::LoginArgs),
    /// Show the profile's region, method, account and token expiry (never the token)
    Status,
    /// Print a valid access token for scripts, refreshing it first if needed
    Token,
    /// Renew the access token now
    Refresh,
    /// Remove the profile's stored credentials
    Logout,
}

/// Runs a `coze auth` subcommand.
///
/// # Errors
///
/// Not logged in, a corrupt store, or a failed flow or refresh.
pub async fn run(cmd: AuthCommand, settings: &Settings) -> anyhow::Result<()> {
    match cmd {
        AuthCommand::Login(args) => login::run(args, settings).await,
        AuthCommand::Status => status(settings),
        AuthCommand::Token => token(settings).await,
        AuthCommand::Refresh => refresh(settings).await,
        AuthCommand::Logout => logout(settings).await,
    }
}

/// The profile's credentials, or "not logged in" with the command that fixes it.
fn stored(settings: &Settings) -> anyhow::Result<StoredCredentials> {
    let ctx = &settings.profile;
    ctx.require_known().map_err(config_error)?;
    ctx.credentials().map_err(config_error)?.ok_or_else(|| {
        CliError::usage(format!("profile `{}` is not logged in", ctx.name))
            .with_hint(format!("run `{}`", login_command(&ctx.name)))
            .into()
    })
}

fn status(settings: &Settings) -> anyhow::Result<()> {
    let ctx = &settings.profile;
    let creds = stored(settings)?;
    let now = time::now();
    let out = &settings.output;
    let overridden = matches!(settings.credentials, Some(Credentials::Static { .. }));
    if out.json() {
        out.json_line(&json!({
            "profile": ctx.name,
            "method": creds.method.as_str(),
            "region": creds.region,
            "base_url": creds.base_url,
            "client_id": creds.client_id,
            "workspace_id": creds.workspace_id,
            "account": creds.account,
            "expires_at": creds.expires_at,
            "expired": creds.expires_at.is_some_and(|t| t <= now),
            "refresh_expires_at": creds.refresh_expires_at,
            "has_refresh_token": creds.refresh_token.is_some(),
            "pat_expires_at": creds.pat_expires_at,
            "overridden_by_token": overridden,
        }))?;
        return Ok(());
    }
    let mut rows: Vec<(&str, String)> = vec![("profile", ctx.name.clone())];
    match &creds.region {
        Some(r) => rows.push(("region", format!("{r} ({})", creds.base_url))),
        None => rows.push(("server", creds.base_url.clone())),
    }
    let method = match &creds.client_id {
        Some(id) => format!("{} (app {id})", creds.method),
        None => creds.method.to_string(),
    };
    rows.push(("method", method));
    if let Some(a) = &creds.account {
        let name = if a.nick_name.is_empty() {
            a.user_name.clone()
        } else {
            a.nick_name.clone()
        };
        rows.push(("account", format!("{name} (user {})", a.user_id)));
    }
    if let Some(ws) = &creds.workspace_id {
        rows.push(("workspace", ws.clone()));
    }
    let access = match (creds.method, creds.expires_at, creds.pat_expires_at) {
        (_, Some(t), _) | (AuthMethod::Pat, None, Some(t)) => {
            format!("expires {}", time::describe(t, now))
        }
        (AuthMethod::Pat, None, None) => {
            "unknown (pass --expires at login to be warned)".to_owned()
        }
        _ => "unknown".to_owned(),
    };
    rows.push(("access token", access));
    let renew = match (creds.method, &creds.refresh_token, creds.refresh_expires_at) {
        (AuthMethod::Jwt, _, _) => {
            "not needed: a new JWT is signed when the token runs out".to_owned()
        }
        (AuthMethod::Pat, _, _) => "none: log in again with a new PAT when it runs out".to_owned(),
        (_, Some(_), Some(t)) => format!("expires about {}", time::describe(t, now)),
        (_, Some(_), None) => "present".to_owned(),
        (_, None, _) => "none: log in again when the access token runs out".to_owned(),
    };
    rows.push(("refresh token", renew));
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0) + 1;
    for (key, value) in rows {
        out.line(&format!("{:width$} {value}", format!("{key}:")))?;
    }
    if overridden {
        out.note("note: --token / COZE_API_TOKEN is set and is used instead of these credentials");
    }
    source::warn_pat_expiry(&ctx.name, &creds, now);
    Ok(())
}

/// The profile's own token source (ignores `--token` / `COZE_API_TOKEN`: this is about the
/// stored login).
fn profile_source(
    settings: &Settings,
    creds: &StoredCredentials,
) -> anyhow::Result<std::sync::Arc<dyn coze_sdk::TokenSource>> {
    let ctx = &settings.profile;
    source::token_source(&ctx.name, &ctx.store, creds, ctx.profile())
}

async fn token(settings: &Settings) -> anyhow::Result<()> {
    let creds = stored(settings)?;
    let source = profile_source(settings, &creds)?;
    let token = source
        .token()
        .await
        .map_err(|e| renewal_failed(settings, e))?;
    let out = &settings.output;
    if out.json() {
        out.json_line(&json!({ "access_token": token.expose() }))?;
    } else {
        out.line(token.expose())?;
    }
    Ok(())
}

async fn refresh(settings: &Settings) -> anyhow::Result<()> {
    let ctx = &settings.profile;
    let creds = stored(settings)?;
    if creds.method == AuthMethod::Pat {
        return Err(
            CliError::usage("a personal access token cannot be refreshed")
                .with_hint(format!(
                    "create a new one and run `{} --pat`",
                    login_command(&ctx.name)
                ))
                .into(),
        );
    }
    let renewal = match creds.method {
        AuthMethod::Jwt => {
            coze_sdk::auth::Renewal::Jwt(source::jwt_app(&ctx.name, &creds, ctx.profile())?)
        }
        _ => coze_sdk::auth::Renewal::RefreshToken(source::oauth_app(&creds)),
    };
    let src = RefreshingTokenSource::builder(renewal)
        .token(source::oauth_token(&creds))
        .store(std::sync::Arc::new(source::ProfileStore::new(
            &ctx.name,
            ctx.store.clone(),
        )))
        .build()?;
    src.refresh()
        .await
        .map_err(|e| renewal_failed(settings, e))?;
    let now = time::now();
    let after = ctx.credentials().map_err(config_error)?;
    let expires = after
        .and_then(|c| c.expires_at)
        .map(|t| time::describe(t, now))
        .unwrap_or_else(|| "unknown".into());
    if settings.output.json() {
        settings
            .output
            .json_line(&json!({ "profile": ctx.name, "refreshed": true }))?;
    } else {
        settings.output.note(&format!(
            "Refreshed profile `{}`; the access token expires {expires}.",
            ctx.name
        ));
    }
    Ok(())
}

/// A failed renewal; when only a new login helps, say so with the exact command.
///
/// The SDK error's text is folded into one `CliError` line so that the hint travels with it.
fn renewal_failed(settings: &Settings, err: coze_sdk::Error) -> anyhow::Error {
    let ctx = &settings.profile;
    if needs_login(&err) {
        return CliError::failed(format!(
            "the login of profile `{}` is no longer valid: {err}",
            ctx.name
        ))
        .with_hint(format!("run `{}`", login_command(&ctx.name)))
        .into();
    }
    anyhow::Error::new(err).context(format!("cannot renew the token of profile `{}`", ctx.name))
}

async fn logout(settings: &Settings) -> anyhow::Result<()> {
    let ctx = &settings.profile;
    let locked = source::lock_store(&ctx.store).await?;
    let removed = locked.remove(&ctx.name).map_err(config_error)?;
    drop(locked);
    if settings.output.json() {
        settings
            .output
            .json_line(&json!({ "profile": ctx.name, "logged_out": removed }))?;
    } else if removed {
        settings.output.note(&format!(
            "Logged out of profile `{}`: its credentials are removed (settings in config.toml are kept).",
            ctx.name
        ));
    } else {
        settings
            .output
            .note(&format!("Profile `{}` was not logged in.", ctx.name));
    }
    Ok(())
}

/// `coze whoami`: the account behind the token in use (`/v1/users/me`).
///
/// # Errors
///
/// No token, or the API refused it.
pub async fn whoami(settings: &Settings) -> anyhow::Result<()> {
    let client = settings.client()?;
    let me = client
        .users()
        .me()
        .await
        .map_err(|e| explain_api_error(settings, e.into()))?;
    let out = &settings.output;
    if out.json() {
        out.json_line(&json!({
            "user_id": me.user_id, "user_name": me.user_name, "nick_name": me.nick_name, "avatar_url": me.avatar_url,
            "base_url": settings.base_url.as_str().trim_end_matches('/'),
        }))?;
    } else {
        out.line(&format!(
            "{} (@{}, user {})",
            me.nick_name, me.user_name, me.user_id
        ))?;
        out.dim(&format!(
            "on {}",
            settings.base_url.as_str().trim_end_matches('/')
        ));
    }
    Ok(())
}

/// Explains, for a token from the profile, two refusals whose cause the API does not name:
/// a 4100 from a server other than the one the token was issued for (wrong region), and a
/// 4101 for a team-workspace token whose workspace owner has not authorised the app.
pub fn explain_api_error(settings: &Settings, err: anyhow::Error) -> anyhow::Error {
    let Some(Credentials::Profile { stored, name }) = &settings.credentials else {
        return err;
    };
    let Some(api) = err
        .chain()
        .find_map(|c| c.downcast_ref::<coze_sdk::Error>())
    else {
        return err;
    };
    // OAuth endpoint errors (a failed login or refresh) are about the app, not the region.
    let oauth = matches!(api, coze_sdk::Error::OAuth(_));
    let refused =
        !oauth && (matches!(api.code(), Some(4100 | 700_012_006)) || api.status() == Some(401));
    let called = settings.base_url.as_str().trim_end_matches('/');
    if refused && stored.base_url.trim_end_matches('/') != called {
        let issued = match &stored.region {
            Some(r) => format!("region {r} ({})", stored.base_url),
            None => stored.base_url.clone(),
        };
        let flag = match &stored.region {
            Some(r) => format!("--region {r}"),
            None => format!("--base-url {}", stored.base_url),
        };
        return CliError::failed(format!(
            "the API at {called} refused the token of profile `{name}` ({api}); the token was issued for {issued}"
        ))
        .with_hint(format!(
            "call the server the token belongs to ({flag}, or unset COZE_API_BASE / COZE_REGION), or log in for {called} with `{} --base-url {called}`",
            login_command(name)
        ))
        .into();
    }
    if api.code() == Some(4101)
        && let Some(ws) = &stored.workspace_id
    {
        let app = stored.client_id.as_deref().unwrap_or("the app");
        return CliError::failed(format!("{api}"))
            .with_hint(format!(
                "profile `{name}` is authorised for team workspace {ws}: its owner must authorise the OAuth app {app} for that workspace in Coze first"
            ))
            .into();
    }
    err
}
