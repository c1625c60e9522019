//! The WebSocket client against the emulator: chat with text and with audio in and out,
//! speech, transcription, error events, a refused token, and connections cut or stalled
//! mid-answer by a proxy between the two.

#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use coze_emulator::{Emulator, tone};
use coze_sdk::websocket::chat::{ChatUpdate, ClientEvent, ServerEvent};
use coze_sdk::websocket::{InputAudio, OutputAudio, speech, transcriptions};
use coze_sdk::{ChatStatus, Error, MessageType};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The next item within 10 s (a hang fails the test instead of blocking it).
async fn next<S: futures_util::Stream + Unpin>(s: &mut S) -> Option<S::Item> {
    tokio::time::timeout(Duration::from_secs(10), s.next())
        .await
        .expect("an event within 10 s")
}

/// Events until (and with) the first one `stop` accepts; panics on an error item.
async fn until(
    conn: &mut coze_sdk::websocket::ChatConnection,
    stop: impl Fn(&ServerEvent) -> bool,
) -> Vec<ServerEvent> {
    let mut events = Vec::new();
    loop {
        let event = next(conn)
            .await
            .unwrap_or_else(|| panic!("ended early: {events:?}"))
            .unwrap_or_else(|e| panic!("error {e}: after {events:?}"));
        let done = stop(&event);
        events.push(event);
        if done {
            return events;
        }
    }
}

fn answer_text(events: &[ServerEvent]) -> String {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::MessageDelta(m) if m.kind == MessageType::Answer => {
                Some(m.content.as_str())
            }
            _ => None,
        })
        .collect()
}

fn answer_audio(events: &[ServerEvent]) -> Vec<i16> {
    let bytes: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::AudioDelta(a) => Some(a.audio.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect();
    samples(&bytes)
}

fn samples(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect()
}

fn pcm_bytes(samples: &[i16]) -> Vec<u8> {
    samples.iter().flat_map(|s| s.to_le_bytes()).collect()
}

async fn chat(emu: &Emulator) -> coze_sdk::websocket::ChatConnection {
    let client = common::client(emu);
    let mut conn = client
        .websockets()
        .chat(emu.bots().echo.as_str())
        .connect()
        .await
        .unwrap();
    assert_eq!(
        next(&mut conn).await.unwrap().unwrap(),
        ServerEvent::Created
    );
    conn
}

#[tokio::test]
async fn text_chat_streams_the_answer_in_text_and_audio() {
    let emu = common::emulator().await;
    let mut conn = chat(&emu).await;
    let logid = conn.logid().expect("a logid").to_owned();
    assert!(!logid.is_empty());
    conn.send(ClientEvent::update(
        ChatUpdate::new()
            .user("ws-user")
            .output_audio(OutputAudio::pcm(16_000)),
    ))
    .await
    .unwrap();
    let ServerEvent::Updated(updated) = next(&mut conn).await.unwrap().unwrap() else {
        panic!("expected chat.updated");
    };
    let user = updated.chat_config.as_ref().and_then(|c| c.user_id.clone());
    assert_eq!(user.as_deref(), Some("ws-user"));

    conn.send(ClientEvent::user_text("hello socket"))
        .await
        .unwrap();
    let events = until(&mut conn, |e| matches!(e, ServerEvent::ChatCompleted(_))).await;
    let answer = answer_text(&events);
    assert!(
        answer.starts_with("You said: \"hello socket\"."),
        "{answer}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::ChatCreated(_)))
    );
    let ServerEvent::ChatCompleted(done) = events.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(done.status, ChatStatus::Completed);
    // The spoken answer is the answer: the emulator's tone codec reads it back.
    let audio = answer_audio(&events);
    assert!(!audio.is_empty());
    assert_eq!(
        tone::decode_pcm(&audio, 16_000).as_deref(),
        Some(answer.as_str())
    );
    // Closing after the answer ends the stream without an error.
    conn.close().await.unwrap();
    let after = next(&mut conn).await;
    assert!(after.is_none(), "{after:?}");
}

#[tokio::test]
async fn audio_in_is_heard_and_answered_with_audio() {
    let emu = common::emulator().await;
    let mut conn = chat(&emu).await;
    conn.send(ClientEvent::update(
        ChatUpdate::new()
            .input_audio(InputAudio::pcm(16_000, 1, 16))
            .output_audio(OutputAudio::pcm(24_000)),
    ))
    .await
    .unwrap();
    let question = pcm_bytes(&tone::pcm("what time is it", 16_000, 1.0));
    let (mut tx, mut rx) = conn.split();
    // One task sends the audio while this one reads, as a voice client does.
    let sending = tokio::spawn(async move {
        for chunk in question.chunks(6_400) {
            tx.send(ClientEvent::audio(chunk)).await.unwrap();
        }
        tx.send(ClientEvent::InputAudioBufferComplete)
            .await
            .unwrap();
        tx
    });
    let mut events = Vec::new();
    loop {
        let event = next(&mut rx).await.unwrap().unwrap();
        let done = matches!(event, ServerEvent::ChatCompleted(_));
        events.push(event);
        if done {
            break;
        }
    }
    let mut tx = sending.await.unwrap();
    assert!(
        matches!(events[0], ServerEvent::Updated(_)),
        "{:?}",
        events[0]
    );
    assert!(events.contains(&ServerEvent::InputAudioBufferCompleted));
    assert!(events.contains(&ServerEvent::AudioTranscriptCompleted {
        content: "what time is it".into()
    }));
    let answer = answer_text(&events);
    assert!(
        answer.starts_with("You said: \"what time is it\"."),
        "{answer}"
    );
    assert_eq!(
        tone::decode_pcm(&answer_audio(&events), 24_000).as_deref(),
        Some(answer.as_str())
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ServerEvent::AudioCompleted(_)))
    );
    tx.close().await.unwrap();
    assert!(next(&mut rx).await.is_none());
}

