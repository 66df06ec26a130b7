//! `letsema form check`: what a form author sees for a good and a bad form.

use std::path::{Path, PathBuf};
use std::process::Command;

fn letsema() -> Command {
    Command::new(env!("CARGO_BIN_EXE_letsema"))
}

fn reference_form(extension: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/forms/diaspora_registration")
        .with_extension(extension)
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn check(args: &[&std::ffi::OsStr]) -> Run {
    let output = letsema()
        .args(["form", "check"])
        .args(args)
        .output()
        .expect("letsema runs");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

#[test]
fn the_reference_form_is_valid_in_both_formats() {
    for extension in ["md", "xlsx"] {
        let path = reference_form(extension);
        let run = check(&[path.as_os_str()]);
        assert_eq!(
            run.code,
            Some(0),
            "{}: {}{}",
            path.display(),
            run.stdout,
            run.stderr
        );
        assert!(
            run.stdout.trim_end().ends_with("the form is valid"),
            "{}",
            run.stdout
        );
    }
}

#[test]
fn json_prints_the_definition() {
    let path = reference_form("md");
    let run = check(&[path.as_os_str(), "--json".as_ref()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let form: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(form["schema_version"], 1);
    assert_eq!(form["id"], "diaspora_registration");
}

#[test]
fn errors_name_sheet_row_and_column_and_exit_1() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("broken.md");
    std::fs::write(
        &path,
        "| survey |\n\
         | | type | name | label | relevant |\n\
         | | integer | age | Age | |\n\
         | | text | job | Job | ${agee} > 16 |\n\
         | | begin group | g | G | |\n\
         | settings |\n\
         | | form_id | form_title |\n\
         | | broken | Broken |\n",
    )
    .expect("write");
    let run = check(&[path.as_os_str()]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains("row 4")
            && run.stdout.contains("relevant")
            && run.stdout.contains("agee"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("error(s)"), "{}", run.stdout);
}

#[test]
fn unreadable_or_unknown_files_are_one_line_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.xlsx");
    let run = check(&[missing.as_os_str()]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.starts_with("error: cannot read"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);

    let odd = dir.path().join("form.pdf");
    std::fs::write(&odd, b"%PDF").expect("write");
    let run = check(&[odd.as_os_str()]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains(".xlsx, .xls, .csv or .md"),
        "{}",
        run.stderr
    );
}

fn eval(answers: &serde_json::Value, extra: &[&str]) -> (Run, serde_json::Value) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("answers.json");
    std::fs::write(&path, answers.to_string()).expect("write answers");
    let output = letsema()
        .args(["form", "eval"])
        .arg(reference_form("md"))
        .arg("--answers")
        .arg(&path)
        .args(["--now", "2026-06-15T09:00:00+02:00"])
        .args(extra)
        .output()
        .expect("letsema runs");
    let run = Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    let state = serde_json::from_str(&run.stdout).unwrap_or(serde_json::Value::Null);
    (run, state)
}

fn fields(list: &serde_json::Value) -> Vec<&str> {
    list.as_array()
        .map(|items| items.iter().filter_map(|i| i["field"].as_str()).collect())
        .unwrap_or_default()
}

#[test]
fn eval_without_consent_asks_nothing_else() {
    let (run, state) = eval(&serde_json::json!({ "consent": "no" }), &[]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(fields(&state["missing_required"]), Vec::<&str>::new());
    assert_eq!(state["complete"], true);
    let relevant = state["relevant"].to_string();
    assert!(relevant.contains("no_consent"), "{relevant}");
    assert!(!relevant.contains("first_name"), "{relevant}");
}

#[test]
fn eval_reports_computed_age_and_constraint_messages_in_the_chosen_language() {
    let answers = serde_json::json!({
        "consent": "yes",
        "dob": "1990-05-17",
        "years_abroad": "40",
        "email": "not-an-address",
    });
    let (run, state) = eval(&answers, &["--lang", "Sesotho"]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(state["computed"]["age"], "36");
    let violations = &state["constraint_violations"];
    assert_eq!(
        fields(violations),
        ["years_abroad", "email"],
        "{violations}"
    );
    assert!(violations.to_string().contains("(36)"), "{violations}");
    assert!(
        violations.to_string().contains("Lilemo"),
        "Sesotho: {violations}"
    );
    assert!(fields(&state["missing_required"]).contains(&"first_name"));
    assert_eq!(state["complete"], false);
}

#[test]
fn eval_refuses_unknown_fields_and_languages_with_one_line() {
    let (run, _) = eval(&serde_json::json!({ "consnt": "yes" }), &[]);
    assert_eq!(run.code, Some(1));
    assert!(run.stderr.contains("`consnt`"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);

    let (run, _) = eval(&serde_json::json!({}), &["--lang", "Klingon"]);
    assert_eq!(run.code, Some(1));
    assert!(
        run.stderr.contains("no language \"Klingon\""),
        "{}",
        run.stderr
    );
}

#[test]
fn publish_stores_a_version_once_and_list_shows_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let publish = |file: PathBuf| {
        letsema()
            .args(["form", "publish"])
            .arg(file)
            .arg("--data-dir")
            .arg(&data)
            .output()
            .expect("letsema runs")
    };
    let first = publish(reference_form("xlsx"));
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("published form diaspora_registration")
    );
    let again = publish(reference_form("md"));
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("already published"));

    let list = letsema()
        .args(["form", "list", "--data-dir"])
        .arg(&data)
        .output()
        .expect("letsema runs");
    let listed = String::from_utf8_lossy(&list.stdout);
    assert_eq!(listed.lines().count(), 1, "{listed}");
    assert!(listed.starts_with("diaspora_registration\t"), "{listed}");
}

/// A form reading `places.csv` (its choices) and `prices.csv` (through `pulldata()`).
const SHOP: &str = "
| survey |
| | type | name | label | calculation |
| | select_one_from_file places.csv | place | Place | |
| | text | fruit | Fruit | |
| | calculate | price | | pulldata('prices', 'price', 'name', ${fruit}) |
| settings |
| | form_id | form_title | version |
| | shop | Shop | 1 |
";

#[test]
fn files_a_form_reads_are_found_next_to_it_or_given_with_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let form = dir.path().join("shop.md");
    std::fs::write(&form, SHOP).expect("written");
    std::fs::write(dir.path().join("places.csv"), "name,label\nM,Maseru\n").expect("written");

    // prices.csv is missing: the check says which file, and how to give it.
    let run = check(&[form.as_os_str()]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains(
            "the form reads `prices.csv`, which was not attached: attach it with the form \
             (pass it with --file, or put it next to"
        ),
        "{}",
        run.stdout
    );

    // Next to the form, both are found; the definition carries their data.
    std::fs::write(dir.path().join("prices.csv"), "name,price\napple,3\n").expect("written");
    let run = check(&[form.as_os_str(), "--json".as_ref()]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    let definition: serde_json::Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(definition["choice_lists"][0]["choices"][0]["value"], "M");
    assert_eq!(definition["instances"][0]["id"], "prices");

    // eval computes the lookup.
    let answers = dir.path().join("answers.json");
    std::fs::write(&answers, r#"{"place": "M", "fruit": "apple"}"#).expect("written");
    let output = letsema()
        .args(["form", "eval"])
        .arg(&form)
        .arg("--answers")
        .arg(&answers)
        .output()
        .expect("letsema runs");
    let state: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the state as JSON");
    assert_eq!(state["computed"]["price"], "3", "{state}");

    // --file names the files wherever they are; publish stores their data with the version.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let moved = elsewhere.path().join("shop.md");
    std::fs::write(&moved, SHOP).expect("written");
    let data = dir.path().join("data");
    let publish = letsema()
        .args(["form", "publish"])
        .arg(&moved)
        .arg("--file")
        .arg(dir.path().join("places.csv"))
        .arg("--file")
        .arg(dir.path().join("prices.csv"))
        .arg("--data-dir")
        .arg(&data)
        .output()
        .expect("letsema runs");
    assert!(
        publish.status.success(),
        "{}",
        String::from_utf8_lossy(&publish.stderr)
    );
    assert!(String::from_utf8_lossy(&publish.stdout).contains("published form shop version 1"));
}

/// An ODK test form as ODK Central would serve it.
fn xform(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/xforms/javarosa")
        .join(name)
}

#[test]
fn an_xform_is_checked_evaluated_and_published_as_an_xlsform_is() {
    let path = xform("Simpler_Cascading_Select_Form.xml");
    let run = check(&[path.as_os_str()]);
    assert_eq!(run.code, Some(0), "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.trim_end().ends_with("the form is valid")
            || run.stdout.contains("the form is valid, with"),
        "{}",
        run.stdout
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let publish = letsema()
        .args(["form", "publish"])
        .arg(&path)
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .output()
        .expect("letsema runs");
    assert!(
        publish.status.success(),
        "{}",
        String::from_utf8_lossy(&publish.stderr)
    );
    assert!(
        String::from_utf8_lossy(&publish.stdout)
            .contains("published form SimplerCascadingSelect version 1"),
        "{}",
        String::from_utf8_lossy(&publish.stdout)
    );

    // A damaged XForm: one line naming where, exit 1.
    let broken = dir.path().join("broken.xml");
    std::fs::write(&broken, "<h:html><h:head>").expect("written");
    let run = check(&[broken.as_os_str()]);
    assert_eq!(run.code, Some(1), "{}", run.stdout);
    assert!(
        run.stdout.contains("the file is not well-formed XML"),
        "{}",
        run.stdout
    );
}
