//! JWT service tokens as a per-visitor token server uses them: a token issued with a
//! `session_name` sees only that session's conversations, and a token whose scope lists some
//! bots gets 4101 for any other bot.

#![allow(clippy::unwrap_used)]

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{Harness, ok_body};
use rsa::RsaPrivateKey;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use serde_json::{Value, json};
use sha2::Sha256;

/// A service token from the emulator's JWT app, with an optional session name and scope.
async fn service_token(h: &Harness, session_name: Option<&str>, scope: Option<Value>) -> String {
    let oauth = &h.emu.info()["oauth"];
    let pem = std::fs::read_to_string(oauth["jwt_private_key_path"].as_str().unwrap()).unwrap();
    let key = SigningKey::<Sha256>::new(RsaPrivateKey::from_pkcs8_pem(&pem).unwrap());
    let host = url::Url::parse(h.emu.base_url()).unwrap();
    let audience = format!("{}:{}", host.host_str().unwrap(), host.port().unwrap());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut claims = json!({
        "iss": oauth["jwt_app_id"], "aud": audience, "iat": now, "exp": now + 600,
        "jti": format!("{:032x}", rand::random::<u128>()),
    });
    if let Some(session) = session_name {
        claims["session_name"] = json!(session);
    }
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": oauth["jwt_key_id"]});
    let mut jwt = URL_SAFE_NO_PAD.encode(header.to_string());
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(claims.to_string()));
    let signature = key.sign(jwt.as_bytes()).to_bytes();
    jwt.push('.');
    jwt.push_str(&URL_SAFE_NO_PAD.encode(signature));
    let mut body = json!({
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "duration_seconds": 600,
    });
    if let Some(scope) = scope {
        body["scope"] = scope;
    }
    let resp = h
        .http
        .post(h.url("/api/permission/oauth2/token"))
        .bearer_auth(jwt)
        .json(&body)
        .send()
        .await
        .unwrap();
    let answer: Value = resp.json().await.unwrap();
    answer["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no token: {answer}"))
        .to_string()
}

