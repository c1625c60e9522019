//! `coze`: chat with Coze (扣子) bots, manage conversations, run a local Coze.
//!
//! Parse, resolve settings, run one command, report. Exit status: 0 ok, 1 the request failed,
//! 2 usage or configuration error, 130 interrupted by Ctrl-C; a closed stdout exits 0.
//!
//! Choices made where the issue was silent (for the README):
//!
//! - Default region: coze.com, like the SDK and the official SDKs; `--region cn`,
//!   `COZE_REGION=cn` or a profile switch to coze.cn. Order: `--base-url`, `--region`,
//!   `COZE_API_BASE`, `COZE_REGION`, profile, default.
//! - `--user` defaults to a random id created once and kept in `<config dir>/user_id`
//!   (`COZE_CONFIG_DIR`, else the platform config dir + `coze`), so Coze keeps one context per
//!   machine without learning who the user is; `coze-cli` when it cannot be stored.
//! - The interactive chat keeps its history in `<config dir>/chat_history.txt` (typed input
//!   only, never piped input or tool outputs).
//! - With stdin not a terminal, `coze chat` / `coze demo` read one question per line and the
//!   exit status is 1 if any question failed.
//! - A tool call (`requires_action`) in the one-shot chat is answered with one line from stdin
//!   per call (`echo '{"temp":21}' | coze chat --bot ID -m "weather?"`).
//! - Ctrl-C in the one-shot chat also cancels the chat on Coze, then exits with 130.
//! - A stream that breaks mid-answer keeps what arrived and cancels the chat on Coze (as Ctrl-C
//!   does): Coze carries on with a chat whose client went away and answers 4016 to the next
//!   question in that conversation until it ends.
//! - `--json` prints one JSON value per line: chat events as `{"event","data"}`, list commands
//!   one object per item, `delete` of a conversation `{"id","deleted":true}`.
//! - Tables show times in UTC; long cells are shortened to 60 characters (`--json` has it all).
//! - `coze demo` slows the emulator's deltas to 40 ms so the streaming is visible.
//! - `coze chat --voice IN.wav` asks one question by voice over the WebSocket chat: the WAV is
//!   checked before connecting and sent as 16-bit mono PCM at its own rate (100 ms per
//!   append, as fast as the connection takes it); the answer's audio is asked as 24 kHz PCM and
//!   written to `--audio-out` through a temporary file; without `--audio-out` the audio events
//!   are not subscribed to. A cut or Ctrl-C keeps the text and audio that arrived; no
//!   reconnection (a new connection is a new session on Coze).
//! - Cargo feature `keyring` (off by default): tokens go to the OS keyring, or to the
//!   credentials file with one `warning:` line when no keyring works (`COZE_NO_KEYRING=1`
//!   opts out); details in the `config` module.

mod cli;
mod commands;
mod config;
mod error;
mod output;
mod render;
mod settings;

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Subcommands' arguments are defined lazily (`#[command(defer = true)]` on every
    // subcommand enum): only the path actually used is built, which keeps the start-up small
    // (memory figures in scripts/bench-cli.sh).
    let cli = cli::Cli::parse();
    init_logging(cli.global.verbose);

    // Servers (the emulator, `coze serve`, the demo's in-process emulator) get a thread per
    // core; every other command is one client conversation, for which one thread is enough
    // and cheaper (no hand-off of each network chunk between threads).
    let mut builder = match cli.command {
        cli::Command::Emulator(_) | cli::Command::Serve(_) | cli::Command::Demo(_) => {
            tokio::runtime::Builder::new_multi_thread()
        }
        _ => tokio::runtime::Builder::new_current_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            return fail(&anyhow::Error::new(err).context("cannot start the async runtime"));
        }
    };
    // On the heap: the future of every command is large, and each move of it on the stack
    // would touch (and keep resident) more stack pages.
    let result = runtime.block_on(Box::pin(commands::run(cli)));
    // Background tasks (a dropped stream, the emulator) must not keep the process alive.
    runtime.shutdown_background();
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => fail(&err),
    }
}

fn fail(err: &anyhow::Error) -> ExitCode {
    let code = error::exit_code(err);
    if !error::is_broken_pipe(err) && !error::is_silent(err) {
        let _ = error::report(err, output::Style::stderr(), &mut io::stderr().lock());
    }
    code
}

/// `-v` shows the SDK's request log, `-vv` everything; `RUST_LOG` applies when no `-v` is given.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = match verbose {
        0 => EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        1 => EnvFilter::new("warn,coze_sdk=debug,coze=debug"),
        _ => EnvFilter::new("debug,coze_sdk=trace,coze=trace"),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(io::stderr().is_terminal())
        .with_target(verbose > 1)
        .try_init();
}
