//! The README's "What of XLSForm is supported" tables, checked against the code.
//!
//! The test reads README.md, finds the five tables of that section (question types, survey
//! sheet columns, choices sheet columns, settings, expression functions) and checks every
//! row against what the importer and the expression library do, through their public
//! entry points:
//!
//! - a question type marked `yes` imports with no diagnostic at all, `partly` with no
//!   error, and `no` is refused or warned about in its `type` cell;
//! - a column or setting marked `yes` or `partly` changes the imported form (it is read,
//!   not dropped), `yes` without any diagnostic; the other spellings in its row read
//!   exactly as the first; one marked `no` leaves the form as it is without it (it is
//!   ignored), and adds no error;
//! - a function marked `yes` or `partly` is in [`letsema_expr::function_names`], one marked
//!   `no` is not and does not parse; every function of the library, of the ODK XForms
//!   specification and of pyxform's and Collect's extras has a row.
//!
//! `partly` and `no` rows must say why. A README that claims more, or less, than the code
//! does fails here: change the row or the code.

use std::collections::BTreeSet;
use std::path::Path;

use letsema_xlsform::{Import, Severity, SourceFormat, import};

const SECTION: &str = "### What of XLSForm is supported";
const QUESTION_TYPES: &str = "Question types";
const SURVEY_COLUMNS: &str = "Survey sheet columns";
const CHOICES_COLUMNS: &str = "Choices sheet columns";
const SETTINGS: &str = "Settings";
const FUNCTIONS: &str = "Expression functions";

/// The functions of the ODK XForms specification ("XPath Functions", and the XPath 1.0
/// core functions it keeps).
const ODK_FUNCTIONS: &[&str] = &[
    "abs",
    "acos",
    "area",
    "asin",
    "atan",
    "boolean",
    "boolean-from-string",
    "checklist",
    "coalesce",
    "concat",
    "contains",
    "cos",
    "count",
    "count-non-empty",
    "count-selected",
    "current",
    "date",
    "decimal-date-time",
    "decimal-time",
    "digest",
    "distance",
    "ends-with",
    "exp",
    "false",
    "format-date",
    "format-date-time",
    "if",
    "indexed-repeat",
    "instance",
    "int",
    "join",
    "jr:choice-name",
    "jr:itext",
    "log",
    "max",
    "min",
    "normalize-space",
    "not",
    "now",
    "number",
    "once",
    "pi",
    "position",
    "pow",
    "pulldata",
    "random",
    "randomize",
    "regex",
    "round",
    "selected",
    "selected-at",
    "sin",
    "sqrt",
    "starts-with",
    "string",
    "string-length",
    "substr",
    "substring-after",
    "substring-before",
    "sum",
    "tan",
    "today",
    "translate",
    "true",
    "uuid",
    "weighted-checklist",
];

/// Functions pyxform and ODK Collect know beyond that list.
const EXTRA_FUNCTIONS: &[&str] = &[
    "base64-decode",
    "version",
    "geofence",
    "exp10",
    "log10",
    "atan2",
    "floor",
    "ceiling",
    "last",
    "substring",
    "date-time",
    "extract-signed",
    "search",
];

