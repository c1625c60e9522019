//! The web chat's API against the emulator: visitors and their cookies, isolation, limits,
//! uploads, origins and headers, tool calls, and tokens for Coze's Web SDK.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use coze_emulator::{Emulator, EmulatorConfig};
use coze_gateway::store::{SqliteStore, StoreHandle};
use coze_gateway::web::{WebConfig, WebState, routes, session};
use serde_json::{Value, json};

struct Web {
    emu: Emulator,
    url: String,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

/// The web service on 127.0.0.1:0 against a fresh emulator, with `extra` TOML in `[web]`.
/// Rate limits count in one-minute windows aligned to the clock; a burst that straddles a
/// window edge would see the count restart. Waits until at least 15 s remain in the window.
async fn clear_of_minute_edge() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let into = now.as_millis() % 60_000;
    if into > 45_000 {
        let wait = u64::try_from(60_000 - into).unwrap_or(0) + 200;
        tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
    }
}

async fn start(extra: &str) -> Web {
    start_with(EmulatorConfig::default(), extra).await
}

async fn start_with(config: EmulatorConfig, extra: &str) -> Web {
    let emu = Emulator::start_with(config).await.unwrap();
    let bots = emu.bots();
    let toml = format!(
        "bots = [\"{}\", \"{}\", \"{}\"]\n{extra}",
        bots.echo, bots.tool, bots.failing
    );
    let settings = toml::from_str::<WebConfig>(&toml)
        .unwrap()
        .settings()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = StoreHandle::new(
        SqliteStore::open(&dir.path().join("s.sqlite3"))
            .await
            .unwrap(),
    );
    let coze = coze_sdk::Client::builder()
        .base_url(emu.base_url())
        .token(emu.pat())
        .build()
        .unwrap();
    let info = emu.info();
    let jwt = settings.sdk_token.as_ref().map(|_| {
        let oauth = &info["oauth"];
        let key =
            coze_sdk::auth::JwtKey::from_pem_file(oauth["jwt_private_key_path"].as_str().unwrap())
                .unwrap();
        coze_sdk::auth::JwtApp::new(
            oauth["jwt_app_id"].as_str().unwrap(),
            oauth["jwt_key_id"].as_str().unwrap(),
            key,
        )
        .with_base_url(emu.base_url())
    });
    let state = WebState::from_parts(settings, store, coze, jwt);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = routes(state).into_make_service_with_connect_info::<SocketAddr>();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    Web {
        emu,
        url,
        http,
        _dir: dir,
    }
}

/// One browser: keeps the session cookie it is given.
struct Visitor<'a> {
    web: &'a Web,
    cookie: Option<String>,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl<'a> Visitor<'a> {
    fn new(web: &'a Web) -> Self {
        Visitor { web, cookie: None }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self
            .web
            .http
            .request(method, format!("{}{path}", self.web.url));
        if let Some(c) = &self.cookie {
            r = r.header("cookie", c);
        }
        r
    }

    async fn send(&mut self, r: reqwest::RequestBuilder) -> Answer {
        let resp = r.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if let Some(set) = headers.get("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap().to_string();
            self.cookie = Some(pair);
        }
        let text = resp.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        let r = self.request(reqwest::Method::GET, path);
        self.send(r).await
    }

    async fn post(&mut self, path: &str, body: Value) -> Answer {
        let r = self.request(reqwest::Method::POST, path).json(&body);
        self.send(r).await
    }

    async fn new_conversation(&mut self, bot: &str) -> String {
        let a = self
            .post("/api/conversations", json!({"bot_id": bot}))
            .await;
        assert_eq!(a.status, 200, "{}", a.body);
        a.body["id"].as_str().unwrap().to_string()
    }

    /// Sends a message; returns the SSE events as (name, data).
    async fn chat(&mut self, conversation: &str, text: &str) -> (u16, Vec<(String, Value)>) {
        let a = self
            .post(
                "/api/chat",
                json!({"conversation_id": conversation, "text": text}),
            )
            .await;
        if a.status != 200 {
            return (a.status, vec![("http".into(), a.body)]);
        }
        let text = a.body.as_str().unwrap_or_default().to_string();
        let mut events = Vec::new();
        for block in text.split("\n\n") {
            let mut name = String::new();
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = v.trim().to_string();
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            if !name.is_empty() {
                events.push((name, serde_json::from_str(&data).unwrap_or(Value::Null)));
            }
        }
        (200, events)
    }
}

fn find<'e>(events: &'e [(String, Value)], name: &str) -> Option<&'e Value> {
    events.iter().find(|(n, _)| n == name).map(|(_, d)| d)
}

