//! The form definition: what an imported XLSForm says, as typed data.
//!
//! A [`Form`] is a tree of [`Item`]s (questions, groups and repeats) plus the choice lists
//! its selects draw from and the settings of the form. It is what the importer produces,
//! what the server publishes and what the browser downloads, so it serialises to JSON with
//! a `schema_version` that a reader checks before anything else.
//!
//! Expressions (`relevant`, `constraint`, `calculation`...) are kept as the author wrote
//! them, in [`Expression`]; the runtime compiles them.
//!
//! ```
//! use letsema_form::model::{Form, FormId, Item, Question, QuestionType, Text};
//!
//! let mut form = Form::new(FormId::new("demo"), "Demo");
//! form.items.push(Item::Question(Question::new(
//!     "age",
//!     QuestionType::Integer,
//!     Text::plain("How old are you?").with("Sesotho", "O na le lilemo tse kae?"),
//! )));
//! let age = form.find_question("age").expect("the question is there");
//! assert_eq!(age.label.get(Some("Sesotho"), None), Some("O na le lilemo tse kae?"));
//! assert_eq!(form.questions().next().map(|(path, _)| path.to_string()), Some("/age".into()));
//! ```

mod ids;
mod instance;
// Property tests need proptest, which is native only.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
mod text;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use ids::{
    Appearance, ChoiceValue, Expression, FieldName, FieldPath, FormId, ListName, QuestionName,
};
pub use instance::{DataInstance, DataNode};

pub use text::{Language, Media, Text};

/// The version of the JSON layout of [`Form`]. A reader refuses any other.
pub const SCHEMA_VERSION: u32 = 1;

/// The `schema_version` field: serialises as [`SCHEMA_VERSION`] and refuses any other
/// number when deserialised, so that an old engine never misreads a newer form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct SchemaVersion;

impl TryFrom<u32> for SchemaVersion {
    type Error = String;

    fn try_from(value: u32) -> Result<Self, Self::Error> {
        if value == SCHEMA_VERSION {
            Ok(SchemaVersion)
        } else {
            Err(format!(
                "this form definition has schema_version {value}, but this engine reads only \
                 version {SCHEMA_VERSION}: update the engine or re-import the form"
            ))
        }
    }
}

impl From<SchemaVersion> for u32 {
    fn from(_: SchemaVersion) -> u32 {
        SCHEMA_VERSION
    }
}

/// A form definition.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Form {
    /// Always [`SCHEMA_VERSION`] in JSON.
    pub schema_version: SchemaVersion,
    /// `form_id` on the settings sheet.
    pub id: FormId,
    /// `form_title` on the settings sheet.
    pub title: String,
    /// `version` on the settings sheet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `default_language` on the settings sheet: the language shown when none is asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_language: Option<Language>,
    /// `instance_name` on the settings sheet: how a submission is named in lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance_name: Option<Expression>,
    /// The survey sheet, as a tree.
    #[serde(default)]
    pub items: Vec<Item>,
    /// The choices sheet, one entry per list, in the order the lists first appear.
    #[serde(default)]
    pub choice_lists: Vec<ChoiceList>,
    /// Secondary instances other than the choice lists: attached CSV and XML files, an
    /// XForm's inline instances. Expressions read them with `instance('id')/…`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<DataInstance>,
    /// The name of the instance's root element, which absolute paths begin with
    /// (`/data/age`); `None` means `data`, as pyxform writes. An XForm names its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_name: Option<String>,
}

/// One row of the survey sheet, or a group or repeat with the rows between its `begin` and
/// `end`.
// Questions are much larger than groups, but a form has a few hundred items at most and
// boxing them would burden every `match` in the engine for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    /// A question, a note, a calculation or a metadata field.
    Question(Question),
    /// `begin group` ... `end group`.
    Group(Group),
    /// `begin repeat` ... `end repeat`.
    Repeat(Repeat),
}