/// pyxform 4.5.0's question types: the keys of `pyxform/question_type_dictionary.py`, the
/// select commands of `aliases.select` and `aliases.cascading`, and the containers of
/// `aliases.control` (written after `begin`).
const PYXFORM_TYPES: &[&str] = &[
    "q picture",
    "photo",
    "add date time prompt",
    "add audio prompt",
    "q date time",
    "phonenumber",
    "get start time",
    "add select multiple prompt using",
    "add note prompt",
    "calculate",
    "acknowledge",
    "location",
    "text",
    "select all that apply from",
    "simserial",
    "string",
    "q string",
    "imei",
    "integer",
    "datetime",
    "q note",
    "subscriber id",
    "decimal",
    "dateTime",
    "q audio",
    "q geopoint",
    "q geoshape",
    "q geotrace",
    "q image",
    "get today",
    "video",
    "q acknowledge",
    "add video prompt",
    "number of days in last month",
    "get sim id",
    "q location",
    "select one",
    "select one external",
    "add image prompt",
    "select all that apply",
    "get end time",
    "barcode",
    "q video",
    "geopoint",
    "geoshape",
    "geotrace",
    "select multiple from",
    "end time",
    "device id",
    "subscriberid",
    "q barcode",
    "q select",
    "select one using",
    "rank",
    "image",
    "q int",
    "add text prompt",
    "add date prompt",
    "q calculate",
    "start",
    "trigger",
    "add acknowledge prompt",
    "percentage",
    "get phone number",
    "today",
    "gps",
    "q date",
    "sim id",
    "add decimal prompt",
    "number of days in last six months",
    "deviceid",
    "int",
    "add barcode prompt",
    "select multiple using",
    "q decimal",
    "end",
    "add calculate prompt",
    "add dateTime prompt",
    "note",
    "add location prompt",
    "get subscriber id",
    "phone number",
    "get device id",
    "add integer prompt",
    "q dateTime",
    "date",
    "q select1",
    "start time",
    "number of days in last year",
    "date time",
    "time",
    "audio",
    "add select one prompt using",
    "hidden",
    "uri:subscriberid",
    "uri:phonenumber",
    "uri:simserial",
    "uri:deviceid",
    "username",
    "uri:username",
    "email",
    "uri:email",
    "osm",
    "file",
    "add file prompt",
    "range",
    "audit",
    "xml-external",
    "csv-external",
    "start-geopoint",
    "background-audio",
    "background-geopoint",
    // aliases.select, aliases.select_from_file, aliases.cascading
    "select one from",
    "select1",
    "select_one",
    "select_multiple",
    "select_one_external",
    "select_one_from_file",
    "select_multiple_from_file",
    "select one from file",
    "select multiple from file",
    "cascading select",
    "cascading_select",
    // aliases.control, after `begin`
    "begin group",
    "begin lgroup",
    "begin repeat",
    "begin loop",
    "begin looped group",
];

/// pyxform 4.5.0's survey columns: the keys of `aliases.survey_header` (but `body`, a
/// prefix), the translatable columns of `aliases.TRANSLATABLE_SURVEY_COLUMNS` and the
/// question fields of `question.py` and `survey_element.py` an author writes.
const PYXFORM_SURVEY_COLUMNS: &[&str] = &[
    "sms_field",
    "sms_option",
    "sms_separator",
    "sms_allow_media",
    "sms_date_format",
    "sms_datetime_format",
    "sms_response",
    "compact_tag",
    "read_only",
    "readonly",
    "relevant",
    "caption",
    "appearance",
    "relevance",
    "required",
    "constraint",
    "constraining_message",
    "constraint_message",
    "calculation",
    "calculate",
    "command",
    "tag",
    "value",
    "image",
    "big-image",
    "audio",
    "video",
    "count",
    "repeat_count",
    "jr:count",
    "autoplay",
    "rows",
    "noapperrorstring",
    "no_app_error_string",
    "requiredmsg",
    "required_message",
    "save_to",
    "type",
    "name",
    "label",
    "hint",
    "guidance_hint",
    "default",
    "trigger",
    "choice_filter",
    "parameters",
];

/// pyxform 4.5.0's choices columns: `aliases.list_header` and the option fields.
const PYXFORM_CHOICES_COLUMNS: &[&str] = &[
    "list_name",
    "name",
    "label",
    "caption",
    "value",
    "image",
    "big-image",
    "audio",
    "video",
];

/// pyxform 4.5.0's settings: `aliases.settings_header` and the settings among
/// `survey.py`'s `SURVEY_EXTRA_FIELDS`.
const PYXFORM_SETTINGS: &[&str] = &[
    "form_title",
    "set_form_title",
    "title",
    "form_id",
    "set_form_id",
    "id_string",
    "version",
    "default_language",
    "instance_name",
    "style",
    "public_key",
    "submission_url",
    "auto_send",
    "auto_delete",
    "allow_choice_duplicates",
    "clean_text_values",
    "client_editable",
    "namespaces",
    "omit_instanceID",
    "instance_xmlns",
    "add_none_option",
    "name",
    "prefix",
    "delimiter",
    "sms_keyword",
    "sms_allow_media",
    "sms_date_format",
    "sms_datetime_format",
    "sms_response",
    "sms_separator",
];

