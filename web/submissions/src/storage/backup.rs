//! Backups: a file holding every unsynced submission and every draft, to carry work off a
//! phone whose browser might lose it, and to bring it back.
//!
//! The file is JSON (format [`BACKUP_FORMAT`], version [`BACKUP_VERSION`]):
//!
//! ```json
//! {
//!   "format": "letsema-backup",
//!   "version": 1,
//!   "app_version": "0.1.0",
//!   "exported_at": "2026-06-01T10:00:00.000Z",
//!   "exported_at_ms": 1780308000000,
//!   "device_id": "phone-1",
//!   "documents": [{"id": "…uuid…", "changed_at_ms": 1780307000000, "bytes": "…base64…",
//!                  "name": "Mokoena, Palesa"}],
//!   "drafts": [{"id": "…", "form_id": "…", "form_version": "…", "language": "English (en)",
//!               "updated_at_ms": 1780307500000, "bytes": "…base64…", "name": "Mokhele, Thabo"}]
//! }
//! ```
//!
//! `name` (the submission's name as the app last saved it) is absent when there is none, and
//! from files of earlier versions; the name stored on the device wins over the file's.
//!
//! `bytes` is the saved automerge document (standard base64, padded). Importing merges each
//! submission into what is stored (automerge merge: both sides' changes survive); one whose
//! bytes do not load is reported, not fatal. Files over [`MAX_BACKUP_BYTES`] are refused
//! before parsing.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use std::future::Future;

use letsema_doc::SubmissionDoc;
use letsema_ids::DocId;
use letsema_web_shared::messages::{ImportFailure, ImportKind, ImportReport};
use letsema_web_shared::storage::raw::{
    DOCUMENTS, DRAFTS, STATE, all_documents, all_drafts, commit, get_document, get_draft,
    put_document_record, put_draft_record, read_error, stored_device_id, write_error,
};
use serde::{Deserialize, Serialize};

use super::writes::{merge_stored, reader, sorted_heads};
use super::{Draft, Storage, StorageError, StoredDocument, now_ms};

/// The `format` of a backup file.
pub const BACKUP_FORMAT: &str = "letsema-backup";

/// The version of the backup file layout this app writes and the newest it reads.
pub const BACKUP_VERSION: u32 = 1;

/// The largest backup file read: 50 MiB (tens of thousands of submissions).
pub const MAX_BACKUP_BYTES: usize = 50 * 1024 * 1024;

#[derive(Debug, Serialize, Deserialize)]
struct BackupFile {
    format: String,
    version: u32,
    #[serde(default)]
    app_version: String,
    #[serde(default)]
    exported_at: String,
    #[serde(default)]
    exported_at_ms: i64,
    #[serde(default)]
    device_id: Option<String>,
    #[serde(default)]
    documents: Vec<BackupDocument>,
    #[serde(default)]
    drafts: Vec<BackupDraft>,
}

#[derive(Debug, Serialize, Deserialize)]
struct BackupDocument {
    id: String,
    #[serde(default)]
    changed_at_ms: i64,
    bytes: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
struct BackupDraft {
    id: String,
    #[serde(default)]
    form_id: String,
    #[serde(default)]
    form_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    language: Option<String>,
    #[serde(default)]
    updated_at_ms: i64,
    bytes: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
}

/// Backups of the app's database: [`Storage`] makes and reads them.
pub trait Backups {
    /// A backup file of every unsynced finalised submission and every draft, with the
    /// device's id (when enrolled) and the time now.
    ///
    /// # Errors
    ///
    /// [`StorageError::Browser`] or [`StorageError::Corrupt`].
    fn export_backup(&self) -> impl Future<Output = Result<Vec<u8>, StorageError>>;

