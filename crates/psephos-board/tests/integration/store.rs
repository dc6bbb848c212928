//! The durable board, the same suite against SQLite and PostgreSQL:
//! sequencing with group commit, proofs from storage, receipts, blocks,
//! cosignatures, bad input, tamper detection and reopening.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use psephos_testkit as support;

use std::collections::BTreeSet;
use std::time::Duration;

use psephos_board::checkpoint::{verify_quorum, SignedCheckpoint};
use psephos_board::merkle::{
    leaf_hash, verify_consistency, verify_inclusion, Hash, MemoryTree, NodeReader as _,
};
use psephos_board::store::ProblemLocation;
use psephos_board::{Board, BoardError, Entry, EntryKind};
use support::{config, exec, witness, Arg, Backend, TestDb, ORIGIN};

/// Entry number `i`: a ballot (other kinds now and then) whose payload names `i`.
fn entry(i: u64) -> Entry {
    let kind = EntryKind::ALL[(i % 9) as usize];
    let kind = if i % 3 == 0 { kind } else { EntryKind::Ballot };
    let mut payload = format!("entry {i} ").into_bytes();
    payload.resize(32 + (i % 50) as usize, b'x');
    Entry::new(kind, payload).unwrap()
}

async fn open(db: &TestDb) -> Board {
    Board::open(&db.url, config()).await.unwrap()
}

/// A board with `n` entries, sealed after each `seal_every` appends.
async fn filled(db: &TestDb, n: u64, seal_every: u64) -> Board {
    let board = open(db).await;
    for i in 0..n {
        let r = board.append(entry(i)).await.unwrap();
        assert_eq!(r.index, i);
        if (i + 1) % seal_every == 0 {
            board.seal_now().await.unwrap();
        }
    }
    board
}

fn memory_tree(n: u64) -> MemoryTree {
    MemoryTree::from_leaves((0..n).map(|i| entry(i).to_bytes().unwrap())).unwrap()
}

async fn round_trip(b: Backend) {
    let db = TestDb::new(b).await;
    let board = open(&db).await;
    assert_eq!(board.size(), 0);
    assert!(board.latest_block().await.unwrap().is_none());
    assert!(board.latest_checkpoint().await.unwrap().is_none());
    for i in 0..30 {
        let e = entry(i);
        let r = board.append(e.clone()).await.unwrap();
        assert_eq!(r.index, i);
        assert_eq!(r.leaf_hash, leaf_hash(&e.to_bytes().unwrap()));
    }
    let receipts = board
        .append_all((30..40).map(entry).collect())
        .await
        .unwrap();
    assert_eq!(
        receipts.iter().map(|r| r.index).collect::<Vec<_>>(),
        (30..40).collect::<Vec<_>>()
    );
    assert_eq!(board.size(), 40);
    for i in 0..40 {
        assert_eq!(board.entry(i).await.unwrap(), entry(i));
    }
    let page = board.entries(5, 10).await.unwrap();
    assert_eq!(page, (5..15).map(entry).collect::<Vec<_>>());
    assert_eq!(board.entries(35, 100).await.unwrap().len(), 5);
    assert!(board.entries(40, 10).await.unwrap().is_empty());
    assert_eq!(
        board.tree_root(40).await.unwrap(),
        memory_tree(40).root().unwrap()
    );
    board.close().await.unwrap();
}

async fn group_commit(b: Backend) {
    let db = TestDb::new(b).await;
    let board = open(&db).await;
    let writers = 64u64;
    let per_writer = 25u64;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let board = board.clone();
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            for s in 0..per_writer {
                let e = Entry::new(EntryKind::Ballot, format!("w{w} s{s}").into_bytes()).unwrap();
                let r = board.append(e.clone()).await.unwrap();
                got.push((r.index, e));
            }
            got
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let total = writers * per_writer;
    let indices: BTreeSet<u64> = all.iter().map(|(i, _)| *i).collect();
    assert_eq!(indices.len() as u64, total, "indices are distinct");
    assert_eq!(indices, (0..total).collect(), "indices are dense from 0");
    for (i, e) in &all {
        assert_eq!(&board.entry(*i).await.unwrap(), e);
    }
    assert!(
        board.commits() < total,
        "{} commits for {total} appends: no group commit",
        board.commits()
    );
    board.seal_now().await.unwrap();
    assert!(board.check().await.unwrap().is_ok());
    board.close().await.unwrap();
}

