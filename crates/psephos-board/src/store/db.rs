//! The two storage engines behind one small enum, the schema and its
//! migrations, and every SQL statement the board runs.
//!
//! SQLite (one file, WAL, `synchronous=FULL`) is the embedded default;
//! PostgreSQL serves when several server processes share one board. The SQL
//! is shared where the dialects agree (both accept `$N` parameters); the bulk
//! inserts and the node look-up differ: PostgreSQL takes whole columns as
//! arrays through `UNNEST` (one statement shape for any batch), SQLite takes
//! multi-row `VALUES`. Queries are checked at run time (`sqlx::query`), so
//! building needs no database.
//!
//! Every table carries a `log_id` from `board_logs`, so several elections'
//! logs may share one database; the migrations are versioned and recorded by
//! sqlx in `_sqlx_migrations` (versions `2026112401…`, unlikely to clash with
//! another component's; missing foreign versions are ignored).

use std::borrow::Cow;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions as _, Connection as _, Row as _};

use crate::error::BoardError;
use crate::merkle::{Hash, NodeId};

/// Versioned schema migrations: (version, description, SQLite SQL, PostgreSQL SQL).
const MIGRATIONS: &[(i64, &str, &str, &str)] = &[
    (
        2026112401,
        "board log, entries, tree nodes, blocks, cosignatures",
        r#"
CREATE TABLE board_logs (
    log_id     INTEGER PRIMARY KEY,
    origin     TEXT    NOT NULL UNIQUE,
    board_key  TEXT    NOT NULL,
    created_ms INTEGER NOT NULL
);
CREATE TABLE board_entries (
    log_id  INTEGER NOT NULL,
    idx     INTEGER NOT NULL,
    kind    INTEGER NOT NULL,
    payload BLOB    NOT NULL,
    PRIMARY KEY (log_id, idx)
);
CREATE TABLE board_nodes (
    log_id INTEGER NOT NULL,
    level  INTEGER NOT NULL,
    idx    INTEGER NOT NULL,
    hash   BLOB    NOT NULL,
    PRIMARY KEY (log_id, level, idx)
) WITHOUT ROWID;
CREATE TABLE board_blocks (
    log_id      INTEGER NOT NULL,
    block_number INTEGER NOT NULL,
    prev_hash   BLOB    NOT NULL,
    time_ms     INTEGER NOT NULL,
    tree_size   INTEGER NOT NULL,
    root        BLOB    NOT NULL,
    checkpoint  TEXT    NOT NULL,
    header_hash BLOB    NOT NULL,
    PRIMARY KEY (log_id, block_number),
    UNIQUE (log_id, tree_size)
);
CREATE TABLE board_cosignatures (
    log_id      INTEGER NOT NULL,
    tree_size   INTEGER NOT NULL,
    witness     TEXT    NOT NULL,
    key_id      INTEGER NOT NULL,
    timestamp   INTEGER NOT NULL,
    line        TEXT    NOT NULL,
    received_ms INTEGER NOT NULL,
    PRIMARY KEY (log_id, tree_size, witness, key_id)
);
"#,
        r#"
CREATE TABLE board_logs (
    log_id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    origin     TEXT   NOT NULL UNIQUE,
    board_key  TEXT   NOT NULL,
    created_ms BIGINT NOT NULL
);
CREATE TABLE board_entries (
    log_id  BIGINT  NOT NULL,
    idx     BIGINT  NOT NULL,
    kind    INTEGER NOT NULL,
    payload BYTEA   NOT NULL,
    PRIMARY KEY (log_id, idx)
);
CREATE TABLE board_nodes (
    log_id BIGINT  NOT NULL,
    level  INTEGER NOT NULL,
    idx    BIGINT  NOT NULL,
    hash   BYTEA   NOT NULL,
    PRIMARY KEY (log_id, level, idx)
);
CREATE TABLE board_blocks (
    log_id      BIGINT NOT NULL,
    block_number BIGINT NOT NULL,
    prev_hash   BYTEA  NOT NULL,
    time_ms     BIGINT NOT NULL,
    tree_size   BIGINT NOT NULL,
    root        BYTEA  NOT NULL,
    checkpoint  TEXT   NOT NULL,
    header_hash BYTEA  NOT NULL,
    PRIMARY KEY (log_id, block_number),
    UNIQUE (log_id, tree_size)
);
CREATE TABLE board_cosignatures (
    log_id      BIGINT NOT NULL,
    tree_size   BIGINT NOT NULL,
    witness     TEXT   NOT NULL,
    key_id      BIGINT NOT NULL,
    timestamp   BIGINT NOT NULL,
    line        TEXT   NOT NULL,
    received_ms BIGINT NOT NULL,
    PRIMARY KEY (log_id, tree_size, witness, key_id)
);
"#,
    ),
    (
        2026112402,
        "board snapshots: one authenticated snapshot of the caller's state per log",
        r#"
CREATE TABLE board_snapshots (
    log_id    INTEGER PRIMARY KEY,
    tree_size INTEGER NOT NULL,
    root      BLOB    NOT NULL,
    mac       BLOB    NOT NULL,
    data      BLOB    NOT NULL
);
"#,
        r#"
CREATE TABLE board_snapshots (
    log_id    BIGINT PRIMARY KEY,
    tree_size BIGINT NOT NULL,
    root      BYTEA  NOT NULL,
    mac       BYTEA  NOT NULL,
    data      BYTEA  NOT NULL
);
"#,
    ),
    (
        2026120401,
        "board sealers: the lease of the node that seals a log shared by several nodes",
        r#"
CREATE TABLE board_sealers (
    log_id     INTEGER PRIMARY KEY,
    holder     TEXT    NOT NULL,
    expires_ms INTEGER NOT NULL
);
"#,
        r#"
CREATE TABLE board_sealers (
    log_id     BIGINT PRIMARY KEY,
    holder     TEXT   NOT NULL,
    expires_ms BIGINT NOT NULL
);
"#,
    ),
    (
        2026120410,
        "board entries by kind: the explorer's pages of one kind (ballots, ceremony messages) \
         read by an index range, never a scan",
        "CREATE INDEX board_entries_kind ON board_entries (log_id, kind, idx);",
        "CREATE INDEX board_entries_kind ON board_entries (log_id, kind, idx);",
    ),
];

