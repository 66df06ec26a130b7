//! XLSForm import: spreadsheets in, a [`Form`] and diagnostics out.
//!
//! [XLSForm](https://xlsform.org) is the spreadsheet format ODK, KoboToolbox and most
//! humanitarian teams write their forms in. This crate reads it from `.xlsx`, `.xls`, the
//! CSV layout pyxform reads and the markdown tables pyxform's tests are written in, and
//! checks it the way pyxform does. It does no I/O: it takes bytes.
//!
//! Problems come back as data: every [`Diagnostic`] names the sheet, the row and the column
//! as the author sees them and says what to do. The form is given only when there is no
//! error; warnings do not stop an import.
//!
//! ```
//! use letsema_xlsform::{import, SourceFormat};
//!
//! let source = "
//! | survey |
//! |        | type    | name | label            | relevant           |
//! |        | integer | age  | How old are you? |                    |
//! |        | text    | job  | What is your job? | ${age} >= 16      |
//! | settings |
//! |          | form_id | form_title |
//! |          | demo    | Demo       |
//! ";
//! let import = import(source.as_bytes(), SourceFormat::Markdown);
//! assert!(import.diagnostics.is_empty(), "{:?}", import.diagnostics);
//! let form = import.form.expect("no errors, so a form");
//! assert_eq!(form.id.as_str(), "demo");
//! assert_eq!(form.questions().count(), 2);
//! ```

mod check;
mod choices;
mod expr;
mod files;
mod headers;
mod read;
mod survey;
mod table;

use std::fmt;

use letsema_form::model::Form;

/// The file formats an XLSForm can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// An Excel workbook (Office Open XML), the usual format.
    Xlsx,
    /// An old Excel workbook (BIFF).
    Xls,
    /// pyxform's CSV layout: a line with the sheet name in the first column (`survey,,,`),
    /// then that sheet's rows with the first column empty.
    Csv,
    /// The markdown tables pyxform's tests use: `| survey |` lines, then `| | type | name |`
    /// rows.
    Markdown,
}

impl SourceFormat {
    /// The format a file name's extension says, ignoring case: `.xlsx`, `.xls`, `.csv`,
    /// `.md` or `.markdown`.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let extension = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match extension.as_str() {
            "xlsx" => Some(Self::Xlsx),
            "xls" => Some(Self::Xls),
            "csv" => Some(Self::Csv),
            "md" | "markdown" => Some(Self::Markdown),
            _ => None,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Self::Xlsx => "an Excel workbook (.xlsx)",
            Self::Xls => "an old-style Excel workbook (.xls)",
            Self::Csv => "CSV",
            Self::Markdown => "markdown tables",
        }
    }
}

/// What an import gives: the form when there is no error, and every diagnostic.
#[derive(Debug, Clone, PartialEq)]
pub struct Import {
    /// The form, `None` when any diagnostic is an error.
    pub form: Option<Form>,
    /// Errors and warnings, in the order of the sheets and rows they are about.
    pub diagnostics: Vec<Diagnostic>,
}

impl Import {
    /// The diagnostics that are errors.
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Error)
    }

    /// The diagnostics that are warnings.
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.severity == Severity::Warning)
    }
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The form cannot be used until this is fixed.
    Error,
    /// The form works, but probably not as its author meant.
    Warning,
}

/// A problem in the spreadsheet, where it is and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Whether the problem stops the import.
    pub severity: Severity,
    /// The sheet, as it is named in the file; `None` for a problem with the whole file.
    pub sheet: Option<String>,
    /// The row number the spreadsheet shows (the line number in CSV and markdown).
    pub row: Option<usize>,
    /// The column.
    pub column: Option<Column>,
    /// For a problem inside an expression: which character of the cell, counting from 1.
    pub character: Option<usize>,
    /// What is wrong and what to do.
    pub message: String,
}

/// A column of a sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The header as written (`label::English (en)`, `bind:relevant`).
    pub header: String,
    /// The column letter, where the format has letters (not in markdown).
    pub letter: Option<String>,
}

impl Diagnostic {
    fn file_error(message: String) -> Self {
        Self {
            severity: Severity::Error,
            sheet: None,
            row: None,
            column: None,
            character: None,
            message,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.severity)?;
        let mut place = Vec::new();
        if let Some(sheet) = &self.sheet {
            place.push(format!("sheet {sheet}"));
        }
        if let Some(row) = self.row {
            place.push(format!("row {row}"));
        }
        if let Some(column) = &self.column {
            match &column.letter {
                Some(letter) => place.push(format!("column {letter} ({})", column.header)),
                None => place.push(format!("column {}", column.header)),
            }
        }
        if let Some(character) = self.character {
            place.push(format!("character {character}"));
        }
        if !place.is_empty() {
            write!(f, " [{}]", place.join(", "))?;
        }
        write!(f, ": {}", self.message)
    }
}

/// The cells of one line of the markdown-table layout (`| | type | name |`), `\|` read as
/// a pipe inside a cell; `None` for prose and for `|---|` lines. The `md_to_xlsx` example
/// uses it, so the generated workbook holds exactly what the importer reads.
pub use read::table_cells as markdown_table_cells;

/// A spreadsheet as text, as the importer reads a form's: named sheets of non-blank rows of
/// trimmed cells (whole numbers without a decimal point, dates as `YYYY-MM-DD HH:MM:SS`),
/// each row with the number a person sees beside it.
pub use read::{Row, Sheet, Workbook};

/// Reads any table (`.xlsx`, `.xls`, `.csv`) as the importer reads a form, within the same
/// bounds and with the same protection against damaged files: for tables that are not forms,
/// such as the member registers `letsema import` reads. A CSV file is one sheet whose lines
/// are its rows (not pyxform's layout, which names sheets in the first column).
///
/// # Errors
///
/// A message saying why the file cannot be read and what to do.
pub fn read_table(bytes: &[u8], format: SourceFormat) -> Result<Workbook, String> {
    read::read_table(bytes, format)
}

/// Imports an XLSForm from its bytes.
///
/// When the settings give no `form_id`, the id is derived from the title, or is `form`, and
/// a warning says so; [`import_file`] derives it from the file name instead.
pub fn import(bytes: &[u8], format: SourceFormat) -> Import {
    import_with(bytes, format, None)
}

/// Imports an XLSForm from a file's name and bytes: the format comes from the extension,
/// and a form without `form_id` takes the file's name (without extension) as its id, as
/// pyxform does.
pub fn import_file(file_name: &str, bytes: &[u8]) -> Import {
    let Some(format) = SourceFormat::from_file_name(file_name) else {
        return Import {
            form: None,
            diagnostics: vec![Diagnostic::file_error(format!(
                "`{file_name}` does not end in .xlsx, .xls, .csv or .md, so its format is \
                 unknown: save the form as an Excel workbook (.xlsx)"
            ))],
        };
    };
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    let stem = base.rsplit_once('.').map_or(base, |(stem, _)| stem);
    import_with(bytes, format, Some(stem))
}

fn import_with(bytes: &[u8], format: SourceFormat, file_stem: Option<&str>) -> Import {
    let workbook = match read::read(bytes, format) {
        Ok(workbook) => workbook,
        Err(message) => {
            return Import {
                form: None,
                diagnostics: vec![Diagnostic::file_error(message)],
            };
        }
    };
    let (form, diagnostics) = survey::build(&workbook, file_stem);
    let has_error = diagnostics
        .iter()
        .any(|diagnostic| diagnostic.severity == Severity::Error);
    Import {
        form: if has_error { None } else { Some(form) },
        diagnostics,
    }
}
