//! Same-field conflicts: listing every concurrent value, and resolving by writing one.

use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjId, ROOT, ReadDoc};
use letsema_ids::ChangeHash;
use serde::{Deserialize, Serialize};

use crate::answers::AnswerPath;
use crate::doc::{ChangeInfo, SubmissionDoc};
use crate::error::DocError;
use crate::fields::{FieldPath, FieldValue, field_value};
use crate::hashes::{self, from_automerge, from_automerge_all};
use crate::ids::{DeviceId, Timestamp, UserId};
use crate::read::{Found, Reader, Slot};
use crate::schema::{self, MAX_DEPTH};
use crate::write;

/// A field that holds more than one value because it was written concurrently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conflict {
    /// The field.
    pub field: FieldPath,
    /// Every concurrent value, in the same order on every replica. The document shows the
    /// last one until the conflict is resolved.
    pub values: Vec<ConflictValue>,
}

/// One of the values of a conflicting field, with who wrote it and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConflictValue {
    /// The value.
    pub value: FieldValue,
    /// The automerge actor that wrote it.
    pub actor: ActorId,
    /// The device, when the actor is a Letsema actor id.
    pub device: Option<DeviceId>,
    /// The writer's user, if recorded.
    pub user: Option<UserId>,
    /// The writer's clock reading, when the change is known.
    pub time: Option<Timestamp>,
    /// The change that wrote it, when known.
    #[serde(with = "hashes::hex_option")]
    pub change: Option<ChangeHash>,
}

impl SubmissionDoc {
    /// Every field written concurrently with different values, and all of its values.
    ///
    /// Concurrent writes of the same value are not conflicts. Inside a repeat, the fields of
    /// the shown instance list are checked; a conflict between two whole containers (two
    /// devices that both gave a `select_multiple` or repeat its first answer) is listed once,
    /// at the field, with both containers' contents.
    pub fn conflicts(&self) -> Vec<Conflict> {
        let r = Reader::now(&self.doc);
        let mut out = Vec::new();
        if let Some(answers) = r.answers_obj() {
            self.answer_conflicts(&r, &answers, &AnswerPath::field(""), 0, &mut out);
        }
        if let Some(review) = r.map_at(&ROOT, schema::REVIEW) {
            self.push_conflict(
                &r,
                FieldPath::ReviewStatus,
                r.get_all(&review, schema::STATUS),
                0,
                &mut out,
            );
        }
        self.push_conflict(
            &r,
            FieldPath::Withdrawn,
            r.get_all(&ROOT, schema::WITHDRAWN),
            0,
            &mut out,
        );
        out
    }

    /// `parent` is the path of the map's enclosing repeat instance (its name is unused).
    fn answer_conflicts(
        &self,
        r: &Reader<'_>,
        map: &ObjId,
        parent: &AnswerPath,
        depth: usize,
        out: &mut Vec<Conflict>,
    ) {
        if depth > MAX_DEPTH {
            return;
        }
        for name in r.keys(map) {
            let path = AnswerPath {
                repeats: parent.repeats.clone(),
                name: name.clone(),
            };
            let all = r.get_all(map, name.as_str());
            self.push_conflict(r, FieldPath::Answer(path.clone()), all, depth, out);
            if let Some(Found {
                slot: Slot::List(list),
                ..
            }) = r.get(map, name.as_str())
            {
                for (id, instance) in r.instance_objs(&list) {
                    let inner = path.child(&id, "");
                    self.answer_conflicts(r, &instance, &inner, depth + 1, out);
                }
            }
        }
    }

    fn push_conflict(
        &self,
        r: &Reader<'_>,
        field: FieldPath,
        all: Vec<Found>,
        depth: usize,
        out: &mut Vec<Conflict>,
    ) {
        if all.len() < 2 {
            return;
        }
        let values: Vec<ConflictValue> = all
            .iter()
            .filter_map(|found| {
                let value = field_value(r, &field, &found.slot, depth)?;
                Some(self.attribute(value, &found.op))
            })
            .collect();
        let differ = values.windows(2).any(|pair| pair[0].value != pair[1].value);
        if differ {
            out.push(Conflict { field, values });
        }
    }

