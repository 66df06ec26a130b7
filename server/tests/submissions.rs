//! The staff's table of submissions (`GET /api/submissions`): pages, scopes, filters and
//! text search, on the backend the tests run on (`./dev test` runs them on both).

mod common;

use common::{Browser, EnrolledDevice, Fixture, fixture};
use letsema_doc::{Answer, DeviceId, ReviewStatus, SessionId, SubmissionDoc, Timestamp, Writer};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use serde_json::Value;
use warp::http::StatusCode;

/// 2026-05-28, 20:26:40 UTC; one submission a minute from there, unless a test says.
const T0: i64 = 1_780_000_000_000;
const DAY: i64 = 86_400_000;

/// A phone of an association, with its sync client.
struct Phone {
    device: EnrolledDevice,
    writer: Writer,
    client: Client<MemoryClientStore>,
    generator: letsema_workload::Generator,
}

impl Phone {
    async fn enrol(f: &Fixture, association: &str, seed: u64) -> Phone {
        let device = f.enrol(association).await;
        let writer = Writer::new(
            DeviceId::parse(&device.id).expect("a device id"),
            SessionId::from_bytes(&[7; 16]).expect("16 bytes"),
            None,
        );
        Phone {
            client: Client::new(ClientConfig::new(writer.clone()), MemoryClientStore::new()),
            writer,
            device,
            generator: letsema_workload::Generator::new(seed),
        }
    }

    /// A valid generated submission created at `at`, with these answers set over it.
    fn capture(&mut self, at: i64, answers: &[(&str, &str)]) -> SubmissionDoc {
        let mut doc = self
            .generator
            .submission_in(&self.writer, Some(&self.device.association), Timestamp(at))
            .expect("a submission");
        for (name, value) in answers {
            doc.set_answer(name, &Answer::value(*value), Timestamp(at + 1_000))
                .expect("an answer");
        }
        doc
    }

    /// Saves `doc` on the phone; gives the submission's id as the table shows it.
    fn save(&mut self, doc: &mut SubmissionDoc) -> String {
        self.client.save_document(doc).expect("saved").to_string()
    }

    async fn sync(&mut self, f: &Fixture) {
        f.sync_phone(&self.device.credential, &mut self.client)
            .await;
    }
}

async fn table(f: &Fixture, who: &Browser, query: &str) -> (StatusCode, Value) {
    f.send("GET", &format!("/api/submissions?{query}"), Some(who), None)
        .await
}

