//! Fixed keys and the board configuration of the tests: the same bytes on every run, so a failure
//! repeats, and nobody mistakes them for real keys (`[7; 32]` signs for the board).

use std::time::Duration;

use ed25519_dalek::SigningKey;
use psephos_board::checkpoint::Cosigner;
use psephos_board::note::VerifierKey;
use psephos_board::BoardConfig;

/// The test board's origin line (its checkpoints' first line).
pub const ORIGIN: &str = "board.test/psephos-2026";

/// The board's signing key (fixed, so tests are repeatable).
pub fn board_key() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

/// Witness number `i`.
pub fn witness(i: u8) -> Cosigner {
    Cosigner::new(
        &format!("witness-{i}.test"),
        SigningKey::from_bytes(&[100 + i; 32]),
    )
    .unwrap()
}

/// The verifier keys of witnesses `0..n`.
pub fn witness_keys(n: u8) -> Vec<VerifierKey> {
    (0..n).map(|i| witness(i).verifier_key().clone()).collect()
}

/// A configuration that seals only when asked (or at close).
pub fn config() -> BoardConfig {
    let mut c = BoardConfig::new(ORIGIN, board_key());
    c.witnesses = witness_keys(2);
    c.seal_interval = Duration::from_secs(3600);
    c
}
