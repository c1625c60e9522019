//! Coze's OAuth endpoints (bare JSON, no envelope) and the consent pages a browser sees.
//!
//! - `GET /api/permission/oauth2/authorize` and `…/workspace_id/{id}/authorize`: checks the
//!   client id, the exact redirect URI and PKCE parameters, then shows a consent page (or,
//!   with the consent mode switched, redirects at once) to `redirect_uri?code=…&state=…`
//!   or `?error=access_denied&state=…`.
//! - `POST /api/permission/oauth2/token` (and `…/account/{id}/token`, and coze-go's
//!   `…/enterprise_id/{id}/token`, granted when the emulator's user is a member of that
//!   enterprise): the grants
//!   `authorization_code`, `refresh_token`, device code and JWT bearer, checked as Coze
//!   does. Errors: HTTP 400 (401 for client authentication) with `error`, `error_code`,
//!   `error_message` and `error_description`.
//! - `POST /api/permission/oauth2/device/code` and `…/workspace_id/{id}/device/code`.
//!
//! Test switches (no token needed):
//! - `POST /_emulator/oauth/consent_mode` `{"mode":"ask"|"approve"|"deny"}`: `approve` / `deny`
//!   make the authorize GET redirect at once and settle new device codes on issue.
//! - `POST /_emulator/oauth/device/approve` / `…/deny` `{"user_code"?}` (all pending if absent).
//! - `GET /_emulator/oauth/device?user_code=…`: the verification page (a form posting back).
//! - `POST /_emulator/oauth/consent`: the consent page's form (`authorize_key`, `decision`).
//! - `POST /_emulator/oauth/redirect_uris` `{"redirect_uri", "client_id"?}`: register a URI
//!   (for the web and PKCE apps when no client id is given).
//! - `POST /_emulator/oauth/settings` `{"device_interval"?, "device_expires_in"?,
//!   "code_ttl"?, "refresh_ttl"?}` (seconds); answers the current settings.
//! - `GET /_emulator/oauth/stats`: `{"token_requests": {grant_type: n}, "refreshes": n}`.
//! - `POST /_emulator/oauth/revoke` `{"client_id"?}`: revoke every issued token (of a client).
//! - `POST` / `DELETE /_emulator/workspaces/{id}/install` `{"client_id"}`: the workspace
//!   owner installs (or removes) an OAuth app.

use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;

use super::{JsonBody, Params};
use crate::auth::bearer;
use crate::envelope::{ApiError, bare};
use crate::oauth::{
    AppKind, CodeRecord, ConsentMode, DeviceRecord, DeviceStatus, Grant, Issue, issue_tokens, jwt,
    random_hex,
};
use crate::state::{AppState, Store, TokenKind};

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/permission/oauth2/authorize", get(authorize))
        .route(
            "/api/permission/oauth2/workspace_id/{workspace_id}/authorize",
            get(authorize_in),
        )
        .route("/api/permission/oauth2/token", post(token))
        .route(
            "/api/permission/oauth2/account/{account_id}/token",
            post(token_for_account),
        )
        .route(
            "/api/permission/oauth2/enterprise_id/{enterprise_id}/token",
            post(token_for_enterprise),
        )
        .route("/api/permission/oauth2/device/code", post(device_code))
        .route(
            "/api/permission/oauth2/workspace_id/{workspace_id}/device/code",
            post(device_code_in),
        )
        .route("/_emulator/oauth/consent", post(consent))
        .route("/_emulator/oauth/consent_mode", post(set_consent_mode))
        .route(
            "/_emulator/oauth/device",
            get(device_page).post(device_form),
        )
        .route("/_emulator/oauth/device/approve", post(device_approve))
        .route("/_emulator/oauth/device/deny", post(device_deny))
        .route("/_emulator/oauth/redirect_uris", post(add_redirect_uri))
        .route("/_emulator/oauth/settings", post(set_settings))
        .route("/_emulator/oauth/stats", get(stats))
        .route("/_emulator/oauth/revoke", post(revoke))
        .route(
            "/_emulator/workspaces/{workspace_id}/install",
            post(install).delete(uninstall),
        )
}

