//! Identifier newtypes. Coze ids are int64 values rendered as JSON strings; they are kept as
//! strings so no precision is lost, and a bare JSON number is accepted too.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! string_id {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id as given.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as a string slice.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// True for the empty id, which Coze sends where a field does not apply.
            pub fn is_empty(&self) -> bool {
                self.0.is_empty()
            }

            /// The inner string.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<&String> for $name {
            fn from(id: &String) -> Self {
                Self(id.clone())
            }
        }

        impl From<&$name> for $name {
            fn from(id: &$name) -> Self {
                id.clone()
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(Self(s.to_owned()))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
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
}

struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id as a string or integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_unit<E: de::Error>(self) -> Result<String, E> {
        Ok(String::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_accept_strings_numbers_and_null() {
        let id: BotId = serde_json::from_str("\"7382159487131697202\"").unwrap();
        assert_eq!(id.as_str(), "7382159487131697202");
        let id: ChatId = serde_json::from_str("7382159487131697202").unwrap();
        assert_eq!(id.as_str(), "7382159487131697202");
        let id: MessageId = serde_json::from_str("null").unwrap();
        assert!(id.is_empty());
        assert_eq!(serde_json::to_string(&BotId::new("12")).unwrap(), "\"12\"");
    }
}
