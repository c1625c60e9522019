//! The refreshing token source against the emulator: ahead-of-expiry refresh, 401 retry,
//! single flight, JWT re-signing, and the persistence hook shared by two "processes".

mod auth_common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auth_common::{Env, REDIRECT, browse, param};
use coze_sdk::auth::{
    JwtApp, JwtKey, OAuthApp, OAuthErrorKind, OAuthToken, PkceMethod, PkceVerifier,
    RefreshingTokenSource, Renewal, StoreGuard, TokenStore, needs_login,
};
use coze_sdk::{BoxFuture, Client, TokenSource};
use serde_json::json;

async fn login(env: &Env) -> (OAuthApp, OAuthToken) {
    env.consent("approve").await;
    let app = OAuthApp::new(env.s("pkce_client_id")).with_base_url(env.base());
    let verifier = PkceVerifier::generate();
    let url = app
        .authorize_url(REDIRECT, "s")
        .pkce(verifier.challenge(PkceMethod::S256))
        .build();
    let pairs = browse(&url).await.expect("code");
    let code = param(&pairs, "code").expect("code");
    let token = app
        .exchange_code(code, REDIRECT, Some(verifier))
        .send_token(&env.http)
        .await;
    (app, token.expect("token"))
}

fn client(env: &Env, source: &RefreshingTokenSource) -> Client {
    Client::builder()
        .base_url(env.base())
        .token_source(Arc::new(source.clone()))
        .build()
        .expect("client")
}

async fn refreshes(env: &Env) -> u64 {
    env.stats().await["refreshes"]
        .as_u64()
        .expect("refresh count")
}

/// A token whose local expiry has passed, so the next `token()` must renew it.
fn stale(token: &OAuthToken) -> OAuthToken {
    OAuthToken::new(token.access_token.clone(), token.refresh_token.clone(), 1)
}

#[tokio::test]
async fn refreshes_ahead_of_expiry_mid_session() {
    // 4 s: fresh for at least 2 s whatever the second boundaries (margin 1 s).
    let env = Env::with_ttl(Duration::from_secs(4)).await;
    let (app, token) = login(&env).await;
    let source = RefreshingTokenSource::builder(Renewal::RefreshToken(app))
        .token(token.clone())
        .build()
        .expect("source");
    let client = client(&env, &source);
    client.users().me().await.expect("first call");
    assert_eq!(refreshes(&env).await, 0);
    tokio::time::sleep(Duration::from_millis(4200)).await;
    // The first token is dead on the server now; the source renewed before using it.
    client.users().me().await.expect("call after expiry");
    assert_eq!(refreshes(&env).await, 1);
    let current = source.current().expect("current token");
    assert_ne!(current.access_token, token.access_token);
    assert_ne!(current.refresh_token, token.refresh_token);
}

#[tokio::test]
async fn a_401_invalidates_and_retries_once() {
    let env = Env::start().await;
    let (app, token) = login(&env).await;
    let source = RefreshingTokenSource::builder(Renewal::RefreshToken(app))
        .token(token)
        .build()
        .expect("source");
    let client = client(&env, &source);
    client.users().me().await.expect("first call");
    // The server's clock jumps past the token's expiry; the client still thinks it is fresh.
    env.switch("/_emulator/clock", json!({"advance_seconds": 1000}))
        .await;
    client.users().me().await.expect("401, refresh, retry");
    assert_eq!(refreshes(&env).await, 1);
    assert_eq!(source.refresh_count(), 1);
}

#[tokio::test]
async fn concurrent_callers_share_one_refresh() {
    let env = Env::start().await;
    let (app, token) = login(&env).await;
    let source = RefreshingTokenSource::builder(Renewal::RefreshToken(app))
        .token(stale(&token))
        .build()
        .expect("source");
    let client = client(&env, &source);
    let calls = (0..16).map(|_| {
        let client = client.clone();
        tokio::spawn(async move { client.users().me().await })
    });
    for call in futures_util::future::join_all(calls).await {
        call.expect("task").expect("me");
    }
    assert_eq!(refreshes(&env).await, 1, "exactly one refresh request");
    assert_eq!(source.refresh_count(), 1);
}

#[tokio::test]
async fn jwt_source_signs_a_new_jwt_when_the_token_runs_out() {
    let env = Env::start().await;
    let key = JwtKey::from_pem_file(env.s("jwt_private_key_path")).expect("key");
    let app = JwtApp::new(env.s("jwt_app_id"), env.s("jwt_key_id"), key)
        .with_base_url(env.base())
        .with_duration_seconds(4);
    let source = RefreshingTokenSource::builder(Renewal::Jwt(app))
        .build()
        .expect("source");
    let client = client(&env, &source);
    client.users().me().await.expect("first token");
    client.users().me().await.expect("same token");
    assert_eq!(source.refresh_count(), 1);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    client.users().me().await.expect("renewed token");
    assert_eq!(source.refresh_count(), 2);
    let stats = env.stats().await;
    assert_eq!(
        stats["token_requests"]["urn:ietf:params:oauth:grant-type:jwt-bearer"],
        2
    );
}

