//! Chatflows: `client.chatflows()`, chatting with a workflow in chat mode
//! (`POST /v1/workflows/chat`).
//!
//! The stream carries the same events as a bot chat ([`ChatEvent`](crate::ChatEvent)); Chat
//! objects have no bot id and the final `done` carries the run's debug URL. A question or
//! input node pauses the chatflow with `conversation.chat.requires_action`: call
//! [`stream`](ChatflowsApi::stream) again in the same conversation with the answer as the user
//! message.

use crate::chat::ChatStream;
use crate::client::{ApiRequest, Client};
use crate::error::Result;
use crate::types::workflows::ChatflowRequest;

/// Chatflow endpoints. Get one with [`Client::chatflows`].
#[derive(Debug, Clone, Copy)]
pub struct ChatflowsApi<'c> {
    client: &'c Client,
}

impl Client {
    /// Chatflows: chat with a workflow in chat mode.
    pub fn chatflows(&self) -> ChatflowsApi<'_> {
        ChatflowsApi { client: self }
    }
}

impl ChatflowsApi<'_> {
    /// Sends one turn and streams the chatflow's events.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`](crate::Error::InvalidRequest) without a user message; API
    /// errors answered in place of the stream (4200 unknown chatflow, ...) and transport
    /// errors.
    pub async fn stream(&self, req: ChatflowRequest) -> Result<ChatStream> {
        req.validate()?;
        let api = ApiRequest::post("/v1/workflows/chat").json(&req)?;
        Ok(ChatStream::new(self.client.send_stream(api).await?))
    }
}
