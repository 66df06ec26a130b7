//! Imports of existing registers (`crate::import`, behind `letsema import`), on the backend
//! the tests run on (`./dev test` runs them on both): a spreadsheet of members becomes
//! submissions that hold exactly its cells, nothing is written when a row cannot be read,
//! and importing the same file again changes nothing.

mod common;

use common::forms::VERSION_2;
use common::{Fixture, fixture};
use letsema_doc::Timestamp;
use letsema_server::import::{ImportError, ImportRequest, import_register};
use letsema_server::store::{AssociationScope, publish_file};
use warp::http::StatusCode;

/// 2026-05-28, 20:26:40 UTC.
const NOW: Timestamp = Timestamp(1_780_000_000_000);

/// A register as a membership secretary keeps it: a member number, the form's questions
/// under their own names or labels, and a column of notes the form has no question for.
const REGISTER: &str = "member_no,full_name,height,birth_date,consent,languages,Notes
M-001,\"Mokhothu, Tšepo\",1.72,1990-02-03,Yes,Sesotho; English,joined 2019
M-002,Palesa Mokoena,,1985-12-24,no,st,
M-003,Neo,1.6,,yes,,moved to Durban
";

fn request(map: &[(&str, Option<&str>)], dry_run: bool) -> ImportRequest {
    ImportRequest {
        form: "diaspora_registration".to_owned(),
        version: Some("test-2".to_owned()),
        association: "assoc-a".to_owned(),
        key: Some("member_no".to_owned()),
        map: map
            .iter()
            .map(|(column, question)| ((*column).to_owned(), question.map(str::to_owned)))
            .collect(),
        dry_run,
    }
}

fn publish(f: &Fixture) {
    publish_file(&*f.state.store, "v2.md", VERSION_2.as_bytes(), "a test").expect("version 2");
}

fn import(
    f: &Fixture,
    request: &ImportRequest,
    name: &str,
    bytes: &[u8],
) -> Result<letsema_server::import::ImportReport, ImportError> {
    import_register(&*f.state.store, request, name, bytes, NOW, &mut |_, _| {})
}

/// Every submission of assoc-a as an export's JSON lines read them.
fn exported(f: &Fixture) -> Vec<serde_json::Value> {
    let pairs = [
        ("form", "diaspora_registration"),
        ("format", "jsonl"),
        ("association", "assoc-a"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()));
    let request = letsema_server::export::ExportRequest::from_pairs(AssociationScope::All, pairs)
        .expect("an export");
    let (out, _) = letsema_server::export::write_export(
        &*f.state.store,
        &request,
        std::io::Cursor::new(Vec::new()),
        &mut |_| {},
    )
    .expect("exported");
    String::from_utf8(out.into_inner())
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect()
}

