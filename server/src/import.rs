//! Imports of existing registers: a spreadsheet (`.xlsx`, `.xls` or `.csv`) of members,
//! one row per person, becomes submissions of a published form in one association, as if an
//! import device had filled the form in once per row (`letsema import`).
//!
//! - **Columns** match questions by name: a column named as a question (or as an export
//!   heads it, with its groups' names: `personal-first_name`) is that question's; an
//!   export's own columns (`KEY`, `SubmissionDate`, ...) are left out; `--map COLUMN=question`
//!   matches any other, and `--map COLUMN=` leaves one out. A column that matches nothing
//!   refuses the import, so that no data is dropped unseen. Only questions outside repeats
//!   can be imported.
//! - **Cells** are read as the question's type asks: whole numbers, decimals, dates
//!   (`YYYY-MM-DD`, or a spreadsheet's date cell), date-times, a choice by its name or by its
//!   label in any of the form's languages (several separated by `;` or, by name, by spaces).
//! - **Nothing half-read is written.** Every row is read first; any row that cannot be read
//!   refuses the whole import, with every problem's row number, column and reason.
//! - **Importing the same file again changes nothing.** A row's submission id is drawn from
//!   the form, the association and the row's key (the `--key` column, or the whole row), so a
//!   row imported before is found and left as it is, with any correction made to it since.
//! - **A dry run** reads, checks and judges every row and says what an import would do,
//!   writing nothing.
//!
//! New submissions are written through the sync server, as a phone's are, by the import
//! device [`IMPORT_DEVICE`] in the association's scope; the validator judges them like any
//! other. Should the database fail partway, the rows written stay and running the import
//! again writes the rest.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use letsema_doc::{
    Answer, Answers, AssociationId, DeviceId, FormId, FormVersion, NewSubmission, SessionId,
    SubmissionDoc, SubmissionId, Timestamp, Writer,
};
use letsema_form::model::{ChoiceList, Form, Question, QuestionType};
use letsema_form::runtime::CompiledForm;
use letsema_protocol::sync::{
    ChangeEncoding, DocChanges, DocId, PushResult, Request, Response, SyncRequest,
};
use letsema_sync::server::{Server, ServerConfig};
use letsema_sync::store::{Caller, Scope};
use letsema_xlsform::SourceFormat;
use sha2::{Digest, Sha256};

use crate::store::{
    Backend, PublishError, SyncStoreError, judge_answers, questions_outside_repeats,
};

/// The largest file imported.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;
/// The most rows imported at once.
pub const MAX_IMPORT_ROWS: usize = 100_000;
/// The device that writes imported submissions.
pub const IMPORT_DEVICE: &str = "letsema-import";
/// New submissions pushed to the sync server in one request.
const PUSH_BATCH: usize = 200;
/// The most row problems reported (a wrong column can make every row wrong).
const MAX_PROBLEMS: usize = 200;

/// What to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    pub form: String,
    /// The version rows are submissions of; none: the newest published.
    pub version: Option<String>,
    pub association: String,
    /// The column that identifies a row across imports; none: the whole row does.
    pub key: Option<String>,
    /// Columns matched to questions by hand (`None`: the column is left out).
    pub map: Vec<(String, Option<String>)>,
    /// Read, check and judge, but write nothing.
    pub dry_run: bool,
}

impl ImportRequest {
    /// `COLUMN=question` (or `COLUMN=` to leave the column out), as `--map` takes it.
    ///
    /// # Errors
    ///
    /// A text without `=`.
    pub fn parse_map(text: &str) -> Result<(String, Option<String>), String> {
        let (column, question) = text.split_once('=').ok_or_else(|| {
            format!("--map {text:?}: write COLUMN=question, or COLUMN= to leave the column out")
        })?;
        let question = question.trim();
        Ok((
            column.trim().to_owned(),
            (!question.is_empty()).then(|| question.to_owned()),
        ))
    }
}

