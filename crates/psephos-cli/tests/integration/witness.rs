//! Witnesses against real boards served over HTTP on 127.0.0.1: cosigning a growing log, the
//! cosignatures served back with the checkpoint and counted towards a quorum, and a forked board
//! caught with the evidence kept.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use ed25519_dalek::SigningKey;
use psephos_board::checkpoint::{Cosigner, SignedCheckpoint};
use psephos_board::note::VerifierKey;
use psephos_board::{Board, BoardConfig, Entry, EntryKind};
use psephos_cli::witness::{Step, Witness};
use psephos_server::{serve, AppState};
use std::net::TcpListener;
use std::time::Duration;

const ORIGIN: &str = "board.test/witness-election";

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

async fn start_board(
    dir: &std::path::Path,
    name: &str,
    witnesses: Vec<VerifierKey>,
) -> (Board, String) {
    let url = format!("sqlite://{}?mode=rwc", dir.join(name).display());
    let mut config = BoardConfig::new(ORIGIN, key(1));
    config.witnesses = witnesses;
    config.seal_interval = Duration::from_secs(3600); // tests seal explicitly
    let board = Board::open(&url, config).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    // The election's API base: what `psephos witness run --board URL --election ID` follows.
    let base = format!(
        "http://{}{}",
        listener.local_addr().unwrap(),
        psephos_testkit::E
    );
    let state = AppState::with_board(psephos_testkit::ELECTION, board.clone(), Default::default())
        .await
        .unwrap();
    let server = serve(listener, state).unwrap();
    tokio::spawn(server);
    (board, base)
}

async fn append(board: &Board, n: usize, tag: &str) {
    for i in 0..n {
        let e = Entry::new(EntryKind::Ballot, format!("{tag} ballot {i}").into_bytes()).unwrap();
        board.append(e).await.unwrap();
    }
    board.seal_now().await.unwrap();
}

