//! The ballot as data: the voter's plaintext choices and the contest rules they must keep, the
//! encrypted ballot as it is posted to the board, its canonical encoding (`docs/protocol.md`
//! §2, §8.1) and its hashes (§8.3), and the header the election's rules read without decoding
//! the proofs.

use crate::election::{Contest, Manifest, Rule};
use crate::elgamal::Ciphertext;
use crate::encoding::{Canonical, Reader, Writer, MAX_SEQ, MAX_STRING};
use crate::error::{ContestViolation, DecodeError, PlaintextError};
use crate::group::Point;
use crate::hash::Digest;
use crate::proofs::{DisjunctiveProof, LinkProof, RangeProof, SchnorrProof};
use crate::transcript::labels;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Version byte of the ballot encoding.
pub const BALLOT_VERSION: u8 = 1;

/// A voter's choices in one contest: one value per option, in manifest order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlaintextContest {
    pub contest: String,
    pub values: Vec<u64>,
}

/// A voter's choices: one entry per contest of the ballot style, in style order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlaintextBallot {
    pub style: String,
    pub contests: Vec<PlaintextContest>,
}

/// Checks one contest's values against its rule (`docs/protocol.md` §6.3): the first
/// violation, in this order — the number of values, then each option's value, then the count
/// of selections or the linear limit.
pub fn check_contest_values(contest: &Contest, values: &[u64]) -> Result<(), ContestViolation> {
    if values.len() != contest.width() {
        return Err(ContestViolation::ValueCount {
            expected: contest.width(),
            got: values.len(),
        });
    }
    match &contest.rule {
        Rule::Selection { min, max } => {
            if let Some((i, (&v, o))) = values
                .iter()
                .zip(&contest.options)
                .enumerate()
                .find(|(_, (&v, _))| v > 1)
            {
                return Err(ContestViolation::NotZeroOrOne {
                    option: i,
                    id: o.id.clone(),
                    value: v,
                });
            }
            let selected: u64 = values.iter().sum();
            if selected > *max {
                return Err(ContestViolation::TooMany {
                    selected,
                    max: *max,
                });
            }
            if selected < *min {
                return Err(ContestViolation::TooFew {
                    selected,
                    min: *min,
                });
            }
        }
        Rule::Bounded { maxima, limit } => {
            for (i, (&value, &max)) in values.iter().zip(maxima).enumerate() {
                if value > max {
                    return Err(ContestViolation::AboveMaximum {
                        option: i,
                        id: contest.position_name(i),
                        value,
                        max,
                    });
                }
            }
            if let Some(l) = limit {
                let used: u128 = values
                    .iter()
                    .zip(&l.weights)
                    .map(|(&v, &w)| u128::from(v) * u128::from(w))
                    .sum();
                if used > u128::from(l.total) {
                    return Err(ContestViolation::OverLimit {
                        used,
                        total: l.total,
                    });
                }
            }
        }
    }
    Ok(())
}

impl PlaintextBallot {
    /// Checks the choices against the manifest.
    pub fn validate(&self, manifest: &Manifest) -> Result<(), PlaintextError> {
        let style = manifest
            .style(&self.style)
            .ok_or_else(|| PlaintextError::UnknownStyle(self.style.clone()))?;
        if style.contests.len() != self.contests.len() {
            return Err(PlaintextError::ContestCount {
                style: self.style.clone(),
                expected: style.contests.len(),
                got: self.contests.len(),
            });
        }
        for (&ci, pc) in style.contests.iter().zip(&self.contests) {
            let contest = &manifest.contests[ci];
            if contest.id != pc.contest {
                return Err(PlaintextError::WrongContest {
                    contest: pc.contest.clone(),
                    expected: contest.id.clone(),
                });
            }
            check_contest_values(contest, &pc.values).map_err(|violation| {
                PlaintextError::Contest {
                    contest: pc.contest.clone(),
                    violation,
                }
            })?;
        }
        Ok(())
    }
}

/// The validity proof of one contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ContestProof {
    /// One 0/1 proof per option and one proof that the number selected is in `[min, max]`.
    /// The limit proof is absent exactly when the rule implies it (`min = 0` and `max ≥` the
    /// number of options), as for "approve any number".
    Selection {
        selections: Vec<DisjunctiveProof>,
        limit: Option<DisjunctiveProof>,
    },
    /// Pedersen commitments to every option's value, a link proof per option, one aggregated
    /// Bulletproof that every option is within its maximum, and — for contests with a linear
    /// limit (cumulative, budget) — one Bulletproof that the limit holds. The two range proofs
    /// are separate because their bit sizes differ (a budget of 500,000 needs 32 bits, a 0/1
    /// option 8), and Bulletproofs aggregate only values of one size.
    Bounded {
        commitments: Vec<Point>,
        links: Vec<LinkProof>,
        range: RangeProof,
        limit: Option<RangeProof>,
    },
}

