//! The key ceremony over real HTTP on 127.0.0.1 against a real SQLite board: honest runs of the
//! trustee client, cheating dealers and lying complainers driven with the core state machine and
//! posted over HTTP, rejected messages that leave the board unchanged, and a trustee process
//! killed mid-ceremony that resumes from the board.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use crate::trustee_support;

use psephos_cli::trustee::client::Client;
use psephos_core::ceremony::{
    verify_ceremony, Complaint, ComplaintReason, Disqualification, EncryptedShare, Message,
    Resolution, Reveal, SignedMessage, Trustee, TrusteeIndex,
};
use psephos_core::threshold::SecretPolynomial;
use std::time::Duration;
use trustee_support::{start, Setup, PASS};

fn idx(i: u32) -> TrusteeIndex {
    TrusteeIndex::new(i).unwrap()
}

/// A trustee driven by the core state machine directly (to cheat or lie on purpose).
struct Manual {
    t: Trustee,
    from: u64,
}

impl Manual {
    fn new(s: &Setup, i: u32) -> Self {
        let k = &s.keys[i as usize - 1];
        Manual {
            t: Trustee::new(
                s.params.clone(),
                idx(i),
                k.signing_key.clone(),
                k.ceremony_secret.clone(),
            )
            .unwrap(),
            from: 0,
        }
    }
    /// Feeds it every new board message.
    async fn sync(&mut self, c: &Client) {
        for m in c.ceremony_messages(self.from).await.unwrap() {
            self.t.receive(&m.message).unwrap();
            self.from = m.index + 1;
        }
    }
    fn sign(&self, s: &Setup, m: Message) -> SignedMessage {
        let k = &s.keys[self.t.index().get() as usize - 1];
        m.sign(s.params.id(), &k.signing_key)
    }
}

async fn wait_round(s: &Setup, round: u64) -> serde_json::Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while tokio::time::Instant::now() < deadline {
        let (_, v) = s.get("/api/v1/elections/psephos-2026/ceremony").await;
        if v["round"].as_u64() == Some(round) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("round {round} never opened");
}

/// Sets the complaint window from now on. Tests open it wide, wait until the complaint they
/// expect is on the board, then close it: no complaint depends on the machine being fast.
fn set_complaint_window(s: &Setup, window: Duration) {
    s.hosted
        .ceremony
        .set_schedule(psephos_server::ceremony::CeremonySchedule {
            complaint_window: window,
            round_timeout: Duration::from_secs(600),
        });
}

/// Waits until trustee `from` has a complaint on the board.
async fn wait_complaint(s: &Setup, from: u32) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while tokio::time::Instant::now() < deadline {
        let complained = all_messages(s)
            .await
            .iter()
            .any(|m| matches!(&m.message, Message::Complaint(c) if c.from == idx(from)));
        if complained {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("trustee {from} never complained");
}

async fn all_messages(s: &Setup) -> Vec<SignedMessage> {
    s.client
        .ceremony_messages(0)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.message.into_owned())
        .collect()
}

#[test]
fn ceremony_n3_k2_over_http_outcome_is_recomputable_from_the_board() {
    trustee_support::block_on(|| async {
        let s = start(3, 2).await;
        let (status, v) = s.get("/api/v1/elections/psephos-2026/ceremony").await;
        assert_eq!(status, 200);
        assert_eq!(v["round"], 1);
        assert_eq!(v["awaiting"]["commitments"], serde_json::json!([1, 2, 3]));
        assert_eq!(v["params"]["threshold"], 2);

        let done = s.run_trustees(&[1, 2, 3]).await;
        let v = s.wait_complete().await;
        let key: psephos_record::KeyAnnouncement =
            serde_json::from_value(v["key"].clone()).unwrap();
        assert_eq!(key.qualified, vec![1, 2, 3]);
        // Anyone recomputes the outcome from the board's messages alone.
        let outcome = verify_ceremony(&s.params, &all_messages(&s).await).unwrap();
        assert_eq!(outcome.joint_key, key.joint_key);
        assert_eq!(v["messages"], 6); // 3 commitments + 3 share bundles, no complaint
        for (f, i) in done.iter().zip(1u32..) {
            assert_eq!(f.index, i);
            assert_eq!(f.key, key);
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&f.share_file)
                    .unwrap()
                    .permissions()
                    .mode();
                assert_eq!(mode & 0o777, 0o600, "{}", f.share_file.display());
            }
            let text = std::fs::read_to_string(&f.share_file).unwrap();
            assert!(f.share_file.to_string_lossy().contains("share.secret"));
            let share = psephos_cli::trustee::keyfile::TrusteeShare::read(
                &f.share_file,
                &psephos_cli::trustee::keyfile::Passphrase::new(PASS.into()),
            )
            .unwrap();
            assert_eq!(Some(share.verification_key), key.verification_key(i));
            // The share is sealed: its bytes appear nowhere in the file.
            assert!(!text.contains(&hex::encode(share.share.to_bytes())));
        }
        // After completion no ceremony message is accepted (409), and the board does not change.
        let size = s.size();
        let mut late = Manual::new(&s, 1);
        late.sync(&s.client).await;
        let m = late.sign(
            &s,
            Message::Complaint(Complaint {
                from: idx(1),
                against: idx(2),
                reason: ComplaintReason::Missing,
            }),
        );
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/ceremony/messages", &m)
            .await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(s.size(), size);
    });
}

