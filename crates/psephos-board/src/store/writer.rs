//! The single writer task: sequencing with group commit, integration, and
//! publishing.
//!
//! Every write to the log goes through this one task and its one database
//! connection, so indices are dense and assigned in commit order without any
//! locking. Callers queue appends on a channel; the task takes the first one,
//! then everything else already queued (up to the batch limits), and commits
//! them all in one transaction — one fsync for many writers (group commit).
//! The same transaction stores the Merkle node hashes the new leaves complete
//! (integration), computed from the in-memory [`Frontier`], so an index is
//! never acknowledged before its leaf is part of the stored tree. Between
//! batches a timer seals a block when the tree has grown (publishing).
//!
//! With a [`super::CommitGroup`] (the boards of one SQLite database), the
//! task prepares its batch (or its block) the same way and the group commits
//! it together with the other boards' rows queued at that moment; the answer,
//! and everything after it, is as if the writer had committed alone.
//!
//! If a commit fails, the batch is answered with an error and the task
//! reloads its state from the database before the next one, since a failed
//! `COMMIT` may still have been applied.
//!
//! Once the background tamper check failed ([`super::TamperCheck::Failed`]),
//! appends and snapshots are refused; sealing goes on, so that entries already
//! acknowledged get their checkpoint (its root comes from the frontier, which
//! was verified at open and extended by this writer alone).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::MissedTickBehavior;

use crate::block::{Block, BlockHeader};
use crate::checkpoint::Checkpoint;
use crate::entry::Entry;
use crate::error::BoardError;
use crate::merkle::Hash;
use crate::note::NoteSigner;

use super::db::{self, BlockRow, Conn, NewEntry, NewNode, Pool, SnapshotRow};
use super::frontier::Frontier;
use super::{snapshot, AppendReceipt, TamperCheck};

/// Entries per page when integrating entries recovered after a crash.
const RECOVERY_PAGE: i64 = 4096;

/// Where an append's answer goes.
type Reply = oneshot::Sender<Result<Vec<AppendReceipt>, BoardError>>;
/// Queued appends taken into one transaction.
type Batch = Vec<(Vec<(Entry, Hash)>, Reply)>;
/// Answers to send once the transaction's outcome is known.
type Replies = Vec<(Reply, Vec<AppendReceipt>)>;
/// A batch ready to commit: entry rows, node rows, the frontier after it.
type Prepared = (Vec<NewEntry>, Vec<NewNode>, Frontier, Replies);

/// What the board asks of its writer.
#[derive(Debug)]
pub(crate) enum Command {
    Append {
        /// Validated entries with their leaf hashes.
        entries: Vec<(Entry, Hash)>,
        /// Total payload bytes.
        bytes: usize,
        reply: Reply,
    },
    Seal {
        reply: oneshot::Sender<Result<Option<Block>, BoardError>>,
    },
    Cosign {
        tree_size: i64,
        witness: String,
        key_id: i64,
        timestamp: i64,
        line: String,
        reply: oneshot::Sender<Result<(), BoardError>>,
    },
    Close {
        reply: oneshot::Sender<Result<(), BoardError>>,
    },
    /// Stores an authenticated snapshot of the caller's state at `size`.
    Snapshot {
        size: u64,
        /// SHA-256 of `data`.
        digest: [u8; 32],
        data: Vec<u8>,
        reply: oneshot::Sender<Result<(), BoardError>>,
    },
    /// Re-reads the state after a failed commit (if one failed) and answers the size.
    Refresh {
        reply: oneshot::Sender<Result<u64, BoardError>>,
    },
}

/// The published state: what has been sealed so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Sealed {
    pub block_number: Option<u64>,
    pub size: u64,
}

/// The writer's durable state, as loaded from the database.
#[derive(Debug)]
pub(crate) struct State {
    pub frontier: Frontier,
    pub last_block: Option<Block>,
}

impl State {
    pub fn sealed(&self) -> Sealed {
        Sealed {
            block_number: self.last_block.as_ref().map(|b| b.header.number),
            size: self.last_block.as_ref().map_or(0, |b| b.header.tree_size),
        }
    }
}

pub(crate) fn block_from_row(row: &BlockRow) -> Result<Block, BoardError> {
    Ok(Block {
        header: BlockHeader {
            number: db::to_u64(row.number, "block number")?,
            prev_hash: db::to_hash(&row.prev_hash, "previous block hash")?,
            time_ms: db::to_u64(row.time_ms, "block time")?,
            tree_size: db::to_u64(row.tree_size, "block tree size")?,
            root: db::to_hash(&row.root, "block root")?,
            checkpoint: row.checkpoint.clone(),
        },
        hash: db::to_hash(&row.header_hash, "block hash")?,
    })
}

