//! The built web app, served from `--web-dir`.
//!
//! Files are served with validators (`ETag`) and `Cache-Control: no-cache`, so a browser
//! always checks for a new version but downloads nothing when it has the current one. When
//! the build left a brotli (`.br`) or gzip (`.gz`) copy beside a file, and the browser
//! accepts that encoding, the compressed copy is sent: bytes are money on prepaid data.
//! Any path without a file extension that names no file gets `index.html`, so the app's
//! own addresses (an enrolment link, say) load the app; under `/staff`, the staff area's
//! `staff/index.html`. Symbolic links inside the folder are
//! never followed: a file reached through one is "not found" (see [`open_in`]).

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use warp::Filter;
use warp::filters::BoxedFilter;
use warp::http::StatusCode;
use warp::http::header::{
    CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, ETAG, HeaderValue, VARY,
};
use warp::reply::Response;

use super::filters::blocking;
use crate::error::ApiError;

pub fn routes(web_dir: PathBuf) -> BoxedFilter<(Response,)> {
    warp::get()
        .and(warp::path::tail())
        .and(warp::header::optional::<String>("accept-encoding"))
        .and(warp::header::optional::<String>("if-none-match"))
        .and_then(move |tail: warp::path::Tail, accept, if_none_match| {
            let web_dir = web_dir.clone();
            async move {
                // The API's addresses are never the app. A plain "not found" here lets the
                // API route's own rejection (401, 403, 405...) be the one answered.
                if tail.as_str() == "api" || tail.as_str().starts_with("api/") {
                    return Err(warp::reject::not_found());
                }
                serve_file(&web_dir, tail.as_str(), accept, if_none_match)
                    .await
                    .map_err(warp::reject::custom)
            }
        })
        .boxed()
}

async fn serve_file(
    web_dir: &Path,
    path: &str,
    accept_encoding: Option<String>,
    if_none_match: Option<String>,
) -> Result<Response, ApiError> {
    let web_dir = web_dir.to_owned();
    let path = path.to_owned();
    // Every step is a blocking file system call: one trip to the blocking pool for all.
    blocking(move || serve_file_blocking(&web_dir, &path, accept_encoding, if_none_match)).await
}

fn serve_file_blocking(
    web_dir: &Path,
    path: &str,
    accept_encoding: Option<String>,
    if_none_match: Option<String>,
) -> Result<Response, ApiError> {
    let relative = match path {
        "" => "index.html",
        // `/staff/` as people type it: the staff area's page (no other folder is a page).
        "staff/" => "staff/index.html",
        path => path,
    };
    if !is_safe_relative_path(relative) {
        return Err(not_found());
    }
    let mut relative = relative.to_owned();
    let mut opened = open_in(web_dir, &relative);
    if opened.is_none() {
        let last = relative.rsplit('/').next().unwrap_or_default();
        if last.contains('.') {
            return Err(not_found());
        }
        relative = app_page(&relative).to_owned();
        opened = open_in(web_dir, &relative);
    }
    let Some(mut opened) = opened else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "web_app_missing",
            "The web app has not been built. Build it with `./dev run`, or point \
             --web-dir at a built copy.",
        ));
    };

    let accept = accept_encoding.as_deref().unwrap_or_default();
    let mut encoding = None;
    for (name, suffix) in [("br", "br"), ("gzip", "gz")] {
        if !accepts(accept, name) {
            continue;
        }
        if let Some(compressed) = open_in(web_dir, &format!("{relative}.{suffix}")) {
            opened = compressed;
            encoding = Some(name);
            break;
        }
    }
    let (mut file, metadata) = opened;

    let modified = metadata
        .modified()
        .ok()
        .and_then(|time| time.duration_since(UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos());
    let etag = format!(
        "\"{:x}-{modified:x}{}\"",
        metadata.len(),
        encoding.map(|e| format!("-{e}")).unwrap_or_default()
    );
    let content_type = mime_guess::from_path(&relative)
        .first_or_octet_stream()
        .to_string();

    let matches = if_none_match
        .as_deref()
        .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        let mut response = Response::new(Vec::new().into());
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else {
        let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
        file.read_to_end(&mut bytes).map_err(|_| not_found())?;
        let length = bytes.len();
        let mut response = Response::new(bytes.into());
        let headers = response.headers_mut();
        headers.insert(CONTENT_LENGTH, HeaderValue::from(length));
        if let Ok(value) = HeaderValue::from_str(&content_type) {
            headers.insert(CONTENT_TYPE, value);
        }
        if let Some(encoding) = encoding {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding));
        }
        response
    };
    let headers = response.headers_mut();
    if relative == STAFF_SERVICE_WORKER {
        // Its scope is /staff (the staff area's address), above its own folder.
        headers.insert("service-worker-allowed", HeaderValue::from_static("/staff"));
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, value);
    }
    Ok(response)
}

