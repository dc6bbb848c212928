//! The verifiable threshold tally over real HTTP on 127.0.0.1 against a real SQLite board: the
//! server computes the encrypted tally from the board (last ballot per credential, weights
//! applied), trustees verify the whole election record (pinned board key) before decrypting,
//! `k` shares produce the result with the other trustees absent, and bad shares, a wrong tally,
//! a ballot with invalid proofs, a foreign board key or an unsealed tally are refused with
//! nothing stored.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use crate::trustee_support;
use psephos_testkit as board_support;

use psephos_cli::trustee::keyfile::{Passphrase, TrusteeKeys, TrusteeShare};
use psephos_cli::trustee::tally::{decrypt, Trust};
use psephos_core::tally::{DecryptionShare, EncryptedTally};
use psephos_record::Payload;
use std::time::Duration;
use trustee_support::{start, Setup, PASS};

/// The trust of a trustee configured with the board's real key (no witnesses), polling fast.
fn pinned(s: &Setup) -> Trust {
    let mut t = Trust::pinned(s.board.verifier_key().clone(), Vec::new(), 0);
    t.wait = Duration::from_secs(20);
    t.poll = Duration::from_millis(50);
    t
}

async fn decrypt_with(
    s: &Setup,
    i: u32,
    trust: &Trust,
) -> anyhow::Result<psephos_cli::trustee::tally::Decrypted> {
    // The test board seals only on demand: what the trustee verifies is the sealed record.
    s.board.seal_now().await.unwrap();
    let path = &s.key_files[i as usize - 1];
    let pass = Passphrase::new(PASS.into());
    let keys = TrusteeKeys::read(path, &pass).unwrap();
    decrypt(&s.client, path, &keys, &pass, trust).await
}

async fn decrypt_as(s: &Setup, i: u32) -> anyhow::Result<psephos_cli::trustee::tally::Decrypted> {
    decrypt_with(s, i, &pinned(s)).await
}

async fn ready_to_tally(
    n: u32,
    k: u32,
    votes: &[(usize, u64)],
    revoters: &[usize],
) -> (Setup, Vec<u64>) {
    let s = start(n, k).await;
    let all: Vec<u32> = (1..=n).collect();
    s.run_trustees(&all).await;
    s.wait_complete().await;
    let expected = s.vote_and_close(votes, revoters).await;
    (s, expected)
}

