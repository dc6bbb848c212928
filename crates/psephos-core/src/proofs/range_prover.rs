//! The Bulletproofs range prover of `docs/protocol.md` §5.5, byte for byte the proof of the
//! `bulletproofs` crate's `RangeProof::prove_multiple_with_rng`, in a fraction of its time.
//!
//! # Why our own prover
//!
//! The crate's prover is written as a multi-party computation (a dealer and one party per
//! value) and spends most of its time in work that a single prover does not need: every party
//! commits to its own `A_j`, `S_j`, `T₁ⱼ`, `T₂ⱼ` with its own multiscalar multiplications, and
//! the inner-product argument folds the `2·N·P` vector generators with one two-term
//! multiplication each per round (most of the cost: ~20 ms for the 16 × 8 bits of a 5-option
//! score contest). A proof is a deterministic function of the transcript, the witness and the
//! random scalars drawn, so the same proof can be computed another way:
//!
//! - the aggregated points are sums, computed once: `A = (Σ αⱼ)·H + Σ ±(G or H)` (one
//!   constant-time selection and addition per bit), `S = (Σ ρⱼ)·H + ⟨s_L, 𝐆⟩ + ⟨s_R, 𝐇⟩` (one
//!   constant-time multiscalar multiplication), `T_k = (Σ t_{k,j})·G + (Σ τ_{k,j})·H` and
//!   `Vⱼ = vⱼ·G + γⱼ·H` with the fixed-base tables of `G` and `H` (constant time) — or taken
//!   from the caller, who has them (the ballot's encryptor);
//! - the inner-product argument does not fold the generators round by round: each `L`, `R` is
//!   one multiscalar multiplication over a *base* set of generators with coefficients that track
//!   the folding as scalars (`u⁻¹`, `u` per round). While the base set is the original
//!   generators it has a cached variable-time precomputation
//!   (`generators::range_prover_table`); the base set is re-folded only when it has become 16
//!   times longer than the vectors (8 without the table; see [`InnerProduct`]).
//!
//! The random scalars are drawn from the caller's RNG in exactly the crate's order (per value:
//! `α, ρ, s_L[0..N], s_R[0..N]`; then per value: `τ₁, τ₂`), every transcript operation is the
//! crate's, and a test checks the bytes against the crate for several shapes and RNG streams.
//!
//! # Constant time
//!
//! Multiplications by secret scalars (`αⱼ`, `ρⱼ`, `s_L`, `s_R`, the values, blindings and `τ`s)
//! use constant-time tables or constant-time multiscalar multiplication, and the bits of each
//! value select `G` or `−H` with `subtle`. The inner-product argument runs in variable time on
//! `l = l(x)`, `r = r(x)`, as the crate's does: these vectors are what the unoptimised range proof
//! of the Bulletproofs paper (§4.1) sends in the clear, and that protocol is zero-knowledge, so
//! they are not secrets once `x` is drawn.

use crate::generators::{bp_vectors, g_table, h_table, range_prover_table};
use curve25519_dalek::ristretto::{
    CompressedRistretto, RistrettoPoint, VartimeRistrettoPrecomputation,
};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{
    Identity, MultiscalarMul, VartimeMultiscalarMul, VartimePrecomputedMultiscalarMul,
};
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use subtle::{Choice, ConditionallySelectable};
use zeroize::{Zeroize, Zeroizing};

fn challenge(t: &mut Transcript, label: &'static [u8]) -> Scalar {
    let mut buf = [0u8; 64];
    t.challenge_bytes(label, &mut buf);
    Scalar::from_bytes_mod_order_wide(&buf)
}

