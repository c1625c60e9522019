//! Field types for Coze's leniencies.
//!
//! Coze is loose about some values: a timestamp may come as an integer or as a string of
//! digits, and `null` or `""` stand for "not set". Rather than a serde attribute on every
//! field, such fields have a type that says how they are decoded:
//!
//! - [`Timestamp`]: Unix seconds. Decodes from an integer, a string of digits, `null`, `""`
//!   or a missing field (the last three give the unset value, [`Timestamp::UNSET`]).
//!   Serialises as an integer, the way the official SDKs send it (an unset value as `null`;
//!   the SDK's request types skip unset timestamps).
//!
//! - [`Int`]: a count, size, code or status that Coze sends as a number or as a string of
//!   digits; `null` and `""` are 0. A missing field is an error unless the field is marked
//!   `#[serde(default)]`. Serialises as an integer.
//!
//! `null` where a string, list, map or bool is expected still takes a field attribute,
//! `#[serde(default, deserialize_with = "null_default")]`: serde has no container-wide
//! switch for it, and a wrapper type would make every such field awkward to read and build.
//!
//! A value of the wrong kind (`"soon"` for a timestamp) is an error, reported by the SDK as
//! [`Error::Decode`](crate::Error::Decode) with the path of the field.

use std::fmt;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A Unix timestamp in seconds that may be unset.
///
/// Coze sends these as integers, sometimes as strings of digits, and `null` or `""` when
/// there is none; all of these decode, the last two (and a missing field) to
/// [`Timestamp::UNSET`]. It serialises as an integer (`null` when unset).
///
/// ```
/// use coze_sdk::types::Timestamp;
///
/// let t: Timestamp = serde_json::from_str(r#""1716809829""#).unwrap();
/// assert_eq!(t, 1716809829);
/// assert_eq!(t.get(), Some(1716809829));
/// assert_eq!(serde_json::to_string(&t).unwrap(), "1716809829");
/// let none: Timestamp = serde_json::from_str("null").unwrap();
/// assert!(!none.is_set());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Timestamp(Option<i64>);

impl Timestamp {
    /// No timestamp: what `null`, `""` and a missing field decode to.
    pub const UNSET: Timestamp = Timestamp(None);

    /// A timestamp of `secs` Unix seconds.
    pub const fn new(secs: i64) -> Self {
        Timestamp(Some(secs))
    }

    /// The Unix seconds, when set.
    pub const fn get(self) -> Option<i64> {
        self.0
    }

    /// Whether a timestamp was given.
    pub const fn is_set(&self) -> bool {
        self.0.is_some()
    }

    /// Whether no timestamp was given (for `skip_serializing_if`).
    pub const fn is_unset(&self) -> bool {
        self.0.is_none()
    }

    /// The timestamp as a [`jiff::Timestamp`], when set and within jiff's range.
    pub fn to_jiff(self) -> Option<jiff::Timestamp> {
        self.0.and_then(|s| jiff::Timestamp::from_second(s).ok())
    }
}

impl From<i64> for Timestamp {
    fn from(secs: i64) -> Self {
        Timestamp(Some(secs))
    }
}

impl From<Option<i64>> for Timestamp {
    fn from(secs: Option<i64>) -> Self {
        Timestamp(secs)
    }
}

impl From<Timestamp> for Option<i64> {
    fn from(t: Timestamp) -> Self {
        t.0
    }
}

impl From<jiff::Timestamp> for Timestamp {
    fn from(t: jiff::Timestamp) -> Self {
        Timestamp(Some(t.as_second()))
    }
}

impl PartialEq<i64> for Timestamp {
    fn eq(&self, other: &i64) -> bool {
        self.0 == Some(*other)
    }
}

impl PartialEq<Option<i64>> for Timestamp {
    fn eq(&self, other: &Option<i64>) -> bool {
        self.0 == *other
    }
}

/// The Unix seconds; nothing when unset.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(s) => write!(f, "{s}"),
            None => Ok(()),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(v) => s.serialize_i64(v),
            None => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Through `deserialize_option` so that a missing field is unset without `default`.
        d.deserialize_option(OptionVisitor).map(Timestamp)
    }
}

