//! Threshold arithmetic for the key ceremony and decryption (`docs/protocol.md`, §9.1):
//! Feldman verifiable secret sharing over Ristretto255 and Lagrange interpolation at zero.
//!
//! Each trustee `i` draws a random polynomial `fᵢ` of degree `k − 1` and publishes commitments
//! `Aᵢₗ = aᵢₗ·G` to its coefficients (each with a Schnorr proof of knowledge). Trustee `j` receives
//! `fᵢ(j)` and checks `fᵢ(j)·G = Σₗ jˡ·Aᵢₗ`. The joint key is `K = Σᵢ Aᵢ₀`, trustee `j`'s secret
//! share is `sⱼ = Σᵢ fᵢ(j)` and its public verification key `Vⱼ = sⱼ·G = Σᵢ Σₗ jˡ·Aᵢₗ`, which
//! anyone can compute from the board. Any `k` shares determine `s = Σᵢ aᵢ₀` by interpolation,
//! fewer reveal nothing. Trustee indices start at 1.

use crate::generators::g_table;
use crate::group::Point;
use crate::hash::Digest;
use crate::proofs::SchnorrProof;
use crate::transcript::{labels, random_scalar, TranscriptProtocol};
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::VartimeMultiscalarMul;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// A trustee's secret polynomial. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretPolynomial {
    coefficients: Vec<Scalar>,
}

impl std::fmt::Debug for SecretPolynomial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SecretPolynomial(degree {}, <secret>)",
            self.coefficients.len().saturating_sub(1)
        )
    }
}

/// A secret share `f(j)` or `sⱼ`. Zeroized on drop.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SecretShare(Scalar);

impl std::fmt::Debug for SecretShare {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretShare(<secret>)")
    }
}

impl SecretShare {
    pub fn from_scalar(x: Scalar) -> Self {
        SecretShare(x)
    }
    pub fn scalar(&self) -> &Scalar {
        &self.0
    }
    /// `s·G`.
    pub fn public(&self) -> Point {
        Point::from_point(g_table() * &self.0)
    }
    /// The sum of shares (a trustee's final share from the shares dealt to it).
    pub fn sum<'a, I: IntoIterator<Item = &'a SecretShare>>(shares: I) -> Self {
        SecretShare(shares.into_iter().map(|s| s.0).sum())
    }
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }
}

fn coefficient_transcript(manifest_hash: &Digest, trustee: u32, l: usize) -> Transcript {
    let mut t = Transcript::for_proof(labels::COEFFICIENT);
    t.append_election(manifest_hash);
    t.append_u64(b"trustee", u64::from(trustee));
    t.append_u64(b"coefficient", l as u64);
    t
}

impl SecretPolynomial {
    /// A random polynomial of degree `threshold − 1`.
    pub fn random<R: RngCore + CryptoRng>(threshold: u32, rng: &mut R) -> Self {
        SecretPolynomial {
            coefficients: (0..threshold.max(1)).map(|_| random_scalar(rng)).collect(),
        }
    }

    /// Feldman commitments `Aₗ = aₗ·G`.
    pub fn commitments(&self) -> Vec<Point> {
        self.coefficients
            .iter()
            .map(|a| Point::from_point(g_table() * a))
            .collect()
    }

    /// Schnorr proofs of knowledge of each coefficient, bound to the election (manifest hash)
    /// and the trustee's index.
    pub fn coefficient_proofs<R: RngCore + CryptoRng>(
        &self,
        manifest_hash: &Digest,
        trustee: u32,
        rng: &mut R,
    ) -> Vec<SchnorrProof> {
        self.coefficients
            .iter()
            .zip(self.commitments())
            .enumerate()
            .map(|(l, (a, a_pub))| {
                let mut t = coefficient_transcript(manifest_hash, trustee, l);
                SchnorrProof::prove(&mut t, a, &a_pub, rng)
            })
            .collect()
    }

    /// `f(x)` by Horner's rule.
    pub fn evaluate(&self, x: u32) -> SecretShare {
        let x = Scalar::from(x);
        let mut acc = Scalar::ZERO;
        for a in self.coefficients.iter().rev() {
            acc = acc * x + a;
        }
        SecretShare(acc)
    }
}

