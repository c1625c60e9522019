//! Retries: what is re-sent, what never is, Retry-After, and re-authentication.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::*;
use coze_emulator::FaultConfig;
use coze_emulator::faults::{HtmlErrorFault, RateLimitFault, ServerErrorFault};
use coze_sdk::{
    BoxFuture, ChatRequest, Client, ConversationId, CreateConversationRequest, Error, RetryPolicy,
    Secret, TokenSource,
};

async fn some_conversation(client: &Client, emu: &coze_emulator::Emulator) -> ConversationId {
    let conv = CreateConversationRequest::new().bot_id(&emu.bots().echo);
    unwrap_ok(client.conversations().create(conv).await).id
}

#[tokio::test]
async fn idempotent_request_waits_for_retry_after_then_succeeds() {
    let emu = emulator().await;
    let client = client(&emu);
    let id = some_conversation(&client, &emu).await;
    set_faults(
        &emu,
        FaultConfig {
            rate_limit: Some(RateLimitFault {
                count: 1,
                retry_after: 1,
                path_prefix: None,
            }),
            ..FaultConfig::default()
        },
    );
    let started = Instant::now();
    let conv = unwrap_ok(client.conversations().retrieve(&id).await);
    assert_eq!(conv.id, id);
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After honoured: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn server_errors_and_proxy_pages_on_reads_are_retried() {
    let emu = emulator().await;
    let client = client(&emu);
    let id = some_conversation(&client, &emu).await;
    set_faults(
        &emu,
        FaultConfig {
            server_error: Some(ServerErrorFault {
                count: 1,
                status: 503,
                path_prefix: None,
            }),
            ..FaultConfig::default()
        },
    );
    unwrap_ok(client.conversations().retrieve(&id).await);
    set_faults(
        &emu,
        FaultConfig {
            html_error: Some(HtmlErrorFault {
                count: 2,
                ..HtmlErrorFault::default()
            }),
            ..FaultConfig::default()
        },
    );
    unwrap_ok(client.conversations().retrieve(&id).await);
}

#[tokio::test]
async fn retries_give_up_after_the_configured_count() {
    let emu = emulator().await;
    let client = builder(&emu)
        .retry(
            RetryPolicy::default()
                .max_retries(1)
                .initial_backoff(Duration::from_millis(5)),
        )
        .build()
        .unwrap();
    let id = some_conversation(&client, &emu).await;
    set_faults(
        &emu,
        FaultConfig {
            server_error: Some(ServerErrorFault {
                count: 2,
                status: 500,
                path_prefix: None,
            }),
            ..FaultConfig::default()
        },
    );
    let err = client
        .conversations()
        .retrieve(&id)
        .await
        .expect_err("2 failures, 1 retry");
    assert_eq!(err.status(), Some(500), "{err}");
    // The fault budget is used up: the next call goes through.
    unwrap_ok(client.conversations().retrieve(&id).await);
}

#[tokio::test]
async fn retries_can_be_switched_off() {
    let emu = emulator().await;
    let client = builder(&emu).retry(RetryPolicy::none()).build().unwrap();
    let id = some_conversation(&client, &emu).await;
    set_faults(
        &emu,
        FaultConfig {
            server_error: Some(ServerErrorFault::default()),
            ..FaultConfig::default()
        },
    );
    let err = client
        .conversations()
        .retrieve(&id)
        .await
        .expect_err("no retry");
    assert_eq!(err.status(), Some(500));
}

#[tokio::test]
async fn creating_posts_are_never_resent() {
    let emu = emulator().await;
    let client = client(&emu);
    let id = some_conversation(&client, &emu).await;
    for path in [
        "/v3/chat",
        "/v1/conversation/message/create",
        "/v1/conversation/create",
    ] {
        set_faults(
            &emu,
            FaultConfig {
                server_error: Some(ServerErrorFault {
                    count: 1,
                    status: 502,
                    path_prefix: Some(path.into()),
                }),
                ..FaultConfig::default()
            },
        );
        let result = match path {
            "/v3/chat" => client
                .chat()
                .create(ChatRequest::new(&emu.bots().echo, "u").user_message("x"))
                .await
                .map(drop),
            "/v1/conversation/message/create" => client
                .messages()
                .create(&id, coze_sdk::EnterMessage::user("x"))
                .await
                .map(drop),
            _ => client
                .conversations()
                .create(CreateConversationRequest::new())
                .await
                .map(drop),
        };
        let err = result.expect_err(path);
        assert_eq!(err.status(), Some(502), "{path}: {err}");
    }
    // Nothing was created twice: the conversation still has no messages from a resend.
    let messages = unwrap_ok(
        client
            .messages()
            .list(&id, Default::default())
            .collect_all()
            .await,
    );
    assert!(messages.is_empty(), "{messages:?}");
}

/// Hands out a wrong token until invalidated, then the right one.
#[derive(Debug)]
struct Rotating {
    good: String,
    invalidated: AtomicU32,
}

impl TokenSource for Rotating {
    fn token(&self) -> BoxFuture<'_, coze_sdk::Result<Secret>> {
        Box::pin(async move {
            Ok(if self.invalidated.load(Ordering::SeqCst) == 0 {
                Secret::new("expired")
            } else {
                Secret::new(self.good.clone())
            })
        })
    }

    fn invalidate(&self, rejected: &Secret) -> bool {
        assert_eq!(rejected.expose(), "expired");
        self.invalidated.fetch_add(1, Ordering::SeqCst);
        true
    }
}

#[tokio::test]
async fn refused_token_is_invalidated_and_the_request_resent_once() {
    let emu = emulator().await;
    let source = Arc::new(Rotating {
        good: emu.pat().to_owned(),
        invalidated: AtomicU32::new(0),
    });
    let client = Client::builder()
        .base_url(emu.base_url())
        .token_source(source.clone())
        .build()
        .unwrap();
    // A creating POST: re-sending after a 401 is safe, the server did nothing.
    let conv = client
        .conversations()
        .create(CreateConversationRequest::new())
        .await;
    assert!(conv.is_ok(), "{conv:?}");
    assert_eq!(source.invalidated.load(Ordering::SeqCst), 1);
}

#[derive(Debug)]
struct AlwaysBad(AtomicU32);

impl TokenSource for AlwaysBad {
    fn token(&self) -> BoxFuture<'_, coze_sdk::Result<Secret>> {
        Box::pin(async { Ok(Secret::new("bad")) })
    }

    fn invalidate(&self, _: &Secret) -> bool {
        self.0.fetch_add(1, Ordering::SeqCst);
        true
    }
}

#[tokio::test]
async fn reauthentication_happens_only_once() {
    let emu = emulator().await;
    let source = Arc::new(AlwaysBad(AtomicU32::new(0)));
    let client = Client::builder()
        .base_url(emu.base_url())
        .token_source(source.clone())
        .build()
        .unwrap();
    let err = client
        .conversations()
        .retrieve(&ConversationId::new("1"))
        .await
        .expect_err("still refused");
    assert!(err.is_auth_rejection(), "{err}");
    assert!(matches!(err, Error::Api(_)));
    assert_eq!(source.0.load(Ordering::SeqCst), 1);
}
