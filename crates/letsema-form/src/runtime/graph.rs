//! The dependency graph: which computation reads which field, and the order that computes
//! everything a computation reads before it.
//!
//! A *computation* ([`Unit`]) is one expression column of one field: the relevance of a
//! field, a calculation, a repeat count, the checks of a question (required, type,
//! constraint), its choice filter, its read-only flag. It is evaluated at every node of
//! its *site* field (every instance, inside repeats).
//!
//! Computations read *signals* and some of them produce one:
//!
//! - `Rel(f)`: whether the nodes of `f` are relevant, produced by `f`'s relevance unit
//!   (which reads the relevance of `f`'s parent: a non-relevant group hides its children);
//! - `Val(f)`: the value of the nodes of `f`, produced by its calculation, or by the person
//!   answering;
//! - `Count(r)`: the set of instances of repeat `r`, produced by its `repeat_count`, or by
//!   adding and removing instances.
//!
//! Reading `${x}` reads `Rel(x)` and `Val(x)` (a non-relevant field reads as empty) and the
//! counts of the repeats around `x` (they decide which nodes `${x}` is). Units are sorted
//! topologically, so evaluating them in vector order computes every signal before it is
//! read, and a change to a signal needs only the units after it to be looked at again.

use super::compile::{CompileError, Compiled, Field, FieldIx, ROOT};
use crate::model::QuestionType;

/// A signal, numbered `3 * field + kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Signal(pub usize);

impl Signal {
    pub fn rel(field: FieldIx) -> Signal {
        Signal(3 * field)
    }

    pub fn val(field: FieldIx) -> Signal {
        Signal(3 * field + 1)
    }

    pub fn count(field: FieldIx) -> Signal {
        Signal(3 * field + 2)
    }

    pub fn all_of(field: FieldIx) -> [Signal; 3] {
        [Self::rel(field), Self::val(field), Self::count(field)]
    }
}

/// What a unit computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnitKind {
    /// Whether the node is relevant: its parent's relevance and its own `relevant`.
    Relevant,
    /// The value of a calculation.
    Calculate,
    /// The number of instances of a repeat, evaluated at the node that holds them.
    RepeatCount,
    /// `read_only`.
    ReadOnly,
    /// The choices a `choice_filter` keeps.
    Choices,
    /// Required, type, choice and constraint checks of a question.
    Validate,
}

/// One computation, evaluated at every node of `site`.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    pub kind: UnitKind,
    /// The field whose expression this is.
    pub field: FieldIx,
    /// The field at whose nodes it is evaluated: `field`, except for a repeat count,
    /// evaluated at the node holding the instances.
    pub site: FieldIx,
    /// Whether a change anywhere it reads must recompute it at every node of `site` (see
    /// [`Compiled::global`]).
    pub global: bool,
}

/// The units in evaluation order and who reads what.
#[derive(Debug, Clone, Default)]
pub(crate) struct Graph {
    /// Topologically sorted: a unit's index is its rank.
    pub units: Vec<Unit>,
    /// For each signal, the units reading it, in rank order.
    readers: Vec<Vec<usize>>,
    /// For each field, the units evaluated at its nodes, in rank order.
    pub at_site: Vec<Vec<usize>>,
}

impl Graph {
    pub fn readers(&self, signal: Signal) -> &[usize] {
        self.readers.get(signal.0).map_or(&[], Vec::as_slice)
    }

