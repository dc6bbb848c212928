//! Several nodes on one log (PostgreSQL only): sequencing in the database, one sealer at a
//! time, and a compare-and-swap on the chain of blocks so that two sealers can never publish
//! two histories.
//!
//! This is the tessera pattern moved onto PostgreSQL (`docs/protocol.md` §10.10):
//!
//! * **Sequencing and integration** ([`Sequencer::sequence`]): a batch gets its indices in one
//!   short transaction that first locks the log's coordination row (`board_logs`, `FOR
//!   UPDATE`), so that sequencers of the same log run one after the other. Inside it the node
//!   reads the entries other nodes sequenced since it last looked and hands them, with the
//!   batch's place, to the caller's `decide` (the election's rules catch up and judge the batch
//!   under the same lock), then stores the accepted entries *and* the tree nodes they complete
//!   (from the tree's right edge, loaded from the stored nodes when another node moved it), and
//!   commits. An index is acknowledged only after that commit, and it is never acknowledged
//!   before its leaf is part of the stored tree: integration is done by whichever node holds
//!   the coordination row, so exactly one node integrates at any moment.
//! * **Publishing** ([`Sealing`]): the node that holds the log's sealer lease (a row of
//!   `board_sealers` with an expiry on the database's clock) seals blocks; the others skip. A
//!   lease that is not renewed (the sealer died, or stalls) expires and the next node to look
//!   takes it, so the board keeps growing from where it was.
//! * **No fork**: the lease is only for liveness. What makes one history is the insert of a
//!   block ([`insert_block_cas`]): a block `n` is stored only if block `n − 1` is the one it
//!   names (its header hash) and seals fewer entries, and only if no block `n` and no block of
//!   its size exist (`ON CONFLICT DO NOTHING` on both keys). Its root comes from the stored
//!   tree nodes, which are written once (primary key), and the sealer checks a consistency
//!   proof from the previous block's root before it signs. So two nodes that both believe they
//!   are the sealer store at most one block of each number and of each size, each one extending
//!   the last: the loser's signature is never published.
//!
//! * **Never beside a single-node writer**: a single-node writer holds the log's writer lock
//!   (an advisory lock) exclusively, on the connection it writes with, for as long as it runs.
//!   Every write transaction of a node (sequencing, a block, the sealer lease) first takes the
//!   same lock in shared mode *for that transaction* ([`hold_shared`]), and writes nothing if it
//!   cannot. The shared lock a node also holds for its whole session, on another connection, is
//!   only an early refusal at open: if that connection drops, a single-node writer may take the
//!   lock, but then no node writes until it is gone, and no node transaction that started
//!   before is still running when it takes it (it would have held the lock in shared mode). A
//!   single-node writer also refuses to open while a node holds a valid sealer lease
//!   ([`live_sealer`]), so that it does not silently take a live group's log over.
//!
//! A node frozen in the middle of a transaction (SIGSTOP) would hold the coordination row: each
//! connection sets `idle_in_transaction_session_timeout`, so PostgreSQL ends that session and
//! rolls its transaction back; when the node resumes its `COMMIT` fails and nothing is
//! acknowledged.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::Row as _;

use crate::entry::{Entry, EntryKind};
use crate::error::BoardError;
use crate::merkle::{Hash, NodeId};

use super::db::{self, BlockRow, NewNode};
use super::frontier::Frontier;
use super::AppendReceipt;

/// How long a transaction may sit idle (its node frozen or gone) before PostgreSQL ends its
/// session and releases its locks.
pub(crate) const IDLE_IN_TRANSACTION: Duration = Duration::from_secs(2);

/// The options of every connection of a shared log: a name the operator can see in
/// `pg_stat_activity`, and the idle-in-transaction timeout.
pub(crate) fn options(opts: PgConnectOptions) -> PgConnectOptions {
    opts.options([(
        "idle_in_transaction_session_timeout",
        format!("{}ms", IDLE_IN_TRANSACTION.as_millis()),
    )])
}

/// The sequencing side of a node: its own small pool (one transaction at a time per log on
/// this node; the caller serialises) and its cached right edge of the tree.
#[derive(Debug)]
pub(crate) struct Sequencer {
    pool: PgPool,
    log: i64,
    origin: String,
    frontier: tokio::sync::Mutex<Option<Frontier>>,
}

