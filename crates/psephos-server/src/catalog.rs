//! The service's own tables, beside the boards' in the same database: which elections the
//! service hosts, and the tokens' hashes.
//!
//! | table | key | holds |
//! |---|---|---|
//! | `psephos_elections` | `slug`; `log_id` unique | the election's board log id (`board_logs.log_id`: the election's internal id), origin, visibility, creation time |
//! | `psephos_officials_tokens` | `token_id`; `token_sha256` unique | each officials' token of each election: its SHA-256, the operator's label, when it was issued and, once revoked, when |
//! | `psephos_operator_token` | `id` = 1 | the operator token's SHA-256 |
//!
//! The schema is created here and only here (`CREATE TABLE IF NOT EXISTS`: there is no
//! deployed data to migrate). An officials' token is looked up here on every officials'
//! request, never cached in a node's memory: a token the operator revokes on one node is
//! refused by every node sharing the database at its next request. So the catalog keeps a small
//! pool of its own (two connections, closed when idle); the boards keep theirs.
//! The boards' tables are the boards' (`psephos_board::store`): this module never reads them.

use crate::auth::{NewToken, TokenHash};
use crate::error::ServiceError;
use crate::state::Visibility;
use psephos_board::election_key::ElectionSlug;

/// Why the catalog could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CatalogError {
    #[error("service catalog: {0}")]
    Database(#[from] sqlx::Error),
    #[error("service catalog: a stored value is malformed: {0}")]
    Corrupt(String),
    #[error("service catalog: unsupported database URL (expected sqlite: or postgres:)")]
    Url,
    #[error("election {0} already exists")]
    Exists(ElectionSlug),
    #[error("no election {0}")]
    NoElection(ElectionSlug),
    #[error("election {0} has no officials' token {1}")]
    NoToken(ElectionSlug, i64),
}

impl From<CatalogError> for ServiceError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Exists(_) => ServiceError::Conflict {
                code: "conflict",
                detail: e.to_string(),
            },
            CatalogError::NoElection(_) | CatalogError::NoToken(..) => {
                ServiceError::NotFound(e.to_string())
            }
            e => {
                tracing::error!(error = %e, "service catalog failure");
                ServiceError::Internal(
                    "the service catalog could not be read or written; the operator has been told",
                )
            }
        }
    }
}

/// One hosted election as the catalog stores it.
#[derive(Debug, Clone)]
pub struct ElectionRow {
    pub slug: ElectionSlug,
    /// The board's log id (`board_logs.log_id`).
    pub log_id: i64,
    pub origin: String,
    pub visibility: Visibility,
}

/// One officials' token as the operator sees it (the API's type): never the token, nor its hash.
pub type OfficialsTokenRow = psephos_api::service::OfficialsTokenInfo;

/// The longest label of an officials' token, in characters.
pub const MAX_LABEL: usize = 100;

const SCHEMA_COMMON: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS psephos_elections (\
        slug TEXT PRIMARY KEY, \
        log_id BIGINT NOT NULL UNIQUE, \
        origin TEXT NOT NULL UNIQUE, \
        visibility TEXT NOT NULL, \
        created_ms BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS psephos_operator_token (\
        id INTEGER PRIMARY KEY, \
        token_sha256 TEXT NOT NULL, \
        created_ms BIGINT NOT NULL)",
];
const SCHEMA_TOKENS_SQLITE: &str = "CREATE TABLE IF NOT EXISTS psephos_officials_tokens (\
        token_id INTEGER PRIMARY KEY AUTOINCREMENT, \
        election TEXT NOT NULL, \
        label TEXT NOT NULL, \
        token_sha256 TEXT NOT NULL UNIQUE, \
        created_ms BIGINT NOT NULL, \
        revoked_ms BIGINT)";
const SCHEMA_TOKENS_POSTGRES: &str = "CREATE TABLE IF NOT EXISTS psephos_officials_tokens (\
        token_id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, \
        election TEXT NOT NULL, \
        label TEXT NOT NULL, \
        token_sha256 TEXT NOT NULL UNIQUE, \
        created_ms BIGINT NOT NULL, \
        revoked_ms BIGINT)";
const SCHEMA_TOKENS_INDEX: &str = "CREATE INDEX IF NOT EXISTS psephos_officials_tokens_election \
    ON psephos_officials_tokens (election, token_id)";

const SELECT_ELECTIONS: &str =
    "SELECT slug, log_id, origin, visibility FROM psephos_elections ORDER BY slug";
const INSERT_ELECTION: &str = "INSERT INTO psephos_elections \
    (slug, log_id, origin, visibility, created_ms) VALUES ($1, $2, $3, $4, $5)";
