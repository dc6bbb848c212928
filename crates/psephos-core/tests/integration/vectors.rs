//! The core against the committed known-answer vectors (`tests/vectors/*.json`), read the way
//! another implementation would read them (`docs/protocol.md` §14): every value recomputed, every
//! negative case judged and its verdict compared with the recorded stable code. Nothing here
//! uses the generator (`psephos vectors`), only the files and the core's public API.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

use psephos_core::ballot::{verify_ballot, EncryptedBallot, TrackingCode};
use psephos_core::ceremony::{verify_ceremony, CeremonyParams, SignedMessage};
use psephos_core::election::{Election, Manifest};
use psephos_core::elgamal::{Ciphertext, ElectionKey};
use psephos_core::encoding::Canonical;
use psephos_core::generators::{g, h};
use psephos_core::group::{hex32, scalar_from_bytes, Point};
use psephos_core::hash::Digest;
use psephos_core::mix::{CiphertextList, MixError, MixGenerators, MixStatement};
use psephos_core::proofs::chaum_pedersen::DleqStatement;
use psephos_core::proofs::{ChaumPedersenProof, SchnorrProof, ShuffleProof};
use psephos_core::tally::{combine, DecryptionShare, EncryptedTally, TallyResult};
use psephos_core::transcript::{labels, Transcript, TranscriptProtocol};
use psephos_core::verdict::Verdict;
use psephos_core::{DecodeError, Scalar};
use serde::de::DeserializeOwned;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/../../tests/vectors/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn get<T: DeserializeOwned>(v: &Value) -> T {
    serde_json::from_value(v.clone()).unwrap()
}

fn verdict(v: &Value) -> Verdict {
    serde_json::from_value(v.clone()).unwrap_or_else(|e| panic!("not a verdict: {v} ({e})"))
}

/// Flips bit `bit` (bit 0 = lowest bit of byte 0) of the hex string at JSON pointer `path`.
fn flip_bit(v: &mut Value, path: &str, bit: u64) {
    let s = v.pointer_mut(path).unwrap();
    let mut bytes = hex::decode(s.as_str().unwrap()).unwrap();
    bytes[(bit / 8) as usize] ^= 1 << (bit % 8);
    *s = Value::String(hex::encode(bytes));
}

/// Decodes from JSON, then verifies: a value that does not decode is `{"reject": "decode"}`.
fn judge<T: DeserializeOwned>(v: &Value, verify: impl FnOnce(T) -> Verdict) -> Verdict {
    match serde_json::from_value::<T>(v.clone()) {
        Ok(x) => verify(x),
        Err(_) => Verdict::decode(),
    }
}

fn small_proof(kind: &str, case: &Value) -> Verdict {
    judge::<(Digest, Point)>(
        &Value::Array(vec![case["context"].clone(), case["X"].clone()]),
        |(ctx, x)| {
            let label = if kind == "schnorr" {
                labels::SCHNORR
            } else {
                labels::CHAUM_PEDERSEN
            };
            let mut t = Transcript::for_proof(label);
            t.append_election(&ctx);
            if kind == "schnorr" {
                judge::<SchnorrProof>(&case["proof"], |p| Verdict::of(&p.verify(&mut t, &x)))
            } else {
                let v = Value::Array(vec![
                    case["P"].clone(),
                    case["Y"].clone(),
                    case["proof"].clone(),
                ]);
                judge::<(Point, Point, ChaumPedersenProof)>(&v, |(base, y, p)| {
                    Verdict::of(&p.verify(
                        &mut t,
                        &DleqStatement {
                            x_pub: &x,
                            base: &base,
                            y_pub: &y,
                        },
                    ))
                })
            }
        },
    )
}

