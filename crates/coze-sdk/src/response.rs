//! The response classifier: `(status, headers, bytes) -> Result<T>`, sans-IO.
//!
//! Every non-streaming response of the SDK (API calls and OAuth token exchanges alike) is
//! turned into a value or an [`Error`] here, and nowhere else. The rules, in order:
//!
//! 1. The body is read as JSON. A body that is not JSON (an HTML page from a proxy, an empty
//!    body, a body cut in the middle) is [`Error::UnexpectedResponse`] with the status and the
//!    first 200 characters, whitespace collapsed.
//! 2. A lenient head is read from the top-level object, ignoring the type of anything it does
//!    not understand: `code` (a number or a numeric string), `msg`, `error_code` / `error`,
//!    `error_message` / `error_description`, `detail.logid`.
//! 3. A non-zero `code` is [`Error::Api`]. Without a `code`, a non-empty `error_code` or
//!    `error` is [`Error::OAuth`]. A non-empty `error_message` alone is [`Error::Api`] with
//!    code 0. An HTTP status of 400 or more is [`Error::Api`] (code 0) when the body has a
//!    `code` or `msg`, otherwise [`Error::UnexpectedResponse`]. The HTTP status does not decide
//!    success on its own: Coze answers many errors with HTTP 200 and a `code`.
//! 4. Otherwise the payload is decoded once, straight from the bytes, into `T`: the `data`
//!    field ([`Envelope::Data`]; absent or `null` decodes like JSON `null`, so `()` and
//!    `Option<T>` work), a named field ([`Envelope::Field`]), or the whole body
//!    ([`Envelope::Whole`]). A failure is [`Error::Decode`] naming the endpoint, the logid and
//!    the JSON path of the field that did not fit (`data.messages[3].created_at`).
//!
//! The logid is the `X-Tt-Logid` header, else `detail.logid` of the body.
//!
//! For [`Envelope::Data`] and [`Envelope::Field`] the head and the payload are read in one
//! pass over the bytes; only when that pass fails is the head read again on its own, to tell
//! an API error from a payload that does not fit. For [`Envelope::Whole`] the head is read
//! first (a scan that allocates nothing but the head's strings), then `T`.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};

use crate::error::{ApiError, Error, OAuthError, Result};
use crate::request::Envelope;
use crate::retry::parse_retry_after;

/// How many characters of an unexpected body an error message shows.
pub(crate) const BODY_START_CHARS: usize = 200;

/// Where a response came from, for error messages.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoint<'a> {
    /// Base URL the request went to (no trailing slash).
    pub(crate) base_url: &'a str,
    /// Request path, starting with `/`.
    pub(crate) path: &'a str,
}

/// A decoded payload with the response's logid.
#[derive(Debug)]
pub(crate) struct Decoded<T> {
    pub(crate) value: T,
    pub(crate) logid: Option<String>,
}

/// The status line and the headers the classifier reads.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    pub(crate) status: u16,
    pub(crate) logid: Option<String>,
    pub(crate) retry_after: Option<Duration>,
}

impl Meta {
    /// Reads `X-Tt-Logid` and `Retry-After`.
    pub(crate) fn from_headers(status: u16, headers: &HeaderMap) -> Self {
        Meta {
            status,
            logid: header_str(headers, "x-tt-logid"),
            retry_after: header_str(headers, "retry-after").and_then(|v| parse_retry_after(&v)),
        }
    }
}

/// A header's trimmed value, `None` when absent, blank or not text.
pub(crate) fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// Classifies one response; see the module docs.
///
/// # Errors
///
/// [`Error::Api`], [`Error::OAuth`], [`Error::UnexpectedResponse`] or [`Error::Decode`].
pub(crate) fn classify<T: DeserializeOwned>(
    endpoint: Endpoint<'_>,
    envelope: Envelope,
    status: u16,
    headers: &HeaderMap,
    bytes: &[u8],
) -> Result<Decoded<T>> {
    classify_meta(
        endpoint,
        envelope,
        &Meta::from_headers(status, headers),
        bytes,
    )
}

