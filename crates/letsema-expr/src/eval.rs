//! The evaluator: operators, paths and comparisons (XPath 1.0 §2-3), calling into
//! [`functions`](crate::functions) for calls.

use crate::ast::{BinaryOp, Expr, Path, PathStart, Step, StepTest};
use crate::context::Context;
use crate::error::EvalError;
use crate::functions;
use crate::value::{Node, Value};

/// The deepest the evaluator recurses before giving up with [`EvalError::TooDeep`]; it
/// protects against hand-built or deserialized trees deeper than `parse` allows.
const MAX_EVAL_DEPTH: usize = 4 * crate::parser::MAX_DEPTH;

/// Evaluates an expression.
///
/// # Errors
///
/// An [`EvalError`] when the expression asks for something impossible (an invalid regular
/// expression, `count()` of a number, a `${name}` the context does not know) or something
/// the context cannot provide. Odd answers are not errors: they give NaN, `''` or `false`
/// as in ODK.
pub fn evaluate(expr: &Expr, ctx: &dyn Context) -> Result<Value, EvalError> {
    let mut ev = Evaluator { ctx, depth: 0 };
    let focus = Focus {
        node: ctx.current(),
        position: 1,
        size: 1,
    };
    ev.eval(expr, &focus)
}

/// Evaluates an expression with `node` as the XPath context node: `.`, relative paths and
/// `position()` start from `node`, while `current()`, `once()` and `${name}` references
/// still see the context's [`current`](Context::current) node.
///
/// This is how a choice filter is evaluated once per choice: the choice is the context
/// node, so `country = ${country}` compares the choice's `country` column with the
/// answer (the runtime's [`Context::children`] must know the choices' columns).
///
/// # Errors
///
/// As [`evaluate`].
pub fn evaluate_at(expr: &Expr, ctx: &dyn Context, node: Node) -> Result<Value, EvalError> {
    let mut ev = Evaluator { ctx, depth: 0 };
    let focus = Focus {
        node: Some(node),
        position: 1,
        size: 1,
    };
    ev.eval(expr, &focus)
}

/// The XPath evaluation context that changes inside predicates: the context node, its
/// position and the size of the node-set being filtered (XPath 1.0 §1).
#[derive(Debug, Clone)]
pub(crate) struct Focus {
    pub node: Option<Node>,
    pub position: usize,
    pub size: usize,
}

/// Evaluation state: the context and the recursion depth.
pub(crate) struct Evaluator<'c> {
    pub ctx: &'c dyn Context,
    depth: usize,
}