#[tokio::test]
async fn a_register_becomes_submissions_holding_its_cells_and_a_second_import_changes_nothing() {
    let f = fixture();
    publish(&f);
    let store = &f.state.store;

    let unmatched = import(
        &f,
        &request(&[], false),
        "register.csv",
        REGISTER.as_bytes(),
    )
    .expect_err("a column matches no question");
    assert!(matches!(&unmatched, ImportError::UnmatchedColumns(columns) if columns == &["Notes"]));
    assert!(
        unmatched.to_string().contains("--map 'COLUMN='"),
        "{unmatched}"
    );

    let leave_notes = request(&[("Notes", None)], true);
    let dry = import(&f, &leave_notes, "register.csv", REGISTER.as_bytes()).expect("a dry run");
    assert_eq!((dry.rows, dry.new, dry.already), (3, 3, 0));
    assert!(dry.dry_run);
    assert_eq!(
        store.document_count().expect("a count"),
        0,
        "a dry run writes nothing"
    );

    let leave_notes = request(&[("Notes", None)], false);
    let done = import(&f, &leave_notes, "register.csv", REGISTER.as_bytes()).expect("imported");
    assert_eq!((done.rows, done.new, done.already), (3, 3, 0));
    f.validate_all();
    let rows = exported(&f);
    assert_eq!(rows.len(), 3);
    let by_name = |name: &str| {
        rows.iter()
            .find(|row| row["answers"]["full_name"] == name)
            .unwrap_or_else(|| panic!("{name} imported: {rows:?}"))
    };
    let tsepo = &by_name("Mokhothu, Tšepo")["answers"];
    assert_eq!(tsepo["height"], 1.72);
    assert_eq!(tsepo["birth_date"], "1990-02-03");
    assert_eq!(tsepo["consent"], "yes", "a label read as its choice");
    let mut languages: Vec<&str> = tsepo["languages"]
        .as_array()
        .expect("several")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    languages.sort_unstable();
    assert_eq!(languages, ["en", "st"]);
    assert!(tsepo.get("Notes").is_none() && tsepo.get("member_no").is_none());
    let palesa = &by_name("Palesa Mokoena");
    assert!(
        palesa["answers"].get("height").is_none(),
        "an empty cell is no answer"
    );
    assert_eq!(palesa["DeviceID"], "letsema-import");
    assert_eq!(palesa["Association"], "assoc-a");

    let again = import(&f, &leave_notes, "register.csv", REGISTER.as_bytes()).expect("again");
    assert_eq!((again.rows, again.new, again.already), (3, 0, 3));
    assert_eq!(store.document_count().expect("a count"), 3, "nothing added");
}

#[tokio::test]
async fn a_row_that_cannot_be_read_refuses_the_whole_import_and_says_where() {
    let f = fixture();
    publish(&f);
    let register = "member_no,full_name,height,birth_date,consent
M-001,Lerato,1.7,1999-01-01,yes
M-002,Neo,tall,1999-01-01,maybe
M-003,Thabo,1.8,03/04/1999,no
M-001,Lerato again,1.7,1999-01-01,yes
";
    let error = import(
        &f,
        &request(&[], false),
        "register.csv",
        register.as_bytes(),
    )
    .expect_err("rows cannot be read");
    let ImportError::Rows(problems) = &error else {
        panic!("row problems expected: {error}");
    };
    let found: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.row, p.column.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (3, "height"),
            (3, "consent"),
            (4, "birth_date"),
            (5, "member_no")
        ]
    );
    let message = error.to_string();
    assert!(message.contains("\"tall\" is not a number"), "{message}");
    assert!(
        message.contains("\"maybe\" is not a choice of yes_no"),
        "{message}"
    );
    assert!(message.contains("YYYY-MM-DD"), "{message}");
    assert!(message.contains("the same key as row 2"), "{message}");
    assert_eq!(
        f.state.store.document_count().expect("a count"),
        0,
        "nothing half-written"
    );
}

#[tokio::test]
async fn an_xlsx_register_with_date_cells_is_read_as_a_spreadsheet_shows_it() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let f = fixture();
    publish(&f);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (column, header) in ["Member", "full_name", "birth_date", "height"]
        .iter()
        .enumerate()
    {
        sheet
            .write_string(0, u16::try_from(column).expect("few"), *header)
            .expect("a header");
    }
    sheet.write_string(1, 0, "M-9").expect("a cell");
    sheet.write_string(1, 1, "Lineo").expect("a cell");
    let born = ExcelDateTime::from_ymd(1991, 7, 30).expect("a date");
    sheet
        .write_datetime_with_format(1, 2, &born, &date)
        .expect("a date cell");
    sheet.write_number(1, 3, 1.65).expect("a number cell");
    let bytes = workbook.save_to_buffer().expect("saved");

    let mut request = request(&[], false);
    request.key = Some("Member".to_owned());
    let report = import(&f, &request, "register.xlsx", &bytes).expect("imported");
    assert_eq!(report.new, 1);
    f.validate_all();
    let rows = exported(&f);
    assert_eq!(rows[0]["answers"]["birth_date"], "1991-07-30");
    assert_eq!(rows[0]["answers"]["height"], 1.65);
}