#[tokio::test]
async fn a_visitor_chats_and_sees_only_their_own_conversations() {
    let web = start("").await;
    let echo = web.emu.bots().echo.clone();
    let mut alice = Visitor::new(&web);
    let session = alice.get("/api/session").await;
    assert_eq!(session.status, 200);
    let set = session.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    assert!(!set.contains(web.emu.pat()), "no Coze token in a cookie");
    let names: Vec<&str> = session.body["bots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Echo", "Tool", "Failing"]);
    assert!(!session.body.to_string().contains(web.emu.pat()));

    let conv = alice.new_conversation(&echo).await;
    let (status, events) = alice.chat(&conv, "hello there").await;
    assert_eq!(status, 200, "{events:?}");
    let streamed: String = events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert!(streamed.contains("hello there"), "{events:?}");
    assert_eq!(find(&events, "title").unwrap()["title"], "hello there");
    assert!(find(&events, "chat").unwrap()["chat_id"].is_string());
    assert!(find(&events, "follow_up").is_some());
    assert_eq!(events.last().unwrap().0, "done");

    let history = alice
        .get(&format!("/api/conversations/{conv}/messages"))
        .await;
    let roles: Vec<&str> = history.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant"]);
    let list = alice.get("/api/conversations").await;
    assert_eq!(list.body["conversations"][0]["id"], conv.as_str());
    assert_eq!(list.body["conversations"][0]["title"], "hello there");

    // Bob, another browser, sees none of it, and alice's conversation id is "not found".
    let mut bob = Visitor::new(&web);
    assert_eq!(
        bob.get("/api/conversations").await.body["conversations"],
        json!([])
    );
    let not_found = [
        bob.get(&format!("/api/conversations/{conv}/messages"))
            .await,
        bob.chat(&conv, "mine?").await.into_answer(),
        {
            let r = bob
                .request(
                    reqwest::Method::PATCH,
                    &format!("/api/conversations/{conv}"),
                )
                .json(&json!({"title": "stolen"}));
            bob.send(r).await
        },
        {
            let r = bob.request(
                reqwest::Method::DELETE,
                &format!("/api/conversations/{conv}"),
            );
            bob.send(r).await
        },
        bob.post(
            "/api/chat/cancel",
            json!({"conversation_id": conv, "chat_id": "1"}),
        )
        .await,
    ];
    for answer in not_found {
        assert_eq!(answer.status, 404, "{}", answer.body);
        assert!(!answer.body.to_string().contains("hello there"));
    }
    // Still alice's, unchanged.
    let list = alice.get("/api/conversations").await;
    assert_eq!(list.body["conversations"][0]["title"], "hello there");

    // A tampered cookie is a new visitor, not alice.
    let mut mallory = Visitor::new(&web);
    let good = alice.cookie.clone().unwrap();
    let last = good.chars().last().unwrap();
    mallory.cookie = Some(format!(
        "{}{}",
        &good[..good.len() - 1],
        if last == 'A' { 'B' } else { 'A' }
    ));
    let list = mallory.get("/api/conversations").await;
    assert_eq!(list.body["conversations"], json!([]));
    assert_ne!(
        mallory.cookie.as_deref(),
        Some(good.as_str()),
        "a new cookie"
    );

    // Rename and delete by the owner.
    let r = alice
        .request(
            reqwest::Method::PATCH,
            &format!("/api/conversations/{conv}"),
        )
        .json(&json!({"title": "Greetings"}));
    assert_eq!(alice.send(r).await.body["title"], "Greetings");
    let r = alice.request(
        reqwest::Method::DELETE,
        &format!("/api/conversations/{conv}"),
    );
    assert_eq!(alice.send(r).await.status, 200);
    assert_eq!(
        alice.get("/api/conversations").await.body["conversations"],
        json!([])
    );
}

trait IntoAnswer {
    fn into_answer(self) -> Answer;
}

impl IntoAnswer for (u16, Vec<(String, Value)>) {
    fn into_answer(self) -> Answer {
        Answer {
            status: self.0,
            headers: reqwest::header::HeaderMap::new(),
            body: self
                .1
                .into_iter()
                .next()
                .map(|(_, v)| v)
                .unwrap_or(Value::Null),
        }
    }
}

