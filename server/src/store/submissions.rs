//! The staff's table of submissions, the same for every backend: what a query may ask
//! ([`SubmissionQuery`], read from a URL's query and checked here), what a page holds
//! ([`SubmissionPage`]), the keyset cursor ([`Cursor`]), and how the validator prepares a
//! submission's text for search and its choices for filtering ([`search_text`],
//! [`choice_values`]), so that both backends find the same submissions.
//!
//! [`super::SubmissionStore`] is the trait; `sqlite/submissions.rs` and
//! `postgres/submissions.rs` turn a query into SQL over the `submissions` projection, its
//! indexes, its text index and `submission_choices`.

use std::fmt;

use letsema_form::model::{Form, Item, Question, QuestionType};
use letsema_form::runtime::{Answer, Answers};
pub use letsema_protocol::staff::{SubmissionPage, SubmissionRow};
use letsema_protocol::sync::DocId;
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use super::AssociationScope;

/// Rows in a page unless the query asks for another number.
pub const DEFAULT_PAGE_ROWS: usize = 50;
/// The most rows a page may have.
pub const MAX_PAGE_ROWS: usize = 200;
/// The most choice filters (`choice=FIELD:VALUE`) one query may combine.
pub const MAX_CHOICE_FILTERS: usize = 4;
/// The most words a text search may have.
pub const MAX_SEARCH_TERMS: usize = 8;
/// The most bytes of a submission's text kept for search.
pub const MAX_SEARCH_TEXT_BYTES: usize = 4096;
/// The most bytes of a query string the route reads.
pub const MAX_QUERY_BYTES: usize = 2048;
/// Digits a value needs to be searchable by its digits alone (a phone number).
const PHONE_DIGITS: usize = 6;

/// Whether the submissions merged into another as duplicates (`review/duplicate_of`) are
/// counted: not by default, so that a person registered twice is in tables, exports and
/// counts once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Duplicates {
    #[default]
    Exclude,
    Include,
    Only,
}

/// Which end of the table a page starts from: by the time the submission was created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    #[default]
    Newest,
    Oldest,
}

/// Where a page ends: the last row's creation time and id. The next page starts after it,
/// whatever was added or changed meanwhile (keyset pagination: no offset, no row skipped
/// or shown twice when submissions arrive while a reviewer pages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Milliseconds since the Unix epoch.
    pub created_at: i64,
    pub doc_id: DocId,
}

impl Cursor {
    /// `CREATED_AT.ID` (the id as 32 hexadecimal digits): opaque to clients.
    pub fn encode(&self) -> String {
        format!("{}.{}", self.created_at, doc_id_hex(&self.doc_id))
    }

    /// # Errors
    ///
    /// [`QueryError::Invalid`] for text [`Cursor::encode`] did not make.
    pub fn parse(text: &str) -> Result<Self, QueryError> {
        let bad = || QueryError::Invalid {
            parameter: "after",
            why: "not a cursor: pass the `next` value of the previous page as it is".to_owned(),
        };
        let (created, hex) = text.split_once('.').ok_or_else(bad)?;
        let created_at: i64 = created.parse().map_err(|_| bad())?;
        Ok(Cursor {
            created_at,
            doc_id: doc_id_from_hex(hex).ok_or_else(bad)?,
        })
    }
}

/// A document id as cursors write it: 32 lower-case hexadecimal digits.
pub(crate) fn doc_id_hex(id: &DocId) -> String {
    id.0.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads [`doc_id_hex`]'s text; none for anything else.
pub(crate) fn doc_id_from_hex(hex: &str) -> Option<DocId> {
    if hex.len() != 32 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut id = [0u8; 16];
    for (i, byte) in id.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(DocId(id))
}

/// One choice filter: submissions whose question `field` (a select question outside any
/// repeat) has `value` among its answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChoiceFilter {
    pub field: String,
    pub value: String,
}

