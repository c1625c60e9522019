//! Conversations: `client.conversations()`.

use serde::Serialize;

use crate::client::{ApiRequest, Client, path_segment};
use crate::error::Result;
use crate::ids::ConversationId;
use crate::pagination::{Page, Pages, next_page_number, paginate};
use crate::types::conversations::{
    Conversation, ConversationList, CreateConversationRequest, ListConversationsRequest, Section,
};

/// Conversation endpoints. Get one with [`Client::conversations`].
#[derive(Debug, Clone, Copy)]
pub struct ConversationsApi<'c> {
    client: &'c Client,
}

#[derive(Serialize)]
struct UpdateBody<'a> {
    name: &'a str,
}

impl Client {
    /// Conversations: create, retrieve, list, rename, delete, clear.
    pub fn conversations(&self) -> ConversationsApi<'_> {
        ConversationsApi::new(self)
    }
}

impl<'c> ConversationsApi<'c> {
    pub(crate) fn new(client: &'c Client) -> Self {
        Self { client }
    }

    /// Creates a conversation.
    ///
    /// # Errors
    ///
    /// API and transport errors.
    pub async fn create(&self, req: CreateConversationRequest) -> Result<Conversation> {
        let req = ApiRequest::post("/v1/conversation/create").json(&req)?;
        self.client.send(req).await
    }

    /// One conversation.
    ///
    /// # Errors
    ///
    /// API errors (4200 / 4001 when it does not exist), transport errors.
    pub async fn retrieve(&self, conversation_id: &ConversationId) -> Result<Conversation> {
        let req = ApiRequest::get("/v1/conversation/retrieve")
            .query("conversation_id", conversation_id.as_str());
        self.client.send(req).await
    }

    /// One page of a bot's conversations (`req.page_num`).
    ///
    /// # Errors
    ///
    /// API and transport errors.
    pub async fn list_page(&self, req: &ListConversationsRequest) -> Result<ConversationList> {
        self.client.send(list_request(req, req.page_num)).await
    }

    /// A bot's conversations as a lazy stream of pages, starting at `req.page_num`;
    /// use [`Pages::items`] for a stream of conversations.
    pub fn list(&self, req: ListConversationsRequest) -> Pages<Conversation> {
        let client = self.client.clone();
        paginate(req.page_num, move |page| {
            let client = client.clone();
            let api = list_request(&req, page);
            let page_size = req.page_size;
            async move {
                let list: ConversationList = client.send(api).await?;
                let n = list.conversations.len();
                let next = next_page_number(page, page_size, n, Some(list.has_more), None);
                Ok((Page::new(list.conversations, list.has_more, None), next))
            }
        })
    }

    /// Renames a conversation.
    ///
    /// # Errors
    ///
    /// API and transport errors.
    pub async fn update(
        &self,
        conversation_id: &ConversationId,
        name: &str,
    ) -> Result<Conversation> {
        let path = format!(
            "/v1/conversations/{}",
            path_segment(conversation_id.as_str())
        );
        let req = ApiRequest::put(path).json(&UpdateBody { name })?;
        self.client.send(req).await
    }

    /// Renames a conversation (alias of [`update`](Self::update)).
    ///
    /// # Errors
    ///
    /// As [`update`](Self::update).
    pub async fn rename(
        &self,
        conversation_id: &ConversationId,
        name: &str,
    ) -> Result<Conversation> {
        self.update(conversation_id, name).await
    }

    /// Deletes a conversation and its messages.
    ///
    /// # Errors
    ///
    /// API and transport errors.
    pub async fn delete(&self, conversation_id: &ConversationId) -> Result<()> {
        let path = format!(
            "/v1/conversations/{}",
            path_segment(conversation_id.as_str())
        );
        let _: serde_json::Value = self.client.send(ApiRequest::delete(path)).await?;
        Ok(())
    }

    /// Starts a new section: messages stay visible, but the bot no longer uses them as
    /// context.
    ///
    /// # Errors
    ///
    /// API and transport errors.
    pub async fn clear(&self, conversation_id: &ConversationId) -> Result<Section> {
        let path = format!(
            "/v1/conversations/{}/clear",
            path_segment(conversation_id.as_str())
        );
        self.client.send(ApiRequest::post(path)).await
    }
}

fn list_request(req: &ListConversationsRequest, page: u32) -> ApiRequest {
    ApiRequest::get("/v1/conversations")
        .query("bot_id", req.bot_id.as_str())
        .query("page_num", page.to_string())
        .query("page_size", req.page_size.to_string())
        .query_opt("sort_order", req.sort_order.clone())
        .query_opt("connector_id", req.connector_id.clone())
}
