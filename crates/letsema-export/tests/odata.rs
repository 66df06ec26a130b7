//! The OData documents of a form: its entity sets, its metadata document as an OData
//! client reads it, and the rows of a submission in every entity set.

use letsema_answers::{Answer, Answers};
use letsema_export::Schema;
use letsema_export::Submission;
use letsema_export::odata::{OData, key_literal};
use letsema_form::model::Form;
use letsema_xlsform::{SourceFormat, import};
use quick_xml::events::Event;
use serde_json::{Value, json};

const FORM: &str = "
| survey |
| | type                  | name       | label      |
| | begin group           | personal   | Personal   |
| | text                  | full_name  | Name       |
| | integer               | age        | Age        |
| | begin repeat          | phones     | Phones     |
| | text                  | number     | Number     |
| | end repeat            |            |            |
| | end group             |            |            |
| | note                  | intro      | Welcome    |
| | decimal               | income     | Income     |
| | select_multiple langs | languages  | Languages  |
| | date                  | born       | Born       |
| | datetime              | visited    | Visited    |
| | begin repeat          | household  | Household  |
| | text                  | member     | Member     |
| | begin group           | details    | Details    |
| | integer               | member_age | Age        |
| | end group             |            |            |
| | begin repeat          | child      | Child      |
| | text                  | child_name | Name       |
| | end repeat            |            |            |
| | end repeat            |            |            |
| choices |
| | list_name | name | label   |
| | langs     | st   | Sesotho |
| | langs     | en   | English |
| settings |
| | form_id     | version |
| | census-2026 | 3       |
";

fn schema() -> Schema {
    let import = import(FORM.as_bytes(), SourceFormat::Markdown);
    let errors: Vec<String> = import.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let form: Form = import.form.expect("no errors, so a form");
    Schema::new(&[&form]).expect("one version")
}

fn answers() -> Answers {
    Answers::new()
        .with("full_name", "Tšepo Mokhothu")
        .with("age", "34")
        .with(
            "phones",
            vec![
                Answers::new().with("number", "+266 5000 0000"),
                Answers::new().with("number", "+27 82 000 0000"),
            ],
        )
        .with("income", "1250.5")
        .with("languages", ["st", "en"])
        .with("born", "1990-06-15")
        .with("visited", "2026-03-01T09:30:00.000+02:00")
        .with(
            "household",
            vec![
                Answers::new()
                    .with("member", "Lerato")
                    .with("member_age", "12")
                    .with("child", vec![Answers::new().with("child_name", "Neo")]),
                Answers::new()
                    .with("member", "Palesa")
                    .with("member_age", "not a number"),
            ],
        )
}

fn submission<'a>(answers: &'a Answers, issues: &'a [String]) -> Submission<'a> {
    Submission {
        id: "uuid:0b7e",
        form_version: "3",
        created_at: 1_772_357_400_000,
        association: Some("BASOTHO-JHB"),
        device: "phone-7",
        instance_name: Some("Tšepo"),
        review_status: "approved",
        comments: &[],
        complete: false,
        issues,
        answers,
    }
}

#[test]
fn every_repeat_is_an_entity_set_named_by_its_path_and_keyed_to_its_parent() {
    let schema = schema();
    let odata = OData::new(&schema);
    let sets: Vec<(&str, Option<&str>, String)> = odata
        .entity_sets()
        .iter()
        .map(|set| {
            (
                set.name.as_str(),
                set.parent_key.as_deref(),
                set.navigation.join("/"),
            )
        })
        .collect();
    assert_eq!(
        sets,
        [
            ("Submissions", None, String::new()),
            (
                "Submissions.personal.phones",
                Some("__Submissions-id"),
                "personal/phones".to_owned()
            ),
            (
                "Submissions.household",
                Some("__Submissions-id"),
                "household".to_owned()
            ),
            (
                "Submissions.household.child",
                Some("__Submissions-household-id"),
                "child".to_owned()
            ),
        ]
    );
    assert_eq!(
        odata.service_document("http://example.org/api/odata/census.svc"),
        json!({
            "@odata.context": "http://example.org/api/odata/census.svc/$metadata",
            "value": [
                {"name": "Submissions", "kind": "EntitySet", "url": "Submissions"},
                {"name": "Submissions.personal.phones", "kind": "EntitySet", "url": "Submissions.personal.phones"},
                {"name": "Submissions.household", "kind": "EntitySet", "url": "Submissions.household"},
                {"name": "Submissions.household.child", "kind": "EntitySet", "url": "Submissions.household.child"},
            ]
        })
    );
    let household = odata.entity_set("Submissions.household");
    assert_eq!(household, Some(2));
    assert_eq!(
        odata.navigation(0, &["personal".to_owned(), "phones".to_owned()]),
        Some(1)
    );
    assert_eq!(odata.navigation(2, &["child".to_owned()]), Some(3));
    assert_eq!(odata.navigation(0, &["child".to_owned()]), None);
}

