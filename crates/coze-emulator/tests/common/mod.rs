//! Helpers for the wire tests: an emulator, authorised requests, strict SSE parsing.

#![allow(dead_code, clippy::unwrap_used)]

use coze_emulator::Emulator;
use reqwest::{Client, RequestBuilder, Response};
use serde_json::Value;

pub struct Harness {
    pub emu: Emulator,
    pub http: Client,
}

impl Harness {
    pub async fn start() -> Harness {
        let emu = Emulator::start().await.expect("emulator starts");
        let http = Client::builder().no_proxy().build().expect("client");
        Harness { emu, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.emu.base_url(), path)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.http.get(self.url(path)).bearer_auth(self.emu.pat())
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.http.post(self.url(path)).bearer_auth(self.emu.pat())
    }

    /// POST with a JSON body; returns the decoded envelope after checking it is code 0.
    pub async fn ok_post(&self, path: &str, body: Value) -> Value {
        let resp = self.post(path).json(&body).send().await.unwrap();
        ok_body(resp).await
    }

    pub async fn ok_get(&self, path: &str) -> Value {
        let resp = self.get(path).send().await.unwrap();
        ok_body(resp).await
    }

    /// Streams a chat with the given bot and question; returns the parsed events.
    pub async fn stream_chat(
        &self,
        bot: &str,
        conversation: Option<&str>,
        text: &str,
    ) -> Vec<(String, Value)> {
        let path = format!("/v3/chat?conversation_id={}", conversation.unwrap_or(""));
        let body = serde_json::json!({
            "bot_id": bot, "user_id": "u1", "stream": true,
            "additional_messages": [{"role": "user", "content": text, "content_type": "text"}],
        });
        let resp = self.post(&path).json(&body).send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        let bytes = resp.bytes().await.unwrap();
        parse_chat_sse(std::str::from_utf8(&bytes).unwrap())
    }

    /// Polls a chat until it is no longer `created`/`in_progress` (bounded: 5 s); its `data`.
    #[allow(dead_code)]
    pub async fn wait_chat(&self, conversation_id: &str, chat_id: &str) -> Value {
        let path = format!("/v3/chat/retrieve?conversation_id={conversation_id}&chat_id={chat_id}");
        for _ in 0..500 {
            let chat = self.ok_get(&path).await["data"].clone();
            if chat["status"] != "in_progress" && chat["status"] != "created" {
                return chat;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("chat {chat_id} still running after 5 s");
    }

    /// The `data` of the last event with this name.
    pub fn last<'a>(events: &'a [(String, Value)], name: &str) -> &'a Value {
        &events
            .iter()
            .rev()
            .find(|(e, _)| e == name)
            .unwrap_or_else(|| panic!("no {name} event"))
            .1
    }
}

/// Checks a success envelope and the logid header; returns the body.
pub async fn ok_body(resp: Response) -> Value {
    let status = resp.status();
    let logid = resp
        .headers()
        .get("x-tt-logid")
        .map(|v| v.to_str().unwrap().to_string());
    let body: Value = resp.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["msg"], "", "{body}");
    let logid = logid.expect("x-tt-logid header");
    assert_eq!(logid.len(), 34);
    assert_eq!(body["detail"]["logid"], logid.as_str());
    body
}

/// Parses a chat stream strictly the way cozepy does: only `event:` and `data:` lines, one
/// of each per event, `event` first, blank line after, JSON data on one line.
pub fn parse_chat_sse(text: &str) -> Vec<(String, Value)> {
    assert!(
        text.ends_with("\n\n"),
        "stream must end with a blank line: {text:?}"
    );
    let mut events = Vec::new();
    for block in text.trim_end_matches('\n').split("\n\n") {
        let lines: Vec<&str> = block.split('\n').collect();
        assert_eq!(lines.len(), 2, "an event is exactly two lines: {block:?}");
        let event = lines[0]
            .strip_prefix("event:")
            .unwrap_or_else(|| panic!("bad line {:?}", lines[0]));
        let data = lines[1]
            .strip_prefix("data:")
            .unwrap_or_else(|| panic!("bad line {:?}", lines[1]));
        let data: Value =
            serde_json::from_str(data).unwrap_or_else(|e| panic!("data not JSON ({e}): {data}"));
        events.push((event.to_string(), data));
    }
    events
}

pub fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(e, _)| e.as_str()).collect()
}

/// An id: a non-empty string of digits.
pub fn assert_id(v: &Value) {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("id must be a string: {v}"));
    assert!(
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()),
        "id {s:?}"
    );
}
