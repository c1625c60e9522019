//! Shared test helpers: Redis for the tests that need it.
#![allow(dead_code)]

use coze_gateway::store::{RedisStore, StoreHandle};

/// `REDIS_URL` (set by `scripts/redis.sh`, which `scripts/test.sh` runs). Without it: `None`
/// and a printed "skipped" line, except under `CI=true`, where a missing Redis is a failure.
pub fn redis_url(test: &str) -> Option<String> {
    match std::env::var("REDIS_URL")
        .ok()
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => Some(url),
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!(
                "{test}: REDIS_URL is not set under CI=true; run the tests through scripts/test.sh, which starts Redis"
            )
        }
        None => {
            println!(
                "SKIPPED {test}: needs Redis; set REDIS_URL or run `bash scripts/test.sh` (it starts one)"
            );
            None
        }
    }
}

/// A Redis store under a fresh random key prefix (tests share one server).
pub async fn redis_store(url: &str) -> StoreHandle {
    let prefix = format!("test:{:016x}:", rand::random::<u64>());
    StoreHandle::new(
        RedisStore::connect(url, &prefix)
            .await
            .expect("Redis at REDIS_URL answers"),
    )
}

/// One gateway instance on 127.0.0.1:0, on a tokio runtime of its own, so [`Instance::kill`]
/// ends everything it runs at once (listener, open connections, slot renewals, its Redis
/// connection), as a crashed process would.
#[derive(Debug)]
pub struct Instance {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// Its state (usable from the test while the instance lives).
    pub state: coze_gateway::GatewayState,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Instance {
    /// Builds the state with `make_state` on the instance's runtime and serves
    /// `coze_gateway::router(state)`, merged with what `extra` returns (test routes).
    pub async fn start<F>(
        make_state: F,
        extra: impl FnOnce(&coze_gateway::GatewayState) -> Option<axum::Router> + Send + 'static,
    ) -> Self
    where
        F: std::future::Future<Output = coze_gateway::GatewayState> + Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("instance runtime");
        let (tx, rx) = tokio::sync::oneshot::channel();
        runtime.spawn(async move {
            let state = make_state.await;
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind 127.0.0.1:0");
            let url = format!("http://{}", listener.local_addr().expect("address"));
            let mut app = coze_gateway::router(state.clone());
            if let Some(routes) = extra(&state) {
                app = app.merge(routes);
            }
            let _ = tx.send((url, state));
            coze_gateway::serve(listener, app, std::future::pending::<()>()).await
        });
        let (url, state) = rx.await.expect("the instance started");
        Self {
            url,
            state,
            runtime: Some(runtime),
        }
    }

    /// Stops it abruptly, as a crash would.
    pub fn kill(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `n` gateway instances of one configuration sharing one Redis (under a fresh key prefix,
/// so tests do not see each other's keys). `config` is a `gateway.toml` text (its `store`
/// line is ignored); `extra` adds test routes to every instance (`|_| None` for none).
pub async fn instances_on_redis(
    redis_url: &str,
    config: &str,
    n: usize,
    extra: fn(&coze_gateway::GatewayState) -> Option<axum::Router>,
) -> Vec<Instance> {
    let prefix = format!("test:{:016x}:", rand::random::<u64>());
    let mut out = Vec::new();
    for _ in 0..n {
        let (url, prefix, config) = (redis_url.to_owned(), prefix.clone(), config.to_owned());
        let make = async move {
            let store = StoreHandle::new(
                RedisStore::connect(&url, &prefix)
                    .await
                    .expect("Redis at REDIS_URL answers"),
            );
            let config = coze_gateway::GatewayConfig::from_toml(&config).expect("config parses");
            coze_gateway::GatewayState::builder(config)
                .store(store)
                .build()
                .await
                .expect("gateway state builds")
        };
        out.push(Instance::start(make, extra).await);
    }
    out
}

/// `[upstream]` + `[openai]` for an emulator: the PAT, and its demo bots as models.
pub fn emulator_config(emu: &coze_emulator::Emulator) -> String {
    let info = emu.info();
    let models: Vec<String> = info["bots"]
        .as_object()
        .map(|bots| {
            bots.iter()
                .map(|(name, id)| format!("{name} = {id}"))
                .collect()
        })
        .unwrap_or_default();
    format!(
        "[upstream]\nauth = \"pat\"\nbase_url = \"{}\"\ntoken = \"{}\"\n[openai]\nmodels = {{ {} }}\n",
        emu.base_url(),
        emu.pat(),
        models.join(", ")
    )
}
