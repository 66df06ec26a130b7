//! [`Answers`]: the answers of a submission, one tree for every part of Letsema that holds
//! them. The form engine (`letsema-form`) judges it, the submission document (`letsema-doc`)
//! stores it field by field and gives it back, the app's two WebAssembly modules pass it to
//! each other as JSON, and the server judges what the document gives back with the same
//! engine as the phone: nothing converts it on the way.
//!
//! Its JSON is the one a form author writes by hand:
//!
//! ```json
//! {"consent": "yes", "age": 34, "citizenships": ["ls", "za"],
//!  "qualifications": [{"degree": "BSc", "year": "2010"}, {"degree": "MSc"}]}
//! ```
//!
//! - A question is keyed by its name. Groups do **not** nest: XLSForm names are unique
//!   form-wide (the form engine refuses forms where they are not), so a question inside a
//!   group is written next to the group's siblings, at the level of its nearest repeat.
//! - Values are strings, as ODK stores them (numbers and dates in their canonical text);
//!   JSON numbers and booleans are accepted and turned into that text, `null` means
//!   unanswered (`""`).
//! - A `select_multiple` is an array of choice values (the form engine also accepts a
//!   space-separated string, as ODK stores it).
//! - A repeat is an array of objects, one per instance, each keyed like the top level.
//! - **`[]` reads as an empty `select_multiple`** ([`Answer::Multiple`]`(vec![])`): JSON has
//!   one empty array for that and for a repeat without instances. The form engine takes `[]`
//!   of either variant for either kind of field ([`Answer::is_empty_array`]), so a tree that
//!   crossed as JSON judges exactly as before.
//!
//! Fields keep the order they were inserted in (JSON objects keep theirs). The submission
//! document gives them back in name order, with each `select_multiple` sorted and without
//! duplicates, since it stores choices as a set: [`Answers::normalized`] is that form.
//!
//! [`Answers`] knows nothing of a form; the form engine checks that answers fit one.
//!
//! ```
//! use letsema_answers::{Answer, Answers};
//!
//! let answers = Answers::new()
//!     .with("age", "34")
//!     .with("citizenships", ["za", "ls"])
//!     .with("qualifications", vec![Answers::new().with("degree", "BSc")]);
//! let json = serde_json::to_string(&answers)?;
//! assert_eq!(
//!     json,
//!     r#"{"age":"34","citizenships":["za","ls"],"qualifications":[{"degree":"BSc"}]}"#
//! );
//! assert_eq!(serde_json::from_str::<Answers>(&json)?, answers);
//! assert_eq!(
//!     answers.normalized().get("citizenships"),
//!     Some(&Answer::multiple(["ls", "za"]))
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The answers of a submission, or of one repeat instance: field names and their answers,
/// each name once, in the order they were inserted.
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

    /// The answer of `name`, to change in place.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Answer> {
        self.entries
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, answer)| answer)
    }

    /// Whether `name` has an answer.
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Removes and returns the answer of `name`.
    pub fn remove(&mut self, name: &str) -> Option<Answer> {
        let i = self.entries.iter().position(|(n, _)| n == name)?;
        Some(self.entries.remove(i).1)
    }

    /// The names and answers, in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter(self.entries.iter())
    }

    /// How many fields have an answer.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no answer at all.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// These answers as the submission document gives them back: fields in name order,
    /// every `select_multiple` sorted and without duplicates, at every level.
    pub fn normalized(&self) -> Answers {
        let mut entries: Vec<(String, Answer)> = self
            .entries
            .iter()
            .map(|(name, answer)| (name.clone(), answer.normalized()))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        Answers { entries }
    }

    /// Answers from entries whose names may repeat: the last answer of a name wins, in the
    /// place of its first. Names in increasing order (as a document and most JSON give
    /// them) are taken as they are; otherwise a map finds repeats, so that a long list of
    /// fields costs linear time, not quadratic.
    fn from_entries(entries: Vec<(String, Answer)>) -> Answers {
        if entries.windows(2).all(|pair| pair[0].0 < pair[1].0) {
            return Answers { entries };
        }
        let mut places: HashMap<String, usize> = HashMap::with_capacity(entries.len());
        let mut unique: Vec<(String, Answer)> = Vec::with_capacity(entries.len());
        for (name, answer) in entries {
            match places.get(&name) {
                Some(&place) => unique[place].1 = answer,
                None => {
                    places.insert(name.clone(), unique.len());
                    unique.push((name, answer));
                }
            }
        }
        Answers { entries: unique }
    }
}

