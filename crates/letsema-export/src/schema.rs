//! The columns of an export: the union of every published version's questions, in form
//! order, split into one table for the submissions and one per repeat.

use std::collections::{HashMap, HashSet};

use letsema_form::model::{Form, Item, Language, MetadataKind, QuestionType, Text};

use crate::{ExportError, ExportOptions};

/// Every column of an export of one form: the union of its versions' questions, in form
/// order, in one table for the submissions and one per repeat (nested repeats too).
///
/// Built once per export from the form's published versions ([`Schema::new`]); it owns
/// what it needs, so the versions may be dropped afterwards.
#[derive(Debug, Clone)]
pub struct Schema {
    form_id: String,
    default_language: Option<Language>,
    /// In form order (depth first): the submissions' table first.
    tables: Vec<Table>,
}

/// One table of an export, as [`Schema::tables`] describes it for a set of options.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableInfo {
    /// The form id for the submissions' table; the repeat's name for a repeat's.
    pub name: String,
    /// The column headers, in order.
    pub headers: Vec<String>,
}

/// The table of the submissions or of one repeat.
#[derive(Debug, Clone)]
pub(crate) struct Table {
    /// The form id, or the repeat's name.
    pub(crate) name: String,
    pub(crate) entries: Vec<Entry>,
    /// The name an answer is keyed by, to the entry that reads it.
    pub(crate) slots: HashMap<String, usize>,
}

/// A question's columns, or a repeat (whose questions are in a table of their own).
#[derive(Debug, Clone)]
pub(crate) enum Entry {
    Question(Column),
    Repeat {
        name: String,
        /// The repeat's name with the groups' around it inside its parent's table (its JSON
        /// key when `group_names`).
        grouped: String,
        /// The names of the groups around it inside its parent's table, outermost first.
        groups: Vec<String>,
        /// The index of the repeat's table in [`Schema::tables`].
        table: usize,
    },
}

/// One question: what it is called, what kind of values it holds, and its choices.
#[derive(Debug, Clone)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) kind: Kind,
    /// The header with the groups' names (`personal-name`), made once.
    pub(crate) grouped: String,
    /// The names of the groups around it inside its table, outermost first.
    pub(crate) groups: Vec<String>,
    /// A select's choices: the newest version's list, then any choice only an older
    /// version's list has.
    pub(crate) choices: Vec<ChoiceDef>,
    /// A choice's value to its place in `choices`.
    pub(crate) choice_index: HashMap<String, usize>,
}

/// One choice of a select's list.
#[derive(Debug, Clone)]
pub(crate) struct ChoiceDef {
    pub(crate) value: String,
    pub(crate) label: Text,
}

/// What a column holds, as far as the export formats care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text, and everything without a better type (time, geopoint, calculate...).
    Text,
    /// `integer`: a number cell or a JSON number when it parses.
    Integer,
    /// `decimal` and `range`: a number cell or a JSON number when it parses.
    Decimal,
    /// `date` and `today`.
    Date,
    /// `dateTime`, `start` and `end`.
    DateTime,
    SelectOne,
    SelectMultiple,
    /// `rank`: several values, in order, never split.
    Rank,
}

impl Schema {
    /// The schema of an export of one form.
    ///
    /// `versions`: every published version of the form, **newest first**. The columns are
    /// the newest version's questions in its order; a question only an older version has is
    /// inserted after the question that precedes it in that older version (or at the start
    /// of its table), and the same for repeats (a repeat only an older version has gets its
    /// table). Where versions disagree on a question's type, the newest wins; a select's
    /// choices are the newest version's, followed by those only older versions have, so
    /// that old answers keep their labels and split columns. Notes are left out, as ODK
    /// Central does: they have no value.
    ///
    /// # Errors
    ///
    /// [`ExportError::NoVersions`] when `versions` is empty, and
    /// [`ExportError::DifferentForms`] when they are not all versions of one form id.
    pub fn new(versions: &[&Form]) -> Result<Schema, ExportError> {
        let Some((newest, older)) = versions.split_first() else {
            return Err(ExportError::NoVersions);
        };
        if let Some(other) = older.iter().find(|form| form.id != newest.id) {
            return Err(ExportError::DifferentForms {
                first: newest.id.to_string(),
                other: other.id.to_string(),
            });
        }
        let mut merged = node_of(newest, &newest.items);
        let mut known = HashSet::new();
        merged.collect_names(&mut known);
        for form in older {
            merge(&mut merged, node_of(form, &form.items), &mut known);
        }
        let mut tables = Vec::new();
        flatten(merged, newest.id.to_string(), &mut tables);
        Ok(Schema {
            form_id: newest.id.to_string(),
            default_language: newest.default_language.clone(),
            tables,
        })
    }

