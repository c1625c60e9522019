//! `coze chat --voice IN.wav [--audio-out OUT.wav]`: one spoken question over the WebSocket
//! chat (`/v1/chat`). The WAV file is read and checked first, converted to 16-bit mono PCM at
//! its own sample rate and streamed in; what Coze heard is shown on stderr, the bot's text
//! answer streams to stdout, and its spoken answer (16-bit mono PCM at 24000 Hz) is written
//! to `--audio-out` as a WAV file, through a temporary file renamed at the end. When the
//! connection breaks or Ctrl-C stops the answer, the text and audio that arrived are kept
//! (the WAV is written with what arrived) and stderr says they are partial.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use coze_sdk::websocket::chat::{ChatUpdate, ClientEvent, ServerEvent};
use coze_sdk::websocket::{ChatConnection, InputAudio, OutputAudio};
use coze_sdk::{Client, MessageType};
use futures_util::StreamExt as _;

use super::answer::AnswerWriter;
use super::turn::ctrl_c;
use crate::error::CliError;
use crate::output::{Output, clean};

/// Sample rates Coze accepts for input audio.
pub const SAMPLE_RATES: [u32; 7] = [8000, 16000, 22050, 24000, 32000, 44100, 48000];
/// The rate the bot's audio is asked in (Coze's default).
const OUTPUT_RATE: u32 = 24_000;
/// Audio per `input_audio_buffer.append` (in milliseconds).
const CHUNK_MS: usize = 100;

/// What a voice question needs.
#[derive(Debug, Clone)]
pub struct VoiceOptions {
    pub input: PathBuf,
    /// Render the answer's markdown on a terminal (not `--raw`).
    pub render: bool,
    pub audio_out: Option<PathBuf>,
    pub voice_id: Option<String>,
}

/// 16-bit mono audio read from a WAV file.
#[derive(Debug, PartialEq)]
pub struct Pcm {
    pub samples: Vec<i16>,
    pub sample_rate: u32,
}

impl Pcm {
    fn seconds(&self) -> f64 {
        self.samples.len() as f64 / f64::from(self.sample_rate.max(1))
    }
}

/// Reads a WAV file as 16-bit mono PCM: integer (8 to 32 bits) or float samples, any number
/// of channels (mixed down), at one of Coze's sample rates.
///
/// # Errors
/// A one-line usage error with a hint: unreadable, not a WAV file, no audio, a sample rate
/// Coze does not take.
pub fn read_wav(path: &Path) -> Result<Pcm, CliError> {
    let shown = path.display();
    let file = std::fs::File::open(path).map_err(|e| {
        CliError::usage(format!("cannot read {shown}: {e}"))
            .with_hint("give the path of a WAV file to --voice")
    })?;
    let not_wav = |e: hound::Error| {
        CliError::usage(format!("{shown} is not a WAV file Coze can take ({e})")).with_hint(
            "record or convert to PCM WAV, e.g. `ffmpeg -i in.m4a -ac 1 -ar 16000 in.wav`",
        )
    };
    let mut reader = hound::WavReader::new(std::io::BufReader::new(file)).map_err(not_wav)?;
    let spec = reader.spec();
    if !SAMPLE_RATES.contains(&spec.sample_rate) {
        return Err(CliError::usage(format!(
            "{shown} is sampled at {} Hz; Coze takes {}",
            spec.sample_rate,
            SAMPLE_RATES.map(|r| r.to_string()).join(", ")
        ))
        .with_hint("resample it, e.g. `ffmpeg -i in.wav -ar 16000 out.wav`"));
    }
    let channels = usize::from(spec.channels.max(1));
    let interleaved: Vec<i32> = match spec.sample_format {
        hound::SampleFormat::Int => {
            let shift = i32::from(spec.bits_per_sample) - 16;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| if shift >= 0 { v >> shift } else { v << -shift }))
                .collect::<Result<_, _>>()
                .map_err(not_wav)?
        }
        hound::SampleFormat::Float => reader
            .samples::<f32>()
            .map(|s| s.map(|v| (v.clamp(-1.0, 1.0) * 32767.0) as i32))
            .collect::<Result<_, _>>()
            .map_err(not_wav)?,
    };
    let samples: Vec<i16> = interleaved
        .chunks(channels)
        .map(|frame| {
            let sum: i64 = frame.iter().map(|&v| i64::from(v)).sum();
            (sum / frame.len() as i64).clamp(i64::from(i16::MIN), i64::from(i16::MAX)) as i16
        })
        .collect();
    if samples.is_empty() {
        return Err(CliError::usage(format!("{shown} has no audio in it"))
            .with_hint("record the question again; the file holds only a header"));
    }
    Ok(Pcm {
        samples,
        sample_rate: spec.sample_rate,
    })
}

