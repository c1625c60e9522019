//! Decoding a chat stream of `conversation.message.delta` events (about 300 bytes each) into
//! typed [`ChatEvent`]s: the SSE decoder plus the JSON decoding of every event, in 4 KiB
//! network chunks — the work a `ChatStream` does per event.
//!
//! Run: `cargo bench -p coze-sdk --bench sse_decode`
//!
//! Two measurements are reported. `wall/*` is criterion's wall clock; `cpu/*` counts only the
//! CPU time of the benchmark thread (Linux `/proc/thread-self/schedstat`), which is the "one
//! core" figure when other processes share the machine.
//!
//! Figures before and after the fast path for message events, with dates and load, are in
//! `docs/benchmarks.md` (2.04 M events/s CPU time on 2026-12-01). Measured 2026-11-21 00:57
//! UTC on this 2-core Xeon, idle (load average 1.3), with
//! `cargo bench -p coze-sdk --bench sse_decode`:
//! - `wall/chat_delta_events`: 1.38 M events/s (7.26 ms per 10,000 events; target >= 1 M/s)
//! - `cpu/chat_delta_events`: 1.42 M events/s (one core's CPU time)
//! - `wall/sse_only` (framing without JSON): 4.52 M events/s; typed JSON decoding is the
//!   larger part.
//!
//! An earlier run on the same machine while other builds shared the cores (load 9.5) gave
//! 1.50 M/s CPU time but only 0.60 M/s wall clock: compare `cpu/*` figures across loads.

use std::hint::black_box;
use std::time::Instant;

use coze_sdk::ChatEvent;
use coze_sdk::sse::SseDecoder;
use criterion::measurement::{Measurement, ValueFormatter, WallTime};
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

fn sse_only(bytes: &[u8]) -> usize {
    let mut decoder = SseDecoder::default();
    let mut n = 0;
    for chunk in bytes.chunks(CHUNK) {
        decoder.push(chunk);
        while let Ok(Some(ev)) = decoder.next_event_ref() {
            n += ev.data.len();
        }
    }
    n
}

fn run<M: Measurement>(c: &mut Criterion<M>, name: &str) {
    let bytes = stream_bytes();
    let per_event = bytes.len() / EVENTS;
    assert!((250..=350).contains(&per_event), "event size {per_event}");
    let expected: usize = (0..EVENTS).map(|i| [5, 6, 6, 5, 9, 8][i % 6]).sum();
    assert_eq!(decode(&bytes), expected, "every event decodes");
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Elements(EVENTS as u64));
    group.bench_function("chat_delta_events", |b| {
        b.iter(|| decode(black_box(&bytes)))
    });
    group.bench_function("sse_only", |b| b.iter(|| sse_only(black_box(&bytes))));
    group.finish();
}

/// CPU time of the calling thread, falling back to the wall clock where it is unavailable.
struct ThreadCpuTime {
    wall: WallTime,
}

fn thread_cpu_ns() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

impl Measurement for ThreadCpuTime {
    type Intermediate = (Instant, Option<u64>);
    type Value = u64;

    fn start(&self) -> Self::Intermediate {
        (Instant::now(), thread_cpu_ns())
    }

    fn end(&self, (started, cpu): Self::Intermediate) -> u64 {
        match (cpu, thread_cpu_ns()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => started.elapsed().as_nanos() as u64,
        }
    }

    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }

    fn zero(&self) -> u64 {
        0
    }

    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        // Values are nanoseconds, as for the wall clock.
        self.wall.formatter()
    }
}

fn wall(c: &mut Criterion) {
    run(c, "wall");
}

fn cpu(c: &mut Criterion<ThreadCpuTime>) {
    run(c, "cpu");
}

criterion_group!(wall_benches, wall);
criterion_group! {
    name = cpu_benches;
    config = Criterion::default().with_measurement(ThreadCpuTime { wall: WallTime });
    targets = cpu
}
criterion_main!(wall_benches, cpu_benches);
