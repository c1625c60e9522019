//! Shared server state: the in-memory store behind one mutex, the fault switches and the clock.
//!
//! Every route module reads and writes [`Store`] through [`AppState::store`]. The lock is a
//! plain `std::sync::Mutex`: hold it for a few map operations, never across an `.await`.
//!
//! Adding state for a new module: add a field to [`Store`] (its type must implement
//! `Default`), and if it needs seed data, a call in [`AppState::new`] under "seeds of other
//! modules".

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use crate::bots::{self, Behavior};
use crate::faults::Faults;
use crate::pace::Pace;

/// Settings fixed at start; see `EmulatorConfig` in the crate root for the public knobs.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Lifetime of OAuth access tokens issued by the emulator (default 15 minutes).
    pub token_ttl: Duration,
    /// How long a synchronous `/v1/workflow/run` waits for its workflow (Coze: 90 s).
    pub sync_workflow_timeout: Duration,
    /// Largest accepted upload (4302 above).
    pub max_upload_bytes: u64,
    /// How long the slow scripted workflow runs.
    pub slow_workflow: Duration,
}

/// The server's state; cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Mutex<Store>,
    /// The answering pace (changeable at run time, `/_emulator/pace`).
    pace: Mutex<Pace>,
    faults: Faults,
    settings: Settings,
    /// Seconds added to the wall clock (`/_emulator/clock`), to test token expiry.
    clock_skew: AtomicI64,
    next_id: AtomicU64,
    ids: SeedIds,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("settings", &self.inner.settings)
            .field("ids", &self.inner.ids)
            .finish_non_exhaustive()
    }
}

/// Ids of the objects created at start.
#[derive(Debug, Clone)]
pub struct SeedIds {
    /// The emulator's single user (owner of the PAT).
    pub user_id: String,
    /// The user's personal workspace.
    pub workspace_id: String,
    /// A team workspace the user belongs to (for OAuth workspace-install flows).
    pub team_workspace_id: String,
    /// The demo bots.
    pub bots: BotIds,
}

/// Ids of the demo bots (all in the personal workspace).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BotIds {
    /// Repeats the message and what the user said earlier in the section.
    pub echo: String,
    /// Asks for a function call, then answers with the submitted tool output.
    pub tool: String,
    /// Fails every chat with `conversation.chat.failed` (code 5000).
    pub failing: String,
    /// Not published to the API channel: every chat is refused with 4015.
    pub unpublished: String,
    /// Streams `reasoning_content` deltas (its chain of thought) before an echo answer.
    pub reasoning: String,
    /// Calls a tool of the imported plugin (`/_emulator/plugins/import`) over HTTP.
    pub plugin: String,
}