/// An OAuth error body with both naming conventions (py/go read `error_code`, js `error`).
fn oauth_error(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    let message = message.into();
    bare(
        status,
        json!({"error": code, "error_code": code, "error_message": message, "error_description": message}),
    )
}

fn bad(code: &str, message: impl Into<String>) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, code, message)
}

/// OAuth endpoints answer even an unreadable body in the OAuth error shape, not the envelope.
fn not_json() -> Response {
    bad(
        "invalid_request",
        "invalid request: the body is not a JSON object",
    )
}

fn invalid_client(message: impl Into<String>) -> Response {
    oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", message)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(status: StatusCode, title: &str, body_html: &str) -> Response {
    let html = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{t}</title></head>\
         <body style=\"font-family:sans-serif;max-width:36em;margin:3em auto\"><h1>{t}</h1>{body_html}\
         <p style=\"color:#888\">coze emulator</p></body></html>",
        t = escape(title)
    );
    (status, Html(html)).into_response()
}

fn error_page(message: &str) -> Response {
    page(
        StatusCode::BAD_REQUEST,
        "Authorization error",
        &format!("<p>{}</p>", escape(message)),
    )
}

fn redirect(to: String) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to)]).into_response()
}

fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", query.finish())
}

fn host(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string()
}

// ---------------------------------------------------------------- authorize

async fn authorize(State(state): State<AppState>, params: Params) -> Response {
    start_authorize(&state, &params, None)
}

async fn authorize_in(
    State(state): State<AppState>,
    Path(workspace_id): Path<String>,
    params: Params,
) -> Response {
    start_authorize(&state, &params, Some(workspace_id))
}

fn start_authorize(state: &AppState, params: &Params, workspace_id: Option<String>) -> Response {
    let mut store = state.store();
    let Some(client_id) = params.get("client_id") else {
        return error_page("client_id is missing from the authorize URL");
    };
    let Some(app) = store.oauth.apps.get(client_id) else {
        return error_page(&format!(
            "unknown client_id {client_id}: check the app's client id (and region)"
        ));
    };
    if !matches!(app.kind, AppKind::Web | AppKind::Pkce) {
        return error_page(&format!(
            "app {client_id} is not a web or PKCE app and cannot use this page"
        ));
    }
    let redirect_uri = params.get("redirect_uri").unwrap_or("");
    if !app.redirect_uris.iter().any(|r| r == redirect_uri) {
        return error_page(&format!(
            "redirect_uri {redirect_uri:?} does not match the app's registered redirect URIs exactly ({})",
            app.redirect_uris.join(", ")
        ));
    }
    if params.get("response_type") != Some("code") {
        return error_page("response_type must be code");
    }
    let challenge = match params.get("code_challenge") {
        Some(c) => {
            let method = params.get("code_challenge_method").unwrap_or("plain");
            if method != "S256" && method != "plain" {
                return error_page("code_challenge_method must be S256 or plain");
            }
            Some((c.to_string(), method.to_string()))
        }
        None if app.kind == AppKind::Pkce => {
            return error_page("a PKCE app must send code_challenge");
        }
        None => None,
    };
    let user_id = state.ids().user_id.clone();
    if let Some(ws) = &workspace_id {
        let member = store
            .workspaces
            .get(ws)
            .is_some_and(|w| w.members.contains(&user_id));
        if !member {
            return error_page(&format!(
                "workspace {ws} does not exist or you are not a member"
            ));
        }
    }
    let app_name = app.name.clone();
    let grant = Grant {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        state: params.get("state").unwrap_or("").to_string(),
        challenge,
        workspace_id,
        user_id,
    };
    crate::oauth::prune_expired(&mut store, state.now());
    match store.oauth.consent {
        ConsentMode::Approve => finish_consent(state, &mut store, grant, true),
        ConsentMode::Deny => finish_consent(state, &mut store, grant, false),
        ConsentMode::Ask => {
            let key = random_hex(16);
            let scope = match &grant.workspace_id {
                Some(ws) => format!("the team workspace {ws}"),
                None => "your account".to_string(),
            };
            let expires_at = state.now().saturating_add(crate::oauth::PENDING_TTL);
            store
                .oauth
                .pending
                .insert(key.clone(), CodeRecord { grant, expires_at });
            let form = |decision: &str, label: &str| {
                format!(
                    "<form method=\"post\" action=\"/_emulator/oauth/consent\" style=\"display:inline\">\
                     <input type=\"hidden\" name=\"authorize_key\" value=\"{key}\">\
                     <input type=\"hidden\" name=\"decision\" value=\"{decision}\">\
                     <button type=\"submit\">{label}</button></form> "
                )
            };
            let body = format!(
                "<p><b>{}</b> asks to use the Coze API on behalf of {}.</p>{}{}",
                escape(&app_name),
                escape(&scope),
                form("approve", "Authorize"),
                form("deny", "Deny")
            );
            page(StatusCode::OK, "Authorize app", &body)
        }
    }
}