async fn proofs_match_memory_tree(b: Backend) {
    let db = TestDb::new(b).await;
    let n = 77;
    let board = filled(&db, n, 13).await;
    board.seal_now().await.unwrap();
    let mem = memory_tree(n);
    let blocks = board.blocks(0, 100).await.unwrap();
    assert_eq!(
        blocks
            .iter()
            .map(|b| b.header.tree_size)
            .collect::<Vec<_>>(),
        [13, 26, 39, 52, 65, 77]
    );
    let key = board.verifier_key().clone();
    let mut sizes = Vec::new();
    for block in &blocks {
        let signed =
            SignedCheckpoint::open(block.header.checkpoint.as_bytes(), ORIGIN, &key, &[]).unwrap();
        let (size, root) = (signed.checkpoint().size, signed.checkpoint().root);
        assert_eq!(root, psephos_board::merkle::tree_root(size, &mem).unwrap());
        for index in [0, 1, size / 2, size - 1] {
            let proof = board.inclusion_proof(index, size).await.unwrap();
            assert_eq!(
                proof,
                psephos_board::merkle::inclusion_proof(index, size, &mem).unwrap()
            );
            let leaf = mem
                .node(psephos_board::merkle::NodeId::new(0, index))
                .unwrap();
            verify_inclusion(&leaf, index, size, &proof, &root).unwrap();
        }
        sizes.push((size, root));
    }
    for &(old, old_root) in &sizes {
        for &(new, new_root) in &sizes {
            if old > new {
                continue;
            }
            let proof = board.consistency_proof(old, new).await.unwrap();
            assert_eq!(
                proof,
                psephos_board::merkle::consistency_proof(old, new, &mem).unwrap()
            );
            verify_consistency(old, new, &old_root, &new_root, &proof).unwrap();
        }
    }
    // Any size, not only sealed ones.
    for (old, new) in [(0, 5), (1, 2), (7, 8), (31, 64), (33, 77), (76, 77)] {
        assert_eq!(
            board.consistency_proof(old, new).await.unwrap(),
            psephos_board::merkle::consistency_proof(old, new, &mem).unwrap()
        );
    }
    board.close().await.unwrap();
}

