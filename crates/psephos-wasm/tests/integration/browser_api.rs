//! The browser's functions, run natively: the same Rust the wasm build exports. Each check has
//! its negative cases (tampered election, challenged ballot cast, foreign receipt, wrong board
//! key, bad proof, altered reveal).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ed25519_dalek::SigningKey;
use psephos_board::checkpoint::{Checkpoint, Cosigner, SignedCheckpoint};
use psephos_board::merkle::{inclusion_proof, MemoryTree};
use psephos_board::note::NoteSigner;
use psephos_board::SealedReceipt;
use psephos_board::{Entry, EntryKind};
use psephos_core::ballot::{EncryptedBallot, PlaintextBallot};
use psephos_core::credential::CredentialCode;
use psephos_core::election::{election_hash, Manifest};
use psephos_core::encoding::Canonical;
use psephos_core::sim;
use psephos_record::Challenged;
use psephos_wasm::booth::{check_code, public_credential, Booth, CodeCheck};
use psephos_wasm::election::ElectionInfo;
use psephos_wasm::receipt::{ballot_leaf, open_checkpoint, parse_witness_keys, verify_receipt};
use psephos_wasm::{challenge, Error};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

const ORIGIN: &str = "board.example/test";

const TOML: &str = r#"
[election]
id = "browser-test"
name = "Browser test"
[trustees]
count = 3
threshold = 2
[[contests]]
id = "q"
title = "Question"
kind = "referendum"
[[contests]]
id = "parks"
title = "Parks"
kind = "approval"
min_selections = 1
max_selections = 2
options = [{ id = "a", label = "Alpha" }, { id = "b", label = "Beta" }, { id = "c", label = "Gamma" }]
[[contests]]
id = "budget"
title = "Budget"
kind = "budget"
budget = 300
options = [{ id = "x", label = "X", cost = 100 }, { id = "y", label = "Y", cost = 250 }]
[[ballot_styles]]
id = "all"
contests = ["q", "parks", "budget"]
"#;

fn board_signer() -> NoteSigner {
    NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[1; 32])).unwrap()
}

/// `GET /api/v1/elections/{election}` as the server answers it.
fn election_json(rng: &mut ChaCha20Rng) -> Value {
    election_json_of(TOML, rng)
}

/// The same for the election of manifest `toml`.
pub(crate) fn election_json_of(toml: &str, rng: &mut ChaCha20Rng) -> Value {
    let manifest = Manifest::from_toml(toml).unwrap();
    let ceremony = sim::ceremony(&manifest.hash(), 3, 2, rng);
    json!({
        "phase": "open",
        "manifest": manifest,
        "manifest_hash": manifest.hash(),
        "key": {
            "ceremony": manifest.hash(),
            "qualified": [1, 2, 3],
            "joint_key": ceremony.joint_key,
            "verification_keys": [],
            "election_hash": election_hash(&manifest.hash(), &ceremony.joint_key),
        },
        "ceremony": { "id": manifest.hash(), "count": 3, "threshold": 2, "trustees": [] },
        "counts": psephos_record::Counts::default(),
        "board": { "origin": ORIGIN, "size": 5, "verifier_key": board_signer().verifier_key().to_string() },
    })
}

fn choices() -> String {
    json!({"style": "all", "contests": [
        {"contest": "q", "values": [1, 0]},
        {"contest": "parks", "values": [1, 0, 1]},
        {"contest": "budget", "values": [0, 1]},
    ]})
    .to_string()
}

pub(crate) fn code(rng: &mut ChaCha20Rng) -> String {
    CredentialCode::generate(rng).expose()
}

