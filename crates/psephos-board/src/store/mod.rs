//! The durable board: one election's log in a database that may hold the logs of many
//! elections (every row is keyed by its log's id; a [`Board`] handle reads and writes one log).
//!
//! As in transparency logs (tessera), three steps are kept apart:
//!
//! 1. **Sequencing** — [`Board::append`] durably assigns the next index. All
//!    appends go to one writer task that commits whatever is queued in one
//!    transaction (group commit: many writers share one fsync); `append`
//!    returns only after that commit, so an acknowledged entry survives a
//!    crash. The boards of one SQLite database may share one commit
//!    ([`CommitGroup`]): each writer prepares its own batch, and the group
//!    commits every board's queued batch in one transaction, so that many
//!    busy elections cost one `fsync` per round rather than one each.
//! 2. **Integration** — the Merkle node hashes the new leaves complete are
//!    stored (`(level, index) → hash`, see [`crate::merkle`]). The writer does
//!    this in the sequencing transaction from an in-memory frontier, so proofs
//!    are O(log n) indexed reads and never wait; on open, entries that are
//!    sequenced but not integrated (left by another sequencer) are integrated
//!    first.
//! 3. **Publishing** — every `seal_interval`, if the tree grew, the writer
//!    signs a C2SP checkpoint with the board key and seals it in a block
//!    ([`crate::block`]) chained to the previous one. Witnesses' cosignatures
//!    are verified and stored beside the checkpoint and served with it.
//!
//! Receipts: `append` answers with the index and leaf hash at once;
//! [`Board::receipt`] (poll) or [`Board::wait_sealed`] (wait) gives the
//! inclusion proof against the first signed checkpoint that covers it.
//!
//! Tamper detection: [`Board::open`] (unless told not to) and [`Board::check`]
//! rebuild the tree from the stored entries, compare every stored node hash,
//! the dense indices, every block header hash and link, and every
//! checkpoint's signature and root, streaming in pages. A problem is named by
//! the length of the intact prefix of the log (`first_bad_index`) or by the
//! number of the first bad block. With [`BoardConfig::check_in_background`]
//! the open checks only what the writer builds on — the latest signed
//! checkpoint, the stored right edge of the tree under it and the entries
//! after it — and the full check runs in a task after the open; if it fails,
//! every later append is refused ([`Board::tamper_check`]). Entries read with
//! [`Board::verified_entries`] are checked against the tree verified at open,
//! whatever the background check has reached.
//!
//! Snapshots: a caller may keep its own state beside the log
//! ([`Board::save_snapshot`], [`Board::snapshot`]), authenticated with a key
//! derived from the board key and bound to a tree size and root.
//!
//! Read replica: with [`BoardConfig::read_replica`] (PostgreSQL only), the handle
//! [`Board::for_readers`] serves the public reads from a streaming replica, each bounded by what
//! the replica holds, so that a lagging replica answers "not yet", never a wrong or older answer
//! in place of the one asked for ([`replica`]).
//!
//! Engines: SQLite (`sqlite://path?mode=rwc`; WAL, `synchronous=FULL`) and
//! PostgreSQL (`postgres://…`). One writer per log: on PostgreSQL an advisory
//! lock enforces it; on SQLite the file's single writer lock and the primary
//! keys make a second writer's conflicting commit fail.

mod check;
mod db;
mod frontier;
mod group;
mod logs;
mod replica;
mod shared;
mod snapshot;
mod writer;

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, oneshot, watch};

use crate::block::Block;
use crate::entry::{Entry, EntryKind};
use crate::error::BoardError;
use crate::merkle::{
    consistency_proof, consistency_proof_nodes, inclusion_proof, inclusion_proof_nodes, tree_root,
    tree_root_nodes, ConsistencyProof, Hash, InclusionProof, NodeId,
};
use crate::note::{Note, NoteSigner, SignatureType, VerifierKey, MAX_NOTE_SIZE};
use crate::receipt::SealedReceipt;

pub use check::{CheckReport, Problem, ProblemLocation};
use db::Pool;
pub use group::{CommitGroup, CommitGroupStats};
pub use logs::{remove_empty_log, stored_logs, StoredLog};
pub use replica::ReadReplica;
pub use shared::Sequencing;
pub use snapshot::Snapshot;
use writer::{Command, Sealed, Writer};

/// Most entries one [`Board::entries`] call returns.
pub const MAX_ENTRIES_PAGE: u64 = 1000;

/// Most entries one [`Board::verified_entries`] call returns.
pub const MAX_VERIFIED_PAGE: u64 = 4096;

/// Most blocks one [`Board::blocks`] call returns.
pub const MAX_BLOCKS_PAGE: u64 = 1000;

/// Longest cosignature line accepted, in bytes.
const MAX_COSIGNATURE_LINE: usize = 1024;

/// How a board is run. Make one with [`BoardConfig::new`], then adjust the
/// public fields.
#[non_exhaustive]
pub struct BoardConfig {
    /// The log's identity: the checkpoint origin line and the board key's
    /// name, e.g. `board.example.org/municipal-2026`.
    pub origin: String,
    /// The board's Ed25519 signing key (zeroized on drop, never printed).
    pub signing_key: SigningKey,
    /// The witnesses whose cosignatures are accepted (`cosignature/v1` keys).
    pub witnesses: Vec<VerifierKey>,
    /// How often a block is sealed when there is something new (default 1 s).
    pub seal_interval: Duration,
    /// Most entries committed in one transaction (default 4096).
    pub max_batch_entries: usize,
    /// Most payload bytes committed in one transaction (default 16 MiB).
    pub max_batch_bytes: usize,
    /// Appends that may wait for the writer before `append` itself waits
    /// (default 65536).
    pub queue_capacity: usize,
    /// Whether [`Board::open`] runs the full tamper check (default true;
    /// linear in the log's size).
    pub verify_on_open: bool,
    /// With `verify_on_open`: check at open only the latest signed
    /// checkpoint, the tree's right edge under it and the entries after it,
    /// and run the full check in a background task after the open (once the
    /// caller calls [`Board::start_tamper_check`], 30 s after the open at the
    /// latest), refusing appends if it fails (default false: the full check
    /// before the open returns). Not for [`Board::open_reading`], which reads
    /// every entry.
    pub check_in_background: bool,
    /// Connections in the read pool (default 4).
    pub read_connections: u32,
    /// Several nodes share this log (PostgreSQL only; refused on SQLite): appends are
    /// sequenced in the database ([`Board::sequence`]), and blocks are sealed by whichever
    /// node holds the log's sealer lease (default false: this process is the log's only
    /// writer, and a second is refused).
    pub shared: bool,
    /// With `shared`: how long the sealer lease lasts unless renewed, so how long a dead or
    /// stalled sealer keeps the others from sealing (default 3 s; renewed every
    /// quarter of it, 250 ms at most).
    pub sealer_lease: Duration,
    /// With `shared`: this node's name in the sealer lease (default: host, process id and a
    /// random part).
    pub node_name: String,
    /// A PostgreSQL streaming replica of the database that [`Board::for_readers`] reads from
    /// (default none: every read from the database itself). Refused on SQLite.
    pub read_replica: Option<ReadReplica>,
    /// A read pool shared with the other boards of the same database (default none: the board
    /// opens its own, of `read_connections`). The board does not close a shared pool.
    pub read_pool: Option<SharedReadPool>,
    /// The commit group of the board's SQLite database (default none: the writer commits its
    /// batches on its own connection). With one, the writer prepares its batches as before and
    /// the group commits them with the other boards' in one transaction ([`CommitGroup`]).
    /// Refused on PostgreSQL and for a group of another file; the board does not close it.
    pub commit_group: Option<CommitGroup>,
}

