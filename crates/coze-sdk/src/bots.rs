//! Bots: `client.bots()`.
//!
//! A bot created over the API is an unpublished draft: chats with it fail with 4015 until it
//! is published to the API channel (connector `1024`, [`API_CONNECTOR`]).

use serde::Serialize;

use crate::client::{ApiRequest, Client, path_segment};
use crate::error::Result;
use crate::ids::{BotId, WorkspaceId};
use crate::pagination::{Page, Pages, next_page_number, paginate};
use crate::types::bots::{
    Bot, BotList, CreateBotRequest, ListBotsRequest, PublishedBotList, PublishedVersion, SimpleBot,
    UpdateBotRequest,
};

/// The API channel: publish a bot to it to chat with it over the API.
pub const API_CONNECTOR: &str = "1024";

/// Bot endpoints. Get one with [`Client::bots`].
#[derive(Debug, Clone, Copy)]
pub struct BotsApi<'c> {
    pub(crate) client: &'c Client,
}

impl Client {
    /// Bots: list, retrieve, create, update, publish, unpublish.
    pub fn bots(&self) -> BotsApi<'_> {
        BotsApi { client: self }
    }
}

#[derive(Serialize)]
struct PublishBody<'a> {
    bot_id: &'a BotId,
    connector_ids: &'a [&'a str],
}

#[derive(Serialize)]
struct UnpublishBody<'a> {
    bot_id: &'a BotId,
    connector_id: &'a str,
}

#[derive(serde::Deserialize)]
struct Created {
    bot_id: BotId,
}

fn list_request(req: &ListBotsRequest, page: u32) -> ApiRequest {
    ApiRequest::get("/v1/bots")
        .query("workspace_id", req.workspace_id.as_str())
        .query_opt(
            "publish_status",
            req.publish_status.as_ref().map(|s| s.as_str().to_owned()),
        )
        .query_opt("connector_id", req.connector_id.clone())
        .query("page_num", page.to_string())
        .query("page_size", req.page_size.to_string())
}

fn published_request(workspace_id: &WorkspaceId, page: u32, page_size: u32) -> ApiRequest {
    ApiRequest::get("/v1/space/published_bots_list")
        .query("space_id", workspace_id.as_str())
        .query("page_index", page.to_string())
        .query("page_size", page_size.to_string())
}

impl BotsApi<'_> {
    /// The bots of a workspace (`GET /v1/bots`), filtered by publish status, as a lazy stream
    /// of pages. Without a status Coze lists published bots only.
    pub fn list(&self, req: ListBotsRequest) -> Pages<SimpleBot> {
        let client = self.client.clone();
        paginate(req.page_num, move |page| {
            let client = client.clone();
            let api = list_request(&req, page);
            let page_size = req.page_size;
            async move {
                let list: BotList = client.send(api).await?;
                let total = u64::try_from(list.total).ok();
                let next = next_page_number(page, page_size, list.items.len(), None, total);
                Ok((Page::new(list.items, next.is_some(), total), next))
            }
        })
    }

    /// The bots of a workspace published to the API channel, from the legacy list
    /// (`GET /v1/space/published_bots_list`, paged by `page_index`).
    pub fn list_published(
        &self,
        workspace_id: impl Into<WorkspaceId>,
        page_size: u32,
    ) -> Pages<SimpleBot> {
        let client = self.client.clone();
        let workspace_id = workspace_id.into();
        let page_size = page_size.clamp(1, 100);
        paginate(1u32, move |page| {
            let client = client.clone();
            let api = published_request(&workspace_id, page, page_size);
            async move {
                let list: PublishedBotList = client.send(api).await?;
                let total = u64::try_from(list.total).ok();
                let next = next_page_number(page, page_size, list.space_bots.len(), None, total);
                let items = list.space_bots.into_iter().map(SimpleBot::from).collect();
                Ok((Page::new(items, next.is_some(), total), next))
            }
        })
    }

    /// A published bot's configuration (`GET /v1/bot/get_online_info`).
    ///
    /// # Errors
    ///
    /// API errors (4200 unknown bot, 4015 not published) and transport errors.
    pub async fn retrieve_online(&self, bot_id: &BotId) -> Result<Bot> {
        let req = ApiRequest::get("/v1/bot/get_online_info").query("bot_id", bot_id.as_str());
        self.client.send(req).await
    }

    /// A bot's configuration (`GET /v1/bots/{id}`): the published version, or with
    /// `published = false` the current draft.
    ///
    /// # Errors
    ///
    /// API errors (4200 unknown bot; a never-published bot has no published version) and
    /// transport errors.
    pub async fn retrieve(&self, bot_id: &BotId, published: bool) -> Result<Bot> {
        let path = format!("/v1/bots/{}", path_segment(bot_id.as_str()));
        let req = ApiRequest::get(path).query("is_published", published.to_string());
        self.client.send(req).await
    }

    /// Creates a bot (an unpublished draft); returns its id.
    ///
    /// # Errors
    ///
    /// API errors (4000 bad name or settings, 4200 unknown workspace) and transport errors.
    pub async fn create(&self, req: CreateBotRequest) -> Result<BotId> {
        let req = ApiRequest::post("/v1/bot/create").json(&req)?;
        let created: Created = self.client.send(req).await?;
        Ok(created.bot_id)
    }

    /// Changes a bot's draft; publish again to make the change visible over the API.
    ///
    /// # Errors
    ///
    /// API errors (4200 unknown bot, 4000 bad values) and transport errors.
    pub async fn update(&self, req: UpdateBotRequest) -> Result<()> {
        let req = ApiRequest::post("/v1/bot/update")
            .json(&req)?
            .idempotent(true);
        let _: serde_json::Value = self.client.send(req).await?;
        Ok(())
    }

    /// Publishes a bot to the API channel ([`API_CONNECTOR`]), so chats with it work.
    ///
    /// # Errors
    ///
    /// API errors (4200 unknown bot) and transport errors.
    pub async fn publish(&self, bot_id: &BotId) -> Result<PublishedVersion> {
        self.publish_to(bot_id, &[API_CONNECTOR]).await
    }

    /// Publishes a bot to the given channels (`1024` API, `999` Chat SDK, ...).
    ///
    /// # Errors
    ///
    /// As [`publish`](Self::publish); [`Error::InvalidRequest`](crate::Error::InvalidRequest)
    /// without a channel.
    pub async fn publish_to(
        &self,
        bot_id: &BotId,
        connector_ids: &[&str],
    ) -> Result<PublishedVersion> {
        if connector_ids.is_empty() {
            return Err(crate::Error::InvalidRequest(
                "publish needs at least one connector id".into(),
            ));
        }
        let body = PublishBody {
            bot_id,
            connector_ids,
        };
        let req = ApiRequest::post("/v1/bot/publish")
            .json(&body)?
            .idempotent(true);
        self.client.send(req).await
    }

    /// Takes a bot off a channel ([`API_CONNECTOR`] stops API chats, which then fail with
    /// 4015).
    ///
    /// # Errors
    ///
    /// API errors (4200 unknown bot, 4000 not published there) and transport errors.
    pub async fn unpublish(&self, bot_id: &BotId, connector_id: &str) -> Result<()> {
        let path = format!("/v1/bots/{}/unpublish", path_segment(bot_id.as_str()));
        let req = ApiRequest::post(path).json(&UnpublishBody {
            bot_id,
            connector_id,
        })?;
        let _: serde_json::Value = self.client.send(req).await?;
        Ok(())
    }
}
