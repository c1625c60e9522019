//! The one typed event stream: [`EventStream`], with one end-of-stream rule set for chat
//! events ([`ChatStream`](crate::ChatStream)), workflow events
//! ([`WorkflowStream`](crate::WorkflowStream)) and any later stream.
//!
//! # End-of-stream rules
//!
//! 1. Every event that arrived is yielded, in order, before anything that ends the stream.
//! 2. An event whose [`StreamEvent::is_last`] is true (chat `done`, workflow `Done` / `Error`)
//!    is yielded, then the stream ends (`None`), whatever the connection does afterwards.
//! 3. An `error` event that [`StreamEvent::parse`] turns into [`Error::StreamEvent`] is yielded
//!    as one `Err` item carrying the response's logid, then the stream ends.
//! 4. A malformed or oversized event, or the idle timeout (no byte for the client's stream
//!    idle timeout), is one `Err` item, then the stream ends.
//! 5. A connection that closes or breaks: after a terminal event
//!    ([`StreamEvent::is_terminal`]: nothing more was to come) the stream simply ends; before
//!    one, it ends with one [`Error::StreamCut`] item, so a partial answer is kept and the
//!    caller knows it is partial.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_core::Stream;

use crate::error::{Error, Result};
use crate::sse::SseStream;

/// A typed event of an SSE stream.
pub trait StreamEvent: Sized {
    /// Decodes one SSE event (its `event:` name and `data:`).
    ///
    /// # Errors
    ///
    /// [`Error::StreamEvent`] for an event that reports a failure the caller must see as an
    /// error; [`Error::MalformedEvent`] for data that is not the expected JSON.
    fn parse(event: &str, data: &str) -> Result<Self>;

    /// True when nothing more is expected after this event (a close is then normal).
    fn is_terminal(&self) -> bool;

    /// True when the stream is over once this event was yielded.
    fn is_last(&self) -> bool;
}

/// The typed events of a streaming response; see the module docs for how it ends.
pub struct EventStream<E> {
    inner: SseStream,
    /// A terminal event arrived: a close is no longer a cut.
    finished: bool,
    /// Nothing more will be yielded.
    ended: bool,
    last_id: Option<String>,
    marker: PhantomData<fn() -> E>,
}

impl<E> fmt::Debug for EventStream<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("logid", &self.inner.logid())
            .field("finished", &self.finished)
            .field("ended", &self.ended)
            .finish_non_exhaustive()
    }
}

impl<E: StreamEvent> EventStream<E> {
    pub(crate) fn new(inner: SseStream) -> Self {
        Self {
            inner,
            finished: false,
            ended: false,
            last_id: None,
            marker: PhantomData,
        }
    }

    /// The `X-Tt-Logid` of the streaming response (quote it to Coze support).
    pub fn logid(&self) -> Option<&str> {
        self.inner.logid()
    }

    /// The `id:` of the last event, when it had one (workflow events count from 0, and
    /// restart after a resume).
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }
}

impl<E: StreamEvent> Stream for EventStream<E> {
    type Item = Result<E>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        if this.ended {
            return Poll::Ready(None);
        }
        let last_id = &mut this.last_id;
        let item = match this.inner.poll_map(cx, |sse| {
            match (sse.id, last_id.as_mut()) {
                (Some(id), Some(kept)) => {
                    kept.clear();
                    kept.push_str(id);
                }
                (id, _) => *last_id = id.map(str::to_owned),
            }
            E::parse(sse.event, sse.data)
        }) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(item) => item,
        };
        // Events are large (a Message is a few hundred bytes) and this is the hot path of a
        // stream: look at an event in place and hand the item on without taking it apart.
        if let Some(Ok(ev)) = &item {
            this.finished |= ev.is_terminal();
            this.ended |= ev.is_last();
            return Poll::Ready(item);
        }
        let err = match item {
            // Nothing was lost when the connection closed after a terminal event.
            Some(Err(Error::StreamCut { .. })) | None if this.finished => {
                this.ended = true;
                return Poll::Ready(None);
            }
            Some(Err(Error::StreamEvent { code, msg, .. })) => Error::StreamEvent {
                code,
                msg,
                logid: this.inner.logid().map(str::to_owned),
            },
            Some(Err(e)) => e,
            // (`Some(Ok(_))` was handed on above.)
            None | Some(Ok(_)) => Error::StreamCut { source: None },
        };
        this.ended = true;
        Poll::Ready(Some(Err(err)))
    }
}
