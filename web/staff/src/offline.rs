//! Offline review: one association's submissions taken onto this computer, reviewed and
//! corrected with no network, and sent when the network returns.
//!
//! The copy is the sync protocol's, as on a phone: `letsema-web-submissions`' IndexedDB
//! client store on a database of the staff area's own (one per account), filled and emptied
//! by sync rounds at `POST /api/staff/sync?association=CODE`. Each edit is an automerge change
//! by the reviewer's own actor (the actor device `staff-<user id>`, a session drawn for this
//! copy), saved at once; the next round sends it, and the server merges it field by field
//! with whatever the volunteer and other reviewers did meanwhile, exactly as it merges a
//! phone's. The forms the copy's submissions were filled in with are kept beside it, so the
//! page lays them out with no network.
//!
//! What the copy is (which association, for which account, which forms) is kept in
//! `localStorage` under [`COPY_KEY`].

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;

use gloo_storage::{LocalStorage, Storage as _};
use letsema_doc::{
    AnswerPath, DeviceId, FieldPath as DocFieldPath, FieldValue as DocFieldValue, RepeatInstanceId,
    SessionId, SubmissionDoc, Timestamp, UserId, Writer,
};
use letsema_form::model::Form;
use letsema_form::runtime::Answer;
use letsema_form::runtime::CompiledForm;
use letsema_ids::{DocId, ReviewStatus};
use letsema_protocol::DeviceForm;
use letsema_protocol::staff::{FieldPath, FieldValue, Session, SubmissionDetail, SubmissionRow};
use letsema_sync::client::{Client, ClientConfig};
use letsema_web_submissions::storage::{IdbClientStore, Storage};
use letsema_web_submissions::sync::{Endpoint, SyncOutcome, sync_round_at};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::api;
use crate::dates::now_local;
use crate::layout::{LayoutError, compile, open_compiled};

/// Where the copy's description is kept.
pub const COPY_KEY: &str = "letsema.staff.offline.v1";

/// What the copy is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyInfo {
    /// The account it belongs to.
    pub user_id: i64,
    /// The association taken.
    pub association: String,
    /// The session of this copy's writer (hex), drawn when it was taken.
    pub session: String,
    /// The forms of its submissions, by `form_id` and `version`.
    pub forms: BTreeMap<String, Form>,
}

impl CopyInfo {
    /// The copy kept on this computer for `user_id`, if any.
    pub fn stored(user_id: i64) -> Option<CopyInfo> {
        LocalStorage::get::<CopyInfo>(COPY_KEY)
            .ok()
            .filter(|copy| copy.user_id == user_id)
    }

    fn form(&self, form_id: &str, version: &str) -> Option<&Form> {
        self.forms.get(&form_key(form_id, version))
    }
}

fn form_key(form_id: &str, version: &str) -> String {
    format!("{form_id}\u{1f}{version}")
}

/// The database of `user_id`'s copy.
fn database(user_id: i64) -> String {
    format!("letsema-staff-{user_id}")
}

/// Why the copy could not do something, in words for the reviewer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OfflineError {
    #[error("This browser cannot keep the copy: {0}")]
    Storage(String),
    #[error("The server could not be reached. The changes are kept here; send them later.")]
    Unreachable,
    #[error("{0}")]
    Refused(String),
    #[error("The submission is not in the copy.")]
    Missing,
    #[error("{0}")]
    Edit(String),
    #[error("The offline copy is busy: try again in a moment.")]
    Busy,
}

/// One change made offline.
#[derive(Debug, Clone)]
pub enum OfflineEdit {
    Review {
        status: Option<ReviewStatus>,
        comment: Option<String>,
    },
    /// `entry`: the repeat's name and the entry's id, for a question in an entry.
    Answer {
        field: String,
        entry: Option<(String, String)>,
        value: Option<Answer>,
    },
    Resolve {
        field: FieldPath,
        value: FieldValue,
    },
}

/// What a send did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    pub acknowledged: usize,
    pub updated: usize,
}

