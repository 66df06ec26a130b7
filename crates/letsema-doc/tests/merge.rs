//! Several devices editing one submission: merging, conflicts, repeats, select_multiple and
//! history.

mod common;

use common::*;
use letsema_doc::*;
use serde_json::json;

/// The phone's document and a copy on the reviewer's laptop, both after the first sync.
fn two_devices(prepare: impl FnOnce(&mut SubmissionDoc)) -> (SubmissionDoc, SubmissionDoc) {
    let mut phone_doc = created();
    prepare(&mut phone_doc);
    let laptop_doc = SubmissionDoc::load(&phone_doc.save(), laptop()).expect("load");
    (phone_doc, laptop_doc)
}

/// Merges each into the other.
fn sync(a: &mut SubmissionDoc, b: &mut SubmissionDoc) {
    a.merge(b).expect("merge into a");
    b.merge(a).expect("merge into b");
}

#[test]
fn edits_of_different_fields_merge() {
    let (mut a, mut b) = two_devices(|doc| {
        doc.set_answer("age", &text("34"), t(1)).expect("age");
    });
    a.set_answer("city", &text("Durban"), t(10)).expect("city");
    b.set_answer("age", &text("35"), t(11)).expect("age");
    b.set_review_status(ReviewStatus::HasIssues, t(12))
        .expect("status");
    sync(&mut a, &mut b);
    assert_eq!(json(&a), json!({"age": "35", "city": "Durban"}));
    assert_eq!(a.answers(), b.answers());
    assert_eq!(a.review().status, Some(ReviewStatus::HasIssues));
    assert!(a.conflicts().is_empty());
    assert_eq!(a.heads(), b.heads());
}

#[test]
fn a_same_field_conflict_is_listed_on_both_sides_until_resolved() {
    let (mut a, mut b) = two_devices(|doc| {
        doc.set_answer("profession", &text("nurse"), t(1))
            .expect("set");
    });
    a.set_answer("profession", &text("midwife"), t(10))
        .expect("a");
    b.set_answer("profession", &text("doctor"), t(11))
        .expect("b");
    sync(&mut a, &mut b);

    for side in [&a, &b] {
        let conflicts = side.conflicts();
        assert_eq!(conflicts.len(), 1, "{conflicts:#?}");
        let conflict = &conflicts[0];
        assert_eq!(
            conflict.field,
            FieldPath::Answer(AnswerPath::field("profession"))
        );
        let mut seen: Vec<(String, String, Timestamp)> = conflict
            .values
            .iter()
            .map(|value| {
                let FieldValue::Answer(Answer::Value(text)) = &value.value else {
                    panic!("a text answer: {value:?}");
                };
                let device = value.device.as_ref().expect("a Letsema actor").to_string();
                (text.clone(), device, value.time.expect("a known change"))
            })
            .collect();
        seen.sort();
        assert_eq!(
            seen,
            vec![
                ("doctor".to_owned(), "laptop-thabo".to_owned(), t(11)),
                ("midwife".to_owned(), "phone-lerato".to_owned(), t(10)),
            ]
        );
        // The users are recorded too.
        assert!(
            conflict
                .values
                .iter()
                .any(|v| v.user.as_ref().map(UserId::as_str) == Some("thabo"))
        );
    }
    assert_eq!(
        a.conflicts(),
        b.conflicts(),
        "both sides list the same conflict"
    );
    assert_eq!(a.answers(), b.answers(), "both sides show the same winner");
    // The document shows the last listed value until the conflict is resolved.
    let last = a.conflicts()[0].values.last().map(|v| v.value.clone());
    assert_eq!(last, a.answer("profession").map(FieldValue::Answer));

    // The reviewer picks the phone's value, whichever automerge happened to show.
    let field = a.conflicts()[0].field.clone();
    b.resolve(&field, &FieldValue::Answer(text("midwife")), t(20))
        .expect("resolve");
    assert!(b.conflicts().is_empty());
    sync(&mut a, &mut b);
    for side in [&a, &b] {
        assert!(side.conflicts().is_empty());
        assert_eq!(side.answer("profession"), Some(text("midwife")));
    }
}

