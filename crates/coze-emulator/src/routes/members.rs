//! Workspaces and people: `POST /v1/workspaces` (create a team workspace),
//! `PUT /v1/workspaces/{id}`, `GET|POST|DELETE /v1/workspaces/{id}/members`, and the enterprise
//! calls: `POST /v1/enterprises/{id}/members`, `PUT|DELETE /v1/enterprises/{id}/members/{user_id}`,
//! `POST /v1/enterprises/{id}/organizations`, `PUT /v1/organizations/{id}`,
//! `POST /v1/organizations/{id}/members`, `PUT /v1/organizations/{id}/members/{user_id}`.
//!
//! Any numeric user id names a user (the emulator has no directory); other ids are reported in
//! `not_exist_user_ids`. Only a workspace's owner or an admin may change its members (4101
//! otherwise); the owner cannot be removed. Enterprises exist when first used.

use std::collections::{BTreeMap, HashMap};

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{JsonBody, Params, opt_id, page_start};
use crate::auth::Authed;
use crate::envelope::{self, ApiError};
use crate::state::{AppState, UserRecord, WorkspaceKind, WorkspaceRecord};

/// An organisation of an enterprise.
#[derive(Debug, Clone)]
pub struct OrganizationRecord {
    pub id: String,
    pub enterprise_id: String,
    pub name: String,
    pub description: String,
    /// user id → role.
    pub members: BTreeMap<String, String>,
}

/// People state (`Store::people`).
#[derive(Debug, Default)]
pub struct PeopleStore {
    /// (workspace id, user id) → role (`owner`, `admin`, `member`); absent means `member`
    /// (or `owner` for the workspace's owner).
    pub roles: HashMap<(String, String), String>,
    /// enterprise id → user id → role.
    pub enterprise_members: HashMap<String, BTreeMap<String, String>>,
    pub organizations: BTreeMap<String, OrganizationRecord>,
}

/// This module's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v1/workspaces", post(create_workspace))
        .route("/v1/workspaces/{workspace_id}", put(update_workspace))
        .route(
            "/v1/workspaces/{workspace_id}/members",
            get(list_members).post(add_members).delete(remove_members),
        )
        .route(
            "/v1/enterprises/{enterprise_id}/members",
            post(add_enterprise_members),
        )
        .route(
            "/v1/enterprises/{enterprise_id}/members/{user_id}",
            put(update_enterprise_member).delete(remove_enterprise_member),
        )
        .route(
            "/v1/enterprises/{enterprise_id}/organizations",
            post(create_organization),
        )
        .route(
            "/v1/organizations/{organization_id}",
            put(update_organization),
        )
        .route(
            "/v1/organizations/{organization_id}/members",
            post(add_organization_members),
        )
        .route(
            "/v1/organizations/{organization_id}/members/{user_id}",
            put(update_organization_member),
        )
}

fn role_of(store: &crate::state::Store, ws: &WorkspaceRecord, user: &str) -> Option<String> {
    if !ws.members.iter().any(|m| m == user) {
        return None;
    }
    if ws.owner_id == user {
        return Some("owner".into());
    }
    Some(
        store
            .people
            .roles
            .get(&(ws.id.clone(), user.to_string()))
            .cloned()
            .unwrap_or_else(|| "member".into()),
    )
}

fn check_role(role: &str) -> Result<(), ApiError> {
    if ["admin", "member"].contains(&role) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "role_type must be admin or member, got {role}"
        )))
    }
}

fn user_exists(id: &str) -> bool {
    !id.is_empty() && id.len() <= 20 && id.bytes().all(|b| b.is_ascii_digit())
}

fn ensure_user(store: &mut crate::state::Store, id: &str) {
    store
        .users
        .entry(id.to_string())
        .or_insert_with(|| UserRecord {
            id: id.to_string(),
            name: format!("user_{id}"),
            nick_name: format!("User {id}"),
        });
}

#[derive(Deserialize)]
struct WorkspaceBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default, deserialize_with = "opt_id")]
    owner_uid: Option<String>,
}