/// A page of the submissions table, asked by a staff member: every filter is optional
/// and they combine with AND; the staff member's scope always applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionQuery {
    /// The associations the staff member sees (public links' scopes only with `All`).
    pub scope: AssociationScope,
    pub form: Option<String>,
    /// Only with `form`.
    pub version: Option<String>,
    pub association: Option<String>,
    /// `received`, `has_issues`, `approved` or `rejected`.
    pub status: Option<String>,
    /// Created at or after, milliseconds since the Unix epoch.
    pub created_from: Option<i64>,
    /// Created before, milliseconds since the Unix epoch.
    pub created_before: Option<i64>,
    /// `Some(true)`: nothing missing or invalid; `Some(false)`: with issues.
    pub complete: Option<bool>,
    /// `Some(true)`: with fields written concurrently, not yet resolved.
    pub conflicts: Option<bool>,
    pub choices: Vec<ChoiceFilter>,
    /// Folded words ([`fold`]) that every match has as a word or the start of one.
    pub terms: Vec<String>,
    /// One submission only (the OData feed's entity by its key); not a URL parameter.
    pub doc_id: Option<DocId>,
    /// Merged duplicates left out (the default), included, or alone.
    pub duplicates: Duplicates,
    pub order: Order,
    pub after: Option<Cursor>,
    pub limit: usize,
}

/// Why a query was refused: the parameter and what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error(
        "unknown parameter {0:?}: use form, version, association, status, from, to, \
         complete, conflicts, choice, q, duplicates, order, after or limit"
    )]
    Unknown(String),
    /// A parameter another query takes but not this one (the dashboard's), with those it
    /// takes.
    #[error("unknown parameter {name:?}: use {known}")]
    UnknownHere { name: String, known: &'static str },
    #[error("{parameter}: {why}")]
    Invalid {
        parameter: &'static str,
        why: String,
    },
    #[error("the query is longer than {MAX_QUERY_BYTES} bytes: filter with fewer or shorter terms")]
    TooLong,
}

impl SubmissionQuery {
    /// A query from a URL's decoded `name=value` pairs, within `scope`.
    ///
    /// # Errors
    ///
    /// The first parameter that is unknown, repeated when it may not be, or malformed.
    pub fn from_pairs(
        scope: AssociationScope,
        pairs: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, QueryError> {
        let mut query = SubmissionQuery {
            scope,
            form: None,
            version: None,
            association: None,
            status: None,
            created_from: None,
            created_before: None,
            complete: None,
            conflicts: None,
            choices: Vec::new(),
            terms: Vec::new(),
            doc_id: None,
            duplicates: Duplicates::Exclude,
            order: Order::Newest,
            after: None,
            limit: DEFAULT_PAGE_ROWS,
        };
        for (name, value) in pairs {
            let invalid = |parameter: &'static str, why: &str| QueryError::Invalid {
                parameter,
                why: why.to_owned(),
            };
            match name.as_str() {
                "form" => set_once(&mut query.form, "form", plain(&value, "form")?)?,
                "version" => set_once(&mut query.version, "version", plain(&value, "version")?)?,
                "association" => set_once(
                    &mut query.association,
                    "association",
                    plain(&value, "association")?,
                )?,
                "status" => {
                    if !["received", "has_issues", "approved", "rejected"].contains(&value.as_str())
                    {
                        return Err(invalid(
                            "status",
                            "one of received, has_issues, approved, rejected",
                        ));
                    }
                    set_once(&mut query.status, "status", value)?;
                }
                "from" => set_once(&mut query.created_from, "from", day_start("from", &value)?)?,
                "to" => {
                    // A whole day, inclusive: before the start of the next.
                    let end = day_start("to", &value)? + 86_400_000;
                    set_once(&mut query.created_before, "to", end)?;
                }
                "complete" => set_once(
                    &mut query.complete,
                    "complete",
                    boolean("complete", &value)?,
                )?,
                "conflicts" => set_once(
                    &mut query.conflicts,
                    "conflicts",
                    boolean("conflicts", &value)?,
                )?,
                "choice" => {
                    let (field, choice) = value
                        .split_once(':')
                        .filter(|(field, choice)| !field.is_empty() && !choice.is_empty())
                        .ok_or_else(|| {
                            invalid(
                                "choice",
                                "write it as QUESTION:VALUE, such as country_of_residence:za",
                            )
                        })?;
                    if query.choices.len() == MAX_CHOICE_FILTERS {
                        return Err(invalid("choice", "at most 4 at once"));
                    }
                    query.choices.push(ChoiceFilter {
                        field: plain(field, "choice")?,
                        value: plain(choice, "choice")?,
                    });
                }
                "q" => {
                    if !query.terms.is_empty() {
                        return Err(invalid("q", "give it once"));
                    }
                    query.terms = search_terms(&value);
                    if query.terms.len() > MAX_SEARCH_TERMS {
                        return Err(invalid("q", "at most 8 words"));
                    }
                    if query.terms.iter().any(|term| term.chars().count() < 2) {
                        return Err(invalid(
                            "q",
                            "words of two letters or digits at least (one matches too many)",
                        ));
                    }
                }
                "duplicates" => {
                    query.duplicates = match value.as_str() {
                        "exclude" => Duplicates::Exclude,
                        "include" => Duplicates::Include,
                        "only" => Duplicates::Only,
                        _ => return Err(invalid("duplicates", "exclude, include or only")),
                    }
                }
                "order" => {
                    query.order = match value.as_str() {
                        "newest" => Order::Newest,
                        "oldest" => Order::Oldest,
                        _ => return Err(invalid("order", "newest or oldest")),
                    }
                }
                "after" => set_once(&mut query.after, "after", Cursor::parse(&value)?)?,
                "limit" => {
                    query.limit = value
                        .parse()
                        .ok()
                        .filter(|n| (1..=MAX_PAGE_ROWS).contains(n))
                        .ok_or_else(|| invalid("limit", "a number from 1 to 200"))?;
                }
                _ => return Err(QueryError::Unknown(name)),
            }
        }
        if query.version.is_some() && query.form.is_none() {
            return Err(QueryError::Invalid {
                parameter: "version",
                why: "give the form too (form=ID&version=VERSION)".to_owned(),
            });
        }
        Ok(query)
    }

