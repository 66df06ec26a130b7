//! Small helpers over `roxmltree`: attributes and children by local name, and where an
//! element is (its XPath and line) for diagnostics.

use roxmltree::Node;

/// The JavaRosa namespace (`jr:`).
pub(crate) const JR: &str = "http://openrosa.org/javarosa";

/// The value of the attribute with this local name, whatever its namespace (forms in the
/// wild declare `jr:` and `odk:` under several URIs, and ODK's own tools read them by
/// name).
pub(crate) fn attr<'a>(node: Node<'a, 'a>, local: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == local)
        .map(|a| a.value())
}

/// The attribute with this local name in no namespace, or in the JavaRosa one: `ref`,
/// `jr:count`.
pub(crate) fn jr_attr<'a>(node: Node<'a, 'a>, local: &str) -> Option<&'a str> {
    node.attributes()
        .find(|a| a.name() == local && a.namespace().is_none_or(|ns| ns == JR))
        .map(|a| a.value())
}

/// Whether the element has this local name.
pub(crate) fn is(node: Node<'_, '_>, local: &str) -> bool {
    node.is_element() && node.tag_name().name() == local
}

/// The child elements with this local name.
pub(crate) fn children<'a>(
    node: Node<'a, 'a>,
    local: &'a str,
) -> impl Iterator<Item = Node<'a, 'a>> + 'a {
    node.children().filter(move |c| is(*c, local))
}

/// The first child element with this local name.
pub(crate) fn child<'a>(node: Node<'a, 'a>, local: &'a str) -> Option<Node<'a, 'a>> {
    children(node, local).next()
}

/// The child elements.
pub(crate) fn elements<'a>(node: Node<'a, 'a>) -> impl Iterator<Item = Node<'a, 'a>> + 'a {
    node.children().filter(Node::is_element)
}

/// The text of an element and its descendants, as XPath's string value.
pub(crate) fn text_of(node: Node<'_, '_>) -> String {
    node.descendants()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .collect()
}

/// The 1-based line the element starts on.
pub(crate) fn line_of(node: Node<'_, '_>) -> u32 {
    node.document().text_pos_at(node.range().start).row
}

/// The element's XPath from the document's root, with positions among same-named
/// siblings where there are several: `/h:html/h:head/model/bind[3]`.
pub(crate) fn xpath_of(node: Node<'_, '_>) -> String {
    let mut steps = Vec::new();
    let mut current = Some(node);
    while let Some(n) = current {
        if n.is_element() {
            let name = qualified(n);
            let same = |s: &Node<'_, '_>| s.is_element() && s.tag_name() == n.tag_name();
            let before = n.prev_siblings().skip(1).filter(same).count();
            let after = n.next_siblings().skip(1).filter(same).count();
            if before + after > 0 {
                steps.push(format!("{name}[{}]", before + 1));
            } else {
                steps.push(name);
            }
        }
        current = n.parent();
    }
    steps.reverse();
    format!("/{}", steps.join("/"))
}

/// The element's name with the prefix its document gives the namespace (none for the
/// default namespace).
fn qualified(node: Node<'_, '_>) -> String {
    let local = node.tag_name().name();
    match node
        .tag_name()
        .namespace()
        .and_then(|ns| node.lookup_prefix(ns))
    {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}:{local}"),
        _ => local.to_owned(),
    }
}
