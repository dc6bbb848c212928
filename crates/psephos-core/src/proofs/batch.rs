//! Batch verification of Σ-protocol equations (`docs/protocol.md`, §5.7).
//!
//! Every verification equation of a Σ-proof has the form `Σᵢ sᵢ·Pᵢ = 0`. To check many at once,
//! the verifier multiplies each equation by an independent 128-bit weight `ρ` and checks that the
//! weighted sum is the identity with a single (Pippenger) multiscalar multiplication. If any
//! equation is false, the sum is the identity with probability at most 2⁻¹²⁸ over the weights.
//! Coefficients of the fixed generators `G`, `H` and the election key `K` are accumulated into one
//! scalar each, so they cost one term per batch instead of one per equation.
//!
//! The weights come from a ChaCha20 stream keyed by a hash of everything being verified (the
//! caller supplies the seed, e.g. the hashes of all ballots in the batch). The prover has fixed all
//! its messages before the weights are known, so deterministic weights are as good as random ones,
//! and verification is reproducible: two verifiers given the same data reach the same verdict.

use crate::generators::{g, h};
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
            equations: 0,
        }
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
        self.g_coeff = Scalar::ZERO;
        self.h_coeff = Scalar::ZERO;
        self.k_coeff = Scalar::ZERO;
        self.scalars.clear();
        self.points.clear();
        self.equations = 0;
        ok
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
        let sum = RistrettoPoint::vartime_multiscalar_mul(
            self.scalars.iter().chain(fixed_scalars.iter()),
            self.points.iter().chain(fixed_points.iter()),
        );
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
}
