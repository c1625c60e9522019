//! The Simple API transport (`POST simple-api.glif.app`) and the glifs read API.

use super::client::{BoxFuture, GlifConfig, GlifTransport};
use super::error::{GlifError, Result};
use super::types::{GlifInfo, GlifInput, InputKind, OutputType, RunOutput, RunRequest};
use serde_json::{Value, json};
use std::time::Duration;
use url::Url;

/// How much of an unexpected body goes into an error message.
const BODY_SNIPPET: usize = 300;

/// Talks to the legacy Simple API and the `glif.app/api/glifs` read API over HTTP.
#[derive(Debug)]
pub struct SimpleApiTransport {
    http: reqwest::Client,
    config: GlifConfig,
}

impl SimpleApiTransport {
    /// Builds the HTTP client.
    ///
    /// # Errors
    ///
    /// [`GlifError::InvalidConfig`] when the TLS backend cannot be initialised.
    pub fn new(config: GlifConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .user_agent(concat!("coze-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GlifError::InvalidConfig(format!("http client: {e}")))?;
        Ok(Self { http, config })
    }

    fn run_url(&self, strict: bool) -> Url {
        let mut url = self.config.simple_api_base.clone();
        if strict {
            url.query_pairs_mut().append_pair("strict", "1");
        }
        url
    }

    fn glifs_url(&self, glif_id: &str) -> Url {
        let mut url = self.config.api_base.clone();
        let path = format!("{}/glifs", url.path().trim_end_matches('/'));
        url.set_path(&path);
        url.query_pairs_mut().append_pair("id", glif_id);
        url
    }

    fn transport_error(&self, url: &Url, e: reqwest::Error, timeout: Duration) -> GlifError {
        if e.is_timeout() {
            GlifError::Timeout { after: timeout }
        } else {
            GlifError::Unavailable {
                url: url.to_string(),
                source: Box::new(e),
            }
        }
    }

    async fn do_run(&self, request: &RunRequest) -> Result<RunOutput> {
        let token = self.config.token.as_ref().ok_or(GlifError::MissingToken)?;
        let url = self.run_url(request.strict);
        let body = json!({"id": request.glif_id, "inputs": request.inputs});
        let response = self
            .http
            .post(url.clone())
            .bearer_auth(token.expose())
            .json(&body)
            .timeout(self.config.timeout)
            .send()
            .await
            .map_err(|e| self.transport_error(&url, e, self.config.timeout))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_error(&url, e, self.config.timeout))?;
        parse_run_response(&request.glif_id, request.strict, status, &text)
    }

    async fn do_glif(&self, glif_id: &str) -> Result<GlifInfo> {
        let url = self.glifs_url(glif_id);
        let mut req = self
            .http
            .get(url.clone())
            .timeout(self.config.connect_timeout * 6);
        if let Some(token) = &self.config.token {
            req = req.bearer_auth(token.expose());
        }
        let response = req
            .send()
            .await
            .map_err(|e| self.transport_error(&url, e, self.config.connect_timeout * 6))?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|e| self.transport_error(&url, e, self.config.connect_timeout * 6))?;
        check_status(glif_id, status, &text)?;
        let value: Value = serde_json::from_str(&text)
            .map_err(|_| GlifError::InvalidResponse(format!("not JSON: {}", snippet(&text))))?;
        parse_glif_info(glif_id, &value)
    }
}

impl GlifTransport for SimpleApiTransport {
    fn run<'a>(&'a self, request: &'a RunRequest) -> BoxFuture<'a, Result<RunOutput>> {
        Box::pin(self.do_run(request))
    }

    fn glif<'a>(&'a self, glif_id: &'a str) -> BoxFuture<'a, Result<GlifInfo>> {
        Box::pin(self.do_glif(glif_id))
    }
}

fn snippet(text: &str) -> String {
    let mut s: String = text.chars().take(BODY_SNIPPET).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    s
}

fn check_status(glif_id: &str, status: u16, text: &str) -> Result<()> {
    match status {
        200..=299 => Ok(()),
        401 | 403 => Err(GlifError::TokenRejected { status }),
        404 => Err(GlifError::UnknownGlif {
            id: glif_id.to_owned(),
        }),
        _ => Err(GlifError::Http {
            status,
            body: snippet(text),
        }),
    }
}

/// Turns a Simple API answer into a result. Glif reports failures as HTTP 200 with an `error`
/// field, so `error` is checked before anything else; its wording is matched loosely to give
/// unknown glifs and strict-mode refusals their own error kinds.
pub(crate) fn parse_run_response(
    glif_id: &str,
    strict: bool,
    status: u16,
    text: &str,
) -> Result<RunOutput> {
    let value: Option<Value> = serde_json::from_str(text).ok();
    if let Some(message) = value.as_ref().and_then(error_message) {
        return Err(classify_run_error(glif_id, strict, status, message));
    }
    check_status(glif_id, status, text)?;
    let value =
        value.ok_or_else(|| GlifError::InvalidResponse(format!("not JSON: {}", snippet(text))))?;
    if !value.is_object() {
        return Err(GlifError::InvalidResponse(format!(
            "expected a JSON object, got {}",
            snippet(text)
        )));
    }
    let outputs: Vec<String> = match value.get("output") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(scalar_string).collect(),
        Some(other) => vec![other.to_string()],
    };
    let output_type = value
        .get("outputFull")
        .and_then(|f| f.get("type"))
        .and_then(Value::as_str)
        .map(OutputType::parse);
    let price = value.get("price").and_then(|p| match p {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    });
    let inputs_used = value
        .get("inputs")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| scalar_string(v).map(|v| (k.clone(), v)))
                .collect()
        })
        .unwrap_or_default();
    Ok(RunOutput {
        glif_id: glif_id.to_owned(),
        output: outputs.first().cloned(),
        outputs,
        output_type,
        price,
        inputs_used,
        raw: value,
    })
}

