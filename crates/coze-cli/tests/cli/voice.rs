//! `coze chat --voice IN.wav [--audio-out OUT.wav]` against the emulator's WebSocket chat:
//! the answer on stdout, the spoken answer in a playable WAV file, clear errors for bad
//! input, and a connection cut mid-answer that keeps what arrived.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

use coze_emulator::tone;

use crate::support::{Fixture, json_lines, run};

const QUESTION: &str = "what time is it";

fn question_wav(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("question.wav");
    std::fs::write(&path, tone::encode(QUESTION, 16_000, 1.0)).expect("write the question");
    path
}

/// Files in `dir` other than `keep`.
fn others(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("list")
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !keep.contains(&name.as_str()))
        .collect()
}

#[test]
fn voice_question_prints_the_answer_and_writes_playable_audio() {
    let fx = Fixture::start();
    let dir = tempfile::tempdir().expect("dir");
    let input = question_wav(dir.path());
    let output = dir.path().join("answer.wav");
    let r = run(fx
        .coze()
        .args(["chat", "--bot", &fx.bot("echo")])
        .arg("--voice")
        .arg(&input)
        .arg("--audio-out")
        .arg(&output));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let answer = r.stdout.trim_end_matches('\n');
    assert!(
        answer.starts_with("You said: \"what time is it\"."),
        "{answer}"
    );
    assert!(
        r.stderr.contains("you said: what time is it"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("answer.wav"), "{}", r.stderr);
    // A real WAV file whose sound is the answer (the emulator's tone codec reads it back).
    let wav = std::fs::read(&output).expect("the answer was written");
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(tone::decode(&wav).as_deref(), Some(answer));
    assert!(others(dir.path(), &["question.wav", "answer.wav"]).is_empty());
}

#[test]
fn voice_question_as_json_and_without_audio_out() {
    let fx = Fixture::start();
    let dir = tempfile::tempdir().expect("dir");
    let input = question_wav(dir.path());
    let r = run(fx
        .coze()
        .args(["--json", "chat", "--bot", &fx.bot("echo")])
        .arg("--voice")
        .arg(&input));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let lines = json_lines(&r.stdout);
    assert_eq!(lines.len(), 1, "{}", r.stdout);
    assert_eq!(lines[0]["heard"], QUESTION);
    assert_eq!(lines[0]["complete"], true);
    assert!(
        lines[0]["answer"]
            .as_str()
            .is_some_and(|a| a.contains(QUESTION))
    );
    assert!(lines[0]["conversation_id"].is_string());
    assert!(lines[0]["audio_out"].is_null());
    assert!(
        others(dir.path(), &["question.wav"]).is_empty(),
        "nothing else written"
    );
}

#[test]
fn bad_input_is_a_one_line_error_with_a_hint() {
    let fx = Fixture::start();
    let dir = tempfile::tempdir().expect("dir");
    let not_wav = dir.path().join("notes.wav");
    std::fs::write(&not_wav, "these are not samples").expect("write");
    let out = dir.path().join("out.wav");
    let cases: Vec<(Vec<std::ffi::OsString>, i32, &str)> = vec![
        (
            vec![
                "--bot".into(),
                fx.bot("echo").into(),
                "--voice".into(),
                not_wav.clone().into(),
            ],
            2,
            "is not a WAV file",
        ),
        (
            vec![
                "--bot".into(),
                fx.bot("echo").into(),
                "--voice".into(),
                dir.path().join("missing.wav").into(),
            ],
            2,
            "cannot read",
        ),
        (
            vec![
                "--bot".into(),
                " ".into(),
                "--voice".into(),
                question_wav(dir.path()).into(),
            ],
            2,
            "--bot is empty",
        ),
        (
            vec!["--voice".into(), question_wav(dir.path()).into()],
            2,
            "--bot",
        ),
        (
            vec![
                "--bot".into(),
                fx.bot("echo").into(),
                "--voice".into(),
                question_wav(dir.path()).into(),
                "--audio-out".into(),
                dir.path().join("no/dir/a.wav").into(),
            ],
            2,
            "is not a directory",
        ),
        (
            vec![
                "--bot".into(),
                fx.bot("echo").into(),
                "--audio-out".into(),
                out.clone().into(),
            ],
            2,
            "--voice",
        ),
    ];
    for (args, code, says) in cases {
        let r = run(fx.coze().arg("chat").args(&args));
        assert_eq!(r.code, Some(code), "{args:?}: {}", r.stderr);
        assert!(r.stderr.starts_with("error: "), "{args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
    }
    let r = run(fx
        .coze()
        .args(["chat", "--bot", &fx.bot("echo")])
        .arg("--voice")
        .arg(&not_wav));
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);
    assert!(!out.exists());
}

#[test]
fn refusals_show_code_and_logid_and_never_the_token() {
    let fx = Fixture::start();
    let dir = tempfile::tempdir().expect("dir");
    let input = question_wav(dir.path());
    let r = run(fx
        .coze()
        .args(["chat", "--bot", "7000000000000000000"])
        .arg("--voice")
        .arg(&input));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("4200"), "{}", r.stderr);
    assert!(r.stderr.contains("logid: "), "{}", r.stderr);

    let r = run(fx
        .bare()
        .args([
            "-v",
            "--base-url",
            fx.emu.base_url(),
            "--token",
            "pat_wrong_voice_token",
            "chat",
            "--bot",
            &fx.bot("echo"),
        ])
        .arg("--voice")
        .arg(&input));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("4100"), "{}", r.stderr);
    assert!(!r.stderr.contains("pat_wrong_voice_token"), "{}", r.stderr);
    assert!(r.stderr.contains("coze websocket refused"), "{}", r.stderr);

    // `-v` logs the connection, never the token.
    let r = run(fx
        .coze()
        .args(["-v", "chat", "--bot", &fx.bot("echo")])
        .arg("--voice")
        .arg(&input));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stderr.contains("coze websocket connected"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains(fx.emu.pat()), "{}", r.stderr);
}