#[tokio::test]
async fn limits_answer_with_a_clear_message() {
    let web = start("visitor_messages_per_minute = 2\nmax_message_chars = 20\n").await;
    let echo = web.emu.bots().echo.clone();
    let mut v = Visitor::new(&web);
    let conv = v.new_conversation(&echo).await;
    clear_of_minute_edge().await;
    let (status, events) = v.chat(&conv, &"x".repeat(21)).await;
    assert_eq!(status, 413);
    assert!(
        events[0].1["error"]["message"]
            .as_str()
            .unwrap()
            .contains("20 at most"),
        "{events:?}"
    );
    assert_eq!(v.chat(&conv, "one").await.0, 200);
    assert_eq!(v.chat(&conv, "two").await.0, 200);
    let r = v
        .request(reqwest::Method::POST, "/api/chat")
        .header("accept-language", "zh-CN,zh;q=0.9")
        .json(&json!({"conversation_id": conv, "text": "three"}));
    let limited = v.send(r).await;
    assert_eq!(limited.status, 429);
    assert!(limited.headers.contains_key("retry-after"));
    assert!(
        limited.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("发送太频繁"),
        "{}",
        limited.body
    );
    // Another visitor is not limited by the first one's count.
    let mut other = Visitor::new(&web);
    let conv2 = other.new_conversation(&echo).await;
    assert_eq!(other.chat(&conv2, "hi").await.0, 200);
}

#[tokio::test]
async fn the_per_ip_limit_holds_across_visitors() {
    let web = start(
        "ip_messages_per_minute = 2
",
    )
    .await;
    let echo = web.emu.bots().echo.clone();
    let mut statuses = Vec::new();
    clear_of_minute_edge().await;
    for _ in 0..3 {
        // A new browser each time (new cookie), all from 127.0.0.1.
        let mut v = Visitor::new(&web);
        let conv = v.new_conversation(&echo).await;
        statuses.push(v.chat(&conv, "hi").await.0);
    }
    assert_eq!(statuses, [200, 200, 429]);
}

#[tokio::test]
async fn uploads_are_checked_and_owned() {
    let web = start("max_file_mb = 1\n").await;
    let echo = web.emu.bots().echo.clone();
    let mut v = Visitor::new(&web);
    v.get("/api/session").await;
    let png = [0x89, b'P', b'N', b'G', 13, 10, 26, 10, 0, 0, 0, 0];
    let upload = |name: &str, mime: &str, bytes: Vec<u8>| {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(name.to_string())
            .mime_str(mime)
            .unwrap();
        reqwest::multipart::Form::new().part("file", part)
    };
    let r = v
        .request(reqwest::Method::POST, "/api/files")
        .multipart(upload("cat.png", "image/png", png.to_vec()));
    let ok = v.send(r).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["kind"], "image");
    let file_id = ok.body["id"].as_str().unwrap().to_string();

    let r = v
        .request(reqwest::Method::POST, "/api/files")
        .multipart(upload("x.html", "text/html", b"<script>".to_vec()));
    assert_eq!(v.send(r).await.status, 415);
    let r = v
        .request(reqwest::Method::POST, "/api/files")
        .multipart(upload("big.png", "image/png", vec![0; 1024 * 1024 + 10]));
    let big = v.send(r).await;
    assert_eq!(big.status, 413, "{}", big.body);

    let conv = v.new_conversation(&echo).await;
    let a = v
        .post(
            "/api/chat",
            json!({"conversation_id": conv, "text": "see", "files": [{"id": file_id}]}),
        )
        .await;
    assert_eq!(a.status, 200);
    assert!(a.body.as_str().unwrap().contains("cat.png"), "{}", a.body);
    let history = v.get(&format!("/api/conversations/{conv}/messages")).await;
    assert_eq!(
        history.body["messages"][0]["files"][0],
        json!({"kind": "image", "name": "cat.png"})
    );

    // Another visitor cannot attach it.
    let mut other = Visitor::new(&web);
    let conv2 = other.new_conversation(&echo).await;
    let stolen = other
        .post(
            "/api/chat",
            json!({"conversation_id": conv2, "text": "see", "files": [{"id": file_id}]}),
        )
        .await;
    assert_eq!(stolen.status, 404);
}

