//! Calls of the official SDKs outside the OpenAPI document, through the SDK against the
//! emulator: template duplication, API app list/delete and event list/unsubscribe, enterprise
//! member removal, a connector's review of a bot, and lives of audio rooms.

use std::time::Duration;

use coze_emulator::Emulator;
use coze_sdk::{BotId, ChatRequest, Client, Error, PollOptions, RetryPolicy, WorkspaceId};

async fn start() -> (Emulator, Client) {
    let emu = Emulator::start().await.expect("emulator");
    let client = Client::builder()
        .base_url(emu.base_url())
        .token(emu.pat())
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    (emu, client)
}

fn code(err: &Error) -> i64 {
    match err {
        Error::Api(api) => api.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

fn template(emu: &Emulator, key: &str) -> String {
    emu.info()["templates"][key]
        .as_str()
        .expect("template id in the emulator info")
        .to_string()
}

#[tokio::test]
async fn a_duplicated_template_is_a_bot_of_the_workspace_that_answers() {
    let (emu, client) = start().await;
    let space = WorkspaceId::new(emu.workspace_id());
    let made = client
        .templates()
        .duplicate(&template(&emu, "assistant"), &space, Some("Helper"))
        .await
        .expect("duplicate");
    assert_eq!(made.entity_type, "agent");
    assert!(made.entity_id.parse::<i64>().is_ok(), "{}", made.entity_id);
    let bot_id = BotId::new(made.entity_id.clone());
    let draft = client.bots().retrieve(&bot_id, false).await.expect("draft");
    assert_eq!(draft.name, "Helper");
    // Not published yet: chats are refused until it is.
    let ask = || ChatRequest::new(&bot_id, "u1").user_message("hi template");
    let options = || PollOptions::new().interval(Duration::from_millis(20));
    let refused = client
        .chat()
        .create_and_poll(ask(), options())
        .await
        .expect_err("unpublished");
    assert_eq!(code(&refused), 4015);
    client.bots().publish(&bot_id).await.expect("publish");
    let answer = client
        .chat()
        .create_and_poll(ask(), options())
        .await
        .expect("chat");
    assert!(
        answer.answer().contains("hi template"),
        "{}",
        answer.answer()
    );

    // Two copies are two bots; the default name is the template's.
    let again = client
        .templates()
        .duplicate(&template(&emu, "assistant"), &space, None)
        .await
        .expect("again");
    assert_ne!(again.entity_id, made.entity_id);
    let second = client
        .bots()
        .retrieve(&BotId::new(again.entity_id), false)
        .await
        .expect("second");
    assert_eq!(second.name, "Assistant");

    let unknown = client
        .templates()
        .duplicate("7000000000000000001", &space, None)
        .await
        .expect_err("unknown template");
    assert_eq!(code(&unknown), 4200);
    let foreign = client
        .templates()
        .duplicate(&template(&emu, "weather"), &WorkspaceId::new("123"), None)
        .await
        .expect_err("foreign workspace");
    assert_eq!(code(&foreign), 4200);
    let empty = client
        .templates()
        .duplicate(" ", &space, None)
        .await
        .expect_err("empty id");
    assert!(matches!(empty, Error::InvalidRequest(_)), "{empty:?}");
}

#[tokio::test]
async fn api_apps_list_delete_and_their_events() {
    let (_emu, client) = start().await;
    let apps = client.api_apps();
    let mut ids = Vec::new();
    for n in 0..23 {
        ids.push(
            apps.create("normal", &format!("hooks {n}"))
                .await
                .expect("create")
                .id,
        );
    }
    let listed = apps.list(None).collect_all().await.expect("list");
    assert_eq!(listed.len(), 23, "every app, over two pages of 20");
    assert!(
        apps.list(Some("connector"))
            .collect_all()
            .await
            .expect("filter")
            .is_empty()
    );

    apps.subscribe(&ids[0], &["bot.published", "bot.deleted"])
        .await
        .expect("subscribe");
    let events = apps.events(&ids[0]).collect_all().await.expect("events");
    let mut kinds: Vec<_> = events.iter().map(|e| e.event_type.as_str()).collect();
    kinds.sort_unstable();
    assert_eq!(kinds, ["bot.deleted", "bot.published"]);
    assert!(events.iter().all(|e| e.api_app_id == ids[0]));
    apps.unsubscribe(&ids[0], &["bot.deleted"])
        .await
        .expect("unsubscribe");
    let events = apps.events(&ids[0]).collect_all().await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].event_type, "bot.published");
    let twice = apps
        .unsubscribe(&ids[0], &["bot.deleted"])
        .await
        .expect_err("not subscribed");
    assert_eq!(code(&twice), 4200);

    apps.delete(&ids[0]).await.expect("delete");
    let listed = apps.list(None).collect_all().await.expect("list");
    assert_eq!(listed.len(), 22);
    assert!(listed.iter().all(|a| a.id != ids[0]));
    let gone = apps.delete(&ids[0]).await.expect_err("deleted twice");
    assert_eq!(code(&gone), 4200);
    let gone = apps
        .events(&ids[0])
        .collect_all()
        .await
        .expect_err("events of a deleted app");
    assert_eq!(code(&gone), 4200);
}

