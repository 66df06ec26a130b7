//! Answers as the form engine holds them ([`letsema_form::runtime::Answers`]) and as the
//! submission document holds them ([`letsema_doc::Answers`]): the same tree, converted both
//! ways, for the app and the server that stand between the two.

use letsema_form::runtime::{Answer, Answers};

/// Answers in the runtime's shape ([`letsema_form::runtime::Answers`]) as the submission
/// document holds them ([`letsema_doc::Answers`]).
pub fn to_doc_answers(answers: &Answers) -> letsema_doc::Answers {
    answers
        .iter()
        .map(|(name, answer)| {
            let value = match answer {
                Answer::Value(v) => letsema_doc::AnswerValue::Text(v.clone()),
                Answer::Multiple(values) => letsema_doc::AnswerValue::List(values.clone()),
                Answer::Repeat(instances) => {
                    letsema_doc::AnswerValue::Repeat(instances.iter().map(to_doc_answers).collect())
                }
            };
            (name.to_owned(), value)
        })
        .collect()
}

/// Answers read from a submission document, in the runtime's shape, to judge them with
/// [`letsema_form::runtime::FormState`]. Fields come in name order (the document does not
/// keep the form's).
pub fn to_form_answers(answers: &letsema_doc::Answers) -> Answers {
    let mut out = Answers::new();
    for (name, value) in answers {
        let answer = match value {
            letsema_doc::AnswerValue::Text(v) => Answer::Value(v.clone()),
            letsema_doc::AnswerValue::List(values) => Answer::Multiple(values.clone()),
            letsema_doc::AnswerValue::Repeat(instances) => {
                Answer::Repeat(instances.iter().map(to_form_answers).collect())
            }
        };
        out.insert(name.clone(), answer);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_convert_both_ways() {
        let answers = Answers::new()
            .with("consent", "yes")
            .with("citizenships", ["lesotho", "uk"])
            .with(
                "qualifications",
                vec![Answers::new().with("degree", "BSc").with("year", "2010")],
            );
        let doc = to_doc_answers(&answers);
        assert_eq!(
            doc["citizenships"],
            letsema_doc::AnswerValue::list(["lesotho", "uk"])
        );
        let back = to_form_answers(&doc);
        assert_eq!(to_doc_answers(&back), doc);
    }
}
