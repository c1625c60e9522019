//! How a failed command is reported: `error:` / `Caused by:` / `logid:` / `hint:` on stderr,
//! and which exit status it gets.

use std::error::Error as StdError;
use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

use crate::output::Style;

/// Exit status: the request failed (the default for any error).
pub const EXIT_FAILED: u8 = 1;
/// Exit status: the command line or the configuration is wrong.
pub const EXIT_USAGE: u8 = 2;
/// Exit status: the user pressed Ctrl-C (128 + SIGINT, what shells expect).
pub const EXIT_INTERRUPTED: u8 = 130;

/// An error raised by the CLI itself, carrying its exit status and an optional hint.
#[derive(Debug)]
pub struct CliError {
    message: String,
    hint: Option<String>,
    logid: Option<String>,
    exit: u8,
}

impl CliError {
    /// A usage or configuration problem (exit status 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            logid: None,
            exit: EXIT_USAGE,
        }
    }

    /// A failed request or operation (exit status 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            hint: None,
            logid: None,
            exit: EXIT_FAILED,
        }
    }

    /// The user interrupted the command (nothing more is printed).
    pub fn interrupted() -> Self {
        Self {
            message: String::new(),
            hint: None,
            logid: None,
            exit: EXIT_INTERRUPTED,
        }
    }

    /// A failure that was already reported on stderr (nothing more is printed).
    pub fn reported() -> Self {
        Self {
            message: String::new(),
            hint: None,
            logid: None,
            exit: EXIT_FAILED,
        }
    }

    /// Adds the advice printed after `hint:`.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Adds the Coze logid of the response this error came from.
    pub fn with_logid(mut self, logid: Option<&str>) -> Self {
        self.logid = logid.map(str::to_string);
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for CliError {}

/// The exit status for `err`; a closed stdout (broken pipe) counts as success.
pub fn exit_code(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::SUCCESS;
    }
    if let Some(cli) = find::<CliError>(err) {
        return ExitCode::from(cli.exit);
    }
    ExitCode::from(EXIT_FAILED)
}

/// True when the error comes from writing to a reader that went away (`coze ... | head`).
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

/// True when everything worth saying was already said (Ctrl-C, a failure shown earlier).
pub fn is_silent(err: &anyhow::Error) -> bool {
    err.downcast_ref::<CliError>()
        .is_some_and(|e| e.message.is_empty())
}

fn find<T: StdError + 'static>(err: &anyhow::Error) -> Option<&T> {
    err.chain().find_map(|cause| cause.downcast_ref::<T>())
}

/// Writes the error report. The Coze details (code, logid, hint) come from the SDK error
/// wherever it sits in the chain, so context added on top never hides them. Below an SDK
/// error, the transport's own chain (hyper, io) is folded into one line.
pub fn report(err: &anyhow::Error, style: Style, w: &mut dyn Write) -> io::Result<()> {
    let mut first = true;
    let mut logids: Vec<String> = Vec::new();
    let mut hints: Vec<String> = Vec::new();
    for cause in err.chain() {
        let mut line = describe(cause);
        let sdk = cause.downcast_ref::<coze_sdk::Error>();
        if let Some(sdk) = sdk {
            if let Some(root) = root_cause(sdk) {
                line = format!("{line}: {root}");
            }
            logids.extend(sdk.logid().map(str::to_string));
            hints.extend(
                cli_hint(sdk)
                    .or_else(|| sdk.hint())
                    .or_else(|| fallback_hint(sdk)),
            );
        }
        if let Some(cli) = cause.downcast_ref::<CliError>() {
            logids.extend(cli.logid.clone());
            hints.extend(cli.hint.clone());
        }
        // Messages often carry server text; keep escape sequences out of the terminal.
        let line = crate::output::clean(&line);
        if first {
            writeln!(w, "{} {line}", style.error("error:"))?;
            first = false;
        } else {
            writeln!(w, "  {} {line}", style.bold("Caused by:"))?;
        }
        if sdk.is_some() {
            break;
        }
    }
    logids.dedup();
    for logid in logids {
        let logid = crate::output::clean(&logid);
        writeln!(w, "{} {logid}", style.bold("logid:"))?;
    }
    for hint in hints {
        let hint = crate::output::clean(&hint);
        writeln!(w, "{} {hint}", style.hint("hint:"))?;
    }
    Ok(())
}

