//! Crash safety: an acknowledged append is never lost.
//!
//! The test re-executes this test binary as a child process (the ignored test
//! `crash_child`, selected with `--exact --ignored`), which runs a board with
//! 16 concurrent appenders and prints `ACK <index> <run> <writer> <seq>` as
//! soon as each `append` returns. The parent reads those lines, kills the
//! child with SIGKILL after a different number of acknowledgements each
//! round, reopens the board (which runs the full tamper check), and checks
//! that every acknowledged entry is there with the right content, that tree,
//! blocks and checkpoints verify, and that appending continues.
//!
//! The same with several boards of one database committing through one commit group
//! (`crash_child_group`: the appenders spread over three elections' boards), as a service
//! hosting several elections on SQLite runs them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_testkit as support;

use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use psephos_board::checkpoint::SignedCheckpoint;
use psephos_board::merkle::verify_consistency;
use psephos_board::{Board, CommitGroup, Entry, EntryKind};
use support::{config, pg_cluster, TestDb, ORIGIN};

const CHILD_URL: &str = "PSEPHOS_BOARD_CRASH_URL";
const CHILD_RUN: &str = "PSEPHOS_BOARD_CRASH_RUN";
const WRITERS: u64 = 16;

fn payload(run: u64, writer: u64, seq: u64) -> Entry {
    let mut p = format!("run {run} writer {writer} seq {seq} ").into_bytes();
    p.resize(256, b'.');
    Entry::new(EntryKind::Ballot, p).unwrap()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The child: appends until killed.
#[test]
#[ignore = "run by the crash tests as a child process"]
fn crash_child() {
    let Ok(url) = std::env::var(CHILD_URL) else {
        return;
    };
    let run: u64 = std::env::var(CHILD_RUN).unwrap().parse().unwrap();
    runtime().block_on(async move {
        let mut c = config();
        c.seal_interval = Duration::from_millis(15);
        let board = Board::open(&url, c).await.unwrap();
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let board = board.clone();
            tasks.push(tokio::spawn(async move {
                for s in 0.. {
                    let r = board.append(payload(run, w, s)).await.unwrap();
                    // Stdout is line-buffered: the line leaves at once.
                    println!("ACK {} {run} {w} {s}", r.index);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// The elections of the grouped crash test; appender `w` appends to board `w % 3`.
const GROUP_SLUGS: [&str; 3] = ["north", "south", "harbour"];

/// The grouped child: three boards of one SQLite database in one commit group, appending until
/// killed.
#[test]
#[ignore = "run by the crash tests as a child process"]
fn crash_child_group() {
    let Ok(url) = std::env::var(CHILD_URL) else {
        return;
    };
    let run: u64 = std::env::var(CHILD_RUN).unwrap().parse().unwrap();
    runtime().block_on(async move {
        let group = CommitGroup::connect(&url).await.unwrap();
        let mut boards = Vec::new();
        for slug in GROUP_SLUGS {
            let mut c = support::election_config(slug);
            c.seal_interval = Duration::from_millis(15);
            c.commit_group = Some(group.clone());
            boards.push(Board::open(&url, c).await.unwrap());
        }
        let mut tasks = Vec::new();
        for w in 0..WRITERS {
            let board = boards[(w % 3) as usize].clone();
            tasks.push(tokio::spawn(async move {
                for s in 0.. {
                    let r = board.append(payload(run, w, s)).await.unwrap();
                    println!("ACK {} {run} {w} {s}", r.index);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

/// Runs one child until `kill_after` acknowledgements, then SIGKILLs it; returns what was
/// acknowledged: (index, appender, entry).
fn run_child(child_test: &str, url: &str, run: u64, kill_after: usize) -> Vec<(u64, u64, Entry)> {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .args([
            child_test,
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_URL, url)
        .env(CHILD_RUN, run.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    // Keep the pipe open until the kill, so the child never sees EPIPE.
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    let mut acked = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        let line = line.trim_end();
        let Some(rest) = line.strip_prefix("ACK ") else {
            continue;
        };
        let f: Vec<u64> = rest.split(' ').map(|x| x.parse().unwrap()).collect();
        acked.push((f[0], f[2], payload(f[1], f[2], f[3])));
        if acked.len() >= kill_after {
            break;
        }
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drop(reader);
    assert_eq!(
        acked.len(),
        kill_after,
        "the child stopped before {kill_after} acknowledgements"
    );
    acked
}

fn crash_rounds(url: &str, kill_points: &[usize]) {
    let rt = runtime();
    let mut all: Vec<(u64, Entry)> = Vec::new();
    let mut last_checkpoint: Option<(u64, psephos_board::merkle::Hash)> = None;
    for (run, &kill_after) in kill_points.iter().enumerate() {
        all.extend(
            run_child("crash::crash_child", url, run as u64, kill_after)
                .into_iter()
                .map(|(i, _, e)| (i, e)),
        );
        rt.block_on(async {
            // Opening runs the full tamper check: entries, tree, blocks, checkpoints.
            let board = Board::open(url, config()).await.unwrap();
            let size = board.size();
            for (index, entry) in &all {
                assert!(
                    *index < size,
                    "acknowledged index {index} lost (size {size})"
                );
                assert_eq!(&board.entry(*index).await.unwrap(), entry, "entry {index}");
            }
            let report = board.check().await.unwrap();
            assert!(report.is_ok(), "{report:?}");
            assert_eq!(report.entries, size);
            // The published history only grows.
            if let Some((old_size, old_root)) = last_checkpoint {
                let cp = board.latest_checkpoint().await.unwrap().unwrap();
                let proof = board.consistency_proof(old_size, cp.size).await.unwrap();
                verify_consistency(old_size, cp.size, &old_root, &cp.root, &proof).unwrap();
            }
            // Appending continues at the next index.
            let extra = payload(1000 + run as u64, 0, 0);
            let r = board.append(extra.clone()).await.unwrap();
            assert_eq!(r.index, size);
            all.push((r.index, extra));
            let block = board.seal_now().await.unwrap().unwrap();
            let signed = SignedCheckpoint::open(
                block.header.checkpoint.as_bytes(),
                ORIGIN,
                board.verifier_key(),
                &[],
            )
            .unwrap();
            assert_eq!(signed.checkpoint().size, size + 1);
            assert_eq!(
                signed.checkpoint().root,
                board.tree_root(size + 1).await.unwrap()
            );
            last_checkpoint = Some((size + 1, block.header.root));
            board.close().await.unwrap();
        });
    }
}

#[test]
fn sqlite_survives_sigkill() {
    let rt = runtime();
    let db = rt.block_on(TestDb::new(support::Backend::Sqlite));
    crash_rounds(&db.url, &[1, 23, 160, 700, 57, 1500]);
}

#[test]
fn postgres_survives_sigkill() {
    let rt = runtime();
    let url = rt.block_on(pg_cluster().create_database());
    crash_rounds(&url, &[5, 300, 90]);
}

/// The grouped child's rounds: after each kill, every board reopens alone (full tamper check)
/// and holds every entry acknowledged to it, and appending continues at its next index.
fn group_crash_rounds(url: &str, kill_points: &[usize]) {
    let rt = runtime();
    let mut all: Vec<Vec<(u64, Entry)>> = vec![Vec::new(); GROUP_SLUGS.len()];
    for (run, &kill_after) in kill_points.iter().enumerate() {
        for (index, writer, entry) in
            run_child("crash::crash_child_group", url, run as u64, kill_after)
        {
            all[(writer % 3) as usize].push((index, entry));
        }
        rt.block_on(async {
            for (k, slug) in GROUP_SLUGS.iter().enumerate() {
                let board = Board::open(url, support::election_config(slug))
                    .await
                    .unwrap();
                let size = board.size();
                for (index, entry) in &all[k] {
                    assert!(
                        *index < size,
                        "{slug}: acknowledged index {index} lost (size {size})"
                    );
                    assert_eq!(&board.entry(*index).await.unwrap(), entry, "{slug} {index}");
                }
                let report = board.check().await.unwrap();
                assert!(report.is_ok(), "{slug}: {report:?}");
                let extra = payload(1000 + run as u64, k as u64, 0);
                let r = board.append(extra.clone()).await.unwrap();
                assert_eq!(r.index, size);
                all[k].push((r.index, extra));
                board.close().await.unwrap();
            }
        });
    }
    assert!(all.iter().all(|a| a.len() > kill_points.len()));
}

#[test]
fn sqlite_commit_group_survives_sigkill() {
    let rt = runtime();
    let db = rt.block_on(TestDb::new(support::Backend::Sqlite));
    group_crash_rounds(&db.url, &[1, 40, 300, 900, 77]);
}
