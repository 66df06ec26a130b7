//! Public links: an admin opens one form to anonymous survey takers through an unguessable
//! link.
//!
//! - `POST /api/public-links` (admin) → the link, once, and its QR code (SVG)
//! - `GET /api/public-links` (admin)
//! - `POST /api/public-links/{id}/revoke` (admin): the link opens nothing more, and the
//!   browsers it brought in are refused on their next sync
//!
//! A survey taker's browser opens `/survey#SECRET` and exchanges the secret at
//! `POST /api/devices/enrol`, like a volunteer's phone, for a device credential of the link's
//! own association `public-<id>`: its submissions land there, apart from every
//! association's, and it pulls only its own. Joining is rate-limited per address, like
//! enrolment; each browser's syncs are rate-limited like a phone's.

use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use super::devices::{link_and_qr, published_form_ids};
use super::filters::{blocking, json_body, operation, respond, with_state};
use crate::auth::{Staff, random_token, staff, token_digest, unix_now};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{MAX_LABEL_CHARS, PublicLink, Role, check_text};

const MAX_BODY: u64 = 8 * 1024;
/// How long a public link stays open by default.
pub const DEFAULT_PUBLIC_LINK_DAYS: u32 = 90;
/// The longest a public link may stay open.
pub const MAX_PUBLIC_LINK_DAYS: u32 = 366;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPublicLinkBody {
    form: String,
    #[serde(default)]
    label: String,
    #[serde(default = "default_days")]
    expires_in_days: u32,
}

fn default_days() -> u32 {
    DEFAULT_PUBLIC_LINK_DAYS
}

#[derive(Debug, Serialize)]
struct CreatedPublicLink {
    public_link: PublicLink,
    /// The link to share; shown once, never stored.
    link: String,
    /// The same link as a QR code, for posters and flyers.
    qr_svg: String,
}

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let create = operation!(POST "public-links")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .and(json_body(MAX_BODY))
        .then(create)
        .map(respond);
    let list = operation!(GET "public-links")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .then(list)
        .map(respond);
    let revoke = operation!(POST "public-links" / String / "revoke")
        .and(with_state(state.clone()))
        .and(staff(state))
        .then(revoke)
        .map(respond);
    create.or(list).unify().or(revoke).unify().boxed()
}

async fn create(
    state: AppState,
    staff: Staff,
    body: NewPublicLinkBody,
) -> Result<Response, ApiError> {
    staff.require(&[Role::Admin])?;
    let invalid = |message: String| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_public_link",
            message,
        )
    };
    if body.expires_in_days == 0 || body.expires_in_days > MAX_PUBLIC_LINK_DAYS {
        return Err(invalid(format!(
            "expires_in_days: between 1 and {MAX_PUBLIC_LINK_DAYS}"
        )));
    }
    check_text("label", &body.label, MAX_LABEL_CHARS).map_err(|e| invalid(e.to_string()))?;
    if !published_form_ids(&state).await?.contains(&body.form) {
        return Err(invalid(format!(
            "form {:?} is not published: publish it first, or check the id",
            body.form
        )));
    }
    let code = random_token()?;
    let digest = token_digest(&code);
    let expires_at = unix_now() + i64::from(body.expires_in_days) * 86_400;
    let store = state.store.clone();
    let creator = staff.user.id;
    let address = staff.address.clone();
    let public_link = blocking(move || {
        store.create_public_link(
            &body.form,
            &body.label,
            expires_at,
            creator,
            &digest,
            address.as_deref(),
        )
    })
    .await?;
    let (link, qr_svg) = link_and_qr(&state, "survey", &code)?;
    let body = CreatedPublicLink {
        public_link,
        link,
        qr_svg,
    };
    Ok(warp::reply::with_status(warp::reply::json(&body), StatusCode::CREATED).into_response())
}

async fn list(state: AppState, staff: Staff) -> Result<Response, ApiError> {
    staff.require(&[Role::Admin])?;
    let store = state.store.clone();
    let links = blocking(move || store.public_links()).await?;
    Ok(warp::reply::json(&serde_json::json!({ "public_links": links })).into_response())
}

async fn revoke(id: String, state: AppState, staff: Staff) -> Result<Response, ApiError> {
    staff.require(&[Role::Admin])?;
    // Not a number: no such link, the same answer as an unknown number.
    let id: i64 = id.parse().unwrap_or(0);
    let store = state.store.clone();
    let actor = format!("user:{}", staff.user.id);
    let address = staff.address.clone();
    blocking(move || store.revoke_public_link(id, &actor, address.as_deref())).await?;
    Ok(warp::reply::json(&serde_json::json!({ "revoked": true })).into_response())
}
