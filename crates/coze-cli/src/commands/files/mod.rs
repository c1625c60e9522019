//! `coze files upload PATH` and `coze files get ID`; also turns `coze chat --attach` values
//! into message parts ([`attachments`]).

use std::path::Path;
use std::time::Duration;

use clap::Subcommand;
use coze_sdk::{Client, ContentPart, File, FileId, FileUpload};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::non_empty_arg;
use crate::error::CliError;
use crate::output::{Output, format_time};
use crate::settings::Settings;

/// Files larger than this get a progress bar on stderr.
const PROGRESS_FROM_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum FilesCommand {
    /// Upload a file and print its id (use it in chat: `coze chat --attach PATH`)
    Upload {
        /// The file to upload
        path: std::path::PathBuf,
        /// Its MIME type [default: guessed from the extension]
        #[arg(long = "type", value_name = "MIME")]
        mime: Option<String>,
    },
    /// Show an uploaded file
    Get {
        /// The file id
        id: String,
    },
}

/// # Errors
/// A failure with a hint for a missing or unreadable file; otherwise the API error.
pub async fn run(command: FilesCommand, settings: &Settings) -> anyhow::Result<()> {
    let client = settings.client()?;
    let out = &settings.output;
    match command {
        FilesCommand::Upload { path, mime } => {
            let file = upload(&client, &path, mime, out).await?;
            if out.json() {
                out.json_line(&file)?;
            } else {
                out.line(file.id.as_str())?;
                out.dim(&format!(
                    "uploaded {} ({} bytes)",
                    file.file_name, file.bytes
                ));
            }
            Ok(())
        }
        FilesCommand::Get { id } => {
            let file = client
                .files()
                .retrieve(&FileId::new(non_empty_arg(&id, "the file id")?))
                .await?;
            if out.json() {
                out.json_line(&file)?;
            } else {
                let rows = vec![vec![
                    file.id.to_string(),
                    file.file_name.clone(),
                    file.bytes.to_string(),
                    format_time(file.created_at),
                ]];
                out.table(&["ID", "NAME", "BYTES", "CREATED (UTC)"], &rows, "")?;
            }
            Ok(())
        }
    }
}

/// Uploads `path`, with a progress bar on stderr for large files.
///
/// # Errors
/// A failure with a hint when the file is missing, unreadable or too large; the API error.
pub async fn upload(
    client: &Client,
    path: &Path,
    mime: Option<String>,
    out: &Output,
) -> anyhow::Result<File> {
    let mut upload = FileUpload::from_path(path)
        .await
        .map_err(|e| file_error(path, e))?;
    if upload.is_empty() {
        // The SDK refuses it too, but without a hint.
        return Err(CliError::failed(format!("{} is empty", path.display()))
            .with_hint("Coze does not accept empty files: upload a file with some content")
            .into());
    }
    if let Some(mime) = mime {
        upload = upload.content_type(non_empty_arg(&mime, "--type")?);
    }
    let bar =
        (upload.len() >= PROGRESS_FROM_BYTES && !out.json()).then(|| progress_bar(upload.len()));
    if let Some(bar) = &bar {
        let bar = bar.clone();
        upload = upload.on_progress(move |sent, _total| bar.set_position(sent));
    }
    let result = client.files().upload(upload).await;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    Ok(result?)
}

fn progress_bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("uploading {bar:30} {bytes}/{total_bytes} ({eta})")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// A one-line error with a hint for a local file that cannot be uploaded.
fn file_error(path: &Path, err: coze_sdk::Error) -> anyhow::Error {
    let shown = path.display();
    match err {
        coze_sdk::Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound => {
            CliError::failed(format!("{shown} does not exist"))
                .with_hint("check the path of the file to upload")
                .into()
        }
        coze_sdk::Error::Io { source, .. } => {
            CliError::failed(format!("cannot read {shown}: {source}"))
                .with_hint("check the file's permissions")
                .into()
        }
        coze_sdk::Error::InvalidRequest(msg) => {
            CliError::failed(format!("cannot upload {shown}: {msg}"))
                .with_hint("upload a regular file of at most 512 MB")
                .into()
        }
        other => other.into(),
    }
}

/// Turns `--attach` values into message parts: URLs as they are, local files uploaded
/// first. Images (by extension) become image parts, anything else file parts.
///
/// # Errors
/// As [`upload`]; a usage error for an empty value.
pub async fn attachments(
    client: &Client,
    values: &[String],
    out: &Output,
) -> anyhow::Result<Vec<ContentPart>> {
    let mut parts = Vec::new();
    for value in values {
        let value = non_empty_arg(value, "--attach")?;
        let image = is_image(&value);
        let part = if value.starts_with("http://") || value.starts_with("https://") {
            if image {
                ContentPart::image_url(value)
            } else {
                ContentPart::file_url(value)
            }
        } else {
            let file = upload(client, Path::new(&value), None, out).await?;
            out.dim(&format!(
                "attached {} (file id {})",
                file.file_name, file.id
            ));
            if image {
                ContentPart::image_id(file.id)
            } else {
                ContentPart::file_id(file.id)
            }
        };
        parts.push(part);
    }
    Ok(parts)
}

fn is_image(value: &str) -> bool {
    let path = value.split(['?', '#']).next().unwrap_or(value);
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    matches!(
        ext.as_str(),
        "png" | "jpg" | "jpeg" | "gif" | "webp" | "bmp"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_recognised_by_extension() {
        assert!(is_image("https://x.com/a/cat.PNG?size=2"));
        assert!(is_image("photo.jpeg"));
        assert!(!is_image("report.pdf"));
        assert!(!is_image("https://x.com/image"));
    }
}
