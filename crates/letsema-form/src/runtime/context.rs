//! The runtime's [`Context`]: expressions read the instance tree through it, and the clock,
//! randomness and language come from the [`Environment`] the caller passed in.

use std::cell::Cell;

use chrono::{DateTime, FixedOffset};
use letsema_expr::{Context, EvalError, Node, NodeId};
use serde::{Deserialize, Serialize};

use super::compile::{CompiledForm, FieldKind, ROOT};
use super::data::Source;
use super::tree::{DOCUMENT, NodeIx, ROOT_NODE, Tree};

/// What the world tells the runtime: the time, the language, who and where. The runtime
/// reads no clock and no random source; it uses these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// "Now", with the device's UTC offset: `now()`, `today()`, and the `start`, `end`
    /// and `today` metadata.
    pub now: DateTime<FixedOffset>,
    /// The language to show labels and messages in, as the form names it or by its code
    /// (`Sesotho`, `st`); the form's default language when `None`.
    #[serde(default)]
    pub language: Option<String>,
    /// The `deviceid` metadata.
    #[serde(default)]
    pub device_id: Option<String>,
    /// The `username` metadata.
    #[serde(default)]
    pub username: Option<String>,
    /// The `email` metadata.
    #[serde(default)]
    pub email: Option<String>,
    /// The `phonenumber` metadata.
    #[serde(default)]
    pub phone_number: Option<String>,
    /// The seed of the generator behind `random()` and `uuid()`: give a random one for
    /// unique ids, a fixed one to reproduce a run.
    #[serde(default)]
    pub seed: u64,
}

impl Environment {
    /// An environment at `now`, in the form's default language, with no device or user
    /// and seed 0.
    pub fn new(now: DateTime<FixedOffset>) -> Self {
        Environment {
            now,
            language: None,
            device_id: None,
            username: None,
            email: None,
            phone_number: None,
            seed: 0,
        }
    }

    /// This environment in another language.
    pub fn with_language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }

    /// This environment with a device id.
    pub fn with_device_id(mut self, device_id: impl Into<String>) -> Self {
        self.device_id = Some(device_id.into());
        self
    }

    /// This environment with a user name.
    pub fn with_username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    /// This environment with another random seed.
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

/// Node ids of choices and their columns, which choice filters walk into, are tagged so
/// that they never collide with instance nodes.
const CHOICE_TAG: u64 = 1 << 62;
const COLUMN_TAG: u64 = 1 << 61;
/// The document node of a choice list read as a secondary instance (`instance('list')`).
const LIST_DOCUMENT_TAG: u64 = 1 << 60;
/// Its `root` element, whose `item` children are the choices.
const LIST_ROOT_TAG: u64 = 1 << 59;
/// A node of a data instance (an attached file, an XForm's inline instance).
const DATA_TAG: u64 = 1 << 58;
const LOW16: u64 = 0xffff;
const LOW28: u64 = (1 << 28) - 1;

/// The id of a choice of a list, for [`letsema_expr::evaluate_at`].
pub(crate) fn choice_id(list: usize, choice: usize) -> NodeId {
    NodeId(CHOICE_TAG | ((list as u64 & LOW28) << 32) | (choice as u64 & 0xffff_ffff))
}

fn column_id(list: u64, choice: u64, column: usize) -> NodeId {
    NodeId(COLUMN_TAG | ((list & LOW16) << 44) | ((choice & LOW28) << 16) | (column as u64 & LOW16))
}

enum Decoded {
    Instance(NodeIx),
    Choice { list: u64, choice: u64 },
    Column { list: u64, choice: u64 },
    ListDocument { list: u64 },
    ListRoot { list: u64 },
    Data { instance: usize, node: usize },
}

fn list_document_id(list: usize) -> NodeId {
    NodeId(LIST_DOCUMENT_TAG | (list as u64 & LOW28))
}

fn list_root_id(list: u64) -> NodeId {
    NodeId(LIST_ROOT_TAG | (list & LOW28))
}

fn data_id(instance: usize, node: usize) -> NodeId {
    NodeId(DATA_TAG | ((instance as u64 & LOW16) << 32) | (node as u64 & 0xffff_ffff))
}

