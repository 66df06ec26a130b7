//! The instance tree: one node per question, group and repeat instance, in vectors indexed
//! by number. Removed nodes stay in the vector, marked dead, so that node numbers are never
//! reused while expressions may still hold them.

use std::collections::HashMap;

use super::answers::{Answer, AnswerError, Answers};
use super::compile::{CompiledForm, FieldIx, FieldKind, ROOT};

/// The index of a node in [`Tree::nodes`].
pub(crate) type NodeIx = usize;

/// The document node, parent of the root element.
pub(crate) const DOCUMENT: NodeIx = 0;
/// The root element, `<data>`.
pub(crate) const ROOT_NODE: NodeIx = 1;

/// Why an answer is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// The constraint is false.
    Constraint,
    /// The value is not of the question's type; the message says what is expected.
    Type(String),
    /// A value is not a choice of the question's list.
    Choice(String),
    /// The constraint could not be evaluated.
    Error(String),
}

/// The outcome of a question's checks.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) enum Status {
    #[default]
    Ok,
    Missing,
    Invalid(Invalid),
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub field: FieldIx,
    pub parent: NodeIx,
    /// Sorted by field, which is form order; instances of one repeat in order.
    pub children: Vec<NodeIx>,
    pub alive: bool,
    /// The answer, or the calculated value; `''` when there is none. Kept when the node is
    /// not relevant, so that nothing entered is lost, but read as `''` by expressions.
    pub value: String,
    pub relevant: bool,
    pub read_only: bool,
    pub status: Status,
    /// The choices a choice filter keeps (indexes into the list), `None` without a filter.
    pub choices: Option<Vec<u32>>,
    /// A question (not a `calculate`) with a calculation, opened with a value: the value
    /// is kept, not computed again, until something its calculation reads changes (the
    /// person may have overwritten what was computed).
    pub held: bool,
}

