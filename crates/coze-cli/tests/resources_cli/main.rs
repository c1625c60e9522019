//! `coze workspaces`, `bots`, `files`, `chat --attach`, `workflow` and `chatflow` end to end
//! against an in-process emulator (issue 4).

mod bots;
mod coverage;
mod support;
mod templates;
mod workflows;
