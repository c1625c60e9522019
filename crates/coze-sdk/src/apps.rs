//! Apps, folders, API apps and their events, connectors, copy tasks, collaborators and
//! collaboration mode: `client.apps()`, `client.folders()`, `client.api_apps()`,
//! `client.connectors()`, `client.collaboration()`.

use serde_json::{Value, json};

use crate::client::{ApiRequest, Client};
use crate::error::Result;
use crate::ids::WorkspaceId;
use crate::listing::number_pages;
use crate::pagination::{Page, Pages, next_token, paginate};
use crate::request::path_segment;
use crate::types::apps::{
    ApiApp, ApiAppEvent, App, AppList, CopyStarted, CopyTask, Folder, FolderList, TokenPage,
};

/// App endpoints. Get one with [`Client::apps`].
#[derive(Debug, Clone, Copy)]
pub struct AppsApi<'c> {
    client: &'c Client,
}

/// Folder endpoints. Get one with [`Client::folders`].
#[derive(Debug, Clone, Copy)]
pub struct FoldersApi<'c> {
    client: &'c Client,
}

/// API app endpoints. Get one with [`Client::api_apps`].
#[derive(Debug, Clone, Copy)]
pub struct ApiAppsApi<'c> {
    client: &'c Client,
}

/// Connector (channel) endpoints. Get one with [`Client::connectors`].
#[derive(Debug, Clone, Copy)]
pub struct ConnectorsApi<'c> {
    client: &'c Client,
}

/// Collaborators and collaboration mode. Get one with [`Client::collaboration`].
#[derive(Debug, Clone, Copy)]
pub struct CollaborationApi<'c> {
    client: &'c Client,
}

/// A resource that can have collaborators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource<'a> {
    /// A bot.
    Bot(&'a str),
    /// A workflow.
    Workflow(&'a str),
    /// An app.
    App(&'a str),
}

impl Client {
    /// Apps (projects) of a workspace; copying bots and apps.
    pub fn apps(&self) -> AppsApi<'_> {
        AppsApi { client: self }
    }

    /// Folders of a workspace.
    pub fn folders(&self) -> FoldersApi<'_> {
        FoldersApi { client: self }
    }

    /// API (callback) apps and their event subscriptions.
    pub fn api_apps(&self) -> ApiAppsApi<'_> {
        ApiAppsApi { client: self }
    }

    /// Connectors (publishing channels).
    pub fn connectors(&self) -> ConnectorsApi<'_> {
        ConnectorsApi { client: self }
    }

    /// Collaborators and collaboration mode of bots, workflows and apps.
    pub fn collaboration(&self) -> CollaborationApi<'_> {
        CollaborationApi { client: self }
    }
}

/// A page-token list: `request(token, size)` builds a page's request (no token first).
fn token_pages<T>(
    client: &Client,
    request: impl Fn(Option<&str>) -> ApiRequest + Send + Sync + 'static,
) -> Pages<T>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    let client = client.clone();
    let request = std::sync::Arc::new(request);
    paginate(None::<String>, move |token: Option<String>| {
        let client = client.clone();
        let api = request(token.as_deref());
        async move {
            let page: TokenPage<T> = client.send(api).await?;
            let next = next_token(
                token.as_deref(),
                &page.next_page_token,
                page.has_more,
                page.items.len(),
            );
            Ok((Page::new(page.items, page.has_more, None), next.map(Some)))
        }
    })
}

async fn done(client: &Client, api: ApiRequest) -> Result<()> {
    let _: Value = client.send(api).await?;
    Ok(())
}

impl AppsApi<'_> {
    /// The apps of a workspace as a lazy stream of pages.
    pub fn list(&self, workspace_id: &WorkspaceId) -> Pages<App> {
        let workspace = workspace_id.clone();
        number_pages(
            self.client,
            1,
            20,
            move |page, size| {
                Ok(ApiRequest::get("/v1/apps")
                    .query("workspace_id", workspace.as_str())
                    .query("page_index", page.to_string())
                    .query("page_size", size.to_string()))
            },
            |p: AppList| (p.items, None, u64::try_from(p.total).ok()),
        )
    }

    /// Starts copying a resource (`entity_type` `bot`, `app`, ...) to a workspace.
    ///
    /// # Errors
    /// API errors (4200 unknown resource) and transport errors.
    pub async fn copy(
        &self,
        entity_type: &str,
        entity_id: &str,
        to_workspace_id: Option<&WorkspaceId>,
    ) -> Result<CopyStarted> {
        let api = ApiRequest::post("/v1/entities/copy_tasks").json(&json!({
            "entity_type": entity_type,
            "entity_id": entity_id,
            "to_workspace_id": to_workspace_id,
        }))?;
        self.client.send(api).await
    }

    /// A copy task's state.
    ///
    /// # Errors
    /// API errors (4200 unknown task) and transport errors.
    pub async fn copy_task(&self, task_id: &str) -> Result<CopyTask> {
        let api = ApiRequest::get(format!("/v1/entities/copy_tasks/{}", path_segment(task_id)));
        self.client.send(api).await
    }
}

