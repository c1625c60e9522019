//! Server-sent events: a sans-IO decoder (push bytes, pull events) and the stream that feeds
//! it from an HTTP body with an idle timeout.
//!
//! The decoder follows the event-stream format: fields in any order, an optional single space
//! after the colon, `\r\n`, `\n` or `\r` line ends, multi-line `data:` joined with `\n`,
//! comments and `retry:` ignored. It never depends on where the network split the bytes, and
//! caps the size of one event so a broken server cannot exhaust memory.
//!
//! Unlike a browser's `EventSource`, [`SseEvent::id`] is the `id:` of that event only (Coze's
//! workflow framing numbers every event), not the last id seen on the stream.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_core::Stream;

use crate::error::Error;

/// Default cap on the size of one event (all of its lines together).
pub const DEFAULT_MAX_EVENT_SIZE: usize = 8 * 1024 * 1024;

/// One decoded server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field; `message` when the event had none.
    pub event: String,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The `id:` field of this event, if it had one.
    pub id: Option<String>,
}

/// Why decoding stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SseError {
    /// One event grew beyond the size cap.
    TooLarge {
        /// The cap in bytes.
        limit: usize,
    },
    /// The input ended in the middle of a line.
    Truncated,
}

impl fmt::Display for SseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SseError::TooLarge { limit } => {
                write!(f, "a stream event is larger than the {limit}-byte limit")
            }
            SseError::Truncated => f.write_str("the stream ended in the middle of an event"),
        }
    }
}

impl std::error::Error for SseError {}

impl From<SseError> for Error {
    fn from(e: SseError) -> Self {
        match e {
            SseError::TooLarge { limit } => Error::EventTooLarge { limit },
            SseError::Truncated => Error::StreamCut { source: None },
        }
    }
}

/// A decoded event borrowing the decoder's buffers: valid until the decoder is used again.
/// Decoding through it allocates nothing per event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SseEventRef<'a> {
    /// The `event:` field; `message` when the event had none.
    pub event: &'a str,
    /// The `data:` lines joined with `\n`.
    pub data: &'a str,
    /// The `id:` field of this event, if it had one.
    pub id: Option<&'a str>,
}

impl SseEventRef<'_> {
    /// An owned copy.
    pub fn to_event(&self) -> SseEvent {
        SseEvent {
            event: self.event.to_owned(),
            data: self.data.to_owned(),
            id: self.id.map(str::to_owned),
        }
    }
}

/// The event being assembled from its lines. Its buffers are reused from event to event.
#[derive(Debug, Default)]
struct Pending {
    event: String,
    has_event: bool,
    data: String,
    has_data: bool,
    id: String,
    has_id: bool,
    size: usize,
    /// A complete event sits in the buffers and is handed out until the next scan.
    ready: bool,
}

impl Pending {
    fn reset(&mut self) {
        self.event.clear();
        self.data.clear();
        self.id.clear();
        self.has_event = false;
        self.has_data = false;
        self.has_id = false;
        self.size = 0;
        self.ready = false;
    }

    /// Ends the event at a blank line; true when it is dispatched (it has data).
    fn dispatch(&mut self) -> bool {
        if self.has_data {
            self.ready = true;
        } else {
            self.reset();
        }
        self.ready
    }

    fn as_ref(&self) -> SseEventRef<'_> {
        SseEventRef {
            event: if self.has_event {
                &self.event
            } else {
                "message"
            },
            data: &self.data,
            id: self.has_id.then_some(self.id.as_str()),
        }
    }

    fn take(&mut self) -> SseEvent {
        let event = if self.has_event {
            std::mem::take(&mut self.event)
        } else {
            "message".to_owned()
        };
        let ev = SseEvent {
            event,
            data: std::mem::take(&mut self.data),
            id: self.has_id.then(|| std::mem::take(&mut self.id)),
        };
        self.reset();
        ev
    }

    /// Processes one line; true when it completed an event.
    fn line(&mut self, line: &[u8], limit: usize) -> Result<bool, SseError> {
        if line.is_empty() {
            return Ok(self.dispatch());
        }
        self.size += line.len() + 1;
        if self.size > limit {
            return Err(SseError::TooLarge { limit });
        }
        if line[0] == b':' {
            return Ok(false);
        }
        let (field, value) = match memchr::memchr(b':', line) {
            Some(c) => {
                let v = &line[c + 1..];
                (&line[..c], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &[][..]),
        };
        match field {
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                push_utf8(&mut self.data, value);
                self.has_data = true;
            }
            b"event" => {
                self.event.clear();
                push_utf8(&mut self.event, value);
                self.has_event = true;
            }
            b"id" if !value.contains(&0) => {
                self.id.clear();
                push_utf8(&mut self.id, value);
                self.has_id = true;
            }
            _ => {}
        }
        Ok(false)
    }
}

