//! Choices: a select's inline `<item>`s, or its `<itemset>` over a secondary instance.

use std::collections::BTreeMap;

use letsema_form::model::{Choice, ChoiceList, ChoiceValue, FileChoices, ListName, Text};
use roxmltree::Node;

use crate::build::{Builder, local};
use crate::itext::itext_id;
use crate::xml::{attr, child, children, elements, text_of};

/// A select's choices as the question needs them.
#[derive(Debug)]
pub(crate) struct Choices {
    pub list: ListName,
    pub filter: Option<String>,
    /// `randomize(…)` around the itemset: `Some(seed)`.
    pub randomize: Option<Option<String>>,
}

/// An itemset's `nodeset`, taken apart: `instance('id')/step/step[predicate]`.
#[derive(Debug, PartialEq)]
struct Nodeset {
    instance: String,
    steps: Vec<String>,
    predicates: Vec<String>,
    seed: Option<Option<String>>,
}

/// Splits `source` at `separator` where it is outside quotes, brackets and parentheses.
pub(crate) fn split_top(source: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in source.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' => depth += 1,
                ')' | ']' => depth -= 1,
                _ if c == separator && depth == 0 => {
                    parts.push(&source[start..i]);
                    start = i + c.len_utf8();
                }
                _ => {}
            },
        }
    }
    parts.push(&source[start..]);
    parts
}

/// The index of the parenthesis or bracket closing the one at `open`.
pub(crate) fn closing(source: &str, open: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in source[open..].char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None => match c {
                '\'' | '"' => quote = Some(c),
                '(' | '[' => depth += 1,
                ')' | ']' => {
                    depth -= 1;
                    if depth == 0 {
                        return Some(open + i);
                    }
                }
                _ => {}
            },
        }
    }
    None
}

/// Takes an itemset's nodeset apart, or says what Letsema cannot read in it.
fn parse_nodeset(source: &str) -> Result<Nodeset, String> {
    let mut source = source.trim();
    let mut seed = None;
    if let Some(inner) = source
        .strip_prefix("randomize(")
        .and_then(|s| s.strip_suffix(')'))
    {
        let parts = split_top(inner, ',');
        match parts.as_slice() {
            [nodes] => {
                source = nodes.trim();
                seed = Some(None);
            }
            [nodes, s] => {
                source = nodes.trim();
                seed = Some(Some(s.trim().to_owned()));
            }
            _ => return Err("randomize() takes the choices and an optional seed".to_owned()),
        }
    }
    if !source.starts_with("instance(") {
        return Err(
            "the choices do not come from a secondary instance (`instance('id')/…`): Letsema \
             cannot offer the form's own answers (such as a repeat's) as choices"
                .to_owned(),
        );
    }
    let open = "instance".len();
    let close = closing(source, open).ok_or("the parenthesis after instance is not closed")?;
    let id = source[open + 1..close].trim();
    let id = id
        .strip_prefix('\'')
        .and_then(|s| s.strip_suffix('\''))
        .or_else(|| id.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
        .ok_or("instance() takes the instance's id in quotes")?;
    let rest = source[close + 1..].trim();
    let rest = rest
        .strip_prefix('/')
        .ok_or("instance('id') must be followed by a path, as in instance('id')/root/item")?;
    let mut steps = Vec::new();
    let mut predicates = Vec::new();
    let parts = split_top(rest, '/');
    let last = parts.len() - 1;
    for (i, part) in parts.into_iter().enumerate() {
        let part = part.trim();
        let (name, mut tail) = match part.find('[') {
            Some(b) => (part[..b].trim(), &part[b..]),
            None => (part, ""),
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':'))
        {
            return Err(format!("`{part}` is not a plain step of a path"));
        }
        steps.push(name.to_owned());
        while !tail.is_empty() {
            let end = closing(tail, 0).ok_or("a predicate's bracket is not closed")?;
            if i != last {
                return Err(
                    "only the last step of the path may have a predicate, as in \
                     instance('id')/root/item[filter]"
                        .to_owned(),
                );
            }
            predicates.push(tail[1..end].trim().to_owned());
            tail = tail[end + 1..].trim_start();
        }
    }
    Ok(Nodeset {
        instance: id.to_owned(),
        steps,
        predicates,
        seed,
    })
}

