//! Identifier newtypes. Coze ids are int64 values rendered as JSON strings; they are kept as
//! strings so no precision is lost, and a bare JSON number is accepted too.
//!
//! Ids up to 22 bytes (every Coze id: 19 digits) are stored inline, so decoding a message or
//! a stream event does not allocate once per id.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! string_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(IdStr);

        impl $name {
            /// Wraps an id as given.
            #[inline]
            pub fn new(id: impl AsRef<str>) -> Self {
                Self(IdStr::new(id.as_ref()))
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }

            /// True for the empty id, which Coze sends where a field does not apply.
            pub fn is_empty(&self) -> bool {
                self.0.as_str().is_empty()
            }

            /// The id as an owned string.
            pub fn into_string(self) -> String {
                self.0.as_str().to_owned()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.as_str())
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self::new(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self::new(id)
            }
        }

        impl From<&String> for $name {
            fn from(id: &String) -> Self {
                Self::new(id)
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self::new(s))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(IdVisitor).map(Self)
            }
        }
    )*};
}

string_id! {
    /// A bot (agent) id.
    BotId,
    /// A conversation id.
    ConversationId,
    /// A chat (one bot turn) id.
    ChatId,
    /// A message id.
    MessageId,
    /// A conversation section id (a `clear` starts a new section).
    SectionId,
    /// A workspace (space) id.
    WorkspaceId,
    /// An uploaded file id.
    FileId,
    /// A workflow id.
    WorkflowId,
    /// An app (project) id.
    AppId,
    /// A user id.
    UserId,
    /// A workflow run's execute id.
    ExecuteId,
    /// A tool call id inside `requires_action`.
    ToolCallId,
    /// A knowledge base (dataset) id.
    DatasetId,
    /// A document of a knowledge base (also an image of an image dataset).
    DocumentId,
    /// A voice id (text to speech).
    VoiceId,
}

/// 22 bytes inline keep an id at 24 bytes in all (the size of a `String`): events are moved
/// several times on their way out of the decoder, so their size matters.
const INLINE: usize = 22;

/// A string stored inline when short (the common case for ids), on the heap otherwise.
#[derive(Clone)]
enum IdStr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<str>),
}

impl IdStr {
    const EMPTY: IdStr = IdStr::Inline {
        len: 0,
        buf: [0; INLINE],
    };

    #[inline]
    fn new(s: &str) -> Self {
        let b = s.as_bytes();
        let len = b.len();
        if len > INLINE {
            return IdStr::Heap(s.into());
        }
        // Two overlapping fixed-size copies instead of a call to `memcpy` with a variable
        // length: ids are copied once per field of every decoded event.
        let mut buf = [0; INLINE];
        if len >= 16 {
            buf[..16].copy_from_slice(&b[..16]);
            buf[len - 16..len].copy_from_slice(&b[len - 16..]);
        } else if len >= 8 {
            buf[..8].copy_from_slice(&b[..8]);
            buf[len - 8..len].copy_from_slice(&b[len - 8..]);
        } else {
            for (d, s) in buf.iter_mut().zip(b) {
                *d = *s;
            }
        }
        IdStr::Inline {
            len: len as u8,
            buf,
        }
    }

    fn as_str(&self) -> &str {
        match self {
            // The bytes were copied from a `&str` whole, so they are valid UTF-8.
            IdStr::Inline { len, buf } => std::str::from_utf8(&buf[..*len as usize]).unwrap_or(""),
            IdStr::Heap(s) => s,
        }
    }
}

impl Default for IdStr {
    fn default() -> Self {
        IdStr::EMPTY
    }
}

impl PartialEq for IdStr {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for IdStr {}

impl std::hash::Hash for IdStr {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl PartialOrd for IdStr {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for IdStr {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = IdStr;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id as a string or integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<IdStr, E> {
        Ok(IdStr::new(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<IdStr, E> {
        Ok(IdStr::new(&v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<IdStr, E> {
        Ok(IdStr::new(&v.to_string()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<IdStr, E> {
        Ok(IdStr::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_of_every_length_keep_their_bytes() {
        let text = "0123456789abcdefghijklmnopqrstuvwxyzé";
        for len in 0..=text.len() {
            let Some(s) = text.get(..len) else { continue };
            let id = MessageId::new(s);
            assert_eq!(id.as_str(), s, "length {len}");
            let json: MessageId = serde_json::from_str(&format!("\"{s}\"")).unwrap();
            assert_eq!(json.as_str(), s, "length {len}");
        }
        assert_eq!(MessageId::default().as_str(), "");
    }

    #[test]
    fn ids_accept_strings_numbers_and_null() {
        let id: BotId = serde_json::from_str("\"7382159487131697202\"").unwrap();
        assert_eq!(id.as_str(), "7382159487131697202");
        let id: ChatId = serde_json::from_str("7382159487131697202").unwrap();
        assert_eq!(id.as_str(), "7382159487131697202");
        let id: MessageId = serde_json::from_str("null").unwrap();
        assert!(id.is_empty());
        assert_eq!(serde_json::to_string(&BotId::new("12")).unwrap(), "\"12\"");
        let long = "x".repeat(100);
        let id: FileId = serde_json::from_str(&format!("\"{long}\"")).unwrap();
        assert_eq!(id.as_str(), long);
        assert_eq!(id, FileId::new(&long));
        assert_ne!(id, FileId::new("x"));
        assert!(BotId::new("b") < BotId::new("c"));
        assert_eq!(ChatId::new("7"), "7");
    }
}
