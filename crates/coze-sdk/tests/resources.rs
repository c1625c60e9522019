//! Workspaces, bots, files and files in chat through the SDK, against the emulator.

use std::sync::{Arc, Mutex};

use coze_emulator::{Emulator, EmulatorConfig};
use coze_sdk::{
    BotId, BotPublishStatus, ChatEvent, ChatRequest, Client, ContentPart, CreateBotRequest,
    EnterMessage, Error, FileId, FileUpload, ListBotsRequest, ListWorkspacesRequest,
    OnboardingInfo, RetryPolicy, UpdateBotRequest, WorkspaceType,
};
use futures_util::StreamExt;

async fn start(max_upload_bytes: u64) -> (Emulator, Client) {
    let config = EmulatorConfig {
        max_upload_bytes,
        ..Default::default()
    };
    let emu = Emulator::start_with(config).await.expect("emulator");
    let client = Client::builder()
        .base_url(emu.base_url())
        .token(emu.pat())
        .retry(RetryPolicy::none())
        .build()
        .expect("client");
    (emu, client)
}

fn api_code(err: &Error) -> i64 {
    match err {
        Error::Api(api) => api.code,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The answer of a streamed chat with `bot`.
async fn chat(client: &Client, bot: &BotId, message: EnterMessage) -> Result<String, Error> {
    let req = ChatRequest::new(bot.clone(), "sdk-test").message(message);
    let mut stream = client.chat().stream(req).await?;
    let mut answer = String::new();
    while let Some(event) = stream.next().await {
        if let ChatEvent::MessageCompleted(m) = event?
            && m.kind.as_str() == "answer"
        {
            answer = m.content;
        }
    }
    Ok(answer)
}

#[tokio::test]
async fn workspaces_page_through_personal_and_team() {
    let (emu, client) = start(1024).await;
    let all = client
        .workspaces()
        .list(ListWorkspacesRequest::new().page_size(1))
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].id.as_str(), emu.workspace_id());
    assert_eq!(all[0].workspace_type, WorkspaceType::Personal);
    assert_eq!(all[1].workspace_type, WorkspaceType::Team);
    let page = client
        .workspaces()
        .list_page(&ListWorkspacesRequest::new())
        .await
        .unwrap();
    assert_eq!(page.total_count, 2);
}

#[tokio::test]
async fn bot_create_publish_chat_unpublish() {
    let (emu, client) = start(1024).await;
    let space = emu.workspace_id().to_string();
    let req = CreateBotRequest::new(space.as_str(), "Helper")
        .description("helps")
        .prompt("be brief")
        .onboarding(OnboardingInfo::new("Hi!").question("What can you do?"));
    let bot = client.bots().create(req).await.unwrap();

    let refused = chat(&client, &bot, EnterMessage::user("hi"))
        .await
        .unwrap_err();
    assert_eq!(api_code(&refused), 4015);
    assert!(
        refused.hint().unwrap_or_default().contains("publish"),
        "{:?}",
        refused.hint()
    );

    let drafts = client
        .bots()
        .list(
            ListBotsRequest::new(space.as_str()).publish_status(BotPublishStatus::UnpublishedDraft),
        )
        .collect_all()
        .await
        .unwrap();
    assert!(drafts.iter().any(|b| b.id == bot && !b.is_published));
    let draft = client.bots().retrieve(&bot, false).await.unwrap();
    assert_eq!(
        draft.onboarding_info.unwrap().suggested_questions,
        ["What can you do?"]
    );

    client
        .bots()
        .update(UpdateBotRequest::new(bot.clone()).name("Helper 2"))
        .await
        .unwrap();
    let published = client.bots().publish(&bot).await.unwrap();
    assert_eq!(published.bot_id, bot);
    assert!(!published.version.is_empty());

    assert_eq!(
        chat(&client, &bot, EnterMessage::user("hi")).await.unwrap(),
        "You said: \"hi\".\n\n- words: 1\n- characters: 2\n\n```text\nhi\n```"
    );
    let online = client.bots().retrieve_online(&bot).await.unwrap();
    assert_eq!(
        (
            online.name.as_str(),
            online.prompt_info.unwrap().prompt.as_str()
        ),
        ("Helper 2", "be brief")
    );
    let listed = client
        .bots()
        .list(ListBotsRequest::new(space.as_str()).page_size(2))
        .collect_all()
        .await
        .unwrap();
    assert!(listed.iter().any(|b| b.id == bot && b.is_published));
    let legacy = client
        .bots()
        .list_published(space.as_str(), 2)
        .collect_all()
        .await
        .unwrap();
    assert_eq!(
        legacy.len(),
        listed.len(),
        "both lists show the published bots"
    );

    client
        .bots()
        .unpublish(&bot, coze_sdk::API_CONNECTOR)
        .await
        .unwrap();
    assert_eq!(
        api_code(
            &chat(&client, &bot, EnterMessage::user("hi"))
                .await
                .unwrap_err()
        ),
        4015
    );
    assert_eq!(
        api_code(&client.bots().retrieve_online(&bot).await.unwrap_err()),
        4015
    );
    let unknown = client.bots().publish(&BotId::new("1")).await.unwrap_err();
    assert_eq!(api_code(&unknown), 4200);
}

