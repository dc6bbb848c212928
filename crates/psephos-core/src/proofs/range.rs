//! Bulletproofs range statements over Pedersen commitments `C = v·G + t·H`
//! (`docs/protocol.md`, §5.5).
//!
//! A bounded contest proves, in one aggregated Bulletproof, that a list of committed values all
//! lie in `[0, 2ⁿ)` for `n ∈ {8, 16, 32, 64}`. Upper bounds that are not powers of two are
//! expressed as a second value: `v ≤ u` is `v ∈ [0, 2ⁿ) ∧ u − v ∈ [0, 2ⁿ)` with `2ⁿ > u`; the
//! commitment to `u − v` is `u·G − C`, computed by the verifier itself, so the prover cannot
//! choose it. Linear limits work the same way: `Σ wᵢ·vᵢ ≤ L` is `L·G − Σ wᵢ·Cᵢ ∈ [0, 2ⁿ)`.
//!
//! Bulletproofs aggregate only a power-of-two number of values; the list is padded with the
//! commitment to `0` with blinding `0` (the identity), on both sides.

use crate::encoding::{Canonical, Reader, Writer};
use crate::error::{DecodeError, ProofKind, VerifyError};
use crate::generators::{bulletproof_gens, pedersen_gens, MAX_RANGE_BITS, MAX_RANGE_PARTIES};
use crate::generators::{g_table, h_table};
use crate::group::serde_bytes_hex;
use crate::proofs::range_prover::{self, Commitments};
use crate::proofs::BatchVerifier;
use crate::transcript::verification_seed;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, IsIdentity};
use merlin::Transcript;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// Largest encoded Bulletproof we accept: 2·log₂(64·256) + 9 = 37 elements of 32 bytes.
pub const MAX_RANGE_PROOF_BYTES: usize = 32 * (2 * 14 + 9);

/// An aggregated Bulletproofs range proof, in the `bulletproofs` crate's byte encoding.
///
/// JSON and canonical bytes accept exactly the same proofs: at most [`MAX_RANGE_PROOF_BYTES`]
/// (a longer one would be accepted as a JSON body and then fail to decode from the board).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RangeProof(#[serde(with = "serde_bytes_hex")] pub Vec<u8>);

impl<'de> Deserialize<'de> for RangeProof {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = serde_bytes_hex::deserialize(d)?;
        if bytes.len() > MAX_RANGE_PROOF_BYTES {
            return Err(serde::de::Error::custom(DecodeError::TooLong {
                got: bytes.len() as u64,
                limit: MAX_RANGE_PROOF_BYTES as u64,
            }));
        }
        Ok(RangeProof(bytes))
    }
}

/// The smallest supported bit size `n` with `max < 2ⁿ`.
pub fn bits_for(max: u64) -> usize {
    [8usize, 16, 32]
        .into_iter()
        .find(|&n| max < (1u64 << n))
        .unwrap_or(64)
}

fn padded(len: usize) -> Option<usize> {
    let p = len.max(1).next_power_of_two();
    (p <= MAX_RANGE_PARTIES).then_some(p)
}

impl RangeProof {
    /// Proves every `values[i] ∈ [0, 2^bits)` for commitments `values[i]·G + blindings[i]·H`.
    /// Returns `None` if a value is out of range or the shape is unsupported.
    pub fn prove<R: RngCore + CryptoRng>(
        t: &mut Transcript,
        values: &[u64],
        blindings: &[Scalar],
        bits: usize,
        rng: &mut R,
    ) -> Option<Self> {
        let commitments = Commitments::Compute {
            padding_from: values.len(),
        };
        Self::prove_inner(t, values, blindings, commitments, bits, rng)
    }

    /// [`RangeProof::prove`] for a prover that holds the commitments' encodings already (the
    /// ballot's encryptor: the verifier's own list, §5.5), which must be those of `values` and
    /// `blindings` — a mismatch gives a proof that does not verify. Saves two multiplications
    /// and an encoding per value.
    pub(crate) fn prove_with_commitments<R: RngCore + CryptoRng>(
        t: &mut Transcript,
        commitments: &[CompressedRistretto],
        values: &[u64],
        blindings: &[Scalar],
        bits: usize,
        rng: &mut R,
    ) -> Option<Self> {
        if commitments.len() != values.len() {
            return None;
        }
        debug_assert!(commitments
            .iter()
            .zip(values.iter().zip(blindings))
            .all(|(c, (v, b))| *c == (g_table() * &Scalar::from(*v) + h_table() * b).compress()));
        Self::prove_inner(
            t,
            values,
            blindings,
            Commitments::Given(commitments),
            bits,
            rng,
        )
    }