// ---------------------------------------------------------------------------------------
// The README's tables.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Support {
    Yes,
    Partly,
    No,
}

/// One row of a table: the spellings in backquotes in its first cell, what it says of
/// them, and its line in README.md.
#[derive(Debug)]
struct Row {
    codes: Vec<String>,
    support: Support,
    line: usize,
}

impl Row {
    fn first(&self) -> &str {
        &self.codes[0]
    }
}

/// The rows of the table under `#### {category}` in the section.
fn table(category: &str) -> Vec<Row> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md");
    let readme = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let mut lines = readme.lines().enumerate();
    lines
        .by_ref()
        .find(|(_, line)| line.trim() == SECTION)
        .unwrap_or_else(|| panic!("README.md has no `{SECTION}` section"));
    let heading = format!("#### {category}");
    let mut in_table = false;
    let mut seen_header = false;
    let mut rows = Vec::new();
    for (index, line) in lines {
        let line = line.trim();
        if line.starts_with("## ") || line.starts_with("### ") {
            break;
        }
        if line.starts_with("####") {
            in_table = line == heading;
            seen_header = false;
            continue;
        }
        if !in_table || !line.starts_with('|') {
            continue;
        }
        if !seen_header {
            seen_header = true;
            continue;
        }
        if line.starts_with("| ---") || line.starts_with("|---") {
            continue;
        }
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        let number = index + 1;
        let [feature, support, note] = cells.as_slice() else {
            panic!("README.md line {number}: a row has three cells: feature, support, notes");
        };
        let support = match *support {
            "yes" => Support::Yes,
            "partly" => Support::Partly,
            "no" => Support::No,
            other => panic!("README.md line {number}: `{other}` is not yes, partly or no"),
        };
        assert!(
            support == Support::Yes || !note.is_empty(),
            "README.md line {number}: a `partly` or `no` row says why"
        );
        let codes: Vec<String> = feature
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        assert!(
            !codes.is_empty(),
            "README.md line {number}: the feature is written in `backquotes`"
        );
        rows.push(Row {
            codes,
            support,
            line: number,
        });
    }
    assert!(!rows.is_empty(), "README.md has no `{heading}` table");
    rows
}

fn every_code(rows: &[Row]) -> BTreeSet<String> {
    rows.iter()
        .flat_map(|row| row.codes.iter().map(|code| code.to_lowercase()))
        .collect()
}

