//! The app's own words (buttons, page numbers, messages), in English and Sesotho.
//!
//! A form brings its own labels in every language it was written in; these are the words
//! the app adds around them: [`Words`] for the form view, [`AppWords`] for every other
//! screen (status, enrolment, the workspace, filling in). One language choice, made at the
//! top of the app, picks both. The Sesotho was written without a native speaker and is to
//! be reviewed by one before the app reaches volunteers (REVIEW: Sesotho).
//!
//! Texts with numbers or names in them are functions, so that each language can place them
//! and say its own singular and plural.

use letsema_web_shared::messages::ImportReport;

/// The app's words in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    /// The language's code, for the `lang` attribute of what the app writes.
    pub code: &'static str,
    /// The button to the next page.
    pub next: &'static str,
    /// The button to the previous page.
    pub previous: &'static str,
    /// The button that finalises a submission.
    pub finalise: &'static str,
    /// The button that adds a repeat instance.
    pub add: &'static str,
    /// The button that removes a repeat instance.
    pub remove: &'static str,
    /// The message for a required question without an answer, when the form gives none.
    pub required: &'static str,
    /// Read after a required question's label by screen readers.
    pub required_marker: &'static str,
    /// The button that fills in a geopoint from the device.
    pub use_my_location: &'static str,
    /// Shown while the device looks for its position.
    pub locating: &'static str,
    /// The device refused to tell its position.
    pub location_denied: &'static str,
    /// The device could not find its position.
    pub location_unavailable: &'static str,
    /// The device took too long to find its position.
    pub location_timeout: &'static str,
    /// The browser has no geolocation at all.
    pub location_unsupported: &'static str,
    /// The label of the text box a geopoint can also be typed in.
    pub location_typed: &'static str,
    /// The first, empty entry of a drop-down list.
    pub choose: &'static str,
    /// The title of the last page, where a submission is checked and finalised.
    pub review_title: &'static str,
    /// Said on the last page when nothing stops finalising.
    pub review_ready: &'static str,
    /// Said on the last page before the list of what needs attention.
    pub review_issues: &'static str,
    /// Said when the submission has been finalised.
    pub finalised: &'static str,
    /// The button beside an issue that goes to its question.
    pub go_to_question: &'static str,
    /// Shown for a question of a kind the app cannot ask yet (photos, files, ...).
    pub unsupported: &'static str,
    /// Shown when the saved answers do not fit the form.
    pub answers_do_not_fit: &'static str,
    /// The name of the page navigation, for screen readers.
    pub navigation: &'static str,
    /// "Page 3 of 7", with `{page}` and `{pages}` for the numbers.
    pub page_of_template: &'static str,
}

/// English.
pub const ENGLISH: Words = Words {
    code: "en",
    next: "Next",
    previous: "Previous",
    finalise: "Finalise",
    add: "Add",
    remove: "Remove",
    required: "This answer is required.",
    required_marker: "required",
    use_my_location: "Use my location",
    locating: "Finding your location…",
    location_denied: "This device did not allow the app to know its location. Allow location \
                      for this site in the browser's settings, or type the location below.",
    location_unavailable: "The device could not find its location. Go outside or near a \
                           window and try again, or type the location below.",
    location_timeout: "Finding the location took too long. Try again, or type the location \
                       below.",
    location_unsupported: "This browser cannot tell the location. Type it below.",
    location_typed: "Latitude and longitude",
    choose: "Choose…",
    review_title: "Check and finalise",
    review_ready: "Everything needed is answered. You can finalise.",
    review_issues: "These questions need attention before you can finalise:",
    finalised: "Finalised. Thank you.",
    go_to_question: "Go to the question",
    unsupported: "This kind of question cannot be answered in this app yet.",
    answers_do_not_fit: "The saved answers do not fit this form:",
    navigation: "Pages",
    page_of_template: "Page {page} of {pages}",
};

// REVIEW: Sesotho. Written without a native speaker; to be checked by one.
/// Sesotho (to be reviewed by a native speaker).
pub const SESOTHO: Words = Words {
    code: "st",
    next: "E latelang",
    previous: "E fetileng",
    finalise: "Qetela",
    add: "Eketsa",
    remove: "Tlosa",
    required: "Karabo ena ea hlokahala.",
    required_marker: "ea hlokahala",
    use_my_location: "Sebelisa sebaka sa ka",
    locating: "Re batla sebaka sa hao…",
    location_denied: "Sesebelisoa sena ha sea lumella app ho tseba sebaka sa sona. Lumella \
                      sebaka ho litlhophiso tsa sebatli, kapa ngola sebaka ka tlase.",
    location_unavailable: "Sesebelisoa ha se a fumana sebaka sa sona. Tsoela ka ntle kapa \
                           haufi le fensetere 'me u leke hape, kapa ngola sebaka ka tlase.",
    location_timeout: "Ho batla sebaka ho nkile nako e telele. Leka hape, kapa ngola sebaka \
                       ka tlase.",
    location_unsupported: "Sebatli sena se ke ke sa bolela sebaka. Se ngole ka tlase.",
    location_typed: "Latitude le longitude",
    choose: "Khetha…",
    review_title: "Hlahloba 'me u qetele",
    review_ready: "Tsohle tse hlokahalang li arabiloe. U ka qetela.",
    review_issues: "Lipotso tsena li hloka tlhokomelo pele u ka qetela:",
    finalised: "E qetiloe. Re a leboha.",
    go_to_question: "Eya potsong",
    unsupported: "Potso ea mofuta ona e ke ke ea arajoa ka app ena hajoale.",
    answers_do_not_fit: "Likarabo tse bolokiloeng ha li lumellane le foromo ena:",
    navigation: "Maqephe",
    page_of_template: "Leqephe la {page} ho a {pages}",
};

impl Words {
    /// The words for a language given by code or name (`st`, `Sesotho`, `Sesotho (st)`);
    /// English for any other, and when none is given.
    pub fn for_language(language: Option<&str>) -> &'static Words {
        let Some(language) = language else {
            return &ENGLISH;
        };
        if is_sesotho(language) {
            &SESOTHO
        } else {
            &ENGLISH
        }
    }

    /// "Page 3 of 7".
    pub fn page_of(&self, page: usize, pages: usize) -> String {
        self.page_of_template
            .replace("{page}", &page.to_string())
            .replace("{pages}", &pages.to_string())
    }
}