/// Verifies the coefficient proofs of one trustee's commitments: exactly `threshold`
/// commitments, none the identity, each with a valid proof.
pub fn verify_coefficient_proofs(
    manifest_hash: &Digest,
    trustee: u32,
    threshold: u32,
    commitments: &[Point],
    proofs: &[SchnorrProof],
) -> bool {
    commitments.len() == threshold as usize
        && commitments.len() == proofs.len()
        && commitments
            .iter()
            .zip(proofs)
            .enumerate()
            .all(|(l, (c, p))| {
                let mut t = coefficient_transcript(manifest_hash, trustee, l);
                !c.is_identity() && p.verify(&mut t, c).is_ok()
            })
}

/// `Σₗ xˡ·Aₗ`: the public image `f(x)·G` of a committed polynomial.
pub fn commitment_eval(commitments: &[Point], x: u32) -> RistrettoPoint {
    let x = Scalar::from(x);
    let mut powers = Vec::with_capacity(commitments.len());
    let mut p = Scalar::ONE;
    for _ in commitments {
        powers.push(p);
        p *= x;
    }
    RistrettoPoint::vartime_multiscalar_mul(&powers, commitments.iter().map(Point::point))
}

/// Feldman check of a dealt share: `share·G = Σₗ jˡ·Aₗ`.
pub fn verify_share(recipient: u32, share: &SecretShare, commitments: &[Point]) -> bool {
    g_table() * share.scalar() == commitment_eval(commitments, recipient)
}

/// The joint election key `K = Σᵢ Aᵢ₀` of the qualified trustees.
pub fn joint_key(commitments: &[&[Point]]) -> Point {
    Point::from_point(
        commitments
            .iter()
            .filter_map(|c| c.first())
            .map(|a| *a.point())
            .sum(),
    )
}

/// Trustee `j`'s verification key `Vⱼ = Σᵢ Σₗ jˡ·Aᵢₗ` over the qualified trustees.
pub fn verification_key(commitments: &[&[Point]], j: u32) -> Point {
    Point::from_point(commitments.iter().map(|c| commitment_eval(c, j)).sum())
}

/// The Lagrange coefficient at zero of index `i` within the set `indices`:
/// `λᵢ = Πⱼ≠ᵢ j / (j − i)`. `None` if `i ∉ indices`, an index is 0 or repeated.
pub fn lagrange_at_zero(indices: &[u32], i: u32) -> Option<Scalar> {
    if i == 0 || !indices.contains(&i) {
        return None;
    }
    let mut num = Scalar::ONE;
    let mut den = Scalar::ONE;
    let mut seen_self = false;
    for &j in indices {
        if j == 0 {
            return None;
        }
        if j == i {
            if seen_self {
                return None;
            }
            seen_self = true;
            continue;
        }
        num *= Scalar::from(j);
        den *= Scalar::from(j) - Scalar::from(i);
    }
    Some(num * den.invert())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn any_k_shares_interpolate_the_secret() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let f = SecretPolynomial::random(3, &mut rng);
        let secret = f.evaluate(0);
        let commitments = f.commitments();
        for j in 1..=5 {
            assert!(verify_share(j, &f.evaluate(j), &commitments));
        }
        assert!(!verify_share(2, &f.evaluate(3), &commitments));
        for set in [[1u32, 2, 3], [2, 4, 5], [5, 1, 3]] {
            let s: Scalar = set
                .iter()
                .map(|&i| lagrange_at_zero(&set, i).unwrap() * f.evaluate(i).scalar())
                .sum();
            assert_eq!(s, *secret.scalar());
        }
        // Two shares of a degree-2 polynomial do not give the secret.
        let set = [1u32, 2];
        let s: Scalar = set
            .iter()
            .map(|&i| lagrange_at_zero(&set, i).unwrap() * f.evaluate(i).scalar())
            .sum();
        assert_ne!(s, *secret.scalar());
        assert!(lagrange_at_zero(&[1, 1, 2], 1).is_none());
        assert!(lagrange_at_zero(&[1, 2], 3).is_none());
    }

    #[test]
    fn coefficient_proofs_are_bound_to_the_trustee() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let f = SecretPolynomial::random(2, &mut rng);
        let h = Digest::of(b"test", b"manifest");
        let proofs = f.coefficient_proofs(&h, 1, &mut rng);
        assert!(verify_coefficient_proofs(
            &h,
            1,
            2,
            &f.commitments(),
            &proofs
        ));
        assert!(!verify_coefficient_proofs(
            &h,
            1,
            3,
            &f.commitments(),
            &proofs
        ));
        assert!(!verify_coefficient_proofs(
            &h,
            2,
            2,
            &f.commitments(),
            &proofs
        ));
        assert!(!verify_coefficient_proofs(
            &Digest::of(b"test", b"other"),
            1,
            2,
            &f.commitments(),
            &proofs
        ));
    }
}
