//! The submission documents' half of the app: everything that opens an automerge document.
//!
//! The app is two WebAssembly modules (see `ARCHITECTURE.md`). The first draws every
//! screen and runs the form engine; it never opens a submission document, so automerge is
//! not part of what a phone downloads and compiles before the first screen. This module is
//! what the second one does: this crate exports these functions to JavaScript, and the
//! first module calls them through its `bridge` with the messages of
//! [`letsema_web_shared::messages`].
//!
//! Everything here reads and writes the same IndexedDB database as the first module,
//! through its own connection ([`storage`]); writes merge with what is stored, so the two
//! modules (and two tabs) never overwrite each other.
//!
//! When the browser refuses a write, nothing typed is lost: a connection closed under the
//! page is replaced by a new one, and answers the browser would not store (the device is
//! full) are kept in memory and written by the next save that succeeds (`keep_unsaved`).
//! Tests: `tests/documents.rs`, `tests/faults.rs`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::future::Future;

use letsema_answers::{Answer, Answers};
use letsema_doc::{
    AnswerPath, AssociationId, DeviceId, DocError, FormId, FormVersion, IdError, NewSubmission,
    SessionId, SubmissionDoc, SubmissionId, Timestamp, Writer,
};
use letsema_ids::DocId;
use letsema_sync::client::{Client, ClientConfig};
use letsema_sync::client_store::ClientStore;
use letsema_web_shared::messages::{
    DocumentsOverview, Edit, FillKind, OpenRequest, RepeatChange, RepeatEdit, SentItem,
    StartRequest, SyncOutcome, SyncRequest, WriterRequest,
};
use letsema_web_shared::random_bytes;

use crate::storage::{
    Backups, DocumentStorage, IdbClientStore, ImportReport, OpenStored, Storage, StorageError,
    now_ms,
};
use crate::sync::sync_round;

/// Why the documents' module could not do what the screens asked. Every message says what
/// happened and what to do; the screens show it as it is (in English).
#[derive(Debug, thiserror::Error)]
pub enum DocumentsError {
    /// The app's database refused, in its own words.
    #[error(transparent)]
    Storage(#[from] StorageError),
    /// The device id the enrolment gave does not read.
    #[error("this device's enrolment is damaged ({0}): enrol it again")]
    Enrolment(IdError),
    /// A request named an id that is not one (a form, a version, an association, a
    /// session): the two modules disagree.
    #[error(transparent)]
    Id(#[from] IdError),
    /// The submission document refused the change (a repeat instance removed on another
    /// device, say): nothing was written.
    #[error(transparent)]
    Document(#[from] DocError),
    /// An answer edit carried a repeat's instances, which change one at a time.
    #[error(
        "The app's two parts disagree: `{0}` was given repeat instances as an answer, but \
         instances are added and removed one at a time. Nothing was written; reload the page \
         to get one version."
    )]
    RepeatAsAnswer(String),
    /// A repeat edit named no instance.
    #[error("a repeat edit without an instance")]
    NoInstance,
    /// The repeat instance an edit names is gone (removed in another tab or on another
    /// device).
    #[error("that repeat instance is gone")]
    InstanceGone,
    /// An enclosing repeat instance (1-based `number` of `repeat`) is gone.
    #[error("instance {number} of {repeat} is gone")]
    EnclosingInstanceGone {
        /// Its number, counting from 1.
        number: usize,
        /// The repeat's name.
        repeat: String,
    },
    /// The browser would not store the latest answers: they are kept in this page's memory
    /// and saved as soon as it allows.
    #[error(
        "The latest answers could not be saved yet: {0} Letsema keeps them while this page is \
         open and saves them as soon as the device allows: do not close Letsema until then."
    )]
    NotSavedYet(StorageError),
    /// Finalising failed: the submission is still a draft.
    #[error(
        "The submission was not finalised: it is still a draft. Go back to the list and open \
         it again to finalise it once this is solved. {0}"
    )]
    NotFinalised(Box<DocumentsError>),
}

thread_local! {
    static STORAGE: RefCell<Option<Storage>> = const { RefCell::new(None) };
    /// Answers the browser refused to store (the device is full, the connection was lost),
    /// by submission: see [`keep_unsaved`].
    static UNSAVED: RefCell<BTreeMap<DocId, Unsaved>> = const { RefCell::new(BTreeMap::new()) };
    /// Whether [`retry_unsaved`]'s loop runs.
    static RETRYING: Cell<bool> = const { Cell::new(false) };
    /// Asks the person to stay while answers are unsaved (see [`keep_unsaved`]).
    static STAY: RefCell<Option<gloo_events::EventListener>> = const { RefCell::new(None) };
}

