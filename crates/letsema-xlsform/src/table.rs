//! A sheet with its headers understood, and the bookkeeping of diagnostics.

use letsema_form::model::{Language, Text};

use crate::headers::{self, Header, Key, SheetKind};
use crate::read::{Row, Sheet};
use crate::{Column, Diagnostic, Severity};

/// Where something is: a sheet, a row, a column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Site {
    pub(crate) sheet: String,
    pub(crate) row: usize,
    pub(crate) column: Option<Column>,
}

/// The diagnostics found so far.
#[derive(Debug, Default)]
pub(crate) struct Diags(pub(crate) Vec<Diagnostic>);

impl Diags {
    pub(crate) fn error(&mut self, site: &Site, message: impl Into<String>) {
        self.push(Severity::Error, site, None, message.into());
    }

    pub(crate) fn warning(&mut self, site: &Site, message: impl Into<String>) {
        self.push(Severity::Warning, site, None, message.into());
    }

    pub(crate) fn push(
        &mut self,
        severity: Severity,
        site: &Site,
        character: Option<usize>,
        message: String,
    ) {
        self.0.push(Diagnostic {
            severity,
            sheet: Some(site.sheet.clone()),
            row: Some(site.row),
            column: site.column.clone(),
            character,
            message,
        });
    }

    pub(crate) fn sheet_error(&mut self, sheet: Option<&str>, message: impl Into<String>) {
        self.0.push(Diagnostic {
            severity: Severity::Error,
            sheet: sheet.map(str::to_owned),
            row: None,
            column: None,
            character: None,
            message: message.into(),
        });
    }

    pub(crate) fn sheet_warning(&mut self, sheet: Option<&str>, message: impl Into<String>) {
        self.0.push(Diagnostic {
            severity: Severity::Warning,
            sheet: sheet.map(str::to_owned),
            row: None,
            column: None,
            character: None,
            message: message.into(),
        });
    }
}

/// The languages of a workbook, spelled as they were first seen: `label:English` on the
/// survey sheet and `label:english` on the choices sheet are one language.
#[derive(Debug, Default)]
pub(crate) struct Languages(Vec<String>);

impl Languages {
    pub(crate) fn canonical(&mut self, language: &str) -> Language {
        if let Some(seen) = self
            .0
            .iter()
            .find(|seen| seen.eq_ignore_ascii_case(language))
        {
            return Language::new(seen.clone());
        }
        self.0.push(language.to_owned());
        Language::new(language)
    }
}

/// A sheet whose first non-blank row is its header.
#[derive(Debug)]
pub(crate) struct Table<'a> {
    pub(crate) sheet: &'a Sheet,
    pub(crate) headers: Vec<Header>,
    pub(crate) header_row: usize,
    /// The rows below the header with something in a column that has a header. A column
    /// whose header cell is empty is ignored whatever it holds, as pyxform ignores it
    /// (`get_excel_column_headers` and `get_excel_rows` in `xls2json_backends.py`): authors
    /// keep notes there, and a row holding only such notes is a blank row.
    pub(crate) rows: Vec<&'a Row>,
}

