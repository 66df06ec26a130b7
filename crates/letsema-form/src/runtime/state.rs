//! [`FormState`]: a form being filled in, evaluated in full once and then incrementally.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use letsema_expr::{Value, evaluate, evaluate_at, parse_date, parse_date_time};
use serde::{Deserialize, Serialize};

use super::answers::{Answer, AnswerError, Answers};
use super::compile::{Compiled, CompiledForm, DefaultValue, FieldIx, FieldKind, ROOT};
use super::context::{Environment, EvalContext, choice_id};
use super::graph::{Signal, UnitKind};
use super::tree::{
    Invalid, NodeIx, ROOT_NODE, Status, Tree, build_children, check_answers, check_shape, index,
};
use crate::model::{MetadataKind, QuestionType};

/// Where an error of a calculation run by a `trigger` is kept among the evaluation errors
/// (which are otherwise kept by the rank of the computation that failed).
const TRIGGERED: usize = usize::MAX;

/// The most instances a `repeat_count` creates, so that a mistaken count cannot exhaust
/// the device's memory.
pub const MAX_REPEAT_COUNT: usize = 1000;

/// Where something is: a field's name and, inside repeats, the 0-based index of each
/// enclosing repeat instance (outermost first; a repeat instance's own index last).
///
/// Displays as `name` at the top level and `name[0][2]` inside repeats; names are unique
/// form-wide, so that is unambiguous.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Location {
    /// The field's name.
    pub field: String,
    /// The instance indexes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance: Vec<usize>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.field)?;
        for i in &self.instance {
            write!(f, "[{i}]")?;
        }
        Ok(())
    }
}

/// What an update changed, for a user interface to redraw only that.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Changes {
    /// Items (questions, groups, repeat instances) that became relevant or not relevant.
    pub relevance: Vec<Location>,
    /// Questions whose value changed: the answer set, or calculations.
    pub values: Vec<Location>,
    /// Questions that became or stopped being missing or invalid.
    pub validity: Vec<Location>,
    /// Questions that became or stopped being read-only.
    pub read_only: Vec<Location>,
    /// Selects whose filtered choices changed.
    pub choices: Vec<Location>,
    /// Repeats whose instances were added or removed: the repeat, with the indexes of the
    /// instances around it.
    pub repeats: Vec<Location>,
    /// How many computations were evaluated (for tests and benchmarks).
    pub evaluations: usize,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.relevance.is_empty()
            && self.values.is_empty()
            && self.validity.is_empty()
            && self.read_only.is_empty()
            && self.choices.is_empty()
            && self.repeats.is_empty()
    }
}

/// A form being filled in: the compiled form, the answers, the environment, and what the
/// form's expressions make of them (relevance, validity, calculations, choices, repeats).
///
/// It is evaluated in full when created; after that, [`set_answer`](Self::set_answer),
/// [`add_repeat_instance`](Self::add_repeat_instance) and
/// [`remove_repeat_instance`](Self::remove_repeat_instance) recompute only what depends
/// on the change, and always reach the same state a full evaluation would.
#[derive(Debug)]
pub struct FormState {
    pub(crate) form: Arc<CompiledForm>,
    pub(crate) env: Environment,
    pub(crate) tree: Tree,
    pub(crate) rng: Cell<u64>,
    /// Evaluation errors by (unit, node): mistakes in the form, reported, never panics.
    pub(crate) errors: BTreeMap<(usize, NodeIx), String>,
}

/// What evaluating a unit at a node did.
enum Outcome {
    Unchanged,
    Changed,
    Instances(Vec<NodeIx>),
}

