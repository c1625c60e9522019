//! Chat v3 on the wire: stream framing, polling, tool calls, cancel, busy conversations.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Harness, assert_id, names, ok_body, parse_chat_sse};
use serde_json::{Value, json};

#[tokio::test]
async fn stream_has_coze_framing_and_consistent_deltas() {
    let h = Harness::start().await;
    let echo = h.emu.bots().echo.clone();
    let events = h.stream_chat(&echo, None, "hello stream").await;
    let n = names(&events);
    assert_eq!(
        &n[..2],
        ["conversation.chat.created", "conversation.chat.in_progress"]
    );
    assert_eq!(&n[n.len() - 2..], ["conversation.chat.completed", "done"]);
    assert_eq!(events.last().unwrap().1, json!("[DONE]"));

    let deltas: Vec<&Value> = events
        .iter()
        .filter(|(e, _)| e == "conversation.message.delta")
        .map(|(_, d)| d)
        .collect();
    assert!(deltas.len() >= 2, "several deltas: {n:?}");
    let completed: Vec<&Value> = events
        .iter()
        .filter(|(e, _)| e == "conversation.message.completed")
        .map(|(_, d)| d)
        .collect();
    let answer = completed.iter().find(|m| m["type"] == "answer").unwrap();
    let joined: String = deltas
        .iter()
        .map(|d| d["content"].as_str().unwrap())
        .collect();
    assert_eq!(joined, answer["content"].as_str().unwrap());
    assert!(deltas.iter().all(|d| d["id"] == answer["id"]));
    assert_eq!(
        answer["content"],
        "You said: \"hello stream\".\n\n- words: 2\n- characters: 12\n\n```text\nhello stream\n```"
    );
    assert_eq!(answer["role"], "assistant");
    assert_eq!(answer["content_type"], "text");
    assert_eq!(answer["bot_id"], echo.as_str());
    assert!(answer["created_at"].is_i64());
    for id in ["id", "conversation_id", "chat_id", "section_id"] {
        assert_id(&answer[id]);
    }
    let verbose = completed.iter().find(|m| m["type"] == "verbose").unwrap();
    let finish: Value = serde_json::from_str(verbose["content"].as_str().unwrap()).unwrap();
    assert_eq!(finish["msg_type"], "generate_answer_finish");
    assert!(
        completed
            .iter()
            .filter(|m| m["type"] == "follow_up")
            .count()
            >= 1
    );

    let chat = Harness::last(&events, "conversation.chat.completed");
    assert_eq!(chat["status"], "completed");
    assert_eq!(chat["last_error"], json!({"code": 0, "msg": ""}));
    let usage = &chat["usage"];
    assert!(
        usage["input_count"].as_i64().unwrap() > 0 && usage["output_count"].as_i64().unwrap() > 0
    );
    assert_eq!(
        usage["token_count"].as_i64().unwrap(),
        usage["input_count"].as_i64().unwrap() + usage["output_count"].as_i64().unwrap()
    );
    assert!(chat["completed_at"].is_i64() && chat["created_at"].is_i64());
    assert_id(&chat["id"]);
    assert_eq!(chat["id"], answer["chat_id"]);
}

