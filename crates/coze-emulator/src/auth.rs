//! Bearer-token check against the token registry.
//!
//! Handlers that need a token take an [`Authed`] argument; a missing, unknown or expired
//! token is answered with HTTP 401 `{code:4100, msg:"authentication is invalid"}` before the
//! handler runs. Endpoints that take other credentials (the OAuth token endpoint) simply do
//! not use the extractor.

use axum::extract::FromRequestParts;
use axum::http::{HeaderMap, header, request::Parts};

use serde_json::Value;

use crate::envelope::ApiError;
use crate::state::{AppState, ConversationRecord, TokenInfo};

/// The caller's token, checked. Holds what the registry knows, not the token itself.
#[derive(Debug, Clone)]
pub struct Authed(pub TokenInfo);

impl Authed {
    /// The user the token acts for.
    pub fn user_id(&self) -> &str {
        &self.0.user_id
    }

    /// The JWT `session_name` the token was issued with, if any.
    pub fn session_name(&self) -> Option<&str> {
        self.0.session_name.as_deref()
    }

    /// True when the token may see `conversation`: a token issued with a `session_name` sees
    /// only the conversations made under that session name; other tokens see all of the
    /// user's. Callers answer 4200 otherwise, so another session's ids are not confirmed.
    pub fn sees(&self, conversation: &ConversationRecord) -> bool {
        self.session_name()
            .is_none_or(|s| conversation.session_name.as_deref() == Some(s))
    }

    /// The bot ids of the token's scope (`attribute_constraint.connector_bot_chat_attribute.
    /// bot_id_list`), or `None` when the token is not limited to some bots.
    pub fn scoped_bots(&self) -> Option<Vec<&str>> {
        let list = self
            .0
            .scope
            .as_ref()?
            .pointer("/attribute_constraint/connector_bot_chat_attribute/bot_id_list")?
            .as_array()?;
        Some(list.iter().filter_map(Value::as_str).collect())
    }

    /// 4101 when the token's scope leaves `bot_id` out.
    ///
    /// # Errors
    /// [`ApiError::forbidden`] naming the bot.
    pub fn check_bot_scope(&self, bot_id: &str) -> Result<(), ApiError> {
        match self.scoped_bots() {
            Some(bots) if !bots.contains(&bot_id) => Err(ApiError::forbidden(format!(
                "this token's scope does not include bot {bot_id}; request a token whose scope lists it"
            ))),
            _ => Ok(()),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header (scheme case-insensitive,
/// surrounding spaces ignored); `None` if absent or of another scheme.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Looks the request's bearer token up; 4100 if missing, unknown or expired.
///
/// # Errors
/// [`ApiError::unauthorized`] (HTTP 401, code 4100).
pub fn check(state: &AppState, headers: &HeaderMap) -> Result<TokenInfo, ApiError> {
    let token = bearer(headers).ok_or_else(ApiError::unauthorized)?;
    let now = state.now();
    let store = state.store();
    match store.tokens.get(token) {
        Some(info) if !info.is_expired(now) => Ok(info.clone()),
        _ => Err(ApiError::unauthorized()),
    }
}

impl FromRequestParts<AppState> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        check(state, &parts.headers).map(Authed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(value).expect("ascii test value"),
        );
        h
    }

    fn authed(scope: Option<Value>, session_name: Option<&str>) -> Authed {
        Authed(TokenInfo {
            kind: crate::state::TokenKind::OAuthService,
            user_id: "u".into(),
            expires_at: None,
            workspace_id: None,
            client_id: Some("app".into()),
            scope,
            session_name: session_name.map(str::to_string),
        })
    }

    #[test]
    fn a_scope_with_a_bot_list_refuses_other_bots() {
        let scope = serde_json::json!({
            "account_permission": {"permission_list": ["Connector.botChat"]},
            "attribute_constraint": {"connector_bot_chat_attribute": {"bot_id_list": ["b1", "b2"]}}
        });
        let scoped = authed(Some(scope), None);
        assert!(scoped.check_bot_scope("b2").is_ok());
        let refused = scoped
            .check_bot_scope("b3")
            .expect_err("b3 is out of scope");
        assert_eq!(refused.body()["code"], 4101);
        assert!(authed(None, None).check_bot_scope("b3").is_ok());
        // A scope without a bot list limits no bot.
        let permissions = serde_json::json!({"account_permission": {"permission_list": []}});
        assert!(
            authed(Some(permissions), None)
                .check_bot_scope("b3")
                .is_ok()
        );
    }

    #[test]
    fn parses_bearer_leniently() {
        assert_eq!(bearer(&headers("Bearer pat_x")), Some("pat_x"));
        assert_eq!(bearer(&headers("bearer  pat_x ")), Some("pat_x"));
        assert_eq!(bearer(&headers("Basic abc")), None);
        assert_eq!(bearer(&headers("Bearer ")), None);
        assert_eq!(bearer(&HeaderMap::new()), None);
    }
}
