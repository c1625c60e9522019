//! One module per command group. Each exposes its clap arguments and
//! `async fn run(args, &Settings) -> anyhow::Result<()>`.

pub mod audio;
pub mod auth;
pub mod bots;
pub mod chat;
pub mod chatflow;
pub mod completions;
pub mod conversations;
pub mod datasets;
pub mod demo;
pub mod doctor;
pub mod emulator;
pub mod files;
pub mod glif;
pub mod messages;
pub mod serve;
mod stdin;
pub mod templates;
pub mod variables;
pub mod workflow;
pub mod workspaces;

use crate::cli::{Cli, Command};
use crate::error::CliError;
use crate::settings::Settings;

/// Resolves the settings once and runs the chosen command.
///
/// # Errors
/// Whatever the command reports; `main` prints it and picks the exit status.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    // Generated from the command line's definition alone: no settings needed.
    match &cli.command {
        Command::Completions(args) => return completions::completions(args),
        Command::Man => return completions::man(),
        _ => {}
    }
    let settings = Settings::resolve(&cli.global)?;
    let result = match cli.command {
        Command::Chat(args) => chat::run(args, &settings).await,
        Command::Demo(args) => demo::run(args, &settings).await,
        Command::Conversations(cmd) => conversations::run(cmd, &settings).await,
        Command::Messages(cmd) => messages::run(cmd, &settings).await,
        Command::Emulator(args) => emulator::run(args, &settings).await,
        Command::Auth(cmd) => auth::run(cmd, &settings).await,
        Command::Whoami => auth::whoami(&settings).await,
        Command::Glif(args) => glif::run(args, &settings).await,
        Command::Serve(args) => serve::run(args, &settings).await,
        Command::Workspaces(cmd) => workspaces::run(cmd, &settings).await,
        Command::Bots(cmd) => bots::run(cmd, &settings).await,
        Command::Files(cmd) => files::run(cmd, &settings).await,
        Command::Workflow(cmd) => workflow::run(cmd, &settings).await,
        Command::Chatflow(args) => chatflow::run(args, &settings).await,
        Command::Datasets(cmd) => datasets::run(cmd, &settings).await,
        Command::Variables(cmd) => variables::run(cmd, &settings).await,
        Command::Audio(cmd) => audio::run(cmd, &settings).await,
        Command::Templates(cmd) => templates::run(cmd, &settings).await,
        Command::Doctor(args) => doctor::run(args, &settings).await,
        Command::Completions(_) | Command::Man => Ok(()),
    };
    // A stored token refused by another region's server: say which region it belongs to.
    result.map_err(|err| auth::explain_api_error(&settings, err))
}

/// Trims an argument and rejects an empty one with a usage error naming it.
///
/// # Errors
/// A usage error (exit status 2) when `value` is empty or only whitespace.
pub fn non_empty_arg(value: &str, name: &str) -> anyhow::Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(empty_arg(name).into());
    }
    Ok(value.to_string())
}

/// The usage error for an argument given as an empty string, with what to do about it.
pub fn empty_arg(name: &str) -> CliError {
    CliError::usage(format!("{name} is empty")).with_hint(format!(
        "pass a value for {name}; an empty one usually means a shell variable was not set"
    ))
}

/// Parses `KEY=VALUE` (for `--meta`).
///
/// # Errors
/// A message for clap when there is no `=` or the key is empty.
pub fn key_value(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((key, value)) if !key.trim().is_empty() => {
            Ok((key.trim().to_string(), value.to_string()))
        }
        _ => Err(format!("expected KEY=VALUE, got `{arg}`")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_arguments_are_usage_errors_with_a_hint() {
        let err = non_empty_arg(" \n", "--conversation").expect_err("empty");
        assert_eq!(
            crate::error::exit_code(&err),
            std::process::ExitCode::from(crate::error::EXIT_USAGE)
        );
        let mut text = Vec::new();
        crate::error::report(&err, crate::output::Style::plain(), &mut text).expect("report");
        let text = String::from_utf8(text).expect("utf-8");
        assert!(
            text.starts_with("error: --conversation is empty\n"),
            "{text}"
        );
        assert!(
            text.contains("hint: pass a value for --conversation"),
            "{text}"
        );
        assert_eq!(non_empty_arg(" 42 ", "--bot").expect("kept"), "42");
    }
}
