//! The form runtime's behaviour, one rule at a time. Forms are written as XLSForm markdown
//! tables, answers as JSON.

mod common;

use std::sync::Arc;

use common::*;
use letsema_form::model::{Expression, Form, FormId, Item, Question, QuestionType, Text};
use letsema_form::runtime::{
    Answer, AnswerError, Answers, CompileError, CompiledForm, FormState, Location,
};
use serde_json::json;

// The same specification runs natively and, as WebAssembly, in headless Chromium
// (`./dev test`): one engine, one truth.
#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;
#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

fn at(field: &str, instance: &[usize]) -> Location {
    Location {
        field: field.to_owned(),
        instance: instance.to_vec(),
    }
}

// Skip logic ----------------------------------------------------------------------------

const SKIP: &str = "
| survey |
| | type | name | label | relevant |
| | select_one yn | consent | Consent? | |
| | begin group | outer | Outer | ${consent} = 'yes' |
| | integer | age | Age | |
| | begin group | adult | Adult | ${age} >= 18 |
| | text | job | Job | |
| | text | employer | Employer | ${job} != 'none' |
| | end group | | | |
| | end group | | | |
| | note | bye | Thank you | ${consent} = 'no' |

| choices |
| | list_name | name | label |
| | yn | yes | Yes |
| | yn | no | No |
";

#[test]
fn questions_without_relevant_are_always_relevant() {
    let s = state(SKIP, json!({}));
    assert_eq!(relevant(&s), ["consent"]);
}

#[test]
fn a_non_relevant_group_hides_everything_in_it() {
    let s = state(SKIP, json!({"consent": "no", "age": 40, "job": "nurse"}));
    assert_eq!(relevant(&s), ["consent", "bye"]);
}

#[test]
fn nested_groups_need_every_enclosing_group_relevant() {
    let s = state(SKIP, json!({"consent": "yes", "age": 12}));
    assert_eq!(relevant(&s), ["consent", "outer", "age"]);
    let s = state(SKIP, json!({"consent": "yes", "age": 30, "job": "nurse"}));
    assert_eq!(
        relevant(&s),
        ["consent", "outer", "age", "adult", "job", "employer"]
    );
    let s = state(SKIP, json!({"consent": "yes", "age": 30, "job": "none"}));
    assert_eq!(relevant(&s), ["consent", "outer", "age", "adult", "job"]);
}

#[test]
fn a_non_relevant_question_reads_as_empty_in_expressions() {
    // `job` keeps its answer, but with `adult` hidden, `employer` sees `''`, which is
    // not 'none', yet `employer` stays hidden with its group.
    let mut s = state(SKIP, json!({"consent": "yes", "age": 30, "job": "none"}));
    assert_eq!(s.value("job", &[]), Ok("none"));
    s.set_answer("age", &[], "12").expect("a question");
    assert_eq!(s.value("job", &[]), Ok(""));
    assert_eq!(s.is_relevant("employer", &[]), Ok(false));
}

#[test]
fn set_answer_reports_what_changed() {
    let mut s = state(SKIP, json!({"consent": "yes", "age": 12}));
    let changes = s.set_answer("age", &[], "30").expect("a question");
    assert_eq!(changes.values, [at("age", &[])]);
    assert_eq!(
        changes.relevance,
        [at("adult", &[]), at("job", &[]), at("employer", &[])]
    );
    let changes = s.set_answer("age", &[], "30").expect("a question");
    assert!(changes.is_empty(), "{changes:?}");
}

// Required ------------------------------------------------------------------------------

const REQUIRED: &str = "
| survey |
| | type | name | label | relevant | required | required_message::English (en) | required_message::Sesotho (st) |
| | integer | age | Age | | yes | How old are you? | U na le lilemo tse kae? |
| | text | school | School | ${age} < 18 | yes | | |
| | text | phone | Phone | | ${age} >= 18 | | |

| settings |
| | form_id | form_title | default_language |
| | required | Required | English (en) |
";

#[test]
fn required_questions_are_missing_only_when_relevant() {
    let s = state(REQUIRED, json!({}));
    assert_eq!(missing(&s), ["age: How old are you?"]);
    let s = state(REQUIRED, json!({"age": 12}));
    assert_eq!(missing(&s), ["school: This question needs an answer."]);
    let s = state(REQUIRED, json!({"age": 30}));
    assert_eq!(missing(&s), ["phone: This question needs an answer."]);
    let s = state(REQUIRED, json!({"age": 30, "phone": "+26622123456"}));
    assert!(s.is_complete() && s.can_finalise());
}

#[test]
fn required_messages_follow_the_language() {
    let mut s = state(REQUIRED, json!({}));
    s.set_language(Some("st".to_owned()));
    assert_eq!(missing(&s), ["age: U na le lilemo tse kae?"]);
    s.set_language(Some("Sesotho (st)".to_owned()));
    assert_eq!(
        s.snapshot().missing_required[0].message,
        "U na le lilemo tse kae?"
    );
}

// Constraints ---------------------------------------------------------------------------

const CONSTRAINTS: &str = "
| survey |
| | type | name | label | constraint | constraint_message::English (en) | constraint_message::Sesotho (st) |
| | integer | age | Age | . >= 0 and . <= 120 | Enter an age from 0 to 120. | Kenya lilemo ho tloha ho 0 ho isa ho 120. |
| | integer | years_abroad | Years abroad | . <= ${age} | No more than your age (${age}). | Eseng ho feta lilemo tsa hao (${age}). |
| | text | email | E-mail | regex(., '^[^@ ]+@[^@ ]+$') | | |

| settings |
| | form_id | form_title | default_language |
| | constraints | Constraints | English (en) |
";

