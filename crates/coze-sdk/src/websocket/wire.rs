//! The frame format shared by the three WebSocket APIs, sans-IO: one JSON object per text
//! frame, `{"id", "event_type", "data", "detail": {"logid", "respond_at"}}`, and the audio
//! settings the `*.update` events carry.
//!
//! Nothing here touches a socket: [`decode_frame`] turns the bytes of one frame into a typed
//! event (or an [`Error`]), [`encode_frame`] turns a client event into the text of one frame.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::types::common::{int, null_default};

mod sealed {
    pub trait Sealed {}
}
pub(crate) use sealed::Sealed;

/// An event a client sends on one of the WebSocket APIs ([`chat::ClientEvent`],
/// [`speech::ClientEvent`], [`transcriptions::ClientEvent`]). Sealed.
///
/// [`chat::ClientEvent`]: super::chat::ClientEvent
/// [`speech::ClientEvent`]: super::speech::ClientEvent
/// [`transcriptions::ClientEvent`]: super::transcriptions::ClientEvent
pub trait ClientEvent: Sealed + Send + 'static {
    /// The wire name, e.g. `input_audio_buffer.append`.
    fn event_type(&self) -> &str;

    /// The `data` object, `None` for events without one.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] when a caller-supplied value cannot be serialised.
    fn data(&self) -> Result<Option<Value>>;

    /// True when the server answers this event with a reply the client waits for (a chat
    /// answer, synthesised audio, a transcription): from then on a closed connection is a
    /// cut, not the end of a session.
    fn starts_answer(&self) -> bool;
}

/// An event a server sends on one of the WebSocket APIs ([`chat::ServerEvent`],
/// [`speech::ServerEvent`], [`transcriptions::ServerEvent`]). Sealed.
///
/// [`chat::ServerEvent`]: super::chat::ServerEvent
/// [`speech::ServerEvent`]: super::speech::ServerEvent
/// [`transcriptions::ServerEvent`]: super::transcriptions::ServerEvent
pub trait ServerEvent: Sealed + Sized + Send + 'static {
    /// The typed event for `event_type`; `data` is the raw JSON of the frame's `data`
    /// (`{}` when the frame had none or `null`). Unknown event types become the `Unknown`
    /// variant, never an error.
    ///
    /// # Errors
    /// The JSON error when the data of a known event does not have the documented shape.
    fn from_wire(event_type: &str, data: &str) -> serde_json::Result<Self>;

    /// The wire name, e.g. `conversation.message.delta`.
    fn event_type(&self) -> &str;

    /// Whether the event starts or ends an answer the client waits for.
    fn answer_state(&self) -> AnswerState;
}

/// What an event means for the answer in flight (see the module docs on cuts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerState {
    /// An answer is now being produced.
    Starts,
    /// The answer finished (completed, failed, cancelled).
    Ends,
    /// The audio of an answer finished: the end of an audio-only answer
    /// (`input_text.generate_audio`), but not of a chat still running.
    EndsUnlessChatRunning,
    /// Neither.
    Unchanged,
}

/// `detail` of a server frame.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
struct Detail {
    #[serde(deserialize_with = "null_default")]
    logid: String,
}

/// The envelope of a server frame; `data` stays raw JSON until the event type is known, so
/// it is decoded once, straight into its type.
#[derive(Deserialize)]
struct Incoming<'a> {
    #[serde(default, deserialize_with = "null_default")]
    event_type: String,
    #[serde(default, borrow)]
    data: Option<&'a RawValue>,
    #[serde(default, deserialize_with = "null_default")]
    detail: Detail,
}

/// `data` of an `error` event.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ErrorData {
    #[serde(deserialize_with = "int")]
    code: i64,
    #[serde(deserialize_with = "null_default")]
    msg: String,
}

/// One decoded server frame.
#[derive(Debug)]
pub(crate) struct Frame<E> {
    /// The event, or the error the frame reported or was.
    pub(crate) event: Result<E>,
    /// `detail.logid`, when present.
    pub(crate) logid: Option<String>,
}

/// Decodes one server frame. An `error` event becomes [`Error::StreamEvent`] (its code,
/// message and the frame's logid); a frame that is not a JSON object with an `event_type`,
/// or a known event whose data does not fit, becomes [`Error::MalformedEvent`]. Never panics.
pub(crate) fn decode_frame<E: ServerEvent>(bytes: &[u8]) -> Frame<E> {
    let incoming: Incoming = match serde_json::from_slice(bytes) {
        Ok(i) => i,
        Err(e) => {
            return Frame {
                event: Err(Error::MalformedEvent {
                    event: String::new(),
                    detail: format!("the frame is not a JSON event object ({e})"),
                }),
                logid: None,
            };
        }
    };
    let logid = Some(incoming.detail.logid).filter(|l| !l.is_empty());
    if incoming.event_type.is_empty() {
        return Frame {
            event: Err(Error::MalformedEvent {
                event: String::new(),
                detail: "the frame has no event_type".into(),
            }),
            logid,
        };
    }
    let data = match incoming.data.map(RawValue::get) {
        None | Some("null") => "{}",
        Some(raw) => raw,
    };
    let event = if incoming.event_type == "error" {
        let e: ErrorData = serde_json::from_str(data).unwrap_or_default();
        Err(Error::StreamEvent {
            code: e.code,
            msg: e.msg,
            logid: logid.clone(),
        })
    } else {
        E::from_wire(&incoming.event_type, data).map_err(|e| Error::MalformedEvent {
            event: incoming.event_type.clone(),
            detail: format!("its data does not have the documented shape ({e})"),
        })
    };
    Frame { event, logid }
}

