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
//! (table) multiplications are used, which is also what makes the prover fast. With two
//! branches (a 0/1 proof) the term `c·(m − v)·G` is non-zero in exactly one branch, so it is
//! computed once and selected into both.

use super::batch::BatchVerifier;
use crate::elgamal::{Ciphertext, ElectionKey};
use crate::encoding::{Canonical, Reader, Writer, MAX_SEQ};
use crate::error::{DecodeError, ProofKind, VerifyError};
use crate::generators::g_table;
use crate::group::{half, points_from_halves, serde_scalar_vec, Point};
use crate::transcript::{prover_rng, random_scalar, TranscriptProtocol};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
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

/// One statement of [`DisjunctiveProof::prove_many`]: the transcript (holding the domain label
/// and context), the ciphertext, the witness and the range.
pub struct Statement<'a> {
    pub transcript: &'a mut Transcript,
    pub ciphertext: &'a Ciphertext,
    pub witness: Witness<'a>,
    pub lo: u64,
    pub hi: u64,
}

impl std::fmt::Debug for Statement<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Statement(<secret>)")
    }
}

/// A proof between its commitments and its challenge: the prover's secrets.
struct Pending {
    real: u64,
    nonce: Scalar,
    w: Scalar,
    sim_z: Vec<Scalar>,
    sim_c: Vec<Scalar>,
}

impl Drop for Pending {
    fn drop(&mut self) {
        self.nonce.zeroize();
        self.w.zeroize();
        self.sim_z.zeroize();
        self.sim_c.zeroize();
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
        let statement = Statement {
            transcript: t,
            ciphertext: ct,
            witness: Witness {
                value: witness.value,
                nonce: witness.nonce,
            },
            lo,
            hi,
        };
        Self::prove_many(vec![statement], key, rng)?.pop()
    }

    /// Proves every statement, in order: the same proofs, and the same draws from `rng` in the
    /// same order, as [`DisjunctiveProof::prove`] on each in turn. Faster: the commitments of all
    /// the proofs are encoded together, with one field inversion (`points_from_halves`) instead
    /// of one per proof. `None` if any witness is out of its range.
    pub fn prove_many<R: RngCore + CryptoRng>(
        mut statements: Vec<Statement<'_>>,
        key: &ElectionKey,
        rng: &mut R,
    ) -> Option<Vec<Self>> {
        let mut halves = Vec::new();
        let mut pending = Vec::with_capacity(statements.len());
        for s in &mut statements {
            pending.push(Self::commit(s, key, &mut halves, rng)?);
        }
        let points = points_from_halves(&halves);
        let mut points = points.as_slice();
        let mut proofs = Vec::with_capacity(statements.len());
        for (s, p) in statements.iter_mut().zip(&pending) {
            let (mine, rest) = points.split_at(2 * p.sim_z.len());
            points = rest;
            proofs.push(Self::finish(s, p, mine));
        }
        Some(proofs)
    }

    /// Absorbs the statement, draws the nonces and pushes the halved commitments `aⱼ/2, bⱼ/2`.
    fn commit<R: RngCore + CryptoRng>(
        s: &mut Statement<'_>,
        key: &ElectionKey,
        halves: &mut Vec<RistrettoPoint>,
        rng: &mut R,
    ) -> Option<Pending> {
        let (lo, hi, witness) = (s.lo, s.hi, &s.witness);
        if hi < lo || hi - lo >= MAX_BRANCHES || witness.value < lo || witness.value > hi {
            return None;
        }
        let n = (hi - lo + 1) as usize;
        let t = &mut *s.transcript;
        absorb_statement(t, s.ciphertext, lo, hi);
        let r = witness.nonce;
        let mut m = Scalar::from(witness.value);
        let real = witness.value - lo;
        let mut rng = prover_rng(t, &[r, &m], rng);

        let w = random_scalar(&mut rng);
        let sim_z: Vec<Scalar> = (0..n).map(|_| random_scalar(&mut rng)).collect();
        let sim_c: Vec<Scalar> = (0..n).map(|_| random_scalar(&mut rng)).collect();
        // Halved commitments (scalars times 2⁻¹), encoded in one batch by the caller.
        let h = half();
        let mut tt: Vec<Scalar> = Vec::with_capacity(n);
        let mut u: Vec<Scalar> = Vec::with_capacity(n);
        for j in 0..n {
            let is_real = (j as u64).ct_eq(&real);
            let z = Scalar::conditional_select(&sim_z[j], &w, is_real);
            let c = Scalar::conditional_select(&sim_c[j], &Scalar::ZERO, is_real);
            let v = Scalar::from(lo + j as u64);
            tt.push((z - c * r) * h);
            u.push(c * (m - v) * h);
        }
        // `uⱼ·G`. The real branch's `u` is 0 (`c* = 0`); with two branches the other one is
        // then the only non-zero `u`, so one multiplication by `Σ u` serves both, each branch
        // selecting it or the identity in constant time (a 0/1 proof: 5 fixed-base
        // multiplications instead of 6).
        let u_g: Vec<RistrettoPoint> = if n == 2 {
            let mut sum = u[0] + u[1];
            let p = g_table() * &sum;
            sum.zeroize();
            (0..n)
                .map(|j| {
                    let is_real = (j as u64).ct_eq(&real);
                    RistrettoPoint::conditional_select(&p, &RistrettoPoint::identity(), is_real)
                })
                .collect()
        } else {
            u.iter().map(|u| g_table() * u).collect()
        };
        for (tt, u_g) in tt.iter().zip(&u_g) {
            halves.push(g_table() * tt);
            halves.push(key.mul(tt) - u_g);
        }
        tt.zeroize();
        u.zeroize();
        m.zeroize();
        Some(Pending {
            real,
            nonce: *r,
            w,
            sim_z,
            sim_c,
        })
    }