#[tokio::test]
async fn speech_turns_streamed_text_into_audio() {
    let emu = common::emulator().await;
    let client = common::client(&emu);
    let mut conn = client.websockets().speech().connect().await.unwrap();
    assert_eq!(
        next(&mut conn).await.unwrap().unwrap(),
        speech::ServerEvent::Created
    );
    conn.send(speech::ClientEvent::SpeechUpdate(
        speech::SpeechUpdate::new(OutputAudio::pcm(16_000)),
    ))
    .await
    .unwrap();
    for piece in ["good ", "morning"] {
        conn.send(speech::ClientEvent::text(piece)).await.unwrap();
    }
    conn.send(speech::ClientEvent::InputTextBufferComplete)
        .await
        .unwrap();
    let mut audio = Vec::new();
    let mut seen = Vec::new();
    loop {
        let event = next(&mut conn).await.unwrap().unwrap();
        match &event {
            speech::ServerEvent::AudioUpdate(chunk) => audio.extend_from_slice(chunk),
            speech::ServerEvent::AudioCompleted => break,
            _ => {}
        }
        seen.push(event);
    }
    assert!(
        matches!(seen[0], speech::ServerEvent::Updated(_)),
        "{seen:?}"
    );
    assert!(seen.contains(&speech::ServerEvent::InputTextBufferCompleted));
    assert_eq!(
        tone::decode_pcm(&samples(&audio), 16_000).as_deref(),
        Some("good morning")
    );
    conn.close().await.unwrap();
}

#[tokio::test]
async fn transcription_of_a_streamed_wav() {
    let emu = common::emulator().await;
    let client = common::client(&emu);
    let mut conn = client
        .websockets()
        .transcriptions()
        .connect()
        .await
        .unwrap();
    assert_eq!(
        next(&mut conn).await.unwrap().unwrap(),
        transcriptions::ServerEvent::Created
    );
    // A whole WAV file, header included, in chunks (Coze's default input format is wav).
    let wav = tone::encode("turn left", 24_000, 1.0);
    for chunk in wav.chunks(8_000) {
        conn.send(transcriptions::ClientEvent::audio(chunk))
            .await
            .unwrap();
    }
    conn.send(transcriptions::ClientEvent::InputAudioBufferComplete)
        .await
        .unwrap();
    let mut text = None;
    loop {
        match next(&mut conn).await.unwrap().unwrap() {
            transcriptions::ServerEvent::MessageUpdate { content } => text = Some(content),
            transcriptions::ServerEvent::MessageCompleted => break,
            _ => {}
        }
    }
    assert_eq!(text.as_deref(), Some("turn left"));
}

#[tokio::test]
async fn error_events_are_errors_with_code_and_logid_and_the_session_goes_on() {
    let emu = common::emulator().await;
    let mut conn = chat(&emu).await;
    let mut update = ChatUpdate::new();
    update.output_audio = Some(OutputAudio::pcm(24_000).voice("no-such-voice"));
    conn.send(ClientEvent::update(update)).await.unwrap();
    match next(&mut conn).await.unwrap() {
        Err(Error::StreamEvent { code, msg, logid }) => {
            assert_eq!(code, 4200);
            assert!(msg.contains("no-such-voice"), "{msg}");
            assert_eq!(logid.as_deref(), conn.logid());
            assert!(logid.is_some());
        }
        other => panic!("expected an error event, got {other:?}"),
    }
    // The connection is still usable.
    conn.send(ClientEvent::user_text("still there?"))
        .await
        .unwrap();
    let events = until(&mut conn, |e| matches!(e, ServerEvent::ChatCompleted(_))).await;
    assert!(answer_text(&events).contains("still there?"));
}

