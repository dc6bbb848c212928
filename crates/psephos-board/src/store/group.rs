//! One durable commit for the boards of one SQLite database: the commit group.
//!
//! Why: a service hosts many elections in one database, each election its own board with its
//! own writer, and each writer group-commits its own appends. With the ballots of one busy
//! service spread over several open elections, each writer's batches are smaller, so the
//! service makes more commits; SQLite takes the file's one write lock and makes one `fsync` per
//! commit, one commit after the other, and eleven connections that find the lock taken sleep
//! and retry. The group makes that one connection and one commit for whatever waits. (Measured
//! in `BENCHMARKS.md`, "Many elections in one service": on the test machine a commit is quick
//! enough that batches of two elections seldom wait at once, so the group seldom merges them;
//! what costs there is the small verification batches, not the commits.) PostgreSQL does not
//! need this: it runs the writers' transactions at once and shares their WAL flushes.
//!
//! What: every board opened with the same [`CommitGroup`] ([`super::BoardConfig::commit_group`])
//! keeps its own writer — its indices, its frontier, its tree nodes, its blocks and checkpoints,
//! its tamper check — and hands the group only the rows of a batch it has prepared. The group's
//! task takes the first batch queued, then every other one queued at that moment, and commits
//! them in one transaction on its own connection: one `fsync` for the appends of every board.
//! While it commits, the boards' writers gather their next batches, so the batches grow with
//! the load as a single board's do.
//!
//! The rows of a round go in with as few statements as they allow (every board's entries in one
//! multi-row insert, every board's nodes in another): each statement is a round trip to the
//! connection's thread, and ten boards' batches with a savepoint each cost four apiece.
//!
//! Failure: if a statement of that round fails, the transaction is rolled back and the round
//! is stored again with each board's rows under a savepoint. A statement that fails for one
//! board (a row a second process wrote, a constraint) then rolls back that board's rows alone:
//! its appends fail and the others' commit. A failure of the transaction itself (of `COMMIT`,
//! or an error that made SQLite roll the whole transaction back) fails every append in it.
//! Either way a board whose rows were not committed is answered with
//! [`BoardError::CommitFailed`] and its writer reloads its state from the database before its
//! next batch, as after a failed commit of its own (a `COMMIT` that reported an error may still
//! have been applied). An append is answered only after the transaction that holds it
//! committed: an acknowledged entry survives a crash, as before.
//!
//! The boards' blocks go through the group too (a seal rides in the transaction of the appends
//! queued with it), so that the file's one write lock is not fought over by eleven connections
//! on the hot path: SQLite makes a connection that finds the lock taken sleep and retry, and
//! every election would wait out the sleep. The boards' own connections still store
//! cosignatures and snapshots, which are rare.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use sqlx::sqlite::SqliteConnection;
use sqlx::Connection as _;
use tokio::sync::{mpsc, oneshot};

use crate::error::BoardError;

use super::db::{self, BlockRow, NewEntry, NewNode};

/// Most payload bytes one group transaction takes (it takes at least one board's batch, however
/// large; each is bounded by its board's [`super::BoardConfig::max_batch_bytes`]).
const MAX_GROUP_BYTES: usize = 16 << 20;

/// Most board batches one group transaction takes.
const MAX_GROUP_BATCHES: usize = 1024;

/// Board batches that may wait for the group (each board's writer has at most one waiting).
const QUEUE: usize = 4096;

/// One board's prepared batch: its rows, and where the outcome goes.
#[derive(Debug)]
struct GroupBatch {
    log: i64,
    rows: Rows,
    reply: oneshot::Sender<Result<(), BoardError>>,
}

/// What a board hands the group.
#[derive(Debug)]
enum Rows {
    /// Appended entries with the tree nodes they complete.
    Append {
        entries: Vec<NewEntry>,
        nodes: Vec<NewNode>,
    },
    /// A sealed block.
    Block(BlockRow),
}

impl GroupBatch {
    fn bytes(&self) -> usize {
        match &self.rows {
            Rows::Append { entries, .. } => entries.iter().map(|e| e.payload.len()).sum(),
            Rows::Block(b) => b.checkpoint.len(),
        }
    }
}

