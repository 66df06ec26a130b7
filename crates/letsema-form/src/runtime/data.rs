//! Data instances laid out for evaluation: the elements of each
//! [`DataInstance`](crate::model::DataInstance) in one vector, with parent and child
//! indices, so that paths walk them without recursion or allocation.

use std::collections::HashMap;

use letsema_expr::InstanceLookup;

use crate::model::{DataInstance, DataNode, Form};

/// The document node's index; the root element is [`ROOT_ELEMENT`].
pub(crate) const DOCUMENT_NODE: usize = 0;
/// The root element's index.
pub(crate) const ROOT_ELEMENT: usize = 1;

/// One data instance, flattened.
#[derive(Debug)]
pub(crate) struct FlatInstance {
    /// `instance('id')`.
    pub id: String,
    /// Element 0 is the document node (no name); 1 is the root element.
    pub nodes: Vec<FlatNode>,
}

/// One element of a [`FlatInstance`].
#[derive(Debug)]
pub(crate) struct FlatNode {
    pub name: String,
    pub text: String,
    pub parent: Option<usize>,
    pub children: Vec<usize>,
}

impl FlatInstance {
    /// Lays out an instance.
    pub fn new(instance: &DataInstance) -> Self {
        let mut nodes = vec![FlatNode {
            name: String::new(),
            text: String::new(),
            parent: None,
            children: Vec::new(),
        }];
        // Depth first with an explicit stack: instances from files can be deep.
        let mut stack: Vec<(&DataNode, usize)> = vec![(&instance.root, DOCUMENT_NODE)];
        while let Some((node, parent)) = stack.pop() {
            let ix = nodes.len();
            nodes.push(FlatNode {
                name: node.name.clone(),
                text: node.text.clone(),
                parent: Some(parent),
                children: Vec::with_capacity(node.children.len()),
            });
            nodes[parent].children.push(ix);
            for child in node.children.iter().rev() {
                stack.push((child, ix));
            }
        }
        FlatInstance {
            id: instance.id.clone(),
            nodes,
        }
    }

    /// The XPath string value of element `node`: its text and its descendants' text. The
    /// document node and the root element give `''`: they hold the whole file, and no
    /// form compares it as a string.
    pub fn string_value(&self, node: usize) -> String {
        if node <= ROOT_ELEMENT {
            return String::new();
        }
        let mut out = String::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            let Some(flat) = self.nodes.get(n) else {
                continue;
            };
            out.push_str(&flat.text);
            stack.extend(flat.children.iter().rev());
        }
        out
    }

    /// The 1-based position of `node` among its parent's children of the same name.
    pub fn position(&self, node: usize) -> usize {
        let Some(flat) = self.nodes.get(node) else {
            return 1;
        };
        let Some(parent) = flat.parent.and_then(|p| self.nodes.get(p)) else {
            return 1;
        };
        parent
            .children
            .iter()
            .filter(|&&c| self.nodes[c].name == flat.name)
            .position(|&c| c == node)
            .map_or(1, |k| k + 1)
    }
}

/// A secondary instance: a choice list or a data instance, by index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    List(usize),
    Data(usize),
}

/// The indexes behind keyed lookups (`instance('id')/root/item[name = ${x}]`,
/// `pulldata()`): for each lookup the form's expressions make, the elements by the value
/// of their key column. Built once, when the form is compiled.
#[derive(Debug, Default)]
pub(crate) struct Lookups {
    indexes: HashMap<(Source, String, String), HashMap<String, Vec<usize>>>,
}

impl Lookups {
    /// The indexes for `wanted`, over the form's choice lists and `data`. A lookup of a
    /// choice's `label` is not indexed: the label depends on the language.
    pub fn build(form: &Form, data: &[FlatInstance], wanted: &[InstanceLookup]) -> Self {
        let mut indexes = HashMap::new();
        for lookup in wanted {
            let column = lookup.column.as_str();
            let (source, index) =
                if let Some(ix) = data.iter().position(|d| d.id == lookup.instance) {
                    (Source::Data(ix), data[ix].index(&lookup.element, column))
                } else if let Some(ix) = form
                    .choice_lists
                    .iter()
                    .position(|l| l.name.as_str() == lookup.instance)
                {
                    if lookup.element != "item" || column == "label" {
                        continue;
                    }
                    let list = &form.choice_lists[ix];
                    let has_column = column == "name"
                        || list
                            .choices
                            .iter()
                            .any(|c| c.properties.contains_key(column));
                    let mut index: HashMap<String, Vec<usize>> = HashMap::new();
                    if has_column {
                        for (i, choice) in list.choices.iter().enumerate() {
                            let key = if column == "name" {
                                choice.value.to_string()
                            } else {
                                choice.properties.get(column).cloned().unwrap_or_default()
                            };
                            index.entry(key).or_default().push(i);
                        }
                    }
                    (Source::List(ix), index)
                } else {
                    continue;
                };
            indexes.insert(
                (source, lookup.element.clone(), lookup.column.clone()),
                index,
            );
        }
        Lookups { indexes }
    }

    /// The elements `element` of `source` whose `column` is `key`, in document order;
    /// `None` when there is no index for them.
    pub fn get(&self, source: Source, element: &str, column: &str, key: &str) -> Option<&[usize]> {
        // The map is keyed by owned strings; lookups are few per form, so a linear probe
        // over the indexes of this source avoids allocating a key per evaluation.
        self.indexes
            .iter()
            .find(|((s, e, c), _)| *s == source && e == element && c == column)
            .map(|(_, index)| index.get(key).map_or(&[][..], Vec::as_slice))
    }
}

impl FlatInstance {
    /// Every element called `element`, by the string value of its children called `column`
    /// (an element with two such children is found by either).
    fn index(&self, element: &str, column: &str) -> HashMap<String, Vec<usize>> {
        let mut index: HashMap<String, Vec<usize>> = HashMap::new();
        for (ix, node) in self.nodes.iter().enumerate() {
            if node.name != element || ix == DOCUMENT_NODE {
                continue;
            }
            for &cell in &node.children {
                if self.nodes[cell].name == column {
                    let entry = index.entry(self.string_value(cell)).or_default();
                    if entry.last() != Some(&ix) {
                        entry.push(ix);
                    }
                }
            }
        }
        index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_are_laid_out_in_document_order() {
        let instance = DataInstance {
            id: "places".into(),
            source: Some("places.xml".into()),
            root: DataNode::new("root")
                .with(DataNode::new("item").with(DataNode::leaf("name", "a")))
                .with(
                    DataNode::new("item")
                        .with(DataNode::leaf("name", "b"))
                        .with(DataNode::leaf("size", "2")),
                ),
        };
        let flat = FlatInstance::new(&instance);
        let names: Vec<&str> = flat.nodes.iter().map(|n| n.name.as_str()).collect();
        assert_eq!(names, ["", "root", "item", "name", "item", "name", "size"]);
        assert_eq!(flat.nodes[ROOT_ELEMENT].children, [2, 4]);
        assert_eq!(flat.string_value(4), "b2");
        assert_eq!(flat.string_value(ROOT_ELEMENT), "");
        assert_eq!(flat.position(4), 2);
        assert_eq!(flat.position(6), 1);
    }
}