    /// Builds the graph and sorts it.
    ///
    /// # Errors
    ///
    /// [`CompileError::Cycle`] when computations depend on each other in a circle.
    pub fn build(fields: &[Field]) -> Result<Graph, CompileError> {
        let mut units = Vec::new();
        for (f, field) in fields.iter().enumerate().skip(1) {
            let global = |exprs: &[Option<&Compiled>]| exprs.iter().flatten().any(|c| c.global);
            units.push(Unit {
                kind: UnitKind::Relevant,
                field: f,
                site: f,
                global: global(&[field.relevant.as_ref()]),
            });
            if field.calculation.is_some() {
                units.push(Unit {
                    kind: UnitKind::Calculate,
                    field: f,
                    site: f,
                    global: global(&[field.calculation.as_ref()]),
                });
            }
            if field.repeat_count.is_some() {
                units.push(Unit {
                    kind: UnitKind::RepeatCount,
                    field: f,
                    site: field.parent,
                    global: global(&[field.repeat_count.as_ref()]),
                });
            }
            if field.read_only.is_some() {
                units.push(Unit {
                    kind: UnitKind::ReadOnly,
                    field: f,
                    site: f,
                    global: global(&[field.read_only.as_ref()]),
                });
            }
            if field.choice_filter.is_some() {
                units.push(Unit {
                    kind: UnitKind::Choices,
                    field: f,
                    site: f,
                    global: global(&[field.choice_filter.as_ref()]),
                });
            }
            if needs_validation(field) {
                units.push(Unit {
                    kind: UnitKind::Validate,
                    field: f,
                    site: f,
                    global: global(&[
                        field.required.as_ref(),
                        field.constraint.as_ref(),
                        field.choice_filter.as_ref(),
                    ]),
                });
            }
        }

        let signal_count = 3 * fields.len();
        let mut producer: Vec<Option<usize>> = vec![None; signal_count];
        for (u, unit) in units.iter().enumerate() {
            let produced = match unit.kind {
                UnitKind::Relevant => Some(Signal::rel(unit.field)),
                UnitKind::Calculate => Some(Signal::val(unit.field)),
                UnitKind::RepeatCount => Some(Signal::count(unit.field)),
                _ => None,
            };
            if let Some(s) = produced {
                producer[s.0] = Some(u);
            }
        }

        let mut readers: Vec<Vec<usize>> = vec![Vec::new(); signal_count];
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
        let mut indegree = vec![0usize; units.len()];
        for (u, unit) in units.iter().enumerate() {
            let mut inputs = inputs(fields, unit);
            inputs.sort_unstable();
            inputs.dedup();
            for s in inputs {
                readers[s.0].push(u);
                if let Some(p) = producer[s.0] {
                    if p == u {
                        return Err(CompileError::Cycle {
                            fields: vec![fields[unit.field].name.clone()],
                        });
                    }
                    edges[p].push(u);
                    indegree[u] += 1;
                }
            }
        }

        // Kahn's algorithm, taking ready units in form order for a stable result.
        let mut ready: std::collections::BTreeSet<usize> =
            (0..units.len()).filter(|&u| indegree[u] == 0).collect();
        let mut order = Vec::with_capacity(units.len());
        while let Some(u) = ready.pop_first() {
            order.push(u);
            for &v in &edges[u] {
                indegree[v] -= 1;
                if indegree[v] == 0 {
                    ready.insert(v);
                }
            }
        }
        if order.len() < units.len() {
            return Err(cycle_error(fields, &units, &edges, &indegree));
        }

        let mut rank = vec![0usize; units.len()];
        for (r, &u) in order.iter().enumerate() {
            rank[u] = r;
        }
        for list in &mut readers {
            for u in list.iter_mut() {
                *u = rank[*u];
            }
            list.sort_unstable();
        }
        let units: Vec<Unit> = order.iter().map(|&u| units[u].clone()).collect();
        let mut at_site = vec![Vec::new(); fields.len()];
        for (r, unit) in units.iter().enumerate() {
            at_site[unit.site].push(r);
        }
        Ok(Graph {
            units,
            readers,
            at_site,
        })
    }
}

/// Whether a question gets a `Validate` unit: it can be missing, fail its constraint, or
/// hold a value of the wrong type.
fn needs_validation(field: &Field) -> bool {
    let Some(kind) = field.question_type() else {
        return false;
    };
    if matches!(
        kind,
        QuestionType::Note | QuestionType::Metadata(_) | QuestionType::Calculate
    ) {
        return field.constraint.is_some();
    }
    let typed = matches!(
        kind,
        QuestionType::Integer
            | QuestionType::Decimal
            | QuestionType::Date
            | QuestionType::DateTime
            | QuestionType::Time
            | QuestionType::Range(_)
            | QuestionType::Geopoint
            | QuestionType::SelectOne { .. }
            | QuestionType::SelectMultiple { .. }
    );
    field.required.is_some() || field.constraint.is_some() || (typed && field.calculation.is_none())
}

