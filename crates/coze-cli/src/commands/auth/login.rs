//! `coze auth login`: every way in (PKCE, device code, web app, JWT, PAT), then the token and
//! the app settings are stored in the profile.

use std::io::{self, BufRead, IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;
use coze_sdk::auth::{
    ClientType, JwtApp, JwtKey, OAuthApp, OAuthConfig, OAuthToken, PkceMethod, PkceVerifier,
    device_login,
};
use coze_sdk::{Client, Secret, StaticToken};
use serde_json::json;
use url::Url;

use super::callback::{CallbackListener, DEFAULT_REDIRECT_URI};
use crate::config::{Account, AuthMethod, ConfigFile, Profile, StoredCredentials, time};
use crate::error::CliError;
use crate::settings::source::{REFRESH_TOKEN_LIFETIME, config_error, lock_store, warn_pat_expiry};
use crate::settings::{Origin, Settings};

/// Log in and keep the token in the profile (refreshed automatically from then on).
#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("method").multiple(false))]
pub struct LoginArgs {
    /// OAuth PKCE in a browser (default on a desktop)
    #[arg(long, group = "method")]
    pub pkce: bool,
    /// OAuth device code: approve on any device (default over SSH or without a display)
    #[arg(long, group = "method")]
    pub device: bool,
    /// OAuth web app (authorization code with the client secret; asks for the secret)
    #[arg(long, group = "method")]
    pub web: bool,
    /// OAuth JWT service app (needs --private-key and --key-id, or --config)
    #[arg(long, group = "method")]
    pub jwt: bool,
    /// Personal access token, read from stdin or a hidden prompt (never from the command line)
    #[arg(long, group = "method")]
    pub pat: bool,
    /// The coze_oauth_config.json downloaded from the Coze console
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// The OAuth app's client id
    #[arg(long, value_name = "ID")]
    pub client_id: Option<String>,
    /// Authorise for this team workspace (its owner must have authorised the app)
    #[arg(long, value_name = "ID")]
    pub workspace: Option<String>,
    /// The redirect URI registered for the app; must match it exactly
    /// [default: http://127.0.0.1:8080/callback]
    #[arg(long, value_name = "URI")]
    pub redirect_uri: Option<String>,
    /// The JWT app's private key (PEM, PKCS#8 or PKCS#1)
    #[arg(long, value_name = "FILE")]
    pub private_key: Option<PathBuf>,
    /// The JWT app's public key id (fingerprint)
    #[arg(long, value_name = "ID")]
    pub key_id: Option<String>,
    /// Print the authorization URL instead of opening a browser
    #[arg(long)]
    pub no_browser: bool,
    /// Seconds to wait for the browser to come back
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    pub timeout: u64,
    /// With --pat: the date the token expires (YYYY-MM-DD), to be warned 3 days before
    #[arg(long, value_name = "DATE")]
    pub expires: Option<String>,
}

/// Everything a login needs after combining flags, `--config`, the profile and defaults.
#[derive(Debug)]
struct Plan {
    method: AuthMethod,
    base_url: String,
    client_id: Option<String>,
    workspace: Option<String>,
    redirect_uri: Option<String>,
    key_id: Option<String>,
    private_key: Option<PathBuf>,
    oauth_config: Option<(PathBuf, OAuthConfig)>,
}

/// Runs `coze auth login`.
///
/// # Errors
///
/// Usage errors (exit 2) for missing or bad settings; request errors for a failed flow.
pub async fn run(args: LoginArgs, settings: &Settings) -> anyhow::Result<()> {
    let ctx = &settings.profile;
    let profile = ctx.profile().cloned().unwrap_or_default();
    let plan = plan(&args, settings, &profile)?;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("cannot build the HTTP client")?;
    let (token, client_secret, pat_expires_at) = match plan.method {
        AuthMethod::Pat => {
            let (token, expires) = read_pat(&args)?;
            (OAuthToken::new(token, None, 0), None, expires)
        }
        AuthMethod::Pkce | AuthMethod::Web => {
            let secret = if plan.method == AuthMethod::Web {
                Some(client_secret(&plan)?)
            } else {
                None
            };
            let app = oauth_app(&plan, secret.clone())?;
            (
                browser_login(&args, &plan, &app, &http).await?,
                secret,
                None,
            )
        }
        AuthMethod::Device => {
            let app = oauth_app(&plan, None)?;
            (device(&plan, &app, &http).await?, None, None)
        }
        AuthMethod::Jwt => {
            let app = jwt_app(&plan)?;
            let token = app
                .token_request()
                .map_err(|e| CliError::usage(format!("cannot sign the JWT: {e}")))?
                .send_token(&http)
                .await
                .context("the JWT token request failed")?;
            (token, None, None)
        }
    };

    let account = match fetch_account(&plan.base_url, &token.access_token).await {
        Ok(account) => Some(account),
        // A token the API refuses is not worth storing (most often: the other region's PAT).
        Err(e) if is_refusal(&e) => {
            return Err(CliError::failed(format!("{} refused the token: {e}", plan.base_url))
                .with_hint(format!(
                    "check that it is a current token for this region (personal access tokens: {})",
                    crate::settings::pat_page(&settings.base_url)
                ))
                .into());
        }
        // Anything else (a token without the account permission) does not make it invalid.
        Err(e) => {
            tracing::debug!("cannot read the account behind the new token: {e}");
            None
        }
    };
    let now = time::now();
    let creds = StoredCredentials {
        method: plan.method,
        region: region_of(&plan.base_url).map(str::to_owned),
        base_url: plan.base_url.clone(),
        client_id: plan.client_id.clone(),
        workspace_id: plan.workspace.clone(),
        expires_at: (token.expires_at > 0)
            .then(|| i64::try_from(token.expires_at).unwrap_or(i64::MAX)),
        refresh_expires_at: token
            .refresh_token
            .as_ref()
            .map(|_| now + REFRESH_TOKEN_LIFETIME),
        access_token: token.access_token,
        refresh_token: token.refresh_token,
        client_secret,
        account,
        pat_expires_at,
        updated_at: now,
    };
    save(settings, &plan, &creds).await?;
    report(settings, &creds)?;
    warn_pat_expiry(&ctx.name, &creds, now);
    Ok(())
}

fn plan(args: &LoginArgs, settings: &Settings, profile: &Profile) -> anyhow::Result<Plan> {
    let oauth_config = match &args.config {
        Some(path) => {
            let cfg = OAuthConfig::load(path).map_err(|e| {
                CliError::usage(format!("{e}")).with_hint(
                    "download the app's coze_oauth_config.json again from the Coze console (OAuth apps)",
                )
            })?;
            Some((absolute(path), cfg))
        }
        None => None,
    };
    let from_config = oauth_config.as_ref().map(|(_, c)| c);
    let method = if args.pat {
        AuthMethod::Pat
    } else if args.pkce {
        AuthMethod::Pkce
    } else if args.device {
        AuthMethod::Device
    } else if args.web {
        AuthMethod::Web
    } else if args.jwt {
        AuthMethod::Jwt
    } else if let Some(cfg) = from_config {
        match cfg.client_type {
            ClientType::Web => AuthMethod::Web,
            ClientType::Pkce => AuthMethod::Pkce,
            ClientType::Device => AuthMethod::Device,
            ClientType::Jwt => AuthMethod::Jwt,
        }
    } else if args.private_key.is_some() || args.key_id.is_some() {
        AuthMethod::Jwt
    } else if let Some(m) = profile.auth {
        m
    } else if headless() {
        AuthMethod::Device
    } else {
        AuthMethod::Pkce
    };
    // The base URL: an explicit flag or variable wins, then the app's config file, then the
    // profile (already part of `settings`), then the default region.
    let base_url = match (settings.base_origin, from_config) {
        (Origin::Flag | Origin::Env(_), _) | (_, None) => trim_base(settings.base_url.as_str()),
        (_, Some(cfg)) => trim_base(&cfg.coze_api_base),
    };
    let client_id = args
        .client_id
        .clone()
        .or_else(|| from_config.map(|c| c.client_id.clone()))
        .or_else(|| profile.client_id.clone());
    let redirect_uri = args
        .redirect_uri
        .clone()
        .or_else(|| from_config.and_then(|c| c.redirect_uris.first().cloned()))
        .or_else(|| profile.redirect_uri.clone());
    let plan = Plan {
        method,
        base_url,
        client_id,
        workspace: args
            .workspace
            .clone()
            .or_else(|| profile.workspace_id.clone()),
        redirect_uri,
        key_id: args.key_id.clone().or_else(|| profile.key_id.clone()),
        private_key: args
            .private_key
            .as_deref()
            .map(absolute)
            .or_else(|| profile.private_key.clone()),
        oauth_config,
    };
    if plan.method != AuthMethod::Pat && plan.client_id.as_deref().is_none_or(str::is_empty) {
        return Err(CliError::usage(format!("no client id for the {} login", plan.method))
            .with_hint("pass --client-id (the OAuth app's id in the Coze console) or --config coze_oauth_config.json")
            .into());
    }
    if args.expires.is_some() && plan.method != AuthMethod::Pat {
        return Err(
            CliError::usage("--expires is the expiry date of a personal access token")
                .with_hint("use it with --pat; OAuth tokens carry their own expiry")
                .into(),
        );
    }
    let jwt_incomplete = plan.private_key.is_none() || plan.key_id.is_none();
    if plan.method == AuthMethod::Jwt && plan.oauth_config.is_none() && jwt_incomplete {
        return Err(
            CliError::usage("the JWT login needs the app's private key and its key id")
                .with_hint(
                    "pass --private-key FILE --key-id ID, or --config coze_oauth_config.json",
                )
                .into(),
        );
    }
    Ok(plan)
}

/// No browser to open: an SSH session, or Linux without a display.
fn headless() -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if set("SSH_CONNECTION") || set("SSH_TTY") {
        return true;
    }
    cfg!(target_os = "linux") && !set("DISPLAY") && !set("WAYLAND_DISPLAY")
}