    /// Merges a backup file into what is stored, in one transaction. Each submission is
    /// merged with the stored copy (both sides' changes survive; acknowledged heads stay
    /// this device's); a draft whose submission was finalised since is merged into the
    /// finalised one. Items that do not load are reported in [`ImportReport::failed`].
    ///
    /// # Errors
    ///
    /// [`StorageError::BackupTooLarge`] (checked before parsing),
    /// [`StorageError::BackupInvalid`] for a file that is not a backup this version reads,
    /// [`StorageError::QuotaExceeded`] (nothing was imported), or another
    /// [`StorageError`].
    fn import_backup(
        &self,
        bytes: &[u8],
    ) -> impl Future<Output = Result<ImportReport, StorageError>>;
}

impl Backups for Storage {
    async fn export_backup(&self) -> Result<Vec<u8>, StorageError> {
        let tx = self.read(&[DOCUMENTS, DRAFTS, STATE])?;
        let documents = all_documents(&tx.object_store(DOCUMENTS).map_err(read_error)?).await?;
        let drafts = all_drafts(&tx.object_store(DRAFTS).map_err(read_error)?).await?;
        let device_id = stored_device_id(&tx).await?;
        let now = now_ms();
        #[allow(clippy::cast_precision_loss)]
        let exported_at = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(now as f64))
            .to_iso_string()
            .as_string()
            .unwrap_or_default();
        let file = BackupFile {
            format: BACKUP_FORMAT.to_owned(),
            version: BACKUP_VERSION,
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            exported_at,
            exported_at_ms: now,
            device_id,
            documents: documents
                .iter()
                .filter(|document| document.is_unsynced())
                .map(|document| BackupDocument {
                    id: document.id.to_string(),
                    changed_at_ms: document.changed_at_ms,
                    bytes: STANDARD.encode(&document.bytes),
                    name: document.name.clone(),
                })
                .collect(),
            drafts: drafts
                .iter()
                .map(|draft| BackupDraft {
                    id: draft.id.to_string(),
                    form_id: draft.form_id.clone(),
                    form_version: draft.form_version.clone(),
                    language: draft.language.clone(),
                    updated_at_ms: draft.updated_at_ms,
                    bytes: STANDARD.encode(&draft.bytes),
                    name: draft.name.clone(),
                })
                .collect(),
        };
        serde_json::to_vec(&file).map_err(|error| StorageError::Browser {
            action: "write the backup",
            reason: error.to_string(),
        })
    }

    async fn import_backup(&self, bytes: &[u8]) -> Result<ImportReport, StorageError> {
        if bytes.len() > MAX_BACKUP_BYTES {
            return Err(StorageError::BackupTooLarge {
                size: bytes.len(),
                limit: MAX_BACKUP_BYTES,
            });
        }
        let file: BackupFile =
            serde_json::from_slice(bytes).map_err(|error| StorageError::BackupInvalid {
                reason: format!("not a readable backup: {error}"),
            })?;
        if file.format != BACKUP_FORMAT {
            return Err(StorageError::BackupInvalid {
                reason: format!("its format is `{}`", file.format),
            });
        }
        if file.version > BACKUP_VERSION {
            return Err(StorageError::BackupInvalid {
                reason: format!(
                    "it was written by a newer Letsema (backup version {}, this one reads up \
                     to {BACKUP_VERSION})",
                    file.version
                ),
            });
        }
        let mut report = ImportReport::default();
        let tx = self.write(&[DOCUMENTS, DRAFTS])?;
        let documents = tx.object_store(DOCUMENTS).map_err(write_error)?;
        let drafts = tx.object_store(DRAFTS).map_err(write_error)?;
        let now = now_ms();
        for item in &file.documents {
            let Some((id, mut doc)) =
                decode_item(ImportKind::Document, &item.id, &item.bytes, &mut report)?
            else {
                continue;
            };
            let changed_at = if item.changed_at_ms > 0 {
                item.changed_at_ms
            } else {
                now
            };
            let name = item.name.as_deref();
            match merge_into_document(&documents, id, &mut doc, changed_at, name).await? {
                Ok(Outcome::Added) => report.documents_added += 1,
                Ok(Outcome::Merged) => report.documents_merged += 1,
                Ok(Outcome::Unchanged) => report.unchanged += 1,
                Err(reason) => report.failed.push(ImportFailure {
                    kind: ImportKind::Document,
                    id: item.id.clone(),
                    reason,
                }),
            }
        }
        for item in &file.drafts {
            let Some((id, mut doc)) =
                decode_item(ImportKind::Draft, &item.id, &item.bytes, &mut report)?
            else {
                continue;
            };
            // A draft finalised since the backup: its changes go into the submission.
            if get_document(&documents, id).await?.is_some() {
                let name = item.name.as_deref();
                match merge_into_document(&documents, id, &mut doc, now, name).await? {
                    Ok(Outcome::Merged) => report.drafts_merged += 1,
                    Ok(Outcome::Added | Outcome::Unchanged) => report.unchanged += 1,
                    Err(reason) => report.failed.push(ImportFailure {
                        kind: ImportKind::Draft,
                        id: item.id.clone(),
                        reason,
                    }),
                }
                continue;
            }
            let existing = get_draft(&drafts, id).await?;
            let (outcome, language, updated_at, name) = match &existing {
                Some(existing) => {
                    let heads_before = existing.heads.clone();
                    match merge_stored(&mut doc, &existing.bytes, &existing.heads, id) {
                        Ok(_) => {}
                        Err(error) => {
                            report.failed.push(ImportFailure {
                                kind: ImportKind::Draft,
                                id: item.id.clone(),
                                reason: error.to_string(),
                            });
                            continue;
                        }
                    }
                    let outcome = if sorted_heads(&mut doc) == heads_before {
                        Outcome::Unchanged
                    } else {
                        Outcome::Merged
                    };
                    (
                        outcome,
                        existing.language.clone(),
                        existing.updated_at_ms.max(item.updated_at_ms),
                        existing.name.clone().or_else(|| item.name.clone()),
                    )
                }
                None => (
                    Outcome::Added,
                    item.language.clone(),
                    if item.updated_at_ms > 0 {
                        item.updated_at_ms
                    } else {
                        now
                    },
                    item.name.clone(),
                ),
            };
            match outcome {
                Outcome::Unchanged => {
                    report.unchanged += 1;
                    continue;
                }
                Outcome::Added => report.drafts_added += 1,
                Outcome::Merged => report.drafts_merged += 1,
            }
            let draft = Draft {
                id,
                form_id: doc.meta().form_id.as_str().to_owned(),
                form_version: doc.meta().form_version.as_str().to_owned(),
                language,
                updated_at_ms: updated_at,
                bytes: doc.save(),
                heads: sorted_heads(&mut doc),
                name,
                started_at_ms: Some(doc.meta().created_at.0),
            };
            put_draft_record(&drafts, &draft).await?;
        }
        commit(tx).await?;
        Ok(report)
    }
}

