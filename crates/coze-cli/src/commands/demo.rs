//! `coze demo` (and `coze chat --emulator`): a local Coze in-process and a chat with its echo
//! bot. The README's first command: no account, no token, no network.

use clap::Args;
use coze_emulator::{EmulatorConfig, Pace};

use super::chat::{self, ChatOptions};
use super::emulator;
use crate::settings::Settings;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Send one message, print the answer and exit
    #[arg(short, long, value_name = "TEXT")]
    pub message: Option<String>,
    /// How fast the echo bot answers (realistic, fast, instant or FIRST_TOKEN_MS,DELTA_INTERVAL_MS)
    #[arg(long, value_name = "PACE", default_value = "realistic")]
    pub pace: Pace,
}

/// # Errors
/// Fails when the emulator cannot start or the chat fails.
pub async fn run(args: DemoArgs, settings: &Settings) -> anyhow::Result<()> {
    let options = ChatOptions {
        message: args.message,
        ..ChatOptions::default()
    };
    run_chat(options, args.pace, settings).await
}

/// Starts the emulator and chats with its echo bot using `options` (its bot is replaced).
///
/// # Errors
/// Fails when the emulator cannot start or the chat fails.
pub async fn run_chat(
    mut options: ChatOptions,
    pace: Pace,
    settings: &Settings,
) -> anyhow::Result<()> {
    // The realistic pace by default: it should feel like a real bot typing.
    let config = EmulatorConfig {
        pace,
        ..EmulatorConfig::default()
    };
    let emu = emulator::start(config).await?;
    let base = emu.base_url().to_string();
    let local = settings.with_endpoint(&base, coze_sdk::Secret::new(emu.pat()));
    options.bot = Some(emu.bots().echo.clone());

    options.label = Some("its echo bot".to_string());
    let out = &settings.output;
    if options.message.is_none() && options.voice.is_none() && !out.json() {
        let s = out.err_style();
        out.note(&format!(
            "{} a local Coze is running at {base} (it stops when you quit)",
            s.accent("coze demo:")
        ));
        out.dim("Your own bots next: `coze auth login` (or COZE_API_TOKEN=pat_...), then `coze chat --bot <bot id>`.");
    }
    let result = chat::run_with(options, &local).await;
    drop(emu);
    result
}
