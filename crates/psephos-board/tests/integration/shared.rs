//! Several nodes on one log (PostgreSQL): boards opened with `shared` on one database, as
//! several `psephos serve` processes open them. Sequencing through all of them gives one dense
//! log; a forced race of sealers stores one block of each number and size, each extending the
//! last; the sealer role passes on; SQLite and a single-node writer are refused beside them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_testkit as support;

use std::collections::BTreeSet;
use std::time::Duration;

use psephos_board::merkle::verify_consistency;
use psephos_board::{Board, BoardConfig, BoardError, Entry, EntryKind};
use support::{config, Backend, TestDb};

fn node(name: &str) -> BoardConfig {
    let mut c = config();
    c.shared = true;
    c.node_name = name.to_owned();
    c.sealer_lease = Duration::from_millis(600);
    c.seal_interval = Duration::from_millis(100);
    c
}

fn entry(node: usize, i: u64) -> Entry {
    Entry::new(
        EntryKind::Ballot,
        format!("node {node} entry {i}").into_bytes(),
    )
    .unwrap()
}

/// Waits (up to a generous deadline) until `cond` holds.
async fn wait_until(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while !cond().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Every block extends the one before: numbers dense, previous hash linked, sizes growing and
/// each root consistent with the previous one (a consistency proof from the stored tree).
async fn assert_one_history(board: &Board) -> u64 {
    let blocks = board.blocks(0, 1000).await.unwrap();
    let mut prev: Option<psephos_board::Block> = None;
    for (n, b) in blocks.iter().enumerate() {
        assert_eq!(b.header.number, n as u64);
        if let Some(p) = &prev {
            assert_eq!(b.header.prev_hash, p.hash, "block {n} does not link");
            assert!(b.header.tree_size > p.header.tree_size);
            let proof = board
                .consistency_proof(p.header.tree_size, b.header.tree_size)
                .await
                .unwrap();
            verify_consistency(
                p.header.tree_size,
                b.header.tree_size,
                &p.header.root,
                &b.header.root,
                &proof,
            )
            .unwrap();
        }
        prev = Some(b.clone());
    }
    blocks.len() as u64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_sequence_one_dense_log() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut nodes = Vec::new();
    for i in 0..3 {
        nodes.push(Board::open(&db.url, node(&format!("n{i}"))).await.unwrap());
    }
    let per_node = 60u64;
    let mut tasks = Vec::new();
    for (n, board) in nodes.iter().enumerate() {
        let board = board.clone();
        tasks.push(tokio::spawn(async move {
            let mut indices = Vec::new();
            for i in 0..per_node {
                // Single appends and small batches, interleaved with the other nodes'.
                if i % 4 == 0 {
                    let r = board
                        .append_all(vec![entry(n, i), entry(n, 1000 + i)])
                        .await
                        .unwrap();
                    assert_eq!(r[1].index, r[0].index + 1, "a batch is consecutive");
                    indices.extend(r.iter().map(|r| r.index));
                } else {
                    indices.push(board.append(entry(n, i)).await.unwrap().index);
                }
            }
            indices
        }));
    }
    let mut all = BTreeSet::new();
    for t in tasks {
        for i in t.await.unwrap() {
            assert!(all.insert(i), "index {i} given twice");
        }
    }
    let total = all.len() as u64;
    assert_eq!(total, 3 * (per_node + per_node / 4));
    assert_eq!(
        all.iter().copied().collect::<Vec<_>>(),
        (0..total).collect::<Vec<_>>()
    );
    for b in &nodes {
        assert_eq!(b.refresh().await.unwrap(), total);
    }
    // What one node sees since it last looked, under the log's lock.
    let (_, missed) = nodes[0]
        .sequence(Some(total - 5), |s| {
            assert_eq!(s.start, total);
            (Vec::new(), s.missed.len())
        })
        .await
        .map_err(|(e, _)| e)
        .unwrap();
    assert_eq!(missed, 5);
    // A caller that claims more than the log holds is refused, nothing appended.
    let ahead = nodes[1]
        .sequence(Some(total + 1), |_| (vec![entry(9, 9)], ()))
        .await;
    assert!(matches!(ahead, Err((BoardError::Corrupt(_), None))));
    // One node seals; every node serves the same proofs; the stored log verifies.
    wait_until("a block covering the whole log", async || {
        nodes[2].refresh().await.unwrap();
        nodes[2].sealed_size() == total
    })
    .await;
    let sealers = nodes.iter().filter(|b| b.is_sealer()).count();
    assert!(sealers <= 1, "{sealers} nodes believe they seal");
    let root = nodes[0].tree_root(total).await.unwrap();
    for b in &nodes {
        assert_eq!(b.tree_root(total).await.unwrap(), root);
    }
    assert_one_history(&nodes[1]).await;
    nodes[1].check().await.unwrap().into_result().unwrap();
    for b in nodes {
        b.close().await.unwrap();
    }
}

/// Two (then three) nodes that all believe they seal, racing on every size: one block per
/// number and per size, each extending the last, and the losers answered `None`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_sealers_publish_one_history() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut nodes = Vec::new();
    for i in 0..3 {
        let mut c = node(&format!("racer{i}"));
        // No sealing on their own: only the forced race below.
        c.seal_interval = Duration::from_secs(3600);
        nodes.push(Board::open(&db.url, c).await.unwrap());
    }
    let rounds = 25u64;
    let mut won = [0u64; 3];
    for round in 0..rounds {
        nodes[(round % 3) as usize]
            .append_all(vec![entry(0, 2 * round), entry(0, 2 * round + 1)])
            .await
            .unwrap();
        let (a, b, c) = tokio::join!(
            nodes[0].seal_now(),
            nodes[1].seal_now(),
            nodes[2].seal_now()
        );
        let results = [a.unwrap(), b.unwrap(), c.unwrap()];
        let winners: Vec<usize> = (0..3).filter(|&i| results[i].is_some()).collect();
        assert_eq!(
            winners.len(),
            1,
            "round {round}: {winners:?} stored a block"
        );
        won[winners[0]] += 1;
        let block = results[winners[0]].as_ref().unwrap();
        assert_eq!(block.header.number, round);
        assert_eq!(block.header.tree_size, 2 * (round + 1));
    }
    assert_eq!(assert_one_history(&nodes[0]).await, rounds);
    nodes[2].check().await.unwrap().into_result().unwrap();
    println!("forced sealer race: {rounds} rounds, blocks stored by node: {won:?}");
    for b in nodes {
        b.close().await.unwrap();
    }
}