async fn receipts(b: Backend) {
    let db = TestDb::new(b).await;
    let mut c = config();
    c.seal_interval = Duration::from_millis(50);
    let board = Board::open(&db.url, c).await.unwrap();
    let key = board.verifier_key().clone();
    let mut waits = Vec::new();
    for i in 0..20 {
        let r = board.append(entry(i)).await.unwrap();
        let board = board.clone();
        waits.push(tokio::spawn(async move {
            (r, board.wait_sealed(r.index).await.unwrap())
        }));
    }
    for w in waits {
        let (ack, sealed) = w.await.unwrap();
        assert_eq!(sealed.index, ack.index);
        assert_eq!(sealed.leaf_hash, ack.leaf_hash);
        assert!(sealed.tree_size > ack.index);
        let signed =
            SignedCheckpoint::open(sealed.checkpoint.as_bytes(), ORIGIN, &key, &[]).unwrap();
        assert_eq!(signed.checkpoint().size, sealed.tree_size);
        assert_eq!(signed.checkpoint().root, sealed.root);
        verify_inclusion(
            &sealed.leaf_hash,
            sealed.index,
            sealed.tree_size,
            &sealed.inclusion_proof,
            &sealed.root,
        )
        .unwrap();
        let block = board.block(sealed.block_number).await.unwrap().unwrap();
        assert_eq!(block.header.tree_size, sealed.tree_size);
    }
    // Polling: an append is not sealed at once, then is.
    let r = board.append(entry(20)).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let receipt = loop {
        if let Some(receipt) = board.receipt(r.index).await.unwrap() {
            break receipt;
        }
        assert!(tokio::time::Instant::now() < deadline, "never sealed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(receipt.index, 20);
    assert!(matches!(
        board.receipt(21).await,
        Err(BoardError::IndexOutOfRange {
            index: 21,
            size: 21
        })
    ));
    assert!(matches!(
        board.wait_sealed(99).await,
        Err(BoardError::IndexOutOfRange { .. })
    ));
    board.close().await.unwrap();
}

async fn blocks_chain(b: Backend) {
    let db = TestDb::new(b).await;
    let board = open(&db).await;
    assert!(board.seal_now().await.unwrap().is_none(), "nothing to seal");
    let mut prev = None;
    for round in 0..5u64 {
        for i in 0..=round {
            board.append(entry(round * 10 + i)).await.unwrap();
        }
        let block = board.seal_now().await.unwrap().unwrap();
        assert_eq!(block.header.number, round);
        assert_eq!(block.hash, block.header.hash().unwrap());
        block.header.check_follows(prev.as_ref()).unwrap();
        assert!(board.seal_now().await.unwrap().is_none(), "nothing new");
        assert_eq!(board.block(round).await.unwrap().as_ref(), Some(&block));
        assert_eq!(board.latest_block().await.unwrap().as_ref(), Some(&block));
        let cp = board
            .checkpoint_for_size(block.header.tree_size)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cp.block_number, round);
        assert_eq!(cp.note, block.header.checkpoint);
        prev = Some(block);
    }
    assert_eq!(board.sealed_size(), 15);
    assert!(board.block(5).await.unwrap().is_none());
    assert!(board.checkpoint_for_size(4).await.unwrap().is_none());
    let chain = board.blocks(0, 1000).await.unwrap();
    assert_eq!(chain.len(), 5);
    for w in chain.windows(2) {
        w[1].header.check_follows(Some(&w[0])).unwrap();
    }
    board.close().await.unwrap();
}

async fn cosignatures(b: Backend) {
    let db = TestDb::new(b).await;
    let board = filled(&db, 10, 5).await;
    let key = board.verifier_key().clone();
    let witnesses = board.witnesses().to_vec();
    let cp5 = board.checkpoint_for_size(5).await.unwrap().unwrap();
    let cp10 = board.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(cp10.size, 10);
    assert_eq!(cp10.cosignatures, 0);
    let signed10 = SignedCheckpoint::open(cp10.note.as_bytes(), ORIGIN, &key, &witnesses).unwrap();
    let signed5 = SignedCheckpoint::open(cp5.note.as_bytes(), ORIGIN, &key, &witnesses).unwrap();
    let line = |w: u8, cp: &SignedCheckpoint| {
        let mut n = psephos_board::note::Note::parse(cp.text().as_bytes()).unwrap();
        n.add_signature(witness(w).cosign(cp, 1_700_000_000).unwrap())
            .unwrap();
        n.encode().unwrap().lines().last().unwrap().to_owned()
    };

    // Bad ones first: nothing is stored.
    let wrong_checkpoint = line(0, &signed5);
    assert!(matches!(
        board.add_cosignature(10, &wrong_checkpoint).await,
        Err(BoardError::BadCosignature { .. })
    ));
    assert!(matches!(
        board.add_cosignature(10, &line(7, &signed10)).await,
        Err(BoardError::UnknownWitness { .. })
    ));
    assert!(matches!(
        board.add_cosignature(10, "— witness-0.test AAAA").await,
        Err(BoardError::MalformedCosignature(_))
    ));
    assert!(matches!(
        board
            .add_cosignature(
                10,
                &format!("{}\n{}", line(0, &signed10), line(1, &signed10))
            )
            .await,
        Err(BoardError::MalformedCosignature(_))
    ));
    assert!(matches!(
        board.add_cosignature(7, &line(0, &signed10)).await,
        Err(BoardError::UnknownCheckpoint { size: 7 })
    ));
    let board_sig = cp10.note.lines().last().unwrap().to_owned();
    assert!(matches!(
        board.add_cosignature(10, &board_sig).await,
        Err(BoardError::UnknownWitness { .. })
    ));
    assert_eq!(
        board
            .latest_checkpoint()
            .await
            .unwrap()
            .unwrap()
            .cosignatures,
        0
    );
    assert!(verify_quorum(cp10.note.as_bytes(), ORIGIN, &key, &witnesses, 1).is_err());

    // Good ones are stored and served.
    board
        .add_cosignature(10, &line(0, &signed10))
        .await
        .unwrap();
    let served = board.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(served.cosignatures, 1);
    verify_quorum(served.note.as_bytes(), ORIGIN, &key, &witnesses, 1).unwrap();
    assert!(verify_quorum(served.note.as_bytes(), ORIGIN, &key, &witnesses, 2).is_err());
    board
        .add_cosignature(10, &format!("{}\n", line(1, &signed10)))
        .await
        .unwrap();
    // The same witness again replaces, not duplicates.
    board
        .add_cosignature(10, &line(1, &signed10))
        .await
        .unwrap();
    board.add_cosignature(5, &line(1, &signed5)).await.unwrap();
    let served = board.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(served.cosignatures, 2);
    verify_quorum(served.note.as_bytes(), ORIGIN, &key, &witnesses, 2).unwrap();
    let served5 = board.checkpoint_for_size(5).await.unwrap().unwrap();
    assert_eq!(served5.cosignatures, 1);
    let receipt = board.receipt(2).await.unwrap().unwrap();
    verify_quorum(receipt.checkpoint.as_bytes(), ORIGIN, &key, &witnesses, 1).unwrap();

    let report = board.check().await.unwrap();
    assert!(report.is_ok(), "{report:?}");
    assert_eq!(report.cosignatures, 3);
    board.close().await.unwrap();

    // Kept across a reopen; a tampered cosignature is caught.
    let board = open(&db).await;
    assert_eq!(board.latest_checkpoint().await.unwrap().unwrap(), served);
    board.close().await.unwrap();
    exec(
        &db.url,
        "UPDATE board_cosignatures SET line = $1 WHERE tree_size = 10 AND witness = 'witness-0.test'",
        &[Arg::T(line(0, &signed5))],
    )
    .await;
    match Board::open(&db.url, config()).await {
        Err(BoardError::TamperedBlock { number: 1, .. }) => {}
        other => panic!("expected TamperedBlock at 1, got {other:?}"),
    }
}

async fn bad_input(b: Backend) {
    let db = TestDb::new(b).await;
    let board = filled(&db, 8, 4).await;
    let big = Entry {
        kind: EntryKind::Ballot,
        payload: vec![0; psephos_board::entry::MAX_PAYLOAD_SIZE + 1],
    };
    assert!(matches!(
        board.append(big.clone()).await,
        Err(BoardError::Entry(
            psephos_board::entry::EntryError::PayloadTooLarge { .. }
        ))
    ));
    assert!(matches!(
        board.append_all(vec![entry(8), big]).await,
        Err(BoardError::Entry(_))
    ));
    assert_eq!(board.size(), 8, "nothing written");
    assert!(matches!(
        board.append_all((0..5000).map(entry).collect()).await,
        Err(BoardError::BatchTooLarge { .. })
    ));
    assert!(matches!(
        board.inclusion_proof(0, 9).await,
        Err(BoardError::SizeBeyondTree {
            size: 9,
            tree_size: 8
        })
    ));
    assert!(matches!(
        board.inclusion_proof(8, 8).await,
        Err(BoardError::IndexOutOfRange { index: 8, size: 8 })
    ));
    assert!(matches!(
        board.consistency_proof(5, 4).await,
        Err(BoardError::SizeBeyondTree { .. })
    ));
    assert!(matches!(
        board.consistency_proof(5, 100).await,
        Err(BoardError::SizeBeyondTree { .. })
    ));
    assert!(matches!(
        board.tree_root(u64::MAX).await,
        Err(BoardError::SizeBeyondTree { .. })
    ));
    assert!(matches!(
        board.entry(8).await,
        Err(BoardError::IndexOutOfRange { index: 8, size: 8 })
    ));
    assert!(matches!(
        board.entries(9, 1).await,
        Err(BoardError::IndexOutOfRange { .. })
    ));
    assert!(board.block(u64::MAX).await.unwrap().is_none());
    assert!(board.checkpoint_for_size(u64::MAX).await.unwrap().is_none());
    assert!(matches!(
        board.add_cosignature(u64::MAX, "x").await,
        Err(BoardError::UnknownCheckpoint { .. })
    ));
    assert!(matches!(
        board.add_cosignature(8, "").await,
        Err(BoardError::MalformedCosignature(_))
    ));
    assert_eq!(board.size(), 8);
    assert!(board.check().await.unwrap().is_ok());
    board.close().await.unwrap();
    assert!(matches!(
        board.append(entry(8)).await,
        Err(BoardError::Closed)
    ));
    assert!(matches!(board.entry(0).await, Err(BoardError::Closed)));

    // The log belongs to its key.
    let mut other = config();
    other.signing_key = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
    assert!(matches!(
        Board::open(&db.url, other).await,
        Err(BoardError::Config(_))
    ));
    let mut wrong_witness = config();
    wrong_witness.witnesses = vec![board.verifier_key().clone()];
    assert!(matches!(
        Board::open(&db.url, wrong_witness).await,
        Err(BoardError::Config(_))
    ));
    assert!(matches!(
        Board::open("mysql://x", config()).await,
        Err(BoardError::UnsupportedUrl)
    ));
    let mut bad_origin = config();
    bad_origin.origin = "has space".to_owned();
    assert!(matches!(
        Board::open(&db.url, bad_origin).await,
        Err(BoardError::Config(_))
    ));
}

async fn reopen_keeps_everything(b: Backend) {
    let db = TestDb::new(b).await;
    let board = filled(&db, 50, 20).await;
    board.append(entry(50)).await.unwrap();
    board.close().await.unwrap(); // seals the rest
    let blocks_before;
    {
        let board = open(&db).await;
        assert_eq!(board.size(), 51);
        assert_eq!(board.sealed_size(), 51);
        blocks_before = board.blocks(0, 100).await.unwrap();
        assert_eq!(blocks_before.len(), 3);
        for i in 0..51 {
            assert_eq!(board.entry(i).await.unwrap(), entry(i));
        }
        let r = board.append(entry(51)).await.unwrap();
        assert_eq!(r.index, 51);
        board.seal_now().await.unwrap();
        let report = board.check().await.unwrap();
        assert!(report.is_ok(), "{report:?}");
        assert_eq!(report.entries, 52);
        assert_eq!(report.blocks, 4);
        board.close().await.unwrap();
    }
    let board = open(&db).await;
    let blocks = board.blocks(0, 100).await.unwrap();
    assert_eq!(&blocks[..3], &blocks_before[..]);
    assert_eq!(
        board.tree_root(52).await.unwrap(),
        memory_tree(52).root().unwrap()
    );
    board.close().await.unwrap();
}

/// Recovery: entries sequenced without their nodes (as another sequencer
/// would leave them) are integrated on open.
async fn integrates_on_open(b: Backend) {
    let db = TestDb::new(b).await;
    let board = filled(&db, 20, 10).await;
    board.close().await.unwrap();
    // Drop the nodes completed by leaves 17..20: (0, 17..19), (1, 8..9), (2, 4).
    let removed = exec(
        &db.url,
        "DELETE FROM board_nodes WHERE (level = 0 AND idx >= 17) OR (level = 1 AND idx >= 8) \
         OR (level = 2 AND idx >= 4)",
        &[],
    )
    .await;
    assert!(removed > 0);
    let board = open(&db).await;
    assert_eq!(board.size(), 20);
    assert_eq!(
        board.tree_root(20).await.unwrap(),
        memory_tree(20).root().unwrap()
    );
    assert!(board.check().await.unwrap().is_ok());
    board.close().await.unwrap();
}

// -- tamper detection --------------------------------------------------------

/// A closed board of 40 entries in blocks of 8 (blocks 0–4).
async fn tamper_fixture(b: Backend) -> TestDb {
    let db = TestDb::new(b).await;
    let board = filled(&db, 40, 8).await;
    board.close().await.unwrap();
    db
}

async fn expect_entry_tamper(db: &TestDb, first_bad: u64) {
    match Board::open(&db.url, config()).await {
        Err(BoardError::Tampered {
            first_bad_index, ..
        }) => assert_eq!(first_bad_index, first_bad),
        other => panic!("expected Tampered at {first_bad}, got {other:?}"),
    }
    // The same through check() on a board opened without verification.
    let mut c = config();
    c.verify_on_open = false;
    let board = Board::open(&db.url, c).await.unwrap();
    let report = board.check().await.unwrap();
    assert_eq!(report.first_bad_index(), Some(first_bad), "{report:?}");
    assert!(matches!(
        report.problems[0].location,
        ProblemLocation::Entry { .. }
    ));
    // Closing seals, which fails on a truncated tree.
    let _ = board.close().await;
}

async fn expect_block_tamper(db: &TestDb, bad_block: u64) {
    match Board::open(&db.url, config()).await {
        Err(BoardError::TamperedBlock { number, .. }) => assert_eq!(number, bad_block),
        other => panic!("expected TamperedBlock at {bad_block}, got {other:?}"),
    }
    let mut c = config();
    c.verify_on_open = false;
    let board = Board::open(&db.url, c).await.unwrap();
    let report = board.check().await.unwrap();
    assert_eq!(report.first_bad_index(), None, "{report:?}");
    assert_eq!(report.first_bad_block(), Some(bad_block), "{report:?}");
    board.close().await.unwrap();
}

async fn tamper_payload(b: Backend) {
    let db = tamper_fixture(b).await;
    let n = exec(
        &db.url,
        "UPDATE board_entries SET payload = $1 WHERE idx = 5",
        &[Arg::B(b"forged ballot".to_vec())],
    )
    .await;
    assert_eq!(n, 1);
    expect_entry_tamper(&db, 5).await;
}

async fn tamper_kind(b: Backend) {
    let db = tamper_fixture(b).await;
    exec(
        &db.url,
        "UPDATE board_entries SET kind = 5 WHERE idx = 11",
        &[],
    )
    .await;
    expect_entry_tamper(&db, 11).await;
    exec(
        &db.url,
        "UPDATE board_entries SET kind = 77 WHERE idx = 11",
        &[],
    )
    .await;
    expect_entry_tamper(&db, 11).await;
}

async fn tamper_delete_row(b: Backend) {
    let db = tamper_fixture(b).await;
    exec(&db.url, "DELETE FROM board_entries WHERE idx = 9", &[]).await;
    expect_entry_tamper(&db, 9).await;
}

async fn tamper_delete_last_row(b: Backend) {
    let db = tamper_fixture(b).await;
    exec(&db.url, "DELETE FROM board_entries WHERE idx = 39", &[]).await;
    expect_entry_tamper(&db, 39).await;
    // Even with its leaf hash gone, the sealed checkpoint remembers it.
    exec(
        &db.url,
        "DELETE FROM board_nodes WHERE level = 0 AND idx = 39",
        &[],
    )
    .await;
    expect_entry_tamper(&db, 39).await;
}

async fn tamper_swap_rows(b: Backend) {
    let db = tamper_fixture(b).await;
    for sql in [
        "UPDATE board_entries SET idx = -1 WHERE idx = 3",
        "UPDATE board_entries SET idx = 3 WHERE idx = 7",
        "UPDATE board_entries SET idx = 7 WHERE idx = -1",
    ] {
        assert_eq!(exec(&db.url, sql, &[]).await, 1);
    }
    expect_entry_tamper(&db, 3).await;
}

async fn tamper_node(b: Backend) {
    let db = tamper_fixture(b).await;
    let bogus = Arg::B(vec![0xab; 32]);
    exec(
        &db.url,
        "UPDATE board_nodes SET hash = $1 WHERE level = 0 AND idx = 12",
        &[bogus],
    )
    .await;
    expect_entry_tamper(&db, 12).await;

    let db = tamper_fixture(b).await;
    exec(
        &db.url,
        "UPDATE board_nodes SET hash = $1 WHERE level = 2 AND idx = 3",
        &[Arg::B(vec![0xcd; 32])],
    )
    .await;
    // Node (2, 3) covers leaves 12..16: the tree of 15 leaves is intact.
    expect_entry_tamper(&db, 15).await;
}

async fn tamper_block_link(b: Backend) {
    let db = tamper_fixture(b).await;
    exec(
        &db.url,
        "UPDATE board_blocks SET prev_hash = $1 WHERE block_number = 2",
        &[Arg::B(vec![1; 32])],
    )
    .await;
    expect_block_tamper(&db, 2).await;

    // Relinking with recomputed hashes still fails: the next link breaks.
    let db = tamper_fixture(b).await;
    exec(
        &db.url,
        "DELETE FROM board_blocks WHERE block_number = 1",
        &[],
    )
    .await;
    expect_block_tamper(&db, 1).await;
}

async fn tamper_checkpoint(b: Backend) {
    let db = tamper_fixture(b).await;
    let mut c = config();
    c.verify_on_open = false;
    let board = Board::open(&db.url, c).await.unwrap();
    let block = board.block(3).await.unwrap().unwrap();
    board.close().await.unwrap();
    // Claim another size in the checkpoint text (the signature no longer verifies).
    let forged = block.header.checkpoint.replacen("\n32\n", "\n31\n", 1);
    assert_ne!(forged, block.header.checkpoint);
    exec(
        &db.url,
        "UPDATE board_blocks SET checkpoint = $1 WHERE block_number = 3",
        &[Arg::T(forged.clone())],
    )
    .await;
    expect_block_tamper(&db, 3).await;
    // Even with the header hash recomputed to match.
    let mut header = block.header.clone();
    header.checkpoint = forged;
    exec(
        &db.url,
        "UPDATE board_blocks SET header_hash = $1 WHERE block_number = 3",
        &[Arg::B(header.hash().unwrap().0.to_vec())],
    )
    .await;
    expect_block_tamper(&db, 3).await;
    // A root that disagrees with the entries, with a valid signature, is
    // caught too (a board key misused): sign a wrong root.
    let db = tamper_fixture(b).await;
    let signer = psephos_board::note::NoteSigner::new(ORIGIN, support::board_key()).unwrap();
    let wrong = psephos_board::checkpoint::Checkpoint::new(ORIGIN, 16, Hash([5; 32]))
        .sign(&signer)
        .unwrap()
        .encode()
        .unwrap();
    let mut c = config();
    c.verify_on_open = false;
    let board = Board::open(&db.url, c).await.unwrap();
    let b0 = board.block(0).await.unwrap().unwrap();
    let b1 = board.block(1).await.unwrap().unwrap();
    board.close().await.unwrap();
    let mut h1 = b1.header.clone();
    h1.checkpoint = wrong;
    h1.root = Hash([5; 32]);
    assert_eq!(h1.prev_hash, b0.hash);
    exec(
        &db.url,
        "UPDATE board_blocks SET checkpoint = $1, root = $2, header_hash = $3 WHERE block_number = 1",
        &[
            Arg::T(h1.checkpoint.clone()),
            Arg::B(vec![5; 32]),
            Arg::B(h1.hash().unwrap().0.to_vec()),
        ],
    )
    .await;
    // Block 2 no longer links (its prev hash names the real block 1), and
    // block 1's root disagrees with the entries: block 1 is the first bad.
    expect_block_tamper(&db, 1).await;
}

macro_rules! suite {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Postgres).await
                }
            )*
        }
    };
}

