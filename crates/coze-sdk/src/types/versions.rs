//! Version types of bots and workflows, and workflow node outputs.

use serde::{Deserialize, Serialize};

use crate::types::lenient::Int;

/// Who made a version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Creator {
    /// User id.
    pub id: String,
    /// User name.
    pub name: String,
}

/// A version of a bot.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BotVersion {
    /// Version number ("" for the draft).
    pub version: String,
    /// What changed.
    pub changelog: String,
    /// Created (Unix seconds).
    pub created_at: Int,
    /// `published_online` or `unpublished_draft`.
    pub publish_status: String,
    /// Who made it.
    pub creator: Creator,
}

/// A version of a workflow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct WorkflowVersion {
    /// Version (`v0.0.1`).
    pub version: String,
    /// Description.
    pub description: String,
    /// Created (Unix seconds).
    pub created_at: Int,
    /// Updated (Unix seconds).
    pub updated_at: Int,
    /// The workflow.
    pub workflow_id: String,
    /// Who made it.
    pub creator: Creator,
}

/// A page of versions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct VersionPage<T> {
    /// This page.
    pub items: Vec<T>,
    /// More pages follow.
    pub has_more: bool,
}

/// The output of one node of a workflow run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct NodeOutput {
    /// The node has finished.
    pub is_finish: bool,
    /// Its output (text or a JSON string).
    pub node_output: String,
}