/// The staff area's service worker, which serves `/staff` (see `web/static/staff/`).
const STAFF_SERVICE_WORKER: &str = "staff/sw.js";

/// The page of an address of one of the apps: the staff area's under `staff`, the
/// volunteers' everywhere else.
fn app_page(path: &str) -> &'static str {
    if path == "staff" || path.starts_with("staff/") {
        "staff/index.html"
    } else {
        "index.html"
    }
}

fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "No such file in the web app. Check the address.",
    )
}

/// Opens the regular file at `relative` (a path [`is_safe_relative_path`] accepted) inside
/// `web_dir`, if it is reached without any symbolic link; `None` otherwise.
///
/// The rule is "no symbolic link at all below the web folder", not "no link that leads
/// out of it": the build makes none, and a rule with no exceptions needs no reasoning about
/// relative targets, links to links or links changed later, any of which could hand out the
/// database or a key. The folder given as `--web-dir` may itself be a link (a deployment's
/// `current`, say): the operator chose it.
///
/// Each segment is checked with `symlink_metadata`, then the file is opened and its
/// identity (device and inode) compared with what the check saw, so that a segment swapped
/// for a link between the two is caught rather than followed. Size, date and content all
/// come from that one open file. (A hard link cannot be told from a file; making one needs
/// write access to the web folder, which serves anything anyway.)
fn open_in(web_dir: &Path, relative: &str) -> Option<(File, Metadata)> {
    let mut path = web_dir.to_path_buf();
    let mut checked = None;
    for segment in relative.split('/') {
        path.push(segment);
        let metadata = std::fs::symlink_metadata(&path).ok()?;
        if metadata.file_type().is_symlink() {
            return None;
        }
        checked = Some(metadata);
    }
    let checked = checked.filter(Metadata::is_file)?;
    let file = File::open(&path).ok()?;
    let opened = file.metadata().ok()?;
    (opened.is_file() && same_file(&checked, &opened)).then_some((file, opened))
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

/// Without inode numbers (on other systems), the segment check alone guards.
#[cfg(not(unix))]
fn same_file(_: &Metadata, _: &Metadata) -> bool {
    true
}

/// Only plain names: letters, digits, `-`, `_`, `.` and `/`, no empty, hidden, `.` or `..`
/// segment. The app's files need nothing more, and this rules out every way out of the
/// folder without having to decode and normalise the path.
fn is_safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && !segment.starts_with('.')
                && segment
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        })
}

/// Whether an `Accept-Encoding` header accepts `encoding` (present and not `q=0`).
fn accepts(header: &str, encoding: &str) -> bool {
    header.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let name_matches = parts
            .next()
            .is_some_and(|name| name.eq_ignore_ascii_case(encoding));
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.trim().parse::<f32>().ok())
                .is_some_and(|q| q <= 0.0)
        });
        name_matches && !refused
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_served() {
        for good in [
            "index.html",
            "pkg/letsema_web_bg.wasm",
            "sw.js",
            "a/b-c_d.e",
        ] {
            assert!(is_safe_relative_path(good), "{good}");
        }
        for bad in [
            "",
            "..",
            "../etc/passwd",
            "a/../b",
            ".git/config",
            "a//b",
            "%2e%2e/x",
            "a\\b",
            "/etc/passwd",
            "a/",
        ] {
            assert!(!is_safe_relative_path(bad), "{bad}");
        }
    }

    #[test]
    fn accept_encoding_is_read_with_quality_values() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("BR;q=0.5", "br"));
        assert!(!accepts("gzip, br;q=0", "br"));
        assert!(!accepts("gzip", "br"));
        assert!(!accepts("", "gzip"));
    }
}
