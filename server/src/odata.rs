//! The OData feed of a form (`GET /api/odata/{form}.svc/…`): what a request's path and
//! options ask for ([`FeedPath`], [`ReadOptions`]), and the pages read from the store
//! ([`read_page`], [`count`], [`read_entity`]). The documents themselves are
//! `letsema_export::odata`'s; the route (`routes/odata.rs`) checks who asks and records the
//! read in the audit log.
//!
//! OData 4.0 at its minimal conformance level, as ODK Central serves it: the service
//! document, `$metadata`, each entity set (the submissions, each repeat) with `$top`,
//! `$skip`, `$count` and `$select`, a row by its key (`Submissions('id')`), and a row's
//! repeat by its navigation link (`Submissions('id')/household`). `$filter`, `$orderby`,
//! `$expand` and the rest are refused with 501: Excel and Power BI filter after reading.
//!
//! Pages hold at most [`PAGE_ROWS`] rows; a longer read continues at the page's
//! `@odata.nextLink`, whose `$skiptoken` says where (the last submission read, by the
//! store's keyset cursor, and how many of the next one's rows were sent): a page costs what
//! it reads, and submissions that arrive meanwhile are neither skipped nor sent twice.

use std::fmt;

use letsema_doc::SubmissionId;
use letsema_export::odata::{KEY, OData};
use percent_encoding::percent_decode_str;
use serde_json::{Map, Value};

use crate::export::{ExportError, ReadRow};
use crate::store::{Backend, Cursor, EXPORT_BATCH_ROWS, SubmissionQuery};

/// Rows in a page of an entity set, at most.
pub const PAGE_ROWS: usize = 1000;

/// The longest path after `/api/odata/` read.
const MAX_PATH_BYTES: usize = 2048;

/// A row of a data document.
pub type Row = Map<String, Value>;

/// Why a request of the feed is refused.
#[derive(Debug, thiserror::Error)]
pub enum ODataError {
    /// 404: no such form, entity set or row.
    #[error("{0}")]
    NotFound(String),
    /// 400: a malformed path or option.
    #[error("{0}")]
    Invalid(String),
    /// 501: an OData feature this feed does not offer.
    #[error("{0}")]
    NotImplemented(String),
    /// 406: a format other than JSON (or XML for the metadata).
    #[error("{0}")]
    NotAcceptable(String),
    /// The store failed, or the form could not be read.
    #[error(transparent)]
    Export(#[from] ExportError),
}

/// What a request's path names, after `/api/odata/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPath {
    /// The form id (the path's `{form}.svc`).
    pub form: String,
    pub resource: Resource,
}

/// The document a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `{form}.svc`: the service document.
    Service,
    /// `{form}.svc/$metadata`.
    Metadata,
    /// `{form}.svc/{set}`, or with `/$count` only the number of its rows.
    Set { set: String, count: bool },
    /// `{form}.svc/{set}('{key}')`, and after it a navigation path (groups' and a
    /// repeat's names) to that row's instances of the repeat.
    Entity {
        set: String,
        key: String,
        navigation: Vec<String>,
    },
}

impl FeedPath {
    /// Reads the path after `/api/odata/` as a request gives it (percent-encoded).
    ///
    /// # Errors
    ///
    /// [`ODataError::NotFound`] when it does not start with `{form}.svc`,
    /// [`ODataError::Invalid`] when it does not decode or a key is malformed.
    pub fn parse(raw: &str) -> Result<FeedPath, ODataError> {
        if raw.len() > MAX_PATH_BYTES {
            return Err(ODataError::Invalid(format!(
                "the path is longer than {MAX_PATH_BYTES} bytes"
            )));
        }
        let path = percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| ODataError::Invalid("the path is not percent-encoded UTF-8".into()))?;
        let (service, rest) = path.split_once('/').unwrap_or((&path, ""));
        let form = service
            .strip_suffix(".svc")
            .filter(|form| !form.is_empty() && form.len() <= 128)
            .ok_or_else(|| {
                ODataError::NotFound(
                    "a form's feed is at /api/odata/FORM.svc, such as \
                     /api/odata/diaspora_registration.svc"
                        .into(),
                )
            })?
            .to_owned();
        let resource = match rest.trim_end_matches('/') {
            "" => Resource::Service,
            "$metadata" => Resource::Metadata,
            rest => parse_resource(rest)?,
        };
        Ok(FeedPath { form, resource })
    }
}