#[test]
fn constraints_check_relevant_non_empty_answers_with_dot_as_the_answer() {
    let s = state(CONSTRAINTS, json!({}));
    assert!(violations(&s).is_empty());
    let s = state(
        CONSTRAINTS,
        json!({"age": 130, "email": "someone@example.org"}),
    );
    assert_eq!(violations(&s), ["age: Enter an age from 0 to 120."]);
    let s = state(CONSTRAINTS, json!({"email": "not an address"}));
    assert_eq!(violations(&s), ["email: This answer is not valid."]);
}

#[test]
fn constraint_messages_fill_in_references_in_the_chosen_language() {
    let mut s = state(CONSTRAINTS, json!({"age": 30, "years_abroad": 31}));
    assert_eq!(
        violations(&s),
        ["years_abroad: No more than your age (30)."]
    );
    s.set_language(Some("st".to_owned()));
    assert_eq!(
        violations(&s),
        ["years_abroad: Eseng ho feta lilemo tsa hao (30)."]
    );
    let changes = s.set_answer("age", &[], "40").expect("a question");
    assert_eq!(changes.validity, [at("years_abroad", &[])]);
    assert!(s.is_complete());
}

#[test]
fn answers_are_checked_against_their_type_and_choice_list() {
    let form = "
| survey |
| | type | name | label |
| | integer | n | N |
| | decimal | x | X |
| | date | d | D |
| | select_one yn | ok | OK? |
| | select_multiple yn | oks | OKs? |

| choices |
| | list_name | name | label |
| | yn | yes | Yes |
| | yn | no | No |
";
    let s = state(
        form,
        json!({"n": "1.5", "x": "abc", "d": "2026-02-30", "ok": "maybe", "oks": ["yes", "perhaps"]}),
    );
    assert_eq!(
        violations(&s),
        [
            "n: Enter a whole number.",
            "x: Enter a number such as 12.5 or -3, with digits and one point (no exponent such \
             as 1e3, no plus sign).",
            "d: Enter a date as YYYY-MM-DD.",
            "ok: `maybe` is not one of the choices offered here: choose from the list.",
            "oks: `perhaps` is not one of the choices offered here: choose from the list.",
        ]
    );
    let s = state(
        form,
        json!({"n": -3, "x": 2.5, "d": "2026-02-28", "ok": "yes", "oks": ["yes", "no"]}),
    );
    assert!(violations(&s).is_empty());
    // What a looser check would take but every expression would read as NaN (not a number):
    // refused, as ODK Collect's number keyboards refuse it.
    for (n, x) in [("+5", "1e3"), ("5", "+5"), ("5", "1E-2"), ("5", "Infinity")] {
        let s = state(form, json!({"n": n, "x": x}));
        assert_eq!(violations(&s).len(), 1 + usize::from(n != "5"), "{n} {x}");
    }
    // What the expressions read: a leading or trailing point, a minus.
    let s = state(form, json!({"n": "-0", "x": ".5"}));
    assert!(violations(&s).is_empty());
    let s = state(form, json!({"x": "-5."}));
    assert!(violations(&s).is_empty());
}

// Calculations --------------------------------------------------------------------------

const CALCULATIONS: &str = "
| survey |
| | type | name | label | calculation | relevant |
| | date | dob | Date of birth | | |
| | calculate | age | | int((today() - date(${dob})) div 365.25) | |
| | calculate | decade | | int(${age} div 10) * 10 | |
| | note | summary | In your ${decade}s | | ${decade} != '' |
| | calculate | label | | concat('age ', ${age}, ' (', ${decade}, 's)') | |
";

#[test]
fn calculations_chain_in_dependency_order() {
    let s = state(CALCULATIONS, json!({"dob": "1990-06-16"}));
    let computed = s.snapshot().computed;
    assert_eq!(computed["age"], "35");
    assert_eq!(computed["decade"], "30");
    assert_eq!(computed["label"], "age 35 (30s)");
    assert!(relevant(&s).contains(&"summary".to_owned()));
}

#[test]
fn arithmetic_on_unanswered_questions_is_empty_not_nan() {
    let s = state(CALCULATIONS, json!({}));
    assert_eq!(s.value("age", &[]), Ok(""));
    assert_eq!(s.value("decade", &[]), Ok(""));
    assert!(!relevant(&s).contains(&"summary".to_owned()));
}

#[test]
fn calculated_fields_cannot_be_answered() {
    let mut s = state(CALCULATIONS, json!({}));
    assert_eq!(
        s.set_answer("age", &[], "3"),
        Err(AnswerError::Calculated { name: "age".into() })
    );
    assert_eq!(s.is_read_only("age", &[]), Ok(true));
}

/// A form of calculations `(name, calculation)`, built without the importer (which
/// would refuse the mistakes these tests are about).
fn calculations(rows: &[(&str, &str)]) -> Form {
    let mut form = Form::new(FormId::new("calc"), "Calc");
    for (name, calculation) in rows {
        let mut q = Question::new(*name, QuestionType::Calculate, Text::default());
        q.calculation = Some(Expression::new(*calculation));
        form.items.push(Item::Question(q));
    }
    form
}

#[test]
fn version_is_the_forms_version_and_geography_is_computed_as_collect_does() {
    let mut form = calculations(&[
        ("v", "version()"),
        ("d", "round(distance('0 0 0 0;0 1 0 0'))"),
    ]);
    form.version = Some("2026-12-04".into());
    let s = FormState::new(
        Arc::new(CompiledForm::new(&form).expect("compiles")),
        &Answers::new(),
        env(),
    )
    .expect("opens");
    assert_eq!(s.value("v", &[]), Ok("2026-12-04"));
    assert_eq!(
        s.value("d", &[]),
        Ok("111319"),
        "a degree along the equator, in metres"
    );
}

