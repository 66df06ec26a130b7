//! `.xlsx` and `.xls` through calamine, from memory.

use std::io::Cursor;

use calamine::{Cell, Data, DataRef, Range, Reader, Xls, Xlsx, XlsxError};

use super::{Row, Sheet, Workbook};
use crate::SourceFormat;

/// The most cells one sheet may span (from its first to its last row and column). calamine
/// turns every sheet into a dense grid of that size: the fuzzer found a 43 KB `.xls` whose
/// few cells, far apart, made it allocate 2.2 GB, and an `.xlsx` may name cells up to
/// XFD1048576 (550 GB: the allocation would abort the process). A form's sheets span a few
/// hundred thousand cells at most; 4 million take 128 MB.
const MAX_CELLS: u64 = 4_000_000;

/// The rows and columns a sheet's cells span so far.
#[derive(Debug, Default)]
struct Extent(Option<(u32, u32, u32, u32)>);

impl Extent {
    /// Takes in cells at `row` from `first_col` to `last_col`; refuses a sheet spanning
    /// more than [`MAX_CELLS`].
    fn add(&mut self, row: u32, first_col: u32, last_col: u32) -> Result<(), String> {
        let (top, bottom, left, right) = self.0.unwrap_or((row, row, first_col, last_col));
        let grown = (
            top.min(row),
            bottom.max(row),
            left.min(first_col),
            right.max(last_col),
        );
        let cells = (u64::from(grown.1 - grown.0) + 1) * (u64::from(grown.3 - grown.2) + 1);
        if cells > MAX_CELLS {
            return Err(format!(
                "a sheet spans {cells} cells, more than the {MAX_CELLS} a form may use"
            ));
        }
        self.0 = Some(grown);
        Ok(())
    }
}

/// Reads an `.xlsx`'s worksheets as calamine's `worksheets` does (non-empty cells, a chart
/// sheet as an empty one), in one pass over each sheet's cells, refusing a sheet that spans
/// more than [`MAX_CELLS`] before its grid is built.
fn xlsx_sheets(bytes: &[u8]) -> Result<Vec<(String, Range<Data>)>, String> {
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|error| error.to_string())?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let mut reader = match book.worksheet_cells_reader(&name) {
            Ok(reader) => reader,
            Err(XlsxError::NotAWorksheet(_)) => {
                sheets.push((name, Range::default()));
                continue;
            }
            // calamine's `worksheets` leaves out a sheet it cannot open.
            Err(_) => continue,
        };
        let mut extent = Extent::default();
        let mut cells = Vec::new();
        while let Some(cell) = reader.next_cell().map_err(|error| error.to_string())? {
            let (row, col) = cell.get_position();
            extent.add(row, col, col)?;
            if !matches!(cell.get_value(), DataRef::Empty) {
                cells.push(Cell::new((row, col), Data::from(cell.get_value().clone())));
            }
        }
        sheets.push((name, Range::from_sparse(cells)));
    }
    Ok(sheets)
}

pub(super) fn read(bytes: &[u8], format: SourceFormat) -> Result<Workbook, String> {
    let mut rewritten = None;
    if format == SourceFormat::Xls {
        rewritten = xls_within_bounds(bytes).map_err(|reason| {
            format!(
                "the file could not be read as {}: {reason}. Save it again from your \
                 spreadsheet program as an Excel workbook (.xlsx)",
                format.describe()
            )
        })?;
    }
    let bytes = rewritten.as_deref().unwrap_or(bytes);
    // calamine panics on some damaged workbooks (fuzzing found an .xls header whose sector
    // chain runs past the end of the file): such a file is one that cannot be read, not a
    // reason for the server to fail. Nothing calamine built survives the panic.
    let read = std::panic::catch_unwind(|| match format {
        SourceFormat::Xls => Xls::new(Cursor::new(bytes))
            .map(|mut book| book.worksheets())
            .map_err(|error| error.to_string()),
        _ => xlsx_sheets(bytes),
    });
    let sheets = read.unwrap_or_else(|_| Err("it is damaged".to_owned()));
    let sheets = sheets.map_err(|error| {
        format!(
            "the file could not be read as {}: {error}. Save it again from your spreadsheet \
             program as an Excel workbook (.xlsx), or export each sheet as described for CSV",
            format.describe()
        )
    })?;
    Ok(Workbook {
        sheets: sheets
            .into_iter()
            .map(|(name, range)| sheet(name, &range))
            .collect(),
    })
}

