//! The two text layouts pyxform reads: CSV and markdown tables.
//!
//! Both put the sheet name in the first column of a row of its own (`survey,,,` or
//! `| survey |`) and the sheet's rows below it with that first column empty.

use super::{Row, Sheet, Workbook};

pub(super) fn read_csv(bytes: &[u8]) -> Result<Workbook, String> {
    // The first column holds the sheet names, so data starts in column B.
    Ok(split_sheets(csv_lines(bytes)?, Some(1)))
}

/// A plain CSV table (not pyxform's layout): one sheet, `table`, every non-blank line a row.
pub(super) fn read_csv_table(bytes: &[u8]) -> Result<Workbook, String> {
    let rows = csv_lines(bytes)?
        .into_iter()
        .map(|(number, cells)| Row { number, cells })
        .filter(|row| !row.is_blank())
        .collect();
    Ok(Workbook {
        sheets: vec![Sheet {
            name: "table".to_owned(),
            rows,
            first_column: Some(0),
        }],
    })
}

/// Every line of a CSV file, with its line number, as trimmed cells.
fn csv_lines(bytes: &[u8]) -> Result<Vec<(usize, Vec<String>)>, String> {
    let text = utf8(bytes, "CSV")?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| {
            format!(
                "the CSV could not be read: {error}. Check that every quote that opens a cell \
                 also closes it"
            )
        })?;
        let number = record
            .position()
            .map_or(0, |position| position.line() as usize);
        lines.push((
            number,
            record.iter().map(|cell| cell.trim().to_owned()).collect(),
        ));
    }
    Ok(lines)
}

pub(super) fn read_markdown(bytes: &[u8]) -> Result<Workbook, String> {
    let text = utf8(bytes, "markdown")?;
    let lines = text
        .lines()
        .enumerate()
        .filter_map(|(index, line)| Some((index + 1, table_cells(line)?)))
        .collect();
    Ok(split_sheets(lines, None))
}

fn utf8<'a>(bytes: &'a [u8], what: &str) -> Result<&'a str, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|error| {
        format!(
            "the {what} file is not valid UTF-8 text (at byte {}): save it again as UTF-8",
            error.valid_up_to()
        )
    })
}

/// The cells of a markdown table line, or `None` for a line that is not a table row or is
/// the `|---|---|` line under a header.
pub fn table_cells(line: &str) -> Option<Vec<String>> {
    let inner = line.trim().strip_prefix('|')?;
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut cell = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            // `\|` is a pipe inside a cell, as in a regular expression with alternatives.
            '\\' if chars.peek() == Some(&'|') => {
                cell.push('|');
                chars.next();
            }
            '|' => cells.push(std::mem::take(&mut cell).trim().to_owned()),
            c => cell.push(c),
        }
    }
    cells.push(cell.trim().to_owned());
    let separator = cells.iter().all(|cell| {
        !cell.is_empty() && cell.chars().all(|c| matches!(c, '-' | ':')) || cell.is_empty()
    }) && cells.iter().any(|cell| cell.contains('-'));
    (!separator).then_some(cells)
}

/// Splits lines whose first cell names a sheet from the lines of that sheet.
fn split_sheets(lines: Vec<(usize, Vec<String>)>, first_column: Option<usize>) -> Workbook {
    let mut sheets: Vec<Sheet> = Vec::new();
    for (number, cells) in lines {
        let mut cells = cells.into_iter();
        let first = cells.next().unwrap_or_default();
        if !first.is_empty() {
            sheets.push(Sheet {
                name: first,
                rows: Vec::new(),
                first_column,
            });
        }
        let row = Row {
            number,
            cells: cells.collect(),
        };
        if let Some(sheet) = sheets.last_mut()
            && !row.is_blank()
        {
            sheet.rows.push(row);
        }
    }
    Workbook { sheets }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_cells_are_trimmed_and_escaped_pipes_kept() {
        assert_eq!(
            table_cells("| | type | name \\| x |"),
            Some(vec!["".into(), "type".into(), "name | x".into()])
        );
        assert_eq!(table_cells("|---|:---:|"), None);
        assert_eq!(table_cells("not a table"), None);
        assert_eq!(table_cells("| SETTINGS | "), Some(vec!["SETTINGS".into()]));
    }

    #[test]
    fn sheets_split_on_their_name_rows() {
        let book = read_markdown(
            b"| survey |\n| | type | name |\n|---|---|---|\n| | text | a |\n\n| choices |\n",
        )
        .expect("readable");
        assert_eq!(book.sheets.len(), 2);
        assert_eq!(book.sheets[0].rows.len(), 2);
        assert_eq!(book.sheets[0].rows[1].number, 4);
        assert_eq!(book.sheets[0].rows[1].cells, ["text", "a"]);
    }
}
