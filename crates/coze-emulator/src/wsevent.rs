//! The WebSocket event envelope Coze uses on `/v1/chat`, `/v1/audio/speech` and
//! `/v1/audio/transcriptions`, and the audio settings those events carry.
//!
//! Both directions send one JSON object per text frame: `{"id", "event_type", "data"}`; server
//! events add `"detail": {"logid", "respond_at"}` (the connection's logid, the time in ms).
//! An `error` event is `{"code", "msg"}` in `data` and the offending client frame (cut to
//! 1 KiB) in `detail.origin_message`. This module only reads and builds envelopes: it never
//! panics on any input (see the tests), and the handlers in `routes::websockets` decide what
//! an event means.

use base64::Engine as _;
use rand::Rng;
use serde_json::{Map, Value, json};

/// Code of every refusal of a client event (as for REST bad requests).
pub const BAD_EVENT: i64 = 4000;

/// Longest piece of a refused frame echoed in `detail.origin_message`.
const ORIGIN_MAX: usize = 1024;

/// The sample rates Coze accepts for input and output audio.
pub const SAMPLE_RATES: &[u32] = &[8000, 16000, 22050, 24000, 32000, 44100, 48000];

/// A client event, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientEvent {
    /// The client's id for the event, if it sent one.
    pub id: Option<String>,
    /// `event_type`, e.g. `chat.update`.
    pub event_type: String,
    /// `data` (`Value::Null` when absent).
    pub data: Value,
}

/// Why a client frame was refused: the `error` event's `{code, msg}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventError {
    pub code: i64,
    pub msg: String,
}

impl EventError {
    /// A 4000 refusal.
    pub fn bad(msg: impl Into<String>) -> EventError {
        EventError {
            code: BAD_EVENT,
            msg: msg.into(),
        }
    }
}

/// Parses one text frame into a [`ClientEvent`].
///
/// # Errors
/// Not JSON, not an object, no string `event_type`, an `id` that is not a string, `data`
/// that is neither an object nor absent/null.
pub fn parse(text: &str) -> Result<ClientEvent, EventError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        EventError::bad(format!(
            "the event is not valid JSON ({e}); send one JSON object per text frame: {{\"event_type\": ..., \"data\": {{...}}}}"
        ))
    })?;
    let Value::Object(mut object) = value else {
        return Err(EventError::bad(
            "the event must be a JSON object with event_type and data",
        ));
    };
    let event_type = match object.remove("event_type") {
        Some(Value::String(t)) if !t.is_empty() => t,
        Some(_) => return Err(EventError::bad("event_type must be a non-empty string")),
        None => return Err(EventError::bad("event_type is required")),
    };
    let id = match object.remove("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(EventError::bad("id must be a string")),
    };
    let data = match object.remove("data") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::Object(o)) => Value::Object(o),
        Some(_) => {
            return Err(EventError::bad(format!(
                "data of {event_type} must be a JSON object"
            )));
        }
    };
    Ok(ClientEvent {
        id,
        event_type,
        data,
    })
}

/// A random event id in UUID form, as Coze's are.
pub fn event_id() -> String {
    let mut rng = rand::thread_rng();
    let a: u32 = rng.r#gen();
    let b: u16 = rng.r#gen();
    let c: u16 = rng.r#gen::<u16>() & 0x0fff | 0x4000;
    let d: u16 = rng.r#gen::<u16>() & 0x3fff | 0x8000;
    let e: u64 = rng.r#gen::<u64>() & 0xffff_ffff_ffff;
    format!("{a:08x}-{b:04x}-{c:04x}-{d:04x}-{e:012x}")
}

/// A server event; `data` is left out when `None`, as Coze does for events without data.
pub fn server_event(event_type: &str, data: Option<Value>, logid: &str) -> Value {
    let mut event = json!({
        "id": event_id(),
        "event_type": event_type,
        "detail": {"logid": logid, "respond_at": jiff::Timestamp::now().as_millisecond().to_string()},
    });
    if let (Some(data), Some(object)) = (data, event.as_object_mut()) {
        object.insert("data".into(), data);
    }
    event
}