#[test]
fn ceremony_replayed_early_forged_and_foreign_messages_leave_the_board_unchanged() {
    trustee_support::block_on(|| async {
        let s = start(3, 2).await;
        let mut rng = rand_core::OsRng;
        let mut t1 = Manual::new(&s, 1);
        let c1 = t1.t.round1(&mut rng).unwrap();
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/ceremony/messages", &c1)
            .await;
        assert_eq!(status, 201, "{body}");
        let size = s.size();

        // Replayed: the same message again.
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/ceremony/messages", &c1)
            .await;
        assert_eq!(status, 409, "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains("replayed"),
            "{body}"
        );
        assert_eq!(s.size(), size);

        // Out of round: trustee 1's shares while round 1 still waits for trustees 2 and 3.
        t1.sync(&s.client).await;
        let early = t1.t.round2(&mut rng).unwrap();
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/ceremony/messages", &early)
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (409, Some("round_not_open")),
            "{body}"
        );
        assert!(body["detail"]
            .as_str()
            .unwrap()
            .contains("waiting for trustee(s) 2, 3"));
        assert_eq!(s.size(), size);

        // Forged: trustee 2's commitment signed with trustee 3's key.
        let t2 = Manual::new(&s, 2);
        let mut forged = t2.t.round1(&mut rng).unwrap();
        forged = match forged.message {
            m @ Message::Commitment(_) => m.sign(s.params.id(), &s.keys[2].signing_key),
            _ => unreachable!(),
        };
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/ceremony/messages", &forged)
            .await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["detail"].as_str().unwrap().contains("signature"),
            "{body}"
        );
        assert_eq!(s.size(), size);

        // Another ceremony's message (a different ceremony id in the signed envelope).
        let mut foreign = t2.t.round1(&mut rng).unwrap();
        foreign.ceremony = psephos_core::hash::Digest([9; 32]);
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/ceremony/messages", &foreign)
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(s.size(), size);

        // Undecodable bytes.
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/ceremony/messages", &"00ff")
            .await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(s.size(), size);

        // The honest commitment of trustee 2 is still accepted after all that.
        let (status, body) = s
            .post(
                "/api/v1/elections/psephos-2026/ceremony/messages",
                &t2.t.round1(&mut rng).unwrap(),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    });
}