fn trim_base(url: &str) -> String {
    url.trim().trim_end_matches('/').to_owned()
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// `cn` / `com` for the two public API hosts.
pub fn region_of(base_url: &str) -> Option<&'static str> {
    let host = Url::parse(base_url).ok()?.host_str()?.to_owned();
    match host.as_str() {
        "api.coze.cn" => Some("cn"),
        "api.coze.com" => Some("com"),
        _ => None,
    }
}

fn oauth_app(plan: &Plan, secret: Option<Secret>) -> anyhow::Result<OAuthApp> {
    let app = match &plan.oauth_config {
        Some((_, cfg)) if cfg.client_type != ClientType::Jwt => cfg
            .oauth_app()
            .map_err(|e| CliError::usage(e.to_string()))?,
        _ => {
            OAuthApp::new(plan.client_id.clone().unwrap_or_default()).with_base_url(&plan.base_url)
        }
    };
    Ok(match secret {
        Some(secret) => app.with_client_secret(secret),
        None => app,
    })
}

fn jwt_app(plan: &Plan) -> anyhow::Result<JwtApp> {
    if let Some((path, cfg)) = &plan.oauth_config {
        return cfg.jwt_app().map_err(|e| {
            CliError::usage(format!("{}: {e}", path.display()))
                .with_hint(
                    "download the JWT app's coze_oauth_config.json again from the Coze console",
                )
                .into()
        });
    }
    let (Some(path), Some(key_id), Some(client_id)) =
        (&plan.private_key, &plan.key_id, &plan.client_id)
    else {
        return Err(
            CliError::usage("the JWT login needs --client-id, --private-key and --key-id").into(),
        );
    };
    let key = JwtKey::from_pem_file(path).map_err(|e| {
        CliError::usage(format!("cannot use {} as the JWT app's private key: {e}", path.display()))
            .with_hint("pass the PEM file the Coze console generated for the app (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)")
    })?;
    Ok(JwtApp::new(client_id.clone(), key_id.clone(), key).with_base_url(&plan.base_url))
}

