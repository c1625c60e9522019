//! Load benchmark of the OpenAI-compatible API: direct Coze `/v3/chat` streams against the
//! emulator versus the same chats through the gateway's `/v1/chat/completions`, in one run.
//!
//! Run it (release build; figures and their discussion in `benches/README.md`):
//!
//! ```text
//! cargo bench -p coze-gateway --bench openai_load            # 100, 1,000 and 10,000 streams
//! cargo bench -p coze-gateway --bench openai_load -- 100 1000  # chosen levels only
//! ```
//!
//! Layout: this process runs the emulator (in-process, at a fixed custom pace) and the
//! load client; the gateway runs in a child process (this binary again, `--gateway-child`), so
//! its memory is measured alone (`/proc/<pid>/status`: `VmRSS` before, `VmHWM` during). The
//! load client speaks HTTP/2 (prior knowledge, 100 streams per connection) to both the emulator
//! and the gateway, so 10,000 streams fit the machine's file limit (20,000 per process): the
//! gateway then holds ~100 client connections and one Coze connection per stream (HTTP/1.1, as
//! its Coze client uses against a plain-http server).
//!
//! Everything binds 127.0.0.1; every loop is bounded by a count and a deadline.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde_json::{Value, json};

const STREAMS_PER_CONNECTION: usize = 100;
/// The emulator's pace: first token after 2 s (so that 10,000 streams are all open at once
/// before the first one ends), then a delta every 100 ms.
const PACE: coze_emulator::Pace = coze_emulator::Pace::Custom {
    first_token_ms: 2_000,
    delta_interval_ms: 100,
};
const RUN_DEADLINE: Duration = Duration::from_secs(120);
/// Eight words: the echo answer streams in several deltas.
const QUESTION: &str = "one two three four five six seven eight";

