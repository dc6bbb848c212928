//! The shuffle proof of a re-encryption mixer (`docs/protocol.md`, §13): Terelius–Wikström, in
//! the form of the pseudo-code of Haenni, Locher, Koenig and Dubuis (GenPermutationCommitment,
//! GenCommitmentChain, GenProof, CheckProof), over ristretto255, for rows of `w` ciphertexts.
//!
//! The mixer commits to its permutation matrix column by column (`cⱼ = rⱼ·G + h_{ψ⁻¹(j)}`), the
//! verifier's challenges `uⱼ` (one per input row) are permuted by the matrix into `u'ᵢ = u_{ψ(i)}`,
//! and a commitment chain `ĉᵢ = r̂ᵢ·G + u'ᵢ·ĉᵢ₋₁` (from `ĉ₀ = h`) proves that `∏ u'ᵢ = ∏ uⱼ`.
//! Together with `Σ cⱼ = Σ hᵢ + r̄·G` this shows the committed matrix is a permutation matrix
//! (Terelius–Wikström's characterisation); the last equations show that the output rows, weighted
//! by `u'`, re-encrypt the input rows weighted by `u`, one equation pair per column of the rows.
//!
//! Hardening beyond the pseudo-code: the whole statement — election hash, `K`, the generators'
//! label, the mixer's index, `n`, `w`, every input and output ciphertext — is absorbed **once**
//! into one merlin transcript, and the `n` challenges `uⱼ` are drawn from it in sequence (no
//! per-index re-hashing of the statement, CHVote's quadratic bug). The generators come from
//! [`crate::mix::MixGenerators`].
//!
//! The prover computes the chain in closed form, `ĉᵢ = Rᵢ·G + Uᵢ·h` with `Rᵢ = r̂ᵢ + u'ᵢ·Rᵢ₋₁` and
//! `Uᵢ = u'ᵢ·Uᵢ₋₁`, so every secret multiplication is a fixed-base one (constant-time tables for
//! `G`, `h`, `K`) or a constant-time multiscalar multiplication (`t₃`, `t₄`). The verifier folds
//! all `2n + 3 + 2w` equations into one variable-time multiscalar multiplication with 128-bit
//! weights (§13.5), in chunks of rows that run in parallel with the `parallel` feature.

use crate::elgamal::Ciphertext;
use crate::encoding::{Canonical, Reader, Writer};
use crate::error::DecodeError;
use crate::generators::g_table;
use crate::group::{half, points_from_halves, serde_scalar, serde_scalar_vec, Point};
use crate::mix::{MixError, MixStatement, ShuffleWitness, MAX_MIX_ROWS, MAX_MIX_WIDTH};
use crate::transcript::{labels, random_scalar, verification_seed, TranscriptProtocol};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity, MultiscalarMul, VartimeMultiscalarMul};
use merlin::Transcript;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::ops::Range;
use zeroize::{Zeroize, Zeroizing};

/// Rows per chunk of the prover's and verifier's multiscalar multiplications.
const CHUNK: usize = 512;

/// A Terelius–Wikström shuffle proof (§13.4). Vectors indexed by row have `n` entries, those
/// indexed by column `w`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShuffleProof {
    /// Permutation commitment `c₁ … cₙ` (one per *input* row).
    pub commitments: Vec<Point>,
    /// Commitment chain `ĉ₁ … ĉₙ` (`ĉ₀ = h` is not sent).
    pub chain: Vec<Point>,
    pub t1: Point,
    pub t2: Point,
    pub t3: Point,
    /// `t₄` per column: `alpha` the part on `G`, `beta` the part on `K`.
    pub t4: Vec<Ciphertext>,
    /// `t̂₁ … t̂ₙ`.
    pub t_hat: Vec<Point>,
    #[serde(with = "serde_scalar")]
    pub s1: Scalar,
    #[serde(with = "serde_scalar")]
    pub s2: Scalar,
    #[serde(with = "serde_scalar")]
    pub s3: Scalar,
    /// `s₄` per column.
    #[serde(with = "serde_scalar_vec")]
    pub s4: Vec<Scalar>,
    /// `ŝ₁ … ŝₙ`.
    #[serde(with = "serde_scalar_vec")]
    pub s_hat: Vec<Scalar>,
    /// `s'₁ … s'ₙ`.
    #[serde(with = "serde_scalar_vec")]
    pub s_prime: Vec<Scalar>,
}

