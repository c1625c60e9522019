//! `coze datasets`: knowledge bases (list, create, update, delete) and their documents
//! (`coze datasets docs add|list|update|delete`).
//!
//! `docs add` takes local files and `--url` pages, adds them in one request (Coze's limit is
//! 10) and then follows Coze's processing with a progress bar on a terminal (a line per
//! finished document otherwise) until every document is done; `--no-wait` returns at once.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Subcommand, ValueEnum};
use coze_sdk::types::datasets::{
    CreateDatasetRequest, CreateDocumentsRequest, DocumentBase, DocumentProgress, FORMAT_IMAGE,
    FORMAT_TEXT, ListDatasetsRequest, SourceInfo, UpdateDatasetRequest,
};
use coze_sdk::{DatasetId, DocumentId};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::non_empty_arg;
use crate::error::CliError;
use crate::output::format_time;
use crate::settings::Settings;

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum DatasetsCommand {
    /// List the knowledge bases of a workspace
    List {
        /// The workspace [default: your personal workspace]
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        /// Only names containing this
        #[arg(long)]
        name: Option<String>,
    },
    /// Create a knowledge base; prints its id
    Create {
        /// Its name (1 to 100 characters)
        name: String,
        /// The workspace [default: your personal workspace]
        #[arg(long, value_name = "ID")]
        workspace: Option<String>,
        /// What it holds
        #[arg(long, value_enum, default_value_t = Kind::Text)]
        kind: Kind,
        /// A description
        #[arg(long)]
        description: Option<String>,
    },
    /// Rename a knowledge base or change its description
    Update {
        /// The dataset id
        id: String,
        /// The new name
        #[arg(long)]
        name: String,
        /// The new description
        #[arg(long)]
        description: Option<String>,
    },
    /// Delete a knowledge base and its documents
    Delete {
        /// The dataset id
        id: String,
    },
    /// Add, list, rename and delete the documents of a knowledge base
    #[command(subcommand)]
    Docs(DocsCommand),
}

