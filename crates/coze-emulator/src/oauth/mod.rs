//! The emulator's OAuth side: registered apps, codes, refresh tokens, device codes, seen JWT
//! ids, consent switches, and which team workspaces installed which app.
//!
//! Routes live in `routes/oauth.rs`; this module holds the state and the rules that other
//! routes need (the team-workspace install check).
//!
//! Seeded apps (ids in `Emulator::info()["oauth"]`): a PKCE app, a web app with a secret, a
//! device app and a JWT app whose RSA private key is written to a temporary file (one key per
//! process: 2048-bit key generation is slow). Registered redirect URIs must match exactly:
//! [`DEFAULT_REDIRECT_URIS`], plus any added with `POST /_emulator/oauth/redirect_uris`.

pub mod jwt;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use rand::Rng as _;
use rsa::RsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _, LineEnding};
use serde_json::{Value, json};

use crate::envelope::ApiError;
use crate::state::{AppState, BotRecord, Store, TokenInfo, TokenKind, WorkspaceKind};

/// Redirect URIs every seeded web and PKCE app accepts.
pub const DEFAULT_REDIRECT_URIS: [&str; 2] = [
    "http://127.0.0.1:8080/callback",
    "http://localhost:8080/callback",
];

/// What kind of OAuth app a client id belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    /// Authorization code with a client secret.
    Web,
    /// Authorization code with PKCE, no secret.
    Pkce,
    /// Device code.
    Device,
    /// Service app signing JWTs.
    Jwt,
}

/// A registered OAuth app.
///
/// # Security
/// Debug never prints the client secret.
#[derive(Clone)]
pub struct AppRecord {
    pub client_id: String,
    pub name: String,
    pub kind: AppKind,
    pub secret: Option<String>,
    pub redirect_uris: Vec<String>,
    /// JWT apps: public keys by key id.
    pub public_keys: HashMap<String, rsa::RsaPublicKey>,
}

impl fmt::Debug for AppRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppRecord")
            .field("client_id", &self.client_id)
            .field("kind", &self.kind)
            .field("redirect_uris", &self.redirect_uris)
            .finish_non_exhaustive()
    }
}

/// What the authorize page does without a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConsentMode {
    /// Show the HTML consent page (a person clicks).
    #[default]
    Ask,
    /// Redirect with a code at once (and approve device codes when they are issued).
    Approve,
    /// Redirect with `error=access_denied` at once (and deny device codes).
    Deny,
}

/// The parameters of an authorize request waiting for consent, or of an issued code.
#[derive(Debug, Clone)]
pub struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: String,
    /// `(challenge, method)` for PKCE.
    pub challenge: Option<(String, String)>,
    pub workspace_id: Option<String>,
    pub user_id: String,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub struct CodeRecord {
    pub grant: Grant,
    pub expires_at: i64,
}

/// A live refresh token (rotated on use: the old one is removed).
#[derive(Debug, Clone)]
pub struct RefreshRecord {
    pub client_id: String,
    pub user_id: String,
    pub workspace_id: Option<String>,
    pub expires_at: i64,
}

/// Where a device code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
}

/// An issued device code.
#[derive(Debug, Clone)]
pub struct DeviceRecord {
    pub client_id: String,
    pub user_code: String,
    pub workspace_id: Option<String>,
    pub status: DeviceStatus,
    pub expires_at: i64,
    /// Seconds the client must wait between polls (grows by 5 on `slow_down`).
    pub interval: u64,
    pub last_poll: Option<Instant>,
}

/// Tunables, changed with `POST /_emulator/oauth/settings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OAuthSettings {
    /// Poll interval handed out with device codes (seconds).
    pub device_interval: u64,
    /// Lifetime of device codes (seconds).
    pub device_expires_in: i64,
    /// Lifetime of authorization codes (seconds).
    pub code_ttl: i64,
    /// Lifetime of refresh tokens (seconds; Coze: 30 days).
    pub refresh_ttl: i64,
}