    /// The form's id.
    pub fn form_id(&self) -> &str {
        &self.form_id
    }

    /// The tables of an export with these options: the submissions' first, then one per
    /// repeat (nested repeats too) in form order, each with its name and column headers.
    /// CSV and XLSX exports write exactly these; JSON lines key their fields by the same
    /// question headers.
    pub fn tables(&self, options: &ExportOptions) -> Vec<TableInfo> {
        self.tables
            .iter()
            .enumerate()
            .map(|(index, table)| TableInfo {
                name: table.name.clone(),
                headers: self.headers(index, options),
            })
            .collect()
    }

    pub(crate) fn table_list(&self) -> &[Table] {
        &self.tables
    }

    pub(crate) fn default_language(&self) -> Option<&Language> {
        self.default_language.as_ref()
    }

    /// The headers of one table, in the order its rows hold the cells.
    pub(crate) fn headers(&self, index: usize, options: &ExportOptions) -> Vec<String> {
        let Some(table) = self.tables.get(index) else {
            return Vec::new();
        };
        let mut headers = Vec::new();
        if index == 0 {
            headers.push("SubmissionDate".to_owned());
        }
        for entry in &table.entries {
            let Entry::Question(column) = entry else {
                continue;
            };
            let header = column.header(options).to_owned();
            if column.kind == Kind::SelectMultiple && options.split_select_multiple {
                let split: Vec<String> = column
                    .choices
                    .iter()
                    .map(|choice| format!("{header}/{}", choice.value))
                    .collect();
                headers.push(header);
                headers.extend(split);
            } else {
                headers.push(header);
            }
        }
        if index == 0 {
            headers.extend(
                [
                    "KEY",
                    "FormVersion",
                    "Association",
                    "DeviceID",
                    "InstanceName",
                ]
                .map(str::to_owned),
            );
            if options.review {
                headers.extend(["ReviewState", "Comments"].map(str::to_owned));
            }
            if options.judgement {
                headers.extend(["Complete", "Issues"].map(str::to_owned));
            }
        } else {
            headers.extend(["PARENT_KEY", "KEY"].map(str::to_owned));
        }
        headers
    }
}

impl Column {
    /// The header: the groups' names and the question's joined by `-` when
    /// `group_names`, the question's name alone otherwise.
    pub(crate) fn header(&self, options: &ExportOptions) -> &str {
        if options.group_names {
            &self.grouped
        } else {
            &self.name
        }
    }
}

impl Entry {
    /// The header of a question, the JSON key of a repeat.
    pub(crate) fn header(&self, options: &ExportOptions) -> &str {
        match self {
            Entry::Question(column) => column.header(options),
            Entry::Repeat { name, .. } if !options.group_names => name,
            Entry::Repeat { grouped, .. } => grouped,
        }
    }
}

/// A name preceded by the groups' around it, joined by `-`.
fn grouped(groups: &[String], name: &str) -> String {
    let mut header = String::new();
    for group in groups {
        header.push_str(group);
        header.push('-');
    }
    header.push_str(name);
    header
}

/// A table while versions are merged: entries in order, repeats holding their own.
#[derive(Debug)]
struct Node {
    entries: Vec<NodeEntry>,
}

#[derive(Debug)]
enum NodeEntry {
    Question(Column),
    Repeat {
        name: String,
        grouped: String,
        groups: Vec<String>,
        node: Node,
    },
}

impl NodeEntry {
    fn name(&self) -> &str {
        match self {
            NodeEntry::Question(column) => &column.name,
            NodeEntry::Repeat { name, .. } => name,
        }
    }
}

impl Node {
    fn position(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|entry| entry.name() == name)
    }

    fn collect_names(&self, names: &mut HashSet<String>) {
        for entry in &self.entries {
            names.insert(entry.name().to_owned());
            if let NodeEntry::Repeat { node, .. } = entry {
                node.collect_names(names);
            }
        }
    }
}

/// One version's items as a table: groups flattened into their questions' headers.
fn node_of(form: &Form, items: &[Item]) -> Node {
    let mut node = Node {
        entries: Vec::new(),
    };
    add_items(form, items, &mut Vec::new(), &mut node);
    node
}

