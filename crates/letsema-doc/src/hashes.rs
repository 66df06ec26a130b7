//! Change hashes: [`letsema_ids::ChangeHash`] in this crate's API, automerge's own type where
//! automerge is called. Both are the same 32 bytes; these are the only conversions.
//!
//! The structs that report changes ([`ChangeInfo`](crate::ChangeInfo),
//! [`FieldChange`](crate::FieldChange), [`ConflictValue`](crate::ConflictValue)) write their
//! hashes in JSON as automerge did, as 64 hex digits ([`hex`], [`hex_vec`], [`hex_option`]),
//! while the sync wire keeps the raw bytes.

use letsema_ids::ChangeHash;

/// Automerge's hash for ours.
pub(crate) fn to_automerge(hash: &ChangeHash) -> automerge::ChangeHash {
    automerge::ChangeHash(hash.0)
}

/// Ours for automerge's.
pub(crate) fn from_automerge(hash: automerge::ChangeHash) -> ChangeHash {
    ChangeHash(hash.0)
}

/// Automerge's hashes for ours.
pub(crate) fn to_automerge_all(hashes: &[ChangeHash]) -> Vec<automerge::ChangeHash> {
    hashes.iter().map(to_automerge).collect()
}

/// Ours for automerge's.
pub(crate) fn from_automerge_all(
    hashes: impl IntoIterator<Item = automerge::ChangeHash>,
) -> Vec<ChangeHash> {
    hashes.into_iter().map(from_automerge).collect()
}

/// Serde for one hash as 64 hex digits (automerge's JSON for a change hash).
pub(crate) mod hex {
    use letsema_ids::ChangeHash;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(hash: &ChangeHash, s: S) -> Result<S::Ok, S::Error> {
        super::to_automerge(hash).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ChangeHash, D::Error> {
        automerge::ChangeHash::deserialize(d).map(super::from_automerge)
    }
}

/// [`hex`] for a list of hashes.
pub(crate) mod hex_vec {
    use letsema_ids::ChangeHash;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(hashes: &[ChangeHash], s: S) -> Result<S::Ok, S::Error> {
        super::to_automerge_all(hashes).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<ChangeHash>, D::Error> {
        Vec::<automerge::ChangeHash>::deserialize(d).map(super::from_automerge_all)
    }
}

/// [`hex`] for a hash that may be unknown.
pub(crate) mod hex_option {
    use letsema_ids::ChangeHash;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        hash: &Option<ChangeHash>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        hash.as_ref().map(super::to_automerge).serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<ChangeHash>, D::Error> {
        Option::<automerge::ChangeHash>::deserialize(d).map(|hash| hash.map(super::from_automerge))
    }
}

#[cfg(test)]
mod tests {
    use automerge::ActorId;
    use letsema_ids::ChangeHash;

    use crate::{ChangeInfo, Timestamp};

    #[test]
    fn a_change_report_writes_its_hashes_as_hex_and_reads_them_back() {
        let info = ChangeInfo {
            hash: ChangeHash([0xab; 32]),
            deps: vec![ChangeHash([1; 32])],
            actor: ActorId::from([2u8; 16]),
            device: None,
            user: None,
            time: Timestamp(5),
        };
        let json = serde_json::to_value(&info).expect("serialises");
        assert_eq!(json["hash"], "ab".repeat(32));
        assert_eq!(json["deps"][0], "01".repeat(32));
        let back: ChangeInfo = serde_json::from_value(json).expect("reads back");
        assert_eq!(back, info);
    }
}
