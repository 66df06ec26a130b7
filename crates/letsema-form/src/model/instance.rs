//! Secondary instances: data a form's expressions read with `instance('id')/…`, besides
//! the answers.
//!
//! An XLSForm's choice lists are secondary instances by themselves (the runtime serves
//! `instance('list')/root/item` from [`Form::choice_lists`](super::Form::choice_lists));
//! a [`DataInstance`] holds the rest: a CSV or XML file attached to the form (`csv-external`,
//! `xml-external`, `pulldata()`), or an XForm's inline `<instance id="…">`. Files are
//! converted when the form is imported, so that a device needs no CSV or XML parser: it
//! downloads the instances with the definition and keeps them offline.

use serde::{Deserialize, Serialize};

/// A secondary instance: an id and a tree of elements.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataInstance {
    /// What `instance('…')` names.
    pub id: String,
    /// The attached file it was read from (`households.csv`), or `None` for data written in
    /// the form itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The document's root element (`root` for a CSV file: `root/item/column`).
    pub root: DataNode,
}

/// An element of a secondary instance: a name, its text and its child elements, in
/// document order. Attributes are not kept: expressions cannot read them (`@id` is refused
/// by the parser).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DataNode {
    /// The element's name.
    pub name: String,
    /// The element's own text (for a leaf, its value).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// The child elements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<DataNode>,
}

impl DataNode {
    /// An element with a name and nothing else.
    pub fn new(name: impl Into<String>) -> Self {
        DataNode {
            name: name.into(),
            ..Self::default()
        }
    }

    /// A leaf element with a text.
    pub fn leaf(name: impl Into<String>, text: impl Into<String>) -> Self {
        DataNode {
            name: name.into(),
            text: text.into(),
            ..Self::default()
        }
    }

    /// This element with a child added.
    pub fn with(mut self, child: DataNode) -> Self {
        self.children.push(child);
        self
    }

    /// How many elements the tree has, this one included.
    pub fn len(&self) -> usize {
        1 + self.children.iter().map(DataNode::len).sum::<usize>()
    }

    /// Whether the tree is empty: never, it has at least this element.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The XPath string value: the text of this element and of all its descendants, in
    /// document order.
    pub fn string_value(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        out.push_str(&self.text);
        for child in &self.children {
            child.collect_text(out);
        }
    }
}
