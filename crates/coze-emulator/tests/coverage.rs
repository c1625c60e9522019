//! API coverage: every path and method of the official Coze OpenAPI document must have an
//! SDK call (in `crates/coze-sdk/src`) and an emulator route, or be listed with a reason in
//! `tests/coverage-omissions.txt`.
//!
//! Nothing here is a hand-kept list of what is covered:
//! - **SDK calls** are read from the SDK's source: every `ApiRequest::get|post|put|delete(…)`
//!   outside comments and `#[cfg(test)]` code, whose path is a string literal, a `format!`
//!   string, or a variable bound by `let <name> = format!(…)` earlier in the file. A call whose
//!   path cannot be read this way fails the test (write the path inline).
//! - **Emulator routes** are probed on a running emulator: a path is routed unless the
//!   emulator answers with its fallback ("does not implement", HTTP 404) or HTTP 405.
//!
//! A second check does the same for the calls of the official SDKs that the document does not
//! list (`tests/sdk-extras.txt`), so a user never has to fall back to cozepy or @coze/api.
//!
//! The official OpenAPI document is read from `$COZE_OPENAPI_YAML`, else from the
//! `shared/reference/coze-sdk-gen/` folder that CI places next to the checkout; without it the
//! test prints why and passes.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use coze_emulator::Emulator;

/// `(METHOD, path template)` with every `{param}` normalised to `{}`.
type Op = (String, String);

