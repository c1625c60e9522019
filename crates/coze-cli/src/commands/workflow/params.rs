//! Workflow inputs from `--param key=value` and `--params-file F`.
//!
//! A value that is valid JSON (a number, `true`, an object, a quoted string, ...) is sent as
//! that JSON; anything else as a string. The file must hold one JSON object; `--param`s
//! override its keys.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::CliError;

/// How `--param` is declared: the value is parsed here, not by clap, so that a malformed or
/// missing one is a failure with a hint (exit status 1) as the issue asks, not a usage error.
pub const HINT: &str = "pass each input as KEY=VALUE, e.g. --param input=hello (JSON values such as 3 or {\"a\":1} are sent as JSON)";

/// Parses one `KEY=VALUE`.
///
/// # Errors
/// A failure naming the problem, with a hint, when the value is missing, has no `=` or the
/// key is empty.
pub fn param(arg: &str) -> anyhow::Result<(String, Value)> {
    if arg.trim().is_empty() {
        return Err(CliError::failed("--param needs a value")
            .with_hint(HINT)
            .into());
    }
    let Some((key, value)) = arg.split_once('=') else {
        return Err(
            CliError::failed(format!("--param expected KEY=VALUE, got `{arg}`"))
                .with_hint(HINT)
                .into(),
        );
    };
    let key = key.trim();
    if key.is_empty() {
        return Err(
            CliError::failed(format!("--param has an empty key in `{arg}`"))
                .with_hint(HINT)
                .into(),
        );
    }
    let parsed =
        serde_json::from_str(value.trim()).unwrap_or_else(|_| Value::String(value.to_string()));
    Ok((key.to_string(), parsed))
}

/// Parses every `--param`, stopping at the first bad one.
///
/// # Errors
/// See [`param`].
pub fn parse_all(args: &[String]) -> anyhow::Result<Vec<(String, Value)>> {
    args.iter().map(|a| param(a)).collect()
}

/// The inputs: the file's object (if any), then the `--param`s on top.
///
/// # Errors
/// A failure with a hint when the file cannot be read or is not a JSON object.
pub fn collect(
    file: Option<&Path>,
    params: Vec<(String, Value)>,
) -> anyhow::Result<Map<String, Value>> {
    let mut map = match file {
        Some(path) => read_file(path)?,
        None => Map::new(),
    };
    map.extend(params);
    Ok(map)
}

fn read_file(path: &Path) -> anyhow::Result<Map<String, Value>> {
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| {
        CliError::failed(format!("cannot read the params file {shown}: {e}"))
            .with_hint("pass the path of a JSON file such as {\"input\": \"hello\"}")
    })?;
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(CliError::failed(format!(
            "the params file {shown} holds a JSON {}, not an object",
            kind(&other)
        ))
        .with_hint("write the inputs as one object: {\"input\": \"hello\", \"count\": 3}")
        .into()),
        Err(e) => Err(
            CliError::failed(format!("the params file {shown} is not JSON: {e}"))
                .with_hint(
                    "write the inputs as one JSON object: {\"input\": \"hello\", \"count\": 3}",
                )
                .into(),
        ),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn values_are_json_when_they_parse() {
        assert_eq!(param("n=3").unwrap(), ("n".into(), json!(3)));
        assert_eq!(
            param("s=hello world").unwrap(),
            ("s".into(), json!("hello world"))
        );
        assert_eq!(param("o={\"a\":1}").unwrap().1, json!({"a": 1}));
        assert_eq!(param("q=\"007\"").unwrap().1, json!("007"));
        assert_eq!(param("e=").unwrap().1, json!(""));
        assert_eq!(param("k=a=b").unwrap().1, json!("a=b"));
        assert!(param("novalue").is_err());
        assert!(param("=x").is_err());
        assert!(param("").unwrap_err().to_string().contains("needs a value"));
        assert!(parse_all(&["a=1".into(), "b".into()]).is_err());
        assert_eq!(
            parse_all(&["a=1".into()]).unwrap(),
            vec![("a".into(), json!(1))]
        );
    }

    #[test]
    fn file_then_params() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.json");
        std::fs::write(&path, r#"{"input": "file", "n": 1}"#).unwrap();
        let map = collect(Some(&path), vec![("input".into(), json!("flag"))]).unwrap();
        assert_eq!(Value::Object(map), json!({"input": "flag", "n": 1}));
        std::fs::write(&path, "[1]").unwrap();
        assert!(
            collect(Some(&path), vec![])
                .unwrap_err()
                .to_string()
                .contains("array")
        );
        std::fs::write(&path, "input=1").unwrap();
        assert!(
            collect(Some(&path), vec![])
                .unwrap_err()
                .to_string()
                .contains("not JSON")
        );
        assert!(collect(Some(&dir.path().join("none.json")), vec![]).is_err());
    }
}
