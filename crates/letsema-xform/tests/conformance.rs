//! The conformance suite: every XForm vendored under `tests/xforms/` (ODK's own test
//! forms, from JavaRosa and ODK Web Forms) is imported, and its verdict must be the one
//! `tests/xforms/verdicts.txt` gives it:
//!
//! - `path: accepted`: imported without error, and the form engine compiles it;
//! - `path: refused: reason`: refused, with an error whose message contains `reason`.
//!
//! The list and the fixtures must match exactly: a new fixture without a verdict, or a
//! verdict without its fixture, fails the test.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use letsema_form::runtime::CompiledForm;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/xforms")
}

/// Every `.xml` file under `dir`, as paths relative to the suite's root with `/`.
fn fixtures(dir: &Path, out: &mut Vec<String>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            fixtures(&path, out);
        } else if path.extension().is_some_and(|e| e == "xml") {
            let relative = path.strip_prefix(root()).expect("under the root");
            let parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            out.push(parts.join("/"));
        }
    }
}

#[derive(Debug, PartialEq)]
enum Verdict {
    Accepted,
    Refused(String),
}

fn verdicts() -> BTreeMap<String, Verdict> {
    let text = std::fs::read_to_string(root().join("verdicts.txt")).expect("verdicts.txt");
    let mut out = BTreeMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (path, verdict) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("verdicts.txt:{}: `path: verdict`", number + 1));
        let verdict = match verdict.split_once(": ") {
            None if verdict == "accepted" => Verdict::Accepted,
            Some(("refused", reason)) => Verdict::Refused(reason.to_owned()),
            _ => panic!(
                "verdicts.txt:{}: `accepted` or `refused: reason`",
                number + 1
            ),
        };
        assert!(
            out.insert(path.to_owned(), verdict).is_none(),
            "verdicts.txt:{}: {path} twice",
            number + 1
        );
    }
    out
}

#[test]
fn every_fixture_has_its_verdict() {
    let mut found = Vec::new();
    fixtures(&root(), &mut found);
    let verdicts = verdicts();
    let listed: Vec<&String> = verdicts.keys().collect();
    let found_refs: Vec<&String> = found.iter().collect();
    assert_eq!(
        found_refs, listed,
        "the fixtures under tests/xforms and the list in verdicts.txt differ"
    );
    assert!(found.len() >= 30, "only {} fixtures", found.len());

    let mut wrong = Vec::new();
    for (path, verdict) in &verdicts {
        let bytes = std::fs::read(root().join(path)).expect("a fixture");
        let import = letsema_xform::import(&bytes);
        let errors: Vec<String> = import.errors().map(ToString::to_string).collect();
        match verdict {
            Verdict::Accepted => match &import.form {
                Some(form) => {
                    if let Err(e) = CompiledForm::new(form) {
                        wrong.push(format!("{path}: accepted but does not compile: {e:?}"));
                    }
                }
                None => wrong.push(format!("{path}: expected accepted, got {errors:#?}")),
            },
            Verdict::Refused(reason) => {
                if import.form.is_some() {
                    wrong.push(format!("{path}: expected refused ({reason}), got accepted"));
                } else if !errors.iter().any(|e| e.contains(reason.as_str())) {
                    wrong.push(format!(
                        "{path}: expected an error with `{reason}`, got {errors:#?}"
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
