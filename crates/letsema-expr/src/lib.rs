//! The XLSForm / ODK XForms expression language: the XPath 1.0 dialect that forms use for
//! `relevant`, `constraint`, `required`, `calculation`, `default`, `choice_filter` and
//! `repeat_count`.
//!
//! - [`parse`] turns source text into an [`Expr`], reporting a [`ParseError`] with a byte
//!   span and an actionable message; [`Expr::references`] lists the `${name}` references
//!   (for "undefined reference" diagnostics and cycle detection); `Display` prints a
//!   canonical form that parses back to the same tree.
//! - [`evaluate`] computes a [`Value`] against a [`Context`], the trait the form runtime
//!   implements to supply answers, the instance tree, the clock, randomness and choice
//!   labels. [`MapContext`] is a complete small implementation for tests and examples.
//!
//! The semantics are XPath 1.0's where ODK keeps them, surprises included (`'' = 0` is
//! false, `boolean('false')` is true, `round(-2.5)` is -2), and ODK's where it extends or
//! changes them (dates as day numbers, `concat()` of whole node-sets, 0-based `substr()`,
//! `selected()`, `indexed-repeat()`, …).
//!
//! This crate does no I/O, reads no clock and no random source of the system, and builds
//! for `wasm32-unknown-unknown` as well as natively.
//!
//! # Example
//!
//! ```
//! use chrono::DateTime;
//! use letsema_expr::{MapContext, Value, evaluate, parse};
//!
//! let ctx = MapContext::new()
//!     .with("dob", "1990-05-17")
//!     .with("profession", "nurse")
//!     .with("interests", "mentoring telemedicine")
//!     .with("months", "")
//!     .with_now(DateTime::parse_from_rfc3339("2025-03-01T09:30:00+02:00").expect("valid"));
//!
//! // A calculation: age in whole years.
//! let age = parse("int((today() - date(${dob})) div 365.25)").expect("valid expression");
//! assert_eq!(evaluate(&age, &ctx), Ok(Value::Number(34.0)));
//!
//! // Skip logic: XPath comparisons with an unanswered question are false, not errors.
//! let relevant = parse("selected(${interests}, 'telemedicine') and ${months} < 6")
//!     .expect("valid expression");
//! assert_eq!(evaluate(&relevant, &ctx), Ok(Value::Boolean(false)));
//!
//! // The importer reports references to questions the form lacks.
//! let names: Vec<String> = relevant.references().into_iter().map(|r| r.name).collect();
//! assert_eq!(names, ["interests", "months"]);
//!
//! // Errors say where and what to do.
//! let err = parse("concat(${a}, 'b'").expect_err("unclosed call");
//! assert_eq!(err.span, 16..16);
//! assert_eq!(
//!     err.message,
//!     "expected `,` or `)` to close the call to `concat` opened at 6, but found the end of \
//!      the expression"
//! );
//! ```

mod ast;
mod context;
mod error;
mod eval;
mod functions;
mod lexer;
mod map_context;
mod parser;
mod shuffle;
mod value;

pub use ast::{BinaryOp, Call, Expr, InstanceLookup, Path, PathStart, Reference, Step, StepTest};
pub use context::{Context, uuid_v4};
pub use error::{EvalError, ParseError};
pub use eval::{evaluate, evaluate_at};
pub use functions::function_names;
pub use map_context::MapContext;
pub use parser::{MAX_DEPTH, parse};
pub use shuffle::{seed_of, shuffle_seeded, shuffle_with};
pub use value::{
    Node, NodeId, Value, number_to_string, parse_date, parse_date_time, parse_xpath_number,
    string_to_number,
};