/// `(EntityType or ComplexType, its name)`.
type TypeName = (String, String);
/// `(Property, NavigationProperty or PropertyRef, its name, its type)`.
type PropertyElement = (String, String, String);

/// What an OData client reads of the metadata document: its entity types, complex types
/// and entity sets, each with its properties and their types.
#[derive(Debug, Default)]
struct Metadata {
    /// `(kind, name)` then its `(element, name, type)` children.
    types: Vec<(TypeName, Vec<PropertyElement>)>,
    sets: Vec<(String, String)>,
    namespaces: Vec<String>,
}

fn read_metadata(xml: &str) -> Metadata {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut metadata = Metadata::default();
    let attribute = |element: &quick_xml::events::BytesStart<'_>, name: &str| -> String {
        element
            .try_get_attribute(name)
            .expect("well-formed attributes")
            .map(|a| {
                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .expect("escaped")
                    .into_owned()
            })
            .unwrap_or_default()
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(element) | Event::Empty(element) => {
                let name = element.local_name();
                let tag = name.as_ref().to_owned();
                match tag.as_str() {
                    "Schema" => metadata.namespaces.push(attribute(&element, "Namespace")),
                    "EntityType" | "ComplexType" => metadata
                        .types
                        .push(((tag, attribute(&element, "Name")), Vec::new())),
                    "Property" | "NavigationProperty" | "PropertyRef" => {
                        if let Some((_, properties)) = metadata.types.last_mut() {
                            properties.push((
                                tag,
                                attribute(&element, "Name"),
                                attribute(&element, "Type"),
                            ));
                        }
                    }
                    "EntitySet" => metadata.sets.push((
                        attribute(&element, "Name"),
                        attribute(&element, "EntityType"),
                    )),
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    metadata
}

fn properties<'m>(metadata: &'m Metadata, kind: &str, name: &str) -> Vec<(&'m str, &'m str)> {
    metadata
        .types
        .iter()
        .find(|((k, n), _)| k == kind && n == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
        .1
        .iter()
        .filter(|(element, _, _)| element != "PropertyRef")
        .map(|(_, name, kind)| (name.as_str(), kind.as_str()))
        .collect()
}

#[test]
fn the_metadata_document_types_every_question_and_nests_groups_and_repeats() {
    let schema = schema();
    let xml = OData::new(&schema).metadata();
    let metadata = read_metadata(&xml);
    let ns = "org.opendatakit.user.census_2026";
    assert_eq!(metadata.namespaces, ["org.opendatakit.submission", ns]);
    assert_eq!(
        properties(&metadata, "EntityType", "Submissions"),
        [
            ("__id", "Edm.String"),
            ("__system", "org.opendatakit.submission.metadata"),
            ("personal", &*format!("{ns}.Submissions.personal")),
            ("income", "Edm.Decimal"),
            ("languages", "Edm.String"),
            ("born", "Edm.Date"),
            ("visited", "Edm.DateTimeOffset"),
            (
                "household",
                &*format!("Collection({ns}.Submissions.household)")
            ),
        ]
    );
    assert_eq!(
        properties(&metadata, "ComplexType", "Submissions.personal"),
        [
            ("full_name", "Edm.String"),
            ("age", "Edm.Int64"),
            (
                "phones",
                &*format!("Collection({ns}.Submissions.personal.phones)")
            ),
        ]
    );
    assert_eq!(
        properties(&metadata, "EntityType", "Submissions.household"),
        [
            ("__id", "Edm.String"),
            ("__Submissions-id", "Edm.String"),
            ("member", "Edm.String"),
            ("details", &*format!("{ns}.Submissions.household.details")),
            (
                "child",
                &*format!("Collection({ns}.Submissions.household.child)")
            ),
        ]
    );
    assert_eq!(
        properties(&metadata, "ComplexType", "Submissions.household.details"),
        [("member_age", "Edm.Int64")]
    );
    assert_eq!(
        properties(&metadata, "EntityType", "Submissions.household.child"),
        [
            ("__id", "Edm.String"),
            ("__Submissions-household-id", "Edm.String"),
            ("child_name", "Edm.String"),
        ]
    );
    let sets: Vec<(&str, &str)> = metadata
        .sets
        .iter()
        .map(|(name, kind)| (name.as_str(), kind.as_str()))
        .collect();
    assert_eq!(
        sets,
        [
            ("Submissions", &*format!("{ns}.Submissions")),
            (
                "Submissions.personal.phones",
                &*format!("{ns}.Submissions.personal.phones")
            ),
            (
                "Submissions.household",
                &*format!("{ns}.Submissions.household")
            ),
            (
                "Submissions.household.child",
                &*format!("{ns}.Submissions.household.child")
            ),
        ]
    );
    // Every type an entity set or property names is declared (or is an EDM primitive).
    let declared: Vec<String> = metadata
        .types
        .iter()
        .map(|((_, name), _)| {
            if name == "metadata" {
                "org.opendatakit.submission.metadata".to_owned()
            } else {
                format!("{ns}.{name}")
            }
        })
        .collect();
    for (_, properties) in &metadata.types {
        for (_, _, kind) in properties {
            let kind = kind
                .strip_prefix("Collection(")
                .and_then(|k| k.strip_suffix(')'))
                .unwrap_or(kind);
            assert!(
                kind.is_empty() || kind.starts_with("Edm.") || declared.iter().any(|d| d == kind),
                "{kind} is not declared"
            );
        }
    }
}

#[test]
fn a_submissions_row_nests_its_groups_types_its_values_and_links_its_repeats() {
    let schema = schema();
    let odata = OData::new(&schema);
    let answers = answers();
    let issues = vec![
        "income: too high".to_owned(),
        "born: in the future".to_owned(),
    ];
    let rows = odata.rows(0, &submission(&answers, &issues));
    assert_eq!(
        rows.into_iter().map(Value::Object).collect::<Vec<_>>(),
        [json!({
            "__id": "uuid:0b7e",
            "personal": {
                "full_name": "Tšepo Mokhothu",
                "age": 34,
                "phones@odata.navigationLink": "Submissions('uuid%3A0b7e')/personal/phones",
            },
            "income": 1250.5,
            "languages": "st en",
            "born": "1990-06-15",
            "visited": "2026-03-01T09:30:00.000+02:00",
            "household@odata.navigationLink": "Submissions('uuid%3A0b7e')/household",
            "__system": {
                "submissionDate": "2026-03-01T09:30:00.000Z",
                "formVersion": "3",
                "association": "BASOTHO-JHB",
                "deviceId": "phone-7",
                "instanceName": "Tšepo",
                "reviewState": "approved",
                "complete": false,
                "issues": "income: too high\nborn: in the future",
            },
        })]
    );
}

#[test]
fn repeat_rows_carry_their_keys_and_their_parents_and_unreadable_values_are_null() {
    let schema = schema();
    let odata = OData::new(&schema);
    let answers = answers();
    let submission = submission(&answers, &[]);
    let rows = |set: &str| -> Vec<Value> {
        let index = odata.entity_set(set).expect("a set");
        odata
            .rows(index, &submission)
            .into_iter()
            .map(Value::Object)
            .collect()
    };
    assert_eq!(
        rows("Submissions.personal.phones"),
        [
            json!({"__id": "uuid:0b7e/phones[1]", "__Submissions-id": "uuid:0b7e", "number": "+266 5000 0000"}),
            json!({"__id": "uuid:0b7e/phones[2]", "__Submissions-id": "uuid:0b7e", "number": "+27 82 000 0000"}),
        ]
    );
    assert_eq!(
        rows("Submissions.household"),
        [
            json!({
                "__id": "uuid:0b7e/household[1]",
                "__Submissions-id": "uuid:0b7e",
                "member": "Lerato",
                "details": {"member_age": 12},
                "child@odata.navigationLink": "Submissions.household('uuid%3A0b7e%2Fhousehold%5B1%5D')/child",
            }),
            json!({
                "__id": "uuid:0b7e/household[2]",
                "__Submissions-id": "uuid:0b7e",
                "member": "Palesa",
                "details": {"member_age": null},
                "child@odata.navigationLink": "Submissions.household('uuid%3A0b7e%2Fhousehold%5B2%5D')/child",
            }),
        ]
    );
    assert_eq!(
        rows("Submissions.household.child"),
        [json!({
            "__id": "uuid:0b7e/household[1]/child[1]",
            "__Submissions-household-id": "uuid:0b7e/household[1]",
            "child_name": "Neo",
        })]
    );
    let child = odata
        .entity_set("Submissions.household.child")
        .expect("a set");
    assert_eq!(
        odata
            .children_of(child, &submission, "uuid:0b7e/household[2]")
            .len(),
        0
    );
    assert_eq!(
        odata
            .children_of(child, &submission, "uuid:0b7e/household[1]")
            .len(),
        1
    );
}

#[test]
fn an_unanswered_question_is_null_and_an_empty_submission_has_every_property() {
    let schema = schema();
    let odata = OData::new(&schema);
    let answers = Answers::new().with("languages", Answer::Multiple(vec![]));
    let rows = odata.rows(0, &submission(&answers, &[]));
    let row = Value::Object(rows.into_iter().next().expect("one row"));
    assert_eq!(row["personal"]["full_name"], Value::Null);
    assert_eq!(row["languages"], Value::Null);
    assert_eq!(row["born"], Value::Null);
    assert_eq!(row["__system"]["issues"], Value::Null);
    let household = odata.entity_set("Submissions.household").expect("a set");
    assert!(odata.rows(household, &submission(&answers, &[])).is_empty());
}

#[test]
fn keys_in_links_are_quoted_as_odata_literals_then_percent_encoded() {
    assert_eq!(key_literal("uuid:1/a[1]"), "uuid%3A1%2Fa%5B1%5D");
    assert_eq!(key_literal("it's"), "it%27%27s");
    assert_eq!(key_literal("Tšepo"), "T%C5%A1epo");
}
