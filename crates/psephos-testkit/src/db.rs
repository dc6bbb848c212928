//! A fresh database for each test, on either backend, and raw SQL to tamper with a stored board
//! the way an attacker with database access would. SQLite files live in a [`TempDir`] removed
//! with the test; PostgreSQL databases live in the shared throwaway cluster
//! ([`crate::pg_cluster`]) and go with it when the test process exits.

use sqlx::Connection as _;

use crate::postgres::pg_cluster;
use crate::temp::TempDir;

/// The storage backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A fresh, empty database for one test; removed with the test (SQLite) or
/// with the cluster (PostgreSQL).
#[derive(Debug)]
pub struct TestDb {
    pub url: String,
    _dir: Option<TempDir>,
}

impl TestDb {
    pub async fn new(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = TempDir::new("psephos-board-test");
                let url = format!(
                    "sqlite://{}?mode=rwc",
                    dir.path().join("board.db").display()
                );
                TestDb {
                    url,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres => TestDb {
                url: pg_cluster().create_database().await,
                _dir: None,
            },
        }
    }
}

/// A bound argument of [`exec`].
#[derive(Debug)]
pub enum Arg {
    I(i64),
    B(Vec<u8>),
    T(String),
}

/// Runs `sql` with `args` on the database at `url` (SQLite or PostgreSQL); returns the rows
/// affected.
pub async fn exec(url: &str, sql: &str, args: &[Arg]) -> u64 {
    macro_rules! bind_all {
        ($q:expr) => {{
            let mut q = $q;
            for a in args {
                q = match a {
                    Arg::I(v) => q.bind(*v),
                    Arg::B(v) => q.bind(v.clone()),
                    Arg::T(v) => q.bind(v.clone()),
                };
            }
            q
        }};
    }
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        let r = bind_all!(sqlx::query(sql)).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
        r.rows_affected()
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let r = bind_all!(sqlx::query(sql)).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
        r.rows_affected()
    }
}
