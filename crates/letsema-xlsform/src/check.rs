//! Checks that need the whole form: references between fields, choice lists, expression
//! syntax and cycles between calculations.

use std::collections::{BTreeSet, HashMap};

use letsema_form::model::{FieldName, Form, ListName};

use crate::Severity;
use crate::expr::{self, Reference};
use crate::table::{Diags, Site};

/// What the sheets' readers noted for these checks.
#[derive(Debug, Default)]
pub(crate) struct Records {
    /// Every named item.
    pub(crate) items: Vec<ItemRecord>,
    /// Every expression cell.
    pub(crate) expressions: Vec<ExprSite>,
    /// Every text cell that may embed `${name}`.
    pub(crate) texts: Vec<TextSite>,
    /// Every choice list a question or loop names.
    pub(crate) lists: Vec<(Site, ListName)>,
    /// Every `select_one_external LIST` row: where, and its list (of `external_choices`).
    pub(crate) external: Vec<(Site, ListName)>,
    /// Every `select_one LIST or_other` (and `select_multiple`) row: where, and its list.
    pub(crate) or_other: Vec<(Site, ListName)>,
    /// The names of rows refused with an error (an unknown type, no type), which are not
    /// items. A reference to one is not reported: the row's own error is the real one, and
    /// "refers to nothing" would send the author looking for a question that is there.
    pub(crate) refused: Vec<String>,
    /// Every `select_one_from_file FILE` row: where, the file, the list named after it.
    pub(crate) files: Vec<(Site, String, ListName)>,
    /// Every `csv-external`/`xml-external` row: where, the instance's id, the file.
    pub(crate) externals: Vec<(Site, String, String)>,
}

#[derive(Debug)]
pub(crate) struct ItemRecord {
    pub(crate) name: FieldName,
    pub(crate) site: Site,
}

#[derive(Debug)]
pub(crate) struct ExprSite {
    /// The item the expression belongs to; `None` for the settings' `instance_name`.
    pub(crate) owner: Option<FieldName>,
    pub(crate) site: Site,
    pub(crate) column: &'static str,
    /// The cell with its curly quotes straightened.
    pub(crate) source: String,
    /// Whether the cell as written had curly quotes.
    pub(crate) straightened: bool,
}

#[derive(Debug)]
pub(crate) struct TextSite {
    pub(crate) site: Site,
    pub(crate) text: String,
}

pub(crate) fn run(form: &Form, records: &Records, diags: &mut Diags) {
    let mut names: HashMap<&str, Vec<&Site>> = HashMap::new();
    for item in &records.items {
        names
            .entry(item.name.as_str())
            .or_default()
            .push(&item.site);
    }
    for refused in &records.refused {
        names.entry(refused.as_str()).or_default();
    }
    for (site, list) in &records.lists {
        if form.choice_list(list).is_none() {
            diags.error(
                site,
                format!(
                    "the choice list `{list}` is not on the choices sheet: add rows with \
                     list_name `{list}` to the `choices` sheet, or correct the list's name here"
                ),
            );
        }
    }
    let mut calculations: HashMap<&str, (Vec<String>, &Site)> = HashMap::new();
    for site in &records.expressions {
        let owner = site
            .owner
            .as_ref()
            .map_or_else(|| "the form".to_owned(), |owner| format!("`{owner}`"));
        match expr::check_expression(&site.source) {
            Ok(references) => {
                check_references(&site.site, &site.source, &references, &names, diags);
                if site.column == "calculation"
                    && let Some(owner) = &site.owner
                {
                    let names = references.into_iter().map(|r| r.name).collect();
                    calculations.insert(owner.as_str(), (names, &site.site));
                }
            }
            Err(error) => {
                let character = expr::character_at(&site.source, error.span.start);
                diags.push(
                    Severity::Error,
                    &site.site,
                    Some(character),
                    format!(
                        "the {} of {owner} is not a valid expression, at character \
                         {character} of `{}`{}: {}",
                        site.column,
                        site.source,
                        if site.straightened {
                            " (its curly quotes read as straight ones, as pyxform reads them)"
                        } else {
                            ""
                        },
                        error.message
                    ),
                );
            }
        }
    }
    for site in &records.texts {
        let references = expr::text_references(&site.text);
        check_references(&site.site, &site.text, &references, &names, diags);
    }
    cycles(&calculations, diags);
}

