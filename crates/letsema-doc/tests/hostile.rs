//! Bytes from outside: corrupted, truncated, oversized, forged or ill-typed input gives a
//! typed error, never a panic.

mod common;

use std::sync::Once;

use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjType, ROOT, ReadDoc};
use common::*;
use letsema_doc::*;
use sha2::{Digest, Sha256};

/// Keeps the test output readable: panics raised (and caught) inside automerge and its
/// dependencies are not printed; every other panic, such as a failed assertion, still is.
fn quiet_dependency_panics() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_dependency = info.location().is_some_and(|location| {
                let file = location.file();
                file.contains(".cargo/registry") || file.starts_with("/rustc/")
            });
            if !in_dependency {
                default(info);
            }
        }));
    });
}

/// A small deterministic random generator, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("fits")
    }
}

/// A submission with a bit of everything, saved.
fn rich_document() -> SubmissionDoc {
    let mut doc = created();
    let answers: Answers = serde_json::from_value(serde_json::json!({
        "consent": "yes",
        "age": "34",
        "citizenships": ["ls", "za"],
        "qualifications": [{"degree": "BSc", "year": "2010"}, {"degree": "MPH"}]
    }))
    .expect("answers");
    doc.set_answers(&answers, t(1)).expect("answers");
    doc.set_review_status(ReviewStatus::HasIssues, t(2))
        .expect("status");
    doc.add_comment("Check the year.", t(3)).expect("comment");
    doc
}

