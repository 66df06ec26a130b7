//! The documents of an OData 4.0 feed of one form, in the shape ODK Central serves, so that
//! Excel's and Power BI's "From OData feed" (and any OData client) read the submissions as
//! related tables:
//!
//! - the **service document** ([`OData::service_document`]): one entity set per table;
//! - the **metadata document** ([`OData::metadata`]): EDMX (CSDL XML, OData 4.0);
//! - the **rows** of an entity set for one submission ([`OData::rows`]), which a server
//!   pages into its data documents.
//!
//! # The model
//!
//! One entity set per table of the export's [`Schema`] (every version of the form):
//! `Submissions` for the submissions, and for each repeat `Submissions.<groups>.<repeat>`
//! (its path from the submission, groups included, joined by `.`; a nested repeat continues
//! its parent's name). Groups are complex types, so a row's JSON nests them as objects
//! (`{"personal": {"name": "Palesa"}}`); repeats are navigation properties of their parent,
//! written in a row as `<repeat>@odata.navigationLink` where the repeat stands.
//!
//! Every row has the key `__id`: a submission's id, or a repeat instance's KEY as the CSV
//! export writes it (`<id>/household[1]`, `<id>/household[1]/member[2]`). A repeat row also
//! has its parent's key in `__<parent set, dots as dashes>-id` (`__Submissions-id`,
//! `__Submissions-household-id`), the column Power BI and Excel join on. A submission's row
//! has `__system`: `submissionDate` (when it was made, UTC), `formVersion`, `association`,
//! `deviceId`, `instanceName`, `reviewState`, `complete` and `issues` (one per line).
//!
//! Types: `integer` answers are `Edm.Int64`, `decimal` and `range` `Edm.Decimal`, `date`
//! `Edm.Date`, `dateTime` (and `start`, `end`) `Edm.DateTimeOffset` with the offset the
//! device recorded; everything else is `Edm.String` (a select_multiple's values separated
//! by spaces, as ODK stores them). An answer that does not read as its type (a damaged row:
//! the server's engine judged every answer) is `null`, as is an unanswered question.
//! Notes have no value and no property.

use std::fmt::Write as _;

use letsema_answers::{Answer, Answers};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use quick_xml::escape::escape;
use serde_json::{Map, Value, json};

use crate::Submission;
use crate::rows::{
    instances, parse_date, parse_number, parse_with_offset, rfc3339_millis, selected, slots,
};
use crate::schema::{Column, Entry, Kind, Schema, Table};

/// The entity set of the submissions.
pub const SUBMISSIONS: &str = "Submissions";

/// The key property of every entity set.
pub const KEY: &str = "__id";

/// The namespace of the `__system` complex type (ODK Central's).
const SYSTEM_NAMESPACE: &str = "org.opendatakit.submission";

/// What a key keeps unencoded in a URL: letters, digits and `-_.~` (RFC 3986's
/// unreserved characters).
const KEY_ESCAPE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The OData model of one form's export schema.
#[derive(Debug, Clone)]
pub struct OData<'s> {
    schema: &'s Schema,
    sets: Vec<EntitySet>,
    /// Each entity set's properties, groups nested, made once (`shapes[set]`).
    shapes: Vec<Shape<'s>>,
    namespace: String,
}

/// One entity set: the submissions, or one repeat's instances.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitySet {
    /// `Submissions`, `Submissions.household`, `Submissions.family.household.member`.
    pub name: String,
    /// Its parent's entity set (an index into [`OData::entity_sets`]); none for the
    /// submissions.
    pub parent: Option<usize>,
    /// The property that holds the parent's key (`__Submissions-id`); none for the
    /// submissions.
    pub parent_key: Option<String>,
    /// Where it stands in a parent's row: the groups' names, then the repeat's.
    pub navigation: Vec<String>,
    /// The export schema's table.
    table: usize,
}

/// A table's properties with its groups as nested objects, in form order.
#[derive(Debug, Clone, Default)]
struct Shape<'s> {
    properties: Vec<(&'s str, Property<'s>)>,
}