/// `Set`, `Set/$count`, `Set('key')` or `Set('key')/nav/…`.
fn parse_resource(text: &str) -> Result<Resource, ODataError> {
    let Some(open) = text.find('(') else {
        return match text.split_once('/') {
            None => Ok(Resource::Set {
                set: text.to_owned(),
                count: false,
            }),
            Some((set, "$count")) => Ok(Resource::Set {
                set: set.to_owned(),
                count: true,
            }),
            Some(_) => Err(ODataError::NotFound(format!(
                "nothing is at {text:?}: read an entity set, such as Submissions"
            ))),
        };
    };
    let set = &text[..open];
    let bad_key = || {
        ODataError::Invalid(format!(
            "{text:?}: a key is a quoted string, such as Submissions('uuid:…'), with any ' \
             inside it doubled"
        ))
    };
    let quoted = text[open + 1..].strip_prefix('\'').ok_or_else(bad_key)?;
    let mut key = String::new();
    let mut chars = quoted.char_indices();
    let after = loop {
        let Some((index, c)) = chars.next() else {
            return Err(bad_key());
        };
        if c != '\'' {
            key.push(c);
            continue;
        }
        if quoted[index + 1..].starts_with('\'') {
            key.push('\'');
            chars.next();
            continue;
        }
        break &quoted[index + 1..];
    };
    let after = after.strip_prefix(')').ok_or_else(bad_key)?;
    let navigation: Vec<String> = match after {
        "" => Vec::new(),
        rest => {
            let rest = rest.strip_prefix('/').ok_or_else(bad_key)?;
            rest.split('/')
                .filter(|segment| !segment.is_empty())
                .map(str::to_owned)
                .collect()
        }
    };
    Ok(Resource::Entity {
        set: set.to_owned(),
        key,
        navigation,
    })
}

/// Where a page starts: after a submission (the store's cursor; none: the first), skipping
/// so many of the rows that follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SkipToken {
    pub after: Option<Cursor>,
    pub skip: u64,
}

impl fmt::Display for SkipToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.after {
            Some(cursor) => write!(f, "{}:{}", cursor.encode(), self.skip),
            None => write!(f, "start:{}", self.skip),
        }
    }
}

impl SkipToken {
    /// # Errors
    ///
    /// [`ODataError::Invalid`] for text [`SkipToken`]'s `Display` did not make.
    pub fn parse(text: &str) -> Result<SkipToken, ODataError> {
        let bad = || {
            ODataError::Invalid(
                "$skiptoken: pass the one of the previous page's @odata.nextLink as it is".into(),
            )
        };
        let (after, skip) = text.rsplit_once(':').ok_or_else(bad)?;
        let skip = skip.parse().map_err(|_| bad())?;
        let after = match after {
            "start" => None,
            cursor => Some(Cursor::parse(cursor).map_err(|_| bad())?),
        };
        Ok(SkipToken { after, skip })
    }
}

/// The options of a data document's request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// `$top`: at most so many rows, over every page.
    pub top: Option<u64>,
    /// `$skip`, or the `$skiptoken` of a next page.
    pub start: SkipToken,
    /// Whether `$skiptoken` was given (a page after the first).
    pub continued: bool,
    /// `$count=true`.
    pub count: bool,
    /// `$select`: the properties kept, each a path (`personal/full_name`); none: all.
    pub select: Option<Vec<Vec<String>>>,
}

/// Options that OData defines and this feed does not offer.
const UNSUPPORTED: [&str; 8] = [
    "$filter", "$orderby", "$expand", "$search", "$apply", "$compute", "$levels", "$index",
];

