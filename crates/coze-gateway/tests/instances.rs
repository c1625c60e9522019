//! Several gateway instances on one Redis (`REDIS_URL`; skipped with a printed line without
//! it, a failure under CI): keys, per-minute limits and stream slots hold across instances,
//! and killing one leaves the other serving.

mod common;

use axum::Router;
use axum::extract::Extension;
use axum::routing::get;
use common::{Instance, emulator_config, instances_on_redis};
use coze_emulator::Emulator;
use coze_gateway::keys::{self, ClientKey, NewKey};
use coze_gateway::{GatewayState, limits};

/// A key-protected route on every instance (the OpenAI routes are tested in their own suite).
fn protected(state: &GatewayState) -> Option<Router> {
    Some(
        Router::new()
            .route(
                "/t/whoami",
                get(|Extension(key): Extension<ClientKey>| async move { key.id }),
            )
            .route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                keys::require_key,
            )),
    )
}

async fn status(http: &reqwest::Client, instance: &Instance, key: &str) -> u16 {
    http.get(format!("{}/t/whoami", instance.url))
        .bearer_auth(key)
        .send()
        .await
        .expect("answers")
        .status()
        .as_u16()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

async fn two() -> Option<(Emulator, Vec<Instance>)> {
    let url = common::redis_url("instances")?;
    let emu = Emulator::start().await.expect("emulator");
    let config = emulator_config(&emu);
    let instances = instances_on_redis(&url, &config, 2, protected).await;
    Some((emu, instances))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_of_n_per_minute_holds_across_two_instances() {
    let Some((_emu, gw)) = two().await else {
        return;
    };
    let http = http();
    let (_, key) = gw[0]
        .state
        .keys()
        .create(NewKey {
            rpm: Some(6),
            ..NewKey::default()
        })
        .await
        .expect("created");
    let mut codes = Vec::new();
    for i in 0..10 {
        codes.push(status(&http, &gw[i % 2], key.expose()).await);
    }
    let ok = codes.iter().filter(|c| **c == 200).count();
    let limited = codes.iter().filter(|c| **c == 429).count();
    // Both instances count into one window (a window boundary mid-test could allow up to 12).
    assert!(ok == 6 || (ok > 6 && ok <= 12), "{codes:?}");
    assert_eq!(ok + limited, 10, "{codes:?}");
    assert!(codes[6..].contains(&429) || ok > 6, "{codes:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_and_revocations_reach_every_instance_at_once() {
    let Some((_emu, gw)) = two().await else {
        return;
    };
    let http = http();
    let (record, key) = gw[0]
        .state
        .keys()
        .create(NewKey::default())
        .await
        .expect("created");
    assert_eq!(status(&http, &gw[1], key.expose()).await, 200);
    assert!(
        gw[1]
            .state
            .keys()
            .revoke(&record.id)
            .await
            .expect("revoked")
    );
    assert_eq!(status(&http, &gw[0], key.expose()).await, 401);
    assert_eq!(status(&http, &gw[1], key.expose()).await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_slots_are_shared_by_the_instances() {
    let Some((_emu, gw)) = two().await else {
        return;
    };
    let (record, _) = gw[0]
        .state
        .keys()
        .create(NewKey {
            concurrency: Some(2),
            ..NewKey::default()
        })
        .await
        .expect("created");
    let key = ClientKey::from(&record);
    let a = limits::acquire_stream(&gw[0].state, &key).await.expect("a");
    let b = limits::acquire_stream(&gw[1].state, &key).await.expect("b");
    assert!(a.is_some() && b.is_some());
    let refused = limits::acquire_stream(&gw[1].state, &key)
        .await
        .expect_err("third stream refused on either instance");
    assert_eq!(refused.status.as_u16(), 429);
    drop(a);
    let mut again = None;
    for _ in 0..50 {
        if let Ok(g) = limits::acquire_stream(&gw[1].state, &key).await {
            again = g;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        again.is_some(),
        "a slot freed on one instance is usable on the other"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_one_instance_leaves_the_other_serving() {
    let Some((_emu, mut gw)) = two().await else {
        return;
    };
    let http = http();
    let (_, key) = gw[0]
        .state
        .keys()
        .create(NewKey::default())
        .await
        .expect("created");
    assert_eq!(status(&http, &gw[0], key.expose()).await, 200);
    gw[0].kill();
    assert!(
        http.get(format!("{}/health", gw[0].url))
            .send()
            .await
            .is_err(),
        "the killed instance no longer answers"
    );
    let health = http
        .get(format!("{}/health", gw[1].url))
        .send()
        .await
        .expect("survivor answers");
    assert_eq!(health.status().as_u16(), 200);
    let body: serde_json::Value = health.json().await.expect("json");
    assert_eq!(body["store"], "redis");
    assert_eq!(status(&http, &gw[1], key.expose()).await, 200);
}
