//! The resources added for full API coverage, through the SDK against the emulator:
//! knowledge (datasets, documents with progress, images), variables, audio (speech that
//! transcribes back to its text, voices, cloning, rooms), versions, workspace members,
//! folders, apps, copy tasks, collaboration, connectors, API apps, commerce, enterprises.

use std::time::Duration;

use coze_emulator::Emulator;
use coze_sdk::types::audio::{CloneVoiceRequest, SpeechRequest};
use coze_sdk::types::datasets::{
    CreateDatasetRequest, CreateDocumentsRequest, DocumentBase, FORMAT_IMAGE, FORMAT_TEXT,
    ListDatasetsRequest, SourceInfo, UpdateDatasetRequest,
};
use coze_sdk::types::variables::VariableScope;
use coze_sdk::{
    BotId, Client, DatasetId, DocumentId, Error, ExecuteId, Resource, RetryPolicy, WorkflowId,
    WorkspaceId,
};

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

#[tokio::test]
async fn datasets_documents_and_progress() {
    let (emu, client) = start().await;
    let space = WorkspaceId::new(emu.workspace_id());
    let ds = client.datasets();
    let id = ds
        .create(&CreateDatasetRequest::new("Handbook", space.clone(), FORMAT_TEXT).description("d"))
        .await
        .expect("create");
    ds.update(&id, &UpdateDatasetRequest::new("Staff handbook"))
        .await
        .expect("update");
    let docs = ds
        .documents()
        .create(&CreateDocumentsRequest::new(
            id.clone(),
            vec![
                DocumentBase::new(
                    "rules.txt",
                    SourceInfo::bytes(b"Be kind. Ship often.", "txt"),
                ),
                DocumentBase::new("site", SourceInfo::web("https://example.com/")),
            ],
        ))
        .await
        .expect("add documents");
    assert_eq!(docs.len(), 2);
    assert_eq!(docs[0].name, "rules.txt");
    assert_eq!(docs[0].status, 0, "a new document is being processed");
    let ids: Vec<DocumentId> = docs.iter().map(|d| d.document_id.clone()).collect();

    let first = ds.process(&id, &ids).await.expect("progress");
    assert!(first.iter().all(|p| p.progress < 100), "{first:?}");
    let mut seen = Vec::new();
    let done = ds
        .documents()
        .wait_processed(
            &id,
            &ids,
            Duration::from_millis(200),
            Duration::from_secs(10),
            |p| seen.push(p[0].progress),
        )
        .await
        .expect("processed");
    assert!(done.iter().all(|p| p.progress == 100 && p.status == 1));
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "progress only grows: {seen:?}"
    );
    assert!(seen.len() >= 2, "several polls were needed: {seen:?}");

    let listed = ds
        .list(ListDatasetsRequest::new(space.clone()).name("staff"))
        .collect_all()
        .await
        .expect("list");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].name, "Staff handbook");
    assert_eq!(listed[0].doc_count, 2);
    let all_docs = ds
        .documents()
        .list(&id, 1)
        .collect_all()
        .await
        .expect("docs");
    assert_eq!(all_docs.len(), 2, "two pages of one");
    assert_eq!(all_docs[0].char_count, 20);

    ds.documents()
        .update(&ids[0], "rules-v2.txt")
        .await
        .expect("rename");
    ds.documents().delete(&ids[1..]).await.expect("delete doc");
    let left = ds
        .documents()
        .list(&id, 10)
        .collect_all()
        .await
        .expect("docs");
    assert_eq!(
        left.iter().map(|d| d.name.as_str()).collect::<Vec<_>>(),
        ["rules-v2.txt"]
    );

    let err = ds
        .process(&DatasetId::new("42"), &ids)
        .await
        .expect_err("unknown dataset");
    assert_eq!(code(&err), 4200);
    let err = ds
        .create(&CreateDatasetRequest::new(" ", space.clone(), FORMAT_TEXT))
        .await
        .expect_err("empty name");
    assert_eq!(code(&err), 4000);
    ds.delete(&id).await.expect("delete");
    assert!(
        ds.list(ListDatasetsRequest::new(space))
            .collect_all()
            .await
            .expect("list")
            .is_empty()
    );
}