/// Runs `f` over chunks of `0..n`, in parallel with the `parallel` feature, results in order.
fn map_chunks<T: Send, F: Fn(Range<usize>) -> T + Sync + Send>(n: usize, f: F) -> Vec<T> {
    let chunks = n.div_ceil(CHUNK);
    let range = move |c: usize| c * CHUNK..((c + 1) * CHUNK).min(n);
    #[cfg(feature = "parallel")]
    {
        use rayon::prelude::*;
        (0..chunks).into_par_iter().map(|c| f(range(c))).collect()
    }
    #[cfg(not(feature = "parallel"))]
    {
        (0..chunks).map(|c| f(range(c))).collect()
    }
}

/// Steps 1–3 of the transcript (§13.3): opening, context and the whole statement.
fn absorb_statement(st: &MixStatement<'_>, n: usize, w: usize) -> Transcript {
    let mut t = Transcript::for_proof(labels::SHUFFLE);
    t.append_election(st.election_hash);
    t.append_point(b"K", st.key.point());
    t.append_message(b"generators", st.generators.label());
    t.append_u64(b"mixer", u64::from(st.mixer));
    t.append_u64(b"n", n as u64);
    t.append_u64(b"w", w as u64);
    for i in 0..n {
        t.append_message(b"input", &st.inputs.row_bytes(i));
    }
    for i in 0..n {
        t.append_message(b"output", &st.outputs.row_bytes(i));
    }
    t
}

/// Step 4: the permutation commitment, then the challenges `u₁ … uₙ`.
fn challenges_u(t: &mut Transcript, commitments: &[Point]) -> Vec<Scalar> {
    for c in commitments {
        t.append_point(b"c", c);
    }
    (0..commitments.len())
        .map(|_| t.challenge_scalar(b"u"))
        .collect()
}

/// Step 5: the remaining commitments, then the challenge `c`.
fn challenge_c(t: &mut Transcript, p: &ShuffleProof) -> Scalar {
    for c in &p.chain {
        t.append_point(b"c-hat", c);
    }
    t.append_point(b"t1", &p.t1);
    t.append_point(b"t2", &p.t2);
    t.append_point(b"t3", &p.t3);
    for t4 in &p.t4 {
        t.append_point(b"t4-alpha", &t4.alpha);
        t.append_point(b"t4-beta", &t4.beta);
    }
    for th in &p.t_hat {
        t.append_point(b"t-hat", th);
    }
    t.challenge_scalar(b"c")
}

/// Constant-time `Σ sᵢ·Pᵢ` over `n` rows (`point(i)` gives `Pᵢ`), in chunks.
fn ct_msm<F: Fn(usize) -> RistrettoPoint + Sync + Send>(
    scalars: &[Scalar],
    point: F,
) -> RistrettoPoint {
    map_chunks(scalars.len(), |r| {
        let pts: Vec<RistrettoPoint> = r.clone().map(&point).collect();
        RistrettoPoint::multiscalar_mul(&scalars[r], &pts)
    })
    .into_iter()
    .sum()
}

