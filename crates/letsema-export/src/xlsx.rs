//! XLSX: one constant-memory worksheet per table, written row by row (each worksheet
//! streams to a temporary file), saved when the export finishes.

use std::io::{Seek, Write};

use chrono::{Datelike, NaiveDateTime, NaiveTime, Timelike};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use crate::ExportError;
use crate::rows::{Cell, RowSink, parse_date, parse_datetime, parse_number};

/// The rows a worksheet holds, the header's included.
pub(crate) const MAX_ROWS: u32 = 1_048_576;
/// The columns a worksheet holds.
const MAX_COLUMNS: usize = 16_384;
/// The characters (UTF-16 code units) a cell holds.
pub(crate) const MAX_CELL_CHARS: usize = 32_767;
/// The characters (UTF-16 code units) of a sheet's name.
const MAX_SHEET_NAME: usize = 31;

pub(crate) struct XlsxSink<W> {
    out: W,
    workbook: Workbook,
    sheets: Vec<Sheet>,
    date: Format,
    datetime: Format,
    /// [`MAX_ROWS`], lower in tests.
    max_rows: u32,
}

struct Sheet {
    name: String,
    headers: Vec<String>,
    /// The next row to write: constant-memory worksheets take rows in increasing order only.
    next_row: u32,
}

impl<W: Write + Seek> XlsxSink<W> {
    /// A worksheet per table (named after the table, made valid and unique), its header row
    /// bold and frozen.
    pub(crate) fn new(
        out: W,
        tables: Vec<(String, Vec<String>)>,
    ) -> Result<XlsxSink<W>, ExportError> {
        let names = sheet_names(tables.iter().map(|(name, _)| name.as_str()));
        let mut workbook = Workbook::new();
        let bold = Format::new().set_bold();
        let mut sheets = Vec::with_capacity(tables.len());
        for ((_, headers), name) in tables.into_iter().zip(names) {
            if headers.len() > MAX_COLUMNS {
                return Err(ExportError::TooManyColumns {
                    sheet: name,
                    columns: headers.len(),
                });
            }
            let worksheet = workbook.add_worksheet_with_constant_memory()?;
            worksheet.set_name(&name)?;
            for (column, header) in (0u16..).zip(&headers) {
                worksheet.write_string_with_format(0, column, header, &bold)?;
            }
            worksheet.set_freeze_panes(1, 0)?;
            sheets.push(Sheet {
                name,
                headers,
                next_row: 1,
            });
        }
        Ok(XlsxSink {
            out,
            workbook,
            sheets,
            date: Format::new().set_num_format("yyyy-mm-dd"),
            datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm:ss"),
            max_rows: MAX_ROWS,
        })
    }

    /// Saves the workbook into the output, its worksheets copied from their temporary
    /// files.
    pub(crate) fn finish(mut self) -> Result<W, ExportError>
    where
        W: Send,
    {
        self.workbook.save_to_writer(&mut self.out)?;
        Ok(self.out)
    }

    #[cfg(test)]
    pub(crate) fn set_max_rows(&mut self, max_rows: u32) {
        self.max_rows = max_rows;
    }
}