/// The web app's secret: from `--config`, `COZE_CLIENT_SECRET`, or a hidden prompt.
fn client_secret(plan: &Plan) -> anyhow::Result<Secret> {
    if let Some(secret) = plan
        .oauth_config
        .as_ref()
        .and_then(|(_, c)| c.client_secret.clone())
    {
        return Ok(secret);
    }
    if let Some(secret) = std::env::var("COZE_CLIENT_SECRET")
        .ok()
        .filter(|s| !s.trim().is_empty())
    {
        return Ok(Secret::trimmed(secret));
    }
    let secret = read_secret(
        "OAuth client secret (input hidden): ",
        "set COZE_CLIENT_SECRET, or pass --config coze_oauth_config.json",
    )?;
    if secret.is_empty() {
        return Err(CliError::usage("no client secret given")
            .with_hint("set COZE_CLIENT_SECRET, type it at the prompt, or pass --config coze_oauth_config.json")
            .into());
    }
    Ok(secret)
}

/// PKCE and web apps: consent in the browser, code back through the loopback listener.
async fn browser_login(
    args: &LoginArgs,
    plan: &Plan,
    app: &OAuthApp,
    http: &reqwest::Client,
) -> anyhow::Result<OAuthToken> {
    let redirect = plan
        .redirect_uri
        .clone()
        .unwrap_or_else(|| DEFAULT_REDIRECT_URI.to_owned());
    let redirect_url = Url::parse(&redirect).map_err(|e| {
        CliError::usage(format!("--redirect-uri `{redirect}` is not a URL: {e}"))
            .with_hint("pass the redirect URI exactly as registered for the app, e.g. http://127.0.0.1:8080/callback")
    })?;
    // Bind first: a busy port must fail before the user approves in the browser.
    let listener = CallbackListener::bind(&redirect_url).await?;
    let state = Secret::new(format!("{:032x}", rand::random::<u128>()));
    let verifier = (plan.method == AuthMethod::Pkce).then(PkceVerifier::generate);
    let mut url = app.authorize_url(&redirect, state.expose());
    if let Some(v) = &verifier {
        url = url.pkce(v.challenge(PkceMethod::S256));
    }
    if let Some(ws) = plan.workspace.as_deref() {
        url = url.workspace(ws);
    }
    let url = url.build();
    crate::output::stderr_line(&format!(
        "Open this URL in a browser to authorize coze:\n\n  {url}\n"
    ));
    if !args.no_browser && !open_browser(&url) {
        crate::output::stderr_line("(could not open a browser; copy the URL above)");
    }
    crate::output::stderr_line(&format!(
        "Waiting for the authorization (up to {}s)...",
        args.timeout
    ));
    let code = listener
        .wait(&state, Duration::from_secs(args.timeout))
        .await?;
    app.exchange_code(code.expose(), &redirect, verifier)
        .send_token(http)
        .await
        .context("exchanging the authorization code failed")
}

