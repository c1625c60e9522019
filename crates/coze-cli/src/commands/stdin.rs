//! Reading one answer line from stdin, for the commands that ask something mid-stream (a tool
//! call's output, a workflow's question, a chatflow's next message).

use std::io::{BufRead, Write};

/// Writes `prompt` (if any) to stderr, then reads one line from stdin without blocking the
/// runtime. `None` at end of input; otherwise the line without its line ending.
///
/// The prompt is written without `eprint!`, which panics when stderr is a closed pipe.
///
/// # Errors
/// Reading stdin failed.
pub async fn read_line(prompt: Option<String>) -> anyhow::Result<Option<String>> {
    let line = tokio::task::spawn_blocking(move || -> std::io::Result<Option<String>> {
        if let Some(prompt) = prompt {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(prompt.as_bytes());
            let _ = err.flush();
        }
        let mut line = String::new();
        match std::io::stdin().lock().read_line(&mut line)? {
            0 => Ok(None),
            _ => Ok(Some(line.trim_end_matches(['\r', '\n']).to_string())),
        }
    })
    .await??;
    Ok(line)
}
