//! What an export holds, format by format: a form in two versions, a handful of
//! submissions of both, exported in memory and read back with the tools planners' software
//! stands in for (the `csv` crate, calamine, serde_json).

use std::collections::BTreeMap;
use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use letsema_answers::{Answer, Answers};
use letsema_export::{
    Comment, ExportError, ExportOptions, Exporter, Format, Schema, Submission, TableInfo,
};
use letsema_form::model::Form;
use letsema_xlsform::{SourceFormat, import};
use serde_json::{Value, json};

const CHOICES: &str = "
| choices |
| | list_name | name | label::English (en) | label::Sesotho (st) |
| | yes_no    | yes  | Yes                 | E                   |
| | yes_no    | no   | No                  | Che                 |
| | langs     | st   | Sesotho             | Sesotho             |
| | langs     | en   | English             | Senyesemane         |
| | langs     | fr   | French              |                     |
";

/// Version 1: `nickname` and the repeat `trip` only it has.
const V1: &str = "
| survey |
| | type                  | name      | label::English (en) | label::Sesotho (st) |
| | begin group           | personal  | Personal            | Motho               |
| | text                  | full_name | Name                | Lebitso             |
| | integer               | age       | Age                 | Lilemo              |
| | end group             |           |                     |                     |
| | text                  | nickname  | Nickname            | Lebitso la bosoasoi |
| | note                  | intro     | Welcome             | Rea u amohela       |
| | select_one yes_no     | consent   | Consent?            | Na u dumela?        |
| | select_multiple langs | languages | Languages           | Lipuo               |
| | decimal               | income    | Income              | Moputso             |
| | date                  | born      | Born                | Tsoetsoe            |
| | datetime              | visited   | Visited             | Etetsoe             |
| | begin repeat          | household | Household           | Lelapa              |
| | text                  | member    | Member              | Setho               |
| | begin repeat          | phone     | Phone               | Mohala              |
| | text                  | number    | Number              | Nomoro              |
| | end repeat            |           |                     |                     |
| | end repeat            |           |                     |                     |
| | begin repeat          | trip      | Trip                | Leeto               |
| | text                  | place     | Place               | Sebaka              |
| | end repeat            |           |                     |                     |
| settings |
| | form_id | version | default_language |
| | census  | 1       | English (en)     |
";

/// Version 2: `consent` first, `email` and `member_age` added, `nickname` and `trip`
/// dropped, `income` before `languages`.
const V2: &str = "
| survey |
| | type                  | name       | label::English (en) | label::Sesotho (st) |
| | select_one yes_no     | consent    | Consent?            | Na u dumela?        |
| | begin group           | personal   | Personal            | Motho               |
| | text                  | full_name  | Name                | Lebitso             |
| | text                  | email      | E-mail              | Imeile              |
| | integer               | age        | Age                 | Lilemo              |
| | end group             |            |                     |                     |
| | note                  | intro      | Welcome             | Rea u amohela       |
| | decimal               | income     | Income              | Moputso             |
| | select_multiple langs | languages  | Languages           | Lipuo               |
| | date                  | born       | Born                | Tsoetsoe            |
| | datetime              | visited    | Visited             | Etetsoe             |
| | begin repeat          | household  | Household           | Lelapa              |
| | text                  | member     | Member              | Setho               |
| | integer               | member_age | Member's age        | Lilemo tsa setho    |
| | begin repeat          | phone      | Phone               | Mohala              |
| | text                  | number     | Number              | Nomoro              |
| | end repeat            |            |                     |                     |
| | end repeat            |            |                     |                     |
| settings |
| | form_id | version | default_language |
| | census  | 2       | English (en)     |
";

fn form(survey: &str) -> Form {
    let import = import(
        format!("{survey}{CHOICES}").as_bytes(),
        SourceFormat::Markdown,
    );
    let errors: Vec<String> = import.errors().map(ToString::to_string).collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    import.form.expect("no errors, so a form")
}

fn schema() -> Schema {
    let (v1, v2) = (form(V1), form(V2));
    Schema::new(&[&v2, &v1]).expect("two versions of one form")
}

const MEMBER: &str = "Lerato, \"Lee\"\nMokhothu";
const MARCH_1: i64 = 1_772_357_400_000; // 2026-03-01T09:30:00.000Z

