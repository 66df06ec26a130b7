//! Incremental recomputation reaches the same state as a full evaluation, whatever the
//! sequence of edits; and evaluation never panics, whatever the answers.
#![cfg(not(target_arch = "wasm32"))] // proptest needs a random source wasm32 lacks

mod common;

use std::sync::Arc;

use common::*;
use letsema_form::runtime::{Answer, Answers, CompiledForm, FormState, synthetic};
use proptest::prelude::*;
use serde_json::json;

/// Relevance (of questions, a group and repeats), calculations chained inside and outside
/// repeats, constraints, a choice filter, a nested repeat and a counted repeat.
const FORM: &str = "
| survey |
| | type | name | label | relevant | required | constraint | calculation | choice_filter | repeat_count |
| | integer | a | A | | yes | . < 50 | | | |
| | integer | b | B | ${a} > 10 | | | | | |
| | calculate | c | | | | | ${a} + ${b} | | |
| | begin group | g | G | ${c} != 20 | | | | | |
| | select_one country | country | Country | | yes | | | | |
| | select_one region | region | Region | ${country} != '' | | | | country = ${country} | |
| | integer | d | D | ${b} != 3 | ${a} > 5 | . != ${a} | | | |
| | end group | | | | | | | | |
| | begin repeat | items | Items | ${a} != 1 | | | | | |
| | integer | qty | Qty | | yes | . >= 0 | | | |
| | calculate | line | | | | | ${qty} * 2 + ${a} | | |
| | text | why | Why | ${line} > 10 | | | | | |
| | calculate | pos | | | | | position(..) | | |
| | calculate | of_n | | | | | concat(${pos}, '/', count(${items})) | | |
| | calculate | prev_qty | | | | | indexed-repeat(${qty}, ${items}, ${pos} - 1) | | |
| | text | more | More | ${prev_qty} > ${qty} | | | | | |
| | begin repeat | parts | Parts | | | | | | |
| | integer | part | Part | | | . <= ${qty} | | | |
| | calculate | part_share | | | | | ${part} div ${line} | | |
| | end repeat | | | | | | | | |
| | calculate | parts_total | | | | | sum(${part}) | | |
| | end repeat | | | | | | | | |
| | calculate | total | | | | | sum(${line}) | | |
| | calculate | n | | | | | count(${items}) | | |
| | calculate | first_qty | | | | | indexed-repeat(${qty}, ${items}, 1) | | |
| | integer | sized | Sized | | | . <= 8 | | | |
| | begin repeat | slots | Slots | | | | | | ${sized} |
| | integer | slot | Slot | | | . > ${a} | | | |
| | calculate | slot_pos | | | | | position(..) * ${c} | | |
| | end repeat | | | | | | | | |
| | text | last | Last | ${total} > 5 or ${n} > 2 | yes | | | | |

| choices |
| | list_name | name | label | country |
| | country | ls | Lesotho | |
| | country | za | South Africa | |
| | region | maseru | Maseru | ls |
| | region | leribe | Leribe | ls |
| | region | gauteng | Gauteng | za |
";

/// One edit a person can make.
#[derive(Debug, Clone)]
enum Edit {
    Set {
        field: &'static str,
        pick: usize,
        value: &'static str,
    },
    AddItem,
    AddPart(usize),
    RemoveItem(usize),
    RemovePart(usize, usize),
}

const FIELDS: &[&str] = &[
    "a", "b", "d", "country", "region", "qty", "why", "part", "sized", "slot", "last",
];
const VALUES: &[&str] = &[
    "", "0", "1", "3", "5", "11", "20", "60", "ls", "za", "maseru", "gauteng", "x y",
];

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (0..FIELDS.len(), 0..6usize, 0..VALUES.len()).prop_map(|(f, pick, v)| Edit::Set {
            field: FIELDS[f],
            pick,
            value: VALUES[v],
        }),
        1 => Just(Edit::AddItem),
        1 => (0..6usize).prop_map(Edit::AddPart),
        1 => (0..6usize).prop_map(Edit::RemoveItem),
        1 => (0..6usize, 0..6usize).prop_map(|(i, j)| Edit::RemovePart(i, j)),
    ]
}

/// Applies an edit where it makes sense; edits that name missing instances are skipped.
fn apply(state: &mut FormState, edit: &Edit) {
    let items = state.repeat_count("items", &[]).expect("a repeat");
    let pick = |n: usize, k: usize| (n > 0).then(|| k % n);
    match *edit {
        Edit::Set {
            field,
            pick: k,
            value,
        } => {
            let instance: Option<Vec<usize>> = match field {
                "qty" | "why" => pick(items, k).map(|i| vec![i]),
                "part" => pick(items, k).and_then(|i| {
                    let parts = state.repeat_count("parts", &[i]).expect("a repeat");
                    pick(parts, k / 2).map(|j| vec![i, j])
                }),
                "slot" => {
                    let slots = state.repeat_count("slots", &[]).expect("a repeat");
                    pick(slots, k).map(|i| vec![i])
                }
                _ => Some(Vec::new()),
            };
            if let Some(instance) = instance {
                state
                    .set_answer(field, &instance, value)
                    .expect("the edit fits the form");
            }
        }
        Edit::AddItem => {
            state.add_repeat_instance("items", &[]).expect("a repeat");
        }
        Edit::AddPart(k) => {
            if let Some(i) = pick(items, k) {
                state.add_repeat_instance("parts", &[i]).expect("a repeat");
            }
        }
        Edit::RemoveItem(k) => {
            if let Some(i) = pick(items, k) {
                state
                    .remove_repeat_instance("items", &[i])
                    .expect("an instance");
            }
        }
        Edit::RemovePart(k, l) => {
            if let Some(i) = pick(items, k) {
                let parts = state.repeat_count("parts", &[i]).expect("a repeat");
                if let Some(j) = pick(parts, l) {
                    state
                        .remove_repeat_instance("parts", &[i, j])
                        .expect("an instance");
                }
            }
        }
    }
}

