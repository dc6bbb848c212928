//! The commit group: several boards of one SQLite database committing their appends in one
//! transaction. What must hold: batches queued together commit together (fewer transactions
//! than batches); a transaction that fails fails the appends of every board in it and leaves
//! each board consistent (its size, its next index, its tree and its tamper check); a statement
//! that fails for one board's rows fails that board's appends alone; and a group is refused
//! where it cannot serve (PostgreSQL, another file).
//!
//! The rounds are made deterministic without timing: a second connection holds the file's
//! write lock, so the group's transaction waits on it with one batch taken, while the batches
//! of the other boards queue behind it (`CommitGroup::stats` shows both); releasing the lock
//! lets the group commit the first round, then the queued batches in the next.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_testkit as support;

use std::time::Duration;

use psephos_board::store::TamperCheck;
use psephos_board::{
    AppendReceipt, Board, BoardConfig, BoardError, CommitGroup, CommitGroupStats, Entry, EntryKind,
};
use sqlx::Connection as _;
use support::{Backend, TestDb};

fn ballot(board: &str, i: u64) -> Entry {
    Entry::new(
        EntryKind::Ballot,
        format!("{board} ballot {i}").into_bytes(),
    )
    .unwrap()
}

fn config(slug: &str, group: &CommitGroup) -> BoardConfig {
    let mut c = support::election_config(slug);
    c.commit_group = Some(group.clone());
    c
}

/// Waits (up to 30 s) until the group's state satisfies `cond`.
async fn wait_for(group: &CommitGroup, what: &str, cond: impl Fn(CommitGroupStats) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !cond(group.stats()) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {:?}",
            group.stats()
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Holds the database file's write lock until [`Blocker::release`].
struct Blocker(sqlx::SqliteConnection);

impl Blocker {
    async fn hold(url: &str) -> Blocker {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut c)
            .await
            .unwrap();
        Blocker(c)
    }

    async fn release(mut self) {
        sqlx::query("ROLLBACK").execute(&mut self.0).await.unwrap();
        self.0.close().await.unwrap();
    }
}

type Pending = tokio::task::JoinHandle<Result<AppendReceipt, BoardError>>;

fn append(board: &Board, entry: Entry) -> Pending {
    let board = board.clone();
    tokio::spawn(async move { board.append(entry).await })
}

/// One append to `first`, taken by the group and held in its transaction by the blocker, then
/// one append to each of `rest`, queued behind it; then the lock is released. Returns the
/// appends' outcomes, `first`'s first.
async fn two_rounds(
    url: &str,
    group: &CommitGroup,
    first: (&Board, Entry),
    rest: &[(&Board, Entry)],
) -> Vec<Result<AppendReceipt, BoardError>> {
    let blocker = Blocker::hold(url).await;
    let head = append(first.0, first.1);
    wait_for(group, "the first round to start", |s| s.committing == 1).await;
    let tail: Vec<Pending> = rest.iter().map(|(b, e)| append(b, e.clone())).collect();
    wait_for(group, "the other batches to queue", |s| {
        s.queued == rest.len()
    })
    .await;
    blocker.release().await;
    let mut out = vec![head.await.unwrap()];
    for t in tail {
        out.push(t.await.unwrap());
    }
    out
}

/// Every board of the test: appended to its `n` entries, sealed, and checked whole.
async fn assert_whole(board: &Board, n: u64) {
    assert_eq!(board.size(), n, "{}", board.origin());
    assert_eq!(board.refresh().await.unwrap(), n, "{}", board.origin());
    board.seal_now().await.unwrap();
    let report = board.check().await.unwrap();
    assert!(report.is_ok(), "{}: {report:?}", board.origin());
    assert_eq!(report.entries, n);
}

