//! Encode/decode of the WebSocket frames from byte fixtures, and the URL rules.

use serde_json::{Value, json};

use super::wire::{
    self, AnswerState, ClientEvent as _, ServerEvent as _, decode_frame, encode_frame,
};
use super::{
    InputAudio, OutputAudio, chat, check_websocket_base_url, speech, transcriptions,
    websocket_base_url,
};
use crate::error::Error;
use crate::types::chat::{ChatStatus, ToolOutput};
use crate::types::messages::MessageType;

const CHAT_CREATED: &[u8] = br#"{"event_type":"chat.created","id":"e-1","detail":{"logid":"20261201abc","respond_at":"1764547200000"}}"#;
const MESSAGE_DELTA: &[u8] = br#"{"event_type":"conversation.message.delta","id":"e-2","data":{"id":"m-1","conversation_id":"c-1","bot_id":"b-1","role":"assistant","type":"answer","content":"Hello","content_type":"text","chat_id":"ch-1","section_id":"c-1"},"detail":{"logid":"20261201abc"}}"#;
// "AAEC/w==" is the four bytes 0, 1, 2, 255.
const AUDIO_DELTA: &[u8] = br#"{"event_type":"conversation.audio.delta","id":"e-3","data":{"id":"m-1","conversation_id":"c-1","bot_id":"b-1","role":"assistant","type":"answer","content":"AAEC/w==","content_type":"audio","chat_id":"ch-1"}}"#;
const CHAT_COMPLETED: &[u8] = br#"{"event_type":"conversation.chat.completed","id":"e-4","data":{"id":"ch-1","conversation_id":"c-1","bot_id":"b-1","created_at":"1764547200","completed_at":1764547201,"status":"completed","usage":{"token_count":12,"output_count":5,"input_count":7}},"detail":{"logid":"20261201abc"}}"#;
const ERROR_EVENT: &[u8] = br#"{"event_type":"error","id":"e-5","data":{"code":"4200","msg":"bot not found"},"detail":{"logid":"20261201err","origin_message":"{}"}}"#;
const UNKNOWN_EVENT: &[u8] =
    br#"{"event_type":"conversation.brand_new","id":"e-6","data":{"x":[1,2]}}"#;

fn chat_event(bytes: &[u8]) -> Result<chat::ServerEvent, Error> {
    decode_frame::<chat::ServerEvent>(bytes).event
}

#[test]
fn chat_server_events_decode_from_fixtures() {
    let frame = decode_frame::<chat::ServerEvent>(CHAT_CREATED);
    assert_eq!(frame.logid.as_deref(), Some("20261201abc"));
    assert_eq!(frame.event.expect("created"), chat::ServerEvent::Created);

    let chat::ServerEvent::MessageDelta(m) = chat_event(MESSAGE_DELTA).expect("delta") else {
        panic!("not a message delta");
    };
    assert_eq!(
        (m.content.as_str(), m.kind, m.chat_id.as_str()),
        ("Hello", MessageType::Answer, "ch-1")
    );

    let chat::ServerEvent::AudioDelta(a) = chat_event(AUDIO_DELTA).expect("audio") else {
        panic!("not an audio delta");
    };
    assert_eq!(a.audio, vec![0u8, 1, 2, 255]);
    assert_eq!(a.message.content, "", "the base64 is not kept twice");
    assert_eq!(a.message.id.as_str(), "m-1");

    let event = chat_event(CHAT_COMPLETED).expect("completed");
    assert_eq!(event.answer_state(), AnswerState::Ends);
    let chat::ServerEvent::ChatCompleted(c) = event else {
        panic!("not chat completed");
    };
    assert_eq!(c.status, ChatStatus::Completed);
    assert_eq!(c.created_at, Some(1_764_547_200));
    assert_eq!(c.usage.map(|u| u.token_count), Some(12));
}

