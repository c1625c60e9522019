//! Async Rust SDK for the Coze (扣子) OpenAPI.
//!
//! # Quick start
//!
//! ```no_run
//! use coze_sdk::{ChatEvent, ChatRequest, ClientBuilder};
//! use futures_util::StreamExt;
//!
//! # async fn run() -> coze_sdk::Result<()> {
//! // COZE_API_TOKEN and COZE_API_BASE (default https://api.coze.com) from the environment.
//! let client = ClientBuilder::from_env().build()?;
//! let req = ChatRequest::new("7382159487131697202", "user-1").user_message("Hello!");
//! let mut stream = client.chat().stream(req).await?;
//! while let Some(event) = stream.next().await {
//!     match event? {
//!         ChatEvent::MessageDelta(m) => print!("{}", m.content),
//!         ChatEvent::ChatCompleted(chat) => println!("\n(tokens: {:?})", chat.usage),
//!         _ => {}
//!     }
//! }
//! # Ok(())
//! # }
//! ```
//!
//! The same against the local emulator (`coze emulator` prints its base URL, PAT and bots):
//!
//! ```
//! use coze_sdk::{ChatRequest, Client, PollOptions};
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! # let emulator = coze_emulator::Emulator::start().await?;
//! # let (base_url, pat, echo_bot) = (emulator.base_url(), emulator.pat(), &emulator.bots().echo);
//! let client = Client::builder().base_url(base_url).token(pat).build()?;
//! let req = ChatRequest::new(echo_bot, "user-1").user_message("Hello!");
//! let done = client.chat().create_and_poll(req, PollOptions::new()).await?;
//! assert_eq!(done.answer(), "You said: \"Hello!\".\n\n- words: 1\n- characters: 6\n\n```text\nHello!\n```");
//! # Ok(())
//! # }
//! ```
//!
//! # Behaviour worth knowing
//!
//! - **Regions.** The default base URL is `https://api.coze.com`, like the official SDKs; a
//!   coze.cn token needs [`Region::Cn`] (`https://api.coze.cn`). A token of the other region is
//!   refused with code 4100, and [`Error::hint`] says so, naming the URL used.
//! - **Errors.** Success is decided by the body's `code` (0), not the HTTP status; a non-JSON
//!   body (an HTML 502 page from a proxy) becomes [`Error::UnexpectedResponse`] with the status
//!   and the start of the body. Every API error carries the logid Coze support asks for.
//! - **Timeouts.** Connect 10 s; non-streaming requests 120 s in total; streams have no total
//!   limit, only an idle timeout (120 s without a byte, also while waiting for headers).
//! - **Retries.** On by default ([`RetryPolicy::default`], two retries): connection failures
//!   before anything was sent, and 429 / 5xx / timeouts on idempotent requests, honouring
//!   `Retry-After`. Creating a chat, a message or a conversation is never re-sent once it may
//!   have reached Coze. [`RetryPolicy::none`] turns retries off. A refused token (401 / 4100 /
//!   700012006) is retried once when the [`TokenSource`] says a fresh token may work.
//! - **Streams.** [`ChatStream`] yields every event that arrived, then one `Err` item if the
//!   stream broke (cut connection, idle timeout, malformed or oversized event, an `error`
//!   event), so a partial answer is never lost. `done` is yielded and ends the stream.
//! - **Polling.** `chat().create_and_poll` polls once a second (Coze's limit) while the chat is
//!   `created` / `in_progress`; it returns `Ok` for `completed`, `failed` (see
//!   [`Chat::error`]) and `requires_action` (see [`Chat::tool_calls`]), and on its timeout
//!   cancels the chat and returns [`Error::PollTimeout`].
//! - **Lists** are lazy [`Pages`] streams (one request per page, only when polled);
//!   `.items()` flattens them, `.collect_all()` gathers everything. Message lists continue
//!   with `after_id = last_id`, like the official SDKs. `list_page` fetches a single page.
//! - **Leniency.** Unknown event names, message types and statuses decode to `Unknown` values;
//!   timestamps may be integers or numeric strings; missing optional fields take defaults.
//! - **Tokens** are trimmed (a pasted trailing newline is harmless) and held in [`Secret`],
//!   which never prints its value.
//! - **WebSockets.** [`Client::websockets`] opens the voice chat, speech and transcription
//!   WebSockets (`wss://ws.coze.com`, `wss://ws.coze.cn`, or derived from the base URL) with
//!   typed events both ways. A connection is never reopened by itself (a new one is a new
//!   session on Coze); a drop while an answer is awaited ends the stream with
//!   [`Error::WebSocketCut`] after every event that arrived. See [`websocket`].

