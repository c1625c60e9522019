//! What goes into a glif run and what comes out of it.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// The inputs of a run: positional (in the glif's input order) or named by block name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Inputs {
    /// Values in the order the glif declares its inputs.
    Positional(Vec<String>),
    /// Values keyed by the glif's input block names (see [`GlifInput::name`]).
    Named(BTreeMap<String, String>),
}

impl Default for Inputs {
    fn default() -> Self {
        Inputs::Named(BTreeMap::new())
    }
}

impl Inputs {
    /// True when no value is given at all.
    pub fn is_empty(&self) -> bool {
        match self {
            Inputs::Positional(v) => v.is_empty(),
            Inputs::Named(m) => m.is_empty(),
        }
    }
}

/// One run of a glif through the Simple API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    /// The glif id (from its glif.app URL).
    pub glif_id: String,
    /// Its inputs.
    pub inputs: Inputs,
    /// Strict mode (`?strict=1`): a missing input fails the run instead of Glif silently
    /// substituting the default. On by default.
    pub strict: bool,
}

impl RunRequest {
    /// A strict run with no inputs yet.
    pub fn new(glif_id: impl Into<String>) -> Self {
        Self {
            glif_id: glif_id.into(),
            inputs: Inputs::default(),
            strict: true,
        }
    }

    /// Sets the inputs.
    pub fn inputs(mut self, inputs: Inputs) -> Self {
        self.inputs = inputs;
        self
    }

    /// Turns strict mode on or off.
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }
}

/// The kind of a glif's output (`outputFull.type`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OutputType {
    /// `output` is an image URL.
    Image,
    /// `output` is text.
    Text,
    /// `output` is an audio URL.
    Audio,
    /// `output` is a video URL.
    Video,
    /// `output` is a JSON document, as a string.
    Json,
    /// `output` is an HTML document, as a string.
    Html,
    /// A type this version does not know, as Glif sent it.
    Unknown(String),
}

impl OutputType {
    /// Parses Glif's type name, ignoring case.
    pub fn parse(name: &str) -> Self {
        match name.to_ascii_uppercase().as_str() {
            "IMAGE" => OutputType::Image,
            "TEXT" => OutputType::Text,
            "AUDIO" => OutputType::Audio,
            "VIDEO" => OutputType::Video,
            "JSON" => OutputType::Json,
            "HTML" => OutputType::Html,
            _ => OutputType::Unknown(name.to_owned()),
        }
    }

    /// The lowercase name used in bridge responses and CLI output (`image`, `text`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            OutputType::Image => "image",
            OutputType::Text => "text",
            OutputType::Audio => "audio",
            OutputType::Video => "video",
            OutputType::Json => "json",
            OutputType::Html => "html",
            OutputType::Unknown(s) => s,
        }
    }

    /// True for image, audio and video: the output is a URL to a media file.
    pub fn is_media(&self) -> bool {
        matches!(
            self,
            OutputType::Image | OutputType::Audio | OutputType::Video
        )
    }
}

/// A finished, successful run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutput {
    /// The glif that ran.
    pub glif_id: String,
    /// The output: a media URL or text. `None` when Glif returned `null`. When Glif returned
    /// an array, this is its first element and [`RunOutput::outputs`] has all of them.
    pub output: Option<String>,
    /// Every output value (one element for a plain string, empty for `null`).
    pub outputs: Vec<String>,
    /// `outputFull.type`, when Glif sent it.
    pub output_type: Option<OutputType>,
    /// Credits the run cost, when Glif reported it.
    pub price: Option<f64>,
    /// The inputs Glif actually used, by block name.
    pub inputs_used: BTreeMap<String, String>,
    /// The whole response body, for callers that want fields this type does not model.
    pub raw: Value,
}

impl RunOutput {
    /// The output URL when the glif produced an image.
    pub fn image_url(&self) -> Option<&str> {
        match self.output_type {
            Some(OutputType::Image) => self.output.as_deref(),
            _ => None,
        }
    }
}

/// The kind of a glif input block.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InputKind {
    /// `TextInputBlock`: free text.
    Text,
    /// `ImageInputBlock`: an image URL (or `data:` URI).
    Image,
    /// An audio input block: an audio URL.
    Audio,
    /// A video input block: a video URL.
    Video,
    /// `MultipickBlock`: one of a list of options.
    Multipick,
    /// Another input block type, as Glif names it.
    Other(String),
}

impl InputKind {
    /// Classifies a block type; `None` when the block is not an input.
    pub fn from_block_type(block_type: &str) -> Option<Self> {
        let t = block_type.to_ascii_lowercase();
        if t == "multipickblock" {
            return Some(InputKind::Multipick);
        }
        if !t.contains("input") {
            return None;
        }
        Some(if t.starts_with("text") {
            InputKind::Text
        } else if t.starts_with("image") {
            InputKind::Image
        } else if t.starts_with("audio") {
            InputKind::Audio
        } else if t.starts_with("video") {
            InputKind::Video
        } else {
            InputKind::Other(block_type.to_owned())
        })
    }

    /// A short lowercase name (`text`, `image`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            InputKind::Text => "text",
            InputKind::Image => "image",
            InputKind::Audio => "audio",
            InputKind::Video => "video",
            InputKind::Multipick => "multipick",
            InputKind::Other(s) => s,
        }
    }
}

/// One input of a glif, as its author declared it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlifInput {
    /// The block name: the key for a named input.
    pub name: String,
    /// What kind of value it takes.
    pub kind: InputKind,
    /// The label shown in the glif's UI.
    pub label: Option<String>,
    /// The default value Glif uses when the input is not given (and strict mode is off).
    pub default: Option<String>,
    /// The options of a multipick block.
    pub options: Vec<String>,
}

/// What the glifs read API says about one glif.
#[derive(Debug, Clone, PartialEq)]
pub struct GlifInfo {
    /// The glif id.
    pub id: String,
    /// Its display name.
    pub name: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// Its inputs, in declaration order (the order positional inputs use).
    pub inputs: Vec<GlifInput>,
    /// Average run time in milliseconds, when Glif reports it.
    pub average_duration_ms: Option<u64>,
}

impl GlifInfo {
    /// The input names, for error messages.
    pub fn input_names(&self) -> Vec<String> {
        self.inputs.iter().map(|i| i.name.clone()).collect()
    }
}
