//! The OpenAPI subset Coze's plugin import accepts, checked the way Coze Studio's validator
//! does: OpenAPI 3, `info.title` and `info.description`, exactly one server URL with a host
//! (at most 512 characters), `operationId` and `summary` on every operation, parameters in
//! query/path/header with a non-object typed schema (no arrays in the path), one request
//! body media type with an object schema, and only a `200` (plus `default`) response with
//! one `application/json` object schema. Arrays must type their items.
//!
//! Not checked (the emulator runs on loopback): Coze's refusal of IP-address server URLs.
//! `$ref` is not resolved: a document using it is refused with a message saying so.

use serde_json::{Map, Value};

/// One operation of an imported plugin.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedTool {
    pub operation_id: String,
    pub summary: String,
    /// Upper-case HTTP method.
    pub method: String,
    /// The path, with `{param}` placeholders.
    pub path: String,
    /// Path parameter names.
    pub path_params: Vec<String>,
    /// Properties of the request body schema (empty when there is no body).
    pub body_properties: Map<String, Value>,
    /// Required body properties.
    pub body_required: Vec<String>,
    /// Whether the operation declares a request body.
    pub has_body: bool,
    /// Fields of the 200 response schema; everything else is dropped from answers.
    pub response_fields: Vec<String>,
    /// The tool's id in the emulated Coze (set on import; empty from [`check_document`]).
    pub api_id: String,
}

/// What an accepted document gives: title, server URL, tools.
pub type Checked = (String, String, Vec<ImportedTool>);

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];
const BODY_TYPES: &[&str] = &[
    "application/json",
    "application/problem+json",
    "application/x-www-form-urlencoded",
    "application/yaml",
    "application/x-yaml",
];
const JSON_TYPES: &[&str] = &["string", "integer", "number", "boolean", "object", "array"];

/// Checks `doc` against Coze's import rules.
///
/// # Errors
///
/// Every problem found, one line each.
pub fn check_document(doc: &Value) -> Result<Checked, Vec<String>> {
    let mut problems = Vec::new();
    if serde_json::to_string(doc).is_ok_and(|s| s.contains("\"$ref\"")) {
        problems.push("$ref is not supported by the emulator's import; inline the schemas".into());
    }
    let version = doc.get("openapi").and_then(Value::as_str).unwrap_or("");
    if !version.starts_with("3.") {
        problems.push(format!("openapi must be a 3.x version, got {version:?}"));
    }
    let title = text(doc.pointer("/info/title")).to_owned();
    if title.is_empty() {
        problems.push("info.title is required".into());
    }
    if text(doc.pointer("/info/description")).is_empty() {
        problems.push("info.description is required".into());
    }
    let servers = doc.get("servers").and_then(Value::as_array);
    let server_url = match servers.map(Vec::as_slice) {
        Some([one]) => {
            let url = text(one.get("url")).to_owned();
            let ok = url.len() <= 512 && url::Url::parse(&url).is_ok_and(|u| u.has_host());
            if !ok {
                problems.push(format!(
                    "servers[0].url {url:?} must be a URL with a host, at most 512 characters"
                ));
            }
            url
        }
        other => {
            problems.push(format!(
                "servers must have exactly one entry, found {}",
                other.map_or(0, <[Value]>::len)
            ));
            String::new()
        }
    };
    let mut tools = Vec::new();
    match doc.get("paths").and_then(Value::as_object) {
        Some(paths) if !paths.is_empty() => {
            for (path, item) in paths {
                for method in METHODS {
                    if let Some(op) = item.get(*method) {
                        let at = format!("{} {path}", method.to_uppercase());
                        if let Some(tool) = check_operation(&at, method, path, op, &mut problems) {
                            tools.push(tool);
                        }
                    }
                }
            }
        }
        _ => problems.push("paths must list at least one operation".into()),
    }
    let mut ids: Vec<&str> = tools.iter().map(|t| t.operation_id.as_str()).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        problems.push(format!("operationId {:?} is used twice", w[0]));
    }
    if problems.is_empty() {
        Ok((title, server_url, tools))
    } else {
        Err(problems)
    }
}

fn text(v: Option<&Value>) -> &str {
    v.and_then(Value::as_str).map(str::trim).unwrap_or("")
}

