//! The workspace's screens and their parts: the first screen ([`Home`], with the sync's
//! state in one line, [`SyncLine`]), the lists of drafts and submissions ([`DraftList`],
//! [`SubmissionList`]), this phone's page ([`PhonePage`], with backups in [`StorageCard`])
//! and a survey taker's two screens ([`SurveyStart`], [`Thanks`]). Views only: each is a
//! struct of what it shows, borrowed from the workspace's state, and the callbacks that
//! report what the person did; `view` draws it.
//!
//! Plain views rather than yew function components: drawn again only when the workspace
//! is, they need no props comparison or component of their own, and the first module is
//! 3.4 KB (brotli) smaller for it (measured with `./dev size`).

use std::time::Duration;

use letsema_ids::{DocId, ReviewStatus};
use letsema_protocol::DeviceForm;
use letsema_web_shared::messages::{FillKind, SentItem};
use yew::prelude::*;

use super::state::{BackupMessage, DraftItem, Notice, Screen};
use crate::capture::now_ms;
use crate::dates;
use crate::schedule::about_minutes;
use crate::words::AppWords;

/// Unsent work older than this gets a warning.
const STALE_AFTER_MS: i64 = 3 * 24 * 60 * 60 * 1000;
/// Less free space than this gets a warning.
const LOW_SPACE_BYTES: u64 = 50 * 1000 * 1000;
/// A list longer than this gets a search box.
const SEARCH_FROM: usize = 8;

/// What opens a draft or a submission: its id, its form, and which it is.
pub type Fill = (DocId, DeviceForm, FillKind);

/// Form `form_id` among `forms` (when it is kept), and its title (its id when not).
fn title(forms: &[DeviceForm], form_id: &str) -> (Option<DeviceForm>, String) {
    let form = forms.iter().find(|form| form.form_id == form_id).cloned();
    let title = form
        .as_ref()
        .map_or_else(|| form_id.to_owned(), |form| form.title.clone());
    (form, title)
}

/// What a record is called in a list: its name (the form's `instance_name`), else its
/// form's title, said to have no name yet.
fn record_name(name: Option<&str>, title: &str, words: &AppWords) -> String {
    match name.map(str::trim) {
        Some(name) if !name.is_empty() => name.to_owned(),
        _ => (words.unnamed)(title),
    }
}

/// Whether a record called `name` is one the search `text` asks for (any part of the name,
/// whatever the case).
pub fn matches(name: &str, text: &str) -> bool {
    let text = text.trim().to_lowercase();
    text.is_empty() || name.to_lowercase().contains(&text)
}

/// The sync's state, said in one line on the first screen; the detail is a tap away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncLine {
    /// A round runs.
    Sending,
    /// The documents' module has not answered yet.
    Looking,
    /// Nothing waits, and something was sent.
    AllSent,
    /// Nothing was finalised on this phone: nothing to send, and nothing sent.
    NothingYet,
    /// This many submissions wait.
    Waiting(u32),
    /// This many wait, and the browser is offline.
    Offline(u32),
    /// This many wait, and the last round failed.
    Failed(u32),
    /// Some wait, and the server turned the last round away.
    Busy,
}

impl SyncLine {
    /// The line for: a round running, the browser online, how many submissions wait
    /// (`None`: not known yet), how many were finalised on this phone, and whether the last
    /// round failed or was turned away. Drafts count for nothing here: they are not
    /// finalised, so neither sent nor waiting.
    pub fn of(
        syncing: bool,
        online: bool,
        waiting: Option<u32>,
        finalised: u32,
        failed: bool,
        busy: bool,
    ) -> SyncLine {
        match waiting {
            _ if syncing => SyncLine::Sending,
            None => SyncLine::Looking,
            Some(0) if finalised == 0 => SyncLine::NothingYet,
            Some(0) => SyncLine::AllSent,
            Some(count) if !online => SyncLine::Offline(count),
            Some(_) if busy => SyncLine::Busy,
            Some(count) if failed => SyncLine::Failed(count),
            Some(count) => SyncLine::Waiting(count),
        }
    }