/// The submissions every test exports, with what the server knows of them.
struct Fixture {
    answers: Vec<Answers>,
    comments: Vec<Comment>,
    issues: Vec<String>,
}

impl Fixture {
    fn new() -> Fixture {
        let full = Answers::new()
            .with("consent", "yes")
            .with("full_name", "Tšepo Mokhothu")
            .with("email", "tsepo@example.org")
            .with("age", "34")
            .with("income", "1250.5")
            .with("languages", ["st", "en"])
            .with("born", "1990-06-15")
            .with("visited", "2026-03-01T09:30:00.000+02:00")
            .with(
                "household",
                vec![
                    Answers::new()
                        .with("member", MEMBER)
                        .with("member_age", "12")
                        .with(
                            "phone",
                            vec![
                                Answers::new().with("number", "+266 5000 0000"),
                                Answers::new().with("number", "+27 82 000 0000"),
                            ],
                        ),
                    Answers::new()
                        .with("member", "Palesa")
                        .with("phone", Answer::Multiple(vec![])),
                ],
            );
        let old = Answers::new()
            .with("full_name", "Jane, \"JJ\" Doe")
            .with("age", "")
            .with("nickname", "JJ")
            .with("consent", "maybe")
            .with("languages", ["fr", "xx"])
            .with("income", "about 300")
            .with("born", "last spring")
            .with("household", Answer::Multiple(vec![]))
            .with("trip", vec![Answers::new().with("place", "Maseru")])
            .with("not_in_any_version", "ignored");
        Fixture {
            answers: vec![full, old, Answers::new()],
            comments: vec![
                Comment {
                    author: "Mpho".to_owned(),
                    at: MARCH_1 + 60_000,
                    text: "Check the age, please".to_owned(),
                },
                Comment {
                    author: "Lineo".to_owned(),
                    at: MARCH_1 + 120_000,
                    text: "Fixed".to_owned(),
                },
            ],
            issues: vec!["age is required".to_owned(), "email is invalid".to_owned()],
        }
    }

    fn submissions(&self) -> Vec<Submission<'_>> {
        vec![
            Submission {
                id: "s1",
                form_version: "2",
                created_at: MARCH_1,
                association: Some("Basotho in Gauteng"),
                device: "phone-1",
                instance_name: Some("Tšepo"),
                review_status: "has_issues",
                comments: &self.comments,
                complete: false,
                issues: &self.issues,
                answers: &self.answers[0],
            },
            Submission {
                id: "s2",
                form_version: "1",
                created_at: MARCH_1 + 1,
                association: None,
                device: "phone-2",
                instance_name: None,
                review_status: "received",
                comments: &[],
                complete: true,
                issues: &[],
                answers: &self.answers[1],
            },
            Submission {
                id: "s3",
                form_version: "2",
                created_at: MARCH_1 + 86_400_000,
                association: None,
                device: "phone-1",
                instance_name: None,
                review_status: "approved",
                comments: &[],
                complete: true,
                issues: &[],
                answers: &self.answers[2],
            },
        ]
    }
}

fn export(format: Format, options: ExportOptions, submissions: &[Submission<'_>]) -> Vec<u8> {
    let mut exporter =
        Exporter::new(format, &schema(), options, Cursor::new(Vec::new())).expect("an exporter");
    for submission in submissions {
        exporter.push(submission).expect("pushed");
    }
    assert_eq!(exporter.rows(), submissions.len() as u64);
    exporter.finish().expect("finished").into_inner()
}

/// Every file of a CSV export: its name, then its rows (the header first).
fn csv_files(zip: &[u8]) -> BTreeMap<String, Vec<Vec<String>>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).expect("a ZIP");
    let mut files = BTreeMap::new();
    for index in 0..archive.len() {
        let mut file = archive.by_index(index).expect("a file");
        let name = file.name().expect("a name").into_owned();
        let mut text = String::new();
        file.read_to_string(&mut text).expect("UTF-8");
        let rows = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes())
            .records()
            .map(|record| {
                record
                    .expect("a record")
                    .iter()
                    .map(str::to_owned)
                    .collect()
            })
            .collect();
        files.insert(name, rows);
    }
    files
}

