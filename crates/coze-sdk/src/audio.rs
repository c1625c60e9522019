//! Audio REST: `client.audio()`: speech (text to audio bytes), transcriptions, voices
//! (list, clone) and rooms.

use bytes::Bytes;
use serde::Deserialize;

use crate::client::{ApiRequest, Client, MultipartPart};
use crate::error::Result;
use crate::ids::BotId;
use crate::listing::number_pages;
use crate::pagination::Pages;
use crate::types::audio::{CloneVoiceRequest, Room, SpeechRequest, Voice, VoiceList};

/// Audio endpoints. Get one with [`Client::audio`].
#[derive(Debug, Clone, Copy)]
pub struct AudioApi<'c> {
    client: &'c Client,
}

impl Client {
    /// Speech, transcriptions, voices and rooms.
    pub fn audio(&self) -> AudioApi<'_> {
        AudioApi { client: self }
    }
}

#[derive(Deserialize)]
struct Transcription {
    #[serde(default)]
    text: String,
}

impl AudioApi<'_> {
    /// The audio of `req.input` in the requested format, as bytes.
    ///
    /// # Errors
    /// API errors (4000 bad input, speed or rate; 4200 unknown voice) and transport errors.
    pub async fn speech(&self, req: &SpeechRequest) -> Result<Bytes> {
        let api = ApiRequest::post("/v1/audio/speech")
            .json(req)?
            .idempotent(true);
        self.client.send_bytes(api).await
    }

    /// The text of an audio file (`file_name` tells Coze its format, e.g. `hello.wav`).
    ///
    /// # Errors
    /// API errors (4300 empty file) and transport errors.
    pub async fn transcribe(&self, file_name: &str, audio: impl Into<Bytes>) -> Result<String> {
        let part = MultipartPart::file("file", file_name, audio.into());
        let api = ApiRequest::post("/v1/audio/transcriptions")
            .multipart(vec![part])
            .idempotent(true);
        let t: Transcription = self.client.send(api).await?;
        Ok(t.text)
    }

    /// The voices (system ones unless `only_cloned`) as a lazy stream of pages.
    pub fn voices(&self, only_cloned: bool) -> Pages<Voice> {
        number_pages(
            self.client,
            1,
            100,
            move |page, size| {
                Ok(ApiRequest::get("/v1/audio/voices")
                    .query("filter_system_voice", only_cloned.to_string())
                    .query("page_num", page.to_string())
                    .query("page_size", size.to_string()))
            },
            |p: VoiceList| (p.voice_list, Some(p.has_more), None),
        )
    }

    /// Clones a voice from a sample (or retrains `req.voice_id`).
    ///
    /// # Errors
    /// API errors (4000 missing name, format or sample) and transport errors.
    pub async fn clone_voice(&self, req: CloneVoiceRequest) -> Result<Voice> {
        let mut parts = vec![
            MultipartPart::text("voice_name", req.voice_name),
            MultipartPart::text("audio_format", req.audio_format.clone()),
            MultipartPart::file(
                "file",
                format!("sample.{}", req.audio_format),
                Bytes::from(req.audio),
            ),
        ];
        for (name, value) in [
            ("language", req.language),
            ("voice_id", req.voice_id.map(|v| v.to_string())),
            ("preview_text", req.preview_text),
            ("text", req.text),
            ("space_id", req.space_id),
        ] {
            if let Some(value) = value {
                parts.push(MultipartPart::text(name, value));
            }
        }
        let api = ApiRequest::post("/v1/audio/voices/clone").multipart(parts);
        self.client.send(api).await
    }

    /// Creates an RTC room to talk with `bot_id` (optionally in `voice_id`'s voice).
    ///
    /// # Errors
    /// API errors (4200 unknown bot or voice) and transport errors.
    pub async fn create_room(&self, bot_id: &BotId, voice_id: Option<&str>) -> Result<Room> {
        let api = ApiRequest::post("/v1/audio/rooms").json(&serde_json::json!({
            "bot_id": bot_id,
            "voice_id": voice_id,
        }))?;
        self.client.send(api).await
    }

    /// A live: the audio streams of an RTC room (a call of the official SDKs outside the
    /// OpenAPI document).
    ///
    /// # Errors
    /// API errors (4200 unknown live) and transport errors.
    pub async fn live(&self, live_id: &str) -> Result<crate::types::extras::Live> {
        let api = ApiRequest::get(format!(
            "/v1/audio/live/{}",
            crate::request::path_segment(live_id)
        ));
        self.client.send(api).await
    }
}