#[tokio::test]
async fn origins_headers_and_the_page() {
    let web = start("allowed_origins = [\"https://shop.example\"]\n").await;
    let mut v = Visitor::new(&web);
    let page = v.get("/").await;
    assert_eq!(page.status, 200);
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(
        csp.contains("frame-ancestors 'self' https://shop.example"),
        "{csp}"
    );
    assert_eq!(page.headers["x-content-type-options"], "nosniff");
    assert!(page.body.as_str().unwrap().contains("assets/app.js"));
    for asset in [
        "/assets/app.js",
        "/assets/markdown.js",
        "/assets/app.css",
        "/embed.js",
    ] {
        assert_eq!(v.get(asset).await.status, 200, "{asset}");
    }
    assert_eq!(v.get("/assets/nope.js").await.status, 404);

    let r = v
        .request(reqwest::Method::POST, "/api/conversations")
        .header("origin", "https://evil.example")
        .json(&json!({}));
    let refused = v.send(r).await;
    assert_eq!(refused.status, 403);
    assert!(
        refused.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("allowed_origins")
    );
    let r = v
        .request(reqwest::Method::GET, "/api/session")
        .header("origin", "https://shop.example");
    let allowed = v.send(r).await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.headers["access-control-allow-origin"],
        "https://shop.example"
    );
    let own = web.url.clone();
    let r = v
        .request(reqwest::Method::POST, "/api/conversations")
        .header("origin", own)
        .json(&json!({}));
    assert_eq!(v.send(r).await.status, 200);

    // Without allowed origins the page cannot be framed at all.
    let closed = start("").await;
    let mut v = Visitor::new(&closed);
    let page = v.get("/").await;
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .ends_with("frame-ancestors 'none'")
    );
    assert_eq!(page.headers["x-frame-options"], "DENY");
}

#[tokio::test]
async fn tool_calls_go_to_the_operator_handler_or_get_the_documented_error() {
    // The operator's handler: answers with the arguments it got.
    let handler = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let handler_url = format!("http://{}/weather", handler.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/weather",
        axum::routing::post(
            |headers: axum::http::HeaderMap, body: axum::Json<Value>| async move {
                let auth = headers
                    .get("authorization")
                    .map(|v| v.to_str().unwrap().to_string());
                axum::Json(json!({
                    "sunny_in": body.0["arguments"]["location"],
                    "auth": auth,
                    "user": body.0["user_id"],
                }))
            },
        ),
    );
    tokio::spawn(async move { axum::serve(handler, app).await });

    let without = start("").await;
    let tool = without.emu.bots().tool.clone();
    let mut v = Visitor::new(&without);
    let conv = v.new_conversation(&tool).await;
    let (_, events) = v.chat(&conv, "Paris").await;
    assert_eq!(
        find(&events, "tool").unwrap(),
        &json!({"name": "get_weather", "available": false})
    );
    let answer = find(&events, "answer").unwrap()["text"].as_str().unwrap();
    assert!(answer.contains("tool_unavailable"), "{answer}");

    let with = start(&format!(
        "[tools.get_weather]\nurl = \"{handler_url}\"\ntoken = \"handler-secret\"\n"
    ))
    .await;
    let tool = with.emu.bots().tool.clone();
    let mut v = Visitor::new(&with);
    let conv = v.new_conversation(&tool).await;
    let (_, events) = v.chat(&conv, "Paris").await;
    assert_eq!(find(&events, "tool").unwrap()["available"], true);
    let answer = find(&events, "answer").unwrap()["text"].as_str().unwrap();
    assert!(answer.contains("\"sunny_in\":\"Paris\""), "{answer}");
    assert!(answer.contains("Bearer handler-secret"), "{answer}");
    assert!(answer.contains("\"user\":\"v_"), "{answer}");
}

#[tokio::test]
async fn a_failing_bot_gives_the_visitor_a_friendly_message() {
    let web = start("").await;
    let failing = web.emu.bots().failing.clone();
    let mut v = Visitor::new(&web);
    let conv = v.new_conversation(&failing).await;
    let (_, events) = v.chat(&conv, "hi").await;
    let message = find(&events, "error").unwrap()["message"].as_str().unwrap();
    assert!(message.contains("could not answer"), "{message}");
    assert!(!message.contains("5000"), "the code is for the log");
    assert_eq!(events.last().unwrap().1["status"], "failed");
}