async fn device(plan: &Plan, app: &OAuthApp, http: &reqwest::Client) -> anyhow::Result<OAuthToken> {
    let show = |code: &coze_sdk::auth::DeviceCode| {
        crate::output::stderr_line(&format!(
            "To authorize coze, open\n\n  {}\n\nand enter the code {} (valid for {} minutes).\nWaiting...",
            code.verification_url(),
            code.user_code,
            code.expires_in.div_ceil(60)
        ));
    };
    let interrupted = std::sync::atomic::AtomicBool::new(false);
    let cancel = async {
        if tokio::signal::ctrl_c().await.is_ok() {
            interrupted.store(true, std::sync::atomic::Ordering::SeqCst);
        } else {
            // No signal handler: never cancel.
            std::future::pending::<()>().await;
        }
    };
    let result = device_login(app, http, plan.workspace.as_deref(), show, cancel).await;
    if interrupted.load(std::sync::atomic::Ordering::SeqCst) {
        return Err(CliError::interrupted().into());
    }
    result.context("the device login failed")
}

/// Reads a PAT from stdin (when piped) or a hidden prompt, and the optional expiry date.
fn read_pat(args: &LoginArgs) -> anyhow::Result<(Secret, Option<i64>)> {
    let expires = match &args.expires {
        Some(date) => Some(time::parse_date_end_of_day(date).ok_or_else(|| {
            CliError::usage(format!("--expires `{date}` is not a date"))
                .with_hint("give the PAT's expiry as YYYY-MM-DD, e.g. 2026-12-31")
        })?),
        None => None,
    };
    let token = if io::stdin().is_terminal() {
        read_secret(
            "Personal access token (input hidden): ",
            "pipe it instead: `coze auth login --pat < token.txt`",
        )?
    } else {
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the token from stdin")?;
        // Drain the rest so a writer does not see a broken pipe.
        let _ = io::stdin().lock().read_to_end(&mut Vec::new());
        Secret::trimmed(line)
    };
    if token.is_empty() {
        return Err(CliError::usage("no personal access token given")
            .with_hint("paste it at the prompt, or pipe it: `coze auth login --pat < token.txt`")
            .into());
    }
    Ok((token, expires))
}

