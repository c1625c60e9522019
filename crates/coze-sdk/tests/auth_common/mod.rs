//! Shared helpers of the auth integration tests: an emulator, its OAuth info, and a
//! "browser" that follows the authorize URL until the redirect URI.

#![allow(dead_code)]

use std::time::Duration;

use coze_emulator::{Emulator, EmulatorConfig};
use serde_json::{Value, json};

pub const REDIRECT: &str = "http://127.0.0.1:8080/callback";

pub struct Env {
    pub emu: Emulator,
    pub oauth: Value,
    pub http: reqwest::Client,
}

impl Env {
    pub async fn start() -> Env {
        Env::with_ttl(Duration::from_secs(900)).await
    }

    pub async fn with_ttl(token_ttl: Duration) -> Env {
        let config = EmulatorConfig {
            token_ttl,
            ..EmulatorConfig::default()
        };
        let emu = Emulator::start_with(config).await.expect("emulator starts");
        let oauth = emu.info()["oauth"].clone();
        let http = reqwest::Client::builder()
            .no_proxy()
            .build()
            .expect("http client");
        Env { emu, oauth, http }
    }

    pub fn base(&self) -> &str {
        self.emu.base_url()
    }

    pub fn s(&self, key: &str) -> String {
        self.oauth[key]
            .as_str()
            .unwrap_or_else(|| panic!("oauth info has no {key}"))
            .to_string()
    }

    /// POSTs a JSON switch under `/_emulator`.
    pub async fn switch(&self, path: &str, body: Value) -> Value {
        let resp = self
            .http
            .post(format!("{}{path}", self.base()))
            .json(&body)
            .send()
            .await
            .expect("switch request");
        assert!(resp.status().is_success(), "{path} -> {}", resp.status());
        resp.json().await.expect("switch answer")
    }

    pub async fn consent(&self, mode: &str) {
        self.switch("/_emulator/oauth/consent_mode", json!({ "mode": mode }))
            .await;
    }

    pub async fn stats(&self) -> Value {
        let url = format!("{}/_emulator/oauth/stats", self.base());
        self.http
            .get(url)
            .send()
            .await
            .expect("stats")
            .json()
            .await
            .expect("stats json")
    }

    /// A client using `token` (a PAT-like static token) against the emulator.
    pub fn client_with(&self, token: &str) -> coze_sdk::Client {
        coze_sdk::Client::builder()
            .base_url(self.base())
            .token(token)
            .build()
            .expect("client")
    }
}

/// Acts as the browser: follows redirects until the redirect URI (not requested), and
/// returns the query of the final redirect as pairs, or the final response's status and
/// body when it is not a redirect to the redirect URI.
pub async fn browse(url: &str) -> Result<Vec<(String, String)>, (u16, String)> {
    let policy = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.url().path() == "/callback" {
            attempt.stop()
        } else {
            attempt.follow()
        }
    });
    let browser = reqwest::Client::builder()
        .no_proxy()
        .redirect(policy)
        .build()
        .expect("browser");
    let resp = browser.get(url).send().await.expect("authorize request");
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    match location {
        Some(loc) if status == 302 => {
            let url = url::Url::parse(&loc).expect("absolute redirect");
            Ok(url.query_pairs().into_owned().collect())
        }
        _ => Err((status, resp.text().await.unwrap_or_default())),
    }
}

pub fn param<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}
