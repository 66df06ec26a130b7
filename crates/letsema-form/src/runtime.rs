//! The form runtime: given a form and answers, what is relevant, what is missing, what is
//! invalid and what is computed.
//!
//! - [`CompiledForm::new`] parses every expression of a [`Form`](crate::model::Form) once,
//!   resolves `${name}` references, and orders the computations by their dependencies
//!   (a circle is an error naming the fields).
//! - [`FormState`] holds the answers ([`Answers`], in the JSON a form author writes by
//!   hand) and the [`Environment`] (clock, language, device, user, random seed: the
//!   runtime reads none of them from the system), and evaluates everything.
//!   [`set_answer`](FormState::set_answer),
//!   [`add_repeat_instance`](FormState::add_repeat_instance) and
//!   [`remove_repeat_instance`](FormState::remove_repeat_instance) then recompute only
//!   what depends on the change and say what changed ([`Changes`]).
//! - [`FormState::snapshot`] is the whole state as serialisable data;
//!   [`FormState::submission_answers`] the answers to submit, without non-relevant
//!   values, with calculations.
//!
//! # Semantics
//!
//! - A non-relevant group or repeat instance makes everything in it non-relevant. A
//!   non-relevant question reads as `''` in expressions and is left out of the submission,
//!   but its answer is kept, and comes back if it becomes relevant again.
//! - Inside a repeat instance, `${sibling}` means the sibling in the same instance; from
//!   outside, every instance (`sum(${amount})`, `count(${repeat})`).
//! - Required is checked only for relevant questions; constraints only for relevant,
//!   non-empty answers, with `.` the answer. Answers are also checked against their type
//!   (integer, decimal, date, ...) and, for selects, the choice list.
//! - Defaults and metadata (`start`, `end`, `today`, `deviceid`, `username`, ...) are set
//!   once, when a field is created without an answer.
//! - A calculation that gives NaN (arithmetic on an unanswered question) stores `''`.
//! - Field names must be unique form-wide, also across repeats.
//!
//! # Example
//!
//! ```
//! use std::sync::Arc;
//!
//! use chrono::DateTime;
//! use letsema_form::model::{Expression, Form, FormId, Item, Question, QuestionType, Text};
//! use letsema_form::runtime::{Answers, CompiledForm, Environment, FormState};
//!
//! let mut form = Form::new(FormId::new("demo"), "Demo");
//! let mut age = Question::new("age", QuestionType::Integer, Text::plain("Age"));
//! age.required = Some(Expression::new("true()"));
//! let mut job = Question::new("job", QuestionType::Text, Text::plain("Job"));
//! job.relevant = Some(Expression::new("${age} >= 16"));
//! form.items = vec![Item::Question(age), Item::Question(job)];
//!
//! let compiled = Arc::new(CompiledForm::new(&form).expect("a valid form"));
//! let now = DateTime::parse_from_rfc3339("2026-06-15T09:00:00+02:00").expect("valid");
//! let mut state = FormState::new(compiled, &Answers::new(), Environment::new(now))
//!     .expect("answers fit");
//! assert!(!state.is_complete());
//! assert_eq!(state.is_relevant("job", &[]), Ok(false));
//!
//! let changes = state.set_answer("age", &[], "34").expect("a question");
//! assert_eq!(changes.relevance[0].field, "job");
//! assert!(state.is_complete());
//! ```

mod answers;
mod compile;
mod context;
mod data;
mod graph;
mod snapshot;
mod state;
#[doc(hidden)]
pub mod synthetic;
mod tree;

pub use answers::{Answer, AnswerError, Answers};
pub use compile::{CompileError, CompiledForm};
pub use context::Environment;
/// How the engine reads a `dateTime` answer (`2024-05-01T09:30:00.000+02:00`), for views
/// that show it in a picker.
pub use letsema_expr::parse_date_time;
pub use snapshot::{ChoiceOption, EvaluationError, Issue, Snapshot};
pub use state::{Changes, FormState, Location, MAX_REPEAT_COUNT};
