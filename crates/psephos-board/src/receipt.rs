//! Receipts (`docs/protocol.md` §10.11): what a voter keeps to prove that the board holds their
//! entry — its index and leaf hash, the first signed checkpoint that covers it, and the RFC 9162
//! inclusion proof against that checkpoint — and their verification.
//!
//! Why here and not in `store`: the board makes receipts, but the voter's browser (the wasm
//! crate, which cannot link sqlx) and any verifier check them. The type and its check are
//! storage-free, like [`crate::merkle`] and [`crate::note`], and build without the `store`
//! feature, so the server serializes and the browser verifies one definition.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::checkpoint::SignedCheckpoint;
use crate::merkle::{verify_inclusion, Hash, InclusionProof, MerkleError};
use crate::note::{NoteError, VerifierKey};

/// A receipt a voter keeps: the entry's position, the first signed
/// checkpoint that covers it, and the inclusion proof against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SealedReceipt {
    /// Position in the log.
    pub index: u64,
    /// `leaf_hash(canonical entry bytes)`.
    pub leaf_hash: Hash,
    /// Number of the block that sealed the checkpoint.
    pub block_number: u64,
    /// Tree size of the checkpoint (the proof is against this size).
    pub tree_size: u64,
    /// Root of the checkpoint.
    pub root: Hash,
    /// The signed checkpoint note, with the witness cosignatures received so far.
    pub checkpoint: String,
    /// Inclusion proof of `leaf_hash` at `index` in the tree of `tree_size`.
    pub inclusion_proof: InclusionProof,
}

/// Why a receipt does not prove its entry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ReceiptError {
    /// The receipt names another leaf than the entry the verifier holds.
    #[error("the receipt is for another entry than this one")]
    OtherEntry,
    /// The checkpoint's note does not open: bad board signature or bad witness cosignature.
    #[error("checkpoint: {0}")]
    Checkpoint(#[from] NoteError),
    /// The receipt's size or root is not the signed checkpoint's.
    #[error("the receipt's tree size or root differs from its signed checkpoint")]
    CheckpointMismatch,
    /// The inclusion proof does not lead from the leaf to the checkpoint's root.
    #[error("inclusion proof: {0}")]
    Inclusion(#[from] MerkleError),
}

impl SealedReceipt {
    /// Checks that this receipt proves the entry with leaf hash `leaf` (computed by the verifier
    /// from the entry it holds, never taken from the receipt): the leaf is the receipt's, the
    /// checkpoint opens under the board's key `log_key` for log `origin` (with the cosignatures of
    /// `witnesses` verified), the receipt's tree size and root are the checkpoint's (a proof alone
    /// does not pin the size), and the inclusion proof leads from the leaf at `index` to that
    /// root. Returns the opened checkpoint.
    pub fn verify(
        &self,
        leaf: &Hash,
        origin: &str,
        log_key: &VerifierKey,
        witnesses: &[VerifierKey],
    ) -> Result<SignedCheckpoint, ReceiptError> {
        if *leaf != self.leaf_hash {
            return Err(ReceiptError::OtherEntry);
        }
        let signed =
            SignedCheckpoint::open(self.checkpoint.as_bytes(), origin, log_key, witnesses)?;
        let cp = signed.checkpoint();
        if cp.size != self.tree_size || cp.root != self.root {
            return Err(ReceiptError::CheckpointMismatch);
        }
        verify_inclusion(
            leaf,
            self.index,
            self.tree_size,
            &self.inclusion_proof,
            &self.root,
        )?;
        Ok(signed)
    }
}
