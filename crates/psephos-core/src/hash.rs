//! Domain-separated SHA-256 for everything psephos hashes outside Fiat–Shamir transcripts:
//! the manifest hash, the election hash, ballot hashes and tracking codes.
//!
//! A hash input is always `label ‖ canonical bytes` where the label is one of the versioned
//! constants in [`crate::transcript::labels`] prefixed by its length; JSON text is never hashed.

use crate::error::DecodeError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

/// A 32-byte SHA-256 digest.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Digest(pub [u8; 32]);

impl Digest {
    /// Hashes `len(label) ‖ label ‖ data` with SHA-256.
    pub fn of(label: &[u8], data: &[u8]) -> Self {
        let mut h = Sha256::new();
        h.update([label.len() as u8]);
        h.update(label);
        h.update(data);
        Digest(h.finalize().into())
    }

    /// Lower-case hex.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses exactly 64 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, DecodeError> {
        Ok(Digest(crate::group::hex32(s)?))
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Digest({})", self.to_hex())
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for Digest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Digest::from_hex(&s).map_err(serde::de::Error::custom)
    }
}
