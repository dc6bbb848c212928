//! The committed known-answer vectors (`tests/vectors/`): they regenerate byte for byte, and
//! every positive and negative case gets the recorded verdict from the verifier.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_cli::vectors::{self, check_ballot, check_small_proof, flip_bit, verdict};
use psephos_core::ballot::{EncryptedBallot, TrackingCode};
use psephos_core::credential::CredentialCode;
use psephos_core::election::Election;
use psephos_core::elgamal::{Ciphertext, ElectionKey};
use psephos_core::encoding::Canonical;
use psephos_core::generators::{g, h};
use psephos_core::group::{hex32, scalar_from_bytes, Point};
use psephos_core::hash::Digest;
use psephos_core::tally::{combine, DecryptionShare, EncryptedTally, TallyResult};
use psephos_core::{DecodeError, Scalar};
use serde_json::{json, Value};

fn load(name: &str) -> Value {
    let path = format!("{}/../../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn point(v: &Value) -> Point {
    serde_json::from_value(v.clone()).unwrap()
}

#[test]
fn vectors_regenerate_identically() {
    let set = vectors::generate().unwrap();
    for (name, v) in &set {
        let path = format!("{}/../../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
        let committed = std::fs::read_to_string(&path).unwrap();
        assert!(
            committed == vectors::render(v).unwrap(),
            "{name} differs from a fresh generation: run `psephos vectors generate`"
        );
    }
}

#[test]
fn primitive_known_answers() {
    let p = load("primitives.json");
    assert_eq!(p["generators"]["G"], Point::from_point(g()).to_hex());
    assert_eq!(p["generators"]["H"], Point::from_point(h()).to_hex());
    // The frozen encoding of H: a change here is a protocol change.
    assert_eq!(
        p["generators"]["H"],
        "e2191080cd24db69a382a7315936b5eeeefd17997463322373b0348e853b8860"
    );

    let e = &p["elgamal"];
    let s = scalar_from_bytes(&hex32(e["secret"].as_str().unwrap()).unwrap()).unwrap();
    let nonce = scalar_from_bytes(&hex32(e["nonce"].as_str().unwrap()).unwrap()).unwrap();
    let key = ElectionKey::new(Point::from_point(g() * s)).unwrap();
    assert_eq!(key.point(), &point(&e["K"]));
    let ct: Ciphertext = serde_json::from_value(e["ciphertext"].clone()).unwrap();
    assert_eq!(Ciphertext::encrypt(&key, &Scalar::from(3u64), &nonce), ct);
    assert_eq!(ct.decrypt_to_point(&s), g() * Scalar::from(3u64));

    let c = &p["credential"];
    let code = CredentialCode::parse(c["code"].as_str().unwrap()).unwrap();
    assert_eq!(
        code.secret(c["election_id"].as_str().unwrap()).public(),
        point(&c["public"])
    );

    let d: Digest = serde_json::from_value(p["tracking_code"]["digest"].clone()).unwrap();
    assert_eq!(TrackingCode::of(&d).to_string(), p["tracking_code"]["code"]);

    assert_eq!(check_small_proof("schnorr", &p["schnorr"]), "ok");
    assert_eq!(
        check_small_proof("chaum_pedersen", &p["chaum_pedersen"]),
        "ok"
    );

    for bad in p["non_canonical_points"].as_array().unwrap() {
        let bytes = hex32(bad.as_str().unwrap()).unwrap();
        assert_eq!(
            Point::from_bytes(&bytes).unwrap_err(),
            DecodeError::NonCanonicalPoint
        );
    }
    for bad in p["non_canonical_scalars"].as_array().unwrap() {
        let bytes = hex32(bad.as_str().unwrap()).unwrap();
        assert_eq!(
            scalar_from_bytes(&bytes).unwrap_err(),
            DecodeError::NonCanonicalScalar
        );
    }
}

#[test]
fn small_proof_negative_vectors() {
    let p = load("primitives.json");
    let cases = p["negative"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for c in cases {
        let kind = c["proof_type"].as_str().unwrap();
        let mut v = p[kind].clone();
        flip_bit(
            &mut v,
            c["path"].as_str().unwrap(),
            c["flip_bit"].as_u64().unwrap() as usize,
        )
        .unwrap();
        assert_eq!(
            check_small_proof(kind, &v),
            c["verdict"],
            "{kind} {}",
            c["path"]
        );
        assert_ne!(c["verdict"], "ok");
    }
}

fn municipal(b: &Value) -> Election {
    let (e, _) = vectors::municipal().unwrap();
    assert_eq!(
        e.hash(),
        &serde_json::from_value::<Digest>(b["election_hash"].clone()).unwrap()
    );
    assert_eq!(e.key().point(), &point(&b["joint_key"]));
    e
}

#[test]
fn valid_ballot_vectors() {
    let b = load("ballots.json");
    let election = municipal(&b);
    for case in b["valid"].as_array().unwrap() {
        assert_eq!(check_ballot(&election, &case["ballot"]), "ok");
        let ballot: EncryptedBallot = serde_json::from_value(case["ballot"].clone()).unwrap();
        let bytes = hex::decode(case["canonical_hex"].as_str().unwrap()).unwrap();
        assert_eq!(ballot.to_canonical_bytes(), bytes);
        assert_eq!(
            EncryptedBallot::from_canonical_bytes(&bytes).unwrap(),
            ballot
        );
        assert_eq!(
            serde_json::to_value(ballot.content_hash()).unwrap(),
            case["content_hash"]
        );
        assert_eq!(
            serde_json::to_value(ballot.hash()).unwrap(),
            case["ballot_hash"]
        );
        assert_eq!(
            TrackingCode::of(&ballot.hash()).to_string(),
            case["tracking_code"]
        );
        // The credential code in the vector is the one that signed the ballot.
        let code = CredentialCode::parse(case["credential_code"].as_str().unwrap()).unwrap();
        assert_eq!(
            code.secret(&election.manifest().id).public(),
            ballot.credential
        );
    }
}

#[test]
fn negative_ballot_vectors() {
    let b = load("ballots.json");
    let election = municipal(&b);
    let patches = b["patches"].as_array().unwrap();
    assert!(patches.len() > 100);
    for p in patches {
        let base = p["base"].as_u64().unwrap() as usize;
        let mut v = b["valid"][base]["ballot"].clone();
        flip_bit(
            &mut v,
            p["path"].as_str().unwrap(),
            p["flip_bit"].as_u64().unwrap() as usize,
        )
        .unwrap();
        assert_eq!(check_ballot(&election, &v), p["verdict"], "{}", p["path"]);
        assert_ne!(p["verdict"], "ok");
    }
    let other = Election::new(election.manifest().clone(), point(&b["other_joint_key"])).unwrap();
    let budget = vectors::budget().unwrap();
    assert_eq!(budget.key().point(), &point(&b["budget_joint_key"]));
    for w in b["whole"].as_array().unwrap() {
        let e = match w["election"].as_str().unwrap() {
            "other" => &other,
            "budget" => &budget,
            _ => &election,
        };
        assert_eq!(check_ballot(e, &w["ballot"]), w["verdict"], "{}", w["name"]);
    }
    // The attacks named by the protocol each fail where they should.
    let expect = |name: &str, verdict: Value| {
        let w = b["whole"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["name"] == name)
            .unwrap();
        assert_eq!(w["verdict"], verdict, "{name}");
    };
    expect(
        "contest proof copied from another credential",
        json!({ "reject": "selection", "contest": 0, "option": 0 }),
    );
    expect(
        "over-vote (3 of at most 2)",
        json!({ "reject": "contest_limit", "contest": 1 }),
    );
    expect(
        "budget overrun (550,000 of 500,000)",
        json!({ "reject": "range_limit", "contest": 0 }),
    );
    expect(
        "wrong election (other joint key)",
        json!({ "reject": "wrong_election" }),
    );
    expect(
        "identity credential",
        json!({ "reject": "identity_credential" }),
    );
}

#[test]
fn tally_vectors() {
    let t = load("tally.json");
    let (election, _) = vectors::municipal().unwrap();
    let tally: EncryptedTally = serde_json::from_value(t["tally"].clone()).unwrap();
    assert_eq!(
        hex::encode(tally.to_canonical_bytes()),
        t["tally_canonical_hex"]
    );
    let vks: Vec<Point> = serde_json::from_value(t["verification_keys"].clone()).unwrap();
    let vk = |j: u32| vks.get((j as usize).wrapping_sub(1)).copied();
    let shares: Vec<DecryptionShare> = serde_json::from_value(t["shares"].clone()).unwrap();
    let result: TallyResult = serde_json::from_value(t["result"].clone()).unwrap();
    assert_eq!(combine(&election, &tally, &shares, vk).unwrap(), result);
    let neg = t["negative"].as_array().unwrap();
    let bad: DecryptionShare = serde_json::from_value(neg[0]["share"].clone()).unwrap();
    assert_eq!(
        verdict(combine(&election, &tally, &[bad, shares[1].clone()], vk)),
        neg[0]["verdict"]
    );
    let swapped: DecryptionShare = serde_json::from_value(neg[1]["share"].clone()).unwrap();
    assert_eq!(
        verdict(combine(
            &election,
            &tally,
            &[swapped, shares[1].clone()],
            vk
        )),
        neg[1]["verdict"]
    );
    assert_eq!(
        verdict(combine(&election, &tally, &shares[..1], vk)),
        neg[2]["verdict"]
    );
}

#[test]
fn ceremony_vectors() {
    use psephos_cli::vectors::{ceremony_outcome, check_ceremony};
    use psephos_core::ceremony::{verify_ceremony, CeremonyParams, SignedMessage};
    let c = load("ceremony.json");
    let params =
        CeremonyParams::from_canonical_bytes(&hex::decode(c["params"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(serde_json::to_value(params.id()).unwrap(), c["ceremony_id"]);
    let messages: Vec<String> = serde_json::from_value(c["messages"].clone()).unwrap();
    let (verdict, joint_key) = ceremony_outcome(&params, &messages);
    assert!(verdict.is_ok());
    assert_eq!(
        joint_key.unwrap().to_hex(),
        c["joint_key"].as_str().unwrap()
    );
    let decoded: Vec<SignedMessage> = messages
        .iter()
        .map(|h| SignedMessage::from_canonical_bytes(&hex::decode(h).unwrap()).unwrap())
        .collect();
    let outcome = verify_ceremony(&params, &decoded).unwrap();
    for (v, (i, p)) in c["verification_keys"]
        .as_array()
        .unwrap()
        .iter()
        .zip(&outcome.verification_keys)
    {
        assert_eq!(v["trustee"], i.get());
        assert_eq!(v["key"], serde_json::to_value(p).unwrap());
    }
    let negative = c["negative"].as_array().unwrap();
    assert_eq!(negative.len(), 5);
    for n in negative {
        let ms: Vec<String> = serde_json::from_value(n["messages"].clone()).unwrap();
        let verdict = serde_json::to_value(check_ceremony(&params, &ms)).unwrap();
        assert_ne!(verdict, "ok", "{}", n["name"]);
        assert_eq!(verdict, n["verdict"], "{}", n["name"]);
    }
}

#[test]
fn shuffle_vectors() {
    let v = load("shuffle.json");
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for c in cases {
        assert_eq!(
            serde_json::to_value(vectors::check_shuffle(&v, c)).unwrap(),
            c["verdict"],
            "{}",
            c["name"]
        );
    }
}

#[test]
fn ranked_vectors() {
    use psephos_core::count::preferences_from_ranks;
    use psephos_core::election::Manifest;
    use psephos_core::mixnet::MixResult;
    use psephos_core::ranked::{count_ranked, MixedCount};
    use psephos_core::write_in::{read_slot, SlotReading};
    let v = load("ranked.json");
    let e = vectors::ranked_election().unwrap();
    assert_eq!(e.key().point(), &point(&v["joint_key"]));
    // The manifest: its canonical bytes decode to it, and hash as recorded.
    let m: Manifest = serde_json::from_value(v["manifest"].clone()).unwrap();
    let bytes = hex::decode(v["manifest_hex"].as_str().unwrap()).unwrap();
    assert_eq!(m.to_canonical_bytes(), bytes);
    assert_eq!(Manifest::from_canonical_bytes(&bytes).unwrap(), m);
    assert_eq!(serde_json::to_value(m.hash()).unwrap(), v["manifest_hash"]);
    for case in v["valid"].as_array().unwrap() {
        assert_eq!(check_ballot(&e, &case["ballot"]), "ok");
    }
    let verdicts: Vec<(String, Value)> = v["whole"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            assert_eq!(
                check_ballot(&e, &w["ballot"]),
                w["verdict"],
                "{}",
                w["name"]
            );
            (
                w["name"].as_str().unwrap().to_string(),
                w["verdict"].clone(),
            )
        })
        .collect();
    // Each attack on a rank ciphertext fails at the ranked contest (the ballot's contest 0).
    for (name, verdict) in &verdicts {
        assert_eq!(verdict["contest"], 0, "{name}: {verdict}");
    }
    for r in v["row_rule"].as_array().unwrap() {
        let row: Vec<u64> = serde_json::from_value(r["row"].clone()).unwrap();
        let prefs: Vec<u32> = serde_json::from_value(r["preferences"].clone()).unwrap();
        assert_eq!(preferences_from_ranks(&row, 4).0, prefs, "{row:?}");
    }
    let mix: MixResult = serde_json::from_value(v["mix_result"].clone()).unwrap();
    let counts = count_ranked(&m, e.hash(), &mix).unwrap();
    for (c, t) in counts.iter().zip(v["transcripts"].as_array().unwrap()) {
        assert_eq!(
            hex::encode(c.transcript.canonical_bytes()),
            t["canonical_hex"].as_str().unwrap()
        );
    }
    let bytes = hex::decode(v["mixed_count_hex"].as_str().unwrap()).unwrap();
    let (recount, _) = MixedCount::recount(&m, e.hash(), &mix).unwrap();
    assert_eq!(recount.to_canonical_bytes(), bytes);
    assert_eq!(MixedCount::from_canonical_bytes(&bytes).unwrap(), recount);
    // Write-ins: each attack on a text ciphertext fails at the harbour master (contest 3);
    // the slot rule and the counts are recomputed.
    let attacks = v["write_in_attacks"].as_array().unwrap();
    assert_eq!(attacks.len(), 2);
    for w in attacks {
        let verdict = check_ballot(&e, &w["ballot"]);
        assert_eq!(verdict, w["verdict"], "{}", w["name"]);
        assert_eq!(verdict["contest"], 3, "{}: {verdict}", w["name"]);
    }
    let hm = m
        .contests
        .iter()
        .find(|c| c.id == "harbour-master")
        .unwrap();
    let wi = hm.write_ins.unwrap();
    let mut names = 0;
    for r in v["slot_rule"].as_array().unwrap() {
        let row: Vec<u64> = serde_json::from_value(r["row"].clone()).unwrap();
        let got = match read_slot(&wi, row[2], &row[3..]) {
            SlotReading::Unused => json!("unused"),
            SlotReading::Invalid => json!("invalid"),
            SlotReading::Name(n) => {
                names += 1;
                json!({ "name": n })
            }
        };
        assert_eq!(got, r["slot"], "{row:?}");
    }
    assert_eq!(names, 5);
    let counted = &v["write_in_counts"][0];
    assert_eq!(counted["contest"], "harbour-master");
    assert_eq!(counted["names"][0], json!(["Jane Doe", 2]));
    assert_eq!(counted["invalid"], 4);
    assert_eq!(
        hex::encode(recount.write_ins[0].1.to_canonical_bytes()),
        counted["canonical_hex"].as_str().unwrap()
    );
}