/// This module's connection to the app's database, opened on first use, and opened again
/// when the browser closed it under the page.
///
/// # Errors
///
/// Why the database cannot be opened, in words a person can act on.
pub async fn storage() -> Result<Storage, StorageError> {
    connection().await
}

/// [`storage`], with the error as it is.
async fn connection() -> Result<Storage, StorageError> {
    // A connection closed under the page (the browser closed it, or another tab upgraded or
    // deleted the database) fails every call with `Closed`: open a new one rather than
    // leave the page stuck until a reload, which would lose what is only in memory.
    if let Some(storage) = STORAGE.with_borrow(Clone::clone)
        && !storage.is_closed()
    {
        return Ok(storage);
    }
    open_connection().await
}

/// The cached connection as it is, without [`connection`]'s check (a transaction of its
/// own), or a new one when there is none: for [`write`], which opens a new one itself when
/// this one turns out to be closed.
async fn cached_connection() -> Result<Storage, StorageError> {
    match STORAGE.with_borrow(Clone::clone) {
        Some(storage) => Ok(storage),
        None => open_connection().await,
    }
}

/// A new connection to the app's database, cached for the next calls.
async fn open_connection() -> Result<Storage, StorageError> {
    let opened = Storage::open_default().await?;
    STORAGE.with_borrow_mut(|slot| *slot = Some(opened.clone()));
    Ok(opened)
}

/// Closes this module's connection; the next call opens a new one. For what deletes or
/// replaces the database under it (the tests do).
pub fn close_storage() {
    if let Some(storage) = STORAGE.with_borrow_mut(Option::take) {
        storage.close();
    }
}

/// Drops the cached connection when the browser closed it (a newer app took over), so the
/// next call opens a new one.
fn forget_closed<T>(result: Result<T, StorageError>) -> Result<T, StorageError> {
    if matches!(result, Err(StorageError::Closed)) {
        STORAGE.with_borrow_mut(|slot| *slot = None);
    }
    result
}

/// The writer a request names.
///
/// # Errors
///
/// When the device id or the session is not one (the enrolment is damaged: enrol again).
pub fn writer(request: &WriterRequest) -> Result<Writer, DocumentsError> {
    let device = DeviceId::parse(&request.device).map_err(DocumentsError::Enrolment)?;
    let session = SessionId::from_bytes(&request.session)?;
    Ok(Writer::new(device, session, None))
}

/// Starts a new submission and saves it as a draft; its id.
///
/// # Errors
///
/// What went wrong, in words a person can act on.
pub async fn start_draft(request: &StartRequest) -> Result<DocId, DocumentsError> {
    let started = Timestamp(now_ms());
    let new = NewSubmission {
        submission_id: SubmissionId::new_v7(started, random_bytes::<16>()),
        form_id: FormId::parse(&request.form_id)?,
        form_version: FormVersion::parse(&request.form_version)?,
        association: Some(AssociationId::parse(&request.association)?),
    };
    let mut doc = SubmissionDoc::create(new, writer(&request.writer)?, started)?;
    let storage = storage().await?;
    let draft = forget_closed(
        storage
            .put_draft(&mut doc, request.language.as_deref())
            .await,
    )?;
    Ok(draft.id)
}

/// A draft, or a finalised submission being corrected, open for filling in.
#[derive(Debug)]
pub struct OpenSubmission {
    doc: SubmissionDoc,
    kind: FillKind,
    language: Option<String>,
    /// Its name, as the screens last computed it (the stored one until they do).
    name: Option<String>,
}

/// A submission whose latest answers the browser refused to store.
#[derive(Debug, Clone)]
struct Unsaved {
    doc: SubmissionDoc,
    kind: FillKind,
    language: Option<String>,
    name: Option<String>,
}

/// Writes `doc` where `kind` belongs, named `name`, merged with what is stored (`doc` takes
/// the stored changes in). A connection closed under the page is replaced by a new one,
/// once.
async fn write(
    doc: &mut SubmissionDoc,
    kind: FillKind,
    language: Option<&str>,
    name: Option<&str>,
) -> Result<(), StorageError> {
    let mut reopened = false;
    loop {
        // Not checked first (that would cost every save a transaction more): on a closed
        // connection the write cannot start, so it fails with `Closed` having done nothing.
        let storage = cached_connection().await?;
        let saved = match kind {
            FillKind::Draft => storage
                .put_named_draft(doc, language, name)
                .await
                .map(|_| ()),
            FillKind::Correction => storage.put_named_document(doc, name).await.map(|_| ()),
        };
        match saved {
            // The connection was closed under the page: once more, on a new connection.
            Err(StorageError::Closed) if !reopened => {
                reopened = true;
                STORAGE.with_borrow_mut(|slot| *slot = None);
            }
            other => return other,
        }
    }
}

