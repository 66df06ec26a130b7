#![cfg(not(target_arch = "wasm32"))]
//! Property tests: merging forks with random edits converges whatever the order, merging
//! twice changes nothing, and save → load round trips.

mod common;

use common::*;
use letsema_doc::*;
use proptest::prelude::*;

const FIELDS: [&str; 3] = ["age", "city", "profession"];
const SETS: [&str; 2] = ["citizenships", "languages"];
const CHOICES: [&str; 5] = ["ls", "za", "gb", "us", "bw"];
const WORDS: [&str; 4] = ["a", "b", "c", "d"];

#[derive(Debug, Clone)]
enum Op {
    Text(usize, usize),
    Choices(usize, u8),
    Clear(usize),
    AddInstance(usize),
    EditInstance(usize, usize),
    RemoveInstance(usize),
    WholeRepeat(Vec<usize>),
    Status(usize),
    Comment(usize),
    Withdraw(bool),
    ResolveFirst(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        (0..FIELDS.len(), 0..WORDS.len()).prop_map(|(f, w)| Op::Text(f, w)),
        (0..SETS.len(), any::<u8>()).prop_map(|(s, bits)| Op::Choices(s, bits)),
        (0..FIELDS.len()).prop_map(Op::Clear),
        (0..WORDS.len()).prop_map(Op::AddInstance),
        (0..8usize, 0..WORDS.len()).prop_map(|(i, w)| Op::EditInstance(i, w)),
        (0..8usize).prop_map(Op::RemoveInstance),
        proptest::collection::vec(0..WORDS.len(), 0..3).prop_map(Op::WholeRepeat),
        (0..4usize).prop_map(Op::Status),
        (0..WORDS.len()).prop_map(Op::Comment),
        any::<bool>().prop_map(Op::Withdraw),
        (0..4usize).prop_map(Op::ResolveFirst),
    ]
}

const STATUSES: [ReviewStatus; 4] = [
    ReviewStatus::Received,
    ReviewStatus::HasIssues,
    ReviewStatus::Approved,
    ReviewStatus::Rejected,
];

fn apply(doc: &mut SubmissionDoc, op: &Op, at: Timestamp) {
    let repeat = AnswerPath::field("qualifications");
    let result = match op {
        Op::Text(f, w) => doc.set_answer(FIELDS[*f], &text(WORDS[*w]), at),
        Op::Choices(s, bits) => {
            let chosen = CHOICES
                .iter()
                .enumerate()
                .filter(|(i, _)| bits & (1 << i) != 0)
                .map(|(_, c)| *c);
            doc.set_answer(SETS[*s], &Answer::multiple(chosen), at)
        }
        Op::Clear(f) => doc.clear_answer(&AnswerPath::field(FIELDS[*f]), at),
        Op::AddInstance(w) => doc
            .add_repeat_instance(&repeat, &Answers::new().with("degree", text(WORDS[*w])), at)
            .map(|_| ()),
        Op::EditInstance(i, w) => {
            let instances = doc.repeat_instances(&repeat);
            match instances.get(i % instances.len().max(1)) {
                Some(instance) => {
                    doc.set_answer_at(&repeat.child(&instance.id, "year"), &text(WORDS[*w]), at)
                }
                None => Ok(()),
            }
        }
        Op::RemoveInstance(i) => {
            let instances = doc.repeat_instances(&repeat);
            match instances.get(i % instances.len().max(1)) {
                Some(instance) => doc.remove_repeat_instance(&repeat, &instance.id, at),
                None => Ok(()),
            }
        }
        Op::WholeRepeat(words) => {
            let instances = words
                .iter()
                .map(|w| Answers::new().with("degree", text(WORDS[*w])))
                .collect();
            doc.set_answer("qualifications", &Answer::Repeat(instances), at)
        }
        Op::Status(s) => doc.set_review_status(STATUSES[*s], at),
        Op::Comment(w) => doc.add_comment(WORDS[*w], at).map(|_| ()),
        Op::Withdraw(flag) => doc.set_withdrawn(*flag, at),
        Op::ResolveFirst(pick) => match doc.conflicts().first() {
            Some(conflict) => {
                let value = conflict.values[pick % conflict.values.len()].value.clone();
                doc.resolve(&conflict.field, &value, at)
            }
            None => Ok(()),
        },
    };
    result.expect("every generated edit is valid");
}

/// One replica: forked from an earlier one (index), then edited.
#[derive(Debug, Clone)]
struct Replica {
    parent: usize,
    ops: Vec<Op>,
}

fn replicas() -> impl Strategy<Value = Vec<Replica>> {
    proptest::collection::vec(
        (any::<usize>(), proptest::collection::vec(op(), 0..6))
            .prop_map(|(parent, ops)| Replica { parent, ops }),
        1..5,
    )
}

/// Builds the documents: the base, then each replica forked from an earlier document.
fn build(replicas: &[Replica]) -> Vec<SubmissionDoc> {
    let mut base = created();
    base.set_answer("citizenships", &Answer::multiple(["ls"]), t(1))
        .expect("set");
    base.set_answer("languages", &Answer::multiple(["en"]), t(1))
        .expect("set");
    base.set_answer("qualifications", &Answer::Repeat(vec![]), t(1))
        .expect("set");
    let mut docs = vec![base];
    let mut clock = 10;
    for (index, replica) in replicas.iter().enumerate() {
        let session = u8::try_from(index + 10).expect("few replicas");
        // Even replicas share a device: two tabs on one phone.
        let device = format!("device-{}", index % 3);
        let parent = replica.parent % docs.len();
        let mut doc = docs[parent].fork(writer(&device, session, Some("user")));
        for op in &replica.ops {
            clock += 1;
            apply(&mut doc, op, t(clock));
        }
        docs.push(doc);
    }
    docs
}

