//! File types.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use futures_core::Stream;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ids::FileId;
use crate::types::common::null_default;
use crate::types::lenient::{Int, Timestamp};

/// The largest file Coze accepts (512 MB); larger ones are refused before uploading.
pub const MAX_UPLOAD_BYTES: u64 = 512 * 1024 * 1024;

/// An uploaded file. Use its id in chat with
/// [`ContentPart::file_id`](crate::ContentPart::file_id) or
/// [`ContentPart::image_id`](crate::ContentPart::image_id).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct File {
    /// File id.
    #[serde(default)]
    pub id: FileId,
    /// Size in bytes.
    #[serde(default)]
    pub bytes: Int,
    /// File name as uploaded.
    #[serde(default, deserialize_with = "null_default")]
    pub file_name: String,
    /// Upload time (Unix seconds).
    #[serde(skip_serializing_if = "Timestamp::is_unset")]
    pub created_at: Timestamp,
}

/// How far an upload got: called with (bytes sent, total bytes).
pub type ProgressFn = Arc<dyn Fn(u64, u64) + Send + Sync>;

/// A file to upload: its name, content and MIME type, and an optional progress callback.
///
/// The content is held in memory (Coze accepts at most [`MAX_UPLOAD_BYTES`]), so a failed
/// upload can be retried without reading the source again.
#[derive(Clone)]
pub struct FileUpload {
    pub(crate) file_name: String,
    pub(crate) data: Bytes,
    pub(crate) content_type: Option<String>,
    pub(crate) progress: Option<ProgressFn>,
}

impl fmt::Debug for FileUpload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileUpload")
            .field("file_name", &self.file_name)
            .field("bytes", &self.data.len())
            .field("content_type", &self.content_type)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl FileUpload {
    /// Content given as bytes, uploaded under `file_name`.
    pub fn from_bytes(file_name: impl Into<String>, data: impl Into<Bytes>) -> Self {
        let file_name = file_name.into();
        let content_type = guess_mime(&file_name).map(str::to_owned);
        Self {
            file_name,
            data: data.into(),
            content_type,
            progress: None,
        }
    }

    /// Reads a local file; it is uploaded under its file name.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read, [`Error::InvalidRequest`] when it is not a
    /// regular file or larger than [`MAX_UPLOAD_BYTES`].
    pub async fn from_path(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let io = |source| Error::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = tokio::fs::metadata(path).await.map_err(io)?;
        if !meta.is_file() {
            return Err(Error::InvalidRequest(format!(
                "{} is not a file",
                path.display()
            )));
        }
        check_size(meta.len())?;
        let data = tokio::fs::read(path).await.map_err(io)?;
        let name = path
            .file_name()
            .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
        Ok(Self::from_bytes(name, data))
    }

    /// Collects a stream of chunks (e.g. a download) and uploads it under `file_name`.
    ///
    /// # Errors
    ///
    /// The stream's first error as [`Error::Io`] (with `file_name` as the path), or
    /// [`Error::InvalidRequest`] once it exceeds [`MAX_UPLOAD_BYTES`].
    pub async fn from_stream<S>(file_name: impl Into<String>, stream: S) -> Result<Self>
    where
        S: Stream<Item = std::io::Result<Bytes>> + Send,
    {
        use futures_util::StreamExt;
        let file_name = file_name.into();
        let mut stream = std::pin::pin!(stream);
        let mut data = Vec::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|source| Error::Io {
                path: file_name.clone().into(),
                source,
            })?;
            data.extend_from_slice(&chunk);
            check_size(data.len() as u64)?;
        }
        Ok(Self::from_bytes(file_name, data))
    }

    /// Sets the MIME type (guessed from the file name otherwise).
    pub fn content_type(mut self, mime: impl Into<String>) -> Self {
        self.content_type = Some(mime.into());
        self
    }

    /// Calls `progress(sent, total)` as the body is sent (at least once per 64 KiB).
    pub fn on_progress(mut self, progress: impl Fn(u64, u64) + Send + Sync + 'static) -> Self {
        self.progress = Some(Arc::new(progress));
        self
    }

    /// The name the file is uploaded under.
    pub fn file_name(&self) -> &str {
        &self.file_name
    }

    /// The size in bytes.
    pub fn len(&self) -> u64 {
        self.data.len() as u64
    }

    /// True for an empty file (Coze refuses those with code 4300).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
}

fn check_size(len: u64) -> Result<()> {
    if len > MAX_UPLOAD_BYTES {
        return Err(Error::InvalidRequest(format!(
            "the file is {len} bytes; Coze accepts at most {MAX_UPLOAD_BYTES} bytes (512 MB)"
        )));
    }
    Ok(())
}

/// A MIME type for common extensions (Coze checks it for images).
fn guess_mime(file_name: &str) -> Option<&'static str> {
    let ext = file_name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "txt" | "md" | "csv" => "text/plain",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "mp3" => "audio/mpeg",
        "wav" => "audio/wav",
        "ogg" | "opus" => "audio/ogg",
        "mp4" => "video/mp4",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_is_guessed_from_the_extension() {
        assert_eq!(
            FileUpload::from_bytes("a.PNG", "x").content_type.as_deref(),
            Some("image/png")
        );
        assert_eq!(FileUpload::from_bytes("noext", "x").content_type, None);
        assert_eq!(
            FileUpload::from_bytes("a.bin", "x")
                .content_type("x/y")
                .content_type
                .as_deref(),
            Some("x/y")
        );
    }

    #[tokio::test]
    async fn from_stream_collects_and_from_path_reports_missing_files() {
        let chunks = futures_util::stream::iter(vec![Ok(Bytes::from("ab")), Ok(Bytes::from("c"))]);
        let upload = FileUpload::from_stream("s.txt", chunks).await.unwrap();
        assert_eq!((upload.len(), upload.file_name()), (3, "s.txt"));
        let err = FileUpload::from_path("/definitely/not/here.txt")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err:?}");
        let dir = FileUpload::from_path(std::env::temp_dir())
            .await
            .unwrap_err();
        assert!(matches!(dir, Error::InvalidRequest(_)), "{dir:?}");
    }
}