fn check_references(
    site: &Site,
    source: &str,
    references: &[Reference],
    names: &HashMap<&str, Vec<&Site>>,
    diags: &mut Diags,
) {
    for reference in references {
        let character = Some(expr::character_at(source, reference.span.start));
        let name = &reference.name;
        match names.get(name.as_str()).map(Vec::as_slice) {
            // A name only a refused row has: that row's error says what to fix.
            Some([]) => {}
            None => diags.push(
                Severity::Error,
                site,
                character,
                format!(
                    "`${{{name}}}` refers to nothing: no question, group or repeat is named \
                     `{name}`; correct the name, or add the question it should refer to"
                ),
            ),
            Some([_]) => {}
            Some(many) => {
                let rows: Vec<String> = many.iter().map(|site| site.row.to_string()).collect();
                diags.push(
                    Severity::Error,
                    site,
                    character,
                    format!(
                        "`${{{name}}}` is ambiguous: the name `{name}` is used on rows {}; \
                         rename all but one so that the reference is clear",
                        rows.join(", ")
                    ),
                );
            }
        }
    }
}

/// Reports every cycle of calculations that refer to each other, once each.
fn cycles(calculations: &HashMap<&str, (Vec<String>, &Site)>, diags: &mut Diags) {
    let mut reported: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut starts: Vec<&str> = calculations.keys().copied().collect();
    starts.sort_unstable();
    for start in starts {
        let mut path = vec![start.to_owned()];
        find_cycles(start, calculations, &mut path, &mut reported, diags);
    }
}

fn find_cycles(
    at: &str,
    calculations: &HashMap<&str, (Vec<String>, &Site)>,
    path: &mut Vec<String>,
    reported: &mut BTreeSet<Vec<String>>,
    diags: &mut Diags,
) {
    let Some((next, _)) = calculations.get(at) else {
        return;
    };
    for name in next {
        if let Some(position) = path.iter().position(|seen| seen == name) {
            let cycle = &path[position..];
            let mut key = cycle.to_vec();
            key.sort();
            if reported.insert(key) {
                report_cycle(cycle, calculations, diags);
            }
        } else if calculations.contains_key(name.as_str()) && path.len() < 1000 {
            path.push(name.clone());
            find_cycles(name, calculations, path, reported, diags);
            path.pop();
        }
    }
}

fn report_cycle(
    cycle: &[String],
    calculations: &HashMap<&str, (Vec<String>, &Site)>,
    diags: &mut Diags,
) {
    // Start the cycle at its first member in the sheet, so the message is stable.
    let first = cycle
        .iter()
        .enumerate()
        .filter_map(|(i, name)| Some((calculations.get(name.as_str())?.1.row, i)))
        .min()
        .map_or(0, |(_, i)| i);
    let ordered: Vec<&String> = cycle[first..].iter().chain(&cycle[..first]).collect();
    let Some((_, site)) = ordered
        .first()
        .and_then(|name| calculations.get(name.as_str()))
    else {
        return;
    };
    let mut chain: Vec<String> = ordered.iter().map(|name| format!("`{name}`")).collect();
    chain.push(chain[0].clone());
    let message = if ordered.len() == 1 {
        format!(
            "the calculation of {} refers to itself, so it can never be computed: compute it \
             from other fields only",
            chain[0]
        )
    } else {
        format!(
            "these calculations refer to each other in a cycle, so none can be computed: {}; \
             break the cycle by computing one of them from other fields",
            chain.join(" → ")
        )
    };
    diags.error(site, message);
}
