//! Workspace member and enterprise types.

use serde::{Deserialize, Serialize};

/// A member of a workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WorkspaceMember {
    /// User id.
    pub user_id: String,
    /// `owner`, `admin` or `member`.
    pub role_type: String,
    /// Nickname.
    pub user_nickname: String,
    /// Unique user name.
    pub user_unique_name: String,
    /// Avatar URL.
    pub avatar_url: String,
}

/// A page of members.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WorkspaceMemberList {
    /// This page.
    pub items: Vec<WorkspaceMember>,
    /// Members in all.
    pub total_count: i64,
}

/// What adding members did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AddMembersResult {
    /// Added.
    pub added_success_user_ids: Vec<String>,
    /// Invited (they must accept).
    pub invited_success_user_ids: Vec<String>,
    /// No such user.
    pub not_exist_user_ids: Vec<String>,
    /// Already members.
    pub already_joined_user_ids: Vec<String>,
    /// Already invited.
    pub already_invited_user_ids: Vec<String>,
}

/// What removing members did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct RemoveMembersResult {
    /// Removed.
    pub removed_success_user_ids: Vec<String>,
    /// Were not members.
    pub not_in_workspace_user_ids: Vec<String>,
    /// Owners (cannot be removed).
    pub owner_not_support_remove_user_ids: Vec<String>,
}
