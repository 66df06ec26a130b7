//! The validator's judging step, the same for every storage backend: take a stored
//! submission (already loaded, or its bytes), run the form engine over its merged answers as
//! of its creation, and say what the `submissions` projection holds for it. The validator
//! (`crate::validator`) calls it; a backend only gives what is pending and records the
//! projections ([`super::ValidationStore`]), so none can skip it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, FixedOffset};
use letsema_doc::{SessionId, SubmissionDoc, Writer};
use letsema_form::runtime::{Answers, CompiledForm, Environment, FormState};
use serde::Serialize;

use super::FormStore;

/// What the form engine found in one submission.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    pub complete: bool,
    pub issues: Vec<String>,
    pub instance_name: Option<String>,
}

/// Compiled forms by (id, version), kept across passes: compiling is the expensive part.
#[derive(Debug, Default)]
pub struct FormCache {
    forms: HashMap<(String, String), Option<Arc<CompiledForm>>>,
}

impl FormCache {
    /// The compiled form `form_id` version `version`, compiled from `published` the first
    /// time; `None` if it is not published (or does not compile).
    fn compiled(
        &mut self,
        published: &(impl FormStore + ?Sized),
        form_id: &str,
        version: &str,
    ) -> Option<Arc<CompiledForm>> {
        let key = (form_id.to_owned(), version.to_owned());
        if let Some(found) = self.forms.get(&key) {
            return found.clone();
        }
        let compiled = published
            .form_definition(form_id, version)
            .ok()
            .flatten()
            .and_then(|form| CompiledForm::new(&form).ok())
            .map(Arc::new);
        // An unpublished form is not cached: it may be published later.
        if compiled.is_some() {
            self.forms.insert(key, compiled.clone());
        }
        compiled
    }
}

/// The form engine's verdict on a submission, as the projection holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubmissionVerdict {
    pub form_id: String,
    pub form_version: String,
    pub complete: bool,
    pub issues: Vec<String>,
    pub review_status: String,
    pub instance_name: Option<String>,
}

/// A submission's row in the projection: its current values and the engine's verdict.
#[derive(Debug)]
pub struct Projection {
    pub form_id: String,
    pub form_version: String,
    pub created_at: i64,
    pub review_status: String,
    pub withdrawn: bool,
    pub answers: String,
    pub verdict: Verdict,
    /// How many fields hold concurrent values, unresolved.
    pub conflicts: u32,
    /// What the submission is found by in the staff's table ([`super::search_text`]).
    pub search: String,
    /// The (question, value) pairs it can be filtered by ([`super::choice_values`]).
    pub choices: Vec<(String, String)>,
    /// The reviewers' comments, JSON: `[{"author", "at", "text"}]` (`at` in milliseconds),
    /// in document order ([`comments_json`]).
    pub comments: String,
    /// What duplicate matching reads of it (`crate::duplicates::record_of`, its id left
    /// empty: the caller knows the document); none when withdrawn, merged into another or
    /// without a name.
    pub matching: Option<letsema_match::Record>,
    /// The submission it was merged into as a duplicate (`review/duplicate_of`).
    pub duplicate_of: Option<letsema_protocol::sync::DocId>,
}

impl Projection {
    fn unreadable(issue: String) -> Self {
        Projection {
            form_id: String::new(),
            form_version: String::new(),
            created_at: 0,
            review_status: "received".to_owned(),
            withdrawn: false,
            answers: "{}".to_owned(),
            verdict: Verdict {
                complete: false,
                issues: vec![issue],
                instance_name: None,
            },
            conflicts: 0,
            search: String::new(),
            choices: Vec::new(),
            comments: "[]".to_owned(),
            matching: None,
            duplicate_of: None,
        }
    }
}

/// Judges one stored submission: `loaded` if the caller has it loaded (the sync that just
/// committed it usually left it in the cache), else its stored `bytes`. The forms come from
/// `published`, compiled once into `forms`. Never fails: an unreadable document or an
/// unpublished form becomes an issue in the projection.
pub fn project(
    loaded: Option<SubmissionDoc>,
    bytes: &[u8],
    forms: &mut FormCache,
    published: &(impl FormStore + ?Sized),
) -> Projection {
    let doc = match loaded {
        Some(doc) => doc,
        None => {
            let reader = match (
                letsema_doc::DeviceId::parse("letsema-validator"),
                SessionId::from_bytes(&[0; 16]),
            ) {
                (Ok(device), Ok(session)) => Writer::new(device, session, None),
                _ => {
                    return Projection::unreadable(
                        "the validator's identity is invalid".to_owned(),
                    );
                }
            };
            match SubmissionDoc::load(bytes, reader) {
                Ok(doc) => doc,
                Err(e) => {
                    return Projection::unreadable(format!(
                        "the stored document cannot be read: {e}"
                    ));
                }
            }
        }
    };
    let meta = doc.meta().clone();
    let review = doc.review();
    let answers = doc.answers();
    let form_id = meta.form_id.as_str().to_owned();
    let form_version = meta.form_version.as_str().to_owned();
    let created_ms = meta.created_at.0;
    let compiled = forms.compiled(published, &form_id, &form_version);
    let choices = compiled
        .as_ref()
        .map(|compiled| super::choice_values(compiled.form(), &answers))
        .unwrap_or_default();
    let verdict = match compiled {
        None => Verdict {
            complete: false,
            issues: vec![format!(
                "form {form_id} version {form_version} is not published on this server: \
                 publish it to check these answers"
            )],
            instance_name: None,
        },
        Some(compiled) => judge_answers(compiled, &answers, created_ms),
    };
    let search = super::search_text(&answers, verdict.instance_name.as_deref());
    let conflicts = u32::try_from(doc.conflicts().len()).unwrap_or(u32::MAX);
    Projection {
        form_id,
        form_version,
        created_at: created_ms,
        review_status: review
            .status
            .and_then(|s| serde_json::to_value(s).ok())
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| "received".to_owned()),
        withdrawn: doc.is_withdrawn(),
        // Fields in name order at every level, as the document gives them: the same text
        // as a JSON object with sorted keys.
        answers: serde_json::to_string(&answers).unwrap_or_else(|_| "{}".to_owned()),
        verdict,
        conflicts,
        search,
        choices,
        comments: comments_json(&review.comments),
        matching: if doc.is_withdrawn() || review.duplicate_of.is_some() {
            None
        } else {
            crate::duplicates::record_of("", &answers)
        },
        duplicate_of: review
            .duplicate_of
            .as_ref()
            .map(letsema_protocol::sync::DocId::from),
    }
}

