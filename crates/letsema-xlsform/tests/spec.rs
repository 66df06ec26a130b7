//! The importer's behaviour, one small form at a time. Forms are written as the markdown
//! tables pyxform's own tests use; diagnostics are compared as snapshots
//! (`UPDATE_EXPECT=1 cargo test` rewrites them).

use expect_test::{Expect, expect};
use letsema_form::model::{
    Expression, Form, Item, Language, ListName, QuestionType, RangeParameters,
};
use letsema_xlsform::{Import, SourceFormat, import};

const SETTINGS: &str = "
| settings |
| | form_id | form_title |
| | spec    | Spec       |
";

fn run(survey: &str) -> Import {
    import(
        format!("{survey}{SETTINGS}").as_bytes(),
        SourceFormat::Markdown,
    )
}

/// Imports a form (with a settings sheet added) and compares its diagnostics.
#[track_caller]
fn check(survey: &str, expected: Expect) {
    let import = run(survey);
    let rendered: Vec<String> = import.diagnostics.iter().map(ToString::to_string).collect();
    expected.assert_eq(&rendered.join("\n"));
    let has_error = import.errors().next().is_some();
    assert_eq!(
        import.form.is_none(),
        has_error,
        "a form exactly when there is no error"
    );
}

/// Imports a form that must have no diagnostics at all.
#[track_caller]
fn accept(survey: &str) -> Form {
    let import = run(survey);
    let rendered: Vec<String> = import.diagnostics.iter().map(ToString::to_string).collect();
    assert!(rendered.is_empty(), "{}", rendered.join("\n"));
    import.form.expect("no errors, so a form")
}

#[test]
fn a_plain_form_gives_its_questions_in_order() {
    let form = accept(
        "
| survey |
| | type    | name | label        |
| | text    | name | Your name?   |
| | integer | age  | Your age?    |
",
    );
    assert_eq!(form.id.as_str(), "spec");
    assert_eq!(form.title, "Spec");
    let names: Vec<String> = form.questions().map(|(path, _)| path.to_string()).collect();
    assert_eq!(names, ["/name", "/age"]);
}

#[test]
fn column_and_sheet_names_ignore_case_and_accept_aliases() {
    let form = accept(
        "
| SURVEY |
| | Type                  | NAME | Label::English (en) | label:Sesotho | Relevance      | Constraint Message | bind:required |
| | select one yes_no     | ok   | Agreed?             | O dumetse?    |                |                    | yes           |
| | text                  | why  | Why?                | Hobaneng?     | ${ok} = 'no'   | Say why            |               |
| Choices |
| | List Name | Name | Label::English (en) | label:Sesotho |
| | yes_no    | yes  | Yes                 | E             |
| | yes_no    | no   | No                  | Che           |
",
    );
    let why = form.find_question("why").expect("there");
    assert_eq!(why.relevant, Some(Expression::new("${ok} = 'no'")));
    assert_eq!(why.constraint_message.default.as_deref(), Some("Say why"));
    assert_eq!(why.label.get(Some("Sesotho"), None), Some("Hobaneng?"));
    assert_eq!(why.label.get(Some("en"), None), Some("Why?"));
    let ok = form.find_question("ok").expect("there");
    assert_eq!(ok.required, Some(Expression::new("true()")));
    assert_eq!(
        ok.kind,
        QuestionType::SelectOne {
            list: ListName::new("yes_no"),
            or_other: false
        }
    );
    assert_eq!(
        form.languages(),
        [Language::from("English (en)"), Language::from("Sesotho")]
    );
}

#[test]
fn groups_and_repeats_nest() {
    let form = accept(
        "
| survey |
| | type         | name   | label     | appearance | repeat_count |
| | integer      | n      | How many? |            |              |
| | begin group  | person | Person    | field-list |              |
| | begin repeat | child  | Child     |            | ${n}         |
| | text         | cname  | Name      |            |              |
| | end repeat   |        |           |            |              |
| | end group    |        |           |            |              |
",
    );
    let paths: Vec<String> = form.questions().map(|(path, _)| path.to_string()).collect();
    assert_eq!(paths, ["/n", "/person/child/cname"]);
    let Some((_, Item::Repeat(repeat))) = form.find_item("child") else {
        panic!("child is a repeat");
    };
    assert_eq!(repeat.repeat_count, Some(Expression::new("${n}")));
    let Some((_, Item::Group(group))) = form.find_item("person") else {
        panic!("person is a group");
    };
    assert_eq!(
        group.appearance.as_ref().map(|a| a.as_str()),
        Some("field-list")
    );
}

