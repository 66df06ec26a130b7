//! A response whose body is a file, streamed from disk: an export can be larger than the
//! server should hold in memory, and warp 0.4 has no public streaming body. A route answers
//! with its headers and an empty body carrying a [`StreamedFile`] in its extensions; the
//! accept loop (`serve/accept.rs`) swaps the body for the file, read 64 KiB at a time.
//!
//! The file is usually an unnamed temporary file (`tempfile::tempfile`): it is gone from
//! the disk once the download ends or the client goes away.

use std::fs::File;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use tokio::io::AsyncReadExt;

/// The bytes read from the file at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// A body of any kind, as the accept loop hands responses to hyper.
pub type AnyBody = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// A file to send as a response's body (see the module's documentation). Extensions must
/// be `Clone`: the file is shared, and taken once.
#[derive(Debug, Clone)]
pub struct StreamedFile(Arc<Mutex<Option<File>>>);

impl StreamedFile {
    /// The file, from where it is positioned to its end.
    pub fn new(file: File) -> Self {
        StreamedFile(Arc::new(Mutex::new(Some(file))))
    }

    /// The body that reads the file; empty if it was already taken.
    pub fn into_body(self) -> AnyBody {
        let file = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .map(tokio::fs::File::from_std);
        let chunks = futures_util::stream::unfold(file, |file| async move {
            let mut file = file?;
            let mut buffer = vec![0; CHUNK_BYTES];
            match file.read(&mut buffer).await {
                Ok(0) => None,
                Ok(read) => {
                    buffer.truncate(read);
                    Some((Ok(Frame::data(Bytes::from(buffer))), Some(file)))
                }
                // The client sees the body end early (its length is short): the error ends
                // the stream, and the next poll finds no file.
                Err(error) => Some((Err(error.into()), None)),
            }
        });
        StreamBody::new(chunks).boxed_unsync()
    }
}

/// A response's body as the accept loop sends it: the file it carries, or its own.
pub fn body_of(mut response: warp::reply::Response) -> hyper::Response<AnyBody> {
    let file = response.extensions_mut().remove::<StreamedFile>();
    response.map(|body| match file {
        Some(file) => file.into_body(),
        None => body.map_err(Into::into).boxed_unsync(),
    })
}