/// A proxy in front of the emulator that forwards the server's WebSocket frames and drops
/// the connection after `cut_after` audio frames of the answer.
fn cutting_proxy(upstream: String, cut_after: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let Ok((mut client, _)) = listener.accept() else {
            return;
        };
        let mut server = TcpStream::connect(upstream).expect("upstream");
        let mut client_read = client.try_clone().expect("clone");
        let mut server_write = server.try_clone().expect("clone");
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut client_read, &mut server_write);
        });
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16384];
        let mut head_done = false;
        let mut audio = 0;
        loop {
            let Ok(n) = server.read(&mut chunk) else {
                return;
            };
            if n == 0 {
                return;
            }
            buf.extend_from_slice(&chunk[..n]);
            if !head_done {
                let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let _ = client.write_all(&buf[..p + 4]);
                buf.drain(..p + 4);
                head_done = true;
            }
            while let Some(len) = frame_len(&buf) {
                let frame: Vec<u8> = buf.drain(..len).collect();
                if frame.windows(24).any(|w| w == b"conversation.audio.delta") {
                    audio += 1;
                }
                let _ = client.write_all(&frame);
                if audio >= cut_after {
                    let _ = client.shutdown(std::net::Shutdown::Both);
                    let _ = server.shutdown(std::net::Shutdown::Both);
                    return;
                }
            }
        }
    });
    format!("http://{addr}")
}

fn frame_len(buf: &[u8]) -> Option<usize> {
    if buf.len() < 2 {
        return None;
    }
    let (payload, header) = match buf[1] & 0x7f {
        126 if buf.len() >= 4 => (usize::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
        127 if buf.len() >= 10 => (
            usize::try_from(u64::from_be_bytes(buf[2..10].try_into().ok()?)).ok()?,
            10,
        ),
        126 | 127 => return None,
        n => (usize::from(n), 2),
    };
    (buf.len() >= header + payload).then_some(header + payload)
}

#[test]
fn a_cut_mid_answer_keeps_the_text_and_audio_that_arrived() {
    let fx = Fixture::start();
    let dir = tempfile::tempdir().expect("dir");
    let input = question_wav(dir.path());
    let output = dir.path().join("answer.wav");
    let upstream = fx.emu.base_url().trim_start_matches("http://").to_owned();
    let base = cutting_proxy(upstream, 2);
    let r = run(fx
        .bare()
        .args([
            "--base-url",
            &base,
            "--token",
            fx.emu.pat(),
            "chat",
            "--bot",
            &fx.bot("echo"),
        ])
        .arg("--voice")
        .arg(&input)
        .arg("--audio-out")
        .arg(&output)
        .timeout(Duration::from_secs(30)));
    assert_eq!(r.code, Some(1), "{}", r.stderr);
    assert!(r.stderr.contains("cut"), "{}", r.stderr);
    assert!(r.stderr.contains("hint: "), "{}", r.stderr);
    assert!(
        r.stderr
            .contains("the part of the spoken answer that arrived"),
        "{}",
        r.stderr
    );
    // The audio that arrived is a whole, playable WAV file (a header that matches its data).
    let wav = std::fs::read(&output).expect("the partial answer was written");
    assert_eq!(&wav[..4], b"RIFF");
    let data_len = u32::from_le_bytes(wav[40..44].try_into().expect("4 bytes")) as usize;
    assert_eq!(data_len + 44, wav.len());
    assert!(data_len > 0);
    assert!(others(dir.path(), &["question.wav", "answer.wav"]).is_empty());
}
