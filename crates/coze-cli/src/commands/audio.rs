//! `coze audio`: speak (text to an audio file), transcribe (audio file to text), voices
//! (list, clone).
//!
//! `speak` writes to `--out FILE` (the format from its extension: `.wav`, `.pcm`, `.mp3`,
//! `.ogg`) or, without `--out`, to stdout when it is not a terminal; it never dumps audio
//! on a terminal. The file is written to a temporary file beside the target and renamed,
//! so a failed call never leaves half a file.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Subcommand;
use coze_sdk::types::audio::{CloneVoiceRequest, SpeechRequest};

use super::non_empty_arg;
use crate::error::CliError;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum AudioCommand {
    /// Turn text into speech
    Speak {
        /// The text (at most 1024 bytes)
        text: String,
        /// The voice [default: the first one `coze audio voices list` shows]
        #[arg(long, value_name = "ID")]
        voice: Option<String>,
        /// Write the audio here (format from the extension: wav, pcm, mp3, ogg)
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Speed, 0.2 to 3
        #[arg(long, default_value_t = 1.0)]
        speed: f64,
        /// Sample rate in Hz
        #[arg(long, default_value_t = 24_000)]
        sample_rate: u32,
    },
    /// Turn an audio file into text
    Transcribe {
        /// The audio file (wav, mp3, ogg, ...)
        file: PathBuf,
    },
    /// List and clone voices
    #[command(subcommand)]
    Voices(VoicesCommand),
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum VoicesCommand {
    /// List voices
    List {
        /// Only your cloned voices
        #[arg(long)]
        cloned: bool,
    },
    /// Clone a voice from a sample recording; prints the new voice's id
    Clone {
        /// The new voice's name
        name: String,
        /// The sample (wav, mp3, ogg, m4a, aac, pcm)
        file: PathBuf,
        /// Its language (zh, en, ...)
        #[arg(long)]
        language: Option<String>,
    },
}

fn extension(path: &Path) -> Option<String> {
    path.extension().map(|e| e.to_string_lossy().to_lowercase())
}

async fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    tokio::fs::read(path).await.map_err(|e| {
        CliError::usage(format!("cannot read {}: {e}", path.display()))
            .with_hint("give the path of a readable audio file")
            .into()
    })
}

/// Writes `data` to `path` through a temporary file in the same directory.
fn write_whole(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| {
        CliError::failed(format!("cannot write in {}: {e}", dir.display()))
            .with_hint("choose a directory you can write to")
    })?;
    tmp.write_all(data)?;
    tmp.persist(path).map_err(|e| {
        CliError::failed(format!("cannot write {}: {}", path.display(), e.error))
            .with_hint("choose a file you can write to")
    })?;
    Ok(())
}

/// # Errors
/// The API error, or a usage error.
pub async fn run(command: AudioCommand, settings: &Settings) -> anyhow::Result<()> {
    let client = settings.client()?;
    let out = &settings.output;
    let audio = client.audio();
    match command {
        AudioCommand::Speak {
            text,
            voice,
            out: file,
            speed,
            sample_rate,
        } => {
            let text = non_empty_arg(&text, "TEXT")?;
            if file.is_none() && std::io::stdout().is_terminal() {
                return Err(CliError::usage("not writing audio to a terminal")
                    .with_hint("pass --out speech.wav, or redirect stdout to a file")
                    .into());
            }
            let voice = match voice {
                Some(v) => non_empty_arg(&v, "--voice")?,
                None => {
                    let first = audio.voices(false).collect_all().await?;
                    first
                        .first()
                        .map(|v| v.voice_id.to_string())
                        .ok_or_else(|| {
                            CliError::failed("there are no voices to speak with")
                                .with_hint("clone one with `coze audio voices clone NAME FILE`")
                        })?
                }
            };
            let format = match file.as_deref().and_then(extension).as_deref() {
                None | Some("wav") => "wav",
                Some("pcm") => "pcm",
                Some("mp3") => "mp3",
                Some("ogg" | "opus") => "ogg_opus",
                Some(other) => {
                    return Err(CliError::usage(format!("cannot write .{other} audio"))
                        .with_hint("use a .wav, .pcm, .mp3 or .ogg file name")
                        .into());
                }
            };
            let req = SpeechRequest::new(text, voice)
                .format(format)
                .speed(speed)
                .sample_rate(sample_rate);
            let bytes = audio.speech(&req).await?;
            match file {
                Some(path) => {
                    write_whole(&path, &bytes)?;
                    out.dim(&format!(
                        "wrote {} bytes to {}",
                        bytes.len(),
                        path.display()
                    ));
                }
                None => {
                    let mut stdout = std::io::stdout().lock();
                    stdout.write_all(&bytes)?;
                    stdout.flush()?;
                }
            }
        }
        AudioCommand::Transcribe { file } => {
            let data = read(&file).await?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "audio.wav".into());
            let text = audio.transcribe(&name, data).await?;
            if out.json() {
                out.json_line(&serde_json::json!({"text": text}))?;
            } else {
                out.line(&text)?;
            }
        }
        AudioCommand::Voices(VoicesCommand::List { cloned }) => {
            let voices = audio.voices(cloned).collect_all().await?;
            out.list(
                &voices,
                &["ID", "NAME", "LANGUAGE", "SYSTEM"],
                |v| {
                    vec![
                        v.voice_id.to_string(),
                        v.name.clone(),
                        v.language_code.clone(),
                        if v.is_system_voice { "yes" } else { "no" }.into(),
                    ]
                },
                "no voices",
            )?;
        }
        AudioCommand::Voices(VoicesCommand::Clone {
            name,
            file,
            language,
        }) => {
            let name = non_empty_arg(&name, "NAME")?;
            let format = extension(&file).ok_or_else(|| {
                CliError::usage(format!("{} has no extension", file.display()))
                    .with_hint("name the sample by its format, e.g. sample.wav")
            })?;
            let data = read(&file).await?;
            let mut req = CloneVoiceRequest::new(name, data, format);
            req.language = language;
            let voice = audio.clone_voice(req).await?;
            if out.json() {
                out.json_line(&voice)?;
            } else {
                out.line(voice.voice_id.as_str())?;
            }
        }
    }
    Ok(())
}
