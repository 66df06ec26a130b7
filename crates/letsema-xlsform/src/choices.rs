//! The choices and settings sheets.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use letsema_form::model::{
    Choice, ChoiceList, ChoiceValue, Expression, Form, FormId, Language, ListName, Media,
    SchemaVersion, Text,
};

use crate::check::{ExprSite, Records};
use crate::expr;
use crate::headers::{Key, SheetKind};
use crate::read::{Row, Workbook};
use crate::table::{Diags, Languages, Table};

/// The choice `or_other` adds to its list, as pyxform adds it: `other`, labelled "Other" (in
/// every language the list's labels are written in), at the end of each list an `or_other`
/// question uses, unless the list has an `other` choice already. A form with translations
/// is warned, as pyxform warns it, that the words it adds are not translated.
pub(crate) fn add_other_choices(form: &mut Form, records: &Records, diags: &mut Diags) {
    let Some((first, _)) = records.or_other.first() else {
        return;
    };
    if !form.languages().is_empty() {
        diags.warning(
            first,
            "this form uses `or_other` and translations: the `Other` choice and the \
             \"Specify other.\" question it adds are in English in every language; add an \
             `other` choice and a text question relevant when it is chosen, each translated, \
             instead",
        );
    }
    for (_, name) in &records.or_other {
        let Some(list) = form.choice_lists.iter_mut().find(|list| &list.name == name) else {
            // The list is missing: the check of every list a question names says so.
            continue;
        };
        if list
            .choices
            .iter()
            .any(|choice| choice.value.as_str() == OTHER)
        {
            continue;
        }
        let mut label = Text::plain("Other");
        let languages: BTreeSet<Language> = list
            .choices
            .iter()
            .flat_map(|choice| choice.label.translations.keys().cloned())
            .collect();
        for language in languages {
            label.translations.insert(language, "Other".to_owned());
        }
        list.choices.push(Choice {
            value: ChoiceValue::new(OTHER),
            label,
            media: Media::default(),
            properties: BTreeMap::new(),
        });
    }
}

/// The value of the choice `or_other` adds.
const OTHER: &str = "other";

/// Reads the choices sheet into lists, in the order the lists first appear.
pub(crate) fn read_choices(
    workbook: &Workbook,
    diags: &mut Diags,
    languages: &mut Languages,
) -> Vec<ChoiceList> {
    read_lists(workbook, CHOICES, diags, languages)
}

/// The sheet of the lists `select_one_external` reads (pyxform writes it out as
/// `itemsets.csv`, which Collect reads beside the form).
pub(crate) const EXTERNAL_CHOICES: &str = "external_choices";
const CHOICES: &str = "choices";

/// The name a list of the `external_choices` sheet has in the form: its own, marked, since
/// the two sheets' list names are apart (pyxform's `case_insensitivity` form has `c1` on
/// both).
pub(crate) fn external_list_name(list: &ListName) -> ListName {
    ListName::new(format!("{EXTERNAL_CHOICES}:{list}"))
}

/// The lists of the `external_choices` sheet that `select_one_external` questions name, put
/// with the form's other lists (named by [`external_list_name`]), so that the app asks
/// them as any select, filtered by their `choice_filter`. Lists no question names are left
/// out. pyxform does not check that sheet (it copies it to a CSV file), so a choice named
/// twice there is not refused.
pub(crate) fn add_external_choices(
    workbook: &Workbook,
    form: &mut Form,
    records: &Records,
    diags: &mut Diags,
    languages: &mut Languages,
) {
    if records.external.is_empty() {
        return;
    }
    if workbook.sheet(EXTERNAL_CHOICES).is_none() {
        for (site, _) in &records.external {
            diags.error(
                site,
                "`select_one_external` reads its choices from the `external_choices` sheet, \
                 which this form does not have: add that sheet, with `list_name`, `name` and \
                 `label` columns and the columns the choice filter reads",
            );
        }
        return;
    }
    let mut external = read_lists(workbook, EXTERNAL_CHOICES, diags, languages);
    let mut added: Vec<&ListName> = Vec::new();
    for (site, name) in &records.external {
        if added.contains(&name) {
            continue;
        }
        match external.iter().position(|list| &list.name == name) {
            Some(index) => {
                let mut list = external.swap_remove(index);
                list.name = external_list_name(name);
                form.choice_lists.push(list);
                added.push(name);
            }
            None => diags.error(
                site,
                format!(
                    "the list `{name}` is not on the `external_choices` sheet: add its choices \
                     there, with `{name}` in `list_name`"
                ),
            ),
        }
    }
}