const INSERT_OFFICIALS: &str = "INSERT INTO psephos_officials_tokens \
    (election, label, token_sha256, created_ms) VALUES ($1, $2, $3, $4) RETURNING token_id";
const REVOKE_ALL_OFFICIALS: &str = "UPDATE psephos_officials_tokens SET revoked_ms = $1 \
    WHERE election = $2 AND revoked_ms IS NULL";
const REVOKE_OFFICIALS: &str = "UPDATE psephos_officials_tokens SET revoked_ms = $1 \
    WHERE election = $2 AND token_id = $3 AND revoked_ms IS NULL";
const SELECT_OFFICIALS: &str = "SELECT token_id, label, created_ms, revoked_ms \
    FROM psephos_officials_tokens WHERE election = $1 ORDER BY token_id";
const SELECT_ONE_OFFICIALS: &str = "SELECT token_id, label, created_ms, revoked_ms \
    FROM psephos_officials_tokens WHERE election = $1 AND token_id = $2";
const ACCEPTS_OFFICIALS: &str = "SELECT token_id FROM psephos_officials_tokens \
    WHERE election = $1 AND token_sha256 = $2 AND revoked_ms IS NULL";
const SELECT_ORIGIN: &str = "SELECT 1 FROM psephos_elections WHERE origin = $1";
const SELECT_ELECTION: &str = "SELECT 1 FROM psephos_elections WHERE slug = $1";
const INSERT_TOKEN: &str = "INSERT INTO psephos_operator_token (id, token_sha256, created_ms) \
     VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING";
const REPLACE_TOKEN: &str = "INSERT INTO psephos_operator_token (id, token_sha256, created_ms) \
     VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET token_sha256 = excluded.token_sha256, \
     created_ms = excluded.created_ms";
const SELECT_TOKEN: &str = "SELECT token_sha256 FROM psephos_operator_token WHERE id = 1";

