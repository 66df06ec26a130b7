//! The OData feed (`GET /api/odata/{form}.svc/…`) on the backend the tests run on: what a
//! staff member reads of a form across its versions and its repeat, within their
//! associations, page by page; who may read it (a session, or Basic credentials over HTTPS
//! or from this machine); what it refuses; and the audit log of its reads. The same feed
//! is read by a real OData client in `tests/odata/` (`./dev test`).

mod common;

use std::net::SocketAddr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::register::register;
use common::{Browser, Fixture, PASSWORD, fixture};
use letsema_export::Schema;
use letsema_export::odata::OData;
use letsema_server::export::form_versions;
use letsema_server::odata::{SkipToken, read_page};
use letsema_server::routes::routes;
use letsema_server::store::{AssociationScope, AuditQuery, SubmissionQuery};
use serde_json::Value;
use warp::http::{HeaderMap, StatusCode};

const SERVICE: &str = "/api/odata/diaspora_registration.svc";

/// How a request is signed: a browser's session, Basic credentials, or nothing.
enum Caller<'a> {
    Session(&'a Browser),
    Basic(&'a str, &'a str),
    Nobody,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn get(f: &Fixture, path: &str, caller: Caller<'_>, remote: Option<&str>) -> Answer {
    let mut builder = warp::test::request().method("GET").path(path);
    match caller {
        Caller::Session(browser) => builder = builder.header("cookie", &browser.cookie),
        Caller::Basic(email, password) => {
            let encoded = STANDARD.encode(format!("{email}:{password}"));
            builder = builder.header("authorization", format!("Basic {encoded}"));
        }
        Caller::Nobody => {}
    }
    if let Some(remote) = remote {
        builder = builder.remote_addr(remote.parse::<SocketAddr>().expect("an address"));
    }
    let response = builder.reply(&routes(f.state.clone())).await;
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.body().to_vec(),
    }
}

fn names(document: &Value) -> Vec<String> {
    document["value"]
        .as_array()
        .expect("a value array")
        .iter()
        .map(|set| set["name"].as_str().expect("a name").to_owned())
        .collect()
}

#[tokio::test]
async fn the_service_and_metadata_documents_describe_every_table_of_every_version() {
    let f = fixture();
    register(&f).await;
    let admin = f.staff("admin@example.org").await;
    let service = get(&f, SERVICE, Caller::Session(&admin), None).await;
    assert_eq!(service.status, StatusCode::OK, "{}", service.text());
    assert_eq!(service.headers["odata-version"], "4.0");
    assert!(
        service.headers["content-type"]
            .to_str()
            .expect("ascii")
            .starts_with("application/json"),
    );
    let document = service.json();
    assert_eq!(
        document["@odata.context"],
        "http://127.0.0.1:8080/api/odata/diaspora_registration.svc/$metadata"
    );
    let sets = names(&document);
    assert_eq!(sets[0], "Submissions");
    assert!(
        sets.contains(&"Submissions.children".to_owned()),
        "{sets:?}"
    );

    let metadata = get(
        &f,
        &format!("{SERVICE}/$metadata"),
        Caller::Session(&admin),
        None,
    )
    .await;
    assert_eq!(metadata.status, StatusCode::OK);
    assert_eq!(metadata.headers["content-type"], "application/xml");
    let xml = metadata.text();
    for expected in [
        "<Property Name=\"age\" Type=\"Edm.Int64\"/>",
        "<Property Name=\"height\" Type=\"Edm.Decimal\"/>",
        "<Property Name=\"birth_date\" Type=\"Edm.Date\"/>",
        "<Property Name=\"__Submissions-id\" Type=\"Edm.String\"/>",
        "<EntitySet Name=\"Submissions.children\"",
    ] {
        assert!(xml.contains(expected), "{expected} in {xml}");
    }
}

#[tokio::test]
async fn a_coordinator_reads_typed_rows_of_their_association_and_the_repeat_keyed_to_them() {
    let f = fixture();
    let (first, second) = register(&f).await;
    let coordinator = f.staff("coord-a@example.org").await;
    let page = get(
        &f,
        &format!("{SERVICE}/Submissions?$count=true"),
        Caller::Session(&coordinator),
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text());
    let document = page.json();
    assert_eq!(document["@odata.count"], 2, "assoc-b's is not theirs");
    assert!(document.get("@odata.nextLink").is_none());
    let rows = document["value"].as_array().expect("rows");
    let ids: Vec<&str> = rows.iter().filter_map(|r| r["__id"].as_str()).collect();
    assert_eq!(ids, [first.as_str(), second.as_str()], "oldest first");
    assert_eq!(rows[0]["age"], 34, "an integer is a number");
    assert_eq!(rows[0]["full_name"], "Tšepo \"Tš\" Mokhothu, Jr.\nMaseru");
    assert_eq!(rows[0]["__system"]["reviewState"], "has_issues");
    assert_eq!(rows[0]["__system"]["formVersion"], "test-1");
    assert_eq!(rows[0]["__system"]["association"], "assoc-a");
    assert_eq!(rows[0]["height"], Value::Null, "version 1 has no height");
    assert_eq!(
        rows[0]["children@odata.navigationLink"],
        format!("Submissions('{}')/children", first.replace(':', "%3A"))
    );
    assert_eq!(rows[1]["height"], 1.72);
    assert_eq!(rows[1]["birth_date"], "1990-02-03");
    let mut languages: Vec<&str> = rows[1]["languages"]
        .as_str()
        .expect("text")
        .split(' ')
        .collect();
    languages.sort_unstable();
    assert_eq!(
        languages,
        ["en", "st"],
        "a select_multiple's values, by spaces"
    );

    let children = get(
        &f,
        &format!("{SERVICE}/Submissions.children"),
        Caller::Session(&coordinator),
        None,
    )
    .await
    .json();
    let children = children["value"].as_array().expect("rows").clone();
    assert_eq!(children.len(), 2);
    assert_eq!(children[0]["__id"], format!("{first}/children[1]"));
    assert_eq!(children[0]["__Submissions-id"], first.as_str());
    assert_eq!(children[0]["child_name"], "Lerato");
    assert_eq!(children[1]["child_age"], 2);

    let count = get(
        &f,
        &format!("{SERVICE}/Submissions.children/$count"),
        Caller::Session(&coordinator),
        None,
    )
    .await;
    assert_eq!(count.text(), "2");
    assert_eq!(count.headers["content-type"], "text/plain");
}

