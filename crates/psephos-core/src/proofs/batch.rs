//! Batch verification of Σ-protocol equations (`docs/protocol.md`, §5.7).
//!
//! Every verification equation of a Σ-proof has the form `Σᵢ sᵢ·Pᵢ = 0`. To check many at once,
//! the verifier multiplies each equation by an independent 128-bit weight `ρ` and checks that the
//! weighted sum is the identity with a single (Pippenger) multiscalar multiplication. If any
//! equation is false, the sum is the identity with probability at most 2⁻¹²⁸ over the weights.
//! Coefficients of the fixed generators `G`, `H` and the election key `K` are accumulated into one
//! scalar each, so they cost one term per batch instead of one per equation. Bulletproofs range
//! proofs join the same batch (`proofs::range::RangeProof::verify_into`, §5.5): the coefficients of
//! their vector generators are accumulated per generator, so those cost one term per batch too.
//!
//! The weights come from a ChaCha20 stream keyed by a hash of everything being verified (the
//! caller supplies the seed, e.g. the hashes of all ballots in the batch). The prover has fixed all
//! its messages before the weights are known, so deterministic weights are as good as random ones,
//! and verification is reproducible: two verifiers given the same data reach the same verdict.

use crate::generators::{bp_vectors, g, h, MAX_RANGE_BITS};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;

/// Accumulates weighted verification equations and checks them with one multiscalar
/// multiplication.
pub struct BatchVerifier {
    rng: ChaCha20Rng,
    k: RistrettoPoint,
    g_coeff: Scalar,
    h_coeff: Scalar,
    k_coeff: Scalar,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
    /// Coefficients of the Bulletproofs vector generators `G_{j,i}`, `H_{j,i}` at `j·64 + i`,
    /// shared by every range proof of the batch (see [`crate::generators::bp_vectors`]).
    bp_g: Vec<Scalar>,
    bp_h: Vec<Scalar>,
    /// Largest party count and bit size used so far (the generators the check must include).
    bp_parties: usize,
    bp_bits: usize,
    equations: usize,
}

impl std::fmt::Debug for BatchVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchVerifier")
            .field("equations", &self.equations)
            .field("terms", &self.points.len())
            .finish()
    }
}

/// One equation being added: `g·G + h·H + k·K + Σ sᵢ·Pᵢ = 0`.
#[derive(Debug, Default, Clone)]
pub struct Equation<'a> {
    pub g: Scalar,
    pub h: Scalar,
    pub k: Scalar,
    pub terms: Vec<(Scalar, &'a RistrettoPoint)>,
}

impl BatchVerifier {
    /// A verifier for equations that may mention the election key `k`, with weights derived from
    /// `seed`.
    pub fn new(k: RistrettoPoint, seed: [u8; 32]) -> Self {
        BatchVerifier {
            rng: ChaCha20Rng::from_seed(seed),
            k,
            g_coeff: Scalar::ZERO,
            h_coeff: Scalar::ZERO,
            k_coeff: Scalar::ZERO,
            scalars: Vec::new(),
            points: Vec::new(),
            bp_g: Vec::new(),
            bp_h: Vec::new(),
            bp_parties: 0,
            bp_bits: 0,
            equations: 0,
        }
    }

    /// Makes `k` the election key of the equations pushed from now on. Equations already
    /// pushed keep the key they were pushed with: its accumulated coefficient becomes one
    /// variable-base term, so a batch spanning several elections costs one term per change of
    /// key (ballots of one election kept together cost one).
    pub fn set_key(&mut self, k: RistrettoPoint) {
        if self.k == k {
            return;
        }
        if self.k_coeff != Scalar::ZERO {
            self.scalars.push(self.k_coeff);
            self.points.push(self.k);
            self.k_coeff = Scalar::ZERO;
        }
        self.k = k;
    }

    /// Reserves room for `terms` more variable-base terms.
    pub fn reserve(&mut self, terms: usize) {
        self.scalars.reserve(terms);
        self.points.reserve(terms);
    }

    /// A fresh 128-bit weight, for callers that combine several equations themselves.
    pub fn weight(&mut self) -> Scalar {
        let mut b = [0u8; 16];
        self.rng.fill_bytes(&mut b);
        Scalar::from(u128::from_le_bytes(b))
    }

    /// Adds `g·G + h·H + k·K + Σ sᵢ·Pᵢ = 0`, scaled by a fresh weight.
    pub fn push(&mut self, g: Scalar, h: Scalar, k: Scalar, terms: &[(Scalar, &RistrettoPoint)]) {
        let rho = self.weight();
        self.g_coeff += rho * g;
        self.h_coeff += rho * h;
        self.k_coeff += rho * k;
        for (s, p) in terms {
            self.scalars.push(rho * s);
            self.points.push(**p);
        }
        self.equations += 1;
    }

    /// Adds an equation whose scalars the caller has already multiplied by weights drawn from
    /// [`BatchVerifier::weight`] (used to merge terms of the same point across equations).
    pub fn push_weighted(
        &mut self,
        g: Scalar,
        h: Scalar,
        k: Scalar,
        terms: &[(Scalar, &RistrettoPoint)],
        equations: usize,
    ) {
        self.g_coeff += g;
        self.h_coeff += h;
        self.k_coeff += k;
        for (s, p) in terms {
            self.scalars.push(*s);
            self.points.push(**p);
        }
        self.equations += equations;
    }

