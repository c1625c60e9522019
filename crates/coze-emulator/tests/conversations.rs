//! Conversations and conversation messages on the wire: shapes, pagination, cursors.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Harness, assert_id};
use serde_json::{Value, json};

fn ids(body: &Value) -> Vec<String> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn conversation_crud_and_page_numbers() {
    let h = Harness::start().await;
    let echo = h.emu.bots().echo.clone();
    let first = h
        .ok_post(
            "/v1/conversation/create",
            json!({"bot_id": echo, "name": "n", "meta_data": {"k": "v"}, "connector_id": "", "messages": null}),
        )
        .await["data"]
        .clone();
    assert_id(&first["id"]);
    assert!(first["created_at"].is_i64() && first["updated_at"].is_i64());
    assert_eq!(first["meta_data"], json!({"k": "v"}));
    assert_eq!(first["connector_id"], "1024");
    assert_id(&first["last_section_id"]);

    // A body-less create (no Content-Type) works too.
    let resp = h.post("/v1/conversation/create").send().await.unwrap();
    let bare = common::ok_body(resp).await;
    assert_eq!(bare["data"]["meta_data"], json!({}));

    let mut created = vec![first["id"].as_str().unwrap().to_string()];
    for _ in 0..4 {
        let c = h
            .ok_post("/v1/conversation/create", json!({"bot_id": echo}))
            .await;
        created.push(c["data"]["id"].as_str().unwrap().to_string());
    }
    let mut seen = Vec::new();
    for page in 1..=3 {
        let body = h
            .ok_get(&format!(
                "/v1/conversations?bot_id={echo}&page_num={page}&page_size=2"
            ))
            .await;
        let convs = body["data"]["conversations"].as_array().unwrap();
        seen.extend(convs.iter().map(|c| c["id"].as_str().unwrap().to_string()));
        assert_eq!(body["data"]["has_more"], page < 3, "page {page}");
    }
    created.reverse();
    assert_eq!(seen, created, "newest first, no gaps");
    let asc = h
        .ok_get(&format!(
            "/v1/conversations?bot_id={echo}&sort_order=ASC&page_size=50"
        ))
        .await;
    assert_eq!(asc["data"]["conversations"][0]["id"], first["id"]);
    // The body-less one had no bot: not listed for the echo bot.
    assert_eq!(asc["data"]["conversations"].as_array().unwrap().len(), 5);

    let id = first["id"].as_str().unwrap();
    let renamed = h
        .http
        .put(h.url(&format!("/v1/conversations/{id}")))
        .bearer_auth(h.emu.pat())
        .json(&json!({"name": "renamed"}))
        .send()
        .await
        .unwrap();
    assert_eq!(common::ok_body(renamed).await["data"]["name"], "renamed");

    let deleted = h
        .http
        .delete(h.url(&format!("/v1/conversations/{id}")))
        .bearer_auth(h.emu.pat())
        .send()
        .await
        .unwrap();
    let body = common::ok_body(deleted).await;
    assert!(body.get("data").is_none());
    let resp = h
        .get(&format!("/v1/conversation/retrieve?conversation_id={id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], 4200);
}

#[tokio::test]
async fn message_cursor_pages_follow_cozepy_after_id_paging() {
    let h = Harness::start().await;
    let conv = h.ok_post("/v1/conversation/create", json!({})).await["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut created = Vec::new();
    for i in 0..7 {
        let m = h
            .ok_post(
                &format!("/v1/conversation/message/create?conversation_id={conv}"),
                json!({"role": "user", "content": format!("m{i}"), "content_type": "text", "meta_data": null}),
            )
            .await;
        assert_eq!(m["data"]["type"], "question");
        created.push(m["data"]["id"].as_str().unwrap().to_string());
    }
    let list = format!("/v1/conversation/message/list?conversation_id={conv}");
    for (order, expected) in [
        ("desc", created.iter().rev().cloned().collect::<Vec<_>>()),
        ("asc", created.clone()),
    ] {
        let mut after: Value = Value::Null;
        let mut got = Vec::new();
        let mut pages = 0;
        loop {
            let body = h
                .ok_post(&list, json!({"order": order, "chat_id": null, "before_id": null, "after_id": after, "limit": 3}))
                .await;
            assert!(body.get("data").unwrap().is_array(), "list is top-level");
            let page = ids(&body);
            assert_eq!(body["first_id"], page[0].as_str());
            assert_eq!(body["last_id"], page.last().unwrap().as_str());
            got.extend(page);
            pages += 1;
            if body["has_more"] == false {
                break;
            }
            after = body["last_id"].clone();
        }
        assert_eq!(pages, 3, "{order}");
        assert_eq!(got, expected, "{order}");
    }
    // before_id walks back: in desc order, the messages newer than the cursor.
    let body = h
        .ok_post(&list, json!({"before_id": created[2], "limit": 2}))
        .await;
    assert_eq!(ids(&body), vec![created[4].clone(), created[3].clone()]);
    assert_eq!(body["has_more"], true);

    // Empty conversation.
    let empty = h.ok_post("/v1/conversation/create", json!({})).await["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = h
        .ok_post(
            &format!("/v1/conversation/message/list?conversation_id={empty}"),
            json!({}),
        )
        .await;
    assert_eq!(
        (body["data"].clone(), body["has_more"].clone()),
        (json!([]), json!(false))
    );
    assert_eq!(
        (body["first_id"].clone(), body["last_id"].clone()),
        (json!(""), json!(""))
    );
}

#[tokio::test]
async fn message_retrieve_modify_delete() {
    let h = Harness::start().await;
    let conv = h.ok_post("/v1/conversation/create", json!({})).await["data"].clone();
    let cid = conv["id"].as_str().unwrap();
    let msg = h
        .ok_post(
            &format!("/v1/conversation/message/create?conversation_id={cid}"),
            json!({"role": "assistant", "content": "note", "content_type": "text", "meta_data": {"a": "b"}}),
        )
        .await["data"]
        .clone();
    assert_eq!(msg["type"], "answer");
    assert_eq!(msg["section_id"], conv["last_section_id"]);
    assert_eq!(
        (msg["bot_id"].clone(), msg["chat_id"].clone()),
        (json!(""), json!(""))
    );
    let mid = msg["id"].as_str().unwrap();
    let q = format!("conversation_id={cid}&message_id={mid}");

    let got = h
        .ok_get(&format!("/v1/conversation/message/retrieve?{q}"))
        .await;
    assert_eq!(got["data"], msg);

    let modified = h
        .ok_post(
            &format!("/v1/conversation/message/modify?{q}"),
            json!({"content": "edited"}),
        )
        .await;
    assert!(
        modified.get("data").is_none(),
        "modify answers under `message`"
    );
    assert_eq!(modified["message"]["content"], "edited");
    assert_eq!(modified["message"]["meta_data"], json!({"a": "b"}));

    let deleted = h
        .post(&format!("/v1/conversation/message/delete?{q}"))
        .send()
        .await
        .unwrap();
    assert_eq!(common::ok_body(deleted).await["data"]["content"], "edited");
    let resp = h
        .get(&format!("/v1/conversation/message/retrieve?{q}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], 4200);

    let bad = h
        .post(&format!(
            "/v1/conversation/message/create?conversation_id={cid}"
        ))
        .json(&json!({"role": "bot", "content": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.json::<Value>().await.unwrap()["code"], 4000);
}

#[tokio::test]
async fn auth_failures_are_4100_on_401() {
    let h = Harness::start().await;
    let url = h.url("/v1/conversations");
    for auth in [None, Some("Bearer wrong"), Some("Basic abc")] {
        let mut req = h.http.get(&url);
        if let Some(a) = auth {
            req = req.header("authorization", a);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 401);
        assert_eq!(resp.headers()["x-tt-logid"].len(), 34);
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], 4100);
        assert_eq!(body["msg"], "authentication is invalid");
    }
    // Header name and scheme are case-insensitive.
    let resp = h
        .http
        .get(&url)
        .header("AUTHORIZATION", format!("bearer {}", h.emu.pat()))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn an_extreme_clock_move_keeps_the_emulator_answering() {
    let emu = coze_emulator::Emulator::start().await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for seconds in [i64::MAX, i64::MAX] {
        let moved = http
            .post(format!("{}/_emulator/clock", emu.base_url()))
            .json(&json!({"advance_seconds": seconds}))
            .send()
            .await
            .unwrap();
        assert_eq!(moved.status(), 200);
    }
    let conversations = http
        .get(format!("{}/v1/conversations", emu.base_url()))
        .bearer_auth(emu.pat())
        .send()
        .await
        .unwrap();
    assert_eq!(conversations.status(), 200);
    let info = emu.info();
    let device = http
        .post(format!(
            "{}/api/permission/oauth2/device/code",
            emu.base_url()
        ))
        .json(&json!({"client_id": info["oauth"]["device_client_id"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(device.status(), 200);
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn an_expiring_pat_stops_working_when_the_clock_moves() {
    let config = coze_emulator::EmulatorConfig {
        pat: Some("pat_test_expiring".into()),
        pat_ttl: Some(std::time::Duration::from_secs(60)),
        ..Default::default()
    };
    let emu = coze_emulator::Emulator::start_with(config).await.unwrap();
    assert_eq!(emu.pat(), "pat_test_expiring");
    assert!(!format!("{emu:?}").contains("pat_test_expiring"));
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let url = format!("{}/v1/conversations", emu.base_url());
    assert_eq!(
        http.get(&url)
            .bearer_auth(emu.pat())
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let moved = http
        .post(format!("{}/_emulator/clock", emu.base_url()))
        .json(&json!({"advance_seconds": 61}))
        .send()
        .await
        .unwrap();
    assert_eq!(moved.json::<Value>().await.unwrap()["skew_seconds"], 61);
    assert_eq!(
        http.get(&url)
            .bearer_auth(emu.pat())
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn info_is_the_documented_line() {
    let h = Harness::start().await;
    let info = h.emu.info();
    assert_eq!(info["base_url"], h.emu.base_url());
    assert!(h.emu.base_url().starts_with("http://127.0.0.1:") && !h.emu.base_url().ends_with(":0"));
    assert_eq!(info["pat"], h.emu.pat());
    assert_eq!(info["workspace_id"], h.emu.workspace_id());
    let bots = info["bots"].as_object().unwrap();
    for name in ["echo", "tool", "failing", "unpublished"] {
        assert_id(&bots[name]);
    }
    let unknown = h.get("/v1/nothing/here").send().await.unwrap();
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.json::<Value>().await.unwrap()["code"], 4000);
}
