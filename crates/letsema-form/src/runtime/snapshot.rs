//! What a [`FormState`] says, as data: the [`Snapshot`] of the whole state, the issues that
//! stop a submission from being finalised, and the answers to submit.

use std::collections::BTreeMap;

use letsema_expr::{Context, evaluate};
use serde::{Deserialize, Serialize};

use super::answers::{Answer, Answers};
use super::compile::{FieldIx, FieldKind};
use super::state::{FormState, Location};
use super::tree::{Invalid, NodeIx, ROOT_NODE, Status};
use crate::model::Text;

/// The message shown for a missing answer when the form gives none.
pub const DEFAULT_REQUIRED_MESSAGE: &str = "This question needs an answer.";
/// The message shown for a failed constraint when the form gives none.
pub const DEFAULT_CONSTRAINT_MESSAGE: &str = "This answer is not valid.";

/// A question that stops the submission from being finalised, and what to tell the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    /// The question.
    #[serde(flatten)]
    pub location: Location,
    /// The message, in the chosen language, `${name}` references filled in.
    pub message: String,
}

/// A choice offered by a select.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceOption {
    /// The value stored when it is chosen.
    pub value: String,
    /// Its label in the chosen language.
    pub label: String,
}

/// An expression that could not be evaluated: a mistake in the form, not in the answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvaluationError {
    /// Where it was evaluated.
    #[serde(flatten)]
    pub location: Location,
    /// Which expression, and why it failed.
    pub message: String,
}

/// The whole state of a form being filled in, as serialisable data (what `letsema form
/// eval` prints). Locations are written as in [`Location`]'s `Display`: `name`, or
/// `name[0]` inside repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The form's id.
    pub form_id: String,
    /// The form's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub form_version: Option<String>,
    /// The language labels and messages are in (`None`: the form's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The submission's name, from the form's `instance_name`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<String>,
    /// The relevant questions, groups and repeat instances, in form order.
    pub relevant: Vec<String>,
    /// Relevant required questions without an answer.
    pub missing_required: Vec<Issue>,
    /// Relevant answers that fail their constraint, type or choice list.
    pub constraint_violations: Vec<Issue>,
    /// The values of relevant calculations.
    pub computed: BTreeMap<String, String>,
    /// The choices each relevant select offers, after its choice filter.
    pub choices: BTreeMap<String, Vec<ChoiceOption>>,
    /// The number of instances of each repeat.
    pub repeat_counts: BTreeMap<String, usize>,
    /// The relevant questions that are read-only (calculations aside).
    pub read_only: Vec<String>,
    /// Expressions that could not be evaluated.
    pub errors: Vec<EvaluationError>,
    /// Whether nothing required is missing and nothing is invalid.
    pub complete: bool,
}

impl FormState {
    /// The whole state as data.
    pub fn snapshot(&self) -> Snapshot {
        let form = &self.form;
        let mut relevant = Vec::new();
        let mut computed = BTreeMap::new();
        let mut choices = BTreeMap::new();
        let mut read_only = Vec::new();
        for n in self.nodes_in_order() {
            let node = &self.tree.nodes[n];
            if !node.relevant {
                continue;
            }
            let field = &form.fields[node.field];
            let at = self.location(n).to_string();
            if field.calculation.is_some() {
                computed.insert(at.clone(), node.value.clone());
            } else if node.read_only {
                read_only.push(at.clone());
            }
            if let Some(options) = self.node_choices(n) {
                choices.insert(at.clone(), options);
            }
            relevant.push(at);
        }
        let mut repeat_counts = BTreeMap::new();
        for (r, field) in form.fields.iter().enumerate() {
            if field.kind != FieldKind::Repeat {
                continue;
            }
            for &container in &self.tree.field_nodes[field.parent] {
                let location = Location {
                    field: field.name.clone(),
                    instance: self.tree.instance_path(form, container),
                };
                repeat_counts.insert(
                    location.to_string(),
                    self.tree.children_of(container, r).len(),
                );
            }
        }
        let errors = self
            .errors
            .iter()
            .filter(|((_, n), _)| self.tree.nodes[*n].alive)
            .map(|(&(_, n), message)| EvaluationError {
                location: self.location(n),
                message: message.clone(),
            })
            .collect();
        let missing_required = self.missing_required();
        let constraint_violations = self.constraint_violations();
        Snapshot {
            form_id: form.form.id.to_string(),
            form_version: form.form.version.clone(),
            language: self.env.language.clone(),
            instance_name: self.instance_name(),
            relevant,
            complete: missing_required.is_empty() && constraint_violations.is_empty(),
            missing_required,
            constraint_violations,
            computed,
            choices,
            repeat_counts,
            read_only,
            errors,
        }
    }

