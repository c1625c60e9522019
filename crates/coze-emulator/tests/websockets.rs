//! The WebSocket APIs on the wire (`/v1/chat`, `/v1/audio/speech`, `/v1/audio/transcriptions`)
//! with tokio-tungstenite as the client: envelopes, audio that round-trips through the tone
//! codec, refusals, and that nothing drops the connection but the client.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use base64::Engine as _;
use coze_emulator::{Emulator, tone};
use futures_util::{SinkExt as _, StreamExt as _};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

fn ws_url(emu: &Emulator, path: &str) -> String {
    format!("{}{path}", emu.base_url().replacen("http://", "ws://", 1))
}

async fn connect(emu: &Emulator, path: &str) -> Ws {
    let mut request = ws_url(emu, path).into_client_request().unwrap();
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {}", emu.pat()).parse().unwrap(),
    );
    let (ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.status(), 101);
    ws
}

async fn send(ws: &mut Ws, event_type: &str, data: Option<Value>) {
    let mut event = json!({"id": "client-1", "event_type": event_type});
    if let Some(data) = data {
        event["data"] = data;
    }
    ws.send(Message::Text(event.to_string().into()))
        .await
        .unwrap();
}

/// The next server event (checked envelope), or `None` when the server closed.
async fn next(ws: &mut Ws) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("an event within 10 s")?;
        match message.unwrap() {
            Message::Text(text) => {
                let event: Value = serde_json::from_str(&text).unwrap();
                assert!(
                    event["id"].as_str().is_some_and(|id| id.len() == 36),
                    "{event}"
                );
                assert!(event["event_type"].is_string(), "{event}");
                let logid = event["detail"]["logid"].as_str().unwrap_or_default();
                assert_eq!(logid.len(), 34, "{event}");
                return Some(event);
            }
            Message::Close(_) => return None,
            _ => {}
        }
    }
}

/// Events up to and including the first `last`.
async fn until(ws: &mut Ws, last: &str) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let event = next(ws)
            .await
            .unwrap_or_else(|| panic!("closed before {last}: {events:?}"));
        let done = event["event_type"] == last;
        events.push(event);
        if done {
            return events;
        }
    }
}

fn types(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect()
}

fn of<'a>(events: &'a [Value], event_type: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["event_type"] == event_type)
        .collect()
}

/// The PCM of the `conversation.audio.delta` events, decoded by the tone codec.
fn heard(events: &[Value], field: &str, rate: u32) -> Option<String> {
    let mut pcm = Vec::new();
    for e in events {
        if e["event_type"] == "conversation.audio.delta" || e["event_type"] == "speech.audio.update"
        {
            pcm.extend(B64.decode(e["data"][field].as_str().unwrap()).unwrap());
        }
    }
    let samples: Vec<i16> = pcm
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    tone::decode_pcm(&samples, rate)
}

