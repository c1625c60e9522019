//! Chat against the emulator: streaming, polling, tool calls, cancel, multimodal input.

mod common;

use std::time::Duration;

use common::*;
use coze_sdk::{
    ChatEvent, ChatRequest, ChatStatus, ContentPart, EnterMessage, Error, MessageType, PollOptions,
    ToolOutput,
};

#[tokio::test]
async fn streamed_deltas_concatenate_to_the_completed_answer() {
    let emu = emulator().await;
    let client = client(&emu);
    let req = ChatRequest::new(&emu.bots().echo, "u1").user_message("hello there");
    let stream = unwrap_ok(client.chat().stream(req).await);
    assert!(
        stream.logid().is_some(),
        "streaming response carries a logid"
    );
    let (events, err) = collect(stream).await;
    assert!(err.is_none(), "{err:?}");

    let streamed = deltas(&events);
    let completed: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            ChatEvent::MessageCompleted(m) if m.kind == MessageType::Answer => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(completed.len(), 1);
    assert_eq!(streamed, completed[0].content);
    assert!(streamed.contains("hello there"), "{streamed}");
    let delta_count = events
        .iter()
        .filter(|e| matches!(e, ChatEvent::MessageDelta(_)))
        .count();
    assert!(delta_count > 1, "the answer arrives in several deltas");

    assert!(matches!(events.first(), Some(ChatEvent::ChatCreated(_))));
    assert!(matches!(events.last(), Some(ChatEvent::Done { .. })));
    let chat = events
        .iter()
        .find_map(|e| match e {
            ChatEvent::ChatCompleted(c) => Some(c),
            _ => None,
        })
        .expect("chat.completed");
    assert_eq!(chat.status, ChatStatus::Completed);
    assert!(chat.usage.is_some_and(|u| u.token_count > 0));
    assert!(events.iter().any(|e| matches!(
        e,
        ChatEvent::MessageCompleted(m) if m.kind == MessageType::FollowUp
    )));

    // The stored chat messages include the answer and the follow-ups.
    let messages = unwrap_ok(
        client
            .chat()
            .messages(&chat.conversation_id, &chat.id)
            .await,
    );
    assert!(
        messages
            .iter()
            .any(|m| m.kind == MessageType::Answer && m.content == streamed)
    );
}

#[tokio::test]
async fn a_conversation_keeps_context() {
    let emu = emulator().await;
    let client = client(&emu);
    let first = ChatRequest::new(&emu.bots().echo, "u1").user_message("my name is Ada");
    let (events, _) = collect(unwrap_ok(client.chat().stream(first).await)).await;
    let conversation = events
        .iter()
        .find_map(|e| match e {
            ChatEvent::ChatCreated(c) => Some(c.conversation_id.clone()),
            _ => None,
        })
        .expect("chat.created");
    let second = ChatRequest::new(&emu.bots().echo, "u1")
        .conversation(conversation)
        .user_message("what is my name?");
    let (events, err) = collect(unwrap_ok(client.chat().stream(second).await)).await;
    assert!(err.is_none());
    assert!(
        deltas(&events).contains("my name is Ada"),
        "{}",
        deltas(&events)
    );
}

#[tokio::test]
async fn create_and_poll_returns_the_answer() {
    let emu = emulator().await;
    let client = client(&emu);
    let req = ChatRequest::new(&emu.bots().echo, "u1").user_message("poll me");
    let options = PollOptions::new().interval(Duration::from_millis(50));
    let done = unwrap_ok(client.chat().create_and_poll(req, options).await);
    assert_eq!(done.chat.status, ChatStatus::Completed);
    assert!(done.answer().contains("poll me"), "{}", done.answer());
    let retrieved = unwrap_ok(
        client
            .chat()
            .retrieve(&done.chat.conversation_id, &done.chat.id)
            .await,
    );
    assert_eq!(retrieved.status, ChatStatus::Completed);
}

#[tokio::test]
async fn create_and_poll_timeout_cancels_the_chat() {
    let emu = emulator().await;
    let client = client(&emu);
    let chat = unwrap_ok(
        client
            .chat()
            .create(ChatRequest::new(&emu.bots().echo, "u1").user_message("slow"))
            .await,
    );
    assert_eq!(chat.status, ChatStatus::InProgress);
    let err = client
        .chat()
        .poll(chat.clone(), PollOptions::new().timeout(Duration::ZERO))
        .await
        .expect_err("times out");
    assert!(matches!(err, Error::PollTimeout { .. }), "{err}");
    assert!(err.hint().is_some());
    let after = unwrap_ok(
        client
            .chat()
            .retrieve(&chat.conversation_id, &chat.id)
            .await,
    );
    assert_eq!(after.status, ChatStatus::Canceled);
}

