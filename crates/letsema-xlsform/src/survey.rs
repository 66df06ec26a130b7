//! The survey sheet: rows into a tree of items.

use std::collections::{BTreeMap, HashMap};

use letsema_form::model::{
    Appearance, Expression, FieldName, Form, Group, Item, ListName, Media, MetadataKind, Question,
    QuestionType, RangeParameters, Repeat, Text,
};

use crate::Diagnostic;
use crate::check::{self, ExprSite, ItemRecord, Records, TextSite};
use crate::choices;
use crate::expr;
use crate::files;
use crate::headers::{Key, SheetKind};
use crate::read::{Row, Workbook};
use crate::table::{Diags, Languages, Site, Table};

/// Builds the form from a workbook, with every diagnostic found on the way.
pub(crate) fn build(workbook: &Workbook, file_stem: Option<&str>) -> (Form, Vec<Diagnostic>) {
    let mut diags = Diags::default();
    let mut languages = Languages::default();
    let mut records = Records::default();
    let mut form = Form::default();

    let survey =
        match workbook.sheet("survey") {
            Some(sheet) => Some(sheet),
            // pyxform reads a workbook's only sheet as the survey, whatever its name.
            None => {
                match workbook.sheets.as_slice() {
                    [only] => {
                        diags.sheet_warning(
                    Some(&only.name),
                    format!(
                        "there is no sheet named `survey`, so the only sheet, `{}`, is read as \
                         the survey: rename it to `survey`",
                        only.name
                    ),
                );
                        Some(only)
                    }
                    sheets => {
                        let names: Vec<String> = sheets
                            .iter()
                            .map(|sheet| format!("`{}`", sheet.name))
                            .collect();
                        diags.sheet_error(
                    None,
                    format!(
                        "there is no sheet named `survey` (the sheets are: {}): add a sheet \
                         named `survey` with a `type`, a `name` and a `label` column and a row \
                         for each question",
                        if names.is_empty() { "none".to_owned() } else { names.join(", ") }
                    ),
                );
                        None
                    }
                }
            }
        };
    if let Some(sheet) = survey {
        match Table::new(sheet, SheetKind::Survey, &mut diags) {
            Some(table) => {
                form.items = Builder {
                    table: &table,
                    diags: &mut diags,
                    languages: &mut languages,
                    records: &mut records,
                    refused_begins: 0,
                }
                .items();
            }
            None => diags.sheet_error(
                Some(&sheet.name),
                "the survey sheet is empty: add a header row (`type`, `name`, `label`) and a \
                 row for each question",
            ),
        }
    }
    form.choice_lists = choices::read_choices(workbook, &mut diags, &mut languages);
    choices::add_external_choices(workbook, &mut form, &records, &mut diags, &mut languages);
    choices::add_other_choices(&mut form, &records, &mut diags);
    files::declare(&mut form, &records, &mut diags);
    choices::read_settings(
        workbook,
        &mut form,
        &mut diags,
        &mut languages,
        &mut records,
        file_stem,
    );
    check::run(&form, &records, &mut diags);

    let mut diagnostics = diags.0;
    let sheet_order = |name: &Option<String>| {
        name.as_ref().map_or(0, |name| {
            workbook
                .sheets
                .iter()
                .position(|sheet| &sheet.name == name)
                .map_or(usize::MAX, |position| position + 1)
        })
    };
    diagnostics.sort_by_key(|d| (sheet_order(&d.sheet), d.row.unwrap_or(0)));
    (form, diagnostics)
}

/// The constraint pyxform gives a `phone number` (its `question_type_dictionary.py`).
const PHONE_NUMBER_CONSTRAINT: &str = r"regex(., '^\d*$')";

/// What a `type` cell says.
#[derive(Debug, Clone, PartialEq)]
enum RowType {
    Question(QuestionType),
    Begin(Container),
    End(Container),
    /// `select_one_from_file places.csv`: choices from an attached file.
    FromFile {
        multiple: bool,
        file: String,
    },
    /// `csv-external NAME` or `xml-external NAME`: an attached file read with
    /// `instance('NAME')`, with the given extension.
    External(&'static str),
}

#[derive(Debug, Clone, PartialEq)]
enum Container {
    Group,
    Repeat,
    Loop(Option<ListName>),
}

impl Container {
    fn word(&self) -> &'static str {
        match self {
            Container::Group => "group",
            Container::Repeat => "repeat",
            Container::Loop(_) => "loop",
        }
    }
}

