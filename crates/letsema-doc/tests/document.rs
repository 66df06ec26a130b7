//! A submission document on one device: create, answer, review, withdraw, save and load.

mod common;

use common::*;
use letsema_doc::*;
use serde_json::json;

#[test]
fn a_new_submission_has_its_meta_and_nothing_else() {
    let doc = created();
    let meta = doc.meta();
    assert_eq!(meta.submission_id, new_submission().submission_id);
    assert_eq!(meta.form_id.as_str(), "diaspora_registration");
    assert_eq!(meta.form_version.as_str(), "2025061001");
    assert_eq!(meta.created_at, t(0));
    assert_eq!(meta.created_by_device.as_str(), "phone-lerato");
    assert_eq!(
        meta.created_by_user.as_ref().map(UserId::as_str),
        Some("lerato")
    );
    assert_eq!(
        meta.association.as_ref().map(AssociationId::as_str),
        Some("basotho-health-za")
    );
    assert!(doc.answers().is_empty());
    assert_eq!(doc.review(), Review::default());
    assert!(!doc.is_withdrawn());
    assert!(doc.conflicts().is_empty());
}

#[test]
fn answers_of_every_kind_read_back_as_written() {
    let mut doc = created();
    let answers: Answers = serde_json::from_value(json!({
        "consent": "yes",
        "age": "34",
        "citizenships": ["za", "ls"],
        "qualifications": [
            {"degree": "BSc", "year": "2010"},
            {"degree": "MBChB", "year": "2016", "honours": ["distinction"]}
        ]
    }))
    .expect("answers");
    doc.set_answers(&answers, t(1)).expect("set answers");
    // select_multiple is a set: choices come back sorted by name.
    assert_eq!(
        json(&doc),
        json!({
            "consent": "yes",
            "age": "34",
            "citizenships": ["ls", "za"],
            "qualifications": [
                {"degree": "BSc", "year": "2010"},
                {"degree": "MBChB", "honours": ["distinction"], "year": "2016"}
            ]
        })
    );
    assert_eq!(doc.answer("age"), Some(text("34")));
    assert_eq!(doc.answer("missing"), None);
}

/// The document gives answers back as `Answers::normalized` says, and writes them in name
/// order: the same answers make the same document whatever order they came in.
#[test]
fn answers_come_back_in_name_order_with_choices_sorted_however_they_were_written() {
    let written = Answers::new()
        .with(
            "qualifications",
            vec![Answers::new().with("year", "2010").with("degree", "BSc")],
        )
        .with("citizenships", ["za", "ls", "za"])
        .with("age", "34");
    let mut doc = created();
    doc.set_answers(&written, t(1)).expect("set answers");
    let loaded = SubmissionDoc::load(&doc.save(), laptop()).expect("it loads");
    assert_eq!(loaded.answers(), written.normalized());
    assert_eq!(
        serde_json::to_string(&loaded.answers()).expect("serialises"),
        r#"{"age":"34","citizenships":["ls","za"],"qualifications":[{"degree":"BSc","year":"2010"}]}"#
    );
    let mut in_name_order = created();
    in_name_order
        .set_answers(&written.normalized(), t(1))
        .expect("set answers");
    assert_eq!(in_name_order.save(), doc.save());
}

#[test]
fn setting_one_answer_leaves_the_others_alone() {
    let mut doc = created();
    doc.set_answer("age", &text("34"), t(1)).expect("age");
    doc.set_answer("city", &text("Durban"), t(2)).expect("city");
    doc.set_answer("age", &text("35"), t(3)).expect("age again");
    assert_eq!(json(&doc), json!({"age": "35", "city": "Durban"}));
}

#[test]
fn an_edit_that_changes_nothing_makes_no_change() {
    let mut doc = created();
    doc.set_answer("citizenships", &Answer::multiple(["ls"]), t(1))
        .expect("first");
    let before = doc.heads();
    doc.set_answer("citizenships", &Answer::multiple(["ls"]), t(2))
        .expect("same again");
    doc.set_withdrawn(false, t(3)).expect("not withdrawn");
    assert_eq!(doc.heads(), before);
}

