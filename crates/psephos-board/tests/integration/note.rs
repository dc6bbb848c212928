//! Signed notes, checkpoints and cosignatures: known answers from Go's
//! `sumdb/note`, round trips, quorum checks and strict-parsing negatives.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use ed25519_dalek::{Signer as _, SigningKey, Verifier as _};
use proptest::prelude::*;
use psephos_board::checkpoint::{verify_quorum, Checkpoint, Cosigner, SignedCheckpoint};
use psephos_board::merkle::{leaf_hash, Hash};
use psephos_board::note::{
    key_id, Note, NoteError, NoteSigner, SignatureType, VerifierKey, MAX_NOTE_SIZE, MAX_SIGNATURES,
};
use sha2::{Digest, Sha256};

const ORIGIN: &str = "board.example.org/election-2026";

// The example key and note from the documentation of golang.org/x/mod/sumdb/note.
const GO_SKEY: &str =
    "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const GO_VKEY: &str = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const GO_TEXT: &str = "If you think cryptography is the answer to your problem,\n\
                       then you don't know what your problem is.\n";
const GO_SIG_LINE: &str = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n";

fn go_signing_key() -> SigningKey {
    let b64 = GO_SKEY.splitn(5, '+').nth(4).unwrap();
    let raw = BASE64.decode(b64).unwrap();
    assert_eq!(raw[0], 0x01);
    SigningKey::from_bytes(&raw[1..].try_into().unwrap())
}

fn key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn board() -> NoteSigner {
    NoteSigner::new(ORIGIN, key(1)).unwrap()
}

fn witness(i: u8) -> Cosigner {
    Cosigner::new(&format!("witness{i}.example.net"), key(100 + i)).unwrap()
}

fn checkpoint() -> Checkpoint {
    Checkpoint::new(ORIGIN, 1234, leaf_hash(b"root"))
}

fn signed() -> String {
    checkpoint().sign(&board()).unwrap().encode().unwrap()
}

fn open(msg: &str) -> Result<SignedCheckpoint, NoteError> {
    SignedCheckpoint::open(msg.as_bytes(), ORIGIN, board().verifier_key(), &[])
}

/// A signed checkpoint with a body replaced by `body` (signed properly, so
/// only the body is at fault).
fn signed_body(body: &str) -> String {
    let line = board().sign(body).unwrap();
    let mut note = Note::new(body.to_owned()).unwrap();
    note.add_signature(line).unwrap();
    note.encode().unwrap()
}

#[test]
fn go_example_verifier_key_round_trips() {
    let vkey: VerifierKey = GO_VKEY.parse().unwrap();
    assert_eq!(vkey.name(), "PeterNeumann");
    assert_eq!(vkey.key_id(), 0xc74f20a3);
    assert_eq!(vkey.signature_type(), SignatureType::Ed25519);
    assert_eq!(vkey.to_string(), GO_VKEY);
    assert_eq!(vkey.verifying_key(), &go_signing_key().verifying_key());
}

#[test]
fn go_example_note_verifies_and_signing_reproduces_it() {
    let msg = format!("{GO_TEXT}\n{GO_SIG_LINE}");
    let note = Note::parse(msg.as_bytes()).unwrap();
    assert_eq!(note.text(), GO_TEXT);
    let vkey: VerifierKey = GO_VKEY.parse().unwrap();
    let verified = note.verify(std::slice::from_ref(&vkey)).unwrap();
    assert_eq!(verified.len(), 1);
    assert_eq!(verified[0].key, vkey);
    assert_eq!(verified[0].timestamp, None);

    let signer = NoteSigner::new("PeterNeumann", go_signing_key()).unwrap();
    assert_eq!(signer.verifier_key(), &vkey);
    let mut fresh = Note::new(GO_TEXT.to_owned()).unwrap();
    fresh.add_signature(signer.sign(GO_TEXT).unwrap()).unwrap();
    assert_eq!(fresh.encode().unwrap(), msg);
    assert_eq!(Note::parse(msg.as_bytes()).unwrap(), fresh);
}