/// One read pool for every board of one database: a service hosting many elections opens one
/// instead of one per election's board (an idle election then costs its writer connection,
/// not a pool of its own). Made for the same URL and the same `shared` setting as the boards
/// that use it ([`BoardConfig::read_pool`]); closed by its owner after the boards.
#[derive(Debug, Clone)]
pub struct SharedReadPool {
    pool: Pool,
}

impl SharedReadPool {
    /// A pool of `connections` to the database at `url` (`shared`: the boards are shared by
    /// several nodes, [`BoardConfig::shared`]). Only the pool is made: the boards' tables are
    /// created by the first board opened.
    pub async fn connect(url: &str, connections: u32, shared: bool) -> Result<Self, BoardError> {
        Ok(SharedReadPool {
            pool: db::read_pool(url, connections, shared).await?,
        })
    }

    /// Closes the pool's connections (after every board that reads from it closed).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl BoardConfig {
    /// A configuration with the defaults.
    pub fn new(origin: impl Into<String>, signing_key: SigningKey) -> Self {
        BoardConfig {
            origin: origin.into(),
            signing_key,
            witnesses: Vec::new(),
            seal_interval: Duration::from_secs(1),
            max_batch_entries: 4096,
            max_batch_bytes: 16 << 20,
            queue_capacity: 65536,
            verify_on_open: true,
            check_in_background: false,
            read_connections: 4,
            shared: false,
            sealer_lease: Duration::from_secs(3),
            node_name: default_node_name(),
            read_replica: None,
            read_pool: None,
            commit_group: None,
        }
    }
}

/// A node name that differs from the others': the host's name, the process id and the
/// start time in nanoseconds.
fn default_node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!("{host}/{}/{nanos:08x}", std::process::id())
}

impl fmt::Debug for BoardConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoardConfig")
            .field("origin", &self.origin)
            .field("signing_key", &"<secret>")
            .field("witnesses", &self.witnesses)
            .field("seal_interval", &self.seal_interval)
            .field("max_batch_entries", &self.max_batch_entries)
            .field("max_batch_bytes", &self.max_batch_bytes)
            .field("queue_capacity", &self.queue_capacity)
            .field("verify_on_open", &self.verify_on_open)
            .field("check_in_background", &self.check_in_background)
            .field("read_connections", &self.read_connections)
            .field("shared", &self.shared)
            .field("sealer_lease", &self.sealer_lease)
            .field("node_name", &self.node_name)
            .field("read_replica", &self.read_replica.is_some())
            .field("commit_group", &self.commit_group.is_some())
            .finish()
    }
}

/// What `append` returns: the entry's index, durably assigned, and its leaf
/// hash. The proof comes once the entry is sealed ([`SealedReceipt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppendReceipt {
    /// Position in the log, from 0.
    pub index: u64,
    /// `leaf_hash(canonical entry bytes)`.
    pub leaf_hash: Hash,
}

/// A published checkpoint with its cosignatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedCheckpoint {
    /// Number of the block that holds it.
    pub block_number: u64,
    /// Tree size.
    pub size: u64,
    /// Tree root.
    pub root: Hash,
    /// The signed note: the board's signature line followed by one line per
    /// configured witness that cosigned it (sorted by name).
    pub note: String,
    /// How many cosignatures `note` carries.
    pub cosignatures: usize,
}

/// Where the tamper check of the stored log stands ([`Board::tamper_check`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TamperCheck {
    /// The log was opened without the check (`verify_on_open` false).
    NotRun,
    /// The full check of the first `size` entries (the log as it was opened)
    /// is running in the background.
    Running {
        /// The size checked.
        size: u64,
    },
    /// The first `size` entries, the tree over them, the blocks and the
    /// cosignatures verified.
    Passed {
        /// The size checked.
        size: u64,
    },
    /// The background check found a problem, or could not complete: appends
    /// are refused.
    Failed {
        /// The size checked.
        size: u64,
        /// What was found.
        error: String,
    },
}

/// A handle to one election's board. Cheap to clone; all clones share the
/// writer task and the read pool. Must be used inside a tokio runtime.
#[derive(Clone)]
pub struct Board {
    inner: Arc<Inner>,
    /// This handle's public reads come from the read replica ([`Board::for_readers`]).
    on_replica: bool,
}

struct Inner {
    pool: Pool,
    /// The pool is this board's own (not [`BoardConfig::read_pool`]): closed with the board.
    owns_pool: bool,
    /// The read replica's pool ([`BoardConfig::read_replica`]).
    replica: Option<Pool>,
    log: i64,
    origin: String,
    verifier: VerifierKey,
    witnesses: Vec<VerifierKey>,
    max_batch_entries: usize,
    max_batch_bytes: usize,
    commands: mpsc::Sender<Command>,
    size: watch::Receiver<u64>,
    size_tx: Arc<watch::Sender<u64>>,
    /// Several nodes share the log: the sequencing connection.
    sequencer: Option<shared::Sequencer>,
    /// Whether this node holds the sealer lease (always true for a log of one writer).
    sealer: watch::Receiver<bool>,
    node_name: String,
    sealed: watch::Receiver<Sealed>,
    writer: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
    last_error: Arc<Mutex<Option<Arc<BoardError>>>>,
    commits: Arc<AtomicU64>,
    /// Starts the background tamper check ([`Board::start_tamper_check`]).
    go: Arc<tokio::sync::Notify>,
    /// The tree verified at open: its size and root ([`Board::verified_entries`]).
    anchor: (u64, Hash),
    /// The key that authenticates snapshots (derived from the board key).
    snapshot_key: Arc<zeroize::Zeroizing<[u8; 32]>>,
    tamper: watch::Receiver<TamperCheck>,
}

impl fmt::Debug for Board {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Board")
            .field("origin", &self.inner.origin)
            .field("size", &self.size())
            .finish_non_exhaustive()
    }
}

impl Board {
    /// Opens (creating if needed) the log named by `config.origin` in the
    /// database at `url` (`sqlite://path?mode=rwc` or `postgres://…`):
    /// applies migrations, integrates any unintegrated entries, runs the
    /// tamper check (if `verify_on_open`) and starts the writer task.
    ///
    /// Fails with [`BoardError::Tampered`] / [`BoardError::TamperedBlock`]
    /// if the stored log does not verify, and with [`BoardError::Config`] if
    /// the log was created with another board key.
    pub async fn open(url: &str, config: BoardConfig) -> Result<Board, BoardError> {
        Self::open_with(url, config, None).await
    }

    /// Opens the log like [`Board::open`] and hands every stored entry, in
    /// order and in pages (`visit(index of the page's first entry, entries)`),
    /// to `visit` as the open-time tamper check reads it — after the page's
    /// entries and the stored nodes over them verified — so that a caller who
    /// must read the whole log at start (the election service rebuilding its
    /// state) reads it once. Without the tamper check (`verify_on_open`
    /// false) the entries are read for `visit` alone. An error from `visit`
    /// stops the open with [`BoardError::Refused`].
    pub async fn open_reading(
        url: &str,
        config: BoardConfig,
        mut visit: impl FnMut(u64, Vec<Entry>) -> Result<(), String> + Send,
    ) -> Result<Board, BoardError> {
        Self::open_with(url, config, Some(&mut visit)).await
    }