impl ShuffleProof {
    /// Proves that `st.outputs` is a shuffle of `st.inputs` with the secret `witness` (as
    /// returned by [`crate::mix::shuffle`]). Refuses a witness of the wrong shape; a witness that
    /// does not produce the outputs yields a proof that does not verify.
    pub fn prove<R: RngCore + CryptoRng>(
        st: &MixStatement<'_>,
        witness: &ShuffleWitness,
        rng: &mut R,
    ) -> Result<Self, MixError> {
        let (n, w) = st.shape()?;
        if witness.permutation.len() != n || witness.randomness.len() != n * w {
            return Err(MixError::Witness);
        }
        let psi = &witness.permutation;
        let hs = st.generators.hs(n)?;
        let h_table = st.generators.h_table();
        let mut t = absorb_statement(st, n, w);

        // Hedged nonces (§13.3, informative): transcript + witness + fresh randomness.
        let mut nonce_rng = {
            let mut perm_bytes = Zeroizing::new(Vec::with_capacity(4 * n));
            for p in psi {
                perm_bytes.extend_from_slice(&p.to_be_bytes());
            }
            let mut rand_bytes = Zeroizing::new(Vec::with_capacity(32 * n * w));
            for r in &witness.randomness {
                rand_bytes.extend_from_slice(r.as_bytes());
            }
            let mut trng = t
                .build_rng()
                .rekey_with_witness_bytes(b"permutation", &perm_bytes)
                .rekey_with_witness_bytes(b"randomness", &rand_bytes)
                .finalize(rng);
            let mut seed = Zeroizing::new([0u8; 32]);
            trng.fill_bytes(seed.as_mut());
            ChaCha20Rng::from_seed(*seed)
        };
        let mut draw = |k: usize| -> Zeroizing<Vec<Scalar>> {
            Zeroizing::new((0..k).map(|_| random_scalar(&mut nonce_rng)).collect())
        };
        let r = draw(n);
        let r_hat = draw(n);
        let omega_hat = draw(n);
        let omega_prime = draw(n);
        let omega = draw(3);
        let omega4 = draw(w);

        // GenPermutationCommitment: cⱼ = rⱼ·G + h_{ψ⁻¹(j)}.
        let mut inv = Zeroizing::new(vec![0u32; n]);
        for (i, &p) in psi.iter().enumerate() {
            inv[p as usize] = i as u32;
        }
        let commitments: Vec<Point> = map_chunks(n, |rg| {
            rg.map(|j| Point::from_point(g_table() * &r[j] + hs[inv[j] as usize]))
                .collect::<Vec<_>>()
        })
        .into_iter()
        .flatten()
        .collect();
        let u = challenges_u(&mut t, &commitments);
        let u_prime: Zeroizing<Vec<Scalar>> =
            Zeroizing::new(psi.iter().map(|&p| u[p as usize]).collect());

        // GenCommitmentChain in closed form: Rᵢ, Uᵢ with ĉᵢ = Rᵢ·G + Uᵢ·h (index 0 is ĉ₀ = h).
        let mut big_r = Zeroizing::new(Vec::with_capacity(n + 1));
        let mut big_u = Zeroizing::new(Vec::with_capacity(n + 1));
        big_r.push(Scalar::ZERO);
        big_u.push(Scalar::ONE);
        for i in 0..n {
            let (next_r, next_u) = (r_hat[i] + u_prime[i] * big_r[i], u_prime[i] * big_u[i]);
            big_r.push(next_r);
            big_u.push(next_u);
        }
        // ĉᵢ and t̂ᵢ = (ω̂ᵢ + ω'ᵢ·Rᵢ₋₁)·G + (ω'ᵢ·Uᵢ₋₁)·h, computed halved and encoded in batches.
        let hf = half();
        let per_row: Vec<(Vec<Point>, Vec<Point>)> = map_chunks(n, |rg| {
            let mut halves = Vec::with_capacity(2 * rg.len());
            for i in rg.clone() {
                let mut a = big_r[i + 1] * hf;
                let mut b = big_u[i + 1] * hf;
                halves.push(g_table() * &a + h_table * &b);
                a = (omega_hat[i] + omega_prime[i] * big_r[i]) * hf;
                b = omega_prime[i] * big_u[i] * hf;
                halves.push(g_table() * &a + h_table * &b);
                a.zeroize();
                b.zeroize();
            }
            let pts = points_from_halves(&halves);
            let chain = pts.iter().step_by(2).copied().collect();
            let t_hat = pts.iter().skip(1).step_by(2).copied().collect();
            (chain, t_hat)
        });
        let mut chain = Vec::with_capacity(n);
        let mut t_hat = Vec::with_capacity(n);
        for (c, th) in per_row {
            chain.extend(c);
            t_hat.extend(th);
        }

        let outs = st.outputs.ciphertexts();
        let t1 = Point::from_point(g_table() * &omega[0]);
        let t2 = Point::from_point(g_table() * &omega[1]);
        let t3 = Point::from_point(g_table() * &omega[2] + ct_msm(&omega_prime, |i| hs[i]));
        let t4: Vec<Ciphertext> = (0..w)
            .map(|k| Ciphertext {
                alpha: Point::from_point(
                    ct_msm(&omega_prime, |i| *outs[i * w + k].alpha.point())
                        - g_table() * &omega4[k],
                ),
                beta: Point::from_point(
                    ct_msm(&omega_prime, |i| *outs[i * w + k].beta.point())
                        - st.key.mul(&omega4[k]),
                ),
            })
            .collect();

        let mut proof = ShuffleProof {
            commitments,
            chain,
            t1,
            t2,
            t3,
            t4,
            t_hat,
            s1: Scalar::ZERO,
            s2: Scalar::ZERO,
            s3: Scalar::ZERO,
            s4: Vec::new(),
            s_hat: Vec::new(),
            s_prime: Vec::new(),
        };
        let c = challenge_c(&mut t, &proof);

        let r_bar: Zeroizing<Scalar> = Zeroizing::new(r.iter().sum());
        let r_tilde: Zeroizing<Scalar> = Zeroizing::new(r.iter().zip(&u).map(|(a, b)| a * b).sum());
        proof.s1 = omega[0] + c * *r_bar;
        proof.s2 = omega[1] + c * big_r[n];
        proof.s3 = omega[2] + c * *r_tilde;
        proof.s4 = (0..w)
            .map(|k| {
                let mut rk: Scalar = (0..n)
                    .map(|i| u_prime[i] * witness.randomness[i * w + k])
                    .sum();
                let s = omega4[k] + c * rk;
                rk.zeroize();
                s
            })
            .collect();
        proof.s_hat = (0..n).map(|i| omega_hat[i] + c * r_hat[i]).collect();
        proof.s_prime = (0..n).map(|i| omega_prime[i] + c * u_prime[i]).collect();
        Ok(proof)
    }

