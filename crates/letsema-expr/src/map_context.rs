//! [`MapContext`]: a small, complete [`Context`] built from names and values.

use std::cell::Cell;
use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use crate::context::Context;
use crate::error::EvalError;
use crate::value::{Node, NodeId};

/// A [`Context`] over a form instance built by hand: top-level questions and repeats of
/// questions, with a fixed clock, a seeded random generator and choice labels.
///
/// It is what tests and examples use, and a reference for the runtime's own
/// implementation: `${name}` inside a repeat instance means the same instance, from
/// outside it means every instance, and the instance is a real tree, so `.`, `..`,
/// `/data/q`, `position(..)` and `indexed-repeat()` all work.
///
/// The instance looks like this, with `data` as the root element:
///
/// ```text
/// <data>
///   <age>34</age>                 .with("age", "34")
///   <child>                       .with_repeat("child", [[("name", "Ann"), ("age", "3")],
///     <name>Ann</name><age>3</age>                        [("name", "Ben"), ("age", "5")]])
///   </child>
///   <child><name>Ben</name><age>5</age></child>
/// </data>
/// ```
///
/// ```
/// use letsema_expr::{MapContext, Value, evaluate, parse};
///
/// let ctx = MapContext::new()
///     .with("household", "Mokoena")
///     .with_repeat("member", [[("age", "34")], [("age", "7")]])
///     .at_in_repeat("member", 2, "age");
/// let adults = parse("count(/data/member[age >= 18])").expect("valid");
/// assert_eq!(evaluate(&adults, &ctx), Ok(Value::Number(1.0)));
/// // Inside the second instance, ${age} is that instance's age.
/// let minor = parse("${age} < 18 and position(..) = 2").expect("valid");
/// assert_eq!(evaluate(&minor, &ctx), Ok(Value::Boolean(true)));
/// ```
#[derive(Debug, Clone)]
pub struct MapContext {
    nodes: Vec<MapNode>,
    current: Option<usize>,
    now: DateTime<FixedOffset>,
    labels: BTreeMap<(String, String), String>,
    /// The document node of each secondary instance, by id.
    instances: BTreeMap<String, usize>,
    rng: Cell<u64>,
    /// The form's version, for `version()`.
    version: String,
}

#[derive(Debug, Clone)]
struct MapNode {
    name: String,
    value: String,
    parent: Option<usize>,
    children: Vec<usize>,
    /// Whether this node is an instance of a repeat.
    repeat: bool,
    /// Whether this node belongs to a secondary instance (`instance('id')`), which
    /// `${name}` never refers to.
    secondary: bool,
}

/// The document node.
const DOCUMENT: usize = 0;
/// The root element, `<data>`.
const ROOT: usize = 1;

impl Default for MapContext {
    fn default() -> Self {
        Self::new()
    }
}

impl MapContext {
    /// An empty instance `<data/>`, no current node, the clock at
    /// 1970-01-01T00:00:00+00:00, random seed 0, no choice labels.
    pub fn new() -> Self {
        let now = DateTime::UNIX_EPOCH.fixed_offset();
        MapContext {
            nodes: vec![
                MapNode {
                    name: String::new(),
                    value: String::new(),
                    parent: None,
                    children: vec![ROOT],
                    repeat: false,
                    secondary: false,
                },
                MapNode {
                    name: "data".to_owned(),
                    value: String::new(),
                    parent: Some(DOCUMENT),
                    children: Vec::new(),
                    repeat: false,
                    secondary: false,
                },
            ],
            current: None,
            now,
            labels: BTreeMap::new(),
            instances: BTreeMap::new(),
            rng: Cell::new(0),
            version: String::new(),
        }
    }

    fn push(&mut self, parent: usize, name: &str, value: &str, repeat: bool) -> usize {
        let id = self.nodes.len();
        let secondary = self.nodes[parent].secondary;
        self.nodes.push(MapNode {
            name: name.to_owned(),
            value: value.to_owned(),
            parent: Some(parent),
            children: Vec::new(),
            repeat,
            secondary,
        });
        self.nodes[parent].children.push(id);
        id
    }

    /// Sets the top-level question `name` to `value` (`''` for unanswered), adding it if
    /// it is new.
    pub fn with(mut self, name: &str, value: &str) -> Self {
        let existing = self.nodes[ROOT]
            .children
            .iter()
            .copied()
            .find(|&c| self.nodes[c].name == name && self.nodes[c].children.is_empty());
        match existing {
            Some(id) => self.nodes[id].value = value.to_owned(),
            None => {
                self.push(ROOT, name, value, false);
            }
        }
        self
    }