/// An `error` server event; `origin` is the refused frame, if any (cut to 1 KiB).
pub fn error_event(error: &EventError, origin: Option<&str>, logid: &str) -> Value {
    let mut event = server_event(
        "error",
        Some(json!({"code": error.code, "msg": error.msg})),
        logid,
    );
    if let (Some(origin), Some(detail)) = (origin, event["detail"].as_object_mut()) {
        detail.insert("origin_message".into(), json!(cut(origin, ORIGIN_MAX)));
    }
    event
}

/// At most `max` bytes of `text`, cut at a character boundary.
pub fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A string field of `data`; `None` when absent or null.
///
/// # Errors
/// When present with another type.
pub fn opt_str<'a>(data: &'a Value, field: &str) -> Result<Option<&'a str>, EventError> {
    match data.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(EventError::bad(format!("{field} must be a string"))),
    }
}

/// The base64 `delta` of an `input_audio_buffer.append` (standard alphabet, padding optional).
///
/// # Errors
/// Missing, not a string, or not base64.
pub fn audio_delta(data: &Value) -> Result<Vec<u8>, EventError> {
    let delta = opt_str(data, "delta")?.ok_or_else(|| {
        EventError::bad("input_audio_buffer.append needs data.delta: base64 audio bytes")
    })?;
    base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(delta.trim_end_matches('='))
        .map_err(|e| {
            EventError::bad(format!(
                "data.delta is not base64 ({e}): encode the audio bytes with standard base64"
            ))
        })
}

/// Input audio settings (`input_audio` of `chat.update` / `transcriptions.update`).
#[derive(Debug, Clone, PartialEq)]
pub struct InputAudio {
    /// `wav`, `pcm` or `ogg` (the emulator reads wav and pcm).
    pub format: String,
    /// `pcm` (the emulator reads 16-bit pcm only).
    pub codec: String,
    pub sample_rate: u32,
    pub channel: u32,
    pub bit_depth: u32,
}

impl Default for InputAudio {
    fn default() -> Self {
        InputAudio {
            format: "wav".into(),
            codec: "pcm".into(),
            sample_rate: 24_000,
            channel: 1,
            bit_depth: 16,
        }
    }
}

/// Output audio settings (`output_audio` of `chat.update` / `speech.update`).
#[derive(Debug, Clone, PartialEq)]
pub struct OutputAudio {
    /// `pcm` (the only codec the emulator produces).
    pub codec: String,
    pub sample_rate: u32,
    /// −50..=100, 0 normal: speed `1 + rate / 100`.
    pub speech_rate: i64,
    pub voice_id: Option<String>,
}

impl Default for OutputAudio {
    fn default() -> Self {
        OutputAudio {
            codec: "pcm".into(),
            sample_rate: 24_000,
            speech_rate: 0,
            voice_id: None,
        }
    }
}

impl InputAudio {
    /// The settings as `*.updated` events report them (every field filled in).
    pub fn to_json(&self) -> Value {
        json!({
            "format": self.format,
            "codec": self.codec,
            "sample_rate": self.sample_rate,
            "channel": self.channel,
            "bit_depth": self.bit_depth,
        })
    }
}

impl OutputAudio {
    /// The settings as `*.updated` events report them: what the client sent (`given`), with
    /// the codec, sample rate, speech rate and voice in effect filled in.
    pub fn to_json(&self, given: Option<&Value>) -> Value {
        let mut out = given
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        out.insert("codec".into(), json!(self.codec));
        let mut pcm = out
            .get("pcm_config")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        pcm.insert("sample_rate".into(), json!(self.sample_rate));
        out.insert("pcm_config".into(), Value::Object(pcm));
        out.insert("speech_rate".into(), json!(self.speech_rate));
        if let Some(voice) = &self.voice_id {
            out.insert("voice_id".into(), json!(voice));
        }
        Value::Object(out)
    }

    /// The tone speed for [`crate::tone::pcm`].
    pub fn speed(&self) -> f64 {
        1.0 + self.speech_rate as f64 / 100.0
    }
}