/// A question: anything that has a value in a submission (notes included, whose value is
/// always empty).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Question {
    /// `name`.
    pub name: FieldName,
    /// `type`.
    #[serde(rename = "type")]
    pub kind: QuestionType,
    /// `label`, in every language.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub label: Text,
    /// `hint`.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub hint: Text,
    /// `guidance_hint`: longer help shown on request.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub guidance_hint: Text,
    /// `image`, `audio`, `video`, `big-image`.
    #[serde(default, skip_serializing_if = "Media::is_empty")]
    pub media: Media,
    /// `required`: `yes` becomes `true()`; absent or `no` means not required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<Expression>,
    /// `required_message`.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub required_message: Text,
    /// `relevant`: the question is asked only when this is true.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<Expression>,
    /// `constraint`: an answer is valid only when this is true (`.` is the answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraint: Option<Expression>,
    /// `constraint_message`.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub constraint_message: Text,
    /// `calculation`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calculation: Option<Expression>,
    /// `default`, as written: a literal value, or an expression when it refers to other
    /// fields or calls functions (the runtime decides which).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// `read_only`: `yes` becomes `true()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_only: Option<Expression>,
    /// `choice_filter`: a choice is offered only when this is true for it (its columns are
    /// readable by name, as in `country = ${country}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice_filter: Option<Expression>,
    /// `appearance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appearance: Option<Appearance>,
    /// `parameters`, as `key=value` pairs (`start=0 end=10 step=1` for a range).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// `trigger`: the fields (`${name}`, one or more) whose change recomputes this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<Expression>,
}

/// What kind of answer a question takes, with what the kind needs (a choice list, range
/// bounds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QuestionType {
    /// `text` (aliases `string`, `phone number`).
    Text,
    /// `integer` (alias `int`).
    Integer,
    /// `decimal`.
    Decimal,
    /// `date`.
    Date,
    /// `time`.
    Time,
    /// `dateTime`.
    #[serde(rename = "datetime")]
    DateTime,
    /// `select_one LIST`, with `or_other` adding an "Other" choice and a text for it.
    SelectOne {
        /// The list on the choices sheet.
        list: ListName,
        /// Whether an "Other" choice is added.
        #[serde(default)]
        or_other: bool,
    },
    /// `select_multiple LIST`.
    SelectMultiple {
        /// The list on the choices sheet.
        list: ListName,
        /// Whether an "Other" choice is added.
        #[serde(default)]
        or_other: bool,
    },
    /// `select_one_external LIST`: choices from the `external_choices` sheet, served as a
    /// file; Letsema does not use that sheet, so the list is only recorded.
    SelectOneExternal {
        /// The list on the `external_choices` sheet.
        list: ListName,
    },
    /// `rank LIST`: order the choices.
    Rank {
        /// The list on the choices sheet.
        list: ListName,
    },
    /// `osm LIST`: an OpenStreetMap feature, tagged with the tags of a list on the `osm`
    /// sheet; Letsema does not read that sheet, so the list is only recorded.
    Osm {
        /// The list on the `osm` sheet.
        list: ListName,
    },
    /// `note`: a label shown, no answer.
    Note,
    /// `calculate`: a value computed from `calculation`, never shown.
    Calculate,
    /// `hidden`: a value never shown, set by a default.
    Hidden,
    /// `acknowledge` (alias `trigger`): a box to tick, storing `OK`.
    Acknowledge,
    /// `range`: a number picked on a scale.
    Range(RangeParameters),
    /// `geopoint` (alias `gps`).
    Geopoint,
    /// `geotrace`.
    Geotrace,
    /// `geoshape`.
    Geoshape,
    /// `barcode`.
    Barcode,
    /// `image` (alias `photo`).
    Image,
    /// `audio`.
    Audio,
    /// `video`.
    Video,
    /// `file`.
    File,
    /// A value the device fills in by itself (`start`, `end`, `today`, `deviceid`...).
    Metadata(MetadataKind),
}

/// The parameters of a `range` question.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RangeParameters {
    /// The lowest value (`start`, default 1).
    pub start: f64,
    /// The highest value (`end`, default 10).
    pub end: f64,
    /// The distance between two values (`step`, default 1).
    pub step: f64,
}

impl Default for RangeParameters {
    fn default() -> Self {
        Self {
            start: 1.0,
            end: 10.0,
            step: 1.0,
        }
    }
}

/// Values a device records without asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetadataKind {
    /// When the form was opened.
    Start,
    /// When the form was last saved.
    End,
    /// The day the form was opened.
    Today,
    /// The device's id.
    DeviceId,
    /// The enumerator's user name.
    Username,
    /// The enumerator's e-mail address.
    Email,
    /// The phone number of the device, where the platform tells it.
    PhoneNumber,
    /// The SIM's serial number, where the platform tells it.
    SimSerial,
    /// The subscriber id, where the platform tells it.
    SubscriberId,
    /// Where the device was when the form was opened.
    StartGeopoint,
    /// A log of what the enumerator did.
    Audit,
}