    /// The relevant required questions without an answer, in form order, with their
    /// `required_message` in the chosen language.
    pub fn missing_required(&self) -> Vec<Issue> {
        self.nodes_in_order()
            .filter(|&n| self.tree.nodes[n].status == Status::Missing)
            .map(|n| {
                let field = &self.form.fields[self.tree.nodes[n].field];
                Issue {
                    location: self.location(n),
                    message: self.message(n, &field.required_message, DEFAULT_REQUIRED_MESSAGE),
                }
            })
            .collect()
    }

    /// The relevant answers that fail their constraint (with its `constraint_message` in
    /// the chosen language), their type or their choice list, in form order.
    pub fn constraint_violations(&self) -> Vec<Issue> {
        self.nodes_in_order()
            .filter_map(|n| match &self.tree.nodes[n].status {
                Status::Invalid(why) => Some((n, why)),
                _ => None,
            })
            .map(|(n, why)| {
                let field = &self.form.fields[self.tree.nodes[n].field];
                let message = match why {
                    Invalid::Constraint => {
                        self.message(n, &field.constraint_message, DEFAULT_CONSTRAINT_MESSAGE)
                    }
                    Invalid::Type(message) => message.clone(),
                    Invalid::Choice(value) => {
                        format!("`{value}` is not one of the choices offered here: choose from the list.")
                    }
                    Invalid::Error(error) => format!(
                        "This answer cannot be checked because the form has a mistake: {error}"
                    ),
                };
                Issue {
                    location: self.location(n),
                    message,
                }
            })
            .collect()
    }

    /// Whether no relevant required question is missing and no answer is invalid.
    pub fn is_complete(&self) -> bool {
        self.tree
            .nodes
            .iter()
            .all(|node| !node.alive || node.status == Status::Ok)
    }

    /// Whether the submission can be finalised: the same as [`is_complete`](Self::is_complete).
    pub fn can_finalise(&self) -> bool {
        self.is_complete()
    }

    /// The choices a select offers at one instance, after its choice filter, labelled in
    /// the chosen language. `None` for a question without a choice list.
    ///
    /// # Errors
    ///
    /// An [`AnswerError`](super::AnswerError) when there is no such question or instance.
    pub fn choices(
        &self,
        field: &str,
        instance: &[usize],
    ) -> Result<Option<Vec<ChoiceOption>>, super::AnswerError> {
        Ok(self.node_choices(self.node(field, instance)?))
    }

    /// The answers to submit: relevant questions only (non-relevant answers are left out),
    /// calculations and metadata included, notes left out.
    pub fn submission_answers(&self) -> Answers {
        self.collect(ROOT_NODE, true)
    }

    /// Every answer given, relevant or not, without calculations: what to save while the
    /// form is being filled in, so that nothing entered is lost.
    /// [`FormState::new`] with these answers gives back the same state.
    pub fn answers(&self) -> Answers {
        self.collect(ROOT_NODE, false)
    }

    /// What the form computes, where it is: every calculation's value and every metadata
    /// question's (`start`, `today`, `deviceid`, …), relevant or not, in document order.
    /// ODK keeps these in the submission, so that exports and the server see what the phone
    /// saw, and `once()` keeps its first value when the answers are opened again: an app
    /// saves them with the answers ([`FormState::is_computed`] tells which a change touched).
    pub fn computed_values(&self) -> Vec<(Location, String)> {
        self.nodes_in_order()
            .filter(|&n| self.computes(self.tree.nodes[n].field))
            .map(|n| (self.location(n), self.tree.nodes[n].value.clone()))
            .collect()
    }

    /// Whether the form computes `field`'s value (a calculation or a metadata question)
    /// rather than a person answering it.
    pub fn is_computed(&self, field: &str) -> bool {
        self.form
            .field_ix(field)
            .is_some_and(|ix| self.computes(ix))
    }

    fn computes(&self, ix: FieldIx) -> bool {
        let field = &self.form.fields[ix];
        field.is_question()
            && !field.is_note()
            && (field.is_calculated()
                || field.metadata().is_some()
                || !field.triggered_by.is_empty())
    }

    /// The submission's name, from the form's `instance_name`.
    pub fn instance_name(&self) -> Option<String> {
        let compiled = self.form.instance_name.as_ref()?;
        evaluate(&compiled.expr, &self.context(None))
            .ok()
            .map(|v| v.to_xpath_string())
    }