struct Frame {
    open: Open,
    begin: Site,
    /// Each name used in the group, and by what.
    names: HashMap<String, NameUse>,
}

/// What uses a name in a group.
#[derive(Debug, Clone, Copy)]
enum NameUse {
    /// The item of this row.
    Row(usize),
    /// The text question `or_other` on this row adds (`NAME_other`).
    OrOther(usize),
}

enum Open {
    Root(Vec<Item>),
    Group(Group),
    Repeat(Repeat),
}

impl Open {
    fn items(&mut self) -> &mut Vec<Item> {
        match self {
            Open::Root(items) => items,
            Open::Group(group) => &mut group.items,
            Open::Repeat(repeat) => &mut repeat.items,
        }
    }

    fn container(&self) -> Option<Container> {
        match self {
            Open::Root(_) => None,
            Open::Group(group) if group.loop_over.is_some() => Some(Container::Loop(None)),
            Open::Group(_) => Some(Container::Group),
            Open::Repeat(_) => Some(Container::Repeat),
        }
    }

    fn into_item(self) -> Option<Item> {
        match self {
            Open::Root(_) => None,
            Open::Group(group) => Some(Item::Group(group)),
            Open::Repeat(repeat) => Some(Item::Repeat(repeat)),
        }
    }
}

struct Builder<'t, 'a> {
    table: &'t Table<'a>,
    diags: &'t mut Diags,
    languages: &'t mut Languages,
    records: &'t mut Records,
    /// Rows refused whose type begins a group or repeat (`begin grop`): the `end` rows that
    /// close them are not reported as ending nothing, since the begin row's error is the one
    /// to fix.
    refused_begins: usize,
}