#[test]
fn ceremony_cheating_dealer_is_blamed_and_disqualified_without_restart() {
    trustee_support::block_on(|| async {
        let s = start(3, 2).await;
        let mut rng = rand_core::OsRng;
        set_complaint_window(&s, Duration::from_secs(600));
        // Trustees 1 and 2 run the real client; trustee 3 deals a bad share to trustee 1.
        let honest = {
            let c = s.client.clone();
            let files = s.key_files.clone();
            tokio::spawn(async move {
                let mut v = Vec::new();
                for i in [0usize, 1] {
                    let (c, path) = (c.clone(), files[i].clone());
                    v.push(tokio::spawn(async move {
                        let pass = psephos_cli::trustee::keyfile::Passphrase::new(PASS.into());
                        let keys =
                            psephos_cli::trustee::keyfile::TrusteeKeys::read(&path, &pass).unwrap();
                        psephos_cli::trustee::ceremony::run(
                            &c,
                            &path,
                            &keys,
                            &pass,
                            &trustee_support::quiet(),
                        )
                        .await
                    }));
                }
                let mut out = Vec::new();
                for h in v {
                    out.push(h.await.unwrap());
                }
                out
            })
        };
        let mut t3 = Manual::new(&s, 3);
        let (status, _) = s
            .post(
                "/api/v1/elections/psephos-2026/ceremony/messages",
                &t3.t.round1(&mut rng).unwrap(),
            )
            .await;
        assert_eq!(status, 201);
        wait_round(&s, 2).await;
        t3.sync(&s.client).await;
        let honest_shares = t3.t.round2(&mut rng).unwrap();
        let bad_share = SecretPolynomial::random(2, &mut rng).evaluate(1);
        let Message::EncryptedShares(mut shares) = honest_shares.message else {
            unreachable!()
        };
        let x1 = s.keys[0].ceremony_secret.public_key();
        shares.shares[0].1 =
            EncryptedShare::encrypt(s.params.id(), idx(3), idx(1), &x1, &bad_share, &mut rng);
        let cheat = t3.sign(&s, Message::EncryptedShares(shares));
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/ceremony/messages", &cheat)
            .await;
        assert_eq!(status, 201, "{body}");

        // Trustee 1's client complains in round 3; trustee 3 must answer in round 4 and reveals the
        // bad share it dealt (the only share it can reveal that is consistent with its ciphertext).
        wait_complaint(&s, 1).await;
        set_complaint_window(&s, Duration::ZERO);
        let v = wait_round(&s, 4).await;
        assert_eq!(v["awaiting"]["reveals"], serde_json::json!([3]), "{v}");
        t3.sync(&s.client).await;
        let reveal = t3.sign(
            &s,
            Message::Reveal(Reveal {
                from: idx(3),
                to: idx(1),
                share: *bad_share.scalar(),
            }),
        );
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/ceremony/messages", &reveal)
            .await;
        assert_eq!(status, 201, "{body}");

        let v = s.wait_complete().await;
        assert_eq!(v["key"]["qualified"], serde_json::json!([1, 2]), "{v}");
        let outcome = verify_ceremony(&s.params, &all_messages(&s).await).unwrap();
        assert_eq!(
            outcome.disqualified,
            vec![(idx(3), Disqualification::InvalidReveal { accuser: idx(1) })]
        );
        assert_eq!(outcome.complaints.len(), 1);
        assert_eq!(outcome.complaints[0].reason, ComplaintReason::InvalidShare);
        assert_eq!(outcome.complaints[0].resolution, Resolution::InvalidShare);
        // Both honest trustees finish with shares of the key of the qualified set — no restart.
        for r in honest.await.unwrap() {
            let f = r.unwrap();
            assert_eq!(f.key.qualified, vec![1, 2]);
            assert_eq!(f.key.joint_key, outcome.joint_key);
        }
    });
}

#[test]
fn ceremony_lying_complainer_is_answered_and_the_dealer_stays_qualified() {
    trustee_support::block_on(|| async {
        let s = start(3, 2).await;
        let mut rng = rand_core::OsRng;
        let honest = {
            let c = s.client.clone();
            let files = s.key_files.clone();
            tokio::spawn(async move {
                let mut v = Vec::new();
                for i in [0usize, 1] {
                    let (c, path) = (c.clone(), files[i].clone());
                    v.push(tokio::spawn(async move {
                        let pass = psephos_cli::trustee::keyfile::Passphrase::new(PASS.into());
                        let keys =
                            psephos_cli::trustee::keyfile::TrusteeKeys::read(&path, &pass).unwrap();
                        psephos_cli::trustee::ceremony::run(
                            &c,
                            &path,
                            &keys,
                            &pass,
                            &trustee_support::quiet(),
                        )
                        .await
                    }));
                }
                let mut out = Vec::new();
                for h in v {
                    out.push(h.await.unwrap().unwrap());
                }
                out
            })
        };
        // The lie must land inside the complaint window: it stays open until the lie is posted.
        set_complaint_window(&s, Duration::from_secs(600));
        // Trustee 3 is honest in rounds 1 and 2, then falsely accuses dealer 1.
        let mut t3 = Manual::new(&s, 3);
        s.post(
            "/api/v1/elections/psephos-2026/ceremony/messages",
            &t3.t.round1(&mut rng).unwrap(),
        )
        .await;
        wait_round(&s, 2).await;
        t3.sync(&s.client).await;
        let (status, _) = s
            .post(
                "/api/v1/elections/psephos-2026/ceremony/messages",
                &t3.t.round2(&mut rng).unwrap(),
            )
            .await;
        assert_eq!(status, 201);
        wait_round(&s, 3).await;
        t3.sync(&s.client).await;
        assert!(
            t3.t.round3().unwrap().is_empty(),
            "every share dealt to 3 is valid"
        );
        let lie = t3.sign(
            &s,
            Message::Complaint(Complaint {
                from: idx(3),
                against: idx(1),
                reason: ComplaintReason::InvalidShare,
            }),
        );
        let (status, body) = s
            .post("/api/v1/elections/psephos-2026/ceremony/messages", &lie)
            .await;
        assert_eq!(status, 201, "{body}");
        set_complaint_window(&s, Duration::ZERO);

        // Trustee 1's client reveals its share for 3 in round 4; it passes the Feldman check.
        let v = s.wait_complete().await;
        assert_eq!(v["key"]["qualified"], serde_json::json!([1, 2, 3]), "{v}");
        let outcome = verify_ceremony(&s.params, &all_messages(&s).await).unwrap();
        assert!(outcome.disqualified.is_empty());
        assert_eq!(outcome.complaints.len(), 1);
        assert_eq!(outcome.complaints[0].dealer, idx(1));
        assert_eq!(outcome.complaints[0].resolution, Resolution::ValidShare);
        // The liar still gets its share (from the public reveal) and it matches its key.
        t3.sync(&s.client).await;
        let mine = t3.t.finish().unwrap();
        assert_eq!(
            Some(mine.secret_share.public()),
            outcome.verification_key(3)
        );
        for f in honest.await.unwrap() {
            assert_eq!(f.key.joint_key, outcome.joint_key);
        }
    });
}

