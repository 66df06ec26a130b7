//! The property the one answers tree exists for: a submission judges on the server exactly
//! as on the phone. Answer trees of a form with values, `select_multiple`s and repeats nested
//! two deep (relevance, requirements, constraints and counts reading them) are judged as the
//! phone holds them, then written into a submission document as the phone writes it and
//! taken back every way the server and the app take it: saved and loaded, pushed through the
//! sync protocol into a server store, and across the app's two modules as JSON. The
//! document must give back the tree [`Answers::normalized`] says (the stored projection its
//! JSON, byte for byte), and every way must give the phone's verdict, issue for issue (JSON
//! reads an empty repeat as `[]`, an empty `select_multiple`, which the engine takes alike).

use std::cell::RefCell;
use std::sync::Arc;

use letsema_doc::{
    DeviceId, DocId, FormId, FormVersion, NewSubmission, SessionId, SubmissionDoc, SubmissionId,
    Timestamp, Writer,
};
use letsema_form::runtime::{Answer, Answers, CompiledForm, Environment, FormState};
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::MemoryClientStore;
use letsema_sync::server::Server;
use letsema_sync::store::{Caller, MemoryServerStore, Scope, ServerStore};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};

use super::{FormCache, Verdict, judge_answers, project};
use crate::store::{FormStore, SqliteStore};

/// The form: every answer kind, a repeat inside a repeat, and expressions that read
/// choices, instances and values (none that reads the order of choices, which a
/// `select_multiple` set does not keep).
const FORM: &str = "
| survey |
| | type | name | label | required | relevant | constraint | calculation |
| | text | name | Name | yes | | string-length(.) >= 2 | |
| | select_multiple lang | languages | Languages | yes | | count-selected(.) <= 3 | |
| | text | other_language | Which other language? | yes | selected(${languages}, 'other') | | |
| | begin repeat | households | Households | | | | |
| | text | town | Town | yes | | . != 'nowhere' | |
| | select_multiple amenity | amenities | Amenities | | | not(selected(., 'none')) or count-selected(.) = 1 | |
| | begin repeat | members | Members | | count-selected(${amenities}) > 0 | | |
| | text | member | Member | yes | | | |
| | select_multiple lang | speaks | Speaks | yes | ${member} != '' | | |
| | end repeat | | | | | | |
| | calculate | size | | | | | count(${members}) |
| | integer | rooms | Rooms | | ${size} > 0 | . >= ${size} | |
| | end repeat | | | | | | |
| | calculate | household_count | | | | | count(${households}) |
| | text | remark | Remark | yes | ${household_count} > 1 | | |

| choices |
| | list_name | name | label |
| | lang | en | English |
| | lang | st | Sesotho |
| | lang | zu | isiZulu |
| | lang | other | Other |
| | amenity | water | Water |
| | amenity | power | Power |
| | amenity | none | None |

| settings |
| | form_id | form_title | version | instance_name |
| | answers_props | Answers | 1 | concat(${name}, ' (', ${household_count}, ')') |
";

const LANGUAGES: [&str; 4] = ["en", "st", "zu", "other"];
const AMENITIES: [&str; 3] = ["water", "power", "none"];
const CREATED: Timestamp = Timestamp(1_780_000_000_000);

/// A text answer: often empty, sometimes one a constraint refuses.
fn text() -> impl Strategy<Value = Answer> {
    prop_oneof![
        Just(String::new()),
        Just("nowhere".to_owned()),
        Just("x".to_owned()),
        "[A-Z][a-z]{1,6}( [A-Z][a-z]{1,6})?",
    ]
    .prop_map(Answer::Value)
}

/// A number, or something that is not one.
fn number() -> impl Strategy<Value = Answer> {
    prop_oneof![
        (0u8..6).prop_map(|n| n.to_string()),
        Just("many".to_owned())
    ]
    .prop_map(Answer::Value)
}

/// Some choices of `list`, each at most once, in any order (the order a person ticked
/// them); none at all is `[]`.
fn choices(list: &'static [&'static str]) -> impl Strategy<Value = Answer> {
    proptest::sample::subsequence(list, 0..=list.len())
        .prop_shuffle()
        .prop_map(Answer::multiple)
}

