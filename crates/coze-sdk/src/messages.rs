//! Conversation messages: `client.messages()`.

use crate::client::{ApiRequest, Client, Envelope};
use crate::error::{Error, Result};
use crate::ids::{ConversationId, MessageId};
use crate::pagination::{Page, Pages, next_token, paginate};
use crate::types::messages::{
    EnterMessage, ListMessagesRequest, Message, MessageList, ModifyMessageRequest,
};

/// Conversation message endpoints. Get one with [`Client::messages`].
#[derive(Debug, Clone, Copy)]
pub struct MessagesApi<'c> {
    pub(crate) client: &'c Client,
}

impl Client {
    /// Conversation messages: create, list, retrieve, modify, delete.
    pub fn messages(&self) -> MessagesApi<'_> {
        MessagesApi::new(self)
    }
}

impl<'c> MessagesApi<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    /// Adds a message to a conversation (it does not start a chat).
    ///
    /// # Errors
    ///
    /// API and transport errors; an empty message.
    pub async fn create(
        &self,
        conversation_id: &ConversationId,
        message: EnterMessage,
    ) -> Result<Message> {
        if message.is_blank() {
            return Err(Error::InvalidRequest(
                "the message is empty: give it content".into(),
            ));
        }
        let req = ApiRequest::post("/v1/conversation/message/create")
            .query("conversation_id", conversation_id.as_str())
            .json(&message)?;
        self.client.send(req).await
    }

    /// One page of a conversation's messages.
    ///
    /// # Errors
    ///
    /// API and transport errors.
    pub async fn list_page(
        &self,
        conversation_id: &ConversationId,
        req: &ListMessagesRequest,
    ) -> Result<MessageList> {
        self.client.send(list_request(conversation_id, req)?).await
    }

    /// A conversation's messages as a lazy stream of pages, continuing with
    /// `after_id = last_id` like the official SDKs; use [`Pages::items`] for messages.
    pub fn list(
        &self,
        conversation_id: &ConversationId,
        req: ListMessagesRequest,
    ) -> Pages<Message> {
        let client = self.client.clone();
        let conversation_id = conversation_id.clone();
        paginate(req, move |req: ListMessagesRequest| {
            let client = client.clone();
            let api = list_request(&conversation_id, &req);
            async move {
                let list: MessageList = client.send(api?).await?;
                let current = req.after_id.as_ref().map(MessageId::as_str);
                let next = next_token(
                    current,
                    list.last_id.as_str(),
                    list.has_more,
                    list.messages.len(),
                )
                .map(|last| ListMessagesRequest {
                    before_id: None,
                    after_id: Some(MessageId::new(last)),
                    ..req
                });
                Ok((Page::new(list.messages, list.has_more, None), next))
            }
        })
    }

    /// One message.
    ///
    /// # Errors
    ///
    /// API and transport errors.
    pub async fn retrieve(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<Message> {
        let req = ApiRequest::get("/v1/conversation/message/retrieve")
            .query("conversation_id", conversation_id.as_str())
            .query("message_id", message_id.as_str());
        self.client.send(req).await
    }

    /// Changes a message's content or meta_data.
    ///
    /// # Errors
    ///
    /// API and transport errors.
    pub async fn modify(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
        changes: ModifyMessageRequest,
    ) -> Result<Message> {
        let req = ApiRequest::post("/v1/conversation/message/modify")
            .query("conversation_id", conversation_id.as_str())
            .query("message_id", message_id.as_str())
            .json(&changes)?
            .idempotent(true)
            .envelope(Envelope::Field("message"));
        self.client.send(req).await
    }

    /// Deletes a question or answer message (an answer takes its intermediates with it);
    /// returns the deleted message.
    ///
    /// # Errors
    ///
    /// API and transport errors.
    pub async fn delete(
        &self,
        conversation_id: &ConversationId,
        message_id: &MessageId,
    ) -> Result<Message> {
        let req = ApiRequest::post("/v1/conversation/message/delete")
            .query("conversation_id", conversation_id.as_str())
            .query("message_id", message_id.as_str())
            .idempotent(true);
        self.client.send(req).await
    }
}

fn list_request(conversation_id: &ConversationId, req: &ListMessagesRequest) -> Result<ApiRequest> {
    Ok(ApiRequest::post("/v1/conversation/message/list")
        .query("conversation_id", conversation_id.as_str())
        .json(req)?
        .idempotent(true)
        .envelope(Envelope::Whole))
}
