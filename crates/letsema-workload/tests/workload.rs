//! The workload's promises: deterministic, complete and valid for the form runtime,
//! realistic in its mix, one-field edits, and a plausible floor.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::DateTime;
use letsema_doc::{SubmissionDoc, Timestamp};
use letsema_form::runtime::{Answer, Answers, CompiledForm, Environment, FormState};
use letsema_workload::{
    Generator, WorkloadError, diaspora, floor_bytes, floor_json, reference_form,
};

/// The day the runtime specification of the reference form runs at.
const NOW: &str = "2026-06-15T09:30:00+02:00";
/// The first day the generator promises valid answers for.
const EARLIEST: &str = "2025-01-01T00:00:00+02:00";

fn compiled() -> Arc<CompiledForm> {
    Arc::new(CompiledForm::new(&reference_form()).expect("the reference form compiles"))
}

fn env(now: &str) -> Environment {
    Environment::new(DateTime::parse_from_rfc3339(now).expect("a valid time"))
}

fn value<'a>(answers: &'a Answers, name: &str) -> Option<&'a str> {
    match answers.get(name) {
        Some(Answer::Value(v)) => Some(v),
        _ => None,
    }
}

/// Everything wrong with `answers` at `now`, as one line each: what the runtime says is
/// missing or invalid, answers to questions it does not ask, and a region outside the
/// country's filtered choices (which the runtime accepts without checking the filter).
fn problems(form: &Arc<CompiledForm>, answers: &Answers, now: &str) -> Vec<String> {
    let state = match FormState::new(form.clone(), answers, env(now)) {
        Ok(state) => state,
        Err(errors) => return vec![format!("the answers do not fit the form: {errors:?}")],
    };
    let mut out: Vec<String> = state
        .missing_required()
        .into_iter()
        .chain(state.constraint_violations())
        .map(|issue| format!("{}: {}", issue.location, issue.message))
        .collect();
    let submitted = state.submission_answers();
    for (name, _) in answers.iter() {
        if submitted.get(name).is_none() {
            out.push(format!("{name}: answered, but the form does not ask it"));
        }
    }
    if let Some(region) = value(answers, "region") {
        let offered = state
            .choices("region", &[])
            .ok()
            .flatten()
            .unwrap_or_default();
        if !offered.iter().any(|choice| choice.value == region) {
            out.push(format!(
                "region: `{region}` is not offered for this country"
            ));
        }
    }
    if !state.can_finalise() && out.is_empty() {
        out.push("the runtime cannot finalise it, without saying why".to_owned());
    }
    out
}

#[track_caller]
fn assert_valid(form: &Arc<CompiledForm>, answers: &Answers, what: &str) {
    for now in [EARLIEST, NOW] {
        let problems = problems(form, answers, now);
        assert!(
            problems.is_empty(),
            "{what} is not complete and valid at {now}: {}\nanswers: {}",
            problems[0],
            serde_json::to_string(answers).unwrap_or_default()
        );
    }
}

fn saved(docs: &mut [SubmissionDoc]) -> Vec<Vec<u8>> {
    docs.iter_mut().map(SubmissionDoc::save).collect()
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let mut a = diaspora(25, 42).expect("documents");
    let mut b = diaspora(25, 42).expect("documents");
    let mut c = diaspora(25, 43).expect("documents");
    assert_eq!(saved(&mut a), saved(&mut b));
    let (a, c) = (saved(&mut a), saved(&mut c));
    assert!(
        a.iter().zip(&c).all(|(a, c)| a != c),
        "another seed gives other documents"
    );

    let mut g = Generator::new(42);
    let mut h = Generator::new(42);
    let mut other = Generator::new(43);
    let first: Vec<Answers> = (0..50).map(|_| g.answers()).collect();
    assert_eq!(first, (0..50).map(|_| h.answers()).collect::<Vec<_>>());
    assert_ne!(first, (0..50).map(|_| other.answers()).collect::<Vec<_>>());
}

#[test]
fn five_hundred_members_are_complete_and_valid() {
    let form = compiled();
    for seed in [500, 1, 2026] {
        let mut generator = Generator::new(seed);
        for i in 0..500 {
            let answers = generator.answers();
            assert_valid(&form, &answers, &format!("member {i} of seed {seed}"));
        }
    }
}

#[test]
fn the_checker_finds_what_is_wrong() {
    let form = compiled();
    let mut generator = Generator::new(11);
    let member = std::iter::repeat_with(|| generator.answers())
        .find(|m| {
            value(m, "country") == Some("south_africa") && value(m, "profession") == Some("teacher")
        })
        .expect("a teacher in South Africa");
    assert_eq!(problems(&form, &member, NOW), Vec::<String>::new());
    let broken = [
        ("years_abroad", "99"),
        ("region", "england"),
        ("specialisation", "Paediatrics"),
        ("phone", "12-34"),
        ("email", "palesa@example"),
        ("dob", "2030-01-01"),
    ];
    for (name, wrong) in broken {
        let answers = member.clone().with(name, wrong);
        assert!(
            !problems(&form, &answers, NOW).is_empty(),
            "{name} = {wrong} should be a problem"
        );
    }
    let mut missing = member.clone();
    missing.remove("phone");
    assert_eq!(
        problems(&form, &missing, NOW),
        ["phone: This question needs an answer."]
    );
}