#[test]
fn clearing_an_answer_removes_it() {
    let mut doc = created();
    doc.set_answer("phone", &text("+266 5000 0000"), t(1))
        .expect("set");
    doc.clear_answer(&AnswerPath::field("phone"), t(2))
        .expect("clear");
    assert_eq!(doc.answer("phone"), None);
}

#[test]
fn repeat_instances_have_stable_ids_and_can_be_edited_and_removed() {
    let mut doc = created();
    let repeat = AnswerPath::field("qualifications");
    let bsc = doc
        .add_repeat_instance(&repeat, &answers(&[("degree", "BSc")]), t(1))
        .expect("first");
    let msc = doc
        .add_repeat_instance(&repeat, &answers(&[("degree", "MSc")]), t(2))
        .expect("second");
    assert_ne!(bsc, msc);
    doc.set_answer_at(&repeat.child(&msc, "year"), &text("2019"), t(3))
        .expect("year");
    let instances = doc.repeat_instances(&repeat);
    assert_eq!(
        instances.iter().map(|i| i.id.clone()).collect::<Vec<_>>(),
        vec![bsc.clone(), msc.clone()]
    );
    assert_eq!(
        doc.top_level_repeat_ids(),
        std::collections::BTreeMap::from([(
            "qualifications".to_owned(),
            vec![bsc.as_str().to_owned(), msc.as_str().to_owned()]
        )]),
        "the ids in the order the answers list the entries"
    );
    assert_eq!(instances[1].answers.get("year"), Some(&text("2019")));
    doc.remove_repeat_instance(&repeat, &bsc, t(4))
        .expect("remove");
    assert_eq!(
        json(&doc),
        json!({"qualifications": [{"degree": "MSc", "year": "2019"}]})
    );
    // The id survives a save and load.
    let mut loaded = SubmissionDoc::load(&doc.save(), laptop()).expect("load");
    assert_eq!(loaded.repeat_instances(&repeat)[0].id, msc);
    let gone = loaded.set_answer_at(&repeat.child(&bsc, "year"), &text("2000"), t(5));
    assert!(matches!(gone, Err(DocError::NotFound { .. })), "{gone:?}");
    assert!(loaded.heads() == doc.heads());
}

#[test]
fn malformed_answers_are_refused_and_change_nothing() {
    let mut doc = created();
    let before = doc.heads();
    let empty_choice = doc.set_answer("citizenships", &Answer::multiple(["ls", ""]), t(1));
    assert!(matches!(empty_choice, Err(DocError::EmptyName { .. })));
    let empty_name = doc.set_answer("", &text("x"), t(1));
    assert!(matches!(empty_name, Err(DocError::EmptyName { .. })));
    let mut deep = text("leaf");
    for _ in 0..=MAX_DEPTH {
        deep = Answer::Repeat(vec![Answers::new().with("inner", deep)]);
    }
    let too_deep = doc.set_answer("deep", &deep, t(1));
    assert!(matches!(too_deep, Err(DocError::TooDeep { .. })));
    assert_eq!(doc.heads(), before);
    assert!(doc.answers().is_empty());
}

#[test]
fn repeats_nested_as_deep_as_allowed_round_trip() {
    let mut deep = text("leaf");
    for _ in 0..MAX_DEPTH {
        deep = Answer::Repeat(vec![Answers::new().with("inner", deep)]);
    }
    let mut doc = created();
    doc.set_answer("deep", &deep, t(1))
        .expect("as deep as allowed");
    let loaded = SubmissionDoc::load(&doc.save(), laptop()).expect("loads");
    assert_eq!(loaded.answer("deep"), Some(deep));
}

#[test]
fn review_status_and_comments() {
    let mut doc = SubmissionDoc::load(&created().save(), laptop()).expect("load");
    doc.set_review_status(ReviewStatus::Received, t(10))
        .expect("received");
    doc.set_review_status(ReviewStatus::HasIssues, t(11))
        .expect("issues");
    let id = doc
        .add_comment("The year of the BSc is missing.", t(12))
        .expect("comment");
    let review = doc.review();
    assert_eq!(review.status, Some(ReviewStatus::HasIssues));
    assert_eq!(
        review.comments,
        vec![Comment {
            id,
            author: UserId::parse("thabo").expect("user"),
            at: t(12),
            text: "The year of the BSc is missing.".to_owned(),
        }]
    );
    assert_eq!(
        serde_json::to_value(ReviewStatus::HasIssues).expect("json"),
        json!("has_issues")
    );
}

