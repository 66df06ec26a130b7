//! The pyxform corpus: every file gets the verdict pyxform 4.5.0 gives it, and a form saved
//! in several formats gives one definition.
//!
//! The corpus is not copied into the project: it is read from the folder named by
//! `LETSEMA_XLSFORM_CORPUS`, by default `../shared/fixtures/xlsform` beside the project.

mod corpus;

use corpus::corpus;

use std::collections::BTreeMap;

use letsema_xlsform::{Import, import_file};

/// The files pyxform rejects, and why (from the corpus's README).
const REJECTED: &[(&str, &str)] = &[
    ("bad_calc.xlsx", "not a valid expression"),
    ("unknown_question_type.xls", "both give the relevant"),
    ("gps.csv", "has no label or hint"),
    ("include.csv", "unknown question type `include`"),
    ("include.md", "unknown question type `include`"),
    ("include.xlsx", "unknown question type `include`"),
];

fn imports() -> BTreeMap<String, Import> {
    let folder = corpus();
    let mut imports = BTreeMap::new();
    let entries = std::fs::read_dir(&folder).expect("the corpus folder is readable");
    for entry in entries {
        let path = entry.expect("a directory entry").path();
        let Some(name) = path
            .file_name()
            .and_then(|name| name.to_str())
            .map(str::to_owned)
        else {
            continue;
        };
        if !["xls", "xlsx", "csv", "md"]
            .iter()
            .any(|extension| name.ends_with(&format!(".{extension}")))
        {
            continue;
        }
        let bytes = std::fs::read(&path).expect("a corpus file is readable");
        imports.insert(name.clone(), import_file(&name, &bytes));
    }
    assert!(
        imports.len() >= 40,
        "only {} forms in the corpus",
        imports.len()
    );
    imports
}

#[test]
fn every_file_gets_pyxforms_verdict() {
    let mut wrong = Vec::new();
    for (name, import) in imports() {
        let errors: Vec<String> = import.errors().map(ToString::to_string).collect();
        match REJECTED.iter().find(|(rejected, _)| *rejected == name) {
            Some((_, why)) => {
                if import.form.is_some() {
                    wrong.push(format!("{name}: accepted, but pyxform rejects it ({why})"));
                } else if !errors.iter().any(|error| error.contains(why)) {
                    wrong.push(format!(
                        "{name}: rejected, but not because {why}: {errors:#?}"
                    ));
                }
            }
            None => {
                if import.form.is_none() {
                    wrong.push(format!(
                        "{name}: rejected, but pyxform accepts it: {errors:#?}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn one_form_in_several_formats_gives_one_definition() {
    let imports = imports();
    let mut by_stem: BTreeMap<&str, Vec<(&String, &Import)>> = BTreeMap::new();
    for (name, import) in &imports {
        let stem = name
            .rsplit_once('.')
            .map_or(name.as_str(), |(stem, _)| stem);
        by_stem.entry(stem).or_default().push((name, import));
    }
    let mut compared = 0;
    // `widgets.xls` is a larger form than `widgets.csv` (groups and picture lists were added
    // to it only), so the two are not the same form.
    let same_form = |stem: &&str| *stem != "widgets";
    for (stem, versions) in by_stem
        .iter()
        .filter(|(stem, versions)| versions.len() > 1 && same_form(stem))
    {
        let (first_name, first) = versions[0];
        for (name, import) in &versions[1..] {
            assert!(
                import.form == first.form,
                "{name} and {first_name} give different forms:\n{}\n{}",
                json(import),
                json(first)
            );
            assert_eq!(
                import
                    .diagnostics
                    .iter()
                    .map(|d| &d.message)
                    .collect::<Vec<_>>(),
                first
                    .diagnostics
                    .iter()
                    .map(|d| &d.message)
                    .collect::<Vec<_>>(),
                "{stem}: the diagnostics of {name} and {first_name} differ"
            );
            compared += 1;
        }
    }
    assert!(compared >= 14, "only {compared} pairs compared");
}

fn json(import: &Import) -> String {
    serde_json::to_string_pretty(&import.form).unwrap_or_default()
}

#[test]
fn the_form_without_an_id_gets_one_with_a_warning() {
    let imports = imports();
    let import = &imports["survey_no_name.xlsx"];
    let form = import.form.as_ref().expect("accepted");
    assert_eq!(form.id.as_str(), "survey_no_name");
    assert!(
        import
            .warnings()
            .any(|w| w.message.contains("no `form_id`")),
        "{:#?}",
        import.diagnostics
    );
}