#[test]
fn choices_keep_their_extra_columns_for_filters() {
    let form = accept(
        "
| survey |
| | type              | name     | label    | choice_filter          |
| | select_one country| country  | Country? |                        |
| | select_one region | region   | Region?  | country = ${country}   |
| choices |
| | list_name | name    | label        | country |
| | country   | za      | South Africa |         |
| | country   | bw      | Botswana     |         |
| | region    | gauteng | Gauteng      | za      |
| | region    | gaborone| Gaborone     | bw      |
",
    );
    let regions = form
        .choice_list(&ListName::new("region"))
        .expect("the list is there");
    assert_eq!(
        regions.choices[0]
            .properties
            .get("country")
            .map(String::as_str),
        Some("za")
    );
}

#[test]
fn a_range_reads_its_parameters() {
    let form = accept(
        "
| survey |
| | type  | name   | label   | parameters              |
| | range | months | Months? | start=0 end=12 step=1   |
",
    );
    assert_eq!(
        form.find_question("months").map(|q| &q.kind),
        Some(&QuestionType::Range(RangeParameters {
            start: 0.0,
            end: 12.0,
            step: 1.0
        }))
    );
}

#[test]
fn an_unknown_type_is_named() {
    check(
        "
| survey |
| | type      | name | label |
| | textt     | a    | A     |
",
        expect![
            "error [sheet survey, row 4, column type]: unknown question type `textt`: use one of text, integer, decimal, date, time, dateTime, select_one LIST, select_multiple LIST, note, calculate, acknowledge, range, geopoint, begin group, end group, begin repeat, end repeat, or a metadata type (start, end, today, deviceid, username)"
        ],
    );
}