#[tokio::test]
async fn image_datasets_take_captions() {
    let (emu, client) = start().await;
    let ds = client.datasets();
    let id = ds
        .create(&CreateDatasetRequest::new(
            "Pets",
            emu.workspace_id(),
            FORMAT_IMAGE,
        ))
        .await
        .expect("create");
    let err = ds
        .documents()
        .create(&CreateDocumentsRequest::new(
            id.clone(),
            vec![DocumentBase::new(
                "a.txt",
                SourceInfo::bytes(b"text", "txt"),
            )],
        ))
        .await
        .expect_err("text in an image dataset");
    assert_eq!(code(&err), 4000);
    let docs = ds
        .documents()
        .create(&CreateDocumentsRequest::new(
            id.clone(),
            vec![DocumentBase::new(
                "cat.png",
                SourceInfo::bytes(b"\x89PNG fake", "png"),
            )],
        ))
        .await
        .expect("image");
    ds.images()
        .update(&id, &docs[0].document_id, "a sleepy cat")
        .await
        .expect("caption");
    let found = ds
        .images()
        .list(&id, Some("sleepy"))
        .collect_all()
        .await
        .expect("images");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].caption, "a sleepy cat");
    assert!(
        ds.images()
            .list(&id, Some("dog"))
            .collect_all()
            .await
            .expect("images")
            .is_empty()
    );
}

#[tokio::test]
async fn variables_are_kept_per_bot_and_user() {
    let (emu, client) = start().await;
    let bot = emu.bots().echo.clone();
    let vars = client.variables();
    let alice = VariableScope::bot(bot.clone()).user("alice");
    vars.set(&alice, &[("city", "Hangzhou"), ("lang", "zh")])
        .await
        .expect("set");
    vars.set(&alice, &[("city", "Paris")])
        .await
        .expect("update");
    let got = vars.get(&alice, &["city"]).await.expect("get");
    assert_eq!(got.len(), 1);
    assert_eq!(
        (got[0].keyword.as_str(), got[0].value.as_str()),
        ("city", "Paris")
    );
    assert_eq!(vars.get(&alice, &[]).await.expect("all").len(), 2);
    let bob = VariableScope::bot(bot).user("bob");
    assert!(
        vars.get(&bob, &[]).await.expect("bob").is_empty(),
        "users do not share"
    );
    let err = vars
        .get(&VariableScope::bot("1"), &[])
        .await
        .expect_err("unknown bot");
    assert_eq!(code(&err), 4200);
    assert!(matches!(
        vars.get(&VariableScope::default(), &[]).await,
        Err(Error::InvalidRequest(_))
    ));
}

#[tokio::test]
async fn speech_is_a_wav_that_transcribes_back() {
    let (emu, client) = start().await;
    let audio = client.audio();
    let voices = audio.voices(false).collect_all().await.expect("voices");
    assert!(voices.len() >= 2 && voices.iter().all(|v| v.is_system_voice));
    let voice = voices[0].voice_id.clone();
    let wav = audio
        .speech(
            &SpeechRequest::new("Hello from Rust, 你好", voice.clone())
                .format("wav")
                .sample_rate(16_000),
        )
        .await
        .expect("speech");
    assert_eq!(&wav[..4], b"RIFF");
    assert_eq!(&wav[8..12], b"WAVE");
    let text = audio
        .transcribe("hello.wav", wav)
        .await
        .expect("transcribe");
    assert_eq!(text, "Hello from Rust, 你好");
    let other = audio
        .transcribe("noise.mp3", bytes::Bytes::from_static(b"ID3 not ours"))
        .await
        .expect("transcribe other");
    assert!(other.contains("12 bytes"), "{other}");

    let err = audio
        .speech(&SpeechRequest::new("hi", "nope"))
        .await
        .expect_err("unknown voice");
    assert_eq!(code(&err), 4200);
    let err = audio
        .speech(&SpeechRequest::new("hi", voice).speed(9.0))
        .await
        .expect_err("bad speed");
    assert_eq!(code(&err), 4000);

    let cloned = audio
        .clone_voice(CloneVoiceRequest::new(
            "My voice",
            b"RIFF sample".to_vec(),
            "wav",
        ))
        .await
        .expect("clone");
    assert!(!cloned.is_system_voice);
    let mine = audio
        .voices(true)
        .collect_all()
        .await
        .expect("cloned voices");
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].name, "My voice");
    let room = audio
        .create_room(
            &BotId::new(emu.bots().echo.clone()),
            Some(cloned.voice_id.as_str()),
        )
        .await
        .expect("room");
    assert!(!room.room_id.is_empty() && !room.token.is_empty());
}