#[derive(Debug, Clone, Copy)]
struct Sample {
    first: Duration,
    last: Duration,
    tokens: u32,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Side {
    Direct,
    Gateway,
}

struct Target {
    side: Side,
    url: String,
    token: String,
    bot: String,
}

fn is_token_frame(side: Side, frame: &[u8]) -> bool {
    match side {
        Side::Direct => memmem(frame, b"event:conversation.message.delta"),
        Side::Gateway => {
            // A chunk with non-empty content (the role chunk has "content":"").
            find(frame, b"\"content\":\"").is_some_and(|i| frame.get(i + 11) != Some(&b'"'))
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn memmem(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

async fn one_stream(client: &reqwest::Client, t: &Target, user: usize) -> Option<Sample> {
    let started = Instant::now();
    let req = match t.side {
        Side::Direct => client
            .post(format!("{}/v3/chat", t.url))
            .bearer_auth(&t.token)
            .json(&json!({"bot_id": t.bot, "user_id": format!("load-{user}"), "stream": true,
                "auto_save_history": true,
                "additional_messages": [{"role": "user", "content": QUESTION, "content_type": "text"}]})),
        Side::Gateway => client
            .post(format!("{}/v1/chat/completions", t.url))
            .bearer_auth(&t.token)
            .json(&json!({"model": "echo", "user": format!("load-{user}"), "stream": true,
                "messages": [{"role": "user", "content": QUESTION}]})),
    };
    let resp = req.send().await.ok()?;
    if !resp.status().is_success() {
        return None;
    }
    let mut body = resp.bytes_stream();
    let mut buf: Vec<u8> = Vec::new();
    let (mut first, mut last, mut tokens) = (None, Duration::ZERO, 0u32);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.ok()?;
        buf.extend_from_slice(&chunk);
        while let Some(end) = find(&buf, b"\n\n") {
            if is_token_frame(t.side, &buf[..end]) {
                let at = started.elapsed();
                first.get_or_insert(at);
                last = at;
                tokens += 1;
            }
            buf.drain(..end + 2);
        }
    }
    Some(Sample {
        first: first?,
        last,
        tokens,
    })
}

fn clients(n: usize) -> Vec<reqwest::Client> {
    (0..n.div_ceil(STREAMS_PER_CONNECTION).max(1))
        .map(|_| {
            reqwest::Client::builder()
                .http2_prior_knowledge()
                .no_proxy()
                .timeout(RUN_DEADLINE)
                .build()
                .expect("a reqwest client")
        })
        .collect()
}

struct Run {
    samples: Vec<Sample>,
    failed: usize,
    wall: Duration,
}

async fn run_streams(t: Arc<Target>, n: usize, gateway_pid: Option<u32>) -> (Run, Option<u64>) {
    let clients = Arc::new(clients(n));
    let started = Instant::now();
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let sampler = gateway_pid.map(|pid| {
        let peak = peak.clone();
        tokio::spawn(async move {
            loop {
                if let Some(rss) = rss_kib(pid, "VmRSS:") {
                    peak.fetch_max(rss, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    });
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (t, clients) = (t.clone(), clients.clone());
            tokio::spawn(async move {
                let client = &clients[i / STREAMS_PER_CONNECTION];
                tokio::time::timeout(RUN_DEADLINE, one_stream(client, &t, i))
                    .await
                    .ok()
                    .flatten()
            })
        })
        .collect();
    let mut samples = Vec::with_capacity(n);
    let mut failed = 0;
    for task in tasks {
        match task.await.ok().flatten() {
            Some(s) => samples.push(s),
            None => failed += 1,
        }
    }
    if let Some(s) = sampler {
        s.abort();
    }
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    (
        Run {
            samples,
            failed,
            wall: started.elapsed(),
        },
        gateway_pid.map(|_| peak),
    )
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort_unstable();
    let i = ((v.len() as f64 - 1.0) * p).round() as usize;
    v[i.min(v.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn rss_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn summary(label: &str, r: &mut Run) -> (Duration, Duration, Duration, Duration) {
    let mut first: Vec<Duration> = r.samples.iter().map(|s| s.first).collect();
    let mut last: Vec<Duration> = r.samples.iter().map(|s| s.last).collect();
    let tokens: u32 = r.samples.iter().map(|s| s.tokens).min().unwrap_or(0);
    let out = (
        pct(&mut first, 0.5),
        pct(&mut first, 0.99),
        pct(&mut last, 0.5),
        pct(&mut last, 0.99),
    );
    println!(
        "  {label:<8} ok {:>6} failed {:>4}  first p50 {:>8} p99 {:>8}  last p50 {:>8} p99 {:>8} ms  (min tokens/stream {tokens}, wall {:.1} s)",
        r.samples.len(),
        r.failed,
        ms(out.0),
        ms(out.1),
        ms(out.2),
        ms(out.3),
        r.wall.as_secs_f64()
    );
    out
}

async fn throughput(t: Arc<Target>, total: usize, concurrency: usize) -> f64 {
    let client = reqwest::Client::builder()
        .http2_prior_knowledge()
        .no_proxy()
        .timeout(RUN_DEADLINE)
        .build()
        .expect("a reqwest client");
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (t, client, next) = (t.clone(), client.clone(), next.clone());
            tokio::spawn(async move {
                let mut done = 0usize;
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if i >= total || started.elapsed() > RUN_DEADLINE {
                        return done;
                    }
                    let ok = match t.side {
                        // Direct: a Coze stream read to its end (what the gateway does).
                        Side::Direct => one_stream(&client, &t, i).await.is_some(),
                        Side::Gateway => client
                            .post(format!("{}/v1/chat/completions", t.url))
                            .bearer_auth(&t.token)
                            .json(&json!({"model": "echo", "user": format!("tp-{i}"),
                                "messages": [{"role": "user", "content": QUESTION}]}))
                            .send()
                            .await
                            .ok()
                            .filter(|r| r.status().is_success())
                            .is_some(),
                    };
                    done += usize::from(ok);
                }
            })
        })
        .collect();
    let mut ok = 0;
    for w in workers {
        ok += w.await.unwrap_or(0);
    }
    ok as f64 / started.elapsed().as_secs_f64()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--gateway-child") {
        gateway_child::run(&args[1..]);
        return;
    }
    let levels: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let levels = if levels.is_empty() {
        vec![100, 1_000, 10_000]
    } else {
        levels
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(bench(levels));
}

async fn bench(levels: Vec<usize>) {
    let config = coze_emulator::EmulatorConfig {
        pace: PACE,
        ..coze_emulator::EmulatorConfig::default()
    };
    let emulator = coze_emulator::Emulator::start_with(config)
        .await
        .expect("the emulator starts");
    let bot = emulator.bots().echo.clone();
    let mut child = Gateway::spawn(emulator.base_url(), emulator.pat(), &bot);
    let direct = Arc::new(Target {
        side: Side::Direct,
        url: emulator.base_url().to_owned(),
        token: emulator.pat().to_owned(),
        bot: bot.clone(),
    });
    let via = Arc::new(Target {
        side: Side::Gateway,
        url: child.url.clone(),
        token: child.key.clone(),
        bot,
    });
    println!(
        "openai_load: echo bot at pace {} ms first token, {} ms per delta; HTTP/2 client, {} streams per connection",
        PACE.first_token().as_millis(),
        PACE.delta_interval().as_millis(),
        STREAMS_PER_CONNECTION
    );
    // Warm up both paths (connections, allocator, JIT-free but caches).
    let _ = run_streams(direct.clone(), 50, None).await;
    let _ = run_streams(via.clone(), 50, None).await;
    for n in levels {
        println!("{n} concurrent streams:");
        let (mut d, _) = run_streams(direct.clone(), n, None).await;
        let d = summary("direct", &mut d);
        let before = rss_kib(child.pid(), "VmRSS:").unwrap_or(0);
        let (mut g, peak) = run_streams(via.clone(), n, Some(child.pid())).await;
        let g = summary("gateway", &mut g);
        let peak = peak.unwrap_or(0);
        println!(
            "  added   first p50 {:>8} p99 {:>8}  last p50 {:>8} p99 {:>8} ms",
            signed_ms(g.0, d.0),
            signed_ms(g.1, d.1),
            signed_ms(g.2, d.2),
            signed_ms(g.3, d.3)
        );
        println!(
            "  gateway RSS {} KiB before, {} KiB peak: {:.1} KiB per open stream",
            before,
            peak,
            peak.saturating_sub(before) as f64 / n as f64
        );
    }
    // Non-streaming throughput, unpaced.
    emulator.state().set_pace(coze_emulator::Pace::Instant);
    let total = 2_000;
    let direct_rps = throughput(direct.clone(), total, 32).await;
    let gateway_rps = throughput(via.clone(), total, 32).await;
    println!(
        "non-streaming throughput ({total} chats, 32 at a time, no pacing): direct {direct_rps:.0}/s, gateway {gateway_rps:.0}/s ({:.0}% of direct)",
        100.0 * gateway_rps / direct_rps
    );
    child.stop();
}

fn signed_ms(a: Duration, b: Duration) -> String {
    format!("{:+.2}", (a.as_secs_f64() - b.as_secs_f64()) * 1000.0)
}

/// The gateway child process.
struct Gateway {
    child: Child,
    url: String,
    key: String,
}

impl Gateway {
    fn spawn(upstream: &str, pat: &str, bot: &str) -> Gateway {
        let exe = std::env::current_exe().expect("the bench's own path");
        let mut child = Command::new(exe)
            .args(["--gateway-child", upstream, bot])
            .env("COZE_BENCH_PAT", pat)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the gateway child starts");
        let stdout = child.stdout.take().expect("child stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the gateway child prints its line");
        let v: Value = serde_json::from_str(&line).expect("the gateway child's JSON line");
        Gateway {
            url: v["url"].as_str().unwrap_or_default().to_owned(),
            key: v["api_key"].as_str().unwrap_or_default().to_owned(),
            child,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn stop(&mut self) {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.write_all(b"\n");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `--gateway-child UPSTREAM BOT` (PAT in `COZE_BENCH_PAT`): a gateway with the embedded
/// store in a temporary directory, one API key, model `echo`; prints
/// `{"url", "api_key"}` and serves until its stdin closes.
mod gateway_child {
    use std::collections::BTreeMap;
    use std::io::Read;

    use coze_gateway::config::UpstreamConfig;
    use coze_gateway::keys::NewKey;
    use coze_gateway::openai::{ModelTarget, OpenAiConfig};
    use coze_gateway::{GatewayConfig, GatewayState, Secret};

    pub fn run(args: &[String]) {
        let (Some(upstream), Some(bot)) = (args.first(), args.get(1)) else {
            eprintln!("usage: openai_load --gateway-child UPSTREAM BOT");
            std::process::exit(2);
        };
        let pat = std::env::var("COZE_BENCH_PAT").unwrap_or_default();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let config = GatewayConfig {
            data_dir: Some(dir.path().to_path_buf()),
            // COZE_BENCH_STORE=redis://... measures with Redis instead of the embedded store.
            store: std::env::var("COZE_BENCH_STORE")
                .ok()
                .map(coze_gateway::config::StoreSetting),
            upstream: Some(UpstreamConfig {
                auth: Some("pat".into()),
                base_url: Some(upstream.clone()),
                token: Some(Secret::new(pat)),
                ..UpstreamConfig::default()
            }),
            openai: Some(OpenAiConfig {
                models: BTreeMap::from([("echo".to_owned(), ModelTarget::BotId(bot.clone()))]),
                ..OpenAiConfig::default()
            }),
            ..GatewayConfig::default()
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a tokio runtime");
        rt.block_on(async move {
            let state = GatewayState::builder(config)
                .build()
                .await
                .expect("the gateway starts");
            let (_, key) = state
                .keys()
                .create(NewKey::default())
                .await
                .expect("an API key");
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a loopback port");
            let url = format!("http://{}", listener.local_addr().expect("an address"));
            println!(
                "{}",
                serde_json::json!({"url": url, "api_key": key.expose()})
            );
            let stop = async {
                let _ = tokio::task::spawn_blocking(|| {
                    let mut sink = [0u8; 1];
                    let _ = std::io::stdin().read(&mut sink);
                })
                .await;
            };
            let _ = coze_gateway::serve(listener, coze_gateway::router(state), stop).await;
        });
        drop(dir);
    }
}
