//! Hostile input against an open election, over real HTTP on SQLite and PostgreSQL: every
//! refusal is a clear JSON 4xx, and the board does not change.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_testkit::server as common;

use common::{expect_error, start, Backend, Server, TestElection};
use psephos_core::ballot::encrypt_ballot;
use psephos_core::credential::CredentialSecret;
use psephos_core::election::Election;
use psephos_core::transcript::random_scalar;
use psephos_server::middleware::RateLimit;
use serde_json::{json, Value};

/// Posts `body` as a ballot and checks the refusal: `status`, a JSON error (returned), and
/// no change to the board.
async fn refused(s: &Server, path: &str, body: String, status: u16) -> String {
    let before = s.size();
    let got = s.post_raw(path, body, false).await;
    let code = expect_error(&got, status);
    assert_eq!(s.size(), before, "the board changed on a refused {path}");
    code
}

/// How many ballots have been queued for proof verification so far (the sum of the
/// `psephos_verify_batch_ballots` histogram).
async fn ballots_sent_to_verifier(s: &Server) -> String {
    let (status, text) = s.get_text("/metrics").await;
    assert_eq!(status, 200, "{text}");
    text.lines()
        .find_map(|l| l.strip_prefix("psephos_verify_batch_ballots_sum "))
        .expect("the verify batch histogram in /metrics")
        .to_string()
}

fn to_string(v: &impl serde::Serialize) -> String {
    serde_json::to_string(v).unwrap()
}