/// Appends `bytes` as text; invalid UTF-8 becomes U+FFFD, as the event-stream format says.
/// Valid input (every Coze stream) takes the fast validation path, not the lossy iterator.
fn push_utf8(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

/// A sans-IO SSE decoder: [`push`](Self::push) bytes as they arrive, then call
/// [`next_event`](Self::next_event) (or the allocation-free
/// [`next_event_ref`](Self::next_event_ref)) until it returns `Ok(None)`; at the end of the
/// input call [`finish`](Self::finish).
#[derive(Debug)]
pub struct SseDecoder {
    buf: Vec<u8>,
    pos: usize,
    skip_lf: bool,
    at_start: bool,
    limit: usize,
    pending: Pending,
    failed: Option<SseError>,
}

impl Default for SseDecoder {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_EVENT_SIZE)
    }
}

impl SseDecoder {
    /// A decoder that refuses events larger than `max_event_size` bytes.
    pub fn new(max_event_size: usize) -> Self {
        Self {
            buf: Vec::new(),
            pos: 0,
            skip_lf: false,
            at_start: true,
            limit: max_event_size.max(1),
            pending: Pending::default(),
            failed: None,
        }
    }

    /// Appends bytes received from the network.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.pos > 0 {
            if self.pos == self.buf.len() {
                self.buf.clear();
            } else {
                self.buf.drain(..self.pos);
            }
            self.pos = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete event, or `Ok(None)` when more bytes are needed.
    ///
    /// # Errors
    ///
    /// [`SseError::TooLarge`] when an event exceeds the cap; the decoder then stays failed.
    pub fn next_event(&mut self) -> Result<Option<SseEvent>, SseError> {
        Ok(self.advance()?.then(|| self.pending.take()))
    }

