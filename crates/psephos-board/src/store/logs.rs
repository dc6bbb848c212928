//! The logs a database holds, seen from outside any open board: listed, and an empty one
//! removed.
//!
//! A service creates an election by opening its board (which creates the log's row) and then
//! storing the election in its own catalog; a failure between the two leaves a log no election
//! names. Such a log is harmless (a later creation of the same id reopens it), but it is clutter
//! and hides a failure, so the service removes it — only while it is *empty*: no entry, no
//! block, no snapshot was ever stored, so nothing anyone could have seen or signed is lost. A
//! log with anything in it is never removed here: the service reports it and leaves it to a
//! person.
//!
//! Removal is safe against a board that has the log open: on PostgreSQL every open board holds
//! the log's writer lock (exclusive, or shared between nodes), so the removal first takes that
//! lock exclusively without waiting and removes nothing if it cannot; SQLite is one node's
//! store, whose service creates its elections one at a time.

use super::db::{self, Conn, LOCK_CLASS};
use crate::error::BoardError;

/// One log of the database.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoredLog {
    pub log_id: i64,
    pub origin: String,
    /// When the log was created (milliseconds since the Unix epoch).
    pub created_ms: i64,
    /// Nothing was ever stored in it: no entry, no block, no snapshot.
    pub empty: bool,
}

const EMPTY: &str =
    "NOT EXISTS (SELECT 1 FROM board_entries e WHERE e.log_id = board_logs.log_id) \
    AND NOT EXISTS (SELECT 1 FROM board_blocks b WHERE b.log_id = board_logs.log_id) \
    AND NOT EXISTS (SELECT 1 FROM board_snapshots s WHERE s.log_id = board_logs.log_id)";

/// Every log of the database at `url` (the board's tables are created if absent).
pub async fn stored_logs(url: &str) -> Result<Vec<StoredLog>, BoardError> {
    let (mut conn, pool) = db::connect(url, 1, false, None).await?;
    pool.close().await;
    let sql = format!(
        "SELECT log_id, origin, created_ms, CASE WHEN {EMPTY} THEN 1 ELSE 0 END \
         FROM board_logs ORDER BY log_id"
    );
    let rows: Result<Vec<(i64, String, i64, i32)>, sqlx::Error> = match &mut conn {
        Conn::Sqlite(c) => sqlx::query_as(&sql).fetch_all(&mut *c).await,
        Conn::Postgres(c) => sqlx::query_as(&sql).fetch_all(&mut *c).await,
    };
    let _ = conn.close().await;
    Ok(rows?
        .into_iter()
        .map(|(log_id, origin, created_ms, empty)| StoredLog {
            log_id,
            origin,
            created_ms,
            empty: empty == 1,
        })
        .collect())
}

/// Removes the log of `origin` from the database at `url` if it is empty (see [`StoredLog`]),
/// was created before `created_before_ms`, and no board has it open (PostgreSQL: its writer
/// lock is free). Returns whether it was removed; a log that is not there is not removed.
pub async fn remove_empty_log(
    url: &str,
    origin: &str,
    created_before_ms: i64,
) -> Result<bool, BoardError> {
    let (mut conn, pool) = db::connect(url, 1, false, None).await?;
    pool.close().await;
    let removed = remove(&mut conn, origin, created_before_ms).await;
    let _ = conn.close().await;
    removed
}

async fn remove(conn: &mut Conn, origin: &str, before: i64) -> Result<bool, BoardError> {
    let found: Option<i64> = match conn {
        Conn::Sqlite(c) => {
            sqlx::query_scalar("SELECT log_id FROM board_logs WHERE origin = $1")
                .bind(origin)
                .fetch_optional(&mut *c)
                .await?
        }
        Conn::Postgres(c) => {
            sqlx::query_scalar("SELECT log_id FROM board_logs WHERE origin = $1")
                .bind(origin)
                .fetch_optional(&mut *c)
                .await?
        }
    };
    let Some(log) = found else {
        return Ok(false);
    };
    let delete = format!(
        "DELETE FROM board_logs WHERE log_id = $1 AND created_ms < $2 AND {EMPTY} \
         RETURNING log_id"
    );
    let others = [
        "DELETE FROM board_nodes WHERE log_id = $1",
        "DELETE FROM board_cosignatures WHERE log_id = $1",
        "DELETE FROM board_sealers WHERE log_id = $1",
    ];
    match conn {
        Conn::Sqlite(c) => {
            let mut tx = sqlx::Connection::begin(&mut *c).await?;
            let gone: Option<i64> = sqlx::query_scalar(&delete)
                .bind(log)
                .bind(before)
                .fetch_optional(&mut *tx)
                .await?;
            if gone.is_some() {
                for sql in others {
                    sqlx::query(sql).bind(log).execute(&mut *tx).await?;
                }
            }
            tx.commit().await?;
            Ok(gone.is_some())
        }
        Conn::Postgres(c) => {
            let key = db::lock_key(log)?;
            let free: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                .bind(LOCK_CLASS)
                .bind(key)
                .fetch_one(&mut *c)
                .await?;
            if !free {
                return Ok(false);
            }
            let removed = async {
                let mut tx = sqlx::Connection::begin(&mut *c).await?;
                let gone: Option<i64> = sqlx::query_scalar(&delete)
                    .bind(log)
                    .bind(before)
                    .fetch_optional(&mut *tx)
                    .await?;
                if gone.is_some() {
                    for sql in others {
                        sqlx::query(sql).bind(log).execute(&mut *tx).await?;
                    }
                }
                tx.commit().await?;
                Ok::<_, sqlx::Error>(gone.is_some())
            }
            .await;
            let _: Result<bool, sqlx::Error> =
                sqlx::query_scalar("SELECT pg_advisory_unlock($1, $2)")
                    .bind(LOCK_CLASS)
                    .bind(key)
                    .fetch_one(&mut *c)
                    .await;
            Ok(removed?)
        }
    }
}