#[test]
fn key_ids_follow_the_spec() {
    let k = key(7).verifying_key();
    for (t, byte) in [
        (SignatureType::Ed25519, 1u8),
        (SignatureType::CosignatureV1, 4u8),
    ] {
        let mut h = Sha256::new();
        h.update(b"w.example\n");
        h.update([byte]);
        h.update(k.as_bytes());
        let d = h.finalize();
        assert_eq!(
            key_id("w.example", t, &k),
            u32::from_be_bytes([d[0], d[1], d[2], d[3]])
        );
    }
    let w = witness(1);
    assert_eq!(
        w.verifier_key().signature_type(),
        SignatureType::CosignatureV1
    );
    let text = w.verifier_key().to_string();
    assert!(text.starts_with("witness1.example.net+"));
    assert_eq!(text.parse::<VerifierKey>().unwrap(), *w.verifier_key());
}

#[test]
fn checkpoint_body_round_trip() {
    let mut cp = checkpoint();
    let body = cp.to_body().unwrap();
    assert_eq!(
        body,
        format!("{ORIGIN}\n1234\n{}\n", BASE64.encode(cp.root.as_bytes()))
    );
    assert_eq!(Checkpoint::parse_body(&body).unwrap(), cp);
    cp.extensions = vec!["ext one".into(), "— two".into()];
    let body = cp.to_body().unwrap();
    assert!(body.ends_with("\next one\n— two\n"));
    assert_eq!(Checkpoint::parse_body(&body).unwrap(), cp);
    let empty = Checkpoint::new(ORIGIN, 0, Hash::EMPTY_TREE);
    assert_eq!(
        Checkpoint::parse_body(&empty.to_body().unwrap()).unwrap(),
        empty
    );
    // The C2SP example body.
    let example =
        "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n";
    let cp = Checkpoint::parse_body(example).unwrap();
    assert_eq!(cp.size, 20852163);
    assert_eq!(cp.to_body().unwrap(), example);
}

#[test]
fn signed_checkpoint_opens() {
    let msg = signed();
    assert!(msg.starts_with(&checkpoint().to_body().unwrap()));
    assert!(msg.contains(&format!("\n\n\u{2014} {ORIGIN} ")));
    let sc = open(&msg).unwrap();
    assert_eq!(sc.text(), msg);
    assert_eq!(sc.checkpoint(), &checkpoint());
    assert_eq!(sc.verified_by().len(), 1);
    assert_eq!(&sc.verified_by()[0].key, board().verifier_key());
    assert_eq!(sc.note().encode().unwrap(), msg);
}

fn cosigned(witnesses: &[Cosigner], time: u64) -> String {
    let msg = signed();
    let sc = open(&msg).unwrap();
    let mut note = sc.note().clone();
    for w in witnesses {
        note.add_signature(w.cosign(&sc, time).unwrap()).unwrap();
    }
    note.encode().unwrap()
}

#[test]
fn cosignature_signs_the_specified_message() {
    let sc = open(&signed()).unwrap();
    let w = witness(1);
    let line = w.cosign(&sc, 1679315147).unwrap();
    assert_eq!(line.name(), "witness1.example.net");
    assert_eq!(line.key_id(), w.verifier_key().key_id());
    let sig = line.signature();
    assert_eq!(sig.len(), 72);
    assert_eq!(&sig[..8], &1679315147u64.to_be_bytes());
    let message = format!(
        "cosignature/v1\ntime 1679315147\n{}",
        checkpoint().to_body().unwrap()
    );
    let ed = ed25519_dalek::Signature::from_slice(&sig[8..]).unwrap();
    key(101)
        .verifying_key()
        .verify(message.as_bytes(), &ed)
        .unwrap();
    assert_eq!(w.cosign(&sc, 1 << 63), Err(NoteError::TimestampOutOfRange));
}

