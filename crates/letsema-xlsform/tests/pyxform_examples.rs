//! pyxform's own example forms (`tests/pyxform/forms/`, vendored from XLSForm/pyxform at
//! v4.5.0): Letsema gives each the verdict pyxform 4.5.0 gives it, as recorded in
//! `tests/pyxform/verdicts.txt` (written by `tests/pyxform/verdicts.py`), or the form is
//! listed below with the reason it differs.
//!
//! A form without a recorded verdict fails, and so does a listed exception that no longer
//! applies (Letsema now agrees with pyxform on it), so the lists stay true.

use std::collections::BTreeMap;
use std::path::PathBuf;

use letsema_xlsform::import_file;

/// Forms pyxform accepts and Letsema refuses: (form, README row, reason). Each uses a
/// feature a row of README.md's "What of XLSForm is supported" tables marks **no** (the
/// row is named by one of the spellings in its first cell), and the reason is part of one
/// of Letsema's errors on the form.
const REFUSED_BY_LETSEMA_ONLY: &[(&str, &str, &str)] = &[];

/// Forms pyxform accepts and Letsema refuses because they exceed a limit README.md states in
/// its "What of XLSForm is supported" section: (form, the limit as the README writes it, a
/// text that must be part of one of Letsema's errors).
const BEYOND_LIMITS: &[(&str, &str, &str)] = &[(
    "extra_columns.xls",
    "4,000,000 cells",
    "more than the 4000000 a form may use",
)];

/// Forms pyxform refuses and Letsema accepts: (form, reason).
const ACCEPTED_BY_LETSEMA_ONLY: &[(&str, &str)] = &[];

/// Forms both refuse: (form, a text that must be part of one of Letsema's errors), so that
/// Letsema refuses the form for the reason pyxform does.
const REFUSED_BY_BOTH: &[(&str, &str)] = &[
    ("calculate_without_calculation.xls", "has no calculation"),
    ("duplicate_columns.xlsx", "both give the label"),
    ("group_name_test.xls", "this row has no name"),
    ("include.xls", "unknown question type `include`"),
    ("include_json.csv", "unknown question type `include`"),
    ("include_json.md", "unknown question type `include`"),
    ("include_json.xls", "unknown question type `include`"),
    ("include_json.xlsx", "unknown question type `include`"),
    // pyxform copies the filter into the XForm; ODK Validate (JavaRosa) cannot parse it.
    (
        "xl_date_ambiguous.xlsx",
        "the `label::` axis is not supported",
    ),
];

fn folder() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/pyxform"))
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Accepted,
    Refused(String),
}

/// `verdicts.txt`: file name → pyxform's verdict.
fn verdicts() -> BTreeMap<String, Verdict> {
    let text = std::fs::read_to_string(folder().join("verdicts.txt"))
        .expect("tests/pyxform/verdicts.txt is readable");
    let mut verdicts = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.splitn(3, '\t');
        let (Some(name), Some(outcome)) = (fields.next(), fields.next()) else {
            panic!(
                "verdicts.txt line {}: not `file<TAB>verdict<TAB>message`",
                number + 1
            );
        };
        let message = fields.next().unwrap_or_default().to_owned();
        let verdict = match outcome {
            "accepted" => Verdict::Accepted,
            "refused" => Verdict::Refused(message),
            other => panic!(
                "verdicts.txt line {}: unknown verdict `{other}`",
                number + 1
            ),
        };
        assert!(
            verdicts.insert(name.to_owned(), verdict).is_none(),
            "verdicts.txt names {name} twice"
        );
    }
    verdicts
}

