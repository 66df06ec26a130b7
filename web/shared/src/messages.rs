//! The messages between the app's two WebAssembly modules: what the first (the screens,
//! `letsema-web`'s `bridge`) asks the second (the submission documents,
//! `letsema-web-submissions`) and what it answers. They cross as JSON text: the two modules
//! have separate memories, and JSON is what both already read.
//!
//! A submission's answers cross as [`letsema_answers::Answers`] in their own JSON, the
//! tree both modules hold. An empty repeat crosses as `[]` and comes back as an empty
//! `select_multiple`, which the form engine takes for a repeat without instances: nothing is
//! lost.

use std::time::Duration;

use letsema_answers::Answer;
use letsema_ids::{DocId, ReviewStatus};
use serde::{Deserialize, Serialize};

/// What is being filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FillKind {
    /// A draft: saved among the drafts; Finalise moves it to the submissions to send.
    Draft,
    /// A finalised submission being corrected (after a reviewer's comment, say): saved among
    /// the submissions, so that the correction is sent; Finalise closes it.
    Correction,
}

/// Whether a repeat instance was added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RepeatChange {
    /// A new, empty instance at the end.
    Added,
    /// The instance was removed with everything in it; the ones after it move up.
    Removed,
}

/// Who writes: the enrolled device and this page load's session (two tabs never share an
/// automerge actor).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterRequest {
    /// The device's id, as enrolment gave it.
    pub device: String,
    /// This page load's session: 16 random bytes.
    pub session: [u8; 16],
}

/// Start a new submission of a form, as a draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StartRequest {
    /// The form.
    pub form_id: String,
    /// Its version.
    pub form_version: String,
    /// The association the device is enrolled in.
    pub association: String,
    /// The language of labels, when one was chosen.
    pub language: Option<String>,
    /// Who writes.
    pub writer: WriterRequest,
}

/// Open a draft, or a finalised submission for a correction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenRequest {
    /// The submission.
    pub id: DocId,
    /// A draft or a correction.
    pub kind: FillKind,
    /// The language of labels, kept with a draft.
    pub language: Option<String>,
    /// Who writes.
    pub writer: WriterRequest,
}

/// One edit the form view reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Edit {
    /// An answer: a value, or the values of a `select_multiple`. A repeat's instances are
    /// not an answer edit (they change one at a time, through [`Edit::Repeat`]): the
    /// documents' module refuses one.
    Answer {
        /// The repeats the field sits in, outermost first (empty: not in a repeat).
        repeats: Vec<String>,
        /// The instance of each of those repeats.
        instance: Vec<usize>,
        /// The field's name.
        field: String,
        /// The answer.
        value: Answer,
    },
    /// A repeat instance added or removed.
    Repeat(RepeatEdit),
}

/// A repeat instance added or removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepeatEdit {
    /// The repeats around the changed one, outermost first.
    pub repeats: Vec<String>,
    /// The instance of each of those, then the changed instance's own index.
    pub instance: Vec<usize>,
    /// The repeat's name.
    pub repeat: String,
    /// Added or removed.
    pub change: RepeatChange,
}

/// Run one sync round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncRequest {
    /// The device's credential.
    pub credential: String,
    /// This phone replaced a lost one (it is that device): before its first sync, fetch
    /// the device's submissions back with a repair.
    #[serde(default)]
    pub replaced: bool,
    /// Who writes (what the server sends is merged as this writer).
    pub writer: WriterRequest,
}

/// What waits to be sent, and the latest finalised submissions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentsOverview {
    /// Submissions with changes the server has not acknowledged.
    pub unsynced: u32,
    /// When the oldest of those last changed (ms since the Unix epoch).
    pub oldest_unsynced_ms: Option<i64>,
    /// Finalised submissions on this device, sent or not.
    pub finalised: u32,
    /// The latest finalised submissions, newest first.
    pub sent: Vec<SentItem>,
}