/// What reading `${x}` reads.
///
/// A reference to a group or repeat reads its relevance and its instances (what `count()`
/// and `position()` need), not the values inside it: `count(${items})` inside `items` is
/// common and must not depend on itself. As in JavaRosa, an expression that uses the
/// concatenated text of a whole group is therefore not recomputed when a value inside it
/// changes.
fn reference_signals(fields: &[Field], x: FieldIx, out: &mut Vec<Signal>) {
    let Some(field) = fields.get(x) else {
        return;
    };
    out.push(Signal::rel(x));
    out.extend(field.repeats_incl.iter().map(|&r| Signal::count(r)));
    if field.is_question() {
        out.push(Signal::val(x));
    }
}

/// The signals a unit reads.
fn inputs(fields: &[Field], unit: &Unit) -> Vec<Signal> {
    let field = &fields[unit.field];
    let exprs: Vec<&Compiled> = match unit.kind {
        UnitKind::Relevant => field.relevant.iter().collect(),
        UnitKind::Calculate => field.calculation.iter().collect(),
        UnitKind::RepeatCount => field.repeat_count.iter().collect(),
        UnitKind::ReadOnly => field.read_only.iter().collect(),
        UnitKind::Choices => field.choice_filter.iter().collect(),
        // A select is checked against the choices its filter offers, so it reads what the
        // filter reads.
        UnitKind::Validate => field
            .required
            .iter()
            .chain(field.constraint.iter())
            .chain(field.choice_filter.iter())
            .collect(),
    };
    let mut out = Vec::new();
    for compiled in exprs {
        for &x in &compiled.reads {
            reference_signals(fields, x, &mut out);
        }
        if compiled.reads_everything {
            for x in 1..fields.len() {
                reference_signals(fields, x, &mut out);
            }
        }
    }
    // A new instance needs every unit inside it evaluated, so every unit reads the counts
    // of the repeats its site is in.
    out.extend(
        fields[unit.site]
            .repeats_incl
            .iter()
            .map(|&r| Signal::count(r)),
    );
    match unit.kind {
        UnitKind::Relevant if field.parent != ROOT => out.push(Signal::rel(field.parent)),
        UnitKind::Validate => {
            out.push(Signal::rel(unit.field));
            out.push(Signal::val(unit.field));
        }
        _ => {}
    }
    out
}

/// Finds a circle among the units left over by the topological sort and names its fields.
fn cycle_error(
    fields: &[Field],
    units: &[Unit],
    edges: &[Vec<usize>],
    indegree: &[usize],
) -> CompileError {
    // Every leftover unit has a leftover unit it reads, so walking from reader to producer
    // through leftover units must come back to a unit already seen.
    let leftover = |u: usize| indegree[u] > 0;
    let mut producers: Vec<Vec<usize>> = vec![Vec::new(); units.len()];
    for (p, readers) in edges.iter().enumerate() {
        for &r in readers {
            producers[r].push(p);
        }
    }
    let Some(start) = (0..units.len()).find(|&u| leftover(u)) else {
        return CompileError::Cycle { fields: Vec::new() };
    };
    let mut path = vec![start];
    let mut seen = vec![usize::MAX; units.len()];
    seen[start] = 0;
    let mut u = start;
    while let Some(&next) = producers[u].iter().find(|&&v| leftover(v)) {
        if seen[next] != usize::MAX {
            let mut names: Vec<String> = Vec::new();
            for &v in &path[seen[next]..] {
                let name = &fields[units[v].field].name;
                if names.last() != Some(name) && (names.first() != Some(name) || names.len() < 2) {
                    names.push(name.clone());
                }
            }
            return CompileError::Cycle { fields: names };
        }
        seen[next] = path.len();
        path.push(next);
        u = next;
    }
    CompileError::Cycle {
        fields: vec![fields[units[start].field].name.clone()],
    }
}
