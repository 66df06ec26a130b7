//! Benchmarks of the form runtime on a generated form of 1,000 questions (300 relevant,
//! about 100 constraints and 100 calculations, a repeat of 50 instances).
//!
//! Run with `cargo bench -p letsema-form --bench runtime`.

use std::sync::Arc;

use chrono::DateTime;
use letsema_form::runtime::{CompiledForm, Environment, FormState, synthetic};

const QUESTIONS: usize = 1000;
const INSTANCES: usize = 50;

fn main() {
    divan::main();
}

fn environment() -> Environment {
    let now = DateTime::parse_from_rfc3339("2026-06-15T09:00:00+02:00").expect("valid time");
    Environment::new(now)
}

fn compiled() -> Arc<CompiledForm> {
    Arc::new(CompiledForm::new(&synthetic::form(QUESTIONS)).expect("the synthetic form compiles"))
}

fn state() -> FormState {
    FormState::new(
        compiled(),
        &synthetic::answers(QUESTIONS, INSTANCES),
        environment(),
    )
    .expect("the synthetic answers fit")
}

/// Parsing every expression and ordering the dependency graph.
#[divan::bench]
fn compile(bencher: divan::Bencher<'_, '_>) {
    let form = synthetic::form(QUESTIONS);
    bencher.bench_local(|| CompiledForm::new(divan::black_box(&form)));
}

/// Building the instance from answers and evaluating everything.
#[divan::bench]
fn load_and_evaluate(bencher: divan::Bencher<'_, '_>) {
    let form = compiled();
    let answers = synthetic::answers(QUESTIONS, INSTANCES);
    bencher.bench_local(|| FormState::new(Arc::clone(&form), &answers, environment()));
}

/// A full evaluation of an existing state.
#[divan::bench]
fn full_evaluation(bencher: divan::Bencher<'_, '_>) {
    let mut state = state();
    bencher.bench_local(|| state.evaluate_all());
}

/// One answer in the middle of the form, read by a relevance and two calculations.
#[divan::bench]
fn recompute_one_answer(bencher: divan::Bencher<'_, '_>) {
    let mut state = state();
    let mut i = 0u32;
    bencher.bench_local(|| {
        i += 1;
        let value = if i.is_multiple_of(2) { "5" } else { "6" };
        state.set_answer("n500", &[], value)
    });
}

/// The gate `n0`, read by a hundred relevances, nine group relevances and a calculation.
#[divan::bench]
fn recompute_gate_answer(bencher: divan::Bencher<'_, '_>) {
    let mut state = state();
    let mut i = 0u32;
    bencher.bench_local(|| {
        i += 1;
        let value = if i.is_multiple_of(2) { "5" } else { "7" };
        state.set_answer("n0", &[], value)
    });
}

/// One answer inside a repeat instance, summed outside it.
#[divan::bench]
fn recompute_repeat_answer(bencher: divan::Bencher<'_, '_>) {
    let mut state = state();
    let mut i = 0u32;
    bencher.bench_local(|| {
        i += 1;
        let value = if i.is_multiple_of(2) { "2" } else { "5" };
        state.set_answer("qty", &[25], value)
    });
}

/// Adding a repeat instance, then removing it.
#[divan::bench]
fn add_and_remove_instance(bencher: divan::Bencher<'_, '_>) {
    let mut state = state();
    bencher.bench_local(|| {
        let added = state.add_repeat_instance("items", &[]);
        let removed = state.remove_repeat_instance("items", &[INSTANCES]);
        (added, removed)
    });
}

/// A form whose select draws from a list of 5,000 choices with a `price` column, read
/// through the list's secondary instance by two calculations (issue 20: under 1 ms).
fn lookup_state(data_instance: bool) -> FormState {
    use letsema_form::model::{
        Choice, ChoiceList, DataInstance, DataNode, Expression, Form, FormId, Item, Question,
        QuestionType, Text,
    };
    const CHOICES: usize = 5000;
    let mut form = Form::new(FormId::new("lookup"), "Lookup");
    form.items.push(Item::Question(Question::new(
        "code",
        QuestionType::SelectOne {
            list: "codes".into(),
            or_other: false,
        },
        Text::plain("Code"),
    )));
    let source = if data_instance { "prices" } else { "codes" };
    let mut price = Question::new("price", QuestionType::Calculate, Text::default());
    price.calculation = Some(Expression::new(format!(
        "instance('{source}')/root/item[name = ${{code}}]/price"
    )));
    form.items.push(Item::Question(price));
    let mut region = Question::new("region", QuestionType::Calculate, Text::default());
    region.calculation = Some(Expression::new(format!(
        "pulldata('{source}', 'region', 'name', ${{code}})"
    )));
    form.items.push(Item::Question(region));
    let choices = (0..CHOICES).map(|i| Choice {
        value: format!("c{i}").into(),
        label: Text::plain(format!("Choice {i}")),
        media: Default::default(),
        properties: [
            ("price".to_owned(), (i % 97).to_string()),
            ("region".to_owned(), format!("r{}", i % 13)),
        ]
        .into(),
    });
    form.choice_lists.push(ChoiceList {
        name: "codes".into(),
        choices: choices.collect(),
        from_file: None,
    });
    if data_instance {
        let mut root = DataNode::new("root");
        for i in 0..CHOICES {
            root.children.push(
                DataNode::new("item")
                    .with(DataNode::leaf("name", format!("c{i}")))
                    .with(DataNode::leaf("price", (i % 97).to_string()))
                    .with(DataNode::leaf("region", format!("r{}", i % 13))),
            );
        }
        form.instances.push(DataInstance {
            id: "prices".into(),
            source: Some("prices.csv".into()),
            root,
        });
    }
    let compiled = Arc::new(CompiledForm::new(&form).expect("the lookup form compiles"));
    let answers = serde_json::from_value(serde_json::json!({"code": "c10"})).expect("answers");
    FormState::new(compiled, &answers, environment()).expect("the answers fit")
}

/// Answers alternating between two codes far apart in the list, each recomputing both
/// lookups.
fn bench_lookups(bencher: divan::Bencher<'_, '_>, data_instance: bool) {
    let mut state = lookup_state(data_instance);
    let mut i = 0u32;
    bencher.bench_local(|| {
        i += 1;
        let value = if i.is_multiple_of(2) {
            "c4990"
        } else {
            "c2500"
        };
        state.set_answer("code", &[], value)
    });
}

/// One answer looked up in a 5,000-row choice list through `instance()` and `pulldata()`.
#[divan::bench]
fn recompute_lookup_in_5000_choices(bencher: divan::Bencher<'_, '_>) {
    bench_lookups(bencher, false);
}

/// The same lookup in a 5,000-row attached file (a data instance).
#[divan::bench]
fn recompute_lookup_in_5000_rows_of_a_file(bencher: divan::Bencher<'_, '_>) {
    bench_lookups(bencher, true);
}
