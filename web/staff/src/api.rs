//! The staff API, as the staff area calls it: JSON over the session cookie, the CSRF token
//! echoed on every change. Errors keep the server's own message, which says what to do.

use gloo_net::http::{Request, RequestBuilder, Response};
use letsema_protocol::ApiErrorBody;
use letsema_protocol::DeviceForm;
use letsema_protocol::staff::{
    AnswerRequest, Association, AuditPage, BulkResults, BulkReviewRequest, Credentials, Dashboard,
    DuplicatePage, FormSummary, ImportReport, MergeRequest, PairDecisionRequest, ResolveRequest,
    ReviewRequest, Session, StaffUser, SubmissionDetail, SubmissionPage, UndoMergeRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::phones::{
    CreatedEnrolment, CreatedPublicLink, Device, Enrolment, NewEnrolment, NewPublicLink, PublicLink,
};

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// No answer: the network or the server is down.
    #[error("network")]
    Network,
    /// The session ended (401): sign in again.
    #[error("signed out")]
    SignedOut,
    /// The server refused, with its reason.
    #[error("{message}")]
    Refused { status: u16, message: String },
}

/// The response if it is a success; otherwise why not, in the server's words.
pub async fn accepted(response: Response) -> Result<Response, ApiError> {
    let status = response.status();
    if status == 401 {
        return Err(ApiError::SignedOut);
    }
    if !(200..300).contains(&status) {
        let message = match response.json::<ApiErrorBody>().await {
            Ok(body) => body.error.message,
            Err(_) => format!("The server answered {status}."),
        };
        return Err(ApiError::Refused { status, message });
    }
    Ok(response)
}

async fn answer<T: DeserializeOwned>(response: Response) -> Result<T, ApiError> {
    let response = accepted(response).await?;
    let status = response.status();
    response.json::<T>().await.map_err(|_| ApiError::Refused {
        status,
        message: "The server's answer could not be read: reload the page.".to_owned(),
    })
}

async fn get<T: DeserializeOwned>(path: &str) -> Result<T, ApiError> {
    let response = Request::get(path)
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    answer(response).await
}

async fn send<B: Serialize, T: DeserializeOwned>(
    builder: RequestBuilder,
    csrf: &str,
    body: &B,
) -> Result<T, ApiError> {
    let request = builder
        .header("x-csrf-token", csrf)
        .json(body)
        .map_err(|_| ApiError::Network)?;
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    answer(response).await
}

/// Sends a register to import, or to check with `dry_run=true` in `url`'s query.
pub async fn import(
    csrf: &str,
    url: &str,
    bytes: js_sys::Uint8Array,
) -> Result<ImportReport, ApiError> {
    let request = Request::post(url)
        .header("x-csrf-token", csrf)
        .header("content-type", "application/octet-stream")
        .body(bytes)
        .map_err(|_| ApiError::Network)?;
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    answer(response).await
}