async fn create_workspace(
    State(state): State<AppState>,
    authed: Authed,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: WorkspaceBody = body.parse()?;
    let name = body
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    if name.chars().count() > 50 {
        return Err(ApiError::bad_request("name must be at most 50 characters"));
    }
    let owner = body
        .owner_uid
        .unwrap_or_else(|| authed.user_id().to_string());
    let id = state.new_id();
    let mut store = state.store();
    let mut members = vec![owner.clone()];
    if owner != authed.user_id() {
        members.push(authed.user_id().to_string());
    }
    store.workspaces.insert(
        id.clone(),
        WorkspaceRecord {
            id: id.clone(),
            name,
            kind: WorkspaceKind::Team,
            owner_id: owner,
            members,
        },
    );
    let _ = body.description;
    Ok(envelope::ok(json!({"id": id})))
}

async fn update_workspace(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: WorkspaceBody = body.parse()?;
    let mut store = state.store();
    let ws = store
        .workspaces
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("workspace_id", &id))?;
    match role_of(&store, &ws, authed.user_id()).as_deref() {
        Some("owner" | "admin") => {}
        Some(_) => {
            return Err(ApiError::forbidden(
                "only the workspace's owner or an admin can change it",
            ));
        }
        None => return Err(ApiError::not_found("workspace_id", &id)),
    }
    if let Some(ws) = store.workspaces.get_mut(&id)
        && let Some(name) = body.name.filter(|n| !n.trim().is_empty())
    {
        ws.name = name;
    }
    Ok(envelope::ok(json!({})))
}

async fn list_members(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    params: Params,
) -> Result<Response, ApiError> {
    let page_num = params.int("page_num", 1)?;
    let page_size = params.int("page_size", 20)?;
    if !(1..=50).contains(&page_size) {
        return Err(ApiError::bad_request("page_size must be between 1 and 50"));
    }
    let store = state.store();
    let ws = store
        .workspaces
        .get(&id)
        .filter(|ws| ws.members.iter().any(|m| m == authed.user_id()))
        .ok_or_else(|| ApiError::not_found("workspace_id", &id))?;
    let items: Vec<Value> = ws
        .members
        .iter()
        .skip(page_start(page_num, page_size))
        .take(page_size as usize)
        .map(|user| {
            let record = store.users.get(user);
            json!({
                "user_id": user,
                "role_type": role_of(&store, ws, user).unwrap_or_default(),
                "user_nickname": record.map(|u| u.nick_name.clone()).unwrap_or_default(),
                "user_unique_name": record.map(|u| u.name.clone()).unwrap_or_default(),
                "avatar_url": "",
            })
        })
        .collect();
    Ok(envelope::ok(
        json!({"items": items, "total_count": ws.members.len()}),
    ))
}

#[derive(Deserialize)]
struct AddMembersBody {
    #[serde(default)]
    users: Vec<NewMember>,
}

#[derive(Deserialize)]
struct NewMember {
    #[serde(default, deserialize_with = "opt_id")]
    user_id: Option<String>,
    /// `role_type` for workspaces, `role` for enterprises.
    #[serde(default, alias = "role")]
    role_type: Option<String>,
}

fn admin_workspace(
    store: &crate::state::Store,
    authed: &Authed,
    id: &str,
) -> Result<WorkspaceRecord, ApiError> {
    let ws = store
        .workspaces
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::not_found("workspace_id", id))?;
    match role_of(store, &ws, authed.user_id()).as_deref() {
        Some("owner" | "admin") => {}
        Some(_) => {
            return Err(ApiError::forbidden(
                "only the workspace's owner or an admin can change its members",
            ));
        }
        None => return Err(ApiError::not_found("workspace_id", id)),
    }
    if ws.kind == WorkspaceKind::Personal {
        return Err(ApiError::bad_request(
            "a personal workspace has no other members; use a team workspace",
        ));
    }
    Ok(ws)
}

