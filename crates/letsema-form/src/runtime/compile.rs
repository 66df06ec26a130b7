//! Compiling a [`Form`]: every expression parsed once, every `${name}` resolved to a field,
//! fields laid out in a vector in form order, and the dependency graph built
//! ([`graph`](super::graph)).

use std::collections::HashMap;

use letsema_expr::{Expr, PathStart, StepTest, parse};

use crate::model::{Form, Item, Language, MetadataKind, QuestionType, Text};

use super::data::{FlatInstance, Lookups};
use super::graph::Graph;

/// The index of a field in [`CompiledForm`]'s field vector; 0 is the form's root.
pub(crate) type FieldIx = usize;

/// The root of the form (the `<data>` element).
pub(crate) const ROOT: FieldIx = 0;

/// A form made ready for evaluation: expressions parsed and checked, references resolved,
/// the dependency graph and the order of evaluation computed.
///
/// It is immutable and meant to be shared (in an `Arc`) by every
/// [`FormState`](super::FormState) of the form.
#[derive(Debug)]
pub struct CompiledForm {
    pub(crate) form: Form,
    pub(crate) fields: Vec<Field>,
    pub(crate) by_name: HashMap<String, FieldIx>,
    /// For each choice list of the form, in the same order: its column names.
    pub(crate) list_columns: Vec<Vec<String>>,
    pub(crate) instance_name: Option<Compiled>,
    pub(crate) graph: Graph,
    /// For each field, the fields whose `trigger` names it: set when a person changes it.
    pub(crate) triggers: Vec<Vec<FieldIx>>,
    /// The form's data instances, laid out for paths.
    pub(crate) data: Vec<FlatInstance>,
    /// The indexes of the keyed lookups its expressions make into secondary instances.
    pub(crate) lookups: Lookups,
}

/// A mistake in the form that stops it from being evaluated.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// Two fields have the same name.
    #[error(
        "two fields are called `{name}`: names must be unique in the whole form (rename one \
         of them)"
    )]
    DuplicateName {
        /// The name.
        name: String,
    },
    /// An expression does not parse.
    #[error("the {column} of `{field}` does not parse: {message}")]
    Parse {
        /// The field the expression belongs to (`settings` for `instance_name`).
        field: String,
        /// The column: `relevant`, `calculation`, ...
        column: String,
        /// What the parser says, with the position.
        message: String,
    },
    /// An expression refers to a name the form does not have.
    #[error(
        "the {column} of `{field}` refers to `${{{name}}}`, but the form has no field called \
         `{name}`: check the spelling"
    )]
    UnknownReference {
        /// The field the expression belongs to.
        field: String,
        /// The column.
        column: String,
        /// The unknown name.
        name: String,
    },
    /// A select names a choice list the form does not have.
    #[error("`{field}` draws its choices from `{list}`, but the choices sheet has no such list")]
    UnknownList {
        /// The select.
        field: String,
        /// The list.
        list: String,
    },
    /// `instance('id')` or `pulldata('id', …)` names no choice list and no attached file.
    #[error(
        "the {column} of `{field}` reads instance('{id}'), but the form has no choice list \
         and no attached file called `{id}`: add the list to the choices sheet, or attach the \
         file (`csv-external {id}` with {id}.csv, `xml-external {id}` with {id}.xml)"
    )]
    UnknownInstance {
        /// The field the expression belongs to.
        field: String,
        /// The column: `relevant`, `calculation`, ...
        column: String,
        /// The id.
        id: String,
    },
    /// Expressions depend on each other in a circle.
    #[error(
        "these fields depend on each other in a circle, so none can be computed first: {}; \
         break the circle by changing one of their expressions",
        fields.join(" → ")
    )]
    Cycle {
        /// The fields around the circle, each followed by one it depends on; the last
        /// depends on the first.
        fields: Vec<String>,
    },
}

/// What a field is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FieldKind {
    Root,
    Group,
    Repeat,
    Question(QuestionType),
}

/// A parsed expression with what the dependency graph needs to know about it.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub expr: Expr,
    /// The fields named by `${…}` references and by path steps.
    pub reads: Vec<FieldIx>,
    /// Whether the expression can read other repeat instances than the current one in a way
    /// references do not show: paths other than `.`, `indexed-repeat()`, references to
    /// groups or repeats. Such an expression is recomputed in every instance when anything
    /// it reads changes.
    pub global: bool,
    /// Whether a path step is `*`, which may read any field.
    pub reads_everything: bool,
}

