//! Exports of one form's submissions, for the route (`GET /api/exports`) and for
//! `letsema export --data-dir`: what a request asks ([`ExportRequest`], read from the same
//! query parameters as the staff's table plus the export's options), and the loop that reads
//! the submissions from the store in batches and hands them to `letsema-export`'s writer.
//!
//! Memory stays flat whatever the number of submissions: the store is read
//! [`EXPORT_BATCH_ROWS`] at a time with the table's keyset cursor, and the writer keeps its
//! tables in temporary files.

use std::io::{Seek, Write};
use std::sync::Arc;

use letsema_answers::Answers;
use letsema_export::{Comment, ExportOptions, Exporter, Format, Schema, Submission};
use letsema_form::model::Form;

use crate::store::{
    AssociationScope, Backend, EXPORT_BATCH_ROWS, ExportRow, Order, PublishError, QueryError,
    SubmissionQuery, ValidateError, boolean,
};

/// The response header that says how many submissions an export holds.
pub const SUBMISSIONS_HEADER: &str = "x-letsema-submissions";

/// The query parameters an export takes besides the table's filters.
pub const OPTION_PARAMETERS: [&str; 6] = [
    "format",
    "group_names",
    "split_select_multiple",
    "labels",
    "review",
    "judgement",
];

/// What an export was asked for: which submissions (the table's filters, within the staff
/// member's scope) and how to write them.
#[derive(Debug, Clone)]
pub struct ExportRequest {
    /// The filters, its form among them (`form=` is required: an export is of one form);
    /// its cursor and limit are the export's own.
    pub query: SubmissionQuery,
    pub format: Format,
    pub options: ExportOptions,
}

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// A parameter is missing, unknown or malformed.
    #[error(transparent)]
    Query(#[from] QueryError),
    /// No version of the form is published here.
    #[error("no form {0:?} is published on this server: check the form id (letsema form list)")]
    UnknownForm(String),
    /// The published forms could not be read.
    #[error(transparent)]
    Forms(#[from] PublishError),
    /// The submissions could not be read.
    #[error(transparent)]
    Store(#[from] ValidateError),
    /// The file could not be written.
    #[error(transparent)]
    Write(#[from] letsema_export::ExportError),
}

impl ExportRequest {
    /// A request from a URL's decoded `name=value` pairs, within `scope`: the table's
    /// filters (`SubmissionQuery::from_pairs`, without `after` and `limit`) and the options
    /// `format` (`csv`, `xlsx` or `jsonl`; default `csv`), `group_names`,
    /// `split_select_multiple`, `review` and `judgement` (`true` or `false`), and `labels`
    /// (a language, for choice labels instead of values).
    ///
    /// # Errors
    ///
    /// The first parameter that is missing, unknown, repeated or malformed.
    pub fn from_pairs(
        scope: AssociationScope,
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, QueryError> {
        let mut filters = Vec::new();
        let mut format = None;
        let mut options = ExportOptions::default();
        let mut seen: Vec<&'static str> = Vec::new();
        for (name, value) in pairs {
            let Some(option) = OPTION_PARAMETERS.into_iter().find(|o| *o == name) else {
                if name == "after" || name == "limit" {
                    return Err(QueryError::Invalid {
                        parameter: if name == "after" { "after" } else { "limit" },
                        why: "an export holds every submission the filters match: filter \
                              instead of paging"
                            .to_owned(),
                    });
                }
                filters.push((name, value));
                continue;
            };
            if seen.contains(&option) {
                return Err(QueryError::Invalid {
                    parameter: option,
                    why: "given twice: give it once".to_owned(),
                });
            }
            seen.push(option);
            let flag = |value: &str| boolean(option, value);
            match option {
                "format" => {
                    format = Some(value.parse::<Format>().map_err(|_| QueryError::Invalid {
                        parameter: "format",
                        why: "csv, xlsx or jsonl".to_owned(),
                    })?);
                }
                "group_names" => options.group_names = flag(&value)?,
                "split_select_multiple" => options.split_select_multiple = flag(&value)?,
                "review" => options.review = flag(&value)?,
                "judgement" => options.judgement = flag(&value)?,
                "labels" => {
                    if value.is_empty() || value.len() > 64 || value.chars().any(char::is_control) {
                        return Err(QueryError::Invalid {
                            parameter: "labels",
                            why: "a language of the form, such as English or en".to_owned(),
                        });
                    }
                    options.choice_labels = Some(value);
                }
                _ => {}
            }
        }
        let order_given = filters.iter().any(|(name, _)| name == "order");
        let mut query = SubmissionQuery::from_pairs(scope, filters)?;
        if query.form.is_none() {
            return Err(QueryError::Invalid {
                parameter: "form",
                why: "an export is of one form: give its id, such as form=diaspora_registration"
                    .to_owned(),
            });
        }
        if !order_given {
            // Oldest first, as a register reads; `order=newest` can still be asked.
            query.order = Order::Oldest;
        }
        query.limit = EXPORT_BATCH_ROWS;
        Ok(ExportRequest {
            query,
            format: format.unwrap_or(Format::Csv),
            options,
        })
    }

    /// The form exported.
    pub fn form(&self) -> &str {
        self.query.form.as_deref().unwrap_or_default()
    }

    /// The file's name: the form's id, the day, and the format's extension.
    pub fn file_name(&self, today: &str) -> String {
        let form: String = self
            .form()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{form}-{today}.{}", self.format.extension())
    }

    /// The filter as the audit log records it: every parameter but the text search's words,
    /// which may be a member's name (only how many there were is kept).
    pub fn audit_detail(&self) -> String {
        let query = &self.query;
        let mut parts = vec![
            format!("form={}", self.form()),
            format!("format={}", self.format.as_str()),
        ];
        let mut add = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                parts.push(format!("{name}={value}"));
            }
        };
        add("version", query.version.clone());
        add("association", query.association.clone());
        add("status", query.status.clone());
        add("from_ms", query.created_from.map(|v| v.to_string()));
        add("before_ms", query.created_before.map(|v| v.to_string()));
        add("complete", query.complete.map(|v| v.to_string()));
        add("conflicts", query.conflicts.map(|v| v.to_string()));
        for choice in &query.choices {
            parts.push(format!("choice={}:{}", choice.field, choice.value));
        }
        if !query.terms.is_empty() {
            parts.push(format!("q=({} words)", query.terms.len()));
        }
        if let AssociationScope::Only(codes) = &query.scope {
            parts.push(format!("scope={}", codes.join(",")));
        }
        parts.join(" ")
    }
}

/// Every published version of `form`, newest first.
///
/// # Errors
///
/// [`ExportError::UnknownForm`] when none is published.
pub fn form_versions(store: &dyn Backend, form: &str) -> Result<Vec<Arc<Form>>, ExportError> {
    let mut versions = Vec::new();
    for summary in store
        .published_forms()?
        .into_iter()
        .filter(|summary| summary.form_id == form)
    {
        if let Some(definition) = store.form_definition(&summary.form_id, &summary.version)? {
            versions.push(definition);
        }
    }
    if versions.is_empty() {
        return Err(ExportError::UnknownForm(form.to_owned()));
    }
    Ok(versions)
}

/// A stored row's answers and comments, read from the JSON the projection keeps.
#[derive(Debug)]
pub struct ReadRow {
    answers: Answers,
    comments: Vec<Comment>,
}

impl ReadRow {
    /// Reads a row. The projection wrote both from typed values: text that does not read is
    /// a damaged row, exported with what can be read rather than dropped.
    pub fn of(row: &ExportRow) -> ReadRow {
        ReadRow {
            answers: serde_json::from_str(&row.answers).unwrap_or_default(),
            comments: serde_json::from_str(&row.comments).unwrap_or_default(),
        }
    }

    /// The submission as the export formats take it.
    pub fn submission<'a>(&'a self, row: &'a ExportRow) -> Submission<'a> {
        Submission {
            id: &row.row.id,
            form_version: &row.row.form_version,
            created_at: row.row.created_at,
            association: row.row.association.as_deref(),
            device: &row.row.device,
            instance_name: row.row.instance_name.as_deref(),
            review_status: &row.row.review_status,
            comments: &self.comments,
            complete: row.row.complete,
            issues: &row.row.issues,
            answers: &self.answers,
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Submissions written.
    pub submissions: u64,
}

/// Writes the export `request` asks for to `out`, reading the store a batch at a time;
/// `progress` is told how many submissions are written after each batch. Withdrawn
/// submissions are left out.
///
/// # Errors
///
/// An unknown form, a failed read, or a failed write.
pub fn write_export<W: Write + Seek + Send>(
    store: &dyn Backend,
    request: &ExportRequest,
    out: W,
    progress: &mut dyn FnMut(u64),
) -> Result<(W, Written), ExportError> {
    let versions = form_versions(store, request.form())?;
    let forms: Vec<&Form> = versions.iter().map(AsRef::as_ref).collect();
    let schema = Schema::new(&forms)?;
    let mut exporter = Exporter::new(request.format, &schema, request.options.clone(), out)?;
    let mut query = request.query.clone();
    loop {
        let batch = store.export_batch(&query)?;
        for row in &batch.rows {
            if row.row.withdrawn {
                continue;
            }
            let read = ReadRow::of(row);
            exporter.push(&read.submission(row))?;
        }
        progress(exporter.rows());
        match batch.next {
            Some(next) => query.after = Some(next),
            None => break,
        }
    }
    let submissions = exporter.rows();
    let out = exporter.finish()?;
    Ok((out, Written { submissions }))
}
