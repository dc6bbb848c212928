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
use crate::generators::{bulletproof_gens, pedersen_gens, MAX_RANGE_PARTIES};
use crate::group::serde_bytes_hex;
use crate::transcript::verification_seed;
use curve25519_dalek::ristretto::CompressedRistretto;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use merlin::Transcript;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// Largest encoded Bulletproof we accept: 2·log₂(64·256) + 9 = 37 elements of 32 bytes.
pub const MAX_RANGE_PROOF_BYTES: usize = 32 * (2 * 14 + 9);

/// An aggregated Bulletproofs range proof, in the `bulletproofs` crate's byte encoding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeProof(#[serde(with = "serde_bytes_hex")] pub Vec<u8>);

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
        let parties = padded(values.len())?;
        if values.len() != blindings.len() || (bits < 64 && values.iter().any(|&v| v >> bits != 0))
        {
            return None;
        }
        let mut v = values.to_vec();
        let mut b = blindings.to_vec();
        v.resize(parties, 0);
        b.resize(parties, Scalar::ZERO);
        let proof = bulletproofs::RangeProof::prove_multiple_with_rng(
            bulletproof_gens(parties),
            pedersen_gens(),
            t,
            &v,
            &b,
            bits,
            rng,
        );
        v.zeroize();
        b.zeroize();
        Some(RangeProof(proof.ok()?.0.to_bytes()))
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

    #[test]
    fn bit_sizes() {
        assert_eq!(bits_for(0), 8);
        assert_eq!(bits_for(255), 8);
        assert_eq!(bits_for(256), 16);
        assert_eq!(bits_for(1 << 20), 32);
        assert_eq!(bits_for(u64::MAX), 64);
    }
}
