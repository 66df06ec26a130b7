//! Realistic, deterministic registrations of Letsema's reference form, the *Diaspora member
//! registration* (`examples/forms/diaspora_registration.md`), for the sync benchmark
//! ("diaspora-500"), the multi-device simulation and end-to-end tests.
//!
//! - [`reference_form`]: the reference form, compiled from its markdown into
//!   `src/reference_form.json` (the form model as JSON), which this crate embeds: the
//!   XLSForm importer is needed only by the test that checks the two agree.
//! - [`Generator`]: a seeded generator of members: Basotho names, a date of birth between
//!   1955 and 2002, a country of residence (mostly South Africa, then the UK, the USA,
//!   Botswana and others), a region from the form's choices for that country, a city of
//!   that region, professions weighted toward health, qualifications, council registration,
//!   employment, languages, a phone number and e-mail that pass the form's checks,
//!   engagement interests and 0 to 3 qualification records. Every set of answers is
//!   complete and valid for the form runtime.
//! - [`Generator::submission`] and [`diaspora`]: the same as submission documents;
//!   [`Generator::edit_one_field`]: a realistic one-field edit of one.
//! - [`floor_bytes`]: the size of the same records as one gzip-compressed JSON array, the
//!   cheapest plausible encoding of the data, against which sync traffic is measured.
//!
//! The crate does no I/O and reads no clock: times come from the caller and randomness
//! from the seed. It builds for `wasm32-unknown-unknown` and natively.
//!
//! ```
//! use letsema_doc::Timestamp;
//! use letsema_workload::{Generator, WorkloadError, diaspora, floor_bytes};
//!
//! let mut generator = Generator::new(500);
//! let member = generator.answers();
//! assert!(member.get("consent").is_some());
//!
//! // The benchmark's data set: 20 registrations from one volunteer's phone.
//! let mut docs = diaspora(20, 500)?;
//! assert_eq!(docs.len(), 20);
//! let floor = floor_bytes(&docs);
//! assert!(floor > 20 * 50 && floor < 20 * 1_000);
//!
//! // Someone corrects a phone number, a city or an employment status.
//! let mut editor = Generator::new(501);
//! match editor.edit_one_field(&mut docs[0], Timestamp(1_781_600_000_000)) {
//!     Ok(edit) => assert_eq!(docs[0].answer(&edit.field), Some(edit.after)),
//!     // A member who declined consent has nothing else to edit.
//!     Err(WorkloadError::NothingToEdit { .. }) => {}
//!     Err(other) => return Err(other),
//! }
//! # Ok::<(), letsema_workload::WorkloadError>(())
//! ```

mod catalogue;
mod data;
mod edit;
mod floor;
mod generator;
pub mod register;

use std::sync::{Arc, OnceLock};

use letsema_doc::{DeviceId, SessionId, Timestamp, UserId, Writer};
use letsema_form::model::Form;

use crate::catalogue::Catalogue;

pub use edit::FieldEdit;
pub use floor::{FloorRecord, floor_bytes, floor_json, floor_records};
pub use generator::Generator;

/// The reference form as XLSForm markdown tables, exactly as in the project's examples.
pub const REFERENCE_FORM_MARKDOWN: &str =
    include_str!("../../../examples/forms/diaspora_registration.md");

/// When the first submission of [`diaspora`] is created: 2026-06-15 08:00 in Lesotho
/// (06:00 UTC), in milliseconds since the Unix epoch.
pub const DIASPORA_START: Timestamp = Timestamp(1_781_503_200_000);

/// A workload that cannot be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WorkloadError {
    /// The form does not ask what the generator answers.
    #[error("the form does not fit the workload generator: {message}")]
    Form {
        /// What is missing or different.
        message: String,
    },
    /// The form's id or version, or an answer used as an association, is not a valid id.
    #[error(transparent)]
    Id(#[from] letsema_doc::IdError),
    /// The submission document refused a write.
    #[error(transparent)]
    Doc(#[from] letsema_doc::DocError),
    /// The submission has nothing to edit: the member declined consent.
    #[error(
        "submission {submission_id} has nothing to edit (the member declined consent): \
         pick another submission"
    )]
    NothingToEdit {
        /// The submission.
        submission_id: letsema_doc::SubmissionId,
    },
}