/// An integer that Coze sends as a number or as a string of digits; `null` and `""` are 0.
///
/// Used for counts, sizes, codes and statuses. It serialises as an integer, the way the
/// official SDKs send it.
///
/// ```
/// use coze_sdk::types::Int;
///
/// let n: Int = serde_json::from_str(r#""12""#).unwrap();
/// assert_eq!(n, 12);
/// assert_eq!(n.get() + 1, 13);
/// assert_eq!(serde_json::to_string(&n).unwrap(), "12");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Int(pub i64);

impl Int {
    /// The value.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl From<i64> for Int {
    fn from(v: i64) -> Self {
        Int(v)
    }
}

impl From<Int> for i64 {
    fn from(v: Int) -> Self {
        v.0
    }
}

macro_rules! int_try_into {
    ($($t:ty),*) => {$(
        impl TryFrom<Int> for $t {
            type Error = std::num::TryFromIntError;

            fn try_from(v: Int) -> Result<Self, Self::Error> {
                <$t>::try_from(v.0)
            }
        }
    )*};
}
int_try_into!(u64, usize, u32, i32);

impl PartialEq<i64> for Int {
    fn eq(&self, other: &i64) -> bool {
        self.0 == *other
    }
}

impl PartialOrd<i64> for Int {
    fn partial_cmp(&self, other: &i64) -> Option<std::cmp::Ordering> {
        self.0.partial_cmp(other)
    }
}

impl fmt::Display for Int {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl Serialize for Int {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(self.0)
    }
}

impl<'de> Deserialize<'de> for Int {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // `deserialize_any` (not `_option`): a missing field stays an error without `default`.
        d.deserialize_any(SecondsVisitor)
            .map(|v| Int(v.unwrap_or_default()))
    }
}

struct OptionVisitor;

impl<'de> Visitor<'de> for OptionVisitor {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Unix timestamp as an integer or numeric string")
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(SecondsVisitor)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// An integer, a numeric string, `""` or `null`: the last two are `None`.
pub(crate) struct SecondsVisitor;

impl Visitor<'_> for SecondsVisitor {
    type Value = Option<i64>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Unix timestamp as an integer or numeric string")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).ok())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.is_finite().then_some(v as i64))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let v = v.trim();
        if v.is_empty() {
            return Ok(None);
        }
        v.parse::<i64>()
            .map(Some)
            .map_err(|_| E::custom(format!("invalid timestamp `{v}`")))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::decode_path;

    #[derive(Debug, Deserialize, Serialize)]
    struct Row {
        #[serde(skip_serializing_if = "Timestamp::is_unset")]
        at: Timestamp,
    }

    #[derive(Debug, Deserialize)]
    struct Page {
        items: Vec<Row>,
    }

    fn at(bytes: &[u8]) -> Timestamp {
        decode_path::<Row>(bytes).unwrap().at
    }

