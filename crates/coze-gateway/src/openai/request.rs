//! Reading a chat completion request: JSON with the path of a wrong field, then checks and a
//! normalised form of the messages that the continuity hash and the Coze request use.

use base64::Engine as _;
use serde::Deserialize;

use super::error::ApiError;
use super::types::{ChatCompletionRequest, ContentPart, MessageContent, RequestMessage, Role};

/// What the gateway does with `system` (and `developer`) messages; `[openai] system_messages`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SystemRule {
    /// Ignore them: the bot's own prompt (its persona in Coze) rules. The default, because
    /// generic clients often send a system prompt of their own ("You are a helpful
    /// assistant") that would fight the bot's.
    #[default]
    Drop,
    /// Send them to Coze as a user message at the start of a new conversation's context
    /// (Coze's chat API has no system role).
    Context,
    /// Send their text on every chat as the prompt variable `{{NAME}}` (`custom_variables`),
    /// for bots whose prompt uses it. Written `variable:NAME`.
    Variable(String),
}

impl SystemRule {
    /// Parses `drop`, `context` or `variable:NAME`.
    ///
    /// # Errors
    ///
    /// A message naming the accepted values.
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.trim() {
            "drop" => Ok(SystemRule::Drop),
            "context" => Ok(SystemRule::Context),
            other => match other.strip_prefix("variable:") {
                Some(name) if !name.trim().is_empty() => {
                    Ok(SystemRule::Variable(name.trim().to_owned()))
                }
                _ => Err(format!(
                    "system_messages = {other:?} is not known: use \"drop\", \"context\" or \
                     \"variable:NAME\""
                )),
            },
        }
    }
}

impl<'de> Deserialize<'de> for SystemRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SystemRule::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// Where an image or file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// An `https://` URL, passed to Coze as is (the gateway never fetches it).
    Url(String),
    /// Inline bytes from a `data:` URI, uploaded to Coze.
    Data {
        /// MIME type from the URI.
        mime: String,
        /// Decoded bytes.
        bytes: Vec<u8>,
        /// A file name (given, or made from the MIME type).
        name: String,
    },
    /// A Coze file id.
    FileId(String),
}

/// A part of a user message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    /// Text.
    Text(String),
    /// An image.
    Image(Source),
    /// A file.
    File(Source),
}

/// A tool call of an assistant message, as the client resends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRef {
    /// Call id.
    pub id: String,
    /// Function name.
    pub name: String,
    /// Arguments string.
    pub arguments: String,
}

/// A request message after the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Msg {
    /// System or developer text.
    System(String),
    /// A user turn.
    User(Vec<Part>),
    /// An earlier answer (text and/or tool calls).
    Assistant {
        /// The text (empty when it only called tools).
        text: String,
        /// Its tool calls.
        calls: Vec<CallRef>,
    },
    /// A tool's output.
    Tool {
        /// The call it answers.
        call_id: String,
        /// The output.
        output: String,
    },
}

impl Msg {
    /// The text of a user message's text parts, joined by newlines.
    pub fn user_text(parts: &[Part]) -> String {
        parts
            .iter()
            .filter_map(|p| match p {
                Part::Text(t) => Some(t.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A checked request.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// The model name.
    pub model: String,
    /// Stream the answer.
    pub stream: bool,
    /// Add the usage chunk.
    pub include_usage: bool,
    /// The `user` (empty when absent).
    pub user: String,
    /// A Coze conversation named by the extension.
    pub conversation_id: Option<String>,
    /// The messages, system ones kept (the system rule applies later).
    pub messages: Vec<Msg>,
}

/// Parses and checks a request body.
///
/// # Errors
///
/// 400 errors in OpenAI's shape naming the field at fault.
pub fn parse(body: &[u8]) -> Result<Prepared, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::invalid(format!(
            "the body is not JSON ({e}): send a JSON object with `model` and `messages`"
        ))
        .code("invalid_json")
    })?;
    if !value.is_object() {
        return Err(ApiError::invalid(
            "the body is not a JSON object: send {\"model\": ..., \"messages\": [...]}",
        ));
    }
    for field in ["model", "messages"] {
        if value.get(field).is_none_or(serde_json::Value::is_null) {
            return Err(ApiError::invalid(format!(
                "`{field}` is missing: send {{\"model\": ..., \"messages\": [...]}}"
            ))
            .param(field));
        }
    }
    let req: ChatCompletionRequest = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ApiError::invalid(format!(
            "`{path}` is not valid: {}; see the OpenAI chat completions reference",
            e.inner()
        ))
        .param(path)
    })?;
    prepare(req)
}

