//! The open that checks only what the writer builds on (the latest signed checkpoint, the
//! tree's right edge, the entries after it) and leaves the full tamper check to a background
//! task (`BoardConfig::check_in_background`); entries read back against the tree verified at
//! open; authenticated snapshots. On SQLite and PostgreSQL, against a database edited the way
//! an attacker with write access to it (but not the board key) would.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_testkit as support;

use psephos_board::{Board, BoardConfig, BoardError, Entry, EntryKind, TamperCheck};
use support::{config, exec, Arg, Backend, TestDb};

fn entry(i: u64) -> Entry {
    Entry::new(EntryKind::Ballot, format!("ballot {i}").into_bytes()).unwrap()
}

fn background() -> BoardConfig {
    let mut c = config();
    c.check_in_background = true;
    c
}

/// A board of `n` entries (several pages of the check), sealed every 1000, closed; then `tail`
/// more entry rows written behind its back, as another sequencer would (taken on open as
/// sequenced entries and integrated, not covered by any checkpoint).
async fn filled(db: &TestDb, n: u64, tail: u64) {
    let board = Board::open(&db.url, config()).await.unwrap();
    let entries: Vec<Entry> = (0..n - tail).map(entry).collect();
    for chunk in entries.chunks(1000) {
        board.append_all(chunk.to_vec()).await.unwrap();
        board.seal_now().await.unwrap();
    }
    board.close().await.unwrap();
    for i in n - tail..n {
        exec(
            &db.url,
            "INSERT INTO board_entries (log_id, idx, kind, payload) \
             SELECT log_id, $1, $2, $3 FROM board_logs",
            &[
                Arg::I(i as i64),
                Arg::I(i64::from(EntryKind::Ballot.to_u8())),
                Arg::B(entry(i).payload),
            ],
        )
        .await;
    }
}

