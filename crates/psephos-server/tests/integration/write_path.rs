//! The election service's write path and its limits, over real HTTP on a real SQLite board: a
//! refused write leaves no trace in the rules' state, a cancelled request cannot leave the state
//! ahead of the board, large credential lists and decryption shares fit, a credential's
//! challenges and the cast queue's bytes are bounded.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_testkit::server as common;

use common::{start, Backend, Server, TestElection};
use psephos_core::credential::CredentialSecret;
use psephos_core::transcript::random_scalar;
use psephos_record::{CredentialList, ListedCredential, Payload};
use rand_chacha::ChaCha20Rng;

/// `n` fresh credentials of `style`, as a list for `e`'s manifest.
fn credentials(e: &TestElection, n: usize, style: &str, rng: &mut ChaCha20Rng) -> CredentialList {
    CredentialList::new(
        &e.manifest,
        (0..n)
            .map(|_| ListedCredential {
                credential: CredentialSecret::from_scalar(random_scalar(rng)).public(),
                style: style.to_string(),
                weight: 1,
            })
            .collect(),
    )
}

/// The rules' state and the board agree on the number of entries.
async fn in_step(s: &Server) {
    assert_eq!(s.hosted.election.read().await.size(), s.size());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_too_large_for_the_board_leaves_the_state_unchanged() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let e = TestElection::new(&mut rng, 4);
    let (st, v) = s
        .post(
            "/api/v1/elections/psephos-2026/definition",
            &common::create_body(common::MANIFEST, &e.run),
            true,
        )
        .await;
    assert_eq!(st, 201, "{v}");
    // One entry of 23,000 credentials: the rules accept it, the board cannot hold it (> 1 MiB).
    let big = credentials(&e, 23_000, "all", &mut rng);
    assert!(
        Payload::Credentials(big.clone()).to_bytes().len() > psephos_board::entry::MAX_PAYLOAD_SIZE
    );
    // The rules refuse it too: no entry may hold more credentials than its decoding allows.
    let mut scratch = s.hosted.election.read().await.clone();
    let refused = scratch
        .apply(&Payload::Credentials(big.clone()))
        .unwrap_err();
    assert!(refused.to_string().contains("more than 16384"), "{refused}");
    let err = s
        .hosted
        .election
        .post(Payload::Credentials(big))
        .await
        .unwrap_err();
    assert!(
        matches!(err, psephos_server::error::ServiceError::TooLarge(_)),
        "{err:?}"
    );
    assert_eq!(psephos_server::ApiError::from(err).status.as_u16(), 413);
    in_step(&s).await;
    assert_eq!(s.hosted.election.read().await.counts().credentials, 0);
    // The next write lands at the board's next index, and a restart replays the board.
    let (st, v) = s
        .post(
            "/api/v1/elections/psephos-2026/credentials",
            &serde_json::to_value(e.credential_list()).unwrap(),
            true,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["entries"][0].as_u64(), Some(s.size() - 1));
    in_step(&s).await;
    let replayed = psephos_server::election::replay(&s.board).await.unwrap();
    assert_eq!(replayed.counts(), s.hosted.election.read().await.counts());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_whose_caller_goes_away_still_runs_to_its_end() {
    use futures_util::FutureExt;
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 4);
    e.open(&s).await;
    let (probe, secrets) = e.ballot(0, &mut rng);
    let reveal = secrets.reveal(&probe);
    let code = psephos_core::ballot::TrackingCode::of(&probe.hash()).to_string();
    let before = s.size();
    // A reader holds the state, so the write cannot take its lock and cannot finish whatever
    // the machine's load: the caller's future is certainly dropped mid-write, as the request
    // timeout or a disconnect drops a handler.
    let reader = s.hosted.election.read().await;
    let el = e.election().clone();
    let (verified, _) = psephos_record::payload::VerifiedChallenge::verify(
        &el,
        psephos_record::Challenged {
            ballot: probe,
            reveal,
        },
    )
    .unwrap();
    let posted = s
        .hosted
        .election
        .post_verified_challenge(verified)
        .now_or_never();
    assert!(
        posted.is_none(),
        "the write finished while the state was held"
    );
    assert_eq!(s.size(), before, "appended while the state was held");
    drop(reader);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (st, v) = s
            .get(&format!("/api/v1/elections/psephos-2026/ballots/{code}"))
            .await;
        if st == 200 {
            assert_eq!(v["status"], "challenged");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the dropped write never completed (board {} → {})",
            before,
            s.size()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(s.size(), before + 1);
    in_step(&s).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_list_with_long_style_ids_is_split_by_bytes() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let style = "s".repeat(64);
    let toml = common::MANIFEST.replace("id = \"short\"", &format!("id = \"{style}\""));
    let manifest = psephos_core::election::Manifest::from_toml(&toml).unwrap();
    let run = psephos_core::sim::run_ceremony(manifest.hash(), 3, 2, &mut rng).unwrap();
    let e = TestElection {
        manifest,
        run,
        voters: Vec::new(),
        election: None,
    };
    let (st, v) = s
        .post(
            "/api/v1/elections/psephos-2026/definition",
            &common::create_body(&toml, &e.run),
            true,
        )
        .await;
    assert_eq!(st, 201, "{v}");
    // 16,384 of these credentials are 1.7 MiB: more than one board entry may hold.
    let list = credentials(&e, 20_000, &style, &mut rng);
    let (st, v) = s
        .post(
            "/api/v1/elections/psephos-2026/credentials",
            &serde_json::to_value(&list).unwrap(),
            true,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["credentials"], 20_000);
    let entries = v["entries"].as_array().unwrap();
    assert!(entries.len() >= 3, "{v}");
    for i in entries {
        let got = s.board.entries(i.as_u64().unwrap(), 1).await.unwrap();
        assert!(got[0].payload.len() < psephos_board::entry::MAX_PAYLOAD_SIZE);
    }
    in_step(&s).await;
    assert_eq!(s.hosted.election.read().await.counts().credentials, 20_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_credential_may_challenge_at_most_ten_ballots() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 4);
    e.open(&s).await;
    let challenge = |v: usize, rng: &mut ChaCha20Rng| {
        let (probe, secrets) = e.ballot(v, rng);
        let reveal = secrets.reveal(&probe);
        serde_json::json!({ "ballot": probe, "reveal": reveal })
    };
    for i in 0..psephos_record::rules::MAX_CHALLENGES_PER_CREDENTIAL {
        let (st, v) = s
            .post(
                "/api/v1/elections/psephos-2026/challenges",
                &challenge(0, &mut rng),
                false,
            )
            .await;
        assert_eq!(st, 201, "challenge {i}: {v}");
        assert!(v["choices"]["contests"].is_array(), "{v}");
    }
    let before = s.size();
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/challenges",
            &challenge(0, &mut rng),
            false,
        )
        .await;
    assert_eq!(common::expect_error(&got, 409), "conflict");
    assert!(
        got.1["detail"]
            .as_str()
            .unwrap()
            .contains("already challenged 10"),
        "{}",
        got.1
    );
    assert_eq!(s.size(), before);
    // Another credential is not affected, and the limit does not stop casting.
    let (st, v) = s
        .post(
            "/api/v1/elections/psephos-2026/challenges",
            &challenge(1, &mut rng),
            false,
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let (b, _) = e.ballot(0, &mut rng);
    let (st, v) = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&b).unwrap(),
            false,
        )
        .await;
    assert_eq!(st, 201, "{v}");
    // A lying opening is still refused (now checked outside the lock) and stores nothing.
    let (probe, _) = e.ballot(2, &mut rng);
    let (other, other_secrets) = e.ballot(2, &mut rng);
    let mut lie = other_secrets.reveal(&other);
    lie.ballot = probe.hash();
    let before = s.size();
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/challenges",
            &serde_json::json!({ "ballot": probe, "reveal": lie }),
            false,
        )
        .await;
    common::expect_error(&got, 422);
    assert_eq!(s.size(), before);
    in_step(&s).await;
    // The record replays under the same rules.
    let replayed = psephos_server::election::replay(&s.board).await.unwrap();
    assert_eq!(replayed.counts().challenges, 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_tally_is_decrypted_through_the_share_route() {
    use psephos_core::tally::{DecryptionShare, EncryptedTally};
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    // 6 contests of 64 options: each share is about 100 KB of JSON, over the default 64 KiB.
    let manifest = psephos_core::sim::shapes::approval(6, 64);
    let run = psephos_core::sim::run_ceremony(manifest.hash(), 3, 2, &mut rng).unwrap();
    let svc = &s.hosted.election;
    svc.post(Payload::Definition(psephos_record::Definition {
        manifest: manifest.clone(),
        ceremony: run.params.clone(),
    }))
    .await
    .unwrap();
    for m in &run.log {
        svc.post(Payload::Ceremony(m.clone())).await.unwrap();
    }
    let (st, v) = s
        .official("/api/v1/elections/psephos-2026/ceremony/complete")
        .await;
    assert_eq!(st, 200, "{v}");
    let e = TestElection {
        manifest,
        run,
        voters: Vec::new(),
        election: None,
    };
    let list = credentials(&e, 2, "all", &mut rng);
    svc.post(Payload::Credentials(list)).await.unwrap();
    for path in [
        "/api/v1/elections/psephos-2026/open",
        "/api/v1/elections/psephos-2026/close",
    ] {
        let (st, v) = s.official(path).await;
        assert_eq!(st, 200, "{v}");
    }
    let (st, v) = s.official("/api/v1/elections/psephos-2026/tally").await;
    assert_eq!(st, 201, "{v}");
    let tally: EncryptedTally = serde_json::from_value(v["tally"].clone()).unwrap();
    let mut result_index = None;
    for j in [1u32, 3] {
        let share = DecryptionShare::compute(
            &tally,
            j,
            &e.run.outcomes[j as usize - 1].secret_share,
            &mut rng,
        );
        let body = serde_json::to_string(&share).unwrap();
        assert!(body.len() > 64 * 1024, "{} bytes", body.len());
        let (st, v) = s
            .post_raw("/api/v1/elections/psephos-2026/tally/shares", body, false)
            .await;
        assert_eq!(st, 201, "{v}");
        result_index = v["result_index"].as_u64();
    }
    assert!(result_index.is_some());
    let (st, r) = s.get("/api/v1/elections/psephos-2026/result").await;
    assert_eq!(st, 200, "{r}");
    in_step(&s).await;
    let st = s.hosted.election.read().await;
    assert_eq!(st.result(), Some(&st.combined_result().unwrap()));
}

/// The cast queue is bounded by bytes as well as by count: a ballot that does not fit the byte
/// bound is refused at once with 503 `overloaded`, nothing is stored, and its bytes are given
/// back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cast_queue_is_bounded_by_bytes() {
    let mut config = common::quiet_config();
    config.cast.queue_bytes = 256; // less than one ballot's encoding
    let s = start(Backend::Sqlite, config).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 2);
    e.open(&s).await;
    let (ballot, _) = e.ballot(0, &mut rng);
    let before = s.size();
    let got = s
        .post_raw(
            "/api/v1/elections/psephos-2026/ballots",
            serde_json::to_string(&ballot).unwrap(),
            false,
        )
        .await;
    assert_eq!(common::expect_error(&got, 503), "overloaded");
    assert_eq!(s.size(), before);
    assert_eq!(s.hosted.caster.queued_bytes(), 0);
    in_step(&s).await;
}

