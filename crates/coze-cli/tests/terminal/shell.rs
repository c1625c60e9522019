//! `coze completions SHELL` for every shell and `coze man`.

use crate::support::{clean_command, run};

#[test]
fn completions_are_generated_for_every_shell() {
    let home = tempfile::tempdir().expect("temp dir");
    let marks = [
        ("bash", "complete -F _coze"),
        ("zsh", "#compdef coze"),
        ("fish", "complete -c coze"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[coze]"),
    ];
    for (shell, mark) in marks {
        let out = run(clean_command(home.path()).args(["completions", shell]));
        assert_eq!(out.code, Some(0), "{shell}: {}", out.stderr);
        assert!(out.stdout.contains(mark), "{shell} script lacks {mark}");
        // Every command group is completed.
        for command in ["chat", "workflow", "completions", "doctor"] {
            assert!(
                out.stdout.contains(command),
                "{shell} script lacks {command}"
            );
        }
    }
    let bash = run(clean_command(home.path()).args(["completions", "bash"]));
    let path = home.path().join("coze.bash");
    std::fs::write(&path, bash.stdout).expect("write");
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .output()
        .expect("bash runs");
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );

    let out = run(clean_command(home.path()).args(["completions", "tcsh"]));
    assert_eq!(out.code, Some(2));
    assert!(out.stderr.contains("possible values"), "{}", out.stderr);
}

#[test]
fn the_man_page_lists_the_commands() {
    let home = tempfile::tempdir().expect("temp dir");
    let out = run(clean_command(home.path()).arg("man"));
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.starts_with(".ie"), "roff: {}", &out.stdout[..40]);
    assert!(out.stdout.contains(".TH coze 1"), "title");
    assert!(out.stdout.contains("coze\\-chat"), "chat listed");
}
