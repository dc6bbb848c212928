//! The encrypted tally, decryption shares and the decrypted result (`docs/protocol.md`, §9).
//!
//! The tally is the homomorphic sum, per contest and option, of the counted ballots'
//! ciphertexts, each multiplied by its voter's weight. Ballots are grouped by weight and each
//! group's sum is multiplied once, so weights cost one scalar multiplication per distinct weight,
//! not per ballot.
//!
//! It covers only the **homomorphically counted** contests. A mixed contest (`count = "mix"`,
//! §13.7) is counted from its decrypted rows; summing its ciphertexts would decrypt nothing
//! useful (a sum of rank positions or of write-in text) and could exceed the bound of the
//! discrete logarithm. [`complete_result`] joins the decrypted tally with the mixed contests'
//! counts into the one result of the election, in manifest order.
//!
//! Only this aggregate is ever decrypted. Trustee `j` publishes, for every aggregate `(α, β)`,
//! `Mⱼ = sⱼ·α` with a Chaum–Pedersen proof that `log_G Vⱼ = log_α Mⱼ`. Any `k` valid shares are
//! combined by Lagrange interpolation, `s·α = Σ λⱼ·Mⱼ`, so `t·G = β − s·α`, and the count `t` is
//! found by a discrete logarithm bounded by (weight of ballots in the contest × option maximum).

use crate::ballot::{EncryptedBallot, VerifiedBallot};
use crate::dlog::DlogTable;
use crate::election::{Contest, Election};
use crate::elgamal::Ciphertext;
use crate::encoding::{Canonical, Reader, Writer, MAX_STRING};
use crate::error::{DecodeError, TallyError};
use crate::group::Point;
use crate::hash::Digest;
use crate::mixnet::MixResult;
use crate::proofs::chaum_pedersen::DleqStatement;
use crate::proofs::{BatchVerifier, ChaumPedersenProof};
use crate::threshold::{lagrange_at_zero, SecretShare};
use crate::transcript::{labels, TranscriptProtocol};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The encrypted aggregate of one contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TallyContest {
    pub contest: String,
    /// Ballots that contained this contest.
    pub ballots: u64,
    /// Their total weight (equals `ballots` in an unweighted election).
    pub weight: u64,
    pub ciphertexts: Vec<Ciphertext>,
}

/// The encrypted tally of an election: one aggregate per homomorphically counted contest, in
/// manifest order (a mixed contest has none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EncryptedTally {
    pub election: Digest,
    pub contests: Vec<TallyContest>,
}

type Sums = Vec<Vec<(RistrettoPoint, RistrettoPoint)>>;

/// Largest voter weight.
pub const MAX_WEIGHT: u64 = 1_000_000;
/// Largest count the discrete logarithm searches for (about 10¹²; at most 2²⁰ giant steps of the
/// largest table). A tally claiming more is rejected instead of searched.
pub const MAX_COUNT_BOUND: u64 = 1 << 40;

/// Sums verified ballots into an [`EncryptedTally`].
#[derive(Debug)]
pub struct TallyAccumulator<'a> {
    election: &'a Election,
    by_weight: BTreeMap<u64, Sums>,
    ballots: Vec<u64>,
    weight: Vec<u64>,
}

impl<'a> TallyAccumulator<'a> {
    pub fn new(election: &'a Election) -> Self {
        let n = election.manifest().contests.len();
        TallyAccumulator {
            election,
            by_weight: BTreeMap::new(),
            ballots: vec![0; n],
            weight: vec![0; n],
        }
    }

    /// Adds one counted ballot with its voter's weight (1 in unweighted elections).
    pub fn add(&mut self, ballot: &VerifiedBallot, weight: u64) -> Result<(), TallyError> {
        self.add_cast(ballot.ballot(), weight)
    }

