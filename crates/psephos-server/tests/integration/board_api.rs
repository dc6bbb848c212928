//! The board's HTTP API over real HTTP on 127.0.0.1 against a real SQLite board: every route,
//! and hostile input answered with a clear JSON error that changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use ed25519_dalek::SigningKey;
use psephos_board::checkpoint::{Cosigner, SignedCheckpoint};
use psephos_board::merkle::{
    verify_consistency, verify_inclusion, ConsistencyProof, InclusionProof,
};
use psephos_board::{Board, BoardConfig, Entry, EntryKind, SealedReceipt};
use psephos_server::{serve, AppState};
use serde_json::Value;
use std::net::TcpListener;
use std::time::Duration;

const ORIGIN: &str = "board.test/api";

struct TestBoard {
    board: Board,
    base: String,
    client: reqwest::Client,
    witness: Cosigner,
    _dir: tempfile::TempDir,
}

async fn start() -> TestBoard {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let witness = Cosigner::new("witness.test", SigningKey::from_bytes(&[9; 32])).unwrap();
    let mut config = BoardConfig::new(ORIGIN, SigningKey::from_bytes(&[7; 32]));
    config.witnesses = vec![witness.verifier_key().clone()];
    config.seal_interval = Duration::from_secs(3600);
    let board = Board::open(&url, config).await.unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!(
        "http://{}/api/v1/elections/psephos-2026/board",
        listener.local_addr().unwrap()
    );
    let state = AppState::with_board("psephos-2026", board.clone(), Default::default())
        .await
        .unwrap();
    tokio::spawn(serve(listener, state).unwrap());
    TestBoard {
        board,
        base,
        client: reqwest::Client::new(),
        witness,
        _dir: dir,
    }
}

