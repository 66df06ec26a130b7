//! Publishing forms: an XLSForm goes in, the form engine checks it, and the definition and
//! its source are stored under an immutable (form id, version). The types and the import
//! check ([`prepare_form`]), the same for every backend; [`super::FormStore`] is the trait,
//! `sqlite/forms.rs` SQLite's implementation.

use letsema_datafile::{DataFileError, Limits, attach};
use letsema_form::model::Form;
use letsema_form::runtime::CompiledForm;
use letsema_xlsform::SourceFormat;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::{DatabaseError, FormStore};

/// The largest XLSForm accepted for publishing.
pub const MAX_FORM_SOURCE_BYTES: usize = 20 * 1024 * 1024;

/// The reference form's id.
pub const REFERENCE_FORM_ID: &str = "diaspora_registration";

/// The reference form, compiled into the binary so that a demo needs no files.
pub const REFERENCE_FORM: (&str, &[u8]) = (
    "diaspora_registration.xlsx",
    include_bytes!("../../../examples/forms/diaspora_registration.xlsx"),
);

/// Why a form was not published. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(
        "{name} is not a form file: give an XLSForm (.xlsx, .xls, .csv or .md) or an XForm \
         (.xml)"
    )]
    UnknownFormat { name: String },
    #[error(
        "{name} is {size} bytes, more than the {MAX_FORM_SOURCE_BYTES} a form may have; is it \
         the right file?"
    )]
    TooLarge { name: String, size: usize },
    /// The importer or the runtime found errors; each line names sheet, row and column.
    #[error("{name} has {} error(s); fix them and publish again:\n{}", .errors.len(), .errors.join("\n"))]
    Invalid { name: String, errors: Vec<String> },
    #[error(
        "{name} has no version: add a `version` column to the settings sheet (for example \
         the date, 2026061501), so that every submission names the exact form it answered"
    )]
    NoVersion { name: String },
    #[error(
        "version {version} of form {form_id} is already published with different content: \
         published versions never change, so raise the `version` on the settings sheet"
    )]
    VersionTaken { form_id: String, version: String },
    /// The files attached to the form are missing, unused, too large or unreadable.
    #[error("{name}'s attached files cannot be used; fix them and publish again:\n{}", .errors.join("\n"))]
    Files { name: String, errors: Vec<String> },
    #[error("the database failed: {0}")]
    Database(#[source] DatabaseError),
    #[error("the database is unavailable: a previous operation failed while holding it")]
    Poisoned,
}

/// A form file as its importer read it: an XForm (`.xml`, [`letsema_xform`]) or an XLSForm
/// (`.xlsx`, `.xls`, `.csv`, `.md`, [`letsema_xlsform`]).
#[derive(Debug, Clone)]
pub struct ImportedForm {
    /// The form, when there is no error.
    pub form: Option<Form>,
    /// Every diagnostic as its importer words it (`error [sheet survey, row 3]: …`), in
    /// the file's order.
    pub diagnostics: Vec<String>,
    /// The errors among them.
    pub errors: Vec<String>,
    /// The warnings among them.
    pub warnings: Vec<String>,
}

/// Whether `name` ends in an extension of a form file the importers read.
pub fn is_form_file_name(name: &str) -> bool {
    SourceFormat::from_file_name(name).is_some() || is_xform_name(name)
}

fn is_xform_name(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(_, extension)| extension.eq_ignore_ascii_case("xml"))
}

/// Imports a form file with the importer its extension names; `None` for an extension
/// neither reads.
pub fn import_form_file(name: &str, bytes: &[u8]) -> Option<ImportedForm> {
    if is_xform_name(name) {
        let import = letsema_xform::import(bytes);
        return Some(ImportedForm {
            diagnostics: import.diagnostics.iter().map(ToString::to_string).collect(),
            errors: import.errors().map(ToString::to_string).collect(),
            warnings: import.warnings().map(ToString::to_string).collect(),
            form: import.form,
        });
    }
    SourceFormat::from_file_name(name)?;
    let import = letsema_xlsform::import_file(name, bytes);
    Some(ImportedForm {
        diagnostics: import.diagnostics.iter().map(ToString::to_string).collect(),
        errors: import.errors().map(ToString::to_string).collect(),
        warnings: import.warnings().map(ToString::to_string).collect(),
        form: import.form,
    })
}