suite!(
    round_trip,
    group_commit,
    proofs_match_memory_tree,
    receipts,
    blocks_chain,
    cosignatures,
    bad_input,
    reopen_keeps_everything,
    integrates_on_open,
    tamper_payload,
    tamper_kind,
    tamper_delete_row,
    tamper_delete_last_row,
    tamper_swap_rows,
    tamper_node,
    tamper_block_link,
    tamper_checkpoint,
    two_logs_one_database,
);

/// One database, the logs of two elections: each its own origin, key, tree, blocks and
/// checkpoints, written at the same time; a tampered row of one log fails that log's check
/// alone.
async fn two_logs_one_database(b: Backend) {
    use psephos_board::election_key::{election_origin, election_signing_key, ElectionSlug};
    let db = TestDb::new(b).await;
    let service = support::board_key();
    let cfg = |slug: &str| {
        let slug = ElectionSlug::new(slug).unwrap();
        let mut c = config();
        c.origin = election_origin("board.test", &slug);
        c.signing_key = election_signing_key(&service, &slug);
        c
    };
    let a = Board::open(&db.url, cfg("a")).await.unwrap();
    let bb = Board::open(&db.url, cfg("b")).await.unwrap();
    assert_ne!(a.log_id(), bb.log_id());
    assert_ne!(a.verifier_key(), bb.verifier_key());
    // Interleaved and concurrent appends: each log's indices stay dense and its own.
    let (ra, rb) = tokio::join!(
        async {
            let mut v = Vec::new();
            for i in 0..40 {
                v.push(a.append(entry(i)).await.unwrap().index);
            }
            v
        },
        async {
            let mut v = Vec::new();
            for i in 0..25 {
                v.push(bb.append(entry(1000 + i)).await.unwrap().index);
            }
            v
        }
    );
    assert_eq!(ra, (0..40).collect::<Vec<_>>());
    assert_eq!(rb, (0..25).collect::<Vec<_>>());
    a.seal_now().await.unwrap();
    bb.seal_now().await.unwrap();
    let ca = a.latest_checkpoint().await.unwrap().unwrap();
    let cb = bb.latest_checkpoint().await.unwrap().unwrap();
    assert!(ca.note.starts_with("board.test/a\n40\n"), "{}", ca.note);
    assert!(cb.note.starts_with("board.test/b\n25\n"), "{}", cb.note);
    assert_eq!(ca.root, memory_tree(40).root().unwrap());
    assert_eq!(bb.entry(3).await.unwrap(), entry(1003));
    // A checkpoint of one opens under its own origin and key only.
    assert!(
        SignedCheckpoint::open(ca.note.as_bytes(), "board.test/a", bb.verifier_key(), &[]).is_err()
    );
    assert!(
        SignedCheckpoint::open(ca.note.as_bytes(), "board.test/a", a.verifier_key(), &[]).is_ok()
    );
    let (log_b, _) = (bb.log_id(), a.close().await.unwrap());
    bb.close().await.unwrap();
    // Both reopen with the full check; then one of b's rows is edited: b fails, a opens.
    a_and_b_open(&db, &cfg("a"), &cfg("b")).await;
    exec(
        &db.url,
        "UPDATE board_entries SET payload = $1 WHERE log_id = $2 AND idx = 7",
        &[Arg::B(b"edited".to_vec()), Arg::I(log_b)],
    )
    .await;
    let reopened = Board::open(&db.url, cfg("a")).await.unwrap();
    assert_eq!(reopened.size(), 40);
    reopened.close().await.unwrap();
    match Board::open(&db.url, cfg("b")).await {
        Err(BoardError::Tampered {
            first_bad_index, ..
        }) => assert_eq!(first_bad_index, 7),
        other => panic!("expected b's tamper, got {other:?}"),
    }
    // And a log opened with another election's key is refused.
    let mut wrong = cfg("a");
    wrong.signing_key = cfg("b").signing_key;
    assert!(matches!(
        Board::open(&db.url, wrong).await,
        Err(BoardError::Config(_))
    ));
}

