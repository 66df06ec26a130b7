//! [`Answers`]: the answers of a submission, in the JSON a form author writes by hand.
//!
//! ```json
//! {"consent": "yes", "age": 34, "citizenships": ["ls", "za"],
//!  "qualifications": [{"degree": "BSc", "year": "2010"}, {"degree": "MSc"}]}
//! ```
//!
//! - A question is keyed by its name. Groups do **not** nest: XLSForm names are unique
//!   form-wide (the runtime refuses forms where they are not), so a question inside a group
//!   is written next to the group's siblings, at the level of its nearest repeat.
//! - Values are strings, as ODK stores them (numbers and dates in their canonical text);
//!   JSON numbers and booleans are accepted and turned into that text, `null` means
//!   unanswered.
//! - A `select_multiple` is an array of choice values (a space-separated string is
//!   accepted too, as ODK stores it).
//! - A repeat is an array of objects, one per instance, each keyed like the top level.
//!
//! [`Answers`] itself knows nothing of a form; [`FormState::new`](super::FormState::new)
//! checks that the answers fit the form and reports every [`AnswerError`].

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The answers of a submission, or of one repeat instance: field names and their answers,
/// in the order they were inserted (JSON objects keep their order).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answers {
    entries: Vec<(String, Answer)>,
}

/// One answer: a value, the values of a `select_multiple`, or the instances of a repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A single value, as ODK stores it: `"34"`, `"2024-05-01"`, `"yes"`; `""` when
    /// unanswered.
    Value(String),
    /// The selected values of a `select_multiple` (or the order of a `rank`).
    Multiple(Vec<String>),
    /// The instances of a repeat, each with its own answers.
    Repeat(Vec<Answers>),
}

impl Answers {
    /// No answers.
    pub fn new() -> Self {
        Self::default()
    }

    /// These answers with one more (replacing an answer of the same name).
    pub fn with(mut self, name: impl Into<String>, answer: impl Into<Answer>) -> Self {
        self.insert(name, answer);
        self
    }

    /// Sets the answer of `name`, replacing any previous one in its place.
    pub fn insert(&mut self, name: impl Into<String>, answer: impl Into<Answer>) {
        let name = name.into();
        let answer = answer.into();
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = answer,
            None => self.entries.push((name, answer)),
        }
    }

    /// The answer of `name`, if there is one.
    pub fn get(&self, name: &str) -> Option<&Answer> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, answer)| answer)
    }

    /// Removes and returns the answer of `name`.
    pub fn remove(&mut self, name: &str) -> Option<Answer> {
        let i = self.entries.iter().position(|(n, _)| n == name)?;
        Some(self.entries.remove(i).1)
    }

    /// The names and answers, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Answer)> {
        self.entries.iter().map(|(n, a)| (n.as_str(), a))
    }

    /// How many fields have an answer.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no answer at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl Answer {
    /// The value as the expression language sees it: the value itself, or the selected
    /// values separated by single spaces. `None` for a repeat.
    pub fn to_xpath_value(&self) -> Option<String> {
        match self {
            Answer::Value(v) => Some(v.clone()),
            Answer::Multiple(values) => Some(values.join(" ")),
            Answer::Repeat(_) => None,
        }
    }
}

impl From<&str> for Answer {
    fn from(value: &str) -> Self {
        Answer::Value(value.to_owned())
    }
}

impl From<String> for Answer {
    fn from(value: String) -> Self {
        Answer::Value(value)
    }
}

impl From<Vec<String>> for Answer {
    fn from(values: Vec<String>) -> Self {
        Answer::Multiple(values)
    }
}

impl From<&[&str]> for Answer {
    fn from(values: &[&str]) -> Self {
        Answer::Multiple(values.iter().map(|v| (*v).to_owned()).collect())
    }
}

impl<const N: usize> From<[&str; N]> for Answer {
    fn from(values: [&str; N]) -> Self {
        Answer::Multiple(values.iter().map(|v| (*v).to_owned()).collect())
    }
}

impl From<Vec<Answers>> for Answer {
    fn from(instances: Vec<Answers>) -> Self {
        Answer::Repeat(instances)
    }
}

