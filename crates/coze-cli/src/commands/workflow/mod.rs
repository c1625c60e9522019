//! `coze workflow`: list, get, run (sync, `--stream`, `--async`), resume, status.
//!
//! Exit statuses: a missing or malformed `--param` (parsed here, not by clap, so it is not a
//! usage error), a params file that cannot be read or is not a JSON object, an unknown
//! workflow (4200), a stale event id and a workflow that fails are failures (1), each with a
//! hint.

pub(crate) mod params;
mod stream;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use coze_sdk::{
    ExecuteId, ListWorkflowsRequest, ResumeRequest, WorkflowId, WorkflowInfo, WorkflowMode,
    WorkflowRunHistory, WorkflowRunRequest,
};
use futures_util::StreamExt;
use serde_json::Value;

use super::non_empty_arg;
use crate::error::CliError;
use crate::output::{Output, format_time};
use crate::settings::Settings;

pub use stream::final_output;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum WorkflowCommand {
    /// List workflows and chatflows
    List {
        /// Only this workspace's
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        /// Only workflows or only chatflows
        #[arg(long, value_enum)]
        mode: Option<Mode>,
        /// Show at most this many
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
        limit: u32,
    },
    /// Show one workflow
    Get {
        /// The workflow id
        id: String,
    },
    /// Run a workflow: wait for its output, stream its nodes, or start it asynchronously
    Run {
        /// The workflow id
        id: String,
        /// An input, KEY=VALUE (JSON values are sent as JSON), repeatable
        #[arg(long = "param", value_name = "KEY=VALUE", num_args = 0..=1, default_missing_value = "")]
        params: Vec<String>,
        /// Read the inputs from a JSON object in this file (--param overrides its keys)
        #[arg(long, value_name = "FILE")]
        params_file: Option<PathBuf>,
        /// Show each node as it finishes; answer question nodes at the terminal
        #[arg(long, conflicts_with = "run_async")]
        stream: bool,
        /// Start the run and print its execute id (see `coze workflow status`)
        #[arg(long = "async")]
        run_async: bool,
        /// With --async: wait until the run finishes and show its result
        #[arg(long, requires = "run_async")]
        wait: bool,
        /// Run as this bot (for workflows that use bot variables)
        #[arg(long, value_name = "ID")]
        bot: Option<String>,
    },
    /// Answer a question node and stream the rest of the run
    Resume {
        /// The workflow id
        id: String,
        /// The interrupt's event id (printed by `coze workflow run --stream`)
        #[arg(long, value_name = "EVENT")]
        event: String,
        /// The answer
        #[arg(long, value_name = "TEXT")]
        data: String,
        /// The interrupt type (2 question node, 5 input node)
        #[arg(long = "type", default_value_t = 2)]
        interrupt_type: i64,
    },
    /// Show the state and result of a run (for --async runs)
    Status {
        /// The workflow id
        id: String,
        /// The run's execute id
        execute_id: String,
    },
}

/// `--mode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Workflows
    Workflow,
    /// Chatflows (chat with them: `coze chatflow ID`)
    Chatflow,
}