#[derive(Debug, Clone)]
enum Property<'s> {
    Value(&'s Column, usize),
    Group(Shape<'s>),
    /// A repeat: the child entity set's index.
    Navigation(usize),
}

impl<'s> OData<'s> {
    /// The model of `schema`: its entity sets, in the schema's table order (the
    /// submissions first, then each repeat, depth first).
    pub fn new(schema: &'s Schema) -> Self {
        let mut sets = vec![EntitySet {
            name: SUBMISSIONS.to_owned(),
            parent: None,
            parent_key: None,
            navigation: Vec::new(),
            table: 0,
        }];
        let mut next = 0;
        while next < sets.len() {
            let parent = next;
            next += 1;
            let Some(table) = schema.table_list().get(sets[parent].table) else {
                continue;
            };
            for entry in &table.entries {
                let Entry::Repeat {
                    name,
                    groups,
                    table,
                    ..
                } = entry
                else {
                    continue;
                };
                let parent_name = sets[parent].name.clone();
                let mut navigation = groups.clone();
                navigation.push(name.clone());
                sets.push(EntitySet {
                    name: format!("{parent_name}.{}", navigation.join(".")),
                    parent: Some(parent),
                    parent_key: Some(format!("__{}-id", parent_name.replace('.', "-"))),
                    navigation,
                    table: *table,
                });
            }
        }
        let namespace = format!("org.opendatakit.user.{}", identifier(schema.form_id()));
        let mut odata = OData {
            schema,
            sets,
            shapes: Vec::new(),
            namespace,
        };
        let shapes = (0..odata.sets.len()).map(|set| odata.shape(set)).collect();
        odata.shapes = shapes;
        odata
    }

    /// The entity sets: the submissions' first.
    pub fn entity_sets(&self) -> &[EntitySet] {
        &self.sets
    }

    /// The index of the entity set called `name`.
    pub fn entity_set(&self, name: &str) -> Option<usize> {
        self.sets.iter().position(|set| set.name == name)
    }

    /// The child entity set of `parent` reached by `navigation` (groups' names, then the
    /// repeat's), as a navigation link names it.
    pub fn navigation(&self, parent: usize, navigation: &[String]) -> Option<usize> {
        self.sets
            .iter()
            .position(|set| set.parent == Some(parent) && set.navigation == navigation)
    }

    /// The service document: `base` is the service's URL (`…/forms.svc`, without a
    /// trailing slash).
    pub fn service_document(&self, base: &str) -> Value {
        let value: Vec<Value> = self
            .sets
            .iter()
            .map(|set| json!({"name": set.name, "kind": "EntitySet", "url": set.name}))
            .collect();
        json!({"@odata.context": format!("{base}/$metadata"), "value": value})
    }

    /// The metadata document (EDMX, OData 4.0): the `__system` complex type, an entity type
    /// per entity set with its groups as complex types and its repeats as navigation
    /// properties, and the container, which says what the service supports (minimal
    /// conformance: `$top`, `$skip`, `$count`; no filtering, sorting or expansion).
    pub fn metadata(&self) -> String {
        let mut xml = String::with_capacity(4096);
        xml.push_str(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <edmx:Edmx xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\" Version=\"4.0\">\n\
             <edmx:DataServices>\n",
        );
        let _ = write!(
            xml,
            "<Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"{SYSTEM_NAMESPACE}\">\n\
             <ComplexType Name=\"metadata\">\n\
             <Property Name=\"submissionDate\" Type=\"Edm.DateTimeOffset\"/>\n\
             <Property Name=\"formVersion\" Type=\"Edm.String\"/>\n\
             <Property Name=\"association\" Type=\"Edm.String\"/>\n\
             <Property Name=\"deviceId\" Type=\"Edm.String\"/>\n\
             <Property Name=\"instanceName\" Type=\"Edm.String\"/>\n\
             <Property Name=\"reviewState\" Type=\"Edm.String\"/>\n\
             <Property Name=\"complete\" Type=\"Edm.Boolean\"/>\n\
             <Property Name=\"issues\" Type=\"Edm.String\"/>\n\
             </ComplexType>\n\
             </Schema>\n"
        );
        let _ = writeln!(
            xml,
            "<Schema xmlns=\"http://docs.oasis-open.org/odata/ns/edm\" Namespace=\"{}\">",
            escape(&self.namespace)
        );
        for (index, set) in self.sets.iter().enumerate() {
            let Some(shape) = self.shapes.get(index) else {
                continue;
            };
            let _ = writeln!(xml, "<EntityType Name=\"{}\">", escape(&set.name));
            let _ = writeln!(
                xml,
                "<Key><PropertyRef Name=\"{KEY}\"/></Key>\n<Property Name=\"{KEY}\" Type=\"Edm.String\"/>"
            );
            if let Some(parent_key) = &set.parent_key {
                let _ = writeln!(
                    xml,
                    "<Property Name=\"{}\" Type=\"Edm.String\"/>",
                    escape(parent_key)
                );
            } else {
                let _ = writeln!(
                    xml,
                    "<Property Name=\"__system\" Type=\"{SYSTEM_NAMESPACE}.metadata\"/>"
                );
            }
            let mut complex = Vec::new();
            self.properties_xml(shape, &set.name, &mut xml, &mut complex);
            xml.push_str("</EntityType>\n");
            for (name, group) in complex {
                self.complex_type_xml(&name, group, &mut xml);
            }
        }
        let _ = writeln!(
            xml,
            "<EntityContainer Name=\"{}\">",
            identifier(self.schema.form_id())
        );
        for (index, set) in self.sets.iter().enumerate() {
            let _ = writeln!(
                xml,
                "<EntitySet Name=\"{}\" EntityType=\"{}.{}\">",
                escape(&set.name),
                escape(&self.namespace),
                escape(&set.name)
            );
            for child in self.sets.iter().filter(|child| child.parent == Some(index)) {
                let _ = writeln!(
                    xml,
                    "<NavigationPropertyBinding Path=\"{}\" Target=\"{}\"/>",
                    escape(child.navigation.join("/")),
                    escape(&child.name)
                );
            }
            xml.push_str(CAPABILITIES);
            xml.push_str("</EntitySet>\n");
        }
        xml.push_str("</EntityContainer>\n</Schema>\n</edmx:DataServices>\n</edmx:Edmx>\n");
        xml
    }

    /// The rows `submission` adds to entity set `set`, in document order; none for an
    /// unknown set.
    pub fn rows(&self, set: usize, submission: &Submission<'_>) -> Vec<Map<String, Value>> {
        let mut rows = Vec::new();
        self.rows_where(set, submission, None, &mut rows);
        rows
    }

    /// The rows of entity set `set` whose parent has key `parent_key` (a navigation link's
    /// target).
    pub fn children_of(
        &self,
        set: usize,
        submission: &Submission<'_>,
        parent_key: &str,
    ) -> Vec<Map<String, Value>> {
        let mut rows = Vec::new();
        self.rows_where(set, submission, Some(parent_key), &mut rows);
        rows
    }

    fn rows_where(
        &self,
        set: usize,
        submission: &Submission<'_>,
        parent_key: Option<&str>,
        rows: &mut Vec<Map<String, Value>>,
    ) {
        let Some(entity_set) = self.sets.get(set) else {
            return;
        };
        let Some(shape) = self.shapes.get(set) else {
            return;
        };
        let Some(table) = self.table(set) else {
            return;
        };
        for instance in self.instances(set, submission) {
            if parent_key.is_some_and(|key| instance.parent.as_deref() != Some(key)) {
                continue;
            }
            let found = slots(table, instance.answers);
            let mut row = Map::new();
            row.insert(KEY.to_owned(), Value::String(instance.key.clone()));
            if let (Some(property), Some(parent)) = (&entity_set.parent_key, &instance.parent) {
                row.insert(property.clone(), Value::String(parent.clone()));
            }
            self.fill(shape, &found, entity_set, &instance.key, &[], &mut row);
            if entity_set.parent.is_none() {
                row.insert("__system".to_owned(), system(submission));
            }
            rows.push(row);
        }
    }

    /// Every instance of entity set `set` in a submission: its answers, key and parent's
    /// key, in document order.
    fn instances<'a>(&self, set: usize, submission: &'a Submission<'_>) -> Vec<Instance<'a>> {
        let Some(entity_set) = self.sets.get(set) else {
            return Vec::new();
        };
        let Some(parent) = entity_set.parent else {
            return vec![Instance {
                answers: submission.answers,
                key: submission.id.to_owned(),
                parent: None,
            }];
        };
        let Some(parent_table) = self.table(parent) else {
            return Vec::new();
        };
        let Some(name) = entity_set.navigation.last() else {
            return Vec::new();
        };
        let Some(&slot) = parent_table.slots.get(name) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        for outer in self.instances(parent, submission) {
            let answer = slots(parent_table, outer.answers)
                .get(slot)
                .copied()
                .flatten();
            for (number, answers) in instances(answer).iter().enumerate() {
                found.push(Instance {
                    answers,
                    key: format!("{}/{name}[{}]", outer.key, number + 1),
                    parent: Some(outer.key.clone()),
                });
            }
        }
        found
    }

    fn table(&self, set: usize) -> Option<&'s Table> {
        let schema: &'s Schema = self.schema;
        self.sets
            .get(set)
            .and_then(|entity_set| schema.table_list().get(entity_set.table))
    }

    /// A table's properties, its groups nested.
    fn shape(&self, set: usize) -> Shape<'s> {
        let mut shape = Shape::default();
        let Some(table) = self.table(set) else {
            return shape;
        };
        for (slot, entry) in table.entries.iter().enumerate() {
            let (groups, name, property) = match entry {
                Entry::Question(column) => (
                    column.groups.as_slice(),
                    column.name.as_str(),
                    Property::Value(column, slot),
                ),
                Entry::Repeat { name, groups, .. } => {
                    let mut navigation = groups.clone();
                    navigation.push(name.clone());
                    let Some(child) = self.navigation(set, &navigation) else {
                        continue;
                    };
                    (
                        groups.as_slice(),
                        name.as_str(),
                        Property::Navigation(child),
                    )
                }
            };
            shape.insert(groups, name, property);
        }
        shape
    }

    /// The `<Property>` and `<NavigationProperty>` elements of a shape; its groups are
    /// added to `complex` as `(type name, shape)`.
    fn properties_xml<'a>(
        &self,
        shape: &'a Shape<'s>,
        type_name: &str,
        xml: &mut String,
        complex: &mut Vec<(String, &'a Shape<'s>)>,
    ) {
        for (name, property) in &shape.properties {
            match property {
                Property::Value(column, _) => {
                    let _ = writeln!(
                        xml,
                        "<Property Name=\"{}\" Type=\"{}\"/>",
                        escape(*name),
                        edm_type(column.kind)
                    );
                }
                Property::Group(group) => {
                    let group_type = format!("{type_name}.{name}");
                    let _ = writeln!(
                        xml,
                        "<Property Name=\"{}\" Type=\"{}.{}\"/>",
                        escape(*name),
                        escape(&self.namespace),
                        escape(&group_type)
                    );
                    complex.push((group_type, group));
                }
                Property::Navigation(child) => {
                    let Some(child) = self.sets.get(*child) else {
                        continue;
                    };
                    let _ = writeln!(
                        xml,
                        "<NavigationProperty Name=\"{}\" Type=\"Collection({}.{})\"/>",
                        escape(*name),
                        escape(&self.namespace),
                        escape(&child.name)
                    );
                }
            }
        }
    }

    /// A group's complex type, then its own groups'.
    fn complex_type_xml(&self, name: &str, shape: &Shape<'s>, xml: &mut String) {
        let _ = writeln!(xml, "<ComplexType Name=\"{}\">", escape(name));
        let mut complex = Vec::new();
        self.properties_xml(shape, name, xml, &mut complex);
        xml.push_str("</ComplexType>\n");
        for (inner, group) in complex {
            self.complex_type_xml(&inner, group, xml);
        }
    }

    /// A row's values, its groups as objects, its repeats as navigation links.
    fn fill(
        &self,
        shape: &Shape<'s>,
        found: &[Option<&Answer>],
        set: &EntitySet,
        key: &str,
        groups: &[&str],
        row: &mut Map<String, Value>,
    ) {
        for (name, property) in &shape.properties {
            match property {
                Property::Value(column, slot) => {
                    let answer = found.get(*slot).copied().flatten();
                    row.insert((*name).to_owned(), value(column, answer));
                }
                Property::Group(group) => {
                    let mut inner = Map::new();
                    let mut path = groups.to_vec();
                    path.push(name);
                    self.fill(group, found, set, key, &path, &mut inner);
                    row.insert((*name).to_owned(), Value::Object(inner));
                }
                Property::Navigation(_) => {
                    let mut link = format!("{}('{}')", set.name, key_literal(key));
                    for group in groups {
                        link.push('/');
                        link.push_str(group);
                    }
                    link.push('/');
                    link.push_str(name);
                    row.insert(format!("{name}@odata.navigationLink"), Value::String(link));
                }
            }
        }
    }
}

