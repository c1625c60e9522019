//! Workspaces: `client.workspaces()`.

use crate::client::{ApiRequest, Client};
use crate::error::Result;
use crate::pagination::{Page, Pages, next_page_number, paginate};
use crate::types::workspaces::{ListWorkspacesRequest, Workspace, WorkspaceList};

/// Workspace endpoints. Get one with [`Client::workspaces`].
#[derive(Debug, Clone, Copy)]
pub struct WorkspacesApi<'c> {
    pub(crate) client: &'c Client,
}

impl Client {
    /// Workspaces: list the ones the token can use (their ids are the `space_id`s of bots).
    pub fn workspaces(&self) -> WorkspacesApi<'_> {
        WorkspacesApi { client: self }
    }
}

fn list_request(page: u32, page_size: u32) -> ApiRequest {
    ApiRequest::get("/v1/workspaces")
        .query("page_num", page.to_string())
        .query("page_size", page_size.to_string())
}

impl WorkspacesApi<'_> {
    /// One page of workspaces (`req.page_num`).
    ///
    /// # Errors
    ///
    /// API and transport errors.
    pub async fn list_page(&self, req: &ListWorkspacesRequest) -> Result<WorkspaceList> {
        self.client
            .send(list_request(req.page_num, req.page_size))
            .await
    }

    /// The workspaces as a lazy stream of pages; [`Pages::items`] flattens it.
    pub fn list(&self, req: ListWorkspacesRequest) -> Pages<Workspace> {
        let client = self.client.clone();
        paginate(req.page_num, move |page| {
            let client = client.clone();
            let page_size = req.page_size;
            async move {
                let list: WorkspaceList = client.send(list_request(page, page_size)).await?;
                let total = u64::try_from(list.total_count).ok();
                let next = next_page_number(page, page_size, list.workspaces.len(), None, total);
                Ok((Page::new(list.workspaces, next.is_some(), total), next))
            }
        })
    }
}