/// # Errors
/// See the module docs.
pub async fn run(command: WorkflowCommand, settings: &Settings) -> anyhow::Result<()> {
    let client = settings.client()?;
    let out = &settings.output;
    match command {
        WorkflowCommand::List {
            workspace,
            mode,
            limit,
        } => {
            let mut req = ListWorkflowsRequest::new().page_size(limit.min(100));
            if let Some(ws) = workspace {
                req = req.workspace(non_empty_arg(&ws, "--workspace")?);
            }
            if let Some(mode) = mode {
                req = req.mode(match mode {
                    Mode::Workflow => WorkflowMode::Workflow,
                    Mode::Chatflow => WorkflowMode::Chatflow,
                });
            }
            let mut items = client.workflows().list(req).items();
            let mut rows = Vec::new();
            while let Some(item) = items.next().await {
                rows.push(item?);
                if rows.len() >= limit as usize {
                    break;
                }
            }
            show_workflows(&rows, out)
        }
        WorkflowCommand::Get { id } => {
            let info = client.workflows().retrieve(&workflow_id(&id)?).await?;
            show_workflows(&[info], out)
        }
        WorkflowCommand::Run {
            id,
            params,
            params_file,
            stream,
            run_async,
            wait,
            bot,
        } => {
            let id = workflow_id(&id)?;
            let params = params::parse_all(&params)?;
            let inputs = params::collect(params_file.as_deref(), params)?;
            let mut req = WorkflowRunRequest::new(id.clone()).parameters(inputs);
            if let Some(bot) = bot {
                req = req.bot_id(non_empty_arg(&bot, "--bot")?);
            }
            if stream {
                let events = client.workflows().stream(req).await?;
                return stream::follow(&client, &id, events, out).await;
            }
            if run_async {
                let started = client.workflows().run_async(req).await?;
                if wait {
                    let spinner = out.spinner("running");
                    let history = client
                        .workflows()
                        .poll(&id, &started.execute_id, Duration::from_secs(1), None)
                        .await;
                    spinner.stop();
                    return show_history(&id, &history?, out);
                }
                if out.json() {
                    out.json_line(&started)?;
                } else {
                    out.line(started.execute_id.as_str())?;
                    out.dim(&format!(
                        "follow it with: coze workflow status {id} {}",
                        started.execute_id
                    ));
                }
                return Ok(());
            }
            let spinner = out.spinner("running");
            let result = client.workflows().run(req).await;
            spinner.stop();
            let result = result?;
            if out.json() {
                out.json_line(&result)?;
                return Ok(());
            }
            if let Some(interrupt) = &result.interrupt_data {
                let question = interrupt
                    .question()
                    .unwrap_or_else(|| "the workflow waits for input".into());
                out.line(&interrupt.event_id)?;
                out.note(&format!("the workflow asks: {question}"));
                out.dim(&format!(
                    "answer with: coze workflow resume {id} --event {} --data '<answer>'",
                    interrupt.event_id
                ));
                return Ok(());
            }
            out.line(&display_output(&result.data))?;
            if !result.debug_url.is_empty() {
                out.dim(&format!("debug: {}", result.debug_url));
            }
            Ok(())
        }
        WorkflowCommand::Resume {
            id,
            event,
            data,
            interrupt_type,
        } => {
            let id = workflow_id(&id)?;
            let event = non_empty_arg(&event, "--event")?;
            if data.trim().is_empty() {
                return Err(CliError::usage("--data is empty")
                    .with_hint("pass the answer: --data 'Paris'")
                    .into());
            }
            let req = ResumeRequest::new(id.clone(), event, data, interrupt_type);
            let events = stream::resume(&client, req).await?;
            stream::follow(&client, &id, events, out).await
        }
        WorkflowCommand::Status { id, execute_id } => {
            let id = workflow_id(&id)?;
            let execute_id = ExecuteId::new(non_empty_arg(&execute_id, "the execute id")?);
            let history = client.workflows().run_history(&id, &execute_id).await?;
            show_history(&id, &history, out)
        }
    }
}

fn workflow_id(id: &str) -> anyhow::Result<WorkflowId> {
    Ok(WorkflowId::new(non_empty_arg(id, "the workflow id")?))
}

/// The output as a person wants it: `{"output": "text"}` as `text`, other JSON as JSON.
fn display_output(data: &Value) -> String {
    match data {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => final_output(&other.to_string()).unwrap_or_else(|| other.to_string()),
    }
}

fn show_workflows(items: &[WorkflowInfo], out: &Output) -> anyhow::Result<()> {
    out.list(
        items,
        &["ID", "NAME", "UPDATED (UTC)", "DESCRIPTION"],
        |w| {
            vec![
                w.workflow_id.to_string(),
                w.workflow_name.clone(),
                format_time(w.updated_at),
                w.description.clone(),
            ]
        },
        "no workflows",
    )?;
    Ok(())
}

/// Shows a run record; a failed run is reported as an error (exit status 1).
fn show_history(id: &WorkflowId, history: &WorkflowRunHistory, out: &Output) -> anyhow::Result<()> {
    if out.json() {
        out.json_line(history)?;
    } else {
        let mut rows = vec![
            vec!["execute id".to_string(), history.execute_id.to_string()],
            vec!["status".to_string(), history.execute_status.to_string()],
            vec![
                "started (UTC)".to_string(),
                format_time(history.create_time),
            ],
        ];
        if !history.output.is_empty() {
            rows.push(vec![
                "output".to_string(),
                display_output(&history.output_json()),
            ]);
        }
        if let Some(interrupt) = &history.interrupt_data {
            let question = interrupt.question().unwrap_or_else(|| "input".into());
            rows.push(vec!["waiting for".to_string(), question]);
            rows.push(vec!["event id".to_string(), interrupt.event_id.clone()]);
        }
        if !history.debug_url.is_empty() {
            rows.push(vec!["debug url".to_string(), history.debug_url.clone()]);
        }
        out.table(&["FIELD", "VALUE"], &rows, "")?;
        if let Some(interrupt) = &history.interrupt_data {
            out.dim(&format!(
                "answer with: coze workflow resume {id} --event {} --data '<answer>'",
                interrupt.event_id
            ));
        }
    }
    if history.execute_status == coze_sdk::ExecuteStatus::Fail {
        return Err(CliError::failed(format!(
            "the run failed: {} (code {})",
            history.error_message.trim(),
            history.error_code
        ))
        .with_hint("open the debug URL to see which node failed")
        .with_logid(Some(history.logid.as_str()).filter(|l| !l.is_empty()))
        .into());
    }
    Ok(())
}
