//! `Board::open_reading`: the open-time tamper check hands every entry to the caller, in order,
//! once, and only entries that verified; a caller's refusal stops the open. On SQLite and
//! PostgreSQL.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_testkit as support;

use psephos_board::{Board, BoardError, Entry, EntryKind};
use support::{config, exec, Arg, Backend, TestDb};

fn entry(i: u64) -> Entry {
    let kind = if i % 5 == 0 {
        EntryKind::Control
    } else {
        EntryKind::Ballot
    };
    Entry::new(
        kind,
        format!("entry {i} {}", "x".repeat((i % 40) as usize)).into_bytes(),
    )
    .unwrap()
}

/// A board of `n` entries (more than one page of the check), sealed twice, closed.
async fn filled(db: &TestDb, n: u64) {
    let board = Board::open(&db.url, config()).await.unwrap();
    let entries: Vec<Entry> = (0..n).map(entry).collect();
    for chunk in entries.chunks(1000) {
        board.append_all(chunk.to_vec()).await.unwrap();
        if chunk.len() == 1000 {
            board.seal_now().await.unwrap();
        }
    }
    board.close().await.unwrap();
}

/// Opens with a visitor; returns what it saw as (index, entry).
async fn read(db: &TestDb, verify: bool) -> (Result<Board, BoardError>, Vec<(u64, Entry)>) {
    let mut seen = Vec::new();
    let mut c = config();
    c.verify_on_open = verify;
    let opened = Board::open_reading(&db.url, c, |start, page| {
        for (i, e) in page.into_iter().enumerate() {
            seen.push((start + i as u64, e));
        }
        Ok(())
    })
    .await;
    (opened, seen)
}

async fn every_entry_is_handed_over_once_in_order(backend: Backend) {
    let db = TestDb::new(backend).await;
    let n = 5000;
    filled(&db, n).await;
    for verify in [true, false] {
        let (opened, seen) = read(&db, verify).await;
        let board = opened.unwrap();
        assert_eq!(board.size(), n);
        assert_eq!(seen.len() as u64, n, "verify_on_open = {verify}");
        for (k, (i, e)) in seen.iter().enumerate() {
            assert_eq!(*i, k as u64);
            assert_eq!(e, &entry(k as u64));
        }
        board.close().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entry_is_handed_over_once_in_order_sqlite() {
    every_entry_is_handed_over_once_in_order(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_entry_is_handed_over_once_in_order_postgres() {
    every_entry_is_handed_over_once_in_order(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_stops_the_open_and_a_tampered_entry_is_never_handed_over() {
    let db = TestDb::new(Backend::Sqlite).await;
    filled(&db, 3000).await;
    // The caller refuses entry 2500: the open fails with its words.
    let mut c = config();
    c.verify_on_open = true;
    let got = Board::open_reading(&db.url, c, |start, page| {
        if start + page.len() as u64 > 2500 {
            Err("entry 2500 breaks the rules".to_owned())
        } else {
            Ok(())
        }
    })
    .await;
    match got {
        Err(BoardError::Refused(why)) => assert!(why.contains("2500"), "{why}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // The database edited at entry 2100: the check fails, and the page holding it (entries
    // from 2048) is never handed over.
    exec(
        &db.url,
        "UPDATE board_entries SET payload = ? WHERE idx = ?",
        &[Arg::B(b"forged".to_vec()), Arg::I(2100)],
    )
    .await;
    let (opened, seen) = read(&db, true).await;
    match opened {
        Err(BoardError::Tampered {
            first_bad_index, ..
        }) => assert_eq!(first_bad_index, 2100),
        other => panic!("expected tampering to be found, got {other:?}"),
    }
    assert!(seen.len() <= 2048, "{} entries handed over", seen.len());
    assert!(seen.iter().all(|(i, e)| e == &entry(*i)));
}