/// A `default`: a literal value, or an expression evaluated when the field is created.
#[derive(Debug, Clone)]
pub(crate) enum DefaultValue {
    Literal(String),
    Expression(Compiled),
}

/// One question, group or repeat, or the root.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    pub kind: FieldKind,
    pub parent: FieldIx,
    pub children: Vec<FieldIx>,
    /// The repeats this field is inside, outermost first, itself included when it is one.
    pub repeats_incl: Vec<FieldIx>,
    /// The repeats strictly enclosing this field, outermost first.
    pub repeats_excl: Vec<FieldIx>,
    /// The fields from the root down to this one.
    pub chain: Vec<FieldIx>,
    /// The index of the question's choice list in the form.
    pub list: Option<usize>,
    pub label: Text,
    pub relevant: Option<Compiled>,
    pub required: Option<Compiled>,
    pub required_message: Text,
    pub constraint: Option<Compiled>,
    pub constraint_message: Text,
    pub calculation: Option<Compiled>,
    pub read_only: Option<Compiled>,
    pub choice_filter: Option<Compiled>,
    pub repeat_count: Option<Compiled>,
    pub default: Option<DefaultValue>,
    /// The fields a `trigger` names: when a person changes one, this field is set to its
    /// calculation ([`Field::on_trigger`], empty when none), once; it is not recomputed
    /// otherwise (ODK's `setvalue` on `xforms-value-changed`).
    pub triggered_by: Vec<FieldIx>,
    /// The calculation of a field with a `trigger`, run only when it fires.
    pub on_trigger: Option<Compiled>,
    /// A select whose `parameters` say `randomize=true`: its choices are shuffled, by the
    /// `seed` parameter (an expression) when it has one.
    pub randomize: Option<Option<Compiled>>,
}

impl Field {
    fn new(name: &str, kind: FieldKind, parent: FieldIx) -> Self {
        Field {
            name: name.to_owned(),
            kind,
            parent,
            children: Vec::new(),
            repeats_incl: Vec::new(),
            repeats_excl: Vec::new(),
            chain: Vec::new(),
            list: None,
            label: Text::default(),
            relevant: None,
            required: None,
            required_message: Text::default(),
            constraint: None,
            constraint_message: Text::default(),
            calculation: None,
            read_only: None,
            choice_filter: None,
            repeat_count: None,
            default: None,
            triggered_by: Vec::new(),
            on_trigger: None,
            randomize: None,
        }
    }

    /// The question type, for questions.
    pub fn question_type(&self) -> Option<&QuestionType> {
        match &self.kind {
            FieldKind::Question(t) => Some(t),
            _ => None,
        }
    }

    /// Whether the field holds a value (a question of any kind).
    pub fn is_question(&self) -> bool {
        matches!(self.kind, FieldKind::Question(_))
    }

    /// Whether the field is a container (root, group or repeat).
    pub fn is_container(&self) -> bool {
        !self.is_question()
    }

    /// Whether the form, not a person, gives the field its value: a calculation, or a
    /// `calculate` whose value a `trigger` sets.
    pub fn is_calculated(&self) -> bool {
        self.calculation.is_some()
            || matches!(self.kind, FieldKind::Question(QuestionType::Calculate))
    }

    /// Whether the field is a `calculate`: never answered by a person (other questions with
    /// a calculation may be overwritten until what the calculation reads changes).
    pub fn is_calculate_type(&self) -> bool {
        matches!(self.kind, FieldKind::Question(QuestionType::Calculate))
    }

    /// Whether the field is a note, which has no value.
    pub fn is_note(&self) -> bool {
        matches!(self.kind, FieldKind::Question(QuestionType::Note))
    }

    /// The metadata the device fills in, for metadata fields.
    pub fn metadata(&self) -> Option<MetadataKind> {
        match &self.kind {
            FieldKind::Question(QuestionType::Metadata(kind)) => Some(*kind),
            _ => None,
        }
    }