impl FormState {
    /// Starts filling in (or reopens) a submission: builds the instance from `answers`,
    /// fills in metadata and defaults for fields without an answer, and evaluates
    /// everything.
    ///
    /// # Errors
    ///
    /// Every [`AnswerError`] found when the answers do not fit the form.
    pub fn new(
        form: Arc<CompiledForm>,
        answers: &Answers,
        env: Environment,
    ) -> Result<Self, Vec<AnswerError>> {
        let mut errors = Vec::new();
        check_answers(&form, ROOT, answers, &mut errors);
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut tree = Tree::new(form.fields.len());
        let mut unanswered = Vec::new();
        build_children(
            &mut tree,
            &form,
            ROOT_NODE,
            &index(answers),
            &mut unanswered,
        );
        tree.reindex();
        let mut state = FormState {
            rng: Cell::new(env.seed),
            form,
            env,
            tree,
            errors: BTreeMap::new(),
        };
        state.engine().initialise(&unanswered);
        state.evaluate_all();
        Ok(state)
    }

    /// Evaluates every computation at every node, from scratch.
    pub fn evaluate_all(&mut self) {
        let mut engine = self.engine();
        engine.errors.clear();
        for rank in 0..engine.form.graph.units.len() {
            let site = engine.form.graph.units[rank].site;
            let nodes = engine.tree.field_nodes[site].clone();
            for n in nodes {
                if engine.tree.nodes[n].alive {
                    engine.eval_unit(rank, n);
                }
            }
        }
    }

    /// Sets the answer of a question and recomputes what depends on it.
    ///
    /// `instance` has one 0-based index per repeat the question is in, outermost first
    /// (empty outside repeats). A `select_multiple` takes an [`Answer::Multiple`] or a
    /// space-separated string; `""` clears an answer.
    ///
    /// # Errors
    ///
    /// An [`AnswerError`] when there is no such question or instance, the question is
    /// calculated, or the answer has the wrong shape.
    pub fn set_answer(
        &mut self,
        field: &str,
        instance: &[usize],
        answer: impl Into<Answer>,
    ) -> Result<Changes, AnswerError> {
        let answer = answer.into();
        let ix = self.field(field)?;
        check_shape(&self.form, ix, &answer)?;
        if self.form.fields[ix].is_calculate_type() {
            return Err(AnswerError::Calculated {
                name: field.to_owned(),
            });
        }
        let n = self.tree.locate(&self.form, ix, instance)?;
        let value = answer.to_xpath_value().unwrap_or_default();
        let mut changes = self.engine().set_value(n, value);
        if changes.values.is_empty() {
            return Ok(changes);
        }
        // The fields whose `trigger` names this one are set now, each once.
        let form = Arc::clone(&self.form);
        for &target in &form.triggers[ix] {
            let nodes = self.context(Some(n)).resolve(target);
            for t in nodes {
                let value = match &form.fields[target].on_trigger {
                    None => String::new(),
                    Some(c) => match evaluate(&c.expr, &self.context(Some(t))) {
                        Ok(v) => {
                            self.errors.remove(&(TRIGGERED, t));
                            stored(v)
                        }
                        Err(e) => {
                            self.errors.insert(
                                (TRIGGERED, t),
                                format!("the calculation of `{}`: {e}", form.fields[target].name),
                            );
                            String::new()
                        }
                    },
                };
                let more = self.engine().set_value(t, value);
                merge(&mut changes, more);
            }
        }
        Ok(changes)
    }

    /// Adds an instance at the end of a repeat (one without `repeat_count`), with its
    /// defaults, and recomputes what depends on it. `outer` has the indexes of the repeat
    /// instances the repeat is in (empty for a top-level repeat).
    ///
    /// # Errors
    ///
    /// An [`AnswerError`] when there is no such repeat or outer instance, or the repeat's
    /// count is set by `repeat_count`.
    pub fn add_repeat_instance(
        &mut self,
        repeat: &str,
        outer: &[usize],
    ) -> Result<Changes, AnswerError> {
        let r = self.counted_repeat(repeat)?;
        let container = self
            .tree
            .locate(&self.form, self.form.fields[r].parent, outer)
            .map_err(|e| rename_path_error(e, repeat, 0))?;
        let mut engine = self.engine();
        let instance = engine.create_instance(container, r);
        let mut changes = Changes::default();
        let mut queue = BTreeSet::new();
        engine.enqueue_subtree(instance, &mut queue);
        engine.enqueue_readers(Signal::count(r), container, &mut queue);
        changes.repeats.push(engine.location(instance));
        engine.run(&mut queue, &mut changes);
        Ok(changes)
    }