/// The innermost message under an SDK transport error, e.g. "Connection refused (os error 111)".
fn root_cause(err: &coze_sdk::Error) -> Option<String> {
    let mut source = StdError::source(err)?;
    while let Some(next) = source.source() {
        source = next;
    }
    Some(source.to_string())
}

/// Advice where the SDK's hint speaks to programmers (builder options) rather than to CLI users.
fn cli_hint(err: &coze_sdk::Error) -> Option<String> {
    match err {
        coze_sdk::Error::EventTooLarge { .. } | coze_sdk::Error::MalformedEvent { .. } => Some(
            "the server did not send a Coze chat stream: check that the base URL points at a \
             Coze API (what arrived before was kept)"
                .to_string(),
        ),
        // The CLI can publish the bot itself (issue 4).
        _ if err.code() == Some(4015) => Some(
            "the bot is not published to the API channel: publish it with `coze bots publish \
             <bot id>` (or in Coze: Publish > API) and try again"
                .to_string(),
        ),
        _ => None,
    }
}

/// Advice for Coze codes the SDK has none for, so every API error ends with a next step.
fn fallback_hint(err: &coze_sdk::Error) -> Option<String> {
    let code = err.code().filter(|c| *c != 0)?;
    Some(code_hint(code))
}

/// Advice for a Coze error code that arrived outside an HTTP error (a failed chat, an
/// `error` event).
pub fn code_hint(code: i64) -> String {
    match code {
        5000 => "Coze reported an internal error: retry later, and quote the logid to Coze \
                 support if it persists"
            .to_string(),
        4013 | 4020 => "rate limited: slow down and retry in a few seconds".to_string(),
        4008 | 4011 | 4019 | 4027 | 4028 => {
            "the account or bot has reached a usage or balance limit: check it in Coze".to_string()
        }
        _ => format!(
            "Coze refused the request with code {code}: check the message above, and quote the \
             logid to Coze support if it is unclear"
        ),
    }
}

/// One line for one link of the chain; API errors always show their Coze code.
fn describe(cause: &(dyn StdError + 'static)) -> String {
    let Some(err) = cause.downcast_ref::<coze_sdk::Error>() else {
        return cause.to_string();
    };
    if let Some(api) = err.as_api() {
        // The SDK's Display packs code, status and logid into one line; the report shows
        // the logid on its own line, so keep the message and the code here.
        let msg = api.msg.trim();
        let msg = if msg.is_empty() {
            "the request failed"
        } else {
            msg
        };
        return match api.code {
            0 => format!("{msg} (HTTP {})", api.status),
            code => format!("{msg} (code {code})"),
        };
    }
    let text = err.to_string();
    match err.code() {
        Some(code) if !text.contains(&code.to_string()) => format!("{text} (code {code})"),
        _ => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context as _;

    fn render(err: &anyhow::Error) -> String {
        let mut out = Vec::new();
        report(err, Style::plain(), &mut out).expect("writing to a Vec");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn usage_errors_exit_2_with_their_hint() {
        let err =
            anyhow::Error::new(CliError::usage("the message is empty").with_hint("type something"));
        assert_eq!(exit_code(&err), ExitCode::from(EXIT_USAGE));
        assert_eq!(
            render(&err),
            "error: the message is empty\nhint: type something\n"
        );
    }

    #[test]
    fn context_becomes_caused_by() {
        let err = Err::<(), _>(CliError::failed("connection refused"))
            .context("could not start the chat")
            .expect_err("is an error");
        assert_eq!(exit_code(&err), ExitCode::from(EXIT_FAILED));
        assert_eq!(
            render(&err),
            "error: could not start the chat\n  Caused by: connection refused\n"
        );
    }

    #[test]
    fn broken_pipe_exits_zero() {
        let err = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe)).context("writing");
        assert!(is_broken_pipe(&err));
        assert_eq!(exit_code(&err), ExitCode::SUCCESS);
    }
}
