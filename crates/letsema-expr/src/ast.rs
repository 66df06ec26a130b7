//! The syntax tree of an expression and its canonical printed form.
//!
//! [`Display`](std::fmt::Display) prints an expression with single spaces around binary
//! operators and the fewest parentheses that keep its meaning, so that
//! `parse(&expr.to_string())` gives back the same tree (spans aside). The one exception
//! is a string literal containing both `'` and `"`, which XPath 1.0 cannot write; trees
//! from the parser never contain one.

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// A parsed expression.
///
/// Spans are byte offsets into the source the expression was parsed from; trees built by
/// hand may use empty spans (`0..0`). Two trees that differ only in spans are not equal:
/// use [`Expr::strip_spans`] before comparing trees parsed from different sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Expr {
    /// A number literal such as `3` or `2.5`. Literals are never negative: `-3` is
    /// [`Expr::Negate`] of `3`.
    Number(f64),
    /// A string literal, `'…'` or `"…"`.
    Literal(String),
    /// An XLSForm `${name}` reference to a question, group or repeat.
    Ref(Reference),
    /// An XPath location path such as `.`, `..`, `/data/a` or `current()/../b`.
    Path(Path),
    /// A function call such as `concat(${a}, 'x')` or `jr:choice-name(${q}, '${q}')`.
    Call(Call),
    /// A binary operation.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// The left operand.
        lhs: Box<Expr>,
        /// The right operand.
        rhs: Box<Expr>,
    },
    /// Unary minus: `-x`.
    Negate(Box<Expr>),
    /// A filter expression: a primary expression followed by predicates, `(${a} | ${b})[1]`.
    Filter {
        /// The expression whose node-set is filtered.
        base: Box<Expr>,
        /// The predicates, applied in order.
        predicates: Vec<Expr>,
    },
}

/// An XLSForm `${name}` reference and where it appears in the source.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    /// The referenced name, without `${` and `}`.
    pub name: String,
    /// The byte range of the whole `${name}` in the source.
    pub span: Range<usize>,
}

/// A function call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    /// The function name as written, including any prefix: `concat`, `jr:choice-name`.
    pub name: String,
    /// The arguments.
    pub args: Vec<Expr>,
    /// The byte range of the whole call, from the name to the closing parenthesis.
    pub span: Range<usize>,
}

/// A keyed lookup into a secondary instance: the elements `element` of instance
/// `instance` picked by the value of their child `column` (see
/// [`Expr::instance_lookups`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InstanceLookup {
    /// The id in `instance('…')`.
    pub instance: String,
    /// The element looked up, `item` for a choice list or a CSV file.
    pub element: String,
    /// The child compared with the key.
    pub column: String,
}

/// An XPath location path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Path {
    /// Where the path starts.
    pub start: PathStart,
    /// The steps after the start, in order.
    pub steps: Vec<Step>,
}

/// Where a location path starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum PathStart {
    /// `/…`: the document root.
    Root,
    /// A relative path: starts at the context node (the current question, or the node a
    /// predicate is testing).
    Relative,
    /// `expr/…`: starts at the nodes of a primary expression, as in `current()/..` or
    /// `${group}/q`.
    Expr(Box<Expr>),
}

/// One step of a location path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// What the step selects.
    pub test: StepTest,
    /// Predicates filtering the selected nodes, `[…]`.
    pub predicates: Vec<Expr>,
}

/// What a path step selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StepTest {
    /// `.`: the node itself.
    SelfNode,
    /// `..`: the parent.
    Parent,
    /// `name` or `prefix:name`: children with this name.
    Name(String),
    /// `*`: all element children.
    AnyChild,
}

/// A binary operator, in XPath 1.0 precedence groups (lowest first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryOp {
    /// `or`
    Or,
    /// `and`
    And,
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `div`
    Div,
    /// `mod`
    Mod,
    /// `|`: node-set union.
    Union,
}