fn int_field(
    object: &Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<Option<i64>, EventError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| EventError::bad(format!("{path}.{field} must be an integer"))),
    }
}

fn str_field<'a>(
    object: &'a Map<String, Value>,
    field: &str,
    path: &str,
) -> Result<Option<&'a str>, EventError> {
    match object.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(EventError::bad(format!("{path}.{field} must be a string"))),
    }
}

fn rate(value: Option<i64>, path: &str, default: u32) -> Result<u32, EventError> {
    match value {
        None => Ok(default),
        Some(r) => u32::try_from(r)
            .ok()
            .filter(|r| SAMPLE_RATES.contains(r))
            .ok_or_else(|| {
                EventError::bad(format!(
                    "{path} must be one of 8000, 16000, 22050, 24000, 32000, 44100, 48000, got {r}"
                ))
            }),
    }
}

/// Applies an `input_audio` object onto `current`.
///
/// # Errors
/// A field of the wrong type, or a value the emulator cannot read (it reads 16-bit mono PCM,
/// raw or in a WAV file).
pub fn input_audio(value: &Value, current: &InputAudio) -> Result<InputAudio, EventError> {
    let Some(object) = value.as_object() else {
        return Err(EventError::bad("input_audio must be an object"));
    };
    let p = "input_audio";
    let mut out = current.clone();
    if let Some(format) = str_field(object, "format", p)? {
        if !["wav", "pcm"].contains(&format) {
            return Err(EventError::bad(format!(
                "input_audio.format {format:?} is not supported by the emulator: send wav or pcm"
            )));
        }
        out.format = format.into();
    }
    if let Some(codec) = str_field(object, "codec", p)? {
        if codec != "pcm" {
            return Err(EventError::bad(format!(
                "input_audio.codec {codec:?} is not supported by the emulator: send pcm"
            )));
        }
        out.codec = codec.into();
    }
    out.sample_rate = rate(
        int_field(object, "sample_rate", p)?,
        "input_audio.sample_rate",
        out.sample_rate,
    )?;
    if let Some(channel) = int_field(object, "channel", p)? {
        if channel != 1 {
            return Err(EventError::bad(format!(
                "input_audio.channel {channel} is not supported by the emulator: send mono (1)"
            )));
        }
        out.channel = 1;
    }
    if let Some(bits) = int_field(object, "bit_depth", p)? {
        if bits != 16 {
            return Err(EventError::bad(format!(
                "input_audio.bit_depth {bits} is not supported by the emulator: send 16-bit samples"
            )));
        }
        out.bit_depth = 16;
    }
    Ok(out)
}

/// Applies an `output_audio` object onto `current`.
///
/// # Errors
/// A field of the wrong type, a rate or speech rate out of range, a codec other than pcm.
pub fn output_audio(value: &Value, current: &OutputAudio) -> Result<OutputAudio, EventError> {
    let Some(object) = value.as_object() else {
        return Err(EventError::bad("output_audio must be an object"));
    };
    let p = "output_audio";
    let mut out = current.clone();
    if let Some(codec) = str_field(object, "codec", p)? {
        if codec != "pcm" {
            return Err(EventError::bad(format!(
                "output_audio.codec {codec:?} is not produced by the emulator: ask for pcm"
            )));
        }
        out.codec = codec.into();
    }
    if let Some(pcm) = object.get("pcm_config").filter(|v| !v.is_null()) {
        let pcm = pcm
            .as_object()
            .ok_or_else(|| EventError::bad("output_audio.pcm_config must be an object"))?;
        out.sample_rate = rate(
            int_field(pcm, "sample_rate", "output_audio.pcm_config")?,
            "output_audio.pcm_config.sample_rate",
            out.sample_rate,
        )?;
    }
    if let Some(r) = int_field(object, "speech_rate", p)? {
        if !(-50..=100).contains(&r) {
            return Err(EventError::bad(format!(
                "output_audio.speech_rate must be between -50 and 100, got {r}"
            )));
        }
        out.speech_rate = r;
    }
    if let Some(voice) = str_field(object, "voice_id", p)? {
        out.voice_id = Some(voice.to_string()).filter(|v| !v.is_empty());
    }
    Ok(out)
}

