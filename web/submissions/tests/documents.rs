//! What the app's second module (the submission documents, `web/submissions`) does, in a real
//! browser: start a draft, write answers and repeats into it, save as entered, finalise,
//! correct, and report what waits to be sent. The first module reaches these through
//! `bridge`; the end-to-end tests cover that path.
//!
//! The module works on the app's own database (`letsema`): every test deletes it first.
#![cfg(target_arch = "wasm32")]

mod common;

use std::sync::Arc;

use chrono::DateTime;
use common::{answer, new_draft, open_request};
use letsema_answers::{Answer, Answers};
use letsema_form::runtime::{CompiledForm, Environment, FormState};
use letsema_web_shared::messages::FillKind;
use letsema_web_shared::messages::RepeatChange;
use letsema_web_shared::messages::{Edit, RepeatEdit};
use letsema_web_submissions::documents::{self, DocumentsError, OpenSubmission};
use letsema_workload::reference_form;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

/// When the engine runs in these tests.
const NOW: &str = "2026-06-15T09:30:00+02:00";

wasm_bindgen_test_configure!(run_in_browser);

fn repeat(change: RepeatChange, own: usize) -> Edit {
    Edit::Repeat(RepeatEdit {
        repeats: Vec::new(),
        instance: vec![own],
        repeat: "children".to_owned(),
        change,
    })
}

fn child_name(instance: usize, name: &str) -> Edit {
    Edit::Answer {
        repeats: vec!["children".to_owned()],
        instance: vec![instance],
        field: "child_name".to_owned(),
        value: Answer::Value(name.to_owned()),
    }
}