impl Node {
    fn new(field: FieldIx, parent: NodeIx, value: String) -> Self {
        Node {
            field,
            parent,
            children: Vec::new(),
            alive: true,
            value,
            relevant: false,
            read_only: false,
            status: Status::Ok,
            choices: None,
            held: false,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    /// For each field, its live nodes in document order.
    pub field_nodes: Vec<Vec<NodeIx>>,
}

impl Tree {
    /// A tree with only the document node and the root element.
    pub fn new(field_count: usize) -> Self {
        let mut document = Node::new(ROOT, usize::MAX, String::new());
        document.children.push(ROOT_NODE);
        document.relevant = true;
        let mut root = Node::new(ROOT, DOCUMENT, String::new());
        root.relevant = true;
        let mut field_nodes = vec![Vec::new(); field_count];
        field_nodes[ROOT] = vec![ROOT_NODE];
        Tree {
            nodes: vec![document, root],
            field_nodes,
        }
    }

    /// Adds a node as the last child of `parent` with this field.
    pub fn add_child(&mut self, parent: NodeIx, field: FieldIx, value: String) -> NodeIx {
        let ix = self.nodes.len();
        self.nodes.push(Node::new(field, parent, value));
        let nodes = &self.nodes;
        let at = self.nodes[parent]
            .children
            .partition_point(|&c| nodes[c].field <= field);
        self.nodes[parent].children.insert(at, ix);
        ix
    }

    /// The children of `node` of one field (the instances, for a repeat).
    pub fn children_of(&self, node: NodeIx, field: FieldIx) -> &[NodeIx] {
        let children = &self.nodes[node].children;
        let start = children.partition_point(|&c| self.nodes[c].field < field);
        let end = children.partition_point(|&c| self.nodes[c].field <= field);
        &children[start..end]
    }

    /// The nodes of `target` at or below `from`, in document order.
    pub fn descend(&self, form: &CompiledForm, from: NodeIx, target: FieldIx) -> Vec<NodeIx> {
        let from_field = self.nodes[from].field;
        let chain = &form.fields[target].chain;
        let Some(start) = chain.iter().position(|&f| f == from_field) else {
            return Vec::new();
        };
        let mut current = vec![from];
        for &field in &chain[start + 1..] {
            let mut next = Vec::new();
            for &n in &current {
                next.extend_from_slice(self.children_of(n, field));
            }
            current = next;
        }
        current
    }

    /// The nearest ancestor of `node`, or `node` itself, that is a node of `field`.
    pub fn ancestor_of_field(&self, mut node: NodeIx, field: FieldIx) -> Option<NodeIx> {
        loop {
            let n = self.nodes.get(node)?;
            if n.field == field && node != DOCUMENT {
                return Some(node);
            }
            if node == DOCUMENT || node == ROOT_NODE {
                return None;
            }
            node = n.parent;
        }
    }

    /// The 0-based position of a node among its parent's children of the same field.
    pub fn position(&self, node: NodeIx) -> usize {
        let n = &self.nodes[node];
        if node <= ROOT_NODE {
            return 0;
        }
        self.children_of(n.parent, n.field)
            .iter()
            .position(|&c| c == node)
            .unwrap_or(0)
    }

    /// The positions of the repeat instances around `node` (itself included when it is
    /// one), outermost first.
    pub fn instance_path(&self, form: &CompiledForm, node: NodeIx) -> Vec<usize> {
        let mut path = Vec::new();
        let mut n = node;
        while n > ROOT_NODE {
            if form.fields[self.nodes[n].field].kind == FieldKind::Repeat {
                path.push(self.position(n));
            }
            n = self.nodes[n].parent;
        }
        path.reverse();
        path
    }

    /// The node of `field` in the instances `path` (one index per repeat the field is in,
    /// itself included when it is a repeat).
    pub fn locate(
        &self,
        form: &CompiledForm,
        field: FieldIx,
        path: &[usize],
    ) -> Result<NodeIx, AnswerError> {
        let repeats = &form.fields[field].repeats_incl;
        if repeats.len() != path.len() {
            return Err(AnswerError::InstancePath {
                name: form.fields[field].name.clone(),
                expected: repeats.len(),
                given: path.len(),
            });
        }
        let mut node = ROOT_NODE;
        for (&repeat, &index) in repeats.iter().zip(path) {
            let containers = self.descend(form, node, form.fields[repeat].parent);
            let instances: &[NodeIx] = match containers.first() {
                Some(&c) => self.children_of(c, repeat),
                None => &[],
            };
            node = *instances
                .get(index)
                .ok_or_else(|| AnswerError::NoSuchInstance {
                    repeat: form.fields[repeat].name.clone(),
                    index,
                    count: instances.len(),
                })?;
        }
        self.descend(form, node, field)
            .first()
            .copied()
            .ok_or_else(|| AnswerError::UnknownField {
                name: form.fields[field].name.clone(),
            })
    }

    /// Marks a node and everything below it dead and detaches it from its parent.
    pub fn remove(&mut self, node: NodeIx) {
        let parent = self.nodes[node].parent;
        self.nodes[parent].children.retain(|&c| c != node);
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            self.nodes[n].alive = false;
            stack.extend(self.nodes[n].children.iter().copied());
        }
    }

    /// Rebuilds [`Tree::field_nodes`] after instances were added or removed.
    pub fn reindex(&mut self) {
        for list in &mut self.field_nodes {
            list.clear();
        }
        let mut stack = vec![ROOT_NODE];
        while let Some(n) = stack.pop() {
            let node = &self.nodes[n];
            if let Some(list) = self.field_nodes.get_mut(node.field) {
                list.push(n);
            }
            stack.extend(node.children.iter().rev().copied());
        }
    }

    /// All live nodes below `node`, itself included, in document order.
    pub fn subtree(&self, node: NodeIx) -> Vec<NodeIx> {
        let mut out = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            out.push(n);
            stack.extend(self.nodes[n].children.iter().rev().copied());
        }
        out
    }
}

