//! Broken streams: a cut connection, an oversized event, an idle server.

mod common;

use std::time::Duration;

use common::*;
use coze_emulator::FaultConfig;
use coze_sdk::{ChatEvent, ChatRequest, Error};

#[tokio::test]
async fn cut_stream_yields_what_arrived_then_an_error() {
    let emu = emulator().await;
    let client = client(&emu);
    set_faults(
        &emu,
        FaultConfig {
            cut_after_events: Some(4),
            ..FaultConfig::default()
        },
    );
    let req = ChatRequest::new(&emu.bots().echo, "u1").user_message("hello");
    let (events, err) = collect(unwrap_ok(client.chat().stream(req).await)).await;
    assert_eq!(events.len(), 4, "{events:?}");
    assert!(matches!(events[0], ChatEvent::ChatCreated(_)));
    let err = err.expect("an error after the partial answer");
    assert!(matches!(err, Error::StreamCut { .. }), "{err:?}");
    assert!(err.hint().unwrap().contains("kept"));
}

#[tokio::test]
async fn oversized_event_is_a_clear_error() {
    let emu = emulator().await;
    let client = builder(&emu).max_event_size(64).build().unwrap();
    let req = ChatRequest::new(&emu.bots().echo, "u1").user_message("hello");
    let (events, err) = collect(unwrap_ok(client.chat().stream(req).await)).await;
    assert!(events.is_empty());
    let err = err.expect("too large");
    assert!(matches!(err, Error::EventTooLarge { limit: 64 }), "{err:?}");
    assert!(err.to_string().contains("64-byte limit"));
    assert!(err.hint().unwrap().contains("max_event_size"));
}

#[tokio::test]
async fn silent_stream_hits_the_idle_timeout() {
    let emu = emulator().await;
    let client = builder(&emu)
        .stream_idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    set_faults(
        &emu,
        FaultConfig {
            event_delay_ms: 2_000,
            ..FaultConfig::default()
        },
    );
    let req = ChatRequest::new(&emu.bots().echo, "u1").user_message("hello");
    let err = match client.chat().stream(req).await {
        Err(e) => e,
        Ok(stream) => collect(stream).await.1.expect("idle error"),
    };
    assert!(
        matches!(err, Error::StreamIdle { timeout } if timeout == Duration::from_millis(300)),
        "{err:?}"
    );
}

#[tokio::test]
async fn slow_but_steady_stream_has_no_total_cap() {
    let emu = emulator().await;
    let client = builder(&emu)
        .stream_idle_timeout(Duration::from_millis(400))
        .request_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    set_faults(
        &emu,
        FaultConfig {
            event_delay_ms: 60,
            ..FaultConfig::default()
        },
    );
    let req = ChatRequest::new(&emu.bots().echo, "u1").user_message("a slow answer");
    let started = std::time::Instant::now();
    let (events, err) = collect(unwrap_ok(client.chat().stream(req).await)).await;
    assert!(err.is_none(), "{err:?}");
    assert!(
        started.elapsed() > Duration::from_millis(400),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(events.last(), Some(ChatEvent::Done { .. })));
}