/// A repeat's instances: none (as `[]` of either kind: the runtime's, or JSON's reading of
/// it), or some.
fn instances(instance: BoxedStrategy<Answers>, most: usize) -> impl Strategy<Value = Answer> {
    prop_oneof![
        1 => Just(Answer::Repeat(Vec::new())),
        1 => Just(Answer::Multiple(Vec::new())),
        3 => proptest::collection::vec(instance, 1..=most).prop_map(Answer::Repeat),
    ]
}

/// Answers with each of `fields` present (mostly) or left out, in any order.
fn some_of(fields: Vec<(&'static str, BoxedStrategy<Answer>)>) -> BoxedStrategy<Answers> {
    let fields: Vec<BoxedStrategy<Option<(&'static str, Answer)>>> = fields
        .into_iter()
        .map(|(name, answer)| {
            proptest::option::weighted(0.8, answer.prop_map(move |answer| (name, answer))).boxed()
        })
        .collect();
    fields
        .prop_map(|fields| fields.into_iter().flatten().collect::<Vec<_>>())
        .prop_shuffle()
        .prop_map(|fields| fields.into_iter().collect())
        .boxed()
}

fn member() -> BoxedStrategy<Answers> {
    some_of(vec![
        ("member", text().boxed()),
        ("speaks", choices(&LANGUAGES).boxed()),
    ])
}

fn household() -> BoxedStrategy<Answers> {
    some_of(vec![
        ("town", text().boxed()),
        ("amenities", choices(&AMENITIES).boxed()),
        ("members", instances(member(), 3).boxed()),
        ("rooms", number().boxed()),
    ])
}

/// A phone's answers to [`FORM`].
fn phone_answers() -> BoxedStrategy<Answers> {
    some_of(vec![
        ("name", text().boxed()),
        ("languages", choices(&LANGUAGES).boxed()),
        ("other_language", text().boxed()),
        ("households", instances(household(), 3).boxed()),
        ("remark", text().boxed()),
    ])
}

fn writer(device: &str) -> Writer {
    Writer::new(
        DeviceId::parse(device).expect("a device id"),
        SessionId::from_bytes(&[3; 16]).expect("a session id"),
        None,
    )
}

/// The submission document the phone writes `answers` into.
fn written_on_the_phone(answers: &Answers) -> SubmissionDoc {
    let new = NewSubmission {
        submission_id: SubmissionId::from_random_bytes([9; 16]),
        form_id: FormId::parse("answers_props").expect("a form id"),
        form_version: FormVersion::parse("1").expect("a version"),
        association: None,
    };
    let mut doc = SubmissionDoc::create(new, writer("phone-1"), CREATED).expect("created");
    doc.set_answers(answers, Timestamp(CREATED.0 + 1_000))
        .expect("the phone's answers are written");
    doc
}

/// What a server store holds of `doc` after the phone's sync client pushed it.
fn pushed_to_a_server(doc: &mut SubmissionDoc) -> Vec<u8> {
    let phone = writer("phone-1");
    let device = phone.device.clone();
    let mut client = Client::new(ClientConfig::new(phone), MemoryClientStore::new());
    let id = client.save_document(doc).expect("the phone stores it");
    let mut server = Server::default();
    let mut store = MemoryServerStore::new(0x5eed);
    let caller = Caller {
        device: device.clone(),
        scope: Scope::Device(device),
        association: None,
    };
    while let Some(request) = client.next_request().expect("a request") {
        let response = server.handle(&caller, &request, &mut store);
        client.handle_response(&response).expect("a response");
    }
    assert_eq!(id, DocId::from(&doc.meta().submission_id));
    store
        .load(id)
        .expect("the store reads")
        .expect("the server took the push")
        .bytes
}

/// A server store (in a temporary folder, kept while it lives) with [`FORM`] published, and
/// the form compiled.
fn published() -> (tempfile::TempDir, SqliteStore, Arc<CompiledForm>) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = SqliteStore::open(dir.path()).expect("open the store");
    crate::store::publish_file(&store, "answers_props.md", FORM.as_bytes(), "a test")
        .expect("the test form publishes");
    let form = store
        .form_definition("answers_props", "1")
        .expect("the store reads")
        .expect("published");
    let form = Arc::new(CompiledForm::new(&form).expect("the test form compiles"));
    (dir, store, form)
}

/// Checks one tree every way; `Err` says which way differed.
fn judged_alike(
    form: &Arc<CompiledForm>,
    store: &SqliteStore,
    forms: &mut FormCache,
    phone: &Answers,
) -> Result<(), TestCaseError> {
    let environment = Environment::new(
        chrono::DateTime::from_timestamp_millis(CREATED.0)
            .unwrap_or_default()
            .fixed_offset(),
    );
    prop_assert!(
        FormState::new(Arc::clone(form), phone, environment).is_ok(),
        "the phone's answers fit the form"
    );
    let on_the_phone: Verdict = judge_answers(Arc::clone(form), phone, CREATED.0);
    let expected = phone.normalized();

    let mut doc = written_on_the_phone(phone);
    prop_assert_eq!(
        &doc.answers(),
        &expected,
        "as the phone's document gives them"
    );

    let saved = doc.save();
    let loaded = SubmissionDoc::load(&saved, writer("letsema-validator")).expect("it loads");
    prop_assert_eq!(&loaded.answers(), &expected, "saved and loaded");
    prop_assert_eq!(
        &judge_answers(Arc::clone(form), &loaded.answers(), CREATED.0),
        &on_the_phone
    );

    for (way, bytes) in [
        ("saved", saved),
        ("pushed through sync", pushed_to_a_server(&mut doc)),
    ] {
        let projection = project(None, &bytes, forms, store);
        prop_assert_eq!(&projection.verdict, &on_the_phone, "{}", way);
        prop_assert_eq!(
            &projection.answers,
            &serde_json::to_string(&expected).expect("JSON"),
            "{}",
            way
        );
    }

    // The app's documents module gives the form view the answers as JSON.
    let json = serde_json::to_string(&loaded.answers()).expect("JSON");
    let crossed: Answers = serde_json::from_str(&json).expect("it reads back");
    prop_assert_eq!(
        &judge_answers(Arc::clone(form), &crossed, CREATED.0),
        &on_the_phone,
        "as JSON"
    );
    Ok(())
}

/// A submission's answers, written through the document and read back on the server (saved
/// and loaded, or pushed through sync), judge exactly as the phone judged them, and come
/// back as `Answers::normalized` says: an empty repeat stays one, choices are all there,
/// sorted once.
#[test]
fn an_answers_tree_written_through_the_document_judges_on_the_server_as_on_the_phone() {
    let (_dir, store, form) = published();
    let forms = RefCell::new(FormCache::default());
    // As `proptest!` would: 256 cases unless PROPTEST_CASES says otherwise, a failure's seed
    // kept beside this file and tried first next time.
    let mut runner = TestRunner::new(Config {
        source_file: Some(file!()),
        ..Config::default()
    });
    let result = runner.run(&phone_answers(), |phone| {
        judged_alike(&form, &store, &mut forms.borrow_mut(), &phone)
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}

/// The generated trees reach what the property is about: empty repeats, instances nested
/// two deep, incomplete and complete submissions.
#[test]
fn the_generated_answers_cover_empty_and_nested_repeats_and_both_verdicts() {
    let (_dir, _store, form) = published();
    let mut runner = TestRunner::deterministic();
    let (mut empty, mut nested, mut complete, mut incomplete) = (0, 0, 0, 0);
    for _ in 0..256 {
        let phone = phone_answers()
            .new_tree(&mut runner)
            .expect("a tree")
            .current();
        match phone.get("households") {
            Some(answer) if answer.is_empty_array() => empty += 1,
            Some(Answer::Repeat(households)) => {
                nested += usize::from(households.iter().any(|household| {
                    matches!(household.get("members"), Some(Answer::Repeat(m)) if !m.is_empty())
                }));
            }
            _ => {}
        }
        if judge_answers(Arc::clone(&form), &phone, CREATED.0).complete {
            complete += 1;
        } else {
            incomplete += 1;
        }
    }
    assert!(empty > 20, "{empty} trees with no household");
    assert!(nested > 20, "{nested} trees with members of a household");
    assert!(complete > 5, "{complete} complete trees");
    assert!(incomplete > 20, "{incomplete} incomplete trees");
}
