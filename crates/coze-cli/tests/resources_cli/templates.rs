//! `coze templates duplicate` against the emulator: the copy is a bot you can show and
//! publish; unknown templates and empty arguments are one-line errors with a hint.

use crate::support::Fixture;

#[test]
fn a_duplicated_template_is_a_bot_you_can_show_and_publish() {
    let fx = Fixture::start();
    let template = fx.emu.info()["templates"]["assistant"]
        .as_str()
        .expect("template id")
        .to_string();
    let made = fx
        .coze(&["templates", "duplicate", &template, "--name", "Helper"])
        .ok();
    let id = made.first_line();
    assert!(id.parse::<i64>().is_ok(), "{id}");
    assert!(made.stderr.contains("coze bots publish"), "{}", made.stderr);
    let shown = fx.coze(&["bots", "get", &id]).ok();
    assert!(shown.stdout.contains("Helper"), "{}", shown.stdout);
    fx.coze(&["bots", "publish", &id]).ok();

    let json = fx
        .coze(&[
            "--json",
            "templates",
            "duplicate",
            &template,
            "--workspace",
            fx.emu.workspace_id(),
        ])
        .ok();
    let rows = json.json();
    assert_eq!(rows[0]["entity_type"], "agent");
    assert_ne!(rows[0]["entity_id"], id.as_str());

    fx.coze(&["templates", "duplicate", "7000000000000000001"])
        .fails(1, "template_id=7000000000000000001");
    fx.coze(&["templates", "duplicate", " "])
        .fails(2, "ID is empty");
}
