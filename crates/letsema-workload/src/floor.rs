//! The benchmark's floor: the submissions' data in the cheapest plausible encoding, one
//! gzip-compressed JSON array, against which what sync sends is measured.

use std::io::Write;

use flate2::Compression;
use flate2::write::GzEncoder;
use letsema_doc::SubmissionDoc;
use serde::Serialize;

/// One submission as a plain JSON object: its id, form, version and answers, nothing of
/// the document's history, actors or review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FloorRecord {
    /// The submission's id.
    pub submission_id: String,
    /// The form's id.
    pub form_id: String,
    /// The form's version.
    pub form_version: String,
    /// The answers as the document gives them (fields in name order), in their JSON.
    pub answers: letsema_doc::Answers,
}

impl FloorRecord {
    /// The record of `doc` as it is now.
    pub fn of(doc: &SubmissionDoc) -> FloorRecord {
        let meta = doc.meta();
        FloorRecord {
            submission_id: meta.submission_id.as_str().to_owned(),
            form_id: meta.form_id.as_str().to_owned(),
            form_version: meta.form_version.as_str().to_owned(),
            answers: doc.answers(),
        }
    }
}

/// The records of `docs`, in order.
pub fn floor_records(docs: &[SubmissionDoc]) -> Vec<FloorRecord> {
    docs.iter().map(FloorRecord::of).collect()
}

/// The records of `docs` as one compact JSON array, uncompressed.
pub fn floor_json(docs: &[SubmissionDoc]) -> Vec<u8> {
    // Strings, string-keyed maps and arrays always serialise.
    serde_json::to_vec(&floor_records(docs)).expect("records serialise to JSON")
}

/// The size in bytes of the records of `docs` as one JSON array compressed with gzip at
/// its best level: the least a sync of these submissions could plausibly send.
pub fn floor_bytes(docs: &[SubmissionDoc]) -> usize {
    gzip(&floor_json(docs)).len()
}

/// `bytes` gzip-compressed at the best level.
fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    // Writing into a `Vec` cannot fail, so neither can the encoder.
    encoder
        .write_all(bytes)
        .and_then(|()| encoder.finish())
        .expect("gzip into memory cannot fail")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_output_is_a_gzip_stream() {
        let zipped = gzip(b"Letsema Letsema Letsema");
        assert_eq!(&zipped[..2], &[0x1f, 0x8b]);
        let mut out = Vec::new();
        let mut decoder = flate2::write::GzDecoder::new(&mut out);
        decoder.write_all(&zipped).expect("decodes");
        decoder.finish().expect("finishes");
        assert_eq!(out, b"Letsema Letsema Letsema");
    }
}