/// A cell that cannot be read, where the person sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("row {row}, column {column}: {reason}")]
pub struct RowProblem {
    /// The row number the spreadsheet shows.
    pub row: usize,
    /// The column's header.
    pub column: String,
    pub reason: String,
}

/// Why nothing was imported, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0} is not a .xlsx, .xls or .csv file: save the register as one")]
    Format(String),
    #[error(
        "the file is larger than {} MB: split it, or save it as .csv",
        MAX_IMPORT_BYTES / 1_000_000
    )]
    TooLarge,
    #[error("the file cannot be read: {0}")]
    Unreadable(String),
    #[error("the file has no rows under a header row: put the columns' names in the first row")]
    Empty,
    #[error("the file has {0} rows, more than the {MAX_IMPORT_ROWS} an import takes: split it")]
    TooManyRows(usize),
    #[error("no form {0:?} is published on this server: check the form id (letsema form list)")]
    UnknownForm(String),
    #[error("form {form:?} has no published version {version:?} (letsema form list)")]
    UnknownVersion { form: String, version: String },
    #[error("{0}")]
    Association(String),
    #[error(
        "these columns match no question of the form: {}. Match each with --map \
         'COLUMN=question', or leave it out with --map 'COLUMN='",
        .0.join(", ")
    )]
    UnmatchedColumns(Vec<String>),
    #[error("{0}")]
    Column(String),
    #[error("the key column {0:?} is not in the file's first row")]
    NoKeyColumn(String),
    #[error(
        "{} row(s) cannot be read, so nothing was imported:\n{}",
        .0.len(),
        .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n")
    )]
    Rows(Vec<RowProblem>),
    #[error(transparent)]
    Forms(#[from] PublishError),
    #[error(transparent)]
    Store(#[from] SyncStoreError),
    #[error(
        "row {row} could not be written: {message}. The rows before it were; run the import again to write the rest"
    )]
    Refused { row: usize, message: String },
}

/// What an import did, or (with a dry run) would do: the wire's type.
pub use letsema_protocol::staff::ImportReport;

/// A row's new submission, as its changes, ready to push.
struct BuiltRow {
    number: usize,
    changes: DocChanges,
}

/// A row read: its number, its key and its answers.
struct ReadRow {
    number: usize,
    id: SubmissionId,
    answers: Answers,
}

