//! Data instances laid out for evaluation: the elements of each
//! [`DataInstance`](crate::model::DataInstance) in one vector, with parent and child
//! indices, so that paths walk them without recursion or allocation.

use crate::model::{DataInstance, DataNode};

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
