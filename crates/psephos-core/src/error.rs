//! Error types of the core.
//!
//! Three families, kept apart on purpose (as `bulletproofs` does):
//! - [`DecodeError`]: bytes or text that are not a valid encoding. Says precisely what is wrong
//!   with the *format*, because that helps an honest client fix a bug.
//! - [`VerifyError`]: a well-formed object whose proofs or signature do not verify. Says *where*
//!   (which contest, which option, which proof) but nothing about *why* the maths failed.
//! - [`ConfigError`] and [`PlaintextError`]: an election definition or a voter's choices that break
//!   the rules, with a message meant for a human.

use thiserror::Error;

/// A malformed encoding (canonical bytes, hex, JSON field).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("expected {expected} bytes, got {got}")]
    WrongLength { expected: usize, got: usize },
    #[error("not a canonical Ristretto255 point encoding")]
    NonCanonicalPoint,
    #[error("the identity point is not allowed here")]
    IdentityPoint,
    #[error("not a canonical scalar encoding (must be below the group order)")]
    NonCanonicalScalar,
    #[error("invalid hex")]
    Hex,
    #[error("unexpected end of input")]
    UnexpectedEnd,
    #[error("{0} trailing bytes after the encoded value")]
    TrailingBytes(usize),
    #[error("length {got} exceeds the limit {limit}")]
    TooLong { got: u64, limit: u64 },
    #[error("unknown {what} tag {tag}")]
    UnknownTag { what: &'static str, tag: u8 },
    #[error("invalid UTF-8 in a string")]
    Utf8,
    #[error("invalid {what}: {detail}")]
    Invalid { what: &'static str, detail: String },
}

/// Which proof (or signature) a [`VerifyError`] refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProofKind {
    /// Schnorr proof of knowledge of a discrete logarithm.
    Schnorr,
    /// Chaum–Pedersen proof of equal discrete logarithms.
    ChaumPedersen,
    /// Disjunctive Chaum–Pedersen proof that one option encrypts 0 or 1.
    Selection,
    /// Disjunctive Chaum–Pedersen proof on the sum of a contest's options.
    ContestLimit,
    /// Σ-proof that a Pedersen commitment and a ciphertext hold the same value.
    CommitmentLink,
    /// Bulletproofs aggregated range proof of a bounded contest's options.
    Range,
    /// Bulletproofs range proof of a bounded contest's linear limit.
    RangeLimit,
    /// The credential's Schnorr signature over the ballot.
    BallotSignature,
    /// A trustee's decryption share proof.
    DecryptionShare,
}

impl std::fmt::Display for ProofKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            ProofKind::Schnorr => "Schnorr proof",
            ProofKind::ChaumPedersen => "Chaum–Pedersen proof",
            ProofKind::Selection => "selection proof",
            ProofKind::ContestLimit => "contest limit proof",
            ProofKind::CommitmentLink => "commitment link proof",
            ProofKind::Range => "range proof",
            ProofKind::RangeLimit => "limit range proof",
            ProofKind::BallotSignature => "ballot signature",
            ProofKind::DecryptionShare => "decryption share proof",
        };
        f.write_str(s)
    }
}

/// A well-formed object that does not verify.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("the ballot is for another election (election hash mismatch)")]
    WrongElection,
    #[error("unknown ballot style {0:?}")]
    UnknownStyle(String),
    #[error("ballot shape does not match the manifest: {0}")]
    Shape(String),
    #[error("{kind} does not verify{loc}", loc = location(*contest, *option))]
    Proof {
        kind: ProofKind,
        /// The contest's position in the ballot (the order of its ballot style), from 0 — not
        /// its index in the manifest: a voter's ballot holds only its style's contests.
        contest: Option<usize>,
        /// The option's position in the contest, from 0.
        option: Option<usize>,
    },
    #[error("the revealed ballot does not re-encrypt to the published ciphertexts")]
    ChallengeMismatch,
    #[error("the revealed choices are not a valid plaintext ballot: {0}")]
    ChallengePlaintext(String),
}

fn location(contest: Option<usize>, option: Option<usize>) -> String {
    match (contest, option) {
        (Some(c), Some(o)) => format!(" (contest {c}, option {o})"),
        (Some(c), None) => format!(" (contest {c})"),
        _ => String::new(),
    }
}

impl VerifyError {
    pub(crate) fn proof(kind: ProofKind) -> Self {
        VerifyError::Proof {
            kind,
            contest: None,
            option: None,
        }
    }
    pub(crate) fn at(self, contest: usize, option: Option<usize>) -> Self {
        match self {
            VerifyError::Proof { kind, .. } => VerifyError::Proof {
                kind,
                contest: Some(contest),
                option,
            },
            other => other,
        }
    }
}

/// An election definition that breaks the rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("TOML syntax: {0}")]
    Syntax(String),
    #[error("{0}")]
    Invalid(String),
}

/// A voter's choices that the contest rules forbid (over-vote, budget overrun, …).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PlaintextError {
    #[error("unknown ballot style {0:?}")]
    UnknownStyle(String),
    #[error("contest {contest:?}: {detail}")]
    Contest { contest: String, detail: String },
    #[error("ballot has {got} contests, the style {style:?} has {expected}")]
    ContestCount {
        style: String,
        expected: usize,
        got: usize,
    },
}

/// Tally, decryption and key-ceremony arithmetic errors.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TallyError {
    #[error("need decryption shares from at least {needed} trustees, got {got}")]
    NotEnoughShares { needed: usize, got: usize },
    #[error("trustee {0} appears twice")]
    DuplicateTrustee(u32),
    #[error("trustee {0} is unknown")]
    UnknownTrustee(u32),
    #[error("decryption share of trustee {trustee} is invalid: {detail}")]
    InvalidShare { trustee: u32, detail: String },
    #[error("the decrypted count of contest {contest}, option {option} exceeds its bound {bound}")]
    CountOutOfBound {
        contest: usize,
        option: usize,
        bound: u64,
    },
    #[error("tally shape does not match the manifest: {0}")]
    Shape(String),
}

/// Any error of the core.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error(transparent)]
    Verify(#[from] VerifyError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Plaintext(#[from] PlaintextError),
    #[error(transparent)]
    Tally(#[from] TallyError),
}