#[test]
fn quorum_counts_distinct_known_witnesses() {
    let ws = [witness(1), witness(2), witness(3)];
    let keys: Vec<VerifierKey> = ws.iter().map(|w| w.verifier_key().clone()).collect();
    let log = board().verifier_key().clone();

    let msg = cosigned(&ws[..2], 1_700_000_000);
    let sc = verify_quorum(msg.as_bytes(), ORIGIN, &log, &keys, 2).unwrap();
    assert_eq!(sc.verified_by().len(), 3);
    assert_eq!(sc.verified_by()[1].timestamp, Some(1_700_000_000));
    assert_eq!(sc.check_quorum(&keys, 2), Ok(2));
    assert_eq!(
        sc.check_quorum(&keys, 3),
        Err(NoteError::QuorumNotMet {
            required: 3,
            got: 2
        })
    );
    // Only witnesses in the given set count.
    assert_eq!(
        sc.check_quorum(&keys[1..], 2),
        Err(NoteError::QuorumNotMet {
            required: 2,
            got: 1
        })
    );
    // Unknown witnesses are ignored, not counted.
    let msg = cosigned(&[witness(1), witness(9)], 5);
    let sc = verify_quorum(msg.as_bytes(), ORIGIN, &log, &keys, 1).unwrap();
    assert_eq!(sc.check_quorum(&keys, 1), Ok(1));
    assert!(verify_quorum(msg.as_bytes(), ORIGIN, &log, &keys, 2).is_err());
    // A witness that signs twice counts once.
    let msg = cosigned(&[witness(1)], 5);
    let line = msg.lines().last().unwrap();
    let doubled = format!("{msg}{line}\n");
    assert_eq!(
        verify_quorum(doubled.as_bytes(), ORIGIN, &log, &keys, 2),
        Err(NoteError::QuorumNotMet {
            required: 2,
            got: 1
        })
    );
    // The board's own signature is not a cosignature.
    let msg = signed();
    assert_eq!(
        verify_quorum(msg.as_bytes(), ORIGIN, &log, &keys, 1),
        Err(NoteError::QuorumNotMet {
            required: 1,
            got: 0
        })
    );
    assert!(verify_quorum(msg.as_bytes(), ORIGIN, &log, &keys, 0).is_ok());
}

/// Re-encodes the last signature line of `msg` with one bit of the signature
/// flipped (the key ID kept).
fn corrupt_last_signature(msg: &str, byte: usize) -> String {
    let (head, line) = msg.trim_end_matches('\n').rsplit_once('\n').unwrap();
    let (name, b64) = line.rsplit_once(' ').unwrap();
    let mut raw = BASE64.decode(b64).unwrap();
    raw[4 + byte] ^= 0x01;
    format!("{head}\n{name} {}\n", BASE64.encode(raw))
}

#[test]
fn bad_signatures_reject_the_note() {
    let log = board().verifier_key().clone();
    let bad = corrupt_last_signature(&signed(), 10);
    assert!(matches!(open(&bad), Err(NoteError::BadSignature { .. })));

    let keys = [witness(1).verifier_key().clone()];
    let msg = cosigned(&[witness(1)], 42);
    // Flip a bit in the timestamp, then in the Ed25519 signature.
    for byte in [7, 20] {
        let bad = corrupt_last_signature(&msg, byte);
        assert!(matches!(
            SignedCheckpoint::open(bad.as_bytes(), ORIGIN, &log, &keys),
            Err(NoteError::BadSignature { .. })
        ));
        // Without the witness key, the bad cosignature is just unknown.
        assert!(SignedCheckpoint::open(bad.as_bytes(), ORIGIN, &log, &[]).is_ok());
    }

    // A checkpoint signed by another key under the board's name.
    let impostor = NoteSigner::new(ORIGIN, key(66)).unwrap();
    let msg = checkpoint().sign(&impostor).unwrap().encode().unwrap();
    assert_eq!(open(&msg), Err(NoteError::MissingLogSignature));

    // Signed only by a witness.
    let sc = open(&signed()).unwrap();
    let mut note = Note::new(sc.note().text().to_owned()).unwrap();
    note.add_signature(witness(1).cosign(&sc, 1).unwrap())
        .unwrap();
    let msg = note.encode().unwrap();
    assert_eq!(
        SignedCheckpoint::open(msg.as_bytes(), ORIGIN, &log, &keys),
        Err(NoteError::MissingLogSignature)
    );

    // A cosignature key given as the log key, and vice versa.
    assert!(matches!(
        SignedCheckpoint::open(signed().as_bytes(), ORIGIN, &keys[0], &[]),
        Err(NoteError::WrongKeyType(_))
    ));
    assert!(matches!(
        SignedCheckpoint::open(
            signed().as_bytes(),
            ORIGIN,
            &log,
            std::slice::from_ref(&log)
        ),
        Err(NoteError::WrongKeyType(_))
    ));
}

