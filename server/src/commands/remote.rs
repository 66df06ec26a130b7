//! Talking to a running server over HTTP as a client would, for `letsema load` and
//! `letsema review`: signing staff in, and running the sync protocol to the end.

use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use letsema_sync::client::{Client, ClientError, Rejection};
use letsema_sync::client_store::ClientStore;
use letsema_sync::retry::{RetryPolicy, is_retryable, parse_retry_after};
use rand_core::{Rng, SeedableRng};
use rand_pcg::Pcg64;

use crate::client_tls::{ClientTlsError, client_config};

/// Why talking to a server failed, in words that say what to do.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    /// `--ca-cert` could not be used, or TLS could not be set up.
    #[error(transparent)]
    Tls(#[from] ClientTlsError),
    /// The HTTP client could not be made.
    #[error("cannot make an HTTP client: {0}")]
    HttpClient(#[source] reqwest::Error),
    /// A request did not reach the server, or got no answer.
    #[error("cannot reach {base}: {}", describe(source))]
    Unreachable {
        /// The server.
        base: String,
        /// Why.
        #[source]
        source: reqwest::Error,
    },
    /// An answer's body could not be read.
    #[error("{0}")]
    ReadAnswer(#[source] reqwest::Error),
    /// The server refused the address and password.
    #[error("signing in as {email} failed ({status}): {body}")]
    SignInRefused {
        /// The account.
        email: String,
        /// The server's status.
        status: reqwest::StatusCode,
        /// The server's answer.
        body: String,
    },
    /// The sign-in answer set no session cookie.
    #[error("the sign-in answer set no cookie")]
    NoCookie,
    /// The sign-in answer is not JSON.
    #[error("the sign-in answer is not JSON ({source}): {body}")]
    SignInNotJson {
        /// Why.
        #[source]
        source: serde_json::Error,
        /// The server's answer.
        body: String,
    },
    /// The sign-in answer has no CSRF token.
    #[error("the sign-in answer has no CSRF token: {body}")]
    NoCsrfToken {
        /// The server's answer.
        body: String,
    },
    /// The sign-in answer has no user id.
    #[error("the sign-in answer has no user id: {body}")]
    NoUserId {
        /// The server's answer.
        body: String,
    },
    /// The server refused to create an enrolment.
    #[error("creating an enrolment failed ({status}): {body}")]
    EnrolmentRefused {
        /// The server's status.
        status: reqwest::StatusCode,
        /// The server's answer.
        body: String,
    },
    /// The answer to creating an enrolment is not JSON.
    #[error("the enrolment answer is not JSON ({source}): {body}")]
    EnrolmentNotJson {
        /// Why.
        #[source]
        source: serde_json::Error,
        /// The server's answer.
        body: String,
    },
    /// The answer to creating an enrolment has no link.
    #[error("the enrolment answer has no link: {body}")]
    NoEnrolmentLink {
        /// The server's answer.
        body: String,
    },
    /// The server refused to enrol a phone with the code.
    #[error("enrolling failed ({status}): {body}")]
    EnrolRefused {
        /// The server's status.
        status: reqwest::StatusCode,
        /// The server's answer.
        body: String,
    },
    /// The answer to enrolling is not an enrolled device.
    #[error("the enrolment answer is not a device ({source}): {body}")]
    NotADevice {
        /// Why.
        #[source]
        source: serde_json::Error,
        /// The server's answer.
        body: String,
    },
    /// A sync request did not reach the server, or got no answer.
    #[error("the sync request failed: {}", describe(.0))]
    SyncRequest(#[source] reqwest::Error),
    /// A sync answer's body could not be read.
    #[error("reading the sync response failed: {0}")]
    SyncResponse(#[source] reqwest::Error),
    /// The server answered a sync request with an error.
    #[error("the server answered {status}: {body}")]
    SyncRefused {
        /// The server's status.
        status: reqwest::StatusCode,
        /// The server's answer, as text.
        body: String,
    },
    /// The sync client could not read the server's answer.
    #[error("the sync response was not understood: {0}")]
    SyncNotUnderstood(#[source] ClientError),
    /// The server refused documents.
    #[error("the server refused documents: {0:?}")]
    DocumentsRefused(Vec<Rejection>),
    /// The sync went on past [`MAX_REQUESTS`].
    #[error("the sync does not end: stopped after {MAX_REQUESTS} requests")]
    Endless,
    /// The sync client could not make its next request.
    #[error(transparent)]
    Client(#[from] ClientError),
}

/// An HTTP client for a server at `http://` or `https://`: HTTPS certificates are checked
/// against the system's trusted roots and, when given, the certificates in the PEM file
/// `ca_cert` (a self-signed server's own certificate, or a private CA's).
///
/// # Errors
///
/// When `ca_cert` cannot be read or holds no certificate, or TLS cannot be set up.
pub fn http_client(ca_cert: Option<&Path>) -> Result<reqwest::Client, RemoteError> {
    http_client_from(ca_cert, None)
}

/// As [`http_client`], its connections made from the local address `local` when given
/// (`letsema load` spreads phones over loopback addresses).
///
/// # Errors
///
/// As [`http_client`].
pub fn http_client_from(
    ca_cert: Option<&Path>,
    local: Option<IpAddr>,
) -> Result<reqwest::Client, RemoteError> {
    let tls = client_config(ca_cert)?;
    reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .local_address(local)
        .tls_backend_preconfigured(tls)
        .build()
        .map_err(RemoteError::HttpClient)
}

/// A request's failure with its causes (reqwest's own text stops at "error sending
/// request"), and what to do about an untrusted certificate.
pub fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    if text.contains("certificate") {
        text.push_str(
            " (a server with a self-signed or private certificate: give it with --ca-cert FILE)",
        );
    }
    text
}

/// The error of a request to `base` that got no answer.
fn unreachable(base: &str) -> impl FnOnce(reqwest::Error) -> RemoteError {
    let base = base.to_owned();
    move |source| RemoteError::Unreachable { base, source }
}

/// An answer's body when its status is a success; otherwise the error `refused` makes of
/// the status and the body (which says why, in the server's words).
async fn accepted_text(
    response: reqwest::Response,
    refused: impl FnOnce(reqwest::StatusCode, String) -> RemoteError,
) -> Result<String, RemoteError> {
    let status = response.status();
    let text = response.text().await.map_err(RemoteError::ReadAnswer)?;
    if status.is_success() {
        Ok(text)
    } else {
        Err(refused(status, text))
    }
}

/// A signed-in staff member: the session cookie, the CSRF token state-changing requests
/// carry, and the account's id.
#[derive(Debug, Clone)]
pub struct StaffSession {
    /// `letsema_session=...`, as the `Cookie` header sends it back.
    pub cookie: String,
    /// The `x-csrf-token` value.
    pub csrf: String,
    /// The account's id (its changes carry the actor device `staff-<id>`).
    pub user_id: i64,
    /// Sync one association's submissions only (`?association=`); none: all the account's.
    pub association: Option<String>,
}

/// Signs in at `base` (e.g. `http://127.0.0.1:8080`).
///
/// # Errors
///
/// When the server cannot be reached or refuses the address and password.
pub async fn sign_in(
    http: &reqwest::Client,
    base: &str,
    email: &str,
    password: &str,
) -> Result<StaffSession, RemoteError> {
    let response = http
        .post(format!("{base}/api/session"))
        .header("content-type", "application/json")
        .body(serde_json::json!({ "email": email, "password": password }).to_string())
        .send()
        .await
        .map_err(unreachable(base))?;
    let cookie = response
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_owned);
    let text = accepted_text(response, |status, body| RemoteError::SignInRefused {
        email: email.to_owned(),
        status,
        body,
    })
    .await?;
    let cookie = cookie.ok_or(RemoteError::NoCookie)?;
    let session: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| RemoteError::SignInNotJson {
            source,
            body: text.clone(),
        })?;
    let csrf = session["csrf_token"]
        .as_str()
        .ok_or_else(|| RemoteError::NoCsrfToken { body: text.clone() })?
        .to_owned();
    let user_id = session["user"]["id"]
        .as_i64()
        .ok_or_else(|| RemoteError::NoUserId { body: text.clone() })?;
    Ok(StaffSession {
        cookie,
        csrf,
        user_id,
        association: None,
    })
}

/// An enrolment to create (`POST /api/enrolments`, as an admin or coordinator).
#[derive(Debug, Clone)]
pub struct NewEnrolment<'a> {
    /// The association the enrolled phones belong to.
    pub association: &'a str,
    /// The form ids they receive.
    pub forms: &'a [&'a str],
    /// How many phones may enrol with it.
    pub uses: usize,
    /// How long it stays valid; the server's default when `None`.
    pub expires_in_hours: Option<u32>,
    /// What staff see it as.
    pub label: Option<String>,
}

/// Creates an enrolment and returns its code (the part of the link after `#`).
///
/// # Errors
///
/// When the server cannot be reached or refuses the enrolment.
pub async fn create_enrolment(
    http: &reqwest::Client,
    base: &str,
    session: &StaffSession,
    enrolment: &NewEnrolment<'_>,
) -> Result<String, RemoteError> {
    let mut body = serde_json::json!({
        "association": enrolment.association,
        "forms": enrolment.forms,
        "uses": enrolment.uses,
    });
    if let Some(hours) = enrolment.expires_in_hours {
        body["expires_in_hours"] = hours.into();
    }
    if let Some(label) = &enrolment.label {
        body["label"] = label.as_str().into();
    }
    let response = http
        .post(format!("{base}/api/enrolments"))
        .header("content-type", "application/json")
        .header("cookie", &session.cookie)
        .header("x-csrf-token", &session.csrf)
        .body(body.to_string())
        .send()
        .await
        .map_err(unreachable(base))?;
    let text = accepted_text(response, |status, body| RemoteError::EnrolmentRefused {
        status,
        body,
    })
    .await?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|source| RemoteError::EnrolmentNotJson {
            source,
            body: text.clone(),
        })?;
    json["link"]
        .as_str()
        .and_then(|link| link.rsplit('#').next())
        .map(str::to_owned)
        .ok_or(RemoteError::NoEnrolmentLink { body: text })
}

