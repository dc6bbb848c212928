//! Receipts and checkpoints, checked in the browser (`docs/protocol.md` §10).
//!
//! A cast ballot's receipt is an RFC 9162 inclusion proof against one signed checkpoint. The
//! browser recomputes the ballot's Merkle leaf from the ballot it encrypted itself — not from
//! anything the server says — checks the board's signature on the checkpoint, and checks the
//! proof against the checkpoint's size *and* root (a proof alone does not pin the tree size).
//! Witness cosignatures are verified against the witness keys the page was given and reported;
//! other signature lines are listed by name only, as unverified.
//!
//! The receipt is the board's own type ([`SealedReceipt`], as `GET /api/v1/elections/{election}/receipts/{index}`
//! serves it) and so is its check ([`SealedReceipt::verify`]); this module adds only what the
//! page shows.

use psephos_board::checkpoint::SignedCheckpoint;
use psephos_board::merkle::Hash;
use psephos_board::note::{SignatureType, VerifierKey};
use psephos_board::{Entry, EntryKind, SealedReceipt};
use psephos_core::ballot::EncryptedBallot;
use psephos_core::encoding::Canonical;
use serde::Serialize;

use crate::election::BoardIdentity;
use crate::error::Error;

/// One signature line of a checkpoint, as shown to a person.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Signer {
    pub name: String,
    pub key_id: String,
    /// `board`, `witness` (a cosignature by one of the given witness keys, verified), or
    /// `unknown` (a key the page was not given: not verified).
    pub role: &'static str,
    /// Cosignature time (seconds since 1970), for verified witness cosignatures.
    pub timestamp: Option<u64>,
}

/// A checkpoint whose board signature verified.
#[derive(Debug, Serialize)]
pub struct CheckpointView {
    pub origin: String,
    pub size: u64,
    pub root: String,
    pub signers: Vec<Signer>,
    /// Verified cosignatures by distinct given witness keys.
    pub witnesses: usize,
}

/// The verdict on a receipt: every check passed (an error otherwise).
#[derive(Debug, Serialize)]
pub struct ReceiptView {
    pub index: u64,
    pub block_number: u64,
    pub leaf_hash: String,
    pub checkpoint: CheckpointView,
}

/// Parses witness verifier keys (`name+id+base64` lines).
pub fn parse_witness_keys(keys: &[String]) -> Result<Vec<VerifierKey>, Error> {
    keys.iter()
        .filter(|k| !k.trim().is_empty())
        .map(|k| {
            let key: VerifierKey = k.trim().parse().map_err(|e| Error::Malformed {
                what: "witness key",
                detail: format!("{e}"),
            })?;
            if key.signature_type() != SignatureType::CosignatureV1 {
                return Err(Error::Malformed {
                    what: "witness key",
                    detail: format!("{} is not a cosignature/v1 key", key.name()),
                });
            }
            Ok(key)
        })
        .collect()
}

/// Opens a signed checkpoint note of the board: the board's signature must verify; the
/// cosignatures of `witnesses` are verified (a bad one rejects the checkpoint).
pub fn open_checkpoint(
    note: &str,
    board: &BoardIdentity,
    witnesses: &[VerifierKey],
) -> Result<CheckpointView, Error> {
    let signed = SignedCheckpoint::open(note.as_bytes(), &board.origin, &board.key, witnesses)
        .map_err(|e| Error::Verify(format!("checkpoint: {e}")))?;
    Ok(checkpoint_view(&signed, board, witnesses))
}

/// What the page shows of an opened checkpoint: every signature line with its role.
fn checkpoint_view(
    signed: &SignedCheckpoint,
    board: &BoardIdentity,
    witnesses: &[VerifierKey],
) -> CheckpointView {
    let mut signers = Vec::new();
    for line in signed.note().signatures() {
        let verified = signed
            .verified_by()
            .iter()
            .find(|v| v.key.name() == line.name() && v.key.key_id() == line.key_id());
        let (role, timestamp) = match verified {
            Some(v) if v.key == board.key => ("board", None),
            Some(v) => ("witness", v.timestamp),
            None => ("unknown", None),
        };
        signers.push(Signer {
            name: line.name().to_owned(),
            key_id: format!("{:08x}", line.key_id()),
            role,
            timestamp,
        });
    }
    let witness_count = signed.check_quorum(witnesses, 0).unwrap_or(0);
    let cp = signed.checkpoint();
    CheckpointView {
        origin: cp.origin.clone(),
        size: cp.size,
        root: cp.root.to_string(),
        signers,
        witnesses: witness_count,
    }
}

/// The Merkle leaf of a cast ballot: the board entry of kind `ballot` holding its canonical
/// bytes.
pub fn ballot_leaf(ballot: &EncryptedBallot) -> Result<Hash, Error> {
    Entry::new(EntryKind::Ballot, ballot.to_canonical_bytes())
        .and_then(|e| e.leaf_hash())
        .map_err(|e| Error::Verify(format!("ballot entry: {e}")))
}

/// Checks the receipt of `ballot`: the leaf is this ballot's, the checkpoint is signed by the
/// board, and the inclusion proof leads from the leaf at `receipt.index` to the checkpoint's
/// root at the checkpoint's size.
pub fn verify_receipt(
    ballot: &EncryptedBallot,
    receipt: &SealedReceipt,
    board: &BoardIdentity,
    witnesses: &[VerifierKey],
) -> Result<ReceiptView, Error> {
    verify_leaf(&ballot_leaf(ballot)?, receipt, board, witnesses)
}

/// What the check-my-ballot page shows for a ballot found on the board.
#[derive(Debug, Serialize)]
pub struct BoardBallotView {
    pub tracking_code: String,
    pub receipt: ReceiptView,
}

/// Checks that the board entry served at `index` (`GET /api/v1/elections/{election}/board/entries/{index}`) is a
/// ballot, and that the receipt proves exactly this entry at this index.
pub fn verify_entry_receipt(
    entry_json: &str,
    receipt: &SealedReceipt,
    board: &BoardIdentity,
    witnesses: &[VerifierKey],
) -> Result<BoardBallotView, Error> {
    use psephos_api::board::EntryView;
    let view: EntryView = serde_json::from_str(entry_json).map_err(Error::json("board entry"))?;
    if view.index != receipt.index {
        return Err(Error::Verify(format!(
            "the receipt is for index {}, the entry is at {}",
            receipt.index, view.index
        )));
    }
    if view.entry.kind != EntryKind::Ballot {
        return Err(Error::Verify(format!(
            "board entry {} is a {} entry, not a ballot",
            view.index, view.entry.kind
        )));
    }
    let ballot = EncryptedBallot::from_canonical_bytes(&view.entry.payload).map_err(|e| {
        Error::Malformed {
            what: "ballot entry",
            detail: e.to_string(),
        }
    })?;
    Ok(BoardBallotView {
        tracking_code: psephos_core::ballot::TrackingCode::of(&ballot.hash()).to_string(),
        receipt: verify_receipt(&ballot, receipt, board, witnesses)?,
    })
}

fn verify_leaf(
    leaf: &Hash,
    receipt: &SealedReceipt,
    board: &BoardIdentity,
    witnesses: &[VerifierKey],
) -> Result<ReceiptView, Error> {
    let signed = receipt
        .verify(leaf, &board.origin, &board.key, witnesses)
        .map_err(|e| Error::Verify(e.to_string()))?;
    Ok(ReceiptView {
        index: receipt.index,
        block_number: receipt.block_number,
        leaf_hash: leaf.to_string(),
        checkpoint: checkpoint_view(&signed, board, witnesses),
    })
}
