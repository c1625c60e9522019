//! Knowledge base types: datasets, documents, processing progress, images.

use serde::{Deserialize, Serialize};

use crate::ids::{DatasetId, DocumentId, FileId, UserId, WorkspaceId};
use crate::types::lenient::Int;

/// What a dataset holds: 0 text, 1 table, 2 images.
pub type FormatType = i64;
/// A text dataset.
pub const FORMAT_TEXT: FormatType = 0;
/// A table dataset.
pub const FORMAT_TABLE: FormatType = 1;
/// An image dataset.
pub const FORMAT_IMAGE: FormatType = 2;

/// A knowledge base.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Dataset {
    /// Id.
    pub dataset_id: DatasetId,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Workspace.
    pub space_id: WorkspaceId,
    /// 1 enabled, 3 disabled.
    pub status: Int,
    /// [`FORMAT_TEXT`], [`FORMAT_TABLE`] or [`FORMAT_IMAGE`].
    pub format_type: Int,
    /// Number of documents.
    pub doc_count: Int,
    /// Number of slices (chunks).
    pub slice_count: Int,
    /// Bytes of all its files.
    pub all_file_size: Int,
    /// Names of its documents.
    pub file_list: Vec<String>,
    /// Names of documents still being processed.
    pub processing_file_list: Vec<String>,
    /// Ids of documents still being processed.
    pub processing_file_id_list: Vec<DocumentId>,
    /// Creator.
    pub creator_id: String,
    /// Creation time (Unix seconds).
    pub create_time: Int,
    /// Update time (Unix seconds).
    pub update_time: Int,
}

/// One page of datasets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DatasetList {
    /// Datasets in all.
    pub total_count: Int,
    /// This page.
    pub dataset_list: Vec<Dataset>,
}

/// `POST /v1/datasets`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct CreateDatasetRequest {
    /// Name (1–100 characters).
    pub name: String,
    /// Workspace.
    pub space_id: WorkspaceId,
    /// [`FORMAT_TEXT`] or [`FORMAT_IMAGE`].
    pub format_type: FormatType,
    /// Description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Icon, an uploaded file.
    #[serde(rename = "file_id", skip_serializing_if = "Option::is_none")]
    pub icon_file_id: Option<FileId>,
}

impl CreateDatasetRequest {
    /// A dataset named `name` of `format_type` in `space_id`.
    pub fn new(
        name: impl Into<String>,
        space_id: impl Into<WorkspaceId>,
        format_type: FormatType,
    ) -> Self {
        Self {
            name: name.into(),
            space_id: space_id.into(),
            format_type,
            ..Self::default()
        }
    }

    /// Sets the description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }
}

/// `PUT /v1/datasets/{id}`: the new name (required by Coze) and optional description.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct UpdateDatasetRequest {
    /// New name.
    pub name: String,
    /// New description.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// New icon.
    #[serde(rename = "file_id", skip_serializing_if = "Option::is_none")]
    pub icon_file_id: Option<FileId>,
}

impl UpdateDatasetRequest {
    /// Renames the dataset.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Sets the description.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = Some(text.into());
        self
    }
}

/// Which datasets to list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListDatasetsRequest {
    /// Workspace.
    pub space_id: WorkspaceId,
    /// Name filter (fuzzy).
    pub name: Option<String>,
    /// Format filter.
    pub format_type: Option<FormatType>,
    /// First page (1-based).
    pub page_num: u32,
    /// Page size (1–300).
    pub page_size: u32,
}

impl ListDatasetsRequest {
    /// The datasets of `space_id`, 10 per page.
    pub fn new(space_id: impl Into<WorkspaceId>) -> Self {
        Self {
            space_id: space_id.into(),
            name: None,
            format_type: None,
            page_num: 1,
            page_size: 10,
        }
    }

    /// Only datasets whose name contains `name`.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the page size (1–300).
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size.clamp(1, 300);
        self
    }
}

