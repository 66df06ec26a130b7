//! The workspace's list screen, one card each: sending, forms, drafts, submissions and
//! storage. Views only: each is a struct of what it shows, borrowed from the workspace's
//! state, and the callbacks that report what the person did; `view` draws it.
//!
//! Plain views rather than yew function components: drawn again only when the workspace
//! is, they need no props comparison or component of their own, and the first module is
//! 3.4 KB (brotli) smaller for it (measured with `./dev size`).

use std::time::Duration;

use letsema_ids::{DocId, ReviewStatus};
use letsema_protocol::DeviceForm;
use letsema_web_shared::messages::{FillKind, SentItem};
use yew::prelude::*;

use super::state::{BackupMessage, DraftItem};
use crate::capture::now_ms;
use crate::dates;
use crate::schedule::about_minutes;
use crate::words::AppWords;

/// Unsent work older than this gets a warning.
const STALE_AFTER_MS: i64 = 3 * 24 * 60 * 60 * 1000;
/// Less free space than this gets a warning.
const LOW_SPACE_BYTES: u64 = 50 * 1000 * 1000;

/// What opens a draft or a submission: its id, its form, and which it is.
pub type Fill = (DocId, DeviceForm, FillKind);

/// Form `form_id` among `forms` (when it is kept), and what a record of it is called: its
/// `name` when it has one, else the form's title (its id when the form is not kept).
fn title(forms: &[DeviceForm], form_id: &str, name: Option<&str>) -> (Option<DeviceForm>, String) {
    let form = forms.iter().find(|form| form.form_id == form_id).cloned();
    let title = match (name, &form) {
        (Some(name), _) => name.to_owned(),
        (None, Some(form)) => form.title.clone(),
        (None, None) => form_id.to_owned(),
    };
    (form, title)
}

/// What waits to be sent, how the last round went, and "Sync now".
#[derive(Debug)]
pub struct SendingCard<'a> {
    pub words: &'static AppWords,
    pub syncing: bool,
    /// Submissions waiting to be sent (`None`: the documents' module has not answered).
    pub unsynced: Option<u32>,
    pub oldest_unsynced_ms: Option<i64>,
    pub documents_problem: Option<&'a str>,
    pub start_problem: Option<&'a str>,
    pub storage_problem: Option<&'a str>,
    pub last_success_ms: Option<i64>,
    /// The wait until the next round after a busy server turned the last away.
    pub busy: Option<Duration>,
    /// Why the last round failed (this page's, or the one recorded in storage).
    pub last_error: Option<&'a str>,
    pub on_sync_now: Callback<MouseEvent>,
}

impl SendingCard<'_> {
    pub fn view(&self) -> Html {
        let (props, words) = (self, self.words);
        html! {
            <section class="card" aria-labelledby="sync-title">
                <h2 id="sync-title">{ words.sending_title }</h2>
                <p data-testid="sync-status" aria-live="polite">
                    { match (props.syncing, props.unsynced) {
                        (true, _) => words.sending.to_owned(),
                        (false, None) => words.looking_at_waiting.to_owned(),
                        (false, Some(0)) => words.all_sent.to_owned(),
                        (false, Some(waiting)) => (words.waiting)(waiting),
                    } }
                </p>
                if let Some(why) = props.documents_problem {
                    <p class="problem" role="alert" data-testid="documents-problem">{ why }</p>
                }
                if let Some(why) = props.start_problem {
                    <p class="problem" role="alert">{ why }</p>
                }
                if let Some(why) = props.storage_problem {
                    <p class="problem" role="alert" data-testid="storage-problem">{ why }</p>
                }
                if let Some(at) = props.last_success_ms {
                    <p data-testid="last-sync">{ (words.last_sent)(&dates::local(words, at)) }</p>
                }
                if let Some(wait) = props.busy {
                    <p class="warning" data-testid="sync-busy">{
                        (words.server_busy)(about_minutes(wait))
                    }</p>
                } else if let Some(error) = props.last_error {
                    <p class="problem" data-testid="sync-error">{ (words.last_attempt)(error) }</p>
                }
                <button type="button" onclick={props.on_sync_now.clone()}>{ words.sync_now }</button>
                if let Some(oldest) = props.oldest_unsynced_ms.filter(|at| now_ms() - at > STALE_AFTER_MS) {
                    <p class="warning" role="alert" data-testid="stale-warning">{
                        (words.stale_warning)(&dates::local(words, oldest))
                    }</p>
                }
            </section>
        }
    }
}

/// The device's forms, each a button that starts a new submission.
#[derive(Debug)]
pub struct FormsCard<'a> {
    pub words: &'static AppWords,
    pub forms: &'a [DeviceForm],
    /// Why the forms downloaded at start could not be kept.
    pub problem: Option<&'a str>,
    /// A new submission of this form.
    pub on_start: &'a Callback<DeviceForm>,
}

impl FormsCard<'_> {
    pub fn view(&self) -> Html {
        let (props, words) = (self, self.words);
        let forms = props.forms.iter().map(|form| {
            let start = {
                let form = form.clone();
                props.on_start.reform(move |_: MouseEvent| form.clone())
            };
            html! {
                <li key={form.form_id.clone()}>
                    <button type="button" onclick={start}>{ (words.new_submission)(&form.title) }</button>
                </li>
            }
        });
        html! {
            <section class="card" aria-labelledby="forms-title">
                <h2 id="forms-title">{ words.forms_title }</h2>
                if let Some(why) = props.problem {
                    <p class="problem" role="alert" data-testid="forms-problem">{
                        (words.forms_not_kept)(why)
                    }</p>
                }
                if props.forms.is_empty() {
                    <p>{ words.no_forms }</p>
                } else {
                    <ul class="actions">{ for forms }</ul>
                }
            </section>
        }
    }
}