#[derive(Debug)]
enum Message {
    Commit(GroupBatch),
    Close,
}

/// The boards of one SQLite database committing their appends together (see the module's
/// docs). Made once per database by the service that opens the boards, given to each in
/// [`super::BoardConfig::commit_group`], and closed by its owner after the boards. Cheap to
/// clone. Must be used inside a tokio runtime.
#[derive(Debug, Clone)]
pub struct CommitGroup {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tx: mpsc::Sender<Message>,
    /// The database file (canonical path): a board on another file is refused.
    file: PathBuf,
    counters: Arc<Counters>,
    task: tokio::sync::Mutex<Option<tokio::task::JoinHandle<()>>>,
}

#[derive(Debug, Default)]
struct Counters {
    transactions: AtomicU64,
    batches: AtomicU64,
    blocks: AtomicU64,
    committing: AtomicUsize,
}

/// What a commit group has done and is doing ([`CommitGroup::stats`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommitGroupStats {
    /// Transactions committed (each one `fsync`).
    pub transactions: u64,
    /// Boards' batches of appends committed in them.
    pub batches: u64,
    /// Boards' blocks committed in them.
    pub blocks: u64,
    /// Board batches waiting for the next transaction.
    pub queued: usize,
    /// Board batches in the transaction under way (0 between transactions).
    pub committing: usize,
}

impl CommitGroup {
    /// Connects the group's writer connection to the SQLite database at `url` (applying the
    /// board's migrations) and starts its task. PostgreSQL is refused: its boards commit on
    /// their own connections.
    pub async fn connect(url: &str) -> Result<Self, BoardError> {
        let (conn, file) = db::sqlite_writer(url).await?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let counters = Arc::new(Counters::default());
        let task = tokio::spawn(run(conn, rx, counters.clone()));
        Ok(CommitGroup {
            inner: Arc::new(Inner {
                tx,
                file,
                counters,
                task: tokio::sync::Mutex::new(Some(task)),
            }),
        })
    }

    /// What the group has committed so far, and what waits.
    pub fn stats(&self) -> CommitGroupStats {
        let c = &self.inner.counters;
        CommitGroupStats {
            transactions: c.transactions.load(Ordering::Relaxed),
            batches: c.batches.load(Ordering::Relaxed),
            blocks: c.blocks.load(Ordering::Relaxed),
            queued: self
                .inner
                .tx
                .max_capacity()
                .saturating_sub(self.inner.tx.capacity()),
            committing: c.committing.load(Ordering::Relaxed),
        }
    }

    /// Commits what is queued, stops the task and closes the connection (after the boards that
    /// use the group closed: a board's later appends fail with [`BoardError::CommitFailed`]).
    pub async fn close(&self) {
        let _ = self.inner.tx.send(Message::Close).await;
        if let Some(task) = self.inner.task.lock().await.take() {
            let _ = task.await;
        }
    }

    /// Whether the database at `url` is this group's.
    pub(crate) fn serves(&self, url: &str) -> bool {
        db::sqlite_file_of(url).is_some_and(|f| f == self.inner.file)
    }

    /// Commits one board's rows with whatever else is queued; answers once the transaction's
    /// outcome is known. An error means the rows may or may not be stored (the caller reloads).
    pub(crate) async fn commit(
        &self,
        log: i64,
        entries: Vec<NewEntry>,
        nodes: Vec<NewNode>,
    ) -> Result<(), BoardError> {
        self.send(log, Rows::Append { entries, nodes }).await
    }

    /// Stores one board's sealed block with whatever else is queued (as [`Self::commit`]).
    pub(crate) async fn insert_block(&self, log: i64, block: BlockRow) -> Result<(), BoardError> {
        self.send(log, Rows::Block(block)).await
    }

    async fn send(&self, log: i64, rows: Rows) -> Result<(), BoardError> {
        let (reply, rx) = oneshot::channel();
        let batch = GroupBatch { log, rows, reply };
        let stopped = || BoardError::CommitFailed("the database's commit group stopped".to_owned());
        self.inner
            .tx
            .send(Message::Commit(batch))
            .await
            .map_err(|_| stopped())?;
        rx.await.map_err(|_| stopped())?
    }
}

