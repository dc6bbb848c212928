//! The derivation of an election's board key from the service's (`docs/protocol.md` §10.16):
//! a known-answer vector computed independently of this crate, with Python's `hashlib` and the
//! `cryptography` package's Ed25519:
//!
//! ```text
//! seed = sha256(bytes([29]) + b"psephos/election-board-key v1" + bytes([7]) * 32 + b"municipal-2026")
//! ```

#![allow(clippy::unwrap_used)]

use ed25519_dalek::SigningKey;
use psephos_board::election_key::{election_origin, election_signing_key, ElectionSlug};
use psephos_board::note::NoteSigner;

#[test]
fn election_board_key_known_answer() {
    let service = SigningKey::from_bytes(&[7; 32]);
    let slug = ElectionSlug::new("municipal-2026").unwrap();
    let key = election_signing_key(&service, &slug);
    assert_eq!(
        hex::encode(key.as_bytes()),
        "07ead87121c24aa58e569d386ac7544704df040977f92090346183d16a8c9ee6"
    );
    assert_eq!(
        hex::encode(key.verifying_key().as_bytes()),
        "42bd4767e439fd1febb834cbf8fefb74a3218024327a4f32f43eaa6fab029157"
    );
    let origin = election_origin("board.example.org", &slug);
    assert_eq!(origin, "board.example.org/municipal-2026");
    let signer = NoteSigner::new(&origin, key).unwrap();
    assert_eq!(
        signer.verifier_key().to_string(),
        "board.example.org/municipal-2026+d45b087c+AUK9R2fkOf0f67g0y/j++3SjIYAkMnpPMvQ+qm+rApFX"
    );
}

#[test]
fn slug_a_known_answer() {
    let service = SigningKey::from_bytes(&[7; 32]);
    let key = election_signing_key(&service, &ElectionSlug::new("a").unwrap());
    assert_eq!(
        hex::encode(key.as_bytes()),
        "af5293b2b2ae2367a33b9b0ce5863b5181a23cb732d75bb8415073134206c02c"
    );
}
