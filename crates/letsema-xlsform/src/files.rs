//! Files attached to the form: what the survey sheet declares (`select_one_from_file`,
//! `csv-external`, `xml-external`, `pulldata()`), as pyxform declares their secondary
//! instances. The files themselves are read when the form is published
//! (`letsema_datafile::attach`); here each becomes a choice list or a data instance
//! waiting for its file.

use letsema_expr::{Expr, parse};
use letsema_form::model::{ChoiceList, DataInstance, DataNode, FileChoices, Form};

use crate::check::Records;
use crate::table::Diags;

/// Adds the lists and instances of attached files to `form`, reporting names used twice
/// and `instance('…')` ids that name nothing.
pub(crate) fn declare(form: &mut Form, records: &Records, diags: &mut Diags) {
    for (site, id, file) in &records.externals {
        if form.choice_lists.iter().any(|l| l.name.as_str() == id) {
            diags.error(
                site,
                format!(
                    "`{id}` is both a list on the choices sheet and the attached file {file}: \
                     `instance('{id}')` must name one thing, so rename one of them"
                ),
            );
        } else if form.instance(id).is_some() {
            diags.error(
                site,
                format!("the attached file `{id}` is declared twice: delete one of the rows"),
            );
        } else {
            form.instances.push(DataInstance {
                id: id.clone(),
                source: Some(file.clone()),
                root: DataNode::new("root"),
            });
        }
    }
    for (site, file, list) in &records.files {
        let geojson = file.to_ascii_lowercase().ends_with(".geojson");
        let (value, label) = form
            .questions()
            .find(|(_, q)| q.kind.list() == Some(list))
            .map(|(_, q)| {
                (
                    q.parameters.get("value").cloned(),
                    q.parameters.get("label").cloned(),
                )
            })
            .unwrap_or_default();
        let wanted = FileChoices {
            file: file.clone(),
            value: value.unwrap_or_else(|| if geojson { "id" } else { "name" }.to_owned()),
            label: label.unwrap_or_else(|| if geojson { "title" } else { "label" }.to_owned()),
        };
        if form.instance(list.as_str()).is_some() {
            diags.error(
                site,
                format!(
                    "`{list}` is both the attached file {file} and a `csv-external` or \
                     `xml-external` row: rename one of them"
                ),
            );
            continue;
        }
        match form.choice_lists.iter().find(|l| &l.name == list) {
            None => form.choice_lists.push(ChoiceList {
                name: list.clone(),
                choices: Vec::new(),
                from_file: Some(wanted),
            }),
            Some(existing) => match &existing.from_file {
                None => diags.error(
                    site,
                    format!(
                        "`{list}` is both a list on the choices sheet and the file {file}: \
                         rename the list or the file"
                    ),
                ),
                Some(other) if *other != wanted => diags.error(
                    site,
                    format!(
                        "two questions read choices from `{list}` differently ({} and {}): \
                         give them the same `value=` and `label=` parameters, or attach a \
                         copy of the file under another name",
                        describe(other),
                        describe(&wanted)
                    ),
                ),
                Some(_) => {}
            },
        }
    }
    // pulldata('fruits', …) reads fruits.csv, which pyxform declares by itself.
    for site in &records.expressions {
        // Most cells name no instance: only those that might are parsed again.
        if !site.source.contains("pulldata") && !site.source.contains("instance") {
            continue;
        }
        let Ok(expr) = parse(&site.source) else {
            continue;
        };
        let mut pulled = Vec::new();
        let mut named = Vec::new();
        expr.walk(&mut |e| {
            if let Expr::Call(c) = e
                && let Some(Expr::Literal(id)) = c.args.first()
            {
                match c.name.as_str() {
                    "pulldata" => pulled.push(id.clone()),
                    "instance" => named.push(id.clone()),
                    _ => {}
                }
            }
        });
        let known = |form: &Form, id: &str| {
            form.instance(id).is_some() || form.choice_lists.iter().any(|l| l.name.as_str() == id)
        };
        for id in pulled {
            if !known(form, &id) {
                form.instances.push(DataInstance {
                    source: Some(format!("{id}.csv")),
                    id,
                    root: DataNode::new("root"),
                });
            }
        }
        for id in named {
            if !known(form, &id) {
                diags.error(
                    &site.site,
                    format!(
                        "`instance('{id}')` names nothing: it must name a list on the choices \
                         sheet or a file attached to the form (declare `{id}.csv` with a \
                         `csv-external {id}` row, or `{id}.xml` with `xml-external {id}`)"
                    ),
                );
            }
        }
    }
}

fn describe(choices: &FileChoices) -> String {
    format!("value={} label={}", choices.value, choices.label)
}