/// A document of a dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Document {
    /// Id.
    pub document_id: DocumentId,
    /// Name.
    pub name: String,
    /// Characters.
    pub char_count: Int,
    /// Format of its dataset.
    pub format_type: Int,
    /// Size in bytes.
    pub size: Int,
    /// Slices.
    pub slice_count: Int,
    /// 0 local file, 1 web page, 5 uploaded file id, ...
    pub source_type: Int,
    /// 0 processing, 1 done, 9 failed.
    pub status: Int,
    /// File type (`txt`, `pdf`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// 0 no automatic update, 1 automatic.
    pub update_type: Int,
    /// Hours between automatic updates.
    pub update_interval: Int,
    /// Created (Unix seconds).
    pub create_time: Int,
    /// Updated (Unix seconds).
    pub update_time: Int,
}

/// Where a new document's content comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct SourceInfo {
    /// The file's bytes, base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_base64: Option<String>,
    /// The file's type (`txt`, `pdf`, `docx`, `md`, `jpg`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_type: Option<String>,
    /// A web page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub web_url: Option<String>,
    /// A file uploaded with `files().upload`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_file_id: Option<FileId>,
    /// 1 web page, 5 uploaded file id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_source: Option<i64>,
}

impl SourceInfo {
    /// A local file's bytes of `file_type` (its extension).
    pub fn bytes(data: &[u8], file_type: impl Into<String>) -> Self {
        use base64::Engine as _;
        Self {
            file_base64: Some(base64::engine::general_purpose::STANDARD.encode(data)),
            file_type: Some(file_type.into()),
            web_url: None,
            source_file_id: None,
            document_source: None,
        }
    }

    /// A web page.
    pub fn web(url: impl Into<String>) -> Self {
        Self {
            file_base64: None,
            file_type: None,
            web_url: Some(url.into()),
            source_file_id: None,
            document_source: Some(1),
        }
    }

    /// A file uploaded with `files().upload`.
    pub fn file_id(id: impl Into<FileId>) -> Self {
        Self {
            file_base64: None,
            file_type: None,
            web_url: None,
            source_file_id: Some(id.into()),
            document_source: Some(5),
        }
    }
}

/// One document to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct DocumentBase {
    /// Name.
    pub name: String,
    /// Content.
    pub source_info: SourceInfo,
}

impl DocumentBase {
    /// A document named `name` from `source`.
    pub fn new(name: impl Into<String>, source: SourceInfo) -> Self {
        Self {
            name: name.into(),
            source_info: source,
        }
    }
}

/// `POST /open_api/knowledge/document/create`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct CreateDocumentsRequest {
    /// Dataset.
    pub dataset_id: DatasetId,
    /// Up to 10 documents.
    pub document_bases: Vec<DocumentBase>,
    /// Chunking (automatic when absent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chunk_strategy: Option<serde_json::Value>,
}

impl CreateDocumentsRequest {
    /// Adds `documents` to `dataset_id`.
    pub fn new(dataset_id: impl Into<DatasetId>, documents: Vec<DocumentBase>) -> Self {
        Self {
            dataset_id: dataset_id.into(),
            document_bases: documents,
            chunk_strategy: None,
        }
    }
}

/// A document's processing progress.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct DocumentProgress {
    /// Document.
    pub document_id: DocumentId,
    /// Name.
    pub document_name: String,
    /// Percent done (0–100).
    pub progress: Int,
    /// 0 processing, 1 done, 9 failed.
    pub status: Int,
    /// Seconds left (estimate).
    pub remaining_time: Int,
    /// Why it failed.
    pub status_descript: String,
    /// Size in bytes.
    pub size: Int,
    /// File type.
    #[serde(rename = "type")]
    pub kind: String,
    /// Source URL.
    pub url: String,
}

impl DocumentProgress {
    /// Done or failed.
    pub fn is_settled(&self) -> bool {
        self.status != 0 || self.progress >= 100
    }
}

/// An image of an image dataset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct Image {
    /// Its document id.
    pub document_id: DocumentId,
    /// Name.
    pub name: String,
    /// Caption.
    pub caption: String,
    /// URL.
    pub url: String,
    /// Size in bytes.
    pub size: Int,
    /// File type.
    #[serde(rename = "type")]
    pub kind: String,
    /// 0 processing, 1 done, 9 failed.
    pub status: Int,
    /// Uploader.
    pub creator_id: Option<UserId>,
    /// Created (Unix seconds).
    pub create_time: Int,
    /// Updated (Unix seconds).
    pub update_time: Int,
}