#[tokio::test]
async fn text_chat_streams_the_answer_and_speaks_it() {
    let emu = Emulator::start().await.unwrap();
    let mut ws = connect(&emu, &format!("/v1/chat?bot_id={}", emu.bots().echo)).await;
    assert_eq!(next(&mut ws).await.unwrap()["event_type"], "chat.created");
    send(
        &mut ws,
        "chat.update",
        Some(json!({"output_audio": {"codec": "pcm", "pcm_config": {"sample_rate": 16000}, "speech_rate": 50},
                    "chat_config": {"user_id": "ws-user", "meta_data": {"k": "v"}}})),
    )
    .await;
    let updated = next(&mut ws).await.unwrap();
    assert_eq!(updated["event_type"], "chat.updated");
    assert_eq!(
        updated["data"]["output_audio"]["pcm_config"]["sample_rate"],
        16000
    );
    assert_eq!(updated["data"]["chat_config"]["user_id"], "ws-user");
    // The settings in effect, defaults filled in.
    assert_eq!(updated["data"]["output_audio"]["speech_rate"], 50);
    assert_eq!(
        updated["data"]["input_audio"],
        json!({"format": "wav", "codec": "pcm", "sample_rate": 24000, "channel": 1, "bit_depth": 16})
    );

    send(
        &mut ws,
        "conversation.message.create",
        Some(json!({"role": "user", "content_type": "text", "content": "hello socket"})),
    )
    .await;
    let events = until(&mut ws, "conversation.chat.completed").await;
    let t = types(&events);
    assert_eq!(t[0], "conversation.message.completed", "{t:?}");
    assert_eq!(events[0]["data"]["role"], "user");
    assert_eq!(events[0]["data"]["content"], "hello socket");
    assert_eq!(
        &t[1..3],
        ["conversation.chat.created", "conversation.chat.in_progress"]
    );
    let answer: String = of(&events, "conversation.message.delta")
        .iter()
        .map(|e| e["data"]["content"].as_str().unwrap())
        .collect();
    assert!(
        answer.starts_with("You said: \"hello socket\"."),
        "{answer}"
    );
    let completed = of(&events, "conversation.message.completed");
    assert!(
        completed
            .iter()
            .any(|e| e["data"]["type"] == "answer" && e["data"]["content"] == answer.as_str())
    );
    // The answer as audio, after the answer is complete, then audio.completed, then the chat.
    let audio = t
        .iter()
        .position(|e| *e == "conversation.audio.delta")
        .unwrap();
    let answer_done = completed
        .iter()
        .position(|e| e["data"]["type"] == "answer")
        .unwrap();
    assert!(
        t.iter()
            .position(|e| *e == "conversation.message.completed")
            .unwrap()
            <= audio
    );
    assert!(answer_done < completed.len());
    let audio_done = t
        .iter()
        .position(|e| *e == "conversation.audio.completed")
        .unwrap();
    assert!(audio < audio_done && audio_done < t.len() - 1);
    assert_eq!(
        heard(&events, "content", 16000).as_deref(),
        Some(answer.as_str())
    );
    let deltas = of(&events, "conversation.audio.delta");
    assert!(deltas.len() > 1);
    assert_eq!(deltas[0]["data"]["content_type"], "audio");
    let chat = &events.last().unwrap()["data"];
    assert_eq!(chat["status"], "completed");
    assert_eq!(chat["meta_data"]["k"], "v");

    // The conversation is a real one: REST sees both messages.
    let conversation = chat["conversation_id"].as_str().unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let list: Value = http
        .post(format!(
            "{}/v1/conversation/message/list?conversation_id={conversation}",
            emu.base_url()
        ))
        .bearer_auth(emu.pat())
        .json(&json!({}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let contents: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert!(contents.contains(&"hello socket"), "{contents:?}");

    // A second question in the same connection continues the same conversation.
    send(
        &mut ws,
        "conversation.message.create",
        Some(json!({"content": "and again", "content_type": "text", "role": "user"})),
    )
    .await;
    let events = until(&mut ws, "conversation.chat.completed").await;
    let answer: String = of(&events, "conversation.message.delta")
        .iter()
        .map(|e| e["data"]["content"].as_str().unwrap())
        .collect();
    assert!(
        answer.contains("Earlier in this conversation you said: \"hello socket\""),
        "{answer}"
    );
    assert_eq!(
        events.last().unwrap()["data"]["conversation_id"],
        conversation
    );
}

#[tokio::test]
async fn audio_in_is_transcribed_into_the_question() {
    let emu = Emulator::start().await.unwrap();
    let mut ws = connect(&emu, &format!("/v1/chat?bot_id={}", emu.bots().echo)).await;
    next(&mut ws).await.unwrap();
    // Raw PCM at 8 kHz, declared in chat.update, sent in several appends.
    send(
        &mut ws,
        "chat.update",
        Some(json!({"input_audio": {"format": "pcm", "codec": "pcm", "sample_rate": 8000}})),
    )
    .await;
    assert_eq!(next(&mut ws).await.unwrap()["event_type"], "chat.updated");
    let samples = tone::pcm("what time is it", 8000, 1.0);
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    for chunk in bytes.chunks(4000) {
        send(
            &mut ws,
            "input_audio_buffer.append",
            Some(json!({"delta": B64.encode(chunk)})),
        )
        .await;
    }
    send(&mut ws, "input_audio_buffer.complete", None).await;
    let events = until(&mut ws, "conversation.chat.completed").await;
    let t = types(&events);
    assert_eq!(
        &t[..4],
        [
            "input_audio_buffer.completed",
            "conversation.audio_transcript.update",
            "conversation.audio_transcript.completed",
            "conversation.message.completed"
        ]
    );
    assert_eq!(events[2]["data"]["content"], "what time is it");
    assert_eq!(events[3]["data"]["content"], "what time is it");
    let answer: String = of(&events, "conversation.message.delta")
        .iter()
        .map(|e| e["data"]["content"].as_str().unwrap())
        .collect();
    assert!(
        answer.starts_with("You said: \"what time is it\"."),
        "{answer}"
    );

    // A WAV file in one append works too; clear empties the buffer.
    send(
        &mut ws,
        "input_audio_buffer.append",
        Some(json!({"delta": B64.encode(b"junk")})),
    )
    .await;
    send(&mut ws, "input_audio_buffer.clear", None).await;
    assert_eq!(
        next(&mut ws).await.unwrap()["event_type"],
        "input_audio_buffer.cleared"
    );
    let wav = tone::encode("from a wav", 24000, 1.0);
    send(
        &mut ws,
        "input_audio_buffer.append",
        Some(json!({"delta": B64.encode(&wav)})),
    )
    .await;
    send(&mut ws, "input_audio_buffer.complete", None).await;
    let events = until(&mut ws, "conversation.chat.completed").await;
    assert_eq!(
        of(&events, "conversation.audio_transcript.completed")[0]["data"]["content"],
        "from a wav"
    );
}

#[tokio::test]
async fn bad_events_get_error_events_and_the_connection_stays() {
    let emu = Emulator::start().await.unwrap();
    let mut ws = connect(&emu, &format!("/v1/chat?bot_id={}", emu.bots().echo)).await;
    next(&mut ws).await.unwrap();
    let bad: Vec<(Message, &str)> = vec![
        (Message::Text("not json".into()), "not valid JSON"),
        (
            Message::Text(r#"{"event_type":"no.such.event"}"#.into()),
            "unknown event_type",
        ),
        (
            Message::Text(
                r#"{"event_type":"input_audio_buffer.append","data":{"delta":"***"}}"#.into(),
            ),
            "not base64",
        ),
        (
            Message::Text(r#"{"event_type":"input_audio_buffer.complete"}"#.into()),
            "buffer is empty",
        ),
        (
            Message::Text(
                r#"{"event_type":"chat.update","data":{"output_audio":{"codec":"opus"}}}"#.into(),
            ),
            "pcm",
        ),
        (
            Message::Text(
                r#"{"event_type":"chat.update","data":{"chat_config":{"conversation_id":"123"}}}"#
                    .into(),
            ),
            "123",
        ),
        (
            Message::Text(r#"{"event_type":"conversation.chat.cancel"}"#.into()),
            "nothing to cancel",
        ),
        (Message::Binary(vec![1, 2, 3].into()), "binary frames"),
    ];
    for (message, says) in bad {
        let raw = match &message {
            Message::Text(t) => t.to_string(),
            _ => String::new(),
        };
        ws.send(message).await.unwrap();
        let event = next(&mut ws).await.expect("still open");
        assert_eq!(event["event_type"], "error", "{raw}");
        assert!(event["data"]["code"].as_i64().unwrap() >= 4000, "{event}");
        let msg = event["data"]["msg"].as_str().unwrap();
        assert!(msg.contains(says), "{raw}: {msg}");
        if !raw.is_empty() {
            assert_eq!(event["detail"]["origin_message"], raw.as_str());
        }
    }
    // Still usable.
    send(
        &mut ws,
        "conversation.message.create",
        Some(json!({"content": "still here", "content_type": "text", "role": "user"})),
    )
    .await;
    let events = until(&mut ws, "conversation.chat.completed").await;
    assert_eq!(events.last().unwrap()["data"]["status"], "completed");
}

#[tokio::test]
async fn auth_and_bot_refusals() {
    let emu = Emulator::start().await.unwrap();
    let url = ws_url(&emu, &format!("/v1/chat?bot_id={}", emu.bots().echo));
    // No token, a wrong token: the handshake is refused with 401 and the 4100 body.
    for token in [None, Some("pat_wrong")] {
        let mut request = url.as_str().into_client_request().unwrap();
        if let Some(t) = token {
            request
                .headers_mut()
                .insert("Authorization", format!("Bearer {t}").parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                assert_eq!(response.status(), 401);
                assert!(response.headers().contains_key("x-tt-logid"));
                let body: Value =
                    serde_json::from_slice(response.body().as_deref().unwrap_or_default()).unwrap();
                assert_eq!(body["code"], 4100);
            }
            other => panic!("expected a refused handshake, got {other:?}"),
        }
    }
    // The token in the query, as @coze/api sends it from browsers.
    let query = format!("{url}&authorization=Bearer%20{}", emu.pat());
    let (mut ws, _) = tokio_tungstenite::connect_async(query.as_str())
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await.unwrap()["event_type"], "chat.created");

    // Unknown, unpublished or missing bot: an error event, then the server closes.
    for (path, code) in [
        ("/v1/chat?bot_id=7000000000000000000".to_string(), 4200),
        (format!("/v1/chat?bot_id={}", emu.bots().unpublished), 4015),
        ("/v1/chat".to_string(), 4000),
        (
            format!("/v1/chat?bot_id={}&workflow_id=1", emu.bots().echo),
            4000,
        ),
    ] {
        let mut ws = connect(&emu, &path).await;
        let event = next(&mut ws).await.unwrap();
        assert_eq!(event["event_type"], "error", "{path}");
        assert_eq!(event["data"]["code"], code, "{path}: {event}");
        assert!(
            next(&mut ws).await.is_none(),
            "{path}: closed after the error"
        );
    }

    // The request faults of /_emulator/faults refuse the handshake (here: 429, code 4013).
    let fault: coze_emulator::FaultConfig = serde_json::from_value(
        json!({"rate_limit": {"count": 1, "path_prefix": "/v1/audio/speech"}}),
    )
    .unwrap();
    emu.faults().set(fault);
    let mut request = ws_url(&emu, "/v1/audio/speech")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Authorization",
        format!("Bearer {}", emu.pat()).parse().unwrap(),
    );
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429)
        }
        other => panic!("expected 429, got {other:?}"),
    }
    let mut ws = connect(&emu, "/v1/audio/speech").await;
    assert_eq!(next(&mut ws).await.unwrap()["event_type"], "speech.created");

    // A plain GET is told to use a WebSocket client.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let resp = http
        .get(format!("{}/v1/audio/speech", emu.base_url()))
        .bearer_auth(emu.pat())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["msg"].as_str().unwrap().contains("WebSocket"),
        "{body}"
    );
}

