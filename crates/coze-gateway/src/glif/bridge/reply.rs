//! What the bridge answers: the 200 body and the error bodies.

use crate::glif::{GlifError, RunOutput};
use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::json;

/// The 200 body of every tool operation. Each field is declared in the OpenAPI response
/// schema (Coze drops undeclared fields); absent ones are left out.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct ToolReply {
    /// `succeeded` or `running`.
    pub status: &'static str,
    pub run_id: String,
    pub glif_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image_url: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

impl ToolReply {
    pub fn succeeded(run_id: &str, out: &RunOutput) -> Self {
        let output_type = out.output_type.as_ref().map(|t| t.as_str().to_owned());
        Self {
            status: "succeeded",
            run_id: run_id.to_owned(),
            glif_id: out.glif_id.clone(),
            output: Some(out.output.clone().unwrap_or_default()),
            output_type,
            image_url: out.image_url().map(str::to_owned),
            outputs: if out.outputs.len() > 1 {
                out.outputs.clone()
            } else {
                Vec::new()
            },
            price: out.price,
            message: out
                .output
                .is_none()
                .then(|| "the glif finished without an output".to_owned()),
        }
    }

    pub fn running(run_id: &str, glif_id: &str, message: String) -> Self {
        Self {
            status: "running",
            run_id: run_id.to_owned(),
            glif_id: glif_id.to_owned(),
            message: Some(message),
            ..Self::default()
        }
    }
}

/// Tells the request log ([`crate::log`]) the glif a response is about and how it ended.
fn note(response: &mut Response, glif_id: Option<String>, outcome: &str) {
    let ext = response.extensions_mut();
    if let Some(id) = glif_id {
        ext.insert(crate::log::Subject(id));
    }
    ext.insert(crate::log::Outcome(outcome.to_owned()));
}

impl IntoResponse for ToolReply {
    fn into_response(self) -> Response {
        let (glif_id, outcome) = (self.glif_id.clone(), self.status);
        let mut response = (StatusCode::OK, Json(self)).into_response();
        note(&mut response, Some(glif_id), outcome);
        response
    }
}

/// A request the bridge refuses or a run that failed: a non-200 status (Coze treats any
/// non-200 as a tool failure) and a JSON body saying why.
#[derive(Debug, Clone)]
pub(crate) struct Failure {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The glif concerned, when known (for the request log only).
    pub glif_id: Option<String>,
}

impl Failure {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            glif_id: None,
        }
    }

    /// Names the glif concerned in the request log.
    pub fn for_glif(self, glif_id: &str) -> Self {
        Self {
            glif_id: Some(glif_id.to_owned()),
            ..self
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// Glif-side failures: 504 when Glif was too slow even for the long run timeout,
    /// 502 for everything else Glif did wrong.
    pub fn from_glif(err: &GlifError) -> Self {
        let (status, code) = match err {
            GlifError::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "glif_timeout"),
            GlifError::Unavailable { .. } => (StatusCode::BAD_GATEWAY, "glif_unavailable"),
            GlifError::TokenRejected { .. } | GlifError::MissingToken => {
                (StatusCode::BAD_GATEWAY, "glif_token_rejected")
            }
            GlifError::UnknownGlif { .. } => (StatusCode::BAD_GATEWAY, "unknown_glif"),
            _ => (StatusCode::BAD_GATEWAY, "glif_failed"),
        };
        Self::new(status, code, err.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let body = json!({"status": "failed", "error": self.code, "message": self.message});
        let mut response = (self.status, Json(body)).into_response();
        note(&mut response, self.glif_id, self.code);
        response
    }
}