    /// Says who wrote the operation `op`.
    fn attribute(&self, value: FieldValue, op: &ObjId) -> ConflictValue {
        let actor = match op {
            ObjId::Id(_, actor, _) => actor.clone(),
            ObjId::Root => ActorId::from(Vec::new()),
        };
        let change = self
            .doc
            .hash_for_opid(op)
            .and_then(|hash| ReadDoc::get_change_by_hash(&self.doc, &hash));
        let info = change.map(|change| {
            ChangeInfo::new(
                from_automerge(change.hash()),
                from_automerge_all(change.deps().iter().copied()),
                change.actor_id().clone(),
                change.message(),
                change.timestamp(),
            )
        });
        ConflictValue {
            value,
            device: crate::ActorInfo::parse(&actor),
            actor,
            user: info.as_ref().and_then(|info| info.user.clone()),
            time: info.as_ref().map(|info| info.time),
            change: info.map(|info| info.hash),
        }
    }

    /// Resolves the conflict at `field` by writing `value`, which supersedes every concurrent
    /// value once merged everywhere.
    ///
    /// `value` may be one of the listed values or a new one. It is always written, even when
    /// equal to the shown value, because only a new write replaces the others. A container
    /// value (`select_multiple`, repeat) is written as a new container.
    ///
    /// # Errors
    ///
    /// [`DocError::WrongKind`] when `value` does not fit `field`, [`DocError::NotFound`] when
    /// an enclosing repeat instance is gone, and the errors of
    /// [`SubmissionDoc::set_answer`].
    pub fn resolve(
        &mut self,
        field: &FieldPath,
        value: &FieldValue,
        at: Timestamp,
    ) -> Result<(), DocError> {
        match (field, value) {
            (FieldPath::Answer(path), FieldValue::Answer(answer)) => {
                write::check_value(path, answer)?;
                self.change(at, |doc| {
                    let map = write::locate(&Reader::now(doc), path)?;
                    clear(doc, &map, path.name.as_str())?;
                    write::write_answer(doc, &map, &path.name, answer, true)
                })
            }
            (FieldPath::ReviewStatus, FieldValue::ReviewStatus(status)) => self.change(at, |doc| {
                let review = Reader::now(doc)
                    .map_at(&ROOT, schema::REVIEW)
                    .ok_or_else(|| DocError::NotFound {
                        path: schema::REVIEW.to_owned(),
                        expected: "review map",
                    })?;
                clear(doc, &review, schema::STATUS)?;
                doc.put(&review, schema::STATUS, status.as_str())?;
                Ok(())
            }),
            (FieldPath::Withdrawn, FieldValue::Withdrawn(flag)) => self.change(at, |doc| {
                clear(doc, &ROOT, schema::WITHDRAWN)?;
                doc.put(ROOT, schema::WITHDRAWN, *flag)?;
                Ok(())
            }),
            (FieldPath::Answer(_), _) => Err(wrong_kind(field, "an answer value")),
            (FieldPath::ReviewStatus, _) => Err(wrong_kind(field, "a review status")),
            (FieldPath::Withdrawn, _) => Err(wrong_kind(field, "true or false")),
        }
    }
}

/// Deletes every value of `key` before a resolution writes its own.
///
/// Without it, writing the value that currently wins would not be a new write: automerge
/// then only deletes the losing values and keeps the old winning operation. A device that
/// concurrently overwrote that old operation would then silently remove the resolution too,
/// with no conflict left to show. After the delete, the put is a fresh operation that
/// supersedes exactly what this writer saw, and conflicts with anything it did not see.
fn clear(doc: &mut AutoCommit, obj: &ObjId, key: &str) -> Result<(), DocError> {
    if !doc.get_all(obj, key)?.is_empty() {
        doc.delete(obj, key)?;
    }
    Ok(())
}

fn wrong_kind(field: &FieldPath, expected: &'static str) -> DocError {
    DocError::WrongKind {
        path: field.to_string(),
        expected,
    }
}