#[tokio::test]
async fn boards_of_one_database_commit_together() {
    let db = TestDb::new(Backend::Sqlite).await;
    let group = CommitGroup::connect(&db.url).await.unwrap();
    let slugs = ["z", "a", "b", "c"];
    let mut boards = Vec::new();
    for s in slugs {
        boards.push(Board::open(&db.url, config(s, &group)).await.unwrap());
    }
    let before = group.stats();
    let rest: Vec<(&Board, Entry)> = boards[1..].iter().map(|b| (b, ballot("x", 0))).collect();
    let out = two_rounds(&db.url, &group, (&boards[0], ballot("z", 0)), &rest).await;
    for r in &out {
        assert_eq!(r.as_ref().unwrap().index, 0);
    }
    let after = group.stats();
    // Four boards' batches, two transactions: the three queued together committed together.
    assert_eq!(after.transactions - before.transactions, 2, "{after:?}");
    assert_eq!(after.batches - before.batches, 4, "{after:?}");
    for b in &boards {
        assert_eq!(b.commits(), 1, "{}", b.origin());
    }

    // Many appends to every board at once: every one acknowledged in order, in fewer
    // transactions than batches.
    let before = group.stats();
    let mut tasks = Vec::new();
    for (k, b) in boards.iter().enumerate() {
        for i in 1..=50 {
            tasks.push((k, i, append(b, ballot(slugs[k], i))));
        }
    }
    for (k, i, t) in tasks {
        let r = t.await.unwrap().unwrap();
        assert_eq!(boards[k].entry(r.index).await.unwrap(), ballot(slugs[k], i));
    }
    let after = group.stats();
    assert!(after.batches - before.batches <= 200);
    assert!(after.transactions - before.transactions <= after.batches - before.batches);
    let before = group.stats();
    for b in &boards {
        assert_whole(b, 51).await;
    }
    // The seals went through the group too.
    assert_eq!(group.stats().blocks - before.blocks, 4);
    for b in &boards {
        b.close().await.unwrap();
    }
    group.close().await;

    // Reopened, each alone with the full tamper check: every log whole, every entry its own.
    for (k, s) in slugs.iter().enumerate() {
        let b = Board::open(&db.url, support::election_config(s))
            .await
            .unwrap();
        assert_eq!(b.size(), 51);
        assert!(matches!(b.tamper_check(), TamperCheck::Passed { size: 51 }));
        let entries = b.entries(0, 100).await.unwrap();
        assert!(entries[1..]
            .iter()
            .all(|e| String::from_utf8_lossy(&e.payload).starts_with(slugs[k])));
        b.close().await.unwrap();
    }
}

/// The trigger that makes any insert of `log`'s entries fail: `ROLLBACK` undoes the whole
/// transaction (what a failed shared commit is), `ABORT` the statement alone.
async fn poison(url: &str, log: i64, how: &str) {
    support::exec(
        url,
        &format!(
            "CREATE TRIGGER poison BEFORE INSERT ON board_entries WHEN NEW.log_id = {log} \
             BEGIN SELECT RAISE({how}, 'poisoned for the test'); END"
        ),
        &[],
    )
    .await;
}

async fn cure(url: &str) {
    support::exec(url, "DROP TRIGGER poison", &[]).await;
}

#[tokio::test]
async fn a_failed_shared_commit_fails_every_board_in_it() {
    let db = TestDb::new(Backend::Sqlite).await;
    let group = CommitGroup::connect(&db.url).await.unwrap();
    let slugs = ["z", "a", "b", "c"];
    let mut boards = Vec::new();
    for s in slugs {
        let b = Board::open(&db.url, config(s, &group)).await.unwrap();
        for i in 0..3 {
            b.append(ballot(s, i)).await.unwrap();
        }
        boards.push(b);
    }
    // `b`'s rows roll the whole transaction back.
    poison(&db.url, boards[2].log_id(), "ROLLBACK").await;
    let before = group.stats();
    let rest: Vec<(&Board, Entry)> = boards[1..]
        .iter()
        .zip(&slugs[1..])
        .map(|(b, s)| (b, ballot(s, 3)))
        .collect();
    let out = two_rounds(&db.url, &group, (&boards[0], ballot("z", 3)), &rest).await;
    assert_eq!(out[0].as_ref().unwrap().index, 3, "z committed alone first");
    for (k, r) in out.iter().enumerate().skip(1) {
        match r {
            Err(BoardError::CommitFailed(why)) => {
                if k == 2 {
                    assert!(why.contains("poisoned"), "{why}");
                } else {
                    assert!(why.contains("another board"), "{why}");
                }
            }
            other => panic!("{}: expected a failed commit, got {other:?}", slugs[k]),
        }
    }
    let after = group.stats();
    assert_eq!(after.transactions - before.transactions, 1, "{after:?}");
    cure(&db.url).await;
    // Each board as it was: nothing of the failed transaction stored, the next append takes
    // the next index, the tree and the blocks verify.
    for (k, b) in boards.iter().enumerate() {
        let size = if k == 0 { 4 } else { 3 };
        assert_eq!(b.refresh().await.unwrap(), size, "{}", slugs[k]);
        let r = b.append(ballot(slugs[k], 10)).await.unwrap();
        assert_eq!(r.index, size);
        assert_whole(b, size + 1).await;
    }
    for b in &boards {
        b.close().await.unwrap();
    }
    group.close().await;
    for (k, s) in slugs.iter().enumerate() {
        let b = Board::open(&db.url, support::election_config(s))
            .await
            .unwrap();
        let size = if k == 0 { 5 } else { 4 };
        assert!(matches!(b.tamper_check(), TamperCheck::Passed { size: n } if n == size));
        assert_eq!(b.entry(size - 1).await.unwrap(), ballot(s, 10));
        b.close().await.unwrap();
    }
}

