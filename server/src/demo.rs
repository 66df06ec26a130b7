//! `letsema serve --demo`: what a newcomer needs to try Letsema end to end. Besides the
//! reference form, a demo association (`demo-association`, "Demo association") with an
//! enrolment link for phones and a public survey link for the reference form, made once and
//! printed at every start with their QR code.
//!
//! Links are made by a demo coordinator account that cannot sign in (its password is random
//! and thrown away). Their secrets are shown once by the API; for the demo they are kept in
//! the data directory (`demo-links.json`, readable by its owner only) so that the same links
//! are printed again after a restart, and made anew when they are used up or expired (and
//! on PostgreSQL, which has no data directory: at every start).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::auth::{hash_password, random_token, token_digest, unix_now};
use crate::store::{AssociationName, NewEnrolment, NewUser, Role, SharedStore};

/// The demo association's code.
pub const DEMO_ASSOCIATION: &str = "demo-association";
/// The demo account that makes the links.
const DEMO_ACCOUNT: &str = "demo@letsema.example";
/// How many phones the demo enrolment link enrols, and for how long it works.
const DEMO_USES: u32 = 20;
const DEMO_DAYS: i64 = 30;

/// The demo's links, as printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLinks {
    /// Opened on a phone: enrols it for the demo association.
    pub enrolment: String,
    /// Opened in any browser: the reference form as a public survey.
    pub survey: String,
}

/// What is kept for the next start: the secrets and their ids (the links are made from the
/// address the server has then).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Kept {
    enrolment_code: String,
    enrolment_id: i64,
    survey_code: String,
    survey_id: i64,
}

impl Kept {
    fn links(&self, public_url: &str) -> DemoLinks {
        let base = public_url.trim_end_matches('/');
        DemoLinks {
            enrolment: format!("{base}/enrol#{}", self.enrolment_code),
            survey: format!("{base}/survey#{}", self.survey_code),
        }
    }
}

/// Why the demo links could not be made.
#[derive(Debug, thiserror::Error)]
#[error("the demo links could not be made: {0}")]
pub struct DemoError(String);

fn failed(e: impl std::fmt::Display) -> DemoError {
    DemoError(e.to_string())
}

/// The demo links: those kept in `data_dir` while they still work, or new ones.
///
/// # Errors
///
/// When the store refuses the demo account or the links.
pub fn demo_links(
    store: &SharedStore,
    public_url: &str,
    data_dir: Option<&Path>,
) -> Result<DemoLinks, DemoError> {
    let kept_at: Option<PathBuf> = data_dir.map(|dir| dir.join("demo-links.json"));
    if let Some(kept) = kept_at
        .as_deref()
        .and_then(|path| std::fs::read(path).ok())
        .and_then(|bytes| serde_json::from_slice::<Kept>(&bytes).ok())
        && still_work(store, &kept)?
    {
        return Ok(kept.links(public_url));
    }
    let creator = demo_account(store)?;
    let now = unix_now();
    let expires_at = now + DEMO_DAYS * 86_400;

    let code = random_token().map_err(|_| no_randomness())?;
    let enrolment = store
        .create_enrolment(
            &NewEnrolment {
                association: DEMO_ASSOCIATION.to_owned(),
                forms: vec![crate::store::REFERENCE_FORM_ID.to_owned()],
                label: "Demo phones (letsema serve --demo)".to_owned(),
                expires_at,
                uses: DEMO_USES,
                created_by: creator,
                replaces: None,
                association_name: AssociationName::parse("Demo association").ok(),
            },
            &token_digest(&code),
            None,
        )
        .map_err(failed)?;
    let survey_code = random_token().map_err(|_| no_randomness())?;
    let survey = store
        .create_public_link(
            crate::store::REFERENCE_FORM_ID,
            "Demo survey (letsema serve --demo)",
            expires_at,
            creator,
            &token_digest(&survey_code),
            None,
        )
        .map_err(failed)?;
    let kept = Kept {
        enrolment_code: code,
        enrolment_id: enrolment.id,
        survey_code,
        survey_id: survey.id,
    };
    if let Some(path) = kept_at {
        keep(&path, &kept);
    }
    Ok(kept.links(public_url))
}

/// Whether kept links are still open: the enrolment with uses left, the survey unrevoked,
/// both unexpired.
fn still_work(store: &SharedStore, links: &Kept) -> Result<bool, DemoError> {
    let now = unix_now();
    let enrolment_works = store
        .enrolments(Some(DEMO_ASSOCIATION))
        .map_err(failed)?
        .iter()
        .any(|e| e.id == links.enrolment_id && !e.revoked && e.uses_left > 0 && e.expires_at > now);
    let survey_works = store
        .public_links()
        .map_err(failed)?
        .iter()
        .any(|l| l.id == links.survey_id && !l.revoked && l.expires_at > now);
    Ok(enrolment_works && survey_works)
}

/// The demo account's id, made when it does not exist.
fn demo_account(store: &SharedStore) -> Result<i64, DemoError> {
    if let Some(user) = store
        .list_users()
        .map_err(failed)?
        .into_iter()
        .find(|u| u.email == DEMO_ACCOUNT)
    {
        return Ok(user.id);
    }
    // A password nobody knows: the account makes links, it never signs in.
    let unknowable = random_token().map_err(|_| no_randomness())?;
    let password_hash = hash_password(&unknowable).map_err(failed)?;
    let user = store
        .add_user(
            &NewUser {
                email: DEMO_ACCOUNT.to_owned(),
                display_name: "Demo links (letsema serve --demo)".to_owned(),
                role: Role::Coordinator,
                associations: vec![DEMO_ASSOCIATION.to_owned()],
                password_hash,
            },
            "letsema serve --demo",
            None,
        )
        .map_err(failed)?;
    Ok(user.id)
}

/// Writes the links for the next start, readable by the owner only; a failure only means
/// new links next time.
fn keep(path: &Path, links: &Kept) {
    let Ok(json) = serde_json::to_vec_pretty(links) else {
        return;
    };
    let written = std::fs::write(path, json);
    #[cfg(unix)]
    if written.is_ok() {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    if let Err(e) = written {
        tracing::warn!(error = %e, "the demo links could not be kept for the next start");
    }
}

/// The system's random source failed (`random_token` logged why).
fn no_randomness() -> DemoError {
    DemoError("the system's random source failed".to_owned())
}

/// A QR code of `text` drawn with Unicode half blocks, for a terminal.
pub fn terminal_qr(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::unicode::Dense1x2>()
            .dark_color(qrcode::render::unicode::Dense1x2::Light)
            .light_color(qrcode::render::unicode::Dense1x2::Dark)
            .build(),
    )
}
