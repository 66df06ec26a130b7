//! The document's layout, its typed parts (meta, review) and the check a loaded document must
//! pass.
//!
//! ```text
//! ROOT
//! ├── "schema": "letsema.submission/1"
//! ├── "meta": { submission_id, form_id, form_version: str,
//! │             created_at: timestamp, created_by_device: str,
//! │             created_by_user?: str, association?: str }
//! ├── "answers": { name: str                      text, number, date, select_one
//! │              | name: { choice: true, .. }     select_multiple, a set
//! │              | name: [ { name: .. }, .. ] }   repeat: a list of instance maps
//! ├── "review": { status?: "received" | "has_issues" | "approved" | "rejected",
//! │               comments: [ { author: str, at: timestamp, text: str }, .. ],
//! │               duplicate_of?: str,            the submission it was merged into
//! │               merges?: str }                 JSON: the merges into this one
//! │                                              ([`MergeRecord`]s), written by the server
//! └── "withdrawn"?: bool                          absent until first set
//! ```
//!
//! Every container the document will need is created with the document, so two devices
//! never create the same container concurrently (which automerge would keep as two rival
//! objects). Answer containers (a `select_multiple` set, a repeat list) are created by the
//! first answer; see [`crate::SubmissionDoc::set_answer`].

use automerge::{AutoCommit, ObjId, ROOT};
use serde::{Deserialize, Serialize};

pub use letsema_ids::ReviewStatus;

use crate::ids::{AssociationId, DeviceId, FormId, FormVersion, SubmissionId, Timestamp, UserId};
use crate::read::{Entry, Found, Reader, Slot};

pub(crate) const SCHEMA: &str = "schema";
pub(crate) const SCHEMA_VERSION: &str = "letsema.submission/1";
pub(crate) const META: &str = "meta";
pub(crate) const ANSWERS: &str = "answers";
pub(crate) const REVIEW: &str = "review";
pub(crate) const WITHDRAWN: &str = "withdrawn";

pub(crate) const SUBMISSION_ID: &str = "submission_id";
pub(crate) const FORM_ID: &str = "form_id";
pub(crate) const FORM_VERSION: &str = "form_version";
pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const CREATED_BY_DEVICE: &str = "created_by_device";
pub(crate) const CREATED_BY_USER: &str = "created_by_user";
pub(crate) const ASSOCIATION: &str = "association";

pub(crate) const STATUS: &str = "status";
pub(crate) const COMMENTS: &str = "comments";
pub(crate) const AUTHOR: &str = "author";
pub(crate) const AT: &str = "at";
pub(crate) const TEXT: &str = "text";
pub(crate) const DUPLICATE_OF: &str = "duplicate_of";
pub(crate) const MERGES: &str = "merges";

/// The deepest nesting of repeats inside repeats that a document may hold.
///
/// Reading and checking recurse once per level, so the bound keeps a hostile document from
/// exhausting the stack (an abort that no `catch_unwind` can stop).
pub const MAX_DEPTH: usize = 8;

/// What is needed to start a new submission. The creator's device and user, and the time,
/// come from the [`crate::Writer`] and the clock reading passed to
/// [`crate::SubmissionDoc::create`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubmission {
    /// The id, generated on the device.
    pub submission_id: SubmissionId,
    /// The form being filled in.
    pub form_id: FormId,
    /// The version of that form.
    pub form_version: FormVersion,
    /// The association the submission belongs to, if any.
    pub association: Option<AssociationId>,
}

/// A submission's fixed facts, written once when it is created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// The id, generated on the device.
    pub submission_id: SubmissionId,
    /// The form being filled in.
    pub form_id: FormId,
    /// The version of that form.
    pub form_version: FormVersion,
    /// When it was created, by the creating device's clock.
    pub created_at: Timestamp,
    /// The device that created it.
    pub created_by_device: DeviceId,
    /// The user who created it, if signed in.
    pub created_by_user: Option<UserId>,
    /// The association it belongs to, if any.
    pub association: Option<AssociationId>,
}