impl<W> RowSink for XlsxSink<W> {
    fn write_row(
        &mut self,
        table: usize,
        cells: &[Cell<'_>],
        key: &str,
    ) -> Result<(), ExportError> {
        let Some(sheet) = self.sheets.get_mut(table) else {
            return Ok(());
        };
        let row = sheet.next_row;
        if row >= self.max_rows {
            return Err(ExportError::TooManyRows {
                sheet: sheet.name.clone(),
                rows: u64::from(self.max_rows) - 1,
            });
        }
        let worksheet = self.workbook.worksheet_from_index(table)?;
        for (column, cell) in (0u16..).zip(cells) {
            let too_long = |text: &str| ExportError::CellTooLong {
                sheet: sheet.name.clone(),
                column: sheet
                    .headers
                    .get(usize::from(column))
                    .cloned()
                    .unwrap_or_default(),
                key: key.to_owned(),
                length: text.encode_utf16().count(),
            };
            match cell {
                Cell::Empty => {}
                Cell::Text(text) => write_text(worksheet, row, column, text, too_long)?,
                Cell::Number(text) => match parse_number(text) {
                    Some(number) => {
                        worksheet.write_number(row, column, number)?;
                    }
                    None => write_text(worksheet, row, column, text, too_long)?,
                },
                Cell::Date(text) => {
                    let date =
                        parse_date(text).and_then(|d| excel_datetime(d.and_time(NaiveTime::MIN)));
                    write_moment(worksheet, row, column, date, &self.date, text, too_long)?;
                }
                Cell::DateTime(text) => {
                    let moment = parse_datetime(text).and_then(excel_datetime);
                    write_moment(
                        worksheet,
                        row,
                        column,
                        moment,
                        &self.datetime,
                        text,
                        too_long,
                    )?;
                }
                Cell::Flag(selected) => {
                    worksheet.write_number(row, column, if *selected { 1 } else { 0 })?;
                }
                Cell::Timestamp(millis) => {
                    let moment = chrono::DateTime::from_timestamp_millis(*millis)
                        .and_then(|moment| excel_datetime(moment.naive_utc()));
                    let text = millis.to_string();
                    write_moment(
                        worksheet,
                        row,
                        column,
                        moment,
                        &self.datetime,
                        &text,
                        too_long,
                    )?;
                }
                Cell::Bool(value) => {
                    worksheet.write_boolean(row, column, *value)?;
                }
            }
        }
        sheet.next_row += 1;
        Ok(())
    }
}

/// Writes text, refusing what a cell cannot hold rather than letting it be cut.
fn write_text(
    worksheet: &mut Worksheet,
    row: u32,
    column: u16,
    text: &str,
    too_long: impl FnOnce(&str) -> ExportError,
) -> Result<(), ExportError> {
    // UTF-8 never has fewer bytes than UTF-16 has code units: only long texts are counted.
    if text.len() > MAX_CELL_CHARS && text.encode_utf16().count() > MAX_CELL_CHARS {
        return Err(too_long(text));
    }
    worksheet.write_string(row, column, text)?;
    Ok(())
}

/// A date or time as a date cell in `format`, or `text` where it did not parse (or falls
/// outside Excel's years).
fn write_moment(
    worksheet: &mut Worksheet,
    row: u32,
    column: u16,
    moment: Option<ExcelDateTime>,
    format: &Format,
    text: &str,
    too_long: impl FnOnce(&str) -> ExportError,
) -> Result<(), ExportError> {
    match moment {
        Some(moment) => {
            worksheet.write_datetime_with_format(row, column, moment, format)?;
            Ok(())
        }
        None => write_text(worksheet, row, column, text, too_long),
    }
}

/// A wall-clock time as Excel holds it; `None` outside Excel's years (1900 to 9999).
fn excel_datetime(moment: NaiveDateTime) -> Option<ExcelDateTime> {
    let millis = (moment.nanosecond() / 1_000_000).min(999);
    ExcelDateTime::from_ymd(
        u16::try_from(moment.year()).ok()?,
        u8::try_from(moment.month()).ok()?,
        u8::try_from(moment.day()).ok()?,
    )
    .and_then(|date| {
        date.and_hms_milli(
            u16::try_from(moment.hour()).unwrap_or_default(),
            u8::try_from(moment.minute()).unwrap_or_default(),
            u8::try_from(moment.second()).unwrap_or_default(),
            u16::try_from(millis).unwrap_or_default(),
        )
    })
    .ok()
}

/// Sheet names Excel accepts, one per table, unique ignoring case: at most 31 characters,
/// none of `[]:*?/\`, no apostrophe at either end, not `History` (which Excel reserves).
pub(crate) fn sheet_names<'a>(tables: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for table in tables {
        let mut base: String = table
            .chars()
            .map(|c| {
                if matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        base = base.trim_matches('\'').to_owned();
        if base.is_empty() {
            base = "Sheet".to_owned();
        }
        if base.eq_ignore_ascii_case("history") {
            base.push('_');
        }
        let taken = |name: &str| {
            names
                .iter()
                .any(|other| other.to_lowercase() == name.to_lowercase())
        };
        let mut name = truncate(&base, MAX_SHEET_NAME);
        let mut number = 2;
        while taken(&name) {
            let suffix = format!("~{number}");
            name = truncate(&base, MAX_SHEET_NAME - suffix.len()) + &suffix;
            number += 1;
        }
        names.push(name);
    }
    names
}

/// The longest prefix of `text` of at most `units` UTF-16 code units, without a trailing
/// apostrophe.
fn truncate(text: &str, units: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        used += c.len_utf16();
        if used > units {
            break;
        }
        out.push(c);
    }
    out.trim_end_matches('\'').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_are_valid_and_unique_ignoring_case() {
        let long = "a_repeat_with_a_name_much_longer_than_excel_allows";
        let names = sheet_names(
            [
                "survey", "Survey", "what?[x]", long, long, "'quoted'", "history",
            ]
            .into_iter(),
        );
        assert_eq!(
            names,
            [
                "survey",
                "Survey~2",
                "what__x_",
                "a_repeat_with_a_name_much_longe",
                "a_repeat_with_a_name_much_lon~2",
                "quoted",
                "history_",
            ]
        );
        assert!(names.iter().all(|name| name.encode_utf16().count() <= 31));
    }

    #[test]
    fn a_sheet_full_to_excel_limit_is_an_error_not_a_truncation() {
        let tables = vec![("survey".to_owned(), vec!["KEY".to_owned()])];
        let mut sink = XlsxSink::new(std::io::Cursor::new(Vec::new()), tables).expect("a workbook");
        sink.set_max_rows(3);
        let row = [Cell::Text("k".into())];
        sink.write_row(0, &row, "a").expect("row 1");
        sink.write_row(0, &row, "b").expect("row 2");
        let error = sink.write_row(0, &row, "c").expect_err("no room for row 3");
        assert!(matches!(error, ExportError::TooManyRows { rows: 2, .. }));
        let message = error.to_string();
        assert!(message.contains("survey"), "{message}");
        assert!(message.contains("CSV or JSON lines"), "{message}");
    }
}