#[test]
fn a_merge_marks_the_duplicate_and_is_recorded_on_the_submission_kept() {
    let canonical = SubmissionId::parse("0190f2a4-5b6c-7d8e-9f00-112233445566").expect("an id");
    let mut duplicate = SubmissionDoc::load(&created().save(), laptop()).expect("load");
    duplicate
        .set_duplicate_of(Some(&canonical), t(10))
        .expect("marked");
    assert_eq!(duplicate.review().duplicate_of, Some(canonical.clone()));

    // The volunteer's phone learns it when it merges the reviewer's change.
    let mut on_phone = created();
    on_phone.merge(&mut duplicate).expect("merged");
    assert_eq!(on_phone.review().duplicate_of, Some(canonical.clone()));

    // Undone: nobody's duplicate again; and marking twice changes nothing the second time.
    duplicate.set_duplicate_of(None, t(11)).expect("unmarked");
    assert_eq!(duplicate.review().duplicate_of, None);
    let heads = duplicate.heads();
    duplicate.set_duplicate_of(None, t(12)).expect("unmarked");
    assert_eq!(duplicate.heads(), heads);

    let record = MergeRecord {
        at: t(10),
        by: UserId::parse("thabo").expect("user"),
        merged: vec![new_submission().submission_id],
        before: [("phone".to_owned(), Some(text("082 123 4567")))].into(),
        chosen: [("phone".to_owned(), Some(text("+27 82 123 4567")))].into(),
        undone_at: None,
    };
    let mut kept = SubmissionDoc::load(&created().save(), laptop()).expect("load");
    kept.set_merges(std::slice::from_ref(&record), t(10))
        .expect("recorded");
    let loaded = SubmissionDoc::load(&kept.save(), phone()).expect("load");
    assert_eq!(loaded.review().merges, vec![record]);
}

#[test]
fn a_comment_needs_a_signed_in_author() {
    let anonymous = writer("kiosk-1", 3, None);
    let mut doc = SubmissionDoc::create(new_submission(), anonymous, t(0)).expect("create");
    assert!(matches!(
        doc.add_comment("hello", t(1)),
        Err(DocError::NoAuthor)
    ));
}

#[test]
fn the_author_can_withdraw_and_reinstate() {
    let mut doc = created();
    doc.set_withdrawn(true, t(1)).expect("withdraw");
    assert!(doc.is_withdrawn());
    doc.set_withdrawn(false, t(2)).expect("reinstate");
    assert!(!doc.is_withdrawn());
}

#[test]
fn save_and_load_round_trip() {
    let mut doc = created();
    doc.set_answer("age", &text("34"), t(1)).expect("age");
    doc.set_answer("languages", &Answer::multiple(["en", "st"]), t(2))
        .expect("languages");
    doc.set_review_status(ReviewStatus::Approved, t(3))
        .expect("status");
    doc.add_comment("Fine.", t(4)).expect("comment");
    let bytes = doc.save();
    let mut loaded = SubmissionDoc::load(&bytes, laptop()).expect("load");
    assert_eq!(loaded.meta(), doc.meta());
    assert_eq!(loaded.answers(), doc.answers());
    assert_eq!(loaded.review(), doc.review());
    assert_eq!(loaded.heads(), doc.heads());
    assert_eq!(loaded.writer(), &laptop());
}