#[derive(Debug, Subcommand)]
#[command(defer = true)]
pub enum DocsCommand {
    /// Add local files and web pages, then wait until Coze has processed them
    Add {
        /// The dataset id
        dataset: String,
        /// Local files (their extension is their type: txt, pdf, docx, md, png, ...)
        files: Vec<PathBuf>,
        /// A web page to add (repeatable)
        #[arg(long = "url", value_name = "URL")]
        urls: Vec<String>,
        /// Do not wait for processing
        #[arg(long)]
        no_wait: bool,
        /// Give up waiting after this many seconds
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// List the documents of a knowledge base
    List {
        /// The dataset id
        dataset: String,
    },
    /// Rename a document
    Update {
        /// The document id
        id: String,
        /// The new name
        #[arg(long)]
        name: String,
    },
    /// Delete documents
    Delete {
        /// Document ids
        #[arg(required = true)]
        ids: Vec<String>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Kind {
    /// Text documents
    Text,
    /// Images
    Image,
}

/// # Errors
/// The API error, or a usage error for bad arguments.
pub async fn run(command: DatasetsCommand, settings: &Settings) -> anyhow::Result<()> {
    let client = settings.client()?;
    let out = &settings.output;
    let ds = client.datasets();
    match command {
        DatasetsCommand::List { workspace, name } => {
            let workspace = super::workspaces::resolve(&client, workspace.as_deref()).await?;
            let mut req = ListDatasetsRequest::new(workspace).page_size(100);
            if let Some(name) = name {
                req = req.name(name);
            }
            let items = ds.list(req).collect_all().await?;
            out.list(
                &items,
                &["ID", "NAME", "KIND", "DOCS", "PROCESSING", "UPDATED"],
                |d| {
                    vec![
                        d.dataset_id.to_string(),
                        d.name.clone(),
                        kind_name(d.format_type.get()).into(),
                        d.doc_count.to_string(),
                        d.processing_file_list.len().to_string(),
                        format_time(d.update_time.get()),
                    ]
                },
                "no knowledge bases in this workspace (create one with `coze datasets create NAME`)",
            )?;
        }
        DatasetsCommand::Create {
            name,
            workspace,
            kind,
            description,
        } => {
            let name = non_empty_arg(&name, "NAME")?;
            let workspace = super::workspaces::resolve(&client, workspace.as_deref()).await?;
            let format = match kind {
                Kind::Text => FORMAT_TEXT,
                Kind::Image => FORMAT_IMAGE,
            };
            let mut req = CreateDatasetRequest::new(name, workspace, format);
            if let Some(d) = description {
                req = req.description(d);
            }
            let id = ds.create(&req).await?;
            print_id(settings, "dataset_id", id.as_str())?;
        }
        DatasetsCommand::Update {
            id,
            name,
            description,
        } => {
            let id = DatasetId::new(non_empty_arg(&id, "ID")?);
            let mut req = UpdateDatasetRequest::new(non_empty_arg(&name, "--name")?);
            if let Some(d) = description {
                req = req.description(d);
            }
            ds.update(&id, &req).await?;
            out.dim(&format!("updated dataset {id}"));
        }
        DatasetsCommand::Delete { id } => {
            let id = DatasetId::new(non_empty_arg(&id, "ID")?);
            ds.delete(&id).await?;
            out.dim(&format!("deleted dataset {id}"));
        }
        DatasetsCommand::Docs(cmd) => docs(cmd, settings, &client).await?,
    }
    Ok(())
}

fn kind_name(format: i64) -> &'static str {
    match format {
        0 => "text",
        1 => "table",
        2 => "image",
        _ => "other",
    }
}

fn print_id(settings: &Settings, key: &str, id: &str) -> anyhow::Result<()> {
    if settings.output.json() {
        settings.output.json_line(&serde_json::json!({ key: id }))?;
    } else {
        settings.output.line(id)?;
    }
    Ok(())
}

async fn read_sources(files: &[PathBuf], urls: &[String]) -> anyhow::Result<Vec<DocumentBase>> {
    let mut bases = Vec::new();
    for path in files {
        let data = tokio::fs::read(path).await.map_err(|e| {
            CliError::usage(format!("cannot read {}: {e}", path.display()))
                .with_hint("give the path of a readable file")
        })?;
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "document".into());
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_lowercase())
            .ok_or_else(|| {
                CliError::usage(format!("{} has no extension", path.display())).with_hint(
                    "Coze takes the file type from the extension: rename it, e.g. notes.txt",
                )
            })?;
        bases.push(DocumentBase::new(name, SourceInfo::bytes(&data, ext)));
    }
    for url in urls {
        let url = non_empty_arg(url, "--url")?;
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(CliError::usage(format!("--url {url} is not a web address"))
                .with_hint("pass an http:// or https:// URL")
                .into());
        }
        bases.push(DocumentBase::new(url.clone(), SourceInfo::web(url)));
    }
    if bases.is_empty() {
        return Err(CliError::usage("nothing to add")
            .with_hint("pass files and/or --url URL")
            .into());
    }
    if bases.len() > 10 {
        return Err(CliError::usage(format!(
            "{} documents given; Coze takes at most 10 per request",
            bases.len()
        ))
        .with_hint("add them in several runs")
        .into());
    }
    Ok(bases)
}

