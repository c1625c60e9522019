//! Knowledge bases: `client.datasets()` (datasets), `.documents()`, `.images()`.
//!
//! Adding a document starts its processing on Coze; [`DocumentsApi::wait_processed`] polls
//! `process` until every document is done (or failed), reporting progress as it goes.

use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::client::{ApiRequest, Client, Envelope};
use crate::error::{Error, Result};
use crate::ids::{DatasetId, DocumentId};
use crate::listing::number_pages;
use crate::pagination::Pages;
use crate::request::path_segment;
use crate::types::datasets::{
    CreateDatasetRequest, CreateDocumentsRequest, Dataset, DatasetList, Document, DocumentProgress,
    Image, ListDatasetsRequest, UpdateDatasetRequest,
};
use crate::types::lenient::Int;

/// Dataset endpoints. Get one with [`Client::datasets`].
#[derive(Debug, Clone, Copy)]
pub struct DatasetsApi<'c> {
    client: &'c Client,
}

/// Document endpoints. Get one with [`DatasetsApi::documents`].
#[derive(Debug, Clone, Copy)]
pub struct DocumentsApi<'c> {
    client: &'c Client,
}

/// Image endpoints of image datasets. Get one with [`DatasetsApi::images`].
#[derive(Debug, Clone, Copy)]
pub struct ImagesApi<'c> {
    client: &'c Client,
}

impl Client {
    /// Knowledge bases (datasets), their documents and images.
    pub fn datasets(&self) -> DatasetsApi<'_> {
        DatasetsApi { client: self }
    }
}

#[derive(Deserialize)]
struct Created {
    dataset_id: DatasetId,
}

#[derive(Deserialize)]
struct ProgressList {
    #[serde(default)]
    data: Vec<DocumentProgress>,
}

#[derive(Deserialize)]
struct DocumentPage {
    #[serde(default)]
    document_infos: Vec<Document>,
    #[serde(default)]
    total: Int,
}

#[derive(Deserialize)]
struct ImagePage {
    #[serde(default)]
    photo_infos: Vec<Image>,
    #[serde(default)]
    total_count: Int,
}

fn list_request(req: &ListDatasetsRequest, page: u32, size: u32) -> ApiRequest {
    ApiRequest::get("/v1/datasets")
        .query("space_id", req.space_id.as_str())
        .query_opt("name", req.name.clone())
        .query_opt("format_type", req.format_type.map(|f| f.to_string()))
        .query("page_num", page.to_string())
        .query("page_size", size.to_string())
}

impl<'c> DatasetsApi<'c> {
    /// Documents of datasets.
    pub fn documents(&self) -> DocumentsApi<'c> {
        DocumentsApi {
            client: self.client,
        }
    }

    /// Images of image datasets.
    pub fn images(&self) -> ImagesApi<'c> {
        ImagesApi {
            client: self.client,
        }
    }

    /// Creates a dataset; returns its id.
    ///
    /// # Errors
    /// API errors (4000 bad name or format) and transport errors.
    pub async fn create(&self, req: &CreateDatasetRequest) -> Result<DatasetId> {
        let created: Created = self
            .client
            .send(ApiRequest::post("/v1/datasets").json(req)?)
            .await?;
        Ok(created.dataset_id)
    }

    /// One page of datasets (`req.page_num`).
    ///
    /// # Errors
    /// API and transport errors.
    pub async fn list_page(&self, req: &ListDatasetsRequest) -> Result<DatasetList> {
        self.client
            .send(list_request(req, req.page_num, req.page_size))
            .await
    }

    /// The datasets as a lazy stream of pages.
    pub fn list(&self, req: ListDatasetsRequest) -> Pages<Dataset> {
        let (first, size) = (req.page_num, req.page_size);
        number_pages(
            self.client,
            first,
            size,
            move |page, size| Ok(list_request(&req, page, size)),
            |p: DatasetList| {
                let total = u64::try_from(p.total_count).ok();
                (p.dataset_list, None, total)
            },
        )
    }

    /// Renames a dataset or changes its description.
    ///
    /// # Errors
    /// API errors (4200 unknown dataset) and transport errors.
    pub async fn update(&self, id: &DatasetId, req: &UpdateDatasetRequest) -> Result<()> {
        let api =
            ApiRequest::put(format!("/v1/datasets/{}", path_segment(id.as_str()))).json(req)?;
        let _: serde_json::Value = self.client.send(api).await?;
        Ok(())
    }

    /// Deletes a dataset and its documents.
    ///
    /// # Errors
    /// API errors (4200 unknown dataset) and transport errors.
    pub async fn delete(&self, id: &DatasetId) -> Result<()> {
        let api = ApiRequest::delete(format!("/v1/datasets/{}", path_segment(id.as_str())));
        let _: serde_json::Value = self.client.send(api).await?;
        Ok(())
    }

    /// The processing progress of documents of a dataset.
    ///
    /// # Errors
    /// API errors (4200 unknown dataset or document) and transport errors.
    pub async fn process(
        &self,
        id: &DatasetId,
        document_ids: &[DocumentId],
    ) -> Result<Vec<DocumentProgress>> {
        let api = ApiRequest::post(format!(
            "/v1/datasets/{}/process",
            path_segment(id.as_str())
        ))
        .json(&serde_json::json!({"document_ids": document_ids}))?
        .idempotent(true);
        let list: ProgressList = self.client.send(api).await?;
        Ok(list.data)
    }
}