/// Everything a reader can see, for comparing replicas.
#[derive(Debug, PartialEq)]
struct Observed {
    heads: Vec<ChangeHash>,
    answers: Answers,
    review: Review,
    withdrawn: bool,
    conflicts: Vec<Conflict>,
}

fn observe(doc: &mut SubmissionDoc) -> Observed {
    let mut heads = doc.heads();
    heads.sort();
    Observed {
        heads,
        answers: doc.answers(),
        review: doc.review(),
        withdrawn: doc.is_withdrawn(),
        conflicts: doc.conflicts(),
    }
}

/// Merges all documents in `order` into a fresh copy of the first one.
fn merge_in(docs: &mut [SubmissionDoc], order: &[usize]) -> SubmissionDoc {
    let mut target = docs[order[0]].fork(writer("merger", 99, None));
    for &index in &order[1..] {
        target.merge(&mut docs[index]).expect("same submission");
    }
    target
}

fn orders(len: usize) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    let order: Vec<usize> = (0..len).collect();
    (
        Just(order.clone()).prop_shuffle(),
        Just(order).prop_shuffle(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn merging_in_any_order_or_twice_gives_the_same_document(
        (replicas, (first, second)) in replicas().prop_flat_map(|r| {
            let len = r.len() + 1;
            (Just(r), orders(len))
        })
    ) {
        let mut docs = build(&replicas);
        let mut one = merge_in(&mut docs, &first);
        let mut other = merge_in(&mut docs, &second);
        let seen = observe(&mut one);
        prop_assert_eq!(&seen, &observe(&mut other));

        // Merging everything again changes nothing.
        for doc in docs.iter_mut() {
            one.merge(doc).expect("same submission");
        }
        let mut again = other.fork(writer("merger", 98, None));
        one.merge(&mut again).expect("same submission");
        prop_assert_eq!(&seen, &observe(&mut one));

        // And history is the same set of field changes on both.
        let mut h1 = one.history();
        let mut h2 = other.history();
        h1.sort_by_key(|c| format!("{c:?}"));
        h2.sort_by_key(|c| format!("{c:?}"));
        prop_assert_eq!(h1, h2);
    }

    #[test]
    fn save_then_load_round_trips(replicas in replicas()) {
        let mut docs = build(&replicas);
        let order: Vec<usize> = (0..docs.len()).collect();
        let mut merged = merge_in(&mut docs, &order);
        let mut loaded = SubmissionDoc::load(&merged.save(), laptop()).expect("loads");
        prop_assert_eq!(observe(&mut merged), observe(&mut loaded));
        prop_assert_eq!(merged.meta(), loaded.meta());
        let mut h1 = merged.history();
        let mut h2 = loaded.history();
        h1.sort_by_key(|c| format!("{c:?}"));
        h2.sort_by_key(|c| format!("{c:?}"));
        prop_assert_eq!(h1, h2);

        // Incremental saves applied in sequence reach the same document.
        let mut base = SubmissionDoc::load(&docs[0].save(), laptop()).expect("loads");
        let mut follower = base.fork(writer("follower", 97, None));
        let mut source = base.fork(writer("source", 96, None));
        source.save();
        source.merge(&mut merged).expect("merge");
        let delta = source.save_incremental();
        follower.load_incremental(&delta, &Limits::default()).expect("applies");
        prop_assert_eq!(observe(&mut follower), observe(&mut merged));
    }

    #[test]
    fn compact_changes_rebuild_exactly_the_same_chunks(
        (replicas, pick) in replicas().prop_flat_map(|r| {
            let len = r.len() + 1;
            (Just(r), 0..len + 1)
        })
    ) {
        let mut docs = build(&replicas);
        let order: Vec<usize> = (0..docs.len()).collect();
        let mut merged = merge_in(&mut docs, &order);
        // From nothing (a first push), or from what one replica holds (a later push).
        let base = match docs.get_mut(pick) {
            Some(replica) => replica.heads(),
            None => Vec::new(),
        };
        let raw = merged.changes_after(&base);
        match merged.compact_changes_after(&base) {
            None => prop_assert!(raw.is_empty(), "every submission change encodes"),
            Some(compact) => {
                let id = merged.meta().submission_id.clone();
                let rebuilt = expand_compact(&compact, &id, &Limits::default());
                prop_assert_eq!(rebuilt, Ok(raw.clone()));

                // Applied as decoded (`BuiltChanges`, no second parse), they give the same
                // document as the chunks.
                let (chunks, built) = expand_compact_built(&compact, &id, &Limits::default())
                    .expect("rebuilds");
                prop_assert_eq!(&chunks, &raw);
                let as_chunks = match docs.get_mut(pick) {
                    Some(replica) => {
                        let mut copy = SubmissionDoc::load(&replica.save(), laptop()).expect("loads");
                        copy.apply_changes(&chunks, &Limits::default()).map(|_| copy)
                    }
                    None => SubmissionDoc::from_changes(&chunks, laptop(), &Limits::default()),
                };
                let as_built = match docs.get_mut(pick) {
                    Some(replica) => {
                        let mut copy = SubmissionDoc::load(&replica.save(), laptop()).expect("loads");
                        copy.apply_built(built, &Limits::default()).map(|_| copy)
                    }
                    None => SubmissionDoc::from_built(built, laptop(), &Limits::default()),
                };
                match (as_chunks, as_built) {
                    (Ok(mut a), Ok(mut b)) => prop_assert_eq!(observe(&mut a), observe(&mut b)),
                    (a, b) => prop_assert_eq!(a.is_ok(), b.is_ok(), "both apply or neither"),
                }
            }
        }
    }
}
