//! Letsema's wire types: the one place that says what the server and its clients exchange.
//!
//! The server builds these values and serialises them; the web app and the tests
//! deserialise the same types, so a change of shape is a compile error on both sides rather
//! than a surprise in the field. Nothing here does I/O.
//!
//! - [`sync`]: the sync frames.
//! - [`staff`]: the staff API's bodies (the submissions table, one submission, review edits).
//! - [`retry`]: when a request a busy server turned away (503, 429, 408) is sent again; the
//!   phone, `letsema load` and the web app's screens (their sync schedule) read it.
//!
//! ```
//! use letsema_protocol::ApiErrorBody;
//!
//! let body: ApiErrorBody =
//!     serde_json::from_str(r#"{"error":{"code":"not_found","message":"Nothing is here."}}"#)
//!         .unwrap();
//! assert_eq!(body.error.code, "not_found");
//! ```

use serde::{Deserialize, Serialize};

pub mod reasons;
pub mod retry;
pub mod staff;
pub mod sync;

pub use letsema_form::EngineInfo;

/// The body of every error the API answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorBody {
    pub error: ApiErrorDetail,
}

/// A stable machine-readable code and a message for people, saying what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiErrorDetail {
    pub code: String,
    pub message: String,
}

/// The body of `GET /api/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    /// Whether the server can serve requests.
    pub status: HealthStatus,
    /// The server's version.
    pub version: String,
    /// The form engine the server judges submissions with.
    pub form_engine: EngineInfo,
    /// The embedded database.
    pub database: DatabaseHealth,
}

/// The server's overall state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthStatus {
    /// Everything answers.
    Ok,
    /// The server runs but its database does not answer.
    Degraded,
}

/// The database's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DatabaseState {
    Ok,
    Unavailable,
}

/// What the health check says about the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseHealth {
    pub state: DatabaseState,
    /// The schema version (the number of migrations applied).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_version: Option<u32>,
    /// When this database was first created (UTC, RFC 3339).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The SQLite journal mode; `wal` in normal operation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub journal_mode: Option<String>,
    /// Why the database is unavailable. Never contains personal data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl DatabaseHealth {
    /// A database that failed its check, with the reason.
    pub fn unavailable(error: impl Into<String>) -> Self {
        DatabaseHealth {
            state: DatabaseState::Unavailable,
            schema_version: None,
            created_at: None,
            journal_mode: None,
            error: Some(error.into()),
        }
    }
}

/// An enrolled device, as the server describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Its id; its automerge actors carry it.
    pub id: String,
    /// The association it registers members for.
    pub association: String,
    /// The ids of the forms it fills in.
    pub forms: Vec<String>,
    /// A name people recognise it by.
    pub label: String,
    /// When it was enrolled (UTC, RFC 3339).
    pub created_at: String,
    /// When it last asked anything (seconds since the Unix epoch, to the minute).
    pub last_seen_at: Option<i64>,
    /// Whether a coordinator withdrew its access.
    pub revoked: bool,
    /// Whether it is an anonymous survey taker's browser, brought in by a public link (it
    /// fills in that link's one form), rather than a volunteer's enrolled phone.
    #[serde(default)]
    pub public: bool,
    /// The association's display name ("Maseru Nurses' Association"), shown instead of its
    /// code when staff gave one. Absent from older servers and stored enrolments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub association_name: Option<String>,
}

impl DeviceInfo {
    /// What to call the device's association before people: its display name, or its code
    /// when it has none.
    pub fn display_association(&self) -> &str {
        self.association_name
            .as_deref()
            .unwrap_or(&self.association)
    }
}

/// One form a device fills in, as `GET /api/device/forms` gives it: the latest published
/// version of each of the device's forms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceForm {
    /// The form's id.
    pub form_id: String,
    /// The published version.
    pub version: String,
    /// The form's title.
    pub title: String,
    /// The whole form, for the form engine.
    pub definition: letsema_form::model::Form,
}

/// The body of `GET /api/device/forms`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceForms {
    /// The forms, one per form id.
    pub forms: Vec<DeviceForm>,
}

/// `POST /api/devices/enrol`: the secret of an enrolment link, exchanged for a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    /// The part of the link after `#`.
    pub code: String,
    /// A name for the device (optional).
    #[serde(default)]
    pub label: String,
}

/// The answer to an enrolment: the device, and its credential (shown only this once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolled {
    pub device: DeviceInfo,
    /// Sent as `Authorization: Bearer ...` on every request of the device.
    pub credential: String,
    /// This phone took the place of an earlier one (a replacement enrolment): it is that
    /// device, so its first sync fetches the device's submissions back (a repair).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub replaced: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_round_trips_through_json_in_snake_case() {
        let health = Health {
            status: HealthStatus::Degraded,
            version: "1.2.3".into(),
            form_engine: letsema_form::engine_info(),
            database: DatabaseHealth::unavailable("disk full"),
        };
        let json = serde_json::to_value(&health).expect("serialises");
        assert_eq!(json["status"], "degraded");
        assert_eq!(json["database"]["state"], "unavailable");
        assert!(json["database"].get("schema_version").is_none());
        let back: Health = serde_json::from_value(json).expect("deserialises");
        assert_eq!(back, health);
    }

    #[test]
    fn a_device_reads_without_an_association_name_and_writes_none() {
        // What an older server sent, and what phones stored before names existed.
        let older = serde_json::json!({
            "id": "dev-1", "association": "mohales-hoek-nurses", "forms": ["f"],
            "label": "", "created_at": "2026-01-01T00:00:00Z", "last_seen_at": null,
            "revoked": false, "public": false
        });
        let device: DeviceInfo = serde_json::from_value(older.clone()).expect("reads");
        assert_eq!(device.association_name, None);
        assert_eq!(device.display_association(), "mohales-hoek-nurses");
        assert_eq!(serde_json::to_value(&device).expect("writes"), older);

        let named = DeviceInfo {
            association_name: Some("Mohale's Hoek Nurses".into()),
            ..device
        };
        let json = serde_json::to_value(&named).expect("writes");
        assert_eq!(named.display_association(), "Mohale's Hoek Nurses");
        assert_eq!(json["association_name"], "Mohale's Hoek Nurses");
        let back: DeviceInfo = serde_json::from_value(json).expect("reads");
        assert_eq!(back, named);
    }
}