/// Writes 16-bit mono PCM as a WAV file: a temporary file beside `path`, renamed at the end.
///
/// # Errors
/// The directory or the file cannot be written.
pub fn write_wav(path: &Path, samples: &[i16], sample_rate: u32) -> Result<(), CliError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let cannot = |e: &dyn std::fmt::Display| {
        CliError::failed(format!("cannot write {}: {e}", path.display()))
            .with_hint("choose a file in a directory you can write to")
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| cannot(&e))?;
    {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::new(std::io::BufWriter::new(tmp.as_file_mut()), spec)
            .map_err(|e| cannot(&e))?;
        for &s in samples {
            writer.write_sample(s).map_err(|e| cannot(&e))?;
        }
        writer.finalize().map_err(|e| cannot(&e))?;
    }
    tmp.as_file().sync_all().map_err(|e| cannot(&e))?;
    tmp.persist(path).map_err(|e| cannot(&e.error))?;
    Ok(())
}

/// How the answer ended.
enum End {
    Completed,
    /// The connection broke or went silent, or Coze reported an error: the error to report
    /// after saving what arrived.
    Broken(coze_sdk::Error),
    Interrupted,
}

/// What arrived.
#[derive(Default)]
struct Answer {
    heard: Option<String>,
    text: String,
    audio: Vec<u8>,
    output_rate: Option<u32>,
    conversation_id: Option<String>,
    started_text: bool,
}

