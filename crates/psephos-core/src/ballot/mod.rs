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

use crate::credential::CredentialSecret;
use crate::election::{BallotStyle, Contest, Election, LinearLimit, Manifest, Rule};
use crate::elgamal::Ciphertext;
use crate::encoding::{Canonical, Reader, Writer, MAX_SEQ, MAX_STRING};
use crate::error::{DecodeError, PlaintextError, ProofKind, VerifyError};
use crate::generators::{g_table, h_table};
use crate::group::Point;
use crate::hash::Digest;
use crate::proofs::disjunctive::Witness;
use crate::proofs::range::{bits_for, RangeCommitment};
use crate::proofs::{BatchVerifier, DisjunctiveProof, LinkProof, RangeProof, SchnorrProof};
use crate::transcript::{labels, random_scalar, BallotContext, TranscriptProtocol};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Version byte of the ballot encoding.
pub const BALLOT_VERSION: u8 = 1;

// ---------------------------------------------------------------------------------------------
// Plaintext.

/// A voter's choices in one contest: one value per option, in manifest order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct PlaintextContest {
    pub contest: String,
    pub values: Vec<u64>,
}

/// A voter's choices: one entry per contest of the ballot style, in style order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
pub struct PlaintextBallot {
    pub style: String,
    pub contests: Vec<PlaintextContest>,
}

/// Checks one contest's values against its rule; the message is for the voter.
pub fn check_contest_values(contest: &Contest, values: &[u64]) -> Result<(), String> {
    if values.len() != contest.options.len() {
        return Err(format!(
            "{} values for {} options",
            values.len(),
            contest.options.len()
        ));
    }
    match &contest.rule {
        Rule::Selection { min, max } => {
            if let Some(i) = values.iter().position(|&v| v > 1) {
                return Err(format!(
                    "option {:?} must be selected (1) or not (0)",
                    contest.options[i].id
                ));
            }
            let n: u64 = values.iter().sum();
            if n > *max {
                return Err(format!(
                    "{n} options selected, at most {max} allowed (over-vote)"
                ));
            }
            if n < *min {
                return Err(format!("{n} options selected, at least {min} required"));
            }
        }
        Rule::Bounded { maxima, limit } => {
            for (i, (&v, &u)) in values.iter().zip(maxima).enumerate() {
                if v > u {
                    return Err(format!(
                        "option {:?} has {v}, at most {u} allowed",
                        contest.options[i].id
                    ));
                }
            }
            if let Some(l) = limit {
                let total: u128 = values
                    .iter()
                    .zip(&l.weights)
                    .map(|(&v, &w)| u128::from(v) * u128::from(w))
                    .sum();
                if total > u128::from(l.total) {
                    return Err(format!("total {total} exceeds the limit {}", l.total));
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
                return Err(PlaintextError::Contest {
                    contest: pc.contest.clone(),
                    detail: format!("expected contest {:?} at this position", contest.id),
                });
            }
            check_contest_values(contest, &pc.values).map_err(|detail| {
                PlaintextError::Contest {
                    contest: pc.contest.clone(),
                    detail,
                }
            })?;
        }
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Encrypted.

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

/// What the voter's device must keep to open a ballot for a Benaloh challenge: every option's
/// value and encryption nonce. Zeroized on drop; never sent unless the ballot is challenged.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct BallotSecrets {
    /// `contests[i][j] = (value, nonce)` of option `j` of the `i`-th contest of the style.
    pub(crate) contests: Vec<Vec<(u64, Scalar)>>,
}

impl std::fmt::Debug for BallotSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BallotSecrets(<secret>)")
    }
}

fn contest_transcript(label: &'static [u8], ctx: &BallotContext<'_>) -> Transcript {
    let mut t = Transcript::for_proof(label);
    t.append_ballot_context(ctx);
    t
}

fn option_transcript(label: &'static [u8], ctx: &BallotContext<'_>, option: usize) -> Transcript {
    let mut t = contest_transcript(label, ctx);
    t.append_u64(b"option", option as u64);
    t
}

fn signature_transcript(election: &Digest, content: &Digest) -> Transcript {
    let mut t = Transcript::for_proof(labels::BALLOT_SIGNATURE);
    t.append_election(election);
    t.append_digest(b"ballot", content);
    t
}

