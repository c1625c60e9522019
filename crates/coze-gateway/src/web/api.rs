//! The page's JSON API: session (bots, limits), the visitor's conversation list, a
//! conversation's messages, uploads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use coze_sdk::{
    BotId, ContentType, ConversationId, CreateConversationRequest, FileUpload, ListMessagesRequest,
    MessageRole, MessageType, SortOrder,
};
use futures_util::StreamExt as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::error::{Lang, WebError};
use super::{Peer, WebState, client_ip, with_cookie};

/// How long the bots' names and opening messages are cached.
const BOTS_TTL: Duration = Duration::from_secs(300);
/// Most conversations a visitor keeps (delete some to start more).
pub const MAX_CONVERSATIONS: usize = 200;
/// Most messages a conversation's history shows.
const MAX_HISTORY: usize = 200;

/// A bot as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BotInfo {
    pub id: String,
    pub name: String,
    pub description: String,
    pub icon_url: String,
    pub prologue: String,
    pub suggested_questions: Vec<String>,
}

/// One conversation of a visitor's list (kept in the store).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConvEntry {
    pub id: String,
    pub title: String,
    pub bot_id: String,
    pub created_at: u64,
    pub updated_at: u64,
}

/// A file the visitor uploaded (kept in the store, so only they can attach it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FileEntry {
    pub name: String,
    pub kind: String,
}

pub fn convs_key(visitor: &str) -> String {
    format!("web:convs:{visitor}")
}

pub fn files_key(visitor: &str) -> String {
    format!("web:files:{visitor}")
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn store_failed(lang: Lang, e: &crate::store::StoreError) -> WebError {
    tracing::error!(target: "coze_gateway::web", error = %e, "store call failed");
    WebError::unavailable(lang)
}

impl WebState {
    /// The visitor's conversation `id`; 404 when it is not in their list.
    pub(crate) async fn conversation(
        &self,
        visitor: &str,
        id: &str,
        lang: Lang,
    ) -> Result<ConvEntry, WebError> {
        self.store()
            .map_get_json::<ConvEntry>(&convs_key(visitor), id)
            .await
            .map_err(|e| store_failed(lang, &e))?
            .ok_or_else(|| WebError::not_found(lang, "conversation"))
    }

    pub(crate) async fn save_conversation(
        &self,
        visitor: &str,
        entry: &ConvEntry,
        lang: Lang,
    ) -> Result<(), WebError> {
        self.store()
            .map_set_json(
                &convs_key(visitor),
                &entry.id,
                entry,
                Some(self.settings().session_ttl),
            )
            .await
            .map_err(|e| store_failed(lang, &e))
    }

    /// The configured bots with their names and opening messages (cached for a while).
    async fn bots(&self) -> Arc<Vec<BotInfo>> {
        if let Ok(cache) = self.inner.bots.lock()
            && let Some((at, bots)) = cache.as_ref()
            && at.elapsed() < BOTS_TTL
        {
            return bots.clone();
        }
        let mut bots = Vec::new();
        let mut complete = true;
        for id in &self.settings().bots {
            match self.coze().bots().retrieve_online(&BotId::new(id)).await {
                Ok(bot) => {
                    let onboarding = bot.onboarding_info.unwrap_or_default();
                    bots.push(BotInfo {
                        id: id.clone(),
                        name: if bot.name.is_empty() {
                            format!("Bot {id}")
                        } else {
                            bot.name
                        },
                        description: bot.description,
                        icon_url: bot.icon_url,
                        prologue: onboarding.prologue,
                        suggested_questions: onboarding.suggested_questions,
                    });
                }
                Err(e) => {
                    complete = false;
                    tracing::warn!(
                        target: "coze_gateway::web",
                        bot_id = id.as_str(),
                        code = e.code(),
                        logid = e.logid().unwrap_or(""),
                        error = %e,
                        "cannot read the bot's name and opening message; showing its id"
                    );
                    bots.push(BotInfo {
                        id: id.clone(),
                        name: format!("Bot {id}"),
                        description: String::new(),
                        icon_url: String::new(),
                        prologue: String::new(),
                        suggested_questions: Vec::new(),
                    });
                }
            }
        }
        let bots = Arc::new(bots);
        if complete && let Ok(mut cache) = self.inner.bots.lock() {
            *cache = Some((Instant::now(), bots.clone()));
        }
        bots
    }
}

fn ok(visitor: &super::Visitor, body: Value) -> Response {
    with_cookie(visitor, Json(body))
}

/// `GET /api/session`: the bots and the limits; sets the cookie of a new visitor.
pub async fn session(
    State(state): State<WebState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let visitor = state.visitor(&headers).await?;
    let bots = state.bots().await;
    let s = state.settings();
    Ok(ok(
        &visitor,
        json!({
            "bots": *bots,
            "limits": {
                "max_message_chars": s.max_message_chars,
                "max_file_bytes": s.max_file_bytes,
                "accept": s.file_types,
            },
        }),
    ))
}

/// `GET /api/conversations`: newest first.
pub async fn list_conversations(
    State(state): State<WebState>,
    headers: HeaderMap,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let visitor = state.visitor(&headers).await?;
    let mut list: Vec<ConvEntry> = state
        .store()
        .raw()
        .map_entries(&convs_key(&visitor.id))
        .await
        .map_err(|e| store_failed(lang, &e))?
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_str(&v).ok())
        .collect();
    list.sort_by(|a, b| {
        b.updated_at
            .cmp(&a.updated_at)
            .then(b.created_at.cmp(&a.created_at))
            .then(b.id.cmp(&a.id))
    });
    Ok(ok(&visitor, json!({"conversations": list})))
}