#![warn(missing_docs)]

pub mod apps;
pub mod audio;
pub mod auth;
pub mod bots;
pub mod chat;
pub mod chatflows;
mod client;
pub mod commerce;
pub mod conversations;
pub mod datasets;
mod error;
pub mod feedback;
pub mod files;
pub mod ids;
mod listing;
pub mod members;
pub mod messages;
pub mod pagination;
pub mod region;
mod request;
mod response;
mod retry;
mod secret;
pub mod sse;
pub mod stream;
pub mod templates;
mod token;
pub mod types;
pub mod users;
pub mod variables;
pub mod versions;
pub mod voiceprints;
pub mod websocket;
pub mod workflows;
pub mod workspaces;

pub use apps::{ApiAppsApi, AppsApi, CollaborationApi, ConnectorsApi, FoldersApi, Resource};
pub use audio::AudioApi;
pub use bots::{API_CONNECTOR, BotsApi};
pub use chat::{ChatApi, ChatStream, PollOptions};
pub use chatflows::ChatflowsApi;
pub use client::{Client, ClientBuilder};
pub use commerce::{BillTask, CommerceApi};
pub use conversations::ConversationsApi;
pub use datasets::{DatasetsApi, DocumentsApi, ImagesApi};
pub use error::{ApiError, Error, OAuthError, Result};
pub use files::FilesApi;
pub use ids::*;
pub use members::{EnterprisesApi, OrganizationsApi};
pub use messages::MessagesApi;
pub use pagination::{Items, Page, Pages};
pub use region::{CN_BASE_URL, COM_BASE_URL, ENV_API_BASE, ENV_API_TOKEN, Region, check_base_url};
#[doc(hidden)]
pub use response::bench_classify;
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use templates::TemplatesApi;
pub use token::{BoxFuture, StaticToken, TokenSource};
pub use types::bots::{
    Bot, BotList, BotPublishStatus, CreateBotRequest, ListBotsRequest, ModelInfo, OnboardingInfo,
    PromptInfo, PublishedVersion, SimpleBot, UpdateBotRequest,
};
pub use types::chat::{
    Chat, ChatEvent, ChatPoll, ChatRequest, ChatStatus, FunctionCall, LastError, PublishStatus,
    RequiredAction, ToolCall, ToolCallType, ToolOutput, Usage,
};
pub use types::conversations::{
    Conversation, ConversationList, CreateConversationRequest, ListConversationsRequest, Section,
};
pub use types::files::{File, FileUpload, MAX_UPLOAD_BYTES};
pub use types::messages::{
    ContentPart, ContentType, EnterMessage, FileRef, ListMessagesRequest, Message, MessageList,
    MessageRole, MessageType, ModifyMessageRequest, SortOrder, object_string,
};
pub use types::users::User;
pub use types::workflows::{
    AsyncRun, ChatflowRequest, ExecuteStatus, InterruptData, ListWorkflowsRequest, ResumeRequest,
    WorkflowError, WorkflowEvent, WorkflowInfo, WorkflowInterrupt, WorkflowMessage, WorkflowMode,
    WorkflowRunHistory, WorkflowRunRequest, WorkflowRunResult,
};
pub use types::workspaces::{ListWorkspacesRequest, Workspace, WorkspaceRole, WorkspaceType};
pub use users::UsersApi;
pub use variables::VariablesApi;
pub use voiceprints::VoiceprintGroupsApi;
pub use websocket::WebsocketsApi;
pub use workflows::{WorkflowStream, WorkflowsApi};
pub use workspaces::WorkspacesApi;
