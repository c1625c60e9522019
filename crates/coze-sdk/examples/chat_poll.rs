//! Ask without streaming: create the chat, poll until it finishes, print the answer.
//!
//! ```sh
//! COZE_API_TOKEN=pat_... COZE_BOT_ID=7382... cargo run -p coze-sdk --example chat_poll -- "Hello!"
//! ```

use std::time::Duration;

use coze_sdk::{ChatRequest, ChatStatus, ClientBuilder, PollOptions};

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
    let options = PollOptions::new().timeout(Duration::from_secs(120));
    let done = client.chat().create_and_poll(req, options).await?;
    match done.chat.status {
        ChatStatus::Completed => println!("{}", done.answer()),
        ChatStatus::RequiresAction => {
            for call in done.chat.tool_calls() {
                println!(
                    "the bot wants {}({})",
                    call.function.name, call.function.arguments
                );
            }
        }
        other => {
            let err = done.chat.last_error.unwrap_or_default();
            return Err(format!("chat ended {other}: code {}: {}", err.code, err.msg).into());
        }
    }
    Ok(())
}
