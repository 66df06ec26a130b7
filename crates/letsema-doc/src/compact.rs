//! A compact encoding of a run of a document's changes, for the sync push.
//!
//! automerge's change chunk is built to be read on its own: a checksum, the full 32-byte hash
//! of every dependency, the whole actor id, and columns of operations with their own
//! metadata. Sent by the hundred, those chunks deflate poorly: the first sync of 500
//! registrations cost about 2.5 times the same records as gzip-compressed JSON. This
//! encoding keeps exactly the information automerge hashes and nothing else, laid out row
//! by row so that deflate finds the repetition between documents:
//!
//! - actors once per run, then as small indexes;
//! - a dependency on a change earlier in the run as its distance back, not its hash;
//! - each operation's object as "the same as the previous operation's" or "created `n`
//!   operations ago" where it can be;
//! - a string value equal to the document's own submission id as one byte (the id travels
//!   beside the changes anyway);
//! - times as the difference from the previous change.
//!
//! Nothing is lost: [`expand_compact`] rebuilds every change byte for byte (automerge's
//! encoder is deterministic), so the hashes are the originals. The encoder proves it before
//! it answers, rebuilding each change and comparing hashes, and returns `None` for anything it
//! cannot round-trip (marks, say), in which case the caller sends raw chunks. The run ends
//! with a check (eight bytes folded from every change hash) that [`expand_compact`] verifies,
//! so a peer whose automerge encodes differently refuses the run instead of storing a change
//! the sender does not have.

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::legacy::{self, ElementId, ObjectId, OpId, OpType, SortedVec};
use automerge::{ActorId, Change, ChangeHash, ExpandedChange, ObjType, ScalarValue};
use serde::{Deserialize, Serialize};

use crate::doc::SubmissionDoc;
use crate::error::Limits;
use crate::ids::SubmissionId;

/// The format's version, the run's first byte.
const FORMAT: u8 = 1;
/// The most actors a run may name (a submission has a handful of writers).
const MAX_ACTORS: usize = 1_024;
/// The longest actor id automerge accepts is far shorter; this bounds a hostile one.
const MAX_ACTOR_BYTES: usize = 128;

/// Compact bytes that cannot become changes. The caller should reject them; the sender can
/// always fall back to raw change chunks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompactError {
    /// The bytes, or what they expand to, are larger than the limits allow.
    #[error(
        "the compact changes are {size} bytes, more than the limit of {limit}; send fewer changes per document"
    )]
    TooLarge {
        /// The size reached.
        size: usize,
        /// The limit broken.
        limit: usize,
    },
    /// The changes hold more operations than the limits allow.
    #[error(
        "the compact changes hold {count} operations, more than the limit of {limit}; send fewer changes per document"
    )]
    TooManyOps {
        /// How many.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The bytes do not follow the format.
    #[error("the compact changes are malformed ({reason}); send raw change chunks instead")]
    Malformed {
        /// What was wrong.
        reason: String,
    },
    /// The rebuilt changes do not hash to what the sender had: the two sides encode changes
    /// differently (different automerge versions), or the bytes were altered.
    #[error(
        "the compact changes did not rebuild the sender's changes (their check does not match); send raw change chunks instead"
    )]
    Mismatch,
    /// automerge panicked while rebuilding a change.
    #[error(
        "automerge failed while rebuilding these changes (they are malformed or hostile); send raw change chunks instead"
    )]
    Panicked,
}

