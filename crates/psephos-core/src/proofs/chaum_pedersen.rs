//! Chaum–Pedersen proof of equal discrete logarithms (`docs/protocol.md`, §5.2):
//! knowledge of `x` with `X = x·G` and `Y = x·P`.
//!
//! Used for decryption shares: a trustee with verification key `Vⱼ = sⱼ·G` shows that its share
//! `Mⱼ = sⱼ·α` of an aggregate ciphertext `(α, β)` is correct, without revealing `sⱼ`.

use super::batch::BatchVerifier;
use crate::encoding::{Canonical, Reader, Writer};
use crate::error::{DecodeError, ProofKind, VerifyError};
use crate::generators::g_table;
use crate::group::{serde_scalar, Point};
use crate::transcript::{prover_rng, random_scalar, verification_seed, TranscriptProtocol};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

/// A Chaum–Pedersen proof `(A, B, s)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChaumPedersenProof {
    pub commitment_g: Point,
    pub commitment_p: Point,
    #[serde(with = "serde_scalar")]
    pub response: Scalar,
}

/// The public statement `X = x·G ∧ Y = x·P`.
#[derive(Debug, Clone, Copy)]
pub struct DleqStatement<'a> {
    pub x_pub: &'a Point,
    pub base: &'a Point,
    pub y_pub: &'a Point,
}

fn absorb(t: &mut Transcript, st: &DleqStatement<'_>) {
    t.append_point(b"X", st.x_pub);
    t.append_point(b"P", st.base);
    t.append_point(b"Y", st.y_pub);
}

impl ChaumPedersenProof {
    pub fn prove<R: RngCore + CryptoRng>(
        t: &mut Transcript,
        x: &Scalar,
        st: &DleqStatement<'_>,
        rng: &mut R,
    ) -> Self {
        absorb(t, st);
        let w = random_scalar(&mut prover_rng(t, &[x], rng));
        let commitment_g = Point::from_point(g_table() * &w);
        let commitment_p = Point::from_point(st.base.point() * w);
        t.append_point(b"A", &commitment_g);
        t.append_point(b"B", &commitment_p);
        let e = t.challenge_scalar(b"e");
        ChaumPedersenProof {
            commitment_g,
            commitment_p,
            response: w + e * x,
        }
    }

    /// Adds `s·G − A − e·X = 0` and `s·P − B − e·Y = 0` to `batch`.
    pub fn verify_into(
        &self,
        t: &mut Transcript,
        st: &DleqStatement<'_>,
        batch: &mut BatchVerifier,
    ) {
        absorb(t, st);
        t.append_point(b"A", &self.commitment_g);
        t.append_point(b"B", &self.commitment_p);
        let e = t.challenge_scalar(b"e");
        let minus_one = -Scalar::ONE;
        batch.push(
            self.response,
            Scalar::ZERO,
            Scalar::ZERO,
            &[
                (minus_one, self.commitment_g.point()),
                (-e, st.x_pub.point()),
            ],
        );
        batch.push(
            Scalar::ZERO,
            Scalar::ZERO,
            Scalar::ZERO,
            &[
                (self.response, st.base.point()),
                (minus_one, self.commitment_p.point()),
                (-e, st.y_pub.point()),
            ],
        );
    }

    /// Verifies alone.
    pub fn verify(&self, t: &mut Transcript, st: &DleqStatement<'_>) -> Result<(), VerifyError> {
        let seed = verification_seed(
            t,
            &[
                st.x_pub.as_bytes(),
                st.base.as_bytes(),
                st.y_pub.as_bytes(),
                &self.to_canonical_bytes(),
            ],
        );
        let mut batch = BatchVerifier::new(*st.x_pub.point(), seed);
        self.verify_into(t, st, &mut batch);
        if batch.verify() {
            Ok(())
        } else {
            Err(VerifyError::proof(ProofKind::ChaumPedersen))
        }
    }
}

impl Canonical for ChaumPedersenProof {
    const MIN_ENCODED_LEN: usize = 96;
    fn encode(&self, w: &mut Writer) {
        w.point(&self.commitment_g)
            .point(&self.commitment_p)
            .scalar(&self.response);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ChaumPedersenProof {
            commitment_g: r.point()?,
            commitment_p: r.point()?,
            response: r.scalar()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generators::g;
    use crate::hash::Digest;
    use rand_chacha::rand_core::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn transcript() -> Transcript {
        let mut t = Transcript::for_proof(crate::transcript::labels::CHAUM_PEDERSEN);
        t.append_election(&Digest::of(b"test", b"context"));
        t
    }

    /// Regression: batch weights that a prover can compute before choosing its statement let it
    /// make two false equations cancel. Here the prover predicts the weights an early version
    /// derived (from the transcript before the statement) and builds `Y = x·P + k·(ρ₁·G + ρ₂·P)`
    /// with `s = w + e·x + ρ₂·e·k`; the weighted sum of the two equations is then zero. Weights
    /// seeded by the whole statement and proof defeat it.
    #[test]
    fn predictable_weights_cannot_be_exploited() {
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let x = random_scalar(&mut rng);
        let p = Point::from_point(g() * random_scalar(&mut rng));
        let x_pub = Point::from_point(g() * x);
        // The weights the old verifier would have drawn.
        let mut seed = [0u8; 32];
        transcript().challenge_bytes(b"batch-seed", &mut seed);
        let mut predicted = BatchVerifier::new(*x_pub.point(), seed);
        let (rho1, rho2) = (predicted.weight(), predicted.weight());
        let k = Scalar::from(42u64);
        let y = Point::from_point(p.point() * x + (g() * rho1 + p.point() * rho2) * k);
        let st = DleqStatement {
            x_pub: &x_pub,
            base: &p,
            y_pub: &y,
        };
        let mut t = transcript();
        absorb(&mut t, &st);
        let w = random_scalar(&mut rng);
        let a = Point::from_point(g() * w);
        let b = Point::from_point(p.point() * w);
        t.append_point(b"A", &a);
        t.append_point(b"B", &b);
        let e = t.challenge_scalar(b"e");
        let forged = ChaumPedersenProof {
            commitment_g: a,
            commitment_p: b,
            response: w + e * x + rho2 * e * k,
        };
        // With the predicted weights the forgery would pass …
        let mut old = BatchVerifier::new(*x_pub.point(), seed);
        forged.verify_into(&mut transcript(), &st, &mut old);
        assert!(old.verify(), "the attack is set up correctly");
        // … with weights bound to the statement and proof it does not.
        assert!(forged.verify(&mut transcript(), &st).is_err());
    }
}