/// Keeps `doc`, whose save the browser refused, until a save succeeds.
///
/// Why: an answer is written into the open document at once and saved after; when the save
/// fails (the device is full, the connection was lost), the answer exists only in this
/// page's memory. Kept only in the open submission, it was lost when the person went back to
/// the list (or the save was never tried again when they typed nothing more). Kept here, it
/// is written by the next save that succeeds (the next answer, Finalise, or
/// [`retry_unsaved`] every few seconds), and a draft opened again in this page shows it.
/// While anything waits, leaving the page asks the person to confirm.
fn keep_unsaved(id: DocId, mut kept: Unsaved) {
    UNSAVED.with_borrow_mut(|unsaved| {
        if let Some(earlier) = unsaved.get_mut(&id) {
            let _ = kept.doc.merge(&mut earlier.doc);
        }
        unsaved.insert(id, kept);
    });
    STAY.with_borrow_mut(|stay| {
        if stay.is_none() {
            *stay = web_sys::window().map(|window| {
                gloo_events::EventListener::new_with_options(
                    &window,
                    "beforeunload",
                    gloo_events::EventListenerOptions::enable_prevent_default(),
                    |event| {
                        event.prevent_default();
                        let _ = js_sys::Reflect::set(event, &"returnValue".into(), &"".into());
                    },
                )
            });
        }
    });
    retry_unsaved();
}

/// Forgets what [`keep_unsaved`] kept of `id` once `saved` (what was just stored) holds it.
fn settle(id: DocId, saved: &mut SubmissionDoc) {
    UNSAVED.with_borrow_mut(|unsaved| {
        let covered = unsaved
            .get_mut(&id)
            .is_some_and(|kept| saved.has_changes(&kept.doc.heads()));
        if covered {
            unsaved.remove(&id);
        }
        if unsaved.is_empty() {
            STAY.with_borrow_mut(|stay| *stay = None);
        }
    });
}

/// How many submissions hold answers not yet stored (kept in memory, see
/// [`keep_unsaved`]).
pub fn unsaved_count() -> usize {
    UNSAVED.with_borrow(BTreeMap::len)
}

/// Tries to store what [`keep_unsaved`] kept, after 1 s, then waiting twice as long each
/// time up to 10 s, until nothing waits.
fn retry_unsaved() {
    if RETRYING.replace(true) {
        return;
    }
    wasm_bindgen_futures::spawn_local(async {
        let mut delay_ms = 1_000;
        loop {
            letsema_web_shared::sleep_ms(delay_ms).await;
            let ids: Vec<DocId> = UNSAVED.with_borrow(|unsaved| unsaved.keys().copied().collect());
            if ids.is_empty() {
                break;
            }
            for id in ids {
                // What is kept now: a save since the list was read may have stored it.
                let Some(kept) = UNSAVED.with_borrow(|unsaved| unsaved.get(&id).cloned()) else {
                    continue;
                };
                let mut doc = kept.doc;
                let (language, name) = (kept.language.as_deref(), kept.name.as_deref());
                if write(&mut doc, kept.kind, language, name).await.is_ok() {
                    settle(id, &mut doc);
                }
            }
            delay_ms = (delay_ms * 2).min(10_000);
        }
        RETRYING.set(false);
    });
}

impl OpenSubmission {
    /// Opens the draft (or, for a correction, the submission) `request` names.
    ///
    /// # Errors
    ///
    /// When it is gone (finalised or deleted in another tab) or does not load.
    pub async fn open(request: &OpenRequest) -> Result<OpenSubmission, DocumentsError> {
        let storage = storage().await?;
        let writer = writer(&request.writer)?;
        let (mut doc, name) = match request.kind {
            FillKind::Draft => forget_closed(storage.draft(request.id).await)?
                .ok_or_else(|| StorageError::DraftNotFound {
                    id: request.id.to_string(),
                })
                .and_then(|draft| Ok((draft.open(writer)?, draft.name))),
            FillKind::Correction => forget_closed(storage.document(request.id).await)?
                .ok_or_else(|| StorageError::Document {
                    id: request.id.to_string(),
                    reason: "it is no longer on this device".to_owned(),
                })
                .and_then(|document| Ok((document.open(writer)?, document.name))),
        }?;
        // Answers of it that this page could not store yet (see `keep_unsaved`): shown
        // again, and saved with the next answer.
        if let Some(mut kept) = UNSAVED.with_borrow(|unsaved| unsaved.get(&request.id).cloned()) {
            doc.merge(&mut kept.doc)?;
        }
        Ok(OpenSubmission {
            doc,
            kind: request.kind,
            language: request.language.clone(),
            name,
        })
    }