#[test]
fn a_question_needs_a_name_and_names_differ_within_a_group() {
    check(
        "
| survey |
| | type        | name | label |
| | text        |      | A     |
| | text        | b    | B     |
| | text        | b    | B2    |
| | begin group | g    | G     |
| | text        | b    | B3    |
| | end group   |      |       |
| | text        | 2b   | C     |
",
        expect![[r#"
            error [sheet survey, row 4, column name]: this row has no name: give it a name (letters, digits and underscores, starting with a letter), which is how its answer is stored and how `${name}` refers to it
            error [sheet survey, row 6, column name]: the name `b` is already used on row 5 in the same group: names must differ so that answers are not mixed up; rename one of them
            error [sheet survey, row 10, column name]: `2b` is not a valid name: a name starts with a letter or an underscore and has only letters, digits, underscores, hyphens and periods"#]],
    );
}

#[test]
fn references_must_name_a_field_once() {
    check(
        "
| survey |
| | type        | name | label            | relevant       |
| | text        | a    | A ${nope}        |                |
| | begin group | g    | G                |                |
| | text        | a    | A again          |                |
| | end group   |      |                  |                |
| | text        | c    | C                | ${a} = 'x'     |
",
        expect![[r#"
            error [sheet survey, row 4, column label, character 3]: `${nope}` refers to nothing: no question, group or repeat is named `nope`; correct the name, or add the question it should refer to
            error [sheet survey, row 8, column relevant, character 1]: `${a}` is ambiguous: the name `a` is used on rows 4, 6; rename all but one so that the reference is clear"#]],
    );
}

#[test]
fn a_syntax_error_says_where_in_the_cell() {
    check(
        "
| survey |
| | type    | name | label | constraint          |
| | integer | a    | A     | . >= 0 and (. < 10  |
",
        expect![
            "error [sheet survey, row 4, column constraint, character 19]: the constraint of `a` is not a valid expression, at character 19 of `. >= 0 and (. < 10`: expected `)` to close the parenthesis opened at 11, but found the end of the expression"
        ],
    );
}

#[test]
fn calculations_in_a_cycle_are_named() {
    check(
        "
| survey |
| | type      | name | label | calculation |
| | calculate | a    |       | ${b} + 1    |
| | calculate | b    |       | ${c} + 1    |
| | calculate | c    |       | ${a} * 2    |
| | calculate | d    |       | ${d}        |
| | calculate | e    |       | ${a}        |
",
        expect![[r#"
            error [sheet survey, row 4, column calculation]: these calculations refer to each other in a cycle, so none can be computed: `a` → `b` → `c` → `a`; break the cycle by computing one of them from other fields
            error [sheet survey, row 7, column calculation]: the calculation of `d` refers to itself, so it can never be computed: compute it from other fields only"#]],
    );
}

#[test]
fn a_choice_filter_only_applies_to_selects() {
    check(
        "
| survey |
| | type                    | name | label | choice_filter |
| | text                    | a    | A     | x = 'y'       |
| | select_one l or_other   | b    | B     | x = 'y'       |
| choices |
| | list_name | name | label | x |
| | l         | one  | One   | y |
",
        expect![[r#"
            error [sheet survey, row 4, column choice_filter]: `a` is not a select, so a choice filter means nothing for it: delete the filter, or make the question a `select_one` or `select_multiple`
            error [sheet survey, row 5, column choice_filter]: a choice filter cannot be used with `or_other`: add an `other` choice to the list and a text question relevant when it is chosen instead"#]],
    );
}

#[test]
fn groups_must_be_closed_in_order() {
    check(
        "
| survey |
| | type         | name | label |
| | end group    |      |       |
| | begin group  | g    | G     |
| | begin repeat | r    | R     |
| | text         | a    | A     |
| | end group    |      |       |
| | end repeat   |      |       |
| | begin group  | h    | H     |
",
        expect![[r#"
            error [sheet survey, row 4, column type]: `end group` with no `begin group` before it: delete this row or add the `begin group` row where the group starts
            error [sheet survey, row 5, column type]: the group begun here is never closed: add an `end group` row after its last question
            error [sheet survey, row 8, column type]: `end group` here, but the innermost open item is the repeat begun on row 6: end that one first with `end repeat`, or delete this row
            error [sheet survey, row 10, column type]: the group begun here is never closed: add an `end group` row after its last question"#]],
    );
}

#[test]
fn a_select_needs_its_list() {
    check(
        "
| survey |
| | type               | name | label |
| | select_one colours | a    | A     |
",
        expect![
            "error [sheet survey, row 4, column type]: the choice list `colours` is not on the choices sheet: add rows with list_name `colours` to the `choices` sheet, or correct the list's name here"
        ],
    );
}

#[test]
fn a_question_needs_a_label_or_a_hint_unless_it_is_never_shown() {
    check(
        "
| survey |
| | type      | name  | label | hint         | calculation |
| | text      | a     |       |              |             |
| | text      | b     |       | Only a hint  |             |
| | calculate | c     |       |              | 1 + 1       |
| | start     | start |       |              |             |
| | hidden    | h     |       |              |             |
",
        expect![
            "error [sheet survey, row 4, column label]: the question `a` has no label or hint, so a person would see nothing: write its text in the `label` column (or make it a `calculate` if it is never shown)"
        ],
    );
}

#[test]
fn two_headers_for_one_column_are_an_error() {
    check(
        "
| survey |
| | type | name | label | bind:relevant | relevance |
| | text | a    | A     |               |           |
",
        expect![
            "error [sheet survey, row 3, column relevance]: the columns `bind:relevant` and `relevance` both give the relevant: keep one of them and delete the other"
        ],
    );
}

#[test]
fn a_workbook_without_a_survey_sheet_is_refused() {
    let import = import(
        b"| choices |\n| | list_name | name | label |\n| settings |\n| | form_id |\n| | x |\n",
        SourceFormat::Markdown,
    );
    let rendered: Vec<String> = import.diagnostics.iter().map(ToString::to_string).collect();
    expect![[r#"error: there is no sheet named `survey` (the sheets are: `choices`, `settings`): add a sheet named `survey` with a `type`, a `name` and a `label` column and a row for each question"#]]
        .assert_eq(&rendered.join("\n"));
    assert!(import.form.is_none());
}

#[test]
fn a_form_without_an_id_gets_one_from_its_title_with_a_warning() {
    let import = import(
        b"| survey |\n| | type | name | label |\n| | text | a | A |\n| settings |\n| | form_title |\n| | My Survey |\n",
        SourceFormat::Markdown,
    );
    let rendered: Vec<String> = import.diagnostics.iter().map(ToString::to_string).collect();
    expect![[r#"warning [sheet settings]: the settings give no `form_id`, so the form's id is `my_survey`, taken from the title: add a `settings` sheet with a `form_id` column so that the id does not change when the file is renamed"#]]
        .assert_eq(&rendered.join("\n"));
    assert_eq!(
        import.form.map(|form| form.id.into_string()),
        Some("my_survey".to_owned())
    );
}

#[test]
fn blank_rows_are_skipped_and_rows_keep_their_numbers() {
    check(
        "
| survey |
| | type | name | label |
| |      |      |       |

| | text | a    |       |
",
        expect![[
            r#"error [sheet survey, row 6, column label]: the question `a` has no label or hint, so a person would see nothing: write its text in the `label` column (or make it a `calculate` if it is never shown)"#
        ]],
    );
}

#[test]
fn the_same_form_as_csv_gives_the_same_definition() {
    let markdown = "
| survey |
| | type              | name | label:English | relevant   |
| | select_one yes_no | ok   | OK?           |            |
| | text              | why  | Why?          | ${ok}='no' |
| choices |
| | list_name | name | label:English |
| | yes_no    | yes  | Yes           |
| | yes_no    | no   | No            |
| settings |
| | form_id |
| | same    |
";
    let csv = "survey,,,,\n,type,name,label:English,relevant\n,select_one yes_no,ok,OK?,\n,text,why,Why?,${ok}='no'\nchoices,,,\n,list_name,name,label:English\n,yes_no,yes,Yes\n,yes_no,no,No\nsettings,\n,form_id\n,same\n";
    let from_markdown = import(markdown.as_bytes(), SourceFormat::Markdown);
    let from_csv = import(csv.as_bytes(), SourceFormat::Csv);
    assert!(
        from_markdown.form.is_some(),
        "{:?}",
        from_markdown.diagnostics
    );
    assert_eq!(from_markdown, from_csv);
}

#[test]
fn formats_are_guessed_from_file_names() {
    assert_eq!(
        SourceFormat::from_file_name("form.XLSX"),
        Some(SourceFormat::Xlsx)
    );
    assert_eq!(
        SourceFormat::from_file_name("a.b.xls"),
        Some(SourceFormat::Xls)
    );
    assert_eq!(
        SourceFormat::from_file_name("form.csv"),
        Some(SourceFormat::Csv)
    );
    assert_eq!(
        SourceFormat::from_file_name("form.md"),
        Some(SourceFormat::Markdown)
    );
    assert_eq!(SourceFormat::from_file_name("form.ods"), None);
    assert_eq!(SourceFormat::from_file_name("xlsx"), None);
}

#[test]
fn garbage_is_reported_not_panicked_on() {
    for format in [SourceFormat::Xlsx, SourceFormat::Xls] {
        let import = import(b"not a spreadsheet", format);
        assert!(import.form.is_none());
        assert_eq!(import.diagnostics.len(), 1, "{:?}", import.diagnostics);
    }
    let import = import(b"\xff\xfe survey", SourceFormat::Csv);
    expect![[r#"error: the CSV file is not valid UTF-8 text (at byte 0): save it again as UTF-8"#]]
        .assert_eq(&import.diagnostics[0].to_string());
}

/// The relevant of `b` when its cell holds `written`, as the imported form keeps it.
#[track_caller]
fn relevant_read_from(written: &str) -> String {
    let form = accept(&format!(
        "
| survey |
| | type    | name | label | relevant  |
| | text    | a    | A     |           |
| | text    | b    | B     | {written} |
"
    ));
    let b = form.find_question("b").expect("there");
    b.relevant.as_ref().expect("a relevant").as_str().to_owned()
}

#[test]
fn a_left_single_curly_quote_in_an_expression_is_a_straight_quote() {
    assert_eq!(relevant_read_from("${a} = ‘yes'"), "${a} = 'yes'");
}

#[test]
fn a_right_single_curly_quote_in_an_expression_is_a_straight_quote() {
    assert_eq!(relevant_read_from("${a} = 'yes’"), "${a} = 'yes'");
}

#[test]
fn a_left_double_curly_quote_in_an_expression_is_a_straight_quote() {
    assert_eq!(relevant_read_from("${a} = “yes\""), "${a} = \"yes\"");
}

#[test]
fn a_right_double_curly_quote_in_an_expression_is_a_straight_quote() {
    assert_eq!(relevant_read_from("${a} = \"yes”"), "${a} = \"yes\"");
}

#[test]
fn curly_quotes_are_straightened_in_every_expression_column_and_no_text() {
    let import = import(
        "
| survey |
| | type              | name | label          | hint     | required          | constraint      | constraint_message | calculation     | default   | read_only      | choice_filter | repeat_count      | trigger | parameters |
| | select_one yes_no | a    | ‘A’ or “A”?    | “Hint”   | ${b} != ‘x’       | . != “no”       | Not “no”           |                 |           | ${b} = ‘y’     | x = ‘1’       |                   |         |            |
| | calculate         | b    |                |          |                   |                 |                    | concat(‘x’, “y”)|           |                |               |                   |         |            |
| | text              | c    | C              |          |                   |                 |                    |                 | ‘x’       |                |               |                   | ${a}    |            |
| | begin repeat      | r    | R              |          |                   |                 |                    |                 |           |                |               | if(${b} = ‘x’, 1, 2) |      |            |
| | text              | d    | D              |          |                   |                 |                    |                 |           |                |               |                   |         |            |
| | end repeat        |      |                |          |                   |                 |                    |                 |           |                |               |                   |         |            |
| choices |
| | list_name | name | label       | x |
| | yes_no    | yes  | ‘Yes’       | 1 |
| | yes_no    | no   | “No”        | 1 |
| settings |
| | form_id | form_title | instance_name      |
| | spec    | ‘Spec’     | concat(‘a-’, ${b}) |
"
        .as_bytes(),
        SourceFormat::Markdown,
    );
    assert!(import.diagnostics.is_empty(), "{:?}", import.diagnostics);
    let form = import.form.expect("no errors, so a form");
    let expression = |e: &Option<Expression>| e.as_ref().map(|e| e.as_str().to_owned());
    let a = form.find_question("a").expect("there");
    assert_eq!(expression(&a.required).as_deref(), Some("${b} != 'x'"));
    assert_eq!(expression(&a.constraint).as_deref(), Some(". != \"no\""));
    assert_eq!(expression(&a.read_only).as_deref(), Some("${b} = 'y'"));
    assert_eq!(expression(&a.choice_filter).as_deref(), Some("x = '1'"));
    let b = form.find_question("b").expect("there");
    assert_eq!(
        expression(&b.calculation).as_deref(),
        Some("concat('x', \"y\")")
    );
    let c = form.find_question("c").expect("there");
    assert_eq!(c.default.as_deref(), Some("'x'"));
    let Some((_, Item::Repeat(r))) = form.find_item("r") else {
        panic!("r is a repeat");
    };
    assert_eq!(
        expression(&r.repeat_count).as_deref(),
        Some("if(${b} = 'x', 1, 2)")
    );
    assert_eq!(
        expression(&form.instance_name).as_deref(),
        Some("concat('a-', ${b})")
    );
    // Texts a person reads keep their typographic quotes.
    assert_eq!(a.label.default.as_deref(), Some("‘A’ or “A”?"));
    assert_eq!(a.hint.default.as_deref(), Some("“Hint”"));
    assert_eq!(a.constraint_message.default.as_deref(), Some("Not “no”"));
    assert_eq!(form.title, "‘Spec’");
    let yes_no = form
        .choice_list(&ListName::new("yes_no"))
        .expect("the list is there");
    let labels: Vec<_> = yes_no
        .choices
        .iter()
        .map(|choice| choice.label.default.as_deref())
        .collect();
    assert_eq!(labels, [Some("‘Yes’"), Some("“No”")]);
}

#[test]
fn a_curly_apostrophe_inside_a_text_is_a_straight_quote_too() {
    // pyxform straightens the whole cell, string literals included, so `'it’s'` ends the
    // text after `it`; the message says so.
    check(
        "
| survey |
| | type | name | label | relevant        |
| | text | a    | A     |                 |
| | text | b    | B     | ${a} = 'it’s'   |
| | text | c    | C     | ${a} = \"it’s\" |
",
        expect![
            "error [sheet survey, row 5, column relevant, character 13]: the relevant of `b` is not a valid expression, at character 13 of `${a} = 'it's'` (its curly quotes read as straight ones, as pyxform reads them): this string is never closed: add a closing ' (a string cannot contain its own quote; use the other quote, or concat())"
        ],
    );
}

#[test]
fn a_column_without_a_header_is_ignored_on_the_survey_sheet() {
    let form = accept(
        "
| survey |
| | type | name | label |              |
| | text | a    | A     | ${nowhere    |
| |      |      |       | a note alone |
| | text | b    | B     |              |
",
    );
    let names: Vec<String> = form.questions().map(|(path, _)| path.to_string()).collect();
    assert_eq!(names, ["/a", "/b"]);
}

#[test]
fn a_column_without_a_header_is_ignored_on_the_choices_sheet() {
    let form = accept(
        "
| survey |
| | type              | name | label |
| | select_one yes_no | a    | A     |
| choices |
| | list_name | name |                 | label |
| | yes_no    | yes  | kept for Thabo  | Yes   |
| |           |      | the list below  |       |
| | yes_no    | no   |                 | No    |
",
    );
    let yes_no = form
        .choice_list(&ListName::new("yes_no"))
        .expect("the list is there");
    let values: Vec<&str> = yes_no.choices.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(values, ["yes", "no"]);
    assert!(yes_no.choices.iter().all(|c| c.properties.is_empty()));
}

#[test]
fn a_column_without_a_header_is_ignored_on_the_settings_sheet() {
    let import = import(
        "
| survey |
| | type | name | label |
| | text | a    | A     |
| settings |
| | form_id |                   | form_title | allow_choice_duplicates |
| |         | written on 3 May  |            |                         |
| | hs      | ask before change | Headerless | yes                     |
"
        .as_bytes(),
        SourceFormat::Markdown,
    );
    assert!(import.diagnostics.is_empty(), "{:?}", import.diagnostics);
    let form = import.form.expect("no errors, so a form");
    assert_eq!(form.id.as_str(), "hs");
    assert_eq!(form.title, "Headerless");
}

#[test]
fn a_reference_to_a_refused_row_is_not_reported_as_referring_to_nothing() {
    check(
        "
| survey |
| | type    | name | label      | relevant      |
| | textt   | a    | A          |               |
| |         | b    | B          |               |
| | integer | c    | C ${a}     | ${a} != ''    |
| | text    | d    | D          | ${b} > 1      |
| | text    | e    | E          | ${nope} = 1   |
",
        expect![[r#"
            error [sheet survey, row 4, column type]: unknown question type `textt`: use one of text, integer, decimal, date, time, dateTime, select_one LIST, select_multiple LIST, note, calculate, acknowledge, range, geopoint, begin group, end group, begin repeat, end repeat, or a metadata type (start, end, today, deviceid, username)
            error [sheet survey, row 5, column type]: this row has a name or a label but no type: give it a type such as `text`, `integer` or `select_one LIST`
            error [sheet survey, row 8, column relevant, character 1]: `${nope}` refers to nothing: no question, group or repeat is named `nope`; correct the name, or add the question it should refer to"#]],
    );
}

#[test]
fn the_end_of_a_refused_begin_row_is_not_reported_as_ending_nothing() {
    check(
        "
| survey |
| | type        | name  | label |
| | begin grop  | g     | G     |
| | text        | a     | A     |
| | end group   |       |       |
| | end group   |       |       |
",
        expect![[r#"
            error [sheet survey, row 4, column type]: unknown question type `begin grop`: use one of text, integer, decimal, date, time, dateTime, select_one LIST, select_multiple LIST, note, calculate, acknowledge, range, geopoint, begin group, end group, begin repeat, end repeat, or a metadata type (start, end, today, deviceid, username)
            error [sheet survey, row 7, column type]: `end group` with no `begin group` before it: delete this row or add the `begin group` row where the group starts"#]],
    );
}

#[test]
fn or_other_adds_an_other_choice_and_a_text_asked_when_it_is_chosen_as_pyxform_does() {
    let form = accept(
        "
| survey |
| | type                          | name   | label           |
| | select_one colours or_other   | colour | Favourite colour |
| | select_multiple colours or_other | worn | Colours worn    |
| | select_one fruits or_other    | fruit  | Favourite fruit  |
| choices |
| | list_name | name  | label  |
| | colours   | red   | Red    |
| | colours   | blue  | Blue   |
| | fruits    | apple | Apple  |
| | fruits    | other | Something else |
",
    );
    let names: Vec<String> = form.questions().map(|(path, _)| path.to_string()).collect();
    assert_eq!(
        names,
        [
            "/colour",
            "/colour_other",
            "/worn",
            "/worn_other",
            "/fruit",
            "/fruit_other"
        ],
        "each select is followed by its text"
    );
    let specify = form.find_question("colour_other").expect("the text");
    assert_eq!(specify.kind, QuestionType::Text);
    assert_eq!(specify.label.default.as_deref(), Some("Specify other."));
    assert_eq!(
        specify.relevant,
        Some(Expression::new("selected(${colour}, 'other')"))
    );
    let values = |list: &str| -> Vec<String> {
        form.choice_list(&ListName::new(list))
            .expect("the list")
            .choices
            .iter()
            .map(|choice| choice.value.as_str().to_owned())
            .collect()
    };
    assert_eq!(
        values("colours"),
        ["red", "blue", "other"],
        "once, for both questions"
    );
    assert_eq!(
        values("fruits"),
        ["apple", "other"],
        "a list's own other choice is kept"
    );
    let fruits = form
        .choice_list(&ListName::new("fruits"))
        .expect("the list");
    assert_eq!(
        fruits.choices[1].label.default.as_deref(),
        Some("Something else")
    );
}

#[test]
fn or_other_in_a_translated_form_labels_other_in_every_language_and_warns() {
    let import = run("
| survey |
| | type                        | name   | label::English | label::Sesotho |
| | select_one colours or_other | colour | Colour?        | Mmala?         |
| choices |
| | list_name | name | label::English | label::Sesotho |
| | colours   | red  | Red            | Khubelu        |
");
    let rendered: Vec<String> = import.diagnostics.iter().map(ToString::to_string).collect();
    expect![[r#"
        warning [sheet survey, row 4, column type]: this form uses `or_other` and translations: the `Other` choice and the "Specify other." question it adds are in English in every language; add an `other` choice and a text question relevant when it is chosen, each translated, instead"#]]
    .assert_eq(&rendered.join("\n"));
    let form = import.form.expect("a warning only");
    let colours = form
        .choice_list(&ListName::new("colours"))
        .expect("the list");
    let other = colours.choices.last().expect("a choice");
    assert_eq!(other.value.as_str(), "other");
    assert_eq!(other.label.translation("Sesotho"), Some("Other"));
    assert_eq!(other.label.translation("English"), Some("Other"));
}

#[test]
fn the_name_or_other_adds_cannot_be_used_by_another_question() {
    check(
        "
| survey |
| | type                        | name         | label  |
| | text                        | before_other | Before |
| | select_one l or_other       | before       | B      |
| | select_one l or_other       | after        | A      |
| | text                        | after_other  | After  |
| choices |
| | list_name | name | label |
| | l         | one  | One   |
",
        expect![[r#"
            error [sheet survey, row 5, column type]: `or_other` adds a text question named `before_other` for the other answer, but row 4 already uses that name: rename the question on row 4
            error [sheet survey, row 7, column name]: the name `after_other` is taken by the text question that `or_other` on row 6 adds for the other answer: rename this question"#]],
    );
}

#[test]
fn select_one_external_is_a_filtered_select_over_its_own_sheets_list() {
    let form = accept(
        "
| survey |
| | type                     | name  | label    | choice_filter     |
| | select_one states        | state | State?   |                   |
| | select_one_external states | city | City?   | state = ${state}  |
| choices |
| | list_name | name | label |
| | states    | fs   | Free State |
| | states    | gp   | Gauteng    |
| external_choices |
| | list_name | name   | label        | state |
| | states    | bfn    | Bloemfontein | fs    |
| | states    | jhb    | Johannesburg | gp    |
| | states    | pta    | Pretoria     | gp    |
| | unused    | x      | X            |       |
",
    );
    let city = form.find_question("city").expect("the question");
    // The list of the external_choices sheet, apart from the choices sheet's of that name.
    let QuestionType::SelectOne { list, or_other } = &city.kind else {
        panic!("a select_one, not {:?}", city.kind);
    };
    assert!(!or_other);
    let cities = form.choice_list(list).expect("its list is in the form");
    let names: Vec<&str> = cities.choices.iter().map(|c| c.value.as_str()).collect();
    assert_eq!(names, ["bfn", "jhb", "pta"]);
    assert_eq!(
        cities.choices[1]
            .properties
            .get("state")
            .map(String::as_str),
        Some("gp"),
        "the filter's column"
    );
    assert_eq!(
        city.choice_filter,
        Some(Expression::new("state = ${state}"))
    );
    let states = form
        .choice_list(&ListName::new("states"))
        .expect("the state list");
    assert_eq!(
        states.choices.len(),
        2,
        "the choices sheet's list is its own"
    );
    assert_eq!(
        form.choice_lists.len(),
        2,
        "a list no question names is left out"
    );
    letsema_form::runtime::CompiledForm::new(&form).expect("the engine runs it");
}

#[test]
fn select_one_external_needs_a_filter_its_sheet_and_its_list() {
    check(
        "
| survey |
| | type                       | name | label | choice_filter |
| | select_one_external cities | a    | A     |               |
",
        expect![[r#"
            error [sheet survey, row 4, column type]: `select_one_external` is for a list filtered by an earlier answer, but `a` has no choice filter: write one (such as `state = ${state}`), or make it a `select_one` with its list on the `choices` sheet
            error [sheet survey, row 4, column type]: `select_one_external` reads its choices from the `external_choices` sheet, which this form does not have: add that sheet, with `list_name`, `name` and `label` columns and the columns the choice filter reads"#]],
    );
    check(
        "
| survey |
| | type                       | name | label | choice_filter |
| | text                       | s    | S     |               |
| | select_one_external cities | a    | A     | state = ${s}  |
| external_choices |
| | list_name | name | label | state |
| | towns     | bfn  | Bloemfontein | fs |
",
        expect![[r#"
            error [sheet survey, row 5, column type]: the list `cities` is not on the `external_choices` sheet: add its choices there, with `cities` in `list_name`"#]],
    );
}

#[test]
fn a_phone_number_takes_digits_only_with_pyxforms_hint_unless_the_row_says_otherwise() {
    let form = accept(
        "
| survey |
| | type         | name  | label  | hint            | constraint                 |
| | phone number | phone | Phone? |                 |                            |
| | phone number | other | Other? | With the code   | regex(., '^\\+?[0-9 ]+$')  |
",
    );
    let phone = form.find_question("phone").expect("the question");
    assert_eq!(phone.kind, QuestionType::Text);
    assert_eq!(
        phone.constraint,
        Some(Expression::new(r"regex(., '^\d*$')"))
    );
    assert_eq!(phone.hint.default.as_deref(), Some("Enter numbers only."));
    let other = form.find_question("other").expect("the question");
    assert_eq!(
        other.constraint,
        Some(Expression::new(r"regex(., '^\+?[0-9 ]+$')"))
    );
    assert_eq!(other.hint.default.as_deref(), Some("With the code"));
}

#[test]
fn an_lgroup_is_a_repeat_as_in_pyxform() {
    let form = accept(
        "
| survey |
| | type         | name     | label    |
| | begin lgroup | children | Children |
| | text         | child    | Name     |
| | end lgroup   |          |          |
",
    );
    assert!(
        matches!(form.items.as_slice(), [Item::Repeat(_)]),
        "{:?}",
        form.items
    );
}