/// The outcome of a successful publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Published {
    pub form_id: String,
    pub version: String,
    pub title: String,
    /// False when this exact form was already published (publishing is idempotent).
    pub newly_published: bool,
    /// Warnings of the import, one line each.
    pub warnings: Vec<String>,
}

/// One published version, as lists show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FormSummary {
    pub form_id: String,
    pub version: String,
    pub title: String,
    pub published_at: String,
    pub published_by: String,
}

/// A form file turned into what is published, whatever the backend. Only
/// [`FormImport::prepare`] (which [`prepare_form`] calls) makes one, so
/// [`super::FormStore::publish_form`], which takes one, cannot be handed a form the importer
/// and the runtime have not checked.
#[derive(Debug)]
pub struct PreparedForm {
    /// The file's name, as the publisher gave it.
    pub source_name: String,
    /// The file itself, kept with the version.
    pub source: Vec<u8>,
    /// The form's id.
    pub form_id: String,
    /// Its version (never empty).
    pub version: String,
    /// Its title.
    pub title: String,
    /// The definition devices receive, as JSON.
    pub definition: String,
    /// The SHA-256 of the source file, in hex: the same file published twice is one version.
    pub digest: String,
    /// The import's warnings, for the publisher.
    pub warnings: Vec<String>,
    /// Made by [`FormImport::prepare`] only.
    _checked: Checked,
}

/// The mark of a [`PreparedForm`] made by [`FormImport::prepare`]: private, so nothing else
/// can.
#[derive(Debug)]
struct Checked;

/// Imports and checks a form file (an XLSForm or an XForm) for publishing: a known format within
/// [`MAX_FORM_SOURCE_BYTES`], no import errors, a form the runtime can run, a version.
/// Every publish starts here (see [`publish_file`]); only storing the version is the
/// backend's.
///
/// # Errors
///
/// [`PublishError`] with every diagnostic, for the publisher to fix.
pub fn prepare_form(source_name: &str, source: &[u8]) -> Result<PreparedForm, PublishError> {
    prepare_form_with_files(source_name, source, &[])
}

/// [`prepare_form`] for a form with attached files (name and bytes): the CSV, XML and
/// GeoJSON files its `select_one_from_file`, `csv-external`, `xml-external` and `pulldata()`
/// read. Their data goes into the definition, so that devices receive it with the form and
/// keep it offline; the files take part in the digest, so that a version is its form and
/// its files.
///
/// # Errors
///
/// As [`prepare_form`], and [`PublishError::Files`] for files that are missing, unused,
/// too large ([`Limits::default`]) or unreadable.
pub fn prepare_form_with_files(
    source_name: &str,
    source: &[u8],
    files: &[(String, Vec<u8>)],
) -> Result<PreparedForm, PublishError> {
    import_for_publishing(source_name, source)?.prepare(files)
}

/// A form file imported for publishing, before its files are attached: what lets a
/// publisher find which files the form reads ([`Self::form`]) without importing it twice.
#[derive(Debug)]
pub struct FormImport<'a> {
    source_name: &'a str,
    source: &'a [u8],
    import: ImportedForm,
}

/// Imports a form file for publishing: a known format within [`MAX_FORM_SOURCE_BYTES`].
/// The import's own errors are reported by [`FormImport::prepare`].
///
/// # Errors
///
/// [`PublishError::UnknownFormat`] or [`PublishError::TooLarge`].
pub fn import_for_publishing<'a>(
    source_name: &'a str,
    source: &'a [u8],
) -> Result<FormImport<'a>, PublishError> {
    if !is_form_file_name(source_name) {
        return Err(PublishError::UnknownFormat {
            name: source_name.to_owned(),
        });
    }
    if source.len() > MAX_FORM_SOURCE_BYTES {
        return Err(PublishError::TooLarge {
            name: source_name.to_owned(),
            size: source.len(),
        });
    }
    let Some(import) = import_form_file(source_name, source) else {
        return Err(PublishError::UnknownFormat {
            name: source_name.to_owned(),
        });
    };
    Ok(FormImport {
        source_name,
        source,
        import,
    })
}