const COMPUTED: &str = "
| survey |
| | type | name | label | calculation |
| | start | started | | |
| | text | name | Name | |
| | calculate | stamp | | once(now()) |
| | calculate | greeting | | concat('Hello ', ${name}) |
| | begin repeat | kids | Kids | |
| | text | kid | Kid | |
| | calculate | kid_initial | | substr(${kid}, 0, 1) |
| | end repeat | | | |
";

#[test]
fn what_the_form_computes_is_listed_to_be_saved_and_once_keeps_its_first_value() {
    let first = state(
        COMPUTED,
        json!({"name": "Lineo", "kids": [{"kid": "Palesa"}, {"kid": "Teboho"}]}),
    );
    let computed: Vec<(String, String)> = first
        .computed_values()
        .into_iter()
        .map(|(at, value)| (at.to_string(), value))
        .collect();
    let stamp = "2026-06-15T09:30:00.000+02:00";
    assert_eq!(
        computed,
        [
            ("started".to_owned(), stamp.to_owned()),
            ("stamp".to_owned(), stamp.to_owned()),
            ("greeting".to_owned(), "Hello Lineo".to_owned()),
            ("kid_initial[0]".to_owned(), "P".to_owned()),
            ("kid_initial[1]".to_owned(), "T".to_owned()),
        ]
    );
    assert!(first.is_computed("stamp") && first.is_computed("started"));
    assert!(!first.is_computed("name") && !first.is_computed("kids"));

    // Opened again a day later (a draft reopened, another device, the server judging it)
    // with what was saved: `once()` and the metadata keep their values; a plain
    // calculation is computed again.
    let mut later = env();
    later.now = chrono::DateTime::parse_from_rfc3339("2026-06-16T10:00:00+02:00").expect("time");
    let saved = answers(json!({
        "started": stamp, "name": "Lineo", "stamp": stamp, "greeting": "stale",
        "kids": [{"kid": "Palesa", "kid_initial": "P"}],
    }));
    let reopened = FormState::new(compile(COMPUTED), &saved, later).expect("opens");
    assert_eq!(reopened.value("stamp", &[]), Ok(stamp));
    assert_eq!(reopened.value("started", &[]), Ok(stamp));
    assert_eq!(reopened.value("greeting", &[]), Ok("Hello Lineo"));
}

#[test]
fn a_decimal_is_kept_as_typed_where_collect_would_write_5_0() {
    let form = "
| survey |
| | type | name | label | calculation |
| | decimal | x | X | |
| | calculate | shown | | string(${x}) |
| | calculate | twice | | ${x} * 2 |
";
    let s = state(form, json!({"x": "5"}));
    assert_eq!(s.value("shown", &[]), Ok("5"));
    assert_eq!(s.value("twice", &[]), Ok("10"));
    let s = state(form, json!({"x": "5.50"}));
    assert_eq!(s.value("shown", &[]), Ok("5.50"));
    assert_eq!(s.value("twice", &[]), Ok("11"));
}

const RANDOMIZED: &str = "
| survey |
| | type | name | label | parameters | choice_filter |
| | integer | s | Seed | | |
| | select_one abc | fixed | Letters | randomize=true seed=42 | |
| | select_one abc | seeded | Letters | randomize=true seed=${s} | |
| | select_one abc | filtered | Letters | randomize=true seed=42 | name != 'b' |
| | select_one abc | plain | Letters | | |

| choices |
| | list_name | name | label |
| | abc | a | A |
| | abc | b | B |
| | abc | c | C |
| | abc | d | D |
| | abc | e | E |
| | abc | f | F |
";

#[test]
fn randomized_choices_are_shuffled_as_collect_shuffles_them() {
    let mut s = state(RANDOMIZED, json!({}));
    let order = |s: &FormState, field: &str| -> String {
        s.choices(field, &[])
            .expect("a select")
            .expect("choices")
            .into_iter()
            .map(|c| c.value)
            .collect()
    };
    // JavaRosa's FisherYatesExamplesTest: ABCDEF with seed 42 is AFCBDE.
    assert_eq!(order(&s, "fixed"), "afcbde");
    assert_eq!(order(&s, "plain"), "abcdef");
    s.set_answer("s", &[], "42").expect("set");
    assert_eq!(order(&s, "seeded"), "afcbde");
    // Filtered first, then shuffled.
    assert_eq!(order(&s, "filtered").len(), 5);
    assert!(!order(&s, "filtered").contains('b'));
}

const OVERWRITTEN: &str = "
| survey |
| | type | name | label | calculation |
| | integer | months | Months abroad | |
| | integer | years | Years abroad | int(${months} div 12) |
| | text | city | City | |
";

#[test]
fn a_question_with_a_calculation_may_be_overwritten_until_what_it_reads_changes() {
    let mut s = state(OVERWRITTEN, json!({}));
    s.set_answer("months", &[], "30").expect("set");
    assert_eq!(s.value("years", &[]), Ok("2"));
    assert_eq!(
        s.is_read_only("years", &[]),
        Ok(false),
        "a question, not a calculate"
    );
    s.set_answer("years", &[], "3")
        .expect("the person knows better");
    s.set_answer("city", &[], "Durban").expect("set");
    assert_eq!(
        s.value("years", &[]),
        Ok("3"),
        "kept while months does not change"
    );
    s.set_answer("months", &[], "50").expect("set");
    assert_eq!(
        s.value("years", &[]),
        Ok("4"),
        "computed again when months changes"
    );

    // Opened again with the person's value: kept, until months changes.
    let mut reopened = state(OVERWRITTEN, json!({"months": "50", "years": "5"}));
    assert_eq!(reopened.value("years", &[]), Ok("5"));
    reopened.set_answer("months", &[], "60").expect("set");
    assert_eq!(reopened.value("years", &[]), Ok("5"));
    reopened.set_answer("months", &[], "61").expect("set");
    assert_eq!(
        reopened.value("years", &[]),
        Ok("5"),
        "int(61 div 12) is 5 too"
    );
    reopened.set_answer("months", &[], "72").expect("set");
    assert_eq!(reopened.value("years", &[]), Ok("6"));
}

