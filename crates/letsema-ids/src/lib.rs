//! Letsema's two byte identifiers, one type each for every crate that names them: the
//! submission document (`letsema-doc`), the sync wire (`letsema-protocol`, which re-exports
//! them in `letsema_protocol::sync`) and the sync state machines (`letsema-sync`).
//!
//! - [`DocId`]: a submission document's id as the 16 bytes of its UUID.
//! - [`ChangeHash`]: an automerge change's hash (SHA-256 of the change chunk), 32 bytes.
//!
//! And one small plain value of the submission document that is read where automerge is
//! not: [`ReviewStatus`] (the web app's first module shows it, and never links automerge).
//!
//! Both serialise as their raw bytes (a fixed-size tuple: 16 or 32 bytes in postcard, an
//! array of numbers in JSON): that is the sync wire's format, so it must not change.
//! `letsema-doc` turns a [`ChangeHash`] into automerge's own type and back (the same 32
//! bytes) where it calls automerge; no other crate needs to.
//!
//! ```
//! use letsema_ids::{ChangeHash, DocId};
//!
//! let id = DocId([0x12; 16]);
//! assert_eq!(id.to_string(), "12121212-1212-1212-1212-121212121212");
//! let mut bytes = [0x01; 16];
//! bytes[15] = 0x34;
//! assert_eq!(DocId(bytes).bucket(), 0x34);
//! let hash = ChangeHash([0xab; 32]);
//! assert_eq!(hash.to_string(), "ab".repeat(32));
//! assert_eq!(format!("{hash:?}"), "ChangeHash(abababababab…)");
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// A submission document's id as 16 raw bytes (the UUID's bytes), 20 bytes shorter than
/// its text. `letsema-doc` converts it to and from the document's `SubmissionId`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DocId(pub [u8; 16]);

impl DocId {
    /// The bucket of this document in the sync repair's summary: its last byte. That byte is
    /// random in both kinds of submission id (version 4, random; version 7, which starts
    /// with the time), so the buckets fill evenly; a version 7 id's first byte is the same
    /// for years.
    pub fn bucket(&self) -> u8 {
        self.0[15]
    }
}

/// The UUID's canonical text: 32 lower-case hex digits in groups of 8-4-4-4-12.
impl fmt::Display for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, byte) in self.0.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for DocId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocId({self})")
    }
}

/// The hash of one automerge change (SHA-256 of the change chunk).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ChangeHash(pub [u8; 32]);

/// 64 lower-case hex digits, as automerge writes a change hash.
impl fmt::Display for ChangeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for byte in &self.0 {
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// The first six bytes in hex: enough to tell hashes apart in a test's output.
impl fmt::Debug for ChangeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ChangeHash(")?;
        for byte in &self.0[..6] {
            write!(f, "{byte:02x}")?;
        }
        f.write_str("…)")
    }
}

/// Where a submission stands in review: a value of the submission document's `review`
/// (`letsema-doc` re-exports it) that the app's screens show without opening a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewStatus {
    /// The server has it; nobody has looked at it yet.
    Received,
    /// A reviewer sent it back to be fixed.
    HasIssues,
    /// A reviewer accepted it.
    Approved,
    /// A reviewer rejected it.
    Rejected,
}

impl ReviewStatus {
    /// The name stored in the document and used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Received => "received",
            ReviewStatus::HasIssues => "has_issues",
            ReviewStatus::Approved => "approved",
            ReviewStatus::Rejected => "rejected",
        }
    }

    /// The status named `name`, if it is one.
    pub fn from_name(name: &str) -> Option<ReviewStatus> {
        match name {
            "received" => Some(ReviewStatus::Received),
            "has_issues" => Some(ReviewStatus::HasIssues),
            "approved" => Some(ReviewStatus::Approved),
            "rejected" => Some(ReviewStatus::Rejected),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_doc_id_is_its_uuid_bytes_on_the_wire_and_its_uuid_text_in_words() {
        let mut bytes = [0u8; 16];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = i as u8 * 17;
        }
        let id = DocId(bytes);
        assert_eq!(id.to_string(), "00112233-4455-6677-8899-aabbccddeeff");
        assert_eq!(
            format!("{id:?}"),
            "DocId(00112233-4455-6677-8899-aabbccddeeff)"
        );
        let postcard = postcard::to_allocvec(&id).expect("serialises");
        assert_eq!(postcard, bytes, "16 raw bytes, no length");
        assert_eq!(
            serde_json::to_string(&id).expect("serialises"),
            "[0,17,34,51,68,85,102,119,136,153,170,187,204,221,238,255]"
        );
        assert_eq!(postcard::from_bytes::<DocId>(&postcard), Ok(id));
    }

    #[test]
    fn a_change_hash_is_its_32_bytes_on_the_wire_and_hex_in_words() {
        let hash = ChangeHash([7; 32]);
        let postcard = postcard::to_allocvec(&hash).expect("serialises");
        assert_eq!(postcard, [7; 32], "32 raw bytes, no length");
        assert_eq!(postcard::from_bytes::<ChangeHash>(&postcard), Ok(hash));
        let json = serde_json::to_string(&hash).expect("serialises");
        assert_eq!(json, format!("[{}]", vec!["7"; 32].join(",")));
        assert_eq!(hash.to_string(), "07".repeat(32));
        assert_eq!(format!("{hash:?}"), "ChangeHash(070707070707…)");
    }

    #[test]
    fn ids_and_hashes_order_by_their_bytes() {
        assert!(DocId([1; 16]) < DocId([2; 16]));
        let mut low = [0xff; 32];
        low[0] = 0;
        assert!(ChangeHash(low) < ChangeHash([1; 32]));
    }
}