    /// Adds a ballot read back from the bulletin board, whose proofs were verified before it was
    /// appended (the board accepts no other). Used to recompute the tally from the board: by the
    /// server that posts it and by every trustee and observer that checks it. The shape is
    /// checked again (style, contest and option counts); the proofs are not — `psephos verify`
    /// re-checks those over the whole record.
    pub fn add_cast(&mut self, b: &EncryptedBallot, weight: u64) -> Result<(), TallyError> {
        let manifest = self.election.manifest();
        if &b.election != self.election.hash() {
            return Err(TallyError::Shape("ballot of another election".into()));
        }
        if weight == 0 || weight > MAX_WEIGHT {
            return Err(TallyError::Shape(format!(
                "a voter weight must be between 1 and {MAX_WEIGHT}, not {weight}"
            )));
        }
        if weight != 1 && !manifest.weighted {
            return Err(TallyError::Shape(
                "the election is not weighted: every weight must be 1".into(),
            ));
        }
        let style = manifest
            .style(&b.style)
            .ok_or_else(|| TallyError::Shape(format!("unknown style {:?}", b.style)))?;
        if b.contests.len() != style.contests.len()
            || style.contests.iter().zip(&b.contests).any(|(&ci, ec)| {
                ec.contest != manifest.contests[ci].id
                    || ec.ciphertexts.len() != manifest.contests[ci].width()
            })
        {
            return Err(TallyError::Shape(format!(
                "the ballot does not have the shape of style {:?}",
                b.style
            )));
        }
        let sums = self.by_weight.entry(weight).or_insert_with(|| {
            manifest
                .contests
                .iter()
                .map(|c| {
                    let width = if c.is_mixed() { 0 } else { c.width() };
                    vec![(RistrettoPoint::identity(), RistrettoPoint::identity()); width]
                })
                .collect()
        });
        for (&ci, ec) in style.contests.iter().zip(&b.contests) {
            for (acc, ct) in sums[ci].iter_mut().zip(&ec.ciphertexts) {
                acc.0 += ct.alpha.point();
                acc.1 += ct.beta.point();
            }
            self.ballots[ci] += 1;
            self.weight[ci] = self.weight[ci].saturating_add(weight);
        }
        Ok(())
    }

    pub fn finish(self) -> EncryptedTally {
        let manifest = self.election.manifest();
        let mut contests = Vec::with_capacity(manifest.contests.len());
        for (ci, c) in manifest.homomorphic_contests() {
            let mut cts = Vec::with_capacity(c.width());
            for j in 0..c.width() {
                let (mut a, mut b) = (RistrettoPoint::identity(), RistrettoPoint::identity());
                for (&w, sums) in &self.by_weight {
                    let (sa, sb) = sums[ci][j];
                    if w == 1 {
                        a += sa;
                        b += sb;
                    } else {
                        let w = Scalar::from(w);
                        a += sa * w;
                        b += sb * w;
                    }
                }
                cts.push(Ciphertext {
                    alpha: Point::from_point(a),
                    beta: Point::from_point(b),
                });
            }
            contests.push(TallyContest {
                contest: c.id.clone(),
                ballots: self.ballots[ci],
                weight: self.weight[ci],
                ciphertexts: cts,
            });
        }
        EncryptedTally {
            election: *self.election.hash(),
            contests,
        }
    }
}

/// One trustee's share of one aggregate ciphertext.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareItem {
    /// `Mⱼ = sⱼ·α`.
    pub share: Point,
    pub proof: ChaumPedersenProof,
}

/// A trustee's decryption share of the whole tally.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptionShare {
    /// The trustee's index (1-based).
    pub trustee: u32,
    /// `contests[c][o]`, in the tally's order.
    pub contests: Vec<Vec<ShareItem>>,
}

fn share_transcript(election: &Digest, trustee: u32, contest: usize, option: usize) -> Transcript {
    let mut t = Transcript::for_proof(labels::DECRYPTION_SHARE);
    t.append_election(election);
    t.append_u64(b"trustee", u64::from(trustee));
    t.append_u64(b"contest", contest as u64);
    t.append_u64(b"option", option as u64);
    t
}

