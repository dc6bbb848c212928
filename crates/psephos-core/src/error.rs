//! Error types of the core.
//!
//! Three families, kept apart on purpose (as `bulletproofs` does):
//! - [`DecodeError`]: bytes or text that are not a valid encoding. Says precisely what is wrong
//!   with the *format*, because that helps an honest client fix a bug.
//! - [`VerifyError`]: a well-formed object whose proofs or signature do not verify. Says *where*
//!   (which contest, which option, which proof) but nothing about *why* the maths failed.
//!   A ballot that does not have its style's shape gets a [`ShapeError`] naming the cause
//!   (which contest, what count, which proof is missing), found before any group operation.
//! - [`ConfigError`] and [`PlaintextError`]: an election definition or a voter's choices that break
//!   the rules, with a message meant for a human; a contest's broken rule is a typed
//!   [`ContestViolation`] that the booth words for the voter.
//!
//! Verification errors carry stable codes (`code()`): the verdicts of the committed test
//! vectors are these codes, never the English messages.

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

impl ProofKind {
    /// A stable code for the proof, the `reject` of a vector verdict when it does not verify.
    pub fn code(&self) -> &'static str {
        match self {
            ProofKind::Schnorr => "schnorr",
            ProofKind::ChaumPedersen => "chaum_pedersen",
            ProofKind::Selection => "selection",
            ProofKind::ContestLimit => "contest_limit",
            ProofKind::CommitmentLink => "commitment_link",
            ProofKind::Range => "range",
            ProofKind::RangeLimit => "range_limit",
            ProofKind::BallotSignature => "ballot_signature",
            ProofKind::DecryptionShare => "decryption_share",
        }
    }
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
    Shape(#[from] ShapeError),
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
    ChallengePlaintext(PlaintextError),
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

    /// A stable code for the failure, the `reject` of a vector verdict (`docs/protocol.md`
    /// §14): for a proof the proof's [`ProofKind::code`], for a shape error its
    /// [`ShapeError::code`].
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::WrongElection => "wrong_election",
            VerifyError::UnknownStyle(_) => "unknown_style",
            VerifyError::Shape(e) => e.code(),
            VerifyError::Proof { kind, .. } => kind.code(),
            VerifyError::ChallengeMismatch => "challenge_mismatch",
            VerifyError::ChallengePlaintext(_) => "challenge_plaintext",
        }
    }

    /// The contest (its position in the ballot) and option the failure is pinned on, if any.
    pub fn position(&self) -> (Option<usize>, Option<usize>) {
        match self {
            VerifyError::Proof {
                contest, option, ..
            } => (*contest, *option),
            VerifyError::Shape(e) => (e.contest(), None),
            _ => (None, None),
        }
    }
}

/// Which part of a contest's proof a [`ShapeError::ProofCount`] counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ProofPart {
    /// The selection proofs of a selection contest, one per option.
    Selections,
    /// The Pedersen commitments of a bounded contest, one per option.
    Commitments,
    /// The commitment link proofs of a bounded contest, one per option.
    Links,
}

impl std::fmt::Display for ProofPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProofPart::Selections => "selection proofs",
            ProofPart::Commitments => "commitments",
            ProofPart::Links => "link proofs",
        })
    }
}

/// Why an encrypted ballot does not have the shape its style fixes, found without any group
/// operation (`check_shape`). Contests are named by their position in the ballot, from 0, as in
/// [`VerifyError::Proof`], and by their id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ShapeError {
    #[error("the credential is the identity")]
    IdentityCredential,
    #[error("style {style:?} has {expected} contests, the ballot {got}")]
    ContestCount {
        style: String,
        expected: usize,
        got: usize,
    },
    #[error("style {style:?} names no contest {index}")]
    StyleContest { style: String, index: usize },
    #[error("expected contest {expected:?}, found {got:?}")]
    WrongContest {
        contest: usize,
        expected: String,
        got: String,
    },
    #[error("contest {id:?} has {expected} options, the ballot {got} ciphertexts")]
    CiphertextCount {
        contest: usize,
        id: String,
        expected: usize,
        got: usize,
    },
    #[error("contest {id:?}: {got} {part} for {expected} options")]
    ProofCount {
        contest: usize,
        id: String,
        part: ProofPart,
        expected: usize,
        got: usize,
    },
    #[error("contest {id:?}: unexpected limit proof")]
    UnexpectedLimitProof { contest: usize, id: String },
    #[error("contest {id:?}: missing limit proof")]
    MissingLimitProof { contest: usize, id: String },
    #[error("contest {id:?}: the proof type does not match the contest kind")]
    WrongProofType { contest: usize, id: String },
}

