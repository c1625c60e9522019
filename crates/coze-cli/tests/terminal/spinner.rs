//! The "thinking…" spinner in a pseudo-terminal: Ctrl-C removes it, the echoed `^C` with it.

use coze_emulator::Pace;

use crate::pty::{self, Session};
use crate::support::Fixture;

#[test]
fn ctrl_c_clears_the_spinner_and_the_echoed_ctrl_c() {
    if !pty::has_script() {
        return;
    }
    let fx = Fixture::start();
    // The first token would take 30 s: the spinner is on screen when Ctrl-C comes.
    fx.emu.state().set_pace(Pace::Custom {
        first_token_ms: 30_000,
        delta_interval_ms: 20,
    });
    let bot = fx.bot("echo");
    let mut s = Session::start(&fx, &["chat", "--bot", bot.as_str(), "-m", "hello"], &[]);
    let at = s.expect("thinking…", 0);
    // A few frames, so that the line has been redrawn in place.
    std::thread::sleep(std::time::Duration::from_millis(300));
    s.send("\x03");
    s.expect("(stopped", at);
    let screen = s.screen();
    let raw = s.text();
    assert_eq!(s.wait(), Some(130), "{raw}");
    // The terminal echoed `^C` after the spinner (it is in what the terminal received) ...
    assert!(raw.contains("^C"), "{raw:?}");
    // ... and neither the spinner nor the `^C` is left on screen: "(stopped…)" is the only line.
    assert!(!screen.contains("thinking"), "{screen}");
    assert!(!screen.contains("^C"), "{screen}");
    let lines: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), 1, "{screen}");
    assert!(lines[0].starts_with("(stopped"), "{screen}");
}