    async fn open_with(
        url: &str,
        config: BoardConfig,
        visit: Option<check::Visitor<'_>>,
    ) -> Result<Board, BoardError> {
        let signer = NoteSigner::new(&config.origin, config.signing_key.clone())
            .map_err(|e| BoardError::Config(format!("origin {:?}: {e}", config.origin)))?;
        if config.origin.contains('\n') {
            return Err(BoardError::Config("origin must be one line".to_owned()));
        }
        if let Some(w) = config
            .witnesses
            .iter()
            .find(|w| w.signature_type() != SignatureType::CosignatureV1)
        {
            return Err(BoardError::Config(format!(
                "witness key {w} is not a cosignature/v1 key"
            )));
        }
        if config.max_batch_entries == 0
            || config.max_batch_bytes == 0
            || config.queue_capacity == 0
        {
            return Err(BoardError::Config(
                "batch limits and queue capacity must be positive".to_owned(),
            ));
        }
        let verifier = signer.verifier_key().clone();
        let snapshot_key = Arc::new(snapshot::derive_key(&config.signing_key));
        if config.read_replica.is_some() && db::Engine::of(url)? != db::Engine::Postgres {
            return Err(BoardError::Config(
                "a read replica needs the board in PostgreSQL (postgres://…): SQLite has no \
                 streaming replicas"
                    .to_owned(),
            ));
        }
        if let Some(group) = &config.commit_group {
            if db::Engine::of(url)? != db::Engine::Sqlite {
                return Err(BoardError::Config(
                    "a commit group is for boards in SQLite: on PostgreSQL each board commits on \
                     its own connection"
                        .to_owned(),
                ));
            }
            if !group.serves(url) {
                return Err(BoardError::Config(format!(
                    "the commit group given for log {:?} is another database's",
                    config.origin
                )));
            }
        }
        let owns_pool = config.read_pool.is_none();
        let (mut conn, pool) = db::connect(
            url,
            config.read_connections,
            config.shared,
            config.read_pool.as_ref().map(|p| p.pool.clone()),
        )
        .await?;
        let close_pool = |pool: Pool| async move {
            if owns_pool {
                pool.close().await;
            }
        };
        let prepared = Self::prepare(&mut conn, &pool, &config, &verifier, visit).await;
        let (log, state, checked) = match prepared {
            Ok(p) => p,
            Err(e) => {
                // Close gracefully, so that a PostgreSQL writer lock is
                // released before the caller retries.
                let _ = conn.close().await;
                close_pool(pool).await;
                return Err(e);
            }
        };
        if let Some(replica) = &config.read_replica {
            if let Err(e) = replica
                .check_log(&config.origin, log, &verifier.to_string())
                .await
            {
                let _ = conn.close().await;
                close_pool(pool).await;
                return Err(e);
            }
        }
        let anchor = (state.frontier.size(), state.frontier.root()?);
        let last_block = state.sealed().block_number;
        let (tamper_tx, tamper) = watch::channel(checked.clone());
        let (commands, rx) = mpsc::channel(config.queue_capacity);
        let (size_tx, size) = watch::channel(state.frontier.size());
        let size_tx = Arc::new(size_tx);
        let (sealer_tx, sealer) = watch::channel(!config.shared);
        let sequencer = if config.shared {
            match shared::Sequencer::connect(db::pg_options(url)?, log, &config.origin).await {
                Ok(s) => Some(s),
                Err(e) => {
                    let _ = conn.close().await;
                    close_pool(pool).await;
                    return Err(e);
                }
            }
        } else {
            None
        };
        let role = config.shared.then(|| writer::SharedRole {
            holder: config.node_name.clone(),
            lease: config.sealer_lease.max(Duration::from_millis(100)),
            sealer_tx,
            last_seal: tokio::time::Instant::now(),
        });
        let (sealed_tx, sealed) = watch::channel(state.sealed());
        let last_error = Arc::new(Mutex::new(None));
        let commits = Arc::new(AtomicU64::new(0));
        let writer = Writer {
            shared: role,
            conn,
            pool: pool.clone(),
            log,
            origin: config.origin.clone(),
            signer,
            state,
            stale: false,
            rx,
            size_tx: size_tx.clone(),
            sealed_tx,
            seal_interval: config.seal_interval.max(Duration::from_millis(1)),
            max_batch_entries: config.max_batch_entries,
            max_batch_bytes: config.max_batch_bytes,
            last_error: last_error.clone(),
            commits: commits.clone(),
            group: config.commit_group.clone(),
            tamper: tamper.clone(),
            snapshot_key: snapshot_key.clone(),
        };
        let handle = tokio::spawn(writer.run());
        let go = Arc::new(tokio::sync::Notify::new());
        if let TamperCheck::Running { size } = checked {
            tokio::spawn(background_check(
                go.clone(),
                pool.clone(),
                log,
                config.origin.clone(),
                verifier.clone(),
                config.witnesses.clone(),
                size,
                last_block,
                tamper_tx,
            ));
        }
        Ok(Board {
            on_replica: false,
            inner: Arc::new(Inner {
                pool,
                owns_pool,
                replica: config.read_replica.map(|r| Pool::Postgres(r.pool)),
                log,
                origin: config.origin,
                verifier,
                witnesses: config.witnesses,
                max_batch_entries: config.max_batch_entries,
                max_batch_bytes: config.max_batch_bytes,
                commands,
                size,
                size_tx,
                sequencer,
                sealer,
                node_name: config.node_name,
                sealed,
                writer: tokio::sync::Mutex::new(Some(handle)),
                last_error,
                commits,
                go,
                anchor,
                snapshot_key,
                tamper,
            }),
        })
    }

    /// Finds or creates the log, takes its writer lock, loads (and
    /// recovers) the writer's state and runs the tamper check, or its quick
    /// part, leaving the rest to the background (`Running`).
    async fn prepare(
        conn: &mut db::Conn,
        pool: &Pool,
        config: &BoardConfig,
        verifier: &VerifierKey,
        visit: Option<check::Visitor<'_>>,
    ) -> Result<(i64, writer::State, TamperCheck), BoardError> {
        let (log, stored_key) = conn.log(&config.origin, &verifier.to_string()).await?;
        if stored_key != verifier.to_string() {
            return Err(BoardError::Config(format!(
                "log {:?} was created with board key {stored_key}, not {verifier}",
                config.origin
            )));
        }
        let locked = if config.shared {
            conn.try_lock_shared(log).await?
        } else {
            conn.try_lock(log).await?
        };
        if !locked {
            return Err(BoardError::Busy {
                origin: config.origin.clone(),
            });
        }
        if !config.shared {
            // Nodes that lost the connection of their session lock still hold the sealer
            // lease while they live (`shared`): a single-node writer does not take their log
            // over. Renewing a lease needs the lock this writer now holds, so none is renewed.
            if let Some(holder) = conn.live_sealer(log).await? {
                return Err(BoardError::SharedByNodes {
                    origin: config.origin.clone(),
                    holder,
                });
            }
        }
        let mut state = writer::load_state(pool, conn, log, config.shared).await?;
        if config.verify_on_open {
            let size = if config.shared {
                // Other nodes append meanwhile: check the tree as stored now.
                state.frontier.size()
            } else {
                let entries_end = db::to_u64(pool.entries_end(log).await?, "entry count")?;
                state.frontier.size().max(entries_end)
            };
            if config.check_in_background && visit.is_none() {
                if let Some(verified) =
                    check::quick(pool, log, &config.origin, verifier, size).await?
                {
                    // The writer builds on the verified right edge, never on rows the
                    // background check has not reached.
                    state.frontier = verified.frontier;
                    return Ok((log, state, TamperCheck::Running { size }));
                }
                // Something does not hold: the full check locates it.
            }
            let report = check::run(
                pool,
                log,
                &config.origin,
                verifier,
                &config.witnesses,
                size,
                state.sealed().block_number,
                true,
                visit,
            )
            .await?;
            report.into_result()?;
            return Ok((log, state, TamperCheck::Passed { size }));
        } else if let Some(visit) = visit {
            check::read_all(pool, log, state.frontier.size(), visit).await?;
        }
        Ok((log, state, TamperCheck::NotRun))
    }

