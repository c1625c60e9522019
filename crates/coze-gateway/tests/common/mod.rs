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