fn add_items(form: &Form, items: &[Item], groups: &mut Vec<String>, node: &mut Node) {
    for item in items {
        match item {
            Item::Question(question) => {
                let Some(kind) = kind_of(&question.kind) else {
                    continue;
                };
                let choices: Vec<ChoiceDef> = question
                    .kind
                    .list()
                    .filter(|_| question.kind.is_select())
                    .and_then(|list| form.choice_list(list))
                    .map(|list| {
                        list.choices
                            .iter()
                            .map(|choice| ChoiceDef {
                                value: choice.value.to_string(),
                                label: choice.label.clone(),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let mut column = Column {
                    name: question.name.to_string(),
                    grouped: grouped(groups, question.name.as_str()),
                    groups: groups.clone(),
                    kind,
                    choices: Vec::new(),
                    choice_index: HashMap::new(),
                };
                column.add_choices(choices);
                node.entries.push(NodeEntry::Question(column));
            }
            Item::Group(group) => {
                groups.push(group.name.to_string());
                add_items(form, &group.items, groups, node);
                groups.pop();
            }
            Item::Repeat(repeat) => node.entries.push(NodeEntry::Repeat {
                name: repeat.name.to_string(),
                grouped: grouped(groups, repeat.name.as_str()),
                groups: groups.clone(),
                node: node_of(form, &repeat.items),
            }),
        }
    }
}

impl Column {
    /// Adds the choices whose values the column does not have yet, at the end.
    fn add_choices(&mut self, choices: Vec<ChoiceDef>) {
        for choice in choices {
            if !self.choice_index.contains_key(&choice.value) {
                self.choice_index
                    .insert(choice.value.clone(), self.choices.len());
                self.choices.push(choice);
            }
        }
    }
}

/// The column kind of a question type; `None` for a note, which has no value.
fn kind_of(kind: &QuestionType) -> Option<Kind> {
    Some(match kind {
        QuestionType::Note => return None,
        QuestionType::Integer => Kind::Integer,
        QuestionType::Decimal | QuestionType::Range(_) => Kind::Decimal,
        QuestionType::Date | QuestionType::Metadata(MetadataKind::Today) => Kind::Date,
        QuestionType::DateTime
        | QuestionType::Metadata(MetadataKind::Start | MetadataKind::End) => Kind::DateTime,
        QuestionType::SelectOne { .. } => Kind::SelectOne,
        QuestionType::SelectMultiple { .. } => Kind::SelectMultiple,
        QuestionType::Rank { .. } => Kind::Rank,
        _ => Kind::Text,
    })
}

/// Merges an older version's table into the merged one: what the merged table lacks is
/// inserted after the entry that precedes it in the older version.
fn merge(target: &mut Node, older: Node, known: &mut HashSet<String>) {
    // Where the next entry only the older version has goes: after this index of `target`.
    let mut after: Option<usize> = None;
    for entry in older.entries {
        if let Some(index) = target.position(entry.name()) {
            after = Some(index);
            match (&mut target.entries[index], entry) {
                (NodeEntry::Repeat { node, .. }, NodeEntry::Repeat { node: old, .. }) => {
                    merge(node, old, known);
                }
                // The newest type wins; only choices of the same kind of select are worth
                // keeping.
                (NodeEntry::Question(column), NodeEntry::Question(old))
                    if column.kind == old.kind =>
                {
                    column.add_choices(old.choices);
                }
                _ => {}
            }
            continue;
        }
        if known.contains(entry.name()) {
            // Newer versions moved it into another repeat: it lives there.
            continue;
        }
        let single = Node {
            entries: vec![entry],
        };
        single.collect_names(known);
        let index = after.map_or(0, |index| index + 1);
        target.entries.splice(index..index, single.entries);
        after = Some(index);
    }
}

/// Turns the merged tree into tables, depth first: a table, then its repeats' tables.
fn flatten(node: Node, name: String, tables: &mut Vec<Table>) -> usize {
    let index = tables.len();
    tables.push(Table {
        name,
        entries: Vec::new(),
        slots: HashMap::new(),
    });
    let mut entries = Vec::with_capacity(node.entries.len());
    for entry in node.entries {
        entries.push(match entry {
            NodeEntry::Question(column) => Entry::Question(column),
            NodeEntry::Repeat {
                name,
                grouped,
                groups,
                node,
            } => {
                let table = flatten(node, name.clone(), tables);
                Entry::Repeat {
                    name,
                    grouped,
                    groups,
                    table,
                }
            }
        });
    }
    let slots = entries
        .iter()
        .enumerate()
        .map(|(slot, entry)| {
            let name = match entry {
                Entry::Question(column) => column.name.clone(),
                Entry::Repeat { name, .. } => name.clone(),
            };
            (name, slot)
        })
        .collect();
    tables[index].entries = entries;
    tables[index].slots = slots;
    index
}
