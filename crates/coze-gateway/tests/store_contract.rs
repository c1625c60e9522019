//! One contract, two stores: every test here runs against the embedded SQLite store and
//! against Redis (`REDIS_URL`; skipped with a printed line without it, a failure under CI).
#![allow(clippy::unwrap_used)] // a failed store call should fail the test loudly

mod common;

use coze_gateway::store::{SqliteStore, StoreHandle};
use std::collections::HashSet;
use std::time::Duration;

async fn sqlite() -> (StoreHandle, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::open(&dir.path().join("sub/gateway.sqlite3"))
        .await
        .expect("opens");
    (StoreHandle::new(store), dir)
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let (store, _dir) = super::sqlite().await;
                    super::$name(store).await;
                }
            )*
        }
        mod on_redis {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(url) = super::common::redis_url(concat!("on_redis::", stringify!($name))) else { return };
                    let store = super::common::redis_store(&url).await;
                    super::$name(store).await;
                }
            )*
        }
    };
}

contract!(
    values_set_get_delete,
    values_expire,
    set_if_absent_and_take_are_exclusive,
    counters_are_atomic_and_reset_per_window,
    slots_cap_concurrent_holders_and_free_on_release_drop_and_expiry,
    maps_hold_fields_and_expire_as_a_whole,
    lists_keep_the_newest_items_in_order,
    json_helpers_round_trip,
);

async fn values_set_get_delete(store: StoreHandle) {
    let s = store.raw();
    assert_eq!(s.get("a").await.unwrap(), None);
    s.set("a", "1", None).await.unwrap();
    assert_eq!(s.get("a").await.unwrap().as_deref(), Some("1"));
    s.set("a", "two", None).await.unwrap();
    assert_eq!(s.get("a").await.unwrap().as_deref(), Some("two"));
    assert!(s.delete("a").await.unwrap());
    assert!(!s.delete("a").await.unwrap());
    assert_eq!(s.get("a").await.unwrap(), None);
    s.ping().await.unwrap();
}

async fn values_expire(store: StoreHandle) {
    let s = store.raw();
    s.set("short", "x", Some(Duration::from_millis(300)))
        .await
        .unwrap();
    s.set("long", "y", Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(s.get("short").await.unwrap().as_deref(), Some("x"));
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(s.get("short").await.unwrap(), None);
    assert_eq!(s.get("long").await.unwrap().as_deref(), Some("y"));
    // set without ttl clears an earlier one
    s.set("long", "z", None).await.unwrap();
    assert_eq!(s.get("long").await.unwrap().as_deref(), Some("z"));
    // an expired key is free for set_if_absent
    assert!(s.set_if_absent("short", "again", None).await.unwrap());
}

async fn set_if_absent_and_take_are_exclusive(store: StoreHandle) {
    let mut tasks = Vec::new();
    for i in 0..16 {
        let st = store.clone();
        tasks.push(tokio::spawn(async move {
            st.raw()
                .set_if_absent("lock", &i.to_string(), None)
                .await
                .unwrap()
        }));
    }
    let mut winners = 0;
    for t in tasks {
        winners += usize::from(t.await.unwrap());
    }
    assert_eq!(winners, 1, "exactly one set_if_absent wins");

    store.raw().set("call", "pending", None).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let st = store.clone();
        tasks.push(tokio::spawn(
            async move { st.raw().take("call").await.unwrap() },
        ));
    }
    let mut got = Vec::new();
    for t in tasks {
        got.extend(t.await.unwrap());
    }
    assert_eq!(
        got,
        vec!["pending".to_owned()],
        "exactly one take gets the value"
    );
    assert_eq!(store.raw().get("call").await.unwrap(), None);
}

async fn counters_are_atomic_and_reset_per_window(store: StoreHandle) {
    let day = Duration::from_secs(86_400);
    let mut tasks = Vec::new();
    for _ in 0..40 {
        let st = store.clone();
        tasks.push(tokio::spawn(async move {
            st.raw().incr("hits", day).await.unwrap()
        }));
    }
    let mut counts = HashSet::new();
    for t in tasks {
        let w = t.await.unwrap();
        assert!(w.resets_in <= day && w.resets_in > Duration::ZERO, "{w:?}");
        counts.insert(w.count);
    }
    assert_eq!(
        counts,
        (1..=40).collect::<HashSet<u64>>(),
        "each count seen once"
    );
    // another key counts separately
    assert_eq!(store.raw().incr("other", day).await.unwrap().count, 1);
    // a short window starts again from 1
    let w = Duration::from_millis(400);
    store.raw().incr("fast", w).await.unwrap();
    tokio::time::sleep(Duration::from_millis(900)).await;
    assert_eq!(store.raw().incr("fast", w).await.unwrap().count, 1);
}

