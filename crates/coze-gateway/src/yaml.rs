//! The bridge's `openapi.yaml`: the OpenAPI document (built as JSON) written as YAML by
//! serde-saphyr.

use serde_json::Value;

/// Renders `value` as a YAML document.
pub fn to_yaml(value: &Value) -> String {
    // Serialising a JSON value cannot fail (string keys, no special types); should it ever,
    // JSON is valid YAML 1.2.
    serde_saphyr::to_string(value).unwrap_or_else(|_| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_stay_strings_and_the_document_reads_back() {
        let doc = serde_json::json!({
            "openapi": "3.0.1",
            "flags": ["yes", "no", "null", "200", "~", "", "a: b", "- x", "#c", "line\nbreak"],
            "responses": {"200": {"description": "ok"}},
            "n": 3, "f": 1.5, "t": true, "z": null, "empty": {}, "list": [],
            "nested": [[1, 2], {"k": "v"}],
        });
        let yaml = to_yaml(&doc);
        let back: Value = serde_saphyr::from_str(&yaml).expect("valid YAML");
        assert_eq!(back, doc, "{yaml}");
    }
}