impl DecryptionShare {
    /// Computes trustee `trustee`'s share of `tally` with its secret share `sⱼ`.
    pub fn compute<R: RngCore + CryptoRng>(
        tally: &EncryptedTally,
        trustee: u32,
        secret: &SecretShare,
        rng: &mut R,
    ) -> Self {
        let vk = secret.public();
        let contests = tally
            .contests
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                c.ciphertexts
                    .iter()
                    .enumerate()
                    .map(|(oi, ct)| {
                        let share = Point::from_point(ct.alpha.point() * secret.scalar());
                        let mut t = share_transcript(&tally.election, trustee, ci, oi);
                        let st = DleqStatement {
                            x_pub: &vk,
                            base: &ct.alpha,
                            y_pub: &share,
                        };
                        ShareItem {
                            share,
                            proof: ChaumPedersenProof::prove(&mut t, secret.scalar(), &st, rng),
                        }
                    })
                    .collect()
            })
            .collect();
        DecryptionShare { trustee, contests }
    }

    /// Verifies every proof of this share against the trustee's verification key, in one
    /// multiscalar multiplication.
    pub fn verify(
        &self,
        tally: &EncryptedTally,
        verification_key: &Point,
    ) -> Result<(), TallyError> {
        let invalid = |detail: &str| TallyError::InvalidShare {
            trustee: self.trustee,
            detail: detail.into(),
        };
        if self.contests.len() != tally.contests.len() {
            return Err(invalid("wrong number of contests"));
        }
        // The weights' seed covers every public input: the tally, the key, the whole share.
        let mut seed_w = Writer::new();
        seed_w
            .digest(&tally.election)
            .u32(self.trustee)
            .point(verification_key);
        for (items, c) in self.contests.iter().zip(&tally.contests) {
            if items.len() != c.ciphertexts.len() {
                return Err(invalid("wrong number of options"));
            }
            c.encode(&mut seed_w);
            for it in items {
                it.encode(&mut seed_w);
            }
        }
        let seed = Digest::of(labels::BATCH_WEIGHTS, &seed_w.into_bytes()).0;
        let mut batch = BatchVerifier::new(*verification_key.point(), seed);
        for (ci, (items, c)) in self.contests.iter().zip(&tally.contests).enumerate() {
            for (oi, (it, ct)) in items.iter().zip(&c.ciphertexts).enumerate() {
                let mut t = share_transcript(&tally.election, self.trustee, ci, oi);
                let st = DleqStatement {
                    x_pub: verification_key,
                    base: &ct.alpha,
                    y_pub: &it.share,
                };
                it.proof.verify_into(&mut t, &st, &mut batch);
            }
        }
        if batch.verify() {
            Ok(())
        } else {
            Err(invalid("a Chaum–Pedersen proof does not verify"))
        }
    }
}

/// The decrypted result of one contest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContestResult {
    pub contest: String,
    pub ballots: u64,
    pub weight: u64,
    /// Count (or points) per option, in manifest order.
    pub counts: Vec<u64>,
}

/// The decrypted result of the election.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TallyResult {
    pub election: Digest,
    pub contests: Vec<ContestResult>,
}

