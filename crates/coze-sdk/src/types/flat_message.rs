//! A fast path for the [`Message`] of a chat stream event.
//!
//! A chat answer arrives as one `conversation.message.delta` event per few characters, each a
//! flat JSON object of about a dozen fields (ids, role, type, the content increment, a
//! timestamp). Decoding it with serde_json's derived visitor was most of the CPU time of a
//! stream. [`decode`] reads the common shape of that object directly from the bytes: keys
//! matched as bytes, strings without escapes borrowed from the input until they are stored,
//! integers, `null`, an empty `meta_data`, unknown fields with a plain scalar value skipped.
//!
//! It returns `None` for anything else (an escape in a string, a timestamp as a string, a
//! non-empty `meta_data`, a nested value in an unknown field, a duplicate key, malformed
//! JSON, ...), and the caller then decodes the same text with serde_json. So the fast path
//! never decides what a message means: where it answers, serde_json would have given the same
//! value (the tests compare the two on generated objects), and every error comes from
//! serde_json.

use crate::ids::{BotId, ChatId, ConversationId, MessageId, SectionId};
use crate::types::messages::{ContentType, Message, MessageRole, MessageType};

/// Decodes `data` when it is a flat message object of the common shape; `None` otherwise.
pub(crate) fn decode(data: &str) -> Option<Message> {
    let mut p = Parser { s: data, i: 0 };
    let mut m = Message::default();
    p.ws();
    p.eat(b'{')?;
    p.ws();
    if p.peek() == Some(b'}') {
        p.i += 1;
    } else {
        let mut seen = 0u16;
        loop {
            let key = p.string()?;
            p.ws();
            p.eat(b':')?;
            p.ws();
            let bit = match key.as_bytes() {
                b"id" => {
                    m.id = MessageId::new(p.id()?);
                    1
                }
                b"conversation_id" => {
                    m.conversation_id = ConversationId::new(p.id()?);
                    1 << 1
                }
                b"bot_id" => {
                    m.bot_id = BotId::new(p.id()?);
                    1 << 2
                }
                b"chat_id" => {
                    m.chat_id = ChatId::new(p.id()?);
                    1 << 3
                }
                b"section_id" => {
                    m.section_id = SectionId::new(p.id()?);
                    1 << 4
                }
                b"role" => {
                    m.role = MessageRole::from(p.string()?);
                    1 << 5
                }
                b"type" => {
                    m.kind = MessageType::from(p.string()?);
                    1 << 6
                }
                b"content_type" => {
                    m.content_type = ContentType::from(p.string()?);
                    1 << 7
                }
                b"content" => {
                    m.content = p.string_or_null()?.to_owned();
                    1 << 8
                }
                b"reasoning_content" => {
                    m.reasoning_content = p.string_or_null()?.to_owned();
                    1 << 9
                }
                b"created_at" => {
                    m.created_at = p.timestamp()?.into();
                    1 << 10
                }
                b"updated_at" => {
                    m.updated_at = p.timestamp()?.into();
                    1 << 11
                }
                b"meta_data" => {
                    p.null_or_empty_object()?;
                    1 << 12
                }
                _ => {
                    p.scalar()?;
                    0
                }
            };
            if seen & bit != 0 {
                // serde's derived visitor rejects a duplicate field: let it say so.
                return None;
            }
            seen |= bit;
            p.ws();
            match p.next()? {
                b',' => p.ws(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    p.ws();
    (p.i == data.len()).then_some(m)
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.i += 1;
        Some(c)
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.next()? == c).then_some(())
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.i + word.len();
        (self.s.as_bytes().get(self.i..end)? == word.as_bytes()).then(|| self.i = end)
    }

    /// A string without escapes or control characters (JSON forbids raw ones; serde_json
    /// reports them), borrowed from the input.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        let rest = self.s.as_bytes().get(start..)?;
        // Most strings of an event are short (ids, names, a few characters of content): a
        // plain loop finds their end sooner than a vectorised search is set up.
        let short = rest.len().min(64);
        let len = match rest[..short]
            .iter()
            .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        {
            Some(n) => n,
            None => short + memchr::memchr2(b'"', b'\\', &rest[short..])?,
        };
        if rest[len] != b'"' || rest[short.min(len)..len].iter().any(|&c| c < 0x20) {
            return None;
        }
        self.i = start + len + 1;
        // Both ends are at ASCII quotes, so this is a whole UTF-8 slice.
        self.s.get(start..start + len)
    }

    fn string_or_null(&mut self) -> Option<&'a str> {
        if self.peek() == Some(b'n') {
            self.literal("null")?;
            return Some("");
        }
        self.string()
    }

    /// An id: a string, or `null` for the empty id (ids sent as numbers take the slow path).
    fn id(&mut self) -> Option<&'a str> {
        self.string_or_null()
    }

    /// An integer as JSON writes it, small enough that it cannot overflow an i64.
    fn integer(&mut self) -> Option<i64> {
        let negative = self.peek() == Some(b'-');
        if negative {
            self.i += 1;
        }
        let digits = self.s.as_bytes().get(self.i..)?;
        let n = digits.iter().take_while(|c| c.is_ascii_digit()).count();
        // No leading zero (invalid JSON), at most 18 digits, no fraction or exponent.
        if n == 0 || n > 18 || (n > 1 && digits[0] == b'0') {
            return None;
        }
        if matches!(digits.get(n), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let value = digits[..n]
            .iter()
            .fold(0i64, |v, &c| v * 10 + i64::from(c - b'0'));
        self.i += n;
        Some(if negative { -value } else { value })
    }

    /// A timestamp given as an integer or `null` (strings take the slow path).
    fn timestamp(&mut self) -> Option<Option<i64>> {
        if self.peek() == Some(b'n') {
            self.literal("null")?;
            return Some(None);
        }
        self.integer().map(Some)
    }

    fn null_or_empty_object(&mut self) -> Option<()> {
        if self.peek() == Some(b'n') {
            return self.literal("null");
        }
        self.eat(b'{')?;
        self.ws();
        self.eat(b'}')
    }

    /// Skips the value of an unknown field when it is a plain scalar.
    fn scalar(&mut self) -> Option<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'n' => self.literal("null"),
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            _ => self.integer().map(drop),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DELTA: &str = r#"{"id":"7437865392784506886","conversation_id":"7437865324962611210","bot_id":"7437864979573637138","role":"assistant","type":"answer","content":"Hello","content_type":"text","chat_id":"7437865392784474118","section_id":"7437865324962611210","created_at":1731571217}"#;

    #[test]
    fn a_delta_takes_the_fast_path_and_matches_serde() {
        let fast = decode(DELTA).expect("fast path");
        let slow: Message = serde_json::from_str(DELTA).unwrap();
        assert_eq!(fast, slow);
        assert_eq!(fast.content, "Hello");
        assert_eq!(fast.kind, MessageType::Answer);
        assert_eq!(fast.created_at, Some(1731571217));
    }

    #[test]
    fn unusual_shapes_are_left_to_serde() {
        for data in [
            r#"{"content":"a\nb"}"#,                  // an escape
            r#"{"created_at":"1731571217"}"#,         // a timestamp as a string
            r#"{"meta_data":{"k":"v"}}"#,             // a non-empty map
            r#"{"id":7437865392784506886}"#,          // an id as a number
            r#"{"x":[1]}"#,                           // a nested unknown value
            r#"{"id":"1","id":"2"}"#,                 // a duplicate key
            r#"{"created_at":1.5}"#,                  // a fraction
            r#"{"created_at":01}"#,                   // a leading zero
            r#"{"created_at":12345678901234567890}"#, // too large for the fast path
            r#"{"content":"cut"#,                     // cut
            r#"{"a":1} x"#,                           // trailing text
            "{\"content\":\"tab\there\"}",            // a raw control character
            r#"{"role":null}"#,                       // null where serde wants a string
            r#"[]"#,
        ] {
            assert!(decode(data).is_none(), "{data}");
        }
    }

    #[test]
    fn nulls_empty_maps_unknown_scalars_and_whitespace() {
        let data = " {\n\"content\" : null , \"meta_data\":{ },\"reasoning_content\":null,\"id\":null,\"new\":true,\"n\":-3,\"s\":\"x\",\"z\":null,\"created_at\":null,\"updated_at\":-5 } ";
        let fast = decode(data).expect("fast path");
        assert_eq!(fast, serde_json::from_str::<Message>(data).unwrap());
        assert_eq!(fast.updated_at, Some(-5));
        assert_eq!(decode("{}"), Some(Message::default()));
    }

    #[test]
    fn long_strings_are_searched_to_their_end() {
        for n in [63, 64, 65, 200] {
            let text = "é".repeat(n);
            let data = format!(r#"{{"content":"{text}","id":"1"}}"#);
            let fast = decode(&data).expect("fast path");
            assert_eq!(fast.content, text);
            assert_eq!(fast, serde_json::from_str::<Message>(&data).unwrap());
            for bad in ["\\n", "\t", "\u{1}"] {
                let data = format!(r#"{{"content":"{text}{bad}x"}}"#);
                assert!(decode(&data).is_none(), "{n} {bad:?}");
            }
        }
    }

    fn value() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z0-9 é\\\\\"\n]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
            "[0-9]{1,20}".prop_map(|s| s),
            "-?[0-9]{1,3}(\\.[0-9])?".prop_map(|s| s),
            Just("null".to_owned()),
            Just("true".to_owned()),
            Just("{}".to_owned()),
            Just("{\"k\":\"v\"}".to_owned()),
            Just("[]".to_owned()),
            Just("\"answer\"".to_owned()),
            Just("\"1731571217\"".to_owned()),
        ]
    }

    fn key() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "id",
            "conversation_id",
            "bot_id",
            "chat_id",
            "section_id",
            "role",
            "type",
            "content",
            "content_type",
            "meta_data",
            "created_at",
            "updated_at",
            "reasoning_content",
            "other",
        ])
    }

    proptest! {
        /// Wherever the fast path answers, serde_json decodes the same text to the same value.
        #[test]
        fn the_fast_path_agrees_with_serde(fields in prop::collection::vec((key(), value()), 0..8), ws in " ?") {
            let body = fields
                .iter()
                .map(|(k, v)| format!("\"{k}\"{ws}:{ws}{v}"))
                .collect::<Vec<_>>()
                .join(",");
            let data = format!("{ws}{{{body}}}");
            if let Some(fast) = decode(&data) {
                let slow = serde_json::from_str::<Message>(&data);
                prop_assert_eq!(Some(fast), slow.ok(), "{}", data);
            }
        }
    }
}
