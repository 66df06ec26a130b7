//! The boundary between the expression language and the form runtime.

use chrono::{DateTime, FixedOffset};

use crate::error::EvalError;
use crate::value::{Node, NodeId};

/// What an expression needs from the world: answers, the instance tree, the clock,
/// randomness and choice labels.
///
/// The form runtime implements this trait, once for the browser and once for the server
/// (or once for both); [`MapContext`](crate::MapContext) is a small complete implementation
/// for tests and examples. The evaluator never reads the clock, a random source or
/// anything else from the system: everything comes through this trait, which is what keeps
/// evaluation reproducible and lets the same expression give the same answer on a phone and
/// on the server.
///
/// # Nodes
///
/// The context hands out [`Node`]s: an id of its choosing and the node's string value.
/// An unanswered question is a node whose value is `''`, not a missing node: XPath
/// comparisons treat the two differently (`${q} = ''` is true for an unanswered question
/// and false for an empty node-set). The evaluator gives node ids back to [`parent`],
/// [`children`] and [`position`] to walk paths such as `..`, `../sibling` and
/// `position(..)`.
///
/// # Repeats
///
/// [`reference`] resolves `${name}` *from the current node*, as ODK does: when the current
/// node is inside an instance of a repeat and `name` is a question of that same repeat, the
/// reference means the node in the same instance (one node); from outside the repeat it
/// means the question in every instance (a node-set, as `sum(${amount})` expects), and a
/// reference to the repeat itself gives its instances (`count(${children})`).
///
/// [`reference`]: Context::reference
/// [`parent`]: Context::parent
/// [`children`]: Context::children
/// [`position`]: Context::position
pub trait Context {
    /// The nodes `${name}` refers to, seen from the current node (see "Repeats" above).
    ///
    /// # Errors
    ///
    /// [`EvalError::UnknownReference`] when the form has nothing called `name`.
    fn reference(&self, name: &str) -> Result<Vec<Node>, EvalError>;

    /// The node the expression is evaluated for: the question whose `relevant`,
    /// `constraint`, `calculation` or `choice_filter` this is. It is what `.` and
    /// `current()` mean and what `once()` looks at. `None` when the expression belongs to
    /// no node; then `.` and relative paths are errors.
    fn current(&self) -> Option<Node>;

    /// The current date and time with the device's UTC offset, for `now()`; `today()` is
    /// its local date. Pass in the time the runtime decided on, never read the clock here
    /// without a reason: a recalculation should see one "now".
    fn now(&self) -> DateTime<FixedOffset>;

    /// A random number in `[0, 1)`, for `random()` and `uuid(n)`. Implementations keep
    /// their state in a `Cell` or similar (a seeded generator) so that runs can be
    /// reproduced.
    fn random(&self) -> f64;

    /// A new RFC 4122 version 4 UUID in the usual lowercase hyphenated form, for `uuid()`.
    fn uuid(&self) -> String;

    /// The form's version, for `version()`; `''` when there is none (the default).
    fn form_version(&self) -> String {
        String::new()
    }

    /// The label, in the current language, of the choice `value` of the select question
    /// `question` (its name, as in `${question}`), for `jr:choice-name()`. `Ok(None)` when
    /// the question has no such choice.
    ///
    /// # Errors
    ///
    /// [`EvalError::Unsupported`] by default; a context with choice lists overrides this.
    fn choice_label(&self, question: &str, value: &str) -> Result<Option<String>, EvalError> {
        let _ = (question, value);
        Err(EvalError::Unsupported(
            "jr:choice-name() needs choice labels, which this context does not have".to_owned(),
        ))
    }

    /// The nodes of `question` in the given repeat instances, for
    /// `indexed-repeat(${question}, ${repeat1}, n1, ${repeat2}, n2, …)`: `repeats` lists
    /// each repeat's name with a 1-based position, outermost first. Positions that do not
    /// exist give an empty node-set.
    ///
    /// # Errors
    ///
    /// [`EvalError::Unsupported`] by default; [`EvalError::UnknownReference`] for names the
    /// form does not have.
    fn indexed_repeat(
        &self,
        question: &str,
        repeats: &[(&str, usize)],
    ) -> Result<Vec<Node>, EvalError> {
        let _ = (question, repeats);
        Err(EvalError::Unsupported(
            "indexed-repeat() needs repeats, which this context does not have".to_owned(),
        ))
    }

    /// The document node of the secondary instance `id`, for `instance('id')/root/item`:
    /// a choice list of the form, or data attached to it (a CSV or XML file). Its children
    /// are the instance's root element.
    ///
    /// # Errors
    ///
    /// [`EvalError::UnknownInstance`] when the form has no such instance;
    /// [`EvalError::Unsupported`] by default.
    fn instance(&self, id: &str) -> Result<Node, EvalError> {
        let _ = id;
        Err(EvalError::Unsupported(
            "instance() needs the form's secondary instances, which this context does not have"
                .to_owned(),
        ))
    }

    /// The children named `element` of `parent` whose child `column` has the string value
    /// `key`, in document order, when the context keeps an index for them: the step
    /// `element[column = key]` of a path such as `instance('id')/root/item[name = ${x}]`
    /// (see [`Expr::instance_lookups`](crate::Expr::instance_lookups)). `Ok(None)`, the
    /// default, makes the evaluator look at every child instead; the result must be the
    /// same either way.
    ///
    /// # Errors
    ///
    /// As [`children`](Context::children).
    fn lookup(
        &self,
        parent: NodeId,
        element: &str,
        column: &str,
        key: &str,
    ) -> Result<Option<Vec<Node>>, EvalError> {
        let _ = (parent, element, column, key);
        Ok(None)
    }

    /// The document node, for absolute paths such as `/data/age`. Its children are the
    /// instance's root element.
    ///
    /// # Errors
    ///
    /// [`EvalError::Unsupported`] by default, for contexts without an instance tree.
    fn root(&self) -> Result<Node, EvalError> {
        Err(no_tree("absolute paths such as `/data/age`"))
    }

    /// The parent of a node, for `..`; `None` for the document node.
    ///
    /// # Errors
    ///
    /// [`EvalError::Unsupported`] by default.
    fn parent(&self, node: NodeId) -> Result<Option<Node>, EvalError> {
        let _ = node;
        Err(no_tree("`..`"))
    }

    /// The element children of a node, in document order: those named `name`, or all of
    /// them when `name` is `None` (the step `*`).
    ///
    /// # Errors
    ///
    /// [`EvalError::Unsupported`] by default.
    fn children(&self, node: NodeId, name: Option<&str>) -> Result<Vec<Node>, EvalError> {
        let _ = (node, name);
        Err(no_tree("paths with element names such as `../age`"))
    }

    /// The 1-based position of a node among its siblings of the same name, for
    /// `position(..)` (the number of the current repeat instance).
    ///
    /// # Errors
    ///
    /// [`EvalError::Unsupported`] by default.
    fn position(&self, node: NodeId) -> Result<usize, EvalError> {
        let _ = node;
        Err(no_tree("position(node)"))
    }
}

fn no_tree(what: &str) -> EvalError {
    EvalError::Unsupported(format!(
        "{what} need the form's instance tree, which this context does not have: use \
         `${{name}}` references"
    ))
}

/// The text of a version-4 UUID made from 16 random bytes, as `uuid()` returns it: a
/// [`Context`] supplies the randomness and calls this to format it.
pub fn uuid_v4(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