impl FoldersApi<'_> {
    /// The folders of a workspace (`folder_type` `development` or `library`).
    pub fn list(&self, workspace_id: &WorkspaceId, folder_type: Option<&str>) -> Pages<Folder> {
        let workspace = workspace_id.clone();
        let kind = folder_type.map(str::to_string);
        number_pages(
            self.client,
            1,
            20,
            move |page, size| {
                Ok(ApiRequest::get("/v1/folders")
                    .query("workspace_id", workspace.as_str())
                    .query_opt("folder_type", kind.clone())
                    .query("page_num", page.to_string())
                    .query("page_size", size.to_string()))
            },
            |p: FolderList| (p.items, None, u64::try_from(p.total_count).ok()),
        )
    }

    /// One folder.
    ///
    /// # Errors
    /// API errors (4200 unknown folder) and transport errors.
    pub async fn get(&self, folder_id: &str) -> Result<Folder> {
        let api = ApiRequest::get(format!("/v1/folders/{}", path_segment(folder_id)));
        self.client.send(api).await
    }
}

impl ApiAppsApi<'_> {
    /// Creates an API app (`app_type` `normal` or `connector`).
    ///
    /// # Errors
    /// API and transport errors.
    pub async fn create(&self, app_type: &str, name: &str) -> Result<ApiApp> {
        let api =
            ApiRequest::post("/v1/api_apps").json(&json!({"app_type": app_type, "name": name}))?;
        self.client.send(api).await
    }

    /// Renames an API app and/or sets its callback URL.
    ///
    /// # Errors
    /// API errors (4200 unknown app) and transport errors.
    pub async fn update(
        &self,
        id: &str,
        name: Option<&str>,
        callback_url: Option<&str>,
    ) -> Result<()> {
        let api = ApiRequest::put(format!("/v1/api_apps/{}", path_segment(id)))
            .json(&json!({"name": name, "callback_url": callback_url}))?;
        done(self.client, api).await
    }

    /// The caller's API apps (all, or only `normal` / `connector` ones) as a lazy stream of
    /// pages (a call of the official SDKs outside the OpenAPI document).
    pub fn list(&self, app_type: Option<&str>) -> Pages<ApiApp> {
        let app_type = app_type.map(str::to_string);
        token_pages(self.client, move |token| {
            ApiRequest::get("/v1/api_apps")
                .query_opt("app_type", app_type.clone())
                .query_opt("page_token", token.map(str::to_string))
                .query("page_size", "20")
        })
    }

    /// Deletes an API app.
    ///
    /// # Errors
    /// API errors (4200 unknown app) and transport errors.
    pub async fn delete(&self, id: &str) -> Result<()> {
        let api = ApiRequest::delete(format!("/v1/api_apps/{}", path_segment(id))).idempotent(true);
        done(self.client, api).await
    }

    /// The event types an API app is subscribed to, as a lazy stream of pages.
    pub fn events(&self, id: &str) -> Pages<ApiAppEvent> {
        let id = id.to_string();
        token_pages(self.client, move |token| {
            ApiRequest::get(format!("/v1/api_apps/{}/events", path_segment(&id)))
                .query_opt("page_token", token.map(str::to_string))
                .query("page_size", "20")
        })
    }

    /// Unsubscribes the app from event types.
    ///
    /// # Errors
    /// API errors (4200 unknown app or an event type it is not subscribed to) and transport
    /// errors.
    pub async fn unsubscribe(&self, id: &str, event_types: &[&str]) -> Result<()> {
        let api = ApiRequest::delete(format!("/v1/api_apps/{}/events", path_segment(id)))
            .json(&json!({"event_types": event_types}))?
            .idempotent(true);
        done(self.client, api).await
    }

    /// Subscribes the app to event types.
    ///
    /// # Errors
    /// API errors (4200 unknown app) and transport errors.
    pub async fn subscribe(&self, id: &str, event_types: &[&str]) -> Result<()> {
        let api = ApiRequest::post(format!("/v1/api_apps/{}/events", path_segment(id)))
            .json(&json!({"event_types": event_types}))?
            .idempotent(true);
        done(self.client, api).await
    }
}