/// One encrypted contest: a ciphertext per option and the contest's proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedContest {
    pub contest: String,
    pub ciphertexts: Vec<Ciphertext>,
    pub proof: ContestProof,
}

/// An encrypted, proven and signed ballot as it is posted to the board.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EncryptedBallot {
    /// The election hash this ballot was made for.
    pub election: Digest,
    pub style: String,
    /// The voter's public credential `C = c·G`.
    pub credential: Point,
    pub contests: Vec<EncryptedContest>,
    /// Schnorr signature by `c` over the ballot content hash.
    pub signature: SchnorrProof,
}

impl EncryptedBallot {
    pub(super) fn encode_content(&self, w: &mut Writer) {
        w.u8(BALLOT_VERSION)
            .digest(&self.election)
            .str(&self.style)
            .point(&self.credential)
            .seq(&self.contests);
    }

    /// `SHA-256(label ‖ canonical content)`: what the credential signs (everything but the
    /// signature).
    pub fn content_hash(&self) -> Digest {
        let mut w = Writer::new();
        self.encode_content(&mut w);
        Digest::of(labels::BALLOT_CONTENT, &w.into_bytes())
    }

    /// `SHA-256(label ‖ canonical ballot)`: the ballot's identity on the board.
    pub fn hash(&self) -> Digest {
        Digest::of(labels::BALLOT_HASH, &self.to_canonical_bytes())
    }
}

/// What the election's rules need of a cast ballot — its election, style, credential and hash —
/// read from its canonical bytes without decoding the contests (no point is decompressed, no
/// proof or signature is looked at). For replaying a board whose ballots were verified before
/// they were appended (`docs/protocol.md`, §11.4): the hash is
/// `SHA-256(label ‖ canonical bytes)`, the same as [`EncryptedBallot::hash`], and the
/// credential is its 32 encoded bytes, unchecked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BallotHeader<'a> {
    pub election: Digest,
    pub style: &'a str,
    pub credential: [u8; 32],
    pub hash: Digest,
}

impl<'a> BallotHeader<'a> {
    /// Reads the header of a ballot's canonical bytes and hashes them all.
    pub fn peek(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let version = r.u8()?;
        if version != BALLOT_VERSION {
            return Err(DecodeError::UnknownTag {
                what: "ballot version",
                tag: version,
            });
        }
        let election = r.digest()?;
        let style = std::str::from_utf8(r.bytes(MAX_STRING)?).map_err(|_| DecodeError::Utf8)?;
        let credential = r.array32()?;
        Ok(BallotHeader {
            election,
            style,
            credential,
            hash: Digest::of(labels::BALLOT_HASH, bytes),
        })
    }
}

impl Canonical for EncryptedBallot {
    const MIN_ENCODED_LEN: usize = 1 + 32 + 4 + 32 + 4 + 64;
    fn encode(&self, w: &mut Writer) {
        self.encode_content(w);
        self.signature.encode(w);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8()?;
        if version != BALLOT_VERSION {
            return Err(DecodeError::UnknownTag {
                what: "ballot version",
                tag: version,
            });
        }
        Ok(EncryptedBallot {
            election: r.digest()?,
            style: r.str(MAX_STRING)?,
            credential: r.point_nonidentity()?,
            contests: r.seq(crate::election::MAX_CONTESTS)?,
            signature: SchnorrProof::decode(r)?,
        })
    }
}

impl Canonical for EncryptedContest {
    const MIN_ENCODED_LEN: usize = 4 + 4 + 1;
    fn encode(&self, w: &mut Writer) {
        w.str(&self.contest).seq(&self.ciphertexts);
        match &self.proof {
            ContestProof::Selection { selections, limit } => {
                w.u8(1).seq(selections).option(limit);
            }
            ContestProof::Bounded {
                commitments,
                links,
                range,
                limit,
            } => {
                w.u8(2).seq(commitments).seq(links);
                range.encode(w);
                w.option(limit);
            }
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let contest = r.str(MAX_STRING)?;
        let ciphertexts = r.seq(crate::election::MAX_OPTIONS)?;
        let proof = match r.u8()? {
            1 => ContestProof::Selection {
                selections: r.seq(crate::election::MAX_OPTIONS)?,
                limit: r.option()?,
            },
            2 => ContestProof::Bounded {
                commitments: r.seq(crate::election::MAX_OPTIONS)?,
                links: r.seq(crate::election::MAX_OPTIONS)?,
                range: RangeProof::decode(r)?,
                limit: r.option()?,
            },
            tag => {
                return Err(DecodeError::UnknownTag {
                    what: "contest proof",
                    tag,
                })
            }
        };
        Ok(EncryptedContest {
            contest,
            ciphertexts,
            proof,
        })
    }
}

// Silence an unused-import lint for `MAX_SEQ` on some feature sets.
const _: usize = MAX_SEQ;