fn sheet(name: String, range: &Range<Data>) -> Sheet {
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let rows = range
        .rows()
        .enumerate()
        .map(|(index, cells)| Row {
            number: (first_row as usize).saturating_add(index).saturating_add(1),
            cells: cells.iter().map(cell_text).collect(),
        })
        .filter(|row| !row.is_blank())
        .collect();
    Sheet {
        name,
        rows,
        first_column: Some(first_column as usize),
    }
}

/// A cell as text, the way pyxform turns cells into text: whole numbers without a decimal
/// point, booleans in capitals, dates as `YYYY-MM-DD HH:MM:SS` and times as `HH:MM:SS`.
fn cell_text(cell: &Data) -> String {
    let text = match cell {
        Data::Empty => String::new(),
        Data::String(text) => text.clone(),
        Data::Int(n) => n.to_string(),
        Data::Float(x) => number_text(*x),
        Data::Bool(true) => "TRUE".to_owned(),
        Data::Bool(false) => "FALSE".to_owned(),
        Data::DateTime(datetime) => {
            if datetime.is_duration() {
                number_text(datetime.as_f64())
            } else {
                let value = datetime.as_f64();
                let (year, month, day, hour, minute, second, _) = datetime.to_ymd_hms_milli();
                if (0.0..1.0).contains(&value) {
                    format!("{hour:02}:{minute:02}:{second:02}")
                } else {
                    format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}")
                }
            }
        }
        Data::DateTimeIso(text) | Data::DurationIso(text) => text.clone(),
        Data::Error(error) => error.to_string(),
    };
    text.trim().to_owned()
}

fn number_text(x: f64) -> String {
    if x.is_finite() && x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        x.to_string()
    }
}

/// Checks, before calamine reads an `.xls`, that none of its sheets spans more than
/// [`MAX_CELLS`]: the workbook stream's records are walked as calamine walks them
/// (a record's `CONTINUE` records joined to it), and the row and column of every record
/// calamine makes a cell of are bounded per sheet.
///
/// A sheet may *declare* more (its Dimensions record, for which calamine reserves room):
/// spreadsheet programs declare formatted but empty rows and columns, and pyxform reads such
/// files. Then the workbook is given back rewritten, each oversized Dimensions record made
/// to declare one cell, so that calamine reserves nothing much and reads the cells there are.
fn xls_within_bounds(bytes: &[u8]) -> Result<Option<Vec<u8>>, String> {
    use std::io::Read;

    let damaged = |what: &str| format!("it is damaged ({what})");
    let mut container =
        cfb::CompoundFile::open(Cursor::new(bytes)).map_err(|_| damaged("not a compound file"))?;
    let name = ["/Workbook", "/Book"]
        .into_iter()
        .find(|name| container.is_stream(name))
        .ok_or_else(|| damaged("no workbook stream"))?;
    let mut stream = Vec::new();
    container
        .open_stream(name)
        .and_then(|mut workbook| {
            workbook
                .by_ref()
                .take(bytes.len() as u64)
                .read_to_end(&mut stream)
        })
        .map_err(|_| damaged("an unreadable workbook stream"))?;
    let mut extent = Extent::default();
    let mut oversized = Vec::new();
    let mut pos = 0;
    while let Some((typ, data, next)) = record(&stream, pos) {
        let start = pos;
        pos = next;
        let u16_at = |at: usize| {
            data.get(at..at + 2)
                .map(|b| u32::from(u16::from_le_bytes([b[0], b[1]])))
        };
        let cell = match typ {
            // A new substream (a sheet): its own extent.
            0x0809 => {
                extent = Extent::default();
                None
            }
            // Dimensions: calamine reserves room for that many cells before reading any.
            0x0200 => {
                if declared_cells(&data) > MAX_CELLS {
                    oversized.push(start);
                }
                None
            }
            // Number, Label, RString, BoolErr, Rk, LabelSst and Formula (whose String record
            // fills the formula's own cell): a row and a column first.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                u16_at(0).zip(u16_at(2)).map(|(row, col)| (row, col, col))
            }
            // MulRk: a row, the first column, ..., the last column.
            0x00BD => u16_at(0)
                .zip(u16_at(2))
                .zip(data.len().checked_sub(2).and_then(u16_at))
                .map(|((row, first), last)| (row, first.min(last), first.max(last))),
            _ => None,
        };
        if let Some((row, first_col, last_col)) = cell {
            extent.add(row, first_col, last_col)?;
        }
    }
    if oversized.is_empty() {
        return Ok(None);
    }
    for start in oversized {
        shrink_dimensions(&mut stream, start);
    }
    rebuild_xls(name, &stream)
        .map(Some)
        .map_err(|_| damaged("a workbook that cannot be rewritten"))
}

