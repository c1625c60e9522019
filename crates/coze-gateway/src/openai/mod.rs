//! The OpenAI-compatible API: `GET /v1/models` and `POST /v1/chat/completions` in front of
//! Coze bots.
//!
//! Sans-I/O parts, each unit-tested on its own: [`types`] (the wire), [`request`] (reading
//! and checking a request), [`continuity`] (recognising a history the gateway answered
//! before), [`mapping`] (Coze chat events to OpenAI chunks), [`error`] (OpenAI-shaped errors).

pub mod continuity;
pub mod error;
pub mod mapping;
pub mod request;
pub mod types;
