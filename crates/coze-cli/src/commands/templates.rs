//! `coze templates duplicate ID`: copy a template of the Coze template store into a
//! workspace. An agent template becomes an unpublished bot of yours; the command prints its id
//! and how to publish it.

use clap::Subcommand;

use super::non_empty_arg;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum TemplatesCommand {
    /// Copy a template into a workspace (an agent template becomes a draft bot)
    Duplicate {
        /// The template's id (from the template store's page URL)
        id: String,
        /// The workspace to put the copy in [default: your personal workspace]
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        /// A name for the copy [default: the template's]
        #[arg(long)]
        name: Option<String>,
    },
}

/// # Errors
/// The API error, or a usage error.
pub async fn run(command: TemplatesCommand, settings: &Settings) -> anyhow::Result<()> {
    let client = settings.client()?;
    let out = &settings.output;
    match command {
        TemplatesCommand::Duplicate {
            id,
            workspace,
            name,
        } => {
            let id = non_empty_arg(&id, "ID")?;
            let name = name.map(|n| non_empty_arg(&n, "--name")).transpose()?;
            let workspace = super::workspaces::resolve(&client, workspace.as_deref()).await?;
            let made = client
                .templates()
                .duplicate(&id, &workspace, name.as_deref())
                .await?;
            if out.json() {
                out.json_line(&made)?;
            } else {
                out.line(&made.entity_id)?;
                if made.entity_type == "agent" {
                    out.dim(&format!(
                        "created an unpublished bot from the template; publish it with: coze bots publish {}",
                        made.entity_id
                    ));
                } else {
                    out.dim(&format!("created a {} from the template", made.entity_type));
                }
            }
        }
    }
    Ok(())
}
