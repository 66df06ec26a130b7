//! Fields: the units that conflicts and history talk about.

use std::collections::BTreeMap;
use std::fmt;

use automerge::{ObjId, ROOT};
use serde::{Deserialize, Serialize};

use letsema_answers::Answer;

use crate::answers::AnswerPath;
use crate::read::{Reader, Slot};
use crate::schema::{self, MAX_DEPTH, ReviewStatus};

/// A field of a submission that people edit.
///
/// Meta is written once at creation and comments are only ever added, so neither appears
/// here: they cannot conflict, and each comment carries its own author and time.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldPath {
    /// An answer, possibly inside repeat instances.
    Answer(AnswerPath),
    /// The review status.
    ReviewStatus,
    /// The withdrawn flag.
    Withdrawn,
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldPath::Answer(path) => write!(f, "answers/{path}"),
            FieldPath::ReviewStatus => f.write_str("review/status"),
            FieldPath::Withdrawn => f.write_str("withdrawn"),
        }
    }
}

/// The value of a [`FieldPath`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldValue {
    /// An answer's value.
    Answer(Answer),
    /// A review status.
    ReviewStatus(ReviewStatus),
    /// Whether the submission is withdrawn.
    Withdrawn(bool),
}

/// The value a slot holds for `field`, if it is of the right kind.
pub(crate) fn field_value(
    r: &Reader<'_>,
    field: &FieldPath,
    slot: &Slot,
    depth: usize,
) -> Option<FieldValue> {
    match (field, slot) {
        (FieldPath::Answer(_), slot) => r.answer_value(slot, depth).map(FieldValue::Answer),
        (FieldPath::ReviewStatus, Slot::Str(name)) => {
            ReviewStatus::from_name(name).map(FieldValue::ReviewStatus)
        }
        (FieldPath::Withdrawn, Slot::Bool(flag)) => Some(FieldValue::Withdrawn(*flag)),
        _ => None,
    }
}

/// Every field's winning value at the reader's heads, one entry per leaf.
///
/// Text and `select_multiple` answers are leaves; a repeat is not a leaf but opens into its
/// instances' fields, so history shows `qualifications[id]/degree` rather than the whole
/// repeat rewritten.
pub(crate) fn flatten(r: &Reader<'_>) -> BTreeMap<FieldPath, FieldValue> {
    let mut out = BTreeMap::new();
    if let Some(answers) = r.answers_obj() {
        flatten_answers(r, &answers, &[], 0, &mut out);
    }
    let status = r
        .map_at(&ROOT, schema::REVIEW)
        .and_then(|review| r.str_at(&review, schema::STATUS))
        .and_then(|name| ReviewStatus::from_name(&name));
    if let Some(status) = status {
        out.insert(FieldPath::ReviewStatus, FieldValue::ReviewStatus(status));
    }
    if let Some(Slot::Bool(flag)) = r.get(&ROOT, schema::WITHDRAWN).map(|found| found.slot) {
        out.insert(FieldPath::Withdrawn, FieldValue::Withdrawn(flag));
    }
    out
}

fn flatten_answers(
    r: &Reader<'_>,
    map: &ObjId,
    repeats: &[(String, crate::RepeatInstanceId)],
    depth: usize,
    out: &mut BTreeMap<FieldPath, FieldValue>,
) {
    if depth > MAX_DEPTH {
        return;
    }
    for name in r.keys(map) {
        let Some(found) = r.get(map, name.as_str()) else {
            continue;
        };
        if let Slot::List(list) = &found.slot {
            for (id, instance) in r.instance_objs(list) {
                let mut inner = repeats.to_vec();
                inner.push((name.clone(), id));
                flatten_answers(r, &instance, &inner, depth + 1, out);
            }
        } else if let Some(value) = r.answer_value(&found.slot, depth) {
            let path = AnswerPath {
                repeats: repeats.to_vec(),
                name,
            };
            out.insert(FieldPath::Answer(path), FieldValue::Answer(value));
        }
    }
}