/// Loads the writer's state, first integrating any entries that were
/// sequenced but not integrated (possible only if a sequencer other than
/// this writer added rows; this writer stores both in one transaction).
pub(crate) async fn load_state(
    pool: &Pool,
    conn: &mut Conn,
    log: i64,
    shared: bool,
) -> Result<State, BoardError> {
    let leaves = pool.leaves_end(log).await?;
    // Shared by several nodes, every sequencer integrates in its own transaction: the stored
    // tree is the log, and entries beyond it are another node's commit racing this read.
    let entries = if shared {
        leaves
    } else {
        pool.entries_end(log).await?
    };
    let size = db::to_u64(leaves, "tree size")?;
    let map = pool.nodes(log, &Frontier::ids(size)).await?;
    let mut frontier = Frontier::load(size, &map)?;
    let mut next = leaves;
    while next < entries {
        let end = next.saturating_add(RECOVERY_PAGE).min(entries);
        let rows = pool.entries(log, next, end).await?;
        let mut nodes = Vec::new();
        for row in rows {
            if row.idx != next {
                // A hole: leave it to the tamper check to report.
                break;
            }
            let kind = u8::try_from(row.kind).unwrap_or(0);
            let leaf = crate::entry::entry_leaf_hash(kind, &row.payload);
            for (id, hash) in frontier.push(leaf)? {
                nodes.push(NewNode::new(id, hash)?);
            }
            next += 1;
        }
        conn.insert_nodes(log, &nodes).await?;
        if next < end {
            break;
        }
    }
    let last_block = match pool.latest_block(log).await? {
        Some(row) => Some(block_from_row(&row)?),
        None => None,
    };
    Ok(State {
        frontier,
        last_block,
    })
}

/// The writer's part when several nodes share the log ([`super::shared`]): following the
/// others' growth, and sealing only while it holds the sealer lease.
pub(crate) struct SharedRole {
    /// This node's name in the lease.
    pub holder: String,
    pub lease: Duration,
    /// Whether this node holds the lease (published for health and metrics).
    pub sealer_tx: watch::Sender<bool>,
    /// When this node last sealed (or took the lease).
    pub last_seal: tokio::time::Instant,
}

/// How often a node of a shared log looks at the log (its growth, the lease).
pub(crate) const SHARED_TICK: Duration = Duration::from_millis(250);

/// Raises a size watch to `n` (never lowers it: two sources may report out of order).
pub(crate) fn raise(tx: &watch::Sender<u64>, n: u64) {
    tx.send_if_modified(|v| {
        if n > *v {
            *v = n;
            true
        } else {
            false
        }
    });
}

pub(crate) struct Writer {
    pub shared: Option<SharedRole>,
    pub conn: Conn,
    pub pool: Pool,
    pub log: i64,
    pub origin: String,
    pub signer: NoteSigner,
    pub state: State,
    pub stale: bool,
    pub rx: mpsc::Receiver<Command>,
    pub size_tx: Arc<watch::Sender<u64>>,
    pub sealed_tx: watch::Sender<Sealed>,
    pub seal_interval: Duration,
    pub max_batch_entries: usize,
    pub max_batch_bytes: usize,
    pub last_error: Arc<Mutex<Option<Arc<BoardError>>>>,
    pub commits: Arc<AtomicU64>,
    /// The database's commit group, which commits the batches (else this writer's connection).
    pub group: Option<super::CommitGroup>,
    pub tamper: watch::Receiver<TamperCheck>,
    pub snapshot_key: Arc<zeroize::Zeroizing<[u8; 32]>>,
}