async fn add_members(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: AddMembersBody = body.parse()?;
    if body.users.is_empty() || body.users.len() > 20 {
        return Err(ApiError::bad_request("users must list 1 to 20 users"));
    }
    let mut store = state.store();
    admin_workspace(&store, &authed, &id)?;
    let (mut added, mut missing, mut already) = (Vec::new(), Vec::new(), Vec::new());
    for user in body.users {
        let uid = user
            .user_id
            .ok_or_else(|| ApiError::bad_request("every user needs a user_id"))?;
        let role = user.role_type.unwrap_or_else(|| "member".into());
        check_role(&role)?;
        if !user_exists(&uid) {
            missing.push(uid);
            continue;
        }
        let Some(ws) = store.workspaces.get_mut(&id) else {
            break;
        };
        if ws.members.contains(&uid) {
            already.push(uid);
            continue;
        }
        ws.members.push(uid.clone());
        ensure_user(&mut store, &uid);
        store.people.roles.insert((id.clone(), uid.clone()), role);
        added.push(uid);
    }
    Ok(envelope::ok(json!({
        "added_success_user_ids": added,
        "invited_success_user_ids": [],
        "not_exist_user_ids": missing,
        "already_joined_user_ids": already,
        "already_invited_user_ids": [],
    })))
}

#[derive(Deserialize)]
struct RemoveMembersBody {
    #[serde(default)]
    user_ids: Vec<Value>,
}

async fn remove_members(
    State(state): State<AppState>,
    authed: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: RemoveMembersBody = body.parse()?;
    if body.user_ids.is_empty() || body.user_ids.len() > 5 {
        return Err(ApiError::bad_request("user_ids must list 1 to 5 users"));
    }
    let mut store = state.store();
    let ws = admin_workspace(&store, &authed, &id)?;
    let (mut removed, mut absent, mut owner) = (Vec::new(), Vec::new(), Vec::new());
    for uid in body.user_ids.iter().map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }) {
        if uid == ws.owner_id {
            owner.push(uid);
        } else if !ws.members.contains(&uid) {
            absent.push(uid);
        } else {
            if let Some(w) = store.workspaces.get_mut(&id) {
                w.members.retain(|m| *m != uid);
            }
            store.people.roles.remove(&(id.clone(), uid.clone()));
            removed.push(uid);
        }
    }
    Ok(envelope::ok(json!({
        "removed_success_user_ids": removed,
        "not_in_workspace_user_ids": absent,
        "owner_not_support_remove_user_ids": owner,
    })))
}

#[derive(Deserialize)]
struct PeopleBody {
    #[serde(default)]
    users: Vec<NewMember>,
}