    #[test]
    fn timestamp_from_int_string_null_empty_and_missing() {
        assert_eq!(at(br#"{"at":1716809829}"#), 1716809829);
        assert_eq!(at(br#"{"at":"1716809829"}"#), 1716809829);
        assert_eq!(at(br#"{"at":" 42 "}"#), 42);
        assert_eq!(at(br#"{"at":-5}"#), -5);
        assert_eq!(at(br#"{"at":null}"#), Timestamp::UNSET);
        assert_eq!(at(br#"{"at":""}"#), Timestamp::UNSET);
        assert_eq!(at(br#"{}"#), Timestamp::UNSET);
        assert_ne!(at(br#"{}"#), 0);
    }

    #[test]
    fn bad_timestamp_names_the_field() {
        let page = decode_path::<Page>(br#"{"items":[{"at":1},{"at":"2"}]}"#).unwrap();
        assert_eq!(page.items[1].at, 2);
        let (path, e) = decode_path::<Page>(br#"{"items":[{"at":1},{"at":"soon"}]}"#).unwrap_err();
        assert_eq!(path, "items[1].at");
        assert!(e.to_string().contains("invalid timestamp `soon`"), "{e}");
        let (path, _) = decode_path::<Page>(br#"{"items":[{"at":true}]}"#).unwrap_err();
        assert_eq!(path, "items[0].at");
    }

    #[test]
    fn the_sdk_decode_error_names_the_field_path() {
        let body = br#"{"code":0,"msg":"","data":{"items":[{"at":"1"},{"at":"soon"}]}}"#;
        let e = crate::response::bench_classify::<Page>(Some("data"), body).unwrap_err();
        let crate::Error::Decode { field, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(field, "data.items[1].at");
        assert!(e.to_string().contains("data.items[1].at"), "{e}");
        let body = br#"{"code":0,"msg":"","data":{"data":[{"n":"many"}]}}"#;
        let e = crate::response::bench_classify::<CountPage>(Some("data"), body).unwrap_err();
        assert!(e.to_string().contains("data.data[0].n"), "{e}");
    }

    #[test]
    fn timestamp_serialises_as_an_integer() {
        let row = Row {
            at: Timestamp::new(1716809829),
        };
        assert_eq!(serde_json::to_string(&row).unwrap(), r#"{"at":1716809829}"#);
        let row = Row {
            at: Timestamp::UNSET,
        };
        assert_eq!(serde_json::to_string(&row).unwrap(), "{}");
        assert_eq!(serde_json::to_string(&Timestamp::UNSET).unwrap(), "null");
    }

    #[derive(Debug, Deserialize, Serialize)]
    struct Counts {
        n: Int,
        #[serde(default)]
        m: Int,
    }

    #[derive(Debug, Deserialize)]
    struct CountPage {
        data: Vec<Counts>,
    }

    fn n(bytes: &[u8]) -> Int {
        decode_path::<Counts>(bytes).unwrap().n
    }

    #[test]
    fn int_from_number_string_null_and_empty() {
        assert_eq!(n(br#"{"n":12}"#), 12);
        assert_eq!(n(br#"{"n":"12"}"#), 12);
        assert_eq!(n(br#"{"n":-3}"#), -3);
        assert_eq!(n(br#"{"n":null}"#), 0);
        assert_eq!(n(br#"{"n":""}"#), 0);
        assert_eq!(decode_path::<Counts>(br#"{"n":1}"#).unwrap().m, 0);
        let (path, e) = decode_path::<Counts>(br#"{"m":1}"#).unwrap_err();
        assert_eq!(path, ".");
        assert!(e.to_string().contains("missing field `n`"), "{e}");
    }

    #[test]
    fn bad_int_names_the_field() {
        let page = decode_path::<CountPage>(br#"{"data":[{"n":"7"}]}"#).unwrap();
        assert_eq!(page.data[0].n, 7);
        let (path, e) =
            decode_path::<CountPage>(br#"{"data":[{"n":1},{"n":"lots"}]}"#).unwrap_err();
        assert_eq!(path, "data[1].n");
        assert!(e.to_string().contains("lots"), "{e}");
        let (path, _) = decode_path::<CountPage>(br#"{"data":[{"n":[1]}]}"#).unwrap_err();
        assert_eq!(path, "data[0].n");
    }

    #[test]
    fn int_serialises_as_an_integer() {
        let c = Counts {
            n: Int(5),
            m: Int::from(-1),
        };
        assert_eq!(serde_json::to_string(&c).unwrap(), r#"{"n":5,"m":-1}"#);
        assert_eq!(i64::from(c.n) + c.m.get(), 4);
        assert!(c.n > 4 && c.n.to_string() == "5");
    }

    #[test]
    fn timestamp_conversions() {
        let t = Timestamp::from(1_700_000_000);
        assert_eq!(Option::<i64>::from(t), Some(1_700_000_000));
        assert_eq!(t.to_string(), "1700000000");
        assert_eq!(Timestamp::UNSET.to_string(), "");
        let j = t.to_jiff().unwrap();
        assert_eq!(j.as_second(), 1_700_000_000);
        assert_eq!(Timestamp::from(j), t);
        assert_eq!(Timestamp::UNSET.to_jiff(), None);
        assert_eq!(Timestamp::new(i64::MAX).to_jiff(), None);
    }
}
