//! Known-answer test vectors (`tests/vectors/*.json`), generated deterministically from fixed
//! seeds by `psephos vectors generate` and checked by
//! `crates/psephos-cli/tests/integration/vectors.rs`.
//!
//! Each file holds positive cases (valid objects with the values an independent implementation
//! must reproduce: encodings, hashes, tracking codes) and negative cases, each with the verdict
//! the verifier must reach: `"ok"` or a stable code (`{"reject": "selection", "contest": 0,
//! "option": 2}`, [`psephos_core::verdict`]), never an English message, so that another
//! implementation can use the files (`docs/protocol.md` §14). Negative ballot cases are *patches* to a valid base ballot (a JSON
//! pointer and a bit to flip), or whole ballots where a patch cannot express the attack (a proof
//! copied from another voter, an over-vote, a budget overrun).

use psephos_core::ballot::{
    encrypt_ballot, encrypt_invalid_ballot, verify_ballot, EncryptedBallot, PlaintextBallot,
    TrackingCode,
};
use psephos_core::credential::CredentialCode;
use psephos_core::election::{Election, Manifest};
use psephos_core::elgamal::{Ciphertext, ElectionKey};
use psephos_core::encoding::Canonical;
use psephos_core::generators::{g, h};
use psephos_core::group::Point;
use psephos_core::hash::Digest;
use psephos_core::mix::{self, CiphertextList, MixError, MixGenerators, MixStatement};
use psephos_core::proofs::chaum_pedersen::DleqStatement;
use psephos_core::proofs::ShuffleProof;
use psephos_core::proofs::{ChaumPedersenProof, SchnorrProof};
use psephos_core::sim;
use psephos_core::tally::{DecryptionShare, EncryptedTally, TallyAccumulator};
use psephos_core::transcript::{labels, random_scalar, Transcript, TranscriptProtocol};
use psephos_core::verdict::{Coded, Verdict};
use psephos_core::Scalar;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Vector file name → its JSON value.
pub type VectorSet = BTreeMap<&'static str, Value>;

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn config(name: &str) -> anyhow::Result<Manifest> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../election-config")
        .join(name);
    crate::load_manifest(&path)
}

/// The verdict of a result: `"ok"` or the error's stable code, as JSON.
pub fn verdict<T, E: Coded>(r: Result<T, E>) -> Value {
    to_json(&Verdict::of(&r))
}

fn to_json(v: &Verdict) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Flips bit `bit` of the hex string at JSON pointer `path` (bit 0 = lowest bit of byte 0).
pub fn flip_bit(v: &mut Value, path: &str, bit: usize) -> anyhow::Result<()> {
    let s = v
        .pointer_mut(path)
        .ok_or_else(|| anyhow::anyhow!("no field at {path}"))?;
    let text = s
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("{path} is not a string"))?;
    let mut bytes = hex::decode(text)?;
    let byte = bytes
        .get_mut(bit / 8)
        .ok_or_else(|| anyhow::anyhow!("{path} has no bit {bit}"))?;
    *byte ^= 1 << (bit % 8);
    *s = Value::String(hex::encode(bytes));
    Ok(())
}

/// Every hex-string leaf under `v` (JSON pointers), in document order.
fn hex_leaves(v: &Value, prefix: &str, out: &mut Vec<String>) {
    match v {
        Value::String(s) if s.len() >= 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            out.push(prefix.to_string())
        }
        Value::Array(a) => a
            .iter()
            .enumerate()
            .for_each(|(i, x)| hex_leaves(x, &format!("{prefix}/{i}"), out)),
        Value::Object(o) => o
            .iter()
            .for_each(|(k, x)| hex_leaves(x, &format!("{prefix}/{k}"), out)),
        _ => {}
    }
}

/// The municipal election with the key of a simulated ceremony (seed 1).
pub fn municipal() -> anyhow::Result<(Election, sim::SimulatedCeremony)> {
    let m = config("municipal-2026.toml")?;
    let cer = sim::ceremony(
        &m.hash(),
        m.trustees.count,
        m.trustees.threshold,
        &mut rng(1),
    );
    Ok((Election::new(m, cer.joint_key)?, cer))
}

/// The participatory-budget election (seed 2).
pub fn budget() -> anyhow::Result<Election> {
    let m = config("participatory-budget.toml")?;
    let cer = sim::ceremony(
        &m.hash(),
        m.trustees.count,
        m.trustees.threshold,
        &mut rng(2),
    );
    Ok(Election::new(m, cer.joint_key)?)
}