    /// The log's id in its database (`board_logs.log_id`): the small integer that leads every
    /// key of the log's rows, so that one database holds the logs of many elections.
    pub fn log_id(&self) -> i64 {
        self.inner.log
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.inner.origin
    }

    /// The board's note verifier key (publish it; checkpoints verify with it).
    pub fn verifier_key(&self) -> &VerifierKey {
        &self.inner.verifier
    }

    /// The configured witnesses.
    pub fn witnesses(&self) -> &[VerifierKey] {
        &self.inner.witnesses
    }

    /// The number of durably appended (and integrated) entries. On a shared log, as this node
    /// last saw it (its own appends, and the others' within a follow tick, 250 ms at most);
    /// reads that ask beyond it look at the database first ([`Board::size_at_least`]).
    pub fn size(&self) -> u64 {
        *self.inner.size.borrow()
    }

    /// The size, and on a shared log, if it is below `wanted`, the size the database has now:
    /// so that a read of what another node appended a moment ago is not refused because this
    /// node has not followed yet.
    pub async fn size_at_least(&self, wanted: u64) -> Result<u64, BoardError> {
        let size = self.size();
        if size >= wanted || self.inner.sequencer.is_none() {
            return Ok(size);
        }
        let stored = db::to_u64(
            self.inner.pool.leaves_end(self.inner.log).await?,
            "tree size",
        )?;
        writer::raise(&self.inner.size_tx, stored);
        Ok(self.size())
    }

    /// The size of the tree verified when the board opened: the entries below it can be read
    /// with [`Board::verified_entries`].
    pub fn verified_size(&self) -> u64 {
        self.inner.anchor.0
    }

    /// The tree size of the latest sealed block (0 before the first).
    pub fn sealed_size(&self) -> u64 {
        self.inner.sealed.borrow().size
    }

    /// The last error of a background seal, if any (a seal that failed is
    /// retried at the next tick), or the failure of the background tamper
    /// check, which comes first.
    pub fn background_error(&self) -> Option<Arc<BoardError>> {
        if let TamperCheck::Failed { error, .. } = &*self.inner.tamper.borrow() {
            return Some(Arc::new(BoardError::TamperCheckFailed(error.clone())));
        }
        self.inner.last_error.lock().ok().and_then(|e| e.clone())
    }

    /// Starts the background tamper check now (after an open with
    /// [`BoardConfig::check_in_background`]), rather than when it would start on its own, 30 s
    /// after the open: what a caller that reads the log at start calls once it is done, so
    /// that the two do not share the cores and the disk. Appends are accepted meanwhile, as
    /// while the check runs.
    pub fn start_tamper_check(&self) {
        self.inner.go.notify_one();
    }

    /// Where the tamper check of the log as opened stands.
    pub fn tamper_check(&self) -> TamperCheck {
        self.inner.tamper.borrow().clone()
    }

    /// Starts the tamper check if it has not started ([`Board::start_tamper_check`]), waits
    /// until it is no longer running, and returns how it ended.
    pub async fn wait_tamper_check(&self) -> TamperCheck {
        self.start_tamper_check();
        let mut rx = self.inner.tamper.clone();
        let ended = rx
            .wait_for(|t| !matches!(t, TamperCheck::Running { .. }))
            .await
            .map(|t| t.clone());
        ended.unwrap_or_else(|_| self.tamper_check())
    }

    /// The most entries and payload bytes one [`Board::append_all`] may carry
    /// ([`BoardConfig::max_batch_entries`], [`BoardConfig::max_batch_bytes`]).
    pub fn batch_limits(&self) -> (usize, usize) {
        (self.inner.max_batch_entries, self.inner.max_batch_bytes)
    }

    /// How many append transactions this handle's writer has committed
    /// (with group commit, usually far fewer than the appends).
    pub fn commits(&self) -> u64 {
        self.inner.commits.load(Ordering::Relaxed)
    }

    /// Whether several nodes share this log ([`BoardConfig::shared`]).
    pub fn is_shared(&self) -> bool {
        self.inner.sequencer.is_some()
    }

    /// Whether this node seals the log now: always for a log of one writer; for a shared log,
    /// while this node holds the sealer lease.
    pub fn is_sealer(&self) -> bool {
        *self.inner.sealer.borrow()
    }

    /// This node's name in a shared log's sealer lease.
    pub fn node_name(&self) -> &str {
        &self.inner.node_name
    }

    /// The node that holds a shared log's sealer lease now (`None`: nobody, or the lease
    /// expired: the next node to look takes it). For a log of one writer, this node.
    pub async fn sealer_holder(&self) -> Result<Option<String>, BoardError> {
        match (&self.inner.sequencer, self.inner.pool.postgres()) {
            (Some(_), Some(pg)) => shared::lease_holder(pg, self.inner.log).await,
            _ => Ok(Some(self.inner.node_name.clone())),
        }
    }

    /// Whether the database answers (a node that lost it is not ready).
    pub async fn ping(&self) -> Result<(), BoardError> {
        self.inner.pool.ping().await
    }

    // -- sequencing --------------------------------------------------------

    /// Sequences a batch on a shared log ([`BoardConfig::shared`]) in one transaction that
    /// holds the log's coordination row: `decide` is given the log's size under the lock and
    /// the entries from `known` up to it (sequenced by other nodes since the caller last
    /// looked), and returns the entries to append there and its own answer. The entries and
    /// the tree nodes they complete are committed together, and only then is this answered.
    /// On an error after `decide` ran, its answer comes back with the error, so the caller can
    /// take back what it applied. See [`shared`](self) for why two nodes cannot interleave.
    pub async fn sequence<T>(
        &self,
        known: Option<u64>,
        decide: impl FnOnce(Sequencing) -> (Vec<Entry>, T) + Send,
    ) -> Result<(Vec<AppendReceipt>, T), (BoardError, Option<T>)> {
        let Some(sequencer) = &self.inner.sequencer else {
            return Err((
                BoardError::Config("this log is not shared by several nodes".to_owned()),
                None,
            ));
        };
        if let TamperCheck::Failed { error, .. } = &*self.inner.tamper.borrow() {
            return Err((BoardError::TamperCheckFailed(error.clone()), None));
        }
        let out = sequencer.sequence(known, decide).await;
        if let Ok((receipts, _)) = &out {
            if let Some(last) = receipts.last() {
                writer::raise(&self.inner.size_tx, last.index + 1);
                self.inner.commits.fetch_add(1, Ordering::Relaxed);
            }
        }
        out
    }