    /// Like [`next_event`](Self::next_event), but borrows the event from the decoder instead
    /// of allocating it.
    ///
    /// # Errors
    ///
    /// As [`next_event`](Self::next_event).
    pub fn next_event_ref(&mut self) -> Result<Option<SseEventRef<'_>>, SseError> {
        Ok(self.advance()?.then(|| self.pending.as_ref()))
    }

    /// Scans for the next event; true when one is ready in `pending`.
    fn advance(&mut self) -> Result<bool, SseError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if self.pending.ready {
            self.pending.reset();
        }
        let result = self.scan();
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    /// Ends the input: returns the last event when the stream ended after a complete line but
    /// without the blank line that normally closes an event.
    ///
    /// # Errors
    ///
    /// [`SseError::Truncated`] when the input ended in the middle of a line, or the earlier
    /// error of a failed decoder.
    pub fn finish(&mut self) -> Result<Option<SseEvent>, SseError> {
        if let Some(ev) = self.next_event()? {
            return Ok(Some(ev));
        }
        let rest = &self.buf[self.pos..];
        let only_bom_prefix = self.at_start && b"\xEF\xBB\xBF".starts_with(rest);
        if !rest.is_empty() && !only_bom_prefix {
            self.pos = self.buf.len();
            self.failed = Some(SseError::Truncated);
            return Err(SseError::Truncated);
        }
        Ok(self.pending.dispatch().then(|| self.pending.take()))
    }

    fn scan(&mut self) -> Result<bool, SseError> {
        loop {
            let rest = &self.buf[self.pos..];
            if self.at_start {
                if rest.len() < 3 && b"\xEF\xBB\xBF".starts_with(rest) {
                    return Ok(false);
                }
                self.at_start = false;
                if rest.starts_with(b"\xEF\xBB\xBF") {
                    self.pos += 3;
                }
                continue;
            }
            if self.skip_lf {
                match rest.first() {
                    None => return Ok(false),
                    Some(b'\n') => self.pos += 1,
                    Some(_) => {}
                }
                self.skip_lf = false;
                continue;
            }
            let Some(end) = memchr::memchr2(b'\n', b'\r', rest) else {
                if self.pending.size + rest.len() > self.limit {
                    return Err(SseError::TooLarge { limit: self.limit });
                }
                return Ok(false);
            };
            self.skip_lf = rest[end] == b'\r';
            let line = &self.buf[self.pos..self.pos + end];
            self.pos += end + 1;
            if self.pending.line(line, self.limit)? {
                return Ok(true);
            }
        }
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send>>;

/// The raw SSE events of a streaming response, with the idle timeout applied between chunks
/// and no total time limit. Items after the first error are never produced.
pub(crate) struct SseStream {
    body: ByteStream,
    decoder: SseDecoder,
    idle: Duration,
    sleep: Pin<Box<tokio::time::Sleep>>,
    logid: Option<String>,
    done: bool,
}

impl fmt::Debug for SseStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SseStream")
            .field("logid", &self.logid)
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

impl SseStream {
    pub(crate) fn new(
        body: ByteStream,
        max_event_size: usize,
        idle: Duration,
        logid: Option<String>,
    ) -> Self {
        Self {
            body,
            decoder: SseDecoder::new(max_event_size),
            idle,
            sleep: Box::pin(tokio::time::sleep(idle)),
            logid,
            done: false,
        }
    }

    /// The `X-Tt-Logid` of the streaming response.
    pub(crate) fn logid(&self) -> Option<&str> {
        self.logid.as_deref()
    }

    fn fail<T>(&mut self, e: Error) -> Poll<Option<crate::Result<T>>> {
        self.done = true;
        Poll::Ready(Some(Err(e)))
    }
}

impl SseStream {
    /// Polls for the next event and maps it with `f` while it still borrows the decoder's
    /// buffers, so typed decoding needs no intermediate allocation.
    pub(crate) fn poll_map<T>(
        &mut self,
        cx: &mut Context<'_>,
        mut f: impl FnMut(SseEventRef<'_>) -> crate::Result<T>,
    ) -> Poll<Option<crate::Result<T>>> {
        loop {
            if self.done {
                return Poll::Ready(None);
            }
            match self.decoder.next_event_ref() {
                Ok(Some(ev)) => return Poll::Ready(Some(f(ev))),
                Ok(None) => {}
                Err(e) => return self.fail(e.into()),
            }
            match self.body.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    self.decoder.push(&chunk);
                    let deadline = tokio::time::Instant::now() + self.idle;
                    self.sleep.as_mut().reset(deadline);
                }
                Poll::Ready(Some(Err(e))) => {
                    return self.fail(Error::StreamCut { source: Some(e) });
                }
                Poll::Ready(None) => {
                    self.done = true;
                    return match self.decoder.finish() {
                        Ok(Some(ev)) => Poll::Ready(Some(f(SseEventRef {
                            event: &ev.event,
                            data: &ev.data,
                            id: ev.id.as_deref(),
                        }))),
                        Ok(None) => Poll::Ready(None),
                        Err(e) => Poll::Ready(Some(Err(e.into()))),
                    };
                }
                Poll::Pending => {
                    if self.sleep.as_mut().poll(cx).is_ready() {
                        let timeout = self.idle;
                        return self.fail(Error::StreamIdle { timeout });
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

impl Stream for SseStream {
    type Item = crate::Result<SseEvent>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_map(cx, |ev| Ok(ev.to_event()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(chunks: &[&[u8]], limit: usize) -> Result<Vec<SseEvent>, SseError> {
        let mut d = SseDecoder::new(limit);
        let mut out = Vec::new();
        for c in chunks {
            d.push(c);
            while let Some(ev) = d.next_event()? {
                out.push(ev);
            }
        }
        if let Some(ev) = d.finish()? {
            out.push(ev);
        }
        Ok(out)
    }

    /// Decodes through the borrowing path (the one chat streams use).
    fn decode_all_ref(chunks: &[&[u8]], limit: usize) -> Result<Vec<SseEvent>, SseError> {
        let mut d = SseDecoder::new(limit);
        let mut out = Vec::new();
        for c in chunks {
            d.push(c);
            while let Some(ev) = d.next_event_ref()? {
                out.push(ev.to_event());
            }
        }
        if let Some(ev) = d.finish()? {
            out.push(ev);
        }
        Ok(out)
    }

    fn ev(event: &str, data: &str, id: Option<&str>) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
            id: id.map(Into::into),
        }
    }

    #[test]
    fn chat_framing() {
        let input =
            b"event:conversation.message.delta\ndata:{\"a\":1}\n\nevent:done\ndata:\"[DONE]\"\n\n";
        let got = decode_all(&[input], 1024).unwrap();
        assert_eq!(
            got,
            [
                ev("conversation.message.delta", "{\"a\":1}", None),
                ev("done", "\"[DONE]\"", None)
            ]
        );
    }

    #[test]
    fn workflow_framing_with_spaces_and_ids() {
        let input =
            b"id: 0\nevent: Message\ndata: {\"content\":\"x\"}\n\nid: 6\nevent: Done\ndata: {}\n\n";
        let got = decode_all(&[input], 1024).unwrap();
        assert_eq!(
            got,
            [
                ev("Message", "{\"content\":\"x\"}", Some("0")),
                ev("Done", "{}", Some("6"))
            ]
        );
    }

    #[test]
    fn field_order_comments_retry_multiline_and_cr() {
        let input = b": keep-alive\rdata:line1\r\nretry: 100\rdata:  two spaces\nevent:e\n\n";
        let got = decode_all(&[input], 1024).unwrap();
        assert_eq!(got, [ev("e", "line1\n two spaces", None)]);
    }

    #[test]
    fn event_without_data_is_not_dispatched_and_bom_is_skipped() {
        let got = decode_all(&[b"\xEF\xBB", b"\xBFevent:x\n\ndata\n\n"], 1024).unwrap();
        assert_eq!(got, [ev("message", "", None)]);
    }

    #[test]
    fn final_event_without_blank_line_is_kept_but_cut_line_is_an_error() {
        assert_eq!(
            decode_all(&[b"data:1\n"], 1024).unwrap(),
            [ev("message", "1", None)]
        );
        assert_eq!(
            decode_all(&[b"data:1\n\ndata:{\"par"], 1024),
            Err(SseError::Truncated)
        );
    }

    #[test]
    fn size_cap_applies_to_whole_event_and_to_a_pending_line() {
        let big = format!("data:{}\n\n", "x".repeat(100));
        assert_eq!(
            decode_all(&[big.as_bytes()], 64),
            Err(SseError::TooLarge { limit: 64 })
        );
        let many = "data:0123456789\n".repeat(10);
        assert_eq!(
            decode_all(&[many.as_bytes()], 64),
            Err(SseError::TooLarge { limit: 64 })
        );
        let mut d = SseDecoder::new(64);
        d.push(&[b'a'; 100]);
        assert_eq!(d.next_event(), Err(SseError::TooLarge { limit: 64 }));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        struct Spec {
            event: Option<String>,
            data: Vec<String>,
            id: Option<String>,
            comment: bool,
        }

        fn spec() -> impl Strategy<Value = Spec> {
            (
                proptest::option::of("[a-z.]{1,12}"),
                proptest::collection::vec("[^\\r\\n]{0,20}", 1..4),
                proptest::option::of("[0-9]{1,3}"),
                any::<bool>(),
            )
                .prop_map(|(event, data, id, comment)| Spec {
                    event,
                    data,
                    id,
                    comment,
                })
        }

        fn render(specs: &[Spec], eol: &str, space: bool) -> Vec<u8> {
            let sp = if space { " " } else { "" };
            let mut out = String::new();
            for s in specs {
                if s.comment {
                    out.push_str(&format!(": ping{eol}"));
                }
                if let Some(id) = &s.id {
                    out.push_str(&format!("id:{sp}{id}{eol}"));
                }
                if let Some(e) = &s.event {
                    out.push_str(&format!("event:{sp}{e}{eol}"));
                }
                for d in &s.data {
                    // A value starting with a space needs the separator space to survive.
                    out.push_str(&format!("data: {d}{eol}"));
                }
                out.push_str(eol);
            }
            out.into_bytes()
        }

        fn expected(specs: &[Spec]) -> Vec<SseEvent> {
            specs
                .iter()
                .map(|s| SseEvent {
                    event: s.event.clone().unwrap_or_else(|| "message".into()),
                    data: s.data.join("\n"),
                    id: s.id.clone(),
                })
                .collect()
        }

        proptest! {
            #[test]
            fn same_events_for_every_split_and_line_ending(
                specs in proptest::collection::vec(spec(), 0..6),
                eol in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
                space in any::<bool>(),
                cuts in proptest::collection::vec(any::<proptest::sample::Index>(), 0..12),
            ) {
                let bytes = render(&specs, eol, space);
                let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
                points.sort_unstable();
                let mut chunks: Vec<&[u8]> = Vec::new();
                let mut last = 0;
                for p in points {
                    chunks.push(&bytes[last..p]);
                    last = p;
                }
                chunks.push(&bytes[last..]);
                let whole = decode_all(&[&bytes], 1 << 20).unwrap();
                let split = decode_all(&chunks, 1 << 20).unwrap();
                let split_ref = decode_all_ref(&chunks, 1 << 20).unwrap();
                prop_assert_eq!(&whole, &expected(&specs));
                prop_assert_eq!(&split_ref, &whole);
                prop_assert_eq!(split, whole);
            }

            #[test]
            fn byte_by_byte_equals_whole(specs in proptest::collection::vec(spec(), 0..4)) {
                let bytes = render(&specs, "\r\n", false);
                let singles: Vec<&[u8]> = bytes.chunks(1).collect();
                prop_assert_eq!(
                    decode_all(&singles, 1 << 20).unwrap(),
                    decode_all(&[&bytes], 1 << 20).unwrap()
                );
            }

            #[test]
            fn arbitrary_bytes_never_panic(input in proptest::collection::vec(any::<u8>(), 0..512), cut in 0usize..512) {
                let cut = cut.min(input.len());
                let _ = decode_all(&[&input[..cut], &input[cut..]], 64);
            }
        }
    }
}
