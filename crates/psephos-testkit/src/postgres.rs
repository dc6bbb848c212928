//! A throwaway PostgreSQL cluster for the tests: `initdb` and `pg_ctl` from `PATH` or Debian's
//! `/usr/lib/postgresql/*/bin`, run as the `postgres` user when the tests run as root (PostgreSQL
//! refuses root), on a free loopback port, in a temporary directory. One cluster per test
//! process, started on first use and shared by every test in it (each takes its own database,
//! [`crate::TestDb`]); a watchdog stops and removes it when the process exits.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use sqlx::Connection as _;

use crate::temp::unique;

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

pub(crate) fn find_pg_bin(name: &str) -> Option<PathBuf> {
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

pub(crate) fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// A command run as the `postgres` OS user when we are root (PostgreSQL
/// refuses to run as root).
pub(crate) fn as_pg(bin: &Path, root: bool) -> Command {
    if root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin);
        c
    } else {
        Command::new(bin)
    }
}

pub(crate) fn run(mut cmd: Command, what: &str) -> Result<(), String> {
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
