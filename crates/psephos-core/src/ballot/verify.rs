//! The verifier: a ballot's shape against the manifest, every proof and the signature, singly
//! or many ballots in one multiscalar multiplication (`docs/protocol.md` §8.4, §5.7). Only this
//! module makes a [`VerifiedBallot`].

use super::statement::{
    contest_transcript, limit_commitment, limit_implied, option_range_commitments,
    option_transcript, range_transcript, signature_transcript,
};
use super::tracking::TrackingCode;
use super::types::{ContestProof, EncryptedBallot};
use crate::election::{BallotStyle, Contest, Election, LinearLimit, Manifest, Rule};
use crate::elgamal::Ciphertext;
use crate::encoding::Writer;
use crate::error::{ProofKind, ProofPart, ShapeError, VerifyError};
use crate::group::Point;
use crate::hash::Digest;
use crate::proofs::range::bits_for;
use crate::proofs::{BatchVerifier, DisjunctiveProof, LinkProof, RangeProof};
use crate::transcript::{labels, BallotContext};

impl EncryptedBallot {
    /// Checks only the credential's signature (cheap, about 60 µs): what a server checks before
    /// queueing the ballot's proofs for batch verification. [`verify_ballot`] checks it again.
    pub fn verify_signature(&self) -> Result<(), VerifyError> {
        let content = self.content_hash();
        let mut t = signature_transcript(&self.election, &content);
        self.signature
            .verify(&mut t, &self.credential)
            .map_err(|_| VerifyError::proof(ProofKind::BallotSignature))
    }
}

/// A ballot whose signature and proofs verified for one election. Only the verifier makes these:
///
/// ```compile_fail
/// # use psephos_core::ballot::{EncryptedBallot, VerifiedBallot};
/// fn forge(ballot: EncryptedBallot) -> VerifiedBallot {
///     let hash = ballot.hash();
///     VerifiedBallot { ballot, hash } // private fields: only the verifier makes one
/// }
/// ```
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
    pub fn tracking_code(&self) -> TrackingCode {
        TrackingCode::of(&self.hash)
    }
    pub fn into_inner(self) -> EncryptedBallot {
        self.ballot
    }
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

/// A ballot whose shape fits its style: each contest of the style paired with the ballot's
/// ciphertexts and proofs for it, the proof already matched to the contest's rule. Only
/// [`check_shape`] makes one, so what follows it (the verifier) has no case left to rule out.
#[derive(Debug, Clone)]
pub struct ShapedBallot<'m, 'b> {
    style: &'m BallotStyle,
    contests: Vec<ShapedContest<'m, 'b>>,
}

impl<'m, 'b> ShapedBallot<'m, 'b> {
    /// The ballot's style.
    pub fn style(&self) -> &'m BallotStyle {
        self.style
    }
    /// The contests, in style order.
    pub fn contests(&self) -> &[ShapedContest<'m, 'b>] {
        &self.contests
    }
}

/// One contest of a [`ShapedBallot`].
#[derive(Debug, Clone)]
pub struct ShapedContest<'m, 'b> {
    /// Position in the ballot (style order), from 0: how errors name the contest.
    pub position: usize,
    /// Index in the manifest: what the transcripts bind.
    pub index: usize,
    pub contest: &'m Contest,
    /// One ciphertext per option.
    pub ciphertexts: &'b [Ciphertext],
    pub proofs: ShapedProofs<'m, 'b>,
}

/// A contest's proofs, matched to its rule with the sizes the rule fixes.
#[derive(Debug, Clone)]
pub enum ShapedProofs<'m, 'b> {
    /// A selection contest: one 0/1 proof per option (branch counts checked) and the limit proof
    /// on `[min, max]` exactly when the rule is not implied ([`limit_implied`]).
    Selection {
        selections: &'b [DisjunctiveProof],
        limit: Option<(RangeBounds, &'b DisjunctiveProof)>,
    },
    /// A bounded contest: one commitment and one link proof per option, the option range proof,
    /// and the limit range proof exactly when the rule has a linear limit.
    Bounded {
        maxima: &'m [u64],
        commitments: &'b [Point],
        links: &'b [LinkProof],
        range: &'b RangeProof,
        limit: Option<(&'m LinearLimit, &'b RangeProof)>,
    },
}

/// The `[min, max]` a selection contest's limit proof proves the number of selections in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RangeBounds {
    pub min: u64,
    pub max: u64,
}