    /// What it says.
    pub fn text(self, words: &AppWords) -> String {
        match self {
            SyncLine::Sending => words.sending.to_owned(),
            SyncLine::Looking => words.looking_at_waiting.to_owned(),
            SyncLine::AllSent => words.all_sent.to_owned(),
            SyncLine::NothingYet => words.nothing_sent_yet.to_owned(),
            SyncLine::Waiting(count) => (words.waiting)(count),
            SyncLine::Offline(count) => (words.offline_waiting)(count),
            SyncLine::Failed(count) => (words.send_failed)(count),
            SyncLine::Busy => words.server_busy_short.to_owned(),
        }
    }

    /// Its style: `ok`, `waiting` or `problem`.
    fn class(self) -> &'static str {
        match self {
            SyncLine::AllSent | SyncLine::NothingYet => "ok",
            SyncLine::Sending | SyncLine::Looking | SyncLine::Waiting(_) | SyncLine::Offline(_) => {
                "waiting"
            }
            SyncLine::Failed(_) | SyncLine::Busy => "problem",
        }
    }
}

/// The sync's detail: when the last round went through, why the last one failed or was
/// turned away, old unsent work, and "Sync now".
#[derive(Debug)]
pub struct SyncDetail<'a> {
    pub words: &'static AppWords,
    pub last_success_ms: Option<i64>,
    /// The wait until the next round after a busy server turned the last away.
    pub busy: Option<Duration>,
    /// Why the last round failed (this page's, or the one recorded in storage).
    pub last_error: Option<&'a str>,
    pub on_sync_now: Callback<MouseEvent>,
}

impl SyncDetail<'_> {
    pub fn view(&self) -> Html {
        let words = self.words;
        html! {
            <div class="sync-detail">
                if let Some(at) = self.last_success_ms {
                    <p data-testid="last-sync">{ (words.last_sent)(&dates::local(words, at)) }</p>
                }
                if let Some(wait) = self.busy {
                    <p class="warning" data-testid="sync-busy">{
                        (words.server_busy)(about_minutes(wait))
                    }</p>
                } else if let Some(error) = self.last_error {
                    <p class="problem" data-testid="sync-error">{ (words.last_attempt)(error) }</p>
                }
                <button type="button" class="button" onclick={self.on_sync_now.clone()}>
                    { words.sync_now }
                </button>
            </div>
        }
    }
}

/// Problems that stop work, said wherever the person is.
#[derive(Debug, Default)]
pub struct Problems<'a> {
    /// The documents' module could not be loaded.
    pub documents: Option<&'a str>,
    /// A new draft could not be started.
    pub start: Option<&'a str>,
    /// A connection closed under the page could not be opened again.
    pub storage: Option<&'a str>,
    /// The forms downloaded could not be kept.
    pub forms: Option<&'a str>,
}

impl Problems<'_> {
    pub fn view(&self, words: &AppWords) -> Html {
        html! {
            <>
                if let Some(why) = self.documents {
                    <p class="problem" role="alert" data-testid="documents-problem">{ why }</p>
                }
                if let Some(why) = self.start {
                    <p class="problem" role="alert">{ why }</p>
                }
                if let Some(why) = self.storage {
                    <p class="problem" role="alert" data-testid="storage-problem">{ why }</p>
                }
                if let Some(why) = self.forms {
                    <p class="problem" role="alert" data-testid="forms-problem">{
                        (words.forms_not_kept)(why)
                    }</p>
                }
            </>
        }
    }
}

