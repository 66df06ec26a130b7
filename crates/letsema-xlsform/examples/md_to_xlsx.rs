//! Converts an XLSForm written as markdown tables into an Excel workbook:
//! `cargo run -p letsema-xlsform --example md_to_xlsx -- IN.md OUT.xlsx`.
//!
//! It reads the layout pyxform's tests use: a `| sheet |` line starts a sheet, and the rows
//! after it (`| | type | name |`) are that sheet's rows, written from cell A1. Lines that do
//! not start with `|` are prose and are skipped. Every cell is written as text, which is how
//! the importer reads a markdown cell, so both files give the same form.

use std::process::ExitCode;

use letsema_xlsform::markdown_table_cells;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Workbook, XlsxError};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        eprintln!("usage: md_to_xlsx IN.md OUT.xlsx");
        return ExitCode::FAILURE;
    };
    let text = match std::fs::read_to_string(input) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("cannot read {input}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match convert(&text).and_then(|mut workbook| workbook.save(output)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("cannot write {output}: {error}");
            ExitCode::FAILURE
        }
    }
}

fn convert(text: &str) -> Result<Workbook, XlsxError> {
    let mut sheets: Vec<(String, Vec<Vec<String>>)> = Vec::new();
    for cells in text.lines().filter_map(markdown_table_cells) {
        let Some((first, rest)) = cells.split_first() else {
            continue;
        };
        if !first.is_empty() {
            sheets.push((first.clone(), Vec::new()));
        }
        if let Some((_, rows)) = sheets.last_mut()
            && rest.iter().any(|cell| !cell.is_empty())
        {
            rows.push(rest.to_vec());
        }
    }
    let mut workbook = Workbook::new();
    // A fixed date keeps the generated file the same from one run to the next.
    let created = ExcelDateTime::from_ymd(2026, 1, 1)?;
    workbook.set_properties(&DocProperties::new().set_creation_datetime(&created));
    for (name, rows) in sheets {
        let sheet = workbook.add_worksheet();
        sheet.set_name(name)?;
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                if !cell.is_empty() {
                    let r = u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)?;
                    let c = u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError)?;
                    sheet.write_string(r, c, cell)?;
                }
            }
        }
    }
    Ok(workbook)
}