#[tokio::test]
async fn cancel_stops_the_answer() {
    let emu = Emulator::start().await.unwrap();
    emu.state().set_pace(coze_emulator::Pace::Custom {
        first_token_ms: 300,
        delta_interval_ms: 50,
    });
    let mut ws = connect(&emu, &format!("/v1/chat?bot_id={}", emu.bots().echo)).await;
    next(&mut ws).await.unwrap();
    send(
        &mut ws,
        "conversation.message.create",
        Some(
            json!({"content": "a long question to cancel", "content_type": "text", "role": "user"}),
        ),
    )
    .await;
    until(&mut ws, "conversation.chat.in_progress").await;
    send(&mut ws, "conversation.chat.cancel", None).await;
    let events = until(&mut ws, "conversation.chat.canceled").await;
    let t = types(&events);
    assert!(!t.contains(&"conversation.chat.completed"), "{t:?}");
    assert!(!t.contains(&"conversation.audio.completed"), "{t:?}");
    assert_eq!(events.last().unwrap()["data"]["code"], 0);
    // The next question is answered.
    emu.state().set_pace(coze_emulator::Pace::Fast);
    send(
        &mut ws,
        "conversation.message.create",
        Some(json!({"content": "after", "content_type": "text", "role": "user"})),
    )
    .await;
    let events = until(&mut ws, "conversation.chat.completed").await;
    assert_eq!(events.last().unwrap()["data"]["status"], "completed");
}

