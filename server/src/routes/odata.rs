//! The OData feed of each form, read-only, for Excel's and Power BI's "From OData feed"
//! (`crate::odata` reads the request and the store; `letsema_export::odata` writes the
//! documents):
//!
//! - `GET /api/odata/{form}.svc` → the service document (JSON): one entity set per table
//! - `GET /api/odata/{form}.svc/$metadata` → the metadata document (EDMX, XML)
//! - `GET /api/odata/{form}.svc/{set}` → a page of the entity set (`$top`, `$skip`,
//!   `$count`, `$select`; `@odata.nextLink` to the next page), `{set}/$count` its number of
//!   rows (text)
//! - `GET /api/odata/{form}.svc/{set}('{key}')` → one row;
//!   `…('{key}')/{groups…}/{repeat}` → that row's instances of the repeat
//!
//! Staff only, each within their associations (as the submissions table): signed in to the
//! staff area (the session cookie), or with HTTP Basic and their e-mail address and
//! password, which Excel and Power BI send (`crate::basic_auth`) and which this server
//! takes over HTTPS only (or from this machine). A 401 carries a `WWW-Authenticate`
//! challenge. At most [`MAX_CONCURRENT_READS`] pages are read at once (503 beyond). Every
//! read of data (a first page, a row, a repeat of a row; not the pages that continue it) is
//! recorded in the audit log as `odata.read`, with the form, the entity set, the key and
//! the options.

use std::net::SocketAddr;
use std::sync::Arc;

use letsema_export::Schema;
use letsema_export::odata::{OData, path_segment};
use serde_json::{Map, Value, json};
use tokio::sync::Semaphore;
use warp::Filter;
use warp::filters::BoxedFilter;
use warp::filters::path::Tail;
use warp::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use warp::http::{HeaderValue, StatusCode};
use warp::reply::{Reply, Response};

use super::associations::visible_to;
use super::filters::{blocking, get_with_tail, peer_addr, query_pairs, with_state};
use crate::auth::{SESSION_COOKIE, authenticate};
use crate::basic_auth::{self, CHALLENGE};
use crate::error::ApiError;
use crate::export::{ExportError, form_versions};
use crate::odata::{
    FeedPath, ODataError, PAGE_ROWS, ReadOptions, Resource, SkipToken, count, project, read_entity,
    read_page,
};
use crate::state::AppState;
use crate::store::{AuditEntry, StaffUser, SubmissionQuery};

/// Pages of the feed read at once, at most: each reads up to a page of submissions.
pub const MAX_CONCURRENT_READS: usize = 4;

/// The header every answer of the feed carries.
const ODATA_VERSION: &str = "odata-version";

pub fn routes(state: AppState) -> BoxedFilter<(Response,)> {
    let reads = Arc::new(Semaphore::new(MAX_CONCURRENT_READS));
    // One filter serves every document: a path's depth varies with its key and navigation.
    get_with_tail(
        "odata",
        &[
            "/api/odata/{id}",
            "/api/odata/{id}/{id}",
            "/api/odata/{id}/{id}/{id}",
        ],
    )
    .and(with_state(state))
    .and(warp::cookie::optional::<String>(SESSION_COOKIE))
    .and(warp::header::optional::<String>(AUTHORIZATION.as_str()))
    .and(peer_addr())
    .and(warp::query::raw().or(warp::any().map(String::new)).unify())
    .and(warp::any().map(move || reads.clone()))
    .then(feed)
    .boxed()
}

/// Who asks, and what they ask for.
struct Request {
    state: AppState,
    tail: Tail,
    raw: String,
    user: StaffUser,
    remote: Option<SocketAddr>,
    reads: Arc<Semaphore>,
}

#[allow(clippy::too_many_arguments)]
async fn feed(
    tail: Tail,
    state: AppState,
    cookie: Option<String>,
    authorization: Option<String>,
    remote: Option<SocketAddr>,
    raw: String,
    reads: Arc<Semaphore>,
) -> Response {
    let answer = match reader(&state, cookie, authorization, remote).await {
        Ok(user) => {
            serve(Request {
                state,
                tail,
                raw,
                user,
                remote,
                reads,
            })
            .await
        }
        Err(error) => Err(error),
    };
    let mut response = answer.unwrap_or_else(|error| {
        let unauthorized = error.status == StatusCode::UNAUTHORIZED;
        let mut response = error.into_response();
        if unauthorized {
            response
                .headers_mut()
                .insert(WWW_AUTHENTICATE, HeaderValue::from_static(CHALLENGE));
        }
        response
    });
    response
        .headers_mut()
        .insert(ODATA_VERSION, HeaderValue::from_static("4.0"));
    response
}