fn primitives() -> anyhow::Result<Value> {
    let mut r = rng(10);
    let s = random_scalar(&mut r);
    let key = ElectionKey::new(Point::from_point(g() * s))?;
    let nonce = random_scalar(&mut r);
    let ct = Ciphertext::encrypt(&key, &Scalar::from(3u64), &nonce);
    let code = CredentialCode::generate(&mut r);
    let election_id = "rivertown-municipal-2026";
    let cred_public = code.secret(election_id).public();
    let digest = Digest::of(labels::BALLOT_HASH, b"psephos");

    // Schnorr and Chaum–Pedersen on a fixed context.
    let ctx = Digest::of(labels::ELECTION_HASH, b"vector context");
    let x = random_scalar(&mut r);
    let xp = Point::from_point(g() * x);
    let mut t = Transcript::for_proof(labels::SCHNORR);
    t.append_election(&ctx);
    let schnorr = SchnorrProof::prove(&mut t, &x, &xp, &mut r);
    let base = Point::from_point(g() * random_scalar(&mut r));
    let y = Point::from_point(base.point() * x);
    let mut t = Transcript::for_proof(labels::CHAUM_PEDERSEN);
    t.append_election(&ctx);
    let st = DleqStatement {
        x_pub: &xp,
        base: &base,
        y_pub: &y,
    };
    let cp = ChaumPedersenProof::prove(&mut t, &x, &st, &mut r);

    Ok(json!({
        "description": "Generators, encodings and small proofs. Scalars and points are hex of their canonical 32 bytes.",
        "generators": { "G": Point::from_point(g()).to_hex(), "H": Point::from_point(h()).to_hex(),
                         "H_input": String::from_utf8_lossy(labels::GENERATOR_H) },
        "elgamal": { "secret": hex::encode(s.as_bytes()), "K": key.point().to_hex(), "m": 3,
                     "nonce": hex::encode(nonce.as_bytes()), "ciphertext": ct },
        "credential": { "code": code.expose(), "election_id": election_id, "public": cred_public },
        "tracking_code": { "digest": digest, "code": TrackingCode::of(&digest).to_string() },
        "schnorr": { "context": ctx, "X": xp, "proof": schnorr },
        "chaum_pedersen": { "context": ctx, "X": xp, "P": base, "Y": y, "proof": cp },
        "non_canonical_points_source": "RFC 9496, Appendix A.2 (bad encodings)",
        "non_canonical_points": [
            "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "0100000000000000000000000000000000000000000000000000000000000000",
            "00ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
            "f3ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
            "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371"
        ],
        "non_canonical_scalars": [
            "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010",
            "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff1f",
            "0000000000000000000000000000000000000000000000000000000000000080"
        ]
    }))
}

/// Verdicts of the small proofs in `primitives.json` (also used on their mutations).
pub fn check_small_proof(kind: &str, case: &Value) -> Value {
    let parse = || -> anyhow::Result<Value> {
        let ctx: Digest = serde_json::from_value(case["context"].clone())?;
        let xp: Point = serde_json::from_value(case["X"].clone())?;
        Ok(match kind {
            "schnorr" => {
                let proof: SchnorrProof = serde_json::from_value(case["proof"].clone())?;
                let mut t = Transcript::for_proof(labels::SCHNORR);
                t.append_election(&ctx);
                verdict(proof.verify(&mut t, &xp))
            }
            _ => {
                let base: Point = serde_json::from_value(case["P"].clone())?;
                let y: Point = serde_json::from_value(case["Y"].clone())?;
                let proof: ChaumPedersenProof = serde_json::from_value(case["proof"].clone())?;
                let mut t = Transcript::for_proof(labels::CHAUM_PEDERSEN);
                t.append_election(&ctx);
                verdict(proof.verify(
                    &mut t,
                    &DleqStatement {
                        x_pub: &xp,
                        base: &base,
                        y_pub: &y,
                    },
                ))
            }
        })
    };
    parse().unwrap_or_else(|_| to_json(&Verdict::decode()))
}

fn small_proof_negatives(prims: &Value) -> anyhow::Result<Value> {
    let mut cases = Vec::new();
    for kind in ["schnorr", "chaum_pedersen"] {
        let base = &prims[kind];
        let mut leaves = Vec::new();
        hex_leaves(base, "", &mut leaves);
        for path in leaves {
            for bit in [1usize, 9, 250] {
                let mut v = base.clone();
                flip_bit(&mut v, &path, bit)?;
                let expected = check_small_proof(kind, &v);
                anyhow::ensure!(expected != "ok", "{kind}{path} bit {bit} still verifies");
                cases.push(json!({ "proof_type": kind, "path": path, "flip_bit": bit, "verdict": expected }));
            }
        }
    }
    Ok(Value::Array(cases))
}

/// Verdict of verifying a ballot given as JSON against `election`.
pub fn check_ballot(election: &Election, ballot: &Value) -> Value {
    match serde_json::from_value::<EncryptedBallot>(ballot.clone()) {
        Err(_) => to_json(&Verdict::decode()),
        Ok(b) => verdict(verify_ballot(election, b)),
    }
}