#[tokio::test]
async fn echo_remembers_the_section_and_forgets_after_clear() {
    let h = Harness::start().await;
    let echo = h.emu.bots().echo.clone();
    let conv = h
        .ok_post("/v1/conversation/create", json!({"bot_id": echo}))
        .await["data"]
        .clone();
    let cid = conv["id"].as_str().unwrap().to_string();
    assert_eq!(
        conv["last_section_id"], conv["id"],
        "first section id is the conversation id"
    );

    h.stream_chat(&echo, Some(&cid), "pineapple").await;
    let events = h.stream_chat(&echo, Some(&cid), "what did I say?").await;
    let answer = Harness::last(&events, "conversation.chat.completed");
    assert_eq!(answer["conversation_id"], cid.as_str());
    let text = events
        .iter()
        .find(|(e, d)| e == "conversation.message.completed" && d["type"] == "answer")
        .unwrap()
        .1["content"]
        .clone();
    assert_eq!(
        text,
        "You said: \"what did I say?\". Earlier in this conversation you said: \"pineapple\".\n\n- words: 4\n- characters: 15\n\n```text\nwhat did I say?\n```"
    );

    let section = h
        .ok_post(&format!("/v1/conversations/{cid}/clear"), json!(null))
        .await["data"]
        .clone();
    assert_eq!(section["conversation_id"], cid.as_str());
    assert_ne!(section["id"], conv["last_section_id"]);
    let got = h
        .ok_get(&format!("/v1/conversation/retrieve?conversation_id={cid}"))
        .await;
    assert_eq!(got["data"]["last_section_id"], section["id"]);

    let events = h.stream_chat(&echo, Some(&cid), "and now?").await;
    let text = events
        .iter()
        .find(|(e, d)| e == "conversation.message.completed" && d["type"] == "answer")
        .unwrap()
        .1["content"]
        .clone();
    assert_eq!(
        text,
        "You said: \"and now?\".\n\n- words: 2\n- characters: 8\n\n```text\nand now?\n```"
    );
    assert_eq!(
        Harness::last(&events, "conversation.chat.created")["section_id"],
        section["id"]
    );
}

