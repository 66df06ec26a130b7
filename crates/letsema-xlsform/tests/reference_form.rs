//! The project's reference form, `examples/forms/diaspora_registration`, imports cleanly
//! and the same from its markdown source and its generated `.xlsx`.

use letsema_form::model::{Expression, Form, Item, Language, ListName, QuestionType};
use letsema_xlsform::{SourceFormat, import};

const MARKDOWN: &[u8] = include_bytes!("../../../examples/forms/diaspora_registration.md");
const XLSX: &[u8] = include_bytes!("../../../examples/forms/diaspora_registration.xlsx");

fn form(bytes: &[u8], format: SourceFormat) -> Form {
    let import = import(bytes, format);
    let diagnostics: Vec<String> = import.diagnostics.iter().map(ToString::to_string).collect();
    assert!(
        diagnostics.is_empty(),
        "{format:?}:\n{}",
        diagnostics.join("\n")
    );
    import.form.expect("no errors, so a form")
}

#[test]
fn markdown_and_xlsx_give_the_same_form_without_diagnostics() {
    let from_markdown = form(MARKDOWN, SourceFormat::Markdown);
    let from_xlsx = form(XLSX, SourceFormat::Xlsx);
    assert!(
        from_markdown == from_xlsx,
        "the .xlsx is out of date: regenerate it with \
         `cargo run -p letsema-xlsform --example md_to_xlsx -- \
         examples/forms/diaspora_registration.md examples/forms/diaspora_registration.xlsx`"
    );
}

#[test]
fn the_reference_form_has_what_the_product_brief_asks_for() {
    let form = form(MARKDOWN, SourceFormat::Markdown);
    assert_eq!(form.id.as_str(), "diaspora_registration");
    assert_eq!(form.default_language, Some(Language::from("English (en)")));
    assert_eq!(
        form.languages(),
        [
            Language::from("English (en)"),
            Language::from("Sesotho (st)")
        ]
    );

    // Consent comes first, and every other question is inside a group asked only with it.
    assert_eq!(form.items[0].name().as_str(), "consent");
    let Some((_, Item::Group(registration))) = form.find_item("registration") else {
        panic!("the registration group is there");
    };
    assert_eq!(
        registration.relevant,
        Some(Expression::new("${consent} = 'yes'"))
    );
    for (path, question) in form.questions() {
        let inside = path
            .names()
            .first()
            .is_some_and(|n| n.as_str() == "registration");
        let allowed_outside = question.kind.is_silent()
            || ["consent", "no_consent"].contains(&question.name.as_str());
        assert!(inside || allowed_outside, "{path} is asked without consent");
    }

    // Every question is labelled in both languages.
    for (path, question) in form.questions().filter(|(_, q)| !q.kind.is_silent()) {
        for language in ["en", "st"] {
            assert!(
                question.label.translation(language).is_some(),
                "{path} has no label in {language}"
            );
        }
    }

    let question = |name: &str| form.find_question(name).unwrap_or_else(|| panic!("{name}"));
    assert!(question("age").calculation.is_some());
    assert!(
        question("years_abroad")
            .constraint
            .as_ref()
            .is_some_and(|c| c.as_str().contains("${age}"))
    );
    assert_eq!(
        question("region").choice_filter,
        Some(Expression::new("country = ${country}"))
    );
    assert!(
        question("months_available")
            .relevant
            .as_ref()
            .is_some_and(|r| r.as_str().contains("short_term"))
    );
    assert!(
        question("phone")
            .constraint
            .as_ref()
            .is_some_and(|c| c.as_str().starts_with("regex("))
    );
    assert!(
        question("email")
            .constraint
            .as_ref()
            .is_some_and(|c| c.as_str().starts_with("regex("))
    );
    assert!(matches!(
        question("citizenships").kind,
        QuestionType::SelectMultiple { .. }
    ));
    assert!(matches!(
        form.find_item("qualifications"),
        Some((_, Item::Repeat(_)))
    ));

    // Regions name their country, and every country but `other` has some.
    let regions = form.choice_list(&ListName::new("region")).expect("regions");
    for country in ["south_africa", "uk", "usa", "botswana"] {
        let count = regions
            .choices
            .iter()
            .filter(|choice| choice.properties.get("country").map(String::as_str) == Some(country))
            .count();
        assert!(count >= 4, "{country} has {count} regions");
    }
    let professions = form
        .choice_list(&ListName::new("profession"))
        .expect("professions");
    let values: Vec<&str> = professions
        .choices
        .iter()
        .map(|c| c.value.as_str())
        .collect();
    assert_eq!(
        values,
        [
            "doctor",
            "nurse",
            "midwife",
            "pharmacist",
            "teacher",
            "engineer",
            "other"
        ]
    );
}