/// Which engine a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub(crate) fn of(url: &str) -> Result<Self, BoardError> {
        if url.starts_with("sqlite:") {
            Ok(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Engine::Postgres)
        } else {
            Err(BoardError::UnsupportedUrl)
        }
    }
}

#[derive(Debug)]
struct Embedded(Engine);

impl MigrationSource<'static> for Embedded {
    #[allow(clippy::type_complexity)]
    fn resolve(
        self,
    ) -> Pin<
        Box<dyn Future<Output = Result<Vec<Migration>, sqlx::error::BoxDynError>> + Send + 'static>,
    > {
        let engine = self.0;
        Box::pin(async move {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sqlite, postgres)| {
                    let sql = match engine {
                        Engine::Sqlite => sqlite,
                        Engine::Postgres => postgres,
                    };
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// The read pool.
#[derive(Debug, Clone)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// The writer's own connection (all writes go through one connection).
#[derive(Debug)]
pub(crate) enum Conn {
    Sqlite(SqliteConnection),
    Postgres(PgConnection),
}

macro_rules! on_pool {
    ($pool:expr, |$p:ident| $body:expr) => {
        match $pool {
            Pool::Sqlite($p) => $body,
            Pool::Postgres($p) => $body,
        }
    };
}

macro_rules! on_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => $body,
            Conn::Postgres($c) => $body,
        }
    };
}

/// Connects the writer connection and the read pool for `url`, and applies
/// the migrations.
pub(crate) async fn connect(
    url: &str,
    read_connections: u32,
    shared: bool,
    existing: Option<Pool>,
) -> Result<(Conn, Pool), BoardError> {
    let engine = Engine::of(url)?;
    if shared && engine == Engine::Sqlite {
        return Err(BoardError::Config(
            "several nodes on one log need PostgreSQL (postgres://…): SQLite is the embedded \
             store of one node; run one `psephos serve` on it, or move the board to PostgreSQL"
                .to_owned(),
        ));
    }
    let mut migrator = Migrator::new(Embedded(engine)).await?;
    migrator.set_ignore_missing(true);
    match engine {
        Engine::Sqlite => {
            let opts = SqliteConnectOptions::from_str(url)?;
            let name = opts.get_filename().to_string_lossy().into_owned();
            if name.is_empty() || name == ":memory:" || url.contains("mode=memory") {
                return Err(BoardError::Config(
                    "in-memory SQLite is not supported: the board uses several connections; \
                     give a file (sqlite://path?mode=rwc)"
                        .to_owned(),
                ));
            }
            let opts = sqlite_options(opts);
            // SQLite's own page cache, per connection (negative: KiB). The file's pages are in
            // the operating system's cache anyway; SQLite's keeps what a connection reuses (the
            // tree's right edge for the writer). Small on purpose: a service hosts many
            // elections, each with its own connections, and the start's checks read every
            // election's whole log — with 32 MiB per connection an idle election of 20,000
            // voters held 95 MiB after a start (`psephos bench memory`).
            let mut conn = opts.clone().pragma("cache_size", "-8192").connect().await?;
            migrator.run(&mut conn).await?;
            let pool = match existing {
                Some(p) => p,
                None => Pool::Sqlite(
                    SqlitePoolOptions::new()
                        .max_connections(read_connections.max(1))
                        .connect_with(opts.pragma("cache_size", "-2048"))
                        .await?,
                ),
            };
            Ok((Conn::Sqlite(conn), pool))
        }
        Engine::Postgres => {
            let mut opts = pg_options(url)?;
            if shared {
                opts = super::shared::options(opts);
            }
            let mut conn = opts.connect().await?;
            migrator.run(&mut conn).await?;
            let pool = match existing {
                Some(p) => p,
                None => Pool::Postgres(
                    PgPoolOptions::new()
                        .max_connections(read_connections.max(1))
                        .connect_with(opts)
                        .await?,
                ),
            };
            Ok((Conn::Postgres(conn), pool))
        }
    }
}