async fn docs(
    command: DocsCommand,
    settings: &Settings,
    client: &coze_sdk::Client,
) -> anyhow::Result<()> {
    let out = &settings.output;
    let documents = client.datasets().documents();
    match command {
        DocsCommand::Add {
            dataset,
            files,
            urls,
            no_wait,
            timeout,
        } => {
            let dataset = DatasetId::new(non_empty_arg(&dataset, "DATASET")?);
            let bases = read_sources(&files, &urls).await?;
            let created = documents
                .create(&CreateDocumentsRequest::new(dataset.clone(), bases))
                .await?;
            let ids: Vec<DocumentId> = created.iter().map(|d| d.document_id.clone()).collect();
            let settled = if no_wait {
                None
            } else {
                Some(wait(settings, &documents, &dataset, &ids, timeout).await?)
            };
            let failed = settled
                .as_ref()
                .map(|p| p.iter().filter(|d| d.status == 9).count())
                .unwrap_or(0);
            out.list(
                &created,
                &["ID", "NAME", "STATUS"],
                |d| {
                    let status = settled
                        .as_ref()
                        .and_then(|p| p.iter().find(|x| x.document_id == d.document_id))
                        .map_or(
                            "processing",
                            |p| if p.status == 9 { "failed" } else { "done" },
                        );
                    vec![d.document_id.to_string(), d.name.clone(), status.into()]
                },
                "no documents were added",
            )?;
            if failed > 0 {
                return Err(
                    CliError::failed(format!("{failed} document(s) failed to process"))
                        .with_hint(
                            "see `coze datasets docs list DATASET`; re-upload the failed ones",
                        )
                        .into(),
                );
            }
        }
        DocsCommand::List { dataset } => {
            let dataset = DatasetId::new(non_empty_arg(&dataset, "DATASET")?);
            let items = documents.list(&dataset, 100).collect_all().await?;
            out.list(
                &items,
                &["ID", "NAME", "TYPE", "SIZE", "STATUS", "UPDATED"],
                |d| {
                    vec![
                        d.document_id.to_string(),
                        d.name.clone(),
                        d.kind.clone(),
                        d.size.to_string(),
                        match d.status.get() {
                            0 => "processing".into(),
                            1 => "done".into(),
                            9 => "failed".into(),
                            n => n.to_string(),
                        },
                        format_time(d.update_time.get()),
                    ]
                },
                "no documents (add some with `coze datasets docs add DATASET FILE`)",
            )?;
        }
        DocsCommand::Update { id, name } => {
            let id = DocumentId::new(non_empty_arg(&id, "ID")?);
            documents
                .update(&id, &non_empty_arg(&name, "--name")?)
                .await?;
            out.dim(&format!("renamed document {id}"));
        }
        DocsCommand::Delete { ids } => {
            let ids: Vec<DocumentId> = ids
                .iter()
                .map(|i| non_empty_arg(i, "ID").map(DocumentId::new))
                .collect::<anyhow::Result<_>>()?;
            documents.delete(&ids).await?;
            out.dim(&format!("deleted {} document(s)", ids.len()));
        }
    }
    Ok(())
}

async fn wait(
    settings: &Settings,
    documents: &coze_sdk::DocumentsApi<'_>,
    dataset: &DatasetId,
    ids: &[DocumentId],
    timeout: u64,
) -> anyhow::Result<Vec<DocumentProgress>> {
    let bar = ProgressBar::with_draw_target(Some(100), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}%")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message("processing");
    let mut reported: Vec<DocumentId> = Vec::new();
    let out = &settings.output;
    let result = documents
        .wait_processed(
            dataset,
            ids,
            Duration::from_millis(500),
            Duration::from_secs(timeout),
            |progress| {
                let total: i64 = progress
                    .iter()
                    .map(|p| p.progress.get().clamp(0, 100))
                    .sum();
                let n = progress.len().max(1) as i64;
                bar.set_position((total / n) as u64);
                if bar.is_hidden() {
                    for p in progress.iter().filter(|p| p.is_settled()) {
                        if !reported.contains(&p.document_id) {
                            reported.push(p.document_id.clone());
                            out.dim(&format!("processed {} ({}%)", p.document_name, p.progress));
                        }
                    }
                }
            },
        )
        .await;
    bar.finish_and_clear();
    Ok(result?)
}