impl Evaluator<'_> {
    pub(crate) fn eval(&mut self, expr: &Expr, focus: &Focus) -> Result<Value, EvalError> {
        self.depth += 1;
        if self.depth > MAX_EVAL_DEPTH {
            self.depth -= 1;
            return Err(EvalError::TooDeep(MAX_EVAL_DEPTH));
        }
        let result = self.eval_inner(expr, focus);
        self.depth -= 1;
        result
    }

    fn eval_inner(&mut self, expr: &Expr, focus: &Focus) -> Result<Value, EvalError> {
        match expr {
            Expr::Number(n) => Ok(Value::Number(*n)),
            Expr::Literal(s) => Ok(Value::String(s.clone())),
            Expr::Ref(r) => Ok(Value::Nodes(self.ctx.reference(&r.name)?)),
            Expr::Path(p) => self.path(p, focus).map(Value::Nodes),
            Expr::Call(c) => functions::call(self, c, focus),
            Expr::Negate(e) => Ok(Value::Number(-self.eval(e, focus)?.to_number())),
            Expr::Filter { base, predicates } => {
                let nodes = self.nodes_of(base, focus, "a predicate `[…]`")?;
                self.filter(nodes, predicates).map(Value::Nodes)
            }
            Expr::Binary { op, lhs, rhs } => self.binary(*op, lhs, rhs, focus),
        }
    }

    fn binary(
        &mut self,
        op: BinaryOp,
        lhs: &Expr,
        rhs: &Expr,
        focus: &Focus,
    ) -> Result<Value, EvalError> {
        // `and` and `or` evaluate their right side only when needed (XPath 1.0 §3.4).
        match op {
            BinaryOp::Or => {
                let v = self.eval(lhs, focus)?.to_boolean() || self.eval(rhs, focus)?.to_boolean();
                return Ok(Value::Boolean(v));
            }
            BinaryOp::And => {
                let v = self.eval(lhs, focus)?.to_boolean() && self.eval(rhs, focus)?.to_boolean();
                return Ok(Value::Boolean(v));
            }
            _ => {}
        }
        let a = self.eval(lhs, focus)?;
        let b = self.eval(rhs, focus)?;
        Ok(match op {
            BinaryOp::Add => Value::Number(a.to_number() + b.to_number()),
            BinaryOp::Sub => Value::Number(a.to_number() - b.to_number()),
            BinaryOp::Mul => Value::Number(a.to_number() * b.to_number()),
            BinaryOp::Div => Value::Number(a.to_number() / b.to_number()),
            // XPath `mod` is the remainder of truncating division, like Rust's `%` on f64.
            BinaryOp::Mod => Value::Number(a.to_number() % b.to_number()),
            BinaryOp::Union => match (a, b) {
                (Value::Nodes(mut x), Value::Nodes(y)) => {
                    for n in y {
                        if !x.iter().any(|m| m.id == n.id) {
                            x.push(n);
                        }
                    }
                    Value::Nodes(x)
                }
                (a, b) => {
                    let bad = if matches!(a, Value::Nodes(_)) { b } else { a };
                    return Err(EvalError::InvalidOperand(format!(
                        "`|` joins node-sets (questions and paths), but one side is {}",
                        bad.type_name()
                    )));
                }
            },
            cmp => Value::Boolean(compare(cmp, &a, &b)),
        })
    }

    /// Evaluates `expr`, which must give a node-set.
    pub(crate) fn nodes_of(
        &mut self,
        expr: &Expr,
        focus: &Focus,
        what: &str,
    ) -> Result<Vec<Node>, EvalError> {
        match self.eval(expr, focus)? {
            Value::Nodes(n) => Ok(n),
            other => Err(EvalError::InvalidOperand(format!(
                "{what} needs a node-set (a ${{reference}} or a path), but `{expr}` is {}",
                other.type_name()
            ))),
        }
    }

    fn path(&mut self, path: &Path, focus: &Focus) -> Result<Vec<Node>, EvalError> {
        let mut nodes = match &path.start {
            PathStart::Root => vec![self.ctx.root()?],
            PathStart::Relative => {
                vec![focus.node.clone().ok_or_else(|| EvalError::NoCurrentNode {
                    what: path.to_string(),
                })?]
            }
            PathStart::Expr(e) => self.nodes_of(e, focus, "a path `…/…`")?,
        };
        for step in &path.steps {
            let mut next: Vec<Node> = Vec::new();
            for node in &nodes {
                let selected = match self.indexed_step(step, node)? {
                    Some(found) => self.filter(found, &step.predicates[1..])?,
                    None => {
                        let selected = self.step(step, node)?;
                        self.filter(selected, &step.predicates)?
                    }
                };
                for n in selected {
                    if !next.iter().any(|m| m.id == n.id) {
                        next.push(n);
                    }
                }
            }
            nodes = next;
        }
        Ok(nodes)
    }

    /// The step `element[column = key]` from `node` through the context's index, when its
    /// first predicate is such a lookup, the key is a string (or one node) and the context
    /// has an index; `None` otherwise.
    fn indexed_step(&mut self, step: &Step, node: &Node) -> Result<Option<Vec<Node>>, EvalError> {
        let StepTest::Name(element) = &step.test else {
            return Ok(None);
        };
        let Some((column, key)) = step.predicates.first().and_then(keyed_equality) else {
            return Ok(None);
        };
        let focus = Focus {
            node: Some(node.clone()),
            position: 1,
            size: 1,
        };
        let key = match self.eval(key, &focus)? {
            Value::String(s) => s,
            Value::Nodes(nodes) if nodes.len() == 1 => nodes
                .into_iter()
                .next()
                .map(|n| n.value)
                .unwrap_or_default(),
            // Numbers, booleans and dates compare by value, not as text: no index.
            _ => return Ok(None),
        };
        self.ctx.lookup(node.id, element, column, &key)
    }

    fn step(&mut self, step: &Step, node: &Node) -> Result<Vec<Node>, EvalError> {
        Ok(match &step.test {
            StepTest::SelfNode => vec![node.clone()],
            StepTest::Parent => self.ctx.parent(node.id)?.into_iter().collect(),
            StepTest::Name(name) => self.ctx.children(node.id, Some(name))?,
            StepTest::AnyChild => self.ctx.children(node.id, None)?,
        })
    }

    /// Keeps the nodes for which every predicate holds, in turn (XPath 1.0 §2.4): a number
    /// predicate keeps the node at that position, anything else is converted to boolean.
    fn filter(
        &mut self,
        mut nodes: Vec<Node>,
        predicates: &[Expr],
    ) -> Result<Vec<Node>, EvalError> {
        for pred in predicates {
            if let Some((column, key)) = keyed_equality(pred)
                && let Some(first) = nodes.first().cloned()
            {
                nodes = self.filter_by_key(nodes, column, key, first)?;
                continue;
            }
            let size = nodes.len();
            let mut kept = Vec::new();
            for (i, node) in nodes.into_iter().enumerate() {
                let focus = Focus {
                    node: Some(node.clone()),
                    position: i + 1,
                    size,
                };
                let keep = match self.eval(pred, &focus)? {
                    Value::Number(n) => n == (i + 1) as f64,
                    v => v.to_boolean(),
                };
                if keep {
                    kept.push(node);
                }
            }
            nodes = kept;
        }
        Ok(nodes)
    }
}

