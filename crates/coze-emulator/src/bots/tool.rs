//! The `tool` bot: asks the caller to run `get_weather` (via `requires_action`), then answers
//! with the submitted output: `The tool get_weather returned: <output>`.

use futures_util::future::BoxFuture;
use serde_json::json;

use super::{Behavior, BotReply, ChatContext, FunctionCall};

/// Name of the function the tool bot asks for.
pub const FUNCTION: &str = "get_weather";

/// See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tool;

impl Behavior for Tool {
    fn respond<'a>(&'a self, ctx: &'a ChatContext) -> BoxFuture<'a, BotReply> {
        Box::pin(async move {
            if ctx.tool_outputs.is_empty() {
                let location = ctx.query().map(|t| t.text()).unwrap_or_default();
                let location = if location.trim().is_empty() {
                    "Beijing".to_string()
                } else {
                    location
                };
                return BotReply::ToolCalls(vec![FunctionCall {
                    name: FUNCTION.to_string(),
                    arguments: json!({"location": location.trim()}),
                }]);
            }
            let outputs: Vec<&str> = ctx.tool_outputs.iter().map(|o| o.output.as_str()).collect();
            BotReply::Answer {
                text: format!("The tool {FUNCTION} returned: {}", outputs.join("; ")),
                follow_ups: vec!["Ask the tool again".to_string()],
            }
        })
    }
}
