//! The psephos bulletin board.
//!
//! The board is the election's public, append-only record: every entry (the
//! election definition, ceremony messages, ballots, tally, result) is a leaf of
//! one Merkle tree, and the board publishes signed *checkpoints* of that tree
//! that independent *witnesses* check and cosign. Voters keep an inclusion
//! proof against a checkpoint as their receipt; observers demand consistency
//! proofs between checkpoints, so a board that rewrites or forks history is
//! caught.
//!
//! The pure, storage-free parts, which verifiers outside the board run too:
//!
//! - [`merkle`]: RFC 9162 tree hashing, provers over a stored-hash reader, and
//!   the inclusion and consistency proof verifiers;
//! - [`note`]: the C2SP signed-note text format, key types, verifier keys and
//!   the board's note signer;
//! - [`checkpoint`]: `tlog-checkpoint` bodies, signed checkpoints and
//!   `cosignature/v1` witness cosignatures with a quorum check;
//! - [`entry`]: typed entries and their canonical bytes (the Merkle leaves);
//! - [`block`]: block headers, their canonical encoding and chaining;
//! - [`receipt`]: the voter's receipt (an inclusion proof against a signed
//!   checkpoint) and its verification, shared with the browser.
//!
//! The durable board itself, `Board` in `store` (the default `store` feature;
//! without it the crate builds for wasm32 and does no I/O), keeps one election's log
//! in SQLite or PostgreSQL (sqlx, tokio): sequencing with group commit,
//! integration into stored node hashes, publishing of signed checkpoints in
//! blocks, receipts, witness cosignatures and tamper detection. One database
//! holds the logs of every election of a service (each table keyed by a log
//! id); `election_key` derives each election's board key and origin from the
//! service's one board key.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod block;
pub mod checkpoint;
#[cfg(feature = "store")]
pub mod election_key;
pub mod entry;
#[cfg(feature = "store")]
mod error;
pub mod merkle;
pub mod note;
pub mod receipt;
#[cfg(feature = "store")]
pub mod store;

pub use block::{Block, BlockHeader};
pub use entry::{Entry, EntryKind};
#[cfg(feature = "store")]
pub use error::BoardError;
pub use receipt::{ReceiptError, SealedReceipt};
#[cfg(feature = "store")]
pub use store::{
    AppendReceipt, Board, BoardConfig, CheckReport, CommitGroup, CommitGroupStats,
    PublishedCheckpoint, ReadReplica, Sequencing, SharedReadPool, Snapshot, TamperCheck,
    MAX_VERIFIED_PAGE,
};
