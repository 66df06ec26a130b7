//! People registered twice, found across associations on the backend the tests run on
//! (`letsema_server::duplicates`, behind `letsema duplicates`): the same member registered
//! by two associations' phones, her name in the other Sesotho spelling and her phone in
//! another format, is one group with its reasons; her sister on the family phone is not.

mod common;

use common::fixture;
use common::register::{Phone, T0};
use letsema_doc::Answers;
use letsema_server::duplicates::find;
use letsema_server::store::AssociationScope;

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