#[tokio::test]
async fn non_streaming_chat_is_in_progress_then_completes_on_retrieve() {
    let h = Harness::start().await;
    let echo = h.emu.bots().echo.clone();
    // cozepy's exact request: empty conversation_id=, explicit nulls in the message dump.
    let body = json!({
        "bot_id": echo, "user_id": "u", "stream": false, "auto_save_history": true,
        "custom_variables": null, "meta_data": {"k": "v"}, "extra_params": null,
        "additional_messages": [{"role": "user", "type": "question", "content": "poll", "content_type": "text",
            "meta_data": null, "id": null, "conversation_id": null, "section_id": null, "bot_id": null,
            "chat_id": null, "created_at": null, "updated_at": null, "reasoning_content": null}],
    });
    let chat = h.ok_post("/v3/chat?conversation_id=", body).await["data"].clone();
    assert_eq!(chat["status"], "in_progress");
    assert_eq!(chat["meta_data"], json!({"k": "v"}));
    assert_eq!(
        chat["inserted_additional_messages"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let (cid, id) = (
        chat["conversation_id"].as_str().unwrap(),
        chat["id"].as_str().unwrap(),
    );

    // Busy until it finishes.
    let second = json!({"bot_id": echo, "user_id": "u", "additional_messages": []});
    let resp = h
        .post(&format!("/v3/chat?conversation_id={cid}"))
        .json(&second)
        .send()
        .await
        .unwrap();
    let busy: Value = resp.json().await.unwrap();
    assert_eq!(busy["code"], 4016, "{busy}");
    assert!(!busy["msg"].as_str().unwrap().is_empty());

    // py retrieves by POST with no body and no Content-Type; go by GET.
    let path = format!("/v3/chat/retrieve?conversation_id={cid}&chat_id={id}");
    let mut done = json!(null);
    for _ in 0..50 {
        done = ok_body(h.post(&path).send().await.unwrap()).await["data"].clone();
        if done["status"] != "in_progress" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(done["status"], "completed", "{done}");
    assert!(done["completed_at"].is_i64());
    let by_get = h.ok_get(&path).await["data"].clone();
    assert_eq!(by_get, done);

    let list = h
        .ok_get(&format!(
            "/v3/chat/message/list?conversation_id={cid}&chat_id={id}"
        ))
        .await;
    let types: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert_eq!(types[0], "answer");
    assert!(types.contains(&"verbose") && types.contains(&"follow_up"));
    assert!(!types.contains(&"question"));

    // And the conversation takes chats again.
    let events = h.stream_chat(&echo, Some(cid), "next").await;
    assert_eq!(
        Harness::last(&events, "conversation.chat.completed")["status"],
        "completed"
    );
}

#[tokio::test]
async fn cancel_running_chat_and_4104_for_finished_one() {
    let h = Harness::start().await;
    let echo = h.emu.bots().echo.clone();
    let body = json!({"bot_id": echo, "user_id": "u", "additional_messages": [{"role": "user", "content": "x", "content_type": "text"}]});
    let chat = h.ok_post("/v3/chat", body).await["data"].clone();
    let (cid, id) = (
        chat["conversation_id"].as_str().unwrap(),
        chat["id"].as_str().unwrap(),
    );
    let canceled = h
        .ok_post(
            "/v3/chat/cancel",
            json!({"conversation_id": cid, "chat_id": id}),
        )
        .await["data"]
        .clone();
    assert_eq!(canceled["status"], "canceled");
    let again = h
        .ok_get(&format!(
            "/v3/chat/retrieve?conversation_id={cid}&chat_id={id}"
        ))
        .await;
    assert_eq!(again["data"]["status"], "canceled");
    let resp = h
        .post("/v3/chat/cancel")
        .json(&json!({"conversation_id": cid, "chat_id": id}))
        .send()
        .await
        .unwrap();
    let refused: Value = resp.json().await.unwrap();
    assert_eq!(refused["code"], 4104, "{refused}");
}

#[tokio::test]
async fn tool_bot_requires_action_and_uses_the_submitted_output() {
    let h = Harness::start().await;
    let tool = h.emu.bots().tool.clone();
    let events = h.stream_chat(&tool, None, "Hangzhou").await;
    let n = names(&events);
    assert_eq!(
        &n[n.len() - 2..],
        ["conversation.chat.requires_action", "done"]
    );
    assert!(!n.contains(&"conversation.chat.completed"));
    let chat = Harness::last(&events, "conversation.chat.requires_action");
    assert_eq!(chat["status"], "requires_action");
    let action = &chat["required_action"];
    assert_eq!(action["type"], "submit_tool_outputs");
    let call = &action["submit_tool_outputs"]["tool_calls"][0];
    assert_id(&call["id"]);
    assert_eq!(call["type"], "function");
    assert_eq!(call["function"]["name"], "get_weather");
    let args: Value =
        serde_json::from_str(call["function"]["arguments"].as_str().unwrap()).unwrap();
    assert_eq!(args, json!({"location": "Hangzhou"}));

    let (cid, id) = (
        chat["conversation_id"].as_str().unwrap(),
        chat["id"].as_str().unwrap(),
    );
    let path = format!("/v3/chat/submit_tool_outputs?conversation_id={cid}&chat_id={id}");
    let wrong = json!({"tool_outputs": [{"tool_call_id": "1", "output": "x"}], "stream": true});
    let resp = h.post(&path).json(&wrong).send().await.unwrap();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], 4000);

    let body = json!({"tool_outputs": [{"tool_call_id": call["id"], "output": "sunny 23C"}], "stream": true, "connector_id": ""});
    let resp = h.post(&path).json(&body).send().await.unwrap();
    let events = parse_chat_sse(&resp.text().await.unwrap());
    let n = names(&events);
    assert_eq!(n[0], "conversation.chat.in_progress");
    assert_eq!(&n[n.len() - 2..], ["conversation.chat.completed", "done"]);
    let answer = events
        .iter()
        .find(|(e, d)| e == "conversation.message.completed" && d["type"] == "answer")
        .unwrap();
    assert_eq!(
        answer.1["content"],
        "The tool get_weather returned: sunny 23C"
    );
    assert_eq!(
        Harness::last(&events, "conversation.chat.completed")["id"],
        id
    );

    let list = h
        .ok_get(&format!(
            "/v3/chat/message/list?conversation_id={cid}&chat_id={id}"
        ))
        .await;
    let types: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["type"].as_str().unwrap())
        .collect();
    assert!(
        types.starts_with(&["function_call", "tool_response", "answer"]),
        "{types:?}"
    );
}