#[tokio::test]
async fn revoked_refresh_token_asks_for_a_new_login() {
    let env = Env::start().await;
    let (app, token) = login(&env).await;
    env.switch("/_emulator/oauth/revoke", json!({})).await;
    let source = RefreshingTokenSource::builder(Renewal::RefreshToken(app))
        .token(token)
        .build()
        .expect("source");
    let err = source.refresh().await.expect_err("revoked");
    assert_eq!(OAuthErrorKind::of(&err), Some(OAuthErrorKind::InvalidGrant));
    assert!(needs_login(&err));
}

/// What a credentials file does, in memory: one lock, one stored token.
#[derive(Debug, Default)]
struct SharedStore {
    lock: Arc<tokio::sync::Mutex<()>>,
    token: Mutex<Option<OAuthToken>>,
    saves: AtomicUsize,
}

impl TokenStore for SharedStore {
    fn lock(&self) -> BoxFuture<'_, coze_sdk::Result<StoreGuard>> {
        let lock = self.lock.clone();
        Box::pin(async move { Ok(StoreGuard::new(lock.lock_owned().await)) })
    }

    fn load(&self) -> BoxFuture<'_, coze_sdk::Result<Option<OAuthToken>>> {
        let token = self.token.lock().expect("store lock").clone();
        Box::pin(async move { Ok(token) })
    }

    fn save<'a>(&'a self, token: &'a OAuthToken) -> BoxFuture<'a, coze_sdk::Result<()>> {
        *self.token.lock().expect("store lock") = Some(token.clone());
        self.saves.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn two_processes_sharing_a_store_refresh_once_and_keep_the_newest_token() {
    let env = Env::start().await;
    let (app, token) = login(&env).await;
    let store = Arc::new(SharedStore::default());
    *store.token.lock().expect("store lock") = Some(stale(&token));
    // Two sources = two processes that both read the stale token at start.
    let sources: Vec<RefreshingTokenSource> = (0..2)
        .map(|_| {
            RefreshingTokenSource::builder(Renewal::RefreshToken(app.clone()))
                .token(stale(&token))
                .store(store.clone())
                .build()
                .expect("source")
        })
        .collect();
    let calls = (0..8).map(|i| {
        let source = sources[i % 2].clone();
        tokio::spawn(async move { source.token().await })
    });
    let tokens: Vec<_> = futures_util::future::join_all(calls)
        .await
        .into_iter()
        .map(|r| r.expect("task").expect("token"))
        .collect();
    assert_eq!(
        refreshes(&env).await,
        1,
        "one refresh across both processes"
    );
    assert_eq!(store.saves.load(Ordering::SeqCst), 1);
    let stored = store
        .token
        .lock()
        .expect("store lock")
        .clone()
        .expect("stored token");
    assert!(tokens.iter().all(|t| *t == stored.access_token));
    // The stored refresh token is the live one; the original was rotated away.
    let old = token.refresh_token.clone().expect("refresh token");
    let err = app
        .refresh(&old)
        .send_token(&env.http)
        .await
        .expect_err("rotated");
    assert_eq!(OAuthErrorKind::of(&err), Some(OAuthErrorKind::InvalidGrant));
    let newest = stored.refresh_token.clone().expect("newest refresh token");
    app.refresh(&newest)
        .send_token(&env.http)
        .await
        .expect("newest works");
}

/// A store whose disk is full.
#[derive(Debug)]
struct FailingStore;

impl TokenStore for FailingStore {
    fn load(&self) -> BoxFuture<'_, coze_sdk::Result<Option<OAuthToken>>> {
        Box::pin(async { Ok(None) })
    }

    fn save<'a>(&'a self, _token: &'a OAuthToken) -> BoxFuture<'a, coze_sdk::Result<()>> {
        Box::pin(async {
            Err(coze_sdk::Error::Config(
                "credentials file: disk full".into(),
            ))
        })
    }
}

#[tokio::test]
async fn a_failed_save_is_reported_and_the_new_token_kept_in_memory() {
    let env = Env::start().await;
    let (app, token) = login(&env).await;
    let source = RefreshingTokenSource::builder(Renewal::RefreshToken(app))
        .token(stale(&token))
        .store(Arc::new(FailingStore))
        .build()
        .expect("source");
    let err = source.token().await.expect_err("save failed");
    assert!(err.to_string().contains("disk full"), "{err}");
    let fresh = source.token().await.expect("kept in memory");
    assert_ne!(fresh, token.access_token);
    assert_eq!(refreshes(&env).await, 1, "no second refresh");
    env.client_with(fresh.expose())
        .users()
        .me()
        .await
        .expect("the new token works");
}