/// The group's task: one transaction per round, for every batch queued when it starts.
async fn run(mut conn: SqliteConnection, mut rx: mpsc::Receiver<Message>, counters: Arc<Counters>) {
    // A batch taken from the queue that did not fit in the last round (never set together with
    // `closing`: the round ends at whichever comes first).
    let mut pending: Option<GroupBatch> = None;
    let mut closing = false;
    while !closing {
        let first = match pending.take() {
            Some(b) => b,
            None => match rx.recv().await {
                Some(Message::Commit(b)) => b,
                Some(Message::Close) | None => break,
            },
        };
        let mut bytes = first.bytes();
        let mut round = vec![first];
        while bytes < MAX_GROUP_BYTES && round.len() < MAX_GROUP_BATCHES {
            match rx.try_recv() {
                Ok(Message::Commit(b)) => {
                    let more = b.bytes();
                    if bytes + more > MAX_GROUP_BYTES {
                        pending = Some(b);
                        break;
                    }
                    bytes += more;
                    round.push(b);
                }
                Ok(Message::Close) => {
                    closing = true;
                    break;
                }
                Err(_) => break,
            }
        }
        counters.committing.store(round.len(), Ordering::Relaxed);
        let blocks = round
            .iter()
            .filter(|b| matches!(b.rows, Rows::Block(_)))
            .count() as u64;
        let batches = round.len() as u64 - blocks;
        let committed = commit_round(&mut conn, round).await;
        counters.committing.store(0, Ordering::Relaxed);
        if committed {
            counters.transactions.fetch_add(1, Ordering::Relaxed);
            counters.batches.fetch_add(batches, Ordering::Relaxed);
            counters.blocks.fetch_add(blocks, Ordering::Relaxed);
        }
    }
    // Anything queued after the close is dropped: its board reads that as a failed commit.
    rx.close();
    while rx.try_recv().is_ok() {}
    let _ = conn.close().await;
}

async fn exec(conn: &mut SqliteConnection, sql: &str) -> Result<(), BoardError> {
    sqlx::query(sql).execute(&mut *conn).await?;
    Ok(())
}

/// What became of a round tried as one set of rows ([`commit_together`]).
enum Together {
    Committed,
    /// A statement failed and the transaction was rolled back: nothing is stored.
    Undone,
    /// `COMMIT` failed: whether anything is stored is unknown.
    CommitFailed(String),
}

/// Stores a round's batches with as few statements as their rows allow: every board's entries
/// in one multi-row insert, every board's tree nodes in another, then the blocks — where the
/// savepoints of [`commit_round`] cost four statements per board, each a round trip to the
/// connection's thread. Any failure before `COMMIT` undoes all of it, and [`commit_round`]
/// stores the round again board by board to find whose rows failed.
async fn commit_together(conn: &mut SqliteConnection, round: &[GroupBatch]) -> Together {
    if exec(conn, "BEGIN IMMEDIATE").await.is_err() {
        let _ = exec(conn, "ROLLBACK").await;
        return Together::Undone;
    }
    let appends: Vec<(i64, &[NewEntry], &[NewNode])> = round
        .iter()
        .filter_map(|b| match &b.rows {
            Rows::Append { entries, nodes } => Some((b.log, entries.as_slice(), nodes.as_slice())),
            Rows::Block(_) => None,
        })
        .collect();
    let mut stored = db::sqlite_insert_rows_of_logs(conn, &appends).await.is_ok();
    for b in round {
        if let (true, Rows::Block(block)) = (stored, &b.rows) {
            stored = db::sqlite_insert_block(conn, b.log, block).await.is_ok();
        }
    }
    if !stored {
        let _ = exec(conn, "ROLLBACK").await;
        return Together::Undone;
    }
    match exec(conn, "COMMIT").await {
        Ok(()) => Together::Committed,
        Err(e) => {
            let _ = exec(conn, "ROLLBACK").await;
            Together::CommitFailed(e.to_string())
        }
    }
}