fn prepare(req: ChatCompletionRequest) -> Result<Prepared, ApiError> {
    if req.model.trim().is_empty() {
        return Err(
            ApiError::invalid("`model` is empty: use one of GET /v1/models").param("model"),
        );
    }
    if req.messages.is_empty() {
        return Err(
            ApiError::invalid("`messages` is empty: send at least one user message")
                .param("messages"),
        );
    }
    let messages = req
        .messages
        .into_iter()
        .enumerate()
        .map(|(i, m)| message(i, m))
        .collect::<Result<Vec<_>, _>>()?;
    let last = messages.len() - 1;
    match &messages[last] {
        Msg::User(_) | Msg::Tool { .. } => {}
        _ => {
            return Err(ApiError::invalid(format!(
                "the last message (messages[{last}]) is not from the user or a tool: end with \
                 the user's message"
            ))
            .param(format!("messages[{last}]")));
        }
    }
    if let Some(conv) = req.coze.as_ref().and_then(|c| c.conversation_id.as_deref())
        && conv.trim().is_empty()
    {
        return Err(ApiError::invalid(
            "`coze.conversation_id` is empty: leave it out to let the gateway choose",
        )
        .param("coze.conversation_id"));
    }
    Ok(Prepared {
        model: req.model.trim().to_owned(),
        stream: req.stream.unwrap_or(false),
        include_usage: req
            .stream_options
            .and_then(|o| o.include_usage)
            .unwrap_or(false),
        user: req.user.unwrap_or_default(),
        conversation_id: req
            .coze
            .and_then(|c| c.conversation_id)
            .map(|c| c.trim().to_owned()),
        messages,
    })
}

fn message(i: usize, m: RequestMessage) -> Result<Msg, ApiError> {
    let at = |field: &str| format!("messages[{i}]{field}");
    match m.role {
        Role::System | Role::Developer => Ok(Msg::System(text_only(i, m.content)?)),
        Role::Assistant => {
            let text = text_only(i, m.content)?;
            let calls: Vec<CallRef> = m
                .tool_calls
                .unwrap_or_default()
                .into_iter()
                .map(|c| CallRef {
                    id: c.id,
                    name: c.function.name,
                    arguments: c.function.arguments.unwrap_or_default(),
                })
                .collect();
            Ok(Msg::Assistant { text, calls })
        }
        Role::Tool => {
            let Some(call_id) = m.tool_call_id.filter(|id| !id.trim().is_empty()) else {
                return Err(ApiError::invalid(format!(
                    "messages[{i}] is a tool message without `tool_call_id`: name the call it \
                     answers"
                ))
                .param(at(".tool_call_id")));
            };
            Ok(Msg::Tool {
                call_id,
                output: text_only(i, m.content)?,
            })
        }
        Role::User => {
            let parts = match m.content {
                None => Vec::new(),
                Some(MessageContent::Text(t)) => vec![Part::Text(t)],
                Some(MessageContent::Parts(parts)) => parts
                    .into_iter()
                    .enumerate()
                    .map(|(j, p)| part(i, j, p))
                    .collect::<Result<Vec<_>, _>>()?,
            };
            let has_file = parts.iter().any(|p| !matches!(p, Part::Text(_)));
            if !has_file && Msg::user_text(&parts).trim().is_empty() {
                return Err(ApiError::invalid(format!(
                    "messages[{i}] is empty: type a question (or attach an image)"
                ))
                .param(at(".content")));
            }
            Ok(Msg::User(parts))
        }
    }
}