impl Default for OAuthSettings {
    fn default() -> Self {
        OAuthSettings {
            device_interval: 5,
            device_expires_in: 300,
            code_ttl: 300,
            refresh_ttl: 30 * 24 * 3600,
        }
    }
}

/// Counts of token requests, for tests that assert "exactly one refresh".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuthStats {
    /// Requests by `grant_type` (successful or not).
    pub token_requests: HashMap<String, u64>,
    /// Successful refresh-token grants.
    pub refreshes: u64,
}

/// The OAuth part of the store.
///
/// # Security
/// Debug prints counts only: keys of these maps are codes and tokens.
#[derive(Default)]
pub struct OAuthStore {
    pub apps: HashMap<String, AppRecord>,
    /// Authorize requests waiting on the consent page, by `authorize_key`, with the time
    /// after which the page's answer is refused.
    pub pending: HashMap<String, CodeRecord>,
    pub codes: HashMap<String, CodeRecord>,
    pub refresh_tokens: HashMap<String, RefreshRecord>,
    pub device_codes: HashMap<String, DeviceRecord>,
    /// JWT ids seen, with the JWT's expiry (kept until then).
    pub seen_jti: HashMap<String, i64>,
    /// `(workspace_id, client_id)` pairs: the workspace owner installed the app.
    pub installed: HashSet<(String, String)>,
    pub consent: ConsentMode,
    pub settings: OAuthSettings,
    pub stats: OAuthStats,
    pub ids: OAuthIds,
}

impl fmt::Debug for OAuthStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthStore")
            .field("apps", &self.apps.len())
            .field("codes", &self.codes.len())
            .field("refresh_tokens", &self.refresh_tokens.len())
            .field("device_codes", &self.device_codes.len())
            .field("consent", &self.consent)
            .finish_non_exhaustive()
    }
}

/// Ids of the seeded apps.
#[derive(Debug, Clone, Default)]
pub struct OAuthIds {
    pub pkce_client_id: String,
    pub web_client_id: String,
    pub device_client_id: String,
    pub jwt_app_id: String,
    pub jwt_key_id: String,
    pub team_bot_id: String,
}

/// The JWT app's key, shared by every emulator of this user: kept in one PEM file under the
/// user's cache directory (`~/.cache/coze-emulator/` on Linux; the temp dir as a fallback),
/// created on first use. One file instead of one per process means nothing piles up in the
/// temp dir, and no 2048-bit key generation at every start.
struct JwtKeyFile {
    key: RsaPrivateKey,
    path: Option<PathBuf>,
}

fn jwt_key() -> &'static JwtKeyFile {
    static KEY: OnceLock<JwtKeyFile> = OnceLock::new();
    KEY.get_or_init(|| {
        let dir = dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("coze-emulator");
        load_or_create_key(&dir)
    })
}

fn load_or_create_key(dir: &Path) -> JwtKeyFile {
    let path = dir.join("jwt_app_private_key.pem");
    if let Some(key) = read_key(&path) {
        return JwtKeyFile {
            key,
            path: Some(path),
        };
    }
    // The only failure is an RNG failure, which leaves nothing sensible to do.
    let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)
        .expect("RSA key generation needs a working OS random generator");
    if let Err(e) = write_key_file(dir, &path, &key) {
        tracing::warn!("cannot write the JWT app's private key file: {e}");
    }
    // Another emulator may have written its key first: use the one on disk, so the key the
    // emulator checks signatures with is the one its `info()` points at.
    match read_key(&path) {
        Some(on_disk) => JwtKeyFile {
            key: on_disk,
            path: Some(path),
        },
        None => JwtKeyFile { key, path: None },
    }
}

fn read_key(path: &Path) -> Option<RsaPrivateKey> {
    let pem = std::fs::read_to_string(path).ok()?;
    RsaPrivateKey::from_pkcs8_pem(&pem).ok()
}

