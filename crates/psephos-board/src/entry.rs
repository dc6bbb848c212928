//! Board entries: what one leaf of the Merkle tree holds.
//!
//! The board is a log of *typed* entries. The payload of each entry is the
//! canonical encoding produced by the core crate (an election definition, a
//! ballot, a decryption share, …); the board never parses it, it only frames
//! it with its kind so that a verifier replaying the log knows how to read
//! each leaf, and so that the same payload bytes posted as two different kinds
//! hash to two different leaves.
//!
//! The canonical entry bytes, which the Merkle leaf hash commits to, are
//!
//! ```text
//! kind (u8) ‖ payload length (u32, big-endian) ‖ payload
//! ```
//!
//! and the leaf is `leaf_hash(canonical entry bytes)` (RFC 9162:
//! `SHA-256(0x00 ‖ bytes)`). Decoding is strict: an unknown kind, a length
//! that disagrees with the data, trailing bytes or a payload above
//! [`MAX_PAYLOAD_SIZE`] are errors, never panics.

use core::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use sha2::{Digest, Sha256};

use crate::merkle::Hash;

/// Largest payload of one entry, in bytes (1 MiB).
pub const MAX_PAYLOAD_SIZE: usize = 1 << 20;

/// Length of the framing before the payload: kind byte and u32 length.
pub const ENTRY_HEADER_SIZE: usize = 5;

/// What an entry is, in the protocol's words. The discriminant is the kind
/// byte of the canonical encoding; a value is never reused.
#[repr(u8)]
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryKind {
    /// The election definition (questions, options, trustees, parameters).
    ElectionDefinition = 1,
    /// A key-ceremony message signed by a trustee (commitments, encrypted
    /// shares, complaints, answers).
    CeremonyMessage = 2,
    /// The published list of public voter credentials.
    CredentialList = 3,
    /// A cast ballot.
    Ballot = 4,
    /// A challenged (opened, never counted) ballot.
    Challenge = 5,
    /// A control event: voting opened or closed, tally started.
    Control = 6,
    /// The homomorphic aggregate of the counted ballots.
    EncryptedTally = 7,
    /// A trustee's decryption share with its proof.
    DecryptionShare = 8,
    /// The decrypted result.
    Result = 9,
    /// The booth manifest: the web booth's files and hashes, posted before voting opens.
    BoothManifest = 10,
    /// A part of the mix input: the mixed contests' rows of the counted ballots.
    MixInput = 11,
    /// A part of a mixer's signed shuffle of the mixed lists, with its proofs.
    Shuffle = 12,
    /// A part of a trustee's decryption share of the final mixed lists.
    MixShare = 13,
    /// A part of the decrypted mixed lists.
    MixResult = 14,
    /// The counts derived from the decrypted mixed lists that the homomorphic result cannot
    /// hold: each ranked contest's round-by-round count transcript.
    MixedCount = 16,
}

impl EntryKind {
    /// Every kind, in discriminant order.
    pub const ALL: [EntryKind; 15] = [
        EntryKind::ElectionDefinition,
        EntryKind::CeremonyMessage,
        EntryKind::CredentialList,
        EntryKind::Ballot,
        EntryKind::Challenge,
        EntryKind::Control,
        EntryKind::EncryptedTally,
        EntryKind::DecryptionShare,
        EntryKind::Result,
        EntryKind::BoothManifest,
        EntryKind::MixInput,
        EntryKind::Shuffle,
        EntryKind::MixShare,
        EntryKind::MixResult,
        EntryKind::MixedCount,
    ];

    /// The kind byte.
    pub const fn to_u8(self) -> u8 {
        self as u8
    }

    /// The kind with kind byte `b`, if there is one.
    pub const fn from_u8(b: u8) -> Option<Self> {
        Some(match b {
            1 => EntryKind::ElectionDefinition,
            2 => EntryKind::CeremonyMessage,
            3 => EntryKind::CredentialList,
            4 => EntryKind::Ballot,
            5 => EntryKind::Challenge,
            6 => EntryKind::Control,
            7 => EntryKind::EncryptedTally,
            8 => EntryKind::DecryptionShare,
            9 => EntryKind::Result,
            10 => EntryKind::BoothManifest,
            11 => EntryKind::MixInput,
            12 => EntryKind::Shuffle,
            13 => EntryKind::MixShare,
            14 => EntryKind::MixResult,
            16 => EntryKind::MixedCount,
            _ => return None,
        })
    }