/// The names of the children in `answers`, in order.
fn children(answers: &Answers) -> Vec<String> {
    let Some(Answer::Repeat(instances)) = answers.get("children") else {
        return Vec::new();
    };
    instances
        .iter()
        .filter_map(|instance| match instance.get("child_name") {
            Some(Answer::Value(name)) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

#[wasm_bindgen_test]
async fn a_draft_keeps_every_answer_as_entered_and_finalising_queues_it_for_sending() {
    let (id, mut draft) = new_draft().await;
    for edit in [
        answer("given_name", "Palesa"),
        repeat(RepeatChange::Added, 0),
        child_name(0, "Thabo"),
        repeat(RepeatChange::Added, 1),
        child_name(1, "Lerato"),
        repeat(RepeatChange::Removed, 0),
    ] {
        draft
            .edit(&edit)
            .expect("the edit is written")
            .await
            .expect("and saved");
    }
    drop(draft);

    // Opened again from storage, as after a reload: everything is there.
    let reopened = OpenSubmission::open(&open_request(id, FillKind::Draft, 2))
        .await
        .expect("the draft opens again");
    let answers = reopened.answers();
    assert_eq!(
        answers.get("given_name"),
        Some(&Answer::Value("Palesa".to_owned()))
    );
    assert_eq!(children(&answers), ["Lerato"]);

    let before = documents::overview(10).await.expect("the overview reads");
    assert_eq!(before.unsynced, 0, "a draft is not sent");
    assert!(before.sent.is_empty());

    reopened.finalise().await.expect("the draft is finalised");
    let after = documents::overview(10).await.expect("the overview reads");
    assert_eq!(
        after.unsynced, 1,
        "the finalised submission waits to be sent"
    );
    assert_eq!(after.sent.len(), 1);
    assert_eq!(after.sent[0].id, id);
    assert_eq!(after.sent[0].form_id, "household");
    assert!(after.sent[0].unsynced);
    assert!(after.oldest_unsynced_ms.is_some());
    assert!(
        OpenSubmission::open(&open_request(id, FillKind::Draft, 3))
            .await
            .is_err(),
        "the draft is gone once finalised"
    );
}

/// The stored draft `id`'s name and start.
async fn draft_name(id: letsema_ids::DocId) -> (Option<String>, Option<i64>) {
    let storage = documents::storage().await.expect("the database opens");
    let draft = storage
        .draft(id)
        .await
        .expect("drafts read")
        .expect("the draft is there");
    (draft.name, draft.started_at_ms)
}

#[wasm_bindgen_test]
async fn drafts_and_submissions_carry_the_name_of_their_last_save() {
    let (id, mut draft) = new_draft().await;
    let (name, started) = draft_name(id).await;
    assert_eq!(name, None, "a new draft has no name yet");
    let started = started.expect("a new draft knows when it was started");

    // The screens name it with each edit; a later answer that changes the name renames it.
    draft.set_name(Some("Mokoena".to_owned()));
    draft
        .edit(&answer("family_name", "Mokoena"))
        .expect("written")
        .await
        .expect("saved");
    assert_eq!(
        draft_name(id).await,
        (Some("Mokoena".to_owned()), Some(started))
    );
    draft.set_name(Some("Mokoena, Palesa".to_owned()));
    draft
        .edit(&answer("given_name", "Palesa"))
        .expect("written")
        .await
        .expect("saved");
    assert_eq!(draft_name(id).await.0.as_deref(), Some("Mokoena, Palesa"));
    drop(draft);

    // Opened again (a reload), its name stays until the screens give another.
    let reopened = OpenSubmission::open(&open_request(id, FillKind::Draft, 2))
        .await
        .expect("the draft opens again");
    reopened.finalise().await.expect("finalised");
    let overview = documents::overview(10).await.expect("the overview reads");
    assert_eq!(overview.sent[0].name.as_deref(), Some("Mokoena, Palesa"));
    assert_eq!(overview.sent[0].started_at_ms, Some(started));

    // A correction renames the submission.
    let mut correction = OpenSubmission::open(&open_request(id, FillKind::Correction, 3))
        .await
        .expect("the submission opens for a correction");
    correction.set_name(Some("Mokoena, Palesa M.".to_owned()));
    correction
        .edit(&answer("given_name", "Palesa M."))
        .expect("written")
        .await
        .expect("saved");
    let overview = documents::overview(10).await.expect("the overview reads");
    assert_eq!(overview.sent[0].name.as_deref(), Some("Mokoena, Palesa M."));
    assert_eq!(overview.sent[0].started_at_ms, Some(started));
}

#[wasm_bindgen_test]
async fn a_refused_edit_writes_nothing_and_says_why() {
    let (_, mut draft) = new_draft().await;
    let refused = draft
        .edit(&child_name(3, "Nobody"))
        .err()
        .expect("there is no fourth child to name");
    assert!(
        matches!(
            refused,
            DocumentsError::EnclosingInstanceGone { number: 4, .. }
        ),
        "{refused:?}"
    );
    assert!(refused.to_string().contains("gone"), "{refused}");
    assert!(draft.answers().is_empty(), "{:?}", draft.answers());
}

#[wasm_bindgen_test]
async fn a_finalised_submission_is_corrected_in_place_and_waits_to_be_sent_again() {
    let (id, mut draft) = new_draft().await;
    draft
        .edit(&answer("given_name", "Palesa"))
        .expect("written")
        .await
        .expect("saved");
    draft.finalise().await.expect("finalised");

    let mut correction = OpenSubmission::open(&open_request(id, FillKind::Correction, 2))
        .await
        .expect("the submission opens for a correction");
    correction
        .edit(&answer("given_name", "Palesa M."))
        .expect("written")
        .await
        .expect("saved");
    correction.finalise().await.expect("closed");

    let again = OpenSubmission::open(&open_request(id, FillKind::Correction, 3))
        .await
        .expect("it opens again");
    assert_eq!(
        again.answers().get("given_name"),
        Some(&Answer::Value("Palesa M.".to_owned()))
    );
    let overview = documents::overview(10).await.expect("the overview reads");
    assert_eq!(overview.unsynced, 1);
    assert_eq!(overview.sent.len(), 1, "corrected in place, not copied");
}

/// Answers cross between the modules as `letsema_answers::Answers` JSON. An empty repeat
/// comes back as `[]`, an empty select_multiple, and the form engine reads the tree as it
/// was: nothing is lost on the way.
#[wasm_bindgen_test]
fn answers_cross_between_the_modules_as_json_and_the_engine_reads_them_as_they_were() {
    let form = Arc::new(CompiledForm::new(&reference_form()).expect("the reference form compiles"));
    let env = || Environment::new(DateTime::parse_from_rfc3339(NOW).expect("a valid time"));
    let no_instances = Answers::new()
        .with("qualifications", Answer::Repeat(Vec::new()))
        .with("languages", Answer::Multiple(Vec::new()))
        .with("citizenships", ["za", "ls"]);
    let one_instance = no_instances.clone().with(
        "qualifications",
        vec![Answers::new().with("degree", "BSc").with("year", "2010")],
    );
    for answers in [no_instances, one_instance] {
        let json = serde_json::to_string(&answers).expect("it serialises");
        let back: Answers = serde_json::from_str(&json).expect("it reads back");
        let before = FormState::new(Arc::clone(&form), &answers, env()).expect("it fits");
        let after = FormState::new(Arc::clone(&form), &back, env()).expect("it still fits");
        assert_eq!(after.snapshot(), before.snapshot(), "{json}");
        if answers.get("qualifications") == Some(&Answer::Repeat(Vec::new())) {
            assert_eq!(
                back.get("qualifications"),
                Some(&Answer::Multiple(Vec::new()))
            );
        } else {
            assert_eq!(back, answers);
        }
    }
}

/// A repeat's instances change one at a time (`Edit::Repeat`): an answer edit carrying them
/// is refused, and nothing is written.
#[wasm_bindgen_test]
async fn an_answer_edit_with_repeat_instances_is_refused() {
    let (_, mut draft) = new_draft().await;
    let before = draft.answers();
    let refused = draft.edit(&Edit::Answer {
        repeats: Vec::new(),
        instance: Vec::new(),
        field: "children".to_owned(),
        value: Answer::Repeat(vec![Answers::new().with("child_name", "Thabo")]),
    });
    let Err(message) = refused else {
        panic!("an answer edit with repeat instances was accepted");
    };
    assert!(
        matches!(&message, DocumentsError::RepeatAsAnswer(field) if field == "children"),
        "{message:?}"
    );
    assert!(message.to_string().contains("one at a time"), "{message}");
    assert_eq!(draft.answers(), before);
}
