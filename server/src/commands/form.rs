//! `letsema form ...`: the form author's tools.
//!
//! `letsema form check FILE` imports an XLSForm and prints its diagnostics, one per line,
//! in the order of the sheets; it exits 1 when there is an error. With `--json` it prints
//! the form definition that Letsema would publish.
//!
//! A form that reads attached files (`select_one_from_file places.csv`, `csv-external`,
//! `xml-external`, `pulldata()`) is checked, evaluated and published with them: the files
//! given with `--file`, or else the files of those names next to the form file.
//!
//! `letsema form eval FILE --answers ANSWERS.json` runs the form engine over a set of
//! answers and prints its whole state as JSON: what is relevant, which required answers
//! are missing, which constraints fail (with their messages), computed values, filtered
//! choices and repeat counts. It is the form author's way to try skip logic without a
//! phone, and a stable surface for black-box tests.

use std::fmt::Display;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::store::{
    Database, ImportedForm, OpenError, PublishError, import_form_file, is_form_file_name,
};
use chrono::{DateTime, FixedOffset};
use letsema_datafile::{Limits, attach, required_files};
use letsema_form::model::Form;
use letsema_form::runtime::{
    AnswerError, Answers, CompileError, CompiledForm, Environment, FormState,
};

/// The largest form file read. Real XLSForms are well under a megabyte.
pub const MAX_FORM_FILE_BYTES: u64 = 20 * 1024 * 1024;

/// The largest answers file read.
pub const MAX_ANSWERS_FILE_BYTES: u64 = 10 * 1024 * 1024;

/// The settings of `letsema form eval`.
#[derive(Debug, Clone)]
pub struct EvalOptions {
    /// The answers, as JSON.
    pub answers: std::path::PathBuf,
    /// The time the form is filled in (for `today()`, `now()`, `start`); the caller's clock
    /// when not given.
    pub now: DateTime<FixedOffset>,
    /// The language of labels and messages; the form's default when not given.
    pub language: Option<String>,
    /// The seed of `random()` and `uuid()`, so that a run can be repeated.
    pub seed: u64,
    /// The files the form reads (`--file`); the files next to the form when empty.
    pub files: Vec<PathBuf>,
}