fn reevaluated(form: &Arc<CompiledForm>, state: &FormState) -> FormState {
    FormState::new(Arc::clone(form), &state.answers(), env()).expect("saved answers fit")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn incremental_recomputation_equals_full_evaluation(
        edits in proptest::collection::vec(edit(), 1..40)
    ) {
        let form = compile(FORM);
        let mut state = FormState::new(Arc::clone(&form), &Answers::new(), env())
            .expect("no answers fit");
        for (step, edit) in edits.iter().enumerate() {
            apply(&mut state, edit);
            let full = reevaluated(&form, &state);
            prop_assert_eq!(
                state.snapshot(),
                full.snapshot(),
                "after edit {} ({:?})",
                step,
                edit
            );
            prop_assert_eq!(state.submission_answers(), full.submission_answers());
            // The state's own full evaluation agrees with its incremental one too.
            let mut again = reevaluated(&form, &state);
            again.evaluate_all();
            prop_assert_eq!(again.snapshot(), full.snapshot());
        }
    }
}

/// Any JSON value an answer could be.
fn json_answer() -> impl Strategy<Value = serde_json::Value> {
    let scalar = prop_oneof![
        Just(json!(null)),
        any::<bool>().prop_map(|b| json!(b)),
        any::<i32>().prop_map(|n| json!(n)),
        (-1e6f64..1e6).prop_map(|n| json!(n)),
        "[a-z0-9 .:+-]{0,12}".prop_map(|s| json!(s)),
        Just(json!("2026-02-30")),
        Just(json!("ls")),
    ];
    prop_oneof![
        4 => scalar.clone(),
        1 => proptest::collection::vec(scalar, 0..3).prop_map(serde_json::Value::from),
    ]
}

fn json_answers() -> impl Strategy<Value = serde_json::Value> {
    let names = prop_oneof![
        proptest::sample::select(FIELDS.to_vec()),
        Just("c"),
        Just("g"),
        Just("unknown"),
    ];
    let instance = proptest::collection::btree_map(
        proptest::sample::select(vec!["qty", "why", "a", "part"]),
        json_answer(),
        0..3,
    )
    .prop_map(|m| json!(m));
    (
        proptest::collection::btree_map(names, json_answer(), 0..10),
        proptest::collection::vec(instance, 0..4),
    )
        .prop_map(|(mut top, items)| {
            if !items.is_empty() {
                top.insert("items", json!(items));
            }
            json!(top)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn evaluation_never_panics_on_generated_answers(json in json_answers()) {
        let form = compile(FORM);
        if let Ok(answers) = serde_json::from_value::<Answers>(json) {
            match FormState::new(Arc::clone(&form), &answers, env()) {
                Ok(mut state) => {
                    let snapshot = state.snapshot();
                    prop_assert_eq!(snapshot.complete, state.can_finalise());
                    let _ = state.set_answer("a", &[], Answer::Value("12".into()));
                    let _ = state.submission_answers();
                }
                Err(errors) => prop_assert!(!errors.is_empty()),
            }
        }
    }
}

#[test]
fn the_synthetic_form_has_the_advertised_shape() {
    let form = synthetic::form(1000);
    let questions: Vec<_> = form.questions().map(|(_, q)| q).collect();
    assert_eq!(questions.len(), 1000);
    let relevant = questions.iter().filter(|q| q.relevant.is_some()).count();
    let constraints = questions.iter().filter(|q| q.constraint.is_some()).count();
    let calculations = questions.iter().filter(|q| q.calculation.is_some()).count();
    assert_eq!((relevant, constraints, calculations), (300, 100, 103));

    let compiled = Arc::new(CompiledForm::new(&form).expect("compiles"));
    let mut state = FormState::new(Arc::clone(&compiled), &synthetic::answers(1000, 50), env())
        .expect("answers fit");
    assert_eq!(state.repeat_count("items", &[]), Ok(50));
    assert!(state.snapshot().errors.is_empty());
    // Changing the gate recomputes what reads it, not the whole form.
    let changes = state.set_answer("n0", &[], "7").expect("a question");
    assert!(
        changes.evaluations < compiled.computation_count() / 2,
        "{}",
        changes.evaluations
    );
    assert_eq!(state.is_relevant("n12", &[]), Ok(false));
    // The hundred questions gated by n0, and those whose relevance reads them.
    assert!(
        changes.relevance.len() >= 100,
        "{}",
        changes.relevance.len()
    );
    let full = reevaluated(&compiled, &state);
    assert_eq!(state.snapshot(), full.snapshot());
}