impl<'s> Shape<'s> {
    /// Adds a property inside its groups, making the groups it is the first of.
    fn insert(&mut self, groups: &'s [String], name: &'s str, property: Property<'s>) {
        let Some((group, rest)) = groups.split_first() else {
            self.properties.push((name, property));
            return;
        };
        let existing = self.properties.iter().position(|(existing, property)| {
            *existing == group.as_str() && matches!(property, Property::Group(_))
        });
        let position = existing.unwrap_or_else(|| {
            self.properties
                .push((group.as_str(), Property::Group(Shape::default())));
            self.properties.len() - 1
        });
        if let Some((_, Property::Group(inner))) = self.properties.get_mut(position) {
            inner.insert(rest, name, property);
        }
    }
}

/// One instance of an entity set in a submission.
struct Instance<'a> {
    answers: &'a Answers,
    key: String,
    parent: Option<String>,
}

/// A key as a URL's key predicate writes it between its quotes: single quotes doubled
/// (OData's string literal), then percent-encoded.
pub fn key_literal(key: &str) -> String {
    path_segment(&key.replace('\'', "''"))
}

/// Text as a URL's path segment: everything but RFC 3986's unreserved characters
/// percent-encoded.
pub fn path_segment(text: &str) -> String {
    utf8_percent_encode(text, KEY_ESCAPE).to_string()
}