#[tokio::test]
async fn one_boards_failed_rows_fail_its_appends_alone() {
    let db = TestDb::new(Backend::Sqlite).await;
    let group = CommitGroup::connect(&db.url).await.unwrap();
    let slugs = ["z", "a", "b", "c"];
    let mut boards = Vec::new();
    for s in slugs {
        boards.push(Board::open(&db.url, config(s, &group)).await.unwrap());
    }
    // `b`'s statement fails; the transaction goes on.
    poison(&db.url, boards[2].log_id(), "ABORT").await;
    let before = group.stats();
    let rest: Vec<(&Board, Entry)> = boards[1..]
        .iter()
        .zip(&slugs[1..])
        .map(|(b, s)| (b, ballot(s, 0)))
        .collect();
    let out = two_rounds(&db.url, &group, (&boards[0], ballot("z", 0)), &rest).await;
    for (k, r) in out.iter().enumerate() {
        if k == 2 {
            assert!(
                matches!(r, Err(BoardError::CommitFailed(why)) if why.contains("poisoned")),
                "{r:?}"
            );
        } else {
            assert_eq!(r.as_ref().unwrap().index, 0, "{}", slugs[k]);
        }
    }
    assert_eq!(group.stats().transactions - before.transactions, 2);
    // Alone in its round (no savepoint), `b`'s batch fails the same way.
    let e = boards[2].append(ballot("b", 0)).await.unwrap_err();
    assert!(
        matches!(&e, BoardError::CommitFailed(why) if why.contains("poisoned")),
        "{e}"
    );
    cure(&db.url).await;
    for (k, b) in boards.iter().enumerate() {
        let size = if k == 2 { 0 } else { 1 };
        assert_eq!(b.refresh().await.unwrap(), size, "{}", slugs[k]);
        assert_eq!(b.append(ballot(slugs[k], 1)).await.unwrap().index, size);
        assert_whole(b, size + 1).await;
        b.close().await.unwrap();
    }
    group.close().await;
}

#[tokio::test]
async fn a_group_is_refused_where_it_cannot_serve() {
    let db = TestDb::new(Backend::Sqlite).await;
    let other = TestDb::new(Backend::Sqlite).await;
    let group = CommitGroup::connect(&other.url).await.unwrap();
    let e = Board::open(&db.url, config("a", &group)).await.unwrap_err();
    assert!(
        matches!(&e, BoardError::Config(m) if m.contains("another database")),
        "{e}"
    );
    group.close().await;
    let pg = TestDb::new(Backend::Postgres).await;
    let e = CommitGroup::connect(&pg.url).await.unwrap_err();
    assert!(matches!(e, BoardError::Config(_)), "{e}");
    let group = CommitGroup::connect(&db.url).await.unwrap();
    let e = Board::open(&pg.url, config("a", &group)).await.unwrap_err();
    assert!(matches!(e, BoardError::Config(_)), "{e}");
    // A board whose group was closed under it: its appends fail, nothing is stored.
    let b = Board::open(&db.url, config("a", &group)).await.unwrap();
    group.close().await;
    let e = b.append(ballot("a", 0)).await.unwrap_err();
    assert!(matches!(e, BoardError::CommitFailed(_)), "{e}");
    assert_eq!(b.refresh().await.unwrap(), 0);
    b.close().await.unwrap();
}