/// Whether a language given by code or name (`st`, `sot`, `Sesotho`, `Sesotho (st)`, a
/// browser's `st-LS`) is Sesotho.
fn is_sesotho(language: &str) -> bool {
    let language = language.trim().to_ascii_lowercase();
    language == "st"
        || language == "sot"
        || language.starts_with("st-")
        || language.starts_with("st_")
        || language.starts_with("sesotho")
        || language.ends_with("(st)")
}

/// The languages the app speaks, by code, with each one's name in itself (for the
/// language switch).
pub const LANGUAGES: [(&str, &str); 2] = [("en", "English"), ("st", "Sesotho")];

/// The language the app starts in: the one chosen before (`stored`), else Sesotho when the
/// browser's language is (`st`, `st-LS`, ...), else English. Always a code of
/// [`LANGUAGES`].
pub fn starting_language(stored: Option<&str>, browser: Option<&str>) -> &'static str {
    let known = |code: &str| LANGUAGES.iter().find(|(known, _)| *known == code);
    if let Some((code, _)) = stored.and_then(known) {
        return code;
    }
    AppWords::for_language(browser).code
}

/// The words of every screen around the form view (banner, status, enrolment, workspace,
/// filling in), in one language.
///
/// English texts the end-to-end tests look for (`tests/e2e/`) are part of the app's
/// behaviour: change them there too.
#[derive(Debug, Clone, Copy)]
pub struct AppWords {
    /// The language's code, for the `lang` attribute of what the app writes.
    pub code: &'static str,
    /// The label of the language switch.
    pub language: &'static str,

    // The banner and the status card.
    /// Under the app's name.
    pub tagline: &'static str,
    /// The title of the status card.
    pub status_title: &'static str,
    /// The network's line.
    pub network: &'static str,
    /// The browser is online.
    pub online: &'static str,
    /// The browser is offline.
    pub offline: &'static str,
    /// The line that says whether the app starts without a network.
    pub offline_use: &'static str,
    /// The form engine's line.
    pub form_engine: &'static str,
    /// The server's line.
    pub server: &'static str,
    /// The service worker is being installed.
    pub offline_preparing: &'static str,
    /// The app starts without a network.
    pub offline_ready: &'static str,
    /// This browser has no service workers.
    pub offline_unsupported: &'static str,
    /// Installing the service worker failed, and why (in the browser's words).
    pub offline_failed: fn(&str) -> String,
    /// The server is being asked.
    pub server_checking: &'static str,
    /// The server works: its version.
    pub server_working: fn(&str) -> String,
    /// The server answers but its database does not: its version.
    pub server_degraded: fn(&str) -> String,
    /// The server's form engine is not this app's: the server's version, its engine's and
    /// this app's.
    pub server_other_engine: fn(&str, &str, &str) -> String,
    /// The server cannot be reached.
    pub server_unreachable: &'static str,

    // Enrolment.
    /// The title of the enrolment card.
    pub phone_title: &'static str,
    /// No enrolment yet.
    pub not_enrolled: &'static str,
    /// A link is being exchanged.
    pub enrolling: &'static str,
    /// An anonymous survey taker's browser is ready.
    pub survey_ready: &'static str,
    /// Enrolled: the association and how many forms it has.
    pub enrolled: fn(&str, usize) -> String,
    /// Enrolment failed, and why.
    pub enrolment_failed: fn(&str) -> String,
    /// The server could not be reached to enrol.
    pub enrol_unreachable: &'static str,
    /// The server refused without saying why: its HTTP status.
    pub enrol_server_answered: fn(u16) -> String,
    /// The browser would not keep the enrolment: the browser's reason.
    pub enrol_not_kept: fn(&str) -> String,
    /// The server's answer made no sense: the reason.
    pub enrol_not_understood: fn(&str) -> String,

    // The start page of a browser that is not enrolled.
    /// The title of the card that says what can be done.
    pub start_title: &'static str,
    /// Its first line.
    pub start_intro: &'static str,
    /// How a volunteer's phone starts: the enrolment link or its QR code.
    pub start_enrol: &'static str,
    /// The label of the field a link can be pasted into.
    pub start_link_label: &'static str,
    /// The button that opens it.
    pub start_open: &'static str,
    /// The pasted text is not a link of this server: the server's address.
    pub start_not_a_link: fn(&str) -> String,
    /// How a survey taker starts.
    pub start_survey_how: &'static str,
    /// How staff start.
    pub start_staff: &'static str,
    /// The link to the staff area's sign-in.
    pub start_staff_link: &'static str,
    /// The button that turns the camera on to read a QR code.
    pub scan_start: &'static str,
    /// The button that turns it off.
    pub scan_stop: &'static str,
    /// The camera's picture, for screen readers.
    pub scan_camera: &'static str,
    /// While the camera looks.
    pub scan_looking: &'static str,
    /// The code read is not a link of this server: the server's address.
    pub scan_not_ours: fn(&str) -> String,
    /// The camera was refused.
    pub scan_denied: &'static str,
    /// There is no camera.
    pub scan_no_camera: &'static str,
    /// The browser reads no codes of the kind wanted.
    pub scan_cannot_read: &'static str,
    /// The camera failed: the browser's reason.
    pub scan_failed: fn(&str) -> String,
    /// After a camera problem on the start page: the way on.
    pub scan_instead_link: &'static str,
    /// After a camera problem at a barcode question: the way on.
    pub scan_instead_code: &'static str,
    /// A barcode question's button that turns the camera on.
    pub scan_barcode: &'static str,
    /// While the camera looks for a barcode.
    pub scan_barcode_looking: &'static str,

    // The workspace: storage.
    /// While the storage opens.
    pub opening_storage: &'static str,
    /// The title of the card shown when the storage cannot be opened.
    pub storage_refused_title: &'static str,
    /// What to do when the storage cannot be opened.
    pub storage_refused_advice: &'static str,

    // The workspace: sending.
    /// The title of the sending card.
    pub sending_title: &'static str,
    /// A sync round is running.
    pub sending: &'static str,
    /// The documents' module has not answered yet.
    pub looking_at_waiting: &'static str,
    /// Nothing waits to be sent.
    pub all_sent: &'static str,
    /// How many submissions wait to be sent.
    pub waiting: fn(u32) -> String,
    /// When the last successful round ended.
    pub last_sent: fn(&str) -> String,
    /// Why the last round failed (in the sync's words).
    pub last_attempt: fn(&str) -> String,
    /// The server turned the last round away (busy): in about how many minutes the app
    /// tries again.
    pub server_busy: fn(u64) -> String,
    /// The button that starts a sync round.
    pub sync_now: &'static str,
    /// Unsent work is old: since when.
    pub stale_warning: fn(&str) -> String,