impl Writer {
    pub async fn run(mut self) {
        let every = match &self.shared {
            Some(role) => self
                .seal_interval
                .min(SHARED_TICK)
                .min(role.lease / 4)
                .max(Duration::from_millis(1)),
            None => self.seal_interval,
        };
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        tick.tick().await; // the first tick is immediate
        let mut pending: Option<Command> = None;
        loop {
            let cmd = match pending.take() {
                Some(cmd) => cmd,
                None => tokio::select! {
                    cmd = self.rx.recv() => match cmd {
                        Some(cmd) => cmd,
                        None => {
                            // Every handle was dropped: seal what is left.
                            let r = self.seal().await;
                            self.note_error(r.err());
                            break;
                        }
                    },
                    _ = tick.tick() => {
                        let r = if self.shared.is_some() {
                            self.shared_tick().await
                        } else {
                            self.seal().await.map(|_| ())
                        };
                        self.note_error(r.err());
                        continue;
                    }
                },
            };
            match cmd {
                Command::Append {
                    entries,
                    bytes,
                    reply,
                } => {
                    let mut batch = vec![(entries, reply)];
                    let (mut n, mut total) = (batch[0].0.len(), bytes);
                    while n < self.max_batch_entries && total < self.max_batch_bytes {
                        match self.rx.try_recv() {
                            Ok(Command::Append {
                                entries,
                                bytes,
                                reply,
                            }) => {
                                if n + entries.len() > self.max_batch_entries
                                    || total + bytes > self.max_batch_bytes
                                {
                                    pending = Some(Command::Append {
                                        entries,
                                        bytes,
                                        reply,
                                    });
                                    break;
                                }
                                n += entries.len();
                                total += bytes;
                                batch.push((entries, reply));
                            }
                            Ok(other) => {
                                pending = Some(other);
                                break;
                            }
                            Err(_) => break,
                        }
                    }
                    self.commit(batch).await;
                }
                Command::Seal { reply } => {
                    let _ = reply.send(self.seal().await);
                }
                Command::Cosign {
                    tree_size,
                    witness,
                    key_id,
                    timestamp,
                    line,
                    reply,
                } => {
                    let r = self
                        .conn
                        .upsert_cosignature(self.log, tree_size, &witness, key_id, timestamp, &line)
                        .await;
                    let _ = reply.send(r);
                }
                Command::Snapshot {
                    size,
                    digest,
                    data,
                    reply,
                } => {
                    let r = match self.halted() {
                        Some(e) => Err(e),
                        None => self.put_snapshot(size, &digest, data).await,
                    };
                    let _ = reply.send(r);
                }
                Command::Refresh { reply } => {
                    if self.shared.is_some() {
                        self.stale = true; // other nodes move the log
                    }
                    let r = self.reload_if_stale().await;
                    let _ = reply.send(r.map(|()| self.state.frontier.size()));
                }
                Command::Close { reply } => {
                    let r = match &self.shared {
                        Some(role) if !*role.sealer_tx.borrow() => Ok(()),
                        _ => self.seal().await.map(|_| ()),
                    };
                    self.release().await;
                    let _ = reply.send(r);
                    break;
                }
            }
        }
        // Answer anything still queued, then drop the connection.
        self.rx.close();
        while let Ok(cmd) = self.rx.try_recv() {
            drop(cmd); // dropping a reply sender reads as `Closed`
        }
        let _ = self.conn.close().await;
    }

    fn note_error(&self, e: Option<BoardError>) {
        if let Some(e) = e {
            if let Ok(mut slot) = self.last_error.lock() {
                *slot = Some(Arc::new(e));
            }
        }
    }

    /// A shared log's tick: follow the others' growth, take or renew the sealer lease, and
    /// seal if this node holds it and a seal is due.
    async fn shared_tick(&mut self) -> Result<(), BoardError> {
        let Some(pg) = self.pool.postgres().cloned() else {
            return Ok(());
        };
        self.stale = true;
        self.reload_if_stale().await?;
        let Some(role) = &mut self.shared else {
            return Ok(());
        };
        let holds =
            super::shared::acquire_lease(&pg, self.log, &self.origin, &role.holder, role.lease)
                .await;
        let holds = match holds {
            Ok(h) => h,
            Err(e) => {
                role.sealer_tx.send_replace(false);
                return Err(e);
            }
        };
        role.sealer_tx.send_replace(holds);
        if holds && role.last_seal.elapsed() >= self.seal_interval {
            role.last_seal = tokio::time::Instant::now();
            self.seal().await?;
        }
        Ok(())
    }

    /// A clean stop: a shared log's lease is given up so that another node takes it at once.
    async fn release(&mut self) {
        if let (Some(role), Some(pg)) = (&self.shared, self.pool.postgres()) {
            // Whatever this node last learnt: a renewal whose answer was lost may have
            // taken it (the update only touches this node's own lease).
            let _ = super::shared::release_lease(pg, self.log, &role.holder).await;
            role.sealer_tx.send_replace(false);
        }
    }

