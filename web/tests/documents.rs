//! What the app's second module (the submission documents, `web/docs`) does, in a real
//! browser: start a draft, write answers and repeats into it, save as entered, finalise,
//! correct, and report what waits to be sent. The first module reaches these through
//! `bridge`; the end-to-end tests cover that path.
//!
//! The module works on the app's own database (`letsema`): every test deletes it first.
#![cfg(target_arch = "wasm32")]

mod common;

use common::{answer, new_draft, open_request};
use letsema_doc::{Answer, Answers};
use letsema_web::capture::FillKind;
use letsema_web::docs_api::{Edit, RepeatEdit};
use letsema_web::documents::{self, OpenSubmission};
use letsema_web::form_view::RepeatChange;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

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

#[wasm_bindgen_test]
async fn a_refused_edit_writes_nothing_and_says_why() {
    let (_, mut draft) = new_draft().await;
    let refused = draft
        .edit(&child_name(3, "Nobody"))
        .err()
        .expect("there is no fourth child to name");
    assert!(refused.contains("gone"), "{refused}");
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

#[wasm_bindgen_test]
fn answers_cross_between_the_modules_with_an_empty_repeat_still_a_repeat() {
    use letsema_web::docs_api::TaggedAnswers;
    let mut answers = Answers::new();
    answers.insert("children".to_owned(), Answer::Repeat(Vec::new()));
    answers.insert("languages".to_owned(), Answer::Multiple(Vec::new()));
    answers.insert(
        "household".to_owned(),
        Answer::Repeat(vec![Answers::new().with("size", "4")]),
    );
    let json = serde_json::to_string(&TaggedAnswers::from(&answers)).expect("it serialises");
    let back: TaggedAnswers = serde_json::from_str(&json).expect("it reads back");
    // Tagged answers are a map by name: they come back in name order.
    assert_eq!(Answers::from(back), answers.normalized());
}
