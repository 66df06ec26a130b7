//! Identifiers and the writer context: who writes a document, from which device and session.
//!
//! Every identifier is a validated newtype, so a `SubmissionId` that exists is a UUID and a
//! `DeviceId` that exists fits in an actor id. The protocol crate may later own these types;
//! until then they live here, next to the only code that writes them into documents.

use std::fmt;

use automerge::ActorId;
use letsema_ids::DocId;
use serde::{Deserialize, Serialize};

/// An identifier that did not have the expected shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {kind}: {expected}")]
pub struct IdError {
    /// What kind of identifier was expected, for example "submission id".
    pub kind: &'static str,
    /// The rejected text (shortened when very long).
    pub value: String,
    /// What a valid identifier looks like.
    pub expected: &'static str,
}

impl IdError {
    fn new(kind: &'static str, value: &str, expected: &'static str) -> Self {
        let value: String = value.chars().take(80).collect();
        IdError {
            kind,
            value,
            expected,
        }
    }
}

/// Defines a validated string newtype with `parse`, `as_str`, `Display` and serde support.
macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $expected:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Checks `value` and wraps it.
            ///
            /// # Errors
            ///
            /// Returns an [`IdError`] saying what a valid value looks like.
            pub fn parse(value: &str) -> Result<Self, IdError> {
                let check: fn(&str) -> bool = $check;
                if check(value) {
                    Ok($name(value.to_owned()))
                } else {
                    Err(IdError::new($kind, value, $expected))
                }
            }

            /// The identifier as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, IdError> {
                $name::parse(&value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(value: &str) -> Result<Self, IdError> {
                $name::parse(value)
            }
        }
    };
}

/// Free text of 1 to 256 characters without control characters.
fn is_plain_text(value: &str) -> bool {
    !value.is_empty() && value.chars().count() <= 256 && !value.chars().any(char::is_control)
}

/// 1 to 64 ASCII letters, digits, `.`, `_` or `-`: short enough to sit in every actor id.
fn is_device_text(value: &str) -> bool {
    (1..=MAX_DEVICE_ID_LEN).contains(&value.len())
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The canonical 8-4-4-4-12 hexadecimal UUID form, in lower case.
fn is_uuid_text(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_digit() || (b'a'..=b'f').contains(b),
        })
}

/// The longest device id, in bytes.
pub const MAX_DEVICE_ID_LEN: usize = 64;

string_id!(
    /// The id of a submission: a UUID generated on the device that created it, in lower-case
    /// canonical form (`123e4567-e89b-42d3-a456-426614174000`).
    ///
    /// Use [`SubmissionId::new_v7`] with the time and 16 random bytes from the caller to make
    /// a new one; this crate has no clock or source of randomness of its own. Ids made before
    /// are version 4 (random); both kinds parse and sync alike.
    SubmissionId,
    "submission id",
    "expected a lower-case UUID such as 123e4567-e89b-42d3-a456-426614174000",
    is_uuid_text
);

impl SubmissionId {
    /// A version 7 UUID (RFC 9562): the first 48 bits are `at` in Unix milliseconds, the
    /// other 74 (besides version and variant) come from `random`, which the caller drew.
    ///
    /// Ids made in the order submissions are started sort in that order, so the server's
    /// indexes keyed by document id take a field day's new submissions at their end, a few
    /// pages written per commit, where random (version 4) ids dirty a page per submission
    /// across the whole index (issue 13: 5.6 times the bytes written with 200,000 held).
    /// The time says when the submission was started, which its document says anyway.
    /// A time before 1970 counts as 1970.
    pub fn new_v7(at: Timestamp, random: [u8; 16]) -> SubmissionId {
        let millis = u64::try_from(at.0).unwrap_or(0).min((1 << 48) - 1);
        let mut bytes = random;
        bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
        bytes[6] = (bytes[6] & 0x0f) | 0x70;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        SubmissionId::from_uuid_bytes(&bytes)
    }

    /// A version 4 (random) UUID made from 16 random bytes the caller generated. New
    /// submissions take [`SubmissionId::new_v7`]; this is for tests and tools that want an id
    /// with no time in it.
    pub fn from_random_bytes(mut bytes: [u8; 16]) -> SubmissionId {
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        SubmissionId::from_uuid_bytes(&bytes)
    }

    fn from_uuid_bytes(bytes: &[u8; 16]) -> SubmissionId {
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        SubmissionId(format!(
            "{}-{}-{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[12..16],
            &hex[16..20],
            &hex[20..32]
        ))
    }
}