/// Enrols a phone with an enrolment `code` (`POST /api/devices/enrol`), as the phone's
/// browser would, sending it again after a 429 as `policy` says (the per-address rate
/// limit on enrolment attempts).
///
/// # Errors
///
/// When the server cannot be reached or refuses the code.
pub async fn enrol_device(
    http: &reqwest::Client,
    base: &str,
    code: &str,
    label: Option<&str>,
    policy: &RetryPolicy,
    jitter: &mut Jitter,
) -> Result<letsema_protocol::Enrolled, RemoteError> {
    let mut body = serde_json::json!({ "code": code });
    if let Some(label) = label {
        body["label"] = label.into();
    }
    let (response, _, _) = send_with_retries(policy, jitter, || {
        http.post(format!("{base}/api/devices/enrol"))
            .header("content-type", "application/json")
            .body(body.to_string())
    })
    .await
    .map_err(unreachable(base))?;
    let text = accepted_text(response, |status, body| RemoteError::EnrolRefused {
        status,
        body,
    })
    .await?;
    serde_json::from_str(&text).map_err(|source| RemoteError::NotADevice { source, body: text })
}

/// Who is syncing.
#[derive(Debug, Clone)]
pub enum SyncAs {
    /// An enrolled phone, with its credential, at `/api/sync`.
    Device(String),
    /// A staff member, at `/api/staff/sync`.
    Staff(StaffSession),
}

