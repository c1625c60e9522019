//! The plugin bridge against the emulator: its OpenAPI document passes Coze's import rules,
//! it refuses callers without the service token, handles slow glifs with start + poll, and
//! the whole chain (emulated Coze bot -> bridge -> fake Glif) answers with the glif output.
#![allow(clippy::unwrap_used)] // test helpers: a failed setup should panic loudly

use std::time::Duration;

use coze_emulator::Emulator;
use coze_gateway::glif::{self, BridgeConfig, BridgeError, BridgeState, GlifClient, ToolConfig};
use serde_json::{Value, json};

const SERVICE_TOKEN: &str = "svc-test-token";

fn tool(name: &str, glif_id: &str, inputs: Option<&[&str]>) -> ToolConfig {
    ToolConfig {
        name: name.into(),
        description: format!("runs {glif_id}"),
        glif_id: glif_id.into(),
        inputs: inputs.map(|i| i.iter().map(|s| s.to_string()).collect()),
        sync_timeout_secs: None,
    }
}

fn bridge_config(emu: &Emulator, public: &str) -> BridgeConfig {
    let info = emu.info();
    let mut cfg = BridgeConfig::new(public, SERVICE_TOKEN);
    cfg.glif_base_url = info["glif"]["base_url"].as_str().map(str::to_owned);
    cfg.glif_token = info["glif"]["token"].as_str().map(Into::into);
    cfg.poll_wait_secs = 0;
    cfg.tools = vec![
        tool("poem", "glif-text", None),
        tool("picture", "glif-image", Some(&["prompt"])),
        tool("fail", "glif-failing", None),
        ToolConfig {
            sync_timeout_secs: Some(1),
            ..tool("slow", "glif-slow", None)
        },
    ];
    cfg
}

async fn prepare(cfg: BridgeConfig) -> Result<BridgeState, BridgeError> {
    let client = GlifClient::new(cfg.glif_config().expect("glif config")).expect("client");
    BridgeState::prepare(cfg, client).await
}

