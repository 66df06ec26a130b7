//! Where answers are in a document: repeat instances with their stable ids, and paths to
//! answers.
//!
//! The answers themselves are `letsema_answers`' tree ([`Answers`], [`Answer`]), the one the
//! form engine reads and writes.

use std::fmt;

use letsema_answers::Answers;
use serde::{Deserialize, Serialize};

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
