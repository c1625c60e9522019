//! Workflow and chatflow types.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::ids::{AppId, BotId, ConversationId, ExecuteId, UserId, WorkflowId};
use crate::types::chat::{Usage, decode, done_debug_url};
use crate::types::common::{null_default, open_enum};
use crate::types::lenient::{Int, Timestamp};
use crate::types::messages::EnterMessage;

/// A workflow run: which workflow, with which inputs.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WorkflowRunRequest {
    /// The workflow.
    pub workflow_id: WorkflowId,
    /// Inputs of the start node, by name.
    pub parameters: Map<String, Value>,
    /// Run as this bot (for workflows using bot variables); not with `app_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<BotId>,
    /// Run inside this app; not with `bot_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<AppId>,
    /// Extra context (`latitude`, `longitude`, `user_id`).
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub ext: HashMap<String, String>,
    /// A specific published version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workflow_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) is_async: Option<bool>,
}

impl WorkflowRunRequest {
    /// A run of `workflow_id` without inputs.
    pub fn new(workflow_id: impl Into<WorkflowId>) -> Self {
        Self {
            workflow_id: workflow_id.into(),
            ..Self::default()
        }
    }

    /// Sets one input.
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.parameters.insert(name.into(), value.into());
        self
    }

    /// Sets all inputs at once.
    pub fn parameters(mut self, parameters: Map<String, Value>) -> Self {
        self.parameters = parameters;
        self
    }

    /// Runs as `bot_id`.
    pub fn bot_id(mut self, bot_id: impl Into<BotId>) -> Self {
        self.bot_id = Some(bot_id.into());
        self
    }

    /// Runs inside `app_id`.
    pub fn app_id(mut self, app_id: impl Into<AppId>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    /// Adds an `ext` entry.
    pub fn ext(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.ext.insert(key.into(), value.into());
        self
    }

    /// Runs a specific version.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.workflow_version = Some(version.into());
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.workflow_id.is_empty() {
            return Err(Error::InvalidRequest("the workflow id is empty".into()));
        }
        if self.bot_id.is_some() && self.app_id.is_some() {
            return Err(Error::InvalidRequest(
                "pass a bot id or an app id, not both".into(),
            ));
        }
        Ok(())
    }
}

/// Why a run stopped to wait for input, and how to resume it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InterruptData {
    /// Pass it back to resume.
    #[serde(default, deserialize_with = "null_default")]
    pub event_id: String,
    /// 2 question node, 5 input node, 6 client plugin, 7 OAuth plugin.
    #[serde(rename = "type", default)]
    pub interrupt_type: Int,
    /// What the node sends (often JSON `{"content_type","content"}`), may be empty.
    #[serde(default, deserialize_with = "null_default")]
    pub data: String,
    /// Inputs an input node needs, by name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_parameters: Option<Value>,
}

impl InterruptData {
    /// The question to show, when `data` carries one (`{"content": ...}` or plain text).
    pub fn question(&self) -> Option<String> {
        let data = self.data.trim();
        if data.is_empty() {
            return None;
        }
        match serde_json::from_str::<Value>(data) {
            Ok(Value::Object(map)) => map
                .get("content")
                .and_then(Value::as_str)
                .map(str::to_owned),
            _ => Some(data.to_owned()),
        }
    }
}

/// The answer of a synchronous run. `data` is what Coze sends as a JSON *string*, decoded.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WorkflowRunResult {
    /// The output, decoded from the `data` string (`Value::String` when it is not JSON,
    /// `Value::Null` when empty).
    pub data: Value,
    /// The `data` string as sent.
    pub raw_data: String,
    /// Link to the run in Coze's debugger (valid 7 days).
    pub debug_url: String,
    /// The run's id.
    pub execute_id: Option<ExecuteId>,
    /// Tokens used.
    pub usage: Option<Usage>,
    /// Set when the run stopped at a question or input node.
    pub interrupt_data: Option<InterruptData>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireRunResult {
    #[serde(default, deserialize_with = "null_default")]
    data: String,
    #[serde(default, deserialize_with = "null_default")]
    debug_url: String,
    #[serde(default)]
    execute_id: Option<ExecuteId>,
    #[serde(default)]
    usage: Option<Usage>,
    #[serde(default)]
    interrupt_data: Option<InterruptData>,
}