    /// Adds instances of the top-level repeat `name`, each a list of question names and
    /// values.
    pub fn with_repeat<I, Q, S, T>(mut self, name: &str, instances: I) -> Self
    where
        I: IntoIterator<Item = Q>,
        Q: IntoIterator<Item = (S, T)>,
        S: AsRef<str>,
        T: AsRef<str>,
    {
        for questions in instances {
            let instance = self.push(ROOT, name, "", true);
            for (q, v) in questions {
                self.push(instance, q.as_ref(), v.as_ref(), false);
            }
        }
        self
    }

    /// Adds the secondary instance `id`, laid out as ODK lays out a CSV file or a choice
    /// list: `<root><item><column>value</column>…</item>…</root>`, for
    /// `instance('id')/root/item[…]` and `pulldata('id', …)`.
    ///
    /// ```
    /// use letsema_expr::{MapContext, Value, evaluate, parse};
    ///
    /// let ctx = MapContext::new().with("fruit", "b").with_instance(
    ///     "fruits",
    ///     [[("name", "a"), ("price", "3")], [("name", "b"), ("price", "5")]],
    /// );
    /// let price = parse("instance('fruits')/root/item[name = ${fruit}]/price").expect("valid");
    /// assert_eq!(evaluate(&price, &ctx).map(|v| v.to_number()), Ok(5.0));
    /// ```
    pub fn with_instance<I, Q, S, T>(mut self, id: &str, items: I) -> Self
    where
        I: IntoIterator<Item = Q>,
        Q: IntoIterator<Item = (S, T)>,
        S: AsRef<str>,
        T: AsRef<str>,
    {
        let document = self.nodes.len();
        self.nodes.push(MapNode {
            name: String::new(),
            value: String::new(),
            parent: None,
            children: Vec::new(),
            repeat: false,
            secondary: true,
        });
        let root = self.push(document, "root", "", false);
        for columns in items {
            let item = self.push(root, "item", "", false);
            for (column, value) in columns {
                self.push(item, column.as_ref(), value.as_ref(), false);
            }
        }
        self.instances.insert(id.to_owned(), document);
        self
    }

    /// Makes the top-level question `name` the current node (`.`, `current()`, `once()`).
    /// Nothing changes if there is no such question.
    pub fn at(mut self, name: &str) -> Self {
        self.current = self.nodes[ROOT]
            .children
            .iter()
            .copied()
            .find(|&c| self.nodes[c].name == name);
        self
    }

    /// Makes the question `name` of instance `position` (1-based) of the repeat `repeat`
    /// the current node. Nothing changes if there is no such question.
    pub fn at_in_repeat(mut self, repeat: &str, position: usize, name: &str) -> Self {
        let instance = self.nodes[ROOT]
            .children
            .iter()
            .copied()
            .filter(|&c| self.nodes[c].name == repeat && self.nodes[c].repeat)
            .nth(position.wrapping_sub(1));
        if let Some(i) = instance {
            self.current = self.nodes[i]
                .children
                .iter()
                .copied()
                .find(|&c| self.nodes[c].name == name);
        }
        self
    }

    /// Sets the clock for `now()` and `today()`.
    pub fn with_now(mut self, now: DateTime<FixedOffset>) -> Self {
        self.now = now;
        self
    }

    /// Gives the choice `value` of the select question `question` a label, for
    /// `jr:choice-name()`.
    pub fn with_choice_label(mut self, question: &str, value: &str, label: &str) -> Self {
        self.labels
            .insert((question.to_owned(), value.to_owned()), label.to_owned());
        self
    }

    /// Sets the form's version, for `version()`.
    pub fn with_version(mut self, version: &str) -> Self {
        self.version = version.to_owned();
        self
    }

    /// Seeds the random generator behind `random()`, `uuid()` and `uuid(n)`.
    pub fn with_seed(self, seed: u64) -> Self {
        self.rng.set(seed);
        self
    }