#[test]
fn the_same_value_written_on_both_sides_is_no_conflict() {
    let (mut a, mut b) = two_devices(|_| {});
    a.set_answer("sex", &text("female"), t(10)).expect("a");
    b.set_answer("sex", &text("female"), t(11)).expect("b");
    sync(&mut a, &mut b);
    assert!(a.conflicts().is_empty());
    assert_eq!(a.answer("sex"), Some(text("female")));
}

#[test]
fn review_status_and_withdrawal_conflicts_are_listed_and_resolved() {
    let (mut a, mut b) = two_devices(|_| {});
    a.set_review_status(ReviewStatus::Approved, t(10))
        .expect("a");
    b.set_review_status(ReviewStatus::Rejected, t(11))
        .expect("b");
    sync(&mut a, &mut b);
    let conflicts = a.conflicts();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, FieldPath::ReviewStatus);
    let wrong = a.resolve(
        &FieldPath::ReviewStatus,
        &FieldValue::Withdrawn(true),
        t(12),
    );
    assert!(
        matches!(wrong, Err(DocError::WrongKind { .. })),
        "{wrong:?}"
    );
    a.resolve(
        &FieldPath::ReviewStatus,
        &FieldValue::ReviewStatus(ReviewStatus::Approved),
        t(12),
    )
    .expect("resolve");
    sync(&mut a, &mut b);
    assert!(b.conflicts().is_empty());
    assert_eq!(b.review().status, Some(ReviewStatus::Approved));
}

#[test]
fn comments_added_concurrently_are_all_kept() {
    let (mut a, mut b) = two_devices(|_| {});
    a.add_comment("From the phone.", t(10)).expect("a");
    b.add_comment("From the laptop.", t(11)).expect("b");
    sync(&mut a, &mut b);
    assert_eq!(a.review(), b.review());
    let mut texts: Vec<String> = a.review().comments.into_iter().map(|c| c.text).collect();
    texts.sort();
    assert_eq!(texts, ["From the laptop.", "From the phone."]);
}

#[test]
fn repeat_instances_added_concurrently_on_two_devices_both_survive() {
    let repeat = AnswerPath::field("qualifications");
    let mut first = None;
    let (mut a, mut b) = two_devices(|doc| {
        first = Some(
            doc.add_repeat_instance(&repeat, &Answers::new(), t(1))
                .expect("first"),
        );
    });
    let first = first.expect("first instance");
    a.add_repeat_instance(&repeat, &one("degree", "BSc"), t(10))
        .expect("a");
    b.add_repeat_instance(&repeat, &one("degree", "MPH"), t(11))
        .expect("b");
    // Both edit the first instance, different fields.
    a.set_answer_at(&repeat.child(&first, "degree"), &text("Diploma"), t(12))
        .expect("a edits first");
    b.set_answer_at(&repeat.child(&first, "year"), &text("2008"), t(13))
        .expect("b edits first");
    sync(&mut a, &mut b);
    assert_eq!(a.answers(), b.answers());
    let instances = a.repeat_instances(&repeat);
    assert_eq!(instances.len(), 3);
    assert_eq!(instances[0].id, first);
    assert_eq!(
        instances[0].answers,
        two("degree", "Diploma", "year", "2008")
    );
    let mut degrees: Vec<&Answer> = instances[1..]
        .iter()
        .filter_map(|i| i.answers.get("degree"))
        .collect();
    degrees.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(degrees, [&text("BSc"), &text("MPH")]);
    assert!(a.conflicts().is_empty());
}

#[test]
fn a_repeat_written_whole_is_matched_by_position_and_written_field_by_field() {
    let (mut a, mut b) = two_devices(|doc| {
        let value: Answer = serde_json::from_value(json!([
            {"degree": "BSc", "year": "2010"},
            {"degree": "MSc", "year": "2014"}
        ]))
        .expect("repeat");
        doc.set_answer("qualifications", &value, t(1)).expect("set");
    });
    // The runtime on each device writes back the whole repeat with one field changed.
    let on_a: Answer = serde_json::from_value(json!([
        {"degree": "BSc", "year": "2011"},
        {"degree": "MSc", "year": "2014"}
    ]))
    .expect("repeat");
    let on_b: Answer = serde_json::from_value(json!([
        {"degree": "BSc", "year": "2010"},
        {"degree": "MSc (Public Health)", "year": "2014"}
    ]))
    .expect("repeat");
    a.set_answer("qualifications", &on_a, t(10)).expect("a");
    b.set_answer("qualifications", &on_b, t(11)).expect("b");
    sync(&mut a, &mut b);
    assert_eq!(
        json(&a),
        json!({"qualifications": [
            {"degree": "BSc", "year": "2011"},
            {"degree": "MSc (Public Health)", "year": "2014"}
        ]})
    );
    assert!(a.conflicts().is_empty());
}

