//! Continuity: recognising a history the gateway answered before.
//!
//! OpenAI clients resend the whole conversation with every request. The gateway keeps, per
//! API key, `user` and bot (the *scope*), a hash chain over the normalised messages: the
//! digest after a message is `sha256(previous digest ‖ message)`, starting from a digest of
//! the scope. After each answer it stores `digest(history + the answer it gave) → Coze
//! conversation`, and for each conversation its *head* (the digest of its latest state).
//!
//! A request whose history up to its last assistant message hashes to a stored digest that
//! is still its conversation's head continues that conversation: only the messages after the
//! last assistant message are sent, so Coze's own memory and context rules apply. Anything
//! else (an unknown history, an edited one, a regenerated answer) starts a new Coze
//! conversation that carries the earlier turns, so the old conversation is never changed
//! behind the client's back. Digests include the scope, so different keys, users or bots can
//! never land in the same conversation.
//!
//! What is hashed: roles, text (assistant text trimmed), image and file references (a
//! `data:` payload by its SHA-256), tool call ids (not their arguments, which clients
//! reformat), tool outputs. System messages count only under the `context` rule.

use sha2::{Digest as _, Sha256};

use super::request::{Msg, Part, Source, SystemRule};

/// A 32-byte digest of a history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Lowercase hex.
    pub fn hex(&self) -> String {
        use std::fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    /// The store key under which the conversation of this history is kept.
    pub fn history_key(&self) -> String {
        format!("openai:history:{}", self.hex())
    }
}

/// The owner of conversations and pending tool calls: API key, `user` and bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope(Digest);

impl Scope {
    /// The scope of `key_id` (the API key's id, never the key itself), `user` and `bot_id`.
    pub fn new(key_id: &str, user: &str, bot_id: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"coze-gateway/openai/v1");
        for field in [key_id, user, bot_id] {
            field_into(&mut h, field.as_bytes());
        }
        Scope(Digest(h.finalize().into()))
    }

    /// Hex of the scope digest (stored as a conversation's owner).
    pub fn hex(&self) -> String {
        self.0.hex()
    }

    /// The digest of the empty history.
    pub fn root(&self) -> Digest {
        self.0
    }

    /// The store key of a pending tool call of this scope.
    pub fn tool_call_key(&self, call_id: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.0.0);
        field_into(&mut h, call_id.as_bytes());
        format!("openai:tool:{}", Digest(h.finalize().into()).hex())
    }
}

/// Store key of a conversation's head: its owner scope and the digest of its latest state
/// (one value, so recording an answer is two writes).
pub fn head_key(conversation_id: &str) -> String {
    format!("openai:head:{conversation_id}")
}

/// The head value: `<scope hex> <digest hex>`, or `<scope hex> -` when the latest state is
/// unknown (after a failed chat).
pub fn head_value(scope: &Scope, digest: Option<&Digest>) -> String {
    format!(
        "{} {}",
        scope.hex(),
        digest.map_or_else(|| "-".to_owned(), Digest::hex)
    )
}

/// Reads a head value: `(owner scope hex, latest digest hex)`.
pub fn parse_head(value: &str) -> (&str, Option<&str>) {
    let (scope, digest) = value.split_once(' ').unwrap_or((value, "-"));
    (scope, (digest != "-").then_some(digest))
}

fn field_into(h: &mut Sha256, bytes: &[u8]) {
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
}

/// Whether the system rule puts system messages into the conversation (and the hash).
fn counts(rule: &SystemRule, m: &Msg) -> bool {
    !matches!(m, Msg::System(_)) || *rule == SystemRule::Context
}

/// The digest after `m`, following `prev`.
pub fn next(prev: Digest, m: &Msg) -> Digest {
    let mut h = Sha256::new();
    h.update(prev.0);
    match m {
        Msg::System(t) => {
            h.update(b"S");
            field_into(&mut h, t.as_bytes());
        }
        Msg::User(parts) => {
            h.update(b"U");
            for p in parts {
                match p {
                    Part::Text(t) => {
                        h.update(b"t");
                        field_into(&mut h, t.as_bytes());
                    }
                    Part::Image(s) => {
                        h.update(b"i");
                        source_into(&mut h, s);
                    }
                    Part::File(s) => {
                        h.update(b"f");
                        source_into(&mut h, s);
                    }
                }
            }
        }
        Msg::Assistant { text, calls } => {
            h.update(b"A");
            field_into(&mut h, text.trim().as_bytes());
            for c in calls {
                field_into(&mut h, c.id.as_bytes());
            }
        }
        Msg::Tool { call_id, output } => {
            h.update(b"T");
            field_into(&mut h, call_id.as_bytes());
            field_into(&mut h, output.as_bytes());
        }
    }
    Digest(h.finalize().into())
}

fn source_into(h: &mut Sha256, s: &Source) {
    match s {
        Source::Url(u) => {
            h.update(b"u");
            field_into(h, u.as_bytes());
        }
        Source::Data { bytes, .. } => {
            h.update(b"d");
            h.update(Sha256::digest(bytes));
        }
        Source::FileId(id) => {
            h.update(b"id");
            field_into(h, id.as_bytes());
        }
    }
}

/// A request's messages split for continuity.
#[derive(Debug, Clone)]
pub struct Split<'a> {
    /// The messages up to and including the last assistant message (empty when none).
    pub history: Vec<&'a Msg>,
    /// The messages after it: this turn's input.
    pub input: Vec<&'a Msg>,
    /// The digest of `history` (the scope's root when it is empty).
    pub history_digest: Digest,
    /// The digests after each assistant message of `history`, latest first (for telling an
    /// edited history from an unknown one).
    pub assistant_digests: Vec<Digest>,
    /// The digest of the whole request (`history` + `input`): the answer's digest follows it.
    pub request_digest: Digest,
}

