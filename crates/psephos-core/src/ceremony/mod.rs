//! The trustees' key ceremony (`docs/protocol.md`, §9.5): a Feldman-VSS distributed key
//! generation with public complaints and blame, as a pure, message-driven state machine.
//!
//! # Why it looks like this
//!
//! No single trustee and no server may ever hold the election secret, yet `k` honest trustees
//! must always be able to decrypt the tally. Every trustee therefore deals shares of its own
//! random polynomial to all the others (Feldman VSS, §9.1); the election key is the sum of the
//! constant terms of the *qualified* dealers. What this module adds to the arithmetic of
//! [`crate::threshold`] is everything needed to run that between mutually distrusting parties
//! over a public bulletin board:
//!
//! - **A ceremony id** ([`CeremonyParams::id`]) binding the manifest hash, `n`, `k`, the attempt
//!   number and every trustee's two public keys. It enters every signature, every coefficient
//!   proof and every share encryption, so nothing from another ceremony — or from an earlier
//!   attempt of this one — can be replayed here.
//! - **Four rounds of signed messages** ([`Message`]): commitments with coefficient proofs,
//!   encrypted shares, complaints, reveals. Each is signed with the sender's long-term Ed25519 key
//!   over `SHA-256(label ‖ ceremony id ‖ canonical message)` and checked with `verify_strict`, so
//!   the board holds non-repudiable evidence of what every trustee said.
//! - **Complaints answered in public instead of restarts.** A trustee whose share is missing,
//!   undecryptable or fails the Feldman check posts a complaint; the accused dealer must reveal
//!   that share on the board, where anyone checks it against the dealer's commitments. A dealer
//!   that stays silent or reveals a bad share is disqualified; a dealer that reveals a good share
//!   stays, and the accuser uses the revealed share. One cheater never forces a restart: the
//!   ceremony only fails if fewer than `k` dealers remain qualified, and then the error names
//!   them ([`CeremonyError::NotEnoughQualified`]).
//! - **Verdicts from public data only.** [`verify_ceremony`] recomputes the qualified set, the
//!   joint key and every verification key from the board alone, without decrypting anything;
//!   every trustee's [`Trustee::finish`] reaches the same public verdict by the same code
//!   ([`CeremonyState`]).
//!
//! # The board decides the order
//!
//! The state machine keeps no clock. A message of round `r` is accepted while the board is in
//! round `r` or earlier; accepting it moves the board to round `r` and thereby closes the earlier
//! rounds, after which their messages are rejected as late ([`CeremonyError::OutOfRound`]). The
//! server decides when a round closes (all expected messages in, or a deadline) and accepts a
//! message only if [`CeremonyState::receive`] does, so the board's order is the single history
//! that trustees and observers replay to identical states.
//!
//! # Resuming
//!
//! A trustee's polynomial is derived deterministically from its two secret keys and the
//! ceremony id (HKDF-SHA256), so [`Trustee::replay`] rebuilds the full private state of an
//! interrupted trustee from its keys and the board's messages: nothing secret needs to be
//! stored between rounds. Fresh randomness (hedged) is used only for proof nonces and the
//! ephemeral keys of share encryption, which are on the board once sent.
//!
//! # Known limits
//!
//! - Like every Feldman/Pedersen DKG, a rushing adversary can bias the distribution of the joint
//!   key (Gennaro, Jarecki, Krawczyk, Rabin 1999); the key remains secure for ElGamal encryption
//!   and threshold decryption (Gennaro et al., CT-RSA 2003), which is all it is used for.
//! - Complaints are optional messages, so round 3 closes by the server's deadline, not by count.
//! - Revealing a share answers a complaint by making that share public. This only ever reveals
//!   shares addressed to the accusers, which they (if corrupt) already knew.

mod encryption;
mod messages;
mod params;
mod state;
mod trustee;

pub use encryption::ShareDecryptionError;
pub use messages::{
    signing_digest, Commitment, Complaint, ComplaintReason, EncryptedShare, EncryptedShares,
    Message, Reveal, Round, SignedMessage,
};
pub use params::{CeremonyParams, CeremonySecretKey, TrusteeIndex, TrusteePublic, MAX_TRUSTEES};
pub use state::{
    verify_ceremony, CeremonyOutcome, CeremonyState, ComplaintRecord, Disqualification, Resolution,
};
pub use trustee::{Trustee, TrusteeOutcome};

/// The Ed25519 key types trustees sign and verify ceremony messages with.
pub use ed25519_dalek::{Signature, SigningKey, VerifyingKey};