/// `begin group` ... `end group`: items shown together, made relevant together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// `name`.
    pub name: FieldName,
    /// `label`.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub label: Text,
    /// `hint`.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub hint: Text,
    /// `relevant`: none of the items is asked when this is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<Expression>,
    /// `appearance`; `field-list` shows the items on one screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appearance: Option<Appearance>,
    /// pyxform's obsolete `begin loop over LIST`: the items are asked once for each choice
    /// of the list. `None` for an ordinary group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub loop_over: Option<ListName>,
    /// The items between `begin` and `end`.
    #[serde(default)]
    pub items: Vec<Item>,
}

/// `begin repeat` ... `end repeat`: items asked any number of times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Repeat {
    /// `name`.
    pub name: FieldName,
    /// `label`.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub label: Text,
    /// `hint`.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub hint: Text,
    /// `relevant`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relevant: Option<Expression>,
    /// `appearance`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub appearance: Option<Appearance>,
    /// `repeat_count`: how many times, fixed by the form rather than by the enumerator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repeat_count: Option<Expression>,
    /// The items between `begin` and `end`.
    #[serde(default)]
    pub items: Vec<Item>,
}

/// One list of the choices sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceList {
    /// `list_name`.
    pub name: ListName,
    /// The rows with this list name, in order.
    pub choices: Vec<Choice>,
    /// For a list read from a file attached to the form (`select_one_from_file`, an XForm's
    /// itemset over an external instance): which file and which of its columns. The
    /// choices are filled in when the file is attached; until then the list is empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_file: Option<FileChoices>,
}

/// Where a [`ChoiceList`] read from an attached file takes its choices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChoices {
    /// The file's name as the form writes it (`places.csv`, `wards.xml`, `sites.geojson`).
    pub file: String,
    /// The column (CSV), child element (XML) or property (GeoJSON) giving each choice's
    /// value: `name` unless the question's `parameters` say `value=…`.
    pub value: String,
    /// The column giving each choice's label: `label` unless `parameters` say `label=…`.
    pub label: String,
}

/// One row of the choices sheet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// `name`: the value stored.
    pub value: ChoiceValue,
    /// `label`, in every language.
    #[serde(default, skip_serializing_if = "Text::is_empty")]
    pub label: Text,
    /// `image`, `audio`, `video`, `big-image`.
    #[serde(default, skip_serializing_if = "Media::is_empty")]
    pub media: Media,
    /// Every other column (such as `country`), which choice filters read.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub properties: BTreeMap<String, String>,
}

impl Form {
    /// An empty form with an id and a title.
    pub fn new(id: FormId, title: impl Into<String>) -> Self {
        Self {
            schema_version: SchemaVersion,
            id,
            title: title.into(),
            ..Self::default()
        }
    }

    /// Every item, depth first in form order, with its path.
    pub fn items_depth_first(&self) -> impl Iterator<Item = (FieldPath, &Item)> {
        let mut out = Vec::new();
        walk(&self.items, &FieldPath::root(), &mut out);
        out.into_iter()
    }

    /// Every question, depth first in form order, with its path.
    pub fn questions(&self) -> impl Iterator<Item = (FieldPath, &Question)> {
        self.items_depth_first()
            .filter_map(|(path, item)| match item {
                Item::Question(question) => Some((path, question)),
                Item::Group(_) | Item::Repeat(_) => None,
            })
    }

    /// The first question with this name, in form order.
    pub fn find_question(&self, name: &str) -> Option<&Question> {
        self.questions()
            .map(|(_, question)| question)
            .find(|question| question.name == name)
    }

    /// The first item (question, group or repeat) with this name, with its path.
    pub fn find_item(&self, name: &str) -> Option<(FieldPath, &Item)> {
        self.items_depth_first()
            .find(|(_, item)| item.name() == name)
    }

    /// The name of the instance's root element: [`Form::root_name`], or `data`.
    pub fn root_element(&self) -> &str {
        self.root_name.as_deref().unwrap_or("data")
    }

    /// The secondary instance `instance('id')` names, other than a choice list.
    pub fn instance(&self, id: &str) -> Option<&DataInstance> {
        self.instances.iter().find(|instance| instance.id == id)
    }

    /// The choice list with this name.
    pub fn choice_list(&self, name: &ListName) -> Option<&ChoiceList> {
        self.choice_lists.iter().find(|list| &list.name == name)
    }

    /// Every language any text of the form is written in, the default language first, then
    /// in the order they first appear.
    pub fn languages(&self) -> Vec<Language> {
        let mut languages: Vec<Language> = self.default_language.iter().cloned().collect();
        let mut add = |text: &Text| {
            for language in text.translations.keys() {
                if !languages.contains(language) {
                    languages.push(language.clone());
                }
            }
        };
        for (_, item) in self.items_depth_first() {
            item.texts().into_iter().for_each(&mut add);
        }
        for choice in self.choice_lists.iter().flat_map(|list| &list.choices) {
            add(&choice.label);
            choice.media.texts().into_iter().for_each(&mut add);
        }
        languages
    }
}