/// The values and blindings of a bounded contest's option range statement, in the order
/// `[v₀ … v_{n−1}, u₀ − v₀ … u_{n−1} − v_{n−1}]`.
fn option_range_values(
    maxima: &[u64],
    values: &[u64],
    blindings: &[Scalar],
) -> (Vec<u64>, Vec<Scalar>) {
    let mut vs: Vec<u64> = values.to_vec();
    let mut bs: Vec<Scalar> = blindings.to_vec();
    for i in 0..values.len() {
        vs.push(maxima[i].saturating_sub(values[i]));
        bs.push(-blindings[i]);
    }
    (vs, bs)
}

/// The value and blinding of a linear limit's statement: `L − Σ wᵢ·vᵢ` with blinding
/// `−Σ wᵢ·tᵢ` (clamped at 0 for a cheating prover; the proof then fails).
fn limit_value(limit: &LinearLimit, values: &[u64], blindings: &[Scalar]) -> (u64, Scalar) {
    let used: u128 = values
        .iter()
        .zip(&limit.weights)
        .map(|(&v, &w)| u128::from(v) * u128::from(w))
        .sum();
    let value = u128::from(limit.total).saturating_sub(used) as u64;
    let b: Scalar = blindings
        .iter()
        .zip(&limit.weights)
        .map(|(t, w)| Scalar::from(*w) * t)
        .sum();
    (value, -b)
}

/// The commitments of a bounded contest's option range statement, computed by the verifier:
/// `[C₀ … C_{n−1}, u₀·G − C₀ … u_{n−1}·G − C_{n−1}]`.
fn option_range_commitments(maxima: &[u64], commitments: &[Point]) -> Vec<RangeCommitment> {
    let mut all: Vec<RangeCommitment> = commitments
        .iter()
        .map(|c| (c.compressed(), *c.point()))
        .collect();
    // `u·G` once per distinct maximum (usually one for the whole contest).
    let mut multiples: Vec<(u64, RistrettoPoint)> = Vec::new();
    for (c, &u) in commitments.iter().zip(maxima) {
        let ug = match multiples.iter().find(|(v, _)| *v == u) {
            Some((_, p)) => *p,
            None => {
                let p = g_table() * &Scalar::from(u);
                multiples.push((u, p));
                p
            }
        };
        let shifted = ug - c.point();
        all.push((shifted.compress(), shifted));
    }
    all
}

/// The commitment of a linear limit's statement: `L·G − Σ wᵢ·Cᵢ`.
fn limit_commitment(limit: &LinearLimit, commitments: &[Point]) -> RangeCommitment {
    let weights: Vec<Scalar> = limit.weights.iter().map(|&w| Scalar::from(w)).collect();
    let weighted =
        RistrettoPoint::vartime_multiscalar_mul(&weights, commitments.iter().map(Point::point));
    let p = g_table() * &Scalar::from(limit.total) - weighted;
    (p.compress(), p)
}

/// The transcript of a bounded contest's range proofs: context, then every commitment.
fn range_transcript(
    label: &'static [u8],
    ctx: &BallotContext<'_>,
    commitments: &[Point],
) -> Transcript {
    let mut t = contest_transcript(label, ctx);
    for c in commitments {
        t.append_point(b"C", c);
    }
    t
}

fn w_values(w: &mut Writer, values: &[u64]) {
    w.len(values.len());
    for v in values {
        w.u64(*v);
    }
}

/// Whether `[min, max]` holds for every sum of `n` values in {0, 1}, so no limit proof is needed.
pub fn limit_implied(min: u64, max: u64, n: usize) -> bool {
    min == 0 && max >= n as u64
}

/// Encrypts a valid plaintext ballot for `election`, proves it and signs it with the voter's
/// credential. Returns the ballot and the secrets needed to open it for a challenge.
pub fn encrypt_ballot<R: RngCore + CryptoRng>(
    election: &Election,
    credential: &CredentialSecret,
    plaintext: &PlaintextBallot,
    rng: &mut R,
) -> Result<(EncryptedBallot, BallotSecrets), PlaintextError> {
    plaintext.validate(election.manifest())?;
    encrypt_inner(election, credential, plaintext, rng)
}

