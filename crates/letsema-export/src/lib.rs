//! Exports of a form's submissions, across all its published versions, in the shape ODK
//! Central's exports have, so that planners can open them in Excel, R, Stata or Power BI:
//!
//! - [`Format::Csv`]: a ZIP of CSV files, `<form_id>.csv` for the submissions and
//!   `<form_id>-<repeat>.csv` for each repeat (nested repeats too, every table present even
//!   when empty). UTF-8 without a byte-order mark, a header row, RFC 4180 quoting and CRLF
//!   line ends; values as stored (numbers and dates in ODK's text).
//! - [`Format::Xlsx`]: a workbook with one worksheet per table (the first named after the
//!   form id, the others after their repeats, made valid and unique), the header row bold
//!   and frozen, and typed cells: integer, decimal and range answers as numbers, `date`
//!   answers as dates (`yyyy-mm-dd`), `dateTime` answers and `SubmissionDate` as date-times
//!   (`yyyy-mm-dd hh:mm:ss`), `Complete` as a boolean, split columns as 0/1 numbers. A
//!   `dateTime` keeps the wall-clock time its ODK text shows (`…T09:30:00.000+02:00` is 09:30):
//!   the offset is dropped, not converted to UTC, since Excel has no time zones.
//!   `SubmissionDate` is in UTC. A value that does not parse is written as text, never lost.
//!   Excel's limits (1,048,576 rows a sheet, 32,767 characters a cell, 16,384 columns) are
//!   [`ExportError`]s, never silent truncations.
//! - [`Format::JsonLines`]: one JSON object per submission per line, no other tables:
//!   `SubmissionDate`, `KEY`, `FormVersion`, `Association`, `DeviceID`, `InstanceName`
//!   (always present, `null` when the submission has none), `ReviewState` and `Comments`
//!   (`[{"author", "at", "text"}]`) with `review`, `Complete` and `Issues` (an array) with
//!   `judgement`, then `answers`: an object keyed by the same headers as the columns, repeats
//!   as arrays of such objects, select_multiples as arrays (of values or labels), integer,
//!   decimal and range answers as JSON numbers where they parse, everything else as strings.
//!   **Unanswered questions and repeats without instances are left out** of `answers`
//!   (never `null`). `split_select_multiple` does not apply.
//!
//! # Columns
//!
//! The submissions' table: `SubmissionDate`, a column per question (notes left out, as
//! ODK Central does), `KEY`, `FormVersion`, `Association`, `DeviceID`, `InstanceName`, then
//! with [`ExportOptions::review`] `ReviewState` and `Comments`, and with
//! [`ExportOptions::judgement`] `Complete` and `Issues`. A repeat's table: its questions
//! (a nested repeat's are in the nested repeat's table), `PARENT_KEY` and `KEY`.
//!
//! A question's header is its name, preceded with [`ExportOptions::group_names`] by the
//! names of the groups around it *inside its table*, joined by `-` (`personal-name`); the
//! repeat itself and the groups outside it are not repeated in its table's headers, whose
//! table is already named after it.
//!
//! KEYs are ODK Central's: a submission's is its id; the first instance of the repeat
//! `household` is `<id>/household[1]`, the second instance of a repeat `member` inside it
//! `<id>/household[1]/member[2]`, whose `PARENT_KEY` is `<id>/household[1]`. The paths name
//! repeats only, never groups, whatever the options.
//!
//! Several versions of a form make one [`Schema`]: the newest version's columns in its
//! order, with those only older versions have inserted where they stood (see
//! [`Schema::new`]). A submission of an older version leaves the newer questions empty.
//!
//! # Memory
//!
//! An [`Exporter`] takes submissions one at a time. CSV tables and XLSX worksheets grow in
//! temporary files (the `tempfile` crate's, in the system's temporary directory) and JSON
//! lines go straight to the output, so memory does not grow with the number of submissions.
//!
//! ```
//! use std::io::Cursor;
//!
//! use letsema_answers::Answers;
//! use letsema_export::{ExportOptions, Exporter, Format, Schema, Submission};
//! use letsema_form::model::{Form, FormId, Item, Question, QuestionType, Text};
//!
//! let mut form = Form::new(FormId::new("census"), "Census");
//! form.items.push(Item::Question(Question::new("age", QuestionType::Integer, Text::plain("Age"))));
//! let schema = Schema::new(&[&form])?;
//!
//! let answers = Answers::new().with("age", "34");
//! let submission = Submission {
//!     id: "uuid:1",
//!     form_version: "1",
//!     created_at: 1_772_357_400_000,
//!     association: None,
//!     device: "phone-7",
//!     instance_name: None,
//!     review_status: "received",
//!     comments: &[],
//!     complete: true,
//!     issues: &[],
//!     answers: &answers,
//! };
//! let options = ExportOptions { review: false, judgement: false, ..ExportOptions::default() };
//! let mut exporter = Exporter::new(Format::JsonLines, &schema, options, Cursor::new(Vec::new()))?;
//! exporter.push(&submission)?;
//! let bytes = exporter.finish()?.into_inner();
//! assert_eq!(
//!     String::from_utf8(bytes)?,
//!     "{\"SubmissionDate\":\"2026-03-01T09:30:00.000Z\",\"KEY\":\"uuid:1\",\"FormVersion\":\"1\",\
//!      \"Association\":null,\"DeviceID\":\"phone-7\",\"InstanceName\":null,\
//!      \"answers\":{\"age\":34}}\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod csv_zip;
mod jsonl;
pub mod odata;
mod rows;
mod schema;
mod xlsx;

