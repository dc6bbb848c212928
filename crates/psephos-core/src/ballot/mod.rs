//! Ballots: plaintext choices, their encryption with every validity proof, the credential's
//! signature, tracking codes, and verification singly or in batches (`docs/protocol.md`, §8).
//!
//! A [`VerifiedBallot`] can only be made by this module's verifier: code that holds one knows
//! that every proof and the signature checked out for the election it was verified against. The
//! board appends only verified ballots, and the tally aggregates only verified ballots.
//!
//! Every proof of a ballot absorbs the election hash, the election key, the voter's public
//! credential and the proof's position (contest, option), so a proof lifted from one ballot
//! fails in any other ballot, credential, position or election (the Helios ballot-copying
//! attack does not apply).
//!
//! The module is split by audience:
//! - `types`: the ballot as data — plaintext choices and the rules they must keep, the
//!   encrypted ballot and its canonical encoding and hashes; what every party reads.
//! - `statement`: what each proof of a ballot states and what enters its transcript; shared
//!   by the prover and the verifier, so the two cannot drift apart.
//! - `encrypt`: the prover, run on the voter's device.
//! - `verify`: the verifier, singly or in batches, and the shape check a server runs first.
//! - `tracking`: the voter's tracking code of a ballot hash, printed and parsed.

mod encrypt;
mod statement;
mod tracking;
mod types;
mod verify;

pub use encrypt::{encrypt_ballot, encrypt_invalid_ballot, BallotSecrets};
pub use statement::limit_implied;
pub use tracking::{TrackingCode, TrackingCodeError, TRACKING_SYMBOLS};
pub use types::*;
pub use verify::{
    check_shape, cost, verify_ballot, verify_ballots, verify_ballots_of, RangeBounds, ShapedBallot,
    ShapedContest, ShapedProofs, VerifiedBallot,
};