    /// Whether the value is a space-separated list (select_multiple, rank).
    pub fn is_multiple(&self) -> bool {
        matches!(
            self.kind,
            FieldKind::Question(QuestionType::SelectMultiple { .. } | QuestionType::Rank { .. })
        )
    }
}

impl CompiledForm {
    /// Compiles a form: parses every expression, resolves references, builds the
    /// dependency graph and the order of evaluation.
    ///
    /// # Errors
    ///
    /// Every [`CompileError`] found: expressions that do not parse, references to fields
    /// that do not exist, duplicate names, unknown choice lists, and circular dependencies
    /// (reported only when everything else is right).
    pub fn new(form: &Form) -> Result<Self, Vec<CompileError>> {
        let mut errors = Vec::new();
        let mut fields = vec![Field::new("data", FieldKind::Root, ROOT)];
        fields[ROOT].chain = vec![ROOT];
        lay_out(&form.items, ROOT, &mut fields);

        let mut by_name = HashMap::with_capacity(fields.len());
        for (ix, field) in fields.iter().enumerate().skip(1) {
            if by_name.insert(field.name.clone(), ix).is_some() {
                errors.push(CompileError::DuplicateName {
                    name: field.name.clone(),
                });
            }
        }

        let list_columns: Vec<Vec<String>> = form
            .choice_lists
            .iter()
            .map(|list| {
                let mut columns = vec!["name".to_owned(), "label".to_owned()];
                for choice in &list.choices {
                    for key in choice.properties.keys() {
                        if !columns.contains(key) {
                            columns.push(key.clone());
                        }
                    }
                }
                columns
            })
            .collect();

        let instance_ids = form
            .choice_lists
            .iter()
            .map(|l| l.name.as_str())
            .chain(form.instances.iter().map(|i| i.id.as_str()))
            .collect();
        let mut compiler = Compiler {
            by_name: &by_name,
            instance_ids,
            lookups: Vec::new(),
            fields_kinds: fields.iter().map(|f| f.is_container()).collect(),
            errors: &mut errors,
        };
        let mut ix = 1;
        compile_items(&form.items, &mut fields, &mut ix, &mut compiler, form);
        let instance_name = form
            .instance_name
            .as_ref()
            .and_then(|e| compiler.compile("settings", "instance_name", e.as_str(), false));

        let wanted_lookups = std::mem::take(&mut compiler.lookups);
        if !errors.is_empty() {
            return Err(errors);
        }
        let graph = Graph::build(&fields).map_err(|e| vec![e])?;
        let mut triggers = vec![Vec::new(); fields.len()];
        for (ix, field) in fields.iter().enumerate() {
            for &by in &field.triggered_by {
                if let Some(list) = triggers.get_mut(by)
                    && !list.contains(&ix)
                {
                    list.push(ix);
                }
            }
        }
        let data: Vec<FlatInstance> = form.instances.iter().map(FlatInstance::new).collect();
        let lookups = Lookups::build(form, &data, &wanted_lookups);
        Ok(CompiledForm {
            form: form.clone(),
            fields,
            by_name,
            list_columns,
            instance_name,
            graph,
            triggers,
            data,
            lookups,
        })
    }

    /// The form this was compiled from.
    pub fn form(&self) -> &Form {
        &self.form
    }

    /// The number of fields (questions, groups and repeats).
    pub fn field_count(&self) -> usize {
        self.fields.len() - 1
    }

    /// The number of computations the graph orders (relevance, calculations, counts,
    /// checks, choice filters, read-only), for diagnostics and benchmarks.
    pub fn computation_count(&self) -> usize {
        self.graph.units.len()
    }

    /// The names of the fields whose expressions read `name`, directly: what changes when
    /// `name` changes. Empty for an unknown name.
    pub fn dependents(&self, name: &str) -> Vec<&str> {
        let Some(&ix) = self.by_name.get(name) else {
            return Vec::new();
        };
        let mut out: Vec<&str> = Vec::new();
        for signal in super::graph::Signal::all_of(ix) {
            for &unit in self.graph.readers(signal) {
                let field = &self.fields[self.graph.units[unit].field].name;
                if field != name && !out.contains(&field.as_str()) {
                    out.push(field);
                }
            }
        }
        out
    }

