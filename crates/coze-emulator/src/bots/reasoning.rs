//! The `reasoning` bot: thinks out loud first, as reasoning (deep-thinking) models on Coze do.
//!
//! It streams its chain of thought as `conversation.message.delta` events whose message has
//! `reasoning_content` set and an empty `content`, then the answer's deltas (the echo bot's
//! answer, markdown included); the completed answer message carries both `content` and the
//! whole `reasoning_content`. Thought: `The user wrote "<query>" (<n> words). …`.

use futures_util::future::BoxFuture;

use super::{Behavior, BotReply, ChatContext, echo, quote};

/// See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Reasoning;

impl Behavior for Reasoning {
    fn respond<'a>(&'a self, ctx: &'a ChatContext) -> BoxFuture<'a, BotReply> {
        Box::pin(async move {
            let query = ctx.query().map(|t| t.text()).unwrap_or_default();
            let BotReply::Answer { text, follow_ups } = echo::answer(ctx) else {
                return echo::answer(ctx);
            };
            let reasoning = if query.trim().is_empty() {
                "The user sent nothing. I should say so and offer help.".to_string()
            } else {
                let words = query.split_whitespace().count();
                format!(
                    "The user wrote {} ({words} words). They want it echoed back. I will repeat \
                     it, recall their earlier messages, and format the details as a list and a \
                     code block.",
                    quote(&query)
                )
            };
            BotReply::ReasonedAnswer {
                reasoning,
                text,
                follow_ups,
            }
        })
    }
}