/// The `data` string of a run decoded: JSON when it is, else the string itself.
pub(crate) fn decode_output(raw: &str) -> Value {
    if raw.trim().is_empty() {
        return Value::Null;
    }
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

impl From<WireRunResult> for WorkflowRunResult {
    fn from(w: WireRunResult) -> Self {
        WorkflowRunResult {
            data: decode_output(&w.data),
            raw_data: w.data,
            debug_url: w.debug_url,
            execute_id: w.execute_id.filter(|id| !id.is_empty()),
            usage: w.usage,
            interrupt_data: w.interrupt_data.filter(|i| !i.event_id.is_empty()),
        }
    }
}

/// An asynchronous run that has started; poll its history for the result.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AsyncRun {
    /// The run's id.
    #[serde(default)]
    pub execute_id: ExecuteId,
    /// Link to the run in Coze's debugger.
    #[serde(default, deserialize_with = "null_default")]
    pub debug_url: String,
}

open_enum! {
    /// State of a run.
    ExecuteStatus {
        /// Finished with an output.
        Success => "Success",
        /// Still running (or waiting for input, see `interrupt_data`).
        Running => "Running",
        /// Failed; see `error_code` / `error_message`.
        Fail => "Fail",
    }
}

/// A run's record (`/v1/workflows/{id}/run_histories/{execute_id}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkflowRunHistory {
    /// The run.
    #[serde(default)]
    pub execute_id: ExecuteId,
    /// Its state.
    #[serde(default)]
    pub execute_status: ExecuteStatus,
    /// The bot it ran as ("0" for none).
    #[serde(default, deserialize_with = "null_default")]
    pub bot_id: String,
    /// Channel.
    #[serde(default, deserialize_with = "null_default")]
    pub connector_id: String,
    /// The user it ran for.
    #[serde(default, deserialize_with = "null_default")]
    pub connector_uid: String,
    /// 0 sync, 1 stream, 2 async.
    #[serde(default)]
    pub run_mode: Int,
    /// The run's logid (quote it to Coze support).
    #[serde(default, deserialize_with = "null_default")]
    pub logid: String,
    /// Start (Unix seconds).
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub create_time: Timestamp,
    /// Last change.
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub update_time: Timestamp,
    /// The output, usually a JSON string; see [`output_json`](Self::output_json).
    #[serde(default, deserialize_with = "null_default")]
    pub output: String,
    /// 0 unless it failed (Coze sends `""` for none).
    #[serde(default)]
    pub error_code: Int,
    /// Why it failed.
    #[serde(default, deserialize_with = "null_default")]
    pub error_message: String,
    /// Link to the run in Coze's debugger.
    #[serde(default, deserialize_with = "null_default")]
    pub debug_url: String,
    /// Tokens used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// The output was cut because it was too large.
    #[serde(default, deserialize_with = "null_default")]
    pub is_output_trimmed: bool,
    /// Set while the run waits for input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interrupt_data: Option<InterruptData>,
}

impl WorkflowRunHistory {
    /// The output decoded (JSON when it is, else the string; `Null` when empty).
    pub fn output_json(&self) -> Value {
        decode_output(&self.output)
    }

    /// True once the run no longer changes by itself: finished, failed, or waiting for input.
    pub fn is_settled(&self) -> bool {
        self.execute_status != ExecuteStatus::Running
            || self
                .interrupt_data
                .as_ref()
                .is_some_and(|i| !i.event_id.is_empty())
    }
}

/// A message of a workflow node.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkflowMessage {
    /// Content (a chunk when the node streams; the end node sends its output as JSON).
    #[serde(default, deserialize_with = "null_default")]
    pub content: String,
    /// The node's title.
    #[serde(default, deserialize_with = "null_default")]
    pub node_title: String,
    /// Index of this chunk within the node's output.
    #[serde(default, deserialize_with = "null_default")]
    pub node_seq_id: String,
    /// The node's last chunk.
    #[serde(default, deserialize_with = "null_default")]
    pub node_is_finish: bool,
    /// Node id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_id: Option<String>,
    /// Content type (`text`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Tokens used (end node).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Extra data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext: Option<Value>,
}