    pub(crate) fn field_ix(&self, name: &str) -> Option<FieldIx> {
        self.by_name.get(name).copied()
    }

    pub(crate) fn default_language(&self) -> Option<&Language> {
        self.form.default_language.as_ref()
    }
}

/// Lays out the fields depth first, so that a field's index is larger than its parent's
/// and children of one node sorted by index are in form order.
fn lay_out(items: &[Item], parent: FieldIx, fields: &mut Vec<Field>) {
    for item in items {
        let kind = match item {
            Item::Question(q) => FieldKind::Question(q.kind.clone()),
            Item::Group(_) => FieldKind::Group,
            Item::Repeat(_) => FieldKind::Repeat,
        };
        let ix = fields.len();
        let mut field = Field::new(item.name().as_str(), kind, parent);
        field.repeats_excl = fields[parent].repeats_incl.clone();
        field.repeats_incl = field.repeats_excl.clone();
        if matches!(item, Item::Repeat(_)) {
            field.repeats_incl.push(ix);
        }
        field.chain = fields[parent].chain.clone();
        field.chain.push(ix);
        fields.push(field);
        fields[parent].children.push(ix);
        lay_out(item.children(), ix, fields);
    }
}

struct Compiler<'a> {
    by_name: &'a HashMap<String, FieldIx>,
    /// The ids `instance('…')` may name: choice lists and data instances.
    instance_ids: Vec<&'a str>,
    /// The keyed lookups into secondary instances the expressions make.
    lookups: Vec<letsema_expr::InstanceLookup>,
    fields_kinds: Vec<bool>,
    errors: &'a mut Vec<CompileError>,
}

impl Compiler<'_> {
    /// Parses and analyses one expression. Path steps of a choice filter name the choice's
    /// columns, not fields: `choice_filter` is true for those.
    fn compile(
        &mut self,
        field: &str,
        column: &str,
        source: &str,
        choice_filter: bool,
    ) -> Option<Compiled> {
        let expr = match parse(source) {
            Ok(expr) => expr,
            Err(e) => {
                self.errors.push(CompileError::Parse {
                    field: field.to_owned(),
                    column: column.to_owned(),
                    message: e.to_string(),
                });
                return None;
            }
        };
        for lookup in expr.instance_lookups() {
            if !self.lookups.contains(&lookup) {
                self.lookups.push(lookup);
            }
        }
        let mut reads = Vec::new();
        let mut global = false;
        let mut reads_everything = false;
        let mut ok = true;
        // Paths into secondary instances read data that never changes; the relative paths
        // in their predicates name the instance's columns, not fields.
        let mut in_instance: Vec<*const Expr> = Vec::new();
        expr.walk(&mut |e| {
            if let Expr::Path(p) = e
                && let PathStart::Expr(start) = &p.start
                && is_instance_call(start)
            {
                for predicate in p.steps.iter().flat_map(|s| &s.predicates) {
                    predicate.walk(&mut |inner| {
                        if let Expr::Path(q) = inner
                            && matches!(q.start, PathStart::Relative)
                        {
                            in_instance.push(inner as *const Expr);
                        }
                    });
                }
            }
            if let Expr::Call(c) = e
                && matches!(c.name.as_str(), "instance" | "pulldata")
                && let Some(Expr::Literal(id)) = c.args.first()
                && !self.instance_ids.contains(&id.as_str())
            {
                ok = false;
                self.errors.push(CompileError::UnknownInstance {
                    field: field.to_owned(),
                    column: column.to_owned(),
                    id: id.clone(),
                });
            }
        });
        expr.walk(&mut |e| match e {
            Expr::Ref(r) => match self.by_name.get(&r.name) {
                Some(&ix) => {
                    if self.fields_kinds.get(ix).copied().unwrap_or(false) {
                        global = true;
                    }
                    if !reads.contains(&ix) {
                        reads.push(ix);
                    }
                }
                None => {
                    ok = false;
                    self.errors.push(CompileError::UnknownReference {
                        field: field.to_owned(),
                        column: column.to_owned(),
                        name: r.name.clone(),
                    });
                }
            },
            Expr::Call(c) if c.name == "indexed-repeat" => global = true,
            Expr::Path(p)
                if matches!(&p.start, PathStart::Expr(start) if is_instance_call(start)) => {}
            Expr::Path(_) if in_instance.contains(&(e as *const Expr)) => {}
            Expr::Path(p) if !choice_filter => {
                let only_self = matches!(p.start, PathStart::Relative)
                    && p.steps
                        .iter()
                        .all(|s| s.test == StepTest::SelfNode && s.predicates.is_empty());
                if !only_self {
                    global = true;
                }
                for step in &p.steps {
                    match &step.test {
                        StepTest::Name(name) => {
                            if let Some(&ix) = self.by_name.get(name.as_str())
                                && !reads.contains(&ix)
                            {
                                reads.push(ix);
                            }
                        }
                        StepTest::AnyChild => reads_everything = true,
                        StepTest::SelfNode | StepTest::Parent => {}
                    }
                }
            }
            _ => {}
        });
        ok.then_some(Compiled {
            expr,
            reads,
            global,
            reads_everything,
        })
    }

    fn optional(
        &mut self,
        field: &str,
        column: &str,
        source: Option<&crate::model::Expression>,
    ) -> Option<Compiled> {
        source.and_then(|s| self.compile(field, column, s.as_str(), false))
    }
}