/// Builds the nodes of `field`'s children below `node`, taking values from `answers` (the
/// answers at the level of `scope`: the root or a repeat instance). Questions without an
/// answer are pushed to `unanswered`, for defaults.
pub(crate) fn build_children(
    tree: &mut Tree,
    form: &CompiledForm,
    node: NodeIx,
    answers: &HashMap<&str, &Answer>,
    unanswered: &mut Vec<NodeIx>,
) {
    let field = tree.nodes[node].field;
    for &child in &form.fields[field].children {
        let def = &form.fields[child];
        match &def.kind {
            FieldKind::Root => {}
            FieldKind::Group => {
                let group = tree.add_child(node, child, String::new());
                build_children(tree, form, group, answers, unanswered);
            }
            FieldKind::Repeat => {
                if let Some(Answer::Repeat(instances)) = answers.get(def.name.as_str()) {
                    for instance_answers in instances {
                        let instance = tree.add_child(node, child, String::new());
                        let map = index(instance_answers);
                        build_children(tree, form, instance, &map, unanswered);
                    }
                }
            }
            FieldKind::Question(_) => {
                let value = answers
                    .get(def.name.as_str())
                    .and_then(|a| a.to_xpath_value());
                let answered = value.is_some();
                let q = tree.add_child(node, child, value.unwrap_or_default());
                if !answered {
                    unanswered.push(q);
                } else if def.calculation.is_some() && !def.is_calculate_type() {
                    tree.nodes[q].held = true;
                }
            }
        }
    }
}

/// The answers of one level by name.
pub(crate) fn index(answers: &Answers) -> HashMap<&str, &Answer> {
    answers.iter().collect()
}

/// Checks that answers fit the form: every name known, at the right level, of the right
/// shape. `scope` is the root or the repeat whose instance `answers` describes.
pub(crate) fn check_answers(
    form: &CompiledForm,
    scope: FieldIx,
    answers: &Answers,
    errors: &mut Vec<AnswerError>,
) {
    let level = |repeat: FieldIx| {
        if repeat == ROOT {
            "the top level".to_owned()
        } else {
            format!("the objects of the repeat `{}`", form.fields[repeat].name)
        }
    };
    for (name, answer) in answers.iter() {
        let Some(ix) = form.field_ix(name) else {
            errors.push(AnswerError::UnknownField {
                name: name.to_owned(),
            });
            continue;
        };
        let field = &form.fields[ix];
        let home = field.repeats_excl.last().copied().unwrap_or(ROOT);
        if home != scope {
            errors.push(AnswerError::WrongPlace {
                name: name.to_owned(),
                belongs_to: level(home),
                given_in: level(scope),
            });
            continue;
        }
        if let Err(e) = check_shape(form, ix, answer) {
            errors.push(e);
            continue;
        }
        if let Answer::Repeat(instances) = answer {
            for instance in instances {
                check_answers(form, ix, instance, errors);
            }
        }
    }
}

/// Checks that an answer has the shape its field takes.
pub(crate) fn check_shape(
    form: &CompiledForm,
    ix: FieldIx,
    answer: &Answer,
) -> Result<(), AnswerError> {
    let field = &form.fields[ix];
    let name = || field.name.clone();
    match (&field.kind, answer) {
        (FieldKind::Root | FieldKind::Group, _) => Err(AnswerError::Group { name: name() }),
        (FieldKind::Repeat, Answer::Repeat(_)) => Ok(()),
        // `[]` is an empty repeat as well as an empty select_multiple, whichever variant
        // holds it (JSON reads it as the second, the submission document may give the
        // first): no instances, or no choices (`Answer::to_xpath_value` gives `""`).
        (FieldKind::Repeat, Answer::Multiple(values)) if values.is_empty() => Ok(()),
        (FieldKind::Repeat, _) => Err(AnswerError::ExpectedInstances { name: name() }),
        (FieldKind::Question(_), Answer::Repeat(instances))
            if instances.is_empty() && field.is_multiple() =>
        {
            Ok(())
        }
        (FieldKind::Question(_), Answer::Repeat(_)) => {
            Err(AnswerError::ExpectedOneValue { name: name() })
        }
        (FieldKind::Question(_), Answer::Multiple(values)) => {
            if !field.is_multiple() {
                return Err(AnswerError::ExpectedOneValue { name: name() });
            }
            match values
                .iter()
                .find(|v| v.is_empty() || v.chars().any(char::is_whitespace))
            {
                Some(bad) => Err(AnswerError::InvalidMultipleValue {
                    name: name(),
                    value: bad.clone(),
                }),
                None => Ok(()),
            }
        }
        (FieldKind::Question(_), Answer::Value(_)) => Ok(()),
    }
}