/// Imports the register `bytes` (named `file_name`) as `request` asks; `progress` is told
/// the rows written so far and the rows to write.
///
/// # Errors
///
/// A file, column or row that cannot be read (nothing is written then), or a database
/// failure partway (what was written stays; run it again).
pub fn import_register(
    store: &dyn Backend,
    request: &ImportRequest,
    file_name: &str,
    bytes: &[u8],
    now: Timestamp,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, ImportError> {
    let format = SourceFormat::from_file_name(file_name)
        .filter(|f| {
            matches!(
                f,
                SourceFormat::Xlsx | SourceFormat::Xls | SourceFormat::Csv
            )
        })
        .ok_or_else(|| ImportError::Format(file_name.to_owned()))?;
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge);
    }
    let association = AssociationId::parse(&request.association)
        .map_err(|e| ImportError::Association(e.to_string()))?;
    let (version, form) = form_version(store, request)?;
    let workbook = letsema_xlsform::read_table(bytes, format).map_err(ImportError::Unreadable)?;
    let sheet = workbook
        .sheets
        .into_iter()
        .find(|sheet| !sheet.rows.is_empty())
        .ok_or(ImportError::Empty)?;
    let mut rows = sheet.rows.into_iter();
    let header = rows.next().ok_or(ImportError::Empty)?;
    let data: Vec<_> = rows.collect();
    if data.is_empty() {
        return Err(ImportError::Empty);
    }
    if data.len() > MAX_IMPORT_ROWS {
        return Err(ImportError::TooManyRows(data.len()));
    }
    let plan = Plan::new(&form, &header.cells, request)?;

    // Every row read first: a problem anywhere writes nothing.
    let mut problems = Vec::new();
    let mut read = Vec::with_capacity(data.len());
    let mut keys: HashMap<String, usize> = HashMap::new();
    for row in &data {
        let (answers, row_problems) = plan.answers(&form, row.number, &row.cells);
        problems.extend(row_problems);
        let key = plan.key(&row.cells);
        if key.is_empty() {
            problems.push(RowProblem {
                row: row.number,
                column: request.key.clone().unwrap_or_default(),
                reason: "the key is empty: every row needs one".to_owned(),
            });
        } else if let Some(first) = keys.insert(key.clone(), row.number) {
            problems.push(RowProblem {
                row: row.number,
                column: request
                    .key
                    .clone()
                    .unwrap_or_else(|| "(the whole row)".to_owned()),
                reason: format!("the same key as row {first}: each row is one person"),
            });
        }
        if problems.len() >= MAX_PROBLEMS {
            break;
        }
        read.push(ReadRow {
            number: row.number,
            id: row_id(&request.form, &request.association, &key),
            answers,
        });
    }
    if !problems.is_empty() {
        problems.truncate(MAX_PROBLEMS);
        return Err(ImportError::Rows(problems));
    }

    let caller = Caller {
        device: import_device()?,
        scope: Scope::Associations(BTreeSet::from([association.clone()])),
        association: Some(association.clone()),
    };
    let mut session = store.sync_store()?;
    let (stored, _) = session.heads_index(&caller.scope)?;
    let (fresh, before): (Vec<ReadRow>, Vec<ReadRow>) = read
        .into_iter()
        .partition(|row| !stored.contains_key(&DocId::from(&row.id)));
    let compiled = CompiledForm::new(&form).ok().map(Arc::new);
    let created_ms = now.0;
    let with_issues = fresh
        .iter()
        .filter(|row| {
            compiled
                .as_ref()
                .is_some_and(|c| !judge_answers(c.clone(), &row.answers, created_ms).complete)
        })
        .count();
    let mut report = ImportReport {
        rows: fresh.len() + before.len(),
        new: fresh.len(),
        already: before.len(),
        with_issues,
        computed: plan.computed.clone(),
        dry_run: request.dry_run,
    };
    if request.dry_run {
        return Ok(report);
    }

    let writer = Writer::new(
        caller.device.clone(),
        SessionId::from_bytes(&random_session())
            .map_err(|e| ImportError::Unreadable(e.to_string()))?,
        None,
    );
    let form_id = FormId::parse(&request.form).map_err(|e| ImportError::Column(e.to_string()))?;
    let form_version =
        FormVersion::parse(&version).map_err(|e| ImportError::Column(e.to_string()))?;
    // One submission's changes, made from its row.
    let build = |row: &ReadRow| -> Result<BuiltRow, ImportError> {
        let new = NewSubmission {
            submission_id: row.id.clone(),
            form_id: form_id.clone(),
            form_version: form_version.clone(),
            association: Some(association.clone()),
        };
        let refused = |e: letsema_doc::DocError| ImportError::Refused {
            row: row.number,
            message: e.to_string(),
        };
        let mut doc = SubmissionDoc::create(new, writer.clone(), now).map_err(refused)?;
        doc.set_answers(&row.answers, now).map_err(refused)?;
        Ok(BuiltRow {
            number: row.number,
            changes: DocChanges {
                doc: DocId::from(&row.id),
                encoding: ChangeEncoding::Chunks,
                changes: doc.changes_after(&[]),
            },
        })
    };
    let mut server = Server::new(ServerConfig::default());
    let mut written = 0;
    progress(0, fresh.len());
    // Two steps a batch, on two threads: one makes the next batch's documents while the
    // sync server checks and commits this one (each about half of an import's time).
    std::thread::scope(|scope| {
        let (sender, batches) = std::sync::mpsc::sync_channel(1);
        scope.spawn(move || {
            for batch in fresh.chunks(PUSH_BATCH) {
                let built: Result<Vec<BuiltRow>, ImportError> = batch.iter().map(build).collect();
                let failed = built.is_err();
                // A closed channel: the writer stopped at an error.
                if sender.send(built).is_err() || failed {
                    break;
                }
            }
        });
        for built in batches {
            let built = built?;
            let first = built.first().map_or(0, |row| row.number);
            let rows_of: HashMap<DocId, usize> = built
                .iter()
                .map(|row| (row.changes.doc, row.number))
                .collect();
            let count = built.len();
            let request = Request::Sync(SyncRequest {
                request_id: 1,
                push: built.into_iter().map(|row| row.changes).collect(),
                pull: None,
            });
            let Response::Sync(response) = server.respond(&caller, request, &mut session) else {
                return Err(ImportError::Refused {
                    row: first,
                    message: "the sync server gave an unexpected answer".to_owned(),
                });
            };
            for result in response.push {
                if let PushResult::Rejected { doc, message, .. } = result {
                    return Err(ImportError::Refused {
                        row: rows_of.get(&doc).copied().unwrap_or(0),
                        message,
                    });
                }
            }
            written += count;
            progress(written, report.new);
        }
        Ok(())
    })?;
    report.new = written;
    Ok(report)
}