/// Content that must be text (system, assistant, tool): a string, text parts, or null.
fn text_only(i: usize, content: Option<MessageContent>) -> Result<String, ApiError> {
    match content {
        None => Ok(String::new()),
        Some(MessageContent::Text(t)) => Ok(t),
        Some(MessageContent::Parts(parts)) => parts
            .into_iter()
            .enumerate()
            .map(|(j, p)| match p {
                ContentPart::Text { text } => Ok(text),
                ContentPart::Refusal { refusal } => Ok(refusal),
                _ => Err(ApiError::invalid(format!(
                    "messages[{i}].content[{j}] is not text: only user messages may carry images \
                     and files"
                ))
                .param(format!("messages[{i}].content[{j}]"))),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|texts| texts.join("\n")),
    }
}

fn part(i: usize, j: usize, p: ContentPart) -> Result<Part, ApiError> {
    let param = format!("messages[{i}].content[{j}]");
    match p {
        ContentPart::Text { text } => Ok(Part::Text(text)),
        ContentPart::Refusal { refusal } => Ok(Part::Text(refusal)),
        ContentPart::ImageUrl { image_url } => {
            let url = image_url.url.trim();
            if url.starts_with("data:") {
                data_uri(url, None)
                    .map(Part::Image)
                    .map_err(|why| ApiError::invalid(format!("{param}: {why}")).param(param))
            } else if url.len() > "https://".len() && url[..8].eq_ignore_ascii_case("https://") {
                Ok(Part::Image(Source::Url(url.to_owned())))
            } else {
                Err(ApiError::invalid(format!(
                    "{param}: the image URL must start with https:// or be a data: URI (the \
                     gateway never fetches URLs itself; Coze fetches https ones)"
                ))
                .param(format!("{param}.image_url.url")))
            }
        }
        ContentPart::File { file } => {
            if let Some(id) = file.file_id.filter(|s| !s.trim().is_empty()) {
                return Ok(Part::File(Source::FileId(id.trim().to_owned())));
            }
            let Some(data) = file.file_data.filter(|s| !s.trim().is_empty()) else {
                return Err(ApiError::invalid(format!(
                    "{param}: the file has neither `file_data` nor `file_id`: send the file as a \
                     data: URI in `file_data`"
                ))
                .param(format!("{param}.file")));
            };
            let data = data.trim();
            let source = if data.starts_with("data:") {
                data_uri(data, file.filename.as_deref())
            } else {
                // Bare base64, as some clients send it.
                decode_base64(data).map(|bytes| Source::Data {
                    mime: "application/octet-stream".into(),
                    bytes,
                    name: file.filename.clone().unwrap_or_else(|| "file".into()),
                })
            };
            source
                .map(Part::File)
                .map_err(|why| ApiError::invalid(format!("{param}: {why}")).param(param))
        }
        ContentPart::InputAudio { .. } => Err(ApiError::invalid(format!(
            "{param}: audio input is not supported: upload the audio as a file part"
        ))
        .param(param)),
    }
}

fn decode_base64(s: &str) -> Result<Vec<u8>, String> {
    let compact: String = s.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(compact.as_bytes()))
        .map_err(|e| format!("the data is not valid base64 ({e})"))
}

/// Decodes `data:<mime>;base64,<payload>`.
fn data_uri(uri: &str, name: Option<&str>) -> Result<Source, String> {
    let rest = &uri["data:".len()..];
    let Some((meta, payload)) = rest.split_once(',') else {
        return Err("the data: URI has no comma: write data:<type>;base64,<data>".into());
    };
    let Some(mime) = meta.strip_suffix(";base64") else {
        return Err("the data: URI is not base64: write data:<type>;base64,<data>".into());
    };
    let mime = if mime.is_empty() {
        "application/octet-stream"
    } else {
        mime
    };
    let bytes = decode_base64(payload)?;
    if bytes.is_empty() {
        return Err("the data: URI is empty".into());
    }
    let name = name
        .map(str::to_owned)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| format!("upload.{}", extension(mime)));
    Ok(Source::Data {
        mime: mime.to_owned(),
        bytes,
        name,
    })
}