#[tokio::test]
async fn files_forms_versions_and_columns_that_cannot_be_imported_are_refused_before_reading() {
    let f = fixture();
    publish(&f);
    let refused = |request: &ImportRequest, name: &str, bytes: &[u8]| {
        import(&f, request, name, bytes)
            .expect_err(name)
            .to_string()
    };
    let ok = request(&[], false);
    assert!(refused(&ok, "register.pdf", b"x").contains(".xlsx, .xls or .csv"));
    assert!(refused(&ok, "register.csv", b"member_no,full_name\n").contains("no rows"));
    let mut other = ok.clone();
    other.form = "no_such_form".to_owned();
    assert!(refused(&other, "r.csv", b"member_no\nM-1\n").contains("no form"));
    let mut old = ok.clone();
    old.version = Some("test-9".to_owned());
    assert!(refused(&old, "r.csv", b"member_no\nM-1\n").contains("no published version"));
    assert!(refused(&ok, "r.csv", b"full_name\nNeo\n").contains("key column \"member_no\""));
    assert!(
        refused(&ok, "r.csv", b"member_no,child_name\nM-1,Neo\n")
            .contains("repeats cannot be imported")
    );
    assert!(
        refused(
            &ok,
            "r.csv",
            b"member_no,full_name,registration-full_name\nM-1,Neo,Neo\n"
        )
        .contains("both answer full_name")
    );
}

#[test]
fn letsema_import_reports_what_it_did_and_each_import_is_on_record() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let data = dir.path().join("data");
    let data = data.to_str().expect("a UTF-8 path");
    let form = dir.path().join("v2.md");
    std::fs::write(&form, VERSION_2).expect("the form written");
    let register = dir.path().join("register.csv");
    std::fs::write(&register, REGISTER).expect("the register written");
    let run = |args: &[&str]| {
        let output = common::process::letsema()
            .args(args)
            .output()
            .expect("letsema runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, _, err) = run(&[
        "form",
        "publish",
        form.to_str().expect("UTF-8"),
        "--data-dir",
        data,
    ]);
    assert!(ok, "{err}");
    let import = [
        "import",
        register.to_str().expect("UTF-8"),
        "--form",
        "diaspora_registration",
        "--association",
        "assoc-a",
        "--key",
        "member_no",
        "--map",
        "Notes=",
        "--quiet",
        "--data-dir",
        data,
    ];
    let (ok, out, err) = run(&import);
    assert!(ok, "{err}");
    assert!(out.contains("3 row(s) read: 3 were imported"), "{out}");
    let (ok, out, err) = run(&import);
    assert!(ok, "{err}");
    assert!(
        out.contains("0 were imported") && out.contains("3 imported before"),
        "{out}"
    );

    let (ok, out, err) = run(&["audit", "--action", "import", "--json", "--data-dir", data]);
    assert!(ok, "{err}");
    let entries: Vec<serde_json::Value> = out
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect();
    assert_eq!(entries.len(), 2, "{out}");
    assert_eq!(entries[0]["actor"], "cli");
    let detail = entries[0]["detail"].as_str().expect("a detail");
    assert!(
        detail.contains("file=register.csv") && detail.contains("new=0"),
        "{detail}"
    );
    assert!(
        !detail.contains("Tšepo"),
        "no member's data on record: {detail}"
    );

    let mut refused = import;
    refused[9] = "Nothing=";
    let (ok, _, err) = run(&refused);
    assert!(!ok);
    assert!(
        err.contains("Notes"),
        "the unmatched column is named: {err}"
    );
}