/// The node at which a run stopped for input.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkflowInterrupt {
    /// How to resume.
    #[serde(default)]
    pub interrupt_data: InterruptData,
    /// The node's title.
    #[serde(default, deserialize_with = "null_default")]
    pub node_title: String,
}

/// A run's failure, sent as the stream's last event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkflowError {
    /// Coze error code.
    #[serde(default)]
    pub error_code: Int,
    /// What went wrong.
    #[serde(default, deserialize_with = "null_default")]
    pub error_message: String,
}

/// One event of a workflow stream (`stream_run`, `stream_resume`).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", content = "data")]
#[non_exhaustive]
pub enum WorkflowEvent {
    /// `Message`: output of a node.
    Message(WorkflowMessage),
    /// `Error`: the run failed; the stream ends.
    Error(WorkflowError),
    /// `Interrupt`: the run waits for input; resume it with the event id.
    Interrupt(WorkflowInterrupt),
    /// `Done`: the run finished.
    Done {
        /// Link to the run in Coze's debugger, when sent.
        debug_url: Option<String>,
    },
    /// `PING`: a keep-alive.
    Ping,
    /// An event this SDK version does not know, kept raw.
    Unknown {
        /// The event name.
        event: String,
        /// The raw data.
        data: String,
    },
}

impl WorkflowEvent {
    /// Decodes one SSE event of a workflow stream.
    ///
    /// # Errors
    ///
    /// [`Error::MalformedEvent`] when a known event's data is not the expected JSON.
    pub fn parse(event: &str, data: &str) -> Result<WorkflowEvent> {
        Ok(match event {
            "Message" => WorkflowEvent::Message(decode(event, data)?),
            "Error" => WorkflowEvent::Error(decode(event, data)?),
            "Interrupt" => WorkflowEvent::Interrupt(decode(event, data)?),
            "Done" => WorkflowEvent::Done {
                debug_url: done_debug_url(data),
            },
            "PING" => WorkflowEvent::Ping,
            _ => WorkflowEvent::Unknown {
                event: event.to_owned(),
                data: data.to_owned(),
            },
        })
    }

    /// True for the events after which the run sends nothing more (Done, Error, Interrupt).
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            WorkflowEvent::Done { .. } | WorkflowEvent::Error(_) | WorkflowEvent::Interrupt(_)
        )
    }
}

/// Resumes a run stopped at an interrupt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ResumeRequest {
    /// The workflow.
    pub workflow_id: WorkflowId,
    /// The interrupt's event id.
    pub event_id: String,
    /// The answer (or the input node's values as JSON).
    pub resume_data: String,
    /// The interrupt's type (2 for a question node).
    pub interrupt_type: i64,
}

impl ResumeRequest {
    /// Answers the interrupt `event_id` (of type `interrupt_type`) with `resume_data`.
    pub fn new(
        workflow_id: impl Into<WorkflowId>,
        event_id: impl Into<String>,
        resume_data: impl Into<String>,
        interrupt_type: i64,
    ) -> Self {
        Self {
            workflow_id: workflow_id.into(),
            event_id: event_id.into(),
            resume_data: resume_data.into(),
            interrupt_type,
        }
    }

    /// Answers `interrupt` with `resume_data`.
    pub fn answer(
        workflow_id: impl Into<WorkflowId>,
        interrupt: &InterruptData,
        resume_data: impl Into<String>,
    ) -> Self {
        Self::new(
            workflow_id,
            interrupt.event_id.clone(),
            resume_data,
            interrupt.interrupt_type.get(),
        )
    }
}

open_enum! {
    /// Workflow or chatflow.
    WorkflowMode {
        /// A workflow (run, stream_run).
        Workflow => "workflow",
        /// A chatflow (`/v1/workflows/chat`).
        Chatflow => "chatflow",
    }
}

/// Who created a workflow.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkflowCreator {
    /// User id.
    #[serde(default)]
    pub id: UserId,
    /// User name.
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
}

