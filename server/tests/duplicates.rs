//! People registered twice, found across associations on the backend the tests run on
//! (`letsema_server::duplicates`, behind `letsema duplicates`): the same member registered
//! by two associations' phones, her name in the other Sesotho spelling and her phone in
//! another format, is one group with its reasons; her sister on the family phone is not.
//! And on arrival: the validator records the pair as soon as it sees the second
//! registration, keeps a reviewer's "not the same person", and drops an open pair that a
//! correction or a withdrawal ends.

mod common;

use common::fixture;
use common::register::{Phone, T0, reference_version};
use letsema_doc::Answers;
use letsema_server::duplicates::find;
use letsema_server::store::{
    AssociationScope, MAX_PAIRS_PAGE, PairDecision, PairQuery, PairStatus, StoredPair,
};
use warp::http::StatusCode;

#[tokio::test]
async fn one_member_registered_by_two_associations_is_one_group_and_her_sister_is_not() {
    let f = fixture();
    let store = &*f.state.store;
    let version = reference_version(&f);
    let mut church = Phone::enrol(&f, "assoc-a").await;
    let first = church.capture(
        &version,
        T0,
        &member("Tšepo", "Mokhothu", "1988-04-05", "+27 82 123 4567"),
    );
    let sister = church.capture(
        &version,
        T0 + 1_000,
        &member("Lineo", "Mokhothu", "1993-11-20", "+27 82 123 4567"),
    );
    church.sync(&f).await;
    let mut nurses = Phone::enrol(&f, "assoc-b").await;
    let again = nurses.capture(
        &version,
        T0 + 86_400_000,
        &member("Tshepo", "Mokgothu", "1988-05-04", "082 123 4567"),
    );
    nurses.sync(&f).await;
    f.validate_all();

    let mut progress = Vec::new();
    let found = find(
        store,
        AssociationScope::All,
        Some("diaspora_registration"),
        &mut |read| progress.push(read),
    )
    .expect("a search");
    assert_eq!(found.read, 3);
    assert_eq!(progress.last(), Some(&3));
    assert_eq!(found.groups.len(), 1, "{:?}", found.groups);
    let group = &found.groups[0];
    let mut ids: Vec<&str> = group.members.iter().map(|m| m.id.as_str()).collect();
    ids.sort_unstable();
    let mut expected = [first.as_str(), again.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected, "not her sister {sister}");
    let explanation = group.pairs[0].2.explanation();
    assert!(
        explanation.contains("after spelling rules"),
        "{explanation}"
    );
    assert!(
        explanation.contains("swapped day and month"),
        "{explanation}"
    );

    // Within one association's scope, the other association's registration is not seen.
    let scoped = find(
        store,
        AssociationScope::Only(vec!["assoc-a".to_owned()]),
        None,
        &mut |_| {},
    )
    .expect("a search");
    assert!(scoped.groups.is_empty());
}

fn member(first: &str, surname: &str, dob: &str, phone: &str) -> Answers {
    Answers::new()
        .with("consent", "yes")
        .with("first_name", first)
        .with("surname", surname)
        .with("dob", dob)
        .with("phone", phone)
        .with("country", "south_africa")
}

/// A member registered by assoc-a's phone (her church) and, a day later, by assoc-b's (the
/// nurses'): her names in the other Sesotho spelling, the day and month of her birth
/// swapped, her phone written as `phone_again`; both synced.
struct RegisteredTwice {
    version: String,
    church: Phone,
    nurses: Phone,
    first: String,
    again: String,
}

async fn registered_twice(f: &common::Fixture, phone_again: &str) -> RegisteredTwice {
    let version = reference_version(f);
    let mut church = Phone::enrol(f, "assoc-a").await;
    let first = church.capture(
        &version,
        T0,
        &member("Tšepo", "Mokhothu", "1988-04-05", "+27 82 123 4567"),
    );
    church.sync(f).await;
    let mut nurses = Phone::enrol(f, "assoc-b").await;
    let again = nurses.capture(
        &version,
        T0 + 86_400_000,
        &member("Tshepo", "Mokgothu", "1988-05-04", phone_again),
    );
    nurses.sync(f).await;
    RegisteredTwice {
        version,
        church,
        nurses,
        first,
        again,
    }
}