    fn collect(&self, node: NodeIx, submission: bool) -> Answers {
        let mut out = Answers::new();
        self.collect_into(node, submission, &mut out);
        out
    }

    fn collect_into(&self, node: NodeIx, submission: bool, out: &mut Answers) {
        let children = &self.tree.nodes[node].children;
        let mut i = 0;
        while i < children.len() {
            let c = children[i];
            let child = &self.tree.nodes[c];
            let field = &self.form.fields[child.field];
            i += 1;
            if submission && !child.relevant && field.kind != FieldKind::Repeat {
                continue;
            }
            match &field.kind {
                FieldKind::Root => {}
                FieldKind::Group => self.collect_into(c, submission, out),
                FieldKind::Repeat => {
                    let mut instances = vec![c];
                    while let Some(&next) = children.get(i) {
                        if self.tree.nodes[next].field != child.field {
                            break;
                        }
                        instances.push(next);
                        i += 1;
                    }
                    let objects: Vec<Answers> = instances
                        .into_iter()
                        .filter(|&inst| !submission || self.tree.nodes[inst].relevant)
                        .map(|inst| self.collect(inst, submission))
                        .collect();
                    if !objects.is_empty() {
                        out.insert(field.name.clone(), Answer::Repeat(objects));
                    }
                }
                FieldKind::Question(_) => {
                    if field.is_note() || (!submission && field.calculation.is_some()) {
                        continue;
                    }
                    let answer = if field.is_multiple() {
                        Answer::Multiple(
                            child.value.split_whitespace().map(str::to_owned).collect(),
                        )
                    } else {
                        Answer::Value(child.value.clone())
                    };
                    out.insert(field.name.clone(), answer);
                }
            }
        }
    }

    /// The live nodes below the root, in document order.
    fn nodes_in_order(&self) -> impl Iterator<Item = NodeIx> + '_ {
        self.tree.subtree(ROOT_NODE).into_iter().skip(1)
    }

    pub(crate) fn location(&self, n: NodeIx) -> Location {
        Location {
            field: self.form.fields[self.tree.nodes[n].field].name.clone(),
            instance: self.tree.instance_path(&self.form, n),
        }
    }

    fn node_choices(&self, n: NodeIx) -> Option<Vec<ChoiceOption>> {
        let node = &self.tree.nodes[n];
        let field = &self.form.fields[node.field];
        let list = self.form.form.choice_lists.get(field.list?)?;
        let language = self.env.language.as_deref();
        let default = self.form.default_language();
        // A choice without a label (pyxform only warns about one) shows its value.
        let option = |c: &crate::model::Choice| ChoiceOption {
            value: c.value.to_string(),
            label: c
                .label
                .get(language, default)
                .filter(|label| !label.is_empty())
                .unwrap_or(c.value.as_str())
                .to_owned(),
        };
        let options: Vec<ChoiceOption> = match &node.choices {
            Some(kept) => kept
                .iter()
                .filter_map(|&i| list.choices.get(i as usize))
                .map(option)
                .collect(),
            None => list.choices.iter().map(option).collect(),
        };
        let Some(seed) = &field.randomize else {
            return Some(options);
        };
        // Shuffled as Collect shuffles them: by the seed the form gives, else by one of this
        // session's, so that the order holds while the form is open.
        let seed = match seed {
            Some(c) => evaluate(&c.expr, &self.context(Some(n)))
                .map(|v| letsema_expr::seed_of(&v))
                .unwrap_or_default(),
            None => (self.env.seed ^ (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)) as i64,
        };
        Some(letsema_expr::shuffle_seeded(options, seed))
    }

    /// A message in the chosen language, with `${name}` references replaced by the values
    /// they have for node `n`.
    fn message(&self, n: NodeIx, text: &Text, fallback: &str) -> String {
        let template = text
            .get(self.env.language.as_deref(), self.form.default_language())
            .unwrap_or(fallback);
        let ctx = self.context(Some(n));
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            match after.find('}') {
                Some(end) => {
                    let name = &after[..end];
                    match ctx.reference(name) {
                        Ok(nodes) => {
                            out.push_str(nodes.first().map_or("", |node| node.value.as_str()))
                        }
                        Err(_) => out.push_str(&rest[start..start + 3 + end]),
                    }
                    rest = &after[end + 1..];
                }
                None => {
                    out.push_str(&rest[start..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}