#[tokio::test]
async fn enterprise_member_removal_connector_review_and_live() {
    let (emu, client) = start().await;
    let ent = client.enterprises();
    ent.add_members(
        "e1",
        &[("42", "enterprise_member"), ("43", "enterprise_admin")],
    )
    .await
    .expect("add");
    let no_receiver = ent
        .remove_member("e1", "42", "44")
        .await
        .expect_err("receiver");
    assert_eq!(code(&no_receiver), 4000);
    ent.remove_member("e1", "42", "43").await.expect("remove");
    let gone = ent
        .set_member_role("e1", "42", "enterprise_admin")
        .await
        .expect_err("removed");
    assert_eq!(code(&gone), 4200);
    let twice = ent
        .remove_member("e1", "42", "43")
        .await
        .expect_err("twice");
    assert_eq!(code(&twice), 4200);

    let connectors = client.connectors();
    let echo = emu.bots().echo.clone();
    connectors
        .review_bot("1024", &echo, 2, None)
        .await
        .expect("approve");
    let bare = connectors
        .review_bot("1024", &echo, 3, None)
        .await
        .expect_err("reject without reason");
    assert_eq!(code(&bare), 4000);
    connectors
        .review_bot("1024", &echo, 3, Some("needs a privacy policy"))
        .await
        .expect("reject");
    let bad = connectors
        .review_bot("1024", &echo, 9, None)
        .await
        .expect_err("status");
    assert_eq!(code(&bad), 4000);
    let unknown = connectors
        .review_bot("1024", "7000000000000000009", 2, None)
        .await
        .expect_err("unknown bot");
    assert_eq!(code(&unknown), 4200);

    let room = client
        .audio()
        .create_room(&BotId::new(echo), None)
        .await
        .expect("room");
    let live = client.audio().live(&room.room_id).await.expect("live");
    assert!(!live.app_id.is_empty());
    assert_eq!(live.stream_infos.len(), 1);
    assert_eq!(live.stream_infos[0].live_type, "origin");
    let unknown = client
        .audio()
        .live("7000000000000000010")
        .await
        .expect_err("no live");
    assert_eq!(code(&unknown), 4200);
}