#[tokio::test]
async fn failing_unpublished_and_unknown_bots() {
    let h = Harness::start().await;
    let bots = h.emu.bots().clone();
    let events = h.stream_chat(&bots.failing, None, "hi").await;
    let n = names(&events);
    assert_eq!(&n[n.len() - 2..], ["conversation.chat.failed", "done"]);
    let failed = Harness::last(&events, "conversation.chat.failed");
    assert_eq!(failed["status"], "failed");
    assert_eq!(failed["last_error"]["code"], 5000);
    assert!(failed["failed_at"].is_i64());

    for (bot, code) in [
        (bots.unpublished.as_str(), 4015),
        ("7000000000000000001", 4200),
    ] {
        let body =
            json!({"bot_id": bot, "user_id": "u", "stream": true, "additional_messages": []});
        let resp = h.post("/v3/chat").json(&body).send().await.unwrap();
        assert!(
            resp.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert!(resp.headers().contains_key("x-tt-logid"));
        let err: Value = resp.json().await.unwrap();
        assert_eq!(err["code"], code, "{err}");
        assert!(!err["msg"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn multimodal_object_string_is_read() {
    let h = Harness::start().await;
    let echo = h.emu.bots().echo.clone();
    let content = r#"[{"type": "text", "text": "describe", "file_id": null, "file_url": null}, {"type": "image", "text": null, "file_id": null, "file_url": "https://example.com/cat.png"}]"#;
    let body = json!({"bot_id": echo, "user_id": "u", "stream": true,
        "additional_messages": [{"role": "user", "type": "", "content": content, "content_type": "object_string"}]});
    let resp = h.post("/v3/chat").json(&body).send().await.unwrap();
    let events = parse_chat_sse(&resp.text().await.unwrap());
    let answer = events
        .iter()
        .find(|(e, d)| e == "conversation.message.completed" && d["type"] == "answer")
        .unwrap();
    assert_eq!(
        answer.1["content"],
        "You said: \"describe\". You attached image \"cat.png\" (https://example.com/cat.png).\n\n- words: 1\n- characters: 8\n\n```text\ndescribe\n```"
    );
}

#[tokio::test]
async fn bad_bodies_are_4000() {
    let h = Harness::start().await;
    let resp = h.post("/v3/chat").body("{not json").send().await.unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], 4000);
    let resp = h
        .post("/v3/chat")
        .json(&json!({"user_id": "u"}))
        .send()
        .await
        .unwrap();
    let err: Value = resp.json().await.unwrap();
    assert_eq!(err["code"], 4000);
    assert!(err["msg"].as_str().unwrap().contains("bot_id"));
}

#[tokio::test]
async fn unsaved_chats_leave_no_messages_and_inserted_answers_are_not_chat_output() {
    let h = Harness::start().await;
    let echo = h.emu.bots().echo.clone();
    let conv = h
        .ok_post("/v1/conversation/create", json!({"bot_id": echo}))
        .await["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let body = json!({"bot_id": echo, "user_id": "u", "stream": true, "auto_save_history": false,
        "additional_messages": [{"role": "user", "content": "secret", "content_type": "text"}]});
    let resp = h
        .post(&format!("/v3/chat?conversation_id={conv}"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let events = parse_chat_sse(&resp.text().await.unwrap());
    assert_eq!(
        Harness::last(&events, "conversation.chat.completed")["status"],
        "completed"
    );
    let list = h
        .ok_post(
            &format!("/v1/conversation/message/list?conversation_id={conv}"),
            json!({}),
        )
        .await;
    assert_eq!(list["data"], json!([]));

    // A polled chat whose request carries an earlier assistant turn.
    let body = json!({"bot_id": echo, "user_id": "u", "additional_messages": [
        {"role": "user", "content": "q1", "content_type": "text"}, {"role": "assistant", "type": "answer", "content": "a1", "content_type": "text"},
        {"role": "user", "content": "q2", "content_type": "text"}]});
    let chat = h
        .ok_post(&format!("/v3/chat?conversation_id={conv}"), body)
        .await["data"]
        .clone();
    let id = chat["id"].as_str().unwrap();
    let done = h.wait_chat(&conv, id).await;
    assert_eq!(done["status"], "completed");
    let list = h
        .ok_get(&format!(
            "/v3/chat/message/list?conversation_id={conv}&chat_id={id}"
        ))
        .await;
    let answers: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["type"] == "answer")
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(
        answers,
        [
            "You said: \"q2\". Earlier in this conversation you said: \"q1\".\n\n- words: 1\n- characters: 2\n\n```text\nq2\n```"
        ]
    );
}

#[tokio::test]
async fn shutdown_stops_serving() {
    let h = Harness::start().await;
    let url = h.url("/v1/conversations");
    let Harness { emu, http } = h;
    emu.shutdown().await.unwrap();
    assert!(http.get(&url).send().await.is_err());
}

#[tokio::test]
async fn a_chat_waiting_for_tool_outputs_cannot_be_cancelled_and_does_not_block() {
    let h = Harness::start().await;
    let tool = h.emu.bots().tool.clone();
    let events = h.stream_chat(&tool, None, "Paris").await;
    let chat = Harness::last(&events, "conversation.chat.requires_action");
    let (cid, id) = (
        chat["conversation_id"].as_str().unwrap(),
        chat["id"].as_str().unwrap(),
    );
    let resp = h
        .post("/v3/chat/cancel")
        .json(&json!({"conversation_id": cid, "chat_id": id}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.json::<Value>().await.unwrap()["code"], 4104);
    let events = h
        .stream_chat(&h.emu.bots().echo.clone(), Some(cid), "still free")
        .await;
    assert_eq!(
        Harness::last(&events, "conversation.chat.completed")["status"],
        "completed"
    );
}

#[tokio::test]
async fn unpublished_bot_answers_as_a_draft() {
    let h = Harness::start().await;
    let body = json!({"bot_id": h.emu.bots().unpublished, "user_id": "u", "stream": true,
        "publish_status": "unpublished_draft",
        "additional_messages": [{"role": "user", "content": "draft", "content_type": "text"}]});
    let resp = h.post("/v3/chat").json(&body).send().await.unwrap();
    let events = parse_chat_sse(&resp.text().await.unwrap());
    assert_eq!(
        Harness::last(&events, "conversation.chat.completed")["status"],
        "completed"
    );
}

#[tokio::test]
async fn reasoning_bot_streams_its_thoughts_before_the_answer() {
    let h = Harness::start().await;
    let bot = h.emu.bots().reasoning.clone();
    let events = h.stream_chat(&bot, None, "think twice").await;
    let deltas: Vec<&Value> = events
        .iter()
        .filter(|(e, _)| e == "conversation.message.delta")
        .map(|(_, d)| d)
        .collect();
    let thinking = deltas
        .iter()
        .take_while(|d| d.get("reasoning_content").is_some())
        .count();
    assert!(thinking >= 2, "several reasoning deltas first: {deltas:?}");
    assert!(
        deltas[..thinking].iter().all(|d| d["content"] == ""),
        "reasoning deltas carry no content"
    );
    assert!(
        deltas[thinking..]
            .iter()
            .all(|d| d.get("reasoning_content").is_none() && d["content"] != ""),
        "then only answer deltas: {deltas:?}"
    );
    let thought: String = deltas[..thinking]
        .iter()
        .map(|d| d["reasoning_content"].as_str().unwrap())
        .collect();
    assert!(thought.starts_with("The user wrote \"think twice\" (2 words)."));
    let answer = &events
        .iter()
        .find(|(e, d)| e == "conversation.message.completed" && d["type"] == "answer")
        .unwrap()
        .1;
    assert_eq!(answer["reasoning_content"], thought.as_str());
    assert_eq!(
        answer["content"],
        "You said: \"think twice\".\n\n- words: 2\n- characters: 11\n\n```text\nthink twice\n```"
    );
    assert!(deltas.iter().all(|d| d["id"] == answer["id"]));
}
