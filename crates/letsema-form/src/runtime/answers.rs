//! Answers and what can be wrong with them for a form.
//!
//! [`Answers`] and [`Answer`] are `letsema_answers`' (re-exported here): the one answers tree
//! the form engine, the submission document and the app share, in the JSON a form author
//! writes by hand. [`FormState::new`](super::FormState::new) checks that answers fit the form
//! and reports every [`AnswerError`].

pub use letsema_answers::{Answer, Answers};

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

#[cfg(test)]
mod tests {
    use super::*;

    /// `letsema-answers` writes JSON numbers as the expression language does, without
    /// depending on it.
    #[test]
    fn json_numbers_read_as_the_expression_language_writes_them() {
        for n in [
            0.0,
            -0.0,
            1.0,
            -7.0,
            1.75,
            0.1 + 0.2,
            1e21,
            1e-7,
            123_456_789.125,
        ] {
            let answer: Answer = serde_json::from_value(serde_json::json!(n)).expect("a number");
            assert_eq!(
                answer,
                Answer::Value(letsema_expr::number_to_string(n)),
                "{n}"
            );
        }
    }
}