const TRIGGERED: &str = "
| survey |
| | type | name | label | calculation | trigger |
| | integer | weight | Weight | | |
| | text | other | Other | | |
| | calculate | weighed_at | | concat(now(), ' ', ${other}) | ${weight} |
| | text | remark | Remark | concat('weighed ', ${weight}) | ${weight} |
| | text | cleared | Cleared | | ${weight} |
| | calculate | plain | | concat(${weight}, ${other}) | |
";

#[test]
fn a_trigger_sets_its_field_only_when_a_person_changes_the_trigger() {
    let mut s = state(TRIGGERED, json!({"cleared": "keep me"}));
    assert_eq!(
        s.value("weighed_at", &[]),
        Ok(""),
        "not computed when the form opens"
    );
    assert_eq!(s.value("cleared", &[]), Ok("keep me"));

    s.set_answer("weight", &[], "70").expect("set");
    assert_eq!(
        s.value("weighed_at", &[]),
        Ok("2026-06-15T09:30:00.000+02:00 ")
    );
    assert_eq!(s.value("remark", &[]), Ok("weighed 70"));
    assert_eq!(
        s.value("cleared", &[]),
        Ok(""),
        "a trigger without a calculation clears"
    );

    // What the calculation reads changes, and the clock: a triggered field stays as it was;
    // a plain calculation follows.
    s.set_answer("other", &[], "x").expect("set");
    s.set_now(chrono::DateTime::parse_from_rfc3339("2026-06-15T10:00:00+02:00").expect("time"));
    assert_eq!(
        s.value("weighed_at", &[]),
        Ok("2026-06-15T09:30:00.000+02:00 ")
    );
    assert_eq!(s.value("plain", &[]), Ok("70x"));

    // The person may overwrite a triggered question; the next change of the trigger sets it.
    s.set_answer("remark", &[], "on the clinic's scale")
        .expect("a question, not a calculate");
    assert_eq!(
        s.set_answer("weighed_at", &[], "now"),
        Err(AnswerError::Calculated {
            name: "weighed_at".into()
        })
    );
    let changes = s.set_answer("weight", &[], "71").expect("set");
    assert_eq!(
        s.value("weighed_at", &[]),
        Ok("2026-06-15T10:00:00.000+02:00 x")
    );
    assert_eq!(s.value("remark", &[]), Ok("weighed 71"));
    let changed: Vec<String> = changes.values.iter().map(ToString::to_string).collect();
    assert!(changed.contains(&"weighed_at".to_owned()), "{changed:?}");
    assert!(s.is_computed("weighed_at") && s.is_computed("remark"));

    // Reopened with what was saved: the triggered values are kept, not computed again.
    let saved = answers(json!({
        "weight": "71", "other": "x", "weighed_at": "earlier", "remark": "on the scale",
    }));
    let reopened = FormState::new(compile(TRIGGERED), &saved, env()).expect("opens");
    assert_eq!(reopened.value("weighed_at", &[]), Ok("earlier"));
    assert_eq!(reopened.value("remark", &[]), Ok("on the scale"));
}

#[test]
fn a_circle_of_calculations_is_a_compile_error_naming_the_fields() {
    let form = calculations(&[
        ("a", "${c} + 1"),
        ("b", "${a} + 1"),
        ("c", "${b} + 1"),
        ("d", "${c}"),
    ]);
    let errors = CompiledForm::new(&form).expect_err("a circle");
    assert_eq!(
        errors,
        [CompileError::Cycle {
            fields: vec!["a".into(), "c".into(), "b".into()]
        }]
    );
    assert_eq!(
        errors[0].to_string(),
        "these fields depend on each other in a circle, so none can be computed first: \
         a → c → b; break the circle by changing one of their expressions"
    );
    let form = calculations(&[("a", "${a} + 1")]);
    assert_eq!(
        CompiledForm::new(&form).expect_err("a circle"),
        [CompileError::Cycle {
            fields: vec!["a".into()]
        }]
    );
}

// Defaults, metadata, read-only -----------------------------------------------------------

const DEFAULTS: &str = "
| survey |
| | type | name | label | default | read_only | relevant |
| | integer | household_size | Household size | 1 | | |
| | date | visit | Visit date | today() | | |
| | text | country | Country | Lesotho | ${household_size} > 5 | |
| | begin repeat | members | Members | | | |
| | text | status | Status | resident | | |
| | end repeat | | | | | |
| | start | start | | | | |
| | today | today | | | | |
| | deviceid | deviceid | | | | |
| | username | username | | | | |
";

#[test]
fn defaults_fill_fields_created_without_an_answer() {
    let s = state(DEFAULTS, json!({"country": "South Africa"}));
    assert_eq!(s.value("household_size", &[]), Ok("1"));
    assert_eq!(s.value("visit", &[]), Ok("2026-06-15"));
    assert_eq!(s.value("country", &[]), Ok("South Africa"));
}

#[test]
fn defaults_are_applied_once_and_to_new_repeat_instances() {
    let mut s = state(DEFAULTS, json!({}));
    s.set_answer("household_size", &[], "").expect("a question");
    assert_eq!(s.value("household_size", &[]), Ok(""));
    assert_eq!(
        s.answers().get("household_size"),
        Some(&Answer::Value(String::new()))
    );
    s.add_repeat_instance("members", &[]).expect("a repeat");
    assert_eq!(s.value("status", &[0]), Ok("resident"));
}

#[test]
fn metadata_comes_from_the_environment() {
    let env = env().with_device_id("android:1234").with_username("mpho");
    let s = FormState::new(compile(DEFAULTS), &Answers::new(), env).expect("fits");
    assert_eq!(s.value("start", &[]), Ok("2026-06-15T09:30:00.000+02:00"));
    assert_eq!(s.value("today", &[]), Ok("2026-06-15"));
    assert_eq!(s.value("deviceid", &[]), Ok("android:1234"));
    assert_eq!(s.value("username", &[]), Ok("mpho"));
}