/// What a sequencing transaction hands to the caller's `decide`.
#[derive(Debug)]
pub struct Sequencing {
    /// The index the first entry of the batch will get: the log's size under the lock.
    pub start: u64,
    /// The entries from the caller's `known` size up to `start`, sequenced by other nodes (or
    /// by this one, in a transaction whose outcome it did not learn) since the caller last
    /// looked. Empty when the caller gave no `known`.
    pub missed: Vec<Entry>,
}

impl Sequencer {
    pub async fn connect(
        opts: PgConnectOptions,
        log: i64,
        origin: &str,
    ) -> Result<Self, BoardError> {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options(opts))
            .await?;
        Ok(Sequencer {
            pool,
            log,
            origin: origin.to_owned(),
            frontier: tokio::sync::Mutex::new(None),
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// One sequencing transaction: locks the coordination row, reads the log's size and the
    /// entries from `known` (if given) up to it, lets `decide` choose the entries to append
    /// (and compute its own answer `T`), stores them with their tree nodes and commits.
    /// Returns the receipts (empty if `decide` chose nothing) and `T`, or the error with `T`
    /// if `decide` ran (the caller takes back what it applied).
    pub async fn sequence<T>(
        &self,
        known: Option<u64>,
        decide: impl FnOnce(Sequencing) -> (Vec<Entry>, T) + Send,
    ) -> Result<(Vec<AppendReceipt>, T), (BoardError, Option<T>)> {
        let mut cached = self.frontier.lock().await;
        let plain = |e: BoardError| (e, None);
        let mut tx = self.pool.begin().await.map_err(|e| plain(e.into()))?;
        hold_shared(&mut tx, self.log, &self.origin)
            .await
            .map_err(plain)?;
        sqlx::query("SELECT log_id FROM board_logs WHERE log_id = $1 FOR UPDATE")
            .bind(self.log)
            .fetch_one(&mut *tx)
            .await
            .map_err(|e| plain(e.into()))?;
        let end: Option<i64> =
            sqlx::query_scalar("SELECT MAX(idx) FROM board_entries WHERE log_id = $1")
                .bind(self.log)
                .fetch_one(&mut *tx)
                .await
                .map_err(|e| plain(e.into()))?;
        let size = end.map_or(0, |m| m.saturating_add(1));
        let start = db::to_u64(size, "log size").map_err(plain)?;
        let mut missed = Vec::new();
        if let Some(known) = known {
            if known > start {
                return Err(plain(BoardError::Corrupt(format!(
                    "the caller has applied {known} entries, the log holds {start}"
                ))));
            }
            let rows = sqlx::query(
                "SELECT idx, kind, payload FROM board_entries \
                 WHERE log_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx",
            )
            .bind(self.log)
            .bind(db::to_i64(known).map_err(plain)?)
            .bind(size)
            .fetch_all(&mut *tx)
            .await
            .map_err(|e| plain(e.into()))?;
            for (expected, row) in (known..start).zip(&rows) {
                let idx: i64 = row.try_get(0).map_err(|e| plain(e.into()))?;
                let kind: i32 = row.try_get(1).map_err(|e| plain(e.into()))?;
                if db::to_u64(idx, "entry index").map_err(plain)? != expected {
                    return Err(plain(BoardError::Corrupt(format!(
                        "entry {expected} is missing"
                    ))));
                }
                let kind = u8::try_from(kind)
                    .ok()
                    .and_then(EntryKind::from_u8)
                    .ok_or_else(|| {
                        plain(BoardError::Corrupt(format!(
                            "entry {expected} has kind {kind}"
                        )))
                    })?;
                missed.push(Entry {
                    kind,
                    payload: row.try_get(2).map_err(|e| plain(e.into()))?,
                });
            }
            if (missed.len() as u64) != start - known {
                return Err(plain(BoardError::Corrupt(format!(
                    "entry {} is missing",
                    known + missed.len() as u64
                ))));
            }
        }
        let (entries, answer) = decide(Sequencing { start, missed });
        if entries.is_empty() {
            let _ = tx.rollback().await;
            return Ok((Vec::new(), answer));
        }
        match self.store(&mut tx, start, &entries, cached.take()).await {
            Ok((frontier, receipts)) => match tx.commit().await {
                Ok(()) => {
                    *cached = Some(frontier);
                    Ok((receipts, answer))
                }
                Err(e) => Err((BoardError::CommitFailed(e.to_string()), Some(answer))),
            },
            Err(e) => Err((e, Some(answer))),
        }
    }

    /// Stores `entries` from index `start` with the tree nodes they complete; returns the
    /// right edge after them and the receipts.
    async fn store(
        &self,
        tx: &mut sqlx::PgConnection,
        start: u64,
        entries: &[Entry],
        cached: Option<Frontier>,
    ) -> Result<(Frontier, Vec<AppendReceipt>), BoardError> {
        // The right edge at `start`: this node's own if nobody moved it, else the stored one.
        let mut frontier = match cached {
            Some(f) if f.size() == start => f,
            _ => {
                let map = load_nodes(tx, self.log, &Frontier::ids(start)).await?;
                Frontier::load(start, &map)
                    .map_err(|e| BoardError::Corrupt(format!("the tree's right edge: {e}")))?
            }
        };
        let mut receipts = Vec::with_capacity(entries.len());
        let (mut idx, mut kinds, mut payloads) = (Vec::new(), Vec::new(), Vec::new());
        let mut nodes = Vec::new();
        for entry in entries {
            let leaf = entry.leaf_hash()?;
            let index = frontier.size();
            for (id, hash) in frontier.push(leaf)? {
                nodes.push(NewNode::new(id, hash)?);
            }
            idx.push(db::to_i64(index)?);
            kinds.push(i32::from(entry.kind.to_u8()));
            payloads.push(entry.payload.as_slice());
            receipts.push(AppendReceipt {
                index,
                leaf_hash: leaf,
            });
        }
        sqlx::query(
            "INSERT INTO board_entries (log_id, idx, kind, payload) \
             SELECT $1, t.idx, t.kind, t.payload \
             FROM UNNEST($2::bigint[], $3::int[], $4::bytea[]) AS t(idx, kind, payload)",
        )
        .bind(self.log)
        .bind(&idx)
        .bind(&kinds)
        .bind(&payloads)
        .execute(&mut *tx)
        .await?;
        let level: Vec<i32> = nodes.iter().map(|n| n.level).collect();
        let nidx: Vec<i64> = nodes.iter().map(|n| n.idx).collect();
        let hash: Vec<&[u8]> = nodes.iter().map(|n| n.hash.0.as_slice()).collect();
        sqlx::query(
            "INSERT INTO board_nodes (log_id, level, idx, hash) \
             SELECT $1, t.level, t.idx, t.hash \
             FROM UNNEST($2::int[], $3::bigint[], $4::bytea[]) AS t(level, idx, hash)",
        )
        .bind(self.log)
        .bind(&level)
        .bind(&nidx)
        .bind(&hash)
        .execute(&mut *tx)
        .await?;
        Ok((frontier, receipts))
    }
}

/// Takes the log's writer lock in shared mode until the end of the transaction `tx` (without
/// waiting): [`BoardError::HeldBySingleWriter`] if a single-node writer holds it exclusively.
/// Every write transaction of a node begins with it, so that a node never writes beside a
/// single-node writer, whatever became of the connection that holds the node's session lock.
pub(crate) async fn hold_shared(
    tx: &mut sqlx::PgConnection,
    log: i64,
    origin: &str,
) -> Result<(), BoardError> {
    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_xact_lock_shared($1, $2)")
        .bind(db::LOCK_CLASS)
        .bind(db::lock_key(log)?)
        .fetch_one(&mut *tx)
        .await?;
    if got {
        Ok(())
    } else {
        Err(BoardError::HeldBySingleWriter {
            origin: origin.to_owned(),
        })
    }
}

/// The node that holds a valid sealer lease of the log, if any: what a single-node writer
/// looks at, holding the writer lock exclusively, before it writes (no node can renew a lease
/// meanwhile: renewing takes the lock in shared mode).
pub(crate) async fn live_sealer(
    conn: &mut sqlx::PgConnection,
    log: i64,
) -> Result<Option<String>, BoardError> {
    let row: Option<(String,)> = sqlx::query_as(
        "SELECT holder FROM board_sealers WHERE log_id = $1 AND holder <> '' \
         AND expires_ms >= (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint",
    )
    .bind(log)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|(h,)| h))
}