fn extension(mime: &str) -> &str {
    match mime {
        "image/jpeg" | "image/jpg" => "jpg",
        "image/svg+xml" => "svg",
        "text/plain" => "txt",
        "application/pdf" => "pdf",
        _ => mime
            .split_once('/')
            .map(|(_, sub)| sub)
            .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()))
            .unwrap_or("bin"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_value(v: serde_json::Value) -> Result<Prepared, ApiError> {
        parse(v.to_string().as_bytes())
    }

    #[test]
    fn not_json_wrong_types_and_missing_fields() {
        let e = parse(b"{nope").unwrap_err();
        assert_eq!(
            (e.status.as_u16(), e.code.as_deref()),
            (400, Some("invalid_json"))
        );
        let e = parse_value(json!({"model": "echo"})).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("messages"));
        let e = parse_value(json!({"model": "echo", "messages": [{"role": "user", "content": 5}]}))
            .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("messages[0].content"), "{e:?}");
        let e = parse_value(json!({"model": 3, "messages": []})).unwrap_err();
        assert_eq!(e.param.as_deref(), Some("model"));
        let e = parse_value(json!({"model": "echo", "messages": []})).unwrap_err();
        assert!(e.message.contains("at least one user message"));
        let e =
            parse_value(json!({"model": "echo", "messages": [{"role": "user", "content": "  "}]}))
                .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("messages[0].content"));
        let e = parse_value(json!({"model": "echo", "messages": [
            {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}))
        .unwrap_err();
        assert!(e.message.contains("not from the user"), "{}", e.message);
        let e =
            parse_value(json!({"model": "echo", "messages": [{"role": "tool", "content": "x"}]}))
                .unwrap_err();
        assert_eq!(e.param.as_deref(), Some("messages[0].tool_call_id"));
    }

    #[test]
    fn images_urls_and_data() {
        let p = parse_value(
            json!({"model": "echo", "stream": true, "user": "u", "messages": [
            {"role": "user", "content": [
                {"type": "text", "text": "look"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
                {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}}
            ]}]}),
        )
        .unwrap();
        assert!(p.stream);
        assert_eq!(p.user, "u");
        let Msg::User(parts) = &p.messages[0] else {
            panic!()
        };
        assert_eq!(parts[0], Part::Text("look".into()));
        let Part::Image(Source::Data { mime, bytes, name }) = &parts[1] else {
            panic!("{parts:?}")
        };
        assert_eq!((mime.as_str(), name.as_str()), ("image/png", "upload.png"));
        assert_eq!(&bytes[1..4], b"PNG");
        assert_eq!(
            parts[2],
            Part::Image(Source::Url("https://example.com/a.png".into()))
        );

        for url in [
            "http://example.com/a.png",
            "file:///etc/passwd",
            "ftp://x/y",
        ] {
            let e = parse_value(
                json!({"model": "echo", "messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": url}}]}]}),
            )
            .unwrap_err();
            assert!(e.message.contains("https://"), "{url}: {}", e.message);
        }
        let e = parse_value(
            json!({"model": "echo", "messages": [{"role": "user", "content": [
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,!!!"}}]}]}),
        )
        .unwrap_err();
        assert!(e.message.contains("base64"), "{}", e.message);
    }

    #[test]
    fn system_rule_parsing() {
        assert_eq!(SystemRule::parse("drop"), Ok(SystemRule::Drop));
        assert_eq!(
            SystemRule::parse("variable:persona"),
            Ok(SystemRule::Variable("persona".into()))
        );
        assert!(SystemRule::parse("variable:").is_err());
        assert!(SystemRule::parse("keep").unwrap_err().contains("drop"));
    }
}