    fn prove_inner<R: RngCore + CryptoRng>(
        t: &mut Transcript,
        values: &[u64],
        blindings: &[Scalar],
        commitments: Commitments<'_>,
        bits: usize,
        rng: &mut R,
    ) -> Option<Self> {
        let parties = padded(values.len())?;
        if values.len() != blindings.len() || (bits < 64 && values.iter().any(|&v| v >> bits != 0))
        {
            return None;
        }
        if !matches!(bits, 8 | 16 | 32 | 64) {
            return None;
        }
        let mut v = values.to_vec();
        let mut b = blindings.to_vec();
        v.resize(parties, 0);
        b.resize(parties, Scalar::ZERO);
        // The same bytes as `bulletproofs::RangeProof::prove_multiple_with_rng` for the same RNG
        // stream (a test below checks it), several times faster.
        let proof = range_prover::prove(t, &v, &b, commitments, bits, rng);
        v.zeroize();
        b.zeroize();
        Some(RangeProof(proof?))
    }

    /// Verifies the proof for `commitments` (padded here with the identity).
    pub fn verify(
        &self,
        t: &mut Transcript,
        commitments: &[CompressedRistretto],
        bits: usize,
    ) -> Result<(), VerifyError> {
        let bad = || VerifyError::proof(ProofKind::Range);
        let parties = padded(commitments.len()).ok_or_else(bad)?;
        if self.0.len() > MAX_RANGE_PROOF_BYTES {
            return Err(bad());
        }
        let proof = bulletproofs::RangeProof::from_bytes(&self.0).map_err(|_| bad())?;
        let mut c = commitments.to_vec();
        c.resize(parties, CompressedRistretto::identity());
        // Bulletproofs folds its own checks with a random weight; derive it from the transcript
        // extended with the statement *and the whole proof*, so that it is fixed only after the
        // prover is, and verification stays deterministic.
        let mut parts: Vec<&[u8]> = c.iter().map(|p| p.as_bytes().as_slice()).collect();
        parts.push(&self.0);
        let mut rng = ChaCha20Rng::from_seed(verification_seed(t, &parts));
        proof
            .verify_multiple_with_rng(
                bulletproof_gens(parties),
                pedersen_gens(),
                t,
                &c,
                bits,
                &mut rng,
            )
            .map_err(|_| bad())
    }
}

/// A range proof's statement commitment `V_j` as the verifier holds it: the compressed encoding
/// (absorbed by the transcript) and the point (a term of the batch equation).
pub type RangeCommitment = (CompressedRistretto, RistrettoPoint);

/// The transcript operations of the `bulletproofs` crate (its private `TranscriptProtocol`),
/// replayed to recompute the same challenges.
fn append_nonidentity(
    t: &mut Transcript,
    label: &'static [u8],
    p: &CompressedRistretto,
) -> Option<RistrettoPoint> {
    if p.is_identity() {
        return None;
    }
    t.append_message(label, p.as_bytes());
    p.decompress()
}

fn challenge(t: &mut Transcript, label: &'static [u8]) -> Scalar {
    let mut buf = [0u8; 64];
    t.challenge_bytes(label, &mut buf);
    Scalar::from_bytes_mod_order_wide(&buf)
}

fn scalar_at(bytes: &[u8], i: usize) -> Option<Scalar> {
    let b: [u8; 32] = bytes.get(32 * i..32 * i + 32)?.try_into().ok()?;
    Option::from(Scalar::from_canonical_bytes(b))
}

fn point_at(bytes: &[u8], i: usize) -> Option<CompressedRistretto> {
    CompressedRistretto::from_slice(bytes.get(32 * i..32 * i + 32)?).ok()
}

/// `1 + x + … + x^{n−1}`.
/// `v_i = start · Π_{bit k of i set} factors[k]` for `i < len`, one multiplication each
/// (`v_i = v_{i − 2^k} · factors[k]` for the top set bit `k` of `i`).
fn bit_products(start: Scalar, factors: &[Scalar], len: usize) -> Vec<Scalar> {
    let mut v = Vec::with_capacity(len);
    v.push(start);
    for i in 1..len {
        let k = (usize::BITS - 1 - i.leading_zeros()) as usize;
        v.push(v[i - (1 << k)] * factors[k]);
    }
    v
}