/// Each row of a table as header → value (the header row itself left out).
fn by_header(rows: &[Vec<String>]) -> Vec<BTreeMap<&str, &str>> {
    let (headers, rows) = rows.split_first().expect("a header row");
    rows.iter()
        .map(|row| {
            assert_eq!(row.len(), headers.len(), "a value per header");
            headers
                .iter()
                .map(String::as_str)
                .zip(row.iter().map(String::as_str))
                .collect()
        })
        .collect()
}

fn main_headers(questions: &[&str]) -> Vec<String> {
    let mut headers = vec!["SubmissionDate"];
    headers.extend(questions);
    headers.extend([
        "KEY",
        "FormVersion",
        "Association",
        "DeviceID",
        "InstanceName",
        "ReviewState",
        "Comments",
        "Complete",
        "Issues",
    ]);
    headers.into_iter().map(str::to_owned).collect()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|value| (*value).to_owned()).collect()
}

const QUESTIONS: [&str; 9] = [
    "consent",
    "personal-full_name",
    "personal-email",
    "personal-age",
    "nickname",
    "income",
    "languages",
    "born",
    "visited",
];

#[test]
fn the_columns_are_the_union_of_the_versions_in_form_order() {
    let tables = schema().tables(&ExportOptions::default());
    assert_eq!(
        tables,
        [
            TableInfo {
                name: "census".to_owned(),
                headers: main_headers(&QUESTIONS),
            },
            TableInfo {
                name: "household".to_owned(),
                headers: strings(&["member", "member_age", "PARENT_KEY", "KEY"]),
            },
            TableInfo {
                name: "phone".to_owned(),
                headers: strings(&["number", "PARENT_KEY", "KEY"]),
            },
            TableInfo {
                name: "trip".to_owned(),
                headers: strings(&["place", "PARENT_KEY", "KEY"]),
            },
        ]
    );
}

#[test]
fn the_oldest_version_first_is_not_the_same_schema() {
    // The order of the versions matters: the newest's order wins.
    let (v1, v2) = (form(V1), form(V2));
    let schema = Schema::new(&[&v1, &v2]).expect("versions of one form");
    let headers = &schema.tables(&ExportOptions::default())[0].headers;
    assert_eq!(
        headers[1..7],
        strings(&[
            "personal-full_name",
            "personal-email",
            "personal-age",
            "nickname",
            "consent",
            "languages"
        ])
    );
}

#[test]
fn a_schema_needs_versions_of_one_form() {
    assert!(matches!(Schema::new(&[]), Err(ExportError::NoVersions)));
    let other = form(&V1.replace("| census  |", "| other   |"));
    let error = Schema::new(&[&form(V2), &other]).expect_err("two forms");
    assert!(matches!(error, ExportError::DifferentForms { .. }));
    assert!(
        error.to_string().contains("`census` and `other`"),
        "{error}"
    );
}