/// Encrypts choices that may break the contest rules, with proofs made as a cheating prover
/// would (the witness clamped into range). The result never verifies; it exists to produce
/// negative test vectors (over-votes, budget overruns). The ballot must still have the style's
/// shape.
pub fn encrypt_invalid_ballot<R: RngCore + CryptoRng>(
    election: &Election,
    credential: &CredentialSecret,
    plaintext: &PlaintextBallot,
    rng: &mut R,
) -> Result<EncryptedBallot, PlaintextError> {
    encrypt_inner(election, credential, plaintext, rng).map(|(b, _)| b)
}

fn encrypt_inner<R: RngCore + CryptoRng>(
    election: &Election,
    credential: &CredentialSecret,
    plaintext: &PlaintextBallot,
    rng: &mut R,
) -> Result<(EncryptedBallot, BallotSecrets), PlaintextError> {
    let manifest = election.manifest();
    let style = manifest
        .style(&plaintext.style)
        .ok_or_else(|| PlaintextError::UnknownStyle(plaintext.style.clone()))?;
    let key = election.key();
    let public = credential.public();
    // Hedged randomness: nonces, blindings and proof randomness come from a generator keyed by
    // the caller's RNG *and* the credential secret and choices, so a weak device RNG alone does
    // not expose the vote.
    let mut hedged = {
        let mut t = Transcript::for_proof(labels::BALLOT_NONCES);
        t.append_election(election.hash());
        t.append_point(b"credential", &public);
        let mut choices = Writer::new();
        for pc in &plaintext.contests {
            w_values(&mut choices, &pc.values);
        }
        let mut choices = choices.into_bytes();
        let r = t
            .build_rng()
            .rekey_with_witness_bytes(b"credential", credential.scalar().as_bytes())
            .rekey_with_witness_bytes(b"choices", &choices)
            .finalize(rng);
        choices.zeroize();
        r
    };
    let rng = &mut hedged;
    let mut contests = Vec::with_capacity(style.contests.len());
    let mut secrets = Vec::with_capacity(style.contests.len());
    let internal = |contest: &Contest| PlaintextError::Contest {
        contest: contest.id.clone(),
        detail: "internal error: the proof could not be made".into(),
    };
    for (&ci, pc) in style.contests.iter().zip(&plaintext.contests) {
        let contest = &manifest.contests[ci];
        if pc.values.len() != contest.options.len() {
            return Err(PlaintextError::Contest {
                contest: contest.id.clone(),
                detail: "wrong number of values".into(),
            });
        }
        let ctx = BallotContext {
            election_hash: election.hash(),
            election_key: key.point(),
            credential: &public,
            contest: ci as u32,
        };
        let nonces: Vec<Scalar> = pc.values.iter().map(|_| random_scalar(rng)).collect();
        let items: Vec<(u64, Scalar)> = pc
            .values
            .iter()
            .copied()
            .zip(nonces.iter().copied())
            .collect();
        let bits =
            matches!(contest.rule, Rule::Selection { .. }) && pc.values.iter().all(|&v| v <= 1);
        let ciphertexts = Ciphertext::encrypt_many(key, &items, bits);
        let proof = match &contest.rule {
            Rule::Selection { min, max } => {
                let mut selections = Vec::with_capacity(ciphertexts.len());
                for (j, ((ct, r), &v)) in
                    ciphertexts.iter().zip(&nonces).zip(&pc.values).enumerate()
                {
                    let mut t = option_transcript(labels::SELECTION, &ctx, j);
                    // Clamping changes nothing for valid choices (see `encrypt_invalid_ballot`).
                    let w = Witness {
                        value: v.min(1),
                        nonce: r,
                    };
                    selections.push(
                        DisjunctiveProof::prove(&mut t, key, ct, &w, 0, 1, rng)
                            .ok_or_else(|| internal(contest))?,
                    );
                }
                let limit = if limit_implied(*min, *max, ciphertexts.len()) {
                    None
                } else {
                    let sum = Ciphertext::sum(&ciphertexts);
                    let mut r_sum: Scalar = nonces.iter().sum();
                    let v_sum: u64 = pc.values.iter().sum();
                    let mut t = contest_transcript(labels::CONTEST_LIMIT, &ctx);
                    let w = Witness {
                        value: v_sum.clamp(*min, *max),
                        nonce: &r_sum,
                    };
                    let proof = DisjunctiveProof::prove(&mut t, key, &sum, &w, *min, *max, rng)
                        .ok_or_else(|| internal(contest))?;
                    r_sum.zeroize();
                    Some(proof)
                };
                ContestProof::Selection { selections, limit }
            }
            Rule::Bounded { maxima, limit } => {
                let mut blindings: Vec<Scalar> =
                    pc.values.iter().map(|_| random_scalar(rng)).collect();
                let commitments: Vec<Point> = pc
                    .values
                    .iter()
                    .zip(&blindings)
                    .map(|(&v, t)| Point::from_point(g_table() * &Scalar::from(v) + h_table() * t))
                    .collect();
                let mut links = Vec::with_capacity(commitments.len());
                for j in 0..commitments.len() {
                    let mut t = option_transcript(labels::COMMITMENT_LINK, &ctx, j);
                    links.push(LinkProof::prove(
                        &mut t,
                        key,
                        &ciphertexts[j],
                        &commitments[j],
                        &Scalar::from(pc.values[j]),
                        &nonces[j],
                        &blindings[j],
                        rng,
                    ));
                }
                let (mut vs, mut bs) = option_range_values(maxima, &pc.values, &blindings);
                let bits = bits_for(maxima.iter().copied().max().unwrap_or(0));
                let mut t = range_transcript(labels::RANGE, &ctx, &commitments);
                let range = RangeProof::prove(&mut t, &vs, &bs, bits, rng)
                    .ok_or_else(|| internal(contest))?;
                vs.zeroize();
                bs.zeroize();
                let limit = match limit {
                    None => None,
                    Some(l) => {
                        let (v, mut b) = limit_value(l, &pc.values, &blindings);
                        let mut t = range_transcript(labels::RANGE_LIMIT, &ctx, &commitments);
                        let proof = RangeProof::prove(&mut t, &[v], &[b], bits_for(l.total), rng)
                            .ok_or_else(|| internal(contest))?;
                        b.zeroize();
                        Some(proof)
                    }
                };
                blindings.zeroize();
                ContestProof::Bounded {
                    commitments,
                    links,
                    range,
                    limit,
                }
            }
        };
        secrets.push(pc.values.iter().copied().zip(nonces).collect());
        contests.push(EncryptedContest {
            contest: contest.id.clone(),
            ciphertexts,
            proof,
        });
    }
    let mut ballot = EncryptedBallot {
        election: *election.hash(),
        style: plaintext.style.clone(),
        credential: public,
        contests,
        signature: SchnorrProof {
            commitment: Point::identity(),
            response: Scalar::ZERO,
        },
    };
    ballot.sign(credential, rng);
    Ok((ballot, BallotSecrets { contests: secrets }))
}