fn finish_consent(state: &AppState, store: &mut Store, grant: Grant, approve: bool) -> Response {
    if !approve {
        let to = with_query(
            &grant.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "the user denied the request"),
                ("state", &grant.state),
            ],
        );
        return redirect(to);
    }
    let code = format!("code_{}", random_hex(20));
    let to = with_query(
        &grant.redirect_uri,
        &[("code", &code), ("state", &grant.state)],
    );
    let expires_at = state.now().saturating_add(store.oauth.settings.code_ttl);
    store
        .oauth
        .codes
        .insert(code, CodeRecord { grant, expires_at });
    redirect(to)
}

#[derive(Deserialize)]
struct ConsentForm {
    authorize_key: String,
    decision: String,
}

async fn consent(State(state): State<AppState>, Form(form): Form<ConsentForm>) -> Response {
    let mut store = state.store();
    let Some(pending) = store
        .oauth
        .pending
        .remove(&form.authorize_key)
        .filter(|p| p.expires_at > state.now())
    else {
        return error_page(
            "this authorization request is unknown, expired or was already answered; start the login again",
        );
    };
    finish_consent(
        &state,
        &mut store,
        pending.grant,
        form.decision == "approve",
    )
}

// ---------------------------------------------------------------- token

#[derive(Deserialize, Default)]
struct TokenBody {
    grant_type: Option<String>,
    client_id: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    device_code: Option<String>,
    duration_seconds: Option<Value>,
    scope: Option<Value>,
}

async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<JsonBody, ApiError>,
) -> Response {
    token_grant(&state, &headers, body, TokenScope::User)
}

async fn token_for_account(
    State(state): State<AppState>,
    Path(account_id): Path<String>,
    headers: HeaderMap,
    body: Result<JsonBody, ApiError>,
) -> Response {
    token_grant(&state, &headers, body, TokenScope::Account(account_id))
}

async fn token_for_enterprise(
    State(state): State<AppState>,
    Path(enterprise_id): Path<String>,
    headers: HeaderMap,
    body: Result<JsonBody, ApiError>,
) -> Response {
    token_grant(
        &state,
        &headers,
        body,
        TokenScope::Enterprise(enterprise_id),
    )
}

/// Which token path a JWT grant came in on.
enum TokenScope {
    User,
    Account(String),
    Enterprise(String),
}