#[test]
fn csv_holds_every_value_as_stored() {
    let fixture = Fixture::new();
    let zip = export(
        Format::Csv,
        ExportOptions::default(),
        &fixture.submissions(),
    );
    let files = csv_files(&zip);
    assert_eq!(
        files.keys().collect::<Vec<_>>(),
        [
            "census-household.csv",
            "census-phone.csv",
            "census-trip.csv",
            "census.csv"
        ]
    );

    let main = &files["census.csv"];
    assert_eq!(main[0], main_headers(&QUESTIONS));
    let rows = by_header(main);
    assert_eq!(rows.len(), 3);
    let expected_s1 = [
        ("SubmissionDate", "2026-03-01T09:30:00.000Z"),
        ("consent", "yes"),
        ("personal-full_name", "Tšepo Mokhothu"),
        ("personal-email", "tsepo@example.org"),
        ("personal-age", "34"),
        ("nickname", ""),
        ("income", "1250.5"),
        ("languages", "st en"),
        ("born", "1990-06-15"),
        ("visited", "2026-03-01T09:30:00.000+02:00"),
        ("KEY", "s1"),
        ("FormVersion", "2"),
        ("Association", "Basotho in Gauteng"),
        ("DeviceID", "phone-1"),
        ("InstanceName", "Tšepo"),
        ("ReviewState", "has_issues"),
        (
            "Comments",
            "Mpho (2026-03-01T09:31:00.000Z): Check the age, please\n\
             Lineo (2026-03-01T09:32:00.000Z): Fixed",
        ),
        ("Complete", "false"),
        ("Issues", "age is required\nemail is invalid"),
    ];
    assert_eq!(rows[0], BTreeMap::from(expected_s1));
    let expected_s2 = [
        ("SubmissionDate", "2026-03-01T09:30:00.001Z"),
        ("consent", "maybe"),
        ("personal-full_name", "Jane, \"JJ\" Doe"),
        ("personal-email", ""),
        ("personal-age", ""),
        ("nickname", "JJ"),
        ("income", "about 300"),
        ("languages", "fr xx"),
        ("born", "last spring"),
        ("visited", ""),
        ("KEY", "s2"),
        ("FormVersion", "1"),
        ("Association", ""),
        ("DeviceID", "phone-2"),
        ("InstanceName", ""),
        ("ReviewState", "received"),
        ("Comments", ""),
        ("Complete", "true"),
        ("Issues", ""),
    ];
    assert_eq!(rows[1], BTreeMap::from(expected_s2));
    let s3 = &rows[2];
    assert_eq!(s3["SubmissionDate"], "2026-03-02T09:30:00.000Z");
    assert!(QUESTIONS.iter().all(|question| s3[question].is_empty()));

    let household = by_header(&files["census-household.csv"]);
    assert_eq!(
        household,
        [
            BTreeMap::from([
                ("member", MEMBER),
                ("member_age", "12"),
                ("PARENT_KEY", "s1"),
                ("KEY", "s1/household[1]"),
            ]),
            BTreeMap::from([
                ("member", "Palesa"),
                ("member_age", ""),
                ("PARENT_KEY", "s1"),
                ("KEY", "s1/household[2]"),
            ]),
        ]
    );
    let phone = by_header(&files["census-phone.csv"]);
    assert_eq!(
        phone,
        [
            BTreeMap::from([
                ("number", "+266 5000 0000"),
                ("PARENT_KEY", "s1/household[1]"),
                ("KEY", "s1/household[1]/phone[1]"),
            ]),
            BTreeMap::from([
                ("number", "+27 82 000 0000"),
                ("PARENT_KEY", "s1/household[1]"),
                ("KEY", "s1/household[1]/phone[2]"),
            ]),
        ]
    );
    let trip = by_header(&files["census-trip.csv"]);
    assert_eq!(
        trip,
        [BTreeMap::from([
            ("place", "Maseru"),
            ("PARENT_KEY", "s2"),
            ("KEY", "s2/trip[1]"),
        ])]
    );
}

#[test]
fn csv_quotes_as_rfc_4180_says() {
    let fixture = Fixture::new();
    let zip = export(
        Format::Csv,
        ExportOptions::default(),
        &fixture.submissions(),
    );
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).expect("a ZIP");
    let mut text = String::new();
    archive
        .by_name("census-household.csv")
        .expect("the household table")
        .read_to_string(&mut text)
        .expect("UTF-8");
    assert_eq!(
        text,
        "member,member_age,PARENT_KEY,KEY\r\n\
         \"Lerato, \"\"Lee\"\"\nMokhothu\",12,s1,s1/household[1]\r\n\
         Palesa,,s1,s1/household[2]\r\n"
    );
}

#[test]
fn empty_repeat_tables_are_still_in_the_zip_with_their_headers() {
    let zip = export(Format::Csv, ExportOptions::default(), &[]);
    let files = csv_files(&zip);
    assert_eq!(files.len(), 4);
    assert_eq!(
        files["census-phone.csv"],
        [strings(&["number", "PARENT_KEY", "KEY"])]
    );
    assert_eq!(files["census.csv"], [main_headers(&QUESTIONS)]);
}

#[test]
fn without_group_names_a_header_is_the_question_name() {
    let options = ExportOptions {
        group_names: false,
        ..ExportOptions::default()
    };
    let tables = schema().tables(&options);
    assert_eq!(
        tables[0].headers[1..5],
        strings(&["consent", "full_name", "email", "age"])
    );
}