/// The first screen: the sync's state, the main action, and the way to the lists and to
/// this phone's page.
#[derive(Debug)]
pub struct Home<'a> {
    pub words: &'static AppWords,
    pub line: SyncLine,
    pub detail: SyncDetail<'a>,
    pub problems: Problems<'a>,
    pub notice: Option<Notice>,
    /// When the oldest submission waiting last changed.
    pub oldest_unsynced_ms: Option<i64>,
    pub forms: &'a [DeviceForm],
    pub drafts: usize,
    /// Finalised submissions waiting to be sent (`None`: not known yet).
    pub waiting: Option<u32>,
    /// Finalised submissions sent.
    pub sent: Option<u32>,
    /// Of the latest submissions, how many a reviewer sent back for corrections.
    pub returned: usize,
    /// A new submission of this form.
    pub on_start: &'a Callback<DeviceForm>,
    pub on_show: &'a Callback<Screen>,
}

impl Home<'_> {
    pub fn view(&self) -> Html {
        let words = self.words;
        let starts = self.forms.iter().map(|form| {
            let start = {
                let form = form.clone();
                self.on_start.reform(move |_: MouseEvent| form.clone())
            };
            html! {
                <li key={form.form_id.clone()}>
                    <button type="button" class="button primary" onclick={start}>
                        { (words.new_submission)(&form.title) }
                    </button>
                </li>
            }
        });
        let show = |screen: Screen| self.on_show.reform(move |_: MouseEvent| screen.clone());
        let count = |known: Option<u32>| known.map_or_else(|| "…".to_owned(), |n| n.to_string());
        html! {
            <div class="workspace home">
                <details class={classes!("sync-line", self.line.class())}>
                    <summary data-testid="sync-status" aria-live="polite">
                        { self.line.text(words) }
                    </summary>
                    { self.detail.view() }
                </details>
                { self.problems.view(words) }
                if let Some(oldest) = self.oldest_unsynced_ms.filter(|at| now_ms() - at > STALE_AFTER_MS) {
                    <p class="warning" role="alert" data-testid="stale-warning">{
                        (words.stale_warning)(&dates::local(words, oldest))
                    }</p>
                }
                if let Some(notice) = self.notice {
                    <p class="notice" role="status" data-testid="notice">{ match notice {
                        Notice::Finalised => words.finalised_next,
                        Notice::Corrected => words.corrected_next,
                    } }</p>
                }
                if self.forms.is_empty() {
                    <p class="card">{ words.no_forms }</p>
                } else {
                    <ul class="starts">{ for starts }</ul>
                }
                <nav class="records" aria-label={words.records}>
                    <button type="button" class="row" data-testid="drafts-row"
                        onclick={show(Screen::Drafts)}>
                        <span>{ words.drafts_title }</span>
                        <span class="count">{ self.drafts }</span>
                    </button>
                    <button type="button" class="row" data-testid="waiting-row"
                        onclick={show(Screen::Submissions)}>
                        <span>{ words.waiting_title }</span>
                        <span class="count">{ count(self.waiting) }</span>
                    </button>
                    <button type="button" class="row" data-testid="sent-row"
                        onclick={show(Screen::Submissions)}>
                        <span>
                            { words.sent_title }
                            if self.returned > 0 {
                                <span class="row-note">{ (words.returned)(self.returned) }</span>
                            }
                        </span>
                        <span class="count">{ count(self.sent) }</span>
                    </button>
                    <button type="button" class="row" onclick={show(Screen::Phone)}>
                        <span>{ words.this_phone }</span>
                    </button>
                </nav>
            </div>
        }
    }
}

/// The top of a list or of this phone's page: the way back, and the title.
fn screen_top(words: &AppWords, title: &str, on_show: &Callback<Screen>) -> Html {
    let back = on_show.reform(|_: MouseEvent| Screen::Home);
    html! {
        <div class="screen-top">
            <button type="button" class="button back" onclick={back}>{ words.back_home }</button>
            <h2>{ title.to_owned() }</h2>
        </div>
    }
}

/// The search box of a long list.
fn search_box(words: &AppWords, text: &str, on_search: &Callback<String>) -> Html {
    let input = on_search.reform(|event: InputEvent| {
        let input: web_sys::HtmlInputElement = event.target_unchecked_into();
        input.value()
    });
    html! {
        <div class="search">
            <label for="search">{ words.search_by_name }</label>
            <input id="search" type="search" value={text.to_owned()} oninput={input} />
        </div>
    }
}

