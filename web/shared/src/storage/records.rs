//! The records as they are laid out in IndexedDB (format 1; see the module documentation of
//! [`crate::storage`]), and their conversions to the typed values. The sync state's
//! conversion lives with the sync client's store, in the second module.
//!
//! Records are serialised with `serde-wasm-bindgen` into plain JavaScript objects, so they
//! read well in the browser's developer tools: bytes become `Uint8Array`s.

use letsema_ids::{ChangeHash, DocId};
use serde::{Deserialize, Serialize};

use super::{Draft, StorageError, StoredDocument, SyncStatus};

/// Key of the enrolment record in `state`.
pub const KEY_ENROLMENT: &str = "enrolment";
/// Key of the sync state record in `state`.
pub const KEY_SYNC: &str = "sync";
/// Key of the sync status record in `state`.
pub const KEY_SYNC_STATUS: &str = "sync_status";
/// Key of the format record in `meta`.
pub const KEY_FORMAT: &str = "format";

/// A record of `documents`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub id: String,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
    pub heads: Vec<String>,
    pub acked: Vec<String>,
    pub changed_at: i64,
    /// 1 when some head is not acknowledged (indexed).
    pub unsynced: u8,
    /// The submission's name (absent from records of earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// A record of `drafts`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DraftRecord {
    pub id: String,
    pub form_id: String,
    pub form_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    pub updated_at: i64,
    #[serde(with = "serde_bytes")]
    pub bytes: Vec<u8>,
    pub heads: Vec<String>,
    /// The submission's name (absent from records of earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// When it was started (absent from records of earlier versions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
}

/// A record of `forms`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FormRecord {
    pub form_id: String,
    pub version: String,
    /// The `DeviceForm` as JSON text.
    pub json: String,
}

/// The enrolment record of `state`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnrolmentRecord {
    /// The `Enrolled` as JSON text.
    pub json: String,
    pub stored_at: i64,
}

/// The sync state record of `state`: 64-bit numbers as decimal strings.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SyncRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_epoch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor_seq: Option<String>,
    pub next_request_id: String,
}

/// The sync status record of `state`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SyncStatusRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_at: Option<i64>,
}

/// The format record of `meta`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FormatRecord {
    pub version: u32,
    pub created_at: i64,
    pub migrated_at: i64,
    /// The app version that last stamped it.
    pub written_by: String,
}

/// A document id as its key: 32 lower-case hex digits.
pub fn doc_key(id: DocId) -> String {
    hex(&id.0)
}

/// Parses a document key.
pub fn parse_doc_key(key: &str) -> Result<DocId, StorageError> {
    let mut bytes = [0u8; 16];
    unhex(key, &mut bytes).map_err(|reason| corrupt(format!("document key {key}"), reason))?;
    Ok(DocId(bytes))
}

/// Change hashes as sorted hex strings.
pub fn hashes_to_hex(hashes: &[ChangeHash]) -> Vec<String> {
    hashes.iter().map(|hash| hex(&hash.0)).collect()
}

/// Parses hex change hashes (and sorts them).
pub fn hashes_from_hex(what: &str, hex: &[String]) -> Result<Vec<ChangeHash>, StorageError> {
    let mut hashes = Vec::with_capacity(hex.len());
    for text in hex {
        let mut bytes = [0u8; 32];
        unhex(text, &mut bytes).map_err(|reason| corrupt(what.to_owned(), reason))?;
        hashes.push(ChangeHash(bytes));
    }
    hashes.sort_unstable();
    hashes.dedup();
    Ok(hashes)
}

/// Whether some head is not acknowledged.
pub fn is_unsynced(heads: &[ChangeHash], acked: &[ChangeHash]) -> bool {
    heads.iter().any(|head| !acked.contains(head))
}

impl DocumentRecord {
    pub fn new(doc: &StoredDocument) -> DocumentRecord {
        DocumentRecord {
            id: doc_key(doc.id),
            bytes: doc.bytes.clone(),
            heads: hashes_to_hex(&doc.heads),
            acked: hashes_to_hex(&doc.acked),
            changed_at: doc.changed_at_ms,
            unsynced: u8::from(doc.is_unsynced()),
            name: doc.name.clone(),
        }
    }