fn sum_of_powers(x: &Scalar, n: usize) -> Scalar {
    let (mut sum, mut p) = (Scalar::ZERO, Scalar::ONE);
    for _ in 0..n {
        sum += p;
        p *= x;
    }
    sum
}

impl RangeProof {
    /// Adds this proof's verification equation to `batch` (`docs/protocol.md` §5.5.1): the
    /// equation the `bulletproofs` crate checks in `verify_multiple`, with its random weight
    /// `c` and an outer weight `ρ` both drawn from the batch's weight stream, and the
    /// coefficients of the shared vector generators accumulated in the batch. Fails at once,
    /// without touching `batch`, if the proof is malformed (length, a non-canonical scalar, a
    /// point that does not decode or is the identity where the crate rejects it).
    ///
    /// # The equation, in the crate's notation
    ///
    /// The proof is `A, S, T₁, T₂ ∈ 𝔾`, `t̂, τₓ, μ ∈ ℤ_ℓ` and an inner-product proof
    /// `(L_k, R_k)_{k<log₂(nm)}, a, b` for `m` values of `n` bits. Replaying the crate's
    /// transcript gives `y, z` (after `V_j, A, S`), `x` (after `T₁, T₂`), `w` (after
    /// `t̂, τₓ, μ`) and `u_k` (after each `L_k, R_k`). With `s_i = Π_k u_k^{±1}` (the sign of
    /// `u_k` given by bit `k` of `i`, as in the crate's `verification_scalars`), `y⁻ⁱ`, and
    /// `d_i = z^{2+⌊i/n⌋}·2^{i mod n}`, the proof is valid iff
    ///
    /// ```text
    ///   A + x·S + c·x·T₁ + c·x²·T₂ + Σ_k (u_k²·L_k + u_k⁻²·R_k)
    ///   − (μ + c·τₓ)·H + (w·(t̂ − a·b) + c·(δ(y,z) − t̂))·G
    ///   + Σ_i (−z − a·s_i)·G_i + Σ_i (z + y⁻ⁱ·(d_i − b·s_{nm−1−i}))·H_i
    ///   + Σ_j c·z^{2+j}·V_j  =  0
    /// ```
    ///
    /// where `δ(y,z) = (z − z²)·Σ_{i<nm} yⁱ − z³·(2ⁿ − 1)·Σ_{j<m} zʲ`. The `c`-part is the
    /// polynomial check `t̂·G + τₓ·H = z²·Σ zʲ·V_j + δ·G + x·T₁ + x²·T₂`; the rest is the
    /// inner-product argument for `P = A + x·S − z·⟨1,G⟩ + ⟨z·1 + y⁻ⁱ·d, H⟩ − μ·H` with
    /// `Q = w·G`. The batch multiplies the whole by `ρ`; generators `G_i = G_{⌊i/n⌋, i mod n}`
    /// and `H_i` likewise are shared across proofs.
    pub fn verify_into(
        &self,
        t: &mut Transcript,
        commitments: &[RangeCommitment],
        bits: usize,
        batch: &mut BatchVerifier,
    ) -> Result<(), VerifyError> {
        self.add_equation(t, commitments, bits, batch)
            .ok_or_else(|| VerifyError::proof(ProofKind::Range))
    }

