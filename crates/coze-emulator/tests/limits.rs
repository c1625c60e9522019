//! Bounded resources: body limits checked before a body is read, fault values validated.

#![allow(clippy::unwrap_used)]

use coze_emulator::Emulator;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Sends only the head of a request (no body) and reads what the emulator answers.
async fn head_only(emu: &Emulator, head: &str) -> String {
    let addr = emu.base_url().trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    // The emulator answers and closes without waiting for the 300 MB it was promised.
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        socket.read_to_end(&mut answer),
    )
    .await
    .expect("answered without reading the body")
    .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

#[tokio::test]
async fn oversize_bodies_get_413_and_tokenless_ones_401_before_the_body_is_read() {
    let emu = Emulator::start().await.unwrap();
    let big = format!(
        "POST /v3/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 300000000\r\n\r\n",
        emu.pat()
    );
    let answer = head_only(&emu, &big).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(answer.contains("4194304 bytes"), "{answer}");

    // Within the limit but without a token: 401 at once, the connection closed.
    let tokenless = "POST /v3/chat HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 4000000\r\n\r\n";
    let answer = head_only(&emu, tokenless).await;
    assert!(answer.starts_with("HTTP/1.1 401"), "{answer}");
    assert!(answer.contains("4100"), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );

    // A chunked body past the limit is cut off at the limit: 413.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let chunks = futures_util::stream::iter(
        (0..5).map(|_| Ok::<_, std::io::Error>(vec![b' '; 1024 * 1024])),
    );
    let resp = http
        .post(format!("{}/v1/conversation/create", emu.base_url()))
        .bearer_auth(emu.pat())
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], 4000);
}

#[tokio::test]
async fn fault_switches_validate_their_values() {
    let emu = Emulator::start().await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for bad in [
        json!({"html_error": {"status": 200}}),
        json!({"server_error": {"status": 404}}),
        json!({"event_delay_ms": 10_000_000}),
    ] {
        let resp: Value = http
            .post(format!("{}/_emulator/faults", emu.base_url()))
            .json(&bad)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(resp["code"], 4000, "{bad} -> {resp}");
    }
    assert_eq!(
        emu.faults().get(),
        Default::default(),
        "nothing was switched on"
    );
    let pace: Value = http
        .post(format!("{}/_emulator/pace", emu.base_url()))
        .json(&json!({"pace": "sluggish"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pace["code"], 4000, "{pace}");
    let pace: Value = http
        .post(format!("{}/_emulator/pace", emu.base_url()))
        .json(&json!({"first_token_ms": 300, "delta_interval_ms": 20}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        pace,
        json!({"pace": "custom", "first_token_ms": 300, "delta_interval_ms": 20})
    );
    assert_eq!(emu.state().pace().first_token().as_millis(), 300);
}