#[test]
fn every_form_gets_pyxforms_verdict() {
    let verdicts = verdicts();
    let entries = std::fs::read_dir(folder().join("forms")).expect("tests/pyxform/forms exists");
    let mut names: Vec<String> = entries
        .map(|entry| {
            entry
                .expect("a directory entry")
                .file_name()
                .into_string()
                .expect("a UTF-8 file name")
        })
        .collect();
    names.sort();
    assert!(names.len() >= 30, "only {} forms", names.len());

    let mut wrong = Vec::new();
    for name in &names {
        let bytes = std::fs::read(folder().join("forms").join(name)).expect("a readable form");
        let import = import_file(name, &bytes);
        let errors: Vec<String> = import.errors().map(ToString::to_string).collect();
        let accepted = import.form.is_some();
        let refused_only = REFUSED_BY_LETSEMA_ONLY
            .iter()
            .chain(BEYOND_LIMITS)
            .find(|(n, ..)| n == name);
        let accepted_only = ACCEPTED_BY_LETSEMA_ONLY.iter().find(|(n, _)| n == name);
        let both = REFUSED_BY_BOTH.iter().find(|(n, _)| n == name);
        let pyxform_accepts = matches!(verdicts.get(name), Some(Verdict::Accepted));
        if (pyxform_accepts && (accepted_only.is_some() || both.is_some()))
            || (matches!(verdicts.get(name), Some(Verdict::Refused(_))) && refused_only.is_some())
        {
            wrong.push(format!(
                "{name}: listed under the wrong verdict (pyxform {}): move it",
                if pyxform_accepts {
                    "accepts it"
                } else {
                    "refuses it"
                }
            ));
        }
        match verdicts.get(name) {
            None => wrong.push(format!(
                "{name}: no verdict in verdicts.txt (run tests/pyxform/verdicts.py)"
            )),
            Some(Verdict::Accepted) => match refused_only {
                Some((_, row, why)) => {
                    if accepted {
                        wrong.push(format!(
                            "{name}: listed as refused for `{row}`, but Letsema accepts it: \
                             take it off the list"
                        ));
                    } else if !errors.iter().any(|error| error.contains(why)) {
                        wrong.push(format!(
                            "{name}: refused, but not because {why}: {errors:#?}"
                        ));
                    }
                }
                None if !accepted => wrong.push(format!(
                    "{name}: pyxform accepts it, Letsema refuses it: {errors:#?}"
                )),
                None => {}
            },
            Some(Verdict::Refused(message)) => match (accepted_only, both) {
                (Some((_, why)), _) => {
                    if !accepted {
                        wrong.push(format!(
                            "{name}: listed as accepted ({why}), but Letsema refuses it: \
                             take it off the list: {errors:#?}"
                        ));
                    }
                }
                (None, _) if accepted => wrong.push(format!(
                    "{name}: pyxform refuses it ({message}), Letsema accepts it"
                )),
                (None, Some((_, why))) => {
                    if !errors.iter().any(|error| error.contains(why)) {
                        wrong.push(format!(
                            "{name}: refused, but not because {why} (pyxform: {message}): \
                             {errors:#?}"
                        ));
                    }
                }
                (None, None) => wrong.push(format!(
                    "{name}: both refuse it, but REFUSED_BY_BOTH does not say why \
                     (pyxform: {message}; Letsema: {errors:#?})"
                )),
            },
        }
    }
    for name in REFUSED_BY_LETSEMA_ONLY
        .iter()
        .map(|(name, ..)| name)
        .chain(BEYOND_LIMITS.iter().map(|(name, ..)| name))
        .chain(ACCEPTED_BY_LETSEMA_ONLY.iter().map(|(name, _)| name))
        .chain(REFUSED_BY_BOTH.iter().map(|(name, _)| name))
    {
        if !names.iter().any(|n| n == name) {
            wrong.push(format!(
                "{name} is listed, but is not in tests/pyxform/forms"
            ));
        }
    }
    for name in verdicts.keys() {
        if !names.contains(name) {
            wrong.push(format!("verdicts.txt names {name}, which is not in forms/"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The rows of README.md's "What of XLSForm is supported" tables: (first cell, second).
fn readme_rows() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md is readable");
    let start = readme
        .find("### What of XLSForm is supported")
        .expect("README.md has the section");
    let section = &readme[start..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .lines()
        .filter(|line| line.starts_with('|'))
        .filter_map(|line| {
            let mut cells = line.split('|').skip(1).map(str::trim);
            Some((cells.next()?.to_owned(), cells.next()?.to_owned()))
        })
        .collect()
}

#[test]
fn every_exception_names_a_feature_the_readme_marks_no() {
    let rows = readme_rows();
    for (form, row, _) in REFUSED_BY_LETSEMA_ONLY {
        let found: Vec<&(String, String)> = rows
            .iter()
            .filter(|(first, _)| first.split(", ").any(|spelling| spelling == *row))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{form}: the README's supported-features tables have {} rows for {row}",
            found.len()
        );
        assert_eq!(
            found[0].1, "no",
            "{form}: the README marks {row} `{}`, not `no`",
            found[0].1
        );
    }
}

#[test]
fn every_limit_an_exception_exceeds_is_in_the_readme() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md is readable");
    let start = readme
        .find("### What of XLSForm is supported")
        .expect("README.md has the section");
    for (form, limit, _) in BEYOND_LIMITS {
        assert!(
            readme[start..].contains(limit),
            "{form}: README.md's \"What of XLSForm is supported\" does not state the limit \
             `{limit}`"
        );
    }
}