#[derive(Deserialize)]
pub struct CreateBody {
    bot_id: Option<String>,
}

/// `POST /api/conversations` `{"bot_id"}`: a new Coze conversation in the visitor's list.
pub async fn create_conversation(
    State(state): State<WebState>,
    headers: HeaderMap,
    Peer(peer): Peer,
    body: Result<Json<CreateBody>, JsonRejection>,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let visitor = state.visitor(&headers).await?;
    let Json(body) = body.map_err(|_| WebError::bad_request("send JSON: {\"bot_id\": \"...\"}"))?;
    let bots = &state.settings().bots;
    let bot_id = match body.bot_id {
        Some(b) if bots.contains(&b) => b,
        None => bots[0].clone(),
        Some(_) => {
            return Err(WebError::bad_request(lang.pick(
                "This bot is not available here.".into(),
                "这里没有这个智能体。".into(),
            )));
        }
    };
    let ip = client_ip(&headers, peer, state.settings().trust_forwarded);
    // New conversations: twice the message limits (a conversation is made for a message).
    let per_minute = state.settings().visitor_per_minute.saturating_mul(2);
    state
        .limit(&format!("web:rl:new:{}", visitor.id), per_minute, lang)
        .await?;
    state
        .limit(
            &format!("web:rl:newip:{ip}"),
            state.settings().ip_per_minute.saturating_mul(2),
            lang,
        )
        .await?;
    let count = state
        .store()
        .raw()
        .map_entries(&convs_key(&visitor.id))
        .await
        .map_err(|e| store_failed(lang, &e))?
        .len();
    if count >= MAX_CONVERSATIONS {
        return Err(WebError::new(
            StatusCode::CONFLICT,
            "too_many_conversations",
            lang.pick(
                format!("You have {MAX_CONVERSATIONS} conversations, the most kept. Delete some to start a new one."),
                format!("会话已达上限（{MAX_CONVERSATIONS} 个），请删除一些后再新建。"),
            ),
        ));
    }
    let created = state
        .coze()
        .conversations()
        .create(CreateConversationRequest::new().bot_id(bot_id.clone()))
        .await
        .map_err(|e| WebError::from_coze(lang, "conversation create", &e))?;
    let now = now();
    let entry = ConvEntry {
        id: created.id.as_str().to_owned(),
        title: String::new(),
        bot_id,
        created_at: now,
        updated_at: now,
    };
    state.save_conversation(&visitor.id, &entry, lang).await?;
    Ok(ok(&visitor, json!(entry)))
}

#[derive(Deserialize)]
pub struct RenameBody {
    title: Option<String>,
}

/// `PATCH /api/conversations/{id}` `{"title"}`.
pub async fn rename_conversation(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Result<Json<RenameBody>, JsonRejection>,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let visitor = state.visitor(&headers).await?;
    let Json(body) = body.map_err(|_| WebError::bad_request("send JSON: {\"title\": \"...\"}"))?;
    let mut entry = state.conversation(&visitor.id, &id, lang).await?;
    let title: String = body
        .title
        .unwrap_or_default()
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect();
    if title.is_empty() {
        return Err(WebError::bad_request(
            lang.pick("The name cannot be empty.".into(), "名称不能为空。".into()),
        ));
    }
    entry.title = title;
    state.save_conversation(&visitor.id, &entry, lang).await?;
    Ok(ok(&visitor, json!(entry)))
}

