//! Files: `client.files()`. Upload a file once, then send its id in chat messages
//! ([`ContentPart::file_id`](crate::ContentPart::file_id) /
//! [`image_id`](crate::ContentPart::image_id)).

use crate::client::{ApiRequest, Client, MultipartPart, UploadProgress};
use crate::error::{Error, Result};
use crate::ids::FileId;
use crate::types::files::{File, FileUpload};

/// Large files take longer than ordinary requests (Coze accepts up to 512 MB).
const UPLOAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

/// File endpoints. Get one with [`Client::files`].
#[derive(Debug, Clone, Copy)]
pub struct FilesApi<'c> {
    client: &'c Client,
}

impl Client {
    /// Files: upload and retrieve.
    pub fn files(&self) -> FilesApi<'_> {
        FilesApi { client: self }
    }
}

impl FilesApi<'_> {
    /// Uploads a file (multipart, part `file`). Build the upload with
    /// [`FileUpload::from_path`], [`from_bytes`](FileUpload::from_bytes) or
    /// [`from_stream`](FileUpload::from_stream); [`FileUpload::on_progress`] reports progress.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRequest`] for an empty file; API errors (4302 too large, 4303
    /// unsupported format, ...) and transport errors.
    pub async fn upload(&self, upload: FileUpload) -> Result<File> {
        if upload.is_empty() {
            return Err(Error::InvalidRequest(format!(
                "{} is empty: Coze does not accept empty files",
                upload.file_name
            )));
        }
        let mut part = MultipartPart::file("file", upload.file_name, upload.data);
        if let Some(mime) = upload.content_type {
            part = part.content_type(mime);
        }
        part.progress = upload.progress.map(UploadProgress);
        // Uploading the same file twice is harmless, so failed attempts may be retried.
        let req = ApiRequest::post("/v1/files/upload")
            .multipart(vec![part])
            .idempotent(true)
            .timeout(UPLOAD_TIMEOUT);
        self.client.send(req).await
    }

    /// An uploaded file's details.
    ///
    /// # Errors
    ///
    /// API errors (4200 unknown file) and transport errors.
    pub async fn retrieve(&self, file_id: &FileId) -> Result<File> {
        let req = ApiRequest::get("/v1/files/retrieve").query("file_id", file_id.as_str());
        self.client.send(req).await
    }
}