/// What the container says about every entity set (ODK Central's annotations, with
/// filtering off: this service filters by nothing but the reader's associations).
const CAPABILITIES: &str = "<Annotation Term=\"Org.OData.Capabilities.V1.ConformanceLevel\" \
EnumMember=\"Org.OData.Capabilities.V1.ConformanceLevelType/Minimal\"/>\n\
<Annotation Term=\"Org.OData.Capabilities.V1.BatchSupported\" Bool=\"false\"/>\n\
<Annotation Term=\"Org.OData.Capabilities.V1.CountRestrictions\">\
<Record><PropertyValue Property=\"Countable\" Bool=\"true\"/></Record></Annotation>\n\
<Annotation Term=\"Org.OData.Capabilities.V1.FilterRestrictions\">\
<Record><PropertyValue Property=\"Filterable\" Bool=\"false\"/></Record></Annotation>\n\
<Annotation Term=\"Org.OData.Capabilities.V1.SortRestrictions\">\
<Record><PropertyValue Property=\"Sortable\" Bool=\"false\"/></Record></Annotation>\n\
<Annotation Term=\"Org.OData.Capabilities.V1.ExpandRestrictions\">\
<Record><PropertyValue Property=\"Expandable\" Bool=\"false\"/></Record></Annotation>\n";