/// Commits one round's batches in one transaction, each board's rows under a savepoint, and
/// answers every batch. Returns whether the transaction committed.
///
/// The transaction is driven by plain statements rather than sqlx's `Transaction`: when SQLite
/// rolls a transaction back on its own (some errors do), sqlx's count of open transactions
/// would stay up and its next `begin` would open a savepoint instead of a transaction.
async fn commit_round(conn: &mut SqliteConnection, round: Vec<GroupBatch>) -> bool {
    let fail_all = |round: Vec<(GroupBatch, Option<BoardError>)>, why: &str| {
        for (b, own) in round {
            let msg = match own {
                Some(e) => e.to_string(),
                None => why.to_owned(),
            };
            let _ = b.reply.send(Err(BoardError::CommitFailed(msg)));
        }
    };
    if round.len() > 1 {
        match commit_together(conn, &round).await {
            Together::Committed => {
                for b in round {
                    let _ = b.reply.send(Ok(()));
                }
                return true;
            }
            Together::CommitFailed(why) => {
                // The outcome of a failed COMMIT is unknown: every board reloads.
                fail_all(round.into_iter().map(|b| (b, None)).collect(), &why);
                return false;
            }
            // Undone: each board's batch again under its own savepoint, so that only the
            // failing one fails.
            Together::Undone => {}
        }
    }
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE").await {
        let _ = exec(conn, "ROLLBACK").await;
        let why = e.to_string();
        fail_all(round.into_iter().map(|b| (b, None)).collect(), &why);
        return false;
    }
    // Each batch with the error that rolled its own rows back, if one did.
    let mut done: Vec<(GroupBatch, Option<BoardError>)> = Vec::with_capacity(round.len());
    let mut broken: Option<String> = None;
    // A round of one batch (the usual case when the boards are not all busy) needs no
    // savepoint: its failure is the transaction's. Each statement is a round trip to the
    // connection's thread.
    let isolate = round.len() > 1;
    let mut rest = round.into_iter();
    for batch in rest.by_ref() {
        if isolate {
            if let Err(e) = exec(conn, "SAVEPOINT board_batch").await {
                broken = Some(e.to_string());
                done.push((batch, None));
                break;
            }
        }
        let stored = match &batch.rows {
            Rows::Append { entries, nodes } => {
                db::sqlite_insert_rows(conn, batch.log, entries, nodes).await
            }
            Rows::Block(b) => db::sqlite_insert_block(conn, batch.log, b).await,
        };
        match stored {
            Ok(()) if !isolate => done.push((batch, None)),
            Ok(()) => match exec(conn, "RELEASE board_batch").await {
                Ok(()) => done.push((batch, None)),
                Err(e) => {
                    broken = Some(e.to_string());
                    done.push((batch, None));
                    break;
                }
            },
            Err(e) if !isolate => {
                let why = e.to_string();
                done.push((batch, Some(e)));
                broken = Some(why);
                break;
            }
            Err(e) => {
                // This board's rows alone are undone, if the transaction is still there.
                let undone = match exec(conn, "ROLLBACK TO board_batch").await {
                    Ok(()) => exec(conn, "RELEASE board_batch").await,
                    Err(e) => Err(e),
                };
                let why = e.to_string();
                done.push((batch, Some(e)));
                if undone.is_err() {
                    broken = Some(format!(
                        "the shared transaction was rolled back by another board's batch: {why}"
                    ));
                    break;
                }
            }
        }
    }
    done.extend(rest.map(|b| (b, None)));
    if let Some(why) = broken {
        let _ = exec(conn, "ROLLBACK").await;
        fail_all(done, &why);
        return false;
    }
    if let Err(e) = exec(conn, "COMMIT").await {
        let _ = exec(conn, "ROLLBACK").await;
        let why = e.to_string();
        // The outcome of a failed COMMIT is unknown: every board reloads.
        fail_all(done.into_iter().map(|(b, _)| (b, None)).collect(), &why);
        return false;
    }
    for (b, own) in done {
        let answer = match own {
            None => Ok(()),
            Some(e) => Err(BoardError::CommitFailed(e.to_string())),
        };
        let _ = b.reply.send(answer);
    }
    true
}
