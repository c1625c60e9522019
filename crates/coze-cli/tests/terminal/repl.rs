//! The interactive chat in a pseudo-terminal: history kept across runs, slash commands.

use crate::pty::{self, Session};
use crate::support::Fixture;

#[test]
fn history_is_kept_across_runs_readable_by_the_user_only() {
    if !pty::has_script() {
        return;
    }
    let fx = Fixture::start();
    let data = fx.home.path().join("data");
    let data_dir = data.to_str().expect("utf-8 path");
    let bot = fx.bot("echo");
    let args = ["chat", "--bot", bot.as_str()];
    let env = [("COZE_DATA_DIR", data_dir)];

    let mut first = Session::start(&fx, &args, &env);
    let at = first.expect("› ", 0);
    first.send("remember the lighthouse\r");
    first.expect("You said: \"remember the lighthouse\"", at);
    assert_eq!(first.finish(), Some(0));

    let history = data.join("chat_history.txt");
    let saved = std::fs::read_to_string(&history).expect("history written");
    assert!(saved.contains("remember the lighthouse"), "{saved}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&history)
            .expect("meta")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o600, "history mode {mode:o}");
    }

    // A new run: Up brings the question back, Enter sends it again.
    let mut second = Session::start(&fx, &args, &env);
    let at = second.expect("› ", 0);
    second.send("\x1b[A\r");
    second.expect("You said: \"remember the lighthouse\"", at);
    assert_eq!(second.finish(), Some(0));
}

#[test]
fn slash_commands_work_and_complete() {
    if !pty::has_script() {
        return;
    }
    let fx = Fixture::start();
    let bot = fx.bot("echo");
    let data = fx.home.path().join("data");
    let env = [("COZE_DATA_DIR", data.to_str().expect("utf-8 path"))];
    let mut s = Session::start(&fx, &["chat", "--bot", bot.as_str()], &env);
    let at = s.expect("› ", 0);
    s.send("/conversation\r");
    let at = s.expect("(no conversation yet", at);
    s.send("first\r");
    let at = s.expect("You said: \"first\"", at);
    // /retry asks the same question again in the same conversation: the echo bot recalls it.
    s.send("/retry\r");
    let at = s.expect("Earlier in this conversation you said: \"first\"", at);
    // Tab completes `/conv` to `/conversation `.
    s.send("/conv\t\r");
    let at = s.expect("(conversation ", at);
    s.send("/copy\r");
    let at = s.expect("(copied the last answer)", at);
    assert!(s.text().contains("\x1b]52;c;"), "OSC 52 sent");
    // A multi-line message: a line ending in `\` goes on.
    s.send("one \\\rtwo\r");
    let at = s.expect("You said: \"one", at);
    s.expect("\ntwo\". Earlier", at);
    assert_eq!(s.finish(), Some(0));
}

#[test]
fn attach_uploads_a_file_for_the_next_message_only() {
    if !pty::has_script() {
        return;
    }
    let fx = Fixture::start();
    let bot = fx.bot("echo");
    let data = fx.home.path().join("data");
    let env = [("COZE_DATA_DIR", data.to_str().expect("utf-8 path"))];
    let file = fx.home.path().join("itinerary.pdf");
    std::fs::write(&file, "%PDF-1.4 not really").expect("write the file");
    let path = file.to_str().expect("utf-8 path");

    let mut s = Session::start(&fx, &["chat", "--bot", bot.as_str()], &env);
    let at = s.expect("› ", 0);
    // Without a path: how to use it, and nothing is sent.
    s.send("/attach\r");
    let at = s.expect("usage: /attach PATH_OR_URL", at);
    // A missing file: a one-line error, and the session goes on.
    s.send("/attach /nonexistent/nope.txt\r");
    let at = s.expect("does not exist", at);
    s.send(&format!("/attach {path}\r"));
    let at = s.expect(
        &format!("(attached {path}; sent with the next message)"),
        at,
    );
    s.send("read this\r");
    let at = s.expect("You said: \"read this\".", at);
    let at = s.expect("You attached file \"itinerary.pdf\" (file_id ", at);
    // The attachment went with that message only.
    s.send("and now?\r");
    let at = s.expect("You said: \"and now?\".", at);
    s.expect("› ", at);
    let text = s.text();
    let last = &text[at..];
    assert!(!last.contains("You attached"), "{last}");
    assert_eq!(s.finish(), Some(0));
}