#[test]
fn read_only_is_an_expression() {
    let mut s = state(DEFAULTS, json!({}));
    assert_eq!(s.is_read_only("country", &[]), Ok(false));
    let changes = s
        .set_answer("household_size", &[], "6")
        .expect("a question");
    assert_eq!(changes.read_only, [at("country", &[])]);
    assert_eq!(s.snapshot().read_only, ["country"]);
}

// Choice filters ------------------------------------------------------------------------

const CHOICE_FILTER: &str = "
| survey |
| | type | name | label::English (en) | label::Sesotho (st) | choice_filter |
| | select_one country | country | Country | Naha | |
| | select_one province | province | Province | Profinse | country = ${country} |
| | begin repeat | trips | Trips | Maeto | |
| | select_one country | to | To | Ho ea | |
| | select_one province | where | Where | Hokae | country = ${to} |
| | end repeat | | | | |

| choices |
| | list_name | name | label::English (en) | label::Sesotho (st) | country |
| | country | ls | Lesotho | Lesotho | |
| | country | za | South Africa | Afrika Boroa | |
| | province | maseru | Maseru | Maseru | ls |
| | province | gauteng | Gauteng | Gauteng | za |
| | province | free_state | Free State | Foreisetata | za |

| settings |
| | form_id | form_title | default_language |
| | filter | Filter | English (en) |
";

fn choice_values(s: &FormState, field: &str, instance: &[usize]) -> Vec<String> {
    s.choices(field, instance)
        .expect("a question")
        .expect("a select")
        .into_iter()
        .map(|c| c.value)
        .collect()
}

#[test]
fn a_choice_filter_keeps_the_choices_whose_columns_match() {
    let mut s = state(CHOICE_FILTER, json!({}));
    assert!(choice_values(&s, "province", &[]).is_empty());
    s.set_answer("country", &[], "za").expect("a question");
    assert_eq!(
        choice_values(&s, "province", &[]),
        ["gauteng", "free_state"]
    );
    let changes = s.set_answer("country", &[], "ls").expect("a question");
    assert_eq!(changes.choices, [at("province", &[])]);
    assert_eq!(choice_values(&s, "province", &[]), ["maseru"]);
}

#[test]
fn choice_filters_are_per_repeat_instance_and_labelled_in_the_language() {
    let mut s = state(
        CHOICE_FILTER,
        json!({"trips": [{"to": "ls"}, {"to": "za"}]}),
    );
    assert_eq!(choice_values(&s, "where", &[0]), ["maseru"]);
    assert_eq!(choice_values(&s, "where", &[1]), ["gauteng", "free_state"]);
    s.set_language(Some("st".to_owned()));
    let labels: Vec<String> = s.snapshot().choices["where[1]"]
        .iter()
        .map(|c| c.label.clone())
        .collect();
    assert_eq!(labels, ["Gauteng", "Foreisetata"]);
}

#[test]
fn an_answer_the_filter_does_not_offer_is_invalid_and_revalidated_when_the_filter_changes() {
    let mut s = state(
        CHOICE_FILTER,
        json!({"country": "za", "province": "gauteng"}),
    );
    assert!(s.constraint_violations().is_empty());
    // Moving to Lesotho leaves a South African province behind: the server must not accept
    // it as complete.
    s.set_answer("country", &[], "ls").expect("a question");
    let violations: Vec<String> = s
        .constraint_violations()
        .into_iter()
        .map(|issue| format!("{}: {}", issue.location, issue.message))
        .collect();
    assert_eq!(
        violations,
        ["province: `gauteng` is not one of the choices offered here: choose from the list."]
    );
    s.set_answer("province", &[], "maseru").expect("a question");
    assert!(s.constraint_violations().is_empty());
    // Inside a repeat, each instance is checked against its own filter.
    let s = state(
        CHOICE_FILTER,
        json!({"trips": [{"to": "ls", "where": "maseru"}, {"to": "za", "where": "maseru"}]}),
    );
    let bad: Vec<String> = s
        .constraint_violations()
        .into_iter()
        .map(|issue| issue.location.to_string())
        .collect();
    assert_eq!(bad, ["where[1]"]);
}

// Repeats -------------------------------------------------------------------------------

const REPEATS: &str = "
| survey |
| | type | name | label | calculation | relevant | constraint |
| | begin repeat | children | Children | | | |
| | text | name | Name | | | |
| | integer | age | Age | | | . < 18 |
| | calculate | number | | position(..) | | |
| | text | school | School | | ${age} >= 6 | |
| | calculate | older | | ${age} > indexed-repeat(${age}, ${children}, 1) | | |
| | end repeat | | | | | |
| | calculate | count | | count(${children}) | | |
| | calculate | total_age | | sum(${age}) | | |
| | calculate | first_name | | indexed-repeat(${name}, ${children}, 1) | | |
";

fn children() -> serde_json::Value {
    json!({"children": [
        {"name": "Lineo", "age": 4},
        {"name": "Thabo", "age": 9, "school": "Maseru Prep"},
        {"name": "Palesa", "age": 12}
    ]})
}

#[test]
fn inside_a_repeat_references_mean_the_same_instance() {
    let s = state(REPEATS, children());
    assert_eq!(s.is_relevant("school", &[0]), Ok(false));
    assert_eq!(s.is_relevant("school", &[1]), Ok(true));
    assert_eq!(s.value("number", &[2]), Ok("3"));
    assert_eq!(s.value("older", &[0]), Ok("false"));
    assert_eq!(s.value("older", &[2]), Ok("true"));
}