/// A list screen: the way back, the title, a search box once the list is long, the
/// records the search leaves (or why there are none).
struct RecordList<'a> {
    words: &'static AppWords,
    title: &'static str,
    /// Said when there is no record at all.
    none: &'static str,
    test_id: &'static str,
    /// How many records there are, whatever the search.
    total: usize,
    /// The records the search leaves, drawn.
    shown: Vec<Html>,
    search: &'a str,
    on_show: &'a Callback<Screen>,
    on_search: &'a Callback<String>,
}

impl RecordList<'_> {
    fn view(self) -> Html {
        let words = self.words;
        html! {
            <div class="workspace list">
                { screen_top(words, self.title, self.on_show) }
                if self.total > SEARCH_FROM {
                    { search_box(words, self.search, self.on_search) }
                }
                if self.total == 0 {
                    <p>{ self.none }</p>
                } else if self.shown.is_empty() {
                    <p>{ words.no_match }</p>
                }
                <ul class="records-list" data-testid={self.test_id}>{ for self.shown }</ul>
            </div>
        }
    }
}

/// The drafts, each to be continued.
#[derive(Debug)]
pub struct DraftList<'a> {
    pub words: &'static AppWords,
    pub drafts: &'a [DraftItem],
    pub forms: &'a [DeviceForm],
    pub search: &'a str,
    /// Open this draft.
    pub on_open: &'a Callback<Fill>,
    pub on_show: &'a Callback<Screen>,
    pub on_search: &'a Callback<String>,
}

impl DraftList<'_> {
    pub fn view(&self) -> Html {
        let words = self.words;
        let drafts: Vec<Html> = self
            .drafts
            .iter()
            .filter_map(|draft| {
                let (form, title) = title(self.forms, &draft.form_id);
                let name = record_name(draft.name.as_deref(), &title, words);
                if !matches(&name, self.search) {
                    return None;
                }
                let open = {
                    let on_open = self.on_open.clone();
                    let id = draft.id;
                    Callback::from(move |_: MouseEvent| {
                        if let Some(form) = form.clone() {
                            on_open.emit((id, form, FillKind::Draft));
                        }
                    })
                };
                Some(html! {
                    <li key={draft.id.to_string()} class="record openable">
                        <button type="button" class="record-open" onclick={open}>
                            <span class="record-name">{ (words.continue_named)(&name) }</span>
                            <span class="record-meta">
                                { (words.started)(&dates::local(
                                    words,
                                    draft.started_at_ms.unwrap_or(draft.updated_at_ms),
                                )) }
                                { " · " }
                                <span class="state draft">{ words.state_draft }</span>
                            </span>
                        </button>
                    </li>
                })
            })
            .collect();
        RecordList {
            words,
            title: words.drafts_title,
            none: words.no_drafts,
            test_id: "drafts",
            total: self.drafts.len(),
            shown: drafts,
            search: self.search,
            on_show: self.on_show,
            on_search: self.on_search,
        }
        .view()
    }
}

/// The latest finalised submissions: where each stands, the reviewers' comments,
/// "Correct".
#[derive(Debug)]
pub struct SubmissionList<'a> {
    pub words: &'static AppWords,
    pub sent: &'a [SentItem],
    pub forms: &'a [DeviceForm],
    pub search: &'a str,
    /// Open this submission for a correction.
    pub on_correct: &'a Callback<Fill>,
    pub on_show: &'a Callback<Screen>,
    pub on_search: &'a Callback<String>,
}

