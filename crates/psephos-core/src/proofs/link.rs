//! The commitment link proof (`docs/protocol.md`, §5.4): a Pedersen commitment `C = m·G + t·H` and
//! an ElGamal ciphertext `(α, β) = (r·G, m·G + r·K)` hold the same `m`.
//!
//! Bounded contests (score, cumulative, budget) prove their ranges with Bulletproofs on `C`,
//! whose generators `G`, `H` have no known relation; this Σ-proof carries the range over to the
//! ciphertext that is tallied. It is a proof of knowledge of `(m, r, t)` satisfying three linear
//! equations, so it stays sound even if every trustee (who together know `log_G K`) colludes with
//! the voter: knowing `log_G K` does not help to open `C` to two values.

use super::batch::BatchVerifier;
use crate::elgamal::{Ciphertext, ElectionKey};
use crate::encoding::{Canonical, Reader, Writer};
use crate::error::{DecodeError, ProofKind, VerifyError};
use crate::generators::{g_table, h_table};
use crate::group::{serde_scalar, Point};
use crate::transcript::{prover_rng, random_scalar, verification_seed, TranscriptProtocol};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// A link proof `(A₁, A₂, A₃, z_m, z_r, z_t)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkProof {
    pub a1: Point,
    pub a2: Point,
    pub a3: Point,
    #[serde(with = "serde_scalar")]
    pub z_m: Scalar,
    #[serde(with = "serde_scalar")]
    pub z_r: Scalar,
    #[serde(with = "serde_scalar")]
    pub z_t: Scalar,
}

fn absorb_statement(t: &mut Transcript, ct: &Ciphertext, commitment: &Point) {
    t.append_point(b"alpha", &ct.alpha);
    t.append_point(b"beta", &ct.beta);
    t.append_point(b"C", commitment);
}

impl LinkProof {
    /// Proves that `commitment = m·G + blinding·H` and `ct = (r·G, m·G + r·K)` share `m`.
    #[allow(clippy::too_many_arguments)]
    pub fn prove<R: RngCore + CryptoRng>(
        t: &mut Transcript,
        key: &ElectionKey,
        ct: &Ciphertext,
        commitment: &Point,
        m: &Scalar,
        r: &Scalar,
        blinding: &Scalar,
        rng: &mut R,
    ) -> Self {
        absorb_statement(t, ct, commitment);
        let mut rng = prover_rng(t, &[m, r, blinding], rng);
        let mut w_m = random_scalar(&mut rng);
        let mut w_r = random_scalar(&mut rng);
        let mut w_t = random_scalar(&mut rng);
        let a1 = Point::from_point(g_table() * &w_r);
        let a2 = Point::from_point(g_table() * &w_m + key.mul(&w_r));
        let a3 = Point::from_point(g_table() * &w_m + h_table() * &w_t);
        t.append_point(b"A1", &a1);
        t.append_point(b"A2", &a2);
        t.append_point(b"A3", &a3);
        let e = t.challenge_scalar(b"e");
        let proof = LinkProof {
            a1,
            a2,
            a3,
            z_m: w_m + e * m,
            z_r: w_r + e * r,
            z_t: w_t + e * blinding,
        };
        w_m.zeroize();
        w_r.zeroize();
        w_t.zeroize();
        proof
    }

    /// Adds `z_r·G − A₁ − e·α = 0`, `z_m·G + z_r·K − A₂ − e·β = 0` and
    /// `z_m·G + z_t·H − A₃ − e·C = 0` to `batch`.
    pub fn verify_into(
        &self,
        t: &mut Transcript,
        ct: &Ciphertext,
        commitment: &Point,
        batch: &mut BatchVerifier,
    ) {
        absorb_statement(t, ct, commitment);
        t.append_point(b"A1", &self.a1);
        t.append_point(b"A2", &self.a2);
        t.append_point(b"A3", &self.a3);
        let e = t.challenge_scalar(b"e");
        let (r1, r2, r3) = (batch.weight(), batch.weight(), batch.weight());
        batch.push_weighted(
            r1 * self.z_r + (r2 + r3) * self.z_m,
            r3 * self.z_t,
            r2 * self.z_r,
            &[
                (-r1, self.a1.point()),
                (-r2, self.a2.point()),
                (-r3, self.a3.point()),
                (-(r1 * e), ct.alpha.point()),
                (-(r2 * e), ct.beta.point()),
                (-(r3 * e), commitment.point()),
            ],
            3,
        );
    }

    /// Verifies alone (tests and tools; ballots go through the batch).
    pub fn verify(
        &self,
        t: &mut Transcript,
        key: &ElectionKey,
        ct: &Ciphertext,
        commitment: &Point,
    ) -> Result<(), VerifyError> {
        let seed = verification_seed(
            t,
            &[
                ct.alpha.as_bytes(),
                ct.beta.as_bytes(),
                commitment.as_bytes(),
                &self.to_canonical_bytes(),
            ],
        );
        let mut batch = BatchVerifier::new(*key.point().point(), seed);
        self.verify_into(t, ct, commitment, &mut batch);
        if batch.verify() {
            Ok(())
        } else {
            Err(VerifyError::proof(ProofKind::CommitmentLink))
        }
    }
}

impl Canonical for LinkProof {
    const MIN_ENCODED_LEN: usize = 192;
    fn encode(&self, w: &mut Writer) {
        w.point(&self.a1)
            .point(&self.a2)
            .point(&self.a3)
            .scalar(&self.z_m)
            .scalar(&self.z_r)
            .scalar(&self.z_t);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(LinkProof {
            a1: r.point()?,
            a2: r.point()?,
            a3: r.point()?,
            z_m: r.scalar()?,
            z_r: r.scalar()?,
            z_t: r.scalar()?,
        })
    }
}