fn error_message(value: &Value) -> Option<String> {
    match value.get("error")? {
        Value::Null | Value::Bool(false) => None,
        Value::String(s) if s.is_empty() => None,
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => Some(
            o.get("message")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| Value::Object(o.clone()).to_string()),
        ),
        other => Some(other.to_string()),
    }
}

fn classify_run_error(glif_id: &str, strict: bool, status: u16, message: String) -> GlifError {
    if matches!(status, 401 | 403) {
        return GlifError::TokenRejected { status };
    }
    let lower = message.to_lowercase();
    if status == 404 || lower.contains("not found") || lower.contains("no glif") {
        return GlifError::UnknownGlif {
            id: glif_id.to_owned(),
        };
    }
    if strict
        && (lower.contains("missing") || lower.contains("strict") || lower.contains("required"))
    {
        return GlifError::MissingInput {
            glif_id: glif_id.to_owned(),
            missing: vec![message],
        };
    }
    GlifError::RunFailed {
        glif_id: glif_id.to_owned(),
        message,
    }
}

fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Reads the first element of a `/glifs?id=` answer (a JSON array even for one id).
pub(crate) fn parse_glif_info(glif_id: &str, value: &Value) -> Result<GlifInfo> {
    let glif = match value {
        Value::Array(items) => items.first(),
        Value::Object(_) => Some(value),
        _ => None,
    }
    .ok_or_else(|| GlifError::UnknownGlif {
        id: glif_id.to_owned(),
    })?;
    let nodes = glif
        .get("data")
        .and_then(|d| d.get("nodes"))
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let inputs = nodes.iter().filter_map(parse_input).collect();
    let text = |k: &str| glif.get(k).and_then(Value::as_str).map(str::to_owned);
    Ok(GlifInfo {
        id: text("id").unwrap_or_else(|| glif_id.to_owned()),
        name: text("name"),
        description: text("description"),
        inputs,
        average_duration_ms: glif.get("averageDuration").and_then(|d| {
            d.as_u64()
                .or_else(|| d.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64))
        }),
    })
}

fn parse_input(node: &Value) -> Option<GlifInput> {
    let kind = InputKind::from_block_type(node.get("type")?.as_str()?)?;
    let name = node.get("name")?.as_str()?.to_owned();
    let params = node.get("params");
    let param = |k: &str| params.and_then(|p| p.get(k));
    let label = param("label").and_then(Value::as_str).map(str::to_owned);
    let default = param("value")
        .and_then(scalar_string)
        .filter(|s| !s.is_empty());
    let options = param("options")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(scalar_string).collect())
        .unwrap_or_default();
    Some(GlifInput {
        name,
        kind,
        label,
        default,
        options,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_on_200_is_a_failure() {
        let err = parse_run_response(
            "g",
            true,
            200,
            r#"{"error":"model overloaded","output":null}"#,
        )
        .unwrap_err();
        assert!(
            matches!(err, GlifError::RunFailed { ref message, .. } if message == "model overloaded"),
            "{err:?}"
        );
    }

    #[test]
    fn output_as_array_string_or_null() {
        let arr = parse_run_response(
            "g",
            true,
            200,
            r#"{"output":["u1","u2"],"outputFull":{"type":"image"},"price":"0.5"}"#,
        )
        .unwrap();
        assert_eq!(arr.output.as_deref(), Some("u1"));
        assert_eq!(arr.outputs, vec!["u1", "u2"]);
        assert_eq!(arr.output_type, Some(OutputType::Image));
        assert_eq!(arr.image_url(), Some("u1"));
        assert_eq!(arr.price, Some(0.5));
        let null = parse_run_response("g", true, 200, r#"{"output":null}"#).unwrap();
        assert_eq!(null.output, None);
        assert!(null.outputs.is_empty());
        assert_eq!(null.output_type, None);
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert!(matches!(
            parse_run_response("g", true, 401, "nope"),
            Err(GlifError::TokenRejected { status: 401 })
        ));
        assert!(matches!(
            parse_run_response("g", true, 403, "{}"),
            Err(GlifError::TokenRejected { status: 403 })
        ));
        assert!(matches!(
            parse_run_response("g", true, 502, "<html>"),
            Err(GlifError::Http { status: 502, .. })
        ));
        assert!(matches!(
            parse_run_response("g", true, 200, "<html>"),
            Err(GlifError::InvalidResponse(_))
        ));
    }

    #[test]
    fn input_blocks_match_case_insensitively() {
        let v: Value = serde_json::from_str(
            r#"[{"id":"g1","name":"Fox","data":{"nodes":[
            {"name":"prompt","type":"TextInputBlock","params":{"label":"Prompt","value":"a fox"}},
            {"name":"llm","type":"LLMBlock","params":{}},
            {"name":"style","type":"MultipickBlock","params":{"options":["oil","ink"]}},
            {"name":"ref","type":"imageinputblock","params":{}}]}}]"#,
        )
        .unwrap();
        let info = parse_glif_info("g1", &v).unwrap();
        assert_eq!(info.input_names(), vec!["prompt", "style", "ref"]);
        assert_eq!(info.inputs[0].default.as_deref(), Some("a fox"));
        assert_eq!(info.inputs[1].kind, InputKind::Multipick);
        assert_eq!(info.inputs[1].options, vec!["oil", "ink"]);
        assert_eq!(info.inputs[2].kind, InputKind::Image);
        assert!(matches!(
            parse_glif_info("x", &Value::Array(vec![])),
            Err(GlifError::UnknownGlif { .. })
        ));
    }
}
