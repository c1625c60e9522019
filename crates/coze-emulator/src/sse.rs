//! The SSE framing Coze uses, and a channel that turns produced events into a response body.
//!
//! Chat streams: `event:<name>\ndata:<one-line JSON>\n\n` and nothing else (no `id:`, no
//! comments, no keep-alives: cozepy rejects any other line), ending with
//! `event:done\ndata:"[DONE]"\n\n`. Workflow streams: `id: <n>\nevent: <name>\ndata: <json>\n\n`.
//!
//! A producer (the chat run) writes frames into an [`EventSender`]; the response body reads
//! them and applies the stream faults. When the client goes away the sender notices and the
//! producer carries on without pauses, so server-side state still completes.

use std::time::Duration;

use axum::body::Body;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::stream;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::envelope::{new_logid, set_logid};
use crate::faults::StreamFaults;

/// Content type of every stream response.
pub const EVENT_STREAM: &str = "text/event-stream";

/// One chat event: `event:<name>\ndata:<json>\n\n`.
pub fn chat_frame(event: &str, data: &Value) -> Bytes {
    // Compact serde_json output never contains a raw newline: one `data:` line per event.
    Bytes::from(format!("event:{event}\ndata:{data}\n\n"))
}

/// The chat stream's last event: `event:done\ndata:"[DONE]"\n\n`.
pub fn done_frame() -> Bytes {
    Bytes::from_static(b"event:done\ndata:\"[DONE]\"\n\n")
}

/// A chat `error` event with `{code, msg}`.
pub fn error_frame(code: i64, msg: &str) -> Bytes {
    chat_frame("error", &json!({"code": code, "msg": msg}))
}

/// One workflow event: `id: <n>\nevent: <name>\ndata: <json>\n\n`.
pub fn workflow_frame(id: u64, event: &str, data: &Value) -> Bytes {
    Bytes::from(format!("id: {id}\nevent: {event}\ndata: {data}\n\n"))
}

/// Which framing a stream uses (for the `error` event fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    Chat,
    Workflow,
}

/// Writes frames of one stream.
#[derive(Debug)]
pub struct EventSender {
    tx: mpsc::Sender<Bytes>,
    delay: Duration,
    open: bool,
}

impl EventSender {
    /// Sends one frame after the fault delay; returns false once the client is gone (later
    /// frames are dropped without waiting).
    pub async fn send(&mut self, frame: Bytes) -> bool {
        if !self.open {
            return false;
        }
        if !self.delay.is_zero() {
            tokio::time::sleep(self.delay).await;
        }
        if self.tx.send(frame).await.is_err() {
            self.open = false;
        }
        self.open
    }

    /// A sender whose frames arrive, unchanged and without faults, on the returned receiver
    /// (the WebSocket chat re-frames them as WebSocket events).
    pub fn pipe() -> (EventSender, mpsc::Receiver<Bytes>) {
        let (tx, rx) = mpsc::channel::<Bytes>(16);
        let sender = EventSender {
            tx,
            delay: Duration::ZERO,
            open: true,
        };
        (sender, rx)
    }

    /// True while the client is still reading.
    pub fn is_open(&self) -> bool {
        self.open && !self.tx.is_closed()
    }
}

/// A stream response (`text/event-stream`, logid header) fed by the returned sender, with
/// the stream faults applied.
pub fn channel(faults: StreamFaults, framing: Framing) -> (EventSender, Response) {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    let sender = EventSender {
        tx,
        delay: faults.event_delay,
        open: true,
    };
    let body = stream::unfold(
        BodyState {
            rx,
            sent: 0,
            faults,
            finished: false,
            framing,
        },
        |mut st| async move {
            if st.finished {
                return None;
            }
            if let Some(fault) = st
                .faults
                .error_event
                .as_ref()
                .filter(|f| st.sent >= f.after_events)
            {
                st.finished = true;
                let frame = match st.framing {
                    Framing::Chat => error_frame(fault.code, &fault.msg),
                    Framing::Workflow => workflow_frame(
                        u64::from(st.sent),
                        "Error",
                        &json!({"error_code": fault.code, "error_message": fault.msg}),
                    ),
                };
                return Some((Ok(frame), st));
            }
            if st.faults.cut_after_events.is_some_and(|n| st.sent >= n) {
                st.finished = true;
                // Pause first: while the body is pending hyper flushes the events already
                // buffered, so the client really receives N events before the cut.
                tokio::time::sleep(Duration::from_millis(50)).await;
                // An error item makes hyper abort the connection mid-body.
                return Some((Err(CutConnection), st));
            }
            let frame = st.rx.recv().await?;
            st.sent += 1;
            Some((Ok(frame), st))
        },
    );
    let mut response = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, EVENT_STREAM),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(body),
    )
        .into_response();
    set_logid(response.headers_mut(), &new_logid());
    (sender, response)
}

struct BodyState {
    rx: mpsc::Receiver<Bytes>,
    sent: u32,
    faults: StreamFaults,
    finished: bool,
    framing: Framing,
}

/// The error that cuts a stream (fault `cut_after_events`).
#[derive(Debug)]
struct CutConnection;

impl std::fmt::Display for CutConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection cut by emulator fault")
    }
}

impl std::error::Error for CutConnection {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_frames_are_exact() {
        let frame = chat_frame("conversation.message.delta", &json!({"content": "a\nb"}));
        assert_eq!(
            &frame[..],
            b"event:conversation.message.delta\ndata:{\"content\":\"a\\nb\"}\n\n"
        );
        assert_eq!(&done_frame()[..], b"event:done\ndata:\"[DONE]\"\n\n");
        assert_eq!(
            &workflow_frame(3, "Done", &json!({}))[..],
            b"id: 3\nevent: Done\ndata: {}\n\n"
        );
    }
}
