//! The `plugin` bot shows the tool call as Coze does: a completed `function_call` and a
//! completed `tool_response` before the answer, listed by `/v3/chat/message/list` but not by
//! the conversation's message list.

#![allow(clippy::unwrap_used)]

mod common;

use axum::Json;
use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use common::{Harness, names};
use serde_json::{Value, json};

const TOKEN: &str = "Bearer plugin-test-token";

/// A tiny plugin service: one `shout` tool returning a declared and an undeclared field.
async fn tool_server() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let doc = json!({
        "openapi": "3.0.1",
        "info": {"title": "Shout", "description": "shouts", "version": "1"},
        "servers": [{"url": base}],
        "paths": {"/shout": {"post": {
            "operationId": "shout", "summary": "Shouts a text",
            "requestBody": {"content": {"application/json": {"schema": {
                "type": "object", "required": ["text"],
                "properties": {"text": {"type": "string"}}}}}},
            "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"output": {"type": "string"}}}}}}},
        }}},
    });
    let yaml = format!(
        "openapi: \"3.0.1\"\ninfo:\n  title: Shout\n  description: shouts\n  version: \"1\"\nservers:\n  - url: {base}\npaths:\n  /shout:\n    post:\n      operationId: shout\n      summary: Shouts a text\n      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              required: [text]\n              properties:\n                text: {{type: string}}\n      responses:\n        \"200\":\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                properties:\n                  output: {{type: string}}\n"
    );
    let app = Router::new()
        .route("/openapi.json", get(move || async move { Json(doc) }))
        .route("/openapi.yaml", get(move || async move { yaml }))
        .route(
            "/shout",
            post(|headers: HeaderMap, Json(body): Json<Value>| async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(TOKEN) {
                    return (StatusCode::UNAUTHORIZED, Json(json!({"message": "no"})));
                }
                let text = body["text"].as_str().unwrap_or("").to_uppercase();
                (
                    StatusCode::OK,
                    Json(json!({"output": text, "secret_extra": "undeclared"})),
                )
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn the_plugin_bot_shows_function_call_and_tool_response_before_its_answer() {
    let h = Harness::start().await;
    let base = tool_server().await;
    let imported = h
        .ok_post(
            "/_emulator/plugins/import",
            json!({"url": format!("{base}/openapi.json"), "service_token": TOKEN}),
        )
        .await;
    let plugin_id = imported["data"]["plugin_id"].as_str().unwrap().to_owned();
    let api_id = imported["data"]["tools"][0]["api_id"]
        .as_str()
        .unwrap()
        .to_owned();

    let bot = h.emu.bots().plugin.clone();
    let events = h.stream_chat(&bot, None, "quiet words").await;
    let kinds: Vec<(&str, &str)> = events
        .iter()
        .filter(|(e, _)| e.starts_with("conversation.message."))
        .map(|(e, m)| (e.as_str(), m["type"].as_str().unwrap()))
        .collect();
    let first_delta = kinds
        .iter()
        .position(|k| *k == ("conversation.message.delta", "answer"))
        .unwrap_or_else(|| panic!("no answer delta: {:?}", names(&events)));
    assert_eq!(
        &kinds[..first_delta],
        &[
            ("conversation.message.completed", "function_call"),
            ("conversation.message.completed", "tool_response"),
        ]
    );
    let message = |kind: &str| {
        events
            .iter()
            .find(|(e, m)| e == "conversation.message.completed" && m["type"] == kind)
            .map(|(_, m)| m.clone())
            .unwrap()
    };
    let call: Value =
        serde_json::from_str(message("function_call")["content"].as_str().unwrap()).unwrap();
    assert_eq!(call["name"], "shout");
    assert_eq!(call["arguments"], json!({"text": "quiet words"}));
    assert_eq!(call["plugin_id"], plugin_id.parse::<i64>().unwrap());
    assert_eq!(call["api_id"], api_id.parse::<i64>().unwrap());
    assert_eq!(call["plugin_type"], 1);
    let response: Value =
        serde_json::from_str(message("tool_response")["content"].as_str().unwrap()).unwrap();
    assert_eq!(
        response,
        json!({"output": "QUIET WORDS"}),
        "undeclared fields dropped"
    );
    assert_eq!(
        message("answer")["content"],
        "The tool shout returned: QUIET WORDS"
    );

    let chat = Harness::last(&events, "conversation.chat.completed");
    let (conv, id) = (
        chat["conversation_id"].as_str().unwrap(),
        chat["id"].as_str().unwrap(),
    );
    let listed = h
        .ok_get(&format!(
            "/v3/chat/message/list?conversation_id={conv}&chat_id={id}"
        ))
        .await;
    let kinds: Vec<&str> = listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    for kind in ["function_call", "tool_response", "answer"] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    let conversation = h
        .ok_post(
            &format!("/v1/conversation/message/list?conversation_id={conv}"),
            json!({}),
        )
        .await;
    let kinds: Vec<&str> = conversation["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{kinds:?}");
    assert!(kinds.contains(&"question") && kinds.contains(&"answer"));
}

#[tokio::test]
async fn a_yaml_document_imports_like_the_json_one() {
    let h = Harness::start().await;
    let base = tool_server().await;
    let from_json = h
        .ok_post(
            "/_emulator/plugins/import",
            json!({"url": format!("{base}/openapi.json"), "service_token": TOKEN}),
        )
        .await;
    let from_yaml = h
        .ok_post(
            "/_emulator/plugins/import",
            json!({"url": format!("{base}/openapi.yaml"), "service_token": TOKEN}),
        )
        .await;
    for field in ["name", "server_url"] {
        assert_eq!(
            from_yaml["data"][field], from_json["data"][field],
            "{field}"
        );
    }
    assert_eq!(
        from_yaml["data"]["tools"][0]["name"], "shout",
        "{from_yaml}"
    );
    let events = h
        .stream_chat(&h.emu.bots().plugin.clone(), None, "quiet")
        .await;
    let answer = Harness::last(&events, "conversation.chat.completed");
    assert_eq!(answer["status"], "completed", "{answer}");
}

#[tokio::test]
async fn a_refused_tool_call_still_shows_the_call_and_the_failure() {
    let h = Harness::start().await;
    let base = tool_server().await;
    h.ok_post(
        "/_emulator/plugins/import",
        json!({"url": format!("{base}/openapi.json"), "service_token": "Bearer wrong"}),
    )
    .await;
    let events = h
        .stream_chat(&h.emu.bots().plugin.clone(), None, "hi")
        .await;
    let response = events
        .iter()
        .find(|(e, m)| e == "conversation.message.completed" && m["type"] == "tool_response")
        .map(|(_, m)| m["content"].as_str().unwrap().to_owned())
        .unwrap();
    assert!(response.contains("HTTP 401"), "{response}");
    assert_eq!(
        Harness::last(&events, "conversation.chat.completed")["status"],
        "completed"
    );
}