#[test]
fn split_select_multiples_get_a_column_per_choice() {
    let fixture = Fixture::new();
    let options = ExportOptions {
        split_select_multiple: true,
        ..ExportOptions::default()
    };
    let files = csv_files(&export(Format::Csv, options, &fixture.submissions()));
    let main = &files["census.csv"];
    assert_eq!(
        main[0][6..11],
        strings(&[
            "income",
            "languages",
            "languages/st",
            "languages/en",
            "languages/fr"
        ])
    );
    let split = |row: &BTreeMap<&str, &str>| {
        ["languages", "languages/st", "languages/en", "languages/fr"]
            .map(|header| row[header].to_owned())
    };
    let rows = by_header(main);
    // Selected, answered without it, unanswered; a value not in the list has no column.
    assert_eq!(split(&rows[0]), ["st en", "1", "1", "0"]);
    assert_eq!(split(&rows[1]), ["fr xx", "0", "0", "1"]);
    assert_eq!(split(&rows[2]), ["", "", "", ""]);
}

#[test]
fn choice_labels_come_in_the_language_asked_for() {
    let fixture = Fixture::new();
    let options = ExportOptions {
        choice_labels: Some("st".to_owned()),
        ..ExportOptions::default()
    };
    let files = csv_files(&export(Format::Csv, options, &fixture.submissions()));
    let rows = by_header(&files["census.csv"]);
    assert_eq!(rows[0]["consent"], "E");
    assert_eq!(rows[0]["languages"], "Sesotho; Senyesemane");
    // French has no Sesotho label: the default language's; `maybe` and `xx` are not in
    // their lists: as they are.
    assert_eq!(rows[1]["consent"], "maybe");
    assert_eq!(rows[1]["languages"], "French; xx");
    // Only choices change: other answers and the headers stay as they are.
    assert_eq!(rows[0]["personal-full_name"], "Tšepo Mokhothu");

    let english = ExportOptions {
        choice_labels: Some("English (en)".to_owned()),
        ..ExportOptions::default()
    };
    let files = csv_files(&export(Format::Csv, english, &fixture.submissions()));
    assert_eq!(by_header(&files["census.csv"])[0]["consent"], "Yes");
}

#[test]
fn review_and_judgement_columns_can_be_left_out() {
    let options = ExportOptions {
        review: false,
        judgement: false,
        ..ExportOptions::default()
    };
    let headers = &schema().tables(&options)[0].headers;
    assert_eq!(
        headers[headers.len() - 5..],
        strings(&[
            "KEY",
            "FormVersion",
            "Association",
            "DeviceID",
            "InstanceName"
        ])
    );
    let only_review = ExportOptions {
        judgement: false,
        ..ExportOptions::default()
    };
    let headers = &schema().tables(&only_review)[0].headers;
    assert_eq!(
        headers[headers.len() - 2..],
        strings(&["ReviewState", "Comments"])
    );
}

fn workbook(bytes: Vec<u8>) -> BTreeMap<String, Vec<Vec<Data>>> {
    let mut workbook: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).expect("a workbook");
    let names = workbook.sheet_names();
    names
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).expect("a sheet");
            let rows = range.rows().map(<[Data]>::to_vec).collect();
            (name, rows)
        })
        .collect()
}

/// A cell by its column's header.
fn cell<'a>(rows: &'a [Vec<Data>], row: usize, header: &str) -> &'a Data {
    let column = rows[0]
        .iter()
        .position(|cell| *cell == Data::String(header.to_owned()))
        .unwrap_or_else(|| panic!("no column {header}"));
    rows[row].get(column).unwrap_or(&Data::Empty)
}

fn datetime(data: &Data) -> (u16, u8, u8, u8, u8, u8, u16) {
    match data {
        Data::DateTime(moment) => moment.to_ymd_hms_milli(),
        other => panic!("not a date-time cell: {other:?}"),
    }
}