    /// Absorbs the commitments, draws the challenge and answers.
    fn finish(s: &mut Statement<'_>, p: &Pending, points: &[Point]) -> Self {
        let t = &mut *s.transcript;
        let commitments: Vec<BranchCommitment> = points
            .chunks_exact(2)
            .map(|p| BranchCommitment { a: p[0], b: p[1] })
            .collect();
        for bc in &commitments {
            t.append_point(b"a", &bc.a);
            t.append_point(b"b", &bc.b);
        }
        let c = t.challenge_scalar(b"c");
        let n = p.sim_z.len();
        let mut c_real = c;
        for (j, cj) in p.sim_c.iter().enumerate() {
            let is_real = (j as u64).ct_eq(&p.real);
            c_real -= Scalar::conditional_select(cj, &Scalar::ZERO, is_real);
        }
        let z_real = p.w + c_real * p.nonce;
        let mut challenges = Vec::with_capacity(n);
        let mut responses = Vec::with_capacity(n);
        for j in 0..n {
            let is_real = (j as u64).ct_eq(&p.real);
            challenges.push(Scalar::conditional_select(&p.sim_c[j], &c_real, is_real));
            responses.push(Scalar::conditional_select(&p.sim_z[j], &z_real, is_real));
        }
        challenges.pop();
        DisjunctiveProof {
            commitments,
            challenges,
            responses,
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generators::g;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// `prove_many` (one encoding batch for every proof) makes the same proofs as `prove` on
    /// each statement in turn, and draws the same bytes from the caller's RNG.
    #[test]
    fn prove_many_is_prove_in_turn() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let key = ElectionKey::new(Point::from_point(g() * random_scalar(&mut rng))).unwrap();
        let items: Vec<(u64, Scalar, u64, u64)> = vec![
            (0, random_scalar(&mut rng), 0, 1),
            (1, random_scalar(&mut rng), 0, 1),
            (1, random_scalar(&mut rng), 0, 1),
            (2, random_scalar(&mut rng), 1, 3),
        ];
        let cts: Vec<Ciphertext> = items
            .iter()
            .map(|(m, r, _, _)| Ciphertext::encrypt(&key, &Scalar::from(*m), r))
            .collect();
        let transcript = |j: usize| {
            let mut t = Transcript::new(b"test");
            t.append_u64(b"j", j as u64);
            t
        };
        let mut one_rng = ChaCha20Rng::seed_from_u64(4);
        let one: Vec<DisjunctiveProof> = items
            .iter()
            .zip(&cts)
            .enumerate()
            .map(|(j, ((m, r, lo, hi), ct))| {
                let w = Witness {
                    value: *m,
                    nonce: r,
                };
                DisjunctiveProof::prove(&mut transcript(j), &key, ct, &w, *lo, *hi, &mut one_rng)
                    .unwrap()
            })
            .collect();
        let mut many_rng = ChaCha20Rng::seed_from_u64(4);
        let mut ts: Vec<Transcript> = (0..items.len()).map(transcript).collect();
        let statements = ts
            .iter_mut()
            .zip(items.iter().zip(&cts))
            .map(|(t, ((m, r, lo, hi), ct))| Statement {
                transcript: t,
                ciphertext: ct,
                witness: Witness {
                    value: *m,
                    nonce: r,
                },
                lo: *lo,
                hi: *hi,
            })
            .collect();
        let many = DisjunctiveProof::prove_many(statements, &key, &mut many_rng).unwrap();
        assert_eq!(one, many);
        assert_eq!(one_rng.next_u64(), many_rng.next_u64());
        // A witness out of its range refuses the whole batch.
        let mut t = transcript(0);
        let bad = Statement {
            transcript: &mut t,
            ciphertext: &cts[0],
            witness: Witness {
                value: 2,
                nonce: &items[0].1,
            },
            lo: 0,
            hi: 1,
        };
        assert!(DisjunctiveProof::prove_many(vec![bad], &key, &mut many_rng).is_none());
    }
}
