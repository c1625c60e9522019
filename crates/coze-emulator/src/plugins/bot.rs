//! The `plugin` bot: calls a tool of an imported plugin over HTTP, as Coze does, and answers
//! with what the tool returned.
//!
//! Which tool and which arguments (the emulator has no model to choose):
//! - a message that is a JSON object `{"tool": "<operationId>", "arguments": {...}}` calls
//!   that tool with those arguments; any other JSON object is the arguments of the default tool;
//! - `<operationId>: text` calls that tool with `text` in its first string body field;
//! - any other text goes to the default tool (the first operation with a request body of the
//!   latest plugin that is not a `*_start` operation), in its first required string field.
//!
//! The call carries the plugin's service-token header verbatim, sends body fields as a JSON
//! object, and keeps only the response fields the 200 schema declares (Coze drops the rest).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::future::BoxFuture;
use serde_json::{Map, Value, json};

use super::{ImportedTool, Plugin};
use crate::bots::{Behavior, BotReply, ChatContext, PluginCall};
use crate::state::{BotRecord, Store};

/// How long the bot waits for a tool (Coze gives plugin calls a few minutes at most).
const CALL_TIMEOUT: Duration = Duration::from_secs(180);

/// See the module docs.
#[derive(Debug, Clone, Copy, Default)]
pub struct PluginBot;

/// Adds the plugin bot to a fresh store.
pub fn seed(store: &mut Store, id: &str, workspace_id: &str, owner_id: &str, now: i64) {
    store.bots.insert(
        id.to_owned(),
        BotRecord {
            id: id.to_owned(),
            name: "Plugin".into(),
            description: "emulator demo bot: calls a tool of the imported plugin".into(),
            workspace_id: workspace_id.to_owned(),
            owner_id: owner_id.to_owned(),
            published: true,
            created_at: now,
            updated_at: now,
            behavior: Arc::new(PluginBot),
            extra: Map::new(),
        },
    );
}

impl Behavior for PluginBot {
    fn respond<'a>(&'a self, ctx: &'a ChatContext) -> BoxFuture<'a, BotReply> {
        Box::pin(async move {
            let plugins = ctx.state.store().plugins.plugins.clone();
            let text = ctx.query().map(|t| t.text()).unwrap_or_default();
            let Some((plugin, tool, args)) = choose(&plugins, text.trim()) else {
                return answer(
                    "No plugin tool to call: import a plugin first with POST \
                     /_emulator/plugins/import {\"url\": \"<bridge>/plugins/glif/openapi.json\", \
                     \"service_token\": \"Bearer <token>\"}"
                        .to_owned(),
                );
            };
            let arguments = Value::Object(args.clone());
            let (output, text) = call(plugin, tool, args).await;
            BotReply::PluginAnswer {
                calls: vec![PluginCall {
                    name: tool.operation_id.clone(),
                    arguments,
                    plugin_id: plugin.id.clone(),
                    api_id: tool.api_id.clone(),
                    output,
                }],
                text,
                follow_ups: Vec::new(),
            }
        })
    }
}

fn answer(text: String) -> BotReply {
    BotReply::Answer {
        text,
        follow_ups: Vec::new(),
    }
}

fn choose<'p>(
    plugins: &'p [Plugin],
    text: &str,
) -> Option<(&'p Plugin, &'p ImportedTool, Map<String, Value>)> {
    let find = |name: &str| {
        plugins.iter().rev().find_map(|p| {
            p.tools
                .iter()
                .find(|t| t.operation_id == name)
                .map(|t| (p, t))
        })
    };
    let default = || {
        plugins.iter().rev().find_map(|p| {
            p.tools
                .iter()
                .find(|t| t.has_body && !t.operation_id.ends_with("_start"))
                .or_else(|| p.tools.first())
                .map(|t| (p, t))
        })
    };
    if let Ok(Value::Object(mut obj)) = serde_json::from_str::<Value>(text) {
        let named = obj.get("tool").and_then(Value::as_str).and_then(find);
        if let Some((p, t)) = named {
            let args = match obj.remove("arguments") {
                Some(Value::Object(a)) => a,
                _ => Map::new(),
            };
            return Some((p, t, args));
        }
        let (p, t) = default()?;
        return Some((p, t, obj));
    }
    let (p, t, rest) = match text
        .split_once(':')
        .and_then(|(n, rest)| Some((find(n.trim())?, rest)))
    {
        Some(((p, t), rest)) => (p, t, rest.trim()),
        None => {
            let (p, t) = default()?;
            (p, t, text)
        }
    };
    let mut args = Map::new();
    if let Some(field) = text_field(t) {
        args.insert(field, json!(rest));
    }
    Some((p, t, args))
}