#[test]
fn a_conflict_inside_a_repeat_instance_names_the_instance() {
    let repeat = AnswerPath::field("qualifications");
    let mut id = None;
    let (mut a, mut b) = two_devices(|doc| {
        id = Some(
            doc.add_repeat_instance(&repeat, &one("degree", "BSc"), t(1))
                .expect("add"),
        );
    });
    let id = id.expect("instance");
    let field = repeat.child(&id, "degree");
    a.set_answer_at(&field, &text("BSc Nursing"), t(10))
        .expect("a");
    b.set_answer_at(&field, &text("BNurs"), t(11)).expect("b");
    sync(&mut a, &mut b);
    let conflicts = b.conflicts();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].field, FieldPath::Answer(field.clone()));
    assert_eq!(
        conflicts[0].field.to_string(),
        format!("answers/qualifications[{id}]/degree")
    );
    b.resolve(
        &conflicts[0].field,
        &FieldValue::Answer(text("BSc Nursing")),
        t(12),
    )
    .expect("resolve");
    sync(&mut a, &mut b);
    assert!(a.conflicts().is_empty());
    assert_eq!(a.answer_at(&field), Some(text("BSc Nursing")));
}

#[test]
fn select_multiple_choices_added_concurrently_are_all_kept() {
    let (mut a, mut b) = two_devices(|doc| {
        doc.set_answer("citizenships", &Answer::multiple(["ls"]), t(1))
            .expect("set");
        doc.set_answer("languages", &Answer::multiple(["en", "st", "zu"]), t(1))
            .expect("set");
    });
    a.set_answer("citizenships", &Answer::multiple(["ls", "za"]), t(10))
        .expect("a");
    b.set_answer("citizenships", &Answer::multiple(["ls", "gb"]), t(11))
        .expect("b");
    // One device removes a language while the other adds one.
    a.set_answer("languages", &Answer::multiple(["en", "st"]), t(12))
        .expect("a");
    b.set_answer(
        "languages",
        &Answer::multiple(["en", "st", "zu", "xh"]),
        t(13),
    )
    .expect("b");
    sync(&mut a, &mut b);
    for side in [&a, &b] {
        assert_eq!(
            json(side),
            json!({"citizenships": ["gb", "ls", "za"], "languages": ["en", "st", "xh"]})
        );
        assert!(side.conflicts().is_empty());
    }
}

#[test]
fn a_container_created_concurrently_is_a_listed_conflict_not_a_silent_loss() {
    let (mut a, mut b) = two_devices(|_| {});
    a.set_answer("citizenships", &Answer::multiple(["za"]), t(10))
        .expect("a");
    b.set_answer("citizenships", &Answer::multiple(["gb"]), t(11))
        .expect("b");
    sync(&mut a, &mut b);
    let conflicts = a.conflicts();
    assert_eq!(conflicts.len(), 1);
    let mut values: Vec<FieldValue> = conflicts[0]
        .values
        .iter()
        .map(|v| v.value.clone())
        .collect();
    values.sort_by_key(|v| format!("{v:?}"));
    assert_eq!(
        values,
        [
            FieldValue::Answer(Answer::multiple(["gb"])),
            FieldValue::Answer(Answer::multiple(["za"])),
        ]
    );
    a.resolve(
        &conflicts[0].field,
        &FieldValue::Answer(Answer::multiple(["gb", "za"])),
        t(12),
    )
    .expect("resolve with the union");
    sync(&mut a, &mut b);
    assert!(b.conflicts().is_empty());
    assert_eq!(
        b.answer("citizenships"),
        Some(Answer::multiple(["gb", "za"]))
    );
}

/// One history entry: field, from, to, device, user, time.
type Row = (
    String,
    Option<FieldValue>,
    Option<FieldValue>,
    String,
    Option<String>,
    Timestamp,
);