impl EncryptedBallot {
    /// (Re)computes the credential's signature over the ballot content. The credential must be
    /// the one named in the ballot, or the signature will not verify.
    pub fn sign<R: RngCore + CryptoRng>(&mut self, credential: &CredentialSecret, rng: &mut R) {
        let content = self.content_hash();
        let mut t = signature_transcript(&self.election, &content);
        self.signature = SchnorrProof::prove(&mut t, credential.scalar(), &self.credential, rng);
    }

    /// Checks only the credential's signature (cheap, about 60 µs): what a server checks before
    /// queueing the ballot's proofs for batch verification. [`verify_ballot`] checks it again.
    pub fn verify_signature(&self) -> Result<(), VerifyError> {
        let content = self.content_hash();
        let mut t = signature_transcript(&self.election, &content);
        self.signature
            .verify(&mut t, &self.credential)
            .map_err(|_| VerifyError::proof(ProofKind::BallotSignature))
    }

    fn encode_content(&self, w: &mut Writer) {
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

// ---------------------------------------------------------------------------------------------
// Tracking codes.

/// The voter-facing tracking code of a ballot hash: the first 80 bits in Crockford base32,
/// `XXXX-XXXX-XXXX-XXXX`.
pub fn tracking_code(hash: &Digest) -> String {
    let mut bits: u128 = 0;
    for b in &hash.0[..10] {
        bits = (bits << 8) | u128::from(*b);
    }
    let mut out = String::with_capacity(19);
    for i in 0..16 {
        if i > 0 && i % 4 == 0 {
            out.push('-');
        }
        let v = ((bits >> (75 - 5 * i)) & 31) as usize;
        out.push(crate::credential::ALPHABET[v] as char);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Verification.

/// A ballot whose signature and proofs verified for one election. Only the verifier makes these.
#[derive(Debug, Clone)]
pub struct VerifiedBallot {
    ballot: EncryptedBallot,
    hash: Digest,
}

impl VerifiedBallot {
    pub fn ballot(&self) -> &EncryptedBallot {
        &self.ballot
    }
    /// The ballot hash.
    pub fn hash(&self) -> &Digest {
        &self.hash
    }
    pub fn tracking_code(&self) -> String {
        tracking_code(&self.hash)
    }
    pub fn into_inner(self) -> EncryptedBallot {
        self.ballot
    }
}

fn shape(msg: String) -> VerifyError {
    VerifyError::Shape(msg)
}

fn mismatch(contest: &Contest) -> VerifyError {
    shape(format!(
        "contest {:?}: the proof does not fit the contest",
        contest.id
    ))
}

/// The branch counts of a disjunctive proof of `[lo, hi]`: wrong counts are the proof's own
/// failure (as [`DisjunctiveProof::verify_into`] reports it), found here without any group work.
fn check_branches(
    p: &DisjunctiveProof,
    lo: u64,
    hi: u64,
    kind: ProofKind,
    pos: usize,
    option: Option<usize>,
) -> Result<(), VerifyError> {
    let fits = hi >= lo
        && hi - lo < crate::proofs::disjunctive::MAX_BRANCHES
        && p.commitments.len() as u64 == hi - lo + 1
        && p.challenges.len() as u64 == hi - lo
        && p.responses.len() as u64 == hi - lo + 1;
    if fits {
        Ok(())
    } else {
        Err(VerifyError::proof(kind).at(pos, option))
    }
}

/// The ballot's shape against the manifest, without any group operation: the style exists, the
/// ballot's contests are exactly the style's in order, each with one ciphertext per option, and
/// each proof is of the contest's kind with the sizes its rule fixes (proofs per option, limit
/// proof present exactly when the rule needs one, branch counts). Returns the ballot's style.
///
/// Why separate: a decoded ballot is several times its wire size, so a server runs this before
/// it queues a ballot for proof verification — a well-formed ballot's size is then bounded by
/// the manifest. [`verify_ballot`] runs the same check, so the two can never disagree.
pub fn check_shape<'m>(
    manifest: &'m Manifest,
    ballot: &EncryptedBallot,
) -> Result<&'m BallotStyle, VerifyError> {
    let style = manifest
        .style(&ballot.style)
        .ok_or_else(|| VerifyError::UnknownStyle(ballot.style.clone()))?;
    if style.contests.len() != ballot.contests.len() {
        return Err(shape(format!(
            "style {:?} has {} contests, the ballot {}",
            style.id,
            style.contests.len(),
            ballot.contests.len()
        )));
    }
    for (pos, (&ci, ec)) in style.contests.iter().zip(&ballot.contests).enumerate() {
        let contest = manifest
            .contests
            .get(ci)
            .ok_or_else(|| shape(format!("style {:?} names no contest {ci}", style.id)))?;
        if ec.contest != contest.id {
            return Err(shape(format!(
                "expected contest {:?}, found {:?}",
                contest.id, ec.contest
            )));
        }
        let n = contest.options.len();
        if ec.ciphertexts.len() != n {
            return Err(shape(format!(
                "contest {:?} has {n} options, the ballot {} ciphertexts",
                contest.id,
                ec.ciphertexts.len()
            )));
        }
        match (&contest.rule, &ec.proof) {
            (Rule::Selection { min, max }, ContestProof::Selection { selections, limit }) => {
                if selections.len() != n {
                    return Err(shape(format!(
                        "contest {:?}: wrong number of selection proofs",
                        contest.id
                    )));
                }
                for (j, p) in selections.iter().enumerate() {
                    check_branches(p, 0, 1, ProofKind::Selection, pos, Some(j))?;
                }
                match (limit_implied(*min, *max, n), limit) {
                    (true, None) => {}
                    (false, Some(p)) => {
                        check_branches(p, *min, *max, ProofKind::ContestLimit, pos, None)?
                    }
                    (true, Some(_)) => {
                        return Err(shape(format!(
                            "contest {:?}: unexpected limit proof",
                            contest.id
                        )))
                    }
                    (false, None) => {
                        return Err(shape(format!(
                            "contest {:?}: missing limit proof",
                            contest.id
                        )))
                    }
                }
            }
            (
                Rule::Bounded { limit, .. },
                ContestProof::Bounded {
                    commitments,
                    links,
                    limit: limit_proof,
                    ..
                },
            ) => {
                if commitments.len() != n || links.len() != n {
                    return Err(shape(format!(
                        "contest {:?}: wrong number of commitments or link proofs",
                        contest.id
                    )));
                }
                match (limit, limit_proof) {
                    (None, None) | (Some(_), Some(_)) => {}
                    (None, Some(_)) => {
                        return Err(shape(format!(
                            "contest {:?}: unexpected limit proof",
                            contest.id
                        )))
                    }
                    (Some(_), None) => {
                        return Err(shape(format!(
                            "contest {:?}: missing limit proof",
                            contest.id
                        )))
                    }
                }
            }
            _ => {
                return Err(shape(format!(
                    "contest {:?}: the proof type does not match the contest kind",
                    contest.id
                )))
            }
        }
    }
    Ok(style)
}

/// How [`check_into`] treats the equations it adds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Everything joins the batch; the caller checks it once.
    Batch,
    /// Only the range proofs are judged, each as soon as it is added; the Σ-proofs' equations
    /// are discarded. The first pass of locating a failure: range proofs come first in the
    /// verdict order (`docs/protocol.md` §8.4).
    LocateRange,
    /// Every proof is judged as soon as it is added, to name the first that fails.
    Locate,
}

/// After each proof of a ballot: in the locating modes the equations added so far are checked
/// at once (or, for a Σ-proof in [`Mode::LocateRange`], dropped), so a failure is pinned on this
/// proof; in batch mode nothing happens here.
fn settle(
    mode: Mode,
    batch: &mut BatchVerifier,
    kind: ProofKind,
    contest: Option<usize>,
    option: Option<usize>,
) -> Result<(), VerifyError> {
    let range = matches!(kind, ProofKind::Range | ProofKind::RangeLimit);
    match mode {
        Mode::Batch => return Ok(()),
        Mode::LocateRange if !range => {
            batch.reset();
            return Ok(());
        }
        Mode::LocateRange | Mode::Locate => {}
    }
    if batch.verify_and_reset() {
        return Ok(());
    }
    Err(match contest {
        Some(c) => VerifyError::proof(kind).at(c, option),
        None => VerifyError::proof(kind),
    })
}

/// Checks the ballot's structure against the manifest, verifies its range proofs, and adds every
/// Σ-proof equation (and the signature's) to `batch`. In the locating modes, each proof's equations
/// are checked as soon as they are added, to name the first proof that fails.
fn check_into(
    election: &Election,
    ballot: &EncryptedBallot,
    batch: &mut BatchVerifier,
    mode: Mode,
) -> Result<(), VerifyError> {
    if &ballot.election != election.hash() {
        return Err(VerifyError::WrongElection);
    }
    if ballot.credential.is_identity() {
        return Err(shape("the credential is the identity".into()));
    }
    let manifest = election.manifest();
    let style = check_shape(manifest, ballot)?;
    let key = election.key();
    // `ci` is the contest's index in the manifest (what the transcripts bind); errors name the
    // contest by `pos`, its position in this ballot (see `VerifyError::Proof`).
    for (pos, (&ci, ec)) in style.contests.iter().zip(&ballot.contests).enumerate() {
        let contest = &manifest.contests[ci];
        let n = contest.options.len();
        let ctx = BallotContext {
            election_hash: election.hash(),
            election_key: key.point(),
            credential: &ballot.credential,
            contest: ci as u32,
        };
        match (&contest.rule, &ec.proof) {
            (Rule::Selection { min, max }, ContestProof::Selection { selections, limit }) => {
                for (j, (ct, proof)) in ec.ciphertexts.iter().zip(selections).enumerate() {
                    let mut t = option_transcript(labels::SELECTION, &ctx, j);
                    proof
                        .verify_into(&mut t, ct, 0, 1, ProofKind::Selection, batch)
                        .map_err(|e| e.at(pos, Some(j)))?;
                    settle(mode, batch, ProofKind::Selection, Some(pos), Some(j))?;
                }
                match (limit_implied(*min, *max, n), limit) {
                    (true, None) => {}
                    (false, Some(limit)) => {
                        let sum = Ciphertext::sum(&ec.ciphertexts);
                        let mut t = contest_transcript(labels::CONTEST_LIMIT, &ctx);
                        limit
                            .verify_into(&mut t, &sum, *min, *max, ProofKind::ContestLimit, batch)
                            .map_err(|e| e.at(pos, None))?;
                        settle(mode, batch, ProofKind::ContestLimit, Some(pos), None)?;
                    }
                    // Ruled out by `check_shape`.
                    _ => return Err(mismatch(contest)),
                }
            }
            (
                Rule::Bounded {
                    maxima,
                    limit: rule_limit,
                },
                ContestProof::Bounded {
                    commitments,
                    links,
                    range,
                    limit: limit_proof,
                },
            ) => {
                for (j, ((ct, c), link)) in ec
                    .ciphertexts
                    .iter()
                    .zip(commitments)
                    .zip(links)
                    .enumerate()
                {
                    let mut t = option_transcript(labels::COMMITMENT_LINK, &ctx, j);
                    link.verify_into(&mut t, ct, c, batch);
                    settle(mode, batch, ProofKind::CommitmentLink, Some(pos), Some(j))?;
                }
                // The verifier derives the shifted commitments itself.
                let all = option_range_commitments(maxima, commitments);
                let bits = bits_for(maxima.iter().copied().max().unwrap_or(0));
                let mut t = range_transcript(labels::RANGE, &ctx, commitments);
                range
                    .verify_into(&mut t, &all, bits, batch)
                    .map_err(|e| e.at(pos, None))?;
                settle(mode, batch, ProofKind::Range, Some(pos), None)?;
                match (rule_limit, limit_proof) {
                    (None, None) => {}
                    (Some(l), Some(proof)) => {
                        let c = limit_commitment(l, commitments);
                        let mut t = range_transcript(labels::RANGE_LIMIT, &ctx, commitments);
                        proof
                            .verify_into(&mut t, &[c], bits_for(l.total), batch)
                            .map_err(|_| VerifyError::proof(ProofKind::RangeLimit).at(pos, None))?;
                        settle(mode, batch, ProofKind::RangeLimit, Some(pos), None)?;
                    }
                    // Ruled out by `check_shape`.
                    _ => return Err(mismatch(contest)),
                }
            }
            // Ruled out by `check_shape`.
            _ => return Err(mismatch(contest)),
        }
    }
    let content = ballot.content_hash();
    let mut t = signature_transcript(election.hash(), &content);
    ballot
        .signature
        .verify_into(&mut t, &ballot.credential, batch);
    settle(mode, batch, ProofKind::BallotSignature, None, None)
}

fn batch_seed(hashes: &[Digest]) -> [u8; 32] {
    let mut w = Writer::new();
    for h in hashes {
        w.digest(h);
    }
    Digest::of(labels::BATCH_WEIGHTS, &w.into_bytes()).0
}

/// Verifies one ballot.
pub fn verify_ballot(
    election: &Election,
    ballot: EncryptedBallot,
) -> Result<VerifiedBallot, VerifyError> {
    let hash = ballot.hash();
    let mut batch = BatchVerifier::new(*election.key().point().point(), batch_seed(&[hash]));
    check_into(election, &ballot, &mut batch, Mode::Batch)?;
    if batch.verify() {
        Ok(VerifiedBallot { ballot, hash })
    } else {
        // The combined equation failed; say which proof by checking them one at a time.
        Err(locate_failure(election, &ballot, hash))
    }
}

/// Re-checks a ballot whose combined equation failed, one proof at a time, to name the culprit.
fn locate_failure(election: &Election, ballot: &EncryptedBallot, hash: Digest) -> VerifyError {
    // Range proofs first (they come first in the verdict order), then every proof in order.
    for mode in [Mode::LocateRange, Mode::Locate] {
        let mut batch = BatchVerifier::new(*election.key().point().point(), batch_seed(&[hash]));
        if let Err(e) = check_into(election, ballot, &mut batch, mode) {
            return e;
        }
    }
    // Unreachable with a sound verifier: the combined check failed, so one proof must.
    VerifyError::proof(ProofKind::BallotSignature)
}

/// Verifies many ballots together: all proof equations (Σ-proofs and range proofs) of a chunk of ballots go into one
/// multiscalar multiplication; chunks run in parallel (feature `parallel`). The verdicts are
/// exactly those of [`verify_ballot`], in input order: a chunk whose combined check fails is
/// re-verified ballot by ballot to find the bad ones.
pub fn verify_ballots(
    election: &Election,
    ballots: Vec<EncryptedBallot>,
) -> Vec<Result<VerifiedBallot, VerifyError>> {
    const CHUNK: usize = 128;
    let chunks: Vec<Vec<EncryptedBallot>> = {
        let mut out = Vec::with_capacity(ballots.len().div_ceil(CHUNK));
        let mut it = ballots.into_iter().peekable();
        while it.peek().is_some() {
            out.push(it.by_ref().take(CHUNK).collect());
        }
        out
    };
    let verify_chunk = |chunk: Vec<EncryptedBallot>| -> Vec<Result<VerifiedBallot, VerifyError>> {
        let hashes: Vec<Digest> = chunk.iter().map(EncryptedBallot::hash).collect();
        let mut batch = BatchVerifier::new(*election.key().point().point(), batch_seed(&hashes));
        let mut structural: Vec<Result<(), VerifyError>> = Vec::with_capacity(chunk.len());
        for b in &chunk {
            structural.push(check_into(election, b, &mut batch, Mode::Batch));
        }
        if structural.iter().all(Result::is_ok) && batch.verify() {
            return chunk
                .into_iter()
                .zip(hashes)
                .map(|(ballot, hash)| Ok(VerifiedBallot { ballot, hash }))
                .collect();
        }
        chunk
            .into_iter()
            .map(|b| verify_ballot(election, b))
            .collect()
    };
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        chunks
            .into_par_iter()
            .map(verify_chunk)
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        chunks.into_iter().flat_map(verify_chunk).collect()
    }
}