/// The comments of a review as the projection keeps them, `[{"author", "at", "text"}]`:
/// the JSON of the exports' [`letsema_export::Comment`], which reads them back.
pub fn comments_json(comments: &[letsema_doc::Comment]) -> String {
    let list: Vec<letsema_export::Comment> = comments
        .iter()
        .map(|c| letsema_export::Comment {
            author: c.author.as_str().to_owned(),
            at: c.at.0,
            text: c.text.clone(),
        })
        .collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".to_owned())
}

/// Runs the form engine over a submission's answers as the document gives them (the tree
/// the phone's engine judged, with no conversion), as of when the submission was created (so
/// that `today()` means the day it was filled in).
pub fn judge_answers(compiled: Arc<CompiledForm>, answers: &Answers, created_ms: i64) -> Verdict {
    let now: DateTime<FixedOffset> = DateTime::from_timestamp_millis(created_ms)
        .unwrap_or_default()
        .fixed_offset();
    match FormState::new(compiled, answers, Environment::new(now)) {
        Ok(state) => {
            let mut issues: Vec<String> = state
                .missing_required()
                .into_iter()
                .map(|i| format!("{}: {}", i.location, i.message))
                .collect();
            issues.extend(
                state
                    .constraint_violations()
                    .into_iter()
                    .map(|i| format!("{}: {}", i.location, i.message)),
            );
            Verdict {
                complete: issues.is_empty(),
                issues,
                instance_name: state.instance_name().filter(|n| !n.trim().is_empty()),
            }
        }
        Err(errors) => Verdict {
            complete: false,
            issues: errors.iter().map(ToString::to_string).collect(),
            instance_name: None,
        },
    }
}

#[cfg(test)]
mod props;

#[cfg(test)]
mod tests {
    use letsema_doc::{DeviceId, Timestamp};

    use super::*;
    use crate::store::REFERENCE_FORM;
    use crate::store::SqliteStore;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = SqliteStore::open(dir.path()).expect("open the store");
        (dir, store)
    }

    fn submission(seed: u64) -> SubmissionDoc {
        let writer = Writer::new(
            DeviceId::parse("phone-1").expect("a device id"),
            SessionId::from_bytes(&[7; 16]).expect("a session id"),
            None,
        );
        letsema_workload::Generator::new(seed)
            .submission(&writer, Timestamp(1_780_000_000_000))
            .expect("a generated submission")
    }

    #[test]
    fn bytes_that_are_not_a_submission_become_an_issue_not_an_error() {
        let (_dir, store) = store();
        let projection = project(None, b"not a document", &mut FormCache::default(), &store);
        assert!(!projection.verdict.complete);
        assert_eq!(projection.verdict.issues.len(), 1);
        assert!(projection.verdict.issues[0].starts_with("the stored document cannot be read"));
        assert_eq!(projection.answers, "{}");
    }

    #[test]
    fn a_submission_of_an_unpublished_form_keeps_its_values_and_says_to_publish_the_form() {
        let (_dir, store) = store();
        let doc = submission(1);
        let projection = project(Some(doc.clone()), &[], &mut FormCache::default(), &store);
        assert_eq!(projection.form_id, doc.meta().form_id.as_str());
        assert_eq!(projection.created_at, 1_780_000_000_000);
        assert!(!projection.verdict.complete);
        assert!(projection.verdict.issues[0].contains("is not published on this server"));
        let answers: serde_json::Value =
            serde_json::from_str(&projection.answers).expect("the answers are JSON");
        let as_value = serde_json::to_value(doc.answers()).expect("JSON");
        assert_eq!(answers, as_value);
        // Byte for byte the text a JSON value (sorted keys) wrote before.
        assert_eq!(projection.answers, as_value.to_string());
    }

    #[test]
    fn a_published_form_judges_the_answers_and_is_compiled_once() {
        let (_dir, store) = store();
        let (name, bytes) = REFERENCE_FORM;
        crate::store::publish_file(&store, name, bytes, "a test")
            .expect("publish the reference form");
        let mut forms = FormCache::default();
        for seed in 1..=3 {
            let doc = submission(seed);
            // Loaded from its bytes, as after a restart.
            let projection = project(None, &doc.clone().save(), &mut forms, &store);
            assert_eq!(projection.review_status, "received");
            assert!(
                projection.verdict.complete,
                "a generated registration is complete: {:?}",
                projection.verdict.issues
            );
            assert!(projection.verdict.instance_name.is_some());
        }
        assert_eq!(forms.forms.len(), 1);
    }
}