/// A ballot or a challenge reaches the board only as a verified value: posted as a bare payload
/// (its proofs unchecked) it is refused, and the board and the rules are unchanged. (That an
/// unverified ballot cannot even be handed to `post_verified_ballots` is a compile-fail
/// doc-test there.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unverified_ballot_never_reaches_the_board() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 4);
    e.open(&s).await;
    let (ballot, secrets) = e.ballot(0, &mut rng);
    let reveal = secrets.reveal(&ballot);
    let before = (s.size(), s.hosted.election.read().await.counts());
    for p in [
        Payload::Ballot(ballot.clone()),
        Payload::Challenge(psephos_record::Challenged {
            ballot: ballot.clone(),
            reveal,
        }),
    ] {
        let got = s.hosted.election.post(p).await;
        assert!(
            matches!(got, Err(psephos_server::error::ServiceError::Internal(_))),
            "{got:?}"
        );
    }
    assert_eq!((s.size(), s.hosted.election.read().await.counts()), before);
    // Verified, the same ballot is cast.
    let verified = psephos_core::ballot::verify_ballot(e.election(), ballot).unwrap();
    let mut v = s
        .hosted
        .election
        .post_verified_ballots(vec![verified])
        .await;
    v.pop().unwrap().unwrap();
    assert_eq!(s.size(), before.0 + 1);
}
