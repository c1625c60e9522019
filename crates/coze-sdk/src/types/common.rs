//! Lenient decoding helpers shared by all types.
//!
//! Coze adds enum values without notice and sends `null` where a string, list or map is
//! expected; the helpers here accept that. Timestamps and integers sent as strings have field
//! types of their own in [`super::lenient`].

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, Visitor};

/// Declares an open enum mirroring server values: known values as variants, anything else
/// kept in `Unknown(String)`. Serialises to and from the plain string.
macro_rules! open_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $wire:literal),* $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $($(#[$vmeta])* $variant,)*
            /// A value this version of the SDK does not know.
            Unknown(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)*
                    $name::Unknown(s) => s,
                }
            }

            fn from_wire(s: &str) -> Self {
                match s {
                    $($wire => $name::$variant,)*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl Default for $name {
            fn default() -> Self {
                $name::Unknown(String::new())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self::from_wire(s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_str($crate::types::common::StrVisitor(Self::from_wire))
            }
        }
    };
}
pub(crate) use open_enum;

/// Visits a string (borrowed when possible, so known values do not allocate); `null` is "".
pub(crate) struct StrVisitor<T>(pub(crate) fn(&str) -> T);

impl<T> Visitor<'_> for StrVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok((self.0)(v))
    }

    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok((self.0)(""))
    }

    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        Ok((self.0)(""))
    }
}

/// A value where `null` means the default.
pub(crate) fn null_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "null_default")]
        s: String,
    }

    #[test]
    fn nulls_are_defaults() {
        let t: T = serde_json::from_str(r#"{"s":null}"#).unwrap();
        assert_eq!(t.s, "");
        let t: T = serde_json::from_str(r#"{"s":"x"}"#).unwrap();
        assert_eq!(t.s, "x");
        assert!(serde_json::from_str::<T>(r#"{"s":5}"#).is_err());
    }
}