/// Merges an update's `data` object into the connection's settings: each top-level key
/// replaces the one before (what `chat.updated` etc. then report back).
pub fn merge(settings: &mut Map<String, Value>, update: &Value) {
    if let Some(object) = update.as_object() {
        for (k, v) in object {
            if !v.is_null() {
                settings.insert(k.clone(), v.clone());
            }
        }
    }
}

/// The samples of received audio: a WAV file as is, else raw little-endian 16-bit PCM at
/// `input.sample_rate` (an odd trailing byte is dropped).
pub fn samples(bytes: &[u8], input: &InputAudio) -> (Vec<i16>, u32) {
    if let Some(parsed) = crate::tone::parse_wav(bytes) {
        return parsed;
    }
    let samples = bytes
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    (samples, input.sample_rate)
}

/// What the emulator hears in `bytes`: the text of audio it produced, else a fixed sentence
/// naming the size (as the REST transcription route does).
pub fn transcribe(bytes: &[u8], input: &InputAudio) -> String {
    let (samples, rate) = samples(bytes, input);
    crate::tone::decode_pcm(&samples, rate).unwrap_or_else(|| {
        format!(
            "The emulator heard {} bytes of audio it did not produce.",
            bytes.len()
        )
    })
}

/// Raw little-endian bytes of `samples`, in chunks of about `chunk_ms` of audio (at least
/// one chunk; no more than `max_chunks`, larger chunks instead), base64-encoded.
pub fn audio_chunks(
    samples: &[i16],
    sample_rate: u32,
    chunk_ms: u32,
    max_chunks: usize,
) -> Vec<String> {
    let bytes: Vec<u8> = samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let per_chunk = (sample_rate as usize * chunk_ms as usize / 1000 * 2).max(2);
    let per_chunk = per_chunk.max(bytes.len().div_ceil(max_chunks.max(1)).next_multiple_of(2));
    if bytes.is_empty() {
        return vec![String::new()];
    }
    bytes
        .chunks(per_chunk)
        .map(|c| base64::engine::general_purpose::STANDARD.encode(c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_events_and_refuses_bad_frames() {
        let ok = parse(r#"{"id":"e1","event_type":"chat.update","data":{"a":1}}"#).expect("valid");
        assert_eq!(ok.id.as_deref(), Some("e1"));
        assert_eq!(ok.event_type, "chat.update");
        assert_eq!(ok.data["a"], 1);
        let no_data = parse(r#"{"event_type":"input_audio_buffer.complete"}"#).expect("valid");
        assert_eq!(no_data.data, Value::Null);
        for (bad, says) in [
            ("not json", "not valid JSON"),
            ("[1]", "JSON object"),
            (r#"{"data":{}}"#, "event_type is required"),
            (r#"{"event_type":7}"#, "non-empty string"),
            (r#"{"event_type":""}"#, "non-empty string"),
            (r#"{"event_type":"x","id":3}"#, "id must be a string"),
            (r#"{"event_type":"x","data":"s"}"#, "must be a JSON object"),
        ] {
            let err = parse(bad).expect_err(bad);
            assert_eq!(err.code, BAD_EVENT);
            assert!(err.msg.contains(says), "{bad}: {}", err.msg);
        }
    }

    /// Fuzz-ish: random bytes, random JSON-looking text and mutations of valid events go
    /// through every parser without a panic.
    #[test]
    fn no_input_panics() {
        let mut rng = rand::thread_rng();
        let seeds = [
            r#"{"event_type":"input_audio_buffer.append","data":{"delta":"UklGRg=="}}"#,
            r#"{"event_type":"chat.update","data":{"output_audio":{"codec":"pcm","pcm_config":{"sample_rate":16000},"speech_rate":20}}}"#,
            r#"{"event_type":"transcriptions.update","data":{"input_audio":{"format":"pcm","sample_rate":8000,"channel":1,"bit_depth":16}}}"#,
        ];
        let alphabet: &[u8] = b"{}[]\":,0123456789abcdeflnrstu_.-=+/ \\\xc3\xa9\xe4\xbd\xa0";
        for round in 0..4000 {
            let text: String = match round % 3 {
                0 => {
                    let len = rng.gen_range(0..64);
                    let bytes: Vec<u8> = (0..len).map(|_| rng.r#gen()).collect();
                    String::from_utf8_lossy(&bytes).into_owned()
                }
                1 => {
                    let len = rng.gen_range(0..80);
                    let bytes: Vec<u8> = (0..len)
                        .map(|_| alphabet[rng.gen_range(0..alphabet.len())])
                        .collect();
                    String::from_utf8_lossy(&bytes).into_owned()
                }
                _ => {
                    let mut bytes = seeds[round % seeds.len()].as_bytes().to_vec();
                    for _ in 0..rng.gen_range(1..4) {
                        let at = rng.gen_range(0..bytes.len());
                        bytes[at] = alphabet[rng.gen_range(0..alphabet.len())];
                    }
                    String::from_utf8_lossy(&bytes).into_owned()
                }
            };
            if let Ok(event) = parse(&text) {
                let _ = audio_delta(&event.data);
                for key in ["input_audio", "output_audio"] {
                    if let Some(v) = event.data.get(key) {
                        let _ = input_audio(v, &InputAudio::default());
                        let _ = output_audio(v, &OutputAudio::default());
                    }
                }
                let _ = opt_str(&event.data, "delta");
            }
            let _ = transcribe(text.as_bytes(), &InputAudio::default());
            let _ = error_event(&EventError::bad("x"), Some(&text), "logid");
        }
    }

    #[test]
    fn audio_settings_are_checked() {
        let out = output_audio(
            &json!({"codec": "pcm", "pcm_config": {"sample_rate": 16000}, "speech_rate": 100, "voice_id": "v"}),
            &OutputAudio::default(),
        )
        .expect("valid");
        assert_eq!(
            (out.sample_rate, out.speed(), out.voice_id.as_deref()),
            (16000, 2.0, Some("v"))
        );
        for bad in [
            json!({"codec": "opus"}),
            json!({"pcm_config": {"sample_rate": 12345}}),
            json!({"speech_rate": 101}),
            json!({"speech_rate": "fast"}),
            json!("pcm"),
        ] {
            assert!(
                output_audio(&bad, &OutputAudio::default()).is_err(),
                "{bad}"
            );
        }
        let input = input_audio(
            &json!({"format": "pcm", "sample_rate": 8000}),
            &InputAudio::default(),
        )
        .expect("valid");
        assert_eq!((input.format.as_str(), input.sample_rate), ("pcm", 8000));
        for bad in [
            json!({"format": "ogg"}),
            json!({"codec": "opus"}),
            json!({"channel": 2}),
            json!({"bit_depth": 24}),
            json!({"sample_rate": -1}),
        ] {
            assert!(input_audio(&bad, &InputAudio::default()).is_err(), "{bad}");
        }
    }

    #[test]
    fn audio_goes_out_in_chunks_and_comes_back() {
        let samples = crate::tone::pcm("chunked", 24_000, 1.0);
        let chunks = audio_chunks(&samples, 24_000, 200, 32);
        assert!(chunks.len() > 1 && chunks.len() <= 32, "{}", chunks.len());
        let mut bytes = Vec::new();
        for c in &chunks {
            bytes.extend(
                base64::engine::general_purpose::STANDARD
                    .decode(c)
                    .expect("base64"),
            );
        }
        let input = InputAudio {
            format: "pcm".into(),
            ..InputAudio::default()
        };
        assert_eq!(transcribe(&bytes, &input), "chunked");
        let wav = crate::tone::encode("as a file", 16_000, 1.0);
        assert_eq!(transcribe(&wav, &input), "as a file");
        assert!(transcribe(b"noise", &input).contains("5 bytes"));
        assert!(audio_delta(&json!({"delta": "!!"})).is_err());
        assert_eq!(
            audio_delta(&json!({"delta": "AAEC"})).ok(),
            Some(vec![0, 1, 2])
        );
    }
}
