//! Enrolling volunteers' phones: a coordinator (or an admin) creates an enrolment, whose
//! link and QR code a phone opens to become a device of that association; devices are
//! listed and revocable.
//!
//! - `POST /api/enrolments` (staff) → the link, once, and its QR code (SVG); with
//!   `replaces`, the phone that opens it becomes that (lost or wiped) device; with
//!   `association_name`, the association is given that display name
//! - `GET /api/enrolments` (staff)
//! - `POST /api/devices/enrol` (anyone holding a valid link) → a device credential
//! - `GET /api/devices` (staff), `POST /api/devices/{id}/revoke` (staff)
//! - `GET /api/device` (the device itself) → its association and forms
//!
//! The link carries its secret after `#`, so it never reaches a server log or a Referer
//! header; only a SHA-256 of it is stored, and so for device credentials.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};

use letsema_protocol::{EnrolRequest, Enrolled};

use super::filters::{blocking, json_body, operation, peer_addr, respond, with_state};
use crate::auth::{Staff, device, random_token, staff, token_digest, unix_now};
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::{
    AssociationCode, AssociationName, DeviceError, DeviceInfo, MAX_LABEL_CHARS, NewEnrolment, Role,
    check_text,
};

const MAX_BODY: u64 = 8 * 1024;
/// The longest an enrolment link may stay valid.
pub const MAX_ENROLMENT_HOURS: u32 = 30 * 24;
/// The most phones one link may enrol.
pub const MAX_ENROLMENT_USES: u32 = 500;

#[derive(Debug, Deserialize)]
struct NewEnrolmentBody {
    association: String,
    forms: Vec<String>,
    #[serde(default = "default_uses")]
    uses: u32,
    #[serde(default = "default_hours")]
    expires_in_hours: u32,
    #[serde(default)]
    label: String,
    /// The id of a device (lost, or wiped) that the phone enrolled with this link
    /// replaces: it becomes that device. One use only.
    #[serde(default)]
    replaces: Option<String>,
    /// The association's display name, set (or changed) with the enrolment: the phone shows
    /// it instead of the code.
    #[serde(default)]
    association_name: Option<String>,
}

fn default_uses() -> u32 {
    1
}

fn default_hours() -> u32 {
    72
}

#[derive(Debug, Serialize)]
struct CreatedEnrolment {
    enrolment: crate::store::Enrolment,
    /// The link to open on the phone; shown once, never stored.
    link: String,
    /// The same link as a QR code, for the phone's camera app.
    qr_svg: String,
}

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let create = operation!(POST "enrolments")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .and(json_body(MAX_BODY))
        .then(create_enrolment)
        .map(respond);
    let list_enrolments = operation!(GET "enrolments")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .then(list_enrolments)
        .map(respond);
    let enrol = operation!(POST "devices" / "enrol")
        .and(with_state(state.clone()))
        .and(peer_addr())
        .and(json_body(MAX_BODY))
        .then(enrol)
        .map(respond);
    let list_devices = operation!(GET "devices")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .then(list_devices)
        .map(respond);
    let revoke = operation!(POST "devices" / String / "revoke")
        .and(with_state(state.clone()))
        .and(staff(state.clone()))
        .then(revoke)
        .map(respond);
    let whoami = operation!(GET "device")
        .and(device(state))
        .map(|device: DeviceInfo| warp::reply::json(&device).into_response());
    create
        .or(list_enrolments)
        .unify()
        .or(enrol)
        .unify()
        .or(list_devices)
        .unify()
        .or(revoke)
        .unify()
        .or(whoami)
        .unify()
        .boxed()
}

/// The association a staff member may manage devices of: `Ok(None)` means all.
fn managed_association(staff: &Staff) -> Result<Option<String>, ApiError> {
    match staff.user.role {
        Role::Admin => Ok(None),
        Role::Coordinator => Ok(staff.user.associations.first().cloned()),
        Role::Reviewer => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "Reviewers do not manage devices. Ask a coordinator or an administrator.",
        )),
    }
}