/// An answer that does not fit the form, or a request the form cannot satisfy. The message
/// says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    /// The form has no field of this name.
    #[error("the form has no question called `{name}`: check the spelling, or remove it")]
    UnknownField {
        /// The name given.
        name: String,
    },
    /// A question was written at the wrong level: inside a repeat it is not part of, or
    /// outside the repeat it belongs to.
    #[error("`{name}` belongs to {belongs_to}, but was given in {given_in}: move it there")]
    WrongPlace {
        /// The question.
        name: String,
        /// `the top level` or `the objects of the repeat `x``.
        belongs_to: String,
        /// Where it was found, in the same words.
        given_in: String,
    },
    /// A group was given an answer.
    #[error(
        "`{name}` is a group, and answers do not nest by group: write its questions at the \
         same level as the group itself"
    )]
    Group {
        /// The group.
        name: String,
    },
    /// A repeat was given something other than an array of objects.
    #[error("`{name}` is a repeat: give it an array of objects, one per instance")]
    ExpectedInstances {
        /// The repeat.
        name: String,
    },
    /// A single-value question was given an array.
    #[error(
        "`{name}` takes a single value: write it as a string, not an array (only \
         select_multiple and rank questions take arrays)"
    )]
    ExpectedOneValue {
        /// The question.
        name: String,
    },
    /// A value of a `select_multiple` is empty or contains a space.
    #[error(
        "`{value}` cannot be one of the values of `{name}`: choice values are not empty and \
         contain no spaces"
    )]
    InvalidMultipleValue {
        /// The question.
        name: String,
        /// The offending value.
        value: String,
    },
    /// `set_answer` was asked to change a calculated field.
    #[error("`{name}` is calculated by the form and cannot be answered")]
    Calculated {
        /// The field.
        name: String,
    },
    /// The instance path does not have one index per enclosing repeat.
    #[error(
        "`{name}` is inside {expected} repeat(s): give {expected} instance index(es), \
         outermost first, not {given}"
    )]
    InstancePath {
        /// The field.
        name: String,
        /// How many indexes are needed.
        expected: usize,
        /// How many were given.
        given: usize,
    },
    /// An instance index is past the last instance.
    #[error(
        "the repeat `{repeat}` has no instance {index} here (it has {count}; indexes start \
         at 0)"
    )]
    NoSuchInstance {
        /// The repeat.
        repeat: String,
        /// The index asked for.
        index: usize,
        /// How many instances there are.
        count: usize,
    },
    /// A repeat operation named something that is not a repeat.
    #[error("`{name}` is not a repeat")]
    NotARepeat {
        /// The name given.
        name: String,
    },
    /// Instances were added to or removed from a repeat whose `repeat_count` decides.
    #[error(
        "the number of instances of `{name}` is set by its repeat_count: change the answers \
         it depends on instead"
    )]
    CountedRepeat {
        /// The repeat.
        name: String,
    },
}

impl Serialize for Answers {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (name, answer) in &self.entries {
            map.serialize_entry(name, answer)?;
        }
        map.end()
    }
}

impl Serialize for Answer {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Answer::Value(v) => serializer.serialize_str(v),
            Answer::Multiple(values) => {
                let mut seq = serializer.serialize_seq(Some(values.len()))?;
                for v in values {
                    seq.serialize_element(v)?;
                }
                seq.end()
            }
            Answer::Repeat(instances) => {
                let mut seq = serializer.serialize_seq(Some(instances.len()))?;
                for instance in instances {
                    seq.serialize_element(instance)?;
                }
                seq.end()
            }
        }
    }
}

impl<'de> Deserialize<'de> for Answers {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(AnswersVisitor)
    }
}

struct AnswersVisitor;

impl<'de> Visitor<'de> for AnswersVisitor {
    type Value = Answers;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of answers keyed by question name")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Answers, A::Error> {
        let mut answers = Answers::new();
        while let Some(name) = map.next_key::<String>()? {
            let answer: Answer = map.next_value()?;
            answers.insert(name, answer);
        }
        Ok(answers)
    }
}

impl<'de> Deserialize<'de> for Answer {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(AnswerVisitor)
    }
}

struct AnswerVisitor;

impl<'de> Visitor<'de> for AnswerVisitor {
    type Value = Answer;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "an answer: a string, a number, a boolean, null, an array of choice values or an \
             array of repeat instances (objects)",
        )
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Answer, E> {
        Ok(Answer::Value(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Answer, E> {
        Ok(Answer::Value(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Answer, E> {
        Ok(Answer::Value(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Answer, E> {
        Ok(Answer::Value(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Answer, E> {
        Ok(Answer::Value(letsema_expr::number_to_string(v)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Answer, E> {
        Ok(Answer::Value(if v { "true" } else { "false" }.to_owned()))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Answer, E> {
        Ok(Answer::Value(String::new()))
    }

    fn visit_none<E: de::Error>(self) -> Result<Answer, E> {
        Ok(Answer::Value(String::new()))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Answer, A::Error> {
        let mut values = Vec::new();
        let mut instances = Vec::new();
        while let Some(element) = seq.next_element::<Element>()? {
            match element {
                Element::Value(v) => values.push(v),
                Element::Instance(a) => instances.push(a),
            }
            if !values.is_empty() && !instances.is_empty() {
                return Err(de::Error::custom(
                    "an array mixes values and objects: a select_multiple is an array of \
                     values, a repeat an array of objects",
                ));
            }
        }
        Ok(if instances.is_empty() {
            Answer::Multiple(values)
        } else {
            Answer::Repeat(instances)
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, _map: A) -> Result<Answer, A::Error> {
        Err(de::Error::custom(
            "an object is not an answer: groups do not nest (write a group's questions at its \
             own level) and a repeat is an array of objects",
        ))
    }
}

/// An element of an array: a choice value or a repeat instance.
enum Element {
    Value(String),
    Instance(Answers),
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(ElementVisitor)
    }
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a choice value (string or number) or a repeat instance (object)")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Element, E> {
        Ok(Element::Value(v.to_owned()))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Element, E> {
        Ok(Element::Value(v.to_string()))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Element, E> {
        Ok(Element::Value(v.to_string()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Element, E> {
        Ok(Element::Value(letsema_expr::number_to_string(v)))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Element, E> {
        Ok(Element::Value(if v { "true" } else { "false" }.to_owned()))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Element, A::Error> {
        AnswersVisitor.visit_map(map).map(Element::Instance)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _seq: A) -> Result<Element, A::Error> {
        Err(de::Error::custom(
            "arrays do not nest: a nested repeat is an array inside an instance object",
        ))
    }
}