/// Runs one spoken question.
///
/// # Errors
/// A usage error for a bad WAV file; the connection's or Coze's error; a broken answer
/// (after what arrived was printed and saved).
pub async fn run(
    client: &Client,
    bot: &str,
    user: &str,
    conversation: Option<String>,
    options: VoiceOptions,
    out: &Output,
) -> anyhow::Result<()> {
    let pcm = read_wav(&options.input)?;
    if let Some(path) = &options.audio_out {
        check_writable(path)?;
    }
    let mut conn = client.websockets().chat(bot).connect().await?;
    let mut update =
        ChatUpdate::new()
            .user(user)
            .input_audio(InputAudio::pcm(pcm.sample_rate, 1, 16));
    let mut output = OutputAudio::pcm(OUTPUT_RATE);
    if let Some(voice) = options.voice_id.as_deref() {
        output = output.voice(voice);
    }
    update = update.output_audio(output);
    if let Some(id) = conversation {
        update = update.conversation(id);
    }
    if options.audio_out.is_none() {
        // Nobody keeps the audio: do not have it sent.
        update.event_subscriptions = Some(
            [
                "chat.updated",
                "error",
                "conversation.chat.created",
                "conversation.chat.completed",
                "conversation.chat.failed",
                "conversation.chat.requires_action",
                "conversation.chat.canceled",
                "conversation.message.delta",
                "conversation.message.completed",
                "conversation.audio_transcript.completed",
                "input_audio_buffer.completed",
            ]
            .map(String::from)
            .to_vec(),
        );
    }
    conn.send(ClientEvent::update(update)).await?;
    let mut answer = Answer::default();
    let settle = std::time::Duration::from_secs(30);
    tokio::time::timeout(settle, wait_for_settings(&mut conn, &mut answer))
        .await
        .map_err(|_| {
            CliError::failed(format!(
                "Coze did not confirm the chat settings within {} s",
                settle.as_secs()
            ))
            .with_logid(conn.logid())
            .with_hint("retry; check the network if it persists")
        })??;

    if !out.json() {
        out.dim(&format!(
            "(sending {:.1} s of audio from {})",
            pcm.seconds(),
            options.input.display()
        ));
    }
    let bytes: Vec<u8> = pcm.samples.iter().flat_map(|s| s.to_le_bytes()).collect();
    let chunk = (pcm.sample_rate as usize * CHUNK_MS / 1000 * 2).max(2);
    for piece in bytes.chunks(chunk) {
        conn.send(ClientEvent::audio(piece)).await?;
    }
    conn.send(ClientEvent::InputAudioBufferComplete).await?;

    // The answer as the text chat shows it: markdown rendered on a terminal unless --raw.
    let mut writer = AnswerWriter::stdout(options.render && !out.json());
    let end = tokio::select! {
        end = receive(&mut conn, &mut answer, &mut writer, out) => end?,
        () = ctrl_c() => End::Interrupted,
    };
    if answer.started_text && !out.json() {
        writer.write_delta("\n")?;
    }
    writer.finish_answer()?;
    if matches!(end, End::Interrupted) {
        let _ = conn.send(ClientEvent::ConversationChatCancel).await;
    }
    let _ = conn.close().await;

    let partial = !matches!(end, End::Completed);
    let saved = save_audio(&options, &answer, partial, out)?;
    if out.json() {
        out.json_line(&serde_json::json!({
            "heard": answer.heard,
            "answer": answer.text,
            "conversation_id": answer.conversation_id,
            "audio_out": saved.as_ref().map(|p| p.display().to_string()),
            "complete": !partial,
        }))?;
    } else if let Some(id) = &answer.conversation_id
        && !partial
    {
        out.dim(&format!("conversation {id}"));
    }
    match end {
        End::Completed => Ok(()),
        End::Interrupted => Err(CliError::interrupted().into()),
        End::Broken(err) => {
            if answer.started_text && !out.json() {
                out.dim("(the answer above is partial: it did not finish)");
            }
            Err(err.into())
        }
    }
}

/// Refuses an output path whose directory does not exist, before anything is sent.
fn check_writable(path: &Path) -> Result<(), CliError> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if path.is_dir() {
        return Err(
            CliError::usage(format!("{} is a directory", path.display()))
                .with_hint("give --audio-out a file name, e.g. answer.wav"),
        );
    }
    if !dir.is_dir() {
        return Err(CliError::usage(format!(
            "cannot write {}: {} is not a directory",
            path.display(),
            dir.display()
        ))
        .with_hint("create the directory first, or choose another path for --audio-out"));
    }
    Ok(())
}

/// Reads events until `chat.updated`; an `error` event (a bad voice id, an unknown bot) or
/// the end of the connection fails the command.
async fn wait_for_settings(conn: &mut ChatConnection, answer: &mut Answer) -> anyhow::Result<()> {
    loop {
        match conn.next().await {
            Some(Ok(ServerEvent::Updated(settings))) => {
                answer.output_rate = settings
                    .output_audio
                    .as_ref()
                    .and_then(|o| o.pcm_config.as_ref())
                    .and_then(|p| p.sample_rate);
                return Ok(());
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.into()),
            None => {
                return Err(CliError::failed(
                    "the server closed the connection before the chat started",
                )
                .with_logid(conn.logid())
                .with_hint("check the bot id, and that the bot is published to the API channel")
                .into());
            }
        }
    }
}

