//! What automerge applies but cannot save: changes whose op counters or sequence numbers
//! break the rules of its saved format.
//!
//! automerge 0.12 applies a change without checking where its operations are numbered, but
//! its saved document does not store each change's first operation number (`start_op`): it
//! stores each change's last one (`max_op`) and, on load, derives the first as one more than
//! the largest `max_op` of the change's dependencies. It also requires each actor's changes
//! to follow one another (sequence numbers 1, 2, 3, each a descendant of the one before).
//! A change that breaks either rule (a forged one: automerge never writes such a change)
//! is applied without complaint, and from then on the document saves into bytes that do not
//! load ("mismatching heads", "max_op is lower than start_op"): one push would destroy a
//! submission on the server and, after a pull, on the phone that made it.
//!
//! So every change that arrives from outside is checked against these rules before it is
//! kept: [`check_order`] runs after the changes are applied to a throwaway copy, over the
//! copy's full change list.

use std::collections::{HashMap, HashSet};

use automerge::{ActorId, AutoCommit, Change, ChangeHash, ChangeMetadata};

use crate::error::{Limits, LoadError};

/// What [`check_order`] needs of a received change: what its own chunk says, not what
/// automerge derived from it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    hash: ChangeHash,
    actor: ActorId,
    seq: u64,
    start_op: u64,
    max_op: u64,
    deps: Vec<ChangeHash>,
}

impl Received {
    pub(crate) fn of(change: &Change) -> Received {
        Received {
            hash: change.hash(),
            actor: change.actor_id().clone(),
            seq: change.seq(),
            start_op: change.start_op().get(),
            max_op: change.max_op(),
            deps: change.deps().to_vec(),
        }
    }

    /// A change of a document as automerge lists it after applying it. Its first operation
    /// number is what the change said (automerge keeps each applied change's length), not
    /// one derived from its dependencies as in a document loaded from saved bytes.
    pub(crate) fn of_meta(meta: &ChangeMetadata<'_>) -> Received {
        Received {
            hash: meta.hash,
            actor: meta.actor.clone().into_owned(),
            seq: meta.seq,
            start_op: meta.start_op,
            max_op: meta.max_op,
            deps: meta.deps.clone(),
        }
    }
}

/// A change of the document, as far as the order rules need it.
struct Node {
    max_op: u64,
    deps: Vec<ChangeHash>,
}

/// Checks that every change in `received` obeys automerge's numbering rules, given the
/// changes `doc` holds (leaving out those in `received`, when they were applied already):
///
/// - its first operation number is one more than the largest last operation number among
///   its dependencies (1 when it has none), as automerge numbers every change it writes;
/// - its sequence number is unused by its actor, and when it is not 1, one more than the
///   actor's change before it, which must be among its ancestors.
///
/// Changes the document holds are trusted: they passed this check when they arrived.
/// Received changes the document already holds are skipped. Returns how many changes the
/// document holds with the received ones, and refuses more than `limits.max_changes`.
///
/// # Errors
///
/// [`LoadError::TooManyChanges`], [`LoadError::MissingDependencies`] for a dependency
/// neither held nor received, or [`LoadError::OutOfOrder`] naming the first change that
/// breaks a rule.
pub(crate) fn check_order(
    doc: &mut AutoCommit,
    received: &[Received],
    limits: &Limits,
) -> Result<usize, LoadError> {
    let received_hashes: HashSet<ChangeHash> = received.iter().map(|c| c.hash).collect();
    let metas = doc.get_changes_meta(&[]);
    let mut nodes: HashMap<ChangeHash, Node> = HashMap::with_capacity(metas.len());
    let mut by_seq: HashMap<(ActorId, u64), ChangeHash> = HashMap::with_capacity(metas.len());
    let mut held = HashSet::new();
    for meta in metas {
        if received_hashes.contains(&meta.hash) {
            // Applied already (an incremental load): checked below like the others.
            continue;
        }
        held.insert(meta.hash);
        by_seq.insert((meta.actor.into_owned(), meta.seq), meta.hash);
        nodes.insert(
            meta.hash,
            Node {
                max_op: meta.max_op,
                deps: meta.deps,
            },
        );
    }
    let new: Vec<&Received> = received
        .iter()
        .filter(|change| !held.contains(&change.hash))
        .collect();
    for change in &new {
        let previous = by_seq.insert((change.actor.clone(), change.seq), change.hash);
        if previous.is_some_and(|previous| previous != change.hash) {
            return Err(LoadError::OutOfOrder {
                change: change.hash.to_string(),
                rule: "its actor already made another change with the same sequence number",
            });
        }
        nodes.insert(
            change.hash,
            Node {
                max_op: change.max_op,
                deps: change.deps.clone(),
            },
        );
    }
    if nodes.len() > limits.max_changes {
        return Err(LoadError::TooManyChanges {
            count: nodes.len(),
            limit: limits.max_changes,
        });
    }
    let missing = new
        .iter()
        .flat_map(|change| change.deps.iter())
        .filter(|dep| !nodes.contains_key(dep))
        .collect::<HashSet<_>>()
        .len();
    if missing > 0 {
        return Err(LoadError::MissingDependencies { count: missing });
    }
    for change in &new {
        let out_of_order = |rule: &'static str| LoadError::OutOfOrder {
            change: change.hash.to_string(),
            rule,
        };
        let expected_start = change
            .deps
            .iter()
            .filter_map(|dep| nodes.get(dep))
            .map(|node| node.max_op)
            .max()
            .unwrap_or(0)
            .saturating_add(1);
        if change.start_op != expected_start {
            return Err(out_of_order(
                "its first operation number is not one more than the last of the changes it depends on",
            ));
        }
        if change.seq == 0 {
            return Err(out_of_order("its sequence number is 0"));
        }
        if change.seq > 1 {
            let Some(&previous) = by_seq.get(&(change.actor.clone(), change.seq - 1)) else {
                return Err(out_of_order(
                    "its actor's change before it (by sequence number) is not in the document",
                ));
            };
            if !is_ancestor(&nodes, previous, &change.deps) {
                return Err(out_of_order(
                    "its actor's change before it (by sequence number) is not among its ancestors",
                ));
            }
        }
        // A first change (sequence number 1) needs nothing more: its number is unused (see
        // above), and an earlier change of the same actor among its ancestors would need
        // this one among theirs.
    }
    Ok(nodes.len())
}

/// Whether `target` is `deps` or one of their ancestors. Operation numbers only grow along
/// dependencies (the rule checked above), so the walk skips every change whose last
/// operation number is below the target's: the target cannot be behind it.
fn is_ancestor(nodes: &HashMap<ChangeHash, Node>, target: ChangeHash, deps: &[ChangeHash]) -> bool {
    let Some(floor) = nodes.get(&target).map(|node| node.max_op) else {
        return false;
    };
    let mut seen: HashSet<ChangeHash> = HashSet::new();
    let mut stack: Vec<ChangeHash> = deps.to_vec();
    while let Some(hash) = stack.pop() {
        if hash == target {
            return true;
        }
        if !seen.insert(hash) {
            continue;
        }
        if let Some(node) = nodes.get(&hash)
            && node.max_op >= floor
        {
            stack.extend(node.deps.iter().copied());
        }
    }
    false
}