/// The ids of a page, in its order.
async fn ids(f: &Fixture, who: &Browser, query: &str) -> Vec<String> {
    let (status, page) = table(f, who, query).await;
    assert_eq!(status, StatusCode::OK, "{query}: {page}");
    page["submissions"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|row| row["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn pages_run_newest_first_and_a_cursor_goes_on_without_repeating_or_skipping() {
    let f = fixture();
    let mut phone = Phone::enrol(&f, "assoc-a", 1).await;
    let mut made = Vec::new();
    for i in 0..7 {
        let mut doc = phone.capture(T0 + i * 60_000, &[]);
        made.push(phone.save(&mut doc));
    }
    phone.sync(&f).await;
    f.validate_all();
    let admin = f.staff("admin@example.org").await;

    let mut seen = Vec::new();
    let mut query = "limit=3".to_owned();
    let mut pages = 0;
    loop {
        let (status, page) = table(&f, &admin, &query).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let rows = page["submissions"].as_array().expect("a list");
        assert!(rows.len() <= 3);
        seen.extend(
            rows.iter()
                .map(|row| row["id"].as_str().expect("id").to_owned()),
        );
        pages += 1;
        match page["next"].as_str() {
            Some(next) => query = format!("limit=3&after={next}"),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let newest_first: Vec<String> = made.iter().rev().cloned().collect();
    assert_eq!(seen, newest_first);
    assert_eq!(ids(&f, &admin, "order=oldest").await, made);

    // A submission that arrives while a reviewer pages does not shift the pages after.
    let (_, first) = table(&f, &admin, "limit=3").await;
    let next = first["next"].as_str().expect("more").to_owned();
    let mut late = phone.capture(T0 + 3_600_000, &[]);
    let late_id = phone.save(&mut late);
    phone.sync(&f).await;
    f.validate_all();
    assert_eq!(
        ids(&f, &admin, &format!("limit=3&after={next}")).await,
        newest_first[3..6]
    );
    assert_eq!(ids(&f, &admin, "limit=1").await, [late_id]);

    let (status, row) = table(&f, &admin, "limit=1").await;
    assert_eq!(status, StatusCode::OK);
    let row = &row["submissions"][0];
    assert_eq!(row["form_id"], "diaspora_registration");
    assert_eq!(row["association"], "assoc-a");
    assert_eq!(row["device"], phone.device.id.as_str());
    assert_eq!(row["created_at"], T0 + 3_600_000);
    assert_eq!(row["review_status"], "received");
    assert_eq!(row["conflicts"], 0);
}

#[tokio::test]
async fn each_role_sees_the_associations_it_may_and_nothing_without_signing_in() {
    let f = fixture();
    let mut a = Phone::enrol(&f, "assoc-a", 2).await;
    let mut b = Phone::enrol(&f, "assoc-b", 3).await;
    let a_ids: Vec<String> = (0..2)
        .map(|i| {
            let mut doc = a.capture(T0 + i * 60_000, &[]);
            a.save(&mut doc)
        })
        .collect();
    let mut doc = b.capture(T0 + 600_000, &[]);
    let b_id = b.save(&mut doc);
    a.sync(&f).await;
    b.sync(&f).await;
    f.validate_all();

    let count = |list: Vec<String>| list.len();
    let admin = f.staff("admin@example.org").await;
    let reviewer = f.staff("reviewer@example.org").await;
    let coord_a = f.staff("coord-a@example.org").await;
    let coord_b = f.staff("coord-b@example.org").await;
    assert_eq!(count(ids(&f, &admin, "").await), 3);
    assert_eq!(count(ids(&f, &reviewer, "").await), 3);
    let mut own = ids(&f, &coord_a, "").await;
    own.sort();
    let mut expected = a_ids.clone();
    expected.sort();
    assert_eq!(own, expected);
    assert_eq!(ids(&f, &coord_b, "").await, vec![b_id.clone()]);
    assert!(ids(&f, &coord_a, "association=assoc-b").await.is_empty());
    assert_eq!(ids(&f, &admin, "association=assoc-b").await, [b_id]);

    let (status, body) = f.send("GET", "/api/submissions", None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
}

#[tokio::test]
async fn filters_find_by_name_phone_choice_status_completeness_and_day() {
    let f = fixture();
    let mut phone = Phone::enrol(&f, "assoc-a", 4).await;
    let mut mpho = phone.capture(
        T0,
        &[
            ("first_name", "Mphò"),
            ("surname", "Mokoena"),
            ("phone", "+266 5800 1234"),
            ("country", "uk"),
            ("profession", "nurse"),
        ],
    );
    let mut lineo = phone.capture(
        T0 + DAY,
        &[
            ("first_name", "Lineo"),
            ("surname", "Thabane"),
            ("country", "south_africa"),
            ("profession", "doctor"),
        ],
    );
    lineo
        .set_review_status(ReviewStatus::HasIssues, Timestamp(T0 + DAY + 5_000))
        .expect("a status");
    let mut palesa = phone.capture(
        T0 + 2 * DAY,
        &[
            ("first_name", "Palesa"),
            ("surname", "Mokoena"),
            ("country", "uk"),
            ("profession", "doctor"),
            ("email", "not-an-address"),
        ],
    );
    let mpho_id = phone.save(&mut mpho);
    let lineo_id = phone.save(&mut lineo);
    let palesa_id = phone.save(&mut palesa);
    phone.sync(&f).await;
    f.validate_all();
    let reviewer = f.staff("reviewer@example.org").await;

    // Text: any case, with or without diacritics, a word or its start, a phone's digits.
    assert_eq!(ids(&f, &reviewer, "q=mpho").await, vec![mpho_id.clone()]);
    assert_eq!(
        ids(&f, &reviewer, "q=MOKOENA").await,
        [palesa_id.clone(), mpho_id.clone()]
    );
    assert_eq!(ids(&f, &reviewer, "q=mok").await.len(), 2);
    assert_eq!(
        ids(&f, &reviewer, "q=palesa+mok").await,
        vec![palesa_id.clone()]
    );
    assert_eq!(
        ids(&f, &reviewer, "q=58001234").await,
        vec![mpho_id.clone()]
    );
    assert_eq!(ids(&f, &reviewer, "q=5800").await, vec![mpho_id.clone()]);
    assert!(ids(&f, &reviewer, "q=nobody").await.is_empty());

    // Choices, alone and together.
    assert_eq!(
        ids(&f, &reviewer, "choice=country:uk").await,
        [palesa_id.clone(), mpho_id.clone()]
    );
    assert_eq!(
        ids(&f, &reviewer, "choice=country:uk&choice=profession:doctor").await,
        vec![palesa_id.clone()]
    );
    assert_eq!(
        ids(&f, &reviewer, "choice=country:uk&order=oldest").await,
        [mpho_id.clone(), palesa_id.clone()]
    );

    // Status, completeness, days (whole days, UTC), form.
    assert_eq!(
        ids(&f, &reviewer, "status=has_issues").await,
        vec![lineo_id.clone()]
    );
    let (_, incomplete) = table(&f, &reviewer, "complete=false").await;
    let incomplete = incomplete["submissions"].as_array().expect("a list");
    assert!(incomplete.iter().any(|row| row["id"] == palesa_id.as_str()));
    assert!(
        incomplete.iter().all(|row| row["complete"] == false
            && row["issues"].as_array().is_some_and(|i| !i.is_empty()))
    );
    let (_, complete) = table(&f, &reviewer, "complete=true").await;
    assert!(
        complete["submissions"]
            .as_array()
            .expect("a list")
            .iter()
            .all(|row| row["complete"] == true && row["id"] != palesa_id.as_str())
    );
    assert_eq!(
        ids(&f, &reviewer, "from=2026-05-29&to=2026-05-29").await,
        vec![lineo_id.clone()]
    );
    assert_eq!(ids(&f, &reviewer, "from=2026-05-29").await.len(), 2);
    assert_eq!(
        ids(&f, &reviewer, "form=diaspora_registration").await.len(),
        3
    );
    assert!(ids(&f, &reviewer, "form=another_form").await.is_empty());

    // A correction moves the submission from one choice to the other.
    let mut edited = phone
        .client
        .open_document((&letsema_doc::SubmissionId::parse(&mpho_id).expect("an id")).into())
        .expect("opens")
        .expect("kept");
    edited
        .set_answer("country", &Answer::value("usa"), Timestamp(T0 + 3 * DAY))
        .expect("edited");
    phone.save(&mut edited);
    phone.sync(&f).await;
    f.validate_all();
    assert_eq!(ids(&f, &reviewer, "choice=country:uk").await, [palesa_id]);
    assert_eq!(ids(&f, &reviewer, "choice=country:usa").await, [mpho_id]);
}

#[tokio::test]
async fn a_field_written_on_two_devices_at_once_is_found_by_the_conflicts_filter() {
    let f = fixture();
    let mut phone = Phone::enrol(&f, "assoc-a", 5).await;
    let mut calm = phone.capture(T0, &[]);
    let calm_id = phone.save(&mut calm);
    let mut doc = phone.capture(T0 + 60_000, &[]);
    let other = Writer::new(
        DeviceId::parse(&phone.device.id).expect("a device id"),
        SessionId::from_bytes(&[8; 16]).expect("16 bytes"),
        None,
    );
    let mut fork = doc.fork(other);
    doc.set_answer("city", &Answer::value("Durban"), Timestamp(T0 + 70_000))
        .expect("one value");
    fork.set_answer("city", &Answer::value("Leeds"), Timestamp(T0 + 70_000))
        .expect("another");
    doc.merge(&mut fork).expect("merged");
    assert!(!doc.conflicts().is_empty(), "the test made a conflict");
    let conflicted_id = phone.save(&mut doc);
    phone.sync(&f).await;
    f.validate_all();

    let admin = f.staff("admin@example.org").await;
    assert_eq!(
        ids(&f, &admin, "conflicts=true").await,
        vec![conflicted_id.clone()]
    );
    assert_eq!(ids(&f, &admin, "conflicts=false").await, [calm_id]);
    let (_, page) = table(&f, &admin, "conflicts=true").await;
    assert!(page["submissions"][0]["conflicts"].as_u64() >= Some(1));
}

#[tokio::test]
async fn a_malformed_query_is_refused_with_the_parameter_and_what_to_write() {
    let f = fixture();
    let admin = f.staff("admin@example.org").await;
    for (query, parameter) in [
        ("status=done", "status"),
        ("from=28-05-2026", "from"),
        ("limit=1000", "limit"),
        ("after=nonsense", "after"),
        ("sort=name", "unknown parameter"),
        ("choice=country", "choice"),
    ] {
        let (status, body) = table(&f, &admin, query).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(body["error"]["code"], "invalid_query");
        let message = body["error"]["message"].as_str().expect("a message");
        assert!(message.starts_with(parameter), "{query}: {message}");
    }
    let long = format!("q={}", "a".repeat(3000));
    let (status, _) = table(&f, &admin, &long).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

/// A submission's page: its document now, as staff read it.
async fn read(f: &Fixture, who: &Browser, id: &str) -> (StatusCode, Value) {
    f.send("GET", &format!("/api/submissions/{id}"), Some(who), None)
        .await
}

#[tokio::test]
async fn a_reviewer_reads_a_submission_with_every_fields_history_and_the_engines_judgement() {
    let f = fixture();
    let mut phone = Phone::enrol(&f, "assoc-a", 6).await;
    let mut doc = phone.capture(T0, &[("city", "Maseru"), ("email", "not-an-address")]);
    let id = phone.save(&mut doc);
    phone.sync(&f).await;
    let reviewer = f.staff("reviewer@example.org").await;

    let (status, detail) = read(&f, &reviewer, &id).await;
    assert_eq!(status, StatusCode::OK, "{detail}");
    assert_eq!(detail["id"], id.as_str());
    assert_eq!(detail["association"], "assoc-a");
    assert_eq!(detail["device"], phone.device.id.as_str());
    assert_eq!(detail["answers"]["city"], "Maseru");
    assert_eq!(detail["review_status"], "received");
    assert_eq!(
        detail["complete"], false,
        "judged at once, before the validator ran"
    );
    assert!(
        detail["issues"].as_array().is_some_and(|issues| issues
            .iter()
            .any(|i| i.as_str().is_some_and(|i| i.contains("email")))),
        "{detail}"
    );
    let history = detail["history"].as_array().expect("a history");
    let city: Vec<&Value> = history
        .iter()
        .filter(|change| change["field"]["answer"]["name"] == "city")
        .collect();
    assert!(!city.is_empty(), "{history:?}");
    let last = city.last().expect("a change");
    assert_eq!(last["to"]["answer"], "Maseru");
    assert_eq!(last["device"], phone.device.id.as_str());
    assert_eq!(last["time"], T0 + 1_000);

    // Another association's coordinator is told nothing exists; a malformed id likewise.
    let other = f.staff("coord-b@example.org").await;
    let (status, _) = read(&f, &other, &id).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = read(&f, &reviewer, "not-an-id").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_staff_area_reads_its_session_the_form_and_the_submission_as_the_wire_types() {
    use letsema_protocol::DeviceForm;
    use letsema_protocol::staff::{FieldPath, Role, Session, SubmissionDetail, SubmissionPage};

    let f = fixture();
    let mut phone = Phone::enrol(&f, "assoc-a", 6).await;
    let mut doc = phone.capture(T0, &[("city", "Maseru")]);
    let id = phone.save(&mut doc);
    phone.sync(&f).await;
    let reviewer = f.staff("reviewer@example.org").await;

    let (status, session) = f.send("GET", "/api/session", Some(&reviewer), None).await;
    assert_eq!(status, StatusCode::OK);
    let session: Session = serde_json::from_value(session).expect("a session");
    assert_eq!(session.user.role, Role::Reviewer);

    f.validate_all();
    let (status, page) = table(&f, &reviewer, "limit=5").await;
    assert_eq!(status, StatusCode::OK);
    let page: SubmissionPage = serde_json::from_value(page).expect("a page");
    assert_eq!(page.submissions[0].id, id);

    let (_, detail) = read(&f, &reviewer, &id).await;
    let detail: SubmissionDetail = serde_json::from_value(detail).expect("a submission");
    assert!(detail.history.iter().any(|change| change.field
        == FieldPath::Answer(letsema_protocol::staff::AnswerPath {
            repeats: Vec::new(),
            name: "city".into(),
        })));

    let path = format!(
        "/api/forms/{}?version={}",
        detail.form_id, detail.form_version
    );
    let (status, form) = f.send("GET", &path, Some(&reviewer), None).await;
    assert_eq!(status, StatusCode::OK, "{form}");
    let form: DeviceForm = serde_json::from_value(form).expect("a form");
    assert_eq!(form.version, detail.form_version);
    assert!(form.definition.find_question("city").is_some());

    let (status, missing) = f
        .send(
            "GET",
            "/api/forms/diaspora_registration?version=no-such",
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    let (status, _) = f.send("GET", &path, None, None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_answer_in_a_repeat_entry_is_corrected_by_the_entry_it_names_and_reaches_the_phone() {
    use letsema_doc::{AnswerPath, Answers};

    let f = fixture();
    let mut phone = Phone::enrol(&f, "assoc-a", 8).await;
    let mut doc = phone.capture(T0, &[]);
    let qualifications = AnswerPath::field("qualifications");
    let entry = doc
        .add_repeat_instance(
            &qualifications,
            &Answers::new()
                .with("degree", Answer::value("BSc Nursing"))
                .with(
                    "institution",
                    Answer::value("National University of Lesotho"),
                )
                .with("year", Answer::value("2015")),
            Timestamp(T0 + 2_000),
        )
        .expect("an entry");
    let id = phone.save(&mut doc);
    phone.sync(&f).await;
    let reviewer = f.staff("reviewer@example.org").await;

    let (_, detail) = read(&f, &reviewer, &id).await;
    let ids: Vec<&str> = detail["repeats"]["qualifications"]
        .as_array()
        .expect("the entries' ids")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let position = ids
        .iter()
        .position(|one| *one == entry.as_str())
        .expect("the entry is listed");
    let correct = |field: &str, entry: &str, value: &str| {
        serde_json::json!({
            "field": field,
            "entry": { "repeat": "qualifications", "id": entry },
            "value": value,
        })
    };
    let path = format!("/api/submissions/{id}/answers");
    let (status, after) = f
        .send(
            "POST",
            &path,
            Some(&reviewer),
            Some(correct("year", entry.as_str(), "2016")),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["answers"]["qualifications"][position]["year"], "2016");
    assert!(
        after["history"]
            .as_array()
            .expect("a history")
            .iter()
            .any(|change| {
                change["field"]["answer"]["name"] == "year"
                    && change["field"]["answer"]["repeats"][0][1] == entry.as_str()
                    && change["to"]["answer"] == "2016"
            }),
        "the correction is in the entry's history"
    );

    // A question that is not in that repeat, an entry that is not there: refused.
    for (body, why) in [
        (
            correct("city", entry.as_str(), "Leribe"),
            "city is outside the repeat",
        ),
        (correct("year", "no-such-entry", "2017"), "no such entry"),
    ] {
        let (status, answer) = f.send("POST", &path, Some(&reviewer), Some(body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{why}: {answer}");
    }

    // The phone receives the correction in its entry.
    phone.sync(&f).await;
    let doc_id = letsema_doc::SubmissionId::parse(&id).expect("an id");
    let on_phone = phone
        .client
        .open_document(letsema_protocol::sync::DocId::from(&doc_id))
        .expect("the store")
        .expect("the submission");
    assert_eq!(
        on_phone.answer_at(&qualifications.child(&entry, "year")),
        Some(Answer::value("2016"))
    );
}

#[tokio::test]
async fn a_correction_and_a_comment_reach_the_phone_and_merge_with_its_own_offline_edit() {
    let f = fixture();
    let mut phone = Phone::enrol(&f, "assoc-a", 7).await;
    let mut doc = phone.capture(T0, &[("city", "Maseru"), ("specialisation", "Paediatrics")]);
    let id = phone.save(&mut doc);
    phone.sync(&f).await;
    let coordinator = f.staff("coord-a@example.org").await;

    let (status, after) = f
        .send(
            "POST",
            &format!("/api/submissions/{id}/answers"),
            Some(&coordinator),
            Some(serde_json::json!({ "field": "city", "value": "Mafeteng" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["answers"]["city"], "Mafeteng");
    let (status, after) = f
        .send(
            "POST",
            &format!("/api/submissions/{id}/review"),
            Some(&coordinator),
            Some(serde_json::json!({
                "status": "has_issues",
                "comment": "Please check the specialisation with Lineo."
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert_eq!(after["review_status"], "has_issues");
    assert_eq!(
        after["comments"][0]["text"],
        "Please check the specialisation with Lineo."
    );
    let staff_change = after["history"]
        .as_array()
        .expect("a history")
        .iter()
        .rfind(|change| change["field"]["answer"]["name"] == "city")
        .expect("the correction is in the history")
        .clone();
    assert!(
        staff_change["device"]
            .as_str()
            .is_some_and(|d| d.starts_with("staff-")),
        "{staff_change}"
    );

    // Meanwhile, offline, the volunteer corrects another field; then syncs.
    let doc_id = (&letsema_doc::SubmissionId::parse(&id).expect("an id")).into();
    let mut offline = phone
        .client
        .open_document(doc_id)
        .expect("opens")
        .expect("kept");
    offline
        .set_answer(
            "specialisation",
            &Answer::value("Neonatal care"),
            Timestamp(T0 + 120_000),
        )
        .expect("edited");
    phone.save(&mut offline);
    phone.sync(&f).await;
    let on_phone = phone
        .client
        .open_document(doc_id)
        .expect("opens")
        .expect("kept");
    assert_eq!(on_phone.answer("city"), Some(Answer::value("Mafeteng")));
    assert_eq!(
        on_phone.answer("specialisation"),
        Some(Answer::value("Neonatal care"))
    );
    let review = on_phone.review();
    assert_eq!(review.status, Some(ReviewStatus::HasIssues));
    assert_eq!(review.comments.len(), 1);

    let (_, now) = read(&f, &coordinator, &id).await;
    assert_eq!(now["answers"]["city"], "Mafeteng");
    assert_eq!(now["answers"]["specialisation"], "Neonatal care");
    f.validate_all();
    assert_eq!(
        ids(&f, &coordinator, "status=has_issues").await,
        vec![id.clone()]
    );

    // What the submission cannot hold is refused, and names what to fix.
    for (path, body) in [
        (
            "answers",
            serde_json::json!({ "field": "no_such_question", "value": "x" }),
        ),
        (
            "answers",
            serde_json::json!({ "field": "degree", "value": "BSc" }),
        ),
        ("review", serde_json::json!({})),
        ("review", serde_json::json!({ "comment": "   " })),
        ("review", serde_json::json!({ "comment": "bell\u{7}" })),
    ] {
        let (status, error) = f
            .send(
                "POST",
                &format!("/api/submissions/{id}/{path}"),
                Some(&coordinator),
                Some(body.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {error}");
        assert_eq!(error["error"]["code"], "invalid_edit");
    }
    let other = f.staff("coord-b@example.org").await;
    let (status, _) = f
        .send(
            "POST",
            &format!("/api/submissions/{id}/review"),
            Some(&other),
            Some(serde_json::json!({ "status": "approved" })),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "another association's is not there"
    );
}

#[tokio::test]
async fn a_conflict_is_listed_with_each_value_and_its_author_and_resolved_by_a_recorded_choice() {
    let f = fixture();
    let mut phone = Phone::enrol(&f, "assoc-a", 8).await;
    let mut doc = phone.capture(T0, &[]);
    let mut fork = doc.fork(Writer::new(
        DeviceId::parse(&phone.device.id).expect("a device id"),
        SessionId::from_bytes(&[9; 16]).expect("16 bytes"),
        None,
    ));
    doc.set_answer("city", &Answer::value("Durban"), Timestamp(T0 + 10_000))
        .expect("one value");
    fork.set_answer("city", &Answer::value("Leeds"), Timestamp(T0 + 20_000))
        .expect("another");
    doc.merge(&mut fork).expect("merged");
    let id = phone.save(&mut doc);
    phone.sync(&f).await;
    let admin = f.staff("admin@example.org").await;

    let (_, detail) = read(&f, &admin, &id).await;
    let conflicts = detail["conflicts"].as_array().expect("conflicts");
    assert_eq!(conflicts.len(), 1, "{conflicts:?}");
    let values: Vec<&Value> = conflicts[0]["values"]
        .as_array()
        .expect("values")
        .iter()
        .collect();
    assert_eq!(values.len(), 2);
    assert!(
        values
            .iter()
            .all(|v| v["device"] == phone.device.id.as_str())
    );
    let mut times: Vec<i64> = values
        .iter()
        .map(|v| v["time"].as_i64().expect("a time"))
        .collect();
    times.sort_unstable();
    assert_eq!(times, [T0 + 10_000, T0 + 20_000]);

    let (status, after) = f
        .send(
            "POST",
            &format!("/api/submissions/{id}/resolve"),
            Some(&admin),
            Some(serde_json::json!({
                "field": conflicts[0]["field"],
                "value": { "answer": "Leeds" }
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{after}");
    assert!(
        after["conflicts"].as_array().is_some_and(Vec::is_empty),
        "{after}"
    );
    assert_eq!(after["answers"]["city"], "Leeds");
    f.validate_all();
    assert!(ids(&f, &admin, "conflicts=true").await.is_empty());
    phone.sync(&f).await;
    let doc_id = (&letsema_doc::SubmissionId::parse(&id).expect("an id")).into();
    let on_phone = phone
        .client
        .open_document(doc_id)
        .expect("opens")
        .expect("kept");
    assert!(
        on_phone.conflicts().is_empty(),
        "the phone has the resolution"
    );
}

#[tokio::test]
async fn a_bulk_status_change_sets_each_submission_in_scope_and_says_so_for_each() {
    let f = fixture();
    let mut phone = Phone::enrol(&f, "assoc-a", 9).await;
    let made: Vec<String> = (0..5)
        .map(|i| {
            let mut doc = phone.capture(T0 + i * 60_000, &[]);
            phone.save(&mut doc)
        })
        .collect();
    phone.sync(&f).await;
    let outsider = f.staff("coord-b@example.org").await;
    let (status, answer) = f
        .send(
            "POST",
            "/api/submissions/review",
            Some(&outsider),
            Some(serde_json::json!({ "ids": made, "status": "approved" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert!(
        answer["results"]
            .as_array()
            .expect("results")
            .iter()
            .all(|r| r["ok"] == false)
    );

    let reviewer = f.staff("reviewer@example.org").await;
    let (status, answer) = f
        .send(
            "POST",
            "/api/submissions/review",
            Some(&reviewer),
            Some(serde_json::json!({ "ids": made, "status": "approved" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    let results = answer["results"].as_array().expect("results");
    let answered: Vec<&str> = results
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(
        answered,
        made.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert!(results.iter().all(|r| r["ok"] == true), "{answer}");
    f.validate_all();
    assert_eq!(ids(&f, &reviewer, "status=approved").await.len(), 5);

    let (status, _) = f
        .send(
            "POST",
            "/api/submissions/review",
            Some(&reviewer),
            Some(serde_json::json!({ "ids": [], "status": "approved" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