/// Verifies the given shares, then combines any `threshold` or more of them and decodes the
/// counts. `verification_key(j)` returns trustee `j`'s public verification key, if `j` exists.
pub fn combine(
    election: &Election,
    tally: &EncryptedTally,
    shares: &[DecryptionShare],
    verification_key: impl Fn(u32) -> Option<Point>,
) -> Result<TallyResult, TallyError> {
    let manifest = election.manifest();
    let needed = manifest.trustees.threshold as usize;
    let counted: Vec<&Contest> = manifest.homomorphic_contests().map(|(_, c)| c).collect();
    if &tally.election != election.hash() || tally.contests.len() != counted.len() {
        return Err(TallyError::Shape(
            "the tally is not of this election".into(),
        ));
    }
    let mut indices = Vec::with_capacity(shares.len());
    for s in shares {
        if indices.contains(&s.trustee) {
            return Err(TallyError::DuplicateTrustee(s.trustee));
        }
        let vk = verification_key(s.trustee).ok_or(TallyError::UnknownTrustee(s.trustee))?;
        s.verify(tally, &vk)?;
        indices.push(s.trustee);
    }
    if indices.len() < needed {
        return Err(TallyError::NotEnoughShares {
            needed,
            got: indices.len(),
        });
    }
    let lambdas: Vec<Scalar> = indices
        .iter()
        .map(|&i| lagrange_at_zero(&indices, i).ok_or(TallyError::UnknownTrustee(i)))
        .collect::<Result<_, _>>()?;
    for (c, mc) in tally.contests.iter().zip(&counted) {
        if c.contest != mc.id || c.ciphertexts.len() != mc.width() || c.weight < c.ballots {
            return Err(TallyError::Shape(format!(
                "tally contest {:?} does not match manifest contest {:?}",
                c.contest, mc.id
            )));
        }
        let too_big = (0..mc.width()).any(|oi| {
            c.weight
                .checked_mul(mc.option_max(oi))
                .is_none_or(|b| b > MAX_COUNT_BOUND)
        });
        if too_big {
            return Err(TallyError::Shape(format!(
                "contest {:?}: the claimed weight {} allows counts beyond {MAX_COUNT_BOUND}",
                c.contest, c.weight
            )));
        }
    }
    let bound_of = |ci: usize, oi: usize| {
        let c = &tally.contests[ci];
        c.weight.saturating_mul(counted[ci].option_max(oi))
    };
    let max_bound = (0..tally.contests.len())
        .flat_map(|ci| (0..tally.contests[ci].ciphertexts.len()).map(move |oi| (ci, oi)))
        .map(|(ci, oi)| bound_of(ci, oi))
        .max()
        .unwrap_or(0);
    let table = DlogTable::for_bound(max_bound);
    let mut contests = Vec::with_capacity(tally.contests.len());
    for (ci, c) in tally.contests.iter().enumerate() {
        if c.ciphertexts.len() != counted[ci].width() {
            return Err(TallyError::Shape(format!(
                "contest {:?} has the wrong number of options",
                c.contest
            )));
        }
        let mut counts = Vec::with_capacity(c.ciphertexts.len());
        for (oi, ct) in c.ciphertexts.iter().enumerate() {
            let s_alpha = RistrettoPoint::vartime_multiscalar_mul(
                &lambdas,
                shares.iter().map(|s| *s.contests[ci][oi].share.point()),
            );
            let target = ct.beta.point() - s_alpha;
            let bound = bound_of(ci, oi);
            let t = table
                .solve(&target, bound)
                .ok_or(TallyError::CountOutOfBound {
                    contest: ci,
                    option: oi,
                    bound,
                })?;
            counts.push(t);
        }
        contests.push(ContestResult {
            contest: c.contest.clone(),
            ballots: c.ballots,
            weight: c.weight,
            counts,
        });
    }
    Ok(TallyResult {
        election: tally.election,
        contests,
    })
}

