//! The web chat page: your bot on your own web site, and tokens for Coze's own Web SDK.
//!
//! Enabled by `[web]` in `gateway.toml` (always on in `coze serve --emulator`). The page is
//! served at the gateway's root; its HTML, JavaScript and CSS are embedded in the binary
//! (hand-written, no build step, no CDN). The page talks only to the gateway:
//!
//! | Route | What |
//! | --- | --- |
//! | `GET /` | the page (`?c=<conversation id>` opens one) |
//! | `GET /assets/*`, `GET /embed.js` | its files; `embed.js` is the one-line embed for other sites |
//! | `GET /api/session` | the bots (name, opening message, suggested questions) and limits |
//! | `GET/POST /api/conversations`, `PATCH/DELETE /api/conversations/{id}` | the visitor's list |
//! | `GET /api/conversations/{id}/messages` | a conversation's questions and answers |
//! | `POST /api/chat` | send a message; the answer streams back as SSE (`chat`, `reasoning`, `delta`, `answer`, `follow_up`, `tool`, `title`, `error`, `done`) |
//! | `POST /api/chat/cancel` | Stop: cancels the Coze chat |
//! | `POST /api/files` | upload an image or file (multipart field `file`) |
//! | `POST /api/sdk-token` | a short-lived Coze token for Coze's Web SDK (`[web.sdk_token]`) |
//!
//! # Visitors
//!
//! A visitor is identified by a signed, HttpOnly, SameSite=Lax cookie (Secure over https;
//! `SameSite=None; Partitioned` when the page may be embedded, so it works in an iframe). The
//! visitor id (`v_...`) is the Coze `user_id` of their chats. A cookie that is tampered with
//! or expired is ignored and the visitor starts fresh. Each visitor's conversation list lives
//! in the gateway's store (so every instance and tab sees the same list); a conversation id
//! that is not in the visitor's list is answered with 404, whoever owns it. The Coze token
//! never leaves the gateway.
//!
//! # Limits
//!
//! Messages per visitor and per IP per minute, the longest message, the largest upload and
//! the accepted file types are set in `[web]`. The counters are in the store, so they hold
//! across instances. The visitor sees a message in their language (`Accept-Language`); the
//! log has the Coze code and logid of every failed call.
//!
//! # Tool calls
//!
//! A visitor cannot run the operator's local plugins. When a bot asks for a tool
//! (`requires_action`), the gateway POSTs `{"name", "arguments", "conversation_id",
//! "user_id"}` to the URL configured for that tool in `[web.tools.<name>]` (with its `token`
//! as a bearer, if set) and submits the answer's body as the tool output. A tool with no
//! handler, a handler that fails or times out gets this output, so the bot can tell the
//! visitor:
//!
//! ```json
//! {"error": "tool_unavailable", "message": "the tool <name> is not available on this site"}
//! ```
//!
//! (`"error": "tool_failed"` when the handler failed.) No URL ever comes from the visitor.
//!
//! # Embedding
//!
//! List the sites in `allowed_origins`; then either
//! `<script src="https://chat.example.com/embed.js" async></script>` (a chat button at the
//! bottom right) or `<iframe src="https://chat.example.com/?embed=1">`. The CSP's
//! `frame-ancestors` is built from the same list, and API requests whose `Origin` is not the
//! gateway's own or listed are refused (403).
//!
//! # Tokens for Coze's Web SDK
//!
//! `POST /api/sdk-token` mints a Coze access token through a JWT service app: `session_name`
//! = the visitor id (each visitor sees only their own conversations), a scope limited to the
//! configured bots, `duration_seconds` from the config. The visitor is the session cookie's
//! (no cookie: 401), or the operator's own user when the request carries
//! `Authorization: Bearer <HS256 JWT>` signed with `login_secret` (claims `sub`, `exp`).

