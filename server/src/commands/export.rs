//! `letsema export`: one form's submissions as CSV (a zip), XLSX or JSON lines, from a
//! running server (`--url`, signing in as a staff member: `GET /api/exports`) or straight
//! from a database (`--data-dir` or `--database`, as the operator on the server's machine).
//!
//! The filters and options are the staff area's, with the same names as the API's query
//! parameters. Progress goes to standard error (`indicatif`): submissions written when the
//! command reads the database itself, bytes downloaded from a server. The file is written
//! beside its final name and renamed once complete, so that an interrupted export never
//! leaves a file that looks whole.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::remote::{RemoteError, http_client, sign_in};
use crate::export::{ExportError, ExportRequest, SUBMISSIONS_HEADER, write_export};
use crate::store::{AssociationScope, AuditEntry, Database, OpenError, PeopleError, QueryError};

/// Why `letsema export` failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum ExportCommandError {
    /// A filter or option is malformed.
    #[error("{0}")]
    Query(#[from] QueryError),
    /// The output file exists.
    #[error("{0} exists: choose another --output, or add --force to replace it")]
    Exists(PathBuf),
    /// The output file could not be written.
    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The database could not be opened.
    #[error(transparent)]
    Open(#[from] OpenError),
    /// The export could not be made from the database.
    #[error(transparent)]
    Export(#[from] ExportError),
    /// The audit log could not record the export (the file is then removed).
    #[error("the audit log could not record the export, so it was not kept: {0}")]
    Audit(#[source] PeopleError),
    /// Signing in failed, or the server could not be reached.
    #[error(transparent)]
    Remote(#[from] RemoteError),
    /// The server refused the export.
    #[error("the server refused the export ({status}): {message}")]
    Refused {
        status: reqwest::StatusCode,
        message: String,
    },
    /// The download broke off.
    #[error("the download broke off: {0}; run the command again")]
    Download(#[source] reqwest::Error),
    /// The async runtime could not be started.
    #[error("cannot start the async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Where the submissions come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// A running server, signed in as a staff member.
    Server {
        url: String,
        email: String,
        password: String,
        ca_cert: Option<PathBuf>,
    },
    /// The database itself, as the server's operator (every association).
    Database(Database),
}

/// What `letsema export` was asked for.
#[derive(Debug, Clone)]
pub struct ExportOptions {
    /// The filters and options as the API's query parameters (`form`, `format`, ...).
    pub parameters: Vec<(String, String)>,
    /// The file to write; none: the name the export suggests, in the current folder.
    pub output: Option<PathBuf>,
    /// Replace the output file if it exists.
    pub force: bool,
    /// Show progress on standard error.
    pub progress: bool,
}

/// Runs the command; says what it wrote on `out`.
///
/// # Errors
///
/// What went wrong, in words that say what to do.
pub fn run(
    source: &Source,
    options: &ExportOptions,
    out: &mut dyn Write,
) -> Result<(), ExportCommandError> {
    // Checked here first, whatever the source, so that a mistake costs no sign-in.
    let request = ExportRequest::from_pairs(AssociationScope::All, options.parameters.clone())?;
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let output = options
        .output
        .clone()
        .unwrap_or_else(|| PathBuf::from(request.file_name(&today)));
    if output.exists() && !options.force {
        return Err(ExportCommandError::Exists(output));
    }
    let partial = partial_path(&output);
    let file = File::create(&partial).map_err(|source| ExportCommandError::Output {
        path: partial.clone(),
        source,
    })?;
    let result = match source {
        Source::Database(database) => from_database(database, &request, file, options.progress),
        Source::Server {
            url,
            email,
            password,
            ca_cert,
        } => {
            let runtime = tokio::runtime::Runtime::new().map_err(ExportCommandError::Runtime)?;
            runtime.block_on(from_server(
                url,
                email,
                password,
                ca_cert.as_deref(),
                &options.parameters,
                file,
                options.progress,
            ))
        }
    };
    let summary = match result {
        Ok(summary) => summary,
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            return Err(error);
        }
    };
    std::fs::rename(&partial, &output).map_err(|source| ExportCommandError::Output {
        path: output.clone(),
        source,
    })?;
    writeln!(out, "{summary} → {}", output.display()).map_err(|source| {
        ExportCommandError::Output {
            path: PathBuf::from("standard output"),
            source,
        }
    })?;
    Ok(())
}

/// `FILE.part` beside `FILE`.
fn partial_path(output: &Path) -> PathBuf {
    let mut name = output.file_name().unwrap_or_default().to_os_string();
    name.push(".part");
    output.with_file_name(name)
}

fn from_database(
    database: &Database,
    request: &ExportRequest,
    file: File,
    progress: bool,
) -> Result<String, ExportCommandError> {
    let store = database.open()?.store;
    let bar = if progress {
        let bar = ProgressBar::new_spinner().with_message("submissions written");
        bar.set_style(
            ProgressStyle::with_template("{spinner} {pos} {msg} ({elapsed})")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    } else {
        ProgressBar::hidden()
    };
    let (mut file, written) = write_export(&*store, request, file, &mut |rows| {
        bar.set_position(rows);
    })?;
    bar.finish_and_clear();
    file.flush()
        .and_then(|()| file.sync_all())
        .map_err(|source| ExportCommandError::Output {
            path: PathBuf::from("the export"),
            source,
        })?;
    store
        .record_audit(&AuditEntry {
            actor: "cli".to_owned(),
            action: "export".to_owned(),
            detail: format!(
                "{} submissions={}",
                request.audit_detail(),
                written.submissions
            ),
            address: None,
        })
        .map_err(ExportCommandError::Audit)?;
    Ok(format!("{} submission(s)", written.submissions))
}

async fn from_server(
    url: &str,
    email: &str,
    password: &str,
    ca_cert: Option<&Path>,
    parameters: &[(String, String)],
    mut file: File,
    progress: bool,
) -> Result<String, ExportCommandError> {
    let http = http_client(ca_cert)?;
    let base = url.trim_end_matches('/');
    let session = sign_in(&http, base, email, password).await?;
    let query: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(parameters)
        .finish();
    let bar = if progress {
        let bar = ProgressBar::new_spinner().with_message("the server is writing the export");
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut response = http
        .get(format!("{base}/api/exports?{query}"))
        .header("cookie", &session.cookie)
        .send()
        .await
        .map_err(|source| RemoteError::Unreachable {
            base: base.to_owned(),
            source,
        })?;
    let status = response.status();
    if !status.is_success() {
        bar.finish_and_clear();
        let body = response.text().await.unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(str::to_owned))
            .unwrap_or(body);
        return Err(ExportCommandError::Refused { status, message });
    }
    let length = response.content_length();
    let submissions = response
        .headers()
        .get(SUBMISSIONS_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(length) = length {
        bar.set_length(length);
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }
    let mut received: u64 = 0;
    while let Some(chunk) = response
        .chunk()
        .await
        .map_err(ExportCommandError::Download)?
    {
        file.write_all(&chunk)
            .map_err(|source| ExportCommandError::Output {
                path: PathBuf::from("the export"),
                source,
            })?;
        received += chunk.len() as u64;
        bar.set_position(received);
    }
    bar.finish_and_clear();
    if let Some(length) = length
        && received != length
    {
        return Err(ExportCommandError::Refused {
            status,
            message: format!("the server sent {received} of {length} bytes: run the command again"),
        });
    }
    file.sync_all()
        .map_err(|source| ExportCommandError::Output {
            path: PathBuf::from("the export"),
            source,
        })?;
    Ok(match submissions {
        Some(count) => format!("{count} submission(s), {received} bytes"),
        None => format!("{received} bytes"),
    })
}
