//! Command-line shape: the global options and one enum variant per command group.
//!
//! Each group defines its own argument types next to its code (`commands/<group>`), so adding
//! a group is one variant here plus one match arm in `commands/mod.rs`.

use clap::{Args, Parser, Subcommand};

use crate::commands;

/// Chat with your Coze (扣子) bots and manage conversations from the terminal.
#[derive(Debug, Parser)]
#[command(name = "coze", version, about, propagate_version = true)]
#[command(
    after_help = "Try it offline first: `coze demo` starts a local Coze and chats with its echo bot."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts. They are resolved once into `Settings`.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Coze region: `cn` (api.coze.cn) or `com` (api.coze.com); also `coze.cn`/`china`,
    /// `coze.com`/`global` [env: COZE_REGION]
    #[arg(long, global = true, value_name = "REGION", value_parser = parse_region)]
    pub region: Option<Region>,

    /// API base URL, e.g. a self-hosted Coze Studio or `coze emulator` (overrides --region)
    /// [env: COZE_API_BASE]
    #[arg(long, global = true, value_name = "URL")]
    pub base_url: Option<String>,

    /// Access token (a PAT or an OAuth token); surrounding whitespace is ignored
    /// [env: COZE_API_TOKEN]
    #[arg(long, global = true, value_name = "TOKEN", hide_env_values = true)]
    pub token: Option<String>,

    /// Log requests to stderr (tokens are redacted); repeat for more detail
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Print machine-readable JSON (one JSON value per line) on stdout
    #[arg(long, global = true)]
    pub json: bool,

    /// Profile (in config.toml and credentials.json) to use [env: COZE_PROFILE] [default: default]
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
}

/// The two public Coze deployments: the SDK's type, parsed by the SDK (one set of spellings
/// for flags, `COZE_REGION` and profiles: `cn`, `coze.cn`, `china`, `api.coze.cn` or `com`,
/// `coze.com`, `global`, `api.coze.com`, any case).
pub use coze_sdk::Region;

/// `--region`'s parser: the SDK's `FromStr`, with its one-line message.
fn parse_region(value: &str) -> Result<Region, String> {
    value.parse::<Region>().map_err(|e| match e {
        coze_sdk::Error::Config(msg) => msg,
        other => other.to_string(),
    })
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum Command {
    /// Chat with a bot: interactive, or one message with `-m`
    Chat(commands::chat::ChatArgs),
    /// Start a local Coze emulator and chat with its echo bot
    Demo(commands::demo::DemoArgs),
    /// Create, list, rename, clear and delete conversations
    #[command(subcommand, visible_alias = "conv")]
    Conversations(commands::conversations::ConversationsCommand),
    /// Create, list, read, edit and delete the messages of a conversation
    #[command(subcommand, visible_alias = "msg")]
    Messages(commands::messages::MessagesCommand),
    /// Run a local Coze emulator (for tests, demos and the official SDKs)
    Emulator(commands::emulator::EmulatorArgs),
    /// Log in, see the login state, print or refresh the token, log out
    #[command(subcommand)]
    Auth(commands::auth::AuthCommand),
    /// Show the account behind the token in use
    Whoami,
    /// Read a glif's inputs and run it (glif.app AI apps)
    Glif(commands::glif::GlifArgs),
    /// Run the gateway: an OpenAI-compatible API for your bots, the Glif plugin bridge, the web chat
    Serve(commands::serve::ServeArgs),
    /// List your workspaces (their ids are what `--workspace` takes)
    #[command(subcommand)]
    Workspaces(commands::workspaces::WorkspacesCommand),
    /// List, show, create, update, publish and unpublish bots
    #[command(subcommand)]
    Bots(commands::bots::BotsCommand),
    /// Upload files (to send them in chat) and show uploaded ones
    #[command(subcommand)]
    Files(commands::files::FilesCommand),
    /// List, run, resume and follow workflows
    #[command(subcommand)]
    Workflow(commands::workflow::WorkflowCommand),
    /// Chat with a chatflow (a workflow in chat mode)
    Chatflow(commands::chatflow::ChatflowArgs),
    /// Knowledge bases and their documents (add files and pages, follow processing)
    #[command(subcommand, visible_alias = "kb")]
    Datasets(commands::datasets::DatasetsCommand),
    /// Read and set the user variables of a bot or app
    #[command(subcommand)]
    Variables(commands::variables::VariablesCommand),
    /// Text to speech, transcription, voices
    #[command(subcommand)]
    Audio(commands::audio::AudioCommand),
    /// Copy a template of the Coze template store into a workspace
    #[command(subcommand)]
    Templates(commands::templates::TemplatesCommand),
    /// Check the setup: config, token and its region, reachability of Coze, clock, file modes
    Doctor(commands::doctor::DoctorArgs),
    /// Print the shell completion script for bash, zsh, fish, powershell or elvish
    Completions(commands::completions::CompletionsArgs),
    /// Print the manual page (roff): `coze man | man -l -`
    Man,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_work_after_the_subcommand() {
        let cli = Cli::try_parse_from(["coze", "chat", "--bot", "1", "--region", "com", "--json"])
            .expect("valid command line");
        assert_eq!(cli.global.region, Some(Region::Com));
        assert!(cli.global.json);
    }
}
