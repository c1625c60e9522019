//! Templates: `client.templates()`, duplicating a template of the Coze template store into a
//! workspace (a call of the official SDKs outside the OpenAPI document).

use serde_json::json;

use crate::client::{ApiRequest, Client};
use crate::error::{Error, Result};
use crate::ids::WorkspaceId;
use crate::request::path_segment;
use crate::types::extras::TemplateDuplicate;

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
