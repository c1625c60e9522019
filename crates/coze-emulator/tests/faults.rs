//! Fault injection as clients see it, switched over HTTP and in-process.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::{Harness, parse_chat_sse};
use coze_emulator::FaultConfig;
use coze_emulator::faults::ErrorEventFault;
use serde_json::{Value, json};

fn chat_body(bot: &str) -> Value {
    json!({"bot_id": bot, "user_id": "u", "stream": true,
        "additional_messages": [{"role": "user", "content": "faulty", "content_type": "text"}]})
}

#[tokio::test]
async fn cut_after_n_events_breaks_the_body() {
    let h = Harness::start().await;
    let set = h
        .http
        .post(h.url("/_emulator/faults"))
        .json(&json!({"cut_after_events": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(set.status(), 200);
    let resp = h
        .post("/v3/chat")
        .json(&chat_body(&h.emu.bots().echo))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let mut resp = resp;
    let mut received = Vec::new();
    let err = loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => received.extend_from_slice(&chunk),
            Ok(None) => panic!("the stream ended cleanly"),
            Err(e) => break e,
        }
    };
    assert!(
        err.is_body() || err.is_decode() || err.is_request(),
        "{err:?}"
    );
    let events = parse_chat_sse(std::str::from_utf8(&received).unwrap());
    assert_eq!(events.len(), 3);

    // The chat still completes server-side.
    let cid = events[0].1["conversation_id"].as_str().unwrap().to_string();
    let id = events[0].1["id"].as_str().unwrap().to_string();
    let mut status = Value::Null;
    for _ in 0..100 {
        status = h
            .ok_get(&format!(
                "/v3/chat/retrieve?conversation_id={cid}&chat_id={id}"
            ))
            .await["data"]["status"]
            .clone();
        if status == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(status, "completed");
}

#[tokio::test]
async fn error_event_ends_the_stream() {
    let h = Harness::start().await;
    h.emu.faults().set(FaultConfig {
        error_event: Some(ErrorEventFault {
            after_events: 2,
            code: 5000,
            msg: "boom".into(),
        }),
        ..FaultConfig::default()
    });
    let resp = h
        .post("/v3/chat")
        .json(&chat_body(&h.emu.bots().echo))
        .send()
        .await
        .unwrap();
    let events = parse_chat_sse(&resp.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(
        names,
        [
            "conversation.chat.created",
            "conversation.chat.in_progress",
            "error"
        ]
    );
    assert_eq!(events[2].1, json!({"code": 5000, "msg": "boom"}));
}

#[tokio::test]
async fn rate_limit_server_error_and_html_page_count_down() {
    let h = Harness::start().await;
    let faults = json!({
        "rate_limit": {"count": 1, "retry_after": 4, "path_prefix": "/v1/conversations"},
    });
    h.http
        .post(h.url("/_emulator/faults"))
        .json(&faults)
        .send()
        .await
        .unwrap();
    let limited = h.get("/v1/conversations").send().await.unwrap();
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "4");
    assert_eq!(limited.json::<Value>().await.unwrap()["code"], 4013);
    assert_eq!(
        h.get("/v1/conversations").send().await.unwrap().status(),
        200
    );

    h.http
        .post(h.url("/_emulator/faults"))
        .json(&json!({"server_error": {"status": 503}}))
        .send()
        .await
        .unwrap();
    let failed = h.get("/v1/conversations").send().await.unwrap();
    assert_eq!(failed.status(), 503);
    assert_eq!(failed.json::<Value>().await.unwrap()["code"], 5000);

    h.http
        .post(h.url("/_emulator/faults"))
        .json(&json!({"html_error": {"count": 2}}))
        .send()
        .await
        .unwrap();
    for _ in 0..2 {
        let page = h.get("/v1/conversations").send().await.unwrap();
        assert_eq!(page.status(), 502);
        assert!(
            page.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        assert!(page.text().await.unwrap().contains("502 Bad Gateway"));
    }
    assert_eq!(
        h.get("/v1/conversations").send().await.unwrap().status(),
        200
    );

    // Unknown switches are refused, and DELETE resets.
    let bad = h
        .http
        .post(h.url("/_emulator/faults"))
        .json(&json!({"cut_after": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.json::<Value>().await.unwrap()["code"], 4000);
    h.emu.faults().update(|f| f.event_delay_ms = 7);
    let read: Value = h
        .http
        .get(h.url("/_emulator/faults"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(read["event_delay_ms"], 7);
    h.http
        .delete(h.url("/_emulator/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(h.emu.faults().get(), FaultConfig::default());
}

#[tokio::test]
async fn event_delay_slows_the_stream_and_keeps_the_conversation_busy() {
    let h = Harness::start().await;
    h.emu.faults().update(|f| f.event_delay_ms = 40);
    let echo = h.emu.bots().echo.clone();
    let conv = h
        .ok_post("/v1/conversation/create", json!({"bot_id": echo}))
        .await["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let started = Instant::now();
    let mut first = h
        .post(&format!("/v3/chat?conversation_id={conv}"))
        .json(&chat_body(&echo))
        .send()
        .await
        .unwrap();
    let _ = first.chunk().await.unwrap();
    let second = h
        .post(&format!("/v3/chat?conversation_id={conv}"))
        .json(&chat_body(&echo))
        .send()
        .await
        .unwrap();
    assert_eq!(second.json::<Value>().await.unwrap()["code"], 4016);
    let rest = first.text().await.unwrap();
    assert!(rest.ends_with("event:done\ndata:\"[DONE]\"\n\n"));
    let events = rest.matches("event:").count() + 1;
    assert!(
        started.elapsed() >= Duration::from_millis(40 * events as u64 - 40),
        "{:?}",
        started.elapsed()
    );
}
