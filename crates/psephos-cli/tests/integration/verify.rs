//! `psephos demo --record`, `psephos verify` and `psephos record export` as a user runs them: a
//! demo election on a real SQLite board verifies (exit 0, numbered report, JSON); the same record
//! with one flipped bit, truncated, or checked against another board key fails (exit 1); a
//! record exported from a board's database verifies up to where the election is, and during
//! voting stops at the last checkpoint the witnesses cosigned.
//! (Each tampering failing exactly its own check is `psephos-record/tests/integration/verify.rs`.)

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use std::process::Command;

use psephos_board::{Board, BoardConfig, Entry};
use psephos_cli::keys::SecretKey;
use psephos_core::election::Manifest;
use psephos_record::sim::Simulation;
use psephos_record::Rules;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;

fn psephos(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_psephos"))
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .unwrap()
}

#[test]
fn demo_record_verifies_and_tampering_fails() {
    let dir = tempfile::tempdir().unwrap();
    let record = dir.path().join("demo.record");
    let rec = record.to_str().unwrap();
    let out = psephos(&[
        "demo",
        "--config",
        "election-config/referendum.toml",
        "--voters",
        "40",
        "--seed",
        "7",
        "--record",
        rec,
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("6. Independent verification"), "{stdout}");
    assert!(stdout.contains("Every applicable check passes"), "{stdout}");

    // The record on its own: the keys are said to come from the record.
    let out = psephos(&["verify", rec, "--quiet"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("from the record header, not independently checked: pin it with --board-key"),
        "{text}"
    );
    assert!(text.contains(" 1. pass    record.format"), "{text}");
    assert!(text.contains("20. pass    tally.result"), "{text}");
    assert!(text.contains("Verified result:"), "{text}");

    // JSON: every check with its id and status.
    let out = psephos(&["verify", rec, "--json"]);
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["passed"], true);
    let checks = json["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 29);
    assert_eq!(checks[13]["id"], "ballots.proofs");
    assert!(checks
        .iter()
        .all(|c| c["status"] == "pass" || c["status"] == "not_applicable"));
    let board_key = json["board_key"].as_str().unwrap().to_owned();

    // Pinning the right board key passes; another key fails the checkpoint check.
    let out = psephos(&["verify", rec, "--quiet", "--board-key", &board_key]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("(pinned with --board-key)"), "{text}");
    assert!(
        text.contains(
            "(from the record header, not independently checked: pin them with --witness)"
        ),
        "{text}"
    );
    // A pinned witness that never cosigned: its quorum is required, whatever the header says.
    let witness = SecretKey::generate(
        "witness.psephos.invalid",
        psephos_board::note::SignatureType::CosignatureV1,
    )
    .unwrap()
    .verifier_key()
    .unwrap()
    .to_string();
    let out = psephos(&["verify", rec, "--json", "--witness", &witness]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["checks"][4]["id"], "board.witnesses");
    assert_eq!(json["checks"][4]["status"], "fail", "{json:#}");
    assert_eq!(json["trust"]["board_key"], "record_header");
    assert_eq!(json["trust"]["witnesses"], "pinned");
    assert_eq!(json["trust"]["quorum"], 1);
    assert_eq!(
        json["trust"]["quorum_source"],
        "majority_of_pinned_witnesses"
    );
    let other = SecretKey::generate(
        "demo.psephos.invalid/referendum-2026",
        psephos_board::note::SignatureType::Ed25519,
    )
    .unwrap()
    .verifier_key()
    .unwrap()
    .to_string();
    let out = psephos(&["verify", rec, "--json", "--board-key", &other]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["checks"][1]["id"], "board.checkpoints");
    assert_eq!(json["checks"][1]["status"], "fail");

    // A key counts only as its type: a board (Ed25519 note) key given as a witness, or a
    // witness key given as the board key, is refused with a message saying why.
    let out = psephos(&["verify", rec, "--quiet", "--witness", &board_key]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--witness") && err.contains("cosignature/v1"),
        "{err}"
    );
    let out = psephos(&["verify", rec, "--quiet", "--board-key", &witness]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--board-key") && err.contains("Ed25519"),
        "{err}"
    );

    // --checkpoint: the record's own last checkpoint anchors it; the same tree head signed by
    // another key under the board's origin anchors nothing (check 6 fails).
    let (origin, last) = {
        let mut r =
            psephos_record::format::RecordReader::new(std::fs::File::open(&record).unwrap())
                .unwrap();
        let origin = r.header().origin.clone();
        let mut last = None;
        while let Some(item) = r.next_item().unwrap() {
            if let psephos_record::format::RecordItem::Block(b) = item {
                last = Some(b);
            }
        }
        (origin, last.unwrap())
    };
    let receipt = dir.path().join("receipt.checkpoint");
    std::fs::write(&receipt, last.cosigned_note()).unwrap();
    let out = psephos(&[
        "verify",
        rec,
        "--json",
        "--checkpoint",
        receipt.to_str().unwrap(),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "{json:#}");
    assert_eq!(json["checks"][5]["status"], "pass");
    let forger = psephos_board::note::NoteSigner::new(
        &origin,
        ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
    )
    .unwrap();
    let forged = psephos_board::checkpoint::Checkpoint::new(
        origin.clone(),
        last.header.tree_size,
        last.header.root,
    )
    .sign(&forger)
    .unwrap()
    .encode()
    .unwrap();
    std::fs::write(&receipt, forged).unwrap();
    let out = psephos(&[
        "verify",
        rec,
        "--json",
        "--checkpoint",
        receipt.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["checks"][5]["id"], "board.anchors");
    assert_eq!(json["checks"][5]["status"], "fail", "{json:#}");

    // The same refusal where witness keys enter elsewhere: `trustee decrypt` and `serve`.
    let out = psephos(&[
        "trustee",
        "decrypt",
        "--server",
        "http://127.0.0.1:9",
        "--election",
        "psephos-2026",
        "--key",
        "absent.json",
        "--board-key",
        &board_key,
        "--witness",
        &board_key,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cosignature/v1"), "{err}");
    let board_secret = dir.path().join("board.secret.key");
    SecretKey::generate(
        "board.psephos.invalid/e",
        psephos_board::note::SignatureType::Ed25519,
    )
    .unwrap()
    .write_new(&board_secret)
    .unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("b.db").display());
    let out = psephos(&[
        "serve",
        "--database",
        &db,
        "--key",
        board_secret.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
        "--witness",
        &board_key,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cosignature/v1"), "{err}");

    // One flipped bit in the middle of the record.
    let mut bytes = std::fs::read(&record).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x10;
    let bad = dir.path().join("bad.record");
    std::fs::write(&bad, &bytes).unwrap();
    let out = psephos(&["verify", bad.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["passed"], false);

    // Truncated.
    let bytes = std::fs::read(&record).unwrap();
    std::fs::write(&bad, &bytes[..bytes.len() - 100]).unwrap();
    let out = psephos(&["verify", bad.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["checks"][0]["status"], "fail");

    // Not a record at all.
    std::fs::write(&bad, b"hello").unwrap();
    assert_eq!(
        psephos(&["verify", bad.to_str().unwrap(), "--quiet"])
            .status
            .code(),
        Some(1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn record_export_from_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("board.secret.key");
    let out = psephos(&[
        "board",
        "keygen",
        "--origin",
        "board.test/export",
        "--out",
        key_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let key = SecretKey::read(&key_path).unwrap();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("board.db").display()
    );
    // The board of election `export` of the service whose key this is (what `psephos serve`
    // opens for it).
    let slug = psephos_board::election_key::ElectionSlug::new("export").unwrap();
    let board = Board::open(
        &db,
        BoardConfig::new(
            psephos_board::election_key::election_origin(&key.name, &slug),
            psephos_board::election_key::election_signing_key(&key.signing_key, &slug),
        ),
    )
    .await
    .unwrap();
    // An election up to the opening of voting and a few ballots, through the rules.
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let manifest = Manifest::from_toml(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../election-config/referendum.toml"
        ))
        .unwrap(),
    )
    .unwrap();
    let sim = Simulation::new(manifest, 5, &mut rng).unwrap();
    let mut payloads = vec![sim.definition()];
    payloads.extend(sim.ceremony_messages());
    payloads.extend(sim.credential_lists());
    payloads.push(sim.key_announcement().unwrap());
    payloads.extend(sim.opening());
    for i in 0..5 {
        payloads.extend(sim.votes(i, &mut rng).unwrap());
    }
    let mut state = Rules::new();
    for p in &payloads {
        state.apply(p).unwrap();
        board
            .append(Entry::new(p.kind(), p.to_bytes()).unwrap())
            .await
            .unwrap();
    }
    board.close().await.unwrap();

    let rec = dir.path().join("export.record");
    let out = psephos(&[
        "record",
        "export",
        "--database",
        &db,
        "--key",
        key_path.to_str().unwrap(),
        "--election",
        "export",
        "--out",
        rec.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("{} entries", payloads.len())),
        "{stdout}"
    );
    // Never overwrites.
    assert!(!psephos(&[
        "record",
        "export",
        "--database",
        &db,
        "--key",
        key_path.to_str().unwrap(),
        "--election",
        "export",
        "--out",
        rec.to_str().unwrap(),
    ])
    .status
    .success());

    let out = psephos(&["verify", rec.to_str().unwrap(), "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(out.status.success(), "{json:#}");
    assert_eq!(json["phase"], "open");
    assert_eq!(json["counts"]["voters"], 5);
    let status = |id: &str| {
        json["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("ballots.proofs"), "pass");
    assert_eq!(status("tally.result"), "not_applicable");
}

/// A board with a witness during voting: the newest block is sealed but not yet cosigned. The
/// export stops at the last cosigned block, so the record passes the witness check with the
/// witness pinned; a snapshot at the newest block (quorum 0) would fail it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_during_voting_stops_at_the_last_cosigned_block() {
    use psephos_board::checkpoint::{Cosigner, SignedCheckpoint};
    use psephos_record::export::export_board;
    use psephos_record::verify::{verify_record_with, NoProgress, VerifyOptions};
    use psephos_record::CheckId;

    let dir = tempfile::tempdir().unwrap();
    let key = SecretKey::generate(
        "board.test/cosigned-export",
        psephos_board::note::SignatureType::Ed25519,
    )
    .unwrap();
    let witness = Cosigner::new(
        "witness.test",
        ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
    )
    .unwrap();
    let db = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("board.db").display()
    );
    let mut config = BoardConfig::new(key.name.clone(), key.signing_key.clone());
    config.witnesses = vec![witness.verifier_key().clone()];
    config.seal_interval = std::time::Duration::from_secs(365 * 24 * 3600);
    let board = Board::open(&db, config).await.unwrap();

    let mut rng = ChaCha20Rng::seed_from_u64(12);
    let manifest = Manifest::from_toml(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../election-config/referendum.toml"
        ))
        .unwrap(),
    )
    .unwrap();
    let sim = Simulation::new(manifest, 4, &mut rng).unwrap();
    let mut payloads = vec![sim.definition()];
    payloads.extend(sim.ceremony_messages());
    payloads.extend(sim.credential_lists());
    payloads.push(sim.key_announcement().unwrap());
    payloads.extend(sim.opening());
    let opened = payloads.len() as u64;
    for i in 0..4 {
        payloads.extend(sim.votes(i, &mut rng).unwrap());
    }
    let append = |range: std::ops::Range<usize>| {
        let board = board.clone();
        let entries: Vec<Entry> = payloads[range]
            .iter()
            .map(|p| Entry::new(p.kind(), p.to_bytes()).unwrap())
            .collect();
        async move {
            for e in entries {
                board.append(e).await.unwrap();
            }
        }
    };
    let export = |quorum: u32| {
        let board = board.clone();
        async move {
            let mut out = Vec::new();
            let header = export_board(&board, quorum, &mut out).await.unwrap();
            (header, out)
        }
    };
    let pinned = VerifyOptions {
        witnesses: Some(vec![witness.verifier_key().clone()]),
        ..VerifyOptions::default()
    };

    // Sealed, nothing cosigned yet: an empty record.
    append(0..opened as usize).await;
    let first = board.seal_now().await.unwrap().unwrap();
    assert_eq!(export(1).await.0.entries, 0);

    // The witness cosigns block 0; voting goes on and block 1 is sealed, not yet cosigned.
    let published = board
        .checkpoint_for_size(first.header.tree_size)
        .await
        .unwrap()
        .unwrap();
    let cp = SignedCheckpoint::open(
        published.note.as_bytes(),
        board.origin(),
        board.verifier_key(),
        &[],
    )
    .unwrap();
    let line = witness.cosign(&cp, 1_700_000_000).unwrap();
    board
        .add_cosignature(first.header.tree_size, &line.to_string())
        .await
        .unwrap();
    append(opened as usize..payloads.len()).await;
    let second = board.seal_now().await.unwrap().unwrap();
    assert_eq!(second.header.tree_size, payloads.len() as u64);

    let (header, record) = export(1).await;
    assert_eq!(header.entries, opened);
    assert_eq!(header.blocks, 1);
    let report = verify_record_with(&record, &pinned, &mut NoProgress);
    assert!(report.passed, "{:#?}", report.checks);
    assert_eq!(report.counts.unwrap().ballots_cast, 0);

    // The newest block without its cosignature fails check 5 once the witness is pinned.
    let (header, record) = export(0).await;
    assert_eq!(header.entries, payloads.len() as u64);
    let report = verify_record_with(&record, &pinned, &mut NoProgress);
    assert_eq!(report.failed(), vec![CheckId::BoardWitnesses]);
    board.close().await.unwrap();
}