fn ballots() -> anyhow::Result<Value> {
    let (election, _) = municipal()?;
    let m = election.manifest().clone();
    let mut r = rng(20);
    let mut valid = Vec::new();
    let mut secrets = Vec::new();
    for style in &m.ballot_styles {
        let code = CredentialCode::generate(&mut r);
        let secret = code.secret(&m.id);
        let p =
            sim::random_ballot(&m, &style.id, &mut r).ok_or_else(|| anyhow::anyhow!("style"))?;
        let (b, _) = encrypt_ballot(&election, &secret, &p, &mut r)?;
        valid.push(json!({
            "credential_code": code.expose(),
            "plaintext": p,
            "ballot": b,
            "canonical_hex": hex::encode(b.to_canonical_bytes()),
            "content_hash": b.content_hash(),
            "ballot_hash": b.hash(),
            "tracking_code": TrackingCode::of(&b.hash()).to_string(),
        }));
        secrets.push((secret, p));
    }

    // One flipped bit in every hex field of the first ballot (bit 9: a value change that often
    // still decodes, so the proof check itself is exercised; bit 0 makes points non-canonical).
    let base = valid[0]["ballot"].clone();
    let mut leaves = Vec::new();
    hex_leaves(&base, "", &mut leaves);
    let mut patches = Vec::new();
    for path in &leaves {
        let bits: &[usize] = if path.ends_with("/range") {
            &[9, 700]
        } else {
            &[0, 9]
        };
        for &bit in bits {
            let mut v = base.clone();
            flip_bit(&mut v, path, bit)?;
            let expected = check_ballot(&election, &v);
            anyhow::ensure!(expected != "ok", "{path} bit {bit} still verifies");
            patches.push(json!({ "base": 0, "path": path, "flip_bit": bit, "verdict": expected }));
        }
    }

    let mut whole = Vec::new();
    // The same ballot against an election with the same manifest but another joint key.
    let other = Election::new(m.clone(), Point::from_point(g() * random_scalar(&mut r)))?;
    whole.push(
        json!({ "name": "wrong election (other joint key)", "election": "other",
        "ballot": base, "verdict": check_ballot(&other, &base) }),
    );
    // Non-canonical and identity credential.
    let mut v = base.clone();
    v["credential"] = json!("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
    whole.push(
        json!({ "name": "non-canonical credential point", "election": "municipal", "ballot": v,
        "verdict": check_ballot(&election, &v) }),
    );
    let mut v = base.clone();
    v["credential"] = json!("0000000000000000000000000000000000000000000000000000000000000000");
    whole.push(
        json!({ "name": "identity credential", "election": "municipal", "ballot": v,
        "verdict": check_ballot(&election, &v) }),
    );
    // A proof copied into another voter's ballot: voter 1 takes voter 0's mayor contest
    // (ciphertexts and proofs) and re-signs the ballot with its own credential.
    {
        let (secret1, p1) = &secrets[1];
        let (b1, _) = encrypt_ballot(&election, secret1, p1, &mut r)?;
        let b0: EncryptedBallot = serde_json::from_value(base.clone())?;
        let mut copied = b1.clone();
        copied.contests[0] = b0.contests[0].clone();
        let mut resigned = copied;
        resigned.sign(secret1, &mut r);
        let v = serde_json::to_value(&resigned)?;
        whole.push(
            json!({ "name": "contest proof copied from another credential", "election": "municipal",
            "ballot": v, "verdict": check_ballot(&election, &v) }),
        );
    }
    // Over-vote: three councillors where at most two are allowed, proved by a cheating prover.
    {
        let (secret0, p0) = &secrets[0];
        let mut p: PlaintextBallot = p0.clone();
        p.contests[1].values = vec![1, 1, 1, 0, 0];
        let b = encrypt_invalid_ballot(&election, secret0, &p, &mut r)?;
        let v = serde_json::to_value(&b)?;
        whole.push(
            json!({ "name": "over-vote (3 of at most 2)", "election": "municipal", "ballot": v,
            "verdict": check_ballot(&election, &v) }),
        );
        let mut p = p0.clone();
        p.contests[3].values = vec![6, 0, 0, 0, 0];
        let b = encrypt_invalid_ballot(&election, secret0, &p, &mut r)?;
        let v = serde_json::to_value(&b)?;
        whole.push(
            json!({ "name": "score above the maximum (6 of at most 5)", "election": "municipal",
            "ballot": v, "verdict": check_ballot(&election, &v) }),
        );
        let mut p = p0.clone();
        p.contests[1].values = vec![2, 0, 0, 0, 0];
        let b = encrypt_invalid_ballot(&election, secret0, &p, &mut r)?;
        let v = serde_json::to_value(&b)?;
        whole.push(
            json!({ "name": "approval option with value 2", "election": "municipal",
            "ballot": v, "verdict": check_ballot(&election, &v) }),
        );
    }
    // Budget overrun in the participatory budget.
    let budget = budget()?;
    {
        let code = CredentialCode::generate(&mut r);
        let secret = code.secret(&budget.manifest().id);
        let p = PlaintextBallot {
            style: "resident".into(),
            contests: vec![
                psephos_core::ballot::PlaintextContest {
                    contest: "projects".into(),
                    values: vec![1, 1, 1, 0, 0, 0],
                },
                psephos_core::ballot::PlaintextContest {
                    contest: "delivery".into(),
                    values: vec![5, 5, 5],
                },
            ],
        };
        let b = encrypt_invalid_ballot(&budget, &secret, &p, &mut r)?;
        let v = serde_json::to_value(&b)?;
        whole.push(json!({ "name": "budget overrun (550,000 of 500,000)", "election": "budget", "ballot": v,
            "verdict": check_ballot(&budget, &v) }));
        let ok = PlaintextBallot {
            style: "resident".into(),
            contests: vec![
                psephos_core::ballot::PlaintextContest {
                    contest: "projects".into(),
                    values: vec![1, 1, 0, 0, 1, 0],
                },
                psephos_core::ballot::PlaintextContest {
                    contest: "delivery".into(),
                    values: vec![10, 0, 7],
                },
            ],
        };
        let (b, _) = encrypt_ballot(&budget, &secret, &ok, &mut r)?;
        let v = serde_json::to_value(&b)?;
        whole.push(json!({ "name": "budget within the limit is valid (430,000 of 500,000)", "election": "budget",
            "ballot": v, "verdict": check_ballot(&budget, &v) }));
    }
    for w in &whole {
        let name = w["name"].as_str().unwrap_or_default();
        anyhow::ensure!(
            (w["verdict"] == "ok") == name.contains("is valid"),
            "unexpected verdict for {name}: {}",
            w["verdict"]
        );
    }

    Ok(json!({
        "description": "Ballots of the municipal election (election-config/municipal-2026.toml) under the joint key of the simulated ceremony with seed 1, and negative cases.",
        "manifest": election.manifest(),
        "manifest_hash": election.manifest_hash(),
        "joint_key": election.key().point(),
        "election_hash": election.hash(),
        "other_joint_key": other.key().point(),
        "budget_manifest": budget.manifest(),
        "budget_joint_key": budget.key().point(),
        "budget_election_hash": budget.hash(),
        "valid": valid,
        "patches": patches,
        "whole": whole,
    }))
}

fn tally() -> anyhow::Result<Value> {
    let (election, cer) = municipal()?;
    let m = election.manifest().clone();
    let mut r = rng(30);
    let mut acc = TallyAccumulator::new(&election);
    for i in 0..6 {
        let style = &m.ballot_styles[i % 3].id;
        let secret = CredentialCode::generate(&mut r).secret(&m.id);
        let p = sim::random_ballot(&m, style, &mut r).ok_or_else(|| anyhow::anyhow!("style"))?;
        let (b, _) = encrypt_ballot(&election, &secret, &p, &mut r)?;
        acc.add(&verify_ballot(&election, b)?, 1)?;
    }
    let tally: EncryptedTally = acc.finish();
    let shares: Vec<DecryptionShare> = [2u32, 3]
        .iter()
        .map(|&j| DecryptionShare::compute(&tally, j, &cer.shares[j as usize - 1], &mut r))
        .collect();
    let vk = |j: u32| {
        cer.verification_keys
            .get((j as usize).wrapping_sub(1))
            .copied()
    };
    let result = psephos_core::tally::combine(&election, &tally, &shares, vk)?;
    // A share with one flipped bit in a proof response, and a share for the wrong trustee.
    let mut bad = serde_json::to_value(&shares[0])?;
    flip_bit(&mut bad, "/contests/0/1/proof/response", 9)?;
    let bad_share: DecryptionShare = serde_json::from_value(bad.clone())?;
    let bad_verdict = verdict(psephos_core::tally::combine(
        &election,
        &tally,
        &[bad_share, shares[1].clone()],
        vk,
    ));
    let mut swapped = shares[0].clone();
    swapped.trustee = 1;
    let swapped_verdict = verdict(psephos_core::tally::combine(
        &election,
        &tally,
        &[swapped.clone(), shares[1].clone()],
        vk,
    ));
    let one_verdict = verdict(psephos_core::tally::combine(
        &election,
        &tally,
        &shares[..1],
        vk,
    ));
    Ok(json!({
        "description": "A tally of 6 municipal ballots, decrypted by trustees 2 and 3 (trustee 1 absent). The election is the municipal election of ballots.json.",
        "election_hash": election.hash(),
        "verification_keys": cer.verification_keys,
        "tally": tally,
        "tally_canonical_hex": hex::encode(tally.to_canonical_bytes()),
        "shares": shares,
        "result": result,
        "negative": [
            { "name": "flipped bit in trustee 2's proof", "share": bad, "verdict": bad_verdict },
            { "name": "trustee 2's share presented as trustee 1's", "share": swapped, "verdict": swapped_verdict },
            { "name": "only one share (threshold 2)", "verdict": one_verdict },
        ]
    }))
}

/// The key ceremony among 3 trustees (k = 2): parameters and every signed message in board order
/// (canonical hex), the outcome an observer must recompute, and tampered ceremony logs.
fn ceremony() -> anyhow::Result<Value> {
    let manifest = config("referendum.toml")?;
    let run = sim::run_ceremony(manifest.hash(), 3, 2, &mut rng(40))?;
    let (params, log) = (run.params, run.log);
    let outcome = psephos_core::ceremony::verify_ceremony(&params, &log)?;
    let messages: Vec<String> = log
        .iter()
        .map(|m| hex::encode(m.to_canonical_bytes()))
        .collect();
    let mut negative = Vec::new();
    for (i, bit) in [(0usize, 300usize), (1, 700), (3, 900), (5, 2000)] {
        let mut ms = messages.clone();
        let mut v = Value::Array(ms.iter().cloned().map(Value::String).collect());
        flip_bit(&mut v, &format!("/{i}"), bit)?;
        ms = serde_json::from_value(v)?;
        let expected = check_ceremony(&params, &ms);
        anyhow::ensure!(
            !expected.is_ok(),
            "flipping bit {bit} of message {i} went unnoticed"
        );
        negative.push(json!({ "name": format!("bit {bit} of message {i} flipped"), "messages": ms, "verdict": expected }));
    }
    let mut replayed = messages.clone();
    replayed.push(messages[0].clone());
    let expected = check_ceremony(&params, &replayed);
    negative.push(
        json!({ "name": "a commitment posted twice", "messages": replayed, "verdict": expected }),
    );
    Ok(json!({
        "description": "Key ceremony among 3 trustees (k = 2) for election-config/referendum.toml, seed 40: canonical parameters, the signed messages in board order, and the outcome every observer recomputes.",
        "params": hex::encode(params.to_canonical_bytes()),
        "ceremony_id": params.id(),
        "messages": messages,
        "joint_key": outcome.joint_key,
        "verification_keys": outcome.verification_keys.iter().map(|(i, p)| json!({ "trustee": i.get(), "key": p })).collect::<Vec<_>>(),
        "negative": negative,
    }))
}

/// The verdict of an observer's verification of a ceremony log given as hex messages, and the
/// joint key it yields when it verifies.
pub fn check_ceremony(
    params: &psephos_core::ceremony::CeremonyParams,
    messages: &[String],
) -> Verdict {
    ceremony_outcome(params, messages).0
}

/// [`check_ceremony`] with the joint key of a verified ceremony log.
pub fn ceremony_outcome(
    params: &psephos_core::ceremony::CeremonyParams,
    messages: &[String],
) -> (Verdict, Option<Point>) {
    use psephos_core::ceremony::SignedMessage;
    let decoded: Option<Vec<SignedMessage>> = messages
        .iter()
        .map(|h| {
            let bytes = hex::decode(h).ok()?;
            SignedMessage::from_canonical_bytes(&bytes).ok()
        })
        .collect();
    match decoded {
        None => (Verdict::decode(), None),
        Some(ms) => {
            let r = psephos_core::ceremony::verify_ceremony(params, &ms);
            let key = r.as_ref().ok().map(|o| o.joint_key);
            (Verdict::of(&r), key)
        }
    }
}

/// The verdict code of a shuffle case (§13): `base` holds the honest statement and proof, `case`
/// may override any of `election`, `K`, `generators_label`, `mixer`, `inputs`, `outputs`,
/// `proof_hex`. `"ok"`, or the rejection `decode` (bad JSON or proof bytes) or [`MixError::code`].
pub fn check_shuffle(base: &Value, case: &Value) -> Verdict {
    let field = |k: &str| case.get(k).unwrap_or(&base[k]).clone();
    let run = || -> Result<(), MixError> {
        let bad = |e: serde_json::Error| {
            MixError::Decode(psephos_core::DecodeError::Invalid {
                what: "shuffle vector",
                detail: e.to_string(),
            })
        };
        let election: Digest = serde_json::from_value(field("election")).map_err(bad)?;
        let key = ElectionKey::new(serde_json::from_value(field("K")).map_err(bad)?)?;
        let label: String = serde_json::from_value(field("generators_label")).map_err(bad)?;
        let mixer: u32 = serde_json::from_value(field("mixer")).map_err(bad)?;
        let inputs: CiphertextList = serde_json::from_value(field("inputs")).map_err(bad)?;
        let outputs: CiphertextList = serde_json::from_value(field("outputs")).map_err(bad)?;
        let proof_hex: String = serde_json::from_value(field("proof_hex")).map_err(bad)?;
        let bytes = hex::decode(proof_hex).map_err(|_| psephos_core::DecodeError::Hex)?;
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
}

fn shuffle() -> anyhow::Result<Value> {
    let mut r = rng(17);
    let s = random_scalar(&mut r);
    let key = ElectionKey::new(Point::from_point(g() * s))?;
    let election = Digest::of(labels::ELECTION_HASH, b"shuffle vector");
    let (n, w) = (4usize, 2usize);
    let items = (0..n * w)
        .map(|j| Ciphertext::encrypt(&key, &Scalar::from(j as u64 + 1), &random_scalar(&mut r)))
        .collect();
    let inputs = CiphertextList::new(w, items)?;
    let (outputs, witness) = mix::shuffle(&key, &inputs, &mut r);
    let gens = MixGenerators::standard(n)?;
    let st = MixStatement {
        election_hash: &election,
        key: &key,
        generators: &gens,
        mixer: 2,
        inputs: &inputs,
        outputs: &outputs,
    };
    let proof = ShuffleProof::prove(&st, &witness, &mut r)?;
    let proof_hex = hex::encode(proof.to_canonical_bytes());
    let empty = CiphertextList::new(w, vec![])?;
    let (empty_out, empty_witness) = mix::shuffle(&key, &empty, &mut r);
    let empty_proof = ShuffleProof::prove(
        &MixStatement {
            inputs: &empty,
            outputs: &empty_out,
            ..st
        },
        &empty_witness,
        &mut r,
    )?;
    let label = String::from_utf8_lossy(labels::MIX_GENERATORS).into_owned();
    let hs = gens.hs(n)?;
    let outs = outputs.ciphertexts();
    let list = |items: Vec<Ciphertext>, width: usize| -> anyhow::Result<Value> {
        Ok(serde_json::to_value(CiphertextList::new(width, items)?)?)
    };
    let mut changed = outs.to_vec();
    changed[1].beta = Point::from_point(changed[1].beta.point() + g());
    let mut swapped = outs.to_vec();
    swapped.swap(0, w);
    swapped.swap(1, w + 1);
    let other_inputs = CiphertextList::new(
        w,
        (0..n * w)
            .map(|j| Ciphertext::encrypt(&key, &Scalar::from(j as u64 + 1), &random_scalar(&mut r)))
            .collect(),
    )?;
    let mut extended_in = inputs.ciphertexts().to_vec();
    extended_in.extend_from_slice(&inputs.ciphertexts()[..w]);
    let mut extended_out = outs.to_vec();
    extended_out.extend_from_slice(&outs[..w]);
    let non_canonical = format!(
        "{}{}{}",
        &proof_hex[..8],
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
        &proof_hex[72..]
    );
    let identity = format!("{}{}{}", &proof_hex[..8], "00".repeat(32), &proof_hex[72..]);
    // s₁ sits after c, ĉ (4 + 32n each), t₁ t₂ t₃, t₄ (4 + 64w) and t̂ (4 + 32n).
    let s1 = 2 * (3 * (4 + 32 * n) + 96 + 4 + 64 * w);
    let mut flipped = hex::decode(&proof_hex)?;
    flipped[s1 / 2] ^= 1;
    let cases = vec![
        json!({ "name": "honest shuffle", "verdict": "ok" }),
        json!({ "name": "empty list", "inputs": empty, "outputs": empty_out,
                "proof_hex": hex::encode(empty_proof.to_canonical_bytes()), "verdict": "ok" }),
        json!({ "name": "one output ciphertext changed", "outputs": list(changed, w)?, "verdict": { "reject": "proof" } }),
        json!({ "name": "two output rows swapped after proving", "outputs": list(swapped, w)?, "verdict": { "reject": "proof" } }),
        json!({ "name": "proof checked against another input list", "inputs": other_inputs, "verdict": { "reject": "proof" } }),
        json!({ "name": "another election hash", "election": Digest::of(labels::ELECTION_HASH, b"other"), "verdict": { "reject": "proof" } }),
        json!({ "name": "another mixer index", "mixer": 3, "verdict": { "reject": "proof" } }),
        json!({ "name": "another election key", "K": Point::from_point(g() * random_scalar(&mut r)), "verdict": { "reject": "proof" } }),
        json!({ "name": "wrong generator label", "generators_label": "psephos/mix-generators v0", "verdict": { "reject": "proof" } }),
        json!({ "name": "truncated output list", "outputs": list(outs[..(n - 1) * w].to_vec(), w)?, "verdict": { "reject": "shape" } }),
        json!({ "name": "extended input and output lists", "inputs": list(extended_in, w)?, "outputs": list(extended_out, w)?, "verdict": { "reject": "shape" } }),
        json!({ "name": "output width mismatch", "outputs": list(outs.to_vec(), 1)?, "verdict": { "reject": "shape" } }),
        json!({ "name": "non-canonical point as the first permutation commitment", "proof_hex": non_canonical, "verdict": { "reject": "decode" } }),
        json!({ "name": "identity as the first permutation commitment", "proof_hex": identity, "verdict": { "reject": "decode" } }),
        json!({ "name": "trailing byte after the proof", "proof_hex": format!("{proof_hex}00"), "verdict": { "reject": "decode" } }),
        json!({ "name": "truncated proof", "proof_hex": &proof_hex[..proof_hex.len() - 2], "verdict": { "reject": "decode" } }),
        json!({ "name": "low bit of s1 flipped", "proof_hex": hex::encode(flipped), "verdict": { "reject": "proof" } }),
    ];
    let mut v = json!({
        "description": "Terelius–Wikström shuffle proof (docs/protocol.md §13): one honest statement and proof, and cases that override parts of it, each with its verdict code.",
        "generators": { "label": label, "h": Point::from_point(*gens.h()).to_hex(),
                        "h_1_to_n": hs.iter().map(|p| Point::from_point(*p).to_hex()).collect::<Vec<_>>() },
        "election": election, "K": key.point(), "generators_label": label, "mixer": 2,
        "inputs": inputs, "outputs": outputs, "proof": proof, "proof_hex": proof_hex,
        "secret": { "election_secret": hex::encode(s.as_bytes()), "permutation": witness.permutation() },
    });
    for c in &cases {
        let got = serde_json::to_value(check_shuffle(&v, c))?;
        anyhow::ensure!(got == c["verdict"], "shuffle case {}: got {got}", c["name"]);
    }
    v["cases"] = Value::Array(cases);
    Ok(v)
}

/// The sample ranked election (election-config/ranked-2026.toml) under the joint key of a
/// simulated ceremony with seed 60.
pub fn ranked_election() -> anyhow::Result<Election> {
    let m = config("ranked-2026.toml")?;
    let t = m.trustees;
    let cer = sim::ceremony(&m.hash(), t.count, t.threshold, &mut rng(60));
    Ok(Election::new(m, cer.joint_key)?)
}

/// A ranked ballot of `ranks` for the mayor (the council's and the referendum's choices fixed).
fn ranked_plaintext(mayor: &[u64]) -> PlaintextBallot {
    use psephos_core::ballot::PlaintextContest;
    PlaintextBallot {
        style: "city".into(),
        contests: vec![
            PlaintextContest {
                contest: "mayor".into(),
                values: mayor.to_vec(),
            },
            PlaintextContest {
                contest: "council".into(),
                values: vec![2, 5, 0, 0],
            },
            PlaintextContest {
                contest: "night-buses".into(),
                values: vec![1, 0],
            },
            PlaintextContest {
                contest: "harbour-master".into(),
                values: harbour_master("Jane Doe"),
            },
        ],
    }
}

/// The harbour master contest's row (2 options, one write-in of at most 40 bytes): no listed
/// option, the write-in `name` (ASCII, at most 40 bytes) in 3-byte big-endian text columns.
fn harbour_master(name: &str) -> Vec<u64> {
    let mut row = vec![0, 0, 1];
    let mut text = [0u8; 42];
    for (t, b) in text.iter_mut().zip(name.bytes()) {
        *t = b;
    }
    row.extend(
        text.chunks(3)
            .map(|c| u64::from(c[0]) << 16 | u64::from(c[1]) << 8 | u64::from(c[2])),
    );
    row
}

/// Ranked contests (§6.2): the manifest's canonical bytes and hash, valid ranked ballots, the
/// attacks on rank ciphertexts (copied from another voter, moved to another rank, a candidate
/// number out of range) with their verdicts, and the row rule and mixed count of fixed
/// decrypted rows.
fn ranked() -> anyhow::Result<Value> {
    use psephos_core::ballot::ContestProof;
    use psephos_core::count::preferences_from_ranks;
    use psephos_core::mixnet::{MixResult, MixedContestResult};
    use psephos_core::ranked::{count_ranked, MixedCount};
    let election = ranked_election()?;
    let m = election.manifest().clone();
    let mut r = rng(61);
    let mut valid = Vec::new();
    let mut ballots = Vec::new();
    for mayor in [[2u64, 4, 1, 3], [3, 0, 0, 0]] {
        let code = CredentialCode::generate(&mut r);
        let secret = code.secret(&m.id);
        let p = ranked_plaintext(&mayor);
        let (b, _) = encrypt_ballot(&election, &secret, &p, &mut r)?;
        valid.push(json!({
            "credential_code": code.expose(),
            "plaintext": p,
            "ballot": b,
            "canonical_hex": hex::encode(b.to_canonical_bytes()),
            "ballot_hash": b.hash(),
        }));
        ballots.push((secret, b));
    }
    let bounded = |b: &mut EncryptedBallot| -> anyhow::Result<(Vec<Point>, Vec<_>)> {
        match &b.contests[0].proof {
            ContestProof::Bounded {
                commitments, links, ..
            } => Ok((commitments.clone(), links.clone())),
            _ => anyhow::bail!("the mayor's contest has a bounded proof"),
        }
    };
    let set = |b: &mut EncryptedBallot, commitments: Vec<Point>, l: Vec<_>| {
        if let ContestProof::Bounded {
            commitments: c,
            links,
            ..
        } = &mut b.contests[0].proof
        {
            *c = commitments;
            *links = l;
        }
    };
    let mut whole = Vec::new();
    // Voter 1 copies voter 0's first-rank ciphertext, commitment and link proof, re-signs.
    let (c0, l0) = bounded(&mut ballots[0].1.clone())?;
    let mut copied = ballots[1].1.clone();
    let (mut c1, mut l1) = bounded(&mut copied)?;
    copied.contests[0].ciphertexts[0] = ballots[0].1.contests[0].ciphertexts[0];
    c1[0] = c0[0];
    l1[0] = l0[0];
    set(&mut copied, c1, l1);
    copied.sign(&ballots[1].0, &mut r);
    let v = serde_json::to_value(&copied)?;
    whole.push(
        json!({ "name": "rank ciphertext copied from another credential",
        "ballot": v, "verdict": check_ballot(&election, &v) }),
    );
    // Voter 0's ranks 1 and 2 swapped, with their commitments and link proofs, re-signed.
    let mut moved = ballots[0].1.clone();
    let (mut c, mut l) = bounded(&mut moved)?;
    moved.contests[0].ciphertexts.swap(0, 1);
    c.swap(0, 1);
    l.swap(0, 1);
    set(&mut moved, c, l);
    moved.sign(&ballots[0].0, &mut r);
    let v = serde_json::to_value(&moved)?;
    whole.push(json!({ "name": "rank ciphertext moved to another rank",
        "ballot": v, "verdict": check_ballot(&election, &v) }));
    // Candidate 5 of 4 at rank 2, proven as a cheating prover would.
    let bad = encrypt_invalid_ballot(
        &election,
        &ballots[0].0,
        &ranked_plaintext(&[1, 5, 0, 0]),
        &mut r,
    )?;
    let v = serde_json::to_value(&bad)?;
    whole.push(json!({ "name": "candidate number out of range",
        "ballot": v, "verdict": check_ballot(&election, &v) }));
    for w in &whole {
        anyhow::ensure!(w["verdict"] != "ok", "{} verifies", w["name"]);
    }
    // Write-ins (§6.2, §13.11): voter 1 copies voter 0's first text ciphertext of the
    // harbour master's write-in (column 3 of the ballot's contest 3), with its commitment and
    // link proof, and re-signs; a text column above 2²⁴ − 1, proven as a cheating prover would.
    let hm = 3;
    let text = |b: &EncryptedBallot| -> anyhow::Result<(Point, _)> {
        match &b.contests[hm].proof {
            ContestProof::Bounded {
                commitments, links, ..
            } => Ok((commitments[3], links[3])),
            _ => anyhow::bail!("the harbour master's contest has a bounded proof"),
        }
    };
    let mut write_in_attacks = Vec::new();
    let (c0, l0) = text(&ballots[0].1)?;
    let mut copied = ballots[1].1.clone();
    copied.contests[hm].ciphertexts[3] = ballots[0].1.contests[hm].ciphertexts[3];
    if let ContestProof::Bounded {
        commitments, links, ..
    } = &mut copied.contests[hm].proof
    {
        commitments[3] = c0;
        links[3] = l0;
    }
    copied.sign(&ballots[1].0, &mut r);
    let v = serde_json::to_value(&copied)?;
    write_in_attacks.push(
        json!({ "name": "write-in text ciphertext copied from another credential",
        "ballot": v, "verdict": check_ballot(&election, &v) }),
    );
    let mut over = ranked_plaintext(&[1, 2, 0, 0]);
    over.contests[hm].values[3] = 1 << 24;
    let bad = encrypt_invalid_ballot(&election, &ballots[0].0, &over, &mut r)?;
    let v = serde_json::to_value(&bad)?;
    write_in_attacks.push(json!({ "name": "write-in text column out of range",
        "ballot": v, "verdict": check_ballot(&election, &v) }));
    for w in &write_in_attacks {
        anyhow::ensure!(w["verdict"] != "ok", "{} verifies", w["name"]);
    }

    // The row rule and the count of fixed decrypted rows (digests fixed, not computed).
    let rows: Vec<Vec<u64>> = vec![
        vec![1, 2, 3, 4],
        vec![2, 2, 1, 0],
        vec![0, 3, 0, 0],
        vec![3, 1, 0, 0],
        vec![4, 9, 1, 0],
        vec![2, 3, 0, 0],
        vec![3, 2, 0, 0],
    ];
    let council: Vec<Vec<u64>> = vec![
        vec![1, 2, 0, 0],
        vec![1, 3, 0, 0],
        vec![1, 0, 0, 0],
        vec![2, 1, 0, 0],
        vec![3, 4, 5, 0],
        vec![4, 3, 0, 0],
        vec![5, 1, 0, 0],
    ];
    let rules: Vec<Value> = rows
        .iter()
        .map(|row| json!({ "row": row, "preferences": preferences_from_ranks(row, 4).0 }))
        .collect();
    // The harbour master's rows: names (one twice, one lower-case, one not ASCII), a listed
    // option, a blank, and invalid write-ins (text after the zero padding, bytes that are not
    // UTF-8, text in the unused slot, a used slot without text).
    let mut harbour = vec![
        harbour_master("Jane Doe"),
        harbour_master("Jane Doe"),
        harbour_master("jane doe"),
        harbour_master("R. Mutt"),
    ];
    let mut zoe = harbour_master("");
    // "Zoë" in NFC: 5A 6F C3 AB.
    zoe[3] = 0x5a_6f_c3;
    zoe[4] = 0xab_00_00;
    harbour.push(zoe);
    let mut listed = vec![0; 17];
    listed[1] = 1;
    harbour.push(listed);
    harbour.push(vec![0; 17]);
    let mut after_zero = harbour_master("Al");
    after_zero[5] = 0x42_00_00;
    harbour.push(after_zero);
    let mut not_utf8 = harbour_master("");
    not_utf8[3] = 0xff_fe_00;
    harbour.push(not_utf8);
    let mut unused = vec![0; 17];
    unused[3] = 0x41_00_00;
    harbour.push(unused);
    harbour.push(harbour_master(""));
    let hm_contest = m
        .contests
        .iter()
        .find(|c| c.id == "harbour-master")
        .ok_or_else(|| anyhow::anyhow!("no harbour master"))?;
    let write_ins = hm_contest
        .write_ins
        .ok_or_else(|| anyhow::anyhow!("no write-ins"))?;
    let slot_rule: Vec<Value> = harbour
        .iter()
        .map(|row| {
            let reading = match psephos_core::write_in::read_slot(&write_ins, row[2], &row[3..]) {
                psephos_core::write_in::SlotReading::Unused => json!("unused"),
                psephos_core::write_in::SlotReading::Invalid => json!("invalid"),
                psephos_core::write_in::SlotReading::Name(n) => json!({ "name": n }),
            };
            json!({ "row": row, "slot": reading })
        })
        .collect();
    let mix = MixResult {
        election: *election.hash(),
        lists: Digest([0x11; 32]),
        contests: vec![
            MixedContestResult {
                contest: "mayor".into(),
                counts: vec![0; 4],
                rows: rows.clone(),
            },
            MixedContestResult {
                contest: "council".into(),
                counts: vec![0; 4],
                rows: council.clone(),
            },
            MixedContestResult {
                contest: "harbour-master".into(),
                counts: vec![0; 17],
                rows: harbour,
            },
        ],
    };
    let counts = count_ranked(&m, election.hash(), &mix)?;
    let (mixed, _) = MixedCount::recount(&m, election.hash(), &mix)?;
    Ok(json!({
        "description": "Ranked and write-in contests of election-config/ranked-2026.toml (§6.2, §13.11): the manifest's canonical bytes, ballots under the joint key of the simulated ceremony with seed 60 and attacks on their rank and write-in text ciphertexts, the row rule (preferences_from_ranks), the write-in slot rule, and the mixed count (entry kind 16, ranked transcripts and write-in counts) of fixed decrypted rows with a fixed lists digest.",
        "manifest": m,
        "manifest_hex": hex::encode(m.to_canonical_bytes()),
        "manifest_hash": election.manifest_hash(),
        "joint_key": election.key().point(),
        "election_hash": election.hash(),
        "valid": valid,
        "whole": whole,
        "row_rule": rules,
        "mix_result": mix,
        "transcripts": counts.iter().map(|c| json!({ "contest": c.contest, "transcript": c.transcript, "canonical_hex": hex::encode(c.transcript.canonical_bytes()) })).collect::<Vec<_>>(),
        "mixed_count_hex": hex::encode(mixed.to_canonical_bytes()),
        "write_in_attacks": write_in_attacks,
        "slot_rule": slot_rule,
        "write_in_counts": mixed.write_ins.iter().map(|(c, w)| json!({ "contest": c, "ballots": w.ballots, "counts": w.counts, "names": w.names, "invalid": w.invalid, "canonical_hex": hex::encode(w.to_canonical_bytes()) })).collect::<Vec<_>>(),
    }))
}

/// Generates every vector file.
pub fn generate() -> anyhow::Result<VectorSet> {
    let prims = primitives()?;
    let negatives = small_proof_negatives(&prims)?;
    let mut p = prims;
    p["negative"] = negatives;
    let mut set = VectorSet::new();
    set.insert("primitives.json", p);
    set.insert("ballots.json", ballots()?);
    set.insert("tally.json", tally()?);
    set.insert("ceremony.json", ceremony()?);
    set.insert("shuffle.json", shuffle()?);
    set.insert("ranked.json", ranked()?);
    Ok(set)
}

/// The bytes written for a vector file (pretty JSON, trailing newline).
pub fn render(v: &Value) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(v)? + "\n")
}
