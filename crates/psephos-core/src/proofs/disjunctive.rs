//! Disjunctive Chaum–Pedersen proofs (`docs/protocol.md`, §5.3): a ciphertext
//! `(α, β)` under `K` encrypts some value `v ∈ [lo, hi]`.
//!
//! The proof is the OR (Cramer–Damgård–Schoenmakers) of `hi − lo + 1` Chaum–Pedersen proofs that
//! `(α, β − v·G)` is an encryption of zero, i.e. `log_G α = log_K (β − v·G)`. The prover answers
//! the branch of the true value honestly and simulates the others. The branch challenges must add
//! up to the Fiat–Shamir challenge, which is fixed only after all commitments, so a prover can
//! simulate every branch but one, and that one must be true; which one it is stays hidden.
//!
//! With `[lo, hi] = [0, 1]` this is the `SelectionProof` of one option; on the homomorphic sum of
//! a contest's options with `[min, max]` it is the `ContestLimitProof`.
//!
//! Constant time: every branch is computed with the same operations. The simulated branch
//! `(a, b) = (z·G − c·α, z·K − c·(β − v·G))` is rewritten with the prover's own `r` and `m` as
//! `a = (z − c·r)·G`, `b = (z − c·r)·K − c·(m − v)·G`; the real branch is the same formula with
//! `c = 0`, `z = w`. The real index is chosen with `subtle` selects, and only fixed-base
//! (table) multiplications are used, which is also what makes the prover fast.

use super::batch::BatchVerifier;
use crate::elgamal::{Ciphertext, ElectionKey};
use crate::encoding::{Canonical, Reader, Writer, MAX_SEQ};
use crate::error::{DecodeError, ProofKind, VerifyError};
use crate::generators::g_table;
use crate::group::{half, points_from_halves, serde_scalar_vec, Point};
use crate::transcript::{prover_rng, random_scalar, TranscriptProtocol};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

/// Most branches a disjunctive proof may have (`hi − lo + 1`).
pub const MAX_BRANCHES: u64 = 256;

/// The commitments `(aⱼ, bⱼ)` of one branch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BranchCommitment {
    pub a: Point,
    pub b: Point,
}

/// A disjunctive Chaum–Pedersen proof that a ciphertext encrypts a value in `[lo, hi]`.
///
/// `challenges` holds `c₀ … c_{n−2}`; the last challenge is `c − Σ cⱼ`, recomputed by the
/// verifier, so the proof cannot choose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisjunctiveProof {
    pub commitments: Vec<BranchCommitment>,
    #[serde(with = "serde_scalar_vec")]
    pub challenges: Vec<Scalar>,
    #[serde(with = "serde_scalar_vec")]
    pub responses: Vec<Scalar>,
}

fn absorb_statement(t: &mut Transcript, ct: &Ciphertext, lo: u64, hi: u64) {
    t.append_point(b"alpha", &ct.alpha);
    t.append_point(b"beta", &ct.beta);
    t.append_u64(b"lo", lo);
    t.append_u64(b"hi", hi);
}

/// The prover's secret: the encrypted value and the encryption nonce.
pub struct Witness<'a> {
    pub value: u64,
    pub nonce: &'a Scalar,
}

impl std::fmt::Debug for Witness<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Witness(<secret>)")
    }
}