    /// Checks the proof against the statement (shapes first, then one batched equation).
    pub fn verify(&self, st: &MixStatement<'_>) -> Result<(), MixError> {
        let (n, w) = st.shape()?;
        let shape = |what, got: usize, expected: usize| {
            if got == expected {
                Ok(())
            } else {
                Err(MixError::Shape {
                    what,
                    expected,
                    got,
                })
            }
        };
        shape("permutation commitments", self.commitments.len(), n)?;
        shape("commitment chain", self.chain.len(), n)?;
        shape("t-hat", self.t_hat.len(), n)?;
        shape("s-hat", self.s_hat.len(), n)?;
        shape("s-prime", self.s_prime.len(), n)?;
        shape("t4", self.t4.len(), w)?;
        shape("s4", self.s4.len(), w)?;
        if self
            .commitments
            .iter()
            .chain(&self.chain)
            .any(Point::is_identity)
        {
            return Err(MixError::Decode(DecodeError::IdentityPoint));
        }
        let hs = st.generators.hs(n)?;

        let mut t = absorb_statement(st, n, w);
        let u = challenges_u(&mut t, &self.commitments);
        let c = challenge_c(&mut t, self);

        // Weights: seeded by the transcript (statement and every commitment) and the responses.
        let mut head = Vec::with_capacity(96 + 32 * w);
        for s in [&self.s1, &self.s2, &self.s3].into_iter().chain(&self.s4) {
            head.extend_from_slice(s.as_bytes());
        }
        let rows: Vec<[u8; 64]> = (0..n)
            .map(|i| {
                let mut b = [0u8; 64];
                b[..32].copy_from_slice(self.s_hat[i].as_bytes());
                b[32..].copy_from_slice(self.s_prime[i].as_bytes());
                b
            })
            .collect();
        let parts: Vec<&[u8]> = std::iter::once(head.as_slice())
            .chain(rows.iter().map(|b| b.as_slice()))
            .collect();
        let mut wrng = ChaCha20Rng::from_seed(verification_seed(&t, &parts));
        drop(parts);
        drop(rows);
        let mut weight = || {
            let mut b = [0u8; 16];
            wrng.fill_bytes(&mut b);
            Scalar::from(u128::from_le_bytes(b))
        };
        let (l1, l2, l3) = (weight(), weight(), weight());
        let l4: Vec<(Scalar, Scalar)> = (0..w).map(|_| (weight(), weight())).collect();
        let l5: Vec<Scalar> = (0..n).map(|_| weight()).collect();

        let prod_u: Scalar = u.iter().product();
        let outs = st.outputs.ciphertexts();
        let ins = st.inputs.ciphertexts();
        let (s4, s_hat, s_prime) = (&self.s4, &self.s_hat, &self.s_prime);

        // Row terms, chunk by chunk: (partial sum, partial coefficient of G).
        let partials = map_chunks(n, |rg| {
            let len = rg.len();
            let mut sc: Vec<Scalar> = Vec::with_capacity(len * (4 + 4 * w));
            let mut pt: Vec<&RistrettoPoint> = Vec::with_capacity(len * (4 + 4 * w));
            let mut g_coeff = Scalar::ZERO;
            for i in rg {
                g_coeff += l5[i] * s_hat[i];
                sc.push(l1 * c + l3 * s_prime[i]);
                pt.push(&hs[i]);
                sc.push(-(c * (l1 + l3 * u[i])));
                pt.push(self.commitments[i].point());
                let next = if i + 1 < n {
                    l5[i + 1] * s_prime[i + 1]
                } else {
                    -(l2 * c)
                };
                sc.push(next - c * l5[i]);
                pt.push(self.chain[i].point());
                sc.push(-l5[i]);
                pt.push(self.t_hat[i].point());
                let cu = -(c * u[i]);
                for (k, (la, lb)) in l4.iter().enumerate() {
                    let (inp, out) = (&ins[i * w + k], &outs[i * w + k]);
                    sc.push(cu * la);
                    pt.push(inp.alpha.point());
                    sc.push(cu * lb);
                    pt.push(inp.beta.point());
                    sc.push(s_prime[i] * la);
                    pt.push(out.alpha.point());
                    sc.push(s_prime[i] * lb);
                    pt.push(out.beta.point());
                }
            }
            (RistrettoPoint::vartime_multiscalar_mul(sc, pt), g_coeff)
        });

        let mut g_coeff = l1 * self.s1 + l2 * self.s2 + l3 * self.s3;
        let mut k_coeff = Scalar::ZERO;
        let mut sc = vec![-l1, -l2, -l3];
        let mut pt: Vec<&RistrettoPoint> = vec![self.t1.point(), self.t2.point(), self.t3.point()];
        for (k, (la, lb)) in l4.iter().enumerate() {
            g_coeff -= la * s4[k];
            k_coeff -= lb * s4[k];
            sc.push(-la);
            pt.push(self.t4[k].alpha.point());
            sc.push(-lb);
            pt.push(self.t4[k].beta.point());
        }
        let mut h_coeff = l2 * c * prod_u;
        if n > 0 {
            h_coeff += l5[0] * s_prime[0];
        } else {
            // ĉₙ = ĉ₀ = h when the list is empty.
            h_coeff -= l2 * c;
        }
        let mut total = RistrettoPoint::identity();
        for (p, gc) in partials {
            total += p;
            g_coeff += gc;
        }
        let g = g_table().basepoint();
        sc.extend([g_coeff, k_coeff, h_coeff]);
        pt.extend([&g, st.key.point().point(), st.generators.h()]);
        total += RistrettoPoint::vartime_multiscalar_mul(sc, pt);
        if total.is_identity() {
            Ok(())
        } else {
            Err(MixError::Proof)
        }
    }