/// A reviewer's comment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The comment's stable id (the automerge id of its map).
    pub id: String,
    /// Who wrote it.
    pub author: UserId,
    /// When, by the writer's clock.
    pub at: Timestamp,
    /// What it says.
    pub text: String,
}

/// The review part of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Review {
    /// The status, or `None` before anyone set one.
    pub status: Option<ReviewStatus>,
    /// The comments, in document order (concurrent comments are ordered the same way on every
    /// replica).
    pub comments: Vec<Comment>,
    /// The submission this one was merged into as a registration of the same person; none
    /// when it is nobody's duplicate.
    pub duplicate_of: Option<SubmissionId>,
    /// The merges of other submissions into this one, oldest first.
    pub merges: Vec<MergeRecord>,
}

/// A merge of duplicates into a submission (the canonical one), as its review records it:
/// who merged what, when, and for each field a reviewer picked, its value before and the
/// value chosen. Only the server writes merges (a reviewer's change, committed against the
/// stored heads): they are one JSON text, replaced whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRecord {
    pub at: Timestamp,
    pub by: UserId,
    /// The submissions merged into this one, now its duplicates.
    pub merged: Vec<SubmissionId>,
    /// Each field the merge set: its value before (none: it had none).
    pub before: std::collections::BTreeMap<String, Option<letsema_answers::Answer>>,
    /// Each field the merge set: the value chosen (none: cleared).
    pub chosen: std::collections::BTreeMap<String, Option<letsema_answers::Answer>>,
    /// When the merge was undone; none while it stands.
    pub undone_at: Option<Timestamp>,
}

/// A loaded document that does not have the submission schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    /// The schema marker is missing or names another schema.
    #[error(
        "the document is not a Letsema submission (schema marker {found:?}); only load documents written by letsema-doc"
    )]
    NotASubmission {
        /// The marker found, if any.
        found: Option<String>,
    },
    /// A required part is missing or has the wrong type.
    #[error(
        "the submission's `{path}` is missing or is not {expected}; the document is damaged: fetch it again from the server or a device that has it"
    )]
    Invalid {
        /// Where, for example `meta/submission_id`.
        path: String,
        /// What was expected there.
        expected: &'static str,
    },
    /// A part that is written once holds concurrent values.
    #[error(
        "the submission's `{path}` holds {count} concurrent values but is written only once; the document was forged or damaged: reject it"
    )]
    Conflicting {
        /// Where.
        path: String,
        /// How many values.
        count: usize,
    },
    /// Repeats nest deeper than [`MAX_DEPTH`].
    #[error(
        "the submission's answers nest repeats more than {MAX_DEPTH} levels deep at `{path}`; reject the document"
    )]
    TooDeep {
        /// Where.
        path: String,
    },
}

fn invalid(path: impl Into<String>, expected: &'static str) -> SchemaError {
    SchemaError::Invalid {
        path: path.into(),
        expected,
    }
}

/// A map's fields read in one pass (automerge seeks every key looked up on its own), with
/// every concurrent value of a field read only when there are several.
struct Fields {
    obj: ObjId,
    entries: std::collections::HashMap<String, Entry<String>>,
}

impl Fields {
    fn read(r: &Reader<'_>, obj: &ObjId) -> Fields {
        Fields {
            obj: obj.clone(),
            entries: r
                .map_entries(obj)
                .into_iter()
                .map(|entry| (entry.key.clone(), entry))
                .collect(),
        }
    }

    /// Every value of `key`: none, the one, or all the concurrent ones.
    fn all(&self, r: &Reader<'_>, key: &str) -> Vec<Found> {
        match self.entries.get(key) {
            Some(entry) => r.entry_values(&self.obj, entry.clone()),
            None => Vec::new(),
        }
    }

    /// The one value of `key`; concurrent values are an error.
    fn single(&self, r: &Reader<'_>, key: &str, path: &str) -> Result<Option<Slot>, SchemaError> {
        let mut all = self.all(r, key);
        match all.len() {
            0 => Ok(None),
            1 => Ok(all.pop().map(|found| found.slot)),
            count => Err(SchemaError::Conflicting {
                path: path.to_owned(),
                count,
            }),
        }
    }

