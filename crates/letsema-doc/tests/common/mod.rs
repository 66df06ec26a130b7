//! Helpers shared by the specification tests.
#![allow(dead_code)]

use letsema_doc::*;

/// A writer on `device`, session bytes all `session`, for `user`.
pub fn writer(device: &str, session: u8, user: Option<&str>) -> Writer {
    Writer::new(
        DeviceId::parse(device).expect("test device id"),
        SessionId::from_bytes(&[session; 16]).expect("test session"),
        user.map(|user| UserId::parse(user).expect("test user id")),
    )
}

/// The phone of volunteer Lerato.
pub fn phone() -> Writer {
    writer("phone-lerato", 1, Some("lerato"))
}

/// The laptop of reviewer Thabo.
pub fn laptop() -> Writer {
    writer("laptop-thabo", 2, Some("thabo"))
}

/// Milliseconds since the epoch, offset from a fixed day.
pub fn t(offset: i64) -> Timestamp {
    Timestamp(1_750_000_000_000 + offset)
}

pub fn new_submission() -> NewSubmission {
    NewSubmission {
        submission_id: SubmissionId::parse("0f8fad5b-d9cb-469f-a165-70867728950e")
            .expect("test uuid"),
        form_id: FormId::parse("diaspora_registration").expect("test form id"),
        form_version: FormVersion::parse("2025061001").expect("test version"),
        association: Some(AssociationId::parse("basotho-health-za").expect("test association")),
    }
}

/// A fresh submission created on the phone.
pub fn created() -> SubmissionDoc {
    SubmissionDoc::create(new_submission(), phone(), t(0)).expect("create")
}

pub fn text(value: &str) -> Answer {
    Answer::value(value)
}

/// The answers as JSON, for readable comparisons.
pub fn json(doc: &SubmissionDoc) -> serde_json::Value {
    serde_json::to_value(doc.answers()).expect("answers serialise")
}