/// The drafts, each a button that opens it again.
#[derive(Debug)]
pub struct DraftsCard<'a> {
    pub words: &'static AppWords,
    pub drafts: &'a [DraftItem],
    pub forms: &'a [DeviceForm],
    /// Open this draft.
    pub on_open: &'a Callback<Fill>,
}

impl DraftsCard<'_> {
    pub fn view(&self) -> Html {
        let (props, words) = (self, self.words);
        let drafts = props.drafts.iter().map(|draft| {
            let (form, title) = title(props.forms, &draft.form_id, draft.name.as_deref());
            let open = {
                let on_open = props.on_open.clone();
                let id = draft.id;
                Callback::from(move |_: MouseEvent| {
                    if let Some(form) = form.clone() {
                        on_open.emit((id, form, FillKind::Draft));
                    }
                })
            };
            html! {
                <li key={draft.id.to_string()}>
                    <button type="button" onclick={open}>
                        { (words.continue_draft)(&title, &dates::local(words, draft.updated_at_ms)) }
                    </button>
                </li>
            }
        });
        html! {
            <section class="card" aria-labelledby="drafts-title">
                <h2 id="drafts-title">{ words.drafts_title }</h2>
                <ul class="actions" data-testid="drafts">{ for drafts }</ul>
            </section>
        }
    }
}

/// The latest submissions: where each stands, the reviewers' comments, "Correct".
#[derive(Debug)]
pub struct SubmissionsCard<'a> {
    pub words: &'static AppWords,
    pub sent: &'a [SentItem],
    pub forms: &'a [DeviceForm],
    /// Open this submission for a correction.
    pub on_correct: &'a Callback<Fill>,
}

impl SubmissionsCard<'_> {
    pub fn view(&self) -> Html {
        let (props, words) = (self, self.words);
        let sent = props.sent.iter().map(|item| {
            let (form, title) = title(props.forms, &item.form_id, item.name.as_deref());
            let state = match (item.unsynced, item.status) {
                (true, _) => words.state_waiting,
                (false, None | Some(ReviewStatus::Received)) => words.state_received,
                (false, Some(ReviewStatus::HasIssues)) => words.state_has_issues,
                (false, Some(ReviewStatus::Approved)) => words.state_approved,
                (false, Some(ReviewStatus::Rejected)) => words.state_rejected,
            };
            let correct = {
                let on_correct = props.on_correct.clone();
                let id = item.id;
                Callback::from(move |_: MouseEvent| {
                    if let Some(form) = form.clone() {
                        on_correct.emit((id, form, FillKind::Correction));
                    }
                })
            };
            html! {
                <li key={item.id.to_string()} data-testid="submission">
                    <p>{ format!("{title}, {}: {state}", dates::local(words, item.changed_at_ms)) }</p>
                    if !item.comments.is_empty() {
                        <ul class="comments" aria-label={words.reviewers_comments}>
                            { for item.comments.iter().map(|c| html! { <li>{ c.clone() }</li> }) }
                        </ul>
                    }
                    <button type="button" onclick={correct}>{ (words.correct)(&title) }</button>
                </li>
            }
        });
        html! {
            <section class="card" aria-labelledby="sent-title">
                <h2 id="sent-title">{ words.submissions_title }</h2>
                <ul class="actions" data-testid="submissions">{ for sent }</ul>
            </section>
        }
    }
}

/// How safe the storage is, and backups.
#[derive(Debug)]
pub struct StorageCard<'a> {
    pub words: &'static AppWords,
    pub persisted: Option<bool>,
    /// Bytes used and the quota.
    pub usage: Option<(u64, u64)>,
    pub backup_message: Option<&'a BackupMessage>,
    pub on_export: Callback<MouseEvent>,
    /// A backup file chosen to restore.
    pub on_import: Callback<web_sys::File>,
}

impl StorageCard<'_> {
    pub fn view(&self) -> Html {
        let (props, words) = (self, self.words);
        let import = {
            let on_import = props.on_import.clone();
            Callback::from(move |event: Event| {
                let input: web_sys::HtmlInputElement = event.target_unchecked_into();
                if let Some(file) = input.files().and_then(|files| files.get(0)) {
                    on_import.emit(file);
                }
            })
        };
        html! {
            <section class="card" aria-labelledby="storage-title">
                <h2 id="storage-title">{ words.storage_title }</h2>
                <p data-testid="persisted">{ match props.persisted {
                    Some(true) => words.persisted_yes,
                    Some(false) => words.persisted_no,
                    None => words.persisted_unknown,
                } }</p>
                if let Some((used, quota)) = props.usage {
                    <p>{ (words.usage)(used, quota) }</p>
                    if quota.saturating_sub(used) < LOW_SPACE_BYTES {
                        <p class="warning" role="alert" data-testid="space-warning">{
                            words.space_warning
                        }</p>
                    }
                }
                <h3>{ words.backup_title }</h3>
                <p>{ words.backup_intro }</p>
                <button type="button" onclick={props.on_export.clone()}>{ words.save_backup }</button>
                <label for="restore">{ words.restore_backup }</label>
                <input id="restore" type="file" accept=".json,application/json" onchange={import} />
                if let Some(message) = props.backup_message {
                    <p data-testid="backup-message" role="status">{ message.describe(words) }</p>
                }
            </section>
        }
    }
}
