//! Reading the document, now or as it was at some heads, into owned values.
//!
//! Every read goes through [`Reader`], which turns automerge's borrowed values into an owned
//! [`Slot`] at once. Reading never fails: a key that is missing or holds something this schema
//! does not write reads as absent. Loading checks the schema, so in a loaded document such
//! values do not occur.

use automerge::{
    AutoCommit, ChangeHash, ObjId, ObjType, Prop, ReadDoc, ScalarValue, ScalarValueRef, Value,
    ValueRef,
};

use letsema_answers::{Answer, Answers};

use crate::answers::{RepeatInstance, RepeatInstanceId};
use crate::schema::{self, MAX_DEPTH};

/// One value found at a key or list index, owned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Slot {
    Str(String),
    Bool(bool),
    Timestamp(i64),
    Map(ObjId),
    List(ObjId),
    Text(ObjId),
    /// A scalar or object type this schema never writes.
    Other,
}

/// A value and the id of the operation that wrote it (for objects, the object's id).
#[derive(Debug, Clone)]
pub(crate) struct Found {
    pub slot: Slot,
    pub op: ObjId,
}

fn to_found(value: Value<'_>, op: ObjId) -> Found {
    let slot = match value {
        Value::Object(ObjType::Map) => Slot::Map(op.clone()),
        Value::Object(ObjType::List) => Slot::List(op.clone()),
        Value::Object(ObjType::Text) => Slot::Text(op.clone()),
        Value::Object(ObjType::Table) => Slot::Other,
        Value::Scalar(scalar) => match scalar.as_ref() {
            ScalarValue::Str(text) => Slot::Str(text.to_string()),
            ScalarValue::Boolean(flag) => Slot::Bool(*flag),
            ScalarValue::Timestamp(millis) => Slot::Timestamp(*millis),
            _ => Slot::Other,
        },
    };
    Found { slot, op }
}

/// One entry of a map or a list read in a single pass: the winning value, and whether other
/// concurrent values exist (read them with [`Reader::get_all`]).
#[derive(Debug, Clone)]
pub(crate) struct Entry<K> {
    pub key: K,
    pub found: Found,
    pub conflict: bool,
}

/// [`to_found`] for the borrowed values of automerge's range iterators.
fn ref_to_found(value: &ValueRef<'_>, op: ObjId) -> Found {
    let slot = match value {
        ValueRef::Object(ObjType::Map) => Slot::Map(op.clone()),
        ValueRef::Object(ObjType::List) => Slot::List(op.clone()),
        ValueRef::Object(ObjType::Text) => Slot::Text(op.clone()),
        ValueRef::Object(ObjType::Table) => Slot::Other,
        ValueRef::Scalar(scalar) => match scalar {
            ScalarValueRef::Str(text) => Slot::Str(text.to_string()),
            ScalarValueRef::Boolean(flag) => Slot::Bool(*flag),
            ScalarValueRef::Timestamp(millis) => Slot::Timestamp(*millis),
            _ => Slot::Other,
        },
    };
    Found { slot, op }
}

/// Reads a document at its current state (`heads: None`) or as it was at `heads`.
#[derive(Clone, Copy)]
pub(crate) struct Reader<'a> {
    pub doc: &'a AutoCommit,
    pub heads: Option<&'a [ChangeHash]>,
}

impl<'a> Reader<'a> {
    pub fn now(doc: &'a AutoCommit) -> Reader<'a> {
        Reader { doc, heads: None }
    }

    pub fn at(doc: &'a AutoCommit, heads: &'a [ChangeHash]) -> Reader<'a> {
        Reader {
            doc,
            heads: Some(heads),
        }
    }

    /// The winning value at `prop`, the one every replica agrees to show.
    pub fn get(&self, obj: &ObjId, prop: impl Into<Prop>) -> Option<Found> {
        let result = match self.heads {
            None => self.doc.get(obj, prop),
            Some(heads) => self.doc.get_at(obj, prop, heads),
        };
        result.ok().flatten().map(|(value, op)| to_found(value, op))
    }

    /// Every concurrent value at `prop`, in automerge's deterministic order.
    pub fn get_all(&self, obj: &ObjId, prop: impl Into<Prop>) -> Vec<Found> {
        let result = match self.heads {
            None => self.doc.get_all(obj, prop),
            Some(heads) => self.doc.get_all_at(obj, prop, heads),
        };
        result
            .unwrap_or_default()
            .into_iter()
            .map(|(value, op)| to_found(value, op))
            .collect()
    }

    /// Every value of an entry read by [`Self::map_entries`] or [`Self::list_entries`] of
    /// `obj`: the winning one, or all the concurrent ones where there are several.
    pub fn entry_values<K: Into<Prop>>(&self, obj: &ObjId, entry: Entry<K>) -> Vec<Found> {
        if entry.conflict {
            self.get_all(obj, entry.key)
        } else {
            vec![entry.found]
        }
    }