#[test]
fn credential_codes_give_live_feedback() {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let c = code(&mut rng);
    assert_eq!(check_code(&c), CodeCheck::Valid);
    assert_eq!(check_code(&c.to_lowercase()), CodeCheck::Valid);
    assert_eq!(
        check_code(&c[..8]),
        CodeCheck::Incomplete {
            symbols: 7,
            expected: 24
        }
    );
    assert_eq!(
        check_code("AB-U"),
        CodeCheck::BadCharacter {
            position: 3,
            character: "U".into()
        }
    );
    let typo: String = c
        .chars()
        .enumerate()
        .map(|(i, ch)| {
            if i == 0 {
                if ch == '7' {
                    '8'
                } else {
                    '7'
                }
            } else {
                ch
            }
        })
        .collect();
    assert_eq!(check_code(&typo), CodeCheck::Checksum);
    assert!(matches!(
        check_code(&format!("{c}0")),
        CodeCheck::TooLong { .. }
    ));
    let p = public_credential(&c, "browser-test").unwrap();
    assert_eq!(p.len(), 64);
    assert_ne!(p, public_credential(&c, "another-election").unwrap());
    assert!(matches!(
        public_credential(&typo, "browser-test"),
        Err(Error::Credential(_))
    ));
}

#[test]
fn a_tampered_election_description_is_refused() {
    let mut rng = ChaCha20Rng::seed_from_u64(2);
    let good = election_json(&mut rng);
    assert!(ElectionInfo::parse(&good.to_string()).is_ok());

    let mut v = good.clone();
    v["manifest"]["name"] = json!("Another name");
    assert!(matches!(
        ElectionInfo::parse(&v.to_string()),
        Err(Error::Election(_))
    ));

    let mut v = good.clone();
    let other = election_json(&mut rng);
    v["key"]["joint_key"] = other["key"]["joint_key"].clone();
    assert!(matches!(
        ElectionInfo::parse(&v.to_string()),
        Err(Error::Election(_))
    ));

    let mut v = good.clone();
    v["board"]["origin"] = json!("board.example/other");
    assert!(matches!(
        ElectionInfo::parse(&v.to_string()),
        Err(Error::Election(_))
    ));

    let mut v = good;
    v["key"] = Value::Null;
    assert!(matches!(Booth::new(&v.to_string()), Err(Error::NoKey)));
}

#[test]
fn encrypt_challenge_and_check_on_a_second_device() {
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    let ej = election_json(&mut rng).to_string();
    let mut booth = Booth::new(&ej).unwrap();
    let c = code(&mut rng);
    assert!(matches!(booth.ballot_to_cast(), Err(Error::NoBallot)));

    let enc = booth.encrypt(&c, &choices(), &mut rng).unwrap();
    assert_eq!(enc.tracking_code.len(), 19);
    assert_eq!(enc.ballot.hash().to_hex(), enc.ballot_hash);
    assert_eq!(
        enc.ballot.credential.to_hex(),
        public_credential(&c, "browser-test").unwrap()
    );
    assert_eq!(booth.ballot_to_cast().unwrap(), &enc.ballot);

    let body = booth.challenge().unwrap();
    assert!(matches!(booth.ballot_to_cast(), Err(Error::Challenged)));
    assert!(matches!(booth.challenge(), Err(Error::Challenged)));

    // The second device, from the JSON body and from the board entry.
    let info = ElectionInfo::parse(&ej).unwrap();
    let election = info.election().unwrap();
    let body_json = serde_json::to_string(&body).unwrap();
    let opened = challenge::open_json(election, &body_json).unwrap();
    let expected: PlaintextBallot = serde_json::from_str(&choices()).unwrap();
    assert_eq!(opened.choices, expected);
    assert_eq!(opened.tracking_code, enc.tracking_code);
    assert_eq!(opened.contests[1].options[2], ("Gamma".to_string(), 1));

    let challenged = Challenged {
        ballot: body.ballot.clone(),
        reveal: body.reveal.clone(),
    };
    let entry = Entry::new(EntryKind::Challenge, challenged.to_canonical_bytes()).unwrap();
    let entry_json = json!({"index": 7, "kind": "challenge", "payload": serde_json::to_value(&entry).unwrap()["payload"]});
    let from_board = challenge::open_entry(election, &entry_json.to_string()).unwrap();
    assert_eq!(from_board.index, Some(7));
    assert_eq!(from_board.choices, expected);

    // A device that encrypted something else than it reveals is caught.
    let mut lie = challenged.clone();
    lie.reveal.contests[0][0].value = 0;
    lie.reveal.contests[0][1].value = 1;
    assert!(matches!(
        challenge::open(election, &lie, None),
        Err(Error::Verify(_))
    ));
    // A ballot entry is not a challenge.
    let ballot_entry = json!({"index": 8, "kind": "ballot", "payload": entry_json["payload"]});
    assert!(challenge::open_entry(election, &ballot_entry.to_string()).is_err());

    // Start again: a fresh encryption can be cast; invalid choices are refused.
    let again = booth.encrypt(&c, &choices(), &mut rng).unwrap();
    assert_ne!(again.tracking_code, enc.tracking_code);
    assert!(booth.ballot_to_cast().is_ok());
    let over = choices().replace("[1,0,1]", "[1,1,1]");
    assert_ne!(over, choices());
    assert!(matches!(
        booth.encrypt(&c, &over, &mut rng),
        Err(Error::Choices(_))
    ));
    assert!(matches!(booth.ballot_to_cast(), Err(Error::NoBallot)));
}