    // The workspace: forms, drafts and submissions.
    /// The title of the forms card.
    pub forms_title: &'static str,
    /// No form downloaded yet.
    pub no_forms: &'static str,
    /// The forms downloaded could not be kept on the device: why (in English).
    pub forms_not_kept: fn(&str) -> String,
    /// The button that starts a new submission of a form: its title.
    pub new_submission: fn(&str) -> String,
    /// The title of the drafts card.
    pub drafts_title: &'static str,
    /// The button that opens a draft again: the form's title and when it was saved.
    pub continue_draft: fn(&str, &str) -> String,
    /// The title of the submissions card.
    pub submissions_title: &'static str,
    /// A submission with changes not sent yet.
    pub state_waiting: &'static str,
    /// A submission sent and not reviewed yet.
    pub state_received: &'static str,
    /// A reviewer asked for corrections.
    pub state_has_issues: &'static str,
    /// A reviewer approved it.
    pub state_approved: &'static str,
    /// A reviewer rejected it.
    pub state_rejected: &'static str,
    /// The name of the list of reviewers' comments, for screen readers.
    pub reviewers_comments: &'static str,
    /// The button that opens a submission to correct it: the form's title.
    pub correct: fn(&str) -> String,

    // The workspace: the storage card and backups.
    /// The title of the storage card.
    pub storage_title: &'static str,
    /// The browser keeps the data.
    pub persisted_yes: &'static str,
    /// The browser may clear the data.
    pub persisted_no: &'static str,
    /// The browser does not say.
    pub persisted_unknown: &'static str,
    /// The space used and available, in bytes.
    pub usage: fn(u64, u64) -> String,
    /// Little space is left.
    pub space_warning: &'static str,
    /// The title of the backup part.
    pub backup_title: &'static str,
    /// What a backup file is for.
    pub backup_intro: &'static str,
    /// The button that saves a backup file.
    pub save_backup: &'static str,
    /// The label of the file input that restores a backup.
    pub restore_backup: &'static str,
    /// The backup file was offered as a download.
    pub backup_saved: &'static str,
    /// The browser would not download the file.
    pub backup_not_saved: &'static str,
    /// The backup could not be made, and why (in the documents' module's words).
    pub backup_not_made: fn(&str) -> String,
    /// What a restore brought back.
    pub restored: fn(&ImportReport) -> String,
    /// The chosen file could not be read.
    pub file_unreadable: &'static str,

    // The first screen, the lists and this phone's page.
    /// A line of the first screen: the device's association (its name, else its code).
    pub for_association: fn(&str) -> String,
    /// Nothing finalised on this phone yet, so nothing was sent.
    pub nothing_sent_yet: &'static str,
    /// Offline, with this many submissions waiting.
    pub offline_waiting: fn(u32) -> String,
    /// This many submissions wait, and the last round failed (the detail is a tap away).
    pub send_failed: fn(u32) -> String,
    /// The server turned the last round away (the detail is a tap away).
    pub server_busy_short: &'static str,
    /// The name of the part of the first screen that opens the lists, for screen readers.
    pub records: &'static str,
    /// The row of the first screen that opens the finalised submissions waiting to be sent.
    pub waiting_title: &'static str,
    /// The row of the first screen that opens the finalised submissions sent.
    pub sent_title: &'static str,
    /// How many of the submissions shown came back from a reviewer.
    pub returned: fn(usize) -> String,
    /// The button to this phone's page (and its title).
    pub this_phone: &'static str,
    /// The button back to the first screen.
    pub back_home: &'static str,
    /// After finalising: what happens next.
    pub finalised_next: &'static str,
    /// After a correction: what happens next.
    pub corrected_next: &'static str,
    /// The label of the search box of a long list.
    pub search_by_name: &'static str,
    /// The search matches nothing.
    pub no_match: &'static str,
    /// The drafts' list is empty.
    pub no_drafts: &'static str,
    /// The submissions' list is empty.
    pub no_submissions: &'static str,
    /// The state of a draft.
    pub state_draft: &'static str,
    /// A record without a name (its form has no `instance_name`, or it is empty): the
    /// form's title.
    pub unnamed: fn(&str) -> String,
    /// The button that opens a draft again: its name.
    pub continue_named: fn(&str) -> String,
    /// The button that opens the file chooser for a backup to restore.
    pub choose_backup: &'static str,
    /// The state of the sync, on this phone's page.
    pub sync_details: &'static str,
    /// A survey taker's first screen: what happens to the answers.
    pub survey_intro: &'static str,
    /// A survey taker's button that starts the survey: its title.
    pub start_survey: fn(&str) -> String,
    /// A survey taker's button that continues the survey begun: its title.
    pub continue_survey: fn(&str) -> String,
    /// The thank-you page's title.
    pub thanks_title: &'static str,
    /// The thank-you page: what happens to the answers now.
    pub thanks_text: &'static str,
    /// The button that starts another submission of the survey.
    pub fill_another: &'static str,

    // Filling in.
    /// The name of the filling-in screen, for screen readers.
    pub fill_in: &'static str,
    /// While the form opens.
    pub opening_form: &'static str,
    /// The button back to the list when the form could not be opened.
    pub back: &'static str,
    /// The button back to the list from a form being filled in.
    pub back_keeping_draft: &'static str,
    /// The form's definition does not compile here: the engine's reasons.
    pub form_unusable: fn(&str) -> String,