#[test]
fn outside_a_repeat_references_mean_every_instance() {
    let s = state(REPEATS, children());
    assert_eq!(s.value("count", &[]), Ok("3"));
    assert_eq!(s.value("total_age", &[]), Ok("25"));
    assert_eq!(s.value("first_name", &[]), Ok("Lineo"));
    assert_eq!(s.snapshot().repeat_counts["children"], 3);
}

#[test]
fn adding_and_removing_instances_recomputes_positions_and_totals() {
    let mut s = state(REPEATS, children());
    let changes = s.add_repeat_instance("children", &[]).expect("a repeat");
    assert_eq!(changes.repeats, [at("children", &[3])]);
    s.set_answer("age", &[3], "20").expect("a question");
    assert_eq!(violations(&s), ["age[3]: This answer is not valid."]);
    assert_eq!(s.value("total_age", &[]), Ok("45"));

    s.remove_repeat_instance("children", &[0])
        .expect("an instance");
    assert_eq!(s.value("count", &[]), Ok("3"));
    assert_eq!(s.value("number", &[0]), Ok("1"));
    assert_eq!(s.value("name", &[0]), Ok("Thabo"));
    assert_eq!(s.value("first_name", &[]), Ok("Thabo"));
    assert_eq!(s.value("older", &[0]), Ok("false"));
    assert_eq!(s.value("total_age", &[]), Ok("41"));
}

#[test]
fn repeat_count_creates_and_trims_instances() {
    let form = "
| survey |
| | type | name | label | repeat_count | default | calculation |
| | integer | size | Household size | | | |
| | begin repeat | member | Member | ${size} | | |
| | text | relation | Relation | | resident | |
| | calculate | n | | | | position(..) |
| | end repeat | | | | | |
";
    let mut s = state(form, json!({"size": 2}));
    assert_eq!(s.repeat_count("member", &[]), Ok(2));
    assert_eq!(s.value("relation", &[1]), Ok("resident"));
    s.set_answer("relation", &[1], "child").expect("a question");
    let changes = s.set_answer("size", &[], "4").expect("a question");
    assert_eq!(changes.repeats, [at("member", &[])]);
    assert_eq!(s.value("n", &[3]), Ok("4"));
    s.set_answer("size", &[], "1").expect("a question");
    assert_eq!(s.repeat_count("member", &[]), Ok(1));
    assert_eq!(
        s.add_repeat_instance("member", &[]),
        Err(AnswerError::CountedRepeat {
            name: "member".into()
        })
    );
    s.set_answer("size", &[], "lots").expect("a question");
    assert_eq!(s.repeat_count("member", &[]), Ok(0));
}

#[test]
fn nested_repeats_take_one_index_per_repeat() {
    let form = "
| survey |
| | type | name | label | calculation |
| | begin repeat | household | Household | |
| | begin repeat | person | Person | |
| | integer | age | Age | |
| | end repeat | | | |
| | calculate | household_age | | sum(${age}) |
| | end repeat | | | |
| | calculate | everyone | | sum(${age}) |
";
    let mut s = state(
        form,
        json!({"household": [{"person": [{"age": 30}, {"age": 5}]}, {"person": [{"age": 70}]}]}),
    );
    assert_eq!(s.value("household_age", &[0]), Ok("35"));
    assert_eq!(s.value("household_age", &[1]), Ok("70"));
    assert_eq!(s.value("everyone", &[]), Ok("105"));
    s.add_repeat_instance("person", &[1]).expect("a repeat");
    s.set_answer("age", &[1, 1], "40").expect("a question");
    assert_eq!(s.value("household_age", &[1]), Ok("110"));
    assert_eq!(s.value("household_age", &[0]), Ok("35"));
    assert_eq!(
        s.set_answer("age", &[1], "1"),
        Err(AnswerError::InstancePath {
            name: "age".into(),
            expected: 2,
            given: 1
        })
    );
    assert_eq!(
        s.set_answer("age", &[5, 0], "1"),
        Err(AnswerError::NoSuchInstance {
            repeat: "household".into(),
            index: 5,
            count: 2
        })
    );
}

// The submission ------------------------------------------------------------------------

#[test]
fn non_relevant_answers_are_left_out_of_the_submission_but_kept() {
    let mut s = state(
        SKIP,
        json!({"consent": "yes", "age": 30, "job": "nurse", "employer": "Baragwanath"}),
    );
    s.set_answer("consent", &[], "no").expect("a question");
    assert_eq!(
        serde_json::to_value(s.submission_answers()).expect("serialisable"),
        json!({"consent": "no"})
    );
    assert_eq!(
        s.answers().get("employer"),
        Some(&Answer::Value("Baragwanath".into()))
    );
    // Nothing entered is lost: consenting again brings the answers back.
    s.set_answer("consent", &[], "yes").expect("a question");
    assert_eq!(
        serde_json::to_value(s.submission_answers()).expect("serialisable"),
        json!({"consent": "yes", "age": "30", "job": "nurse", "employer": "Baragwanath"})
    );
}

#[test]
fn the_submission_includes_calculations_and_reloads_to_the_same_state() {
    let s = state(REPEATS, children());
    let submitted = s.submission_answers();
    assert_eq!(submitted.get("count"), Some(&Answer::Value("3".into())));
    let again = FormState::new(Arc::clone(s.compiled()), &submitted, env()).expect("fits");
    assert_eq!(again.snapshot(), s.snapshot());
}

// `[]` ----------------------------------------------------------------------------------

const EMPTY_ARRAYS: &str = "
| survey |
| | type | name | label | default | calculation |
| | select_multiple langs | languages | Languages | en | |
| | begin repeat | children | Children | | |
| | text | name | Name | | |
| | end repeat | | | | |
| | calculate | count | | | count(${children}) |

| choices |
| | list_name | name | label |
| | langs | en | English |
| | langs | st | Sesotho |
";