async fn load_nodes(
    tx: &mut sqlx::PgConnection,
    log: i64,
    ids: &[NodeId],
) -> Result<std::collections::HashMap<NodeId, Hash>, BoardError> {
    let levels: Vec<i32> = ids.iter().map(|id| i32::from(id.level)).collect();
    let indices = ids
        .iter()
        .map(|id| db::to_i64(id.index))
        .collect::<Result<Vec<i64>, _>>()?;
    let rows: Vec<(i32, i64, Vec<u8>)> = sqlx::query_as(
        "SELECT q.level, q.idx, n.hash \
         FROM UNNEST($2::int[], $3::bigint[]) AS q(level, idx) \
         CROSS JOIN LATERAL (SELECT hash FROM board_nodes \
             WHERE log_id = $1 AND level = q.level AND idx = q.idx) AS n",
    )
    .bind(log)
    .bind(&levels)
    .bind(&indices)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = std::collections::HashMap::with_capacity(rows.len());
    for (level, idx, hash) in rows {
        let level = u8::try_from(level).map_err(|_| BoardError::Corrupt("node level".into()))?;
        out.insert(
            NodeId::new(level, db::to_u64(idx, "node index")?),
            db::to_hash(&hash, "node hash")?,
        );
    }
    Ok(out)
}

