//! Shared setup for the SDK integration tests: an emulator on 127.0.0.1:0 and a client for it.

#![allow(dead_code)]

use std::time::Duration;

use coze_emulator::{Emulator, EmulatorConfig, FaultConfig};
use coze_sdk::{ChatEvent, ChatStream, Client, ClientBuilder, Result, RetryPolicy};
use futures_util::StreamExt;

pub async fn emulator() -> Emulator {
    Emulator::start().await.expect("emulator starts")
}

pub async fn emulator_with(config: EmulatorConfig) -> Emulator {
    Emulator::start_with(config).await.expect("emulator starts")
}

/// A builder for `emu` with fast retries, so retry tests do not sleep long.
pub fn builder(emu: &Emulator) -> ClientBuilder {
    Client::builder()
        .base_url(emu.base_url())
        .token(emu.pat())
        .retry(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(20))
                .jitter(false),
        )
}

pub fn client(emu: &Emulator) -> Client {
    builder(emu).build().expect("client builds")
}

pub fn set_faults(emu: &Emulator, faults: FaultConfig) {
    emu.faults().set(faults);
}

/// All items of a chat stream, stopping after the first error.
pub async fn collect(mut stream: ChatStream) -> (Vec<ChatEvent>, Option<coze_sdk::Error>) {
    let mut events = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(ev) => events.push(ev),
            Err(e) => {
                assert!(stream.next().await.is_none(), "nothing after an error");
                return (events, Some(e));
            }
        }
    }
    (events, None)
}

/// The answer text assembled from `conversation.message.delta` events of type answer.
pub fn deltas(events: &[ChatEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ChatEvent::MessageDelta(m) if m.kind == coze_sdk::MessageType::Answer => {
                Some(m.content.as_str())
            }
            _ => None,
        })
        .collect()
}

pub fn unwrap_ok<T>(r: Result<T>) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("unexpected error: {e} (hint: {:?})", e.hint()),
    }
}