impl SubmissionList<'_> {
    pub fn view(&self) -> Html {
        let words = self.words;
        let sent: Vec<Html> = self
            .sent
            .iter()
            .filter_map(|item| {
                let (form, title) = title(self.forms, &item.form_id);
                let name = record_name(item.name.as_deref(), &title, words);
                if !matches(&name, self.search) {
                    return None;
                }
                let (state, class) = match (item.unsynced, item.status) {
                    (true, _) => (words.state_waiting, "waiting"),
                    (false, None | Some(ReviewStatus::Received)) => (words.state_received, "ok"),
                    (false, Some(ReviewStatus::HasIssues)) => (words.state_has_issues, "problem"),
                    (false, Some(ReviewStatus::Approved)) => (words.state_approved, "ok"),
                    (false, Some(ReviewStatus::Rejected)) => (words.state_rejected, "problem"),
                };
                let correct = {
                    let on_correct = self.on_correct.clone();
                    let id = item.id;
                    Callback::from(move |_: MouseEvent| {
                        if let Some(form) = form.clone() {
                            on_correct.emit((id, form, FillKind::Correction));
                        }
                    })
                };
                Some(html! {
                    <li key={item.id.to_string()} class="record" data-testid="submission">
                        <p class="record-name">{ name.clone() }</p>
                        <p class="record-meta">
                            { (words.started)(&dates::local(
                                words,
                                item.started_at_ms.unwrap_or(item.changed_at_ms),
                            )) }
                            { " · " }
                            <span class={classes!("state", class)}>{ state }</span>
                        </p>
                        if !item.comments.is_empty() {
                            <ul class="comments" aria-label={words.reviewers_comments}>
                                { for item.comments.iter().map(|c| html! { <li>{ c.clone() }</li> }) }
                            </ul>
                        }
                        <button type="button" class="button secondary" onclick={correct}>
                            { (words.correct)(&name) }
                        </button>
                    </li>
                })
            })
            .collect();
        RecordList {
            words,
            title: words.submissions_title,
            none: words.no_submissions,
            test_id: "submissions",
            total: self.sent.len(),
            shown: sent,
            search: self.search,
            on_show: self.on_show,
            on_search: self.on_search,
        }
        .view()
    }
}

/// What the app knows of the phone and the server, for this phone's page; worked out by
/// the app around the workspace.
#[derive(Debug, Clone, PartialEq)]
pub struct PhoneStatus {
    /// Whether the browser says it is online.
    pub online: bool,
    /// Whether the app starts without a network, said.
    pub offline_use: String,
    /// The app's form engine: its version and architecture.
    pub engine: String,
    /// The server's state, said.
    pub server: String,
}

/// This phone: the network, whether the app works offline, the versions, the server, the
/// sync's detail, and storage with backups.
#[derive(Debug)]
pub struct PhonePage<'a> {
    pub words: &'static AppWords,
    pub status: &'a PhoneStatus,
    /// The association the phone registers for (its name, else its code).
    pub association: &'a str,
    pub line: SyncLine,
    pub detail: SyncDetail<'a>,
    pub storage: StorageCard<'a>,
    pub on_show: &'a Callback<Screen>,
}

impl PhonePage<'_> {
    pub fn view(&self) -> Html {
        let words = self.words;
        html! {
            <div class="workspace phone">
                { screen_top(words, words.this_phone, self.on_show) }
                <section class="card" aria-labelledby="phone-status-title">
                    <h3 id="phone-status-title">{ words.status_title }</h3>
                    <p data-testid="association">{ (words.for_association)(self.association) }</p>
                    <dl class="status">
                        <dt>{ words.network }</dt>
                        <dd data-testid="network">{
                            if self.status.online { words.online } else { words.offline }
                        }</dd>
                        <dt>{ words.offline_use }</dt>
                        <dd data-testid="offline-readiness">{ self.status.offline_use.clone() }</dd>
                        <dt>{ words.form_engine }</dt>
                        <dd data-testid="engine">{ self.status.engine.clone() }</dd>
                        <dt>{ words.server }</dt>
                        <dd data-testid="server">{ self.status.server.clone() }</dd>
                    </dl>
                </section>
                <section class="card" aria-labelledby="sync-title">
                    <h3 id="sync-title">{ words.sync_details }</h3>
                    <p data-testid="phone-sync-status">{ self.line.text(words) }</p>
                    { self.detail.view() }
                </section>
                { self.storage.view() }
            </div>
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
                // The same file may be chosen again.
                input.set_value("");
            })
        };
        html! {
            <section class="card" aria-labelledby="storage-title">
                <h3 id="storage-title">{ words.storage_title }</h3>
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
                <h4>{ words.backup_title }</h4>
                <p>{ words.backup_intro }</p>
                <button type="button" class="button" onclick={props.on_export.clone()}>
                    { words.save_backup }
                </button>
                // The browser's own file chooser speaks the browser's language, not the one
                // chosen here: it is hidden (still focusable) behind a label drawn as a
                // button, in ours.
                <input id="restore" class="visually-hidden" type="file"
                    accept=".json,application/json" onchange={import} />
                <label for="restore" class="button file-button">{ words.choose_backup }</label>
                if let Some(message) = props.backup_message {
                    <p data-testid="backup-message" role="status">{ message.describe(words) }</p>
                }
            </section>
        }
    }
}

