//! `coze workspaces list`: the workspaces the token can use, with the ids other commands
//! take as `--workspace`.

use clap::Subcommand;
use coze_sdk::{Client, ListWorkspacesRequest, Workspace, WorkspaceId, WorkspaceType};
use futures_util::StreamExt;

use crate::error::CliError;
use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
pub enum WorkspacesCommand {
    /// List your workspaces (personal first); the ID is what `--workspace` takes
    List,
}

/// # Errors
/// The API error.
pub async fn run(command: WorkspacesCommand, settings: &Settings) -> anyhow::Result<()> {
    let client = settings.client()?;
    match command {
        WorkspacesCommand::List => {
            let workspaces = client
                .workspaces()
                .list(ListWorkspacesRequest::new().page_size(50))
                .collect_all()
                .await?;
            show(&workspaces, &settings.output)
        }
    }
}

fn show(workspaces: &[Workspace], out: &Output) -> anyhow::Result<()> {
    out.list(
        workspaces,
        &["ID", "NAME", "TYPE", "ROLE"],
        |w| {
            vec![
                w.id.to_string(),
                w.name.clone(),
                w.workspace_type.to_string(),
                w.role_type.to_string(),
            ]
        },
        "no workspaces: the token has access to none",
    )?;
    Ok(())
}

/// The workspace a command works in: `given`, or else the personal workspace (the first
/// one when there is none).
///
/// # Errors
/// The API error, or a failure with a hint when the token sees no workspace.
pub async fn resolve(client: &Client, given: Option<&str>) -> anyhow::Result<WorkspaceId> {
    if let Some(id) = given {
        return Ok(WorkspaceId::new(super::non_empty_arg(id, "--workspace")?));
    }
    let mut items = client
        .workspaces()
        .list(ListWorkspacesRequest::new().page_size(50))
        .items();
    let mut first = None;
    while let Some(ws) = items.next().await {
        let ws = ws?;
        if ws.workspace_type == WorkspaceType::Personal {
            return Ok(ws.id);
        }
        first.get_or_insert(ws.id);
    }
    first.ok_or_else(|| {
        CliError::failed("the token has access to no workspace")
            .with_hint("pass --workspace <id>, or use a token with access to a workspace")
            .into()
    })
}
