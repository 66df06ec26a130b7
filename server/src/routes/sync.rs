//! `POST /api/sync`: an enrolled device pushes its changes and pulls what it lacks, in the
//! binary protocol of `letsema_protocol::sync` (see `letsema_sync::Server`).
//!
//! Who the caller is, and so what it may push and pull, comes from its credential, never
//! from the request: a volunteer's phone syncs only the submissions it created (and the
//! reviewers' changes to them).

use std::collections::BTreeSet;
use std::time::Duration;

use letsema_doc::{AssociationId, DeviceId, IdError, SessionId, UserId, Writer};
use letsema_sync::server::{Server, ServerConfig};
use letsema_sync::store::{Caller, Scope};
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use warp::http::{HeaderValue, StatusCode};
use warp::reply::Response;

use super::filters::{operation, respond, with_state};
use crate::auth::{Staff, device, staff};
use crate::error::ApiError;
use crate::limits::work_units;
use crate::state::AppState;
use crate::store::{DeviceInfo, Role};

/// The media type of sync frames.
pub const SYNC_MEDIA_TYPE: &str = letsema_protocol::sync::MEDIA_TYPE;

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let max_frame = ServerConfig::default().wire.max_frame_bytes as u64;
    // Who is asking, checked first, decides what the sync may touch: a phone its own
    // submissions, a staff member what their role lets them see.
    let phones = operation!(POST "sync")
        .and(device(state.clone()))
        .map(|device: DeviceInfo| device_caller(&device));
    let staff_sync = operation!(POST "staff" / "sync")
        .and(staff(state.clone()))
        .and(warp::query::<StaffSyncQuery>())
        .map(|staff: Staff, query: StaffSyncQuery| {
            staff_caller(&staff).and_then(|caller| narrowed(caller, query.association.as_deref()))
        });
    with_state(state)
        .and(phones.or(staff_sync).unify())
        .and(warp::header::optional::<String>("content-type"))
        .and(warp::body::content_length_limit(max_frame))
        .and(warp::header::<u64>("content-length"))
        .and(warp::body::stream())
        .then(
            |state: AppState,
             caller: Result<Caller, ApiError>,
             media: Option<String>,
             length: u64,
             body| async move {
                match (sync_media_type(media.as_deref()), caller) {
                    (Ok(()), Ok(caller)) => sync(state, caller, length, body).await,
                    (Err(error), _) | (_, Err(error)) => Err(error),
                }
            },
        )
        .map(respond)
        .boxed()
}

/// How long a sync body may take to arrive: 30 s, and one more second per 4 KiB (a phone on
/// a 2G connection sends its 100 KiB in about 20 s). A body slower than that holds memory
/// for others: 408, and the phone sends it again later.
fn body_deadline(length: u64) -> Duration {
    Duration::from_secs(30 + length / 4096)
}

/// Reads a sync body of the declared `length` within [`body_deadline`].
async fn read_body<S, B>(body: S, length: u64) -> Result<Vec<u8>, ApiError>
where
    S: futures_util::Stream<Item = Result<B, warp::Error>>,
    B: warp::Buf,
{
    let expected = usize::try_from(length).map_err(|_| ApiError::internal())?;
    let read = async move {
        let mut body = std::pin::pin!(body);
        let mut bytes = Vec::with_capacity(expected);
        while let Some(chunk) = futures_util::StreamExt::next(&mut body).await {
            let mut chunk = chunk.map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_body",
                    "The sync request's body could not be read (the connection broke?). \
                     Nothing was lost: sync again.",
                )
            })?;
            while chunk.has_remaining() {
                let part = chunk.chunk();
                if bytes.len() + part.len() > expected {
                    return Err(ApiError::new(
                        StatusCode::BAD_REQUEST,
                        "bad_body",
                        "The sync request's body is longer than its Content-Length.",
                    ));
                }
                bytes.extend_from_slice(part);
                let taken = part.len();
                chunk.advance(taken);
            }
        }
        Ok(bytes)
    };
    tokio::time::timeout(body_deadline(length), read)
        .await
        .unwrap_or_else(|_| {
            Err(ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                "body_too_slow",
                "The sync request's body arrived too slowly. Nothing was lost: sync again \
                 when the connection is better.",
            ))
        })
}

/// Sync frames travel as [`SYNC_MEDIA_TYPE`] (parameters after `;` are ignored); anything
/// else is refused before the body is read as a frame, so that a form or a page posted
/// here by mistake, or by a page on another site, is answered plainly.
fn sync_media_type(content_type: Option<&str>) -> Result<(), ApiError> {
    let essence = content_type
        .and_then(|value| value.split(';').next())
        .map(str::trim);
    match essence {
        Some(essence) if essence.eq_ignore_ascii_case(SYNC_MEDIA_TYPE) => Ok(()),
        _ => Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("Send sync frames with Content-Type: {SYNC_MEDIA_TYPE}."),
        )),
    }
}

/// A phone syncs the submissions it created, which belong to its association (a public
/// link's survey takers: the link's own association).
fn device_caller(device: &DeviceInfo) -> Result<Caller, ApiError> {
    let device_id = DeviceId::parse(&device.id).map_err(|e| {
        tracing::error!(error = %e, "a stored device id is not a valid actor device id");
        ApiError::internal()
    })?;
    let association = AssociationId::parse(&device.association).map_err(|e| {
        tracing::error!(error = %e, "a stored device association is not valid");
        ApiError::internal()
    })?;
    Ok(Caller {
        device: device_id.clone(),
        scope: Scope::Device(device_id),
        association: Some(association),
    })
}

/// The actor device of a staff member's browser: their changes carry it, so the history
/// says which staff member changed what.
pub fn staff_device_id(user_id: i64) -> String {
    format!("staff-{user_id}")
}