#[tokio::test]
async fn versions_node_outputs_and_resume() {
    let (emu, client) = start().await;
    let echo = BotId::new(emu.bots().echo.clone());
    let versions = client
        .bots()
        .versions(&echo, Some("all"))
        .collect_all()
        .await
        .expect("versions");
    let statuses: Vec<&str> = versions.iter().map(|v| v.publish_status.as_str()).collect();
    assert_eq!(statuses, ["published_online", "unpublished_draft"]);
    let unpublished = BotId::new(emu.bots().unpublished.clone());
    assert!(
        client
            .bots()
            .versions(&unpublished, None)
            .collect_all()
            .await
            .expect("v")
            .is_empty()
    );

    let info = emu.info();
    let question = WorkflowId::new(info["workflows"]["question"].as_str().expect("id"));
    let wv = client
        .workflows()
        .versions(&question, None)
        .collect_all()
        .await
        .expect("wf versions");
    assert_eq!(wv.len(), 1);
    assert_eq!(wv[0].workflow_id, question.as_str());

    let run = client
        .workflows()
        .run(coze_sdk::WorkflowRunRequest::new(question.clone()))
        .await
        .expect("run");
    let interrupt = run.interrupt_data.expect("the question workflow asks");
    let execute = run.execute_id.clone().expect("execute id");
    let req =
        coze_sdk::ResumeRequest::new(question.clone(), interrupt.event_id.clone(), "Hangzhou", 2);
    let done = client.workflows().resume_sync(&req).await.expect("resume");
    assert!(done.raw_data.contains("Hangzhou"), "{done:?}");
    let again = client
        .workflows()
        .resume_sync(&req)
        .await
        .expect_err("resumed twice");
    assert_eq!(code(&again), 4000);
    let node = client
        .workflows()
        .node_output(&question, &execute, &format!("{execute}-forecast"))
        .await
        .expect("node");
    assert!(
        node.is_finish && node.node_output.contains("Hangzhou"),
        "{node:?}"
    );
    let err = client
        .workflows()
        .node_output(&question, &ExecuteId::new("1"), "1-x")
        .await
        .expect_err("unknown run");
    assert_eq!(code(&err), 4200);
}

#[tokio::test]
async fn workspaces_members_and_collaboration() {
    let (emu, client) = start().await;
    let ws = client.workspaces();
    let team = ws.create("Team Rust", "").await.expect("create workspace");
    ws.update(&team, "Team Rust 2").await.expect("rename");
    let added = ws
        .add_members(&team, &[("1234567", "admin"), ("nobody", "member")])
        .await
        .expect("add");
    assert_eq!(added.added_success_user_ids, ["1234567"]);
    assert_eq!(added.not_exist_user_ids, ["nobody"]);
    let members = ws.members(&team).collect_all().await.expect("members");
    let roles: Vec<(&str, &str)> = members
        .iter()
        .map(|m| (m.user_id.as_str(), m.role_type.as_str()))
        .collect();
    assert!(
        roles.contains(&("1234567", "admin")) && roles.iter().any(|r| r.1 == "owner"),
        "{roles:?}"
    );
    let owner = members
        .iter()
        .find(|m| m.role_type == "owner")
        .expect("owner")
        .user_id
        .clone();
    let removed = ws
        .remove_members(&team, &["1234567", owner.as_str()])
        .await
        .expect("remove");
    assert_eq!(removed.removed_success_user_ids, ["1234567"]);
    assert_eq!(removed.owner_not_support_remove_user_ids, [owner]);

    let bot = emu.bots().echo.clone();
    let collab = client.collaboration();
    let err = collab
        .add(Resource::Bot(&bot), &["1"])
        .await
        .expect_err("single mode");
    assert_eq!(code(&err), 4000);
    collab
        .set_mode(Resource::Bot(&bot), "collaboration")
        .await
        .expect("mode");
    let err = collab
        .add(Resource::Bot(&bot), &["999"])
        .await
        .expect_err("not a member");
    assert_eq!(code(&err), 4101);
    let personal = WorkspaceId::new(emu.workspace_id());
    let me = ws.members(&personal).collect_all().await.expect("members")[0]
        .user_id
        .clone();
    collab
        .add(Resource::Bot(&bot), &[me.as_str()])
        .await
        .expect("add collaborator");
    collab
        .remove(Resource::Bot(&bot), &me)
        .await
        .expect("remove collaborator");
    let err = collab
        .remove(Resource::Bot(&bot), &me)
        .await
        .expect_err("twice");
    assert_eq!(code(&err), 4200);
}