/// Writes the key to a private temp file, then links it into place only if no other process
/// did so first (a corrupt file is replaced), so readers never see a half-written key.
fn write_key_file(dir: &Path, path: &Path, key: &RsaPrivateKey) -> std::io::Result<()> {
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)?;
    let tmp = dir.join(format!(".jwt_app_private_key.{}.tmp", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let written = options.open(&tmp).and_then(|mut file| {
        std::io::Write::write_all(&mut file, pem.as_bytes())?;
        file.sync_all()
    });
    let linked = written.and_then(|()| {
        if path.exists() && read_key(path).is_none() {
            std::fs::remove_file(path)?;
        }
        match std::fs::hard_link(&tmp, path) {
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
            other => other,
        }
    });
    let _ = std::fs::remove_file(&tmp);
    linked
}

/// The JWT app's private key as PKCS#8 PEM (for in-process tests).
pub fn jwt_private_key_pem() -> Option<String> {
    jwt_key()
        .key
        .to_pkcs8_pem(LineEnding::LF)
        .ok()
        .map(|pem| pem.to_string())
}

/// A random lower-case hex string of `bytes` random bytes.
pub fn random_hex(bytes: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..bytes)
        .map(|_| format!("{:02x}", rng.r#gen::<u8>()))
        .collect()
}

/// Registers the seeded apps and the team bot; called once from `AppState::new`.
pub fn seed(state: &AppState, store: &mut Store) {
    let ids = OAuthIds {
        pkce_client_id: format!("{}.app.coze", state.new_id()),
        web_client_id: format!("{}.app.coze", state.new_id()),
        device_client_id: format!("{}.app.coze", state.new_id()),
        jwt_app_id: state.new_id(),
        jwt_key_id: format!("emulator-key-{}", random_hex(8)),
        team_bot_id: state.new_id(),
    };
    let redirect_uris: Vec<String> = DEFAULT_REDIRECT_URIS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let key = jwt_key();
    let apps = [
        (
            ids.pkce_client_id.clone(),
            "Emulator PKCE app",
            AppKind::Pkce,
            None,
        ),
        (
            ids.web_client_id.clone(),
            "Emulator web app",
            AppKind::Web,
            Some(format!("emulator_secret_{}", random_hex(16))),
        ),
        (
            ids.device_client_id.clone(),
            "Emulator device app",
            AppKind::Device,
            None,
        ),
        (
            ids.jwt_app_id.clone(),
            "Emulator JWT app",
            AppKind::Jwt,
            None,
        ),
    ];
    for (client_id, name, kind, secret) in apps {
        let mut public_keys = HashMap::new();
        if kind == AppKind::Jwt {
            public_keys.insert(ids.jwt_key_id.clone(), key.key.to_public_key());
        }
        let uris = match kind {
            AppKind::Web | AppKind::Pkce => redirect_uris.clone(),
            _ => Vec::new(),
        };
        store.oauth.apps.insert(
            client_id.clone(),
            AppRecord {
                client_id,
                name: name.to_string(),
                kind,
                secret,
                redirect_uris: uris,
                public_keys,
            },
        );
    }
    let seed = state.ids();
    let now = state.now();
    store.bots.insert(
        ids.team_bot_id.clone(),
        BotRecord {
            id: ids.team_bot_id.clone(),
            name: "Team echo".into(),
            description: "emulator demo bot in the team workspace".into(),
            workspace_id: seed.team_workspace_id.clone(),
            owner_id: seed.user_id.clone(),
            published: true,
            created_at: now,
            updated_at: now,
            behavior: Arc::new(crate::bots::echo::Echo),
            extra: Default::default(),
        },
    );
    let web_secret = store
        .oauth
        .apps
        .get(&ids.web_client_id)
        .and_then(|a| a.secret.clone());
    store.info_extras.insert(
        "oauth".into(),
        json!({
            "pkce_client_id": ids.pkce_client_id,
            "web_client_id": ids.web_client_id,
            "web_client_secret": web_secret,
            "device_client_id": ids.device_client_id,
            "jwt_app_id": ids.jwt_app_id,
            "jwt_key_id": ids.jwt_key_id,
            "jwt_private_key_path": key.path.as_ref().map(|p| p.display().to_string()),
            "redirect_uri": DEFAULT_REDIRECT_URIS[0],
            "user_id": seed.user_id,
            "team_workspace_id": seed.team_workspace_id,
            "team_bot_id": ids.team_bot_id,
        }),
    );
    store.oauth.ids = ids;
}

/// 4101 when an OAuth token reaches into a team workspace whose owner has not installed the
/// token's app. PATs and personal workspaces pass.
///
/// # Errors
/// [`ApiError::forbidden`] saying that the owner must authorise the app.
pub fn check_install(store: &Store, token: &TokenInfo, workspace_id: &str) -> Result<(), ApiError> {
    let Some(client_id) = &token.client_id else {
        return Ok(());
    };
    let team = store
        .workspaces
        .get(workspace_id)
        .is_some_and(|w| w.kind == WorkspaceKind::Team);
    if !team
        || store
            .oauth
            .installed
            .contains(&(workspace_id.to_string(), client_id.clone()))
    {
        return Ok(());
    }
    Err(ApiError::forbidden(format!(
        "OAuth app {client_id} is not authorised in workspace {workspace_id}: the workspace owner must install (authorise) the app for the workspace before its tokens can use the workspace's bots"
    )))
}

/// How long a consent page may wait for its answer (a person reads it; seconds).
pub const PENDING_TTL: i64 = 3600;

/// How long expired entries are kept before [`prune_expired`] drops them (seconds). Kept a
/// while so that a test moving the clock back and forth still sees the same tokens.
pub const PRUNE_GRACE: i64 = 3600;

/// Drops what expired more than [`PRUNE_GRACE`] ago: OAuth-issued access tokens, codes,
/// consent pages, refresh tokens, device codes and seen JWT ids. Called whenever something
/// new is issued, so a long-running emulator holds only what is live. PATs stay.
pub fn prune_expired(store: &mut Store, now: i64) {
    let cutoff = now.saturating_sub(PRUNE_GRACE);
    store
        .tokens
        .retain(|t| t.client_id.is_none() || !t.is_expired(cutoff));
    let oauth = &mut store.oauth;
    oauth.codes.retain(|_, c| c.expires_at > cutoff);
    oauth.pending.retain(|_, c| c.expires_at > cutoff);
    oauth.refresh_tokens.retain(|_, r| r.expires_at > cutoff);
    oauth.device_codes.retain(|_, d| d.expires_at > cutoff);
    oauth.seen_jti.retain(|_, exp| *exp > cutoff);
}

/// What to issue with [`issue_tokens`].
#[derive(Debug, Clone)]
pub struct Issue {
    pub client_id: String,
    pub user_id: String,
    pub workspace_id: Option<String>,
    /// `OAuthUser` tokens come with a refresh token, `OAuthService` (JWT) ones without.
    pub kind: TokenKind,
    pub ttl_seconds: i64,
    pub scope: Option<Value>,
    /// The JWT's `session_name` (service tokens only).
    pub session_name: Option<String>,
}

/// Issues an access token (and, for user grants, a refresh token), registers it, and
/// returns the bare token response.
pub fn issue_tokens(state: &AppState, store: &mut Store, issue: Issue) -> Value {
    let now = state.now();
    prune_expired(store, now);
    let (prefix, refresh) = match issue.kind {
        TokenKind::OAuthService => ("czs_", false),
        _ => ("czu_", true),
    };
    let access = format!("{prefix}{}", random_hex(24));
    let expires_at = now.saturating_add(issue.ttl_seconds.max(1));
    store.tokens.insert(
        access.clone(),
        TokenInfo {
            kind: issue.kind,
            user_id: issue.user_id.clone(),
            expires_at: Some(expires_at),
            workspace_id: issue.workspace_id.clone(),
            client_id: Some(issue.client_id.clone()),
            scope: issue.scope,
            session_name: issue.session_name,
        },
    );
    let mut body =
        json!({"access_token": access, "expires_in": expires_at, "token_type": "Bearer"});
    if refresh {
        let refresh_token = random_hex(24);
        store.oauth.refresh_tokens.insert(
            refresh_token.clone(),
            RefreshRecord {
                client_id: issue.client_id,
                user_id: issue.user_id,
                workspace_id: issue.workspace_id,
                expires_at: now.saturating_add(store.oauth.settings.refresh_ttl),
            },
        );
        body["refresh_token"] = json!(refresh_token);
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Settings;
    use std::time::Duration;

    #[test]
    fn the_jwt_key_file_is_shared_and_a_corrupt_one_is_replaced() {
        let dir = std::env::temp_dir().join(format!("coze-emulator-keytest-{}", random_hex(6)));
        let first = load_or_create_key(&dir);
        let path = first.path.clone().expect("the key file is written");
        // A second emulator reuses the file instead of generating (and leaving) another one.
        let second = load_or_create_key(&dir);
        assert_eq!(second.path.as_deref(), Some(path.as_path()));
        assert_eq!(first.key, second.key);
        std::fs::write(&path, "not a key").unwrap();
        let third = load_or_create_key(&dir);
        assert_ne!(third.key, first.key);
        assert_eq!(read_key(&path), Some(third.key.clone()));
        let leftovers = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(leftovers, 1, "only the key file stays");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn issue(state: &AppState, store: &mut Store, ttl_seconds: i64) -> Value {
        let issue = Issue {
            client_id: store.oauth.ids.pkce_client_id.clone(),
            user_id: state.ids().user_id.clone(),
            workspace_id: None,
            kind: TokenKind::OAuthUser,
            ttl_seconds,
            scope: None,
            session_name: None,
        };
        issue_tokens(state, store, issue)
    }

    #[test]
    fn issuing_drops_long_expired_oauth_state_but_keeps_the_pat() {
        let settings = Settings {
            token_ttl: Duration::from_secs(900),
            sync_workflow_timeout: Duration::from_secs(1),
            max_upload_bytes: 1024,
            slow_workflow: Duration::from_secs(1),
        };
        let state = AppState::new("pat_keep", None, settings, crate::Pace::Instant);
        let old = {
            let mut store = state.store();
            store
                .oauth
                .seen_jti
                .insert("old-jti".into(), state.now() + 1);
            issue(&state, &mut store, 1)
        };
        let old_token = old["access_token"].as_str().unwrap_or_default().to_string();
        let old_refresh = old["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(state.store().tokens.get(&old_token).is_some());

        // Within the grace period nothing goes.
        state.skew_clock(PRUNE_GRACE - 10);
        issue(&state, &mut state.store(), 900);
        assert!(state.store().tokens.get(&old_token).is_some());
        assert!(
            state
                .store()
                .oauth
                .refresh_tokens
                .contains_key(&old_refresh)
        );

        // Past the refresh token's 30 days and the grace, everything old goes.
        state.skew_clock(31 * 24 * 3600 + PRUNE_GRACE);
        let fresh = issue(&state, &mut state.store(), 900);
        let store = state.store();
        assert!(store.tokens.get(&old_token).is_none(), "expired token kept");
        assert!(!store.oauth.refresh_tokens.contains_key(&old_refresh));
        assert!(!store.oauth.seen_jti.contains_key("old-jti"));
        assert!(store.tokens.get("pat_keep").is_some(), "the PAT must stay");
        let fresh_token = fresh["access_token"].as_str().unwrap_or_default();
        assert!(store.tokens.get(fresh_token).is_some());
        assert_eq!(
            store.tokens.len(),
            2,
            "only the PAT and the fresh token remain"
        );
    }
}
