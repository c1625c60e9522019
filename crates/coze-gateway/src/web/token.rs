//! `POST /api/sdk-token`: a short-lived Coze access token for Coze's own Web SDK
//! (`WebChatClient`, `@coze/api`), minted per visitor through a JWT service app.
//!
//! `session_name` = the visitor id, so each visitor sees only their own conversations; the
//! token's scope is limited to the `[web] bots`; its lifetime is `[web.sdk_token]
//! duration_seconds`. Answer: `{"access_token", "expires_in" (seconds from now),
//! "expires_at" (Unix seconds), "token_type": "Bearer", "bot_ids", "user_id"}`.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use coze_sdk::auth::{JwtApp, JwtKey, OAuthConfig};
use serde_json::{Value, json};

use super::config::SdkTokenConfig;
use super::error::{Lang, WebError};
use super::{Peer, WebState, client_ip, session};
use crate::config::UpstreamAuth;
use crate::state::GatewayState;

/// The JWT app of `[web.sdk_token]`: its own settings, else `[upstream]`'s JWT app.
///
/// # Errors
///
/// A one-line message naming the setting to fix.
pub fn jwt_app(t: &SdkTokenConfig, state: &GatewayState) -> Result<JwtApp, String> {
    let upstream = state.config().upstream.as_ref();
    let base = upstream
        .map(|u| u.base_url())
        .transpose()
        .map_err(|e| e.to_string())?;
    let with_base = |app: JwtApp| match &base {
        Some(b) => app.with_base_url(b),
        None => app,
    };
    if let Some(path) = &t.oauth_config {
        return OAuthConfig::load(path)
            .and_then(|c| c.jwt_app())
            .map(with_base)
            .map_err(|e| format!("[web.sdk_token] oauth_config {}: {e}", path.display()));
    }
    match (&t.app_id, &t.key_id, &t.private_key) {
        (Some(app_id), Some(key_id), Some(path)) => {
            let key = JwtKey::from_pem_file(path)
                .map_err(|e| format!("[web.sdk_token] private_key {}: {e}", path.display()))?;
            return Ok(with_base(JwtApp::new(app_id, key_id, key)));
        }
        (None, None, None) => {}
        _ => {
            return Err(
                "[web.sdk_token] needs all of app_id, key_id and private_key (or oauth_config), or none to use [upstream]'s JWT app"
                    .into(),
            );
        }
    }
    match upstream.map(|u| u.auth()) {
        Some(Ok(UpstreamAuth::Jwt(app))) => Ok(*app),
        Some(Err(e)) => Err(e.to_string()),
        _ => Err(
            "[web.sdk_token] mints tokens with a JWT service app: set [upstream] auth = \"jwt\", or give [web.sdk_token] its own app_id, key_id and private_key"
                .into(),
        ),
    }
}

/// The token scope: chat with the configured bots only.
pub fn scope(bots: &[String]) -> Value {
    json!({
        "account_permission": {"permission_list": ["Connector.botChat"]},
        "attribute_constraint": {"connector_bot_chat_attribute": {"bot_id_list": bots}},
    })
}

/// `POST /api/sdk-token`.
pub async fn sdk_token(
    State(state): State<WebState>,
    headers: HeaderMap,
    Peer(peer): Peer,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let (Some(config), Some(app)) = (&state.settings().sdk_token, &state.inner.jwt) else {
        return Err(WebError::new(
            StatusCode::NOT_FOUND,
            "not_enabled",
            "tokens for the Web SDK are not enabled on this gateway: add [web.sdk_token] to its configuration",
        ));
    };
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let visitor = match (bearer, &config.login_secret) {
        (Some(jwt), Some(secret)) => session::login_visitor(jwt, secret.expose().as_bytes())
            .map_err(|reason| WebError::new(StatusCode::UNAUTHORIZED, "login_invalid", reason))?,
        (Some(_), None) => {
            return Err(WebError::new(
                StatusCode::UNAUTHORIZED,
                "login_not_enabled",
                "this gateway takes no login tokens: set [web.sdk_token] login_secret, or call without Authorization to use the session cookie",
            ));
        }
        (None, _) => state.existing_visitor(&headers).await?.ok_or_else(|| {
            WebError::new(
                StatusCode::UNAUTHORIZED,
                "no_session",
                lang.pick(
                    "No session: open the chat page (or sign in) first, then ask for a token."
                        .into(),
                    "没有会话：请先打开聊天页面（或登录），再获取令牌。".into(),
                ),
            )
        })?,
    };
    let ip = client_ip(&headers, peer, state.settings().trust_forwarded);
    state
        .limit(&format!("web:rl:tok:{visitor}"), config.per_minute, lang)
        .await?;
    state
        .limit(
            &format!("web:rl:tokip:{ip}"),
            config.per_minute.saturating_mul(10),
            lang,
        )
        .await?;
    let bots = &state.settings().bots;
    let request = app
        .clone()
        .with_session_name(visitor.clone())
        .with_scope(scope(bots))
        .with_duration_seconds(config.duration_seconds)
        .token_request()
        .map_err(|e| WebError::from_coze(lang, "sdk token", &e))?;
    let token = request
        .send_token(&state.inner.http)
        .await
        .map_err(|e| WebError::from_coze(lang, "sdk token", &e))?;
    let now = super::api::now();
    Ok(super::with_cookie(
        &session::Visitor {
            id: visitor.clone(),
            set_cookie: None,
        },
        Json(json!({
            "access_token": token.access_token.expose(),
            "expires_in": token.expires_at.saturating_sub(now),
            "expires_at": token.expires_at,
            "token_type": "Bearer",
            "bot_ids": bots,
            "user_id": visitor,
        })),
    ))
}