fn open_pairs(f: &common::Fixture, scope: AssociationScope) -> Vec<StoredPair> {
    pairs(f, scope, PairStatus::Open)
}

fn pairs(f: &common::Fixture, scope: AssociationScope, status: PairStatus) -> Vec<StoredPair> {
    f.state
        .store
        .duplicate_pairs(&PairQuery {
            scope,
            status,
            after: None,
            limit: MAX_PAIRS_PAGE,
        })
        .expect("a page")
        .pairs
}

fn ids(pair: &StoredPair) -> [String; 2] {
    [
        pair.first.doc_id.to_string(),
        pair.second.doc_id.to_string(),
    ]
}

fn sorted(a: &str, b: &str) -> [String; 2] {
    let mut both = [a.to_owned(), b.to_owned()];
    both.sort_unstable();
    both
}

#[tokio::test]
async fn a_registration_is_compared_on_arrival_and_a_decision_is_remembered() {
    let f = fixture();
    let store = &*f.state.store;
    let version = reference_version(&f);
    let mut church = Phone::enrol(&f, "assoc-a").await;
    let first = church.capture(
        &version,
        T0,
        &member("Tšepo", "Mokhothu", "1988-04-05", "+27 82 123 4567"),
    );
    church.capture(
        &version,
        T0 + 1_000,
        &member("Lineo", "Mokhothu", "1993-11-20", "+27 82 123 4567"),
    );
    church.sync(&f).await;
    f.validate_all();
    assert!(
        open_pairs(&f, AssociationScope::All).is_empty(),
        "sisters are not one person"
    );

    // A year later, another association registers her again: the pair is there as soon as
    // the validator has seen the new registration, with its reasons.
    let mut nurses = Phone::enrol(&f, "assoc-b").await;
    let again = nurses.capture(
        &version,
        T0 + 86_400_000,
        &member("Tshepo", "Mokgothu", "1988-05-04", "082 123 4567"),
    );
    nurses.sync(&f).await;
    f.validate_all();
    let open = open_pairs(&f, AssociationScope::All);
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(ids(&open[0]), sorted(&first, &again));
    assert!(open[0].score >= letsema_match::SAME_PERSON);
    assert!(
        open[0].explanation.contains("swapped day and month"),
        "{}",
        open[0].explanation
    );
    let associations = [
        open[0].first.association.as_deref(),
        open[0].second.association.as_deref(),
    ];
    assert!(associations.contains(&Some("assoc-a")) && associations.contains(&Some("assoc-b")));
    // A coordinator of one of the two associations does not see the other's member.
    let own = AssociationScope::Only(vec!["assoc-a".to_owned()]);
    assert!(open_pairs(&f, own.clone()).is_empty());

    // "Not the same person": out of the open list, and it stays out when either changes.
    let pair = (open[0].first.doc_id, open[0].second.doc_id);
    assert!(
        !store
            .decide_pair(
                pair,
                Some(PairDecision::Different),
                &own,
                "Coord A",
                "user:3",
                None
            )
            .expect("decided"),
        "out of a coordinator's scope"
    );
    assert!(
        store
            .decide_pair(
                pair,
                Some(PairDecision::Different),
                &AssociationScope::All,
                "Reviewer",
                "user:2",
                Some("127.0.0.1")
            )
            .expect("decided")
    );
    assert!(open_pairs(&f, AssociationScope::All).is_empty());
    nurses.change(
        &again,
        T0 + 2 * 86_400_000,
        &member("Tshepo", "Mokgothu", "1988-05-04", "+27 82 123 4567"),
    );
    nurses.sync(&f).await;
    f.validate_all();
    assert!(open_pairs(&f, AssociationScope::All).is_empty());
    let different = pairs(&f, AssociationScope::All, PairStatus::Different);
    assert_eq!(different.len(), 1);
    assert_eq!(different[0].decision, Some(PairDecision::Different));
    assert_eq!(different[0].decided_by.as_deref(), Some("Reviewer"));

    // Opened again, it is proposed again; withdrawn, it is not.
    assert!(
        store
            .decide_pair(
                pair,
                None,
                &AssociationScope::All,
                "Reviewer",
                "user:2",
                None
            )
            .expect("opened")
    );
    assert_eq!(open_pairs(&f, AssociationScope::All).len(), 1);
    nurses.withdraw(&again, T0 + 3 * 86_400_000);
    nurses.sync(&f).await;
    f.validate_all();
    assert!(open_pairs(&f, AssociationScope::All).is_empty());
}