/// What a sync sent and received.
#[derive(Debug, Clone, Default)]
pub struct Traffic {
    /// Requests made.
    pub requests: u64,
    /// Request bodies, in bytes.
    pub bytes_up: u64,
    /// Response bodies, in bytes.
    pub bytes_down: u64,
    /// Documents the server acknowledged.
    pub documents: u64,
    /// Requests sent again after the server turned them away (503, 429, 408) or the
    /// connection failed.
    pub retries: u64,
    /// How long each answered request took, in milliseconds (its last attempt).
    pub latencies_ms: Vec<f64>,
}

/// Random draws for the jitter of retries ([`RetryPolicy::delay`]), from a seed so that a
/// load test can be repeated.
#[derive(Debug, Clone)]
pub struct Jitter(Pcg64);

impl Jitter {
    /// Draws from `seed`.
    pub fn new(seed: u64) -> Jitter {
        Jitter(Pcg64::seed_from_u64(seed))
    }

    /// Draws from the operating system's randomness (a seed of 0 if there is none).
    pub fn from_entropy() -> Jitter {
        let mut seed = [0; 8];
        let _ = getrandom::fill(&mut seed);
        Jitter::new(u64::from_le_bytes(seed))
    }

    /// A number in `[0, 1)`.
    pub fn draw(&mut self) -> f64 {
        (self.0.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Sends the request `make` builds until it is answered with something other than a
/// retryable refusal (503, 429, 408: see [`letsema_sync::retry`]) or a failed connection,
/// waiting as `policy` says between attempts (the server's `Retry-After`, with jitter).
/// Returns the last answer, which may still be a refusal once the policy gives up, the
/// number of retries, and how long the last attempt took until its answer's headers.
///
/// # Errors
///
/// When the last attempt could not reach the server: its error, which [`describe`] puts
/// in words.
pub async fn send_with_retries(
    policy: &RetryPolicy,
    jitter: &mut Jitter,
    make: impl Fn() -> reqwest::RequestBuilder,
) -> Result<(reqwest::Response, u64, Duration), reqwest::Error> {
    let mut retries = 0;
    loop {
        let started = Instant::now();
        let sent = make().send().await;
        let took = started.elapsed();
        let (retry_after, outcome) = match sent {
            Ok(response) if is_retryable(response.status().as_u16()) => {
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|value| value.to_str().ok())
                    .and_then(parse_retry_after);
                (retry_after, Ok(response))
            }
            Ok(response) => return Ok((response, retries, took)),
            Err(error) => (None, Err(error)),
        };
        let attempt = u32::try_from(retries + 1).unwrap_or(u32::MAX);
        match policy.delay(attempt, retry_after, jitter.draw()) {
            Some(wait) => {
                tokio::time::sleep(wait).await;
                retries += 1;
            }
            None => return outcome.map(|response| (response, retries, took)),
        }
    }
}

/// The most requests one sync may take before it is given up.
const MAX_REQUESTS: u64 = 10_000;

/// Runs one sync of `client` with the server at `base` to the end, sending turned-away
/// requests again as a phone would ([`RetryPolicy::default`]).
///
/// # Errors
///
/// When a request fails, the server refuses one or a document, or the sync does not end.
pub async fn sync_to_end<S: ClientStore>(
    http: &reqwest::Client,
    base: &str,
    who: &SyncAs,
    client: &mut Client<S>,
) -> Result<Traffic, RemoteError> {
    client.start_sync();
    let first = client.next_request()?;
    let mut jitter = Jitter::from_entropy();
    sync_from(
        http,
        base,
        who,
        client,
        first,
        &RetryPolicy::default(),
        &mut jitter,
    )
    .await
}

/// Runs a sync whose first request the client already made (`client.start_sync()` then
/// `client.next_request()`), to the end: `letsema load` prepares every phone's first
/// request before it starts the clock, as phones would on their own processors. A request
/// the server turns away (503, 429, 408) or that cannot reach it is sent again, the same
/// bytes, as `policy` says: the server stored nothing of it, or, had it, the protocol makes
/// the repeat harmless.
///
/// # Errors
///
/// As [`sync_to_end`].
pub async fn sync_from<S: ClientStore>(
    http: &reqwest::Client,
    base: &str,
    who: &SyncAs,
    client: &mut Client<S>,
    first: Option<Vec<u8>>,
    policy: &RetryPolicy,
    jitter: &mut Jitter,
) -> Result<Traffic, RemoteError> {
    let mut traffic = Traffic::default();
    let mut next = first;
    while let Some(frame) = next.take() {
        traffic.requests += 1;
        traffic.bytes_up += frame.len() as u64;
        let frame = bytes::Bytes::from(frame);
        let (response, retries, took) = send_with_retries(policy, jitter, || {
            let request = match who {
                SyncAs::Device(credential) => http
                    .post(format!("{base}/api/sync"))
                    .header("authorization", format!("Bearer {credential}")),
                SyncAs::Staff(session) => http
                    .post(match &session.association {
                        Some(code) => format!(
                            "{base}/api/staff/sync?{}",
                            form_urlencoded::Serializer::new(String::new())
                                .append_pair("association", code)
                                .finish()
                        ),
                        None => format!("{base}/api/staff/sync"),
                    })
                    .header("cookie", &session.cookie)
                    .header("x-csrf-token", &session.csrf),
            };
            request
                .header("content-type", crate::routes::sync::SYNC_MEDIA_TYPE)
                .body(frame.clone())
        })
        .await
        .map_err(RemoteError::SyncRequest)?;
        traffic.retries += retries;
        let status = response.status();
        let body = response.bytes().await.map_err(RemoteError::SyncResponse)?;
        if !status.is_success() {
            return Err(RemoteError::SyncRefused {
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
        }
        traffic.latencies_ms.push(took.as_secs_f64() * 1000.0);
        traffic.bytes_down += body.len() as u64;
        let progress = client
            .handle_response(&body)
            .map_err(RemoteError::SyncNotUnderstood)?;
        traffic.documents += progress.acknowledged.len() as u64;
        if !progress.rejected.is_empty() {
            return Err(RemoteError::DocumentsRefused(progress.rejected));
        }
        if traffic.requests > MAX_REQUESTS {
            return Err(RemoteError::Endless);
        }
        next = client.next_request()?;
    }
    Ok(traffic)
}
