//! Field history: who changed which field from what to what, when, on which device.

use std::collections::{BTreeMap, HashMap};

use automerge::ActorId;
use letsema_ids::ChangeHash;
use serde::{Deserialize, Serialize};

use crate::doc::SubmissionDoc;
use crate::fields::{FieldPath, FieldValue, flatten};
use crate::hashes::{self, to_automerge, to_automerge_all};
use crate::ids::{DeviceId, Timestamp, UserId};
use crate::read::Reader;

/// One field changed by one automerge change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    /// The field.
    pub field: FieldPath,
    /// The value the writer saw before the change (`None`: no value).
    pub from: Option<FieldValue>,
    /// The value right after the change (`None`: cleared or removed).
    pub to: Option<FieldValue>,
    /// The change.
    #[serde(with = "hashes::hex")]
    pub change: ChangeHash,
    /// The automerge actor that made it.
    pub actor: ActorId,
    /// The device, when the actor is a Letsema actor id.
    pub device: Option<DeviceId>,
    /// The writer's user, if recorded.
    pub user: Option<UserId>,
    /// The writer's clock reading.
    pub time: Timestamp,
}

type Fields = BTreeMap<FieldPath, FieldValue>;

impl SubmissionDoc {
    /// The history of every field, change by change, in causal order (a change always comes
    /// after the changes it builds on; concurrent changes come in automerge's order, the same
    /// on every replica).
    ///
    /// "From" and "to" are as the writer saw them: `from` is the field's value in the
    /// document as it stood at the change's own dependencies, `to` its value just after the
    /// change. So with concurrent edits, each edit's `from` is the value its writer replaced,
    /// not whatever another device wrote meanwhile; and a value that loses a conflict still
    /// appears, as the `to` of its own change. Where the writer saw a conflict, `from` is the
    /// value the document showed.
    ///
    /// Creating the document is not listed (its meta is in [`SubmissionDoc::meta`]), nor are
    /// comments, which carry their own author and time. The device and user are what the
    /// writer claimed; the server decides whether to trust them.
    ///
    /// This replays the document once per change, so it costs time in proportion to the
    /// number of changes times the document's size: fine for a submission, bounded by
    /// [`crate::Limits::max_changes`] for loaded documents.
    pub fn history(&mut self) -> Vec<FieldChange> {
        let changes = self.changes();
        let mut after_change: HashMap<ChangeHash, Fields> = HashMap::new();
        let mut out = Vec::new();
        for change in changes {
            let deps = to_automerge_all(&change.deps);
            let before = match change.deps.as_slice() {
                [] => Fields::new(),
                [single] => match after_change.get(single) {
                    Some(fields) => fields.clone(),
                    None => flatten(&Reader::at(&self.doc, &deps)),
                },
                _ => flatten(&Reader::at(&self.doc, &deps)),
            };
            let after = flatten(&Reader::at(&self.doc, &[to_automerge(&change.hash)]));
            let mut push =
                |field: &FieldPath, from: Option<&FieldValue>, to: Option<&FieldValue>| {
                    out.push(FieldChange {
                        field: field.clone(),
                        from: from.cloned(),
                        to: to.cloned(),
                        change: change.hash,
                        actor: change.actor.clone(),
                        device: change.device.clone(),
                        user: change.user.clone(),
                        time: change.time,
                    });
                };
            for (field, to) in &after {
                let from = before.get(field);
                if from != Some(to) {
                    push(field, from, Some(to));
                }
            }
            for (field, from) in &before {
                if !after.contains_key(field) {
                    push(field, Some(from), None);
                }
            }
            after_change.insert(change.hash, after);
        }
        out
    }
}