impl ReadOptions {
    /// Reads a request's decoded query parameters. Parameters that do not start with `$`
    /// are custom options, which OData lets a service ignore.
    ///
    /// # Errors
    ///
    /// [`ODataError::Invalid`] for a malformed or repeated option, [`ODataError::NotImplemented`]
    /// for `$filter`, `$orderby`, `$expand` and the others this feed does not offer,
    /// [`ODataError::NotAcceptable`] for a `$format` other than JSON.
    pub fn parse(pairs: &[(String, String)]) -> Result<ReadOptions, ODataError> {
        let mut options = ReadOptions::default();
        let mut seen: Vec<&str> = Vec::new();
        for (name, value) in pairs {
            if !name.starts_with('$') {
                continue;
            }
            if seen.contains(&name.as_str()) {
                return Err(ODataError::Invalid(format!(
                    "{name} is given twice: give it once"
                )));
            }
            seen.push(name);
            let number = |what: &str| -> Result<u64, ODataError> {
                value.trim().parse::<u64>().map_err(|_| {
                    ODataError::Invalid(format!("{what} takes a whole number, such as {what}=100"))
                })
            };
            match name.as_str() {
                "$top" => options.top = Some(number("$top")?),
                "$skip" => options.start.skip = number("$skip")?,
                "$skiptoken" => {
                    options.start = SkipToken::parse(value)?;
                    options.continued = true;
                }
                "$count" => {
                    options.count = match value.as_str() {
                        "true" => true,
                        "false" => false,
                        _ => {
                            return Err(ODataError::Invalid("$count takes true or false".into()));
                        }
                    }
                }
                "$select" => options.select = select(value)?,
                "$format" => {
                    let format = value.trim().to_ascii_lowercase();
                    if !(format == "json" || format.starts_with("application/json")) {
                        return Err(ODataError::NotAcceptable(
                            "this feed writes JSON only: $format=json, or leave it out".into(),
                        ));
                    }
                }
                unsupported if UNSUPPORTED.contains(&unsupported) => {
                    return Err(ODataError::NotImplemented(format!(
                        "this feed does not offer {unsupported}: read the whole entity set (or \
                         $top and $skip of it) and filter, sort or join in Excel, Power BI or \
                         R, or export with filters from the staff area"
                    )));
                }
                other => {
                    return Err(ODataError::Invalid(format!(
                        "unknown option {other}: this feed takes $top, $skip, $count, $select, \
                         $format and the $skiptoken of a next page"
                    )));
                }
            }
        }
        if options.continued && seen.contains(&"$skip") {
            return Err(ODataError::Invalid(
                "$skip and $skiptoken do not go together: follow @odata.nextLink as it is".into(),
            ));
        }
        Ok(options)
    }
}

/// `$select`'s paths; `*` alone (or nothing) is every property.
fn select(value: &str) -> Result<Option<Vec<Vec<String>>>, ODataError> {
    let mut paths = Vec::new();
    for item in value.split(',') {
        let item = item.trim();
        if item == "*" {
            return Ok(None);
        }
        let path: Vec<String> = item.split('/').map(str::to_owned).collect();
        if path.iter().any(|name| name.is_empty() || name.len() > 128) || paths.len() >= 1000 {
            return Err(ODataError::Invalid(format!(
                "$select: {item:?} is not a property path: names separated by commas, groups \
                 by /, such as $select=__id,personal/full_name"
            )));
        }
        paths.push(path);
    }
    Ok(if paths.is_empty() { None } else { Some(paths) })
}

/// Keeps in a row only the properties `select` names (with `__id` always).
///
/// # Errors
///
/// [`ODataError::Invalid`] naming a path the entity set does not have.
pub fn project(row: Row, select: &[Vec<String>]) -> Result<Row, ODataError> {
    let mut kept = Map::new();
    if let Some(key) = row.get(KEY) {
        kept.insert(KEY.to_owned(), key.clone());
    }
    for path in select {
        let mut source = &row;
        let mut target = &mut kept;
        for (depth, name) in path.iter().enumerate() {
            let Some(value) = source.get(name) else {
                return Err(ODataError::Invalid(format!(
                    "$select: this entity set has no property {}",
                    path.join("/")
                )));
            };
            if depth + 1 == path.len() {
                target.insert(name.clone(), value.clone());
                break;
            }
            let (Value::Object(inner), entry) = (
                value,
                target
                    .entry(name.clone())
                    .or_insert_with(|| Value::Object(Map::new())),
            ) else {
                return Err(ODataError::Invalid(format!(
                    "$select: {} is not a group, so {} is not a property",
                    name,
                    path.join("/")
                )));
            };
            let Value::Object(entry) = entry else {
                break;
            };
            source = inner;
            target = entry;
        }
    }
    Ok(kept)
}