    /// Removes an instance of a repeat (one without `repeat_count`), with everything in
    /// it, and recomputes what depends on it. `instance` has the indexes of the repeat
    /// instances the repeat is in, then the index of the instance to remove.
    ///
    /// # Errors
    ///
    /// An [`AnswerError`] when there is no such repeat or instance, or the repeat's count
    /// is set by `repeat_count`.
    pub fn remove_repeat_instance(
        &mut self,
        repeat: &str,
        instance: &[usize],
    ) -> Result<Changes, AnswerError> {
        let r = self.counted_repeat(repeat)?;
        let n = self.tree.locate(&self.form, r, instance)?;
        let mut engine = self.engine();
        let location = engine.location(n);
        let container = engine.tree.nodes[n].parent;
        engine.tree.remove(n);
        engine.tree.reindex();
        let tree = &*engine.tree;
        engine.errors.retain(|&(_, m), _| tree.nodes[m].alive);
        let mut changes = Changes::default();
        changes.repeats.push(location);
        let mut queue = BTreeSet::new();
        engine.enqueue_readers(Signal::count(r), container, &mut queue);
        engine.run(&mut queue, &mut changes);
        Ok(changes)
    }

    /// Moves the clock: the `end` metadata takes the new time, and what depends on it is
    /// recomputed. Other uses of `now()` see the new time when they are next evaluated.
    pub fn set_now(&mut self, now: chrono::DateTime<chrono::FixedOffset>) -> Changes {
        self.env.now = now;
        let stamp = Value::DateTime(now).to_xpath_string();
        let ends: Vec<NodeIx> = (1..self.form.fields.len())
            .filter(|&f| self.form.fields[f].metadata() == Some(MetadataKind::End))
            .flat_map(|f| self.tree.field_nodes[f].clone())
            .collect();
        let mut changes = Changes::default();
        for n in ends {
            let c = self.engine().set_value(n, stamp.clone());
            merge(&mut changes, c);
        }
        changes
    }

    /// Shows labels and messages in another language, and re-evaluates everything (for
    /// `jr:choice-name()`).
    pub fn set_language(&mut self, language: Option<String>) {
        self.env.language = language;
        self.evaluate_all();
    }

    /// The environment the state was evaluated in.
    pub fn environment(&self) -> &Environment {
        &self.env
    }

    /// The compiled form.
    pub fn compiled(&self) -> &Arc<CompiledForm> {
        &self.form
    }

    /// The value expressions see for a question: the answer or calculated value, `""`
    /// when it is not relevant.
    ///
    /// # Errors
    ///
    /// An [`AnswerError`] when there is no such question or instance.
    pub fn value(&self, field: &str, instance: &[usize]) -> Result<&str, AnswerError> {
        let n = self.node(field, instance)?;
        let node = &self.tree.nodes[n];
        Ok(if node.relevant { &node.value } else { "" })
    }

    /// Whether a question, group or repeat instance is relevant (a repeat instance's own
    /// index is the last of `instance`).
    ///
    /// # Errors
    ///
    /// An [`AnswerError`] when there is no such item or instance.
    pub fn is_relevant(&self, field: &str, instance: &[usize]) -> Result<bool, AnswerError> {
        Ok(self.tree.nodes[self.node(field, instance)?].relevant)
    }

    /// Whether a question is read-only: a calculation, or `read_only` is true.
    ///
    /// # Errors
    ///
    /// An [`AnswerError`] when there is no such question or instance.
    pub fn is_read_only(&self, field: &str, instance: &[usize]) -> Result<bool, AnswerError> {
        let n = self.node(field, instance)?;
        let f = &self.form.fields[self.tree.nodes[n].field];
        Ok(self.tree.nodes[n].read_only || f.is_calculate_type())
    }

