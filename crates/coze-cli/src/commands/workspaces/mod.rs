//! `coze workspaces list`: the workspaces the token can use, with the ids other commands
//! take as `--workspace`.

use clap::Subcommand;
use coze_sdk::{Client, ListWorkspacesRequest, Workspace, WorkspaceId, WorkspaceType};
use futures_util::StreamExt;

use crate::error::CliError;
use crate::output::Output;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum WorkspacesCommand {
    /// List your workspaces (personal first); the ID is what `--workspace` takes
    List,
    /// List a workspace's members, or add and remove them
    Members {
        /// The workspace [default: your personal workspace]
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        /// Add these user ids (as members; see --admin)
        #[arg(long, value_name = "USER_ID")]
        add: Vec<String>,
        /// Remove these user ids
        #[arg(long, value_name = "USER_ID")]
        remove: Vec<String>,
        /// Add them as admins
        #[arg(long, requires = "add")]
        admin: bool,
    },
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
        WorkspacesCommand::Members {
            workspace,
            add,
            remove,
            admin,
        } => {
            let workspace = resolve(&client, workspace.as_deref()).await?;
            members(&client, &workspace, &add, &remove, admin, &settings.output).await
        }
    }
}

async fn members(
    client: &Client,
    workspace: &WorkspaceId,
    add: &[String],
    remove: &[String],
    admin: bool,
    out: &Output,
) -> anyhow::Result<()> {
    let api = client.workspaces();
    if !add.is_empty() {
        let role = if admin { "admin" } else { "member" };
        let users: Vec<(&str, &str)> = add.iter().map(|u| (u.as_str(), role)).collect();
        let r = api.add_members(workspace, &users).await?;
        for (label, ids) in [
            ("added", &r.added_success_user_ids),
            ("invited", &r.invited_success_user_ids),
            ("no such user", &r.not_exist_user_ids),
            ("already a member", &r.already_joined_user_ids),
        ] {
            if !ids.is_empty() {
                out.dim(&format!("{label}: {}", ids.join(", ")));
            }
        }
    }
    if !remove.is_empty() {
        let ids: Vec<&str> = remove.iter().map(String::as_str).collect();
        let r = api.remove_members(workspace, &ids).await?;
        for (label, ids) in [
            ("removed", &r.removed_success_user_ids),
            ("not a member", &r.not_in_workspace_user_ids),
            (
                "the owner cannot be removed",
                &r.owner_not_support_remove_user_ids,
            ),
        ] {
            if !ids.is_empty() {
                out.dim(&format!("{label}: {}", ids.join(", ")));
            }
        }
    }
    if add.is_empty() && remove.is_empty() {
        let list = api.members(workspace).collect_all().await?;
        out.list(
            &list,
            &["USER ID", "ROLE", "NAME", "NICKNAME"],
            |m| {
                vec![
                    m.user_id.clone(),
                    m.role_type.clone(),
                    m.user_unique_name.clone(),
                    m.user_nickname.clone(),
                ]
            },
            "no members",
        )?;
    }
    Ok(())
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