/// The version rows become submissions of, and its definition.
fn form_version(
    store: &dyn Backend,
    request: &ImportRequest,
) -> Result<(String, Arc<Form>), ImportError> {
    // Newest first.
    let versions: Vec<String> = store
        .published_forms()?
        .into_iter()
        .filter(|summary| summary.form_id == request.form)
        .map(|summary| summary.version)
        .collect();
    if versions.is_empty() {
        return Err(ImportError::UnknownForm(request.form.clone()));
    }
    let version = match &request.version {
        Some(version) if versions.contains(version) => version.clone(),
        Some(version) => {
            return Err(ImportError::UnknownVersion {
                form: request.form.clone(),
                version: version.clone(),
            });
        }
        None => versions
            .first()
            .cloned()
            .ok_or_else(|| ImportError::UnknownForm(request.form.clone()))?,
    };
    let form = store
        .form_definition(&request.form, &version)?
        .ok_or_else(|| ImportError::UnknownForm(request.form.clone()))?;
    Ok((version, form))
}

/// A row's submission id: the same for the same form, association and key, whatever the
/// server or the day.
fn row_id(form: &str, association: &str, key: &str) -> SubmissionId {
    let digest = Sha256::new()
        .chain_update(b"letsema-import\0")
        .chain_update(form.as_bytes())
        .chain_update(b"\0")
        .chain_update(association.as_bytes())
        .chain_update(b"\0")
        .chain_update(key.as_bytes())
        .finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    SubmissionId::from_random_bytes(bytes)
}

fn import_device() -> Result<DeviceId, ImportError> {
    DeviceId::parse(IMPORT_DEVICE).map_err(|e| ImportError::Unreadable(e.to_string()))
}

/// A session for this import's changes: random, so that two imports never share an actor.
fn random_session() -> [u8; 16] {
    let mut session = [0u8; 16];
    // Without the system's randomness, the time: still distinct per import.
    if getrandom::fill(&mut session).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        session.copy_from_slice(&nanos.to_le_bytes());
    }
    session
}

/// Which column is which question, and which is the key.
struct Plan<'f> {
    /// (column index, header, question).
    columns: Vec<(usize, String, &'f Question)>,
    /// The key column's index; none: the whole row.
    key: Option<usize>,
    /// Columns of questions the form computes or a device records, left out.
    computed: Vec<String>,
}

