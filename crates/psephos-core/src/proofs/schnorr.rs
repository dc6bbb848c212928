//! Schnorr proof of knowledge of `x` with `X = x·G` (`docs/protocol.md`, §5.1).
//!
//! Used for key ownership (ceremony coefficients, trustee keys) and, with a message absorbed into
//! the transcript first, as the credential's signature on a ballot. The caller opens the
//! transcript with the proof's domain label and context; this module absorbs `X` and the
//! commitment `R`, draws `e`, and checks `s·G = R + e·X`.

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

/// A Schnorr proof `(R, s)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchnorrProof {
    pub commitment: Point,
    #[serde(with = "serde_scalar")]
    pub response: Scalar,
}

impl SchnorrProof {
    /// Proves knowledge of `x` for `public = x·G` on a transcript already holding the context.
    pub fn prove<R: RngCore + CryptoRng>(
        t: &mut Transcript,
        x: &Scalar,
        public: &Point,
        rng: &mut R,
    ) -> Self {
        t.append_point(b"X", public);
        let w = random_scalar(&mut prover_rng(t, &[x], rng));
        let commitment = Point::from_point(g_table() * &w);
        t.append_point(b"R", &commitment);
        let e = t.challenge_scalar(b"e");
        SchnorrProof {
            commitment,
            response: w + e * x,
        }
    }

    /// Adds `s·G − R − e·X = 0` to `batch`.
    pub fn verify_into(&self, t: &mut Transcript, public: &Point, batch: &mut BatchVerifier) {
        t.append_point(b"X", public);
        t.append_point(b"R", &self.commitment);
        let e = t.challenge_scalar(b"e");
        batch.push(
            self.response,
            Scalar::ZERO,
            Scalar::ZERO,
            &[
                (-Scalar::ONE, self.commitment.point()),
                (-e, public.point()),
            ],
        );
    }

    /// Verifies alone.
    pub fn verify(&self, t: &mut Transcript, public: &Point) -> Result<(), VerifyError> {
        let seed = verification_seed(
            t,
            &[
                public.as_bytes(),
                self.commitment.as_bytes(),
                self.response.as_bytes(),
            ],
        );
        let mut batch = BatchVerifier::new(*public.point(), seed);
        self.verify_into(t, public, &mut batch);
        if batch.verify() {
            Ok(())
        } else {
            Err(VerifyError::proof(ProofKind::Schnorr))
        }
    }
}

impl Canonical for SchnorrProof {
    const MIN_ENCODED_LEN: usize = 64;
    fn encode(&self, w: &mut Writer) {
        w.point(&self.commitment).scalar(&self.response);
    }
    fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SchnorrProof {
            commitment: r.point()?,
            response: r.scalar()?,
        })
    }
}
