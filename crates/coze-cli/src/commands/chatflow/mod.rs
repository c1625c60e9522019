//! `coze chatflow ID`: chat with a chatflow like `coze chat` does with a bot.
//!
//! The answer streams to stdout. When the chatflow asks a question (a question node pauses
//! it with `requires_action`), the question is the answer just shown: at a terminal the next
//! line you type answers it; with `-m` and no terminal, the conversation id is printed on
//! stderr so the answer can be sent with `--conversation ID -m ANSWER`.

use std::io::IsTerminal;

use clap::Args;
use coze_sdk::{ChatEvent, ChatflowRequest, Client, ConversationId, WorkflowId};
use futures_util::StreamExt;

use super::chat::failed;
use super::non_empty_arg;
use super::stdin;
use super::workflow::params;
use crate::error::CliError;
use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, Args)]
pub struct ChatflowArgs {
    /// The chatflow (a workflow in chat mode; see `coze workflow list --mode chatflow`)
    pub id: String,
    /// Send this message, print the answer and exit
    #[arg(short, long, value_name = "TEXT")]
    pub message: Option<String>,
    /// Continue this conversation (to answer the chatflow's question)
    #[arg(long, value_name = "ID")]
    pub conversation: Option<String>,
    /// A start-node input, KEY=VALUE, repeatable
    #[arg(long = "param", value_name = "KEY=VALUE", num_args = 0..=1, default_missing_value = "")]
    pub params: Vec<String>,
}

/// How a turn ended.
enum Turn {
    Answered,
    Asked,
}

/// # Errors
/// A usage error for empty arguments; the chatflow's failure; the API error.
pub async fn run(args: ChatflowArgs, settings: &Settings) -> anyhow::Result<()> {
    let params = params::parse_all(&args.params)?;
    let client = settings.client()?;
    let out = &settings.output;
    let flow = WorkflowId::new(non_empty_arg(&args.id, "the chatflow id")?);
    let mut conversation = match &args.conversation {
        Some(id) => Some(ConversationId::new(non_empty_arg(id, "--conversation")?)),
        None => None,
    };
    let interactive = std::io::stdin().is_terminal() && !out.json();
    let mut next = match args.message {
        Some(text) if text.trim().is_empty() => {
            return Err(CliError::failed("the message is empty")
                .with_hint("pass the text to send: coze chatflow <id> -m \"hello\"")
                .into());
        }
        Some(text) => Some(text),
        None => read_line(interactive, "you> ").await?,
    };
    let one_shot = next.is_some() && !interactive;
    while let Some(text) = next.take() {
        let mut req = ChatflowRequest::new(flow.clone()).user_message(text);
        req.parameters.extend(params.iter().cloned());
        if let Some(id) = &conversation {
            req = req.conversation(id.clone());
        }
        let turn = turn(&client, req, out, &mut conversation).await?;
        let asked = matches!(turn, Turn::Asked);
        if asked && !interactive {
            if let Some(id) = &conversation {
                out.dim(&format!(
                    "answer with: coze chatflow {flow} --conversation {id} -m '<answer>'"
                ));
            }
            return Ok(());
        }
        if one_shot {
            return Ok(());
        }
        next = read_line(interactive, if asked { "answer> " } else { "you> " }).await?;
    }
    Ok(())
}

/// Sends one turn and shows it; records the conversation id.
async fn turn(
    client: &Client,
    req: ChatflowRequest,
    out: &Output,
    conversation: &mut Option<ConversationId>,
) -> anyhow::Result<Turn> {
    let mut stream = client.chatflows().stream(req).await?;
    let mut printed = false;
    let mut asked = false;
    while let Some(event) = stream.next().await {
        let event = event?;
        if out.json() {
            out.json_line(&event)?;
        }
        match event {
            ChatEvent::ChatCreated(chat) | ChatEvent::ChatInProgress(chat) => {
                conversation.get_or_insert(chat.conversation_id);
            }
            ChatEvent::MessageDelta(m) if !out.json() => {
                out.write(&m.content)?;
                printed = true;
            }
            ChatEvent::ChatRequiresAction(_) => asked = true,
            ChatEvent::ChatFailed(chat) => {
                if printed {
                    out.write("\n")?;
                }
                return Err(failed("chatflow", &chat, stream.logid()).into());
            }
            ChatEvent::Done {
                debug_url: Some(url),
            } if !out.json() => {
                if printed {
                    out.write("\n")?;
                    printed = false;
                }
                out.dim(&format!("debug: {url}"));
            }
            _ => {}
        }
    }
    if printed {
        out.write("\n")?;
    }
    Ok(if asked { Turn::Asked } else { Turn::Answered })
}

/// The next line typed at the terminal (prompt on stderr); `None` at end of input. Without a
/// terminal, stdin is read the same way (so `echo hi | coze chatflow ID` works).
async fn read_line(interactive: bool, prompt: &'static str) -> anyhow::Result<Option<String>> {
    let line = stdin::read_line(interactive.then(|| prompt.to_string())).await?;
    Ok(line.map(|l| l.trim().to_string()).filter(|l| !l.is_empty()))
}
