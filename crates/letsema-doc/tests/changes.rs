//! Raw change exchange for the sync layer: changes after heads, applying change chunks, and
//! which changes a document holds.

mod common;

use common::*;
use letsema_doc::*;

#[test]
fn changes_after_heads_carry_only_what_is_new_and_apply_elsewhere() {
    let mut doc = created();
    let mut copy =
        SubmissionDoc::from_changes(&doc.changes_after(&[]), laptop(), &Limits::default())
            .expect("a document from its changes");
    assert_eq!(copy.heads(), doc.heads());

    let base = doc.heads();
    doc.set_answer("age", &text("34"), t(1)).expect("edit");
    let new = doc.changes_after(&base);
    assert!(!new.is_empty() && new.len() < 300, "{} bytes", new.len());
    let now = doc.heads();
    assert!(doc.changes_after(&now).is_empty());

    let heads = copy.apply_changes(&new, &Limits::default()).expect("apply");
    assert_eq!(heads, doc.heads());
    assert_eq!(copy.answer("age"), Some(text("34")));
    // Applying again changes nothing.
    assert_eq!(
        copy.apply_changes(&new, &Limits::default()).expect("again"),
        heads
    );
}

#[test]
fn missing_dependencies_and_foreign_chunks_are_refused_and_change_nothing() {
    let mut doc = created();
    let base = doc.heads();
    doc.set_answer("age", &text("34"), t(1)).expect("edit");
    let new = doc.changes_after(&base);

    let result = SubmissionDoc::from_changes(&new, laptop(), &Limits::default());
    assert!(
        matches!(result, Err(LoadError::MissingDependencies { .. })),
        "{result:?}"
    );

    let mut other = created();
    let before = other.heads();
    let saved = doc.save();
    let result = other.apply_changes(&saved, &Limits::default());
    assert!(
        matches!(result, Err(LoadError::Corrupt { .. })),
        "{result:?}"
    );
    let mut damaged = new.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    assert!(other.apply_changes(&damaged, &Limits::default()).is_err());
    assert_eq!(other.heads(), before);
}

#[test]
fn held_changes_and_reduced_heads() {
    let mut doc = created();
    let first = doc.heads();
    doc.set_answer("age", &text("34"), t(1)).expect("edit");
    let second = doc.heads();
    assert!(doc.has_changes(&first) && doc.has_changes(&second));
    let unknown = ChangeHash([7; 32]);
    assert_eq!(doc.missing_changes(&[first[0], unknown]), vec![unknown]);
    assert!(!doc.has_changes(&[unknown]));

    let mut both = vec![first[0], second[0], unknown];
    both.sort();
    let mut expected = vec![second[0], unknown];
    expected.sort();
    assert_eq!(
        doc.reduce_heads(&both),
        expected,
        "an ancestor is dropped, the unknown kept"
    );
}