fn token_grant(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<JsonBody, ApiError>,
    account: TokenScope,
) -> Response {
    let Ok(body) = body else {
        return not_json();
    };
    let Ok(body) = serde_json::from_value::<TokenBody>(body.0) else {
        return bad(
            "invalid_request",
            "invalid request: the body does not match the token request",
        );
    };
    let grant_type = body.grant_type.clone().unwrap_or_default();
    let mut store = state.store();
    *store
        .oauth
        .stats
        .token_requests
        .entry(grant_type.clone())
        .or_default() += 1;
    let credential = bearer(headers).map(str::to_string);
    match grant_type.as_str() {
        "authorization_code" => code_grant(state, &mut store, body, credential),
        "refresh_token" => refresh_grant(state, &mut store, body, credential),
        "urn:ietf:params:oauth:grant-type:device_code" => device_grant(state, &mut store, body),
        "urn:ietf:params:oauth:grant-type:jwt-bearer" => {
            jwt_grant(state, &mut store, body, credential, &host(headers), account)
        }
        "" => bad("invalid_request", "invalid request: grant_type"),
        other => bad(
            "unsupported_grant_type",
            format!("not supported grant type: {other}"),
        ),
    }
}

/// The client of a token request, authenticated: web apps by their secret as the bearer.
fn client<'a>(
    store: &'a Store,
    body: &TokenBody,
    credential: Option<&str>,
    kinds: &[AppKind],
) -> Result<&'a crate::oauth::AppRecord, Box<Response>> {
    let Some(client_id) = body.client_id.as_deref().filter(|c| !c.is_empty()) else {
        return Err(Box::new(bad(
            "invalid_request",
            "invalid request: client_id",
        )));
    };
    let app = store
        .oauth
        .apps
        .get(client_id)
        .filter(|a| kinds.contains(&a.kind))
        .ok_or_else(|| {
            Box::new(invalid_client(format!(
                "unknown client_id {client_id} for this grant type"
            )))
        })?;
    if let Some(secret) = &app.secret
        && credential != Some(secret.as_str())
    {
        return Err(Box::new(invalid_client(
            "the client secret is missing or wrong",
        )));
    }
    Ok(app)
}

fn user_ttl(state: &AppState) -> i64 {
    i64::try_from(state.settings().token_ttl.as_secs()).unwrap_or(i64::MAX / 2)
}

fn code_grant(
    state: &AppState,
    store: &mut Store,
    body: TokenBody,
    credential: Option<String>,
) -> Response {
    let client_id = match client(
        store,
        &body,
        credential.as_deref(),
        &[AppKind::Web, AppKind::Pkce],
    ) {
        Ok(app) => app.client_id.clone(),
        Err(response) => return *response,
    };
    let Some(code) = body.code.as_deref() else {
        return bad("invalid_request", "invalid request: code");
    };
    // A code is spent by any attempt, so a wrong verifier cannot be retried.
    let Some(record) = store.oauth.codes.remove(code) else {
        return bad(
            "invalid_grant",
            "the authorization code is invalid or was already used",
        );
    };
    if record.expires_at <= state.now() {
        return bad("invalid_grant", "the authorization code has expired");
    }
    let grant = record.grant;
    if grant.client_id != client_id {
        return bad(
            "invalid_grant",
            "the authorization code was issued to another client",
        );
    }
    if body.redirect_uri.as_deref() != Some(grant.redirect_uri.as_str()) {
        return bad(
            "invalid_grant",
            "redirect_uri does not match the one of the authorize request",
        );
    }
    if let Some((challenge, method)) = &grant.challenge {
        let Some(verifier) = body.code_verifier.as_deref().filter(|v| !v.is_empty()) else {
            return bad("invalid_grant", "code_verifier is required for this code");
        };
        let derived = match method.as_str() {
            "S256" => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
            _ => verifier.to_string(),
        };
        if &derived != challenge {
            return bad(
                "invalid_grant",
                "code_verifier does not match code_challenge",
            );
        }
    }
    let issue = Issue {
        client_id,
        user_id: grant.user_id,
        workspace_id: grant.workspace_id,
        kind: TokenKind::OAuthUser,
        ttl_seconds: user_ttl(state),
        scope: None,
        session_name: None,
    };
    bare(StatusCode::OK, issue_tokens(state, store, issue))
}