#[tokio::test]
async fn an_unknown_bot_is_an_error_event_then_the_end() {
    let emu = common::emulator().await;
    let client = common::client(&emu);
    let mut conn = client
        .websockets()
        .chat("7000000000000000000")
        .connect()
        .await
        .unwrap();
    match next(&mut conn).await.unwrap() {
        Err(e @ Error::StreamEvent { .. }) => assert_eq!(e.code(), Some(4200), "{e}"),
        other => panic!("expected an error event, got {other:?}"),
    }
    assert!(next(&mut conn).await.is_none(), "closed, no answer awaited");
    let empty = client.websockets().chat(" ").connect().await.unwrap_err();
    assert!(matches!(empty, Error::InvalidRequest(_)), "{empty}");
}

#[tokio::test]
async fn a_refused_token_is_an_api_error_without_the_token() {
    let emu = common::emulator().await;
    let client = common::builder(&emu)
        .token("pat_not_a_real_token_123")
        .build()
        .unwrap();
    let err = client
        .websockets()
        .chat(emu.bots().echo.as_str())
        .connect()
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(401), "{err}");
    assert_eq!(err.code(), Some(4100), "{err}");
    assert!(err.logid().is_some(), "{err}");
    assert!(err.hint().unwrap().contains("token"));
    for text in [err.to_string(), format!("{err:?}")] {
        assert!(!text.contains("pat_not_a_real_token_123"), "{text}");
    }
}

#[tokio::test]
async fn nothing_listening_is_a_websocket_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = coze_sdk::Client::builder()
        .base_url(format!("http://{addr}"))
        .token("pat_x")
        .retry(coze_sdk::RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.websockets().speech().connect().await.unwrap_err();
    assert!(matches!(err, Error::WebSocket { .. }), "{err:?}");
    assert!(err.to_string().contains("/v1/audio/speech"), "{err}");
    assert!(err.hint().is_some());
}

/// What the proxy does once the answer started.
#[derive(Clone, Copy)]
enum Mischief {
    /// Drop the connection after this many `conversation.message.delta` frames.
    CutAfterDeltas(usize),
    /// Stop forwarding (the connection stays open) after this many deltas.
    StallAfterDeltas(usize),
}

/// A TCP proxy to `upstream` that reads the server's WebSocket frames and misbehaves.
async fn proxy(upstream: String, mischief: Mischief) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (client, _) = listener.accept().await.unwrap();
        let server = TcpStream::connect(&upstream).await.unwrap();
        let (mut client_read, mut client_write) = client.into_split();
        let (mut server_read, mut server_write) = server.into_split();
        let up = tokio::spawn(async move {
            let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
        });
        // The handshake answer, then whole frames (server frames are not masked).
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            let n = server_read.read(&mut chunk).await.unwrap();
            assert!(n > 0, "upstream closed during the handshake");
            buf.extend_from_slice(&chunk[..n]);
            if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break p + 4;
            }
        };
        client_write.write_all(&buf[..head_end]).await.unwrap();
        buf.drain(..head_end);
        let mut deltas = 0;
        loop {
            while let Some(len) = frame_len(&buf) {
                let frame: Vec<u8> = buf.drain(..len).collect();
                if frame
                    .windows(26)
                    .any(|w| w == b"conversation.message.delta")
                {
                    deltas += 1;
                }
                client_write.write_all(&frame).await.unwrap();
                match mischief {
                    Mischief::CutAfterDeltas(n) if deltas >= n => {
                        up.abort();
                        return; // both halves drop: the client sees the connection end
                    }
                    Mischief::StallAfterDeltas(n) if deltas >= n => {
                        tokio::time::sleep(Duration::from_secs(30)).await;
                        return;
                    }
                    _ => {}
                }
            }
            let n = server_read.read(&mut chunk).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
    });
    format!("http://{addr}")
}

/// The length of the complete frame at the start of `buf`, if it is all there.
fn frame_len(buf: &[u8]) -> Option<usize> {
    if buf.len() < 2 {
        return None;
    }
    let (payload, header) = match buf[1] & 0x7f {
        126 if buf.len() >= 4 => (u16::from_be_bytes([buf[2], buf[3]]) as usize, 4),
        127 if buf.len() >= 10 => (
            u64::from_be_bytes(buf[2..10].try_into().unwrap()) as usize,
            10,
        ),
        126 | 127 => return None,
        n => (n as usize, 2),
    };
    (buf.len() >= header + payload).then_some(header + payload)
}

