//! The web chat page (a gateway service; filled in by the web chat work).

use crate::state::GatewayState;
use axum::Router;
use serde::Deserialize;

/// `[web]`: placeholder section; present = the service is enabled.
#[derive(Debug, Clone, Deserialize, Default)]
pub struct WebConfig {}

/// The web chat routes.
pub fn router(state: GatewayState) -> Router {
    let _ = state;
    Router::new()
}