use crate::error::DecodeError;
use crate::hash::Digest;
use thiserror::Error;

/// Why a ceremony message was rejected, why a trustee cannot act, or why the ceremony failed.
///
/// Rejections of a message ([`CeremonyState::receive`], [`Trustee::receive`]) leave the state
/// unchanged. Errors that concern trustees name them, so blame is never lost.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CeremonyError {
    #[error("invalid ceremony parameters: {0}")]
    InvalidParams(String),
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("message for another ceremony (id {got}; this ceremony is {expected})")]
    WrongCeremony { expected: Digest, got: Digest },
    #[error("message from unknown trustee {0}")]
    UnknownTrustee(u32),
    #[error("the signature of trustee {from} on its {round} message does not verify")]
    BadSignature { from: TrusteeIndex, round: Round },
    #[error("replayed message: this {round} message of trustee {from} is already on the board")]
    Replayed { from: TrusteeIndex, round: Round },
    #[error("trustee {from} already sent a different {round} message for the same slot")]
    Duplicate { from: TrusteeIndex, round: Round },
    #[error("{round} message of trustee {from} is late: the board is in {phase}")]
    OutOfRound {
        from: TrusteeIndex,
        round: Round,
        phase: Round,
    },
    #[error("malformed {round} message from trustee {from}: {detail}")]
    Malformed {
        from: TrusteeIndex,
        round: Round,
        detail: String,
    },
    #[error("trustee {from} revealed its share for trustee {to}, who did not complain about it")]
    UnsolicitedReveal {
        from: TrusteeIndex,
        to: TrusteeIndex,
    },
    #[error(
        "a {round} message signed with trustee {trustee}'s key is not what this trustee would \
         send (its keys are used elsewhere, or they belong to another ceremony)"
    )]
    OwnMessageMismatch { trustee: TrusteeIndex, round: Round },
    #[error("the {what} does not match trustee {trustee}'s registered public key")]
    KeyMismatch {
        trustee: TrusteeIndex,
        what: &'static str,
    },
    #[error("{round} is closed: the board is in {phase}")]
    RoundClosed { round: Round, phase: Round },
    #[error("trustee {trustee}'s {round} message is already on the board")]
    AlreadySent { trustee: TrusteeIndex, round: Round },
    #[error("trustee {trustee} has no valid commitment on the board")]
    NoOwnCommitment { trustee: TrusteeIndex },
    #[error(
        "the ceremony failed: {} qualified trustee(s) ({}), {needed} needed; disqualified: {}",
        .qualified.len(), list(.qualified), list_reasons(.reasons)
    )]
    NotEnoughQualified {
        needed: u32,
        qualified: Vec<TrusteeIndex>,
        /// The disqualified dealers, in index order (the culprits).
        bad_dealers: Vec<TrusteeIndex>,
        /// Why each of `bad_dealers` was disqualified.
        reasons: Vec<(TrusteeIndex, Disqualification)>,
    },
    #[error("trustee {trustee} is disqualified: {reason}")]
    Disqualified {
        trustee: TrusteeIndex,
        reason: Disqualification,
    },
    #[error(
        "trustee {trustee} holds no valid share from qualified dealer(s) {} and did not complain \
         in time; it cannot take part in decryption",
        list(.dealers)
    )]
    ShareUnavailable {
        trustee: TrusteeIndex,
        dealers: Vec<TrusteeIndex>,
    },
    #[error("board message {position}: {source}")]
    AtMessage {
        /// 0-based position in the message list.
        position: usize,
        source: Box<CeremonyError>,
    },
}

impl CeremonyError {
    /// The trustees this error blames (disqualified dealers), if any.
    pub fn bad_dealers(&self) -> &[TrusteeIndex] {
        match self {
            CeremonyError::NotEnoughQualified { bad_dealers, .. } => bad_dealers,
            CeremonyError::AtMessage { source, .. } => source.bad_dealers(),
            _ => &[],
        }
    }

    pub(crate) fn at(self, position: usize) -> Self {
        CeremonyError::AtMessage {
            position,
            source: Box::new(self),
        }
    }
}

fn list(xs: &[TrusteeIndex]) -> String {
    if xs.is_empty() {
        return "none".into();
    }
    xs.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn list_reasons(xs: &[(TrusteeIndex, Disqualification)]) -> String {
    if xs.is_empty() {
        return "none".into();
    }
    xs.iter()
        .map(|(t, r)| format!("trustee {t} ({r})"))
        .collect::<Vec<_>>()
        .join(", ")
}
