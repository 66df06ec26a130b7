//! Data instances laid out for evaluation: the elements of each
//! [`DataInstance`](crate::model::DataInstance) in one vector, with parent and child
//! indices, so that paths walk them without recursion or allocation.

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
/// `pulldata()`): for each lookup the form's expressions make, the elements sorted by the
/// value of their key column, found by binary search. Built once, when the form is
/// compiled. (Sorted vectors rather than hash maps: the same speed here, and less code in
/// the phone's download.)
#[derive(Debug, Default)]
pub(crate) struct Lookups {
    indexes: Vec<Index>,
}

/// One lookup's index.
#[derive(Debug)]
struct Index {
    source: Source,
    element: String,
    column: String,
    /// (key, element), sorted by key, then by element: document order within a key.
    entries: Vec<(String, usize)>,
}

impl Lookups {
    /// The indexes for `wanted`, over the form's choice lists and `data`. A lookup of a
    /// choice's `label` is not indexed: the label depends on the language.
    pub fn build(form: &Form, data: &[FlatInstance], wanted: &[InstanceLookup]) -> Self {
        let mut indexes = Vec::new();
        for lookup in wanted {
            let column = lookup.column.as_str();
            let (source, mut entries) =
                if let Some(ix) = data.iter().position(|d| d.id == lookup.instance) {
                    (Source::Data(ix), data[ix].entries(&lookup.element, column))
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
                    let entries = if has_column {
                        list.choices
                            .iter()
                            .enumerate()
                            .map(|(i, choice)| {
                                let key = if column == "name" {
                                    choice.value.to_string()
                                } else {
                                    choice.properties.get(column).cloned().unwrap_or_default()
                                };
                                (key, i)
                            })
                            .collect()
                    } else {
                        Vec::new()
                    };
                    (Source::List(ix), entries)
                } else {
                    continue;
                };
            entries.sort_unstable();
            indexes.push(Index {
                source,
                element: lookup.element.clone(),
                column: lookup.column.clone(),
                entries,
            });
        }
        Lookups { indexes }
    }

    /// The elements `element` of `source` whose `column` is `key`, in document order;
    /// `None` when there is no index for them.
    pub fn get<'a>(
        &'a self,
        source: Source,
        element: &str,
        column: &str,
        key: &'a str,
    ) -> Option<impl Iterator<Item = usize> + 'a> {
        let index = self
            .indexes
            .iter()
            .find(|i| i.source == source && i.element == element && i.column == column)?;
        let start = index.entries.partition_point(|(k, _)| k.as_str() < key);
        Some(
            index.entries[start..]
                .iter()
                .take_while(move |(k, _)| k == key)
                .map(|&(_, element)| element),
        )
    }
}

impl FlatInstance {
    /// Every element called `element` with the string value of each of its children called
    /// `column` (an element with two such children is found by either, once per value).
    fn entries(&self, element: &str, column: &str) -> Vec<(String, usize)> {
        let mut entries = Vec::new();
        for (ix, node) in self.nodes.iter().enumerate() {
            if node.name != element || ix == DOCUMENT_NODE {
                continue;
            }
            for &cell in &node.children {
                if self.nodes[cell].name == column {
                    entries.push((self.string_value(cell), ix));
                }
            }
        }
        entries.dedup();
        entries
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
