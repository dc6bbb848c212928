//! The board's error type.

use crate::block::BlockError;
use crate::entry::EntryError;
use crate::merkle::MerkleError;
use crate::note::NoteError;

/// Why a board operation failed. Bad input (a bad entry, a size beyond the
/// tree, a bad cosignature) is reported before anything is written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BoardError {
    /// The configuration is unusable (bad origin, wrong key type, a database
    /// that belongs to another key, …).
    #[error("invalid board configuration: {0}")]
    Config(String),
    /// The database URL is neither `sqlite:` nor `postgres:`/`postgresql:`.
    #[error("unsupported database URL (expected sqlite:… or postgres://…)")]
    UnsupportedUrl,
    /// The caller of [`crate::Board::open_reading`] refused a stored entry;
    /// the board was not opened.
    #[error("a stored entry was refused on open: {0}")]
    Refused(String),
    /// The database reported an error.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// Applying the schema migrations failed.
    #[error("schema migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A group commit that this append was part of failed; nothing of the
    /// batch is acknowledged. (If the failure hit the commit itself, the
    /// outcome is unknown; the board reloads its state from the database.)
    #[error("append failed: {0}")]
    CommitFailed(String),
    /// The entry is invalid.
    #[error(transparent)]
    Entry(#[from] EntryError),
    /// More entries or bytes in one `append_all` than one transaction may hold.
    #[error("{entries} entries / {bytes} bytes exceed the batch limits")]
    BatchTooLarge {
        /// Entries in the call.
        entries: usize,
        /// Payload bytes in the call.
        bytes: usize,
    },
    /// An index is not below the current tree size.
    #[error("index {index} is not below the tree size {size}")]
    IndexOutOfRange {
        /// The index asked for.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A size is larger than the tree (or an old size above a new one).
    #[error("size {size} is larger than the tree ({tree_size} entries)")]
    SizeBeyondTree {
        /// The size asked for.
        size: u64,
        /// The current tree size (or the new size of a consistency proof).
        tree_size: u64,
    },
    /// A Merkle computation failed (a stored node is missing).
    #[error("merkle: {0}")]
    Merkle(#[from] MerkleError),
    /// A note or checkpoint could not be made or parsed.
    #[error("note: {0}")]
    Note(#[from] NoteError),
    /// A block header could not be encoded.
    #[error("block: {0}")]
    Block(#[from] BlockError),
    /// No checkpoint of this size was ever published.
    #[error("no checkpoint of size {size} was published")]
    UnknownCheckpoint {
        /// The size asked for.
        size: u64,
    },
    /// A cosignature line is not one well-formed signature line.
    #[error("malformed cosignature: {0}")]
    MalformedCosignature(String),
    /// A cosignature from a key that is not a configured witness.
    #[error("cosignature from unknown witness {name}+{key_id:08x}")]
    UnknownWitness {
        /// Key name on the line.
        name: String,
        /// Key ID on the line.
        key_id: u32,
    },
    /// A cosignature from a configured witness that does not verify.
    #[error("invalid cosignature from witness {name}: {reason}")]
    BadCosignature {
        /// The witness.
        name: String,
        /// Why it failed.
        reason: String,
    },
    /// The stored log differs from what its own hashes, blocks and signed
    /// checkpoints say. The first `first_bad_index` entries (and the tree over
    /// them) are intact; from there on the data cannot be trusted.
    #[error("board storage tampered with or corrupt from entry {first_bad_index}: {detail}")]
    Tampered {
        /// Length of the intact prefix of the log.
        first_bad_index: u64,
        /// What was found.
        detail: String,
    },
    /// A stored block (header, link, checkpoint or cosignature) is wrong while
    /// the entries and tree are intact.
    #[error("board storage tampered with or corrupt at block {number}: {detail}")]
    TamperedBlock {
        /// Number of the first bad block.
        number: u64,
        /// What was found.
        detail: String,
    },
    /// A stored value is out of range (a negative index, a hash that is not
    /// 32 bytes): the database was edited or is corrupt.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The tamper check that ran after the board opened (`BoardConfig::check_in_background`)
    /// found a problem, or could not complete: the board refuses every further append.
    #[error("the board refuses writes: its tamper check failed: {0}")]
    TamperCheckFailed(String),
    /// A stored snapshot was refused as not authentic (edited, or not written with this board
    /// key for this log).
    #[error("stored snapshot refused: {0}")]
    BadSnapshot(String),
    /// An authentic snapshot (written by this board key for this log) does not fit the stored
    /// log: it describes more entries than the log holds, or a tree the log's does not extend.
    /// Entries the board wrote were removed or changed.
    #[error("the stored log contradicts the board's own snapshot of {size} entries: {detail}")]
    SnapshotContradicted {
        /// The snapshot's tree size.
        size: u64,
        /// What does not fit.
        detail: String,
    },
    /// Entries read back do not match the tree verified when the board opened.
    #[error("entries {start}..{end} do not match the tree verified at open: {detail}")]
    Unverified {
        /// First entry of the range.
        start: u64,
        /// One past the last.
        end: u64,
        /// What did not match.
        detail: String,
    },
    /// Another process holds this log's writer lock (PostgreSQL).
    #[error("another board process is writing log {origin:?}")]
    Busy {
        /// The log's origin.
        origin: String,
    },
    /// A node of a shared log (`BoardConfig::shared`) may not write: a single-node writer
    /// holds the log's writer lock exclusively. Nothing was written.
    #[error(
        "a single-node writer holds log {origin:?}: the nodes that share it write nothing \
         while it runs"
    )]
    HeldBySingleWriter {
        /// The log's origin.
        origin: String,
    },
    /// A single-node writer may not open a log that several nodes share: one of them holds
    /// the log's sealer lease (it was live a moment ago).
    #[error(
        "log {origin:?} is shared by several nodes (node {holder:?} holds its sealer lease): \
         stop them, or run this one with them as a node"
    )]
    SharedByNodes {
        /// The log's origin.
        origin: String,
        /// The node that holds the sealer lease.
        holder: String,
    },
    /// A read from the read replica asked for what the replica has not replayed yet (the
    /// primary has it): retry shortly. Never answered with older data in its place.
    #[error(
        "not yet on this read replica ({wanted} asked for, the replica holds {replica}); \
         retry shortly"
    )]
    NotReplicated {
        /// The size, index + 1 or block number + 1 asked for.
        wanted: u64,
        /// What the replica holds of it: its tree size, or its number of blocks.
        replica: u64,
    },
    /// The board was closed, or its writer task stopped.
    #[error("the board is closed")]
    Closed,
}

impl From<sqlx::Error> for BoardError {
    /// A database error; a closed pool means a closed board.
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolClosed => BoardError::Closed,
            e => BoardError::Database(e),
        }
    }
}
