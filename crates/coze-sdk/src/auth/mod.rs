//! OAuth: every way to get a Coze token, and token sources that keep it fresh.
//!
//! # The five ways in
//!
//! | App type | Build | Get the token |
//! | --- | --- | --- |
//! | PAT | [`StaticToken::new`](crate::StaticToken::new) | — |
//! | PKCE | [`OAuthApp::new`] + [`PkceVerifier::generate`] | [`OAuthApp::authorize_url`]`(redirect, state).pkce(verifier.challenge(PkceMethod::S256)).build()` → browser → [`OAuthApp::exchange_code`]`(code, redirect, Some(verifier))` |
//! | Web | [`OAuthApp::web`]`(id, secret)` | `authorize_url(..).build()` → browser → `exchange_code(code, redirect, None)` |
//! | Device | [`OAuthApp::new`] | [`device_login`]`(&app, &http, workspace, show, cancel)` |
//! | JWT | [`JwtApp::new`]`(app_id, key_id, `[`JwtKey::from_pem_file`]`(path)?)` | [`JwtApp::token_request`]`()?.send_token(&http)` |
//!
//! `.workspace(id)` on the authorize URL and `device_code(Some(id))` authorise the token for a
//! team workspace; its owner must also install the app there. [`OAuthConfig::load`] reads
//! the `coze_oauth_config.json` the Coze console hands out and builds either app.
//!
//! # Sans-IO
//!
//! Every step builds an [`OAuthRequest`] (method, URL, bearer credential, JSON body) that
//! tests inspect without a network; [`OAuthRequest::send_token`] and
//! [`OAuthRequest::send_device_code`] send it with a `reqwest::Client` and parse the answer
//! ([`parse_response`]: bare JSON; errors from `error_code` or `error`, as
//! [`Error::OAuth`](crate::Error::OAuth); classify with [`OAuthErrorKind::of`] and
//! [`needs_login`]). [`DevicePoller`] is the device flow's decision step without I/O.
//!
//! # Staying logged in
//!
//! [`RefreshingTokenSource`] implements [`TokenSource`](crate::TokenSource): it refreshes
//! ahead of expiry, once for all concurrent callers, signs a new JWT for JWT apps, and on a
//! 401 drops the refused token so the client retries once. Give it a [`TokenStore`] to
//! persist rotated tokens under a cross-process lock:
//!
//! ```ignore
//! let source = RefreshingTokenSource::builder(Renewal::RefreshToken(app))
//!     .token(token)              // from the login or the credentials file
//!     .store(Arc::new(my_store)) // lock() / load() / save()
//!     .build()?;
//! let client = Client::builder().token_source(source).build()?;
//! ```
//!
//! # Choices where Coze is silent
//!
//! - PKCE defaults to `S256` (Coze's server default is `plain`); generated verifiers are 32
//!   random bytes, base64url (43 characters).
//! - A JWT lives 10 minutes (it is used once, right away); `jti` is 32 random bytes in hex;
//!   the access token asked for lives [`DEFAULT_DURATION_SECONDS`] unless set, clamped to
//!   Coze's 1..=86399.
//! - A token is renewed when less than a tenth of its lifetime is left, at most 30 s and at
//!   least 1 s before expiry (go's SDK uses 30 s for 15-minute tokens).
//! - Device polling honours the server's `interval` (at least 1 s; the official SDKs ignore it
//!   and use 5 s), adds 5 s per `slow_down` without a cap (RFC 8628), gives up locally when
//!   the device code's lifetime is over, and tolerates 3 consecutive transport failures.
//! - A refresh answer without a `refresh_token` keeps the previous one.
//! - `coze_oauth_config.json`: `client_type` `server` (the Java quickstart's name) is read as
//!   `jwt`; `coze_api_base` is required, `coze_www_base` and `redirect_uris` are optional.
//!
//! # API summary (for the CLI)
//!
//! ```text
//! Endpoints::new(api_base) .with_www_base(www) .api_base() .www_base() .authorize(ws) .token(acct) .device_code(ws) .audience()
//! PkceVerifier::generate() / from_string(s); .challenge(PkceMethod) -> PkceChallenge; .expose()
//! OAuthApp::new(client_id) / web(client_id, Secret); .with_base_url(url) .with_endpoints(e)
//!   .authorize_url(redirect, state) -> AuthorizeUrl { .pkce(challenge) .workspace(id) .build() -> String }
//!   .exchange_code(code, redirect, Option<PkceVerifier>) / .refresh(&Secret) / .device_code(Option<ws>) / .poll_device(&DeviceCode) -> OAuthRequest
//! JwtKey::from_pem(&str) / from_pem_file(path) -> Result<JwtKey>
//! JwtApp::new(app_id, key_id, JwtKey) .with_base_url .with_duration_seconds .with_session_name .with_scope .with_account_id
//!   .claims(now) .sign(&claims) .token_request() / token_request_at(now) -> Result<OAuthRequest>
//! OAuthRequest: .url() .bearer() .body() .headers(); async .send_token(&reqwest::Client) -> Result<OAuthToken>, .send_device_code(..) -> Result<DeviceCode>
//! OAuthToken { access_token: Secret, refresh_token: Option<Secret>, expires_at: u64 (Unix s), token_type }
//! DeviceCode { device_code: Secret, user_code, verification_uri, expires_in, interval } .verification_url()
//! device_login(&app, &http, Option<ws>, |code| show(code), cancel_future) -> Result<OAuthToken>; poll_device_token(&app, &http, &code, cancel)
//! OAuthConfig::load(path) / from_json(text) -> Result<OAuthConfig>; .client_type .oauth_app() .jwt_app() .endpoints() .redirect_uris
//! RefreshingTokenSource::builder(Renewal::{RefreshToken(OAuthApp), Jwt(JwtApp)}).token(t).store(Arc<dyn TokenStore>).http_client(c).build()
//!   .current() .refresh().await .refresh_count()
//! trait TokenStore { lock() -> StoreGuard (default none); load() -> Option<OAuthToken>; save(&OAuthToken) }
//! needs_login(&Error) -> bool; OAuthErrorKind::of(&Error); OAuthError::kind()
//! ```

mod app;
mod config;
mod device;
mod endpoints;
mod error;
mod jwt;
mod pkce;
mod refreshing;
mod request;
mod tokens;

pub use app::{AuthorizeUrl, DEVICE_CODE_GRANT, OAuthApp};
pub use config::{ClientType, OAuthConfig};
pub use device::{DevicePoller, PollOutcome, device_login, poll_device_token};
pub use endpoints::{COZE_CN_API_BASE, COZE_COM_API_BASE, Endpoints};
pub use error::{OAuthErrorKind, needs_login};
pub use jwt::{
    DEFAULT_DURATION_SECONDS, JWT_GRANT, JwtApp, JwtClaims, JwtKey, MAX_DURATION_SECONDS,
};
pub use pkce::{PkceChallenge, PkceMethod, PkceVerifier};
pub use refreshing::{
    RefreshingTokenSource, RefreshingTokenSourceBuilder, Renewal, StoreGuard, TokenStore,
};
pub use request::{OAuthMethod, OAuthRequest, parse_response};
pub use tokens::{DeviceCode, OAuthToken};