impl DocumentsApi<'_> {
    /// Adds up to 10 documents; Coze processes them afterwards (see
    /// [`wait_processed`](Self::wait_processed)).
    ///
    /// # Errors
    /// API errors (4000 bad source, 4200 unknown dataset) and transport errors.
    pub async fn create(&self, req: &CreateDocumentsRequest) -> Result<Vec<Document>> {
        let api = ApiRequest::post("/open_api/knowledge/document/create")
            .json(req)?
            .envelope(Envelope::Field("document_infos"));
        self.client.send(api).await
    }

    /// Renames a document.
    ///
    /// # Errors
    /// API errors (4200 unknown document) and transport errors.
    pub async fn update(&self, id: &DocumentId, name: &str) -> Result<()> {
        let api = ApiRequest::post("/open_api/knowledge/document/update")
            .json(&serde_json::json!({"document_id": id, "document_name": name}))?
            .envelope(Envelope::Whole)
            .idempotent(true);
        let _: serde::de::IgnoredAny = self.client.send(api).await?;
        Ok(())
    }

    /// Deletes documents (up to 100).
    ///
    /// # Errors
    /// API errors (4200 unknown document) and transport errors.
    pub async fn delete(&self, ids: &[DocumentId]) -> Result<()> {
        let api = ApiRequest::post("/open_api/knowledge/document/delete")
            .json(&serde_json::json!({"document_ids": ids}))?
            .envelope(Envelope::Whole)
            .idempotent(true);
        let _: serde::de::IgnoredAny = self.client.send(api).await?;
        Ok(())
    }

    /// The documents of a dataset as a lazy stream of pages of `page_size`.
    pub fn list(&self, dataset_id: &DatasetId, page_size: u32) -> Pages<Document> {
        let dataset_id = dataset_id.clone();
        number_pages(
            self.client,
            1,
            page_size.clamp(1, 300),
            move |page, size| {
                Ok(ApiRequest::post("/open_api/knowledge/document/list")
                    .json(
                        &serde_json::json!({"dataset_id": dataset_id, "page": page, "size": size}),
                    )?
                    .envelope(Envelope::Whole)
                    .idempotent(true))
            },
            |p: DocumentPage| {
                let total = u64::try_from(p.total).ok();
                (p.document_infos, None, total)
            },
        )
    }

    /// Polls the progress of `ids` every `interval` until all are done or failed, calling
    /// `on_progress` with each answer; returns the last one.
    ///
    /// # Errors
    /// As [`DatasetsApi::process`]; [`Error::Timeout`] when `timeout` passes first.
    pub async fn wait_processed(
        &self,
        dataset_id: &DatasetId,
        ids: &[DocumentId],
        interval: Duration,
        timeout: Duration,
        mut on_progress: impl FnMut(&[DocumentProgress]),
    ) -> Result<Vec<DocumentProgress>> {
        let start = Instant::now();
        let datasets = DatasetsApi {
            client: self.client,
        };
        loop {
            let progress = datasets.process(dataset_id, ids).await?;
            on_progress(&progress);
            if progress.iter().all(DocumentProgress::is_settled) {
                return Ok(progress);
            }
            if start.elapsed() + interval > timeout {
                return Err(Error::Timeout {
                    path: format!("/v1/datasets/{dataset_id}/process"),
                    timeout,
                });
            }
            tokio::time::sleep(interval).await;
        }
    }
}

impl ImagesApi<'_> {
    /// The images of an image dataset, optionally only those whose caption contains
    /// `keyword`, as a lazy stream of pages.
    pub fn list(&self, dataset_id: &DatasetId, keyword: Option<&str>) -> Pages<Image> {
        let path = format!("/v1/datasets/{}/images", path_segment(dataset_id.as_str()));
        let keyword = keyword.map(str::to_string);
        number_pages(
            self.client,
            1,
            20,
            move |page, size| {
                Ok(ApiRequest::get(path.clone())
                    .query_opt("keyword", keyword.clone())
                    .query("page_num", page.to_string())
                    .query("page_size", size.to_string()))
            },
            |p: ImagePage| {
                let total = u64::try_from(p.total_count).ok();
                (p.photo_infos, None, total)
            },
        )
    }

    /// Sets an image's caption.
    ///
    /// # Errors
    /// API errors (4200 unknown dataset or image) and transport errors.
    pub async fn update(
        &self,
        dataset_id: &DatasetId,
        id: &DocumentId,
        caption: &str,
    ) -> Result<()> {
        let api = ApiRequest::put(format!(
            "/v1/datasets/{}/images/{}",
            path_segment(dataset_id.as_str()),
            path_segment(id.as_str())
        ))
        .json(&serde_json::json!({"caption": caption}))?;
        let _: serde_json::Value = self.client.send(api).await?;
        Ok(())
    }
}