/// The submission's id as the sync wire carries it: the UUID's 16 bytes.
impl From<&SubmissionId> for DocId {
    fn from(id: &SubmissionId) -> DocId {
        // A `SubmissionId` is always 32 lower-case hex digits and 4 dashes.
        let mut bytes = [0u8; 16];
        let digits = id.as_str().bytes().filter_map(|b| match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            _ => None,
        });
        for (i, digit) in digits.enumerate().take(32) {
            bytes[i / 2] |= if i % 2 == 0 { digit << 4 } else { digit };
        }
        DocId(bytes)
    }
}

/// The submission id a document id stands for: any 16 bytes written as a lower-case UUID.
impl From<DocId> for SubmissionId {
    fn from(id: DocId) -> SubmissionId {
        SubmissionId(id.to_string())
    }
}

string_id!(
    /// The id of an enrolled device (a phone, a browser, or the server itself).
    DeviceId,
    "device id",
    "expected 1 to 64 ASCII letters, digits, '.', '_' or '-'",
    is_device_text
);

string_id!(
    /// The id of a person: a volunteer, a survey taker with an account, or staff.
    UserId,
    "user id",
    "expected 1 to 256 characters without control characters",
    is_plain_text
);

string_id!(
    /// The id of a form (XLSForm's `form_id`).
    FormId,
    "form id",
    "expected 1 to 256 characters without control characters",
    is_plain_text
);

string_id!(
    /// The version of a form (XLSForm's `version`).
    FormVersion,
    "form version",
    "expected 1 to 256 characters without control characters",
    is_plain_text
);

string_id!(
    /// The id of the diaspora association a submission belongs to.
    AssociationId,
    "association id",
    "expected 1 to 256 characters without control characters",
    is_plain_text
);

/// A point in time, in milliseconds since the Unix epoch (UTC).
///
/// The caller reads the clock; this crate never does. Automerge change times written by this
/// crate use the same unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// Wraps milliseconds since the Unix epoch.
    pub fn from_millis(millis: i64) -> Timestamp {
        Timestamp(millis)
    }

    /// Milliseconds since the Unix epoch.
    pub fn as_millis(self) -> i64 {
        self.0
    }
}

/// The per-session part of an actor id: random bytes the caller generated when a program
/// (a browser tab, a server process) started writing.
///
/// Two tabs on one phone share a [`DeviceId`] but must never share an actor id, or automerge
/// would see two different changes with the same actor and sequence number.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(Vec<u8>);

impl SessionId {
    /// The fewest random bytes accepted: 8 bytes make a collision between sessions of one
    /// device vanishingly unlikely.
    pub const MIN_LEN: usize = 8;
    /// The most bytes accepted: every change carries its actor id, so it is kept short.
    pub const MAX_LEN: usize = 32;

    /// Wraps `bytes` (8 to 32 random bytes generated by the caller).
    ///
    /// # Errors
    ///
    /// Returns an [`IdError`] when the length is outside 8..=32.
    pub fn from_bytes(bytes: &[u8]) -> Result<SessionId, IdError> {
        if (Self::MIN_LEN..=Self::MAX_LEN).contains(&bytes.len()) {
            Ok(SessionId(bytes.to_vec()))
        } else {
            Err(IdError::new(
                "session id",
                &hex(bytes),
                "expected 8 to 32 random bytes",
            ))
        }
    }

    /// The raw bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Debug for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionId({})", hex(&self.0))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The magic prefix of Letsema actor ids, followed by a format version byte.
const ACTOR_MAGIC: &[u8; 3] = b"LS\x01";

/// What a Letsema actor id says: the device that wrote, and the session on that device.
///
/// The layout is `"LS" 0x01`, one byte with the device id's length, the device id's ASCII
/// bytes, then the session bytes. An actor id that does not follow it (a document written by
/// another program, or a forged one) parses to `None`.
///
/// The device in an actor id is a claim by the writer. The server must check, when it accepts
/// changes from an enrolled device, that their actors name that device.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ActorInfo {
    /// The device that wrote the changes.
    pub device: DeviceId,
    /// The writing session on that device.
    pub session: SessionId,
}

impl ActorInfo {
    /// The actor id for `device` and `session`.
    pub fn actor_id(device: &DeviceId, session: &SessionId) -> ActorId {
        let mut bytes = Vec::with_capacity(4 + device.0.len() + session.0.len());
        bytes.extend_from_slice(ACTOR_MAGIC);
        // A device id is at most 64 bytes (checked when it was made), so it fits in one byte.
        bytes.push(u8::try_from(device.0.len()).unwrap_or(u8::MAX));
        bytes.extend_from_slice(device.0.as_bytes());
        bytes.extend_from_slice(&session.0);
        ActorId::from(bytes)
    }