impl<'a> Table<'a> {
    /// Reads the header of a sheet, reporting columns given twice. `None` for a sheet with
    /// no rows at all.
    pub(crate) fn new(sheet: &'a Sheet, kind: SheetKind, diags: &mut Diags) -> Option<Self> {
        let (header, rows) = sheet.rows.split_first()?;
        let headers: Vec<Header> = header
            .cells
            .iter()
            .enumerate()
            .filter(|(_, text)| !text.is_empty())
            .map(|(index, text)| headers::parse(text, index, kind))
            .collect();
        let rows = rows
            .iter()
            .filter(|row| {
                headers
                    .iter()
                    .any(|header| !row.cell(header.index).is_empty())
            })
            .collect();
        let table = Self {
            sheet,
            headers,
            header_row: header.number,
            rows,
        };
        for (position, later) in table.headers.iter().enumerate() {
            if later.key == Key::Other {
                continue;
            }
            let earlier = table.headers[..position].iter().find(|earlier| {
                earlier.key == later.key
                    && match (&earlier.language, &later.language) {
                        (None, None) => true,
                        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                        _ => false,
                    }
            });
            if let Some(earlier) = earlier {
                let site = Site {
                    sheet: sheet.name.clone(),
                    row: header.number,
                    column: Some(table.column(later.index)),
                };
                diags.error(
                    &site,
                    format!(
                        "the columns `{}`{} and `{}`{} both give the {}{}: keep one of them \
                         and delete the other",
                        earlier.text,
                        letter_suffix(sheet, earlier.index),
                        later.text,
                        letter_suffix(sheet, later.index),
                        later.key.canonical(),
                        later
                            .language
                            .as_ref()
                            .map(|language| format!(" in {language}"))
                            .unwrap_or_default(),
                    ),
                );
            }
        }
        Some(table)
    }

    pub(crate) fn name(&self) -> &str {
        &self.sheet.name
    }

    /// The column at a cell index.
    pub(crate) fn column(&self, index: usize) -> Column {
        let header = self
            .headers
            .iter()
            .find(|header| header.index == index)
            .map_or_else(String::new, |header| header.text.clone());
        Column {
            header,
            letter: self.sheet.letter(index),
        }
    }

    /// Whether the sheet has a column, in any language.
    pub(crate) fn has(&self, key: &Key) -> bool {
        self.headers.iter().any(|header| &header.key == key)
    }

    /// The first header for a key that is not translated.
    pub(crate) fn header(&self, key: &Key) -> Option<&Header> {
        self.headers
            .iter()
            .find(|header| &header.key == key && header.language.is_none())
    }

    /// A non-empty untranslated cell of a row.
    pub(crate) fn get<'r>(&self, row: &'r Row, key: &Key) -> Option<&'r str> {
        let header = self.header(key)?;
        Some(row.cell(header.index)).filter(|value| !value.is_empty())
    }

    /// Where a row's cell for a key is (the row alone when the sheet has no such column).
    pub(crate) fn site(&self, row: &Row, key: &Key) -> Site {
        Site {
            sheet: self.sheet.name.clone(),
            row: row.number,
            column: self.header(key).map(|header| self.column(header.index)),
        }
    }

    /// Where a row is.
    pub(crate) fn row_site(&self, row: &Row) -> Site {
        Site {
            sheet: self.sheet.name.clone(),
            row: row.number,
            column: None,
        }
    }

    /// A translatable cell: the untranslated column and every language's column.
    pub(crate) fn text(&self, row: &Row, key: &Key, languages: &mut Languages) -> Text {
        let mut text = Text::default();
        for header in self.headers.iter().filter(|header| &header.key == key) {
            let value = row.cell(header.index);
            if value.is_empty() {
                continue;
            }
            match &header.language {
                None => text.default = Some(value.to_owned()),
                Some(language) => {
                    text.translations
                        .insert(languages.canonical(language), value.to_owned());
                }
            }
        }
        text
    }

    /// Every non-empty cell of a translatable column, with where it is.
    pub(crate) fn text_cells<'r>(&self, row: &'r Row, key: &Key) -> Vec<(Site, &'r str)> {
        self.headers
            .iter()
            .filter(|header| &header.key == key)
            .map(|header| (header, row.cell(header.index)))
            .filter(|(_, value)| !value.is_empty())
            .map(|(header, value)| {
                (
                    Site {
                        sheet: self.sheet.name.clone(),
                        row: row.number,
                        column: Some(self.column(header.index)),
                    },
                    value,
                )
            })
            .collect()
    }
}

fn letter_suffix(sheet: &Sheet, index: usize) -> String {
    sheet
        .letter(index)
        .map(|letter| format!(" ({letter})"))
        .unwrap_or_default()
}