/// Shows and gathers the answer until the chat ends.
async fn receive(
    conn: &mut ChatConnection,
    answer: &mut Answer,
    writer: &mut AnswerWriter,
    out: &Output,
) -> anyhow::Result<End> {
    while let Some(item) = conn.next().await {
        let event = match item {
            Ok(event) => event,
            Err(e) => return Ok(End::Broken(e)),
        };
        match event {
            ServerEvent::AudioTranscriptCompleted { content } => {
                if !out.json() {
                    out.dim(&format!("you said: {}", clean(&content)));
                }
                answer.heard = Some(content);
            }
            ServerEvent::ChatCreated(chat) | ServerEvent::ChatInProgress(chat)
                if !chat.conversation_id.as_str().is_empty() =>
            {
                answer.conversation_id = Some(chat.conversation_id.to_string());
            }
            ServerEvent::MessageDelta(m) if m.kind == MessageType::Answer => {
                if !out.json() {
                    writer.write_delta(&m.content)?;
                    writer.pause()?;
                }
                answer.started_text = true;
                answer.text.push_str(&m.content);
            }
            ServerEvent::AudioDelta(a) => answer.audio.extend_from_slice(&a.audio),
            ServerEvent::ChatCompleted(_) => return Ok(End::Completed),
            ServerEvent::ChatFailed(chat) => {
                let (code, msg) = chat
                    .last_error
                    .as_ref()
                    .map(|e| (e.code, e.msg.clone()))
                    .unwrap_or_default();
                return Ok(End::Broken(coze_sdk::Error::StreamEvent {
                    code,
                    msg: format!("the chat failed: {msg}"),
                    logid: conn.logid().map(str::to_string),
                }));
            }
            ServerEvent::ChatRequiresAction(_) => {
                return Err(CliError::failed(
                    "the bot asked for a tool's output, which a voice question cannot give",
                )
                .with_hint("ask in text to answer tool calls: coze chat --bot <id> -m \"...\"")
                .into());
            }
            ServerEvent::ChatCanceled { msg, .. } => {
                return Ok(End::Broken(coze_sdk::Error::StreamEvent {
                    code: 0,
                    msg: format!("the answer was cancelled: {msg}"),
                    logid: conn.logid().map(str::to_string),
                }));
            }
            _ => {}
        }
    }
    // The SDK reports a cut while the answer is awaited; an end without one is a close by
    // the server that it did not announce.
    Ok(End::Broken(coze_sdk::Error::WebSocketCut {
        path: "/v1/chat".into(),
        detail: "the server closed the connection".into(),
    }))
}