    fn add_equation(
        &self,
        t: &mut Transcript,
        commitments: &[RangeCommitment],
        n: usize,
        batch: &mut BatchVerifier,
    ) -> Option<()> {
        let m = padded(commitments.len())?;
        let bytes = &self.0;
        let nm = n * m;
        let lg = nm.trailing_zeros() as usize;
        if !matches!(n, 8 | 16 | 32 | 64) || bytes.len() != 32 * (9 + 2 * lg) {
            return None;
        }
        t.append_message(b"dom-sep", b"rangeproof v1");
        t.append_u64(b"n", n as u64);
        t.append_u64(b"m", m as u64);
        let identity = CompressedRistretto::identity();
        for j in 0..m {
            let v = commitments.get(j).map_or(&identity, |c| &c.0);
            t.append_message(b"V", v.as_bytes());
        }
        let a_pt = append_nonidentity(t, b"A", &point_at(bytes, 0)?)?;
        let s_pt = append_nonidentity(t, b"S", &point_at(bytes, 1)?)?;
        let y = challenge(t, b"y");
        let z = challenge(t, b"z");
        let t1 = append_nonidentity(t, b"T_1", &point_at(bytes, 2)?)?;
        let t2 = append_nonidentity(t, b"T_2", &point_at(bytes, 3)?)?;
        let x = challenge(t, b"x");
        let (t_x, t_x_blinding, e_blinding) = (
            scalar_at(bytes, 4)?,
            scalar_at(bytes, 5)?,
            scalar_at(bytes, 6)?,
        );
        t.append_message(b"t_x", t_x.as_bytes());
        t.append_message(b"t_x_blinding", t_x_blinding.as_bytes());
        t.append_message(b"e_blinding", e_blinding.as_bytes());
        let w = challenge(t, b"w");
        // The inner-product argument.
        t.append_message(b"dom-sep", b"ipp v1");
        t.append_u64(b"n", nm as u64);
        let mut lr = Vec::with_capacity(2 * lg);
        let mut u = Vec::with_capacity(lg);
        for k in 0..lg {
            lr.push(append_nonidentity(t, b"L", &point_at(bytes, 7 + 2 * k)?)?);
            lr.push(append_nonidentity(t, b"R", &point_at(bytes, 8 + 2 * k)?)?);
            u.push(challenge(t, b"u"));
        }
        let a = scalar_at(bytes, 7 + 2 * lg)?;
        let b = scalar_at(bytes, 8 + 2 * lg)?;

        // One inversion for every u_k and y (y⁻¹ weighs the h generators).
        let mut inv = u.clone();
        inv.push(y);
        let all_inv_y = Scalar::batch_invert(&mut inv);
        let y_inv = inv.pop()?;
        let u_inv = inv;
        let all_inv = all_inv_y * y; // Π u_k⁻¹
        let u_sq: Vec<Scalar> = u.iter().map(|x| x * x).collect();
        let u_inv_sq: Vec<Scalar> = u_inv.iter().map(|x| x * x).collect();

        let rho = batch.weight();
        let c = batch.weight();
        let zz = z * z;
        let delta = (z - zz) * sum_of_powers(&y, nm)
            - zz * z * sum_of_powers(&Scalar::from(2u64), n) * sum_of_powers(&z, m);
        let g_coeff = rho * (w * (t_x - a * b) + c * (delta - t_x));
        let h_coeff = -rho * (e_blinding + c * t_x_blinding);

        let rho_c_x = rho * c * x;
        let mut scalars = Vec::with_capacity(4 + 2 * lg + m);
        scalars.extend([rho, rho * x, rho_c_x, rho_c_x * x]);
        for k in 0..lg {
            scalars.push(rho * u_sq[k]);
            scalars.push(rho * u_inv_sq[k]);
        }
        let mut terms: Vec<(Scalar, &RistrettoPoint)> = scalars
            .iter()
            .zip([&a_pt, &s_pt, &t1, &t2].into_iter().chain(lr.iter()))
            .map(|(s, p)| (*s, p))
            .collect();
        // V_j: c·z^{2+j}, times ρ (the identity padding contributes nothing).
        let mut zj = rho * c * zz;
        for (_, v) in commitments {
            terms.push((zj, v));
            zj *= z;
        }

        // The coefficients of the vector generators, for i = j·n + bit (party j):
        //   G_i: −ρ·z − ρ·a·s_i
        //   H_i:  ρ·z + ρ·y⁻ⁱ·z^{2+j}·2^bit − ρ·y⁻ⁱ·b·s_{nm−1−i}
        // where s_i = Π u_k⁻¹ · Π_{bit k of i set} u²_{lg−1−k} (as in the crate) and
        // s_{nm−1−i} = 1/s_i = Π u_k · Π_{bit k of i set} u⁻²_{lg−1−k}. Each of the three
        // i-dependent products is a product over the set bits of i (y⁻ⁱ = Π y^{−2^k}, 2^bit over
        // the low bits, z^j over the high ones), so each is one multiplication per i.
        let ln = n.trailing_zeros() as usize;
        let mut sa_f = Vec::with_capacity(lg);
        let mut q_f = Vec::with_capacity(lg);
        let mut r_f = Vec::with_capacity(lg);
        let (mut y_pow, mut two_pow, mut z_pow) = (y_inv, Scalar::from(2u64), z);
        for k in 0..lg {
            sa_f.push(u_sq[lg - 1 - k]);
            q_f.push(u_inv_sq[lg - 1 - k] * y_pow);
            if k < ln {
                r_f.push(y_pow * two_pow);
                two_pow = two_pow * two_pow;
            } else {
                r_f.push(y_pow * z_pow);
                z_pow = z_pow * z_pow;
            }
            y_pow = y_pow * y_pow;
        }
        let all: Scalar = u.iter().product();
        let sa = bit_products(rho * a * all_inv, &sa_f, nm);
        let q = bit_products(rho * b * all, &q_f, nm);
        let r = bit_products(rho * zz, &r_f, nm);
        let (gs, hs) = batch.bp_coefficients(m, n);
        let rho_minus_z = -rho * z;
        let rho_z = rho * z;
        for j in 0..m {
            for bit in 0..n {
                let i = j * n + bit;
                let idx = j * MAX_RANGE_BITS + bit;
                gs[idx] += rho_minus_z - sa[i];
                hs[idx] += rho_z + r[i] - q[i];
            }
        }
        batch.push_weighted(g_coeff, h_coeff, Scalar::ZERO, &terms, 1);
        Some(())
    }
}

