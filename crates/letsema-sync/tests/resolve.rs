//! Regression found by the simulation: resolving a conflict by choosing the value that
//! currently wins must still be a new write, or a concurrent edit silently drops the choice.

mod common;

use common::*;
use letsema_doc::*;

#[test]
fn choosing_the_winning_value_is_a_write_that_a_concurrent_edit_conflicts_with() {
    let phone = writer("phone-lerato", 1);
    let mut doc = submission(&phone, 30, 0, None);
    let mut laptop = doc.fork(writer("laptop-iom", 1));
    let mut tablet = doc.fork(writer("tablet-iom", 1));
    doc.set_answer("city", &Answer::value("Maseru"), t(10))
        .expect("edit");
    laptop
        .set_answer("city", &Answer::value("Leribe"), t(11))
        .expect("edit");
    doc.merge(&mut laptop).expect("merge");
    tablet.merge(&mut doc).expect("merge");
    let conflict = doc.conflicts().remove(0);
    let winner = FieldValue::Answer(doc.answer("city").expect("a city"));

    // The phone resolves by keeping the value shown; concurrently, the tablet (which saw the
    // same conflict) writes a third value.
    doc.resolve(&conflict.field, &winner, t(20))
        .expect("resolve");
    tablet
        .set_answer("city", &Answer::value("Mafeteng"), t(21))
        .expect("edit");
    doc.merge(&mut tablet).expect("merge");

    let conflicts = doc.conflicts();
    assert_eq!(
        conflicts.len(),
        1,
        "the choice and the concurrent edit conflict"
    );
    let mut values: Vec<FieldValue> = conflicts[0]
        .values
        .iter()
        .map(|v| v.value.clone())
        .collect();
    values.sort_by_key(|v| format!("{v:?}"));
    let mut expected = vec![winner, FieldValue::Answer(Answer::value("Mafeteng"))];
    expected.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(values, expected);
}
