//! Workflows and the chatflow on the wire: sync `data` string, exact stream framing,
//! interrupt/resume, failing runs, async runs and their histories, list/get, 4200.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use coze_emulator::{Emulator, EmulatorConfig};
use reqwest::Client;
use serde_json::{Value, json};

struct Wf {
    emu: Emulator,
    http: Client,
}

impl Wf {
    async fn start() -> Wf {
        let config = EmulatorConfig {
            slow_workflow: Duration::from_millis(600),
            // Shorter than the slow workflow: its synchronous run times out.
            sync_workflow_timeout: Duration::from_millis(200),
            ..Default::default()
        };
        let emu = Emulator::start_with(config).await.unwrap();
        Wf {
            emu,
            http: Client::builder().no_proxy().build().unwrap(),
        }
    }

    fn id(&self, name: &str) -> String {
        self.emu.info()["workflows"][name]
            .as_str()
            .unwrap()
            .to_string()
    }

    async fn post(&self, path: &str, body: Value) -> reqwest::Response {
        let url = format!("{}{path}", self.emu.base_url());
        self.http
            .post(url)
            .bearer_auth(self.emu.pat())
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn get(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.emu.base_url());
        let resp = self
            .http
            .get(url)
            .bearer_auth(self.emu.pat())
            .send()
            .await
            .unwrap();
        resp.json().await.unwrap()
    }

    /// A stream's raw text (checked to be an event stream).
    async fn stream(&self, path: &str, body: Value) -> String {
        let resp = self.post(path, body).await;
        let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
        let text = resp.text().await.unwrap();
        assert!(
            content_type.starts_with("text/event-stream"),
            "{content_type}: {text}"
        );
        text
    }
}

/// Parses a workflow stream strictly: `id: n`, `event: X`, `data: {json}` in that order, ids
/// counting from 0, a blank line after each event.
fn parse_workflow_sse(text: &str) -> Vec<(String, Value)> {
    assert!(
        text.ends_with("\n\n"),
        "stream ends with a blank line: {text:?}"
    );
    let mut events = Vec::new();
    for (n, block) in text.trim_end_matches('\n').split("\n\n").enumerate() {
        let lines: Vec<&str> = block.split('\n').collect();
        assert_eq!(lines.len(), 3, "three lines per event: {block:?}");
        assert_eq!(lines[0], format!("id: {n}"));
        let event = lines[1].strip_prefix("event: ").unwrap().to_string();
        let data: Value = serde_json::from_str(lines[2].strip_prefix("data: ").unwrap()).unwrap();
        events.push((event, data));
    }
    events
}

fn names(events: &[(String, Value)]) -> Vec<&str> {
    events.iter().map(|(e, _)| e.as_str()).collect()
}

#[tokio::test]
async fn sync_run_answers_with_a_json_string_data() {
    let w = Wf::start().await;
    let resp = w
        .post(
            "/v1/workflow/run",
            json!({"workflow_id": w.id("greeting"), "parameters": {"input": "Ada"}}),
        )
        .await;
    assert!(resp.headers().contains_key("x-tt-logid"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], 0);
    let data: Value =
        serde_json::from_str(body["data"].as_str().expect("data is a string")).unwrap();
    assert_eq!(data, json!({"output": "Hello, Ada! (3 characters)"}));
    let debug_url = body["debug_url"].as_str().unwrap();
    assert!(
        debug_url.contains(body["execute_id"].as_str().unwrap())
            && debug_url.contains(&w.id("greeting"))
    );
    assert!(body["usage"]["token_count"].as_i64().unwrap() > 0);

    // The docs call `parameters` a JSON string: accepted too.
    let resp = w
        .post(
            "/v1/workflow/run",
            json!({"workflow_id": w.id("greeting"), "parameters": "{\"input\":\"Bo\"}"}),
        )
        .await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["data"], "{\"output\":\"Hello, Bo! (2 characters)\"}");
}

