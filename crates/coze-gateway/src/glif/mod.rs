//! Glif: a client for running glifs, and the plugin bridge that makes glifs Coze tools.
//!
//! - [`GlifClient`] runs a glif through the Simple API and reads its inputs from the glifs
//!   read API, behind the [`GlifTransport`] trait.
//! - [`router`] is the plugin bridge: an axum router serving an OpenAPI document Coze imports,
//!   and one operation per configured glif (see [`bridge`]).

pub mod bridge;
mod client;
mod error;
mod http;
mod types;

pub use bridge::{BridgeConfig, BridgeError, BridgeState, ToolConfig, router};
pub use client::{
    BoxFuture, DEFAULT_API_BASE, DEFAULT_SIMPLE_API_BASE, DEFAULT_TIMEOUT, GlifClient, GlifConfig,
    GlifTransport, TOKEN_ENV, check_inputs,
};
pub use error::{GlifError, Result};
pub use http::SimpleApiTransport;
pub use types::{GlifInfo, GlifInput, InputKind, Inputs, OutputType, RunOutput, RunRequest};
