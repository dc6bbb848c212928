//! Reads from a PostgreSQL streaming replica ([`ReadReplica`], [`crate::Board::for_readers`]):
//! the public reads of a board (entries, receipts, proofs, checkpoints, blocks) may be served
//! from a hot standby of the primary, so that voters' and observers' polling does not load
//! the primary. Writes, and every read the election's rules make, stay on the primary.
//!
//! Why a replica's answer is never wrong, only late: every table a read touches is written
//! once (entries, tree nodes, blocks and cosignatures are only ever inserted, under primary
//! keys), and a log's writes are committed one after the other (one writer, or the nodes under
//! the log's coordination row), each entry's tree nodes in the same transaction as the entry,
//! each block after the tree it seals. A streaming replica makes the primary's commits visible
//! in commit order, so what it shows at any moment is the log as the primary had it at an
//! earlier one: a prefix. Each read is bounded by what the *replica* holds, never by what this
//! process knows the primary holds: its tree size (the leaves stored on the replica), its
//! blocks. A proof is computed only for a tree size the replica holds, from the replica's
//! stored nodes; a receipt only against a block the replica has. So a proof is always for the
//! size the client asked, against a checkpoint the replica has (and the primary signed), and a
//! request beyond the replica is answered "not yet" ([`crate::BoardError::NotReplicated`], or
//! a receipt that is not sealed yet) when the primary has it, never with an older answer in
//! place of the one asked for.
//!
//! Every connection to the replica is read-only (`default_transaction_read_only`), so a
//! misconfigured URL (the primary itself) cannot be written through this path either.

use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::error::BoardError;

use super::db;

/// A connection pool to a PostgreSQL streaming replica of the board's database, shared by the
/// boards of every election of a service ([`super::BoardConfig::read_replica`]).
#[derive(Debug, Clone)]
pub struct ReadReplica {
    pub(crate) pool: PgPool,
}

impl ReadReplica {
    /// Connects to the replica at `url` (`postgres://…`) with at most `max_connections`
    /// read-only connections. Refused for anything but PostgreSQL: SQLite has no replicas.
    pub async fn connect(url: &str, max_connections: u32) -> Result<ReadReplica, BoardError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(BoardError::Config(
                "a read database is a PostgreSQL streaming replica (postgres://…); SQLite has \
                 none: serve every read from the one database"
                    .to_owned(),
            ));
        }
        let opts = db::pg_options(url)?
            .application_name("psephos-board-reads")
            .options([("default_transaction_read_only", "on")]);
        let pool = PgPoolOptions::new()
            .max_connections(max_connections.max(1))
            .connect_with(opts)
            .await?;
        Ok(ReadReplica { pool })
    }

    /// Whether the replica answers.
    pub async fn ping(&self) -> Result<(), BoardError> {
        let _: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    /// Closes the pool (after every board that uses it is closed).
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Checks that the replica's log `origin`, if it has it yet, is the primary's: the same
    /// id and board key (a replica of another database is refused).
    pub(crate) async fn check_log(
        &self,
        origin: &str,
        log: i64,
        board_key: &str,
    ) -> Result<(), BoardError> {
        let row: Result<Option<(i64, String)>, sqlx::Error> =
            sqlx::query_as("SELECT log_id, board_key FROM board_logs WHERE origin = $1")
                .bind(origin)
                .fetch_optional(&self.pool)
                .await;
        let row = match row {
            Ok(row) => row,
            // A replica that has not replayed the schema yet (undefined table): nothing to
            // compare; its reads answer "not yet" until it has.
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => None,
            Err(e) => return Err(e.into()),
        };
        match row {
            Some((id, key)) if id != log || key != board_key => Err(BoardError::Config(format!(
                "the read database is not a replica of the board's database: its log \
                 {origin:?} is log {id} with key {key}, the primary's is log {log} with key \
                 {board_key}"
            ))),
            _ => Ok(()),
        }
    }
}