/// The body field free text goes into: the first required string field, else the first
/// string field, else the first path parameter.
fn text_field(tool: &ImportedTool) -> Option<String> {
    let is_string = |name: &str| {
        tool.body_properties
            .get(name)
            .and_then(|p| p.get("type"))
            .and_then(Value::as_str)
            == Some("string")
    };
    tool.body_required
        .iter()
        .find(|n| is_string(n))
        .cloned()
        .or_else(|| tool.body_properties.keys().find(|n| is_string(n)).cloned())
        .or_else(|| tool.path_params.first().cloned())
}

fn http() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .timeout(CALL_TIMEOUT)
            .no_proxy()
            .build()
            .unwrap_or_default()
    })
}

/// Calls the tool: what it returned (the `tool_response` content: the declared fields as
/// JSON, or why the call failed) and the answer describing the outcome in a sentence.
async fn call(plugin: &Plugin, tool: &ImportedTool, args: Map<String, Value>) -> (String, String) {
    match request(plugin, tool, args).await {
        Ok((kept, text)) => (Value::Object(kept).to_string(), text),
        Err(why) => (why.clone(), why),
    }
}

/// Sends the request; the declared response fields and the answer, or a failure sentence.
async fn request(
    plugin: &Plugin,
    tool: &ImportedTool,
    mut args: Map<String, Value>,
) -> Result<(Map<String, Value>, String), String> {
    let op = &tool.operation_id;
    let mut path = tool.path.clone();
    for name in &tool.path_params {
        let value = match args.remove(name) {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => return Err(format!("The tool {op} needs {name}, and I do not know it.")),
        };
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        path = path.replace(&format!("{{{name}}}"), &encoded);
    }
    let url = format!("{}{path}", plugin.server_url.trim_end_matches('/'));
    let method =
        reqwest::Method::from_bytes(tool.method.as_bytes()).unwrap_or(reqwest::Method::POST);
    let mut request = http().request(method, &url);
    if let Some((header, value)) = &plugin.auth {
        request = request.header(header.as_str(), value.as_str());
    }
    if tool.has_body {
        request = request.json(&Value::Object(args));
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Err(format!("The tool {op} could not be reached: {e}")),
    };
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if status != reqwest::StatusCode::OK {
        let why = body
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| body.to_string());
        return Err(format!(
            "The tool {op} failed (HTTP {}): {why}",
            status.as_u16()
        ));
    }
    let Value::Object(fields) = body else {
        return Err(format!(
            "The tool {op} answered something that is not a JSON object."
        ));
    };
    // Coze keeps only the declared response fields.
    let kept: Map<String, Value> = fields
        .into_iter()
        .filter(|(k, _)| tool.response_fields.contains(k))
        .collect();
    let field = |k: &str| {
        kept.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let text = if field("status") == Some("running") {
        format!(
            "The tool {op} is still running: {}",
            field("message").unwrap_or("poll it later")
        )
    } else {
        match (field("image_url"), field("output")) {
            (Some(image), _) => format!("The tool {op} returned an image: ![image]({image})"),
            (None, Some(output)) => format!("The tool {op} returned: {output}"),
            (None, None) => format!("The tool {op} returned: {}", Value::Object(kept.clone())),
        }
    };
    Ok((kept, text))
}