async fn a_clean_board_opens_and_passes_in_the_background(backend: Backend) {
    let db = TestDb::new(backend).await;
    // (The last 10 entries written by another sequencer: integrated on open.)
    filled(&db, 5000, 10).await;
    let board = Board::open(&db.url, background()).await.unwrap();
    assert_eq!(board.size(), 5000);
    assert_eq!(board.verified_size(), 5000);
    assert_eq!(
        board.wait_tamper_check().await,
        TamperCheck::Passed { size: 5000 }
    );
    assert!(board.background_error().is_none());
    // Appends extend the tree verified at open, and the checkpoints stay consistent.
    let old = board.latest_checkpoint().await.unwrap().unwrap();
    board.append(entry(5000)).await.unwrap();
    board.seal_now().await.unwrap();
    let new = board.latest_checkpoint().await.unwrap().unwrap();
    let proof = board.consistency_proof(old.size, new.size).await.unwrap();
    psephos_board::merkle::verify_consistency(old.size, new.size, &old.root, &new.root, &proof)
        .unwrap();
    // Every entry reads back verified; those appended since open are not in that tree.
    let got = board.verified_entries(4000, 4096).await.unwrap();
    assert_eq!(got.len(), 1000);
    assert_eq!(got[999], entry(4999));
    assert!(board.verified_entries(5000, 1).await.unwrap().is_empty());
    board.close().await.unwrap();
    // The open without the background check agrees (the full check before it returns).
    let board = Board::open(&db.url, config()).await.unwrap();
    assert_eq!(board.tamper_check(), TamperCheck::Passed { size: 5001 });
    board.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_board_opens_and_passes_in_the_background_sqlite() {
    a_clean_board_opens_and_passes_in_the_background(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_board_opens_and_passes_in_the_background_postgres() {
    a_clean_board_opens_and_passes_in_the_background(Backend::Postgres).await;
}

async fn an_altered_old_entry_is_found_in_the_background_and_writes_stop(backend: Backend) {
    let db = TestDb::new(backend).await;
    filled(&db, 5000, 0).await;
    exec(
        &db.url,
        "UPDATE board_entries SET payload = $1 WHERE idx = 1234",
        &[Arg::B(b"ballot 9999".to_vec())],
    )
    .await;
    // The quick check does not read entry 1234: the board opens.
    let board = Board::open(&db.url, background()).await.unwrap();
    assert_eq!(board.size(), 5000);
    // Reading the altered entry checked against the verified tree fails, at once.
    match board.verified_entries(1000, 1000).await {
        Err(BoardError::Unverified { start: 1000, .. }) => {}
        other => panic!("expected the altered page to be refused, got {other:?}"),
    }
    assert_eq!(board.verified_entries(2048, 100).await.unwrap().len(), 100);
    // The background check finds it and names it.
    match board.wait_tamper_check().await {
        TamperCheck::Failed { size: 5000, error } => {
            assert!(error.contains("from entry 1234"), "{error}")
        }
        other => panic!("expected the background check to fail, got {other:?}"),
    }
    assert!(board
        .background_error()
        .is_some_and(|e| e.to_string().contains("entry 1234")));
    // Every later append is refused, with the reason; nothing is written.
    match board.append(entry(5000)).await {
        Err(BoardError::TamperCheckFailed(why)) => assert!(why.contains("entry 1234"), "{why}"),
        other => panic!("expected the append to be refused, got {other:?}"),
    }
    assert!(matches!(
        board.save_snapshot(5000, b"state".to_vec()).await,
        Err(BoardError::TamperCheckFailed(_))
    ));
    assert_eq!(board.size(), 5000);
    board.close().await.unwrap();
    // And the open with the full check refuses the board, as before.
    match Board::open(&db.url, config()).await {
        Err(BoardError::Tampered {
            first_bad_index: 1234,
            ..
        }) => {}
        other => panic!("expected Tampered at 1234, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_old_entry_is_found_in_the_background_and_writes_stop_sqlite() {
    an_altered_old_entry_is_found_in_the_background_and_writes_stop(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_old_entry_is_found_in_the_background_and_writes_stop_postgres() {
    an_altered_old_entry_is_found_in_the_background_and_writes_stop(Backend::Postgres).await;
}

async fn what_the_writer_builds_on_is_checked_before_the_open(backend: Backend) {
    // An altered entry after the last checkpoint, a stored node of the right edge, the latest
    // checkpoint: the quick check sees each, and the full check then names it.
    let db = TestDb::new(backend).await;
    filled(&db, 3000, 0).await;
    // The newest block removed: entries 2000..3000 are the tail after the last checkpoint.
    exec(
        &db.url,
        "DELETE FROM board_blocks WHERE tree_size > 2000",
        &[],
    )
    .await;
    exec(
        &db.url,
        "UPDATE board_entries SET payload = $1 WHERE idx = 2995",
        &[Arg::B(b"ballot 1".to_vec())],
    )
    .await;
    match Board::open(&db.url, background()).await {
        Err(BoardError::Tampered {
            first_bad_index: 2995,
            ..
        }) => {}
        other => panic!("expected Tampered at 2995, got {other:?}"),
    }

    let db = TestDb::new(backend).await;
    filled(&db, 3000, 0).await;
    // Node (11, 0) covers leaves 0..2048: on the right edge of the tree of 3000.
    exec(
        &db.url,
        "UPDATE board_nodes SET hash = $1 WHERE level = 11 AND idx = 0",
        &[Arg::B(vec![7; 32])],
    )
    .await;
    match Board::open(&db.url, background()).await {
        Err(BoardError::Tampered { .. }) => {}
        other => panic!("expected Tampered, got {other:?}"),
    }

    let db = TestDb::new(backend).await;
    filled(&db, 3000, 0).await;
    exec(
        &db.url,
        "UPDATE board_blocks SET root = $1 WHERE tree_size = 3000",
        &[Arg::B(vec![7; 32])],
    )
    .await;
    match Board::open(&db.url, background()).await {
        Err(BoardError::TamperedBlock { .. }) => {}
        other => panic!("expected TamperedBlock, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_writer_builds_on_is_checked_before_the_open_sqlite() {
    what_the_writer_builds_on_is_checked_before_the_open(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_the_writer_builds_on_is_checked_before_the_open_postgres() {
    what_the_writer_builds_on_is_checked_before_the_open(Backend::Postgres).await;
}

async fn snapshots_are_authenticated_and_bound_to_the_tree(backend: Backend) {
    let db = TestDb::new(backend).await;
    filled(&db, 2000, 0).await;
    let board = Board::open(&db.url, background()).await.unwrap();
    assert_eq!(board.snapshot().await.unwrap(), None);
    board
        .save_snapshot(2000, b"state at 2000".to_vec())
        .await
        .unwrap();
    let got = board.snapshot().await.unwrap().unwrap();
    assert_eq!(
        (got.size, got.data.as_slice()),
        (2000, &b"state at 2000"[..])
    );
    // One taken at an older size (the writer proves its root from the stored tree).
    board.append(entry(2000)).await.unwrap();
    board
        .save_snapshot(1500, b"state at 1500".to_vec())
        .await
        .unwrap();
    assert!(matches!(
        board.save_snapshot(2002, b"beyond".to_vec()).await,
        Err(BoardError::SizeBeyondTree { .. })
    ));
    board.close().await.unwrap();

    // An older snapshot than the board is returned: the caller replays what follows it.
    let board = Board::open(&db.url, background()).await.unwrap();
    let got = board.snapshot().await.unwrap().unwrap();
    assert_eq!(
        (got.size, got.data.as_slice()),
        (1500, &b"state at 1500"[..])
    );
    board
        .save_snapshot(2001, b"state at 2001".to_vec())
        .await
        .unwrap();
    board.close().await.unwrap();

    // Edited bytes, size, root or code: refused.
    for (sql, arg) in [
        (
            "UPDATE board_snapshots SET data = $1",
            Arg::B(b"state at 2002".to_vec()),
        ),
        ("UPDATE board_snapshots SET tree_size = $1", Arg::I(1999)),
        ("UPDATE board_snapshots SET mac = $1", Arg::B(vec![0; 32])),
    ] {
        let db2 = TestDb::new(backend).await;
        filled(&db2, 2000, 0).await;
        let board = Board::open(&db2.url, config()).await.unwrap();
        board
            .save_snapshot(2000, b"state at 2000".to_vec())
            .await
            .unwrap();
        board.close().await.unwrap();
        exec(&db2.url, sql, &[arg]).await;
        let board = Board::open(&db2.url, background()).await.unwrap();
        match board.snapshot().await {
            Err(BoardError::BadSnapshot(why)) => {
                assert!(why.contains("authentication code"), "{sql}: {why}")
            }
            other => panic!("{sql}: expected the snapshot to be refused, got {other:?}"),
        }
        board.close().await.unwrap();
    }

    // Written by another board key: refused.
    let db2 = TestDb::new(backend).await;
    filled(&db2, 10, 0).await;
    let mut other = BoardConfig::new(
        "other.example/log",
        ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
    );
    other.seal_interval = std::time::Duration::from_secs(3600);
    let foreign = Board::open(&db2.url, other).await.unwrap();
    foreign
        .append_all((0..10).map(entry).collect())
        .await
        .unwrap();
    foreign.save_snapshot(10, b"state".to_vec()).await.unwrap();
    foreign.close().await.unwrap();
    exec(
        &db2.url,
        "UPDATE board_snapshots SET log_id = (SELECT log_id FROM board_logs WHERE origin = $1)",
        &[Arg::T(support::ORIGIN.to_owned())],
    )
    .await;
    let board = Board::open(&db2.url, background()).await.unwrap();
    assert!(matches!(
        board.snapshot().await,
        Err(BoardError::BadSnapshot(_))
    ));
    board.close().await.unwrap();

    // An authentic snapshot that claims more than the board holds: the newest entries it
    // covered were removed with their nodes and the block that sealed them (which leaves no
    // other trace).
    let db2 = TestDb::new(backend).await;
    filled(&db2, 1000, 0).await;
    let board = Board::open(&db2.url, config()).await.unwrap();
    board
        .append_all((1000..1010).map(entry).collect())
        .await
        .unwrap();
    board
        .save_snapshot(1010, b"state at 1010".to_vec())
        .await
        .unwrap();
    board.close().await.unwrap();
    exec(&db2.url, "DELETE FROM board_entries WHERE idx >= 1000", &[]).await;
    exec(
        &db2.url,
        "DELETE FROM board_nodes WHERE (idx + 1) * (1 << level) > 1000",
        &[],
    )
    .await;
    exec(
        &db2.url,
        "DELETE FROM board_blocks WHERE tree_size > 1000",
        &[],
    )
    .await;
    let board = Board::open(&db2.url, background()).await.unwrap();
    assert_eq!(board.size(), 1000);
    match board.snapshot().await {
        Err(BoardError::SnapshotContradicted { size: 1010, detail }) => {
            assert!(detail.contains("1000"), "{detail}")
        }
        other => panic!("expected the snapshot to contradict the log, got {other:?}"),
    }
    assert_eq!(
        board.wait_tamper_check().await,
        TamperCheck::Passed { size: 1000 }
    );
    board.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_are_authenticated_and_bound_to_the_tree_sqlite() {
    snapshots_are_authenticated_and_bound_to_the_tree(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn snapshots_are_authenticated_and_bound_to_the_tree_postgres() {
    snapshots_are_authenticated_and_bound_to_the_tree(Backend::Postgres).await;
}