#[tokio::test]
async fn a_row_is_read_by_its_key_and_its_repeat_by_the_link_it_gives() {
    let f = fixture();
    let (first, _) = register(&f).await;
    let coordinator = f.staff("coord-a@example.org").await;
    let row = get(
        &f,
        &format!("{SERVICE}/Submissions('{first}')"),
        Caller::Session(&coordinator),
        None,
    )
    .await;
    assert_eq!(row.status, StatusCode::OK, "{}", row.text());
    let row = row.json();
    assert_eq!(row["__id"], first.as_str());
    assert!(
        row["@odata.context"]
            .as_str()
            .is_some_and(|c| c.ends_with("$metadata#Submissions/$entity"))
    );
    let link = row["children@odata.navigationLink"]
        .as_str()
        .expect("a link");
    let children = get(
        &f,
        &format!("{SERVICE}/{link}"),
        Caller::Session(&coordinator),
        None,
    )
    .await;
    assert_eq!(children.status, StatusCode::OK, "{}", children.text());
    let names: Vec<String> = children.json()["value"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|child| child["child_name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["Lerato", "Neo"]);
    let one = get(
        &f,
        &format!("{SERVICE}/Submissions.children('{first}/children[2]')?$select=child_age"),
        Caller::Session(&coordinator),
        None,
    )
    .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.text());
    let one = one.json();
    assert_eq!(one["child_age"], 2);
    assert!(one.get("child_name").is_none(), "not selected: {one}");

    // Another association's coordinator is told nothing of it.
    let other = f.staff("coord-b@example.org").await;
    let hidden = get(
        &f,
        &format!("{SERVICE}/Submissions('{first}')"),
        Caller::Session(&other),
        None,
    )
    .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let hidden = get(
        &f,
        &format!("{SERVICE}/Submissions('{first}')/children"),
        Caller::Session(&other),
        None,
    )
    .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_of_any_size_add_up_to_the_whole_set_each_row_once() {
    let f = fixture();
    register(&f).await;
    let store = &*f.state.store;
    let versions = form_versions(store, "diaspora_registration").expect("published");
    let forms: Vec<_> = versions.iter().map(AsRef::as_ref).collect();
    let schema = Schema::new(&forms).expect("a schema");
    let odata = OData::new(&schema);
    let mut scope =
        SubmissionQuery::from_pairs(AssociationScope::All, Vec::new()).expect("a query");
    scope.form = Some("diaspora_registration".to_owned());
    for set in ["Submissions", "Submissions.children"] {
        let index = odata.entity_set(set).expect("a set");
        let whole = read_page(
            store,
            &odata,
            index,
            &scope,
            SkipToken::default(),
            None,
            1000,
        )
        .expect("read");
        assert!(whole.next.is_none());
        for page_rows in [1, 2] {
            let mut rows = Vec::new();
            let mut start = SkipToken::default();
            loop {
                let page =
                    read_page(store, &odata, index, &scope, start, None, page_rows).expect("read");
                assert!(page.rows.len() <= page_rows);
                rows.extend(page.rows);
                match page.next {
                    Some(next) => start = next,
                    None => break,
                }
            }
            assert_eq!(rows, whole.rows, "{set} in pages of {page_rows}");
        }
        // `$top` over pages: at most that many, and no next page beyond.
        let top = read_page(
            store,
            &odata,
            index,
            &scope,
            SkipToken::default(),
            Some(1),
            1000,
        )
        .expect("read");
        assert_eq!(top.rows.len(), 1);
        assert!(top.next.is_none());
    }
}

#[tokio::test]
async fn a_next_link_continues_where_the_page_ended_and_keeps_the_options() {
    let f = fixture();
    register(&f).await;
    let admin = f.staff("admin@example.org").await;
    let page = get(
        &f,
        &format!("{SERVICE}/Submissions?$top=2&$skip=1&$select=full_name"),
        Caller::Session(&admin),
        None,
    )
    .await
    .json();
    let rows = page["value"].as_array().expect("rows");
    assert_eq!(
        rows.len(),
        2,
        "three submissions, the first skipped: {page}"
    );
    assert_eq!(rows[0]["full_name"], "Mpho");
    assert!(rows[0].get("age").is_none());
    assert!(page.get("@odata.nextLink").is_none(), "$top reached");
}

#[tokio::test]
async fn basic_credentials_are_taken_over_https_or_from_this_machine_only() {
    let f = fixture();
    register(&f).await;
    let path = format!("{SERVICE}/Submissions");
    let local = Some("127.0.0.1:50000");
    let read = get(
        &f,
        &path,
        Caller::Basic("admin@example.org", PASSWORD),
        local,
    )
    .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.text());
    assert_eq!(read.json()["value"].as_array().map(Vec::len), Some(3));
    // Again: the matched password is remembered, and still checked.
    let again = get(
        &f,
        &path,
        Caller::Basic("admin@example.org", PASSWORD),
        local,
    )
    .await;
    assert_eq!(again.status, StatusCode::OK);

    let wrong = get(
        &f,
        &path,
        Caller::Basic("admin@example.org", "not it"),
        local,
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(
        wrong.headers["www-authenticate"]
            .to_str()
            .expect("ascii")
            .starts_with("Basic realm="),
        "Excel and Power BI ask for credentials"
    );
    let nobody = get(&f, &path, Caller::Nobody, local).await;
    assert_eq!(nobody.status, StatusCode::UNAUTHORIZED);
    assert!(nobody.headers.contains_key("www-authenticate"));

    let remote = Some("203.0.113.9:50000");
    let plain = get(
        &f,
        &path,
        Caller::Basic("admin@example.org", PASSWORD),
        remote,
    )
    .await;
    assert_eq!(plain.status, StatusCode::FORBIDDEN, "{}", plain.text());
    assert_eq!(plain.json()["error"]["code"], "https_required");
}

#[tokio::test]
async fn what_the_feed_does_not_offer_is_refused_with_what_to_do() {
    let f = fixture();
    register(&f).await;
    let admin = f.staff("admin@example.org").await;
    for (path, status) in [
        (
            format!("{SERVICE}/Submissions?$filter=age gt 3"),
            StatusCode::NOT_IMPLEMENTED,
        ),
        (
            format!("{SERVICE}/Submissions?$expand=*"),
            StatusCode::NOT_IMPLEMENTED,
        ),
        (
            format!("{SERVICE}/Submissions?$top=x"),
            StatusCode::BAD_REQUEST,
        ),
        (
            format!("{SERVICE}/Submissions?$select=no_such"),
            StatusCode::BAD_REQUEST,
        ),
        (format!("{SERVICE}/Nothing"), StatusCode::NOT_FOUND),
        (
            "/api/odata/not_published.svc/Submissions".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/odata/diaspora_registration".to_owned(),
            StatusCode::NOT_FOUND,
        ),
        (
            format!("{SERVICE}/Submissions?$format=atom"),
            StatusCode::NOT_ACCEPTABLE,
        ),
        (
            format!("{SERVICE}/Submissions('not-an-id')"),
            StatusCode::NOT_FOUND,
        ),
    ] {
        let path = path.replace(' ', "%20");
        let answer = get(&f, &path, Caller::Session(&admin), None).await;
        assert_eq!(answer.status, status, "{path}: {}", answer.text());
        let message = answer.json()["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.len() > 20, "{path}: says what to do: {message}");
    }
}

#[tokio::test]
async fn reads_of_data_are_on_the_audit_log_with_who_from_where_and_what() {
    let f = fixture();
    let (first, _) = register(&f).await;
    let local = Some("127.0.0.1:50000");
    let basic = || Caller::Basic("coord-a@example.org", PASSWORD);
    for path in [
        SERVICE.to_owned(),
        format!("{SERVICE}/$metadata"),
        format!("{SERVICE}/Submissions?$top=5"),
        format!("{SERVICE}/Submissions('{first}')/children"),
        format!("{SERVICE}/Submissions?$skiptoken=start:1"),
    ] {
        let answer = get(&f, &path, basic(), local).await;
        assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text());
    }
    let log = f
        .state
        .store
        .audit_log(&AuditQuery {
            action: Some("odata.read".to_owned()),
            ..AuditQuery::default()
        })
        .expect("the log");
    let details: Vec<&str> = log.entries.iter().map(|e| e.detail.as_str()).collect();
    assert_eq!(
        details,
        [
            format!(
                "form=diaspora_registration set=Submissions key={first} navigation=children \
                 rows=2"
            )
            .as_str(),
            "form=diaspora_registration set=Submissions top=5 rows=2",
        ],
        "data reads only, newest first; a continued page is part of its read"
    );
    let coordinator = f.actor("coord-a@example.org");
    for entry in &log.entries {
        assert_eq!(entry.actor, coordinator);
        assert_eq!(entry.address.as_deref(), Some("127.0.0.1"));
    }
}