#[test]
fn wrong_origin_is_rejected() {
    let msg = signed();
    assert_eq!(
        SignedCheckpoint::open(
            msg.as_bytes(),
            "other.example/log",
            board().verifier_key(),
            &[]
        ),
        Err(NoteError::WrongOrigin {
            expected: "other.example/log".into(),
            found: ORIGIN.into()
        })
    );
}

#[test]
fn tree_size_must_be_canonical_decimal() {
    let root = BASE64.encode([0u8; 32]);
    for bad in [
        "01",
        "+1",
        "1a",
        "-1",
        "",
        " 1",
        "1 ",
        "00",
        "18446744073709551616",
        "１",
    ] {
        let body = format!("{ORIGIN}\n{bad}\n{root}\n");
        assert_eq!(
            Checkpoint::parse_body(&body),
            Err(NoteError::BadTreeSize),
            "size {bad:?}"
        );
        if !bad.is_empty() {
            assert_eq!(open(&signed_body(&body)), Err(NoteError::BadTreeSize));
        }
    }
    for good in ["0", "1", "10", "18446744073709551615"] {
        let body = format!("{ORIGIN}\n{good}\n{root}\n");
        assert_eq!(
            Checkpoint::parse_body(&body).unwrap().size.to_string(),
            good
        );
    }
}

#[test]
fn root_must_be_canonical_base64_of_32_bytes() {
    let cases = [
        ("!!!!".to_owned(), NoteError::BadBase64),
        // Unpadded.
        (
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I".to_owned(),
            NoteError::BadBase64,
        ),
        // Non-canonical trailing bits.
        (
            "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2J=".to_owned(),
            NoteError::BadBase64,
        ),
        // URL-safe alphabet.
        (
            "CsUYapGGPo4dkMgIAUqom_Xajj7h2fB2MPA3j2jxq2I=".to_owned(),
            NoteError::BadBase64,
        ),
        (BASE64.encode([0u8; 31]), NoteError::BadRootHash),
        (BASE64.encode([0u8; 33]), NoteError::BadRootHash),
    ];
    for (root, want) in cases {
        let body = format!("{ORIGIN}\n5\n{root}\n");
        assert_eq!(
            Checkpoint::parse_body(&body),
            Err(want.clone()),
            "root {root:?}"
        );
        assert_eq!(open(&signed_body(&body)), Err(want));
    }
}

#[test]
fn malformed_bodies_are_rejected() {
    let root = BASE64.encode([0u8; 32]);
    let cases = [
        format!("{ORIGIN}\n5\n"),
        format!("{ORIGIN}\n"),
        format!("\n5\n{root}\n"),
        format!("{ORIGIN}\n5\n{root}\n\n"),
        format!("{ORIGIN}\n5\n{root}\next\n\n"),
    ];
    for body in cases {
        assert!(
            matches!(
                Checkpoint::parse_body(&body),
                Err(NoteError::MalformedCheckpoint(_))
            ),
            "{body:?}"
        );
    }
    assert_eq!(
        Checkpoint::parse_body(&format!("{ORIGIN}\n5\n{root}")),
        Err(NoteError::MissingFinalNewline)
    );
    assert_eq!(
        Checkpoint::parse_body(&format!("{ORIGIN}\r\n5\n{root}\n")),
        Err(NoteError::ControlCharacter)
    );
    let mut cp = checkpoint();
    cp.origin = "two\nlines".into();
    assert!(cp.to_body().is_err());
    cp.origin = String::new();
    assert!(cp.to_body().is_err());
    let mut cp = checkpoint();
    cp.extensions = vec![String::new()];
    assert!(cp.to_body().is_err());
    cp.extensions = vec!["tab\there".into()];
    assert_eq!(cp.to_body(), Err(NoteError::ControlCharacter));
}

