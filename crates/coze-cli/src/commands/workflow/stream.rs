//! Shows a workflow stream: each node on stderr as it finishes, the final output on stdout,
//! and at a question node either asks at the terminal and resumes, or prints the event id.
//! With `--json` every event is one JSON line on stdout.

use std::io::IsTerminal;

use coze_sdk::{
    Client, ResumeRequest, WorkflowEvent, WorkflowId, WorkflowInterrupt, WorkflowStream,
};
use futures_util::StreamExt;
use serde_json::Value;

use super::super::stdin;
use crate::error::{CliError, code_hint};
use crate::output::Output;

/// How one stream ended (failures are `Err`).
enum End {
    Done {
        output: Option<String>,
        debug_url: Option<String>,
    },
    Interrupted {
        interrupt: WorkflowInterrupt,
        question: Option<String>,
    },
}

/// Plays `stream` and, while the workflow stops at question nodes, the resumed streams.
///
/// # Errors
/// A failed run (an `Error` event: the finished nodes were shown first), a broken stream, a
/// refused resume.
pub async fn follow(
    client: &Client,
    workflow_id: &WorkflowId,
    mut stream: WorkflowStream,
    out: &Output,
) -> anyhow::Result<()> {
    loop {
        match play(&mut stream, out).await? {
            End::Done { output, debug_url } => {
                if !out.json() {
                    if let Some(output) = output {
                        out.line(&output)?;
                    }
                    if let Some(url) = debug_url {
                        out.dim(&format!("debug: {url}"));
                    }
                }
                return Ok(());
            }
            End::Interrupted {
                interrupt,
                question,
            } => {
                let data = &interrupt.interrupt_data;
                let question = question
                    .or_else(|| data.question())
                    .unwrap_or_else(|| "the workflow waits for input".into());
                let interactive = std::io::stdin().is_terminal() && !out.json();
                if !interactive {
                    if !out.json() {
                        out.line(&data.event_id)?;
                    }
                    out.note(&format!("the workflow asks: {question}"));
                    out.dim(&format!(
                        "answer with: coze workflow resume {workflow_id} --event {} --data '<answer>'",
                        data.event_id
                    ));
                    return Ok(());
                }
                let Some(answer) = ask(&question).await? else {
                    out.dim(&format!(
                        "no answer given; resume later with: coze workflow resume {workflow_id} --event {} --data '<answer>'",
                        data.event_id
                    ));
                    return Ok(());
                };
                let req = ResumeRequest::answer(workflow_id.clone(), data, answer);
                stream = resume(client, req).await?;
            }
        }
    }
}

/// Resumes, turning a refused (stale) event id into a one-line error with a hint.
///
/// # Errors
/// The refusal, or the request's error.
pub async fn resume(client: &Client, req: ResumeRequest) -> anyhow::Result<WorkflowStream> {
    let workflow_id = req.workflow_id.clone();
    match client.workflows().resume(req).await {
        Ok(stream) => Ok(stream),
        Err(coze_sdk::Error::Api(api)) if api.code == 4000 => Err(CliError::failed(format!(
            "cannot resume: {} (code 4000)",
            api.msg.trim()
        ))
        .with_hint(format!(
            "an event id can be answered once: run the workflow again with `coze workflow run {workflow_id} --stream`"
        ))
        .with_logid(api.logid.as_deref())
        .into()),
        Err(e) => Err(e.into()),
    }
}

/// Asks `question` on stderr and reads one line; `None` when the answer is empty or stdin ends.
async fn ask(question: &str) -> anyhow::Result<Option<String>> {
    let Some(line) = stdin::read_line(Some(format!("? {question} "))).await? else {
        // Ctrl-D: the terminal echoed no newline, so end the question's line here.
        crate::output::stderr_line("");
        return Ok(None);
    };
    let answer = line.trim().to_string();
    Ok((!answer.is_empty()).then_some(answer))
}

async fn play(stream: &mut WorkflowStream, out: &Output) -> anyhow::Result<End> {
    let mut text = String::new();
    let mut output: Option<String> = None;
    let mut last_message: Option<String> = None;
    while let Some(event) = stream.next().await {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                // A cut after the End node and before Done: the output arrived, print it
                // before the error.
                if let Some(output) = output.filter(|_| !out.json()) {
                    out.line(&output)?;
                }
                return Err(err.into());
            }
        };
        if out.json() {
            out.json_line(&event)?;
        }
        match event {
            WorkflowEvent::Message(m) => {
                text.push_str(&m.content);
                if !m.node_is_finish {
                    continue;
                }
                let content = std::mem::take(&mut text);
                match final_output(&content) {
                    Some(result) => {
                        output = Some(result);
                        if !out.json() {
                            out.dim(&format!("✓ {}", m.node_title));
                        }
                    }
                    None if !out.json() => {
                        out.note(&format!("✓ {}: {}", m.node_title, content.trim()))
                    }
                    None => {}
                }
                last_message = Some(content);
            }
            WorkflowEvent::Error(e) => {
                let hint = match e.error_code.get() {
                    6006 => {
                        "a node of the workflow timed out: check the node in Coze's workflow editor"
                            .to_string()
                    }
                    code => code_hint(code),
                };
                return Err(CliError::failed(format!(
                    "the workflow failed: {} (code {})",
                    e.error_message.trim(),
                    e.error_code
                ))
                .with_hint(hint)
                .with_logid(stream.logid())
                .into());
            }
            WorkflowEvent::Interrupt(interrupt) => {
                let question = last_message.filter(|q| !q.trim().is_empty());
                return Ok(End::Interrupted {
                    interrupt,
                    question,
                });
            }
            WorkflowEvent::Done { debug_url } => return Ok(End::Done { output, debug_url }),
            _ => {}
        }
    }
    // The stream ended without Done (the SDK reports cuts as errors): keep what arrived.
    Ok(End::Done {
        output,
        debug_url: None,
    })
}

/// The text to print for an output node: `{"output": "text"}` gives `text`, any other JSON
/// object itself; `None` for ordinary node messages.
pub fn final_output(content: &str) -> Option<String> {
    match serde_json::from_str::<Value>(content.trim()) {
        Ok(Value::Object(map)) => {
            match (map.len(), map.get("output").or_else(|| map.get("Output"))) {
                (1, Some(Value::String(s))) => Some(s.clone()),
                _ => Some(Value::Object(map).to_string()),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_nodes_are_recognised() {
        assert_eq!(final_output(r#"{"output":"hi"}"#).as_deref(), Some("hi"));
        assert_eq!(
            final_output(r#"{"a":1,"output":"x"}"#).as_deref(),
            Some(r#"{"a":1,"output":"x"}"#)
        );
        assert_eq!(final_output("plain text"), None);
        assert_eq!(final_output("42"), None);
    }
}