fn cosigner(seed: u8, name: &str) -> Cosigner {
    Cosigner::new(name, key(seed)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn witnesses_cosign_a_growing_board_and_reach_a_quorum() {
    let dir = tempfile::tempdir().unwrap();
    let w1 = cosigner(2, "witness-one.test");
    let w2 = cosigner(3, "witness-two.test");
    let wkeys = vec![w1.verifier_key().clone(), w2.verifier_key().clone()];
    let (board, base) = start_board(dir.path(), "board.db", wkeys.clone()).await;
    let board_key = board.verifier_key().clone();

    let mut a = Witness::new(&base, ORIGIN, board_key.clone(), w1, &dir.path().join("w1")).unwrap();
    let mut b = Witness::new(&base, ORIGIN, board_key.clone(), w2, &dir.path().join("w2")).unwrap();
    // Nothing published yet.
    assert_eq!(a.step().await.unwrap(), Step::NothingNew);

    append(&board, 5, "first").await;
    assert_eq!(a.step().await.unwrap(), Step::Cosigned { size: 5 });
    assert_eq!(a.step().await.unwrap(), Step::NothingNew);
    append(&board, 7, "second").await;
    assert_eq!(a.step().await.unwrap(), Step::Cosigned { size: 12 });
    assert_eq!(b.step().await.unwrap(), Step::Cosigned { size: 12 });

    // The board serves the checkpoint with both cosignatures; a client requiring 2 of them is
    // satisfied, one requiring a third unknown witness is not.
    let text = reqwest::get(format!("{base}/board/checkpoint"))
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let signed = SignedCheckpoint::open(&text, ORIGIN, &board_key, &wkeys).unwrap();
    assert_eq!(signed.checkpoint().size, 12);
    assert_eq!(signed.check_quorum(&wkeys, 2).unwrap(), 2);
    assert!(signed.check_quorum(&wkeys, 3).is_err());

    // A witness restarted from its state directory remembers where it was.
    let again = Witness::new(
        &base,
        ORIGIN,
        board_key,
        cosigner(2, "witness-one.test"),
        &dir.path().join("w1"),
    )
    .unwrap();
    assert_eq!(again.last_size(), Some(12));
    board.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forked_board_is_caught_and_the_evidence_kept() {
    let dir = tempfile::tempdir().unwrap();
    let w = cosigner(4, "witness.test");
    let wkeys = vec![w.verifier_key().clone()];
    // Two boards with the same key and origin but different histories: what a dishonest
    // operator would show to two groups of people.
    let (honest, honest_url) = start_board(dir.path(), "honest.db", wkeys.clone()).await;
    let (forked, forked_url) = start_board(dir.path(), "forked.db", wkeys.clone()).await;
    append(&honest, 6, "honest").await;
    append(&forked, 4, "honest").await; // shares a prefix …
    append(&forked, 5, "rewritten").await; // … then diverges: size 9 is not an extension of 6
    let board_key = honest.verifier_key().clone();
    let state = dir.path().join("w");
    let mut wit = Witness::new(&honest_url, ORIGIN, board_key.clone(), w, &state).unwrap();
    assert_eq!(wit.step().await.unwrap(), Step::Cosigned { size: 6 });

    let mut fooled = Witness::new(
        &forked_url,
        ORIGIN,
        board_key,
        cosigner(4, "witness.test"),
        &state,
    )
    .unwrap();
    let Step::Inconsistent { evidence } = fooled.step().await.unwrap() else {
        panic!("the fork was not detected");
    };
    let text = std::fs::read_to_string(&evidence).unwrap();
    assert!(
        text.contains("consistency proof from 6 to 9 fails"),
        "{text}"
    );
    assert!(
        text.contains("\n6\n") && text.contains("\n9\n"),
        "both checkpoints are kept: {text}"
    );
    assert!(fooled.halted());
    // Halted: it never cosigns again, not even the honest board.
    assert!(fooled.step().await.is_err());
    // The forked board received no cosignature.
    let fork_cp = reqwest::get(format!("{forked_url}/board/checkpoint"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!fork_cp.contains("witness.test"));
    honest.close().await.unwrap();
    forked.close().await.unwrap();
}

/// `psephos witness run --board URL` without `--election` follows every election the service
/// lists — each its own board, its own memory under the state directory — and picks up an
/// election created later; every election's checkpoint gets the witness's cosignature.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_witness_follows_every_election_of_a_service() {
    use psephos_testkit::server::{quiet_config, start, Backend, TestElection};
    let s = start(Backend::Sqlite, quiet_config()).await;
    let dir = tempfile::tempdir().unwrap();
    // The test service accepts the cosignatures of psephos_testkit::witness(0) and (1).
    let key_path = dir.path().join("witness.secret.key");
    psephos_cli::keys::SecretKey {
        name: "witness-0.test".into(),
        signature_type: psephos_board::note::SignatureType::CosignatureV1,
        signing_key: key(100),
    }
    .write_new(&key_path)
    .unwrap();
    let state = dir.path().join("state");
    let run_once = |base: String| {
        let (key_path, state) = (key_path.clone(), state.clone());
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_psephos"))
                .args(["witness", "run", "--board", &base, "--once", "--key"])
                .arg(&key_path)
                .arg("--state")
                .arg(&state)
                .env("RUST_LOG", "warn")
                .output()
                .unwrap()
        })
    };
    let mut rng = s.rng.clone();
    let mut a = TestElection::new(&mut rng, 2);
    a.open(&s).await;
    let token_b = s.create_election("other").await;
    let mut b = TestElection::new(&mut rng, 2);
    b.open_at(&s, "other", &token_b).await;
    for id in [psephos_testkit::ELECTION, "other"] {
        s.state
            .election(id)
            .unwrap()
            .board
            .seal_now()
            .await
            .unwrap();
    }
    let out = run_once(s.base.clone()).await.unwrap();
    assert!(out.status.success(), "{out:?}");
    for id in [psephos_testkit::ELECTION, "other"] {
        let cp = s
            .state
            .election(id)
            .unwrap()
            .board
            .latest_checkpoint()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(cp.cosignatures, 1, "{id}: {}", cp.note);
        assert!(state.join(id).join("checkpoint").exists(), "{id}");
    }
    // An election created later is followed at the next poll, under the key the service lists.
    let token_c = s.create_election("third").await;
    let mut c = TestElection::new(&mut rng, 2);
    c.open_at(&s, "third", &token_c).await;
    let third = s.state.election("third").unwrap();
    third.board.seal_now().await.unwrap();
    let out = run_once(s.base.clone()).await.unwrap();
    assert!(out.status.success(), "{out:?}");
    let cp = third.board.latest_checkpoint().await.unwrap().unwrap();
    assert_eq!(cp.cosignatures, 1, "{}", cp.note);
}
