//! `coze` end to end against an in-process emulator: chat (one-shot, --json, errors, broken
//! streams, tool calls), demo, conversations, messages, and `coze emulator --json`.

mod chat;
mod emulator;
mod resources;
mod support;
mod voice;