async fn chat_through(
    emu: &Emulator,
    mischief: Mischief,
    idle: Duration,
) -> coze_sdk::websocket::ChatConnection {
    let upstream = emu.base_url().trim_start_matches("http://").to_owned();
    let base = proxy(upstream, mischief).await;
    let client = coze_sdk::Client::builder()
        .base_url(base)
        .token(emu.pat())
        .retry(coze_sdk::RetryPolicy::none())
        .build()
        .unwrap();
    let mut conn = client
        .websockets()
        .chat(emu.bots().echo.as_str())
        .idle_timeout(Some(idle))
        .connect()
        .await
        .unwrap();
    assert_eq!(
        next(&mut conn).await.unwrap().unwrap(),
        ServerEvent::Created
    );
    conn
}

#[tokio::test]
async fn a_cut_mid_answer_keeps_what_arrived_and_says_so() {
    let emu = common::emulator().await;
    let mut conn = chat_through(&emu, Mischief::CutAfterDeltas(2), Duration::from_secs(30)).await;
    conn.send(ClientEvent::user_text(
        "a question with a long enough answer",
    ))
    .await
    .unwrap();
    let mut events = Vec::new();
    let err = loop {
        match next(&mut conn).await {
            Some(Ok(event)) => events.push(event),
            Some(Err(e)) => break e,
            None => panic!("the stream ended silently after {events:?}"),
        }
    };
    assert!(matches!(err, Error::WebSocketCut { .. }), "{err:?}");
    assert!(err.hint().unwrap().contains("kept"));
    let partial = answer_text(&events);
    assert!(!partial.is_empty());
    assert!(
        "You said: \"a question with a long enough answer\".".starts_with(&partial)
            || partial.starts_with("You said: \"a question"),
        "{partial}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| matches!(e, ServerEvent::MessageDelta(_)))
            .count(),
        2,
        "every delta that arrived was delivered"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::ChatCompleted(_)))
    );
    assert!(next(&mut conn).await.is_none(), "nothing after the cut");
}

#[tokio::test]
async fn silence_mid_answer_ends_with_the_idle_error() {
    let emu = common::emulator().await;
    let mut conn = chat_through(
        &emu,
        Mischief::StallAfterDeltas(1),
        Duration::from_millis(300),
    )
    .await;
    conn.send(ClientEvent::user_text("hello?")).await.unwrap();
    let started = std::time::Instant::now();
    let err = loop {
        match next(&mut conn).await {
            Some(Ok(_)) => {}
            Some(Err(e)) => break e,
            None => panic!("the stream ended silently"),
        }
    };
    assert!(matches!(err, Error::StreamIdle { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(next(&mut conn).await.is_none());
}

#[tokio::test]
async fn no_idle_limit_while_no_answer_is_awaited() {
    let emu = common::emulator().await;
    let client = common::client(&emu);
    let mut conn = client
        .websockets()
        .chat(emu.bots().echo.as_str())
        .idle_timeout(Some(Duration::from_millis(100)))
        .connect()
        .await
        .unwrap();
    assert_eq!(
        next(&mut conn).await.unwrap().unwrap(),
        ServerEvent::Created
    );
    // Nothing asked: a silence longer than the idle timeout is fine.
    let quiet = tokio::time::timeout(Duration::from_millis(400), conn.next()).await;
    assert!(quiet.is_err(), "no item while idle: {quiet:?}");
    conn.send(ClientEvent::user_text("now")).await.unwrap();
    let events = until(&mut conn, |e| matches!(e, ServerEvent::ChatCompleted(_))).await;
    assert!(answer_text(&events).contains("now"));
}

#[tokio::test]
async fn wss_goes_through_rustls_and_a_failed_tls_handshake_is_an_error() {
    // A server that is not TLS: the rustls handshake starts (its configuration with the
    // webpki roots is built) and fails cleanly.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        if let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n").await;
        }
    });
    let client = coze_sdk::Client::builder()
        .websocket_base_url(format!("wss://{addr}"))
        .token("pat_x")
        .retry(coze_sdk::RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.websockets().speech().connect().await.unwrap_err();
    assert!(matches!(err, Error::WebSocket { .. }), "{err:?}");
    assert!(!format!("{err:?}").contains("pat_x"), "{err:?}");
}
