//! Exports (`crate::export`, behind `GET /api/exports` and `letsema export`), read back as a
//! planner's tools would read them, on the backend the tests run on (`./dev test` runs them
//! on both): every value equal to what the documents hold, across two versions of a form
//! and its repeat, within the staff member's scope and the filters, and on the audit log.

mod common;

use std::io::{Cursor, Read};

use common::register::register;
use common::{Fixture, fixture};
use letsema_server::export::{ExportRequest, write_export};
use letsema_server::store::{AssociationScope, AuditQuery};
use warp::http::StatusCode;

fn request(scope: AssociationScope, query: &str) -> ExportRequest {
    let pairs =
        form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned()));
    ExportRequest::from_pairs(scope, pairs).expect("a valid export request")
}

fn export(f: &Fixture, request: &ExportRequest) -> (Vec<u8>, u64) {
    let mut progress = Vec::new();
    let (out, written) = write_export(
        &*f.state.store,
        request,
        Cursor::new(Vec::new()),
        &mut |rows| progress.push(rows),
    )
    .expect("exported");
    assert_eq!(
        progress.last(),
        Some(&written.submissions),
        "progress ends at the total"
    );
    (out.into_inner(), written.submissions)
}

/// One CSV file of a zip, as header → values per row.
fn csv_table(zip: &[u8], name: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).expect("a zip");
    let mut text = String::new();
    archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the zip"))
        .read_to_string(&mut text)
        .expect("UTF-8");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader.headers().expect("headers").clone();
    reader
        .records()
        .map(|record| {
            let record = record.expect("a record");
            headers
                .iter()
                .zip(record.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_csv_export_holds_every_value_across_both_versions_and_the_repeat() {
    let f = fixture();
    let (first, second) = register(&f).await;
    let (zip, count) = export(
        &f,
        &request(
            AssociationScope::All,
            "form=diaspora_registration&association=assoc-a",
        ),
    );
    assert_eq!(count, 2);
    let rows = csv_table(&zip, "diaspora_registration.csv");
    assert_eq!(rows.len(), 2, "oldest first, assoc-a only");
    let (a, b) = (&rows[0], &rows[1]);
    assert_eq!(a["KEY"], first);
    assert_eq!(b["KEY"], second);
    assert_eq!(a["full_name"], "Tšepo \"Tš\" Mokhothu, Jr.\nMaseru");
    assert_eq!(a["age"], "34");
    assert_eq!(a["height"], "", "a question version 1 lacks is empty");
    assert_eq!(b["age"], "", "a question version 2 dropped is empty");
    assert_eq!(b["height"], "1.72");
    assert_eq!(b["birth_date"], "1990-02-03");
    assert_eq!(a["consent"], "yes");
    let mut languages: Vec<&str> = b["languages"].split(' ').collect();
    languages.sort_unstable();
    assert_eq!(languages, ["en", "st"]);
    assert_eq!(a["FormVersion"], "test-1");
    assert_eq!(b["FormVersion"], "test-2");
    assert_eq!(a["Association"], "assoc-a");
    assert_eq!(a["ReviewState"], "has_issues");
    assert!(a["Comments"].contains("check the age"), "{}", a["Comments"]);
    assert_eq!(b["SubmissionDate"], "2026-05-28T20:27:40.000Z");

    let children = csv_table(&zip, "diaspora_registration-children.csv");
    assert_eq!(children.len(), 2);
    assert!(children.iter().all(|c| c["PARENT_KEY"] == first));
    assert_eq!(children[0]["child_name"], "Lerato");
    assert_eq!(children[0]["child_age"], "5");
    assert_eq!(children[1]["child_name"], "Neo");
    assert_ne!(children[0]["KEY"], children[1]["KEY"]);
}

#[tokio::test]
async fn an_xlsx_export_has_typed_cells_and_a_sheet_for_the_repeat() {
    use calamine::{Data, Reader, Xlsx};
    let f = fixture();
    register(&f).await;
    let (bytes, count) = export(
        &f,
        &request(
            AssociationScope::Only(vec!["assoc-a".to_owned()]),
            "form=diaspora_registration&format=xlsx&labels=English",
        ),
    );
    assert_eq!(count, 2, "the scope of a coordinator of assoc-a");
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).expect("an xlsx");
    let names = workbook.sheet_names();
    assert!(names.len() >= 2, "{names:?}");
    let main = workbook
        .worksheet_range(&names[0])
        .expect("the first sheet");
    let header: Vec<String> = main
        .rows()
        .next()
        .expect("a header")
        .iter()
        .map(ToString::to_string)
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("{name} in {header:?}"))
    };
    let rows: Vec<&[Data]> = main.rows().skip(1).collect();
    assert_eq!(rows.len(), 2);
    assert!(
        matches!(rows[0][column("age")], Data::Float(v) if v == 34.0)
            || matches!(rows[0][column("age")], Data::Int(34)),
        "{:?}",
        rows[0][column("age")]
    );
    assert!(
        matches!(rows[1][column("height")], Data::Float(v) if (v - 1.72).abs() < 1e-9),
        "{:?}",
        rows[1][column("height")]
    );
    assert!(
        matches!(rows[1][column("birth_date")], Data::DateTime(_)),
        "{:?}",
        rows[1][column("birth_date")]
    );
    assert_eq!(
        rows[0][column("consent")].to_string(),
        "Yes",
        "the label, in English"
    );
    let sheet = names
        .iter()
        .find(|name| name.as_str() == "children")
        .unwrap_or_else(|| panic!("a sheet for the repeat in {names:?}"))
        .clone();
    let children = workbook
        .worksheet_range(&sheet)
        .expect("the children's sheet");
    assert_eq!(children.rows().count(), 3, "a header and two children");
}