impl BinaryOp {
    /// The operator as written in an expression.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "or",
            BinaryOp::And => "and",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "div",
            BinaryOp::Mod => "mod",
            BinaryOp::Union => "|",
        }
    }

    /// The binding strength: a higher number binds tighter (XPath 1.0 §3.4-3.7).
    pub(crate) fn precedence(self) -> u8 {
        match self {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq | BinaryOp::Ne => 3,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => 4,
            BinaryOp::Add | BinaryOp::Sub => 5,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 6,
            BinaryOp::Union => 8,
        }
    }
}

/// Precedence of unary minus, between multiplicative operators and union.
const UNARY: u8 = 7;
/// Precedence of a location path (`a/b`), which cannot start a filter or another path.
const PATH: u8 = 9;
/// Precedence of primary expressions (literals, numbers, references, calls, filters).
const PRIMARY: u8 = 10;

impl Expr {
    /// Every `${name}` reference in the expression, in source order.
    pub fn references(&self) -> Vec<Reference> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Ref(r) = e {
                out.push(r.clone());
            }
        });
        out.sort_by_key(|r| r.span.start);
        out
    }

    /// The keyed lookups into secondary instances this expression makes, which a
    /// [`Context`](crate::Context) may index ([`Context::lookup`](crate::Context::lookup)):
    /// each step `element[column = key]` of a path that starts with `instance('id')`, and
    /// each `pulldata('id', …, 'column', key)` (a lookup of `item`).
    pub fn instance_lookups(&self) -> Vec<InstanceLookup> {
        let mut out: Vec<InstanceLookup> = Vec::new();
        let literal = |e: &Expr| match e {
            Expr::Literal(s) => Some(s.clone()),
            _ => None,
        };
        self.walk(&mut |e| {
            let found: Vec<InstanceLookup> = match e {
                Expr::Path(p) => match &p.start {
                    PathStart::Expr(start) => match start.as_ref() {
                        Expr::Call(c) if c.name == "instance" => {
                            let Some(instance) = c.args.first().and_then(literal) else {
                                return;
                            };
                            p.steps
                                .iter()
                                .filter_map(|step| {
                                    let StepTest::Name(element) = &step.test else {
                                        return None;
                                    };
                                    let (column, _) = step
                                        .predicates
                                        .first()
                                        .and_then(crate::eval::keyed_equality)?;
                                    Some(InstanceLookup {
                                        instance: instance.clone(),
                                        element: element.clone(),
                                        column: column.to_owned(),
                                    })
                                })
                                .collect()
                        }
                        _ => Vec::new(),
                    },
                    _ => Vec::new(),
                },
                Expr::Call(c) if c.name == "pulldata" => {
                    match (
                        c.args.first().and_then(literal),
                        c.args.get(2).and_then(literal),
                    ) {
                        (Some(instance), Some(column)) => vec![InstanceLookup {
                            instance,
                            element: "item".to_owned(),
                            column,
                        }],
                        _ => Vec::new(),
                    }
                }
                _ => Vec::new(),
            };
            for lookup in found {
                if !out.contains(&lookup) {
                    out.push(lookup);
                }
            }
        });
        out
    }

    /// Calls `f` on this expression and every sub-expression, parents before children.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Number(_) | Expr::Literal(_) | Expr::Ref(_) => {}
            Expr::Path(p) => p.walk(f),
            Expr::Call(c) => c.args.iter().for_each(|a| a.walk(f)),
            Expr::Binary { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            Expr::Negate(e) => e.walk(f),
            Expr::Filter { base, predicates } => {
                base.walk(f);
                predicates.iter().for_each(|p| p.walk(f));
            }
        }
    }

    /// Sets every span in the tree to `0..0`, so that trees parsed from differently
    /// written sources can be compared by structure.
    pub fn strip_spans(&mut self) {
        match self {
            Expr::Number(_) | Expr::Literal(_) => {}
            Expr::Ref(r) => r.span = 0..0,
            Expr::Path(p) => {
                if let PathStart::Expr(e) = &mut p.start {
                    e.strip_spans();
                }
                for s in &mut p.steps {
                    s.predicates.iter_mut().for_each(Expr::strip_spans);
                }
            }
            Expr::Call(c) => {
                c.span = 0..0;
                c.args.iter_mut().for_each(Expr::strip_spans);
            }
            Expr::Binary { lhs, rhs, .. } => {
                lhs.strip_spans();
                rhs.strip_spans();
            }
            Expr::Negate(e) => e.strip_spans(),
            Expr::Filter { base, predicates } => {
                base.strip_spans();
                predicates.iter_mut().for_each(Expr::strip_spans);
            }
        }
    }

    fn precedence(&self) -> u8 {
        match self {
            Expr::Binary { op, .. } => op.precedence(),
            Expr::Negate(_) => UNARY,
            Expr::Path(p) if p.is_bare_start() => PRIMARY,
            Expr::Path(_) => PATH,
            _ => PRIMARY,
        }
    }

    /// Writes `self`, in parentheses if it binds more loosely than `min`.
    fn fmt_at(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        if self.precedence() < min {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

impl std::str::FromStr for Expr {
    type Err = crate::error::ParseError;

    /// Same as [`parse`](crate::parse).
    fn from_str(src: &str) -> Result<Self, Self::Err> {
        crate::parser::parse(src)
    }
}

impl Path {
    fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        if let PathStart::Expr(e) = &self.start {
            e.walk(f);
        }
        for s in &self.steps {
            s.predicates.iter().for_each(|p| p.walk(f));
        }
    }

    /// A path that is only a start expression with no steps prints as that expression.
    fn is_bare_start(&self) -> bool {
        matches!(self.start, PathStart::Expr(_)) && self.steps.is_empty()
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Number(n) => write!(f, "{}", crate::value::number_to_string(*n)),
            Expr::Literal(s) => {
                if s.contains('\'') {
                    write!(f, "\"{s}\"")
                } else {
                    write!(f, "'{s}'")
                }
            }
            Expr::Ref(r) => write!(f, "${{{}}}", r.name),
            Expr::Path(p) => write!(f, "{p}"),
            Expr::Call(c) => {
                write!(f, "{}(", c.name)?;
                for (i, a) in c.args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{a}")?;
                }
                f.write_str(")")
            }
            Expr::Binary { op, lhs, rhs } => {
                let p = op.precedence();
                lhs.fmt_at(f, p)?;
                if *op == BinaryOp::Union {
                    f.write_str(" | ")?;
                } else {
                    write!(f, " {} ", op.symbol())?;
                }
                // All binary operators are left-associative: an equal-precedence right
                // operand needs parentheses.
                rhs.fmt_at(f, p + 1)
            }
            Expr::Negate(e) => {
                f.write_str("-")?;
                e.fmt_at(f, UNARY)
            }
            Expr::Filter { base, predicates } => {
                base.fmt_at(f, PRIMARY)?;
                for p in predicates {
                    write!(f, "[{p}]")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.start {
            PathStart::Root => {
                f.write_str("/")?;
            }
            PathStart::Relative => {}
            PathStart::Expr(e) => {
                e.fmt_at(f, PRIMARY)?;
                if !self.steps.is_empty() {
                    f.write_str("/")?;
                }
            }
        }
        for (i, s) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str("/")?;
            }
            write!(f, "{s}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.test {
            StepTest::SelfNode => f.write_str(".")?,
            StepTest::Parent => f.write_str("..")?,
            StepTest::Name(n) => f.write_str(n)?,
            StepTest::AnyChild => f.write_str("*")?,
        }
        for p in &self.predicates {
            write!(f, "[{p}]")?;
        }
        Ok(())
    }
}