#[track_caller]
fn assert_no_failures(failures: &[String]) {
    assert!(
        failures.is_empty(),
        "README.md and the code disagree:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// Small forms to try them on.

/// A sheet as rows of cells, its header first.
#[derive(Debug, Clone)]
struct Sheet {
    name: &'static str,
    rows: Vec<Vec<String>>,
}

impl Sheet {
    fn new(name: &'static str, rows: &[&[&str]]) -> Self {
        Self {
            name,
            rows: rows
                .iter()
                .map(|row| row.iter().map(|&cell| cell.to_owned()).collect())
                .collect(),
        }
    }

    /// The index of a column, added (empty) when the sheet does not have it.
    fn column(&mut self, header: &str) -> usize {
        if let Some(index) = self.rows[0].iter().position(|written| written == header) {
            return index;
        }
        for row in &mut self.rows {
            row.push(String::new());
        }
        let index = self.rows[0].len() - 1;
        self.rows[0][index] = header.to_owned();
        index
    }

    fn set(&mut self, row: usize, header: &str, value: &str) {
        let index = self.column(header);
        self.rows[row][index] = value.to_owned();
    }

    fn rename(&mut self, from: &str, to: &str) {
        let index = self.column(from);
        self.rows[0][index] = to.to_owned();
    }

    fn insert(&mut self, at: usize, cells: &[&str]) {
        let mut row: Vec<String> = cells.iter().map(|&cell| cell.to_owned()).collect();
        row.resize(self.rows[0].len(), String::new());
        self.rows.insert(at, row);
    }
}

#[derive(Debug, Clone)]
struct Workbook(Vec<Sheet>);

/// What an import gives, comparable: the form as JSON, and the diagnostics.
#[derive(Debug, PartialEq)]
struct Outcome {
    form: Option<serde_json::Value>,
    diagnostics: Vec<(Severity, String)>,
}

impl Outcome {
    fn errors(&self) -> Vec<&(Severity, String)> {
        self.diagnostics
            .iter()
            .filter(|(severity, _)| *severity == Severity::Error)
            .collect()
    }
}

impl Workbook {
    fn sheet(&mut self, name: &str) -> &mut Sheet {
        self.0
            .iter_mut()
            .find(|sheet| sheet.name == name)
            .expect("the fixture has the sheet")
    }

    fn markdown(&self) -> String {
        let mut out = String::new();
        for sheet in &self.0 {
            out.push_str(&format!("| {} |\n", sheet.name));
            for row in &sheet.rows {
                out.push_str("| ");
                for cell in row {
                    out.push_str(&format!("| {} ", cell.replace('|', "\\|")));
                }
                out.push_str("|\n");
            }
        }
        out
    }

    fn import(&self) -> Import {
        import(self.markdown().as_bytes(), SourceFormat::Markdown)
    }

    fn outcome(&self) -> Outcome {
        let import = self.import();
        Outcome {
            form: import
                .form
                .as_ref()
                .map(|form| serde_json::to_value(form).expect("a form serialises to JSON")),
            diagnostics: import
                .diagnostics
                .iter()
                .map(|diagnostic| (diagnostic.severity, diagnostic.message.clone()))
                .collect(),
        }
    }
}

/// The rows of the fixture that a column is tried on.
const TARGET: usize = 2;
const PICK: usize = 3;
const REP: usize = 4;
const CHOICE: usize = 2;
const SETTING: usize = 1;

/// A small form with a question, a select and a repeat. `duplicate_choice` gives the list
/// a choice twice, an error unless `allow_choice_duplicates` says otherwise: a setting is
/// read when it changes the import of either.
fn fixture(duplicate_choice: bool) -> Workbook {
    let mut choices = Sheet::new(
        "choices",
        &[
            &["list_name", "name", "label"],
            &["LIST", "a", "A"],
            &["LIST", "b", "B"],
            &["OTHER", "c", "C"],
        ],
    );
    if duplicate_choice {
        choices.insert(4, &["LIST", "a", "A again"]);
    }
    Workbook(vec![
        Sheet::new(
            "survey",
            &[
                &["type", "name", "label"],
                &["integer", "age", "Age"],
                &["text", "target", "Target"],
                &["select_one LIST", "pick", "Pick"],
                &["begin repeat", "rep", "Rep"],
                &["text", "inner", "Inner"],
                &["end repeat", "", ""],
            ],
        ),
        choices,
        Sheet::new(
            "settings",
            &[&["form_id", "form_title"], &["features", "Features"]],
        ),
    ])
}

/// How the columns of one sheet are tried: on which row, with what value.
struct Columns {
    category: &'static str,
    sheet: &'static str,
    row: fn(&str) -> usize,
    sample: fn(&str) -> &'static str,
}

/// Checks every row of a table of columns; gives what disagrees.
fn check_columns(columns: &Columns) -> Vec<String> {
    let with = |code: &str, duplicate_choice: bool| {
        let mut workbook = fixture(duplicate_choice);
        workbook
            .sheet(columns.sheet)
            .set((columns.row)(code), code, (columns.sample)(code));
        workbook
    };
    let baselines = [fixture(false).outcome(), fixture(true).outcome()];
    let mut failures = Vec::new();
    for row in table(columns.category) {
        let place = format!("README.md line {} ({}):", row.line, columns.category);
        match row.support {
            Support::Yes | Support::Partly => {
                let first = row.first();
                let clean = with(first, false).outcome();
                if row.support == Support::Yes && !clean.diagnostics.is_empty() {
                    failures.push(format!(
                        "{place} `{first}` is `yes` but gives diagnostics: {:?}",
                        clean.diagnostics
                    ));
                } else if !clean.errors().is_empty() {
                    failures.push(format!(
                        "{place} `{first}` gives errors: {:?}",
                        clean.errors()
                    ));
                }
                let read = [false, true]
                    .iter()
                    .zip(&baselines)
                    .any(|(&duplicate, baseline)| &with(first, duplicate).outcome() != baseline);
                if !read {
                    failures.push(format!(
                        "{place} `{first}` is ignored: the form is the same without it, so it \
                         is `no`"
                    ));
                }
                for alias in &row.codes[1..] {
                    let mut workbook = with(first, false);
                    workbook.sheet(columns.sheet).rename(first, alias);
                    let outcome = workbook.outcome();
                    if outcome.form != clean.form
                        || outcome.diagnostics.len() != clean.diagnostics.len()
                    {
                        failures.push(format!(
                            "{place} `{alias}` is not read as `{first}`: {:?}",
                            outcome.diagnostics
                        ));
                    }
                }
            }
            Support::No => {
                for code in &row.codes {
                    for (duplicate, baseline) in [false, true].into_iter().zip(&baselines) {
                        let outcome = with(code, duplicate).outcome();
                        if outcome.form != baseline.form || outcome.errors() != baseline.errors() {
                            failures.push(format!(
                                "{place} `{code}` is `no` but changes the import (it is read): \
                                 {:?}",
                                outcome.diagnostics
                            ));
                            break;
                        }
                    }
                }
            }
        }
    }
    failures
}

/// The `end` row that closes a `begin` row.
fn end_of(begin: &str) -> String {
    let end = format!("end{}", &begin["begin".len()..]);
    let words: Vec<&str> = end.split([' ', '_']).collect();
    if words.get(1) == Some(&"loop") {
        "end loop".to_owned()
    } else {
        end
    }
}

/// Whether pyxform's `name` is among the codes, as itself or followed by a list name.
fn covers(codes: &BTreeSet<String>, name: &str) -> bool {
    let name = name.to_lowercase();
    codes
        .iter()
        .any(|code| *code == name || code.starts_with(&format!("{name} ")))
}

// ---------------------------------------------------------------------------------------
// The checks.

#[test]
fn functions_are_those_of_the_expression_library() {
    let library: BTreeSet<&str> = letsema_expr::function_names().collect();
    let mut listed = BTreeSet::new();
    let mut failures = Vec::new();
    for row in table(FUNCTIONS) {
        for code in &row.codes {
            let name = code.split('(').next().unwrap_or_default().trim();
            listed.insert(name.to_owned());
            let place = format!("README.md line {} ({FUNCTIONS}):", row.line);
            match row.support {
                Support::Yes | Support::Partly if !library.contains(name) => failures.push(
                    format!("{place} `{name}` is not in letsema_expr::function_names()"),
                ),
                Support::No if library.contains(name) => failures.push(format!(
                    "{place} `{name}` is `no` but letsema_expr::function_names() has it"
                )),
                Support::No => match letsema_expr::parse(&format!("{name}()")) {
                    Err(error) if error.message.contains("not a known function") => {}
                    other => failures.push(format!(
                        "{place} `{name}()` is `no` but is not refused as an unknown \
                         function: {other:?}"
                    )),
                },
                Support::Yes | Support::Partly => {}
            }
        }
    }
    for name in library
        .iter()
        .copied()
        .chain(ODK_FUNCTIONS.iter().copied())
        .chain(EXTRA_FUNCTIONS.iter().copied())
    {
        if !listed.contains(name) {
            failures.push(format!("`{name}` has no row in the `{FUNCTIONS}` table"));
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn question_types_import_as_the_readme_says() {
    let mut failures = Vec::new();
    for row in table(QUESTION_TYPES) {
        // An `end` row is tried with the `begin` row it closes.
        let ends: Vec<String> = row
            .codes
            .iter()
            .filter(|code| code.starts_with("begin"))
            .map(|code| end_of(code))
            .collect();
        for code in row.codes.iter().filter(|code| !ends.contains(code)) {
            let mut workbook = fixture(false);
            let survey = workbook.sheet("survey");
            survey.set(TARGET, "type", code);
            if code.to_lowercase().contains("calculate") {
                survey.set(TARGET, "calculation", "${age} + 1");
            }
            if code.starts_with("begin") {
                survey.insert(TARGET + 1, &["text", "inside", "Inside"]);
                survey.insert(TARGET + 2, &[&end_of(code), "", ""]);
            }
            // A select_one_external reads a list of its own sheet, filtered (as pyxform
            // requires); its list may share a name with one of the choices sheet.
            if code.starts_with("select_one_external") {
                survey.set(TARGET, "choice_filter", "band < ${age}");
                workbook.0.push(Sheet::new(
                    "external_choices",
                    &[
                        &["list_name", "name", "label", "band"],
                        &["LIST", "x", "X", "1"],
                    ],
                ));
            }
            let import = workbook.import();
            let errors = import.errors().count();
            // `csv-external NAME` declares a file, not an item: `instance('NAME')` reads it.
            let found = import.form.as_ref().is_some_and(|form| {
                form.find_item("target").is_some() || form.instance("target").is_some()
            });
            let place = format!("README.md line {} ({QUESTION_TYPES}):", row.line);
            let diagnostics: Vec<String> =
                import.diagnostics.iter().map(ToString::to_string).collect();
            match row.support {
                Support::Yes if !diagnostics.is_empty() || !found => failures.push(format!(
                    "{place} `{code}` is `yes` but does not import cleanly: {diagnostics:?}"
                )),
                Support::Partly if errors > 0 || !found => failures.push(format!(
                    "{place} `{code}` is `partly` but is refused: {diagnostics:?}"
                )),
                Support::No
                    if !import.diagnostics.iter().any(|diagnostic| {
                        diagnostic
                            .column
                            .as_ref()
                            .is_some_and(|column| column.header == "type")
                    }) =>
                {
                    failures.push(format!(
                        "{place} `{code}` is `no` but imports without a word about its type: \
                         {diagnostics:?}"
                    ));
                }
                _ => {}
            }
        }
    }
    assert_no_failures(&failures);
}

#[test]
fn survey_columns_are_read_as_the_readme_says() {
    assert_no_failures(&check_columns(&Columns {
        category: SURVEY_COLUMNS,
        sheet: "survey",
        row: |column| match column {
            "choice_filter" => PICK,
            "repeat_count" => REP,
            _ => TARGET,
        },
        sample: |column| match column {
            "type" => "integer",
            "name" => "renamed",
            "parameters" => "rows=7",
            _ => "${age} > 1",
        },
    }));
}

#[test]
fn choices_columns_are_read_as_the_readme_says() {
    assert_no_failures(&check_columns(&Columns {
        category: CHOICES_COLUMNS,
        sheet: "choices",
        row: |_| CHOICE,
        sample: |column| match column {
            "list_name" => "OTHER",
            "name" => "renamed",
            _ => "sample",
        },
    }));
}

#[test]
fn settings_are_read_as_the_readme_says() {
    assert_no_failures(&check_columns(&Columns {
        category: SETTINGS,
        sheet: "settings",
        row: |_| SETTING,
        sample: |setting| match setting {
            "form_id" => "renamed",
            "instance_name" => "concat('no. ', ${age})",
            _ => "yes",
        },
    }));
}

#[test]
fn the_tables_have_a_row_for_everything_pyxform_knows() {
    let mut failures = Vec::new();
    for (category, known) in [
        (QUESTION_TYPES, PYXFORM_TYPES),
        (SURVEY_COLUMNS, PYXFORM_SURVEY_COLUMNS),
        (CHOICES_COLUMNS, PYXFORM_CHOICES_COLUMNS),
        (SETTINGS, PYXFORM_SETTINGS),
    ] {
        let codes = every_code(&table(category));
        for name in known {
            if !covers(&codes, name) {
                failures.push(format!("pyxform's `{name}` has no row in `{category}`"));
            }
        }
    }
    assert_no_failures(&failures);
}
