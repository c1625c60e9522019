//! Conversation messages against the emulator: create, cursor pages, retrieve, modify, delete.

mod common;

use std::collections::HashMap;

use common::*;
use coze_sdk::{
    ContentPart, ContentType, CreateConversationRequest, EnterMessage, ListMessagesRequest,
    MessageRole, ModifyMessageRequest, SortOrder,
};
use futures_util::StreamExt;

#[tokio::test]
async fn create_retrieve_modify_delete() {
    let emu = emulator().await;
    let client = client(&emu);
    let conv = unwrap_ok(
        client
            .conversations()
            .create(CreateConversationRequest::new())
            .await,
    );
    let msg = unwrap_ok(
        client
            .messages()
            .create(&conv.id, EnterMessage::user("hello").meta_data("a", "1"))
            .await,
    );
    assert_eq!(msg.role, MessageRole::User);
    assert_eq!(msg.content, "hello");
    assert_eq!(msg.conversation_id, conv.id);

    let got = unwrap_ok(client.messages().retrieve(&conv.id, &msg.id).await);
    assert_eq!(got.id, msg.id);
    assert_eq!(got.meta_data.get("a").map(String::as_str), Some("1"));

    let modified = unwrap_ok(
        client
            .messages()
            .modify(
                &conv.id,
                &msg.id,
                ModifyMessageRequest::new()
                    .text("hello again")
                    .meta_data(HashMap::from([("b".to_owned(), "2".to_owned())])),
            )
            .await,
    );
    assert_eq!(modified.content, "hello again");
    assert_eq!(modified.meta_data.get("b").map(String::as_str), Some("2"));

    let parts = [
        ContentPart::text("look"),
        ContentPart::image_url("https://e.x/p.png"),
    ];
    let mm = unwrap_ok(
        client
            .messages()
            .create(&conv.id, EnterMessage::user_parts(parts))
            .await,
    );
    assert_eq!(mm.content_type, ContentType::ObjectString);
    let items: serde_json::Value = serde_json::from_str(&mm.content).unwrap();
    assert_eq!(items[1]["file_url"], "https://e.x/p.png");

    let deleted = unwrap_ok(client.messages().delete(&conv.id, &msg.id).await);
    assert_eq!(deleted.id, msg.id);
    assert!(client.messages().retrieve(&conv.id, &msg.id).await.is_err());

    let err = client
        .messages()
        .create(&conv.id, EnterMessage::user(""))
        .await
        .expect_err("empty");
    assert!(matches!(err, coze_sdk::Error::InvalidRequest(_)));
}

#[tokio::test]
async fn list_pages_with_the_cursor_in_both_orders() {
    let emu = emulator().await;
    let client = client(&emu);
    let conv = unwrap_ok(
        client
            .conversations()
            .create(CreateConversationRequest::new())
            .await,
    );
    let mut ids = Vec::new();
    for i in 0..7 {
        let m = unwrap_ok(
            client
                .messages()
                .create(&conv.id, EnterMessage::user(format!("m{i}")))
                .await,
        );
        ids.push(m.id);
    }

    let req = ListMessagesRequest::new().limit(3);
    let mut pages = client.messages().list(&conv.id, req.clone());
    let mut sizes = Vec::new();
    let mut desc = Vec::new();
    while let Some(page) = pages.next().await {
        let page = unwrap_ok(page);
        sizes.push(page.items.len());
        desc.extend(page.items.into_iter().map(|m| m.id));
    }
    assert_eq!(sizes, [3, 3, 1]);
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(desc, expected);

    let asc: Vec<_> = client
        .messages()
        .list(&conv.id, req.order(SortOrder::Asc))
        .items()
        .map(|m| unwrap_ok(m).id)
        .collect()
        .await;
    assert_eq!(asc, ids);

    let first = unwrap_ok(
        client
            .messages()
            .list_page(&conv.id, &ListMessagesRequest::new().limit(2))
            .await,
    );
    assert_eq!(first.messages.len(), 2);
    assert!(first.has_more);
    assert_eq!(first.first_id, ids[6]);
    assert_eq!(first.last_id, ids[5]);
}
