//! Enrolling this phone: opening an enrolment link (`/enrol#CODE`, or its QR code) exchanges
//! the code for a device credential, kept in the browser's storage. A public survey link
//! (`/survey#CODE`) does the same for an anonymous survey taker's browser.

use gloo_storage::{LocalStorage, Storage};
use letsema_protocol::{ApiErrorBody, EnrolRequest, Enrolled};

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
    /// The link did not work; the message says why and what to do.
    Failed(String),
}

/// The enrolment kept on this phone, if any.
pub fn stored() -> Option<Enrolled> {
    LocalStorage::get(STORAGE_KEY).ok()
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
        Err(err) => return EnrolmentState::Failed(err.to_string()),
    };
    let response = match sent {
        Ok(response) => response,
        Err(_) => {
            return EnrolmentState::Failed(
                "The server cannot be reached. Connect to the internet and open the link again."
                    .to_owned(),
            );
        }
    };
    if !response.ok() {
        let message = response
            .json::<ApiErrorBody>()
            .await
            .map(|body| body.error.message)
            .unwrap_or_else(|_| format!("The server answered {}.", response.status()));
        return EnrolmentState::Failed(message);
    }
    match response.json::<Enrolled>().await {
        Ok(enrolled) => match LocalStorage::set(STORAGE_KEY, &enrolled) {
            Ok(()) => EnrolmentState::Enrolled(enrolled),
            Err(err) => EnrolmentState::Failed(format!(
                "This browser would not keep the enrolment ({err}). Private browsing cannot keep \
                 data: open the link in a normal window."
            )),
        },
        Err(err) => {
            EnrolmentState::Failed(format!("The server's answer was not understood: {err}"))
        }
    }
}