impl Canonical for RangeProof {
    const MIN_ENCODED_LEN: usize = 4;
    fn encode(&self, w: &mut Writer) {
        w.bytes(&self.0);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(RangeProof(r.bytes(MAX_RANGE_PROOF_BYTES)?.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generators::g;

    fn statement(values: &[u64], rng: &mut ChaCha20Rng) -> (Vec<Scalar>, Vec<RangeCommitment>) {
        let blindings: Vec<Scalar> = values.iter().map(|_| Scalar::random(rng)).collect();
        let commitments = values
            .iter()
            .zip(&blindings)
            .map(|(v, b)| {
                let p = g_table() * &Scalar::from(*v) + h_table() * b;
                (p.compress(), p)
            })
            .collect();
        (blindings, commitments)
    }

    /// The batch equation agrees with the `bulletproofs` crate's own verifier, for several
    /// shapes in one batch (generators shared), and a proof against the wrong commitments or
    /// with a changed byte fails the batch.
    #[test]
    fn batch_equation_agrees_with_the_crate() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let mut batch = BatchVerifier::new(g(), [7; 32]);
        let mut cases = Vec::new();
        for (values, bits) in [
            (vec![3u64, 200, 0], 8usize),
            (vec![70_000], 32),
            (vec![5; 8], 16),
        ] {
            let (blindings, commitments) = statement(&values, &mut rng);
            let proof = RangeProof::prove(
                &mut Transcript::new(b"t"),
                &values,
                &blindings,
                bits,
                &mut rng,
            )
            .expect("in range");
            let compressed: Vec<_> = commitments.iter().map(|c| c.0).collect();
            assert!(proof
                .verify(&mut Transcript::new(b"t"), &compressed, bits)
                .is_ok());
            proof
                .verify_into(&mut Transcript::new(b"t"), &commitments, bits, &mut batch)
                .expect("well formed");
            cases.push((proof, commitments, bits));
        }
        assert!(batch.verify_and_reset());
        // Another statement.
        let (proof, commitments, bits) = &cases[0];
        let mut swapped = commitments.clone();
        swapped.swap(0, 1);
        proof
            .verify_into(&mut Transcript::new(b"t"), &swapped, *bits, &mut batch)
            .expect("well formed");
        assert!(!batch.verify_and_reset());
        // Another transcript.
        proof
            .verify_into(&mut Transcript::new(b"u"), commitments, *bits, &mut batch)
            .expect("well formed");
        assert!(!batch.verify_and_reset());
        // Each byte position class: a point, t̂, the inner-product scalars.
        for at in [0, 4 * 32, proof.0.len() - 32, proof.0.len() - 1] {
            let mut bad = proof.clone();
            bad.0[at] ^= 1;
            let ok = bad
                .verify_into(&mut Transcript::new(b"t"), commitments, *bits, &mut batch)
                .is_ok()
                && batch.verify_and_reset();
            assert!(!ok, "byte {at}");
            batch.verify_and_reset();
        }
        // Wrong lengths and bit sizes are refused before any group work.
        let mut short = proof.clone();
        short.0.truncate(proof.0.len() - 32);
        assert!(short
            .verify_into(&mut Transcript::new(b"t"), commitments, *bits, &mut batch)
            .is_err());
        assert!(proof
            .verify_into(&mut Transcript::new(b"t"), commitments, 16, &mut batch)
            .is_err());
        assert!(batch.is_empty());
    }

    /// Our prover and the crate's make the same bytes from the same transcript, witness and
    /// RNG stream, and leave the RNG and the transcript in the same state, for every bit size,
    /// with and without padding, with the precomputed generator table and without it (40
    /// values of 8 bits: 64 parties, beyond the table's size limit).
    #[test]
    fn prover_matches_the_crate_byte_for_byte() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        for (values, bits) in [
            (vec![0u64], 8usize),
            (vec![255], 8),
            (vec![3, 7, 0, 10, 5, 7, 3, 10, 0, 5], 8),
            (vec![1, 2, 3, 4, 5, 6, 7, 8], 16),
            (vec![70_000, 0, 123], 32),
            (vec![u64::MAX], 64),
            (vec![1 << 40, 5], 64),
            ((0..40).collect(), 8),
        ] {
            for seed in 0..3u64 {
                let (blindings, commitments) = statement(&values, &mut rng);
                let mut ours_rng = ChaCha20Rng::seed_from_u64(seed);
                let mut crate_rng = ChaCha20Rng::seed_from_u64(seed);
                let mut ours_t = Transcript::new(b"same");
                let mut crate_t = Transcript::new(b"same");
                let ours = RangeProof::prove(&mut ours_t, &values, &blindings, bits, &mut ours_rng)
                    .expect("in range");
                let parties = padded(values.len()).expect("small");
                let mut v = values.clone();
                let mut b = blindings.clone();
                v.resize(parties, 0);
                b.resize(parties, Scalar::ZERO);
                let (theirs, _) = bulletproofs::RangeProof::prove_multiple_with_rng(
                    bulletproof_gens(parties),
                    pedersen_gens(),
                    &mut crate_t,
                    &v,
                    &b,
                    bits,
                    &mut crate_rng,
                )
                .expect("in range");
                assert_eq!(ours.0, theirs.to_bytes(), "{values:?}, {bits} bits");
                // The same with the commitments given by the caller.
                let compressed: Vec<_> = commitments.iter().map(|c| c.0).collect();
                let given = RangeProof::prove_with_commitments(
                    &mut Transcript::new(b"same"),
                    &compressed,
                    &values,
                    &blindings,
                    bits,
                    &mut ChaCha20Rng::seed_from_u64(seed),
                )
                .expect("in range");
                assert_eq!(given, ours);
                assert_eq!(ours_rng.next_u64(), crate_rng.next_u64());
                let mut a = [0u8; 32];
                let mut b = [0u8; 32];
                ours_t.challenge_bytes(b"after", &mut a);
                crate_t.challenge_bytes(b"after", &mut b);
                assert_eq!(a, b);
            }
        }
    }

    #[test]
    fn json_and_canonical_bytes_accept_the_same_lengths() {
        // Found by the `challenge` fuzz target: JSON took any length, the canonical decoder
        // (what the board's entries are read with) at most MAX_RANGE_PROOF_BYTES.
        for len in [0, 1, MAX_RANGE_PROOF_BYTES, MAX_RANGE_PROOF_BYTES + 1, 4096] {
            let proof = RangeProof(vec![7; len]);
            let json = serde_json::to_string(&proof).unwrap();
            let from_json = serde_json::from_str::<RangeProof>(&json).ok();
            let from_bytes = RangeProof::from_canonical_bytes(&proof.to_canonical_bytes()).ok();
            assert_eq!(from_json, from_bytes, "length {len}");
            assert_eq!(
                from_json.is_some(),
                len <= MAX_RANGE_PROOF_BYTES,
                "length {len}"
            );
        }
    }

    #[test]
    fn bit_sizes() {
        assert_eq!(bits_for(0), 8);
        assert_eq!(bits_for(255), 8);
        assert_eq!(bits_for(256), 16);
        assert_eq!(bits_for(1 << 20), 32);
        assert_eq!(bits_for(u64::MAX), 64);
    }
}
