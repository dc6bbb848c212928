//! One service, many elections, over real HTTP on SQLite and PostgreSQL: each election is its
//! own board (origin, derived key, tree, record); an official of one election can do nothing
//! to another; an entry of one election posted to another is refused with both boards
//! unchanged, and two elections cannot share a key ceremony; ballots to several elections at
//! once all land on their own board; each record
//! verifies alone under its own key and not under another's; an election whose stored log
//! fails its check at start is refused alone while the others serve.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_testkit::server as common;

use common::{create_body, expect_error, start, start_on, Backend, Server, TestElection};
use psephos_board::election_key::{election_signing_key, ElectionSlug};
use psephos_board::note::NoteSigner;
use psephos_record::verify::{verify_record_with, CheckId, NoProgress, VerifyOptions};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

const A: &str = "/api/v1/elections/psephos-2026";
const B: &str = "/api/v1/elections/other";

/// Seals the election's board and has both test witnesses cosign its checkpoint, so that its
/// record (which asks for their quorum) holds every entry.
async fn seal_and_cosign(s: &Server, id: &str) {
    let board = s.state.election(id).unwrap().board.clone();
    board.seal_now().await.unwrap();
    let cp = board.latest_checkpoint().await.unwrap().unwrap();
    let signed = psephos_board::checkpoint::SignedCheckpoint::open(
        cp.note.as_bytes(),
        board.origin(),
        board.verifier_key(),
        &[],
    )
    .unwrap();
    for w in 0..2 {
        let mut n = psephos_board::note::Note::parse(signed.text().as_bytes()).unwrap();
        n.add_signature(
            psephos_testkit::witness(w)
                .cosign(&signed, 1_700_000_000)
                .unwrap(),
        )
        .unwrap();
        let line = n.encode().unwrap().lines().last().unwrap().to_owned();
        board.add_cosignature(cp.size, &line).await.unwrap();
    }
}

