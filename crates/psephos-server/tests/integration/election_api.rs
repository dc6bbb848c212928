//! The election API over real HTTP on 127.0.0.1, against SQLite and PostgreSQL: the whole
//! lifecycle, every illegal transition (409), and hostile input — each refused with a clear
//! JSON 4xx that leaves the board unchanged.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_testkit::server as common;

use common::{expect_error, start, Backend, TestElection};
use psephos_core::ballot::TrackingCode;
use psephos_core::credential::CredentialSecret;
use psephos_core::transcript::random_scalar;
use serde_json::{json, Value};

// ---------------------------------------------------------------------------------------------
// The lifecycle.

async fn lifecycle(backend: Backend) {
    let s = start(backend, common::quiet_config()).await;
    let mut rng = s.rng.clone();
    let mut e = TestElection::new(&mut rng, 10);

    // Nothing defined yet.
    expect_error(&s.get("/api/v1/elections/psephos-2026").await, 404);
    let (st, v) = s.get("/api/v1/elections/psephos-2026/status").await;
    assert_eq!((st, v["phase"].as_str()), (200, Some("empty")));

    // Every write before the definition is an illegal transition.
    for path in ["open", "close", "ceremony/complete"] {
        let got = s
            .official(&format!("/api/v1/elections/psephos-2026/{path}"))
            .await;
        assert_eq!(expect_error(&got, 409), "wrong_phase", "{path}");
    }
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/credentials",
            &serde_json::to_value(e.credential_list()).unwrap(),
            true,
        )
        .await;
    expect_error(&got, 409);
    assert_eq!(s.size(), 0);

    // Define.
    let body = common::create_body(common::MANIFEST, &e.run);
    let (st, v) = s
        .post("/api/v1/elections/psephos-2026/definition", &body, true)
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["index"], 0);
    assert_eq!(v["manifest_hash"], json!(e.manifest.hash()));
    assert_eq!(v["ceremony_id"], json!(e.run.params.id()));
    // Only once.
    assert_eq!(
        expect_error(
            &s.post("/api/v1/elections/psephos-2026/definition", &body, true)
                .await,
            409
        ),
        "wrong_phase"
    );
    assert_eq!(s.size(), 1);

    // In the ceremony: no opening, no closing, and no completion without messages.
    expect_error(
        &s.official("/api/v1/elections/psephos-2026/open").await,
        409,
    );
    expect_error(
        &s.official("/api/v1/elections/psephos-2026/close").await,
        409,
    );
    let (st, v) = s.get("/api/v1/elections/psephos-2026/status").await;
    assert_eq!(st, 200);
    assert_eq!(v["phase"], "ceremony");
    assert_eq!(v["ceremony"]["round"], 1);
    assert_eq!(v["ceremony"]["awaiting"], json!([1, 2, 3]));
    // Round 1 still waits for every trustee: too early to complete.
    let got = s
        .official("/api/v1/elections/psephos-2026/ceremony/complete")
        .await;
    assert_eq!(expect_error(&got, 409), "too_early");
    assert_eq!(s.size(), 1);

    // Credentials may go up during the ceremony.
    let (st, v) = s
        .post(
            "/api/v1/elections/psephos-2026/credentials",
            &serde_json::to_value(e.credential_list()).unwrap(),
            true,
        )
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["credentials"], 10);
    assert_eq!(v["entries"], json!([1]));
    // Not the same list twice.
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/credentials",
            &serde_json::to_value(e.credential_list()).unwrap(),
            true,
        )
        .await;
    expect_error(&got, 422);
    assert_eq!(s.size(), 2);

    // The ceremony, then its completion by the officials.
    e.post_ceremony(&s).await;
    let size = s.size();
    let (st, v) = s.get("/api/v1/elections/psephos-2026/status").await;
    assert_eq!(st, 200);
    assert_eq!(v["ceremony"]["awaiting_by_round"]["2"], json!([]));
    let (st, v) = s
        .official("/api/v1/elections/psephos-2026/ceremony/complete")
        .await;
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["index"], size);
    e.set_key(&v["key"]);
    expect_error(
        &s.official("/api/v1/elections/psephos-2026/ceremony/complete")
            .await,
        409,
    );

    // The definition as the booth and observers read it.
    let (st, v) = s.get("/api/v1/elections/psephos-2026").await;
    assert_eq!(st, 200);
    assert_eq!(v["phase"], "key_ready");
    assert_eq!(v["manifest"]["id"], "api-test-2026");
    assert_eq!(v["ceremony"]["trustees"].as_array().unwrap().len(), 3);
    assert_eq!(v["ceremony"]["trustees"][0]["index"], 1);
    assert_eq!(v["key"]["election_hash"], json!(e.election().hash()));
    assert_eq!(v["board"]["origin"], psephos_testkit::ORIGIN);
    assert_eq!(v["counts"]["credentials"], 10);

    // A listed credential's style; an unlisted one is 404.
    let c = e.voters[4].0.public().to_hex();
    let (st, v) = s
        .get(&format!("/api/v1/elections/psephos-2026/credentials/{c}"))
        .await;
    assert_eq!(
        (st, v["style"].as_str(), v["weight"].as_u64()),
        (200, Some("short"), Some(1))
    );
    let stranger = CredentialSecret::from_scalar(random_scalar(&mut rng))
        .public()
        .to_hex();
    expect_error(
        &s.get(&format!(
            "/api/v1/elections/psephos-2026/credentials/{stranger}"
        ))
        .await,
        404,
    );
    expect_error(
        &s.get("/api/v1/elections/psephos-2026/credentials/zz").await,
        400,
    );

    // No ballots before opening.
    let (b0, _) = e.ballot(0, &mut rng);
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&b0).unwrap(),
            false,
        )
        .await;
    assert_eq!(expect_error(&got, 409), "wrong_phase");

    // Open; only once; no more credentials.
    let (st, _) = s.official("/api/v1/elections/psephos-2026/open").await;
    assert_eq!(st, 200);
    expect_error(
        &s.official("/api/v1/elections/psephos-2026/open").await,
        409,
    );
    let extra = TestElection::new(&mut rng, 1);
    let mut late = e.credential_list();
    late.credentials = extra.credential_list().credentials;
    expect_error(
        &s.post(
            "/api/v1/elections/psephos-2026/credentials",
            &serde_json::to_value(&late).unwrap(),
            true,
        )
        .await,
        409,
    );

    // Casting: several ballots at once (one batch), each answered with its own receipt.
    let ballots: Vec<_> = (0..6).map(|v| e.ballot(v, &mut rng).0).collect();
    let answers = futures_util::future::join_all(ballots.iter().map(|b| {
        s.post_raw(
            "/api/v1/elections/psephos-2026/ballots",
            serde_json::to_string(b).unwrap(),
            false,
        )
    }))
    .await;
    let mut indices = Vec::new();
    for (b, (st, v)) in ballots.iter().zip(&answers) {
        assert_eq!(*st, 201, "{v}");
        assert_eq!(v["tracking_code"], TrackingCode::of(&b.hash()).to_string());
        assert_eq!(v["ballot_hash"], json!(b.hash()));
        assert_eq!(v["superseded"], Value::Null);
        let i = v["index"].as_u64().unwrap();
        assert_eq!(
            v["receipt_url"],
            format!("/api/v1/elections/psephos-2026/receipts/{i}")
        );
        assert_eq!(
            s.board.entry(i).await.unwrap().payload,
            psephos_core::encoding::Canonical::to_canonical_bytes(b)
        );
        indices.push(i);
    }
    let first_code = TrackingCode::of(&ballots[0].hash()).to_string();
    let (st, v) = s
        .get(&format!(
            "/api/v1/elections/psephos-2026/ballots/{first_code}"
        ))
        .await;
    assert_eq!((st, v["status"].as_str()), (200, Some("cast")), "{v}");
    assert_eq!(v["index"], indices[0]);
    // Lower case and without dashes reads the same.
    let loose = first_code.replace('-', "").to_lowercase();
    assert_eq!(
        s.get(&format!("/api/v1/elections/psephos-2026/ballots/{loose}"))
            .await
            .1["index"],
        indices[0]
    );
    expect_error(
        &s.get("/api/v1/elections/psephos-2026/ballots/AAAA-AAAA-AAAA-AAAA")
            .await,
        404,
    );
    expect_error(
        &s.get("/api/v1/elections/psephos-2026/ballots/not-a-code")
            .await,
        400,
    );

    // A revote supersedes the earlier ballot.
    let (again, _) = e.ballot(0, &mut rng);
    let (st, v) = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&again).unwrap(),
            false,
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["superseded"], indices[0]);
    assert_eq!(
        s.get(&format!(
            "/api/v1/elections/psephos-2026/ballots/{first_code}"
        ))
        .await
        .1["status"],
        "superseded"
    );

    // A challenge: published with its choices, and that ballot can never be cast.
    let (probe, secrets) = e.ballot(7, &mut rng);
    let reveal = secrets.reveal(&probe);
    let (st, v) = s
        .post(
            "/api/v1/elections/psephos-2026/challenges",
            &json!({ "ballot": probe, "reveal": reveal }),
            false,
        )
        .await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(
        v["tracking_code"],
        TrackingCode::of(&probe.hash()).to_string()
    );
    assert_eq!(v["choices"]["style"], "all");
    let probe_code = TrackingCode::of(&probe.hash()).to_string();
    assert_eq!(
        s.get(&format!(
            "/api/v1/elections/psephos-2026/ballots/{probe_code}"
        ))
        .await
        .1["status"],
        "challenged"
    );
    let size = s.size();
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&probe).unwrap(),
            false,
        )
        .await;
    expect_error(&got, 409);
    // The same challenge again.
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/challenges",
            &json!({ "ballot": probe, "reveal": reveal }),
            false,
        )
        .await;
    expect_error(&got, 409);
    // A challenge whose opening lies.
    let (probe2, secrets2) = e.ballot(8, &mut rng);
    let wrong = secrets.reveal(&probe);
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/challenges",
            &json!({ "ballot": probe2, "reveal": wrong }),
            false,
        )
        .await;
    expect_error(&got, 422);
    // A challenge of a cast ballot.
    let cast_reveal = secrets2.reveal(&probe2);
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/challenges",
            &json!({ "ballot": ballots[1], "reveal": cast_reveal }),
            false,
        )
        .await;
    assert_eq!(expect_error(&got, 409), "conflict");
    assert_eq!(s.size(), size);

    // Receipts: 202 until sealed, then the proof against a signed checkpoint.
    let last = indices[5];
    let (st, v) = s
        .get(&format!("/api/v1/elections/psephos-2026/receipts/{last}"))
        .await;
    assert_eq!((st, &v["sealed"]), (202, &json!(false)), "{v}");
    s.board.seal_now().await.unwrap();
    let (st, v) = s
        .get(&format!("/api/v1/elections/psephos-2026/receipts/{last}"))
        .await;
    assert_eq!(st, 200, "{v}");
    let receipt: psephos_board::SealedReceipt = serde_json::from_value(v).unwrap();
    assert_eq!(receipt.index, last);
    psephos_board::merkle::verify_inclusion(
        &receipt.leaf_hash,
        receipt.index,
        receipt.tree_size,
        &receipt.inclusion_proof,
        &receipt.root,
    )
    .unwrap();
    expect_error(
        &s.get("/api/v1/elections/psephos-2026/receipts/999999")
            .await,
        404,
    );

    // Counts and metrics.
    let (_, v) = s.get("/api/v1/elections/psephos-2026/status").await;
    assert_eq!(v["counts"]["ballots_cast"], 7);
    assert_eq!(v["counts"]["voters"], 6);
    assert_eq!(v["counts"]["challenges"], 1);
    assert_eq!(v["board_size"], s.size());
    let (st, text) = s.get_text("/metrics").await;
    assert_eq!(st, 200);
    assert!(text.contains("psephos_ballots_accepted_total 7"), "{text}");
    assert!(
        text.contains("psephos_ballots_rejected_total{reason=\"wrong_phase\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("psephos_ballots_rejected_total{reason=\"conflict\"}"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "psephos_board_size{{election=\"psephos-2026\"}} {}",
            s.size()
        )),
        "{text}"
    );
    assert!(text.contains("psephos_http_request_duration_seconds_bucket{route=\"/api/v1/elections/{election}/ballots\""));

    // The record export (docs/record.md): every entry up to the latest sealed block that the
    // witnesses (both configured ones: the majority of 2) have cosigned.
    s.board.seal_now().await.unwrap();
    let cp = s.board.latest_checkpoint().await.unwrap().unwrap();
    let signed = psephos_board::checkpoint::SignedCheckpoint::open(
        cp.note.as_bytes(),
        psephos_testkit::ORIGIN,
        s.board.verifier_key(),
        s.board.witnesses(),
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
        s.board.add_cosignature(cp.size, &line).await.unwrap();
    }
    let r = s
        .client
        .get(format!("{}/api/v1/elections/psephos-2026/record", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.unwrap();
    let mut reader = psephos_record::format::RecordReader::new(&bytes[..]).unwrap();
    assert_eq!(reader.header().entries, s.size());
    assert_eq!(reader.header().origin, psephos_testkit::ORIGIN);
    let mut n = 0u64;
    while let Some(item) = reader.next_item().unwrap() {
        if let psephos_record::format::RecordItem::Entry(e) = item {
            assert_eq!(e.index, n);
            assert_eq!(e.entry, s.board.entry(n).await.unwrap());
            n += 1;
        }
    }
    assert_eq!(n, s.size());

    // Close; then no ballot, no challenge, no second close, no reopening.
    let (st, _) = s.official("/api/v1/elections/psephos-2026/close").await;
    assert_eq!(st, 200);
    let size = s.size();
    let (late_ballot, late_secrets) = e.ballot(9, &mut rng);
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/ballots",
            &serde_json::to_value(&late_ballot).unwrap(),
            false,
        )
        .await;
    assert_eq!(expect_error(&got, 409), "wrong_phase");
    let got = s
        .post(
            "/api/v1/elections/psephos-2026/challenges",
            &json!({ "ballot": late_ballot, "reveal": late_secrets.reveal(&late_ballot) }),
            false,
        )
        .await;
    expect_error(&got, 409);
    expect_error(
        &s.official("/api/v1/elections/psephos-2026/close").await,
        409,
    );
    expect_error(
        &s.official("/api/v1/elections/psephos-2026/open").await,
        409,
    );
    assert_eq!(s.size(), size);

    // The encrypted tally of the last ballot per credential, once.
    let (st, v) = s.official("/api/v1/elections/psephos-2026/tally").await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(v["index"], size);
    assert_eq!(v["tally"]["contests"][0]["ballots"], 6);
    expect_error(
        &s.official("/api/v1/elections/psephos-2026/tally").await,
        409,
    );
    let size = size + 1;
    assert_eq!(s.size(), size);

    // A restart replays the board: same phase, same tracking index.
    s.handle.stop(true).await;
    s.state.shutdown().await;
    s.board.close().await.unwrap();
    let old_token = s.token.clone();
    let s2 = common::start_on(s.db, common::quiet_config()).await;
    assert_eq!(s2.size(), size);
    let (_, v) = s2.get("/api/v1/elections/psephos-2026/status").await;
    assert_eq!(v["phase"], "tallying");
    assert_eq!(
        s2.get(&format!(
            "/api/v1/elections/psephos-2026/ballots/{first_code}"
        ))
        .await
        .1["status"],
        "superseded"
    );
    assert_eq!(
        s2.get(&format!(
            "/api/v1/elections/psephos-2026/ballots/{probe_code}"
        ))
        .await
        .1["status"],
        "challenged"
    );
    // The old token is gone with the reset the helper asks for; the new one works.
    let r = s2
        .client
        .post(format!("{}/api/v1/elections/psephos-2026/open", s2.base))
        .bearer_auth(&old_token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    expect_error(
        &s2.official("/api/v1/elections/psephos-2026/open").await,
        409,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_sqlite() {
    Box::pin(lifecycle(Backend::Sqlite)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycle_postgres() {
    Box::pin(lifecycle(Backend::Postgres)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn officials_cannot_complete_the_ceremony_during_the_complaint_window() {
    use psephos_server::ceremony::CeremonySchedule;
    let s = start(Backend::Sqlite, common::quiet_config()).await;
    s.hosted.ceremony.set_schedule(CeremonySchedule {
        complaint_window: std::time::Duration::from_secs(60),
        ..Default::default()
    });
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
    e.post_ceremony(&s).await;
    let before = s.size();
    let got = s
        .official("/api/v1/elections/psephos-2026/ceremony/complete")
        .await;
    assert_eq!(common::expect_error(&got, 409), "too_early");
    assert_eq!(s.size(), before);
    // Once the window is over, the same request completes it.
    s.hosted.ceremony.set_schedule(CeremonySchedule {
        complaint_window: std::time::Duration::ZERO,
        ..Default::default()
    });
    let (st, v) = s
        .official("/api/v1/elections/psephos-2026/ceremony/complete")
        .await;
    assert_eq!(st, 200, "{v}");
}