/// Splits `messages` at the last assistant message and hashes them under `scope`; system
/// messages the rule drops are left out.
pub fn split<'a>(scope: &Scope, rule: &SystemRule, messages: &'a [Msg]) -> Split<'a> {
    let kept: Vec<&Msg> = messages.iter().filter(|m| counts(rule, m)).collect();
    let cut = kept
        .iter()
        .rposition(|m| matches!(m, Msg::Assistant { .. }))
        .map_or(0, |i| i + 1);
    let mut digest = scope.root();
    let mut history_digest = digest;
    let mut assistant_digests = Vec::new();
    for (i, m) in kept.iter().enumerate() {
        digest = next(digest, m);
        if matches!(m, Msg::Assistant { .. }) {
            assistant_digests.push(digest);
        }
        if i + 1 == cut {
            history_digest = digest;
        }
    }
    assistant_digests.reverse();
    Split {
        history: kept[..cut].to_vec(),
        input: kept[cut..].to_vec(),
        history_digest,
        assistant_digests,
        request_digest: digest,
    }
}

/// The digest after the gateway's answer to a request whose messages hash to `request`.
pub fn after_answer(request: Digest, text: &str, call_ids: &[String]) -> Digest {
    let answer = Msg::Assistant {
        text: text.to_owned(),
        calls: call_ids
            .iter()
            .map(|id| super::request::CallRef {
                id: id.clone(),
                name: String::new(),
                arguments: String::new(),
            })
            .collect(),
    };
    next(request, &answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openai::request::CallRef;

    fn user(t: &str) -> Msg {
        Msg::User(vec![Part::Text(t.into())])
    }
    fn assistant(t: &str) -> Msg {
        Msg::Assistant {
            text: t.into(),
            calls: vec![],
        }
    }

    #[test]
    fn the_answer_digest_matches_the_resent_history() {
        let scope = Scope::new("key1", "alice", "bot1");
        let rule = SystemRule::Drop;
        let first = vec![Msg::System("be nice".into()), user("hi")];
        let s1 = split(&scope, &rule, &first);
        assert!(s1.history.is_empty());
        assert_eq!(s1.history_digest, scope.root());
        let stored = after_answer(s1.request_digest, "Hello!", &[]);

        // The client resends the history with our answer (whitespace trimmed) and a new question.
        let second = vec![
            Msg::System("be nice".into()),
            user("hi"),
            assistant("Hello!\n"),
            user("how are you?"),
        ];
        let s2 = split(&scope, &rule, &second);
        assert_eq!(s2.history_digest, stored);
        assert_eq!(s2.input, vec![&second[3]]);

        // A changed system prompt does not matter under `drop`, but does under `context`.
        let mut changed = second.clone();
        changed[0] = Msg::System("be rude".into());
        assert_eq!(split(&scope, &rule, &changed).history_digest, stored);
        let ctx = SystemRule::Context;
        let a = split(&scope, &ctx, &second).history_digest;
        assert_ne!(a, split(&scope, &ctx, &changed).history_digest);
    }

    #[test]
    fn scopes_and_edits_change_the_digest() {
        let msgs = vec![user("hi"), assistant("Hello!"), user("next")];
        let rule = SystemRule::Drop;
        let d = |key: &str, user: &str, bot: &str| {
            split(&Scope::new(key, user, bot), &rule, &msgs).history_digest
        };
        let base = d("k", "u", "b");
        assert_ne!(base, d("k2", "u", "b"));
        assert_ne!(base, d("k", "u2", "b"));
        assert_ne!(base, d("k", "u", "b2"));
        // Field boundaries matter: ("ab","c") is not ("a","bc").
        assert_ne!(d("ab", "c", "b"), d("a", "bc", "b"));

        let scope = Scope::new("k", "u", "b");
        let mut edited = msgs.clone();
        edited[0] = user("HI");
        assert_ne!(split(&scope, &rule, &edited).history_digest, base);
    }

    #[test]
    fn head_values_round_trip() {
        let scope = Scope::new("k", "u", "b");
        let d = scope.root();
        let v = head_value(&scope, Some(&d));
        assert_eq!(
            parse_head(&v),
            (scope.hex().as_str(), Some(d.hex().as_str()))
        );
        let v = head_value(&scope, None);
        assert_eq!(parse_head(&v), (scope.hex().as_str(), None));
    }

    #[test]
    fn tool_calls_hash_by_id() {
        let scope = Scope::new("k", "u", "b");
        let rule = SystemRule::Drop;
        let first = [user("weather?")];
        let s = split(&scope, &rule, &first);
        let after = after_answer(s.request_digest, "", &["call_1".into()]);
        let resent = vec![
            user("weather?"),
            Msg::Assistant {
                text: String::new(),
                calls: vec![CallRef {
                    id: "call_1".into(),
                    name: "get_weather".into(),
                    arguments: "{ \"location\": \"Paris\" }".into(),
                }],
            },
            Msg::Tool {
                call_id: "call_1".into(),
                output: "sunny".into(),
            },
        ];
        let s2 = split(&scope, &rule, &resent);
        assert_eq!(s2.history_digest, after);
        assert!(matches!(s2.input[..], [Msg::Tool { .. }]));
        assert_ne!(
            scope.tool_call_key("call_1"),
            Scope::new("k", "u2", "b").tool_call_key("call_1")
        );
        assert_eq!(s2.assistant_digests.len(), 1);
    }
}