#[derive(Deserialize)]
struct RoleBody {
    #[serde(default)]
    role: Option<String>,
    #[serde(default)]
    role_type: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn enterprise_role(role: &str) -> Result<(), ApiError> {
    if ["enterprise_admin", "enterprise_member", "admin", "member"].contains(&role) {
        Ok(())
    } else {
        Err(ApiError::bad_request(format!(
            "role must be enterprise_admin or enterprise_member, got {role}"
        )))
    }
}

async fn add_enterprise_members(
    State(state): State<AppState>,
    _authed: Authed,
    Path(enterprise): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: PeopleBody = body.parse()?;
    if body.users.is_empty() {
        return Err(ApiError::bad_request("users is required"));
    }
    let mut store = state.store();
    for user in body.users {
        let uid = user
            .user_id
            .filter(|u| user_exists(u))
            .ok_or_else(|| ApiError::bad_request("every user needs a numeric user_id"))?;
        let role = user.role_type.unwrap_or_else(|| "enterprise_member".into());
        enterprise_role(&role)?;
        ensure_user(&mut store, &uid);
        store
            .people
            .enterprise_members
            .entry(enterprise.clone())
            .or_default()
            .insert(uid, role);
    }
    Ok(envelope::ok(json!({})))
}

async fn update_enterprise_member(
    State(state): State<AppState>,
    _authed: Authed,
    Path((enterprise, user)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: RoleBody = body.parse()?;
    let role = body
        .role
        .or(body.role_type)
        .ok_or_else(|| ApiError::bad_request("role is required"))?;
    enterprise_role(&role)?;
    let mut store = state.store();
    let slot = store
        .people
        .enterprise_members
        .get_mut(&enterprise)
        .and_then(|m| m.get_mut(&user))
        .ok_or_else(|| ApiError::not_found("user_id", &user))?;
    *slot = role;
    Ok(envelope::ok(json!({})))
}

#[derive(Deserialize)]
struct RemoveBody {
    #[serde(default, deserialize_with = "opt_id")]
    receiver_user_id: Option<String>,
}

/// `DELETE /v1/enterprises/{id}/members/{user_id}` (a call of the official SDKs outside the
/// OpenAPI document): the member's resources go to `receiver_user_id`, another member.
async fn remove_enterprise_member(
    State(state): State<AppState>,
    _authed: Authed,
    Path((enterprise, user)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: RemoveBody = body.parse()?;
    let receiver = body.receiver_user_id.ok_or_else(|| {
        ApiError::bad_request(
            "receiver_user_id is required: the member who takes over the resources",
        )
    })?;
    if receiver == user {
        return Err(ApiError::bad_request(
            "receiver_user_id must be another member than the one removed",
        ));
    }
    let mut store = state.store();
    let members = store
        .people
        .enterprise_members
        .get_mut(&enterprise)
        .filter(|m| m.contains_key(&user))
        .ok_or_else(|| ApiError::not_found("user_id", &user))?;
    if !members.contains_key(&receiver) {
        return Err(ApiError::bad_request(format!(
            "receiver_user_id {receiver} is not a member of enterprise {enterprise}"
        )));
    }
    members.remove(&user);
    Ok(envelope::ok(json!({})))
}

async fn create_organization(
    State(state): State<AppState>,
    _authed: Authed,
    Path(enterprise): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: RoleBody = body.parse()?;
    let name = body
        .name
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("name is required"))?;
    let id = state.new_id();
    state.store().people.organizations.insert(
        id.clone(),
        OrganizationRecord {
            id: id.clone(),
            enterprise_id: enterprise,
            name,
            description: body.description.unwrap_or_default(),
            members: BTreeMap::new(),
        },
    );
    Ok(envelope::ok(json!({"organization_id": id})))
}

async fn update_organization(
    State(state): State<AppState>,
    _authed: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: RoleBody = body.parse()?;
    let mut store = state.store();
    let org = store
        .people
        .organizations
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("organization_id", &id))?;
    if let Some(name) = body.name.filter(|n| !n.trim().is_empty()) {
        org.name = name;
    }
    if let Some(d) = body.description {
        org.description = d;
    }
    Ok(envelope::ok(json!({})))
}

async fn add_organization_members(
    State(state): State<AppState>,
    _authed: Authed,
    Path(id): Path<String>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: PeopleBody = body.parse()?;
    if body.users.is_empty() {
        return Err(ApiError::bad_request("users is required"));
    }
    let mut store = state.store();
    if !store.people.organizations.contains_key(&id) {
        return Err(ApiError::not_found("organization_id", &id));
    }
    for user in body.users {
        let uid = user
            .user_id
            .filter(|u| user_exists(u))
            .ok_or_else(|| ApiError::bad_request("every user needs a numeric user_id"))?;
        let role = user.role_type.unwrap_or_else(|| "member".into());
        ensure_user(&mut store, &uid);
        if let Some(org) = store.people.organizations.get_mut(&id) {
            org.members.insert(uid, role);
        }
    }
    Ok(envelope::ok(json!({})))
}

async fn update_organization_member(
    State(state): State<AppState>,
    _authed: Authed,
    Path((id, user)): Path<(String, String)>,
    body: JsonBody,
) -> Result<Response, ApiError> {
    let body: RoleBody = body.parse()?;
    let role = body
        .role
        .or(body.role_type)
        .ok_or_else(|| ApiError::bad_request("role is required"))?;
    let mut store = state.store();
    let slot = store
        .people
        .organizations
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("organization_id", &id))?
        .members
        .get_mut(&user)
        .ok_or_else(|| ApiError::not_found("user_id", &user))?;
    *slot = role;
    Ok(envelope::ok(json!({})))
}