/// A reference to a column of an item: `name`, `./name`.
fn column(reference: &str) -> Option<&str> {
    let reference = reference.trim();
    let reference = reference.strip_prefix("./").unwrap_or(reference);
    (!reference.is_empty()
        && reference
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.' | ':')))
    .then(|| local(reference))
}

impl<'a> Builder<'a> {
    /// The choices of a select: its `<item>`s or its `<itemset>`.
    pub(crate) fn read_choices(&mut self, node: Node<'a, 'a>, elem: usize) -> Option<Choices> {
        let itemset = child(node, "itemset");
        let has_items = children(node, "item").next().is_some();
        if itemset.is_some() && has_items {
            self.error(
                node,
                "this select has both <item>s and an <itemset>: keep one".to_owned(),
            );
            return None;
        }
        match itemset {
            Some(itemset) => self.itemset(itemset, elem),
            None => {
                let list = self.inline_items(node, elem);
                Some(Choices {
                    list,
                    filter: None,
                    randomize: None,
                })
            }
        }
    }

    /// Inline items: a list named after the question, or a list already made of the same
    /// choices.
    fn inline_items(&mut self, node: Node<'a, 'a>, elem: usize) -> ListName {
        let mut choices = Vec::new();
        for item in children(node, "item") {
            let value = child(item, "value").map(text_of).unwrap_or_default();
            let value = value.trim();
            if value.is_empty() {
                self.error(
                    item,
                    "this <item> has no <value>: give every choice the value it stores".to_owned(),
                );
                continue;
            }
            let label = child(item, "label")
                .map(|l| self.texts_of(l, elem))
                .unwrap_or_default();
            choices.push(Choice {
                value: ChoiceValue::new(value),
                label: label.label,
                media: label.media,
                properties: BTreeMap::new(),
            });
        }
        let name = self.elems[elem].name.clone();
        self.add_list(&name, choices, None)
    }

    /// Adds a list, or finds one with the same content; a list of another content with
    /// the same name gets a suffix.
    fn add_list(
        &mut self,
        name: &str,
        choices: Vec<Choice>,
        from_file: Option<FileChoices>,
    ) -> ListName {
        if let Some(same) = self
            .choice_lists
            .iter()
            .find(|l| l.choices == choices && l.from_file == from_file)
        {
            return same.name.clone();
        }
        let mut candidate = name.to_owned();
        let mut n = 1;
        while self
            .choice_lists
            .iter()
            .any(|l| l.name == candidate.as_str())
        {
            n += 1;
            candidate = format!("{name}_{n}");
        }
        let list = ListName::new(candidate);
        self.choice_lists.push(ChoiceList {
            name: list.clone(),
            choices,
            from_file,
        });
        list
    }

    fn itemset(&mut self, itemset: Node<'a, 'a>, elem: usize) -> Option<Choices> {
        let Some(source) = attr(itemset, "nodeset") else {
            self.error(
                itemset,
                "this <itemset> has no `nodeset`: say where the choices come from".to_owned(),
            );
            return None;
        };
        let nodeset = match parse_nodeset(source) {
            Ok(nodeset) => nodeset,
            Err(why) => {
                self.error(
                    itemset,
                    format!("the choices come from `{source}`, which Letsema cannot read: {why}"),
                );
                return None;
            }
        };
        let value_ref = child(itemset, "value").and_then(|v| attr(v, "ref"));
        let label_ref = child(itemset, "label").and_then(|l| attr(l, "ref"));
        let (Some(value_ref), Some(label_ref)) = (value_ref, label_ref) else {
            self.error(
                itemset,
                "an <itemset> needs <value ref=\"…\"/> and <label ref=\"…\"/>: say which \
                 element of each item is the value and which the label"
                    .to_owned(),
            );
            return None;
        };
        let Some(value_column) = column(value_ref).map(str::to_owned) else {
            self.error(
                itemset,
                format!(
                    "the value of each choice is `{value_ref}`; Letsema reads a child element \
                     of the item (as in <value ref=\"name\"/>)"
                ),
            );
            return None;
        };
        let label_itext = itext_id_of_column(label_ref);
        let label_column = match &label_itext {
            Some(c) => Some(c.clone()),
            None => column(label_ref).map(str::to_owned),
        };
        let Some(label_column) = label_column else {
            self.error(
                itemset,
                format!(
                    "the label of each choice is `{label_ref}`; Letsema reads a child element \
                     of the item (<label ref=\"label\"/>) or its itext (<label \
                     ref=\"jr:itext(itextId)\"/>)"
                ),
            );
            return None;
        };
        let Some(secondary) = self.secondary.iter().position(|s| s.id == nodeset.instance) else {
            self.error(
                itemset,
                format!(
                    "the choices come from instance('{}'), which the model does not have: add \
                     <instance id=\"{}\"> or fix the id",
                    nodeset.instance, nodeset.instance
                ),
            );
            return None;
        };
        let filter = self.predicates_filter(itemset, &nodeset.predicates, elem)?;
        let randomize = nodeset
            .seed
            .map(|seed| seed.map(|s| self.expression(&s, elem)));
        let root = self.secondary[secondary].root;
        let file = self.secondary[secondary].file.clone();
        let list = if let Some(file) = file {
            if label_itext.is_some() {
                self.error(
                    itemset,
                    "the labels of choices from an attached file come from jr:itext(), which \
                     Letsema cannot look up in a file: name the label column (<label \
                     ref=\"label\"/>)"
                        .to_owned(),
                );
                return None;
            }
            self.add_list(
                &nodeset.instance,
                Vec::new(),
                Some(FileChoices {
                    file,
                    value: value_column,
                    label: label_column,
                }),
            )
        } else {
            let items = match root {
                Some(root) => items_at(root, &nodeset.steps),
                None => Vec::new(),
            };
            if root.is_some() && items.is_empty() && !nodeset.steps.is_empty() {
                let first = &nodeset.steps[0];
                if root.is_some_and(|r| r.tag_name().name() != local(first)) {
                    self.error(
                        itemset,
                        format!(
                            "instance('{}') has no `{first}` root element, so `{source}` finds \
                             no choices: fix the path",
                            nodeset.instance
                        ),
                    );
                    return None;
                }
            }
            let mut choices = Vec::new();
            for item in items {
                let value = elements(item)
                    .find(|c| c.tag_name().name() == value_column)
                    .map(text_of)
                    .unwrap_or_default();
                if value.trim().is_empty() {
                    self.warn(
                        item,
                        format!(
                            "this item has no `{value_column}`, the value of its choice: it \
                             is not offered"
                        ),
                    );
                    continue;
                }
                let label_text = elements(item)
                    .find(|c| c.tag_name().name() == label_column)
                    .map(text_of)
                    .unwrap_or_default();
                let (label, media) = match &label_itext {
                    Some(_) => {
                        let texts = self.itext_text(label_text.trim(), elem, item);
                        (texts.label, texts.media)
                    }
                    None => (
                        if label_text.trim().is_empty() {
                            Text::default()
                        } else {
                            Text::plain(label_text.trim())
                        },
                        Default::default(),
                    ),
                };
                let mut properties = BTreeMap::new();
                for column in elements(item) {
                    let name = column.tag_name().name();
                    if name != "name" && name != "label" {
                        properties.insert(name.to_owned(), text_of(column));
                    }
                }
                choices.push(Choice {
                    value: ChoiceValue::new(value.trim()),
                    label,
                    media,
                    properties,
                });
            }
            self.add_list(&nodeset.instance, choices, None)
        };
        Some(Choices {
            list,
            filter,
            randomize,
        })
    }

    /// An itemset's predicates as one choice filter; a number (a position) is refused.
    fn predicates_filter(
        &mut self,
        itemset: Node<'a, 'a>,
        predicates: &[String],
        elem: usize,
    ) -> Option<Option<String>> {
        let mut parts = Vec::new();
        for predicate in predicates {
            if predicate.trim().parse::<f64>().is_ok() {
                self.error(
                    itemset,
                    format!(
                        "the itemset picks items by position ([{predicate}]), which a choice \
                         filter cannot: filter by a column instead"
                    ),
                );
                return None;
            }
            parts.push(self.choice_filter(predicate, elem));
        }
        Some(match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(
                parts
                    .iter()
                    .map(|p| format!("({p})"))
                    .collect::<Vec<_>>()
                    .join(" and "),
            ),
        })
    }

    /// An `<input query="instance('id')/root/item[…]">`: pyxform's select_one_external,
    /// whose choices Letsema does not serve.
    pub(crate) fn external_query(&mut self, node: Node<'a, 'a>, query: &str) -> Option<ListName> {
        match parse_nodeset(query) {
            Ok(nodeset) => {
                self.warn(
                    node,
                    format!(
                        "this question searches the external choices of `{}` \
                         (select_one_external); Letsema records the list but offers no \
                         search: the answer is typed",
                        nodeset.instance
                    ),
                );
                Some(ListName::new(nodeset.instance))
            }
            Err(why) => {
                self.error(node, format!("the query `{query}` cannot be read: {why}"));
                None
            }
        }
    }
}

