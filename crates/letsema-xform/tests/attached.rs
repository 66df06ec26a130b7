//! ODK's external-instance test forms with their data files attached
//! (`tests/datafiles/javarosa/`), as a server publishes them: the file-backed choice lists
//! are filled, the form compiles and its cascading selects filter as in ODK Collect.

use std::sync::Arc;

use chrono::DateTime;
use letsema_datafile::{Limits, attach, required_files};
use letsema_form::runtime::{Answers, CompiledForm, Environment, FormState};

fn read(path: &str) -> Vec<u8> {
    let full = format!("{}/../../tests/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&full).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// The form at `xforms/javarosa/{form}`, with the data files it reads attached.
fn published(form: &str) -> FormState {
    let import = letsema_xform::import(&read(&format!("xforms/javarosa/{form}")));
    let errors: Vec<String> = import.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{form}: {errors:#?}");
    let mut definition = import.form.expect("accepted");
    let files: Vec<(String, Vec<u8>)> = required_files(&definition)
        .into_iter()
        .map(|name| {
            let bytes = read(&format!("datafiles/javarosa/{name}"));
            (name, bytes)
        })
        .collect();
    attach(&mut definition, &files, &Limits::default())
        .unwrap_or_else(|e| panic!("{form}: {e:#?}"));
    let compiled = Arc::new(CompiledForm::new(&definition).expect("compiles"));
    let now = DateTime::parse_from_rfc3339("2026-06-15T09:00:00+02:00").expect("a date");
    FormState::new(compiled, &Answers::new(), Environment::new(now)).expect("empty answers fit")
}

fn choices(state: &FormState, field: &str) -> Vec<String> {
    state
        .choices(field, &[])
        .expect("a select")
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.value)
        .collect()
}

#[test]
fn cascading_selects_from_a_csv_an_xml_file_read_alike() {
    for form in [
        "org/javarosa/xform/parse/external-select-csv.xml",
        "org/javarosa/xform/parse/external-select-xml.xml",
        "org/javarosa/xform/parse/external-select-xml-dummy-nodes.xml",
    ] {
        let mut state = published(form);
        assert_eq!(choices(&state, "first"), ["a", "b", "c"], "{form}");
        // `first = /data/first` with `first` unanswered keeps the items whose `first` is
        // empty, as in JavaRosa.
        assert_eq!(choices(&state, "second"), ["a", "b", "c"], "{form}");
        state.set_answer("first", &[], "b").expect("a choice");
        assert_eq!(choices(&state, "second"), ["ba", "bb", "bc"], "{form}");
    }
}

#[test]
fn choices_from_a_geojson_file_are_its_features() {
    // SelectChoiceTest: the second feature's value is its integer id, as text.
    let state = published("org/javarosa/xform/parse/external-select-geojson.xml");
    assert_eq!(choices(&state, "q"), ["fs87b", "67"]);
    let labels: Vec<String> = state
        .choices("q", &[])
        .expect("a select")
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.label)
        .collect();
    assert_eq!(labels, ["My cool point", "Your cool point"]);
}

#[test]
fn nigeria_wards_cascade_through_two_attached_xml_files() {
    let mut state = published("nigeria_wards_external.xml");
    assert!(choices(&state, "lga").is_empty());
    // A state, then its first local government area: only that area's wards are offered
    // (of 774 areas and 11,800 wards).
    let states = choices(&state, "state");
    assert!(states.len() > 30, "{states:?}");
    state
        .set_answer("state", &[], states[0].as_str())
        .expect("a state");
    let lgas = choices(&state, "lga");
    assert!(!lgas.is_empty() && lgas.len() < 100, "{}", lgas.len());
    state
        .set_answer("lga", &[], lgas[0].as_str())
        .expect("an area");
    let wards = choices(&state, "ward");
    assert!(!wards.is_empty() && wards.len() < 100, "{}", wards.len());
}