    /// The encoded size for `n` rows of width `w`: `160·n + 96·w + 220` bytes.
    pub fn encoded_len(n: usize, w: usize) -> usize {
        160 * n + 96 * w + 220
    }
}

fn read_points(r: &mut Reader<'_>, nonidentity: bool) -> Result<Vec<Point>, DecodeError> {
    let n = r.len(MAX_MIX_ROWS, 32)?;
    (0..n)
        .map(|_| {
            if nonidentity {
                r.point_nonidentity()
            } else {
                r.point()
            }
        })
        .collect()
}

/// §13.4: `seq<point>(c) ‖ seq<point>(ĉ) ‖ t₁ ‖ t₂ ‖ t₃ ‖ seq<Ciphertext>(t₄) ‖ seq<point>(t̂) ‖
/// s₁ ‖ s₂ ‖ s₃ ‖ seq<scalar>(s₄) ‖ seq<scalar>(ŝ) ‖ seq<scalar>(s')`.
impl Canonical for ShuffleProof {
    const MIN_ENCODED_LEN: usize = 220;
    fn encode(&self, w: &mut Writer) {
        w.seq(&self.commitments)
            .seq(&self.chain)
            .point(&self.t1)
            .point(&self.t2)
            .point(&self.t3)
            .seq(&self.t4)
            .seq(&self.t_hat)
            .scalar(&self.s1)
            .scalar(&self.s2)
            .scalar(&self.s3)
            .seq(&self.s4)
            .seq(&self.s_hat)
            .seq(&self.s_prime);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ShuffleProof {
            commitments: read_points(r, true)?,
            chain: read_points(r, true)?,
            t1: r.point()?,
            t2: r.point()?,
            t3: r.point()?,
            t4: r.seq(MAX_MIX_WIDTH)?,
            t_hat: read_points(r, false)?,
            s1: r.scalar()?,
            s2: r.scalar()?,
            s3: r.scalar()?,
            s4: r.seq(MAX_MIX_WIDTH)?,
            s_hat: r.seq(MAX_MIX_ROWS)?,
            s_prime: r.seq(MAX_MIX_ROWS)?,
        })
    }
}
