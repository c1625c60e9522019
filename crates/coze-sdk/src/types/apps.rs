//! App, folder, API app and copy task types.

use serde::{Deserialize, Serialize};

use crate::types::common::int;

/// An app (project) of a workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct App {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Icon URL.
    pub icon_url: String,
    /// Published.
    pub is_published: bool,
    /// Owner.
    pub owner_user_id: String,
    /// Updated (Unix seconds).
    #[serde(deserialize_with = "int")]
    pub updated_at: i64,
    /// Published (Unix seconds).
    #[serde(deserialize_with = "int")]
    pub published_at: i64,
    /// Folder.
    pub folder_id: String,
}

/// A page of apps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct AppList {
    /// This page.
    pub items: Vec<App>,
    /// Apps in all.
    #[serde(deserialize_with = "int")]
    pub total: i64,
}

/// A folder of a workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Folder {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Workspace.
    pub workspace_id: String,
    /// Creator.
    pub creator_user_id: String,
    /// `development` or `library`.
    pub folder_type: String,
    /// Parent folder ("" at the top).
    pub parent_folder_id: String,
    /// Children.
    #[serde(deserialize_with = "int")]
    pub children_count: i64,
}

/// A page of folders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct FolderList {
    /// This page.
    pub items: Vec<Folder>,
    /// Folders in all.
    #[serde(deserialize_with = "int")]
    pub total_count: i64,
}

/// An API (callback) app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ApiApp {
    /// Id.
    pub id: String,
    /// `normal` or `connector`.
    pub app_type: String,
    /// Name.
    pub name: String,
    /// Where Coze sends events.
    pub callback_url: String,
    /// The connector of a `connector` app.
    pub connector_id: String,
}

/// An event type an API app is subscribed to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ApiAppEvent {
    /// The API app.
    pub api_app_id: String,
    /// The event type.
    pub event_type: String,
    /// Its name.
    pub name: String,
    /// What it is about.
    pub description: String,
}

/// A page-token page (`items`, `next_page_token`, `has_more`).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TokenPage<T> {
    #[serde(default = "Vec::new")]
    pub items: Vec<T>,
    #[serde(default, deserialize_with = "crate::types::common::null_default")]
    pub next_page_token: String,
    #[serde(default)]
    pub has_more: bool,
}

/// A resource copy task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CopyTask {
    /// Task id.
    pub task_id: String,
    /// `bot`, `app`, ...
    pub entity_type: String,
    /// `in_progress`, `successful`, `failed`.
    pub task_status: String,
    /// The original.
    pub source_entity_id: String,
    /// The copy.
    pub target_entity_id: String,
    /// Where the copy is.
    pub target_workspace_id: String,
    /// The copy's name.
    pub entity_name: String,
}

/// What starting a copy returned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CopyStarted {
    /// The task (poll it with `copy_task`).
    pub task_id: String,
    /// The copy, when done at once.
    pub copied_entity_id: String,
}
