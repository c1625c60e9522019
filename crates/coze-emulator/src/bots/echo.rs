//! The `echo` bot: repeats the user's message and recalls what the user said earlier in the
//! same section, so tests can see context and `clear` at work.
//!
//! Answer, a first paragraph: `You said: "<query>".` then, when the section has earlier
//! questions, ` Earlier in this conversation you said: "<q1>", "<q2>".`, then for each
//! attached file ` You attached <kind> "<file name>" (file_id <id>).` (or
//! `"<last URL segment>" (<url>)` for a `file_url`). Then some markdown, so clients that
//! render it have something to render: a list with the query's word and character counts
//! and the query in a `text` code block:
//!
//! ````text
//! You said: "hello".
//!
//! - words: 1
//! - characters: 5
//!
//! ```text
//! hello
//! ```
//! ````
//!
//! An empty query gets `You sent an empty message.` alone. Follow-ups:
//! `Tell me more about <query>` and `What did I say before?`.

use futures_util::future::BoxFuture;

use super::{Behavior, BotReply, ChatContext, FileRef, quote};

/// See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Echo;

impl Behavior for Echo {
    fn respond<'a>(&'a self, ctx: &'a ChatContext) -> BoxFuture<'a, BotReply> {
        Box::pin(async move { answer(ctx) })
    }
}

/// The echo answer for `ctx` (also used by bots that behave like echo).
pub fn answer(ctx: &ChatContext) -> BotReply {
    let query = ctx.query().map(|t| t.text()).unwrap_or_default();
    let mut text = if query.trim().is_empty() {
        "You sent an empty message.".to_string()
    } else {
        format!("You said: {}.", quote(&query))
    };
    // Earlier user messages: the section's history plus this turn's messages before the query.
    let before_query = ctx
        .input
        .iter()
        .rposition(|t| t.role == "user")
        .unwrap_or(0);
    let earlier: Vec<String> = ctx
        .history
        .iter()
        .chain(&ctx.input[..before_query])
        .filter(|t| t.role == "user")
        .map(|t| quote(&t.text()))
        .collect();
    if !earlier.is_empty() {
        text.push_str(&format!(
            " Earlier in this conversation you said: {}.",
            earlier.join(", ")
        ));
    }
    for file in ctx.query().map(|t| t.files()).unwrap_or_default() {
        text.push_str(&format!(
            " You attached {} {}.",
            file.kind,
            describe(ctx, &file)
        ));
    }
    if !query.trim().is_empty() {
        text.push_str(&markdown(&query));
    }
    let topic: String = query.trim().chars().take(40).collect();
    let follow_ups = if topic.is_empty() {
        vec!["What can you do?".to_string()]
    } else {
        vec![
            format!("Tell me more about {topic}"),
            "What did I say before?".to_string(),
        ]
    };
    BotReply::Answer { text, follow_ups }
}

/// Names an attachment: an uploaded file by its name, an URL by its last path segment.
fn describe(ctx: &ChatContext, file: &FileRef) -> String {
    let name = |id: &str| ctx.state.store().files.get(id).map(|f| f.name.clone());
    match (&file.file_id, &file.file_url) {
        (Some(id), _) => match name(id) {
            Some(name) => format!("\"{name}\" (file_id {id})"),
            None => format!("file_id {id} (not an uploaded file)"),
        },
        (None, Some(url)) => match url
            .split(['?', '#'])
            .next()
            .and_then(|u| u.rsplit('/').next())
        {
            Some(last) if !last.is_empty() && url.contains("://") => format!("\"{last}\" ({url})"),
            _ => url.clone(),
        },
        (None, None) => "(no file_id or file_url)".to_string(),
    }
}

/// The markdown part of an answer: a list of counts and the query in a code block (its fence
/// longer than any backtick run in the query, so the block cannot be closed early).
fn markdown(query: &str) -> String {
    let query = query.trim();
    let words = query.split_whitespace().count();
    let chars = query.chars().count();
    let shown: String = query.chars().take(200).collect();
    let longest_run = shown.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    format!("\n\n- words: {words}\n- characters: {chars}\n\n{fence}text\n{shown}\n{fence}")
}

#[cfg(test)]
mod tests {
    use super::markdown;

    #[test]
    fn markdown_lists_counts_and_fences_the_query() {
        assert_eq!(
            markdown(" two words "),
            "\n\n- words: 2\n- characters: 9\n\n```text\ntwo words\n```"
        );
        // A query with a fence of its own gets a longer one.
        assert!(markdown("a ``` b").ends_with("\n````text\na ``` b\n````"));
    }
}
