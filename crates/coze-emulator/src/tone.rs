//! The emulator's "voice": text to a playable WAV of tones, and back.
//!
//! Each byte of the UTF-8 text is two 4-bit symbols; a symbol is a sine tone at
//! `500 + 50 × value` Hz (500–1250 Hz, audible at every sample rate Coze offers) lasting
//! [`symbol_ms`] (shorter when the requested speed is higher), with a short fade so it plays
//! without clicks. The message is framed as `[len_hi, len_lo, bytes…, checksum]` and padded with
//! 60 ms of silence on both sides. [`decode`] finds the symbol length by trying every one
//! [`encode`] can produce and keeping the one whose checksum matches, so a transcription of
//! audio the emulator produced gives back exactly its text.

use std::f64::consts::PI;

const BASE_HZ: f64 = 500.0;
const STEP_HZ: f64 = 50.0;
const PAD_MS: u32 = 60;
const AMPLITUDE: f64 = 0.45 * i16::MAX as f64;

/// The symbol length in ms for a speech `speed` (0.2–3; 1 is normal): 60 ms at 1, rounded to
/// 10 ms, between 40 and 300.
pub fn symbol_ms(speed: f64) -> u32 {
    let speed = if speed.is_finite() && speed > 0.0 {
        speed
    } else {
        1.0
    };
    let ms = (60.0 / speed / 10.0).round() as u32 * 10;
    ms.clamp(40, 300)
}

fn checksum(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0x5Au8, |acc, b| acc.rotate_left(1) ^ b)
}

/// 16-bit mono PCM samples for `text` (at most 65 535 bytes; longer text is cut).
pub fn pcm(text: &str, sample_rate: u32, speed: f64) -> Vec<i16> {
    let bytes = &text.as_bytes()[..text.len().min(u16::MAX as usize)];
    let mut frame = Vec::with_capacity(bytes.len() + 3);
    frame.extend_from_slice(&(bytes.len() as u16).to_be_bytes());
    frame.extend_from_slice(bytes);
    frame.push(checksum(bytes));
    let per_symbol = (sample_rate as u64 * symbol_ms(speed) as u64 / 1000) as usize;
    let pad = (sample_rate * PAD_MS / 1000) as usize;
    let fade = per_symbol / 8;
    let mut out = vec![0i16; pad];
    for byte in frame {
        for nibble in [byte >> 4, byte & 0x0F] {
            let hz = BASE_HZ + STEP_HZ * f64::from(nibble);
            for i in 0..per_symbol {
                let t = i as f64 / f64::from(sample_rate);
                let edge = i.min(per_symbol - 1 - i);
                let gain = if edge < fade {
                    0.5 - 0.5 * (PI * edge as f64 / fade as f64).cos()
                } else {
                    1.0
                };
                out.push((AMPLITUDE * gain * (2.0 * PI * hz * t).sin()) as i16);
            }
        }
    }
    out.extend(std::iter::repeat_n(0, pad));
    out
}

/// A RIFF/WAVE file (PCM, 16-bit, mono) of `samples`.
pub fn wav(samples: &[i16], sample_rate: u32) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

/// `text` as a WAV file.
pub fn encode(text: &str, sample_rate: u32, speed: f64) -> Vec<u8> {
    wav(&pcm(text, sample_rate, speed), sample_rate)
}

/// The samples and sample rate of a 16-bit mono PCM WAV file; `None` for anything else.
pub fn parse_wav(bytes: &[u8]) -> Option<(Vec<i16>, u32)> {
    if bytes.len() < 12 || &bytes[..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return None;
    }
    let mut at = 12;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let len = u32::from_le_bytes(bytes[at + 4..at + 8].try_into().ok()?) as usize;
        let body = bytes.get(at + 8..(at + 8).checked_add(len)?.min(bytes.len()))?;
        if id == b"fmt " && body.len() >= 16 {
            format = Some((
                u16::from_le_bytes([body[0], body[1]]),
                u16::from_le_bytes([body[2], body[3]]),
                u32::from_le_bytes(body[4..8].try_into().ok()?),
                u16::from_le_bytes([body[14], body[15]]),
            ));
        } else if id == b"data" {
            let (fmt, channels, rate, bits) = format?;
            if fmt != 1 || channels != 1 || bits != 16 || rate == 0 {
                return None;
            }
            let samples = body
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            return Some((samples, rate));
        }
        at += 8 + len + (len & 1);
    }
    None
}