#[test]
fn primitives() {
    let p = load("primitives.json");
    assert_eq!(p["generators"]["G"], Point::from_point(g()).to_hex());
    assert_eq!(p["generators"]["H"], Point::from_point(h()).to_hex());
    let e = &p["elgamal"];
    let s = scalar_from_bytes(&hex32(e["secret"].as_str().unwrap()).unwrap()).unwrap();
    let nonce = scalar_from_bytes(&hex32(e["nonce"].as_str().unwrap()).unwrap()).unwrap();
    let key = ElectionKey::new(Point::from_point(g() * s)).unwrap();
    assert_eq!(key.point(), &get::<Point>(&e["K"]));
    let ct: Ciphertext = get(&e["ciphertext"]);
    assert_eq!(Ciphertext::encrypt(&key, &Scalar::from(3u64), &nonce), ct);

    let d: Digest = get(&p["tracking_code"]["digest"]);
    let code = p["tracking_code"]["code"].as_str().unwrap();
    assert_eq!(TrackingCode::of(&d).to_string(), code);
    assert_eq!(code.parse::<TrackingCode>().unwrap(), TrackingCode::of(&d));

    for kind in ["schnorr", "chaum_pedersen"] {
        assert_eq!(small_proof(kind, &p[kind]), Verdict::OK, "{kind}");
    }
    let negatives = p["negative"].as_array().unwrap();
    assert!(negatives.len() >= 20);
    for c in negatives {
        let kind = c["proof_type"].as_str().unwrap();
        let mut v = p[kind].clone();
        flip_bit(
            &mut v,
            c["path"].as_str().unwrap(),
            c["flip_bit"].as_u64().unwrap(),
        );
        let want = verdict(&c["verdict"]);
        assert!(!want.is_ok());
        assert_eq!(small_proof(kind, &v), want, "{kind} {}", c["path"]);
    }
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

/// The election of a vector file: its manifest (JSON) under one of its joint keys.
fn election(b: &Value, manifest: &str, key: &str) -> Election {
    let m: Manifest = get(&b[manifest]);
    Election::new(m, get(&b[key])).unwrap()
}

fn check_ballot(election: &Election, ballot: &Value) -> Verdict {
    judge::<EncryptedBallot>(ballot, |b| Verdict::of(&verify_ballot(election, b)))
}

#[test]
fn ballots() {
    let b = load("ballots.json");
    let municipal = election(&b, "manifest", "joint_key");
    assert_eq!(
        municipal.manifest_hash(),
        &get::<Digest>(&b["manifest_hash"])
    );
    assert_eq!(municipal.hash(), &get::<Digest>(&b["election_hash"]));
    let other = election(&b, "manifest", "other_joint_key");
    let budget = election(&b, "budget_manifest", "budget_joint_key");
    assert_eq!(budget.hash(), &get::<Digest>(&b["budget_election_hash"]));

    for case in b["valid"].as_array().unwrap() {
        assert_eq!(check_ballot(&municipal, &case["ballot"]), Verdict::OK);
        let ballot: EncryptedBallot = get(&case["ballot"]);
        let bytes = hex::decode(case["canonical_hex"].as_str().unwrap()).unwrap();
        assert_eq!(ballot.to_canonical_bytes(), bytes);
        assert_eq!(
            EncryptedBallot::from_canonical_bytes(&bytes).unwrap(),
            ballot
        );
        assert_eq!(ballot.content_hash(), get::<Digest>(&case["content_hash"]));
        assert_eq!(ballot.hash(), get::<Digest>(&case["ballot_hash"]));
        assert_eq!(
            TrackingCode::of(&ballot.hash()).to_string(),
            case["tracking_code"]
        );
    }

    let patches = b["patches"].as_array().unwrap();
    assert!(patches.len() > 100);
    for p in patches {
        let mut v = b["valid"][p["base"].as_u64().unwrap() as usize]["ballot"].clone();
        flip_bit(
            &mut v,
            p["path"].as_str().unwrap(),
            p["flip_bit"].as_u64().unwrap(),
        );
        let want = verdict(&p["verdict"]);
        assert!(!want.is_ok());
        assert_eq!(
            check_ballot(&municipal, &v),
            want,
            "{} bit {}",
            p["path"],
            p["flip_bit"]
        );
    }
    for w in b["whole"].as_array().unwrap() {
        let e = match w["election"].as_str().unwrap() {
            "other" => &other,
            "budget" => &budget,
            _ => &municipal,
        };
        assert_eq!(
            check_ballot(e, &w["ballot"]),
            verdict(&w["verdict"]),
            "{}",
            w["name"]
        );
    }
}

#[test]
fn tally() {
    let b = load("ballots.json");
    let municipal = election(&b, "manifest", "joint_key");
    let t = load("tally.json");
    assert_eq!(municipal.hash(), &get::<Digest>(&t["election_hash"]));
    let tally: EncryptedTally = get(&t["tally"]);
    assert_eq!(
        hex::encode(tally.to_canonical_bytes()),
        t["tally_canonical_hex"]
    );
    let vks: Vec<Point> = get(&t["verification_keys"]);
    let vk = |j: u32| vks.get((j as usize).wrapping_sub(1)).copied();
    let shares: Vec<DecryptionShare> = get(&t["shares"]);
    let result: TallyResult = get(&t["result"]);
    assert_eq!(combine(&municipal, &tally, &shares, vk).unwrap(), result);
    for n in t["negative"].as_array().unwrap() {
        let presented: Vec<DecryptionShare> = match n.get("share") {
            Some(s) => vec![get(s), shares[1].clone()],
            None => shares[..1].to_vec(),
        };
        let got = Verdict::of(&combine(&municipal, &tally, &presented, vk));
        assert_eq!(got, verdict(&n["verdict"]), "{}", n["name"]);
    }
}

fn ceremony_verdict(params: &CeremonyParams, messages: &Value) -> (Verdict, Option<Point>) {
    let decoded: Option<Vec<SignedMessage>> = messages
        .as_array()
        .unwrap()
        .iter()
        .map(|m| SignedMessage::from_canonical_bytes(&hex::decode(m.as_str()?).ok()?).ok())
        .collect();
    match decoded {
        None => (Verdict::decode(), None),
        Some(ms) => {
            let r = verify_ceremony(params, &ms);
            let key = r.as_ref().ok().map(|o| o.joint_key);
            (Verdict::of(&r), key)
        }
    }
}

#[test]
fn ceremony() {
    let c = load("ceremony.json");
    let params =
        CeremonyParams::from_canonical_bytes(&hex::decode(c["params"].as_str().unwrap()).unwrap())
            .unwrap();
    assert_eq!(serde_json::to_value(params.id()).unwrap(), c["ceremony_id"]);
    let (ok, key) = ceremony_verdict(&params, &c["messages"]);
    assert_eq!(ok, Verdict::OK);
    assert_eq!(key.unwrap(), get::<Point>(&c["joint_key"]));
    let negative = c["negative"].as_array().unwrap();
    assert_eq!(negative.len(), 5);
    for n in negative {
        let want = verdict(&n["verdict"]);
        assert!(!want.is_ok());
        assert_eq!(
            ceremony_verdict(&params, &n["messages"]).0,
            want,
            "{}",
            n["name"]
        );
    }
}

#[test]
fn shuffle() {
    let v = load("shuffle.json");
    let cases = v["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for c in cases {
        let field = |k: &str| c.get(k).unwrap_or(&v[k]).clone();
        let fields = Value::Array(
            [
                "election",
                "K",
                "generators_label",
                "mixer",
                "inputs",
                "outputs",
                "proof_hex",
            ]
            .iter()
            .map(|k| field(k))
            .collect(),
        );
        type Fields = (
            Digest,
            Point,
            String,
            u32,
            CiphertextList,
            CiphertextList,
            String,
        );
        let got = judge::<Fields>(
            &fields,
            |(election, k, label, mixer, inputs, outputs, proof_hex)| {
                let run = || -> Result<(), MixError> {
                    let key = ElectionKey::new(k)?;
                    let bytes = hex::decode(proof_hex).map_err(|_| DecodeError::Hex)?;
                    let proof = ShuffleProof::from_canonical_bytes(&bytes)?;
                    let generators = MixGenerators::derive(label.as_bytes(), inputs.len())?;
                    proof.verify(&MixStatement {
                        election_hash: &election,
                        key: &key,
                        generators: &generators,
                        mixer,
                        inputs: &inputs,
                        outputs: &outputs,
                    })
                };
                Verdict::of(&run())
            },
        );
        assert_eq!(got, verdict(&c["verdict"]), "{}", c["name"]);
    }
}
