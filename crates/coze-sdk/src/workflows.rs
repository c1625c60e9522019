//! Workflows: `client.workflows()`.
//!
//! - [`run`](WorkflowsApi::run): synchronous; Coze sends the output as a JSON *string*, which
//!   is decoded into [`WorkflowRunResult::data`]. Long workflows should stream or run async.
//! - [`run_async`](WorkflowsApi::run_async) + [`run_history`](WorkflowsApi::run_history) /
//!   [`poll`](WorkflowsApi::poll): start, then watch the run history until it settles.
//! - [`stream`](WorkflowsApi::stream) and [`resume`](WorkflowsApi::resume): a
//!   [`WorkflowStream`] of typed [`WorkflowEvent`]s. A question node ends the stream with
//!   [`WorkflowEvent::Interrupt`]; answer it with `resume` (which streams the rest).
//! - [`list`](WorkflowsApi::list) and [`retrieve`](WorkflowsApi::retrieve).

use std::time::{Duration, Instant};

use crate::client::{ApiRequest, Client, Envelope, path_segment};
use crate::error::{Error, Result};
use crate::ids::{ExecuteId, WorkflowId};
use crate::pagination::{Page, Pages, next_page_number, paginate};
use crate::stream::{EventStream, StreamEvent};
use crate::types::workflows::{
    AsyncRun, ListWorkflowsRequest, ResumeRequest, WireRunResult, WorkflowDetail, WorkflowEvent,
    WorkflowInfo, WorkflowList, WorkflowRunHistory, WorkflowRunRequest, WorkflowRunResult,
};

/// Workflow endpoints. Get one with [`Client::workflows`].
#[derive(Debug, Clone, Copy)]
pub struct WorkflowsApi<'c> {
    pub(crate) client: &'c Client,
}

impl Client {
    /// Workflows: run (sync, async, streaming), resume, run history, list, get.
    pub fn workflows(&self) -> WorkflowsApi<'_> {
        WorkflowsApi { client: self }
    }
}

fn list_request(req: &ListWorkflowsRequest, page: u32) -> ApiRequest {
    ApiRequest::get("/v1/workflows")
        .query_opt("workspace_id", req.workspace_id.clone())
        .query_opt(
            "workflow_mode",
            req.workflow_mode.as_ref().map(|m| m.as_str().to_owned()),
        )
        .query_opt("app_id", req.app_id.clone())
        .query_opt("publish_status", req.publish_status.clone())
        .query("page_num", page.to_string())
        .query("page_size", req.page_size.to_string())
}

/// The POST that starts a run (sync, async or streaming): validated, `is_async` set.
fn run_request(
    api: ApiRequest,
    mut req: WorkflowRunRequest,
    is_async: Option<bool>,
) -> Result<ApiRequest> {
    req.validate()?;
    req.is_async = is_async;
    api.json(&req)
}

