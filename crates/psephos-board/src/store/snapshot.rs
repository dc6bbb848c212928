//! Authenticated snapshots: a caller's state kept beside the log, so that a restart need not
//! read the whole log to rebuild it (the election service's rules, `docs/protocol.md` §11.4).
//!
//! The database is not trusted, so a snapshot is stored with the tree size and root it was
//! taken at and an HMAC-SHA-256 over them and its bytes, keyed with a key derived from the
//! board's signing key by a labelled hash. Someone who can write to the database but does not
//! hold the board key can neither forge a snapshot nor alter one; what they can do is delete
//! it (the caller then rebuilds its state from the log) or put back an older one that this
//! board wrote (authentic, at a smaller size: the caller replays the entries after it). On
//! reading, the board also checks that the snapshot's root is the root of the verified tree at
//! the snapshot's size (a consistency proof from the stored nodes to the tree verified at
//! open). An authentic snapshot that claims more entries than the log holds, or a root the log
//! does not extend, is evidence that entries this board wrote were removed or changed (the
//! newest blocks deleted with them, which the tamper check alone cannot see): an error of its
//! own, on which the election service refuses to start.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::merkle::Hash;

/// Label of the derivation of the snapshot key from the board key.
const KEY_LABEL: &[u8] = b"psephos/snapshot-key v1";
/// Label of the authenticated message.
const MAC_LABEL: &[u8] = b"psephos/snapshot v1";

/// A snapshot read back from the board: authentic (written by this board key for this log)
/// and taken at a size of the verified tree.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Snapshot {
    /// The tree size it was taken at: it describes entries `0 … size − 1`.
    pub size: u64,
    /// The root of the tree of that size.
    pub root: Hash,
    /// The caller's bytes, as saved.
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapshot")
            .field("size", &self.size)
            .field("root", &self.root)
            .field("bytes", &self.data.len())
            .finish()
    }
}

/// The snapshot key of a board key: `SHA-256(KEY_LABEL ‖ 0x00 ‖ signing key)`.
pub(crate) fn derive_key(signing_key: &ed25519_dalek::SigningKey) -> Zeroizing<[u8; 32]> {
    let mut h = Sha256::new();
    h.update(KEY_LABEL);
    h.update([0]);
    h.update(signing_key.as_bytes());
    Zeroizing::new(h.finalize().into())
}

/// SHA-256 of a snapshot's bytes (computed off the async workers: snapshots are large).
pub(crate) async fn digest(data: Vec<u8>) -> Result<(Vec<u8>, [u8; 32]), crate::BoardError> {
    tokio::task::spawn_blocking(move || {
        let d: [u8; 32] = Sha256::digest(&data).into();
        (data, d)
    })
    .await
    .map_err(|_| crate::BoardError::Closed)
}

fn mac(key: &[u8; 32], origin: &str, size: u64, root: &Hash, digest: &[u8; 32]) -> Hmac<Sha256> {
    // A key of any length is accepted by HMAC.
    let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    m.update(MAC_LABEL);
    m.update(&[0]);
    m.update(&(origin.len() as u64).to_be_bytes());
    m.update(origin.as_bytes());
    m.update(&size.to_be_bytes());
    m.update(&root.0);
    m.update(digest);
    m
}

/// The authentication code of a snapshot of `origin`'s log at `(size, root)` whose bytes
/// hash to `digest`.
pub(crate) fn tag(
    key: &[u8; 32],
    origin: &str,
    size: u64,
    root: &Hash,
    digest: &[u8; 32],
) -> Vec<u8> {
    mac(key, origin, size, root, digest)
        .finalize()
        .into_bytes()
        .to_vec()
}

/// Whether `tag` authenticates the snapshot (compared in constant time).
pub(crate) fn verify(
    key: &[u8; 32],
    origin: &str,
    size: u64,
    root: &Hash,
    digest: &[u8; 32],
    tag: &[u8],
) -> bool {
    mac(key, origin, size, root, digest)
        .verify_slice(tag)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tag_binds_the_key_origin_size_root_and_bytes() {
        let key = *derive_key(&ed25519_dalek::SigningKey::from_bytes(&[7; 32]));
        let other = *derive_key(&ed25519_dalek::SigningKey::from_bytes(&[8; 32]));
        let root = Hash([1; 32]);
        let d = [2; 32];
        let t = tag(&key, "o", 5, &root, &d);
        assert!(verify(&key, "o", 5, &root, &d, &t));
        assert!(!verify(&other, "o", 5, &root, &d, &t));
        assert!(!verify(&key, "p", 5, &root, &d, &t));
        assert!(!verify(&key, "o", 6, &root, &d, &t));
        assert!(!verify(&key, "o", 5, &Hash([3; 32]), &d, &t));
        assert!(!verify(&key, "o", 5, &root, &[4; 32], &t));
        assert!(!verify(&key, "o", 5, &root, &d, &t[..31]));
    }
}