async fn slots_cap_concurrent_holders_and_free_on_release_drop_and_expiry(store: StoreHandle) {
    let s = store.raw();
    let ttl = Duration::from_secs(60);
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let st = store.clone();
        tasks.push(tokio::spawn(async move {
            st.raw()
                .acquire_slot("streams", 3, Duration::from_secs(60))
                .await
                .unwrap()
        }));
    }
    let mut held = Vec::new();
    for t in tasks {
        held.extend(t.await.unwrap());
    }
    assert_eq!(held.len(), 3, "cap 3 holds under contention");
    assert_eq!(s.slots_in_use("streams").await.unwrap(), 3);
    assert_eq!(s.acquire_slot("streams", 3, ttl).await.unwrap(), None);
    s.release_slot("streams", &held[0]).await.unwrap();
    s.release_slot("streams", &held[0]).await.unwrap(); // twice is fine
    assert!(s.acquire_slot("streams", 3, ttl).await.unwrap().is_some());
    assert!(s.renew_slot("streams", &held[1], ttl).await.unwrap());
    assert!(!s.renew_slot("streams", &held[0], ttl).await.unwrap());

    // A short-lived slot frees itself (a crashed holder).
    let short = s
        .acquire_slot("crash", 1, Duration::from_millis(300))
        .await
        .unwrap()
        .expect("free");
    assert_eq!(s.acquire_slot("crash", 1, ttl).await.unwrap(), None);
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert!(!s.renew_slot("crash", &short, ttl).await.unwrap());
    assert!(s.acquire_slot("crash", 1, ttl).await.unwrap().is_some());

    // Guards: renewed while alive (ttl 1.5 s, held 2.5 s), released on drop.
    let guard = store
        .acquire("guarded", 1, Duration::from_millis(1500))
        .await
        .unwrap()
        .expect("free");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(s.slots_in_use("guarded").await.unwrap(), 1, "renewed");
    assert!(store.acquire("guarded", 1, ttl).await.unwrap().is_none());
    drop(guard);
    let mut freed = false;
    for _ in 0..50 {
        if s.slots_in_use("guarded").await.unwrap() == 0 {
            freed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(freed, "a dropped guard frees its slot");
    let g = store
        .acquire("guarded", 1, ttl)
        .await
        .unwrap()
        .expect("free");
    g.release().await.unwrap();
    assert_eq!(s.slots_in_use("guarded").await.unwrap(), 0);
}

async fn maps_hold_fields_and_expire_as_a_whole(store: StoreHandle) {
    let s = store.raw();
    s.map_set("conv", "b", "2", None).await.unwrap();
    s.map_set("conv", "a", "1", None).await.unwrap();
    s.map_set("conv", "a", "1b", None).await.unwrap();
    assert_eq!(s.map_get("conv", "a").await.unwrap().as_deref(), Some("1b"));
    assert_eq!(s.map_get("conv", "zz").await.unwrap(), None);
    assert_eq!(
        s.map_entries("conv").await.unwrap(),
        vec![("a".into(), "1b".into()), ("b".into(), "2".into())]
    );
    assert!(s.map_delete("conv", "a").await.unwrap());
    assert!(!s.map_delete("conv", "a").await.unwrap());
    assert_eq!(s.map_entries("other").await.unwrap(), vec![]);

    s.map_set("tmp", "x", "1", Some(Duration::from_millis(300)))
        .await
        .unwrap();
    s.map_set("tmp", "y", "2", Some(Duration::from_millis(300)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(s.map_get("tmp", "x").await.unwrap(), None);
    assert_eq!(s.map_entries("tmp").await.unwrap(), vec![]);
    // a write to an expired map starts it afresh
    s.map_set("tmp", "z", "3", None).await.unwrap();
    assert_eq!(
        s.map_entries("tmp").await.unwrap(),
        vec![("z".into(), "3".into())]
    );
}

async fn lists_keep_the_newest_items_in_order(store: StoreHandle) {
    let s = store.raw();
    for i in 1..=5 {
        s.list_push("recent", &format!("c{i}"), 3, None)
            .await
            .unwrap();
    }
    assert_eq!(
        s.list_items("recent").await.unwrap(),
        vec!["c3", "c4", "c5"]
    );
    s.list_push("recent", "c4", 3, None).await.unwrap();
    assert_eq!(s.list_remove("recent", "c4").await.unwrap(), 2);
    assert_eq!(s.list_items("recent").await.unwrap(), vec!["c5"]);
    assert_eq!(s.list_items("none").await.unwrap(), Vec::<String>::new());
    s.list_push("brief", "x", 10, Some(Duration::from_millis(300)))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(s.list_items("brief").await.unwrap(), Vec::<String>::new());
}

async fn json_helpers_round_trip(store: StoreHandle) {
    #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
    struct Pending {
        chat_id: String,
        calls: Vec<String>,
    }
    let p = Pending {
        chat_id: "c1".into(),
        calls: vec!["call_1".into()],
    };
    store.set_json("pending", &p, None).await.unwrap();
    assert_eq!(store.get_json::<Pending>("pending").await.unwrap(), Some(p));
    store.raw().set("pending", "not json", None).await.unwrap();
    assert_eq!(store.get_json::<Pending>("pending").await.unwrap(), None);
    store.map_set_json("m", "f", &[1, 2], None).await.unwrap();
    assert_eq!(
        store.map_get_json::<Vec<u8>>("m", "f").await.unwrap(),
        Some(vec![1, 2])
    );
    store.set_json("once", &5u8, None).await.unwrap();
    assert_eq!(store.take_json::<u8>("once").await.unwrap(), Some(5));
    assert_eq!(store.take_json::<u8>("once").await.unwrap(), None);
}

#[tokio::test]
async fn the_sqlite_file_survives_a_restart() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gateway.sqlite3");
    {
        let store = StoreHandle::new(SqliteStore::open(&path).await.unwrap());
        store.raw().set("k", "v", None).await.unwrap();
        store.raw().map_set("m", "f", "1", None).await.unwrap();
        store.raw().list_push("l", "x", 5, None).await.unwrap();
        store
            .raw()
            .incr("c", Duration::from_secs(86_400))
            .await
            .unwrap();
    }
    let store = StoreHandle::new(SqliteStore::open(&path).await.unwrap());
    assert_eq!(store.raw().get("k").await.unwrap().as_deref(), Some("v"));
    assert_eq!(
        store.raw().map_get("m", "f").await.unwrap().as_deref(),
        Some("1")
    );
    assert_eq!(store.raw().list_items("l").await.unwrap(), vec!["x"]);
    assert_eq!(
        store
            .raw()
            .incr("c", Duration::from_secs(86_400))
            .await
            .unwrap()
            .count,
        2
    );
}

#[tokio::test]
async fn two_processes_share_one_sqlite_file() {
    // Two handles on one file (what `coze serve keys create` does while the gateway runs).
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gateway.sqlite3");
    let a = StoreHandle::new(SqliteStore::open(&path).await.unwrap());
    let b = StoreHandle::new(SqliteStore::open(&path).await.unwrap());
    a.raw().set("k", "from a", None).await.unwrap();
    assert_eq!(b.raw().get("k").await.unwrap().as_deref(), Some("from a"));
    let day = Duration::from_secs(86_400);
    let mut tasks = Vec::new();
    for i in 0..20 {
        let st = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            st.raw().incr("n", day).await.unwrap().count
        }));
    }
    let mut counts = HashSet::new();
    for t in tasks {
        counts.insert(t.await.unwrap());
    }
    assert_eq!(counts, (1..=20).collect::<HashSet<u64>>());
}

#[tokio::test]
async fn a_file_that_is_not_a_store_is_refused_clearly() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gateway.sqlite3");
    std::fs::write(
        &path,
        "this is not sqlite, just some text that is long enough to matter".repeat(100),
    )
    .unwrap();
    let err = SqliteStore::open(&path).await.expect_err("refused");
    assert!(err.to_string().contains("gateway.sqlite3"), "{err}");
}