    /// How many instances a repeat has, in the outer instances `outer`.
    ///
    /// # Errors
    ///
    /// An [`AnswerError`] when there is no such repeat or outer instance.
    pub fn repeat_count(&self, repeat: &str, outer: &[usize]) -> Result<usize, AnswerError> {
        let r = self.field(repeat)?;
        if self.form.fields[r].kind != FieldKind::Repeat {
            return Err(AnswerError::NotARepeat {
                name: repeat.to_owned(),
            });
        }
        let container = self
            .tree
            .locate(&self.form, self.form.fields[r].parent, outer)
            .map_err(|e| rename_path_error(e, repeat, 0))?;
        Ok(self.tree.children_of(container, r).len())
    }

    pub(crate) fn field(&self, name: &str) -> Result<FieldIx, AnswerError> {
        self.form
            .field_ix(name)
            .ok_or_else(|| AnswerError::UnknownField {
                name: name.to_owned(),
            })
    }

    pub(crate) fn node(&self, field: &str, instance: &[usize]) -> Result<NodeIx, AnswerError> {
        let ix = self.field(field)?;
        self.tree.locate(&self.form, ix, instance)
    }

    fn counted_repeat(&self, repeat: &str) -> Result<FieldIx, AnswerError> {
        let r = self.field(repeat)?;
        let field = &self.form.fields[r];
        if field.kind != FieldKind::Repeat {
            return Err(AnswerError::NotARepeat {
                name: repeat.to_owned(),
            });
        }
        if field.repeat_count.is_some() {
            return Err(AnswerError::CountedRepeat {
                name: repeat.to_owned(),
            });
        }
        Ok(r)
    }

    fn engine(&mut self) -> Engine<'_> {
        Engine {
            form: &self.form,
            tree: &mut self.tree,
            env: &self.env,
            rng: &self.rng,
            errors: &mut self.errors,
        }
    }

    pub(crate) fn context(&self, current: Option<NodeIx>) -> EvalContext<'_> {
        EvalContext {
            form: &self.form,
            tree: &self.tree,
            current,
            env: &self.env,
            rng: &self.rng,
            raw: false,
        }
    }
}

fn rename_path_error(e: AnswerError, repeat: &str, extra: usize) -> AnswerError {
    match e {
        AnswerError::InstancePath {
            expected, given, ..
        } => AnswerError::InstancePath {
            name: repeat.to_owned(),
            expected: expected + extra,
            given,
        },
        other => other,
    }
}

fn merge(into: &mut Changes, from: Changes) {
    into.relevance.extend(from.relevance);
    into.values.extend(from.values);
    into.validity.extend(from.validity);
    into.read_only.extend(from.read_only);
    into.choices.extend(from.choices);
    into.repeats.extend(from.repeats);
    into.evaluations += from.evaluations;
}

/// The state's parts, borrowed separately so that evaluation can read the form while it
/// writes the tree.
struct Engine<'a> {
    form: &'a CompiledForm,
    tree: &'a mut Tree,
    env: &'a Environment,
    rng: &'a Cell<u64>,
    errors: &'a mut BTreeMap<(usize, NodeIx), String>,
}