/// `DELETE /api/conversations/{id}`: from the list, and from Coze.
pub async fn delete_conversation(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let visitor = state.visitor(&headers).await?;
    state.conversation(&visitor.id, &id, lang).await?;
    state
        .store()
        .raw()
        .map_delete(&convs_key(&visitor.id), &id)
        .await
        .map_err(|e| store_failed(lang, &e))?;
    if let Err(e) = state
        .coze()
        .conversations()
        .delete(&ConversationId::new(&id))
        .await
    {
        // Gone from the visitor's list either way; the operator sees why Coze kept it.
        tracing::warn!(target: "coze_gateway::web", code = e.code(), logid = e.logid().unwrap_or(""), error = %e, "conversation delete failed at Coze");
    }
    Ok(ok(&visitor, json!({"deleted": id})))
}

/// The text and attachments of a user message's content.
fn user_content(
    content_type: &ContentType,
    content: &str,
    files: &[(String, String)],
) -> (String, Vec<Value>) {
    if *content_type != ContentType::ObjectString {
        return (content.to_owned(), Vec::new());
    }
    let Ok(Value::Array(parts)) = serde_json::from_str::<Value>(content) else {
        return (content.to_owned(), Vec::new());
    };
    let mut text = Vec::new();
    let mut attached = Vec::new();
    for part in parts {
        match part.get("type").and_then(Value::as_str) {
            Some("text") => text.push(
                part.get("text")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
            ),
            Some(kind @ ("image" | "file" | "audio")) => {
                let id = part.get("file_id").and_then(Value::as_str).unwrap_or("");
                let name = files
                    .iter()
                    .find(|(fid, _)| fid == id)
                    .and_then(|(_, v)| serde_json::from_str::<super::api::FileEntry>(v).ok())
                    .map(|f| f.name)
                    .unwrap_or_else(|| kind.to_owned());
                attached.push(
                    json!({"kind": if kind == "image" { "image" } else { "file" }, "name": name}),
                );
            }
            _ => {}
        }
    }
    (text.join("\n"), attached)
}

/// `GET /api/conversations/{id}/messages`: questions and answers, oldest first.
pub async fn messages(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let visitor = state.visitor(&headers).await?;
    state.conversation(&visitor.id, &id, lang).await?;
    let files = state
        .store()
        .raw()
        .map_entries(&files_key(&visitor.id))
        .await
        .unwrap_or_default();
    let mut items = state
        .coze()
        .messages()
        .list(
            &ConversationId::new(&id),
            ListMessagesRequest::new().order(SortOrder::Asc).limit(50),
        )
        .items();
    let mut out = Vec::new();
    while let Some(item) = items.next().await {
        let m = item.map_err(|e| WebError::from_coze(lang, "message list", &e))?;
        match (&m.role, &m.kind) {
            (MessageRole::User, MessageType::Question) => {
                let (text, files) = user_content(&m.content_type, &m.content, &files);
                out.push(json!({"role": "user", "text": text, "files": files}));
            }
            (MessageRole::Assistant, MessageType::Answer) => {
                out.push(json!({
                    "role": "assistant",
                    "text": m.content,
                    "reasoning": m.reasoning_content,
                }));
            }
            _ => {}
        }
        if out.len() >= MAX_HISTORY {
            break;
        }
    }
    Ok(ok(&visitor, json!({"messages": out})))
}

/// The MIME type of an upload: the part's, else by extension.
fn mime_of(name: &str, declared: Option<&str>) -> String {
    if let Some(m) = declared.filter(|m| !m.is_empty() && *m != "application/octet-stream") {
        return m.to_ascii_lowercase();
    }
    let ext = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    match ext.as_deref() {
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("gif") => "image/gif",
        Some("webp") => "image/webp",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("md") => "text/markdown",
        Some("csv") => "text/csv",
        _ => "application/octet-stream",
    }
    .to_owned()
}

/// Whether `accept` (`type/*`, `type/sub`, `.ext`) takes a file.
pub fn accepted(accept: &[String], name: &str, mime: &str) -> bool {
    let ext = name
        .rsplit_once('.')
        .map(|(_, e)| format!(".{}", e.to_ascii_lowercase()));
    accept.iter().any(|a| match a.strip_suffix("/*") {
        Some(top) => mime.split('/').next() == Some(top),
        None if a.starts_with('.') => ext.as_deref() == Some(a.as_str()),
        None => a == mime,
    })
}