    // Records and dates: drafts and submissions by name, when they were started.
    /// The months' names, January first, as a date is written ("3 Dec 2026, 06:08"; see
    /// [`crate::dates`]).
    pub months: [&'static str; 12],
    /// When a draft or a submission was started: the date ([`crate::dates`]).
    pub started: fn(&str) -> String,
}

impl AppWords {
    /// English.
    pub const ENGLISH: AppWords = AppWords {
        code: "en",
        language: "Language",

        tagline: "Offline-first surveys for diaspora mapping",
        status_title: "Status",
        network: "Network",
        online: "online",
        offline: "offline",
        offline_use: "Offline use",
        form_engine: "Form engine",
        server: "Server",
        offline_preparing: "preparing…",
        offline_ready: "ready: the app opens without a network",
        offline_unsupported: "not available in this browser: keep this page open while offline",
        offline_failed: |why| format!("not available: {why}"),
        server_checking: "checking…",
        server_working: |version| format!("version {version}, working"),
        server_degraded: |version| format!("version {version}, its database is not answering"),
        server_other_engine: |version, theirs, ours| {
            format!(
                "version {version}, but its form engine is {theirs} and this app's is {ours}: \
                 reload to update"
            )
        },
        server_unreachable: "not reachable: working offline",

        phone_title: "This phone",
        not_enrolled: "Not enrolled yet: open the link, or scan the QR code, that your \
                       coordinator gave you.",
        enrolling: "Enrolling this device…",
        survey_ready: "Ready for the survey: your answers stay on this device until they are \
                       sent, even if the connection drops.",
        enrolled: |association, forms| match forms {
            1 => format!("Enrolled for the association {association} (1 form)."),
            _ => format!("Enrolled for the association {association} ({forms} forms)."),
        },
        enrolment_failed: |why| format!("Enrolment failed: {why}"),
        enrol_unreachable: "The server cannot be reached. Connect to the internet and open the \
                            link again.",
        enrol_server_answered: |status| format!("The server answered {status}."),
        enrol_not_kept: |why| {
            format!(
                "This browser would not keep the enrolment ({why}). Private browsing cannot \
                 keep data: open the link in a normal window."
            )
        },
        enrol_not_understood: |why| format!("The server's answer was not understood: {why}"),

        start_title: "Get started",
        start_intro: "This phone or browser is not enrolled yet. What would you like to do?",
        start_enrol: "Volunteers: open the enrolment link your coordinator sent you, or scan its \
                      QR code with the phone's camera. A link you received as text can be \
                      pasted here:",
        start_link_label: "Enrolment or survey link",
        start_open: "Open",
        start_not_a_link: |origin| {
            format!(
                "That is not an enrolment or survey link of this server: such a link begins \
                 with {origin}/enrol# or {origin}/survey#."
            )
        },
        start_survey_how: "Survey takers: open the survey link you were given. No enrolment is \
                       needed, and your answers are kept on this device until they are sent.",
        start_staff: "Coordinators, reviewers and administrators work in the staff area.",
        start_staff_link: "Sign in as staff",
        scan_start: "Scan the QR code",
        scan_stop: "Stop the camera",
        scan_camera: "The camera's picture",
        scan_looking: "Point the camera at the QR code your coordinator shows you.",
        scan_not_ours: |origin| {
            format!(
                "That QR code is not an enrolment or survey link of this server ({origin}). \
                 Point the camera at the one your coordinator gave you."
            )
        },
        scan_denied: "The camera may not be used: allow it for this site in the browser's \
                      settings.",
        scan_no_camera: "No camera was found.",
        scan_cannot_read: "This browser cannot read such codes with the camera.",
        scan_failed: |why| format!("The camera could not be used ({why})."),
        scan_instead_link: "Or paste the link instead.",
        scan_instead_code: "Or type the code instead.",
        scan_barcode: "Scan the barcode",
        scan_barcode_looking: "Point the camera at the barcode.",

        opening_storage: "Opening this device's storage…",
        storage_refused_title: "This browser cannot keep your work",
        storage_refused_advice: "Private browsing windows forget everything when closed. Open \
                                 this app in a normal window.",

        sending_title: "Sending",
        sending: "Sending…",
        looking_at_waiting: "Looking at what waits to be sent…",
        all_sent: "Everything is sent.",
        waiting: |count| match count {
            1 => "1 submission waits to be sent.".to_owned(),
            _ => format!("{count} submissions wait to be sent."),
        },
        last_sent: |when| format!("Last sent: {when}"),
        last_attempt: |why| format!("Last attempt: {why}"),
        server_busy: |minutes| match minutes {
            1 => "The server cannot take your submissions just now. They are safe on this \
                  phone; the app will try again in about a minute."
                .to_owned(),
            _ => format!(
                "The server cannot take your submissions just now. They are safe on this \
                 phone; the app will try again in about {minutes} minutes."
            ),
        },
        sync_now: "Sync now",
        stale_warning: |since| {
            format!(
                "Some work has waited to be sent since {since}. Connect to the internet soon, \
                 or save a backup file below, so that nothing is lost if this device is lost \
                 or its browser data cleared."
            )
        },

        forms_title: "Forms",
        no_forms: "No forms yet: connect to the internet once to download them.",
        forms_not_kept: |why| {
            format!(
                "The latest forms could not be kept on this device, so they cannot be used \
                 offline yet: {why} Then reload the page to try again."
            )
        },
        new_submission: |title| format!("New: {title}"),
        drafts_title: "Drafts",
        continue_draft: |title, saved| format!("Continue: {title} (saved {saved})"),
        submissions_title: "Submissions",
        state_waiting: "waits to be sent",
        state_received: "sent, not reviewed yet",
        state_has_issues: "a reviewer asks for corrections",
        state_approved: "approved",
        state_rejected: "rejected",
        reviewers_comments: "Reviewers' comments",
        correct: |title| format!("Correct: {title}"),

        storage_title: "This device's storage",
        persisted_yes: "Kept: the browser will not clear this app's data on its own.",
        persisted_no: "Not guaranteed: the browser may clear this app's data when space runs \
                       low. Send your work often.",
        persisted_unknown: "This browser does not say whether it keeps this app's data.",
        usage: |used, quota| {
            format!(
                "Using {:.1} MB of {:.0} MB available.",
                used as f64 / 1e6,
                quota as f64 / 1e6
            )
        },
        space_warning: "Space is running low on this device: send your work, then free some \
                        space (photos, other apps) before registering more members.",
        backup_title: "Backup",
        backup_intro: "A backup file holds every draft and every submission not yet sent. Keep \
                       it until the work is sent; open it here to bring the work back.",
        save_backup: "Save a backup file",
        restore_backup: "Restore from a backup file",
        backup_saved: "The backup file was saved (see your downloads).",
        backup_not_saved: "This browser would not save the file.",
        backup_not_made: |why| format!("The backup could not be made: {why}"),
        restored: |report| {
            format!(
                "Restored: {} submission(s) added, {} merged, {} draft(s) added, {} merged, {} \
                 already here; {} could not be read.",
                report.documents_added,
                report.documents_merged,
                report.drafts_added,
                report.drafts_merged,
                report.unchanged,
                report.failed.len()
            )
        },
        file_unreadable: "The file could not be read: choose it again.",

        for_association: |association| format!("Registering for {association}"),
        nothing_sent_yet: "Nothing finalised yet, so nothing to send.",
        offline_waiting: |count| match count {
            1 => "Offline: 1 submission waits; it goes when there is a network.".to_owned(),
            _ => format!("Offline: {count} submissions wait; they go when there is a network."),
        },
        send_failed: |count| match count {
            1 => "1 submission waits: the last try to send failed. Tap for details.".to_owned(),
            _ => format!("{count} submissions wait: the last try to send failed. Tap for details."),
        },
        server_busy_short: "The server is busy: the app tries again soon.",
        records: "Your work",
        waiting_title: "Waiting to be sent",
        sent_title: "Sent",
        returned: |count| match count {
            1 => "1 returned for correction".to_owned(),
            _ => format!("{count} returned for correction"),
        },
        this_phone: "This phone",
        back_home: "Back to the first screen",
        finalised_next: "Finalised and kept on this phone. It will be sent when there is a \
                         network.",
        corrected_next: "Correction kept on this phone. It will be sent when there is a \
                         network.",
        search_by_name: "Search by name",
        no_match: "No record has that name.",
        no_drafts: "No drafts: a registration you leave before finalising waits here.",
        no_submissions: "Nothing finalised yet.",
        state_draft: "draft, not finalised",
        unnamed: |title| format!("{title} (no name yet)"),
        continue_named: |name| format!("Continue: {name}"),
        choose_backup: "Choose a backup file to restore",
        sync_details: "Sending",
        survey_intro: "Your answers are kept on this device until they are sent, even \
                       without a network.",
        start_survey: |title| format!("Start: {title}"),
        continue_survey: |title| format!("Continue: {title}"),
        thanks_title: "Thank you",
        thanks_text: "Your answers are kept on this device and sent as soon as there is a \
                      network. You can close this page once they are sent.",
        fill_another: "Fill in another",

        fill_in: "Fill in the form",
        opening_form: "Opening the form…",
        back: "Back to the list",
        back_keeping_draft: "Back to the list (the draft is kept)",
        form_unusable: |why| format!("This form cannot be filled in here: {why}"),

        months: [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ],
        started: |when| format!("started {when}"),
    };

