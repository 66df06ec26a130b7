//! Enrolling this phone: opening an enrolment link (`/enrol#CODE`, or its QR code) exchanges
//! the code for a device credential, kept in the browser's storage. A public survey link
//! (`/survey#CODE`) does the same for an anonymous survey taker's browser.

use gloo_storage::{LocalStorage, Storage};
use letsema_protocol::{ApiErrorBody, EnrolRequest, Enrolled};

use crate::words::AppWords;

/// Where the enrolment is kept. The `v1` is the layout's version: a later app migrates it.
const STORAGE_KEY: &str = "letsema.device.v1";

/// Where enrolment stands on this phone.
#[derive(Debug, Clone, PartialEq)]
pub enum EnrolmentState {
    /// No enrolment, and no link opened.
    NotEnrolled,
    /// A link was opened; the server is being asked.
    Enrolling,
    /// Enrolled: the device and its credential.
    Enrolled(Enrolled),
    /// The link did not work: why.
    Failed(EnrolFailure),
}

/// Why a link did not enrol this phone. Kept as a reason rather than a sentence, so that
/// it is said in the language chosen when it is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EnrolFailure {
    /// The server could not be reached.
    Unreachable,
    /// The server refused, in its own words (its messages are in English).
    Refused(String),
    /// The server refused without a readable reason: its HTTP status.
    Status(u16),
    /// The browser would not keep the enrolment: its reason.
    NotKept(String),
    /// The server's answer made no sense: why.
    NotUnderstood(String),
    /// The request could not be made: the browser's reason.
    Request(String),
}

impl EnrolFailure {
    /// What went wrong and what to do, in `words`' language.
    pub fn describe(&self, words: &AppWords) -> String {
        match self {
            EnrolFailure::Unreachable => words.enrol_unreachable.to_owned(),
            EnrolFailure::Refused(message) | EnrolFailure::Request(message) => message.clone(),
            EnrolFailure::Status(status) => (words.enrol_server_answered)(*status),
            EnrolFailure::NotKept(why) => (words.enrol_not_kept)(why),
            EnrolFailure::NotUnderstood(why) => (words.enrol_not_understood)(why),
        }
    }
}

/// The enrolment kept on this phone, if any.
pub fn stored() -> Option<Enrolled> {
    LocalStorage::get(STORAGE_KEY).ok()
}

/// Copies the enrolment that earlier versions kept only in `localStorage`
/// (`letsema.device.v1`) into the app's database, once: only when it holds none. The
/// `localStorage` copy is left as it is. Run at start-up, when the database opens; a
/// failure is left for the next start (the `localStorage` copy is still read).
pub async fn copy_into(storage: &letsema_web_shared::storage::Storage) {
    if let Some(enrolled) = stored() {
        let _ = storage.set_enrolment_if_none(&enrolled).await;
    }
}

/// The secret of a link the page was opened with, if any: a volunteer's enrolment link
/// (`/enrol#CODE`) or a public survey link (`/survey#CODE`). Both are exchanged the same
/// way; the server says which it was ([`letsema_protocol::DeviceInfo::public`]).
pub fn code_in_address() -> Option<String> {
    let location = web_sys::window()?.location();
    let path = location.pathname().ok()?;
    let hash = location.hash().ok()?;
    let code = hash.strip_prefix('#')?.trim().to_owned();
    let link = matches!(path.trim_end_matches('/'), "/enrol" | "/survey");
    (link && !code.is_empty()).then_some(code)
}

/// The address to open for a link a person pasted or typed: an enrolment or survey link of
/// this server (`origin`), whole (`https://host/enrol#SECRET`) or from its path on
/// (`/survey#SECRET`). `None` for anything else, which the start page then explains.
pub fn link_to_open(text: &str, origin: &str) -> Option<String> {
    let text = text.trim();
    let path = match text.strip_prefix(origin.trim_end_matches('/')) {
        Some(path) => path,
        None if text.starts_with('/') => text,
        None => return None,
    };
    let (route, code) = path.split_once('#')?;
    let known = matches!(route.trim_end_matches('/'), "/enrol" | "/survey");
    let plain = !code.is_empty()
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (known && plain).then(|| format!("{}{path}", origin.trim_end_matches('/')))
}

/// Takes the secret out of the address bar (and so out of the history and bookmarks).
fn forget_address() {
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some("/"));
    }
}

/// Exchanges a link's code for a device credential and keeps it.
pub async fn enrol(code: String) -> EnrolmentState {
    forget_address();
    let request = EnrolRequest {
        code,
        label: String::new(),
    };
    let sent = match gloo_net::http::Request::post("/api/devices/enrol").json(&request) {
        Ok(request) => request.send().await,
        Err(err) => return EnrolmentState::Failed(EnrolFailure::Request(err.to_string())),
    };
    let Ok(response) = sent else {
        return EnrolmentState::Failed(EnrolFailure::Unreachable);
    };
    if !response.ok() {
        let failure = match response.json::<ApiErrorBody>().await {
            Ok(body) => EnrolFailure::Refused(body.error.message),
            Err(_) => EnrolFailure::Status(response.status()),
        };
        return EnrolmentState::Failed(failure);
    }
    match response.json::<Enrolled>().await {
        Ok(enrolled) => match LocalStorage::set(STORAGE_KEY, &enrolled) {
            Ok(()) => EnrolmentState::Enrolled(enrolled),
            Err(err) => EnrolmentState::Failed(EnrolFailure::NotKept(err.to_string())),
        },
        Err(err) => EnrolmentState::Failed(EnrolFailure::NotUnderstood(err.to_string())),
    }
}

#[cfg(test)]
mod tests {
    // On wasm32 the same tests run in the browser (`./dev test` runs the crate there).
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    use super::link_to_open;

    const HERE: &str = "https://letsema.example.org";

    #[test]
    fn a_pasted_link_of_this_server_is_opened() {
        assert_eq!(
            link_to_open(" https://letsema.example.org/enrol#Ab-9_x ", HERE).as_deref(),
            Some("https://letsema.example.org/enrol#Ab-9_x")
        );
        assert_eq!(
            link_to_open("/survey#code", HERE).as_deref(),
            Some("https://letsema.example.org/survey#code")
        );
    }

    #[test]
    fn anything_else_is_not() {
        for text in [
            "",
            "https://elsewhere.example.org/enrol#code",
            "https://letsema.example.org/enrol#",
            "https://letsema.example.org/enrol",
            "https://letsema.example.org/staff/#code",
            "https://letsema.example.org/enrol#code\"><script>",
            "enrol#code",
        ] {
            assert_eq!(link_to_open(text, HERE), None, "{text}");
        }
    }
}