impl ShapeError {
    /// A stable code for the cause, the `reject` of a vector verdict.
    pub fn code(&self) -> &'static str {
        match self {
            ShapeError::IdentityCredential => "identity_credential",
            ShapeError::ContestCount { .. } => "contest_count",
            ShapeError::StyleContest { .. } => "style_contest",
            ShapeError::WrongContest { .. } => "wrong_contest",
            ShapeError::CiphertextCount { .. } => "ciphertext_count",
            ShapeError::ProofCount { part, .. } => match part {
                ProofPart::Selections => "selection_count",
                ProofPart::Commitments => "commitment_count",
                ProofPart::Links => "link_count",
            },
            ShapeError::UnexpectedLimitProof { .. } => "unexpected_limit_proof",
            ShapeError::MissingLimitProof { .. } => "missing_limit_proof",
            ShapeError::WrongProofType { .. } => "wrong_proof_type",
        }
    }

    /// The contest's position in the ballot, when the error concerns one contest.
    pub fn contest(&self) -> Option<usize> {
        match self {
            ShapeError::WrongContest { contest, .. }
            | ShapeError::CiphertextCount { contest, .. }
            | ShapeError::ProofCount { contest, .. }
            | ShapeError::UnexpectedLimitProof { contest, .. }
            | ShapeError::MissingLimitProof { contest, .. }
            | ShapeError::WrongProofType { contest, .. } => Some(*contest),
            _ => None,
        }
    }
}

/// An election definition that breaks the rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("TOML syntax: {0}")]
    Syntax(String),
    /// A rule broken at `field`, the manifest's path in TOML terms (`contests[2].max_score`).
    #[error("{message}")]
    Invalid { field: String, message: String },
}

impl ConfigError {
    /// The manifest field the error concerns (`trustees.threshold`, `contests[0].options[1].cost`),
    /// `None` for a TOML syntax error.
    pub fn field(&self) -> Option<&str> {
        match self {
            ConfigError::Syntax(_) => None,
            ConfigError::Invalid { field, .. } => Some(field),
        }
    }
}

/// A voter's choices that the contest rules forbid (over-vote, budget overrun, …).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PlaintextError {
    #[error("unknown ballot style {0:?}")]
    UnknownStyle(String),
    #[error("contest {contest:?}: expected contest {expected:?} at this position")]
    WrongContest { contest: String, expected: String },
    #[error("contest {contest:?}: {violation}")]
    Contest {
        contest: String,
        violation: ContestViolation,
    },
    #[error("contest {contest:?}: internal error: the proof could not be made")]
    Prover { contest: String },
    #[error("ballot has {got} contests, the style {style:?} has {expected}")]
    ContestCount {
        style: String,
        expected: usize,
        got: usize,
    },
}

/// How one contest's values break its rule (`docs/protocol.md` §6.3): what the booth tells the
/// voter before encrypting, and what no valid ballot can prove. Options are named by their
/// position in the contest, from 0, and by their id. Serialized with a `code` tag (the codes of
/// [`ContestViolation::code`]) for the browser, which words the message itself.
#[derive(Debug, Clone, PartialEq, Eq, Error, serde::Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ContestViolation {
    /// Not one value per option.
    #[error("{got} values for {expected} options")]
    ValueCount { expected: usize, got: usize },
    /// A selection contest's option with a value other than 0 or 1.
    #[error("option {id:?} must be selected (1) or not (0)")]
    NotZeroOrOne {
        option: usize,
        id: String,
        value: u64,
    },
    /// More options selected than the contest allows (an over-vote).
    #[error("{selected} options selected, at most {max} allowed (over-vote)")]
    TooMany { selected: u64, max: u64 },
    /// Fewer options selected than the contest requires.
    #[error("{selected} options selected, at least {min} required")]
    TooFew { selected: u64, min: u64 },
    /// A bounded contest's option above its maximum.
    #[error("option {id:?} has {value}, at most {max} allowed")]
    AboveMaximum {
        option: usize,
        id: String,
        value: u64,
        max: u64,
    },
    /// A contest's weighted total above its linear limit (points or budget).
    #[error("total {used} exceeds the limit {total}")]
    OverLimit { used: u128, total: u64 },
}

impl ContestViolation {
    /// A stable code for the violation (its serialized `code`).
    pub fn code(&self) -> &'static str {
        match self {
            ContestViolation::ValueCount { .. } => "value_count",
            ContestViolation::NotZeroOrOne { .. } => "not_zero_or_one",
            ContestViolation::TooMany { .. } => "too_many",
            ContestViolation::TooFew { .. } => "too_few",
            ContestViolation::AboveMaximum { .. } => "above_maximum",
            ContestViolation::OverLimit { .. } => "over_limit",
        }
    }
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

impl TallyError {
    /// A stable code for the failure, the `reject` of a vector verdict.
    pub fn code(&self) -> &'static str {
        match self {
            TallyError::NotEnoughShares { .. } => "not_enough_shares",
            TallyError::DuplicateTrustee(_) => "duplicate_trustee",
            TallyError::UnknownTrustee(_) => "unknown_trustee",
            TallyError::InvalidShare { .. } => "invalid_share",
            TallyError::CountOutOfBound { .. } => "count_out_of_bound",
            TallyError::Shape(_) => "tally_shape",
        }
    }
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