impl Answer {
    /// A single value.
    pub fn value(value: impl Into<String>) -> Answer {
        Answer::Value(value.into())
    }

    /// The selected values of a `select_multiple`.
    pub fn multiple<S: Into<String>>(values: impl IntoIterator<Item = S>) -> Answer {
        Answer::Multiple(values.into_iter().map(Into::into).collect())
    }

    /// The value as the expression language sees it: the value itself, or the selected
    /// values separated by single spaces; `""` for `[]` of either kind (see
    /// [`Answer::is_empty_array`]). `None` for a repeat with instances.
    pub fn to_xpath_value(&self) -> Option<String> {
        match self {
            Answer::Value(v) => Some(v.clone()),
            Answer::Multiple(values) => Some(values.join(" ")),
            Answer::Repeat(instances) if instances.is_empty() => Some(String::new()),
            Answer::Repeat(_) => None,
        }
    }

    /// Whether this is `[]`: an empty `select_multiple` or a repeat without instances, which
    /// JSON cannot tell apart (it reads `[]` as the first). Whoever checks answers against a
    /// form takes either for either kind of field.
    pub fn is_empty_array(&self) -> bool {
        match self {
            Answer::Value(_) => false,
            Answer::Multiple(values) => values.is_empty(),
            Answer::Repeat(instances) => instances.is_empty(),
        }
    }

    /// How many levels of repeats this answer nests: 0 for a value or a `select_multiple`, 1
    /// for a repeat whose instances hold no repeat, and so on.
    pub fn repeat_depth(&self) -> usize {
        match self {
            Answer::Value(_) | Answer::Multiple(_) => 0,
            Answer::Repeat(instances) => {
                1 + instances
                    .iter()
                    .flat_map(Answers::iter)
                    .map(|(_, answer)| answer.repeat_depth())
                    .max()
                    .unwrap_or(0)
            }
        }
    }

    /// This answer as the submission document gives it back: a `select_multiple` sorted and
    /// without duplicates, and inside a repeat's instances, fields in name order, at every
    /// level (see [`Answers::normalized`]).
    pub fn normalized(&self) -> Answer {
        match self {
            Answer::Value(value) => Answer::Value(value.clone()),
            Answer::Multiple(values) => {
                let mut values = values.clone();
                values.sort();
                values.dedup();
                Answer::Multiple(values)
            }
            Answer::Repeat(instances) => {
                Answer::Repeat(instances.iter().map(Answers::normalized).collect())
            }
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
        Answer::multiple(values.iter().copied())
    }
}

impl<const N: usize> From<[&str; N]> for Answer {
    fn from(values: [&str; N]) -> Self {
        Answer::multiple(values)
    }
}

impl From<Vec<Answers>> for Answer {
    fn from(instances: Vec<Answers>) -> Self {
        Answer::Repeat(instances)
    }
}

/// The names and answers of [`Answers`], in order: [`Answers::iter`].
#[derive(Debug, Clone)]
pub struct Iter<'a>(std::slice::Iter<'a, (String, Answer)>);

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a Answer);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|(name, answer)| (name.as_str(), answer))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0
            .next_back()
            .map(|(name, answer)| (name.as_str(), answer))
    }
}

impl ExactSizeIterator for Iter<'_> {}

impl<'a> IntoIterator for &'a Answers {
    type Item = (&'a str, &'a Answer);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

impl IntoIterator for Answers {
    type Item = (String, Answer);
    type IntoIter = std::vec::IntoIter<(String, Answer)>;

