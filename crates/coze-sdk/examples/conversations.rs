//! Create a conversation, add a message, and list the bot's conversations page by page.
//!
//! ```sh
//! COZE_API_TOKEN=pat_... COZE_BOT_ID=7382... cargo run -p coze-sdk --example conversations
//! ```

use coze_sdk::{
    ClientBuilder, CreateConversationRequest, EnterMessage, ListConversationsRequest,
    ListMessagesRequest,
};
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
    let client = ClientBuilder::from_env().build()?;

    let conv = client
        .conversations()
        .create(
            CreateConversationRequest::new()
                .bot_id(bot_id.as_str())
                .name("example"),
        )
        .await?;
    client
        .messages()
        .create(&conv.id, EnterMessage::user("a note for later"))
        .await?;
    println!("created conversation {}", conv.id);

    let mut pages = client
        .conversations()
        .list(ListConversationsRequest::new(bot_id).page_size(10));
    let mut n = 0;
    while let Some(page) = pages.next().await {
        for c in page?.items {
            n += 1;
            println!(
                "{}\t{}\t{}",
                c.id,
                c.created_at.get().unwrap_or_default(),
                c.name
            );
        }
        if n >= 50 {
            break;
        }
    }

    let messages = client
        .messages()
        .list(&conv.id, ListMessagesRequest::new())
        .collect_all()
        .await?;
    println!("{} message(s) in {}", messages.len(), conv.id);
    Ok(())
}