/// A survey taker's first screen: the survey's title, what happens to the answers, and the
/// button that starts it (or continues the one begun).
#[derive(Debug)]
pub struct SurveyStart<'a> {
    pub words: &'static AppWords,
    pub form: Option<&'a DeviceForm>,
    /// The survey begun and not finalised, if any.
    pub draft: Option<&'a DraftItem>,
    pub line: SyncLine,
    pub problems: Problems<'a>,
    pub on_start: &'a Callback<DeviceForm>,
    pub on_open: &'a Callback<Fill>,
}

impl SurveyStart<'_> {
    pub fn view(&self) -> Html {
        let words = self.words;
        let button = self.form.map(|form| {
            if let Some(draft) = self.draft {
                let on_open = self.on_open.clone();
                let (id, form) = (draft.id, form.clone());
                let title = form.title.clone();
                let open = Callback::from(move |_: MouseEvent| {
                    on_open.emit((id, form.clone(), FillKind::Draft));
                });
                html! {
                    <button type="button" class="button primary" onclick={open}>
                        { (words.continue_survey)(&title) }
                    </button>
                }
            } else {
                let form = form.clone();
                let title = form.title.clone();
                let start = self.on_start.reform(move |_: MouseEvent| form.clone());
                html! {
                    <button type="button" class="button primary" onclick={start}>
                        { (words.start_survey)(&title) }
                    </button>
                }
            }
        });
        html! {
            <div class="workspace survey">
                { self.problems.view(words) }
                if let Some(form) = self.form {
                    <h2>{ form.title.clone() }</h2>
                }
                <p>{ words.survey_intro }</p>
                { for button }
                if self.form.is_none() {
                    <p>{ words.no_forms }</p>
                }
                <p class={classes!("sync-line", self.line.class())} data-testid="sync-status"
                    aria-live="polite">{ self.line.text(words) }</p>
            </div>
        }
    }
}

/// A survey taker's submission was finalised: thanks, where the answers are, and "fill in
/// another".
#[derive(Debug)]
pub struct Thanks<'a> {
    pub words: &'static AppWords,
    pub form: Option<&'a DeviceForm>,
    pub line: SyncLine,
    pub on_start: &'a Callback<DeviceForm>,
}

impl Thanks<'_> {
    pub fn view(&self) -> Html {
        let words = self.words;
        let another = self.form.map(|form| {
            let form = form.clone();
            let start = self.on_start.reform(move |_: MouseEvent| form.clone());
            html! {
                <button type="button" class="button primary" onclick={start}>
                    { words.fill_another }
                </button>
            }
        });
        html! {
            <div class="workspace survey">
                <h2>{ words.thanks_title }</h2>
                <p>{ words.thanks_text }</p>
                <p class={classes!("sync-line", self.line.class())} data-testid="sync-status"
                    aria-live="polite">{ self.line.text(words) }</p>
                { for another }
            </div>
        }
    }
}
