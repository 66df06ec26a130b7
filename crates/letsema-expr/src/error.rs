//! The errors of this crate: one for parsing, one for evaluation.

use std::ops::Range;

/// An expression could not be parsed.
///
/// The message says what is wrong and, where it can, what to write instead; the span says
/// where (byte offsets into the source).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (at {}..{})", span.start, span.end)]
pub struct ParseError {
    /// The byte range of the source the error is about.
    pub span: Range<usize>,
    /// What is wrong and what to do about it.
    pub message: String,
}

impl ParseError {
    /// An error about `span`.
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        ParseError {
            span,
            message: message.into(),
        }
    }
}

/// An expression could not be evaluated.
///
/// Evaluation errors are mistakes in the form (a bad regular expression, `count()` of
/// something that is not a repeat) or limits of the [`Context`](crate::Context); ordinary
/// odd answers give NaN or `''`, as in ODK, not errors.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// `${name}` names nothing the context knows.
    #[error("`${{{name}}}` does not name a question, group or repeat of this form")]
    UnknownReference {
        /// The name inside `${…}`.
        name: String,
    },
    /// `instance('id')` names no secondary instance of the form.
    #[error(
        "instance('{id}') names nothing this form has: it names a choice list of the form or a \
         file attached to it (`csv-external`, `xml-external`, `pulldata`, `select_one_from_file`)"
    )]
    UnknownInstance {
        /// The id inside `instance('…')`.
        id: String,
    },
    /// `.`, a relative path or `once()` was used where there is no current question.
    #[error(
        "`{what}` refers to the current question, but this expression is not evaluated for \
         a question: use a `${{name}}` reference instead"
    )]
    NoCurrentNode {
        /// The construct that needed a current node.
        what: String,
    },
    /// A function was given a value of the wrong kind.
    #[error("{function}(): {message}")]
    InvalidArgument {
        /// The function, as written.
        function: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// `regex()` was given a pattern that is not a valid regular expression.
    #[error("regex(): the pattern `{pattern}` is not a valid regular expression: {reason}")]
    InvalidRegex {
        /// The pattern.
        pattern: String,
        /// Why it is invalid, as the regular expression compiler says.
        reason: String,
    },
    /// An operator was applied to values it does not accept, such as `|` on numbers.
    #[error("{0}")]
    InvalidOperand(String),
    /// The context cannot do what the expression asks (for example, absolute paths in a
    /// context without an instance tree).
    #[error("{0}")]
    Unsupported(String),
    /// The expression tree is nested more deeply than the evaluator allows.
    #[error("the expression is nested too deeply to evaluate (more than {0} levels)")]
    TooDeep(usize),
    /// A failure reported by the context, with its own message.
    #[error("{0}")]
    Context(String),
}

impl EvalError {
    /// An [`EvalError::InvalidArgument`] for `function`.
    pub fn invalid_argument(function: &str, message: impl Into<String>) -> Self {
        EvalError::InvalidArgument {
            function: function.to_owned(),
            message: message.into(),
        }
    }
}