impl Engine<'_> {
    fn location(&self, n: NodeIx) -> Location {
        Location {
            field: self.form.fields[self.tree.nodes[n].field].name.clone(),
            instance: self.tree.instance_path(self.form, n),
        }
    }

    /// Sets a node's value and recomputes what reads it.
    fn set_value(&mut self, n: NodeIx, value: String) -> Changes {
        let mut changes = Changes::default();
        if self.tree.nodes[n].value == value {
            return changes;
        }
        self.tree.nodes[n].value = value;
        changes.values.push(self.location(n));
        let mut queue = BTreeSet::new();
        self.enqueue_readers(Signal::val(self.tree.nodes[n].field), n, &mut queue);
        self.run(&mut queue, &mut changes);
        changes
    }

    /// Fills in metadata and defaults of newly created questions.
    fn initialise(&mut self, nodes: &[NodeIx]) {
        for &n in nodes {
            let field = &self.form.fields[self.tree.nodes[n].field];
            let value = if let Some(kind) = field.metadata() {
                let env = self.env;
                match kind {
                    MetadataKind::Start | MetadataKind::End => {
                        Value::DateTime(env.now).to_xpath_string()
                    }
                    MetadataKind::Today => Value::Date(env.now.date_naive()).to_xpath_string(),
                    MetadataKind::DeviceId => env.device_id.clone().unwrap_or_default(),
                    MetadataKind::Username => env.username.clone().unwrap_or_default(),
                    MetadataKind::Email => env.email.clone().unwrap_or_default(),
                    MetadataKind::PhoneNumber => env.phone_number.clone().unwrap_or_default(),
                    _ => String::new(),
                }
            } else {
                match &field.default {
                    None => continue,
                    Some(DefaultValue::Literal(v)) => v.clone(),
                    Some(DefaultValue::Expression(c)) => {
                        let ctx = EvalContext {
                            form: self.form,
                            tree: self.tree,
                            current: Some(n),
                            env: self.env,
                            rng: self.rng,
                            raw: true,
                        };
                        evaluate(&c.expr, &ctx).map(stored).unwrap_or_default()
                    }
                }
            };
            self.tree.nodes[n].value = value;
        }
    }

    /// Creates an empty instance of repeat `r` at the end of `container`, with defaults.
    fn create_instance(&mut self, container: NodeIx, r: FieldIx) -> NodeIx {
        let instance = self.tree.add_child(container, r, String::new());
        let mut unanswered = Vec::new();
        build_children(
            self.tree,
            self.form,
            instance,
            &HashMap::new(),
            &mut unanswered,
        );
        self.tree.reindex();
        self.initialise(&unanswered);
        instance
    }

    fn enqueue_subtree(&self, node: NodeIx, queue: &mut BTreeSet<(usize, NodeIx)>) {
        for m in self.tree.subtree(node) {
            for &rank in &self.form.graph.at_site[self.tree.nodes[m].field] {
                queue.insert((rank, m));
            }
        }
    }

    /// Queues the units reading `signal`, at the nodes whose value may have changed
    /// because it changed at `n`.
    fn enqueue_readers(&self, signal: Signal, n: NodeIx, queue: &mut BTreeSet<(usize, NodeIx)>) {
        for &rank in self.form.graph.readers(signal) {
            let unit = &self.form.graph.units[rank];
            for m in self.scope(unit.site, unit.global, n) {
                queue.insert((rank, m));
            }
        }
    }

    /// The nodes of `site` that can see the node `n`: all of them, or only those in the
    /// same instance of the innermost repeat both are in.
    fn scope(&self, site: FieldIx, global: bool, n: NodeIx) -> Vec<NodeIx> {
        let all = || self.tree.field_nodes[site].clone();
        if global {
            return all();
        }
        let theirs = &self.form.fields[self.tree.nodes[n].field].repeats_incl;
        let mine = &self.form.fields[site].repeats_incl;
        let common = theirs.iter().zip(mine).take_while(|(a, b)| a == b).count();
        if common == 0 {
            return all();
        }
        match self.tree.ancestor_of_field(n, mine[common - 1]) {
            Some(instance) => self.tree.descend(self.form, instance, site),
            None => all(),
        }
    }

    /// Evaluates queued units in rank order, queueing the readers of what changed.
    fn run(&mut self, queue: &mut BTreeSet<(usize, NodeIx)>, changes: &mut Changes) {
        while let Some((rank, n)) = queue.pop_first() {
            let unit = self.form.graph.units[rank].clone();
            let node = &self.tree.nodes[n];
            if !node.alive || node.field != unit.site {
                continue;
            }
            changes.evaluations += 1;
            match self.eval_unit(rank, n) {
                Outcome::Unchanged => {}
                Outcome::Changed => {
                    let location = self.location(n);
                    let signal = match unit.kind {
                        UnitKind::Relevant => {
                            changes.relevance.push(location);
                            Some(Signal::rel(unit.field))
                        }
                        UnitKind::Calculate => {
                            changes.values.push(location);
                            Some(Signal::val(unit.field))
                        }
                        UnitKind::ReadOnly => {
                            changes.read_only.push(location);
                            None
                        }
                        UnitKind::Choices => {
                            changes.choices.push(location);
                            None
                        }
                        UnitKind::Validate => {
                            changes.validity.push(location);
                            None
                        }
                        UnitKind::RepeatCount => None,
                    };
                    if let Some(signal) = signal {
                        self.enqueue_readers(signal, n, queue);
                    }
                }
                Outcome::Instances(added) => {
                    let mut location = self.location(n);
                    location.field = self.form.fields[unit.field].name.clone();
                    changes.repeats.push(location);
                    for instance in added {
                        self.enqueue_subtree(instance, queue);
                    }
                    self.enqueue_readers(Signal::count(unit.field), n, queue);
                }
            }
        }
    }

    /// Evaluates an expression for node `n`, recording an error against `(rank, n)`.
    fn eval(
        &mut self,
        rank: usize,
        n: NodeIx,
        column: &str,
        compiled: &Compiled,
        at: Option<letsema_expr::Node>,
    ) -> Option<Value> {
        let ctx = EvalContext {
            form: self.form,
            tree: self.tree,
            current: Some(n),
            env: self.env,
            rng: self.rng,
            raw: false,
        };
        let result = match at {
            None => evaluate(&compiled.expr, &ctx),
            Some(node) => evaluate_at(&compiled.expr, &ctx, node),
        };
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                let field = &self.form.fields[self.tree.nodes[n].field].name;
                self.errors
                    .entry((rank, n))
                    .or_insert_with(|| format!("the {column} of `{field}`: {e}"));
                None
            }
        }
    }

    fn eval_unit(&mut self, rank: usize, n: NodeIx) -> Outcome {
        let form = self.form;
        let unit = &form.graph.units[rank];
        let field = &form.fields[unit.field];
        if !self.errors.is_empty() {
            self.errors.remove(&(rank, n));
        }
        let changed = |c: bool| {
            if c {
                Outcome::Changed
            } else {
                Outcome::Unchanged
            }
        };
        match unit.kind {
            UnitKind::Relevant => {
                let parent = self.tree.nodes[n].parent;
                let mut relevant = self.tree.nodes[parent].relevant;
                if relevant && let Some(c) = &field.relevant {
                    // A relevance that cannot be evaluated shows the question rather than
                    // hiding it; the error is reported.
                    relevant = self
                        .eval(rank, n, "relevant", c, None)
                        .is_none_or(|v| v.to_boolean());
                }
                let node = &mut self.tree.nodes[n];
                let was = std::mem::replace(&mut node.relevant, relevant);
                changed(was != relevant)
            }
            UnitKind::Calculate => {
                let Some(c) = &field.calculation else {
                    return Outcome::Unchanged;
                };
                if std::mem::take(&mut self.tree.nodes[n].held) {
                    // Opened with a value, perhaps the person's own: kept until what the
                    // calculation reads changes.
                    return Outcome::Unchanged;
                }
                let value = self
                    .eval(rank, n, "calculation", c, None)
                    .map(stored)
                    .unwrap_or_default();
                let node = &mut self.tree.nodes[n];
                let was = std::mem::replace(&mut node.value, value);
                changed(was != node.value)
            }
            UnitKind::ReadOnly => {
                let Some(c) = &field.read_only else {
                    return Outcome::Unchanged;
                };
                let read_only = self
                    .eval(rank, n, "read_only", c, None)
                    .is_some_and(|v| v.to_boolean());
                let node = &mut self.tree.nodes[n];
                let was = std::mem::replace(&mut node.read_only, read_only);
                changed(was != read_only)
            }
            UnitKind::Choices => {
                let (Some(c), Some(list)) = (&field.choice_filter, field.list) else {
                    return Outcome::Unchanged;
                };
                let count = form
                    .form
                    .choice_lists
                    .get(list)
                    .map_or(0, |l| l.choices.len());
                let mut kept = Vec::new();
                for i in 0..count {
                    let at = letsema_expr::Node::new(choice_id(list, i), String::new());
                    if self
                        .eval(rank, n, "choice_filter", c, Some(at))
                        .is_some_and(|v| v.to_boolean())
                    {
                        kept.push(i as u32);
                    }
                }
                let node = &mut self.tree.nodes[n];
                let kept = Some(kept);
                let was = std::mem::replace(&mut node.choices, kept);
                changed(was != node.choices)
            }
            UnitKind::Validate => {
                let status = self.validate(rank, n, unit.field);
                let node = &mut self.tree.nodes[n];
                let was = std::mem::replace(&mut node.status, status);
                changed(was != node.status)
            }
            UnitKind::RepeatCount => self.repeat_count(rank, n, unit.field),
        }
    }

    fn validate(&mut self, rank: usize, n: NodeIx, f: FieldIx) -> Status {
        let field = &self.form.fields[f];
        let node = &self.tree.nodes[n];
        if !node.relevant {
            return Status::Ok;
        }
        if node.value.is_empty() {
            let required = field.required.as_ref().is_some_and(|c| {
                self.eval(rank, n, "required", c, None)
                    .is_some_and(|v| v.to_boolean())
            });
            return if required {
                Status::Missing
            } else {
                Status::Ok
            };
        }
        if field.calculation.is_none()
            && let Some(kind) = field.question_type()
        {
            if let Some(problem) = type_problem(kind, &node.value) {
                return Status::Invalid(Invalid::Type(problem));
            }
            let value = node.value.clone();
            if let Some(bad) = self.not_a_choice(rank, n, f, &value) {
                return Status::Invalid(Invalid::Choice(bad));
            }
        }
        if let Some(c) = &field.constraint {
            return match self.eval(rank, n, "constraint", c, None) {
                Some(v) if v.to_boolean() => Status::Ok,
                Some(_) => Status::Invalid(Invalid::Constraint),
                None => Status::Invalid(Invalid::Error(
                    self.errors.get(&(rank, n)).cloned().unwrap_or_default(),
                )),
            };
        }
        Status::Ok
    }

    /// The first value of a select's answer that is not one of its choices, or not one
    /// its `choice_filter` offers here (a South African region for a member in the UK).
    fn not_a_choice(&mut self, rank: usize, n: NodeIx, f: FieldIx, value: &str) -> Option<String> {
        let form = self.form;
        let field = &form.fields[f];
        let list_ix = field.list?;
        let list = form.form.choice_lists.get(list_ix)?;
        let or_other = matches!(
            field.question_type(),
            Some(
                QuestionType::SelectOne { or_other: true, .. }
                    | QuestionType::SelectMultiple { or_other: true, .. }
            )
        );
        let values: Vec<&str> = if field.is_multiple() {
            value.split_whitespace().collect()
        } else {
            vec![value.trim()]
        };
        for v in values {
            if or_other && v == "other" {
                continue;
            }
            let Some(i) = list.choices.iter().position(|c| c.value == v) else {
                return Some(v.to_owned());
            };
            if let Some(filter) = &field.choice_filter {
                let at = letsema_expr::Node::new(choice_id(list_ix, i), String::new());
                let offered = self
                    .eval(rank, n, "choice_filter", filter, Some(at))
                    .is_some_and(|v| v.to_boolean());
                if !offered {
                    return Some(v.to_owned());
                }
            }
        }
        None
    }

    fn repeat_count(&mut self, rank: usize, container: NodeIx, r: FieldIx) -> Outcome {
        let Some(c) = &self.form.fields[r].repeat_count else {
            return Outcome::Unchanged;
        };
        let n = self
            .eval(rank, container, "repeat_count", c, None)
            .map_or(0.0, |v| v.to_number());
        let want = if n.is_finite() && n > 0.0 {
            (n.floor() as usize).min(MAX_REPEAT_COUNT)
        } else {
            0
        };
        let have: Vec<NodeIx> = self.tree.children_of(container, r).to_vec();
        if want == have.len() {
            return Outcome::Unchanged;
        }
        if want < have.len() {
            for &instance in &have[want..] {
                self.tree.remove(instance);
            }
            self.tree.reindex();
            let tree = &*self.tree;
            self.errors.retain(|&(_, m), _| tree.nodes[m].alive);
            return Outcome::Instances(Vec::new());
        }
        let added = (have.len()..want)
            .map(|_| self.create_instance(container, r))
            .collect();
        Outcome::Instances(added)
    }
}