    /// Appends one entry. Returns once it is durably committed, with its index.
    pub async fn append(&self, entry: Entry) -> Result<AppendReceipt, BoardError> {
        let mut receipts = self.append_all(vec![entry]).await?;
        receipts.pop().ok_or(BoardError::Closed)
    }

    /// Appends entries atomically, with consecutive indices, in one
    /// transaction. At most `max_batch_entries` entries and
    /// `max_batch_bytes` payload bytes.
    pub async fn append_all(&self, entries: Vec<Entry>) -> Result<Vec<AppendReceipt>, BoardError> {
        if entries.is_empty() {
            return Ok(Vec::new());
        }
        let bytes: usize = entries.iter().map(|e| e.payload.len()).sum();
        if entries.len() > self.inner.max_batch_entries || bytes > self.inner.max_batch_bytes {
            return Err(BoardError::BatchTooLarge {
                entries: entries.len(),
                bytes,
            });
        }
        if self.is_shared() {
            return self
                .sequence(None, |_| (entries, ()))
                .await
                .map(|(receipts, ())| receipts)
                .map_err(|(e, _)| e);
        }
        let entries = entries
            .into_iter()
            .map(|e| {
                let leaf = e.leaf_hash()?;
                Ok((e, leaf))
            })
            .collect::<Result<Vec<_>, BoardError>>()?;
        let (reply, rx) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Append {
                entries,
                bytes,
                reply,
            })
            .await
            .map_err(|_| BoardError::Closed)?;
        rx.await.map_err(|_| BoardError::Closed)?
    }

    /// The log's durable size, as the database has it. After a failed
    /// commit the writer re-reads its state first (a `COMMIT` that reported
    /// an error may still have been applied), so this tells a caller whether
    /// the entries it was refused are in the log after all. Queued appends
    /// before it are committed first.
    pub async fn refresh(&self) -> Result<u64, BoardError> {
        let (reply, rx) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Refresh { reply })
            .await
            .map_err(|_| BoardError::Closed)?;
        rx.await.map_err(|_| BoardError::Closed)?
    }

    // -- publishing --------------------------------------------------------

    /// Seals a block now if the tree grew since the last one; returns it.
    pub async fn seal_now(&self) -> Result<Option<Block>, BoardError> {
        let (reply, rx) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Seal { reply })
            .await
            .map_err(|_| BoardError::Closed)?;
        rx.await.map_err(|_| BoardError::Closed)?
    }

    /// Verifies a witness's cosignature line (`— <name> <base64>`, C2SP
    /// `cosignature/v1`) over the published checkpoint of tree size `size`
    /// and stores it. Nothing is stored if it does not verify.
    pub async fn add_cosignature(&self, size: u64, line: &str) -> Result<(), BoardError> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        if line.is_empty() || line.contains('\n') {
            return Err(BoardError::MalformedCosignature(
                "expected exactly one signature line".to_owned(),
            ));
        }
        if line.len() > MAX_COSIGNATURE_LINE {
            return Err(BoardError::MalformedCosignature("line too long".to_owned()));
        }
        let size_i = db::to_i64(size).map_err(|_| BoardError::UnknownCheckpoint { size })?;
        let row = self
            .inner
            .pool
            .block_by_size(self.inner.log, size_i)
            .await?
            .ok_or(BoardError::UnknownCheckpoint { size })?;
        let (witness, timestamp) =
            verify_cosignature(&row.checkpoint, line, &self.inner.witnesses)?;
        let (reply, rx) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Cosign {
                tree_size: size_i,
                witness: witness.name().to_owned(),
                key_id: i64::from(witness.key_id()),
                timestamp: db::to_i64(timestamp)?,
                line: line.to_owned(),
                reply,
            })
            .await
            .map_err(|_| BoardError::Closed)?;
        rx.await.map_err(|_| BoardError::Closed)?
    }

    /// Flushes queued appends, seals a last block, stops the writer and
    /// closes the database. Other handles then get [`BoardError::Closed`].
    pub async fn close(&self) -> Result<(), BoardError> {
        let (reply, rx) = oneshot::channel();
        let sent = self
            .inner
            .commands
            .send(Command::Close { reply })
            .await
            .is_ok();
        let result = if sent {
            rx.await.unwrap_or(Ok(()))
        } else {
            Ok(())
        };
        if let Some(handle) = self.inner.writer.lock().await.take() {
            let _ = handle.await;
        }
        if let Some(s) = &self.inner.sequencer {
            s.close().await;
        }
        if self.inner.owns_pool {
            self.inner.pool.close().await;
        }
        result
    }

    // -- reads -------------------------------------------------------------

    /// The handle the public read routes use: its reads (entries, receipts, proofs,
    /// checkpoints, blocks) come from the read replica if one is configured
    /// ([`BoardConfig::read_replica`]), each bounded by what the replica holds, so that a
    /// replica that lags answers [`BoardError::NotReplicated`] (or a receipt that is not sealed
    /// yet) for what it has not replayed, never an older or inconsistent answer. Everything
    /// else (appends, sizes, the tamper check, [`Board::verified_entries`], waiting for a seal)
    /// is the primary's, as on any handle. Without a replica, a plain clone.
    pub fn for_readers(&self) -> Board {
        Board {
            inner: self.inner.clone(),
            on_replica: self.inner.replica.is_some(),
        }
    }

    /// Whether this handle reads from the read replica ([`Board::for_readers`]).
    pub fn reads_from_replica(&self) -> bool {
        self.on_replica
    }

    /// Whether a read replica is configured ([`BoardConfig::read_replica`]).
    pub fn has_read_replica(&self) -> bool {
        self.inner.replica.is_some()
    }

    /// The pool this handle reads from.
    fn reads(&self) -> &Pool {
        match (&self.inner.replica, self.on_replica) {
            (Some(r), true) => r,
            _ => &self.inner.pool,
        }
    }

    /// The tree size this handle's reads may go up to when they want `wanted`: the primary's
    /// (as [`Board::size_at_least`]), or the replica's integrated size as the replica has it.
    async fn readable_size(&self, wanted: u64) -> Result<u64, BoardError> {
        if self.on_replica {
            db::to_u64(self.reads().leaves_end(self.inner.log).await?, "tree size")
        } else {
            self.size_at_least(wanted).await
        }
    }

    /// On the replica, a read of tree size `wanted` that the replica (holding `held`) cannot
    /// answer: "not yet" if the primary holds it, else `otherwise` (the primary's answer).
    async fn beyond(&self, wanted: u64, held: u64, otherwise: BoardError) -> BoardError {
        if self.on_replica {
            match self.size_at_least(wanted).await {
                Ok(size) if size >= wanted => {
                    return BoardError::NotReplicated {
                        wanted,
                        replica: held,
                    }
                }
                Ok(_) => {}
                Err(e) => return e,
            }
        }
        otherwise
    }

    /// The entry at `index`.
    pub async fn entry(&self, index: u64) -> Result<Entry, BoardError> {
        let mut page = self.entries(index, 1).await?;
        match page.pop() {
            Some(e) => Ok(e),
            None => Err(BoardError::IndexOutOfRange {
                index,
                size: self.size(),
            }),
        }
    }

    /// Up to `limit` (at most [`MAX_ENTRIES_PAGE`]) entries from `start`.
    /// Empty at the end of the log; an error past it. On the replica ([`Board::for_readers`])
    /// a page ends where the replica's log does, and one that would start there or beyond,
    /// below the primary's size, is [`BoardError::NotReplicated`].
    pub async fn entries(&self, start: u64, limit: u64) -> Result<Vec<Entry>, BoardError> {
        let wanted = start.saturating_add(limit.min(MAX_ENTRIES_PAGE));
        let size = self.readable_size(wanted).await?;
        if self.on_replica && (start > size || (start == size && limit > 0)) {
            // Nothing from `start` on the replica: "not yet" if the primary has that entry,
            // else the primary's own answer (empty at its end, an error past it).
            let primary = self.size_at_least(start.saturating_add(1)).await?;
            if primary > start {
                return Err(BoardError::NotReplicated {
                    wanted: start.saturating_add(1),
                    replica: size,
                });
            }
            if start > primary {
                return Err(BoardError::IndexOutOfRange {
                    index: start,
                    size: primary,
                });
            }
            return Ok(Vec::new());
        }
        if start > size {
            return Err(BoardError::IndexOutOfRange { index: start, size });
        }
        let end = wanted.min(size);
        if end <= start {
            return Ok(Vec::new());
        }
        let rows = self
            .reads()
            .entries(self.inner.log, db::to_i64(start)?, db::to_i64(end)?)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (expected, row) in (start..end).zip(&rows) {
            if db::to_u64(row.idx, "entry index")? != expected {
                return Err(BoardError::Corrupt(format!("entry {expected} is missing")));
            }
            let kind = u8::try_from(row.kind)
                .ok()
                .and_then(EntryKind::from_u8)
                .ok_or_else(|| {
                    BoardError::Corrupt(format!("entry {expected} has kind {}", row.kind))
                })?;
            out.push(Entry {
                kind,
                payload: row.payload.clone(),
            });
        }
        if (out.len() as u64) < end - start {
            return Err(BoardError::Corrupt(format!(
                "entry {} is missing",
                start + out.len() as u64
            )));
        }
        Ok(out)
    }

    /// On the replica, a block the replica does not have: "not yet" if the primary has it
    /// (`on_primary`, asked only then), else none.
    async fn missing_block<F>(&self, on_primary: F, held: u64) -> Result<Option<Block>, BoardError>
    where
        F: std::future::Future<Output = Result<Option<db::BlockRow>, BoardError>>,
    {
        match on_primary.await? {
            Some(row) => Err(BoardError::NotReplicated {
                wanted: db::to_u64(row.number, "block number")?.saturating_add(1),
                replica: held,
            }),
            None => Ok(None),
        }
    }

    /// Up to `limit` (at most [`MAX_ENTRIES_PAGE`]) entries of kind `kind` with their
    /// indices: from index `from` on in index order, or, with `from` `None`, those before index
    /// `before`, newest first (the explorer's pages: one index range, whatever the board's size).
    pub async fn entries_of_kind(
        &self,
        kind: EntryKind,
        from: Option<u64>,
        before: u64,
        limit: u64,
    ) -> Result<Vec<(u64, Entry)>, BoardError> {
        let clamp = |v: u64| db::to_i64(v.min(i64::MAX as u64));
        let from = from.map(clamp).transpose()?;
        let rows = self
            .reads()
            .entries_of_kind(
                self.inner.log,
                i32::from(kind as u8),
                from,
                clamp(before)?,
                db::to_i64(limit.min(MAX_ENTRIES_PAGE))?,
            )
            .await?;
        rows.iter()
            .map(|row| {
                let index = db::to_u64(row.idx, "entry index")?;
                if row.kind != i32::from(kind as u8) {
                    return Err(BoardError::Corrupt(format!(
                        "entry {index} has kind {}",
                        row.kind
                    )));
                }
                Ok((
                    index,
                    Entry {
                        kind,
                        payload: row.payload.clone(),
                    },
                ))
            })
            .collect()
    }

    /// The SQLite query plan of [`Board::entries_of_kind`] (`None` on PostgreSQL): for tests
    /// that check the index is used.
    #[doc(hidden)]
    pub async fn explain_entries_of_kind(&self) -> Result<Option<String>, BoardError> {
        self.inner.pool.explain_entries_of_kind().await
    }

    /// Up to `limit` (at most [`MAX_BLOCKS_PAGE`]) blocks numbered below `before`, newest first.
    pub async fn blocks_before(&self, before: u64, limit: u64) -> Result<Vec<Block>, BoardError> {
        let before = db::to_i64(before.min(i64::MAX as u64))?;
        let limit = db::to_i64(limit.min(MAX_BLOCKS_PAGE))?;
        self.reads()
            .blocks_before(self.inner.log, before, limit)
            .await?
            .iter()
            .map(writer::block_from_row)
            .collect()
    }

    /// The number of blocks the replica holds (for [`BoardError::NotReplicated`]).
    async fn replica_blocks(&self) -> Result<u64, BoardError> {
        match self.reads().latest_block(self.inner.log).await? {
            Some(row) => Ok(db::to_u64(row.number, "block number")?.saturating_add(1)),
            None => Ok(0),
        }
    }

    /// The latest sealed block (on the replica: the latest the replica has; "not yet" if it
    /// has none and the primary has one).
    pub async fn latest_block(&self) -> Result<Option<Block>, BoardError> {
        match self.reads().latest_block(self.inner.log).await? {
            Some(row) => Ok(Some(writer::block_from_row(&row)?)),
            None if self.on_replica => {
                self.missing_block(self.inner.pool.latest_block(self.inner.log), 0)
                    .await
            }
            None => Ok(None),
        }
    }

    /// Block number `number`, if sealed (on the replica: "not yet" if only the primary has
    /// it).
    pub async fn block(&self, number: u64) -> Result<Option<Block>, BoardError> {
        let Ok(n) = db::to_i64(number) else {
            return Ok(None);
        };
        match self.reads().block_by_number(self.inner.log, n).await? {
            Some(row) => Ok(Some(writer::block_from_row(&row)?)),
            None if self.on_replica => {
                let held = self.replica_blocks().await?;
                self.missing_block(self.inner.pool.block_by_number(self.inner.log, n), held)
                    .await
            }
            None => Ok(None),
        }
    }

    /// Up to `limit` (at most [`MAX_BLOCKS_PAGE`]) blocks from block number `start` (on the
    /// replica: those it has, a prefix of the primary's).
    pub async fn blocks(&self, start: u64, limit: u64) -> Result<Vec<Block>, BoardError> {
        let Ok(from) = db::to_i64(start) else {
            return Ok(Vec::new());
        };
        let limit = db::to_i64(limit.min(MAX_BLOCKS_PAGE))?;
        self.reads()
            .blocks(self.inner.log, from, limit)
            .await?
            .iter()
            .map(writer::block_from_row)
            .collect()
    }

    /// The latest checkpoint with every cosignature received for it (on the replica: the
    /// latest the replica has, with the cosignatures it has).
    pub async fn latest_checkpoint(&self) -> Result<Option<PublishedCheckpoint>, BoardError> {
        match self.latest_block().await? {
            Some(block) => Ok(Some(self.published(&block).await?)),
            None => Ok(None),
        }
    }

    /// The published checkpoint of tree size `size`, if there is one (on the replica: "not
    /// yet" if only the primary has it).
    pub async fn checkpoint_for_size(
        &self,
        size: u64,
    ) -> Result<Option<PublishedCheckpoint>, BoardError> {
        let Ok(s) = db::to_i64(size) else {
            return Ok(None);
        };
        let block = match self.reads().block_by_size(self.inner.log, s).await? {
            Some(row) => Some(writer::block_from_row(&row)?),
            None if self.on_replica => {
                let held = self.replica_blocks().await?;
                self.missing_block(self.inner.pool.block_by_size(self.inner.log, s), held)
                    .await?
            }
            None => None,
        };
        match block {
            Some(block) => Ok(Some(self.published(&block).await?)),
            None => Ok(None),
        }
    }

    async fn published(&self, block: &Block) -> Result<PublishedCheckpoint, BoardError> {
        let size = db::to_i64(block.header.tree_size)?;
        let rows = self
            .reads()
            .cosignatures(self.inner.log, size, size)
            .await?;
        let mut note = block.header.checkpoint.clone();
        let mut cosignatures = 0;
        for row in rows {
            let known = self
                .inner
                .witnesses
                .iter()
                .any(|w| w.name() == row.witness && i64::from(w.key_id()) == row.key_id);
            if known && note.len() + row.line.len() < MAX_NOTE_SIZE {
                note.push_str(&row.line);
                note.push('\n');
                cosignatures += 1;
            }
        }
        Ok(PublishedCheckpoint {
            block_number: block.header.number,
            size: block.header.tree_size,
            root: block.header.root,
            note,
            cosignatures,
        })
    }

    async fn check_size(&self, size: u64) -> Result<(), BoardError> {
        let tree_size = self.readable_size(size).await?;
        if size > tree_size {
            let beyond = BoardError::SizeBeyondTree {
                size,
                tree_size: self.size(),
            };
            return Err(self.beyond(size, tree_size, beyond).await);
        }
        Ok(())
    }

    async fn fetch(&self, ids: &[NodeId]) -> Result<HashMap<NodeId, Hash>, BoardError> {
        self.reads().nodes(self.inner.log, ids).await
    }

    /// The root of the tree of the first `size` entries.
    pub async fn tree_root(&self, size: u64) -> Result<Hash, BoardError> {
        self.check_size(size).await?;
        let map = self.fetch(&tree_root_nodes(size)?).await?;
        Ok(tree_root(size, &map)?)
    }

    /// The inclusion proof of entry `index` in the tree of `size` entries
    /// (one indexed query for O(log n) stored hashes).
    pub async fn inclusion_proof(
        &self,
        index: u64,
        size: u64,
    ) -> Result<InclusionProof, BoardError> {
        self.check_size(size).await?;
        if index >= size {
            return Err(BoardError::IndexOutOfRange { index, size });
        }
        let map = self.fetch(&inclusion_proof_nodes(index, size)?).await?;
        Ok(inclusion_proof(index, size, &map)?)
    }

    /// The consistency proof from tree size `old` to tree size `new`.
    pub async fn consistency_proof(
        &self,
        old: u64,
        new: u64,
    ) -> Result<ConsistencyProof, BoardError> {
        self.check_size(new).await?;
        if old > new {
            return Err(BoardError::SizeBeyondTree {
                size: old,
                tree_size: new,
            });
        }
        let map = self.fetch(&consistency_proof_nodes(old, new)?).await?;
        Ok(consistency_proof(old, new, &map)?)
    }

    /// The sealed receipt of entry `index`: `None` until a block covers it. On the replica
    /// ([`Board::for_readers`]): against the first block *the replica has* that covers it,
    /// `None` until it has one (also while it has not replayed the entry itself).
    pub async fn receipt(&self, index: u64) -> Result<Option<SealedReceipt>, BoardError> {
        if !self.on_replica {
            let size = self.size_at_least(index.saturating_add(1)).await?;
            if index >= size {
                return Err(BoardError::IndexOutOfRange { index, size });
            }
        }
        let Some(row) = self
            .reads()
            .block_covering(self.inner.log, db::to_i64(index)?)
            .await?
        else {
            if self.on_replica {
                let size = self.size_at_least(index.saturating_add(1)).await?;
                if index >= size {
                    return Err(BoardError::IndexOutOfRange { index, size });
                }
            }
            return Ok(None);
        };
        let block = writer::block_from_row(&row)?;
        let tree_size = block.header.tree_size;
        let mut ids = inclusion_proof_nodes(index, tree_size)?;
        ids.push(NodeId::new(0, index));
        let map = self.fetch(&ids).await?;
        let proof = inclusion_proof(index, tree_size, &map)?;
        let leaf_hash = map
            .get(&NodeId::new(0, index))
            .copied()
            .ok_or(crate::merkle::MerkleError::MissingNode { level: 0, index })?;
        let published = self.published(&block).await?;
        Ok(Some(SealedReceipt {
            index,
            leaf_hash,
            block_number: block.header.number,
            tree_size,
            root: block.header.root,
            checkpoint: published.note,
            inclusion_proof: proof,
        }))
    }

    /// Waits until entry `index` is sealed, then returns its receipt (from the primary,
    /// whichever handle: it waits for the primary's seal).
    pub async fn wait_sealed(&self, index: u64) -> Result<SealedReceipt, BoardError> {
        let size = self.size_at_least(index.saturating_add(1)).await?;
        if index >= size {
            return Err(BoardError::IndexOutOfRange { index, size });
        }
        let mut sealed = self.inner.sealed.clone();
        sealed
            .wait_for(|s| s.size > index)
            .await
            .map_err(|_| BoardError::Closed)?;
        let primary = Board {
            inner: self.inner.clone(),
            on_replica: false,
        };
        primary.receipt(index).await?.ok_or(BoardError::Closed)
    }

    /// Up to `limit` (at most [`MAX_VERIFIED_PAGE`]) entries from `start`,
    /// each checked against the tree verified when the board opened, whatever
    /// the background tamper check has reached: the entries' leaves are
    /// pushed onto the stored right edge of the tree before `start`, and the
    /// root this gives at the page's end must be consistent with the verified
    /// root (a consistency proof from the stored nodes). Only entries that
    /// were in the log at open can be read this way.
    pub async fn verified_entries(&self, start: u64, limit: u64) -> Result<Vec<Entry>, BoardError> {
        let (size, root) = self.inner.anchor;
        if start > size {
            return Err(BoardError::IndexOutOfRange { index: start, size });
        }
        let end = start.saturating_add(limit.min(MAX_VERIFIED_PAGE)).min(size);
        if end <= start {
            return Ok(Vec::new());
        }
        let (log, pool) = (self.inner.log, &self.inner.pool);
        let unverified = |detail: String| BoardError::Unverified { start, end, detail };
        let rows = pool
            .entries(log, db::to_i64(start)?, db::to_i64(end)?)
            .await?;
        let mut ids = frontier::Frontier::ids(start);
        ids.extend(consistency_proof_nodes(end, size)?);
        let map = self.fetch(&ids).await?;
        let mut edge = frontier::Frontier::load(start, &map)
            .map_err(|e| unverified(format!("the tree before them: {e}")))?;
        let mut out = Vec::with_capacity(rows.len());
        for (expected, row) in (start..end).zip(rows) {
            if db::to_u64(row.idx, "entry index")? != expected {
                return Err(unverified(format!("entry {expected} is missing")));
            }
            let kind = u8::try_from(row.kind)
                .ok()
                .and_then(EntryKind::from_u8)
                .ok_or_else(|| unverified(format!("entry {expected} has kind {}", row.kind)))?;
            let entry = Entry {
                kind,
                payload: row.payload,
            };
            edge.push(entry.leaf_hash()?)?;
            out.push(entry);
        }
        if edge.size() != end {
            return Err(unverified(format!("entry {} is missing", edge.size())));
        }
        let proof = consistency_proof(end, size, &map)
            .map_err(|e| unverified(format!("consistency proof: {e}")))?;
        crate::merkle::verify_consistency(end, size, &edge.root()?, &root, &proof)
            .map_err(|e| unverified(e.to_string()))?;
        Ok(out)
    }

    // -- snapshots -----------------------------------------------------------

    /// Stores `data` as the log's snapshot of the caller's state after the
    /// first `size` entries (replacing the one before), authenticated with the
    /// board's snapshot key over the log's origin, `size`, the tree's root at
    /// `size` (as the writer holds it) and the bytes. Through the writer, like
    /// an append: refused once the background tamper check failed.
    pub async fn save_snapshot(&self, size: u64, data: Vec<u8>) -> Result<(), BoardError> {
        let (data, digest) = snapshot::digest(data).await?;
        let (reply, rx) = oneshot::channel();
        self.inner
            .commands
            .send(Command::Snapshot {
                size,
                digest,
                data,
                reply,
            })
            .await
            .map_err(|_| BoardError::Closed)?;
        rx.await.map_err(|_| BoardError::Closed)?
    }

    /// The log's stored snapshot, if there is one and it holds:
    /// [`BoardError::BadSnapshot`] if it is not authentic (the database was
    /// edited, or it was written with another board key);
    /// [`BoardError::SnapshotContradicted`] if it is authentic but claims more
    /// entries than the log held at open, or its root is not the verified
    /// tree's at its size — the log lost or changed entries this board wrote.
    /// An older snapshot than the log is returned: the caller applies the
    /// entries after it.
    pub async fn snapshot(&self) -> Result<Option<Snapshot>, BoardError> {
        let Some(row) = self.inner.pool.snapshot(self.inner.log).await? else {
            return Ok(None);
        };
        let bad = |why: &str| BoardError::BadSnapshot(why.to_owned());
        let size = u64::try_from(row.tree_size).map_err(|_| bad("negative size"))?;
        let root = Hash::from_slice(&row.root).ok_or_else(|| bad("malformed root"))?;
        let (data, digest) = snapshot::digest(row.data).await?;
        if !snapshot::verify(
            &self.inner.snapshot_key,
            &self.inner.origin,
            size,
            &root,
            &digest,
            &row.mac,
        ) {
            return Err(bad(
                "its authentication code does not verify (edited, or not written with this board key)",
            ));
        }
        let (verified, verified_root) = self.inner.anchor;
        if size > verified {
            return Err(BoardError::SnapshotContradicted {
                size,
                detail: format!("the log holds only {verified} entries"),
            });
        }
        let map = self
            .fetch(&consistency_proof_nodes(size, verified)?)
            .await?;
        let consistent = consistency_proof(size, verified, &map)
            .ok()
            .is_some_and(|proof| {
                crate::merkle::verify_consistency(size, verified, &root, &verified_root, &proof)
                    .is_ok()
            });
        if !consistent {
            return Err(BoardError::SnapshotContradicted {
                size,
                detail: "its root is not the root of the log's first entries".to_owned(),
            });
        }
        Ok(Some(Snapshot { size, root, data }))
    }

    // -- tamper detection --------------------------------------------------

    /// Re-verifies the stored log against itself: entries, tree nodes,
    /// blocks, checkpoints and cosignatures, up to the current size and the
    /// latest sealed block. Streams in pages; linear in the log's size.
    pub async fn check(&self) -> Result<CheckReport, BoardError> {
        let sealed = *self.inner.sealed.borrow();
        check::run(
            &self.inner.pool,
            self.inner.log,
            &self.inner.origin,
            &self.inner.verifier,
            &self.inner.witnesses,
            self.size(),
            sealed.block_number,
            false,
            None,
        )
        .await
    }
}

