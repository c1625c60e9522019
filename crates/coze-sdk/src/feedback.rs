//! Feedback on a bot's answer: more methods on [`MessagesApi`].

use serde::Serialize;

use crate::client::ApiRequest;
use crate::error::Result;
use crate::ids::{ConversationId, MessageId};
use crate::messages::MessagesApi;
use crate::request::path_segment;

/// `like` or `unlike` an answer, with optional reasons and a comment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Feedback {
    /// `like` or `unlike`.
    pub feedback_type: String,
    /// Reasons (for `unlike`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub reason_types: Vec<String>,
    /// Free text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
}

impl Feedback {
    /// A thumbs up.
    pub fn like() -> Self {
        Self {
            feedback_type: "like".into(),
            ..Self::default()
        }
    }

    /// A thumbs down with a comment.
    pub fn unlike(comment: impl Into<String>) -> Self {
        Self {
            feedback_type: "unlike".into(),
            reason_types: Vec::new(),
            comment: Some(comment.into()),
        }
    }
}

impl MessagesApi<'_> {
    /// Gives feedback on a bot's message (replacing earlier feedback).
    ///
    /// # Errors
    /// API errors (4200 unknown message) and transport errors.
    pub async fn feedback(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
        feedback: &Feedback,
    ) -> Result<()> {
        let api = ApiRequest::post(format!(
            "/v1/conversations/{}/messages/{}/feedback",
            path_segment(conversation_id.as_str()),
            path_segment(message_id.as_str())
        ))
        .json(feedback)?
        .idempotent(true);
        let _: serde_json::Value = self.client.send(api).await?;
        Ok(())
    }

    /// Removes the feedback on a message.
    ///
    /// # Errors
    /// API errors (4200 unknown message) and transport errors.
    pub async fn delete_feedback(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<()> {
        let api = ApiRequest::delete(format!(
            "/v1/conversations/{}/messages/{}/feedback",
            path_segment(conversation_id.as_str()),
            path_segment(message_id.as_str())
        ));
        let _: serde_json::Value = self.client.send(api).await?;
        Ok(())
    }
}
