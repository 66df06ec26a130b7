//! The storage interface: everything handlers, the validator and the commands ask of the
//! database, as object-safe traits, one per area, gathered in [`Backend`].
//!
//! Handlers hold a [`SharedStore`] (`Arc<dyn Backend>`) and never a concrete database, so
//! that another backend (PostgreSQL, say) can be added beside the embedded SQLite one
//! ([`SqliteStore`](super::SqliteStore)) without touching them. Nothing here names
//! rusqlite: a failure of the database itself travels as a [`DatabaseError`] in the
//! `Database` variant of each area's error, with the same message whatever the backend.
//!
//! Every method blocks: callers run them on tokio's blocking pool (`spawn_blocking`).
//! What each method promises is written here; how SQLite keeps the promise is written in
//! the module that implements it.

use std::fmt::Debug;
use std::sync::Arc;

use letsema_doc::SubmissionDoc;
use letsema_form::model::Form;
use letsema_protocol::DatabaseHealth;
use letsema_protocol::sync::{ChangeHash, DocId};
use letsema_sync::store::ServerStore;

use super::{
    Association, AssociationCode, AssociationError, AssociationName, AssociationScope, AuditEntry,
    AuditPage, AuditQuery, DashboardQuery, DeviceError, DeviceInfo, Enrolment, ExportBatch,
    FormSummary, FoundPair, JudgedSubmission, Neighbour, NewEnrolment, NewUser, PairDecision,
    PairPage, PairQuery, PendingSubmission, PeopleError, PreparedForm, PublicLink, PublishError,
    Published, SessionInfo, StaffUser, SubmissionPage, SubmissionQuery, SubmissionVerdict,
    SyncStoreError, Tally, ValidateError,
};

/// The storage every handler uses, cheap to clone.
pub type SharedStore = Arc<dyn Backend>;

/// A failure of the database itself (a query, a connection, a full disk), whatever the
/// backend. Its message is the backend's own.
pub type DatabaseError = Box<dyn std::error::Error + Send + Sync>;

/// The sync protocol's view of the database for one request (see
/// [`SyncAccess::sync_store`]).
pub type SyncSession<'a> = Box<dyn ServerStore<Error = SyncStoreError> + 'a>;

/// A complete storage backend: every area, and its own health.
pub trait Backend:
    PeopleStore
    + AssociationStore
    + DeviceStore
    + FormStore
    + ValidationStore
    + SubmissionStore
    + DuplicateStore
    + DashboardStore
    + SyncAccess
    + Debug
    + Send
    + Sync
{
    /// Checks that the database answers, and reports its state; a failure is reported as
    /// an unavailable database, not returned.
    fn health(&self) -> DatabaseHealth;
}

/// Staff accounts, sessions, failed logins and the audit log. Password hashing happens
/// outside (in `crate::auth`), never while the database is held.
pub trait PeopleStore {
    /// Creates a staff account (its e-mail address, associations and role checked first,
    /// with [`NewUser::check`]), and records it in the audit log.
    fn add_user(
        &self,
        new: &NewUser,
        actor: &str,
        address: Option<&str>,
    ) -> Result<StaffUser, PeopleError>;

    /// Every enabled staff account, by e-mail address.
    fn list_users(&self) -> Result<Vec<StaffUser>, PeopleError>;

    /// The account and password hash for an e-mail address, if it exists and is enabled.
    fn credentials(&self, email: &str) -> Result<Option<(StaffUser, String)>, PeopleError>;

    /// Recent failed logins to an e-mail address from any network (within
    /// `LOGIN_FAILURE_WINDOW_SECS` of `now`): what slows sign-in down. The lock-out counts
    /// per account and network, in `routes::session::SignInFailures`.
    fn recent_login_failures(&self, email: &str, now: i64) -> Result<u32, PeopleError>;

    /// Counts a failed login (a new window starts after a quiet period).
    fn record_login_failure(&self, email: &str, now: i64) -> Result<(), PeopleError>;

    /// Opens a session after a successful login, forgetting the e-mail address's failed
    /// logins.
    fn open_session(
        &self,
        user: &StaffUser,
        token_sha256: &[u8; 32],
        csrf_token: &str,
        now: i64,
        address: Option<&str>,
    ) -> Result<(), PeopleError>;

    /// The session of a token, if it exists and was used within `idle_timeout_secs`; its
    /// idle clock restarts. An idle session is deleted.
    fn session(
        &self,
        token_sha256: &[u8; 32],
        now: i64,
        idle_timeout_secs: i64,
    ) -> Result<Option<SessionInfo>, PeopleError>;

    /// Ends one session.
    fn close_session(&self, token_sha256: &[u8; 32]) -> Result<(), PeopleError>;

    /// Ends every session of a user ("log out everywhere"); returns how many there were.
    fn close_all_sessions(
        &self,
        user: &StaffUser,
        address: Option<&str>,
    ) -> Result<usize, PeopleError>;