    fn single_map(&self, r: &Reader<'_>, key: &str, path: &str) -> Result<ObjId, SchemaError> {
        match self.single(r, key, path)? {
            Some(Slot::Map(id)) => Ok(id),
            _ => Err(invalid(path, "a map")),
        }
    }
}

fn meta_text<T>(
    r: &Reader<'_>,
    meta: &Fields,
    key: &str,
    parse: fn(&str) -> Result<T, crate::IdError>,
    required: bool,
) -> Result<Option<T>, SchemaError> {
    let path = format!("{META}/{key}");
    match meta.single(r, key, &path)? {
        Some(Slot::Str(text)) => parse(&text)
            .map(Some)
            .map_err(|_| invalid(path, "a valid identifier")),
        None if !required => Ok(None),
        _ => Err(invalid(path, "a string")),
    }
}

fn required<T>(value: Option<T>, key: &str) -> Result<T, SchemaError> {
    value.ok_or_else(|| invalid(format!("{META}/{key}"), "a string"))
}

/// Checks the whole document against the schema and returns its meta.
///
/// Every concurrent value is checked, not only the winners, so that a later merge cannot
/// promote an unchecked value.
pub(crate) fn check(doc: &AutoCommit) -> Result<Meta, SchemaError> {
    let r = Reader::now(doc);
    let root = Fields::read(&r, &ROOT);
    match root.single(&r, SCHEMA, SCHEMA)? {
        Some(Slot::Str(marker)) if marker == SCHEMA_VERSION => {}
        Some(Slot::Str(marker)) => {
            return Err(SchemaError::NotASubmission {
                found: Some(marker),
            });
        }
        _ => return Err(SchemaError::NotASubmission { found: None }),
    }
    let meta = check_meta(&r, &root)?;

    let answers = root.single_map(&r, ANSWERS, ANSWERS)?;
    check_answers(&r, &answers, ANSWERS, 0)?;

    let review = Fields::read(&r, &root.single_map(&r, REVIEW, REVIEW)?);
    for found in review.all(&r, STATUS) {
        match found.slot {
            Slot::Str(name) if ReviewStatus::from_name(&name).is_some() => {}
            _ => return Err(invalid("review/status", "a review status")),
        }
    }
    let comments = match review.single(&r, COMMENTS, "review/comments")? {
        Some(Slot::List(id)) => id,
        _ => return Err(invalid("review/comments", "a list")),
    };
    for index in 0..r.length(&comments) {
        for found in r.get_all(&comments, index) {
            let Slot::Map(comment) = found.slot else {
                return Err(invalid(format!("review/comments/{index}"), "a map"));
            };
            if read_comment(&r, &comment).is_none() {
                return Err(invalid(
                    format!("review/comments/{index}"),
                    "a comment with author, time and text",
                ));
            }
        }
    }

    for found in review.all(&r, DUPLICATE_OF) {
        match found.slot {
            Slot::Str(id) if SubmissionId::parse(&id).is_ok() => {}
            _ => return Err(invalid("review/duplicate_of", "a submission id")),
        }
    }
    for found in review.all(&r, MERGES) {
        if !matches!(found.slot, Slot::Str(_)) {
            return Err(invalid("review/merges", "a text"));
        }
    }

    for found in root.all(&r, WITHDRAWN) {
        if !matches!(found.slot, Slot::Bool(_)) {
            return Err(invalid(WITHDRAWN, "true or false"));
        }
    }
    Ok(meta)
}