    /// The names and answers, in order.
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

/// Answers from names and answers; a name given twice keeps its last answer, in the place
/// of its first (as [`Answers::insert`] would).
impl<N: Into<String>, A: Into<Answer>> FromIterator<(N, A)> for Answers {
    fn from_iter<I: IntoIterator<Item = (N, A)>>(iter: I) -> Self {
        Answers::from_entries(
            iter.into_iter()
                .map(|(name, answer)| (name.into(), answer.into()))
                .collect(),
        )
    }
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
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(256));
        while let Some(name) = map.next_key::<String>()? {
            let answer: Answer = map.next_value()?;
            entries.push((name, answer));
        }
        Ok(Answers::from_entries(entries))
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
        Ok(Answer::Value(number_text(v)))
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
        // `[]` has no element to tell: it is an empty select_multiple (see the crate's docs).
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
        Ok(Element::Value(number_text(v)))
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

/// A number as XPath writes it, which is how ODK stores one: the shortest decimal that
/// reads back as the same number, no exponent, no `.0` for integers. The same text as
/// `letsema_expr::number_to_string`, which this crate does not depend on (the form engine's
/// tests check that the two agree).
fn number_text(n: f64) -> String {
    if n.is_nan() {
        "NaN".to_owned()
    } else if n.is_infinite() {
        if n > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
    } else if n == 0.0 {
        "0".to_owned()
    } else {
        format!("{n}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inserting_a_name_again_replaces_its_answer_in_place() {
        let mut answers = Answers::new().with("b", "1").with("a", "2");
        answers.insert("b", "3");
        let names: Vec<&str> = answers.iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["b", "a"]);
        assert_eq!(answers.get("b"), Some(&Answer::value("3")));
    }

    #[test]
    fn collecting_keeps_the_first_place_and_the_last_answer_of_a_name() {
        let answers: Answers = [("b", "1"), ("a", "2"), ("b", "3"), ("c", "4")]
            .into_iter()
            .collect();
        assert_eq!(
            answers,
            Answers::new().with("b", "3").with("a", "2").with("c", "4")
        );
        let sorted: Answers = [("a", "1"), ("b", "2")].into_iter().collect();
        assert_eq!(sorted, Answers::new().with("a", "1").with("b", "2"));
    }

    #[test]
    fn normalized_is_name_order_with_choices_sorted_once_at_every_level() {
        let answers = Answers::new().with("z", ["b", "a", "b"]).with(
            "r",
            vec![Answers::new().with("y", ["d", "c"]).with("x", "v")],
        );
        assert_eq!(
            answers.normalized(),
            Answers::new()
                .with(
                    "r",
                    vec![Answers::new().with("x", "v").with("y", ["c", "d"])]
                )
                .with("z", ["a", "b"])
        );
    }

    #[test]
    fn an_empty_array_is_one_value_whichever_variant_holds_it() {
        assert!(Answer::Multiple(vec![]).is_empty_array());
        assert!(Answer::Repeat(vec![]).is_empty_array());
        assert!(!Answer::value("").is_empty_array());
        assert!(!Answer::Repeat(vec![Answers::new()]).is_empty_array());
        assert_eq!(Answer::Repeat(vec![]).to_xpath_value(), Some(String::new()));
        assert_eq!(Answer::Repeat(vec![Answers::new()]).to_xpath_value(), None);
        let json = serde_json::to_string(&Answer::Repeat(vec![])).expect("serialises");
        assert_eq!(json, "[]");
        assert_eq!(
            serde_json::from_str::<Answer>(&json).expect("reads"),
            Answer::Multiple(vec![])
        );
    }

    #[test]
    fn repeat_depth_counts_the_levels_of_repeats() {
        let inner = Answer::Repeat(vec![Answers::new()]);
        let outer = Answer::Repeat(vec![Answers::new().with("x", inner)]);
        assert_eq!(Answer::value("a").repeat_depth(), 0);
        assert_eq!(Answer::multiple(["a"]).repeat_depth(), 0);
        assert_eq!(Answer::Repeat(vec![]).repeat_depth(), 1);
        assert_eq!(outer.repeat_depth(), 2);
    }
}