impl AppState {
    /// A fresh state with the demo user, workspaces, bots and the PAT.
    pub fn new(pat: &str, pat_ttl: Option<Duration>, settings: Settings, pace: Pace) -> AppState {
        let next_id = AtomicU64::new(ID_BASE);
        let id = || next_id.fetch_add(1, Ordering::Relaxed).to_string();
        let ids = SeedIds {
            user_id: id(),
            workspace_id: id(),
            team_workspace_id: id(),
            bots: BotIds {
                echo: id(),
                tool: id(),
                failing: id(),
                unpublished: id(),
                plugin: id(),
                reasoning: id(),
            },
        };
        let state = AppState {
            inner: Arc::new(Inner {
                store: Mutex::new(Store::default()),
                pace: Mutex::new(pace),
                faults: Faults::default(),
                settings,
                clock_skew: AtomicI64::new(0),
                next_id,
                ids,
            }),
        };
        let now = state.now();
        {
            let ids = &state.inner.ids;
            let mut store = state.store();
            store.users.insert(
                ids.user_id.clone(),
                UserRecord {
                    id: ids.user_id.clone(),
                    name: "emulator".into(),
                    nick_name: "Emulator User".into(),
                },
            );
            store.workspaces.insert(
                ids.workspace_id.clone(),
                WorkspaceRecord {
                    id: ids.workspace_id.clone(),
                    name: "Personal".into(),
                    kind: WorkspaceKind::Personal,
                    owner_id: ids.user_id.clone(),
                    members: vec![ids.user_id.clone()],
                },
            );
            store.workspaces.insert(
                ids.team_workspace_id.clone(),
                WorkspaceRecord {
                    id: ids.team_workspace_id.clone(),
                    name: "Team".into(),
                    kind: WorkspaceKind::Team,
                    owner_id: ids.user_id.clone(),
                    members: vec![ids.user_id.clone()],
                },
            );
            store.tokens.insert(
                pat.to_string(),
                TokenInfo {
                    kind: TokenKind::Pat,
                    user_id: ids.user_id.clone(),
                    expires_at: pat_ttl.map(|ttl| {
                        now.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX))
                    }),
                    workspace_id: None,
                    client_id: None,
                    scope: None,
                    session_name: None,
                },
            );
            let demo: [(&String, &str, bool, Arc<dyn Behavior>); 5] = [
                (&ids.bots.echo, "Echo", true, Arc::new(bots::echo::Echo)),
                (&ids.bots.tool, "Tool", true, Arc::new(bots::tool::Tool)),
                (
                    &ids.bots.failing,
                    "Failing",
                    true,
                    Arc::new(bots::failing::Failing),
                ),
                (
                    &ids.bots.reasoning,
                    "Reasoning",
                    true,
                    Arc::new(bots::reasoning::Reasoning),
                ),
                (
                    &ids.bots.unpublished,
                    "Unpublished",
                    false,
                    Arc::new(bots::echo::Echo),
                ),
            ];
            for (id, name, published, behavior) in demo {
                store.bots.insert(
                    id.clone(),
                    BotRecord {
                        id: id.clone(),
                        name: name.to_string(),
                        description: format!("emulator demo bot: {}", name.to_lowercase()),
                        workspace_id: ids.workspace_id.clone(),
                        owner_id: ids.user_id.clone(),
                        published,
                        created_at: now,
                        updated_at: now,
                        behavior,
                        // Published bots were published when the emulator started.
                        extra: if published {
                            Map::from_iter([("published_at".to_string(), now.into())])
                        } else {
                            Map::new()
                        },
                    },
                );
            }
            // The echo bot greets like a configured Coze bot (opening message and suggested
            // questions), so chat pages have onboarding to show.
            if let Some(echo) = store.bots.get_mut(&ids.bots.echo) {
                echo.extra.insert(
                    "onboarding_info".into(),
                    serde_json::json!({
                        "prologue": "Hi! I am the **echo** bot: I repeat what you say, and recall what you said earlier in the conversation.",
                        "suggested_questions": ["What can you do?", "Tell me a joke"],
                    }),
                );
            }
            // Seeds of other modules go here.
            crate::oauth::seed(&state, &mut store);
            crate::workflows::seed(&mut store);
            crate::routes::extras::seed(&state, &mut store);
            crate::plugins::bot::seed(
                &mut store,
                &ids.bots.plugin,
                &ids.workspace_id,
                &ids.user_id,
                now,
            );
        }
        state
    }

    /// The store; hold the guard briefly and never across an `.await`.
    pub fn store(&self) -> MutexGuard<'_, Store> {
        // A panic while holding the lock leaves plain data behind; keep serving it.
        self.inner
            .store
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The fault switches.
    pub fn faults(&self) -> &Faults {
        &self.inner.faults
    }

    /// The answering pace now.
    pub fn pace(&self) -> Pace {
        *self
            .inner
            .pace
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Changes the answering pace for chats and workflow runs started from now on.
    pub fn set_pace(&self, pace: Pace) {
        *self
            .inner
            .pace
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = pace;
    }

    /// Settings fixed at start.
    pub fn settings(&self) -> &Settings {
        &self.inner.settings
    }

    /// Ids of the seeded user, workspaces and bots.
    pub fn ids(&self) -> &SeedIds {
        &self.inner.ids
    }

    /// A new unique id: a 19-digit decimal like Coze's int64 ids, increasing over time so
    /// that sorting by id is sorting by creation.
    pub fn new_id(&self) -> String {
        self.inner
            .next_id
            .fetch_add(1, Ordering::Relaxed)
            .to_string()
    }

    /// The emulator's clock in Unix seconds (wall clock plus the test skew).
    pub fn now(&self) -> i64 {
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64);
        // Saturating: a test may move the clock by any i64 without making every request panic.
        wall.unwrap_or(0)
            .saturating_add(self.inner.clock_skew.load(Ordering::Relaxed))
    }

    /// Moves the emulator's clock by `seconds` (negative moves it back).
    pub fn skew_clock(&self, seconds: i64) {
        let _ = self
            .inner
            .clock_skew
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
                Some(s.saturating_add(seconds))
            });
    }

    /// The current clock skew in seconds.
    pub fn clock_skew(&self) -> i64 {
        self.inner.clock_skew.load(Ordering::Relaxed)
    }
}