/// Whether `e` is `instance('…')`.
fn is_instance_call(e: &Expr) -> bool {
    matches!(e, Expr::Call(c) if c.name == "instance")
}

/// Whether a `default` is an expression rather than a literal value: ODK treats defaults
/// that refer to fields or call functions as expressions.
fn default_is_expression(source: &str) -> bool {
    source.contains("${") || source.contains('(')
}

fn compile_items(
    items: &[Item],
    fields: &mut [Field],
    ix: &mut usize,
    compiler: &mut Compiler<'_>,
    form: &Form,
) {
    for item in items {
        let me = *ix;
        *ix += 1;
        let name = item.name().as_str().to_owned();
        let Some(field) = fields.get_mut(me) else {
            return;
        };
        field.label = item.label().clone();
        field.relevant = compiler.optional(&name, "relevant", item.relevant());
        match item {
            Item::Question(q) => {
                field.required = compiler.optional(&name, "required", q.required.as_ref());
                field.required_message = q.required_message.clone();
                field.constraint = compiler.optional(&name, "constraint", q.constraint.as_ref());
                field.constraint_message = q.constraint_message.clone();
                field.calculation = compiler.optional(&name, "calculation", q.calculation.as_ref());
                if let Some(trigger) = compiler.optional(&name, "trigger", q.trigger.as_ref()) {
                    // Computed when a trigger fires, never from what the calculation reads.
                    field.triggered_by = trigger.reads;
                    field.on_trigger = field.calculation.take();
                }
                field.read_only = compiler.optional(&name, "read_only", q.read_only.as_ref());
                if q.kind.is_select()
                    && q.parameters
                        .get("randomize")
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
                {
                    field.randomize = Some(
                        q.parameters
                            .get("seed")
                            .and_then(|seed| compiler.compile(&name, "seed", seed, false)),
                    );
                }
                if q.kind.is_select() {
                    field.choice_filter = q
                        .choice_filter
                        .as_ref()
                        .and_then(|s| compiler.compile(&name, "choice_filter", s.as_str(), true));
                }
                field.default = q.default.as_ref().and_then(|d| {
                    if default_is_expression(d) {
                        compiler
                            .compile(&name, "default", d, false)
                            .map(DefaultValue::Expression)
                    } else {
                        Some(DefaultValue::Literal(d.clone()))
                    }
                });
                if let Some(list) = q.kind.list()
                    && q.kind.is_select()
                    && !matches!(q.kind, QuestionType::SelectOneExternal { .. })
                {
                    field.list = form.choice_lists.iter().position(|l| &l.name == list);
                    if field.list.is_none() {
                        compiler.errors.push(CompileError::UnknownList {
                            field: name.clone(),
                            list: list.to_string(),
                        });
                    }
                }
            }
            Item::Group(_) => {}
            Item::Repeat(r) => {
                field.repeat_count =
                    compiler.optional(&name, "repeat_count", r.repeat_count.as_ref());
            }
        }
        compile_items(item.children(), fields, ix, compiler, form);
    }
}