/// The staff account asking: Basic credentials when the request has them, else the
/// session cookie.
async fn reader(
    state: &AppState,
    cookie: Option<String>,
    authorization: Option<String>,
    remote: Option<SocketAddr>,
) -> Result<StaffUser, ApiError> {
    let basic = authorization.filter(|header| {
        header
            .trim_start()
            .get(..6)
            .is_some_and(|scheme| scheme.eq_ignore_ascii_case("basic "))
    });
    if let Some(header) = basic {
        let private = remote.is_some_and(|address| address.ip().is_loopback());
        let https = state.auth.secure_cookies || state.public_url.starts_with("https://");
        if !(https || private) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "https_required",
                "Basic sign-in sends your password with every request, so this server \
                 takes it over HTTPS only. Open the feed at the server's https:// \
                 address (ask your administrator to serve it with TLS).",
            ));
        }
        return basic_auth::authenticate(state, &header, remote.map(|a| a.ip())).await;
    }
    if cookie.is_none() {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "not_signed_in",
            "Sign in with your staff account: in Excel or Power BI choose Basic and give your \
             e-mail address and password.",
        ));
    }
    let staff = authenticate(state, cookie, &warp::http::Method::GET, None).await?;
    Ok(staff.user)
}

async fn serve(request: Request) -> Result<Response, ApiError> {
    let path = FeedPath::parse(request.tail.as_str()).map_err(odata_error)?;
    let pairs = query_pairs(&request.raw)?;
    let base = format!(
        "{}/api/odata/{}.svc",
        request.state.public_url.trim_end_matches('/'),
        path_segment(&path.form)
    );
    let mut scope = SubmissionQuery::from_pairs(visible_to(&request.user), Vec::new())?;
    scope.form = Some(path.form.clone());
    let store = request.state.store.clone();
    let form = path.form.clone();
    match path.resource {
        Resource::Service => {
            let document = blocking(move || {
                let schema = schema(&*store, &form)?;
                Ok::<_, ODataError>(OData::new(&schema).service_document(&base))
            })
            .await?;
            Ok(json_response(&document))
        }
        Resource::Metadata => {
            let xml = blocking(move || {
                let schema = schema(&*store, &form)?;
                Ok::<_, ODataError>(OData::new(&schema).metadata())
            })
            .await?;
            let mut response = Response::new(xml.into());
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
            Ok(response)
        }
        resource => read(request, resource, pairs, base, scope).await,
    }
}

/// A data document: a page of an entity set, its count, a row or a row's repeat.
async fn read(
    request: Request,
    resource: Resource,
    pairs: Vec<(String, String)>,
    base: String,
    scope: SubmissionQuery,
) -> Result<Response, ApiError> {
    let options = ReadOptions::parse(&pairs).map_err(odata_error)?;
    let Ok(permit) = request.reads.clone().try_acquire_owned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "feed_busy",
            format!(
                "{MAX_CONCURRENT_READS} pages of the feed are being read already: try again \
                 in a few seconds"
            ),
        )
        .with_retry_after(5));
    };
    let store = request.state.store.clone();
    let form = scope.form.clone().unwrap_or_default();
    let audit = AuditEntry {
        actor: format!("user:{}", request.user.id),
        action: "odata.read".to_owned(),
        detail: String::new(),
        address: request.remote.map(|a| a.ip().to_string()),
    };
    let continued = options.continued;
    blocking(move || {
        let _permit = permit;
        let schema = schema(&*store, &form)?;
        let odata = OData::new(&schema);
        let find = |set: &str| {
            odata.entity_set(set).ok_or_else(|| {
                ODataError::NotFound(format!(
                    "form {form:?} has no entity set {set:?}: the service document \
                     (/api/odata/{form}.svc) lists them"
                ))
            })
        };
        let (body, detail) = match &resource {
            Resource::Set { set, count: true } => {
                let index = find(set)?;
                let total = count(&*store, &odata, index, &scope)?;
                let mut response = Response::new(total.to_string().into());
                response
                    .headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
                (
                    response,
                    format!("form={form} set={set}/$count rows={total}"),
                )
            }
            Resource::Set { set, count: false } => {
                let index = find(set)?;
                let page = read_page(
                    &*store,
                    &odata,
                    index,
                    &scope,
                    options.start,
                    options.top,
                    PAGE_ROWS,
                )?;
                let mut document = Map::new();
                document.insert(
                    "@odata.context".to_owned(),
                    Value::String(format!("{base}/$metadata#{set}")),
                );
                if options.count {
                    let total = count(&*store, &odata, index, &scope)?;
                    document.insert("@odata.count".to_owned(), json!(total));
                }
                let rows = page.rows.len();
                document.insert("value".to_owned(), selected(page.rows, &options)?);
                if let Some(next) = page.next {
                    let remaining = options.top.map(|top| top.saturating_sub(rows as u64));
                    document.insert(
                        "@odata.nextLink".to_owned(),
                        Value::String(next_link(&base, set, &pairs, next, remaining)),
                    );
                }
                let detail = format!(
                    "form={form} set={set}{} rows={rows}",
                    describe_options(&options)
                );
                (json_response(&Value::Object(document)), detail)
            }
            Resource::Entity {
                set,
                key,
                navigation,
            } => {
                let index = find(set)?;
                let (found, rows) = read_entity(&*store, &odata, index, key, navigation, &scope)?;
                let found_name = odata
                    .entity_sets()
                    .get(found)
                    .map(|s| s.name.clone())
                    .unwrap_or_default();
                let count = rows.len();
                let document = if navigation.is_empty() {
                    let mut row = match selected(rows, &options)? {
                        Value::Array(mut rows) if !rows.is_empty() => rows.swap_remove(0),
                        _ => Value::Object(Map::new()),
                    };
                    if let Value::Object(row) = &mut row {
                        row.insert(
                            "@odata.context".to_owned(),
                            Value::String(format!("{base}/$metadata#{found_name}/$entity")),
                        );
                    }
                    row
                } else {
                    json!({
                        "@odata.context": format!("{base}/$metadata#{found_name}"),
                        "value": selected(rows, &options)?,
                    })
                };
                let mut detail = format!("form={form} set={set} key={key}");
                if !navigation.is_empty() {
                    detail.push_str(&format!(
                        " navigation={} rows={count}",
                        navigation.join("/")
                    ));
                }
                (json_response(&document), detail)
            }
            Resource::Service | Resource::Metadata => {
                return Err(ODataError::NotFound("not a data document".into()).into());
            }
        };
        if !continued {
            store.record_audit(&AuditEntry { detail, ..audit })?;
        }
        Ok::<_, ApiError>(body)
    })
    .await
}

