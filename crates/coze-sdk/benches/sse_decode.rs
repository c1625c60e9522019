//! Decoding a chat stream of `conversation.message.delta` events (about 300 bytes each) into
//! typed [`ChatEvent`]s: the SSE decoder plus the JSON decoding of every event.
//!
//! Run: `cargo bench -p coze-sdk --bench sse_decode`
//!
//! Measured: (filled in below after running)

use std::hint::black_box;

use coze_sdk::ChatEvent;
use coze_sdk::sse::SseDecoder;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};

const EVENTS: usize = 10_000;
const CHUNK: usize = 4096;

fn stream_bytes() -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..EVENTS {
        let text = [
            "Hello",
            " world",
            ", this",
            " is a",
            " streamed",
            " answer.",
        ][i % 6];
        let event = format!(
            "event:conversation.message.delta\ndata:{{\"id\":\"7437865392784506886\",\"conversation_id\":\"7437865324962611210\",\"bot_id\":\"7437864979573637138\",\"role\":\"assistant\",\"type\":\"answer\",\"content\":\"{text}\",\"content_type\":\"text\",\"chat_id\":\"7437865392784474118\",\"section_id\":\"7437865324962611210\",\"created_at\":1731571217}}\n\n"
        );
        out.extend_from_slice(event.as_bytes());
    }
    out
}

fn stream_bytes_data() -> Vec<String> {
    let mut d = SseDecoder::default();
    d.push(&stream_bytes());
    let mut out = Vec::new();
    while let Ok(Some(ev)) = d.next_event() {
        out.push(ev.data);
    }
    out
}

fn decode(bytes: &[u8]) -> usize {
    let mut decoder = SseDecoder::default();
    let mut n = 0;
    for chunk in bytes.chunks(CHUNK) {
        decoder.push(chunk);
        while let Ok(Some(ev)) = decoder.next_event_ref() {
            if let Ok(ChatEvent::MessageDelta(m)) = ChatEvent::parse(ev.event, ev.data) {
                n += m.content.len();
            }
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    let bytes = stream_bytes();
    let per_event = bytes.len() / EVENTS;
    assert!((250..=350).contains(&per_event), "event size {per_event}");
    assert!(decode(&bytes) > 0);
    let mut group = c.benchmark_group("sse_decode");
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("chat_delta_events", |b| {
        b.iter(|| decode(black_box(&bytes)))
    });
    group.bench_function("sse_only", |b| {
        b.iter(|| {
            let mut decoder = SseDecoder::default();
            let mut n = 0;
            for chunk in black_box(&bytes).chunks(CHUNK) {
                decoder.push(chunk);
                while let Ok(Some(ev)) = decoder.next_event_ref() {
                    n += ev.data.len();
                }
            }
            n
        })
    });
    let data = stream_bytes_data();
    group.bench_function("json_only", |b| {
        b.iter(|| {
            let mut n = 0;
            for d in black_box(&data) {
                if let Ok(ChatEvent::MessageDelta(m)) =
                    ChatEvent::parse("conversation.message.delta", d)
                {
                    n += m.content.len();
                }
            }
            n
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