    /// The accumulated coefficients of the Bulletproofs vector generators for `parties` parties
    /// of `bits` bits, as two slices indexed `j·64 + i` (party `j`, bit `i`). Range proofs add
    /// their weighted coefficients here, so the `2·bits·parties` generators appear once per
    /// batch, not once per proof.
    pub fn bp_coefficients(
        &mut self,
        parties: usize,
        bits: usize,
    ) -> (&mut [Scalar], &mut [Scalar]) {
        let len = parties * MAX_RANGE_BITS;
        if self.bp_g.len() < len {
            self.bp_g.resize(len, Scalar::ZERO);
            self.bp_h.resize(len, Scalar::ZERO);
        }
        self.bp_parties = self.bp_parties.max(parties);
        self.bp_bits = self.bp_bits.max(bits);
        (&mut self.bp_g[..len], &mut self.bp_h[..len])
    }

    /// Number of terms of the multiscalar multiplication that [`BatchVerifier::verify`] would
    /// compute now.
    pub fn terms(&self) -> usize {
        self.points.len() + 3 + 2 * self.bp_parties * self.bp_bits
    }

    /// Number of equations added so far.
    pub fn len(&self) -> usize {
        self.equations
    }

    pub fn is_empty(&self) -> bool {
        self.equations == 0
    }

    /// Checks the equations added so far and starts afresh (the weight stream continues).
    pub fn verify_and_reset(&mut self) -> bool {
        let ok = self.check();
        self.reset();
        ok
    }

    /// Drops the equations added so far, unchecked, and starts afresh (the weight stream
    /// continues).
    pub fn reset(&mut self) {
        self.g_coeff = Scalar::ZERO;
        self.h_coeff = Scalar::ZERO;
        self.k_coeff = Scalar::ZERO;
        self.scalars.clear();
        self.points.clear();
        self.bp_g.iter_mut().for_each(|s| *s = Scalar::ZERO);
        self.bp_h.iter_mut().for_each(|s| *s = Scalar::ZERO);
        self.bp_parties = 0;
        self.bp_bits = 0;
        self.equations = 0;
    }

    /// Checks all equations at once.
    pub fn verify(self) -> bool {
        self.check()
    }

    fn check(&self) -> bool {
        if self.equations == 0 {
            return true;
        }
        let fixed_scalars = [self.g_coeff, self.h_coeff, self.k_coeff];
        let fixed_points = [g(), h(), self.k];
        let (parties, bits) = (self.bp_parties, self.bp_bits);
        let mut scalars: Vec<Scalar> =
            Vec::with_capacity(self.scalars.len() + 3 + 2 * parties * bits);
        let mut points: Vec<RistrettoPoint> = Vec::with_capacity(scalars.capacity());
        scalars.extend_from_slice(&self.scalars);
        scalars.extend_from_slice(&fixed_scalars);
        points.extend_from_slice(&self.points);
        points.extend_from_slice(&fixed_points);
        if parties > 0 {
            let vectors = bp_vectors(parties);
            // Fail closed rather than drop generator terms: `bp_vectors` covers at most
            // `MAX_RANGE_PARTIES` parties, which `padded` never exceeds.
            if vectors.g.len() < parties || vectors.h.len() < parties {
                return false;
            }
            for (coeffs, gens) in [(&self.bp_g, &vectors.g), (&self.bp_h, &vectors.h)] {
                for (j, party) in gens.iter().enumerate().take(parties) {
                    scalars.extend_from_slice(&coeffs[j * MAX_RANGE_BITS..][..bits]);
                    points.extend_from_slice(&party[..bits]);
                }
            }
        }
        let sum = RistrettoPoint::vartime_multiscalar_mul(&scalars, &points);
        sum.is_identity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_false_equation_fails_the_batch() {
        let p = g() * Scalar::from(3u64);
        let mut b = BatchVerifier::new(g(), [1; 32]);
        // 3·G − P = 0 holds.
        b.push(
            Scalar::from(3u64),
            Scalar::ZERO,
            Scalar::ZERO,
            &[(-Scalar::ONE, &p)],
        );
        assert!(b.verify());
        let mut b = BatchVerifier::new(g(), [1; 32]);
        b.push(
            Scalar::from(3u64),
            Scalar::ZERO,
            Scalar::ZERO,
            &[(-Scalar::ONE, &p)],
        );
        // 4·G − P = 0 does not.
        b.push(
            Scalar::from(4u64),
            Scalar::ZERO,
            Scalar::ZERO,
            &[(-Scalar::ONE, &p)],
        );
        assert!(!b.verify());
    }

    #[test]
    fn each_equation_keeps_the_key_it_was_pushed_with() {
        let (ka, kb) = (g() * Scalar::from(5u64), g() * Scalar::from(7u64));
        let (pa, pb) = (ka * Scalar::from(2u64), kb * Scalar::from(2u64));
        // 2·K − P = 0 under each election's own key.
        let two = Scalar::from(2u64);
        let mut b = BatchVerifier::new(ka, [2; 32]);
        b.push(Scalar::ZERO, Scalar::ZERO, two, &[(-Scalar::ONE, &pa)]);
        b.set_key(kb);
        b.push(Scalar::ZERO, Scalar::ZERO, two, &[(-Scalar::ONE, &pb)]);
        b.set_key(ka);
        b.push(Scalar::ZERO, Scalar::ZERO, two, &[(-Scalar::ONE, &pa)]);
        assert!(b.verify());
        // The same equation for A's point under B's key is false, and so is the batch.
        let mut b = BatchVerifier::new(ka, [2; 32]);
        b.push(Scalar::ZERO, Scalar::ZERO, two, &[(-Scalar::ONE, &pa)]);
        b.set_key(kb);
        b.push(Scalar::ZERO, Scalar::ZERO, two, &[(-Scalar::ONE, &pa)]);
        assert!(!b.verify());
    }
}