/// The reference form ([`REFERENCE_FORM_MARKDOWN`]) as the importer compiles it: the form
/// model's JSON, embedded so that neither this crate nor what uses it (the web app's tests
/// in the browser, the simulation) needs the XLSForm importer. A test imports the markdown
/// and checks it gives exactly this.
pub const REFERENCE_FORM_JSON: &str = include_str!("reference_form.json");

/// The reference form, read from [`REFERENCE_FORM_JSON`].
///
/// # Panics
///
/// Never in practice: the JSON is compiled into the crate, and this crate's tests check
/// that it reads, matches the markdown imported and fits the generator, so a form that did
/// not would fail the build's tests rather than a caller.
pub fn reference_form() -> Form {
    static FORM: OnceLock<Form> = OnceLock::new();
    FORM.get_or_init(|| {
        serde_json::from_str(REFERENCE_FORM_JSON).unwrap_or_else(|e| {
            panic!("src/reference_form.json is not a form model ({e}): regenerate it")
        })
    })
    .clone()
}

/// What the generator reads from the reference form, read once.
fn reference_catalogue() -> Arc<Catalogue> {
    static CATALOGUE: OnceLock<Arc<Catalogue>> = OnceLock::new();
    CATALOGUE
        .get_or_init(|| match Catalogue::new(&reference_form()) {
            Ok(catalogue) => Arc::new(catalogue),
            // As for `reference_form`: the tests check that this cannot happen.
            Err(error) => panic!("the reference form does not fit the generator: {error}"),
        })
        .clone()
}

/// A volunteer's phone for [`diaspora`]: device `phone-{seed}`, a session made from the
/// seed, and the user `volunteer-{seed}@example.org`.
///
/// # Errors
///
/// None in practice: the ids are valid for every seed.
pub fn volunteer_phone(seed: u64) -> Result<Writer, WorkloadError> {
    Ok(Writer::new(
        DeviceId::parse(&format!("phone-{seed}"))?,
        SessionId::from_bytes(&seed.to_le_bytes())?,
        Some(UserId::parse(&format!("volunteer-{seed}@example.org"))?),
    ))
}

/// `n` registrations from one volunteer's phone ([`volunteer_phone`]`(seed)`), the first
/// at [`DIASPORA_START`], each 3 to 15 minutes after the one before, with the members of
/// [`Generator::new`]`(seed)`. The same `n` and `seed` give the same documents, byte for
/// byte.
///
/// # Errors
///
/// As [`Generator::submission`]: none in practice.
pub fn diaspora(n: usize, seed: u64) -> Result<Vec<letsema_doc::SubmissionDoc>, WorkloadError> {
    let phone = volunteer_phone(seed)?;
    Generator::new(seed).submissions(n, &phone, DIASPORA_START)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_form_imports_cleanly_and_fits_the_generator() {
        let import = letsema_xlsform::import(
            REFERENCE_FORM_MARKDOWN.as_bytes(),
            letsema_xlsform::SourceFormat::Markdown,
        );
        let diagnostics: Vec<String> = import.diagnostics.iter().map(ToString::to_string).collect();
        assert_eq!(diagnostics, Vec::<String>::new());
        let imported = import.form.expect("the markdown imports");
        let json =
            serde_json::to_string_pretty(&imported).expect("a form model writes as JSON") + "\n";
        if json != REFERENCE_FORM_JSON {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/reference_form.json");
            if std::env::var_os("LETSEMA_BLESS").is_some() {
                std::fs::write(path, &json).expect("writes the compiled form");
            } else {
                panic!(
                    "{path} is not the markdown as the importer compiles it today: run \
                     `LETSEMA_BLESS=1 cargo test -p letsema-workload reference_form` and commit it"
                );
            }
        }
        let form = reference_form();
        assert_eq!(form, imported);
        assert_eq!(form.id.as_str(), "diaspora_registration");
        assert!(Catalogue::new(&form).is_ok());
    }

    #[test]
    fn diaspora_start_is_eight_in_the_morning_in_maseru() {
        let days = generator::days_from_civil(2026, 6, 15);
        assert_eq!(DIASPORA_START.0, (days * 86_400 + 6 * 3_600) * 1_000);
    }
}
