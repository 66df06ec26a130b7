//! Expressions: kept as written, with the two rewrites Letsema needs to read them as
//! JavaRosa does.
//!
//! - JavaRosa reads an absolute path into a repeat from inside that repeat in the current
//!   instance (it "contextualizes" `/data/rep/q` to `/data/rep[current]/q`); Letsema's
//!   `${q}` means exactly that, so such paths become `${q}`.
//! - In an itemset's predicate, bare names are the choice's columns and answers are read
//!   by absolute paths or `current()/…`; Letsema's choice filters read answers by
//!   `${name}` (which also tells the engine what the filter depends on), so those paths
//!   become `${name}`.
//!
//! An expression that does not parse is kept as written: the form engine's compilation
//! then reports it.

use letsema_expr::{Expr, PathStart, Reference, StepTest, parse};

use crate::build::{Builder, local};

/// Where an expression is evaluated.
#[derive(Debug, Clone, Copy)]
enum Scope {
    /// A bind's expression, at an element.
    Field(usize),
    /// An itemset's predicate, for the select at an element.
    ChoiceFilter(usize),
}

impl Builder<'_> {
    /// A bind expression at `elem`, rewritten where Letsema would read it differently.
    pub(crate) fn expression(&mut self, source: &str, elem: usize) -> String {
        self.rewrite(source, Scope::Field(elem))
    }

    /// An itemset's predicate for the select at `elem`, as a choice filter.
    pub(crate) fn choice_filter(&mut self, source: &str, elem: usize) -> String {
        self.rewrite(source, Scope::ChoiceFilter(elem))
    }

    /// A `setvalue`'s value as the model's `default`: a literal as itself, an expression
    /// so that the engine takes it for one.
    pub(crate) fn default_expression(&mut self, source: &str, elem: usize) -> String {
        let rewritten = self.expression(source, elem);
        match parse(&rewritten) {
            Ok(Expr::Literal(text)) => literal_default(&text),
            Ok(Expr::Number(_)) => rewritten.trim().to_owned(),
            _ if crate::expr::is_expression(&rewritten) => rewritten,
            _ => format!("({})", rewritten.trim()),
        }
    }

    /// A `setvalue`'s text (no `value`), which is a literal, as a calculation.
    pub(crate) fn literal_expression(text: &str) -> String {
        quote(text)
    }

    fn rewrite(&mut self, written: &str, scope: Scope) -> String {
        let prepared = self.indexed_repeat_references(written, scope);
        let source = prepared.as_deref().unwrap_or(written);
        let Ok(mut expr) = parse(source) else {
            return source.to_owned();
        };
        let mut changed = prepared.is_some();
        let mut dropped = Vec::new();
        self.rewrite_expr(&mut expr, scope, &mut changed, &mut dropped);
        for elem in dropped {
            let at = match scope {
                Scope::Field(e) | Scope::ChoiceFilter(e) => self.anchor(e),
            };
            let path = self.path_of(elem);
            self.warn(
                at,
                format!(
                    "`{source}` reads `{path}`, which Letsema does not keep (each submission \
                     has its own id): it reads as empty"
                ),
            );
        }
        if changed {
            expr.to_string()
        } else {
            source.to_owned()
        }
    }

    /// `indexed-repeat(/data/rep/q, /data/rep, 2)` with `${q}` and `${rep}` for the
    /// paths, which Letsema's parser requires there (so this is done on the text, before
    /// parsing); `None` when there is nothing to change.
    fn indexed_repeat_references(&self, source: &str, scope: Scope) -> Option<String> {
        const CALL: &str = "indexed-repeat(";
        let context = match scope {
            Scope::Field(e) | Scope::ChoiceFilter(e) => e,
        };
        let mut out = String::new();
        let mut rest = source;
        let mut changed = false;
        while let Some(at) = rest.find(CALL) {
            let open = at + CALL.len() - 1;
            let Some(close) = crate::choices::closing(rest, open) else {
                break;
            };
            out.push_str(&rest[..=open]);
            let args = crate::choices::split_top(&rest[open + 1..close], ',');
            let mut written = Vec::with_capacity(args.len());
            for (i, arg) in args.iter().enumerate() {
                let target = (i == 0 || i % 2 == 1)
                    .then(|| self.resolve(context, arg))
                    .flatten()
                    .filter(|&t| t != 0 && !self.elems[t].dropped);
                match target {
                    Some(t) => {
                        changed = true;
                        written.push(format!("${{{}}}", self.elems[t].name));
                    }
                    None => written.push((*arg).to_owned()),
                }
            }
            out.push_str(&written.join(","));
            out.push(')');
            rest = &rest[close + 1..];
        }
        out.push_str(rest);
        changed.then_some(out)
    }

    fn rewrite_expr(
        &self,
        expr: &mut Expr,
        scope: Scope,
        changed: &mut bool,
        dropped: &mut Vec<usize>,
    ) {
        match expr {
            Expr::Number(_) | Expr::Literal(_) | Expr::Ref(_) => {}
            Expr::Path(path) => {
                if let Some(target) = self.path_target(path, scope) {
                    if self.elems[target].dropped {
                        if !dropped.contains(&target) {
                            dropped.push(target);
                        }
                    } else if self.needs_reference(target, scope) {
                        *expr = Expr::Ref(Reference {
                            name: self.elems[target].name.clone(),
                            span: 0..0,
                        });
                        *changed = true;
                        return;
                    }
                }
                if let PathStart::Expr(start) = &mut path.start {
                    self.rewrite_expr(start, scope, changed, dropped);
                }
                for step in &mut path.steps {
                    for predicate in &mut step.predicates {
                        self.rewrite_expr(predicate, scope, changed, dropped);
                    }
                }
            }
            Expr::Call(call) => {
                let indexed_repeat = call.name == "indexed-repeat";
                for (i, arg) in call.args.iter_mut().enumerate() {
                    // indexed-repeat() names its question and repeats as `${name}`: a plain
                    // path to a field becomes one (the positions stay expressions).
                    if indexed_repeat
                        && (i == 0 || i % 2 == 1)
                        && let Expr::Path(path) = &*arg
                        && let Some(target) = self.plain_target(path, scope)
                    {
                        *arg = Expr::Ref(Reference {
                            name: self.elems[target].name.clone(),
                            span: 0..0,
                        });
                        *changed = true;
                        continue;
                    }
                    self.rewrite_expr(arg, scope, changed, dropped);
                }
            }
            Expr::Binary { lhs, rhs, .. } => {
                self.rewrite_expr(lhs, scope, changed, dropped);
                self.rewrite_expr(rhs, scope, changed, dropped);
            }
            Expr::Negate(inner) => self.rewrite_expr(inner, scope, changed, dropped),
            Expr::Filter { base, predicates } => {
                self.rewrite_expr(base, scope, changed, dropped);
                for predicate in predicates {
                    self.rewrite_expr(predicate, scope, changed, dropped);
                }
            }
        }
    }

    /// The element a plain path names: absolute (`/data/g/q`) anywhere, or from
    /// `current()` in a choice filter.
    fn path_target(&self, path: &letsema_expr::Path, scope: Scope) -> Option<usize> {
        let target = match (&path.start, scope) {
            (PathStart::Root, _) => {
                let (first, rest) = path.steps.split_first()?;
                match &first.test {
                    StepTest::Name(n)
                        if local(n) == self.elems[0].name && first.predicates.is_empty() =>
                    {
                        self.walk_steps(0, rest)?
                    }
                    _ => return None,
                }
            }
            (PathStart::Expr(start), Scope::ChoiceFilter(select)) => match start.as_ref() {
                Expr::Call(c) if c.name == "current" && c.args.is_empty() => {
                    self.walk_steps(select, &path.steps)?
                }
                _ => return None,
            },
            _ => return None,
        };
        (target != 0).then_some(target)
    }

    /// The field a plain path names, absolute or relative to where the expression is.
    fn plain_target(&self, path: &letsema_expr::Path, scope: Scope) -> Option<usize> {
        let target = match (&path.start, scope) {
            (PathStart::Relative, Scope::Field(context)) => {
                self.walk_steps(context, &path.steps)?
            }
            (PathStart::Expr(start), Scope::Field(context)) => match start.as_ref() {
                Expr::Call(c) if c.name == "current" && c.args.is_empty() => {
                    self.walk_steps(context, &path.steps)?
                }
                _ => return None,
            },
            _ => self.path_target(path, scope)?,
        };
        (target != 0 && !self.elems[target].dropped).then_some(target)
    }

    /// Whether a path to `target` must become `${name}` to keep its meaning.
    fn needs_reference(&self, target: usize, scope: Scope) -> bool {
        match scope {
            Scope::ChoiceFilter(_) => true,
            Scope::Field(context) => {
                // A repeat enclosing the target (not the target itself) that also encloses
                // the expression's field: JavaRosa reads the path in the current instance.
                let mut enclosing = self.repeats_of(target);
                if self.elems[target].repeat.is_some() {
                    enclosing.pop();
                }
                let mine = self.repeats_of(context);
                enclosing.iter().any(|r| mine.contains(r))
            }
        }
    }
}

