//! The answer value tree and paths to answers.
//!
//! These are the plain values a form runtime reads and writes. Their JSON is the natural one:
//! `{"consent": "yes", "citizenships": ["ls", "za"], "qualifications": [{"degree": "BSc"}]}`.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One answer, as ODK stores it.
///
/// Text, numbers and dates are all text (`"34"`, `"2010-05-01"`), exactly as the form engine
/// reads them. A `select_multiple` answer is a list of choice names; a repeat is a list of
/// instances, each with its own answers.
///
/// In JSON the three cases are a string, an array of strings and an array of objects. An
/// empty array reads as an empty [`AnswerValue::List`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AnswerValue {
    /// A text, number, date, time or `select_one` answer.
    Text(String),
    /// A `select_multiple` answer: the chosen choice names.
    ///
    /// The document stores it as a set, so the order is not kept: [`SubmissionDoc::answers`]
    /// lists choices sorted by name. Put them back in the form's choice order for display.
    ///
    /// [`SubmissionDoc::answers`]: crate::SubmissionDoc::answers
    List(Vec<String>),
    /// A repeat group: one map of answers per instance, in order.
    Repeat(Vec<Answers>),
}

impl AnswerValue {
    /// A text answer.
    pub fn text(value: impl Into<String>) -> AnswerValue {
        AnswerValue::Text(value.into())
    }

    /// A `select_multiple` answer.
    pub fn list<S: Into<String>>(choices: impl IntoIterator<Item = S>) -> AnswerValue {
        AnswerValue::List(choices.into_iter().map(Into::into).collect())
    }

    /// How many repeat levels this value nests (0 for text and lists).
    pub(crate) fn depth(&self) -> usize {
        match self {
            AnswerValue::Text(_) | AnswerValue::List(_) => 0,
            AnswerValue::Repeat(instances) => {
                1 + instances
                    .iter()
                    .flat_map(|answers| answers.values())
                    .map(AnswerValue::depth)
                    .max()
                    .unwrap_or(0)
            }
        }
    }

    /// The same value as the document would give it back: a `select_multiple` list sorted,
    /// with duplicates removed, at every level.
    pub fn normalized(&self) -> AnswerValue {
        match self {
            AnswerValue::Text(text) => AnswerValue::Text(text.clone()),
            AnswerValue::List(choices) => {
                let mut choices = choices.clone();
                choices.sort();
                choices.dedup();
                AnswerValue::List(choices)
            }
            AnswerValue::Repeat(instances) => AnswerValue::Repeat(
                instances
                    .iter()
                    .map(|answers| {
                        answers
                            .iter()
                            .map(|(name, value)| (name.clone(), value.normalized()))
                            .collect()
                    })
                    .collect(),
            ),
        }
    }
}

/// All answers of a submission (or of one repeat instance), by field name.
pub type Answers = BTreeMap<String, AnswerValue>;

/// The stable id of one repeat instance.
///
/// It is the automerge id of the instance's map (`counter@actor`), so it is unique across
/// devices, never changes, and needs no randomness: concurrent edits of different instances
/// merge, and an instance removed on one device is not confused with its neighbour.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RepeatInstanceId(pub(crate) String);

impl RepeatInstanceId {
    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Wraps an id previously read from [`RepeatInstanceId::as_str`].
    pub fn from_string(id: String) -> RepeatInstanceId {
        RepeatInstanceId(id)
    }
}

impl fmt::Display for RepeatInstanceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One repeat instance with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatInstance {
    /// The instance's stable id.
    pub id: RepeatInstanceId,
    /// The instance's answers.
    pub answers: Answers,
}

/// Where an answer is: a field name, inside zero or more repeat instances.
///
/// `qualifications[3@ab..]/degree` is the `degree` of one instance of the `qualifications`
/// repeat: `AnswerPath::field("qualifications").child(&id, "degree")`, which is
/// `AnswerPath { repeats: [("qualifications", id)], name: "degree" }`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct AnswerPath {
    /// The enclosing repeats, outermost first: the repeat field's name and the instance.
    pub repeats: Vec<(String, RepeatInstanceId)>,
    /// The field's name.
    pub name: String,
}

impl AnswerPath {
    /// A top-level field.
    pub fn field(name: impl Into<String>) -> AnswerPath {
        AnswerPath {
            repeats: Vec::new(),
            name: name.into(),
        }
    }

    /// The field `name` inside `instance` of the repeat at `self`.
    pub fn child(&self, instance: &RepeatInstanceId, name: impl Into<String>) -> AnswerPath {
        let mut repeats = self.repeats.clone();
        repeats.push((self.name.clone(), instance.clone()));
        AnswerPath {
            repeats,
            name: name.into(),
        }
    }
}

impl fmt::Display for AnswerPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (repeat, instance) in &self.repeats {
            write!(f, "{repeat}[{instance}]/")?;
        }
        f.write_str(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_shape_is_natural() {
        let json = r#"{"age":"34","citizenships":["ls","za"],"consent":"yes","qualifications":[{"degree":"BSc","year":"2010"}]}"#;
        let answers: Answers = serde_json::from_str(json).expect("valid answers");
        assert_eq!(answers["age"], AnswerValue::text("34"));
        assert_eq!(answers["citizenships"], AnswerValue::list(["ls", "za"]));
        let AnswerValue::Repeat(instances) = &answers["qualifications"] else {
            panic!("qualifications should be a repeat: {answers:?}");
        };
        assert_eq!(instances[0]["degree"], AnswerValue::text("BSc"));
        assert_eq!(serde_json::to_string(&answers).expect("serialises"), json);
    }

    #[test]
    fn depth_counts_repeat_levels() {
        let inner = AnswerValue::Repeat(vec![Answers::new()]);
        let outer = AnswerValue::Repeat(vec![Answers::from([("x".to_owned(), inner)])]);
        assert_eq!(AnswerValue::text("a").depth(), 0);
        assert_eq!(outer.depth(), 2);
    }
}