/// How long after an open with the check in the background the check starts at the latest,
/// if the caller does not start it sooner ([`Board::start_tamper_check`]).
const TAMPER_CHECK_AT_LATEST: Duration = Duration::from_secs(30);

/// The full tamper check of the log as opened, run after the open
/// ([`BoardConfig::check_in_background`]); a failure stops appends.
#[allow(clippy::too_many_arguments)]
async fn background_check(
    go: Arc<tokio::sync::Notify>,
    pool: Pool,
    log: i64,
    origin: String,
    verifier: VerifierKey,
    witnesses: Vec<VerifierKey>,
    size: u64,
    last_block: Option<u64>,
    tamper: watch::Sender<TamperCheck>,
) {
    // The caller's own start first (it reads the log too, on the same cores and disk), but
    // never later than TAMPER_CHECK_AT_LATEST after the open.
    let _ = tokio::time::timeout(TAMPER_CHECK_AT_LATEST, go.notified()).await;
    let result = check::run(
        &pool, log, &origin, &verifier, &witnesses, size, last_block, false, None,
    )
    .await
    .and_then(CheckReport::into_result);
    let outcome = match result {
        Ok(_) => TamperCheck::Passed { size },
        // Closed while checking: nothing was found, and nothing more will be written.
        Err(BoardError::Closed) => TamperCheck::Running { size },
        Err(e) => {
            let error = match e {
                BoardError::Tampered { .. } | BoardError::TamperedBlock { .. } => e.to_string(),
                e => format!("the tamper check could not complete: {e}"),
            };
            TamperCheck::Failed { size, error }
        }
    };
    tamper.send_replace(outcome);
}

