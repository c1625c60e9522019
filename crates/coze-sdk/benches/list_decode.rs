//! Decoding a 20-message list response, before and after the single decode.
//!
//! - `before/*`: what the SDK did until the response classifier: the body parsed into a
//!   `serde_json::Value`, the head checked on it, the payload taken out and decoded from the
//!   `Value` into the typed list (two passes, and a tree of allocations in between).
//! - `after/*`: the classifier the SDK uses now (`coze_sdk::bench_classify`, the same code as
//!   every request): a lenient head and the payload decoded once, straight from the bytes.
//!
//! Two shapes: `message_list` is `POST /v1/conversation/message/list` (the whole body is the
//! payload: `{code, msg, data: [...], first_id, last_id, has_more}`), `chat_messages` is
//! `GET /v3/chat/message/list` (the standard envelope: `{code, msg, data: [...]}`).
//!
//! Run: `cargo bench -p coze-sdk --bench list_decode`. Figures and the date are in
//! `docs/benchmarks.md`.

use std::hint::black_box;

use coze_sdk::{Message, MessageList, bench_classify};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::Value;

const MESSAGES: usize = 20;

fn message(i: usize) -> String {
    let content = "A sentence of a typical answer, long enough to matter. ".repeat(3);
    format!(
        r#"{{"id":"74378653927845{i:05}","conversation_id":"7437865324962611210","bot_id":"7437864979573637138","chat_id":"7437865392784474118","section_id":"7437865324962611210","role":"assistant","type":"answer","content":"{content}{i}","content_type":"text","meta_data":{{"k":"v"}},"created_at":1731571217,"updated_at":"1731571230","reasoning_content":""}}"#
    )
}

fn messages() -> String {
    (0..MESSAGES).map(message).collect::<Vec<_>>().join(",")
}

/// The old path: bytes -> Value -> head checks -> payload -> T.
fn before<T: serde::de::DeserializeOwned>(bytes: &[u8], field: Option<&str>) -> Option<T> {
    let body: Value = serde_json::from_slice(bytes).ok()?;
    let obj = body.as_object()?;
    let code = obj.get("code").and_then(|c| match c {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    if code.is_some_and(|c| c != 0) {
        return None;
    }
    for key in ["error_code", "error", "error_message"] {
        if obj
            .get(key)
            .and_then(Value::as_str)
            .is_some_and(|s| !s.is_empty())
        {
            return None;
        }
    }
    let payload = match (field, body) {
        (Some(name), Value::Object(mut map)) => map.remove(name).unwrap_or(Value::Null),
        (None, body) => body,
        _ => Value::Null,
    };
    T::deserialize(payload).ok()
}

fn bench(c: &mut Criterion) {
    let whole = format!(
        r#"{{"code":0,"msg":"","data":[{}],"first_id":"7437865392784500000","last_id":"7437865392784500019","has_more":false}}"#,
        messages()
    );
    let enveloped = format!(
        r#"{{"code":0,"msg":"","data":[{}],"detail":{{"logid":"20261201"}}}}"#,
        messages()
    );
    let (whole, enveloped) = (whole.into_bytes(), enveloped.into_bytes());

    // Both paths decode the same values.
    let a: MessageList = before(&whole, None).expect("before decodes");
    let b: MessageList = bench_classify(None, &whole).expect("after decodes");
    assert_eq!(a, b);
    assert_eq!(b.messages.len(), MESSAGES);
    let a: Vec<Message> = before(&enveloped, Some("data")).expect("before decodes");
    let b: Vec<Message> = bench_classify(Some("data"), &enveloped).expect("after decodes");
    assert_eq!(a, b);

    let mut group = c.benchmark_group("list20");
    group.throughput(Throughput::Bytes(whole.len() as u64));
    group.bench_function("before/message_list", |bch| {
        bch.iter(|| before::<MessageList>(black_box(&whole), None))
    });
    group.bench_function("after/message_list", |bch| {
        bch.iter(|| bench_classify::<MessageList>(None, black_box(&whole)))
    });
    group.bench_function("before/chat_messages", |bch| {
        bch.iter(|| before::<Vec<Message>>(black_box(&enveloped), Some("data")))
    });
    group.bench_function("after/chat_messages", |bch| {
        bch.iter(|| bench_classify::<Vec<Message>>(Some("data"), black_box(&enveloped)))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
