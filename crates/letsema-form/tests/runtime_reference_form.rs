//! The reference form's skip logic and validation, as the product brief describes them.

mod common;

use std::sync::Arc;

use common::*;
use letsema_form::runtime::{CompiledForm, FormState};
use serde_json::{Value, json};

// The same specification runs natively and, as WebAssembly, in headless Chromium
// (`./dev test`): one engine, one truth.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

const REFERENCE: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../examples/forms/diaspora_registration.md"
));

fn reference(answers: Value) -> FormState {
    let form = Arc::new(CompiledForm::new(&form(REFERENCE)).expect("the reference form compiles"));
    FormState::new(form, &common::answers(answers), env()).expect("the answers fit")
}

/// A complete registration of a nurse in Gauteng.
fn nurse() -> Value {
    json!({
        "consent": "yes",
        "association": "lesotho_health_abroad",
        "first_name": "Palesa",
        "surname": "Mokoena",
        "sex": "female",
        "dob": "1988-03-02",
        "country": "south_africa",
        "region": "gauteng",
        "city": "Johannesburg",
        "years_abroad": 12,
        "citizenships": ["lesotho"],
        "profession": "nurse",
        "specialisation": "theatre nursing",
        "highest_qualification": "bachelors",
        "council_registered": "yes",
        "employment": "employed_full",
        "sector": "public",
        "languages": ["sesotho", "english"],
        "phone": "+27821234567",
        "email": "palesa@example.org",
        "engagement": ["mentoring", "telemedicine"],
        "qualifications": [{"degree": "BSc Nursing", "institution": "NUL", "year": 2010}]
    })
}

fn with(mut answers: Value, changes: Value) -> Value {
    if let (Some(a), Some(c)) = (answers.as_object_mut(), changes.as_object()) {
        for (k, v) in c {
            a.insert(k.clone(), v.clone());
        }
    }
    answers
}

#[test]
fn consent_gates_everything() {
    let s = reference(json!({}));
    let shown = relevant(&s);
    assert!(shown.contains(&"consent".to_owned()));
    assert!(!shown.contains(&"first_name".to_owned()));
    assert_eq!(missing(&s), ["consent: This question needs an answer."]);

    let s = reference(with(nurse(), json!({"consent": "no"})));
    assert!(relevant(&s).contains(&"no_consent".to_owned()));
    assert!(!relevant(&s).contains(&"registration".to_owned()));
    assert!(s.can_finalise());
    let submitted = s.submission_answers();
    assert!(submitted.get("consent").is_some());
    assert!(submitted.get("first_name").is_none());
    assert!(submitted.get("qualifications").is_none());
}

#[test]
fn a_complete_registration_can_be_finalised() {
    let s = reference(nurse());
    assert_eq!(missing(&s), Vec::<String>::new());
    assert_eq!(violations(&s), Vec::<String>::new());
    assert!(s.can_finalise());
    let snapshot = s.snapshot();
    assert_eq!(snapshot.computed["age"], "38");
    assert_eq!(snapshot.instance_name.as_deref(), Some("Mokoena, Palesa"));
    assert_eq!(snapshot.repeat_counts["qualifications"], 1);
}

#[test]
fn specialisation_is_asked_only_of_health_professions() {
    for (profession, asked) in [
        ("doctor", true),
        ("nurse", true),
        ("midwife", true),
        ("pharmacist", true),
        ("teacher", false),
        ("engineer", false),
    ] {
        let s = reference(with(nurse(), json!({"profession": profession})));
        assert_eq!(
            s.is_relevant("specialisation", &[]),
            Ok(asked),
            "{profession}"
        );
    }
    let s = reference(with(nurse(), json!({"profession": "other"})));
    assert_eq!(
        missing(&s),
        ["profession_other: This question needs an answer."]
    );
}

#[test]
fn months_available_only_for_short_term_assignments() {
    let mut s = reference(nurse());
    assert_eq!(s.is_relevant("months_available", &[]), Ok(false));
    s.set_answer("engagement", &[], ["short_term", "mentoring"])
        .expect("a question");
    assert_eq!(
        missing(&s),
        ["months_available: This question needs an answer."]
    );
    s.set_answer("months_available", &[], "14")
        .expect("a question");
    assert_eq!(
        violations(&s),
        ["months_available: Enter a number of months from 1 to 12."]
    );
    s.set_language(Some("st".to_owned()));
    assert_eq!(
        violations(&s),
        ["months_available: Kenya palo ea likhoeli ho tloha ho 1 ho isa ho 12."]
    );
    s.set_answer("months_available", &[], "3")
        .expect("a question");
    assert!(s.can_finalise());
}

#[test]
fn years_abroad_cannot_exceed_age() {
    let s = reference(with(nurse(), json!({"years_abroad": 40})));
    assert_eq!(
        violations(&s),
        ["years_abroad: Years abroad cannot be negative or more than your age (38)."]
    );
    let s = reference(with(nurse(), json!({"years_abroad": -1})));
    assert_eq!(violations(&s).len(), 1);
}

#[test]
fn phone_and_email_are_validated() {
    let s = reference(with(
        nurse(),
        json!({"phone": "082 123", "email": "palesa at example"}),
    ));
    assert_eq!(
        violations(&s),
        [
            "phone: Enter 7 to 15 digits, optionally starting with +.",
            "email: Enter an e-mail address such as name@example.org.",
        ]
    );
    // E-mail is optional: an empty one is fine.
    let s = reference(with(nurse(), json!({"email": ""})));
    assert!(s.can_finalise());
}

#[test]
fn regions_are_filtered_by_country() {
    let mut s = reference(nurse());
    let regions = |s: &FormState| -> Vec<String> {
        s.choices("region", &[])
            .expect("a question")
            .expect("a select")
            .into_iter()
            .map(|c| c.value)
            .collect()
    };
    assert_eq!(regions(&s).len(), 9);
    s.set_answer("country", &[], "uk").expect("a question");
    assert_eq!(
        regions(&s),
        ["england", "scotland", "wales", "northern_ireland"]
    );
    s.set_answer("country", &[], "other").expect("a question");
    assert_eq!(s.is_relevant("region", &[]), Ok(false));
    assert_eq!(
        missing(&s),
        ["country_other: This question needs an answer."]
    );
}

#[test]
fn qualifications_repeat_checks_each_instance() {
    let mut s = reference(nurse());
    s.add_repeat_instance("qualifications", &[])
        .expect("a repeat");
    assert_eq!(
        missing(&s),
        [
            "degree[1]: This question needs an answer.",
            "institution[1]: This question needs an answer.",
            "year[1]: This question needs an answer.",
        ]
    );
    s.set_answer("year", &[1], "1890").expect("a question");
    assert_eq!(violations(&s), ["year[1]: Enter a year such as 2015."]);
}
