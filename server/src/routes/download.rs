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
use http_body_util::{BodyExt, Either, StreamBody};
use hyper::body::Frame;
use tokio::io::AsyncReadExt;

/// The bytes read from the file at a time.
const CHUNK_BYTES: usize = 64 * 1024;

/// A file's body, read as it is sent.
pub type FileBody = UnsyncBoxBody<Bytes, std::io::Error>;

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
    pub fn into_body(self) -> FileBody {
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
                Err(error) => Some((Err(error), None)),
            }
        });
        StreamBody::new(chunks).boxed_unsync()
    }
}

/// A response's body as the accept loop sends it: the file it carries, or its own as it is
/// (every other response, untouched).
pub fn body_of<B>(mut response: hyper::Response<B>) -> hyper::Response<Either<B, FileBody>> {
    match response.extensions_mut().remove::<StreamedFile>() {
        Some(file) => response.map(|_| Either::Right(file.into_body())),
        None => response.map(Either::Left),
    }
}