/// Cost measures of verification, for benchmarks (`psephos bench` judges its figures against
/// the floor they imply).
pub mod cost {
    use super::*;

    /// The group elements a verifier decompresses for `ballot`: every point of its encoding
    /// (decoded strictly with [`Canonical`]) and the points inside its range proofs.
    pub fn decompressions(ballot: &EncryptedBallot) -> usize {
        let range_points = |p: &RangeProof| (p.0.len() / 32).saturating_sub(5);
        let contests: usize = ballot
            .contests
            .iter()
            .map(|c| {
                2 * c.ciphertexts.len()
                    + match &c.proof {
                        ContestProof::Selection { selections, limit } => selections
                            .iter()
                            .chain(limit)
                            .map(|p| 2 * p.commitments.len())
                            .sum(),
                        ContestProof::Bounded {
                            commitments,
                            links,
                            range,
                            limit,
                        } => {
                            commitments.len()
                                + 3 * links.len()
                                + range_points(range)
                                + limit.as_ref().map_or(0, range_points)
                        }
                    }
            })
            .sum();
        // The credential and the signature's commitment.
        2 + contests
    }

    /// The number of terms of the one multiscalar multiplication that verifies `ballots`
    /// together (as one chunk of [`verify_ballots`]), or the first ballot's error.
    pub fn batch_terms(
        election: &Election,
        ballots: &[EncryptedBallot],
    ) -> Result<usize, VerifyError> {
        let mut batch = BatchVerifier::new(*election.key().point().point(), [0; 32]);
        for b in ballots {
            check_into(election, b, &mut batch, Mode::Batch)?;
        }
        Ok(batch.terms())
    }
}