/// A workflow as lists and `get` show it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct WorkflowInfo {
    /// Workflow id.
    #[serde(default)]
    pub workflow_id: WorkflowId,
    /// Name.
    #[serde(default, deserialize_with = "null_default")]
    pub workflow_name: String,
    /// Description.
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    /// Icon URL.
    #[serde(default, deserialize_with = "null_default")]
    pub icon_url: String,
    /// The app it belongs to ("" for the resource library).
    #[serde(default, deserialize_with = "null_default")]
    pub app_id: String,
    /// Creation time.
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub created_at: Timestamp,
    /// Last change.
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub updated_at: Timestamp,
    /// Creator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<WorkflowCreator>,
}

/// One page of workflows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct WorkflowList {
    /// Workflows of this page.
    #[serde(default, deserialize_with = "null_default")]
    pub items: Vec<WorkflowInfo>,
    /// More pages follow.
    #[serde(default, deserialize_with = "null_default")]
    pub has_more: bool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WorkflowDetail {
    pub(crate) workflow_detail: WorkflowInfo,
}

/// Which workflows to list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListWorkflowsRequest {
    /// Only this workspace's.
    pub workspace_id: Option<String>,
    /// Only workflows or only chatflows.
    pub workflow_mode: Option<WorkflowMode>,
    /// Only this app's.
    pub app_id: Option<String>,
    /// `all`, `published_online` or `unpublished_draft`.
    pub publish_status: Option<String>,
    /// First page (1-based).
    pub page_num: u32,
    /// Workflows per page.
    pub page_size: u32,
}

impl Default for ListWorkflowsRequest {
    fn default() -> Self {
        Self {
            workspace_id: None,
            workflow_mode: None,
            app_id: None,
            publish_status: None,
            page_num: 1,
            page_size: 50,
        }
    }
}

impl ListWorkflowsRequest {
    /// Every workflow the token sees, 50 per page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only this workspace's.
    pub fn workspace(mut self, workspace_id: impl Into<String>) -> Self {
        self.workspace_id = Some(workspace_id.into());
        self
    }

    /// Only workflows or only chatflows.
    pub fn mode(mut self, mode: WorkflowMode) -> Self {
        self.workflow_mode = Some(mode);
        self
    }

    /// Sets the first page (1-based).
    pub fn page_num(mut self, page: u32) -> Self {
        self.page_num = page.max(1);
        self
    }

    /// Sets the page size.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size.clamp(1, 100);
        self
    }
}

/// A chatflow turn (`/v1/workflows/chat`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ChatflowRequest {
    /// The chatflow.
    pub workflow_id: WorkflowId,
    /// History and this turn's user message (the last one).
    pub additional_messages: Vec<EnterMessage>,
    /// Inputs of the start node.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub parameters: Map<String, Value>,
    /// The app (for app chatflows); not with `bot_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<AppId>,
    /// The bot (for resource-library chatflows); not with `app_id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bot_id: Option<BotId>,
    /// Continue this conversation (needed to answer a question node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<ConversationId>,
    /// Extra context.
    #[serde(skip_serializing_if = "HashMap::is_empty")]
    pub ext: HashMap<String, String>,
}

impl ChatflowRequest {
    /// A turn of chatflow `workflow_id`.
    pub fn new(workflow_id: impl Into<WorkflowId>) -> Self {
        Self {
            workflow_id: workflow_id.into(),
            ..Self::default()
        }
    }

    /// Adds a message (the last user message is this turn's input).
    pub fn message(mut self, message: EnterMessage) -> Self {
        self.additional_messages.push(message);
        self
    }

    /// Adds a text message from the user.
    pub fn user_message(self, text: impl Into<String>) -> Self {
        self.message(EnterMessage::user(text))
    }

    /// Continues `conversation_id`.
    pub fn conversation(mut self, conversation_id: impl Into<ConversationId>) -> Self {
        self.conversation_id = Some(conversation_id.into());
        self
    }

    /// Sets one start-node input.
    pub fn parameter(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.parameters.insert(name.into(), value.into());
        self
    }