    pub fn decode(self) -> Result<StoredDocument, StorageError> {
        let id = parse_doc_key(&self.id)?;
        let heads = hashes_from_hex(&format!("heads of document {}", self.id), &self.heads)?;
        let acked = hashes_from_hex(&format!("acked heads of document {}", self.id), &self.acked)?;
        Ok(StoredDocument {
            id,
            bytes: self.bytes,
            heads,
            acked,
            changed_at_ms: self.changed_at,
            name: self.name,
        })
    }
}

impl DraftRecord {
    pub fn new(draft: &Draft) -> DraftRecord {
        DraftRecord {
            id: doc_key(draft.id),
            form_id: draft.form_id.clone(),
            form_version: draft.form_version.clone(),
            language: draft.language.clone(),
            updated_at: draft.updated_at_ms,
            bytes: draft.bytes.clone(),
            heads: hashes_to_hex(&draft.heads),
            name: draft.name.clone(),
            started_at: draft.started_at_ms,
        }
    }

    pub fn decode(self) -> Result<Draft, StorageError> {
        let id = parse_doc_key(&self.id)?;
        let heads = hashes_from_hex(&format!("heads of draft {}", self.id), &self.heads)?;
        Ok(Draft {
            id,
            form_id: self.form_id,
            form_version: self.form_version,
            language: self.language,
            updated_at_ms: self.updated_at,
            bytes: self.bytes,
            heads,
            name: self.name,
            started_at_ms: self.started_at,
        })
    }
}

impl From<SyncStatusRecord> for SyncStatus {
    fn from(record: SyncStatusRecord) -> SyncStatus {
        SyncStatus {
            last_success_ms: record.last_success,
            last_error: record.last_error,
            last_error_ms: record.last_error_at,
        }
    }
}

/// A [`StorageError::Corrupt`].
pub fn corrupt(what: String, reason: impl Into<String>) -> StorageError {
    StorageError::Corrupt {
        what,
        reason: reason.into(),
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        text.push(char::from(DIGITS[usize::from(byte >> 4)]));
        text.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
    text
}

fn unhex(text: &str, out: &mut [u8]) -> Result<(), String> {
    if text.len() != out.len() * 2 {
        return Err(format!("`{text}` is not {} hex digits", out.len() * 2));
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    for (slot, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        match (digit(pair[0]), digit(pair[1])) {
            (Some(high), Some(low)) => *slot = (high << 4) | low,
            _ => return Err(format!("`{text}` is not hex")),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_of_an_earlier_version_read_without_a_name_or_a_start() {
        // As format 1 wrote them before names: no `name`, no `started_at`.
        let draft: DraftRecord = serde_json::from_str(
            r#"{"id": "00112233445566778899aabbccddeeff", "form_id": "f", "form_version": "1",
                "updated_at": 5, "bytes": [], "heads": []}"#,
        )
        .expect("reads");
        let draft = draft.decode().expect("decodes");
        assert_eq!((draft.name, draft.started_at_ms), (None, None));
        let document: DocumentRecord = serde_json::from_str(
            r#"{"id": "00112233445566778899aabbccddeeff", "bytes": [], "heads": [], "acked": [],
                "changed_at": 5, "unsynced": 1}"#,
        )
        .expect("reads");
        assert_eq!(document.decode().expect("decodes").name, None);
    }

    #[test]
    fn a_name_and_a_start_are_kept_and_absent_ones_are_not_written() {
        let draft = Draft {
            id: DocId([7; 16]),
            form_id: "f".into(),
            form_version: "1".into(),
            language: None,
            updated_at_ms: 9,
            bytes: Vec::new(),
            heads: Vec::new(),
            name: Some("Mokoena, Palesa".into()),
            started_at_ms: Some(3),
        };
        let record = DraftRecord::new(&draft);
        let json = serde_json::to_string(&record).expect("written");
        assert!(json.contains(r#""name":"Mokoena, Palesa""#), "{json}");
        assert_eq!(record.decode().expect("decodes"), draft);
        let unnamed = DraftRecord::new(&Draft {
            name: None,
            started_at_ms: None,
            ..draft
        });
        let json = serde_json::to_string(&unnamed).expect("written");
        assert!(
            !json.contains("name") && !json.contains("started_at"),
            "{json}"
        );
    }
}