    /// Its answers so far.
    pub fn answers(&self) -> Answers {
        self.doc.answers()
    }

    /// Names it `name` (the form's `instance_name` as the screens computed it; `None`: it
    /// has none) from the next save on: each edit's and Finalise's.
    pub fn set_name(&mut self, name: Option<String>) {
        self.name = name;
    }

    /// Writes one edit into the document at once; the returned future saves it (merged
    /// with what is stored, never overwriting).
    ///
    /// # Errors
    ///
    /// When the document refuses the edit (a repeat instance removed on another device,
    /// say); nothing was written.
    pub fn edit(
        &mut self,
        edit: &Edit,
    ) -> Result<impl Future<Output = Result<(), DocumentsError>> + 'static, DocumentsError> {
        apply(&mut self.doc, edit)?;
        Ok(self.save())
    }

    /// Saves the document where its kind belongs. When the browser refuses, the answers
    /// are kept in memory and saved later ([`keep_unsaved`]), and the error says so.
    fn save(&self) -> impl Future<Output = Result<(), DocumentsError>> + 'static {
        // A copy, kept in memory when the browser refuses it.
        let mut copy = Unsaved {
            doc: self.doc.clone(),
            kind: self.kind,
            language: self.language.clone(),
            name: self.name.clone(),
        };
        let id = DocId::from(&self.doc.meta().submission_id);
        async move {
            let (language, name) = (copy.language.as_deref(), copy.name.as_deref());
            match write(&mut copy.doc, copy.kind, language, name).await {
                Ok(()) => {
                    settle(id, &mut copy.doc);
                    Ok(())
                }
                Err(error) => {
                    keep_unsaved(id, copy);
                    Err(DocumentsError::NotSavedYet(error))
                }
            }
        }
    }

    /// Saves the last answers, then moves a draft to the submissions to send (a correction
    /// is already among them).
    pub fn finalise(&self) -> impl Future<Output = Result<(), DocumentsError>> + 'static {
        let save = self.save();
        let kind = self.kind;
        let id = DocId::from(&self.doc.meta().submission_id);
        async move {
            if kind == FillKind::Correction {
                return save.await;
            }
            // The form view counts a Finalise press as done: to try again, the person opens
            // the draft again from the list (nothing is lost, see `keep_unsaved`).
            let not_finalised = |why: DocumentsError| DocumentsError::NotFinalised(Box::new(why));
            save.await.map_err(not_finalised)?;
            let finalised = match connection().await {
                Ok(storage) => storage.finalise(id).await,
                Err(error) => Err(error),
            };
            forget_closed(finalised)
                .map(|_| ())
                .map_err(|error| not_finalised(error.into()))
        }
    }
}

/// Writes `edit` into `doc`.
///
/// # Errors
///
/// When the document refuses it (a repeat instance removed on another device, say).
pub fn apply(doc: &mut SubmissionDoc, edit: &Edit) -> Result<(), DocumentsError> {
    let at = Timestamp(now_ms());
    match edit {
        Edit::Answer {
            repeats,
            instance,
            field,
            value,
        } => {
            if let Answer::Repeat(_) = value {
                return Err(DocumentsError::RepeatAsAnswer(field.clone()));
            }
            let path = locate(doc, repeats, instance, field)?;
            Ok(doc.set_answer_at(&path, value, at)?)
        }
        Edit::Repeat(RepeatEdit {
            repeats,
            instance,
            repeat,
            change,
        }) => {
            let (own, outer) = instance.split_last().ok_or(DocumentsError::NoInstance)?;
            let path = locate(doc, repeats, outer, repeat)?;
            match change {
                RepeatChange::Added => {
                    doc.add_repeat_instance(&path, &Answers::new(), at)?;
                    Ok(())
                }
                RepeatChange::Removed => {
                    let instances = doc.repeat_instances(&path);
                    let instance = instances.get(*own).ok_or(DocumentsError::InstanceGone)?;
                    Ok(doc.remove_repeat_instance(&path, &instance.id, at)?)
                }
            }
        }
    }
}