/// [`classify`] with the headers already read.
///
/// # Errors
///
/// As [`classify`].
pub(crate) fn classify_meta<T: DeserializeOwned>(
    endpoint: Endpoint<'_>,
    envelope: Envelope,
    meta: &Meta,
    bytes: &[u8],
) -> Result<Decoded<T>> {
    let field = match envelope {
        Envelope::Data => Some("data"),
        Envelope::Field(name) => Some(name),
        Envelope::Whole => None,
    };
    // `decoded` is `None` for `Whole`: its payload is decoded after the head was checked.
    let (head, decoded): (Head, Option<PathResult<T>>) = match field {
        Some(field) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let mut track = serde_path_to_error::Track::new();
            let pass = EnvelopeSeed::<T> {
                field,
                marker: PhantomData,
            }
            .deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
            .and_then(|v| de.end().map(|()| v));
            match pass {
                Ok((head, Some(value))) => (head, Some(Ok(value))),
                Ok((head, None)) => (head, Some(decode_null::<T>())),
                Err(source) => {
                    let path = track.path().to_string();
                    let Some(head) = read_head(bytes) else {
                        return Err(unexpected(endpoint, meta, bytes));
                    };
                    (head, Some(Err((path, source))))
                }
            }
        }
        None => match read_head(bytes) {
            Some(head) => (head, None),
            None => return Err(unexpected(endpoint, meta, bytes)),
        },
    };
    let logid = meta.logid.clone().or_else(|| head.logid.clone());
    head.check(endpoint, meta, logid.clone(), bytes)?;
    match decoded.unwrap_or_else(|| decode_path::<T>(bytes)) {
        Ok(value) => Ok(Decoded { value, logid }),
        Err((field, source)) => Err(Error::Decode {
            path: endpoint.path.to_owned(),
            field,
            logid,
            source,
        }),
    }
}

/// The classifier for benchmarks outside the crate (`benches/list_decode.rs`): a 200 answer
/// of `/bench` decoded with the whole-body envelope (`field` `None`) or a named field.
///
/// # Errors
///
/// As [`classify`].
#[doc(hidden)]
pub fn bench_classify<T: DeserializeOwned>(field: Option<&'static str>, bytes: &[u8]) -> Result<T> {
    let envelope = match field {
        Some("data") => Envelope::Data,
        Some(name) => Envelope::Field(name),
        None => Envelope::Whole,
    };
    let endpoint = Endpoint {
        base_url: "http://127.0.0.1",
        path: "/bench",
    };
    let meta = Meta {
        status: 200,
        ..Meta::default()
    };
    classify_meta(endpoint, envelope, &meta, bytes).map(|d| d.value)
}

type PathResult<T> = std::result::Result<T, (String, serde_json::Error)>;

/// Decodes `T` from the bytes, recording the path of a failure.
pub(crate) fn decode_path<T: DeserializeOwned>(bytes: &[u8]) -> PathResult<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut track = serde_path_to_error::Track::new();
    let value = T::deserialize(serde_path_to_error::Deserializer::new(&mut de, &mut track))
        .and_then(|v| de.end().map(|()| v));
    value.map_err(|e| (track.path().to_string(), e))
}

/// `T` from JSON `null`: an absent or `null` payload.
fn decode_null<T: DeserializeOwned>() -> PathResult<T> {
    serde_json::from_slice(b"null").map_err(|e| (".".to_owned(), e))
}

fn unexpected(endpoint: Endpoint<'_>, meta: &Meta, bytes: &[u8]) -> Error {
    Error::UnexpectedResponse {
        status: meta.status,
        base_url: endpoint.base_url.to_owned(),
        path: endpoint.path.to_owned(),
        body_start: body_start(bytes),
        logid: meta.logid.clone(),
        retry_after: meta.retry_after,
    }
}

/// The first characters of a body, whitespace collapsed, for error messages.
pub(crate) fn body_start(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(BODY_START_CHARS * 4)]);
    let collapsed: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "(empty body)".to_owned();
    }
    match collapsed.char_indices().nth(BODY_START_CHARS) {
        Some((i, _)) => format!("{}...", &collapsed[..i]),
        None => collapsed,
    }
}

/// The lenient head of a JSON body.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    /// The body is a JSON object (not an array, string, number, ...).
    pub(crate) object: bool,
    /// A `code` key is present (whatever its value).
    pub(crate) has_code: bool,
    /// `code` as an integer, when it is a number or a numeric string.
    pub(crate) code: Option<i64>,
    pub(crate) msg: Option<String>,
    /// `error_code`, else `error`, when a non-empty string.
    pub(crate) error: Option<String>,
    /// `error_message`, when a non-empty string.
    pub(crate) error_message: Option<String>,
    /// `error_description`, when a non-empty string.
    pub(crate) error_description: Option<String>,
    /// `detail.logid`, when a non-empty string.
    pub(crate) logid: Option<String>,
}

