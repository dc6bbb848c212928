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
use crate::transcript::{prover_rng, random_scalar, TranscriptProtocol};
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
        let mut seed = [0u8; 32];
        t.clone().challenge_bytes(b"batch-seed", &mut seed);
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