/// The sample ranked election: the booth's ranked ballot (per rank position the candidate's
/// number, 0 after the last preference) is encrypted, challenged and opened with the ranking in
/// words; a device that reveals the ranks in another order, or a candidate number out of range,
/// is caught.
#[test]
fn a_ranked_ballot_is_challenged_and_checked() {
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let toml = include_str!("../../../../election-config/ranked-2026.toml");
    let ej = election_json_of(toml, &mut rng).to_string();
    let mut booth = Booth::new(&ej).unwrap();
    let c = code(&mut rng);
    // Mayor: Moreau, Lindqvist (of 4). Council: Chen, Alvarez (of 5, 4 ranks). Referendum: yes.
    // Harbour master: the first listed candidate, the write-in slot unused (all zero).
    let mut harbour = vec![0u64; 2 + 1 + 14];
    harbour[0] = 1;
    let ranked = json!({"style": "city", "contests": [
        {"contest": "mayor", "values": [3, 2, 0, 0]},
        {"contest": "council", "values": [3, 1, 0, 0]},
        {"contest": "night-buses", "values": [1, 0]},
        {"contest": "harbour-master", "values": harbour},
    ]})
    .to_string();
    let enc = booth.encrypt(&c, &ranked, &mut rng).unwrap();
    assert_eq!(enc.ballot.contests[0].ciphertexts.len(), 4, "one per rank");
    let body = booth.challenge().unwrap();
    let info = ElectionInfo::parse(&ej).unwrap();
    let election = info.election().unwrap();
    let opened = challenge::open_json(election, &serde_json::to_string(&body).unwrap()).unwrap();
    let expected: PlaintextBallot = serde_json::from_str(&ranked).unwrap();
    assert_eq!(opened.choices, expected);
    assert_eq!(
        opened.contests[0].options[..3],
        [
            ("Rank 1: Camille Moreau".to_string(), 3),
            ("Rank 2: Erik Lindqvist".to_string(), 2),
            ("Rank 3: no preference".to_string(), 0),
        ]
    );

    // Revealing the ranks swapped (the first two positions' values and nonces): refused.
    let challenged = Challenged {
        ballot: body.ballot.clone(),
        reveal: body.reveal.clone(),
    };
    let mut swapped = challenged.clone();
    swapped.reveal.contests[0].swap(0, 1);
    assert!(matches!(
        challenge::open(election, &swapped, None),
        Err(Error::Verify(_))
    ));
    // Revealing another candidate at rank 1: refused.
    let mut other = challenged;
    other.reveal.contests[0][0].value = 4;
    assert!(matches!(
        challenge::open(election, &other, None),
        Err(Error::Verify(_))
    ));
    // The booth refuses a candidate number beyond the candidates.
    let beyond = ranked.replace("[3,2,0,0]", "[5,2,0,0]");
    assert_ne!(beyond, ranked);
    assert!(matches!(
        booth.encrypt(&c, &beyond, &mut rng),
        Err(Error::Choices(_))
    ));
}