#[tokio::test]
async fn tool_calls_over_the_socket() {
    let emu = Emulator::start().await.unwrap();
    let mut ws = connect(&emu, &format!("/v1/chat?bot_id={}", emu.bots().tool)).await;
    next(&mut ws).await.unwrap();
    send(
        &mut ws,
        "conversation.message.create",
        Some(json!({"content": "Paris", "content_type": "text", "role": "user"})),
    )
    .await;
    let events = until(&mut ws, "conversation.chat.requires_action").await;
    let chat = &events.last().unwrap()["data"];
    let call = &chat["required_action"]["submit_tool_outputs"]["tool_calls"][0];
    send(
        &mut ws,
        "conversation.chat.submit_tool_outputs",
        Some(json!({"chat_id": chat["id"], "tool_outputs": [{"tool_call_id": call["id"], "output": "sunny"}]})),
    )
    .await;
    let events = until(&mut ws, "conversation.chat.completed").await;
    let answer: String = of(&events, "conversation.message.delta")
        .iter()
        .map(|e| e["data"]["content"].as_str().unwrap())
        .collect();
    assert!(answer.contains("sunny"), "{answer}");
}

#[tokio::test]
async fn speech_audio_transcribes_back() {
    let emu = Emulator::start().await.unwrap();
    let mut ws = connect(&emu, "/v1/audio/speech").await;
    assert_eq!(next(&mut ws).await.unwrap()["event_type"], "speech.created");
    send(&mut ws, "speech.update", Some(json!({"output_audio": {"codec": "pcm", "pcm_config": {"sample_rate": 22050}, "speech_rate": -20}}))).await;
    let updated = next(&mut ws).await.unwrap();
    assert_eq!(updated["event_type"], "speech.updated");
    assert_eq!(updated["data"]["output_audio"]["speech_rate"], -20);
    for piece in ["今天天气", "不错, ", "isn't it?"] {
        send(
            &mut ws,
            "input_text_buffer.append",
            Some(json!({"delta": piece})),
        )
        .await;
    }
    send(&mut ws, "input_text_buffer.complete", None).await;
    let events = until(&mut ws, "speech.audio.completed").await;
    let t = types(&events);
    assert_eq!(t[0], "input_text_buffer.completed");
    assert!(
        t[1..t.len() - 1]
            .iter()
            .all(|e| *e == "speech.audio.update"),
        "{t:?}"
    );
    assert!(t.len() > 3);
    assert_eq!(
        heard(&events, "delta", 22050).as_deref(),
        Some("今天天气不错, isn't it?")
    );
    // Errors keep the connection.
    send(
        &mut ws,
        "speech.update",
        Some(json!({"output_audio": {"voice_id": "nope"}})),
    )
    .await;
    assert_eq!(next(&mut ws).await.unwrap()["data"]["code"], 4200);
    send(&mut ws, "input_text_buffer.complete", None).await;
    assert_eq!(next(&mut ws).await.unwrap()["event_type"], "error");
}

