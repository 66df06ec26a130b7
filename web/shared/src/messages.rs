//! The messages between the app's two WebAssembly modules: what the first (the screens, see
//! [`bridge`](crate::bridge)) asks the second (the submission documents, see
//! [`documents`](crate::documents)) and what it answers. They cross as JSON text: the two
//! modules have separate memories, and JSON is what both already read.
//!
//! A submission's answers cross as [`letsema_answers::Answers`] in their own JSON, the
//! tree both modules hold. An empty repeat crosses as `[]` and comes back as an empty
//! `select_multiple`, which the form engine takes for a repeat without instances: nothing is
//! lost.

use letsema_answers::Answer;
use letsema_doc::ReviewStatus;
use letsema_sync::wire::DocId;
use serde::{Deserialize, Serialize};

use crate::capture::FillKind;
use crate::form_view::{AnswerEvent, RepeatChange, RepeatEvent};

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

impl Edit {
    /// The edit an answer event stands for; `None` for a repeat's instances as a whole
    /// (those change through [`RepeatEvent`]s).
    pub fn answer(event: &AnswerEvent) -> Option<Edit> {
        let value = match &event.answer {
            Answer::Repeat(_) => return None,
            answer => answer.clone(),
        };
        Some(Edit::Answer {
            repeats: event.repeats.clone(),
            instance: event.instance.clone(),
            field: event.field.clone(),
            value,
        })
    }

    /// The edit a repeat event stands for.
    pub fn repeat(event: &RepeatEvent) -> Edit {
        Edit::Repeat(RepeatEdit {
            repeats: event.repeats.clone(),
            instance: event.instance.clone(),
            repeat: event.repeat.clone(),
            change: event.change,
        })
    }
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
}