/// JSON has one `[]` for an empty select_multiple and a repeat without instances; it reads
/// as the first, and the submission document may give either. Each is taken for either.
#[test]
fn an_empty_array_is_no_choices_or_no_instances_whichever_variant_holds_it() {
    let form = compile(EMPTY_ARRAYS);
    let empty_multiple = || Answer::Multiple(Vec::new());
    let empty_repeat = || Answer::Repeat(Vec::new());
    for (languages, children) in [
        (empty_multiple(), empty_multiple()),
        (empty_multiple(), empty_repeat()),
        (empty_repeat(), empty_multiple()),
        (empty_repeat(), empty_repeat()),
    ] {
        let given = Answers::new()
            .with("languages", languages)
            .with("children", children);
        let s = FormState::new(Arc::clone(&form), &given, env()).expect("`[]` fits both");
        assert_eq!(s.repeat_count("children", &[]), Ok(0), "{given:?}");
        assert_eq!(s.value("count", &[]), Ok("0"), "{given:?}");
        // Answered, and empty: the default is for questions created without an answer.
        assert_eq!(s.value("languages", &[]), Ok(""), "{given:?}");
    }
    let from_json = state(EMPTY_ARRAYS, json!({"languages": [], "children": []}));
    assert_eq!(from_json.repeat_count("children", &[]), Ok(0));
    assert_eq!(from_json.value("languages", &[]), Ok(""));
    // An instance is not a choice, nor a choice an instance.
    let errors = FormState::new(
        form,
        &answers(json!({"languages": [{"name": "x"}], "children": ["en"]})),
        env(),
    )
    .expect_err("does not fit");
    assert_eq!(errors.len(), 2, "{errors:?}");
}

// Errors --------------------------------------------------------------------------------

#[test]
fn answers_that_do_not_fit_the_form_say_what_to_do() {
    let form = compile(REPEATS);
    let bad = answers(json!({
        "nmae": "x",
        "age": 3,
        "children": [{"name": ["a", "b"], "count": 1}],
    }));
    let errors = FormState::new(form, &bad, env()).expect_err("does not fit");
    let messages: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        messages,
        [
            "`age` belongs to the objects of the repeat `children`, but was given in the top \
             level: move it there",
            "`count` belongs to the top level, but was given in the objects of the repeat \
             `children`: move it there",
            "`name` takes a single value: write it as a string, not an array (only \
             select_multiple and rank questions take arrays)",
            "the form has no question called `nmae`: check the spelling, or remove it",
        ]
    );
}

#[test]
fn forms_with_mistakes_do_not_compile() {
    let form = calculations(&[("age", "1"), ("job", "${agee} > 16"), ("age", "(")]);
    let errors = CompiledForm::new(&form).expect_err("mistakes");
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "two fields are called `age`: names must be unique in the whole form (rename one \
             of them)",
            "the calculation of `job` refers to `${agee}`, but the form has no field called \
             `agee`: check the spelling",
            "the calculation of `age` does not parse: the expression ends where a value was \
             expected: add a number, a 'string', a ${reference} or a function call (at 1..1)",
        ]
    );
}

#[test]
fn evaluation_errors_are_reported_not_thrown() {
    let s = state(
        "
| survey |
| | type | name | label | constraint |
| | text | code | Code | regex(., '[') |
",
        json!({"code": "x"}),
    );
    let snapshot = s.snapshot();
    assert_eq!(snapshot.errors.len(), 1);
    assert!(
        snapshot.errors[0]
            .message
            .starts_with("the constraint of `code`: regex()")
    );
    assert!(!s.can_finalise());
}

#[test]
fn a_phone_number_takes_digits_only_as_in_pyxform() {
    const PHONE: &str = "
| survey |
| | type | name | label |
| | phone number | phone | Phone |
";
    assert!(
        state(PHONE, json!({"phone": "26655512345"}))
            .constraint_violations()
            .is_empty()
    );
    assert!(
        state(PHONE, json!({})).constraint_violations().is_empty(),
        "empty is not checked"
    );
    for refused in ["+266 5551 2345", "5551-2345", "\u{0661}\u{0662}"] {
        let s = state(PHONE, json!({ "phone": refused }));
        assert_eq!(s.constraint_violations().len(), 1, "{refused}");
    }
}

// Secondary instances ----------------------------------------------------------------------

const FRUIT_PRICES: &str = "
| survey |
| | type | name | label | calculation |
| | select_one fruits | fruit | Fruit | |
| | integer | kilos | Kilos | |
| | calculate | price | | instance('fruits')/root/item[name = ${fruit}]/price |
| | calculate | total | | ${price} * ${kilos} |
| | calculate | region | | pulldata('fruits', 'region', 'name', ${fruit}) |
| | calculate | southern | | count(instance('fruits')/root/item[region = 'south']) |

| choices |
| | list_name | name | label | price | region |
| | fruits | apple | Apple | 3 | north |
| | fruits | banana | Banana | 5 | south |
| | fruits | cherry | Cherry | 12 | south |
";

#[test]
fn a_choice_list_is_a_secondary_instance_with_its_extra_columns() {
    let mut s = state(FRUIT_PRICES, json!({"fruit": "banana", "kilos": 2}));
    assert_eq!(s.value("price", &[]), Ok("5"));
    assert_eq!(s.value("total", &[]), Ok("10"));
    assert_eq!(s.value("region", &[]), Ok("south"));
    assert_eq!(s.value("southern", &[]), Ok("2"));
    // Changing the key recomputes the lookup and what depends on it.
    let changes = s.set_answer("fruit", &[], "cherry").expect("a question");
    assert_eq!(s.value("price", &[]), Ok("12"));
    assert_eq!(s.value("total", &[]), Ok("24"));
    assert!(
        changes.values.iter().any(|c| c.field == "total"),
        "{changes:?}"
    );
    // No match gives '' (and NaN in arithmetic, which a calculation stores as '').
    s.set_answer("fruit", &[], "").expect("a question");
    assert_eq!(s.value("price", &[]), Ok(""));
    assert_eq!(s.value("region", &[]), Ok(""));
}