    // REVIEW: Sesotho. Written without a native speaker; to be checked by one.
    /// Sesotho (to be reviewed by a native speaker).
    pub const SESOTHO: AppWords = AppWords {
        code: "st",
        language: "Puo",

        tagline: "Lipatlisiso tse sebetsang le ntle le marang-rang, ho tseba Basotho ba lulang \
                  linaheng tse ling",
        status_title: "Boemo",
        network: "Marang-rang",
        online: "e hokahane",
        offline: "ha e a hokahana",
        offline_use: "Ntle le marang-rang",
        form_engine: "Enjene ea foromo",
        server: "Seva",
        offline_preparing: "e ntse e itokisa…",
        offline_ready: "e lokile: app e buleha le ntle le marang-rang",
        offline_unsupported: "ha e fumanehe sebatling sena: u se ke ua koala leqephe lena ha u \
                              se na marang-rang",
        offline_failed: |why| format!("ha e fumanehe: {why}"),
        server_checking: "re ea hlahloba…",
        server_working: |version| format!("khatiso {version}, e ea sebetsa"),
        server_degraded: |version| {
            format!("khatiso {version}, polokelo ea eona ea tsebo ha e arabe")
        },
        server_other_engine: |version, theirs, ours| {
            format!(
                "khatiso {version}, empa enjene ea eona ea foromo ke {theirs} 'me ea app ena ke \
                 {ours}: bula leqephe bocha ho ntlafatsa"
            )
        },
        server_unreachable: "ha e fihlellehe: re sebetsa ntle le marang-rang",

        phone_title: "Fono ena",
        not_enrolled: "Fono ena ha e so ngolisoe: bula sehokelo, kapa u skene khoutu ea QR, eo \
                       mohokahanyi oa hao a u fileng eona.",
        enrolling: "Re ngolisa sesebelisoa sena…",
        survey_ready: "E loketse patlisiso: likarabo tsa hao li lula sesebelisoeng sena ho \
                       fihlela li romeloa, le ha khokahano e ka khaoha.",
        enrolled: |association, forms| match forms {
            1 => format!("E ngolisitsoe bakeng sa mokhatlo oa {association} (foromo e le 1)."),
            _ => {
                format!("E ngolisitsoe bakeng sa mokhatlo oa {association} (liforomo tse {forms}).")
            }
        },
        enrolment_failed: |why| format!("Ngoliso e hlolehile: {why}"),
        enrol_unreachable: "Seva ha e fihlellehe. Hokahana le marang-rang 'me u bule sehokelo \
                            hape.",
        enrol_server_answered: |status| format!("Seva e arabile ka {status}."),
        enrol_not_kept: |why| {
            format!(
                "Sebatli sena ha sea ka sa boloka ngoliso ({why}). Fensetere ea lekunutu e ke ke \
                 ea boloka letho: bula sehokelo fensetereng e tloaelehileng."
            )
        },
        enrol_not_understood: |why| format!("Karabo ea seva ha ea utloisisoa: {why}"),

        start_title: "Qala mona",
        start_intro: "Fono ena kapa sebatli sena ha se so ngolisoe. U batla ho etsa eng?",
        start_enrol: "Baithaopi: bulang sehokelo sa ngoliso seo mohokahanyi oa lona a le \
                      romeletseng sona, kapa le skene khoutu ea sona ea QR ka khamera ea fono. \
                      Sehokelo se fumanoeng e le molaetsa se ka kenngoa mona:",
        start_link_label: "Sehokelo sa ngoliso kapa sa phuputso",
        start_open: "Bula",
        start_not_a_link: |origin| {
            format!(
                "Sena hase sehokelo sa ngoliso kapa sa phuputso sa seva ena: sehokelo se joalo \
                 se qala ka {origin}/enrol# kapa {origin}/survey#."
            )
        },
        start_survey_how: "Ba arabang phuputso: bulang sehokelo sa phuputso seo le se filoeng. Ha ho \
                       hlokahale ho ngolisa, 'me likarabo tsa lona li bolokoa sesebelisoeng sena \
                       ho fihlela li romeloa.",
        start_staff: "Bahokahanyi, bahlahlobi le batsamaisi ba sebeletsa sebakeng sa basebetsi.",
        start_staff_link: "Kena joaloka mosebetsi",
        scan_start: "Skena khoutu ea QR",
        scan_stop: "Tima khamera",
        scan_camera: "Setšoantšo sa khamera",
        scan_looking: "Lebisa khamera khoutung ea QR eo mohokahanyi oa hao a u bontšang eona.",
        scan_not_ours: |origin| {
            format!(
                "Khoutu ena ea QR hase sehokelo sa ngoliso kapa sa phuputso sa seva ena \
                 ({origin}). Lebisa khamera ho eo mohokahanyi oa hao a u fileng eona."
            )
        },
        scan_denied: "Khamera e ke ke ea sebelisoa: e lumelle bakeng sa sebaka sena \
                      litlhophisong tsa sebatli.",
        scan_no_camera: "Ha ho khamera e fumanoeng.",
        scan_cannot_read: "Sebatli sena se ke ke sa bala likhoutu tse joalo ka khamera.",
        scan_failed: |why| format!("Khamera e hlōlehile ho sebetsa ({why})."),
        scan_instead_link: "Kapa u kenye sehokelo.",
        scan_instead_code: "Kapa u ngole khoutu.",
        scan_barcode: "Skena barcode",
        scan_barcode_looking: "Lebisa khamera ho barcode.",

        opening_storage: "Re bula polokelo ea sesebelisoa sena…",
        storage_refused_title: "Sebatli sena se ke ke sa boloka mosebetsi oa hao",
        storage_refused_advice: "Lifensetere tsa lekunutu li lebala tsohle ha li koaloa. Bula \
                                 app ena fensetereng e tloaelehileng.",

        sending_title: "Ho romela",
        sending: "Re ea romela…",
        looking_at_waiting: "Re sheba se emetseng ho romeloa…",
        all_sent: "Tsohle li rometsoe.",
        waiting: |count| match count {
            1 => "Foromo e le 'ngoe e tlatsitsoeng e emetse ho romeloa.".to_owned(),
            _ => format!("Liforomo tse {count} tse tlatsitsoeng li emetse ho romeloa."),
        },
        last_sent: |when| format!("E rometsoe la ho qetela: {when}"),
        last_attempt: |why| format!("Teko ea ho qetela: {why}"),
        server_busy: |minutes| match minutes {
            1 => "Seva e ke ke ea amohela liforomo tsa hao hona joale. Li bolokehile fonong \
                  ena; app e tla leka hape ka mor'a motsotso o le mong."
                .to_owned(),
            _ => format!(
                "Seva e ke ke ea amohela liforomo tsa hao hona joale. Li bolokehile fonong \
                 ena; app e tla leka hape ka mor'a metsotso e ka bang {minutes}."
            ),
        },
        sync_now: "Romela hona joale",
        stale_warning: |since| {
            format!(
                "Mosebetsi o mong o emetse ho romeloa ho tloha ka {since}. Hokahana le \
                 marang-rang haufinyane, kapa u boloke faele ea kopi ka tlase, e le hore ho se \
                 lahleha letho haeba sesebelisoa sena se ka lahleha kapa data ea sebatli sa sona \
                 ea hlakoloa."
            )
        },

        forms_title: "Liforomo",
        no_forms: "Ha ho so be le liforomo: hokahana le marang-rang hang ho li jarolla.",
        forms_not_kept: |why| {
            format!(
                "Liforomo tse ncha ha lia ka tsa bolokoa fonong ena, kahoo ha li e-so \
                 sebelisoe ntle le marang-rang: {why} Ebe u bula leqephe bocha ho leka hape."
            )
        },
        new_submission: |title| format!("E ncha: {title}"),
        drafts_title: "Meralo",
        continue_draft: |title, saved| format!("Tsoela pele: {title} (e bolokiloe {saved})"),
        submissions_title: "Liforomo tse tlatsitsoeng",
        state_waiting: "e emetse ho romeloa",
        state_received: "e rometsoe, ha e so hlahlojoe",
        state_has_issues: "mohlahlobi o kopa litokiso",
        state_approved: "e amohetsoe",
        state_rejected: "e hannoe",
        reviewers_comments: "Maikutlo a bahlahlobi",
        correct: |title| format!("Lokisa: {title}"),

        storage_title: "Polokelo ea sesebelisoa sena",
        persisted_yes: "E bolokiloe: sebatli se ke ke sa hlakola data ea app ena ka bosona.",
        persisted_no: "Ha ho tiisetso: sebatli se ka hlakola data ea app ena ha sebaka se fela. \
                       Romela mosebetsi oa hao khafetsa.",
        persisted_unknown: "Sebatli sena ha se bolele hore na se boloka data ea app ena.",
        usage: |used, quota| {
            format!(
                "Ho sebelisoa MB tse {:.1} ho tse {:.0} tse teng.",
                used as f64 / 1e6,
                quota as f64 / 1e6
            )
        },
        space_warning: "Sebaka se ea fela sesebelisoeng sena: romela mosebetsi oa hao, ebe u \
                        lokolla sebaka (litšoantšo, li-app tse ling) pele u ngolisa litho tse \
                        ling.",
        backup_title: "Kopi ea polokelo",
        backup_intro: "Faele ea kopi e boloka moralo o mong le o mong le foromo e 'ngoe le e \
                       'ngoe e tlatsitsoeng e so kang e romeloa. E boloke ho fihlela mosebetsi o \
                       romeloa; e bule mona ho khutlisa mosebetsi.",
        save_backup: "Boloka faele ea kopi",
        restore_backup: "Khutlisa ho tsoa faeleng ea kopi",
        backup_saved: "Faele ea kopi e bolokiloe (sheba lifaele tse jarollotsoeng).",
        backup_not_saved: "Sebatli sena ha sea ka sa boloka faele.",
        backup_not_made: |why| format!("Kopi ha ea ka ea etsoa: {why}"),
        restored: |report| {
            format!(
                "E khutlisitsoe: liforomo tse tlatsitsoeng tse ncha: {}, tse kopantsoeng: {}; \
                 meralo e mecha: {}, e kopantsoeng: {}; tse neng li se li le teng: {}; tse sa \
                 baloang: {}.",
                report.documents_added,
                report.documents_merged,
                report.drafts_added,
                report.drafts_merged,
                report.unchanged,
                report.failed.len()
            )
        },
        file_unreadable: "Faele ha ea ka ea baloa: e khethe hape.",

        for_association: |association| format!("U ngolisetsa {association}"),
        nothing_sent_yet: "Ha ho se se qetiloeng, kahoo ha ho se ka romeloang.",
        offline_waiting: |count| match count {
            1 => "Ha ho marang-rang: foromo e le 'ngoe e emetse; e tla romeloa ha marang-rang \
                  a le teng."
                .to_owned(),
            _ => format!(
                "Ha ho marang-rang: liforomo tse {count} li emetse; li tla romeloa ha \
                 marang-rang a le teng."
            ),
        },
        send_failed: |count| match count {
            1 => "Foromo e le 'ngoe e emetse: teko ea ho qetela ea ho romela e hlōlehile. \
                  Tobetsa ho bona lintlha."
                .to_owned(),
            _ => format!(
                "Liforomo tse {count} li emetse: teko ea ho qetela ea ho romela e hlōlehile. \
                 Tobetsa ho bona lintlha."
            ),
        },
        server_busy_short: "Seva e phathahane: app e tla leka hape haufinyane.",
        records: "Mosebetsi oa hao",
        waiting_title: "Tse emetseng ho romeloa",
        sent_title: "Tse rometsoeng",
        returned: |count| match count {
            1 => "e le 'ngoe e khutlisitsoe hore e lokisoe".to_owned(),
            _ => format!("tse {count} li khutlisitsoe hore li lokisoe"),
        },
        this_phone: "Fono ena",
        back_home: "Khutlela skrineng sa pele",
        finalised_next: "E qetiloe 'me e bolokiloe fonong ena. E tla romeloa ha marang-rang a \
                         le teng.",
        corrected_next: "Tokiso e bolokiloe fonong ena. E tla romeloa ha marang-rang a le \
                         teng.",
        search_by_name: "Batla ka lebitso",
        no_match: "Ha ho rekoto e nang le lebitso leo.",
        no_drafts: "Ha ho meralo: ngoliso eo u e tlohelang pele u e qetela e emela mona.",
        no_submissions: "Ha ho se se qetiloeng hajoale.",
        state_draft: "moralo, ha o so qetoe",
        unnamed: |title| format!("{title} (ha e so be le lebitso)"),
        continue_named: |name| format!("Tsoela pele: {name}"),
        choose_backup: "Khetha faele ea kopi eo u e khutlisang",
        sync_details: "Ho romela",
        survey_intro: "Likarabo tsa hao li bolokoa sesebelisoeng sena ho fihlela li romeloa, \
                       leha ho se marang-rang.",
        start_survey: |title| format!("Qala: {title}"),
        continue_survey: |title| format!("Tsoela pele: {title}"),
        thanks_title: "Re a leboha",
        thanks_text: "Likarabo tsa hao li bolokiloe sesebelisoeng sena 'me li tla romeloa hang \
                      ha marang-rang a le teng. U ka koala leqephe lena ha li se li rometsoe.",
        fill_another: "Tlatsa e 'ngoe",

        fill_in: "Tlatsa foromo",
        opening_form: "Re bula foromo…",
        back: "Khutlela lenaneng",
        back_keeping_draft: "Khutlela lenaneng (moralo o ea bolokoa)",
        form_unusable: |why| format!("Foromo ena e ke ke ea tlatsoa mona: {why}"),

        // REVIEW: Sesotho. The months in Lesotho's spelling (as the rest of these words),
        // from the South African spellings on Wikipedia's "Sotho calendar" (Pherekgong,
        // Motsheanong, Lwetse, Pudungwana, Tshitwe, ...) written with Lesotho's kh, tš, oe
        // and l before u. Full names: Sesotho has no short forms in common use.
        months: [
            "Pherekhong",
            "Hlakola",
            "Hlakubele",
            "Mmesa",
            "Motšeanong",
            "Phupjane",
            "Phupu",
            "Phato",
            "Loetse",
            "Mphalane",
            "Pulungoana",
            "Tšitoe",
        ],
        started: |when| format!("e qalile {when}"),
    };