/// Serves the bridge on 127.0.0.1:0; the server stops with the test's runtime.
async fn serve(emu: &Emulator) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = prepare(bridge_config(emu, &base))
        .await
        .expect("bridge starts");
    tokio::spawn(async move { axum::serve(listener, glif::router(state)).await });
    base
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn call(base: &str, path: &str, auth: Option<&str>, body: &str) -> (u16, Value) {
    let mut req = http()
        .post(format!("{base}/plugins/glif{path}"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

const AUTH: Option<&str> = Some("Bearer svc-test-token");

#[tokio::test]
async fn the_openapi_document_passes_cozes_import_rules() {
    let emu = Emulator::start().await.unwrap();
    let state = prepare(bridge_config(&emu, "https://bridge.example.com"))
        .await
        .unwrap();
    let doc = state.openapi();
    let (title, server, tools) =
        coze_emulator::plugins::check_document(&doc).unwrap_or_else(|p| panic!("{p:?}"));
    assert_eq!(title, "Glif");
    assert_eq!(server, "https://bridge.example.com");
    let ids: Vec<&str> = tools.iter().map(|t| t.operation_id.as_str()).collect();
    for id in [
        "poem",
        "poem_start",
        "picture",
        "slow",
        "run_glif",
        "run_glif_start",
        "poll_run",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    let picture = tools.iter().find(|t| t.operation_id == "picture").unwrap();
    // Only the exposed input; the required list follows the glif's defaults.
    assert_eq!(
        picture.body_properties.keys().collect::<Vec<_>>(),
        vec!["prompt"]
    );
    assert_eq!(picture.body_required, vec!["prompt"]);
    let poem = tools.iter().find(|t| t.operation_id == "poem").unwrap();
    assert_eq!(poem.body_properties["mood"]["default"], "cheerful");
    for field in [
        "status",
        "output",
        "output_type",
        "image_url",
        "price",
        "run_id",
        "message",
    ] {
        assert!(
            picture.response_fields.iter().any(|f| f == field),
            "{field} undeclared"
        );
    }
    let info = doc["info"].as_object().unwrap();
    assert!(!info["description"].as_str().unwrap().is_empty());
}

#[tokio::test]
async fn yaml_and_json_documents_are_served_without_auth() {
    let emu = Emulator::start().await.unwrap();
    let base = serve(&emu).await;
    let json_doc: Value = http()
        .get(format!("{base}/plugins/glif/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json_doc["servers"][0]["url"], base.as_str());
    let yaml = http()
        .get(format!("{base}/plugins/glif/openapi.yaml"))
        .send()
        .await
        .unwrap();
    assert!(
        yaml.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("yaml")
    );
    let yaml = yaml.text().await.unwrap();
    assert!(yaml.contains("openapi: \"3.0.1\"\n"), "{yaml}");
    assert!(!yaml.contains(SERVICE_TOKEN));
    // Read back, the YAML is the JSON document: no value re-typed ("3.0.1", "200" stay
    // strings).
    let back: Value = serde_saphyr::from_str(&yaml).expect("valid YAML");
    assert_eq!(back, json_doc);
}

#[tokio::test]
async fn calls_without_the_service_token_are_refused_and_nothing_runs() {
    let emu = Emulator::start().await.unwrap();
    let base = serve(&emu).await;
    let body = r#"{"topic": "owls"}"#;
    for auth in [None, Some("Bearer wrong"), Some(SERVICE_TOKEN)] {
        let (status, reply) = call(&base, "/tools/poem", auth, body).await;
        assert_eq!(status, 401, "{auth:?}: {reply}");
        assert_eq!(reply["error"], "unauthorized");
    }
    let (status, _) = call(&base, "/tools/poem/start", None, body).await;
    assert_eq!(status, 401);
    let resp = http()
        .get(format!("{base}/plugins/glif/runs/run_x"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 401);
    assert_eq!(emu.state().store().plugins.glif_runs, 0, "no glif ran");
}

#[tokio::test]
async fn tools_run_glifs_and_bad_requests_get_the_right_status() {
    let emu = Emulator::start().await.unwrap();
    let base = serve(&emu).await;
    let (status, reply) = call(&base, "/tools/poem", AUTH, r#"{"topic": "owls"}"#).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["status"], "succeeded");
    assert_eq!(
        reply["output"],
        "A cheerful poem about owls: roses bloom, foxes roam."
    );
    assert_eq!(reply["output_type"], "text");
    assert!(reply.get("image_url").is_none());

    let (status, reply) = call(&base, "/tools/picture", AUTH, r#"{"prompt": "a fox"}"#).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["output_type"], "image");
    let url = reply["image_url"].as_str().unwrap();
    assert!(url.ends_with(".png") && reply["output"] == url, "{reply}");
    assert_eq!(reply["price"], 0.25);

    let (status, reply) = call(
        &base,
        "/tools/run_glif",
        AUTH,
        r#"{"glif_id": "glif-json", "inputs": ["owls"]}"#,
    )
    .await;
    assert_eq!(
        (status, reply["output_type"].as_str()),
        (200, Some("json")),
        "{reply}"
    );

    for (path, body, want, needle) in [
        ("/tools/poem", "{not json", 400, "not valid JSON"),
        ("/tools/poem", "[1]", 400, "JSON object"),
        ("/tools/poem", "{}", 400, "needs input(s) topic"),
        (
            "/tools/poem",
            r#"{"topik": "x", "topic": "y"}"#,
            400,
            "its inputs are: topic, mood",
        ),
        (
            "/tools/picture",
            r#"{"prompt": {"a": 1}}"#,
            400,
            "must be a string",
        ),
        ("/tools/run_glif", r#"{"inputs": []}"#, 400, "glif_id"),
        ("/tools/nope", "{}", 404, "no tool"),
        ("/tools/fail", r#"{"prompt": "x"}"#, 502, "overloaded"),
        (
            "/tools/run_glif",
            r#"{"glif_id": "missing-glif"}"#,
            502,
            "unknown glif",
        ),
    ] {
        let (status, reply) = call(&base, path, AUTH, body).await;
        assert_eq!(status, want, "{path} {body}: {reply}");
        let message = reply["message"].as_str().unwrap_or_default();
        assert!(message.contains(needle), "{path} {body}: {message}");
    }
}

#[tokio::test]
async fn a_slow_glif_answers_running_then_poll_run_gets_the_result() {
    let emu = Emulator::start().await.unwrap();
    emu.state().store().plugins.slow_delay = Duration::from_millis(2500);
    let base = serve(&emu).await;
    let (status, reply) = call(&base, "/tools/slow", AUTH, r#"{"prompt": "clouds"}"#).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["status"], "running");
    let message = reply["message"].as_str().unwrap();
    let run_id = reply["run_id"].as_str().unwrap().to_owned();
    assert!(
        message.contains("poll_run") && message.contains(&run_id),
        "{message}"
    );

    let (status, started) = call(&base, "/tools/poem/start", AUTH, r#"{"topic": "owls"}"#).await;
    assert_eq!((status, started["status"].as_str()), (200, Some("running")));

    let mut last = Value::Null;
    for _ in 0..50 {
        let (status, reply) = call(&base, &format!("/runs/{run_id}"), AUTH, "").await;
        assert_eq!(status, 200, "{reply}");
        last = reply;
        if last["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(last["output"], "Rendered slowly: clouds", "{last}");
    let poem_id = started["run_id"].as_str().unwrap();
    let resp = http()
        .get(format!("{base}/plugins/glif/runs/{poem_id}"))
        .header("Authorization", AUTH.unwrap())
        .send()
        .await
        .unwrap();
    let poem: Value = resp.json().await.unwrap();
    assert_eq!(poem["status"], "succeeded", "{poem}");
    let (status, _) = call(&base, "/runs/run_unknown", AUTH, "").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_tool_naming_a_missing_input_is_refused_at_start_with_the_real_names() {
    let emu = Emulator::start().await.unwrap();
    let mut cfg = bridge_config(&emu, "https://bridge.example.com");
    cfg.tools = vec![tool("picture", "glif-image", Some(&["prompt", "colour"]))];
    let err = prepare(cfg).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, BridgeError::UnknownInput { .. }), "{err:?}");
    assert!(
        text.contains("\"colour\"") && text.contains("prompt, style"),
        "{text}"
    );

    let mut cfg = bridge_config(&emu, "https://bridge.example.com");
    cfg.tools = vec![tool("poem", "glif-text", Some(&["mood"]))];
    let err = prepare(cfg).await.unwrap_err().to_string();
    assert!(
        err.contains("\"topic\"") && err.contains("no default"),
        "{err}"
    );

    let mut cfg = bridge_config(&emu, "https://bridge.example.com");
    cfg.service_token = None;
    let err = prepare(cfg).await.unwrap_err().to_string();
    assert!(err.contains("COZE_BRIDGE_SERVICE_TOKEN"), "{err}");

    let mut cfg = bridge_config(&emu, "https://bridge.example.com");
    cfg.tools = vec![tool("x", "no-such-glif", None)];
    let err = prepare(cfg).await.unwrap_err();
    assert!(matches!(err, BridgeError::Glif { .. }), "{err:?}");

    // Blank texts would give a document Coze's import refuses (summary, info).
    let mut cfg = bridge_config(&emu, "https://bridge.example.com");
    cfg.tools[0].description = " ".into();
    let err = prepare(cfg).await.unwrap_err().to_string();
    assert!(err.contains("\"poem\" has an empty description"), "{err}");
    let mut cfg = bridge_config(&emu, "https://bridge.example.com");
    cfg.description = String::new();
    let err = prepare(cfg).await.unwrap_err().to_string();
    assert!(err.contains("title and description"), "{err}");
}

/// A streamed chat with the emulator's plugin bot, as raw SSE text.
async fn chat(emu: &Emulator, text: &str) -> String {
    let body = json!({
        "bot_id": emu.bots().plugin,
        "user_id": "tester",
        "stream": true,
        "additional_messages": [{"role": "user", "content": text, "content_type": "text"}],
    });
    let resp = http()
        .post(format!("{}/v3/chat", emu.base_url()))
        .bearer_auth(emu.pat())
        .json(&body)
        .send()
        .await
        .unwrap();
    resp.text().await.unwrap()
}

/// Reads a streamed chat and returns the completed answer's content.
fn completed_answer(sse: &str) -> Option<String> {
    completed(sse, "answer")
}

/// The content of the first completed message of type `kind`.
fn completed(sse: &str, kind: &str) -> Option<String> {
    let mut event = "";
    for line in sse.lines() {
        if let Some(name) = line.strip_prefix("event:") {
            event = name.trim();
        } else if let Some(data) = line.strip_prefix("data:") {
            if event != "conversation.message.completed" {
                continue;
            }
            let msg: Value = serde_json::from_str(data.trim()).ok()?;
            if msg["type"] == kind {
                return msg["content"].as_str().map(str::to_owned);
            }
        }
    }
    None
}

#[tokio::test]
async fn full_chain_coze_bot_to_bridge_to_glif() {
    let emu = Emulator::start().await.unwrap();
    let base = serve(&emu).await;
    let import_url = format!("{}/_emulator/plugins/import", emu.base_url());
    let import = |url: String| {
        let req = http().post(&import_url).json(&json!({"url": url}));
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    // Before any import the bot says how to import one.
    let hint = completed_answer(&chat(&emu, "hello").await).expect("an answer");
    assert!(hint.contains("/_emulator/plugins/import"), "{hint}");
    // Not an OpenAPI document: refused with reasons.
    let refused = import(format!("{}/glif/api/glifs?id=glif-text", emu.base_url())).await;
    assert_eq!(refused["code"], 4000, "{refused}");
    let msg = refused["msg"].as_str().unwrap();
    assert!(
        msg.contains("openapi must be a 3.x") && msg.contains("servers must have exactly one"),
        "{msg}"
    );
    // The YAML document imports like the JSON one (the JSON import below is the one used).
    let from_yaml = import(format!("{base}/plugins/glif/openapi.yaml")).await;
    assert_eq!(from_yaml["code"], 0, "{from_yaml}");
    let names: Vec<&str> = from_yaml["data"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        names.contains(&"poem") && names.contains(&"poll_run"),
        "{names:?}"
    );

    let import: Value = http()
        .post(format!("{}/_emulator/plugins/import", emu.base_url()))
        .json(&json!({
            "url": format!("{base}/plugins/glif/openapi.json"),
            "service_token": format!("Bearer {SERVICE_TOKEN}"),
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(import["code"], 0, "{import}");

    let sse = chat(&emu, "poem: owls").await;
    let call: Value = serde_json::from_str(&completed(&sse, "function_call").unwrap()).unwrap();
    assert_eq!(
        (&call["name"], &call["arguments"]),
        (&json!("poem"), &json!({"topic": "owls"}))
    );
    let response: Value = serde_json::from_str(&completed(&sse, "tool_response").unwrap()).unwrap();
    assert_eq!(response["status"], "succeeded", "{response}");
    let answer = completed_answer(&sse).expect("an answer");
    assert_eq!(
        answer,
        "The tool poem returned: A cheerful poem about owls: roses bloom, foxes roam."
    );
    let answer = completed_answer(&chat(&emu, "picture: a red fox").await).expect("an answer");
    assert!(
        answer.contains("![image](http://") && answer.contains("/glif/media/glif-image-"),
        "{answer}"
    );
    assert_eq!(emu.state().store().plugins.glif_runs, 2);
}

/// Collects formatted log lines (the test's subscriber writes here).
#[derive(Clone, Default)]
struct LogBuf(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// One thread: the subscriber set for this test sees the server's tasks too.
#[tokio::test(flavor = "current_thread")]
async fn every_request_is_logged_with_glif_id_duration_and_outcome_and_no_token() {
    let logs = LogBuf::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let emu = Emulator::start().await.unwrap();
    let base = serve(&emu).await;
    assert_eq!(
        call(&base, "/tools/poem", AUTH, r#"{"topic": "owls"}"#)
            .await
            .0,
        200
    );
    assert_eq!(call(&base, "/tools/poem", AUTH, "{}").await.0, 400);
    assert_eq!(
        call(&base, "/tools/slow", AUTH, r#"{"prompt": "x"}"#)
            .await
            .0,
        200
    );
    assert_eq!(
        call(&base, "/tools/poem", Some("Bearer wrong"), "{}")
            .await
            .0,
        401
    );

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let requests: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("service=\"glif\"") && l.contains(" request"))
        .collect();
    assert_eq!(requests.len(), 4, "{text}");
    let expect = [
        (
            "status=200",
            "outcome=\"succeeded\"",
            "subject=\"glif-text\"",
        ),
        (
            "status=400",
            "outcome=\"bad_request\"",
            "subject=\"glif-text\"",
        ),
        ("status=200", "outcome=\"running\"", "subject=\"glif-slow\""),
        ("status=401", "outcome=\"unauthorized\"", "subject=\"-\""),
    ];
    for (line, (status, outcome, glif)) in requests.iter().zip(expect) {
        for needle in [status, outcome, glif, "duration_ms="] {
            assert!(line.contains(needle), "{needle} missing: {line}");
        }
    }
    assert!(!text.contains(SERVICE_TOKEN), "{text}");
    let glif_token = emu.info()["glif"]["token"].as_str().unwrap().to_owned();
    assert!(!text.contains(&glif_token), "{text}");
}
