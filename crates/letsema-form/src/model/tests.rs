use proptest::collection::{btree_map, vec};
use proptest::option;
use proptest::prelude::*;

use super::*;

fn word() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,6}"
}

fn any_text() -> impl Strategy<Value = String> {
    // Any Unicode, quotes and backslashes included: JSON must escape them all.
    ".{0,8}"
}

fn text() -> impl Strategy<Value = Text> {
    (
        option::of(any_text()),
        btree_map(
            prop_oneof![Just("English (en)"), Just("Sesotho (st)"), Just("fr")]
                .prop_map(Language::from),
            any_text(),
            0..3,
        ),
    )
        .prop_map(|(default, translations)| Text {
            default,
            translations,
        })
}

fn expression() -> impl Strategy<Value = Option<Expression>> {
    option::of(any_text().prop_map(Expression::new))
}

fn media() -> impl Strategy<Value = Media> {
    (text(), text(), text(), text()).prop_map(|(image, big_image, audio, video)| Media {
        image,
        big_image,
        audio,
        video,
    })
}

fn question_type() -> impl Strategy<Value = QuestionType> {
    // Range bounds are small binary fractions: exact in JSON whatever the float parser.
    let bound = (-1000i32..1000, 0u32..3).prop_map(|(n, k)| f64::from(n) / f64::from(1u32 << k));
    prop_oneof![
        Just(QuestionType::Text),
        Just(QuestionType::Integer),
        Just(QuestionType::Decimal),
        Just(QuestionType::Date),
        Just(QuestionType::Time),
        Just(QuestionType::DateTime),
        (word(), any::<bool>()).prop_map(|(list, or_other)| QuestionType::SelectOne {
            list: ListName::new(list),
            or_other
        }),
        (word(), any::<bool>()).prop_map(|(list, or_other)| QuestionType::SelectMultiple {
            list: ListName::new(list),
            or_other
        }),
        word().prop_map(|list| QuestionType::SelectOneExternal {
            list: ListName::new(list)
        }),
        word().prop_map(|list| QuestionType::Rank {
            list: ListName::new(list)
        }),
        Just(QuestionType::Note),
        Just(QuestionType::Calculate),
        Just(QuestionType::Hidden),
        Just(QuestionType::Acknowledge),
        (bound.clone(), bound.clone(), bound).prop_map(|(start, end, step)| QuestionType::Range(
            RangeParameters { start, end, step }
        )),
        Just(QuestionType::Geopoint),
        Just(QuestionType::Image),
        Just(QuestionType::Metadata(MetadataKind::Start)),
        Just(QuestionType::Metadata(MetadataKind::Today)),
        Just(QuestionType::Metadata(MetadataKind::DeviceId)),
        Just(QuestionType::Metadata(MetadataKind::Username)),
    ]
}

fn question() -> impl Strategy<Value = Question> {
    (
        (word(), question_type(), text(), text(), media()),
        (expression(), text(), expression(), expression(), text()),
        (
            expression(),
            option::of(any_text()),
            expression(),
            expression(),
            option::of(word().prop_map(Appearance::new)),
            btree_map(word(), any_text(), 0..2),
            expression(),
        ),
    )
        .prop_map(
            |(
                (name, kind, label, hint, media),
                (required, required_message, relevant, constraint, constraint_message),
                (calculation, default, read_only, choice_filter, appearance, parameters, trigger),
            )| Question {
                name: FieldName::new(name),
                kind,
                label,
                hint,
                guidance_hint: Text::default(),
                media,
                required,
                required_message,
                relevant,
                constraint,
                constraint_message,
                calculation,
                default,
                read_only,
                choice_filter,
                appearance,
                parameters,
                trigger,
            },
        )
}

fn item() -> impl Strategy<Value = Item> {
    question()
        .prop_map(Item::Question)
        .prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                (
                    word(),
                    text(),
                    expression(),
                    option::of(word()),
                    vec(inner.clone(), 0..4)
                )
                    .prop_map(|(name, label, relevant, loop_over, items)| {
                        Item::Group(Group {
                            name: FieldName::new(name),
                            label,
                            hint: Text::default(),
                            relevant,
                            appearance: Some(Appearance::new("field-list")),
                            loop_over: loop_over.map(ListName::new),
                            items,
                        })
                    }),
                (word(), text(), expression(), expression(), vec(inner, 0..4)).prop_map(
                    |(name, label, relevant, repeat_count, items)| {
                        Item::Repeat(Repeat {
                            name: FieldName::new(name),
                            label,
                            hint: Text::default(),
                            relevant,
                            appearance: None,
                            repeat_count,
                            items,
                        })
                    }
                ),
            ]
        })
}

fn choice_list() -> impl Strategy<Value = ChoiceList> {
    (
        word(),
        vec(
            (word(), text(), btree_map(word(), any_text(), 0..2)).prop_map(
                |(value, label, properties)| Choice {
                    value: ChoiceValue::new(value),
                    label,
                    media: Media::default(),
                    properties,
                },
            ),
            0..4,
        ),
    )
        .prop_map(|(name, choices)| ChoiceList {
            name: ListName::new(name),
            choices,
            from_file: None,
        })
}

