//! People registered twice, found across associations on the backend the tests run on
//! (`letsema_server::duplicates`, behind `letsema duplicates`): the same member registered
//! by two associations' phones, her name in the other Sesotho spelling and her phone in
//! another format, is one group with its reasons; her sister on the family phone is not.
//! And on arrival: the validator records the pair as soon as it sees the second
//! registration, keeps a reviewer's "not the same person", and drops an open pair that a
//! correction or a withdrawal ends.

mod common;

use common::fixture;
use common::register::{Phone, T0};
use letsema_doc::Answers;
use letsema_server::duplicates::find;
use letsema_server::store::{
    AssociationScope, MAX_PAIRS_PAGE, PairDecision, PairQuery, PairStatus, StoredPair,
};

#[tokio::test]
async fn one_member_registered_by_two_associations_is_one_group_and_her_sister_is_not() {
    let f = fixture();
    let store = &*f.state.store;
    // The reference form, which the fixture publishes.
    let version = store
        .published_forms()
        .expect("forms")
        .into_iter()
        .find(|form| form.form_id == "diaspora_registration")
        .expect("the reference form")
        .version;
    let member = |first: &str, surname: &str, dob: &str, phone: &str| {
        Answers::new()
            .with("consent", "yes")
            .with("first_name", first)
            .with("surname", surname)
            .with("dob", dob)
            .with("phone", phone)
            .with("country", "south_africa")
    };
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

/// The reference form's published version in the fixture.
fn reference_version(f: &common::Fixture) -> String {
    f.state
        .store
        .published_forms()
        .expect("forms")
        .into_iter()
        .find(|form| form.form_id == "diaspora_registration")
        .expect("the reference form")
        .version
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