#[test]
fn every_known_chat_event_round_trips_its_name() {
    for name in [
        "chat.created",
        "chat.updated",
        "conversation.chat.created",
        "conversation.chat.in_progress",
        "conversation.message.delta",
        "conversation.message.completed",
        "conversation.audio.sentence_start",
        "conversation.audio.completed",
        "conversation.chat.completed",
        "conversation.chat.failed",
        "conversation.chat.requires_action",
        "conversation.chat.canceled",
        "conversation.audio_transcript.update",
        "conversation.audio_transcript.completed",
        "input_audio_buffer.completed",
        "input_audio_buffer.cleared",
        "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped",
        "conversation.cleared",
    ] {
        let frame = format!(r#"{{"event_type":"{name}","data":null}}"#);
        let event = chat_event(frame.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(event.event_type(), name);
        assert!(
            !matches!(event, chat::ServerEvent::Unknown { .. }),
            "{name} is known"
        );
    }
}

#[test]
fn unknown_events_are_kept_not_errors() {
    let event = chat_event(UNKNOWN_EVENT).expect("unknown is fine");
    assert_eq!(
        event,
        chat::ServerEvent::Unknown {
            event_type: "conversation.brand_new".into(),
            data: json!({"x": [1, 2]}),
        }
    );
    assert_eq!(event.event_type(), "conversation.brand_new");
    let bare = decode_frame::<speech::ServerEvent>(br#"{"event_type":"speech.new"}"#)
        .event
        .expect("unknown");
    assert_eq!(
        bare,
        speech::ServerEvent::Unknown {
            event_type: "speech.new".into(),
            data: json!({}),
        }
    );
}

#[test]
fn error_events_carry_code_msg_and_logid() {
    let frame = decode_frame::<chat::ServerEvent>(ERROR_EVENT);
    match frame.event {
        Err(Error::StreamEvent { code, msg, logid }) => {
            assert_eq!(code, 4200);
            assert_eq!(msg, "bot not found");
            assert_eq!(logid.as_deref(), Some("20261201err"));
        }
        other => panic!("expected a stream error, got {other:?}"),
    }
    let bare = decode_frame::<transcriptions::ServerEvent>(br#"{"event_type":"error"}"#);
    assert!(matches!(
        bare.event,
        Err(Error::StreamEvent { code: 0, .. })
    ));
}

#[test]
fn malformed_frames_are_errors_not_panics() {
    let cases: &[&[u8]] = &[
        b"",
        b"not json",
        b"[1,2,3]",
        b"{\"event_type\":",
        br#"{"data":{}}"#,
        br#"{"event_type":""}"#,
        br#"{"event_type":7}"#,
        br#"{"event_type":"conversation.audio.delta","data":{"content":"%%%not base64"}}"#,
        br#"{"event_type":"conversation.message.delta","data":"a string"}"#,
        br#"{"event_type":"conversation.chat.completed","data":{"usage":"lots"}}"#,
        b"\xff\xfe\x00",
    ];
    for bytes in cases {
        let frame = decode_frame::<chat::ServerEvent>(bytes);
        match frame.event {
            Err(Error::MalformedEvent { .. }) => {}
            other => panic!(
                "{:?}: expected MalformedEvent, got {other:?}",
                String::from_utf8_lossy(bytes)
            ),
        }
        let _ = decode_frame::<speech::ServerEvent>(bytes);
        let _ = decode_frame::<transcriptions::ServerEvent>(bytes);
    }
    let speech = decode_frame::<speech::ServerEvent>(
        br#"{"event_type":"speech.audio.update","data":{"delta":12}}"#,
    );
    assert!(matches!(speech.event, Err(Error::MalformedEvent { .. })));
    let Err(Error::MalformedEvent { event, detail }) =
        chat_event(br#"{"event_type":"conversation.audio.delta","data":{"content":"%%%"}}"#)
    else {
        panic!("expected malformed");
    };
    assert_eq!(event, "conversation.audio.delta");
    assert!(detail.contains("base64"), "{detail}");
}

fn encoded<E: wire::ClientEvent>(event: &E) -> Value {
    let text = encode_frame(event, "id-1").expect("encodes");
    serde_json::from_str(&text).expect("valid JSON")
}

#[test]
fn chat_client_events_encode_to_the_documented_frames() {
    let update = chat::ClientEvent::update(
        chat::ChatUpdate::new()
            .user("user-1")
            .conversation("c-9")
            .input_audio(InputAudio::pcm(16_000, 1, 16))
            .output_audio(OutputAudio::pcm(24_000).voice("v-1")),
    );
    assert_eq!(
        encoded(&update),
        json!({
            "id": "id-1",
            "event_type": "chat.update",
            "data": {
                "chat_config": {"user_id": "user-1", "conversation_id": "c-9"},
                "input_audio": {"format": "pcm", "codec": "pcm", "sample_rate": 16000, "channel": 1, "bit_depth": 16},
                "output_audio": {"codec": "pcm", "pcm_config": {"sample_rate": 24000}, "voice_id": "v-1"}
            }
        })
    );
    assert_eq!(
        encoded(&chat::ClientEvent::audio(vec![0u8, 1, 2, 255])),
        json!({"id": "id-1", "event_type": "input_audio_buffer.append", "data": {"delta": "AAEC/w=="}})
    );
    assert_eq!(
        encoded(&chat::ClientEvent::InputAudioBufferComplete),
        json!({"id": "id-1", "event_type": "input_audio_buffer.complete"})
    );
    assert_eq!(
        encoded(&chat::ClientEvent::user_text("hi")),
        json!({"id": "id-1", "event_type": "conversation.message.create",
               "data": {"role": "user", "content_type": "text", "content": "hi"}})
    );
    assert_eq!(
        encoded(&chat::ClientEvent::ConversationChatSubmitToolOutputs {
            chat_id: "ch-1".into(),
            tool_outputs: vec![ToolOutput::new("call-1", "42")],
        }),
        json!({"id": "id-1", "event_type": "conversation.chat.submit_tool_outputs",
               "data": {"chat_id": "ch-1", "tool_outputs": [{"tool_call_id": "call-1", "output": "42"}]}})
    );
    assert_eq!(
        encoded(&chat::ClientEvent::InputTextGenerateAudio { text: "hey".into() }),
        json!({"id": "id-1", "event_type": "input_text.generate_audio", "data": {"mode": "text", "text": "hey"}})
    );
    assert_eq!(
        encoded(&chat::ClientEvent::Custom {
            event_type: "conversation.future".into(),
            data: Some(json!({"a": 1})),
        }),
        json!({"id": "id-1", "event_type": "conversation.future", "data": {"a": 1}})
    );
    assert!(chat::ClientEvent::InputAudioBufferComplete.starts_answer());
    assert!(chat::ClientEvent::user_text("x").starts_answer());
    assert!(!chat::ClientEvent::audio(vec![1]).starts_answer());
    assert!(!chat::ClientEvent::ConversationChatCancel.starts_answer());
}

#[test]
fn speech_and_transcription_events_encode_and_decode() {
    assert_eq!(
        encoded(&speech::ClientEvent::text("今天")),
        json!({"id": "id-1", "event_type": "input_text_buffer.append", "data": {"delta": "今天"}})
    );
    assert_eq!(
        encoded(&speech::ClientEvent::SpeechUpdate(
            speech::SpeechUpdate::new(OutputAudio::pcm(16_000))
        )),
        json!({"id": "id-1", "event_type": "speech.update",
               "data": {"output_audio": {"codec": "pcm", "pcm_config": {"sample_rate": 16000}}}})
    );
    assert!(speech::ClientEvent::InputTextBufferComplete.starts_answer());
    let audio = decode_frame::<speech::ServerEvent>(
        br#"{"event_type":"speech.audio.update","data":{"delta":"AAEC/w"}}"#,
    )
    .event
    .expect("audio without padding");
    assert_eq!(audio, speech::ServerEvent::AudioUpdate(vec![0, 1, 2, 255]));
    let done = decode_frame::<speech::ServerEvent>(br#"{"event_type":"speech.audio.completed"}"#)
        .event
        .expect("done");
    assert_eq!(done.answer_state(), AnswerState::Ends);

    assert_eq!(
        encoded(&transcriptions::ClientEvent::TranscriptionsUpdate(
            transcriptions::TranscriptionsUpdate::new(InputAudio::pcm(8000, 1, 16))
        ))["data"]["input_audio"]["sample_rate"],
        json!(8000)
    );
    let text = decode_frame::<transcriptions::ServerEvent>(
        br#"{"event_type":"transcriptions.message.update","data":{"content":"hello there"}}"#,
    )
    .event
    .expect("update");
    assert_eq!(
        text,
        transcriptions::ServerEvent::MessageUpdate {
            content: "hello there".into()
        }
    );
}

#[test]
fn settings_keep_fields_the_sdk_does_not_know() {
    let frame = br#"{"event_type":"chat.updated","data":{"output_audio":{"codec":"opus","emotion_config":{"emotion":"happy"}},"voice_print_config":{"group_id":"g"}}}"#;
    let chat::ServerEvent::Updated(update) = chat_event(frame).expect("updated") else {
        panic!("not chat.updated");
    };
    let out = update.output_audio.as_ref().expect("output audio");
    assert_eq!(out.codec.as_deref(), Some("opus"));
    assert_eq!(out.extra["emotion_config"], json!({"emotion": "happy"}));
    assert_eq!(update.extra["voice_print_config"], json!({"group_id": "g"}));
    let again = encoded(&chat::ClientEvent::ChatUpdate(update));
    assert_eq!(
        again["data"]["voice_print_config"],
        json!({"group_id": "g"})
    );
}

#[test]
fn event_ids_are_fresh_and_uuid_shaped() {
    let a = wire::new_event_id();
    let b = wire::new_event_id();
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
    assert_eq!(a.matches('-').count(), 4);
}

#[test]
fn websocket_base_urls_follow_the_official_rule() {
    for (rest, ws) in [
        ("https://api.coze.cn", "wss://ws.coze.cn"),
        ("https://api.coze.com/", "wss://ws.coze.com"),
        ("http://127.0.0.1:8080", "ws://127.0.0.1:8080"),
        (
            "https://api-eu.example.com/coze",
            "wss://ws-eu.example.com/coze",
        ),
        (
            "https://proxy.example/api.coze",
            "wss://proxy.example/api.coze",
        ),
    ] {
        assert_eq!(websocket_base_url(rest).expect(rest), ws, "{rest}");
    }
    assert!(websocket_base_url("ftp://x").is_err());
    assert_eq!(
        check_websocket_base_url(" wss://ws.example/ ").expect("ok"),
        "wss://ws.example"
    );
    for bad in [
        "https://ws.example",
        "wss://u:p@ws.example",
        "wss://x/?a=1",
        "ws.example",
    ] {
        let err = check_websocket_base_url(bad).expect_err(bad).to_string();
        assert!(err.contains("wss://ws.coze.com"), "{err}");
        assert!(!err.contains("u:p"), "{err}");
    }
}

#[test]
fn the_client_derives_or_takes_the_websocket_base() {
    let c = crate::Client::builder()
        .region(crate::Region::Cn)
        .build()
        .expect("client");
    assert_eq!(c.websocket_base_url(), "wss://ws.coze.cn");
    let c = crate::Client::builder().build().expect("client");
    assert_eq!(c.websocket_base_url(), "wss://ws.coze.com");
    let c = crate::Client::builder()
        .base_url("http://127.0.0.1:9")
        .build()
        .expect("client");
    assert_eq!(c.websocket_base_url(), "ws://127.0.0.1:9");
    let c = crate::Client::builder()
        .websocket_base_url("ws://127.0.0.1:7/")
        .build()
        .expect("client");
    assert_eq!(c.websocket_base_url(), "ws://127.0.0.1:7");
    assert!(
        crate::Client::builder()
            .websocket_base_url("https://x")
            .build()
            .is_err()
    );
}

proptest::proptest! {
    #[test]
    fn arbitrary_frames_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
        let _ = decode_frame::<chat::ServerEvent>(&bytes);
        let _ = decode_frame::<speech::ServerEvent>(&bytes);
        let _ = decode_frame::<transcriptions::ServerEvent>(&bytes);
    }

    #[test]
    fn json_frames_with_any_event_type_never_panic(name in "[a-z_.]{0,40}", data in "[ -~]{0,40}") {
        let frame = json!({"event_type": name, "data": {"content": data, "delta": data, "text": data}}).to_string();
        let _ = decode_frame::<chat::ServerEvent>(frame.as_bytes());
        let _ = decode_frame::<speech::ServerEvent>(frame.as_bytes());
        let _ = decode_frame::<transcriptions::ServerEvent>(frame.as_bytes());
    }
}
