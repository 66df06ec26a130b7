//! A recursive-descent parser for the XPath 1.0 grammar (§3) as XLSForm writes it.
//!
//! Operator precedence, lowest first: `or`, `and`, `=` `!=`, `<` `<=` `>` `>=`, `+` `-`,
//! `*` `div` `mod`, unary `-`, `|`, then paths and primary expressions. All binary
//! operators are left-associative.

use std::ops::Range;

use crate::ast::{BinaryOp, Call, Expr, Path, PathStart, Reference, Step, StepTest};
use crate::error::ParseError;
use crate::functions::{self, Arity};
use crate::lexer::{Tok, Token, lex};

/// The deepest expression tree `parse` accepts. Real form expressions stay far below; the
/// limit keeps evaluation of hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 128;

/// How many parentheses, calls, predicates and unary minuses may nest.
const MAX_NESTING: usize = 64;

/// Parses an expression.
///
/// # Errors
///
/// A [`ParseError`] with the span of the offending text when `src` is not a valid
/// expression, calls an unknown function or calls a function with the wrong number of
/// arguments.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    let tokens = lex(src)?;
    let mut p = Parser {
        src,
        tokens,
        pos: 0,
        nesting: 0,
    };
    if p.tokens.is_empty() {
        return Err(ParseError::new(
            0..src.len(),
            "the expression is empty: write a value, a condition or a calculation",
        ));
    }
    let (expr, _) = p.expr()?;
    if let Some(t) = p.peek_token() {
        return Err(ParseError::new(
            t.span.clone(),
            format!(
                "unexpected {} after a complete expression: is an operator such as `and`, \
                 `+` or `,` missing before it?",
                p.describe(t)
            ),
        ));
    }
    Ok(expr)
}

/// An expression and the depth of its tree.
type Parsed = (Expr, usize);

struct Parser<'s> {
    src: &'s str,
    tokens: Vec<Token>,
    pos: usize,
    nesting: usize,
}