/// A board of `before` filler entries, the ballot, and `after` more; a receipt for the ballot
/// against a checkpoint of the whole tree, signed by the board and cosigned by one witness.
fn receipt_for(ballot: &EncryptedBallot, before: u64, after: u64, witness: &Cosigner) -> Value {
    let mut tree = MemoryTree::new();
    for i in 0..before {
        tree.push(&[i as u8; 40]).unwrap();
    }
    let leaf = ballot_leaf(ballot).unwrap();
    let index = tree.push_leaf_hash(leaf).unwrap();
    for i in 0..after {
        tree.push(&[100 + i as u8; 40]).unwrap();
    }
    let size = tree.size();
    let root = tree.root().unwrap();
    let mut note = Checkpoint::new(ORIGIN, size, root)
        .sign(&board_signer())
        .unwrap();
    let board_key = board_signer().verifier_key().clone();
    let signed =
        SignedCheckpoint::open(note.encode().unwrap().as_bytes(), ORIGIN, &board_key, &[]).unwrap();
    note.add_signature(witness.cosign(&signed, 1_700_000_000).unwrap())
        .unwrap();
    json!({
        "index": index,
        "leaf_hash": leaf,
        "block_number": 3,
        "tree_size": size,
        "root": root,
        "checkpoint": note.encode().unwrap(),
        "inclusion_proof": inclusion_proof(index, size, &tree).unwrap(),
    })
}

#[test]
fn receipts_verify_only_for_their_ballot_and_board() {
    let mut rng = ChaCha20Rng::seed_from_u64(4);
    let ej = election_json(&mut rng).to_string();
    let info = ElectionInfo::parse(&ej).unwrap();
    let mut booth = Booth::new(&ej).unwrap();
    let ballot = booth
        .encrypt(&code(&mut rng), &choices(), &mut rng)
        .unwrap()
        .ballot;
    let other = booth
        .encrypt(&code(&mut rng), &choices(), &mut rng)
        .unwrap()
        .ballot;
    let witness = Cosigner::new("witness.example", SigningKey::from_bytes(&[9; 32])).unwrap();
    let wkeys = parse_witness_keys(&[witness.verifier_key().to_string()]).unwrap();
    let parse = |v: &Value| -> SealedReceipt { serde_json::from_value(v.clone()).unwrap() };

    for (before, after) in [(0, 0), (5, 0), (6, 9), (1000, 23)] {
        let r = receipt_for(&ballot, before, after, &witness);
        let view = verify_receipt(&ballot, &parse(&r), &info.board, &wkeys).unwrap();
        assert_eq!(view.index, before);
        assert_eq!(view.checkpoint.size, before + after + 1);
        assert_eq!(view.checkpoint.witnesses, 1);
        let roles: Vec<&str> = view.checkpoint.signers.iter().map(|s| s.role).collect();
        assert_eq!(roles, ["board", "witness"]);
        // Without the witness key, the cosignature is listed but not counted.
        let view = verify_receipt(&ballot, &parse(&r), &info.board, &[]).unwrap();
        assert_eq!(view.checkpoint.witnesses, 0);
        assert_eq!(view.checkpoint.signers[1].role, "unknown");

        // Someone else's receipt is not this ballot's.
        assert!(matches!(
            verify_receipt(&other, &parse(&r), &info.board, &wkeys),
            Err(Error::Verify(_))
        ));
        // A proof for another position.
        let mut bad = r.clone();
        bad["index"] = json!(before + after);
        if after > 0 {
            assert!(verify_receipt(&ballot, &parse(&bad), &info.board, &wkeys).is_err());
        }
        // A size that is not the checkpoint's.
        let mut bad = r.clone();
        bad["tree_size"] = json!(before + after + 2);
        assert!(verify_receipt(&ballot, &parse(&bad), &info.board, &wkeys).is_err());
        // A flipped proof hash.
        if before + after > 0 {
            let mut bad = r.clone();
            let h = bad["inclusion_proof"]["hashes"][0]
                .as_str()
                .unwrap()
                .to_string();
            let flipped = format!("{}{}", if h.starts_with('0') { "1" } else { "0" }, &h[1..]);
            bad["inclusion_proof"]["hashes"][0] = json!(flipped);
            assert!(verify_receipt(&ballot, &parse(&bad), &info.board, &wkeys).is_err());
        }
    }

    // A checkpoint signed by another key than the board's.
    let r = receipt_for(&ballot, 3, 3, &witness);
    let mut v: Value = serde_json::from_str(&ej).unwrap();
    let impostor = NoteSigner::new(ORIGIN, SigningKey::from_bytes(&[2; 32])).unwrap();
    v["board"]["verifier_key"] = json!(impostor.verifier_key().to_string());
    let info2 = ElectionInfo::parse(&v.to_string()).unwrap();
    assert!(verify_receipt(&ballot, &parse(&r), &info2.board, &wkeys).is_err());
    // A forged witness cosignature rejects the checkpoint.
    let note = r["checkpoint"].as_str().unwrap();
    let mut lines: Vec<String> = note.lines().map(String::from).collect();
    let last = lines.pop().unwrap();
    let forged = format!("{}A{}", &last[..last.len() - 3], &last[last.len() - 2..]);
    let forged = if forged == last {
        last.replace('A', "B")
    } else {
        forged
    };
    lines.push(forged);
    let note = format!("{}\n", lines.join("\n"));
    assert!(open_checkpoint(&note, &info.board, &wkeys).is_err());
}