impl<'f> Plan<'f> {
    fn new(
        form: &'f Form,
        header: &[String],
        request: &ImportRequest,
    ) -> Result<Plan<'f>, ImportError> {
        let importable: HashMap<&str, &Question> = questions_outside_repeats(form)
            .into_iter()
            .map(|q| (q.name.as_str(), q))
            .collect();
        let mut columns = Vec::new();
        let mut unmatched = Vec::new();
        let mut taken: HashMap<&str, &str> = HashMap::new();
        let mut computed = Vec::new();
        for (index, name) in header.iter().enumerate() {
            let name = name.trim();
            let mapped = request.map.iter().find(|(column, _)| column == name);
            let question_name = match mapped {
                Some((_, None)) => continue,
                Some((_, Some(question))) => Some(question.as_str()),
                // An export's own columns, and its split select_multiple columns (`languages/en`,
                // which repeat `languages`), so that an export can be imported elsewhere.
                None if name.is_empty()
                    || letsema_export::META_COLUMNS.contains(&name)
                    || is_split_column(name, &importable) =>
                {
                    continue;
                }
                None if request.key.as_deref() == Some(name) => None,
                None => Some(named_question(name, &importable).map_or(name, |q| q.name.as_str())),
            };
            let Some(question_name) = question_name else {
                continue;
            };
            let Some(question) = importable.get(question_name).copied() else {
                if mapped.is_some() || form.find_question(question_name).is_some() {
                    return Err(ImportError::Column(format!(
                        "column {name:?}: the form has no question {question_name:?} outside \
                         its repeats (repeats cannot be imported)"
                    )));
                }
                unmatched.push(name.to_owned());
                continue;
            };
            if matches!(
                question.kind,
                QuestionType::Note | QuestionType::Calculate | QuestionType::Metadata(_)
            ) {
                // Computed by the form or recorded by a device (an export has them): not
                // answers to import.
                computed.push(name.to_owned());
                continue;
            }
            if let Some(first) = taken.insert(question.name.as_str(), name) {
                return Err(ImportError::Column(format!(
                    "columns {first:?} and {name:?} both answer {question_name}: leave one \
                     out with --map 'COLUMN='"
                )));
            }
            columns.push((index, name.to_owned(), question));
        }
        if !unmatched.is_empty() {
            return Err(ImportError::UnmatchedColumns(unmatched));
        }
        let key = match &request.key {
            Some(key) => Some(
                header
                    .iter()
                    .position(|name| name.trim() == key)
                    .ok_or_else(|| ImportError::NoKeyColumn(key.clone()))?,
            ),
            None => None,
        };
        Ok(Plan {
            columns,
            key,
            computed,
        })
    }

    /// A row's key: its key column's cell, or every cell.
    fn key(&self, cells: &[String]) -> String {
        match self.key {
            Some(index) => cells.get(index).map_or("", |c| c.trim()).to_owned(),
            None => cells.join("\u{1f}"),
        }
    }

    /// A row's answers, and what cannot be read in it.
    fn answers(&self, form: &Form, row: usize, cells: &[String]) -> (Answers, Vec<RowProblem>) {
        let mut answers = Answers::new();
        let mut problems = Vec::new();
        for (index, header, question) in &self.columns {
            let text = cells.get(*index).map_or("", |c| c.trim());
            if text.is_empty() {
                continue;
            }
            match cell_answer(form, question, text) {
                Ok(answer) => answers.insert(question.name.as_str(), answer),
                Err(reason) => problems.push(RowProblem {
                    row,
                    column: header.clone(),
                    reason,
                }),
            }
        }
        (answers, problems)
    }
}

/// Whether `name` is an export's 0/1 column of one choice of a select_multiple
/// (`HEADER/choice`, the header possibly with its groups' names).
fn is_split_column(name: &str, importable: &HashMap<&str, &Question>) -> bool {
    name.rsplit_once('/').is_some_and(|(header, _)| {
        named_question(header, importable)
            .is_some_and(|q| matches!(q.kind, QuestionType::SelectMultiple { .. }))
    })
}