    /// Adds an entry to the audit log (an export, an import, an OData read: what has no
    /// store method of its own to record it).
    fn record_audit(&self, entry: &AuditEntry) -> Result<(), PeopleError>;

    /// A page of the audit log, newest first.
    fn audit_log(&self, query: &AuditQuery) -> Result<AuditPage, PeopleError>;
}

/// Associations' display names. An association is a code wherever it is used (staff
/// accounts, enrolments, devices, submissions); its name is kept here, apart, and every
/// [`DeviceInfo`] a [`DeviceStore`] gives carries it.
pub trait AssociationStore {
    /// Gives an association its display name, or a new one (the code need not be in use
    /// yet), and records it in the audit log (the code, not the name).
    fn name_association(
        &self,
        code: &AssociationCode,
        name: &AssociationName,
        actor: &str,
        address: Option<&str>,
    ) -> Result<Association, AssociationError>;

    /// Every association in use (by a staff account or an enrolment; public links' scopes
    /// aside) or named, by code, with its name if it has one. Which of them a staff member
    /// may see is the caller's rule (`AssociationScope`).
    fn associations(&self) -> Result<Vec<Association>, AssociationError>;
}

/// Enrolments, enrolled devices and public links (enrolments of anonymous browsers). Every
/// [`DeviceInfo`] carries its association's display name, if it has one.
pub trait DeviceStore {
    /// Creates an enrolment whose link carries a secret with this digest; with
    /// [`NewEnrolment::association_name`], names the association in the same transaction
    /// (as [`AssociationStore::name_association`] does).
    fn create_enrolment(
        &self,
        new: &NewEnrolment,
        code_sha256: &[u8; 32],
        address: Option<&str>,
    ) -> Result<Enrolment, DeviceError>;

    /// Enrolments (not public links) of one association, or of all when `association` is
    /// `None`, newest first.
    fn enrolments(&self, association: Option<&str>) -> Result<Vec<Enrolment>, DeviceError>;

    /// Exchanges an enrolment secret for a new device, atomically: the enrolment must be
    /// unexpired, unrevoked and have uses left, and loses one.
    fn enrol_device(
        &self,
        code_sha256: &[u8; 32],
        device_id: &str,
        credential_sha256: &[u8; 32],
        label: &str,
        now: i64,
        address: Option<&str>,
    ) -> Result<DeviceInfo, DeviceError>;

    /// The device a credential belongs to, revoked or not (the caller refuses a revoked
    /// one with its own message). Its last-seen time is kept to the minute.
    fn device_by_credential(
        &self,
        credential_sha256: &[u8; 32],
        now: i64,
    ) -> Result<Option<DeviceInfo>, DeviceError>;

    /// Devices of one association, or of all.
    fn devices(&self, association: Option<&str>) -> Result<Vec<DeviceInfo>, DeviceError>;

    /// One device by id.
    fn device(&self, id: &str) -> Result<Option<DeviceInfo>, DeviceError>;

    /// Revokes a device: its next request is refused.
    fn revoke_device(
        &self,
        id: &str,
        actor: &str,
        address: Option<&str>,
    ) -> Result<(), DeviceError>;

    /// Creates a public link to `form` whose secret has this digest; its submissions land
    /// in the association `public-<id>`.
    fn create_public_link(
        &self,
        form: &str,
        label: &str,
        expires_at: i64,
        created_by: i64,
        code_sha256: &[u8; 32],
        address: Option<&str>,
    ) -> Result<PublicLink, DeviceError>;

    /// Every public link, newest first.
    fn public_links(&self) -> Result<Vec<PublicLink>, DeviceError>;

    /// Revokes a public link and every browser it brought in: the link opens nothing more
    /// and those browsers' next sync is refused. Their submissions already synced stay.
    fn revoke_public_link(
        &self,
        id: i64,
        actor: &str,
        address: Option<&str>,
    ) -> Result<(), DeviceError>;
}

/// Published forms, immutable per (form id, version).
pub trait FormStore {
    /// Publishes a form the importer and the runtime have checked: a [`PreparedForm`] is
    /// made only by [`super::prepare_form`], the same for every backend. Publishing the same
    /// file (or definition) again is a no-op; publishing different content under a
    /// published version is refused.
    fn publish_form(
        &self,
        form: &PreparedForm,
        published_by: &str,
    ) -> Result<Published, PublishError>;

    /// Every published version, newest first within each form.
    fn published_forms(&self) -> Result<Vec<FormSummary>, PublishError>;

    /// The definition of one published version, ready to run.
    fn form_definition(
        &self,
        form_id: &str,
        version: &str,
    ) -> Result<Option<Arc<Form>>, PublishError>;
}

/// The validation queue and the `submissions` projection the validator writes.
pub trait ValidationStore {
    /// How many documents wait for validation.
    fn validation_queue(&self) -> Result<u64, ValidateError>;