/// A page of an entity set.
#[derive(Debug, Default)]
pub struct Page {
    pub rows: Vec<Row>,
    /// Where the next page starts, if there are more rows (and `$top` allows them).
    pub next: Option<SkipToken>,
}

/// A query of every submission of `form` within `query`'s scope, oldest first, a batch at a
/// time.
fn batches(query: &SubmissionQuery, after: Option<Cursor>) -> SubmissionQuery {
    let mut query = query.clone();
    query.order = crate::store::Order::Oldest;
    query.limit = EXPORT_BATCH_ROWS;
    query.after = after;
    query
}

/// One page of entity set `set`: from `start`, at most `page_rows` rows (the route's
/// [`PAGE_ROWS`]) and at most `top` (what remains of `$top`).
///
/// # Errors
///
/// A failed read.
pub fn read_page(
    store: &dyn Backend,
    odata: &OData<'_>,
    set: usize,
    scope: &SubmissionQuery,
    start: SkipToken,
    top: Option<u64>,
    page_rows: usize,
) -> Result<Page, ODataError> {
    let limit = top.map_or(page_rows, |top| {
        usize::try_from(top).unwrap_or(usize::MAX).min(page_rows)
    });
    let mut page = Page::default();
    if limit == 0 {
        return Ok(page);
    }
    let mut query = batches(scope, start.after);
    let mut to_skip = start.skip;
    // The submission before the one being read: where a page that stops inside it resumes.
    let mut before = start.after;
    loop {
        let batch = store.export_batch(&query).map_err(ExportError::from)?;
        for (row, cursor) in batch.rows.iter().zip(&batch.cursors) {
            if !row.row.withdrawn {
                let read = ReadRow::of(row);
                let rows = odata.rows(set, &read.submission(row));
                let count = rows.len() as u64;
                if to_skip >= count {
                    to_skip -= count;
                } else {
                    let first = usize::try_from(to_skip).unwrap_or(usize::MAX);
                    to_skip = 0;
                    for (index, found) in rows.into_iter().enumerate().skip(first) {
                        if page.rows.len() == limit {
                            // A row beyond the page: a next page, unless `$top` is reached.
                            if top.is_none_or(|top| (page.rows.len() as u64) < top) {
                                page.next = Some(SkipToken {
                                    after: before,
                                    skip: index as u64,
                                });
                            }
                            return Ok(page);
                        }
                        page.rows.push(found);
                    }
                    if top.is_some_and(|top| page.rows.len() as u64 >= top) {
                        return Ok(page);
                    }
                }
            }
            before = Some(*cursor);
        }
        match batch.next {
            Some(next) => query.after = Some(next),
            None => return Ok(page),
        }
    }
}

/// How many rows entity set `set` has (all its pages): a whole read of the form's
/// submissions.
///
/// # Errors
///
/// A failed read.
pub fn count(
    store: &dyn Backend,
    odata: &OData<'_>,
    set: usize,
    scope: &SubmissionQuery,
) -> Result<u64, ODataError> {
    let mut query = batches(scope, None);
    let mut total = 0u64;
    loop {
        let batch = store.export_batch(&query).map_err(ExportError::from)?;
        for row in batch.rows.iter().filter(|row| !row.row.withdrawn) {
            total += if set == 0 {
                1
            } else {
                let read = ReadRow::of(row);
                odata.rows(set, &read.submission(row)).len() as u64
            };
        }
        match batch.next {
            Some(next) => query.after = Some(next),
            None => return Ok(total),
        }
    }
}