/// The result of the whole election, in manifest order: each homomorphically counted contest as
/// `decrypted` (the combination of the tally's shares, [`combine`]) states it, and each mixed
/// contest from its decrypted rows in `mixed` (§13.9): `ballots` and `weight` the number of rows
/// (mixed contests are never weighted), `counts[o]` the sum of the rows' values at position `o`.
/// `mixed` is required exactly when the manifest has a mixed contest.
pub fn complete_result(
    election: &Election,
    decrypted: &TallyResult,
    mixed: Option<&MixResult>,
) -> Result<TallyResult, TallyError> {
    let manifest = election.manifest();
    if &decrypted.election != election.hash() {
        return Err(TallyError::Shape(
            "the decrypted tally is not of this election".into(),
        ));
    }
    let mut homomorphic = decrypted.contests.iter();
    let mut rows = mixed.map(|m| m.contests.iter());
    if let Some(m) = mixed {
        if &m.election != election.hash() {
            return Err(TallyError::Shape(
                "the mixed result is not of this election".into(),
            ));
        }
    }
    let mut contests = Vec::with_capacity(manifest.contests.len());
    for c in &manifest.contests {
        let r = if c.is_mixed() {
            let m = rows
                .as_mut()
                .and_then(Iterator::next)
                .filter(|m| m.contest == c.id && m.counts.len() == c.width())
                .ok_or_else(|| {
                    TallyError::Shape(format!(
                        "contest {:?} is mixed and needs its decrypted rows",
                        c.id
                    ))
                })?;
            let n = m.rows.len() as u64;
            ContestResult {
                contest: c.id.clone(),
                ballots: n,
                weight: n,
                counts: m.counts.clone(),
            }
        } else {
            homomorphic
                .next()
                .filter(|r| r.contest == c.id)
                .cloned()
                .ok_or_else(|| {
                    TallyError::Shape(format!("contest {:?} is missing from the tally", c.id))
                })?
        };
        contests.push(r);
    }
    if homomorphic.next().is_some() || rows.as_mut().and_then(Iterator::next).is_some() {
        return Err(TallyError::Shape(
            "the decrypted tally or the mixed rows hold a contest the manifest does not".into(),
        ));
    }
    Ok(TallyResult {
        election: decrypted.election,
        contests,
    })
}

impl Canonical for ShareItem {
    const MIN_ENCODED_LEN: usize = 128;
    fn encode(&self, w: &mut Writer) {
        w.point(&self.share);
        self.proof.encode(w);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ShareItem {
            share: r.point()?,
            proof: ChaumPedersenProof::decode(r)?,
        })
    }
}

impl Canonical for TallyContest {
    const MIN_ENCODED_LEN: usize = 24;
    fn encode(&self, w: &mut Writer) {
        w.str(&self.contest)
            .u64(self.ballots)
            .u64(self.weight)
            .seq(&self.ciphertexts);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TallyContest {
            contest: r.str(MAX_STRING)?,
            ballots: r.u64()?,
            weight: r.u64()?,
            ciphertexts: r.seq(crate::election::MAX_OPTIONS)?,
        })
    }
}

impl Canonical for EncryptedTally {
    const MIN_ENCODED_LEN: usize = 36;
    fn encode(&self, w: &mut Writer) {
        w.digest(&self.election).seq(&self.contests);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(EncryptedTally {
            election: r.digest()?,
            contests: r.seq(crate::election::MAX_CONTESTS)?,
        })
    }
}

struct ItemList(Vec<ShareItem>);
impl Canonical for ItemList {
    const MIN_ENCODED_LEN: usize = 4;
    fn encode(&self, w: &mut Writer) {
        w.seq(&self.0);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ItemList(r.seq(crate::election::MAX_OPTIONS)?))
    }
}

impl Canonical for DecryptionShare {
    const MIN_ENCODED_LEN: usize = 8;
    fn encode(&self, w: &mut Writer) {
        w.u32(self.trustee).len(self.contests.len());
        for c in &self.contests {
            w.seq(c);
        }
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let trustee = r.u32()?;
        let lists: Vec<ItemList> = r.seq(crate::election::MAX_CONTESTS)?;
        Ok(DecryptionShare {
            trustee,
            contests: lists.into_iter().map(|l| l.0).collect(),
        })
    }
}

impl Canonical for ContestResult {
    const MIN_ENCODED_LEN: usize = 24;
    fn encode(&self, w: &mut Writer) {
        w.str(&self.contest)
            .u64(self.ballots)
            .u64(self.weight)
            .seq(&self.counts);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ContestResult {
            contest: r.str(MAX_STRING)?,
            ballots: r.u64()?,
            weight: r.u64()?,
            counts: r.seq(crate::election::MAX_OPTIONS)?,
        })
    }
}

impl Canonical for TallyResult {
    const MIN_ENCODED_LEN: usize = 36;
    fn encode(&self, w: &mut Writer) {
        w.digest(&self.election).seq(&self.contests);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(TallyResult {
            election: r.digest()?,
            contests: r.seq(crate::election::MAX_CONTESTS)?,
        })
    }
}