#[test]
fn a_verified_document_goes_on_as_before_writing_as_its_own_writer() {
    let mut doc = created();
    doc.set_answer("age", &text("34"), t(1)).expect("age");
    let heads = doc.heads();
    let saved = doc.save_verified().expect("it loads back");
    // The document kept is the copy the check loaded: the same document, the same writer.
    assert_eq!(doc.heads(), heads);
    assert_eq!(doc.writer(), &phone());
    doc.set_answer("age", &text("35"), t(2))
        .expect("a later edit");
    let delta = doc.save_incremental();
    assert!(!delta.is_empty(), "the edit is new since the verified save");
    let mut elsewhere = SubmissionDoc::load(&saved, laptop()).expect("load");
    elsewhere
        .load_incremental(&delta, &Limits::default())
        .expect("the edit applies on the saved form");
    assert_eq!(elsewhere.answers(), doc.answers());
    assert_eq!(elsewhere.heads(), doc.heads());
    let history = doc.history();
    let ages: Vec<_> = history
        .iter()
        .filter(|c| format!("{:?}", c.field).contains("\"age\""))
        .collect();
    assert_eq!(ages.len(), 2, "{history:?}");
    assert_eq!(ages[0].actor, ages[1].actor, "one writer wrote both edits");
}

#[test]
fn incremental_saves_carry_only_new_changes() {
    let mut doc = created();
    let mut server = SubmissionDoc::load(&doc.save(), writer("server", 9, None)).expect("load");
    doc.set_answer("age", &text("34"), t(1)).expect("age");
    let delta = doc.save_incremental();
    assert!(!delta.is_empty());
    assert!(doc.save_incremental().is_empty(), "nothing new since");
    server
        .load_incremental(&delta, &Limits::default())
        .expect("apply delta");
    assert_eq!(server.answers(), doc.answers());
    assert_eq!(server.heads(), doc.heads());
}

#[test]
fn an_incremental_save_without_its_dependencies_is_refused() {
    let mut doc = created();
    let mut other = SubmissionDoc::load(&doc.save(), laptop()).expect("load");
    doc.save_incremental();
    doc.set_answer("age", &text("34"), t(1)).expect("age");
    doc.save_incremental();
    doc.set_answer("age", &text("35"), t(2)).expect("age");
    let second = doc.save_incremental();
    let heads = other.heads();
    let result = other.load_incremental(&second, &Limits::default());
    assert!(
        matches!(result, Err(LoadError::MissingDependencies { count: 1 })),
        "{result:?}"
    );
    assert_eq!(other.heads(), heads, "the document is unchanged");
    assert_eq!(other.answer("age"), None);
}

#[test]
fn actor_ids_differ_per_session_and_name_the_device() {
    let tab_one = writer("phone-lerato", 1, Some("lerato"));
    let tab_two = writer("phone-lerato", 2, Some("lerato"));
    assert_ne!(tab_one.actor_id(), tab_two.actor_id());
    for tab in [&tab_one, &tab_two] {
        assert_eq!(
            ActorInfo::parse(&tab.actor_id()).map(|d| d.as_str().to_owned()),
            Some("phone-lerato".to_owned())
        );
        let info = ActorInfo::decode(&tab.actor_id()).expect("decodes");
        assert_eq!(info.session, tab.session);
    }
    let mut doc = SubmissionDoc::create(new_submission(), tab_one.clone(), t(0)).expect("create");
    let second_tab = doc.fork(tab_two.clone());
    assert_eq!(doc.actor(), &tab_one.actor_id());
    assert_eq!(second_tab.actor(), &tab_two.actor_id());
    let changes = doc.changes();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        changes[0].device.as_ref().map(DeviceId::as_str),
        Some("phone-lerato")
    );
    assert_eq!(changes[0].user.as_ref().map(UserId::as_str), Some("lerato"));
    assert_eq!(changes[0].time, t(0));
}

#[test]
fn documents_of_different_submissions_do_not_merge() {
    let mut doc = created();
    let mut other_new = new_submission();
    other_new.submission_id = SubmissionId::from_random_bytes([3; 16]);
    let mut other = SubmissionDoc::create(other_new, laptop(), t(0)).expect("create");
    let heads = doc.heads();
    assert!(matches!(
        doc.merge(&mut other),
        Err(DocError::DifferentSubmission { .. })
    ));
    // Same id, created twice: a duplicate creation, not the same submission.
    let mut twin = SubmissionDoc::create(new_submission(), laptop(), t(5)).expect("create");
    assert!(matches!(
        doc.merge(&mut twin),
        Err(DocError::DifferentMeta { .. })
    ));
    assert_eq!(doc.heads(), heads);
}

fn answers(pairs: &[(&str, &str)]) -> Answers {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), text(value)))
        .collect()
}
