//! `coze chat`: the interactive chat (REPL) and the one-shot `-m`.

mod answer;
mod input;
mod oneshot;
mod repl;
mod tools;
mod turn;
mod voice;

pub(crate) use turn::failed;

use std::path::PathBuf;

use clap::Args;

use crate::error::CliError;
use crate::settings::{self, Settings};

#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The bot to chat with (its id, from the bot's URL in Coze)
    #[arg(long, value_name = "ID", required_unless_present = "emulator")]
    pub bot: Option<String>,

    /// Send this message, print the answer and exit (pipe-friendly); `-` reads the message
    /// from stdin
    #[arg(short, long, value_name = "TEXT")]
    pub message: Option<String>,

    /// Continue this conversation instead of starting a new one
    #[arg(long, value_name = "ID")]
    pub conversation: Option<String>,

    /// The user id Coze keeps context and memory for [default: one id per machine]
    #[arg(long, value_name = "ID")]
    pub user: Option<String>,

    /// Start a local Coze emulator and chat with its echo bot (same as `coze demo`)
    #[arg(long, conflicts_with = "bot")]
    pub emulator: bool,

    // --- attachments (issue 4, commands/files) ---
    /// Send a file or image with the (first) message: a local path, uploaded first, or an
    /// http(s) URL; repeatable
    #[arg(long, value_name = "PATH_OR_URL")]
    pub attach: Vec<String>,

    /// Print the answer's markdown as it is, also on a terminal (piped output always is)
    #[arg(long)]
    pub raw: bool,

    /// Do not show the bot's reasoning (shown dimmed on stderr before the answer otherwise)
    #[arg(long)]
    pub no_reasoning: bool,

    // --- voice (issue 13, chat/voice.rs) ---
    /// Ask by voice: stream this WAV file to the bot over Coze's WebSocket chat and print
    /// its answer
    #[arg(long, value_name = "IN.wav", conflicts_with_all = ["message", "attach"])]
    pub voice: Option<PathBuf>,

    /// With --voice: write the bot's spoken answer to this WAV file
    #[arg(long, value_name = "OUT.wav", requires = "voice", conflicts_with_all = ["message", "attach"])]
    pub audio_out: Option<PathBuf>,

    /// With --voice: the voice the bot answers in [default: the bot's]
    #[arg(long, value_name = "ID", requires = "voice", conflicts_with_all = ["message", "attach"])]
    pub voice_id: Option<String>,
}

/// What to chat with and how; `coze demo` builds one too.
#[derive(Debug, Default, Clone)]
pub struct ChatOptions {
    pub bot: Option<String>,
    pub message: Option<String>,
    pub conversation: Option<String>,
    pub user: Option<String>,
    /// How the interactive chat names the bot ("bot <id>" when `None`).
    pub label: Option<String>,
    /// `--attach` values, sent with the first message.
    pub attach: Vec<String>,
    /// How answers are shown (`--raw`, `--no-reasoning`).
    pub display: turn::Display,
    /// `--voice`: ask by voice over the WebSocket chat instead.
    pub voice: Option<voice::VoiceOptions>,
}

/// # Errors
/// A usage error for an empty message or id; otherwise whatever the chat reports.
pub async fn run(args: ChatArgs, settings: &Settings) -> anyhow::Result<()> {
    let options = ChatOptions {
        bot: args.bot,
        message: args.message,
        conversation: args.conversation,
        user: args.user,
        label: None,
        attach: args.attach,
        display: turn::Display {
            raw: args.raw,
            reasoning: !args.no_reasoning,
        },
        voice: args.voice.map(|input| voice::VoiceOptions {
            input,
            render: !args.raw,
            audio_out: args.audio_out,
            voice_id: args.voice_id,
        }),
    };
    if args.emulator {
        return super::demo::run_chat(options, coze_emulator::Pace::Realistic, settings).await;
    }
    run_with(options, settings).await
}