#[tokio::test]
async fn json_lines_hold_one_submission_a_line_with_its_repeat_and_nothing_outside_the_scope() {
    let f = fixture();
    let (first, _) = register(&f).await;
    let (bytes, count) = export(
        &f,
        &request(
            AssociationScope::Only(vec!["assoc-b".to_owned()]),
            "form=diaspora_registration&format=jsonl&association=assoc-a",
        ),
    );
    assert_eq!(
        count, 0,
        "assoc-a is outside a coordinator of assoc-b's scope"
    );
    assert!(bytes.is_empty());
    let (bytes, count) = export(
        &f,
        &request(
            AssociationScope::All,
            "form=diaspora_registration&format=jsonl&review=false",
        ),
    );
    assert_eq!(count, 3);
    let lines: Vec<serde_json::Value> = std::str::from_utf8(&bytes)
        .expect("UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["KEY"], first.as_str());
    assert!(lines[0].get("ReviewState").is_none(), "review=false");
    let children = lines[0]["answers"]["children"]
        .as_array()
        .expect("the repeat");
    assert_eq!(children.len(), 2);
    assert_eq!(children[1]["child_name"], "Neo");
    assert_eq!(lines[0]["answers"]["age"], 34, "an integer is a number");
}

#[tokio::test]
async fn an_export_asks_for_a_form_and_refuses_paging_and_unknown_options() {
    let scope = || AssociationScope::All;
    let refused = |query: &str| {
        let pairs =
            form_urlencoded::parse(query.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned()));
        ExportRequest::from_pairs(scope(), pairs)
            .expect_err(query)
            .to_string()
    };
    assert!(refused("format=csv").contains("form"));
    assert!(refused("form=f&format=pdf").contains("csv, xlsx or jsonl"));
    assert!(refused("form=f&limit=10").contains("filter"));
    assert!(refused("form=f&review=yes").contains("true or false"));
    assert!(refused("form=f&format=csv&format=xlsx").contains("once"));
    assert!(refused("form=f&colour=red").contains("unknown parameter"));
}

#[tokio::test]
async fn the_route_records_each_export_with_who_and_the_filter_but_not_the_words_searched() {
    let f = fixture();
    register(&f).await;
    let coordinator = f.staff("coord-a@example.org").await;
    let (status, _) = f
        .send(
            "GET",
            "/api/exports?form=diaspora_registration&format=jsonl&q=Mpho",
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = f
        .send(
            "GET",
            "/api/exports?form=nothing_published",
            Some(&coordinator),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = f
        .send("GET", "/api/exports?form=diaspora_registration", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    let log = f
        .state
        .store
        .audit_log(&AuditQuery {
            action: Some("export".to_owned()),
            ..AuditQuery::default()
        })
        .expect("the log");
    assert_eq!(log.entries.len(), 1, "only the export made: {log:?}");
    let entry = &log.entries[0];
    assert_eq!(entry.actor, f.actor("coord-a@example.org"));
    assert!(
        entry.detail.contains("form=diaspora_registration"),
        "{}",
        entry.detail
    );
    assert!(entry.detail.contains("format=jsonl"), "{}", entry.detail);
    assert!(entry.detail.contains("scope=assoc-a"), "{}", entry.detail);
    assert!(entry.detail.contains("submissions=1"), "{}", entry.detail);
    assert!(
        !entry.detail.contains("Mpho"),
        "no searched words: {}",
        entry.detail
    );

    let admin = f.staff("admin@example.org").await;
    let (status, page) = f
        .send("GET", "/api/audit?action=export", Some(&admin), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page["entries"][0]["detail"], entry.detail.as_str());
    let (status, _) = f.send("GET", "/api/audit", Some(&coordinator), None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "admins only");
}