    /// Whether the query's association filter is outside the scope: nothing can match.
    pub fn matches_nothing(&self) -> bool {
        self.association
            .as_deref()
            .is_some_and(|code| !self.scope.includes(code))
    }

    /// The text query of [`Self::terms`] for SQLite's FTS5: every term as a prefix.
    pub fn fts5_match(&self) -> Option<String> {
        (!self.terms.is_empty()).then(|| {
            self.terms
                .iter()
                .map(|term| format!("\"{term}\"*"))
                .collect::<Vec<_>>()
                .join(" ")
        })
    }

    /// The text query of [`Self::terms`] for PostgreSQL's `to_tsquery('simple', ...)`.
    pub fn tsquery(&self) -> Option<String> {
        (!self.terms.is_empty()).then(|| {
            self.terms
                .iter()
                .map(|term| format!("{term}:*"))
                .collect::<Vec<_>>()
                .join(" & ")
        })
    }
}

fn set_once<T>(slot: &mut Option<T>, parameter: &'static str, value: T) -> Result<(), QueryError> {
    if slot.is_some() {
        return Err(QueryError::Invalid {
            parameter,
            why: "give it once".to_owned(),
        });
    }
    *slot = Some(value);
    Ok(())
}

/// An identifier-like value: 1 to 128 bytes, no control characters.
pub(super) fn plain(value: &str, parameter: &'static str) -> Result<String, QueryError> {
    if value.is_empty() || value.len() > 128 || value.chars().any(char::is_control) {
        return Err(QueryError::Invalid {
            parameter,
            why: "1 to 128 characters, none of them control characters".to_owned(),
        });
    }
    Ok(value.to_owned())
}

/// A `true` or `false` parameter.
///
/// # Errors
///
/// [`QueryError::Invalid`] for anything else.
pub fn boolean(parameter: &'static str, value: &str) -> Result<bool, QueryError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(QueryError::Invalid {
            parameter,
            why: "true or false".to_owned(),
        }),
    }
}