/// The sealer lease: one node at a time holds it; when it stops, another takes it over and
/// the board goes on growing from where it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sealer_role_passes_on() {
    let db = TestDb::new(Backend::Postgres).await;
    let mut c = node("first");
    c.seal_interval = Duration::from_millis(50);
    let first = Board::open(&db.url, c).await.unwrap();
    let mut c = node("second");
    c.seal_interval = Duration::from_millis(50);
    let second = Board::open(&db.url, c).await.unwrap();
    first.append(entry(1, 0)).await.unwrap();
    wait_until("one sealer", async || {
        first.is_sealer() != second.is_sealer()
    })
    .await;
    let (sealer, other) = if first.is_sealer() {
        (first, second)
    } else {
        (second, first)
    };
    assert_eq!(
        other.sealer_holder().await.unwrap().as_deref(),
        Some(sealer.node_name())
    );
    wait_until("the first entry sealed", async || {
        other.refresh().await.unwrap();
        other.sealed_size() == 1
    })
    .await;
    sealer.close().await.unwrap();
    other.append(entry(2, 0)).await.unwrap();
    wait_until("the other node seals", async || {
        other.refresh().await.unwrap();
        other.is_sealer() && other.sealed_size() == 2
    })
    .await;
    assert_one_history(&other).await;
    other.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_nodes_are_refused_on_sqlite_and_beside_a_single_writer() {
    let lite = TestDb::new(Backend::Sqlite).await;
    let err = Board::open(&lite.url, node("n")).await.unwrap_err();
    assert!(
        matches!(&err, BoardError::Config(m) if m.contains("PostgreSQL")),
        "{err}"
    );
    let db = TestDb::new(Backend::Postgres).await;
    let single = Board::open(&db.url, config()).await.unwrap();
    let err = Board::open(&db.url, node("n")).await.unwrap_err();
    assert!(matches!(err, BoardError::Busy { .. }), "{err}");
    single.close().await.unwrap();
    let shared = Board::open(&db.url, node("n")).await.unwrap();
    let err = Board::open(&db.url, config()).await.unwrap_err();
    assert!(matches!(err, BoardError::Busy { .. }), "{err}");
    // And a board of one writer cannot be sequenced as a shared one.
    let lone = Board::open(&lite.url, config()).await.unwrap();
    assert!(lone
        .sequence(None, |_| (vec![entry(0, 0)], ()))
        .await
        .is_err());
    assert_eq!(lone.size(), 0);
    lone.close().await.unwrap();
    shared.close().await.unwrap();
}

