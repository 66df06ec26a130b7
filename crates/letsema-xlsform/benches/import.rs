//! How long importing a large XLSForm takes: `cargo bench -p letsema-xlsform --bench import`.
//!
//! The form is generated: 1,000 questions, of which 300 have a `relevant`, 100 a
//! `constraint` and 100 are calculations, in groups of 50, with a repeat of 20 questions
//! (its 50 instances matter to the runtime, not to import). The target is under 200 ms per
//! import; pyxform-based tools take seconds on forms of this size.

use divan::{Bencher, black_box};
use letsema_xlsform::{SourceFormat, import};
use rust_xlsxwriter::Workbook;

fn main() {
    divan::main();
}

const QUESTIONS: usize = 1_000;

/// The survey and choices sheets, as rows of cells (header first).
fn sheets() -> Vec<(&'static str, Vec<Vec<String>>)> {
    let header = [
        "type",
        "name",
        "label",
        "relevant",
        "constraint",
        "constraint_message",
        "calculation",
        "required",
    ];
    let mut survey: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
    let row = |cells: [&str; 8]| {
        cells
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<String>>()
    };
    let mut relevant_left = 300;
    let mut constraint_left = 100;
    let mut calculation_left = 100;
    let mut asked = 0;
    let mut group = 0;
    let mut in_repeat = false;
    for i in 0..QUESTIONS {
        if i % 50 == 0 {
            if i > 0 {
                survey.push(row([
                    if in_repeat { "end repeat" } else { "end group" },
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]));
            }
            group += 1;
            in_repeat = i == 500;
            let name = format!("g{group}");
            let label = format!("Section {group}");
            survey.push(row([
                if in_repeat {
                    "begin repeat"
                } else {
                    "begin group"
                },
                &name,
                &label,
                "",
                "",
                "",
                "",
                "",
            ]));
        }
        let name = format!("q{i}");
        let label = format!("Question {i}");
        if calculation_left > 0 && i % 10 == 9 {
            calculation_left -= 1;
            let calculation = format!("${{q{}}} + ${{q{}}} * 2", i - 1, i - 2);
            survey.push(row(["calculate", &name, "", "", "", "", &calculation, ""]));
            continue;
        }
        asked += 1;
        let kind = match i % 3 {
            0 => "integer",
            1 => "text",
            _ => "select_one yes_no",
        };
        let relevant = if relevant_left > 0 && i > 0 && i % 3 != 2 {
            relevant_left -= 1;
            format!("${{q{}}} != '' and ${{q{}}} != 'no'", i - 1, i - 1)
        } else {
            String::new()
        };
        let (constraint, message) = if constraint_left > 0 && kind == "integer" {
            constraint_left -= 1;
            (
                ". >= 0 and . < 1000".to_owned(),
                "Between 0 and 999.".to_owned(),
            )
        } else {
            (String::new(), String::new())
        };
        survey.push(row([
            kind,
            &name,
            &label,
            &relevant,
            &constraint,
            &message,
            "",
            if asked % 4 == 0 { "yes" } else { "" },
        ]));
    }
    survey.push(row([
        if in_repeat { "end repeat" } else { "end group" },
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ]));
    let choices = vec![
        vec![
            "list_name".to_owned(),
            "name".to_owned(),
            "label".to_owned(),
        ],
        vec!["yes_no".to_owned(), "yes".to_owned(), "Yes".to_owned()],
        vec!["yes_no".to_owned(), "no".to_owned(), "No".to_owned()],
    ];
    let settings = vec![
        vec!["form_id".to_owned(), "form_title".to_owned()],
        vec!["large".to_owned(), "A large form".to_owned()],
    ];
    vec![
        ("survey", survey),
        ("choices", choices),
        ("settings", settings),
    ]
}

fn markdown() -> String {
    let mut text = String::new();
    for (name, rows) in sheets() {
        text.push_str(&format!("| {name} |\n"));
        for row in rows {
            text.push_str("| |");
            for cell in row {
                text.push_str(&format!(" {} |", cell.replace('|', "\\|")));
            }
            text.push('\n');
        }
    }
    text
}

fn xlsx() -> Vec<u8> {
    let mut workbook = Workbook::new();
    for (name, rows) in sheets() {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name).expect("sheet name");
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    let r = u32::try_from(r).expect("row");
                    let c = u16::try_from(c).expect("column");
                    sheet.write_string(r, c, cell).expect("cell");
                }
            }
        }
    }
    workbook.save_to_buffer().expect("workbook")
}

fn assert_imports(bytes: &[u8], format: SourceFormat) {
    let result = import(bytes, format);
    let errors: Vec<String> = result.errors().map(ToString::to_string).collect();
    assert!(
        errors.is_empty(),
        "the generated form must import: {errors:?}"
    );
    let form = result.form.expect("a form");
    assert_eq!(form.questions().count(), QUESTIONS);
}

#[divan::bench(sample_count = 20)]
fn import_xlsx(bencher: Bencher<'_, '_>) {
    let bytes = xlsx();
    assert_imports(&bytes, SourceFormat::Xlsx);
    bencher.bench(|| import(black_box(&bytes), SourceFormat::Xlsx));
}

#[divan::bench(sample_count = 20)]
fn import_markdown(bencher: Bencher<'_, '_>) {
    let text = markdown();
    assert_imports(text.as_bytes(), SourceFormat::Markdown);
    bencher.bench(|| import(black_box(text.as_bytes()), SourceFormat::Markdown));
}