    /// The words for a language given by code or name, as [`Words::for_language`] finds
    /// them: Sesotho for `st`, `Sesotho`, `st-LS`, ...; English for any other and for none.
    pub fn for_language(language: Option<&str>) -> &'static AppWords {
        match language {
            Some(language) if is_sesotho(language) => &Self::SESOTHO,
            _ => &Self::ENGLISH,
        }
    }
}

#[cfg(test)]
mod tests {
    // On wasm32 the same tests run in the browser (`./dev test` runs the crate there).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::*;

    #[test]
    fn sesotho_is_found_by_code_and_by_name() {
        for name in ["st", "ST", "Sesotho", "Sesotho (st)"] {
            assert_eq!(Words::for_language(Some(name)).code, "st", "{name}");
        }
        for name in ["en", "English (en)", "fr"] {
            assert_eq!(Words::for_language(Some(name)).code, "en", "{name}");
        }
        assert_eq!(Words::for_language(None).code, "en");
    }

    /// A word, or the words of a list (the months), as one text.
    trait Text {
        fn text(&self) -> String;
    }

    impl Text for &str {
        fn text(&self) -> String {
            (*self).to_owned()
        }
    }

    impl Text for [&str; 12] {
        fn text(&self) -> String {
            self.join(" ")
        }
    }

