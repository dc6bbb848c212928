//! Exponential ElGamal over Ristretto255 (`docs/protocol.md`, §4).
//!
//! A value `m` (a small non-negative integer) is encrypted under the election key `K` as
//! `(α, β) = (r·G, m·G + r·K)` with a fresh uniform nonce `r`. Ciphertexts add component-wise, and
//! the sum encrypts the sum of the values: this is what lets the trustees decrypt only the tally.
//! Decryption yields `m·G`; `m` itself is recovered by a bounded discrete logarithm
//! ([`crate::dlog`]), which is why only small values are ever encrypted.
//!
//! Both multiplications of an encryption use precomputed fixed-base tables (`G` from dalek, `K`
//! built once per election in [`ElectionKey`]), which are constant time and several times faster
//! than a variable-base multiplication.

use crate::error::DecodeError;
use crate::generators::{g_table, half_g};
use crate::group::{half, points_from_halves, Point};
use curve25519_dalek::ristretto::{RistrettoBasepointTable, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use serde::{Deserialize, Serialize};
use subtle::{ConditionallySelectable, ConstantTimeEq};

/// The joint election public key `K`, with its fixed-base table.
#[derive(Clone)]
pub struct ElectionKey {
    point: Point,
    table: RistrettoBasepointTable,
}

impl ElectionKey {
    /// Builds the key and its table. The identity is not a key.
    pub fn new(point: Point) -> Result<Self, DecodeError> {
        if point.is_identity() {
            return Err(DecodeError::IdentityPoint);
        }
        Ok(ElectionKey {
            table: RistrettoBasepointTable::create(point.point()),
            point,
        })
    }

    pub fn point(&self) -> &Point {
        &self.point
    }

    /// `x·K` in constant time through the table.
    pub fn mul(&self, x: &Scalar) -> RistrettoPoint {
        &self.table * x
    }
}

impl std::fmt::Debug for ElectionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ElectionKey({})", self.point.to_hex())
    }
}

/// An exponential ElGamal ciphertext `(α, β)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Ciphertext {
    pub alpha: Point,
    pub beta: Point,
}

impl Ciphertext {
    /// Encrypts `m` with nonce `r`: `(r·G, m·G + r·K)`. Constant time in `m` and `r`.
    pub fn encrypt(key: &ElectionKey, m: &Scalar, r: &Scalar) -> Self {
        let alpha = g_table() * r;
        let beta = g_table() * m + key.mul(r);
        Ciphertext {
            alpha: Point::from_point(alpha),
            beta: Point::from_point(beta),
        }
    }

    /// Encrypts many `(m, r)` pairs, encoding all points with one batched inversion. When
    /// `bits` is set every `m` must be 0 or 1 (a public fact of the contest rule), and `m·G` is a
    /// constant-time selection instead of a multiplication.
    pub fn encrypt_many(key: &ElectionKey, items: &[(u64, Scalar)], bits: bool) -> Vec<Self> {
        let h = half();
        let half_g = half_g();
        let mut halves = Vec::with_capacity(2 * items.len());
        for (m, r) in items {
            let rh = r * h;
            let mg = if bits {
                let one = (*m as u8 & 1).ct_eq(&1);
                RistrettoPoint::conditional_select(&RistrettoPoint::identity(), &half_g, one)
            } else {
                g_table() * &(Scalar::from(*m) * h)
            };
            halves.push(g_table() * &rh);
            halves.push(mg + key.mul(&rh));
        }
        points_from_halves(&halves)
            .chunks_exact(2)
            .map(|c| Ciphertext {
                alpha: c[0],
                beta: c[1],
            })
            .collect()
    }

    /// The homomorphic sum of ciphertexts (the encryption of the sum of their values).
    pub fn sum<'a, I: IntoIterator<Item = &'a Ciphertext>>(items: I) -> Self {
        let (a, b) = items.into_iter().fold(
            (RistrettoPoint::identity(), RistrettoPoint::identity()),
            |(a, b), c| (a + c.alpha.point(), b + c.beta.point()),
        );
        Ciphertext {
            alpha: Point::from_point(a),
            beta: Point::from_point(b),
        }
    }

    /// `β − s·α = m·G` for the full secret `s` (tests and single-key tools only; trustees use
    /// threshold decryption shares).
    pub fn decrypt_to_point(&self, secret: &Scalar) -> RistrettoPoint {
        self.beta.point() - self.alpha.point() * secret
    }
}

impl crate::encoding::Canonical for Ciphertext {
    const MIN_ENCODED_LEN: usize = 64;
    fn encode(&self, w: &mut crate::encoding::Writer) {
        w.point(&self.alpha).point(&self.beta);
    }
    fn decode(r: &mut crate::encoding::Reader<'_>) -> Result<Self, DecodeError> {
        Ok(Ciphertext {
            alpha: r.point()?,
            beta: r.point()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generators::g;
    use crate::transcript::random_scalar;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn encryption_is_additively_homomorphic() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let s = random_scalar(&mut rng);
        let key = ElectionKey::new(Point::from_point(g() * s)).unwrap();
        let cts: Vec<_> = (0..5u64)
            .map(|m| Ciphertext::encrypt(&key, &Scalar::from(m), &random_scalar(&mut rng)))
            .collect();
        let total = Ciphertext::sum(&cts);
        assert_eq!(total.decrypt_to_point(&s), g() * Scalar::from(10u64));
        assert_ne!(
            total.decrypt_to_point(&(s + Scalar::ONE)),
            g() * Scalar::from(10u64)
        );
    }

    #[test]
    fn identity_is_not_a_key() {
        assert_eq!(
            ElectionKey::new(Point::identity()).unwrap_err(),
            DecodeError::IdentityPoint
        );
    }
}