/// What merging one item did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Added,
    Merged,
    Unchanged,
}

/// Decodes one item's bytes into a submission whose id is the item's. A failure is
/// recorded in `report` and gives `None`.
fn decode_item(
    kind: ImportKind,
    claimed: &str,
    base64: &str,
    report: &mut ImportReport,
) -> Result<Option<(DocId, SubmissionDoc)>, StorageError> {
    let mut fail = |reason: String| {
        report.failed.push(ImportFailure {
            kind,
            id: claimed.to_owned(),
            reason,
        });
    };
    let bytes = match STANDARD.decode(base64) {
        Ok(bytes) => bytes,
        Err(error) => {
            fail(format!("its bytes are not base64: {error}"));
            return Ok(None);
        }
    };
    let doc = match SubmissionDoc::load(&bytes, reader()?) {
        Ok(doc) => doc,
        Err(error) => {
            fail(error.to_string());
            return Ok(None);
        }
    };
    let id = DocId::from(&doc.meta().submission_id);
    if id.to_string() != claimed.trim().to_ascii_lowercase() {
        fail(format!("it holds submission {id}, not {claimed}"));
        return Ok(None);
    }
    Ok(Some((id, doc)))
}

/// Merges `doc` into the stored finalised submission `id` (or adds it, unacknowledged, named
/// `name`). `Ok(Err(reason))` when the stored copy cannot be merged with it.
async fn merge_into_document(
    documents: &indexed_db_futures::object_store::ObjectStore<'_>,
    id: DocId,
    doc: &mut SubmissionDoc,
    changed_at: i64,
    name: Option<&str>,
) -> Result<Result<Outcome, String>, StorageError> {
    let existing = get_document(documents, id).await?;
    let name_in_file = name.map(str::to_owned);
    let (outcome, acked, changed_at, name) = match existing {
        Some(existing) => {
            if let Err(error) = merge_stored(doc, &existing.bytes, &existing.heads, id) {
                return Ok(Err(error.to_string()));
            }
            if sorted_heads(doc) == existing.heads {
                return Ok(Ok(Outcome::Unchanged));
            }
            (
                Outcome::Merged,
                existing.acked,
                existing.changed_at_ms.max(changed_at),
                existing.name.or(name_in_file),
            )
        }
        None => (Outcome::Added, Vec::new(), changed_at, name_in_file),
    };
    let stored = StoredDocument {
        id,
        bytes: doc.save(),
        heads: sorted_heads(doc),
        acked,
        changed_at_ms: changed_at,
        name,
    };
    put_document_record(documents, &stored).await?;
    Ok(Ok(outcome))
}
