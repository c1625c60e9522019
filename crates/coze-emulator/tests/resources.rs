//! Workspaces, bots (create → 4015 → publish → chat → unpublish), files (upload, retrieve,
//! 4302, used in chat) on the wire.

#![allow(clippy::unwrap_used)]

use coze_emulator::{Emulator, EmulatorConfig};
use reqwest::Client;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

struct H {
    emu: Emulator,
    http: Client,
}

impl H {
    async fn start() -> H {
        let config = EmulatorConfig {
            max_upload_bytes: 1024,
            ..Default::default()
        };
        let emu = Emulator::start_with(config).await.unwrap();
        H {
            emu,
            http: Client::builder().no_proxy().build().unwrap(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emu.base_url())
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(self.url(path))
            .bearer_auth(self.emu.pat())
            .json(&body)
            .send()
            .await
            .unwrap();
        resp.json().await.unwrap()
    }

    async fn get(&self, path: &str) -> Value {
        let resp = self
            .http
            .get(self.url(path))
            .bearer_auth(self.emu.pat())
            .send()
            .await
            .unwrap();
        resp.json().await.unwrap()
    }

    async fn upload(&self, name: &str, data: Vec<u8>) -> Value {
        let form = Form::new().part(
            "file",
            Part::bytes(data)
                .file_name(name.to_string())
                .mime_str("text/plain")
                .unwrap(),
        );
        let resp = self
            .http
            .post(self.url("/v1/files/upload"))
            .bearer_auth(self.emu.pat())
            .multipart(form)
            .send()
            .await
            .unwrap();
        resp.json().await.unwrap()
    }

    /// A non-streaming answer of `bot` to `content` (`object_string` when `object`), or the
    /// error body.
    async fn chat(&self, bot: &str, content: &str, object: bool) -> Result<String, Value> {
        let message = json!({"role": "user", "content": content, "content_type": if object { "object_string" } else { "text" }});
        let body = json!({"bot_id": bot, "user_id": "u", "stream": true, "additional_messages": [message]});
        let resp = self
            .http
            .post(self.url("/v3/chat"))
            .bearer_auth(self.emu.pat())
            .json(&body)
            .send()
            .await
            .unwrap();
        let is_stream = resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream");
        let text = resp.text().await.unwrap();
        if !is_stream {
            return Err(serde_json::from_str(&text).unwrap());
        }
        let answer = text
            .split("\n\n")
            .filter_map(|block| block.strip_prefix("event:conversation.message.completed\ndata:"))
            .map(|data| serde_json::from_str::<Value>(data).unwrap())
            .find(|m| m["type"] == "answer")
            .unwrap();
        Ok(answer["content"].as_str().unwrap().to_string())
    }
}

#[tokio::test]
async fn workspaces_list_personal_then_team_with_paging() {
    let h = H::start().await;
    let body = h.get("/v1/workspaces").await;
    assert_eq!(body["code"], 0);
    let list = body["data"]["workspaces"].as_array().unwrap();
    assert_eq!(body["data"]["total_count"], 2);
    assert_eq!(list[0]["workspace_type"], "personal");
    assert_eq!(list[0]["id"], h.emu.workspace_id());
    assert_eq!(list[1]["workspace_type"], "team");
    for ws in list {
        for key in ["id", "name", "icon_url", "role_type", "enterprise_id"] {
            assert!(ws[key].is_string(), "{key} in {ws}");
        }
    }
    let second = h.get("/v1/workspaces?page_num=2&page_size=1").await;
    assert_eq!(second["data"]["workspaces"][0]["workspace_type"], "team");
    assert_eq!(second["data"]["total_count"], 2);
}

#[tokio::test]
async fn huge_page_numbers_give_empty_pages() {
    let h = H::start().await;
    let space = h.emu.workspace_id().to_string();
    let max = i64::MAX;
    let ws = h.get(&format!("/v1/workspaces?page_num={max}")).await;
    assert_eq!(ws["data"]["workspaces"], json!([]), "{ws}");
    let wf = h.get(&format!("/v1/workflows?page_num={max}")).await;
    assert_eq!(wf["code"], 0, "{wf}");
    let bots = h
        .get(&format!("/v1/bots?workspace_id={space}&page_num={max}"))
        .await;
    assert_eq!(bots["code"], 0, "{bots}");
    let legacy = h
        .get(&format!(
            "/v1/space/published_bots_list?space_id={space}&page_index={max}"
        ))
        .await;
    assert_eq!(legacy["data"]["space_bots"], json!([]), "{legacy}");
}

#[tokio::test]
async fn created_bot_chats_only_while_published() {
    let h = H::start().await;
    let space = h.emu.workspace_id().to_string();
    let created = h
        .post(
            "/v1/bot/create",
            json!({"space_id": space, "name": "Helper", "prompt_info": {"prompt": "be nice"}}),
        )
        .await;
    assert_eq!(created["code"], 0, "{created}");
    let bot = created["data"]["bot_id"].as_str().unwrap().to_string();

    assert_eq!(h.chat(&bot, "hi", false).await.unwrap_err()["code"], 4015);
    let drafts = h
        .get(&format!(
            "/v1/bots?workspace_id={space}&publish_status=unpublished_draft"
        ))
        .await;
    assert!(
        drafts["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"] == bot.as_str() && b["is_published"] == false)
    );
    assert_eq!(
        h.get(&format!("/v1/bot/get_online_info?bot_id={bot}"))
            .await["code"],
        4015
    );