    /// The next 64 random bits (SplitMix64).
    fn next_u64(&self) -> u64 {
        let s = self.rng.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
        self.rng.set(s);
        let mut z = s;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn node(&self, i: usize) -> Node {
        Node::new(NodeId(i as u64), self.string_value(i))
    }

    /// The XPath string-value: a question's value, or the concatenated values of a
    /// container's descendants.
    fn string_value(&self, i: usize) -> String {
        let n = &self.nodes[i];
        if n.children.is_empty() {
            return n.value.clone();
        }
        n.children.iter().map(|&c| self.string_value(c)).collect()
    }

    fn index(&self, id: NodeId) -> Result<usize, EvalError> {
        usize::try_from(id.0)
            .ok()
            .filter(|&i| i < self.nodes.len())
            .ok_or_else(|| EvalError::Context(format!("no node has the id {}", id.0)))
    }

    fn ancestors(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        std::iter::successors(self.nodes[i].parent, |&p| self.nodes[p].parent)
    }

    fn sibling_position(&self, i: usize) -> usize {
        let n = &self.nodes[i];
        n.parent.map_or(1, |p| {
            self.nodes[p]
                .children
                .iter()
                .filter(|&&c| self.nodes[c].name == n.name)
                .position(|&c| c == i)
                .map_or(1, |k| k + 1)
        })
    }

    /// Whether `candidate` lies in another instance of a repeat the current node is in.
    fn in_other_instance(&self, candidate: usize) -> bool {
        let Some(current) = self.current else {
            return false;
        };
        let mine: Vec<usize> = std::iter::once(current)
            .chain(self.ancestors(current))
            .filter(|&a| self.nodes[a].repeat)
            .collect();
        self.ancestors(candidate)
            .filter(|&a| self.nodes[a].repeat)
            .any(|a| {
                mine.iter()
                    .any(|&m| m != a && self.nodes[m].name == self.nodes[a].name)
            })
    }

    fn named(&self, name: &str) -> Vec<usize> {
        (ROOT..self.nodes.len())
            .filter(|&i| self.nodes[i].name == name && !self.nodes[i].secondary)
            .collect()
    }
}

impl Context for MapContext {
    fn reference(&self, name: &str) -> Result<Vec<Node>, EvalError> {
        let all = self.named(name);
        if all.is_empty() {
            return Err(EvalError::UnknownReference {
                name: name.to_owned(),
            });
        }
        Ok(all
            .into_iter()
            .filter(|&i| !self.in_other_instance(i))
            .map(|i| self.node(i))
            .collect())
    }

    fn current(&self) -> Option<Node> {
        self.current.map(|i| self.node(i))
    }

    fn now(&self) -> DateTime<FixedOffset> {
        self.now
    }

    fn random(&self) -> f64 {
        // 53 random bits make every double in [0, 1) with that spacing equally likely.
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn form_version(&self) -> String {
        self.version.clone()
    }

    fn uuid(&self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_be_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_be_bytes());
        crate::context::uuid_v4(bytes)
    }

    fn choice_label(&self, question: &str, value: &str) -> Result<Option<String>, EvalError> {
        Ok(self
            .labels
            .get(&(question.to_owned(), value.to_owned()))
            .cloned())
    }

    fn indexed_repeat(
        &self,
        question: &str,
        repeats: &[(&str, usize)],
    ) -> Result<Vec<Node>, EvalError> {
        for name in std::iter::once(question).chain(repeats.iter().map(|(r, _)| *r)) {
            if self.named(name).is_empty() {
                return Err(EvalError::UnknownReference {
                    name: name.to_owned(),
                });
            }
        }
        Ok(self
            .named(question)
            .into_iter()
            .filter(|&q| {
                repeats.iter().all(|&(repeat, n)| {
                    self.ancestors(q)
                        .any(|a| self.nodes[a].name == repeat && self.sibling_position(a) == n)
                })
            })
            .map(|i| self.node(i))
            .collect())
    }

    fn root(&self) -> Result<Node, EvalError> {
        Ok(self.node(DOCUMENT))
    }

    fn instance(&self, id: &str) -> Result<Node, EvalError> {
        self.instances
            .get(id)
            .map(|&document| self.node(document))
            .ok_or_else(|| EvalError::UnknownInstance { id: id.to_owned() })
    }

    fn parent(&self, node: NodeId) -> Result<Option<Node>, EvalError> {
        let i = self.index(node)?;
        Ok(self.nodes[i].parent.map(|p| self.node(p)))
    }

    fn children(&self, node: NodeId, name: Option<&str>) -> Result<Vec<Node>, EvalError> {
        let i = self.index(node)?;
        Ok(self.nodes[i]
            .children
            .iter()
            .copied()
            .filter(|&c| name.is_none_or(|n| self.nodes[c].name == n))
            .map(|c| self.node(c))
            .collect())
    }

    fn position(&self, node: NodeId) -> Result<usize, EvalError> {
        let i = self.index(node)?;
        Ok(self.sibling_position(i))
    }
}
