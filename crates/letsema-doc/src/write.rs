//! Writing answers field by field.
//!
//! A write compares the new value with what the document holds and writes only the
//! difference, so setting one field never rewrites another and unchanged values produce no
//! operations (and no spurious conflicts).

use std::collections::BTreeSet;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT};

use letsema_answers::{Answer, Answers};

use crate::answers::AnswerPath;
use crate::error::DocError;
use crate::read::{Reader, Slot};
use crate::schema::{self, MAX_DEPTH};

/// The fields of `answers` in name order: the order they are checked and written in, so
/// that the same answers make the same changes (and bytes) whatever order they came in.
pub(crate) fn by_name(answers: &Answers) -> Vec<(&str, &Answer)> {
    let mut fields: Vec<(&str, &Answer)> = answers.iter().collect();
    fields.sort_by_key(|(name, _)| *name);
    fields
}

/// Checks a value before anything is written: names and choices non-empty, depth bounded.
pub(crate) fn check_value(path: &AnswerPath, value: &Answer) -> Result<(), DocError> {
    let outer = path.repeats.len();
    if outer + value.repeat_depth() > MAX_DEPTH {
        return Err(DocError::TooDeep {
            path: path.to_string(),
            max: MAX_DEPTH,
        });
    }
    check_names(&path.to_string(), &path.name, value)
}

fn check_names(at: &str, name: &str, value: &Answer) -> Result<(), DocError> {
    if name.is_empty() {
        return Err(DocError::EmptyName {
            path: at.to_owned(),
        });
    }
    match value {
        Answer::Value(_) => Ok(()),
        Answer::Multiple(choices) => {
            if choices.iter().any(String::is_empty) {
                Err(DocError::EmptyName {
                    path: at.to_owned(),
                })
            } else {
                Ok(())
            }
        }
        Answer::Repeat(instances) => {
            for (index, answers) in instances.iter().enumerate() {
                for (child, value) in by_name(answers) {
                    check_names(&format!("{at}[{index}]/{child}"), child, value)?;
                }
            }
            Ok(())
        }
    }
}

/// The map that holds the answer at `path` (the answers map, or a repeat instance).
pub(crate) fn locate(r: &Reader<'_>, path: &AnswerPath) -> Result<ObjId, DocError> {
    let mut map = r
        .map_at(&ROOT, schema::ANSWERS)
        .ok_or_else(|| not_found(path, "answers map"))?;
    for (repeat, instance) in &path.repeats {
        let list = match r.get(&map, repeat.as_str()).map(|found| found.slot) {
            Some(Slot::List(list)) => list,
            _ => return Err(not_found(path, "repeat")),
        };
        map = r
            .instance_objs(&list)
            .into_iter()
            .find(|(id, _)| id == instance)
            .map(|(_, obj)| obj)
            .ok_or_else(|| not_found(path, "repeat instance"))?;
    }
    Ok(map)
}

/// The repeat list at `path`, if there is one.
pub(crate) fn locate_repeat(r: &Reader<'_>, path: &AnswerPath) -> Result<ObjId, DocError> {
    let map = locate(r, path)?;
    match r.get(&map, path.name.as_str()).map(|found| found.slot) {
        Some(Slot::List(list)) => Ok(list),
        _ => Err(not_found(path, "repeat")),
    }
}

pub(crate) fn not_found(path: &AnswerPath, expected: &'static str) -> DocError {
    DocError::NotFound {
        path: path.to_string(),
        expected,
    }
}

/// Writes `value` at `name` of `map`.
///
/// With `force`, the value is written even if equal to the current winner, and containers
/// are replaced by new ones: that is what supersedes every concurrent value of a conflict.
pub(crate) fn write_answer(
    doc: &mut AutoCommit,
    map: &ObjId,
    name: &str,
    value: &Answer,
    force: bool,
) -> Result<(), DocError> {
    let current = Reader::now(doc).get(map, name).map(|found| found.slot);
    match value {
        Answer::Value(text) => {
            if force || current.as_ref() != Some(&Slot::Str(text.clone())) {
                doc.put(map, name, text.as_str())?;
            }
        }
        Answer::Multiple(choices) => {
            let set = match current {
                Some(Slot::Map(set)) if !force => set,
                _ => doc.put_object(map, name, ObjType::Map)?,
            };
            write_choices(doc, &set, choices)?;
        }
        Answer::Repeat(instances) => {
            let list = match current {
                Some(Slot::List(list)) if !force => list,
                _ => doc.put_object(map, name, ObjType::List)?,
            };
            write_instances(doc, &list, instances)?;
        }
    }
    Ok(())
}

/// Makes the set hold exactly `choices`: removes what is no longer chosen, adds what is new.
fn write_choices(doc: &mut AutoCommit, set: &ObjId, choices: &[String]) -> Result<(), DocError> {
    let wanted: BTreeSet<&str> = choices.iter().map(String::as_str).collect();
    let (stale, chosen) = {
        let r = Reader::now(doc);
        let keys = r.keys(set);
        let chosen: BTreeSet<String> = r.choices(set).into_iter().collect();
        let stale: Vec<String> = keys
            .into_iter()
            .filter(|key| !wanted.contains(key.as_str()))
            .collect();
        (stale, chosen)
    };
    for key in stale {
        doc.delete(set, key.as_str())?;
    }
    for choice in wanted {
        if !chosen.contains(choice) {
            doc.put(set, choice, true)?;
        }
    }
    Ok(())
}

/// Makes the repeat list hold `instances`, matched to existing instances by position.
///
/// Instance `i` of the new value updates instance `i` of the list field by field; extra new
/// instances are appended; surplus old instances are removed from the end. Removing an
/// instance from the middle this way would shift its successors' answers, so callers that
/// know which instance went should use [`crate::SubmissionDoc::remove_repeat_instance`].
fn write_instances(
    doc: &mut AutoCommit,
    list: &ObjId,
    instances: &[Answers],
) -> Result<(), DocError> {
    let existing: Vec<Option<ObjId>> = {
        let r = Reader::now(doc);
        (0..r.length(list))
            .map(|index| match r.get(list, index).map(|found| found.slot) {
                Some(Slot::Map(id)) => Some(id),
                _ => None,
            })
            .collect()
    };
    for (index, answers) in instances.iter().enumerate() {
        let instance = match existing.get(index) {
            Some(Some(id)) => id.clone(),
            Some(None) => doc.put_object(list, index, ObjType::Map)?,
            None => doc.insert_object(list, index, ObjType::Map)?,
        };
        write_instance(doc, &instance, answers)?;
    }
    for index in (instances.len()..existing.len()).rev() {
        doc.delete(list, index)?;
    }
    Ok(())
}

/// Makes one instance map hold exactly `answers`.
pub(crate) fn write_instance(
    doc: &mut AutoCommit,
    instance: &ObjId,
    answers: &Answers,
) -> Result<(), DocError> {
    let stale: Vec<String> = Reader::now(doc)
        .keys(instance)
        .into_iter()
        .filter(|key| !answers.contains(key))
        .collect();
    for key in stale {
        doc.delete(instance, key.as_str())?;
    }
    for (name, value) in by_name(answers) {
        write_answer(doc, instance, name, value, false)?;
    }
    Ok(())
}
