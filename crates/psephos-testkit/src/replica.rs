//! A throwaway PostgreSQL primary with a streaming replica ([`PgReplicaPair`]): a cluster of
//! its own (not the shared [`crate::pg_cluster`]) started for replication, and a hot standby
//! made from it with `pg_basebackup -R`, on another free loopback port. The tests that serve
//! reads from a replica make its lag deterministic with [`PgReplicaPair::pause_replay`] rather
//! than relying on timing. A watchdog stops both clusters and removes their directory when the
//! test process exits, however it exits.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

use sqlx::Connection as _;

use crate::postgres::{as_pg, find_pg_bin, is_root, run};
use crate::temp::unique;

/// A primary and its streaming replica, each on its own port.
#[derive(Debug)]
pub struct PgReplicaPair {
    pub primary_port: u16,
    pub replica_port: u16,
    root: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

impl PgReplicaPair {
    /// Starts the primary, makes the replica from it and starts it; panics with the tools'
    /// output if a step fails.
    #[allow(clippy::zombie_processes)] // the watchdog outlives this process by design
    pub fn start() -> PgReplicaPair {
        let initdb = find_pg_bin("initdb").expect("initdb not found");
        let pg_ctl = find_pg_bin("pg_ctl").expect("pg_ctl not found");
        let basebackup = find_pg_bin("pg_basebackup").expect("pg_basebackup not found");
        let root_user = is_root();
        let root = std::env::temp_dir().join(unique("psephos-pg-pair"));
        std::fs::create_dir_all(&root).unwrap();
        if root_user {
            let mut c = Command::new("chown");
            c.args(["postgres:postgres"]).arg(&root);
            run(c, "chown").unwrap();
        }
        let (primary, replica) = (root.join("primary"), root.join("replica"));
        let runas = if root_user {
            "runuser -u postgres -- "
        } else {
            ""
        };
        // The watchdog first, so that even a failed start is cleaned up: the replica first.
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.2; done; \
             {runas}'{pg_ctl}' -D '{replica}' -m immediate stop >/dev/null 2>&1; \
             {runas}'{pg_ctl}' -D '{primary}' -m immediate stop >/dev/null 2>&1; \
             rm -rf '{root}'",
            pid = std::process::id(),
            pg_ctl = pg_ctl.display(),
            replica = replica.display(),
            primary = primary.display(),
            root = root.display(),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut cmd = as_pg(&initdb, root_user);
        cmd.arg("-D").arg(&primary).args([
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8",
            "--no-sync",
        ]);
        run(cmd, "initdb").unwrap();
        let start = |data: &PathBuf, port: u16, log: &str| {
            let mut cmd = as_pg(&pg_ctl, root_user);
            cmd.arg("-D")
                .arg(data)
                .arg("-l")
                .arg(root.join(log))
                .args(["-w", "-t", "120", "-o"])
                .arg(format!(
                    "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200 \
                     -c wal_level=replica -c max_wal_senders=4 -c hot_standby=on",
                    root.display()
                ))
                .arg("start");
            run(cmd, &format!("pg_ctl start ({log})")).unwrap();
        };
        let primary_port = free_port();
        start(&primary, primary_port, "primary.log");
        let mut cmd = as_pg(&basebackup, root_user);
        cmd.args([
            "-h",
            "127.0.0.1",
            "-p",
            &primary_port.to_string(),
            "-U",
            "postgres",
        ])
        .arg("-D")
        .arg(&replica)
        .args(["-R", "-X", "stream", "--no-sync"]);
        run(cmd, "pg_basebackup -R").unwrap();
        let replica_port = free_port();
        start(&replica, replica_port, "replica.log");
        PgReplicaPair {
            primary_port,
            replica_port,
            root,
        }
    }

    /// The URL of database `db` on the primary.
    pub fn primary_url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.primary_port)
    }

    /// The URL of database `db` on the replica.
    pub fn replica_url(&self, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{db}", self.replica_port)
    }

    /// Creates database `db` on the primary and waits until the replica has replayed it.
    pub async fn create_database(&self, db: &str) {
        let mut c = sqlx::PgConnection::connect(&self.primary_url("postgres"))
            .await
            .unwrap();
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&mut c)
            .await
            .unwrap();
        c.close().await.unwrap();
        self.wait_replayed().await;
    }

    async fn replica_query(&self, sql: &str) {
        let mut c = sqlx::PgConnection::connect(&self.replica_url("postgres"))
            .await
            .unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
        c.close().await.unwrap();
    }

    /// Stops the replica replaying the primary's WAL (it keeps receiving it): from now on it
    /// shows the database as it is at this moment, whatever the primary does.
    pub async fn pause_replay(&self) {
        self.replica_query("SELECT pg_wal_replay_pause()").await;
        // Paused once the state says so (a pause requested mid-record takes a moment).
        let mut c = sqlx::PgConnection::connect(&self.replica_url("postgres"))
            .await
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let state: String = sqlx::query_scalar("SELECT pg_get_wal_replay_pause_state()")
                .fetch_one(&mut c)
                .await
                .unwrap();
            if state == "paused" {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "replay never paused");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        c.close().await.unwrap();
    }

    /// Lets the replica replay again.
    pub async fn resume_replay(&self) {
        self.replica_query("SELECT pg_wal_replay_resume()").await;
    }

    /// Waits until the replica has replayed everything the primary had written when this was
    /// called.
    pub async fn wait_replayed(&self) {
        let mut p = sqlx::PgConnection::connect(&self.primary_url("postgres"))
            .await
            .unwrap();
        let target: String = sqlx::query_scalar("SELECT pg_current_wal_lsn()::text")
            .fetch_one(&mut p)
            .await
            .unwrap();
        p.close().await.unwrap();
        let mut r = sqlx::PgConnection::connect(&self.replica_url("postgres"))
            .await
            .unwrap();
        let deadline = std::time::Instant::now() + Duration::from_secs(120);
        loop {
            let done: bool = sqlx::query_scalar(
                "SELECT COALESCE(pg_last_wal_replay_lsn() >= $1::pg_lsn, false)",
            )
            .bind(&target)
            .fetch_one(&mut r)
            .await
            .unwrap();
            if done {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the replica never replayed {target}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        r.close().await.unwrap();
    }

    /// The clusters' directory (logs in it).
    pub fn root(&self) -> &PathBuf {
        &self.root
    }
}
