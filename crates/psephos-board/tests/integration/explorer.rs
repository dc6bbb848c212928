//! The explorer's paged reads on a board of 10⁵ entries, on SQLite and PostgreSQL: entries of
//! one kind oldest first and newest first, blocks newest first, page sizes bounded, and (on
//! SQLite, whose plan is easy to read) the kind index used rather than a scan.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_board::store::MAX_ENTRIES_PAGE;
use psephos_board::{Board, Entry, EntryKind};
use psephos_testkit::{config, Backend, TestDb};

const SIZE: u64 = 100_000;

/// Entry `i`: mostly ballots, a challenge every 97th, a ceremony message every 1,000th.
fn kind_of(i: u64) -> EntryKind {
    if i % 1000 == 0 {
        EntryKind::CeremonyMessage
    } else if i % 97 == 0 {
        EntryKind::Challenge
    } else {
        EntryKind::Ballot
    }
}

fn entry(i: u64) -> Entry {
    Entry::new(kind_of(i), format!("entry {i}").into_bytes()).unwrap()
}

async fn explorer_pages(b: Backend) {
    let db = TestDb::new(b).await;
    let board = Board::open(&db.url, config()).await.unwrap();
    let batch = 4000;
    for start in (0..SIZE).step_by(batch) {
        let end = (start + batch as u64).min(SIZE);
        board
            .append_all((start..end).map(entry).collect())
            .await
            .unwrap();
        board.seal_now().await.unwrap();
    }
    assert_eq!(board.size(), SIZE);

    // Oldest first, from the middle: the next 200 challenges after index 50,000.
    let want: Vec<u64> = (50_000..SIZE)
        .filter(|&i| kind_of(i) == EntryKind::Challenge)
        .take(200)
        .collect();
    let page = board
        .entries_of_kind(EntryKind::Challenge, Some(50_000), 0, 200)
        .await
        .unwrap();
    let got: Vec<u64> = page.iter().map(|(i, _)| *i).collect();
    assert_eq!(got, want);
    for (i, e) in &page {
        assert_eq!(e, &entry(*i), "entry {i} comes back as stored");
    }

    // Newest first: the last ceremony messages, then the page before them.
    let page = board
        .entries_of_kind(EntryKind::CeremonyMessage, None, SIZE, 30)
        .await
        .unwrap();
    let got: Vec<u64> = page.iter().map(|(i, _)| *i).collect();
    let want: Vec<u64> = (70..100).rev().map(|k| k * 1000).collect();
    assert_eq!(got, want);
    let older = board
        .entries_of_kind(EntryKind::CeremonyMessage, None, 70_000, 100)
        .await
        .unwrap();
    let got: Vec<u64> = older.iter().map(|(i, _)| *i).collect();
    assert_eq!(got, (0..70).rev().map(|k| k * 1000).collect::<Vec<_>>());

    // A kind absent from the board, and an empty range, are empty pages.
    assert!(board
        .entries_of_kind(EntryKind::Result, Some(0), 0, 50)
        .await
        .unwrap()
        .is_empty());
    assert!(board
        .entries_of_kind(EntryKind::Ballot, None, 0, 50)
        .await
        .unwrap()
        .is_empty());

    // A page is never longer than the bound, whatever is asked.
    let page = board
        .entries_of_kind(EntryKind::Ballot, Some(0), 0, 1_000_000)
        .await
        .unwrap();
    assert_eq!(page.len() as u64, MAX_ENTRIES_PAGE);

    // Blocks newest first, and the page before.
    let latest = board.latest_block().await.unwrap().unwrap();
    let blocks = board.blocks_before(u64::MAX, 3).await.unwrap();
    let numbers: Vec<u64> = blocks.iter().map(|b| b.header.number).collect();
    let n = latest.header.number;
    assert_eq!(numbers, vec![n, n - 1, n - 2]);
    let before = board.blocks_before(n - 2, 2).await.unwrap();
    assert_eq!(
        before.iter().map(|b| b.header.number).collect::<Vec<_>>(),
        vec![n - 3, n - 4]
    );

    if let Some(plan) = board.explain_entries_of_kind().await.unwrap() {
        assert!(
            plan.contains("board_entries_kind"),
            "the kind page must read the kind index, not scan the log:\n{plan}"
        );
        assert!(
            !plan.contains("TEMP B-TREE"),
            "no sort of the whole kind:\n{plan}"
        );
    }
    board.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explorer_pages_sqlite() {
    explorer_pages(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explorer_pages_postgres() {
    explorer_pages(Backend::Postgres).await
}