/// Whether the model's runtime takes a `default` for an expression: when it refers to
/// fields or calls functions.
pub(crate) fn is_expression(default: &str) -> bool {
    default.contains("${") || default.contains('(')
}

/// A literal text as the model's `default`: itself, unless the runtime would take it for
/// an expression, then as a quoted string.
pub(crate) fn literal_default(text: &str) -> String {
    if is_expression(text) {
        quote(text)
    } else {
        text.to_owned()
    }
}

/// A text as an XPath string literal (`concat()` of pieces when it has both quotes).
pub(crate) fn quote(text: &str) -> String {
    if !text.contains('\'') {
        format!("'{text}'")
    } else if !text.contains('"') {
        format!("\"{text}\"")
    } else {
        let pieces: Vec<String> = text.split('\'').map(|piece| format!("'{piece}'")).collect();
        format!("concat({})", pieces.join(", \"'\", "))
    }
}

/// Whether an expression reads anything relative to where it is evaluated (`.`, `..`,
/// `name`, `current()`).
pub(crate) fn has_relative_path(source: &str) -> bool {
    let Ok(expr) = parse(source) else {
        return false;
    };
    let mut relative = false;
    expr.walk(&mut |e| match e {
        Expr::Path(p) => {
            if matches!(p.start, PathStart::Relative) {
                relative = true;
            }
        }
        Expr::Call(c) if c.name == "current" => relative = true,
        _ => {}
    });
    relative
}