/// Reads a sheet of choices (`choices`, `external_choices`) into lists, in the order the
/// lists first appear.
fn read_lists(
    workbook: &Workbook,
    sheet_name: &'static str,
    diags: &mut Diags,
    languages: &mut Languages,
) -> Vec<ChoiceList> {
    let Some(sheet) = workbook.sheet(sheet_name) else {
        return Vec::new();
    };
    let Some(table) = Table::new(sheet, SheetKind::Choices, diags) else {
        return Vec::new();
    };
    if !table.rows.is_empty() {
        for key in [Key::ListName, Key::Name] {
            if table.header(&key).is_none() {
                diags.sheet_error(
                    Some(table.name()),
                    format!(
                        "the {sheet_name} sheet has no `{}` column: its header row (row {}) \
                         needs `list_name`, `name` and `label` columns",
                        key.canonical(),
                        table.header_row
                    ),
                );
                return Vec::new();
            }
        }
    }
    let duplicates_allowed = sheet_name == EXTERNAL_CHOICES
        || setting(workbook, "allow_choice_duplicates").is_some_and(|value| {
            matches!(
                value.to_ascii_lowercase().as_str(),
                "yes" | "true" | "true()"
            )
        });
    let mut lists: Vec<ChoiceList> = Vec::new();
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    for row in &table.rows {
        let list = table.get(row, &Key::ListName);
        let value = table.get(row, &Key::Name);
        let (list, value) = match (list, value) {
            (Some(list), Some(value)) => (list, value),
            (None, _) => {
                diags.error(
                    &table.site(row, &Key::ListName),
                    "this choice has no list name: write in `list_name` the list it belongs to \
                     (the word after `select_one` in the survey)",
                );
                continue;
            }
            (Some(list), None) => {
                diags.error(
                    &table.site(row, &Key::Name),
                    format!(
                        "this choice of the list `{list}` has no name: write in `name` the \
                         value stored when it is chosen"
                    ),
                );
                continue;
            }
        };
        let label = table.text(row, &Key::Label, languages);
        let media = Media {
            image: table.text(row, &Key::Image, languages),
            big_image: table.text(row, &Key::BigImage, languages),
            audio: table.text(row, &Key::Audio, languages),
            video: table.text(row, &Key::Video, languages),
        };
        if label.is_empty() && media.is_empty() {
            // pyxform only warns: the choice shows its name.
            diags.warning(
                &table.site(row, &Key::Label),
                format!(
                    "the choice `{value}` of the list `{list}` has no label, so people see its \
                     name: write the text a person sees in the `label` column"
                ),
            );
        }
        match seen.get(&(list.to_owned(), value.to_owned())) {
            Some(earlier) if !duplicates_allowed => diags.error(
                &table.site(row, &Key::Name),
                format!(
                    "the list `{list}` already has a choice named `{value}` on row {earlier}: \
                     give each choice of a list its own name"
                ),
            ),
            Some(_) => {}
            None => {
                seen.insert((list.to_owned(), value.to_owned()), row.number);
            }
        }
        let properties: BTreeMap<String, String> = table
            .headers
            .iter()
            .filter(|header| header.key == Key::Other)
            .map(|header| (header.text.clone(), row.cell(header.index).to_owned()))
            .filter(|(_, value)| !value.is_empty())
            .collect();
        let choice = Choice {
            value: ChoiceValue::new(value),
            label,
            media,
            properties,
        };
        match lists.iter_mut().find(|existing| existing.name == list) {
            Some(existing) => existing.choices.push(choice),
            None => lists.push(ChoiceList {
                name: ListName::new(list),
                choices: vec![choice],
                from_file: None,
            }),
        }
    }
    lists
}

/// Reads the settings sheet into the form, deriving an id when there is none.
pub(crate) fn read_settings(
    workbook: &Workbook,
    form: &mut Form,
    diags: &mut Diags,
    languages: &mut Languages,
    records: &mut Records,
    file_stem: Option<&str>,
) {
    form.schema_version = SchemaVersion;
    let sheet = workbook.sheet("settings");
    let table = sheet.and_then(|sheet| Table::new(sheet, SheetKind::Settings, diags));
    let row = table.as_ref().and_then(|table| table.rows.first().copied());
    let get = |key: Key| -> Option<String> {
        let table = table.as_ref()?;
        table.get(row?, &key).map(str::to_owned)
    };
    let title = get(Key::FormTitle);
    form.version = get(Key::Version);
    form.default_language =
        get(Key::DefaultLanguage).map(|language| languages.canonical(&language));
    if let (Some(table), Some(row)) = (&table, row)
        && let Some(instance_name) = table.get(row, &Key::InstanceName)
    {
        let source = expr::straighten_quotes(instance_name);
        records.expressions.push(ExprSite {
            owner: None,
            site: table.site(row, &Key::InstanceName),
            column: "instance_name",
            source: source.clone().into_owned(),
            straightened: source != instance_name,
        });
        form.instance_name = Some(Expression::new(source));
    }
    let id = match get(Key::FormId) {
        Some(id) => id,
        None => {
            let (id, from) = match (file_stem, &title) {
                (Some(stem), _) if !stem.trim().is_empty() => {
                    (stem.trim().to_owned(), "the file's name")
                }
                (_, Some(title)) => (slug(title), "the title"),
                _ => ("form".to_owned(), "nothing better"),
            };
            diags.sheet_warning(
                sheet.map(|sheet| sheet.name.as_str()),
                format!(
                    "the settings give no `form_id`, so the form's id is `{id}`, taken from \
                     {from}: add a `settings` sheet with a `form_id` column so that the id \
                     does not change when the file is renamed"
                ),
            );
            id
        }
    };
    form.title = title.unwrap_or_else(|| id.clone());
    form.id = FormId::new(id);
}

/// A cell of the settings sheet's first row, by its header as written (any case).
fn setting<'a>(workbook: &'a Workbook, header: &str) -> Option<&'a str> {
    let sheet = workbook.sheet("settings")?;
    // The settings are read again later, with their diagnostics; these would be repeats.
    let table = Table::new(sheet, SheetKind::Settings, &mut Diags::default())?;
    let index = table
        .headers
        .iter()
        .find(|written| crate::headers::snake_case(&written.text) == header)?
        .index;
    let row: &'a Row = table.rows.first()?;
    Some(row.cell(index)).filter(|value| !value.is_empty())
}

fn slug(title: &str) -> String {
    let slug: String = title
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if slug.is_empty() {
        "form".to_owned()
    } else {
        slug
    }
}