/// The path of `field` inside the repeat instances named by `repeats` and `instance`.
fn locate(
    doc: &SubmissionDoc,
    repeats: &[String],
    instance: &[usize],
    field: &str,
) -> Result<AnswerPath, DocumentsError> {
    let Some((first, _)) = repeats.split_first() else {
        return Ok(AnswerPath::field(field));
    };
    let mut path = AnswerPath::field(first.clone());
    for (depth, index) in instance.iter().enumerate().take(repeats.len()) {
        let instances = doc.repeat_instances(&path);
        let id = instances.get(*index).map(|i| i.id.clone()).ok_or_else(|| {
            DocumentsError::EnclosingInstanceGone {
                number: index + 1,
                repeat: repeats[depth].clone(),
            }
        })?;
        let next = repeats.get(depth + 1).map_or(field, String::as_str);
        path = path.child(&id, next);
    }
    Ok(path)
}

/// One sync round as this device, its outcome recorded in storage.
pub async fn sync(request: &SyncRequest) -> SyncOutcome {
    let store = match storage().await {
        Ok(store) => store,
        Err(why) => return SyncOutcome::Failed(why.to_string()),
    };
    let outcome = match (
        writer(&request.writer),
        forget_closed(IdbClientStore::open(&store).await),
    ) {
        (Ok(writer), Ok(client_store)) => {
            let never_synced = client_store
                .state()
                .is_ok_and(|state| state.cursor.is_none());
            let mut client = Client::new(ClientConfig::new(writer), client_store);
            if request.replaced && never_synced {
                // The device's own submissions are not in the pull (the server counts them
                // as this device's, so as held): compare summaries and fetch them.
                client.start_repair();
            }
            sync_round(&mut client, &request.credential).await
        }
        (Err(why), _) => SyncOutcome::Failed(why.to_string()),
        (_, Err(why)) => SyncOutcome::Failed(why.to_string()),
    };
    let recorded = match &outcome {
        SyncOutcome::Done { .. } => store.record_sync_success(now_ms()).await,
        SyncOutcome::Unreachable => {
            store
                .record_sync_error(now_ms(), "the server could not be reached (offline?)")
                .await
        }
        SyncOutcome::Busy(_) => {
            store
                .record_sync_error(
                    now_ms(),
                    "the server was busy and took nothing; everything waits on this device for \
                     the next try",
                )
                .await
        }
        SyncOutcome::Revoked(why) | SyncOutcome::Failed(why) => {
            store.record_sync_error(now_ms(), why).await
        }
    };
    let _ = forget_closed(recorded);
    outcome
}

/// What waits to be sent, and the latest `shown` finalised submissions with the
/// reviewers' verdicts and comments.
///
/// # Errors
///
/// When the stored submissions cannot be read.
pub async fn overview(shown: usize) -> Result<DocumentsOverview, StorageError> {
    let store = storage().await?;
    let mut documents = forget_closed(store.documents().await)?;
    let unsynced: Vec<i64> = documents
        .iter()
        .filter(|document| document.is_unsynced())
        .map(|document| document.changed_at_ms)
        .collect();
    // Read only: this writer never writes.
    let reader = DeviceId::parse("letsema-app-reader")
        .ok()
        .zip(SessionId::from_bytes(&[0; 16]).ok())
        .map(|(device, session)| Writer::new(device, session, None));
    let finalised = u32::try_from(documents.len()).unwrap_or(u32::MAX);
    documents.sort_by_key(|document| std::cmp::Reverse(document.changed_at_ms));
    let sent = documents
        .into_iter()
        .take(shown)
        .filter_map(|document| {
            let unsynced = document.is_unsynced();
            let loaded = document.open(reader.clone()?).ok()?;
            let review = loaded.review();
            Some(SentItem {
                id: document.id,
                form_id: loaded.meta().form_id.as_str().to_owned(),
                changed_at_ms: document.changed_at_ms,
                unsynced,
                status: review.status,
                comments: review.comments.into_iter().map(|c| c.text).collect(),
                name: document.name,
                started_at_ms: Some(loaded.meta().created_at.0),
            })
        })
        .collect();
    Ok(DocumentsOverview {
        unsynced: u32::try_from(unsynced.len()).unwrap_or(u32::MAX),
        oldest_unsynced_ms: unsynced.iter().copied().min(),
        finalised,
        sent,
    })
}

/// A backup file of every draft and every unsynced submission.
///
/// # Errors
///
/// Why it could not be made.
pub async fn export_backup() -> Result<Vec<u8>, StorageError> {
    let store = storage().await?;
    forget_closed(store.export_backup().await)
}

/// Brings a backup file's drafts and submissions back, merged with what is stored.
///
/// # Errors
///
/// Why the file cannot be read (too large, not a backup).
pub async fn import_backup(bytes: &[u8]) -> Result<ImportReport, StorageError> {
    let store = storage().await?;
    forget_closed(store.import_backup(bytes).await)
}
