//! The conflict oracle: from the writes the simulation made and the final change graph, which
//! values each field must show, computed without asking the document how it merges.
//!
//! A write of a field supersedes exactly the writes of that field in its causal past (the
//! writer saw them). So the values a field holds in the end are those of the writes that no
//! other write of the field has in its past. Two or more different such values must show as
//! a conflict listing them all; one value must be the field's value, with no conflict. A
//! conflict is never silently dropped, and a resolution (a later write) settles it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use letsema_doc::{FieldPath, FieldValue, SubmissionDoc};
use letsema_sync::wire::{ChangeHash, DocId};

/// One tracked write: the field, its value, and the change that wrote it.
#[derive(Debug, Clone)]
pub struct Write {
    pub field: FieldPath,
    pub value: FieldValue,
    pub change: ChangeHash,
}

/// Checks every written field of `doc` against the oracle; panics on a difference.
pub fn check_conflicts(id: DocId, doc: &mut SubmissionDoc, writes: Option<&[Write]>) {
    let Some(writes) = writes else {
        return;
    };
    let deps: HashMap<ChangeHash, Vec<ChangeHash>> = doc
        .changes()
        .into_iter()
        .map(|change| (change.hash, change.deps))
        .collect();
    let mut by_field: BTreeMap<&FieldPath, Vec<&Write>> = BTreeMap::new();
    for write in writes {
        assert!(
            deps.contains_key(&write.change),
            "a write of {} to {id} is missing from the final document",
            write.field
        );
        by_field.entry(&write.field).or_default().push(write);
    }
    let conflicts = doc.conflicts();
    for (field, writes) in by_field {
        let changes: HashSet<ChangeHash> = writes.iter().map(|write| write.change).collect();
        let mut superseded = HashSet::new();
        for write in &writes {
            for ancestor in ancestors(&deps, write.change) {
                if changes.contains(&ancestor) {
                    superseded.insert(ancestor);
                }
            }
        }
        let live: Vec<&FieldValue> = writes
            .iter()
            .filter(|write| !superseded.contains(&write.change))
            .map(|write| &write.value)
            .collect();
        let expected: BTreeSet<String> = live.iter().map(|value| format!("{value:?}")).collect();
        let shown = conflicts.iter().find(|conflict| &conflict.field == field);
        if expected.len() > 1 {
            let Some(shown) = shown else {
                panic!(
                    "{id}: {field} was written concurrently with {expected:?}, but no conflict \
                     is shown: it was silently dropped"
                );
            };
            let values: BTreeSet<String> = shown
                .values
                .iter()
                .map(|value| format!("{:?}", value.value))
                .collect();
            assert_eq!(
                values,
                expected,
                "{id}: the values of the conflict on {field}; writes (change, superseded, \
                 value): {:?}; shown (change, value): {:?}",
                writes
                    .iter()
                    .map(|w| (w.change, superseded.contains(&w.change), &w.value))
                    .collect::<Vec<_>>(),
                shown
                    .values
                    .iter()
                    .map(|v| (v.change, &v.value))
                    .collect::<Vec<_>>()
            );
        } else {
            assert!(
                shown.is_none(),
                "{id}: {field} shows a conflict {shown:?}, but its last write was {expected:?}"
            );
            let value = match field {
                FieldPath::Answer(path) => doc.answer_at(path).map(FieldValue::Answer),
                FieldPath::ReviewStatus => doc.review().status.map(FieldValue::ReviewStatus),
                FieldPath::Withdrawn => Some(FieldValue::Withdrawn(doc.is_withdrawn())),
            };
            assert_eq!(
                Some(live[0]),
                value.as_ref(),
                "{id}: the value of {field} is not its last write"
            );
        }
    }
}

/// The strict ancestors of `change`.
fn ancestors(
    deps: &HashMap<ChangeHash, Vec<ChangeHash>>,
    change: ChangeHash,
) -> HashSet<ChangeHash> {
    let mut seen = HashSet::new();
    let mut stack: Vec<ChangeHash> = deps.get(&change).cloned().unwrap_or_default();
    while let Some(hash) = stack.pop() {
        if seen.insert(hash) {
            stack.extend(deps.get(&hash).into_iter().flatten().copied());
        }
    }
    seen
}
