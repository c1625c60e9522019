//! Conversations against the emulator: CRUD, pagination, clear.

mod common;

use common::*;
use coze_sdk::{ChatRequest, CreateConversationRequest, EnterMessage, ListConversationsRequest};
use futures_util::StreamExt;

#[tokio::test]
async fn create_retrieve_rename_delete() {
    let emu = emulator().await;
    let client = client(&emu);
    let created = unwrap_ok(
        client
            .conversations()
            .create(
                CreateConversationRequest::new()
                    .bot_id(&emu.bots().echo)
                    .name("first")
                    .meta_data("k", "v")
                    .message(EnterMessage::user("seed")),
            )
            .await,
    );
    assert!(!created.id.is_empty());
    assert!(created.created_at.is_set());
    assert_eq!(created.meta_data.get("k").map(String::as_str), Some("v"));

    let got = unwrap_ok(client.conversations().retrieve(&created.id).await);
    assert_eq!(got.id, created.id);

    let renamed = unwrap_ok(client.conversations().rename(&created.id, "renamed").await);
    assert_eq!(renamed.name, "renamed");
    assert_eq!(
        unwrap_ok(client.conversations().retrieve(&created.id).await).name,
        "renamed"
    );

    unwrap_ok(client.conversations().delete(&created.id).await);
    let err = client
        .conversations()
        .retrieve(&created.id)
        .await
        .expect_err("deleted");
    assert!(err.code().is_some_and(|c| c != 0), "{err}");
}

#[tokio::test]
async fn list_walks_every_page_lazily() {
    let emu = emulator().await;
    let client = client(&emu);
    let mut ids = Vec::new();
    for i in 0..5 {
        let req = CreateConversationRequest::new()
            .bot_id(&emu.bots().echo)
            .name(format!("c{i}"));
        ids.push(unwrap_ok(client.conversations().create(req).await).id);
    }
    // Another bot's conversation is not listed.
    unwrap_ok(
        client
            .conversations()
            .create(CreateConversationRequest::new().bot_id(&emu.bots().tool))
            .await,
    );

    let req = ListConversationsRequest::new(&emu.bots().echo).page_size(2);
    let mut pages = client.conversations().list(req.clone());
    let mut sizes = Vec::new();
    let mut listed = Vec::new();
    while let Some(page) = pages.next().await {
        let page = unwrap_ok(page);
        sizes.push(page.items.len());
        listed.extend(page.items.into_iter().map(|c| c.id));
    }
    assert_eq!(sizes, [2, 2, 1]);
    let mut expected = ids.clone();
    expected.reverse(); // newest first
    assert_eq!(listed, expected);

    let asc = unwrap_ok(
        client
            .conversations()
            .list(req.ascending(true))
            .collect_all()
            .await,
    );
    assert_eq!(asc.iter().map(|c| c.id.clone()).collect::<Vec<_>>(), ids);

    let page = unwrap_ok(
        client
            .conversations()
            .list_page(
                &ListConversationsRequest::new(&emu.bots().echo)
                    .page_size(2)
                    .page_num(3),
            )
            .await,
    );
    assert_eq!(page.conversations.len(), 1);
    assert!(!page.has_more);
}

#[tokio::test]
async fn clear_starts_a_new_section_the_bot_forgets() {
    let emu = emulator().await;
    let client = client(&emu);
    let conv = unwrap_ok(
        client
            .conversations()
            .create(CreateConversationRequest::new().bot_id(&emu.bots().echo))
            .await,
    );
    let ask = |text: &str| {
        ChatRequest::new(&emu.bots().echo, "u1")
            .conversation(conv.id.clone())
            .user_message(text)
    };
    let (_, err) = collect(unwrap_ok(
        client.chat().stream(ask("remember pineapple")).await,
    ))
    .await;
    assert!(err.is_none());

    let section = unwrap_ok(client.conversations().clear(&conv.id).await);
    assert_eq!(section.conversation_id, conv.id);
    assert_ne!(section.id, conv.last_section_id);
    let after = unwrap_ok(client.conversations().retrieve(&conv.id).await);
    assert_eq!(after.last_section_id, section.id);

    let (events, _) = collect(unwrap_ok(
        client.chat().stream(ask("what did I say?")).await,
    ))
    .await;
    let answer = deltas(&events);
    assert!(!answer.contains("pineapple"), "{answer}");
}