fn form() -> impl Strategy<Value = Form> {
    (
        (word(), any_text(), option::of(any_text())),
        option::of(Just(Language::from("English (en)"))),
        expression(),
        vec(item(), 0..5),
        vec(choice_list(), 0..3),
        (vec(data_instance(), 0..2), option::of(word())),
    )
        .prop_map(
            |(
                (id, title, version),
                default_language,
                instance_name,
                items,
                choice_lists,
                (instances, root_name),
            )| Form {
                schema_version: SchemaVersion,
                id: FormId::new(id),
                title,
                version,
                default_language,
                instance_name,
                items,
                choice_lists,
                instances,
                root_name,
            },
        )
}

fn data_node() -> impl Strategy<Value = DataNode> {
    let leaf = (word(), any_text()).prop_map(|(name, text)| DataNode::leaf(name, text));
    leaf.prop_recursive(3, 16, 4, |inner| {
        (word(), vec(inner, 0..4)).prop_map(|(name, children)| DataNode {
            name,
            text: String::new(),
            children,
        })
    })
}

fn data_instance() -> impl Strategy<Value = DataInstance> {
    (word(), option::of(word()), data_node()).prop_map(|(id, source, root)| DataInstance {
        id,
        source,
        root,
    })
}

proptest! {
    #[test]
    fn forms_round_trip_through_json(form in form()) {
        let json = serde_json::to_string(&form).expect("a form serialises");
        let back: Form = serde_json::from_str(&json).expect("its JSON deserialises");
        prop_assert_eq!(back, form);
    }
}

#[test]
fn json_carries_the_schema_version_and_readable_field_names() {
    let mut form = Form::new(FormId::new("f"), "F");
    let mut question = Question::new(
        "country",
        QuestionType::SelectOne {
            list: ListName::new("countries"),
            or_other: true,
        },
        Text::plain("Country").with("Sesotho (st)", "Naha"),
    );
    question.relevant = Some(Expression::new("${consent} = 'yes'"));
    form.items.push(Item::Question(question));
    let json = serde_json::to_value(&form).expect("serialises");
    assert_eq!(json["schema_version"], 1);
    assert_eq!(json["items"][0]["kind"], "question");
    assert_eq!(json["items"][0]["type"]["select_one"]["list"], "countries");
    assert_eq!(
        json["items"][0]["label"]["translations"]["Sesotho (st)"],
        "Naha"
    );
    assert_eq!(json["items"][0]["relevant"], "${consent} = 'yes'");
}

#[test]
fn another_schema_version_is_refused_with_a_message_that_says_what_to_do() {
    let json = r#"{"schema_version": 2, "id": "f", "title": "F"}"#;
    let error = serde_json::from_str::<Form>(json).expect_err("version 2 is unknown");
    assert!(error.to_string().contains("update the engine"), "{error}");
}

#[test]
fn text_lookup_falls_back_from_the_requested_language_to_the_default_then_untranslated() {
    let english = Language::from("English (en)");
    let text = Text::plain("untranslated")
        .with("English (en)", "Name")
        .with("Sesotho (st)", "Lebitso");
    assert_eq!(
        text.get(Some("Sesotho (st)"), Some(&english)),
        Some("Lebitso")
    );
    assert_eq!(text.get(Some("st"), Some(&english)), Some("Lebitso"));
    assert_eq!(text.get(Some("sesotho"), Some(&english)), Some("Lebitso"));
    assert_eq!(text.get(Some("fr"), Some(&english)), Some("Name"));
    assert_eq!(text.get(Some("fr"), None), Some("untranslated"));
    assert_eq!(text.get(None, None), Some("untranslated"));
    let only_sesotho = Text::default().with("Sesotho (st)", "Lebitso");
    assert_eq!(
        only_sesotho.get(Some("fr"), Some(&english)),
        Some("Lebitso")
    );
    assert_eq!(Text::default().get(Some("fr"), Some(&english)), None);
}

#[test]
fn language_codes_come_from_the_parentheses() {
    assert_eq!(Language::from("English (en)").code(), Some("en"));
    assert_eq!(Language::from("English (en)").name(), "English");
    assert_eq!(Language::from("Sesotho").code(), None);
    assert_eq!(Language::from("Sesotho").name(), "Sesotho");
}

#[test]
fn questions_are_walked_depth_first_with_their_paths() {
    let q = |name: &str| Item::Question(Question::new(name, QuestionType::Text, Text::plain(name)));
    let mut form = Form::new(FormId::new("f"), "F");
    form.items = vec![
        q("a"),
        Item::Group(Group {
            name: FieldName::new("g"),
            label: Text::default().with("Sesotho", "Sehlopha"),
            hint: Text::default(),
            relevant: None,
            appearance: None,
            loop_over: None,
            items: vec![
                q("b"),
                Item::Repeat(Repeat {
                    name: FieldName::new("r"),
                    label: Text::default(),
                    hint: Text::default(),
                    relevant: None,
                    appearance: None,
                    repeat_count: None,
                    items: vec![q("c")],
                }),
            ],
        }),
        q("d"),
    ];
    let paths: Vec<String> = form.questions().map(|(path, _)| path.to_string()).collect();
    assert_eq!(paths, ["/a", "/g/b", "/g/r/c", "/d"]);
    assert_eq!(
        form.find_item("r").map(|(path, _)| path.to_string()),
        Some("/g/r".to_owned())
    );
    assert!(form.find_question("r").is_none());
    assert_eq!(form.languages(), [Language::from("Sesotho")]);
}