#[tokio::test]
async fn unknown_workflow_is_4200_everywhere() {
    let w = Wf::start().await;
    for path in [
        "/v1/workflow/run",
        "/v1/workflow/stream_run",
        "/v1/workflows/chat",
    ] {
        let body: Value = w.post(path, json!({"workflow_id": "123", "additional_messages": [{"role": "user", "content": "x", "content_type": "text"}]})).await.json().await.unwrap();
        assert_eq!(body["code"], 4200, "{path}: {body}");
        assert!(body["msg"].as_str().unwrap().contains("workflow_id=123"));
    }
    assert_eq!(w.get("/v1/workflows/123").await["code"], 4200);
    let missing: Value = w
        .post("/v1/workflow/run", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(missing["code"], 4000);
}

#[tokio::test]
async fn stream_run_emits_node_messages_then_done() {
    let w = Wf::start().await;
    let text = w
        .stream(
            "/v1/workflow/stream_run",
            json!({"workflow_id": w.id("greeting"), "parameters": {"input": "Ada"}}),
        )
        .await;
    let events = parse_workflow_sse(&text);
    assert_eq!(
        names(&events),
        [
            "Message", "Message", "Message", "Message", "Message", "Done"
        ]
    );
    assert_eq!(events.last().unwrap().1, json!({}));
    let greet: String = events[..3]
        .iter()
        .map(|(_, d)| d["content"].as_str().unwrap())
        .collect();
    assert_eq!(greet, "Hello, Ada!");
    assert_eq!(events[0].1["node_is_finish"], false);
    assert_eq!(events[2].1["node_is_finish"], true);
    assert_eq!(events[1].1["node_seq_id"], "1");
    let end = &events[4].1;
    assert_eq!(end["node_title"], "End");
    let output: Value = serde_json::from_str(end["content"].as_str().unwrap()).unwrap();
    assert_eq!(output["output"], "Hello, Ada! (3 characters)");
}

#[tokio::test]
async fn question_interrupts_and_resume_finishes_once() {
    let w = Wf::start().await;
    let question = w.id("question");
    let events = parse_workflow_sse(
        &w.stream("/v1/workflow/stream_run", json!({"workflow_id": question}))
            .await,
    );
    assert_eq!(names(&events), ["Message", "Interrupt", "Done"]);
    assert!(
        events[0].1["content"]
            .as_str()
            .unwrap()
            .contains("Which city")
    );
    let interrupt = &events[1].1["interrupt_data"];
    assert_eq!(interrupt["type"], 2);
    let event_id = interrupt["event_id"].as_str().unwrap().to_string();

    let resume = json!({"workflow_id": question, "event_id": event_id, "resume_data": "Paris", "interrupt_type": 2});
    let events = parse_workflow_sse(&w.stream("/v1/workflow/stream_resume", resume.clone()).await);
    assert_eq!(names(&events), ["Message", "Message", "Done"]);
    assert_eq!(
        events[0].1["content"],
        "The weather in Paris is sunny, 23 °C."
    );

    // The same event id again is stale: refused before any stream starts.
    let stale = w.post("/v1/workflow/stream_resume", resume).await;
    assert!(
        stale.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = stale.json().await.unwrap();
    assert_eq!(body["code"], 4000);
    assert!(
        body["msg"].as_str().unwrap().contains("already resumed"),
        "{body}"
    );
    let other = json!({"workflow_id": w.id("greeting"), "event_id": "1/2", "resume_data": "x", "interrupt_type": 2});
    assert_eq!(
        w.post("/v1/workflow/stream_resume", other)
            .await
            .json::<Value>()
            .await
            .unwrap()["code"],
        4000
    );
}

#[tokio::test]
async fn an_async_run_stopped_at_a_question_shows_the_event_id_and_resumes() {
    let w = Wf::start().await;
    let question = w.id("question");
    let started: Value = w
        .post(
            "/v1/workflow/run",
            json!({"workflow_id": question, "is_async": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    let execute_id = started["execute_id"].as_str().unwrap().to_string();
    let path = format!("/v1/workflows/{question}/run_histories/{execute_id}");
    let waiting = w.get(&path).await;
    let history = &waiting["data"][0];
    assert_eq!(history["execute_status"], "Running", "{waiting}");
    let event_id = history["interrupt_data"]["event_id"]
        .as_str()
        .unwrap_or_else(|| panic!("no interrupt_data in {waiting}"))
        .to_string();
    assert!(event_id.starts_with(&execute_id), "{event_id}");

    let resume = json!({"workflow_id": question, "event_id": event_id, "resume_data": "Oslo", "interrupt_type": 2});
    let events = parse_workflow_sse(&w.stream("/v1/workflow/stream_resume", resume).await);
    assert_eq!(names(&events), ["Message", "Message", "Done"]);
    let done = w.get(&path).await;
    assert_eq!(done["data"][0]["execute_status"], "Success", "{done}");
    assert!(done["data"][0].get("interrupt_data").is_none(), "{done}");
}

#[tokio::test]
async fn failing_workflow_ends_with_an_error_event() {
    let w = Wf::start().await;
    let events = parse_workflow_sse(
        &w.stream(
            "/v1/workflow/stream_run",
            json!({"workflow_id": w.id("failing")}),
        )
        .await,
    );
    assert_eq!(names(&events), ["Message", "Message", "Error"]);
    assert_eq!(events[2].1["error_code"], 6006);
    assert!(
        events[2].1["error_message"]
            .as_str()
            .unwrap()
            .contains("Parse")
    );
    let sync: Value = w
        .post("/v1/workflow/run", json!({"workflow_id": w.id("failing")}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sync["code"], 6006);
}

#[tokio::test]
async fn slow_workflow_needs_async_and_its_history_goes_running_to_success() {
    let w = Wf::start().await;
    let slow = w.id("slow");
    let sync: Value = w
        .post("/v1/workflow/run", json!({"workflow_id": slow}))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(sync["code"], 0);
    assert!(sync["msg"].as_str().unwrap().contains("is_async"));

    let started: Value = w
        .post(
            "/v1/workflow/run",
            json!({"workflow_id": slow, "is_async": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(started["code"], 0);
    let execute_id = started["execute_id"].as_str().unwrap().to_string();
    assert!(started["debug_url"].as_str().unwrap().contains(&execute_id));
    let path = format!("/v1/workflows/{slow}/run_histories/{execute_id}");
    let running = w.get(&path).await;
    assert_eq!(running["data"][0]["execute_status"], "Running", "{running}");
    assert_eq!(running["data"][0]["run_mode"], 2);
    assert_eq!(running["data"][0]["output"], "");
    tokio::time::sleep(Duration::from_millis(700)).await;
    let done = w.get(&path).await;
    let history = &done["data"][0];
    assert_eq!(history["execute_status"], "Success", "{done}");
    assert_eq!(history["error_code"], "");
    let output: Value = serde_json::from_str(history["output"].as_str().unwrap()).unwrap();
    assert!(output["output"].as_str().unwrap().starts_with("Report on"));
    assert_eq!(
        w.get(&format!("/v1/workflows/{slow}/run_histories/1"))
            .await["code"],
        4200
    );

    let failed: Value = w
        .post(
            "/v1/workflow/run",
            json!({"workflow_id": w.id("failing"), "is_async": true}),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!(
        "/v1/workflows/{}/run_histories/{}",
        w.id("failing"),
        failed["execute_id"].as_str().unwrap()
    );
    // At the fast pace each node takes 20 ms: running first, failed a moment later.
    let history = w.get(&path).await["data"][0].clone();
    assert_eq!(history["execute_status"], "Running");
    tokio::time::sleep(Duration::from_millis(200)).await;
    let history = w.get(&path).await["data"][0].clone();
    assert_eq!(history["execute_status"], "Fail");
    assert_eq!(history["error_code"], "6006");
}

#[tokio::test]
async fn slow_stream_sends_pings() {
    let w = Wf::start().await;
    let events = parse_workflow_sse(
        &w.stream(
            "/v1/workflow/stream_run",
            json!({"workflow_id": w.id("slow")}),
        )
        .await,
    );
    assert_eq!(names(&events).iter().filter(|n| **n == "PING").count(), 3);
    assert!(
        events
            .iter()
            .filter(|(e, _)| e == "PING")
            .all(|(_, d)| *d == json!({}))
    );
    assert_eq!(names(&events).last(), Some(&"Done"));
}

#[tokio::test]
async fn list_and_get_workflows() {
    let w = Wf::start().await;
    let all = w.get("/v1/workflows?page_num=1&page_size=2").await;
    assert_eq!(all["data"]["items"].as_array().unwrap().len(), 2);
    assert_eq!(all["data"]["has_more"], true);
    let last = w.get("/v1/workflows?page_num=3&page_size=2").await;
    assert_eq!(last["data"]["items"].as_array().unwrap().len(), 1);
    assert_eq!(last["data"]["has_more"], false);
    let chatflows = w.get("/v1/workflows?workflow_mode=chatflow").await;
    assert_eq!(
        chatflows["data"]["items"][0]["workflow_id"],
        w.id("chatflow").as_str()
    );
    let team = w.emu.info()["workspace_id"].as_str().unwrap().to_string() + "9";
    assert_eq!(
        w.get(&format!("/v1/workflows?workspace_id={team}")).await["data"]["items"],
        json!([])
    );
    let detail = w.get(&format!("/v1/workflows/{}", w.id("greeting"))).await;
    assert_eq!(
        detail["data"]["workflow_detail"]["workflow_name"],
        "greeting"
    );
}

/// Chat events as `(event, data)`, strictly `event:`/`data:` pairs.
fn parse_chat_sse(text: &str) -> Vec<(String, Value)> {
    text.trim_end_matches('\n')
        .split("\n\n")
        .map(|block| {
            let (event, data) = block.split_once('\n').unwrap();
            let event = event.strip_prefix("event:").unwrap().to_string();
            (
                event,
                serde_json::from_str(data.strip_prefix("data:").unwrap()).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn chatflow_asks_then_answers_in_the_same_conversation() {
    let w = Wf::start().await;
    let flow = w.id("chatflow");
    let first = json!({"workflow_id": flow, "additional_messages": [{"role": "user", "content": "plan a trip", "content_type": "text"}]});
    let events = parse_chat_sse(&w.stream("/v1/workflows/chat", first).await);
    let n = names(&events);
    assert_eq!(n.last(), Some(&"done"));
    assert!(
        events.last().unwrap().1["debug_url"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    let (_, action) = events
        .iter()
        .find(|(e, _)| e == "conversation.chat.requires_action")
        .unwrap();
    assert!(action.get("bot_id").is_none());
    let call = &action["required_action"]["submit_tool_outputs"]["tool_calls"][0];
    assert_eq!(call["type"], "reply_message");
    let conversation = action["conversation_id"].as_str().unwrap().to_string();

    let second = json!({"workflow_id": flow, "conversation_id": conversation, "additional_messages": [{"role": "user", "content": "Rome", "content_type": "text"}]});
    let events = parse_chat_sse(&w.stream("/v1/workflows/chat", second).await);
    let (_, answer) = events
        .iter()
        .find(|(e, d)| e == "conversation.message.completed" && d["type"] == "answer")
        .unwrap();
    let answer = answer["content"].as_str().unwrap();
    assert!(
        answer.starts_with("A trip to Rome") && answer.contains("plan a trip"),
        "{answer}"
    );
    assert!(names(&events).contains(&"conversation.chat.completed"));

    let not_a_chatflow = json!({"workflow_id": w.id("greeting"), "additional_messages": [{"role": "user", "content": "x", "content_type": "text"}]});
    assert_eq!(
        w.post("/v1/workflows/chat", not_a_chatflow)
            .await
            .json::<Value>()
            .await
            .unwrap()["code"],
        4000
    );
}
