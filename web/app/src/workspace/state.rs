//! The workspace's state and the one reducer that changes it (yew's `function_todomvc`
//! shape): [`Workspace`](super::Workspace) and the cards it draws read it, and what happens
//! is sent to it as [`Action`]s; nothing else holds state. Errors arrive typed and are kept
//! as the text shown (in the words of whoever wrote it: the storage, the documents' module).

use std::rc::Rc;
use std::time::Duration;

use letsema_ids::DocId;
use letsema_protocol::DeviceForm;
use letsema_web_shared::messages::{DocumentsOverview, FillKind, ImportReport};
use letsema_web_shared::storage::{Draft, Storage, StorageError};
use yew::Reducible;

use crate::words::AppWords;

/// What the workspace shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Screen {
    /// The first screen: the sync's state in a line, the main action (a new submission)
    /// and how many drafts, waiting and sent submissions there are.
    #[default]
    Home,
    /// The drafts, each to be continued.
    Drafts,
    /// The finalised submissions: what waits to be sent, what was sent, what came back.
    Submissions,
    /// This phone: the network, the server, the versions, storage and backups.
    Phone,
    /// A draft or a submission being filled in.
    Filling {
        id: DocId,
        form: Box<DeviceForm>,
        kind: FillKind,
    },
    /// A survey taker's submission was finalised: thanks, and "fill in another".
    Thanks,
}

/// What the first screen says once, after something was done elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// A submission was finalised: it goes when there is a network.
    Finalised,
    /// A correction was saved: it goes when there is a network.
    Corrected,
}

/// A draft in the list: what the list shows without its saved bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DraftItem {
    /// Its id.
    pub id: DocId,
    /// The form it answers.
    pub form_id: String,
    /// When it was last saved (ms since the Unix epoch).
    pub updated_at_ms: i64,
    /// Its name, from the form's `instance_name` (`None`: none yet, the form gives none, or
    /// an earlier version saved it; list it by its form's title then).
    pub name: Option<String>,
    /// When it was started (ms since the Unix epoch; `None`: saved by an earlier version).
    pub started_at_ms: Option<i64>,
}

impl From<Draft> for DraftItem {
    fn from(draft: Draft) -> DraftItem {
        DraftItem {
            id: draft.id,
            form_id: draft.form_id,
            updated_at_ms: draft.updated_at_ms,
            name: draft.name,
            started_at_ms: draft.started_at_ms,
        }
    }
}

/// What is known of the storage and the sync from this module's own reads, for the list
/// screen (the documents' module adds what waits to be sent).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overview {
    pub forms: Vec<DeviceForm>,
    pub drafts: Vec<DraftItem>,
    pub last_success_ms: Option<i64>,
    pub last_error: Option<String>,
    pub persisted: Option<bool>,
    pub usage: Option<(u64, u64)>,
}

/// What the last backup or restore came to. Kept as an outcome rather than a sentence, so
/// that it is said in the language chosen when it is shown.
#[derive(Debug, Clone, PartialEq)]
pub enum BackupMessage {
    Saved,
    NotSaved,
    /// Why (in English).
    NotMade(String),
    Restored(ImportReport),
    /// The documents' module's own words (in English).
    RestoreFailed(String),
    Unreadable,
}

impl BackupMessage {
    /// What it says, in `words`' language.
    pub fn describe(&self, words: &AppWords) -> String {
        match self {
            BackupMessage::Saved => words.backup_saved.to_owned(),
            BackupMessage::NotSaved => words.backup_not_saved.to_owned(),
            BackupMessage::NotMade(why) => (words.backup_not_made)(why),
            BackupMessage::Restored(report) => (words.restored)(report),
            BackupMessage::RestoreFailed(why) => why.clone(),
            BackupMessage::Unreadable => words.file_unreadable.to_owned(),
        }
    }
}

/// Why the device's forms, downloaded, could not be kept for offline use. (Not reaching
/// the server is no problem: the forms kept before stay.)
#[derive(Debug, thiserror::Error)]
pub enum FormsError {
    /// The server's list of forms did not read: this app and the server disagree.
    #[error(
        "the server's list of forms could not be read ({0}). Reload the page to get the \
         newest version of Letsema."
    )]
    Unreadable(String),
    /// The browser would not store them.
    #[error(transparent)]
    NotStored(#[from] StorageError),
}

