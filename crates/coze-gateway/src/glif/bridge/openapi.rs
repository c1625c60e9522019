//! The OpenAPI 3.0.1 document, kept inside the subset Coze's importer accepts: one server,
//! `operationId` and `summary` on every operation, object request bodies in
//! application/json, and a single 200 application/json object response whose schema
//! declares every field the bridge returns (Coze drops undeclared fields).

use super::{Inner, POLL_OPERATION, PREFIX, RUN_GLIF_TOOL, Tool};
use crate::glif::InputKind;
use serde_json::{Map, Value, json};

pub(crate) fn document(inner: &Inner) -> Value {
    let mut paths = Map::new();
    for tool in &inner.tools {
        let (body, required) = tool_body(tool);
        add_tool_paths(&mut paths, &tool.name, &tool.description, body, required);
    }
    if inner.run_glif_tool {
        let body = json!({
            "glif_id": {"type": "string", "description": "The glif id: the last part of the glif's glif.app URL"},
            "inputs": {"type": "array", "items": {"type": "string"},
                "description": "The glif's input values, in the glif's input order"}
        });
        add_tool_paths(
            &mut paths,
            RUN_GLIF_TOOL,
            "Run any glif (glif.app AI app) by id with positional inputs and return its output",
            body,
            vec!["glif_id".to_owned()],
        );
    }
    paths.insert(
        format!("{PREFIX}/runs/{{run_id}}"),
        json!({"get": {
            "operationId": POLL_OPERATION,
            "summary": "Get the result of a glif run started earlier (pass the run_id a tool returned with status running)",
            "parameters": [{
                "name": "run_id", "in": "path", "required": true,
                "description": "The run_id returned by the tool", "schema": {"type": "string"}
            }],
            "responses": ok_response(),
        }}),
    );
    json!({
        "openapi": "3.0.1",
        "info": {"title": inner.title, "description": inner.description, "version": "v1"},
        "servers": [{"url": inner.public_base_url.as_str().trim_end_matches('/')}],
        "paths": paths,
    })
}

fn add_tool_paths(
    paths: &mut Map<String, Value>,
    name: &str,
    summary: &str,
    properties: Value,
    required: Vec<String>,
) {
    let schema = |props: Value| {
        let mut s = json!({"type": "object", "properties": props});
        if !required.is_empty() {
            s["required"] = json!(required);
        }
        json!({"required": true, "content": {"application/json": {"schema": s}}})
    };
    paths.insert(
        format!("{PREFIX}/tools/{name}"),
        json!({"post": {
            "operationId": name,
            "summary": summary,
            "requestBody": schema(properties.clone()),
            "responses": ok_response(),
        }}),
    );
    paths.insert(
        format!("{PREFIX}/tools/{name}/start"),
        json!({"post": {
            "operationId": format!("{name}_start"),
            "summary": format!("Start {name} without waiting for it (for slow glifs); returns a run_id to pass to {POLL_OPERATION}"),
            "requestBody": schema(properties),
            "responses": ok_response(),
        }}),
    );
}

fn tool_body(tool: &Tool) -> (Value, Vec<String>) {
    let mut props = Map::new();
    let mut required = Vec::new();
    for input in &tool.exposed {
        let mut desc = input.label.clone().unwrap_or_else(|| input.name.clone());
        match input.kind {
            InputKind::Image => desc.push_str(" (an image URL)"),
            InputKind::Audio => desc.push_str(" (an audio URL)"),
            InputKind::Video => desc.push_str(" (a video URL)"),
            _ => {}
        }
        if !input.options.is_empty() {
            desc.push_str(&format!("; one of: {}", input.options.join(", ")));
        }
        let mut prop = json!({"type": "string", "description": desc});
        match &input.default {
            Some(d) => prop["default"] = json!(d),
            None => required.push(input.name.clone()),
        }
        // Coze marks file-URL parameters so its UI offers an upload.
        if let Some(assist) = match input.kind {
            InputKind::Image => Some("image"),
            InputKind::Audio => Some("audio"),
            InputKind::Video => Some("video"),
            _ => None,
        } {
            prop["x-assist-type"] = json!(assist);
        }
        props.insert(input.name.clone(), prop);
    }
    (Value::Object(props), required)
}

fn ok_response() -> Value {
    json!({"200": {
        "description": "The run's result, or status running with a run_id to poll",
        "content": {"application/json": {"schema": {
            "type": "object",
            "properties": {
                "status": {"type": "string", "description": "succeeded, or running (then call poll_run with run_id)"},
                "run_id": {"type": "string", "description": "The run id, for poll_run"},
                "glif_id": {"type": "string", "description": "The glif that ran"},
                "output": {"type": "string", "description": "The output: text, or the URL of the image, audio or video"},
                "output_type": {"type": "string", "description": "image, text, audio, video, json or html"},
                "image_url": {"type": "string", "format": "image_url", "description": "The image URL when the output is an image"},
                "outputs": {"type": "array", "items": {"type": "string"}, "description": "All outputs when the glif returned several"},
                "price": {"type": "number", "description": "Glif credits the run cost"},
                "message": {"type": "string", "description": "What to do next when status is running"}
            }
        }}}
    }})
}