fn check_meta(r: &Reader<'_>, root: &Fields) -> Result<Meta, SchemaError> {
    let meta = Fields::read(r, &root.single_map(r, META, META)?);
    let created_at = match meta.single(r, CREATED_AT, "meta/created_at")? {
        Some(Slot::Timestamp(millis)) => Timestamp(millis),
        _ => return Err(invalid("meta/created_at", "a timestamp")),
    };
    Ok(Meta {
        submission_id: required(
            meta_text(r, &meta, SUBMISSION_ID, SubmissionId::parse, true)?,
            SUBMISSION_ID,
        )?,
        form_id: required(meta_text(r, &meta, FORM_ID, FormId::parse, true)?, FORM_ID)?,
        form_version: required(
            meta_text(r, &meta, FORM_VERSION, FormVersion::parse, true)?,
            FORM_VERSION,
        )?,
        created_at,
        created_by_device: required(
            meta_text(r, &meta, CREATED_BY_DEVICE, DeviceId::parse, true)?,
            CREATED_BY_DEVICE,
        )?,
        created_by_user: meta_text(r, &meta, CREATED_BY_USER, UserId::parse, false)?,
        association: meta_text(r, &meta, ASSOCIATION, AssociationId::parse, false)?,
    })
}

fn check_answers(r: &Reader<'_>, map: &ObjId, path: &str, depth: usize) -> Result<(), SchemaError> {
    if depth > MAX_DEPTH {
        return Err(SchemaError::TooDeep {
            path: path.to_owned(),
        });
    }
    // One pass over each map and list (the winning values), and every concurrent value only
    // where there are several: a seek per key made this most of a new document's cost.
    for entry in r.map_entries(map) {
        let name = entry.key.clone();
        let field_path = || format!("{path}/{name}");
        for found in r.entry_values(map, entry) {
            match found.slot {
                Slot::Str(_) | Slot::Text(_) => {}
                Slot::Map(set) => {
                    for choice in r.map_entries(&set) {
                        let key = choice.key.clone();
                        if r.entry_values(&set, choice)
                            .iter()
                            .any(|found| !matches!(found.slot, Slot::Bool(_)))
                        {
                            return Err(invalid(
                                format!("{}/{key}", field_path()),
                                "true or false (a select_multiple choice)",
                            ));
                        }
                    }
                }
                Slot::List(list) => {
                    for element in r.list_entries(&list) {
                        let index = element.key;
                        for found in r.entry_values(&list, element) {
                            let Slot::Map(instance) = found.slot else {
                                return Err(invalid(
                                    format!("{}/{index}", field_path()),
                                    "a map (a repeat instance)",
                                ));
                            };
                            check_answers(
                                r,
                                &instance,
                                &format!("{}/{index}", field_path()),
                                depth + 1,
                            )?;
                        }
                    }
                }
                _ => return Err(invalid(field_path(), "an answer")),
            }
        }
    }
    Ok(())
}

/// A comment read from its map, or `None` if it is incomplete.
pub(crate) fn read_comment(r: &Reader<'_>, comment: &ObjId) -> Option<Comment> {
    let author = UserId::parse(&r.str_at(comment, AUTHOR)?).ok()?;
    let at = match r.get(comment, AT)?.slot {
        Slot::Timestamp(millis) => Timestamp(millis),
        _ => return None,
    };
    let text = r.str_at(comment, TEXT)?;
    Some(Comment {
        id: comment.to_string(),
        author,
        at,
        text,
    })
}

/// The review as it stands at the reader's heads.
pub(crate) fn read_review(r: &Reader<'_>) -> Review {
    let Some(review) = r.map_at(&ROOT, REVIEW) else {
        return Review::default();
    };
    let status = r
        .str_at(&review, STATUS)
        .and_then(|name| ReviewStatus::from_name(&name));
    let comments = match r.get(&review, COMMENTS).map(|found| found.slot) {
        Some(Slot::List(list)) => (0..r.length(&list))
            .filter_map(|index| match r.get(&list, index)?.slot {
                Slot::Map(comment) => read_comment(r, &comment),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let duplicate_of = r
        .str_at(&review, DUPLICATE_OF)
        .and_then(|id| SubmissionId::parse(&id).ok());
    // Written whole by the server; a text that is not merges reads as none.
    let merges = r
        .str_at(&review, MERGES)
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or_default();
    Review {
        status,
        comments,
        duplicate_of,
        merges,
    }
}

/// Whether the submission is withdrawn at the reader's heads.
pub(crate) fn read_withdrawn(r: &Reader<'_>) -> bool {
    r.get(&ROOT, WITHDRAWN)
        .is_some_and(|found| found.slot == Slot::Bool(true))
}