/// First id handed out; the ids look like Coze's (19 digits, starting with 7).
const ID_BASE: u64 = 7_400_000_000_000_000_001;

/// Everything the emulator remembers. Fields are public so route modules can work on them
/// directly; add your module's state as a new field with a `Default` type.
#[derive(Default)]
pub struct Store {
    /// Accepted bearer tokens (the PAT and issued OAuth tokens).
    pub tokens: TokenRegistry,
    pub users: HashMap<String, UserRecord>,
    pub workspaces: HashMap<String, WorkspaceRecord>,
    pub bots: HashMap<String, BotRecord>,
    pub conversations: HashMap<String, ConversationRecord>,
    /// Messages of every conversation, keyed by numeric id (so iteration is creation order).
    pub messages: BTreeMap<u64, MessageRecord>,
    pub chats: HashMap<String, ChatRecord>,
    /// Message keys per conversation (kept by `insert_message`; may hold ids of messages
    /// since removed, which lookups skip), so a chat never scans every message.
    pub messages_by_conversation: HashMap<String, BTreeSet<u64>>,
    /// Chat ids per conversation (kept by `insert_chat`), for the busy check.
    pub chats_by_conversation: HashMap<String, Vec<String>>,
    /// Uploaded files (`routes/files.rs`).
    pub files: HashMap<String, crate::routes::files::FileRecord>,
    /// Workflow runs, pending interrupts, chatflow questions (`crate::workflows`).
    pub workflows: crate::workflows::WorkflowStore,
    /// Key/value pairs merged into `Emulator::info()` (e.g. `"oauth"` by the OAuth module).
    pub info_extras: Map<String, Value>,
    /// OAuth apps, codes, refresh and device codes (`oauth.rs`).
    pub oauth: crate::oauth::OAuthStore,
    /// Imported plugins and the fake Glif's settings (`crate::plugins`).
    pub plugins: crate::plugins::PluginStore,
    /// Datasets and documents (`routes/knowledge.rs`).
    pub knowledge: crate::routes::knowledge::KnowledgeStore,
    /// Bot and app variables (`routes/variables.rs`).
    pub variables: crate::routes::variables::VariableStore,
    /// Cloned voices and rooms (`routes/audio.rs`).
    pub audio: crate::routes::audio::AudioStore,
    /// Workspace roles, enterprises, organisations (`routes/members.rs`).
    pub people: crate::routes::members::PeopleStore,
    /// Apps, API apps, connectors, copy tasks, collaborators (`routes/apps.rs`).
    pub apps: crate::routes::apps::AppsStore,
    /// Limits and bill tasks (`routes/commerce.rs`).
    pub commerce: crate::routes::commerce::CommerceStore,
    /// Templates and other calls outside the OpenAPI document (`routes/extras.rs`).
    pub extras: crate::routes::extras::ExtrasStore,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("tokens", &self.tokens)
            .field("bots", &self.bots.len())
            .field("conversations", &self.conversations.len())
            .field("messages", &self.messages.len())
            .field("chats", &self.chats.len())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// The message with this id, if any.
    pub fn message(&self, id: &str) -> Option<&MessageRecord> {
        self.messages.get(&id.parse::<u64>().ok()?)
    }

    /// The message with this id, mutably.
    pub fn message_mut(&mut self, id: &str) -> Option<&mut MessageRecord> {
        self.messages.get_mut(&id.parse::<u64>().ok()?)
    }