impl Item {
    /// The item's name.
    pub fn name(&self) -> &FieldName {
        match self {
            Item::Question(question) => &question.name,
            Item::Group(group) => &group.name,
            Item::Repeat(repeat) => &repeat.name,
        }
    }

    /// The item's label.
    pub fn label(&self) -> &Text {
        match self {
            Item::Question(question) => &question.label,
            Item::Group(group) => &group.label,
            Item::Repeat(repeat) => &repeat.label,
        }
    }

    /// The item's `relevant` expression.
    pub fn relevant(&self) -> Option<&Expression> {
        match self {
            Item::Question(question) => question.relevant.as_ref(),
            Item::Group(group) => group.relevant.as_ref(),
            Item::Repeat(repeat) => repeat.relevant.as_ref(),
        }
    }

    /// The items inside a group or repeat; empty for a question.
    pub fn children(&self) -> &[Item] {
        match self {
            Item::Question(_) => &[],
            Item::Group(group) => &group.items,
            Item::Repeat(repeat) => &repeat.items,
        }
    }

    /// Every translatable text of the item itself (not of its children).
    pub fn texts(&self) -> Vec<&Text> {
        match self {
            Item::Question(q) => {
                let mut texts = vec![
                    &q.label,
                    &q.hint,
                    &q.guidance_hint,
                    &q.required_message,
                    &q.constraint_message,
                ];
                texts.extend(q.media.texts());
                texts
            }
            Item::Group(group) => vec![&group.label, &group.hint],
            Item::Repeat(repeat) => vec![&repeat.label, &repeat.hint],
        }
    }

    /// Every expression of the item itself, with the column it comes from.
    pub fn expressions(&self) -> Vec<(&'static str, &Expression)> {
        let pairs: Vec<(&'static str, Option<&Expression>)> = match self {
            Item::Question(q) => vec![
                ("required", q.required.as_ref()),
                ("relevant", q.relevant.as_ref()),
                ("constraint", q.constraint.as_ref()),
                ("calculation", q.calculation.as_ref()),
                ("read_only", q.read_only.as_ref()),
                ("choice_filter", q.choice_filter.as_ref()),
                ("trigger", q.trigger.as_ref()),
            ],
            Item::Group(group) => vec![("relevant", group.relevant.as_ref())],
            Item::Repeat(repeat) => vec![
                ("relevant", repeat.relevant.as_ref()),
                ("repeat_count", repeat.repeat_count.as_ref()),
            ],
        };
        pairs
            .into_iter()
            .filter_map(|(column, expression)| expression.map(|e| (column, e)))
            .collect()
    }
}

impl Question {
    /// A question with a name, a type and a label, and nothing else set.
    pub fn new(name: impl Into<FieldName>, kind: QuestionType, label: Text) -> Self {
        Self {
            name: name.into(),
            kind,
            label,
            hint: Text::default(),
            guidance_hint: Text::default(),
            media: Media::default(),
            required: None,
            required_message: Text::default(),
            relevant: None,
            constraint: None,
            constraint_message: Text::default(),
            calculation: None,
            default: None,
            read_only: None,
            choice_filter: None,
            appearance: None,
            parameters: BTreeMap::new(),
            trigger: None,
        }
    }
}

impl QuestionType {
    /// The choice list a select draws from.
    pub fn list(&self) -> Option<&ListName> {
        match self {
            QuestionType::SelectOne { list, .. }
            | QuestionType::SelectMultiple { list, .. }
            | QuestionType::SelectOneExternal { list }
            | QuestionType::Rank { list }
            | QuestionType::Osm { list } => Some(list),
            _ => None,
        }
    }

    /// Whether this is a select of any kind, the only questions a `choice_filter` applies to.
    pub fn is_select(&self) -> bool {
        self.list().is_some() && !matches!(self, QuestionType::Osm { .. })
    }

    /// Whether a person never sees the question, so that it needs no label.
    pub fn is_silent(&self) -> bool {
        matches!(
            self,
            QuestionType::Calculate | QuestionType::Hidden | QuestionType::Metadata(_)
        )
    }
}

fn walk<'a>(items: &'a [Item], parent: &FieldPath, out: &mut Vec<(FieldPath, &'a Item)>) {
    for item in items {
        let path = parent.child(item.name());
        out.push((path.clone(), item));
        walk(item.children(), &path, out);
    }
}