#[test]
fn xlsx_has_a_sheet_per_table_with_typed_cells() {
    let fixture = Fixture::new();
    let sheets = workbook(export(
        Format::Xlsx,
        ExportOptions::default(),
        &fixture.submissions(),
    ));
    assert_eq!(
        sheets.keys().collect::<Vec<_>>(),
        ["census", "household", "phone", "trip"]
    );
    let main = &sheets["census"];
    let header: Vec<Data> = main_headers(&QUESTIONS)
        .into_iter()
        .map(Data::String)
        .collect();
    assert_eq!(main[0], header);
    assert_eq!(main.len(), 4, "a header and three submissions");

    // Numbers, dates, date-times and booleans are typed cells.
    assert_eq!(
        datetime(cell(main, 1, "SubmissionDate")),
        (2026, 3, 1, 9, 30, 0, 0)
    );
    assert_eq!(*cell(main, 1, "personal-age"), Data::Float(34.0));
    assert_eq!(*cell(main, 1, "income"), Data::Float(1250.5));
    assert_eq!(datetime(cell(main, 1, "born")), (1990, 6, 15, 0, 0, 0, 0));
    // The wall-clock time the answer shows, its offset ignored.
    assert_eq!(
        datetime(cell(main, 1, "visited")),
        (2026, 3, 1, 9, 30, 0, 0)
    );
    assert_eq!(*cell(main, 1, "Complete"), Data::Bool(false));
    assert_eq!(*cell(main, 2, "Complete"), Data::Bool(true));
    assert_eq!(
        *cell(main, 1, "personal-full_name"),
        Data::String("Tšepo Mokhothu".to_owned())
    );
    assert_eq!(*cell(main, 1, "KEY"), Data::String("s1".to_owned()));
    assert_eq!(
        *cell(main, 1, "Issues"),
        Data::String("age is required\nemail is invalid".to_owned())
    );
    assert_eq!(
        *cell(main, 1, "languages"),
        Data::String("st en".to_owned())
    );

    // What does not parse is kept as text, never lost; unanswered cells are empty.
    assert_eq!(
        *cell(main, 2, "income"),
        Data::String("about 300".to_owned())
    );
    assert_eq!(
        *cell(main, 2, "born"),
        Data::String("last spring".to_owned())
    );
    assert_eq!(*cell(main, 2, "personal-age"), Data::Empty);
    assert_eq!(*cell(main, 2, "nickname"), Data::String("JJ".to_owned()));
    assert_eq!(*cell(main, 3, "consent"), Data::Empty);

    let household = &sheets["household"];
    assert_eq!(household.len(), 3);
    assert_eq!(
        *cell(household, 1, "member"),
        Data::String(MEMBER.to_owned())
    );
    assert_eq!(*cell(household, 1, "member_age"), Data::Float(12.0));
    assert_eq!(
        *cell(household, 2, "KEY"),
        Data::String("s1/household[2]".to_owned())
    );
    let phone = &sheets["phone"];
    assert_eq!(
        *cell(phone, 2, "PARENT_KEY"),
        Data::String("s1/household[1]".to_owned())
    );
    assert_eq!(
        *cell(phone, 2, "number"),
        Data::String("+27 82 000 0000".to_owned())
    );
    assert_eq!(
        *cell(&sheets["trip"], 1, "KEY"),
        Data::String("s2/trip[1]".to_owned())
    );
}

#[test]
fn xlsx_split_columns_are_numbers() {
    let fixture = Fixture::new();
    let options = ExportOptions {
        split_select_multiple: true,
        ..ExportOptions::default()
    };
    let sheets = workbook(export(Format::Xlsx, options, &fixture.submissions()));
    let main = &sheets["census"];
    assert_eq!(*cell(main, 1, "languages/st"), Data::Float(1.0));
    assert_eq!(*cell(main, 1, "languages/fr"), Data::Float(0.0));
    assert_eq!(*cell(main, 3, "languages/fr"), Data::Empty);
}

#[test]
fn a_value_longer_than_an_excel_cell_is_an_error_not_a_truncation() {
    let long = "ā".repeat(32_768);
    let answers = Answers::new().with("full_name", long.as_str());
    let fixture = Fixture::new();
    let mut submission = fixture.submissions()[2];
    submission.answers = &answers;

    let mut exporter = Exporter::new(
        Format::Xlsx,
        &schema(),
        ExportOptions::default(),
        Cursor::new(Vec::new()),
    )
    .expect("an exporter");
    let error = exporter.push(&submission).expect_err("too long for a cell");
    match &error {
        ExportError::CellTooLong {
            sheet,
            column,
            key,
            length,
        } => {
            assert_eq!(
                (sheet.as_str(), column.as_str(), key.as_str(), *length),
                ("census", "personal-full_name", "s3", 32_768)
            );
        }
        other => panic!("not CellTooLong: {other:?}"),
    }
    assert!(error.to_string().contains("CSV or JSON lines"), "{error}");

    // A cell just at the limit fits, and CSV keeps any length whole.
    let fits = Answers::new().with("full_name", "ā".repeat(32_767));
    submission.answers = &fits;
    let sheets = workbook(export(
        Format::Xlsx,
        ExportOptions::default(),
        &[submission],
    ));
    assert_eq!(
        *cell(&sheets["census"], 1, "personal-full_name"),
        Data::String("ā".repeat(32_767))
    );
    submission.answers = &answers;
    let files = csv_files(&export(
        Format::Csv,
        ExportOptions::default(),
        &[submission],
    ));
    assert_eq!(
        by_header(&files["census.csv"])[0]["personal-full_name"],
        long
    );
}