    /// Removes the message with this id, if any.
    pub fn remove_message(&mut self, id: &str) -> Option<MessageRecord> {
        self.messages.remove(&id.parse::<u64>().ok()?)
    }

    /// Stores a message under its id; ids come from [`AppState::new_id`].
    pub fn insert_message(&mut self, message: MessageRecord) {
        if let Ok(key) = message.id.parse::<u64>() {
            if !message.conversation_id.is_empty() {
                self.messages_by_conversation
                    .entry(message.conversation_id.clone())
                    .or_default()
                    .insert(key);
            }
            self.messages.insert(key, message);
        }
    }

    /// The messages of a conversation, oldest first, with their keys.
    pub fn conversation_messages<'a>(
        &'a self,
        conversation_id: &'a str,
    ) -> impl Iterator<Item = (u64, &'a MessageRecord)> + 'a {
        self.messages_by_conversation
            .get(conversation_id)
            .into_iter()
            .flatten()
            .filter_map(|key| Some((*key, self.messages.get(key)?)))
            .filter(move |(_, m)| m.conversation_id == conversation_id)
    }

    /// Stores a chat and indexes it under its conversation.
    pub fn insert_chat(&mut self, chat: ChatRecord) {
        self.chats_by_conversation
            .entry(chat.conversation_id.clone())
            .or_default()
            .push(chat.id.clone());
        self.chats.insert(chat.id.clone(), chat);
    }

    /// The chats of a conversation.
    pub fn conversation_chats<'a>(
        &'a self,
        conversation_id: &'a str,
    ) -> impl Iterator<Item = &'a ChatRecord> + 'a {
        self.chats_by_conversation
            .get(conversation_id)
            .into_iter()
            .flatten()
            .filter_map(|id| self.chats.get(id))
            .filter(move |c| c.conversation_id == conversation_id)
    }
}

/// The bearer tokens the emulator accepts.
///
/// # Security
/// Debug prints only how many tokens there are, never a token.
#[derive(Default)]
pub struct TokenRegistry {
    tokens: HashMap<String, TokenInfo>,
}

impl fmt::Debug for TokenRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TokenRegistry({} tokens)", self.tokens.len())
    }
}

impl TokenRegistry {
    /// Accepts `token` from now on (replacing an entry with the same value).
    pub fn insert(&mut self, token: String, info: TokenInfo) {
        self.tokens.insert(token, info);
    }

    /// What is known about `token`, expired or not.
    pub fn get(&self, token: &str) -> Option<&TokenInfo> {
        self.tokens.get(token)
    }

    /// Stops accepting `token`; returns what it was.
    pub fn remove(&mut self, token: &str) -> Option<TokenInfo> {
        self.tokens.remove(token)
    }

    /// Drops every token for which `keep` returns false (e.g. revoking an app's tokens).
    pub fn retain(&mut self, mut keep: impl FnMut(&TokenInfo) -> bool) {
        self.tokens.retain(|_, info| keep(info));
    }

    /// How many tokens are registered.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// True when no token is registered.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

/// One accepted bearer token (the token itself is the registry key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub kind: TokenKind,
    /// The user the token acts for.
    pub user_id: String,
    /// Unix seconds after which the token is refused; `None` never expires.
    pub expires_at: Option<i64>,
    /// The workspace an OAuth token is authorised for; `None` = the user's own workspaces.
    pub workspace_id: Option<String>,
    /// The OAuth app that issued it.
    pub client_id: Option<String>,
    /// The scope requested at issue (JWT `scope` object), as sent.
    pub scope: Option<Value>,
    /// The JWT's `session_name`: such a token sees only the conversations made with the same
    /// session name (Coze's per-end-user isolation).
    pub session_name: Option<String>,
}

impl TokenInfo {
    /// True when the token has expired at `now` (Unix seconds).
    pub fn is_expired(&self, now: i64) -> bool {
        self.expires_at.is_some_and(|at| now >= at)
    }
}

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenKind {
    /// Personal access token (`pat_`).
    Pat,
    /// OAuth user token from the code, PKCE or device flow (`czu_`).
    OAuthUser,
    /// OAuth service token from the JWT flow (`czs_`).
    OAuthService,
}