/// The start of a day (`YYYY-MM-DD`, UTC) in milliseconds since the Unix epoch.
fn day_start(parameter: &'static str, value: &str) -> Result<i64, QueryError> {
    chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .ok()
        .and_then(|day| day.and_hms_opt(0, 0, 0))
        .map(|start| start.and_utc().timestamp_millis())
        .ok_or_else(|| QueryError::Invalid {
            parameter,
            why: "a day as YYYY-MM-DD, such as 2026-12-03 (UTC)".to_owned(),
        })
}

/// The columns of a page's rows, in the order each backend's row mapping reads them.
const COLUMNS: &str = "s.doc_id, s.form_id, s.form_version, s.association, d.creator,
     s.created_at, s.review_status, s.instance_name, s.complete, s.issues, s.conflicts,
     s.withdrawn";

/// The columns of an export's rows: a page's, then the answers (JSON text) and the
/// comments; `{answers}` is the dialect's [`Dialect::answers_text`].
fn export_columns(dialect: &Dialect) -> String {
    format!("{COLUMNS}, {}, s.comments", dialect.answers_text)
}

/// The most rows of an export read in one query: a batch, not the whole export, so that
/// memory stays flat whatever the number of submissions.
pub const EXPORT_BATCH_ROWS: usize = 500;

/// One submission as an export reads it: its row in the table, its answers (the JSON of
/// [`letsema_form::runtime::Answers`]) and its comments (`[{"author", "at", "text"}]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportRow {
    pub row: SubmissionRow,
    pub answers: String,
    pub comments: String,
}

/// A batch of an export: its rows, and where the next batch starts (none: the last).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExportBatch {
    pub rows: Vec<ExportRow>,
    /// Where each row stands (the cursor a batch starting after it takes), in step with
    /// `rows`.
    pub cursors: Vec<Cursor>,
    pub next: Option<Cursor>,
}

impl ExportBatch {
    /// The batch from the rows a backend read: up to `limit + 1`, the extra one only saying
    /// that there is a next batch.
    pub fn from_rows(rows: Vec<(Cursor, ExportRow)>, limit: usize) -> Self {
        let (rows, next) = keep_page(rows, limit);
        let (cursors, rows) = rows.into_iter().unzip();
        ExportBatch {
            rows,
            cursors,
            next,
        }
    }
}

/// A parameter of a page's query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Param {
    Text(String),
    Integer(i64),
    Blob(Vec<u8>),
}

/// What differs between the backends' SQL for a page ([`page_sql`]).
pub(crate) struct Dialect {
    /// The n-th parameter, from 1.
    pub placeholder: fn(usize) -> String,
    /// The conditions "with issues" and "complete".
    pub complete: [&'static str; 2],
    /// A scope of several associations, given their placeholders.
    pub several_associations: fn(&str) -> String,
    /// The text search's parameter, from the query's words.
    pub text_query: fn(&SubmissionQuery) -> Option<String>,
    /// The text search's condition, given its parameter's placeholder.
    pub text_search: fn(&str) -> String,
    /// The answers column as JSON text.
    pub answers_text: &'static str,
}

/// The SQL of a page of `query` and its parameters, in order, for a backend's `dialect`:
/// one query for both backends, over the same tables and indexes. A choice filter drives
/// the page (its rows are in page order already); otherwise the backend's planner picks
/// among the projection's indexes. The boolean filters are literals, so that the partial
/// indexes apply; the cursor is a row comparison, `(created_at, doc_id) < (?, ?)`.
pub(crate) fn page_sql(query: &SubmissionQuery, dialect: &Dialect) -> (String, Vec<Param>) {
    select_sql(COLUMNS, query, dialect)
}

/// The SQL of a batch of an export: a page's ([`page_sql`]) with the answers and comments.
pub(crate) fn export_sql(query: &SubmissionQuery, dialect: &Dialect) -> (String, Vec<Param>) {
    select_sql(&export_columns(dialect), query, dialect)
}

fn select_sql(columns: &str, query: &SubmissionQuery, dialect: &Dialect) -> (String, Vec<Param>) {
    let mut selection = Selection::of(query, dialect);
    let (time, id) = (selection.time, selection.id);
    let (direction, compare) = match query.order {
        Order::Newest => ("DESC", "<"),
        Order::Oldest => ("ASC", ">"),
    };
    if let Some(Cursor { created_at, doc_id }) = query.after {
        let condition = format!(
            "({time}, {id}) {compare} ({}, {})",
            selection.push(Param::Integer(created_at)),
            selection.push(Param::Blob(doc_id.0.to_vec()))
        );
        selection.conditions.push(condition);
    }
    let limit = selection.push(Param::Integer(
        i64::try_from(query.limit + 1).unwrap_or(i64::MAX),
    ));
    let from = &selection.from;
    let filter = selection.where_clause();
    let sql = format!(
        "SELECT {columns} FROM {from} JOIN documents d ON d.doc_id = s.doc_id {filter} \
         ORDER BY {time} {direction}, {id} {direction} LIMIT {limit}"
    );
    (sql, selection.params)
}

/// The submissions a query's filters and scope select, as SQL for a backend's `dialect`: the
/// tables (`submissions s`, and `submission_choices c` before it when a choice filter drives
/// the query), the conditions and their parameters, in placeholder order. A page
/// ([`page_sql`]) adds its cursor, order and limit; the dashboard (`store/dashboard.rs`) its
/// counts. The query's cursor, order and limit are not read here.
pub(crate) struct Selection<'d> {
    dialect: &'d Dialect,
    /// `submissions s`, or `submission_choices c JOIN submissions s ON ...`.
    pub from: String,
    pub conditions: Vec<String>,
    pub params: Vec<Param>,
    /// The creation time and id of a row, as the driving table has them.
    pub time: &'static str,
    pub id: &'static str,
}

