//! Benefits, limits and bill exports: `client.commerce()`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::client::{ApiRequest, Client};
use crate::error::Result;
use crate::listing::number_pages;
use crate::pagination::Pages;
use crate::types::lenient::Int;

/// Commerce endpoints. Get one with [`Client::commerce`].
#[derive(Debug, Clone, Copy)]
pub struct CommerceApi<'c> {
    client: &'c Client,
}

impl Client {
    /// Benefits (plan quotas), limits and bill exports.
    pub fn commerce(&self) -> CommerceApi<'_> {
        CommerceApi { client: self }
    }
}

/// A bill export task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct BillTask {
    /// Id.
    pub task_id: String,
    /// `init`, `running`, `succeed`, `failed`, `expired`.
    pub status: String,
    /// The exported files.
    pub file_urls: Vec<String>,
    /// Bill period start (Unix seconds).
    pub started_at: Int,
    /// Bill period end (Unix seconds).
    pub ended_at: Int,
    /// Created (Unix seconds).
    pub created_at: Int,
    /// The files expire (Unix seconds).
    pub expires_at: Int,
}

#[derive(Deserialize)]
struct BillTaskList {
    #[serde(default)]
    task_infos: Vec<BillTask>,
    #[serde(default)]
    total: Int,
}

#[derive(Deserialize)]
struct Benefits {
    #[serde(default)]
    benefit_info: Vec<Value>,
}

impl CommerceApi<'_> {
    /// The plan's benefits (quota used and total per benefit type), as Coze sends them.
    ///
    /// # Errors
    /// API and transport errors.
    pub async fn benefits(&self) -> Result<Vec<Value>> {
        let b: Benefits = self
            .client
            .send(ApiRequest::get("/v1/commerce/benefit/benefits/get"))
            .await?;
        Ok(b.benefit_info)
    }

    /// Sets a usage limit (`benefit_type`, e.g. `resource_point`, per `trigger_unit` `day`).
    ///
    /// # Errors
    /// API errors (4000 bad limit) and transport errors.
    pub async fn set_limit(
        &self,
        benefit_type: &str,
        trigger_unit: &str,
        limit: i64,
    ) -> Result<Value> {
        let api = ApiRequest::post("/v1/commerce/benefit/limitations").json(&json!({
            "benefit_type": benefit_type,
            "trigger_unit": trigger_unit,
            "limit": limit,
        }))?;
        self.client.send(api).await
    }

    /// Starts a bill export for `[started_at, ended_at)` (Unix seconds).
    ///
    /// # Errors
    /// API errors (4000 bad period) and transport errors.
    pub async fn create_bill_task(&self, started_at: i64, ended_at: i64) -> Result<BillTask> {
        let api = ApiRequest::post("/v1/commerce/benefit/bill_tasks")
            .json(&json!({"started_at": started_at, "ended_at": ended_at}))?;
        self.client.send(api).await
    }

    /// The bill export tasks as a lazy stream of pages.
    pub fn bill_tasks(&self) -> Pages<BillTask> {
        number_pages(
            self.client,
            1,
            20,
            |page, size| {
                Ok(ApiRequest::get("/v1/commerce/benefit/bill_tasks")
                    .query("page_num", page.to_string())
                    .query("page_size", size.to_string()))
            },
            |p: BillTaskList| (p.task_infos, None, u64::try_from(p.total).ok()),
        )
    }
}
