//! `coze`: chat with Coze (扣子) bots, manage conversations, run a local Coze.
//!
//! Parse, resolve settings, run one command, report. Exit status: 0 ok, 1 the request failed,
//! 2 usage or configuration error, 130 interrupted by Ctrl-C; a closed stdout exits 0.

mod cli;
mod commands;
mod config;
mod error;
mod output;
mod settings;

use std::io::{self, IsTerminal};
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    init_logging(cli.global.verbose);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => {
            return fail(&anyhow::Error::new(err).context("cannot start the async runtime"));
        }
    };
    let result = runtime.block_on(commands::run(cli));
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