use std::fmt;
use std::io::{Seek, Write};
use std::str::FromStr;

use letsema_answers::Answers;

pub use schema::{Schema, TableInfo};

use csv_zip::CsvSink;
use jsonl::JsonSink;
use xlsx::XlsxSink;

/// Every column an export adds besides the questions' (in any table, whatever the options):
/// what an import of an export leaves out.
pub const META_COLUMNS: [&str; 11] = [
    "SubmissionDate",
    "KEY",
    "PARENT_KEY",
    "FormVersion",
    "Association",
    "DeviceID",
    "InstanceName",
    "ReviewState",
    "Comments",
    "Complete",
    "Issues",
];

/// What an export holds and how its columns are named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportOptions {
    /// Column headers with their groups' names, joined by `-` as ODK Central does
    /// (`personal-name`); false: the question's name alone (`name`).
    pub group_names: bool,
    /// A select_multiple as its own column (values separated by spaces) followed by one
    /// 0/1 column per choice, headed `<header>/<choice value>` (ODK Central's "split select
    /// multiples"): 1 if selected, 0 if the question is answered without it, empty if it is
    /// unanswered. False: only the one column. CSV and XLSX only: JSON lines always write a
    /// select_multiple as an array.
    pub split_select_multiple: bool,
    /// Choice labels in this language (a name or code, as `Text::get` takes it) instead of
    /// choice values; `None`: values, as stored. A label missing in that language falls back
    /// as `Text::get` does (the form's default language, the untranslated label, the first
    /// translation); a value not in the list, or a choice without a label, is written as it
    /// is. Several labels of a select_multiple are joined by `"; "` (labels contain spaces);
    /// values by a single space, as ODK stores them.
    pub choice_labels: Option<String>,
    /// Include the review status and the reviewers' comments.
    pub review: bool,
    /// Include the server's judgement: complete (true/false) and the issues it found.
    pub judgement: bool,
}

impl Default for ExportOptions {
    /// Group names in headers, select_multiples unsplit, choice values, review and
    /// judgement included.
    fn default() -> Self {
        ExportOptions {
            group_names: true,
            split_select_multiple: false,
            choice_labels: None,
            review: true,
            judgement: true,
        }
    }
}