#[tokio::test]
async fn transcriptions_of_wav_and_pcm() {
    let emu = Emulator::start().await.unwrap();
    let mut ws = connect(&emu, "/v1/audio/transcriptions").await;
    assert_eq!(
        next(&mut ws).await.unwrap()["event_type"],
        "transcriptions.created"
    );
    // A WAV file in pieces (the default format).
    let wav = tone::encode("transcribe me", 16000, 1.0);
    for chunk in wav.chunks(10_000) {
        send(
            &mut ws,
            "input_audio_buffer.append",
            Some(json!({"delta": B64.encode(chunk)})),
        )
        .await;
    }
    send(&mut ws, "input_audio_buffer.complete", None).await;
    let events = until(&mut ws, "transcriptions.message.completed").await;
    let t = types(&events);
    assert_eq!(t[0], "input_audio_buffer.completed");
    let updates = of(&events, "transcriptions.message.update");
    assert!(updates.len() >= 2, "{t:?}");
    assert_eq!(updates.last().unwrap()["data"]["content"], "transcribe me");
    // Raw PCM once declared.
    send(
        &mut ws,
        "transcriptions.update",
        Some(json!({"input_audio": {"format": "pcm", "sample_rate": 48000}})),
    )
    .await;
    assert_eq!(
        next(&mut ws).await.unwrap()["event_type"],
        "transcriptions.updated"
    );
    let pcm: Vec<u8> = tone::pcm("raw", 48000, 1.0)
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    send(
        &mut ws,
        "input_audio_buffer.append",
        Some(json!({"delta": B64.encode(&pcm)})),
    )
    .await;
    send(&mut ws, "input_audio_buffer.complete", None).await;
    let events = until(&mut ws, "transcriptions.message.completed").await;
    assert_eq!(
        of(&events, "transcriptions.message.update").last().unwrap()["data"]["content"],
        "raw"
    );
    // Bad settings: an error, and the connection stays.
    send(
        &mut ws,
        "transcriptions.update",
        Some(json!({"input_audio": {"sample_rate": 1}})),
    )
    .await;
    assert_eq!(next(&mut ws).await.unwrap()["event_type"], "error");
    send(&mut ws, "input_audio_buffer.clear", None).await;
    assert_eq!(
        next(&mut ws).await.unwrap()["event_type"],
        "input_audio_buffer.cleared"
    );
}

