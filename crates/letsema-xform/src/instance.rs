//! The instances: the primary one, whose elements become the form's fields, and the
//! secondary ones, which become [`DataInstance`]s.

use letsema_form::model::{DataInstance, DataNode};
use roxmltree::Node;

use crate::build::{Builder, Elem};
use crate::xml::{self, attr, elements};
use crate::{Diagnostic, Severity};

/// A secondary instance, as the importer needs it to build choice lists.
#[derive(Debug)]
pub(crate) struct Secondary<'a> {
    /// `instance('id')`.
    pub id: String,
    /// The instance's root element when it is written in the form.
    pub root: Option<Node<'a, 'a>>,
    /// The attached file's name when it is external.
    pub file: Option<String>,
}

impl<'a> Builder<'a> {
    /// Lays out the primary instance's elements, depth first from its root element. Of
    /// several same-named siblings (a repeat's template and its initial instances) only
    /// one is kept: the one marked `jr:template`, or the first.
    pub(crate) fn read_primary(&mut self, root: Node<'a, 'a>) {
        self.elems
            .push(Elem::new(root, root.tag_name().name().to_owned(), None));
        self.read_children(0);
    }

    fn read_children(&mut self, parent: usize) {
        let node = self.elems[parent].node;
        let mut seen: Vec<(String, usize)> = Vec::new();
        for child in elements(node) {
            let name = child.tag_name().name().to_owned();
            if let Some((_, existing)) = seen.iter().find(|(n, _)| *n == name) {
                let existing = *existing;
                let existing_is_template = attr(self.elems[existing].node, "template").is_some();
                if attr(child, "template").is_some() && !existing_is_template {
                    // The template describes the repeat; the instance seen first does not.
                    self.elems[existing].node = child;
                    self.elems[existing].leaf = elements(child).next().is_none();
                    self.elems[existing].text = xml::text_of(child);
                    self.elems[existing].children.clear();
                    self.read_children(existing);
                }
                self.elems[existing].extra_instances += 1;
                continue;
            }
            let ix = self.elems.len();
            self.elems
                .push(Elem::new(child, name.clone(), Some(parent)));
            self.elems[parent].children.push(ix);
            seen.push((name, ix));
            self.read_children(ix);
        }
    }

    /// Reads every `<instance>` of the model after the first: inline ones become
    /// [`DataInstance`]s with their elements and text, external ones (`src`) empty
    /// placeholders named after their file.
    pub(crate) fn read_secondary(&mut self, instances: &[Node<'a, 'a>]) {
        for &node in instances {
            let Some(id) = attr(node, "id").map(str::to_owned) else {
                self.diagnostics.push(Diagnostic::at(
                    Severity::Error,
                    node,
                    "this secondary <instance> has no `id`, so no expression can read it: \
                     give it an id or remove it"
                        .to_owned(),
                ));
                continue;
            };
            if self.secondary.iter().any(|s| s.id == id) {
                self.diagnostics.push(Diagnostic::at(
                    Severity::Error,
                    node,
                    format!("two <instance>s have the id `{id}`: rename one of them"),
                ));
                continue;
            }
            if let Some(src) = attr(node, "src") {
                let Some(file) = self.external_file(node, &id, src) else {
                    continue;
                };
                self.instances.push(DataInstance {
                    id: id.clone(),
                    source: Some(file.clone()),
                    root: DataNode::new("root"),
                });
                self.secondary.push(Secondary {
                    id,
                    root: None,
                    file: Some(file),
                });
                continue;
            }
            let Some(root) = elements(node).next() else {
                // An empty instance is allowed; it has nothing to read.
                self.instances.push(DataInstance {
                    id: id.clone(),
                    source: None,
                    root: DataNode::new("root"),
                });
                self.secondary.push(Secondary {
                    id,
                    root: None,
                    file: None,
                });
                continue;
            };
            self.instances.push(DataInstance {
                id: id.clone(),
                source: None,
                root: data_node(root),
            });
            self.secondary.push(Secondary {
                id,
                root: Some(root),
                file: None,
            });
        }
    }

    /// The file an external instance's `src` names: `jr://file-csv/x.csv`,
    /// `jr://file/x.xml` or `jr://file/x.geojson`.
    fn external_file(&mut self, node: Node<'a, 'a>, id: &str, src: &str) -> Option<String> {
        let src = src.trim();
        let file = src
            .strip_prefix("jr://file-csv/")
            .or_else(|| src.strip_prefix("jr://file/"));
        match file {
            Some(file) if !file.is_empty() => Some(file.to_owned()),
            _ if src.starts_with("jr://instance/last-saved") => {
                self.diagnostics.push(Diagnostic::at(
                    Severity::Error,
                    node,
                    format!(
                        "instance `{id}` reads the last saved submission ({src}), which Letsema \
                         does not keep on the device: remove the instance and the defaults \
                         that read it"
                    ),
                ));
                None
            }
            _ => {
                self.diagnostics.push(Diagnostic::at(
                    Severity::Error,
                    node,
                    format!(
                        "instance `{id}` comes from `{src}`, which Letsema cannot attach: only \
                         files attached to the form are supported (`jr://file-csv/name.csv`, \
                         `jr://file/name.xml`, `jr://file/name.geojson`)"
                    ),
                ));
                None
            }
        }
    }
}

/// An element of a secondary instance as a [`DataNode`]: its name, its own text (for a
/// leaf, its value; the whitespace between child elements is dropped) and its child
/// elements. Attributes are left out, as the model says.
pub(crate) fn data_node(node: Node<'_, '_>) -> DataNode {
    let children: Vec<DataNode> = elements(node).map(data_node).collect();
    let text: String = node
        .children()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .collect();
    DataNode {
        name: node.tag_name().name().to_owned(),
        text: if children.is_empty() {
            text
        } else {
            text.trim().to_owned()
        },
        children,
    }
}