/// A SQLite writer connection alone, with the migrations applied and the canonical path of the
/// database file: the connection of a [`super::CommitGroup`].
pub(crate) async fn sqlite_writer(
    url: &str,
) -> Result<(SqliteConnection, std::path::PathBuf), BoardError> {
    if Engine::of(url)? != Engine::Sqlite {
        return Err(BoardError::Config(
            "a commit group is for the boards of one SQLite database: on PostgreSQL each \
             board commits on its own connection (the server shares the WAL flushes of \
             concurrent commits)"
                .to_owned(),
        ));
    }
    let opts = SqliteConnectOptions::from_str(url)?;
    let name = opts.get_filename().to_path_buf();
    if name.as_os_str().is_empty() || name.as_os_str() == ":memory:" || url.contains("mode=memory")
    {
        return Err(BoardError::Config(
            "in-memory SQLite is not supported: give a file (sqlite://path?mode=rwc)".to_owned(),
        ));
    }
    let mut migrator = Migrator::new(Embedded(Engine::Sqlite)).await?;
    migrator.set_ignore_missing(true);
    let mut conn = sqlite_options(opts)
        .pragma("cache_size", "-8192")
        .connect()
        .await?;
    migrator.run(&mut conn).await?;
    Ok((conn, sqlite_file(&name)))
}

/// The canonical path of a SQLite database file (as given if it cannot be resolved): what tells
/// whether a board and a commit group are on the same database.
pub(crate) fn sqlite_file(name: &std::path::Path) -> std::path::PathBuf {
    std::fs::canonicalize(name).unwrap_or_else(|_| name.to_path_buf())
}

/// The canonical path of the SQLite database at `url`, if it is one.
pub(crate) fn sqlite_file_of(url: &str) -> Option<std::path::PathBuf> {
    let opts = SqliteConnectOptions::from_str(url).ok()?;
    Some(sqlite_file(opts.get_filename()))
}

/// Every SQLite connection's settings. 16 KiB pages: a 2 KiB entry row does not fit twice in a
/// 4 KiB page, which would waste half the file; larger pages would make each small commit
/// write more to the WAL.
fn sqlite_options(opts: SqliteConnectOptions) -> SqliteConnectOptions {
    opts.page_size(16384)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(Duration::from_secs(30))
        .statement_cache_capacity(512)
}

/// A read pool alone, as [`connect`] makes it, for boards to share
/// ([`super::SharedReadPool`]).
pub(crate) async fn read_pool(
    url: &str,
    read_connections: u32,
    shared: bool,
) -> Result<Pool, BoardError> {
    match Engine::of(url)? {
        Engine::Sqlite => {
            let opts =
                sqlite_options(SqliteConnectOptions::from_str(url)?).pragma("cache_size", "-2048");
            Ok(Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(read_connections.max(1))
                    .connect_with(opts)
                    .await?,
            ))
        }
        Engine::Postgres => {
            let mut opts = pg_options(url)?;
            if shared {
                opts = super::shared::options(opts);
            }
            Ok(Pool::Postgres(
                PgPoolOptions::new()
                    .max_connections(read_connections.max(1))
                    .connect_with(opts)
                    .await?,
            ))
        }
    }
}

/// The class of the log writer lock's two-key advisory lock (`'psep'`); the second key is the
/// log's id ([`lock_key`]).
pub(crate) const LOCK_CLASS: i32 = 0x7073_6570;

/// The second key of a log's writer lock: its id.
pub(crate) fn lock_key(log: i64) -> Result<i32, BoardError> {
    i32::try_from(log).map_err(|_| BoardError::Corrupt(format!("log id {log}")))
}

/// The PostgreSQL connection options of `url`.
pub(crate) fn pg_options(url: &str) -> Result<PgConnectOptions, BoardError> {
    Ok(PgConnectOptions::from_str(url)?
        .application_name("psephos-board")
        .statement_cache_capacity(512))
}

// ---------------------------------------------------------------------------
// Conversions between stored values and protocol values.

pub(crate) fn to_i64(v: u64) -> Result<i64, BoardError> {
    i64::try_from(v).map_err(|_| BoardError::Corrupt(format!("value {v} does not fit the store")))
}

pub(crate) fn to_u64(v: i64, what: &str) -> Result<u64, BoardError> {
    u64::try_from(v).map_err(|_| BoardError::Corrupt(format!("negative {what} {v}")))
}

pub(crate) fn to_hash(v: &[u8], what: &str) -> Result<Hash, BoardError> {
    Hash::from_slice(v)
        .ok_or_else(|| BoardError::Corrupt(format!("{what} is {} bytes, not 32", v.len())))
}

pub(crate) fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// An entry row as stored.
#[derive(Debug)]
pub(crate) struct EntryRow {
    pub idx: i64,
    pub kind: i32,
    pub payload: Vec<u8>,
}

/// A block row as stored.
#[derive(Debug)]
pub(crate) struct BlockRow {
    /// The block number.
    pub number: i64,
    pub prev_hash: Vec<u8>,
    pub time_ms: i64,
    pub tree_size: i64,
    pub root: Vec<u8>,
    pub checkpoint: String,
    pub header_hash: Vec<u8>,
}

/// A cosignature row as stored.
#[derive(Debug)]
pub(crate) struct CosignatureRow {
    pub tree_size: i64,
    pub witness: String,
    pub key_id: i64,
    pub line: String,
}

/// A stored snapshot (see `Board::save_snapshot`).
#[derive(Debug)]
pub(crate) struct SnapshotRow {
    pub tree_size: i64,
    pub root: Vec<u8>,
    pub mac: Vec<u8>,
    pub data: Vec<u8>,
}

/// A new entry for the writer: index, kind byte, payload.
#[derive(Debug)]
pub(crate) struct NewEntry {
    pub idx: i64,
    pub kind: i32,
    pub payload: Vec<u8>,
}

/// A new stored node: level, index, hash.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NewNode {
    pub level: i32,
    pub idx: i64,
    pub hash: Hash,
}