mod api;
mod assets;
mod chat;
mod config;
mod error;
mod security;
pub mod session;
mod token;

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, patch, post};
use cookie::Key;
use tokio::sync::OnceCell;

pub use config::{DEFAULT_FILE_TYPES, SdkTokenConfig, ToolHandler, WebConfig, WebSettings};
use error::{Lang, WebError};
use session::{CookieMode, Visitor};

use crate::state::GatewayState;
use crate::store::StoreHandle;

/// The web service's state (cheap to clone).
#[derive(Clone)]
pub struct WebState {
    inner: Arc<Inner>,
}

struct Inner {
    settings: WebSettings,
    store: StoreHandle,
    coze: coze_sdk::Client,
    jwt: Option<coze_sdk::auth::JwtApp>,
    key: OnceCell<Key>,
    http: reqwest::Client,
    bots: Mutex<Option<(Instant, Arc<Vec<api::BotInfo>>)>>,
}

impl std::fmt::Debug for WebState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebState")
            .field("bots", &self.inner.settings.bots)
            .finish_non_exhaustive()
    }
}

impl WebState {
    /// The web state for a gateway whose configuration has `[web]`.
    ///
    /// # Errors
    ///
    /// `[web]` is missing or invalid, no Coze client, an unreadable JWT app for the token
    /// endpoint.
    pub fn new(state: &GatewayState) -> Result<WebState, String> {
        let config = state
            .config()
            .web
            .as_ref()
            .ok_or("the configuration has no [web] section")?;
        let settings = config.settings()?;
        let coze = state
            .coze()
            .cloned()
            .ok_or("[web] calls Coze: add an [upstream] section")?;
        let jwt = match &config.sdk_token {
            None => None,
            Some(t) => Some(token::jwt_app(t, state)?),
        };
        Ok(Self::from_parts(settings, state.store().clone(), coze, jwt))
    }

    /// A state from its parts (tests).
    pub fn from_parts(
        settings: WebSettings,
        store: StoreHandle,
        coze: coze_sdk::Client,
        jwt: Option<coze_sdk::auth::JwtApp>,
    ) -> WebState {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        WebState {
            inner: Arc::new(Inner {
                settings,
                store,
                coze,
                jwt,
                key: OnceCell::new(),
                http,
                bots: Mutex::new(None),
            }),
        }
    }

    pub(crate) fn settings(&self) -> &WebSettings {
        &self.inner.settings
    }

    pub(crate) fn store(&self) -> &StoreHandle {
        &self.inner.store
    }

    pub(crate) fn coze(&self) -> &coze_sdk::Client {
        &self.inner.coze
    }

    /// The cookie key: configured, or made once and shared through the store.
    async fn key(&self) -> Result<&Key, WebError> {
        self.inner
            .key
            .get_or_try_init(|| async {
                if let Some(secret) = &self.inner.settings.session_secret {
                    return Ok(session::key_from_secret(secret.expose().as_bytes()));
                }
                let store = self.inner.store.raw();
                let fresh: String = (0..4)
                    .map(|_| format!("{:032x}", rand::random::<u128>()))
                    .collect();
                let read = async {
                    store.set_if_absent("web:session_key", &fresh, None).await?;
                    store.get("web:session_key").await
                };
                match read.await {
                    Ok(Some(secret)) => Ok(session::key_from_secret(secret.as_bytes())),
                    Ok(None) => Err(WebError::unavailable(Lang::En)),
                    Err(e) => {
                        tracing::error!(target: "coze_gateway::web", error = %e, "cannot read the session key from the store");
                        Err(WebError::unavailable(Lang::En))
                    }
                }
            })
            .await
    }

    fn cookie_mode(&self, headers: &HeaderMap) -> CookieMode {
        let settings = self.settings();
        CookieMode {
            secure: security::is_https(headers, None, settings.trust_forwarded),
            embeddable: !settings.allowed_origins.is_empty(),
        }
    }