/// Why `letsema form ...` failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum FormCommandError {
    /// The path ends in no file name.
    #[error("{path} is not a file name")]
    NotAFileName {
        /// The path given.
        path: PathBuf,
    },
    /// The file's extension is not one the importer reads.
    #[error(
        "{path}: unknown form file type; give an XLSForm (.xlsx, .xls, .csv or .md) or an \
         XForm (.xml)"
    )]
    UnknownFileType {
        /// The form file.
        path: PathBuf,
    },
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The form file to check or evaluate is larger than [`MAX_FORM_FILE_BYTES`].
    #[error(
        "{path} is {size} bytes, more than the {MAX_FORM_FILE_BYTES} a form may have; is it \
         the right file?"
    )]
    FormTooLarge {
        /// The form file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// The form file to publish is larger than [`MAX_FORM_FILE_BYTES`].
    #[error("{path} is {size} bytes, more than the {MAX_FORM_FILE_BYTES} a form may have")]
    PublishTooLarge {
        /// The form file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// An attached file given with `--file` is larger than a form's files may be.
    #[error("{path} is {size} bytes, more than the {limit} bytes an attached file may be")]
    FileTooLarge {
        /// The file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
        /// The limit.
        limit: usize,
    },
    /// The attached files cannot be used.
    #[error("{path}: {}", errors.join("; "))]
    Files {
        /// The form file.
        path: PathBuf,
        /// What is wrong with them, one per file.
        errors: Vec<String>,
    },
    /// The imported form could not be written as JSON.
    #[error("cannot serialise the form: {0}")]
    SerialiseForm(#[source] serde_json::Error),
    /// The form has errors, so there is nothing to evaluate.
    #[error(
        "{path} has errors, so it cannot be evaluated (first: {first}); run `letsema form \
         check {path}` to see them all"
    )]
    HasErrors {
        /// The form file.
        path: PathBuf,
        /// The first error, as `form check` prints it.
        first: String,
    },
    /// The form engine could not compile the form.
    #[error("{path}: {}", join(errors, "; "))]
    Compile {
        /// The form file.
        path: PathBuf,
        /// What the engine found.
        errors: Vec<CompileError>,
    },
    /// The answers file is larger than [`MAX_ANSWERS_FILE_BYTES`].
    #[error(
        "{path} is {size} bytes, more than the {MAX_ANSWERS_FILE_BYTES} an answers file may have"
    )]
    AnswersTooLarge {
        /// The answers file.
        path: PathBuf,
        /// Its size in bytes.
        size: u64,
    },
    /// The answers file is not a JSON object of answers.
    #[error(
        "{path} is not answers JSON ({source}); write an object such as {{\"age\": \"34\", \
         \"citizenships\": [\"ls\", \"za\"]}}"
    )]
    NotAnswers {
        /// The answers file.
        path: PathBuf,
        /// Why it could not be read as answers.
        #[source]
        source: serde_json::Error,
    },
    /// `--lang` names a language the form does not have.
    #[error("the form has no language {language:?}; it has: {}", join(known, ", "))]
    UnknownLanguage {
        /// The language asked for.
        language: String,
        /// The form's languages.
        known: Vec<String>,
    },
    /// The answers do not fit the form.
    #[error("{path}: {}", join(errors, "; "))]
    Answers {
        /// The answers file.
        path: PathBuf,
        /// Every answer that does not fit.
        errors: Vec<AnswerError>,
    },
    /// The engine's state could not be written as JSON.
    #[error("cannot serialise the result: {0}")]
    SerialiseResult(#[source] serde_json::Error),
    /// The database could not be opened.
    #[error(transparent)]
    Store(#[from] OpenError),
    /// The form could not be published, or the published forms listed.
    #[error(transparent)]
    Publish(#[from] PublishError),
    /// The report could not be written.
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// `items` as text, separated by `separator`.
fn join<T: Display>(items: &[T], separator: &str) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

/// What `form check` found.
#[derive(Debug)]
pub struct CheckOutcome {
    /// Whether the form has errors (the command then exits 1).
    pub has_errors: bool,
}

/// Reads and imports a form file, with the checks a person needs before the importer runs.
///
/// # Errors
///
/// When the file has no name, an unknown type, is too large, or cannot be read. The form's
/// own problems are not errors: they are the import's diagnostics.
pub fn read_and_import(path: &Path) -> Result<ImportedForm, FormCommandError> {
    let name = file_name(path)?;
    if !is_form_file_name(name) {
        return Err(FormCommandError::UnknownFileType {
            path: path.to_owned(),
        });
    }
    let size = file_size(path)?;
    if size > MAX_FORM_FILE_BYTES {
        return Err(FormCommandError::FormTooLarge {
            path: path.to_owned(),
            size,
        });
    }
    let bytes = read(path)?;
    import_form_file(name, &bytes).ok_or_else(|| FormCommandError::UnknownFileType {
        path: path.to_owned(),
    })
}

/// The files `form` reads, as `(name, bytes)`: those given (named by their file names), or
/// when none is given, the files of the names the form reads found next to `form_path`
/// (a file not found there is left out, and [`attach_files`] says it is missing).
///
/// # Errors
///
/// A file that cannot be read or is larger than an attached file may be.
pub fn gather_files(
    form_path: &Path,
    form: &Form,
    given: &[PathBuf],
) -> Result<Vec<(String, Vec<u8>)>, FormCommandError> {
    let limit = Limits::default().file_bytes;
    let read_one = |path: &Path| -> Result<(String, Vec<u8>), FormCommandError> {
        let name = file_name(path)?.to_owned();
        let size = file_size(path)?;
        if size > limit as u64 {
            return Err(FormCommandError::FileTooLarge {
                path: path.to_owned(),
                size,
                limit,
            });
        }
        Ok((name, read(path)?))
    };
    if !given.is_empty() {
        return given.iter().map(|p| read_one(p)).collect();
    }
    let folder = form_path.parent().unwrap_or(Path::new(""));
    required_files(form)
        .iter()
        .map(|name| folder.join(name))
        .filter(|path| path.is_file())
        .map(|path| read_one(&path))
        .collect()
}

/// Reads the attached files into `form` ([`gather_files`], then
/// [`letsema_datafile::attach`]): one message per problem, saying what to do.
pub fn attach_files(
    form_path: &Path,
    form: &mut Form,
    given: &[PathBuf],
) -> Result<(), Vec<String>> {
    if required_files(form).is_empty() && given.is_empty() {
        return Ok(());
    }
    let files = gather_files(form_path, form, given).map_err(|e| vec![e.to_string()])?;
    attach(form, &files, &Limits::default()).map_err(|errors| {
        errors
            .iter()
            .map(|e| match e {
                letsema_datafile::DataFileError::Missing { .. } => format!(
                    "{e} (pass it with --file, or put it next to {})",
                    form_path.display()
                ),
                _ => e.to_string(),
            })
            .collect()
    })
}

/// The file name of `path`, as text.
fn file_name(path: &Path) -> Result<&str, FormCommandError> {
    path.file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| FormCommandError::NotAFileName {
            path: path.to_owned(),
        })
}

/// The size of the file at `path`, in bytes.
fn file_size(path: &Path) -> Result<u64, FormCommandError> {
    std::fs::metadata(path)
        .map(|metadata| metadata.len())
        .map_err(|source| FormCommandError::Read {
            path: path.to_owned(),
            source,
        })
}

/// The contents of the file at `path`.
fn read(path: &Path) -> Result<Vec<u8>, FormCommandError> {
    std::fs::read(path).map_err(|source| FormCommandError::Read {
        path: path.to_owned(),
        source,
    })
}

/// `letsema form check FILE [--json]`.
///
/// # Errors
///
/// As [`read_and_import`], or when the output cannot be written.
pub fn check(
    path: &Path,
    files: &[PathBuf],
    json: bool,
    out: &mut dyn Write,
) -> Result<CheckOutcome, FormCommandError> {
    let mut import = read_and_import(path)?;
    let mut file_errors = Vec::new();
    if let Some(form) = import.form.as_mut()
        && let Err(errors) = attach_files(path, form, files)
    {
        file_errors = errors;
    }
    if !file_errors.is_empty() {
        for error in &file_errors {
            writeln!(out, "{}: {error}", path.display())?;
        }
        writeln!(
            out,
            "{}: the form's attached files cannot be used: fix them and check again",
            path.display()
        )?;
        return Ok(CheckOutcome { has_errors: true });
    }
    let has_errors = !import.errors.is_empty();
    if json && !has_errors {
        if let Some(form) = &import.form {
            let text =
                serde_json::to_string_pretty(form).map_err(FormCommandError::SerialiseForm)?;
            writeln!(out, "{text}")?;
        }
        // Warnings go to standard error so that the JSON stays parseable.
        for diagnostic in &import.diagnostics {
            eprintln!("{}: {diagnostic}", path.display());
        }
    } else {
        for diagnostic in &import.diagnostics {
            writeln!(out, "{}: {diagnostic}", path.display())?;
        }
        let errors = import.errors.len();
        let warnings = import.warnings.len();
        let summary = match (errors, warnings) {
            (0, 0) => "the form is valid".to_owned(),
            (0, w) => format!("the form is valid, with {w} warning(s)"),
            (e, w) => format!("{e} error(s) and {w} warning(s): fix the errors and check again"),
        };
        writeln!(out, "{}: {summary}", path.display())?;
    }
    Ok(CheckOutcome { has_errors })
}

/// `letsema form eval FILE --answers ANSWERS.json`: prints the runtime's state as JSON.
///
/// # Errors
///
/// When the form cannot be read or has errors, the answers cannot be read or do not fit
/// the form, or the language is not the form's.
pub fn eval(
    path: &Path,
    options: &EvalOptions,
    out: &mut dyn Write,
) -> Result<(), FormCommandError> {
    let import = read_and_import(path)?;
    let Some(mut form) = import.form else {
        let first = import.errors.first().cloned().unwrap_or_default();
        return Err(FormCommandError::HasErrors {
            path: path.to_owned(),
            first,
        });
    };
    attach_files(path, &mut form, &options.files).map_err(|errors| FormCommandError::Files {
        path: path.to_owned(),
        errors,
    })?;
    let compiled = CompiledForm::new(&form).map_err(|errors| FormCommandError::Compile {
        path: path.to_owned(),
        errors,
    })?;
    let answers = read_answers(&options.answers)?;
    let mut environment = Environment::new(options.now).with_seed(options.seed);
    if let Some(language) = &options.language {
        let known = form.languages();
        if !known.iter().any(|l| l.matches(language)) {
            return Err(FormCommandError::UnknownLanguage {
                language: language.clone(),
                known: known.iter().map(ToString::to_string).collect(),
            });
        }
        environment = environment.with_language(language.clone());
    }
    let state = FormState::new(Arc::new(compiled), &answers, environment).map_err(|errors| {
        FormCommandError::Answers {
            path: options.answers.clone(),
            errors,
        }
    })?;
    let text = serde_json::to_string_pretty(&state.snapshot())
        .map_err(FormCommandError::SerialiseResult)?;
    writeln!(out, "{text}")?;
    Ok(())
}

fn read_answers(path: &Path) -> Result<Answers, FormCommandError> {
    let size = file_size(path)?;
    if size > MAX_ANSWERS_FILE_BYTES {
        return Err(FormCommandError::AnswersTooLarge {
            path: path.to_owned(),
            size,
        });
    }
    let bytes = read(path)?;
    serde_json::from_slice(&bytes).map_err(|source| FormCommandError::NotAnswers {
        path: path.to_owned(),
        source,
    })
}

/// `letsema form publish FILE --data-dir DIR`.
///
/// # Errors
///
/// When the file cannot be read or is too large, the database cannot be opened, or the
/// form cannot be published (its errors, or a version published with other content).
pub fn publish(
    path: &Path,
    files: &[PathBuf],
    database: &Database,
    out: &mut dyn Write,
) -> Result<(), FormCommandError> {
    let name = file_name(path)?;
    let size = file_size(path)?;
    if size > MAX_FORM_FILE_BYTES {
        return Err(FormCommandError::PublishTooLarge {
            path: path.to_owned(),
            size,
        });
    }
    let bytes = read(path)?;
    let import = crate::store::import_for_publishing(name, &bytes)?;
    // The files the form reads: those given, or those next to it.
    let attached = match import.form() {
        Some(form) if !files.is_empty() || !required_files(form).is_empty() => {
            gather_files(path, form, files)?
        }
        _ => Vec::new(),
    };
    let prepared = import.prepare(&attached)?;
    let store = database.open()?.store;
    let published = store.publish_form(&prepared, "letsema form publish")?;
    for warning in &published.warnings {
        writeln!(out, "{}: {warning}", path.display())?;
    }
    let verb = if published.newly_published {
        "published"
    } else {
        "was already published as"
    };
    writeln!(
        out,
        "{}: {verb} form {} version {} ({})",
        path.display(),
        published.form_id,
        published.version,
        published.title
    )?;
    Ok(())
}

/// `letsema form list --data-dir DIR`.
///
/// # Errors
///
/// When the database cannot be opened or read.
pub fn list(database: &Database, out: &mut dyn Write) -> Result<(), FormCommandError> {
    let store = database.open()?.store;
    let forms = store.published_forms()?;
    if forms.is_empty() {
        writeln!(
            out,
            "no form is published yet: publish one with `letsema form publish FILE`"
        )?;
    }
    for form in forms {
        writeln!(
            out,
            "{}\t{}\t{}\tpublished {} by {}",
            form.form_id, form.version, form.title, form.published_at, form.published_by
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_file_is_checked_for_its_type_before_it_is_read() {
        let error = read_and_import(Path::new("no/such/form.txt")).expect_err("refused");
        assert!(
            matches!(&error, FormCommandError::UnknownFileType { path } if path.ends_with("form.txt"))
        );
        assert_eq!(
            error.to_string(),
            "no/such/form.txt: unknown form file type; give an XLSForm (.xlsx, .xls, .csv or \
             .md) or an XForm (.xml)"
        );
        let missing = read_and_import(Path::new("no/such/form.md")).expect_err("refused");
        assert!(matches!(
            &missing,
            FormCommandError::Read { source, .. } if source.kind() == std::io::ErrorKind::NotFound
        ));
    }
}