impl Head {
    /// The error this head describes, if any (rule 3 of the module docs).
    fn check(
        &self,
        endpoint: Endpoint<'_>,
        meta: &Meta,
        logid: Option<String>,
        bytes: &[u8],
    ) -> Result<()> {
        let api = |code: i64, msg: String| {
            Err(Error::from(ApiError {
                status: meta.status,
                code,
                msg,
                logid: logid.clone(),
                retry_after: meta.retry_after,
                base_url: endpoint.base_url.to_owned(),
                path: endpoint.path.to_owned(),
            }))
        };
        if let Some(code) = self.code.filter(|c| *c != 0) {
            return api(code, self.msg.clone().unwrap_or_default());
        }
        if let Some(error) = self.error.as_ref().filter(|_| !self.has_code) {
            return Err(Error::from(OAuthError {
                status: meta.status,
                error: error.clone(),
                message: self
                    .error_message
                    .clone()
                    .or_else(|| self.error_description.clone()),
                logid,
            }));
        }
        if let Some(msg) = &self.error_message {
            return api(0, msg.clone());
        }
        if meta.status >= 400 {
            if self.object && (self.has_code || self.msg.is_some()) {
                let msg = self
                    .msg
                    .clone()
                    .filter(|m| !m.is_empty())
                    .unwrap_or_else(|| body_start(bytes));
                return api(0, msg);
            }
            return Err(Error::UnexpectedResponse {
                status: meta.status,
                base_url: endpoint.base_url.to_owned(),
                path: endpoint.path.to_owned(),
                body_start: body_start(bytes),
                logid,
                retry_after: meta.retry_after,
            });
        }
        Ok(())
    }