#[tokio::test]
async fn the_staff_area_imports_into_an_association_its_account_may_write_and_the_log_says_so() {
    let f = fixture();
    publish(&f);
    let path = |association: &str, dry_run: bool| {
        format!(
            "/api/imports?name=register.csv&form=diaspora_registration&version=test-2\
             &association={association}&key=member_no&map=Notes%3D&dry_run={dry_run}"
        )
    };
    let coordinator = f.staff("coord-a@example.org").await;
    let (status, body) = f
        .send_bytes(
            "POST",
            &path("assoc-b", false),
            Some(&coordinator),
            REGISTER.as_bytes(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "another association's: {body}"
    );
    let reviewer = f.staff("reviewer@example.org").await;
    let (status, _) = f
        .send_bytes(
            "POST",
            &path("assoc-a", false),
            Some(&reviewer),
            REGISTER.as_bytes(),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "reviewers review, they do not import"
    );

    let (status, report) = f
        .send_bytes(
            "POST",
            &path("assoc-a", true),
            Some(&coordinator),
            REGISTER.as_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(
        (report["new"].as_u64(), report["dry_run"].as_bool()),
        (Some(3), Some(true))
    );
    let (status, report) = f
        .send_bytes(
            "POST",
            &path("assoc-a", false),
            Some(&coordinator),
            REGISTER.as_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["new"], 3);
    assert_eq!(f.state.store.document_count().expect("a count"), 3);

    let bad = "member_no,full_name,height\nM-1,Neo,tall\n";
    let (status, body) = f
        .send_bytes(
            "POST",
            &path("assoc-a", false),
            Some(&coordinator),
            bad.as_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("row 2, column height")),
        "{body}"
    );

    let log = f
        .state
        .store
        .audit_log(&letsema_server::store::AuditQuery {
            action: Some("import".to_owned()),
            ..Default::default()
        })
        .expect("the log");
    assert_eq!(log.entries.len(), 1, "the one import that wrote: {log:?}");
    assert!(
        log.entries[0].detail.contains("file=register.csv"),
        "{log:?}"
    );
    assert!(log.entries[0].detail.contains("new=3"), "{log:?}");
}

#[tokio::test]
async fn an_exports_own_columns_and_split_choices_are_left_out_so_an_export_imports_elsewhere() {
    let f = fixture();
    publish(&f);
    let register = "SubmissionDate,member_no,languages,languages/st,languages/en,KEY,ReviewState
2026-05-28T20:26:40.000Z,M-1,st en,1,1,0191f5a2-8c3e-7c4a-9f1e-2b7d4c6a8e01,approved
";
    let report = import(&f, &request(&[], false), "export.csv", register.as_bytes())
        .expect("an export's columns are understood");
    assert_eq!(report.new, 1);
    f.validate_all();
    let rows = exported(&f);
    let mut languages: Vec<&str> = rows[0]["answers"]["languages"]
        .as_array()
        .expect("several")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    languages.sort_unstable();
    assert_eq!(languages, ["en", "st"]);
    assert_eq!(
        rows[0]["ReviewState"], "received",
        "a review is not imported"
    );
}

#[tokio::test]
async fn an_association_that_only_an_import_wrote_to_is_listed_for_staff() {
    let f = fixture();
    publish(&f);
    let into_new = ImportRequest {
        association: "berea-register".to_owned(),
        ..request(&[("Notes", None)], false)
    };
    import(&f, &into_new, "register.csv", REGISTER.as_bytes()).expect("imported");

    let admin = f.staff("admin@example.org").await;
    let (status, listed) = f.send("GET", "/api/associations", Some(&admin), None).await;
    assert_eq!(status, StatusCode::OK, "{listed}");
    let codes: Vec<&str> = listed["associations"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|a| a["code"].as_str())
        .collect();
    assert!(
        codes.contains(&"berea-register"),
        "no account and no enrolment names it, but its submissions are there: {codes:?}"
    );
    // Listed once, in order, unnamed until someone names it.
    let mut sorted = codes.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(codes, sorted);
    let entry = listed["associations"]
        .as_array()
        .and_then(|all| all.iter().find(|a| a["code"] == "berea-register"))
        .expect("listed");
    assert_eq!(entry["name"], serde_json::Value::Null);
}
