//! XML files: the elements as they are, with their text (attributes, comments and
//! processing instructions are not kept: expressions cannot read them).

use letsema_form::model::DataNode;

use crate::{Budget, DataFileError};

/// The deepest an XML file may nest.
const MAX_DEPTH: usize = 32;

pub(crate) fn read(file: &str, text: &str, budget: &mut Budget) -> Result<DataNode, DataFileError> {
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: u32::try_from(budget_nodes(budget)).unwrap_or(u32::MAX),
        entity_resolver: None,
    };
    let document = roxmltree::Document::parse_with_options(text, options)
        .map_err(|e| DataFileError::invalid(file, format!("it is not well-formed XML: {e}")))?;
    convert(file, document.root_element(), 0, budget)
}

/// roxmltree counts text nodes too: allow two nodes per element of the budget.
fn budget_nodes(budget: &Budget) -> usize {
    budget.remaining().saturating_mul(2).saturating_add(16)
}

fn convert(
    file: &str,
    element: roxmltree::Node<'_, '_>,
    depth: usize,
    budget: &mut Budget,
) -> Result<DataNode, DataFileError> {
    if depth > MAX_DEPTH {
        return Err(DataFileError::invalid(
            file,
            format!("its elements nest more than {MAX_DEPTH} deep: flatten the data"),
        ));
    }
    budget.spend()?;
    let mut node = DataNode::new(element.tag_name().name());
    let mut text = String::new();
    for child in element.children() {
        if child.is_element() {
            node.children.push(convert(file, child, depth + 1, budget)?);
        } else if child.is_text()
            && let Some(t) = child.text()
        {
            text.push_str(t);
        }
    }
    // Whitespace between child elements is layout, not a value.
    node.text = if node.children.is_empty() {
        text
    } else {
        text.trim().to_owned()
    };
    Ok(node)
}