/// Who is signed in, if anyone.
pub async fn session() -> Result<Option<Session>, ApiError> {
    match get::<Session>("/api/session").await {
        Ok(session) => Ok(Some(session)),
        Err(ApiError::SignedOut) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Signs in.
pub async fn sign_in(credentials: &Credentials) -> Result<Session, ApiError> {
    let response = Request::post("/api/session")
        .json(credentials)
        .map_err(|_| ApiError::Network)?
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    // A wrong password is a 401 with the server's message, not an ended session.
    if response.status() == 401 {
        let message = match response.json::<ApiErrorBody>().await {
            Ok(body) => body.error.message,
            Err(_) => "The e-mail address or the password is wrong.".to_owned(),
        };
        return Err(ApiError::Refused {
            status: 401,
            message,
        });
    }
    answer(response).await
}

/// Signs out.
pub async fn sign_out(csrf: &str) -> Result<(), ApiError> {
    let response = Request::delete("/api/session")
        .header("x-csrf-token", csrf)
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    match response.status() {
        200..300 | 401 => Ok(()),
        status => Err(ApiError::Refused {
            status,
            message: format!("The server answered {status}."),
        }),
    }
}

#[derive(serde::Deserialize)]
struct Forms {
    forms: Vec<FormSummary>,
}

#[derive(serde::Deserialize)]
struct Associations {
    associations: Vec<Association>,
}

/// Every published form version, newest first within a form.
pub async fn forms() -> Result<Vec<FormSummary>, ApiError> {
    Ok(get::<Forms>("/api/forms").await?.forms)
}

/// The associations the staff member sees.
pub async fn associations() -> Result<Vec<Association>, ApiError> {
    Ok(get::<Associations>("/api/associations").await?.associations)
}

thread_local! {
    /// Form versions fetched on this page: a published version never changes, so each is
    /// asked for once however many of its submissions are opened.
    static FORMS: std::cell::RefCell<std::collections::BTreeMap<(String, String), DeviceForm>> =
        std::cell::RefCell::default();
}

/// One form version with its definition.
pub async fn form(form_id: &str, version: &str) -> Result<DeviceForm, ApiError> {
    let key = (form_id.to_owned(), version.to_owned());
    if let Some(form) = FORMS.with(|forms| forms.borrow().get(&key).cloned()) {
        return Ok(form);
    }
    let form: DeviceForm = get(&format!(
        "/api/forms/{}?version={}",
        encode(form_id),
        encode(version)
    ))
    .await?;
    FORMS.with(|forms| forms.borrow_mut().insert(key, form.clone()));
    Ok(form)
}

/// A page of the table; `query` is the query string without `?`.
pub async fn submissions(query: &str) -> Result<SubmissionPage, ApiError> {
    get(&format!("/api/submissions?{query}")).await
}

/// One submission.
pub async fn submission(id: &str) -> Result<SubmissionDetail, ApiError> {
    get(&format!("/api/submissions/{}", encode(id))).await
}

/// The dashboard's counts; `query` is the filters' selection (`Filters::selection`).
pub async fn dashboard(query: &str) -> Result<Dashboard, ApiError> {
    get(&format!("/api/dashboard?{query}")).await
}

/// A page of the audit log (admins only); `query` is the query string without `?`.
pub async fn audit(query: &str) -> Result<AuditPage, ApiError> {
    get(&format!("/api/audit?{query}")).await
}

#[derive(serde::Deserialize)]
struct Users {
    users: Vec<StaffUser>,
}

/// The staff accounts (admins only): the audit log names people by id, the page by name.
pub async fn users() -> Result<Vec<StaffUser>, ApiError> {
    Ok(get::<Users>("/api/users").await?.users)
}

/// One change to submission `id` (`action`: `review`, `answers` or `resolve`); the
/// submission after it.
async fn edit<B: Serialize>(
    csrf: &str,
    id: &str,
    action: &str,
    request: &B,
) -> Result<SubmissionDetail, ApiError> {
    let path = format!("/api/submissions/{}/{action}", encode(id));
    send(Request::post(&path), csrf, request).await
}

/// Sets a status and/or adds a comment.
pub async fn review(
    csrf: &str,
    id: &str,
    request: &ReviewRequest,
) -> Result<SubmissionDetail, ApiError> {
    edit(csrf, id, "review", request).await
}

/// Corrects an answer.
pub async fn correct(
    csrf: &str,
    id: &str,
    request: &AnswerRequest,
) -> Result<SubmissionDetail, ApiError> {
    edit(csrf, id, "answers", request).await
}

/// Resolves a conflict.
pub async fn resolve(
    csrf: &str,
    id: &str,
    request: &ResolveRequest,
) -> Result<SubmissionDetail, ApiError> {
    edit(csrf, id, "resolve", request).await
}

/// One status for many.
pub async fn bulk(csrf: &str, request: &BulkReviewRequest) -> Result<BulkResults, ApiError> {
    send(Request::post("/api/submissions/review"), csrf, request).await
}

/// Sends a change whose answer has no body (204).
async fn send_empty<B: Serialize>(path: &str, csrf: &str, body: &B) -> Result<(), ApiError> {
    let request = Request::post(path)
        .header("x-csrf-token", csrf)
        .json(body)
        .map_err(|_| ApiError::Network)?;
    let response = request.send().await.map_err(|_| ApiError::Network)?;
    accepted(response).await.map(|_| ())
}

/// A page of candidate pairs; `query` is the query string without `?`.
pub async fn duplicates(query: &str) -> Result<DuplicatePage, ApiError> {
    get(&format!("/api/duplicates?{query}")).await
}

/// "Not the same person" (or, with no decision, proposed again).
pub async fn decide(csrf: &str, request: &PairDecisionRequest) -> Result<(), ApiError> {
    send_empty("/api/duplicates/decision", csrf, request).await
}

/// Merges registrations into the one kept.
pub async fn merge(csrf: &str, request: &MergeRequest) -> Result<(), ApiError> {
    send_empty("/api/duplicates/merge", csrf, request).await
}

/// Undoes a merge.
pub async fn undo_merge(csrf: &str, request: &UndoMergeRequest) -> Result<(), ApiError> {
    send_empty("/api/duplicates/undo", csrf, request).await
}

/// Creates the first administrator with the set-up link's token, and signs in (201): no
/// session yet, so no CSRF token. 403: not the token the server printed; 404: set-up is
/// over; 422: a rule of the account broken, in the server's words.
pub async fn setup(request: &crate::setup::SetupRequest) -> Result<Session, ApiError> {
    let response = Request::post("/api/setup")
        .json(request)
        .map_err(|_| ApiError::Network)?
        .send()
        .await
        .map_err(|_| ApiError::Network)?;
    answer(response).await
}

#[derive(serde::Deserialize)]
struct Enrolments {
    enrolments: Vec<Enrolment>,
}

#[derive(serde::Deserialize)]
struct Devices {
    devices: Vec<Device>,
}

#[derive(serde::Deserialize)]
struct PublicLinks {
    public_links: Vec<PublicLink>,
}

/// The enrolment links (a coordinator's association's; every one for an admin).
pub async fn enrolments() -> Result<Vec<Enrolment>, ApiError> {
    Ok(get::<Enrolments>("/api/enrolments").await?.enrolments)
}

/// The enrolled devices (a coordinator's association's; every one for an admin).
pub async fn devices() -> Result<Vec<Device>, ApiError> {
    Ok(get::<Devices>("/api/devices").await?.devices)
}

/// The public survey links (admins only).
pub async fn public_links() -> Result<Vec<PublicLink>, ApiError> {
    Ok(get::<PublicLinks>("/api/public-links").await?.public_links)
}

/// Creates an enrolment link: the link, shown once, and its QR code.
pub async fn create_enrolment(
    csrf: &str,
    request: &NewEnrolment,
) -> Result<CreatedEnrolment, ApiError> {
    send(Request::post("/api/enrolments"), csrf, request).await
}

/// Creates a public survey link (admins only).
pub async fn create_public_link(
    csrf: &str,
    request: &NewPublicLink,
) -> Result<CreatedPublicLink, ApiError> {
    send(Request::post("/api/public-links"), csrf, request).await
}

/// Revokes a device: its credential stops working.
pub async fn revoke_device(csrf: &str, id: &str) -> Result<(), ApiError> {
    let path = format!("/api/devices/{}/revoke", encode(id));
    send_empty(&path, csrf, &serde_json::json!({})).await
}

/// Revokes a public link: it opens nothing more.
pub async fn revoke_public_link(csrf: &str, id: i64) -> Result<(), ApiError> {
    let path = format!("/api/public-links/{id}/revoke");
    send_empty(&path, csrf, &serde_json::json!({})).await
}

/// What a page says of `error`: nothing for an ended session (`on_signed_out` takes the
/// person to the sign-in form), else the reason.
pub fn problem(
    error: ApiError,
    words: &crate::words::Words,
    on_signed_out: &yew::Callback<()>,
) -> Option<String> {
    match error {
        ApiError::SignedOut => {
            on_signed_out.emit(());
            None
        }
        ApiError::Network => Some(words.network_problem.to_owned()),
        ApiError::Refused { message, .. } => Some(message),
    }
}

/// `value` as one segment of a path or a query string's value.
pub fn encode(value: &str) -> String {
    String::from(js_sys::encode_uri_component(value))
}
