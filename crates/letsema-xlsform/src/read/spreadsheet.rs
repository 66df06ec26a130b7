//! `.xlsx` and `.xls` through calamine, from memory.

use std::io::Cursor;

use calamine::{Data, Range, Reader, Xls, Xlsx};

use super::{Row, Sheet, Workbook};
use crate::SourceFormat;

pub(super) fn read(bytes: &[u8], format: SourceFormat) -> Result<Workbook, String> {
    // calamine panics on some damaged workbooks (fuzzing found an .xls header whose sector
    // chain runs past the end of the file): such a file is one that cannot be read, not a
    // reason for the server to fail. Nothing calamine built survives the panic.
    let read = std::panic::catch_unwind(|| match format {
        SourceFormat::Xls => Xls::new(Cursor::new(bytes))
            .map(|mut book| book.worksheets())
            .map_err(|error| error.to_string()),
        _ => Xlsx::new(Cursor::new(bytes))
            .map(|mut book| book.worksheets())
            .map_err(|error| error.to_string()),
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
