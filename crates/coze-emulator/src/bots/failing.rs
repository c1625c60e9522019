//! The `failing` bot: every chat ends with `conversation.chat.failed`, `last_error` code 5000.

use futures_util::future::BoxFuture;

use super::{Behavior, BotReply, ChatContext};

/// Code of the failure.
pub const CODE: i64 = 5000;
/// Message of the failure.
pub const MSG: &str = "The failing bot always fails (coze emulator).";

/// See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Failing;

impl Behavior for Failing {
    fn respond<'a>(&'a self, _ctx: &'a ChatContext) -> BoxFuture<'a, BotReply> {
        Box::pin(async move {
            BotReply::Fail {
                code: CODE,
                msg: MSG.to_string(),
            }
        })
    }
}
