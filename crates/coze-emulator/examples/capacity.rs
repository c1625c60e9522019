//! Capacity check: many concurrent paced chat streams against one emulator, all on 127.0.0.1.
//!
//! ```sh
//! # Terminal 1: an emulator at the realistic pace (release build, as a user would run it).
//! cargo run --release -p coze-cli -- emulator --json --pace realistic > /tmp/emu.json
//! # Terminal 2: 10,000 streams at once; prints errors, timings and the client's own memory.
//! cargo run --release -p coze-emulator --example capacity -- --info /tmp/emu.json --streams 10000
//! grep VmHWM /proc/$(pgrep -f 'coze emulator')/status   # the emulator's peak memory
//! ```
//!
//! Without `--info` it starts an emulator in-process (then the memory figure covers both).
//! Every stream is a `POST /v3/chat` (`stream: true`) to the echo bot on a connection of its
//! own, read to `event:done`; a stream counts as an error if the request fails, the status is
//! not 200, or the body does not end with the `done` event. Bounded: `--streams` requests
//! (at most 20,000), each with a 120 s timeout. The process raises its open-file limit to the
//! hard limit first (one socket per stream).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use serde_json::{Value, json};

const MAX_STREAMS: usize = 20_000;

struct Target {
    base_url: String,
    pat: String,
    bot: String,
    _local: Option<coze_emulator::Emulator>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let streams: usize = arg("--streams").map_or(Ok(10_000), |s| s.parse())?;
    if streams == 0 || streams > MAX_STREAMS {
        bail!("--streams must be 1..={MAX_STREAMS}");
    }
    let ramp = Duration::from_millis(arg("--ramp-ms").map_or(Ok(2_000), |s| s.parse())?);
    #[cfg(unix)]
    {
        let limit =
            rlimit::increase_nofile_limit(u64::MAX).context("raising the open-file limit")?;
        println!("open-file limit: {limit}");
    }
    let target = match arg("--info") {
        Some(path) => {
            let info: Value = serde_json::from_str(
                std::fs::read_to_string(&path)
                    .with_context(|| format!("reading {path}"))?
                    .lines()
                    .next()
                    .unwrap_or_default(),
            )
            .with_context(|| format!("{path} does not hold the `coze emulator --json` line"))?;
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            Target {
                base_url: text(&info["base_url"]),
                pat: text(&info["pat"]),
                bot: text(&info["bots"]["echo"]),
                _local: None,
            }
        }
        None => {
            let pace = arg("--pace").unwrap_or_else(|| "realistic".into());
            let emulator = coze_emulator::Emulator::start_with(coze_emulator::EmulatorConfig {
                pace: pace.parse()?,
                ..Default::default()
            })
            .await?;
            Target {
                base_url: emulator.base_url().to_string(),
                pat: emulator.pat().to_string(),
                bot: emulator.bots().echo.clone(),
                _local: Some(emulator),
            }
        }
    };
    if !target.base_url.starts_with("http://127.0.0.1:") {
        bail!(
            "the capacity check only talks to 127.0.0.1, not {}",
            target.base_url
        );
    }
    let http = reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(120))
        .build()?;
    let in_flight = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let url = format!("{}/v3/chat", target.base_url);
    let started = Instant::now();
    let mut tasks = Vec::with_capacity(streams);
    for i in 0..streams {
        let (http, url, pat, bot) = (
            http.clone(),
            url.clone(),
            target.pat.clone(),
            target.bot.clone(),
        );
        let (in_flight, peak) = (in_flight.clone(), peak.clone());
        // Spread the starts over the ramp so the accept queue is not one burst.
        let at = ramp.mul_f64(i as f64 / streams as f64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(at).await;
            let now = in_flight.fetch_add(1, Ordering::Relaxed) + 1;
            peak.fetch_max(now, Ordering::Relaxed);
            let began = Instant::now();
            let result = one_stream(&http, &url, &pat, &bot, i).await;
            in_flight.fetch_sub(1, Ordering::Relaxed);
            (result, began.elapsed())
        }));
    }
    let mut errors = 0usize;
    let mut first_errors = Vec::new();
    let mut durations = Vec::with_capacity(streams);
    let mut events = 0usize;
    for task in tasks {
        match task.await {
            Ok((Ok(n), took)) => {
                events += n;
                durations.push(took);
            }
            Ok((Err(e), _)) => {
                errors += 1;
                if first_errors.len() < 5 {
                    first_errors.push(format!("{e:#}"));
                }
            }
            Err(e) => {
                errors += 1;
                first_errors.push(format!("task: {e}"));
            }
        }
    }
    let wall = started.elapsed();
    durations.sort();
    let pct = |p: f64| {
        durations
            .get(((durations.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{streams} streams, {errors} errors, peak {} concurrent, {events} events in {:.1} s",
        peak.load(Ordering::Relaxed),
        wall.as_secs_f64()
    );
    println!(
        "stream duration: p50 {:.2} s, p99 {:.2} s, max {:.2} s",
        pct(0.5).as_secs_f64(),
        pct(0.99).as_secs_f64(),
        pct(1.0).as_secs_f64()
    );
    println!("this process: {}", proc_status());
    for e in &first_errors {
        println!("error: {e}");
    }
    if errors > 0 {
        bail!("{errors} of {streams} streams failed");
    }
    Ok(())
}

/// One streamed chat read to its end; the number of events.
async fn one_stream(
    http: &reqwest::Client,
    url: &str,
    pat: &str,
    bot: &str,
    i: usize,
) -> anyhow::Result<usize> {
    let body = json!({
        "bot_id": bot, "user_id": format!("load-{i}"), "stream": true,
        "additional_messages": [{"role": "user", "content": format!("load test {i}"), "content_type": "text"}],
    });
    let mut resp = http.post(url).bearer_auth(pat).json(&body).send().await?;
    if resp.status() != 200 {
        bail!(
            "HTTP {}: {}",
            resp.status(),
            resp.text().await.unwrap_or_default()
        );
    }
    let mut tail = Vec::new();
    let mut events = 0;
    let mut previous = 0u8;
    while let Some(chunk) = resp.chunk().await? {
        // Every event ends with a blank line: count "\n\n", also across chunk boundaries.
        for &byte in chunk.iter() {
            if byte == b'\n' && previous == b'\n' {
                events += 1;
            }
            previous = byte;
        }
        tail.extend_from_slice(&chunk);
        if tail.len() > 256 {
            tail.drain(..tail.len() - 256);
        }
    }
    if !tail.ends_with(b"event:done\ndata:\"[DONE]\"\n\n") {
        bail!("the stream did not end with done");
    }
    Ok(events)
}

/// Peak resident memory and CPU time of this process (Linux; "n/a" elsewhere).
fn proc_status() -> String {
    let hwm = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM"))
                .map(|l| l.split_whitespace().skip(1).collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "n/a".into());
    let cpu = std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let fields: Vec<&str> = s.rsplit(')').next()?.split_whitespace().collect();
            let ticks =
                fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
            Some(format!("{:.1} s", ticks / 100.0))
        })
        .unwrap_or_else(|| "n/a".into());
    format!("peak RSS {hwm}, CPU {cpu}")
}