async fn a_and_b_open(db: &TestDb, a: &psephos_board::BoardConfig, b: &psephos_board::BoardConfig) {
    let clone = |c: &psephos_board::BoardConfig| {
        let mut n = config();
        n.origin = c.origin.clone();
        n.signing_key = c.signing_key.clone();
        n
    };
    let (x, y) = tokio::join!(
        Board::open(&db.url, clone(a)),
        Board::open(&db.url, clone(b))
    );
    let (x, y) = (x.unwrap(), y.unwrap());
    assert_eq!((x.size(), y.size()), (40, 25));
    x.close().await.unwrap();
    y.close().await.unwrap();
}

/// Two boards of one database reading through one shared read pool: each reads its own log
/// through it, closing one board leaves the pool to the other, and the pool's owner closes it.
async fn boards_share_one_read_pool(backend: Backend) {
    let db = TestDb::new(backend).await;
    let pool = psephos_board::SharedReadPool::connect(&db.url, 2, false)
        .await
        .unwrap();
    let open_shared = |slug: &str| {
        let mut c = support::election_config(slug);
        c.read_pool = Some(pool.clone());
        let url = db.url.clone();
        async move { Board::open(&url, c).await.unwrap() }
    };
    let a = open_shared("a").await;
    let b = open_shared("b").await;
    for i in 0..5 {
        a.append(entry(i)).await.unwrap();
    }
    b.append(entry(100)).await.unwrap();
    assert_eq!(a.entries(0, 10).await.unwrap().len(), 5);
    assert_eq!(b.entries(0, 10).await.unwrap(), [entry(100)]);
    a.close().await.unwrap();
    // `a` closed; the pool is not its to close: `b` still reads through it.
    assert_eq!(b.entries(0, 10).await.unwrap(), [entry(100)]);
    b.seal_now().await.unwrap();
    assert_eq!(b.latest_checkpoint().await.unwrap().unwrap().size, 1);
    b.close().await.unwrap();
    pool.close().await;
    // Reopened with pools of their own, both logs are whole.
    let a = Board::open(&db.url, support::election_config("a"))
        .await
        .unwrap();
    assert_eq!(a.size(), 5);
    a.close().await.unwrap();
}

#[tokio::test]
async fn boards_share_one_read_pool_sqlite() {
    boards_share_one_read_pool(Backend::Sqlite).await;
}

#[tokio::test]
async fn boards_share_one_read_pool_postgres() {
    boards_share_one_read_pool(Backend::Postgres).await;
}