fn refresh_grant(
    state: &AppState,
    store: &mut Store,
    body: TokenBody,
    credential: Option<String>,
) -> Response {
    let kinds = [AppKind::Web, AppKind::Pkce, AppKind::Device];
    let client_id = match client(store, &body, credential.as_deref(), &kinds) {
        Ok(app) => app.client_id.clone(),
        Err(response) => return *response,
    };
    let Some(refresh) = body.refresh_token.as_deref().filter(|r| !r.is_empty()) else {
        return bad("invalid_request", "invalid request: refresh_token");
    };
    let Some(record) = store.oauth.refresh_tokens.get(refresh).cloned() else {
        return bad(
            "invalid_grant",
            "the refresh token is invalid, revoked or was already used (refresh tokens rotate)",
        );
    };
    if record.client_id != client_id {
        return bad(
            "invalid_grant",
            "the refresh token was issued to another client",
        );
    }
    store.oauth.refresh_tokens.remove(refresh);
    if record.expires_at <= state.now() {
        return bad("invalid_grant", "the refresh token has expired");
    }
    store.oauth.stats.refreshes += 1;
    let issue = Issue {
        client_id,
        user_id: record.user_id,
        workspace_id: record.workspace_id,
        kind: TokenKind::OAuthUser,
        ttl_seconds: user_ttl(state),
        scope: None,
        session_name: None,
    };
    bare(StatusCode::OK, issue_tokens(state, store, issue))
}

/// Polls sooner than this before the interval count as too fast (timer and network jitter).
const POLL_TOLERANCE: Duration = Duration::from_millis(50);

fn device_grant(state: &AppState, store: &mut Store, body: TokenBody) -> Response {
    let client_id = match client(store, &body, None, &[AppKind::Device]) {
        Ok(app) => app.client_id.clone(),
        Err(response) => return *response,
    };
    let Some(device_code) = body.device_code.as_deref() else {
        return bad("invalid_request", "invalid request: device_code");
    };
    let now = state.now();
    let Some(record) = store.oauth.device_codes.get_mut(device_code) else {
        return bad(
            "invalid_grant",
            "the device code is invalid or was already used",
        );
    };
    if record.client_id != client_id {
        return bad(
            "invalid_grant",
            "the device code was issued to another client",
        );
    }
    if record.expires_at <= now {
        return bad(
            "expired_token",
            "the device code has expired: start the login again",
        );
    }
    let polled = Instant::now();
    let too_fast = record.last_poll.is_some_and(|last| {
        polled.duration_since(last) + POLL_TOLERANCE < Duration::from_secs(record.interval)
    });
    record.last_poll = Some(polled);
    if too_fast {
        record.interval = record.interval.saturating_add(5);
        return bad(
            "slow_down",
            format!("polling too fast: wait {} s between polls", record.interval),
        );
    }
    match record.status {
        DeviceStatus::Pending => bad(
            "authorization_pending",
            "the user has not approved the request yet",
        ),
        DeviceStatus::Denied => {
            store.oauth.device_codes.remove(device_code);
            bad("access_denied", "the user denied the request")
        }
        DeviceStatus::Approved => {
            let workspace_id = record.workspace_id.clone();
            store.oauth.device_codes.remove(device_code);
            let issue = Issue {
                client_id,
                user_id: state.ids().user_id.clone(),
                workspace_id,
                kind: TokenKind::OAuthUser,
                ttl_seconds: user_ttl(state),
                scope: None,
                session_name: None,
            };
            bare(StatusCode::OK, issue_tokens(state, store, issue))
        }
    }
}