impl DisjunctiveProof {
    /// Proves that `ct = (r·G, m·G + r·K)` encrypts `m ∈ [lo, hi]`. The transcript must already
    /// hold the domain label and context. Returns `None` if `m ∉ [lo, hi]` or the range is empty
    /// or too wide (the caller has validated the plaintext before, so this is a bug guard).
    pub fn prove<R: RngCore + CryptoRng>(
        t: &mut Transcript,
        key: &ElectionKey,
        ct: &Ciphertext,
        witness: &Witness<'_>,
        lo: u64,
        hi: u64,
        rng: &mut R,
    ) -> Option<Self> {
        if hi < lo || hi - lo >= MAX_BRANCHES || witness.value < lo || witness.value > hi {
            return None;
        }
        let n = (hi - lo + 1) as usize;
        absorb_statement(t, ct, lo, hi);
        let r = witness.nonce;
        let mut m = Scalar::from(witness.value);
        let real = witness.value - lo;
        let mut rng = prover_rng(t, &[r, &m], rng);

        let mut w = random_scalar(&mut rng);
        let mut sim_z: Vec<Scalar> = (0..n).map(|_| random_scalar(&mut rng)).collect();
        let mut sim_c: Vec<Scalar> = (0..n).map(|_| random_scalar(&mut rng)).collect();
        // Halved commitments (scalars times 2⁻¹), encoded in one batch below.
        let h = half();
        let mut halves = Vec::with_capacity(2 * n);
        for j in 0..n {
            let is_real = (j as u64).ct_eq(&real);
            let z = Scalar::conditional_select(&sim_z[j], &w, is_real);
            let c = Scalar::conditional_select(&sim_c[j], &Scalar::ZERO, is_real);
            let v = Scalar::from(lo + j as u64);
            let mut tt = (z - c * r) * h;
            let mut u = c * (m - v) * h;
            halves.push(g_table() * &tt);
            halves.push(key.mul(&tt) - g_table() * &u);
            tt.zeroize();
            u.zeroize();
        }
        let commitments: Vec<BranchCommitment> = points_from_halves(&halves)
            .chunks_exact(2)
            .map(|p| BranchCommitment { a: p[0], b: p[1] })
            .collect();
        for bc in &commitments {
            t.append_point(b"a", &bc.a);
            t.append_point(b"b", &bc.b);
        }
        let c = t.challenge_scalar(b"c");
        let mut c_real = c;
        for (j, cj) in sim_c.iter().enumerate() {
            let is_real = (j as u64).ct_eq(&real);
            c_real -= Scalar::conditional_select(cj, &Scalar::ZERO, is_real);
        }
        let z_real = w + c_real * r;
        let mut challenges = Vec::with_capacity(n);
        let mut responses = Vec::with_capacity(n);
        for j in 0..n {
            let is_real = (j as u64).ct_eq(&real);
            challenges.push(Scalar::conditional_select(&sim_c[j], &c_real, is_real));
            responses.push(Scalar::conditional_select(&sim_z[j], &z_real, is_real));
        }
        challenges.pop();
        w.zeroize();
        m.zeroize();
        sim_z.zeroize();
        sim_c.zeroize();
        Some(DisjunctiveProof {
            commitments,
            challenges,
            responses,
        })
    }

    /// Adds, for every branch `j` with value `vⱼ = lo + j`,
    /// `zⱼ·G − aⱼ − cⱼ·α = 0` and `zⱼ·K − bⱼ − cⱼ·β + cⱼ·vⱼ·G = 0` to `batch`.
    pub fn verify_into(
        &self,
        t: &mut Transcript,
        ct: &Ciphertext,
        lo: u64,
        hi: u64,
        kind: ProofKind,
        batch: &mut BatchVerifier,
    ) -> Result<(), VerifyError> {
        let bad = || VerifyError::proof(kind);
        if hi < lo || hi - lo >= MAX_BRANCHES {
            return Err(bad());
        }
        let n = (hi - lo + 1) as usize;
        if self.commitments.len() != n
            || self.challenges.len() != n - 1
            || self.responses.len() != n
        {
            return Err(bad());
        }
        absorb_statement(t, ct, lo, hi);
        for bc in &self.commitments {
            t.append_point(b"a", &bc.a);
            t.append_point(b"b", &bc.b);
        }
        let c = t.challenge_scalar(b"c");
        let c_last = c - self.challenges.iter().sum::<Scalar>();

        let mut g_coeff = Scalar::ZERO;
        let mut k_coeff = Scalar::ZERO;
        let mut alpha_coeff = Scalar::ZERO;
        let mut beta_coeff = Scalar::ZERO;
        let mut terms = Vec::with_capacity(2 * n + 2);
        for (j, bc) in self.commitments.iter().enumerate() {
            let cj = if j + 1 == n {
                c_last
            } else {
                self.challenges[j]
            };
            let zj = self.responses[j];
            let rho = batch.weight();
            let sigma = batch.weight();
            let v = Scalar::from(lo + j as u64);
            g_coeff += rho * zj + sigma * cj * v;
            k_coeff += sigma * zj;
            alpha_coeff -= rho * cj;
            beta_coeff -= sigma * cj;
            terms.push((-rho, bc.a.point()));
            terms.push((-sigma, bc.b.point()));
        }
        terms.push((alpha_coeff, ct.alpha.point()));
        terms.push((beta_coeff, ct.beta.point()));
        batch.push_weighted(g_coeff, Scalar::ZERO, k_coeff, &terms, 2 * n);
        Ok(())
    }
}

impl Canonical for BranchCommitment {
    const MIN_ENCODED_LEN: usize = 64;
    fn encode(&self, w: &mut Writer) {
        w.point(&self.a).point(&self.b);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(BranchCommitment {
            a: r.point()?,
            b: r.point()?,
        })
    }
}

impl Canonical for DisjunctiveProof {
    const MIN_ENCODED_LEN: usize = 12;
    fn encode(&self, w: &mut Writer) {
        w.seq(&self.commitments)
            .seq(&self.challenges)
            .seq(&self.responses);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(DisjunctiveProof {
            commitments: r.seq(MAX_SEQ)?,
            challenges: r.seq(MAX_SEQ)?,
            responses: r.seq(MAX_SEQ)?,
        })
    }
}
