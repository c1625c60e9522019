//! Request and response types, one module per resource.

pub(crate) mod common;

pub mod bots;
pub mod chat;
pub mod conversations;
pub mod files;
pub mod messages;
pub mod users;
pub mod workflows;
pub mod workspaces;