/// The class of the log writer lock (`'psep'`), as `pg_locks` shows it.
const LOCK_CLASS: i64 = 0x7073_6570;

/// A node whose connection holding the shared session lock is ended (`pg_terminate_backend`)
/// still keeps a single-node writer out: the writer lock can then be taken exclusively (as a
/// single-node writer takes it), but while it is held the node writes nothing (every node
/// transaction takes the lock in shared mode itself), and a single-node writer that takes it
/// refuses to open while a node holds a valid sealer lease.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_that_loses_its_lock_connection_still_keeps_a_single_writer_out() {
    use sqlx::Connection as _;
    let db = TestDb::new(Backend::Postgres).await;
    let mut cfg = node("a");
    // Long enough that the lease outlives any stall of this loaded machine.
    cfg.sealer_lease = Duration::from_secs(10);
    let a = Board::open(&db.url, cfg).await.unwrap();
    a.append(entry(0, 0)).await.unwrap();
    wait_until("the node holds the sealer lease", async || a.is_sealer()).await;
    let log = a.log_id();
    let mut admin = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let ended: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(l.pid) FROM pg_locks l \
         WHERE l.locktype = 'advisory' AND l.objsubid = 2 AND l.classid = $1::oid \
           AND l.objid = $2::oid AND l.mode = 'ShareLock' AND l.granted",
    )
    .bind(LOCK_CLASS)
    .bind(log)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(ended.contains(&true), "no backend held the shared lock");
    // What a single-node writer does first: the writer lock, exclusively. With the node's
    // session lock gone it is granted (once no node transaction holds it for a moment).
    let mut writer = sqlx::PgConnection::connect(&db.url).await.unwrap();
    wait_until("the writer lock is free of the session lock", async || {
        sqlx::query_scalar::<_, bool>("SELECT pg_try_advisory_lock($1::int, $2::int)")
            .bind(LOCK_CLASS)
            .bind(log)
            .fetch_one(&mut writer)
            .await
            .unwrap()
    })
    .await;
    let stored = async |c: &mut sqlx::PgConnection| -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM board_entries WHERE log_id = $1")
            .bind(log)
            .fetch_one(c)
            .await
            .unwrap()
    };
    assert_eq!(stored(&mut admin).await, 1);
    // The node writes nothing beside it.
    for i in 1..4 {
        let err = a.append(entry(0, i)).await.unwrap_err();
        assert!(
            matches!(&err, BoardError::HeldBySingleWriter { .. }),
            "{err}"
        );
    }
    assert_eq!(stored(&mut admin).await, 1);
    // Nor does it renew its lease or seal: the lease is lost at its next renewal.
    wait_until("the node no longer seals", async || !a.is_sealer()).await;
    // Let go; the node renews its lease, and a real single-node writer refuses to open
    // beside it, writing nothing.
    let released: bool = sqlx::query_scalar("SELECT pg_advisory_unlock($1::int, $2::int)")
        .bind(LOCK_CLASS)
        .bind(log)
        .fetch_one(&mut writer)
        .await
        .unwrap();
    assert!(released);
    wait_until("the node seals again", async || a.is_sealer()).await;
    let err = Board::open(&db.url, config()).await.unwrap_err();
    assert!(
        matches!(&err, BoardError::SharedByNodes { holder, .. } if holder == "a"),
        "{err}"
    );
    assert_eq!(stored(&mut admin).await, 1);
    // The node still appends, sequenced on its own connection, and the history is one.
    a.append(entry(0, 4)).await.unwrap();
    assert_eq!(stored(&mut admin).await, 2);
    a.seal_now().await.unwrap();
    assert_one_history(&a).await;
    a.close().await.unwrap();
    // Once the node is gone (its lease given up), a single-node writer opens.
    let single = match Board::open(&db.url, config()).await {
        Ok(b) => b,
        Err(e) => panic!("a single-node writer after the node: {e}"),
    };
    assert_eq!(single.size(), 2);
    single.close().await.unwrap();
}
