//! Fixed keys and the board configuration of the tests: the same bytes on every run, so a failure
//! repeats, and nobody mistakes them for real keys (`[7; 32]` signs for the board).

use std::time::Duration;

use ed25519_dalek::SigningKey;
use psephos_board::checkpoint::Cosigner;
use psephos_board::note::VerifierKey;
use psephos_board::BoardConfig;

/// The test board's origin line (its checkpoints' first line): the test election's origin in
/// the test service ([`SERVICE_ORIGIN`]`/`[`ELECTION`]).
pub const ORIGIN: &str = "board.test/psephos-2026";

/// The test service's origin: its elections' origins are `board.test/<election>`.
pub const SERVICE_ORIGIN: &str = "board.test";

/// The test election's id (slug) in the test service.
pub const ELECTION: &str = "psephos-2026";

/// The test election's API prefix.
pub const E: &str = "/api/v1/elections/psephos-2026";

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

/// The board configuration of election `slug` of the test service: the key derived from
/// [`board_key`] (the service's key), the origin `board.test/<slug>`, two witnesses, sealing
/// only when asked. What the service itself opens for that election.
pub fn election_config(slug: &str) -> BoardConfig {
    use psephos_board::election_key::{election_origin, election_signing_key, ElectionSlug};
    let slug = ElectionSlug::new(slug).unwrap();
    let mut c = BoardConfig::new(
        election_origin(SERVICE_ORIGIN, &slug),
        election_signing_key(&board_key(), &slug),
    );
    c.witnesses = witness_keys(2);
    c.seal_interval = Duration::from_secs(3600);
    c
}