fn jwt_grant(
    state: &AppState,
    store: &mut Store,
    body: TokenBody,
    credential: Option<String>,
    audience: &str,
    account: TokenScope,
) -> Response {
    let Some(jwt) = credential else {
        return invalid_client("the JWT is missing: send it as Authorization: Bearer <jwt>");
    };
    let now = state.now();
    store.oauth.seen_jti.retain(|_, exp| *exp > now);
    let verified = match jwt::verify(&store.oauth, &jwt, audience, now) {
        Ok(v) => v,
        Err(reason) => return invalid_client(reason),
    };
    store
        .oauth
        .seen_jti
        .insert(verified.jti.clone(), verified.exp);
    let duration = match &body.duration_seconds {
        None | Some(Value::Null) => 900,
        Some(v) => match v.as_i64() {
            Some(d) if (1..=86_399).contains(&d) => d,
            _ => {
                return bad(
                    "invalid_request",
                    "invalid request: duration_seconds must be 1..86399",
                );
            }
        },
    };
    let user_id = state.ids().user_id.clone();
    match account {
        TokenScope::User => {}
        TokenScope::Account(account) if account == user_id => {}
        TokenScope::Account(account) => {
            return bad(
                "invalid_request",
                format!("invalid request: unknown account {account}"),
            );
        }
        TokenScope::Enterprise(enterprise) => {
            let member = store
                .people
                .enterprise_members
                .get(&enterprise)
                .is_some_and(|m| m.contains_key(&user_id));
            if !member {
                return bad(
                    "invalid_request",
                    format!(
                        "invalid request: the app's owner is not a member of enterprise {enterprise}"
                    ),
                );
            }
        }
    }
    let issue = Issue {
        client_id: verified.app_id,
        user_id,
        workspace_id: None,
        kind: TokenKind::OAuthService,
        ttl_seconds: duration,
        scope: body.scope.filter(|s| !s.is_null()),
        session_name: verified.session_name,
    };
    bare(StatusCode::OK, issue_tokens(state, store, issue))
}

// ---------------------------------------------------------------- device code

async fn device_code(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<JsonBody, ApiError>,
) -> Response {
    issue_device_code(&state, &headers, body, None)
}

async fn device_code_in(
    State(state): State<AppState>,
    Path(workspace_id): Path<String>,
    headers: HeaderMap,
    body: Result<JsonBody, ApiError>,
) -> Response {
    issue_device_code(&state, &headers, body, Some(workspace_id))
}

fn user_code() -> String {
    const LETTERS: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
    let hex = random_hex(4);
    let code: String = hex
        .bytes()
        .map(|b| LETTERS[usize::from(b) % LETTERS.len()] as char)
        .collect();
    format!("{}-{}", &code[..4], &code[4..])
}

fn issue_device_code(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<JsonBody, ApiError>,
    workspace_id: Option<String>,
) -> Response {
    let Ok(body) = body else {
        return not_json();
    };
    let body: TokenBody = serde_json::from_value(body.0).unwrap_or_default();
    let mut store = state.store();
    let client_id = match client(&store, &body, None, &[AppKind::Device]) {
        Ok(app) => app.client_id.clone(),
        Err(response) => return *response,
    };
    let user_id = state.ids().user_id.clone();
    if let Some(ws) = &workspace_id
        && !store
            .workspaces
            .get(ws)
            .is_some_and(|w| w.members.contains(&user_id))
    {
        return bad(
            "invalid_request",
            format!("invalid request: workspace {ws} does not exist or you are not a member"),
        );
    }
    let settings = store.oauth.settings;
    let status = match store.oauth.consent {
        ConsentMode::Ask => DeviceStatus::Pending,
        ConsentMode::Approve => DeviceStatus::Approved,
        ConsentMode::Deny => DeviceStatus::Denied,
    };
    crate::oauth::prune_expired(&mut store, state.now());
    let device_code = random_hex(20);
    let user_code = user_code();
    store.oauth.device_codes.insert(
        device_code.clone(),
        DeviceRecord {
            client_id,
            user_code: user_code.clone(),
            workspace_id,
            status,
            expires_at: state.now().saturating_add(settings.device_expires_in),
            interval: settings.device_interval,
            last_poll: None,
        },
    );
    bare(
        StatusCode::OK,
        json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": format!("http://{}/_emulator/oauth/device", host(headers)),
            "expires_in": settings.device_expires_in,
            "interval": settings.device_interval,
        }),
    )
}