/// What a key names: the row of entity set `set` with that key, or (with a navigation
/// path) that row's instances of the repeat it leads to, as `(the entity set of the rows,
/// the rows)`.
///
/// # Errors
///
/// [`ODataError::NotFound`] when the submission is not one the reader sees, or has no such
/// row or repeat; a failed read.
pub fn read_entity(
    store: &dyn Backend,
    odata: &OData<'_>,
    set: usize,
    key: &str,
    navigation: &[String],
    scope: &SubmissionQuery,
) -> Result<(usize, Vec<Row>), ODataError> {
    let not_found = || {
        ODataError::NotFound(format!(
            "no row {key:?} here that you may see: take keys from the feed's __id"
        ))
    };
    // A repeat instance's key is its submission's id followed by its path.
    let id = key.split('/').next().unwrap_or_default();
    let doc_id = SubmissionId::parse(id)
        .map(|id| letsema_doc::DocId::from(&id))
        .map_err(|_| not_found())?;
    let mut query = batches(scope, None);
    query.doc_id = Some(doc_id);
    let batch = store.export_batch(&query).map_err(ExportError::from)?;
    let Some(row) = batch.rows.iter().find(|row| !row.row.withdrawn) else {
        return Err(not_found());
    };
    let read = ReadRow::of(row);
    let submission = read.submission(row);
    if navigation.is_empty() {
        let found: Vec<Row> = odata
            .rows(set, &submission)
            .into_iter()
            .filter(|row| row.get(KEY).and_then(Value::as_str) == Some(key))
            .collect();
        if found.is_empty() {
            return Err(not_found());
        }
        return Ok((set, found));
    }
    let child = odata.navigation(set, navigation).ok_or_else(|| {
        ODataError::NotFound(format!(
            "this entity set has no repeat at {:?}: follow a row's @odata.navigationLink",
            navigation.join("/")
        ))
    })?;
    let parent_exists = odata
        .rows(set, &submission)
        .iter()
        .any(|row| row.get(KEY).and_then(Value::as_str) == Some(key));
    if !parent_exists {
        return Err(not_found());
    }
    Ok((child, odata.children_of(child, &submission, key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn path(raw: &str) -> Result<FeedPath, ODataError> {
        FeedPath::parse(raw)
    }

    #[test]
    fn paths_name_the_service_its_metadata_its_sets_and_rows_by_key() {
        let form = |resource| FeedPath {
            form: "census".to_owned(),
            resource,
        };
        assert_eq!(path("census.svc").ok(), Some(form(Resource::Service)));
        assert_eq!(path("census.svc/").ok(), Some(form(Resource::Service)));
        assert_eq!(
            path("census.svc/$metadata").ok(),
            Some(form(Resource::Metadata))
        );
        assert_eq!(
            path("census.svc/%24metadata").ok(),
            Some(form(Resource::Metadata))
        );
        assert_eq!(
            path("census.svc/Submissions.household").ok(),
            Some(form(Resource::Set {
                set: "Submissions.household".to_owned(),
                count: false
            }))
        );
        assert_eq!(
            path("census.svc/Submissions/$count").ok(),
            Some(form(Resource::Set {
                set: "Submissions".to_owned(),
                count: true
            }))
        );
        assert_eq!(
            path("census.svc/Submissions('uuid%3A1')").ok(),
            Some(form(Resource::Entity {
                set: "Submissions".to_owned(),
                key: "uuid:1".to_owned(),
                navigation: Vec::new()
            }))
        );
        // A key's slashes, encoded or not, stay in the key; quotes are doubled.
        for raw in [
            "census.svc/Submissions.household('uuid%3A1%2Fhousehold%5B1%5D')/details/child",
            "census.svc/Submissions.household('uuid:1/household[1]')/details/child",
        ] {
            assert_eq!(
                path(raw).ok(),
                Some(form(Resource::Entity {
                    set: "Submissions.household".to_owned(),
                    key: "uuid:1/household[1]".to_owned(),
                    navigation: vec!["details".to_owned(), "child".to_owned()]
                })),
                "{raw}"
            );
        }
        assert_eq!(
            path("census.svc/Submissions('it''s')").ok(),
            Some(form(Resource::Entity {
                set: "Submissions".to_owned(),
                key: "it's".to_owned(),
                navigation: Vec::new()
            }))
        );
    }

    #[test]
    fn malformed_paths_are_refused_with_what_to_write() {
        assert!(matches!(path("census"), Err(ODataError::NotFound(_))));
        assert!(matches!(path(".svc"), Err(ODataError::NotFound(_))));
        assert!(matches!(
            path("census.svc/Submissions/x"),
            Err(ODataError::NotFound(_))
        ));
        for raw in [
            "census.svc/Submissions(1)",
            "census.svc/Submissions('open",
            "census.svc/Submissions('a'x",
            "census.svc/Submissions('a')x",
            "census.svc/%FF",
        ] {
            assert!(matches!(path(raw), Err(ODataError::Invalid(_))), "{raw}");
        }
        assert!(matches!(
            path(&"a".repeat(MAX_PATH_BYTES + 1)),
            Err(ODataError::Invalid(_))
        ));
    }

    fn options(pairs: &[(&str, &str)]) -> Result<ReadOptions, ODataError> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect();
        ReadOptions::parse(&pairs)
    }

    #[test]
    fn options_page_count_and_select_and_refuse_the_rest() {
        let read = options(&[
            ("$top", "10"),
            ("$skip", "5"),
            ("$count", "true"),
            ("$select", "__id, personal/full_name"),
            ("$format", "application/json;odata.metadata=minimal"),
            ("custom", "ignored"),
        ])
        .expect("valid");
        assert_eq!(read.top, Some(10));
        assert_eq!(read.start.skip, 5);
        assert!(read.count && !read.continued);
        assert_eq!(
            read.select,
            Some(vec![
                vec!["__id".to_owned()],
                vec!["personal".to_owned(), "full_name".to_owned()]
            ])
        );
        assert_eq!(
            options(&[("$select", "*")]).ok().and_then(|o| o.select),
            None
        );
        assert!(matches!(
            options(&[("$filter", "age gt 3")]),
            Err(ODataError::NotImplemented(_))
        ));
        assert!(matches!(
            options(&[("$expand", "*")]),
            Err(ODataError::NotImplemented(_))
        ));
        assert!(matches!(
            options(&[("$format", "xml")]),
            Err(ODataError::NotAcceptable(_))
        ));
        for bad in [
            [("$top", "-1"), ("x", "")],
            [("$count", "yes"), ("x", "")],
            [("$top", "1"), ("$top", "2")],
            [("$skiptoken", "nonsense"), ("x", "")],
            [("$skiptoken", "start:3"), ("$skip", "1")],
            [("$select", "a,,b"), ("x", "")],
            [("$unknown", "1"), ("x", "")],
        ] {
            assert!(
                matches!(options(&bad), Err(ODataError::Invalid(_))),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn skip_tokens_read_back_what_they_wrote() {
        let cursor = Cursor {
            created_at: 1_772_357_400_000,
            doc_id: letsema_doc::DocId([7; 16]),
        };
        for token in [
            SkipToken {
                after: None,
                skip: 0,
            },
            SkipToken {
                after: Some(cursor),
                skip: 3,
            },
        ] {
            assert_eq!(SkipToken::parse(&token.to_string()).ok(), Some(token));
        }
    }

    #[test]
    fn a_selection_keeps_the_key_and_the_paths_named() {
        let row: Row = serde_json::from_value(serde_json::json!({
            "__id": "uuid:1",
            "personal": {"full_name": "Palesa", "age": 30},
            "income": 12,
        }))
        .expect("an object");
        let kept = project(
            row.clone(),
            &[
                vec!["personal".to_owned(), "age".to_owned()],
                vec!["income".to_owned()],
            ],
        )
        .expect("known paths");
        assert_eq!(
            Value::Object(kept),
            serde_json::json!({"__id": "uuid:1", "personal": {"age": 30}, "income": 12})
        );
        assert!(matches!(
            project(row.clone(), &[vec!["nope".to_owned()]]),
            Err(ODataError::Invalid(_))
        ));
        assert!(matches!(
            project(row, &[vec!["income".to_owned(), "x".to_owned()]]),
            Err(ODataError::Invalid(_))
        ));
    }
}