fn json_lines(bytes: Vec<u8>) -> Vec<Value> {
    let text = String::from_utf8(bytes).expect("UTF-8");
    assert!(text.ends_with('\n'));
    text.lines()
        .map(|line| serde_json::from_str(line).expect("a JSON object per line"))
        .collect()
}

#[test]
fn json_lines_nest_repeats_and_type_numbers() {
    let fixture = Fixture::new();
    let lines = json_lines(export(
        Format::JsonLines,
        ExportOptions::default(),
        &fixture.submissions(),
    ));
    assert_eq!(lines.len(), 3);
    assert_eq!(
        lines[0],
        json!({
            "SubmissionDate": "2026-03-01T09:30:00.000Z",
            "KEY": "s1",
            "FormVersion": "2",
            "Association": "Basotho in Gauteng",
            "DeviceID": "phone-1",
            "InstanceName": "Tšepo",
            "ReviewState": "has_issues",
            "Comments": [
                {"author": "Mpho", "at": "2026-03-01T09:31:00.000Z", "text": "Check the age, please"},
                {"author": "Lineo", "at": "2026-03-01T09:32:00.000Z", "text": "Fixed"},
            ],
            "Complete": false,
            "Issues": ["age is required", "email is invalid"],
            "answers": {
                "consent": "yes",
                "personal-full_name": "Tšepo Mokhothu",
                "personal-email": "tsepo@example.org",
                "personal-age": 34,
                "income": 1250.5,
                "languages": ["st", "en"],
                "born": "1990-06-15",
                "visited": "2026-03-01T09:30:00.000+02:00",
                "household": [
                    {
                        "member": MEMBER,
                        "member_age": 12,
                        "phone": [{"number": "+266 5000 0000"}, {"number": "+27 82 000 0000"}],
                    },
                    {"member": "Palesa"},
                ],
            },
        })
    );
    // Unanswered questions and empty repeats are left out; what is not a number stays text.
    assert_eq!(
        lines[1]["answers"],
        json!({
            "consent": "maybe",
            "personal-full_name": "Jane, \"JJ\" Doe",
            "nickname": "JJ",
            "income": "about 300",
            "languages": ["fr", "xx"],
            "born": "last spring",
            "trip": [{"place": "Maseru"}],
        })
    );
    assert_eq!(lines[1]["Association"], Value::Null);
    assert_eq!(lines[2]["answers"], json!({}));
}

#[test]
fn json_lines_keep_the_schema_order_of_keys() {
    let fixture = Fixture::new();
    let bytes = export(
        Format::JsonLines,
        ExportOptions::default(),
        &fixture.submissions()[..1],
    );
    let text = String::from_utf8(bytes).expect("UTF-8");
    let positions: Vec<usize> = [
        "\"consent\"",
        "\"personal-full_name\"",
        "\"income\"",
        "\"languages\"",
    ]
    .iter()
    .map(|key| text.find(key).expect("the key is there"))
    .collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "{text}");
}