/// Settles pending device codes (one `user_code`, or all); returns how many.
fn settle_devices(store: &mut Store, user_code: Option<&str>, status: DeviceStatus) -> usize {
    let mut settled = 0;
    for record in store.oauth.device_codes.values_mut() {
        let matches = user_code.is_none_or(|c| c.eq_ignore_ascii_case(&record.user_code));
        if matches && record.status == DeviceStatus::Pending {
            record.status = status;
            settled += 1;
        }
    }
    settled
}

async fn device_page(params: Params) -> Response {
    let code = escape(params.get("user_code").unwrap_or(""));
    let button = |decision: &str, label: &str| {
        format!("<button type=\"submit\" name=\"decision\" value=\"{decision}\">{label}</button> ")
    };
    let body = format!(
        "<form method=\"post\" action=\"/_emulator/oauth/device\">\
         <p>Code: <input name=\"user_code\" value=\"{code}\"></p>{}{}</form>",
        button("approve", "Authorize"),
        button("deny", "Deny")
    );
    page(StatusCode::OK, "Authorize a device", &body)
}

#[derive(Deserialize)]
struct DeviceForm {
    user_code: String,
    decision: Option<String>,
}

async fn device_form(State(state): State<AppState>, Form(form): Form<DeviceForm>) -> Response {
    let approve = form.decision.as_deref() == Some("approve");
    let status = if approve {
        DeviceStatus::Approved
    } else {
        DeviceStatus::Denied
    };
    let settled = settle_devices(&mut state.store(), Some(form.user_code.trim()), status);
    if settled == 0 {
        return error_page("no pending request has this code; check it or start the login again");
    }
    let verdict = if approve { "approved" } else { "denied" };
    page(
        StatusCode::OK,
        &format!("Device {verdict}"),
        "<p>You can close this tab.</p>",
    )
}

#[derive(Deserialize, Default)]
struct UserCodeBody {
    user_code: Option<String>,
}

async fn device_approve(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: UserCodeBody = body.parse()?;
    let n = settle_devices(
        &mut state.store(),
        body.user_code.as_deref(),
        DeviceStatus::Approved,
    );
    Ok(bare(StatusCode::OK, json!({"approved": n})))
}

async fn device_deny(State(state): State<AppState>, body: JsonBody) -> Result<Response, ApiError> {
    let body: UserCodeBody = body.parse()?;
    let n = settle_devices(
        &mut state.store(),
        body.user_code.as_deref(),
        DeviceStatus::Denied,
    );
    Ok(bare(StatusCode::OK, json!({"denied": n})))
}

// ---------------------------------------------------------------- other switches

#[derive(Deserialize)]
struct ModeBody {
    mode: String,
}

async fn set_consent_mode(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: ModeBody = body.parse()?;
    let mode = match body.mode.as_str() {
        "ask" => ConsentMode::Ask,
        "approve" => ConsentMode::Approve,
        "deny" => ConsentMode::Deny,
        other => {
            return Err(ApiError::bad_request(format!(
                "mode must be ask, approve or deny, got {other:?}"
            )));
        }
    };
    state.store().oauth.consent = mode;
    Ok(bare(StatusCode::OK, json!({"mode": body.mode})))
}

#[derive(Deserialize)]
struct RedirectBody {
    redirect_uri: String,
    client_id: Option<String>,
}