async fn record(s: &Server, prefix: &str) -> Vec<u8> {
    let r = s
        .client
        .get(format!("{}{prefix}/record", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.bytes().await.unwrap().to_vec()
}

fn size(s: &Server, id: &str) -> u64 {
    s.state.election(id).unwrap().board.size()
}

async fn two_elections_are_isolated(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let b_token = s.create_election("other").await;

    // The list: both, each with its own origin and its own derived key.
    let (st, list) = s.get("/api/v1/elections").await;
    assert_eq!(st, 200, "{list}");
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["other", "psephos-2026"]);
    let other = &list[0];
    assert_eq!(other["origin"], "board.test/other");
    assert_eq!(other["phase"], "empty");
    let slug = ElectionSlug::new("other").unwrap();
    let derived = NoteSigner::new(
        "board.test/other",
        election_signing_key(&psephos_testkit::board_key(), &slug),
    )
    .unwrap();
    assert_eq!(other["verifier_key"], derived.verifier_key().to_string());
    assert_ne!(list[0]["verifier_key"], list[1]["verifier_key"]);

    // Creating: the operator only, a valid and free id.
    let got = s
        .post_as("/api/v1/elections", &json!({ "id": "other" }), &s.operator)
        .await;
    assert_eq!(expect_error(&got, 409), "conflict");
    for token in [&s.token, &b_token] {
        let got = s
            .post_as("/api/v1/elections", &json!({ "id": "third" }), token)
            .await;
        assert_eq!(expect_error(&got, 401), "unauthorized");
    }
    let got = s
        .post_as("/api/v1/elections", &json!({ "id": "Bad Id" }), &s.operator)
        .await;
    assert_eq!(expect_error(&got, 400), "bad_request");
    assert!(s.state.election("third").is_err());

    let mut rng = s.rng.clone();
    let mut ea = TestElection::new(&mut rng, 4);
    let mut rng_b = ChaCha20Rng::seed_from_u64(7);
    let mut eb = TestElection::new(&mut rng_b, 4);

    // Officials of A (and the operator) cannot define B: 401, nothing stored.
    for token in [&s.token, &s.operator] {
        let got = s
            .post_as(
                &format!("{B}/definition"),
                &create_body(common::MANIFEST, &eb.run),
                token,
            )
            .await;
        assert_eq!(expect_error(&got, 401), "unauthorized");
        assert_eq!(size(&s, "other"), 0);
    }
    ea.open(&s).await;
    // B defined by its own officials with A's manifest and A's trustees — the same key
    // ceremony, whose messages (and, with the same credentials, ballots) would then be valid on
    // both: refused, nothing stored.
    let got = s
        .post_as(
            &format!("{B}/definition"),
            &create_body(common::MANIFEST, &ea.run),
            &b_token,
        )
        .await;
    assert_eq!(expect_error(&got, 409), "conflict");
    assert_eq!(size(&s, "other"), 0);
    eb.open_at(&s, "other", &b_token).await;
    let (a0, b0) = (size(&s, "psephos-2026"), size(&s, "other"));

    // A's officials cannot close B; B's cannot close A.
    let got = s.post_as(&format!("{B}/close"), &json!({}), &s.token).await;
    assert_eq!(expect_error(&got, 401), "unauthorized");
    let got = s.post_as(&format!("{A}/close"), &json!({}), &b_token).await;
    assert_eq!(expect_error(&got, 401), "unauthorized");

    // A ballot, a challenge and a ceremony message of A posted to B: refused, both unchanged.
    let (ballot, secrets) = ea.ballot(0, &mut rng);
    let got = s
        .post(
            &format!("{B}/ballots"),
            &serde_json::to_value(&ballot).unwrap(),
            false,
        )
        .await;
    assert!(matches!(got.0, 403 | 422), "{got:?}");
    let reveal = secrets.reveal(&ballot);
    let got = s
        .post(
            &format!("{B}/challenges"),
            &json!({ "ballot": ballot, "reveal": reveal }),
            false,
        )
        .await;
    assert!(matches!(got.0, 403 | 422), "{got:?}");
    let got = s
        .post(
            &format!("{B}/ceremony/messages"),
            &serde_json::to_value(&ea.run.log[0]).unwrap(),
            false,
        )
        .await;
    assert!(matches!(got.0, 409 | 422), "{got:?}");
    assert_eq!(
        (size(&s, "psephos-2026"), size(&s, "other")),
        (a0, b0),
        "a refused entry changed a board"
    );

    // Ballots to both at once: each lands on its own board.
    let mut posts = Vec::new();
    for v in 0..4 {
        let (ba, _) = ea.ballot(v, &mut rng);
        let (bb, _) = eb.ballot(v, &mut rng_b);
        posts.push((format!("{A}/ballots"), serde_json::to_value(&ba).unwrap()));
        posts.push((format!("{B}/ballots"), serde_json::to_value(&bb).unwrap()));
    }
    let answers =
        futures_util::future::join_all(posts.iter().map(|(path, body)| s.post(path, body, false)))
            .await;
    for (st, v) in &answers {
        assert_eq!(*st, 201, "{v}");
    }
    assert_eq!(
        (size(&s, "psephos-2026"), size(&s, "other")),
        (a0 + 4, b0 + 4)
    );

    // Each record verifies alone, under its own key, and not under the other's.
    seal_and_cosign(&s, "psephos-2026").await;
    seal_and_cosign(&s, "other").await;
    let key_a = s
        .state
        .election("psephos-2026")
        .unwrap()
        .board
        .verifier_key()
        .clone();
    let key_b = s
        .state
        .election("other")
        .unwrap()
        .board
        .verifier_key()
        .clone();
    for (prefix, own, foreign) in [(A, &key_a, &key_b), (B, &key_b, &key_a)] {
        let bytes = record(&s, prefix).await;
        let pinned = |k: &psephos_board::note::VerifierKey| VerifyOptions {
            board_key: Some(k.clone()),
            witnesses: Some(psephos_testkit::witness_keys(2)),
            ..VerifyOptions::default()
        };
        let report = verify_record_with(&bytes, &pinned(own), &mut NoProgress);
        assert!(
            report.failed().is_empty(),
            "{prefix}: {:?}",
            report.failed()
        );
        let report = verify_record_with(&bytes, &pinned(foreign), &mut NoProgress);
        assert!(
            report.failed().contains(&CheckId::BoardCheckpoints),
            "{prefix} verified under another election's key"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_elections_are_isolated_sqlite() {
    Box::pin(two_elections_are_isolated(Backend::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_elections_are_isolated_postgres() {
    Box::pin(two_elections_are_isolated(Backend::Postgres)).await;
}

/// Ten elections open at once, ballots to all of them concurrently.
/// Ten open elections on `s` (the first the test service's own), each with 3 voters and the rng
/// its ballots are made with.
async fn open_ten(s: &Server) -> Vec<(String, TestElection, ChaCha20Rng)> {
    let mut elections = Vec::new();
    let mut rng = s.rng.clone();
    let mut e0 = TestElection::new(&mut rng, 3);
    e0.open(s).await;
    elections.push(("psephos-2026".to_string(), e0, rng.clone()));
    for i in 1..10u64 {
        let id = format!("election-{i}");
        let token = s.create_election(&id).await;
        let mut r = ChaCha20Rng::seed_from_u64(100 + i);
        let mut e = TestElection::new(&mut r, 3);
        e.open_at(s, &id, &token).await;
        elections.push((id, e, r));
    }
    elections
}

/// The sum and count of the `psephos_verify_batch_ballots` histogram: ballots sent to proof
/// verification and the batches they were verified in.
async fn verify_batches(s: &Server) -> (u64, u64) {
    let (status, text) = s.get_text("/metrics").await;
    assert_eq!(status, 200, "{text}");
    let field = |name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse::<f64>().ok())
            .expect("the verify batch histogram in /metrics") as u64
    };
    (
        field("psephos_verify_batch_ballots_sum "),
        field("psephos_verify_batch_ballots_count "),
    )
}

/// Each election's three voters' ballots: (path to post to, ballot).
fn three_ballots_each(
    elections: &mut [(String, TestElection, ChaCha20Rng)],
) -> Vec<(String, Value)> {
    let mut posts = Vec::new();
    for (id, e, r) in elections {
        for v in 0..3 {
            let (b, _) = e.ballot(v, r);
            posts.push((
                format!("/api/v1/elections/{id}/ballots"),
                serde_json::to_value(&b).unwrap(),
            ));
        }
    }
    posts
}

async fn ten_elections_at_once(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let mut elections = open_ten(&s).await;
    let before: Vec<u64> = elections.iter().map(|(id, _, _)| size(&s, id)).collect();
    let group_before = s.state.commit_group_stats();
    let posts = three_ballots_each(&mut elections);
    let answers =
        futures_util::future::join_all(posts.iter().map(|(path, body)| s.post(path, body, false)))
            .await;
    for (st, v) in &answers {
        assert_eq!(*st, 201, "{v}");
    }
    for ((id, _, _), b) in elections.iter().zip(before) {
        assert_eq!(size(&s, id), b + 3, "{id}");
        let (_, status) = s.get(&format!("/api/v1/elections/{id}/status")).await;
        assert_eq!(status["counts"]["ballots_cast"], 3, "{id}: {status}");
    }
    let (_, list): (u16, Value) = s.get("/api/v1/elections").await;
    assert_eq!(list.as_array().unwrap().len(), 10);
    // On SQLite every election's ballots were committed through the database's one commit
    // group (each election's in at least one batch); PostgreSQL has none.
    match (backend, group_before, s.state.commit_group_stats()) {
        (Backend::Sqlite, Some(g0), Some(g1)) => {
            let batches = g1.batches - g0.batches;
            assert!((10..=30).contains(&batches), "{g0:?} -> {g1:?}");
            assert!((1..=batches).contains(&(g1.transactions - g0.transactions)));
        }
        (Backend::Postgres, None, None) => {}
        (b, g0, g1) => panic!("{b:?}: commit group {g0:?} -> {g1:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_elections_at_once_sqlite() {
    Box::pin(ten_elections_at_once(Backend::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_elections_at_once_postgres() {
    Box::pin(ten_elections_at_once(Backend::Postgres)).await;
}

/// The service forms its verification batches across elections: ballots sent at once to ten
/// elections (the batch closing when all 31 are waiting) are verified in one batch, each under
/// its own election; a ballot whose proofs were copied from another voter's (validly signed,
/// so only the proofs can refuse it) is refused alone, and every other lands on its own board.
async fn one_batch_across_elections(backend: Backend) {
    let mut config = common::quiet_config();
    config.cast.max_batch = 31;
    config.cast.max_wait = std::time::Duration::from_secs(60);
    let s = start(backend, config).await;
    let mut elections = open_ten(&s).await;
    let before: Vec<u64> = elections.iter().map(|(id, _, _)| size(&s, id)).collect();
    let mut posts = three_ballots_each(&mut elections);
    // In the sixth election, voter 2's second ballot carries voter 0's contests and proofs.
    let (id, e, r) = &mut elections[5];
    let mut copied = e.ballot(2, r).0;
    copied.contests = e.ballot(0, r).0.contests;
    copied.sign(&e.voters[2].0, r);
    posts.push((
        format!("/api/v1/elections/{id}/ballots"),
        serde_json::to_value(&copied).unwrap(),
    ));
    let verified_before = verify_batches(&s).await;
    let answers =
        futures_util::future::join_all(posts.iter().map(|(path, body)| s.post(path, body, false)))
            .await;
    let (last, good) = answers.split_last().unwrap();
    for (st, v) in good {
        assert_eq!(*st, 201, "{v}");
    }
    assert_eq!(expect_error(last, 422), "invalid_ballot");
    let verified = verify_batches(&s).await;
    assert_eq!(
        (
            verified.0 - verified_before.0,
            verified.1 - verified_before.1
        ),
        (31, 1),
        "31 ballots in one verification batch"
    );
    for ((id, _, _), b) in elections.iter().zip(before) {
        assert_eq!(size(&s, id), b + 3, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_batch_across_elections_sqlite() {
    Box::pin(one_batch_across_elections(Backend::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_batch_across_elections_postgres() {
    Box::pin(one_batch_across_elections(Backend::Postgres)).await;
}

/// One election's log edited while the service was stopped: at the next start that election
/// is refused (503, listed as failed, in `/health`) and the other serves.
async fn a_tampered_election_is_refused_alone(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let b_token = s.create_election("other").await;
    let mut rng = s.rng.clone();
    let mut ea = TestElection::new(&mut rng, 3);
    ea.open(&s).await;
    let mut rng_b = ChaCha20Rng::seed_from_u64(9);
    let mut eb = TestElection::new(&mut rng_b, 3);
    eb.open_at(&s, "other", &b_token).await;
    let log_b = s.state.election("other").unwrap().board.log_id();
    s.state.shutdown().await;
    s.handle.stop(true).await;
    s.state.save_snapshots().await;
    s.state.close_boards().await;
    // B's first ceremony message, edited.
    psephos_testkit::exec(
        &s.db.url,
        "UPDATE board_entries SET payload = $1 WHERE log_id = $2 AND idx = 1",
        &[
            psephos_testkit::Arg::B(b"edited".to_vec()),
            psephos_testkit::Arg::I(log_b),
        ],
    )
    .await;
    let s = start_on(s.db, common::quiet_config()).await;
    let got = s.get(&format!("{B}/status")).await;
    assert_eq!(expect_error(&got, 503), "unavailable");
    let (st, list) = s.get("/api/v1/elections").await;
    assert_eq!(st, 200);
    let other = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "other")
        .unwrap();
    assert_eq!(other["status"], "failed", "{list}");
    let (st, health) = s.get("/health").await;
    assert_eq!(st, 200, "{health}");
    assert_eq!(health["elections"]["other"]["status"], "failed");
    assert_eq!(health["elections"]["psephos-2026"]["status"], "ok");
    // A serves: a ballot is accepted.
    let (ballot, _) = ea.ballot(1, &mut rng);
    let (st, v) = s
        .post(
            &format!("{A}/ballots"),
            &serde_json::to_value(&ballot).unwrap(),
            false,
        )
        .await;
    assert_eq!(st, 201, "{v}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_election_is_refused_alone_sqlite() {
    Box::pin(a_tampered_election_is_refused_alone(Backend::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_election_is_refused_alone_postgres() {
    Box::pin(a_tampered_election_is_refused_alone(Backend::Postgres)).await;
}
