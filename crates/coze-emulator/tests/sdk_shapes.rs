//! Requests and answers the official SDKs depend on, found by the @coze/api conformance suite:
//! the deprecated `knowledge.documents.list` of @coze/api sends a GET with a query, and every id
//! the emulator hands out (folders included) fits in an int64, as Coze's ids do.

#![allow(clippy::unwrap_used)]

use coze_emulator::Emulator;
use reqwest::{Client, Method};
use serde_json::{Value, json};

async fn call(emu: &Emulator, method: Method, path: &str, body: Option<Value>) -> Value {
    let http = Client::builder().no_proxy().build().unwrap();
    let mut req = http
        .request(method, format!("{}{path}", emu.base_url()))
        .bearer_auth(emu.pat());
    if let Some(body) = body {
        req = req.json(&body);
    }
    req.send().await.unwrap().json().await.unwrap()
}

#[tokio::test]
async fn document_list_answers_a_get_with_a_query_like_the_post() {
    let emu = Emulator::start().await.unwrap();
    let ws = emu.workspace_id().to_string();
    let created = call(
        &emu,
        Method::POST,
        "/v1/datasets",
        Some(json!({"name": "kb", "space_id": ws, "format_type": 0})),
    )
    .await;
    let dataset = created["data"]["dataset_id"].as_str().unwrap().to_string();
    let file = |name: &str| json!({"name": name, "source_info": {"file_base64": "SGk=", "file_type": "txt"}});
    let docs = call(
        &emu,
        Method::POST,
        "/open_api/knowledge/document/create",
        Some(json!({"dataset_id": dataset, "document_bases": [file("a.txt"), file("b.txt")]})),
    )
    .await;
    assert_eq!(docs["code"], 0, "{docs}");

    let post = call(
        &emu,
        Method::POST,
        "/open_api/knowledge/document/list",
        Some(json!({"dataset_id": dataset, "page": 2, "size": 1})),
    )
    .await;
    let get = call(
        &emu,
        Method::GET,
        &format!("/open_api/knowledge/document/list?dataset_id={dataset}&page=2&size=1"),
        None,
    )
    .await;
    assert_eq!(get["code"], 0, "{get}");
    assert_eq!(get["total"], 2);
    let names = |v: &Value| -> Vec<String> {
        v["document_infos"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&get), vec!["b.txt"]);
    assert_eq!(names(&get), names(&post));

    let missing = call(&emu, Method::GET, "/open_api/knowledge/document/list", None).await;
    assert_eq!(missing["code"], 4000, "{missing}");
    assert!(missing["msg"].as_str().unwrap().contains("dataset_id"));
    let unknown = call(
        &emu,
        Method::GET,
        "/open_api/knowledge/document/list?dataset_id=7000000000000000001",
        None,
    )
    .await;
    assert_eq!(unknown["code"], 4200, "{unknown}");
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn folder_and_app_ids_fit_in_an_int64() {
    let emu = Emulator::start().await.unwrap();
    let ws = emu.workspace_id().to_string();
    let team = call(
        &emu,
        Method::POST,
        "/v1/workspaces",
        Some(json!({"name": "team"})),
    )
    .await["data"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let mut ids = Vec::new();
    for w in [&ws, &team] {
        let folders = call(
            &emu,
            Method::GET,
            &format!("/v1/folders?workspace_id={w}"),
            None,
        )
        .await;
        for f in folders["data"]["items"].as_array().unwrap() {
            ids.push(f["id"].as_str().unwrap().to_string());
        }
        let apps = call(
            &emu,
            Method::GET,
            &format!("/v1/apps?workspace_id={w}"),
            None,
        )
        .await;
        let app = &apps["data"]["items"][0];
        ids.push(app["folder_id"].as_str().unwrap().to_string());
        ids.push(app["id"].as_str().unwrap().to_string());
    }
    for id in &ids {
        assert!(id.parse::<i64>().is_ok(), "{id} is not an int64");
    }
    // Each workspace has its own two folders, and an app's folder is one of them.
    let folders: std::collections::BTreeSet<&String> =
        [&ids[0], &ids[1], &ids[4], &ids[5]].into_iter().collect();
    assert_eq!(folders.len(), 4, "{ids:?}");
    assert_eq!(ids[2], ids[0]);
    assert_eq!(ids[6], ids[4]);
    let folder = call(&emu, Method::GET, &format!("/v1/folders/{}", ids[4]), None).await;
    assert_eq!(folder["data"]["workspace_id"], team.as_str());
    emu.shutdown().await.unwrap();
}

#[tokio::test]
async fn a_wrong_method_is_a_coze_refusal_not_a_bare_405() {
    let emu = Emulator::start().await.unwrap();
    let http = Client::builder().no_proxy().build().unwrap();
    let resp = http
        .put(format!("{}/v1/api_apps", emu.base_url()))
        .bearer_auth(emu.pat())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], 4000, "{body}");
    let msg = body["msg"].as_str().unwrap();
    assert!(msg.contains("PUT") && msg.contains("/v1/api_apps"), "{msg}");
    assert!(
        body["detail"]["logid"]
            .as_str()
            .is_some_and(|l| !l.is_empty()),
        "{body}"
    );
    // The right method still works.
    let ok = call(
        &emu,
        Method::POST,
        "/v1/api_apps",
        Some(json!({"app_type": "normal", "name": "hooks"})),
    )
    .await;
    assert_eq!(ok["code"], 0, "{ok}");
    emu.shutdown().await.unwrap();
}