#[tokio::test]
async fn upload_with_progress_then_use_the_file_in_chat() {
    let (emu, client) = start(1024 * 1024).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.txt");
    std::fs::write(&path, vec![b'a'; 200_000]).unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    let upload = FileUpload::from_path(&path)
        .await
        .unwrap()
        .on_progress(move |sent, total| {
            sink.lock().unwrap().push((sent, total));
        });
    let file = client.files().upload(upload).await.unwrap();
    assert_eq!(
        (file.file_name.as_str(), file.bytes.get()),
        ("report.txt", 200_000)
    );
    let seen = seen.lock().unwrap().clone();
    assert!(seen.len() >= 3, "progress in chunks: {seen:?}");
    assert_eq!(seen.last(), Some(&(200_000, 200_000)));
    assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));

    assert_eq!(client.files().retrieve(&file.id).await.unwrap(), file);
    assert_eq!(
        api_code(
            &client
                .files()
                .retrieve(&FileId::new("1"))
                .await
                .unwrap_err()
        ),
        4200
    );

    let echo = BotId::new(emu.bots().echo.clone());
    let message = EnterMessage::user_parts([
        ContentPart::text("summarise"),
        ContentPart::file_id(file.id.clone()),
    ]);
    let answer = chat(&client, &echo, message).await.unwrap();
    assert!(answer.contains("\"report.txt\""), "{answer}");
    let image = EnterMessage::user_parts([
        ContentPart::text("what is it?"),
        ContentPart::image_url("https://example.com/a/cat.png"),
    ]);
    let answer = chat(&client, &echo, image).await.unwrap();
    assert!(answer.contains("\"cat.png\""), "{answer}");
}

#[tokio::test]
async fn too_large_empty_and_missing_files_are_refused() {
    let (_emu, client) = start(100).await;
    let big = client
        .files()
        .upload(FileUpload::from_bytes("big.bin", vec![0u8; 101]))
        .await
        .unwrap_err();
    assert_eq!(api_code(&big), 4302);
    let empty = client
        .files()
        .upload(FileUpload::from_bytes("e.txt", Vec::new()))
        .await
        .unwrap_err();
    assert!(matches!(empty, Error::InvalidRequest(_)), "{empty:?}");
    let missing = FileUpload::from_path("/no/such/file.txt")
        .await
        .unwrap_err();
    assert!(matches!(missing, Error::Io { .. }), "{missing:?}");
    let streamed = FileUpload::from_stream(
        "s.txt",
        futures_util::stream::iter([Ok(bytes_of("ab")), Ok(bytes_of("cd"))]),
    )
    .await
    .unwrap();
    assert_eq!(client.files().upload(streamed).await.unwrap().bytes, 4);
}

fn bytes_of(s: &'static str) -> bytes::Bytes {
    bytes::Bytes::from_static(s.as_bytes())
}
