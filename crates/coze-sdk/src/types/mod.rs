//! Request and response types, one module per resource.

pub(crate) mod common;

pub mod chat;
pub mod conversations;
pub mod messages;