/// How a computed value is stored: its XPath string, except that NaN (an arithmetic on an
/// unanswered question) is stored as unanswered.
fn stored(value: Value) -> String {
    match value {
        Value::Number(n) if n.is_nan() => String::new(),
        other => other.to_xpath_string(),
    }
}

/// What is wrong with a value for a question of this type, if anything.
fn type_problem(kind: &QuestionType, value: &str) -> Option<String> {
    let v = value.trim();
    // A number the expressions read as one (XPath's: digits, one point, an optional minus):
    // `1e3` or `+5` would pass a looser check and then be NaN in every calculation.
    let number = || letsema_expr::parse_xpath_number(v).filter(|n| n.is_finite());
    match kind {
        QuestionType::Integer => (v.starts_with('+') || v.parse::<i64>().is_err())
            .then(|| "Enter a whole number.".to_owned()),
        QuestionType::Decimal => number().is_none().then(|| {
            "Enter a number such as 12.5 or -3, with digits and one point (no exponent such as \
             1e3, no plus sign)."
                .to_owned()
        }),
        QuestionType::Range(p) => {
            let (low, high) = if p.start <= p.end {
                (p.start, p.end)
            } else {
                (p.end, p.start)
            };
            match number() {
                Some(x) if (low..=high).contains(&x) => None,
                _ => Some(format!(
                    "Enter a number from {} to {}.",
                    letsema_expr::number_to_string(low),
                    letsema_expr::number_to_string(high)
                )),
            }
        }
        QuestionType::Date => parse_date(v)
            .is_none()
            .then(|| "Enter a date as YYYY-MM-DD.".to_owned()),
        QuestionType::DateTime => parse_date_time(v)
            .is_none()
            .then(|| "Enter a date and time such as 2024-05-01T09:30:00.000+02:00.".to_owned()),
        QuestionType::Time => (!is_time(v)).then(|| "Enter a time as HH:MM.".to_owned()),
        QuestionType::Geopoint => (!is_geopoint(v)).then(|| {
            "Enter a location as latitude and longitude, with optional altitude and accuracy."
                .to_owned()
        }),
        _ => None,
    }
}

