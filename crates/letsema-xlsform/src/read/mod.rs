//! Reading a file into sheets of text cells, whatever its format.
//!
//! Every format ends up as the same [`Workbook`]: named sheets, each a list of non-blank
//! rows of trimmed text cells, each row knowing the number the author sees beside it. The
//! rest of the importer never knows which format it read.

mod spreadsheet;
mod text;

pub use text::table_cells;

use crate::SourceFormat;

/// A workbook as text.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Workbook {
    pub sheets: Vec<Sheet>,
}

/// One sheet: its name as written and its non-blank rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Row>,
    /// The spreadsheet column index of the first cell of each row, for column letters; `None`
    /// where letters mean nothing (markdown tables).
    pub first_column: Option<usize>,
}

/// One non-blank row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// The row number (or line number) the author sees, 1-based.
    pub number: usize,
    /// Trimmed cell texts, empty for an empty cell.
    pub cells: Vec<String>,
}

impl Row {
    /// Whether every cell is empty.
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(|cell| cell.is_empty())
    }

    /// The cell at `index`, empty beyond the row's end.
    pub fn cell(&self, index: usize) -> &str {
        self.cells.get(index).map_or("", String::as_str)
    }
}

impl Sheet {
    /// The letter of a column of this sheet, as a spreadsheet shows it.
    pub fn letter(&self, index: usize) -> Option<String> {
        self.first_column
            .map(|first| column_letter(first.saturating_add(index)))
    }
}

impl Workbook {
    /// The sheet with this name, ignoring case and surrounding spaces as pyxform does.
    pub fn sheet(&self, name: &str) -> Option<&Sheet> {
        self.sheets
            .iter()
            .find(|sheet| sheet.name.trim().eq_ignore_ascii_case(name))
    }
}

/// Reads bytes in a format; a file that cannot be read at all gives an error diagnostic.
pub(crate) fn read(bytes: &[u8], format: SourceFormat) -> Result<Workbook, String> {
    match format {
        SourceFormat::Xlsx | SourceFormat::Xls => spreadsheet::read(bytes, format),
        SourceFormat::Csv => text::read_csv(bytes),
        SourceFormat::Markdown => text::read_markdown(bytes),
    }
}

/// Reads a table that is not a form: a spreadsheet's sheets as [`read`] reads them, a CSV
/// file as one sheet of plain lines (not pyxform's layout of sheets in the first column).
pub(crate) fn read_table(bytes: &[u8], format: SourceFormat) -> Result<Workbook, String> {
    match format {
        SourceFormat::Csv => text::read_csv_table(bytes),
        _ => read(bytes, format),
    }
}

/// `A` for 0, `Z` for 25, `AA` for 26.
pub(crate) fn column_letter(index: usize) -> String {
    let mut n = index.saturating_add(1);
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::column_letter;

    #[test]
    fn column_letters_count_like_a_spreadsheet() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