/// Makes the Dimensions record at `start` declare the single cell A1 (BIFF8 rows are 32
/// bits, BIFF5's 16; the last row and column are one past the end).
fn shrink_dimensions(stream: &mut [u8], start: usize) {
    let Some(len) = stream
        .get(start + 2..start + 4)
        .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
    else {
        return;
    };
    let Some(data) = stream.get_mut(start + 4..start + 4 + len) else {
        return;
    };
    match len {
        10 => data[..8].copy_from_slice(&[0, 0, 1, 0, 0, 0, 1, 0]),
        14 | 16 => data[..12].copy_from_slice(&[0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0]),
        _ => {}
    }
}

/// A compound file holding only the workbook stream `name`: all calamine reads of an `.xls`
/// whose cells are wanted.
fn rebuild_xls(name: &str, stream: &[u8]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;

    // Version 3 (512-byte sectors), as Excel writes `.xls` files and calamine expects.
    let mut container =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, Cursor::new(Vec::new()))?;
    container.create_stream(name)?.write_all(stream)?;
    container.flush()?;
    Ok(container.into_inner().into_inner())
}

/// How many cells a Dimensions record makes calamine reserve room for, computed as it does
/// (`parse_dimensions` in calamine 0.38's `xls.rs`, with its wrapping arithmetic).
fn declared_cells(data: &[u8]) -> u64 {
    let u16_at = |at: usize| u32::from(u16::from_le_bytes([data[at], data[at + 1]]));
    let u32_at =
        |at: usize| u32::from_le_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    let (first_row, last_row, mut first_col, last_col) = match data.len() {
        10 => (u16_at(0), u16_at(2), u16_at(4), u16_at(6)),
        14 | 16 => (u32_at(0), u32_at(4), u16_at(8), u16_at(10)),
        // calamine refuses the record: it reserves nothing.
        _ => return 0,
    };
    if 0xFF < first_col || last_col < first_col {
        first_col = 0;
    }
    let (end_row, end_col) = if 1 <= last_row && 1 <= last_col {
        (last_row - 1, last_col - 1)
    } else {
        (first_row, first_col)
    };
    let rows = u64::from(end_row.wrapping_sub(first_row).wrapping_add(1));
    let cols = u64::from(end_col.wrapping_sub(first_col).wrapping_add(1));
    rows.saturating_mul(cols)
}

/// The record at `pos` of a BIFF stream, with the `CONTINUE` records after it joined to
/// its data (as calamine reads it): its type, its data and where the next record starts.
fn record(stream: &[u8], pos: usize) -> Option<(u16, Vec<u8>, usize)> {
    let header = |at: usize| {
        let h = stream.get(at..at + 4)?;
        Some((
            u16::from_le_bytes([h[0], h[1]]),
            usize::from(u16::from_le_bytes([h[2], h[3]])),
        ))
    };
    let (typ, len) = header(pos)?;
    let mut data = stream.get(pos + 4..pos + 4 + len)?.to_vec();
    let mut next = pos + 4 + len;
    while let Some((0x003C, len)) = header(next) {
        data.extend_from_slice(stream.get(next + 4..next + 4 + len)?);
        next += 4 + len;
    }
    Some((typ, data, next))
}

#[cfg(test)]
mod tests {
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    use super::*;

    #[test]
    fn cells_read_as_pyxform_reads_them() {
        assert_eq!(cell_text(&Data::Float(2.0)), "2");
        assert_eq!(cell_text(&Data::Float(18.31)), "18.31");
        assert_eq!(cell_text(&Data::Int(8)), "8");
        assert_eq!(cell_text(&Data::Bool(false)), "FALSE");
        assert_eq!(cell_text(&Data::String("  padded ".into())), "padded");
        let date = ExcelDateTime::new(39793.0, ExcelDateTimeType::DateTime, true);
        assert_eq!(cell_text(&Data::DateTime(date)), "2012-12-12 00:00:00");
        let time = ExcelDateTime::new(0.395833333333, ExcelDateTimeType::DateTime, false);
        assert_eq!(cell_text(&Data::DateTime(time)), "09:30:00");
    }
}