    /// How many submission documents are stored.
    fn document_count(&self) -> Result<u64, ValidateError>;

    /// Up to `limit` documents waiting for validation, the longest waiting first (by
    /// [`PendingSubmission::seq`]). The validator judges them (`crate::validator`, with
    /// [`super::project`]) without holding the database.
    fn pending(&self, limit: usize) -> Result<Vec<PendingSubmission>, ValidateError>;

    /// The document loaded at these heads, if the backend keeps loaded documents and has
    /// this one (the sync that committed it usually left it): the validator then need not
    /// load it from its bytes. None by default.
    fn cached_document(&self, doc_id: DocId, heads: &[ChangeHash]) -> Option<SubmissionDoc> {
        let _ = (doc_id, heads);
        None
    }

    /// Records the projections the validator made, in one transaction: each is written
    /// (with its blocking keys, [`JudgedSubmission::keys`], in place of its earlier ones)
    /// unless one made from a later change is there already, and its document leaves the
    /// queue only if it is still queued at the judged [`JudgedSubmission::seq`] (a document
    /// changed meanwhile stays queued). Returns the documents whose projections were written.
    fn record_verdicts(&self, judged: &[JudgedSubmission]) -> Result<Vec<DocId>, ValidateError>;

    /// The projection of one submission, if it was validated.
    fn submission_verdict(
        &self,
        doc_id: &[u8; 16],
    ) -> Result<Option<SubmissionVerdict>, ValidateError>;
}

/// People registered twice: the validated submissions' blocking keys and the candidate pairs
/// (see `super::duplicates`). The keys are written by
/// [`ValidationStore::record_verdicts`], with each projection.
pub trait DuplicateStore {
    /// The submissions, other than `doc_id`, that share one of `keys` and are not withdrawn,
    /// with their answers; a key shared by more than `max_block` submissions is not used (a
    /// shared office phone would cost more than it finds).
    fn neighbours(
        &self,
        doc_id: DocId,
        keys: &[i64],
        max_block: usize,
    ) -> Result<Vec<Neighbour>, ValidateError>;

    /// Records what matching found for `doc_id` now, in one transaction: each pair added
    /// (when new, found now) or its score and explanation brought up to date; a pair already
    /// decided keeps its decision; an open pair of `doc_id` not found any more is deleted.
    fn record_pairs(
        &self,
        doc_id: DocId,
        found: &[FoundPair],
        now_ms: i64,
    ) -> Result<(), ValidateError>;

    /// A page of the pairs `query` asks for.
    fn duplicate_pairs(&self, query: &PairQuery) -> Result<PairPage, ValidateError>;

    /// Records a reviewer's decision about the pair (`None` opens it again), if both its
    /// submissions are within `scope`, with an audit entry (`duplicates.decide`); returns
    /// whether there was such a pair.
    #[allow(clippy::too_many_arguments)]
    fn decide_pair(
        &self,
        pair: (DocId, DocId),
        decision: Option<PairDecision>,
        scope: &AssociationScope,
        decided_by: &str,
        actor: &str,
        address: Option<&str>,
    ) -> Result<bool, ValidateError>;
}

/// The staff's table of submissions, read from the projection the validator writes.
pub trait SubmissionStore {
    /// One page of the submissions `query` asks for, within its scope, newest (or oldest)
    /// first by creation time, after its cursor. Every filter is served by an index (the
    /// projection's, its text index, `submission_choices`): a page costs what it reads, not
    /// what is stored.
    fn submissions(&self, query: &SubmissionQuery) -> Result<SubmissionPage, ValidateError>;

    /// One batch of an export: the rows `query` asks for (its `limit` is the batch's size,
    /// unbounded by the table's page size), each with its answers and comments, after its
    /// cursor, read as [`Self::submissions`] reads a page.
    fn export_batch(&self, query: &SubmissionQuery) -> Result<ExportBatch, ValidateError>;
}

/// The dashboard's counts, read from the projection the validator writes.
pub trait DashboardStore {
    /// Counts the submissions `query` selects (within its scope, with the table's filters,
    /// never withdrawn ones nor merged duplicates) by every chart of the dashboard, in one
    /// read: one pass over the selected rows, each submission's counted answers read once
    /// (see `super::dashboard`). Its cost grows with the submissions selected, not with
    /// the number of charts.
    fn dashboard_counts(&self, query: &DashboardQuery) -> Result<Tally, ValidateError>;
}

/// The sync protocol's storage.
pub trait SyncAccess {
    /// The sync view for one request, which keeps the transactional contract of
    /// `letsema_sync::store` (a commit is atomic and durable before it returns).
    fn sync_store(&self) -> Result<SyncSession<'_>, SyncStoreError>;

    /// Gives the database a new sync epoch (after a restore), so that every device repairs
    /// instead of trusting its cursor.
    fn renew_sync_epoch(&self) -> Result<(), SyncStoreError>;
}