impl<'d> Selection<'d> {
    /// The tables, conditions and parameters of `query`'s filters and scope.
    pub fn of(query: &SubmissionQuery, dialect: &'d Dialect) -> Self {
        let mut selection = Selection {
            dialect,
            from: "submissions s".to_owned(),
            conditions: Vec::new(),
            params: Vec::new(),
            time: "s.created_at",
            id: "s.doc_id",
        };
        let mut choices = query.choices.iter();
        if let Some(first) = choices.next() {
            selection.from =
                "submission_choices c JOIN submissions s ON s.doc_id = c.doc_id".to_owned();
            let condition = format!(
                "c.field = {} AND c.value = {}",
                selection.push(Param::Text(first.field.clone())),
                selection.push(Param::Text(first.value.clone()))
            );
            selection.conditions.push(condition);
            selection.time = "c.created_at";
            selection.id = "c.doc_id";
        }
        // Every further choice is one probe of its key per row of the first: the row's time
        // and id complete it.
        for choice in choices {
            let condition = format!(
                "EXISTS (SELECT 1 FROM submission_choices c2 WHERE c2.field = {} \
                 AND c2.value = {} AND c2.created_at = c.created_at AND c2.doc_id = c.doc_id)",
                selection.push(Param::Text(choice.field.clone())),
                selection.push(Param::Text(choice.value.clone()))
            );
            selection.conditions.push(condition);
        }
        if let AssociationScope::Only(codes) = &query.scope {
            let list: Vec<String> = codes
                .iter()
                .map(|code| selection.push(Param::Text(code.clone())))
                .collect();
            let condition = if let [one] = list.as_slice() {
                format!("s.association = {one}")
            } else {
                (dialect.several_associations)(&list.join(", "))
            };
            selection.conditions.push(condition);
        }
        let time = selection.time;
        let mut equal = |column: &str, value: Option<&String>| {
            if let Some(value) = value {
                let condition =
                    format!("{column} = {}", selection.push(Param::Text(value.clone())));
                selection.conditions.push(condition);
            }
        };
        equal("s.association", query.association.as_ref());
        equal("s.form_id", query.form.as_ref());
        equal("s.form_version", query.version.as_ref());
        equal("s.review_status", query.status.as_ref());
        if let Some(from_ms) = query.created_from {
            let condition = format!("{time} >= {}", selection.push(Param::Integer(from_ms)));
            selection.conditions.push(condition);
        }
        if let Some(before_ms) = query.created_before {
            let condition = format!("{time} < {}", selection.push(Param::Integer(before_ms)));
            selection.conditions.push(condition);
        }
        match query.complete {
            Some(true) => selection.conditions.push(dialect.complete[1].to_owned()),
            Some(false) => selection.conditions.push(dialect.complete[0].to_owned()),
            None => {}
        }
        match query.conflicts {
            Some(true) => selection.conditions.push("s.conflicts > 0".to_owned()),
            Some(false) => selection.conditions.push("s.conflicts = 0".to_owned()),
            None => {}
        }
        match query.duplicates {
            Duplicates::Exclude => selection
                .conditions
                .push("s.duplicate_of IS NULL".to_owned()),
            Duplicates::Only => selection
                .conditions
                .push("s.duplicate_of IS NOT NULL".to_owned()),
            Duplicates::Include => {}
        }
        if let Some(doc_id) = query.doc_id {
            let condition = format!(
                "s.doc_id = {}",
                selection.push(Param::Blob(doc_id.0.to_vec()))
            );
            selection.conditions.push(condition);
        }
        if let Some(text) = (dialect.text_query)(query) {
            let condition = (dialect.text_search)(&selection.push(Param::Text(text)));
            selection.conditions.push(condition);
        }
        selection
    }