#[test]
fn documents_hold_valid_answers() {
    let form = compiled();
    let docs = diaspora(100, 500).expect("documents");
    for (i, doc) in docs.iter().enumerate() {
        assert_valid(&form, &doc.answers(), &format!("document {i}"));
        assert_eq!(doc.meta().form_id.as_str(), "diaspora_registration");
        assert_eq!(doc.meta().form_version.as_str(), "2026061501");
    }
}

#[test]
fn the_mix_is_realistic() {
    let mut generator = Generator::new(500);
    let members: Vec<Answers> = (0..500).map(|_| generator.answers()).collect();
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    let mut tally = |key: String| *count.entry(key).or_insert(0) += 1;
    for m in &members {
        tally(format!("consent={}", value(m, "consent").unwrap_or("")));
        if value(m, "consent") != Some("yes") {
            continue;
        }
        tally(format!("country={}", value(m, "country").unwrap_or("")));
        tally(format!(
            "profession={}",
            value(m, "profession").unwrap_or("")
        ));
        if m.get("email").is_some() {
            tally("email".to_owned());
        }
        if m.get("months_available").is_some() {
            tally("months_available".to_owned());
        }
        if m.get("comments").is_some() {
            tally("comments".to_owned());
        }
        let repeats = match m.get("qualifications") {
            Some(Answer::Repeat(instances)) => instances.len(),
            _ => 0,
        };
        tally(format!("qualifications={repeats}"));
    }
    println!("{count:#?}");
    let n = |key: &str| count.get(key).copied().unwrap_or(0);
    let consented = n("consent=yes");
    assert!(n("consent=no") > 0 && n("consent=no") < 40, "a few decline");
    assert!(
        n("country=south_africa") * 2 > consented,
        "most live in South Africa"
    );
    for country in ["uk", "usa", "botswana", "other"] {
        assert!(
            n(&format!("country={country}")) > 0,
            "some live in {country}"
        );
    }
    let health: usize = ["doctor", "nurse", "midwife", "pharmacist"]
        .iter()
        .map(|p| n(&format!("profession={p}")))
        .sum();
    assert!(health * 2 > consented, "the health diaspora first");
    for repeats in 0..=3 {
        assert!(
            n(&format!("qualifications={repeats}")) > 0,
            "{repeats} qualifications"
        );
    }
    assert!(n("months_available") > 0 && n("comments") > 0 && n("email") > consented / 2);
}

#[test]
fn an_edit_changes_exactly_one_field_and_keeps_the_document_valid() {
    let form = compiled();
    let mut docs = diaspora(200, 9).expect("documents");
    let mut editor = Generator::new(10);
    let mut fields: BTreeMap<String, usize> = BTreeMap::new();
    let at = Timestamp(1_781_600_000_000);
    for (i, doc) in docs.iter_mut().enumerate() {
        let before = doc.answers();
        let changes = doc.changes().len();
        match editor.edit_one_field(doc, at) {
            Err(WorkloadError::NothingToEdit { .. }) => {
                assert_eq!(before.get("consent"), Some(&Answer::value("no")));
                continue;
            }
            Err(error) => panic!("document {i}: {error}"),
            Ok(edit) => {
                let after = doc.answers();
                let changed: Vec<&str> = before
                    .iter()
                    .chain(after.iter())
                    .map(|(name, _)| name)
                    .filter(|name| before.get(name) != after.get(name))
                    .collect::<std::collections::BTreeSet<_>>()
                    .into_iter()
                    .collect();
                assert_eq!(changed, [edit.field.as_str()], "document {i}");
                assert_eq!(before.get(&edit.field), edit.before.as_ref());
                assert_eq!(after.get(&edit.field), Some(&edit.after));
                assert_ne!(edit.before.as_ref(), Some(&edit.after));
                assert_eq!(doc.changes().len(), changes + 1, "one change");
                assert_valid(
                    &form,
                    &after,
                    &format!("document {i} after editing {}", edit.field),
                );
                *fields.entry(edit.field).or_insert(0) += 1;
            }
        }
    }
    println!("fields edited: {fields:?}");
    for field in ["city", "phone", "employment", "email"] {
        assert!(fields.contains_key(field), "some edits change {field}");
    }
}

#[test]
fn edits_are_deterministic() {
    let run = || {
        let mut docs = diaspora(30, 3).expect("documents");
        let mut editor = Generator::new(4);
        for doc in &mut docs {
            let _ = editor.edit_one_field(doc, Timestamp(1_781_600_000_000));
        }
        saved(&mut docs)
    };
    assert_eq!(run(), run());
}

#[test]
fn the_floor_of_the_diaspora_500_is_plausible() {
    let mut docs = diaspora(500, 500).expect("documents");
    let floor = floor_bytes(&docs);
    let json = floor_json(&docs).len();
    let saved: usize = saved(&mut docs).iter().map(Vec::len).sum();
    println!(
        "diaspora-500 (seed 500): floor {floor} bytes gzip ({:.0} per record); JSON {json} \
         bytes ({:.0} per record); automerge save() {saved} bytes ({:.0} per document)",
        floor as f64 / 500.0,
        json as f64 / 500.0,
        saved as f64 / 500.0,
    );
    assert!(
        (50 * 500..=1_000 * 500).contains(&floor),
        "{floor} bytes for 500 records"
    );
    assert!(floor < json, "gzip compresses");
    assert_eq!(floor, floor_bytes(&diaspora(500, 500).expect("documents")));
}
