//! Errors of the Glif client.

use std::time::Duration;

/// `Result` with [`GlifError`].
pub type Result<T, E = GlifError> = std::result::Result<T, E>;

/// Why a Glif call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GlifError {
    /// No API token was configured, and running a glif needs one.
    #[error("no glif api token is set")]
    MissingToken,
    /// Glif does not know this glif id.
    #[error("unknown glif {id:?}")]
    UnknownGlif {
        /// The id asked for.
        id: String,
    },
    /// Strict mode refused the run: inputs are missing.
    #[error("glif {glif_id:?} needs input(s) {}", missing.join(", "))]
    MissingInput {
        /// The glif.
        glif_id: String,
        /// The missing input names (or Glif's own wording when it did not name them).
        missing: Vec<String>,
    },
    /// An input name the glif does not have.
    #[error(
        "glif {glif_id:?} has no input {name:?}; its inputs are: {}",
        known_list(known)
    )]
    UnknownInput {
        /// The glif.
        glif_id: String,
        /// The name given.
        name: String,
        /// The glif's real input names.
        known: Vec<String>,
    },
    /// More positional values than the glif has inputs.
    #[error("glif {glif_id:?} takes {} input(s) ({}), got {given} values", known.len(), known_list(known))]
    TooManyInputs {
        /// The glif.
        glif_id: String,
        /// How many values were given.
        given: usize,
        /// The glif's input names, in order.
        known: Vec<String>,
    },
    /// Glif refused the token (HTTP 401 or 403).
    #[error("glif rejected the api token (http {status})")]
    TokenRejected {
        /// The HTTP status.
        status: u16,
    },
    /// Glif could not be reached at all.
    #[error("cannot reach glif at {url}")]
    Unavailable {
        /// The URL tried (carries no token).
        url: String,
        /// The transport error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Glif did not answer in time.
    #[error("glif did not answer within {}s", after.as_secs())]
    Timeout {
        /// The timeout that expired.
        after: Duration,
    },
    /// The run failed: Glif answered with an `error` field (usually on HTTP 200).
    #[error("glif {glif_id:?} failed: {message}")]
    RunFailed {
        /// The glif.
        glif_id: String,
        /// Glif's error message.
        message: String,
    },
    /// Glif answered with an unexpected HTTP status.
    #[error("glif answered http {status}: {body}")]
    Http {
        /// The HTTP status.
        status: u16,
        /// The start of the body.
        body: String,
    },
    /// Glif answered with something that is not the expected JSON.
    #[error("unexpected answer from glif: {0}")]
    InvalidResponse(String),
    /// A configuration value (base URL, ...) is unusable.
    #[error("invalid glif configuration: {0}")]
    InvalidConfig(String),
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "(none)".to_owned()
    } else {
        known.join(", ")
    }
}

impl GlifError {
    /// Advice for a person reading the error, when there is some.
    pub fn hint(&self) -> Option<&'static str> {
        Some(match self {
            GlifError::MissingToken => {
                "create a token at https://glif.app/settings/api-tokens and set GLIF_API_TOKEN"
            }
            GlifError::TokenRejected { .. } => {
                "check GLIF_API_TOKEN; tokens are managed at https://glif.app/settings/api-tokens"
            }
            GlifError::UnknownGlif { .. } => {
                "the glif id is the last part of its glif.app URL; check it is published"
            }
            GlifError::MissingInput { .. }
            | GlifError::UnknownInput { .. }
            | GlifError::TooManyInputs { .. } => {
                "list the glif's inputs with `coze glif inputs GLIF_ID`"
            }
            GlifError::Timeout { .. } => {
                "media glifs can be slow; raise the timeout (--timeout) and try again"
            }
            GlifError::Unavailable { .. } => "check the network and the glif base URL",
            _ => return None,
        })
    }

    /// True when trying again later may succeed (Glif down, slow, or a 5xx).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            GlifError::Unavailable { .. } | GlifError::Timeout { .. }
        ) || matches!(self, GlifError::Http { status, .. } if *status >= 500)
    }
}