/// Runs the one-shot chat when a message is given, the interactive chat otherwise.
///
/// # Errors
/// See [`run`].
pub async fn run_with(options: ChatOptions, settings: &Settings) -> anyhow::Result<()> {
    let bot = non_empty(options.bot.as_deref(), "--bot")?
        .ok_or_else(|| CliError::usage("--bot is required").with_hint("pass --bot <bot id>"))?;
    let conversation = non_empty(options.conversation.as_deref(), "--conversation")?;
    let user = match non_empty(options.user.as_deref(), "--user")? {
        Some(user) => user,
        None => default_user_id(),
    };
    let client = settings.client()?;
    if let Some(voice_options) = options.voice {
        let voice_id = match voice_options.voice_id.as_deref() {
            Some(v) => Some(super::non_empty_arg(v, "--voice-id")?),
            None => None,
        };
        let voice_options = voice::VoiceOptions {
            voice_id,
            ..voice_options
        };
        return voice::run(
            &client,
            &bot,
            &user,
            conversation,
            voice_options,
            &settings.output,
        )
        .await;
    }
    let label = options.label.unwrap_or_else(|| format!("bot {bot}"));
    // --- attachments (issue 4): upload local files before the chat starts ---
    let parts = super::files::attachments(&client, &options.attach, &settings.output).await?;
    let attachments = std::sync::Arc::new(std::sync::Mutex::new(parts));
    let target = turn::Target {
        client,
        bot,
        user,
        label,
        attachments,
        display: options.display,
    };
    let message = match options.message {
        Some(m) if m == "-" => Some(read_stdin_message().await?),
        other => other,
    };
    match message {
        Some(message) => {
            if message.trim().is_empty() {
                // Exit 1, not 2: issue 2 lists an empty message among the bad inputs that exit 1.
                return Err(CliError::failed("the message is empty")
                    .with_hint("pass the text to send: coze chat --bot <id> -m \"hello\"")
                    .into());
            }
            oneshot::run(&target, conversation, message, settings).await
        }
        None => repl::run(&target, conversation, settings).await,
    }
}

/// The whole of stdin as one message (`-m -`), without the final newline.
async fn read_stdin_message() -> anyhow::Result<String> {
    use tokio::io::AsyncReadExt;
    let mut text = String::new();
    tokio::io::stdin()
        .read_to_string(&mut text)
        .await
        .map_err(|e| {
            CliError::failed(format!("cannot read the message from stdin: {e}"))
                .with_hint("pipe UTF-8 text: echo hello | coze chat --bot ID -m -")
        })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

fn non_empty(value: Option<&str>, name: &str) -> anyhow::Result<Option<String>> {
    match value.map(str::trim) {
        None => Ok(None),
        Some("") => Err(super::empty_arg(name).into()),
        Some(v) => Ok(Some(v.to_string())),
    }
}

/// A stable id per machine (and config dir), so Coze keeps one context for this user across
/// runs without sending anything that identifies the person. Created on first use; when it
/// cannot be stored, the fixed id `coze-cli` is used.
fn default_user_id() -> String {
    const FALLBACK: &str = "coze-cli";
    let Some(path) = settings::config_dir().map(|d| d.join("user_id")) else {
        return FALLBACK.to_string();
    };
    if let Ok(id) = std::fs::read_to_string(&path) {
        let id = id.trim();
        if !id.is_empty() {
            return id.to_string();
        }
    }
    let id = format!("coze-cli-{:016x}", rand::random::<u64>());
    let stored = path
        .parent()
        .is_some_and(|dir| std::fs::create_dir_all(dir).is_ok())
        && std::fs::write(&path, format!("{id}\n")).is_ok();
    if stored { id } else { FALLBACK.to_string() }
}

/// Where the interactive chat keeps its input history: `COZE_DATA_DIR`, else the platform's
/// data directory + `coze` (`~/.local/share/coze` on Linux), file `chat_history.txt`.
fn history_path() -> Option<PathBuf> {
    let dir = match std::env::var_os("COZE_DATA_DIR") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::data_dir().map(|d| d.join("coze")),
    };
    dir.map(|d| d.join("chat_history.txt"))
}
