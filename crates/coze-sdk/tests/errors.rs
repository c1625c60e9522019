//! Every error users hit, with its hint: bad tokens, unpublished bots, busy conversations,
//! unknown ids, rate limits, proxy pages, in-stream errors.

mod common;

use std::time::Duration;

use common::*;
use coze_emulator::FaultConfig;
use coze_emulator::faults::{ErrorEventFault, HtmlErrorFault, RateLimitFault};
use coze_sdk::{COM_BASE_URL, ChatEvent, ChatRequest, Client, ConversationId, Error, RetryPolicy};

#[tokio::test]
async fn wrong_token_is_4100_with_a_region_hint() {
    let emu = emulator().await;
    let client = Client::builder()
        .base_url(emu.base_url())
        .token("pat_not_a_real_token")
        .build()
        .unwrap();
    let err = client
        .conversations()
        .retrieve(&ConversationId::new("1"))
        .await
        .expect_err("refused");
    assert_eq!(err.code(), Some(4100), "{err}");
    assert_eq!(err.status(), Some(401));
    assert!(err.logid().is_some(), "API errors carry the logid");
    let hint = err.hint().expect("hint");
    assert!(hint.contains(emu.base_url()), "{hint}");
    assert!(!err.to_string().contains("pat_not_a_real_token"));
    assert!(!format!("{err:?}").contains("pat_not_a_real_token"));
}

#[tokio::test]
async fn pasted_token_with_newline_is_trimmed() {
    let emu = emulator().await;
    let client = Client::builder()
        .base_url(format!("{}/", emu.base_url()))
        .token(format!("  {}\n", emu.pat()))
        .build()
        .unwrap();
    let req = ChatRequest::new(&emu.bots().echo, "u1").user_message("hi");
    unwrap_ok(client.chat().stream(req).await);
}

#[tokio::test]
async fn missing_token_is_a_configuration_error() {
    let emu = emulator().await;
    let client = Client::builder().base_url(emu.base_url()).build().unwrap();
    let err = client
        .conversations()
        .retrieve(&ConversationId::new("1"))
        .await
        .expect_err("no token");
    assert!(matches!(err, Error::Config(_)), "{err}");
    assert!(err.to_string().contains("COZE_API_TOKEN"));
}

#[tokio::test]
async fn unpublished_bot_is_4015_with_publish_hint() {
    let emu = emulator().await;
    let client = client(&emu);
    let req = ChatRequest::new(&emu.bots().unpublished, "u1").user_message("hi");
    let err = client.chat().stream(req).await.expect_err("4015");
    assert_eq!(err.code(), Some(4015), "{err}");
    assert!(err.hint().unwrap().contains("publish"), "{:?}", err.hint());
}

#[tokio::test]
async fn unknown_bot_is_4200() {
    let emu = emulator().await;
    let client = client(&emu);
    let req = ChatRequest::new("7000000000000000001", "u1").user_message("hi");
    let err = client.chat().create(req).await.expect_err("4200");
    assert_eq!(err.code(), Some(4200), "{err}");
    assert!(err.hint().unwrap().contains("does not exist"));
}

#[tokio::test]
async fn second_chat_in_a_busy_conversation_is_4016() {
    let emu = emulator().await;
    let client = client(&emu);
    set_faults(
        &emu,
        FaultConfig {
            event_delay_ms: 200,
            ..FaultConfig::default()
        },
    );
    let first = ChatRequest::new(&emu.bots().echo, "u1").user_message("long answer");
    let mut stream = unwrap_ok(client.chat().stream(first).await);
    let conversation = match futures_util::StreamExt::next(&mut stream).await {
        Some(Ok(ChatEvent::ChatCreated(c))) => c.conversation_id,
        other => panic!("{other:?}"),
    };
    let second = ChatRequest::new(&emu.bots().echo, "u1")
        .conversation(conversation)
        .user_message("me too");
    let err = client.chat().stream(second).await.expect_err("busy");
    assert_eq!(err.code(), Some(4016), "{err}");
    assert!(err.hint().unwrap().contains("already running"));
}

#[tokio::test]
async fn html_502_page_becomes_a_clear_error() {
    let emu = emulator().await;
    let client = builder(&emu).retry(RetryPolicy::none()).build().unwrap();
    set_faults(
        &emu,
        FaultConfig {
            html_error: Some(HtmlErrorFault::default()),
            ..FaultConfig::default()
        },
    );
    let err = client
        .conversations()
        .retrieve(&ConversationId::new("1"))
        .await
        .expect_err("502");
    let Error::UnexpectedResponse {
        status, body_start, ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 502);
    assert!(body_start.contains("502"), "{body_start}");
    assert!(err.to_string().starts_with("HTTP 502 from"), "{err}");
    assert!(err.hint().unwrap().contains("proxy"));
    assert!(err.is_retryable());
}

#[tokio::test]
async fn rate_limited_chat_is_not_resent_and_carries_retry_after() {
    let emu = emulator().await;
    let client = client(&emu);
    set_faults(
        &emu,
        FaultConfig {
            rate_limit: Some(RateLimitFault {
                count: 1,
                retry_after: 3,
                path_prefix: Some("/v3/chat".into()),
            }),
            ..FaultConfig::default()
        },
    );
    let req = ChatRequest::new(&emu.bots().echo, "u1").user_message("hi");
    let err = client.chat().stream(req).await.expect_err("429");
    assert_eq!(err.status(), Some(429));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(3)));
    assert!(err.is_retryable());
    assert!(
        err.hint().unwrap().contains("retry after 3 s"),
        "{:?}",
        err.hint()
    );
}

#[tokio::test]
async fn error_event_ends_the_stream_after_the_events_that_arrived() {
    let emu = emulator().await;
    let client = client(&emu);
    set_faults(
        &emu,
        FaultConfig {
            error_event: Some(ErrorEventFault {
                after_events: 3,
                code: 4013,
                msg: "too many requests".into(),
            }),
            ..FaultConfig::default()
        },
    );
    let req = ChatRequest::new(&emu.bots().echo, "u1").user_message("hi");
    let stream = unwrap_ok(client.chat().stream(req).await);
    let logid = stream.logid().map(str::to_owned);
    let (events, err) = collect(stream).await;
    assert_eq!(events.len(), 3);
    let err = err.expect("error item");
    let Error::StreamEvent {
        code,
        msg,
        logid: l,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!((*code, msg.as_str()), (4013, "too many requests"));
    assert_eq!(l, &logid);
}

#[tokio::test]
async fn unreachable_host_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = Client::builder()
        .base_url(format!("http://{addr}"))
        .token("t")
        .retry(RetryPolicy::default().initial_backoff(Duration::from_millis(5)))
        .build()
        .unwrap();
    let err = client
        .conversations()
        .retrieve(&ConversationId::new("1"))
        .await
        .expect_err("refused");
    assert!(matches!(err, Error::Connect { .. }), "{err:?}");
    assert!(err.hint().unwrap().contains(&format!("http://{addr}")));
}

#[test]
fn default_base_url_is_coze_com() {
    let client = Client::builder().build().unwrap();
    assert_eq!(client.base_url(), COM_BASE_URL);
}

#[test]
fn bad_base_url_is_refused() {
    let err = Client::builder()
        .base_url("api.coze.cn")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
}