    /// Adds a parameter; gives its placeholder.
    pub fn push(&mut self, value: Param) -> String {
        self.params.push(value);
        (self.dialect.placeholder)(self.params.len())
    }

    /// `WHERE` and the conditions joined with `AND`; nothing when there are none.
    pub fn where_clause(&self) -> String {
        if self.conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.conditions.join(" AND "))
        }
    }
}

/// The page from the rows a backend read: up to `limit + 1`, the extra one only saying that
/// there is a next page.
pub fn page_from_rows(rows: Vec<(Cursor, SubmissionRow)>, limit: usize) -> SubmissionPage {
    let (rows, next) = keep_page(rows, limit);
    SubmissionPage {
        submissions: rows.into_iter().map(|(_, row)| row).collect(),
        next: next.map(|cursor| cursor.encode()),
    }
}

/// The first `limit` of the rows read (a page or a batch asks for one more, which only says
/// that there is a next), and the cursor after them when there is a next.
fn keep_page<T>(mut rows: Vec<(Cursor, T)>, limit: usize) -> (Vec<(Cursor, T)>, Option<Cursor>) {
    let more = rows.len() > limit;
    rows.truncate(limit);
    let next = if more {
        rows.last().map(|(cursor, _)| *cursor)
    } else {
        None
    };
    (rows, next)
}

/// Text as both backends index and search it: compatibility-decomposed, without
/// diacritics, lower case. "Mpho Mokoena-Thabane", "MPHO" and "Mphò" all search alike.
pub fn fold(text: &str) -> String {
    text.nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a search box, folded: runs of letters and digits, at most 64 bytes each.
pub fn search_terms(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| truncate(word, 64).to_owned())
        .collect()
}

/// What a submission is found by: its name and every text answer (repeats included),
/// folded, and each value with six digits or more once more as its digits alone and as
/// their ends, so that "+266 5800 1234" is found by 26658001234, 58001234 and 5800. At most
/// [`MAX_SEARCH_TEXT_BYTES`].
pub fn search_text(answers: &Answers, instance_name: Option<&str>) -> String {
    let mut text = String::new();
    let mut add = |value: &str| {
        if value.trim().is_empty() || text.len() >= MAX_SEARCH_TEXT_BYTES {
            return;
        }
        text.push_str(&fold(value));
        text.push(' ');
        let digits: String = value.chars().filter(char::is_ascii_digit).collect();
        if digits.len() >= PHONE_DIGITS && digits.len() < value.trim().len() {
            // The whole number, and its ends from PHONE_DIGITS digits on: a number is
            // typed with or without its country's code.
            for start in 0..=digits.len() - PHONE_DIGITS {
                text.push_str(&digits[start..]);
                text.push(' ');
            }
        }
    };
    if let Some(name) = instance_name {
        add(name);
    }
    fn walk(answers: &Answers, add: &mut dyn FnMut(&str)) {
        for (_, answer) in answers.iter() {
            match answer {
                Answer::Value(value) => add(value),
                Answer::Multiple(_) => {}
                Answer::Repeat(instances) => {
                    for instance in instances {
                        walk(instance, add);
                    }
                }
            }
        }
    }
    walk(answers, &mut add);
    truncate(text.trim_end(), MAX_SEARCH_TEXT_BYTES).to_owned()
}