    /// The snake_case name used in JSON and logs.
    pub const fn name(self) -> &'static str {
        match self {
            EntryKind::ElectionDefinition => "election_definition",
            EntryKind::CeremonyMessage => "ceremony_message",
            EntryKind::CredentialList => "credential_list",
            EntryKind::Ballot => "ballot",
            EntryKind::Challenge => "challenge",
            EntryKind::Control => "control",
            EntryKind::EncryptedTally => "encrypted_tally",
            EntryKind::DecryptionShare => "decryption_share",
            EntryKind::Result => "result",
            EntryKind::BoothManifest => "booth_manifest",
            EntryKind::MixInput => "mix_input",
            EntryKind::Shuffle => "shuffle",
            EntryKind::MixShare => "mix_share",
            EntryKind::MixResult => "mix_result",
            EntryKind::MixedCount => "mixed_count",
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<u8> for EntryKind {
    type Error = EntryError;

    fn try_from(b: u8) -> Result<Self, Self::Error> {
        EntryKind::from_u8(b).ok_or(EntryError::UnknownKind(b))
    }
}

/// Why entry bytes or an entry were rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryError {
    /// The kind byte names no [`EntryKind`].
    #[error("unknown entry kind {0}")]
    UnknownKind(u8),
    /// The payload is larger than [`MAX_PAYLOAD_SIZE`].
    #[error("entry payload is {size} bytes, more than the limit of {max}")]
    PayloadTooLarge {
        /// Size of the payload.
        size: usize,
        /// The limit.
        max: usize,
    },
    /// Fewer bytes than the 5-byte header.
    #[error("entry is {0} bytes, shorter than its 5-byte header")]
    Truncated(usize),
    /// The declared payload length disagrees with the bytes that follow.
    #[error("entry declares a {declared}-byte payload but {actual} bytes follow")]
    LengthMismatch {
        /// Length in the header.
        declared: u64,
        /// Bytes after the header.
        actual: u64,
    },
}

/// One board entry: its kind and its payload, the canonical bytes of a
/// protocol object made by the core crate (opaque to the board).
///
/// Serialised (serde) as `{"kind": "ballot", "payload": "<base64>"}`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// What the payload is.
    pub kind: EntryKind,
    /// The payload bytes, at most [`MAX_PAYLOAD_SIZE`].
    #[serde(with = "base64_bytes")]
    pub payload: Vec<u8>,
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry")
            .field("kind", &self.kind)
            .field("payload_len", &self.payload.len())
            .finish()
    }
}

impl Entry {
    /// An entry, if the payload is within [`MAX_PAYLOAD_SIZE`].
    pub fn new(kind: EntryKind, payload: Vec<u8>) -> Result<Self, EntryError> {
        let entry = Entry { kind, payload };
        entry.validate()?;
        Ok(entry)
    }

    /// Checks the payload size (the fields are public, so an entry may have
    /// been built without [`Entry::new`]).
    pub fn validate(&self) -> Result<(), EntryError> {
        if self.payload.len() > MAX_PAYLOAD_SIZE {
            return Err(EntryError::PayloadTooLarge {
                size: self.payload.len(),
                max: MAX_PAYLOAD_SIZE,
            });
        }
        Ok(())
    }

    /// Length of the canonical bytes.
    pub fn encoded_len(&self) -> usize {
        ENTRY_HEADER_SIZE + self.payload.len()
    }

    /// The canonical entry bytes: `kind ‖ u32 BE length ‖ payload`.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EntryError> {
        self.validate()?;
        let mut out = Vec::with_capacity(self.encoded_len());
        // validate() bounds the length by MAX_PAYLOAD_SIZE < 2^32.
        let len = u32::try_from(self.payload.len()).map_err(|_| EntryError::PayloadTooLarge {
            size: self.payload.len(),
            max: MAX_PAYLOAD_SIZE,
        })?;
        out.push(self.kind.to_u8());
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(&self.payload);
        Ok(out)
    }

    /// Parses canonical entry bytes, strictly.
    pub fn decode(bytes: &[u8]) -> Result<Self, EntryError> {
        let Some((header, payload)) = bytes.split_first_chunk::<ENTRY_HEADER_SIZE>() else {
            return Err(EntryError::Truncated(bytes.len()));
        };
        let kind = EntryKind::try_from(header[0])?;
        let declared = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
        if u64::from(declared) != payload.len() as u64 {
            return Err(EntryError::LengthMismatch {
                declared: u64::from(declared),
                actual: payload.len() as u64,
            });
        }
        Entry::new(kind, payload.to_vec())
    }

    /// The Merkle leaf hash of this entry: `leaf_hash(canonical bytes)`.
    pub fn leaf_hash(&self) -> Result<Hash, EntryError> {
        self.validate()?;
        Ok(entry_leaf_hash(self.kind.to_u8(), &self.payload))
    }
}