    /// Destructures a struct of words without `..` (so that a new field cannot be forgotten
    /// here) into its texts, named, calling each function field with the arguments given.
    macro_rules! texts {
        ($words:expr, $kind:ident { $($text:ident),* $(,)? } $($call:ident($($arg:expr),*)),* $(,)?) => {{
            let $kind { $($text,)* $($call,)* } = $words;
            vec![
                $((stringify!($text), Text::text(&$text)),)*
                $((stringify!($call), $call($($arg),*)),)*
            ]
        }};
    }

    fn app_texts(words: &AppWords) -> Vec<(&'static str, String)> {
        let report = ImportReport {
            documents_added: 2,
            drafts_added: 1,
            ..ImportReport::default()
        };
        texts!(*words, AppWords {
            code, language, tagline, status_title, network, online, offline, offline_use,
            form_engine, server, offline_preparing, offline_ready, offline_unsupported,
            server_checking, server_unreachable, phone_title, not_enrolled, enrolling,
            survey_ready, enrol_unreachable, start_title, start_intro, start_enrol,
            start_link_label, start_open, start_survey_how, start_staff, start_staff_link,
            scan_start, scan_stop, scan_camera, scan_looking, scan_denied, scan_no_camera,
            scan_instead_link, scan_instead_code, scan_barcode, scan_barcode_looking,
            scan_cannot_read,
            opening_storage, storage_refused_title,
            storage_refused_advice, sending_title, sending, looking_at_waiting, all_sent,
            sync_now, forms_title, no_forms, drafts_title, submissions_title, state_waiting,
            state_received, state_has_issues, state_approved, state_rejected,
            reviewers_comments, storage_title, persisted_yes, persisted_no, persisted_unknown,
            space_warning, backup_title, backup_intro, save_backup, restore_backup,
            backup_saved, backup_not_saved, file_unreadable, fill_in, opening_form, back,
            back_keeping_draft, nothing_sent_yet, server_busy_short, records,
            waiting_title, sent_title, this_phone, back_home, finalised_next, corrected_next,
            search_by_name, no_match, no_drafts, no_submissions, state_draft, choose_backup,
            sync_details, survey_intro, thanks_title, thanks_text, fill_another, months,
        }
            offline_failed("no worker"), server_working("0.1.0"), server_degraded("0.1.0"),
            server_other_engine("0.1.0", "2", "1"), enrolled("maseru-nurses", 2),
            enrolment_failed("expired"), enrol_server_answered(502), enrol_not_kept("quota"),
            enrol_not_understood("eof"), start_not_a_link("https://a.example"),
            scan_not_ours("https://a.example"), scan_failed("NotReadableError"), waiting(2), last_sent("today"),
            last_attempt("HTTP 500"), server_busy(3), stale_warning("Monday"), new_submission("Registration"),
            continue_draft("Registration", "today"), correct("Registration"),
            usage(1_500_000, 2_000_000_000), backup_not_made("full"), restored(&report),
            forms_not_kept("full"),
            form_unusable("cycle"), for_association("Maseru Nurses"), offline_waiting(3),
            returned(2), send_failed(2), started("3 Dec 2026, 06:08"), unnamed("Registration"),
            continue_named("Mokoena"), start_survey("Survey"), continue_survey("Survey"),
        )
    }

