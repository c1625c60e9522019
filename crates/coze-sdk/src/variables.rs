//! User variables of bots and apps: `client.variables()`.

use serde::{Deserialize, Serialize};

use crate::client::{ApiRequest, Client};
use crate::error::{Error, Result};
use crate::types::variables::{VariableScope, VariableValue};

/// Variable endpoints. Get one with [`Client::variables`].
#[derive(Debug, Clone, Copy)]
pub struct VariablesApi<'c> {
    client: &'c Client,
}

impl Client {
    /// User variables of bots and apps.
    pub fn variables(&self) -> VariablesApi<'_> {
        VariablesApi { client: self }
    }
}

#[derive(Deserialize)]
struct Items {
    #[serde(default)]
    items: Vec<VariableValue>,
}

#[derive(Serialize)]
struct KeywordValue<'a> {
    keyword: &'a str,
    value: &'a str,
}

#[derive(Serialize)]
struct SetBody<'a> {
    #[serde(flatten)]
    scope: &'a VariableScope,
    data: Vec<KeywordValue<'a>>,
}

fn check(scope: &VariableScope) -> Result<()> {
    if scope.bot_id.is_none() && scope.app_id.is_none() {
        return Err(Error::InvalidRequest(
            "variables need a bot_id or an app_id".into(),
        ));
    }
    Ok(())
}

impl VariablesApi<'_> {
    /// The values of `keywords` (all variables set for the user when empty).
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without a bot or app; API errors (4200 unknown bot).
    pub async fn get(
        &self,
        scope: &VariableScope,
        keywords: &[&str],
    ) -> Result<Vec<VariableValue>> {
        check(scope)?;
        let keywords = (!keywords.is_empty()).then(|| keywords.join(","));
        let api = ApiRequest::get("/v1/variables")
            .query_opt("bot_id", scope.bot_id.clone())
            .query_opt("app_id", scope.app_id.clone())
            .query_opt("connector_id", scope.connector_id.clone())
            .query_opt("connector_uid", scope.connector_uid.clone())
            .query_opt("keywords", keywords);
        let items: Items = self.client.send(api).await?;
        Ok(items.items)
    }

    /// Sets variables: `(keyword, value)` pairs.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] without a bot or app or with no pairs; API errors.
    pub async fn set(&self, scope: &VariableScope, values: &[(&str, &str)]) -> Result<()> {
        check(scope)?;
        if values.is_empty() {
            return Err(Error::InvalidRequest("no variables to set".into()));
        }
        let body = SetBody {
            scope,
            data: values
                .iter()
                .map(|(keyword, value)| KeywordValue { keyword, value })
                .collect(),
        };
        let api = ApiRequest::put("/v1/variables").json(&body)?;
        let _: serde_json::Value = self.client.send(api).await?;
        Ok(())
    }
}