fn malformed(reason: impl Into<String>) -> CompactError {
    CompactError::Malformed {
        reason: reason.into(),
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Run {
    actors: Vec<Vec<u8>>,
    changes: Vec<CompactChange>,
    check: [u8; 8],
}

#[derive(Debug, Serialize, Deserialize)]
struct CompactChange {
    actor: u32,
    seq: u64,
    start_op: u64,
    /// Milliseconds after the previous change of the run (after 0 for the first).
    time: i64,
    message: Option<String>,
    deps: Vec<Dep>,
    extra: Vec<u8>,
    ops: Vec<CompactOp>,
}

#[derive(Debug, Serialize, Deserialize)]
enum Dep {
    /// The change this many places earlier in the run.
    Back(u32),
    /// A change before the run.
    Hash([u8; 32]),
}

#[derive(Debug, Serialize, Deserialize)]
struct CompactOp {
    action: Action,
    obj: Obj,
    key: Key,
    insert: bool,
    pred: Vec<Id>,
}

#[derive(Debug, Serialize, Deserialize)]
enum Action {
    Make(Made),
    Delete,
    Increment(i64),
    Put(Value),
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
enum Made {
    Map,
    List,
    Text,
    Table,
}

#[derive(Debug, Serialize, Deserialize)]
enum Value {
    Null,
    Str(String),
    /// The document's own submission id, as text.
    OwnId,
    Int(i64),
    Uint(u64),
    F64(f64),
    Counter(i64),
    Timestamp(i64),
    Boolean(bool),
    Bytes(Vec<u8>),
    Unknown(u8, Vec<u8>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct Id {
    counter: u64,
    actor: u32,
}

#[derive(Debug, Serialize, Deserialize)]
enum Obj {
    Root,
    /// The previous operation's object.
    Same,
    /// Created by this change's actor, this many operations before this one.
    Back(u64),
    Id(Id),
}

#[derive(Debug, Serialize, Deserialize)]
enum Key {
    Map(String),
    Head,
    Elem(Id),
}

impl SubmissionDoc {
    /// The changes after `heads` (as [`SubmissionDoc::changes_after`] selects them) in the
    /// compact encoding of [`expand_compact`], or `None` when there are none or they cannot be
    /// encoded so that they rebuild exactly (then send [`SubmissionDoc::changes_after`]).
    pub fn compact_changes_after(&mut self, heads: &[letsema_ids::ChangeHash]) -> Option<Vec<u8>> {
        let changes = self
            .doc
            .get_changes(&crate::hashes::to_automerge_all(heads));
        if changes.is_empty() {
            return None;
        }
        let own_id = self.meta.submission_id.as_str().to_owned();
        let run = encode_run(&changes, &own_id)?;
        let mut bytes = vec![FORMAT];
        bytes.extend(postcard::to_allocvec(&run).ok()?);
        // Prove the round trip before promising it.
        let rebuilt = rebuild(&run, &own_id, usize::MAX).ok()?;
        let same = rebuilt.len() == changes.len()
            && rebuilt
                .iter()
                .zip(&changes)
                .all(|(rebuilt, original)| rebuilt.hash() == original.hash());
        same.then_some(bytes)
    }
}

/// Rebuilds the changes of a compact run (from [`SubmissionDoc::compact_changes_after`]) of
/// submission `id`, as concatenated raw change chunks ready for
/// [`SubmissionDoc::apply_changes`], which still checks them as it would any other chunks.
///
/// The input is bounded by `limits.max_incremental_bytes` before decoding, the number of
/// changes by `limits.max_changes` and of operations by `limits.max_ops` before anything is
/// rebuilt, the output by `limits.max_incremental_bytes` as it grows; a panic inside automerge becomes [`CompactError::Panicked`] (natively).
///
/// # Errors
///
/// A [`CompactError`] saying what was wrong; nothing is kept.
pub fn expand_compact(
    bytes: &[u8],
    id: &SubmissionId,
    limits: &Limits,
) -> Result<Vec<u8>, CompactError> {
    expand_compact_built(bytes, id, limits).map(|(chunks, _)| chunks)
}

/// [`expand_compact`], with the rebuilt changes also in automerge's decoded form, so that a
/// server applying them need not parse the chunks again.
///
/// # Errors
///
/// As [`expand_compact`].
pub fn expand_compact_built(
    bytes: &[u8],
    id: &SubmissionId,
    limits: &Limits,
) -> Result<(Vec<u8>, crate::changes::BuiltChanges), CompactError> {
    if bytes.len() > limits.max_incremental_bytes {
        return Err(CompactError::TooLarge {
            size: bytes.len(),
            limit: limits.max_incremental_bytes,
        });
    }
    let Some((&format, body)) = bytes.split_first() else {
        return Err(malformed("no bytes"));
    };
    if format != FORMAT {
        return Err(malformed(format!(
            "format {format}, this program reads format {FORMAT}"
        )));
    }
    let run: Run = postcard::from_bytes(body).map_err(|error| malformed(error.to_string()))?;
    if run.changes.len() > limits.max_changes {
        return Err(malformed(format!(
            "{} changes, more than the limit of {}",
            run.changes.len(),
            limits.max_changes
        )));
    }
    let ops = run
        .changes
        .iter()
        .fold(0usize, |sum, change| sum.saturating_add(change.ops.len()));
    if ops > limits.max_ops {
        return Err(CompactError::TooManyOps {
            count: ops,
            limit: limits.max_ops,
        });
    }
    let changes = rebuild(&run, id.as_str(), limits.max_incremental_bytes)?;
    let mut out = Vec::new();
    for change in &changes {
        out.extend_from_slice(change.raw_bytes());
    }
    Ok((out, crate::changes::BuiltChanges(changes)))
}

/// Folds every change hash into eight bytes.
fn fold(hashes: impl Iterator<Item = ChangeHash>) -> [u8; 8] {
    let mut check = [0u8; 8];
    for hash in hashes {
        for (i, byte) in hash.0.iter().enumerate() {
            check[i % 8] ^= byte.rotate_left((i / 8) as u32);
        }
    }
    check
}

// --- encoding ------------------------------------------------------------------------------

fn encode_run(changes: &[Change], own_id: &str) -> Option<Run> {
    let mut actors: Vec<ActorId> = Vec::new();
    let mut hashes: Vec<ChangeHash> = Vec::with_capacity(changes.len());
    let mut out = Vec::with_capacity(changes.len());
    let mut previous_time = 0i64;
    for (index, change) in changes.iter().enumerate() {
        let expanded = change.decode();
        let actor = actor_index(&mut actors, &expanded.actor_id)?;
        let deps = expanded
            .deps
            .iter()
            .map(|dep| match hashes.iter().rposition(|h| h == dep) {
                Some(at) => u32::try_from(index - at).ok().map(Dep::Back),
                None => Some(Dep::Hash(dep.0)),
            })
            .collect::<Option<Vec<_>>>()?;
        let start_op = expanded.start_op.get();
        let mut previous_obj = None;
        let mut ops = Vec::with_capacity(expanded.operations.len());
        for (offset, op) in expanded.operations.iter().enumerate() {
            let own_counter = start_op.checked_add(offset as u64)?;
            let obj_id = match &op.obj {
                ObjectId::Root => None,
                ObjectId::Id(id) => Some(id_of(&mut actors, id)?),
            };
            let obj = match obj_id {
                None => Obj::Root,
                Some(_) if previous_obj == Some(obj_id) => Obj::Same,
                Some(id) if id.actor == actor && id.counter < own_counter => {
                    Obj::Back(own_counter - id.counter)
                }
                Some(id) => Obj::Id(id),
            };
            previous_obj = Some(obj_id);
            let key = match &op.key {
                legacy::Key::Map(name) => Key::Map(name.to_string()),
                legacy::Key::Seq(ElementId::Head) => Key::Head,
                legacy::Key::Seq(ElementId::Id(id)) => Key::Elem(id_of(&mut actors, id)?),
            };
            let action = match &op.action {
                OpType::Make(ObjType::Map) => Action::Make(Made::Map),
                OpType::Make(ObjType::List) => Action::Make(Made::List),
                OpType::Make(ObjType::Text) => Action::Make(Made::Text),
                OpType::Make(ObjType::Table) => Action::Make(Made::Table),
                OpType::Delete => Action::Delete,
                OpType::Increment(by) => Action::Increment(*by),
                OpType::Put(value) => Action::Put(value_of(value, own_id)),
                // Marks are not written by submissions: leave them to raw chunks.
                OpType::MarkBegin(_) | OpType::MarkEnd(_) => return None,
            };
            let pred = op
                .pred
                .iter()
                .map(|id| id_of(&mut actors, id))
                .collect::<Option<Vec<_>>>()?;
            ops.push(CompactOp {
                action,
                obj,
                key,
                insert: op.insert,
                pred,
            });
        }
        let time = expanded.time.checked_sub(previous_time)?;
        previous_time = expanded.time;
        hashes.push(change.hash());
        out.push(CompactChange {
            actor,
            seq: expanded.seq,
            start_op,
            time,
            message: expanded.message,
            deps,
            extra: expanded.extra_bytes,
            ops,
        });
    }
    Some(Run {
        actors: actors.iter().map(|a| a.to_bytes().to_vec()).collect(),
        changes: out,
        check: fold(hashes.into_iter()),
    })
}

fn actor_index(actors: &mut Vec<ActorId>, actor: &ActorId) -> Option<u32> {
    let index = match actors.iter().position(|a| a == actor) {
        Some(index) => index,
        None => {
            actors.push(actor.clone());
            actors.len() - 1
        }
    };
    u32::try_from(index).ok()
}

fn id_of(actors: &mut Vec<ActorId>, id: &OpId) -> Option<Id> {
    Some(Id {
        counter: id.counter(),
        actor: actor_index(actors, id.actor())?,
    })
}

fn value_of(value: &ScalarValue, own_id: &str) -> Value {
    match value {
        ScalarValue::Str(text) if text.as_str() == own_id => Value::OwnId,
        ScalarValue::Str(text) => Value::Str(text.to_string()),
        ScalarValue::Bytes(bytes) => Value::Bytes(bytes.clone()),
        ScalarValue::Int(n) => Value::Int(*n),
        ScalarValue::Uint(n) => Value::Uint(*n),
        ScalarValue::F64(n) => Value::F64(*n),
        ScalarValue::Counter(counter) => Value::Counter(i64::from(counter)),
        ScalarValue::Timestamp(t) => Value::Timestamp(*t),
        ScalarValue::Boolean(b) => Value::Boolean(*b),
        ScalarValue::Unknown { type_code, bytes } => Value::Unknown(*type_code, bytes.clone()),
        ScalarValue::Null => Value::Null,
    }
}

// --- decoding ------------------------------------------------------------------------------

/// Rebuilds a run's changes, stopping once their bytes pass `max_bytes`.
fn rebuild(run: &Run, own_id: &str, max_bytes: usize) -> Result<Vec<Change>, CompactError> {
    if run.actors.is_empty() || run.actors.len() > MAX_ACTORS {
        return Err(malformed(format!(
            "{} actors; a run names 1 to {MAX_ACTORS}",
            run.actors.len()
        )));
    }
    if let Some(long) = run.actors.iter().find(|a| a.len() > MAX_ACTOR_BYTES) {
        return Err(malformed(format!(
            "an actor id of {} bytes, longer than {MAX_ACTOR_BYTES}",
            long.len()
        )));
    }
    let actors: Vec<ActorId> = run.actors.iter().map(|a| ActorId::from(&a[..])).collect();
    let actor = |index: u32| -> Result<&ActorId, CompactError> {
        actors
            .get(index as usize)
            .ok_or_else(|| malformed(format!("actor {index} is not in the run's table")))
    };
    let op_id = |id: &Id| -> Result<OpId, CompactError> {
        if id.counter == 0 {
            return Err(malformed("an operation id with counter 0"));
        }
        Ok(OpId::new(id.counter, actor(id.actor)?))
    };
    let mut changes: Vec<Change> = Vec::with_capacity(run.changes.len());
    let mut size = 0usize;
    let mut time = 0i64;
    for (index, compact) in run.changes.iter().enumerate() {
        let change_actor = actor(compact.actor)?;
        let start_op = std::num::NonZeroU64::new(compact.start_op)
            .ok_or_else(|| malformed("a change starting at operation 0"))?;
        time = time
            .checked_add(compact.time)
            .ok_or_else(|| malformed("a change time out of range"))?;
        let deps = compact
            .deps
            .iter()
            .map(|dep| match dep {
                Dep::Hash(hash) => Ok(ChangeHash(*hash)),
                Dep::Back(back) => index
                    .checked_sub(*back as usize)
                    .filter(|_| *back > 0)
                    .and_then(|at| changes.get(at))
                    .map(Change::hash)
                    .ok_or_else(|| malformed(format!("a dependency {back} changes back"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut operations = Vec::with_capacity(compact.ops.len());
        let mut previous_obj: Option<ObjectId> = None;
        for (offset, op) in compact.ops.iter().enumerate() {
            let own_counter = compact
                .start_op
                .checked_add(offset as u64)
                .ok_or_else(|| malformed("an operation counter out of range"))?;
            let obj = match &op.obj {
                Obj::Root => ObjectId::Root,
                Obj::Same => previous_obj
                    .clone()
                    .ok_or_else(|| malformed("\"same object\" on a change's first operation"))?,
                Obj::Back(back) => {
                    let counter = own_counter
                        .checked_sub(*back)
                        .filter(|&c| c > 0 && *back > 0)
                        .ok_or_else(|| malformed("an object created before operation 1"))?;
                    ObjectId::Id(OpId::new(counter, change_actor))
                }
                Obj::Id(id) => ObjectId::Id(op_id(id)?),
            };
            previous_obj = Some(obj.clone());
            let key = match &op.key {
                Key::Map(name) => legacy::Key::Map(name.as_str().into()),
                Key::Head => legacy::Key::Seq(ElementId::Head),
                Key::Elem(id) => legacy::Key::Seq(ElementId::Id(op_id(id)?)),
            };
            let action = match &op.action {
                Action::Make(Made::Map) => OpType::Make(ObjType::Map),
                Action::Make(Made::List) => OpType::Make(ObjType::List),
                Action::Make(Made::Text) => OpType::Make(ObjType::Text),
                Action::Make(Made::Table) => OpType::Make(ObjType::Table),
                Action::Delete => OpType::Delete,
                Action::Increment(by) => OpType::Increment(*by),
                Action::Put(value) => OpType::Put(scalar(value, own_id)),
            };
            let pred: SortedVec<OpId> = op
                .pred
                .iter()
                .map(&op_id)
                .collect::<Result<Vec<_>, _>>()?
                .into();
            operations.push(legacy::Op {
                action,
                obj,
                key,
                pred,
                insert: op.insert,
            });
        }
        let expanded = ExpandedChange {
            operations,
            actor_id: change_actor.clone(),
            hash: None,
            seq: compact.seq,
            start_op,
            time,
            message: compact.message.clone(),
            deps,
            extra_bytes: compact.extra.clone(),
            author: None,
        };
        let change = catch_unwind(AssertUnwindSafe(|| Change::from(expanded)))
            .map_err(|_| CompactError::Panicked)?;
        size = size.saturating_add(change.raw_bytes().len());
        if size > max_bytes {
            return Err(CompactError::TooLarge {
                size,
                limit: max_bytes,
            });
        }
        changes.push(change);
    }
    if fold(changes.iter().map(Change::hash)) != run.check {
        return Err(CompactError::Mismatch);
    }
    Ok(changes)
}

fn scalar(value: &Value, own_id: &str) -> ScalarValue {
    match value {
        Value::Null => ScalarValue::Null,
        Value::Str(text) => ScalarValue::Str(text.as_str().into()),
        Value::OwnId => ScalarValue::Str(own_id.into()),
        Value::Int(n) => ScalarValue::Int(*n),
        Value::Uint(n) => ScalarValue::Uint(*n),
        Value::F64(n) => ScalarValue::F64(*n),
        Value::Counter(n) => ScalarValue::counter(*n),
        Value::Timestamp(t) => ScalarValue::Timestamp(*t),
        Value::Boolean(b) => ScalarValue::Boolean(*b),
        Value::Bytes(bytes) => ScalarValue::Bytes(bytes.clone()),
        Value::Unknown(type_code, bytes) => ScalarValue::Unknown {
            type_code: *type_code,
            bytes: bytes.clone(),
        },
    }
}