async fn hostile(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 8);
    e.open(&s).await;
    let (good, _) = e.ballot(0, &mut rng);
    let good_json: Value = serde_json::to_value(&good).unwrap();

    // Undecodable.
    let b = "/api/v1/elections/psephos-2026/ballots";
    assert_eq!(refused(&s, b, "{".into(), 400).await, "bad_json");
    assert_eq!(refused(&s, b, "[]".into(), 400).await, "bad_json");
    assert_eq!(refused(&s, b, "".into(), 400).await, "bad_json");
    let mut missing = good_json.clone();
    missing.as_object_mut().unwrap().remove("signature");
    refused(&s, b, missing.to_string(), 400).await;
    // Wrong lengths: a 31-byte credential, a 33-byte election hash.
    let mut short = good_json.clone();
    short["credential"] = json!(hex::encode([1u8; 31]));
    refused(&s, b, short.to_string(), 400).await;
    let mut long = good_json.clone();
    long["election"] = json!(hex::encode([1u8; 33]));
    refused(&s, b, long.to_string(), 400).await;
    // Non-canonical point: the field element p = 2^255 − 19 itself.
    let mut p = [0xffu8; 32];
    p[0] = 0xed;
    p[31] = 0x7f;
    let mut noncanon = good_json.clone();
    noncanon["credential"] = json!(hex::encode(p));
    refused(&s, b, noncanon.to_string(), 400).await;
    let mut noncanon_ct = good_json.clone();
    noncanon_ct["contests"][0]["ciphertexts"][0]["alpha"] = json!(hex::encode(p));
    refused(&s, b, noncanon_ct.to_string(), 400).await;
    // Oversized body.
    let huge = format!(
        "{{\"pad\": \"{}\"}}",
        "x".repeat(psephos_server::body::BALLOT_BODY)
    );
    assert_eq!(refused(&s, b, huge, 413).await, "too_large");

    // A ballot for another election: same manifest and credential, another joint key.
    let other_key = psephos_core::sim::ceremony(&e.manifest.hash(), 3, 2, &mut rng).joint_key;
    let other = Election::new(e.manifest.clone(), other_key).unwrap();
    let p0 = psephos_core::sim::random_ballot(&e.manifest, "all", &mut rng).unwrap();
    let (foreign, _) = encrypt_ballot(&other, &e.voters[0].0, &p0, &mut rng).unwrap();
    assert_eq!(
        refused(&s, b, to_string(&foreign), 422).await,
        "invalid_ballot"
    );

    // An unknown credential.
    let stranger = CredentialSecret::from_scalar(random_scalar(&mut rng));
    let (unknown, _) = encrypt_ballot(e.election(), &stranger, &p0, &mut rng).unwrap();
    assert_eq!(
        refused(&s, b, to_string(&unknown), 403).await,
        "unknown_credential"
    );

    // The wrong ballot style for the credential (voter 4 is listed for "short").
    let (wrong_style, _) = encrypt_ballot(e.election(), &e.voters[4].0, &p0, &mut rng).unwrap();
    assert_eq!(
        refused(&s, b, to_string(&wrong_style), 422).await,
        "invalid_ballot"
    );

    // A tampered signature; a tampered ciphertext (signature no longer matches).
    let mut bad_sig = good.clone();
    bad_sig.signature = unknown.signature;
    assert_eq!(
        refused(&s, b, to_string(&bad_sig), 422).await,
        "invalid_ballot"
    );
    let mut bad_ct = good.clone();
    bad_ct.contests[0].ciphertexts.swap(0, 1);
    assert_eq!(
        refused(&s, b, to_string(&bad_ct), 422).await,
        "invalid_ballot"
    );

    // A proof copied from another ballot: voter 1 takes voter 0's encrypted contests (with
    // their proofs) and signs them with its own credential. The signature is fine; the proofs
    // are bound to voter 0's credential and fail.
    let mut copied = e.ballot(1, &mut rng).0;
    copied.contests = good.contests.clone();
    copied.sign(&e.voters[1].0, &mut rng);
    assert_eq!(
        refused(&s, b, to_string(&copied), 422).await,
        "invalid_ballot"
    );

    // Ill-shaped but well-encoded and validly signed ballots (a decoded ballot is several
    // times its wire size) are refused by the cheap checks — `invalid_ballot`, like any invalid
    // ballot — and are never queued for proof verification.
    let base = e.ballot(1, &mut rng).0;
    let mut extra_contest = base.clone();
    extra_contest.contests.push(base.contests[0].clone());
    extra_contest.sign(&e.voters[1].0, &mut rng);
    let mut extra_cts = base.clone();
    let ct = extra_cts.contests[0].ciphertexts[0];
    extra_cts.contests[0]
        .ciphertexts
        .extend(std::iter::repeat_n(ct, 50));
    extra_cts.sign(&e.voters[1].0, &mut rng);
    let mut fat_proof = base.clone();
    if let psephos_core::ballot::ContestProof::Selection { selections, .. } =
        &mut fat_proof.contests[0].proof
    {
        let c = selections[0].commitments[0];
        selections[0].commitments.extend(std::iter::repeat_n(c, 50));
    } else {
        panic!("contest 0 of the test election is a selection contest");
    }
    fat_proof.sign(&e.voters[1].0, &mut rng);
    let mut reordered = base.clone();
    reordered.contests.reverse();
    reordered.sign(&e.voters[1].0, &mut rng);
    let verified_before = ballots_sent_to_verifier(&s).await;
    for bad in [&extra_contest, &extra_cts, &fat_proof, &reordered] {
        assert_eq!(refused(&s, b, to_string(bad), 422).await, "invalid_ballot");
    }
    assert_eq!(
        ballots_sent_to_verifier(&s).await,
        verified_before,
        "an ill-shaped ballot was queued for proof verification"
    );
    // Far beyond the style's shape (over twice a well-formed ballot's size): refused by its
    // size before it is even decoded.
    let mut bloated = base.clone();
    let ct = bloated.contests[0].ciphertexts[0];
    bloated.contests[0]
        .ciphertexts
        .extend(std::iter::repeat_n(ct, 5000));
    bloated.sign(&e.voters[1].0, &mut rng);
    assert_eq!(refused(&s, b, to_string(&bloated), 413).await, "too_large");

    // One bad ballot among good ones sent together fails alone.
    let mut batch: Vec<String> = (2..4)
        .map(|v| to_string(&e.ballot(v, &mut rng).0))
        .collect();
    batch.insert(1, to_string(&copied));
    batch.push(to_string(&good));
    let before = s.size();
    let answers =
        futures_util::future::join_all(batch.iter().map(|body| s.post_raw(b, body.clone(), false)))
            .await;
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(statuses, vec![201, 422, 201, 201], "{answers:?}");
    assert_eq!(s.size(), before + 3);

    // A replayed ballot.
    assert_eq!(refused(&s, b, to_string(&good), 409).await, "replayed");

    // Challenges: undecodable, a cast ballot, a reveal for another ballot.
    let c = "/api/v1/elections/psephos-2026/challenges";
    refused(&s, c, "{\"ballot\": 1}".into(), 400).await;
    let (probe, secrets) = e.ballot(5, &mut rng);
    let reveal = secrets.reveal(&probe);
    refused(
        &s,
        c,
        json!({ "ballot": good, "reveal": reveal }).to_string(),
        409,
    )
    .await;
    let (probe2, _) = e.ballot(6, &mut rng);
    let reveal_elsewhere = refused(
        &s,
        c,
        json!({ "ballot": probe2, "reveal": reveal }).to_string(),
        422,
    )
    .await;
    assert_eq!(reveal_elsewhere, "invalid_ballot");

    // Officials' routes without the token, or with a wrong one.
    let admin_routes = [
        "/api/v1/elections/psephos-2026/definition",
        "/api/v1/elections/psephos-2026/credentials",
        "/api/v1/elections/psephos-2026/open",
        "/api/v1/elections/psephos-2026/close",
        "/api/v1/elections/psephos-2026/ceremony/complete",
    ];
    for path in admin_routes {
        let before = s.size();
        let got = s.post(path, &json!({}), false).await;
        assert_eq!(expect_error(&got, 401), "unauthorized", "{path}");
        let r = s
            .client
            .post(format!("{}{path}", s.base))
            .bearer_auth("0".repeat(64))
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 401, "{path}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"], "unauthorized");
        assert_eq!(s.size(), before);
    }
    // Bad definitions (the board is past that anyway, so also check on a fresh server below).
    let got = s.get("/api/v1/elections/psephos-2026").await;
    assert_eq!(got.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_sqlite() {
    Box::pin(hostile(Backend::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_postgres() {
    Box::pin(hostile(Backend::Postgres)).await;
}

/// Definitions that must not be posted: undecodable manifest, bad keys, wrong trustee count.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_definitions_are_refused() {
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let e = TestElection::new(&mut rng, 1);
    let good = common::create_body(common::MANIFEST, &e.run);
    let path = "/api/v1/elections/psephos-2026/definition";
    let cases: Vec<(Value, u16)> = vec![
        (
            json!({ "manifest_toml": "[election", "trustees": good["trustees"] }),
            400,
        ),
        (json!({ "manifest_toml": common::MANIFEST }), 400),
        (
            json!({ "manifest_toml": common::MANIFEST, "trustees": [] }),
            422,
        ),
        (
            json!({ "manifest_toml": common::MANIFEST, "trustees": &good["trustees"].as_array().unwrap()[..2] }),
            422,
        ),
        (
            {
                let mut v = good.clone();
                v["trustees"][1]["signing_key"] = json!("00");
                v
            },
            400,
        ),
        (
            {
                let mut v = good.clone();
                v["trustees"][2]["ceremony_key"] = json!(hex::encode([0u8; 32]));
                v
            },
            422, // decodes (the identity), but is no key
        ),
        (
            {
                let mut v = good.clone();
                v["trustees"][2]["ceremony_key"] = json!(hex::encode([0xffu8; 32]));
                v
            },
            400, // not a canonical encoding
        ),
        (
            {
                let mut v = good.clone();
                v["trustees"][2]["signing_key"] = v["trustees"][0]["signing_key"].clone();
                v
            },
            422,
        ),
    ];
    for (body, status) in cases {
        let got = s.post(path, &body, true).await;
        expect_error(&got, status);
        assert_eq!(s.size(), 0, "{body}");
    }
    let (st, _) = s.post(path, &good, true).await;
    assert_eq!(st, 201);
}

/// Writes beyond the per-client rate get 429 with Retry-After; reads are not limited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_are_rate_limited_per_client() {
    let config = psephos_server::ServiceConfig {
        rate_limit: Some(RateLimit {
            rate: 0.5,
            burst: 2.0,
        }),
        ..psephos_server::ServiceConfig::default()
    };
    let s = start(Backend::Sqlite, config).await;
    for _ in 0..2 {
        let got = s
            .post_raw("/api/v1/elections/psephos-2026/ballots", "{".into(), false)
            .await;
        assert_eq!(got.0, 400);
    }
    let r = s
        .client
        .post(format!("{}/api/v1/elections/psephos-2026/ballots", s.base))
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().get("retry-after").is_some());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"], "rate_limited");
    assert_eq!(s.size(), 0);
    for _ in 0..5 {
        assert_eq!(s.get("/api/v1/elections/psephos-2026/status").await.0, 200);
    }
    let (_, text) = s.get_text("/metrics").await;
    assert!(text.contains("psephos_rate_limited_total 1"), "{text}");
}
