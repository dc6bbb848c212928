//! One board per election, one secret per service: an election's board key is derived from the
//! service's board key and the election's slug (`docs/protocol.md` §10.16).
//!
//! A service hosts many elections, and each election is its own board: its own origin, tree,
//! checkpoints and record, verifiable alone exactly as a service of one election. So each
//! board signs with its own key, named by its own origin (`<service origin>/<slug>`): a
//! checkpoint of one election can never be taken for another's (the key ID commits to the
//! name, and a verifier opens a checkpoint only under the origin it expects), and a verifier
//! pins the one key of the election it checks. Deriving the keys, rather than generating and
//! storing one per election, keeps the operator's secret to one file: the election's Ed25519
//! seed is the labelled hash `Hℓ("psephos/election-board-key v1", service seed ‖ slug)`. The
//! seed is 32 bytes, so the slug after it is unambiguous; distinct slugs give independent keys
//! (SHA-256 as a PRF keyed by the service seed), and knowing some elections' keys tells
//! nothing of the service seed or another election's key.
//!
//! The slug is the election's id in the service: in URLs (`/api/v1/elections/{slug}/…`), in its
//! origin, and in the key derivation. It is not the manifest's `[election] id`, which the
//! officials choose later and which need not be unique across a service.

use std::fmt;

pub use ed25519_dalek::SigningKey;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The label of the derivation (`docs/protocol.md` §3.6).
pub const ELECTION_BOARD_KEY_LABEL: &[u8] = b"psephos/election-board-key v1";

/// The longest slug, in characters.
pub const MAX_SLUG_LEN: usize = 40;

/// An election's id in its service: 1 to 40 characters of `a-z`, `0-9` and `-`, beginning and
/// ending with a letter or digit. Safe in a URL path segment, in a checkpoint origin and in a
/// signed-note key name without escaping.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ElectionSlug(String);

/// Why a string is not an [`ElectionSlug`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SlugError {
    /// Empty or longer than [`MAX_SLUG_LEN`].
    #[error("an election id is 1 to {MAX_SLUG_LEN} characters long")]
    Length,
    /// A character other than `a-z`, `0-9`, `-`, or a `-` at either end.
    #[error(
        "an election id is made of a-z, 0-9 and '-', and begins and ends with a letter or digit"
    )]
    Characters,
}

impl ElectionSlug {
    /// Checks `s` against the slug's rules.
    pub fn new(s: &str) -> Result<Self, SlugError> {
        if s.is_empty() || s.len() > MAX_SLUG_LEN {
            return Err(SlugError::Length);
        }
        let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
        let bytes = s.as_bytes();
        if !bytes.iter().all(|&b| allowed(b)) || bytes[0] == b'-' || bytes[bytes.len() - 1] == b'-'
        {
            return Err(SlugError::Characters);
        }
        Ok(ElectionSlug(s.to_owned()))
    }

    /// The slug as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ElectionSlug {
    type Err = SlugError;
    fn from_str(s: &str) -> Result<Self, SlugError> {
        ElectionSlug::new(s)
    }
}

impl fmt::Display for ElectionSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ElectionSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ElectionSlug({:?})", self.0)
    }
}

/// The origin of the election's board: `<service origin>/<slug>`.
pub fn election_origin(service_origin: &str, slug: &ElectionSlug) -> String {
    format!("{}/{}", service_origin.trim_end_matches('/'), slug)
}

/// The election's board signing key: the Ed25519 key whose seed is
/// `Hℓ("psephos/election-board-key v1", service seed ‖ slug)`, where
/// `Hℓ(label, data) = SHA-256(u8(len(label)) ‖ label ‖ data)` (`docs/protocol.md` §1).
pub fn election_signing_key(service: &SigningKey, slug: &ElectionSlug) -> SigningKey {
    let mut h = Sha256::new();
    h.update([ELECTION_BOARD_KEY_LABEL.len() as u8]);
    h.update(ELECTION_BOARD_KEY_LABEL);
    h.update(service.as_bytes());
    h.update(slug.as_str().as_bytes());
    let seed = Zeroizing::new(<[u8; 32]>::from(h.finalize()));
    SigningKey::from_bytes(&seed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        for ok in ["a", "municipal-2026", "0", "a-b-c", &"x".repeat(40)] {
            assert!(ElectionSlug::new(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "-a",
            "a-",
            "A",
            "a b",
            "a/b",
            "a_b",
            "é",
            "a+b",
            &"x".repeat(41),
        ] {
            assert!(ElectionSlug::new(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn distinct_slugs_distinct_keys() {
        let service = SigningKey::from_bytes(&[7; 32]);
        let a = election_signing_key(&service, &ElectionSlug::new("a").unwrap());
        let b = election_signing_key(&service, &ElectionSlug::new("b").unwrap());
        assert_ne!(a.verifying_key(), b.verifying_key());
        assert_ne!(a.verifying_key(), service.verifying_key());
    }
}