fn normalise(path: &str) -> String {
    path.split('/')
        .map(|seg| if seg.contains('{') { "{}" } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The operations of the OpenAPI document, in document order (a line scan: paths are the
/// two-space-indented keys under `paths:`, methods the four-space-indented keys below them).
fn openapi_ops(yaml: &str) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    let mut in_paths = false;
    let mut current: Option<String> = None;
    for line in yaml.lines() {
        if !line.starts_with(' ') && !line.is_empty() {
            in_paths = line.trim_end() == "paths:";
            current = None;
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(rest) = line.strip_prefix("  ")
            && rest.starts_with('/')
            && let Some(path) = rest.trim_end().strip_suffix(':')
        {
            current = Some(path.trim_matches(|c| c == '"' || c == '\'').to_string());
            continue;
        }
        if let Some(rest) = line.strip_prefix("    ")
            && !rest.starts_with(' ')
            && let Some(method) = rest.trim_end().strip_suffix(':')
            && matches!(method, "get" | "post" | "put" | "delete" | "patch")
            && let Some(path) = &current
        {
            ops.push((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The first string literal at the start of `s` (after whitespace), without escapes.
fn leading_literal(s: &str) -> Option<&str> {
    let s = s.trim_start();
    let s = s.strip_prefix('"')?;
    s.find('"').map(|end| &s[..end])
}

/// Reads the path argument at `arg` (the text right after `ApiRequest::method(`).
fn request_path(code: &str, call_at: usize, arg: &str) -> Option<String> {
    let arg = arg.trim_start().trim_start_matches('&');
    if let Some(lit) = leading_literal(arg) {
        return Some(lit.to_string());
    }
    if let Some(rest) = arg.strip_prefix("format!(") {
        return leading_literal(rest).map(str::to_string);
    }
    let ident: String = arg
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    if ident.is_empty() {
        return None;
    }
    let binding = format!("let {ident} = format!(");
    let before = &code[..call_at];
    let at = before.rfind(&binding)?;
    leading_literal(&before[at + binding.len()..]).map(str::to_string)
}

/// The SDK's calls, and the ones whose path could not be read (`file:line`).
fn sdk_calls() -> (BTreeMap<Op, String>, Vec<String>) {
    let src = repo_root().join("crates/coze-sdk/src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut calls = BTreeMap::new();
    let mut unreadable = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        // Blank out comment lines, keeping offsets (and line numbers) intact.
        let code: String = text
            .lines()
            .map(|l| {
                if l.trim_start().starts_with("//") {
                    String::new()
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let name = file.strip_prefix(&src).unwrap().display().to_string();
        for method in ["get", "post", "put", "delete"] {
            let needle = format!("ApiRequest::{method}(");
            for (at, _) in code.match_indices(&needle) {
                let line = code[..at].lines().count();
                match request_path(&code, at, &code[at + needle.len()..]) {
                    Some(path) => {
                        calls
                            .entry((method.to_uppercase(), normalise(&path)))
                            .or_insert(format!("{name}:{line}"));
                    }
                    None => unreadable.push(format!("{name}:{line}")),
                }
            }
        }
    }
    (calls, unreadable)
}

/// Whether the emulator routes `method path` (ids filled in with `1`).
async fn emulator_routes(http: &reqwest::Client, base: &str, method: &str, path: &str) -> bool {
    let concrete: String = path
        .split('/')
        .map(|seg| if seg.contains('{') { "1" } else { seg })
        .collect::<Vec<_>>()
        .join("/");
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let resp = http
        .request(method, format!("{base}{concrete}"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    !(status == 405 || (status == 404 && body.contains("does not implement")))
}

/// `$COZE_OPENAPI_YAML`, else the shared reference beside the checkout (for a git worktree,
/// beside the main checkout).
fn openapi_path() -> PathBuf {
    if let Some(p) = std::env::var_os("COZE_OPENAPI_YAML") {
        return PathBuf::from(p);
    }
    let rel = "shared/reference/coze-sdk-gen/coze-openapi.yaml";
    let root = repo_root();
    let beside = root.join("..").join(rel);
    if beside.exists() {
        return beside;
    }
    // A worktree's `.git` is a file `gitdir: <main>/.git/worktrees/<name>`.
    std::fs::read_to_string(root.join(".git"))
        .ok()
        .and_then(|t| t.strip_prefix("gitdir:").map(|g| PathBuf::from(g.trim())))
        .and_then(|g| g.ancestors().nth(3).map(|main| main.join("..").join(rel)))
        .filter(|p| p.exists())
        .unwrap_or(beside)
}

/// The omissions list: `METHOD /path  # reason` per line; `#` lines are comments.
fn omissions() -> BTreeMap<Op, String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/coverage-omissions.txt"),
    )
    .unwrap();
    let mut out = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (op, reason) = line
            .split_once('#')
            .unwrap_or_else(|| panic!("coverage-omissions.txt:{}: no `# reason`", n + 1));
        let reason = reason.trim();
        assert!(
            !reason.is_empty(),
            "coverage-omissions.txt:{}: empty reason",
            n + 1
        );
        let mut words = op.split_whitespace();
        let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) else {
            panic!(
                "coverage-omissions.txt:{}: expected `METHOD /path  # reason`",
                n + 1
            );
        };
        out.insert((method.to_uppercase(), normalise(path)), reason.to_string());
    }
    out
}

#[tokio::test]
async fn every_openapi_path_has_an_sdk_call_and_an_emulator_route() {
    let yaml_path = openapi_path();
    let Ok(yaml) = std::fs::read_to_string(&yaml_path) else {
        println!(
            "SKIPPED: API coverage check: the OpenAPI document is not at {} \
             (CI places the shared reference beside the repository)",
            yaml_path.display()
        );
        return;
    };
    let ops = openapi_ops(&yaml);
    assert!(
        ops.len() > 50,
        "read only {} operations from {}: has the document's layout changed?",
        ops.len(),
        yaml_path.display()
    );
    let (sdk, unreadable) = sdk_calls();
    assert!(
        unreadable.is_empty(),
        "SDK requests whose path the coverage check cannot read (write the path inline as a \
         literal or format! string): {unreadable:?}"
    );
    let omitted = omissions();

    let emu = Emulator::start().await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut covered = 0;
    let mut missing = Vec::new();
    let mut stale = Vec::new();
    for (method, path) in &ops {
        let key = (method.clone(), normalise(path));
        let in_sdk = sdk.contains_key(&key);
        let routed = emulator_routes(&http, emu.base_url(), method, path).await;
        let complete = in_sdk && routed;
        if complete {
            covered += 1;
        }
        match (complete, omitted.get(&key)) {
            (true, Some(_)) => stale.push(format!("{method} {path}")),
            (false, None) => missing.push(format!(
                "{method} {path} (sdk: {}, emulator: {})",
                if in_sdk { "yes" } else { "no" },
                if routed { "yes" } else { "no" },
            )),
            (false, Some(reason)) => println!("omitted: {method} {path}: {reason}"),
            (true, None) => {}
        }
    }
    let unknown: Vec<_> = omitted
        .keys()
        .filter(|k| !ops.iter().any(|(m, p)| *m == k.0 && normalise(p) == k.1))
        .collect();
    println!("{covered} of {} paths covered", ops.len());
    for m in &missing {
        println!("missing: {m}");
    }
    assert!(
        missing.is_empty(),
        "{} OpenAPI operations have no SDK call or no emulator route and are not in \
         tests/coverage-omissions.txt:\n{}",
        missing.len(),
        missing.join("\n")
    );
    assert!(
        stale.is_empty(),
        "covered now, remove from tests/coverage-omissions.txt: {stale:?}"
    );
    assert!(
        unknown.is_empty(),
        "tests/coverage-omissions.txt lists operations the document does not have: {unknown:?}"
    );
}

/// `tests/sdk-extras.txt`: `METHOD /path  # the official SDKs' name` per line.
fn sdk_extras() -> Vec<(String, String, String)> {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sdk-extras.txt"))
            .unwrap();
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (op, name) = line
            .split_once('#')
            .unwrap_or_else(|| panic!("sdk-extras.txt:{}: no `# name`", n + 1));
        let mut words = op.split_whitespace();
        let (Some(method), Some(path), None) = (words.next(), words.next(), words.next()) else {
            panic!("sdk-extras.txt:{}: expected `METHOD /path  # name`", n + 1);
        };
        out.push((
            method.to_uppercase(),
            path.to_string(),
            name.trim().to_string(),
        ));
    }
    out
}

#[tokio::test]
async fn every_call_of_the_official_sdks_outside_the_document_is_covered_too() {
    let extras = sdk_extras();
    assert!(extras.len() >= 18, "read only {} lines", extras.len());
    let (sdk, _) = sdk_calls();
    let emu = Emulator::start().await.unwrap();
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let mut missing = Vec::new();
    for (method, path, name) in &extras {
        let in_sdk = sdk.contains_key(&(method.clone(), normalise(path)));
        let routed = emulator_routes(&http, emu.base_url(), method, path).await;
        if !(in_sdk && routed) {
            missing.push(format!(
                "{method} {path} ({name}; sdk: {}, emulator: {})",
                if in_sdk { "yes" } else { "no" },
                if routed { "yes" } else { "no" },
            ));
        }
    }
    println!(
        "{} of {} calls of the official SDKs outside the document covered",
        extras.len() - missing.len(),
        extras.len()
    );
    assert!(
        missing.is_empty(),
        "calls of the official SDKs without an SDK call or an emulator route:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_scanner_reads_literal_format_and_let_bound_paths() {
    let code = "let a = ApiRequest::get(\"/v1/x\");\n\
                let b = ApiRequest::post(&format!(\"/v1/y/{}\", id));\n\
                let path = format!(\n  \"/v1/z/{}/w\", id);\n\
                let c = ApiRequest::delete(path.as_str());\n\
                let d = ApiRequest::put(other);";
    let found: Vec<Option<String>> = ["get", "post", "delete", "put"]
        .iter()
        .map(|m| {
            let needle = format!("ApiRequest::{m}(");
            let at = code.find(&needle).unwrap();
            request_path(code, at, &code[at + needle.len()..]).map(|p| normalise(&p))
        })
        .collect();
    assert_eq!(
        found,
        vec![
            Some("/v1/x".to_string()),
            Some("/v1/y/{}".to_string()),
            Some("/v1/z/{}/w".to_string()),
            None
        ]
    );
    let yaml = "openapi: 3\npaths:\n  /v1/a/{id}:\n    get:\n      x: 1\n    post:\n  /v1/b:\n    put:\ncomponents:\n  /v1/c:\n    get:\n";
    assert_eq!(
        openapi_ops(yaml),
        vec![
            ("GET".into(), "/v1/a/{id}".into()),
            ("POST".into(), "/v1/a/{id}".into()),
            ("PUT".into(), "/v1/b".into())
        ]
    );
}