/// The EDM type of a column.
fn edm_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Integer => "Edm.Int64",
        Kind::Decimal => "Edm.Decimal",
        Kind::Date => "Edm.Date",
        Kind::DateTime => "Edm.DateTimeOffset",
        Kind::Text | Kind::SelectOne | Kind::SelectMultiple | Kind::Rank => "Edm.String",
    }
}

/// A question's value as its EDM type's JSON; `null` when unanswered or unreadable.
fn value(column: &Column, answer: Option<&Answer>) -> Value {
    let Some(answer) = answer else {
        return Value::Null;
    };
    match column.kind {
        Kind::SelectMultiple | Kind::Rank => {
            let values = selected(answer);
            if values.is_empty() {
                Value::Null
            } else {
                Value::String(values.join(" "))
            }
        }
        kind => {
            let text = match answer {
                Answer::Value(text) if !text.trim().is_empty() => text.trim(),
                _ => return Value::Null,
            };
            match kind {
                Kind::Integer => text
                    .parse::<i64>()
                    .map_or(Value::Null, |number| Value::Number(number.into())),
                Kind::Decimal => parse_number(text)
                    .and_then(serde_json::Number::from_f64)
                    .map_or(Value::Null, Value::Number),
                Kind::Date => parse_date(text).map_or(Value::Null, |date| {
                    Value::String(date.format("%Y-%m-%d").to_string())
                }),
                Kind::DateTime => date_time_offset(text).map_or(Value::Null, Value::String),
                _ => Value::String(text.to_owned()),
            }
        }
    }
}

/// An ODK dateTime as `Edm.DateTimeOffset` (RFC 3339 with milliseconds and the offset the
/// device recorded); one without an offset is taken as UTC.
fn date_time_offset(text: &str) -> Option<String> {
    if let Some(moment) = parse_with_offset(text) {
        return Some(moment.format("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string());
    }
    chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|moment| {
            moment
                .and_utc()
                .format("%Y-%m-%dT%H:%M:%S%.3fZ")
                .to_string()
        })
}

/// A submission's `__system` object.
fn system(submission: &Submission<'_>) -> Value {
    json!({
        "submissionDate": rfc3339_millis(submission.created_at),
        "formVersion": submission.form_version,
        "association": submission.association,
        "deviceId": submission.device,
        "instanceName": submission.instance_name,
        "reviewState": submission.review_status,
        "complete": submission.complete,
        "issues": if submission.issues.is_empty() {
            Value::Null
        } else {
            Value::String(submission.issues.join("\n"))
        },
    })
}

/// A form id as an OData identifier: what is not a letter, digit or `_` becomes `_`, and a
/// leading digit gets a `_` before it.
fn identifier(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if out.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}