/// `HH:MM`, optionally `:SS`, `.sss` and a `Z` or `±HH:MM` offset.
fn is_time(v: &str) -> bool {
    let (clock, _) = v
        .find(['Z', '+'])
        .or_else(|| v.get(1..).and_then(|s| s.find('-').map(|i| i + 1)))
        .map_or((v, ""), |i| v.split_at(i));
    let clock = clock.split('.').next().unwrap_or("");
    let parts: Vec<&str> = clock.split(':').collect();
    let bounded = |s: &str, max: u32| {
        s.len() == 2
            && s.chars().all(|c| c.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| n <= max)
    };
    match parts.as_slice() {
        [h, m] => bounded(h, 23) && bounded(m, 59),
        [h, m, s] => bounded(h, 23) && bounded(m, 59) && bounded(s, 60),
        _ => false,
    }
}

/// `latitude longitude [altitude [accuracy]]`.
fn is_geopoint(v: &str) -> bool {
    let numbers: Vec<f64> = v
        .split_whitespace()
        .map_while(|s| s.parse::<f64>().ok().filter(|n| n.is_finite()))
        .collect();
    let count = v.split_whitespace().count();
    numbers.len() == count
        && (2..=4).contains(&count)
        && (-90.0..=90.0).contains(&numbers[0])
        && (-180.0..=180.0).contains(&numbers[1])
}