/// Where a chunk's checksummed part starts and ends: automerge chunks are
/// `magic(4) checksum(4) type(1) length(uLEB128) data`.
fn chunk_body(bytes: &[u8]) -> (usize, usize) {
    let mut pos = 9;
    let mut len = 0usize;
    let mut shift = 0;
    loop {
        let byte = bytes[pos];
        len |= usize::from(byte & 0x7f) << shift;
        pos += 1;
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    (pos, pos + len)
}

/// Rewrites the checksum of the chunk at the start of `bytes`, as an attacker would.
fn fix_checksum(bytes: &mut [u8], end: usize) {
    let digest = Sha256::digest(&bytes[8..end]);
    bytes[4..8].copy_from_slice(&digest[..4]);
}

/// Using a document that loaded must not panic either.
fn exercise(mut doc: SubmissionDoc) {
    doc.answers();
    doc.review();
    doc.conflicts();
    doc.history();
    doc.save();
}

#[test]
fn oversized_input_is_refused_before_decoding() {
    let bytes = rich_document().save();
    let limits = Limits {
        max_document_bytes: bytes.len() - 1,
        ..Limits::default()
    };
    let result = SubmissionDoc::load_with_limits(&bytes, laptop(), &limits);
    assert!(
        matches!(result, Err(LoadError::TooLarge { .. })),
        "{result:?}"
    );
    let mut doc = created();
    let limits = Limits {
        max_incremental_bytes: 10,
        ..Limits::default()
    };
    let result = doc.load_incremental(&bytes, &limits);
    assert!(
        matches!(result, Err(LoadError::TooLarge { .. })),
        "{result:?}"
    );
}

#[test]
fn too_many_changes_are_refused() {
    let bytes = rich_document().save();
    let limits = Limits {
        max_changes: 2,
        ..Limits::default()
    };
    let result = SubmissionDoc::load_with_limits(&bytes, laptop(), &limits);
    assert!(
        matches!(
            result,
            Err(LoadError::TooManyChanges { count: 4, limit: 2 })
        ),
        "{result:?}"
    );
}

#[test]
fn empty_random_and_truncated_input_is_an_error() {
    quiet_dependency_panics();
    assert!(SubmissionDoc::load(&[], laptop()).is_err());
    let mut rng = Rng(0x5eed_0001);
    for len in [1, 7, 8, 9, 16, 64, 300] {
        let bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        assert!(SubmissionDoc::load(&bytes, laptop()).is_err());
    }
    let bytes = rich_document().save();
    for len in 0..bytes.len() {
        assert!(
            SubmissionDoc::load(&bytes[..len], laptop()).is_err(),
            "a document truncated to {len} bytes loaded"
        );
    }
}

#[test]
fn mutated_documents_never_panic_even_with_a_valid_checksum() {
    quiet_dependency_panics();
    let bytes = rich_document().save();
    let (start, end) = chunk_body(&bytes);
    assert_eq!(end, bytes.len(), "one chunk");
    let mut rng = Rng(0x5eed_0002);
    let (mut loaded, mut panicked, mut failed) = (0, 0, 0);
    for round in 0..3000 {
        let mut mutated = bytes.clone();
        for _ in 0..=rng.below(3) {
            let at = start + rng.below(end - start);
            mutated[at] = if round % 2 == 0 {
                mutated[at] ^ (1 << rng.below(8))
            } else {
                rng.next() as u8
            };
        }
        // Half the time leave the checksum wrong, half the time forge it.
        if round % 4 < 2 {
            fix_checksum(&mut mutated, end);
        }
        match SubmissionDoc::load(&mutated, laptop()) {
            Ok(doc) => {
                loaded += 1;
                exercise(doc);
            }
            Err(LoadError::Panicked) => panicked += 1,
            Err(_) => failed += 1,
        }
    }
    println!("mutated documents: {loaded} loaded, {failed} refused, {panicked} panics caught");
    assert!(failed > 2000, "most mutations are refused: {failed}");
}

#[test]
fn mutated_incremental_changes_never_panic_and_leave_the_document_unchanged() {
    quiet_dependency_panics();
    let mut base = created();
    base.save();
    let mut writer_doc = SubmissionDoc::load(&base.save(), laptop()).expect("load");
    writer_doc
        .set_answer("city", &text("Bloemfontein"), t(1))
        .expect("city");
    writer_doc.save_incremental();
    writer_doc
        .set_answer("citizenships", &Answer::multiple(["ls", "za"]), t(2))
        .expect("set");
    let mut full = writer_doc.save_after_base(&mut base);
    let (start, end) = chunk_body(&full);
    full.truncate(end);
    let heads = base.heads();
    let mut rng = Rng(0x5eed_0003);
    for round in 0..1500 {
        let mut mutated = full.clone();
        let at = start + rng.below(end - start);
        mutated[at] ^= 1 << rng.below(8);
        if round % 2 == 0 {
            fix_checksum(&mut mutated, end);
        }
        let mut target =
            SubmissionDoc::load(&base.save(), writer("server", 9, None)).expect("load");
        match target.load_incremental(&mutated, &Limits::default()) {
            Ok(()) => exercise(target),
            Err(_) => assert_eq!(
                target.heads(),
                heads,
                "a failed load leaves the document as it was"
            ),
        }
    }
}

/// The first change chunk a writer made after `base`.
trait SaveAfter {
    fn save_after_base(&mut self, base: &mut SubmissionDoc) -> Vec<u8>;
}

impl SaveAfter for SubmissionDoc {
    fn save_after_base(&mut self, base: &mut SubmissionDoc) -> Vec<u8> {
        // The document's hashes as automerge's own type: the same 32 bytes.
        let heads: Vec<automerge::ChangeHash> = base
            .heads()
            .iter()
            .map(|hash| automerge::ChangeHash(hash.0))
            .collect();
        let mut raw = AutoCommit::load(&self.save()).expect("valid");
        raw.save_after(&heads)
    }
}

/// An edit made with raw automerge, as a forger would.
type Forge = Box<dyn FnOnce(&mut AutoCommit)>;

/// Loads a valid submission as raw automerge, lets `forge` change it, and loads the result.
fn forged(forge: impl FnOnce(&mut AutoCommit)) -> Result<SubmissionDoc, LoadError> {
    let mut raw = AutoCommit::load(&rich_document().save()).expect("valid");
    forge(&mut raw);
    SubmissionDoc::load(&raw.save(), laptop())
}

fn meta_obj(raw: &AutoCommit) -> automerge::ObjId {
    match raw.get(ROOT, "meta").expect("get") {
        Some((_, id)) => id,
        None => panic!("meta is missing"),
    }
}

#[test]
fn a_document_that_is_not_a_submission_is_a_schema_error() {
    let mut raw = AutoCommit::new();
    raw.put(ROOT, "hello", "world").expect("put");
    let result = SubmissionDoc::load(&raw.save(), laptop());
    assert!(
        matches!(
            result,
            Err(LoadError::Schema(SchemaError::NotASubmission {
                found: None
            }))
        ),
        "{result:?}"
    );
    let result = forged(|raw| {
        raw.put(ROOT, "schema", "letsema.submission/99")
            .expect("put");
    });
    assert!(
        matches!(
            result,
            Err(LoadError::Schema(SchemaError::NotASubmission {
                found: Some(_)
            }))
        ),
        "{result:?}"
    );
}

#[test]
fn missing_or_ill_typed_meta_is_a_schema_error() {
    let cases: Vec<(&str, Forge)> = vec![
        (
            "meta/submission_id",
            Box::new(|raw| {
                let meta = meta_obj(raw);
                raw.put(&meta, "submission_id", "not-a-uuid").expect("put");
            }),
        ),
        (
            "meta/form_id",
            Box::new(|raw| {
                let meta = meta_obj(raw);
                raw.delete(&meta, "form_id").expect("delete");
            }),
        ),
        (
            "meta/created_at",
            Box::new(|raw| {
                let meta = meta_obj(raw);
                raw.put(&meta, "created_at", "yesterday").expect("put");
            }),
        ),
        (
            "meta",
            Box::new(|raw| {
                raw.put(ROOT, "meta", 42).expect("put");
            }),
        ),
    ];
    for (path, forge) in cases {
        let result = forged(forge);
        match result {
            Err(LoadError::Schema(SchemaError::Invalid { path: found, .. })) => {
                assert_eq!(found, path);
            }
            other => panic!("{path}: expected a schema error, got {other:?}"),
        }
    }
}

#[test]
fn ill_typed_answers_review_and_flags_are_schema_errors() {
    let answers = |raw: &AutoCommit| match raw.get(ROOT, "answers").expect("get") {
        Some((_, id)) => id,
        None => panic!("answers missing"),
    };
    let cases: Vec<Forge> = vec![
        Box::new(move |raw| {
            let a = answers(raw);
            raw.put(&a, "age", 34).expect("put");
        }),
        Box::new(move |raw| {
            let a = answers(raw);
            let set = raw.put_object(&a, "languages", ObjType::Map).expect("put");
            raw.put(&set, "en", "yes").expect("put");
        }),
        Box::new(move |raw| {
            let a = answers(raw);
            let list = raw.put_object(&a, "jobs", ObjType::List).expect("put");
            raw.insert(&list, 0, "not an instance").expect("insert");
        }),
        Box::new(|raw| {
            let review = match raw.get(ROOT, "review").expect("get") {
                Some((_, id)) => id,
                None => panic!("review missing"),
            };
            raw.put(&review, "status", "lost").expect("put");
        }),
        Box::new(|raw| {
            let review = match raw.get(ROOT, "review").expect("get") {
                Some((_, id)) => id,
                None => panic!("review missing"),
            };
            raw.put(&review, "duplicate_of", "not a submission id")
                .expect("put");
        }),
        Box::new(|raw| {
            let review = match raw.get(ROOT, "review").expect("get") {
                Some((_, id)) => id,
                None => panic!("review missing"),
            };
            raw.put(&review, "merges", 7).expect("put");
        }),
        Box::new(|raw| {
            raw.put(ROOT, "withdrawn", "yes").expect("put");
        }),
    ];
    for (index, forge) in cases.into_iter().enumerate() {
        let result = forged(forge);
        assert!(
            matches!(result, Err(LoadError::Schema(SchemaError::Invalid { .. }))),
            "case {index}: {result:?}"
        );
    }
}

#[test]
fn repeats_nested_too_deep_are_a_schema_error() {
    let result = forged(|raw| {
        let mut map = match raw.get(ROOT, "answers").expect("get") {
            Some((_, id)) => id,
            None => panic!("answers missing"),
        };
        for _ in 0..=MAX_DEPTH + 1 {
            let list = raw.put_object(&map, "nested", ObjType::List).expect("list");
            map = raw.insert_object(&list, 0, ObjType::Map).expect("instance");
        }
    });
    assert!(
        matches!(result, Err(LoadError::Schema(SchemaError::TooDeep { .. }))),
        "{result:?}"
    );
}

#[test]
fn an_ill_typed_value_hidden_behind_a_valid_concurrent_one_is_a_schema_error() {
    // The check reads each map and list in one pass (winning values only) and every
    // concurrent value only where there are several: the losing values are still checked,
    // whichever side wins, for an answer, a select_multiple choice and a repeat instance.
    type Write = fn(&mut AutoCommit, &automerge::ObjId);
    let answers = |raw: &AutoCommit| match raw.get(ROOT, "answers").expect("get") {
        Some((_, id)) => id,
        None => panic!("answers missing"),
    };
    let cases: [(Write, Write); 3] = [
        (
            |raw, a| raw.put(a, "age", "34").expect("put"),
            |raw, a| raw.put(a, "age", 34).expect("put"),
        ),
        (
            |raw, a| {
                let set = raw.put_object(a, "languages", ObjType::Map).expect("put");
                raw.put(&set, "en", true).expect("put");
            },
            |raw, a| {
                let set = raw.put_object(a, "languages", ObjType::Map).expect("put");
                raw.put(&set, "en", "yes").expect("put");
            },
        ),
        (
            |raw, a| {
                let list = raw.put_object(a, "jobs", ObjType::List).expect("put");
                raw.insert_object(&list, 0, ObjType::Map).expect("instance");
            },
            |raw, a| {
                let list = raw.put_object(a, "jobs", ObjType::List).expect("put");
                raw.insert(&list, 0, "not an instance").expect("insert");
            },
        ),
    ];
    for (index, (valid, invalid)) in cases.into_iter().enumerate() {
        for valid_first in [true, false] {
            let mut raw = AutoCommit::load(&rich_document().save()).expect("valid");
            let mut other = raw.fork();
            let a = answers(&raw);
            let (mine, theirs) = if valid_first {
                (valid, invalid)
            } else {
                (invalid, valid)
            };
            mine(&mut raw, &a);
            theirs(&mut other, &a);
            raw.merge(&mut other).expect("merge");
            let result = SubmissionDoc::load(&raw.save(), laptop());
            assert!(
                matches!(result, Err(LoadError::Schema(SchemaError::Invalid { .. }))),
                "case {index}, valid first {valid_first}: {result:?}"
            );
        }
    }
}

#[test]
fn meta_written_concurrently_is_a_schema_error() {
    let mut raw = AutoCommit::load(&rich_document().save()).expect("valid");
    let mut other = raw.fork();
    let meta = meta_obj(&raw);
    raw.put(&meta, "form_version", "1").expect("put");
    other.put(&meta, "form_version", "2").expect("put");
    raw.merge(&mut other).expect("merge");
    let result = SubmissionDoc::load(&raw.save(), laptop());
    assert!(
        matches!(
            result,
            Err(LoadError::Schema(SchemaError::Conflicting { count: 2, .. }))
        ),
        "{result:?}"
    );
}

#[test]
fn an_incremental_load_that_changes_the_meta_is_refused() {
    let mut doc = rich_document();
    let mut raw = AutoCommit::load(&doc.save()).expect("valid");
    let heads = raw.get_heads();
    let meta = meta_obj(&raw);
    raw.put(&meta, "form_version", "2099").expect("put");
    let delta = raw.save_after(&heads);
    let result = doc.load_incremental(&delta, &Limits::default());
    assert!(matches!(result, Err(LoadError::Schema(_))), "{result:?}");
    assert_eq!(doc.meta().form_version.as_str(), "2025061001");
    let heads: Vec<ChangeHash> = heads.iter().map(|hash| ChangeHash(hash.0)).collect();
    assert_eq!(doc.heads(), heads);
}

#[test]
fn errors_say_what_to_do() {
    let error = SubmissionDoc::load(&[1, 2, 3], laptop()).expect_err("garbage");
    let message = error.to_string();
    assert!(message.contains("fetch the submission again"), "{message}");
}

#[test]
fn compact_changes_that_were_altered_are_refused_or_rebuild_changes_that_still_get_checked() {
    quiet_dependency_panics();
    let mut doc = rich_document();
    let id = doc.meta().submission_id.clone();
    let compact = doc
        .compact_changes_after(&[])
        .expect("a submission encodes");
    let mut rng = Rng(0x5eed_0004);
    let (mut refused, mut rebuilt) = (0, 0);
    for round in 0..3000 {
        let mut mutated = compact.clone();
        match round % 3 {
            0 => {
                let at = rng.below(mutated.len());
                mutated[at] ^= 1 << rng.below(8);
            }
            1 => {
                let at = rng.below(mutated.len());
                mutated[at] = u8::try_from(rng.below(256)).expect("a byte");
            }
            _ => mutated.truncate(rng.below(mutated.len())),
        }
        match expand_compact(&mutated, &id, &Limits::default()) {
            Err(_) => refused += 1,
            Ok(chunks) => {
                rebuilt += 1;
                // Whatever rebuilds is still an ordinary push, checked as any other.
                if let Ok(loaded) =
                    SubmissionDoc::from_changes(&chunks, laptop(), &Limits::default())
                {
                    exercise(loaded);
                }
            }
        }
    }
    println!("altered compact runs: {refused} refused, {rebuilt} rebuilt");
    assert!(
        refused > 2900,
        "the check refuses almost every alteration: {refused}"
    );
}

#[test]
fn compact_changes_of_another_submission_or_with_a_wrong_check_are_a_mismatch() {
    let mut doc = rich_document();
    let compact = doc
        .compact_changes_after(&[])
        .expect("a submission encodes");
    let other = SubmissionId::parse("0d4dca60-588a-4c33-9ec2-7b541f346570").expect("an id");
    assert_eq!(
        expand_compact(&compact, &other, &Limits::default()),
        Err(CompactError::Mismatch),
        "the submission id is part of what the check covers"
    );
    let id = doc.meta().submission_id.clone();
    let mut wrong = compact.clone();
    let last = wrong.len() - 1;
    wrong[last] ^= 0x40;
    assert_eq!(
        expand_compact(&wrong, &id, &Limits::default()),
        Err(CompactError::Mismatch)
    );
}

#[test]
fn compact_changes_are_bounded_before_and_while_they_are_rebuilt() {
    let mut doc = rich_document();
    let id = doc.meta().submission_id.clone();
    let compact = doc
        .compact_changes_after(&[])
        .expect("a submission encodes");
    let small = Limits {
        max_incremental_bytes: compact.len() - 1,
        ..Limits::default()
    };
    assert!(matches!(
        expand_compact(&compact, &id, &small),
        Err(CompactError::TooLarge { .. })
    ));
    // The rebuilt chunks are larger than the compact run: the limit applies to them too.
    let raw = doc.changes_after(&[]);
    let between = Limits {
        max_incremental_bytes: raw.len() - 1,
        ..Limits::default()
    };
    assert!(
        compact.len() < raw.len(),
        "{} vs {}",
        compact.len(),
        raw.len()
    );
    assert!(matches!(
        expand_compact(&compact, &id, &between),
        Err(CompactError::TooLarge { .. })
    ));
    let few_ops = Limits {
        max_ops: 3,
        ..Limits::default()
    };
    assert!(matches!(
        expand_compact(&compact, &id, &few_ops),
        Err(CompactError::TooManyOps { count, limit: 3 }) if count > 3
    ));
    let few = Limits {
        max_changes: 1,
        ..Limits::default()
    };
    assert!(matches!(
        expand_compact(&compact, &id, &few),
        Err(CompactError::Malformed { .. })
    ));
    assert!(matches!(
        expand_compact(&[], &id, &Limits::default()),
        Err(CompactError::Malformed { .. })
    ));
    assert!(matches!(
        expand_compact(&[9, 1, 2, 3], &id, &Limits::default()),
        Err(CompactError::Malformed { .. })
    ));
}