fn inner_product(a: &[Scalar], b: &[Scalar]) -> Scalar {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Proves `values[j] ∈ [0, 2ⁿ)` for the commitments `values[j]·G + blindings[j]·H`, `m =
/// values.len()` a power of two; returns the crate's encoding of the proof. `commitments` holds
/// the encodings of the first commitments (computed here if `None`); the values after them are
/// the padding (0 with blinding 0: the identity). The caller checks the shape (`n ∈ {8, 16, 32,
/// 64}`, `m ≤ 256`, lengths, values in range) and that given commitments are those of the
/// values. `None` only if the challenge `x` is zero (probability 2⁻²⁵², refused by the crate
/// too).
pub(crate) fn prove<R: RngCore + CryptoRng>(
    t: &mut Transcript,
    values: &[u64],
    blindings: &[Scalar],
    commitments: Commitments<'_>,
    n: usize,
    rng: &mut R,
) -> Option<Vec<u8>> {
    let m = values.len();
    let nm = n * m;
    let vectors = bp_vectors(m);
    let gens_g: Vec<RistrettoPoint> = vectors.g[..m]
        .iter()
        .flat_map(|g| g[..n].iter().copied())
        .collect();
    let gens_h: Vec<RistrettoPoint> = vectors.h[..m]
        .iter()
        .flat_map(|h| h[..n].iter().copied())
        .collect();

    // Dealer: domain separation, then every party's value commitment.
    t.append_message(b"dom-sep", b"rangeproof v1");
    t.append_u64(b"n", n as u64);
    t.append_u64(b"m", m as u64);
    for (j, (v, gamma)) in values.iter().zip(blindings).enumerate() {
        let point = match commitments {
            Commitments::Given(given) => given
                .get(j)
                .copied()
                .unwrap_or_else(CompressedRistretto::identity),
            Commitments::Compute { padding_from } if j < padding_from => {
                (g_table() * &Scalar::from(*v) + h_table() * gamma).compress()
            }
            Commitments::Compute { .. } => CompressedRistretto::identity(),
        };
        t.append_message(b"V", point.as_bytes());
    }

    // Parties: bit commitments. Draw order: per party α, ρ, s_L, s_R.
    let mut alpha = Scalar::ZERO;
    let mut rho = Scalar::ZERO;
    // Secret vectors are zeroized on drop, on every return path.
    let mut s_l = Zeroizing::new(Vec::with_capacity(nm));
    let mut s_r = Zeroizing::new(Vec::with_capacity(nm));
    for _ in 0..m {
        let mut a = Scalar::random(rng);
        alpha += a;
        a.zeroize();
        let mut s = Scalar::random(rng);
        rho += s;
        s.zeroize();
        s_l.extend((0..n).map(|_| Scalar::random(rng)));
        s_r.extend((0..n).map(|_| Scalar::random(rng)));
    }
    let mut big_a = h_table() * &alpha;
    for (j, v) in values.iter().enumerate() {
        for i in 0..n {
            let bit = Choice::from(((v >> i) & 1) as u8);
            let k = j * n + i;
            big_a += RistrettoPoint::conditional_select(&-gens_h[k], &gens_g[k], bit);
        }
    }
    let big_s = h_table() * &rho
        + RistrettoPoint::multiscalar_mul(
            s_l.iter().chain(s_r.iter()),
            gens_g.iter().chain(&gens_h),
        );
    let (big_a, big_s) = (big_a.compress(), big_s.compress());
    t.append_message(b"A", big_a.as_bytes());
    t.append_message(b"S", big_s.as_bytes());
    let y = challenge(t, b"y");
    let z = challenge(t, b"z");

    // Parties: polynomial coefficients l(X) = l₀ + l₁·X, r(X) = r₀ + r₁·X and
    // t(X) = ⟨l(X), r(X)⟩, all parties' concatenated (their sum for t).
    let zz = z * z;
    let mut l0 = Zeroizing::new(Vec::with_capacity(nm));
    let mut r0 = Zeroizing::new(Vec::with_capacity(nm));
    let mut r1 = Zeroizing::new(Vec::with_capacity(nm));
    let mut y_i = Scalar::ONE; // y^{j·n + i}
    let mut zz_zj = zz; // z²·zʲ
    for v in values {
        let mut two_i = Scalar::ONE;
        for i in 0..n {
            let a_l = Scalar::from((v >> i) & 1);
            let a_r = a_l - Scalar::ONE;
            l0.push(a_l - z);
            r0.push(y_i * (a_r + z) + zz_zj * two_i);
            let k = r1.len();
            r1.push(y_i * s_r[k]);
            y_i *= y;
            two_i += two_i;
        }
        zz_zj *= z;
    }
    // The sums over the parties of t₁ⱼ = ⟨l₀, r₁⟩ + ⟨l₁, r₀⟩ and t₂ⱼ = ⟨l₁, r₁⟩ (the crate
    // computes t₁ⱼ by Karatsuba, ⟨l₀ + l₁, r₀ + r₁⟩ − t₀ − t₂: the same scalar mod ℓ).
    let t1 = inner_product(&l0, &r1) + inner_product(&s_l, &r0);
    let t2 = inner_product(&s_l, &r1);
    // Draw order: per party τ₁, τ₂.
    let mut tau1 = Scalar::ZERO;
    let mut tau2 = Scalar::ZERO;
    let mut tau_x = Scalar::ZERO; // Σ z²·zʲ·γⱼ, the blinding of t₀
    let mut zz_zj = zz;
    for gamma in blindings {
        tau1 += Scalar::random(rng);
        tau2 += Scalar::random(rng);
        tau_x += zz_zj * gamma;
        zz_zj *= z;
    }
    let big_t1 = g_table() * &t1 + h_table() * &tau1;
    let big_t2 = g_table() * &t2 + h_table() * &tau2;
    let (big_t1, big_t2) = (big_t1.compress(), big_t2.compress());
    t.append_message(b"T_1", big_t1.as_bytes());
    t.append_message(b"T_2", big_t2.as_bytes());
    let x = challenge(t, b"x");
    if x == Scalar::ZERO {
        for v in [&mut alpha, &mut rho, &mut tau1, &mut tau2, &mut tau_x] {
            v.zeroize();
        }
        return None;
    }

    // Proof shares, summed.
    let t0: Scalar = inner_product(&l0, &r0);
    let t_x = t0 + x * (t1 + x * t2);
    tau_x += x * (tau1 + x * tau2);
    let mut mu = alpha + rho * x;
    let l: Vec<Scalar> = l0.iter().zip(s_l.iter()).map(|(a, b)| a + b * x).collect();
    let r: Vec<Scalar> = r0.iter().zip(r1.iter()).map(|(a, b)| a + b * x).collect();
    t.append_message(b"t_x", t_x.as_bytes());
    t.append_message(b"t_x_blinding", tau_x.as_bytes());
    t.append_message(b"e_blinding", mu.as_bytes());
    let w = challenge(t, b"w");

    let mut out = Vec::with_capacity(32 * (9 + 2 * nm.trailing_zeros() as usize));
    for p in [big_a, big_s, big_t1, big_t2] {
        out.extend_from_slice(p.as_bytes());
    }
    out.extend_from_slice(t_x.as_bytes());
    out.extend_from_slice(tau_x.as_bytes());
    out.extend_from_slice(mu.as_bytes());
    let y_inv = y.invert();
    let mut h_factor = Scalar::ONE;
    let h_coeffs: Vec<Scalar> = (0..nm)
        .map(|_| {
            let f = h_factor;
            h_factor *= y_inv;
            f
        })
        .collect();
    InnerProduct {
        base_g: gens_g,
        base_h: gens_h,
        coeff_g: vec![Scalar::ONE; nm],
        coeff_h: h_coeffs,
        a: l,
        b: r,
        w,
        table: range_prover_table(n, m),
    }
    .prove(t, &mut out);

    for v in [
        &mut alpha, &mut rho, &mut tau1, &mut tau2, &mut tau_x, &mut mu,
    ] {
        v.zeroize();
    }
    Some(out)
}

/// The statement's commitments `Vⱼ`, as the prover has them.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Commitments<'a> {
    /// The encodings of the first commitments (the caller computed them already); the rest is
    /// padding.
    Given(&'a [CompressedRistretto]),
    /// Computed from the values and blindings, up to `padding_from`.
    Compute { padding_from: usize },
}

/// The base set is re-folded when it is this many times longer than the vectors.
const REBASE: usize = 8;
/// The same while the original generators have a precomputed table (rounds are cheaper then).
const REBASE_WITH_TABLE: usize = 16;

/// The inner-product argument of the crate (`InnerProductProof::create`, with `Q = w·G`,
/// `G`-factors 1 and `H`-factors `y⁻ⁱ`), with the generators' folding kept as scalars.
///
/// The current generator `𝐆⁽ᵏ⁾_p` of round `k` (vectors of length `nₖ`) is
/// `Σ_{i ≡ p mod nₖ} coeff_g[i]·base_g[i]`; likewise `𝐇`. A round computes `L` and `R` each as one
/// multiscalar multiplication over half of the base generators, then multiplies each base
/// coefficient by `u⁻¹` or `u` (`u` or `u⁻¹` for `𝐇`) according to its half — the crate's
/// `G'_p = u⁻¹·G_p + u·G_{p+nₖ/2}`, `H'_p = u·H_p + u⁻¹·H_{p+nₖ/2}`, without touching a point.
/// When the base set has become [`REBASE`] times as long as the vectors, it is replaced by the
/// current generators (one multiscalar multiplication per generator), so that later rounds do
/// not pay for the whole base set again.
struct InnerProduct {
    base_g: Vec<RistrettoPoint>,
    base_h: Vec<RistrettoPoint>,
    coeff_g: Vec<Scalar>,
    coeff_h: Vec<Scalar>,
    a: Vec<Scalar>,
    b: Vec<Scalar>,
    /// `Q = w·G`.
    w: Scalar,
    /// The precomputation over the base set followed by `G`, while the base set is the
    /// original generators.
    table: Option<&'static VartimeRistrettoPrecomputation>,
}

impl InnerProduct {
    fn prove(mut self, t: &mut Transcript, out: &mut Vec<u8>) {
        let mut len = self.a.len();
        t.append_message(b"dom-sep", b"ipp v1");
        t.append_u64(b"n", len as u64);
        let q = g_table() * &self.w;
        while len > 1 {
            let rebase = if self.table.is_some() {
                REBASE_WITH_TABLE
            } else {
                REBASE
            };
            if self.base_g.len() >= rebase * len {
                self.rebase(len);
            }
            let half = len / 2;
            let (a, b) = (&self.a, &self.b);
            let c_l = inner_product(&a[..half], &b[half..]);
            let c_r = inner_product(&a[half..], &b[..half]);
            let base = self.base_g.len();
            // The scalar of every base point in L and in R (zero where it is in the other):
            // G-side points of the upper half and H-side points of the lower half go to L
            // (`⟨a_lo, 𝐆_hi⟩ + ⟨b_hi, 𝐇_lo⟩`), the others to R; `Q = w·G` last.
            let mut l_all = vec![Scalar::ZERO; 2 * base + 1];
            let mut r_all = vec![Scalar::ZERO; 2 * base + 1];
            for i in 0..base {
                let p = i % len;
                if p < half {
                    r_all[i] = a[p + half] * self.coeff_g[i];
                    l_all[base + i] = b[p + half] * self.coeff_h[i];
                } else {
                    l_all[i] = a[p - half] * self.coeff_g[i];
                    r_all[base + i] = b[p - half] * self.coeff_h[i];
                }
            }
            let (big_l, big_r) = match self.table {
                Some(table) => {
                    l_all[2 * base] = c_l * self.w;
                    r_all[2 * base] = c_r * self.w;
                    (
                        table.vartime_multiscalar_mul(&l_all),
                        table.vartime_multiscalar_mul(&r_all),
                    )
                }
                None => {
                    l_all[2 * base] = c_l;
                    r_all[2 * base] = c_r;
                    let points: Vec<RistrettoPoint> = self
                        .base_g
                        .iter()
                        .chain(&self.base_h)
                        .copied()
                        .chain(std::iter::once(q))
                        .collect();
                    let on = |all: &[Scalar], p: usize| all[p] != Scalar::ZERO || p == 2 * base;
                    let msm = |all: &[Scalar]| {
                        let idx: Vec<usize> = (0..=2 * base).filter(|&p| on(all, p)).collect();
                        RistrettoPoint::vartime_multiscalar_mul(
                            idx.iter().map(|&p| all[p]),
                            idx.iter().map(|&p| points[p]),
                        )
                    };
                    (msm(&l_all), msm(&r_all))
                }
            };
            let (big_l, big_r) = (big_l.compress(), big_r.compress());
            t.append_message(b"L", big_l.as_bytes());
            t.append_message(b"R", big_r.as_bytes());
            out.extend_from_slice(big_l.as_bytes());
            out.extend_from_slice(big_r.as_bytes());
            let u = challenge(t, b"u");
            let u_inv = u.invert();
            for i in 0..base {
                if i % len < half {
                    self.coeff_g[i] *= u_inv;
                    self.coeff_h[i] *= u;
                } else {
                    self.coeff_g[i] *= u;
                    self.coeff_h[i] *= u_inv;
                }
            }
            let (a_lo, a_hi) = self.a.split_at_mut(half);
            let (b_lo, b_hi) = self.b.split_at_mut(half);
            for i in 0..half {
                a_lo[i] = a_lo[i] * u + u_inv * a_hi[i];
                b_lo[i] = b_lo[i] * u_inv + u * b_hi[i];
            }
            self.a.truncate(half);
            self.b.truncate(half);
            len = half;
        }
        out.extend_from_slice(self.a[0].as_bytes());
        out.extend_from_slice(self.b[0].as_bytes());
        self.a.zeroize();
        self.b.zeroize();
    }

    /// Replaces the base set by the `len` current generators of each kind.
    fn rebase(&mut self, len: usize) {
        let fold = |base: &[RistrettoPoint], coeff: &[Scalar]| -> Vec<RistrettoPoint> {
            (0..len)
                .map(|p| {
                    let idx = (p..base.len()).step_by(len);
                    RistrettoPoint::vartime_multiscalar_mul(
                        idx.clone().map(|i| coeff[i]),
                        idx.map(|i| base[i]),
                    )
                })
                .collect()
        };
        self.base_g = fold(&self.base_g, &self.coeff_g);
        self.base_h = fold(&self.base_h, &self.coeff_h);
        self.coeff_g = vec![Scalar::ONE; len];
        self.coeff_h = vec![Scalar::ONE; len];
        self.table = None;
    }
}