async fn call(h: &Harness, token: &str, method: &str, path: &str, body: Value) -> Value {
    let request = match method {
        "GET" => h.http.get(h.url(path)),
        "PUT" => h.http.put(h.url(path)).json(&body),
        "DELETE" => h.http.delete(h.url(path)),
        _ => h.http.post(h.url(path)).json(&body),
    };
    request
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn ids(list: &Value) -> Vec<String> {
    list["data"]["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn a_session_token_sees_only_its_own_conversations() {
    let h = Harness::start().await;
    let echo = h.emu.bots().echo.clone();
    let alice = service_token(&h, Some("visitor-alice"), None).await;
    let bob = service_token(&h, Some("visitor-bob"), None).await;

    let created = call(
        &h,
        &alice,
        "POST",
        "/v1/conversation/create",
        json!({"bot_id": echo}),
    )
    .await;
    let conv = created["data"]["id"].as_str().unwrap().to_string();
    let chat = call(
        &h,
        &alice,
        "POST",
        &format!("/v3/chat?conversation_id={conv}"),
        json!({"bot_id": echo, "user_id": "alice", "additional_messages": [
            {"role": "user", "content": "secret of alice", "content_type": "text"}]}),
    )
    .await;
    assert_eq!(chat["code"], 0, "{chat}");
    let chat_id = chat["data"]["id"].as_str().unwrap().to_string();

    let list = format!("/v1/conversations?bot_id={echo}");
    let listed = ids(&call(&h, &alice, "GET", &list, Value::Null).await);
    assert_eq!(listed, std::slice::from_ref(&conv));
    assert!(
        ids(&call(&h, &bob, "GET", &list, Value::Null).await).is_empty(),
        "bob lists none of alice's conversations"
    );
    // The account's own PAT (no session) still sees every conversation of the user.
    let pat = h.emu.pat().to_string();
    assert!(ids(&call(&h, &pat, "GET", &list, Value::Null).await).contains(&conv));

    // Every way of reaching alice's conversation with bob's token is "not found", never 4101,
    // so conversation ids of other visitors are not confirmed.
    let attempts = [
        (
            "GET",
            format!("/v1/conversation/retrieve?conversation_id={conv}"),
            Value::Null,
        ),
        (
            "POST",
            format!("/v1/conversation/message/list?conversation_id={conv}"),
            json!({}),
        ),
        (
            "POST",
            format!("/v1/conversation/message/create?conversation_id={conv}"),
            json!({"role": "user", "content": "hi", "content_type": "text"}),
        ),
        (
            "POST",
            format!("/v3/chat?conversation_id={conv}"),
            json!({"bot_id": echo, "user_id": "bob", "additional_messages": [
                {"role": "user", "content": "hi", "content_type": "text"}]}),
        ),
        (
            "GET",
            format!("/v3/chat/retrieve?conversation_id={conv}&chat_id={chat_id}"),
            Value::Null,
        ),
        (
            "GET",
            format!("/v3/chat/message/list?conversation_id={conv}&chat_id={chat_id}"),
            Value::Null,
        ),
        (
            "PUT",
            format!("/v1/conversations/{conv}"),
            json!({"name": "mine now"}),
        ),
        ("POST", format!("/v1/conversations/{conv}/clear"), json!({})),
        ("DELETE", format!("/v1/conversations/{conv}"), Value::Null),
    ];
    for (method, path, body) in attempts {
        let answer = call(&h, &bob, method, &path, body).await;
        assert_eq!(answer["code"], 4200, "{method} {path}: {answer}");
        assert!(
            !answer.to_string().contains("secret of alice"),
            "{method} {path}: {answer}"
        );
    }

    // Alice still has it, unchanged, with her message in it.
    let retrieved = call(
        &h,
        &alice,
        "GET",
        &format!("/v1/conversation/retrieve?conversation_id={conv}"),
        Value::Null,
    )
    .await;
    assert_eq!(retrieved["code"], 0, "{retrieved}");
    assert_eq!(retrieved["data"]["name"], "");
    let messages = call(
        &h,
        &alice,
        "POST",
        &format!("/v1/conversation/message/list?conversation_id={conv}"),
        json!({}),
    )
    .await;
    assert!(
        messages.to_string().contains("secret of alice"),
        "{messages}"
    );
}

#[tokio::test]
async fn a_token_scoped_to_some_bots_gets_4101_for_the_others() {
    let h = Harness::start().await;
    let bots = h.emu.bots();
    let scope = json!({
        "account_permission": {"permission_list": ["Connector.botChat"]},
        "attribute_constraint": {"connector_bot_chat_attribute": {"bot_id_list": [bots.echo]}}
    });
    let token = service_token(&h, Some("visitor-1"), Some(scope)).await;
    let chat = |bot: &str| {
        json!({"bot_id": bot, "user_id": "visitor-1", "additional_messages": [
            {"role": "user", "content": "hi", "content_type": "text"}]})
    };

    let allowed = call(&h, &token, "POST", "/v3/chat", chat(&bots.echo)).await;
    assert_eq!(allowed["code"], 0, "{allowed}");
    for other in [&bots.tool, &bots.failing] {
        let refused = call(&h, &token, "POST", "/v3/chat", chat(other)).await;
        assert_eq!(refused["code"], 4101, "{refused}");
        assert!(refused["msg"].as_str().unwrap().contains(other.as_str()));
        let create = call(
            &h,
            &token,
            "POST",
            "/v1/conversation/create",
            json!({"bot_id": other}),
        )
        .await;
        assert_eq!(create["code"], 4101, "{create}");
        let list = call(
            &h,
            &token,
            "GET",
            &format!("/v1/conversations?bot_id={other}"),
            Value::Null,
        )
        .await;
        assert_eq!(list["code"], 4101, "{list}");
        let info = call(
            &h,
            &token,
            "GET",
            &format!("/v1/bot/get_online_info?bot_id={other}"),
            Value::Null,
        )
        .await;
        assert_eq!(info["code"], 4101, "{info}");
    }
    // The same request with an unscoped token goes through.
    let unscoped = service_token(&h, Some("visitor-1"), None).await;
    let ok = h
        .http
        .post(h.url("/v3/chat"))
        .bearer_auth(&unscoped)
        .json(&chat(&bots.tool))
        .send()
        .await
        .unwrap();
    ok_body(ok).await;
}