/// The column inside `jr:itext(column)` (no quotes: the item's child holds the id).
fn itext_id_of_column(reference: &str) -> Option<String> {
    if itext_id(reference).is_some() {
        return None;
    }
    let inner = reference
        .trim()
        .strip_prefix("jr:itext(")?
        .strip_suffix(')')?;
    column(inner).map(str::to_owned)
}

/// The elements a path of plain steps names from an instance's root element.
fn items_at<'a>(root: Node<'a, 'a>, steps: &[String]) -> Vec<Node<'a, 'a>> {
    let Some((first, rest)) = steps.split_first() else {
        return Vec::new();
    };
    if root.tag_name().name() != local(first) {
        return Vec::new();
    }
    let mut nodes = vec![root];
    for step in rest {
        let name = local(step);
        nodes = nodes
            .into_iter()
            .flat_map(|n| elements(n).filter(move |c| c.tag_name().name() == name))
            .collect();
    }
    nodes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nodesets_are_taken_apart() {
        assert_eq!(
            parse_nodeset("instance('lgas')/root/item[state = /data/state][name != '']"),
            Ok(Nodeset {
                instance: "lgas".into(),
                steps: vec!["root".into(), "item".into()],
                predicates: vec!["state = /data/state".into(), "name != ''".into()],
                seed: None,
            })
        );
        assert_eq!(
            parse_nodeset("randomize(instance(\"x\")/root/item, /data/seed)").map(|n| n.seed),
            Ok(Some(Some("/data/seed".into())))
        );
        assert!(parse_nodeset("/data/repeat").is_err());
        assert!(parse_nodeset("instance('x')/root[1]/item").is_err());
        assert!(parse_nodeset("instance('x')").is_err());
        assert!(parse_nodeset("instance('x')/root/item[a = ']'").is_err());
    }
}