#[tokio::test]
async fn folders_apps_copies_connectors_commerce_enterprises() {
    let (emu, client) = start().await;
    let space = WorkspaceId::new(emu.workspace_id());
    let folders = client
        .folders()
        .list(&space, Some("library"))
        .collect_all()
        .await
        .expect("folders");
    assert_eq!(folders.len(), 1);
    let folder = client.folders().get(&folders[0].id).await.expect("folder");
    assert_eq!(folder.name, "Library");
    let apps = client
        .apps()
        .list(&space)
        .collect_all()
        .await
        .expect("apps");
    assert_eq!(apps.len(), 1);

    let started = client
        .apps()
        .copy("bot", &emu.bots().echo, None)
        .await
        .expect("copy");
    let task = client
        .apps()
        .copy_task(&started.task_id)
        .await
        .expect("task");
    assert_eq!(task.task_status, "successful");
    let copy = client
        .bots()
        .retrieve(&BotId::new(task.target_entity_id.clone()), false)
        .await
        .expect("the copy exists");
    assert!(copy.name.ends_with("(copy)"), "{}", copy.name);

    client
        .connectors()
        .install("1024", &space)
        .await
        .expect("install");
    let err = client
        .connectors()
        .set_user_configs("1024", serde_json::json!([]))
        .await
        .expect_err("no configs");
    assert_eq!(code(&err), 4000);

    let app = client
        .api_apps()
        .create("normal", "hooks")
        .await
        .expect("api app");
    client
        .api_apps()
        .update(&app.id, None, Some("https://example.com/hook"))
        .await
        .expect("update");
    client
        .api_apps()
        .subscribe(&app.id, &["bot.published"])
        .await
        .expect("events");

    let benefits = client.commerce().benefits().await.expect("benefits");
    assert_eq!(benefits[0]["basic"]["item_info"]["total"], 1000);
    let bill = client
        .commerce()
        .create_bill_task(1_700_000_000, 1_700_086_400)
        .await
        .expect("bill");
    let bills = client
        .commerce()
        .bill_tasks()
        .collect_all()
        .await
        .expect("bills");
    assert_eq!(bills[0].task_id, bill.task_id);
    client
        .commerce()
        .set_limit("resource_point", "day", 100)
        .await
        .expect("limit");

    client
        .enterprises()
        .add_members("e1", &[("42", "enterprise_member")])
        .await
        .expect("enterprise");
    client
        .enterprises()
        .set_member_role("e1", "42", "enterprise_admin")
        .await
        .expect("role");
    let org = client
        .enterprises()
        .create_organization("e1", "R&D", "")
        .await
        .expect("org");
    client
        .organizations()
        .update(&org, "Research", "")
        .await
        .expect("rename org");
    client
        .organizations()
        .add_members(&org, &[("42", "member")])
        .await
        .expect("org members");
    client
        .organizations()
        .set_member_role(&org, "42", "admin")
        .await
        .expect("org role");
    let err = client
        .organizations()
        .set_member_role(&org, "43", "admin")
        .await
        .expect_err("not a member");
    assert_eq!(code(&err), 4200);
}
