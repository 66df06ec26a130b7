//! Copying a whole installation from one backend to another (`letsema migrate`): the rows of
//! every table in types that name no database, what a backend reads them through
//! ([`TransferSource`], SQLite's in `sqlite/export.rs`) and the error and summary of a copy.
//! PostgreSQL writes them (`postgres/import.rs`).
//!
//! Every id is kept (staff accounts, enrolments, audit entries, the change log's sequence
//! numbers), and so are the sync epoch and the database's creation time: a phone's pull
//! cursor is a change log number under an epoch, so with both kept, every phone goes on
//! syncing from where it was, without re-enrolling and without a repair.

use std::time::Duration;

use super::DatabaseError;

/// The tables a copy carries, in the order they are written (each after those it
/// references).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Table {
    Instance,
    FormVersions,
    Users,
    UserAssociations,
    Sessions,
    LoginFailures,
    AuditLog,
    Associations,
    Enrolments,
    Devices,
    Documents,
    ChangeLog,
    Submissions,
    ValidationQueue,
    MatchKeys,
    DuplicatePairs,
}

impl Table {
    /// Every table, in the order a copy writes them.
    pub const ALL: [Table; 16] = [
        Table::Instance,
        Table::FormVersions,
        Table::Users,
        Table::UserAssociations,
        Table::Sessions,
        Table::LoginFailures,
        Table::AuditLog,
        Table::Associations,
        Table::Enrolments,
        Table::Devices,
        Table::Documents,
        Table::ChangeLog,
        Table::Submissions,
        Table::ValidationQueue,
        Table::MatchKeys,
        Table::DuplicatePairs,
    ];

    /// Its name in both databases' schemas.
    pub fn name(self) -> &'static str {
        match self {
            Table::Instance => "instance",
            Table::FormVersions => "form_versions",
            Table::Users => "users",
            Table::UserAssociations => "user_associations",
            Table::Sessions => "sessions",
            Table::LoginFailures => "login_failures",
            Table::AuditLog => "audit_log",
            Table::Associations => "associations",
            Table::Enrolments => "enrolments",
            Table::Devices => "devices",
            Table::Documents => "documents",
            Table::ChangeLog => "change_log",
            Table::Submissions => "submissions",
            Table::ValidationQueue => "validation_queue",
            Table::MatchKeys => "match_keys",
            Table::DuplicatePairs => "duplicate_pairs",
        }
    }
}