fn check_operation(
    at: &str,
    method: &str,
    path: &str,
    op: &Value,
    problems: &mut Vec<String>,
) -> Option<ImportedTool> {
    let before = problems.len();
    let field = |k: &str| {
        op.get(k)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
    };
    let operation_id = field("operationId").to_owned();
    let summary = field("summary").to_owned();
    if operation_id.is_empty() {
        problems.push(format!("{at}: operationId is required"));
    }
    if summary.is_empty() {
        problems.push(format!("{at}: summary is required"));
    }
    let mut path_params = Vec::new();
    for param in op
        .get("parameters")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = param.get("name").and_then(Value::as_str).unwrap_or("?");
        let location = param.get("in").and_then(Value::as_str).unwrap_or("");
        let ty = param.pointer("/schema/type").and_then(Value::as_str);
        if !matches!(location, "query" | "path" | "header") {
            problems.push(format!(
                "{at}: parameter {name:?} is in {location:?}; use query, path or header"
            ));
        }
        match ty {
            None => problems.push(format!(
                "{at}: parameter {name:?} needs a schema with a type"
            )),
            Some("object") => {
                problems.push(format!("{at}: parameter {name:?} may not be an object"))
            }
            Some("array") if location == "path" => {
                problems.push(format!("{at}: path parameter {name:?} may not be an array"))
            }
            Some(_) => {}
        }
        if location == "path" {
            path_params.push(name.to_owned());
        }
    }
    let mut body_properties = Map::new();
    let mut body_required = Vec::new();
    let has_body = op.get("requestBody").is_some();
    if let Some(body) = op.get("requestBody") {
        let content = body.get("content").and_then(Value::as_object);
        match content.map(|c| c.iter().collect::<Vec<_>>()).as_deref() {
            Some([(media, media_obj)]) => {
                if !BODY_TYPES.contains(&media.as_str()) {
                    problems.push(format!(
                        "{at}: request body type {media:?} is not supported"
                    ));
                }
                let schema = media_obj.get("schema").unwrap_or(&Value::Null);
                if schema.get("type").and_then(Value::as_str) != Some("object") {
                    problems.push(format!(
                        "{at}: the request body schema must be type: object"
                    ));
                }
                check_types(&format!("{at} request body"), schema, problems);
                if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                    body_properties = props.clone();
                }
                body_required = schema
                    .get("required")
                    .and_then(Value::as_array)
                    .map(|r| {
                        r.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
            }
            _ => problems.push(format!(
                "{at}: the request body needs exactly one media type"
            )),
        }
    }
    let mut response_fields = Vec::new();
    match op.get("responses").and_then(Value::as_object) {
        Some(responses) => {
            if let Some(bad) = responses.keys().find(|k| *k != "200" && *k != "default") {
                problems.push(format!(
                    "{at}: only a 200 response (and default) is allowed, found {bad:?}"
                ));
            }
            let content = responses
                .get("200")
                .and_then(|r| r.get("content"))
                .and_then(Value::as_object);
            match content.map(|c| c.iter().collect::<Vec<_>>()).as_deref() {
                Some([(media, media_obj)]) if media.as_str() == "application/json" => {
                    let schema = media_obj.get("schema").unwrap_or(&Value::Null);
                    if schema.get("type").and_then(Value::as_str) != Some("object") {
                        problems.push(format!(
                            "{at}: the 200 response schema must be type: object"
                        ));
                    }
                    check_types(&format!("{at} response"), schema, problems);
                    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                        response_fields = props.keys().cloned().collect();
                    }
                }
                _ => problems.push(format!(
                    "{at}: the 200 response needs exactly one content type, application/json"
                )),
            }
        }
        None => problems.push(format!("{at}: responses must declare 200")),
    }
    (problems.len() == before).then(|| ImportedTool {
        operation_id,
        summary,
        method: method.to_uppercase(),
        path: path.to_owned(),
        path_params,
        body_properties,
        body_required,
        has_body,
        response_fields,
        api_id: String::new(),
    })
}

/// Every property has a known type; arrays type their items.
fn check_types(at: &str, schema: &Value, problems: &mut Vec<String>) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, prop) in props {
        match prop.get("type").and_then(Value::as_str) {
            Some(t) if JSON_TYPES.contains(&t) => {
                if t == "array"
                    && prop
                        .pointer("/items/type")
                        .and_then(Value::as_str)
                        .is_none()
                {
                    problems.push(format!("{at}: array {name:?} must give its items a type"));
                }
                if t == "object" {
                    check_types(&format!("{at}.{name}"), prop, problems);
                }
            }
            other => problems.push(format!(
                "{at}: property {name:?} has type {other:?}; use one of {}",
                JSON_TYPES.join(", ")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn good() -> Value {
        json!({
            "openapi": "3.0.1",
            "info": {"title": "T", "description": "D", "version": "v1"},
            "servers": [{"url": "https://bridge.example.com"}],
            "paths": {"/x": {"post": {
                "operationId": "x", "summary": "does x",
                "requestBody": {"content": {"application/json": {"schema": {"type": "object", "properties": {"a": {"type": "string"}}}}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object", "properties": {"out": {"type": "string"}}}}}}}
            }}}
        })
    }

    #[test]
    fn accepts_a_conforming_document() {
        let (title, server, tools) = check_document(&good()).unwrap();
        assert_eq!(
            (title.as_str(), server.as_str()),
            ("T", "https://bridge.example.com")
        );
        assert_eq!(tools[0].response_fields, vec!["out"]);
    }

    #[test]
    fn refuses_each_broken_rule() {
        let cases: Vec<(&str, Value, &str)> = vec![
            (
                "/servers",
                json!([{"url": "https://a.b"}, {"url": "https://c.d"}]),
                "exactly one",
            ),
            ("/info/description", json!(""), "info.description"),
            (
                "/paths/~1x/post/summary",
                Value::Null,
                "summary is required",
            ),
            (
                "/paths/~1x/post/requestBody/content/application~1json/schema/type",
                json!("array"),
                "type: object",
            ),
            (
                "/paths/~1x/post/responses/404",
                json!({"description": "nf"}),
                "only a 200",
            ),
        ];
        for (pointer, value, expect) in cases {
            let mut doc = good();
            match doc.pointer_mut(pointer) {
                Some(slot) => *slot = value,
                None => {
                    let (parent, key) = pointer.rsplit_once('/').unwrap();
                    doc.pointer_mut(parent).unwrap()[key] = value;
                }
            }
            let problems = check_document(&doc).unwrap_err();
            assert!(
                problems.iter().any(|p| p.contains(expect)),
                "{pointer}: {problems:?}"
            );
        }
    }
}