#[tokio::test]
async fn tool_call_round_trip_streaming() {
    let emu = emulator().await;
    let client = client(&emu);
    let req = ChatRequest::new(&emu.bots().tool, "u1").user_message("Paris");
    let (events, err) = collect(unwrap_ok(client.chat().stream(req).await)).await;
    assert!(err.is_none(), "{err:?}");
    let chat = events
        .iter()
        .find_map(|e| match e {
            ChatEvent::ChatRequiresAction(c) => Some(c.clone()),
            _ => None,
        })
        .expect("requires_action");
    let calls = chat.tool_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].function.name, "get_weather");
    let args: serde_json::Value = serde_json::from_str(&calls[0].function.arguments).unwrap();
    assert_eq!(args["location"], "Paris");

    let outputs = vec![ToolOutput::new(calls[0].id.clone(), "sunny, 21°C")];
    let stream = unwrap_ok(
        client
            .chat()
            .submit_tool_outputs_stream(&chat.conversation_id, &chat.id, outputs)
            .await,
    );
    let (events, err) = collect(stream).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        deltas(&events),
        "The tool get_weather returned: sunny, 21°C"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, ChatEvent::ChatCompleted(_)))
    );
}

#[tokio::test]
async fn tool_call_round_trip_polling() {
    let emu = emulator().await;
    let client = client(&emu);
    let fast = PollOptions::new().interval(Duration::from_millis(50));
    let req = ChatRequest::new(&emu.bots().tool, "u1").user_message("Oslo");
    let paused = unwrap_ok(client.chat().create_and_poll(req, fast).await);
    assert_eq!(paused.chat.status, ChatStatus::RequiresAction);
    let call = paused.chat.tool_calls()[0].clone();
    let chat = unwrap_ok(
        client
            .chat()
            .submit_tool_outputs(
                &paused.chat.conversation_id,
                &paused.chat.id,
                vec![ToolOutput::new(call.id, "snow")],
            )
            .await,
    );
    let done = unwrap_ok(client.chat().poll(chat, fast).await);
    assert_eq!(done.chat.status, ChatStatus::Completed);
    assert_eq!(done.answer(), "The tool get_weather returned: snow");
}

#[tokio::test]
async fn failing_bot_reports_chat_failed() {
    let emu = emulator().await;
    let client = client(&emu);
    let req = ChatRequest::new(&emu.bots().failing, "u1").user_message("hi");
    let (events, err) = collect(unwrap_ok(client.chat().stream(req).await)).await;
    assert!(
        err.is_none(),
        "a failed chat is an event, not a stream error: {err:?}"
    );
    let failed = events
        .iter()
        .find_map(|e| match e {
            ChatEvent::ChatFailed(c) => Some(c),
            _ => None,
        })
        .expect("chat.failed");
    assert_eq!(failed.status, ChatStatus::Failed);
    assert_eq!(failed.error().map(|e| e.code.get()), Some(5000));
}

#[tokio::test]
async fn cancel_a_running_chat() {
    let emu = emulator().await;
    let client = client(&emu);
    let chat = unwrap_ok(
        client
            .chat()
            .create(ChatRequest::new(&emu.bots().echo, "u1").user_message("stop me"))
            .await,
    );
    let cancelled = unwrap_ok(client.chat().cancel(&chat.conversation_id, &chat.id).await);
    assert_eq!(cancelled.status, ChatStatus::Canceled);
    let again = client
        .chat()
        .cancel(&chat.conversation_id, &chat.id)
        .await
        .expect_err("a finished chat cannot be cancelled");
    assert_eq!(again.code(), Some(4104), "{again}");
}

#[tokio::test]
async fn multimodal_parts_reach_the_bot() {
    let emu = emulator().await;
    let client = client(&emu);
    let msg = EnterMessage::user_parts([
        ContentPart::text("what is in this picture?"),
        ContentPart::image_url("https://example.com/cat.png"),
    ]);
    let req = ChatRequest::new(&emu.bots().echo, "u1").message(msg);
    let (events, err) = collect(unwrap_ok(client.chat().stream(req).await)).await;
    assert!(err.is_none(), "{err:?}");
    let answer = deltas(&events);
    assert!(answer.contains("what is in this picture?"), "{answer}");
    assert!(answer.contains("cat.png"), "{answer}");
}

#[tokio::test]
async fn empty_message_is_refused_before_sending() {
    let emu = emulator().await;
    let client = client(&emu);
    let req = ChatRequest::new(&emu.bots().echo, "u1").user_message("  \n");
    let err = client.chat().stream(req).await.expect_err("empty");
    assert!(matches!(err, Error::InvalidRequest(_)), "{err}");
}
