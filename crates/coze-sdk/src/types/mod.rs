//! Request and response types, one module per resource.

pub(crate) mod common;

pub mod chat;
pub mod conversations;
pub mod messages;
pub mod bots;
pub mod files;
pub mod workflows;
pub mod workspaces;
pub mod users;
