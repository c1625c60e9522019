//! The stores: `client.templates()`, duplicating a template of the Coze template store into a
//! workspace, and `client.store_plugins()`, the paid plugins of the plugin store (calls of the
//! official SDKs outside the OpenAPI document).

use serde_json::json;

use crate::client::{ApiRequest, Client};
use crate::error::{Error, Result};
use crate::ids::WorkspaceId;
use crate::listing::number_pages;
use crate::pagination::Pages;
use crate::request::path_segment;
use crate::types::extras::{StorePlugin, StorePluginsQuery, TemplateDuplicate};

/// Template endpoints. Get one with [`Client::templates`].
#[derive(Debug, Clone, Copy)]
pub struct TemplatesApi<'c> {
    client: &'c Client,
}

impl Client {
    /// Templates of the Coze template store.
    pub fn templates(&self) -> TemplatesApi<'_> {
        TemplatesApi { client: self }
    }

    /// The paid plugins of the Coze plugin store as a lazy stream of pages, most popular first
    /// unless `query` says otherwise (coze-go's `stores.plugins.list`).
    pub fn store_plugins(&self, query: StorePluginsQuery) -> Pages<StorePlugin> {
        number_pages(
            self,
            1,
            20,
            move |page, size| {
                let categories =
                    (!query.category_ids.is_empty()).then(|| query.category_ids.join(","));
                Ok(ApiRequest::get("/v1/stores/plugins")
                    .query_opt("keyword", query.keyword.clone())
                    .query_opt("is_official", query.is_official.map(|o| o.to_string()))
                    .query_opt("category_ids", categories)
                    .query_opt("sort_type", query.sort_type.clone())
                    .query("page_num", page.to_string())
                    .query("page_size", size.to_string()))
            },
            |p: StorePage| (p.items, Some(p.has_more), None),
        )
    }
}

#[derive(serde::Deserialize)]
struct StorePage {
    #[serde(default)]
    items: Vec<StorePlugin>,
    #[serde(default)]
    has_more: bool,
}

impl TemplatesApi<'_> {
    /// Copies template `template_id` into a workspace, optionally under another name; the
    /// copy (for an `agent` template, an unpublished bot) is the caller's.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty template id; API errors (4200 unknown template
    /// or workspace, 4000 bad name) and transport errors.
    pub async fn duplicate(
        &self,
        template_id: &str,
        workspace_id: &WorkspaceId,
        name: Option<&str>,
    ) -> Result<TemplateDuplicate> {
        if template_id.trim().is_empty() {
            return Err(Error::InvalidRequest(
                "template id is empty; pass the id of a template from the Coze template store"
                    .into(),
            ));
        }
        let api = ApiRequest::post(format!(
            "/v1/templates/{}/duplicate",
            path_segment(template_id)
        ))
        .json(&json!({"workspace_id": workspace_id, "name": name}))?;
        self.client.send(api).await
    }
}