#[derive(Debug, Clone)]
pub struct UserRecord {
    pub id: String,
    pub name: String,
    pub nick_name: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkspaceKind {
    Personal,
    Team,
}

impl WorkspaceKind {
    /// The wire value of `workspace_type`.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceKind::Personal => "personal",
            WorkspaceKind::Team => "team",
        }
    }
}

#[derive(Debug, Clone)]
pub struct WorkspaceRecord {
    pub id: String,
    pub name: String,
    pub kind: WorkspaceKind,
    pub owner_id: String,
    pub members: Vec<String>,
}

/// A bot and how it answers.
#[derive(Debug, Clone)]
pub struct BotRecord {
    pub id: String,
    pub name: String,
    pub description: String,
    pub workspace_id: String,
    pub owner_id: String,
    /// Published to the API channel (connector 1024); unpublished bots get 4015 on chat.
    pub published: bool,
    pub created_at: i64,
    pub updated_at: i64,
    /// What the bot does with a chat turn.
    pub behavior: Arc<dyn Behavior>,
    /// Anything else a module wants to keep (prompt, model, plugins, ...).
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone)]
pub struct ConversationRecord {
    pub id: String,
    pub name: String,
    /// Bot the conversation was created for (or first chatted with); "" if none.
    pub bot_id: String,
    pub creator_id: String,
    pub connector_id: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub meta_data: Map<String, Value>,
    /// The current section; `clear` starts a new one and the bots forget older ones.
    pub last_section_id: String,
    /// The `session_name` of the token that created it; a token with a session name sees only
    /// its own session's conversations.
    pub session_name: Option<String>,
}

/// A message of a conversation; chat intermediates (verbose, follow_up, function_call,
/// tool_response) are stored too, with `chat_id` set.
#[derive(Debug, Clone)]
pub struct MessageRecord {
    pub id: String,
    pub conversation_id: String,
    pub section_id: String,
    /// "" for messages not produced by a bot.
    pub bot_id: String,
    /// "" for messages not created by a chat.
    pub chat_id: String,
    /// `user` or `assistant`.
    pub role: String,
    /// `question`, `answer`, `verbose`, `follow_up`, `function_call`, `tool_response`, ...
    pub kind: String,
    pub content: String,
    /// `text`, `object_string`, `card`.
    pub content_type: String,
    /// The model's chain of thought (answers of reasoning bots); "" for none, and then the
    /// field is left out on the wire, as Coze does for models without deep thinking.
    pub reasoning_content: String,
    pub meta_data: Map<String, Value>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Chat status as on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChatStatus {
    Created,
    InProgress,
    Completed,
    Failed,
    RequiresAction,
    Canceled,
}

impl ChatStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ChatStatus::Created => "created",
            ChatStatus::InProgress => "in_progress",
            ChatStatus::Completed => "completed",
            ChatStatus::Failed => "failed",
            ChatStatus::RequiresAction => "requires_action",
            ChatStatus::Canceled => "canceled",
        }
    }

    /// True while the bot is still working (the conversation is busy: 4016).
    pub fn is_running(self) -> bool {
        matches!(self, ChatStatus::Created | ChatStatus::InProgress)
    }
}

/// One function call a bot asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolCall {
    pub id: String,
    pub name: String,
    /// The arguments as a JSON string (as Coze sends them).
    pub arguments: String,
}

/// Token usage of a chat.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input_count: i64,
    pub output_count: i64,
}

#[derive(Debug, Clone)]
pub struct ChatRecord {
    pub id: String,
    pub conversation_id: String,
    pub bot_id: String,
    pub section_id: String,
    pub user_id: String,
    pub status: ChatStatus,
    pub created_at: i64,
    pub completed_at: Option<i64>,
    pub failed_at: Option<i64>,
    pub last_error: Option<(i64, String)>,
    pub usage: Usage,
    pub meta_data: Map<String, Value>,
    /// Set while `status` is `requires_action`.
    pub required_action: Vec<ToolCall>,
    /// Ids of the request's `additional_messages` as stored.
    pub inserted_message_ids: Vec<String>,
    /// False when the request said `auto_save_history: false`: nothing is stored.
    pub auto_save_history: bool,
}