async fn add_redirect_uri(
    State(state): State<AppState>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: RedirectBody = body.parse()?;
    let mut store = state.store();
    let mut added = Vec::new();
    for app in store.oauth.apps.values_mut() {
        let chosen = match &body.client_id {
            Some(id) => *id == app.client_id,
            None => matches!(app.kind, AppKind::Web | AppKind::Pkce),
        };
        if chosen {
            if !app.redirect_uris.contains(&body.redirect_uri) {
                app.redirect_uris.push(body.redirect_uri.clone());
            }
            added.push(app.client_id.clone());
        }
    }
    if added.is_empty() {
        return Err(ApiError::bad_request("no such web or PKCE app"));
    }
    added.sort();
    Ok(bare(
        StatusCode::OK,
        json!({"client_ids": added, "redirect_uri": body.redirect_uri}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    device_interval: Option<u64>,
    device_expires_in: Option<i64>,
    code_ttl: Option<i64>,
    refresh_ttl: Option<i64>,
}

async fn set_settings(State(state): State<AppState>, body: JsonBody) -> Result<Response, ApiError> {
    let body: SettingsBody = body.parse()?;
    let mut store = state.store();
    let s = &mut store.oauth.settings;
    s.device_interval = body.device_interval.unwrap_or(s.device_interval);
    s.device_expires_in = body.device_expires_in.unwrap_or(s.device_expires_in);
    s.code_ttl = body.code_ttl.unwrap_or(s.code_ttl);
    s.refresh_ttl = body.refresh_ttl.unwrap_or(s.refresh_ttl);
    let s = *s;
    Ok(bare(
        StatusCode::OK,
        json!({"device_interval": s.device_interval, "device_expires_in": s.device_expires_in,
               "code_ttl": s.code_ttl, "refresh_ttl": s.refresh_ttl}),
    ))
}

async fn stats(State(state): State<AppState>) -> Response {
    let store = state.store();
    let stats = &store.oauth.stats;
    let requests: HashMap<&String, &u64> = stats.token_requests.iter().collect();
    bare(
        StatusCode::OK,
        json!({"token_requests": requests, "refreshes": stats.refreshes}),
    )
}

#[derive(Deserialize, Default)]
struct RevokeBody {
    client_id: Option<String>,
}

async fn revoke(State(state): State<AppState>, body: JsonBody) -> Result<Response, ApiError> {
    let body: RevokeBody = body.parse()?;
    let mut store = state.store();
    let hit = |client: Option<&String>| match (&body.client_id, client) {
        (Some(wanted), Some(client)) => wanted == client,
        (None, Some(_)) => true,
        _ => false,
    };
    let before = store.tokens.len() + store.oauth.refresh_tokens.len();
    store.tokens.retain(|info| !hit(info.client_id.as_ref()));
    store
        .oauth
        .refresh_tokens
        .retain(|_, r| !hit(Some(&r.client_id)));
    let revoked = before - store.tokens.len() - store.oauth.refresh_tokens.len();
    Ok(bare(StatusCode::OK, json!({"revoked": revoked})))
}

#[derive(Deserialize)]
struct InstallBody {
    client_id: String,
}

async fn install(
    State(state): State<AppState>,
    Path(workspace_id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: InstallBody = body.parse()?;
    let mut store = state.store();
    if !store.workspaces.contains_key(&workspace_id) {
        return Err(ApiError::not_found("workspace_id", &workspace_id));
    }
    if !store.oauth.apps.contains_key(&body.client_id) {
        return Err(ApiError::bad_request(format!(
            "unknown client_id {}",
            body.client_id
        )));
    }
    store
        .oauth
        .installed
        .insert((workspace_id.clone(), body.client_id.clone()));
    Ok(bare(
        StatusCode::OK,
        json!({"workspace_id": workspace_id, "client_id": body.client_id, "installed": true}),
    ))
}

async fn uninstall(
    State(state): State<AppState>,
    Path(workspace_id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: InstallBody = body.parse()?;
    let removed = state
        .store()
        .oauth
        .installed
        .remove(&(workspace_id.clone(), body.client_id.clone()));
    Ok(bare(
        StatusCode::OK,
        json!({"workspace_id": workspace_id, "client_id": body.client_id, "installed": false, "removed": removed}),
    ))
}