#[test]
fn history_says_who_changed_what_from_what_to_what() {
    let mut a = created();
    a.set_answer("age", &text("34"), t(1)).expect("age");
    let mut b = SubmissionDoc::load(&a.save(), laptop()).expect("load");
    b.set_answer("age", &text("35"), t(2)).expect("age");
    b.set_review_status(ReviewStatus::HasIssues, t(3))
        .expect("status");
    a.merge(&mut b).expect("merge");
    a.set_withdrawn(true, t(4)).expect("withdraw");

    let history: Vec<Row> = a
        .history()
        .into_iter()
        .map(|c| {
            (
                c.field.to_string(),
                c.from,
                c.to,
                c.device.map(|d| d.to_string()).unwrap_or_default(),
                c.user.map(|u| u.to_string()),
                c.time,
            )
        })
        .collect();
    let answer = |v: &str| Some(FieldValue::Answer(text(v)));
    assert_eq!(
        history,
        vec![
            (
                "answers/age".into(),
                None,
                answer("34"),
                "phone-lerato".into(),
                Some("lerato".into()),
                t(1)
            ),
            (
                "answers/age".into(),
                answer("34"),
                answer("35"),
                "laptop-thabo".into(),
                Some("thabo".into()),
                t(2)
            ),
            (
                "review/status".into(),
                None,
                Some(FieldValue::ReviewStatus(ReviewStatus::HasIssues)),
                "laptop-thabo".into(),
                Some("thabo".into()),
                t(3)
            ),
            (
                "withdrawn".into(),
                None,
                Some(FieldValue::Withdrawn(true)),
                "phone-lerato".into(),
                Some("lerato".into()),
                t(4)
            ),
        ]
    );
}

#[test]
fn history_of_concurrent_edits_shows_what_each_writer_replaced() {
    let (mut a, mut b) = two_devices(|doc| {
        doc.set_answer("city", &text("Maseru"), t(1)).expect("city");
    });
    a.set_answer("city", &text("Durban"), t(10)).expect("a");
    b.set_answer("city", &text("Pretoria"), t(11)).expect("b");
    sync(&mut a, &mut b);
    let city: Vec<(Option<FieldValue>, Option<FieldValue>)> = a
        .history()
        .into_iter()
        .filter(|c| c.field == FieldPath::Answer(AnswerPath::field("city")))
        .map(|c| (c.from, c.to))
        .collect();
    let answer = |v: &str| Some(FieldValue::Answer(text(v)));
    assert_eq!(city.len(), 3);
    assert_eq!(city[0], (None, answer("Maseru")));
    // Both concurrent edits replaced "Maseru", whatever order they are listed in.
    let mut rest = city[1..].to_vec();
    rest.sort_by_key(|c| format!("{c:?}"));
    assert_eq!(
        rest,
        vec![
            (answer("Maseru"), answer("Durban")),
            (answer("Maseru"), answer("Pretoria"))
        ]
    );
    assert_eq!(a.history(), b.history(), "the same history on both sides");
}

#[test]
fn history_of_a_repeat_names_the_instance_field() {
    let mut doc = created();
    let repeat = AnswerPath::field("qualifications");
    let id = doc
        .add_repeat_instance(&repeat, &one("degree", "BSc"), t(1))
        .expect("add");
    doc.remove_repeat_instance(&repeat, &id, t(2))
        .expect("remove");
    let history: Vec<(FieldPath, Option<FieldValue>, Option<FieldValue>)> = doc
        .history()
        .into_iter()
        .filter(|c| matches!(c.field, FieldPath::Answer(_)))
        .map(|c| (c.field, c.from, c.to))
        .collect();
    let field = FieldPath::Answer(repeat.child(&id, "degree"));
    let bsc = Some(FieldValue::Answer(text("BSc")));
    assert_eq!(
        history,
        vec![(field.clone(), None, bsc.clone()), (field, bsc, None)]
    );
}

fn one(name: &str, value: &str) -> Answers {
    Answers::new().with(name, text(value))
}

fn two(n1: &str, v1: &str, n2: &str, v2: &str) -> Answers {
    Answers::new().with(n1, text(v1)).with(n2, text(v2))
}