/// The workspace's state.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceState {
    /// The database, once opened (`Err`: why the browser refuses to keep data).
    pub storage: Option<Result<Storage, String>>,
    /// This module's own reads (shared, not copied, by each new state).
    pub overview: Rc<Overview>,
    /// What waits to be sent and the latest submissions: from the documents' module, so
    /// `None` until it has answered once (`Err` when it cannot be loaded).
    pub documents: Option<Rc<Result<DocumentsOverview, String>>>,
    /// Why the last new draft could not be started.
    pub start_problem: Option<String>,
    /// Why a connection closed under the page could not be opened again.
    pub storage_problem: Option<String>,
    /// Why the forms downloaded at start could not be kept ([`FormsError`]).
    pub forms_problem: Option<String>,
    /// Why the last sync round of this page failed. The round records it in storage too,
    /// which cannot work when storage is what failed (the device is full).
    pub round_failure: Option<String>,
    /// When the server turned the last round of this page away (busy): how long until the
    /// next round on the schedule.
    pub busy: Option<Duration>,
    /// Whether a sync round runs.
    pub syncing: bool,
    /// The screen shown.
    pub screen: Screen,
    /// What the last backup or restore came to.
    pub backup_message: Option<BackupMessage>,
    /// What the first screen says after a submission was finalised or corrected.
    pub notice: Option<Notice>,
    /// The text a long list is narrowed to (the search box of the drafts and the
    /// submissions).
    pub search: String,
}

/// What happened.
#[derive(Debug)]
pub enum Action {
    /// The database opened, or could not.
    StorageOpened(Result<Storage, String>),
    /// This module's reads came back.
    Read(Overview),
    /// The documents' module answered (`None`: what was read is out of date).
    Documents(Option<Result<DocumentsOverview, String>>),
    /// A connection closed under the page was opened again (`None`), or could not be.
    StorageProblem(Option<String>),
    /// The forms downloaded were kept (`None`), or could not be.
    FormsProblem(Option<String>),
    /// A sync round started.
    RoundStarted,
    /// A sync round ended: why it failed, and the wait a busy server asked for.
    RoundEnded {
        failure: Option<String>,
        busy: Option<Duration>,
    },
    /// Show another screen (the search box starts empty, a notice is forgotten).
    Show(Screen),
    /// Back on the first screen after finishing a submission, saying so.
    Done(Notice),
    /// The search box of a list changed.
    Search(String),
    /// A new draft could not be started.
    StartFailed(String),
    /// A backup or restore ended.
    Backup(BackupMessage),
}

impl Reducible for WorkspaceState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        // Unchanged state is handed back as it is, so that nothing is drawn again (what
        // `use_state_eq` did for these).
        match &action {
            Action::StorageProblem(problem) if *problem == self.storage_problem => return self,
            Action::FormsProblem(problem) if *problem == self.forms_problem => return self,
            _ => {}
        }
        let mut next = (*self).clone();
        match action {
            Action::StorageOpened(opened) => next.storage = Some(opened),
            Action::Read(overview) => next.overview = Rc::new(overview),
            Action::Documents(documents) => next.documents = documents.map(Rc::new),
            Action::StorageProblem(problem) => next.storage_problem = problem,
            Action::FormsProblem(problem) => next.forms_problem = problem,
            Action::RoundStarted => next.syncing = true,
            Action::RoundEnded { failure, busy } => {
                next.round_failure = failure;
                next.busy = busy;
                next.syncing = false;
            }
            Action::Show(screen) => {
                next.screen = screen;
                next.search.clear();
                next.notice = None;
            }
            Action::Done(notice) => {
                next.screen = Screen::Home;
                next.search.clear();
                next.notice = Some(notice);
            }
            Action::Search(text) => next.search = text,
            Action::StartFailed(why) => next.start_problem = Some(why),
            Action::Backup(message) => next.backup_message = Some(message),
        }
        Rc::new(next)
    }
}