#[tokio::test]
async fn stopping_cancels_the_coze_chat() {
    let web = start_with(
        EmulatorConfig {
            pace: coze_emulator::Pace::Custom {
                first_token_ms: 0,
                delta_interval_ms: 200,
            },
            ..EmulatorConfig::default()
        },
        "",
    )
    .await;
    let echo = web.emu.bots().echo.clone();
    let mut v = Visitor::new(&web);
    let conv = v.new_conversation(&echo).await;
    let resp = v
        .request(reqwest::Method::POST, "/api/chat")
        .json(&json!({"conversation_id": conv, "text": "a long story"}))
        .send()
        .await
        .unwrap();
    let mut body = resp.bytes_stream();
    use futures_util::StreamExt as _;
    let mut seen = String::new();
    while !seen.contains("event: chat") && !seen.contains("event:chat") {
        seen.push_str(std::str::from_utf8(&body.next().await.unwrap().unwrap()).unwrap());
    }
    let chat_id = seen
        .split("\"chat_id\":\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let stopped = v
        .post(
            "/api/chat/cancel",
            json!({"conversation_id": conv, "chat_id": chat_id}),
        )
        .await;
    assert_eq!(stopped.status, 200, "{}", stopped.body);
    assert_eq!(stopped.body["status"], "canceled");
    drop(body);
    // The conversation is free again at once.
    assert_eq!(v.chat(&conv, "again").await.0, 200);
}

// ---------------------------------------------------------------- Web SDK tokens

async fn coze_get(web: &Web, token: &str, path: &str) -> Value {
    web.http
        .get(format!("{}{path}", web.emu.base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn coze_post(web: &Web, token: &str, path: &str, body: Value) -> Value {
    web.http
        .post(format!("{}{path}", web.emu.base_url()))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn sdk_tokens_are_per_visitor_scoped_and_limited() {
    let web = start(
        "[sdk_token]\nduration_seconds = 600\nper_minute = 3\nlogin_secret = \"shared secret of the operator backend\"\n",
    )
    .await;
    let bots = web.emu.bots();

    // No session, no token.
    let mut stranger = Visitor::new(&web);
    let refused = stranger.post("/api/sdk-token", json!({})).await;
    assert_eq!(refused.status, 401);
    assert!(stranger.cookie.is_none(), "no session is made here");

    let mut alice = Visitor::new(&web);
    alice.get("/api/session").await;
    let mut bob = Visitor::new(&web);
    bob.get("/api/session").await;
    // Alice's three tokens below must fall in one window of the per-minute limit.
    clear_of_minute_edge().await;
    let token_a = alice.post("/api/sdk-token", json!({})).await;
    assert_eq!(token_a.status, 200, "{}", token_a.body);
    let expires_in = token_a.body["expires_in"].as_u64().unwrap();
    assert!((590..=600).contains(&expires_in), "{expires_in}");
    let a = token_a.body["access_token"].as_str().unwrap().to_string();
    assert!(a.starts_with("czs_"));
    let b = bob.post("/api/sdk-token", json!({})).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    // Each token works in the Coze API and sees only its own visitor's conversations.
    let conv_a = coze_post(
        &web,
        &a,
        "/v1/conversation/create",
        json!({"bot_id": bots.echo}),
    )
    .await["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let conv_b = coze_post(
        &web,
        &b,
        "/v1/conversation/create",
        json!({"bot_id": bots.echo}),
    )
    .await["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let list = |t: &str| {
        let t = t.to_string();
        let path = format!("/v1/conversations?bot_id={}", bots.echo);
        let web = &web;
        async move {
            coze_get(web, &t, &path).await["data"]["conversations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(list(&a).await, std::slice::from_ref(&conv_a));
    assert_eq!(list(&b).await, std::slice::from_ref(&conv_b));
    let peek = coze_get(
        &web,
        &b,
        &format!("/v1/conversation/retrieve?conversation_id={conv_a}"),
    )
    .await;
    assert_eq!(peek["code"], 4200);

    // The token may chat with the configured bots only.
    let chat = |bot: &str| {
        json!({"bot_id": bot, "user_id": "x", "additional_messages": [
            {"role": "user", "content": "hi", "content_type": "text"}]})
    };
    assert_eq!(
        coze_post(&web, &a, "/v3/chat", chat(&bots.echo)).await["code"],
        0
    );
    assert_eq!(
        coze_post(&web, &a, "/v3/chat", chat(&bots.plugin)).await["code"],
        4101
    );

    // The endpoint's own limit (3 per minute per visitor).
    alice.post("/api/sdk-token", json!({})).await;
    alice.post("/api/sdk-token", json!({})).await;
    let limited = alice.post("/api/sdk-token", json!({})).await;
    assert_eq!(limited.status, 429, "{}", limited.body);

    // The operator's own login: an HS256 JWT from their backend.
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 60;
    let login = session::sign_login(
        &json!({"sub": "shop-user-42", "exp": exp}),
        b"shared secret of the operator backend",
    );
    let r = stranger
        .request(reqwest::Method::POST, "/api/sdk-token")
        .bearer_auth(&login);
    let by_login = stranger.send(r).await;
    assert_eq!(by_login.status, 200, "{}", by_login.body);
    assert_eq!(by_login.body["user_id"], "u_shop-user-42");
    let forged = session::sign_login(&json!({"sub": "shop-user-42", "exp": exp}), b"guess");
    let r = stranger
        .request(reqwest::Method::POST, "/api/sdk-token")
        .bearer_auth(&forged);
    assert_eq!(stranger.send(r).await.status, 401);
}