/// A finalised submission, for the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentItem {
    /// Its id.
    pub id: DocId,
    /// The form it answers.
    pub form_id: String,
    /// When it last changed on this device (ms since the Unix epoch).
    pub changed_at_ms: i64,
    /// Whether some of it waits to be sent.
    pub unsynced: bool,
    /// The reviewers' verdict, if any.
    pub status: Option<ReviewStatus>,
    /// The reviewers' comments.
    pub comments: Vec<String>,
    /// Its name, from the form's `instance_name`, as this device last saved it (`None`: the
    /// form gives none, it came from the server, or an earlier version saved it).
    #[serde(default)]
    pub name: Option<String>,
    /// When it was started (ms since the Unix epoch), by the starting device's clock.
    #[serde(default)]
    pub started_at_ms: Option<i64>,
}

/// How a sync round ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncOutcome {
    /// Everything went through.
    Done {
        /// Requests sent.
        requests: usize,
        /// Documents the server acknowledged.
        acknowledged: usize,
        /// Documents that received changes from the server (reviewers' feedback).
        updated: usize,
        /// Documents the server refused, with its reasons.
        refused: Vec<String>,
    },
    /// The server could not be reached: the device is offline, or the server is down.
    Unreachable,
    /// The server turned the round's requests away before storing anything (busy, or the
    /// upload too slow) more often than the retry policy
    /// ([`letsema_protocol::retry::RetryPolicy`]) retries, or asked for a longer wait than a
    /// round waits: what was not acknowledged waits on the device for a later round. With
    /// the wait the server asked for last (its `Retry-After`), if it named one.
    ///
    /// A tuple variant, the wait in whole seconds between the modules: the screens' module
    /// deserializes outcomes, and serde's code for a struct variant and for `Duration` costs
    /// it kilobytes.
    Busy(#[serde(with = "whole_seconds")] Option<Duration>),
    /// The server no longer accepts this device's credential.
    Revoked(String),
    /// Anything else; the message says what happened and what to do.
    Failed(String),
}

impl SyncOutcome {
    /// Whether the round reached the server and finished.
    pub fn is_success(&self) -> bool {
        matches!(self, SyncOutcome::Done { .. })
    }
}

/// A `Retry-After` between the app's two modules, in whole seconds (all the header holds).
mod whole_seconds {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(wait: &Option<Duration>, to: S) -> Result<S::Ok, S::Error> {
        wait.map(|wait| wait.as_secs()).serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<u64>::deserialize(from)?.map(Duration::from_secs))
    }
}

/// What a backup import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Finalised submissions this device did not have.
    pub documents_added: usize,
    /// Finalised submissions merged with the stored copy (it gained changes).
    pub documents_merged: usize,
    /// Drafts this device did not have.
    pub drafts_added: usize,
    /// Drafts merged with the stored copy (it gained changes), or merged into the
    /// submission it has since become.
    pub drafts_merged: usize,
    /// Submissions and drafts this device already held entirely.
    pub unchanged: usize,
    /// What could not be imported, and why; everything else was.
    pub failed: Vec<ImportFailure>,
}

/// Whether an item of a backup is a finalised submission or a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImportKind {
    /// A finalised submission.
    Document,
    /// A draft.
    Draft,
}

/// An item of a backup that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportFailure {
    /// Which kind of item.
    pub kind: ImportKind,
    /// Its id, as the file gives it.
    pub id: String,
    /// Why, for people.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn busy(seconds: Option<u64>) -> SyncOutcome {
        SyncOutcome::Busy(seconds.map(Duration::from_secs))
    }

    #[test]
    fn a_busy_outcome_crosses_between_the_modules_with_its_wait() {
        for outcome in [busy(Some(600)), busy(Some(0)), busy(None)] {
            let json = serde_json::to_string(&outcome).expect("written");
            let back: SyncOutcome = serde_json::from_str(&json).expect("read back");
            assert_eq!(back, outcome, "{json}");
        }
        assert_eq!(
            serde_json::to_string(&busy(Some(600))).expect("written"),
            r#"{"Busy":600}"#
        );
    }
}
