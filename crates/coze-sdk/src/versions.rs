//! Versions of bots and workflows, node outputs of workflow runs and resuming a run in one
//! call: more methods on [`BotsApi`] and [`WorkflowsApi`].

use crate::bots::BotsApi;
use crate::client::{ApiRequest, Envelope};
use crate::error::Result;
use crate::ids::{BotId, ExecuteId, WorkflowId};
use crate::listing::number_pages;
use crate::pagination::Pages;
use crate::request::path_segment;
use crate::types::versions::{BotVersion, NodeOutput, VersionPage, WorkflowVersion};
use crate::types::workflows::{ResumeRequest, WireRunResult, WorkflowRunResult};
use crate::workflows::WorkflowsApi;

impl BotsApi<'_> {
    /// The versions of a bot: `publish_status` `published_online` (Coze's default),
    /// `unpublished_draft` or `all`; newest first.
    pub fn versions(&self, bot_id: &BotId, publish_status: Option<&str>) -> Pages<BotVersion> {
        let path = format!("/v1/bots/{}/versions", path_segment(bot_id.as_str()));
        let status = publish_status.map(str::to_string);
        number_pages(
            self.client,
            1,
            20,
            move |page, size| {
                Ok(ApiRequest::get(path.clone())
                    .query_opt("publish_status", status.clone())
                    .query("page_num", page.to_string())
                    .query("page_size", size.to_string()))
            },
            |p: VersionPage<BotVersion>| (p.items, Some(p.has_more), None),
        )
    }
}

impl WorkflowsApi<'_> {
    /// The versions of a workflow (`publish_status` `all`, `published`, `unpublished`).
    pub fn versions(
        &self,
        workflow_id: &WorkflowId,
        publish_status: Option<&str>,
    ) -> Pages<WorkflowVersion> {
        let path = format!(
            "/v1/workflows/{}/versions",
            path_segment(workflow_id.as_str())
        );
        let status = publish_status.map(str::to_string);
        number_pages(
            self.client,
            1,
            20,
            move |page, size| {
                Ok(ApiRequest::get(path.clone())
                    .query_opt("publish_status", status.clone())
                    .query("page_num", page.to_string())
                    .query("page_size", size.to_string()))
            },
            |p: VersionPage<WorkflowVersion>| (p.items, Some(p.has_more), None),
        )
    }

    /// The output of one node of a run (`node_execute_uuid` from the run's stream).
    ///
    /// # Errors
    /// API errors (4200 unknown run or node) and transport errors.
    pub async fn node_output(
        &self,
        workflow_id: &WorkflowId,
        execute_id: &ExecuteId,
        node_execute_uuid: &str,
    ) -> Result<NodeOutput> {
        let api = ApiRequest::get(format!(
            "/v1/workflows/{}/run_histories/{}/execute_nodes/{}",
            path_segment(workflow_id.as_str()),
            path_segment(execute_id.as_str()),
            path_segment(node_execute_uuid)
        ));
        self.client.send(api).await
    }

    /// Answers a run's question or input node and waits for the result (the non-streaming
    /// form of `stream_resume`).
    ///
    /// # Errors
    /// API errors (4000 event not waiting) and transport errors.
    pub async fn resume_sync(&self, req: &ResumeRequest) -> Result<WorkflowRunResult> {
        let api = ApiRequest::post("/v1/workflows/resume")
            .json(req)?
            .envelope(Envelope::Whole);
        let wire: WireRunResult = self.client.send(api).await?;
        Ok(wire.into())
    }
}