fn counts(v: &serde_json::Value) -> Vec<u64> {
    v["contests"][0]["counts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect()
}

#[test]
fn tally_n3_k2_weighted_with_revotes_and_one_trustee_absent() {
    trustee_support::block_on(|| async {
        let votes = [(0, 1), (1, 3), (0, 2), (2, 1), (1, 1)];
        let (s, expected) = ready_to_tally(3, 2, &votes, &[1, 3]).await;
        assert_eq!(expected, vec![3, 4, 1]);

        // Officials only: no token → 401; before the tally, no result.
        let (status, _) = s
            .post(
                "/api/v1/elections/psephos-2026/tally",
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(status, 401);
        let (status, _) = s.get("/api/v1/elections/psephos-2026/result").await;
        assert_eq!(status, 404);
        let (status, body) = s.post_admin("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(status, 201, "{body}");
        let tally: EncryptedTally = serde_json::from_value(body["tally"].clone()).unwrap();
        assert_eq!(tally.contests[0].ballots, 5, "revotes count once");
        assert_eq!(tally.contests[0].weight, 8);
        let (status, body) = s.post_admin("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(status, 409, "the tally is posted once: {body}");

        // Trustee 1 decrypts: not enough yet.
        let d1 = decrypt_as(&s, 1).await.unwrap();
        assert_eq!(d1.result_index, None);
        let (_, t) = s.get("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(t["shares"], serde_json::json!([1]));
        assert!(t["result"].is_null());
        // Trustee 2 is absent; trustee 3's share completes the threshold and the server posts the
        // result itself.
        let d3 = decrypt_as(&s, 3).await.unwrap();
        let result_index = d3.result_index.expect("the result is posted at k shares");
        let (status, r) = s.get("/api/v1/elections/psephos-2026/result").await;
        assert_eq!(status, 200);
        assert_eq!(r["index"], result_index);
        assert_eq!(counts(&r), expected);
        assert_eq!(r["contests"][0]["weight"], 8);
        // Too late for trustee 2: the result is out.
        let err = decrypt_as(&s, 2).await.unwrap_err();
        assert!(format!("{err:#}").contains("409"), "{err:#}");
    });
}

#[test]
fn tally_n5_k3_with_two_trustees_absent() {
    trustee_support::block_on(|| async {
        let votes: Vec<(usize, u64)> = (0..7).map(|v| (v % 3, 1 + (v as u64 % 2))).collect();
        let (s, expected) = ready_to_tally(5, 3, &votes, &[]).await;
        let (status, body) = s.post_admin("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(decrypt_as(&s, 2).await.unwrap().result_index, None);
        assert_eq!(decrypt_as(&s, 5).await.unwrap().result_index, None);
        let last = decrypt_as(&s, 4).await.unwrap();
        assert!(last.result_index.is_some());
        let (_, r) = s.get("/api/v1/elections/psephos-2026/result").await;
        assert_eq!(counts(&r), expected);
        // The result entry on the board is what anyone re-derives from the three shares.
        let st = s.hosted.election.read().await;
        assert_eq!(st.result(), Some(&st.combined_result().unwrap()));
    });
}

#[test]
fn tally_bad_decryption_share_is_rejected_naming_the_trustee() {
    trustee_support::block_on(|| async {
        let (s, _) = ready_to_tally(3, 2, &[(0, 1), (2, 1)], &[]).await;
        let (status, body) = s.post_admin("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(status, 201, "{body}");
        let tally: EncryptedTally = serde_json::from_value(body["tally"].clone()).unwrap();
        let pass = Passphrase::new(PASS.into());
        let share_of = |i: usize| {
            let dir = s.key_files[i].parent().unwrap().to_path_buf();
            let name = &s.keys[i].name;
            let f = std::fs::read_dir(&dir)
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| {
                    let n = p.file_name().unwrap().to_string_lossy().to_string();
                    n.starts_with(&format!("{name}.")) && n.ends_with(".share.secret.json")
                })
                .unwrap();
            TrusteeShare::read(&f, &pass).unwrap()
        };
        let size = s.size();
        // Trustee 2 claims a share computed with trustee 1's secret.
        let wrong = DecryptionShare::compute(&tally, 2, &share_of(0).share, &mut rand_core::OsRng);
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/tally/shares", &wrong)
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains("trustee 2"),
            "{body}"
        );
        assert_eq!(s.size(), size, "nothing stored");
        // A share with one proof altered.
        let mut tampered =
            DecryptionShare::compute(&tally, 2, &share_of(1).share, &mut rand_core::OsRng);
        tampered.contests[0][1].share = tampered.contests[0][0].share;
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/tally/shares", &tampered)
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains("trustee 2"),
            "{body}"
        );
        // An unknown trustee.
        let unknown =
            DecryptionShare::compute(&tally, 9, &share_of(1).share, &mut rand_core::OsRng);
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/tally/shares", &unknown)
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains("trustee 9"),
            "{body}"
        );
        assert_eq!(s.size(), size, "nothing stored");
        let (_, t) = s.get("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(t["shares"], serde_json::json!([]));

        // A valid share, then the same share again (409).
        let good = DecryptionShare::compute(&tally, 2, &share_of(1).share, &mut rand_core::OsRng);
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/tally/shares", &good)
            .await;
        assert_eq!(status, 201, "{body}");
        let size = s.size();
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/tally/shares", &good)
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(s.size(), size);
    });
}

#[test]
fn tally_that_is_not_the_sum_of_the_board_is_refused_by_every_trustee() {
    trustee_support::block_on(|| async {
        let (s, _) = ready_to_tally(3, 2, &[(0, 1), (1, 1), (2, 1)], &[]).await;
        // A dishonest server posts "the tally" as one voter's ballot with the right counts: the
        // rules cannot see ciphertexts, but the verifier the trustee runs recomputes the sum.
        let honest = psephos_server::tally::compute(&s.hosted.election)
            .await
            .unwrap();
        let mut forged = honest.clone();
        let ballot = {
            let st = s.hosted.election.read().await;
            let (_, index, _) = st.counted()[0];
            let e = s.board.entry(index).await.unwrap();
            match Payload::decode(e.kind, &e.payload).unwrap() {
                Payload::Ballot(b) => b,
                _ => unreachable!(),
            }
        };
        forged.contests[0].ciphertexts = ballot.contests[0].ciphertexts.clone();
        s.hosted
            .election
            .post(Payload::Tally(forged))
            .await
            .unwrap();
        let err = decrypt_as(&s, 1).await.unwrap_err();
        let size = s.size();
        let msg = format!("{err:#}");
        assert!(msg.contains("REFUSING TO DECRYPT"), "{msg}");
        assert!(msg.contains("tally.aggregate failed"), "{msg}");
        assert_eq!(s.size(), size, "no share was posted");
        let (_, t) = s.get("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(t["shares"], serde_json::json!([]));
    });
}

#[test]
fn tally_over_a_ballot_with_invalid_proofs_is_refused_naming_the_check() {
    trustee_support::block_on(|| async {
        let s = start(3, 2).await;
        s.run_trustees(&[1, 2, 3]).await;
        s.wait_complete().await;
        // A malicious server appends, for a corrupt credential (voter 2), a ballot whose
        // ciphertexts are voter 0's, without checking its proofs; its tally then includes
        // voter 0's vote twice, and shares of it would help reveal it.
        s.vote_and_close_with(&[(0, 1), (1, 1), (2, 1)], &[], Some((0, 2)))
            .await;
        let (status, body) = s.post_admin("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(status, 201, "{body}");
        let err = decrypt_as(&s, 1).await.unwrap_err();
        let size = s.size();
        let msg = format!("{err:#}");
        assert!(msg.contains("REFUSING TO DECRYPT"), "{msg}");
        assert!(msg.contains("ballots.proofs failed"), "{msg}");
        assert_eq!(s.size(), size, "no share was posted");
        let (_, t) = s.get("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(t["shares"], serde_json::json!([]));
    });
}

#[test]
fn tally_on_a_board_signed_by_another_key_is_refused() {
    trustee_support::block_on(|| async {
        let (s, _) = ready_to_tally(3, 2, &[(0, 1), (1, 1)], &[]).await;
        let (status, body) = s.post_admin("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(status, 201, "{body}");
        // The trustee was given another board's key: this server's board is not the election's.
        let other = psephos_board::note::NoteSigner::new(
            "board.test/trustee",
            ed25519_dalek::SigningKey::from_bytes(&[8; 32]),
        )
        .unwrap()
        .verifier_key()
        .clone();
        let mut trust = pinned(&s);
        trust.board_key = Some(other);
        let err = decrypt_with(&s, 1, &trust).await.unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("REFUSING TO DECRYPT"), "{msg}");
        assert!(msg.contains("board.checkpoints failed"), "{msg}");
        // A witness quorum that the board's checkpoints do not carry is not reached either.
        let witness = psephos_board::checkpoint::Cosigner::new(
            "witness.test",
            ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
        )
        .unwrap()
        .verifier_key()
        .clone();
        let mut trust = pinned(&s);
        trust.witnesses = vec![witness];
        trust.quorum = 1;
        trust.wait = Duration::from_millis(300);
        let err = decrypt_with(&s, 1, &trust).await.unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("cosigned by the witness quorum"), "{msg}");
        let (_, t) = s.get("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(t["shares"], serde_json::json!([]));
        // With the right key the same trustee decrypts.
        decrypt_as(&s, 1).await.unwrap();
    });
}

#[test]
fn tally_not_yet_sealed_is_waited_for_then_refused_at_the_deadline() {
    trustee_support::block_on(|| async {
        let (s, _) = ready_to_tally(3, 2, &[(0, 1)], &[]).await;
        let (status, body) = s.post_admin("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(status, 201, "{body}");
        // No block seals the tally (the test board seals on demand only).
        let mut trust = pinned(&s);
        trust.wait = Duration::from_millis(300);
        let path = &s.key_files[0];
        let pass = Passphrase::new(PASS.into());
        let keys = TrusteeKeys::read(path, &pass).unwrap();
        let err = decrypt(&s.client, path, &keys, &pass, &trust)
            .await
            .unwrap_err();
        assert!(format!("{err:#}").contains("not sealed"), "{err:#}");
        let (_, t) = s.get("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(t["shares"], serde_json::json!([]));
    });
}

#[test]
fn tally_whole_flow_on_postgresql() {
    trustee_support::block_on(|| async {
        let url = board_support::TestDb::new(board_support::Backend::Postgres)
            .await
            .url;
        let s = trustee_support::start_on(3, 2, Some(url)).await;
        s.run_trustees(&[1, 2, 3]).await;
        s.wait_complete().await;
        let expected = s.vote_and_close(&[(2, 1), (2, 2), (0, 1)], &[0]).await;
        let (status, body) = s.post_admin("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(status, 201, "{body}");
        decrypt_as(&s, 3).await.unwrap();
        assert!(decrypt_as(&s, 1).await.unwrap().result_index.is_some());
        let (_, r) = s.get("/api/v1/elections/psephos-2026/result").await;
        assert_eq!(counts(&r), expected);
    });
}

/// The witness lags: the last checkpoint it cosigned is from before the key ceremony completed,
/// so the record (which stops at the last cosigned block) stops inside the ceremony. That is a
/// record still to come, not a board to refuse: decrypt waits, and at its deadline says the
/// tally is not yet cosigned — it does not report "ceremony.outcome failed". Once the witness
/// cosigns the newest checkpoint, the same trustee decrypts.
#[test]
fn tally_waits_while_the_cosigned_record_stops_inside_the_ceremony() {
    trustee_support::block_on(|| async {
        let witness = psephos_board::checkpoint::Cosigner::new(
            "witness.test",
            ed25519_dalek::SigningKey::from_bytes(&[9; 32]),
        )
        .unwrap();
        let s = trustee_support::start_with(3, 2, None, vec![witness.verifier_key().clone()]).await;
        let cosign = |size: u64| {
            let (s, witness) = (&s, &witness);
            async move {
                let published = s.board.checkpoint_for_size(size).await.unwrap().unwrap();
                let cp = psephos_board::checkpoint::SignedCheckpoint::open(
                    published.note.as_bytes(),
                    s.board.origin(),
                    s.board.verifier_key(),
                    &[],
                )
                .unwrap();
                let line = witness.cosign(&cp, 1_700_000_000).unwrap();
                s.board
                    .add_cosignature(size, &line.to_string())
                    .await
                    .unwrap();
            }
        };
        // Only the definition is sealed and cosigned.
        let early = s.board.seal_now().await.unwrap().unwrap();
        cosign(early.header.tree_size).await;
        s.run_trustees(&[1, 2, 3]).await;
        s.wait_complete().await;
        s.vote_and_close(&[(0, 1), (2, 1)], &[]).await;
        let (status, body) = s.post_admin("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(status, 201, "{body}");
        let mut trust = Trust::pinned(
            s.board.verifier_key().clone(),
            vec![witness.verifier_key().clone()],
            1,
        );
        trust.poll = Duration::from_millis(50);
        trust.wait = Duration::from_millis(300);
        let err = decrypt_with(&s, 1, &trust).await.unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("cosigned by the witness quorum"), "{msg}");
        assert!(!msg.contains("ceremony.outcome"), "{msg}");
        let (_, t) = s.get("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(t["shares"], serde_json::json!([]));
        // The witness catches up: the same trustee decrypts.
        cosign(s.size()).await;
        trust.wait = Duration::from_secs(20);
        decrypt_with(&s, 1, &trust).await.unwrap();
    });
}

/// `psephos verify` and `psephos trustee decrypt` take the same `--board-key`, `--witness` and
/// `--quorum` (`TrustArgs`) and apply the same default quorum, a majority of the pinned
/// witnesses: with three witnesses pinned and no `--quorum`, one cosignature on the tally's
/// checkpoint is refused by both, and two are accepted by both.
#[test]
fn verify_and_decrypt_apply_the_same_default_witness_quorum() {
    use psephos_cli::trust::TrustArgs;
    use psephos_cli::trustee::{decrypt as decrypt_command, KeyArgs};
    use psephos_record::verify::{CheckId, Source, Status};

    trustee_support::block_on(|| async {
        let witnesses: Vec<psephos_board::checkpoint::Cosigner> = (0..3u8)
            .map(|i| {
                psephos_board::checkpoint::Cosigner::new(
                    &format!("witness-{i}.test"),
                    ed25519_dalek::SigningKey::from_bytes(&[20 + i; 32]),
                )
                .unwrap()
            })
            .collect();
        let keys: Vec<_> = witnesses.iter().map(|w| w.verifier_key().clone()).collect();
        let s = trustee_support::start_with(3, 2, None, keys.clone()).await;
        s.run_trustees(&[1, 2, 3]).await;
        s.wait_complete().await;
        s.vote_and_close(&[(0, 1), (2, 1)], &[]).await;
        let (status, body) = s.post_admin("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(status, 201, "{body}");
        let size = s.board.seal_now().await.unwrap().unwrap().header.tree_size;
        let cosign = |w: usize| {
            let (s, witness) = (&s, &witnesses[w]);
            async move {
                let published = s.board.checkpoint_for_size(size).await.unwrap().unwrap();
                let cp = psephos_board::checkpoint::SignedCheckpoint::open(
                    published.note.as_bytes(),
                    s.board.origin(),
                    s.board.verifier_key(),
                    &[],
                )
                .unwrap();
                let line = witness.cosign(&cp, 1_700_000_000).unwrap();
                s.board
                    .add_cosignature(size, &line.to_string())
                    .await
                    .unwrap();
            }
        };

        // What an observer and a trustee both type.
        let pinned = TrustArgs {
            board_key: Some(s.board.verifier_key().to_string()),
            witnesses: keys.iter().map(|k| k.to_string()).collect(),
            quorum: None,
        };
        let decrypt_args = decrypt_command::Args {
            server: s.base.clone(),
            election: psephos_testkit::ELECTION.to_string(),
            key: KeyArgs {
                key: s.key_files[0].clone(),
                passphrase_file: None,
            },
            trust: pinned.clone(),
            trust_server_key: false,
            wait: Duration::from_millis(300),
        };
        let mut trust = decrypt_command::trust(&decrypt_args).unwrap();
        trust.poll = Duration::from_millis(50);
        assert_eq!(trust.quorum, 2);
        // `psephos verify --board-key … --witness ×3` over the record up to the tally's block.
        let verify = |name: &'static str| {
            let (s, pinned) = (&s, &pinned);
            async move {
                let path = s.dir.path().join(name);
                let file = std::fs::File::create(&path).unwrap();
                psephos_record::export::export_board(&s.board, 0, std::io::BufWriter::new(file))
                    .await
                    .unwrap();
                let options = pinned.verify_options().unwrap();
                psephos_cli::verify::verify_file(&path, &options, false).unwrap()
            }
        };
        let witness_check = |r: &psephos_record::verify::Report| {
            r.checks
                .iter()
                .find(|c| c.id == CheckId::BoardWitnesses)
                .unwrap()
                .status
        };

        // One cosignature of three: both refuse.
        cosign(0).await;
        let report = verify("one-cosignature.record").await;
        assert_eq!(witness_check(&report), Status::Fail, "{report:?}");
        assert_eq!(report.trust.quorum, 2);
        assert_eq!(
            report.trust.quorum_source,
            Source::MajorityOfPinnedWitnesses
        );
        let err = decrypt_with(&s, 1, &trust).await.unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("cosigned by the witness quorum"), "{msg}");
        let (_, t) = s.get("/api/v1/elections/psephos-2026/tally").await;
        assert_eq!(t["shares"], serde_json::json!([]));

        // Two of three: both accept.
        cosign(1).await;
        let report = verify("two-cosignatures.record").await;
        assert_eq!(witness_check(&report), Status::Pass, "{report:?}");
        assert!(report.passed, "{:?}", report.failed());
        trust.wait = Duration::from_secs(20);
        decrypt_with(&s, 1, &trust).await.unwrap();
    });
}