#[tokio::test]
async fn voiceprint_groups_identify_the_speaker_of_a_sample() {
    use coze_sdk::types::audio::SpeechRequest;
    use coze_sdk::types::extras::VoiceSample;

    let (_emu, client) = start().await;
    let voice = client
        .audio()
        .voices(false)
        .collect_all()
        .await
        .expect("voices")
        .remove(0)
        .voice_id;
    let speak = |text: &'static str| {
        let client = client.clone();
        let voice = voice.clone();
        async move {
            client
                .audio()
                .speech(&SpeechRequest::new(text, voice).format("wav"))
                .await
                .expect("speech")
                .to_vec()
        }
    };
    let mum = speak("hello there, how are you").await;
    let dad = speak("zzzz ~~~~ zzzz ~~~~").await;

    let vp = client.voiceprint_groups();
    let group = vp
        .create("Living room", Some("speaker 2"))
        .await
        .expect("group");
    let mum_id = vp
        .add_voiceprint(&group, "Mum", None, VoiceSample::wav(mum.clone()))
        .await
        .expect("mum");
    let dad_id = vp
        .add_voiceprint(&group, "Dad", Some("low voice"), VoiceSample::wav(dad))
        .await
        .expect("dad");
    let prints = vp
        .voiceprints(&group)
        .collect_all()
        .await
        .expect("voiceprints");
    assert_eq!(prints.len(), 2);
    let groups = vp.list(Some("Living")).collect_all().await.expect("groups");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].feature_count, 2);

    let scores = vp
        .identify(&group, VoiceSample::wav(mum.clone()), None)
        .await
        .expect("identify");
    assert_eq!(scores.len(), 2);
    assert_eq!(scores[0].feature_id, mum_id, "{scores:?}");
    assert!((scores[0].score - 100.0).abs() < 1e-9, "{scores:?}");
    assert!(scores[1].score < scores[0].score);
    let top = vp
        .identify(&group, VoiceSample::wav(mum.clone()), Some(1))
        .await
        .expect("top 1");
    assert_eq!(top.len(), 1);

    vp.update_voiceprint(&group, &mum_id, Some("Mother"), None, None)
        .await
        .expect("rename");
    vp.delete_voiceprint(&group, &dad_id).await.expect("delete");
    let prints = vp
        .voiceprints(&group)
        .collect_all()
        .await
        .expect("voiceprints");
    assert_eq!(
        prints.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["Mother"]
    );
    let silence = vp
        .identify(&group, VoiceSample::pcm(vec![0; 32_000], 16_000, 1), None)
        .await
        .expect_err("no voice");
    assert_eq!(code(&silence), 4000);
    let long = vp
        .create(&"x".repeat(21), None)
        .await
        .expect_err("long name");
    assert_eq!(code(&long), 4000);
    vp.delete(&group).await.expect("delete group");
    let gone = vp
        .voiceprints(&group)
        .collect_all()
        .await
        .expect_err("gone");
    assert_eq!(code(&gone), 4200);
    assert!(
        vp.list(None)
            .collect_all()
            .await
            .expect("groups")
            .is_empty()
    );
}

#[tokio::test]
async fn the_plugin_store_filters_sorts_and_pages() {
    use coze_sdk::types::extras::StorePluginsQuery;

    let (_emu, client) = start().await;
    let all = client
        .store_plugins(StorePluginsQuery::new())
        .collect_all()
        .await
        .expect("store");
    assert_eq!(all.len(), 3);
    let heat: Vec<i64> = all.iter().map(|p| p.plugin_info.heat).collect();
    assert!(
        heat.windows(2).all(|w| w[0] >= w[1]),
        "most popular first: {heat:?}"
    );
    assert!(
        all.iter()
            .all(|p| p.metainfo.entity_id.parse::<i64>().is_ok())
    );

    let third_party = client
        .store_plugins(StorePluginsQuery::new().official(false))
        .collect_all()
        .await
        .expect("third party");
    assert_eq!(third_party.len(), 1);
    assert!(!third_party[0].metainfo.is_official);

    let category = all[0].metainfo.category.id.clone();
    let in_category = client
        .store_plugins(StorePluginsQuery::new().categories([category.clone()]))
        .collect_all()
        .await
        .expect("category");
    assert!(!in_category.is_empty());
    assert!(
        in_category
            .iter()
            .all(|p| p.metainfo.category.id == category)
    );

    let found = client
        .store_plugins(StorePluginsQuery::new().keyword("SPEECH"))
        .collect_all()
        .await
        .expect("keyword");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].metainfo.name, "Speech recognition");

    let bad = client
        .store_plugins(StorePluginsQuery::new().sort("cheapest"))
        .collect_all()
        .await
        .expect_err("bad sort");
    assert_eq!(code(&bad), 4000);
}
