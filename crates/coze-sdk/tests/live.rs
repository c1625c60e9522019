//! Live tests against a real Coze account. Ignored by default, and skipped (with a printed
//! line) unless `COZE_LIVE=1`:
//!
//! ```sh
//! COZE_LIVE=1 COZE_API_TOKEN=pat_... COZE_API_BASE=https://api.coze.cn \
//! COZE_LIVE_BOT_ID=7382... COZE_LIVE_WORKFLOW_ID=7401... \
//!   cargo test -p coze-sdk --test live -- --ignored --test-threads 1
//! ```
//!
//! - `COZE_API_TOKEN`: a personal access token with the chat, conversation, message and
//!   workflow scopes, for the workspace of the bot and the workflow.
//! - `COZE_API_BASE`: `https://api.coze.cn` or `https://api.coze.com` (default).
//! - `COZE_LIVE_BOT_ID`: a bot published to the API channel.
//! - `COZE_LIVE_WORKFLOW_ID` (optional; the workflow test is skipped without it) and
//!   `COZE_LIVE_WORKFLOW_PARAMS` (optional JSON object of its inputs, default `{}`).
//!
//! They create a conversation (and delete it at the end) and use a few hundred tokens. The
//! same tests run against `coze emulator` when its base URL, PAT and echo bot are given.

use std::time::Duration;

use coze_sdk::{
    ChatEvent, ChatRequest, Client, ClientBuilder, CreateConversationRequest, EnterMessage,
    ListMessagesRequest, PollOptions, WorkflowRunRequest,
};
use futures_util::StreamExt;

fn enabled() -> bool {
    if std::env::var("COZE_LIVE").as_deref() == Ok("1") {
        return true;
    }
    println!("skipped: set COZE_LIVE=1 (and COZE_API_TOKEN, COZE_LIVE_BOT_ID) to run live tests");
    false
}

fn client() -> Client {
    assert!(
        std::env::var("COZE_API_TOKEN").is_ok_and(|t| !t.trim().is_empty()),
        "COZE_LIVE=1 needs COZE_API_TOKEN"
    );
    ClientBuilder::from_env()
        .build()
        .expect("COZE_API_BASE is a usable base URL")
}

fn bot() -> String {
    std::env::var("COZE_LIVE_BOT_ID")
        .ok()
        .filter(|b| !b.trim().is_empty())
        .expect("COZE_LIVE=1 needs COZE_LIVE_BOT_ID (a bot published to the API channel)")
}

#[tokio::test]
#[ignore = "live: needs COZE_LIVE=1 and a Coze account"]
async fn live_chat_stream_delivers_an_answer() {
    if !enabled() {
        return;
    }
    let req = ChatRequest::new(bot(), "coze-rs-live").user_message("Reply with one short word.");
    let mut stream = client()
        .chat()
        .stream(req)
        .await
        .expect("the stream starts");
    let (mut answer, mut completed, mut done) = (String::new(), false, false);
    while let Some(event) = stream.next().await {
        match event.expect("no stream error") {
            ChatEvent::MessageDelta(m) => answer.push_str(&m.content),
            ChatEvent::ChatCompleted(chat) => {
                completed = true;
                assert!(chat.usage.is_some(), "completed chats report usage");
            }
            ChatEvent::Done { .. } => done = true,
            _ => {}
        }
    }
    assert!(completed, "the chat completed");
    assert!(done, "the stream ended with done");
    assert!(!answer.trim().is_empty(), "the answer streamed in deltas");
}

#[tokio::test]
#[ignore = "live: needs COZE_LIVE=1 and a Coze account"]
async fn live_chat_without_streaming_polls_to_an_answer() {
    if !enabled() {
        return;
    }
    let req = ChatRequest::new(bot(), "coze-rs-live").user_message("Reply with one short word.");
    let options = PollOptions::new().timeout(Duration::from_secs(120));
    let done = client()
        .chat()
        .create_and_poll(req, options)
        .await
        .expect("the chat finishes");
    assert!(!done.answer().trim().is_empty(), "{done:?}");
}

#[tokio::test]
#[ignore = "live: needs COZE_LIVE=1 and a Coze account"]
async fn live_conversation_and_messages() {
    if !enabled() {
        return;
    }
    let client = client();
    let conv = client
        .conversations()
        .create(CreateConversationRequest::new().bot_id(bot()))
        .await
        .expect("conversation created");
    let result = async {
        let sent = client
            .messages()
            .create(&conv.id, EnterMessage::user("live test message"))
            .await?;
        let got = client.messages().retrieve(&conv.id, &sent.id).await?;
        assert_eq!(got.content, "live test message");
        let page = client
            .messages()
            .list_page(&conv.id, &ListMessagesRequest::new())
            .await?;
        assert!(page.messages.iter().any(|m| m.id == sent.id), "{page:?}");
        let again = client.conversations().retrieve(&conv.id).await?;
        assert_eq!(again.id, conv.id);
        Ok::<(), coze_sdk::Error>(())
    }
    .await;
    // Clean up whatever happened; a failed delete is reported after the real failure.
    let deleted = client.conversations().delete(&conv.id).await;
    result.expect("message calls succeed");
    deleted.expect("conversation deleted");
}

#[tokio::test]
#[ignore = "live: needs COZE_LIVE=1 and a Coze account"]
async fn live_workflow_run() {
    if !enabled() {
        return;
    }
    let Some(workflow) = std::env::var("COZE_LIVE_WORKFLOW_ID")
        .ok()
        .filter(|w| !w.trim().is_empty())
    else {
        println!("skipped: set COZE_LIVE_WORKFLOW_ID to run the workflow live test");
        return;
    };
    let params = std::env::var("COZE_LIVE_WORKFLOW_PARAMS").unwrap_or_else(|_| "{}".into());
    let params: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&params).expect("COZE_LIVE_WORKFLOW_PARAMS is a JSON object");
    let run = client()
        .workflows()
        .run(WorkflowRunRequest::new(workflow).parameters(params))
        .await
        .expect("the workflow runs");
    assert!(
        run.execute_id.is_some() || !run.raw_data.is_empty(),
        "{run:?}"
    );
}
