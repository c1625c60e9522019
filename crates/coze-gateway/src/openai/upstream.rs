//! Building Coze chat messages from checked OpenAI messages: uploads `data:` images and files
//! through Coze's files API, passes `https` URLs on as URLs, and renders earlier turns that
//! Coze cannot take as such (tool calls and outputs) as assistant text.

use coze_sdk::{ContentPart as CozePart, EnterMessage, FileUpload};

use super::error::ApiError;
use super::request::{Msg, Part, Source};

/// Coze takes at most this many `additional_messages`; a longer carried history keeps its
/// newest messages.
pub const MAX_ADDITIONAL_MESSAGES: usize = 100;

/// Turns `messages` into Coze messages; `system_as_context` sends system messages as user
/// messages (the `context` rule), otherwise they are left out.
///
/// # Errors
///
/// An upload that Coze refuses.
pub async fn enter_messages(
    client: &coze_sdk::Client,
    messages: &[&Msg],
    system_as_context: bool,
) -> Result<Vec<EnterMessage>, ApiError> {
    let mut out = Vec::with_capacity(messages.len());
    for m in messages {
        match m {
            Msg::System(text) if system_as_context && !text.trim().is_empty() => {
                out.push(EnterMessage::user(format!("[Instructions]\n{text}")));
            }
            Msg::System(_) => {}
            Msg::User(parts) => out.push(user_message(client, parts).await?),
            Msg::Assistant { text, calls } => {
                let mut s = text.trim().to_owned();
                for c in calls {
                    if !s.is_empty() {
                        s.push('\n');
                    }
                    s.push_str(&format!("[called tool {}({})]", c.name, c.arguments));
                }
                if !s.is_empty() {
                    out.push(EnterMessage::assistant(s));
                }
            }
            Msg::Tool { call_id, output } => {
                out.push(EnterMessage::assistant(format!(
                    "[tool call {call_id} returned: {output}]"
                )));
            }
        }
    }
    if out.len() > MAX_ADDITIONAL_MESSAGES {
        out.drain(..out.len() - MAX_ADDITIONAL_MESSAGES);
    }
    Ok(out)
}

async fn user_message(client: &coze_sdk::Client, parts: &[Part]) -> Result<EnterMessage, ApiError> {
    let mut coze = Vec::with_capacity(parts.len());
    for p in parts {
        coze.push(match p {
            Part::Text(t) => CozePart::text(t.clone()),
            Part::Image(Source::Url(u)) => CozePart::image_url(u.clone()),
            Part::Image(Source::FileId(id)) => CozePart::image_id(id.clone()),
            Part::Image(data) => CozePart::image_id(upload(client, data).await?),
            Part::File(Source::Url(u)) => CozePart::file_url(u.clone()),
            Part::File(Source::FileId(id)) => CozePart::file_id(id.clone()),
            Part::File(data) => CozePart::file_id(upload(client, data).await?),
        });
    }
    Ok(EnterMessage::user_parts(coze))
}

async fn upload(client: &coze_sdk::Client, source: &Source) -> Result<String, ApiError> {
    let Source::Data { bytes, name, .. } = source else {
        return Err(ApiError::invalid("nothing to upload"));
    };
    let file = client
        .files()
        .upload(FileUpload::from_bytes(name.clone(), bytes.clone()))
        .await
        .map_err(|e| {
            let mut err = ApiError::from_coze(&e);
            err.message = format!("uploading {name} to Coze failed: {}", err.message);
            err
        })?;
    Ok(file.id.as_str().to_owned())
}