#[test]
fn a_ballot_found_on_the_board_is_proven_by_its_receipt() {
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let ej = election_json(&mut rng).to_string();
    let info = ElectionInfo::parse(&ej).unwrap();
    let mut booth = Booth::new(&ej).unwrap();
    let enc = booth
        .encrypt(&code(&mut rng), &choices(), &mut rng)
        .unwrap();
    let witness = Cosigner::new("witness.example", SigningKey::from_bytes(&[9; 32])).unwrap();
    let r = receipt_for(&enc.ballot, 4, 2, &witness);
    let receipt: SealedReceipt = serde_json::from_value(r).unwrap();
    let entry = Entry::new(EntryKind::Ballot, enc.ballot.to_canonical_bytes()).unwrap();
    let mut view = serde_json::to_value(&entry).unwrap();
    view["index"] = json!(4);
    let got =
        psephos_wasm::receipt::verify_entry_receipt(&view.to_string(), &receipt, &info.board, &[])
            .unwrap();
    assert_eq!(got.tracking_code, enc.tracking_code);
    // The same entry claimed at another index, or as another kind, is refused.
    view["index"] = json!(5);
    assert!(psephos_wasm::receipt::verify_entry_receipt(
        &view.to_string(),
        &receipt,
        &info.board,
        &[]
    )
    .is_err());
    view["index"] = json!(4);
    view["kind"] = json!("challenge");
    assert!(psephos_wasm::receipt::verify_entry_receipt(
        &view.to_string(),
        &receipt,
        &info.board,
        &[]
    )
    .is_err());
}

#[test]
fn the_verifier_wrapper_refuses_bad_trust_and_reports_on_garbage() {
    use psephos_record::verify::NoProgress;
    use psephos_wasm::verify::{verify, Trust};
    let bad = Trust {
        board_key: Some("not a key".into()),
        witnesses: vec![],
    };
    assert!(matches!(
        verify(b"", &bad, &mut NoProgress),
        Err(Error::Malformed { .. })
    ));
    let witness_as_board = Trust {
        board_key: None,
        witnesses: vec![board_signer().verifier_key().to_string()],
    };
    assert!(verify(b"", &witness_as_board, &mut NoProgress).is_err());
    // Garbage is a failed report, not a panic.
    let report = verify(b"garbage", &Trust::default(), &mut NoProgress).unwrap();
    assert!(!report.passed);
}