impl Builder<'_, '_> {
    fn items(mut self) -> Vec<Item> {
        if !self.table.has(&Key::Type) {
            self.diags.sheet_error(
                Some(self.table.name()),
                format!(
                    "the survey sheet has no `type` column (its header row, row {}, has: {}): \
                     add a `type` column giving each row's question type",
                    self.table.header_row,
                    self.table
                        .headers
                        .iter()
                        .map(|header| format!("`{}`", header.text))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            return Vec::new();
        }
        let mut stack = vec![Frame {
            open: Open::Root(Vec::new()),
            begin: self.table.row_site(&self.table.sheet.rows[0]),
            names: HashMap::new(),
        }];
        for row in &self.table.rows {
            self.row(row, &mut stack);
        }
        while stack.len() > 1 {
            let Some(frame) = stack.pop() else { break };
            let word = frame.open.container().map_or("group", |c| c.word());
            self.diags.error(
                &frame.begin,
                format!(
                    "the {word} begun here is never closed: add an `end {word}` row after its \
                     last question"
                ),
            );
            if let (Some(item), Some(parent)) = (frame.open.into_item(), stack.last_mut()) {
                parent.open.items().push(item);
            }
        }
        match stack.pop() {
            Some(Frame {
                open: Open::Root(items),
                ..
            }) => items,
            _ => Vec::new(),
        }
    }

    fn row(&mut self, row: &Row, stack: &mut Vec<Frame>) {
        let table = self.table;
        let Some(type_text) = table.get(row, &Key::Type) else {
            let label = table.text(row, &Key::Label, self.languages);
            if table.get(row, &Key::Name).is_some() || !label.is_empty() {
                self.diags.error(
                    &table.site(row, &Key::Type),
                    "this row has a name or a label but no type: give it a type such as \
                     `text`, `integer` or `select_one LIST`",
                );
                self.refuse(row);
            }
            return;
        };
        let row_type = match parse_type(type_text) {
            Ok(row_type) => row_type,
            Err(message) => {
                self.diags.error(&table.site(row, &Key::Type), message);
                self.refuse(row);
                if type_text
                    .trim()
                    .get(..5)
                    .is_some_and(|verb| verb.eq_ignore_ascii_case("begin"))
                {
                    self.refused_begins += 1;
                }
                return;
            }
        };
        match row_type {
            RowType::End(container) => self.end(row, container, stack),
            RowType::Begin(container) => self.begin(row, container, stack),
            RowType::Question(kind) => self.question(row, kind, stack),
            RowType::FromFile { multiple, file } => {
                self.select_from_file(row, multiple, file, stack)
            }
            RowType::External(extension) => self.external(row, extension, stack),
        }
    }

    /// `select_one_from_file FILE`: a select whose list, named after the file, is filled
    /// when the file is attached.
    fn select_from_file(&mut self, row: &Row, multiple: bool, file: String, stack: &mut [Frame]) {
        let site = self.table.site(row, &Key::Type);
        let (stem, extension) = file.rsplit_once('.').unwrap_or((file.as_str(), ""));
        if !matches!(
            extension.to_ascii_lowercase().as_str(),
            "csv" | "xml" | "geojson"
        ) || stem.is_empty()
        {
            self.diags.error(
                &site,
                format!(
                    "`{file}`: choices come from a .csv, .xml or .geojson file attached to the \
                     form; name the file with one of those extensions"
                ),
            );
            self.refuse(row);
            return;
        }
        let list = ListName::new(stem);
        self.records.files.push((site, file.clone(), list.clone()));
        let kind = if multiple {
            QuestionType::SelectMultiple {
                list,
                or_other: false,
            }
        } else {
            QuestionType::SelectOne {
                list,
                or_other: false,
            }
        };
        self.question(row, kind, stack);
    }

    /// `csv-external NAME`: no question, an attached file `NAME.csv` for `instance('NAME')`.
    fn external(&mut self, row: &Row, extension: &'static str, stack: &mut [Frame]) {
        let name = self.name(row, false, stack);
        // Not an item: `${name}` does not refer to it.
        self.records.items.pop();
        let site = self.table.site(row, &Key::Name);
        self.records.externals.push((
            site,
            name.as_str().to_owned(),
            format!("{name}.{extension}"),
        ));
    }

    /// Notes the name of a row refused with an error, so that references to it are not
    /// reported as referring to nothing.
    fn refuse(&mut self, row: &Row) {
        if let Some(name) = self.table.get(row, &Key::Name) {
            self.records.refused.push(name.to_owned());
        }
    }

    fn end(&mut self, row: &Row, container: Container, stack: &mut Vec<Frame>) {
        let site = self.table.site(row, &Key::Type);
        let open = stack.last().and_then(|frame| frame.open.container());
        let matches = match (&open, &container) {
            (Some(Container::Loop(_)), Container::Loop(_)) => true,
            (Some(open), container) => open == container,
            (None, _) => false,
        };
        if !matches && self.refused_begins > 0 {
            // It closes a refused `begin` row, whose own error says what to fix.
            self.refused_begins -= 1;
            return;
        }
        if !matches {
            let word = container.word();
            let message = match (open, stack.last()) {
                (Some(open), Some(frame)) => format!(
                    "`end {word}` here, but the innermost open item is the {} begun on row {}: \
                     end that one first with `end {}`, or delete this row",
                    open.word(),
                    frame.begin.row,
                    open.word()
                ),
                _ => format!(
                    "`end {word}` with no `begin {word}` before it: delete this row or add the \
                     `begin {word}` row where the {word} starts"
                ),
            };
            self.diags.error(&site, message);
            return;
        }
        if let Some(frame) = stack.pop()
            && let (Some(item), Some(parent)) = (frame.open.into_item(), stack.last_mut())
        {
            parent.open.items().push(item);
        }
    }

    fn begin(&mut self, row: &Row, container: Container, stack: &mut Vec<Frame>) {
        let table = self.table;
        let name = self.name(row, false, stack);
        let label = table.text(row, &Key::Label, self.languages);
        let hint = table.text(row, &Key::Hint, self.languages);
        let relevant = self.expression(row, &Key::Relevant, &name);
        let appearance = table.get(row, &Key::Appearance).map(Appearance::new);
        self.texts(row, &[Key::Label, Key::Hint]);
        let open = match container {
            Container::Group | Container::Loop(_) => {
                let loop_over = match container {
                    Container::Loop(list) => list,
                    _ => None,
                };
                if let Some(list) = &loop_over {
                    self.records
                        .lists
                        .push((table.site(row, &Key::Type), list.clone()));
                }
                Open::Group(Group {
                    name: name.clone(),
                    label,
                    hint,
                    relevant,
                    appearance,
                    loop_over,
                    items: Vec::new(),
                })
            }
            Container::Repeat => Open::Repeat(Repeat {
                name: name.clone(),
                label,
                hint,
                relevant,
                appearance,
                repeat_count: self.expression(row, &Key::RepeatCount, &name),
                items: Vec::new(),
            }),
        };
        stack.push(Frame {
            open,
            begin: table.site(row, &Key::Type),
            names: HashMap::new(),
        });
    }

    fn question(&mut self, row: &Row, mut kind: QuestionType, stack: &mut [Frame]) {
        let table = self.table;
        let name = self.name(row, kind == QuestionType::Note, stack);
        let text = |key: Key, languages: &mut Languages| table.text(row, &key, languages);
        let label = text(Key::Label, self.languages);
        let mut hint = text(Key::Hint, self.languages);
        // `phone number`: a text of digits, with pyxform's constraint and hint unless the
        // row has its own.
        let phone_number = table.get(row, &Key::Type).is_some_and(|written| {
            written
                .split_whitespace()
                .map(str::to_ascii_lowercase)
                .eq(["phone", "number"])
        });
        if phone_number && hint.is_empty() {
            hint = Text::plain("Enter numbers only.");
        }
        let media = Media {
            image: text(Key::Image, self.languages),
            big_image: text(Key::BigImage, self.languages),
            audio: text(Key::Audio, self.languages),
            video: text(Key::Video, self.languages),
        };
        self.texts(
            row,
            &[
                Key::Label,
                Key::Hint,
                Key::GuidanceHint,
                Key::ConstraintMessage,
                Key::RequiredMessage,
                Key::Default,
            ],
        );
        if !kind.is_silent() && label.is_empty() && hint.is_empty() && media.is_empty() {
            self.diags.error(
                &table.site(row, &Key::Label),
                format!(
                    "the question `{name}` has no label or hint, so a person would see nothing: \
                     write its text in the `label` column (or make it a `calculate` if it is \
                     never shown)"
                ),
            );
        }
        let parameters = match table.get(row, &Key::Parameters).map(parse_parameters) {
            Some(Ok(parameters)) => parameters,
            Some(Err(message)) => {
                self.diags
                    .error(&table.site(row, &Key::Parameters), message);
                BTreeMap::new()
            }
            None => BTreeMap::new(),
        };
        if let QuestionType::Range(range) = &mut kind {
            self.range(row, &parameters, range);
        }
        let choice_filter = self.expression(row, &Key::ChoiceFilter, &name);
        // `select_one_external`: a select over a list of the `external_choices` sheet,
        // filtered, as pyxform requires, by its choice filter.
        if let QuestionType::SelectOneExternal { list } = &kind {
            let site = table.site(row, &Key::Type);
            if choice_filter.is_none() {
                self.diags.error(
                    &site,
                    format!(
                        "`select_one_external` is for a list filtered by an earlier answer, \
                         but `{name}` has no choice filter: write one (such as `state = \
                         ${{state}}`), or make it a `select_one` with its list on the \
                         `choices` sheet"
                    ),
                );
            }
            self.records.external.push((site, list.clone()));
            kind = QuestionType::SelectOne {
                list: choices::external_list_name(list),
                or_other: false,
            };
        } else if let Some(list) = kind.list()
            && !matches!(kind, QuestionType::Osm { .. })
        {
            self.records
                .lists
                .push((table.site(row, &Key::Type), list.clone()));
        }
        if choice_filter.is_some() {
            let site = table.site(row, &Key::ChoiceFilter);
            if !kind.is_select() {
                self.diags.error(
                    &site,
                    format!(
                        "`{name}` is not a select, so a choice filter means nothing for it: \
                         delete the filter, or make the question a `select_one` or \
                         `select_multiple`"
                    ),
                );
            } else if matches!(
                kind,
                QuestionType::SelectOne { or_other: true, .. }
                    | QuestionType::SelectMultiple { or_other: true, .. }
            ) {
                self.diags.error(
                    &site,
                    "a choice filter cannot be used with `or_other`: add an `other` choice to \
                     the list and a text question relevant when it is chosen instead",
                );
            }
        }
        let calculation = self.expression(row, &Key::Calculation, &name);
        // A default may be an expression (ODK's dynamic defaults), so pyxform straightens
        // its quotes too.
        let default = table
            .get(row, &Key::Default)
            .map(|default| expr::straighten_quotes(default).into_owned());
        if kind == QuestionType::Calculate && calculation.is_none() && default.is_none() {
            self.diags.error(
                &table.site(row, &Key::Calculation),
                format!(
                    "the calculate `{name}` has no calculation: write the expression that \
                     computes it in the `calculation` column"
                ),
            );
        }
        let question = Question {
            label,
            hint,
            guidance_hint: text(Key::GuidanceHint, self.languages),
            media,
            required: self.flag(row, &Key::Required, &name),
            required_message: text(Key::RequiredMessage, self.languages),
            relevant: self.expression(row, &Key::Relevant, &name),
            constraint: self
                .expression(row, &Key::Constraint, &name)
                .or_else(|| phone_number.then(|| Expression::new(PHONE_NUMBER_CONSTRAINT))),
            constraint_message: text(Key::ConstraintMessage, self.languages),
            calculation,
            default,
            read_only: self.flag(row, &Key::ReadOnly, &name),
            choice_filter,
            appearance: table.get(row, &Key::Appearance).map(Appearance::new),
            parameters,
            trigger: self.expression(row, &Key::Trigger, &name),
            ..Question::new(name, kind, Text::default())
        };
        let select = question.name.clone();
        let or_other = match &question.kind {
            QuestionType::SelectOne {
                list,
                or_other: true,
            }
            | QuestionType::SelectMultiple {
                list,
                or_other: true,
            } => Some(list.clone()),
            _ => None,
        };
        if let Some(frame) = stack.last_mut() {
            frame.open.items().push(Item::Question(question));
        }
        if let Some(list) = or_other {
            self.or_other(row, &select, list, stack);
        }
    }

    /// What `or_other` adds, as pyxform adds it: an `other` choice at the end of the list
    /// (see [`choices::add_other_choices`]) and, after the select, a text question
    /// `NAME_other`, "Specify other.", relevant when `other` is chosen.
    fn or_other(&mut self, row: &Row, select: &FieldName, list: ListName, stack: &mut [Frame]) {
        let site = self.table.site(row, &Key::Type);
        self.records.or_other.push((site.clone(), list));
        let name = format!("{select}_other");
        let Some(frame) = stack.last_mut() else {
            return;
        };
        if let Some(NameUse::Row(earlier) | NameUse::OrOther(earlier)) = frame.names.get(&name) {
            self.diags.error(
                &site,
                format!(
                    "`or_other` adds a text question named `{name}` for the other answer, but \
                     row {earlier} already uses that name: rename the question on row {earlier}"
                ),
            );
            return;
        }
        frame
            .names
            .insert(name.clone(), NameUse::OrOther(row.number));
        let name = FieldName::new(name);
        let relevant = format!("selected(${{{select}}}, 'other')");
        self.records.expressions.push(ExprSite {
            owner: Some(name.clone()),
            site: site.clone(),
            column: Key::Relevant.canonical(),
            source: relevant.clone(),
            straightened: false,
        });
        self.records.items.push(ItemRecord {
            name: name.clone(),
            site,
        });
        frame.open.items().push(Item::Question(Question {
            relevant: Some(Expression::new(relevant)),
            ..Question::new(name, QuestionType::Text, Text::plain("Specify other."))
        }));
    }

    /// The row's name, checked and recorded; a placeholder after an error so that the rest
    /// of the row is still checked. Notes without a name get one, as pyxform gives them.
    fn name(&mut self, row: &Row, generate: bool, stack: &mut [Frame]) -> FieldName {
        let table = self.table;
        let site = table.site(row, &Key::Name);
        let Some(name) = table.get(row, &Key::Name) else {
            if generate {
                let name = format!("generated_note_name_{}", row.number);
                self.diags.warning(
                    &site,
                    format!(
                        "this note has no name, so it is named `{name}`, which changes when \
                         rows are added above it: give it a name"
                    ),
                );
                return FieldName::new(name);
            }
            self.diags.error(
                &site,
                "this row has no name: give it a name (letters, digits and underscores, \
                 starting with a letter), which is how its answer is stored and how \
                 `${name}` refers to it",
            );
            return FieldName::new(format!("unnamed_row_{}", row.number));
        };
        if !is_valid_name(name) {
            self.diags.error(
                &site,
                format!(
                    "`{name}` is not a valid name: a name starts with a letter or an underscore \
                     and has only letters, digits, underscores, hyphens and periods"
                ),
            );
        }
        if let Some(frame) = stack.last_mut() {
            if let Some(NameUse::OrOther(select)) = frame.names.get(name) {
                self.diags.error(
                    &site,
                    format!(
                        "the name `{name}` is taken by the text question that `or_other` on \
                         row {select} adds for the other answer: rename this question"
                    ),
                );
            } else if let Some(NameUse::Row(earlier)) = frame.names.get(name) {
                self.diags.error(
                    &site,
                    format!(
                        "the name `{name}` is already used on row {earlier} in the same \
                         group: names must differ so that answers are not mixed up; rename \
                         one of them"
                    ),
                );
            } else {
                frame
                    .names
                    .insert(name.to_owned(), NameUse::Row(row.number));
            }
        }
        let name = FieldName::new(name);
        self.records.items.push(ItemRecord {
            name: name.clone(),
            site,
        });
        name
    }

    /// An expression column's cell, with its curly quotes straightened as pyxform does.
    fn expression(&mut self, row: &Row, key: &Key, owner: &FieldName) -> Option<Expression> {
        let written = self.table.get(row, key)?;
        let source = expr::straighten_quotes(written);
        self.records.expressions.push(ExprSite {
            owner: Some(owner.clone()),
            site: self.table.site(row, key),
            column: key.canonical(),
            source: source.clone().into_owned(),
            straightened: source != written,
        });
        Some(Expression::new(source))
    }

    /// A yes/no column that may also hold an expression (`required`, `read_only`).
    fn flag(&mut self, row: &Row, key: &Key, owner: &FieldName) -> Option<Expression> {
        let value = self.table.get(row, key)?;
        match value.to_ascii_lowercase().as_str() {
            "yes" | "true" | "true()" => Some(Expression::new("true()")),
            "no" | "false" | "false()" => None,
            _ => self.expression(row, key, owner),
        }
    }

    fn texts(&mut self, row: &Row, keys: &[Key]) {
        for key in keys {
            for (site, value) in self.table.text_cells(row, key) {
                self.records.texts.push(TextSite {
                    site,
                    text: value.to_owned(),
                });
            }
        }
    }

    fn range(
        &mut self,
        row: &Row,
        parameters: &BTreeMap<String, String>,
        range: &mut RangeParameters,
    ) {
        let site = self.table.site(row, &Key::Parameters);
        for (key, slot) in [
            ("start", &mut range.start),
            ("end", &mut range.end),
            ("step", &mut range.step),
        ] {
            if let Some(value) = parameters.get(key) {
                match value.parse::<f64>() {
                    Ok(number) if number.is_finite() => *slot = number,
                    _ => self.diags.error(
                        &site,
                        format!("the range's `{key}` is `{value}`, not a number: write a number such as `{key}=1`"),
                    ),
                }
            }
        }
        if range.step == 0.0 {
            self.diags.error(
                &site,
                "the range's step is 0: give a step that is not 0, such as `step=1`",
            );
        }
    }
}

fn parse_type(text: &str) -> Result<RowType, String> {
    let normal = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let lower = normal.to_lowercase();
    for (verb, begin) in [("begin", true), ("end", false)] {
        let Some(rest) = lower
            .strip_prefix(verb)
            .filter(|rest| rest.starts_with([' ', '_']))
            .map(|rest| &rest[1..])
        else {
            continue;
        };
        let container = match rest {
            "group" => Container::Group,
            "repeat" | "looped group" | "lgroup" => Container::Repeat,
            "loop" if !begin => Container::Loop(None),
            _ => match rest.strip_prefix("loop ") {
                Some(list) => {
                    let list = list.strip_prefix("over ").unwrap_or(list);
                    // The list name keeps its case: take it from the original text.
                    let original = &normal[normal.len() - list.len()..];
                    Container::Loop(Some(ListName::new(original)))
                }
                None => break,
            },
        };
        return Ok(if begin {
            RowType::Begin(container)
        } else {
            RowType::End(container)
        });
    }
    for (prefix, multiple) in [
        ("select_one_from_file ", false),
        ("select one from file ", false),
        ("select_multiple_from_file ", true),
        ("select multiple from file ", true),
    ] {
        if lower.starts_with(prefix) {
            let file = normal[prefix.len()..].trim();
            if file.contains(' ') {
                return Err(format!(
                    "`{normal}`: after `{}` comes one file name, without spaces",
                    prefix.trim_end()
                ));
            }
            return Ok(RowType::FromFile {
                multiple,
                file: file.to_owned(),
            });
        }
    }
    match lower.as_str() {
        "csv-external" => return Ok(RowType::External("csv")),
        "xml-external" => return Ok(RowType::External("xml")),
        _ => {}
    }
    if let Some(kind) = select_type(&normal, &lower)? {
        return Ok(RowType::Question(kind));
    }
    simple_type(&lower).map(RowType::Question).ok_or_else(|| {
        if lower == "include" || lower.starts_with("include ") {
            format!(
                "unknown question type `{normal}`: pyxform's old `include` (a section from \
                 another file) is not supported; copy the section's rows into this survey"
            )
        } else if lower.starts_with("select_one_from_file")
            || lower.starts_with("select_multiple_from_file")
        {
            format!("`{normal}`: name the file the choices come from, such as `{lower} places.csv`")
        } else {
            format!(
                "unknown question type `{normal}`: use one of text, integer, decimal, date, \
                 time, dateTime, select_one LIST, select_multiple LIST, note, calculate, \
                 acknowledge, range, geopoint, begin group, end group, begin repeat, end repeat, \
                 or a metadata type (start, end, today, deviceid, username)"
            )
        }
    })
}

fn select_type(normal: &str, lower: &str) -> Result<Option<QuestionType>, String> {
    const PREFIXES: [(&str, u8); 17] = [
        ("add select one prompt using", 1),
        ("add select multiple prompt using", 2),
        ("select all that apply from", 2),
        ("select all that apply", 2),
        ("select multiple from", 2),
        ("select multiple using", 2),
        ("select one from", 1),
        ("select one using", 1),
        ("select_one_external", 3),
        ("select_one", 1),
        ("select one", 1),
        ("select1", 1),
        ("select_multiple", 2),
        ("select multiple", 2),
        ("rank", 4),
        ("osm", 5),
        ("q select", 2),
    ];
    for (prefix, kind) in PREFIXES {
        let Some(rest) = lower
            .strip_prefix(prefix)
            .filter(|rest| rest.starts_with(' '))
        else {
            continue;
        };
        let original = &normal[normal.len() - rest.len()..];
        let mut words = original.split_whitespace();
        let Some(list) = words.next() else { continue };
        let tail = words.collect::<Vec<_>>().join(" ").to_lowercase();
        let or_other = match tail.as_str() {
            "" => false,
            "or_other" | "or other" | "or specify other" => true,
            _ => {
                return Err(format!(
                    "`{normal}`: after the list name `{list}` only `or_other` may follow: \
                     list names have no spaces"
                ));
            }
        };
        if or_other && kind > 2 {
            return Err(format!(
                "`{normal}`: only select_one and select_multiple take `or_other`"
            ));
        }
        let list = ListName::new(list);
        return Ok(Some(match kind {
            1 => QuestionType::SelectOne { list, or_other },
            2 => QuestionType::SelectMultiple { list, or_other },
            3 => QuestionType::SelectOneExternal { list },
            4 => QuestionType::Rank { list },
            _ => QuestionType::Osm { list },
        }));
    }
    Ok(None)
}

fn simple_type(lower: &str) -> Option<QuestionType> {
    use MetadataKind as M;
    use QuestionType as T;
    Some(match lower {
        "text" | "string" | "add text prompt" | "q string" | "phone number" => T::Text,
        "integer" | "int" | "add integer prompt" | "q int" => T::Integer,
        "decimal" | "add decimal prompt" | "q decimal" => T::Decimal,
        "date" | "add date prompt" | "q date" => T::Date,
        "time" | "add time prompt" | "q time" => T::Time,
        "datetime"
        | "date time"
        | "add datetime prompt"
        | "add date time prompt"
        | "q datetime"
        | "q date time" => T::DateTime,
        "note" | "add note prompt" | "q note" => T::Note,
        "calculate" | "add calculate prompt" | "q calculate" => T::Calculate,
        "hidden" => T::Hidden,
        "acknowledge" | "trigger" | "add acknowledge prompt" | "q acknowledge" => T::Acknowledge,
        "range" => T::Range(RangeParameters::default()),
        "geopoint" | "gps" | "location" | "add location prompt" | "q location" | "q geopoint" => {
            T::Geopoint
        }
        "geotrace" => T::Geotrace,
        "geoshape" => T::Geoshape,
        "barcode" | "add barcode prompt" | "q barcode" => T::Barcode,
        "image" | "photo" | "add image prompt" | "add photo prompt" | "q image" | "q picture" => {
            T::Image
        }
        "audio" | "add audio prompt" | "q audio" => T::Audio,
        "video" | "add video prompt" | "q video" => T::Video,
        "file" | "add file prompt" => T::File,
        "start" | "start time" | "get start time" => T::Metadata(M::Start),
        "end" | "end time" | "get end time" => T::Metadata(M::End),
        "today" | "get today" => T::Metadata(M::Today),
        "deviceid" | "imei" | "device id" | "get device id" | "uri:deviceid" => {
            T::Metadata(M::DeviceId)
        }
        "username" | "uri:username" => T::Metadata(M::Username),
        "email" | "uri:email" => T::Metadata(M::Email),
        "phonenumber" | "get phone number" | "uri:phonenumber" => T::Metadata(M::PhoneNumber),
        "simserial" | "sim id" | "get sim id" | "uri:simserial" => T::Metadata(M::SimSerial),
        "subscriberid" | "subscriber id" | "get subscriber id" | "uri:subscriberid" => {
            T::Metadata(M::SubscriberId)
        }
        "start-geopoint" => T::Metadata(M::StartGeopoint),
        "audit" => T::Metadata(M::Audit),
        _ => return None,
    })
}

/// `start=0 end=10 step=1`, separated by spaces, commas or semicolons.
fn parse_parameters(text: &str) -> Result<BTreeMap<String, String>, String> {
    let mut normal = text.to_owned();
    while normal.contains(" =") || normal.contains("= ") {
        normal = normal.replace(" =", "=").replace("= ", "=");
    }
    let mut parameters = BTreeMap::new();
    for pair in normal
        .split(|c: char| c.is_whitespace() || c == ',' || c == ';')
        .filter(|pair| !pair.is_empty())
    {
        match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() && !value.is_empty() => {
                parameters.insert(key.to_lowercase(), value.to_owned());
            }
            _ => {
                return Err(format!(
                    "`{pair}` in the parameters is not `key=value`: write the parameters as \
                     `key=value` pairs separated by spaces, such as `start=0 end=10 step=1`"
                ));
            }
        }
    }
    Ok(parameters)
}

/// An XML element name, which is what a field becomes in a submission.
fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_alphabetic() || first == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn question(text: &str) -> QuestionType {
        match parse_type(text) {
            Ok(RowType::Question(kind)) => kind,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn types_are_read_with_pyxform_aliases() {
        let list = ListName::new;
        assert_eq!(
            question("select_one yes_no"),
            QuestionType::SelectOne {
                list: list("yes_no"),
                or_other: false
            }
        );
        assert_eq!(
            question("select one from sexes or specify other"),
            QuestionType::SelectOne {
                list: list("sexes"),
                or_other: true
            }
        );
        assert_eq!(
            question("select_one colors or_other"),
            QuestionType::SelectOne {
                list: list("colors"),
                or_other: true
            }
        );
        assert_eq!(
            question("select all that apply from toilet_type or specify other"),
            QuestionType::SelectMultiple {
                list: list("toilet_type"),
                or_other: true
            }
        );
        assert_eq!(
            question("select_multiple  Happy_Sad"),
            QuestionType::SelectMultiple {
                list: list("Happy_Sad"),
                or_other: false
            }
        );
        assert_eq!(question("dateTime"), QuestionType::DateTime);
        assert_eq!(question("int"), QuestionType::Integer);
        assert_eq!(question("gps"), QuestionType::Geopoint);
        assert_eq!(question("end"), QuestionType::Metadata(MetadataKind::End));
        assert_eq!(
            parse_type("begin_group"),
            Ok(RowType::Begin(Container::Group))
        );
        assert_eq!(
            parse_type("End Repeat"),
            Ok(RowType::End(Container::Repeat))
        );
        assert_eq!(
            parse_type("begin loop over toilet_type"),
            Ok(RowType::Begin(Container::Loop(Some(list("toilet_type")))))
        );
        assert_eq!(
            parse_type("end loop"),
            Ok(RowType::End(Container::Loop(None)))
        );
        assert!(parse_type("unknown").is_err());
        assert!(parse_type("select_one a b").is_err());
    }

    #[test]
    fn parameters_are_key_value_pairs() {
        let parsed = parse_parameters("start=0 end = 10, step=0.5").expect("valid");
        assert_eq!(parsed.get("end").map(String::as_str), Some("10"));
        assert_eq!(parsed.get("step").map(String::as_str), Some("0.5"));
        assert!(parse_parameters("start").is_err());
    }

    #[test]
    fn names_are_xml_names() {
        assert!(is_valid_name("_1"));
        assert!(is_valid_name("label-test"));
        assert!(is_valid_name("FALSE"));
        assert!(!is_valid_name("1st"));
        assert!(!is_valid_name("my name"));
    }
}