/// `POST /api/files` (multipart `file`): uploads to Coze; `{"id","name","kind","size"}`.
pub async fn upload(
    State(state): State<WebState>,
    headers: HeaderMap,
    Peer(peer): Peer,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, WebError> {
    let lang = Lang::of(&headers);
    let visitor = state.visitor(&headers).await?;
    let s = state.settings();
    let ip = client_ip(&headers, peer, s.trust_forwarded);
    state
        .limit(
            &format!("web:rl:up:{}", visitor.id),
            s.visitor_per_minute,
            lang,
        )
        .await?;
    state
        .limit(&format!("web:rl:upip:{ip}"), s.ip_per_minute, lang)
        .await?;
    let max = s.max_file_bytes;
    let too_big = || {
        WebError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            lang.pick(
                format!("The file is too big: {} MB at most.", max / 1024 / 1024),
                format!("文件太大：最大 {} MB。", max / 1024 / 1024),
            ),
        )
    };
    let mut multipart = multipart.map_err(|_| {
        WebError::bad_request("send the file as multipart/form-data in a field named file")
    })?;
    let field = loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => break field,
            Ok(Some(_)) => continue,
            Ok(None) => return Err(WebError::bad_request("no field named file in the upload")),
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
            Err(_) => {
                return Err(WebError::bad_request(
                    "the upload is not valid multipart/form-data",
                ));
            }
        }
    };
    let name: String = field
        .file_name()
        .unwrap_or("file")
        .chars()
        .filter(|c| !c.is_control() && *c != '/' && *c != '\\')
        .take(200)
        .collect();
    let name = if name.trim().is_empty() {
        "file".to_owned()
    } else {
        name
    };
    let mime = mime_of(&name, field.content_type());
    if !accepted(&s.file_types, &name, &mime) {
        return Err(WebError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "file_type",
            lang.pick(
                format!(
                    "This bot does not take {mime} files. Accepted: {}.",
                    s.file_types.join(", ")
                ),
                format!(
                    "此智能体不接受 {mime} 文件。可接受：{}。",
                    s.file_types.join(", ")
                ),
            ),
        ));
    }
    let bytes = match field.bytes().await {
        Ok(b) => b,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_big()),
        Err(_) => return Err(WebError::bad_request("the upload broke off; try again")),
    };
    if bytes.len() as u64 > max {
        return Err(too_big());
    }
    if bytes.is_empty() {
        return Err(WebError::bad_request(
            lang.pick("The file is empty.".into(), "文件是空的。".into()),
        ));
    }
    let size = bytes.len();
    let file = state
        .coze()
        .files()
        .upload(FileUpload::from_bytes(name.clone(), bytes).content_type(mime.clone()))
        .await
        .map_err(|e| WebError::from_coze(lang, "file upload", &e))?;
    let kind = if mime.starts_with("image/") {
        "image"
    } else {
        "file"
    };
    let entry = FileEntry {
        name: name.clone(),
        kind: kind.to_owned(),
    };
    state
        .store()
        .map_set_json(
            &files_key(&visitor.id),
            file.id.as_str(),
            &entry,
            Some(state.settings().session_ttl),
        )
        .await
        .map_err(|e| store_failed(lang, &e))?;
    Ok(ok(
        &visitor,
        json!({"id": file.id.as_str(), "name": name, "kind": kind, "size": size}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_lists_match_types_and_extensions() {
        let accept: Vec<String> = ["image/*", "application/pdf", ".docx"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(accepted(&accept, "a.png", "image/png"));
        assert!(accepted(&accept, "a.pdf", "application/pdf"));
        assert!(accepted(&accept, "A.DOCX", "application/octet-stream"));
        assert!(!accepted(&accept, "a.exe", "application/x-msdownload"));
        assert!(!accepted(&accept, "a.html", "text/html"));
        assert_eq!(mime_of("x.PNG", None), "image/png");
        assert_eq!(mime_of("x.bin", Some("Image/GIF")), "image/gif");
    }

    #[test]
    fn user_content_reads_multimodal_messages() {
        let files = vec![(
            "f1".to_string(),
            json!({"name": "cat.png", "kind": "image"}).to_string(),
        )];
        let content = json!([
            {"type": "text", "text": "look"},
            {"type": "image", "file_id": "f1"}
        ])
        .to_string();
        let (text, attached) = user_content(&ContentType::ObjectString, &content, &files);
        assert_eq!(text, "look");
        assert_eq!(attached, vec![json!({"kind": "image", "name": "cat.png"})]);
        let (text, attached) = user_content(&ContentType::Text, "<b>hi</b>", &files);
        assert_eq!((text.as_str(), attached.len()), ("<b>hi</b>", 0));
    }
}