impl FormImport<'_> {
    /// The imported form, when the importer made one (it may still have errors).
    pub fn form(&self) -> Option<&Form> {
        self.import.form.as_ref()
    }

    /// Attaches `files` and checks the whole, as [`prepare_form_with_files`].
    ///
    /// # Errors
    ///
    /// As [`prepare_form_with_files`].
    pub fn prepare(self, files: &[(String, Vec<u8>)]) -> Result<PreparedForm, PublishError> {
        let FormImport {
            source_name,
            source,
            import,
        } = self;
        let ImportedForm {
            form,
            errors,
            warnings,
            ..
        } = import;
        let mut form = match form {
            Some(form) if errors.is_empty() => form,
            _ => {
                return Err(PublishError::Invalid {
                    name: source_name.to_owned(),
                    errors,
                });
            }
        };
        attach(&mut form, files, &Limits::default()).map_err(|errors| PublishError::Files {
            name: source_name.to_owned(),
            errors: errors.iter().map(DataFileError::to_string).collect(),
        })?;
        // The runtime has checks of its own (names unique form-wide, references that resolve in
        // repeats): a form it cannot run must not reach a phone.
        if let Err(errors) = CompiledForm::new(&form) {
            return Err(PublishError::Invalid {
                name: source_name.to_owned(),
                errors: errors.iter().map(ToString::to_string).collect(),
            });
        }
        let Some(version) = form.version.clone().filter(|v| !v.trim().is_empty()) else {
            return Err(PublishError::NoVersion {
                name: source_name.to_owned(),
            });
        };
        let definition = serde_json::to_string(&form).map_err(|e| PublishError::Invalid {
            name: source_name.to_owned(),
            errors: vec![format!("the definition cannot be serialised: {e}")],
        })?;
        // The form alone when nothing is attached, so that digests of earlier versions hold.
        let digest = if files.is_empty() {
            hex(&Sha256::digest(source))
        } else {
            let mut hasher = Sha256::new();
            hasher.update(source);
            let mut sorted: Vec<&(String, Vec<u8>)> = files.iter().collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            for (name, bytes) in sorted {
                hasher.update((name.len() as u64).to_be_bytes());
                hasher.update(name.as_bytes());
                hasher.update((bytes.len() as u64).to_be_bytes());
                hasher.update(bytes);
            }
            hex(&hasher.finalize())
        };
        Ok(PreparedForm {
            source_name: source_name.to_owned(),
            source: source.to_vec(),
            form_id: form.id.as_str().to_owned(),
            version,
            title: form.title,
            definition,
            digest,
            warnings,
            _checked: Checked,
        })
    }
}

/// Imports and checks a form file ([`prepare_form`]) and publishes it in `store`.
///
/// # Errors
///
/// [`PublishError`]: the file's diagnostics, a version published with other content, or a
/// failure of the database.
pub fn publish_file(
    store: &(impl FormStore + ?Sized),
    source_name: &str,
    source: &[u8],
    published_by: &str,
) -> Result<Published, PublishError> {
    store.publish_form(&prepare_form(source_name, source)?, published_by)
}

/// [`publish_file`] for a form with attached files ([`prepare_form_with_files`]).
///
/// # Errors
///
/// As [`publish_file`], and [`PublishError::Files`].
pub fn publish_with_files(
    store: &(impl FormStore + ?Sized),
    source_name: &str,
    source: &[u8],
    files: &[(String, Vec<u8>)],
    published_by: &str,
) -> Result<Published, PublishError> {
    store.publish_form(
        &prepare_form_with_files(source_name, source, files)?,
        published_by,
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