/// The (question, value) pairs a submission can be filtered by: the answers of the form's
/// select questions outside repeats (each selected value of a `select_multiple`), such as
/// country of residence and profession.
pub fn choice_values(form: &Form, answers: &Answers) -> Vec<(String, String)> {
    let names = questions_outside_repeats(form)
        .into_iter()
        .filter(|question| {
            matches!(
                question.kind,
                QuestionType::SelectOne { .. } | QuestionType::SelectMultiple { .. }
            )
        })
        .map(|question| question.name.as_str());
    let mut pairs = Vec::new();
    for name in names {
        match answers.get(name) {
            Some(Answer::Value(value)) if !value.is_empty() && value.len() <= 128 => {
                pairs.push((name.to_owned(), value.clone()));
            }
            Some(Answer::Multiple(values)) => pairs.extend(
                values
                    .iter()
                    .filter(|value| !value.is_empty() && value.len() <= 128)
                    .map(|value| (name.to_owned(), value.clone())),
            ),
            _ => {}
        }
    }
    pairs.sort();
    pairs.dedup();
    pairs
}

/// The form's questions outside repeats, groups opened, in form order: those whose answer
/// is one per submission (what the table filters by, and what staff may correct).
pub fn questions_outside_repeats(form: &Form) -> Vec<&Question> {
    let mut questions = Vec::new();
    questions_in(&form.items, &mut questions);
    questions
}

/// The questions directly in `repeat` (a repeat outside repeats), through its groups, not
/// in repeats nested in it; none when the form has no such repeat.
pub fn questions_of_repeat<'a>(form: &'a Form, repeat: &str) -> Vec<&'a Question> {
    fn find<'a>(items: &'a [Item], repeat: &str) -> Option<&'a Item> {
        items.iter().find_map(|item| match item {
            Item::Repeat(_) if item.name().as_str() == repeat => Some(item),
            Item::Group(_) => find(item.children(), repeat),
            _ => None,
        })
    }
    let mut questions = Vec::new();
    if let Some(found) = find(&form.items, repeat) {
        questions_in(found.children(), &mut questions);
    }
    questions
}

/// The questions of `items`, groups opened, repeats left out, in form order.
fn questions_in<'a>(items: &'a [Item], out: &mut Vec<&'a Question>) {
    for item in items {
        match item {
            Item::Question(question) => out.push(question),
            Item::Group(_) => questions_in(item.children(), out),
            Item::Repeat(_) => {}
        }
    }
}

/// A submission's choices as both backends keep them in `submissions.choices` (from which
/// a trigger fills `submission_choices`): a JSON array of `[question, value]` pairs.
pub(crate) fn choices_json(choices: &[(String, String)]) -> String {
    serde_json::to_string(choices).unwrap_or_else(|_| "[]".to_owned())
}

