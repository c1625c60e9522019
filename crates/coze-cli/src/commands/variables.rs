//! `coze variables get|set`: the user variables a bot (or app) keeps per user.
//!
//! The user is the channel user (`--user`, default: the token's own user); `get` without
//! names shows every variable set for that user.

use clap::{Args, Subcommand};
use coze_sdk::types::variables::VariableScope;

use super::{key_value, non_empty_arg};
use crate::error::CliError;
use crate::output::format_time;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum VariablesCommand {
    /// Show variables (all of them when no NAME is given)
    Get {
        #[command(flatten)]
        owner: Owner,
        /// Variable names
        names: Vec<String>,
    },
    /// Set variables: NAME=VALUE ...
    Set {
        #[command(flatten)]
        owner: Owner,
        /// NAME=VALUE pairs
        #[arg(required = true, value_parser = key_value)]
        values: Vec<(String, String)>,
    },
}

#[derive(Debug, Args)]
pub struct Owner {
    /// The bot whose variables these are
    #[arg(
        long,
        value_name = "ID",
        conflicts_with = "app",
        required_unless_present = "app"
    )]
    bot: Option<String>,
    /// The app whose variables these are
    #[arg(long, value_name = "ID")]
    app: Option<String>,
    /// The channel user [default: you]
    #[arg(long, value_name = "UID")]
    user: Option<String>,
    /// The channel [default: 1024, the API]
    #[arg(long, value_name = "ID")]
    connector: Option<String>,
}

impl Owner {
    fn scope(&self) -> anyhow::Result<VariableScope> {
        let mut scope = match (&self.bot, &self.app) {
            (Some(bot), _) => VariableScope::bot(non_empty_arg(bot, "--bot")?),
            (None, Some(app)) => VariableScope::app(non_empty_arg(app, "--app")?),
            (None, None) => {
                return Err(CliError::usage("no bot or app given")
                    .with_hint("pass --bot ID or --app ID")
                    .into());
            }
        };
        if let Some(user) = &self.user {
            scope = scope.user(non_empty_arg(user, "--user")?);
        }
        scope.connector_id = self.connector.clone();
        Ok(scope)
    }
}

/// # Errors
/// The API error, or a usage error.
pub async fn run(command: VariablesCommand, settings: &Settings) -> anyhow::Result<()> {
    let client = settings.client()?;
    let out = &settings.output;
    match command {
        VariablesCommand::Get { owner, names } => {
            let scope = owner.scope()?;
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let values = client.variables().get(&scope, &names).await?;
            out.list(
                &values,
                &["NAME", "VALUE", "UPDATED"],
                |v| {
                    vec![
                        v.keyword.clone(),
                        v.value.clone(),
                        format_time(v.update_time.get()),
                    ]
                },
                "no variables set for this user",
            )?;
        }
        VariablesCommand::Set { owner, values } => {
            let scope = owner.scope()?;
            let pairs: Vec<(&str, &str)> = values
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            client.variables().set(&scope, &pairs).await?;
            out.dim(&format!("set {} variable(s)", pairs.len()));
        }
    }
    Ok(())
}