#[test]
fn note_framing_is_strict() {
    let msg = signed();
    let body = checkpoint().to_body().unwrap();
    let sig_block = &msg[body.len() + 1..];

    // Missing trailing newline.
    assert_eq!(
        open(msg.trim_end_matches('\n')),
        Err(NoteError::MissingFinalNewline)
    );
    // Trailing garbage: an extra line, or bytes after the last newline.
    assert_eq!(
        open(&format!("{msg}garbage\n")),
        Err(NoteError::MalformedSignatureLine)
    );
    assert_eq!(
        open(&format!("{msg}garbage")),
        Err(NoteError::MissingFinalNewline)
    );
    assert_eq!(
        open(&format!("{msg}\u{2014} {ORIGIN}\n")),
        Err(NoteError::MalformedSignatureLine)
    );
    // Missing blank line between text and signatures.
    assert_eq!(
        open(&format!("{body}{sig_block}")),
        Err(NoteError::MissingSignatureBlock)
    );
    // A blank line but no signatures.
    assert_eq!(open(&format!("{body}\n")), Err(NoteError::NoSignatures));
    // Hyphens instead of the em dash.
    assert_eq!(
        open(&msg.replace('\u{2014}', "--")),
        Err(NoteError::MalformedSignatureLine)
    );
    // Bad base64 in a signature.
    let (name_part, b64) = sig_block.trim_end().rsplit_once(' ').unwrap();
    let unpadded = format!("{body}\n{name_part} {}\n", b64.trim_end_matches('='));
    assert_eq!(open(&unpadded), Err(NoteError::BadBase64));
    let spaced = format!("{body}\n{name_part}  {b64}\n");
    assert_eq!(open(&spaced), Err(NoteError::BadBase64));
    // A signature too short to hold a key ID and a byte.
    let short = format!("{body}\n{name_part} {}\n", BASE64.encode([1u8, 2, 3, 4]));
    assert_eq!(open(&short), Err(NoteError::MalformedSignatureLine));
    // Key names with a plus.
    let plus = format!("{body}\n\u{2014} a+b {b64}\n");
    assert_eq!(open(&plus), Err(NoteError::InvalidKeyName));
    // Control characters and invalid UTF-8.
    assert_eq!(
        open(&msg.replacen('\n', "\r\n", 1)),
        Err(NoteError::ControlCharacter)
    );
    let mut bytes = msg.clone().into_bytes();
    bytes[3] = 0xff;
    assert_eq!(
        SignedCheckpoint::open(&bytes, ORIGIN, board().verifier_key(), &[]),
        Err(NoteError::NotUtf8)
    );
}

#[test]
fn size_and_signature_limits() {
    let msg = signed();
    let body = checkpoint().to_body().unwrap();
    let sig_block = &msg[body.len() + 1..];

    // Oversized note: one extension line past 1 MiB.
    let mut cp = checkpoint();
    cp.extensions = vec!["x".repeat(MAX_NOTE_SIZE)];
    assert!(matches!(cp.to_body(), Err(NoteError::TooLarge { .. })));
    let huge = format!("{body}{}\n\n{sig_block}", "x".repeat(MAX_NOTE_SIZE));
    assert_eq!(
        open(&huge),
        Err(NoteError::TooLarge {
            size: huge.len(),
            max: MAX_NOTE_SIZE
        })
    );

    // Up to MAX_SIGNATURES lines are fine; one more is not.
    let unknown = format!("\u{2014} someone.example {}\n", BASE64.encode([9u8; 68]));
    let at_limit = format!("{msg}{}", unknown.repeat(MAX_SIGNATURES - 1));
    assert!(open(&at_limit).is_ok());
    let over = format!("{at_limit}{unknown}");
    assert_eq!(
        open(&over),
        Err(NoteError::TooManySignatures {
            max: MAX_SIGNATURES
        })
    );
}