impl WorkflowsApi<'_> {
    /// Runs a workflow and waits for its output (Coze gives up after 90 s; prefer
    /// [`stream`](Self::stream) or [`run_async`](Self::run_async) for long ones).
    ///
    /// # Errors
    ///
    /// API errors (4200 unknown or unpublished workflow, the workflow's own failure code) and
    /// transport errors.
    pub async fn run(&self, req: WorkflowRunRequest) -> Result<WorkflowRunResult> {
        let api =
            run_request(ApiRequest::post("/v1/workflow/run"), req, None)?.envelope(Envelope::Whole);
        let wire: WireRunResult = self.client.send(api).await?;
        Ok(wire.into())
    }

    /// Starts a workflow asynchronously; follow it with [`run_history`](Self::run_history)
    /// or [`poll`](Self::poll).
    ///
    /// # Errors
    ///
    /// As [`run`](Self::run).
    pub async fn run_async(&self, req: WorkflowRunRequest) -> Result<AsyncRun> {
        let api = run_request(ApiRequest::post("/v1/workflow/run"), req, Some(true))?
            .envelope(Envelope::Whole);
        let run: AsyncRun = self.client.send(api).await?;
        if run.execute_id.is_empty() {
            return Err(shape_error(
                "/v1/workflow/run",
                "the async run's answer has no execute_id",
            ));
        }
        Ok(run)
    }

    /// The record of a run: status, output, error.
    ///
    /// # Errors
    ///
    /// API errors (4200 unknown workflow or run) and transport errors.
    pub async fn run_history(
        &self,
        workflow_id: &WorkflowId,
        execute_id: &ExecuteId,
    ) -> Result<WorkflowRunHistory> {
        let path = format!(
            "/v1/workflows/{}/run_histories/{}",
            path_segment(workflow_id.as_str()),
            path_segment(execute_id.as_str())
        );
        let records: Vec<WorkflowRunHistory> =
            self.client.send(ApiRequest::get(path.as_str())).await?;
        records
            .into_iter()
            .next()
            .ok_or_else(|| shape_error(&path, "the run history is an empty list"))
    }

    /// Polls the run history every `interval` until the run settles (success, failure, or
    /// waiting for input) and returns that record.
    ///
    /// # Errors
    ///
    /// As [`run_history`](Self::run_history); [`Error::Timeout`] when `timeout` passes first.
    pub async fn poll(
        &self,
        workflow_id: &WorkflowId,
        execute_id: &ExecuteId,
        interval: Duration,
        timeout: Option<Duration>,
    ) -> Result<WorkflowRunHistory> {
        let start = Instant::now();
        loop {
            let history = self.run_history(workflow_id, execute_id).await?;
            if history.is_settled() {
                return Ok(history);
            }
            if let Some(timeout) = timeout.filter(|t| start.elapsed() + interval > *t) {
                return Err(Error::Timeout {
                    path: format!("/v1/workflows/{workflow_id}/run_histories/{execute_id}"),
                    timeout,
                });
            }
            tokio::time::sleep(interval).await;
        }
    }

    /// Runs a workflow and streams its events.
    ///
    /// # Errors
    ///
    /// API errors answered in place of the stream (4200 unknown workflow, ...) and transport
    /// errors. A failure during the run arrives as [`WorkflowEvent::Error`].
    pub async fn stream(&self, req: WorkflowRunRequest) -> Result<WorkflowStream> {
        let api = run_request(ApiRequest::post("/v1/workflow/stream_run"), req, None)?;
        Ok(WorkflowStream::new(self.client.send_stream(api).await?))
    }

    /// Resumes a run stopped at an interrupt and streams the rest. An event id can be resumed
    /// once.
    ///
    /// # Errors
    ///
    /// API errors (a stale or unknown event id, 4200 unknown workflow) and transport errors.
    pub async fn resume(&self, req: ResumeRequest) -> Result<WorkflowStream> {
        if req.event_id.trim().is_empty() {
            return Err(Error::InvalidRequest(
                "the interrupt's event id is empty".into(),
            ));
        }
        let api = ApiRequest::post("/v1/workflow/stream_resume").json(&req)?;
        Ok(WorkflowStream::new(self.client.send_stream(api).await?))
    }

    /// The workflows (and chatflows) the token sees, as a lazy stream of pages.
    pub fn list(&self, req: ListWorkflowsRequest) -> Pages<WorkflowInfo> {
        let client = self.client.clone();
        paginate(req.page_num, move |page| {
            let client = client.clone();
            let api = list_request(&req, page);
            let page_size = req.page_size;
            async move {
                let list: WorkflowList = client.send(api).await?;
                let next =
                    next_page_number(page, page_size, list.items.len(), Some(list.has_more), None);
                Ok((Page::new(list.items, list.has_more, None), next))
            }
        })
    }

    /// One workflow's details.
    ///
    /// # Errors
    ///
    /// API errors (4200 unknown workflow) and transport errors.
    pub async fn retrieve(&self, workflow_id: &WorkflowId) -> Result<WorkflowInfo> {
        let path = format!("/v1/workflows/{}", path_segment(workflow_id.as_str()));
        let detail: WorkflowDetail = self.client.send(ApiRequest::get(path)).await?;
        Ok(detail.workflow_detail)
    }
}

/// A success body without the data it must carry.
fn shape_error(path: &str, what: &str) -> Error {
    Error::Decode {
        path: path.to_owned(),
        field: ".".to_owned(),
        logid: None,
        source: serde::de::Error::custom(what),
    }
}

/// The events of a workflow run: an [`EventStream`] of [`WorkflowEvent`].
///
/// Yields every event that arrived; a connection that closes before `Done`, `Error` or
/// `Interrupt` ends the stream with one `Err` item ([`Error::StreamCut`]), so finished nodes
/// are never lost. [`EventStream::last_event_id`] is the `id:` of the last event. The rules
/// are those of [`crate::stream`].
pub type WorkflowStream = EventStream<WorkflowEvent>;

impl StreamEvent for WorkflowEvent {
    fn parse(event: &str, data: &str) -> Result<Self> {
        WorkflowEvent::parse(event, data)
    }

    fn is_terminal(&self) -> bool {
        WorkflowEvent::is_terminal(self)
    }

    fn is_last(&self) -> bool {
        matches!(self, WorkflowEvent::Done { .. } | WorkflowEvent::Error(_))
    }
}