fn truncate(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

impl fmt::Display for Order {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Order::Newest => "newest",
            Order::Oldest => "oldest",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(query.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    fn query(text: &str) -> Result<SubmissionQuery, QueryError> {
        SubmissionQuery::from_pairs(AssociationScope::All, pairs(text))
    }

    #[test]
    fn no_parameters_ask_for_the_newest_fifty() {
        let q = query("").expect("a query");
        assert_eq!(q.limit, DEFAULT_PAGE_ROWS);
        assert_eq!(q.order, Order::Newest);
        assert!(q.terms.is_empty() && q.choices.is_empty() && q.after.is_none());
    }

    #[test]
    fn every_filter_is_read() {
        let q = query(
            "form=diaspora_registration&version=2026-11&association=maseru-nurses\
             &status=has_issues&from=2026-01-01&to=2026-01-31&complete=false&conflicts=true\
             &choice=country_of_residence%3Aza&choice=profession%3Anurse&q=Mph%C3%B2+58001234\
             &order=oldest&limit=20",
        )
        .expect("a query");
        assert_eq!(q.form.as_deref(), Some("diaspora_registration"));
        assert_eq!(q.version.as_deref(), Some("2026-11"));
        assert_eq!(q.association.as_deref(), Some("maseru-nurses"));
        assert_eq!(q.status.as_deref(), Some("has_issues"));
        assert_eq!(q.created_from, Some(1_767_225_600_000));
        assert_eq!(
            q.created_before,
            Some(1_769_904_000_000),
            "the whole of the 31st"
        );
        assert_eq!((q.complete, q.conflicts), (Some(false), Some(true)));
        assert_eq!(q.choices.len(), 2);
        assert_eq!(q.choices[1].field, "profession");
        assert_eq!(q.terms, ["mpho", "58001234"]);
        assert_eq!(q.fts5_match().as_deref(), Some("\"mpho\"* \"58001234\"*"));
        assert_eq!(q.tsquery().as_deref(), Some("mpho:* & 58001234:*"));
        assert_eq!((q.order, q.limit), (Order::Oldest, 20));
    }

    #[test]
    fn a_malformed_parameter_is_named_with_what_to_write() {
        for (text, parameter) in [
            ("status=done", "status"),
            ("from=03/12/2026", "from"),
            ("complete=yes", "complete"),
            ("choice=nocolon", "choice"),
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("after=12.zz", "after"),
            ("order=random", "order"),
            ("version=1", "version"),
            ("form=a&form=b", "form"),
            ("form=%01", "form"),
            ("q=m", "q"),
            ("q=mpho+k", "q"),
        ] {
            let err = query(text).expect_err(text);
            assert!(
                err.to_string().starts_with(&format!("{parameter}: ")),
                "{text}: {err}"
            );
        }
        assert_eq!(
            query("sort=name").expect_err("unknown"),
            QueryError::Unknown("sort".to_owned())
        );
        let five = "choice=a:1&choice=a:2&choice=a:3&choice=a:4&choice=a:5";
        assert!(query(five).is_err());
    }

    #[test]
    fn a_cursor_round_trips_and_nothing_else_parses_as_one() {
        let cursor = Cursor {
            created_at: 1_780_000_000_123,
            doc_id: DocId([0xab; 16]),
        };
        assert_eq!(Cursor::parse(&cursor.encode()), Ok(cursor));
        for bad in [
            "",
            "1",
            "x.abab",
            "1.abab",
            &format!("1.{}", "g".repeat(32)),
        ] {
            assert!(Cursor::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_association_outside_the_scope_matches_nothing() {
        let q = SubmissionQuery::from_pairs(
            AssociationScope::Only(vec!["a".to_owned()]),
            pairs("association=b"),
        )
        .expect("a query");
        assert!(q.matches_nothing());
    }

    #[test]
    fn text_is_folded_the_same_way_for_indexing_and_searching() {
        assert_eq!(fold("Mphò ÉLISE Ǆ ｆｕｌｌ"), "mpho elise dz full");
        assert_eq!(search_terms("  Mphò,  +266-5800 "), ["mpho", "266", "5800"]);
    }

    #[test]
    fn a_submission_is_found_by_its_name_its_text_answers_and_a_phone_by_its_digits() {
        let answers = Answers::new()
            .with("first_name", "Mphò")
            .with("phone", "+266 5800 1234")
            .with("age", "34")
            .with("languages", Answer::multiple(["st", "en"]))
            .with("children", vec![Answers::new().with("child_name", "Lineo")]);
        let text = search_text(&answers, Some("Mphò Mokoena"));
        assert!(text.contains("mpho mokoena"), "{text}");
        assert!(
            text.contains(
                "+266 5800 1234 26658001234 6658001234 658001234 58001234 8001234 001234"
            ),
            "{text}"
        );
        assert!(text.contains("lineo"), "{text}");
        assert!(text.contains("34"), "{text}");
        assert!(
            !text.contains("st"),
            "choices are filtered, not searched: {text}"
        );
        let long = Answers::new().with("notes", "word ".repeat(2000));
        assert!(search_text(&long, None).len() <= MAX_SEARCH_TEXT_BYTES);
    }
}