/// The question a header names: the header itself, or what follows any of its groups'
/// names (`registration-first_name`, as an export heads it with group names).
fn named_question<'q>(
    header: &str,
    importable: &HashMap<&str, &'q Question>,
) -> Option<&'q Question> {
    std::iter::once(header)
        .chain(header.match_indices('-').map(|(at, _)| &header[at + 1..]))
        .find_map(|candidate| importable.get(candidate).copied())
}

/// A cell's text as the answer `question` takes, or why it cannot be one.
fn cell_answer(form: &Form, question: &Question, text: &str) -> Result<Answer, String> {
    match &question.kind {
        QuestionType::Integer => {
            // A spreadsheet's whole number may come as `34.0`.
            let whole = text.strip_suffix(".0").unwrap_or(text);
            whole
                .parse::<i64>()
                .map(|n| Answer::value(n.to_string()))
                .map_err(|_| format!("{text:?} is not a whole number"))
        }
        QuestionType::Decimal | QuestionType::Range(_) => match text.parse::<f64>() {
            Ok(number) if number.is_finite() => Ok(Answer::value(text)),
            _ => Err(format!(
                "{text:?} is not a number (write it as 1.5, with a point)"
            )),
        },
        QuestionType::Date => {
            // A spreadsheet's date cell reads `2012-12-12 00:00:00`.
            let day = text.split_once(' ').map_or(text, |(day, _)| day);
            chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map(|date| Answer::value(date.format("%Y-%m-%d").to_string()))
                .map_err(|_| format!("{text:?} is not a date: write it as YYYY-MM-DD"))
        }
        QuestionType::DateTime => chrono::DateTime::parse_from_rfc3339(text)
            .map(|moment| moment.to_rfc3339_opts(chrono::SecondsFormat::Millis, false))
            .or_else(|_| {
                chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                    .map(|moment| moment.format("%Y-%m-%dT%H:%M:%S%.3f").to_string())
            })
            .map(Answer::value)
            .map_err(|_| {
                format!("{text:?} is not a date and time: write it as YYYY-MM-DD HH:MM:SS")
            }),
        QuestionType::SelectOne { list, .. } => {
            let choices = form.choice_list(list);
            choice(choices, text)
                .map(Answer::value)
                .map_err(|e| e.to_string())
        }
        QuestionType::SelectMultiple { list, .. } => {
            let choices = form.choice_list(list);
            let parts: Vec<&str> = if text.contains(';') {
                text.split(';')
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                    .collect()
            } else if choice(choices, text).is_ok() {
                vec![text]
            } else {
                text.split_whitespace().collect()
            };
            parts
                .into_iter()
                .map(|part| choice(choices, part))
                .collect::<Result<Vec<_>, _>>()
                .map(Answer::Multiple)
        }
        _ => Ok(Answer::value(text)),
    }
}

/// A choice of `list` by its name, or by its label in any language (case ignored).
fn choice(list: Option<&ChoiceList>, text: &str) -> Result<String, String> {
    let Some(list) = list else {
        return Ok(text.to_owned());
    };
    let by_label = |choice: &&letsema_form::model::Choice| {
        choice
            .label
            .values()
            .any(|label| label.trim().eq_ignore_ascii_case(text))
    };
    list.choices
        .iter()
        .find(|c| c.value.as_str() == text)
        .or_else(|| list.choices.iter().find(by_label))
        .map(|c| c.value.as_str().to_owned())
        .ok_or_else(|| {
            let names: Vec<&str> = list
                .choices
                .iter()
                .take(12)
                .map(|c| c.value.as_str())
                .collect();
            format!(
                "{text:?} is not a choice of {}: use one of {}{}, or its label",
                list.name.as_str(),
                names.join(", "),
                if list.choices.len() > names.len() {
                    ", ..."
                } else {
                    ""
                }
            )
        })
}