impl std::fmt::Display for Table {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The database's identity: what a copy keeps so that phones trust their cursors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    pub created_at: String,
    pub sync_epoch: i64,
    /// The highest change log number ever handed out (at least the highest stored): the
    /// next commit takes the number after it, on either side.
    pub log_sequence: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormVersionRow {
    pub form_id: String,
    pub version: String,
    pub title: String,
    pub definition: String,
    pub source_name: String,
    pub source: Vec<u8>,
    pub source_sha256: String,
    pub published_at: String,
    pub published_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub role: String,
    pub password_hash: String,
    pub created_at: String,
    pub disabled_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAssociationRow {
    pub user_id: i64,
    pub association: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_sha256: Vec<u8>,
    pub user_id: i64,
    pub csrf_token: String,
    pub created_at: i64,
    pub last_seen_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginFailureRow {
    pub email: String,
    pub failures: i64,
    pub last_failure_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub detail: String,
    /// The network address the action came from, if it came from one.
    pub address: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationRow {
    pub code: String,
    pub name: String,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentRow {
    pub id: i64,
    pub code_sha256: Vec<u8>,
    pub association: String,
    pub forms: String,
    pub label: String,
    pub expires_at: i64,
    pub uses_left: i64,
    pub created_by: i64,
    pub created_at: String,
    pub revoked_at: Option<String>,
    pub public: bool,
    /// The device it makes a new phone into. Devices reference enrolments and this
    /// references a device, so a copy writes it once the devices are there.
    pub replaces: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub id: String,
    pub credential_sha256: Vec<u8>,
    pub association: String,
    pub forms: String,
    pub label: String,
    pub enrolment_id: Option<i64>,
    pub created_at: String,
    pub last_seen_at: Option<i64>,
    pub revoked_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    pub doc_id: Vec<u8>,
    pub creator: String,
    pub association: Option<String>,
    /// Empty when the document is its change log entry at `last_seq` (its first push).
    pub bytes: Vec<u8>,
    pub heads: Vec<u8>,
    pub last_seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRow {
    pub seq: i64,
    pub doc_id: Vec<u8>,
    pub origin: String,
    pub changes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubmissionRow {
    pub doc_id: Vec<u8>,
    pub form_id: String,
    pub form_version: String,
    pub created_at: i64,
    pub review_status: String,
    pub withdrawn: bool,
    pub instance_name: Option<String>,
    /// The answers as JSON text.
    pub answers: String,
    pub complete: bool,
    pub issues: String,
    pub validated_seq: i64,
    pub validated_at: i64,
    pub association: Option<String>,
    pub conflicts: i64,
    /// What the staff's text search finds it by.
    pub search: String,
    /// Its choices, a JSON array of `[question, value]` pairs (the target's trigger fills
    /// `submission_choices` from them).
    pub choices: String,
    /// The reviewers' comments, a JSON array.
    pub comments: String,
    /// The submission it was merged into as a duplicate.
    pub duplicate_of: Option<Vec<u8>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueRow {
    pub doc_id: Vec<u8>,
    pub seq: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchKeyRow {
    pub key: i64,
    pub doc_id: Vec<u8>,
}

/// A candidate pair and its decision (`store::duplicates`).
#[derive(Debug, Clone, PartialEq)]
pub struct DuplicatePairRow {
    pub first: Vec<u8>,
    pub second: Vec<u8>,
    pub score: f64,
    pub explanation: String,
    pub found_at: i64,
    pub decision: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<i64>,
}

/// Some rows of one table (every table but `instance`, which is one row).
#[derive(Debug, Clone, PartialEq)]
pub enum Batch {
    FormVersions(Vec<FormVersionRow>),
    Users(Vec<UserRow>),
    UserAssociations(Vec<UserAssociationRow>),
    Sessions(Vec<SessionRow>),
    LoginFailures(Vec<LoginFailureRow>),
    AuditLog(Vec<AuditRow>),
    Associations(Vec<AssociationRow>),
    Enrolments(Vec<EnrolmentRow>),
    Devices(Vec<DeviceRow>),
    Documents(Vec<DocumentRow>),
    ChangeLog(Vec<ChangeRow>),
    Submissions(Vec<SubmissionRow>),
    ValidationQueue(Vec<QueueRow>),
    MatchKeys(Vec<MatchKeyRow>),
    DuplicatePairs(Vec<DuplicatePairRow>),
}

impl Batch {
    /// How many rows it holds.
    pub fn len(&self) -> usize {
        match self {
            Batch::FormVersions(rows) => rows.len(),
            Batch::Users(rows) => rows.len(),
            Batch::UserAssociations(rows) => rows.len(),
            Batch::Sessions(rows) => rows.len(),
            Batch::LoginFailures(rows) => rows.len(),
            Batch::AuditLog(rows) => rows.len(),
            Batch::Associations(rows) => rows.len(),
            Batch::Enrolments(rows) => rows.len(),
            Batch::Devices(rows) => rows.len(),
            Batch::Documents(rows) => rows.len(),
            Batch::ChangeLog(rows) => rows.len(),
            Batch::Submissions(rows) => rows.len(),
            Batch::ValidationQueue(rows) => rows.len(),
            Batch::MatchKeys(rows) => rows.len(),
            Batch::DuplicatePairs(rows) => rows.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The table its rows belong to.
    pub fn table(&self) -> Table {
        match self {
            Batch::FormVersions(_) => Table::FormVersions,
            Batch::Users(_) => Table::Users,
            Batch::UserAssociations(_) => Table::UserAssociations,
            Batch::Sessions(_) => Table::Sessions,
            Batch::LoginFailures(_) => Table::LoginFailures,
            Batch::AuditLog(_) => Table::AuditLog,
            Batch::Associations(_) => Table::Associations,
            Batch::Enrolments(_) => Table::Enrolments,
            Batch::Devices(_) => Table::Devices,
            Batch::Documents(_) => Table::Documents,
            Batch::ChangeLog(_) => Table::ChangeLog,
            Batch::Submissions(_) => Table::Submissions,
            Batch::ValidationQueue(_) => Table::ValidationQueue,
            Batch::MatchKeys(_) => Table::MatchKeys,
            Batch::DuplicatePairs(_) => Table::DuplicatePairs,
        }
    }
}

/// At most this many rows in one batch.
pub const BATCH_ROWS: usize = 2_000;

/// A batch stops growing once its rows hold this many bytes (documents and change log
/// entries are large): a copy holds about one batch in memory at a time.
pub const BATCH_BYTES: usize = 8 << 20;

/// A document's id and its heads (the stored sorted hashes, concatenated), as both
/// backends keep them.
pub type DocHeads = (Vec<u8>, Vec<u8>);

/// An installation read for a copy, every read from one consistent snapshot.
pub trait TransferSource {
    /// The database's identity.
    fn instance(&mut self) -> Result<InstanceRow, DatabaseError>;

    /// How many rows `table` holds.
    fn count(&mut self, table: Table) -> Result<u64, DatabaseError>;

    /// The next rows of `table` (at most [`BATCH_ROWS`], about [`BATCH_BYTES`]), in a
    /// stable order; an empty batch once every row has been given. Not for
    /// [`Table::Instance`] ([`TransferSource::instance`]).
    fn next_batch(&mut self, table: Table) -> Result<Batch, DatabaseError>;

    /// Up to `limit` documents' ids and heads after the id `after` (empty: from the
    /// first), by id in byte order.
    fn heads_after(&mut self, after: &[u8], limit: usize) -> Result<Vec<DocHeads>, DatabaseError>;
}

/// Why a copy failed. Nothing was written to the target when one is returned: the copy is
/// one transaction.
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    /// The source could not be read.
    #[error("cannot read {table} from the SQLite database: {source}")]
    Read {
        table: Table,
        #[source]
        source: DatabaseError,
    },
    /// The target refused a write.
    #[error(
        "cannot write {table} to the PostgreSQL database: {source}. Nothing was copied; fix \
         the cause and run the migration again"
    )]
    Write {
        table: Table,
        #[source]
        source: DatabaseError,
    },
    /// The target holds data already.
    #[error(
        "the PostgreSQL database {target} is not empty ({table} has rows): migrate into a \
         new, empty database (createdb NAME), never over one in use"
    )]
    NotEmpty { target: String, table: Table },
    /// The target's rows could not be read back to verify the copy.
    #[error("cannot read {table} back from the PostgreSQL database: {source}")]
    Verify {
        table: Table,
        #[source]
        source: DatabaseError,
    },
}

/// What a migration copied and verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationSummary {
    /// Rows copied, per table, in [`Table::ALL`]'s order (equal on both sides).
    pub rows: Vec<(Table, u64)>,
    /// Documents whose heads were compared on both sides (every one).
    pub documents_verified: u64,
    /// The sync epoch both databases have.
    pub sync_epoch: u64,
    /// The last change log number both databases have.
    pub last_seq: u64,
    /// From opening the databases to the end of the verification.
    pub elapsed: Duration,
}

impl MigrationSummary {
    /// All rows copied.
    pub fn total_rows(&self) -> u64 {
        self.rows.iter().map(|(_, rows)| rows).sum()
    }
}