/// Writes the audio that arrived to `--audio-out`; returns the path written.
fn save_audio(
    options: &VoiceOptions,
    answer: &Answer,
    partial: bool,
    out: &Output,
) -> anyhow::Result<Option<PathBuf>> {
    let Some(path) = &options.audio_out else {
        return Ok(None);
    };
    if answer.audio.is_empty() {
        if out.json() {
            return Ok(None);
        }
        out.dim(&format!(
            "(no audio arrived; {} was not written)",
            path.display()
        ));
        return Ok(None);
    }
    let rate = answer.output_rate.unwrap_or(OUTPUT_RATE);
    let samples: Vec<i16> = answer
        .audio
        .chunks_exact(2)
        .map(|c| i16::from_le_bytes([c[0], c[1]]))
        .collect();
    write_wav(path, &samples, rate)?;
    if out.json() {
        return Ok(Some(path.clone()));
    }
    let seconds = samples.len() as f64 / f64::from(rate);
    let what = if partial {
        "the part of the spoken answer that arrived"
    } else {
        "the spoken answer"
    };
    out.dim(&format!(
        "(wrote {what}, {seconds:.1} s, to {})",
        path.display()
    ));
    let _ = std::io::stderr().flush();
    Ok(Some(path.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wav_file(
        dir: &Path,
        name: &str,
        spec: hound::WavSpec,
        write: impl FnOnce(&mut hound::WavWriter<std::io::BufWriter<std::fs::File>>),
    ) -> PathBuf {
        let path = dir.join(name);
        let mut w = hound::WavWriter::create(&path, spec).expect("create");
        write(&mut w);
        w.finalize().expect("finalize");
        path
    }

    fn spec(channels: u16, rate: u32, bits: u16, format: hound::SampleFormat) -> hound::WavSpec {
        hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: format,
        }
    }

    #[test]
    fn wav_files_become_16_bit_mono() {
        let dir = tempfile::tempdir().expect("dir");
        let mono = wav_file(
            dir.path(),
            "m.wav",
            spec(1, 16000, 16, hound::SampleFormat::Int),
            |w| {
                for s in [0i16, 1000, -1000, i16::MAX] {
                    w.write_sample(s).expect("sample");
                }
            },
        );
        assert_eq!(
            read_wav(&mono).expect("mono"),
            Pcm {
                samples: vec![0, 1000, -1000, i16::MAX],
                sample_rate: 16000
            }
        );
        let stereo = wav_file(
            dir.path(),
            "s.wav",
            spec(2, 48000, 24, hound::SampleFormat::Int),
            |w| {
                for s in [256i32 * 100, 256 * 300, -256 * 50, -256 * 150] {
                    w.write_sample(s).expect("sample");
                }
            },
        );
        assert_eq!(read_wav(&stereo).expect("stereo").samples, vec![200, -100]);
        let float = wav_file(
            dir.path(),
            "f.wav",
            spec(1, 24000, 32, hound::SampleFormat::Float),
            |w| {
                for s in [0.5f32, -1.5] {
                    w.write_sample(s).expect("sample");
                }
            },
        );
        assert_eq!(
            read_wav(&float).expect("float").samples,
            vec![16383, -32767]
        );
    }

    #[test]
    fn bad_wav_files_are_one_line_usage_errors() {
        let dir = tempfile::tempdir().expect("dir");
        let missing = read_wav(&dir.path().join("nope.wav")).expect_err("missing");
        assert!(missing.to_string().starts_with("cannot read"), "{missing}");
        let text = dir.path().join("notes.wav");
        std::fs::write(&text, "hello, not audio").expect("write");
        let err = read_wav(&text).expect_err("not a wav").to_string();
        assert!(err.contains("is not a WAV file"), "{err}");
        assert!(!err.contains('\n'), "{err}");
        let odd = wav_file(
            dir.path(),
            "odd.wav",
            spec(1, 11025, 16, hound::SampleFormat::Int),
            |w| {
                w.write_sample(1i16).expect("sample");
            },
        );
        let err = read_wav(&odd).expect_err("rate").to_string();
        assert!(err.contains("11025 Hz") && err.contains("16000"), "{err}");
        let empty = wav_file(
            dir.path(),
            "empty.wav",
            spec(1, 16000, 16, hound::SampleFormat::Int),
            |_| {},
        );
        let err = read_wav(&empty).expect_err("empty").to_string();
        assert!(err.contains("no audio"), "{err}");
        // A header cut short (a half-copied file).
        let whole = std::fs::read(&odd).expect("read");
        let cut = dir.path().join("cut.wav");
        std::fs::write(&cut, &whole[..20]).expect("write");
        assert!(read_wav(&cut).is_err());
    }

    #[test]
    fn written_wavs_read_back_and_replace_the_target_whole() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("out.wav");
        std::fs::write(&path, "old").expect("old file");
        write_wav(&path, &[1, -2, 3], 24000).expect("written");
        let back = read_wav(&path).expect("reads back");
        assert_eq!(back.samples, vec![1, -2, 3]);
        assert_eq!(back.sample_rate, 24000);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("list")
            .filter_map(Result::ok)
            .filter(|e| e.file_name() != "out.wav")
            .collect();
        assert!(
            leftovers.is_empty(),
            "no temporary file left: {leftovers:?}"
        );
        let err = write_wav(&dir.path().join("no/such/dir/x.wav"), &[1], 24000).expect_err("dir");
        assert!(err.to_string().starts_with("cannot write"), "{err}");
    }
}
