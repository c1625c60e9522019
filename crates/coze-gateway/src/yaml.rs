//! A small YAML emitter for `serde_json::Value`, so the bridge can serve `openapi.yaml`
//! without a YAML dependency.
//!
//! Every string scalar is written double-quoted with JSON escapes (a JSON string is a valid
//! YAML double-quoted scalar), so no value can be re-typed by a YAML reader (`"yes"`, `"200"`,
//! `"null"` stay strings). Keys are written plain only when they are unambiguous identifiers.

use serde_json::Value;
use std::fmt::Write as _;

/// Renders `value` as a YAML 1.2 document (block style, two-space indents).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        scalar => {
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
    out
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, indent: usize) {
    for (key, value) in map {
        pad(out, indent);
        out.push_str(&key_text(key));
        out.push(':');
        write_value_after_key(out, value, indent);
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // The first key sits on the dash line; the rest align under it.
                let mut first = true;
                for (key, value) in map {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        pad(out, indent + 2);
                    }
                    out.push_str(&key_text(key));
                    out.push(':');
                    write_value_after_key(out, value, indent + 2);
                }
            }
            // A nested list or a scalar follows the dash as it would follow a key.
            other => write_value_after_key(out, other, indent),
        }
    }
}

fn write_value_after_key(out: &mut String, value: &Value, indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, indent + 2);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, indent + 2);
        }
        scalar => {
            out.push(' ');
            out.push_str(&scalar_text(scalar));
            out.push('\n');
        }
    }
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Words a YAML 1.1 reader would turn into booleans or null.
const RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "~",
];

fn key_text(key: &str) -> String {
    let plain = key
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
        && !RESERVED.contains(&key.to_ascii_lowercase().as_str());
    if plain { key.to_owned() } else { quote(key) }
}

fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Control characters, and the characters YAML 1.1 reads as line breaks.
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_maps_and_sequences() {
        let doc = json!({
            "openapi": "3.0.1",
            "paths": {"/a/{id}": {"post": {"required": ["x", "y"], "tags": []}}},
            "list": [{"name": "a", "in": "path"}, "s", 3, [1, 2]],
            "empty": {}
        });
        // serde_json sorts keys (no preserve_order feature).
        let expected = "\
empty: {}
list:
  - in: \"path\"
    name: \"a\"
  - \"s\"
  - 3
  -
    - 1
    - 2
openapi: \"3.0.1\"
paths:
  \"/a/{id}\":
    post:
      required:
        - \"x\"
        - \"y\"
      tags: []
";
        assert_eq!(to_yaml(&doc), expected);
    }

    #[test]
    fn ambiguous_keys_and_strings_are_quoted() {
        let doc = json!({"200": {"on": "yes", "a b": "line1\nline2 \"q\" \u{2028}", "ok": true, "n": null}});
        let yaml = to_yaml(&doc);
        assert!(yaml.starts_with("\"200\":\n"), "{yaml}");
        assert!(yaml.contains("  \"on\": \"yes\"\n"), "{yaml}");
        assert!(yaml.contains("  \"n\": null\n"), "{yaml}");
        assert!(yaml.contains("  ok: true\n"), "{yaml}");
        assert!(
            yaml.contains("  \"a b\": \"line1\\nline2 \\\"q\\\" \\u2028\"\n"),
            "{yaml}"
        );
    }

    #[test]
    fn unicode_passes_through() {
        assert_eq!(to_yaml(&json!({"k": "扣子 ✓"})), "k: \"扣子 ✓\"\n");
    }
}