#[tokio::test]
async fn a_correction_that_makes_two_registrations_different_people_drops_their_pair() {
    let f = fixture();
    let version = reference_version(&f);
    let mut phone = Phone::enrol(&f, "assoc-a").await;
    let first = phone.capture(
        &version,
        T0,
        &member("Palesa", "Mokoena", "1990-03-14", "+27 82 555 0101"),
    );
    let second = phone.capture(
        &version,
        T0 + 60_000,
        &member("Palesa", "Mokoena", "1990-03-14", "+27 82 555 0101"),
    );
    phone.sync(&f).await;
    f.validate_all();
    let open = open_pairs(&f, AssociationScope::All);
    assert_eq!(open.len(), 1);
    assert_eq!(ids(&open[0]), sorted(&first, &second));

    // The volunteer meant someone else: another member, her own phone and birth date.
    phone.change(
        &second,
        T0 + 120_000,
        &member("Mpho", "Ramakatsa", "1979-12-01", "+27 83 444 0202"),
    );
    phone.sync(&f).await;
    f.validate_all();
    assert!(open_pairs(&f, AssociationScope::All).is_empty());
}

#[tokio::test]
async fn reviewers_list_candidates_and_decide_through_the_api_within_what_they_see() {
    let f = fixture();
    let RegisteredTwice {
        version,
        mut church,
        first,
        again,
        ..
    } = registered_twice(&f, "082 123 4567").await;
    // Both registrations of another member, within assoc-a.
    let twice = [
        church.capture(
            &version,
            T0 + 5_000,
            &member("Palesa", "Mokoena", "1990-03-14", "+27 82 555 0101"),
        ),
        church.capture(
            &version,
            T0 + 6_000,
            &member("Palesa", "Mokoena", "1990-03-14", "082 555 0101"),
        ),
    ];
    church.sync(&f).await;
    f.validate_all();

    let reviewer = f.staff("reviewer@example.org").await;
    let (status, page) = f
        .send("GET", "/api/duplicates", Some(&reviewer), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let listed = page["pairs"].as_array().expect("pairs");
    assert_eq!(listed.len(), 2, "{page}");
    assert!(page["next"].is_null());
    let across = listed
        .iter()
        .find(|p| p["first"]["association"] != p["second"]["association"])
        .expect("the pair across associations");
    let mut across_ids = [
        across["first"]["id"].as_str().expect("an id").to_owned(),
        across["second"]["id"].as_str().expect("an id").to_owned(),
    ];
    across_ids.sort_unstable();
    assert_eq!(across_ids, sorted(&first, &again));
    assert!(
        across["explanation"]
            .as_str()
            .expect("text")
            .contains("after spelling rules"),
        "{across}"
    );
    // The same reasons one by one, for the staff area to word in Sesotho.
    let reasons: Vec<letsema_protocol::reasons::MatchReason> =
        serde_json::from_value(across["reasons"].clone()).expect("the reasons");
    assert!(
        reasons.contains(&letsema_protocol::reasons::MatchReason::SameNames { respelt: true }),
        "{across}"
    );
    assert_eq!(
        letsema_protocol::reasons::explanation(&reasons),
        across["explanation"].as_str().expect("text")
    );

    // Pages: one pair, then the other, then no more.
    let (_, one) = f
        .send("GET", "/api/duplicates?limit=1", Some(&reviewer), None)
        .await;
    let next = one["next"].as_str().expect("a next page").to_owned();
    let (_, two) = f
        .send(
            "GET",
            &format!("/api/duplicates?limit=1&after={next}"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(two["pairs"].as_array().map(Vec::len), Some(1));
    assert_ne!(one["pairs"][0], two["pairs"][0]);
    assert!(two["next"].is_null());
    for bad in [
        "status=maybe",
        "limit=0",
        "limit=201",
        "after=x",
        "colour=red",
        "limit=1&limit=2",
    ] {
        let (status, body) = f
            .send(
                "GET",
                &format!("/api/duplicates?{bad}"),
                Some(&reviewer),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_query", "{bad}");
    }

    // assoc-a's coordinator sees the pair within assoc-a, not the one across associations,
    // and cannot decide about it.
    let coordinator = f.staff("coord-a@example.org").await;
    let (_, own) = f
        .send("GET", "/api/duplicates", Some(&coordinator), None)
        .await;
    let own = own["pairs"].as_array().expect("pairs").clone();
    assert_eq!(own.len(), 1);
    let mut own_ids = [
        own[0]["first"]["id"].as_str().expect("an id").to_owned(),
        own[0]["second"]["id"].as_str().expect("an id").to_owned(),
    ];
    own_ids.sort_unstable();
    assert_eq!(own_ids, sorted(&twice[0], &twice[1]));
    let decision = |a: &str, b: &str, decision: serde_json::Value| serde_json::json!({ "first": a, "second": b, "decision": decision });
    let (status, _) = f
        .send(
            "POST",
            "/api/duplicates/decision",
            Some(&coordinator),
            Some(decision(&first, &again, "different".into())),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The reviewer decides "not the same person", in either order of the ids; "merged" is
    // not a decision this route takes.
    let (status, body) = f
        .send(
            "POST",
            "/api/duplicates/decision",
            Some(&reviewer),
            Some(decision(&first, &again, "merged".into())),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = f
        .send_from(
            Some("192.0.2.7:4000"),
            "POST",
            "/api/duplicates/decision",
            Some(&reviewer),
            Some(decision(&again, &first, "different".into())),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, open) = f
        .send("GET", "/api/duplicates", Some(&reviewer), None)
        .await;
    assert_eq!(open["pairs"].as_array().map(Vec::len), Some(1));
    let (_, different) = f
        .send(
            "GET",
            "/api/duplicates?status=different",
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(different["pairs"][0]["decision"], "different");
    assert_eq!(different["pairs"][0]["decided_by"], "reviewer@example.org");
    let entries = f
        .state
        .store
        .audit_log(&letsema_server::store::AuditQuery {
            action: Some("duplicates.decide".to_owned()),
            ..letsema_server::store::AuditQuery::default()
        })
        .expect("the log")
        .entries;
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].actor, f.actor("reviewer@example.org"));
    assert_eq!(entries[0].address.as_deref(), Some("192.0.2.7"));
    assert!(
        !entries[0].detail.contains("Mokhothu"),
        "{}",
        entries[0].detail
    );
}

/// The ids of the staff's table with `query`.
async fn table(f: &common::Fixture, who: &common::Browser, query: &str) -> Vec<String> {
    let (status, page) = f
        .send("GET", &format!("/api/submissions?{query}"), Some(who), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page["submissions"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|row| row["id"].as_str().expect("an id").to_owned())
        .collect()
}

#[tokio::test]
async fn a_reviewer_merges_two_registrations_field_by_field_and_undoes_it() {
    let f = fixture();
    let RegisteredTwice {
        mut nurses,
        first,
        again,
        ..
    } = registered_twice(&f, "082 999 0000").await;
    f.validate_all();
    let reviewer = f.staff("reviewer@example.org").await;
    assert_eq!(open_pairs(&f, AssociationScope::All).len(), 1);

    // assoc-a's coordinator does not see the other registration: no merge.
    let coordinator = f.staff("coord-a@example.org").await;
    let merge = serde_json::json!({
        "canonical": first,
        "others": [again],
        "chosen": { "phone": "082 999 0000" }
    });
    let (status, _) = f
        .send(
            "POST",
            "/api/duplicates/merge",
            Some(&coordinator),
            Some(merge.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The reviewer keeps the first registration, with the newer phone number.
    let (status, body) = f
        .send_from(
            Some("192.0.2.9:4000"),
            "POST",
            "/api/duplicates/merge",
            Some(&reviewer),
            Some(merge.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, kept) = f
        .send(
            "GET",
            &format!("/api/submissions/{first}"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(kept["answers"]["phone"], "082 999 0000");
    assert_eq!(kept["merges"][0]["merged"][0], again.as_str());
    assert_eq!(kept["merges"][0]["before"]["phone"], "+27 82 123 4567");
    assert!(kept["merges"][0]["undone_at"].is_null());
    let (_, merged) = f
        .send(
            "GET",
            &format!("/api/submissions/{again}"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(merged["duplicate_of"], first.as_str());
    assert_eq!(
        merged["answers"]["surname"], "Mokgothu",
        "its own answers stay"
    );

    // Once validated, the duplicate is out of the table (unless asked for) and the pair is
    // merged, not open.
    f.validate_all();
    assert_eq!(table(&f, &reviewer, "").await, [first.as_str()]);
    assert_eq!(
        table(&f, &reviewer, "duplicates=only").await,
        [again.as_str()]
    );
    assert_eq!(table(&f, &reviewer, "duplicates=include").await.len(), 2);
    assert!(open_pairs(&f, AssociationScope::All).is_empty());
    assert_eq!(
        pairs(&f, AssociationScope::All, PairStatus::Merged).len(),
        1
    );

    // The volunteer who registered her again learns it on the next sync.
    nurses.sync(&f).await;
    let on_phone = nurses.review(&again);
    assert_eq!(
        on_phone.duplicate_of.map(|id| id.as_str().to_owned()),
        Some(first.clone())
    );
    assert!(
        on_phone
            .comments
            .last()
            .is_some_and(|c| c.text.starts_with("Registered twice")),
        "{:?}",
        on_phone.comments
    );

    // Merged already: not again.
    let (status, body) = f
        .send(
            "POST",
            "/api/duplicates/merge",
            Some(&reviewer),
            Some(merge),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");

    // Undone: the phone number goes back, the registration counts on its own, the pair is
    // proposed again.
    let undo = serde_json::json!({ "canonical": first, "merge": 0 });
    let (status, body) = f
        .send(
            "POST",
            "/api/duplicates/undo",
            Some(&reviewer),
            Some(undo.clone()),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, kept) = f
        .send(
            "GET",
            &format!("/api/submissions/{first}"),
            Some(&reviewer),
            None,
        )
        .await;
    assert_eq!(kept["answers"]["phone"], "+27 82 123 4567");
    assert!(kept["merges"][0]["undone_at"].is_i64());
    let (_, merged) = f
        .send(
            "GET",
            &format!("/api/submissions/{again}"),
            Some(&reviewer),
            None,
        )
        .await;
    assert!(merged["duplicate_of"].is_null());
    f.validate_all();
    assert_eq!(table(&f, &reviewer, "").await.len(), 2);
    assert_eq!(open_pairs(&f, AssociationScope::All).len(), 1);
    let (status, _) = f
        .send("POST", "/api/duplicates/undo", Some(&reviewer), Some(undo))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "undone already");

    let actions: Vec<String> = f
        .state
        .store
        .audit_log(&letsema_server::store::AuditQuery::default())
        .expect("the log")
        .entries
        .into_iter()
        .filter(|e| e.action.starts_with("duplicates.") && e.action != "duplicates.decide")
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["duplicates.unmerge", "duplicates.merge"]);
}
