//! Stream a chat answer token by token.
//!
//! ```sh
//! COZE_API_TOKEN=pat_... COZE_BOT_ID=7382... cargo run -p coze-sdk --example chat_stream -- "Hello!"
//! ```
//!
//! `COZE_API_BASE` picks the server (default `https://api.coze.com`; `https://api.coze.cn`
//! for coze.cn, or the URL `coze emulator` prints).

use std::io::Write;

use coze_sdk::{ChatEvent, ChatRequest, ClientBuilder, MessageType};
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.downcast_ref::<coze_sdk::Error>().and_then(|e| e.hint()) {
                eprintln!("hint: {hint}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let bot_id = std::env::var("COZE_BOT_ID").map_err(|_| "set COZE_BOT_ID to your bot's id")?;
    let question = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "Hello!".to_owned());
    let client = ClientBuilder::from_env().build()?;

    let req = ChatRequest::new(bot_id, "example-user").user_message(question);
    let mut stream = client.chat().stream(req).await?;
    let mut out = std::io::stdout();
    while let Some(event) = stream.next().await {
        match event {
            Ok(ChatEvent::MessageDelta(m)) if m.kind == MessageType::Answer => {
                write!(out, "{}", m.content)?;
                out.flush()?;
            }
            Ok(ChatEvent::MessageCompleted(m)) if m.kind == MessageType::Answer => println!(),
            Ok(ChatEvent::MessageCompleted(m)) if m.kind == MessageType::FollowUp => {
                eprintln!("  suggestion: {}", m.content);
            }
            Ok(ChatEvent::ChatCompleted(chat)) => {
                if let Some(usage) = chat.usage {
                    eprintln!("tokens: {}", usage.token_count);
                }
            }
            Ok(ChatEvent::ChatFailed(chat)) => {
                let err = chat.last_error.unwrap_or_default();
                return Err(format!("chat failed: code {}: {}", err.code, err.msg).into());
            }
            Ok(_) => {}
            Err(e) => {
                // Keep what arrived, end the line, then report.
                println!();
                return Err(e.into());
            }
        }
    }
    Ok(())
}