/// The export schema of a form: every published version's questions.
fn schema(store: &dyn crate::store::Backend, form: &str) -> Result<Schema, ODataError> {
    let versions = form_versions(store, form)?;
    let forms: Vec<&letsema_form::model::Form> = versions.iter().map(AsRef::as_ref).collect();
    Ok(Schema::new(&forms).map_err(ExportError::from)?)
}

/// The rows, each with only what `$select` names.
fn selected(rows: Vec<Map<String, Value>>, options: &ReadOptions) -> Result<Value, ODataError> {
    let rows = match &options.select {
        Some(select) => rows
            .into_iter()
            .map(|row| project(row, select))
            .collect::<Result<Vec<_>, _>>()?,
        None => rows,
    };
    Ok(Value::Array(rows.into_iter().map(Value::Object).collect()))
}

/// The next page's URL: the same options but the paging ones, with its `$skiptoken` and
/// what remains of `$top`.
fn next_link(
    base: &str,
    set: &str,
    pairs: &[(String, String)],
    next: SkipToken,
    remaining: Option<u64>,
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        if !matches!(name.as_str(), "$top" | "$skip" | "$skiptoken" | "$count") {
            query.append_pair(name, value);
        }
    }
    if let Some(top) = remaining {
        query.append_pair("$top", &top.to_string());
    }
    query.append_pair("$skiptoken", &next.to_string());
    format!("{base}/{set}?{}", query.finish())
}

/// The options as the audit log records them.
fn describe_options(options: &ReadOptions) -> String {
    let mut text = String::new();
    if let Some(top) = options.top {
        text.push_str(&format!(" top={top}"));
    }
    if options.start.skip > 0 && !options.continued {
        text.push_str(&format!(" skip={}", options.start.skip));
    }
    if let Some(select) = &options.select {
        let paths: Vec<String> = select.iter().map(|path| path.join("/")).collect();
        text.push_str(&format!(" select={}", paths.join(",")));
    }
    text
}

fn json_response(document: &Value) -> Response {
    let mut response = warp::reply::json(document).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; odata.metadata=minimal"),
    );
    response
}

fn odata_error(error: ODataError) -> ApiError {
    match error {
        ODataError::NotFound(message) => ApiError::new(StatusCode::NOT_FOUND, "not_found", message),
        ODataError::Invalid(message) => {
            ApiError::new(StatusCode::BAD_REQUEST, "invalid_query", message)
        }
        ODataError::NotImplemented(message) => {
            ApiError::new(StatusCode::NOT_IMPLEMENTED, "not_implemented", message)
        }
        ODataError::NotAcceptable(message) => {
            ApiError::new(StatusCode::NOT_ACCEPTABLE, "not_acceptable", message)
        }
        ODataError::Export(ExportError::UnknownForm(form)) => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_form",
            format!("no form {form:?} is published here: check its id in the staff area"),
        ),
        ODataError::Export(ExportError::Query(error)) => error.into(),
        ODataError::Export(ExportError::Forms(error)) => error.into(),
        ODataError::Export(ExportError::Store(error)) => error.into(),
        ODataError::Export(ExportError::Write(error)) => {
            tracing::error!(%error, "an OData document could not be made");
            ApiError::internal()
        }
    }
}

impl From<ODataError> for ApiError {
    fn from(error: ODataError) -> Self {
        odata_error(error)
    }
}