/// One submission as the server's projection holds it.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    /// The submission's id (a UUID-like text): its `KEY`.
    pub id: &'a str,
    /// The version of the form it was filled in.
    pub form_version: &'a str,
    /// When it was made (by its device's clock), in milliseconds since the Unix epoch
    /// (UTC): its `SubmissionDate`.
    pub created_at: i64,
    /// The association it was collected for, if any.
    pub association: Option<&'a str>,
    /// The device that sent it.
    pub device: &'a str,
    /// Its name from the form's `instance_name`, if any.
    pub instance_name: Option<&'a str>,
    /// `received`, `has_issues`, `approved` or `rejected`.
    pub review_status: &'a str,
    /// The reviewers' comments, oldest first.
    pub comments: &'a [Comment],
    /// Whether the server judged it complete.
    pub complete: bool,
    /// What the server found wrong with it.
    pub issues: &'a [String],
    /// Its answers.
    pub answers: &'a Answers,
}

/// A reviewer's comment on a submission; its JSON (`{"author", "at", "text"}`) is the one
/// the server's projection keeps.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Comment {
    /// Who wrote it.
    pub author: String,
    /// When, in milliseconds since the Unix epoch (UTC).
    pub at: i64,
    /// What it says.
    pub text: String,
}

/// The file format of an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A ZIP of CSV files, one per table.
    Csv,
    /// An Excel workbook, one worksheet per table.
    Xlsx,
    /// JSON lines, one object per submission.
    JsonLines,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 3] = [Format::Csv, Format::Xlsx, Format::JsonLines];

    /// The format's name, as [`Format::from_str`] reads it: `csv`, `xlsx`, `jsonl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
            Format::JsonLines => "jsonl",
        }
    }

    /// The extension of an export's file name, without the dot: `csv.zip` (ODK Central's
    /// for its ZIP of CSV files), `xlsx`, `jsonl`.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv.zip",
            Format::Xlsx => "xlsx",
            Format::JsonLines => "jsonl",
        }
    }

    /// The MIME type of an export: `application/zip` for CSV (a ZIP), the Office Open XML
    /// spreadsheet type for XLSX, `application/x-ndjson` for JSON lines (which has no
    /// registered type; that is the one most tools know).
    pub fn mime_type(self) -> &'static str {
        match self {
            Format::Csv => "application/zip",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::JsonLines => "application/x-ndjson",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = ExportError;

    /// `csv`, `xlsx` or `jsonl`, ignoring case.
    fn from_str(text: &str) -> Result<Format, ExportError> {
        Format::ALL
            .into_iter()
            .find(|format| format.as_str().eq_ignore_ascii_case(text.trim()))
            .ok_or_else(|| ExportError::UnknownFormat(text.to_owned()))
    }
}