    async fn reload_if_stale(&mut self) -> Result<(), BoardError> {
        if self.stale && self.shared.is_some() {
            // Follow: the stored tree's size, its right edge if it moved, the latest block.
            // The block first: the tree read after it is at least as large as it seals.
            self.state.last_block = match self.pool.latest_block(self.log).await? {
                Some(row) => Some(block_from_row(&row)?),
                None => None,
            };
            let size = db::to_u64(self.pool.leaves_end(self.log).await?, "tree size")?;
            if size != self.state.frontier.size() {
                let map = self.pool.nodes(self.log, &Frontier::ids(size)).await?;
                self.state.frontier = Frontier::load(size, &map)?;
            }
            raise(&self.size_tx, size);
            self.sealed_tx.send_if_modified(|s| {
                let now = self.state.sealed();
                let moved = now.size > s.size;
                if moved {
                    *s = now;
                }
                moved
            });
            self.stale = false;
            return Ok(());
        }
        if self.stale {
            self.state = load_state(&self.pool, &mut self.conn, self.log, false).await?;
            self.size_tx.send_replace(self.state.frontier.size());
            self.sealed_tx.send_replace(self.state.sealed());
            self.stale = false;
        }
        Ok(())
    }

    /// The error appends are refused with once the background tamper check failed.
    fn halted(&self) -> Option<BoardError> {
        self.halted_because().map(BoardError::TamperCheckFailed)
    }

    fn halted_because(&self) -> Option<String> {
        match &*self.tamper.borrow() {
            TamperCheck::Failed { error, .. } => Some(error.clone()),
            _ => None,
        }
    }

    /// Authenticates and stores a snapshot at `size`: the root is the frontier's, or, for a
    /// smaller size, the stored tree's at `size` proven consistent with the frontier's root.
    async fn put_snapshot(
        &mut self,
        size: u64,
        digest: &[u8; 32],
        data: Vec<u8>,
    ) -> Result<(), BoardError> {
        use crate::merkle::{
            consistency_proof, consistency_proof_nodes, tree_root, tree_root_nodes,
            verify_consistency,
        };
        if self.shared.is_some() {
            self.stale = true; // other nodes move the log
        }
        self.reload_if_stale().await?;
        let now = self.state.frontier.size();
        let root = if size == now {
            self.state.frontier.root()?
        } else if size < now {
            let mut ids = tree_root_nodes(size)?;
            ids.extend(consistency_proof_nodes(size, now)?);
            let map = self.pool.nodes(self.log, &ids).await?;
            let root = tree_root(size, &map)?;
            let proof = consistency_proof(size, now, &map)?;
            verify_consistency(size, now, &root, &self.state.frontier.root()?, &proof)?;
            root
        } else {
            return Err(BoardError::SizeBeyondTree {
                size,
                tree_size: now,
            });
        };
        let mac = snapshot::tag(&self.snapshot_key, &self.origin, size, &root, digest);
        let row = SnapshotRow {
            tree_size: db::to_i64(size)?,
            root: root.0.to_vec(),
            mac,
            data,
        };
        self.conn.put_snapshot(self.log, &row).await
    }

    async fn commit(&mut self, batch: Batch) {
        if let Some(why) = self.halted_because() {
            for (_, reply) in batch {
                let _ = reply.send(Err(BoardError::TamperCheckFailed(why.clone())));
            }
            return;
        }
        let prepared = self.prepare(batch).await;
        let (rows, nodes, frontier, replies) = match prepared {
            Ok(p) => p,
            Err((e, replies)) => {
                let msg = e.to_string();
                for (reply, _) in replies {
                    let _ = reply.send(Err(BoardError::CommitFailed(msg.clone())));
                }
                return;
            }
        };
        let stored = match &self.group {
            Some(group) => group.commit(self.log, rows, nodes).await,
            None => self.conn.insert_batch(self.log, &rows, &nodes).await,
        };
        match stored {
            Ok(()) => {
                self.commits.fetch_add(1, Ordering::Relaxed);
                self.state.frontier = frontier;
                self.size_tx.send_replace(self.state.frontier.size());
                for (reply, receipts) in replies {
                    let _ = reply.send(Ok(receipts));
                }
            }
            Err(e) => {
                self.stale = true;
                let msg = e.to_string();
                for (reply, _) in replies {
                    let _ = reply.send(Err(BoardError::CommitFailed(msg.clone())));
                }
            }
        }
    }