    /// Runs the chatflow as `bot_id`.
    pub fn bot_id(mut self, bot_id: impl Into<BotId>) -> Self {
        self.bot_id = Some(bot_id.into());
        self
    }

    /// Runs the chatflow in `app_id`.
    pub fn app_id(mut self, app_id: impl Into<AppId>) -> Self {
        self.app_id = Some(app_id.into());
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.workflow_id.is_empty() {
            return Err(Error::InvalidRequest("the chatflow id is empty".into()));
        }
        if self.bot_id.is_some() && self.app_id.is_some() {
            return Err(Error::InvalidRequest(
                "pass a bot id or an app id, not both".into(),
            ));
        }
        if self
            .additional_messages
            .iter()
            .all(|m| m.content.trim().is_empty())
        {
            return Err(Error::InvalidRequest(
                "the chatflow needs a non-empty user message".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_result_decodes_the_data_string() {
        let wire: WireRunResult = serde_json::from_str(
            r#"{"code":0,"msg":"","data":"{\"output\":\"hi\"}","debug_url":"u","execute_id":"7","usage":{"token_count":3}}"#,
        )
        .unwrap();
        let result = WorkflowRunResult::from(wire);
        assert_eq!(result.data["output"], "hi");
        assert_eq!(result.raw_data, "{\"output\":\"hi\"}");
        assert_eq!(result.execute_id.unwrap().as_str(), "7");
        assert_eq!(decode_output("plain"), Value::String("plain".into()));
        assert_eq!(decode_output(""), Value::Null);
    }

    #[test]
    fn workflow_events_parse() {
        let msg = WorkflowEvent::parse(
            "Message",
            r#"{"content":"c","node_is_finish":true,"node_seq_id":"0","node_title":"T"}"#,
        )
        .unwrap();
        assert!(
            matches!(msg, WorkflowEvent::Message(ref m) if m.node_title == "T" && m.node_is_finish)
        );
        let interrupt = WorkflowEvent::parse(
            "Interrupt",
            r#"{"interrupt_data":{"data":"","event_id":"7404830425073352713/2769808280134765896","type":2},"node_title":"q"}"#,
        )
        .unwrap();
        let WorkflowEvent::Interrupt(i) = &interrupt else {
            panic!("{interrupt:?}")
        };
        assert_eq!(
            (i.interrupt_data.interrupt_type.get(), i.node_title.as_str()),
            (2, "q")
        );
        assert!(interrupt.is_terminal());
        let err = WorkflowEvent::parse(
            "Error",
            r#"{"error_code":4000,"error_message":"Request parameter error"}"#,
        )
        .unwrap();
        assert_eq!(
            err,
            WorkflowEvent::Error(WorkflowError {
                error_code: Int(4000),
                error_message: "Request parameter error".into()
            })
        );
        assert_eq!(
            WorkflowEvent::parse("Done", "{}").unwrap(),
            WorkflowEvent::Done { debug_url: None }
        );
        assert_eq!(
            WorkflowEvent::parse("PING", "").unwrap(),
            WorkflowEvent::Ping
        );
        assert!(matches!(
            WorkflowEvent::parse("invalid", "{}").unwrap(),
            WorkflowEvent::Unknown { .. }
        ));
        assert!(matches!(
            WorkflowEvent::parse("Message", "not json"),
            Err(Error::MalformedEvent { .. })
        ));
    }

    #[test]
    fn history_error_code_may_be_empty_and_question_is_read_from_data() {
        let h: WorkflowRunHistory = serde_json::from_str(
            r#"{"execute_id":"1","execute_status":"Fail","error_code":"6006","output":""}"#,
        )
        .unwrap();
        assert_eq!((h.error_code.get(), h.is_settled()), (6006, true));
        let h: WorkflowRunHistory =
            serde_json::from_str(r#"{"execute_status":"Running","error_code":""}"#).unwrap();
        assert_eq!((h.error_code.get(), h.is_settled()), (0, false));
        let i = InterruptData {
            data: r#"{"content_type":"text","content":"Which city?"}"#.into(),
            ..Default::default()
        };
        assert_eq!(i.question().as_deref(), Some("Which city?"));
    }
}