/// Why an export could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// [`Schema::new`] was given no version.
    #[error("an export needs at least one published version of the form; publish the form first")]
    NoVersions,
    /// [`Schema::new`] was given versions of different forms.
    #[error(
        "the versions given are of different forms (`{first}` and `{other}`): an export is of one \
         form, so give only that form's versions"
    )]
    DifferentForms {
        /// The newest version's form id.
        first: String,
        /// Another form id among the versions.
        other: String,
    },
    /// A format name [`Format::from_str`] does not know.
    #[error("`{0}` is not an export format: use csv, xlsx or jsonl")]
    UnknownFormat(String),
    /// More rows than an Excel worksheet holds.
    #[error(
        "the worksheet `{sheet}` would need more than the {rows} rows of data an Excel \
         worksheet holds: export as CSV or JSON lines, which have no such limit, or narrow the \
         filter to fewer submissions"
    )]
    TooManyRows {
        /// The worksheet.
        sheet: String,
        /// The rows of data it holds (the header's apart).
        rows: u64,
    },
    /// More columns than an Excel worksheet holds.
    #[error(
        "the worksheet `{sheet}` would need {columns} columns, more than the 16,384 an Excel \
         worksheet holds: export as CSV or JSON lines, or without split select_multiples"
    )]
    TooManyColumns {
        /// The worksheet.
        sheet: String,
        /// The columns it would need.
        columns: usize,
    },
    /// A value longer than an Excel cell holds.
    #[error(
        "the value of `{column}` in the worksheet `{sheet}`, row {key}, has {length} characters, \
         more than the 32,767 an Excel cell holds: export as CSV or JSON lines, which keep it \
         whole, or narrow the filter to leave that submission out"
    )]
    CellTooLong {
        /// The worksheet.
        sheet: String,
        /// The column's header.
        column: String,
        /// The row's KEY.
        key: String,
        /// The value's length in UTF-16 code units, as Excel counts characters.
        length: usize,
    },
    /// Writing to the output or to a temporary file failed.
    #[error("writing the export failed: {0}")]
    Io(#[from] std::io::Error),
    /// The workbook could not be written.
    #[error("writing the workbook failed: {0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

/// Writes an export: [`Exporter::push`] each submission in turn, then
/// [`Exporter::finish`].
///
/// After an error the export is incomplete and should be dropped; nothing has been
/// written to the output yet for CSV and XLSX, which write it in `finish`.
pub struct Exporter<W: Write + Seek> {
    format: Format,
    schema: Schema,
    options: ExportOptions,
    rows: u64,
    sink: Sink<W>,
}

enum Sink<W: Write + Seek> {
    Csv(CsvSink<W>),
    // Boxed: the workbook is large, and an exporter may sit in a future's state.
    Xlsx(Box<XlsxSink<W>>),
    JsonLines(JsonSink<W>),
}

impl<W: Write + Seek> Exporter<W> {
    /// An export in a format, of a schema's columns, to an output.
    ///
    /// CSV and XLSX write the output only in [`Exporter::finish`]; JSON lines as
    /// submissions are pushed (through a buffer).
    ///
    /// # Errors
    ///
    /// A temporary file cannot be made, or a worksheet would have too many columns.
    pub fn new(
        format: Format,
        schema: &Schema,
        options: ExportOptions,
        out: W,
    ) -> Result<Self, ExportError> {
        let tables = schema.tables(&options);
        let sink = match format {
            Format::Csv => {
                let form_id = schema.form_id();
                let files = tables
                    .into_iter()
                    .enumerate()
                    .map(|(index, table)| {
                        let file_name = if index == 0 {
                            format!("{form_id}.csv")
                        } else {
                            format!("{form_id}-{}.csv", table.name)
                        };
                        (file_name, table.headers)
                    })
                    .collect();
                Sink::Csv(CsvSink::new(out, files)?)
            }
            Format::Xlsx => Sink::Xlsx(Box::new(XlsxSink::new(
                out,
                tables
                    .into_iter()
                    .map(|table| (table.name, table.headers))
                    .collect(),
            )?)),
            Format::JsonLines => Sink::JsonLines(JsonSink::new(out)),
        };
        Ok(Exporter {
            format,
            schema: schema.clone(),
            options,
            rows: 0,
            sink,
        })
    }

    /// Adds a submission: its row, and its repeat instances' rows.
    ///
    /// Answers to names no version of the form has are left out.
    ///
    /// # Errors
    ///
    /// Writing fails; in XLSX, a worksheet is full or a value is longer than a cell holds.
    pub fn push(&mut self, submission: &Submission<'_>) -> Result<(), ExportError> {
        match &mut self.sink {
            Sink::Csv(sink) => {
                rows::write_submission(&self.schema, &self.options, submission, sink)?;
            }
            Sink::Xlsx(sink) => {
                rows::write_submission(&self.schema, &self.options, submission, &mut **sink)?;
            }
            Sink::JsonLines(sink) => sink.write(&self.schema, &self.options, submission)?,
        }
        self.rows += 1;
        Ok(())
    }

    /// How many submissions have been pushed.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The format being written.
    pub fn format(&self) -> Format {
        self.format
    }

    /// Writes what remains (the ZIP, the workbook, the buffered lines) and gives the output
    /// back (which must be `Send` for rust_xlsxwriter to write a workbook into it).
    ///
    /// # Errors
    ///
    /// Writing to the output or reading a temporary file back fails.
    pub fn finish(self) -> Result<W, ExportError>
    where
        W: Send,
    {
        match self.sink {
            Sink::Csv(sink) => sink.finish(),
            Sink::Xlsx(sink) => sink.finish(),
            Sink::JsonLines(sink) => sink.finish(),
        }
    }
}

impl<W: Write + Seek> fmt::Debug for Exporter<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Exporter")
            .field("format", &self.format)
            .field("form_id", &self.schema.form_id())
            .field("options", &self.options)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}
