//! The service's own tables, beside the boards' in the same database: which elections the
//! service hosts, and the tokens' hashes.
//!
//! | table | key | holds |
//! |---|---|---|
//! | `psephos_elections` | `slug`; `log_id` unique | the election's board log id (`board_logs.log_id`: the election's internal id), origin, visibility, the officials' token's SHA-256, creation time |
//! | `psephos_operator_token` | `id` = 1 | the operator token's SHA-256 |
//!
//! The schema is created here and only here (`CREATE TABLE IF NOT EXISTS`: there is no
//! deployed data to migrate). The catalog is small and rarely written (an election created, a
//! token reset), so each call opens its own connection; the boards keep their own pools.
//! The boards' tables are the boards' (`psephos_board::store`): this module never reads them.

use crate::auth::{NewToken, TokenHash};
use crate::error::ServiceError;
use crate::state::Visibility;
use psephos_board::election_key::ElectionSlug;
use sqlx::Connection;

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
}

impl From<CatalogError> for ServiceError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Exists(_) => ServiceError::Conflict {
                code: "conflict",
                detail: e.to_string(),
            },
            CatalogError::NoElection(_) => ServiceError::NotFound(e.to_string()),
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
    /// The officials' token's hash (`None`: no officials' routes).
    pub officials: Option<TokenHash>,
}

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS psephos_elections (\
        slug TEXT PRIMARY KEY, \
        log_id BIGINT NOT NULL UNIQUE, \
        origin TEXT NOT NULL UNIQUE, \
        visibility TEXT NOT NULL, \
        officials_sha256 TEXT, \
        created_ms BIGINT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS psephos_operator_token (\
        id INTEGER PRIMARY KEY, \
        token_sha256 TEXT NOT NULL, \
        created_ms BIGINT NOT NULL)",
];

const SELECT_ELECTIONS: &str =
    "SELECT slug, log_id, origin, visibility, officials_sha256 FROM psephos_elections ORDER BY slug";
const INSERT_ELECTION: &str = "INSERT INTO psephos_elections \
    (slug, log_id, origin, visibility, officials_sha256, created_ms) VALUES ($1, $2, $3, $4, $5, $6)";
const SET_OFFICIALS: &str = "UPDATE psephos_elections SET officials_sha256 = $1 WHERE slug = $2";
const INSERT_TOKEN: &str = "INSERT INTO psephos_operator_token (id, token_sha256, created_ms) \
     VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING";
const REPLACE_TOKEN: &str = "INSERT INTO psephos_operator_token (id, token_sha256, created_ms) \
     VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET token_sha256 = excluded.token_sha256, \
     created_ms = excluded.created_ms";
const SELECT_TOKEN: &str = "SELECT token_sha256 FROM psephos_operator_token WHERE id = 1";

/// One connection, on either engine.
enum Conn {
    Sqlite(sqlx::SqliteConnection),
    Postgres(sqlx::PgConnection),
}

macro_rules! on {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            Conn::Sqlite($c) => $body,
            Conn::Postgres($c) => $body,
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

/// The service's catalog in the database at a URL.
#[derive(Debug, Clone)]
pub struct Catalog {
    url: String,
}

impl Catalog {
    /// The catalog in the database at `url`, its tables created if absent.
    pub async fn open(url: &str) -> Result<Self, CatalogError> {
        let catalog = Catalog {
            url: url.to_owned(),
        };
        let mut c = catalog.connect().await?;
        for sql in SCHEMA {
            on!(&mut c, |c| sqlx::query(sql)
                .execute(&mut *c)
                .await
                .map(|r| r.rows_affected()))?;
        }
        catalog.close(c).await;
        Ok(catalog)
    }

    async fn connect(&self) -> Result<Conn, CatalogError> {
        if self.url.starts_with("sqlite:") {
            Ok(Conn::Sqlite(
                sqlx::SqliteConnection::connect(&self.url).await?,
            ))
        } else if self.url.starts_with("postgres:") || self.url.starts_with("postgresql:") {
            Ok(Conn::Postgres(
                sqlx::PgConnection::connect(&self.url).await?,
            ))
        } else {
            Err(CatalogError::Url)
        }
    }

    async fn close(&self, c: Conn) {
        let _ = on!(c, |c| c.close().await);
    }

    /// Every hosted election, in slug order.
    pub async fn elections(&self) -> Result<Vec<ElectionRow>, CatalogError> {
        let mut c = self.connect().await?;
        type Row = (String, i64, String, String, Option<String>);
        let rows: Vec<Row> = on!(&mut c, |c| sqlx::query_as(SELECT_ELECTIONS)
            .fetch_all(&mut *c)
            .await)?;
        self.close(c).await;
        rows.into_iter()
            .map(|(slug, log_id, origin, visibility, officials)| {
                Ok(ElectionRow {
                    slug: ElectionSlug::new(&slug)
                        .map_err(|e| CatalogError::Corrupt(format!("slug {slug:?}: {e}")))?,
                    log_id,
                    origin,
                    visibility: Visibility::parse(&visibility).ok_or_else(|| {
                        CatalogError::Corrupt(format!("visibility {visibility:?}"))
                    })?,
                    officials: officials.as_deref().map(hash_of_hex).transpose()?,
                })
            })
            .collect()
    }

    /// Stores a new election; [`CatalogError::Exists`] if its slug (or log) is taken.
    pub async fn insert(&self, row: &ElectionRow) -> Result<(), CatalogError> {
        let mut c = self.connect().await?;
        let officials = row.officials.as_ref().map(|h| hex::encode(h.bytes()));
        let done = on!(&mut c, |c| sqlx::query(INSERT_ELECTION)
            .bind(row.slug.as_str())
            .bind(row.log_id)
            .bind(&row.origin)
            .bind(row.visibility.name())
            .bind(&officials)
            .bind(now_ms())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()));
        self.close(c).await;
        match done {
            Ok(_) => Ok(()),
            Err(sqlx::Error::Database(d)) if d.is_unique_violation() => {
                Err(CatalogError::Exists(row.slug.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces the officials' token's hash of election `slug`.
    pub async fn set_officials(
        &self,
        slug: &ElectionSlug,
        hash: &TokenHash,
    ) -> Result<(), CatalogError> {
        let mut c = self.connect().await?;
        let done = on!(&mut c, |c| sqlx::query(SET_OFFICIALS)
            .bind(hex::encode(hash.bytes()))
            .bind(slug.as_str())
            .execute(&mut *c)
            .await
            .map(|r| r.rows_affected()))?;
        self.close(c).await;
        if done == 0 {
            return Err(CatalogError::NoElection(slug.clone()));
        }
        Ok(())
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
        let mut c = self.connect().await?;
        let stored: Result<(String,), sqlx::Error> = on!(&mut c, |c| {
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
        self.close(c).await;
        let stored = stored?.0;
        let hash = *hash_of_hex(&stored)?.bytes();
        let fresh = (stored == hash_hex).then_some(token);
        Ok((hash, fresh))
    }
}