/// Goertzel power of `hz` in `window`.
fn power(window: &[i16], hz: f64, sample_rate: u32) -> f64 {
    let w = 2.0 * PI * hz / f64::from(sample_rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in window {
        let s = f64::from(x) + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

fn nibble(window: &[i16], sample_rate: u32) -> u8 {
    (0..16u8)
        .max_by(|a, b| {
            let pa = power(window, BASE_HZ + STEP_HZ * f64::from(*a), sample_rate);
            let pb = power(window, BASE_HZ + STEP_HZ * f64::from(*b), sample_rate);
            pa.total_cmp(&pb)
        })
        .unwrap_or(0)
}

fn decode_with(samples: &[i16], sample_rate: u32, ms: u32) -> Option<String> {
    let per_symbol = (sample_rate as u64 * ms as u64 / 1000) as usize;
    let pad = (sample_rate * PAD_MS / 1000) as usize;
    if per_symbol == 0 {
        return None;
    }
    let byte_at = |i: usize| -> Option<u8> {
        let start = pad + i * 2 * per_symbol;
        let hi = samples.get(start..start + per_symbol)?;
        let lo = samples.get(start + per_symbol..start + 2 * per_symbol)?;
        Some(nibble(hi, sample_rate) << 4 | nibble(lo, sample_rate))
    };
    let len = u16::from_be_bytes([byte_at(0)?, byte_at(1)?]) as usize;
    let expected = pad * 2 + (len + 3) * 2 * per_symbol;
    if samples.len() != expected {
        return None;
    }
    let bytes: Vec<u8> = (0..len).map(|i| byte_at(i + 2)).collect::<Option<_>>()?;
    if byte_at(len + 2)? != checksum(&bytes) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

/// The text of a WAV file [`encode`] produced; `None` for other audio.
pub fn decode(wav_bytes: &[u8]) -> Option<String> {
    let (samples, rate) = parse_wav(wav_bytes)?;
    decode_pcm(&samples, rate)
}

/// Highest sample rate [`decode_pcm`] considers (a header may claim anything).
const MAX_RATE: u32 = 384_000;

/// The text of 16-bit mono samples at `sample_rate` that [`pcm`] produced (the whole
/// signal, as concatenated from a stream); `None` for other audio.
pub fn decode_pcm(samples: &[i16], sample_rate: u32) -> Option<String> {
    if sample_rate == 0 || sample_rate > MAX_RATE {
        return None;
    }
    (4..=30).find_map(|tenths| decode_with(samples, sample_rate, tenths * 10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_at_every_rate_and_speed() {
        for (text, rate, speed) in [
            ("Hello, world!", 24_000, 1.0),
            ("你好，扣子", 8_000, 0.5),
            ("", 16_000, 2.0),
            ("fast and short", 48_000, 3.0),
        ] {
            let wav = encode(text, rate, speed);
            assert_eq!(&wav[..4], b"RIFF");
            assert_eq!(
                decode(&wav).as_deref(),
                Some(text),
                "{text} at {rate} Hz x{speed}"
            );
        }
    }

    #[test]
    fn raw_pcm_round_trips_and_absurd_rates_are_refused() {
        let samples = pcm("over the socket", 16_000, 1.5);
        assert_eq!(
            decode_pcm(&samples, 16_000).as_deref(),
            Some("over the socket")
        );
        assert_eq!(decode_pcm(&samples, 0), None);
        assert_eq!(decode_pcm(&samples, u32::MAX), None);
        let mut header = wav(&samples, 16_000);
        header[24..28].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(decode(&header), None);
    }

    #[test]
    fn other_audio_is_not_decoded() {
        let silence = wav(&vec![0i16; 24_000], 24_000);
        assert_eq!(decode(&silence), None);
        assert_eq!(decode(b"ID3 not a wav"), None);
        let mut cut = encode("hello", 16_000, 1.0);
        cut.truncate(cut.len() - 100);
        assert_eq!(decode(&cut), None);
    }
}
