//! Workspace types.

use serde::{Deserialize, Serialize};

use crate::ids::{UserId, WorkspaceId};
use crate::types::common::{null_default, open_enum};
use crate::types::lenient::Int;

open_enum! {
    /// The caller's role in a workspace.
    WorkspaceRole {
        /// Owns the workspace.
        Owner => "owner",
        /// Administers it.
        Admin => "admin",
        /// A member.
        Member => "member",
    }
}

open_enum! {
    /// Personal or team workspace.
    WorkspaceType {
        /// The user's own workspace.
        Personal => "personal",
        /// A shared team workspace.
        Team => "team",
    }
}

/// A workspace ("space") the caller belongs to; bots and workflows live in one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Workspace {
    /// Workspace id (the `space_id` of other endpoints).
    #[serde(default)]
    pub id: WorkspaceId,
    /// Name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Icon URL.
    #[serde(default, deserialize_with = "null_default")]
    pub icon_url: String,
    /// The caller's role.
    #[serde(default)]
    pub role_type: WorkspaceRole,
    /// Personal or team.
    #[serde(default)]
    pub workspace_type: WorkspaceType,
    /// Enterprise id ("" for personal workspaces).
    #[serde(default, deserialize_with = "null_default")]
    pub enterprise_id: String,
    /// Owner.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_uid: Option<UserId>,
    /// Description.
    #[serde(
        default,
        deserialize_with = "null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub description: String,
}

/// One page of workspaces.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkspaceList {
    /// The workspaces of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub workspaces: Vec<Workspace>,
    /// How many workspaces there are in all.
    #[serde(default)]
    pub total_count: Int,
}

/// Which page of workspaces to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListWorkspacesRequest {
    /// First page to fetch (1-based).
    pub page_num: u32,
    /// Workspaces per page (at most 50).
    pub page_size: u32,
}

impl Default for ListWorkspacesRequest {
    fn default() -> Self {
        Self {
            page_num: 1,
            page_size: 20,
        }
    }
}

impl ListWorkspacesRequest {
    /// From page 1, 20 per page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the first page (1-based).
    pub fn page_num(mut self, page: u32) -> Self {
        self.page_num = page.max(1);
        self
    }

    /// Sets the page size (1–50).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size.clamp(1, 50);
        self
    }
}