#[test]
fn ceremony_trustee_process_killed_mid_ceremony_resumes_from_the_board() {
    trustee_support::block_on(|| async {
        let s = start(3, 2).await;
        let bin = env!("CARGO_BIN_EXE_psephos");
        let spawn = || {
            std::process::Command::new(bin)
                .args([
                    "trustee",
                    "ceremony",
                    "--server",
                    &s.base,
                    "--election",
                    psephos_testkit::ELECTION,
                    "--poll",
                    "50ms",
                    "--key",
                ])
                .arg(&s.key_files[2])
                .env("PSEPHOS_TRUSTEE_PASSPHRASE", PASS)
                .env("RUST_LOG", "warn")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        // Trustee 3's process commits in round 1, then waits for the others: kill it there.
        let mut child = spawn();
        let mut committed = false;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        while tokio::time::Instant::now() < deadline {
            let (_, v) = s.get("/api/v1/elections/psephos-2026/ceremony").await;
            if v["awaiting"]["commitments"] == serde_json::json!([1, 2]) {
                committed = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(committed, "trustee 3 never committed");
        child.kill().unwrap();
        child.wait().unwrap();

        // The others go ahead; round 2 then waits for the dead trustee's shares.
        let others = {
            let s_client = s.client.clone();
            let files = s.key_files.clone();
            tokio::spawn(async move {
                let mut v = Vec::new();
                for i in [0usize, 1] {
                    let (c, path) = (s_client.clone(), files[i].clone());
                    v.push(tokio::spawn(async move {
                        let pass = psephos_cli::trustee::keyfile::Passphrase::new(PASS.into());
                        let keys =
                            psephos_cli::trustee::keyfile::TrusteeKeys::read(&path, &pass).unwrap();
                        psephos_cli::trustee::ceremony::run(
                            &c,
                            &path,
                            &keys,
                            &pass,
                            &trustee_support::quiet(),
                        )
                        .await
                        .unwrap()
                    }));
                }
                let mut out = Vec::new();
                for h in v {
                    out.push(h.await.unwrap());
                }
                out
            })
        };
        let v = wait_round(&s, 2).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        while tokio::time::Instant::now() < deadline {
            let (_, v) = s.get("/api/v1/elections/psephos-2026/ceremony").await;
            if v["awaiting"]["shares"] == serde_json::json!([3]) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (_, v2) = s.get("/api/v1/elections/psephos-2026/ceremony").await;
        assert_eq!(v2["awaiting"]["shares"], serde_json::json!([3]), "{v} {v2}");

        // Restarted, trustee 3 replays the board, recognises its own commitment (its polynomial is
        // derived, not stored), deals its shares and finishes.
        let child = spawn();
        let out = tokio::task::spawn_blocking(move || child.wait_with_output().unwrap())
            .await
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(printed["trustee"], 3);
        assert_eq!(printed["key"]["qualified"], serde_json::json!([1, 2, 3]));
        for f in others.await.unwrap() {
            assert_eq!(f.key.qualified, vec![1, 2, 3]);
        }
        // Exactly one commitment from trustee 3 on the board: nothing was regenerated.
        let commitments = all_messages(&s)
            .await
            .into_iter()
            .filter(|m| matches!(&m.message, Message::Commitment(c) if c.from == idx(3)))
            .count();
        assert_eq!(commitments, 1);
    });
}