    #[test]
    fn every_app_word_is_translated() {
        let english = app_texts(&AppWords::ENGLISH);
        let sesotho = app_texts(&AppWords::SESOTHO);
        for ((name, english), (_, sesotho)) in english.iter().zip(&sesotho) {
            assert!(!sesotho.trim().is_empty(), "{name} is empty in Sesotho");
            assert_ne!(english, sesotho, "{name} is not translated");
        }
    }

    #[test]
    fn every_form_view_word_is_translated() {
        let texts = |words: &Words| -> Vec<(&'static str, String)> {
            texts!(
                *words,
                Words {
                    code,
                    next,
                    previous,
                    finalise,
                    add,
                    remove,
                    required,
                    required_marker,
                    use_my_location,
                    locating,
                    location_denied,
                    location_unavailable,
                    location_timeout,
                    location_unsupported,
                    location_typed,
                    choose,
                    review_title,
                    review_ready,
                    review_issues,
                    finalised,
                    go_to_question,
                    unsupported,
                    answers_do_not_fit,
                    navigation,
                    page_of_template,
                }
            )
        };
        for ((name, english), (_, sesotho)) in texts(&ENGLISH).iter().zip(&texts(&SESOTHO)) {
            assert_ne!(english, sesotho, "{name} is not translated");
        }
    }

    #[test]
    fn counts_say_singular_and_plural() {
        let english = &AppWords::ENGLISH;
        assert_eq!((english.waiting)(1), "1 submission waits to be sent.");
        assert_eq!((english.waiting)(2), "2 submissions wait to be sent.");
        assert_eq!((english.waiting)(0), "0 submissions wait to be sent.");
        assert_eq!(
            (english.enrolled)("maseru-nurses", 1),
            "Enrolled for the association maseru-nurses (1 form)."
        );
        assert_eq!(
            (english.enrolled)("maseru-nurses", 3),
            "Enrolled for the association maseru-nurses (3 forms)."
        );
        assert_eq!(
            (english.start_not_a_link)("https://a.example"),
            "That is not an enrolment or survey link of this server: such a link begins with \
             https://a.example/enrol# or https://a.example/survey#."
        );
        assert!((english.server_busy)(1).ends_with("in about a minute."));
        assert!((english.server_busy)(4).ends_with("in about 4 minutes."));

        let sesotho = &AppWords::SESOTHO;
        assert_eq!(
            (sesotho.waiting)(1),
            "Foromo e le 'ngoe e tlatsitsoeng e emetse ho romeloa."
        );
        assert_eq!(
            (sesotho.waiting)(2),
            "Liforomo tse 2 tse tlatsitsoeng li emetse ho romeloa."
        );
        assert_eq!(
            (sesotho.enrolled)("maseru-nurses", 1),
            "E ngolisitsoe bakeng sa mokhatlo oa maseru-nurses (foromo e le 1)."
        );
        assert!((sesotho.server_busy)(1).ends_with("motsotso o le mong."));
        assert!((sesotho.server_busy)(4).ends_with("metsotso e ka bang 4."));
    }

    #[test]
    fn app_words_follow_the_same_language_names() {
        for name in ["st", "Sesotho", "Sesotho (st)", "st-LS", "st_ZA"] {
            assert_eq!(AppWords::for_language(Some(name)).code, "st", "{name}");
        }
        for name in ["en", "en-US", "fr", "stx", ""] {
            assert_eq!(AppWords::for_language(Some(name)).code, "en", "{name}");
        }
        assert_eq!(AppWords::for_language(None).code, "en");
        for (code, _) in LANGUAGES {
            assert_eq!(AppWords::for_language(Some(code)).code, code);
            assert_eq!(Words::for_language(Some(code)).code, code);
        }
    }

    #[test]
    fn the_app_starts_in_the_chosen_language_else_the_browsers() {
        // A choice made before wins over the browser's language.
        assert_eq!(starting_language(Some("en"), Some("st-LS")), "en");
        assert_eq!(starting_language(Some("st"), Some("en-GB")), "st");
        // Without one (or with one this app no longer knows), the browser's.
        assert_eq!(starting_language(None, Some("st-LS")), "st");
        assert_eq!(starting_language(None, Some("st")), "st");
        assert_eq!(starting_language(Some("fr"), Some("st")), "st");
        assert_eq!(starting_language(None, Some("en-US")), "en");
        assert_eq!(starting_language(None, Some("zu-ZA")), "en");
        assert_eq!(starting_language(None, None), "en");
    }

    #[test]
    fn pages_are_counted_in_words() {
        assert_eq!(ENGLISH.page_of(3, 7), "Page 3 of 7");
        assert_eq!(SESOTHO.page_of(3, 7), "Leqephe la 3 ho a 7");
    }
}