fn read_secret(prompt: &str, otherwise: &str) -> anyhow::Result<Secret> {
    let value = rpassword::prompt_password(prompt).map_err(|e| {
        CliError::usage(format!("cannot read from the terminal: {e}")).with_hint(otherwise)
    })?;
    Ok(Secret::trimmed(value))
}

/// Opens `url` in the desktop's browser (webbrowser); false when none could be started.
fn open_browser(url: &str) -> bool {
    webbrowser::open(url).is_ok()
}

/// The account behind a token (`/v1/users/me`). `Ok(None)` when the server does not say;
/// an error when it refuses the token.
async fn fetch_account(base_url: &str, token: &Secret) -> coze_sdk::Result<Account> {
    let client = Client::builder()
        .base_url(base_url)
        .token_source(std::sync::Arc::new(StaticToken::from(token.clone())))
        .build()?;
    let me = client.users().me().await?;
    Ok(Account {
        user_id: me.user_id,
        user_name: me.user_name,
        nick_name: me.nick_name,
    })
}

/// The API refused the token itself (401, 4100, 700012006), as opposed to a missing
/// permission or an unreachable server.
fn is_refusal(e: &coze_sdk::Error) -> bool {
    matches!(e.code(), Some(4100 | 700_012_006)) || e.status() == Some(401)
}

/// Writes the profile's settings to `config.toml` and the credentials under the lock.
async fn save(settings: &Settings, plan: &Plan, creds: &StoredCredentials) -> anyhow::Result<()> {
    let ctx = &settings.profile;
    let locked = lock_store(&ctx.store).await?;
    // Re-read config.toml under the lock so a concurrent login to another profile survives.
    let mut config = ConfigFile::load(&ctx.dir).map_err(config_error)?;
    let p = config.profiles.entry(ctx.name.clone()).or_default();
    p.auth = Some(plan.method);
    match region_of(&plan.base_url) {
        Some(region) => {
            p.region = Some(region.to_owned());
            p.base_url = None;
        }
        None => p.base_url = Some(plan.base_url.clone()),
    }
    if plan.method != AuthMethod::Pat {
        p.client_id.clone_from(&plan.client_id);
    }
    p.workspace_id.clone_from(&plan.workspace);
    if matches!(plan.method, AuthMethod::Pkce | AuthMethod::Web) {
        p.redirect_uri.clone_from(&plan.redirect_uri);
    }
    if plan.method == AuthMethod::Jwt {
        p.key_id.clone_from(&plan.key_id);
        p.private_key.clone_from(&plan.private_key);
        p.oauth_config = plan.oauth_config.as_ref().map(|(path, _)| path.clone());
    }
    config.save(&ctx.dir).map_err(config_error)?;
    locked.save(&ctx.name, creds).map_err(config_error)
}

fn report(settings: &Settings, creds: &StoredCredentials) -> anyhow::Result<()> {
    let ctx = &settings.profile;
    let out = &settings.output;
    let who = creds.account.as_ref().map(|a| {
        if a.nick_name.is_empty() {
            a.user_id.clone()
        } else {
            format!("{} ({})", a.nick_name, a.user_id)
        }
    });
    if out.json() {
        out.json_line(&json!({
            "profile": ctx.name,
            "method": creds.method.as_str(),
            "base_url": creds.base_url,
            "region": creds.region,
            "account": creds.account,
            "expires_at": creds.expires_at,
            "workspace_id": creds.workspace_id,
        }))?;
    } else {
        let who = who.map(|w| format!(" as {w}")).unwrap_or_default();
        out.note(&format!(
            "Logged in to {}{who} with {}; saved in profile `{}`.",
            creds.base_url, creds.method, ctx.name
        ));
        if let Some(ws) = &creds.workspace_id {
            out.note(&format!(
                "Team workspace {ws}: if its bots answer 4101, the workspace owner must authorize this app first."
            ));
        }
    }
    Ok(())
}