/// The text of one client frame: `{"id", "event_type", "data"?}`.
///
/// # Errors
/// As [`ClientEvent::data`].
pub(crate) fn encode_frame<E: ClientEvent>(event: &E, id: &str) -> Result<String> {
    #[derive(Serialize)]
    struct Outgoing<'a> {
        id: &'a str,
        event_type: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        data: Option<Value>,
    }
    let out = Outgoing {
        id,
        event_type: event.event_type(),
        data: event.data()?,
    };
    serde_json::to_string(&out)
        .map_err(|e| Error::InvalidRequest(format!("cannot encode {}: {e}", event.event_type())))
}

/// A fresh event id (random, UUID-shaped), as the JavaScript SDK's examples send.
pub(crate) fn new_event_id() -> String {
    let n: u128 = rand::random();
    let h = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// `data` serialised from a typed value.
pub(crate) fn to_data<T: Serialize>(event_type: &str, value: &T) -> Result<Option<Value>> {
    serde_json::to_value(value)
        .map(Some)
        .map_err(|e| Error::InvalidRequest(format!("cannot encode {event_type}: {e}")))
}

/// `{"delta": base64(audio)}`.
pub(crate) fn audio_delta(audio: &[u8]) -> Value {
    let mut m = Map::new();
    m.insert("delta".into(), Value::String(BASE64.encode(audio)));
    Value::Object(m)
}

/// Decodes base64 audio, standard alphabet, padding optional.
pub(crate) fn decode_audio(b64: &str) -> serde_json::Result<Vec<u8>> {
    let trimmed = b64.trim_end_matches('=');
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed)
        .map_err(|e| serde::de::Error::custom(format!("audio is not valid base64: {e}")))
}

/// The string field `text` / `content` / `delta` of a `data` object: missing or `null` is "".
#[derive(Clone, Copy)]
pub(crate) enum Field {
    Text,
    Content,
    Delta,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TextData {
    #[serde(deserialize_with = "null_default")]
    text: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ContentData {
    #[serde(deserialize_with = "null_default")]
    content: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeltaData {
    #[serde(deserialize_with = "null_default")]
    delta: String,
}

/// One string field of `data`, decoded from its raw JSON.
pub(crate) fn string_field(data: &str, field: Field) -> serde_json::Result<String> {
    match field {
        Field::Text => serde_json::from_str::<TextData>(data).map(|d| d.text),
        Field::Content => serde_json::from_str::<ContentData>(data).map(|d| d.content),
        Field::Delta => serde_json::from_str::<DeltaData>(data).map(|d| d.delta),
    }
}

/// Audio the client sends (`input_audio` of `chat.update` and `transcriptions.update`).
///
/// Coze's defaults: format `wav`, codec `pcm`, 24000 Hz, 1 channel, 16 bits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InputAudio {
    /// Container: `pcm`, `wav` or `ogg`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// Codec: `pcm`, `opus`, `g711a` or `g711u`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// Samples per second: 8000, 16000, 22050, 24000, 32000, 44100 or 48000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<u32>,
    /// 1 (mono) or 2 (stereo).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel: Option<u16>,
    /// Bits per sample: 8, 16 or 24.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bit_depth: Option<u16>,
    /// Fields this SDK does not know, sent and received as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl InputAudio {
    /// Raw PCM (`format` and `codec` `pcm`) of the given shape.
    pub fn pcm(sample_rate: u32, channels: u16, bit_depth: u16) -> Self {
        Self {
            format: Some("pcm".into()),
            codec: Some("pcm".into()),
            sample_rate: Some(sample_rate),
            channel: Some(channels),
            bit_depth: Some(bit_depth),
            extra: Map::new(),
        }
    }
}

/// Output rate limiting of the server (`limit_config`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LimitConfig {
    /// Length of a period, in seconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<u32>,
    /// Most frames sent per period.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_frame_num: Option<u32>,
}

/// PCM output settings (`pcm_config`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PcmConfig {
    /// Samples per second (default 24000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample_rate: Option<u32>,
    /// Duration of one audio frame, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_size_ms: Option<f64>,
    /// Output rate limiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_config: Option<LimitConfig>,
}

/// Opus output settings (`opus_config`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OpusConfig {
    /// Bit rate (default 48000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bitrate: Option<u32>,
    /// Constant bit rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_cbr: Option<bool>,
    /// Frame length in milliseconds (2.5, 5, 10, 20, 40, 60).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub frame_size_ms: Option<f64>,
    /// Output rate limiting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit_config: Option<LimitConfig>,
}

/// Audio the server sends (`output_audio` of `chat.update` and `speech.update`).
///
/// Coze's default: 16-bit mono PCM at 24000 Hz.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OutputAudio {
    /// Codec: `pcm`, `opus`, `g711a` or `g711u`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codec: Option<String>,
    /// PCM settings (codec `pcm`, `g711a`, `g711u`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pcm_config: Option<PcmConfig>,
    /// Opus settings (codec `opus`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opus_config: Option<OpusConfig>,
    /// Speech rate, -50 (half speed) to 100 (double speed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speech_rate: Option<i32>,
    /// The voice (see `client.audio().voices(..)`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice_id: Option<String>,
    /// Fields this SDK does not know, sent and received as they are.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl OutputAudio {
    /// 16-bit mono PCM at `sample_rate`.
    pub fn pcm(sample_rate: u32) -> Self {
        Self {
            codec: Some("pcm".into()),
            pcm_config: Some(PcmConfig {
                sample_rate: Some(sample_rate),
                ..PcmConfig::default()
            }),
            ..Self::default()
        }
    }

    /// The same settings in the voice `voice_id`.
    pub fn voice(mut self, voice_id: impl Into<String>) -> Self {
        self.voice_id = Some(voice_id.into());
        self
    }
}
