//! What each proof of a ballot states (`docs/protocol.md` §8.2, §8.3): the transcripts with
//! their context (election hash, election key, credential, contest and option position), the
//! shifted commitments of a bounded contest's range statements, and when a limit proof is
//! implied. The prover (`encrypt`) and the verifier (`verify`) both build
//! their statements here, so what is proven and what is checked cannot drift apart.

use crate::election::LinearLimit;
use crate::generators::g_table;
use crate::group::Point;
use crate::hash::Digest;
use crate::proofs::range::RangeCommitment;
use crate::transcript::{labels, BallotContext, TranscriptProtocol};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use merlin::Transcript;

pub(super) fn contest_transcript(label: &'static [u8], ctx: &BallotContext<'_>) -> Transcript {
    let mut t = Transcript::for_proof(label);
    t.append_ballot_context(ctx);
    t
}

/// The transcript of option `option`'s proof: its contest's transcript (`contest_transcript`
/// with the proof's label) and the option. Taking the contest's transcript, built once per
/// contest, saves re-absorbing the whole context for every option; the state is the same.
pub(super) fn option_transcript(contest: &Transcript, option: usize) -> Transcript {
    let mut t = contest.clone();
    t.append_u64(b"option", option as u64);
    t
}

pub(super) fn signature_transcript(election: &Digest, content: &Digest) -> Transcript {
    let mut t = Transcript::for_proof(labels::BALLOT_SIGNATURE);
    t.append_election(election);
    t.append_digest(b"ballot", content);
    t
}

/// The values and blindings of a bounded contest's option range statement, in the order
/// `[v₀ … v_{n−1}, u₀ − v₀ … u_{n−1} − v_{n−1}]`.
pub(super) fn option_range_values(
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
pub(super) fn limit_value(
    limit: &LinearLimit,
    values: &[u64],
    blindings: &[Scalar],
) -> (u64, Scalar) {
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
pub(super) fn option_range_commitments(
    maxima: &[u64],
    commitments: &[Point],
) -> Vec<RangeCommitment> {
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
pub(super) fn limit_commitment(limit: &LinearLimit, commitments: &[Point]) -> RangeCommitment {
    let weights: Vec<Scalar> = limit.weights.iter().map(|&w| Scalar::from(w)).collect();
    let weighted =
        RistrettoPoint::vartime_multiscalar_mul(&weights, commitments.iter().map(Point::point));
    let p = g_table() * &Scalar::from(limit.total) - weighted;
    (p.compress(), p)
}

/// The transcript of a bounded contest's range proofs: context, then every commitment.
pub(super) fn range_transcript(
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

/// Whether `[min, max]` holds for every sum of `n` values in {0, 1}, so no limit proof is needed.
pub fn limit_implied(min: u64, max: u64, n: usize) -> bool {
    min == 0 && max >= n as u64
}