impl TestBoard {
    async fn get(&self, path: &str) -> (u16, String) {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
    async fn post_json(&self, path: &str, body: &str) -> (u16, String) {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }
    async fn fill(&self, n: usize) {
        for i in 0..n {
            let e = Entry::new(EntryKind::Ballot, format!("ballot {i}").into_bytes()).unwrap();
            self.board.append(e).await.unwrap();
        }
        self.board.seal_now().await.unwrap();
    }
}

fn error_code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    assert!(
        v["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "no detail: {body}"
    );
    v["error"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_read_route_answers_and_proofs_verify() {
    let t = start().await;
    assert_eq!(error_code(&t.get("/checkpoint").await.1), "not_found");
    t.fill(10).await;
    t.fill(7).await;

    let (status, text) = t.get("/checkpoint").await;
    assert_eq!(status, 200);
    let cp = SignedCheckpoint::open(text.as_bytes(), ORIGIN, t.board.verifier_key(), &[]).unwrap();
    assert_eq!(cp.checkpoint().size, 17);
    let (status, old_text) = t.get("/checkpoints/10").await;
    assert_eq!(status, 200);
    let old =
        SignedCheckpoint::open(old_text.as_bytes(), ORIGIN, t.board.verifier_key(), &[]).unwrap();

    let size: Value = serde_json::from_str(&t.get("/size").await.1).unwrap();
    assert_eq!(size["size"], 17);
    assert_eq!(size["sealed_size"], 17);

    let entries: Value = serde_json::from_str(&t.get("/entries?start=3&limit=2").await.1).unwrap();
    assert_eq!(entries.as_array().unwrap().len(), 2);
    assert_eq!(entries[0]["index"], 3);
    let one: Value = serde_json::from_str(&t.get("/entries/4").await.1).unwrap();
    assert_eq!(one["kind"], "ballot");
    assert_eq!(one, entries[1]);

    // Receipt: inclusion proof against the checkpoint it names.
    let receipt: SealedReceipt = serde_json::from_str(&t.get("/receipts/12").await.1).unwrap();
    let rcp = SignedCheckpoint::open(
        receipt.checkpoint.as_bytes(),
        ORIGIN,
        t.board.verifier_key(),
        &[],
    )
    .unwrap();
    assert_eq!(rcp.checkpoint().size, receipt.tree_size);
    verify_inclusion(
        &receipt.leaf_hash,
        12,
        receipt.tree_size,
        &receipt.inclusion_proof,
        &rcp.checkpoint().root,
    )
    .unwrap();

    let proof: InclusionProof =
        serde_json::from_str(&t.get("/proofs/inclusion?index=2&size=17").await.1).unwrap();
    let leaf = t.board.entry(2).await.unwrap().leaf_hash().unwrap();
    verify_inclusion(&leaf, 2, 17, &proof, &cp.checkpoint().root).unwrap();
    let proof: ConsistencyProof =
        serde_json::from_str(&t.get("/proofs/consistency?old=10&new=17").await.1).unwrap();
    verify_consistency(
        10,
        17,
        &old.checkpoint().root,
        &cp.checkpoint().root,
        &proof,
    )
    .unwrap();

    let latest: Value = serde_json::from_str(&t.get("/blocks/latest").await.1).unwrap();
    let first: Value = serde_json::from_str(&t.get("/blocks/0").await.1).unwrap();
    let all: Value = serde_json::from_str(&t.get("/blocks?start=0&limit=10").await.1).unwrap();
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert_eq!(all[0], first);
    assert_eq!(all[1], latest);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_gets_clear_errors_and_changes_nothing() {
    let t = start().await;
    t.fill(5).await;
    let before = t.get("/checkpoint").await.1;

    for (path, status, code) in [
        ("/entries/5", 404, "not_found"),
        ("/entries/abc", 400, "bad_request"),
        ("/entries/-1", 400, "bad_request"),
        ("/entries/99999999999999999999999", 400, "bad_request"),
        ("/checkpoints/4", 404, "not_found"),
        ("/checkpoints/01x", 400, "bad_request"),
        ("/receipts/9", 404, "not_found"),
        ("/proofs/inclusion?index=2&size=6", 400, "bad_request"),
        ("/proofs/inclusion?index=5&size=5", 404, "not_found"),
        ("/proofs/inclusion?index=2", 400, "bad_request"),
        ("/proofs/consistency?old=4&new=9", 400, "bad_request"),
        ("/proofs/consistency?old=5&new=3", 400, "bad_request"),
        ("/proofs/consistency?old=1e3&new=5", 400, "bad_request"),
        ("/blocks/7", 404, "not_found"),
    ] {
        let (s, body) = t.get(path).await;
        assert_eq!(
            (s, error_code(&body).as_str()),
            (status, code),
            "{path}: {body}"
        );
    }

    let cp =
        SignedCheckpoint::open(before.as_bytes(), ORIGIN, t.board.verifier_key(), &[]).unwrap();
    let good = t.witness.cosign(&cp, 1_700_000_000).unwrap().to_string();
    let intruder = Cosigner::new("intruder.test", SigningKey::from_bytes(&[3; 32])).unwrap();
    let foreign = intruder.cosign(&cp, 1_700_000_000).unwrap().to_string();
    let big = format!(
        "{{\"size\": 5, \"signature\": \"{}\"}}",
        "x".repeat(100_000)
    );
    for (body, status) in [
        ("not json".to_string(), 400),
        ("{\"size\": 5}".to_string(), 400),
        (
            "{\"size\": \"five\", \"signature\": \"x\"}".to_string(),
            400,
        ),
        (
            serde_json::json!({"size": 5, "signature": "— witness.test garbage!"}).to_string(),
            400,
        ),
        (
            serde_json::json!({"size": 5, "signature": foreign}).to_string(),
            400,
        ),
        (
            serde_json::json!({"size": 4, "signature": good}).to_string(),
            404,
        ),
        (
            serde_json::json!({"size": 5, "signature": format!("{good}\n{good}")}).to_string(),
            400,
        ),
        (big, 413), // over the JSON body limit: 413 per the API contract
    ] {
        let (s, resp) = t.post_json("/cosignatures", &body).await;
        assert_eq!(s, status, "{}: {resp}", &body[..body.len().min(80)]);
        error_code(&resp);
    }
    // Nothing was stored: the checkpoint is served exactly as before.
    assert_eq!(t.get("/checkpoint").await.1, before);
    assert_eq!(t.board.size(), 5);

    // The genuine cosignature is accepted and served.
    let (s, _) = t
        .post_json(
            "/cosignatures",
            &serde_json::json!({"size": 5, "signature": good}).to_string(),
        )
        .await;
    assert_eq!(s, 204);
    let after = t.get("/checkpoint").await.1;
    let cp = SignedCheckpoint::open(
        after.as_bytes(),
        ORIGIN,
        t.board.verifier_key(),
        &[t.witness.verifier_key().clone()],
    )
    .unwrap();
    assert_eq!(
        cp.check_quorum(&[t.witness.verifier_key().clone()], 1)
            .unwrap(),
        1
    );
}