fn decode(id: NodeId) -> Decoded {
    let v = id.0;
    if v & CHOICE_TAG != 0 {
        Decoded::Choice {
            list: (v >> 32) & LOW28,
            choice: v & 0xffff_ffff,
        }
    } else if v & COLUMN_TAG != 0 {
        Decoded::Column {
            list: (v >> 44) & LOW16,
            choice: (v >> 16) & LOW28,
        }
    } else if v & LIST_DOCUMENT_TAG != 0 {
        Decoded::ListDocument { list: v & LOW28 }
    } else if v & LIST_ROOT_TAG != 0 {
        Decoded::ListRoot { list: v & LOW28 }
    } else if v & DATA_TAG != 0 {
        Decoded::Data {
            instance: ((v >> 32) & LOW16) as usize,
            node: (v & 0xffff_ffff) as usize,
        }
    } else {
        Decoded::Instance(v as usize)
    }
}

/// The next 64 random bits of a SplitMix64 generator.
pub(crate) fn next_random(state: &Cell<u64>) -> u64 {
    let s = state.get().wrapping_add(0x9E37_79B9_7F4A_7C15);
    state.set(s);
    let mut z = s;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A [`Context`] over the runtime's tree, with one current node.
pub(crate) struct EvalContext<'a> {
    pub form: &'a CompiledForm,
    pub tree: &'a Tree,
    pub current: Option<NodeIx>,
    pub env: &'a Environment,
    pub rng: &'a Cell<u64>,
    /// Read values even of non-relevant nodes (for defaults, evaluated before relevance).
    pub raw: bool,
}

impl EvalContext<'_> {
    /// The value expressions see: `''` for a non-relevant question, the concatenated values
    /// of the descendants for a group or repeat instance.
    fn string_value(&self, n: NodeIx) -> String {
        let node = &self.tree.nodes[n];
        if self.form.fields[node.field].is_question() {
            if self.raw || node.relevant {
                node.value.clone()
            } else {
                String::new()
            }
        } else {
            node.children
                .iter()
                .map(|&c| self.string_value(c))
                .collect()
        }
    }

    fn node(&self, n: NodeIx) -> Node {
        Node::new(NodeId(n as u64), self.string_value(n))
    }

    fn instance(&self, id: NodeId) -> Result<NodeIx, EvalError> {
        match decode(id) {
            Decoded::Instance(n) if n < self.tree.nodes.len() => Ok(n),
            _ => Err(EvalError::Context(format!("no node has the id {}", id.0))),
        }
    }

    /// The nodes `${field}` means from the current node: inside an instance of a repeat
    /// the field is in, only that instance's; otherwise all of them.
    pub fn resolve(&self, field: usize) -> Vec<NodeIx> {
        let all = || self.tree.field_nodes[field].clone();
        let Some(current) = self.current else {
            return all();
        };
        let target = &self.form.fields[field].repeats_excl;
        let mine = &self.form.fields[self.tree.nodes[current].field].repeats_incl;
        let common = target.iter().zip(mine).take_while(|(a, b)| a == b).count();
        if common == 0 {
            return all();
        }
        let repeat = target[common - 1];
        match self.tree.ancestor_of_field(current, repeat) {
            Some(instance) => self.tree.descend(self.form, instance, field),
            None => all(),
        }
    }

    /// A choice as an `item` of its list's instance: its string value is its columns'
    /// values run together (XPath 1.0 §5.2).
    fn choice_item(&self, list: u64, choice: u64) -> Node {
        let columns = self
            .form
            .list_columns
            .get(list as usize)
            .map_or(0, Vec::len);
        let value: String = (0..columns)
            .filter_map(|c| self.choice_column(list, choice, c))
            .collect();
        Node::new(choice_id(list as usize, choice as usize), value)
    }

    fn data_node(&self, instance: usize, node: usize) -> Result<Node, EvalError> {
        let data = self
            .form
            .data
            .get(instance)
            .filter(|d| node < d.nodes.len())
            .ok_or_else(|| EvalError::Context(format!("no data node {instance}/{node}")))?;
        Ok(Node::new(data_id(instance, node), data.string_value(node)))
    }

    fn choice_column(&self, list: u64, choice: u64, column: usize) -> Option<String> {
        let l = self.form.form.choice_lists.get(list as usize)?;
        let c = l.choices.get(choice as usize)?;
        let name = self.form.list_columns.get(list as usize)?.get(column)?;
        Some(match column {
            0 => c.value.to_string(),
            1 => c
                .label
                .get(self.env.language.as_deref(), self.form.default_language())
                .unwrap_or_default()
                .to_owned(),
            _ => c.properties.get(name).cloned().unwrap_or_default(),
        })
    }
}