/// The writer of a staff member's changes: the actor device the server expects of their
/// account ([`staff_device_id`]), the session `session` (random, drawn by the caller: two
/// writers for one account at once must not share an actor), and the account as the
/// changes' user.
///
/// # Errors
///
/// When the account's id makes no valid device or user id (it always does).
pub fn staff_writer(user_id: i64, session: [u8; 16]) -> Result<Writer, IdError> {
    let device = DeviceId::parse(&staff_device_id(user_id))?;
    let session = SessionId::from_bytes(&session)?;
    let user = UserId::parse(&format!("staff-{user_id}"))?;
    Ok(Writer::new(device, session, Some(user)))
}

/// Staff sync what their role lets them see: admins, and reviewers of every association, all
/// submissions; a coordinator their association's; a reviewer limited to some associations
/// those associations'.
pub(crate) fn staff_caller(staff: &Staff) -> Result<Caller, ApiError> {
    let device =
        DeviceId::parse(&staff_device_id(staff.user.id)).map_err(|_| ApiError::internal())?;
    let associations = || {
        staff
            .user
            .associations
            .iter()
            .map(|name| {
                AssociationId::parse(name).map_err(|e| {
                    tracing::error!(error = %e, "a stored association is not valid");
                    ApiError::internal()
                })
            })
            .collect::<Result<BTreeSet<_>, _>>()
    };
    let scope = match (staff.user.role, staff.user.associations.len()) {
        (Role::Admin, _) | (Role::Reviewer, 0) => Scope::All,
        (Role::Coordinator, 0) => {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "This coordinator account has no association. Ask an administrator.",
            ));
        }
        (Role::Coordinator | Role::Reviewer, _) => Scope::Associations(associations()?),
    };
    Ok(Caller {
        device,
        scope,
        association: None,
    })
}

/// `POST /api/staff/sync?association=CODE`: one association's submissions only (what a
/// reviewer takes onto a laptop), within what the account may see.
#[derive(Debug, serde::Deserialize)]
struct StaffSyncQuery {
    association: Option<String>,
}

/// `caller` limited to `association`, when one is asked for: a `403` outside its scope, a
/// `400` for a code that is not one.
fn narrowed(mut caller: Caller, association: Option<&str>) -> Result<Caller, ApiError> {
    let Some(code) = association else {
        return Ok(caller);
    };
    let association = AssociationId::parse(code).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_query",
            "association: an association's code, as GET /api/associations lists them",
        )
    })?;
    let allowed = match &caller.scope {
        Scope::All => true,
        Scope::Associations(set) => set.contains(&association),
        Scope::Device(_) => false,
    };
    if !allowed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "This account does not review that association: sync one of your own, or none \
             to sync all of yours.",
        ));
    }
    caller.scope = Scope::Associations(BTreeSet::from([association]));
    Ok(caller)
}

/// One sync request: admitted by the caller's request rate, work budget and syncs in
/// flight, and by the queue in front of the sync workers (`503 server_busy` with
/// `Retry-After` when it is full), then its body read within the server's budget of body
/// memory, then handled with one of the sync worker threads (one per core).
async fn sync<S, B>(
    state: AppState,
    caller: Caller,
    length: u64,
    body: S,
) -> Result<Response, ApiError>
where
    S: futures_util::Stream<Item = Result<B, warp::Error>>,
    B: warp::Buf,
{
    let _in_flight = state.sync_activity.begin();
    let caller_name = caller.device.as_str().to_owned();
    state.limits.sync(&caller_name)?;
    state.limits.work().admit(&caller_name)?;
    let _caller_slot = state.limits.in_flight().enter(&caller_name)?;
    // A place in the queue before the body is read: when it is full, the request costs
    // nothing more.
    let _queued = state.sync_workers.admit().map_err(|full| {
        state.metrics.count_sync_busy();
        let seconds = full.retry_after.as_secs();
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "server_busy",
            format!(
                "The server is busy with other devices' syncs. Nothing was lost: sync again \
                 in {seconds} s."
            ),
        )
        .with_retry_after(seconds)
    })?;
    // The body is held in memory only within the server's budget for bodies.
    let kib = u32::try_from(length.div_ceil(1024)).map_err(|_| ApiError::internal())?;
    let _body_memory = state
        .sync_body_budget
        .clone()
        .acquire_many_owned(kib.max(1))
        .await
        .map_err(|_| ApiError::internal())?;
    let body = read_body(body, length).await?;
    // At most one sync at a time per core does automerge work: what applying untrusted
    // changes can take in memory is one request's budget per core, however many arrive.
    let store = state.store.clone();
    let bytes_in = body.len();
    let started = std::time::Instant::now();
    let (response, work) = state
        .sync_workers
        .run(move || {
            let mut sync_store = store.sync_store()?;
            let mut server = Server::new(ServerConfig::default());
            Ok::<_, crate::store::SyncStoreError>(server.handle_metered(
                &caller,
                &body,
                &mut sync_store,
            ))
        })
        .await
        .map_err(|_| ApiError::internal())?
    .map_err(|e| {
        tracing::error!(error = %e, "sync store unavailable");
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            "The server cannot reach its database right now. Nothing was lost: sync again later.",
        )
    })?;
    // Sizes and timing only: never the content, which is personal data.
    tracing::debug!(
        device = %caller_name,
        bytes_in,
        bytes_out = response.len(),
        ms = started.elapsed().as_millis() as u64,
        "sync"
    );
    state
        .limits
        .work()
        .charge(&caller_name, work_units(work.docs, work.ops));
    state.validator.notify_one();
    state.metrics.count_sync(bytes_in, response.len());
    let mut reply = Response::new(response.into());
    let headers = reply.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(SYNC_MEDIA_TYPE));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(reply)
}
