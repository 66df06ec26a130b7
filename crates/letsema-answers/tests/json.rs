//! The JSON form of answers: what a form author writes by hand, and back.
#![cfg(not(target_arch = "wasm32"))] // proptest needs a random source wasm32 lacks

use letsema_answers::{Answer, Answers};
use proptest::prelude::*;
use serde_json::json;

#[test]
fn answers_read_the_json_an_author_writes() {
    let answers: Answers = serde_json::from_value(json!({
        "consent": "yes",
        "age": 34,
        "height": 1.75,
        "smoker": false,
        "nickname": null,
        "citizenships": ["ls", "za"],
        "qualifications": [{"degree": "BSc", "year": 2010}, {"degree": "MSc"}],
        "none_yet": []
    }))
    .expect("the JSON format");
    assert_eq!(answers.get("consent"), Some(&Answer::Value("yes".into())));
    assert_eq!(answers.get("age"), Some(&Answer::Value("34".into())));
    assert_eq!(answers.get("height"), Some(&Answer::Value("1.75".into())));
    assert_eq!(answers.get("smoker"), Some(&Answer::Value("false".into())));
    assert_eq!(answers.get("nickname"), Some(&Answer::Value(String::new())));
    assert_eq!(
        answers.get("citizenships"),
        Some(&Answer::from(["ls", "za"]))
    );
    assert_eq!(
        answers.get("qualifications"),
        Some(&Answer::Repeat(vec![
            Answers::new().with("degree", "BSc").with("year", "2010"),
            Answers::new().with("degree", "MSc"),
        ]))
    );
    assert_eq!(answers.get("none_yet"), Some(&Answer::Multiple(Vec::new())));
    assert_eq!(
        answers.get("citizenships").and_then(Answer::to_xpath_value),
        Some("ls za".to_owned())
    );
}

#[test]
fn answers_write_back_as_strings_arrays_and_objects_in_their_order() {
    let answers = Answers::new()
        .with("name", "Mpho")
        .with("age", "34")
        .with("languages", ["sesotho", "english"])
        .with(
            "children",
            vec![Answers::new().with("name", "Lineo").with("age", "4")],
        );
    let text = serde_json::to_string(&answers).expect("serialisable");
    assert_eq!(
        text,
        r#"{"name":"Mpho","age":"34","languages":["sesotho","english"],"children":[{"name":"Lineo","age":"4"}]}"#
    );
    let back: Answers = serde_json::from_str(&text).expect("readable");
    assert_eq!(back, answers);
}

#[test]
fn json_that_is_not_answers_is_refused_with_a_reason() {
    let err = |v: serde_json::Value| {
        serde_json::from_value::<Answers>(v)
            .expect_err("not answers")
            .to_string()
    };
    assert!(err(json!({"group": {"a": "b"}})).contains("groups do not nest"));
    assert!(err(json!({"mixed": ["a", {"b": "c"}]})).contains("mixes values and objects"));
    assert!(err(json!({"nested": [["a"]]})).contains("arrays do not nest"));
    assert!(err(json!(["a"])).contains("an object of answers"));
}

fn answer(depth: u32) -> BoxedStrategy<Answer> {
    let value = "[a-zA-Z0-9 _.:+-]{0,10}".prop_map(Answer::Value);
    let multiple = proptest::collection::vec("[a-z0-9_]{1,6}", 0..4).prop_map(Answer::Multiple);
    if depth == 0 {
        return prop_oneof![value, multiple].boxed();
    }
    let repeat = proptest::collection::vec(answers(depth - 1), 1..3).prop_map(Answer::Repeat);
    prop_oneof![3 => value, 1 => multiple, 1 => repeat].boxed()
}

fn answers(depth: u32) -> BoxedStrategy<Answers> {
    proptest::collection::vec(("[a-z_][a-z0-9_]{0,8}", answer(depth)), 0..5)
        .prop_map(|entries| {
            let mut answers = Answers::new();
            for (name, answer) in entries {
                answers.insert(name, answer);
            }
            answers
        })
        .boxed()
}

proptest! {
    #[test]
    fn answers_survive_a_json_round_trip(answers in answers(2)) {
        let text = serde_json::to_string(&answers).expect("serialisable");
        let back: Answers = serde_json::from_str(&text).expect("readable");
        prop_assert_eq!(back, answers);
    }
}