impl Context for EvalContext<'_> {
    fn reference(&self, name: &str) -> Result<Vec<Node>, EvalError> {
        let field = self
            .form
            .field_ix(name)
            .ok_or_else(|| EvalError::UnknownReference {
                name: name.to_owned(),
            })?;
        Ok(self
            .resolve(field)
            .into_iter()
            .map(|n| self.node(n))
            .collect())
    }

    fn current(&self) -> Option<Node> {
        self.current.map(|n| {
            Node::new(
                NodeId(n as u64),
                if self.form.fields[self.tree.nodes[n].field].is_question() {
                    self.tree.nodes[n].value.clone()
                } else {
                    self.string_value(n)
                },
            )
        })
    }

    fn now(&self) -> DateTime<FixedOffset> {
        self.env.now
    }

    fn random(&self) -> f64 {
        (next_random(self.rng) >> 11) as f64 / (1u64 << 53) as f64
    }

    fn form_version(&self) -> String {
        self.form.form.version.clone().unwrap_or_default()
    }

    fn uuid(&self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&next_random(self.rng).to_be_bytes());
        bytes[8..].copy_from_slice(&next_random(self.rng).to_be_bytes());
        letsema_expr::uuid_v4(bytes)
    }

    fn choice_label(&self, question: &str, value: &str) -> Result<Option<String>, EvalError> {
        let field = self
            .form
            .field_ix(question)
            .ok_or_else(|| EvalError::UnknownReference {
                name: question.to_owned(),
            })?;
        let Some(list) = self.form.fields[field]
            .list
            .and_then(|l| self.form.form.choice_lists.get(l))
        else {
            return Ok(None);
        };
        Ok(list
            .choices
            .iter()
            .find(|c| c.value == value)
            .and_then(|c| {
                c.label
                    .get(self.env.language.as_deref(), self.form.default_language())
            })
            .map(str::to_owned))
    }

    fn indexed_repeat(
        &self,
        question: &str,
        repeats: &[(&str, usize)],
    ) -> Result<Vec<Node>, EvalError> {
        let lookup = |name: &str| {
            self.form
                .field_ix(name)
                .ok_or_else(|| EvalError::UnknownReference {
                    name: name.to_owned(),
                })
        };
        let target = lookup(question)?;
        let mut scope = ROOT_NODE;
        for &(repeat, n) in repeats {
            let r = lookup(repeat)?;
            if self.form.fields[r].kind != FieldKind::Repeat {
                return Err(EvalError::invalid_argument(
                    "indexed-repeat",
                    format!("`${{{repeat}}}` is not a repeat"),
                ));
            }
            let instances = self.tree.descend(self.form, scope, r);
            match n.checked_sub(1).and_then(|i| instances.get(i)) {
                Some(&instance) => scope = instance,
                None => return Ok(Vec::new()),
            }
        }
        Ok(self
            .tree
            .descend(self.form, scope, target)
            .into_iter()
            .map(|n| self.node(n))
            .collect())
    }

    fn lookup(
        &self,
        parent: NodeId,
        element: &str,
        column: &str,
        key: &str,
    ) -> Result<Option<Vec<Node>>, EvalError> {
        Ok(match decode(parent) {
            Decoded::ListRoot { list } => self
                .form
                .lookups
                .get(Source::List(list as usize), element, column, key)
                .map(|found| {
                    found
                        .map(|choice| self.choice_item(list, choice as u64))
                        .collect()
                }),
            Decoded::Data { instance, node } => {
                let Some(found) =
                    self.form
                        .lookups
                        .get(Source::Data(instance), element, column, key)
                else {
                    return Ok(None);
                };
                let data = &self.form.data[instance];
                Some(
                    found
                        .filter(|&ix| data.nodes[ix].parent == Some(node))
                        .map(|ix| self.data_node(instance, ix))
                        .collect::<Result<_, _>>()?,
                )
            }
            _ => None,
        })
    }

    fn instance(&self, id: &str) -> Result<Node, EvalError> {
        if let Some(ix) = self.form.data.iter().position(|d| d.id == id) {
            return self.data_node(ix, 0);
        }
        match self
            .form
            .form
            .choice_lists
            .iter()
            .position(|l| l.name.as_str() == id)
        {
            Some(list) => Ok(Node::new(list_document_id(list), String::new())),
            None => Err(EvalError::UnknownInstance { id: id.to_owned() }),
        }
    }

    fn root(&self) -> Result<Node, EvalError> {
        Ok(Node::new(
            NodeId(DOCUMENT as u64),
            self.string_value(ROOT_NODE),
        ))
    }

    fn parent(&self, id: NodeId) -> Result<Option<Node>, EvalError> {
        match decode(id) {
            Decoded::ListDocument { .. } => Ok(None),
            Decoded::ListRoot { list } => Ok(Some(Node::new(
                list_document_id(list as usize),
                String::new(),
            ))),
            Decoded::Choice { list, .. } => Ok(Some(Node::new(list_root_id(list), String::new()))),
            Decoded::Column { list, choice, .. } => Ok(Some(self.choice_item(list, choice))),
            Decoded::Data { instance, node } => {
                let parent = self
                    .form
                    .data
                    .get(instance)
                    .and_then(|d| d.nodes.get(node))
                    .and_then(|n| n.parent);
                parent.map(|p| self.data_node(instance, p)).transpose()
            }
            Decoded::Instance(_) => {
                let n = self.instance(id)?;
                if n == DOCUMENT {
                    return Ok(None);
                }
                if n == ROOT_NODE {
                    return self.root().map(Some);
                }
                Ok(Some(self.node(self.tree.nodes[n].parent)))
            }
        }
    }

    fn children(&self, id: NodeId, name: Option<&str>) -> Result<Vec<Node>, EvalError> {
        match decode(id) {
            Decoded::Choice { list, choice } => {
                let columns = self
                    .form
                    .list_columns
                    .get(list as usize)
                    .map_or(&[][..], Vec::as_slice);
                Ok(columns
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| name.is_none_or(|n| n == c.as_str()))
                    .filter_map(|(i, _)| {
                        self.choice_column(list, choice, i)
                            .map(|v| Node::new(column_id(list, choice, i), v))
                    })
                    .collect())
            }
            Decoded::Column { .. } => Ok(Vec::new()),
            Decoded::ListDocument { list } => Ok(if name.is_none_or(|n| n == "root") {
                vec![Node::new(list_root_id(list), String::new())]
            } else {
                Vec::new()
            }),
            Decoded::ListRoot { list } => {
                if name.is_some_and(|n| n != "item") {
                    return Ok(Vec::new());
                }
                let count = self
                    .form
                    .form
                    .choice_lists
                    .get(list as usize)
                    .map_or(0, |l| l.choices.len());
                Ok((0..count as u64)
                    .map(|choice| self.choice_item(list, choice))
                    .collect())
            }
            Decoded::Data { instance, node } => {
                let Some(data) = self.form.data.get(instance) else {
                    return Ok(Vec::new());
                };
                let Some(n) = data.nodes.get(node) else {
                    return Ok(Vec::new());
                };
                n.children
                    .iter()
                    .filter(|&&c| name.is_none_or(|name| data.nodes[c].name == name))
                    .map(|&c| self.data_node(instance, c))
                    .collect()
            }
            Decoded::Instance(_) => {
                let n = self.instance(id)?;
                if n == DOCUMENT {
                    return Ok(if name.is_none_or(|n| n == self.form.form.root_element()) {
                        vec![self.node(ROOT_NODE)]
                    } else {
                        Vec::new()
                    });
                }
                let node = &self.tree.nodes[n];
                let children: Vec<NodeIx> = match name {
                    None => node.children.clone(),
                    Some(name) => match self.form.field_ix(name) {
                        Some(f) if self.form.fields[f].parent == node.field && f != ROOT => {
                            self.tree.children_of(n, f).to_vec()
                        }
                        _ => Vec::new(),
                    },
                };
                Ok(children.into_iter().map(|c| self.node(c)).collect())
            }
        }
    }

    fn position(&self, id: NodeId) -> Result<usize, EvalError> {
        match decode(id) {
            Decoded::Instance(_) => Ok(self.tree.position(self.instance(id)?) + 1),
            Decoded::Choice { choice, .. } => Ok(choice as usize + 1),
            Decoded::Column { .. } | Decoded::ListDocument { .. } | Decoded::ListRoot { .. } => {
                Ok(1)
            }
            Decoded::Data { instance, node } => {
                Ok(self.form.data.get(instance).map_or(1, |d| d.position(node)))
            }
        }
    }
}
