//! `coze chat -m TEXT`: the answer alone on stdout, everything else on stderr.

use coze_sdk::ConversationId;

use super::tools::ToolAnswers;
use super::turn::{self, Outcome, Target};
use crate::error::CliError;
use crate::settings::Settings;

/// # Errors
/// The chat failed (exit status 1; the partial answer was printed) or Ctrl-C (130).
pub async fn run(
    target: &Target,
    conversation: Option<String>,
    message: String,
    settings: &Settings,
) -> anyhow::Result<()> {
    let out = &settings.output;
    let mut conversation = conversation.map(ConversationId::new);
    let mut tools = ToolAnswers::Stdin;
    match turn::ask(target, &mut conversation, &message, out, &mut tools).await? {
        Outcome::Completed(summary) => {
            turn::print_summary(&summary, out, true);
            Ok(())
        }
        Outcome::Interrupted => Err(CliError::interrupted().into()),
    }
}
