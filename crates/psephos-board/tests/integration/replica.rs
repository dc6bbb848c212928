//! Reads from a PostgreSQL streaming replica ([`Board::for_readers`]): a real primary and a hot
//! standby made with `pg_basebackup -R`. Receipts and proofs read through the replica verify
//! against the board's signed checkpoints; with the replica's replay paused (a deterministic
//! lag), what it has not got is "not yet" — a receipt not sealed, `NotReplicated` for entries,
//! proofs, blocks and checkpoints — never an older answer or a proof for another size; once it
//! replays, the same reads answer as the primary does. Refused on SQLite, and for a database
//! that is not a replica of the board's.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_testkit as support;

use psephos_board::merkle::{verify_consistency, verify_inclusion};
use psephos_board::{Board, BoardError, Entry, EntryKind, ReadReplica};
use support::{config, Backend, PgReplicaPair, TestDb};

fn entry(i: u64) -> Entry {
    Entry::new(EntryKind::Ballot, format!("replica entry {i}").into_bytes()).unwrap()
}

fn not_replicated<T: std::fmt::Debug>(r: Result<T, BoardError>) {
    match r {
        Err(BoardError::NotReplicated { .. }) => {}
        other => panic!("expected not-yet-replicated, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_from_a_streaming_replica_are_late_never_wrong() {
    let pair = PgReplicaPair::start();
    pair.create_database("board").await;
    let replica = ReadReplica::connect(&pair.replica_url("board"), 2)
        .await
        .unwrap();
    let mut cfg = config();
    cfg.read_replica = Some(replica.clone());
    let board = Board::open(&pair.primary_url("board"), cfg).await.unwrap();
    assert!(board.has_read_replica() && !board.reads_from_replica());
    let reader = board.for_readers();
    assert!(reader.reads_from_replica());
    let key = board.verifier_key().clone();
    let witnesses = board.witnesses().to_vec();
    let mut leaves = Vec::new();
    for i in 0..5 {
        leaves.push(board.append(entry(i)).await.unwrap().leaf_hash);
    }
    board.seal_now().await.unwrap().unwrap();
    pair.wait_replayed().await;

    // Replayed: the replica answers as the primary does, and its receipts verify.
    for (i, leaf) in leaves.iter().enumerate() {
        let r = reader.receipt(i as u64).await.unwrap().unwrap();
        r.verify(leaf, board.origin(), &key, &witnesses).unwrap();
        assert_eq!(r, board.receipt(i as u64).await.unwrap().unwrap());
    }
    assert_eq!(reader.entries(0, 100).await.unwrap().len(), 5);
    assert_eq!(
        reader.inclusion_proof(1, 5).await.unwrap(),
        board.inclusion_proof(1, 5).await.unwrap()
    );

    // The replica stops replaying; the primary moves on.
    pair.pause_replay().await;
    for i in 5..8 {
        leaves.push(board.append(entry(i)).await.unwrap().leaf_hash);
    }
    let block = board.seal_now().await.unwrap().unwrap();
    assert_eq!(block.header.tree_size, 8);
    assert!(board.receipt(6).await.unwrap().is_some());
    // What the replica has not got is "not yet", never an older answer.
    assert!(reader.receipt(6).await.unwrap().is_none());
    not_replicated(reader.entries(5, 10).await);
    not_replicated(reader.entry(7).await);
    not_replicated(reader.inclusion_proof(1, 8).await);
    not_replicated(reader.consistency_proof(5, 8).await);
    not_replicated(reader.tree_root(6).await);
    not_replicated(reader.checkpoint_for_size(8).await);
    not_replicated(reader.block(1).await);
    // What it has, it serves: a prefix of the log, its own latest checkpoint.
    assert_eq!(reader.entries(0, 100).await.unwrap().len(), 5);
    assert_eq!(reader.blocks(0, 10).await.unwrap().len(), 1);
    let cp = reader.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(cp.size, 5);
    let old = reader.receipt(2).await.unwrap().unwrap();
    old.verify(&leaves[2], board.origin(), &key, &witnesses)
        .unwrap();
    assert_eq!(old.tree_size, 5);
    // Beyond the primary too: the primary's answers.
    assert!(matches!(
        reader.entries(100, 1).await,
        Err(BoardError::IndexOutOfRange { .. })
    ));
    assert!(matches!(
        reader.inclusion_proof(0, 100).await,
        Err(BoardError::SizeBeyondTree { .. })
    ));
    assert!(matches!(
        reader.receipt(100).await,
        Err(BoardError::IndexOutOfRange { .. })
    ));
    assert!(reader.checkpoint_for_size(7).await.unwrap().is_none());
    assert!(reader.block(9).await.unwrap().is_none());
    assert!(reader.entries(8, 10).await.unwrap().is_empty());

    // Replaying again: the reads catch up, and the proofs are the primary's.
    pair.resume_replay().await;
    pair.wait_replayed().await;
    let r = reader.receipt(6).await.unwrap().unwrap();
    r.verify(&leaves[6], board.origin(), &key, &witnesses)
        .unwrap();
    assert_eq!(r, board.receipt(6).await.unwrap().unwrap());
    let proof = reader.consistency_proof(5, 8).await.unwrap();
    verify_consistency(5, 8, &cp.root, &block.header.root, &proof).unwrap();
    let proof = reader.inclusion_proof(7, 8).await.unwrap();
    verify_inclusion(&leaves[7], 7, 8, &proof, &block.header.root).unwrap();
    assert_eq!(reader.entries(0, 100).await.unwrap().len(), 8);
    assert_eq!(reader.latest_checkpoint().await.unwrap().unwrap().size, 8);
    board.close().await.unwrap();

    // A database that is not a replica of the board's: the same origin under another key.
    pair.create_database("other").await;
    let mut other = config();
    other.signing_key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    Board::open(&pair.primary_url("other"), other)
        .await
        .unwrap()
        .close()
        .await
        .unwrap();
    pair.wait_replayed().await;
    let mut cfg = config();
    cfg.read_replica = Some(
        ReadReplica::connect(&pair.replica_url("other"), 1)
            .await
            .unwrap(),
    );
    let err = Board::open(&pair.primary_url("board"), cfg)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BoardError::Config(m) if m.contains("not a replica")),
        "{err}"
    );
    // The replica is a real hot standby: it refuses writes.
    let err = sqlx::query("CREATE TABLE t (x int)")
        .execute(
            &sqlx::PgPool::connect(&pair.replica_url("board"))
                .await
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
    replica.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_replica_is_refused_on_sqlite() {
    let err = ReadReplica::connect("sqlite://x.db?mode=rwc", 1)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, BoardError::Config(m) if m.contains("PostgreSQL")),
        "{err}"
    );
    // A board on SQLite with a replica (of a PostgreSQL database) is refused.
    let pg = TestDb::new(Backend::Postgres).await;
    let lite = TestDb::new(Backend::Sqlite).await;
    let mut cfg = config();
    cfg.read_replica = Some(ReadReplica::connect(&pg.url, 1).await.unwrap());
    let err = Board::open(&lite.url, cfg).await.unwrap_err();
    assert!(
        matches!(&err, BoardError::Config(m) if m.contains("SQLite")),
        "{err}"
    );
}
