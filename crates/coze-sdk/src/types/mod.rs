//! Request and response types, one module per resource.

pub(crate) mod common;

pub mod apps;
pub mod audio;
pub mod bots;
pub mod chat;
pub mod conversations;
pub mod datasets;
pub mod extras;
pub mod files;
pub mod members;
pub mod messages;
pub mod users;
pub mod variables;
pub mod versions;
pub mod workflows;
pub mod workspaces;
