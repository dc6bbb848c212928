//! Zero-knowledge proofs (`docs/protocol.md`, §5).
//!
//! Every proof here is a non-interactive Σ-protocol made with Fiat–Shamir over a merlin
//! transcript ([`crate::transcript`]), except the range proofs, which are Bulletproofs over the
//! same transcript. Σ-proofs carry their *commitments* (not only challenge and responses), so
//! that a verifier can fold every verification equation of many ballots into one multiscalar
//! multiplication ([`batch::BatchVerifier`]); single verification is the same code with a batch
//! of one, so the two cannot disagree.
//!
//! Provers draw nonces from a hedged transcript RNG (witness + transcript + fresh randomness) and
//! never branch on secret data: the disjunctive prover treats the real and simulated branches
//! with the same operations and selects between them with `subtle`.

pub mod batch;
pub mod chaum_pedersen;
pub mod disjunctive;
pub mod link;
pub mod range;
mod range_prover;
pub mod schnorr;
pub mod shuffle;

pub use batch::BatchVerifier;
pub use chaum_pedersen::ChaumPedersenProof;
pub use disjunctive::DisjunctiveProof;
pub use link::LinkProof;
pub use range::RangeProof;
pub use schnorr::SchnorrProof;
pub use shuffle::ShuffleProof;