    let updated = h
        .post("/v1/bot/update", json!({"bot_id": bot, "name": "Helper 2"}))
        .await;
    assert_eq!(updated["code"], 0);
    let published = h
        .post(
            "/v1/bot/publish",
            json!({"bot_id": bot, "connector_ids": ["1024"]}),
        )
        .await;
    assert_eq!(published["data"]["bot_id"], bot.as_str());
    assert!(published["data"]["version"].is_string());

    assert_eq!(
        h.chat(&bot, "hi", false).await.unwrap(),
        "You said: \"hi\".\n\n- words: 1\n- characters: 2\n\n```text\nhi\n```"
    );
    let online = h
        .get(&format!("/v1/bot/get_online_info?bot_id={bot}"))
        .await;
    assert_eq!(online["data"]["name"], "Helper 2");
    assert_eq!(online["data"]["prompt_info"]["prompt"], "be nice");
    let legacy = h
        .get(&format!(
            "/v1/space/published_bots_list?space_id={space}&page_index=1&page_size=50"
        ))
        .await;
    let entry = legacy["data"]["space_bots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["bot_id"] == bot.as_str())
        .unwrap()
        .clone();
    assert!(entry["publish_time"].is_string());
    // cozepy pages /v1/bots with page_index, the docs with page_num.
    let online_list = h
        .get(&format!(
            "/v1/bots?workspace_id={space}&page_index=1&page_size=50"
        ))
        .await;
    assert!(
        online_list["data"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b["id"] == bot.as_str())
    );

    let edited = h
        .post(
            "/v1/bot/update",
            json!({"bot_id": bot, "description": "edited"}),
        )
        .await;
    assert_eq!(edited["code"], 0);
    let draft = h
        .get(&format!(
            "/v1/bots?workspace_id={space}&publish_status=published_draft"
        ))
        .await;
    assert_eq!(draft["data"]["items"][0]["id"], bot.as_str(), "{draft}");

    let unpublished = h
        .post(
            &format!("/v1/bots/{bot}/unpublish"),
            json!({"bot_id": bot, "connector_id": "1024"}),
        )
        .await;
    assert_eq!(unpublished["code"], 0);
    assert_eq!(h.chat(&bot, "hi", false).await.unwrap_err()["code"], 4015);
    let again = h
        .post(
            &format!("/v1/bots/{bot}/unpublish"),
            json!({"connector_id": "1024"}),
        )
        .await;
    assert_eq!(again["code"], 4000);
    let draft = h.get(&format!("/v1/bots/{bot}?is_published=false")).await;
    assert_eq!(draft["data"]["description"], "edited");
}

#[tokio::test]
async fn bad_bot_requests_are_refused() {
    let h = H::start().await;
    let space = h.emu.workspace_id().to_string();
    let long = h
        .post(
            "/v1/bot/create",
            json!({"space_id": space, "name": "a name far longer than twenty"}),
        )
        .await;
    assert_eq!(long["code"], 4000);
    assert_eq!(
        h.post("/v1/bot/create", json!({"space_id": "1", "name": "x"}))
            .await["code"],
        4200
    );
    assert_eq!(
        h.post(
            "/v1/bot/publish",
            json!({"bot_id": "1", "connector_ids": ["1024"]})
        )
        .await["code"],
        4200
    );
    let bot = h.emu.bots().echo.clone();
    assert_eq!(
        h.post(
            "/v1/bot/publish",
            json!({"bot_id": bot, "connector_ids": []})
        )
        .await["code"],
        4000
    );
    assert_eq!(
        h.get(&format!(
            "/v1/bots?workspace_id={space}&publish_status=nope"
        ))
        .await["code"],
        4000
    );
}

#[tokio::test]
async fn files_upload_retrieve_limit_and_chat() {
    let h = H::start().await;
    let uploaded = h.upload("notes.txt", b"hello file".to_vec()).await;
    assert_eq!(uploaded["code"], 0, "{uploaded}");
    let file = &uploaded["data"];
    assert_eq!(file["file_name"], "notes.txt");
    assert_eq!(file["bytes"], 10);
    assert!(file["created_at"].is_i64());
    let id = file["id"].as_str().unwrap().to_string();
    let got = h.get(&format!("/v1/files/retrieve?file_id={id}")).await;
    assert_eq!(got["data"], *file);
    assert_eq!(h.get("/v1/files/retrieve?file_id=1").await["code"], 4200);

    let big = h.upload("big.bin", vec![b'x'; 4096]).await;
    assert_eq!(big["code"], 4302, "{big}");
    assert!(big["msg"].as_str().unwrap().contains("1024"));
    assert_eq!(h.upload("empty.txt", Vec::new()).await["code"], 4300);

    let echo = h.emu.bots().echo.clone();
    let items =
        json!([{"type": "text", "text": "read this"}, {"type": "file", "file_id": id}]).to_string();
    let answer = h.chat(&echo, &items, true).await.unwrap();
    assert!(answer.contains("\"notes.txt\""), "{answer}");
    let image = json!([{"type": "text", "text": "see"}, {"type": "image", "file_url": "https://example.com/cat.png?x=1"}]).to_string();
    let answer = h.chat(&echo, &image, true).await.unwrap();
    assert!(answer.contains("\"cat.png\""), "{answer}");
}