#[test]
fn a_lookup_in_a_secondary_instance_is_recomputed_only_when_its_key_changes() {
    let mut s = state(FRUIT_PRICES, json!({"fruit": "apple", "kilos": 1}));
    let changes = s.set_answer("kilos", &[], "3").expect("a question");
    let fields: Vec<&str> = changes.values.iter().map(|c| c.field.as_str()).collect();
    assert!(!fields.contains(&"price"), "{fields:?}");
    assert!(fields.contains(&"total"), "{fields:?}");
}

#[test]
fn a_choice_item_reads_as_its_label_in_the_current_language() {
    let s = state(
        "
| survey |
| | type | name | label::English | label::Sesotho | calculation |
| | select_one yn | ok | OK? | Ho lokile? | |
| | calculate | shown | | | instance('yn')/root/item[name = ${ok}]/label |

| choices |
| | list_name | name | label::English | label::Sesotho |
| | yn | yes | Yes | E |
| | yn | no | No | Che |
",
        json!({"ok": "no"}),
    );
    assert_eq!(s.value("shown", &[]), Ok("No"));
}

#[test]
fn an_unknown_instance_is_a_compile_error_that_says_what_to_attach() {
    let mut form = form(
        "
| survey |
| | type | name | label | calculation |
| | text | code | Code | |
| | calculate | place | | pulldata('places', 'name', 'code', ${code}) |
",
    );
    // The importer declares places.csv for the pulldata() call; a definition that lacks
    // it (written by hand, or by an older importer) does not compile.
    assert_eq!(form.instances.len(), 1);
    form.instances.clear();
    let errors = CompiledForm::new(&form).expect_err("no such instance");
    assert_eq!(
        errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
        [
            "the calculation of `place` reads instance('places'), but the form has no choice \
          list and no attached file called `places`: add the list to the choices sheet, or \
          attach the file (`csv-external places` with places.csv, `xml-external places` with \
          places.xml)"
        ]
    );
}

#[test]
fn a_data_instance_is_read_by_path_and_an_xform_root_name_by_absolute_paths() {
    use letsema_form::model::{DataInstance, DataNode};
    let mut form = form(
        "
| survey |
| | type | name | label | calculation |
| | xml-external | wards | | |
| | text | ward | Ward | |
| | calculate | lga | | instance('wards')/root/item[name = /data/ward]/lga |
| | calculate | wards_count | | count(instance('wards')/root/item) |
",
    );
    let ward = |name: &str, lga: &str| {
        DataNode::new("item")
            .with(DataNode::leaf("name", name))
            .with(DataNode::leaf("lga", lga))
    };
    // What attaching wards.xml gives (letsema-datafile's job, done here by hand).
    assert_eq!(
        form.instances,
        [DataInstance {
            id: "wards".into(),
            source: Some("wards.xml".into()),
            root: DataNode::new("root"),
        }]
    );
    form.instances[0].root = DataNode::new("root")
        .with(ward("w1", "Ikeja"))
        .with(ward("w2", "Epe"));
    let compiled = Arc::new(CompiledForm::new(&form).expect("compiles"));
    let s = FormState::new(compiled, &answers(json!({"ward": "w2"})), env()).expect("fits");
    assert_eq!(s.value("lga", &[]), Ok("Epe"));
    assert_eq!(s.value("wards_count", &[]), Ok("2"));

    // An XForm names its root element itself: `/html_form/ward`.
    form.root_name = Some("html_form".into());
    let Some(Item::Question(lga)) = form.items.get_mut(1) else {
        panic!("the second item is the calculation");
    };
    lga.calculation = Some(Expression::new(
        "instance('wards')/root/item[name = /html_form/ward]/lga",
    ));
    let compiled = Arc::new(CompiledForm::new(&form).expect("compiles"));
    let s = FormState::new(compiled, &answers(json!({"ward": "w1"})), env()).expect("fits");
    assert_eq!(s.value("lga", &[]), Ok("Ikeja"));
}

#[test]
fn an_indexed_lookup_finds_what_looking_at_every_item_finds() {
    // `[name = ${k}]` is answered from an index; `[name = ${k} and true()]` looks at every
    // item. They agree on duplicates, on missing cells, on '' and on numbers as keys.
    let form_text = "
| survey |
| | type | name | label | calculation |
| | text | k | Key | |
| | calculate | by_index | | join(' ', instance('l')/root/item[code = ${k}]/name) |
| | calculate | by_scan | | join(' ', instance('l')/root/item[code = ${k} and true()]/name) |
| | calculate | by_number | | join(' ', instance('l')/root/item[code = number(${k})]/name) |
| | calculate | pulled | | pulldata('l', 'name', 'code', ${k}) |

| choices |
| | list_name | name | label | code |
| | l | a | A | 1 |
| | l | b | B | 01 |
| | l | c | C | 1 |
| | l | d | D | |
| | l | e | E | x |
";
    for (key, found, by_number, pulled) in [
        ("1", "a c", "a b c", "a"),
        ("01", "b", "a b c", "b"),
        ("", "d", "", "d"),
        ("x", "e", "", "e"),
        ("y", "", "", ""),
    ] {
        let s = state(form_text, json!({ "k": key }));
        assert_eq!(s.value("by_index", &[]), Ok(found), "key {key:?}");
        assert_eq!(s.value("by_scan", &[]), Ok(found), "key {key:?}");
        assert_eq!(s.value("by_number", &[]), Ok(by_number), "key {key:?}");
        assert_eq!(s.value("pulled", &[]), Ok(pulled), "key {key:?}");
    }
}
