//! Support for the storage tests: throwaway SQLite files and a throwaway
//! PostgreSQL cluster (one per test binary, one database per test), board
//! configurations with fixed keys, and raw SQL for tampering.
// Each test binary uses only part of this.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ed25519_dalek::SigningKey;
use psephos_board::note::{Cosigner, VerifierKey};
use psephos_board::BoardConfig;
use sqlx::Connection as _;

pub const ORIGIN: &str = "board.test/psephos-2026";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "{prefix}-{}-{}-{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// A directory removed on drop.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> Self {
        let dir = std::env::temp_dir().join(unique(prefix));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The board's signing key (fixed, so tests are repeatable).
pub fn board_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// Witness number `i`.
pub fn witness(i: u8) -> Cosigner {
    Cosigner::new(
        &format!("witness-{i}.test"),
        SigningKey::from_bytes(&[100 + i; 32]),
    )
    .unwrap()
}

pub fn witness_keys(n: u8) -> Vec<VerifierKey> {
    (0..n).map(|i| witness(i).verifier_key().clone()).collect()
}

/// A configuration that seals only when asked (or at close).
pub fn config() -> BoardConfig {
    let mut c = BoardConfig::new(ORIGIN, board_key());
    c.witnesses = witness_keys(2);
    c.seal_interval = Duration::from_secs(3600);
    c
}

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

// ---------------------------------------------------------------------------
// Raw SQL, to tamper with a stored board the way an attacker with database
// access would.

pub enum Arg {
    I(i64),
    B(Vec<u8>),
    T(String),
}

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

// ---------------------------------------------------------------------------
// A throwaway PostgreSQL cluster.

/// A PostgreSQL cluster in a temporary directory on a free loopback port,
/// started once per test binary. A watchdog process stops it and removes the
/// directory when the test process exits, however it exits (normally, by a
/// panic, or killed), since statics are never dropped.
#[derive(Debug)]
pub struct PgCluster {
    pub port: u16,
    root: PathBuf,
}

static CLUSTER: OnceLock<Result<PgCluster, String>> = OnceLock::new();

/// The shared cluster. Panics with a clear message if PostgreSQL's server
/// binaries are missing: these tests must fail, never skip.
pub fn pg_cluster() -> &'static PgCluster {
    match CLUSTER.get_or_init(PgCluster::start) {
        Ok(c) => c,
        Err(e) => panic!(
            "PostgreSQL tests cannot run: {e}. Install the PostgreSQL server \
             (Debian: apt-get install postgresql) so that initdb and pg_ctl are on PATH \
             or under /usr/lib/postgresql/*/bin."
        ),
    }
}

fn find_pg_bin(name: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let p = dir.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let v = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            let p = e.path().join("bin").join(name);
            p.is_file().then_some((v, p))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, p)| p)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command run as the `postgres` OS user when we are root (PostgreSQL
/// refuses to run as root).
fn as_pg(bin: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

fn run(mut cmd: Command, what: &str) -> Result<(), String> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{what}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{what} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

impl PgCluster {
    fn start() -> Result<PgCluster, String> {
        let initdb = find_pg_bin("initdb").ok_or("initdb not found")?;
        let pg_ctl = find_pg_bin("pg_ctl").ok_or("pg_ctl not found")?;
        let root_user = is_root();
        let root = std::env::temp_dir().join(unique("psephos-pg"));
        std::fs::create_dir_all(&root).map_err(|e| e.to_string())?;
        if root_user {
            run(
                {
                    let mut c = Command::new("chown");
                    c.args(["postgres:postgres"]).arg(&root);
                    c
                },
                "chown",
            )?;
        }
        let data = root.join("data");
        // The watchdog first, so that even a failed start is cleaned up.
        let runas = if root_user {
            "runuser -u postgres -- "
        } else {
            ""
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; \
             {runas}'{pg_ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{root}'",
            pid = std::process::id(),
            pg_ctl = pg_ctl.display(),
            data = data.display(),
            root = root.display(),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("watchdog: {e}"))?;
        let mut cmd = as_pg(&initdb, root_user);
        cmd.arg("-D").arg(&data).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(cmd, "initdb")?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let mut cmd = as_pg(&pg_ctl, root_user);
        cmd.arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(root.join("server.log"))
            .args(["-w", "-t", "60", "-o"])
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=on \
                 -c synchronous_commit=on -c max_connections=400",
                root.display()
            ))
            .arg("start");
        run(cmd, "pg_ctl start")?;
        Ok(PgCluster { port, root })
    }

    pub fn url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.port)
    }

    /// A new, empty database; returns its URL.
    pub async fn create_database(&self) -> String {
        let name = unique("t").replace('-', "_");
        let mut c = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        self.url(&name)
    }

    pub fn data_dir(&self) -> PathBuf {
        self.root.join("data")
    }
}