    /// The device that wrote with `actor`, or `None` when `actor` is not a Letsema actor id.
    pub fn parse(actor: &ActorId) -> Option<DeviceId> {
        ActorInfo::decode(actor).map(|info| info.device)
    }

    /// The device and session of `actor`, or `None` when it is not a Letsema actor id.
    pub fn decode(actor: &ActorId) -> Option<ActorInfo> {
        let rest = actor.to_bytes().strip_prefix(ACTOR_MAGIC)?;
        let (&len, rest) = rest.split_first()?;
        let len = usize::from(len);
        if rest.len() < len {
            return None;
        }
        let (device, session) = rest.split_at(len);
        let device = DeviceId::parse(std::str::from_utf8(device).ok()?).ok()?;
        let session = SessionId::from_bytes(session).ok()?;
        Some(ActorInfo { device, session })
    }
}

/// Who is writing to a document: the device, the session on that device, and the signed-in
/// user if there is one (a survey taker on a public link has none).
///
/// The device and session make the automerge actor id; the user is recorded in the message of
/// every change this writer commits, so history can say who changed what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Writer {
    /// The device writing.
    pub device: DeviceId,
    /// The session on that device.
    pub session: SessionId,
    /// The person writing, if signed in.
    pub user: Option<UserId>,
}

impl Writer {
    /// A writer on `device` in `session`, acting for `user`.
    pub fn new(device: DeviceId, session: SessionId, user: Option<UserId>) -> Writer {
        Writer {
            device,
            session,
            user,
        }
    }

    /// This writer's automerge actor id.
    pub fn actor_id(&self) -> ActorId {
        ActorInfo::actor_id(&self.device, &self.session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_bytes_make_a_valid_v4_uuid() {
        let id = SubmissionId::from_random_bytes([0xff; 16]);
        assert_eq!(id.as_str(), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        assert_eq!(SubmissionId::parse(id.as_str()), Ok(id));
    }

    #[test]
    fn a_v7_id_starts_with_the_time_and_keeps_random_bits() {
        // RFC 9562's example: 2022-02-22T19:22:22Z.
        let id = SubmissionId::new_v7(Timestamp(0x017f_22e2_79b0), [0xff; 16]);
        assert_eq!(id.as_str(), "017f22e2-79b0-7fff-bfff-ffffffffffff");
        assert_eq!(SubmissionId::parse(id.as_str()), Ok(id));
        let zero = SubmissionId::new_v7(Timestamp(0), [0; 16]);
        assert_eq!(zero.as_str(), "00000000-0000-7000-8000-000000000000");
        let before_1970 = SubmissionId::new_v7(Timestamp(-5), [0; 16]);
        assert_eq!(before_1970, zero);
    }

    #[test]
    fn v7_ids_sort_in_the_order_of_their_times() {
        let earlier = SubmissionId::new_v7(Timestamp(1_781_503_200_000), [0xff; 16]);
        let later = SubmissionId::new_v7(Timestamp(1_781_503_200_001), [0; 16]);
        assert!(DocId::from(&earlier) < DocId::from(&later));
        assert!(earlier.as_str() < later.as_str());
    }

    #[test]
    fn a_submission_id_and_its_doc_id_convert_both_ways() {
        let id = SubmissionId::parse("123e4567-e89b-42d3-a456-426614174000").expect("a uuid");
        let doc = DocId::from(&id);
        assert_eq!(doc.0[..3], [0x12, 0x3e, 0x45]);
        assert_eq!(doc.to_string(), id.as_str());
        assert_eq!(SubmissionId::from(doc), id);
        let any = SubmissionId::from(DocId([0xab; 16]));
        assert_eq!(SubmissionId::parse(any.as_str()), Ok(any));
    }

    #[test]
    fn ids_are_validated() {
        assert!(SubmissionId::parse("not-a-uuid").is_err());
        assert!(SubmissionId::parse("123E4567-E89B-42D3-A456-426614174000").is_err());
        assert!(DeviceId::parse("").is_err());
        assert!(DeviceId::parse("phone 1").is_err());
        assert!(DeviceId::parse(&"a".repeat(65)).is_err());
        assert!(DeviceId::parse(&"a".repeat(64)).is_ok());
        assert!(UserId::parse("line\nbreak").is_err());
        assert!(SessionId::from_bytes(&[1; 7]).is_err());
        assert!(SessionId::from_bytes(&[1; 33]).is_err());
    }

    #[test]
    fn foreign_actor_ids_have_no_device() {
        assert_eq!(ActorInfo::parse(&ActorId::from([1u8; 16])), None);
        assert_eq!(ActorInfo::parse(&ActorId::from(b"LS\x01\x09ab")), None);
    }
}
