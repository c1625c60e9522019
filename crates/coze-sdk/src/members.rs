//! Workspaces (create, update), their members, and enterprise people: more methods on
//! [`WorkspacesApi`], plus `client.enterprises()` and `client.organizations()`.

use serde::Deserialize;
use serde_json::json;

use crate::client::{ApiRequest, Client};
use crate::error::Result;
use crate::ids::WorkspaceId;
use crate::listing::number_pages;
use crate::pagination::Pages;
use crate::request::path_segment;
use crate::types::members::{
    AddMembersResult, RemoveMembersResult, WorkspaceMember, WorkspaceMemberList,
};
use crate::workspaces::WorkspacesApi;

#[derive(Deserialize)]
struct Created {
    #[serde(default)]
    id: WorkspaceId,
}

impl WorkspacesApi<'_> {
    /// Creates a team workspace; returns its id.
    ///
    /// # Errors
    /// API errors (4000 bad name) and transport errors.
    pub async fn create(&self, name: &str, description: &str) -> Result<WorkspaceId> {
        let api = ApiRequest::post("/v1/workspaces")
            .json(&json!({"name": name, "description": description}))?;
        let created: Created = self.client.send(api).await?;
        Ok(created.id)
    }

    /// Renames a workspace.
    ///
    /// # Errors
    /// API errors (4101 not an admin, 4200 unknown workspace) and transport errors.
    pub async fn update(&self, id: &WorkspaceId, name: &str) -> Result<()> {
        let api = ApiRequest::put(format!("/v1/workspaces/{}", path_segment(id.as_str())))
            .json(&json!({"name": name}))?;
        let _: serde_json::Value = self.client.send(api).await?;
        Ok(())
    }

    /// The members of a workspace as a lazy stream of pages.
    pub fn members(&self, id: &WorkspaceId) -> Pages<WorkspaceMember> {
        let path = format!("/v1/workspaces/{}/members", path_segment(id.as_str()));
        number_pages(
            self.client,
            1,
            50,
            move |page, size| {
                Ok(ApiRequest::get(path.clone())
                    .query("page_num", page.to_string())
                    .query("page_size", size.to_string()))
            },
            |p: WorkspaceMemberList| (p.items, None, u64::try_from(p.total_count).ok()),
        )
    }

    /// Adds users (`(user_id, role)`, role `admin` or `member`).
    ///
    /// # Errors
    /// API errors (4101 not an admin) and transport errors.
    pub async fn add_members(
        &self,
        id: &WorkspaceId,
        users: &[(&str, &str)],
    ) -> Result<AddMembersResult> {
        let users: Vec<_> = users
            .iter()
            .map(|(user_id, role)| json!({"user_id": user_id, "role_type": role}))
            .collect();
        let api = ApiRequest::post(format!(
            "/v1/workspaces/{}/members",
            path_segment(id.as_str())
        ))
        .json(&json!({"users": users}))?;
        self.client.send(api).await
    }

    /// Removes users.
    ///
    /// # Errors
    /// API errors (4101 not an admin) and transport errors.
    pub async fn remove_members(
        &self,
        id: &WorkspaceId,
        user_ids: &[&str],
    ) -> Result<RemoveMembersResult> {
        let api = ApiRequest::delete(format!(
            "/v1/workspaces/{}/members",
            path_segment(id.as_str())
        ))
        .json(&json!({"user_ids": user_ids}))?;
        self.client.send(api).await
    }
}

/// Enterprise endpoints. Get one with [`Client::enterprises`].
#[derive(Debug, Clone, Copy)]
pub struct EnterprisesApi<'c> {
    client: &'c Client,
}

/// Organisation endpoints. Get one with [`Client::organizations`].
#[derive(Debug, Clone, Copy)]
pub struct OrganizationsApi<'c> {
    client: &'c Client,
}

impl Client {
    /// Enterprise members and organisations.
    pub fn enterprises(&self) -> EnterprisesApi<'_> {
        EnterprisesApi { client: self }
    }

    /// Organisations of an enterprise.
    pub fn organizations(&self) -> OrganizationsApi<'_> {
        OrganizationsApi { client: self }
    }
}

