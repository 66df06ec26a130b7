//! Enrolments, devices and public links: their types; [`super::DeviceStore`] is the trait,
//! `sqlite/devices.rs` SQLite's implementation.

use serde::Serialize;

use super::{AssociationName, DatabaseError};

/// An enrolment to create.
#[derive(Debug, Clone)]
pub struct NewEnrolment {
    pub association: String,
    pub forms: Vec<String>,
    pub label: String,
    pub expires_at: i64,
    pub uses: u32,
    pub created_by: i64,
    /// The device the enrolled phone replaces (it becomes that device), if any.
    pub replaces: Option<String>,
    /// The association's display name, set (or changed) with the enrolment.
    pub association_name: Option<AssociationName>,
}

/// An enrolment, as staff see it (never with its secret, which is shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Enrolment {
    pub id: i64,
    pub association: String,
    pub forms: Vec<String>,
    pub label: String,
    pub expires_at: i64,
    pub uses_left: u32,
    pub revoked: bool,
    /// The device a phone enrolled with it replaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
}

pub use letsema_protocol::DeviceInfo;

/// Why an enrolment or device operation failed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    #[error(
        "this enrolment link is not valid (it may have expired, been used up or been \
         revoked): ask your coordinator for a new one"
    )]
    EnrolmentInvalid,
    #[error("no such device: check the id in the device list")]
    NoSuchDevice,
    #[error("no such public link: check the id in the list of public links")]
    NoSuchPublicLink,
    #[error("the database failed: {0}")]
    Database(#[source] DatabaseError),
    #[error("the database is unavailable: a previous operation failed while holding it")]
    Poisoned,
    #[error("a stored list of forms cannot be read: {0}")]
    Corrupt(String),
}

/// The label of every device a public link made.
pub const PUBLIC_DEVICE_LABEL: &str = "survey taker";

/// How many browsers one public link may bring in, in all (joins are also rate-limited per
/// address).
pub const PUBLIC_LINK_USES: u32 = 1_000_000;

/// A public link, as admins see it (never with its secret, which is shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicLink {
    pub id: i64,
    /// The form survey takers fill in.
    pub form: String,
    /// The scope its submissions land in: `public-<id>`.
    pub association: String,
    pub label: String,
    pub expires_at: i64,
    /// How many browsers have opened it.
    pub joined: u32,
    pub revoked: bool,
}

/// An enrolment's or a device's form ids as every backend stores them: a JSON array.
pub(crate) fn forms_to_json(forms: &[String]) -> Result<String, DeviceError> {
    serde_json::to_string(forms).map_err(|e| DeviceError::Corrupt(e.to_string()))
}

/// The form ids [`forms_to_json`] stored.
pub(crate) fn parse_forms(json: &str) -> Result<Vec<String>, DeviceError> {
    serde_json::from_str(json).map_err(|e| DeviceError::Corrupt(e.to_string()))
}