    /// The request's visitor (a new one, with a cookie to set, when the cookie is absent,
    /// tampered with or expired).
    async fn visitor(&self, headers: &HeaderMap) -> Result<Visitor, WebError> {
        let key = self.key().await?;
        let cookies = cookie_headers(headers);
        Ok(session::visitor(
            key,
            &cookies,
            self.settings().session_ttl,
            self.cookie_mode(headers),
        ))
    }

    /// The visitor of a valid existing cookie only.
    async fn existing_visitor(&self, headers: &HeaderMap) -> Result<Option<String>, WebError> {
        let key = self.key().await?;
        let cookies = cookie_headers(headers);
        Ok(session::existing(key, &cookies, self.settings().session_ttl).map(|(id, _)| id))
    }

    /// Counts one event in the fixed one-minute window `key`; 429 above `per_minute`.
    async fn limit(&self, key: &str, per_minute: u64, lang: Lang) -> Result<(), WebError> {
        match self.store().raw().incr(key, Duration::from_secs(60)).await {
            Ok(w) if w.count > per_minute => Err(WebError::rate_limited(
                lang,
                w.resets_in.as_secs().saturating_add(1),
            )),
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::error!(target: "coze_gateway::web", error = %e, "rate limit counter failed");
                Err(WebError::unavailable(lang))
            }
        }
    }
}

fn cookie_headers(headers: &HeaderMap) -> Vec<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect()
}

/// The connection's peer address, when the server was started with connect info
/// (`coze_gateway::serve` does); `None` in tests that call the router directly.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub Option<SocketAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

/// The client's IP: the connection's peer, or the last `X-Forwarded-For` hop when
/// `trust_forwarded` (the address your proxy saw).
pub(crate) fn client_ip(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trust_forwarded: bool,
) -> String {
    if trust_forwarded
        && let Some(ip) = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.rsplit(',').next())
            .and_then(|v| v.trim().parse::<IpAddr>().ok())
    {
        return ip.to_string();
    }
    peer.map_or_else(|| "unknown".to_owned(), |p| p.ip().to_string())
}

/// A response with the visitor's cookie set, if there is one to set.
pub(crate) fn with_cookie(
    visitor: &Visitor,
    response: impl IntoResponse,
) -> axum::response::Response {
    let mut response = response.into_response();
    if let Some(cookie) = &visitor.set_cookie
        && let Ok(value) = header::HeaderValue::from_str(cookie)
    {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The web chat routes, for a gateway whose configuration has `[web]`.
pub fn router(state: GatewayState) -> Router {
    match WebState::new(&state) {
        Ok(web) => routes(web),
        Err(message) => {
            tracing::error!(target: "coze_gateway::web", "the web chat is off: {message}");
            Router::new().route(
                "/",
                get(move || async move {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        format!("the web chat is not configured: {message}\n"),
                    )
                }),
            )
        }
    }
}

/// The routes of a prepared [`WebState`].
pub fn routes(state: WebState) -> Router {
    let upload_limit = usize::try_from(state.settings().max_file_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(64 * 1024);
    Router::new()
        .route("/", get(assets::index))
        .route("/index.html", get(assets::index))
        .route("/embed.js", get(assets::embed))
        .route("/assets/{file}", get(assets::asset))
        .route("/api/session", get(api::session))
        .route(
            "/api/conversations",
            get(api::list_conversations).post(api::create_conversation),
        )
        .route(
            "/api/conversations/{id}",
            patch(api::rename_conversation).delete(api::delete_conversation),
        )
        .route("/api/conversations/{id}/messages", get(api::messages))
        .route("/api/chat", post(chat::chat))
        .route("/api/chat/cancel", post(chat::cancel))
        .route(
            "/api/files",
            post(api::upload).layer(DefaultBodyLimit::max(upload_limit)),
        )
        .route("/api/sdk-token", post(token::sdk_token))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::layer,
        ))
        .with_state(state)
}
