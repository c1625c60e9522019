//! Stream a workflow run: print each node as it finishes, answer question nodes from stdin.
//!
//! ```sh
//! COZE_API_TOKEN=pat_... COZE_WORKFLOW_ID=7366... cargo run -p coze-sdk --example workflow_stream -- input=hello
//! ```

use coze_sdk::{ClientBuilder, ResumeRequest, WorkflowEvent, WorkflowRunRequest};
use futures_util::StreamExt;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.downcast_ref::<coze_sdk::Error>().and_then(|e| e.hint()) {
                eprintln!("hint: {hint}");
            }
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let workflow_id =
        std::env::var("COZE_WORKFLOW_ID").map_err(|_| "set COZE_WORKFLOW_ID to a workflow's id")?;
    let client = ClientBuilder::from_env().build()?;
    let mut req = WorkflowRunRequest::new(workflow_id.as_str());
    for arg in std::env::args().skip(1) {
        let (key, value) = arg.split_once('=').ok_or("pass inputs as key=value")?;
        req = req.parameter(key, value);
    }
    let mut stream = client.workflows().stream(req).await?;
    loop {
        let mut interrupt = None;
        while let Some(event) = stream.next().await {
            match event? {
                WorkflowEvent::Message(m) if m.node_is_finish => {
                    println!("[{}] {}", m.node_title, m.content)
                }
                WorkflowEvent::Error(e) => {
                    return Err(format!(
                        "the workflow failed: {} ({})",
                        e.error_message, e.error_code
                    )
                    .into());
                }
                WorkflowEvent::Interrupt(i) => interrupt = Some(i.interrupt_data),
                _ => {}
            }
        }
        let Some(interrupt) = interrupt else {
            return Ok(());
        };
        eprint!("your answer: ");
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        let resume = ResumeRequest::answer(workflow_id.as_str(), &interrupt, answer.trim());
        stream = client.workflows().resume(resume).await?;
    }
}