/// Verifies `line` as a cosignature over the signed checkpoint `checkpoint`
/// by one of `witnesses`; returns the witness and the cosignature time.
pub(crate) fn verify_cosignature<'w>(
    checkpoint: &str,
    line: &str,
    witnesses: &'w [VerifierKey],
) -> Result<(&'w VerifierKey, u64), BoardError> {
    let msg = format!("{checkpoint}{line}\n");
    let note =
        Note::parse(msg.as_bytes()).map_err(|e| BoardError::MalformedCosignature(e.to_string()))?;
    let Some(sig) = note.signatures().last() else {
        return Err(BoardError::MalformedCosignature(
            "no signature line".to_owned(),
        ));
    };
    let witness = witnesses
        .iter()
        .find(|w| w.name() == sig.name() && w.key_id() == sig.key_id())
        .ok_or_else(|| BoardError::UnknownWitness {
            name: sig.name().to_owned(),
            key_id: sig.key_id(),
        })?;
    let bad = |reason: String| BoardError::BadCosignature {
        name: witness.name().to_owned(),
        reason,
    };
    let verified = note
        .verify(std::slice::from_ref(witness))
        .map_err(|e| bad(e.to_string()))?;
    let timestamp = verified
        .iter()
        .find(|v| v.key == *witness)
        .and_then(|v| v.timestamp)
        .ok_or_else(|| bad("not a cosignature/v1 signature".to_owned()))?;
    Ok((witness, timestamp))
}