#[test]
fn json_lines_follow_the_options_but_never_split() {
    let fixture = Fixture::new();
    let options = ExportOptions {
        group_names: false,
        split_select_multiple: true,
        choice_labels: Some("st".to_owned()),
        review: false,
        judgement: false,
    };
    let lines = json_lines(export(Format::JsonLines, options, &fixture.submissions()));
    let first = lines[0].as_object().expect("an object");
    let keys: Vec<&str> = first.keys().map(String::as_str).collect();
    assert_eq!(
        keys.iter()
            .copied()
            .collect::<std::collections::BTreeSet<_>>(),
        [
            "SubmissionDate",
            "KEY",
            "FormVersion",
            "Association",
            "DeviceID",
            "InstanceName",
            "answers"
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(lines[0]["answers"]["full_name"], "Tšepo Mokhothu");
    assert_eq!(lines[0]["answers"]["consent"], "E");
    assert_eq!(
        lines[0]["answers"]["languages"],
        json!(["Sesotho", "Senyesemane"])
    );
    assert_eq!(lines[1]["answers"]["languages"], json!(["French", "xx"]));
    assert!(lines[0]["answers"].get("languages/st").is_none());
}

#[test]
fn formats_have_names_extensions_and_mime_types() {
    for format in Format::ALL {
        assert_eq!(format.as_str().parse::<Format>().ok(), Some(format));
    }
    assert_eq!("XLSX".parse::<Format>().ok(), Some(Format::Xlsx));
    assert!(matches!(
        "pdf".parse::<Format>(),
        Err(ExportError::UnknownFormat(_))
    ));
    assert_eq!(Format::Csv.extension(), "csv.zip");
    assert_eq!(Format::Csv.mime_type(), "application/zip");
    assert_eq!(Format::JsonLines.extension(), "jsonl");
}

/// A submission with two household members, one of whom has a phone.
fn generated(number: usize) -> Answers {
    Answers::new()
        .with("consent", "yes")
        .with("full_name", format!("Person {number}"))
        .with("age", (number % 90).to_string())
        .with("languages", ["st", "en"])
        .with("visited", "2026-03-01T09:30:00.000+02:00")
        .with(
            "household",
            vec![
                Answers::new()
                    .with("member", "A")
                    .with("phone", vec![Answers::new().with("number", "1")]),
                Answers::new().with("member", "B"),
            ],
        )
}

/// `count` generated submissions: answers and ids.
fn generated_all(count: usize) -> (Vec<Answers>, Vec<String>) {
    (
        (0..count).map(generated).collect(),
        (0..count).map(|number| format!("uuid:{number}")).collect(),
    )
}

fn submissions_of<'a>(answers: &'a [Answers], ids: &'a [String]) -> Vec<Submission<'a>> {
    answers
        .iter()
        .zip(ids)
        .map(|(answers, id)| Submission {
            id,
            form_version: "2",
            created_at: MARCH_1,
            association: None,
            device: "phone-1",
            instance_name: None,
            review_status: "received",
            comments: &[],
            complete: true,
            issues: &[],
            answers,
        })
        .collect()
}

#[test]
fn twenty_thousand_submissions_make_as_many_rows_in_csv_and_json_lines() {
    const COUNT: usize = 20_000;
    let (answers, ids) = generated_all(COUNT);
    let submissions = submissions_of(&answers, &ids);

    let files = csv_files(&export(Format::Csv, ExportOptions::default(), &submissions));
    assert_eq!(files["census.csv"].len(), COUNT + 1);
    assert_eq!(files["census-household.csv"].len(), 2 * COUNT + 1);
    assert_eq!(files["census-phone.csv"].len(), COUNT + 1);
    assert_eq!(files["census-trip.csv"].len(), 1);
    let last = by_header(&files["census-phone.csv"]).pop().expect("rows");
    assert_eq!(last["KEY"], "uuid:19999/household[1]/phone[1]");
    assert_eq!(last["PARENT_KEY"], "uuid:19999/household[1]");

    let lines = json_lines(export(
        Format::JsonLines,
        ExportOptions::default(),
        &submissions,
    ));
    assert_eq!(lines.len(), COUNT);
    assert_eq!(lines[COUNT - 1]["KEY"], "uuid:19999");
    assert_eq!(lines[COUNT - 1]["answers"]["personal-age"], 19_999 % 90);
}

/// Fewer than for CSV: unoptimised, rust_xlsxwriter and calamine take about a second per
/// thousand submissions here.
#[test]
fn two_thousand_submissions_make_as_many_rows_in_xlsx() {
    const COUNT: usize = 2_000;
    let (answers, ids) = generated_all(COUNT);
    let submissions = submissions_of(&answers, &ids);
    let sheets = workbook(export(Format::Xlsx, ExportOptions::default(), &submissions));
    assert_eq!(sheets["census"].len(), COUNT + 1);
    assert_eq!(sheets["household"].len(), 2 * COUNT + 1);
    assert_eq!(sheets["phone"].len(), COUNT + 1);
    assert_eq!(sheets["trip"].len(), 1);
    assert_eq!(
        *cell(&sheets["phone"], COUNT, "KEY"),
        Data::String("uuid:1999/household[1]/phone[1]".to_owned())
    );
}