impl NewNode {
    pub fn new(id: NodeId, hash: Hash) -> Result<Self, BoardError> {
        Ok(NewNode {
            level: i32::from(id.level),
            idx: to_i64(id.index)?,
            hash,
        })
    }
}

const BLOCK_COLUMNS: &str =
    "block_number, prev_hash, time_ms, tree_size, root, checkpoint, header_hash FROM board_blocks";

macro_rules! block_row {
    ($r:expr) => {
        BlockRow {
            number: $r.try_get(0)?,
            prev_hash: $r.try_get(1)?,
            time_ms: $r.try_get(2)?,
            tree_size: $r.try_get(3)?,
            root: $r.try_get(4)?,
            checkpoint: $r.try_get(5)?,
            header_hash: $r.try_get(6)?,
        }
    };
}

// ---------------------------------------------------------------------------
// Reads (through the pool).

impl Pool {
    pub async fn close(&self) {
        on_pool!(self, |p| p.close().await)
    }

    /// The PostgreSQL pool, if this is one.
    pub fn postgres(&self) -> Option<&PgPool> {
        match self {
            Pool::Postgres(p) => Some(p),
            Pool::Sqlite(_) => None,
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> Result<(), BoardError> {
        let _: i32 = on_pool!(self, |p| sqlx::query_scalar("SELECT 1")
            .fetch_one(p)
            .await?);
        Ok(())
    }

    /// One past the largest stored entry index (0 if none).
    pub async fn entries_end(&self, log: i64) -> Result<i64, BoardError> {
        const SQL: &str = "SELECT MAX(idx) FROM board_entries WHERE log_id = $1";
        let max: Option<i64> = on_pool!(self, |p| sqlx::query_scalar(SQL)
            .bind(log)
            .fetch_one(p)
            .await?);
        Ok(max.map_or(0, |m| m.saturating_add(1)))
    }

    /// One past the largest stored leaf hash index (0 if none).
    pub async fn leaves_end(&self, log: i64) -> Result<i64, BoardError> {
        const SQL: &str = "SELECT MAX(idx) FROM board_nodes WHERE log_id = $1 AND level = 0";
        let max: Option<i64> = on_pool!(self, |p| sqlx::query_scalar(SQL)
            .bind(log)
            .fetch_one(p)
            .await?);
        Ok(max.map_or(0, |m| m.saturating_add(1)))
    }

    /// Entries with `lo <= idx < hi`, in index order.
    pub async fn entries(&self, log: i64, lo: i64, hi: i64) -> Result<Vec<EntryRow>, BoardError> {
        const SQL: &str = "SELECT idx, kind, payload FROM board_entries \
                           WHERE log_id = $1 AND idx >= $2 AND idx < $3 ORDER BY idx";
        on_pool!(self, |p| {
            let rows = sqlx::query(SQL)
                .bind(log)
                .bind(lo)
                .bind(hi)
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(EntryRow {
                        idx: r.try_get(0)?,
                        kind: r.try_get(1)?,
                        payload: r.try_get(2)?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(BoardError::from)
        })
    }

    /// Up to `limit` entries of kind `kind`: with `Some(from)`, those with `idx >= from` in
    /// index order; with `before`, those with `idx < before`, newest first. One range of the
    /// `board_entries_kind` index on either engine.
    pub async fn entries_of_kind(
        &self,
        log: i64,
        kind: i32,
        from: Option<i64>,
        before: i64,
        limit: i64,
    ) -> Result<Vec<EntryRow>, BoardError> {
        const ASC: &str = "SELECT idx, kind, payload FROM board_entries \
                           WHERE log_id = $1 AND kind = $2 AND idx >= $3 ORDER BY idx LIMIT $4";
        const DESC: &str = "SELECT idx, kind, payload FROM board_entries \
                            WHERE log_id = $1 AND kind = $2 AND idx < $3 ORDER BY idx DESC LIMIT $4";
        let (sql, bound) = match from {
            Some(from) => (ASC, from),
            None => (DESC, before),
        };
        on_pool!(self, |p| {
            let rows = sqlx::query(sql)
                .bind(log)
                .bind(kind)
                .bind(bound)
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(EntryRow {
                        idx: r.try_get(0)?,
                        kind: r.try_get(1)?,
                        payload: r.try_get(2)?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(BoardError::from)
        })
    }

    /// Up to `limit` blocks with `block_number < before`, newest first.
    pub async fn blocks_before(
        &self,
        log: i64,
        before: i64,
        limit: i64,
    ) -> Result<Vec<BlockRow>, BoardError> {
        let sql = format!(
            "SELECT {BLOCK_COLUMNS} WHERE log_id = $1 AND block_number < $2 \
             ORDER BY block_number DESC LIMIT $3"
        );
        on_pool!(self, |p| {
            let rows = sqlx::query(&sql)
                .bind(log)
                .bind(before)
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| Ok(block_row!(r)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(BoardError::from)
        })
    }

    /// The query plan SQLite chooses for [`Pool::entries_of_kind`] (tests: the index is used).
    #[doc(hidden)]
    pub async fn explain_entries_of_kind(&self) -> Result<Option<String>, BoardError> {
        let Pool::Sqlite(p) = self else {
            return Ok(None);
        };
        let rows = sqlx::query(
            "EXPLAIN QUERY PLAN SELECT idx, kind, payload FROM board_entries \
             WHERE log_id = 1 AND kind = 4 AND idx >= 0 ORDER BY idx LIMIT 50",
        )
        .fetch_all(p)
        .await?;
        let mut plan = String::new();
        for r in rows {
            let detail: String = r.try_get(3)?;
            plan.push_str(&detail);
            plan.push('\n');
        }
        Ok(Some(plan))
    }

    /// The stored nodes among `ids` (absent ones are simply not returned).
    pub async fn nodes(
        &self,
        log: i64,
        ids: &[NodeId],
    ) -> Result<HashMap<NodeId, Hash>, BoardError> {
        let mut out = HashMap::with_capacity(ids.len());
        if ids.is_empty() {
            return Ok(out);
        }
        let levels: Vec<i32> = ids.iter().map(|id| i32::from(id.level)).collect();
        let indices = ids
            .iter()
            .map(|id| to_i64(id.index))
            .collect::<Result<Vec<i64>, _>>()?;
        let rows: Vec<(i32, i64, Vec<u8>)> = match self {
            Pool::Postgres(p) => {
                // A lateral join: one primary-key probe per wanted node,
                // whatever the planner thinks of the table's statistics.
                const SQL: &str = "SELECT q.level, q.idx, n.hash \
                    FROM UNNEST($2::int[], $3::bigint[]) AS q(level, idx) \
                    CROSS JOIN LATERAL (SELECT hash FROM board_nodes \
                        WHERE log_id = $1 AND level = q.level AND idx = q.idx) AS n";
                sqlx::query_as(SQL)
                    .bind(log)
                    .bind(&levels)
                    .bind(&indices)
                    .fetch_all(p)
                    .await?
            }
            Pool::Sqlite(p) => {
                let mut sql = String::with_capacity(96 + 12 * ids.len());
                sql.push_str(
                    "SELECT level, idx, hash FROM board_nodes WHERE log_id = $1 AND (level, idx) IN (VALUES ",
                );
                for i in 0..ids.len() {
                    if i > 0 {
                        sql.push(',');
                    }
                    sql.push_str(&format!("(${},${})", 2 * i + 2, 2 * i + 3));
                }
                sql.push(')');
                let mut q = sqlx::query_as(&sql).bind(log);
                for (l, i) in levels.iter().zip(&indices) {
                    q = q.bind(*l).bind(*i);
                }
                q.fetch_all(p).await?
            }
        };
        for (level, idx, hash) in rows {
            let level = u8::try_from(level)
                .map_err(|_| BoardError::Corrupt(format!("node level {level}")))?;
            let id = NodeId::new(level, to_u64(idx, "node index")?);
            out.insert(id, to_hash(&hash, "node hash")?);
        }
        Ok(out)
    }

    /// Nodes of `level` with `lo <= idx <= hi`, in index order.
    pub async fn node_range(
        &self,
        log: i64,
        level: u8,
        lo: i64,
        hi: i64,
    ) -> Result<Vec<(i64, Vec<u8>)>, BoardError> {
        const SQL: &str = "SELECT idx, hash FROM board_nodes \
            WHERE log_id = $1 AND level = $2 AND idx >= $3 AND idx <= $4 ORDER BY idx";
        let rows = on_pool!(self, |p| sqlx::query_as(SQL)
            .bind(log)
            .bind(i32::from(level))
            .bind(lo)
            .bind(hi)
            .fetch_all(p)
            .await?);
        Ok(rows)
    }

    /// The smallest index of a node of `level` at or after `from`, if any.
    pub async fn node_at_or_after(
        &self,
        log: i64,
        level: u8,
        from: i64,
    ) -> Result<Option<i64>, BoardError> {
        const SQL: &str = "SELECT idx FROM board_nodes \
            WHERE log_id = $1 AND level = $2 AND idx >= $3 ORDER BY idx LIMIT 1";
        let row = on_pool!(self, |p| sqlx::query_scalar(SQL)
            .bind(log)
            .bind(i32::from(level))
            .bind(from)
            .fetch_optional(p)
            .await?);
        Ok(row)
    }

    /// The log's stored snapshot, if any.
    pub async fn snapshot(&self, log: i64) -> Result<Option<SnapshotRow>, BoardError> {
        const SQL: &str =
            "SELECT tree_size, root, mac, data FROM board_snapshots WHERE log_id = $1";
        on_pool!(self, |p| {
            let row = sqlx::query(SQL).bind(log).fetch_optional(p).await?;
            match row {
                Some(r) => Ok(Some(SnapshotRow {
                    tree_size: r.try_get(0)?,
                    root: r.try_get(1)?,
                    mac: r.try_get(2)?,
                    data: r.try_get(3)?,
                })),
                None => Ok(None),
            }
        })
    }

    /// Up to `limit` blocks from block number `from`, in order.
    pub async fn blocks(
        &self,
        log: i64,
        from: i64,
        limit: i64,
    ) -> Result<Vec<BlockRow>, BoardError> {
        let sql = format!(
            "SELECT {BLOCK_COLUMNS} WHERE log_id = $1 AND block_number >= $2 ORDER BY block_number LIMIT $3"
        );
        on_pool!(self, |p| {
            let rows = sqlx::query(&sql)
                .bind(log)
                .bind(from)
                .bind(limit)
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| Ok(block_row!(r)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(BoardError::from)
        })
    }

    /// The block selected by `clause` (a `WHERE … ORDER BY … LIMIT 1` tail
    /// with `$1` the log and `$2` the argument).
    async fn block_where(
        &self,
        clause: &str,
        log: i64,
        arg: i64,
    ) -> Result<Option<BlockRow>, BoardError> {
        let sql = format!("SELECT {BLOCK_COLUMNS} {clause}");
        on_pool!(self, |p| {
            let row = sqlx::query(&sql)
                .bind(log)
                .bind(arg)
                .fetch_optional(p)
                .await?;
            match row {
                Some(r) => Ok(Some(block_row!(r))),
                None => Ok(None),
            }
        })
    }

    pub async fn latest_block(&self, log: i64) -> Result<Option<BlockRow>, BoardError> {
        self.block_where(
            "WHERE log_id = $1 AND block_number >= $2 ORDER BY block_number DESC LIMIT 1",
            log,
            0,
        )
        .await
    }

    pub async fn block_by_number(
        &self,
        log: i64,
        number: i64,
    ) -> Result<Option<BlockRow>, BoardError> {
        self.block_where("WHERE log_id = $1 AND block_number = $2", log, number)
            .await
    }

    pub async fn block_by_size(&self, log: i64, size: i64) -> Result<Option<BlockRow>, BoardError> {
        self.block_where("WHERE log_id = $1 AND tree_size = $2", log, size)
            .await
    }

    /// The first block whose tree holds entry `index`.
    pub async fn block_covering(
        &self,
        log: i64,
        index: i64,
    ) -> Result<Option<BlockRow>, BoardError> {
        self.block_where(
            "WHERE log_id = $1 AND tree_size > $2 ORDER BY tree_size LIMIT 1",
            log,
            index,
        )
        .await
    }

    /// Cosignatures of checkpoints with `lo <= tree_size <= hi`, ordered by
    /// size, witness name and key ID.
    pub async fn cosignatures(
        &self,
        log: i64,
        lo: i64,
        hi: i64,
    ) -> Result<Vec<CosignatureRow>, BoardError> {
        const SQL: &str = "SELECT tree_size, witness, key_id, line FROM board_cosignatures \
            WHERE log_id = $1 AND tree_size >= $2 AND tree_size <= $3 \
            ORDER BY tree_size, witness, key_id";
        on_pool!(self, |p| {
            let rows = sqlx::query(SQL)
                .bind(log)
                .bind(lo)
                .bind(hi)
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(CosignatureRow {
                        tree_size: r.try_get(0)?,
                        witness: r.try_get(1)?,
                        key_id: r.try_get(2)?,
                        line: r.try_get(3)?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
                .map_err(BoardError::from)
        })
    }
}

// ---------------------------------------------------------------------------
// Writes (through the writer's connection).

/// Rows per multi-row `VALUES` statement on SQLite.
const SQLITE_ROWS_PER_INSERT: usize = 128;

fn sqlite_values_sql(head: &str, cols: usize, rows: usize) -> String {
    values_sql(head, true, cols, rows)
}

/// `head VALUES (…), …` with `rows` rows of `cols` parameters each, numbered in order; with
/// `shared_first`, every row starts with the one parameter `$1` (the log) before its own.
fn values_sql(head: &str, shared_first: bool, cols: usize, rows: usize) -> String {
    let mut sql = String::with_capacity(head.len() + rows * (cols * 6 + 6));
    sql.push_str(head);
    sql.push_str(" VALUES ");
    let mut n = if shared_first { 2 } else { 1 };
    for r in 0..rows {
        if r > 0 {
            sql.push(',');
        }
        sql.push('(');
        if shared_first {
            sql.push_str("$1,");
        }
        for c in 0..cols {
            if c > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("${n}"));
            n += 1;
        }
        sql.push(')');
    }
    sql
}

impl Conn {
    /// The log row for `origin`, created with `board_key` if absent; returns
    /// the log ID and the board key stored with it.
    pub async fn log(
        &mut self,
        origin: &str,
        board_key: &str,
    ) -> Result<(i64, String), BoardError> {
        const INSERT: &str = "INSERT INTO board_logs (origin, board_key, created_ms) \
            VALUES ($1, $2, $3) ON CONFLICT (origin) DO NOTHING";
        const SELECT: &str = "SELECT log_id, board_key FROM board_logs WHERE origin = $1";
        let now = to_i64(now_ms())?;
        let row: (i64, String) = on_conn!(self, |c| {
            sqlx::query(INSERT)
                .bind(origin)
                .bind(board_key)
                .bind(now)
                .execute(&mut *c)
                .await?;
            sqlx::query_as(SELECT)
                .bind(origin)
                .fetch_one(&mut *c)
                .await?
        });
        Ok(row)
    }

    /// Takes this log's writer lock (PostgreSQL advisory lock, held by the
    /// writer connection for its lifetime). SQLite needs none: its single
    /// writer connection serialises writes, and a second process's
    /// conflicting insert fails on the primary key.
    pub async fn try_lock(&mut self, log: i64) -> Result<bool, BoardError> {
        match self {
            Conn::Sqlite(_) => Ok(true),
            Conn::Postgres(c) => {
                // Two-key form: a class ('psep') and the log ID.
                let key = lock_key(log)?;
                // A crashed writer's session may take a moment to end.
                for _ in 0..30 {
                    let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1, $2)")
                        .bind(LOCK_CLASS)
                        .bind(key)
                        .fetch_one(&mut *c)
                        .await?;
                    if got {
                        return Ok(true);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(false)
            }
        }
    }

    /// The node that holds a valid sealer lease of the log (PostgreSQL; never on SQLite, which
    /// has no nodes): a single-node writer that holds the writer lock looks before it writes.
    pub async fn live_sealer(&mut self, log: i64) -> Result<Option<String>, BoardError> {
        match self {
            Conn::Sqlite(_) => Ok(None),
            Conn::Postgres(c) => super::shared::live_sealer(c, log).await,
        }
    }

    /// Takes this log's writer lock in shared mode (several nodes, PostgreSQL): it keeps a
    /// single-node writer (which takes it exclusively) away while nodes share the log, and the
    /// nodes away while a single-node writer holds it.
    pub async fn try_lock_shared(&mut self, log: i64) -> Result<bool, BoardError> {
        match self {
            Conn::Sqlite(_) => Ok(false),
            Conn::Postgres(c) => {
                let key = lock_key(log)?;
                for _ in 0..30 {
                    let got: bool =
                        sqlx::query_scalar("SELECT pg_try_advisory_lock_shared($1, $2)")
                            .bind(LOCK_CLASS)
                            .bind(key)
                            .fetch_one(&mut *c)
                            .await?;
                    if got {
                        return Ok(true);
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Ok(false)
            }
        }
    }

    /// Sequencing and integration in one transaction: the entries and the
    /// node hashes they complete, committed with one fsync.
    pub async fn insert_batch(
        &mut self,
        log: i64,
        entries: &[NewEntry],
        nodes: &[NewNode],
    ) -> Result<(), BoardError> {
        match self {
            Conn::Sqlite(c) => {
                let mut tx = c.begin().await?;
                sqlite_insert_rows(&mut tx, log, entries, nodes).await?;
                tx.commit().await?;
            }
            Conn::Postgres(c) => {
                let mut tx = c.begin().await?;
                if !entries.is_empty() {
                    let idx: Vec<i64> = entries.iter().map(|e| e.idx).collect();
                    let kind: Vec<i32> = entries.iter().map(|e| e.kind).collect();
                    let payload: Vec<&[u8]> =
                        entries.iter().map(|e| e.payload.as_slice()).collect();
                    sqlx::query(
                        "INSERT INTO board_entries (log_id, idx, kind, payload) \
                         SELECT $1, t.idx, t.kind, t.payload \
                         FROM UNNEST($2::bigint[], $3::int[], $4::bytea[]) AS t(idx, kind, payload)",
                    )
                    .bind(log)
                    .bind(&idx)
                    .bind(&kind)
                    .bind(&payload)
                    .execute(&mut *tx)
                    .await?;
                }
                pg_insert_nodes(&mut tx, log, nodes).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Integration alone (recovery): node hashes in one transaction.
    pub async fn insert_nodes(&mut self, log: i64, nodes: &[NewNode]) -> Result<(), BoardError> {
        match self {
            Conn::Sqlite(c) => {
                let mut tx = c.begin().await?;
                sqlite_insert_nodes(&mut tx, log, nodes).await?;
                tx.commit().await?;
            }
            Conn::Postgres(c) => {
                let mut tx = c.begin().await?;
                pg_insert_nodes(&mut tx, log, nodes).await?;
                tx.commit().await?;
            }
        }
        Ok(())
    }

    /// Publishing: stores a sealed block.
    pub async fn insert_block(&mut self, log: i64, b: &BlockRow) -> Result<(), BoardError> {
        on_conn!(self, |c| sqlx::query(INSERT_BLOCK)
            .bind(log)
            .bind(b.number)
            .bind(b.prev_hash.as_slice())
            .bind(b.time_ms)
            .bind(b.tree_size)
            .bind(b.root.as_slice())
            .bind(b.checkpoint.as_str())
            .bind(b.header_hash.as_slice())
            .execute(&mut *c)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// Stores a verified cosignature, replacing the same witness's earlier
    /// one on the same checkpoint.
    pub async fn upsert_cosignature(
        &mut self,
        log: i64,
        tree_size: i64,
        witness: &str,
        key_id: i64,
        timestamp: i64,
        line: &str,
    ) -> Result<(), BoardError> {
        const SQL: &str = "INSERT INTO board_cosignatures \
            (log_id, tree_size, witness, key_id, timestamp, line, received_ms) \
            VALUES ($1, $2, $3, $4, $5, $6, $7) \
            ON CONFLICT (log_id, tree_size, witness, key_id) DO UPDATE \
            SET timestamp = excluded.timestamp, line = excluded.line, received_ms = excluded.received_ms";
        let now = to_i64(now_ms())?;
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(log)
            .bind(tree_size)
            .bind(witness)
            .bind(key_id)
            .bind(timestamp)
            .bind(line)
            .bind(now)
            .execute(&mut *c)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// Stores the log's snapshot, replacing the one before.
    pub async fn put_snapshot(&mut self, log: i64, row: &SnapshotRow) -> Result<(), BoardError> {
        const SQL: &str = "INSERT INTO board_snapshots (log_id, tree_size, root, mac, data) \
            VALUES ($1, $2, $3, $4, $5) \
            ON CONFLICT (log_id) DO UPDATE SET tree_size = excluded.tree_size, \
            root = excluded.root, mac = excluded.mac, data = excluded.data";
        on_conn!(self, |c| sqlx::query(SQL)
            .bind(log)
            .bind(row.tree_size)
            .bind(row.root.as_slice())
            .bind(row.mac.as_slice())
            .bind(row.data.as_slice())
            .execute(&mut *c)
            .await
            .map(|_| ())?);
        Ok(())
    }

    /// Closes the connection. On PostgreSQL its advisory locks are released first, so that
    /// they are free when this returns (a session's end releases them only once the server
    /// has processed it, a moment later).
    pub async fn close(mut self) -> Result<(), BoardError> {
        if let Conn::Postgres(c) = &mut self {
            let _ = sqlx::query("SELECT pg_advisory_unlock_all()")
                .execute(&mut *c)
                .await;
        }
        on_conn!(self, |c| c.close().await?);
        Ok(())
    }
}

const INSERT_BLOCK: &str = "INSERT INTO board_blocks \
    (log_id, block_number, prev_hash, time_ms, tree_size, root, checkpoint, header_hash) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// A sealed block, inserted in the caller's transaction (the commit group's).
pub(crate) async fn sqlite_insert_block(
    c: &mut SqliteConnection,
    log: i64,
    b: &BlockRow,
) -> Result<(), BoardError> {
    sqlx::query(INSERT_BLOCK)
        .bind(log)
        .bind(b.number)
        .bind(b.prev_hash.as_slice())
        .bind(b.time_ms)
        .bind(b.tree_size)
        .bind(b.root.as_slice())
        .bind(b.checkpoint.as_str())
        .bind(b.header_hash.as_slice())
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// A log's new entries and the nodes they complete, inserted in the caller's transaction.
pub(crate) async fn sqlite_insert_rows(
    c: &mut SqliteConnection,
    log: i64,
    entries: &[NewEntry],
    nodes: &[NewNode],
) -> Result<(), BoardError> {
    for chunk in entries.chunks(SQLITE_ROWS_PER_INSERT) {
        let sql = sqlite_values_sql(
            "INSERT INTO board_entries (log_id, idx, kind, payload)",
            3,
            chunk.len(),
        );
        let mut q = sqlx::query(&sql).bind(log);
        for e in chunk {
            q = q.bind(e.idx).bind(e.kind).bind(e.payload.as_slice());
        }
        q.execute(&mut *c).await?;
    }
    sqlite_insert_nodes(c, log, nodes).await
}

/// [`sqlite_insert_rows`] for the batches of several logs at once: every entry in one
/// statement (per [`SQLITE_ROWS_PER_INSERT`] rows), every node in another, whichever log each
/// belongs to. A failure is the whole call's; the caller undoes it.
pub(crate) async fn sqlite_insert_rows_of_logs(
    c: &mut SqliteConnection,
    batches: &[(i64, &[NewEntry], &[NewNode])],
) -> Result<(), BoardError> {
    let entries: Vec<(i64, &NewEntry)> = batches
        .iter()
        .flat_map(|(log, es, _)| es.iter().map(move |e| (*log, e)))
        .collect();
    for chunk in entries.chunks(SQLITE_ROWS_PER_INSERT) {
        let sql = values_sql(
            "INSERT INTO board_entries (log_id, idx, kind, payload)",
            false,
            4,
            chunk.len(),
        );
        let mut q = sqlx::query(&sql);
        for (log, e) in chunk {
            q = q
                .bind(*log)
                .bind(e.idx)
                .bind(e.kind)
                .bind(e.payload.as_slice());
        }
        q.execute(&mut *c).await?;
    }
    let nodes: Vec<(i64, &NewNode)> = batches
        .iter()
        .flat_map(|(log, _, ns)| ns.iter().map(move |n| (*log, n)))
        .collect();
    for chunk in nodes.chunks(SQLITE_ROWS_PER_INSERT) {
        let sql = values_sql(
            "INSERT INTO board_nodes (log_id, level, idx, hash)",
            false,
            4,
            chunk.len(),
        );
        let mut q = sqlx::query(&sql);
        for (log, n) in chunk {
            q = q
                .bind(*log)
                .bind(n.level)
                .bind(n.idx)
                .bind(n.hash.0.as_slice());
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

async fn sqlite_insert_nodes(
    c: &mut SqliteConnection,
    log: i64,
    nodes: &[NewNode],
) -> Result<(), BoardError> {
    for chunk in nodes.chunks(SQLITE_ROWS_PER_INSERT) {
        let sql = sqlite_values_sql(
            "INSERT INTO board_nodes (log_id, level, idx, hash)",
            3,
            chunk.len(),
        );
        let mut q = sqlx::query(&sql).bind(log);
        for n in chunk {
            q = q.bind(n.level).bind(n.idx).bind(n.hash.0.as_slice());
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

async fn pg_insert_nodes(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    log: i64,
    nodes: &[NewNode],
) -> Result<(), BoardError> {
    if nodes.is_empty() {
        return Ok(());
    }
    let level: Vec<i32> = nodes.iter().map(|n| n.level).collect();
    let idx: Vec<i64> = nodes.iter().map(|n| n.idx).collect();
    let hash: Vec<&[u8]> = nodes.iter().map(|n| n.hash.0.as_slice()).collect();
    sqlx::query(
        "INSERT INTO board_nodes (log_id, level, idx, hash) \
         SELECT $1, t.level, t.idx, t.hash \
         FROM UNNEST($2::int[], $3::bigint[], $4::bytea[]) AS t(level, idx, hash)",
    )
    .bind(log)
    .bind(&level)
    .bind(&idx)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