    /// Records one top-level key; false when the key is not part of the head.
    fn key<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> std::result::Result<bool, A::Error> {
        match key {
            "code" => {
                self.has_code = true;
                self.code = map.next_value::<LenientInt>()?.0;
            }
            "msg" => self.msg = map.next_value::<LenientStr>()?.0,
            "error_code" => {
                if let Some(s) = map.next_value::<LenientStr>()?.0.filter(|s| !s.is_empty()) {
                    self.error = Some(s);
                }
            }
            "error" => {
                let v = map.next_value::<LenientStr>()?.0.filter(|s| !s.is_empty());
                if self.error.is_none() {
                    self.error = v;
                }
            }
            "error_message" => {
                self.error_message = map.next_value::<LenientStr>()?.0.filter(|s| !s.is_empty());
            }
            "error_description" => {
                self.error_description =
                    map.next_value::<LenientStr>()?.0.filter(|s| !s.is_empty());
            }
            "detail" => self.logid = map.next_value::<Detail>()?.0,
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// Reads only the head; `None` when the bytes are not one JSON value.
pub(crate) fn read_head(bytes: &[u8]) -> Option<Head> {
    serde_json::from_slice::<HeadOnly>(bytes).ok().map(|h| h.0)
}

struct HeadOnly(Head);

impl<'de> Deserialize<'de> for HeadOnly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = HeadOnly;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<HeadOnly, A::Error> {
                let mut head = Head {
                    object: true,
                    ..Head::default()
                };
                while let Some(key) = map.next_key::<KeyStr<'de>>()? {
                    if !head.key(key.as_str(), &mut map)? {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(HeadOnly(head))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<HeadOnly, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(HeadOnly(Head::default()))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<HeadOnly, E> {
                Ok(HeadOnly(Head::default()))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<HeadOnly, E> {
                Ok(HeadOnly(Head::default()))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<HeadOnly, E> {
                Ok(HeadOnly(Head::default()))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<HeadOnly, E> {
                Ok(HeadOnly(Head::default()))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<HeadOnly, E> {
                Ok(HeadOnly(Head::default()))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<HeadOnly, E> {
                Ok(HeadOnly(Head::default()))
            }
        }
        d.deserialize_any(V)
    }
}

/// Reads the head and the payload field in one pass.
struct EnvelopeSeed<T> {
    field: &'static str,
    marker: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for EnvelopeSeed<T> {
    type Value = (Head, Option<T>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for EnvelopeSeed<T> {
    type Value = (Head, Option<T>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut head = Head {
            object: true,
            ..Head::default()
        };
        let mut payload = None;
        while let Some(key) = map.next_key::<KeyStr<'de>>()? {
            let key = key.as_str();
            if key == self.field {
                // `null` is the same as absent.
                payload = map.next_value::<Option<T>>()?;
            } else if !head.key(key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok((head, payload))
    }
}

/// A map key, borrowed from the input when it has no escapes.
enum KeyStr<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl KeyStr<'_> {
    fn as_str(&self) -> &str {
        match self {
            KeyStr::Borrowed(s) => s,
            KeyStr::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for KeyStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = KeyStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(
                self,
                v: &'de str,
            ) -> std::result::Result<KeyStr<'de>, E> {
                Ok(KeyStr::Borrowed(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<KeyStr<'de>, E> {
                Ok(KeyStr::Owned(v.to_owned()))
            }
        }
        d.deserialize_str(V)
    }
}

/// A string, or `None` for any other JSON value (which is skipped).
struct LenientStr(Option<String>);

impl<'de> Deserialize<'de> for LenientStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(
            LenientVisitor::<fn(&str) -> Option<String>, Option<String>>(
                |s| Some(s.to_owned()),
                None,
                PhantomData,
            ),
        )
        .map(LenientStr)
    }
}

/// An integer or a numeric string, or `None` for any other JSON value.
struct LenientInt(Option<i64>);

impl<'de> Deserialize<'de> for LenientInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor::<fn(&str) -> Option<i64>, Option<i64>>(
            |s| s.trim().parse().ok(),
            None,
            PhantomData,
        ))
        .map(LenientInt)
    }
}

/// `detail.logid` of an object; `None` for anything else.
struct Detail(Option<String>);

impl<'de> Deserialize<'de> for Detail {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Detail;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Detail, A::Error> {
                let mut logid = None;
                while let Some(key) = map.next_key::<KeyStr<'de>>()? {
                    if key.as_str() == "logid" {
                        logid = map.next_value::<LenientStr>()?.0.filter(|s| !s.is_empty());
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Detail(logid))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> std::result::Result<Detail, A::Error> {
                IgnoredAny.visit_seq(seq).map(|_| Detail(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Detail, E> {
                Ok(Detail(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<Detail, E> {
                Ok(Detail(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<Detail, E> {
                Ok(Detail(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Detail, E> {
                Ok(Detail(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> std::result::Result<Detail, E> {
                Ok(Detail(None))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Detail, E> {
                Ok(Detail(None))
            }
        }
        d.deserialize_any(V)
    }
}

/// Accepts any JSON value: strings go through `from_str`, integers are turned into text
/// first, anything else gives `other`.
struct LenientVisitor<F, T>(F, T, PhantomData<T>);

impl<'de, F: FnOnce(&str) -> T, T> Visitor<'de> for LenientVisitor<F, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<T, E> {
        Ok((self.0)(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<T, E> {
        Ok((self.0)(&v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<T, E> {
        Ok((self.0)(&v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<T, E> {
        Ok(self.1)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<T, E> {
        Ok(self.1)
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<T, E> {
        Ok(self.1)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> std::result::Result<T, A::Error> {
        IgnoredAny.visit_map(map).map(|_| self.1)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> std::result::Result<T, A::Error> {
        IgnoredAny.visit_seq(seq).map(|_| self.1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use serde::Deserialize;

    const BASE: &str = "https://api.coze.cn";

    #[derive(Debug, Deserialize, PartialEq)]
    struct Item {
        id: String,
        #[serde(default)]
        n: i64,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct List {
        data: Vec<Item>,
        #[serde(default)]
        has_more: bool,
    }

    fn headers(logid: Option<&str>, retry_after: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(l) = logid {
            h.insert("x-tt-logid", HeaderValue::from_str(l).unwrap());
        }
        if let Some(r) = retry_after {
            h.insert("retry-after", HeaderValue::from_str(r).unwrap());
        }
        h
    }

    fn run<T: DeserializeOwned>(
        envelope: Envelope,
        status: u16,
        logid: Option<&str>,
        body: &[u8],
    ) -> Result<Decoded<T>> {
        let endpoint = Endpoint {
            base_url: BASE,
            path: "/v1/x",
        };
        classify(endpoint, envelope, status, &headers(logid, Some("2")), body)
    }

    #[test]
    fn standard_envelope_decodes_data() {
        // `n` is an i64 here: a string is a decode error naming the path.
        let e = run::<Item>(
            Envelope::Data,
            200,
            Some("H1"),
            br#"{"data":{"id":"7","n":"seven","x":1},"code":0,"msg":""}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("`data.n`"), "{e}");

        let d: Decoded<Item> = run(
            Envelope::Data,
            200,
            Some("H1"),
            br#"{"code":0,"msg":"","data":{"id":"7","n":3,"extra":[1,{"a":null}]},"detail":{"logid":"L2"}}"#,
        )
        .unwrap();
        assert_eq!(
            d.value,
            Item {
                id: "7".into(),
                n: 3
            }
        );
        assert_eq!(d.logid.as_deref(), Some("H1"), "the header logid wins");

        // No header: detail.logid.
        let d: Decoded<Item> = run(
            Envelope::Data,
            200,
            None,
            br#"{"code":0,"data":{"id":"8"},"detail":{"logid":"L2"}}"#,
        )
        .unwrap();
        assert_eq!((d.value.id.as_str(), d.logid.as_deref()), ("8", Some("L2")));
    }

    #[test]
    fn absent_or_null_data_is_json_null() {
        let d: Decoded<()> = run(Envelope::Data, 200, None, br#"{"code":0,"msg":"ok"}"#).unwrap();
        assert_eq!(d.value, ());
        let d: Decoded<Option<Item>> =
            run(Envelope::Data, 200, None, br#"{"code":0,"data":null}"#).unwrap();
        assert_eq!(d.value, None);
        let e = run::<Item>(Envelope::Data, 200, None, br#"{"code":0}"#).unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e:?}");
    }

    #[test]
    fn named_field_and_whole_body() {
        let d: Decoded<Item> = run(
            Envelope::Field("message"),
            200,
            None,
            br#"{"code":0,"msg":"","message":{"id":"m1"},"data":"not used"}"#,
        )
        .unwrap();
        assert_eq!(d.value.id, "m1");

        let d: Decoded<List> = run(
            Envelope::Whole,
            200,
            None,
            br#"{"code":0,"msg":"","data":[{"id":"a"},{"id":"b","n":2}],"has_more":true,"first_id":"a"}"#,
        )
        .unwrap();
        assert_eq!(d.value.data.len(), 2);
        assert!(d.value.has_more);
    }

    #[test]
    fn non_zero_code_is_an_api_error_whatever_the_key_order() {
        // `data` first and of the wrong shape: the code still decides.
        let e = run::<Vec<Item>>(
            Envelope::Data,
            200,
            None,
            br#"{"data":{},"code":4015,"msg":"bot not published","detail":{"logid":"L9"}}"#,
        )
        .unwrap_err();
        let api = e.as_api().unwrap();
        assert_eq!((api.code, api.msg.as_str()), (4015, "bot not published"));
        assert_eq!(api.logid.as_deref(), Some("L9"));
        assert_eq!((api.base_url.as_str(), api.path.as_str()), (BASE, "/v1/x"));
        assert_eq!(api.retry_after, Some(Duration::from_secs(2)));

        let e =
            run::<List>(Envelope::Whole, 200, None, br#"{"code":4200,"msg":"nope"}"#).unwrap_err();
        assert_eq!(e.code(), Some(4200));
    }

    #[test]
    fn string_code_is_read() {
        let e = run::<Item>(
            Envelope::Data,
            401,
            Some("H1"),
            br#"{"code":"4100","msg":"bad token","detail":{"logid":"L9"}}"#,
        )
        .unwrap_err();
        assert_eq!(
            (e.code(), e.logid(), e.status()),
            (Some(4100), Some("H1"), Some(401))
        );
        // "0" as a string is success.
        let d: Decoded<Item> = run(
            Envelope::Data,
            200,
            None,
            br#"{"code":"0","data":{"id":"1"}}"#,
        )
        .unwrap();
        assert_eq!(d.value.id, "1");
    }

    #[test]
    fn oauth_error_bodies() {
        for (status, body, code, message) in [
            (
                400,
                &br#"{"error_code":"invalid_grant","error_message":"expired"}"#[..],
                "invalid_grant",
                Some("expired"),
            ),
            (
                400,
                br#"{"error":"access_denied","error_description":"no"}"#,
                "access_denied",
                Some("no"),
            ),
            // An error body on HTTP 200 is still an error.
            (
                200,
                br#"{"error_code":"authorization_pending"}"#,
                "authorization_pending",
                None,
            ),
        ] {
            let e = run::<Item>(Envelope::Whole, status, Some("H3"), body).unwrap_err();
            let Error::OAuth(o) = &e else { panic!("{e:?}") };
            assert_eq!((o.error.as_str(), o.message.as_deref()), (code, message));
            assert_eq!((o.status, o.logid.as_deref()), (status, Some("H3")));
        }
        // A bare token is success.
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
        }
        let d: Decoded<Token> = run(
            Envelope::Whole,
            200,
            None,
            br#"{"access_token":"czu_x","expires_in":1}"#,
        )
        .unwrap();
        assert_eq!(d.value.access_token, "czu_x");
    }

    #[test]
    fn error_message_alone_is_an_api_error() {
        let e =
            run::<Item>(Envelope::Whole, 200, None, br#"{"error_message":"boom"}"#).unwrap_err();
        assert_eq!(
            e.as_api().map(|a| (a.code, a.msg.as_str())),
            Some((0, "boom"))
        );
    }

    #[test]
    fn error_status_with_or_without_a_coze_body() {
        let e = run::<Item>(Envelope::Data, 500, None, br#"{"msg":"internal"}"#).unwrap_err();
        assert_eq!(
            e.as_api().map(|a| (a.status, a.msg.as_str())),
            Some((500, "internal"))
        );
        let e = run::<Item>(Envelope::Data, 500, None, b"{}").unwrap_err();
        assert!(
            matches!(e, Error::UnexpectedResponse { status: 500, .. }),
            "{e:?}"
        );
        let e = run::<Item>(Envelope::Data, 404, None, b"[1,2]").unwrap_err();
        assert!(
            matches!(e, Error::UnexpectedResponse { status: 404, .. }),
            "{e:?}"
        );
    }

    #[test]
    fn non_json_html_empty_and_cut_bodies() {
        let html = format!(
            "<html>\n  <head><title>502 Bad Gateway</title></head>{}</html>",
            " x".repeat(400)
        );
        for (status, body, start) in [
            (200, b"Service Unavailable".to_vec(), "Service Unavailable"),
            (
                502,
                html.into_bytes(),
                "<html> <head><title>502 Bad Gateway</title></head> x x",
            ),
            (200, Vec::new(), "(empty body)"),
            (200, b"  \n ".to_vec(), "(empty body)"),
            (
                200,
                br#"{"code":0,"msg":"","data":{"id":"7","n":"#.to_vec(),
                r#"{"code":0,"msg":"","data":{"id":"7","n":"#,
            ),
        ] {
            for envelope in [Envelope::Data, Envelope::Whole] {
                let e = run::<Item>(envelope, status, Some("H5"), &body).unwrap_err();
                let Error::UnexpectedResponse {
                    status: s,
                    body_start,
                    logid,
                    base_url,
                    ..
                } = &e
                else {
                    panic!("{e:?}")
                };
                assert_eq!(*s, status);
                assert!(body_start.starts_with(start), "{body_start}");
                assert!(body_start.chars().count() <= BODY_START_CHARS + 3);
                assert_eq!((logid.as_deref(), base_url.as_str()), (Some("H5"), BASE));
            }
        }
    }

    #[test]
    fn decode_errors_name_the_field_path_logid_and_endpoint() {
        let e = run::<List>(
            Envelope::Whole,
            200,
            Some("LOG7"),
            br#"{"code":0,"data":[{"id":"a"},{"id":"b","n":{"no":1}}]}"#,
        )
        .unwrap_err();
        let Error::Decode {
            path, field, logid, ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!((path.as_str(), field.as_str()), ("/v1/x", "data[1].n"));
        assert_eq!(logid.as_deref(), Some("LOG7"));
        let text = e.to_string();
        assert!(
            text.contains("/v1/x") && text.contains("`data[1].n`") && text.contains("LOG7"),
            "{text}"
        );

        let e = run::<Item>(
            Envelope::Field("message"),
            200,
            None,
            br#"{"message":{"n":1},"code":0}"#,
        )
        .unwrap_err();
        let Error::Decode { field, .. } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(
            field, "message",
            "a missing field is reported at its parent"
        );
    }
}
