//! The one error type of the HTTP API, with stable machine-readable codes.
//!
//! Every failure a client sees is JSON of the form `{"error": {"code": "...", "message":
//! "..."}}`: the code is for programs and never changes meaning, the message is for people
//! and says what to do.

use std::convert::Infallible;

use letsema_protocol::{ApiErrorBody, ApiErrorDetail};
use warp::http::StatusCode;
use warp::http::header::RETRY_AFTER;
use warp::reply::Response;
use warp::{Rejection, Reply};

/// An error answered to an API client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Seconds to wait, sent as `Retry-After` (with 429 and 503).
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// Tells the client how long to wait before trying again.
    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// A failure of the server itself; details go to the log, not to the client.
    pub fn internal() -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "The server failed to answer. Try again; if it keeps failing, tell an \
             administrator (the server log says why).",
        )
    }

    /// The reply sent to the client.
    pub fn into_response(self) -> warp::reply::Response {
        let body = ApiErrorBody {
            error: ApiErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let response =
            warp::reply::with_status(warp::reply::json(&body), self.status).into_response();
        match self.retry_after {
            Some(seconds) => retry_after(response, seconds),
            None => response,
        }
    }
}

impl warp::reject::Reject for ApiError {}

/// Adds `Retry-After` to a reply (a 429 or a 503).
fn retry_after(mut response: Response, seconds: u64) -> Response {
    if let Ok(value) = seconds.to_string().parse() {
        response.headers_mut().insert(RETRY_AFTER, value);
    }
    response
}

/// Turns every rejection into a JSON error; this is the single place where that happens.
///
/// A rejection combines what every route said about the request, so the specific causes
/// (a bad body, a missing length) are looked for before the generic ones: "no such route"
/// and "wrong method" come from the routes that did not match at all.
pub async fn recover(rejection: Rejection) -> Result<warp::reply::Response, Infallible> {
    use warp::filters::body::BodyDeserializeError;
    use warp::reject::{
        InvalidQuery, LengthRequired, MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType,
    };
    let error = if let Some(api) = rejection.find::<ApiError>() {
        api.clone()
    } else if rejection.find::<PayloadTooLarge>().is_some() {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "The request body is too large. Send less data per request.",
        )
    } else if let Some(body) = rejection.find::<BodyDeserializeError>() {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_body",
            format!(
                "The request body is not what this route expects ({body}). See /api/openapi.json."
            ),
        )
    } else if rejection.find::<LengthRequired>().is_some() {
        ApiError::new(
            StatusCode::LENGTH_REQUIRED,
            "length_required",
            "This route needs a request body with a Content-Length header.",
        )
    } else if rejection.find::<UnsupportedMediaType>().is_some() {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Send the body as application/json.",
        )
    } else if rejection.find::<InvalidQuery>().is_some() {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            "The query string is not what this route expects. See /api/openapi.json.",
        )
    } else if rejection.is_not_found() {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "Nothing is here. Check the address; the API's routes start with /api/.",
        )
    } else if rejection.find::<MethodNotAllowed>().is_some() {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "This address does not accept that HTTP method.",
        )
    } else {
        tracing::warn!(?rejection, "unhandled rejection");
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "The request could not be understood. Check its method, headers and body.",
        )
    };
    Ok(error.into_response())
}