#[derive(Deserialize)]
struct OrgCreated {
    #[serde(default)]
    organization_id: String,
}

async fn done(client: &Client, api: ApiRequest) -> Result<()> {
    let _: serde_json::Value = client.send(api).await?;
    Ok(())
}

impl EnterprisesApi<'_> {
    /// Adds users (`(user_id, role)`) to an enterprise.
    ///
    /// # Errors
    /// API and transport errors.
    pub async fn add_members(&self, enterprise_id: &str, users: &[(&str, &str)]) -> Result<()> {
        let users: Vec<_> = users
            .iter()
            .map(|(user_id, role)| json!({"user_id": user_id, "role": role}))
            .collect();
        let api = ApiRequest::post(format!(
            "/v1/enterprises/{}/members",
            path_segment(enterprise_id)
        ))
        .json(&json!({"users": users}))?;
        done(self.client, api).await
    }

    /// Changes a member's role.
    ///
    /// # Errors
    /// API errors (4200 not a member) and transport errors.
    pub async fn set_member_role(
        &self,
        enterprise_id: &str,
        user_id: &str,
        role: &str,
    ) -> Result<()> {
        let api = ApiRequest::put(format!(
            "/v1/enterprises/{}/members/{}",
            path_segment(enterprise_id),
            path_segment(user_id)
        ))
        .json(&json!({"role": role}))?;
        done(self.client, api).await
    }

    /// Removes a member from an enterprise; their resources go to `receiver_user_id`, another
    /// member (a call of the official SDKs outside the OpenAPI document).
    ///
    /// # Errors
    /// API errors (4200 not a member, 4000 no receiver or one who is not a member) and
    /// transport errors.
    pub async fn remove_member(
        &self,
        enterprise_id: &str,
        user_id: &str,
        receiver_user_id: &str,
    ) -> Result<()> {
        let api = ApiRequest::delete(format!(
            "/v1/enterprises/{}/members/{}",
            path_segment(enterprise_id),
            path_segment(user_id)
        ))
        .json(&json!({"receiver_user_id": receiver_user_id}))?
        .idempotent(true);
        done(self.client, api).await
    }

    /// Creates an organisation; returns its id.
    ///
    /// # Errors
    /// API and transport errors.
    pub async fn create_organization(
        &self,
        enterprise_id: &str,
        name: &str,
        description: &str,
    ) -> Result<String> {
        let api = ApiRequest::post(format!(
            "/v1/enterprises/{}/organizations",
            path_segment(enterprise_id)
        ))
        .json(&json!({"name": name, "description": description}))?;
        let created: OrgCreated = self.client.send(api).await?;
        Ok(created.organization_id)
    }
}

impl OrganizationsApi<'_> {
    /// Renames an organisation.
    ///
    /// # Errors
    /// API errors (4200 unknown organisation) and transport errors.
    pub async fn update(&self, organization_id: &str, name: &str, description: &str) -> Result<()> {
        let api = ApiRequest::put(format!(
            "/v1/organizations/{}",
            path_segment(organization_id)
        ))
        .json(&json!({"name": name, "description": description}))?;
        done(self.client, api).await
    }

    /// Adds users (`(user_id, role)`).
    ///
    /// # Errors
    /// API errors (4200 unknown organisation) and transport errors.
    pub async fn add_members(&self, organization_id: &str, users: &[(&str, &str)]) -> Result<()> {
        let users: Vec<_> = users
            .iter()
            .map(|(user_id, role)| json!({"user_id": user_id, "role_type": role}))
            .collect();
        let api = ApiRequest::post(format!(
            "/v1/organizations/{}/members",
            path_segment(organization_id)
        ))
        .json(&json!({"users": users}))?;
        done(self.client, api).await
    }

    /// Changes a member's role.
    ///
    /// # Errors
    /// API errors (4200 not a member) and transport errors.
    pub async fn set_member_role(
        &self,
        organization_id: &str,
        user_id: &str,
        role: &str,
    ) -> Result<()> {
        let api = ApiRequest::put(format!(
            "/v1/organizations/{}/members/{}",
            path_segment(organization_id),
            path_segment(user_id)
        ))
        .json(&json!({"role": role}))?;
        done(self.client, api).await
    }
}