/// The copy, open.
pub struct OfflineCopy {
    pub info: CopyInfo,
    client: Client<IdbClientStore>,
    /// The copy's forms, compiled once each (by the key of [`CopyInfo::forms`]).
    compiled: RefCell<BTreeMap<String, Arc<CompiledForm>>>,
}

impl std::fmt::Debug for OfflineCopy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OfflineCopy")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

fn writer(user_id: i64, session_hex: &str) -> Result<Writer, OfflineError> {
    let bytes: Vec<u8> = (0..session_hex.len() / 2)
        .filter_map(|i| u8::from_str_radix(session_hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    let id = |e: letsema_doc::IdError| OfflineError::Storage(e.to_string());
    Ok(Writer::new(
        DeviceId::parse(&format!("staff-{user_id}")).map_err(id)?,
        SessionId::from_bytes(&bytes).map_err(id)?,
        Some(UserId::parse(&format!("staff-{user_id}")).map_err(id)?),
    ))
}

fn storage_error(error: impl std::fmt::Display) -> OfflineError {
    OfflineError::Storage(error.to_string())
}

/// `value` as the type with the same JSON (the document's types and the wire's).
fn wire<T: Serialize, U: DeserializeOwned>(value: &T) -> Result<U, OfflineError> {
    serde_json::to_value(value)
        .and_then(serde_json::from_value)
        .map_err(|e| OfflineError::Edit(format!("a field of an unknown shape: {e}")))
}

fn now() -> Timestamp {
    Timestamp(letsema_web_shared::now_ms())
}

impl OfflineCopy {
    /// Opens the copy described by `info`.
    pub async fn open(info: CopyInfo) -> Result<OfflineCopy, OfflineError> {
        let storage = Storage::open(&database(info.user_id))
            .await
            .map_err(storage_error)?;
        let store = IdbClientStore::open(&storage)
            .await
            .map_err(storage_error)?;
        let client = Client::new(
            ClientConfig::new(writer(info.user_id, &info.session)?),
            store,
        );
        Ok(OfflineCopy {
            info,
            client,
            compiled: RefCell::default(),
        })
    }

    /// Takes `association`'s submissions onto this computer for `session`'s account (a
    /// copy kept before, of any association, is replaced once all its changes are sent):
    /// `open` is that copy when it is open already, else it is opened from storage.
    pub async fn take(
        session: &Session,
        association: &str,
        open: Option<OfflineCopy>,
    ) -> Result<OfflineCopy, OfflineError> {
        let user_id = session.user.id;
        let previous = match (open, CopyInfo::stored(user_id)) {
            (Some(copy), _) => Some(copy),
            (None, Some(info)) => Some(OfflineCopy::open(info).await?),
            (None, None) => None,
        };
        if let Some(mut copy) = previous {
            if copy.waiting() > 0 {
                copy.send(&session.csrf_token).await?;
            }
            // Closed before its database is deleted.
            drop(copy);
        }
        Storage::delete_database(&database(user_id))
            .await
            .map_err(storage_error)?;
        let session_hex: String = letsema_web_shared::random_bytes::<16>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let info = CopyInfo {
            user_id,
            association: association.to_owned(),
            session: session_hex,
            forms: BTreeMap::new(),
        };
        let mut copy = OfflineCopy::open(info).await?;
        copy.send(&session.csrf_token).await?;
        Ok(copy)
    }

    fn save_info(&self) -> Result<(), OfflineError> {
        LocalStorage::set(COPY_KEY, &self.info).map_err(storage_error)
    }

    /// Sends what was changed here and brings what changed on the server; fetches the forms
    /// of any submission whose form the copy lacks.
    pub async fn send(&mut self, csrf_token: &str) -> Result<Sent, OfflineError> {
        let endpoint = Endpoint::staff(csrf_token, Some(&self.info.association));
        let sent = match sync_round_at(&mut self.client, &endpoint).await {
            SyncOutcome::Done {
                acknowledged,
                updated,
                refused,
                ..
            } => {
                if let Some(reason) = refused.first() {
                    return Err(OfflineError::Refused(reason.clone()));
                }
                Sent {
                    acknowledged,
                    updated,
                }
            }
            SyncOutcome::Unreachable | SyncOutcome::Busy(_) => {
                return Err(OfflineError::Unreachable);
            }
            SyncOutcome::Revoked(message) | SyncOutcome::Failed(message) => {
                return Err(OfflineError::Refused(message));
            }
        };
        // The forms the copy's submissions need, each fetched once.
        let mut needed = Vec::new();
        for id in self.ids() {
            if let Some(doc) = self.open_doc(id)? {
                let meta = doc.meta();
                let key = form_key(meta.form_id.as_str(), meta.form_version.as_str());
                if !self.info.forms.contains_key(&key) && !needed.iter().any(|(k, _, _)| *k == key)
                {
                    needed.push((
                        key,
                        meta.form_id.as_str().to_owned(),
                        meta.form_version.as_str().to_owned(),
                    ));
                }
            }
        }
        for (key, form_id, version) in needed {
            let form: DeviceForm = api::form(&form_id, &version)
                .await
                .map_err(|e| OfflineError::Refused(e.to_string()))?;
            self.info.forms.insert(key, form.definition);
        }
        self.save_info()?;
        Ok(sent)
    }

    /// `form` (of `form_id` and `version`) compiled, once per copy.
    fn compiled(
        &self,
        form_id: &str,
        version: &str,
        form: &Form,
    ) -> Result<Arc<CompiledForm>, LayoutError> {
        let key = form_key(form_id, version);
        if let Some(compiled) = self.compiled.borrow().get(&key) {
            return Ok(compiled.clone());
        }
        let compiled = compile(form)?;
        self.compiled.borrow_mut().insert(key, compiled.clone());
        Ok(compiled)
    }

    fn ids(&self) -> Vec<DocId> {
        self.client
            .store()
            .documents()
            .into_iter()
            .map(|summary| summary.id)
            .collect()
    }

    /// How many submissions hold changes not yet sent.
    pub fn waiting(&self) -> usize {
        self.client.store().unsynced_count()
    }

    /// How many submissions the copy holds.
    pub fn len(&self) -> usize {
        self.client.store().documents().len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn open_doc(&self, id: DocId) -> Result<Option<SubmissionDoc>, OfflineError> {
        self.client.open_document(id).map_err(storage_error)
    }

    /// Every submission of the copy as the table shows it, newest first, judged here by the
    /// form engine.
    pub fn rows(&self) -> Result<Vec<(SubmissionRow, bool)>, OfflineError> {
        let unsynced: Vec<DocId> = self
            .client
            .store()
            .documents()
            .into_iter()
            .filter(|summary| summary.unsynced)
            .map(|summary| summary.id)
            .collect();
        let mut rows = Vec::new();
        for id in self.ids() {
            let Some(detail) = self.detail_of(id)? else {
                continue;
            };
            rows.push((
                SubmissionRow {
                    id: detail.id,
                    form_id: detail.form_id,
                    form_version: detail.form_version,
                    association: detail.association,
                    device: detail.device,
                    created_at: detail.created_at,
                    review_status: detail.review_status.as_str().to_owned(),
                    instance_name: detail.instance_name,
                    complete: detail.complete,
                    issues: detail.issues,
                    conflicts: u32::try_from(detail.conflicts.len()).unwrap_or(u32::MAX),
                    withdrawn: detail.withdrawn,
                },
                unsynced.contains(&id),
            ));
        }
        rows.sort_by_key(|(row, _)| std::cmp::Reverse(row.created_at));
        Ok(rows)
    }

    /// One submission of the copy, as the server would show it.
    pub fn detail(&self, id: &str) -> Result<SubmissionDetail, OfflineError> {
        let doc_id = parse_id(id)?;
        self.detail_of(doc_id)?.ok_or(OfflineError::Missing)
    }

    /// The form `detail` was filled in with, if the copy has it.
    pub fn form(&self, detail: &SubmissionDetail) -> Option<Form> {
        self.info
            .form(&detail.form_id, &detail.form_version)
            .cloned()
    }

    fn detail_of(&self, id: DocId) -> Result<Option<SubmissionDetail>, OfflineError> {
        let Some(mut doc) = self.open_doc(id)? else {
            return Ok(None);
        };
        let meta = doc.meta().clone();
        let review = doc.review();
        let answers = doc.answers();
        let repeats = doc.top_level_repeat_ids();
        // Judged here, by the same engine as the server's.
        let (complete, issues, instance_name) = match self
            .info
            .form(meta.form_id.as_str(), meta.form_version.as_str())
            .map(|form| {
                let compiled =
                    self.compiled(meta.form_id.as_str(), meta.form_version.as_str(), form)?;
                open_compiled(compiled, &answers, "en", now_local())
            }) {
            Some(Ok(state)) => {
                let issues: Vec<String> = state
                    .missing_required()
                    .into_iter()
                    .chain(state.constraint_violations())
                    .map(|issue| format!("{}: {}", issue.location, issue.message))
                    .collect();
                (issues.is_empty(), issues, state.instance_name())
            }
            _ => (false, Vec::new(), None),
        };
        Ok(Some(SubmissionDetail {
            id: id.to_string(),
            form_id: meta.form_id.as_str().to_owned(),
            form_version: meta.form_version.as_str().to_owned(),
            association: meta.association.as_ref().map(|a| a.as_str().to_owned()),
            device: meta.created_by_device.as_str().to_owned(),
            created_at: meta.created_at.0,
            answers,
            review_status: review.status.unwrap_or(ReviewStatus::Received),
            comments: wire(&review.comments)?,
            withdrawn: doc.is_withdrawn(),
            history: wire(&doc.history())?,
            conflicts: wire(&doc.conflicts())?,
            complete,
            issues,
            instance_name,
            repeats,
            duplicate_of: review.duplicate_of.as_ref().map(|d| d.as_str().to_owned()),
            merges: wire(&review.merges)?,
        }))
    }

    /// Makes `edit` to submission `id` here, saved at once; sent by the next [`send`].
    ///
    /// [`send`]: OfflineCopy::send
    pub async fn edit(
        &mut self,
        id: &str,
        edit: OfflineEdit,
    ) -> Result<SubmissionDetail, OfflineError> {
        let doc_id = parse_id(id)?;
        let mut doc = self.open_doc(doc_id)?.ok_or(OfflineError::Missing)?;
        let invalid = |e: letsema_doc::DocError| OfflineError::Edit(e.to_string());
        let at = now();
        match edit {
            OfflineEdit::Review { status, comment } => {
                if let Some(status) = status {
                    doc.set_review_status(status, at).map_err(invalid)?;
                }
                if let Some(comment) = comment {
                    doc.add_comment(&comment, at).map_err(invalid)?;
                }
            }
            OfflineEdit::Answer {
                field,
                entry,
                value,
            } => {
                let path = match entry {
                    None => AnswerPath::field(&field),
                    Some((repeat, id)) => {
                        AnswerPath::field(repeat).child(&RepeatInstanceId::from_string(id), &field)
                    }
                };
                match value {
                    Some(value) => doc.set_answer_at(&path, &value, at).map_err(invalid)?,
                    None => doc.clear_answer(&path, at).map_err(invalid)?,
                }
            }
            OfflineEdit::Resolve { field, value } => {
                let field: DocFieldPath = wire(&field)?;
                let value: DocFieldValue = wire(&value)?;
                doc.resolve(&field, &value, at).map_err(invalid)?;
            }
        }
        self.client
            .store_mut()
            .save_local(&mut doc)
            .await
            .map_err(storage_error)?;
        self.detail(id)
    }
}

fn parse_id(id: &str) -> Result<DocId, OfflineError> {
    letsema_doc::SubmissionId::parse(id)
        .map(|id| DocId::from(&id))
        .map_err(|_| OfflineError::Missing)
}