#[test]
fn verifier_key_parsing_is_strict() {
    let good = board().verifier_key().to_string();
    assert_eq!(
        good.parse::<VerifierKey>().unwrap(),
        *board().verifier_key()
    );
    let (name, rest) = good.split_once('+').unwrap();
    let (id, key_b64) = rest.split_once('+').unwrap();

    let wrong_id = format!(
        "{name}+{:08x}+{key_b64}",
        u32::from_str_radix(id, 16).unwrap() ^ 1
    );
    assert_eq!(
        wrong_id.parse::<VerifierKey>(),
        Err(NoteError::KeyIdMismatch)
    );
    assert_eq!(
        format!("other.example+{id}+{key_b64}").parse::<VerifierKey>(),
        Err(NoteError::KeyIdMismatch)
    );
    for bad in [
        format!("{name}+{id}"),
        format!("{name}+{}+{key_b64}", &id[1..]),
        format!("{name}+0{id}+{key_b64}"),
        format!("{name}+zzzzzzzz+{key_b64}"),
    ] {
        assert_eq!(
            bad.parse::<VerifierKey>(),
            Err(NoteError::MalformedVerifierKey),
            "{bad}"
        );
    }
    assert_eq!(
        format!("bad name+{id}+{key_b64}").parse::<VerifierKey>(),
        Err(NoteError::InvalidKeyName)
    );
    assert_eq!(
        format!("+{id}+{key_b64}").parse::<VerifierKey>(),
        Err(NoteError::InvalidKeyName)
    );
    let raw = BASE64.decode(key_b64).unwrap();
    let mut other_type = raw.clone();
    other_type[0] = 0x02;
    assert_eq!(
        format!("{name}+{id}+{}", BASE64.encode(&other_type)).parse::<VerifierKey>(),
        Err(NoteError::UnsupportedSignatureType(0x02))
    );
    assert_eq!(
        format!("{name}+{id}+{}", BASE64.encode(&raw[..32])).parse::<VerifierKey>(),
        Err(NoteError::InvalidPublicKey)
    );
    assert_eq!(
        format!("{name}+{id}+{}", &key_b64[1..]).parse::<VerifierKey>(),
        Err(NoteError::BadBase64)
    );
    // The identity point has small order: rejected.
    let mut identity = [0u8; 33];
    identity[0] = 1;
    identity[1] = 1;
    assert_eq!(
        format!("{name}+{id}+{}", BASE64.encode(identity)).parse::<VerifierKey>(),
        Err(NoteError::InvalidPublicKey)
    );
    assert!(NoteSigner::new("has space", key(1)).is_err());
    assert!(Cosigner::new("", key(1)).is_err());
}

#[test]
fn known_key_list_edge_cases() {
    // A key listed twice is not ambiguous; no known key at all is an error.
    let log = board().verifier_key().clone();
    let note = Note::parse(signed().as_bytes()).unwrap();
    assert_eq!(note.verify(&[log.clone(), log.clone()]).unwrap().len(), 1);
    assert_eq!(note.verify(&[]), Err(NoteError::NoKnownSignature));
}

#[test]
fn signers_do_not_print_secrets() {
    let s = format!("{:?} {:?}", board(), witness(1));
    assert!(s.contains(ORIGIN) && s.contains("witness1.example.net"));
    let secret = hex::encode([1u8; 32]);
    assert!(!s.contains(&secret) && !s.contains("[1, 1, 1"));
}

#[test]
fn signing_is_deterministic_and_matches_dalek() {
    let body = checkpoint().to_body().unwrap();
    let line = board().sign(&body).unwrap();
    assert_eq!(line.signature(), key(1).sign(body.as_bytes()).to_bytes());
    assert!(board().sign("no newline").is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn checkpoint_round_trips(
        origin in "[a-z0-9./-]{1,40}",
        size in any::<u64>(),
        root in any::<[u8; 32]>(),
        extensions in proptest::collection::vec("[ -~]{1,20}", 0..3),
    ) {
        let cp = Checkpoint { origin: origin.clone(), size, root: Hash(root), extensions };
        let msg = cp.sign(&NoteSigner::new(&origin, key(3)).unwrap()).unwrap().encode().unwrap();
        let vkey = NoteSigner::new(&origin, key(3)).unwrap().verifier_key().clone();
        let sc = SignedCheckpoint::open(msg.as_bytes(), &origin, &vkey, &[]).unwrap();
        prop_assert_eq!(sc.checkpoint(), &cp);
        prop_assert_eq!(sc.text(), msg.as_str());
    }

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = Note::parse(&bytes);
        if let Ok(s) = std::str::from_utf8(&bytes) {
            let _ = Checkpoint::parse_body(s);
            let _ = s.parse::<VerifierKey>();
        }
    }

    #[test]
    fn structured_garbage_never_panics(
        text in "([a-z0-9]{0,5}\n){0,5}",
        lines in proptest::collection::vec("(\u{2014} )?[a-z]{0,4}( [A-Za-z0-9+/=]{0,12})?\n?", 0..4),
    ) {
        let msg = format!("{text}\n{}", lines.concat());
        let _ = Note::parse(msg.as_bytes());
        let _ = open(&msg);
    }
}