/// Takes or renews the log's sealer lease for `holder` for `lease`, on the database's clock:
/// true if `holder` holds it now (it held it, or the last holder's lease expired).
pub(crate) async fn acquire_lease(
    pool: &PgPool,
    log: i64,
    origin: &str,
    holder: &str,
    lease: Duration,
) -> Result<bool, BoardError> {
    const NOW: &str = "(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint";
    let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2);
    let mut tx = pool.begin().await?;
    hold_shared(&mut tx, log, origin).await?;
    sqlx::query(
        "INSERT INTO board_sealers (log_id, holder, expires_ms) VALUES ($1, '', 0) \
         ON CONFLICT (log_id) DO NOTHING",
    )
    .bind(log)
    .execute(&mut *tx)
    .await?;
    let sql = format!(
        "UPDATE board_sealers SET holder = $2, expires_ms = {NOW} + $3 \
         WHERE log_id = $1 AND (holder = $2 OR expires_ms < {NOW})"
    );
    let done = sqlx::query(&sql)
        .bind(log)
        .bind(holder)
        .bind(lease_ms)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease up (a clean stop), so that another node takes it at its next look.
pub(crate) async fn release_lease(pool: &PgPool, log: i64, holder: &str) -> Result<(), BoardError> {
    sqlx::query("UPDATE board_sealers SET expires_ms = 0 WHERE log_id = $1 AND holder = $2")
        .bind(log)
        .bind(holder)
        .execute(pool)
        .await?;
    Ok(())
}

/// The holder of the log's sealer lease and whether it is still valid.
pub(crate) async fn lease_holder(pool: &PgPool, log: i64) -> Result<Option<String>, BoardError> {
    let row: Option<(String, bool)> = sqlx::query_as(
        "SELECT holder, expires_ms >= (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::bigint \
         FROM board_sealers WHERE log_id = $1",
    )
    .bind(log)
    .fetch_optional(pool)
    .await?;
    Ok(row.and_then(|(h, valid)| valid.then_some(h)))
}

/// Stores block `b` only if it extends the stored chain: block `b.number − 1` is the one whose
/// header hash `b` names and seals fewer entries (or `b` is block 0 of an empty chain), and no
/// block of its number or of its size exists. Returns whether it was stored.
pub(crate) async fn insert_block_cas(
    pool: &PgPool,
    log: i64,
    origin: &str,
    b: &BlockRow,
) -> Result<bool, BoardError> {
    const SQL: &str = "INSERT INTO board_blocks \
        (log_id, block_number, prev_hash, time_ms, tree_size, root, checkpoint, header_hash) \
        SELECT $1, $2, $3, $4, $5, $6, $7, $8 \
        WHERE ($2 = 0 AND NOT EXISTS (SELECT 1 FROM board_blocks WHERE log_id = $1)) \
           OR EXISTS (SELECT 1 FROM board_blocks WHERE log_id = $1 AND block_number = $2 - 1 \
                      AND header_hash = $3 AND tree_size < $5) \
        ON CONFLICT DO NOTHING";
    let mut tx = pool.begin().await?;
    hold_shared(&mut tx, log, origin).await?;
    let done = sqlx::query(SQL)
        .bind(log)
        .bind(b.number)
        .bind(b.prev_hash.as_slice())
        .bind(b.time_ms)
        .bind(b.tree_size)
        .bind(b.root.as_slice())
        .bind(b.checkpoint.as_str())
        .bind(b.header_hash.as_slice())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}
