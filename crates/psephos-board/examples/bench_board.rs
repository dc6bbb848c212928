//! Board storage benchmark: durable appends/s with p50/p99 latency for 1, 16
//! and 64 concurrent writers of 2 KiB entries, storage bytes per entry, and
//! proof generation time at 10⁶ entries, on SQLite and PostgreSQL.
//!
//! ```text
//! cargo run --release -p psephos-board --example bench_board -- [--secs 5] [--proof-size 1000000] [--sqlite-only]
//! ```
//!
//! Databases live in a fresh directory under the system temp dir (a disk,
//! not tmpfs, on the project's machines); PostgreSQL is a throwaway cluster
//! started like the tests' (fsync on, synchronous_commit on).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_testkit as support;

use std::time::{Duration, Instant};

use psephos_board::{Board, BoardConfig, Entry, EntryKind};
use support::{pg_cluster, Backend, TempDir};

const ENTRY_BYTES: usize = 2048;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn payload(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut p = Vec::with_capacity(len + 8);
    while p.len() < len {
        p.extend_from_slice(&rng.next().to_le_bytes());
    }
    p.truncate(len);
    p
}

fn config() -> BoardConfig {
    let mut c = support::config();
    c.seal_interval = Duration::from_secs(1);
    c
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn new_url(backend: Backend, dir: &TempDir, name: &str) -> String {
    match backend {
        Backend::Sqlite => format!(
            "sqlite://{}?mode=rwc",
            dir.path().join(format!("{name}.db")).display()
        ),
        Backend::Postgres => pg_cluster().create_database().await,
    }
}

async fn storage_bytes(backend: Backend, url: &str, dir: &TempDir, name: &str) -> u64 {
    match backend {
        Backend::Sqlite => ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(dir.path().join(format!("{name}.db{s}"))).ok())
            .map(|m| m.len())
            .sum(),
        Backend::Postgres => {
            use sqlx::Connection as _;
            let mut c = sqlx::PgConnection::connect(url).await.unwrap();
            let n: i64 = sqlx::query_scalar(
                "SELECT (pg_total_relation_size('board_entries') + pg_total_relation_size('board_nodes') \
                 + pg_total_relation_size('board_blocks'))::bigint",
            )
            .fetch_one(&mut c)
            .await
            .unwrap();
            n as u64
        }
    }
}

async fn appends(backend: Backend, writers: usize, secs: f64, dir: &TempDir) {
    let name = format!("appends-{writers}");
    let url = new_url(backend, dir, &name).await;
    let board = Board::open(&url, config()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..writers {
        let board = board.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (w as u64 + 1));
            let mut lat = Vec::new();
            while Instant::now() < deadline {
                let e = Entry::new(EntryKind::Ballot, payload(&mut rng, ENTRY_BYTES)).unwrap();
                let t = Instant::now();
                board.append(e).await.unwrap();
                lat.push(t.elapsed());
            }
            lat
        }));
    }
    let mut lat = Vec::new();
    for t in tasks {
        lat.extend(t.await.unwrap());
    }
    let elapsed = start.elapsed();
    lat.sort();
    let n = lat.len() as u64;
    let commits = board.commits();
    board.close().await.unwrap();
    let bytes = storage_bytes(backend, &url, dir, &name).await;
    println!(
        "{backend:?} appends  writers={writers:>2}  {:>8.0} appends/s  p50 {:>7.2} ms  p99 {:>7.2} ms  \
         ({n} appends, {commits} commits, {:.1} per commit)  storage {:.0} bytes/entry",
        n as f64 / elapsed.as_secs_f64(),
        ms(pct(&lat, 0.5)),
        ms(pct(&lat, 0.99)),
        n as f64 / commits.max(1) as f64,
        bytes as f64 / n.max(1) as f64,
    );
}

async fn proofs(backend: Backend, size: u64, dir: &TempDir) {
    let name = "proofs";
    let url = new_url(backend, dir, name).await;
    let mut c = config();
    c.seal_interval = Duration::from_secs(3600);
    c.max_batch_entries = 8192;
    let board = Board::open(&url, c).await.unwrap();
    let t = Instant::now();
    let mut rng = Rng(42);
    let mut next = 0u64;
    while next < size {
        let n = 8192.min(size - next);
        let batch: Vec<Entry> = (0..n)
            .map(|_| Entry::new(EntryKind::Ballot, payload(&mut rng, 64)).unwrap())
            .collect();
        board.append_all(batch).await.unwrap();
        next += n;
    }
    board.seal_now().await.unwrap();
    let build = t.elapsed();
    let mut inc = Vec::new();
    let mut con = Vec::new();
    for _ in 0..2000 {
        let index = rng.next() % size;
        let t = Instant::now();
        let p = board.inclusion_proof(index, size).await.unwrap();
        inc.push(t.elapsed());
        assert!(!p.hashes.is_empty());
        let old = 1 + rng.next() % (size - 1);
        let t = Instant::now();
        board.consistency_proof(old, size).await.unwrap();
        con.push(t.elapsed());
    }
    inc.sort();
    con.sort();
    let t = Instant::now();
    let report = board.check().await.unwrap();
    let check = t.elapsed();
    assert!(report.is_ok());
    board.close().await.unwrap();
    let t = Instant::now();
    let board = Board::open(&url, config()).await.unwrap();
    let open = t.elapsed();
    board.close().await.unwrap();
    let bytes = storage_bytes(backend, &url, dir, name).await;
    println!(
        "{backend:?} proofs   size={size}  build {:.1} s ({:.0} entries/s, 64-byte payloads)  \
         inclusion p50 {:.0} µs p99 {:.0} µs  consistency p50 {:.0} µs p99 {:.0} µs  \
         check {:.1} s  verified open {:.1} s  storage {:.0} bytes/entry",
        build.as_secs_f64(),
        size as f64 / build.as_secs_f64(),
        us(pct(&inc, 0.5)),
        us(pct(&inc, 0.99)),
        us(pct(&con, 0.5)),
        us(pct(&con, 0.99)),
        check.as_secs_f64(),
        open.as_secs_f64(),
        bytes as f64 / size as f64,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let secs: f64 = arg("--secs").map_or(5.0, |s| s.parse().unwrap());
    let proof_size: u64 = arg("--proof-size").map_or(1_000_000, |s| s.parse().unwrap());
    let backends: &[Backend] = if args.iter().any(|a| a == "--sqlite-only") {
        &[Backend::Sqlite]
    } else if args.iter().any(|a| a == "--pg-only") {
        &[Backend::Postgres]
    } else {
        &[Backend::Sqlite, Backend::Postgres]
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = TempDir::new("psephos-board-bench");
        println!("data under {}", dir.path().display());
        for &backend in backends {
            for writers in [1, 16, 64] {
                appends(backend, writers, secs, &dir).await;
            }
            if proof_size > 1 {
                proofs(backend, proof_size, &dir).await;
            }
        }
    });
}