impl Evaluator<'_> {
    /// The predicate `[column = key]` where `key` does not depend on the node being
    /// filtered: `key` is evaluated once rather than once per node, which is what makes
    /// `instance('list')/root/item[name = ${x}]` over thousands of items cheap. The result
    /// is the same as the general case's.
    fn filter_by_key(
        &mut self,
        nodes: Vec<Node>,
        column: &str,
        key: &Expr,
        first: Node,
    ) -> Result<Vec<Node>, EvalError> {
        let size = nodes.len();
        // `key` reads neither the context node, nor its position, nor the size.
        let key = self.eval(
            key,
            &Focus {
                node: Some(first),
                position: 1,
                size,
            },
        )?;
        let mut kept = Vec::new();
        for node in nodes {
            let cells = self.ctx.children(node.id, Some(column))?;
            if compare(BinaryOp::Eq, &Value::Nodes(cells), &key) {
                kept.push(node);
            }
        }
        Ok(kept)
    }
}

/// `column = key` or `key = column`, where `column` is a child element's name and `key` does
/// not depend on the node a predicate is filtering.
pub(crate) fn keyed_equality(pred: &Expr) -> Option<(&str, &Expr)> {
    let Expr::Binary {
        op: BinaryOp::Eq,
        lhs,
        rhs,
    } = pred
    else {
        return None;
    };
    match (child_name(lhs), child_name(rhs)) {
        (Some(column), _) if independent_of_focus(rhs) => Some((column, rhs)),
        (_, Some(column)) if independent_of_focus(lhs) => Some((column, lhs)),
        _ => None,
    }
}

/// The name of a path that is one child step from the context node, such as `name`.
fn child_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Path(Path {
            start: PathStart::Relative,
            steps,
        }) => match steps.as_slice() {
            [
                Step {
                    test: StepTest::Name(name),
                    predicates,
                },
            ] if predicates.is_empty() => Some(name.as_str()),
            _ => None,
        },
        _ => None,
    }
}

/// Whether an expression gives the same value whatever node, position and size a predicate
/// is at: it has no relative path, no `position()` or `last()` and no function that reads
/// the context node (`string()` and friends without arguments). Conservative: a relative
/// path anywhere inside, even in a nested predicate, counts.
fn independent_of_focus(expr: &Expr) -> bool {
    let mut independent = true;
    expr.walk(&mut |e| match e {
        Expr::Path(p) if matches!(p.start, PathStart::Relative) => independent = false,
        Expr::Call(c)
            if c.args.is_empty()
                && !matches!(
                    c.name.as_str(),
                    "current" | "now" | "today" | "true" | "false" | "pi" | "version"
                ) =>
        {
            independent = false;
        }
        _ => {}
    });
    independent
}

/// Compares two values with `=`, `!=`, `<`, `<=`, `>` or `>=` (XPath 1.0 §3.4, with dates
/// compared as day numbers as ODK does).
pub(crate) fn compare(op: BinaryOp, a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Nodes(xs), Value::Nodes(ys)) => xs.iter().any(|x| {
            ys.iter()
                .any(|y| compare_atoms(op, &string(&x.value), &string(&y.value)))
        }),
        (Value::Nodes(xs), Value::Boolean(_)) => {
            compare_atoms(op, &Value::Boolean(!xs.is_empty()), b)
        }
        (Value::Boolean(_), Value::Nodes(ys)) => {
            compare_atoms(op, a, &Value::Boolean(!ys.is_empty()))
        }
        (Value::Nodes(xs), other) => xs
            .iter()
            .any(|x| compare_atoms(op, &string(&x.value), other)),
        (other, Value::Nodes(ys)) => ys
            .iter()
            .any(|y| compare_atoms(op, other, &string(&y.value))),
        _ => compare_atoms(op, a, b),
    }
}

fn string(s: &str) -> Value {
    Value::String(s.to_owned())
}

/// Compares two values that are not node-sets.
fn compare_atoms(op: BinaryOp, a: &Value, b: &Value) -> bool {
    let is_date = |v: &Value| matches!(v, Value::Date(_) | Value::DateTime(_));
    match op {
        BinaryOp::Eq | BinaryOp::Ne => {
            let equal = if matches!(a, Value::Boolean(_)) || matches!(b, Value::Boolean(_)) {
                a.to_boolean() == b.to_boolean()
            } else if matches!(a, Value::Number(_))
                || matches!(b, Value::Number(_))
                || is_date(a)
                || is_date(b)
            {
                // NaN is unequal to everything, itself included: `'' = 0` is false.
                a.to_number() == b.to_number()
            } else {
                a.to_xpath_string() == b.to_xpath_string()
            };
            // For numbers `!=` is IEEE inequality, which is the negation of `==` even for
            // NaN: `'' != 0` is true.
            if op == BinaryOp::Eq { equal } else { !equal }
        }
        _ => {
            let (x, y) = (a.to_number(), b.to_number());
            match op {
                BinaryOp::Lt => x < y,
                BinaryOp::Le => x <= y,
                BinaryOp::Gt => x > y,
                _ => x >= y,
            }
        }
    }
}