async fn create_enrolment(
    state: AppState,
    staff: Staff,
    body: NewEnrolmentBody,
) -> Result<Response, ApiError> {
    let managed = managed_association(&staff)?;
    if managed
        .as_deref()
        .is_some_and(|own| own != body.association)
    {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "You can enrol devices only for your own association.",
        ));
    }
    let invalid = |message: String| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_enrolment",
            message,
        )
    };
    if AssociationCode::parse(&body.association).is_err() {
        return Err(invalid(
            "association: use 1 to 64 letters, digits, '-', '_' or '.'".to_owned(),
        ));
    }
    if body.uses == 0 || body.uses > MAX_ENROLMENT_USES {
        return Err(invalid(format!("uses: between 1 and {MAX_ENROLMENT_USES}")));
    }
    if body.expires_in_hours == 0 || body.expires_in_hours > MAX_ENROLMENT_HOURS {
        return Err(invalid(format!(
            "expires_in_hours: between 1 and {MAX_ENROLMENT_HOURS}"
        )));
    }
    let association_name = body
        .association_name
        .as_deref()
        .map(AssociationName::parse)
        .transpose()
        .map_err(|e| invalid(format!("association_name: {e}")))?;
    if body.forms.is_empty() || body.forms.len() > 50 {
        return Err(invalid("forms: name 1 to 50 published forms".to_owned()));
    }
    check_text("label", &body.label, MAX_LABEL_CHARS).map_err(|e| invalid(e.to_string()))?;
    let published = published_form_ids(&state).await?;
    if let Some(unknown) = body.forms.iter().find(|f| !published.contains(f)) {
        return Err(invalid(format!(
            "form {unknown:?} is not published: publish it first, or check the id"
        )));
    }
    if let Some(replaced) = &body.replaces {
        if body.uses != 1 {
            return Err(invalid(
                "uses: a replacement enrolment enrols exactly one phone (uses 1)".to_owned(),
            ));
        }
        let store = state.store.clone();
        let lookup = replaced.clone();
        let device = blocking(move || store.device(&lookup)).await?;
        match device {
            Some(device) if device.association == body.association && !device.public => {}
            // Another association's device (or a survey taker's browser) is not even
            // confirmed to exist.
            _ => {
                return Err(invalid(format!(
                    "replaces: there is no device {replaced:?} of the association {} to \
                     replace; check the id in the device list",
                    body.association
                )));
            }
        }
    }

    let code = random_token()?;
    let new = NewEnrolment {
        association: body.association,
        forms: body.forms,
        label: body.label,
        expires_at: unix_now() + i64::from(body.expires_in_hours) * 3600,
        uses: body.uses,
        created_by: staff.user.id,
        replaces: body.replaces,
        association_name,
    };
    let digest = token_digest(&code);
    let store = state.store.clone();
    let address = staff.address.clone();
    let enrolment =
        blocking(move || store.create_enrolment(&new, &digest, address.as_deref())).await?;
    let (link, qr_svg) = link_and_qr(&state, "enrol", &code)?;
    let body = CreatedEnrolment {
        enrolment,
        link,
        qr_svg,
    };
    Ok(warp::reply::with_status(warp::reply::json(&body), StatusCode::CREATED).into_response())
}

async fn list_enrolments(state: AppState, staff: Staff) -> Result<Response, ApiError> {
    let managed = managed_association(&staff)?;
    let store = state.store.clone();
    let enrolments = blocking(move || store.enrolments(managed.as_deref())).await?;
    Ok(warp::reply::json(&serde_json::json!({ "enrolments": enrolments })).into_response())
}

async fn enrol(
    state: AppState,
    remote: Option<SocketAddr>,
    body: EnrolRequest,
) -> Result<Response, ApiError> {
    state.limits.public(remote.map(|a| a.ip()))?;
    if body.code.is_empty() || body.code.len() > 128 {
        return Err(DeviceError::EnrolmentInvalid.into());
    }
    check_text("label", &body.label, MAX_LABEL_CHARS).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_label",
            e.to_string(),
        )
    })?;
    let credential = random_token()?;
    let device_id = format!("dev-{}", &random_token()?[..16]);
    let code_digest = token_digest(&body.code);
    let credential_digest = token_digest(&credential);
    let store = state.store.clone();
    let new_id = device_id.clone();
    let address = remote.map(|a| a.ip().to_string());
    let device = blocking(move || {
        store.enrol_device(
            &code_digest,
            &device_id,
            &credential_digest,
            &body.label,
            unix_now(),
            address.as_deref(),
        )
    })
    .await?;
    let replaced = device.id != new_id;
    let body = Enrolled {
        device,
        credential,
        replaced,
    };
    Ok(warp::reply::with_status(warp::reply::json(&body), StatusCode::CREATED).into_response())
}

async fn list_devices(state: AppState, staff: Staff) -> Result<Response, ApiError> {
    let managed = managed_association(&staff)?;
    let store = state.store.clone();
    let devices = blocking(move || store.devices(managed.as_deref())).await?;
    Ok(warp::reply::json(&serde_json::json!({ "devices": devices })).into_response())
}

async fn revoke(id: String, state: AppState, staff: Staff) -> Result<Response, ApiError> {
    let managed = managed_association(&staff)?;
    let store = state.store.clone();
    let lookup = id.clone();
    let device = blocking(move || store.device(&lookup))
        .await?
        .ok_or(DeviceError::NoSuchDevice)?;
    if managed
        .as_deref()
        .is_some_and(|own| own != device.association)
    {
        // Another association's device is not even confirmed to exist.
        return Err(DeviceError::NoSuchDevice.into());
    }
    let store = state.store.clone();
    let actor = format!("user:{}", staff.user.id);
    let address = staff.address.clone();
    blocking(move || store.revoke_device(&id, &actor, address.as_deref())).await?;
    Ok(warp::reply::json(&serde_json::json!({ "revoked": true })).into_response())
}

/// The ids of the published forms.
pub(super) async fn published_form_ids(state: &AppState) -> Result<Vec<String>, ApiError> {
    let store = state.store.clone();
    let published = blocking(move || store.published_forms()).await?;
    Ok(published.into_iter().map(|f| f.form_id).collect())
}

/// A link the app opens at `/{path}#{secret}` on the server's public address, and the same
/// link as an SVG QR code for a phone's camera.
pub(super) fn link_and_qr(
    state: &AppState,
    path: &str,
    secret: &str,
) -> Result<(String, String), ApiError> {
    let link = format!("{}/{path}#{secret}", state.public_url.trim_end_matches('/'));
    let qr_svg = qrcode::QrCode::new(link.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(240, 240)
                .build()
        })
        .map_err(|_| ApiError::internal())?;
    Ok((link, qr_svg))
}