    /// Assigns indices and computes the nodes, on a copy of the frontier.
    async fn prepare(&mut self, batch: Batch) -> Result<Prepared, (BoardError, Replies)> {
        let total: usize = batch.iter().map(|(e, _)| e.len()).sum();
        let mut replies = Vec::with_capacity(batch.len());
        let mut rows = Vec::with_capacity(total);
        let mut nodes = Vec::with_capacity(2 * total + 64);
        let mut failure = self.reload_if_stale().await.err();
        let mut frontier = self.state.frontier.clone();
        for (entries, reply) in batch {
            let mut receipts = Vec::with_capacity(entries.len());
            for (entry, leaf) in entries {
                if failure.is_some() {
                    break;
                }
                let index = frontier.size();
                let step = frontier
                    .push(leaf)
                    .map_err(BoardError::from)
                    .and_then(|new| {
                        for (id, hash) in new {
                            nodes.push(NewNode::new(id, hash)?);
                        }
                        db::to_i64(index)
                    });
                match step {
                    Ok(idx) => {
                        rows.push(NewEntry {
                            idx,
                            kind: i32::from(entry.kind.to_u8()),
                            payload: entry.payload,
                        });
                        receipts.push(AppendReceipt {
                            index,
                            leaf_hash: leaf,
                        });
                    }
                    Err(e) => failure = Some(e),
                }
            }
            replies.push((reply, receipts));
        }
        match failure {
            Some(e) => Err((e, replies)),
            None => Ok((rows, nodes, frontier, replies)),
        }
    }

    /// Checks, from the stored nodes, that the tree `(size, root)` extends `(old, old_root)`.
    async fn check_extends(
        &self,
        old: u64,
        old_root: &Hash,
        size: u64,
        root: &Hash,
    ) -> Result<(), BoardError> {
        use crate::merkle::{consistency_proof, consistency_proof_nodes, verify_consistency};
        let map = self
            .pool
            .nodes(self.log, &consistency_proof_nodes(old, size)?)
            .await?;
        let proof = consistency_proof(old, size, &map)?;
        verify_consistency(old, size, old_root, root, &proof).map_err(|e| {
            BoardError::Corrupt(format!(
                "the tree of {size} entries does not extend the last checkpoint's ({old}): {e}"
            ))
        })
    }

    /// Seals a block if the tree grew since the last one.
    async fn seal(&mut self) -> Result<Option<Block>, BoardError> {
        if self.shared.is_some() {
            // Other nodes move the log: seal what is stored now.
            self.stale = true;
        }
        self.reload_if_stale().await?;
        let size = self.state.frontier.size();
        let last = self.state.last_block.as_ref();
        let sealed_size = last.map_or(0, |b| b.header.tree_size);
        if size == sealed_size {
            return Ok(None);
        }
        if size < sealed_size {
            return Err(BoardError::Corrupt(format!(
                "the last block seals {sealed_size} entries but the tree has {size}"
            )));
        }
        let root = self.state.frontier.root()?;
        let checkpoint = Checkpoint::new(self.origin.clone(), size, root)
            .sign(&self.signer)?
            .encode()?;
        let header = BlockHeader {
            number: last.map_or(0, |b| b.header.number + 1),
            prev_hash: last.map_or(Hash([0; 32]), |b| b.hash),
            time_ms: db::now_ms().max(last.map_or(0, |b| b.header.time_ms)),
            tree_size: size,
            root,
            checkpoint,
        };
        if let (Some(_), Some(prev)) = (&self.shared, last) {
            // Never sign a tree that does not extend the last published one.
            self.check_extends(prev.header.tree_size, &prev.header.root, size, &root)
                .await?;
        }
        let block = Block::new(header)?;
        let row = BlockRow {
            number: db::to_i64(block.header.number)?,
            prev_hash: block.header.prev_hash.0.to_vec(),
            time_ms: db::to_i64(block.header.time_ms)?,
            tree_size: db::to_i64(size)?,
            root: root.0.to_vec(),
            checkpoint: block.header.checkpoint.clone(),
            header_hash: block.hash.0.to_vec(),
        };
        if let (Some(_), Some(pg)) = (&self.shared, self.pool.postgres()) {
            // Compare-and-swap: stored only if it extends the stored chain.
            let stored = super::shared::insert_block_cas(pg, self.log, &self.origin, &row).await;
            if !matches!(stored, Ok(true)) {
                self.stale = true;
                return stored.map(|_| None);
            }
        } else {
            let stored = match &self.group {
                Some(group) => group.insert_block(self.log, row).await,
                None => self.conn.insert_block(self.log, &row).await,
            };
            if let Err(e) = stored {
                self.stale = true;
                return Err(e);
            }
        }
        self.state.last_block = Some(block.clone());
        self.sealed_tx.send_replace(self.state.sealed());
        Ok(Some(block))
    }
}