/// `leaf_hash(kind ‖ u32 BE len ‖ payload)` without copying the payload. The
/// caller has checked `payload.len() <= MAX_PAYLOAD_SIZE` (or hashes stored
/// bytes as they are, to compare).
pub(crate) fn entry_leaf_hash(kind: u8, payload: &[u8]) -> Hash {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    let mut h = Sha256::new();
    h.update([0x00, kind]);
    h.update(len.to_be_bytes());
    h.update(payload);
    Hash(h.finalize().into())
}

/// Serde helper: bytes as standard padded base64.
mod base64_bytes {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&BASE64.encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("standard padded base64")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Vec<u8>, E> {
                // 4 base64 characters per 3 bytes: refuse to decode what would
                // exceed the payload limit.
                if v.len() / 4 * 3 > MAX_PAYLOAD_SIZE + 3 {
                    return Err(E::custom("payload larger than the limit"));
                }
                BASE64.decode(v).map_err(E::custom)
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merkle::leaf_hash;

    #[test]
    fn kind_bytes_round_trip() {
        for k in EntryKind::ALL {
            assert_eq!(EntryKind::from_u8(k.to_u8()), Some(k));
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.name()));
        }
        assert_eq!(EntryKind::from_u8(0), None);
        assert_eq!(EntryKind::from_u8(255), None);
        assert_eq!(EntryKind::from_u8(10), Some(EntryKind::BoothManifest));
    }

    #[test]
    fn canonical_bytes() {
        let e = Entry::new(EntryKind::Ballot, b"abc".to_vec()).unwrap();
        let b = e.to_bytes().unwrap();
        assert_eq!(b, [4, 0, 0, 0, 3, b'a', b'b', b'c']);
        assert_eq!(Entry::decode(&b).unwrap(), e);
        assert_eq!(e.leaf_hash().unwrap(), leaf_hash(&b));
    }

    #[test]
    fn bad_bytes_are_rejected() {
        assert_eq!(Entry::decode(&[4, 0, 0]), Err(EntryError::Truncated(3)));
        assert_eq!(
            Entry::decode(&[0, 0, 0, 0, 0]),
            Err(EntryError::UnknownKind(0))
        );
        assert_eq!(
            Entry::decode(&[4, 0, 0, 0, 2, 1]),
            Err(EntryError::LengthMismatch {
                declared: 2,
                actual: 1
            })
        );
        assert_eq!(
            Entry::decode(&[4, 0, 0, 0, 1, 1, 2]),
            Err(EntryError::LengthMismatch {
                declared: 1,
                actual: 2
            })
        );
        let mut big = vec![4, 0, 0x10, 0, 1];
        big.resize(5 + MAX_PAYLOAD_SIZE + 1, 0);
        assert!(matches!(
            Entry::decode(&big),
            Err(EntryError::PayloadTooLarge { .. })
        ));
        let e = Entry {
            kind: EntryKind::Ballot,
            payload: vec![0; MAX_PAYLOAD_SIZE + 1],
        };
        assert!(e.to_bytes().is_err());
        assert!(Entry::new(EntryKind::Ballot, vec![0; MAX_PAYLOAD_SIZE]).is_ok());
    }

    #[test]
    fn serde_round_trip() {
        let e = Entry::new(EntryKind::DecryptionShare, vec![0, 1, 255]).unwrap();
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(json, r#"{"kind":"decryption_share","payload":"AAH/"}"#);
        assert_eq!(serde_json::from_str::<Entry>(&json).unwrap(), e);
        assert!(serde_json::from_str::<Entry>(r#"{"kind":"vote","payload":""}"#).is_err());
        assert!(serde_json::from_str::<Entry>(r#"{"kind":"ballot","payload":"!!"}"#).is_err());
    }
}