impl Parser<'_> {
    fn peek_token(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.tok)
    }

    fn peek_at(&self, offset: usize) -> Option<&Tok> {
        self.tokens.get(self.pos + offset).map(|t| &t.tok)
    }

    /// The span of the next token, or an empty span at the end of the source.
    fn here(&self) -> Range<usize> {
        self.peek_token()
            .map_or(self.src.len()..self.src.len(), |t| t.span.clone())
    }

    fn bump(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        if self.peek() == Some(tok) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// How a token reads in an error message.
    fn describe(&self, t: &Token) -> String {
        format!("`{}`", &self.src[t.span.clone()])
    }

    fn found(&self) -> String {
        self.peek_token().map_or_else(
            || "the end of the expression".to_owned(),
            |t| self.describe(t),
        )
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(ParseError::new(
                self.here(),
                format!(
                    "the expression nests more than {MAX_NESTING} levels deep here: split it \
                     into several calculations"
                ),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.nesting -= 1;
    }

    /// Builds a node whose children have the given depths, checking the depth limit.
    fn node(
        &self,
        expr: Expr,
        children: &[usize],
        span: Range<usize>,
    ) -> Result<Parsed, ParseError> {
        let depth = children.iter().copied().max().unwrap_or(0) + 1;
        if depth > MAX_DEPTH {
            return Err(ParseError::new(
                span,
                format!(
                    "the expression is more than {MAX_DEPTH} operations deep: split it into \
                     several calculations"
                ),
            ));
        }
        Ok((expr, depth))
    }

    fn expr(&mut self) -> Result<Parsed, ParseError> {
        self.binary(1)
    }

    /// Parses operators of precedence `level` and tighter (levels 1 to 6; unary is next).
    fn binary(&mut self, level: u8) -> Result<Parsed, ParseError> {
        if level > 6 {
            return self.unary();
        }
        let start = self.here().start;
        let (mut lhs, mut depth) = self.binary(level + 1)?;
        while let Some(op) = self.binary_op().filter(|op| op.precedence() == level) {
            let op_span = self.here();
            self.pos += 1;
            if self.peek().is_none() {
                return Err(ParseError::new(
                    op_span,
                    format!(
                        "`{}` needs a value on its right, but the expression ends here",
                        op.symbol()
                    ),
                ));
            }
            let (rhs, rdepth) = self.binary(level + 1)?;
            let span = start..self.here().start;
            (lhs, depth) = self.node(
                Expr::Binary {
                    op,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                &[depth, rdepth],
                span,
            )?;
        }
        Ok((lhs, depth))
    }

    /// The binary operator at the current position, if any. `*` and the words `and`, `or`,
    /// `div`, `mod` are operators here because an operand precedes them (XPath §3.7).
    fn binary_op(&self) -> Option<BinaryOp> {
        Some(match self.peek()? {
            Tok::Name(n) => match n.as_str() {
                "or" => BinaryOp::Or,
                "and" => BinaryOp::And,
                "div" => BinaryOp::Div,
                "mod" => BinaryOp::Mod,
                _ => return None,
            },
            Tok::Eq => BinaryOp::Eq,
            Tok::Ne => BinaryOp::Ne,
            Tok::Lt => BinaryOp::Lt,
            Tok::Le => BinaryOp::Le,
            Tok::Gt => BinaryOp::Gt,
            Tok::Ge => BinaryOp::Ge,
            Tok::Plus => BinaryOp::Add,
            Tok::Minus => BinaryOp::Sub,
            Tok::Star => BinaryOp::Mul,
            _ => return None,
        })
    }

    fn unary(&mut self) -> Result<Parsed, ParseError> {
        if self.peek() == Some(&Tok::Minus) {
            let span = self.here();
            self.pos += 1;
            self.enter()?;
            let (inner, depth) = self.unary()?;
            self.leave();
            return self.node(Expr::Negate(Box::new(inner)), &[depth], span);
        }
        self.union()
    }

    fn union(&mut self) -> Result<Parsed, ParseError> {
        let start = self.here().start;
        let (mut lhs, mut depth) = self.path_expr()?;
        while self.eat(&Tok::Pipe) {
            let (rhs, rdepth) = self.path_expr()?;
            let span = start..self.here().start;
            (lhs, depth) = self.node(
                Expr::Binary {
                    op: BinaryOp::Union,
                    lhs: Box::new(lhs),
                    rhs: Box::new(rhs),
                },
                &[depth, rdepth],
                span,
            )?;
        }
        Ok((lhs, depth))
    }

    /// Whether the next tokens start a location step (rather than a function call).
    fn at_step(&self) -> bool {
        match self.peek() {
            Some(Tok::Dot | Tok::DotDot | Tok::Star | Tok::At) => true,
            Some(Tok::Name(_)) => self.peek_at(1) != Some(&Tok::LParen),
            _ => false,
        }
    }

    fn path_expr(&mut self) -> Result<Parsed, ParseError> {
        match self.peek() {
            Some(Tok::Slash) => {
                self.pos += 1;
                let (steps, depth) = if self.at_step() {
                    self.steps()?
                } else {
                    (Vec::new(), 0)
                };
                let span = self.here();
                self.node(
                    Expr::Path(Path {
                        start: PathStart::Root,
                        steps,
                    }),
                    &[depth],
                    span,
                )
            }
            Some(Tok::DoubleSlash) => Err(self.double_slash()),
            _ if self.at_step() => {
                let (steps, depth) = self.steps()?;
                let span = self.here();
                self.node(
                    Expr::Path(Path {
                        start: PathStart::Relative,
                        steps,
                    }),
                    &[depth],
                    span,
                )
            }
            _ => {
                let (base, depth) = self.filter_expr()?;
                match self.peek() {
                    Some(Tok::Slash) => {
                        self.pos += 1;
                        if !self.at_step() {
                            return Err(ParseError::new(
                                self.here(),
                                format!(
                                    "expected a path step (a name, `.` or `..`) after `/`, \
                                     but found {}",
                                    self.found()
                                ),
                            ));
                        }
                        let (steps, sdepth) = self.steps()?;
                        let span = self.here();
                        self.node(
                            Expr::Path(Path {
                                start: PathStart::Expr(Box::new(base)),
                                steps,
                            }),
                            &[depth, sdepth],
                            span,
                        )
                    }
                    Some(Tok::DoubleSlash) => Err(self.double_slash()),
                    _ => Ok((base, depth)),
                }
            }
        }
    }

    fn double_slash(&self) -> ParseError {
        ParseError::new(
            self.here(),
            "`//` (any descendant) is not supported: write the full path, or refer to the \
             question as `${name}`",
        )
    }

    /// Parses `step ('/' step)*`.
    fn steps(&mut self) -> Result<(Vec<Step>, usize), ParseError> {
        let mut steps = Vec::new();
        let mut depth = 0;
        loop {
            let (step, d) = self.step()?;
            steps.push(step);
            depth = depth.max(d);
            match self.peek() {
                Some(Tok::Slash) if self.peek_at(1).is_some() => {
                    self.pos += 1;
                    if !self.at_step() {
                        return Err(ParseError::new(
                            self.here(),
                            format!(
                                "expected a path step (a name, `.` or `..`) after `/`, but \
                                 found {}",
                                self.found()
                            ),
                        ));
                    }
                }
                Some(Tok::Slash) => {
                    return Err(ParseError::new(
                        self.here(),
                        "a path cannot end with `/`: add the name of the next step",
                    ));
                }
                Some(Tok::DoubleSlash) => return Err(self.double_slash()),
                _ => return Ok((steps, depth)),
            }
        }
    }

    fn step(&mut self) -> Result<(Step, usize), ParseError> {
        let Some(t) = self.bump() else {
            return Err(ParseError::new(self.here(), "expected a path step"));
        };
        let test = match t.tok {
            Tok::Dot => StepTest::SelfNode,
            Tok::DotDot => StepTest::Parent,
            Tok::Star => StepTest::AnyChild,
            Tok::At => {
                return Err(ParseError::new(
                    t.span,
                    "attributes (`@name`) are not supported: refer to questions with \
                     `${name}` or a path of element names",
                ));
            }
            Tok::Name(name) => {
                if self.peek() == Some(&Tok::DoubleColon) {
                    return Err(ParseError::new(
                        t.span.start..self.here().end,
                        format!(
                            "the `{name}::` axis is not supported: use `.`, `..` and element \
                             names"
                        ),
                    ));
                }
                StepTest::Name(name)
            }
            _ => {
                return Err(ParseError::new(
                    t.span,
                    "expected a path step (a name, `.` or `..`)",
                ));
            }
        };
        let (predicates, depth) = if matches!(test, StepTest::Name(_) | StepTest::AnyChild) {
            self.predicates()?
        } else {
            (Vec::new(), 0)
        };
        Ok((Step { test, predicates }, depth))
    }

    /// Parses `('[' expr ']')*`.
    fn predicates(&mut self) -> Result<(Vec<Expr>, usize), ParseError> {
        let mut out = Vec::new();
        let mut depth = 0;
        while self.peek() == Some(&Tok::LBracket) {
            let open = self.here();
            self.pos += 1;
            self.enter()?;
            let (e, d) = self.expr()?;
            self.leave();
            if !self.eat(&Tok::RBracket) {
                return Err(ParseError::new(
                    self.here(),
                    format!(
                        "expected `]` to close the predicate opened at {}, but found {}",
                        open.start,
                        self.found()
                    ),
                ));
            }
            out.push(e);
            depth = depth.max(d);
        }
        Ok((out, depth))
    }

    fn filter_expr(&mut self) -> Result<Parsed, ParseError> {
        let start = self.here().start;
        let (base, depth) = self.primary()?;
        if self.peek() != Some(&Tok::LBracket) {
            return Ok((base, depth));
        }
        let (predicates, pdepth) = self.predicates()?;
        let span = start..self.here().start;
        self.node(
            Expr::Filter {
                base: Box::new(base),
                predicates,
            },
            &[depth, pdepth],
            span,
        )
    }

    fn primary(&mut self) -> Result<Parsed, ParseError> {
        let here = self.here();
        let Some(t) = self.bump() else {
            return Err(ParseError::new(
                here,
                "the expression ends where a value was expected: add a number, a 'string', \
                 a ${reference} or a function call",
            ));
        };
        match t.tok {
            Tok::Number(n) => Ok((Expr::Number(n), 1)),
            Tok::Literal(s) => Ok((Expr::Literal(s), 1)),
            Tok::Ref(name) => Ok((Expr::Ref(Reference { name, span: t.span }), 1)),
            Tok::LParen => {
                self.enter()?;
                let (e, d) = self.expr()?;
                self.leave();
                if !self.eat(&Tok::RParen) {
                    return Err(ParseError::new(
                        self.here(),
                        format!(
                            "expected `)` to close the parenthesis opened at {}, but found {}",
                            t.span.start,
                            self.found()
                        ),
                    ));
                }
                Ok((e, d))
            }
            Tok::Name(name) if self.peek() == Some(&Tok::LParen) => self.call(name, t.span),
            Tok::Variable(name) => Err(ParseError::new(
                t.span,
                format!(
                    "`${name}` is an XPath variable, which forms do not have: to refer to a \
                     question write `${{{name}}}`"
                ),
            )),
            _ => Err(ParseError::new(
                t.span.clone(),
                format!(
                    "expected a value (a number, a 'string', a ${{reference}}, a function call \
                     or a path), but found {}",
                    self.describe(&t)
                ),
            )),
        }
    }

    fn call(&mut self, name: String, name_span: Range<usize>) -> Result<Parsed, ParseError> {
        let open = self.here().start;
        self.pos += 1; // `(`
        self.enter()?;
        let mut args = Vec::new();
        let mut depth = 0;
        if !self.eat(&Tok::RParen) {
            loop {
                let (a, d) = self.expr()?;
                args.push(a);
                depth = depth.max(d);
                if self.eat(&Tok::Comma) {
                    continue;
                }
                if self.eat(&Tok::RParen) {
                    break;
                }
                return Err(ParseError::new(
                    self.here(),
                    format!(
                        "expected `,` or `)` to close the call to `{name}` opened at {open}, \
                         but found {}",
                        self.found()
                    ),
                ));
            }
        }
        self.leave();
        let span = name_span.start..self.tokens[self.pos - 1].span.end;
        check_call(&name, &args, &name_span, &span)?;
        self.node(
            Expr::Call(Call {
                name,
                args,
                span: span.clone(),
            }),
            &[depth],
            span,
        )
    }
}

/// Checks that `name` is a known function and gets an acceptable number of arguments.
fn check_call(
    name: &str,
    args: &[Expr],
    name_span: &Range<usize>,
    span: &Range<usize>,
) -> Result<(), ParseError> {
    let Some(f) = functions::lookup(name) else {
        let hint = functions::suggest(name)
            .map(|s| format!(": did you mean `{s}`?"))
            .unwrap_or_else(|| {
                ": see the list of functions in the ODK XForms specification".to_owned()
            });
        return Err(ParseError::new(
            name_span.clone(),
            format!("`{name}` is not a known function{hint}"),
        ));
    };
    let n = args.len();
    let expected = match f.arity {
        Arity::Exactly(k) => plural(k),
        Arity::Range(lo, hi) if hi == lo + 1 => format!("{lo} or {hi} arguments"),
        Arity::Range(lo, hi) => format!("{lo} to {hi} arguments"),
        Arity::AtLeast(lo) => format!("at least {}", plural(lo)),
        Arity::IndexedRepeat => {
            "3, 5 or 7 arguments (a question, then pairs of a repeat and a position)".to_owned()
        }
    };
    if !f.arity.accepts(n) {
        return Err(ParseError::new(
            span.clone(),
            format!(
                "`{name}` takes {expected}, but {} given: {}",
                given(n),
                f.usage
            ),
        ));
    }
    if matches!(f.arity, Arity::IndexedRepeat) {
        for (i, a) in args.iter().enumerate() {
            if (i == 0 || i % 2 == 1) && !matches!(a, Expr::Ref(_)) {
                let what = if i == 0 { "question" } else { "repeat" };
                return Err(ParseError::new(
                    span.clone(),
                    format!(
                        "argument {} of `indexed-repeat` must be a ${{{what}}} reference: {}",
                        i + 1,
                        f.usage
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn plural(k: usize) -> String {
    if k == 1 {
        "1 argument".to_owned()
    } else {
        format!("{k} arguments")
    }
}

fn given(n: usize) -> String {
    if n == 1 {
        "1 was".to_owned()
    } else {
        format!("{n} were")
    }
}