#[tokio::test]
async fn event_subscriptions_filter_what_is_sent() {
    let emu = Emulator::start().await.unwrap();
    let mut ws = connect(&emu, &format!("/v1/chat?bot_id={}", emu.bots().echo)).await;
    next(&mut ws).await.unwrap();
    send(
        &mut ws,
        "chat.update",
        Some(json!({"event_subscriptions": ["chat.updated", "conversation.message.delta", "conversation.chat.completed"]})),
    )
    .await;
    assert_eq!(next(&mut ws).await.unwrap()["event_type"], "chat.updated");
    send(
        &mut ws,
        "conversation.message.create",
        Some(json!({"content": "text only", "content_type": "text", "role": "user"})),
    )
    .await;
    let events = until(&mut ws, "conversation.chat.completed").await;
    let t = types(&events);
    assert!(
        t[..t.len() - 1]
            .iter()
            .all(|e| *e == "conversation.message.delta"),
        "{t:?}"
    );
    // Errors are always sent.
    send(&mut ws, "nope", None).await;
    assert_eq!(next(&mut ws).await.unwrap()["event_type"], "error");
}

#[tokio::test]
async fn a_client_that_leaves_mid_answer_does_not_stop_the_chat() {
    let emu = Emulator::start().await.unwrap();
    emu.state().set_pace(coze_emulator::Pace::Custom {
        first_token_ms: 100,
        delta_interval_ms: 5,
    });
    let mut ws = connect(&emu, &format!("/v1/chat?bot_id={}", emu.bots().echo)).await;
    next(&mut ws).await.unwrap();
    send(
        &mut ws,
        "conversation.message.create",
        Some(json!({"content": "bye", "content_type": "text", "role": "user"})),
    )
    .await;
    let created = until(&mut ws, "conversation.chat.created").await;
    let chat = created.last().unwrap()["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    drop(ws);
    for _ in 0..200 {
        let status = emu
            .state()
            .store()
            .chats
            .get(&chat)
            .map(|c| c.status.as_str());
        if status == Some("completed") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the chat did not complete after the client left");
}

/// Fuzz-ish: hundreds of random and mutated frames on each endpoint; the server answers
/// what it can, refuses the rest, and the connection still works afterwards.
#[tokio::test]
async fn random_frames_never_break_a_connection() {
    use rand::Rng as _;
    let emu = Emulator::start().await.unwrap();
    let endpoints = [
        (
            format!("/v1/chat?bot_id={}", emu.bots().echo),
            "chat.update",
            "chat.updated",
        ),
        (
            "/v1/audio/speech".to_string(),
            "speech.update",
            "speech.updated",
        ),
        (
            "/v1/audio/transcriptions".to_string(),
            "transcriptions.update",
            "transcriptions.updated",
        ),
    ];
    let seeds = [
        r#"{"event_type":"input_audio_buffer.append","data":{"delta":"UklGRiQAAABXQVZFZm10IBAAAAABAAEA"}}"#,
        r#"{"event_type":"chat.update","data":{"output_audio":{"codec":"pcm","pcm_config":{"sample_rate":16000}}}}"#,
        r#"{"event_type":"input_text_buffer.append","data":{"delta":"hi"}}"#,
        r#"{"event_type":"transcriptions.update","data":{"input_audio":{"format":"pcm","sample_rate":8000}}}"#,
        r#"{"event_type":"conversation.chat.submit_tool_outputs","data":{"chat_id":"1","tool_outputs":[{}]}}"#,
    ];
    let alphabet: &[u8] = b"{}[]\":,0123456789abcdefnrstu_.-=+/ \\";
    let mut rng = rand::thread_rng();
    for (path, update, updated) in endpoints {
        let mut ws = connect(&emu, &path).await;
        next(&mut ws).await.unwrap();
        for round in 0..150 {
            let text = if round % 2 == 0 {
                let len = rng.gen_range(0..60);
                (0..len)
                    .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
                    .collect::<String>()
            } else {
                let mut bytes = seeds[round % seeds.len()].as_bytes().to_vec();
                for _ in 0..rng.gen_range(1..4) {
                    let at = rng.gen_range(0..bytes.len());
                    bytes[at] = alphabet[rng.gen_range(0..alphabet.len())];
                }
                String::from_utf8_lossy(&bytes).into_owned()
            };
            ws.send(Message::Text(text.into())).await.unwrap();
        }
        send(&mut ws, update, Some(json!({"sentinel": 7}))).await;
        loop {
            let event = next(&mut ws)
                .await
                .unwrap_or_else(|| panic!("{path}: closed"));
            if event["event_type"] == updated && event["data"]["sentinel"] == 7 {
                break;
            }
        }
    }
}

/// A client's close frame is answered with one (RFC 6455 §5.5.1) before the server lets go,
/// on every endpoint: the client sees a clean close, not a reset.
#[tokio::test]
async fn a_client_close_is_answered_with_a_close() {
    let emu = Emulator::start().await.unwrap();
    let paths = [
        format!("/v1/chat?bot_id={}", emu.bots().echo),
        "/v1/audio/speech".to_string(),
        "/v1/audio/transcriptions".to_string(),
    ];
    for path in paths {
        let mut ws = connect(&emu, &path).await;
        next(&mut ws).await.unwrap();
        ws.send(Message::Close(None)).await.unwrap();
        let mut answered = false;
        while let Some(message) = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("the server answers within 10 s")
        {
            match message {
                Ok(Message::Close(_)) => answered = true,
                Ok(_) => {}
                Err(e) => panic!("{path}: the close ended in an error: {e}"),
            }
        }
        assert!(answered, "{path}: no close frame came back");
    }
}