/// The catalog's pool, on either engine.
#[derive(Debug, Clone)]
enum Pool {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

/// Runs `$body` with `$c` bound to a connection or transaction of either engine (the same SQL
/// text serves both: `$n` placeholders, `ON CONFLICT`, `RETURNING`).
macro_rules! on {
    ($pool:expr, |$c:ident| $body:expr) => {
        match $pool {
            Pool::Sqlite(p) => {
                let mut $c = p.acquire().await?;
                $body
            }
            Pool::Postgres(p) => {
                let mut $c = p.acquire().await?;
                $body
            }
        }
    };
}

/// As [`on!`], in one transaction, committed if `$body` is `Ok`.
macro_rules! in_tx {
    ($pool:expr, |$c:ident| $body:expr) => {
        match $pool {
            Pool::Sqlite(p) => {
                let mut $c = p.begin().await?;
                let out = $body;
                if out.is_ok() {
                    $c.commit().await?;
                }
                out
            }
            Pool::Postgres(p) => {
                let mut $c = p.begin().await?;
                let out = $body;
                if out.is_ok() {
                    $c.commit().await?;
                }
                out
            }
        }
    };
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn hash_of_hex(text: &str) -> Result<TokenHash, CatalogError> {
    hex::decode(text)
        .ok()
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .map(TokenHash::from_hash)
        .ok_or_else(|| CatalogError::Corrupt("a token hash is not 32 bytes of hex".into()))
}

/// A label as stored: trimmed, one line, at most [`MAX_LABEL`] characters.
pub fn check_label(label: &str) -> Result<String, String> {
    let label = label.trim();
    if label.chars().count() > MAX_LABEL {
        return Err(format!("label: at most {MAX_LABEL} characters"));
    }
    if label.chars().any(char::is_control) {
        return Err("label: one line of printable text".to_owned());
    }
    Ok(label.to_owned())
}

/// The service's catalog in the database at a URL.
#[derive(Debug, Clone)]
pub struct Catalog {
    pool: Pool,
}

impl Catalog {
    /// The catalog in the database at `url`, its tables created if absent.
    pub async fn open(url: &str) -> Result<Self, CatalogError> {
        use sqlx::pool::PoolOptions;
        // Two connections: an officials' request holds one for one indexed look-up.
        let (max, idle, acquire) = (
            2,
            std::time::Duration::from_secs(30),
            std::time::Duration::from_secs(10),
        );
        let pool = if url.starts_with("sqlite:") {
            Pool::Sqlite(
                PoolOptions::new()
                    .max_connections(max)
                    .min_connections(0)
                    .idle_timeout(idle)
                    .acquire_timeout(acquire)
                    .connect(url)
                    .await?,
            )
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Pool::Postgres(
                PoolOptions::new()
                    .max_connections(max)
                    .min_connections(0)
                    .idle_timeout(idle)
                    .acquire_timeout(acquire)
                    .connect(url)
                    .await?,
            )
        } else {
            return Err(CatalogError::Url);
        };
        let catalog = Catalog { pool };
        let tokens = match &catalog.pool {
            Pool::Sqlite(_) => SCHEMA_TOKENS_SQLITE,
            Pool::Postgres(_) => SCHEMA_TOKENS_POSTGRES,
        };
        for sql in SCHEMA_COMMON
            .iter()
            .chain([tokens, SCHEMA_TOKENS_INDEX].iter())
        {
            on!(&catalog.pool, |c| sqlx::query(sql)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(catalog)
    }

    /// Closes the catalog's connections.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    /// Every hosted election, in slug order.
    pub async fn elections(&self) -> Result<Vec<ElectionRow>, CatalogError> {
        type Row = (String, i64, String, String);
        let rows: Vec<Row> = on!(&self.pool, |c| sqlx::query_as(SELECT_ELECTIONS)
            .fetch_all(&mut *c)
            .await)?;
        rows.into_iter()
            .map(|(slug, log_id, origin, visibility)| {
                Ok(ElectionRow {
                    slug: ElectionSlug::new(&slug)
                        .map_err(|e| CatalogError::Corrupt(format!("slug {slug:?}: {e}")))?,
                    log_id,
                    origin,
                    visibility: Visibility::parse(&visibility).ok_or_else(|| {
                        CatalogError::Corrupt(format!("visibility {visibility:?}"))
                    })?,
                })
            })
            .collect()
    }

    /// Whether an election of the catalog has board origin `origin`.
    pub async fn names_origin(&self, origin: &str) -> Result<bool, CatalogError> {
        let found: Option<i32> = on!(&self.pool, |c| sqlx::query_scalar(SELECT_ORIGIN)
            .bind(origin)
            .fetch_optional(&mut *c)
            .await)?;
        Ok(found.is_some())
    }

    /// Stores a new election and its first officials' token, in one transaction;
    /// [`CatalogError::Exists`] if its slug (or log) is taken, and then nothing is stored.
    pub async fn insert(
        &self,
        row: &ElectionRow,
        officials: &TokenHash,
    ) -> Result<(), CatalogError> {
        let now = now_ms();
        let hash = hex::encode(officials.bytes());
        let done: Result<i64, sqlx::Error> = in_tx!(&self.pool, |c| {
            match sqlx::query(INSERT_ELECTION)
                .bind(row.slug.as_str())
                .bind(row.log_id)
                .bind(&row.origin)
                .bind(row.visibility.name())
                .bind(now)
                .execute(&mut *c)
                .await
            {
                Ok(_) => {
                    sqlx::query_scalar(INSERT_OFFICIALS)
                        .bind(row.slug.as_str())
                        .bind("issued with the election")
                        .bind(&hash)
                        .bind(now)
                        .fetch_one(&mut *c)
                        .await
                }
                Err(e) => Err(e),
            }
        });
        match done {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                Err(CatalogError::Exists(row.slug.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Whether `token` is a valid (issued, not revoked) officials' token of election `slug`.
    /// Read from the database on every call: a revocation on any node counts at once.
    pub async fn accepts_official(
        &self,
        slug: &ElectionSlug,
        token: &str,
    ) -> Result<bool, CatalogError> {
        // Looked up by its SHA-256: learning how long the look-up of a hash took tells nothing
        // about a token of that hash (finding one is a preimage).
        let hash = hex::encode(TokenHash::hash_token(token));
        let found: Option<i64> = on!(&self.pool, |c| sqlx::query_scalar(ACCEPTS_OFFICIALS)
            .bind(slug.as_str())
            .bind(&hash)
            .fetch_optional(&mut *c)
            .await)?;
        Ok(found.is_some())
    }

    /// Issues one more officials' token for election `slug`, labelled `label`; the others stay
    /// valid. Returns its row.
    pub async fn add_officials(
        &self,
        slug: &ElectionSlug,
        hash: &TokenHash,
        label: &str,
    ) -> Result<OfficialsTokenRow, CatalogError> {
        self.issue_officials(slug, hash, label, false).await
    }

    /// Replaces every valid officials' token of election `slug` (each is revoked) with a new
    /// one, in one transaction. Returns its row.
    pub async fn set_officials(
        &self,
        slug: &ElectionSlug,
        hash: &TokenHash,
    ) -> Result<OfficialsTokenRow, CatalogError> {
        self.issue_officials(slug, hash, "reissued, replacing the others", true)
            .await
    }

    async fn issue_officials(
        &self,
        slug: &ElectionSlug,
        hash: &TokenHash,
        label: &str,
        replace: bool,
    ) -> Result<OfficialsTokenRow, CatalogError> {
        let now = now_ms();
        let hash = hex::encode(hash.bytes());
        let issued: Result<Option<i64>, sqlx::Error> = in_tx!(&self.pool, |c| {
            async {
                let exists: Option<i32> = sqlx::query_scalar(SELECT_ELECTION)
                    .bind(slug.as_str())
                    .fetch_optional(&mut *c)
                    .await?;
                if exists.is_none() {
                    return Ok(None);
                }
                if replace {
                    sqlx::query(REVOKE_ALL_OFFICIALS)
                        .bind(now)
                        .bind(slug.as_str())
                        .execute(&mut *c)
                        .await?;
                }
                let id: i64 = sqlx::query_scalar(INSERT_OFFICIALS)
                    .bind(slug.as_str())
                    .bind(label)
                    .bind(&hash)
                    .bind(now)
                    .fetch_one(&mut *c)
                    .await?;
                Ok(Some(id))
            }
            .await
        });
        match issued? {
            Some(token_id) => Ok(OfficialsTokenRow {
                token_id,
                label: label.to_owned(),
                created_ms: now,
                revoked_ms: None,
            }),
            None => Err(CatalogError::NoElection(slug.clone())),
        }
    }

    /// Every officials' token of election `slug` ever issued, valid and revoked, in the order
    /// they were issued.
    pub async fn officials(
        &self,
        slug: &ElectionSlug,
    ) -> Result<Vec<OfficialsTokenRow>, CatalogError> {
        type Row = (i64, String, i64, Option<i64>);
        let rows: Vec<Row> = on!(&self.pool, |c| sqlx::query_as(SELECT_OFFICIALS)
            .bind(slug.as_str())
            .fetch_all(&mut *c)
            .await)?;
        Ok(rows.into_iter().map(token_row).collect())
    }

    /// Revokes officials' token `token_id` of election `slug` (a token already revoked keeps
    /// its first revocation time). Returns its row; [`CatalogError::NoToken`] if that election
    /// has no such token.
    pub async fn revoke_officials(
        &self,
        slug: &ElectionSlug,
        token_id: i64,
    ) -> Result<OfficialsTokenRow, CatalogError> {
        type Row = (i64, String, i64, Option<i64>);
        let row: Option<Row> = in_tx!(&self.pool, |c| {
            async {
                sqlx::query(REVOKE_OFFICIALS)
                    .bind(now_ms())
                    .bind(slug.as_str())
                    .bind(token_id)
                    .execute(&mut *c)
                    .await?;
                sqlx::query_as(SELECT_ONE_OFFICIALS)
                    .bind(slug.as_str())
                    .bind(token_id)
                    .fetch_optional(&mut *c)
                    .await
            }
            .await
        })?;
        row.map(token_row)
            .ok_or_else(|| CatalogError::NoToken(slug.clone(), token_id))
    }

    /// The operator token's hash, creating a token on the first start (or when `reset` is
    /// set). Returns the hash, and the new token if one was made — the caller prints it once.
    /// If two processes start together, one token wins and only its creator is given it.
    pub async fn operator_token(
        &self,
        reset: bool,
    ) -> Result<([u8; 32], Option<NewToken>), CatalogError> {
        let token = NewToken::generate();
        let hash_hex = hex::encode(TokenHash::hash_token(token.expose()));
        let write = if reset { REPLACE_TOKEN } else { INSERT_TOKEN };
        let stored: Result<(String,), sqlx::Error> = on!(&self.pool, |c| {
            match sqlx::query(write)
                .bind(&hash_hex)
                .bind(now_ms())
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected())
            {
                Ok(_) => sqlx::query_as(SELECT_TOKEN).fetch_one(&mut *c).await,
                Err(e) => Err(e),
            }
        });
        let stored = stored?.0;
        let hash = *hash_of_hex(&stored)?.bytes();
        let fresh = (stored == hash_hex).then_some(token);
        Ok((hash, fresh))
    }
}

fn token_row(
    (token_id, label, created_ms, revoked_ms): (i64, String, i64, Option<i64>),
) -> OfficialsTokenRow {
    OfficialsTokenRow {
        token_id,
        label,
        created_ms,
        revoked_ms,
    }
}