/// The ballot's shape against the manifest, without any group operation: the style exists, the
/// ballot's contests are exactly the style's in order, each with one ciphertext per option, and
/// each proof is of the contest's kind with the sizes its rule fixes (proofs per option, limit
/// proof present exactly when the rule needs one, branch counts). Returns the ballot paired with
/// its style's contests.
///
/// Why separate: a decoded ballot is several times its wire size, so a server runs this before
/// it queues a ballot for proof verification — a well-formed ballot's size is then bounded by
/// the manifest. [`verify_ballot`] runs the same check, so the two can never disagree.
pub fn check_shape<'m, 'b>(
    manifest: &'m Manifest,
    ballot: &'b EncryptedBallot,
) -> Result<ShapedBallot<'m, 'b>, VerifyError> {
    let style = manifest
        .style(&ballot.style)
        .ok_or_else(|| VerifyError::UnknownStyle(ballot.style.clone()))?;
    if style.contests.len() != ballot.contests.len() {
        return Err(ShapeError::ContestCount {
            style: style.id.clone(),
            expected: style.contests.len(),
            got: ballot.contests.len(),
        }
        .into());
    }
    let mut contests = Vec::with_capacity(style.contests.len());
    for (pos, (&ci, ec)) in style.contests.iter().zip(&ballot.contests).enumerate() {
        let contest = manifest
            .contests
            .get(ci)
            .ok_or_else(|| ShapeError::StyleContest {
                style: style.id.clone(),
                index: ci,
            })?;
        if ec.contest != contest.id {
            return Err(ShapeError::WrongContest {
                contest: pos,
                expected: contest.id.clone(),
                got: ec.contest.clone(),
            }
            .into());
        }
        let id = || contest.id.clone();
        let n = contest.width();
        if ec.ciphertexts.len() != n {
            return Err(ShapeError::CiphertextCount {
                contest: pos,
                id: id(),
                expected: n,
                got: ec.ciphertexts.len(),
            }
            .into());
        }
        let count = |part: ProofPart, got: usize| -> Result<(), VerifyError> {
            if got == n {
                return Ok(());
            }
            Err(ShapeError::ProofCount {
                contest: pos,
                id: id(),
                part,
                expected: n,
                got,
            }
            .into())
        };
        let unexpected = || ShapeError::UnexpectedLimitProof {
            contest: pos,
            id: id(),
        };
        let missing = || ShapeError::MissingLimitProof {
            contest: pos,
            id: id(),
        };
        let proofs = match (&contest.rule, &ec.proof) {
            (Rule::Selection { min, max }, ContestProof::Selection { selections, limit }) => {
                count(ProofPart::Selections, selections.len())?;
                for (j, p) in selections.iter().enumerate() {
                    check_branches(p, 0, 1, ProofKind::Selection, pos, Some(j))?;
                }
                let limit = match (limit_implied(*min, *max, n), limit) {
                    (true, None) => None,
                    (false, Some(p)) => {
                        check_branches(p, *min, *max, ProofKind::ContestLimit, pos, None)?;
                        Some((
                            RangeBounds {
                                min: *min,
                                max: *max,
                            },
                            p,
                        ))
                    }
                    (true, Some(_)) => return Err(unexpected().into()),
                    (false, None) => return Err(missing().into()),
                };
                ShapedProofs::Selection {
                    selections: selections.as_slice(),
                    limit,
                }
            }
            (
                Rule::Bounded { maxima, limit },
                ContestProof::Bounded {
                    commitments,
                    links,
                    range,
                    limit: limit_proof,
                },
            ) => {
                count(ProofPart::Commitments, commitments.len())?;
                count(ProofPart::Links, links.len())?;
                let limit = match (limit, limit_proof) {
                    (None, None) => None,
                    (Some(l), Some(p)) => Some((l, p)),
                    (None, Some(_)) => return Err(unexpected().into()),
                    (Some(_), None) => return Err(missing().into()),
                };
                ShapedProofs::Bounded {
                    maxima: maxima.as_slice(),
                    commitments: commitments.as_slice(),
                    links: links.as_slice(),
                    range,
                    limit,
                }
            }
            _ => {
                return Err(ShapeError::WrongProofType {
                    contest: pos,
                    id: id(),
                }
                .into())
            }
        };
        contests.push(ShapedContest {
            position: pos,
            index: ci,
            contest,
            ciphertexts: &ec.ciphertexts,
            proofs,
        });
    }
    Ok(ShapedBallot { style, contests })
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
        return Err(ShapeError::IdentityCredential.into());
    }
    let shaped = check_shape(election.manifest(), ballot)?;
    let key = election.key();
    // `index` is the contest's index in the manifest (what the transcripts bind); errors name
    // the contest by `pos`, its position in this ballot (see `VerifyError::Proof`).
    for sc in shaped.contests() {
        let pos = sc.position;
        let ctx = BallotContext {
            election_hash: election.hash(),
            election_key: key.point(),
            credential: &ballot.credential,
            contest: sc.index as u32,
        };
        match &sc.proofs {
            ShapedProofs::Selection { selections, limit } => {
                let base = contest_transcript(labels::SELECTION, &ctx);
                for (j, (ct, proof)) in sc.ciphertexts.iter().zip(*selections).enumerate() {
                    let mut t = option_transcript(&base, j);
                    proof
                        .verify_into(&mut t, ct, 0, 1, ProofKind::Selection, batch)
                        .map_err(|e| e.at(pos, Some(j)))?;
                    settle(mode, batch, ProofKind::Selection, Some(pos), Some(j))?;
                }
                if let Some((RangeBounds { min, max }, limit)) = limit {
                    let sum = Ciphertext::sum(sc.ciphertexts);
                    let mut t = contest_transcript(labels::CONTEST_LIMIT, &ctx);
                    limit
                        .verify_into(&mut t, &sum, *min, *max, ProofKind::ContestLimit, batch)
                        .map_err(|e| e.at(pos, None))?;
                    settle(mode, batch, ProofKind::ContestLimit, Some(pos), None)?;
                }
            }
            ShapedProofs::Bounded {
                maxima,
                commitments,
                links,
                range,
                limit,
            } => {
                let base = contest_transcript(labels::COMMITMENT_LINK, &ctx);
                for (j, ((ct, c), link)) in sc
                    .ciphertexts
                    .iter()
                    .zip(*commitments)
                    .zip(*links)
                    .enumerate()
                {
                    let mut t = option_transcript(&base, j);
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
                if let Some((l, proof)) = limit {
                    let c = limit_commitment(l, commitments);
                    let mut t = range_transcript(labels::RANGE_LIMIT, &ctx, commitments);
                    proof
                        .verify_into(&mut t, &[c], bits_for(l.total), batch)
                        .map_err(|_| VerifyError::proof(ProofKind::RangeLimit).at(pos, None))?;
                    settle(mode, batch, ProofKind::RangeLimit, Some(pos), None)?;
                }
            }
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
    verify_ballots_of(ballots.into_iter().map(|b| (election, b)).collect())
}

/// [`verify_ballots`] for ballots of several elections at once, each paired with its own
/// election: one chunk's multiscalar multiplication checks the proofs of every election in it
/// (each equation under its own election's key, [`BatchVerifier::set_key`]), so a service whose
/// elections each have a few ballots waiting verifies them in one large batch rather than in
/// many small ones. Verdicts are those of [`verify_ballot`] with the ballot's own election, in
/// input order.
pub fn verify_ballots_of(
    ballots: Vec<(&Election, EncryptedBallot)>,
) -> Vec<Result<VerifiedBallot, VerifyError>> {
    // Chunks of at most 128 ballots (a multiscalar multiplication of that size is already at
    // its cheapest per point), of equal size; few ballots are still split so that every thread
    // gets a chunk, but never below 8 ballots a chunk.
    #[cfg(feature = "parallel")]
    let threads = rayon::current_num_threads();
    #[cfg(not(feature = "parallel"))]
    let threads = 1;
    let n = ballots.len();
    let count = threads.min(n / 8).max(n.div_ceil(128)).max(1);
    let chunk_len = n.div_ceil(count).max(1);
    let chunks: Vec<Vec<(&Election, EncryptedBallot)>> = {
        let mut out = Vec::with_capacity(ballots.len().div_ceil(chunk_len));
        let mut it = ballots.into_iter().peekable();
        while it.peek().is_some() {
            out.push(it.by_ref().take(chunk_len).collect());
        }
        out
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

/// A ballot with the election it is judged under.
type Paired<'a> = (&'a Election, EncryptedBallot);
/// A ballot's verdict.
type Verdict = Result<VerifiedBallot, VerifyError>;

/// One chunk of [`verify_ballots_of`]: every proof of the chunk in one multiscalar
/// multiplication. If that fails and the chunk spans several elections, each election's ballots
/// are checked again as a batch of their own before any ballot is checked alone, so that one
/// election's bad ballots never make another's verify one by one.
fn verify_chunk(chunk: Vec<Paired<'_>>) -> Vec<Verdict> {
    let hashes: Vec<Digest> = chunk.iter().map(|(_, b)| b.hash()).collect();
    let Some(&(first, _)) = chunk.first() else {
        return Vec::new();
    };
    let mut batch = BatchVerifier::new(*first.key().point().point(), batch_seed(&hashes));
    let mut structural: Vec<Result<(), VerifyError>> = Vec::with_capacity(chunk.len());
    for (election, b) in &chunk {
        batch.set_key(*election.key().point().point());
        structural.push(check_into(election, b, &mut batch, Mode::Batch));
    }
    if structural.iter().all(Result::is_ok) && batch.verify() {
        return chunk
            .into_iter()
            .zip(hashes)
            .map(|((_, ballot), hash)| Ok(VerifiedBallot { ballot, hash }))
            .collect();
    }
    if chunk.iter().all(|(e, _)| e.hash() == first.hash()) {
        return chunk
            .into_iter()
            .map(|(election, b)| verify_ballot(election, b))
            .collect();
    }
    // Per election, keeping each ballot's position.
    let n = chunk.len();
    // (election hash, positions in the chunk, its ballots)
    let mut groups: Vec<(Digest, Vec<usize>, Vec<Paired<'_>>)> = Vec::new();
    for (i, (election, b)) in chunk.into_iter().enumerate() {
        match groups.iter_mut().find(|(h, _, _)| h == election.hash()) {
            Some((_, at, items)) => {
                at.push(i);
                items.push((election, b));
            }
            None => groups.push((*election.hash(), vec![i], vec![(election, b)])),
        }
    }
    let mut out: Vec<Option<Verdict>> = (0..n).map(|_| None).collect();
    for (_, at, items) in groups {
        for (i, verdict) in at.into_iter().zip(verify_chunk(items)) {
            out[i] = Some(verdict);
        }
    }
    out.into_iter()
        .map(|v| v.unwrap_or_else(|| Err(VerifyError::proof(ProofKind::BallotSignature))))
        .collect()
}

/// Cost measures of verification, for benchmarks (`psephos bench` judges its figures against
/// the floor they imply).
pub mod cost {
    use super::*;

    /// The group elements a verifier decompresses for `ballot`: every point of its encoding
    /// (decoded strictly with [`Canonical`](crate::encoding::Canonical)) and the points inside its range proofs.
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