impl ConnectorsApi<'_> {
    /// Installs a connector in a workspace.
    ///
    /// # Errors
    /// API errors (4200 unknown workspace) and transport errors.
    pub async fn install(&self, connector_id: &str, workspace_id: &WorkspaceId) -> Result<()> {
        let api = ApiRequest::post(format!(
            "/v1/connectors/{}/install",
            path_segment(connector_id)
        ))
        .json(&json!({"workspace_id": workspace_id}))?
        .idempotent(true);
        done(self.client, api).await
    }

    /// Sets a connector's review result for a bot published to it: `audit_status` 1
    /// (pending), 2 (approved) or 3 (rejected, with a `reason`). For connector owners; a call
    /// of the official SDKs outside the OpenAPI document.
    ///
    /// # Errors
    /// API errors (4200 unknown bot, 4000 bad status or a rejection without reason) and
    /// transport errors.
    pub async fn review_bot(
        &self,
        connector_id: &str,
        bot_id: &str,
        audit_status: u8,
        reason: Option<&str>,
    ) -> Result<()> {
        let api = ApiRequest::put(format!(
            "/v1/connectors/{}/bots/{}",
            path_segment(connector_id),
            path_segment(bot_id)
        ))
        .json(&json!({"audit_status": audit_status, "reason": reason}))?;
        done(self.client, api).await
    }

    /// Binds user configs (e.g. devices: `[{"key": "device_id", "enums": [{"label", "value"}]}]`).
    ///
    /// # Errors
    /// API errors (4000 no configs) and transport errors.
    pub async fn set_user_configs(&self, connector_id: &str, configs: Value) -> Result<()> {
        let api = ApiRequest::post(format!(
            "/v1/connectors/{}/user_configs",
            path_segment(connector_id)
        ))
        .json(&json!({"configs": configs}))?
        .idempotent(true);
        done(self.client, api).await
    }
}

impl CollaborationApi<'_> {
    /// Adds collaborators (members of the resource's workspace).
    ///
    /// # Errors
    /// API errors (4000 single mode, 4101 not a member) and transport errors.
    pub async fn add(&self, resource: Resource<'_>, user_ids: &[&str]) -> Result<()> {
        let users: Vec<_> = user_ids.iter().map(|u| json!({"user_id": u})).collect();
        let api = match resource {
            Resource::Bot(id) => {
                ApiRequest::post(format!("/v1/bots/{}/collaborators", path_segment(id)))
            }
            Resource::Workflow(id) => {
                ApiRequest::post(format!("/v1/workflows/{}/collaborators", path_segment(id)))
            }
            Resource::App(id) => {
                ApiRequest::post(format!("/v1/apps/{}/collaborators", path_segment(id)))
            }
        };
        done(self.client, api.json(&json!({"collaborators": users}))?).await
    }

    /// Removes a collaborator.
    ///
    /// # Errors
    /// API errors (4200 not a collaborator) and transport errors.
    pub async fn remove(&self, resource: Resource<'_>, user_id: &str) -> Result<()> {
        let user = path_segment(user_id);
        let api = match resource {
            Resource::Bot(id) => ApiRequest::delete(format!(
                "/v1/bots/{}/collaborators/{user}",
                path_segment(id)
            )),
            Resource::Workflow(id) => ApiRequest::delete(format!(
                "/v1/workflows/{}/collaborators/{user}",
                path_segment(id)
            )),
            Resource::App(id) => ApiRequest::delete(format!(
                "/v1/apps/{}/collaborators/{user}",
                path_segment(id)
            )),
        };
        done(self.client, api).await
    }

    /// Sets the collaboration mode of a bot or workflow: `single` or `collaboration`.
    ///
    /// # Errors
    /// API errors (4000 bad mode or an app given) and transport errors.
    pub async fn set_mode(&self, resource: Resource<'_>, mode: &str) -> Result<()> {
        let api = match resource {
            Resource::Bot(id) => {
                ApiRequest::post(format!("/v1/bots/{}/collaboration_mode", path_segment(id)))
            }
            Resource::Workflow(id) => ApiRequest::post(format!(
                "/v1/workflows/{}/collaboration_mode",
                path_segment(id)
            )),
            Resource::App(_) => {
                return Err(crate::error::Error::InvalidRequest(
                    "apps have no collaboration mode; only bots and workflows do".into(),
                ));
            }
        };
        done(
            self.client,
            api.json(&json!({"collaboration_mode": mode}))?
                .idempotent(true),
        )
        .await
    }
}