    /// Every key of the map `obj` with its winning value, in one pass (a [`Self::get_all`]
    /// per key seeks each key again).
    pub fn map_entries(&self, obj: &ObjId) -> Vec<Entry<String>> {
        let collect = |item: automerge::iter::MapRangeItem<'_>| Entry {
            found: ref_to_found(&item.value, item.id()),
            key: item.key.into_owned(),
            conflict: item.conflict,
        };
        match self.heads {
            None => self.doc.map_range(obj, ..).map(collect).collect(),
            Some(heads) => self.doc.map_range_at(obj, .., heads).map(collect).collect(),
        }
    }

    /// Every element of the list `obj` with its winning value, in one pass.
    pub fn list_entries(&self, obj: &ObjId) -> Vec<Entry<usize>> {
        let collect = |item: automerge::iter::ListRangeItem<'_>| Entry {
            found: ref_to_found(&item.value, item.id()),
            key: item.index,
            conflict: item.conflict,
        };
        match self.heads {
            None => self.doc.list_range(obj, ..).map(collect).collect(),
            Some(heads) => self
                .doc
                .list_range_at(obj, .., heads)
                .map(collect)
                .collect(),
        }
    }

    pub fn keys(&self, obj: &ObjId) -> Vec<String> {
        match self.heads {
            None => self.doc.keys(obj).collect(),
            Some(heads) => self.doc.keys_at(obj, heads).collect(),
        }
    }

    pub fn length(&self, obj: &ObjId) -> usize {
        match self.heads {
            None => self.doc.length(obj),
            Some(heads) => self.doc.length_at(obj, heads),
        }
    }

    pub fn text(&self, obj: &ObjId) -> Option<String> {
        match self.heads {
            None => self.doc.text(obj).ok(),
            Some(heads) => self.doc.text_at(obj, heads).ok(),
        }
    }

    /// The winning map at `key` of `obj`.
    pub fn map_at(&self, obj: &ObjId, key: &str) -> Option<ObjId> {
        match self.get(obj, key)?.slot {
            Slot::Map(id) => Some(id),
            _ => None,
        }
    }

    /// The winning string at `key` of `obj`.
    pub fn str_at(&self, obj: &ObjId, key: &str) -> Option<String> {
        match self.get(obj, key)?.slot {
            Slot::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The answers map, if the document has one.
    pub fn answers_obj(&self) -> Option<ObjId> {
        self.map_at(&automerge::ROOT, schema::ANSWERS)
    }

    /// An answer read from a slot; `None` for shapes this schema does not write.
    pub fn answer_value(&self, slot: &Slot, depth: usize) -> Option<Answer> {
        match slot {
            Slot::Str(text) => Some(Answer::Value(text.clone())),
            // JavaScript automerge writes strings as text objects; read them as text.
            Slot::Text(id) => self.text(id).map(Answer::Value),
            Slot::Map(id) => Some(Answer::Multiple(self.choices(id))),
            Slot::List(id) if depth < MAX_DEPTH => Some(Answer::Repeat(
                self.repeat_instances(id, depth)
                    .into_iter()
                    .map(|instance| instance.answers)
                    .collect(),
            )),
            _ => None,
        }
    }

    /// The chosen options of a `select_multiple` set, sorted.
    pub fn choices(&self, set: &ObjId) -> Vec<String> {
        self.map_entries(set)
            .into_iter()
            .filter(|choice| choice.found.slot == Slot::Bool(true))
            .map(|choice| choice.key)
            .collect()
    }

    /// The instances of a repeat list, with their ids.
    pub fn repeat_instances(&self, list: &ObjId, depth: usize) -> Vec<RepeatInstance> {
        self.list_entries(list)
            .into_iter()
            .filter_map(|element| match element.found.slot {
                Slot::Map(id) => Some(RepeatInstance {
                    id: RepeatInstanceId(id.to_string()),
                    answers: self.answers_in(&id, depth + 1),
                }),
                _ => None,
            })
            .collect()
    }

    /// The instance maps of a repeat list with their ids, without reading their answers.
    pub fn instance_objs(&self, list: &ObjId) -> Vec<(RepeatInstanceId, ObjId)> {
        self.list_entries(list)
            .into_iter()
            .filter_map(|element| match element.found.slot {
                Slot::Map(id) => Some((RepeatInstanceId(id.to_string()), id)),
                _ => None,
            })
            .collect()
    }

    /// The answers in a map (the top-level answers or one repeat instance), in name order.
    pub fn answers_in(&self, map: &ObjId, depth: usize) -> Answers {
        let mut entries = self.map_entries(map);
        // automerge gives a map's keys in order already; sorting what is sorted costs one
        // pass, and makes the order this crate promises not depend on automerge's.
        entries.sort_by(|a, b| a.key.cmp(&b.key));
        entries
            .into_iter()
            .filter_map(|entry| {
                let value = self.answer_value(&entry.found.slot, depth)?;
                Some((entry.key, value))
            })
            .collect()
    }
}
