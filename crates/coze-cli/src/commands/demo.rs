//! `coze demo` (and `coze chat --emulator`): a local Coze in-process and a chat with its echo
//! bot. The README's first command: no account, no token, no network.

use std::time::Duration;

use clap::Args;
use coze_emulator::EmulatorConfig;

use super::chat::{self, ChatOptions};
use super::emulator;
use crate::settings::Settings;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Send one message, print the answer and exit
    #[arg(short, long, value_name = "TEXT")]
    pub message: Option<String>,
}

/// # Errors
/// Fails when the emulator cannot start or the chat fails.
pub async fn run(args: DemoArgs, settings: &Settings) -> anyhow::Result<()> {
    let options = ChatOptions {
        message: args.message,
        ..ChatOptions::default()
    };
    run_chat(options, settings).await
}

/// Starts the emulator and chats with its echo bot using `options` (its bot is replaced).
///
/// # Errors
/// Fails when the emulator cannot start or the chat fails.
pub async fn run_chat(mut options: ChatOptions, settings: &Settings) -> anyhow::Result<()> {
    // A short pause between deltas makes the streaming visible, as with a real model.
    let config = EmulatorConfig {
        delta_delay: Duration::from_millis(40),
        ..EmulatorConfig::default()
    };
    let emu = emulator::start(config).await?;
    let base = emu.base_url().to_string();
    let local = settings.with_endpoint(&base, coze_sdk::Secret::new(emu.pat()));
    options.bot = Some(emu.bots().echo.clone());

    options.label = Some("its echo bot".to_string());
    let out = &settings.output;
    if options.message.is_none() && !out.json() {
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
