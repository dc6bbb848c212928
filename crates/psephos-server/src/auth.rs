//! Officials' authentication: one admin bearer token.
//!
//! The token is generated at the first start, printed once, and only its SHA-256 is kept; a
//! request proves it holds the token with `Authorization: Bearer <token>`. The comparison is
//! constant-time on the hashes. The hash lives in the board's database (table
//! `psephos_admin_token`, see [`load_or_create_token`]), so every process sharing a database
//! accepts the same token. Voters never authenticate here (a ballot is authorised by its
//! credential signature) and trustees sign every message with their listed key.

use crate::ApiError;
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The SHA-256 of the admin token.
#[derive(Clone)]
pub struct AdminAuth {
    token_hash: [u8; 32],
}

impl std::fmt::Debug for AdminAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminAuth(..)")
    }
}

impl AdminAuth {
    /// From the stored hash of the token.
    pub fn from_hash(token_hash: [u8; 32]) -> Self {
        AdminAuth { token_hash }
    }

    /// The hash to store for `token`.
    pub fn hash_token(token: &str) -> [u8; 32] {
        Sha256::digest(token.as_bytes()).into()
    }

    /// Whether `token` is the admin token.
    pub fn accepts(&self, token: &str) -> bool {
        Self::hash_token(token).ct_eq(&self.token_hash).into()
    }

    /// Checks the request's bearer token: 401 with a clear message otherwise.
    pub fn check(&self, req: &HttpRequest) -> Result<(), ApiError> {
        let header = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        match header.and_then(|h| h.strip_prefix("Bearer ")) {
            Some(token) if self.accepts(token.trim()) => Ok(()),
            Some(_) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "the admin token is not valid",
            )),
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this action needs the officials' admin token (Authorization: Bearer …)",
            )),
        }
    }
}

/// A freshly generated admin token: shown once to the operator, never stored or logged.
pub struct NewToken(zeroize::Zeroizing<String>);

impl NewToken {
    /// 256 random bits from the operating system, in hex.
    pub fn generate() -> Self {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        rand_core_std::RngCore::fill_bytes(&mut rand_core_std::OsRng, bytes.as_mut());
        NewToken(zeroize::Zeroizing::new(hex::encode(bytes.as_ref())))
    }
    /// The token, to print once.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for NewToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewToken(<secret>)")
    }
}

/// Why the admin token's hash could not be read or stored.
#[derive(Debug, thiserror::Error)]
pub enum TokenStoreError {
    #[error("admin token store: {0}")]
    Database(#[from] sqlx::Error),
    #[error("admin token store: the stored hash is not 32 bytes of hex")]
    Corrupt,
    #[error("admin token store: unsupported database URL (expected sqlite: or postgres:)")]
    Url,
}

/// The table that holds the hash: one row, in the board's own database, so that every
/// `psephos serve` process sharing a PostgreSQL database accepts the same token.
const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS psephos_admin_token \
     (id INTEGER PRIMARY KEY, token_sha256 TEXT NOT NULL, created_at TEXT NOT NULL)";
const INSERT: &str = "INSERT INTO psephos_admin_token (id, token_sha256, created_at) \
     VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING";
const REPLACE: &str = "INSERT INTO psephos_admin_token (id, token_sha256, created_at) \
     VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET token_sha256 = excluded.token_sha256, \
     created_at = excluded.created_at";
const SELECT: &str = "SELECT token_sha256 FROM psephos_admin_token WHERE id = 1";

fn now_text() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format!("{secs}")
}

/// Reads the admin token's hash from the database at `url`, creating a token on the first
/// start (or when `reset` is set). Returns the hash, and the new token if one was made — the
/// caller prints it once. If two processes start together, one token wins and only its
/// creator is given it.
pub async fn load_or_create_token(
    url: &str,
    reset: bool,
) -> Result<([u8; 32], Option<NewToken>), TokenStoreError> {
    use sqlx::Connection;
    let token = NewToken::generate();
    let hash_hex = hex::encode(AdminAuth::hash_token(token.expose()));
    let write = if reset { REPLACE } else { INSERT };
    let stored: String = if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await?;
        sqlx::query(CREATE_TABLE).execute(&mut c).await?;
        sqlx::query(write)
            .bind(&hash_hex)
            .bind(now_text())
            .execute(&mut c)
            .await?;
        let s: (String,) = sqlx::query_as(SELECT).fetch_one(&mut c).await?;
        c.close().await?;
        s.0
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        let mut c = sqlx::PgConnection::connect(url).await?;
        sqlx::query(CREATE_TABLE).execute(&mut c).await?;
        sqlx::query(write)
            .bind(&hash_hex)
            .bind(now_text())
            .execute(&mut c)
            .await?;
        let s: (String,) = sqlx::query_as(SELECT).fetch_one(&mut c).await?;
        c.close().await?;
        s.0
    } else {
        return Err(TokenStoreError::Url);
    };
    let hash: [u8; 32] = hex::decode(&stored)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(TokenStoreError::Corrupt)?;
    let fresh = (stored == hash_hex).then_some(token);
    Ok((hash, fresh))
}
